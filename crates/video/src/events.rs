//! What the video side reports to the station (and from there to the register and the UI).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;

/// A closed, hashed recording segment: the register stores it (L242-2, R242-9 II).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SegmentInfo {
    pub stream: String,
    /// The recording session (the flight id) the recorder was tagged with when it opened.
    pub session: Option<String>,
    /// Index of the segment in its session (its file name), increasing.
    pub index: u32,
    pub path: PathBuf,
    pub sha256_hex: String,
    pub bytes: u64,
    /// Wall-clock time of the segment's first and last frame written (µs since the Unix epoch).
    pub start_unix_us: u64,
    pub end_unix_us: u64,
    /// E.g. `domicile` (R242-11 II: purged at 48 h); `unfinalised` after a crash.
    pub flags: Vec<String>,
    /// Why it was closed.
    pub closed_by: SegmentEnd,
}

/// Why a segment was closed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SegmentEnd {
    /// It reached the configured length (cut at the next keyframe).
    Length,
    /// [`crate::Recorder::cut`].
    Cut,
    /// [`crate::Recorder::set_session`]: the next segment belongs to another session.
    SessionChanged,
    /// No video for the recorder's gap: recording resumes in a new segment when video returns.
    StreamLost,
    /// The sender restarted with other parameters (new SPS/PPS, size).
    CapsChanged,
    /// The recorder was stopped.
    Stopped,
    /// The disk-space guard stopped recording.
    DiskSpace,
    /// The recording pipeline failed.
    Failed,
    /// Left by a crash and recovered at the next start (flag `unfinalised`: no index, no duration).
    Recovered,
}

/// One viewer's session on the RTSP restream (L242-4: who had access, including live relay).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ViewerSession {
    /// Identifier of this session within the server's lifetime.
    pub id: u64,
    /// Unique across restarts of the server (`v-SERVERSTART-PID-ID`): the register's session id.
    pub session_id: String,
    /// Account name (digest auth), or `anonymous` on an open loopback relay.
    pub user: String,
    /// Client address, `IP:PORT`.
    pub peer: String,
    /// Mount path watched, e.g. `/drone1`.
    pub path: String,
    /// The stream watched (the mount path without its `/`), e.g. `drone1`.
    pub stream: String,
    /// `rtsp` or `rtsps` (TLS).
    pub scheme: String,
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
    /// A segment was opened (written as `PATH.part` until it is closed).
    SegmentOpened {
        stream: String,
        session: Option<String>,
        index: u32,
        path: PathBuf,
        start_unix_us: u64,
    },
    SegmentClosed(SegmentInfo),
    /// A file left by a crash held no video and was removed.
    SegmentDiscarded {
        stream: String,
        path: PathBuf,
        bytes: u64,
        reason: String,
    },
    /// Recording stopped (disk space guard, write failure). The stream goes on.
    RecordingAlarm {
        stream: String,
        message: String,
    },
    ViewerStarted(ViewerSession),
    ViewerEnded(ViewerSession),
    /// A viewer authenticated but was refused: the admission (the journal) said no.
    ViewerRefused {
        session: ViewerSession,
        reason: String,
    },
    /// A forward (RTP, SRT) runs: for an SRT caller, the uplink to the relay is up.
    ForwardUp {
        stream: String,
        target: String,
    },
    /// A forward failed; it is rebuilt after `retry_in_ms`. The stream goes on.
    ForwardFailed {
        stream: String,
        target: String,
        message: String,
        retry_in_ms: u64,
    },
    /// An SRT caller connected to a listening source (the relay's uplink input).
    SourceCaller {
        stream: String,
        peer: String,
        stream_id: Option<String>,
        connected: bool,
    },
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
