//! The running station against the real `vigie-sim` over real UDP sockets: what reaches the
//! vehicle (the simulator's own `received` log), the register, several vehicles, RTL during an
//! upload on a lossy link, a camera on the vehicle, link loss.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use flight_rules::{LatLon, Mission, MissionItem, RuleSet, rule_id};
use vigie_link::{CommandResult, CopterMode, HubConfig, LinkConfig};
use vigie_register::{Actor, FlightFilter, Register, RegisterKind};
use vigie_station::{
    Done, EventKind, Failure, Outcome, SessionRequest, StationCommand, StationConfig,
    StationHandle, VehicleId, VehicleRequest,
};

use super::common::{TOWN, V1, authorisation, calm, manual_ticks, mistral, pilot};

/// `vigie-sim`, built beside this test binary by `cargo test --workspace` (or `cargo xtask test`).
fn sim_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let p = dir.join("vigie-sim");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build -p vigie_sim` (cargo xtask test does)",
        p.display()
    );
    p
}

/// A running simulator, killed on drop.
pub struct Sim {
    child: Child,
    control: SocketAddr,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    /// Start `vigie-sim` sending to a station listening on `station_port`.
    pub fn start(station_port: u16, args: &[&str]) -> Sim {
        Sim::start_streaming(station_port, None, args)
    }

    /// The same, streaming its camera to `video_port` (which it announces in
    /// VIDEO_STREAM_INFORMATION as `udp://0.0.0.0:PORT`).
    pub fn start_streaming(station_port: u16, video_port: Option<u16>, args: &[&str]) -> Sim {
        let video = match video_port {
            Some(p) => vec!["--video".to_string(), format!("rtp://127.0.0.1:{p}")],
            None => vec!["--no-video".to_string()],
        };
        let mut child = Command::new(sim_bin())
            .args(video)
            .args([
                "--udp",
                &format!("127.0.0.1:{station_port}"),
                "--control",
                "127.0.0.1:0",
                "--ekf-settle",
                "1",
                "--gps-lock",
                "0.5",
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn vigie-sim");
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut control = None;
        for line in out.lines().map_while(Result::ok) {
            if let Some(a) = line.strip_prefix("CONTROL ") {
                control = Some(a.trim().parse().unwrap());
                break;
            }
        }
        Sim {
            child,
            control: control.expect("the simulator printed its CONTROL address"),
        }
    }

    /// One control command; the answer (one line, or lines up to an empty one).
    pub fn ask(&self, cmd: &str) -> String {
        let mut s = TcpStream::connect(self.control).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        writeln!(s, "{cmd}").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        text
    }

    /// What vehicle `n` received since the last `received clear`: (time µs, name, fields).
    pub fn received(&self, n: u8) -> Vec<(u64, String, BTreeMap<String, String>)> {
        let text = self.ask(&format!("@{n} received"));
        text.lines()
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                let t: u64 = parts.next()?.parse().ok()?;
                let name = parts.next()?.to_string();
                let fields = parts
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                Some((t, name, fields))
            })
            .collect()
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A training station (demo pilot and arrêté, manual checklist ticked) listening on `port`.
pub async fn station(port: u16, register: Option<&Path>) -> StationHandle {
    let rules = RuleSet::default_embedded();
    let mut config = StationConfig::new(HubConfig {
        links: vec![LinkConfig::vehicle(
            format!("udpin:127.0.0.1:{port}").parse().unwrap(),
        )],
        ..HubConfig::default()
    });
    config.authorisation = Some(authorisation(&rules));
    config.pilot = Some(pilot());
    config.training = true;
    config.airframe = "vigie-sim".into();
    config.checklist_ticks = manual_ticks(&rules);
    config.register_dir = register.map(Path::to_path_buf);
    config.aircraft_registration = "SIM-TEST-1".into();
    config.rules = rules;
    vigie_station::start(config).await.unwrap()
}

async fn wind(st: &StationHandle, w: flight_rules::WindReading) {
    let o = st
        .command(StationCommand::Session(SessionRequest::AddWind(w)))
        .await;
    assert!(o.accepted(), "{o:?}");
}

/// Wait until the vehicle has a fix, a home, and its autopilot says it would arm.
async fn ready(st: &StationHandle, v: VehicleId) {
    let mut tel = st
        .wait_vehicle(v, Duration::from_secs(30))
        .await
        .expect("vehicle heard");
    tokio::time::timeout(
        Duration::from_secs(60),
        tel.wait_for(|t| {
            t.home.is_some()
                && t.position.is_some()
                && t.readiness.prearm_ok == Some(true)
                && t.readiness.ekf.is_some_and(|e| e.horiz_pos_abs_ok)
        }),
    )
    .await
    .expect("vehicle ready within 60 s")
    .unwrap();
}

async fn fence(st: &StationHandle, v: VehicleId) {
    let o = st
        .command(StationCommand::vehicle(v, VehicleRequest::UploadFence))
        .await;
    assert!(
        matches!(
            o,
            Outcome::Done {
                done: Done::FenceUploaded { enabled: true, .. },
                ..
            }
        ),
        "{o:?}"
    );
}

/// Messages that change a vehicle's state (everything but reads and stream-rate requests).
fn acts(rx: &[(u64, String, BTreeMap<String, String>)]) -> Vec<String> {
    rx.iter()
        .filter(|(_, name, f)| match name.as_str() {
            "COMMAND_LONG" | "COMMAND_INT" => {
                // SET_MESSAGE_INTERVAL, REQUEST_MESSAGE: asking, not acting.
                !matches!(f.get("command").map(String::as_str), Some("511" | "512"))
            }
            "SET_MODE"
            | "MISSION_COUNT"
            | "MISSION_ITEM"
            | "MISSION_ITEM_INT"
            | "MISSION_CLEAR_ALL"
            | "MISSION_SET_CURRENT"
            | "PARAM_SET"
            | "SET_POSITION_TARGET_GLOBAL_INT"
            | "SET_POSITION_TARGET_LOCAL_NED" => true,
            _ => false,
        })
        .map(|(_, n, f)| format!("{n} {f:?}"))
        .collect()
}

fn actor() -> Actor {
    Actor {
        id: "test".into(),
        name: "test".into(),
        role: "test".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_mistral_arm_reaches_nothing_but_reads_and_the_refusal_is_registered() {
    let data = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let st = station(port, Some(data.path())).await;
    let sim = Sim::start(port, &["--scenario", "istres-mistral"]);
    ready(&st, V1).await;
    fence(&st, V1).await;
    // The launch-site anemometer reports the scenario's mistral (50 km/h, gusts 90).
    wind(&st, mistral(chrono::Utc::now())).await;
    assert!(sim.ask("@1 received clear").contains("cleared"));
    for r in [
        VehicleRequest::ArmInGuided,
        VehicleRequest::ArmAndTakeoff { alt_rel_m: 40.0 },
        VehicleRequest::Arm,
    ] {
        let o = st.command(StationCommand::vehicle(V1, r.clone())).await;
        let Outcome::Refused(d) = &o else {
            panic!("{r:?}: {o:?}")
        };
        assert!(d.blocks_on(rule_id::WIND_GATE), "{:#?}", d.findings);
    }
    // Let anything that did leave arrive, then ask the vehicle what it got.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rx = sim.received(1);
    assert!(
        acts(&rx).is_empty(),
        "only reads may reach the vehicle: {:#?}",
        acts(&rx)
    );
    st.shutdown().await;
    // The refusals are in the register with their rule, no flight open.
    let mut reg = Register::open(data.path(), RegisterKind::Training).unwrap();
    let events = reg.events(None, None, &actor(), "test").unwrap();
    let refusals: Vec<_> = events.iter().filter(|e| e.code == "REFUSED").collect();
    assert_eq!(refusals.len(), 3, "{events:#?}");
    assert!(
        refusals
            .iter()
            .all(|e| e.flight_id.is_none() && e.rule_ids.iter().any(|r| r == rule_id::WIND_GATE))
    );
    assert!(
        events
            .iter()
            .any(|e| e.code == "WIND-GATE" && e.text.contains("AboveLimit")),
        "the wind gate's change is recorded: {events:#?}"
    );
    assert!(reg.verify().unwrap().is_ok());
}

async fn fly_up_and_land(st: &StationHandle, v: VehicleId) {
    let o = st
        .command(StationCommand::vehicle(
            v,
            VehicleRequest::ArmAndTakeoff { alt_rel_m: 15.0 },
        ))
        .await;
    assert!(o.accepted(), "{v}: {o:?}");
    let mut tel = st.telemetry(v).unwrap();
    tokio::time::timeout(
        Duration::from_secs(60),
        tel.wait_for(|t| t.position.is_some_and(|p| p.alt_rel_m > 12.0)),
    )
    .await
    .expect("climbed")
    .unwrap();
    let o = st
        .command(StationCommand::vehicle(v, VehicleRequest::Land))
        .await;
    assert!(o.accepted(), "{v}: {o:?}");
    tokio::time::timeout(Duration::from_secs(90), tel.wait_for(|t| !t.armed))
        .await
        .expect("landed and disarmed")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_vehicles_are_commanded_apart_and_their_flights_sealed_apart() {
    let data = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let st = station(port, Some(data.path())).await;
    let sim = Sim::start(
        port,
        &[
            "--scenario",
            "istres-calm",
            "--vehicles",
            "2",
            "--one-link",
            "--speedup",
            "3",
        ],
    );
    let v2 = VehicleId(2);
    ready(&st, V1).await;
    ready(&st, v2).await;
    wind(&st, calm(chrono::Utc::now())).await;
    fence(&st, V1).await;
    fence(&st, v2).await;
    sim.ask("received clear");
    let mut events = st.events();
    fly_up_and_land(&st, v2).await;
    let arms = |n: u8| {
        sim.received(n)
            .iter()
            .filter(|(_, name, f)| {
                name == "COMMAND_LONG" && f.get("command").map(String::as_str) == Some("400")
            })
            .count()
    };
    assert_eq!(
        arms(2),
        1,
        "vehicle 2 got its arm (it disarms by itself after landing)"
    );
    assert_eq!(arms(1), 0, "vehicle 1 got nothing of vehicle 2's flight");
    assert!(!st.telemetry(V1).unwrap().borrow().armed);
    fly_up_and_land(&st, V1).await;
    // Two flights, sealed separately.
    let mut sealed = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while sealed.len() < 2 {
            if let Ok(e) = events.recv().await
                && let EventKind::FlightSealed { flight_id } = e.kind
            {
                sealed.push(flight_id);
            }
        }
    })
    .await
    .expect("both flights sealed");
    st.shutdown().await;
    let mut reg = Register::open(data.path(), RegisterKind::Training).unwrap();
    let flights = reg
        .list_flights(&FlightFilter::default(), &actor(), "test")
        .unwrap();
    assert_eq!(flights.len(), 2, "{flights:#?}");
    assert!(flights.iter().all(|f| f.sealed));
    assert!(flights.iter().any(|f| f.flight_id.contains("-drone-1-")));
    assert!(flights.iter().any(|f| f.flight_id.contains("-drone-2-")));
    assert!(reg.verify().unwrap().is_ok());
}

/// 100 waypoints in a lawnmower inside the demo perimeter, 30 m above home.
fn long_mission() -> Mission {
    let mut items = vec![MissionItem::takeoff(0, 30.0)];
    for i in 0..99u16 {
        let row = f64::from(i / 10);
        let col = f64::from(i % 10);
        items.push(MissionItem::waypoint(
            i + 1,
            LatLon::new(43.5120 + row * 0.0006, 4.9850 + col * 0.0008),
            30.0,
        ));
    }
    Mission {
        items,
        ..Mission::default()
    }
}

fn unix_us(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtl_during_a_100_item_upload_leaves_at_once_and_is_acked_on_a_lossy_link() {
    let port = free_udp_port();
    let st = station(port, None).await;
    let sim = Sim::start(port, &["--scenario", "istres-calm"]);
    ready(&st, V1).await;
    let mission = long_mission();
    let upload = |st: &StationHandle| {
        let st = st.clone();
        let m = mission.clone();
        tokio::spawn(async move {
            st.command(StationCommand::vehicle(
                V1,
                VehicleRequest::UploadMission(m),
            ))
            .await
        })
    };

    // 1. Latency: a slow link (20 ms each way) makes the upload last seconds.
    sim.ask("latency 20");
    sim.ask("@1 received clear");
    let up = upload(&st);
    // Press RTL once the upload is under way (the vehicle has asked for items).
    let t0 = Instant::now();
    while !sim
        .received(1)
        .iter()
        .any(|(_, n, _)| n == "MISSION_ITEM_INT")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the upload never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pressed = unix_us(SystemTime::now());
    let o = st
        .command(StationCommand::vehicle(V1, VehicleRequest::Rtl))
        .await;
    assert!(
        matches!(
            o,
            Outcome::Done { .. }
                | Outcome::Failed {
                    failure: Failure::VehicleAnswered(_),
                    ..
                }
        ),
        "{o:?}"
    );
    let o = up.await.unwrap();
    assert!(
        matches!(
            o,
            Outcome::Done {
                done: Done::MissionUploaded { items: 100 },
                ..
            }
        ),
        "the upload went on and read back identical: {o:?}"
    );
    let rx = sim.received(1);
    let rtl_at = rx
        .iter()
        .find(|(t, n, f)| {
            *t >= pressed
                && n == "COMMAND_LONG"
                && f.get("command").map(String::as_str) == Some("20")
        })
        .map(|(t, _, _)| *t)
        .expect("the RTL reached the vehicle");
    let later_items = rx
        .iter()
        .filter(|(t, n, _)| *t > rtl_at && n == "MISSION_ITEM_INT")
        .count();
    let delay_ms = (rtl_at - pressed) as f64 / 1000.0;
    eprintln!("RTL reached the vehicle {delay_ms:.1} ms after the press (20 ms link latency)");
    assert!(
        delay_ms <= 100.0,
        "RTL waited behind the upload: {delay_ms} ms"
    );
    assert!(
        later_items > 0,
        "the press came during the upload, not after it"
    );

    // 2. A lossy link (20 % each way): 100 RTLs during uploads, each acknowledged within its
    //    own retry budget; the uploads resume or restart and end read back identical.
    sim.ask("link ok");
    sim.ask("link loss both 20");
    let mut up = upload(&st);
    let mut uploads_done = 0;
    let mut worst = Duration::ZERO;
    for trial in 0..100 {
        let t = Instant::now();
        let o = st
            .command(StationCommand::vehicle(V1, VehicleRequest::Rtl))
            .await;
        worst = worst.max(t.elapsed());
        match o {
            Outcome::Done { .. } => {}
            Outcome::Failed {
                failure: Failure::VehicleAnswered(r),
                ..
            } if r != CommandResult::NoAck => {}
            other => panic!("trial {trial}: RTL not acknowledged: {other:?}"),
        }
        if up.is_finished() {
            match up.await.unwrap() {
                Outcome::Done { .. } => uploads_done += 1,
                // Too many losses in a row: the operator presses upload again.
                Outcome::Failed {
                    failure: Failure::Link(e),
                    ..
                } => eprintln!("upload restarted: {e}"),
                other => panic!("{other:?}"),
            }
            up = upload(&st);
        }
    }
    eprintln!(
        "100 RTLs acknowledged on a 20 % loss link, slowest {worst:?}; {uploads_done} uploads completed meanwhile"
    );
    sim.ask("link ok");
    let o = up.await.unwrap();
    assert!(
        matches!(
            o,
            Outcome::Done {
                done: Done::MissionUploaded { items: 100 },
                ..
            }
        ),
        "the last upload read back identical: {o:?}"
    );
    drop(sim);
    st.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_heartbeat_changes_neither_armed_state_nor_mode() {
    let port = free_udp_port();
    let st = station(port, None).await;
    let _sim = Sim::start(port, &["--scenario", "istres-calm", "--camera-heartbeat"]);
    ready(&st, V1).await;
    wind(&st, calm(chrono::Utc::now())).await;
    fence(&st, V1).await;
    let o = st
        .command(StationCommand::vehicle(
            V1,
            VehicleRequest::ArmAndTakeoff { alt_rel_m: 10.0 },
        ))
        .await;
    assert!(o.accepted(), "{o:?}");
    let mut tel = st.telemetry(V1).unwrap();
    tokio::time::timeout(
        Duration::from_secs(30),
        tel.wait_for(|t| t.armed && t.position.is_some_and(|p| p.alt_rel_m > 5.0)),
    )
    .await
    .expect("airborne")
    .unwrap();
    let mut events = st.events();
    // Five camera heartbeats ("not armed", mode 0) while the aircraft flies in GUIDED.
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        let _ = tokio::time::timeout(Duration::from_millis(200), tel.changed()).await;
        let t = tel.borrow().clone();
        assert!(t.armed, "the camera disarmed the flight on screen");
        assert_eq!(t.mode, CopterMode::Guided);
        assert_eq!(t.compid, 1);
    }
    while let Ok(e) = events.try_recv() {
        assert!(
            !matches!(
                e.kind,
                EventKind::Disarmed | EventKind::ModeChanged(CopterMode::Stabilize)
            ),
            "{e:?}"
        );
    }
    let o = st
        .command(StationCommand::vehicle(V1, VehicleRequest::Land))
        .await;
    assert!(o.accepted());
    st.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_loss_and_recovery_are_alarmed_within_3_s() {
    let port = free_udp_port();
    let st = station(port, None).await;
    let sim = Sim::start(port, &["--scenario", "istres-calm"]);
    st.wait_vehicle(V1, Duration::from_secs(30)).await.unwrap();
    let mut events = st.events();
    let wait = |events: &mut tokio::sync::broadcast::Receiver<vigie_station::StationEvent>,
                want: fn(&EventKind) -> bool| {
        let events = events.resubscribe();
        async move {
            let mut events = events;
            loop {
                if let Ok(e) = events.recv().await
                    && want(&e.kind)
                {
                    return;
                }
            }
        }
    };
    for _ in 0..2 {
        let lost = wait(&mut events, |k| matches!(k, EventKind::LinkLost));
        sim.ask("link loss down 100");
        let t = Instant::now();
        tokio::time::timeout(Duration::from_secs(3), lost)
            .await
            .expect("link loss alarmed within 3 s");
        eprintln!("link loss alarmed after {:?}", t.elapsed());
        let back = wait(&mut events, |k| matches!(k, EventKind::LinkRegained));
        sim.ask("link ok");
        let t = Instant::now();
        tokio::time::timeout(Duration::from_secs(3), back)
            .await
            .expect("recovery reported within 3 s");
        eprintln!("link recovery reported after {:?}", t.elapsed());
    }
    let snap = st.snapshot().borrow().clone();
    assert!(
        snap.alarms
            .iter()
            .any(|a| a.kind == vigie_station::AlarmKind::LinkLost && a.cleared_at.is_some()),
        "the alarm stays until acknowledged: {:?}",
        snap.alarms
    );
    let _ = TOWN;
    st.shutdown().await;
}

/// The vehicle says where its camera streams (VIDEO_STREAM_INFORMATION) and the operator
/// configured nothing: the station receives it (the pilot's frames), says so, and records it
/// with the flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_video_a_vehicle_announces_is_received_and_recorded_with_its_flight() {
    let port = free_udp_port();
    let video_port = free_udp_port();
    let dir = tempfile::tempdir().unwrap();
    let st = station(port, Some(dir.path())).await;
    let mut events = st.events();
    let _sim = Sim::start_streaming(port, Some(video_port), &[]);
    let announced = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match events.recv().await {
                Ok(e) => {
                    if let EventKind::VideoAnnounced { stream, source } = &e.kind {
                        break (stream.clone(), source.clone());
                    }
                    assert!(
                        !matches!(e.kind, EventKind::VideoUnusable { .. }),
                        "{}",
                        e.describe()
                    );
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await
    .expect("the station receives the announced stream");
    assert_eq!(announced.0, "drone-1");
    assert!(
        announced.1.contains(&video_port.to_string()),
        "{announced:?}"
    );
    let slot = st
        .video(V1)
        .expect("the announced stream's frames for the pilot");
    let frame = tokio::task::spawn_blocking(move || slot.wait_newer(None, Duration::from_secs(20)))
        .await
        .unwrap()
        .expect("a frame from the announced stream");
    assert!(frame.width >= 640, "{}x{}", frame.width, frame.height);

    wind(&st, calm(chrono::Utc::now())).await;
    ready(&st, V1).await;
    fence(&st, V1).await;
    fly_up_and_land(&st, V1).await;
    st.shutdown().await;
    let mut reg = Register::open(dir.path(), RegisterKind::Training).unwrap();
    let flights = reg
        .list_flights(&FlightFilter::default(), &actor(), "test")
        .unwrap();
    let flight = flights.first().expect("the flight");
    let view = reg
        .show_flight(&flight.flight_id, &actor(), "test")
        .unwrap();
    assert!(
        view.video_segments
            .iter()
            .any(|(_, s)| s.as_ref().is_some_and(|s| s.camera == "drone-1")),
        "the announced stream is recorded with the flight: {:?}",
        view.video_segments
    );
}
