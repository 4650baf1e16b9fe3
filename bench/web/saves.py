"""Save driver: N clients, each the focal point of its own unit saving one
criterion over and over through the API (PUT …/answers/:criterion with the
version it last read), on keep-alive HTTP/1.1 connections (asyncio streams,
no HTTP library: the client must cost little beside the server). Prints
saves/s, latency percentiles and conflicts; then reads every pair back and
counts acknowledged saves whose value is not the stored one (lost saves).

    python3 bench/web/saves.py BASE_URL PERIOD_ID TOKENS.json CLIENTS SECONDS [SERVER_PID] [--rate R]

Without --rate the clients are a closed loop: each sends its next save as
soon as the last is answered, so at 200 clients the mean latency is
200 / (saves per second) by Little's law — under 100 ms only above 2,000/s.
With --rate R the clients are paced (an open loop): together they send R
saves per second, each client one every CLIENTS/R seconds from a random
start, and a save's latency is counted from when it was due, not from when
it was sent, so a slow server cannot hide its queue by holding the clients
back (coordinated omission). A client whose answer comes late sends its next
save at once; "saves_per_s" then falls below R.
With SERVER_PID (a server on this machine), the server's CPU time over the
saving (user + system, from /proc, the read-back left out) is divided by the
saves: "cpu_ms_per_save". The driver's own CPU per save ("driver_cpu_ms_per_save")
is printed always: it runs on the same cores as the server.
TOKENS.json: [{"unit": CODE, "criterion": CODE, "token": TOKEN, "version": N, "top": MAX}, ...]
(each client saves whole numbers from 0 to MAX, 50 when absent)
"""
import asyncio
import json
import os
import random
import sys
import time
import urllib.request
from urllib.parse import urlparse


async def client(host, port, path, token, version, deadline, latencies, state, interval=None, top=50):
    reader, writer = await asyncio.open_connection(host, port)
    acknowledged = None
    conflicts = 0
    sent = 0
    due = time.monotonic() + (random.uniform(0, interval) if interval else 0)
    while True:
        if interval:
            if due >= deadline:
                break
            await asyncio.sleep(max(0, due - time.monotonic()))
        elif time.monotonic() >= deadline:
            break
        value = str(random.randint(0, top))
        body = json.dumps({"value": value, "version": version}).encode()
        request = (f"PUT {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        started = due if interval else time.monotonic()
        if interval:
            due += interval
        sent += 1
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, rest = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(rest.strip())
        payload = await reader.readexactly(length)
        latencies.append(time.monotonic() - started)
        status = int(status_line.split()[1])
        if status == 200:
            version = json.loads(payload)["version"]
            acknowledged = value
        elif status == 409:
            conflicts += 1
            version = json.loads(payload).get("currentVersion", version)
        else:
            state["errors"] += 1
    writer.close()
    state["conflicts"] += conflicts
    state["per_client"].append(sent)
    return acknowledged


def cpu_seconds(pid):
    """User + system CPU of a process so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(base, period, pairs, clients, seconds, pid=None, rate=None):
    url = urlparse(base)
    deadline = time.monotonic() + seconds
    latencies, state = [], {"errors": 0, "conflicts": 0, "per_client": []}
    chosen = pairs[:clients]
    if len(chosen) < clients:
        raise SystemExit(f"only {len(chosen)} unit–criterion pairs for {clients} clients")
    cpu_before = cpu_seconds(pid) if pid else None
    client_before = time.process_time()
    started = time.monotonic()
    acked = await asyncio.gather(*[
        client(url.hostname, url.port, f"/api/v1/periods/{period}/units/{p['unit']}/answers/{p['criterion']}", p["token"], p["version"],
               deadline, latencies, state, clients / rate if rate else None, p.get("top", 50)) for p in chosen])
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(pid) - cpu_before if pid else None
    client_cpu = time.process_time() - client_before
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
    # Every acknowledged value is read back.
    lost = 0
    for p, value in zip(chosen, acked):
        if value is None:
            continue
        req = urllib.request.Request(f"{base}/api/v1/periods/{period}/units/{p['unit']}/self-assessment",
                                     headers={"Authorization": "Bearer " + p["token"]})
        rows = json.load(urllib.request.urlopen(req))["rows"]
        stored = next(r["value"] for r in rows if r["code"] == p["criterion"])
        if stored != value:
            lost += 1
    result = {"clients": clients, **({"rate": rate} if rate else {}), "saves": len(latencies), "saves_per_s": round(len(latencies) / elapsed, 1),
              "p50_ms": round(pct(0.50), 1), "p99_ms": round(pct(0.99), 1), "conflicts": state["conflicts"],
              "errors": state["errors"], "lost": lost,
              "saves_per_client": [min(state["per_client"]), max(state["per_client"])]}
    if cpu is not None and latencies:
        result["cpu_ms_per_save"] = round(cpu * 1000 / len(latencies), 2)
    if latencies:
        # The driver shares the machine's two cores with the server.
        result["driver_cpu_ms_per_save"] = round(client_cpu * 1000 / len(latencies), 2)
    print(json.dumps(result))


if __name__ == "__main__":
    args = sys.argv[1:]
    rate = None
    if "--rate" in args:
        at = args.index("--rate")
        rate = float(args[at + 1])
        del args[at:at + 2]
    base, period, tokens, clients, seconds = args[0], args[1], args[2], int(args[3]), float(args[4])
    pid = int(args[5]) if len(args) > 5 else None
    asyncio.run(run(base, period, json.load(open(tokens)), clients, seconds, pid, rate))
