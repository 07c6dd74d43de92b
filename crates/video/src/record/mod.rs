//! Segmented recording of one stream, tied to a session (the flight): parsed access units →
//! Matroska segments of a few seconds, cut on keyframes by `splitmuxsink`, each hashed (SHA-256)
//! off the bus thread and reported with its session, index, time range, flags and why it closed.
//!
//! - **Outages**: when no video came for `gap` (the stream was lost), the segment in progress is
//!   closed; when video comes back, recording resumes in a new segment of the same session,
//!   starting at the first keyframe (nothing after it is lost: see [`gate`]).
//! - **Crashes**: a segment is written as `NAME.mkv.part` and renamed when closed; a `.part` left
//!   by a crash is recovered at the next start ([`recover`]): renamed, hashed, flagged
//!   `unfinalised`, or removed when it holds no video. A `.mkv` file always decodes.
//! - **Sessions**: [`Recorder::set_session`] closes the segment in progress and tags the next ones
//!   (flight id, directory); [`Recorder::cut`] starts a new segment on demand.
//! - **Disk space**: below `min_free_bytes` recording refuses to start, or stops with a
//!   `RecordingAlarm` (the open segment is closed and reported); the stream goes on.

mod flags;
mod gate;
mod naming;
mod recover;
mod run;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_rtsp_server::gio;
use gstreamer_rtsp_server::gio::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Result, VideoError};
use crate::events::{Events, SegmentEnd, SegmentInfo, VideoEvent};
use crate::ingest::Ingest;
use crate::stamp::now_unix_us;
use crate::uri::Codec;

pub use recover::{UNFINALISED, recover};

#[derive(Debug, Clone)]
pub struct RecordConfig {
    pub dir: PathBuf,
    /// The session the segments belong to (the flight id): in their names and their events.
    pub session: Option<String>,
    /// Target segment length; segments are cut on the first keyframe after it.
    pub segment: Duration,
    /// Recording stops with an alarm when the disk has less free space than this.
    pub min_free_bytes: u64,
    /// No video for this long closes the segment in progress (recording resumes in a new one).
    pub gap: Duration,
}

impl RecordConfig {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RecordConfig {
            dir: dir.into(),
            session: None,
            segment: Duration::from_secs(4),
            min_free_bytes: 1 << 30,
            gap: Duration::from_millis(1500),
        }
    }
}

enum Command {
    Cut,
    Session,
    Stop,
}

/// A running recorder for one stream. [`Recorder::stop`] closes the open segment cleanly.
pub struct Recorder {
    stream: String,
    flags: Arc<Mutex<flags::Flags>>,
    naming: Arc<naming::Naming>,
    min_free: Arc<AtomicU64>,
    recording: Arc<AtomicBool>,
    commands: mpsc::Sender<Command>,
    wake: mpsc::Sender<()>,
    unsubscribe: Option<Box<dyn FnOnce() + Send>>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Recover what a crash left in `config.dir` (reported first), then record `ingest`.
    pub fn start(config: RecordConfig, ingest: &Ingest, events: Events) -> Result<Recorder> {
        let codec = ingest.codec();
        crate::plugins::check(&crate::plugins::for_recording(codec))?;
        let stream = ingest.stream().to_owned();
        create_dir(&config.dir)?;
        if let Some(free) = free_bytes(&config.dir)
            && free < config.min_free_bytes
        {
            return Err(VideoError::Recording(format!(
                "only {} MB free in {}, below the {} MB threshold; free space or record elsewhere",
                free >> 20,
                config.dir.display(),
                config.min_free_bytes >> 20
            )));
        }
        for event in recover(&config.dir, &stream) {
            events.emit(event);
        }
        let naming = Arc::new(naming::Naming::new(
            &stream,
            config.dir.clone(),
            config.session.clone(),
        ));
        let flags = Arc::new(Mutex::new(flags::Flags::default()));
        let min_free = Arc::new(AtomicU64::new(config.min_free_bytes));
        let recording = Arc::new(AtomicBool::new(true));
        let (commands, commands_rx) = mpsc::channel();
        let (wake, wake_rx) = mpsc::channel();
        let gate = Arc::new(gate::Gate::new(wake.clone()));
        let actor = RecActor {
            stream: stream.clone(),
            codec,
            segment: config.segment,
            gap: config.gap,
            naming: naming.clone(),
            gate: gate.clone(),
            flags: flags.clone(),
            min_free: min_free.clone(),
            recording: recording.clone(),
            events,
            commands: commands_rx,
            wake: wake_rx,
        };
        let thread = std::thread::Builder::new()
            .name(format!("record-{stream}"))
            .spawn(move || actor.run())
            .map_err(|e| VideoError::pipeline(&stream, e))?;
        let shared = ingest.shared().clone();
        let tap_id = shared.tap.subscribe(move |s| gate.on_sample(s));
        Ok(Recorder {
            stream,
            flags,
            naming,
            min_free,
            recording,
            commands,
            wake,
            unsubscribe: Some(Box::new(move || shared.tap.unsubscribe(tap_id))),
            thread: Some(thread),
        })
    }

    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The session (flight id) new segments are tagged with.
    pub fn session(&self) -> Option<String> {
        self.naming.session()
    }

    /// False once the recorder stopped (by request, alarm or error).
    pub fn is_recording(&self) -> bool {
        self.recording.load(Ordering::Relaxed)
    }

    fn send(&self, c: Command) {
        let _ = self.commands.send(c);
        let _ = self.wake.send(());
    }

    /// Close the segment in progress at the next keyframe and go on in a new one (same session).
    pub fn cut(&self) {
        self.send(Command::Cut);
    }

    /// Close the segment in progress (at the next keyframe) and write the next ones in `dir`,
    /// tagged `session` (e.g. the flight the register just opened, or None after it closed).
    pub fn set_session(&self, session: Option<String>, dir: &Path) -> Result<()> {
        create_dir(dir)?;
        self.naming.set(dir.to_owned(), session);
        self.send(Command::Session);
        Ok(())
    }

    /// Flag the segment being written (e.g. `domicile`: purged at 48 h); between two segments, the next one.
    pub fn flag_current(&self, flag: &str) {
        let side = self.flags.lock().ok().and_then(|mut f| f.flag(flag));
        if let Some((part, flags)) = side
            && let Err(e) = flags::write_side_file(&part, &flags)
        {
            tracing::warn!(stream = %self.stream, error = %e, "could not keep the segment's flags beside it");
        }
    }

    /// Flag every segment from now on until cleared (the open one included).
    pub fn set_sticky_flag(&self, flag: &str, on: bool) {
        if on {
            if let Ok(mut f) = self.flags.lock() {
                f.sticky.insert(flag.to_owned());
            }
            self.flag_current(flag);
        } else if let Ok(mut f) = self.flags.lock() {
            f.sticky.remove(flag);
        }
    }

    /// Change the disk-space threshold (checked every second).
    pub fn set_min_free_bytes(&self, bytes: u64) {
        self.min_free.store(bytes, Ordering::Relaxed);
    }

    /// Close the open segment, hash it, report it, and stop.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(u) = self.unsubscribe.take() {
            u();
        }
        self.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| VideoError::Io {
        path: dir.to_owned(),
        source,
    })
}

struct Job {
    path: PathBuf,
    session: Option<String>,
    index: u32,
    start_unix_us: u64,
    end_unix_us: u64,
    flags: Vec<String>,
    closed_by: SegmentEnd,
}

/// The run in progress, and what is known about its segments.
struct Active {
    run: run::Run,
    serial: u32,
    /// Wall-clock time (µs) of the run's time 0.
    base_unix_us: u64,
    /// Why the next fragment closes (a cut or a session change asked for it).
    next_close: SegmentEnd,
    /// Set once its input was ended (EOS sent): why, and since when.
    finishing: Option<(SegmentEnd, Instant)>,
    /// `.part` path → (start µs) of the fragment in progress.
    open: Option<(PathBuf, u64)>,
}

struct RecActor {
    stream: String,
    codec: Codec,
    segment: Duration,
    gap: Duration,
    naming: Arc<naming::Naming>,
    gate: Arc<gate::Gate>,
    flags: Arc<Mutex<flags::Flags>>,
    min_free: Arc<AtomicU64>,
    recording: Arc<AtomicBool>,
    events: Events,
    commands: mpsc::Receiver<Command>,
    wake: mpsc::Receiver<()>,
}

impl RecActor {
    fn run(self) {
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let hasher = {
            let (events, stream) = (self.events.clone(), self.stream.clone());
            std::thread::Builder::new()
                .name(format!("hash-{}", self.stream))
                .spawn(move || hash_jobs(&stream, jobs_rx, &events))
        };
        let mut active: Option<Active> = None;
        let mut serial = 0u32;
        let mut stopping: Option<SegmentEnd> = None;
        let mut last_disk_check = Instant::now();
        loop {
            for c in self.commands.try_iter() {
                match c {
                    Command::Stop => stopping = Some(SegmentEnd::Stopped),
                    Command::Cut => {
                        if let Some(a) = active.as_mut().filter(|a| a.finishing.is_none()) {
                            a.next_close = SegmentEnd::Cut;
                            a.run.split();
                        }
                    }
                    // A new flight ends the run (its segment finalised now) rather than asking
                    // splitmuxsink for a split, which it may leave until the segment's length:
                    // the next video opens a run in the new flight's directory.
                    Command::Session => {
                        if let Some(a) = active.as_mut().filter(|a| a.finishing.is_none()) {
                            finish(a, SegmentEnd::SessionChanged);
                        }
                    }
                }
            }
            if stopping.is_none() && last_disk_check.elapsed() >= Duration::from_secs(1) {
                last_disk_check = Instant::now();
                if let Some(message) = self.disk_too_full() {
                    tracing::error!(stream = %self.stream, %message);
                    self.events.emit(VideoEvent::RecordingAlarm {
                        stream: self.stream.clone(),
                        message,
                    });
                    stopping = Some(SegmentEnd::DiskSpace);
                }
            }
            if let Some(why) = &stopping {
                self.gate.close();
                match &mut active {
                    None => break,
                    Some(a) if a.finishing.is_none() => finish(a, why.clone()),
                    Some(_) => {}
                }
            }
            let rollover = self.gate.take_rollover();
            if let Some(a) = active.as_mut().filter(|a| a.finishing.is_none()) {
                if rollover {
                    finish(a, SegmentEnd::CapsChanged);
                } else if self.gate.run_idle_for().is_some_and(|idle| idle > self.gap) {
                    // The stream was lost: close the segment; the next video opens a new one.
                    let _ = self.gate.detach();
                    finish(a, SegmentEnd::StreamLost);
                }
            }
            if active.is_none() && stopping.is_none() && self.gate.wants_run() {
                serial += 1;
                match self.start_run(serial) {
                    Ok(a) => active = Some(a),
                    Err(e) => {
                        self.events.emit(VideoEvent::RecordingAlarm {
                            stream: self.stream.clone(),
                            message: format!("recording could not start: {e}"),
                        });
                        stopping = Some(SegmentEnd::Failed);
                        continue;
                    }
                }
            }
            match &mut active {
                Some(a) => {
                    if self.pump(a, &jobs_tx) {
                        let _ = a.run.pipeline.set_state(gst::State::Null);
                        active = None;
                        if stopping == Some(SegmentEnd::Failed) {
                            break;
                        }
                    }
                }
                None => {
                    let _ = self.wake.recv_timeout(Duration::from_millis(100));
                }
            }
        }
        self.gate.close();
        if let Some(a) = active {
            let _ = a.run.pipeline.set_state(gst::State::Null);
        }
        self.recording.store(false, Ordering::Relaxed);
        drop(jobs_tx);
        if let Ok(h) = hasher {
            let _ = h.join();
        }
    }

    fn disk_too_full(&self) -> Option<String> {
        let min = self.min_free.load(Ordering::Relaxed);
        let dir = self.naming.dir()?;
        let free = free_bytes(&dir)?;
        (free < min).then(|| {
            format!(
                "recording stopped: {} MB free in {}, below the {} MB threshold",
                free >> 20,
                dir.display(),
                min >> 20
            )
        })
    }

    fn start_run(&self, serial: u32) -> Result<Active> {
        let run = run::build(
            &self.stream,
            self.codec,
            self.segment,
            serial,
            self.naming.clone(),
        )?;
        run.pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| VideoError::pipeline(&run.pipeline.name(), e))?;
        let since_base = self
            .gate
            .attach(run.appsrc.clone())
            .ok_or_else(|| VideoError::Recording("no video to record".into()))?;
        Ok(Active {
            run,
            serial,
            base_unix_us: now_unix_us().saturating_sub(since_base.as_micros() as u64),
            next_close: SegmentEnd::Length,
            finishing: None,
            open: None,
        })
    }

    /// Handle the run's bus for up to 100 ms; true once the run is over (EOS, error, stuck).
    fn pump(&self, a: &mut Active, jobs: &mpsc::Sender<Job>) -> bool {
        if a.finishing
            .as_ref()
            .is_some_and(|(_, t)| t.elapsed() > Duration::from_secs(5))
        {
            tracing::warn!(stream = %self.stream, "recorder run {} did not finish within 5 s", a.serial);
            self.events.emit(VideoEvent::RecordingAlarm {
                stream: self.stream.clone(),
                message: "the segment in progress did not close within 5 s; it is recovered at the next start".into(),
            });
            return true;
        }
        let Some(bus) = a.run.pipeline.bus() else {
            return true;
        };
        let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
            return false;
        };
        match msg.view() {
            gst::MessageView::Element(e) => {
                let Some(s) = e.structure() else { return false };
                let Some(part) = s.get::<String>("location").ok().map(PathBuf::from) else {
                    return false;
                };
                let running_us = s
                    .get::<u64>("running-time")
                    .ok()
                    .map(|ns| ns / 1000)
                    .unwrap_or(0);
                match s.name().as_str() {
                    "splitmuxsink-fragment-opened" => self.opened(a, part, running_us),
                    "splitmuxsink-fragment-closed" => self.closed(a, &part, running_us, jobs),
                    _ => {}
                }
                false
            }
            gst::MessageView::Eos(_) => true,
            gst::MessageView::Error(err) => {
                self.events.emit(VideoEvent::RecordingAlarm {
                    stream: self.stream.clone(),
                    message: format!("recording failed: {}", err.error()),
                });
                // What it wrote is kept as a `.part` and recovered at the next start.
                true
            }
            _ => false,
        }
    }

    fn opened(&self, a: &mut Active, part: PathBuf, running_us: u64) {
        let start = a.base_unix_us + running_us;
        let flags = self
            .flags
            .lock()
            .map(|mut f| f.opened(part.clone()))
            .unwrap_or_default();
        if !flags.is_empty()
            && let Err(e) = flags::write_side_file(&part, &flags)
        {
            tracing::warn!(stream = %self.stream, error = %e, "could not keep the segment's flags beside it");
        }
        let place = a.run.places.lock().ok().and_then(|p| p.get(&part).cloned());
        if let Some(place) = place {
            self.events.emit(VideoEvent::SegmentOpened {
                stream: self.stream.clone(),
                session: place.session,
                index: place.index,
                path: naming::finished_of(&part).unwrap_or_else(|| part.clone()),
                start_unix_us: start,
            });
        }
        a.open = Some((part, start));
    }

    fn closed(&self, a: &mut Active, part: &Path, running_us: u64, jobs: &mpsc::Sender<Job>) {
        let end_unix_us = a.base_unix_us + running_us;
        let start_unix_us = match &a.open {
            Some((p, t)) if p == part => *t,
            _ => end_unix_us,
        };
        a.open = None;
        let flags = self
            .flags
            .lock()
            .map(|mut f| f.closed(part))
            .unwrap_or_default();
        let place = a.run.places.lock().ok().and_then(|mut p| p.remove(part));
        let closed_by = match &a.finishing {
            Some((why, _)) => why.clone(),
            None => std::mem::replace(&mut a.next_close, SegmentEnd::Length),
        };
        let Some(finished) = naming::finished_of(part) else {
            return;
        };
        // No clobbering: a finished file is never replaced (hard link, then drop the part name).
        if let Err(e) = std::fs::hard_link(part, &finished).and_then(|_| std::fs::remove_file(part))
        {
            self.events.emit(VideoEvent::RecordingAlarm {
                stream: self.stream.clone(),
                message: format!(
                    "segment {} could not be renamed to {}: {e}",
                    part.display(),
                    finished.display()
                ),
            });
            return;
        }
        flags::remove_side_file(part);
        let _ = jobs.send(Job {
            path: finished,
            session: place.as_ref().and_then(|p| p.session.clone()),
            index: place.map(|p| p.index).unwrap_or(0),
            start_unix_us,
            end_unix_us: end_unix_us.max(start_unix_us),
            flags,
            closed_by,
        });
    }
}

/// End the run's input: splitmuxsink closes the segment in progress, then posts EOS.
fn finish(a: &mut Active, why: SegmentEnd) {
    let _ = a.run.appsrc.end_of_stream();
    a.finishing = Some((why, Instant::now()));
}

fn hash_jobs(stream: &str, jobs: mpsc::Receiver<Job>, events: &Events) {
    for job in jobs {
        match hash_file(&job.path) {
            Ok((sha256_hex, bytes)) => events.emit(VideoEvent::SegmentClosed(SegmentInfo {
                stream: stream.to_owned(),
                session: job.session,
                index: job.index,
                path: job.path,
                sha256_hex,
                bytes,
                start_unix_us: job.start_unix_us,
                end_unix_us: job.end_unix_us,
                flags: job.flags,
                closed_by: job.closed_by,
            })),
            Err(e) => events.emit(VideoEvent::RecordingAlarm {
                stream: stream.to_owned(),
                message: format!("segment {} could not be hashed: {e}", job.path.display()),
            }),
        }
    }
}

/// SHA-256 (hex) and size of a file.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), total))
}

/// Free bytes on the filesystem holding `dir` (None when it cannot be asked).
fn free_bytes(dir: &Path) -> Option<u64> {
    let info = gio::File::for_path(dir)
        .query_filesystem_info("filesystem::free", gio::Cancellable::NONE)
        .ok()?;
    info.has_attribute("filesystem::free")
        .then(|| info.attribute_uint64("filesystem::free"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_of_a_known_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, b"abc").unwrap();
        let (h, n) = hash_file(&p).unwrap();
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(n, 3);
    }

    #[test]
    fn free_space_is_readable() {
        crate::init().unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).is_some_and(|b| b > 0));
    }

    #[test]
    fn a_part_without_video_is_removed_and_said() {
        crate::init().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("d.F1.00004.mkv.part");
        std::fs::write(&part, b"").unwrap();
        let events = recover(dir.path(), "d");
        assert!(
            matches!(&events[..], [VideoEvent::SegmentDiscarded { bytes: 0, .. }]),
            "{events:?}"
        );
        assert!(!part.exists());
        // Another stream's part is not touched.
        let other = dir.path().join("e.00000.mkv.part");
        std::fs::write(&other, b"").unwrap();
        assert!(recover(dir.path(), "d").is_empty());
        assert!(other.exists());
    }
}
