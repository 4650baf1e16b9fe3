"""The published site as files (issue 31, "Published pages at any scale"):
nginx serving `DTI_DATA_DIR/site` through deploy/nginx/opendti.conf (the
deployment DEPLOY.md describes: `try_files`, then the application), beside
nginx serving the very same bytes from an exact location (the anchor: 1.0×
by construction) and `dti serve` answering them itself (its kept bytes, the
application's own floor). Alternating, `--rounds` times; each figure and its
ratio to the anchor in the same round.

    swift build -c release --product dti
    python3 bench/web/site.py .build/release/dti [--seconds 8] [--rounds 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "site"))
from run import Server, fetch, free_port, nginx, wait, wrk  # noqa: E402
from check_nginx import nginx_config  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dti")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    a = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dti-site-bench-")
    os.chmod(work, 0o755)
    server = Server(a.dti, work)
    processes = []
    try:
        site = os.path.join(work, "data", "site")
        for _ in range(480):
            if os.path.exists(os.path.join(site, ".opendti-site.json")):
                break
            time.sleep(0.25)
        os.chmod(os.path.join(work, "data"), 0o755)
        for folder, _, _ in os.walk(os.path.realpath(site)):
            os.chmod(folder, 0o755)
        results = json.load(urllib.request.urlopen(server.base + "/api/v1/results"))
        period = next(r for r in results if r.get("year") == 2023)["id"]
        pages = {"ranking page": f"/results/{period}", "scorecard": f"/results/{period}/units/SNNPTNT", "record.json": f"/results/{period}/record.json"}
        # The anchor: nginx, the same bytes from exact locations (bench/web/nginx.conf, as run.py measures).
        anchor_files = {path: fetch(server.base + path) for path in pages.values()}
        anchor_process, anchor_base = nginx(os.path.join(work, "anchor"), anchor_files)
        processes.append(anchor_process)
        port = free_port()
        conf = os.path.join(work, "site-nginx.conf")
        open(conf, "w").write(nginx_config(work, site, server.port, port, workers="auto"))
        processes.append(subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        site_base = f"http://127.0.0.1:{port}"
        wait(site_base + pages["ranking page"])
        for path in pages.values():
            served, _ = fetch(site_base + path)
            if served != anchor_files[path][0]:
                raise SystemExit(f"{path}: the site's bytes differ from the application's")
        bases = {"nginx, same bytes (exact location)": anchor_base, "nginx, the site (try_files, opendti.conf)": site_base,
                 "dti serve (kept bytes)": server.base}
        table = []
        for round_ in range(a.rounds):
            for page, path in pages.items():
                figures = {}
                order = list(bases) if round_ % 2 == 0 else list(reversed(bases))
                for name in order:
                    figures[name] = wrk(bases[name] + path, a.seconds)
                anchor = figures["nginx, same bytes (exact location)"]["rps"]
                for name in bases:
                    f = figures[name]
                    print(f"round {round_ + 1}  {page:13} {name:42} {f['rps']:>9.0f} req/s  p99 {f['p99_ms'] or 0:6.2f} ms  {f['rps'] / anchor:.3f}× anchor", flush=True)
                    table.append({"round": round_ + 1, "page": page, "server": name, **f, "ratio": f["rps"] / anchor})
        print(json.dumps(table))
    finally:
        for p in processes:
            p.terminate()
        server.stop()


if __name__ == "__main__":
    main()
