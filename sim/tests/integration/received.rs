//! `received`: what reached the vehicle from the station, with wall-clock times a test can
//! compare with its own clock. Frames lost on the way up or refused by signing are not there.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use mavlink::MavConnection;
use mavlink::dialects::ardupilotmega::*;

use super::common::{Conn, Sim, connect, gcs_header, wait_for};

fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_micros() as u64
}

#[derive(Debug)]
struct Entry {
    at_us: u64,
    name: String,
    fields: HashMap<String, String>,
}

#[derive(Debug, Default)]
struct Report {
    vehicle: u8,
    entries: Vec<Entry>,
    counts: HashMap<String, u64>,
    total: u64,
}

/// Parses the documented format (sim/README.md, "What the vehicle received").
fn parse(answer: &str) -> Vec<Report> {
    let mut reports: Vec<Report> = Vec::new();
    for line in answer.lines().filter(|l| !l.is_empty()) {
        let kv = |s: &str| -> (String, String) {
            let (k, v) = s
                .split_once('=')
                .unwrap_or_else(|| panic!("key=value: {s}"));
            (k.to_string(), v.to_string())
        };
        if let Some(rest) = line.strip_prefix("received ") {
            let fields: HashMap<String, String> = rest.split_whitespace().map(kv).collect();
            reports.push(Report {
                vehicle: fields["vehicle"].parse().expect("vehicle"),
                ..Report::default()
            });
            continue;
        }
        let report = reports.last_mut().expect("a header first");
        if let Some(rest) = line.strip_prefix("count ") {
            let (name, n) = kv(rest);
            report.counts.insert(name, n.parse().expect("count"));
        } else if let Some(n) = line.strip_prefix("total=") {
            report.total = n.parse().expect("total");
        } else {
            let mut words = line.split_whitespace();
            let at_us = words.next().expect("time").parse().expect("µs");
            let name = words.next().expect("name").to_string();
            report.entries.push(Entry {
                at_us,
                name,
                fields: words.map(kv).collect(),
            });
        }
    }
    reports
}

fn command(conn: &Conn, target: u8, command: MavCmd, p1: f32, p2: f32) {
    conn.send(
        &gcs_header(),
        &MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: target,
            target_component: 1,
            command,
            param1: p1,
            param2: p2,
            ..Default::default()
        }),
    )
    .expect("send");
}

/// A REQUEST_MESSAGE(AUTOPILOT_VERSION) and its ACK: frames are handled in order, so once it
/// is answered everything sent before it has been handled (or dropped).
fn marker(conn: &Conn, target: u8) {
    command(conn, target, MavCmd::MAV_CMD_REQUEST_MESSAGE, 148.0, 0.0);
    wait_for(conn, 20, "the marker's ACK", |h, m| {
        matches!(m, MavMessage::COMMAND_ACK(a)
            if a.command == MavCmd::MAV_CMD_REQUEST_MESSAGE && h.system_id == u32::from(target))
        .then_some(())
    });
}

fn gcs_heartbeat() -> MavMessage {
    MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        mavlink_version: 3,
        ..Default::default()
    })
}

fn commands_of(r: &Report) -> Vec<String> {
    r.entries
        .iter()
        .filter(|e| e.name == "COMMAND_LONG")
        .map(|e| e.fields["command"].clone())
        .collect()
}

#[test]
fn received_lists_what_the_vehicle_got_with_times_and_counts() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--control",
        "127.0.0.1:0",
    ]);
    let conn = connect(sim.port());
    wait_for(&conn, 10, "HEARTBEAT", |_, m| {
        matches!(m, MavMessage::HEARTBEAT(_)).then_some(())
    });
    let t0 = unix_us();
    for _ in 0..3 {
        conn.send(&gcs_header(), &gcs_heartbeat()).expect("send");
    }
    command(&conn, 1, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, 1.0, 21196.0);
    let mut id = [0u8; 16];
    id[..7].copy_from_slice(b"RTL_ALT");
    conn.send(
        &gcs_header(),
        &MavMessage::PARAM_SET(PARAM_SET_DATA {
            param_value: 2000.0,
            target_system: 1,
            target_component: 1,
            param_id: id.into(),
            param_type: MavParamType::MAV_PARAM_TYPE_INT16,
        }),
    )
    .expect("send");
    conn.send(
        &gcs_header(),
        &MavMessage::MISSION_COUNT(MISSION_COUNT_DATA {
            count: 0,
            target_system: 1,
            target_component: 1,
            mission_type: MavMissionType::MAV_MISSION_TYPE_FENCE,
            ..Default::default()
        }),
    )
    .expect("send");
    #[allow(deprecated)]
    conn.send(
        &gcs_header(),
        &MavMessage::SET_MODE(SET_MODE_DATA {
            custom_mode: 0,
            target_system: 1,
            base_mode: MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
        }),
    )
    .expect("send");
    marker(&conn, 1);
    let t1 = unix_us();

    let answer = sim.control("received");
    let reports = parse(&answer);
    assert_eq!(reports.len(), 1, "{answer}");
    let r = &reports[0];
    assert_eq!(r.vehicle, 1);
    let names: Vec<&str> = r.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "COMMAND_LONG",
            "PARAM_SET",
            "MISSION_COUNT",
            "SET_MODE",
            "COMMAND_LONG"
        ],
        "heartbeats are only counted: {answer}"
    );
    let arm = &r.entries[0].fields;
    assert_eq!(arm["command"], "400");
    assert_eq!(arm["confirmation"], "0");
    assert_eq!(arm["params"], "1,21196,0,0,0,0,0");
    assert_eq!(arm["from"], "255/190");
    let set = &r.entries[1].fields;
    assert_eq!(
        (set["name"].as_str(), set["value"].as_str()),
        ("RTL_ALT", "2000")
    );
    let count = &r.entries[2].fields;
    assert_eq!(
        (count["mission_type"].as_str(), count["count"].as_str()),
        ("1", "0")
    );
    assert_eq!(r.entries[3].fields["mode"], "0");
    assert_eq!(r.entries[4].fields["params"], "148,0,0,0,0,0,0");
    // Times from the realtime clock, in order, between what this test saw before and after.
    for e in &r.entries {
        assert!(
            (t0..=t1).contains(&e.at_us),
            "{} at {} outside [{t0}, {t1}]",
            e.name,
            e.at_us
        );
    }
    assert!(r.entries.windows(2).all(|w| w[0].at_us <= w[1].at_us));
    assert_eq!(r.counts["HEARTBEAT"], 3);
    assert_eq!(r.counts["COMMAND_LONG"], 2);
    assert_eq!(r.total, 8);

    // `received clear` starts over.
    assert_eq!(sim.control("received clear").trim(), "ok received cleared");
    let after = parse(&sim.control("received"));
    assert_eq!((after[0].entries.len(), after[0].total), (0, 0));
}

#[test]
fn frames_lost_on_the_way_up_or_refused_by_signing_are_not_received() {
    let key_hex = "5a".repeat(32);
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
    wait_for(&conn, 10, "HEARTBEAT", |_, m| {
        matches!(m, MavMessage::HEARTBEAT(_)).then_some(())
    });
    // Unsigned: refused by signing (counted by `status`, not received).
    command(&conn, 1, MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 4.0);
    conn.setup_signing(Some(mavlink::SigningConfig::new(
        [0x5A; 32], 3, true, false,
    )));
    marker(&conn, 1);
    // Lost on the way up: never reaches the vehicle.
    assert!(sim.control("link loss up 100").starts_with("ok"));
    command(&conn, 1, MavCmd::MAV_CMD_NAV_LAND, 0.0, 0.0);
    sim.wait_status(20, "the frame dropped by the loss", |s| {
        s.split("lost_up_bytes=")
            .nth(1)
            .and_then(|v| v.split_whitespace().next())
            .is_some_and(|v| v != "0")
    });
    assert!(sim.control("link ok").starts_with("ok"));
    marker(&conn, 1);

    let status = sim.control("status");
    assert!(!status.contains("unsigned_rejected=0"), "{status}");
    let r = &parse(&sim.control("received"))[0];
    assert_eq!(
        commands_of(r),
        vec!["512".to_string(), "512".to_string()],
        "only the two markers reached the vehicle: {r:?}"
    );
}

#[test]
fn on_one_link_each_vehicle_receives_only_what_is_addressed_to_it() {
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--vehicles",
        "2",
        "--one-link",
        "--control",
        "127.0.0.1:0",
    ]);
    let conn = connect(sim.port());
    wait_for(&conn, 10, "HEARTBEAT from 2", |h, m| {
        (matches!(m, MavMessage::HEARTBEAT(_)) && h.system_id == 2).then_some(())
    });
    conn.send(&gcs_header(), &gcs_heartbeat()).expect("send");
    command(&conn, 2, MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 0.0);
    marker(&conn, 2);
    let one = &parse(&sim.control("@1 received"))[0];
    let two = &parse(&sim.control("@2 received"))[0];
    assert_eq!((one.vehicle, two.vehicle), (1, 2));
    assert!(commands_of(one).is_empty(), "{one:?}");
    assert_eq!(commands_of(two), vec!["176".to_string(), "512".to_string()]);
    // A broadcast (no target) reaches both.
    assert_eq!((one.counts["HEARTBEAT"], two.counts["HEARTBEAT"]), (1, 1));
    // Without @N: both, one section each.
    let all = parse(&sim.control("received"));
    assert_eq!(
        all.iter().map(|r| r.vehicle).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(sim.control("@2 received clear").starts_with("ok"));
    assert_eq!(parse(&sim.control("@2 received"))[0].total, 0);
    assert_eq!(parse(&sim.control("@1 received"))[0].total, 1);
    assert!(
        sim.control("@3 received")
            .starts_with("error: there is no vehicle 3"),
        "names the vehicles that exist"
    );
}
