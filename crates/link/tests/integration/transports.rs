//! The other connection strings end to end: a serial link through a socat pseudo-terminal pair
//! with pymavlink on the far end, `udpbcast:` (broadcast until a vehicle answers, then only that
//! vehicle, as pymavlink's `mavudp(broadcast=True)`), and `file:` replaying a tlog.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use vigie_link::hub::{LinkConfig, LinkHub};
use vigie_link::tlog::TlogWriter;
use vigie_link::{CommandResult, LinkEventKind, VehicleCommand};

use crate::peer::Peer;
use crate::pymavlink::quiet_config;
use crate::raw::{RawVehicle, autopilot_heartbeat, position};

const WAIT: Duration = Duration::from_secs(20);

/// Two connected pseudo-terminals made by socat, `a` and `b` symlinks to them; killed on drop.
struct PtyPair {
    child: Child,
    a: PathBuf,
    b: PathBuf,
}

impl PtyPair {
    fn new(dir: &Path) -> Self {
        let (a, b) = (dir.join("station"), dir.join("vehicle"));
        let mut child = Command::new("socat")
            .args(["-d", "-d"])
            .arg(format!("pty,raw,echo=0,link={}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}", b.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run socat ({e}): `apt-get install socat` (cargo xtask setup does)")
            });
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // socat says so once both ends exist and their links are made.
        loop {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(l) if l.contains("starting data transfer loop") => break,
                Ok(_) => continue,
                Err(e) => panic!("socat did not start its pty pair: {e}"),
            }
        }
        Self { child, a, b }
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_through_a_pty_pair_against_pymavlink() {
    let dir = tempfile::tempdir().unwrap();
    let pty = PtyPair::new(dir.path());
    let link = LinkConfig::vehicle(format!("serial:{}:57600", pty.a.display()).parse().unwrap());
    let gcs = LinkHub::start(quiet_config(vec![link])).await.unwrap();
    let p = Peer::spawn("link_vehicle.py", &["--connect", pty.b.to_str().unwrap()]);
    let v = gcs
        .wait_vehicle(Some(1), WAIT)
        .await
        .expect("vehicle over serial");
    let mut tel = v.telemetry();
    tel.wait_for(|t| t.position.is_some()).await.unwrap();
    assert_eq!(
        v.command(VehicleCommand::ReturnToLaunch).await.unwrap(),
        CommandResult::Accepted
    );
    let mut p = p;
    tokio::task::spawn_blocking(move || {
        p.wait_for(WAIT, |e| e["event"] == "gcs_heartbeat");
        p.wait_for(WAIT, |e| e["event"] == "command" && e["command"] == 20);
    })
    .await
    .unwrap();
    assert!(v.snapshot().link.route.unwrap().starts_with("serial:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udpbcast_broadcasts_until_a_vehicle_answers_then_talks_to_it_only() {
    // The subnet's broadcast address on loopback, and a "vehicle" with two sockets: one hears
    // the broadcast, the other answers from the vehicle's own address.
    let hears = tokio::net::UdpSocket::bind("127.255.255.255:0")
        .await
        .unwrap();
    let port = hears.local_addr().unwrap().port();
    let link = LinkConfig::vehicle(format!("udpbcast:127.255.255.255:{port}").parse().unwrap());
    let gcs = LinkHub::start(quiet_config(vec![link])).await.unwrap();
    let hub_port = gcs.local_addrs[0].unwrap().port();
    let mut buf = [0u8; 512];
    // Our heartbeat arrives by broadcast.
    let (n, from) = tokio::time::timeout(WAIT, hears.recv_from(&mut buf))
        .await
        .expect("broadcast heartbeat")
        .unwrap();
    assert!(n > 0 && from.port() == hub_port);
    let mut vehicle = RawVehicle::new(format!("127.0.0.1:{hub_port}").parse().unwrap()).await;
    vehicle.send(1, &autopilot_heartbeat(), None).await;
    let v = gcs
        .wait_vehicle(Some(1), WAIT)
        .await
        .expect("the vehicle answered");
    // From now on, unicast to the vehicle: its heartbeat and its command come to its socket.
    let f = vehicle.recv(WAIT).await.expect("unicast after the answer");
    assert_eq!(f.sysid, 255);
    // Another host answering later is ignored.
    let mut other = RawVehicle::new(format!("127.0.0.1:{hub_port}").parse().unwrap()).await;
    other.send(2, &autopilot_heartbeat(), None).await;
    assert!(
        gcs.wait_vehicle(Some(2), Duration::from_millis(500))
            .await
            .is_none()
    );
    let cmd = tokio::spawn(async move { v.command(VehicleCommand::ReturnToLaunch).await });
    let got = tokio::time::timeout(WAIT, async {
        loop {
            let Some(f) = vehicle.recv(WAIT).await else {
                continue;
            };
            if f.msgid == 76 {
                return f;
            }
        }
    })
    .await
    .expect("the command reached the vehicle");
    assert_eq!(got.sysid, 255);
    cmd.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_link_replays_a_tlog_at_its_pace_and_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flight.tlog");
    let mut w = TlogWriter::create(&path).unwrap();
    let mut raw = RawVehicle::new("127.0.0.1:9".parse().unwrap()).await;
    let t0 = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    // Two seconds of a vehicle at 10 Hz, drifting north.
    for i in 0..20u64 {
        let at = t0 + Duration::from_millis(i * 100);
        if i % 10 == 0 {
            let hb = raw.frame(1, &autopilot_heartbeat(), None);
            w.write(at, &hb).unwrap();
        }
        let p = raw.frame(1, &position(43.5 + i as f64 * 1e-4, 4.99), None);
        w.write(at, &p).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let link = LinkConfig::vehicle(format!("file:{}?speed=4", path.display()).parse().unwrap());
    let gcs = LinkHub::start(quiet_config(vec![link])).await.unwrap();
    let mut events = gcs.events();
    let v = gcs
        .wait_vehicle(Some(1), WAIT)
        .await
        .expect("replayed vehicle");
    let mut tel = v.telemetry();
    tel.wait_for(|t| {
        t.position
            .is_some_and(|p| (p.lat_deg - 43.5019).abs() < 1e-6)
    })
    .await
    .unwrap();
    let down = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(ev) = events.recv().await
                && let LinkEventKind::LinkDown { reason, .. } = ev.kind
            {
                return reason;
            }
        }
    })
    .await
    .expect("end of the log");
    assert!(down.contains("end of the log"), "{down}");
    assert_eq!(
        gcs.stats()
            .borrow()
            .links
            .values()
            .next()
            .unwrap()
            .crc_errors,
        0
    );
}
