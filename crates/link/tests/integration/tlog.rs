//! A tlog written by the station, read by pymavlink's mavlogdump.py.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use vigie_link::{CommandResult, SigningKey, VehicleCommand};

use crate::peer::{Peer, python};
use crate::pymavlink::{gcs_on_udp, quiet_config};

fn mavlogdump() -> PathBuf {
    PathBuf::from(python())
        .parent()
        .map(|d| d.join("mavlogdump.py"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("mavlogdump.py"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mavlogdump_reads_our_tlog_and_agrees_with_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flight.tlog");
    let cfg = quiet_config(vec![]);
    let (gcs, addr) = gcs_on_udp(cfg).await;
    let _p = Peer::spawn("link_vehicle.py", &["--connect", &format!("udpout:{addr}")]);
    let v = gcs
        .wait_vehicle(Some(1), Duration::from_secs(20))
        .await
        .unwrap();
    gcs.set_tlog(1, Some(path.clone())).await.unwrap();
    let opened = std::time::SystemTime::now();
    assert_eq!(
        v.command(VehicleCommand::Arm).await.unwrap(),
        CommandResult::Accepted
    );
    let mut tel = v.telemetry();
    // A heartbeat and a position from the vehicle while the flight's tlog is open.
    // (1.5 s after the open: a heartbeat received before it, still queued for the vehicle's
    // actor when the open returned, would otherwise count and be missing from the tlog.)
    let after = opened + Duration::from_millis(1500);
    tel.wait_for(|t| t.position.is_some() && t.last_heartbeat_at.is_some_and(|h| h > after))
        .await
        .unwrap();
    gcs.set_tlog(1, None).await.unwrap(); // returns once flushed and closed
    let (entries, skipped) = vigie_link::tlog::read_all(&path).unwrap();
    let ours = vigie_link::tlog::summarise(&entries, skipped);
    assert_eq!(skipped, 0);
    let out = std::process::Command::new(python())
        .arg(mavlogdump())
        .arg("--types")
        .arg("HEARTBEAT,COMMAND_LONG,COMMAND_ACK,GLOBAL_POSITION_INT")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut theirs: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        // "2026-11-28 13:00:00.12: HEARTBEAT {type : 6, ...}"
        if let Some(name) = line
            .split(": ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
        {
            *theirs.entry(name.to_string()).or_default() += 1;
        }
    }
    for name in [
        "HEARTBEAT",
        "COMMAND_LONG",
        "COMMAND_ACK",
        "GLOBAL_POSITION_INT",
    ] {
        assert!(
            ours.by_type.get(name).copied().unwrap_or(0) > 0,
            "{name} logged"
        );
        assert_eq!(
            theirs.get(name).copied().unwrap_or(0),
            ours.by_type[name],
            "{name}: mavlogdump and vigie agree"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_key_is_redacted_in_the_tlog() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.tlog");
    let mut cfg = quiet_config(vec![]);
    cfg.links
        .push(vigie_link::LinkConfig::vehicle("udpin:127.0.0.1:0".parse().unwrap()).secure());
    let gcs = vigie_link::LinkHub::start(cfg).await.unwrap();
    // The vehicle on the secure (wired) link.
    let addr = gcs.local_addrs[0].unwrap();
    let _p = Peer::spawn(
        "link_vehicle.py",
        &[
            "--connect",
            &format!("udpout:{addr}"),
            "--accept-setup-signing",
        ],
    );
    gcs.wait_vehicle(Some(1), Duration::from_secs(20))
        .await
        .unwrap();
    gcs.set_tlog(1, Some(path.clone())).await.unwrap();
    let key = [0x5Au8; 32];
    gcs.setup_signing(1, SigningKey::new(key)).await.unwrap();
    gcs.set_tlog(1, None).await.unwrap();
    let raw = std::fs::read(&path).unwrap();
    assert!(
        !raw.windows(32).any(|w| w == key),
        "the key never reaches the log"
    );
    let (entries, _) = vigie_link::tlog::read_all(&path).unwrap();
    let logged = entries
        .iter()
        .filter_map(|e| e.frame.decode().ok())
        .find_map(|m| match m {
            vigie_link::MavMessage::SETUP_SIGNING(s) => Some(s),
            _ => None,
        });
    assert_eq!(logged.expect("SETUP_SIGNING logged").secret_key, [0xFF; 32]);
}
