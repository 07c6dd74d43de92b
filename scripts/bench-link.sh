#!/usr/bin/env bash
# Vigie's MAVLink reading against the references, in one run on this machine:
#  - the tlog reader (frame + CRC), parse + decode + translate, and `vigie tlog summary`'s path,
#    against MAVLink's C library (mavlink_parse_char, headers from pymavlink's mavgen, compiled
#    by the bench with the cc crate) and pymavlink, on the same 300 000-message tlog;
#  - the link's streaming ingest (FrameParser over 1 KiB chunks) against pymavlink.
# Usage: scripts/bench-link.sh [FRAMES_FOR_THE_INGEST]
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIE_PYTHON="${VIGIE_PYTHON:-python3}"
FRAMES="${1:-200000}"
TLOG="$(mktemp --suffix=.tlog)"
trap 'rm -f "$TLOG"' EXIT
cargo bench --quiet -p vigie_link --bench tlog_vs_c
cargo run --quiet --release -p vigie_link --example telemetry_stream -- "$TLOG" "$FRAMES" | tee /tmp/vigie-bench-link.txt
"$VIGIE_PYTHON" - "$TLOG" "$FRAMES" <<'PYEOF' | tee -a /tmp/vigie-bench-link.txt
import os, sys, time
os.environ["MAVLINK20"] = "1"
from pymavlink import mavutil
path, frames = sys.argv[1], int(sys.argv[2])
best = None
for _ in range(3):
    m = mavutil.mavlink_connection(path, dialect="ardupilotmega")
    t0 = time.perf_counter(); n = 0
    while m.recv_msg() is not None:
        n += 1
    dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
assert n == frames, (n, frames)
print(f"pymavlink: {n} frames in {best:.3f} s = {n/best:.0f} msgs/s")
PYEOF
awk '/vigie_link/ {v=$(NF-1)} /pymavlink:/ {p=$(NF-1)} END {printf "ratio vigie ingest/pymavlink: %.1fx\n", v/p}' /tmp/vigie-bench-link.txt
