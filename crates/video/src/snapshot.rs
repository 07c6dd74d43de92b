//! Snapshots: a still PNG of a decoded frame, with its time and the caller's metadata (the station
//! adds the vehicle's position) in PNG `tEXt` chunks.

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::error::{Result, VideoError};
use crate::frame::Frame;

/// A still picture and where it came from.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub received_unix_us: u64,
    /// The capture time drawn in the picture, when the sender stamps it.
    pub capture_unix_us: Option<u64>,
}

/// Encode `frame` as PNG with `text` (keyword, value) pairs plus `Vigie-Received-Unix-us`
/// (and `Vigie-Capture-Unix-us` when stamped). Keywords: 1-79 printable Latin-1 characters.
pub fn snapshot(frame: &Frame, text: &[(&str, &str)]) -> Result<Snapshot> {
    crate::init()?;
    crate::plugins::check(&["appsrc", "pngenc", "appsink"])?;
    let name = "snapshot";
    let pipeline = gst::parse::launch(&format!(
        "appsrc name=snap-src caps=video/x-raw,format=RGBA,width={},height={},framerate=0/1 format=time \
         ! pngenc snapshot=true ! appsink name=snap-sink sync=false",
        frame.width, frame.height
    ))
    .map_err(|e| VideoError::pipeline(name, e))?
    .downcast::<gst::Pipeline>()
    .map_err(|_| VideoError::pipeline(name, "not a pipeline"))?;
    let src = pipeline
        .by_name("snap-src")
        .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
        .ok_or_else(|| VideoError::pipeline(name, "no appsrc"))?;
    let sink = pipeline
        .by_name("snap-sink")
        .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
        .ok_or_else(|| VideoError::pipeline(name, "no appsink"))?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| VideoError::pipeline(name, e))?;
    let mut buffer = gst::Buffer::from_slice(frame.rgba().to_vec());
    if let Some(b) = buffer.get_mut() {
        b.set_pts(gst::ClockTime::ZERO);
    }
    let pushed = src.push_buffer(buffer).and_then(|_| src.end_of_stream());
    let sample = sink.try_pull_sample(gst::ClockTime::from_seconds(5));
    let _ = pipeline.set_state(gst::State::Null);
    pushed.map_err(|e| VideoError::pipeline(name, format!("{e:?}")))?;
    let sample =
        sample.ok_or_else(|| VideoError::pipeline(name, "the PNG encoder produced nothing"))?;
    let encoded = sample
        .buffer()
        .and_then(|b| b.map_readable().ok().map(|m| m.as_slice().to_vec()))
        .ok_or_else(|| VideoError::pipeline(name, "empty PNG"))?;
    let capture = frame.capture_stamp_unix_us();
    let mut chunks: Vec<(String, String)> = vec![(
        "Vigie-Received-Unix-us".into(),
        frame.received_unix_us.to_string(),
    )];
    if let Some(c) = capture {
        chunks.push(("Vigie-Capture-Unix-us".into(), c.to_string()));
    }
    chunks.extend(text.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let png = add_text_chunks(&encoded, &chunks)?;
    Ok(Snapshot {
        png,
        width: frame.width,
        height: frame.height,
        received_unix_us: frame.received_unix_us,
        capture_unix_us: capture,
    })
}

/// Insert `tEXt` chunks right after IHDR.
pub fn add_text_chunks(png: &[u8], text: &[(String, String)]) -> Result<Vec<u8>> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    let ihdr_end = SIG.len() + 4 + 4 + 13 + 4;
    if png.len() < ihdr_end || &png[..8] != SIG || &png[12..16] != b"IHDR" {
        return Err(VideoError::pipeline("snapshot", "not a PNG"));
    }
    let mut out = png[..ihdr_end].to_vec();
    for (key, value) in text {
        let key_ok = (1..=79).contains(&key.len()) && key.bytes().all(|b| (32..=126).contains(&b));
        if !key_ok {
            return Err(VideoError::pipeline(
                "snapshot",
                format!("PNG text keyword `{key}` must be 1-79 printable characters"),
            ));
        }
        let mut body = b"tEXt".to_vec();
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend(
            value
                .chars()
                .map(|c| if (c as u32) < 256 { c as u8 } else { b'?' }),
        );
        out.extend_from_slice(&((body.len() - 4) as u32).to_be_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    out.extend_from_slice(&png[ihdr_end..]);
    Ok(out)
}

/// CRC-32 (ISO-HDLC, the one PNG uses).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn text_chunks_go_after_ihdr_and_bad_keywords_are_refused() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&[0; 13]);
        png.extend_from_slice(&[0; 4]);
        png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        let out = add_text_chunks(&png, &[("Vigie-Position".into(), "43.5,4.9".into())]).unwrap();
        assert_eq!(&out[37..41], b"tEXt");
        assert!(out.ends_with(b"IEND\xAE\x42\x60\x82"));
        assert!(add_text_chunks(&png, &[(String::new(), "x".into())]).is_err());
        assert!(add_text_chunks(b"nope", &[]).is_err());
    }
}
