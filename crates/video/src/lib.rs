//! `vigie_video`: every GStreamer pipeline of Vigie.
//!
//! - [`Ingest`]: receive RTP/UDP, RTSP, MPEG-TS/UDP or SRT (H.264/H.265), decode to RGBA frames in a
//!   latest-frame [`FrameSlot`], keep [`StreamHealth`], report loss/regain as [`VideoEvent`]s, retry
//!   with backoff. Audio is dropped at ingest (CSI L242-4).
//! - [`RtspRestream`]: RTSP, re-payloaded without re-encoding, a leaky media per viewer, digest
//!   authentication from an htdigest file ([`users`]), every viewer session reported.
//! - [`Recorder`]: keyframe-aligned Matroska segments that survive a crash, each hashed (SHA-256) and
//!   reported, with flags and a disk-space guard.
//! - [`Forward`]: optional plain RTP/UDP forward, SRT listener and SRT uplink to a relay, also
//!   without re-encoding; MPEG-TS cut into SRT messages at each frame's end (`ts_chunk`).
//! - [`snapshot::snapshot`]: a still PNG of a frame with its time and the caller's metadata.
//! - [`stamp`]: the latency stamp shared with the simulator.
//!
//! Only this crate names `gstreamer`; it hands out plain frames, handles and events.

mod elements;
mod error;
mod events;
mod forward;
mod frame;
mod ingest;
pub mod plugins;
mod receive;
pub mod record;
mod restream;
pub mod secret;
pub mod snapshot;
pub mod stamp;
mod tap;
pub mod testsrc;
mod ts_chunk;
pub mod uri;
pub mod users;

pub use error::{Result, VideoError};
pub use events::{Events, SegmentEnd, SegmentInfo, VideoEvent, ViewerSession};
pub use forward::{Forward, ForwardTarget, SrtCaller};
pub use frame::{Frame, FrameRejected, FrameSlot};
pub use ingest::{Backoff, Ingest, IngestConfig, Profile, StreamHealth, StreamState};
pub use record::{RecordConfig, Recorder};
pub use restream::{Admission, RestreamConfig, RtspRestream};
pub use secret::{Credentials, Secret, SrtPassphrase};
pub use uri::{Codec, SourceUri};

/// Initialise GStreamer once (idempotent).
pub fn init() -> Result<()> {
    gstreamer::init().map_err(|e| VideoError::Init(e.to_string()))
}
