//! Every table bounded: vehicle actors per link, UDP peers and their parsers (the vehicle's own
//! peer never evicted), TCP clients; and a read-only output (a CSU) never reaches a tlog, a
//! vehicle, or the picture.

use std::time::Duration;

use tokio::io::AsyncReadExt;
use vigie_link::hub::{LinkConfig, LinkHub};
use vigie_link::{CommandResult, LinkAddress, MavMessage, VehicleCommand};

use crate::peer::Peer;
use crate::pymavlink::{gcs_on_udp, quiet_config};
use crate::raw::{RawVehicle, autopilot_heartbeat, position};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoofer_inventing_system_ids_gets_a_few_vehicles_not_thousands() {
    let mut cfg = quiet_config(vec![]);
    cfg.max_vehicles_per_link = 4;
    let (gcs, addr) = gcs_on_udp(cfg).await;
    let mut raw = RawVehicle::new(addr).await;
    for sysid in 1..=250u8 {
        raw.send(sysid, &autopilot_heartbeat(), None).await;
    }
    let mut stats = gcs.stats();
    let s = stats
        .wait_for(|s| s.links.values().any(|l| l.vehicles_refused >= 246))
        .await
        .unwrap()
        .clone();
    assert_eq!(gcs.vehicles().borrow().len(), 4);
    assert_eq!(s.hub.vehicles, 4);
    assert!(
        s.hub.senders <= vigie_link::stats::MAX_SENDERS,
        "{:?}",
        s.hub
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_peers_and_parsers_are_bounded_and_the_vehicle_keeps_its_peer() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let mut vehicle = RawVehicle::new(addr).await;
    vehicle.send(1, &autopilot_heartbeat(), None).await;
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    // 400 source ports, each with half a frame that stays in its parser.
    let mut socks = Vec::new();
    for _ in 0..400 {
        let s = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.send_to(&[0xFD, 0x20, 0, 0, 0, 9, 1, 0, 0], addr)
            .await
            .unwrap();
        socks.push(s);
    }
    let mut stats = gcs.stats();
    let s = stats
        .wait_for(|s| s.links.values().any(|l| l.peers_gone >= 390))
        .await
        .unwrap()
        .clone();
    assert!(
        s.hub.parsers <= vigie_link::hub::DEFAULT_MAX_PEERS,
        "{} parsers",
        s.hub.parsers
    );
    // The vehicle's peer was protected: the station still reaches it where it was.
    vehicle.send(1, &autopilot_heartbeat(), None).await;
    let f = vehicle.recv(WAIT).await.expect("still reached");
    assert_eq!(f.sysid, 255);
    assert!(!v.snapshot().lost);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_clients_beyond_the_cap_are_closed_and_counted() {
    let mut link = LinkConfig::vehicle("tcpin:127.0.0.1:0".parse().unwrap());
    link.max_peers = 2;
    let gcs = LinkHub::start(quiet_config(vec![link])).await.unwrap();
    let addr = gcs.local_addrs[0].unwrap();
    let _a = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _b = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Let the listener take the first two before the third knocks.
    let mut stats = gcs.stats();
    stats
        .wait_for(|s| s.links.values().any(|l| l.connected))
        .await
        .unwrap();
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(WAIT, third.read(&mut buf))
        .await
        .expect("closed, not left hanging")
        .unwrap_or(0);
    assert_eq!(n, 0, "the third client was closed at once");
    stats
        .wait_for(|s| s.links.values().any(|l| l.peers_refused >= 1))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_output_never_reaches_a_tlog_a_vehicle_or_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let hub_tlog = dir.path().join("hub.tlog");
    let flight_tlog = dir.path().join("flight.tlog");
    let csu = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut cfg = quiet_config(vec![LinkConfig::read_only(LinkAddress::UdpOut {
        remote: csu.local_addr().unwrap().to_string(),
    })]);
    cfg.tlog = Some(hub_tlog.clone());
    let (gcs, addr) = gcs_on_udp(cfg).await;
    let _p = Peer::spawn("link_vehicle.py", &["--connect", &format!("udpout:{addr}")]);
    let v = gcs.wait_vehicle(Some(1), WAIT).await.unwrap();
    gcs.set_tlog(1, Some(flight_tlog.clone())).await.unwrap();
    // The CSU gets the vehicle's frames; learn where they come from.
    let mut buf = [0u8; 2048];
    let (_, hub_side) = tokio::time::timeout(WAIT, csu.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    // The CSU claims the vehicle's position, and to be a vehicle of its own (system 200).
    let mut fake = RawVehicle::new(hub_side).await;
    fake.sock = csu;
    for _ in 0..20 {
        fake.send(1, &position(10.0, 10.0), None).await;
        fake.send(200, &autopilot_heartbeat(), None).await;
        fake.send(
            200,
            &MavMessage::COMMAND_LONG(vigie_link::ardupilotmega::COMMAND_LONG_DATA {
                target_system: 1,
                target_component: 1,
                command: vigie_link::ardupilotmega::MavCmd::MAV_CMD_NAV_RETURN_TO_LAUNCH,
                ..Default::default()
            }),
            None,
        )
        .await;
    }
    let mut stats = gcs.stats();
    stats
        .wait_for(|s| s.links.values().any(|l| l.commands_dropped >= 20))
        .await
        .unwrap();
    // A command of the pilot's closes the window: everything the CSU sent came before it.
    assert_eq!(
        v.command(VehicleCommand::FenceEnable(true)).await.unwrap(),
        CommandResult::Accepted
    );
    gcs.set_tlog(1, None).await.unwrap();
    assert!(
        gcs.wait_vehicle(Some(200), Duration::from_millis(200))
            .await
            .is_none()
    );
    assert!((v.snapshot().position.unwrap().lat_deg - 43.515).abs() < 1e-6);
    // Every frame the CSU sent names system 200 or carries 10 N: none in either tlog. (The
    // hub-wide tlog is flushed each second; wait for the pilot's command to be in it.)
    let read = |p: &std::path::Path| vigie_link::tlog::read_all(p).unwrap().0;
    let hub_entries = tokio::time::timeout(WAIT, async {
        loop {
            let e = read(&hub_tlog);
            if e.iter().any(|e| e.frame.msgid == 76) {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("the hub tlog has the pilot's command");
    for (name, entries) in [("hub", hub_entries), ("flight", read(&flight_tlog))] {
        assert!(!entries.is_empty(), "{name} tlog written");
        for e in &entries {
            assert_ne!(e.frame.sysid, 200, "{name} tlog holds a CSU frame");
            if let Ok(MavMessage::GLOBAL_POSITION_INT(p)) = e.frame.decode() {
                assert_ne!(p.lat, 100_000_000, "{name} tlog holds the CSU's position");
            }
        }
    }
}
