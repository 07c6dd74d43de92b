//! A freshly booted vehicle refuses to arm until its estimator has settled, as ArduCopter SITL
//! does: a GCS that arms at once gets FAILED and ArduPilot's reasons, and must wait for the
//! pre-arm bit of SYS_STATUS.

use mavlink::MavConnection;
use mavlink::dialects::ardupilotmega::*;

use super::common::{Conn, Sim, connect, gcs_header, wait_for, wait_ready_to_arm};

fn command(conn: &Conn, command: MavCmd, p1: f32, p2: f32) -> (MavResult, Vec<String>) {
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
    let result = wait_for(
        conn,
        20,
        &format!("COMMAND_ACK {command:?}"),
        |_, m| match m {
            MavMessage::COMMAND_ACK(a) if a.command == command => Some(a.result),
            _ => None,
        },
    );
    // The reasons follow the ACK; the next SYS_STATUS (2 Hz) comes after them.
    let mut texts = Vec::new();
    wait_for(conn, 10, "the texts after the ACK", |_, m| match m {
        MavMessage::STATUSTEXT(t) => {
            texts.push(
                t.text
                    .to_str()
                    .unwrap_or_default()
                    .trim_end_matches('\0')
                    .to_string(),
            );
            None
        }
        MavMessage::SYS_STATUS(_) => Some(()),
        _ => None,
    });
    (result, texts)
}

#[test]
fn a_gcs_arming_right_after_boot_is_refused_until_the_prearm_bit_is_set() {
    // The default settle (10 s), at 10x: ready about 12 s of sim time after boot.
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--no-video", "--speedup", "10"]);
    let conn = connect(sim.port());
    let first = wait_for(&conn, 10, "SYS_STATUS", |_, m| match m {
        MavMessage::SYS_STATUS(s) => Some(s.clone()),
        _ => None,
    });
    let prearm = MavSysStatusSensor::MAV_SYS_STATUS_PREARM_CHECK;
    assert!(first.onboard_control_sensors_present.contains(prearm));
    assert!(first.onboard_control_sensors_enabled.contains(prearm));
    assert!(
        !first.onboard_control_sensors_health.contains(prearm),
        "not ready at boot"
    );

    // Arm at once: refused, with ArduCopter's arming-time prefix.
    let (result, texts) = command(&conn, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, 1.0, 0.0);
    assert_eq!(result, MavResult::MAV_RESULT_FAILED);
    assert!(
        texts.iter().any(|t| t == "Arm: Gyros inconsistent"),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.starts_with("PreArm")),
        "while arming the prefix is Arm: {texts:?}"
    );
    // GUIDED needs the EKF's position.
    let (result, texts) = command(&conn, MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 4.0);
    assert_eq!(result, MavResult::MAV_RESULT_FAILED);
    assert!(
        texts
            .iter()
            .any(|t| t == "Mode change to GUIDED failed: requires position"),
        "{texts:?}"
    );

    // The EKF reports constant position mode until it uses the GPS, then 831.
    wait_for(
        &conn,
        10,
        "EKF_STATUS_REPORT in constant position mode",
        |_, m| {
            matches!(m, MavMessage::EKF_STATUS_REPORT(r)
            if r.flags.contains(EkfStatusFlags::EKF_CONST_POS_MODE)
                && !r.flags.contains(EkfStatusFlags::EKF_POS_HORIZ_ABS))
            .then_some(())
        },
    );
    let mut using_gps_at_ms = None;
    let mut last_boot_ms = 0;
    wait_for(&conn, 30, "EKF3 IMU0 is using GPS", |_, m| match m {
        MavMessage::GLOBAL_POSITION_INT(p) => {
            last_boot_ms = p.time_boot_ms;
            None
        }
        MavMessage::STATUSTEXT(t)
            if t.text
                .to_str()
                .is_ok_and(|s| s.starts_with("EKF3 IMU0 is using GPS")) =>
        {
            using_gps_at_ms = Some(last_boot_ms);
            Some(())
        }
        _ => None,
    });
    let at_s = f64::from(using_gps_at_ms.expect("time")) / 1000.0;
    assert!(
        (11.0..=13.0).contains(&at_s),
        "GPS fix at 2 s + 10 s of good GPS: using GPS at {at_s} s"
    );
    wait_ready_to_arm(&conn, 30);
    wait_for(&conn, 10, "EKF flags 831", |_, m| {
        matches!(m, MavMessage::EKF_STATUS_REPORT(r) if r.flags.bits() == 831).then_some(())
    });
    let (result, _) = command(&conn, MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 4.0);
    assert_eq!(result, MavResult::MAV_RESULT_ACCEPTED);
    let (result, texts) = command(&conn, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, 1.0, 0.0);
    assert_eq!(result, MavResult::MAV_RESULT_ACCEPTED, "{texts:?}");
    // Armed: the pre-arm bit stays healthy.
    wait_for(&conn, 10, "SYS_STATUS while armed", |_, m| {
        matches!(m, MavMessage::SYS_STATUS(s) if s.onboard_control_sensors_health.contains(prearm))
            .then_some(())
    });
}

#[test]
fn the_settle_time_comes_from_the_command_line_or_the_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("quick.toml");
    std::fs::write(
        &path,
        "name = \"quick\"\n[home]\nlat = 43.515\nlon = 4.989\nground_amsl_m = 20\n\
         [vehicles]\nekf_settle_s = 0.5\n",
    )
    .expect("write");
    let sim = Sim::start(&[
        "--scenario",
        path.to_str().expect("utf8"),
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--gps-lock",
        "0.5",
    ]);
    let conn = connect(sim.port());
    let mut boot_ms = 0;
    wait_for(&conn, 20, "a position from the EKF", |_, m| match m {
        MavMessage::GLOBAL_POSITION_INT(p) if p.lat != 0 => {
            boot_ms = p.time_boot_ms;
            Some(())
        }
        _ => None,
    });
    assert!(
        boot_ms <= 2_000,
        "settled 0.5 s after the 0.5 s fix: {boot_ms} ms"
    );
    // A bad value is refused with the fix.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie-sim"))
        .args(["--ekf-settle=-3", "--no-video", "--tcp", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--ekf-settle must be within 0..600"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
