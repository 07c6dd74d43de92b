//! The simulator on the wire, seen from a GCS built on the mavlink crate: what ArduCopter SITL
//! does, the simulator must do.
#![allow(deprecated)]

use std::io::Write;
use std::time::{Duration, Instant};

use mavlink::dialects::ardupilotmega::*;
use mavlink::{MavConnection, MavHeader};

use super::common::{Conn, Sim, connect, gcs_header, wait_for, wait_ready_to_arm};

fn send(conn: &Conn, msg: MavMessage) {
    conn.send(&gcs_header(), &msg).expect("send");
}

fn command_long(conn: &Conn, command: MavCmd, p: [f32; 7]) {
    send(
        conn,
        MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command,
            confirmation: 0,
            param1: p[0],
            param2: p[1],
            param3: p[2],
            param4: p[3],
            param5: p[4],
            param6: p[5],
            param7: p[6],
        }),
    );
}

fn ack_for(conn: &Conn, command: MavCmd) -> MavResult {
    wait_for(
        conn,
        20,
        &format!("COMMAND_ACK {command:?}"),
        |_, m| match m {
            MavMessage::COMMAND_ACK(a) if a.command == command => Some(a.result),
            _ => None,
        },
    )
}

fn wait_position(conn: &Conn) {
    wait_for(conn, 30, "a GPS position", |_, m| match m {
        MavMessage::GLOBAL_POSITION_INT(p) if p.lat != 0 => Some(()),
        _ => None,
    });
}

fn item_int(
    seq: u16,
    command: MavCmd,
    frame: MavFrame,
    lat: f64,
    lon: f64,
    alt: f32,
    p1: f32,
    mission_type: MavMissionType,
) -> MavMessage {
    MavMessage::MISSION_ITEM_INT(MISSION_ITEM_INT_DATA {
        param1: p1,
        x: (lat * 1e7) as i32,
        y: (lon * 1e7) as i32,
        z: alt,
        seq,
        command,
        target_system: 1,
        target_component: 1,
        frame,
        autocontinue: 1,
        mission_type,
        ..Default::default()
    })
}

/// Uploads items, answering whichever request form the vehicle uses; returns the ACK result and
/// whether the vehicle used the deprecated MISSION_REQUEST.
fn upload(
    conn: &Conn,
    items: &[MavMessage],
    mission_type: MavMissionType,
) -> (MavMissionResult, bool) {
    send(
        conn,
        MavMessage::MISSION_COUNT(MISSION_COUNT_DATA {
            count: items.len() as u16,
            target_system: 1,
            target_component: 1,
            mission_type,
            ..Default::default()
        }),
    );
    let mut used_deprecated = false;
    loop {
        let next = wait_for(conn, 20, "MISSION_REQUEST or MISSION_ACK", |_, m| match m {
            #[allow(deprecated)]
            MavMessage::MISSION_REQUEST(r) => Some(Err((r.seq, true))),
            MavMessage::MISSION_REQUEST_INT(r) => Some(Err((r.seq, false))),
            MavMessage::MISSION_ACK(a) => Some(Ok(a.mavtype)),
            _ => None,
        });
        match next {
            Ok(result) => return (result, used_deprecated),
            Err((seq, deprecated)) => {
                used_deprecated |= deprecated;
                send(conn, items[usize::from(seq)].clone());
            }
        }
    }
}

#[test]
fn heartbeat_identifies_an_arducopter_quad() {
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--no-video"]);
    let conn = connect(sim.port());
    let (h, hb) = wait_for(&conn, 10, "HEARTBEAT", |h, m| match m {
        MavMessage::HEARTBEAT(hb) => Some((*h, hb.clone())),
        _ => None,
    });
    assert_eq!((h.system_id, h.component_id), (1, 1));
    assert_eq!(hb.mavtype, MavType::MAV_TYPE_QUADROTOR);
    assert_eq!(hb.autopilot, MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA);
    assert!(
        hb.base_mode
            .contains(MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED)
    );
    assert!(
        !hb.base_mode
            .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED)
    );
}

#[test]
fn mission_upload_uses_mission_request_and_item_zero_is_home() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--speedup",
        "5",
        "--ekf-settle",
        "1",
    ]);
    let conn = connect(sim.port());
    wait_position(&conn);
    let m = MavMissionType::MAV_MISSION_TYPE_MISSION;
    let items = vec![
        item_int(
            0,
            MavCmd::MAV_CMD_NAV_WAYPOINT,
            MavFrame::MAV_FRAME_GLOBAL,
            0.0,
            0.0,
            0.0,
            0.0,
            m,
        ),
        item_int(
            1,
            MavCmd::MAV_CMD_NAV_TAKEOFF,
            MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
            0.0,
            0.0,
            30.0,
            0.0,
            m,
        ),
        #[allow(deprecated)]
        item_int(
            2,
            MavCmd::MAV_CMD_NAV_WAYPOINT,
            MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            43.5160,
            4.9900,
            40.0,
            0.0,
            m,
        ),
    ];
    let (result, deprecated) = upload(&conn, &items, m);
    assert_eq!(result, MavMissionResult::MAV_MISSION_ACCEPTED);
    assert!(
        deprecated,
        "ArduCopter 4.x answers MISSION_COUNT with MISSION_REQUEST (40)"
    );

    send(
        &conn,
        MavMessage::MISSION_REQUEST_LIST(MISSION_REQUEST_LIST_DATA {
            target_system: 1,
            target_component: 1,
            mission_type: m,
        }),
    );
    let count = wait_for(&conn, 10, "MISSION_COUNT", |_, msg| match msg {
        MavMessage::MISSION_COUNT(c) => Some(c.count),
        _ => None,
    });
    assert_eq!(count, 3);
    let fetch = |seq: u16| {
        send(
            &conn,
            MavMessage::MISSION_REQUEST_INT(MISSION_REQUEST_INT_DATA {
                seq,
                target_system: 1,
                target_component: 1,
                mission_type: m,
            }),
        );
        wait_for(&conn, 10, "MISSION_ITEM_INT", |_, msg| match msg {
            MavMessage::MISSION_ITEM_INT(i) if i.seq == seq => Some(i.clone()),
            _ => None,
        })
    };
    let home = fetch(0);
    assert!(
        (f64::from(home.x) * 1e-7 - 43.5150).abs() < 1e-4
            && (f64::from(home.y) * 1e-7 - 4.9890).abs() < 1e-4,
        "item 0 is rewritten with home: {home:?}"
    );
    assert!(
        (home.z - 20.0).abs() < 1.0,
        "home altitude is AMSL: {}",
        home.z
    );
    let wp = fetch(2);
    // Stored and returned with the non-_INT frame number (6 -> 3), as ArduPilot does.
    assert_eq!(wp.frame, MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT);
    assert_eq!((wp.x, wp.y, wp.z), (435_160_000, 49_900_000, 40.0));
    // The deprecated request gets the float form.
    #[allow(deprecated)]
    send(
        &conn,
        MavMessage::MISSION_REQUEST(MISSION_REQUEST_DATA {
            seq: 2,
            target_system: 1,
            target_component: 1,
            mission_type: m,
        }),
    );
    #[allow(deprecated)]
    let f = wait_for(&conn, 10, "MISSION_ITEM", |_, msg| match msg {
        MavMessage::MISSION_ITEM(i) if i.seq == 2 => Some(i.clone()),
        _ => None,
    });
    assert!((f.x - 43.516).abs() < 1e-5 && (f.y - 4.99).abs() < 1e-5);
    send(
        &conn,
        MavMessage::MISSION_ACK(MISSION_ACK_DATA {
            target_system: 1,
            target_component: 1,
            mavtype: MavMissionResult::MAV_MISSION_ACCEPTED,
            mission_type: m,
            ..Default::default()
        }),
    );
}

#[test]
fn commands_answer_like_arducopter() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--speedup",
        "5",
        "--ekf-settle",
        "1",
    ]);
    let conn = connect(sim.port());
    wait_ready_to_arm(&conn, 30);
    // Unknown to the autopilot: UNSUPPORTED.
    command_long(
        &conn,
        MavCmd::MAV_CMD_DO_PARACHUTE,
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_DO_PARACHUTE),
        MavResult::MAV_RESULT_UNSUPPORTED
    );
    // REQUEST_MESSAGE(AUTOPILOT_VERSION).
    command_long(
        &conn,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [148.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_REQUEST_MESSAGE),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let v = wait_for(&conn, 10, "AUTOPILOT_VERSION", |_, m| match m {
        MavMessage::AUTOPILOT_VERSION(v) => Some(v.flight_sw_version),
        _ => None,
    });
    assert_eq!(v >> 24, 4);
    // Video is off: REQUEST_MESSAGE(VIDEO_STREAM_INFORMATION) fails.
    command_long(
        &conn,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [269.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_REQUEST_MESSAGE),
        MavResult::MAV_RESULT_FAILED
    );
    // Takeoff while disarmed fails; AUTO without a mission is refused.
    command_long(
        &conn,
        MavCmd::MAV_CMD_DO_SET_MODE,
        [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_DO_SET_MODE),
        MavResult::MAV_RESULT_ACCEPTED
    );
    command_long(
        &conn,
        MavCmd::MAV_CMD_NAV_TAKEOFF,
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_NAV_TAKEOFF),
        MavResult::MAV_RESULT_FAILED
    );
    command_long(
        &conn,
        MavCmd::MAV_CMD_DO_SET_MODE,
        [1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_DO_SET_MODE),
        MavResult::MAV_RESULT_FAILED
    );
    // SET_MESSAGE_INTERVAL: WIND at 10 Hz, then we see it.
    command_long(
        &conn,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [168.0, 100_000.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL),
        MavResult::MAV_RESULT_ACCEPTED
    );
    // Arm, take off in GUIDED, then land: the vehicle disarms by itself once down.
    command_long(
        &conn,
        MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM),
        MavResult::MAV_RESULT_ACCEPTED
    );
    command_long(
        &conn,
        MavCmd::MAV_CMD_NAV_TAKEOFF,
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_NAV_TAKEOFF),
        MavResult::MAV_RESULT_ACCEPTED
    );
    wait_for(&conn, 30, "10 m", |_, m| match m {
        MavMessage::GLOBAL_POSITION_INT(p) if p.relative_alt > 9_500 => Some(()),
        _ => None,
    });
    // Disarming in flight is refused without the force code.
    command_long(
        &conn,
        MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM),
        MavResult::MAV_RESULT_FAILED
    );
    command_long(&conn, MavCmd::MAV_CMD_NAV_LAND, [0.0; 7]);
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_NAV_LAND),
        MavResult::MAV_RESULT_ACCEPTED
    );
    wait_for(&conn, 60, "disarm after landing", |_, m| match m {
        MavMessage::HEARTBEAT(hb)
            if hb.custom_mode == 9
                && !hb
                    .base_mode
                    .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED) =>
        {
            Some(())
        }
        _ => None,
    });
}

#[test]
fn prearm_refuses_outside_the_fence_with_statustext() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--speedup",
        "5",
        "--ekf-settle",
        "1",
    ]);
    let conn = connect(sim.port());
    wait_ready_to_arm(&conn, 30);
    let f = MavMissionType::MAV_MISSION_TYPE_FENCE;
    // An inclusion circle 1 km north: home is outside it.
    let items = vec![item_int(
        0,
        MavCmd::MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
        MavFrame::MAV_FRAME_GLOBAL,
        43.5240,
        4.9890,
        0.0,
        100.0,
        f,
    )];
    assert_eq!(
        upload(&conn, &items, f).0,
        MavMissionResult::MAV_MISSION_ACCEPTED
    );
    for (name, value) in [("FENCE_TYPE", 4.0), ("FENCE_ENABLE", 1.0)] {
        let mut id = [0u8; 16];
        id[..name.len()].copy_from_slice(name.as_bytes());
        send(
            &conn,
            MavMessage::PARAM_SET(PARAM_SET_DATA {
                param_value: value,
                target_system: 1,
                target_component: 1,
                param_id: id.into(),
                param_type: MavParamType::MAV_PARAM_TYPE_INT8,
            }),
        );
        let got = wait_for(&conn, 10, "PARAM_VALUE", |_, m| match m {
            MavMessage::PARAM_VALUE(p)
                if p.param_id
                    .to_str()
                    .is_ok_and(|s| s.trim_end_matches('\0') == name) =>
            {
                Some(p.param_value)
            }
            _ => None,
        });
        assert_eq!(got, value);
    }
    command_long(
        &conn,
        MavCmd::MAV_CMD_DO_SET_MODE,
        [1.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_DO_SET_MODE),
        MavResult::MAV_RESULT_ACCEPTED
    );
    command_long(
        &conn,
        MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let mut text = None;
    let result = wait_for(&conn, 10, "refusal", |_, m| match m {
        MavMessage::STATUSTEXT(t) => {
            if let Some(s) = t.text.to_str().ok().filter(|s| s.starts_with("Arm: ")) {
                text = Some(s.trim_end_matches('\0').to_string());
            }
            None
        }
        MavMessage::COMMAND_ACK(a) if a.command == MavCmd::MAV_CMD_COMPONENT_ARM_DISARM => {
            Some(a.result)
        }
        _ => None,
    });
    assert_eq!(result, MavResult::MAV_RESULT_FAILED);
    // The reason follows as STATUSTEXT (ArduPilot queues it behind the ACK).
    if text.is_none() {
        text = Some(wait_for(&conn, 10, "the Arm: STATUSTEXT", |_, m| match m {
            MavMessage::STATUSTEXT(t) => t
                .text
                .to_str()
                .ok()
                .filter(|s| s.starts_with("Arm: "))
                .map(|s| s.trim_end_matches('\0').to_string()),
            _ => None,
        }));
    }
    // While arming, ArduPilot prefixes the pre-arm failures with "Arm: " (running_arming_checks).
    assert_eq!(text.as_deref(), Some("Arm: vehicle outside fence"));
}

#[test]
fn parameters_are_c_cast_floats_from_a_large_table() {
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--no-video"]);
    let conn = connect(sim.port());
    let mut id = [0u8; 16];
    id[..7].copy_from_slice(b"RTL_ALT");
    send(
        &conn,
        MavMessage::PARAM_REQUEST_READ(PARAM_REQUEST_READ_DATA {
            param_index: -1,
            target_system: 1,
            target_component: 1,
            param_id: id.into(),
        }),
    );
    let p = wait_for(&conn, 10, "PARAM_VALUE RTL_ALT", |_, m| match m {
        MavMessage::PARAM_VALUE(p) => Some(p.clone()),
        _ => None,
    });
    assert_eq!(
        p.param_value, 1500.0,
        "C cast: the integer's value, not its bytes"
    );
    assert_eq!(p.param_type, MavParamType::MAV_PARAM_TYPE_INT16);
    assert!(p.param_count > 500, "{}", p.param_count);
    // The whole list arrives.
    send(
        &conn,
        MavMessage::PARAM_REQUEST_LIST(PARAM_REQUEST_LIST_DATA {
            target_system: 1,
            target_component: 1,
        }),
    );
    let mut seen = std::collections::HashSet::new();
    let total = usize::from(p.param_count);
    wait_for(&conn, 30, "every PARAM_VALUE", |_, m| match m {
        MavMessage::PARAM_VALUE(v) => {
            seen.insert(v.param_index);
            (seen.len() == total).then_some(())
        }
        _ => None,
    });
}

#[test]
fn malformed_bytes_are_skipped_and_counted() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--control",
        "127.0.0.1:0",
    ]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", sim.port())).expect("connect");
    let mut good = Vec::new();
    let msg = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        target_system: 1,
        target_component: 1,
        command: MavCmd::MAV_CMD_REQUEST_MESSAGE,
        param1: 148.0,
        ..Default::default()
    });
    mavlink::write_v2_msg(
        &mut good,
        MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 1,
        },
        &msg,
    )
    .expect("encode");
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] ^= 0x55;
    s.write_all(&[0xFD, 0xFF, 0xFF, 0x00, 0x13, 0x37])
        .expect("write");
    s.write_all(&bad).expect("write");
    s.write_all(b"random noise, not mavlink").expect("write");
    s.write_all(&good).expect("write");
    // The good frame still gets its answer.
    s.set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    let mut dec = vigie_sim::frame::Decoder::default();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut acked = false;
    let mut buf = [0u8; 4096];
    while !acked && Instant::now() < deadline {
        if let Ok(k) = std::io::Read::read(&mut s, &mut buf) {
            dec.push(&buf[..k]);
            while let Some(f) = dec.next_frame() {
                if let Ok(MavMessage::COMMAND_ACK(a)) = f.decode() {
                    acked |= a.command == MavCmd::MAV_CMD_REQUEST_MESSAGE
                        && a.result == MavResult::MAV_RESULT_ACCEPTED;
                }
            }
        }
    }
    assert!(acked, "the valid frame after the garbage was not answered");
    let status = sim.control("status");
    let field = |name: &str| -> u64 {
        let i = status
            .find(&format!("{name}="))
            .unwrap_or_else(|| panic!("{name} in {status}"));
        status[i + name.len() + 1..]
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .expect("number")
    };
    assert!(field("bad_crc") >= 1, "{status}");
    assert!(field("frames_ok") >= 1, "{status}");
}

#[test]
fn signing_refuses_unsigned_commands() {
    let key_hex = "a1".repeat(32);
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--signing-key",
        &key_hex,
        "--control",
        "127.0.0.1:0",
    ]);
    let mut conn = connect(sim.port());
    // Unsigned: ignored, like ArduPilot on a non-first port.
    command_long(
        &conn,
        MavCmd::MAV_CMD_DO_SET_MODE,
        [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    conn.setup_signing(Some(mavlink::SigningConfig::new(
        [0xA1; 32], 7, true, false,
    )));
    command_long(
        &conn,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [148.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    // Frames are handled in order: an ACK for the unsigned command would come first.
    let first = wait_for(&conn, 20, "a COMMAND_ACK", |_, m| match m {
        MavMessage::COMMAND_ACK(a) => Some(a.command),
        _ => None,
    });
    assert_eq!(
        first,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        "the unsigned DO_SET_MODE must be ignored"
    );
    let status = sim.control("status");
    assert!(
        status.contains("signing=true") && !status.contains("unsigned_rejected=0"),
        "{status}"
    );
}

#[test]
fn udp_sends_to_the_station_and_answers_where_it_replies() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let conn: Conn =
        mavlink::connect::<MavMessage>(&format!("udpin:127.0.0.1:{port}")).expect("udpin");
    let _sim = Sim::start(&["--udp", &format!("127.0.0.1:{port}"), "--no-video"]);
    wait_for(&conn, 10, "HEARTBEAT over UDP", |_, m| {
        matches!(m, MavMessage::HEARTBEAT(_)).then_some(())
    });
    command_long(
        &conn,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [242.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let r = ack_for(&conn, MavCmd::MAV_CMD_REQUEST_MESSAGE);
    // Before the GPS fix there is no home: FAILED; after it, ACCEPTED. Either way it answered.
    assert!(matches!(
        r,
        MavResult::MAV_RESULT_ACCEPTED | MavResult::MAV_RESULT_FAILED
    ));
}

#[test]
fn several_vehicles_each_on_their_port_or_all_on_one_link() {
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--no-video", "--vehicles", "2"]);
    assert_eq!(sim.endpoints.len(), 2);
    let second = sim
        .endpoints
        .iter()
        .find(|e| e.0 == 2)
        .expect("vehicle 2")
        .2
        .port();
    let conn = connect(second);
    wait_for(&conn, 10, "HEARTBEAT from sysid 2", |h, m| {
        (matches!(m, MavMessage::HEARTBEAT(_)) && h.system_id == 2).then_some(())
    });

    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--vehicles",
        "3",
        "--one-link",
    ]);
    let conn = connect(sim.port());
    let mut seen = std::collections::HashSet::new();
    wait_for(&conn, 10, "heartbeats from 1, 2 and 3", |h, m| {
        if matches!(m, MavMessage::HEARTBEAT(_)) {
            seen.insert(h.system_id);
        }
        (seen.len() == 3).then_some(())
    });
}

#[test]
fn gcs_failsafe_on_link_loss_returns_to_launch() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--speedup",
        "4",
        "--ekf-settle",
        "1",
        "--control",
        "127.0.0.1:0",
    ]);
    let conn = connect(sim.port());
    let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        mavlink_version: 3,
        ..Default::default()
    });
    let mut last_hb = Instant::now() - Duration::from_secs(1);
    let mut beat = |conn: &Conn| {
        if last_hb.elapsed() > Duration::from_millis(100) {
            send(conn, hb.clone());
            last_hb = Instant::now();
        }
    };
    wait_ready_to_arm(&conn, 30);
    let mut id = [0u8; 16];
    id[..13].copy_from_slice(b"FS_GCS_ENABLE");
    send(
        &conn,
        MavMessage::PARAM_SET(PARAM_SET_DATA {
            param_value: 1.0,
            target_system: 1,
            target_component: 1,
            param_id: id.into(),
            param_type: MavParamType::MAV_PARAM_TYPE_INT8,
        }),
    );
    command_long(
        &conn,
        MavCmd::MAV_CMD_DO_SET_MODE,
        [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_DO_SET_MODE),
        MavResult::MAV_RESULT_ACCEPTED
    );
    command_long(
        &conn,
        MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM),
        MavResult::MAV_RESULT_ACCEPTED
    );
    command_long(
        &conn,
        MavCmd::MAV_CMD_NAV_TAKEOFF,
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0],
    );
    assert_eq!(
        ack_for(&conn, MavCmd::MAV_CMD_NAV_TAKEOFF),
        MavResult::MAV_RESULT_ACCEPTED
    );
    wait_for(&conn, 30, "10 m", |_, m| {
        beat(&conn);
        match m {
            MavMessage::GLOBAL_POSITION_INT(p) if p.relative_alt > 9_000 => Some(()),
            _ => None,
        }
    });
    assert!(sim.control("link loss up 100").starts_with("ok"));
    // Heartbeats keep being sent but never arrive: after FS_GCS_TIMEOUT the vehicle returns.
    let mut saw_text = false;
    wait_for(&conn, 60, "RTL after the GCS failsafe", |_, m| {
        beat(&conn);
        match m {
            MavMessage::STATUSTEXT(t) => {
                saw_text |= t.text.to_str().is_ok_and(|s| s.starts_with("GCS Failsafe"));
                None
            }
            MavMessage::HEARTBEAT(hb) if hb.custom_mode == 6 => Some(()),
            _ => None,
        }
    });
    assert!(saw_text);
}

#[test]
fn a_malformed_scenario_names_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "name = \"x\"\n[home]\nlat = 43.5\nlon = \"east\"\nground_amsl_m = 20\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie-sim"))
        .args([
            "--scenario",
            path.to_str().expect("utf8"),
            "--no-video",
            "--tcp",
            "127.0.0.1:0",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:4:") && err.contains("home.lon"),
        "{err}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie-sim"))
        .args(["--scenario", "no-such-scenario", "--no-video"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("istres-calm"));
}

#[test]
fn setup_signing_on_a_secure_link_turns_signing_on() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--secure-link",
        "--control",
        "127.0.0.1:0",
    ]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", sim.port())).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    let read_until = |s: &mut std::net::TcpStream, want_signed: bool| {
        let mut dec = vigie_sim::frame::Decoder::default();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(k) = std::io::Read::read(s, &mut buf) {
                dec.push(&buf[..k]);
                while let Some(f) = dec.next_frame() {
                    if f.signed == want_signed {
                        return;
                    }
                }
            }
        }
        panic!(
            "no {} frame from the vehicle",
            if want_signed { "signed" } else { "unsigned" }
        );
    };
    read_until(&mut s, false);
    let msg = MavMessage::SETUP_SIGNING(SETUP_SIGNING_DATA {
        initial_timestamp: 0,
        target_system: 1,
        target_component: 1,
        secret_key: [0x42; 32],
    });
    let mut bytes = Vec::new();
    mavlink::write_v2_msg(
        &mut bytes,
        MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 0,
        },
        &msg,
    )
    .expect("encode");
    s.write_all(&bytes).expect("write");
    // From now on the vehicle signs what it sends.
    read_until(&mut s, true);
    assert!(sim.control("status").contains("signing=true"));
}

#[test]
fn a_command_number_the_dialect_does_not_know_gets_unsupported() {
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--no-video"]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", sim.port())).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    // COMMAND_LONG with command 60000 (unassigned), built by hand.
    let mut payload = vec![0u8; 33];
    payload[28..30].copy_from_slice(&60000u16.to_le_bytes());
    payload[30] = 1;
    payload[31] = 1;
    let mut frame = vec![0xFD, payload.len() as u8, 0, 0, 0, 255, 190, 76, 0, 0];
    frame.extend_from_slice(&payload);
    let crc = mavlink::calculate_crc(&frame[1..], 152); // COMMAND_LONG's CRC_EXTRA
    frame.extend_from_slice(&crc.to_le_bytes());
    s.write_all(&frame).expect("write");
    let mut dec = vigie_sim::frame::Decoder::default();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(k) = std::io::Read::read(&mut s, &mut buf) {
            dec.push(&buf[..k]);
            while let Some(f) = dec.next_frame() {
                if f.msg_id == 77 {
                    let p = f.payload();
                    assert_eq!(u16::from_le_bytes([p[0], p[1]]), 60000);
                    assert_eq!(p[2], 3, "MAV_RESULT_UNSUPPORTED");
                    return;
                }
            }
        }
    }
    panic!("no COMMAND_ACK for an unknown command number");
}

#[test]
fn polling_the_control_socket_stays_out_of_the_info_log() {
    let args = [
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--control",
        "127.0.0.1:0",
    ];
    let sim = Sim::start_with_env(&args, &[("RUST_LOG", "info")]);
    for _ in 0..3 {
        assert!(sim.control("status").starts_with("vehicle 1"));
    }
    // Something the simulator logs at info after those connections: the banner.
    let conn = connect(sim.port());
    send(
        &conn,
        MavMessage::PARAM_REQUEST_LIST(PARAM_REQUEST_LIST_DATA {
            target_system: 1,
            target_component: 1,
        }),
    );
    let lines = sim.log_until(20, "ArduCopter V4.5.7");
    assert!(
        !lines.iter().any(|l| l.contains("control connection")),
        "{lines:#?}"
    );
    // It is still there for whoever asks for debug.
    let sim = Sim::start_with_env(&args, &[("RUST_LOG", "debug")]);
    sim.control("status");
    sim.log_until(20, "control connection from");
}
