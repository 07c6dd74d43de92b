//! The station goes away mid-flight (its process killed: heartbeats stop, its TCP connection
//! closes, or its UDP goes silent) and comes back: the vehicle behaves like ArduCopter with
//! FS_GCS_ENABLE = 1 (RTL after FS_GCS_TIMEOUT of sim time, lands, disarms), and the returning
//! station sees it as it is and can command it again.

use std::time::{Duration, Instant};

use mavlink::dialects::ardupilotmega::*;
use mavlink::{MavConnection, MavHeader};

use super::common::{Conn, Sim, connect, gcs_header, wait_ready_to_arm};

/// FS_GCS_ENABLE as a police operator sets it; a quick landing so the test stays short.
const SCENARIO: &str = "name = \"gcs-failsafe\"\n\
    [home]\nlat = 43.515\nlon = 4.989\nground_amsl_m = 20\n\
    [vehicles]\nekf_settle_s = 1\n\
    [params]\nFS_GCS_ENABLE = 1\nFS_GCS_TIMEOUT = 5\nRTL_ALT = 1000\nLAND_SPEED = 150\n";

/// A station: it sends its GCS heartbeat (10 Hz wall) while it waits.
struct Station {
    conn: Conn,
    last_beat: Instant,
    /// Every STATUSTEXT seen, so a wait for one thing does not lose another.
    texts: Vec<String>,
}

impl Station {
    fn new(conn: Conn) -> Station {
        Station {
            conn,
            last_beat: Instant::now() - Duration::from_secs(1),
            texts: Vec::new(),
        }
    }

    fn beat(&mut self) {
        if self.last_beat.elapsed() >= Duration::from_millis(100) {
            let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
                mavtype: MavType::MAV_TYPE_GCS,
                autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
                mavlink_version: 3,
                ..Default::default()
            });
            self.conn.send(&gcs_header(), &hb).expect("heartbeat");
            self.last_beat = Instant::now();
        }
    }

    fn wait<T>(
        &mut self,
        secs: u64,
        what: &str,
        mut pred: impl FnMut(&MavHeader, &MavMessage) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.beat();
            // Short waits so the heartbeat keeps its pace.
            let texts = &mut self.texts;
            let mut keep = |h: &MavHeader, m: &MavMessage| {
                if let MavMessage::STATUSTEXT(t) = m {
                    texts.push(t.text.to_str().unwrap_or_default().to_string());
                }
                pred(h, m)
            };
            if let Some(t) = wait_for_briefly(&self.conn, &mut keep) {
                return t;
            }
        }
    }

    fn command(&mut self, command: MavCmd, p: [f32; 7]) -> MavResult {
        self.conn
            .send(
                &gcs_header(),
                &MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
                    target_system: 1,
                    target_component: 1,
                    command,
                    param1: p[0],
                    param2: p[1],
                    param3: p[2],
                    param4: p[3],
                    param5: p[4],
                    param6: p[5],
                    param7: p[6],
                    confirmation: 0,
                }),
            )
            .expect("send");
        self.wait(20, &format!("ACK {command:?}"), |_, m| match m {
            MavMessage::COMMAND_ACK(a) if a.command == command => Some(a.result),
            _ => None,
        })
    }

    /// The autopilot's next heartbeat: (custom_mode, armed).
    fn state(&mut self) -> (u32, bool) {
        self.wait(10, "the autopilot's HEARTBEAT", |h, m| match m {
            MavMessage::HEARTBEAT(hb) if h.component_id == 1 => Some((
                hb.custom_mode,
                hb.base_mode
                    .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED),
            )),
            _ => None,
        })
    }

    fn text(&mut self, secs: u64, prefix: &str) {
        if self.texts.iter().any(|t| t.starts_with(prefix)) {
            return;
        }
        self.wait(secs, prefix, |_, m| match m {
            MavMessage::STATUSTEXT(t) if t.text.to_str().is_ok_and(|s| s.starts_with(prefix)) => {
                Some(())
            }
            _ => None,
        });
    }

    fn take_off(&mut self, alt_m: f32) {
        wait_ready_to_arm(&self.conn, 30);
        let guided = [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(
            self.command(MavCmd::MAV_CMD_DO_SET_MODE, guided),
            MavResult::MAV_RESULT_ACCEPTED
        );
        let arm = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(
            self.command(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, arm),
            MavResult::MAV_RESULT_ACCEPTED
        );
        let takeoff = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, alt_m];
        assert_eq!(
            self.command(MavCmd::MAV_CMD_NAV_TAKEOFF, takeoff),
            MavResult::MAV_RESULT_ACCEPTED
        );
        let want_mm = (alt_m * 900.0) as i32;
        self.wait(60, "the takeoff altitude", |_, m| match m {
            MavMessage::GLOBAL_POSITION_INT(p) if p.relative_alt > want_mm => Some(()),
            _ => None,
        });
    }
}

/// One receive (the connections read with a short timeout) matched against `pred`.
fn wait_for_briefly<T>(
    conn: &Conn,
    pred: &mut impl FnMut(&MavHeader, &MavMessage) -> Option<T>,
) -> Option<T> {
    match conn.recv() {
        Ok((h, m)) => pred(&h, &m),
        Err(mavlink::error::MessageReadError::Io(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            None
        }
        Err(e) => panic!("link error: {e}"),
    }
}

fn field<'a>(status: &'a str, key: &str) -> &'a str {
    status
        .split(key)
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or_else(|| panic!("{key} in {status}"))
}

#[test]
fn a_killed_tcp_station_triggers_rtl_and_a_new_connection_takes_the_vehicle_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fs.toml");
    std::fs::write(&path, SCENARIO).expect("write");
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
    let mut station = Station::new(connect(sim.port()));
    station.take_off(30.0);
    // The station dies: its connection closes, its heartbeats stop.
    drop(station);
    let killed_at = sim.wait_status(10, "the sim time", |_| true);
    let t_killed: f64 = field(&killed_at, " t=")
        .trim_end_matches('s')
        .parse()
        .expect("t");
    let status = sim.wait_status(30, "RTL after FS_GCS_TIMEOUT", |s| {
        field(s, "mode=") == "RTL"
    });
    let t_rtl: f64 = field(&status, " t=")
        .trim_end_matches('s')
        .parse()
        .expect("t");
    assert!(
        t_rtl - t_killed >= 4.0,
        "RTL {:.1} s after the station went (FS_GCS_TIMEOUT 5 s of sim time)",
        t_rtl - t_killed
    );
    assert_eq!(field(&status, "armed="), "true");

    // A new station connects: it sees the vehicle as it is, clears the failsafe, commands it.
    let mut station = Station::new(connect(sim.port()));
    assert_eq!(station.state(), (6, true), "still armed in RTL");
    station.text(20, "GCS Failsafe Cleared");
    let loiter = [1.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    assert_eq!(
        station.command(MavCmd::MAV_CMD_DO_SET_MODE, loiter),
        MavResult::MAV_RESULT_ACCEPTED
    );
    station.wait(10, "LOITER", |h, m| {
        matches!(m, MavMessage::HEARTBEAT(hb) if h.component_id == 1 && hb.custom_mode == 5)
            .then_some(())
    });
    assert_eq!(
        station.command(MavCmd::MAV_CMD_NAV_LAND, [0.0; 7]),
        MavResult::MAV_RESULT_ACCEPTED
    );
    station.wait(120, "landed and disarmed", |h, m| {
        matches!(m, MavMessage::HEARTBEAT(hb) if h.component_id == 1
            && hb.custom_mode == 9
            && !hb.base_mode.contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED))
        .then_some(())
    });
}

#[test]
fn a_silent_udp_station_finds_the_vehicle_landed_and_disarmed_and_can_fly_it_again() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let udpin = format!("udpin:127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fs.toml");
    std::fs::write(&path, SCENARIO).expect("write");
    let station_conn: Conn = mavlink::connect::<MavMessage>(&udpin).expect("udpin");
    let sim = Sim::start(&[
        "--scenario",
        path.to_str().expect("utf8"),
        "--udp",
        &format!("127.0.0.1:{port}"),
        "--no-video",
        "--speedup",
        "10",
        "--control",
        "127.0.0.1:0",
    ]);
    let mut station = Station::new(station_conn);
    station.take_off(10.0);
    // The station's process dies: its socket closes, nothing more comes from it.
    drop(station);
    let status = sim.wait_status(90, "RTL, landing and disarming", |s| {
        field(s, "mode=") == "RTL" && field(s, "armed=") == "false"
    });
    let alt: f64 = field(&status, "alt_rel=")
        .trim_end_matches('m')
        .parse()
        .expect("alt");
    assert!(alt.abs() < 1.0, "on the ground at home: {status}");

    // The station comes back on its port: the vehicle answers it, landed and disarmed in RTL.
    let mut station = Station::new(mavlink::connect::<MavMessage>(&udpin).expect("udpin"));
    assert_eq!(station.state(), (6, false));
    station.text(20, "GCS Failsafe Cleared");
    let guided = [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    assert_eq!(
        station.command(MavCmd::MAV_CMD_DO_SET_MODE, guided),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let arm = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    assert_eq!(
        station.command(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, arm),
        MavResult::MAV_RESULT_ACCEPTED,
        "armable again once the GCS is back"
    );
    let disarm = [0.0; 7];
    assert_eq!(
        station.command(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, disarm),
        MavResult::MAV_RESULT_ACCEPTED
    );
}
