#!/usr/bin/env python3
"""A scripted vehicle written with pymavlink, an implementation independent of Vigie's.

It behaves like ArduCopter where the link tests care (heartbeats, COMMAND_ACK, the mission protocol
answered with the deprecated MISSION_REQUEST, parameters, signing) and reports what it saw as JSON
lines on stdout, so the Rust test can assert on the vehicle's side of each exchange.

Usage: link_vehicle.py --connect udpout:127.0.0.1:PORT [--params N] [--drop-commands K]
       [--in-progress] [--key HEX] [--duration S]
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
    ap.add_argument("--params", type=int, default=50)
    ap.add_argument("--drop-commands", type=int, default=0,
                    help="ignore the first K COMMAND_LONGs (to exercise retries)")
    ap.add_argument("--in-progress", action="store_true",
                    help="answer NAV_TAKEOFF with IN_PROGRESS, then ACCEPTED")
    ap.add_argument("--key", help="signing key, 64 hex digits; unsigned frames are then refused")
    ap.add_argument("--duration", type=float, default=900.0, help="stop after S seconds (a safety net; tests kill it)")
    ap.add_argument("--request-timeout", type=float, default=0.6)
    args = ap.parse_args()

    m = mavutil.mavlink_connection(args.connect, source_system=args.sysid, source_component=1,
                                   dialect="ardupilotmega", autoreconnect=True)
    m.mav.robust_parsing = True
    if args.key:
        m.setup_signing(bytes.fromhex(args.key), sign_outgoing=True,
                        allow_unsigned_callback=lambda _mav, _msgid: False, link_id=0)

    params = [(f"PARAM_{i:04d}", float(i) * 0.5, mav.MAV_PARAM_TYPE_REAL32) for i in range(args.params)]
    stores = {0: [], 1: [], 2: []}
    last_upload = None  # (mission_type, count) of the last completed upload
    upload = None  # (mission_type, count, items, next_seq, last_request_time)
    drop_left = args.drop_commands
    pending_acks = []  # (due_time, command, result)
    last_hb = 0.0
    last_tel = 0.0
    gcs_heartbeats = 0
    start = time.time()
    say(event="started")

    def send_param(i):
        name, value, ptype = params[i]
        m.mav.param_value_send(name.encode(), value, ptype, len(params), i)

    while time.time() - start < args.duration:
        now = time.time()
        if now - last_hb >= 1.0:
            last_hb = now
            m.mav.heartbeat_send(mav.MAV_TYPE_QUADROTOR, mav.MAV_AUTOPILOT_ARDUPILOTMEGA,
                                 mav.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 0, mav.MAV_STATE_STANDBY)
        if now - last_tel >= 0.2:
            last_tel = now
            m.mav.global_position_int_send(int((now - start) * 1000) & 0xFFFFFFFF, 435150000, 49890000,
                                           20000, 0, 0, 0, 0, 9000)
            m.mav.wind_send(330.0, 12.5, 0.0)
        for due, command, result in [p for p in pending_acks if p[0] <= now]:
            m.mav.command_ack_send(command, result, 100, 0, 255, 190)
            pending_acks.remove((due, command, result))
        if upload is not None and now - upload[4] > args.request_timeout:
            mtype, count, items, nxt, _ = upload
            m.mav.mission_request_send(255, 190, nxt, mtype)
            upload = (mtype, count, items, nxt, now)

        msg = m.recv_match(blocking=True, timeout=0.02)
        if msg is None:
            continue
        t = msg.get_type()
        if t == "BAD_DATA":
            continue
        if t == "HEARTBEAT" and msg.get_srcSystem() == 255:
            gcs_heartbeats += 1
            if gcs_heartbeats in (1, 3):
                say(event="gcs_heartbeat", type=msg.type, autopilot=msg.autopilot,
                    compid=msg.get_srcComponent(), count=gcs_heartbeats,
                    signed=bool(getattr(msg, "_signed", False)))
        elif t == "COMMAND_LONG":
            say(event="command", command=msg.command, confirmation=msg.confirmation,
                param1=msg.param1, param2=msg.param2, param7=msg.param7, signed=bool(msg._signed))
            if drop_left > 0:
                drop_left -= 1
                continue
            if args.in_progress and msg.command == mav.MAV_CMD_NAV_TAKEOFF:
                m.mav.command_ack_send(msg.command, mav.MAV_RESULT_IN_PROGRESS, 10, 0, 255, 190)
                pending_acks.append((now + 0.5, msg.command, mav.MAV_RESULT_ACCEPTED))
            else:
                m.mav.command_ack_send(msg.command, mav.MAV_RESULT_ACCEPTED, 100, 0, 255, 190)
        elif t == "COMMAND_INT":
            say(event="command_int", command=msg.command, x=msg.x, y=msg.y, z=msg.z, frame=msg.frame)
            m.mav.command_ack_send(msg.command, mav.MAV_RESULT_ACCEPTED, 100, 0, 255, 190)
        elif t == "MISSION_COUNT":
            upload = (msg.mission_type, msg.count, [], 0, now)
            if msg.count == 0:
                stores[msg.mission_type] = []
                m.mav.mission_ack_send(255, 190, mav.MAV_MISSION_ACCEPTED, msg.mission_type)
                upload = None
            else:
                # ArduCopter answers with the deprecated MISSION_REQUEST.
                m.mav.mission_request_send(255, 190, 0, msg.mission_type)
        elif t == "MISSION_ITEM_INT" and upload is None:
            # The GCS resends the last item when our ACK was lost: acknowledge again (spec).
            if last_upload and msg.mission_type == last_upload[0] and msg.seq == last_upload[1] - 1:
                m.mav.mission_ack_send(255, 190, mav.MAV_MISSION_ACCEPTED, msg.mission_type)
        elif t == "MISSION_ITEM_INT" and upload is not None:
            mtype, count, items, nxt, _ = upload
            if msg.seq != nxt or msg.mission_type != mtype:
                continue
            items.append(msg)
            nxt += 1
            if nxt == count:
                stores[mtype] = items
                last_upload = (mtype, count)
                m.mav.mission_ack_send(255, 190, mav.MAV_MISSION_ACCEPTED, mtype)
                say(event="mission_stored", mission_type=mtype, count=count)
                upload = None
            else:
                m.mav.mission_request_send(255, 190, nxt, mtype)
                upload = (mtype, count, items, nxt, now)
        elif t == "MISSION_REQUEST_LIST":
            m.mav.mission_count_send(255, 190, len(stores[msg.mission_type]), msg.mission_type)
        elif t in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            items = stores[msg.mission_type]
            if msg.seq < len(items):
                it = items[msg.seq]
                m.mav.mission_item_int_send(255, 190, it.seq, it.frame, it.command, 0, it.autocontinue,
                                            it.param1, it.param2, it.param3, it.param4, it.x, it.y, it.z,
                                            msg.mission_type)
        elif t == "MISSION_CLEAR_ALL":
            stores[msg.mission_type] = []
            m.mav.mission_ack_send(255, 190, mav.MAV_MISSION_ACCEPTED, msg.mission_type)
        elif t == "MISSION_ACK":
            say(event="mission_ack", mission_type=msg.mission_type, result=msg.type)
        elif t == "PARAM_REQUEST_LIST":
            for i in range(len(params)):
                send_param(i)
        elif t == "PARAM_REQUEST_READ":
            if 0 <= msg.param_index < len(params):
                send_param(msg.param_index)
            else:
                name = msg.param_id
                for i, p in enumerate(params):
                    if p[0] == name:
                        send_param(i)
        elif t == "PARAM_SET":
            for i, p in enumerate(params):
                if p[0] == msg.param_id:
                    params[i] = (p[0], msg.param_value, p[2])
                    send_param(i)
                    say(event="param_set", name=p[0], value=msg.param_value)
    say(event="finished", gcs_heartbeats=gcs_heartbeats)


if __name__ == "__main__":
    sys.exit(main())
