//! Signing as the MAVLink spec has it, against pymavlink as the vehicle where it can play the
//! part: SETUP_SIGNING confirmed by signed traffic, timestamps that follow a vehicle whose clock
//! is ahead (and bring one that is behind forward), persisted across restarts, replays refused,
//! refusals reported at a limited rate, a vehicle that stops signing flagged.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use vigie_link::hub::{HubConfig, HubError, LinkConfig, LinkHub};
use vigie_link::{CommandResult, LinkEventKind, SigningKey, VehicleCommand};

use crate::peer::{Peer, python, require_pymavlink};
use crate::pymavlink::{gcs_on_udp, quiet_config};
use crate::raw::{RawVehicle, autopilot_heartbeat, events_for, position, signing_now};

const WAIT: Duration = Duration::from_secs(20);
const KEY: &str = "5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c";

fn key() -> SigningKey {
    SigningKey::from_hex(KEY).unwrap()
}

fn keyed(mut cfg: HubConfig) -> HubConfig {
    cfg.keys = BTreeMap::from([(1, key())]);
    cfg
}

fn vehicle(addr: std::net::SocketAddr, extra: &[&str]) -> Peer {
    let url = format!("udpout:{addr}");
    let mut args = vec!["--connect", url.as_str()];
    args.extend_from_slice(extra);
    Peer::spawn("link_vehicle.py", &args)
}

async fn wait_peer(
    mut p: Peer,
    pred: impl Fn(&serde_json::Value) -> bool + Send + 'static,
) -> (Peer, serde_json::Value) {
    tokio::task::spawn_blocking(move || {
        let e = p.wait_for(WAIT, pred);
        (p, e)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_signing_switches_only_once_the_vehicle_signs_with_the_new_key() {
    let mut cfg = quiet_config(vec![]);
    cfg.links
        .push(LinkConfig::vehicle("udpin:127.0.0.1:0".parse().unwrap()).secure());
    let gcs = LinkHub::start(cfg).await.unwrap();
    let addr = gcs.local_addrs[0].unwrap();
    let p = vehicle(addr, &["--accept-setup-signing"]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    assert!(!v.snapshot().link.signed, "unsigned before the key");
    gcs.setup_signing(1, key()).await.expect("confirmed");
    let t = v.snapshot();
    assert!(
        t.link.signed && t.link.keyed && t.link.signed_since.is_some(),
        "{:?}",
        t.link
    );
    // Commands now go signed, and the vehicle (which refuses unsigned ones) takes them.
    assert_eq!(
        v.command(VehicleCommand::ReturnToLaunch).await.unwrap(),
        CommandResult::Accepted
    );
    let (_p, e) = wait_peer(p, |e| e["event"] == "command" && e["command"] == 20).await;
    assert_eq!(e["signed"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_signing_not_confirmed_keeps_the_previous_policy() {
    // A vehicle that ignores SETUP_SIGNING (an armed ArduPilot does).
    let mut cfg = quiet_config(vec![]);
    cfg.setup_signing_timeout = Duration::from_millis(2500);
    cfg.links
        .push(LinkConfig::vehicle("udpin:127.0.0.1:0".parse().unwrap()).secure());
    let gcs = LinkHub::start(cfg).await.unwrap();
    let addr = gcs.local_addrs[0].unwrap();
    let p = vehicle(addr, &[]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let err = gcs.setup_signing(1, key()).await.unwrap_err();
    assert!(
        matches!(err, HubError::SigningNotConfirmed { sysid: 1, .. }),
        "{err}"
    );
    // Resent while waiting, and never switched: the vehicle's unsigned answers still count.
    let (p, _) = wait_peer(p, |e| e["event"] == "setup_signing").await;
    assert_eq!(
        v.command(VehicleCommand::ReturnToLaunch).await.unwrap(),
        CommandResult::Accepted
    );
    assert!(!v.snapshot().link.signed && !v.snapshot().link.keyed);
    let sent = p
        .seen
        .iter()
        .filter(|e| e["event"] == "setup_signing")
        .count();
    assert!(sent >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_signing_never_leaves_on_an_insecure_link() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let p = vehicle(addr, &["--accept-setup-signing"]);
    gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let err = gcs.setup_signing(1, key()).await.unwrap_err();
    assert!(matches!(err, HubError::InsecureLink { .. }), "{err}");
    // And the vehicle never saw one.
    let mut p = p;
    let seen = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(300));
        p.drain().to_vec()
    })
    .await
    .unwrap();
    assert!(!seen.iter().any(|e| e["event"] == "setup_signing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn laptop_clock_ten_minutes_behind_the_vehicle_still_gets_rtl_through() {
    // The vehicle's signing clock is 10 minutes ahead of the laptop's: pymavlink refuses a new
    // stream more than a minute older than its own timestamp, so a station signing with its
    // own clock would see every command, RTL included, refused.
    let (gcs, addr) = gcs_on_udp(keyed(quiet_config(vec![]))).await;
    let p = vehicle(addr, &["--key", KEY, "--clock-offset-s", "600"]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.expect("vehicle seen");
    assert_eq!(
        v.command(VehicleCommand::ReturnToLaunch).await.unwrap(),
        CommandResult::Accepted,
        "RTL through despite the clock"
    );
    let (p, e) = wait_peer(p, |e| e["event"] == "command" && e["command"] == 20).await;
    assert_eq!(e["signed"], true);
    assert!(v.snapshot().link.signed);
    drop(p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vehicle_clock_behind_is_brought_forward_by_our_signed_heartbeat() {
    // Freshly booted, no GPS time: the vehicle signs ten minutes in the past. Its frames are
    // refused as a too-old stream until it adopts the timestamp of our signed heartbeat.
    let (gcs, addr) = gcs_on_udp(keyed(quiet_config(vec![]))).await;
    let _p = vehicle(addr, &["--key", KEY, "--clock-offset-s", "-600"]);
    let v = gcs
        .wait_vehicle(Some(1), WAIT)
        .await
        .expect("the vehicle caught up and was accepted");
    assert!(v.snapshot().link.signed);
    let stats = gcs.stats().borrow().clone();
    let replays: u64 = stats.links.values().map(|l| l.replays).sum();
    assert!(replays >= 1, "its first frames were refused: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_timestamp_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("signing-timestamp");
    let k = key();
    // Run 1: a vehicle whose clock is 10 minutes ahead raises our timestamp.
    let mut cfg = keyed(quiet_config(vec![]));
    cfg.timestamp_file = Some(file.clone());
    let (gcs1, addr1) = gcs_on_udp(cfg.clone()).await;
    let mut raw1 = RawVehicle::new(addr1).await;
    let ahead = signing_now(600.0);
    raw1.send(1, &autopilot_heartbeat(), Some((&k, ahead)))
        .await;
    gcs1.wait_vehicle(Some(1), WAIT).await.unwrap();
    // Stored within a second or two.
    let stored = tokio::time::timeout(WAIT, async {
        loop {
            let t = vigie_link::keystore::load_timestamp(&file).unwrap();
            if t >= ahead {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("timestamp stored");
    // Run 2, the clock unchanged. The vehicle signs with the laptop's clock, now ten minutes
    // behind what run 1 reached: with the stored timestamp the station refuses that as a stale
    // stream and answers with a signed heartbeat above the stored value (for the vehicle to
    // adopt); from the clock alone it would accept it and sign below what it already sent.
    let (_gcs2, addr2) = gcs_on_udp(cfg).await;
    let mut raw2 = RawVehicle::new(addr2).await;
    let f = tokio::time::timeout(WAIT, async {
        loop {
            raw2.send(1, &autopilot_heartbeat(), Some((&k, signing_now(0.0))))
                .await;
            if let Some(f) = raw2.recv(Duration::from_millis(1200)).await
                && f.signature().is_some()
            {
                return f;
            }
        }
    })
    .await
    .expect("a signed frame from run 2");
    let ts = f.signature().unwrap().timestamp;
    assert!(
        ts > stored,
        "run 2 signed at {ts}, below the {stored} run 1 reached"
    );
    drop(gcs1);
}

/// Signed frames as pymavlink makes them (key, link 0, the given timestamps), as hex.
fn pymavlink_frames(key_hex: &str, ts0: u64) -> Vec<Vec<u8>> {
    require_pymavlink();
    let script = format!(
        r#"
import os
os.environ["MAVLINK20"] = "1"
from pymavlink.dialects.v20 import ardupilotmega as m
class F: pass
mav = m.MAVLink(F(), srcSystem=1, srcComponent=1)
mav.signing.secret_key = bytes.fromhex("{key_hex}")
mav.signing.link_id = 0
mav.signing.timestamp = {ts0}
mav.signing.sign_outgoing = True
hb = m.MAVLink_heartbeat_message(m.MAV_TYPE_QUADROTOR, m.MAV_AUTOPILOT_ARDUPILOTMEGA, 0, 0, 3, 3)
pos = m.MAVLink_global_position_int_message(0, 435150000, 49890000, 20000, 0, 0, 0, 0, 9000)
print(hb.pack(mav).hex())
print(pos.pack(mav).hex())
"#
    );
    let out = std::process::Command::new(python())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| hex::decode(l.trim()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymavlink_frames_replayed_forged_or_unsigned_are_refused() {
    let (gcs, addr) = gcs_on_udp(keyed(quiet_config(vec![]))).await;
    let mut events = gcs.events();
    let raw = RawVehicle::new(addr).await;
    let good = pymavlink_frames(KEY, signing_now(0.0));
    raw.send_bytes(&good[0]).await;
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    raw.send_bytes(&good[1]).await;
    let mut tel = v.telemetry();
    tel.wait_for(|t| t.position.is_some()).await.unwrap();
    // The same position frame again: its timestamp does not advance on its stream.
    raw.send_bytes(&good[1]).await;
    // Signed by pymavlink with another key: a forgery.
    let forged = pymavlink_frames(&"77".repeat(32), signing_now(0.0) + 10);
    raw.send_bytes(&forged[1]).await;
    let mut stats = gcs.stats();
    let s = stats
        .wait_for(|s| {
            s.links
                .values()
                .any(|l| l.replays >= 1 && l.bad_signatures >= 1)
        })
        .await
        .unwrap()
        .clone();
    let l = s.links.values().next().unwrap();
    assert_eq!((l.replays, l.bad_signatures), (1, 1), "{l:?}");
    let kinds = events_for(&mut events, Duration::from_millis(1500), |k| {
        matches!(k, LinkEventKind::SigningRejected { sysid: 1, .. })
    })
    .await;
    let whys: Vec<String> = kinds
        .iter()
        .filter_map(|k| match k {
            LinkEventKind::SigningRejected { why, .. } => Some(why.clone()),
            _ => None,
        })
        .collect();
    assert!(whys.iter().any(|w| w.contains("replayed")), "{whys:?}");
    assert!(whys.iter().any(|w| w.contains("bad signature")), "{whys:?}");
    tel.wait_for(|t| t.link.rejected.replay == 1 && t.link.rejected.bad_signature == 1)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_frames_are_reported_once_per_period_with_their_count() {
    let mut cfg = keyed(quiet_config(vec![]));
    cfg.reject_report_period = Duration::from_secs(1);
    let (gcs, addr) = gcs_on_udp(cfg).await;
    let mut events = gcs.events();
    let mut raw = RawVehicle::new(addr).await;
    // 3000 unsigned heartbeats claiming the keyed vehicle's system id, as fast as they go.
    for _ in 0..3000 {
        raw.send(1, &autopilot_heartbeat(), None).await;
    }
    let mut stats = gcs.stats();
    stats
        .wait_for(|s| s.links.values().any(|l| l.unsigned_rejected >= 3000))
        .await
        .unwrap();
    let reports = events_for(&mut events, Duration::from_millis(2600), |k| {
        matches!(k, LinkEventKind::SigningRejected { .. })
    })
    .await;
    assert!(
        (1..=3).contains(&reports.len()),
        "one report per second, not one per frame: {} reports",
        reports.len()
    );
    assert!(
        gcs.wait_vehicle(Some(1), Duration::from_millis(100))
            .await
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_frames_after_signed_ones_are_flagged() {
    let (gcs, addr) = gcs_on_udp(keyed(quiet_config(vec![]))).await;
    let mut events = gcs.events();
    let k = key();
    let mut raw = RawVehicle::new(addr).await;
    raw.send(1, &autopilot_heartbeat(), Some((&k, signing_now(0.0))))
        .await;
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let mut tel = v.telemetry();
    tel.wait_for(|t| t.link.signed).await.unwrap();
    // Then someone sends unsigned frames with its system id (a spoofer, or the vehicle lost its
    // key): refused, and flagged for the station's alarm.
    raw.send(1, &position(10.0, 10.0), None).await;
    let t = tel
        .wait_for(|t| t.link.unsigned_after_signed_at.is_some())
        .await
        .unwrap()
        .clone();
    assert_eq!(t.link.rejected.unsigned_after_signed, 1);
    assert!(t.position.is_none(), "the unsigned position was not taken");
    let seen = events_for(
        &mut events,
        Duration::from_millis(500),
        |k| matches!(k, LinkEventKind::SigningRejected { why, .. } if why.contains("after signed")),
    )
    .await;
    assert!(!seen.is_empty());
    assert!(
        t.link.unsigned_after_signed_at.unwrap() <= SystemTime::now(),
        "a time, not a guess"
    );
}
