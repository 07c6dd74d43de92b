//! Segmented recording: parsed access units → Matroska segments of a few seconds, cut on keyframes by
//! `splitmuxsink`. Matroska keeps every cluster written before a crash readable (plain MP4 loses the
//! whole open file: its index is written at the end). Each closed segment is hashed (SHA-256) off
//! the bus thread and reported with its time range and flags. A disk-space guard stops recording
//! with an alarm; the stream and the restream go on.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_rtsp_server::gio;
use gstreamer_rtsp_server::gio::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Result, VideoError};
use crate::events::{Events, SegmentInfo, VideoEvent};
use crate::ingest::Ingest;
use crate::stamp::now_unix_us;
use crate::tap::AppSrcFeeder;

#[derive(Debug, Clone)]
pub struct RecordConfig {
    pub dir: PathBuf,
    /// Target segment length; segments are cut on the first keyframe after it.
    pub segment: Duration,
    /// Recording stops with an alarm when the disk has less free space than this.
    pub min_free_bytes: u64,
}

impl RecordConfig {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RecordConfig {
            dir: dir.into(),
            segment: Duration::from_secs(4),
            min_free_bytes: 1 << 30,
        }
    }
}

/// Flags per segment. Between a segment's close and the next one's open, new flags wait in `pending`.
#[derive(Default)]
struct Flags {
    sticky: BTreeSet<String>,
    pending: BTreeSet<String>,
    current: Option<PathBuf>,
    by_path: std::collections::HashMap<PathBuf, BTreeSet<String>>,
}

impl Flags {
    fn flag(&mut self, flag: &str) {
        match &self.current {
            Some(p) => {
                self.by_path
                    .entry(p.clone())
                    .or_default()
                    .insert(flag.to_owned());
            }
            None => {
                self.pending.insert(flag.to_owned());
            }
        }
    }
    fn opened(&mut self, path: PathBuf) {
        let mut flags = self.sticky.clone();
        flags.append(&mut self.pending);
        self.by_path.insert(path.clone(), flags);
        self.current = Some(path);
    }
    fn closed(&mut self, path: &Path) -> Vec<String> {
        if self.current.as_deref() == Some(path) {
            self.current = None;
        }
        self.by_path
            .remove(path)
            .map(|f| f.into_iter().collect())
            .unwrap_or_default()
    }
}

struct Job {
    path: PathBuf,
    start_unix_us: u64,
    end_unix_us: u64,
    flags: Vec<String>,
}

/// A running recorder for one stream. [`Recorder::stop`] closes the open segment cleanly.
pub struct Recorder {
    stream: String,
    flags: Arc<Mutex<Flags>>,
    min_free: Arc<AtomicU64>,
    recording: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    pub fn start(config: RecordConfig, ingest: &Ingest, events: Events) -> Result<Recorder> {
        let codec = ingest.codec();
        crate::plugins::check(&crate::plugins::for_recording(codec))?;
        std::fs::create_dir_all(&config.dir).map_err(|source| VideoError::Io {
            path: config.dir.clone(),
            source,
        })?;
        let stream = ingest.stream().to_owned();
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
        let name = format!("{stream}-record");
        let desc = format!(
            "appsrc name={stream}-rec-src ! {parse} name={stream}-rec-parse ! splitmuxsink name={stream}-rec-sink muxer=matroskamux max-size-time={ns} max-size-bytes=0",
            parse = codec.parse(),
            ns = config.segment.as_nanos()
        );
        let pipeline = gst::parse::launch(&desc)
            .map_err(|e| VideoError::pipeline(&name, e))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| VideoError::pipeline(&name, "not a pipeline"))?;
        pipeline.set_property("name", &name);
        let sink = pipeline
            .by_name(&format!("{stream}-rec-sink"))
            .ok_or_else(|| VideoError::pipeline(&name, "no splitmuxsink"))?;
        let session = now_unix_us() / 1_000_000;
        let (dir, s2) = (config.dir.clone(), stream.clone());
        sink.connect("format-location", false, move |args| {
            let index = args.get(1).and_then(|v| v.get::<u32>().ok()).unwrap_or(0);
            Some(
                dir.join(format!("{s2}-{session}-{index:05}.mkv"))
                    .to_string_lossy()
                    .to_string()
                    .to_value(),
            )
        });
        let appsrc = pipeline
            .by_name(&format!("{stream}-rec-src"))
            .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
            .ok_or_else(|| VideoError::pipeline(&name, "no appsrc"))?;
        AppSrcFeeder::configure(&appsrc, 120);
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| VideoError::pipeline(&name, e))?;
        let feeder = AppSrcFeeder::new(appsrc.clone());
        let shared = ingest.shared().clone();
        let tap_id = shared.tap.subscribe(move |s| {
            feeder.push(s);
        });

        let flags = Arc::new(Mutex::new(Flags::default()));
        let min_free = Arc::new(AtomicU64::new(config.min_free_bytes));
        let recording = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let actor = RecActor {
            stream: stream.clone(),
            dir: config.dir.clone(),
            pipeline,
            appsrc,
            flags: flags.clone(),
            min_free: min_free.clone(),
            recording: recording.clone(),
            stop: stop.clone(),
            events,
            unsubscribe: Box::new(move || shared.tap.unsubscribe(tap_id)),
        };
        let thread = std::thread::Builder::new()
            .name(format!("record-{stream}"))
            .spawn(move || actor.run())
            .map_err(|e| VideoError::pipeline(&name, e))?;
        Ok(Recorder {
            stream,
            flags,
            min_free,
            recording,
            stop,
            thread: Some(thread),
        })
    }

    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// False once the recorder stopped (by request, alarm or error).
    pub fn is_recording(&self) -> bool {
        self.recording.load(Ordering::Relaxed)
    }

    /// Flag the segment being written (e.g. `domicile`: purged at 48 h); between two segments, the next one.
    pub fn flag_current(&self, flag: &str) {
        if let Ok(mut f) = self.flags.lock() {
            f.flag(flag);
        }
    }

    /// Flag every segment from now on until cleared (the open one included).
    pub fn set_sticky_flag(&self, flag: &str, on: bool) {
        if let Ok(mut f) = self.flags.lock() {
            if on {
                f.sticky.insert(flag.to_owned());
                f.flag(flag);
            } else {
                f.sticky.remove(flag);
            }
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
        self.stop.store(true, Ordering::Relaxed);
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

struct RecActor {
    stream: String,
    dir: PathBuf,
    pipeline: gst::Pipeline,
    appsrc: gst_app::AppSrc,
    flags: Arc<Mutex<Flags>>,
    min_free: Arc<AtomicU64>,
    recording: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    events: Events,
    unsubscribe: Box<dyn Fn() + Send>,
}

impl RecActor {
    fn run(self) {
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let hasher = {
            let (events, stream) = (self.events.clone(), self.stream.clone());
            std::thread::Builder::new()
                .name(format!("hash-{}", self.stream))
                .spawn(move || {
                    for job in jobs_rx {
                        match hash_file(&job.path) {
                            Ok((sha256_hex, bytes)) => {
                                events.emit(VideoEvent::SegmentClosed(SegmentInfo {
                                    stream: stream.clone(),
                                    path: job.path,
                                    sha256_hex,
                                    bytes,
                                    start_unix_us: job.start_unix_us,
                                    end_unix_us: job.end_unix_us,
                                    flags: job.flags,
                                }))
                            }
                            Err(e) => events.emit(VideoEvent::RecordingAlarm {
                                stream: stream.clone(),
                                message: format!(
                                    "segment {} could not be hashed: {e}",
                                    job.path.display()
                                ),
                            }),
                        }
                    }
                })
        };
        let Some(bus) = self.pipeline.bus() else {
            return;
        };
        let mut opened: Option<(PathBuf, u64)> = None;
        let mut last_check = Instant::now();
        let mut eos_sent: Option<Instant> = None;
        loop {
            if eos_sent.is_none() && self.stop.load(Ordering::Relaxed) {
                let _ = self.appsrc.end_of_stream();
                eos_sent = Some(Instant::now());
            }
            if eos_sent.is_some_and(|t| t.elapsed() > Duration::from_secs(5)) {
                tracing::warn!(stream = %self.stream, "recorder did not finish within 5 s");
                break;
            }
            if eos_sent.is_none() && last_check.elapsed() >= Duration::from_secs(1) {
                last_check = Instant::now();
                let min = self.min_free.load(Ordering::Relaxed);
                if let Some(free) = free_bytes(&self.dir)
                    && free < min
                {
                    let message = format!(
                        "recording stopped: {} MB free in {}, below the {} MB threshold",
                        free >> 20,
                        self.dir.display(),
                        min >> 20
                    );
                    tracing::error!(stream = %self.stream, %message);
                    self.events.emit(VideoEvent::RecordingAlarm {
                        stream: self.stream.clone(),
                        message,
                    });
                    (self.unsubscribe)();
                    let _ = self.appsrc.end_of_stream();
                    eos_sent = Some(Instant::now());
                }
            }
            let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
                continue;
            };
            match msg.view() {
                gst::MessageView::Element(e) => {
                    let Some(s) = e.structure() else { continue };
                    let location = s.get::<String>("location").ok().map(PathBuf::from);
                    match s.name().as_str() {
                        "splitmuxsink-fragment-opened" => {
                            if let (Some(l), Ok(mut f)) = (location, self.flags.lock()) {
                                f.opened(l.clone());
                                opened = Some((l, now_unix_us()));
                            }
                        }
                        "splitmuxsink-fragment-closed" => {
                            let Some(path) = location else { continue };
                            let start = match &opened {
                                Some((p, t)) if *p == path => *t,
                                _ => now_unix_us(),
                            };
                            let flags = self
                                .flags
                                .lock()
                                .map(|mut f| f.closed(&path))
                                .unwrap_or_default();
                            let _ = jobs_tx.send(Job {
                                path,
                                start_unix_us: start,
                                end_unix_us: now_unix_us(),
                                flags,
                            });
                        }
                        _ => {}
                    }
                }
                gst::MessageView::Eos(_) => break,
                gst::MessageView::Error(err) => {
                    let message = format!("recording failed: {}", err.error());
                    self.events.emit(VideoEvent::RecordingAlarm {
                        stream: self.stream.clone(),
                        message,
                    });
                    break;
                }
                _ => {}
            }
        }
        (self.unsubscribe)();
        let _ = self.pipeline.set_state(gst::State::Null);
        self.recording.store(false, Ordering::Relaxed);
        drop(jobs_tx);
        if let Ok(h) = hasher {
            let _ = h.join();
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
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn flags_land_on_the_segment_in_progress_or_the_next_one() {
        let (a, b, c) = (
            PathBuf::from("a.mkv"),
            PathBuf::from("b.mkv"),
            PathBuf::from("c.mkv"),
        );
        let mut f = Flags::default();
        f.opened(a.clone());
        assert_eq!(f.closed(&a), Vec::<String>::new());
        // Between two segments: goes to the next one.
        f.flag("domicile");
        f.opened(b.clone());
        f.sticky.insert("thermal".into());
        f.flag("thermal");
        assert_eq!(f.closed(&b), ["domicile", "thermal"]);
        f.opened(c.clone());
        assert_eq!(f.closed(&c), ["thermal"]);
    }
}
