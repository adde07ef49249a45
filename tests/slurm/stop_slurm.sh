#!/usr/bin/env bash
# Stop the one-node Slurm cluster of tests/slurm/start_slurm.sh (by its pid files; munged
# keeps running). The state and logs stay in $CALIBPIPE_SLURM_DIR (default /var/tmp/calibpipe-slurm).
set -euo pipefail
DIR="${CALIBPIPE_SLURM_DIR:-/var/tmp/calibpipe-slurm}"
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
for d in slurmd slurmctld; do
    pidfile="$DIR/run/$d.pid"
    if [ -s "$pidfile" ] && as_root kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        as_root kill "$(cat "$pidfile")"
        for _ in $(seq 1 40); do as_root kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.25; done
        echo "stop_slurm: stopped $d" >&2
    fi
    as_root rm -f "$pidfile"
done
