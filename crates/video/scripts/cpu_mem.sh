#!/usr/bin/env bash
# CPU and memory of the station's video side with 1 stream displayed + 4 CSU viewers + recording,
# against bare gst-launch-1.0 pipelines doing the same work (receive, decode to RGBA, record
# Matroska segments, send RTP to 4 clients), measured in the same run on the same packets.
#
#   crates/video/scripts/cpu_mem.sh [720|1080] [SECONDS]
#
# Needs the peer binary: `cargo build -p vigie_video` (or --release and PEER=…/release/vigie-video-peer).
set -euo pipefail
HEIGHT=${1:-720}
SECONDS_TO_MEASURE=${2:-20}
case "$HEIGHT" in 720) SIZE=1280x720 ;; 1080) SIZE=1920x1080 ;; *) echo "height 720 or 1080" >&2; exit 2 ;; esac
TARGET=${CARGO_TARGET_DIR:-$(dirname "$0")/../../../target}
PEER=${PEER:-$TARGET/debug/vigie-video-peer}
[ -x "$PEER" ] || { echo "no peer binary at $PEER: run cargo build -p vigie_video" >&2; exit 2; }

ports=($(python3 -c 'import socket
s=[socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(7)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))'))
P_STATION=${ports[0]}; P_BARE=${ports[1]}; RTSP_PORT=${ports[2]}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# The drone: one stamped 30 fps H.264 stream sent to both receivers.
"$PEER" send --to "127.0.0.1:$P_STATION,127.0.0.1:$P_BARE" --size "$SIZE" --fps 30 --until-killed </dev/null >/dev/null &
PIDS+=($!)

# The station: decode for the display (latest-frame slot read at 60 Hz), RTSP restream, recording.
mkdir -p "$WORK/station" "$WORK/bare"
"$PEER" station --from "udp://127.0.0.1:$P_STATION" --rtsp "127.0.0.1:$RTSP_PORT" --record "$WORK/station" --until-killed </dev/null >"$WORK/station.log" 2>&1 &
STATION_PID=$!
PIDS+=($STATION_PID)

# Bare GStreamer doing the same work.
gst-launch-1.0 -q udpsrc port="$P_BARE" caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H264" \
  ! rtph264depay ! h264parse config-interval=-1 ! tee name=t \
  t. ! queue ! avdec_h264 thread-type=slice max-threads=2 ! videoconvert n-threads=2 ! video/x-raw,format=RGBA ! fakesink sync=false \
  t. ! queue ! splitmuxsink muxer=matroskamux location="$WORK/bare/seg-%05d.mkv" max-size-time=4000000000 \
  t. ! queue ! rtph264pay config-interval=-1 pt=96 \
     ! multiudpsink clients="127.0.0.1:${ports[3]},127.0.0.1:${ports[4]},127.0.0.1:${ports[5]},127.0.0.1:${ports[6]}" sync=false \
  >/dev/null 2>&1 &
BARE_PID=$!
PIDS+=($BARE_PID)

# Four CSU viewers on the restream (their own CPU is the CSU's, not counted).
for _ in 1 2 3 4; do
  for _try in $(seq 50); do grep -q READY "$WORK/station.log" && break; sleep 0.1; done
  gst-launch-1.0 -q rtspsrc location="rtsp://127.0.0.1:$RTSP_PORT/drone1" latency=0 ! fakesink sync=false >/dev/null 2>&1 &
  PIDS+=($!)
done

sleep 4 # warm-up: first keyframe, RTSP sessions
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
s0=$(ticks "$STATION_PID"); b0=$(ticks "$BARE_PID"); t0=$(date +%s.%N)
sleep "$SECONDS_TO_MEASURE"
s1=$(ticks "$STATION_PID"); b1=$(ticks "$BARE_PID"); t1=$(date +%s.%N)
rss() { awk '/VmRSS/{print $2/1024}' "/proc/$1/status"; }
hwm() { awk '/VmHWM/{print $2/1024}' "/proc/$1/status"; }
viewers=$(grep -c ViewerStarted "$WORK/station.log" || true)
segments=$(grep -c '^SEGMENT' "$WORK/station.log" || true)
python3 - "$s0" "$s1" "$b0" "$b1" "$t0" "$t1" "$HZ" "$(rss $STATION_PID)" "$(hwm $STATION_PID)" "$(rss $BARE_PID)" "$(hwm $BARE_PID)" "$viewers" "$segments" "$HEIGHT" <<'PY'
import sys
s0,s1,b0,b1,t0,t1,hz=map(float,sys.argv[1:8]); srss,shwm,brss,bhwm=map(float,sys.argv[8:12])
viewers,segments,height=sys.argv[12],sys.argv[13],sys.argv[14]
dt=t1-t0
sc=(s1-s0)/hz/dt*100; bc=(b1-b0)/hz/dt*100
print(f"{height}p30, {dt:.0f} s, 1 stream displayed + {viewers} CSU viewers + recording ({segments} segments closed)")
print(f"{'':28}{'CPU % of one core':>20}{'RSS MB':>10}{'peak RSS MB':>13}")
print(f"{'vigie_video (station)':28}{sc:>20.1f}{srss:>10.0f}{shwm:>13.0f}")
print(f"{'bare gst-launch-1.0':28}{bc:>20.1f}{brss:>10.0f}{bhwm:>13.0f}")
print(f"ratio station / bare CPU: {sc/bc if bc else float('nan'):.2f} (goal <= 1.2)")
PY
