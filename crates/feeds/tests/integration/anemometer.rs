//! The anemometer feed over real sockets and a real pseudo-terminal pair.

use std::io::Write;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UdpSocket};
use vigie_feeds::*;

use super::common::*;

const KT: f64 = 1852.0 / 3600.0;

fn udp_address(port: u16) -> FeedAddress {
    format!("udp://127.0.0.1:{port}").parse().unwrap()
}

/// A serial-to-UDP bridge sending a Vaisala WMT700 line, a CV7 pair, a void and a corrupted
/// sentence, then a mistral gust above 50 km/h: readings arrive, bad lines are counted.
#[tokio::test]
async fn udp_bridge_readings_and_a_gust_above_the_limit() {
    let mut feed = spawn_anemometer(&udp_address(0), AnemometerConfig::default())
        .await
        .unwrap();
    let port = feed.local_addr().unwrap().port();
    until(&mut feed, 5, "listening", is_up).await;
    let bridge = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    bridge.connect(("127.0.0.1", port)).await.unwrap();
    bridge
        .send(b"$WIMWV,045,R,011.63,N,A*09\r\n")
        .await
        .unwrap();
    let r = next_data(&mut feed, 5).await;
    assert_eq!(r.source, flight_rules::WindSource::Anemometer);
    assert!((r.mean_mps - 11.63 * KT).abs() < 1e-6, "{r:?}");
    assert!((r.from_deg.unwrap() - 45.0).abs() < 1e-6);
    let age = chrono::Utc::now() - r.observed_at;
    assert!(
        age < chrono::Duration::seconds(5),
        "stamped on receipt: {age}"
    );

    // Several sentences in one datagram, a sentence split across two, junk between.
    bridge
        .send(b"$IIMWV,226.0,R,000.00,N,A*0B\r\n$WIXDR,C,036.5,C,,*52\r\n\x00\x00junk")
        .await
        .unwrap();
    bridge
        .send(b"\r\n$IIMWV,,,,,V*36\r\n$WIMWV,045,R,12.5,N,A*27\r\n$WIMWV,3")
        .await
        .unwrap();
    // The gust: 40 kt = 74 km/h, ten samples (the 3-s mean also holds the calmer ones, all
    // received within the same 3 s here).
    let mut gust = b"30,R,40.0,N,A*09\r\n".to_vec();
    for _ in 0..9 {
        gust.extend_from_slice(b"$WIMWV,330,R,40.0,N,A*09\r\n");
    }
    bridge.send(&gust).await.unwrap();
    let mut last = None;
    for _ in 0..11 {
        last = Some(next_data(&mut feed, 5).await);
    }
    let r = last.unwrap();
    assert!(r.peak_mps() * 3.6 > 50.0, "{r:?}");
    // The wind gate refuses to arm on it.
    let limits = flight_rules::Limits::default();
    let gate =
        flight_rules::wind_gate(&[r], &limits, "ArduCopter", false, None, chrono::Utc::now());
    assert_eq!(
        gate.status,
        flight_rules::WindStatus::AboveLimit,
        "{gate:?}"
    );

    let s = feed.stats();
    assert_eq!(s.data, 12, "{s:?}");
    assert_eq!(s.void, 1);
    assert_eq!(s.ignored, 1);
    assert_eq!(s.bad.get("checksum"), Some(&1), "{s:?}");
    assert_eq!(s.bad.get("garbage"), Some(&1), "{s:?}");
}

#[tokio::test]
async fn a_udp_port_in_use_is_refused_at_start_naming_it() {
    let taken = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port();
    let e = spawn_anemometer(&udp_address(port), AnemometerConfig::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("udp://127.0.0.1:{port}")) && e.contains("another program"),
        "{e}"
    );
}

#[tokio::test]
async fn require_checksum_refuses_bare_sentences() {
    let cfg = AnemometerConfig {
        require_checksum: true,
        ..AnemometerConfig::default()
    };
    let mut feed = spawn_anemometer(&udp_address(0), cfg).await.unwrap();
    let port = feed.local_addr().unwrap().port();
    let bridge = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    bridge
        .send_to(
            b"$WIMWV,30.0,R,18.52,K,A\r\n$WIMWV,214.8,R,0.1,K,A*28\r\n",
            ("127.0.0.1", port),
        )
        .await
        .unwrap();
    let r = next_data(&mut feed, 5).await;
    assert!(
        (r.from_deg.unwrap() - 214.8).abs() < 1e-6,
        "only the checksummed one: {r:?}"
    );
    assert_eq!(feed.stats().bad.get("checksum_missing"), Some(&1));
}

/// A TCP server (an NMEA multiplexer such as kplex) that drops the connection: the feed says
/// so, waits, reconnects, and reads on.
#[tokio::test]
async fn tcp_client_reconnects_after_the_server_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let addr: FeedAddress = format!("tcp://127.0.0.1:{port}").parse().unwrap();
    let mut feed = spawn_anemometer(&addr, AnemometerConfig::default())
        .await
        .unwrap();
    let (mut c, _) = listener.accept().await.unwrap();
    until(&mut feed, 5, "connected", is_up).await;
    c.write_all(b"$IIMWV,032,R,03.9,N,A*18\r\n$IIMWV,032,T,03.9,N,A*1E\r\n")
        .await
        .unwrap();
    next_data(&mut feed, 5).await;
    next_data(&mut feed, 5).await;
    // A partial sentence, then the server goes away.
    c.write_all(b"$WIMWV,214.8,R,0.").await.unwrap();
    drop(c);
    let ev = until(&mut feed, 5, "the close", |e| {
        matches!(e, FeedEvent::Fault(_))
    })
    .await;
    let FeedEvent::Fault(f) = ev else {
        unreachable!()
    };
    assert_eq!(f.kind, FaultKind::Closed, "{f}");
    assert!(f.retry_in.is_some());
    let (mut c, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .unwrap()
        .unwrap();
    until(&mut feed, 5, "reconnected", is_up).await;
    // The partial sentence of the old connection does not glue onto the new one.
    c.write_all(b"1,K,A*28\r\n$WIMWV,214.8,R,0.1,K,A*28\r\n")
        .await
        .unwrap();
    next_data(&mut feed, 5).await;
    let s = feed.stats();
    assert_eq!(s.data, 3, "{s:?}");
    assert_eq!(s.bad.get("garbage"), Some(&1), "{s:?}");
}

/// Nobody listening: connection refused, retried with a growing wait (no busy loop).
#[tokio::test]
async fn tcp_refused_is_retried_with_backoff() {
    let port = free_port();
    let addr: FeedAddress = format!("tcp://127.0.0.1:{port}").parse().unwrap();
    let mut feed = spawn_anemometer(&addr, AnemometerConfig::default())
        .await
        .unwrap();
    let mut waits = vec![];
    for _ in 0..3 {
        let FeedEvent::Fault(f) = until(&mut feed, 10, "a fault", |e| {
            matches!(e, FeedEvent::Fault(_))
        })
        .await
        else {
            unreachable!()
        };
        assert_eq!(f.kind, FaultKind::Connect, "{f}");
        assert!(f.reason.to_lowercase().contains("refused"), "{f}");
        waits.push(f.retry_in.unwrap());
    }
    assert!(waits[0] < waits[1] && waits[1] < waits[2], "{waits:?}");
}

/// Connected but silent (a hung bridge): after the silence the feed reconnects.
#[tokio::test]
async fn a_silent_tcp_connection_is_dropped_and_reopened() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let addr: FeedAddress = format!("tcp://127.0.0.1:{port}").parse().unwrap();
    let cfg = AnemometerConfig {
        silence_reconnect: Some(Duration::from_millis(300)),
        ..AnemometerConfig::default()
    };
    let mut feed = spawn_anemometer(&addr, cfg).await.unwrap();
    let (_held, _) = listener.accept().await.unwrap();
    let FeedEvent::Fault(f) = until(&mut feed, 5, "silence", |e| {
        matches!(e, FeedEvent::Fault(_))
    })
    .await
    else {
        unreachable!()
    };
    assert_eq!(f.kind, FaultKind::Silent, "{f}");
    tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .unwrap()
        .unwrap();
    until(&mut feed, 5, "reconnected", is_up).await;
}

/// RS-232 through a pseudo-terminal pair: the sensor writes on one end, the feed reads the
/// other at 4800 baud; the port disappears (unplugged) and comes back.
#[tokio::test]
async fn serial_port_through_a_pty_pair_and_its_return() {
    let dir = tempfile::tempdir().unwrap();
    let pty = PtyPair::new(dir.path());
    let addr: FeedAddress = format!("serial:{}:4800", pty.a.display()).parse().unwrap();
    let mut feed = spawn_anemometer(&addr, AnemometerConfig::default())
        .await
        .unwrap();
    until(&mut feed, 5, "opened", is_up).await;
    let mut sensor = std::fs::OpenOptions::new()
        .write(true)
        .open(&pty.b)
        .unwrap();
    sensor
        .write_all(b"$IIMWV,226.0,R,000.00,N,A*0B\r\n$WIXDR,C,036.5,C,,*52\r\n$WIMWV,311.8,R,0.7,N,A*2F\r\n")
        .unwrap();
    next_data(&mut feed, 5).await;
    let r = next_data(&mut feed, 5).await;
    assert!((r.mean_mps - 0.35 * KT).abs() < 1e-6, "{r:?}");
    assert_eq!(feed.stats().ignored, 1);

    // Unplugged.
    drop(sensor);
    drop(pty);
    let FeedEvent::Fault(f) = until(&mut feed, 10, "the port's loss", |e| {
        matches!(e, FeedEvent::Fault(_))
    })
    .await
    else {
        unreachable!()
    };
    assert!(
        matches!(f.kind, FaultKind::Io | FaultKind::Closed | FaultKind::Open),
        "{f}"
    );

    // Plugged back (same device name).
    let pty = PtyPair::new(dir.path());
    until(&mut feed, 20, "reopened", is_up).await;
    let mut sensor = std::fs::OpenOptions::new()
        .write(true)
        .open(&pty.b)
        .unwrap();
    sensor.write_all(b"$WIMWV,214.8,R,0.1,K,A*28\r\n").unwrap();
    next_data(&mut feed, 5).await;
    assert_eq!(feed.stats().data, 3);
}

#[tokio::test]
async fn dropping_the_feed_stops_its_task() {
    let feed = spawn_anemometer(&udp_address(0), AnemometerConfig::default())
        .await
        .unwrap();
    let port = feed.local_addr().unwrap().port();
    drop(feed);
    // The port is free again once the task is gone.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if UdpSocket::bind(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "port {port} still bound"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
