//! Stamped test sources, for tests, benchmarks and the CPU script: they stamp every frame the way the
//! simulator does (see [`crate::stamp`]) at the moment it enters the sending pipeline.
//!
//! - [`TestSender`]: `videotestsrc → stamp → x264enc tune=zerolatency → rtph264pay → udpsink`, or
//!   MPEG-TS over UDP, optionally with an audio track (for the no-audio proof).
//! - [`TestCamera`]: an RTSP camera (own gst-rtsp-server) serving stamped video with an audio track.

use std::net::SocketAddr;

use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;
use gstreamer_rtsp_server as rtsp;
use gstreamer_rtsp_server::prelude::*;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;

use crate::error::{Result, VideoError};
use crate::stamp;
use crate::uri::Codec;

#[derive(Debug, Clone)]
pub struct SenderConfig {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub codec: Codec,
    pub bitrate_kbps: u32,
    /// MPEG-TS instead of RTP.
    pub mpegts: bool,
    /// Add an audio track (MPEG-TS only; RTP/UDP carries one stream per port).
    pub audio: bool,
    /// videotestsrc pattern: `smpte` (moving bars, the default) or `snow` (incompressible: the
    /// encoder reaches `bitrate_kbps`, to load a link).
    pub pattern: &'static str,
}

impl SenderConfig {
    pub fn new(width: u32, height: u32, fps: u32) -> Self {
        let bitrate_kbps = (width * height * fps / 7000).clamp(500, 12_000);
        SenderConfig {
            width,
            height,
            fps,
            codec: Codec::H264,
            bitrate_kbps,
            mpegts: false,
            audio: false,
            pattern: "smpte",
        }
    }
}

/// The raw part: a moving test picture with the stamp, I420.
fn raw_source(c: &SenderConfig, name: &str) -> String {
    format!(
        "videotestsrc name={name}-vsrc is-live=true pattern={p} horizontal-speed=4 \
         ! video/x-raw,format=I420,width={w},height={h},framerate={f}/1",
        p = c.pattern,
        w = c.width,
        h = c.height,
        f = c.fps
    )
}

fn encoder(c: &SenderConfig) -> String {
    match c.codec {
        Codec::H264 => format!(
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={k} bitrate={b} ! video/x-h264,profile=constrained-baseline",
            k = c.fps,
            b = c.bitrate_kbps
        ),
        Codec::H265 => format!(
            "x265enc tune=zerolatency speed-preset=ultrafast key-int-max={k} bitrate={b}",
            k = c.fps,
            b = c.bitrate_kbps
        ),
    }
}

/// Stamp each raw frame leaving `element`'s src pad with the current realtime clock.
pub(crate) fn install_stamper(element: &gst::Element, width: u32, height: u32) -> Result<()> {
    let info = gst_video::VideoInfo::builder(gst_video::VideoFormat::I420, width, height)
        .build()
        .map_err(|e| VideoError::pipeline("stamper", e))?;
    let pad = element
        .static_pad("src")
        .ok_or_else(|| VideoError::pipeline("stamper", "no src pad"))?;
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, probe| {
        if let Some(gst::PadProbeData::Buffer(buffer)) = probe.data.as_mut() {
            let buffer = buffer.make_mut();
            if let Ok(mut frame) = gst_video::VideoFrameRef::from_buffer_ref_writable(buffer, &info)
            {
                let strides: Vec<usize> =
                    frame.plane_stride().iter().map(|s| *s as usize).collect();
                let now = stamp::now_unix_us();
                if let Ok(y) = frame.plane_data_mut(0) {
                    stamp::paint_luma(y, strides[0], width as usize, height as usize, now);
                }
                for plane in 1..3u32 {
                    if let Ok(p) = frame.plane_data_mut(plane) {
                        stamp::neutral_chroma(p, strides[plane as usize]);
                    }
                }
            }
        }
        gst::PadProbeReturn::Ok
    })
    .ok_or_else(|| VideoError::pipeline("stamper", "probe refused"))?;
    Ok(())
}

/// A running stamped sender. Dropping it stops it.
pub struct TestSender {
    pipeline: gst::Pipeline,
}

impl TestSender {
    /// Send to `dest` (RTP/UDP or MPEG-TS/UDP).
    pub fn start(config: &SenderConfig, dest: SocketAddr) -> Result<TestSender> {
        Self::start_multi(config, &[dest])
    }

    /// Send the same packets to several receivers (so they can be compared on the same frames).
    pub fn start_multi(config: &SenderConfig, dests: &[SocketAddr]) -> Result<TestSender> {
        crate::init()?;
        let clients: Vec<String> = dests.iter().map(|d| d.to_string()).collect();
        // Unsynchronised sink: a synced sender sink adds ≈ 27 ms (measured).
        let sink = format!(
            "multiudpsink clients={} sync=false async=false",
            clients.join(",")
        );
        let video = format!("{} ! {}", raw_source(config, "send"), encoder(config));
        let desc = if config.mpegts {
            let audio = if config.audio {
                "audiotestsrc is-live=true wave=sine ! audioconvert ! avenc_aac ! aacparse ! mux. "
            } else {
                ""
            };
            format!(
                "{video} ! {parse} ! mpegtsmux name=mux alignment=7 ! {sink} {audio}",
                parse = config.codec.parse()
            )
        } else {
            format!(
                "{video} ! {pay} config-interval=-1 pt=96 mtu=1200 ! {sink}",
                pay = config.codec.pay()
            )
        };
        let pipeline = gst::parse::launch(&desc)
            .map_err(|e| VideoError::pipeline("test-sender", e))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| VideoError::pipeline("test-sender", "not a pipeline"))?;
        let vsrc = pipeline
            .by_name("send-vsrc")
            .ok_or_else(|| VideoError::pipeline("test-sender", "no source"))?;
        install_stamper(&vsrc, config.width, config.height)?;
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| VideoError::pipeline("test-sender", e))?;
        Ok(TestSender { pipeline })
    }
}

impl Drop for TestSender {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// An RTSP camera on 127.0.0.1 serving `/cam`: stamped H.264 video **and an Opus audio track**.
pub struct TestCamera {
    main_loop: glib::MainLoop,
    thread: Option<std::thread::JoinHandle<()>>,
    port: u16,
}

impl TestCamera {
    pub fn start(config: &SenderConfig) -> Result<TestCamera> {
        Self::start_with_account(config, None)
    }

    /// The same camera, asking for this account (`user`, `password`; Basic authentication, as
    /// many cameras do).
    pub fn start_with_account(
        config: &SenderConfig,
        account: Option<(&str, &str)>,
    ) -> Result<TestCamera> {
        crate::init()?;
        let server = rtsp::RTSPServer::new();
        if let Some((user, password)) = account {
            let auth = rtsp::RTSPAuth::new();
            let token = rtsp::RTSPToken::builder()
                .field("media.factory.role", "camera-user")
                .build();
            auth.add_basic(&rtsp::RTSPAuth::make_basic(user, password), &token);
            server.set_auth(Some(&auth));
        }
        server.set_address("127.0.0.1");
        server.set_service("0");
        let factory = rtsp::RTSPMediaFactory::new();
        factory.set_launch(&format!(
            "( {raw} ! {enc} ! {pay} name=pay0 pt=96 config-interval=-1 \
               audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc ! rtpopuspay name=pay1 pt=97 )",
            raw = raw_source(config, "cam"),
            enc = encoder(config),
            pay = config.codec.pay()
        ));
        factory.set_shared(true);
        if account.is_some() {
            factory.add_role_from_structure(
                &gst::Structure::builder("camera-user")
                    .field("media.factory.access", true)
                    .field("media.factory.construct", true)
                    .build(),
            );
        }
        let (w, h) = (config.width, config.height);
        factory.connect_media_configure(move |_, media| {
            let element = media.element();
            if let Some(v) = element
                .downcast_ref::<gst::Bin>()
                .and_then(|b| b.by_name_recurse_up("cam-vsrc"))
            {
                let _ = install_stamper(&v, w, h);
            }
        });
        server
            .mount_points()
            .ok_or_else(|| VideoError::Rtsp("no mount points".into()))?
            .add_factory("/cam", factory);
        let context = glib::MainContext::new();
        let main_loop = glib::MainLoop::new(Some(&context), false);
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = {
            let main_loop = main_loop.clone();
            std::thread::spawn(move || {
                let _ = context.with_thread_default(|| {
                    let attached = server.attach(Some(&context)).map(|_| server.bound_port());
                    let _ = tx.send(attached.map_err(|e| e.to_string()));
                    main_loop.run();
                });
            })
        };
        let port = rx
            .recv()
            .map_err(|e| VideoError::Rtsp(e.to_string()))?
            .map_err(VideoError::Rtsp)?;
        let port =
            u16::try_from(port).map_err(|_| VideoError::Rtsp(format!("bad bound port {port}")))?;
        Ok(TestCamera {
            main_loop,
            thread: Some(thread),
            port,
        })
    }

    pub fn url(&self) -> String {
        format!("rtsp://127.0.0.1:{}/cam", self.port)
    }
}

impl Drop for TestCamera {
    fn drop(&mut self) {
        self.main_loop.quit();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
