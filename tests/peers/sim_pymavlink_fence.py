#!/usr/bin/env python3
"""pymavlink uploads a fence to vigie-sim, flies GUIDED across it, and sees the breach and RTL.

Usage: sim_pymavlink_fence.py SIM_TCP_PORT

Steps, each checked: fence upload through the mission protocol (mission_type FENCE, answering
MISSION_REQUEST or MISSION_REQUEST_INT), read-back, FENCE_ENABLE/FENCE_TYPE/FENCE_ACTION by
PARAM_SET, arm in GUIDED, take off, SET_POSITION_TARGET_GLOBAL_INT to a point outside the fence;
then FENCE_STATUS must report a boundary breach, the vehicle must switch to RTL on its own,
come back and land.
"""
import sys
import time

try:
    from pymavlink import mavutil
except ImportError:
    print("pymavlink is missing: run `cargo xtask test` (it creates the venv)")
    sys.exit(3)

HOME = (43.5150, 4.9890)
DEADLINE = time.time() + 120
M = None


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def heartbeat():
    M.mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_GCS, mavutil.mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 0)


def recv(types, timeout=10.0, cond=None):
    end = min(time.time() + timeout, DEADLINE)
    last_hb = 0
    while time.time() < end:
        if time.time() - last_hb > 0.5:
            heartbeat()
            last_hb = time.time()
        m = M.recv_match(type=types, blocking=True, timeout=0.5)
        if m is not None and (cond is None or cond(m)):
            return m
    return None


def set_param(name, value):
    M.mav.param_set_send(1, 1, name.encode(), float(value), mavutil.mavlink.MAV_PARAM_TYPE_INT8)
    m = recv("PARAM_VALUE", 5, lambda m: m.param_id == name)
    if m is None or abs(m.param_value - value) > 1e-6:
        fail("PARAM_SET %s=%s not confirmed (%s)" % (name, value, m))


def command(cmd, *params):
    p = list(params) + [0] * (7 - len(params))
    M.mav.command_long_send(1, 1, cmd, 0, *p)
    ack = recv("COMMAND_ACK", 5, lambda m: m.command == cmd)
    if ack is None:
        fail("no COMMAND_ACK for %d" % cmd)
    return ack.result


def main():
    global M
    M = mavutil.mavlink_connection("tcp:127.0.0.1:%s" % sys.argv[1], source_system=255, source_component=190)
    if recv("HEARTBEAT", 10) is None:
        fail("no heartbeat")
    if recv("GLOBAL_POSITION_INT", 20, lambda m: m.lat != 0) is None:
        fail("no position")

    # Inclusion square of about 200 m x 200 m around home.
    d = 0.0009
    verts = [(HOME[0] - d, HOME[1] - d * 1.38), (HOME[0] + d, HOME[1] - d * 1.38), (HOME[0] + d, HOME[1] + d * 1.38), (HOME[0] - d, HOME[1] + d * 1.38)]
    fence_type = mavutil.mavlink.MAV_MISSION_TYPE_FENCE
    M.mav.mission_count_send(1, 1, len(verts), fence_type)
    sent = 0
    while sent < len(verts):
        req = recv(["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"], 5)
        if req is None:
            fail("the vehicle did not request fence item %d" % sent)
        if req.get_type() == "MISSION_ACK":
            fail("fence upload refused: %s" % req)
        lat, lon = verts[req.seq]
        M.mav.mission_item_int_send(1, 1, req.seq, mavutil.mavlink.MAV_FRAME_GLOBAL, 5001, 0, 1,
                                    len(verts), 0, 0, 0, int(lat * 1e7), int(lon * 1e7), 0, fence_type)
        sent = max(sent, req.seq + 1)
    ack = recv("MISSION_ACK", 5)
    if ack is None or ack.type != mavutil.mavlink.MAV_MISSION_ACCEPTED:
        fail("fence upload not accepted: %s" % ack)

    # Read it back.
    M.mav.mission_request_list_send(1, 1, fence_type)
    cnt = recv("MISSION_COUNT", 5)
    if cnt is None or cnt.count != len(verts):
        fail("fence read-back count %s" % cnt)
    for i in range(cnt.count):
        M.mav.mission_request_int_send(1, 1, i, fence_type)
        it = recv("MISSION_ITEM_INT", 5, lambda m: m.seq == i)
        if it is None or it.command != 5001 or abs(it.x - int(verts[i][0] * 1e7)) > 1:
            fail("fence item %d read back wrong: %s" % (i, it))
    M.mav.mission_ack_send(1, 1, 0, fence_type)

    set_param("FENCE_TYPE", 4)
    set_param("FENCE_ACTION", 1)
    set_param("FENCE_ENABLE", 1)

    M.mav.command_long_send(1, 1, mavutil.mavlink.MAV_CMD_DO_SET_MODE, 0, 1, 4, 0, 0, 0, 0, 0)
    if recv("HEARTBEAT", 5, lambda m: m.custom_mode == 4) is None:
        fail("no GUIDED")
    if command(mavutil.mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) != 0:
        fail("arming refused")
    if command(mavutil.mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 20) != 0:
        fail("takeoff refused")
    if recv("GLOBAL_POSITION_INT", 30, lambda m: m.relative_alt > 18000) is None:
        fail("did not climb to 20 m")

    # Fly north, 300 m: outside the square.
    target = (HOME[0] + 0.0027, HOME[1])
    M.mav.set_position_target_global_int_send(0, 1, 1, mavutil.mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, 0b110111111000,
                                              int(target[0] * 1e7), int(target[1] * 1e7), 20, 0, 0, 0, 0, 0, 0, 0, 0)
    breach = recv("FENCE_STATUS", 40, lambda m: m.breach_status == 1)
    if breach is None:
        fail("no FENCE_STATUS breach")
    if breach.breach_type != mavutil.mavlink.FENCE_BREACH_BOUNDARY or breach.breach_count < 1:
        fail("unexpected FENCE_STATUS %s" % breach)
    if recv("HEARTBEAT", 10, lambda m: m.custom_mode == 6) is None:
        fail("the vehicle did not switch to RTL after the breach")
    pos = recv("GLOBAL_POSITION_INT", 5)
    north_m = (pos.lat / 1e7 - HOME[0]) * 111320
    if not (80 < north_m < 160):
        fail("breach at %.0f m north, expected just past the 100 m boundary" % north_m)
    # It comes back and lands at home.
    landed = recv("HEARTBEAT", 90, lambda m: m.get_srcSystem() == 1 and not (m.base_mode & mavutil.mavlink.MAV_MODE_FLAG_SAFETY_ARMED))
    if landed is None:
        fail("RTL did not land and disarm")
    pos = recv("GLOBAL_POSITION_INT", 5)
    dist = (((pos.lat / 1e7 - HOME[0]) * 111320) ** 2 + ((pos.lon / 1e7 - HOME[1]) * 80700) ** 2) ** 0.5
    if dist > 10:
        fail("landed %.1f m from home" % dist)
    print("OK breach at %.0f m north (count %d), RTL, landed %.1f m from home" % (north_m, breach.breach_count, dist))


if __name__ == "__main__":
    main()
