//! After a crash (power cut, SIGKILL): the segment that was being written is a `.part` file.
//! Matroska keeps every complete cluster readable, so a `.part` that holds video is renamed to
//! its segment name, hashed and reported with the `unfinalised` flag (no index, no duration: the
//! register marks it so); one that holds no video (the crash came before its first cluster) is
//! removed, and said. Either way no file named `.mkv` is ever undecodable.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use gstreamer as gst;
use gstreamer::prelude::*;

use super::flags::{read_side_file, remove_side_file};
use super::naming::{PART, finished_of, parse_name};
use crate::elements::{P, make};
use crate::events::{SegmentEnd, SegmentInfo, VideoEvent};
use crate::stamp::now_unix_us;

/// The flag of a segment recovered after a crash.
pub const UNFINALISED: &str = "unfinalised";

/// Recover every `.part` segment of `stream` in `dir`: the events to report (closed segments, or
/// removed empty ones), in index order.
pub fn recover(dir: &Path, stream: &str) -> Vec<VideoEvent> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut parts: Vec<(u32, Option<String>, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            if !name.ends_with(PART) {
                return None;
            }
            let (s, session, index) = parse_name(name)?;
            (s == stream).then_some((index, session, p))
        })
        .collect();
    parts.sort();
    parts
        .into_iter()
        .filter_map(|(index, session, part)| recover_one(stream, session, index, &part))
        .collect()
}

fn recover_one(
    stream: &str,
    session: Option<String>,
    index: u32,
    part: &Path,
) -> Option<VideoEvent> {
    let meta = std::fs::metadata(part).ok()?;
    let bytes = meta.len();
    let frames = video_frames(part);
    let finished = finished_of(part)?;
    if frames == 0 {
        tracing::warn!(path = %part.display(), bytes, "removing a segment left by a crash before any video was written");
        let removed = std::fs::remove_file(part);
        remove_side_file(part);
        return Some(match removed {
            Ok(()) => VideoEvent::SegmentDiscarded {
                stream: stream.to_owned(),
                path: part.to_owned(),
                bytes,
                reason: "left by a crash before any video was written".into(),
            },
            Err(e) => VideoEvent::RecordingAlarm {
                stream: stream.to_owned(),
                message: format!(
                    "{} holds no video and cannot be removed: {e}",
                    part.display()
                ),
            },
        });
    }
    let mut flags = read_side_file(part);
    flags.push(UNFINALISED.into());
    // No clobbering: a finished file of that name is never replaced.
    if let Err(e) = std::fs::hard_link(part, &finished).and_then(|_| std::fs::remove_file(part)) {
        return Some(VideoEvent::RecordingAlarm {
            stream: stream.to_owned(),
            message: format!(
                "segment {} left by a crash could not be renamed to {}: {e}",
                part.display(),
                finished.display()
            ),
        });
    }
    remove_side_file(part);
    let to_us = |t: std::io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_micros() as u64)
    };
    let end_unix_us = to_us(meta.modified()).unwrap_or_else(now_unix_us);
    let start_unix_us = to_us(meta.created())
        .unwrap_or(end_unix_us)
        .min(end_unix_us);
    Some(match super::hash_file(&finished) {
        Ok((sha256_hex, bytes)) => VideoEvent::SegmentClosed(SegmentInfo {
            stream: stream.to_owned(),
            session,
            index,
            path: finished,
            sha256_hex,
            bytes,
            start_unix_us,
            end_unix_us,
            flags,
            closed_by: SegmentEnd::Recovered,
        }),
        Err(e) => VideoEvent::RecordingAlarm {
            stream: stream.to_owned(),
            message: format!("segment {} could not be hashed: {e}", finished.display()),
        },
    })
}

/// Video buffers a Matroska file yields up to its end or its first damage (0 when unreadable).
pub(crate) fn video_frames(path: &Path) -> u64 {
    let count = Arc::new(AtomicU64::new(0));
    let Some(location) = path.to_str() else {
        return 0;
    };
    let pipeline = gst::Pipeline::with_name("recover");
    let built = (|| -> crate::Result<()> {
        let src = make("filesrc", "recover-src", &[("location", P::Str(location))])?;
        let demux = make("matroskademux", "recover-demux", &[])?;
        let sink = make(
            "fakesink",
            "recover-sink",
            &[("sync", P::Bool(false)), ("async", P::Bool(false))],
        )?;
        crate::elements::add(pipeline.upcast_ref(), &[&src, &demux, &sink])?;
        crate::elements::link(&[&src, &demux])?;
        let sink_pad = sink.static_pad("sink");
        demux.connect_pad_added(move |_, pad| {
            let video = pad
                .current_caps()
                .and_then(|c| c.structure(0).map(|s| s.name().starts_with("video/")))
                .unwrap_or(true);
            if let Some(sp) = &sink_pad
                && video
                && !sp.is_linked()
            {
                let _ = pad.link(sp);
            }
        });
        if let Some(pad) = sink.static_pad("sink") {
            let c = count.clone();
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                c.fetch_add(1, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
        }
        Ok(())
    })();
    if built.is_err() || pipeline.set_state(gst::State::Playing).is_err() {
        let _ = pipeline.set_state(gst::State::Null);
        return 0;
    }
    // A truncated file may end in an error rather than EOS; both end the count.
    if let Some(bus) = pipeline.bus() {
        let _ = bus.timed_pop_filtered(
            gst::ClockTime::from_seconds(30),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        );
    }
    let _ = pipeline.set_state(gst::State::Null);
    count.load(Ordering::Relaxed)
}
