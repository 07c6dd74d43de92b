//! The SBS-1 traffic feed: against a plain TCP server, then against a real decoder —
//! Debian's dump1090-mutability in `--net-only` mode, fed DF17 frames of a helicopter over
//! Istres that this test encodes — with the proximity rule judging what it serves.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use flight_rules::{
    Action, IcaoAddress, LatLon, RuleSet, Severity, Situation, Traffic, TrafficAltRef,
    VehicleSnapshot, evaluate, rule_id,
};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use vigie_feeds::*;

use super::common::*;
use super::df17;

/// Istres town centre: the helicopter's position.
const HELI: LatLon = LatLon::new(43.515, 4.989);
const HELI_ICAO: u32 = 0x39C4A5;

fn find(list: &[Traffic], icao: u32) -> Option<&Traffic> {
    list.iter().find(|t| t.icao == IcaoAddress(icao))
}

/// A BaseStation server that sends real lines, drops the connection, and is reconnected to;
/// an aircraft that falls silent expires from the list.
#[tokio::test]
async fn sbs_server_lines_reconnect_and_expiry() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let addr: FeedAddress = format!("tcp://127.0.0.1:{port}").parse().unwrap();
    let cfg = TrafficConfig {
        expire_after: Duration::from_secs(2),
        publish_every: Duration::from_millis(50),
        ..TrafficConfig::default()
    };
    let mut feed = spawn_traffic(&addr, cfg).await.unwrap();
    let (mut c, _) = listener.accept().await.unwrap();
    until(&mut feed, 5, "connected", is_up).await;
    c.write_all(
        b"MSG,1,1,1,3C6586,1,2026/12/01,10:00:00.000,2026/12/01,10:00:00.000,SAMU13,,,,,,,,,,,0\r\n\
          \r\n\
          MSG,3,1,1,3C6586,1,2026/12/01,10:00:00.100,2026/12/01,10:00:00.100,,1200,,,43.52000,4.99000,,,,,,0\r\n\
          MSG,9,1,1,3C6586,1,,,,,,,,,,,,,,,,0\r\n\
          STA,,1,1,3C6586,1,,,,,,\r\n",
    )
    .await
    .unwrap();
    let ev = until(&mut feed, 5, "the position", |e| {
        matches!(e, FeedEvent::Data(v) if find(v, 0x3C6586).is_some_and(|t| t.position.is_some()))
    })
    .await;
    let FeedEvent::Data(v) = ev else {
        unreachable!()
    };
    let t = find(&v, 0x3C6586).unwrap();
    assert_eq!(t.callsign.as_deref(), Some("SAMU13"));
    assert_eq!(t.alt_ref, TrafficAltRef::PressureStd);
    let s = feed.stats();
    assert_eq!(s.data, 2, "{s:?}");
    assert_eq!(s.ignored, 1, "STA");
    assert_eq!(s.bad.get("field"), Some(&1), "MSG,9: {s:?}");
    assert!(s.last_bad.unwrap().contains("transmission type"));

    drop(c);
    let FeedEvent::Fault(f) = until(&mut feed, 5, "the close", |e| {
        matches!(e, FeedEvent::Fault(_))
    })
    .await
    else {
        unreachable!()
    };
    assert_eq!(f.kind, FaultKind::Closed, "{f}");
    let (_c, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .unwrap()
        .unwrap();
    until(&mut feed, 5, "reconnected", is_up).await;
    // Nothing more heard: the aircraft leaves the list.
    until(
        &mut feed,
        10,
        "the expiry",
        |e| matches!(e, FeedEvent::Data(v) if v.is_empty()),
    )
    .await;
}

#[tokio::test]
async fn sbs_needs_a_tcp_address() {
    let e = spawn_traffic(
        &"udp://0.0.0.0:30003".parse().unwrap(),
        TrafficConfig::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("tcp://127.0.0.1:30003"), "{e}");
}

/// dump1090-mutability on loopback ports; killed (through `timeout`, which also bounds it if
/// this process dies) when dropped, even on panic.
struct Dump1090 {
    child: Child,
    raw_in: u16,
    sbs: u16,
}

impl Dump1090 {
    fn start() -> Self {
        for _ in 0..5 {
            let (raw_in, sbs) = (free_port(), free_port());
            let mut child = Command::new("timeout")
                .args(["-s", "KILL", "120", "dump1090-mutability", "--net-only", "--quiet"])
                .args(["--net-bind-address", "127.0.0.1"])
                .args(["--net-ri-port", &raw_in.to_string()])
                .args(["--net-sbs-port", &sbs.to_string()])
                // Every other listener off ("0" disables a service).
                .args(["--net-ro-port", "0", "--net-bi-port", "0", "--net-bo-port", "0"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot run dump1090-mutability ({e}): `apt-get install dump1090-mutability` (cargo xtask setup does)")
                });
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if TcpStream::connect(("127.0.0.1", sbs)).is_ok()
                    && TcpStream::connect(("127.0.0.1", raw_in)).is_ok()
                {
                    return Self { child, raw_in, sbs };
                }
                // Exited (a port taken between our probe and its bind): try other ports.
                if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("dump1090-mutability did not start listening");
    }
}

impl Drop for Dump1090 {
    fn drop(&mut self) {
        // SIGTERM to `timeout` is passed on to dump1090, which exits; SIGKILL would orphan it.
        let term = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        if !term.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The SBS lines dump1090 writes, read by a plain client beside Vigie's, until `n` MSG,4.
fn capture_sbs(port: u16) -> std::thread::JoinHandle<Vec<String>> {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stream);
        let mut lines = vec![];
        loop {
            let mut l = String::new();
            match r.read_line(&mut l) {
                Ok(0) | Err(_) => return lines,
                Ok(_) => {
                    let done = l.starts_with("MSG,4,");
                    lines.push(l);
                    if done {
                        return lines;
                    }
                }
            }
        }
    })
}

#[tokio::test]
async fn dump1090_decodes_our_helicopter_and_the_proximity_rule_fires() {
    let d = Dump1090::start();
    let addr: FeedAddress = format!("tcp://127.0.0.1:{}", d.sbs).parse().unwrap();
    let cfg = TrafficConfig {
        publish_every: Duration::from_millis(100),
        ..TrafficConfig::default()
    };
    let mut feed = spawn_traffic(&addr, cfg).await.unwrap();
    until(&mut feed, 10, "connected to dump1090", is_up).await;
    let raw = capture_sbs(d.sbs);

    // A helicopter over Istres at 350 ft (pressure altitude), 50 kt north and 30 kt east,
    // descending 640 ft/min: identification, even and odd positions, velocity.
    let alt_ft = 350.0;
    let frames = [
        df17::df17(HELI_ICAO, df17::identification("DRAGON13", 4, 7)),
        df17::df17(
            HELI_ICAO,
            df17::airborne_position(HELI.lat_deg, HELI.lon_deg, alt_ft, false, 11),
        ),
        df17::df17(
            HELI_ICAO,
            df17::airborne_position(HELI.lat_deg, HELI.lon_deg, alt_ft, true, 11),
        ),
        df17::df17(HELI_ICAO, df17::velocity(50, 30, -640)),
    ];
    let mut input = TcpStream::connect(("127.0.0.1", d.raw_in)).unwrap();
    for f in &frames {
        input.write_all(df17::avr(f).as_bytes()).unwrap();
    }
    input.flush().unwrap();

    let ev = until(&mut feed, 20, "the helicopter, complete", |e| {
        matches!(e, FeedEvent::Data(v) if find(v, HELI_ICAO).is_some_and(|t| {
            t.callsign.is_some() && t.position.is_some() && t.alt_m.is_some() && t.ground_speed_mps.is_some()
        }))
    })
    .await;
    let FeedEvent::Data(list) = ev else {
        unreachable!()
    };
    let heli = find(&list, HELI_ICAO).unwrap().clone();
    assert_eq!(heli.callsign.as_deref(), Some("DRAGON13"));
    let err_m = heli.position.unwrap().distance_m(&HELI);
    assert!(
        err_m < 6.0,
        "decoded {:?}, {err_m:.1} m from what was encoded",
        heli.position
    );
    assert_eq!(heli.alt_ref, TrafficAltRef::PressureStd);
    assert!(
        (heli.alt_m.unwrap() - alt_ft * 0.3048).abs() < 0.01,
        "{heli:?}"
    );
    let gs_kt = heli.ground_speed_mps.unwrap() * 3600.0 / 1852.0;
    assert!((gs_kt - 58.3).abs() < 1.0, "{gs_kt}");
    assert!((heli.track_deg.unwrap() - 31.0).abs() <= 1.0, "{heli:?}");
    assert!(heli.vertical_rate_mps.unwrap() < -3.0, "{heli:?}");
    assert_eq!(heli.on_ground, Some(false));
    eprintln!("dump1090 decoded position {err_m:.1} m from the encoded one");

    // What dump1090 itself wrote: 22 CRLF-terminated fields; the even position alone carries
    // no lat/lon, the odd one completes the pair.
    let lines = raw.join().unwrap();
    let msgs: Vec<&String> = lines.iter().filter(|l| l.starts_with("MSG,")).collect();
    assert!(
        msgs.iter()
            .all(|l| l.ends_with("\r\n") && l.trim_end().split(',').count() == 22),
        "{lines:#?}"
    );
    let pos: Vec<Vec<&str>> = msgs
        .iter()
        .filter(|l| l.starts_with("MSG,3,"))
        .map(|l| l.trim_end().split(',').collect())
        .collect();
    assert_eq!(pos.len(), 2, "{lines:#?}");
    assert_eq!((pos[0][14], pos[0][15]), ("", ""), "{lines:#?}");
    assert!(!pos[1][14].is_empty() && pos[1][11] == "350", "{lines:#?}");

    // The proximity rule on what the feed delivered. In flight, 300 m west of the helicopter
    // at 40 m above the 22 m ground: the helicopter is ~147 ft above.
    let rules = RuleSet::default_embedded();
    let now = Utc::now();
    let drone_pos = HELI.destination(270.0, 300.0);
    let vehicle = VehicleSnapshot {
        airframe: "ArduCopter".into(),
        position: Some(drone_pos),
        position_at: Some(now),
        h_accuracy_m: Some(2.0),
        alt_amsl_m: Some(62.0),
        alt_rel_home_m: Some(40.0),
        armed: true,
        airborne: true,
        ..VehicleSnapshot::default()
    };
    let s = Situation {
        vehicle: Some(vehicle),
        ground_amsl_m: Some(22.0),
        traffic: list.clone(),
        ..Situation::default()
    };
    let d_mon = evaluate(&rules, &s, &Action::Monitor, now);
    let alarm = d_mon
        .findings
        .iter()
        .find(|f| f.rule_id == rule_id::TRAFFIC_NEARBY)
        .unwrap_or_else(|| panic!("no traffic alarm: {:#?}", d_mon.findings));
    assert_eq!(alarm.severity, Severity::Warning);
    assert!(
        alarm.reason.contains("DRAGON13") && alarm.reason.contains("39C4A5"),
        "{}",
        alarm.reason
    );
    eprintln!("alarm: {}", alarm.reason);

    // Before take-off from the same point: refused, the helicopter named.
    let s = Situation {
        takeoff_point: Some(drone_pos),
        ground_amsl_m: Some(22.0),
        traffic: list,
        ..Situation::default()
    };
    let d_arm = evaluate(&rules, &s, &Action::Takeoff { alt_m: 30.0 }, now);
    assert!(
        d_arm.blocks_on(rule_id::TRAFFIC_NEARBY),
        "{:#?}",
        d_arm.findings
    );
    let refusal = d_arm
        .blocking()
        .find(|f| f.rule_id == rule_id::TRAFFIC_NEARBY)
        .unwrap();
    assert!(refusal.reason.contains("DRAGON13"), "{}", refusal.reason);
    eprintln!("take-off refused: {}", refusal.reason);
}
