"""Request logging and metrics: what they cost at results-day rates (issue
"Results day and the deadline rush", goal 6: < 10 % of throughput).

Release servers on fresh demo data, one at a time: as shipped (LOG_LEVEL=info:
a log line per request, written to a file as a service's output would be;
DTI_METRICS=on), with only the log line, with only the metrics, and with both
off (LOG_LEVEL=warning, DTI_METRICS=off), the order reversed each round, for
`--rounds` rounds; the medians and their ratio to "both off" are printed and
written as JSON. Beside throughput, the server's own CPU time per answered
request (from /proc, user + system, over the wrk run): throughput on this
2-core machine also measures wrk, which shares the cores, and varies by
±15 % between server starts; the server's CPU per request is what the
logging and metrics add to the server's work.

    python3 bench/web/observability.py .build/release/dti OUT_DIR [--seconds 8] [--rounds 3] [--pair]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Server, cpu_seconds, wrk  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dti")
    parser.add_argument("out")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pair", action="store_true", help="only as shipped and both off (more rounds in the same time)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # The baseline (both off) comes last; every other configuration is compared with it.
    configs = {
        "shipped (log line per request, metrics)": {"LOG_LEVEL": "info", "DTI_METRICS": "on"},
        "request log line only": {"LOG_LEVEL": "info", "DTI_METRICS": "off"},
        "metrics only": {"LOG_LEVEL": "warning", "DTI_METRICS": "on"},
        "logging and metrics off": {"LOG_LEVEL": "warning", "DTI_METRICS": "off"},
    }
    if args.pair:
        configs = {name: env for name, env in configs.items() if name.startswith("shipped") or name.endswith("off")}
    # One server at a time: with both running, whichever started second served the kept pages about
    # 4x slower in either order (first attempt, 2026-12-01), which measured the setup, not the logging.
    runs = {}
    pages = None
    for round_ in range(args.rounds):
        order = list(configs) if round_ % 2 == 0 else list(reversed(configs))
        for name in order:
            # No site written at start (DTI_SITE_DIR=off): its second of rendering would fall in the first measurement.
            server = Server(args.dti, tempfile.mkdtemp(prefix="dti-obs-", dir=args.out), {**configs[name], "DTI_SITE_DIR": "off"})
            try:
                periods = json.load(urllib.request.urlopen(server.base + "/api/v1/results"))
                period = next(p["id"] for p in periods if p["year"] == 2023)
                pages = {"published ranking page": f"/results/{period}", "published JSON": f"/api/v1/results/{period}", "home page": "/"}
                for page, path in pages.items():
                    urllib.request.urlopen(server.base + path).read()  # rendered once, then kept
                    before = cpu_seconds(server.process.pid)
                    result = wrk(server.base + path, args.seconds)
                    result["cpu_us"] = (cpu_seconds(server.process.pid) - before) * 1e6 / result["requests"]
                    runs.setdefault((page, name), []).append(result)
            finally:
                server.stop()
    rows = []
    *measured, off = list(configs)
    for page in pages:
        b = statistics.median(r["rps"] for r in runs[(page, off)])
        p99b = statistics.median(r["p99_ms"] for r in runs[(page, off)])
        for name in measured:
            a = statistics.median(r["rps"] for r in runs[(page, name)])
            p99a = statistics.median(r["p99_ms"] for r in runs[(page, name)])
            cpu_a = statistics.median(r["cpu_us"] for r in runs[(page, name)])
            cpu_b = statistics.median(r["cpu_us"] for r in runs[(page, off)])
            rows.append({"page": page, "config": name, "rps": a, "off_rps": b, "ratio": a / b, "cost_percent": (1 - a / b) * 100,
                         "cpu_us": cpu_a, "off_cpu_us": cpu_b, "cpu_cost_percent": (cpu_a / cpu_b - 1) * 100,
                         "p99_ms": p99a, "off_p99_ms": p99b,
                         "all_rps": [r["rps"] for r in runs[(page, name)]], "all_off_rps": [r["rps"] for r in runs[(page, off)]],
                         "all_cpu_us": [r["cpu_us"] for r in runs[(page, name)]], "all_off_cpu_us": [r["cpu_us"] for r in runs[(page, off)]]})
    lines = [f"{'page':<24} {'configuration':<42} {'req/s':>8} {'off req/s':>10} {'ratio':>6} {'cost':>6} {'p99 / off (ms)':>15}"
             f" {'CPU µs/req / off':>17} {'CPU cost':>8}"]
    for r in rows:
        lines.append(f"{r['page']:<24} {r['config']:<42} {r['rps']:>8,.0f} {r['off_rps']:>10,.0f} {r['ratio']:>6.3f} {r['cost_percent']:>5.1f}% "
                     f"{r['p99_ms']:>6.1f} / {r['off_p99_ms']:.1f} {r['cpu_us']:>8.2f} / {r['off_cpu_us']:.2f} {r['cpu_cost_percent']:>7.1f}%")
    print("\n".join(lines))
    with open(os.path.join(args.out, "observability.json"), "w") as f:
        json.dump({"seconds": args.seconds, "rounds": args.rounds, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
