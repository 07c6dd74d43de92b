//! The METAR feed: a report given as text (once), a file (re-read when it changes, and every
//! period), or an URL (fetched every period with a timeout). Each `MetarReport` keeps the
//! report's own observation time: judging its age is the rules' job.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use tokio::sync::{mpsc, watch};

use crate::address::MetarSource;
use crate::feed::{
    EVENT_QUEUE, FaultKind, Feed, FeedError, FeedEvent, FeedFault, FeedStats, FeedTask,
};
use crate::metar_doc::{MetarReport, parse_metar_document};

#[derive(Debug, Clone, PartialEq)]
pub struct MetarConfig {
    /// URL: fetched this often (METARs come every 30 min; aviationweather.gov asks for no more
    /// than one request a minute). File: re-read this often even when unchanged.
    pub period: Duration,
    /// File: how often its size and modification time are looked at.
    pub file_check: Duration,
    /// URL: the whole request (connect, TLS, headers, body) must finish within this.
    pub timeout: Duration,
    /// URL: after a failed fetch, try again after this (or `period`, if shorter).
    pub retry_after: Duration,
    /// Keep only this station's reports (a file or answer may hold several).
    pub station: Option<String>,
    /// Bodies and files larger than this are refused.
    pub max_bytes: u64,
}

impl Default for MetarConfig {
    fn default() -> Self {
        Self {
            period: Duration::from_secs(600),
            file_check: Duration::from_secs(5),
            timeout: Duration::from_secs(20),
            retry_after: Duration::from_secs(60),
            station: None,
            max_bytes: 64 * 1024,
        }
    }
}

type Tx = mpsc::Sender<FeedEvent<MetarReport>>;

struct Ctx {
    tx: Tx,
    stats: watch::Sender<FeedStats>,
    st: FeedStats,
    label: String,
    station: Option<String>,
    last_raw: Option<String>,
}

impl Ctx {
    async fn send(&mut self, ev: FeedEvent<MetarReport>) -> bool {
        self.stats.send_replace(self.st.clone());
        self.tx.send(ev).await.is_ok()
    }

    async fn fault(&mut self, kind: FaultKind, reason: String, retry_in: Option<Duration>) -> bool {
        self.st.faults += 1;
        self.st.up = false;
        let f = FeedFault {
            kind,
            source: self.label.clone(),
            reason,
            retry_in,
        };
        self.send(FeedEvent::Fault(f)).await
    }

    /// Parse a document; send the report when it is new. False when the station went away.
    async fn document(&mut self, text: &str, retry_in: Option<Duration>) -> bool {
        self.st.lines += 1;
        match parse_metar_document(text, self.station.as_deref(), Utc::now()) {
            Ok(r) => {
                self.st.up = true;
                if self.last_raw.as_deref() == Some(r.raw.as_str()) {
                    self.stats.send_replace(self.st.clone());
                    return !self.tx.is_closed();
                }
                self.st.data += 1;
                self.st.last_data_at = Some(Utc::now());
                self.last_raw = Some(r.raw.clone());
                self.send(FeedEvent::Data(r)).await
            }
            Err(e) => {
                self.st.count_bad("report", e.to_string());
                self.fault(FaultKind::Report, e.to_string(), retry_in).await
            }
        }
    }
}

/// Start the METAR feed. Bad input fails here, naming it: a text that is no usable METAR, a
/// file that cannot be read. Later failures (file gone, server down) arrive as faults.
pub async fn spawn_metar(
    source: &MetarSource,
    cfg: MetarConfig,
) -> Result<Feed<MetarReport>, FeedError> {
    let (tx, rx) = mpsc::channel(EVENT_QUEUE);
    let (stats_tx, stats_rx) = watch::channel(FeedStats::default());
    let mut ctx = Ctx {
        tx,
        stats: stats_tx,
        st: FeedStats::default(),
        label: source.to_string(),
        station: cfg.station.clone(),
        last_raw: None,
    };
    let task = match source {
        MetarSource::Text(t) => {
            parse_metar_document(t, cfg.station.as_deref(), Utc::now()).map_err(|error| {
                FeedError::Metar {
                    source_text: t.clone(),
                    error,
                }
            })?;
            let text = t.clone();
            tokio::spawn(async move {
                if ctx.document(&text, None).await {
                    // Nothing more will come; keep the channel open until the station drops it.
                    ctx.tx.closed().await;
                }
            })
        }
        MetarSource::File(path) => {
            std::fs::metadata(path).map_err(|source| FeedError::File {
                path: path.clone(),
                source,
            })?;
            let path = path.clone();
            tokio::spawn(async move { watch_file(&mut ctx, &path, &cfg).await })
        }
        MetarSource::Url(url) => {
            let agent = ureq::Agent::config_builder()
                .timeout_global(Some(cfg.timeout))
                .http_status_as_error(false)
                .user_agent(concat!(
                    "vigie/",
                    env!("CARGO_PKG_VERSION"),
                    " (METAR wind gate)"
                ))
                .build()
                .new_agent();
            let url = url.clone();
            tokio::spawn(async move { poll_url(&mut ctx, agent, &url, &cfg).await })
        }
    };
    Ok(Feed {
        events: rx,
        stats: stats_rx,
        local_addr: None,
        task: FeedTask::new(task),
    })
}

async fn watch_file(ctx: &mut Ctx, path: &PathBuf, cfg: &MetarConfig) {
    let mut last_stamp = None;
    let mut last_read = tokio::time::Instant::now();
    let mut missing = false;
    loop {
        let due = last_read.elapsed() >= cfg.period;
        let stamp: std::io::Result<(Option<SystemTime>, u64)> = tokio::fs::metadata(path)
            .await
            .map(|m| (m.modified().ok(), m.len()));
        match stamp {
            // Read when it changed, or on the period; a bad content is said once per change.
            Ok(s) if Some(s) != last_stamp || due => {
                missing = false;
                last_stamp = Some(s);
                last_read = tokio::time::Instant::now();
                let text = match tokio::fs::read(path).await {
                    Ok(b) if b.len() as u64 > cfg.max_bytes => Err(format!(
                        "{} bytes, more than the {} a METAR file can be",
                        b.len(),
                        cfg.max_bytes
                    )),
                    Ok(b) => String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let alive = match text {
                    Ok(t) => ctx.document(&t, Some(cfg.file_check)).await,
                    Err(reason) => {
                        ctx.fault(FaultKind::File, reason, Some(cfg.file_check))
                            .await
                    }
                };
                if !alive {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                // Said once per disappearance, not at every check.
                if !missing
                    && !ctx
                        .fault(FaultKind::File, e.to_string(), Some(cfg.file_check))
                        .await
                {
                    return;
                }
                missing = true;
                last_stamp = None;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(cfg.file_check) => {}
            _ = ctx.tx.closed() => return,
        }
    }
}

/// One GET: the body, or the fault's kind and words.
fn fetch(agent: &ureq::Agent, url: &str, max_bytes: u64) -> Result<String, (FaultKind, String)> {
    let map = |e: ureq::Error| -> (FaultKind, String) {
        let kind = match &e {
            ureq::Error::Timeout(_) => FaultKind::Timeout,
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => FaultKind::Connect,
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                FaultKind::Connect
            }
            // rustls reports a refused certificate as an I/O error wrapping its own.
            ureq::Error::Io(io)
                if io
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
            {
                FaultKind::Tls
            }
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::TlsRequired => {
                FaultKind::Tls
            }
            ureq::Error::BodyExceedsLimit(_) => FaultKind::Body,
            _ => FaultKind::Io,
        };
        (kind, e.to_string())
    };
    let mut resp = agent.get(url).call().map_err(map)?;
    let status = resp.status().as_u16();
    if status != 200 {
        let why = resp.status().canonical_reason().unwrap_or("");
        return Err((
            FaultKind::Http { status },
            format!("the server answered {status} {why}"),
        ));
    }
    resp.body_mut()
        .with_config()
        .limit(max_bytes)
        .read_to_string()
        .map_err(|e| match e {
            ureq::Error::Timeout(_) => (FaultKind::Timeout, e.to_string()),
            _ => (FaultKind::Body, format!("cannot read the body: {e}")),
        })
}

async fn poll_url(ctx: &mut Ctx, agent: ureq::Agent, url: &str, cfg: &MetarConfig) {
    let retry = cfg.retry_after.min(cfg.period);
    loop {
        let (a, u, max) = (agent.clone(), url.to_string(), cfg.max_bytes);
        let got = tokio::task::spawn_blocking(move || fetch(&a, &u, max))
            .await
            .unwrap_or_else(|e| Err((FaultKind::Io, format!("fetch task failed: {e}"))));
        let (alive, wait) = match got {
            Ok(body) => {
                let before = ctx.st.faults;
                let alive = ctx.document(&body, Some(retry)).await;
                let wait = if ctx.st.faults > before {
                    retry
                } else {
                    cfg.period
                };
                (alive, wait)
            }
            Err((kind, reason)) => (ctx.fault(kind, reason, Some(retry)).await, retry),
        };
        if !alive {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.tx.closed() => return,
        }
    }
}
