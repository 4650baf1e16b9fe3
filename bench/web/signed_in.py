"""The signed-in part of bench/web/run.py alone, for quick before/after
measurements of the save path and the form: a release server on a fresh
demo (SQLite), the self-assessment period and a focal point with an API
token per unit as run.py sets them up, then `wrk` on one unit's form with
its focal point's cookie, `/api/v1/me` with a token, and the save driver at 50 and 200 clients (every
acknowledged save read back), then 200 clients paced at --rate saves/s together. With `--perf FILE`, `perf record` samples the
server during the 50-client saves.

    python3 bench/web/signed_in.py .build/release/dti [--seconds 8] [--perf /tmp/perf.data] [--perf-form /tmp/form.data] [--perf-me /tmp/me.data]
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Server, Session, profiled, saves, setup_saves, wrk  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dti")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--perf")
    parser.add_argument("--perf-form", help="perf record the server while wrk asks for the form")
    parser.add_argument("--rate", type=float, default=1000, help="the paced run's saves per second, 200 clients together (0: none)")
    parser.add_argument("--perf-me", help="perf record the server while wrk asks for /api/v1/me with a token")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dti-signed-in-")
    server = Server(args.dti, work)
    results = {}
    try:
        period, tokens, _ = setup_saves(server, work, 200)
        focal = Session(server.base, "bench.snnptnt", "Mat-khau#2026")
        with profiled(server.process.pid, args.perf_form):
            results["form"] = wrk(f"{server.base}/periods/{period}/units/SNNPTNT", args.seconds, headers=[f"Cookie: {focal.cookie()}"])
        print("a unit's form, its focal point signed in:", results["form"], flush=True)
        with open(tokens, encoding="utf-8") as f:
            token = json.load(f)[0]["token"]
        with profiled(server.process.pid, args.perf_me):
            results["me"] = wrk(f"{server.base}/api/v1/me", args.seconds, headers=[f"Authorization: Bearer {token}"])
        print("/api/v1/me with a token:", results["me"], flush=True)
        for clients in (50, 200):
            with profiled(server.process.pid, args.perf if clients == 50 else None):
                results[f"saves{clients}"] = saves(server, period, tokens, clients, args.seconds)
            print(f"answer saves, {clients} clients, SQLite:", results[f"saves{clients}"], flush=True)
        if args.rate:
            results["paced"] = saves(server, period, tokens, 200, args.seconds, rate=args.rate)
            print(f"answer saves, 200 clients paced at {args.rate:.0f}/s, SQLite:", results["paced"], flush=True)
    finally:
        server.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
