//! Garbage on the wire, dead sockets, reconnection.

use std::time::Duration;

use proptest::prelude::*;
use vigie_link::LinkEventKind;
use vigie_link::frame::{FrameParser, Parsed};
use vigie_link::hub::{LinkConfig, LinkHub};

use crate::pymavlink::{gcs_on_udp, quiet_config};

proptest! {
    /// Whatever arrives, the parser neither panics nor loses count of the bytes, and a good frame
    /// after the junk is still found (the same function the fuzz target drives).
    #[test]
    fn any_bytes_then_a_good_frame(junk in proptest::collection::vec(any::<u8>(), 0..600), split in 1usize..64) {
        let good = vigie_link::frame::encode_v2(
            mavlink::MavHeader { system_id: 7, component_id: 1, sequence: 9 },
            &vigie_link::MavMessage::HEARTBEAT(Default::default()),
        );
        let mut stream = junk.clone();
        // A long zero run closes any frame the junk may have opened (max frame is 280 bytes).
        stream.extend_from_slice(&[0u8; 300]);
        stream.extend_from_slice(&good.bytes);
        let mut p = FrameParser::new();
        let mut out = Vec::new();
        for chunk in stream.chunks(split) {
            out.extend(p.push(chunk));
        }
        prop_assert!(out.iter().any(|x| matches!(x, Parsed::Frame(f) if *f == good)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_counted_and_the_link_keeps_working() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let s = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut junk = vec![0xFDu8, 0x09, 0x00];
    junk.extend((0..2000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    s.send_to(&junk, addr).await.unwrap();
    // A frame with a bad CRC, then an oversize length claim, then a truncated frame.
    let mut bad = vigie_link::frame::encode_v2(
        mavlink::MavHeader {
            system_id: 9,
            component_id: 1,
            sequence: 0,
        },
        &vigie_link::MavMessage::HEARTBEAT(Default::default()),
    )
    .bytes;
    let n = bad.len();
    bad[n - 2] ^= 0x55;
    s.send_to(&bad, addr).await.unwrap();
    s.send_to(&[0xFD, 0xFF, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 3], addr)
        .await
        .unwrap();
    let mut stats = gcs.stats();
    stats
        .wait_for(|st| {
            st.links
                .values()
                .any(|l| l.crc_errors >= 1 && l.garbage_bytes > 0)
        })
        .await
        .unwrap();
    // And a real vehicle on the same socket is still understood.
    let _p = crate::peer::Peer::spawn("link_vehicle.py", &["--connect", &format!("udpout:{addr}")]);
    assert!(
        gcs.wait_vehicle(Some(1), Duration::from_secs(20))
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcpout_reports_the_os_reason_and_reconnects() {
    // A port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = quiet_config(vec![LinkConfig::vehicle(
        format!("tcpout:127.0.0.1:{port}").parse().unwrap(),
    )]);
    let gcs = LinkHub::start(cfg).await.unwrap();
    let mut events = gcs.events();
    let down = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(ev) = events.recv().await
                && let LinkEventKind::LinkDown { reason, .. } = ev.kind
            {
                return reason;
            }
        }
    })
    .await
    .expect("link down reported");
    assert!(down.to_lowercase().contains("refused"), "{down}");
    // The vehicle's port comes up: the link connects by itself and the vehicle is heard.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let (mut sock, _) = tokio::time::timeout(Duration::from_secs(20), listener.accept())
        .await
        .expect("reconnected")
        .unwrap();
    let hb = vigie_link::frame::encode_v2(
        mavlink::MavHeader {
            system_id: 3,
            component_id: 1,
            sequence: 0,
        },
        &vigie_link::MavMessage::HEARTBEAT(vigie_link::ardupilotmega::HEARTBEAT_DATA {
            mavtype: vigie_link::ardupilotmega::MavType::MAV_TYPE_QUADROTOR,
            autopilot: vigie_link::ardupilotmega::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
            ..Default::default()
        }),
    );
    tokio::io::AsyncWriteExt::write_all(&mut sock, &hb.bytes)
        .await
        .unwrap();
    assert!(
        gcs.wait_vehicle(Some(3), Duration::from_secs(10))
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udpin_on_a_busy_port_is_a_clear_error() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let cfg = quiet_config(vec![LinkConfig::vehicle(
        format!("udpin:{addr}").parse().unwrap(),
    )]);
    let Err(err) = LinkHub::start(cfg).await else {
        panic!("bound a busy port")
    };
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("udpin:{addr}")) && msg.to_lowercase().contains("in use"),
        "{msg}"
    );
}

/// A vehicle on its own thread (it keeps speaking while the station's runtime is frozen): a
/// heartbeat every 100 ms; every COMMAND_INT it receives is reported, none is acknowledged.
fn vehicle_thread(station: std::net::SocketAddr) -> std::sync::mpsc::Receiver<u16> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut parser = FrameParser::new();
        let mut buf = [0u8; 2048];
        for seq in 0u32.. {
            let hb = vigie_link::frame::encode_v2(
                mavlink::MavHeader {
                    system_id: 1,
                    component_id: 1,
                    sequence: seq as u8,
                },
                &crate::raw::autopilot_heartbeat(),
            );
            if sock.send_to(&hb.bytes, station).is_err() {
                return;
            }
            if let Ok(n) = sock.recv(&mut buf) {
                for p in parser.push(&buf[..n]) {
                    if let Parsed::Frame(f) = p
                        && let Ok(vigie_link::MavMessage::COMMAND_INT(c)) = f.decode()
                        && tx.send(c.command as u16).is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// A go-to asked on its own task (the test's task may then freeze the runtime).
fn go_to(
    v: vigie_link::VehicleHandle,
) -> tokio::task::JoinHandle<Result<vigie_link::CommandResult, vigie_link::RequestError>> {
    tokio::spawn(async move {
        v.command(vigie_link::VehicleCommand::Reposition {
            lat_deg: 43.51,
            lon_deg: 4.99,
            alt_rel_m: 40.0,
            ground_speed_mps: None,
        })
        .await
    })
}

/// The next COMMAND_INT the vehicle thread reports, polled without blocking the runtime.
async fn next_command(rx: &std::sync::mpsc::Receiver<u16>, within: Duration) -> Option<u16> {
    tokio::time::timeout(within, async {
        loop {
            if let Ok(c) = rx.try_recv() {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .ok()
}

/// The station frozen (a hung laptop) between a go-to's first frame and its retry: after the
/// thaw the retry is not sent — the vehicle's own GCS failsafe may have taken it home meanwhile,
/// and a repeated DO_REPOSITION would switch it back to GUIDED. The request fails, saying why.
/// (One runtime thread: blocking it freezes the hub, the vehicle's actor and their timers.)
#[tokio::test(flavor = "current_thread")]
async fn a_command_asked_before_the_station_froze_is_not_sent_after_it() {
    let (gcs, addr) = gcs_on_udp(quiet_config(vec![])).await;
    let commands = vehicle_thread(addr);
    let v = gcs
        .wait_vehicle(Some(1), Duration::from_secs(20))
        .await
        .expect("vehicle seen");
    let go = go_to(v);
    let first = next_command(&commands, Duration::from_secs(10))
        .await
        .expect("the go-to's first frame reached the vehicle");
    assert_eq!(first, 192, "MAV_CMD_DO_REPOSITION");
    // Frozen for 5 s (over the 3 s silence limit; its retry was due after 1.5 s).
    std::thread::sleep(Duration::from_secs(5));
    let answer = go.await.unwrap();
    assert!(
        matches!(
            answer,
            Err(vigie_link::vehicle::RequestError::StationSilent { silent }) if silent >= Duration::from_secs(4)
        ),
        "{answer:?}"
    );
    let said = answer.unwrap_err().to_string();
    assert!(
        said.contains("not sent") && said.contains("ask again"),
        "{said}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        commands.try_recv().is_err(),
        "no frame of the go-to left after the freeze"
    );
    // Asked once the station's picture is fresh again, a command goes out.
    tokio::time::sleep(vigie_link::silence::SETTLE).await;
    let v = gcs
        .wait_vehicle(Some(1), Duration::from_secs(1))
        .await
        .unwrap();
    let again = go_to(v);
    let sent = next_command(&commands, Duration::from_secs(5)).await;
    assert!(sent.is_some(), "a fresh command leaves after the thaw");
    again.abort();
}
