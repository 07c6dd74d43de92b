//! Optional outputs besides RTSP, fed from the same tap without re-encoding:
//! a plain RTP/UDP forward (to a CSU decoder or another station) and an SRT listener (MPEG-TS).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::error::{Result, VideoError};
use crate::events::{Events, VideoEvent};
use crate::ingest::Ingest;
use crate::tap::AppSrcFeeder;

/// Where a forward goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardTarget {
    /// RTP over UDP to this address (payload type 96).
    RtpUdp(SocketAddr),
    /// An SRT listener on this local address; callers receive MPEG-TS.
    SrtListener(SocketAddr),
}

/// A running forward. Dropping it stops it.
pub struct Forward {
    pipeline: gst::Pipeline,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Forward {
    pub fn start(target: ForwardTarget, ingest: &Ingest, events: Events) -> Result<Forward> {
        let codec = ingest.codec();
        let stream = ingest.stream().to_owned();
        let (tail, needs) = match &target {
            ForwardTarget::RtpUdp(addr) => (
                format!(
                    "{pay} config-interval=-1 pt=96 mtu=1200 ! udpsink host={} port={} sync=false async=false",
                    addr.ip(),
                    addr.port(),
                    pay = codec.pay()
                ),
                vec!["appsrc", codec.parse(), codec.pay(), "udpsink"],
            ),
            ForwardTarget::SrtListener(addr) => (
                // MPEG-TS muxing costs latency (≈ 67 ms measured): only for clients that need SRT.
                format!(
                    "mpegtsmux alignment=7 ! srtsink uri=\"srt://{}:{}?mode=listener\" wait-for-connection=false latency=60 sync=false async=false",
                    addr.ip(),
                    addr.port()
                ),
                vec!["appsrc", codec.parse(), "mpegtsmux", "srtsink"],
            ),
        };
        crate::plugins::check(&needs)?;
        let name = format!("{stream}-forward");
        // mpegtsmux wants byte-stream; RTP payloaders take what the tap gives.
        let parse_caps = match (&target, codec) {
            (ForwardTarget::SrtListener(_), crate::Codec::H264) => {
                " ! video/x-h264,stream-format=byte-stream"
            }
            (ForwardTarget::SrtListener(_), crate::Codec::H265) => {
                " ! video/x-h265,stream-format=byte-stream"
            }
            _ => "",
        };
        let desc = format!(
            "appsrc name={name}-src ! {parse} config-interval=-1{parse_caps} ! {tail}",
            parse = codec.parse()
        );
        let pipeline = gst::parse::launch(&desc)
            .map_err(|e| VideoError::pipeline(&name, e))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| VideoError::pipeline(&name, "not a pipeline"))?;
        let appsrc = pipeline
            .by_name(&format!("{name}-src"))
            .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
            .ok_or_else(|| VideoError::pipeline(&name, "no appsrc"))?;
        AppSrcFeeder::configure(&appsrc, 8);
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| VideoError::pipeline(&name, e))?;
        let feeder = AppSrcFeeder::new(appsrc);
        let shared = ingest.shared().clone();
        let id = shared.tap.subscribe(move |s| {
            feeder.push(s);
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stop, pipeline) = (stop.clone(), pipeline.clone());
            std::thread::Builder::new()
                .name(format!("forward-{stream}"))
                .spawn(move || {
                    let Some(bus) = pipeline.bus() else { return };
                    while !stop.load(Ordering::Relaxed) {
                        let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
                            continue;
                        };
                        if let gst::MessageView::Error(err) = msg.view() {
                            // A forward failing must not touch the stream: report and stop this output.
                            events.emit(VideoEvent::StreamError {
                                stream: format!("{stream} forward {target:?}"),
                                message: err.error().to_string(),
                                retry_in_ms: 0,
                            });
                            break;
                        }
                    }
                    shared.tap.unsubscribe(id);
                })
                .map_err(|e| VideoError::pipeline(&name, e))?
        };
        Ok(Forward {
            pipeline,
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
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
