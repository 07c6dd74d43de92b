//! Passphrase-derived keys against each tool's own derivation (MAVProxy's code itself, and
//! Python's hashlib for the SHA-256 and PBKDF2 that Mission Planner and QGroundControl use), and
//! a key from the store signing a whole link with a pymavlink vehicle.

use std::process::Command;
use std::time::Duration;

use vigie_link::hub::HubConfig;
use vigie_link::{Assignment, CommandResult, KeyStore, PassphraseScheme, VehicleCommand};

use crate::peer::{Peer, peers_dir, python, require_pymavlink};
use crate::pymavlink::{gcs_on_udp, quiet_config};

const WAIT: Duration = Duration::from_secs(20);

fn py(script: &str, args: &[&str]) -> String {
    require_pymavlink();
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// MAVProxy's own `passphrase_to_key` (it does not use `self`).
fn mavproxy_key(passphrase: &str) -> String {
    py(
        "import sys\nfrom MAVProxy.modules.mavproxy_signing import SigningModule\nprint(SigningModule.passphrase_to_key(None, sys.argv[1]).hex())",
        &[passphrase],
    )
}

#[test]
fn passphrase_keys_match_each_tools_derivation() {
    let ours = |s: PassphraseScheme, p: &str| hex::encode(s.derive(p).unwrap().bytes());
    for p in ["istres2026", "Mistral-BA125", "x"] {
        assert_eq!(ours(PassphraseScheme::MavProxy, p), mavproxy_key(p), "{p}");
    }
    // Mission Planner (Encoding.UTF8 + SHA256) and QGroundControl's setting (QString → UTF-8 →
    // QCryptographicHash::Sha256) are SHA-256 of the UTF-8 bytes.
    for p in ["clé de la flotte d'Istres", "istres2026"] {
        let theirs = py(
            "import sys, hashlib\nprint(hashlib.sha256(sys.argv[1].encode('utf-8')).hexdigest())",
            &[p],
        );
        assert_eq!(ours(PassphraseScheme::MissionPlanner, p), theirs, "{p}");
        assert_eq!(ours(PassphraseScheme::QgcSetting, p), theirs, "{p}");
    }
    // QGroundControl's key manager: PBKDF2-HMAC-SHA256, its salt, 600 000 rounds, 32 bytes.
    let p = "mot de passe de la police";
    let theirs = py(
        "import sys, hashlib\nprint(hashlib.pbkdf2_hmac('sha256', sys.argv[1].encode('utf-8'), b'QGroundControl-MAVLink-Signing-v1', 600000, 32).hex())",
        &[p],
    );
    assert_eq!(ours(PassphraseScheme::QgcKeyManager, p), theirs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_key_from_the_store_signs_the_link_with_a_pymavlink_vehicle() {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::open(dir.path().join("keys")).unwrap();
    // The operator typed the fleet's passphrase into MAVProxy on the bench; the same words here.
    store
        .import_passphrase("istres", "istres2026", PassphraseScheme::MavProxy)
        .unwrap();
    store.assign("istres", Assignment::Fleet).unwrap();
    let mut cfg = HubConfig {
        ..quiet_config(vec![])
    };
    store.apply_to(&mut cfg).unwrap();
    assert!(cfg.fleet_key.is_some() && cfg.timestamp_file.is_some());
    let (gcs, addr) = gcs_on_udp(cfg).await;
    // The vehicle holds the key MAVProxy derives (given in the environment, not in ps).
    let key = mavproxy_key("istres2026");
    require_pymavlink();
    let mut child = Command::new(python())
        .arg(peers_dir().join("link_vehicle.py"))
        .args(["--connect", &format!("udpout:{addr}")])
        .env("VIGIE_PEER_KEY", &key)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let v = gcs
        .wait_vehicle(Some(1), WAIT)
        .await
        .expect("signed vehicle");
    assert!(v.snapshot().link.signed && v.snapshot().link.keyed);
    assert_eq!(
        v.command(VehicleCommand::ReturnToLaunch).await.unwrap(),
        CommandResult::Accepted
    );
    let _ = child.kill();
    let _ = child.wait();
    // An unsigned vehicle of any other system id is refused: the fleet key covers them all.
    let _stranger = Peer::spawn(
        "link_vehicle.py",
        &["--connect", &format!("udpout:{addr}"), "--sysid", "9"],
    );
    let mut stats = gcs.stats();
    stats
        .wait_for(|s| s.links.values().any(|l| l.unsigned_rejected >= 3))
        .await
        .unwrap();
    assert!(
        gcs.wait_vehicle(Some(9), Duration::from_millis(300))
            .await
            .is_none()
    );
}
