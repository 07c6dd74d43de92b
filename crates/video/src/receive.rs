//! The receive pipeline of one stream, element by element (never parsed from text):
//!
//! ```text
//! source ─ [jitter] ─ depay/demux ─ parse ─ es caps ─ tee ─┬─ appsink `encoded` (access units → tap)
//!                                                          └─ queue (leaky) ─ dec ─ convert ─ RGBA ─ appsink `frames`
//! ```
//!
//! Element names are `STREAM-ROLE` (`drone1-dec`…): the bus watcher tells decoder errors apart
//! by name.

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_rtsp as gst_rtsp;

use crate::elements::{P, add, capsfilter, link, make};
use crate::error::{Result, VideoError};
use crate::ingest::Profile;
use crate::uri::{Codec, RtspTransport, SourceUri, SrtMode};

/// A built, not yet started, receive pipeline.
pub(crate) struct Receiver {
    pub(crate) pipeline: gst::Pipeline,
    /// The source element whose pads appear at run time (demuxer, rtspsrc), linked to `target`.
    pub(crate) dynamic: Option<(gst::Element, gst::Element)>,
    pub(crate) encoded: gst_app::AppSink,
    pub(crate) frames: Option<gst_app::AppSink>,
    pub(crate) decoder_queue: Option<gst::Element>,
}

fn rtp_caps(codec: Codec) -> gst::Caps {
    gst::Caps::builder("application/x-rtp")
        .field("media", "video")
        .field("clock-rate", 90_000i32)
        .field("encoding-name", codec.rtp_encoding())
        .build()
}

pub(crate) fn es_caps(codec: Codec) -> gst::Caps {
    gst::Caps::builder(codec.media_type())
        .field("alignment", "au")
        .build()
}

fn srt_uri(host: &str, port: u16) -> String {
    // The host was checked at parse time (an IP address or a host name).
    if host.contains(':') {
        format!("srt://[{host}]:{port}")
    } else {
        format!("srt://{host}:{port}")
    }
}

/// Properties shared by every SRT element: where (a caller's `uri`, a listener's local address
/// and port: a listener given only a `uri` binds port 0), the mode, and the passphrase with
/// AES-256.
pub(crate) fn srt_props<'a>(
    mode: SrtMode,
    host: &'a str,
    port: u16,
    passphrase: Option<&'a crate::secret::SrtPassphrase>,
) -> Vec<(&'static str, P<'a>)> {
    let mut props = match mode {
        SrtMode::Caller => vec![
            ("uri", P::Value(srt_uri(host, port).to_value())),
            ("mode", P::Nick("caller")),
        ],
        SrtMode::Listener => vec![
            ("mode", P::Nick("listener")),
            ("localaddress", P::Str(host)),
            ("localport", P::Int(i64::from(port))),
        ],
    };
    if let Some(p) = passphrase {
        props.push(("passphrase", P::Str(p.expose())));
        props.push(("pbkeylen", P::Int(32)));
    }
    props
}

/// Build the receive pipeline of `source` named `name`.
pub(crate) fn build(
    name: &str,
    source: &SourceUri,
    profile: Profile,
    decode: bool,
) -> Result<Receiver> {
    let codec = source.codec();
    let low = profile == Profile::LowLatency;
    let pipeline = gst::Pipeline::with_name(name);
    let bin = pipeline.upcast_ref::<gst::Bin>();
    let el = |role: &str| format!("{name}-{role}");

    let parse = make(
        codec.parse(),
        &el("parse"),
        &[("config-interval", P::Int(-1))],
    )?;
    let caps = capsfilter(&el("escaps"), es_caps(codec))?;
    let tee = make("tee", &el("tee"), &[("allow-not-linked", P::Bool(true))])?;
    add(bin, &[&parse, &caps, &tee])?;
    link(&[&parse, &caps, &tee])?;
    let ts_latency = if low { 0 } else { 200 };

    let dynamic = match source {
        SourceUri::RtpUdp {
            listen_host, port, ..
        } => {
            let src = make(
                "udpsrc",
                &el("src"),
                &[
                    ("address", P::Str(listen_host)),
                    ("port", P::Int(i64::from(*port))),
                    ("buffer-size", P::Int(4 << 20)),
                    ("caps", P::Value(rtp_caps(codec).to_value())),
                ],
            )?;
            let depay = make(codec.depay(), &el("depay"), &[])?;
            add(bin, &[&src, &depay])?;
            if low {
                link(&[&src, &depay, &parse])?;
            } else {
                let jitter = make(
                    "rtpjitterbuffer",
                    &el("jitter"),
                    &[("latency", P::Int(200)), ("drop-on-latency", P::Bool(true))],
                )?;
                add(bin, &[&jitter])?;
                link(&[&src, &jitter, &depay, &parse])?;
            }
            None
        }
        SourceUri::MpegTsUdp {
            listen_host, port, ..
        } => {
            let ts_caps = gst::Caps::builder("video/mpegts")
                .field("systemstream", true)
                .field("packetsize", 188i32)
                .build();
            let src = make(
                "udpsrc",
                &el("src"),
                &[
                    ("address", P::Str(listen_host)),
                    ("port", P::Int(i64::from(*port))),
                    ("buffer-size", P::Int(4 << 20)),
                    ("caps", P::Value(ts_caps.to_value())),
                ],
            )?;
            let demux = make("tsdemux", &el("demux"), &[("latency", P::Int(ts_latency))])?;
            add(bin, &[&src, &demux])?;
            link(&[&src, &demux])?;
            Some((demux, parse.clone()))
        }
        SourceUri::Rtsp {
            url,
            credentials,
            transport,
            ..
        } => {
            let tls = url.starts_with("rtsps://");
            let protocols = match transport {
                // TLS end to end: RTP interleaved in the TLS connection only.
                _ if tls => gst_rtsp::RTSPLowerTrans::TCP,
                RtspTransport::Any => gst_rtsp::RTSPLowerTrans::UDP | gst_rtsp::RTSPLowerTrans::TCP,
                RtspTransport::Tcp => gst_rtsp::RTSPLowerTrans::TCP,
                RtspTransport::Udp => gst_rtsp::RTSPLowerTrans::UDP,
            };
            // rtspsrc's default 2000 ms jitter buffer is the trap: 0 for low latency.
            let mut props = vec![
                ("location", P::Str(url)),
                ("latency", P::Int(if low { 0 } else { 200 })),
                ("drop-on-latency", P::Bool(true)),
                ("protocols", P::Value(protocols.to_value())),
                ("tcp-timeout", P::Int(5_000_000)),
                ("timeout", P::Int(5_000_000)),
            ];
            if let Some(c) = credentials {
                props.push(("user-id", P::Str(&c.user)));
                props.push(("user-pw", P::Str(c.password.expose())));
            }
            let src = make("rtspsrc", &el("demux"), &props)?;
            // rtspsrc refuses a location it cannot parse by keeping none: fail here, clearly.
            if src.property::<Option<String>>("location").is_none() {
                return Err(VideoError::pipeline(
                    name,
                    format!("rtspsrc refused the location {}", source.redacted()),
                ));
            }
            let depay = make(codec.depay(), &el("depay"), &[])?;
            add(bin, &[&src, &depay])?;
            link(&[&depay, &parse])?;
            Some((src, depay))
        }
        SourceUri::Srt {
            host,
            port,
            mode,
            passphrase,
            ..
        } => {
            let mut props = srt_props(*mode, host, *port, passphrase.as_ref());
            props.push(("latency", P::Int(if low { 20 } else { 200 })));
            let src = make("srtsrc", &el("src"), &props)?;
            let demux = make("tsdemux", &el("demux"), &[("latency", P::Int(ts_latency))])?;
            // tsdemux says nothing of alignment, so the parser would hold each access unit
            // until the next one starts (a frame of latency); an uplink's mpegtsmux writes one
            // PES per access unit, so each buffer the demuxer hands out is one.
            let au = make(
                "capsfilter",
                &el("au"),
                &[(
                    "caps",
                    P::Value(
                        gst::Caps::builder(codec.media_type())
                            .field("stream-format", "byte-stream")
                            .field("alignment", "au")
                            .build()
                            .to_value(),
                    ),
                )],
            )?;
            add(bin, &[&src, &demux, &au])?;
            link(&[&src, &demux])?;
            link(&[&au, &parse])?;
            Some((demux, au))
        }
    };

    let encoded = make(
        "appsink",
        &el("encoded"),
        &[
            ("sync", P::Bool(false)),
            ("async", P::Bool(false)),
            ("emit-signals", P::Bool(false)),
        ],
    )?;
    add(bin, &[&encoded])?;
    link(&[&tee, &encoded])?;

    let (frames, decoder_queue) = if decode {
        let q = make(
            "queue",
            &el("decq"),
            &[
                ("max-size-buffers", P::Int(0)),
                ("max-size-bytes", P::Int(0)),
                ("max-size-time", P::Int(500_000_000)),
                ("leaky", P::Nick("downstream")),
            ],
        )?;
        let mut dec_props = vec![("output-corrupt", P::Bool(false))];
        if low {
            // Frame threading costs ≈ 31 ms (measured): slices only.
            dec_props.push(("thread-type", P::Nick("slice")));
            dec_props.push(("max-threads", P::Int(2)));
        }
        let dec = make(codec.decoder(), &el("dec"), &dec_props)?;
        let conv = make("videoconvert", &el("conv"), &[("n-threads", P::Int(2))])?;
        let rgba = capsfilter(
            &el("rgba"),
            gst::Caps::builder("video/x-raw")
                .field("format", "RGBA")
                .build(),
        )?;
        let sink = make(
            "appsink",
            &el("frames"),
            &[
                ("sync", P::Bool(!low)),
                ("async", P::Bool(false)),
                ("max-buffers", P::Int(1)),
                ("drop", P::Bool(true)),
                ("emit-signals", P::Bool(false)),
            ],
        )?;
        add(bin, &[&q, &dec, &conv, &rgba, &sink])?;
        link(&[&tee, &q, &dec, &conv, &rgba, &sink])?;
        let sink = sink
            .downcast::<gst_app::AppSink>()
            .map_err(|_| VideoError::pipeline(name, "frames sink is not an appsink"))?;
        (Some(sink), Some(q))
    } else {
        (None, None)
    };
    let encoded = encoded
        .downcast::<gst_app::AppSink>()
        .map_err(|_| VideoError::pipeline(name, "encoded sink is not an appsink"))?;
    Ok(Receiver {
        pipeline,
        dynamic,
        encoded,
        frames,
        decoder_queue,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_name(r: &Receiver, n: &str) -> Option<gst::Element> {
        r.pipeline.by_name(n)
    }

    #[test]
    fn low_latency_has_no_jitter_buffer_and_drops_late_frames() {
        crate::init().unwrap();
        let src = SourceUri::parse("udp://127.0.0.1:5600").unwrap();
        let low = build("d1", &src, Profile::LowLatency, true).unwrap();
        assert!(by_name(&low, "d1-jitter").is_none());
        let frames = by_name(&low, "d1-frames").unwrap();
        assert!(!frames.property::<bool>("sync"));
        assert!(frames.property::<bool>("drop"));
        assert_eq!(frames.property::<u32>("max-buffers"), 1);
        let smooth = build("d1", &src, Profile::Smooth, true).unwrap();
        let jitter = by_name(&smooth, "d1-jitter").unwrap();
        assert_eq!(jitter.property::<u32>("latency"), 200);
        let rtsp = SourceUri::parse("rtsp://h:8554/x").unwrap();
        let r = build("d1", &rtsp, Profile::LowLatency, false).unwrap();
        let (demux, _) = r.dynamic.as_ref().unwrap();
        assert_eq!(demux.name(), "d1-demux");
        assert_eq!(demux.property::<u32>("latency"), 0);
        assert!(by_name(&r, "d1-dec").is_none());
    }

    #[test]
    fn every_source_builds() {
        crate::init().unwrap();
        for uri in [
            "udp://127.0.0.1:1",
            "mpegts://127.0.0.1:1?codec=h265",
            "rtsp://127.0.0.1:1/x",
            "rtsps://127.0.0.1:1/x",
            "srt://127.0.0.1:1",
        ] {
            let src = SourceUri::parse(uri).unwrap();
            for profile in [Profile::LowLatency, Profile::Smooth] {
                build("t", &src, profile, true).unwrap_or_else(|e| panic!("{uri}: {e}"));
            }
        }
    }

    #[test]
    fn camera_credentials_are_properties_not_part_of_the_location() {
        crate::init().unwrap();
        let src = SourceUri::parse("rtsp://cam:s3cr3t-pw@127.0.0.1:1/x").unwrap();
        let r = build("c", &src, Profile::LowLatency, false).unwrap();
        let (rtspsrc, _) = r.dynamic.unwrap();
        let location = rtspsrc.property::<Option<String>>("location").unwrap();
        assert_eq!(location, "rtsp://127.0.0.1:1/x");
        assert_eq!(
            rtspsrc.property::<Option<String>>("user-id").as_deref(),
            Some("cam")
        );
    }

    #[test]
    fn rtsps_sources_are_read_over_tls_only() {
        crate::init().unwrap();
        let src = SourceUri::parse("rtsps://127.0.0.1:1/x").unwrap();
        let r = build("s", &src, Profile::LowLatency, false).unwrap();
        let (rtspsrc, _) = r.dynamic.unwrap();
        let p = rtspsrc.property::<gst_rtsp::RTSPLowerTrans>("protocols");
        assert_eq!(p, gst_rtsp::RTSPLowerTrans::TCP);
    }

    #[test]
    fn a_location_built_to_inject_elements_adds_none() {
        crate::init().unwrap();
        // Built by hand, past the URI parser that would refuse it.
        let attack = SourceUri::Rtsp {
            url: r#"rtsp://127.0.0.1:1/x" ! fakesink filesrc location=/etc/hostname ! filesink location=pwned rtspsrc location="rtsp://127.0.0.1:1/y"#.into(),
            credentials: None,
            transport: RtspTransport::Any,
            codec: Codec::H264,
        };
        match build("a", &attack, Profile::LowLatency, false) {
            Err(e) => assert!(e.to_string().contains("refused the location"), "{e}"),
            Ok(r) => {
                let names: Vec<String> = r
                    .pipeline
                    .iterate_elements()
                    .into_iter()
                    .filter_map(|e| e.ok())
                    .filter_map(|e| e.factory().map(|f| f.name().to_string()))
                    .collect();
                assert!(
                    !names.iter().any(|n| n == "filesink" || n == "filesrc"),
                    "{names:?}"
                );
            }
        }
    }
}
