//! `vigie csu`: the supervision centre's wall. The operator logs in with their CSU account (the
//! same htdigest accounts the stations' and relays' RTSP servers use); every stream shown is a
//! viewer session in the CSU's register (CSI L242-4), started before the window opens and ended
//! when it closes. The wall commands nothing: see `vigie::app::csu_wall`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;
use vigie::app::csu_wall::{WallApp, WallStream, run_wall};
use vigie::app::video::{VideoFeed, VideoPane};
use vigie_register::{Actor, EventKind, EventRecord, ViewerSessionEnd, ViewerSessionStart};
use vigie_video::{Events, Ingest, IngestConfig, SourceUri, users};

use crate::cmd::video::journal::Journal;
use crate::exit::BadInput;

#[derive(Debug, clap::Args)]
pub struct CsuArgs {
    /// A stream to show: `[SYSID[:NAME]=]URL`, e.g. `1:EO=rtsp://relay.csu:8554/drone-1`,
    /// `1:thermique=rtsp://relay.csu:8554/drone-1-thermal`. Up to nine. RTSP streams are opened
    /// with the operator's account (the server journals them under the same name).
    #[arg(long, value_name = "SPEC")]
    pub stream: Vec<String>,
    /// Where the stations' read-only telemetry arrives (their `--csu-telemetry HOST:PORT`).
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:14600")]
    pub telemetry: SocketAddr,
    /// The operator's CSU account; the password comes from VIGIE_PASSWORD or a prompt.
    #[arg(long)]
    pub operator: String,
    /// The CSU's accounts (htdigest, `vigie video users add --file FILE NAME`).
    #[arg(long, value_name = "FILE")]
    pub users: PathBuf,
    /// The département's PostgreSQL register (conninfo) instead of the SQLite one in the data
    /// directory.
    #[arg(long)]
    pub postgres: Option<String>,
    /// A station's incidents intake (`http://STATION:8088/incidents`): the operator can place an
    /// incident on the map and send it to the pilot; the token comes from VIGIE_INCIDENT_TOKEN.
    #[arg(long, value_name = "URL")]
    pub incidents_to: Option<String>,
    /// Close after this many seconds (screenshots, tests).
    #[arg(long)]
    pub duration: Option<f64>,
}

/// One `--stream`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSpec {
    pub vehicle: Option<u8>,
    pub label: String,
    pub url: String,
}

pub fn parse_stream(spec: &str) -> Result<StreamSpec, String> {
    let (head, url) = match spec.split_once('=') {
        Some((h, u)) if !h.contains("://") && !h.contains('/') => (Some(h), u),
        _ => (None, spec),
    };
    let (vehicle, name) = match head {
        Some(h) => {
            let (id, name) = h.split_once(':').unwrap_or((h, ""));
            let id: u8 = id.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                format!(
                    "--stream {spec}: `{id}` is not a drone's system id (1-255); write SYSID[:NAME]=URL, e.g. 1:EO=rtsp://relay:8554/drone-1"
                )
            })?;
            (Some(id), name.to_string())
        }
        None => {
            // rtsp://…/drone-3 names its drone.
            let id = url
                .rsplit('/')
                .next()
                .and_then(|last| last.strip_prefix("drone-"))
                .and_then(|n| n.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok());
            (id, String::new())
        }
    };
    if SourceUri::parse(url).is_err() {
        return Err(format!(
            "--stream {spec}: `{url}` is not a stream address (rtsp://HOST:PORT/PATH, rtp://HOST:PORT, srt://…)"
        ));
    }
    let label = match (vehicle, name.is_empty()) {
        (Some(v), false) => format!("drone-{v} · {name}"),
        (Some(v), true) => format!("drone-{v}"),
        (None, _) => url.rsplit('/').next().unwrap_or(url).to_string(),
    };
    Ok(StreamSpec {
        vehicle,
        label,
        url: url.to_string(),
    })
}

/// An RTSP URL opened with the operator's account, unless it carries one already.
fn with_account(url: &str, user: &str, password: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    for scheme in ["rtsp://", "rtsps://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let authority = rest.split('/').next().unwrap_or(rest);
            if authority.contains('@') {
                return url.to_string();
            }
            return format!("{scheme}{}:{}@{rest}", enc(user), enc(password));
        }
    }
    url.to_string()
}

/// Constant time over the digest's length: a wrong password takes as long as a right one.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn login_event(operator: &str, ok: bool, detail: &str) -> EventRecord {
    let text = if ok {
        format!("CSU wall: operator {operator} logged in ({detail})")
    } else {
        format!("CSU wall: login of {operator} refused ({detail})")
    };
    EventRecord {
        flight_id: None,
        at: Utc::now(),
        kind: if ok {
            EventKind::Info
        } else {
            EventKind::Alarm
        },
        code: if ok { "csu.login" } else { "csu.login_refused" }.into(),
        text,
        rule_ids: Vec::new(),
        data: Some(serde_json::json!({ "operator": operator, "detail": detail })),
        vehicle: None,
    }
}

pub fn run(global: &crate::Global, args: CsuArgs) -> anyhow::Result<ExitCode> {
    if args.stream.len() > 9 {
        return Err(BadInput(format!(
            "{} streams: the wall shows nine at most",
            args.stream.len()
        ))
        .into());
    }
    let specs = args
        .stream
        .iter()
        .map(|s| parse_stream(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(BadInput)?;
    let accounts = users::load(&args.users).map_err(|e| BadInput(e.to_string()))?;
    let password = match std::env::var("VIGIE_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => rpassword::prompt_password(format!("password for {}: ", args.operator)).map_err(
            |e| {
                BadInput(format!(
                    "no password for {}: set VIGIE_PASSWORD or run in a terminal ({e})",
                    args.operator
                ))
            },
        )?,
    };
    let journal = Journal::open(&global.data_dir(), args.postgres.clone(), false)?;
    let host = hostname();
    let known = accounts.iter().find(|a| a.user == args.operator);
    if !known.is_some_and(|a| same(&a.ha1_hex, &users::ha1(&args.operator, &password))) {
        journal.event(login_event(&args.operator, false, &format!("on {host}")));
        journal.flush();
        return Err(BadInput(format!(
            "login refused for {}: unknown account or wrong password (accounts in {})",
            args.operator,
            args.users.display()
        ))
        .into());
    }
    journal.event(login_event(&args.operator, true, &format!("on {host}")));
    vigie_video::init().context("video")?;

    // Every stream shown is a viewer session of the operator, on record before it is shown.
    let started = Utc::now();
    let mut sessions = Vec::new();
    let mut streams = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let session_id = format!(
            "csu-{}-{}-{i}",
            started.format("%Y%m%dT%H%M%SZ"),
            std::process::id()
        );
        journal
            .start(ViewerSessionStart {
                session_id: session_id.clone(),
                flight_id: None,
                viewer: Actor {
                    id: args.operator.clone(),
                    name: args.operator.clone(),
                    role: vigie_station::video::VIEWER_ROLE.into(),
                },
                from: format!("vigie csu on {host}"),
                stream: s.label.clone(),
                started_at: Utc::now(),
            })
            .map_err(|e| anyhow::anyhow!("the CSU's register refused the session of {}: {e}; nothing is shown unrecorded", s.label))?;
        sessions.push(session_id);
        let uri = SourceUri::parse(&with_account(&s.url, &args.operator, &password))
            .map_err(|e| BadInput(format!("--stream {}: {e}", s.url)))?;
        // GStreamer's element names: letters, digits, '-' and '_'.
        let name: String = s
            .label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        let ingest = Ingest::start(IngestConfig::new(&name, uri), Events::log_only())
            .map_err(|e| anyhow::anyhow!("--stream {}: {e}", s.label))?;
        let feed = VideoFeed {
            label: s.label.clone(),
            frames: ingest.frames(),
            ingest: Some(std::sync::Arc::new(ingest)),
        };
        streams.push(WallStream {
            label: s.label.clone(),
            vehicle: s.vehicle,
            pane: VideoPane::new(feed),
        });
    }
    let telemetry = vigie::csu_telemetry::Listener::start(args.telemetry).map_err(|e| {
        BadInput(format!(
            "--telemetry {}: cannot listen ({e}); is another wall running on this port?",
            args.telemetry
        ))
    })?;
    println!(
        "csu: operator {} — {} stream(s), telemetry on udp {}",
        args.operator,
        streams.len(),
        telemetry.local
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stop = crate::cmd::stop::install(&rt, crate::cmd::stop::Children::default());
    let settings = vigie::app::settings::Settings::load(&global.data_dir()).unwrap_or_default();
    let lang = global.lang().unwrap_or(settings.lang);
    let ctx = vigie::app::Context::new(
        lang,
        settings.clone(),
        std::sync::Arc::new(flight_rules::RuleSet::default_embedded()),
        None,
        settings.tiles.online_url.is_none() && settings.tiles.offline_path.is_none(),
        global.data_dir(),
    );
    let poster: Option<vigie::app::csu_wall::IncidentPoster> = match &args.incidents_to {
        None => None,
        Some(url) => {
            let token = std::env::var(crate::cmd::incident::TOKEN_ENV)
                .ok()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    BadInput(format!(
                        "--incidents-to {url}: set {} to the CSU's token in the station's --incident-tokens file",
                        crate::cmd::incident::TOKEN_ENV
                    ))
                })?;
            let (url, journal, operator) = (url.clone(), journal.clone(), args.operator.clone());
            Some(std::sync::Arc::new(
                move |p: vigie::incident_post::IncidentPost| {
                    let r = vigie::incident_post::post_incident(&url, &token, &p);
                    // The CSU's own record of what it sent, and the station's answer.
                    journal.event(EventRecord {
                    flight_id: None,
                    at: Utc::now(),
                    kind: if r.is_ok() { EventKind::Info } else { EventKind::Alarm },
                    code: "csu.incident_posted".into(),
                    text: format!(
                        "CSU wall: {operator} sent incident \"{}\" at {:.5}, {:.5} to {url}: {}",
                        p.kind,
                        p.lat,
                        p.lon,
                        match &r {
                            Ok(id) => format!("accepted as {id}"),
                            Err(e) => format!("refused: {e}"),
                        }
                    ),
                    rule_ids: Vec::new(),
                    data: Some(serde_json::json!({
                        "operator": operator, "lat": p.lat, "lon": p.lon, "kind": p.kind,
                        "note": p.note, "to": url, "answer": r.as_ref().map_err(|e| e.clone()),
                    })),
                    vehicle: None,
                });
                    r
                },
            ))
        }
    };
    let mut app = WallApp::new(
        ctx,
        args.operator.clone(),
        streams,
        &telemetry,
        args.duration.map(std::time::Duration::from_secs_f64),
        Some(stop),
    );
    app.poster = poster;
    if let (Some(url), Ok(token)) = (
        &args.incidents_to,
        std::env::var(crate::cmd::incident::TOKEN_ENV),
    ) {
        poll_flights(url.clone(), token, std::sync::Arc::downgrade(&app.flights));
    }
    // The runtime only watches for the stop signal while the window runs.
    let _guard = rt.enter();
    let shown = run_wall(app, &format!("Vigie — CSU — {}", args.operator));
    for id in sessions {
        journal.end(ViewerSessionEnd {
            session_id: id,
            ended_at: Utc::now(),
        });
    }
    journal.flush();
    shown.map_err(|e| anyhow::anyhow!("the wall's window: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Ask the station every 2 s which flight each drone is on (its tiles say it); stops with the
/// wall. A station that does not answer leaves the last answer up, and says why in the log once.
fn poll_flights(
    url: String,
    token: String,
    flights: std::sync::Weak<std::sync::Mutex<std::collections::BTreeMap<u8, String>>>,
) {
    std::thread::spawn(move || {
        let mut said = false;
        loop {
            let answer = vigie::incident_post::flights_now(&url, &token);
            let Some(slot) = flights.upgrade() else {
                return;
            };
            match answer {
                Ok(now) => {
                    if let Ok(mut f) = slot.lock() {
                        *f = now;
                    }
                    said = false;
                }
                Err(e) if !said => {
                    tracing::warn!("the drones' flights are not known: {e}");
                    said = true;
                }
                Err(_) => {}
            }
            drop(slot);
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
    });
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "this host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_specs_name_their_drone_or_say_how_to() {
        let s = parse_stream("1:EO=rtsp://relay:8554/drone-1").unwrap();
        assert_eq!((s.vehicle, s.label.as_str()), (Some(1), "drone-1 · EO"));
        let s = parse_stream("rtsp://relay:8554/drone-3").unwrap();
        assert_eq!((s.vehicle, s.label.as_str()), (Some(3), "drone-3"));
        let s = parse_stream("2=rtp://127.0.0.1:5610").unwrap();
        assert_eq!(s.vehicle, Some(2));
        let e = parse_stream("x:EO=rtsp://relay/drone-1").unwrap_err();
        assert!(e.contains("SYSID[:NAME]=URL"), "{e}");
        assert!(parse_stream("1=ftp://nowhere").is_err());
    }

    #[test]
    fn the_operators_account_opens_rtsp_and_a_url_with_one_keeps_it() {
        assert_eq!(
            with_account("rtsp://relay:8554/drone-1", "csu.op", "a b@c"),
            "rtsp://csu.op:a%20b%40c@relay:8554/drone-1"
        );
        assert_eq!(
            with_account("rtsp://x:y@relay/drone-1", "csu.op", "p"),
            "rtsp://x:y@relay/drone-1"
        );
        assert_eq!(
            with_account("rtp://127.0.0.1:5600", "u", "p"),
            "rtp://127.0.0.1:5600"
        );
    }
}
