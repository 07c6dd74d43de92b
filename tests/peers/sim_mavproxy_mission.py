#!/usr/bin/env python3
"""MAVProxy (headless) flies a waypoint mission against vigie-sim.

Usage: sim_mavproxy_mission.py SIM_TCP_PORT

MAVProxy connects to the simulator's TCP port, loads a QGC WPL waypoint file, arms in GUIDED,
switches to AUTO; the vehicle must fly every waypoint and land (disarm). MAVProxy forwards the
stream to a pymavlink observer on UDP, which checks what the vehicle does. MAVProxy runs without
a terminal: commands are written to its stdin (it reads them like its console), which is how
this MAVProxy version behaves headless (--non-interactive would ignore stdin).
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    from pymavlink import mavutil
except ImportError:
    print("pymavlink is missing: run `cargo xtask test` (it creates the venv)")
    sys.exit(3)

VENV_BIN = os.path.dirname(sys.executable)
MAVPROXY = os.path.join(VENV_BIN, "mavproxy.py")
if not os.path.exists(MAVPROXY):
    print("mavproxy.py is missing next to %s: run `cargo xtask test` (it creates the venv)" % sys.executable)
    sys.exit(3)

HOME = (43.5150, 4.9890)
DEADLINE = time.time() + 150


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    sim_port = int(sys.argv[1])
    obs_port = free_udp_port()
    work = tempfile.mkdtemp(prefix="vigie-mavproxy-")
    # Takeoff, three waypoints about 60-80 m apart, land where the last one is.
    wps = [
        (0, 1, 0, 16, HOME[0], HOME[1], 20.0),
        (1, 0, 3, 22, 0.0, 0.0, 20.0),
        (2, 0, 3, 16, 43.51554, 4.98900, 20.0),
        (3, 0, 3, 16, 43.51554, 4.98990, 25.0),
        (4, 0, 3, 16, 43.51500, 4.98990, 25.0),
        (5, 0, 3, 21, 0.0, 0.0, 0.0),
    ]
    wp_file = os.path.join(work, "patrol.waypoints")
    with open(wp_file, "w") as f:
        f.write("QGC WPL 110\n")
        for seq, cur, frame, cmd, lat, lon, alt in wps:
            f.write("%d\t%d\t%d\t%d\t0\t0\t0\t0\t%.6f\t%.6f\t%.6f\t1\n" % (seq, cur, frame, cmd, lat, lon, alt))

    obs = mavutil.mavlink_connection("udpin:127.0.0.1:%d" % obs_port, source_system=254, source_component=191)
    proc = subprocess.Popen(
        [sys.executable, MAVPROXY, "--master", "tcp:127.0.0.1:%d" % sim_port, "--out", "udp:127.0.0.1:%d" % obs_port,
         "--nowait", "--default-modules=", "--load-module", "wp,mode,arm,param", "--state-basedir", work],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work)
    lines = []

    def reader():
        for line in proc.stdout:
            lines.append(line.rstrip())
            print("mavproxy| " + line.rstrip(), flush=True)

    threading.Thread(target=reader, daemon=True).start()

    def cmd(c):
        print("mavproxy< " + c, flush=True)
        proc.stdin.write(c + "\n")
        proc.stdin.flush()

    def wait_line(text, timeout=30):
        end = min(time.time() + timeout, DEADLINE)
        while time.time() < end:
            if any(text in l for l in lines):
                return
            time.sleep(0.1)
        fail("MAVProxy never printed %r" % text)

    try:
        # The observer must see the vehicle with a position (the EKF origin comes a few seconds after boot).
        end = time.time() + 30
        while True:
            if time.time() > end:
                fail("no GLOBAL_POSITION_INT with a position through MAVProxy")
            m = obs.recv_match(type="GLOBAL_POSITION_INT", blocking=True, timeout=1)
            if m is not None and m.lat != 0:
                break
        wait_line("Detected vehicle")
        cmd("wp load " + wp_file)
        wait_line("TYPE_MISSION: ACCEPTED")
        # The vehicle auto-disarms 10 s (sim time) after arming on the ground, as ArduCopter does;
        # at a high --speedup MAVProxy's own pace can exceed that, so lift the timer.
        cmd("param set DISARM_DELAY 0")
        time.sleep(0.5)
        cmd("mode guided")
        wait_line("Mode GUIDED")
        cmd("arm throttle")
        wait_line("ARMED")
        cmd("mode auto")

        reached = set()
        was_armed = False
        saw_auto = False
        max_alt = 0.0
        last_pos = None
        while time.time() < DEADLINE:
            m = obs.recv_match(blocking=True, timeout=1)
            if m is None:
                continue
            t = m.get_type()
            if t == "HEARTBEAT" and m.get_srcSystem() == 1:
                armed = bool(m.base_mode & mavutil.mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
                if armed:
                    was_armed = True
                if m.custom_mode == 3:
                    saw_auto = True
                if was_armed and saw_auto and not armed:
                    break
            elif t == "MISSION_ITEM_REACHED":
                reached.add(m.seq)
            elif t == "GLOBAL_POSITION_INT":
                max_alt = max(max_alt, m.relative_alt / 1000.0)
                last_pos = m
        else:
            fail("the vehicle did not finish the mission and disarm in time (reached %s)" % sorted(reached))
        if not saw_auto:
            fail("the vehicle never reported AUTO")
        for seq in (1, 2, 3, 4):
            if seq not in reached:
                fail("MISSION_ITEM_REACHED for item %d missing (got %s)" % (seq, sorted(reached)))
        if max_alt < 19.0:
            fail("never climbed to the mission altitude (max %.1f m)" % max_alt)
        if last_pos is None or last_pos.relative_alt > 1000:
            fail("disarmed but not on the ground")
        # It landed where the last waypoint is (item 5 lands at the current position).
        dlat = (last_pos.lat / 1e7 - 43.51500) * 111320.0
        dlon = (last_pos.lon / 1e7 - 4.98990) * 111320.0 * 0.725
        if (dlat ** 2 + dlon ** 2) ** 0.5 > 15.0:
            fail("landed %.1f m away from the last waypoint" % ((dlat ** 2 + dlon ** 2) ** 0.5))
        print("OK mission flown: reached %s, max alt %.1f m, landed and disarmed" % (sorted(reached), max_alt))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
