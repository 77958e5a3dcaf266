#!/usr/bin/env bash
# Stops the test Slurm that scripts/start-test-slurm.sh started: `scontrol shutdown` (slurmctld
# and slurmd), then munged when that script started it. Safe to call when nothing runs.
set -uo pipefail
dir=${OSG_TEST_SLURM_DIR:-/tmp/osg-test-slurm}
export SLURM_CONF=$dir/etc/slurm.conf

if [ -f "$SLURM_CONF" ]; then
  timeout 10 scontrol shutdown >/dev/null 2>&1 || true
fi
# Wait (bounded) for the daemons to go; kill what is left by its pid file.
for daemon in slurmctld slurmd; do
  pidfile=$dir/run/$daemon.pid
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    sleep 1
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done

marker=$dir/run/munged-started-by-us
if [ -s "$marker" ]; then
  pidfile=$(cat "$marker")
  if [ -s "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$marker"
fi
echo "test Slurm stopped"
