"""How much of the gap to nginx is Vapor's own: the published ranking page
served as kept bytes by `dti serve`, beside the same bytes from nginx and
from `vapor-floor` (bench/Sources/vapor-floor: a Vapor application that does
nothing but answer those bytes, through one route with no middleware, the
same without Vapor's per-request metrics, through a responder that skips
the router too, and that responder with the kept page's own headers).
Alternating, `--rounds`
times; prints each figure and its ratio to nginx in the same round.

    swift build -c release --product dti && swift build -c release --product vapor-floor
    python3 bench/web/floor.py .build/release/dti .build/release/vapor-floor [--seconds 8] [--rounds 2] [--before OTHER_DTI]

`--before` runs a second `dti serve` (another build) beside the others.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Server, fetch, free_port, nginx, wait, wrk  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dti")
    parser.add_argument("floor")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", help="another build of dti, served beside the first")
    a = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dti-floor-")
    server = Server(a.dti, work)
    before = Server(a.before, tempfile.mkdtemp(prefix="dti-floor-before-")) if a.before else None
    processes = []
    try:
        results = json.load(__import__("urllib.request").request.urlopen(server.base + "/api/v1/results"))
        published = next(r for r in results if r.get("year") == 2023)["id"]
        path = f"/results/{published}"
        data, ctype = fetch(server.base + path)
        page = os.path.join(work, "page.html")
        open(page, "wb").write(data)
        nginx_process, nginx_base = nginx(work, {path: (data, ctype)})
        processes.append(nginx_process)
        bases = {"dti serve (kept bytes)": server.base, "nginx": nginx_base}
        if before:
            # The same page of the other server: its own demo, so its own id.
            other = json.load(__import__("urllib.request").request.urlopen(before.base + "/api/v1/results"))
            other_id = next(r for r in other if r.get("year") == 2023)["id"]
            bases["dti serve, --before build"] = before.base
        paths = {name: path for name in bases}
        if before:
            paths["dti serve, --before build"] = f"/results/{other_id}"
        # The headers the kept page is answered with (all but those Vapor sets itself), for `responder-headers`.
        with urllib.request.urlopen(server.base + path) as r:
            kept_headers = [(k, v) for k, v in r.headers.items() if k.lower() not in ("content-length", "connection", "date")]
        headers_file = os.path.join(work, "headers.txt")
        open(headers_file, "w").write("".join(f"{k}: {v}\n" for k, v in kept_headers))
        for mode in ("route", "route-quiet", "responder", "responder-headers", "responder-lean"):
            port = free_port()
            extra = [headers_file] if mode in ("responder-headers", "responder-lean") else []
            processes.append(subprocess.Popen([a.floor, page, str(port), mode, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait(f"http://127.0.0.1:{port}{path}")
            bases[f"vapor-floor ({mode})"] = f"http://127.0.0.1:{port}"
            paths[f"vapor-floor ({mode})"] = path
        print(f"{len(data)} bytes, {path}", flush=True)
        table = []
        for round_ in range(a.rounds):
            figures = {}
            order = list(bases) if round_ % 2 == 0 else list(reversed(bases))
            for name in order:
                figures[name] = wrk(bases[name] + paths[name], a.seconds)
            for name in bases:
                ratio = figures[name]["rps"] / figures["nginx"]["rps"]
                print(f"round {round_ + 1}  {name:34} {figures[name]['rps']:>9.0f} req/s  p99 {figures[name]['p99_ms'] or 0:6.1f} ms  {ratio:.3f}× nginx", flush=True)
            table.append(figures)
        print(json.dumps(table))
    finally:
        for p in processes:
            p.terminate()
        server.stop()
        if before:
            before.stop()


if __name__ == "__main__":
    main()
