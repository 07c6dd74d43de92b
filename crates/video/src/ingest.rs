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

use crate::error::{Result, VideoError};
use crate::events::{Events, VideoEvent};
use crate::frame::{Frame, FrameSlot};
use crate::stamp::now_unix_us;
use crate::tap::EncodedTap;
use crate::uri::{Codec, RtspTransport, SourceUri, SrtMode};

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
        crate::plugins::check(&crate::plugins::for_source(&config.source))?;
        let shared = Arc::new(Shared {
            stream: config.stream.clone(),
            codec: config.source.codec(),
            frames: FrameSlot::new(),
            tap: EncodedTap::default(),
            epoch: Instant::now(),
            frames_decoded: AtomicU64::new(0),
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

/// The receive pipeline's description (gst-launch syntax) and the element with dynamic pads, if any.
pub(crate) fn describe(
    name: &str,
    source: &SourceUri,
    profile: Profile,
    decode: bool,
) -> (String, Option<String>) {
    let codec = source.codec();
    let low = profile == Profile::LowLatency;
    let jitter = if low {
        String::new()
    } else {
        format!("rtpjitterbuffer name={name}-jitter latency=200 drop-on-latency=true ! ")
    };
    let depay_parse = format!(
        "{depay} name={name}-depay ! {parse} name={name}-parse config-interval=-1 ! {caps} ! tee name={name}-tee allow-not-linked=true",
        depay = codec.depay(),
        parse = codec.parse(),
        caps = codec.es_caps()
    );
    let parse_only = format!(
        "{parse} name={name}-parse config-interval=-1 ! {caps} ! tee name={name}-tee allow-not-linked=true",
        parse = codec.parse(),
        caps = codec.es_caps()
    );
    let ts_latency = if low { 0 } else { 200 };
    let (head, dynamic) = match source {
        SourceUri::RtpUdp {
            listen_host, port, ..
        } => (
            format!(
                "udpsrc name={name}-src address={listen_host} port={port} buffer-size=4194304 \
                 caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name={enc}\" ! {jitter}{depay_parse}",
                enc = codec.rtp_encoding()
            ),
            None,
        ),
        SourceUri::MpegTsUdp {
            listen_host, port, ..
        } => (
            format!(
                "udpsrc name={name}-src address={listen_host} port={port} buffer-size=4194304 \
                 caps=\"video/mpegts,systemstream=(boolean)true,packetsize=(int)188\" ! \
                 tsdemux name={name}-demux latency={ts_latency}  {parse_only}"
            ),
            Some(format!("{name}-demux")),
        ),
        SourceUri::Rtsp { url, transport, .. } => {
            let protocols = match transport {
                RtspTransport::Any => "udp+tcp",
                RtspTransport::Tcp => "tcp",
                RtspTransport::Udp => "udp",
            };
            // rtspsrc's default 2000 ms jitter buffer is the trap: 0 for low latency.
            let latency = if low { 0 } else { 200 };
            (
                format!(
                    "rtspsrc name={name}-demux location=\"{url}\" latency={latency} drop-on-latency=true \
                     protocols={protocols} tcp-timeout=5000000 timeout=5000000  {depay_parse}"
                ),
                Some(format!("{name}-demux")),
            )
        }
        SourceUri::Srt {
            host, port, mode, ..
        } => {
            let (mode, host) = match mode {
                SrtMode::Caller => ("caller", host.as_str()),
                SrtMode::Listener => ("listener", host.as_str()),
            };
            let latency = if low { 20 } else { 200 };
            (
                format!(
                    "srtsrc name={name}-src uri=\"srt://{host}:{port}?mode={mode}\" latency={latency} ! \
                     tsdemux name={name}-demux latency={ts_latency}  {parse_only}"
                ),
                Some(format!("{name}-demux")),
            )
        }
    };
    let mut desc = head;
    desc.push_str(&format!(
        "  {name}-tee. ! appsink name={name}-encoded sync=false async=false emit-signals=false"
    ));
    if decode {
        let (dec_opts, sync) = if low {
            (
                "thread-type=slice max-threads=2 output-corrupt=false",
                "false",
            )
        } else {
            ("output-corrupt=false", "true")
        };
        desc.push_str(&format!(
            "  {name}-tee. ! queue name={name}-decq max-size-buffers=0 max-size-bytes=0 max-size-time=500000000 leaky=downstream \
             ! {dec} name={name}-dec {dec_opts} ! videoconvert name={name}-conv n-threads=2 ! video/x-raw,format=RGBA \
             ! appsink name={name}-frames sync={sync} async=false max-buffers=1 drop=true emit-signals=false",
            dec = codec.decoder()
        ));
    }
    (desc, dynamic)
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
        let (desc, dynamic) = describe(
            name,
            &self.config.source,
            self.config.profile,
            self.config.decode,
        );
        tracing::debug!(stream = %name, pipeline = %desc, "building receive pipeline");
        let pipeline = gst::parse::launch(&desc)
            .map_err(|e| VideoError::pipeline(name, e))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| VideoError::pipeline(name, "not a pipeline"))?;
        pipeline.set_property("name", format!("{name}-receive"));
        let by_name = |n: &str| pipeline.by_name(&format!("{name}-{n}"));
        if let Some(demux) = dynamic.and_then(|d| pipeline.by_name(&d)) {
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
            let target = if is_rtsp {
                by_name("depay")
            } else {
                by_name("parse")
            };
            let target =
                target.ok_or_else(|| VideoError::pipeline(name, "missing depayloader/parser"))?;
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
                let Ok(sink) = gst::ElementFactory::make("fakesink")
                    .property("sync", false)
                    .property("async", false)
                    .build()
                else {
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
        // Parsed access units → tap (restream, recorder) and liveness/bitrate.
        let encoded = by_name("encoded")
            .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
            .ok_or_else(|| VideoError::pipeline(name, "missing encoded appsink"))?;
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
        if let Some(q) = by_name("decq") {
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
                    match info.buffer() {
                        Some(b) if b.flags().contains(gst::BufferFlags::DELTA_UNIT) => {
                            gst::PadProbeReturn::Drop
                        }
                        _ => {
                            started.store(true, Ordering::Relaxed);
                            gst::PadProbeReturn::Ok
                        }
                    }
                });
            }
        }
        if let Some(frames) = by_name("frames").and_then(|e| e.downcast::<gst_app::AppSink>().ok())
        {
            let shared = self.shared.clone();
            frames.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |sink| {
                        let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        let (w, h) = sample
                            .caps()
                            .and_then(|c| c.structure(0))
                            .map(|s| {
                                (
                                    s.get::<i32>("width").unwrap_or(0),
                                    s.get::<i32>("height").unwrap_or(0),
                                )
                            })
                            .unwrap_or((0, 0));
                        let Some(buffer) = sample.buffer_owned() else {
                            return Ok(gst::FlowSuccess::Ok);
                        };
                        let pts_ns = buffer.pts().map(|t| t.nseconds());
                        let Ok(map) = buffer.into_mapped_buffer_readable() else {
                            return Err(gst::FlowError::Error);
                        };
                        let (width, height) = (w.max(0) as u32, h.max(0) as u32);
                        if map.len() < width as usize * height as usize * 4 {
                            return Ok(gst::FlowSuccess::Ok);
                        }
                        let seq = shared.frames_decoded.fetch_add(1, Ordering::Relaxed) + 1;
                        if let Ok(mut size) = shared.size.lock() {
                            *size = (width, height);
                        }
                        shared.frames.put(Frame {
                            width,
                            height,
                            pts_ns,
                            received_unix_us: now_unix_us(),
                            seq,
                            map,
                        });
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
                        + self.shared.queue_drops.load(Ordering::Relaxed);
                    hl.decode_errors = decode_errors;
                    hl.last_frame_age_ms = age.map(|a| a.as_millis() as u64);
                }
                last_tick = (now, frames, bytes);
            }
        }
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
    fn low_latency_has_no_jitter_buffer_and_drops_late_frames() {
        let src = SourceUri::parse("udp://127.0.0.1:5600").unwrap();
        let (low, _) = describe("d1", &src, Profile::LowLatency, true);
        assert!(!low.contains("rtpjitterbuffer"), "{low}");
        assert!(low.contains("thread-type=slice"), "{low}");
        assert!(
            low.contains("sync=false async=false max-buffers=1 drop=true"),
            "{low}"
        );
        let (smooth, _) = describe("d1", &src, Profile::Smooth, true);
        assert!(
            smooth.contains("rtpjitterbuffer name=d1-jitter latency=200"),
            "{smooth}"
        );
        let rtsp = SourceUri::parse("rtsp://h:8554/x").unwrap();
        let (r, dynamic) = describe("d1", &rtsp, Profile::LowLatency, false);
        assert!(r.contains("latency=0"), "{r}");
        assert_eq!(dynamic.as_deref(), Some("d1-demux"));
        assert!(!r.contains("avdec"), "{r}");
    }

    #[test]
    fn every_description_parses_as_a_pipeline() {
        crate::init().unwrap();
        for uri in [
            "udp://127.0.0.1:0",
            "mpegts://127.0.0.1:0?codec=h265",
            "rtsp://127.0.0.1:1/x",
            "srt://127.0.0.1:1",
        ] {
            let src = SourceUri::parse(uri).unwrap_or_else(|_| SourceUri::RtpUdp {
                listen_host: "127.0.0.1".into(),
                port: 1,
                codec: Codec::H264,
            });
            for profile in [Profile::LowLatency, Profile::Smooth] {
                let (d, _) = describe("t", &src, profile, true);
                gst::parse::launch(&d).unwrap_or_else(|e| panic!("{uri}: {e}: {d}"));
            }
        }
    }

    #[test]
    fn stream_names_are_checked() {
        validate_name("drone1-thermal").unwrap();
        assert!(validate_name("a b").is_err());
        assert!(validate_name("").is_err());
    }
}
