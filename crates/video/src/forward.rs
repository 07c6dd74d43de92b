//! Outputs besides RTSP, fed from the same tap without re-encoding:
//! - a plain RTP/UDP forward (a CSU decoder on a trusted network, another station);
//! - an SRT listener serving MPEG-TS to callers that know the passphrase;
//! - an SRT caller pushing MPEG-TS up to the CSU's relay (`vigie video relay`): the field
//!   station's one stream over a thin uplink.
//!
//! Every SRT connection is encrypted (AES-256): the passphrase is part of the target's type. A
//! forward that fails (relay unreachable, connection dropped, passphrase refused) is rebuilt with
//! backoff and reported; it never touches the stream, the display or the recording.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::elements::{P, add, capsfilter, link, make};
use crate::error::{Result, VideoError};
use crate::events::{Events, VideoEvent};
use crate::ingest::{Backoff, Ingest};
use crate::secret::SrtPassphrase;
use crate::tap::AppSrcFeeder;
use crate::uri::{Codec, SrtMode};

/// Where a forward goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardTarget {
    /// RTP over UDP to this address (payload type 96). In clear: for trusted networks only.
    RtpUdp(SocketAddr),
    /// An SRT listener on this local address; callers with the passphrase receive MPEG-TS.
    SrtListener {
        addr: SocketAddr,
        passphrase: SrtPassphrase,
    },
    /// Push MPEG-TS to an SRT listener (the CSU's relay).
    SrtCaller(SrtCaller),
}

/// The field station's uplink to a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtCaller {
    /// The relay's address or host name.
    pub host: String,
    pub port: u16,
    pub passphrase: SrtPassphrase,
    /// SRT latency (receiver buffer for retransmissions): a few round trips of the uplink. 4G:
    /// 200–500 ms; a LAN: 20 ms.
    pub latency_ms: u32,
    /// SRT stream id the relay sees, e.g. [`SrtCaller::stream_id_for`].
    pub stream_id: Option<String>,
}

impl SrtCaller {
    pub fn new(host: impl Into<String>, port: u16, passphrase: SrtPassphrase) -> SrtCaller {
        SrtCaller {
            host: host.into(),
            port,
            passphrase,
            latency_ms: 200,
            stream_id: None,
        }
    }

    /// The SRT access-control stream id (`#!::r=STREAM,u=STATION[,s=FLIGHT]`) naming the stream,
    /// the station that sends it and the flight in progress (the relay tags its viewer sessions
    /// with it); None when one does not fit (letters, digits, `-`, `_`, `.`).
    pub fn stream_id_for(stream: &str, station: &str, flight: Option<&str>) -> Option<String> {
        let ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        if !(ok(stream) && ok(station) && flight.is_none_or(ok)) {
            return None;
        }
        Some(match flight {
            Some(f) => format!("#!::r={stream},u={station},s={f}"),
            None => format!("#!::r={stream},u={station}"),
        })
    }
}

impl ForwardTarget {
    /// Where it goes, for events and logs (no secret).
    pub fn describe(&self) -> String {
        match self {
            ForwardTarget::RtpUdp(a) => format!("rtp://{a}"),
            ForwardTarget::SrtListener { addr, .. } => format!("srt://{addr}?mode=listener"),
            ForwardTarget::SrtCaller(c) => format!("srt://{}:{}", c.host, c.port),
        }
    }
}

/// A running forward. Dropping it stops it.
pub struct Forward {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Forward {
    pub fn start(target: ForwardTarget, ingest: &Ingest, events: Events) -> Result<Forward> {
        Self::start_with_backoff(target, ingest, events, Backoff::default())
    }

    pub fn start_with_backoff(
        target: ForwardTarget,
        ingest: &Ingest,
        events: Events,
        backoff: Backoff,
    ) -> Result<Forward> {
        let codec = ingest.codec();
        let needs: Vec<&'static str> = match &target {
            ForwardTarget::RtpUdp(_) => vec!["appsrc", codec.parse(), codec.pay(), "udpsink"],
            ForwardTarget::SrtListener { .. } | ForwardTarget::SrtCaller(_) => {
                vec!["appsrc", codec.parse(), "mpegtsmux", "srtsink"]
            }
        };
        crate::plugins::check(&needs)?;
        if let ForwardTarget::SrtCaller(c) = &target {
            crate::uri::check_host(&c.host, false).map_err(|reason| VideoError::BadUri {
                uri: target.describe(),
                reason,
            })?;
        }
        let stream = ingest.stream().to_owned();
        // Built once here so a bad target is an error to the caller, not a retry loop.
        let first = build(&stream, codec, &target)?;
        let stop = Arc::new(AtomicBool::new(false));
        let actor = ForwardActor {
            stream: stream.clone(),
            codec,
            target,
            shared: ingest.shared().clone(),
            events,
            stop: stop.clone(),
            backoff,
        };
        let thread = std::thread::Builder::new()
            .name(format!("forward-{stream}"))
            .spawn(move || actor.run(first))
            .map_err(|e| VideoError::pipeline(&stream, e))?;
        Ok(Forward {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Built {
    pipeline: gst::Pipeline,
    appsrc: gst_app::AppSrc,
}

fn build(stream: &str, codec: Codec, target: &ForwardTarget) -> Result<Built> {
    let name = format!("{stream}-forward");
    let el = |role: &str| format!("{name}-{role}");
    let pipeline = gst::Pipeline::with_name(&name);
    let bin = pipeline.upcast_ref::<gst::Bin>();
    let src = make("appsrc", &el("src"), &[])?;
    let parse = make(
        codec.parse(),
        &el("parse"),
        &[("config-interval", P::Int(-1))],
    )?;
    add(bin, &[&src, &parse])?;
    link(&[&src, &parse])?;
    match target {
        ForwardTarget::RtpUdp(addr) => {
            let pay = make(
                codec.pay(),
                &el("pay"),
                &[
                    ("config-interval", P::Int(-1)),
                    ("pt", P::Int(96)),
                    ("mtu", P::Int(1200)),
                ],
            )?;
            let host = addr.ip().to_string();
            let sink = make(
                "udpsink",
                &el("sink"),
                &[
                    ("host", P::Str(&host)),
                    ("port", P::Int(i64::from(addr.port()))),
                    ("sync", P::Bool(false)),
                    ("async", P::Bool(false)),
                ],
            )?;
            add(bin, &[&pay, &sink])?;
            link(&[&parse, &pay, &sink])?;
        }
        ForwardTarget::SrtListener { addr, passphrase } => {
            let srt = SrtEnd {
                host: addr.ip().to_string(),
                port: addr.port(),
                mode: SrtMode::Listener,
                passphrase,
                latency_ms: 60,
                stream_id: None,
            };
            srt_tail(bin, &parse, codec, &name, &srt)?;
        }
        ForwardTarget::SrtCaller(c) => {
            let srt = SrtEnd {
                host: c.host.clone(),
                port: c.port,
                mode: SrtMode::Caller,
                passphrase: &c.passphrase,
                latency_ms: c.latency_ms,
                stream_id: c.stream_id.as_deref(),
            };
            srt_tail(bin, &parse, codec, &name, &srt)?;
        }
    }
    let appsrc = src
        .downcast::<gst_app::AppSrc>()
        .map_err(|_| VideoError::pipeline(&name, "appsrc is not an appsrc"))?;
    AppSrcFeeder::configure(&appsrc, 8);
    Ok(Built { pipeline, appsrc })
}

struct SrtEnd<'a> {
    host: String,
    port: u16,
    mode: SrtMode,
    passphrase: &'a SrtPassphrase,
    latency_ms: u32,
    stream_id: Option<&'a str>,
}

/// parse ! byte-stream ! mpegtsmux ! srtsink (encrypted).
fn srt_tail(
    bin: &gst::Bin,
    parse: &gst::Element,
    codec: Codec,
    name: &str,
    srt: &SrtEnd,
) -> Result<()> {
    let el = |role: &str| format!("{name}-{role}");
    // mpegtsmux wants byte-stream.
    let bytestream = capsfilter(
        &el("bytestream"),
        gst::Caps::builder(codec.media_type())
            .field("stream-format", "byte-stream")
            .build(),
    )?;
    // One packet per buffer out of the muxer, grouped again into messages that end with each
    // frame (`ts_chunk`): `alignment=7` would hold every frame's tail until the next frame.
    let mux = make("mpegtsmux", &el("mux"), &[("alignment", P::Int(0))])?;
    chunk_into_messages(&mux)?;
    let mut props = crate::receive::srt_props(srt.mode, &srt.host, srt.port, Some(srt.passphrase));
    props.extend([
        ("latency", P::Int(i64::from(srt.latency_ms))),
        ("sync", P::Bool(false)),
        ("async", P::Bool(false)),
    ]);
    if srt.mode == SrtMode::Listener {
        props.push(("wait-for-connection", P::Bool(false)));
    }
    if let Some(id) = srt.stream_id {
        props.push(("streamid", P::Str(id)));
    }
    let sink = make("srtsink", &el("sink"), &props)?;
    add(bin, &[&bytestream, &mux, &sink])?;
    link(&[parse, &bytestream, &mux, &sink])
}

/// Regroup the muxer's packets, on its source pad, into SRT messages cut at each frame's end.
fn chunk_into_messages(mux: &gst::Element) -> Result<()> {
    let pad = mux
        .static_pad("src")
        .ok_or_else(|| VideoError::pipeline(mux.name().as_str(), "mpegtsmux has no src pad"))?;
    let chunker = std::sync::Mutex::new(crate::ts_chunk::TsChunker::new());
    let regroup = move |input: &[&gst::BufferRef]| -> Vec<gst::Buffer> {
        let mut chunker = chunker.lock().unwrap_or_else(|e| e.into_inner());
        let pts = input.first().and_then(|b| b.pts());
        let mut out = Vec::new();
        for b in input {
            let Ok(map) = b.map_readable() else { continue };
            for m in chunker.push(map.as_slice()) {
                let mut buf = gst::Buffer::from_mut_slice(m);
                if let Some(b) = buf.get_mut() {
                    b.set_pts(pts);
                }
                out.push(buf);
            }
        }
        out
    };
    pad.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
        move |_, info| {
            let messages = match &info.data {
                Some(gst::PadProbeData::Buffer(b)) => regroup(&[b.as_ref()]),
                Some(gst::PadProbeData::BufferList(l)) => regroup(&l.iter().collect::<Vec<_>>()),
                _ => return gst::PadProbeReturn::Ok,
            };
            let mut messages = messages.into_iter();
            match (messages.next(), messages.len()) {
                // Handled, the buffer dropped here: with Drop, GStreamer 1.22's push path unrefs
                // the data the bindings already released (a CRITICAL per buffer; fixed in 1.24.8).
                (None, _) => {
                    info.data = None;
                    gst::PadProbeReturn::Handled
                }
                (Some(m), 0) => {
                    info.data = Some(gst::PadProbeData::Buffer(m));
                    gst::PadProbeReturn::Ok
                }
                (Some(first), more) => {
                    let mut list = gst::BufferList::new_sized(more + 1);
                    if let Some(l) = list.get_mut() {
                        l.add(first);
                        messages.for_each(|m| l.add(m));
                    }
                    info.data = Some(gst::PadProbeData::BufferList(list));
                    gst::PadProbeReturn::Ok
                }
            }
        },
    );
    Ok(())
}

struct ForwardActor {
    stream: String,
    codec: Codec,
    target: ForwardTarget,
    shared: Arc<crate::ingest::Shared>,
    events: Events,
    stop: Arc<AtomicBool>,
    backoff: Backoff,
}

impl ForwardActor {
    fn run(self, first: Built) {
        let mut next = Some(first);
        let mut attempt = 0u32;
        while !self.stop.load(Ordering::Relaxed) {
            let built = match next.take() {
                Some(b) => Ok(b),
                None => build(&self.stream, self.codec, &self.target),
            };
            let outcome = match built {
                Ok(b) => self.run_once(b, &mut attempt),
                Err(e) => Some(e.to_string()),
            };
            let Some(message) = outcome else { break };
            let delay = self.backoff.delay(attempt);
            attempt = attempt.saturating_add(1);
            tracing::warn!(stream = %self.stream, target = %self.target.describe(), %message, "video forward failed");
            self.events.emit(VideoEvent::ForwardFailed {
                stream: self.stream.clone(),
                target: self.target.describe(),
                message,
                retry_in_ms: delay.as_millis() as u64,
            });
            let until = Instant::now() + delay;
            while Instant::now() < until && !self.stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Run one pipeline until it fails (Some(reason)) or the forward is stopped (None).
    fn run_once(&self, built: Built, attempt: &mut u32) -> Option<String> {
        let Built { pipeline, appsrc } = built;
        let result = (|| {
            if let Err(e) = pipeline.set_state(gst::State::Playing) {
                return Some(bus_error(&pipeline).unwrap_or_else(|| e.to_string()));
            }
            let feeder = AppSrcFeeder::new(appsrc);
            let id = self.shared.tap.subscribe(move |s| {
                feeder.push(s);
            });
            let outcome = self.watch(&pipeline, attempt);
            self.shared.tap.unsubscribe(id);
            outcome
        })();
        let _ = pipeline.set_state(gst::State::Null);
        result
    }

    fn watch(&self, pipeline: &gst::Pipeline, attempt: &mut u32) -> Option<String> {
        let bus = pipeline.bus()?;
        let started = Instant::now();
        let mut up = false;
        while !self.stop.load(Ordering::Relaxed) {
            // Healthy for 2 s: the next failure starts the backoff over.
            if !up && started.elapsed() > Duration::from_secs(2) {
                up = true;
                *attempt = 0;
                self.events.emit(VideoEvent::ForwardUp {
                    stream: self.stream.clone(),
                    target: self.target.describe(),
                });
            }
            let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
                continue;
            };
            match msg.view() {
                gst::MessageView::Error(err) => {
                    let hint = match self.target {
                        ForwardTarget::SrtCaller(_) => {
                            " (the relay is unreachable, or refused the passphrase)"
                        }
                        _ => "",
                    };
                    return Some(format!("{}{hint}", err.error()));
                }
                gst::MessageView::Eos(_) => return Some("the output ended".into()),
                _ => {}
            }
        }
        None
    }
}

fn bus_error(pipeline: &gst::Pipeline) -> Option<String> {
    let msg = pipeline.bus()?.pop_filtered(&[gst::MessageType::Error])?;
    match msg.view() {
        gst::MessageView::Error(err) => Some(err.error().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_name_the_stream_and_the_station_or_nothing() {
        assert_eq!(
            SrtCaller::stream_id_for("drone1", "st-1a2b3c", None).as_deref(),
            Some("#!::r=drone1,u=st-1a2b3c")
        );
        assert_eq!(
            SrtCaller::stream_id_for("drone1", "st-1", Some("F-1")).as_deref(),
            Some("#!::r=drone1,u=st-1,s=F-1")
        );
        assert_eq!(SrtCaller::stream_id_for("drone,1", "st", None), None);
        assert_eq!(SrtCaller::stream_id_for("d", "st", Some("F,1")), None);
        assert_eq!(SrtCaller::stream_id_for("", "st", None), None);
    }

    #[test]
    fn targets_are_described_without_their_passphrase() {
        let p = SrtPassphrase::new("a long passphrase here").unwrap();
        let t = ForwardTarget::SrtCaller(SrtCaller::new("csu.example", 7001, p.clone()));
        assert_eq!(t.describe(), "srt://csu.example:7001");
        assert!(!format!("{t:?}").contains("long passphrase"));
        let l = ForwardTarget::SrtListener {
            addr: "127.0.0.1:7002".parse().unwrap(),
            passphrase: p,
        };
        assert_eq!(l.describe(), "srt://127.0.0.1:7002?mode=listener");
    }

    #[test]
    fn every_target_builds() {
        crate::init().unwrap();
        let p = SrtPassphrase::new("a long passphrase here").unwrap();
        for t in [
            ForwardTarget::RtpUdp("127.0.0.1:5000".parse().unwrap()),
            ForwardTarget::SrtListener {
                addr: "127.0.0.1:7002".parse().unwrap(),
                passphrase: p.clone(),
            },
            ForwardTarget::SrtCaller(SrtCaller::new("127.0.0.1", 7003, p)),
        ] {
            for codec in [Codec::H264, Codec::H265] {
                build("f", codec, &t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
            }
        }
    }
}
