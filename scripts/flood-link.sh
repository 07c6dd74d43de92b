#!/usr/bin/env bash
# The link flood at full size: 100 000 frames/s of garbage, invented vehicles, spoofed and forged
# frames on the station's UDP port for 30 s while vigie-sim flies, in release, loopback only.
# Prints the figures (rates, what the hub refused and how, table sizes, memory, command round
# trips). CI runs the same test for 3 s at 10 000 frames/s.
# Usage: scripts/flood-link.sh [SECONDS] [FRAMES_PER_S]
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIE_FLOOD_SECS="${1:-30}" VIGIE_FLOOD_RATE="${2:-100000}"
export VIGIE_PYTHON="${VIGIE_PYTHON:-python3}"
cargo build --quiet --release -p vigie_sim
cargo test --quiet --release -p vigie_link --test integration -- flood:: --nocapture 2>&1 \
  | grep -E '^(flood|hub|tables|memory|vehicle 1):|test result|panicked|FAILED'
