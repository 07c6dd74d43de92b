//! What every feed hands the station: typed events on a channel, counters in a `watch`, and a
//! handle that stops the task when dropped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

use crate::address::{AddressError, MetarSourceError};
use crate::metar_doc::MetarDocError;

/// What went wrong with a source. The task keeps trying (`retry_in`); nothing is fatal after
/// the feed started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Could not connect (refused, unreachable, name not found).
    Connect,
    /// The peer closed the connection, or the serial device went away.
    Closed,
    /// A read failed.
    Io,
    /// Connected but nothing arrived for the configured silence: reconnecting.
    Silent,
    /// The serial device could not be opened.
    Open,
    /// The server answered with this HTTP status.
    Http { status: u16 },
    /// No answer within the timeout.
    Timeout,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The body could not be read (too big, not text, cut short).
    Body,
    /// The file could not be read.
    File,
    /// The text holds no usable report.
    Report,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedFault {
    pub kind: FaultKind,
    /// The source, as the operator wrote it.
    pub source: String,
    /// The OS's or the server's words.
    pub reason: String,
    /// When the task tries again.
    pub retry_in: Option<Duration>,
}

impl std::fmt::Display for FeedFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?}: {}", self.source, self.kind, self.reason)?;
        if let Some(r) = self.retry_in {
            write!(f, " (retrying in {:.1} s)", r.as_secs_f64())?;
        }
        Ok(())
    }
}

/// One event of a feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent<T> {
    /// A value decoded from the feed.
    Data(T),
    /// The source is open: bound, connected, opened, or answered.
    Up { source: String, detail: String },
    /// The source failed; see `FeedFault::retry_in`.
    Fault(FeedFault),
}

/// Counters of one feed, published on a `watch` after every read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedStats {
    /// Non-empty lines (or documents) read.
    pub lines: u64,
    /// Values produced (readings, traffic messages, reports).
    pub data: u64,
    /// Well-formed input of another kind (other NMEA sentences, other SBS records).
    pub ignored: u64,
    /// Readings the sensor itself marked void (MWV status V).
    pub void: u64,
    /// Bad input by kind (`checksum`, `garbage`, `mwv_field`, `overlong`, `field`, …).
    pub bad: BTreeMap<&'static str, u64>,
    /// Why the last bad line was bad.
    pub last_bad: Option<String>,
    pub last_data_at: Option<DateTime<Utc>>,
    /// Source open now.
    pub up: bool,
    pub faults: u64,
}

impl FeedStats {
    pub fn bad_total(&self) -> u64 {
        self.bad.values().sum()
    }

    pub(crate) fn count_bad(&mut self, kind: &'static str, reason: String) {
        *self.bad.entry(kind).or_default() += 1;
        self.last_bad = Some(reason);
    }
}

/// Errors that stop a feed from starting: bad input, or a port that cannot be bound. They name
/// the thing and the fix; later trouble arrives as `FeedEvent::Fault`.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error(transparent)]
    MetarSource(#[from] MetarSourceError),
    #[error("cannot listen on {address}: {source} (is another program using the port?)")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("{what} needs {needs}; {address} is not that")]
    Unsupported {
        what: &'static str,
        needs: &'static str,
        address: String,
    },
    #[error("METAR file {}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("METAR {source_text:?}: {error}")]
    Metar {
        source_text: String,
        error: MetarDocError,
    },
    #[error("cannot start the HTTP client: {0}")]
    Http(String),
}

/// Aborts the feed's task when dropped.
#[derive(Debug)]
pub struct FeedTask(tokio::task::JoinHandle<()>);

impl FeedTask {
    pub(crate) fn new(h: tokio::task::JoinHandle<()>) -> Self {
        Self(h)
    }
}

impl Drop for FeedTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running feed. Drain `recv` (the task waits when the channel is full); drop it to stop.
#[derive(Debug)]
pub struct Feed<T> {
    pub(crate) events: mpsc::Receiver<FeedEvent<T>>,
    pub(crate) stats: watch::Receiver<FeedStats>,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) task: FeedTask,
}

/// Events waiting in a feed's channel before its task waits for the station.
pub(crate) const EVENT_QUEUE: usize = 256;

impl<T> Feed<T> {
    /// The next event; None once the task has stopped.
    pub async fn recv(&mut self) -> Option<FeedEvent<T>> {
        self.events.recv().await
    }

    /// The counters now.
    pub fn stats(&self) -> FeedStats {
        self.stats.borrow().clone()
    }

    /// A receiver of the counters, for a UI that wants to be told when they change.
    pub fn stats_watch(&self) -> watch::Receiver<FeedStats> {
        self.stats.clone()
    }

    /// The bound address of a UDP feed (useful after binding port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The channel, the counters and the task guard, for a caller that selects on the channel
    /// directly. Dropping the guard stops the task.
    pub fn into_parts(
        self,
    ) -> (
        mpsc::Receiver<FeedEvent<T>>,
        watch::Receiver<FeedStats>,
        FeedTask,
    ) {
        (self.events, self.stats, self.task)
    }
}
