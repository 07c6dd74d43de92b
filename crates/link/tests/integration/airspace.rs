//! Manned traffic and Remote ID from a pymavlink vehicle, into the telemetry and on to the rules
//! the station runs: ADSB_VEHICLE is `flight_rules::Traffic` that `TRAFFIC-NEARBY` judges; the
//! OPEN_DRONE_ID_* messages are the Remote ID snapshot `REMOTE-ID` judges; the operator's
//! registration number is checked as InterUSS' EN 4709-002 implementation checks it.

use std::time::Duration;

use chrono::Utc;
use flight_rules::{
    Action, LatLon, OperatorRegistration, RuleSet, Situation, VehicleSnapshot, evaluate, rule_id,
};
use vigie_link::VehicleTelemetry;

use crate::peer::{Peer, python, require_pymavlink};
use crate::pymavlink::{gcs_on_udp, quiet_config};

const WAIT: Duration = Duration::from_secs(20);

/// What the station's translation makes of the telemetry, for the fields these rules read.
fn snapshot(t: &VehicleTelemetry) -> VehicleSnapshot {
    let p = t.position.unwrap();
    VehicleSnapshot {
        position: Some(LatLon::new(p.lat_deg, p.lon_deg)),
        position_at: t.position_at.map(chrono::DateTime::<Utc>::from),
        alt_amsl_m: Some(p.alt_amsl_m),
        alt_rel_home_m: Some(p.alt_rel_m),
        h_accuracy_m: Some(2.0),
        link_signed: Some(t.link.signed),
        remote_id: (!t.remote_id.is_empty()).then(|| t.remote_id.clone()),
        ..VehicleSnapshot::default()
    }
}

async fn fly(extra: &[&str], until: impl Fn(&VehicleTelemetry) -> bool) -> VehicleTelemetry {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let url = format!("udpout:{addr}");
    let mut args = vec!["--connect", url.as_str()];
    args.extend_from_slice(extra);
    let _p = Peer::spawn("link_vehicle.py", &args);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let mut tel = v.telemetry();
    tokio::time::timeout(WAIT, tel.wait_for(|t| t.position.is_some() && until(t)))
        .await
        .expect("telemetry in time")
        .unwrap()
        .clone()
}

fn remote_id_rules(required: bool) -> RuleSet {
    let mut rules = RuleSet::default_embedded();
    rules.limits.remote_id.required = required;
    rules
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vehicle_without_remote_id_is_refused_with_the_setting_on_and_allowed_off() {
    // Two seconds of telemetry with no OPEN_DRONE_ID message at all.
    let t = fly(&[], |t| t.last_heartbeat_at.is_some()).await;
    assert!(t.remote_id.is_empty());
    let s = Situation {
        vehicle: Some(snapshot(&t)),
        ..Situation::default()
    };
    let now = Utc::now();
    let on = evaluate(
        &remote_id_rules(true),
        &s,
        &Action::Takeoff { alt_m: 30.0 },
        now,
    );
    let f = on
        .blocking()
        .find(|f| f.rule_id == rule_id::REMOTE_ID)
        .expect("refused");
    assert!(f.reason.contains("no Remote ID heard"), "{}", f.reason);
    let off = evaluate(
        &remote_id_rules(false),
        &s,
        &Action::Takeoff { alt_m: 30.0 },
        now,
    );
    assert!(!off.has(rule_id::REMOTE_ID));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_id_messages_show_in_the_telemetry_and_satisfy_the_rule() {
    let t = fly(&["--remote-id", "ready"], |t| {
        let r = &t.remote_id;
        r.arm_status.is_some()
            && r.operator_id.is_some()
            && r.system.is_some()
            && r.location.is_some()
    })
    .await;
    let r = &t.remote_id;
    assert_eq!(r.basic_ids[0].uas_id, "1596F3501234");
    assert_eq!(
        r.basic_ids[0].id_type,
        flight_rules::RemoteIdIdType::SerialNumber
    );
    let loc = r.location.as_ref().unwrap();
    assert!((loc.position.unwrap().lat_deg - 43.515).abs() < 1e-6);
    assert_eq!(loc.alt_geodetic_m, Some(69.5));
    let sys = r.system.as_ref().unwrap();
    assert_eq!((sys.category_eu, sys.class_eu), (1, 3));
    assert!(r.arm_status.as_ref().unwrap().ready);
    // The broadcast operator ID is the public part of the operator's registration.
    let reg = OperatorRegistration::parse("FIN87astrdge12k8-xyz").unwrap();
    assert!(reg.matches_broadcast(&r.operator_id.as_ref().unwrap().operator_id));
    let s = Situation {
        vehicle: Some(snapshot(&t)),
        ..Situation::default()
    };
    let d = evaluate(&remote_id_rules(true), &s, &Action::Arm, Utc::now());
    assert!(!d.has(rule_id::REMOTE_ID), "{:#?}", d.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_remote_id_module_is_refused_with_its_reason() {
    let t = fly(&["--remote-id", "failing"], |t| {
        t.remote_id.arm_status.is_some()
    })
    .await;
    let s = Situation {
        vehicle: Some(snapshot(&t)),
        ..Situation::default()
    };
    let d = evaluate(&remote_id_rules(true), &s, &Action::Arm, Utc::now());
    let f = d
        .blocking()
        .find(|f| f.rule_id == rule_id::REMOTE_ID)
        .unwrap();
    assert!(f.reason.contains("missing basic ID"), "{}", f.reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adsb_from_the_vehicle_is_traffic_the_rules_hear() {
    let t = fly(&["--adsb"], |t| !t.traffic.is_empty()).await;
    let heli = &t.traffic[0];
    assert_eq!(heli.icao.to_string(), "39C4A5");
    assert_eq!(heli.callsign.as_deref(), Some("DRAGON13"));
    assert_eq!(heli.squawk.as_deref(), Some("7000"));
    let own = snapshot(&t);
    let d_m = own.position.unwrap().distance_m(&heli.position.unwrap());
    assert!((d_m - 300.0).abs() < 2.0, "{d_m}");
    let rules = RuleSet::default_embedded();
    let now = Utc::now();
    // Before take-off from where the drone stands: refused, the helicopter named.
    let s = Situation {
        vehicle: Some(own.clone()),
        takeoff_point: own.position,
        ground_amsl_m: Some(20.0),
        traffic: t.traffic.clone(),
        ..Situation::default()
    };
    let d = evaluate(&rules, &s, &Action::Takeoff { alt_m: 30.0 }, now);
    let f = d
        .blocking()
        .find(|f| f.rule_id == rule_id::TRAFFIC_NEARBY)
        .unwrap_or_else(|| panic!("{:#?}", d.findings));
    assert!(f.reason.contains("DRAGON13"), "{}", f.reason);
    // In flight at 20 m: a helicopter 300 m away and 150 ft above is an alarm.
    let s = Situation {
        vehicle: Some(VehicleSnapshot {
            airborne: true,
            armed: true,
            ..own
        }),
        ground_amsl_m: Some(20.0),
        traffic: t.traffic.clone(),
        ..Situation::default()
    };
    let d = evaluate(&rules, &s, &Action::Monitor, now);
    assert!(d.has(rule_id::TRAFFIC_NEARBY), "{:#?}", d.findings);
}

#[test]
fn registration_check_agrees_with_interuss_en4709_02() {
    require_pymavlink();
    // 300 valid numbers from InterUSS' generator, each also with its secret part changed (which
    // its checker refuses), and EASA's example: both implementations must agree on every one.
    let script = r#"
import random
from uas_standards.en4709_02 import OperatorRegistrationNumber as O
r = random.Random(4709)
print("FIN87astrdge12k8-xyz", O("FIN87astrdge12k8-xyz").valid)
for _ in range(300):
    n = O.generate_valid("FRA", r)
    print(n, n.valid)
    bad = n.make_invalid_by_changing_final_control_string(r)
    print(bad, bad.valid)
"#;
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "uas_standards missing? cargo xtask setup installs it: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut checked = 0;
    for line in text.lines() {
        let (number, valid) = line.split_once(' ').unwrap();
        let theirs = valid == "True";
        let ours = OperatorRegistration::parse(number);
        assert_eq!(
            ours.is_ok(),
            theirs,
            "{number}: ours {ours:?}, InterUSS {theirs}"
        );
        checked += 1;
    }
    assert_eq!(checked, 601);
}
