//! Each vehicle's video, owned by the station: one ingest per configured source (its frames are
//! what the UI shows), recording tied to the flight the register opened (every closed segment
//! goes to the register with its SHA-256, before the flight is sealed), the stream's health as
//! alarms, and — when configured — an RTSP server for the CSU's viewers whose every session is
//! in the register before its first frame (CSI L242-4: who had access, live relay included).
//! Nothing here blocks the actor: stopping a recorder waits for its last segment, so it runs on
//! a blocking thread.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use vigie_video::{
    Admission, Events, FrameSlot, Ingest, IngestConfig, RecordConfig, Recorder, RestreamConfig,
    RtspRestream, SegmentInfo, SourceUri, VideoEvent, ViewerSession,
};

use crate::protocol::VehicleId;
use crate::register_thread::RecordMsg;

/// What a stream's health does to the core (alarms).
#[derive(Debug, Clone, PartialEq)]
pub enum VideoHealth {
    Up {
        stream: String,
    },
    Lost {
        stream: String,
        reason: String,
    },
    /// Recording stopped (disk space, write failure); the stream goes on.
    RecordingStopped {
        stream: String,
        reason: String,
    },
    /// A stream the vehicle announced (VIDEO_STREAM_INFORMATION) is being received.
    Announced {
        stream: String,
        source: String,
    },
    /// A stream the vehicle announced cannot be used (its URI, the station), and why.
    Unusable {
        stream: String,
        reason: String,
    },
}

/// The frame slots of the vehicles' streams, shared with the handle (the UI reads them).
pub type FrameSlots = Arc<Mutex<BTreeMap<(VehicleId, Camera), FrameSlot>>>;

/// Each vehicle's RTSP URL on the station's server (to give to the CSU, a VMS, VLC).
pub type RtspUrls = Arc<Mutex<BTreeMap<VehicleId, String>>>;

/// Role written in the register for someone watching a stream.
pub const VIEWER_ROLE: &str = "CSU viewer";

fn at(unix_us: u64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(i64::try_from(unix_us).unwrap_or(i64::MAX))
        .unwrap_or_else(Utc::now)
}

/// The register entry of a viewer session's start (the station's and the relay's alike).
pub fn viewer_start(
    session: &ViewerSession,
    flight_id: Option<String>,
) -> vigie_register::ViewerSessionStart {
    vigie_register::ViewerSessionStart {
        session_id: session.session_id.clone(),
        flight_id,
        viewer: vigie_register::Actor {
            id: session.user.clone(),
            name: session.user.clone(),
            role: VIEWER_ROLE.into(),
        },
        from: format!("{} ({})", session.peer, session.scheme),
        stream: session.stream.clone(),
        started_at: at(session.start_unix_us),
    }
}

pub fn viewer_end(session: &ViewerSession) -> vigie_register::ViewerSessionEnd {
    vigie_register::ViewerSessionEnd {
        session_id: session.session_id.clone(),
        ended_at: session.end_unix_us.map(at).unwrap_or_else(Utc::now),
    }
}

/// Which of a vehicle's cameras.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Camera {
    Visible,
    Thermal,
}

/// The name of a vehicle's visible stream (its RTSP path, its segments' camera).
pub fn stream_name(vehicle: VehicleId) -> String {
    format!("drone-{}", vehicle.0)
}

/// The name of one of a vehicle's streams: `drone-1`, `drone-1-thermal`.
pub fn camera_stream(vehicle: VehicleId, camera: Camera) -> String {
    match camera {
        Camera::Visible => stream_name(vehicle),
        Camera::Thermal => format!("drone-{}-thermal", vehicle.0),
    }
}

struct VehicleVideo {
    ingest: Ingest,
    recorder: Option<Recorder>,
}

/// Where a stream's frames, health, segments and URL go.
struct Sinks {
    health: Arc<dyn Fn(VehicleId, VideoHealth) + Send + Sync>,
    record: Option<std::sync::mpsc::Sender<RecordMsg>>,
    slots: FrameSlots,
    urls: RtspUrls,
}

/// What a vehicle's announcement asks of the station: streams to start (off the actor: an
/// ingest's pipeline takes tens of milliseconds to build) and announcements it cannot use.
#[derive(Default)]
pub struct Announced {
    pub start: Vec<StartVideo>,
    pub refused: Vec<VideoHealth>,
}

/// One stream to start; [`StartVideo::run`] builds its ingest, [`Videos::started`] installs it.
pub struct StartVideo {
    pub vehicle: VehicleId,
    pub camera: Camera,
    source: SourceUri,
    events: Events,
}

impl StartedVideo {
    pub fn vehicle(&self) -> VehicleId {
        self.vehicle
    }
}

impl StartVideo {
    /// Build and start the ingest (blocking: run it on a blocking thread).
    pub fn run(self) -> StartedVideo {
        let stream = camera_stream(self.vehicle, self.camera);
        let source = self.source.redacted();
        let ingest = Ingest::start(IngestConfig::new(stream, self.source), self.events)
            .map_err(|e| e.to_string());
        StartedVideo {
            vehicle: self.vehicle,
            camera: self.camera,
            source,
            ingest,
        }
    }
}

pub struct StartedVideo {
    vehicle: VehicleId,
    camera: Camera,
    source: String,
    ingest: std::result::Result<Ingest, String>,
}

pub struct Videos {
    by_vehicle: BTreeMap<(VehicleId, Camera), VehicleVideo>,
    events: BTreeMap<VehicleId, Events>,
    /// Dropped before the ingests it serves.
    rtsp: Option<RtspRestream>,
    /// The flight each stream belongs to now (a viewer's session names it).
    flights: Arc<Mutex<BTreeMap<String, String>>>,
    /// Each open flight's id and directory: a stream that starts mid-flight is recorded with it.
    open: BTreeMap<VehicleId, (String, PathBuf)>,
    /// Vehicles whose video the operator configured: what they announce is not used (the
    /// operator's configuration is the one they checked).
    configured: BTreeSet<VehicleId>,
    /// Use the streams vehicles announce (VIDEO_STREAM_INFORMATION).
    use_announced: bool,
    /// Announcements acted on, each once (vehicle, stream id, URI): a camera repeating its
    /// message does not restart anything, one that changes its URI is heard again.
    announcements: BTreeSet<(VehicleId, u8, String)>,
    /// Streams being started off the actor.
    starting: BTreeSet<(VehicleId, Camera)>,
    /// GStreamer initialised (None: not tried yet).
    gst: Option<std::result::Result<(), String>>,
    sinks: Sinks,
}

/// The register's record of one closed segment, or None when it belongs to no flight.
pub fn segment_record(info: &SegmentInfo) -> Option<vigie_register::VideoSegment> {
    let flight_id = info.session.clone()?;
    let at = |us: u64| {
        chrono::DateTime::from_timestamp_micros(i64::try_from(us).unwrap_or(i64::MAX))
            .unwrap_or_default()
    };
    Some(vigie_register::VideoSegment {
        flight_id,
        camera: info.stream.clone(),
        started_at: at(info.start_unix_us),
        ended_at: at(info.end_unix_us),
        file: vigie_register::FileRef {
            path: info.path.display().to_string(),
            sha256: info.sha256_hex.clone(),
            bytes: info.bytes,
        },
        domicile: info.flags.iter().any(|f| f == "domicile"),
    })
}

/// What the station's configuration says about video.
pub struct VideoConfig<'a> {
    pub sources: &'a BTreeMap<VehicleId, SourceUri>,
    pub thermal: &'a BTreeMap<VehicleId, SourceUri>,
    pub rtsp: Option<RestreamConfig>,
    pub use_announced: bool,
}

impl Videos {
    /// Start an ingest per configured source, and the RTSP server when asked. Health goes to
    /// `health` (the actor's inputs); closed segments go straight to the register (`record`),
    /// so they are filed before the seal that the actor sends after stopping the recorder.
    pub fn start(
        config: VideoConfig<'_>,
        health: Arc<dyn Fn(VehicleId, VideoHealth) + Send + Sync>,
        record: Option<std::sync::mpsc::Sender<RecordMsg>>,
        slots: &FrameSlots,
        urls: &RtspUrls,
    ) -> Self {
        let mut videos = Self {
            by_vehicle: BTreeMap::new(),
            events: BTreeMap::new(),
            rtsp: None,
            flights: Arc::new(Mutex::new(BTreeMap::new())),
            open: BTreeMap::new(),
            configured: config
                .sources
                .keys()
                .chain(config.thermal.keys())
                .copied()
                .collect(),
            use_announced: config.use_announced,
            announcements: BTreeSet::new(),
            starting: BTreeSet::new(),
            gst: None,
            sinks: Sinks {
                health,
                record,
                slots: slots.clone(),
                urls: urls.clone(),
            },
        };
        if videos.configured.is_empty() && config.rtsp.is_none() {
            return videos;
        }
        if !videos.gst_ready() {
            return videos;
        }
        if let Some(c) = config.rtsp {
            videos.rtsp = serve_rtsp(c, videos.sinks.record.clone(), &videos.flights);
        }
        for (camera, sources) in [
            (Camera::Visible, config.sources),
            (Camera::Thermal, config.thermal),
        ] {
            for (&vehicle, source) in sources {
                let stream = camera_stream(vehicle, camera);
                let events = videos.events_for(vehicle);
                match Ingest::start(IngestConfig::new(stream, source.clone()), events) {
                    Ok(ingest) => videos.install(vehicle, camera, ingest),
                    Err(e) => tracing::error!(
                        "{camera:?} video of vehicle {} not started: {e}",
                        vehicle.0
                    ),
                }
            }
        }
        videos
    }

    fn gst_ready(&mut self) -> bool {
        let ready = self
            .gst
            .get_or_insert_with(|| vigie_video::init().map_err(|e| e.to_string()));
        if let Err(e) = ready {
            tracing::error!("video disabled: {e}");
            return false;
        }
        true
    }

    /// The vehicle's event sink: its cameras' health and segments go the same way.
    fn events_for(&mut self, vehicle: VehicleId) -> Events {
        let sinks = (self.sinks.health.clone(), self.sinks.record.clone());
        self.events
            .entry(vehicle)
            .or_insert_with(|| vehicle_events(vehicle, sinks.0, sinks.1))
            .clone()
    }

    /// A started stream: its frames to the UI, served over RTSP, recorded with the open flight.
    fn install(&mut self, vehicle: VehicleId, camera: Camera, ingest: Ingest) {
        if let Ok(mut s) = self.sinks.slots.lock() {
            s.insert((vehicle, camera), ingest.frames());
        }
        if let Some(server) = &self.rtsp {
            match server.add_stream(&ingest) {
                Ok(url) => {
                    tracing::info!(%url, "vehicle {}'s {camera:?} video served over RTSP", vehicle.0);
                    if camera == Camera::Visible
                        && let Ok(mut u) = self.sinks.urls.lock()
                    {
                        u.insert(vehicle, url);
                    }
                }
                Err(e) => {
                    tracing::error!("vehicle {}'s video not served over RTSP: {e}", vehicle.0)
                }
            }
        }
        self.by_vehicle.insert(
            (vehicle, camera),
            VehicleVideo {
                ingest,
                recorder: None,
            },
        );
        if let Some((flight_id, dir)) = self.open.get(&vehicle).cloned() {
            self.record_camera(vehicle, camera, &flight_id, &dir);
        }
    }

    /// The vehicle announced its streams (VIDEO_STREAM_INFORMATION): those the station should
    /// receive and has not yet, and those it cannot use (with the reason, for the pilot).
    pub fn announced(
        &mut self,
        vehicle: VehicleId,
        streams: &[vigie_link::VideoStreamInfo],
    ) -> Announced {
        let mut out = Announced::default();
        if !self.use_announced || self.configured.contains(&vehicle) {
            return out;
        }
        let mut streams: Vec<_> = streams.iter().collect();
        // The camera's first stream of each kind (a second, smaller one is for thin links).
        streams.sort_by_key(|s| s.stream_id);
        for info in streams {
            let key = (vehicle, info.stream_id, info.uri.clone());
            if self.announcements.contains(&key) {
                continue;
            }
            let camera = if info.thermal {
                Camera::Thermal
            } else {
                Camera::Visible
            };
            if self.by_vehicle.contains_key(&(vehicle, camera))
                || self.starting.contains(&(vehicle, camera))
            {
                continue;
            }
            self.announcements.insert(key);
            let source = match SourceUri::from_stream_information(
                info.stream_type,
                info.encoding,
                &info.uri,
            ) {
                Ok(s) => s,
                Err(e) => {
                    out.refused.push(VideoHealth::Unusable {
                        stream: camera_stream(vehicle, camera),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            if !self.gst_ready() {
                out.refused.push(VideoHealth::Unusable {
                    stream: camera_stream(vehicle, camera),
                    reason: "this station cannot receive video (GStreamer is missing)".into(),
                });
                continue;
            }
            self.starting.insert((vehicle, camera));
            out.start.push(StartVideo {
                vehicle,
                camera,
                source,
                events: self.events_for(vehicle),
            });
        }
        out
    }

    /// An announced stream's ingest was built (or not): install it and say so.
    pub fn started(&mut self, s: StartedVideo) -> VideoHealth {
        self.starting.remove(&(s.vehicle, s.camera));
        let stream = camera_stream(s.vehicle, s.camera);
        match s.ingest {
            Ok(ingest) => {
                self.install(s.vehicle, s.camera, ingest);
                VideoHealth::Announced {
                    stream,
                    source: s.source,
                }
            }
            Err(reason) => VideoHealth::Unusable {
                stream,
                reason: format!("{}: {reason}", s.source),
            },
        }
    }

    /// The register opened a flight for this vehicle: its segments go to the flight's
    /// directory, tagged with its id.
    pub fn flight_opened(&mut self, vehicle: VehicleId, flight_id: &str, dir: &Path) {
        self.open
            .insert(vehicle, (flight_id.to_string(), dir.to_owned()));
        let cameras: Vec<Camera> = self
            .by_vehicle
            .keys()
            .filter(|(id, _)| *id == vehicle)
            .map(|(_, c)| *c)
            .collect();
        for camera in cameras {
            self.record_camera(vehicle, camera, flight_id, dir);
        }
    }

    fn record_camera(&mut self, vehicle: VehicleId, camera: Camera, flight_id: &str, dir: &Path) {
        let events = self.events_for(vehicle);
        let Some(v) = self.by_vehicle.get_mut(&(vehicle, camera)) else {
            return;
        };
        if let Ok(mut f) = self.flights.lock() {
            f.insert(camera_stream(vehicle, camera), flight_id.to_string());
        }
        if let Some(r) = &v.recorder {
            if let Err(e) = r.set_session(Some(flight_id.to_string()), dir) {
                tracing::error!("{camera:?} video of flight {flight_id} not recorded: {e}");
            }
            return;
        }
        let mut c = RecordConfig::new(dir);
        c.session = Some(flight_id.to_string());
        match Recorder::start(c, &v.ingest, events) {
            Ok(r) => v.recorder = Some(r),
            Err(e) => {
                tracing::error!("{camera:?} video of flight {flight_id} not recorded: {e}")
            }
        }
    }

    /// The camera saw inside a home: the segments being written, or the next, are `domicile`
    /// (every camera of the vehicle: the thermal one saw the same scene). False when nothing
    /// of the vehicle is being recorded: there is nothing to flag.
    pub fn flag_domicile(&mut self, vehicle: VehicleId) -> bool {
        let mut flagged = false;
        for ((id, _), v) in &self.by_vehicle {
            if *id == vehicle
                && let Some(r) = &v.recorder
            {
                r.flag_current("domicile");
                flagged = true;
            }
        }
        if !flagged {
            tracing::warn!(
                "vehicle {}: domicile flag with no recording in progress",
                vehicle.0
            );
        }
        flagged
    }

    /// The flight ends: the recorders, to be stopped (their last segments closed, hashed and
    /// sent to the register) before the seal goes out.
    pub fn take_recorders(&mut self, vehicle: VehicleId) -> Vec<Recorder> {
        self.open.remove(&vehicle);
        let mut out = Vec::new();
        for ((id, camera), v) in &mut self.by_vehicle {
            if *id != vehicle {
                continue;
            }
            if let Ok(mut f) = self.flights.lock() {
                f.remove(&camera_stream(vehicle, *camera));
            }
            out.extend(v.recorder.take());
        }
        out
    }

    /// Stop everything (the station stops): recorders first, so their segments are filed.
    pub fn shutdown(&mut self) {
        for v in self.by_vehicle.values_mut() {
            if let Some(r) = v.recorder.take() {
                r.stop();
            }
        }
        // Viewers' sessions end (and reach the register) before their streams stop.
        self.rtsp = None;
        for (_, v) in std::mem::take(&mut self.by_vehicle) {
            v.ingest.stop();
        }
        // The event callbacks hold senders to the register thread: it ends when they are gone.
        self.events.clear();
        self.sinks.record = None;
    }
}

/// A vehicle's video events: health to the actor, closed segments to the register.
fn vehicle_events(
    vehicle: VehicleId,
    health: Arc<dyn Fn(VehicleId, VideoHealth) + Send + Sync>,
    record: Option<std::sync::mpsc::Sender<RecordMsg>>,
) -> Events {
    Events::new(move |e| {
        let h = match e {
            VideoEvent::SegmentClosed(info) => {
                match (segment_record(&info), &record) {
                    (Some(seg), Some(tx)) => {
                        let _ = tx.send(RecordMsg::VideoSegment(Box::new(seg)));
                    }
                    (Some(_), None) => {}
                    (None, _) => tracing::warn!(
                        path = %info.path.display(),
                        "video segment outside any flight: not in the register"
                    ),
                }
                None
            }
            VideoEvent::StreamUp { stream, .. } | VideoEvent::StreamRegained { stream } => {
                Some(VideoHealth::Up { stream })
            }
            VideoEvent::StreamLost { stream, reason } => Some(VideoHealth::Lost { stream, reason }),
            VideoEvent::RecordingAlarm { stream, message } => Some(VideoHealth::RecordingStopped {
                stream,
                reason: message,
            }),
            other => {
                tracing::debug!("video: {other:?}");
                None
            }
        };
        if let Some(h) = h {
            health(vehicle, h);
        }
    })
}

/// The station's RTSP server with one mount per vehicle; each viewer is admitted only once
/// their session is in the register (no register: no server — nobody watches unrecorded).
fn serve_rtsp(
    mut config: RestreamConfig,
    record: Option<std::sync::mpsc::Sender<RecordMsg>>,
    flights: &Arc<Mutex<BTreeMap<String, String>>>,
) -> Option<RtspRestream> {
    let Some(record) = record else {
        tracing::error!(
            "RTSP server not started: this station keeps no register, and every viewer must be journaled"
        );
        return None;
    };
    let flights = flights.clone();
    let admit_tx = record.clone();
    config.admission = Some(Admission::new(move |s: &ViewerSession| {
        let flight = flights.lock().ok().and_then(|f| f.get(&s.stream).cloned());
        let (reply, answer) = std::sync::mpsc::channel();
        admit_tx
            .send(RecordMsg::ViewerStart {
                start: Box::new(viewer_start(s, flight)),
                reply,
            })
            .map_err(|_| "the register has stopped".to_string())?;
        answer
            .recv_timeout(std::time::Duration::from_secs(5))
            .map_err(|_| "the register did not journal the session within 5 s".to_string())?
    }));
    let end_tx = record;
    let events = Events::new(move |e| match e {
        VideoEvent::ViewerEnded(s) => {
            let _ = end_tx.send(RecordMsg::ViewerEnd(viewer_end(&s)));
        }
        VideoEvent::ViewerRefused { session, reason } => tracing::warn!(
            user = %session.user, peer = %session.peer, stream = %session.stream,
            "viewer refused: {reason}"
        ),
        other => tracing::debug!("rtsp: {other:?}"),
    });
    match RtspRestream::start(config, events) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("RTSP server not started: {e}");
            None
        }
    }
}

impl Drop for Videos {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(
        stream_id: u8,
        thermal: bool,
        stream_type: u8,
        uri: &str,
    ) -> vigie_link::VideoStreamInfo {
        vigie_link::VideoStreamInfo {
            stream_id,
            stream_type,
            uri: uri.into(),
            name: String::new(),
            width_px: 1280,
            height_px: 720,
            framerate_hz: 30.0,
            encoding: 1,
            thermal,
        }
    }

    fn videos(sources: &BTreeMap<VehicleId, SourceUri>, use_announced: bool) -> Videos {
        Videos::start(
            VideoConfig {
                sources,
                thermal: &BTreeMap::new(),
                rtsp: None,
                use_announced,
            },
            Arc::new(|_, _| {}),
            None,
            &FrameSlots::default(),
            &RtspUrls::default(),
        )
    }

    fn cameras(a: &Announced) -> Vec<(u8, Camera)> {
        a.start.iter().map(|s| (s.vehicle.0, s.camera)).collect()
    }

    #[test]
    fn what_a_vehicle_announces_is_started_once_unless_the_operator_configured_its_video() {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .unwrap_or(45_600);
        let configured: BTreeMap<VehicleId, SourceUri> = [(
            VehicleId(1),
            SourceUri::parse(&format!("rtp://127.0.0.1:{port}")).unwrap_or_else(|e| panic!("{e}")),
        )]
        .into();
        let mut v = videos(&configured, true);
        let announced = [
            info(1, false, 1, "udp://0.0.0.0:5600"),
            info(2, true, 1, "udp://0.0.0.0:5601"),
        ];
        // Vehicle 1's video is the operator's: what it announces is not used.
        let a = v.announced(VehicleId(1), &announced);
        assert!(a.start.is_empty() && a.refused.is_empty());
        // Vehicle 2's: its visible and its thermal stream, once.
        let a = v.announced(VehicleId(2), &announced);
        assert_eq!(
            cameras(&a),
            [(2, Camera::Visible), (2, Camera::Thermal)],
            "{:?}",
            a.refused
        );
        assert!(v.announced(VehicleId(2), &announced).start.is_empty());
        // A second visible stream (a smaller one for thin links) is not a second camera.
        let a = v.announced(VehicleId(2), &[info(3, false, 1, "udp://0.0.0.0:5604")]);
        assert!(a.start.is_empty());
        // A stream the station cannot receive is said, with what to do.
        let a = v.announced(VehicleId(3), &[info(1, false, 2, "tcp://10.0.0.2:5000")]);
        assert!(a.start.is_empty());
        match &a.refused[..] {
            [VideoHealth::Unusable { stream, reason }] => {
                assert_eq!(stream, "drone-3");
                assert!(reason.contains("RTP/UDP or RTSP"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn announced_streams_are_ignored_when_the_station_is_told_so() {
        let mut v = videos(&BTreeMap::new(), false);
        let a = v.announced(VehicleId(2), &[info(1, false, 1, "udp://0.0.0.0:5600")]);
        assert!(a.start.is_empty() && a.refused.is_empty());
    }
}
