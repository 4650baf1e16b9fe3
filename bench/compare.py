#!/usr/bin/env python3
"""End-to-end comparison, in one run: `dti score` (release build) against the
straightforward pandas script on the same national-size data set.

Runs the two commands alternately, RUNS times each, reports medians and
their ratio, and checks that both produce the same index and rank for every
unit.

    python3 bench/compare.py DATA_DIR [--runs 7] [--dti .build/release/dti]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def read(path, index_col):
    with open(path, encoding="utf-8") as f:
        return {row["unit"]: (row[index_col], row["rank"]) for row in csv.DictReader(f)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--dti", default=os.path.join(HERE, "..", ".build", "release", "dti"))
    args = ap.parse_args()
    d = args.data
    fw, units, responses = (os.path.join(d, n) for n in ("framework.yaml", "units.csv", "responses.csv"))
    dti_out, pandas_out = os.path.join(d, "dti.csv"), os.path.join(d, "pandas.csv")
    dti_cmd = [args.dti, "score", fw, units, responses, "--format", "csv", "-o", dti_out]
    pandas_cmd = [sys.executable, os.path.join(HERE, "pandas_score.py"), fw, units, responses, pandas_out]

    # One warm-up each (file cache, Python imports), then alternate.
    timed(dti_cmd)
    timed(pandas_cmd)
    dti_times, pandas_times = [], []
    for _ in range(args.runs):
        dti_times.append(timed(dti_cmd))
        pandas_times.append(timed(pandas_cmd))

    ours = read(dti_out, "index")
    theirs = read(pandas_out, "index")
    def norm(v):
        return "" if v in ("", "nan") else f"{float(v):.2f}"
    disagree = [u for u in ours if (norm(ours[u][0]), ours[u][1]) != (norm(theirs[u][0]), str(int(float(theirs[u][1]))))]

    dti_median, pandas_median = statistics.median(dti_times), statistics.median(pandas_times)
    print(f"units: {len(ours)}; runs: {args.runs} each, alternating")
    print(f"dti score (release)   median {dti_median * 1000:8.0f} ms   (min {min(dti_times) * 1000:.0f}, max {max(dti_times) * 1000:.0f})")
    print(f"pandas baseline       median {pandas_median * 1000:8.0f} ms   (min {min(pandas_times) * 1000:.0f}, max {max(pandas_times) * 1000:.0f})")
    print(f"speed-up (pandas / dti, medians): {pandas_median / dti_median:.1f}x")
    print(f"units whose index or rank differ between the two: {len(disagree)}")
    for u in disagree[:10]:
        print(f"  {u}: dti {ours[u]} pandas {theirs[u]}")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
