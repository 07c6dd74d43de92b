//! Decoded frames for the UI and the latest-frame slot they travel through: the producer overwrites,
//! the consumer takes the newest; nothing ever queues, nobody ever waits on the UI thread.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use gstreamer as gst;

/// One decoded RGBA picture (tightly packed, `width * 4` bytes a row) with its timestamps.
pub struct Frame {
    pub width: u32,
    pub height: u32,
    /// Presentation timestamp in the receive pipeline (ns), when it has one.
    pub pts_ns: Option<u64>,
    /// When the frame was handed to the slot (µs since the Unix epoch, realtime clock).
    pub received_unix_us: u64,
    /// Sequence number of this frame within its stream (counts every decoded frame).
    pub seq: u64,
    // The mapped GStreamer buffer: no copy between the decoder and the UI.
    pub(crate) map: gst::MappedBuffer<gst::buffer::Readable>,
}

impl Frame {
    /// RGBA bytes, `width * height * 4` of them.
    pub fn rgba(&self) -> &[u8] {
        self.map.as_slice()
    }

    /// Row stride in bytes.
    pub fn stride(&self) -> usize {
        self.width as usize * 4
    }

    /// The capture time drawn in the picture by a stamping sender (see [`crate::stamp`]), when it is
    /// plausible (within 60 s of the time the frame was received).
    pub fn capture_stamp_unix_us(&self) -> Option<u64> {
        let stamp = crate::stamp::read_rgba(
            self.rgba(),
            self.stride(),
            self.width as usize,
            self.height as usize,
        )?;
        crate::stamp::plausible(stamp, self.received_unix_us, 60_000_000).then_some(stamp)
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
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

    fn frame(seq: u64) -> Frame {
        crate::init().unwrap();
        let buffer = gst::Buffer::from_slice(vec![0u8; 4 * 2 * 2]);
        Frame {
            width: 2,
            height: 2,
            pts_ns: None,
            received_unix_us: 0,
            seq,
            map: buffer.into_mapped_buffer_readable().unwrap(),
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
