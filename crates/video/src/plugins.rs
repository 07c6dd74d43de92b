//! Start-up check: every GStreamer element a pipeline needs, with the Debian package that brings it.

use gstreamer as gst;

use crate::error::{Result, VideoError};
use crate::uri::{Codec, SourceUri};

/// One element the machine lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPlugin {
    pub element: &'static str,
    pub plugin: &'static str,
    pub debian_package: &'static str,
}

/// element → (GStreamer plugin, Debian package).
const KNOWN: &[(&str, &str, &str)] = &[
    ("queue", "coreelements", "libgstreamer1.0-0"),
    ("tee", "coreelements", "libgstreamer1.0-0"),
    ("fakesink", "coreelements", "libgstreamer1.0-0"),
    ("appsrc", "app", "gstreamer1.0-plugins-base"),
    ("appsink", "app", "gstreamer1.0-plugins-base"),
    (
        "videoconvert",
        "videoconvertscale",
        "gstreamer1.0-plugins-base",
    ),
    ("videotestsrc", "videotestsrc", "gstreamer1.0-plugins-base"),
    ("pngenc", "png", "gstreamer1.0-plugins-good"),
    ("udpsrc", "udp", "gstreamer1.0-plugins-good"),
    ("udpsink", "udp", "gstreamer1.0-plugins-good"),
    ("rtpjitterbuffer", "rtpmanager", "gstreamer1.0-plugins-good"),
    ("rtph264depay", "rtp", "gstreamer1.0-plugins-good"),
    ("rtph265depay", "rtp", "gstreamer1.0-plugins-good"),
    ("rtph264pay", "rtp", "gstreamer1.0-plugins-good"),
    ("rtph265pay", "rtp", "gstreamer1.0-plugins-good"),
    ("rtspsrc", "rtsp", "gstreamer1.0-plugins-good"),
    ("splitmuxsink", "multifile", "gstreamer1.0-plugins-good"),
    ("matroskamux", "matroska", "gstreamer1.0-plugins-good"),
    ("h264parse", "videoparsersbad", "gstreamer1.0-plugins-bad"),
    ("h265parse", "videoparsersbad", "gstreamer1.0-plugins-bad"),
    ("tsdemux", "mpegtsdemux", "gstreamer1.0-plugins-bad"),
    ("mpegtsmux", "mpegtsmux", "gstreamer1.0-plugins-bad"),
    ("srtsrc", "srt", "gstreamer1.0-plugins-bad"),
    ("srtsink", "srt", "gstreamer1.0-plugins-bad"),
    ("avdec_h264", "libav", "gstreamer1.0-libav"),
    ("avdec_h265", "libav", "gstreamer1.0-libav"),
    ("x264enc", "x264", "gstreamer1.0-plugins-ugly"),
];

/// Elements a receive pipeline for `source` needs (decode included).
pub fn for_source(source: &SourceUri) -> Vec<&'static str> {
    let codec = source.codec();
    let mut v = vec![
        "queue",
        "tee",
        "appsink",
        "videoconvert",
        codec.parse(),
        codec.decoder(),
    ];
    match source {
        SourceUri::RtpUdp { .. } => v.extend(["udpsrc", "rtpjitterbuffer", codec.depay()]),
        SourceUri::MpegTsUdp { .. } => v.extend(["udpsrc", "tsdemux", "fakesink"]),
        SourceUri::Rtsp { .. } => v.extend(["rtspsrc", "rtpjitterbuffer", codec.depay()]),
        SourceUri::Srt { .. } => v.extend(["srtsrc", "tsdemux", "fakesink"]),
    }
    v
}

/// Elements the RTSP restream of a `codec` stream needs.
pub fn for_restream(codec: Codec) -> Vec<&'static str> {
    vec!["appsrc", codec.pay()]
}

/// Elements segmented recording needs.
pub fn for_recording(codec: Codec) -> Vec<&'static str> {
    vec!["appsrc", codec.parse(), "splitmuxsink", "matroskamux"]
}

/// Check that every element exists; the error lists each missing one with its Debian package.
pub fn check(elements: &[&'static str]) -> Result<()> {
    crate::init()?;
    let mut missing: Vec<MissingPlugin> = Vec::new();
    for &element in elements {
        if gst::ElementFactory::find(element).is_some()
            || missing.iter().any(|m| m.element == element)
        {
            continue;
        }
        let (plugin, debian_package) = KNOWN
            .iter()
            .find(|(e, _, _)| *e == element)
            .map(|(_, p, d)| (*p, *d))
            .unwrap_or(("unknown", "unknown (search with `apt-file search`)"));
        missing.push(MissingPlugin {
            element,
            plugin,
            debian_package,
        });
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(VideoError::MissingPlugins(missing))
    }
}

pub(crate) fn describe_missing(missing: &[MissingPlugin]) -> String {
    let mut packages: Vec<&str> = missing.iter().map(|m| m.debian_package).collect();
    packages.sort_unstable();
    packages.dedup();
    let list: Vec<String> = missing
        .iter()
        .map(|m| {
            format!(
                "`{}` (plugin {}, package {})",
                m.element, m.plugin, m.debian_package
            )
        })
        .collect();
    format!(
        "missing GStreamer element(s): {}; install them with `apt-get install {}`",
        list.join(", "),
        packages.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_element_has_a_known_package() {
        let sources = [
            "5600",
            "mpegts://0.0.0.0:5602",
            "rtsp://h/p?codec=h265",
            "srt://h:1",
        ];
        for s in sources {
            let src = SourceUri::parse(s).unwrap();
            for e in for_source(&src)
                .into_iter()
                .chain(for_restream(src.codec()))
                .chain(for_recording(src.codec()))
            {
                assert!(
                    KNOWN.iter().any(|(k, _, _)| *k == e),
                    "{e} has no package entry"
                );
            }
        }
    }

    #[test]
    fn the_message_names_the_package_to_install() {
        let m = vec![MissingPlugin {
            element: "avdec_h264",
            plugin: "libav",
            debian_package: "gstreamer1.0-libav",
        }];
        let text = describe_missing(&m);
        assert!(
            text.contains("apt-get install gstreamer1.0-libav"),
            "{text}"
        );
        assert!(text.contains("`avdec_h264`"), "{text}");
    }

    #[test]
    fn installed_elements_pass_and_an_unknown_one_is_reported() {
        check(&["queue", "appsink"]).unwrap();
        let err = check(&["vigie-no-such-element"]).unwrap_err().to_string();
        assert!(err.contains("vigie-no-such-element"), "{err}");
    }
}
