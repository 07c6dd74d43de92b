#!/bin/sh
# Screenshots of the real app window under Xvfb, in French, for docs/ (looked at by a person
# before they are committed): fly view under mistral denial, calm flight with video over the
# basemap, plan view with a leg refused over the air base, register desk.
# Needs xvfb-run and ImageMagick (`cargo xtask setup` installs both). Build first:
#   cargo build -p vigie -p vigie_sim        (or --release, and BIN=target/release)
set -eu
cd "$(dirname "$0")/.."
BIN="${BIN:-${CARGO_TARGET_DIR:-target}/debug}"
OUT="${OUT:-docs}"
mkdir -p "$OUT"
work="$(mktemp -d)"
export XDG_RUNTIME_DIR="$work/xdg"; mkdir -m 700 "$XDG_RUNTIME_DIR"
export VIGIE_SIM_BIN="$BIN/vigie-sim"

# shot NAME SECONDS-BEFORE-GRAB DATA-DIR DEMO-ARGS...
shot() {
    name="$1"; wait_s="$2"; data="$3"; shift 3
    # Each argument single-quoted for the inner shell (motives hold apostrophes).
    args=""
    for a in "$@"; do
        args="$args '$(printf %s "$a" | sed "s/'/'\\\\''/g")'"
    done
    cat >"$work/$name.sh" <<RUN
$BIN/vigie demo --lang fr $args &
pid=\$!
sleep $wait_s
import -window root $work/$name.png
wait \$pid
RUN
    VIGIE_DATA_DIR="$data" xvfb-run -a -s "-screen 0 1440x900x24" sh "$work/$name.sh" \
        >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
    # Small files: 1280 px wide, 256 colours.
    convert "$work/$name.png" -resize 1280x -colors 256 "PNG8:$OUT/$name.png"
    echo "$OUT/$name.png"
}

# ONLY=name to take one picture again.
want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

want fly-mistral && shot fly-mistral 22 "$work/mistral" --scenario istres-mistral --no-video --duration 26
want fly-calm-video && shot fly-calm-video 50 "$work/calm" --scenario istres-calm --duration 56
want plan && shot plan 12 "$work/plan" --no-video --screen plan --plan assets/plans/istres-to-air-base.plan --duration 16
# A whole training flight for the register desk, then the desk listing it (a journaled read).
if want register; then
VIGIE_DATA_DIR="$work/reg" "$BIN/vigie" demo --headless --no-video --speedup 3 --duration 400 >"$work/flight.log" 2>&1 || true
VIGIE_ACTOR=CM-07 VIGIE_ACTOR_NAME="Brigadier Camille Martin" \
    shot register 12 "$work/reg" --no-video --screen register --register-motive "formation : débriefing du vol d'entraînement" --duration 16
fi
rm -rf "$work"
