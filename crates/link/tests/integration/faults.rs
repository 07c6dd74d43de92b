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
