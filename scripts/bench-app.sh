#!/bin/sh
# The pilot's app, release build, real window under Xvfb: launch → first frame, frame time
# (median and p95, eframe's CPU time per frame: UI, tessellation, painting) with the map and
# one 1080p30 stream from vigie-sim, and the app's peak memory (VmHWM).
# Goals (issue 12): first frame ≤ 1 s, p95 ≤ 16 ms, peak RSS ≤ 300 MB.
#   cargo build --release -p vigie -p vigie_sim && scripts/bench-app.sh
set -eu
cd "$(dirname "$0")/.."
BIN="${BIN:-${CARGO_TARGET_DIR:-target}/release}"
SECS="${SECS:-40}"
work="$(mktemp -d)"
export XDG_RUNTIME_DIR="$work/xdg"; mkdir -m 700 "$XDG_RUNTIME_DIR"
export VIGIE_SIM_BIN="$BIN/vigie-sim" VIGIE_DATA_DIR="$work/data"
cat >"$work/run.sh" <<RUN
$BIN/vigie demo --lang fr --scenario istres-calm --video-height 1080 --duration $SECS --report-frames > $work/frames.txt &
pid=\$!
peak=0
while kill -0 \$pid 2>/dev/null; do
    hwm=\$(awk '/VmHWM/ {print \$2}' /proc/\$pid/status 2>/dev/null || echo 0)
    [ -n "\$hwm" ] && [ "\$hwm" -gt "\$peak" ] && peak=\$hwm
    sleep 0.2
done
wait \$pid
echo "peak_rss_kb=\$peak" > $work/rss.txt
RUN
xvfb-run -a -s "-screen 0 1920x1080x24" sh "$work/run.sh" >"$work/xvfb.log" 2>&1 || { cat "$work/xvfb.log"; exit 1; }
frames="$(grep vigie-frames "$work/frames.txt" || true)"
rss_kb="$(sed 's/peak_rss_kb=//' "$work/rss.txt")"
echo "$frames"
echo "peak RSS $((rss_kb / 1024)) MB"
echo "goals: first frame <= 1000 ms, p95 <= 16 ms, peak RSS <= 300 MB"
rm -rf "$work"
