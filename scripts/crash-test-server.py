#!/usr/bin/env python3
"""Crash safety of the coordinator: submit jobs and faucet deposits under load, SIGKILL the
server at random moments, restart it, and check that every acknowledged submission and
ledger transfer is still there. The server snapshots its state every --snapshot-interval
entries (small, so restarts load a snapshot and replay only the log after it; the script
checks they did, and that snapshots keep up: with --max-replayed, no restart may replay more
entries than that). Ends with a clean stop and a restart with the governance timer off (so
nothing is appended meanwhile), which must load the stop's snapshot of the whole log,
replay nothing and match the state digest recorded at the stop.

Prints one line per round (to stderr): the snapshot the restart loaded and whether it
advanced, the entries it replayed, the restart's wall time and its recovery time; then one
JSON object with the totals (to stdout, and to --json-out).

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


def start(binary, data, snapshot_interval, clear_interval=1):
    """Starts the coordinator; returns (process, base URL, seconds until it listened)."""
    started = time.monotonic()
    process = subprocess.Popen([binary, "serve", "--data", data, "--port", "0", "--json", "--log-level", "warning", "--devnet-faucet",
                                "--clear-interval", str(clear_interval), "--snapshot-interval", str(snapshot_interval)],
                               stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"the coordinator did not start (exit {process.wait()})")
    return process, json.loads(line)["listening"], time.monotonic() - started


def recovery(base):
    """How the server's start recovered, from /metrics: snapshot sequence, entries replayed,
    snapshots skipped, recovery milliseconds."""
    wanted = ("osg_recovery_snapshot_sequence", "osg_recovery_entries_replayed", "osg_recovery_snapshots_skipped",
              "osg_recovery_milliseconds")
    values = {}
    for line in requests.get(base + "/metrics", timeout=10).text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            values[name] = int(float(value))
    return tuple(values.get(name, 0) for name in wanted)


DEPOSIT = {"amount": "1"}


def load(base, tenants, acked, stop, lock, counters):
    session = requests.Session()
    while not stop.is_set():
        tenant = random.randrange(len(tenants))
        deposit = random.random() < 0.3
        try:
            with lock:
                counters["attempted_deposits"][tenant] += 1 if deposit else 0
            if deposit:
                r = tenants[tenant].send(session, base, "POST", "/v1/faucet", DEPOSIT, timeout=5)
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
        amount = float(DEPOSIT["amount"])
        low, high = acked["deposits"][index] * amount, counters["attempted_deposits"][index] * amount
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
    parser.add_argument("--max-replayed", type=int, default=None,
                        help="fail when a restart after a kill replays more entries than this (snapshots fell behind)")
    parser.add_argument("--json-out", default=None, help="also write the final JSON object to this file")
    parser.add_argument("--deposit-amount", type=int, default=1,
                        help="credits per faucet deposit; more lets more submissions be funded, so the state grows faster")
    args = parser.parse_args()
    DEPOSIT["amount"] = str(args.deposit_amount)
    if args.rounds < 1 or args.rounds > 1000 or args.workers < 1 or args.workers > 64:
        raise SystemExit("--rounds 1-1000, --workers 1-64")
    random.seed(args.seed)
    data = tempfile.mkdtemp(prefix="osg-crash-")
    tenants = [Participant(binary=args.bin) for _ in range(args.tenants)]
    acked = {"jobs": [], "deposits": [0] * args.tenants}
    counters = {"attempted_deposits": [0] * args.tenants, "server_errors": 0}
    lock = threading.Lock()
    problems = []
    restarts = []
    process, base, _ = start(args.bin, data, args.snapshot_interval)
    previous_snapshot = 0
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
        process, base, restart_seconds = start(args.bin, data, args.snapshot_interval)
        round_problems = verify(base, tenants, acked, counters)
        snapshot, replayed, skipped, recovery_ms = recovery(base)
        restarts.append({"snapshot_sequence": snapshot, "entries_replayed": replayed, "snapshots_skipped": skipped,
                         "restart_seconds": round(restart_seconds, 3), "recovery_ms": recovery_ms})
        if skipped:
            round_problems.append(f"round {round_number + 1}: the restart skipped {skipped} snapshots that did not load")
        if args.max_replayed is not None and replayed > args.max_replayed:
            round_problems.append(f"round {round_number + 1}: the restart replayed {replayed} entries, more than --max-replayed {args.max_replayed}")
        advanced = "advanced" if snapshot > previous_snapshot else "SAME" if snapshot == previous_snapshot else "older"
        previous_snapshot = max(previous_snapshot, snapshot)
        print(f"round {round_number + 1}: killed under load; {len(acked['jobs'])} submissions and "
              f"{sum(acked['deposits'])} deposits acknowledged so far; restart loaded snapshot {snapshot} ({advanced}), "
              f"replayed {replayed} entries, restarted in {restart_seconds:.2f} s (recovery {recovery_ms} ms); "
              f"{len(round_problems)} problems", file=sys.stderr, flush=True)
        problems += round_problems
    # A clean stop snapshots the final state and records its digest. The restart runs without
    # the governance timer, so the log cannot grow while it is read: the stop's snapshot must
    # cover all of it, nothing may be replayed, and the start checked it against the digest.
    process.send_signal(signal.SIGTERM)
    if process.wait(timeout=60) != 0:
        problems.append("the clean stop did not exit 0")
    process, base, restart_seconds = start(args.bin, data, args.snapshot_interval, clear_interval=0)
    problems += verify(base, tenants, acked, counters)
    ready = requests.get(base + "/ready", timeout=10).json()
    snapshot, replayed, skipped, recovery_ms = recovery(base)
    final_restart = {"snapshot_sequence": snapshot, "entries_replayed": replayed, "snapshots_skipped": skipped,
                     "restart_seconds": round(restart_seconds, 3), "recovery_ms": recovery_ms}
    if replayed != 0 or snapshot != ready["log_entries"]:
        problems.append(f"after the clean stop the restart loaded the snapshot at {snapshot} and replayed {replayed} entries; "
                        f"expected the stop's snapshot of all {ready['log_entries']} entries")
    if not any(restart["snapshot_sequence"] > 0 for restart in restarts) and ready["log_entries"] > 2 * args.snapshot_interval:
        problems.append("no restart after a kill went through a snapshot")
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    # The published transparency log survived every kill: an independent audit verifies it.
    audit = subprocess.run([args.bin, "audit", "--from", os.path.join(data, "log"), "--state-dir",
                            tempfile.mkdtemp(prefix="osg-crash-audit-"), "--json"], capture_output=True, text=True, timeout=600)
    if audit.returncode != 0:
        problems.append(f"osg audit of the published log exited {audit.returncode}: {audit.stdout.strip()[:400]} {audit.stderr.strip()[:400]}")
    if counters["server_errors"]:
        problems.append(f"{counters['server_errors']} answers were 5xx")
    if ready["log_entries"] < len(acked["jobs"]) + sum(acked["deposits"]):
        problems.append("the log holds fewer entries than were acknowledged")
    replays = [restart["entries_replayed"] for restart in restarts]
    seconds = sorted(restart["restart_seconds"] for restart in restarts)
    sequences = [restart["snapshot_sequence"] for restart in restarts]
    summary = {"rounds": args.rounds, "acknowledged_submissions": len(acked["jobs"]),
               "acknowledged_deposits": sum(acked["deposits"]), "log_entries": ready["log_entries"],
               "audit": audit.stdout.strip() and json.loads(audit.stdout).get("verdict"),
               "snapshot_interval": args.snapshot_interval, "deposit_amount": args.deposit_amount,
               "rounds_snapshot_advanced": sum(1 for a, b in zip([0] + sequences, sequences) if b > a),
               "entries_replayed_max": max(replays), "entries_replayed_mean": round(sum(replays) / len(replays), 1),
               "restart_seconds_median": seconds[len(seconds) // 2], "restart_seconds_max": seconds[-1],
               "final_restart": final_restart, "restarts": restarts, "problems": problems}
    text = json.dumps(summary)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as out:
            out.write(text + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
