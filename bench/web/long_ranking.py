"""The 4,012-unit published ranking alone (goal 5): a release server on a
fresh demo, the results import of bench/web/run.py, then for each address
given (relative to /results/:id; default: the ranking page) the first
anonymous request and five renders for a signed-in reader (never served
from the kept bytes, so each is a render).

    python3 bench/web/long_ranking.py .build/release/dti "" /groups/1 "?q=hoa%20an%2017-05"
"""
import os
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Server, Session, big_table  # noqa: E402


def main():
    work = tempfile.mkdtemp(prefix="dti-long-ranking-")
    server = Server(sys.argv[1], work)
    try:
        manifest, table = big_table()
        admin = Session(server.base, "quantri")
        made = admin.call("POST", "/api/v1/results", {"manifest": manifest, "files": {"t.csv": table}})
        for path in sys.argv[2:] or [""]:
            url = server.base + f"/results/{made['id']}" + path
            started = time.monotonic()
            body = urllib.request.urlopen(url).read()
            first = time.monotonic() - started
            renders = []
            for _ in range(5):
                started = time.monotonic()
                urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": admin.cookie()})).read()
                renders.append(round((time.monotonic() - started) * 1000))
            print(f"{path or '/'}: {len(body)} bytes, first {first * 1000:.0f} ms, signed-in renders {sorted(renders)} ms", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
