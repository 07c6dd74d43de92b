//! Each vehicle's video, owned by the station: one ingest per configured source (its frames are
//! what the UI shows), recording tied to the flight the register opened (every closed segment
//! goes to the register with its SHA-256, before the flight is sealed), the stream's health as
//! alarms, and — when configured — an RTSP server for the CSU's viewers whose every session is
//! in the register before its first frame (CSI L242-4: who had access, live relay included).
//! Nothing here blocks the actor: stopping a recorder waits for its last segment, so it runs on
//! a blocking thread.

use std::collections::BTreeMap;
use std::path::Path;
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

pub struct Videos {
    by_vehicle: BTreeMap<(VehicleId, Camera), VehicleVideo>,
    events: BTreeMap<VehicleId, Events>,
    /// Dropped before the ingests it serves.
    rtsp: Option<RtspRestream>,
    /// The flight each stream belongs to now (a viewer's session names it).
    flights: Arc<Mutex<BTreeMap<String, String>>>,
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

impl Videos {
    /// Start an ingest per source. Health goes to `health` (the actor's inputs); closed
    /// segments go straight to the register (`record`), so they are filed before the seal that
    /// the actor sends after stopping the recorder.
    pub fn start(
        sources: &BTreeMap<VehicleId, SourceUri>,
        thermal: &BTreeMap<VehicleId, SourceUri>,
        health: Arc<dyn Fn(VehicleId, VideoHealth) + Send + Sync>,
        record: Option<std::sync::mpsc::Sender<RecordMsg>>,
        slots: &FrameSlots,
        rtsp: Option<RestreamConfig>,
        urls: &RtspUrls,
    ) -> Self {
        let mut by_vehicle = BTreeMap::new();
        let mut all_events = BTreeMap::new();
        let flights = Arc::new(Mutex::new(BTreeMap::new()));
        let none = |by_vehicle, events| Self {
            by_vehicle,
            events,
            rtsp: None,
            flights: flights.clone(),
        };
        if sources.is_empty() && thermal.is_empty() {
            return none(by_vehicle, all_events);
        }
        if let Err(e) = vigie_video::init() {
            tracing::error!("video disabled: {e}");
            return none(by_vehicle, all_events);
        }
        for &vehicle in sources.keys().chain(thermal.keys()) {
            if all_events.contains_key(&vehicle) {
                continue;
            }
            let health = health.clone();
            let record = record.clone();
            let events = Events::new(move |e| {
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
                    VideoEvent::StreamLost { stream, reason } => {
                        Some(VideoHealth::Lost { stream, reason })
                    }
                    VideoEvent::RecordingAlarm { stream, message } => {
                        Some(VideoHealth::RecordingStopped {
                            stream,
                            reason: message,
                        })
                    }
                    other => {
                        tracing::debug!("video: {other:?}");
                        None
                    }
                };
                if let Some(h) = h {
                    health(vehicle, h);
                }
            });
            // One event sink per vehicle: its cameras' health and segments go the same way.
            for (camera, source) in [
                (Camera::Visible, sources.get(&vehicle)),
                (Camera::Thermal, thermal.get(&vehicle)),
            ] {
                let Some(source) = source else { continue };
                let stream = camera_stream(vehicle, camera);
                match Ingest::start(IngestConfig::new(stream, source.clone()), events.clone()) {
                    Ok(ingest) => {
                        if let Ok(mut s) = slots.lock() {
                            s.insert((vehicle, camera), ingest.frames());
                        }
                        by_vehicle.insert(
                            (vehicle, camera),
                            VehicleVideo {
                                ingest,
                                recorder: None,
                            },
                        );
                    }
                    Err(e) => tracing::error!(
                        "{camera:?} video of vehicle {} not started: {e}",
                        vehicle.0
                    ),
                }
            }
            all_events.insert(vehicle, events);
        }
        let rtsp = rtsp.and_then(|c| serve_rtsp(c, &by_vehicle, record, &flights, urls));
        Self {
            by_vehicle,
            events: all_events,
            rtsp,
            flights,
        }
    }

    /// The register opened a flight for this vehicle: its segments go to the flight's
    /// directory, tagged with its id.
    pub fn flight_opened(&mut self, vehicle: VehicleId, flight_id: &str, dir: &Path) {
        let Some(events) = self.events.get(&vehicle) else {
            return;
        };
        for ((_, camera), v) in self
            .by_vehicle
            .iter_mut()
            .filter(|((id, _), _)| *id == vehicle)
        {
            if let Ok(mut f) = self.flights.lock() {
                f.insert(camera_stream(vehicle, *camera), flight_id.to_string());
            }
            if let Some(r) = &v.recorder {
                if let Err(e) = r.set_session(Some(flight_id.to_string()), dir) {
                    tracing::error!("{camera:?} video of flight {flight_id} not recorded: {e}");
                }
                continue;
            }
            let mut c = RecordConfig::new(dir);
            c.session = Some(flight_id.to_string());
            match Recorder::start(c, &v.ingest, events.clone()) {
                Ok(r) => v.recorder = Some(r),
                Err(e) => {
                    tracing::error!("{camera:?} video of flight {flight_id} not recorded: {e}")
                }
            }
        }
    }

    /// The camera saw inside a home: the segments being written, or the next, are `domicile`
    /// (every camera of the vehicle: the thermal one saw the same scene).
    pub fn flag_domicile(&mut self, vehicle: VehicleId) {
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
    }

    /// The flight ends: the recorders, to be stopped (their last segments closed, hashed and
    /// sent to the register) before the seal goes out.
    pub fn take_recorders(&mut self, vehicle: VehicleId) -> Vec<Recorder> {
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
    }
}

/// The station's RTSP server with one mount per vehicle; each viewer is admitted only once
/// their session is in the register (no register: no server — nobody watches unrecorded).
fn serve_rtsp(
    mut config: RestreamConfig,
    by_vehicle: &BTreeMap<(VehicleId, Camera), VehicleVideo>,
    record: Option<std::sync::mpsc::Sender<RecordMsg>>,
    flights: &Arc<Mutex<BTreeMap<String, String>>>,
    urls: &RtspUrls,
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
    let server = match RtspRestream::start(config, events) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("RTSP server not started: {e}");
            return None;
        }
    };
    for (&(vehicle, camera), v) in by_vehicle {
        match server.add_stream(&v.ingest) {
            Ok(url) => {
                tracing::info!(%url, "vehicle {}'s {camera:?} video served over RTSP", vehicle.0);
                if camera == Camera::Visible
                    && let Ok(mut u) = urls.lock()
                {
                    u.insert(vehicle, url);
                }
            }
            Err(e) => tracing::error!("vehicle {}'s video not served over RTSP: {e}", vehicle.0),
        }
    }
    Some(server)
}

impl Drop for Videos {
    fn drop(&mut self) {
        self.shutdown();
    }
}
