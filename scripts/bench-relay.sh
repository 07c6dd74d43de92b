#!/usr/bin/env bash
# Field → relay → viewer latency of the CSU relay against a plain-GStreamer floor measured in the
# same run, at 1, 4 and 8 RTSP viewers, and the relay process's CPU (crates/video/examples/relay_latency.rs):
#  - floor: the stamped 720p30 H.264 sender received directly by one Ingest;
#  - relay: the same packets to a relay process (Ingest + authenticated RTSP restream, what
#    `vigie video relay` runs), over RTP/UDP and over SRT with a passphrase from a field station;
#  - viewers: N decoding Ingests on rtsp://…?transport=tcp.
# Usage: scripts/bench-relay.sh [--seconds 10] [--viewers 1,4,8] [--uplink rtp|srt|both] [--srt-latency-ms 20]
# Builds only vigie_video (release). Figures: stdout and /tmp/vigie-bench-relay.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=/tmp/vigie-bench-relay.txt
cargo build --quiet --release -p vigie_video --example relay_latency
cargo run --quiet --release -p vigie_video --example relay_latency -- "$@" | tee "$OUT"
echo "figures written to $OUT"
