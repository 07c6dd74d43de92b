#!/usr/bin/env python3
"""A scripted vehicle written with pymavlink, an implementation independent of Vigie's.

It behaves like ArduCopter where the link tests care (heartbeats, COMMAND_ACK, the mission protocol
answered with the deprecated MISSION_REQUEST, parameters, signing) and reports what it saw as JSON
lines on stdout, so the Rust test can assert on the vehicle's side of each exchange.

Usage: link_vehicle.py --connect udpout:127.0.0.1:PORT [--params N] [--drop-commands K]
       [--in-progress] [--key HEX] [--clock-offset-s S] [--accept-setup-signing]
       [--remote-id ready|failing] [--adsb] [--duration S]

The signing key may also come from the environment (VIGIE_PEER_KEY), as arguments are visible in
ps; tests pass throwaway keys either way.
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
    ap.add_argument("--key", default=os.environ.get("VIGIE_PEER_KEY"),
                    help="signing key, 64 hex digits; unsigned frames are then refused")
    ap.add_argument("--clock-offset-s", type=float, default=0.0,
                    help="the vehicle's signing clock runs this far ahead of the host's (negative: behind)")
    ap.add_argument("--accept-setup-signing", action="store_true",
                    help="take the key of a SETUP_SIGNING and sign with it from then on (as ArduPilot disarmed)")
    ap.add_argument("--remote-id", choices=["ready", "failing"],
                    help="send OPEN_DRONE_ID_* at 1 Hz, the module's arm status good or failing")
    ap.add_argument("--adsb", action="store_true",
                    help="send ADSB_VEHICLE of a helicopter 300 m north of the vehicle, 150 ft above")
    ap.add_argument("--duration", type=float, default=900.0, help="stop after S seconds (a safety net; tests kill it)")
    ap.add_argument("--request-timeout", type=float, default=0.6)
    args = ap.parse_args()

    m = mavutil.mavlink_connection(args.connect, source_system=args.sysid, source_component=1,
                                   dialect="ardupilotmega", autoreconnect=True)
    m.mav.robust_parsing = True

    def signing_clock():
        # 10 us since 2015-01-01, on the vehicle's (possibly skewed) clock.
        return int((time.time() + args.clock_offset_s - 1420070400) * 100 * 1000)

    def start_signing(key, initial=None):
        m.setup_signing(key, sign_outgoing=True, allow_unsigned_callback=lambda _mav, _msgid: False,
                        link_id=0, initial_timestamp=max(initial or 0, signing_clock()))

    if args.key:
        start_signing(bytes.fromhex(args.key))

    params = [(f"PARAM_{i:04d}", float(i) * 0.5, mav.MAV_PARAM_TYPE_REAL32) for i in range(args.params)]
    stores = {0: [], 1: [], 2: []}
    last_upload = None  # (mission_type, count) of the last completed upload
    upload = None  # (mission_type, count, items, next_seq, last_request_time)
    drop_left = args.drop_commands
    pending_acks = []  # (due_time, command, result)
    last_hb = 0.0
    last_tel = 0.0
    last_rid = 0.0
    last_stats = 0.0
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
            if args.adsb:
                flags = (mav.ADSB_FLAGS_VALID_COORDS | mav.ADSB_FLAGS_VALID_ALTITUDE | mav.ADSB_FLAGS_VALID_HEADING
                         | mav.ADSB_FLAGS_VALID_VELOCITY | mav.ADSB_FLAGS_VALID_CALLSIGN | mav.ADSB_FLAGS_VALID_SQUAWK)
                # 300 m north of 43.515 N 4.989 E; the vehicle is at 20 m AMSL, the helicopter
                # 150 ft (45.7 m) above it.
                m.mav.adsb_vehicle_send(0x39C4A5, 435176980, 49890000, mav.ADSB_ALTITUDE_TYPE_PRESSURE_QNH,
                                        65720, 27000, 4000, 0, b"DRAGON13", mav.ADSB_EMITTER_TYPE_ROTOCRAFT,
                                        1, flags, 7000)
        if args.remote_id and now - last_rid >= 1.0:
            last_rid = now
            blank = [0] * 20
            uas_id = list(b"1596F3501234") + [0] * 8
            m.mav.open_drone_id_basic_id_send(0, 0, blank, mav.MAV_ODID_ID_TYPE_SERIAL_NUMBER,
                                              mav.MAV_ODID_UA_TYPE_HELICOPTER_OR_MULTIROTOR, uas_id)
            m.mav.open_drone_id_location_send(0, 0, blank, mav.MAV_ODID_STATUS_GROUND, 9000, 0, 0,
                                              435150000, 49890000, 20.0, 69.5, mav.MAV_ODID_HEIGHT_REF_OVER_TAKEOFF,
                                              0.0, mav.MAV_ODID_HOR_ACC_3_METER, mav.MAV_ODID_VER_ACC_3_METER,
                                              mav.MAV_ODID_VER_ACC_3_METER, mav.MAV_ODID_SPEED_ACC_1_METERS_PER_SECOND,
                                              0.0, mav.MAV_ODID_TIME_ACC_1_0_SECOND)
            m.mav.open_drone_id_system_send(0, 0, blank, mav.MAV_ODID_OPERATOR_LOCATION_TYPE_TAKEOFF,
                                            mav.MAV_ODID_CLASSIFICATION_TYPE_EU, 435151000, 49891000, 1, 0,
                                            -1000.0, -1000.0, mav.MAV_ODID_CATEGORY_EU_OPEN, mav.MAV_ODID_CLASS_EU_CLASS_2,
                                            20.0, 0)
            m.mav.open_drone_id_operator_id_send(0, 0, blank, mav.MAV_ODID_OPERATOR_ID_TYPE_CAA, b"FIN87astrdge12k8")
            if args.remote_id == "ready":
                m.mav.open_drone_id_arm_status_send(mav.MAV_ODID_ARM_STATUS_GOOD_TO_ARM, b"")
            else:
                m.mav.open_drone_id_arm_status_send(mav.MAV_ODID_ARM_STATUS_PRE_ARM_FAIL_GENERIC, b"missing basic ID")
        if now - last_stats >= 1.0:
            last_stats = now
            sg = m.mav.signing
            if sg.secret_key is not None:
                say(event="signing_stats", good=sg.goodsig_count, bad=sg.badsig_count, rejected=sg.reject_count,
                    timestamp=sg.timestamp)
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
        elif t == "SETUP_SIGNING":
            # Never print the key: only that it came, and what happened to it.
            say(event="setup_signing", accepted=args.accept_setup_signing, signed=bool(msg._signed),
                initial_timestamp=msg.initial_timestamp)
            if args.accept_setup_signing:
                start_signing(bytes(msg.secret_key), msg.initial_timestamp)
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
