//! Where the tap's access units go for the recorder: into the recording pipeline in progress
//! (a "run"), or — between two runs, after a stream outage — into a backlog that starts at a
//! keyframe, so the next run (a new segment of the same session) starts on the first keyframe
//! that came back and loses nothing. Buffers are stamped with their arrival time relative to the
//! run's start, so a segment's length is real time, whatever the sender's clock.
//!
//! Called on the ingest's streaming thread: it never blocks (the appsrc is leaky).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer_app as gst_app;

/// At 30 fps, 20 s of video waiting for a run to start (it takes milliseconds; this only bounds
/// memory if the recorder cannot start one).
const BACKLOG_MAX: usize = 600;

struct Arrived {
    sample: gst::Sample,
    at: Instant,
}

/// The input of the run in progress.
pub(crate) struct RunInput {
    appsrc: gst_app::AppSrc,
    base: Instant,
    caps: Option<gst::Caps>,
}

#[derive(Default)]
struct State {
    run: Option<RunInput>,
    backlog: VecDeque<Arrived>,
    /// A run is wanted (video is waiting in the backlog) and the actor was told.
    want_run: bool,
    /// The stream's caps changed under a run (a restarted sender): the run was detached and must
    /// be finished; its successor starts with the new caps.
    rollover: bool,
    closed: bool,
    last_arrival: Option<Instant>,
}

pub(crate) struct Gate {
    state: Mutex<State>,
    wake: Mutex<mpsc::Sender<()>>,
}

fn is_keyframe(sample: &gst::Sample) -> bool {
    sample
        .buffer()
        .is_some_and(|b| !b.flags().contains(gst::BufferFlags::DELTA_UNIT))
}

fn same_caps(a: Option<&gst::Caps>, b: Option<&gst::CapsRef>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.as_ref() == b,
        (None, None) => true,
        _ => false,
    }
}

impl Gate {
    pub(crate) fn new(wake: mpsc::Sender<()>) -> Gate {
        Gate {
            state: Mutex::new(State::default()),
            wake: Mutex::new(wake),
        }
    }

    fn wake(&self) {
        if let Ok(w) = self.wake.lock() {
            let _ = w.send(());
        }
    }

    /// One access unit from the tap.
    pub(crate) fn on_sample(&self, sample: &gst::Sample) {
        let now = Instant::now();
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if st.closed {
            return;
        }
        st.last_arrival = Some(now);
        if let Some(run) = &st.run {
            if same_caps(run.caps.as_ref(), sample.caps()) {
                let arrived = Arrived {
                    sample: sample.clone(),
                    at: now,
                };
                if push(run, &arrived) {
                    return;
                }
                // The run's appsrc is gone (flushing, EOS): the actor finishes it.
                st.run = None;
            } else {
                st.run = None;
                st.rollover = true;
            }
        }
        if is_keyframe(sample) {
            st.backlog.clear();
        } else if st.backlog.is_empty() {
            // A segment starts on a keyframe: wait for one.
            return;
        }
        if st.backlog.len() >= BACKLOG_MAX {
            st.backlog.clear();
            return;
        }
        st.backlog.push_back(Arrived {
            sample: sample.clone(),
            at: now,
        });
        if !st.want_run {
            st.want_run = true;
            drop(st);
            self.wake();
        }
    }

    /// Whether a new run is wanted (video waits in the backlog).
    pub(crate) fn wants_run(&self) -> bool {
        self.state
            .lock()
            .map(|s| s.want_run && s.run.is_none() && !s.closed && !s.backlog.is_empty())
            .unwrap_or(false)
    }

    /// A new run takes the backlog and the flow from now on. Returns the wall-clock offset of its
    /// time 0 (the first keyframe's arrival) from now, in µs, for the segment times.
    pub(crate) fn attach(&self, appsrc: gst_app::AppSrc) -> Option<Duration> {
        let mut st = self.state.lock().ok()?;
        let first = st.backlog.front()?;
        let base = first.at;
        let caps = first.sample.caps().map(|c| c.to_owned());
        appsrc.set_caps(caps.as_ref());
        let input = RunInput { appsrc, base, caps };
        for a in st.backlog.drain(..) {
            if !push(&input, &a) {
                break;
            }
        }
        st.run = Some(input);
        st.want_run = false;
        Some(Instant::now().saturating_duration_since(base))
    }

    /// Take the run's input away (the run is then finished with an EOS by the actor).
    pub(crate) fn detach(&self) -> Option<gst_app::AppSrc> {
        let mut st = self.state.lock().ok()?;
        st.run.take().map(|r| r.appsrc)
    }

    /// Stop taking video (the recorder stops): nothing more goes anywhere.
    pub(crate) fn close(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.closed = true;
            st.run = None;
            st.backlog.clear();
        }
    }

    /// Time since the last access unit arrived, while a run is attached.
    pub(crate) fn run_idle_for(&self) -> Option<Duration> {
        let st = self.state.lock().ok()?;
        st.run.as_ref()?;
        st.last_arrival.map(|t| t.elapsed())
    }

    /// Whether the caps changed under the run since last asked.
    pub(crate) fn take_rollover(&self) -> bool {
        self.state
            .lock()
            .map(|mut s| std::mem::take(&mut s.rollover))
            .unwrap_or(false)
    }
}

/// Push one access unit stamped with its arrival (DTS), keeping the sender's PTS − DTS offset (so
/// a stream with B-frames keeps its order). False once the appsrc takes no more.
fn push(run: &RunInput, a: &Arrived) -> bool {
    let Some(buffer) = a.sample.buffer() else {
        return true;
    };
    let offset_ns = match (buffer.pts(), buffer.dts()) {
        (Some(p), Some(d)) if p >= d => p.nseconds() - d.nseconds(),
        _ => 0,
    };
    let dts_ns = a.at.saturating_duration_since(run.base).as_nanos() as u64;
    let mut buffer = buffer.copy();
    {
        let b = buffer.make_mut();
        b.set_dts(gst::ClockTime::from_nseconds(dts_ns));
        b.set_pts(gst::ClockTime::from_nseconds(dts_ns + offset_ns));
        b.set_duration(gst::ClockTime::NONE);
    }
    !matches!(
        run.appsrc.push_buffer(buffer),
        Err(gst::FlowError::Flushing) | Err(gst::FlowError::Eos)
    )
}
