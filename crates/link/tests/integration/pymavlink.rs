//! Vigie's link against a vehicle written with pymavlink, over real sockets.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use vigie_link::hub::{HubConfig, LinkConfig, LinkHub};
use vigie_link::mission::{MissionItem, MissionType};
use vigie_link::{CommandResult, LinkAddress, LinkEventKind, SigningKey, VehicleCommand};

use crate::peer::{Peer, python, require_pymavlink};

const WAIT: Duration = Duration::from_secs(20);

pub fn quiet_config(links: Vec<LinkConfig>) -> HubConfig {
    // No rate requests at start, so each test's command count is its own.
    HubConfig {
        links,
        rates_hz: Vec::new(),
        request_once: Vec::new(),
        ..HubConfig::default()
    }
}

pub async fn gcs_on_udp(mut cfg: HubConfig) -> (LinkHub, SocketAddr) {
    cfg.links
        .insert(0, LinkConfig::vehicle("udpin:127.0.0.1:0".parse().unwrap()));
    let gcs = LinkHub::start(cfg).await.unwrap();
    let addr = gcs.local_addrs[0].unwrap();
    (gcs, addr)
}

fn peer(addr: SocketAddr, extra: &[&str]) -> Peer {
    let url = format!("udpout:{addr}");
    let mut args = vec!["--connect", url.as_str()];
    args.extend_from_slice(extra);
    Peer::spawn("link_vehicle.py", &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_both_ways_and_telemetry() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let mut events = gcs.events();
    let mut p = peer(addr, &[]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.expect("vehicle seen");
    // Our heartbeat, as pymavlink decodes it: a GCS, autopilot INVALID, component 190.
    let hb = tokio::task::spawn_blocking(move || {
        let e = p.wait_for(WAIT, |e| e["event"] == "gcs_heartbeat" && e["count"] == 3);
        (p, e)
    })
    .await
    .unwrap();
    let (mut p, e) = hb;
    assert_eq!(
        (
            e["type"].as_u64(),
            e["autopilot"].as_u64(),
            e["compid"].as_u64()
        ),
        (Some(6), Some(8), Some(190))
    );
    let mut tel = v.telemetry();
    tel.wait_for(|t| t.position.is_some() && t.wind.is_some())
        .await
        .unwrap();
    let t = v.snapshot();
    let pos = t.position.unwrap();
    assert!((pos.lat_deg - 43.515).abs() < 1e-7 && (pos.lon_deg - 4.989).abs() < 1e-7);
    assert_eq!(
        (pos.alt_amsl_m, pos.alt_rel_m, t.heading_deg),
        (20.0, 0.0, Some(90.0))
    );
    let w = t.wind.unwrap();
    assert_eq!((w.from_deg, w.speed_mps), (330.0, 12.5));
    assert_eq!(t.autopilot, vigie_link::Autopilot::ArduPilot);
    // The appearance was an event.
    let mut appeared = false;
    while let Ok(ev) = events.try_recv() {
        appeared |= matches!(ev.kind, LinkEventKind::VehicleAppeared { sysid: 1, .. });
    }
    assert!(appeared);
    let _ = p.drain();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_after_silence_and_regained() {
    let mut cfg = quiet_config(vec![]);
    cfg.lost_timeout = Duration::from_millis(2500);
    let (gcs, addr) = gcs_on_udp(cfg).await;
    let mut events = gcs.events();
    let p = peer(addr, &[]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.expect("vehicle seen");
    drop(p); // the vehicle goes silent
    let mut tel = v.telemetry();
    tokio::time::timeout(WAIT, tel.wait_for(|t| t.lost))
        .await
        .expect("lost in time")
        .unwrap();
    let _p2 = peer(addr, &[]);
    tokio::time::timeout(WAIT, tel.wait_for(|t| !t.lost))
        .await
        .expect("regained")
        .unwrap();
    let mut kinds = Vec::new();
    tokio::time::timeout(WAIT, async {
        while let Ok(ev) = events.recv().await {
            let done = matches!(ev.kind, LinkEventKind::VehicleRegained { .. });
            kinds.push(ev.kind);
            if done {
                break;
            }
        }
    })
    .await
    .expect("regained event");
    let lost = kinds
        .iter()
        .position(|k| matches!(k, LinkEventKind::VehicleLost { sysid: 1, .. }))
        .expect("lost event");
    let regained = kinds
        .iter()
        .position(|k| matches!(k, LinkEventKind::VehicleRegained { sysid: 1, .. }))
        .expect("regained event");
    assert!(lost < regained);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_retries_increment_confirmation() {
    let mut cfg = quiet_config(vec![]);
    cfg.timings.command.ack_timeout = Duration::from_millis(400);
    let (gcs, addr) = gcs_on_udp(cfg).await;
    let mut p = peer(addr, &["--drop-commands", "2"]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    assert_eq!(
        v.command(VehicleCommand::Arm).await.unwrap(),
        CommandResult::Accepted
    );
    let p = tokio::task::spawn_blocking(move || {
        p.wait_for(WAIT, |e| e["event"] == "command" && e["confirmation"] == 2);
        p
    })
    .await
    .unwrap();
    let confirmations: Vec<u64> = p
        .seen
        .iter()
        .filter(|e| e["event"] == "command")
        .map(|e| e["confirmation"].as_u64().unwrap())
        .collect();
    assert_eq!(confirmations, vec![0, 1, 2]);
    // Arm is never forced: param2 stays 0 on every try.
    assert!(
        p.seen
            .iter()
            .filter(|e| e["event"] == "command")
            .all(|e| e["param1"] == 1.0 && e["param2"] == 0.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_progress_then_accepted_and_no_ack_when_silent() {
    let mut cfg = quiet_config(vec![]);
    cfg.timings.command.ack_timeout = Duration::from_millis(300);
    let (gcs, addr) = gcs_on_udp(cfg).await;
    let _p = peer(addr, &["--in-progress", "--drop-commands", "8"]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    // Four dropped: the first command exhausts its 3 retries (4 sends) and reports NoAck.
    assert_eq!(
        v.command(VehicleCommand::FenceEnable(true)).await.unwrap(),
        CommandResult::NoAck
    );
    // Four more dropped: a safety command has a retry budget of its own and gets through.
    assert_eq!(
        v.command(VehicleCommand::Land).await.unwrap(),
        CommandResult::Accepted
    );
    let t0 = std::time::Instant::now();
    assert_eq!(
        v.command(VehicleCommand::Takeoff { alt_rel_m: 20.0 })
            .await
            .unwrap(),
        CommandResult::Accepted
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(400),
        "waited for the final ack after IN_PROGRESS"
    );
}

fn mission(n: u16) -> Vec<MissionItem> {
    (0..n)
        .map(|i| {
            let mut it = MissionItem::waypoint(
                i,
                43.515 + f64::from(i) * 1e-4,
                4.989 - f64::from(i) * 7e-5,
                30.0 + f32::from(i % 7),
            );
            it.param1 = f32::from(i % 3); // hold time
            it
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mission_of_100_items_round_trip() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let _p = peer(addr, &[]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let items = mission(100);
    v.upload(MissionType::Mission, items.clone()).await.unwrap();
    let back = v.download(MissionType::Mission).await.unwrap();
    assert_eq!(back.len(), 100);
    vigie_link::mission::compare(&items, &back, MissionType::Mission, false).unwrap();
    // Stricter than "by meaning": this peer does not renumber, so the items are identical.
    assert_eq!(back, items);
    v.clear(MissionType::Mission).await.unwrap();
    assert!(v.download(MissionType::Mission).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fence_upload_verified() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let mut p = peer(addr, &[]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    // An inclusion polygon of 4 vertices (5001) and an exclusion circle (5004).
    let square = [(43.51, 4.98), (43.52, 4.98), (43.52, 5.00), (43.51, 5.00)];
    let mut items: Vec<MissionItem> = square
        .iter()
        .enumerate()
        .map(|(i, &(lat, lon))| MissionItem {
            command: 5001,
            frame: 0,
            param1: 4.0,
            ..MissionItem::waypoint(i as u16, lat, lon, 0.0)
        })
        .collect();
    items.push(MissionItem {
        command: 5004,
        frame: 0,
        param1: 150.0,
        ..MissionItem::waypoint(4, 43.515, 4.99, 0.0)
    });
    v.upload_verified(MissionType::Fence, items).await.unwrap();
    tokio::task::spawn_blocking(move || {
        p.wait_for(WAIT, |e| {
            e["event"] == "mission_stored" && e["mission_type"] == 1 && e["count"] == 5
        });
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn param_list_of_500_and_verified_set() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let _p = peer(addr, &["--params", "500"]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let list = v.param_list().await.unwrap();
    assert_eq!(list.len(), 500);
    assert!(
        list.iter()
            .enumerate()
            .all(|(i, p)| p.index as usize == i && p.value == i as f64 * 0.5)
    );
    let p = v.param_read("PARAM_0042").await.unwrap();
    assert_eq!(p.value, 21.0);
    let set = v
        .param_set("PARAM_0042", 120.0, vigie_link::ParamType::Real32)
        .await
        .unwrap();
    assert_eq!(set.value, 120.0);
    assert_eq!(v.param_read("PARAM_0042").await.unwrap().value, 120.0);
}

const KEY: &str = "2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a";

fn keyed_config() -> HubConfig {
    let mut cfg = quiet_config(vec![]);
    cfg.keys = BTreeMap::from([(1, SigningKey::from_hex(KEY).unwrap())]);
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_with_the_right_key_is_accepted_both_ways() {
    let (gcs, addr) = gcs_on_udp(keyed_config()).await;
    let mut p = peer(addr, &["--key", KEY]);
    let v = gcs
        .wait_vehicle(Some(1), WAIT)
        .await
        .expect("signed vehicle accepted");
    assert_eq!(
        v.command(VehicleCommand::Arm).await.unwrap(),
        CommandResult::Accepted
    );
    let p2 = tokio::task::spawn_blocking(move || {
        let e = p.wait_for(WAIT, |e| e["event"] == "command");
        (p, e)
    })
    .await
    .unwrap();
    assert_eq!(p2.1["signed"], true, "pymavlink accepted our signature");
    let stats = gcs.stats().borrow().clone();
    let s = stats.links.values().next().unwrap();
    assert_eq!((s.bad_signatures, s.unsigned_rejected), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_and_unsigned_are_refused() {
    let (gcs, addr) = gcs_on_udp(keyed_config()).await;
    let mut stats = gcs.stats();
    let wrong = "11".repeat(32);
    let _bad = peer(addr, &["--key", &wrong]);
    stats
        .wait_for(|s| s.links.values().any(|l| l.bad_signatures >= 3))
        .await
        .unwrap();
    let _unsigned = peer(addr, &["--sysid", "1"]);
    stats
        .wait_for(|s| s.links.values().any(|l| l.unsigned_rejected >= 3))
        .await
        .unwrap();
    assert!(
        gcs.wait_vehicle(Some(1), Duration::from_millis(500))
            .await
            .is_none(),
        "neither peer became a vehicle"
    );
}

#[test]
fn signing_vector_matches_pymavlink() {
    require_pymavlink();
    let script = r#"
import os
os.environ["MAVLINK20"] = "1"
from pymavlink.dialects.v20 import ardupilotmega as m
class F: pass
mav = m.MAVLink(F(), srcSystem=255, srcComponent=190)
mav.signing.secret_key = bytes([0x2A]*32)
mav.signing.link_id = 0
mav.signing.timestamp = 34715520000000
mav.signing.sign_outgoing = True
msg = m.MAVLink_heartbeat_message(6, 8, 0, 0, 4, 3)
print(msg.pack(mav).hex())
"#;
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let ours = vigie_link::signing::encode_signed(
        mavlink::MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 0,
        },
        &vigie_link::MavMessage::HEARTBEAT(vigie_link::ardupilotmega::HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: vigie_link::ardupilotmega::MavType::MAV_TYPE_GCS,
            autopilot: vigie_link::ardupilotmega::MavAutopilot::MAV_AUTOPILOT_INVALID,
            base_mode: vigie_link::ardupilotmega::MavModeFlag::empty(),
            system_status: vigie_link::ardupilotmega::MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        }),
        &SigningKey::new([0x2A; 32]),
        0,
        34_715_520_000_000,
    );
    assert_eq!(hex::encode(&ours.bytes), theirs);
    assert_eq!(
        theirs, "fd09010000ffbe000000000000000608000403dab00000e03cd6921f01953adf5981",
        "the vector pinned in issue 2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_signing_only_over_a_secure_link() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let _p = peer(addr, &[]);
    gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let err = gcs
        .setup_signing(1, SigningKey::new([9; 32]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not marked secure"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_output_gets_telemetry_and_cannot_command() {
    // Link 0: the vehicle (udpin); link 1: a CSU output we send to (udpout to a socket of ours).
    let csu = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let csu_addr = csu.local_addr().unwrap();
    let cfg = quiet_config(vec![LinkConfig::read_only(LinkAddress::UdpOut {
        remote: csu_addr.to_string(),
    })]);
    let (gcs, addr) = gcs_on_udp(cfg).await;
    let mut p = peer(addr, &[]);
    gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = tokio::time::timeout(WAIT, csu.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let frames = vigie_link::frame::FrameParser::new().push(&buf[..n]);
    assert!(
        matches!(&frames[0], vigie_link::frame::Parsed::Frame(f) if f.sysid == 1),
        "vehicle telemetry forwarded"
    );
    // The CSU tries to arm the vehicle.
    let arm = vigie_link::frame::encode_v2(
        mavlink::MavHeader {
            system_id: 200,
            component_id: 1,
            sequence: 0,
        },
        &vigie_link::MavMessage::COMMAND_LONG(vigie_link::ardupilotmega::COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command: vigie_link::ardupilotmega::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            param1: 1.0,
            ..Default::default()
        }),
    );
    csu.send_to(&arm.bytes, from).await.unwrap();
    let mut stats = gcs.stats();
    stats
        .wait_for(|s| s.links.values().any(|l| l.commands_dropped == 1))
        .await
        .unwrap();
    // Then the pilot disarms; when the vehicle sees that, it would have seen the CSU's arm before.
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    assert_eq!(
        v.command(VehicleCommand::Disarm).await.unwrap(),
        CommandResult::Accepted
    );
    let p = tokio::task::spawn_blocking(move || {
        p.wait_for(WAIT, |e| e["event"] == "command" && e["command"] == 400);
        p
    })
    .await
    .unwrap();
    let commands: Vec<_> = p.seen.iter().filter(|e| e["event"] == "command").collect();
    assert_eq!(
        commands.len(),
        1,
        "only the pilot's disarm reached the vehicle: {commands:?}"
    );
    assert_eq!(commands[0]["param1"], 0.0);
}
