//! Incidents posted over HTTP by the CSU or an external alert system (a citizen-alert network
//! interconnected with the CSU): position, time, kind, note. The station shows them on the
//! pilot's map; the pilot may turn one into a go-to, which the interlock judges like any other.
//!
//! `POST /incidents` with `Authorization: Bearer TOKEN` (one token per sender, named in the
//! tokens file) and a JSON body of at most [`MAX_BODY`] bytes:
//! `{"lat": 43.5150, "lon": 4.9890, "kind": "départ de feu", "note": "…", "at": "RFC 3339"}`
//! (`at` optional: when the alert was raised, else now). Answers: 201 with the incident's id,
//! 400 naming the field, 401 without a known token, 411/413 for a missing or oversized body,
//! 404/405 elsewhere.
//!
//! `GET /flights` with the same token: the flight each vehicle is on now
//! (`{"flights":[{"sysid":1,"flight_id":"…"}]}`), so that the CSU's wall labels its tiles with
//! the flight the register files them under. Nothing else is served.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flight_rules::LatLon;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use crate::feed::{EVENT_QUEUE, Feed, FeedError, FeedEvent, FeedStats, FeedTask};

/// Largest body accepted (an incident is a few hundred bytes).
pub const MAX_BODY: usize = 16 * 1024;
/// Largest request head (request line and headers).
const MAX_HEAD: usize = 8 * 1024;
/// Shortest token accepted in the tokens file (guessing must be hopeless).
pub const MIN_TOKEN_LEN: usize = 24;
/// A client has this long to send its whole request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// One incident as the station keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// `INC-YYYYMMDDTHHMMSSZ-N`, given on receipt.
    pub id: String,
    /// When the alert was raised (the sender's `at`, else the receipt).
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub position: LatLon,
    pub kind: String,
    pub note: String,
    /// The sender, by its token's name.
    pub source: String,
}

/// Where incidents are taken and who may post them.
#[derive(Debug, Clone)]
pub struct IncidentIntake {
    pub bind: SocketAddr,
    /// (sender's name, token)
    pub tokens: Vec<(String, String)>,
    /// What `GET /flights` answers (None: 404).
    pub flights: Option<FlightsNow>,
}

/// The flights in progress, by vehicle system id: asked at each `GET /flights`.
#[derive(Clone)]
pub struct FlightsNow(std::sync::Arc<dyn Fn() -> Vec<(u8, String)> + Send + Sync>);

impl FlightsNow {
    pub fn new(f: impl Fn() -> Vec<(u8, String)> + Send + Sync + 'static) -> Self {
        FlightsNow(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for FlightsNow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlightsNow")
    }
}

impl IncidentIntake {
    /// The tokens file: one `NAME TOKEN` per line, `#` comments.
    pub fn from_file(bind: SocketAddr, path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("incident tokens {}: {e}", path.display()))?;
        let mut tokens = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(name), Some(token), None) = (words.next(), words.next(), words.next()) else {
                return Err(format!(
                    "incident tokens {} line {}: expected `NAME TOKEN`",
                    path.display(),
                    i + 1
                ));
            };
            if token.len() < MIN_TOKEN_LEN {
                return Err(format!(
                    "incident tokens {} line {}: the token of {name} has {} characters; use at least {MIN_TOKEN_LEN} random ones (e.g. `openssl rand -hex 16`)",
                    path.display(),
                    i + 1,
                    token.len()
                ));
            }
            tokens.push((name.to_string(), token.to_string()));
        }
        if tokens.is_empty() {
            return Err(format!(
                "incident tokens {}: no token; nobody could post",
                path.display()
            ));
        }
        Ok(Self {
            bind,
            tokens,
            flights: None,
        })
    }
}

/// Constant time in the token's length: a wrong token takes as long as a right one.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The body, checked field by field; errors name the field and what it must be.
pub fn parse_incident(
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(LatLon, DateTime<Utc>, String, String), String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or("the body must be a JSON object with lat, lon and kind")?;
    for k in obj.keys() {
        if !matches!(k.as_str(), "lat" | "lon" | "kind" | "note" | "at") {
            return Err(format!(
                "field `{k}` is not known (lat, lon, kind, note, at)"
            ));
        }
    }
    let num = |k: &str, lo: f64, hi: f64| -> Result<f64, String> {
        match obj.get(k) {
            None => Err(format!("field `{k}` is missing")),
            Some(x) => x
                .as_f64()
                .filter(|x| x.is_finite() && (lo..=hi).contains(x))
                .ok_or_else(|| {
                    format!("field `{k}` must be a number of degrees in [{lo}, {hi}], got {x}")
                }),
        }
    };
    let lat = num("lat", -90.0, 90.0)?;
    let lon = num("lon", -180.0, 180.0)?;
    let text = |k: &str, max: usize, required: bool| -> Result<String, String> {
        match obj.get(k) {
            None if required => Err(format!("field `{k}` is missing")),
            None => Ok(String::new()),
            Some(serde_json::Value::String(s))
                if s.chars().count() <= max && !s.chars().any(char::is_control) =>
            {
                if required && s.trim().is_empty() {
                    Err(format!("field `{k}` is empty"))
                } else {
                    Ok(s.trim().to_string())
                }
            }
            Some(serde_json::Value::String(_)) => Err(format!(
                "field `{k}` must be text of at most {max} characters, without control characters"
            )),
            Some(x) => Err(format!("field `{k}` must be text, got {x}")),
        }
    };
    let kind = text("kind", 64, true)?;
    let note = text("note", 1000, false)?;
    let at = match obj.get("at") {
        None => now,
        Some(serde_json::Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| {
                format!(
                    "field `at` must be an RFC 3339 time such as 2026-07-14T15:05:00+02:00: {e}"
                )
            })?
            .with_timezone(&Utc),
        Some(x) => Err(format!("field `at` must be an RFC 3339 time, got {x}"))?,
    };
    if at > now + chrono::Duration::minutes(5) {
        return Err(format!(
            "field `at` is in the future ({at}); is the sender's clock right?"
        ));
    }
    Ok((LatLon::new(lat, lon), at, kind, note))
}

/// Listen on `intake.bind`; each accepted incident arrives as `FeedEvent::Data`.
pub async fn spawn_incidents(intake: &IncidentIntake) -> Result<Feed<Incident>, FeedError> {
    let listener = TcpListener::bind(intake.bind)
        .await
        .map_err(|source| FeedError::Bind {
            address: intake.bind.to_string(),
            source,
        })?;
    let local = listener.local_addr().ok();
    let (tx, rx) = mpsc::channel(EVENT_QUEUE);
    let (stats_tx, stats_rx) = watch::channel(FeedStats::default());
    let tokens = intake.tokens.clone();
    let flights = intake.flights.clone();
    let bind = intake.bind.to_string();
    let task = tokio::spawn(async move {
        let _ = tx
            .send(FeedEvent::Up {
                source: bind,
                detail: "taking incidents over HTTP (POST /incidents)".into(),
            })
            .await;
        stats_tx.send_modify(|s| s.up = true);
        let mut seq = 0u64;
        loop {
            let Ok((sock, peer)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            // One request at a time: incidents are rare, and a slow client is cut at 5 s.
            let answer =
                tokio::time::timeout(READ_TIMEOUT, read_request(sock, &tokens, flights.is_some()))
                    .await;
            let (mut sock, result) = match answer {
                Ok(Ok(x)) => x,
                _ => continue, // timed out or the connection failed: nothing to answer
            };
            let now = Utc::now();
            let (status, body) = match result {
                Ok(Asked::Flights) => {
                    let list: Vec<serde_json::Value> = flights
                        .as_ref()
                        .map(|f| (f.0)())
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(sysid, id)| serde_json::json!({ "sysid": sysid, "flight_id": id }))
                        .collect();
                    (200, serde_json::json!({ "flights": list }).to_string())
                }
                Ok(Asked::Incident(source, body)) => match parse_incident(&body, now) {
                    Ok((position, at, kind, note)) => {
                        seq += 1;
                        let id = format!("INC-{}-{seq}", now.format("%Y%m%dT%H%M%SZ"));
                        let incident = Incident {
                            id: id.clone(),
                            at,
                            received_at: now,
                            position,
                            kind,
                            note,
                            source,
                        };
                        stats_tx.send_modify(|s| {
                            s.lines += 1;
                            s.data += 1;
                            s.last_data_at = Some(now);
                        });
                        if tx.send(FeedEvent::Data(incident)).await.is_err() {
                            return;
                        }
                        (201, serde_json::json!({ "id": id }).to_string())
                    }
                    Err(reason) => {
                        stats_tx.send_modify(|s| {
                            s.lines += 1;
                            s.count_bad("field", format!("{peer}: {reason}"));
                        });
                        (400, serde_json::json!({ "error": reason }).to_string())
                    }
                },
                Err((status, reason)) => {
                    stats_tx.send_modify(|s| s.count_bad("request", format!("{peer}: {reason}")));
                    (status, serde_json::json!({ "error": reason }).to_string())
                }
            };
            let _ = respond(&mut sock, status, &body).await;
        }
    });
    Ok(Feed {
        events: rx,
        stats: stats_rx,
        local_addr: local,
        task: FeedTask::new(task),
    })
}

/// What an authenticated client asked.
enum Asked {
    /// `POST /incidents`: the sender's name and the body.
    Incident(String, Vec<u8>),
    /// `GET /flights`.
    Flights,
}

type Request = Result<Asked, (u16, String)>;

/// Read one request: its head (bounded), its token, its body (bounded by Content-Length).
async fn read_request(
    mut sock: TcpStream,
    tokens: &[(String, String)],
    serve_flights: bool,
) -> std::io::Result<(TcpStream, Request)> {
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Ok((sock, Err((431, "request head too large".into()))));
        }
        let mut chunk = [0u8; 1024];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    if !matches!(
        req.parse(&buf[..head_end]),
        Ok(httparse::Status::Complete(_))
    ) {
        return Ok((sock, Err((400, "not an HTTP/1.1 request".into()))));
    }
    let path = req.path.unwrap_or("");
    let flights = serve_flights && path == "/flights";
    if path != "/incidents" && !flights {
        return Ok((sock, Err((404, format!("no {path} here: POST /incidents")))));
    }
    if flights && req.method != Some("GET") {
        return Ok((sock, Err((405, "only GET /flights".into()))));
    }
    if !flights && req.method != Some("POST") {
        return Ok((sock, Err((405, "only POST /incidents".into()))));
    }
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    };
    let source = header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| {
            tokens
                .iter()
                .find(|(_, known)| same(known.as_bytes(), t.trim().as_bytes()))
                .map(|(name, _)| name.clone())
        });
    let Some(source) = source else {
        return Ok((
            sock,
            Err((
                401,
                "a known token is required: Authorization: Bearer TOKEN".into(),
            )),
        ));
    };
    if flights {
        return Ok((sock, Ok(Asked::Flights)));
    }
    if header("transfer-encoding").is_some() {
        return Ok((
            sock,
            Err((
                411,
                "send the body with a Content-Length, not chunked".into(),
            )),
        ));
    }
    let Some(len) = header("content-length").and_then(|v| v.trim().parse::<usize>().ok()) else {
        return Ok((sock, Err((411, "Content-Length is required".into()))));
    };
    if len > MAX_BODY {
        return Ok((
            sock,
            Err((413, format!("the body has {len} bytes; at most {MAX_BODY}"))),
        ));
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let mut chunk = vec![0u8; len - body.len()];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Ok((sock, Ok(Asked::Incident(source, body))))
}

async fn respond(sock: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };
    let auth = if status == 401 {
        "WWW-Authenticate: Bearer\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{auth}Connection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body.as_bytes()).await?;
    sock.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_field_is_named_with_what_it_must_be() {
        let now = Utc::now();
        let rows: &[(&str, &str)] = &[
            ("{", "not JSON"),
            ("[1]", "JSON object"),
            (r#"{"lon": 4.9, "kind": "feu"}"#, "field `lat` is missing"),
            (
                r#"{"lat": 95, "lon": 4.9, "kind": "feu"}"#,
                "field `lat` must be a number of degrees in [-90, 90]",
            ),
            (
                r#"{"lat": "43.5", "lon": 4.9, "kind": "feu"}"#,
                "field `lat`",
            ),
            (r#"{"lat": 43.5, "lon": 4.9}"#, "field `kind` is missing"),
            (
                r#"{"lat": 43.5, "lon": 4.9, "kind": " "}"#,
                "field `kind` is empty",
            ),
            (
                r#"{"lat": 43.5, "lon": 4.9, "kind": "feu", "at": "hier"}"#,
                "field `at` must be an RFC 3339 time",
            ),
            (
                r#"{"lat": 43.5, "lon": 4.9, "kind": "feu", "at": "2099-01-01T00:00:00Z"}"#,
                "field `at` is in the future",
            ),
            (
                r#"{"lat": 43.5, "lon": 4.9, "kind": "feu", "colour": "red"}"#,
                "field `colour` is not known",
            ),
        ];
        for (body, expected) in rows {
            let e = parse_incident(body.as_bytes(), now).unwrap_err();
            assert!(e.contains(expected), "{body}: {e}");
        }
        let (p, at, kind, note) = parse_incident(
            r#"{"lat": 43.5262, "lon": 5.5905, "kind": "départ de feu", "note": "fumée blanche", "at": "2026-07-14T15:05:00+02:00"}"#.as_bytes(),
            now,
        )
        .unwrap();
        assert_eq!((p.lat_deg, p.lon_deg), (43.5262, 5.5905));
        assert_eq!(at.to_rfc3339(), "2026-07-14T13:05:00+00:00");
        assert_eq!(
            (kind.as_str(), note.as_str()),
            ("départ de feu", "fumée blanche")
        );
    }
}
