//! Fan-out of the received, parsed elementary stream (one access unit per buffer) to the restream and
//! the recorder. Subscribers only push into their own leaky `appsrc`, so a stalled consumer never
//! slows the pilot's display or the other consumers.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

type Subscriber = Box<dyn Fn(&gst::Sample) + Send + Sync>;

#[derive(Default)]
pub(crate) struct EncodedTap {
    subscribers: Mutex<Vec<(u64, Subscriber)>>,
    next_id: AtomicU64,
}

impl EncodedTap {
    pub(crate) fn subscribe(&self, f: impl Fn(&gst::Sample) + Send + Sync + 'static) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.push((id, Box::new(f)));
        }
        id
    }

    pub(crate) fn unsubscribe(&self, id: u64) {
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.retain(|(i, _)| *i != id);
        }
    }

    pub(crate) fn publish(&self, sample: &gst::Sample) {
        if let Ok(subs) = self.subscribers.lock() {
            for (_, f) in subs.iter() {
                f(sample);
            }
        }
    }
}

/// Feeds one `appsrc` from the tap: starts on a keyframe (a decoder or muxer cannot start elsewhere),
/// restamps buffers with the appsrc's own clock (`do-timestamp`), never blocks (leaky appsrc).
pub(crate) struct AppSrcFeeder {
    appsrc: gst_app::AppSrc,
    started: std::sync::atomic::AtomicBool,
}

impl AppSrcFeeder {
    pub(crate) fn new(appsrc: gst_app::AppSrc) -> Self {
        Self {
            appsrc,
            started: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Configure an appsrc for live, leaky feeding (its caps come with the first sample).
    pub(crate) fn configure(appsrc: &gst_app::AppSrc, max_buffers: u64) {
        appsrc.set_is_live(true);
        appsrc.set_format(gst::Format::Time);
        appsrc.set_do_timestamp(true);
        appsrc.set_max_buffers(max_buffers);
        appsrc.set_leaky_type(gst_app::AppLeakyType::Downstream);
        appsrc.set_property("block", false);
    }

    /// Push one access unit; returns false once the appsrc is gone (flushing / EOS).
    pub(crate) fn push(&self, sample: &gst::Sample) -> bool {
        let Some(buffer) = sample.buffer() else {
            return true;
        };
        if !self.started.load(Ordering::Relaxed) {
            if buffer.flags().contains(gst::BufferFlags::DELTA_UNIT) {
                return true;
            }
            self.started.store(true, Ordering::Relaxed);
        }
        // Caps carry codec_data (SPS/PPS); they change when the sender restarts.
        if let Some(caps) = sample.caps() {
            // Pointers first: the appsrc holds the very caps object it was given (it may also
            // have dropped it, when its media was prepared again), so a deep comparison is only
            // needed when the sender changed something.
            let held = self.appsrc.caps();
            if held
                .as_ref()
                .is_none_or(|h| h.as_ptr() != caps.as_ptr() && h.as_ref() != caps)
            {
                self.appsrc.set_caps(Some(&caps.to_owned()));
            }
        }
        let mut buffer = buffer.copy();
        {
            let b = buffer.make_mut();
            // The sending pipeline's timestamps mean nothing in ours; do-timestamp sets new ones.
            b.set_pts(gst::ClockTime::NONE);
            b.set_dts(gst::ClockTime::NONE);
        }
        let gone = matches!(
            self.appsrc.push_buffer(buffer),
            Err(gst::FlowError::Flushing) | Err(gst::FlowError::Eos)
        );
        if gone {
            // Stopped (its media unprepared): when it runs again it starts on a keyframe.
            self.started.store(false, Ordering::Relaxed);
        }
        !gone
    }
}
