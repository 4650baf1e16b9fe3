"""Results day's slowest download (ADR 0026): a release server on a fresh
demo, the 4,012-unit results import of bench/web/run.py, then the draft
decision (`decision.docx`, a PNG chart per group drawn by rsvg-convert)
downloaded by READERS people at once. Meanwhile a signed-in page
(`/periods`) is asked every half second; its latency is printed beside the
same page's latency with nothing else running (the baseline, same run).

    python3 bench/web/slow_download.py .build/release/dti [--readers 2]
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Server, Session, big_table  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dti")
    parser.add_argument("--readers", type=int, default=2)
    a = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dti-slow-download-")
    server = Server(a.dti, work)
    try:
        manifest, table = big_table()
        admin = Session(server.base, "quantri")
        made = admin.call("POST", "/api/v1/results", {"manifest": manifest, "files": {"t.csv": table}})
        page = urllib.request.Request(server.base + "/periods", headers={"Cookie": admin.cookie()})

        def timed():
            started = time.monotonic()
            urllib.request.urlopen(page, timeout=120).read()
            return (time.monotonic() - started) * 1000

        baseline = [timed() for _ in range(10)]
        downloads = []

        def download():
            started = time.monotonic()
            body = urllib.request.urlopen(server.base + f"/results/{made['id']}/decision.docx", timeout=300).read()
            downloads.append((len(body), time.monotonic() - started))

        readers = [threading.Thread(target=download) for _ in range(a.readers)]
        for r in readers:
            r.start()
        time.sleep(1)
        during = []
        while any(r.is_alive() for r in readers):
            during.append(timed())
            time.sleep(0.5)
        for r in readers:
            r.join()
        print(f"decision.docx: {downloads[0][0]} bytes; {a.readers} readers at once, each done after "
              + ", ".join(f"{s:.1f} s" for _, s in downloads))
        print(f"signed-in /periods alone: median {statistics.median(baseline):.0f} ms, max {max(baseline):.0f} ms")
        print(f"signed-in /periods during the downloads ({len(during)} requests): median {statistics.median(during):.0f} ms, "
              f"max {max(during):.0f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
