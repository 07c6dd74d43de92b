//! A pymavlink spoofer on the station's own UDP port, claiming the vehicle's system id with
//! autopilot heartbeats and a false position at 50 Hz, beside a pymavlink vehicle. Signed: the
//! spoofer neither moves the command route nor changes the picture. Unsigned: the station says
//! the link is unsigned (and with `link.require_signed` the rules refuse to arm); the route and
//! the picture still hold, bound to the vehicle's peer. Pinned: the spoofer is not even parsed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use flight_rules::{Action, RuleSet, Situation, VehicleSnapshot, evaluate, rule_id};
use vigie_link::hub::{HubConfig, LinkConfig, LinkHub};
use vigie_link::{CommandResult, SigningKey, VehicleCommand, VehicleHandle};

use crate::peer::Peer;
use crate::pymavlink::quiet_config;

const WAIT: Duration = Duration::from_secs(20);
const KEY: &str = "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c";

/// Watches every telemetry update; true once one showed the spoofer's position (10 N, 10 E).
fn watch_for_spoofed(v: &VehicleHandle) -> Arc<AtomicBool> {
    let fooled = Arc::new(AtomicBool::new(false));
    let flag = fooled.clone();
    let mut tel = v.telemetry();
    tokio::spawn(async move {
        while tel.changed().await.is_ok() {
            let t = tel.borrow_and_update().clone();
            if t.position.is_some_and(|p| (p.lat_deg - 10.0).abs() < 0.5) || t.armed {
                flag.store(true, Ordering::SeqCst);
            }
        }
    });
    fooled
}

async fn wait_peer(
    mut p: Peer,
    pred: impl Fn(&serde_json::Value) -> bool + Send + 'static,
) -> Peer {
    tokio::task::spawn_blocking(move || {
        p.wait_for(WAIT, pred);
        p
    })
    .await
    .unwrap()
}

async fn station(cfg: HubConfig, pinned: bool) -> (LinkHub, std::net::SocketAddr) {
    let mut cfg = cfg;
    let link = LinkConfig::vehicle("udpin:127.0.0.1:0".parse().unwrap());
    cfg.links
        .insert(0, if pinned { link.pinned() } else { link });
    let gcs = LinkHub::start(cfg).await.unwrap();
    let addr = gcs.local_addrs[0].unwrap();
    (gcs, addr)
}

/// The vehicle flies on; a spoofer arrives; the picture and the route must hold.
async fn spoof(
    gcs: &LinkHub,
    addr: std::net::SocketAddr,
    vehicle: Peer,
    spoofer_args: &[&str],
) -> (VehicleHandle, Peer, Peer) {
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    let mut tel = v.telemetry();
    tel.wait_for(|t| t.position.is_some()).await.unwrap();
    let fooled = watch_for_spoofed(&v);
    let url = format!("udpout:{addr}");
    let mut args = vec!["--connect", url.as_str(), "--rate", "50"];
    args.extend_from_slice(spoofer_args);
    let spoofer = Peer::spawn("link_spoofer.py", &args);
    let spoofer = wait_peer(spoofer, |e| {
        e["event"] == "sent" && e["frames"].as_u64() >= Some(400)
    })
    .await;
    // The pilot commands RTL while the spoofer is at it.
    assert_eq!(
        v.command(VehicleCommand::ReturnToLaunch).await.unwrap(),
        CommandResult::Accepted
    );
    let vehicle = wait_peer(vehicle, |e| e["event"] == "command" && e["command"] == 20).await;
    assert!(
        !fooled.load(Ordering::SeqCst),
        "the spoofer changed the picture"
    );
    let p = v.snapshot().position.unwrap();
    assert!((p.lat_deg - 43.515).abs() < 1e-6, "{p:?}");
    (v, vehicle, spoofer)
}

fn no_command_reached(spoofer: &mut Peer) {
    let seen = spoofer.drain();
    assert!(
        !seen.iter().any(|e| e["event"] == "command"),
        "a command went to the spoofer: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_link_the_spoofer_neither_moves_the_route_nor_the_picture() {
    let mut cfg = quiet_config(vec![]);
    cfg.keys = BTreeMap::from([(1, SigningKey::from_hex(KEY).unwrap())]);
    let (gcs, addr) = station(cfg, false).await;
    let vehicle = Peer::spawn(
        "link_vehicle.py",
        &["--connect", &format!("udpout:{addr}"), "--key", KEY],
    );
    let (v, _vehicle, mut spoofer) = spoof(&gcs, addr, vehicle, &[]).await;
    // A second spoofer signing with a key of its own.
    let forger = Peer::spawn(
        "link_spoofer.py",
        &[
            "--connect",
            &format!("udpout:{addr}"),
            "--rate",
            "50",
            "--wrong-key",
            &"99".repeat(32),
        ],
    );
    let mut forger = wait_peer(forger, |e| {
        e["event"] == "sent" && e["frames"].as_u64() >= Some(200)
    })
    .await;
    assert_eq!(
        v.command(VehicleCommand::Land).await.unwrap(),
        CommandResult::Accepted
    );
    no_command_reached(&mut spoofer);
    no_command_reached(&mut forger);
    let mut tel = v.telemetry();
    let t = tel
        .wait_for(|t| {
            t.link.rejected.unsigned_after_signed > 0 && t.link.rejected.bad_signature > 0
        })
        .await
        .unwrap()
        .clone();
    assert!(t.link.signed, "{:?}", t.link);
    assert!(t.link.unsigned_after_signed_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_link_is_reported_unsigned_and_the_rules_refuse_to_arm() {
    let (gcs, addr) = station(quiet_config(vec![]), false).await;
    let vehicle = Peer::spawn("link_vehicle.py", &["--connect", &format!("udpout:{addr}")]);
    let (v, _vehicle, mut spoofer) = spoof(&gcs, addr, vehicle, &[]).await;
    no_command_reached(&mut spoofer);
    let mut tel = v.telemetry();
    let t = tel
        .wait_for(|t| t.link.rejected.foreign_peer > 0)
        .await
        .unwrap()
        .clone();
    assert!(!t.link.signed && !t.link.keyed, "{:?}", t.link);
    // The station's rule with the operator's setting on: an unsigned link refuses arming.
    let mut rules = RuleSet::default_embedded();
    rules.limits.link.require_signed = true;
    let s = Situation {
        vehicle: Some(VehicleSnapshot {
            link_signed: Some(t.link.signed),
            ..VehicleSnapshot::default()
        }),
        ..Situation::default()
    };
    let now = chrono::Utc::now();
    assert!(evaluate(&rules, &s, &Action::Arm, now).blocks_on(rule_id::LINK_UNSIGNED));
    rules.limits.link.require_signed = false;
    assert!(!evaluate(&rules, &s, &Action::Arm, now).has(rule_id::LINK_UNSIGNED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_link_does_not_even_parse_the_spoofer() {
    let (gcs, addr) = station(quiet_config(vec![]), true).await;
    let vehicle = Peer::spawn("link_vehicle.py", &["--connect", &format!("udpout:{addr}")]);
    // The spoofer also invents another vehicle: on a pinned link it cannot.
    let (v, _vehicle, mut spoofer) = spoof(&gcs, addr, vehicle, &["--sysid", "1"]).await;
    let other = Peer::spawn(
        "link_spoofer.py",
        &[
            "--connect",
            &format!("udpout:{addr}"),
            "--sysid",
            "7",
            "--rate",
            "50",
        ],
    );
    let _other = wait_peer(other, |e| {
        e["event"] == "sent" && e["frames"].as_u64() >= Some(200)
    })
    .await;
    no_command_reached(&mut spoofer);
    assert!(v.snapshot().link.pinned);
    let s = gcs.stats().borrow().clone();
    let l = s.links.values().next().unwrap();
    assert!(l.foreign_peer >= 200, "{l:?}");
    assert_eq!(s.hub.vehicles, 1, "no vehicle invented");
    assert_eq!(
        v.snapshot().link.rejected.foreign_peer,
        0,
        "dropped before parsing"
    );
}
