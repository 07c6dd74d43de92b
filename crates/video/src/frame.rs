//! Decoded frames for the UI and the latest-frame slot they travel through: the producer overwrites,
//! the consumer takes the newest; nothing ever queues, nobody ever waits on the UI thread.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use gstreamer as gst;

/// One decoded RGBA picture with its timestamps. The decoder's buffer is kept as it is, rows
/// `stride_bytes` apart (a decoder or converter may pad rows or leave bytes after the picture);
/// [`Frame::rgba`] gives the tightly packed picture an image upload expects.
pub struct Frame {
    pub width: u32,
    pub height: u32,
    /// Bytes from the start of one row to the start of the next in the buffer (≥ `width * 4`).
    pub stride_bytes: usize,
    /// Presentation timestamp in the receive pipeline (ns), when it has one.
    pub pts_ns: Option<u64>,
    /// When the frame was handed to the slot (µs since the Unix epoch, realtime clock).
    pub received_unix_us: u64,
    /// Sequence number of this frame within its stream (counts every decoded frame).
    pub seq: u64,
    /// Where the first row starts in the buffer.
    offset: usize,
    // The mapped GStreamer buffer: no copy between the decoder and the UI when rows are packed.
    map: gst::MappedBuffer<gst::buffer::Readable>,
    /// The packed copy, made once, only for a buffer with padded rows or extra bytes.
    packed: OnceLock<Vec<u8>>,
}

/// Why a decoded buffer cannot be a frame (counted and skipped, never a panic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameRejected {
    Empty,
    StrideTooSmall {
        stride_bytes: usize,
        row_bytes: usize,
    },
    TooShort {
        len: usize,
        needed: usize,
    },
}

/// Where the picture lies in a decoded buffer: `height` rows of `width * 4` bytes, `stride_bytes`
/// apart, the first at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) stride_bytes: usize,
    pub(crate) offset: usize,
}

impl Frame {
    /// Check the layout against the buffer.
    pub(crate) fn new(
        map: gst::MappedBuffer<gst::buffer::Readable>,
        layout: Layout,
        pts_ns: Option<u64>,
        received_unix_us: u64,
        seq: u64,
    ) -> Result<Frame, FrameRejected> {
        let Layout {
            width,
            height,
            stride_bytes,
            offset,
        } = layout;
        let needed = frame_bytes_needed(width, height, stride_bytes, offset)?;
        if map.len() < needed {
            return Err(FrameRejected::TooShort {
                len: map.len(),
                needed,
            });
        }
        Ok(Frame {
            width,
            height,
            stride_bytes,
            pts_ns,
            received_unix_us,
            seq,
            offset,
            map,
            packed: OnceLock::new(),
        })
    }

    /// The picture as tightly packed RGBA rows: exactly `width * height * 4` bytes, whatever the
    /// decoder's row stride (copied once when the rows are padded, borrowed otherwise).
    pub fn rgba(&self) -> &[u8] {
        let row = self.row_bytes();
        let len = row * self.height as usize;
        let raw = self.map.as_slice();
        if self.stride_bytes == row
            && let Some(packed) = raw.get(self.offset..self.offset + len)
        {
            return packed;
        }
        self.packed.get_or_init(|| {
            let mut out = Vec::with_capacity(len);
            for y in 0..self.height as usize {
                out.extend_from_slice(self.row(y).unwrap_or(&[]));
            }
            out
        })
    }

    /// Row `y` (`width * 4` bytes), without copying.
    pub fn row(&self, y: usize) -> Option<&[u8]> {
        if y >= self.height as usize {
            return None;
        }
        let start = self.offset + y * self.stride_bytes;
        self.map.as_slice().get(start..start + self.row_bytes())
    }

    /// Bytes of picture in a row: `width * 4`.
    pub fn row_bytes(&self) -> usize {
        self.width as usize * 4
    }

    /// Row stride in bytes, as the decoder wrote them.
    pub fn stride(&self) -> usize {
        self.stride_bytes
    }

    /// The capture time drawn in the picture by a stamping sender (see [`crate::stamp`]), when it is
    /// plausible (within 60 s of the time the frame was received).
    pub fn capture_stamp_unix_us(&self) -> Option<u64> {
        let raw = self.map.as_slice().get(self.offset..)?;
        let stamp = crate::stamp::read_rgba(
            raw,
            self.stride_bytes,
            self.width as usize,
            self.height as usize,
        )?;
        crate::stamp::plausible(stamp, self.received_unix_us, 60_000_000).then_some(stamp)
    }
}

/// Bytes a buffer needs for this geometry (pure; the checks of [`Frame::new`]).
fn frame_bytes_needed(
    width: u32,
    height: u32,
    stride_bytes: usize,
    offset: usize,
) -> Result<usize, FrameRejected> {
    if width == 0 || height == 0 {
        return Err(FrameRejected::Empty);
    }
    let row_bytes = width as usize * 4;
    if stride_bytes < row_bytes {
        return Err(FrameRejected::StrideTooSmall {
            stride_bytes,
            row_bytes,
        });
    }
    Ok(offset + stride_bytes * (height as usize - 1) + row_bytes)
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("stride_bytes", &self.stride_bytes)
            .field("pts_ns", &self.pts_ns)
            .field("received_unix_us", &self.received_unix_us)
            .field("seq", &self.seq)
            .finish()
    }
}

#[derive(Default)]
struct SlotInner {
    latest: Option<Arc<Frame>>,
    /// Frames replaced before anyone took them.
    overwritten: u64,
    taken_seq: Option<u64>,
}

/// Latest-frame slot. Cloning gives another handle on the same slot.
#[derive(Clone, Default)]
pub struct FrameSlot {
    inner: Arc<(Mutex<SlotInner>, Condvar)>,
}

impl FrameSlot {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn put(&self, frame: Frame) {
        let (lock, cvar) = &*self.inner;
        let Ok(mut inner) = lock.lock() else { return };
        if let Some(old) = &inner.latest
            && inner.taken_seq != Some(old.seq)
        {
            inner.overwritten += 1;
        }
        inner.latest = Some(Arc::new(frame));
        cvar.notify_all();
    }

    /// The newest frame, without waiting (None before the first frame).
    pub fn latest(&self) -> Option<Arc<Frame>> {
        let (lock, _) = &*self.inner;
        let mut inner = lock.lock().ok()?;
        let frame = inner.latest.clone()?;
        inner.taken_seq = Some(frame.seq);
        Some(frame)
    }

    /// Wait (off the UI thread: tests, tools) for a frame newer than `after_seq`.
    pub fn wait_newer(&self, after_seq: Option<u64>, timeout: Duration) -> Option<Arc<Frame>> {
        let (lock, cvar) = &*self.inner;
        let deadline = std::time::Instant::now() + timeout;
        let mut inner = lock.lock().ok()?;
        loop {
            if let Some(f) = &inner.latest
                && after_seq.is_none_or(|s| f.seq > s)
            {
                let f = f.clone();
                inner.taken_seq = Some(f.seq);
                return Some(f);
            }
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            inner = cvar.wait_timeout(inner, left).ok()?.0;
        }
    }

    /// Frames the consumer never saw because a newer one replaced them.
    pub fn overwritten(&self) -> u64 {
        self.inner.0.lock().map(|i| i.overwritten).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(bytes: Vec<u8>) -> gst::MappedBuffer<gst::buffer::Readable> {
        crate::init().unwrap();
        gst::Buffer::from_slice(bytes)
            .into_mapped_buffer_readable()
            .unwrap()
    }

    fn lay(width: u32, height: u32, stride_bytes: usize) -> Layout {
        Layout {
            width,
            height,
            stride_bytes,
            offset: 0,
        }
    }

    fn frame(seq: u64) -> Frame {
        Frame::new(mapped(vec![0u8; 4 * 2 * 2]), lay(2, 2, 8), None, 0, seq).unwrap()
    }

    /// Regression: the UI's upload asserts `width * height * 4` bytes; a decoder that pads its rows
    /// (or leaves bytes after the picture) must give exactly that, with the right pixels.
    #[test]
    fn padded_rows_give_a_tightly_packed_picture() {
        let (w, h, stride) = (3u32, 2u32, 16usize);
        let mut bytes = vec![0xEEu8; stride * 2 + 7];
        for y in 0..2 {
            for x in 0..12 {
                bytes[y * stride + x] = (y * 12 + x) as u8;
            }
        }
        let f = Frame::new(mapped(bytes), lay(w, h, stride), None, 0, 1).unwrap();
        let packed: Vec<u8> = (0..24).collect();
        assert_eq!(f.rgba(), &packed[..]);
        assert_eq!(f.rgba().len(), (w * h * 4) as usize);
        assert_eq!(f.row(1), Some(&packed[12..24]));
        assert_eq!(f.row(2), None);
        // Packed rows but a longer buffer: still exactly the picture, no copy needed.
        let f = Frame::new(
            mapped(vec![7u8; 3 * 4 * 2 + 100]),
            lay(3, 2, 12),
            None,
            0,
            2,
        )
        .unwrap();
        assert_eq!(f.rgba().len(), 24);
    }

    #[test]
    fn buffers_that_cannot_hold_the_picture_are_refused_not_panicked_on() {
        let rows = [
            (0, 2, 8, 64, FrameRejected::Empty),
            (
                4,
                2,
                8,
                64,
                FrameRejected::StrideTooSmall {
                    stride_bytes: 8,
                    row_bytes: 16,
                },
            ),
            (
                2,
                2,
                8,
                15,
                FrameRejected::TooShort {
                    len: 15,
                    needed: 16,
                },
            ),
        ];
        for (w, h, stride, len, expected) in rows {
            let got = Frame::new(mapped(vec![0u8; len]), lay(w, h, stride), None, 0, 1).err();
            assert_eq!(got, Some(expected), "{w}x{h} stride {stride} len {len}");
        }
    }

    #[test]
    fn the_slot_keeps_only_the_newest_and_counts_frames_nobody_saw() {
        let slot = FrameSlot::new();
        assert!(slot.latest().is_none());
        slot.put(frame(1));
        slot.put(frame(2)); // 1 was never taken
        assert_eq!(slot.latest().unwrap().seq, 2);
        slot.put(frame(3)); // 2 was taken
        assert_eq!(slot.overwritten(), 1);
        assert_eq!(
            slot.wait_newer(Some(2), Duration::from_millis(10))
                .unwrap()
                .seq,
            3
        );
        assert!(
            slot.wait_newer(Some(3), Duration::from_millis(10))
                .is_none()
        );
        assert_eq!(slot.latest().unwrap().rgba().len(), 16);
    }
}
