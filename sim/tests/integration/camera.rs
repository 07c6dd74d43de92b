//! The on-board camera component: its own HEARTBEAT (sysid of the vehicle, compid 100,
//! MAV_TYPE_CAMERA, MAV_AUTOPILOT_GENERIC, never armed, custom mode 0), the harshest realistic
//! case for a station that takes armed state or mode from any heartbeat of the system.

use mavlink::dialects::ardupilotmega::*;
use mavlink::{MavConnection, MavHeader};

use super::common::{Conn, Sim, connect, gcs_header, wait_for, wait_ready_to_arm};

const CAMERA: u8 = 100;

fn is_camera(h: &MavHeader, m: &MavMessage) -> bool {
    matches!(m, MavMessage::HEARTBEAT(_)) && h.component_id == CAMERA
}

/// Counts camera heartbeats over the next `n` autopilot heartbeats.
fn camera_beats_over(conn: &Conn, n: usize) -> usize {
    let (mut autopilot, mut camera) = (0, 0);
    wait_for(conn, 30, "autopilot heartbeats", |h, m| {
        if is_camera(h, m) {
            camera += 1;
        } else if matches!(m, MavMessage::HEARTBEAT(_)) && h.component_id == 1 {
            autopilot += 1;
        }
        (autopilot >= n).then_some(())
    });
    camera
}

fn command(conn: &Conn, command: MavCmd, p1: f32, p2: f32) -> MavResult {
    conn.send(
        &gcs_header(),
        &MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command,
            param1: p1,
            param2: p2,
            ..Default::default()
        }),
    )
    .expect("send");
    wait_for(conn, 20, &format!("ACK {command:?}"), |_, m| match m {
        MavMessage::COMMAND_ACK(a) if a.command == command => Some(a.result),
        _ => None,
    })
}

#[test]
fn the_camera_heartbeat_never_says_armed_nor_a_mode() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--speedup",
        "5",
        "--ekf-settle",
        "1",
        "--camera-heartbeat",
    ]);
    let conn = connect(sim.port());
    let (h, hb) = wait_for(&conn, 20, "the camera's HEARTBEAT", |h, m| match m {
        MavMessage::HEARTBEAT(hb) if h.component_id == CAMERA => Some((*h, hb.clone())),
        _ => None,
    });
    assert_eq!(h.system_id, 1, "the autopilot's system id");
    assert_eq!(hb.mavtype, MavType::MAV_TYPE_CAMERA);
    assert_eq!(hb.autopilot, MavAutopilot::MAV_AUTOPILOT_GENERIC);
    assert!(hb.base_mode.is_empty());
    assert_eq!(hb.custom_mode, 0);
    assert_eq!(hb.system_status, MavState::MAV_STATE_STANDBY);
    // 1 Hz, like the autopilot's own (the two need not be in phase).
    let beats = camera_beats_over(&conn, 6);
    assert!(
        (4..=6).contains(&beats),
        "{beats} camera beats for 6 of the autopilot"
    );

    // Armed in GUIDED: the autopilot says so, the camera does not.
    wait_ready_to_arm(&conn, 30);
    assert_eq!(
        command(&conn, MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 4.0),
        MavResult::MAV_RESULT_ACCEPTED
    );
    assert_eq!(
        command(&conn, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, 1.0, 0.0),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let (mut autopilot_armed, mut camera_after) = (false, None);
    wait_for(&conn, 20, "both heartbeats after arming", |h, m| {
        if let MavMessage::HEARTBEAT(hb) = m {
            let armed = hb
                .base_mode
                .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED);
            if h.component_id == 1 && armed && hb.custom_mode == 4 {
                autopilot_armed = true;
            } else if h.component_id == CAMERA && autopilot_armed {
                camera_after = Some(hb.clone());
            }
        }
        camera_after.is_some().then_some(())
    });
    let cam = camera_after.expect("camera heartbeat");
    assert!(cam.base_mode.is_empty() && cam.custom_mode == 0, "{cam:?}");
}

#[test]
fn the_camera_heartbeat_follows_the_scenario_and_the_control_verb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("camera.toml");
    std::fs::write(
        &path,
        "name = \"camera\"\n[home]\nlat = 43.515\nlon = 4.989\nground_amsl_m = 20\n\
         [vehicles]\ncamera_heartbeat = true\n",
    )
    .expect("write");
    let sim = Sim::start(&[
        "--scenario",
        path.to_str().expect("utf8"),
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--speedup",
        "5",
        "--control",
        "127.0.0.1:0",
    ]);
    let conn = connect(sim.port());
    // Over 5 autopilot beats (2 camera beats at least, with room for a loaded machine).
    assert!(camera_beats_over(&conn, 5) >= 2, "on from the scenario");
    assert_eq!(
        sim.control("@1 camera heartbeat off").trim(),
        "ok camera heartbeat off"
    );
    // Let the beats already on the way arrive, then none.
    camera_beats_over(&conn, 2);
    assert_eq!(camera_beats_over(&conn, 3), 0);
    assert!(sim.control("camera heartbeat on").starts_with("ok"));
    wait_for(&conn, 20, "the camera again", |h, m| {
        is_camera(h, m).then_some(())
    });
    assert!(sim.control("@2 camera heartbeat on").starts_with("error"));
}
