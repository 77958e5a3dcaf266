#!/usr/bin/env python3
"""Crash safety of the coordinator: submit jobs and faucet deposits under load, SIGKILL the
server at random moments, restart it, and check that every acknowledged submission and
ledger transfer is still there. The server snapshots its state every --snapshot-interval
entries (small, so restarts load a snapshot and replay only the log after it; the script
checks they did). Ends with a clean stop and a restart, which loads the stop's snapshot
(replaying nothing) and checks it against the state digest recorded at the stop.

Bounded: --rounds rounds of at most --max-seconds of load each; loopback only.
Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osg_client import Participant  # noqa: E402

SPEC = {"name": "crash", "image": "ghcr.io/org/trainer:1.2",
        "resources": {"gpu": {"model": "A100", "count": 1, "vram_gib": 40}, "cpu": 4, "memory_gib": 32},
        "nodes": 1, "duration": "1h", "max_duration": "2h", "max_price": 2.5}


def start(binary, data, snapshot_interval):
    process = subprocess.Popen([binary, "serve", "--data", data, "--port", "0", "--json", "--log-level", "warning", "--devnet-faucet",
                                "--clear-interval", "1", "--snapshot-interval", str(snapshot_interval)],
                               stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"the coordinator did not start (exit {process.wait()})")
    return process, json.loads(line)["listening"]


def recovery(base):
    """How the server's start recovered, from /metrics: (snapshot sequence, entries replayed)."""
    values = {}
    for line in requests.get(base + "/metrics", timeout=10).text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("osg_recovery_snapshot_sequence", "osg_recovery_entries_replayed", "osg_recovery_snapshots_skipped"):
            values[name] = int(float(value))
    return (values.get("osg_recovery_snapshot_sequence", 0), values.get("osg_recovery_entries_replayed", 0),
            values.get("osg_recovery_snapshots_skipped", 0))


def load(base, tenants, acked, stop, lock, counters):
    session = requests.Session()
    while not stop.is_set():
        tenant = random.randrange(len(tenants))
        deposit = random.random() < 0.3
        try:
            with lock:
                counters["attempted_deposits"][tenant] += 1 if deposit else 0
            if deposit:
                r = tenants[tenant].send(session, base, "POST", "/v1/faucet", {"amount": "1"}, timeout=5)
                if r.status_code == 200:
                    with lock:
                        acked["deposits"][tenant] += 1
            else:
                r = tenants[tenant].send(session, base, "POST", "/v1/jobs", SPEC, timeout=5)
                if r.status_code == 201:
                    with lock:
                        acked["jobs"].append((tenant, r.json()["job"]))
            if r.status_code >= 500:
                with lock:
                    counters["server_errors"] += 1
        except requests.RequestException:
            time.sleep(0.01)  # the server is down; the main thread restarts it


def verify(base, tenants, acked, counters):
    session = requests.Session()
    problems = []
    listed = {}
    for index, tenant in enumerate(tenants):
        r = tenant.send(session, base, "GET", "/v1/jobs")
        if r.status_code != 200:
            problems.append(f"tenant {index}: GET /v1/jobs answered {r.status_code}")
            continue
        listed[index] = {job["id"] for job in r.json()["jobs"]}
        r = tenant.send(session, base, "GET", "/v1/account")
        available = float(r.json()["available"])
        low, high = acked["deposits"][index], counters["attempted_deposits"][index]
        if not (low <= available <= high):
            problems.append(f"tenant {index}: balance {available}, but {low} deposits were acknowledged and {high} attempted")
    missing = [job for tenant, job in acked["jobs"] if job not in listed.get(tenant, set())]
    if missing:
        problems.append(f"{len(missing)} acknowledged submissions are missing, e.g. {missing[:5]}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/debug/osg")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-seconds", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--tenants", type=int, default=16)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--snapshot-interval", type=int, default=50)
    args = parser.parse_args()
    if args.rounds < 1 or args.rounds > 100 or args.workers < 1 or args.workers > 64:
        raise SystemExit("--rounds 1-100, --workers 1-64")
    random.seed(args.seed)
    data = tempfile.mkdtemp(prefix="osg-crash-")
    tenants = [Participant() for _ in range(args.tenants)]
    acked = {"jobs": [], "deposits": [0] * args.tenants}
    counters = {"attempted_deposits": [0] * args.tenants, "server_errors": 0}
    lock = threading.Lock()
    problems = []
    restarts = []
    process, base = start(args.bin, data, args.snapshot_interval)
    for round_number in range(args.rounds):
        stop = threading.Event()
        workers = [threading.Thread(target=load, args=(base, tenants, acked, stop, lock, counters)) for _ in range(args.workers)]
        for worker in workers:
            worker.start()
        time.sleep(random.uniform(0.2, args.max_seconds))
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
        for worker in workers:
            worker.join()
        process, base = start(args.bin, data, args.snapshot_interval)
        round_problems = verify(base, tenants, acked, counters)
        snapshot, replayed, skipped = recovery(base)
        restarts.append({"snapshot_sequence": snapshot, "entries_replayed": replayed, "snapshots_skipped": skipped})
        if skipped:
            round_problems.append(f"round {round_number + 1}: the restart skipped {skipped} snapshots that did not load")
        print(f"round {round_number + 1}: killed under load; {len(acked['jobs'])} submissions and "
              f"{sum(acked['deposits'])} deposits acknowledged so far; restart loaded the snapshot at {snapshot} and "
              f"replayed {replayed} entries; {len(round_problems)} problems", file=sys.stderr)
        problems += round_problems
    # A clean stop records the state digest; the restart replays the log and must match it.
    process.send_signal(signal.SIGTERM)
    if process.wait(timeout=60) != 0:
        problems.append("the clean stop did not exit 0")
    process, base = start(args.bin, data, args.snapshot_interval)
    problems += verify(base, tenants, acked, counters)
    ready = requests.get(base + "/ready", timeout=10).json()
    snapshot, replayed, skipped = recovery(base)
    restarts.append({"snapshot_sequence": snapshot, "entries_replayed": replayed, "snapshots_skipped": skipped})
    if replayed != 0 or snapshot != ready["log_entries"]:
        problems.append(f"after the clean stop the restart loaded the snapshot at {snapshot} and replayed {replayed} entries; "
                        f"expected the stop's snapshot of all {ready['log_entries']} entries")
    if not any(restart["snapshot_sequence"] > 0 for restart in restarts[:-1]) and ready["log_entries"] > 2 * args.snapshot_interval:
        problems.append("no restart after a kill went through a snapshot")
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    # The published transparency log survived every kill: an independent audit verifies it.
    audit = subprocess.run([args.bin, "audit", "--from", os.path.join(data, "log"), "--state-dir",
                            tempfile.mkdtemp(prefix="osg-crash-audit-"), "--json"], capture_output=True, text=True, timeout=300)
    if audit.returncode != 0:
        problems.append(f"osg audit of the published log exited {audit.returncode}: {audit.stdout.strip()[:400]} {audit.stderr.strip()[:400]}")
    if counters["server_errors"]:
        problems.append(f"{counters['server_errors']} answers were 5xx")
    if ready["log_entries"] < len(acked["jobs"]) + sum(acked["deposits"]):
        problems.append("the log holds fewer entries than were acknowledged")
    print(json.dumps({"rounds": args.rounds, "acknowledged_submissions": len(acked["jobs"]),
                      "acknowledged_deposits": sum(acked["deposits"]), "log_entries": ready["log_entries"],
                      "audit": audit.stdout.strip() and json.loads(audit.stdout).get("verdict"),
                      "snapshot_interval": args.snapshot_interval, "restarts": restarts,
                      "problems": problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
