//! Each vehicle's video, owned by the station: one ingest per configured source (its frames are
//! what the UI shows), recording tied to the flight the register opened (every closed segment
//! goes to the register with its SHA-256, before the flight is sealed), and the stream's health
//! as alarms. Nothing here blocks the actor: stopping a recorder waits for its last segment, so
//! it runs on a blocking thread.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use vigie_video::{
    Events, FrameSlot, Ingest, IngestConfig, RecordConfig, Recorder, SegmentInfo, SourceUri,
    VideoEvent,
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
pub type FrameSlots = Arc<Mutex<BTreeMap<VehicleId, FrameSlot>>>;

struct VehicleVideo {
    ingest: Ingest,
    recorder: Option<Recorder>,
}

pub struct Videos {
    by_vehicle: BTreeMap<VehicleId, VehicleVideo>,
    events: BTreeMap<VehicleId, Events>,
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
        health: Arc<dyn Fn(VehicleId, VideoHealth) + Send + Sync>,
        record: Option<std::sync::mpsc::Sender<RecordMsg>>,
        slots: &FrameSlots,
    ) -> Self {
        let mut by_vehicle = BTreeMap::new();
        let mut all_events = BTreeMap::new();
        if sources.is_empty() {
            return Self {
                by_vehicle,
                events: all_events,
            };
        }
        if let Err(e) = vigie_video::init() {
            tracing::error!("video disabled: {e}");
            return Self {
                by_vehicle,
                events: all_events,
            };
        }
        for (&vehicle, source) in sources {
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
            let stream = format!("drone-{}", vehicle.0);
            match Ingest::start(IngestConfig::new(stream, source.clone()), events.clone()) {
                Ok(ingest) => {
                    if let Ok(mut s) = slots.lock() {
                        s.insert(vehicle, ingest.frames());
                    }
                    by_vehicle.insert(
                        vehicle,
                        VehicleVideo {
                            ingest,
                            recorder: None,
                        },
                    );
                    all_events.insert(vehicle, events);
                }
                Err(e) => tracing::error!("video of vehicle {} not started: {e}", vehicle.0),
            }
        }
        Self {
            by_vehicle,
            events: all_events,
        }
    }

    /// The register opened a flight for this vehicle: its segments go to the flight's
    /// directory, tagged with its id.
    pub fn flight_opened(&mut self, vehicle: VehicleId, flight_id: &str, dir: &Path) {
        let Some(v) = self.by_vehicle.get_mut(&vehicle) else {
            return;
        };
        let Some(events) = self.events.get(&vehicle) else {
            return;
        };
        if let Some(r) = &v.recorder {
            if let Err(e) = r.set_session(Some(flight_id.to_string()), dir) {
                tracing::error!("video of flight {flight_id} not recorded: {e}");
            }
            return;
        }
        let mut c = RecordConfig::new(dir);
        c.session = Some(flight_id.to_string());
        match Recorder::start(c, &v.ingest, events.clone()) {
            Ok(r) => v.recorder = Some(r),
            Err(e) => tracing::error!("video of flight {flight_id} not recorded: {e}"),
        }
    }

    /// The flight ends: the recorder, to be stopped (its last segment closed, hashed and sent
    /// to the register) before the seal goes out.
    pub fn take_recorder(&mut self, vehicle: VehicleId) -> Option<Recorder> {
        self.by_vehicle.get_mut(&vehicle)?.recorder.take()
    }

    /// Stop everything (the station stops): recorders first, so their segments are filed.
    pub fn shutdown(&mut self) {
        for v in self.by_vehicle.values_mut() {
            if let Some(r) = v.recorder.take() {
                r.stop();
            }
        }
        for (_, v) in std::mem::take(&mut self.by_vehicle) {
            v.ingest.stop();
        }
        // The event callbacks hold senders to the register thread: it ends when they are gone.
        self.events.clear();
    }
}

impl Drop for Videos {
    fn drop(&mut self) {
        self.shutdown();
    }
}
