//! Receive one stream: source → depayload/demux → parse → tee → (decode → RGBA → latest-frame slot)
//! and (parsed access units → tap for the restream and the recorder). One actor thread per stream
//! watches the bus, keeps the health figures, reports loss/regain and rebuilds the pipeline with
//! backoff after an error.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;

use crate::error::{Result, VideoError};
use crate::events::{Events, VideoEvent};
use crate::frame::{Frame, FrameSlot};
use crate::stamp::now_unix_us;
use crate::tap::EncodedTap;
use crate::uri::{Codec, SourceUri};

/// Receive profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Profile {
    /// No jitter buffer, slice-threaded decoding, unsynchronised sink: a late frame is dropped, never queued.
    #[default]
    LowLatency,
    /// For bad links: a 200 ms jitter buffer that reorders and smooths, frame-threaded decoding,
    /// frames released on their timestamps.
    Smooth,
}

/// Backoff between rebuilds of a failed pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// Delay before attempt `n` (0-based): doubles from `initial` up to `max`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Stream name: used in element names, events and RTSP mount paths (e.g. `drone1`, `drone1-thermal`).
    pub stream: String,
    pub source: SourceUri,
    pub profile: Profile,
    /// No data for this long → `StreamLost`.
    pub lost_after: Duration,
    /// Decode frames for a display (a relay box may only restream and record).
    pub decode: bool,
    pub backoff: Backoff,
}

impl IngestConfig {
    pub fn new(stream: impl Into<String>, source: SourceUri) -> Self {
        IngestConfig {
            stream: stream.into(),
            source,
            profile: Profile::LowLatency,
            lost_after: Duration::from_millis(1500),
            decode: true,
            backoff: Backoff::default(),
        }
    }
}

/// State of a stream as shown to the pilot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StreamState {
    Connecting,
    Playing,
    Lost {
        reason: String,
    },
    Retrying {
        reason: String,
        attempt: u32,
        retry_in_ms: u64,
    },
    Stopped,
}

/// Health of one stream (refreshed about once a second).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamHealth {
    pub stream: String,
    pub state: StreamState,
    pub width: u32,
    pub height: u32,
    pub fps: f32,
    pub bitrate_bps: u64,
    pub frames_decoded: u64,
    /// Frames dropped: replaced in the slot before the UI took them, or shed by the decoder queue.
    pub frames_dropped: u64,
    pub decode_errors: u64,
    /// Age of the newest received data, None before any.
    pub last_frame_age_ms: Option<u64>,
}

pub(crate) struct Shared {
    pub(crate) stream: String,
    pub(crate) codec: Codec,
    pub(crate) frames: FrameSlot,
    pub(crate) tap: EncodedTap,
    epoch: Instant,
    frames_decoded: AtomicU64,
    /// Decoded buffers that could not be frames (geometry does not fit the buffer).
    bad_frames: AtomicU64,
    queue_drops: AtomicU64,
    bytes: AtomicU64,
    /// µs since `epoch` of the newest access unit, +1 (0 = none yet).
    last_unit_us: AtomicU64,
    size: Mutex<(u32, u32)>,
    health: Mutex<StreamHealth>,
}

impl Shared {
    fn since_epoch_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
    fn last_unit_age(&self) -> Option<Duration> {
        let last = self.last_unit_us.load(Ordering::Relaxed);
        if last == 0 {
            return None;
        }
        Some(Duration::from_micros(
            self.since_epoch_us().saturating_sub(last - 1),
        ))
    }
}

/// A running stream. Dropping it stops the pipeline.
pub struct Ingest {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ingest {
    /// Check the plugins this source needs, then start receiving (in the background; a source that is
    /// unreachable is retried with backoff and reported as stream state and events).
    pub fn start(config: IngestConfig, events: Events) -> Result<Ingest> {
        crate::init()?;
        validate_name(&config.stream)?;
        if let SourceUri::Srt {
            mode: crate::uri::SrtMode::Listener,
            passphrase: None,
            ..
        } = &config.source
        {
            // Anyone reaching the port could push video into the flight's record.
            return Err(VideoError::Refused(format!(
                "{}: an SRT listener needs a passphrase (10 to 79 bytes); set VIGIE_SRT_PASSPHRASE \
                 or give a passphrase file",
                config.source.redacted()
            )));
        }
        crate::plugins::check(&crate::plugins::for_source(&config.source))?;
        let shared = Arc::new(Shared {
            stream: config.stream.clone(),
            codec: config.source.codec(),
            frames: FrameSlot::new(),
            tap: EncodedTap::default(),
            epoch: Instant::now(),
            frames_decoded: AtomicU64::new(0),
            bad_frames: AtomicU64::new(0),
            queue_drops: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            last_unit_us: AtomicU64::new(0),
            size: Mutex::new((0, 0)),
            health: Mutex::new(StreamHealth {
                stream: config.stream.clone(),
                state: StreamState::Connecting,
                width: 0,
                height: 0,
                fps: 0.0,
                bitrate_bps: 0,
                frames_decoded: 0,
                frames_dropped: 0,
                decode_errors: 0,
                last_frame_age_ms: None,
            }),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::Builder::new()
                .name(format!("video-{}", config.stream))
                .spawn(move || Actor::new(shared, config, events, stop).run())
                .map_err(|e| VideoError::pipeline("ingest", e))?
        };
        Ok(Ingest {
            shared,
            stop,
            thread: Some(thread),
        })
    }

    pub fn stream(&self) -> &str {
        &self.shared.stream
    }
    pub fn codec(&self) -> Codec {
        self.shared.codec
    }
    /// The latest-frame slot the UI reads.
    pub fn frames(&self) -> FrameSlot {
        self.shared.frames.clone()
    }
    pub fn health(&self) -> StreamHealth {
        self.shared
            .health
            .lock()
            .map(|h| h.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }
    /// A still PNG of the newest frame with its time and `text` (e.g. the position); None before any frame.
    pub fn snapshot(&self, text: &[(&str, &str)]) -> Result<Option<crate::snapshot::Snapshot>> {
        match self.shared.frames.latest() {
            Some(frame) => crate::snapshot::snapshot(&frame, text).map(Some),
            None => Ok(None),
        }
    }
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
    /// Stop and wait for the pipeline to be torn down.
    pub fn stop(mut self) {
        self.shutdown();
    }
    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub(crate) fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(VideoError::BadUri {
            uri: name.to_owned(),
            reason: "a stream name must be 1-64 characters of letters, digits, '-' or '_'".into(),
        })
    }
}

enum Outcome {
    Stopped,
    Failed(String),
}

struct Actor {
    shared: Arc<Shared>,
    config: IngestConfig,
    events: Events,
    stop: Arc<AtomicBool>,
    ever_up: bool,
    lost: bool,
}

impl Actor {
    fn new(
        shared: Arc<Shared>,
        config: IngestConfig,
        events: Events,
        stop: Arc<AtomicBool>,
    ) -> Self {
        Actor {
            shared,
            config,
            events,
            stop,
            ever_up: false,
            lost: false,
        }
    }

    fn set_state(&self, state: StreamState) {
        if let Ok(mut h) = self.shared.health.lock() {
            h.state = state;
        }
    }

    fn run(mut self) {
        let mut attempt: u32 = 0;
        while !self.stop.load(Ordering::Relaxed) {
            let outcome = match self.build() {
                Ok(pipeline) => {
                    let outcome = self.watch(&pipeline, &mut attempt);
                    let _ = pipeline.set_state(gst::State::Null);
                    outcome
                }
                Err(e) => Outcome::Failed(e.to_string()),
            };
            let Outcome::Failed(reason) = outcome else {
                break;
            };
            let delay = self.config.backoff.delay(attempt);
            attempt = attempt.saturating_add(1);
            tracing::warn!(stream = %self.shared.stream, %reason, retry_in_ms = delay.as_millis() as u64, "video stream failed");
            self.set_state(StreamState::Retrying {
                reason: reason.clone(),
                attempt,
                retry_in_ms: delay.as_millis() as u64,
            });
            if self.ever_up && !self.lost {
                self.lost = true;
                self.events.emit(VideoEvent::StreamLost {
                    stream: self.shared.stream.clone(),
                    reason: reason.clone(),
                });
            }
            self.events.emit(VideoEvent::StreamError {
                stream: self.shared.stream.clone(),
                message: reason,
                retry_in_ms: delay.as_millis() as u64,
            });
            let until = Instant::now() + delay;
            while Instant::now() < until && !self.stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.set_state(StreamState::Stopped);
    }

    fn build(&self) -> Result<gst::Pipeline> {
        let name = &self.shared.stream;
        tracing::debug!(stream = %name, source = %self.config.source.redacted(), "building receive pipeline");
        let receiver = crate::receive::build(
            name,
            &self.config.source,
            self.config.profile,
            self.config.decode,
        )?;
        let pipeline = receiver.pipeline.clone();
        pipeline.set_property("name", format!("{name}-receive"));
        if let Some((demux, target)) = receiver.dynamic.clone() {
            let is_rtsp = demux.factory().is_some_and(|f| f.name() == "rtspsrc");
            if is_rtsp {
                // Never even SETUP an audio stream (CSI L242-4: no sound).
                demux.connect("select-stream", false, |args| {
                    let caps = args.get(2).and_then(|v| v.get::<gst::Caps>().ok());
                    let video = caps
                        .as_ref()
                        .and_then(|c| c.structure(0))
                        .and_then(|s| s.get::<&str>("media").ok())
                        .is_some_and(|m| m == "video");
                    Some(video.to_value())
                });
            }
            let weak_pipeline = pipeline.downgrade();
            let stream = name.clone();
            demux.connect_pad_added(move |_, pad| {
                let caps = pad.current_caps().or_else(|| Some(pad.query_caps(None)));
                let s = caps.as_ref().and_then(|c| c.structure(0).map(|s| s.to_owned()));
                let is_video = s.as_ref().is_some_and(|s| {
                    s.name().starts_with("video/") || s.get::<&str>("media").is_ok_and(|m| m == "video")
                });
                if is_video {
                    if let Some(sink) = target.static_pad("sink")
                        && !sink.is_linked()
                        && let Err(e) = pad.link(&sink)
                    {
                        tracing::warn!(stream = %stream, error = ?e, "could not link the video pad");
                    }
                    return;
                }
                // Audio and data pads end in a fakesink: nothing of them goes further (CSI L242-4).
                tracing::info!(stream = %stream, pad = %pad.name(), "dropping a non-video pad at ingest");
                let Some(pipeline) = weak_pipeline.upgrade() else { return };
                let Ok(sink) = crate::elements::make(
                    "fakesink",
                    &format!("{stream}-drop-{}", pad.name()),
                    &[
                        ("sync", crate::elements::P::Bool(false)),
                        ("async", crate::elements::P::Bool(false)),
                    ],
                ) else {
                    return;
                };
                if pipeline.add(&sink).is_ok() {
                    let _ = sink.sync_state_with_parent();
                    if let Some(sp) = sink.static_pad("sink") {
                        let _ = pad.link(&sp);
                    }
                }
            });
        }
        if let SourceUri::Srt {
            mode: crate::uri::SrtMode::Listener,
            ..
        } = &self.config.source
            && let Some(src) = pipeline.by_name(&format!("{name}-src"))
        {
            watch_srt_callers(&src, name, &self.events);
        }
        // Parsed access units → tap (restream, recorder) and liveness/bitrate.
        let encoded = receiver.encoded.clone();
        let shared = self.shared.clone();
        encoded.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(b) = sample.buffer() {
                        shared.bytes.fetch_add(b.size() as u64, Ordering::Relaxed);
                    }
                    // The parser's caps give the picture size even when nothing is decoded (relay).
                    if let Some(s) = sample.caps().and_then(|c| c.structure(0))
                        && let (Ok(w), Ok(h)) = (s.get::<i32>("width"), s.get::<i32>("height"))
                        && let Ok(mut size) = shared.size.lock()
                        && size.0 == 0
                    {
                        *size = (w.max(0) as u32, h.max(0) as u32);
                    }
                    shared
                        .last_unit_us
                        .store(shared.since_epoch_us() + 1, Ordering::Relaxed);
                    shared.tap.publish(&sample);
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        if let Some(q) = &receiver.decoder_queue {
            let shared = self.shared.clone();
            q.connect("overrun", false, move |_| {
                shared.queue_drops.fetch_add(1, Ordering::Relaxed);
                None
            });
            // The decoder starts on a keyframe: before it, it could only paint grey guesses.
            if let Some(pad) = q.static_pad("sink") {
                let started = AtomicBool::new(false);
                pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                    if started.load(Ordering::Relaxed) {
                        return gst::PadProbeReturn::Ok;
                    }
                    if info
                        .buffer()
                        .is_some_and(|b| b.flags().contains(gst::BufferFlags::DELTA_UNIT))
                    {
                        // Handled, the buffer released here: with Drop, GStreamer 1.22 unrefs
                        // the data the bindings already released (a CRITICAL per buffer, seen
                        // on every viewer joining a shared stream mid-GOP; fixed in 1.24.8).
                        info.data = None;
                        return gst::PadProbeReturn::Handled;
                    }
                    started.store(true, Ordering::Relaxed);
                    gst::PadProbeReturn::Ok
                });
            }
        }
        if let Some(frames) = &receiver.frames {
            let shared = self.shared.clone();
            frames.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |sink| {
                        let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        let layout = sample.caps().and_then(frame_layout);
                        let Some(buffer) = sample.buffer_owned() else {
                            return Ok(gst::FlowSuccess::Ok);
                        };
                        // The buffer's own video meta wins over the caps: a decoder may pad rows.
                        let layout = buffer
                            .meta::<gst_video::VideoMeta>()
                            .and_then(|m| {
                                let stride = usize::try_from(*m.stride().first()?).ok()?;
                                Some(crate::frame::Layout {
                                    width: m.width(),
                                    height: m.height(),
                                    stride_bytes: stride,
                                    offset: *m.offset().first()?,
                                })
                            })
                            .or(layout);
                        let Some(layout) = layout else {
                            shared.bad_frames.fetch_add(1, Ordering::Relaxed);
                            return Ok(gst::FlowSuccess::Ok);
                        };
                        let pts_ns = buffer.pts().map(|t| t.nseconds());
                        let Ok(map) = buffer.into_mapped_buffer_readable() else {
                            return Err(gst::FlowError::Error);
                        };
                        let seq = shared.frames_decoded.load(Ordering::Relaxed) + 1;
                        let frame = match Frame::new(map, layout, pts_ns, now_unix_us(), seq) {
                            Ok(f) => f,
                            Err(reason) => {
                                // Counted and skipped: a bad buffer never reaches the UI.
                                if shared.bad_frames.fetch_add(1, Ordering::Relaxed) == 0 {
                                    tracing::warn!(stream = %shared.stream, ?reason, "decoded buffer refused");
                                }
                                return Ok(gst::FlowSuccess::Ok);
                            }
                        };
                        shared.frames_decoded.store(seq, Ordering::Relaxed);
                        if let Ok(mut size) = shared.size.lock() {
                            *size = (frame.width, frame.height);
                        }
                        shared.frames.put(frame);
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .build(),
            );
        }
        Ok(pipeline)
    }

    fn watch(&mut self, pipeline: &gst::Pipeline, attempt: &mut u32) -> Outcome {
        let name = self.shared.stream.clone();
        if let Err(e) = pipeline.set_state(gst::State::Playing) {
            // The bus holds the reason (port in use, unknown host …).
            let reason = pipeline
                .bus()
                .and_then(|b| b.pop_filtered(&[gst::MessageType::Error]))
                .and_then(|m| match m.view() {
                    gst::MessageView::Error(err) => Some(err.error().to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| e.to_string());
            return Outcome::Failed(reason);
        }
        let Some(bus) = pipeline.bus() else {
            return Outcome::Failed("pipeline without a bus".into());
        };
        let started = Instant::now();
        let mut up_this_run = false;
        let mut decode_errors = 0u64;
        let mut last_tick = (Instant::now(), 0u64, 0u64);
        self.set_state(StreamState::Connecting);
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Outcome::Stopped;
            }
            if let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) {
                match msg.view() {
                    gst::MessageView::Error(err) => {
                        let from = msg.src().map(|s| s.name().to_string()).unwrap_or_default();
                        if from.ends_with("-dec") {
                            decode_errors += 1;
                        } else {
                            return Outcome::Failed(format!("{from}: {}", err.error()));
                        }
                    }
                    gst::MessageView::Warning(w) => {
                        let from = msg.src().map(|s| s.name().to_string()).unwrap_or_default();
                        if from.ends_with("-dec") {
                            decode_errors += 1;
                        }
                        tracing::debug!(stream = %name, %from, warning = %w.error(), "pipeline warning");
                    }
                    gst::MessageView::Eos(_) => {
                        return Outcome::Failed("the source ended the stream".into());
                    }
                    _ => {}
                }
            }
            // Liveness: data flowing into the tee.
            let age = self.shared.last_unit_age();
            let fresh = age.is_some_and(|a| a < self.config.lost_after);
            let (w, h) = self.shared.size.lock().map(|s| *s).unwrap_or((0, 0));
            let have_picture = !self.config.decode || w > 0;
            if fresh && have_picture && !up_this_run {
                up_this_run = true;
                *attempt = 0;
                if !self.ever_up {
                    self.ever_up = true;
                    self.events.emit(VideoEvent::StreamUp {
                        stream: name.clone(),
                        width: w,
                        height: h,
                    });
                }
            }
            if fresh && up_this_run {
                self.set_state(StreamState::Playing);
                if self.lost {
                    self.lost = false;
                    self.events.emit(VideoEvent::StreamRegained {
                        stream: name.clone(),
                    });
                }
            } else if up_this_run && !fresh && !self.lost {
                let reason = format!(
                    "no video for {} ms",
                    age.map(|a| a.as_millis()).unwrap_or(0)
                );
                self.lost = true;
                // State first: whoever reacts to the event reads a consistent health.
                self.set_state(StreamState::Lost {
                    reason: reason.clone(),
                });
                self.events.emit(VideoEvent::StreamLost {
                    stream: name.clone(),
                    reason,
                });
            } else if !up_this_run
                && started.elapsed() > self.config.lost_after * 4
                && matches!(
                    self.config.source,
                    SourceUri::Rtsp { .. } | SourceUri::Srt { .. }
                )
            {
                // A connected RTSP/SRT source that sends nothing is rebuilt (the camera may need a new session).
                return Outcome::Failed(format!(
                    "connected but no video after {} ms",
                    started.elapsed().as_millis()
                ));
            }
            // Health figures, about once a second.
            let now = Instant::now();
            let dt = now.duration_since(last_tick.0);
            if dt >= Duration::from_secs(1) {
                let frames = self.shared.frames_decoded.load(Ordering::Relaxed);
                let bytes = self.shared.bytes.load(Ordering::Relaxed);
                let secs = dt.as_secs_f64();
                if let Ok(mut hl) = self.shared.health.lock() {
                    hl.width = w;
                    hl.height = h;
                    hl.fps = ((frames - last_tick.1) as f64 / secs) as f32;
                    hl.bitrate_bps = ((bytes - last_tick.2) as f64 * 8.0 / secs) as u64;
                    hl.frames_decoded = frames;
                    hl.frames_dropped = self.shared.frames.overwritten()
                        + self.shared.queue_drops.load(Ordering::Relaxed)
                        + self.shared.bad_frames.load(Ordering::Relaxed);
                    hl.decode_errors = decode_errors;
                    hl.last_frame_age_ms = age.map(|a| a.as_millis() as u64);
                }
                last_tick = (now, frames, bytes);
            }
        }
    }
}

/// Rows of a decoded RGBA picture as its caps describe them.
fn frame_layout(caps: &gst::CapsRef) -> Option<crate::frame::Layout> {
    let info = gst_video::VideoInfo::from_caps(caps).ok()?;
    Some(crate::frame::Layout {
        width: info.width(),
        height: info.height(),
        stride_bytes: usize::try_from(*info.stride().first()?).ok()?,
        offset: *info.offset().first()?,
    })
}

/// An SRT listener reports who connects as [`VideoEvent::SourceCaller`]: the address, and the
/// stream id where GStreamer gives it (`caller-connecting`, which GStreamer 1.22.0's srtsrc never
/// emits: it registers its listen callback after `srt_listen`). A caller with a wrong passphrase
/// is reported too: it reaches the listener, and gets no video through.
fn watch_srt_callers(src: &gst::Element, stream: &str, events: &Events) {
    use gstreamer_rtsp_server::gio;
    use gstreamer_rtsp_server::gio::prelude::*;
    use std::collections::HashMap;
    fn peer_of(v: Option<&gst::glib::Value>) -> String {
        v.and_then(|v| v.get::<gio::SocketAddress>().ok())
            .and_then(|a| a.downcast::<gio::InetSocketAddress>().ok())
            .map(|a| {
                std::net::SocketAddr::new(
                    a.address()
                        .to_string()
                        .parse()
                        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
                    a.port(),
                )
                .to_string()
            })
            .unwrap_or_else(|| "unknown".into())
    }
    // The caller's own text: printable ASCII only, bounded.
    fn clean(id: Option<String>) -> Option<String> {
        id.map(|s| {
            s.chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .take(512)
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
    }
    let ids: Arc<Mutex<HashMap<String, Option<String>>>> = Arc::default();
    if crate::elements::has_signal(src, "caller-connecting") {
        let ids = ids.clone();
        src.connect("caller-connecting", false, move |args| {
            let peer = peer_of(args.get(1));
            let id = clean(
                args.get(2)
                    .and_then(|v| v.get::<Option<String>>().ok())
                    .flatten(),
            );
            if let Ok(mut m) = ids.lock() {
                m.insert(peer, id);
            }
            Some(true.to_value())
        });
    }
    for (signal, connected) in [("caller-added", true), ("caller-removed", false)] {
        if !crate::elements::has_signal(src, signal) {
            continue;
        }
        let (ids, events, stream) = (ids.clone(), events.clone(), stream.to_owned());
        src.connect(signal, false, move |args| {
            let peer = peer_of(args.get(2));
            let stream_id = ids
                .lock()
                .ok()
                .and_then(|m| m.get(&peer).cloned())
                .flatten();
            tracing::info!(%stream, %peer, ?stream_id, connected, "SRT caller");
            events.emit(VideoEvent::SourceCaller {
                stream: stream.clone(),
                peer,
                stream_id,
                connected,
            });
            None
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(10),
        };
        let got: Vec<u64> = (0..8).map(|n| b.delay(n).as_millis() as u64).collect();
        assert_eq!(got, [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn stream_names_are_checked() {
        validate_name("drone1-thermal").unwrap();
        assert!(validate_name("a b").is_err());
        assert!(validate_name("").is_err());
    }
}
