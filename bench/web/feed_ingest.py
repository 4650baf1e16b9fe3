"""A month of a data feed for 3,321 communes × 20 fields, ingested while 50 focal
points save answers (issue 33's speed goal: under 2 s on SQLite, saves p99 under
100 ms meanwhile), beside its anchors in the same run:

- the same ingestion with nobody saving (what the savers cost it);
- the same savers with nothing ingested (what the ingestion costs them).

Starts `dti serve --demo` (a release build) on a fresh SQLite folder with the
shipped feeds plus `bench-20` (20 numeric fields, made here), adds a province
of 3,321 communes through the API, a framework binding each field to a
criterion (and one typed criterion for the savers), and a period in
self-assessment for them. Then, alternating, each twice: ingestion alone,
ingestion with the savers running. Each ingestion sends a new month, so every
one of the 66,420 answers changes. Prints one table and writes it as JSON.

    python3 bench/web/feed_ingest.py .build/release/dti OUT_DIR [--rate 100] [--seconds 12]
"""
import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from run import Server, Session  # noqa: E402

COMMUNES = 3321
FIELDS = [f"f{i:02d}" for i in range(1, 21)]


def feed_yaml():
    fields = "\n".join(f"  - {{key: {f}, name: Trường đo {f}, type: number, unit: điểm, min: 0, max: 100}}" for f in FIELDS)
    return f"""schema: opendti.feed/1
key: bench-20
name: Nguồn đo tốc độ (20 trường)
publisher: OpenDTI — đo tốc độ
legal_basis: "Không: số liệu sinh ra để đo tốc độ"
version: 1
granularity: month
units: code
source:
  type: upload
fields:
{fields}
"""


def framework_yaml(year):
    bound = "\n".join(f"""          - component: "1.{i + 1}"
            name: Tiêu chí lấy tự động {f}
            max: 10
            rule:
              type: tiers
              tiers:
                - {{at_least: 80, points: 10}}
                - {{at_least: 50, points: 5}}
                - {{at_least: 0, points: 0}}
            feed: {{key: bench-20, field: {f}, combine: latest}}""" for i, f in enumerate(FIELDS))
    return f"""schema: opendti.framework/1
id: bench-feed-commune
title: Bộ chỉ số đo tốc độ nhận số liệu (cấp xã)
level: commune
year: {year}
version: 1
source: "Đo tốc độ của OpenDTI"
method: percent
display: {{decimals: 2, separator: ","}}
bands:
  - {{name: Tốt, min: 90}}
  - {{name: Yếu, min: 0}}
tree:
  - group: foundation
    name: Nhóm đo
    children:
      - index: "1"
        name: Lấy tự động
        children:
{bound}
      - index: "2"
        name: Đơn vị nhập
        children:
          - component: "2.1"
            name: Số cuộc họp
            max: 10
            rule:
              type: tiers
              tiers:
                - {{at_least: 4, points: 10}}
                - {{at_least: 0, points: 0}}
"""


def raw(session, method, path, body, content_type):
    req = urllib.request.Request(session.base + path, method=method, data=body.encode(),
                                 headers={"Content-Type": content_type, "X-CSRF-Token": session.csrf, "Cookie": session.cookie()})
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status, json.load(r)


def setup(server, work, year, savers):
    admin = Session(server.base, "quantri")
    codes = [f"BX{i:04d}" for i in range(1, COMMUNES + 1)]
    units = ["code,name,level,group,tags,parent", "BENCH,UBND tỉnh Đo tốc độ,province,Tỉnh,,"]
    units += [f"{c},Xã Đo {c[2:]},commune,Xã,,BENCH" for c in codes]
    status, created = raw(admin, "POST", "/api/v1/units/import", "\n".join(units) + "\n", "text/csv")
    assert created["created"] == COMMUNES + 1, created
    status, _ = raw(admin, "POST", "/api/v1/frameworks", framework_yaml(year), "text/plain")
    assert status == 201, status
    today = datetime.date.today()
    day = lambda n: (today + datetime.timedelta(days=n)).isoformat()
    period = admin.call("POST", "/api/v1/periods", {
        "year": year, "title": "Kỳ đo tốc độ nhận số liệu",
        "phases": [{"phase": "self_assessment", "startsOn": day(-1), "endsOn": day(30)}],
        "frameworks": [{"level": "commune", "key": "bench-feed-commune", "version": 1}],
        "units": codes})["period"]["id"]
    pairs = []
    for code in codes[:savers]:
        username = "bench." + code.lower()
        admin.call("POST", "/api/v1/users", {"username": username, "displayName": "Đo " + code, "password": "Mat-khau#2026",
                                              "role": "focal_point", "unitCode": code})
        token = admin.call("POST", "/api/v1/tokens", {"username": username, "name": "bench"})["token"]
        pairs.append({"unit": code, "criterion": "2.1", "token": token, "version": 0, "top": 50})
    path = os.path.join(work, "tokens.json")
    json.dump(pairs, open(path, "w"))
    return admin, period, path, codes


def month_file(codes, year, month):
    rng = random.Random(year * 100 + month)
    lines = ["unit,period," + ",".join(FIELDS)]
    for c in codes:
        lines.append(f"{c},{year}-{month:02d}," + ",".join(f"{rng.uniform(0, 100):.2f}" for _ in FIELDS))
    return "\n".join(lines) + "\n"


def ingest(admin, body):
    started = time.monotonic()
    status, outcome = raw(admin, "POST", "/api/v1/feeds/bench-20/data", body, "text/csv")
    return time.monotonic() - started, status, outcome


def savers_run(server, period, tokens, clients, seconds, rate):
    out = subprocess.run([sys.executable, os.path.join(HERE, "saves.py"), server.base, period, tokens, str(clients), str(seconds), str(server.process.pid),
                          "--rate", str(rate)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dti")
    parser.add_argument("out")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=100, help="saves per second, all clients together (paced: saves.py says why)")
    parser.add_argument("--seconds", type=float, default=12, help="how long each savers' run lasts (the ingestion starts 2 s in)")
    parser.add_argument("--rounds", type=int, default=2)
    a = parser.parse_args()
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="dti-feed-bench-")
    feeds = os.path.join(work, "feeds")
    shutil.copytree(os.path.join(ROOT, "feeds"), feeds)
    open(os.path.join(feeds, "bench-20.yaml"), "w").write(feed_yaml())
    server = Server(a.dti, work, {"DTI_FEEDS_DIR": feeds})
    year = datetime.date.today().year + 1
    results = {"communes": COMMUNES, "fields": len(FIELDS), "clients": a.clients, "rate": a.rate, "alone": [], "with_savers": [], "savers_alone": [], "savers_during": []}
    try:
        started = time.monotonic()
        admin, period, tokens, codes = setup(server, work, year, a.clients)
        print(f"setup: {COMMUNES} communes, framework, period, {a.clients} focal points in {time.monotonic() - started:.1f} s", flush=True)
        month = 0
        for _ in range(a.rounds):
            month += 1
            elapsed, status, outcome = ingest(admin, month_file(codes, year, month))
            assert status == 201 and outcome["answersChanged"] == COMMUNES * len(FIELDS), (status, outcome)
            results["alone"].append(elapsed)
            print(f"month {month:02d} alone: {elapsed:.2f} s, {outcome['values']} values, {outcome['answersChanged']} answers", flush=True)

            saved = savers_run(server, period, tokens, a.clients, a.seconds, a.rate)
            results["savers_alone"].append(saved)
            print(f"savers alone: {saved}", flush=True)

            month += 1
            body = month_file(codes, year, month)
            box = {}
            driver = threading.Thread(target=lambda: box.update(saved=savers_run(server, period, tokens, a.clients, a.seconds, a.rate)))
            driver.start()
            time.sleep(2)
            elapsed, status, outcome = ingest(admin, body)
            driver.join()
            assert status == 201 and outcome["answersChanged"] == COMMUNES * len(FIELDS), (status, outcome)
            results["with_savers"].append(elapsed)
            results["savers_during"].append(box["saved"])
            print(f"month {month:02d} with {a.clients} savers: {elapsed:.2f} s; savers meanwhile: {box['saved']}", flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    med = lambda xs: round(statistics.median(xs), 3)
    summary = {
        "ingestion_alone_s": med(results["alone"]),
        "ingestion_with_savers_s": med(results["with_savers"]),
        "ratio_with_savers": round(med(results["with_savers"]) / med(results["alone"]), 2),
        "saves_p99_alone_ms": med([s["p99_ms"] for s in results["savers_alone"]]),
        "saves_p99_during_ms": med([s["p99_ms"] for s in results["savers_during"]]),
        "saves_lost": sum(s.get("lost", 0) for s in results["savers_alone"] + results["savers_during"]),
    }
    results["summary"] = summary
    print(json.dumps(summary), flush=True)
    json.dump(results, open(os.path.join(a.out, "feed-ingest.json"), "w"), ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
