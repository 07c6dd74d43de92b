#!/usr/bin/env bash
# kill -9 at random moments of short demo flights, N times (default 100), the same data
# directory throughout: after every kill the register must verify and never lose an entry.
# Prints the figures. Usage: scripts/kill-loop.sh [N]   (builds the debug binaries first)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100}"
cargo build --quiet -p vigie -p vigie_sim
BIN="${CARGO_TARGET_DIR:-target}/debug/vigie"
export VIGIE_SIM_BIN="${CARGO_TARGET_DIR:-target}/debug/vigie-sim"
DATA="$(mktemp -d)"
export VIGIE_DATA_DIR="$DATA"
trap 'rm -rf "$DATA"' EXIT
entries=0; verified=0; start=$(date +%s)
for i in $(seq 1 "$N"); do
  "$BIN" demo --headless --no-video --speedup 3 >/dev/null 2>&1 &
  pid=$!
  # A moment anywhere in the flight: boot, fence upload, arming, climbing, patrol, landing.
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + (r % 4000) / 100 }')"
  sims=$(ps -o pid= --ppid "$pid" || true)
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for s in $sims; do kill -9 "$s" 2>/dev/null || true; done
  out=$("$BIN" register verify --training 2>&1) || { echo "kill $i: register does not verify:"; echo "$out"; exit 1; }
  n=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) entries.*/\1/p' | head -1)
  n=${n:-0}
  if [ "$n" -lt "$entries" ]; then echo "kill $i: entries went from $entries to $n"; exit 1; fi
  entries=$n; verified=$((verified + 1))
done
echo "kill -9 loop: $verified/$N restarts verified, $entries entries kept, $(( $(date +%s) - start )) s"
