"""The live ranking of a 4,000-unit period after one changed score (goal 5).

A release server on a fresh demo; the administrator creates a commune-level
period in evaluation (the demo's commune framework) through the API. The
server is stopped and 4,012 communes (34 groups of 118) are written straight
into its SQLite file, each with a submitted self-assessment answering every
criterion (writing them through the API would take longer than the rest of
the benchmark). Then, on the restarted server:

- the live ranking (`/api/v1/periods/:id/ranking`, then the page
  `/periods/:id/ranking` and its first group's page), asked five times with
  nothing changed;
- ten times: the evaluator scores one criterion of another unit through the
  API, then the ranking is asked once (timed), and the unit's index in it is
  checked against the one before the change.

    python3 bench/web/live_ranking.py .build/release/dti [--units 4012]
"""
import argparse
import datetime
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Server, Session  # noqa: E402


def timed(session, path):
    started = time.monotonic()
    req = urllib.request.Request(session.base + path, headers={"Cookie": session.cookie()})
    body = urllib.request.urlopen(req, timeout=600).read()
    return (time.monotonic() - started) * 1000, body


def self_points(n, i, micros):
    """Unit n's own points for leaf i (of maximum `micros`), in hundredths."""
    return micros * ((n * 7 + i * 13) % 101) // 100 // 10000 * 10000


def populate(db_path, period, leaves, count):
    """`count` communes in groups of 118, each in the period with every leaf answered and submitted."""
    db = sqlite3.connect(db_path)
    now = time.time()
    units, members, submissions, answers = [], [], [], []
    for n in range(count):
        g, c = divmod(n, 118)
        unit, submission = str(uuid.uuid4()).upper(), str(uuid.uuid4()).upper()
        name = f"Xã Thử {g + 1:02d}-{c + 1:03d}"
        units.append((unit, f"THU{n:05d}", name, name.lower(), "commune", f"Tỉnh thử {g + 1:02d}", "", now))
        members.append((str(uuid.uuid4()).upper(), period, unit))
        submissions.append((submission, period, unit, "submitted", now, 1, now))
        for i, (code, micros) in enumerate(leaves):
            points = self_points(n, i, micros)
            text = f"{points // 1000000},{points % 1000000 // 10000:02d}"
            answers.append((str(uuid.uuid4()).upper(), submission, code, text, "", "", points, 1, "bench", now))
    db.executemany("INSERT INTO units (id, code, name, search_key, level, group_name, tags, created_at) VALUES (?,?,?,?,?,?,?,?)", units)
    db.executemany("INSERT INTO period_units (id, period_id, unit_id) VALUES (?,?,?)", members)
    db.executemany("INSERT INTO submissions (id, period_id, unit_id, status, submitted_at, version, updated_at) VALUES (?,?,?,?,?,?,?)", submissions)
    db.executemany("INSERT INTO answers (id, submission_id, criterion, value, b, explanation, self_points, version, updated_by, updated_at) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?)", answers)
    db.commit()
    db.close()
    return len(answers)


def index_of(body, unit):
    for level in json.loads(body)["levels"]:
        for row in level["units"]:
            if row["unit"] == unit:
                return row["index"], row["rank"]
    raise SystemExit(f"{unit} is not in the live ranking")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dti")
    parser.add_argument("--units", type=int, default=4012)
    parser.add_argument("--asks", type=int, default=6, help="times each address is asked with nothing changed (the first included)")
    parser.add_argument("--changes", type=int, default=10, help="scores changed, each followed by one timed request")
    parser.add_argument("--page", action=argparse.BooleanOptionalAction, default=True, help="also time the page /periods/:id/ranking")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dti-live-ranking-")
    server = Server(args.dti, work)
    admin = Session(server.base, "quantri")
    today = datetime.date.today()
    day = lambda n: (today + datetime.timedelta(days=n)).isoformat()
    period = admin.call("POST", "/api/v1/periods", {
        "year": today.year + 2, "title": "Kỳ đo xếp hạng tạm thời",
        "phases": [{"phase": "self_assessment", "startsOn": day(-30), "endsOn": day(-10)},
                   {"phase": "evaluation", "startsOn": day(-9), "endsOn": day(30)}],
        "frameworks": [{"level": "commune", "key": "demo-2026-commune", "version": 1}]})["period"]["id"]
    nodes = admin.call("GET", "/api/v1/frameworks/demo-2026-commune/1")["nodes"]
    leaves = [(r["code"], round(float(str(r["max"]).replace(",", ".")) * 1000000)) for r in nodes if r["kind"] not in ("group", "index")]
    server.stop()
    started = time.monotonic()
    written = populate(os.path.join(work, "data", "opendti.sqlite"), period, leaves, args.units)
    print(f"{args.units} communes, {len(leaves)} criteria, {written} answers written in {time.monotonic() - started:.1f} s", flush=True)

    server = Server(args.dti, work)
    try:
        admin = Session(server.base, "quantri")
        evaluator = Session(server.base, "thamdinh")
        paths = [f"/api/v1/periods/{period}/ranking"] + ([f"/periods/{period}/ranking", f"/periods/{period}/ranking?level=commune&group=1"] if args.page else [])
        for offset, path in enumerate(paths):
            times = []
            for ask in range(args.asks):
                if offset == 0 and ask == 0:
                    # Meanwhile, /healthz on new connections (each lands on one of the server's event
                    # loops): how long other requests wait while the first computation runs.
                    stop, waits = threading.Event(), []
                    def ping():
                        while not stop.is_set():
                            started = time.monotonic()
                            urllib.request.urlopen(server.base + "/healthz", timeout=60).read()
                            waits.append((time.monotonic() - started) * 1000)
                            time.sleep(0.01)
                    pinger = threading.Thread(target=ping)
                    pinger.start()
                    ms, body = timed(admin, path)
                    stop.set()
                    pinger.join()
                    waits.sort()
                    print(f"/healthz while the first computation ran: {len(waits)} requests, median {statistics.median(waits):.1f} ms, "
                          f"slowest {waits[-1]:.0f} ms", flush=True)
                else:
                    ms, body = timed(admin, path)
                times.append(ms)
            print(f"{path}: {len(body)} bytes; first {times[0]:.0f} ms, then unchanged {sorted(round(t) for t in times[1:])} ms", flush=True)
            after = []
            for k in range(args.changes):
                n = (k * 397 + offset) % args.units
                unit, code = f"Xã Thử {n // 118 + 1:02d}-{n % 118 + 1:03d}", f"THU{n:05d}"
                i = k % len(leaves)
                criterion, micros = leaves[i]
                before = index_of(timed(admin, f"/api/v1/periods/{period}/ranking")[1], unit)
                score = micros if self_points(n, i, micros) == 0 else 0
                points = f"{score // 1000000},{score % 1000000 // 10000:02d}"
                evaluator.call("PUT", f"/api/v1/periods/{period}/units/{code}/evaluation/{criterion}", {"points": points, "note": "đo", "version": 1})
                ms, body = timed(admin, path)
                after.append(ms)
                if "api" in path:
                    now = index_of(body, unit)
                    if now == before and micros > 0:
                        raise SystemExit(f"{unit}: the ranking did not follow the change ({before})")
            if after:
                print(f"{path} after one changed score: median {statistics.median(after):.0f} ms, "
                      f"min {min(after):.0f}, max {max(after):.0f} ({args.changes} changes)", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
