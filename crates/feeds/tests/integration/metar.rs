//! The METAR feed against a local HTTP server (plain http on loopback), OpenSSL's s_server for
//! TLS, files that change, and text.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use vigie_feeds::*;

use super::common::*;

#[derive(Clone)]
enum Route {
    Body(String),
    Status(u16),
    /// Accept, read the request, never answer.
    Hang,
}

/// A tiny HTTP/1.1 server on a loopback port chosen by the OS.
struct HttpServer {
    port: u16,
    routes: Arc<Mutex<HashMap<String, Route>>>,
}

impl HttpServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let r = routes.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let r = r.clone();
                std::thread::spawn(move || serve(conn, &r));
            }
        });
        Self { port, routes }
    }

    fn set(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_string(), route);
    }

    fn url(&self, path: &str) -> MetarSource {
        format!("http://127.0.0.1:{}{path}", self.port)
            .parse()
            .unwrap()
    }
}

fn serve(mut conn: TcpStream, routes: &Mutex<HashMap<String, Route>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut l = String::new();
        match reader.read_line(&mut l) {
            Ok(0) | Err(_) => return,
            Ok(_) if l == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    let route = routes.lock().unwrap().get(&path).cloned();
    let (status, body) = match route {
        Some(Route::Body(b)) => (200, b),
        Some(Route::Status(s)) => (s, "error page".to_string()),
        Some(Route::Hang) => {
            // Until the client gives up and closes.
            let mut sink = [0u8; 64];
            while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
            return;
        }
        None => (404, "not found".to_string()),
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A METAR for LFMI observed `minutes_ago` (rounded down to the minute), gusting `gust_kt`.
fn lfmi(minutes_ago: i64, gust_kt: u32) -> (String, DateTime<Utc>) {
    let t = Utc::now() - chrono::Duration::minutes(minutes_ago);
    let t = t.with_second(0).unwrap().with_nanosecond(0).unwrap();
    (
        format!(
            "LFMI {}Z 33025G{gust_kt}KT CAVOK 14/M02 Q1021",
            t.format("%d%H%M")
        ),
        t,
    )
}

fn fast() -> MetarConfig {
    MetarConfig {
        period: Duration::from_millis(200),
        file_check: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
        retry_after: Duration::from_millis(200),
        ..MetarConfig::default()
    }
}

async fn fault(feed: &mut Feed<MetarReport>, what: &str) -> FeedFault {
    match until(feed, 15, what, |e| matches!(e, FeedEvent::Fault(_))).await {
        FeedEvent::Fault(f) => f,
        _ => unreachable!(),
    }
}

/// NOAA tgftp's station file served over http, polled: each new report arrives with its own
/// observation time; an unchanged one is not sent again.
#[tokio::test]
async fn url_polled_keeps_the_reports_own_time() {
    let srv = HttpServer::start();
    let (m1, t1) = lfmi(25, 38);
    srv.set(
        "/LFMI.TXT",
        Route::Body(format!("{}\n{m1}\n", Utc::now().format("%Y/%m/%d %H:%M"))),
    );
    let mut feed = spawn_metar(&srv.url("/LFMI.TXT"), fast()).await.unwrap();
    let r = next_data(&mut feed, 10).await;
    assert_eq!(
        r.reading.observed_at, t1,
        "the METAR's time, not the fetch's"
    );
    assert_eq!(r.reading.source, flight_rules::WindSource::Metar);
    assert_eq!(r.station.as_deref(), Some("LFMI"));
    assert!((r.reading.gust_mps.unwrap() - 38.0 * 1852.0 / 3600.0).abs() < 1e-9);
    // A new report replaces it on a later poll.
    let (m2, t2) = lfmi(1, 45);
    srv.set("/LFMI.TXT", Route::Body(m2));
    let r = next_data(&mut feed, 10).await;
    assert_eq!(r.reading.observed_at, t2);
    assert!(feed.stats().lines >= 2);
}

#[tokio::test]
async fn http_errors_each_say_what_went_wrong() {
    let srv = HttpServer::start();
    srv.set("/missing", Route::Status(404));
    srv.set(
        "/html",
        Route::Body("<!DOCTYPE html><html><body>Maintenance</body></html>".into()),
    );
    srv.set("/empty", Route::Body(String::new()));
    srv.set("/hang", Route::Hang);

    let mut feed = spawn_metar(&srv.url("/missing"), fast()).await.unwrap();
    let f = fault(&mut feed, "the 404").await;
    assert_eq!(f.kind, FaultKind::Http { status: 404 }, "{f}");
    assert!(f.reason.contains("404 Not Found"), "{f}");
    assert!(f.source.contains("/missing"), "{f}");

    let mut feed = spawn_metar(&srv.url("/html"), fast()).await.unwrap();
    let f = fault(&mut feed, "the bad body").await;
    assert_eq!(f.kind, FaultKind::Report, "{f}");
    assert!(f.reason.contains("DOCTYPE"), "{f}");

    let mut feed = spawn_metar(&srv.url("/empty"), fast()).await.unwrap();
    let f = fault(&mut feed, "the empty body").await;
    assert!(f.reason.contains("station id may be wrong"), "{f}");

    let cfg = MetarConfig {
        timeout: Duration::from_millis(500),
        ..fast()
    };
    let mut feed = spawn_metar(&srv.url("/hang"), cfg).await.unwrap();
    let f = fault(&mut feed, "the timeout").await;
    assert_eq!(f.kind, FaultKind::Timeout, "{f}");
    assert_eq!(f.retry_in, Some(Duration::from_millis(200)));

    let url: MetarSource = format!("http://127.0.0.1:{}/x", free_port())
        .parse()
        .unwrap();
    let mut feed = spawn_metar(&url, fast()).await.unwrap();
    let f = fault(&mut feed, "the refusal").await;
    assert_eq!(f.kind, FaultKind::Connect, "{f}");
}

/// The station asks for one station of a multi-station answer (aviationweather.gov ids=A,B).
#[tokio::test]
async fn the_configured_station_is_picked_from_several() {
    let srv = HttpServer::start();
    let (m, t) = lfmi(5, 30);
    let lfml = m.replace("LFMI", "LFML").replace("G30KT", "G50KT");
    srv.set("/metar", Route::Body(format!("METAR {lfml}\nMETAR {m}\n")));
    let cfg = MetarConfig {
        station: Some("LFMI".into()),
        ..fast()
    };
    let mut feed = spawn_metar(&srv.url("/metar"), cfg).await.unwrap();
    let r = next_data(&mut feed, 10).await;
    assert_eq!(r.reading.observed_at, t);
    assert!(r.raw.contains("LFMI"), "{r:?}");
}

/// A self-signed certificate must be refused: the TLS stack (rustls, ring provider) is there
/// and verifies.
#[tokio::test]
async fn https_with_an_untrusted_certificate_is_a_tls_fault() {
    let dir = tempfile::tempdir().unwrap();
    let server = SServer::start(dir.path());
    let url: MetarSource = format!("https://127.0.0.1:{}/", server.port)
        .parse()
        .unwrap();
    let mut feed = spawn_metar(&url, fast()).await.unwrap();
    let f = fault(&mut feed, "the TLS refusal").await;
    assert_eq!(f.kind, FaultKind::Tls, "{f}");
    assert!(f.reason.to_lowercase().contains("certificate"), "{f}");
}

/// `openssl s_server` with a throw-away self-signed certificate; killed on drop.
struct SServer {
    child: Child,
    port: u16,
}

impl SServer {
    fn start(dir: &Path) -> Self {
        let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
        let ok = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot run openssl ({e}): `apt-get install openssl`"));
        assert!(ok.success(), "openssl req failed");
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new("openssl")
                .args(["s_server", "-quiet", "-www", "-accept"])
                .arg(port.to_string())
                .arg("-cert")
                .arg(&cert)
                .arg("-key")
                .arg(&key)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self { child, port };
                }
                if child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("openssl s_server did not start");
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file another program refreshes (a cron job copying tgftp): re-read when it changes; its
/// loss is a fault; its return is read.
#[tokio::test]
async fn a_file_is_reread_when_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("LFMI.TXT");
    let (m1, t1) = lfmi(30, 30);
    std::fs::write(&path, format!("2026/11/28 14:00\n{m1}\n")).unwrap();
    let src: MetarSource = path.display().to_string().parse().unwrap();
    assert_eq!(src, MetarSource::File(path.clone()));
    let mut feed = spawn_metar(&src, fast()).await.unwrap();
    assert_eq!(next_data(&mut feed, 10).await.reading.observed_at, t1);

    let (m2, t2) = lfmi(2, 52);
    std::fs::write(&path, format!("{m2}\n")).unwrap();
    let r = next_data(&mut feed, 10).await;
    assert_eq!(r.reading.observed_at, t2);
    assert!(r.reading.peak_mps() * 3.6 > 90.0, "{r:?}");

    std::fs::remove_file(&path).unwrap();
    let f = fault(&mut feed, "the file's loss").await;
    assert_eq!(f.kind, FaultKind::File, "{f}");

    let (m3, t3) = lfmi(0, 20);
    std::fs::write(&path, format!("{m3}\n")).unwrap();
    assert_eq!(next_data(&mut feed, 10).await.reading.observed_at, t3);

    // Half-written by the copying job: said, then the complete file is read.
    std::fs::write(&path, "LFMI 2814").unwrap();
    let f = fault(&mut feed, "the unusable content").await;
    assert_eq!(f.kind, FaultKind::Report, "{f}");
    let (m4, t4) = lfmi(0, 22);
    std::fs::write(&path, format!("{m4}\n")).unwrap();
    let r = next_data(&mut feed, 10).await;
    assert_eq!((r.reading.observed_at, r.raw), (t4, m4));
}

#[tokio::test]
async fn text_is_read_once_and_bad_input_is_refused_at_start() {
    let (m, t) = lfmi(10, 25);
    let src: MetarSource = m.parse().unwrap();
    let mut feed = spawn_metar(&src, MetarConfig::default()).await.unwrap();
    assert_eq!(next_data(&mut feed, 5).await.reading.observed_at, t);

    let e = spawn_metar(
        &"LFMI 33012KT CAVOK".parse().unwrap(),
        MetarConfig::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("LFMI 33012KT CAVOK") && e.contains("DDHHMMZ"),
        "{e}"
    );

    let e = spawn_metar(
        &"/nonexistent/LFMI.TXT".parse().unwrap(),
        MetarConfig::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("/nonexistent/LFMI.TXT"), "{e}");
}
