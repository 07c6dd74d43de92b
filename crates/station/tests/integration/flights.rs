//! Real flights against `vigie-sim` over real sockets: plans refused at upload or flown in AUTO
//! to their last item, the authorisation ending mid-flight, a predicted breach before the
//! vehicle's own fence, a launch-site anemometer over UDP.

use std::path::Path;
use std::time::{Duration, Instant};

use flight_rules::{LatLon, Mission, MissionItem, RuleSet, rule_id};
use vigie_link::{CopterMode, HubConfig, LinkConfig};
use vigie_station::{
    AlarmKind, Done, EventKind, Outcome, SessionRequest, StationCommand, StationConfig,
    StationEvent, StationHandle, VehicleRequest,
};

use super::common::{V1, authorisation, calm, manual_ticks, pilot};
use super::sim::Sim;

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn base_config(port: u16, rules: RuleSet) -> StationConfig {
    let mut c = StationConfig::new(HubConfig {
        links: vec![LinkConfig::vehicle(
            format!("udpin:127.0.0.1:{port}").parse().unwrap(),
        )],
        ..HubConfig::default()
    });
    c.authorisation = Some(authorisation(&rules));
    c.pilot = Some(pilot());
    c.training = true;
    c.airframe = "vigie-sim".into();
    c.checklist_ticks = manual_ticks(&rules);
    c.aircraft_registration = "SIM-TEST-1".into();
    c.rules = rules;
    c
}

async fn ready(st: &StationHandle) {
    let mut tel = st
        .wait_vehicle(V1, Duration::from_secs(30))
        .await
        .expect("vehicle heard");
    tokio::time::timeout(
        Duration::from_secs(60),
        tel.wait_for(|t| {
            t.home.is_some()
                && t.readiness.prearm_ok == Some(true)
                && t.readiness.ekf.is_some_and(|e| e.horiz_pos_abs_ok)
        }),
    )
    .await
    .expect("vehicle ready")
    .unwrap();
}

async fn ok(st: &StationHandle, r: VehicleRequest) -> Outcome {
    let o = st.command(StationCommand::vehicle(V1, r.clone())).await;
    assert!(o.accepted(), "{r:?}: {o:?}");
    o
}

/// Wait for an event matching `want`, at most `within`.
async fn event(
    rx: &mut tokio::sync::broadcast::Receiver<StationEvent>,
    within: Duration,
    want: impl Fn(&StationEvent) -> bool,
) -> StationEvent {
    tokio::time::timeout(within, async {
        loop {
            match rx.recv().await {
                Ok(e) if want(&e) => return e,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("events closed: {e}"),
            }
        }
    })
    .await
    .expect("the event in time")
}

fn plan(points: &[(f64, f64)]) -> Mission {
    let mut items = vec![MissionItem::takeoff(0, 30.0)];
    for (i, &(lat, lon)) in points.iter().enumerate() {
        items.push(MissionItem::waypoint(
            i as u16 + 1,
            LatLon::new(lat, lon),
            30.0,
        ));
    }
    Mission {
        items,
        ..Mission::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_clipping_the_air_base_is_refused_and_a_clear_one_is_flown_to_its_last_item() {
    let port = free_udp_port();
    let st = vigie_station::start(base_config(port, RuleSet::default_embedded()))
        .await
        .unwrap();
    let _sim = Sim::start(port, &["--scenario", "istres-calm", "--speedup", "3"]);
    ready(&st).await;
    st.command(StationCommand::Session(SessionRequest::AddWind(calm(
        chrono::Utc::now(),
    ))))
    .await;
    ok(&st, VehicleRequest::UploadFence).await;
    // A leg from the town to the BA 125 runway: refused at upload, the zone named, nothing sent.
    let bad = plan(&[(43.5150, 4.9890), (43.5240, 4.9200)]);
    let o = st
        .command(StationCommand::vehicle(
            V1,
            VehicleRequest::UploadMission(bad),
        ))
        .await;
    let Outcome::Refused(d) = &o else {
        panic!("{o:?}")
    };
    let zone = d
        .blocking()
        .find(|f| f.rule_id == rule_id::ZONE_PROHIBITED)
        .expect("the air-base zone refuses it");
    assert!(
        zone.reason.contains("LFMI"),
        "the zone is named: {}",
        zone.reason
    );
    // A patrol inside the town perimeter: uploaded, read back identical, flown in AUTO.
    let good = plan(&[(43.5172, 4.9872), (43.5172, 4.9922), (43.5130, 4.9922)]);
    let o = ok(&st, VehicleRequest::UploadMission(good.clone())).await;
    assert!(matches!(
        o,
        Outcome::Done {
            done: Done::MissionUploaded { items: 4 },
            ..
        }
    ));
    ok(&st, VehicleRequest::StartMission).await;
    let mut snap = st.snapshot();
    let last = good.items.len() as u16;
    tokio::time::timeout(
        Duration::from_secs(150),
        snap.wait_for(|s| {
            s.vehicle(V1)
                .is_some_and(|v| v.mission.last_reached_seq == Some(last))
        }),
    )
    .await
    .expect("the last item reached")
    .unwrap();
    let v = st.snapshot().borrow().vehicle(V1).cloned().unwrap();
    assert_eq!(v.telemetry.mode, CopterMode::Auto);
    assert_eq!(
        v.mission.items, 4,
        "progress in the snapshot: {:?}",
        v.mission
    );
    ok(&st, VehicleRequest::Land).await;
    st.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorisation_ending_mid_flight_warns_twice_then_brings_the_vehicle_home() {
    let port = free_udp_port();
    let rules = RuleSet::default_embedded();
    let mut c = base_config(port, rules.clone());
    // An arrêté ending in 75 s; warnings at 45 s and 25 s before (the operator's policy; the
    // default is 10 and 2 minutes), and automatic RTL at the end.
    let mut a = authorisation(&rules);
    a.valid_until = chrono::Utc::now() + chrono::Duration::seconds(75);
    c.authorisation = Some(a);
    c.policy.authorisation_warn_s = vec![45, 25];
    c.policy.auto_rtl.authorisation_expired = true;
    let st = vigie_station::start(c).await.unwrap();
    let _sim = Sim::start(port, &["--scenario", "istres-calm"]);
    ready(&st).await;
    st.command(StationCommand::Session(SessionRequest::AddWind(calm(
        chrono::Utc::now(),
    ))))
    .await;
    ok(&st, VehicleRequest::UploadFence).await;
    let mut events = st.events();
    ok(&st, VehicleRequest::ArmAndTakeoff { alt_rel_m: 20.0 }).await;
    let first = event(&mut events, Duration::from_secs(60), |e| {
        matches!(e.kind, EventKind::AuthorisationEnding { .. })
    })
    .await;
    let second = event(&mut events, Duration::from_secs(40), |e| {
        matches!(e.kind, EventKind::AuthorisationEnding { .. })
    })
    .await;
    let (
        EventKind::AuthorisationEnding { left_s: a, .. },
        EventKind::AuthorisationEnding { left_s: b, .. },
    ) = (&first.kind, &second.kind)
    else {
        unreachable!()
    };
    assert!(*a <= 45 && *a > 25 && *b <= 25, "{a} then {b}");
    let rtl = event(&mut events, Duration::from_secs(40), |e| {
        matches!(e.kind, EventKind::AutomaticAction { .. })
    })
    .await;
    assert_eq!(rtl.rule_ids, vec![rule_id::AUTH_WINDOW]);
    let mut tel = st.telemetry(V1).unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        tel.wait_for(|t| t.mode == CopterMode::Rtl),
    )
    .await
    .expect("the vehicle flies home")
    .unwrap();
    let snap = st.snapshot().borrow().clone();
    assert!(
        snap.alarms
            .iter()
            .any(|a| a.kind == AlarmKind::AuthorisationEnding { seconds: 45 })
            && snap
                .alarms
                .iter()
                .any(|a| a.kind == AlarmKind::AuthorisationEnding { seconds: 25 }),
        "{:?}",
        snap.alarms
    );
    st.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breach_is_predicted_before_the_vehicle_fence_trips() {
    let port = free_udp_port();
    let mut c = base_config(port, RuleSet::default_embedded());
    c.policy.auto_rtl.predicted_breach_under_s = Some(12.0);
    let st = vigie_station::start(c).await.unwrap();
    let _sim = Sim::start(port, &["--scenario", "istres-calm", "--speedup", "2"]);
    ready(&st).await;
    st.command(StationCommand::Session(SessionRequest::AddWind(calm(
        chrono::Utc::now(),
    ))))
    .await;
    ok(&st, VehicleRequest::UploadFence).await;
    ok(&st, VehicleRequest::ArmAndTakeoff { alt_rel_m: 20.0 }).await;
    let mut tel = st.telemetry(V1).unwrap();
    tokio::time::timeout(
        Duration::from_secs(60),
        tel.wait_for(|t| t.position.is_some_and(|p| p.alt_rel_m > 15.0)),
    )
    .await
    .unwrap()
    .unwrap();
    let mut events = st.events();
    // GUIDED toward the perimeter's east edge (longitude 4.9950), stopping 30 m short of it:
    // allowed, but at cruise speed the vehicle heads for the edge.
    ok(
        &st,
        VehicleRequest::GoTo {
            target: LatLon::new(43.5150, 4.99463),
            alt_rel_m: 20.0,
        },
    )
    .await;
    let alarm = event(&mut events, Duration::from_secs(60), |e| {
        matches!(&e.kind, EventKind::InFlightFinding { decision } if decision.has(rule_id::BREACH_PREDICTED))
            || matches!(e.kind, EventKind::FenceBreach)
    })
    .await;
    assert!(
        matches!(alarm.kind, EventKind::InFlightFinding { .. }),
        "the prediction came first: {alarm:?}"
    );
    let rtl = event(&mut events, Duration::from_secs(30), |e| {
        matches!(
            e.kind,
            EventKind::AutomaticAction { .. } | EventKind::FenceBreach
        )
    })
    .await;
    assert!(
        matches!(rtl.kind, EventKind::AutomaticAction { rule_id: r, .. } if r == rule_id::BREACH_PREDICTED),
        "the station brought it back before the fence: {rtl:?}"
    );
    tokio::time::timeout(Duration::from_secs(90), tel.wait_for(|t| !t.armed))
        .await
        .expect("home and landed")
        .unwrap();
    assert!(
        tel.borrow().fence.is_none_or(|f| f.breach_count == 0),
        "the vehicle's own fence never tripped: {:?}",
        tel.borrow().fence
    );
    st.shutdown().await;
}

fn mwv(angle: f64, kmh: f64) -> String {
    let body = format!("WIMWV,{angle:.0},T,{kmh:.1},K,A");
    let sum = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("${body}*{sum:02X}\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_nmea_anemometer_greys_out_arming_within_a_second_and_blocks_when_silent() {
    let port = free_udp_port();
    let mut rules = RuleSet::default_embedded();
    // A sensor silent for 4 s is stale here (120 s in service), to keep the test short.
    rules.limits.wind.stale_anemometer_s = 4;
    let anemo = free_udp_port();
    let mut c = base_config(port, rules);
    c.feeds.anemometer = Some(format!("udp://127.0.0.1:{anemo}").parse().unwrap());
    let st = vigie_station::start(c).await.unwrap();
    let _sim = Sim::start(port, &["--scenario", "istres-calm"]);
    ready(&st).await;
    ok(&st, VehicleRequest::UploadFence).await;
    let sensor = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let send = |kmh: f64| {
        sensor
            .send_to(mwv(330.0, kmh).as_bytes(), ("127.0.0.1", anemo))
            .unwrap();
    };
    let blocked = |st: &StationHandle| {
        st.snapshot()
            .borrow()
            .vehicle(V1)
            .and_then(|v| v.preflight.clone())
            .is_some_and(|d| d.blocks_on(rule_id::WIND_GATE))
    };
    // A light breeze at 4 Hz: the gate opens.
    for _ in 0..16 {
        send(8.0);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(!blocked(&st), "calm: arming allowed by the wind gate");
    // The mistral rises to 70 km/h: the 3-s gust crosses 50 km/h after a few samples; from the
    // sample that makes it cross, the snapshot greys ARM out within 1 s.
    let mut samples = Vec::new();
    let mut deciding = None;
    for _ in 0..20 {
        send(70.0);
        samples.push(70.0);
        let last3: Vec<f64> = samples.iter().rev().take(12).copied().collect();
        let with_breeze = (last3.iter().sum::<f64>() + 8.0 * (12 - last3.len()) as f64) / 12.0;
        if deciding.is_none() && with_breeze >= 50.0 {
            deciding = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Some(t) = deciding
            && blocked(&st)
        {
            eprintln!("gust → ARM greyed out in {:?}", t.elapsed());
            break;
        }
    }
    let t = deciding.expect("the gust crossed the limit");
    let mut snap = st.snapshot();
    tokio::time::timeout(
        Duration::from_secs(1).saturating_sub(t.elapsed()),
        snap.wait_for(|s| {
            s.vehicle(V1)
                .and_then(|v| v.preflight.as_ref())
                .is_some_and(|d| d.blocks_on(rule_id::WIND_GATE))
        }),
    )
    .await
    .expect("greyed out within 1 s")
    .unwrap();
    // Calm again, then the sensor falls silent: its last reading goes stale and blocks.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let o = st
        .command(StationCommand::vehicle(V1, VehicleRequest::ArmInGuided))
        .await;
    assert!(matches!(o, Outcome::Refused(_)), "{o:?}");
    let t0 = Instant::now();
    tokio::time::timeout(
        Duration::from_secs(10),
        snap.wait_for(|s| {
            s.vehicle(V1)
                .and_then(|v| v.preflight.as_ref())
                .is_some_and(|d| {
                    d.blocking()
                        .any(|f| f.rule_id == rule_id::WIND_GATE && f.reason.contains("no fresh"))
                })
        }),
    )
    .await
    .expect("a silent anemometer blocks")
    .unwrap();
    eprintln!("silent anemometer judged stale after {:?}", t0.elapsed());
    let _ = Path::new(".");
    st.shutdown().await;
}

/// One HTTP/1.1 request to the incidents intake, as an alert system sends it; (status, body).
fn post(port: u16, token: Option<&str>, body: &str) -> (u16, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    http(
        port,
        &format!(
            "POST /incidents HTTP/1.1\r\nHost: csu\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// `GET /flights`, as the CSU's wall asks it.
fn get_flights(port: u16, token: Option<&str>) -> (u16, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    http(
        port,
        &format!("GET /flights HTTP/1.1\r\nHost: csu\r\n{auth}\r\n"),
    )
}

fn http(port: u16, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// An incident posted over HTTP by the CSU's alert system reaches the pilot's picture; the
/// drone flies to it and the register gets alert → airborne and alert → on scene; an incident
/// on the air base is refused as a go-to with the zone's rule; bad posts get a clear answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_posted_by_the_csu_is_flown_to_with_its_response_times_and_one_on_the_air_base_is_refused()
 {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("incident-tokens");
    let token = "f3a1c9e07b2d4e6a8c0e2f4a6b8d0c1e";
    std::fs::write(
        &tokens,
        format!("# who may post\nvoisins-vigilants {token}\n"),
    )
    .unwrap();
    let http = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port = free_udp_port();
    let mut config = base_config(port, RuleSet::default_embedded());
    // A register, so that the flight has an id the CSU's wall can ask for.
    config.register_dir = Some(dir.path().join("data"));
    config.feeds.incidents = Some(
        vigie_station::IncidentIntake::from_file(
            format!("127.0.0.1:{http}").parse().unwrap(),
            &tokens,
        )
        .unwrap(),
    );
    let st = vigie_station::start(config).await.unwrap();
    let mut events = st.events();
    let _sim = Sim::start(port, &["--scenario", "istres-calm", "--speedup", "3"]);
    ready(&st).await;
    st.command(StationCommand::Session(SessionRequest::AddWind(calm(
        chrono::Utc::now(),
    ))))
    .await;
    // Refused posts, each saying why.
    let scene = r#"{"lat": 43.5172, "lon": 4.9872, "kind": "rixe", "note": "place du marché"}"#;
    let (code, body) = post(http, None, scene);
    assert_eq!(code, 401, "{body}");
    let (code, _) = post(http, Some("not-the-token-at-all-nope-nope"), scene);
    assert_eq!(code, 401);
    let (code, body) = post(http, Some(token), r#"{"lat": 43.5172, "kind": "rixe"}"#);
    assert_eq!(code, 400);
    assert!(body.contains("field `lon` is missing"), "{body}");
    let (code, body) = post(
        http,
        Some(token),
        &format!("{{\"note\": \"{}\"}}", "x".repeat(20_000)),
    );
    assert_eq!(code, 413, "{body}");
    // A good one: on the pilot's picture, in the register's events.
    let (code, body) = post(http, Some(token), scene);
    assert_eq!(code, 201, "{body}");
    let reported = event(
        &mut events,
        Duration::from_secs(5),
        |e| matches!(&e.kind, EventKind::IncidentReported { kind, .. } if kind == "rixe"),
    )
    .await;
    let EventKind::IncidentReported { id, source, .. } = &reported.kind else {
        unreachable!()
    };
    assert_eq!(source, "voisins-vigilants");
    let mut snap = st.snapshot();
    let incident = tokio::time::timeout(
        Duration::from_secs(5),
        snap.wait_for(|s| s.incidents.iter().any(|i| &i.id == id)),
    )
    .await
    .expect("the incident in the snapshot the map draws")
    .unwrap()
    .incidents
    .iter()
    .find(|i| &i.id == id)
    .cloned()
    .unwrap();
    ok(&st, VehicleRequest::UploadFence).await;
    ok(&st, VehicleRequest::ArmAndTakeoff { alt_rel_m: 30.0 }).await;
    event(&mut events, Duration::from_secs(60), |e| {
        matches!(&e.kind, EventKind::IncidentResponse { id: i, what: vigie_station::IncidentMilestone::Airborne, .. } if i == id)
    })
    .await;
    // The CSU's wall asks which flight the drone is on, for its tile (with the same token).
    let flight_id = tokio::time::timeout(
        Duration::from_secs(10),
        st.snapshot().wait_for(|s| {
            s.vehicles
                .get(&V1)
                .is_some_and(|v| v.flight.flight_id().is_some())
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .vehicles[&V1]
        .flight
        .flight_id()
        .unwrap()
        .to_string();
    assert_eq!(get_flights(http, None).0, 401);
    let (code, body) = get_flights(http, Some(token));
    assert_eq!(code, 200, "{body}");
    let flights: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        flights,
        serde_json::json!({ "flights": [{ "sysid": 1, "flight_id": flight_id }] })
    );
    let mut tel = st.telemetry(V1).unwrap();
    tokio::time::timeout(
        Duration::from_secs(60),
        tel.wait_for(|t| t.position.is_some_and(|p| p.alt_rel_m > 25.0)),
    )
    .await
    .unwrap()
    .unwrap();
    ok(
        &st,
        VehicleRequest::GoTo {
            target: LatLon::new(incident.lat_deg, incident.lon_deg),
            alt_rel_m: 30.0,
        },
    )
    .await;
    let on_scene = event(&mut events, Duration::from_secs(120), |e| {
        matches!(&e.kind, EventKind::IncidentResponse { id: i, what: vigie_station::IncidentMilestone::OnScene, .. } if i == id)
    })
    .await;
    let EventKind::IncidentResponse { after_s, .. } = on_scene.kind else {
        unreachable!()
    };
    assert!(after_s > 1.0, "measured from the alert: {after_s}");
    // An incident on the BA 125 runway: shown, but its go-to is refused by the zone.
    let (code, _) = post(
        http,
        Some(token),
        r#"{"lat": 43.507789, "lon": 4.934626, "kind": "intrusion"}"#,
    );
    assert_eq!(code, 201);
    let base = tokio::time::timeout(Duration::from_secs(5), async {
        let mut snap = st.snapshot();
        snap.wait_for(|s| s.incidents.iter().any(|i| i.kind == "intrusion"))
            .await
            .unwrap()
            .incidents
            .iter()
            .find(|i| i.kind == "intrusion")
            .cloned()
            .unwrap()
    })
    .await
    .unwrap();
    let o = st
        .command(StationCommand::vehicle(
            V1,
            VehicleRequest::GoTo {
                target: LatLon::new(base.lat_deg, base.lon_deg),
                alt_rel_m: 30.0,
            },
        ))
        .await;
    let Outcome::Refused(d) = &o else {
        panic!("{o:?}")
    };
    assert!(
        d.blocking().any(|f| f.rule_id == rule_id::ZONE_PROHIBITED),
        "{:#?}",
        d.findings
    );
    ok(&st, VehicleRequest::Land).await;
    st.shutdown().await;
}
