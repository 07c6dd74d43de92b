//! What the video side reports to the station (and from there to the register and the UI).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;

/// A closed, hashed recording segment: the register stores it (L242-2, R242-9 II).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SegmentInfo {
    pub stream: String,
    pub path: PathBuf,
    pub sha256_hex: String,
    pub bytes: u64,
    /// Wall-clock time of the segment's first and last frame written (µs since the Unix epoch).
    pub start_unix_us: u64,
    pub end_unix_us: u64,
    /// E.g. `domicile` (R242-11 II: purged at 48 h).
    pub flags: Vec<String>,
}

/// One CSU viewer's session on the RTSP restream (L242-4: who had access, including live relay).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ViewerSession {
    /// Identifier of this session within the server's lifetime.
    pub id: u64,
    /// Account name (digest auth), or `anonymous` on an open loopback relay.
    pub user: String,
    /// Client address, `IP:PORT`.
    pub peer: String,
    /// Mount path watched, e.g. `/drone1`.
    pub path: String,
    pub start_unix_us: u64,
    /// Set when the session ended.
    pub end_unix_us: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum VideoEvent {
    /// First frames decoded after a start or a retry.
    StreamUp {
        stream: String,
        width: u32,
        height: u32,
    },
    /// No frame for longer than the configured timeout, or the source failed.
    StreamLost {
        stream: String,
        reason: String,
    },
    /// Frames again after a loss.
    StreamRegained {
        stream: String,
    },
    /// The pipeline failed; it is rebuilt after `retry_in_ms`.
    StreamError {
        stream: String,
        message: String,
        retry_in_ms: u64,
    },
    SegmentClosed(SegmentInfo),
    /// Recording stopped (disk space guard, write failure). The stream goes on.
    RecordingAlarm {
        stream: String,
        message: String,
    },
    ViewerStarted(ViewerSession),
    ViewerEnded(ViewerSession),
}

/// Where events go: a callback, so the station can forward into its own (tokio) channel.
#[derive(Clone)]
pub struct Events(Arc<dyn Fn(VideoEvent) + Send + Sync>);

impl Events {
    pub fn new(f: impl Fn(VideoEvent) + Send + Sync + 'static) -> Self {
        Events(Arc::new(f))
    }

    /// Events into a std channel (tools and tests).
    pub fn channel() -> (Events, mpsc::Receiver<VideoEvent>) {
        let (tx, rx) = mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        (
            Events::new(move |e| {
                if let Ok(tx) = tx.lock() {
                    let _ = tx.send(e);
                }
            }),
            rx,
        )
    }

    /// Events only logged.
    pub fn log_only() -> Self {
        Events::new(|e| tracing::info!(?e, "video event"))
    }

    pub fn emit(&self, event: VideoEvent) {
        (self.0)(event)
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Events")
    }
}
