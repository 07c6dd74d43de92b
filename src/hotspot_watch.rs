//! The thermal watcher: frames of a vehicle's thermal stream, hot blobs found in them, each
//! projected to the ground from where the vehicle was when the frame was taken (its telemetry,
//! interpolated at the frame's capture stamp), sent to the station as hot-spot observations.
//! The station merges them with the fire they are and records them in the register; the
//! hottest sighting of each place gets a PNG snapshot in the report's `snapshots/`.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flight_rules::LatLon;
use vigie_patrol::{
    Attitude, CameraModel, CameraPose, DetectorConfig, Gimbal, Ground, HotspotSource, Observation,
    Pixels, PoseUncertainty, ThermalImage,
};
use vigie_station::{SessionRequest, StationCommand, StationHandle, VehicleId};

/// What the blobs are projected onto.
#[derive(Clone)]
pub enum GroundModel {
    /// Flat ground at home's elevation (no terrain model; vigie-sim's video draws this).
    /// (A terrain model comes when a real camera's feed is watched: vigie-sim draws no relief.)
    FlatAtHome,
}

pub struct WatchConfig {
    pub vehicle: VehicleId,
    pub camera: CameraModel,
    pub gimbal: Gimbal,
    pub ground: GroundModel,
    pub uncertainty: PoseUncertainty,
    /// The report directory: snapshots go to its `snapshots/`, referenced relatively.
    pub report_dir: Option<PathBuf>,
    /// Frames analysed per second at most (detection costs ~3 ms a 1280×720 frame).
    pub max_rate_hz: f64,
    /// Below this height above home nothing is projected (take-off, landing).
    pub min_height_m: f64,
}

/// What the watcher did, for the summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct WatchStats {
    pub frames: u64,
    pub blobs: u64,
    pub observations: u64,
    /// Frames skipped because no telemetry was close enough in time to place them.
    pub unplaced: u64,
    pub snapshots: u64,
}

#[derive(Debug, Clone, Copy)]
struct PoseSample {
    t_us: i64,
    lat: f64,
    lon: f64,
    alt_rel_m: f64,
    home_amsl_m: f64,
    roll: f64,
    pitch: f64,
    yaw: f64,
}

/// Telemetry kept for placing frames: the last few seconds.
const POSE_HISTORY: usize = 400;
/// A frame further than this from any telemetry sample is not placed.
const MAX_POSE_GAP_US: i64 = 600_000;

pub struct Watch {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<WatchStats>>,
    poses: tokio::task::JoinHandle<()>,
}

impl Watch {
    /// Stop and say what was done.
    pub fn finish(mut self) -> WatchStats {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.poses.abort();
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.poses.abort();
    }
}

pub fn start(
    rt: &tokio::runtime::Handle,
    station: StationHandle,
    frames: vigie_video::FrameSlot,
    config: WatchConfig,
) -> Watch {
    let history: Arc<Mutex<VecDeque<PoseSample>>> = Arc::default();
    let h = history.clone();
    let st = station.clone();
    let vehicle = config.vehicle;
    let poses = rt.spawn(async move {
        let Some(mut tel) = st.wait_vehicle(vehicle, Duration::from_secs(3600)).await else {
            return;
        };
        loop {
            let sample = {
                let t = tel.borrow_and_update();
                match (t.position, t.position_at, t.home) {
                    (Some(p), Some(at), Some(home)) => Some(PoseSample {
                        t_us: unix_us(at),
                        lat: p.lat_deg,
                        lon: p.lon_deg,
                        alt_rel_m: p.alt_rel_m,
                        home_amsl_m: home.alt_amsl_m,
                        roll: t.roll_deg.unwrap_or(0.0),
                        pitch: t.pitch_deg.unwrap_or(0.0),
                        yaw: t.yaw_deg.or(t.heading_deg).unwrap_or(0.0),
                    }),
                    _ => None,
                }
            };
            if let Some(s) = sample
                && let Ok(mut q) = h.lock()
                && q.back().is_none_or(|b| b.t_us < s.t_us)
            {
                q.push_back(s);
                while q.len() > POSE_HISTORY {
                    q.pop_front();
                }
            }
            if tel.changed().await.is_err() {
                return;
            }
        }
    });
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let handle = rt.clone();
    let thread = std::thread::Builder::new()
        .name("vigie-thermal".into())
        .spawn(move || run(&handle, &station, &frames, &config, &history, &s2))
        .ok();
    Watch {
        stop,
        thread,
        poses,
    }
}

fn unix_us(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

fn run(
    rt: &tokio::runtime::Handle,
    station: &StationHandle,
    frames: &vigie_video::FrameSlot,
    config: &WatchConfig,
    history: &Mutex<VecDeque<PoseSample>>,
    stop: &std::sync::atomic::AtomicBool,
) -> WatchStats {
    let mut stats = WatchStats::default();
    let mut seq = None;
    let every = Duration::from_secs_f64(1.0 / config.max_rate_hz.max(0.1));
    // The hottest snapshot taken near each place so far: (where, peak).
    let mut snapped: Vec<(LatLon, f64)> = Vec::new();
    if let Some(dir) = &config.report_dir
        && let Err(e) = std::fs::create_dir_all(dir.join("snapshots"))
    {
        tracing::warn!(
            "hot-spot snapshots off: cannot create {}: {e}",
            dir.join("snapshots").display()
        );
    }
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let started = std::time::Instant::now();
        let Some(frame) = frames.wait_newer(seq, Duration::from_millis(500)) else {
            continue;
        };
        seq = Some(frame.seq);
        stats.frames += 1;
        let captured_us = frame
            .capture_stamp_unix_us()
            .unwrap_or(frame.received_unix_us.saturating_sub(100_000))
            as i64;
        let Some(pose) = history.lock().ok().and_then(|q| pose_at(&q, captured_us)) else {
            stats.unplaced += 1;
            continue;
        };
        if pose.alt_rel_m < config.min_height_m {
            continue;
        }
        let detector = DetectorConfig::vigie_sim(frame.width, frame.height);
        let image = ThermalImage {
            width: frame.width,
            height: frame.height,
            pixels: Pixels::Rgba8 {
                data: frame.rgba(),
                stride: frame.stride(),
            },
        };
        let Ok(blobs) = vigie_patrol::detect_hotspots(&image, &detector) else {
            continue;
        };
        let camera =
            if (frame.width, frame.height) == (config.camera.width_px, config.camera.height_px) {
                config.camera
            } else {
                CameraModel::square_pixels(frame.width, frame.height, config.camera.hfov_deg)
            };
        let cam_pose = CameraPose {
            position: LatLon::new(pose.lat, pose.lon),
            alt_amsl_m: pose.home_amsl_m + pose.alt_rel_m,
            attitude: Attitude {
                roll_deg: pose.roll,
                pitch_deg: pose.pitch,
                yaw_deg: pose.yaw,
            },
            gimbal: config.gimbal,
        };
        let ground = match &config.ground {
            GroundModel::FlatAtHome => Ground::Flat {
                amsl_m: pose.home_amsl_m,
            },
        };
        for b in blobs.iter().filter(|b| !b.touches_edge) {
            stats.blobs += 1;
            let Ok(fix) = vigie_patrol::project_pixel(
                &camera,
                &cam_pose,
                b.centroid_px[0],
                b.centroid_px[1],
                &ground,
                &config.uncertainty,
            ) else {
                continue;
            };
            let at = chrono::DateTime::from_timestamp_micros(captured_us)
                .unwrap_or_else(chrono::Utc::now);
            let snapshot = config.report_dir.as_ref().and_then(|dir| {
                let better = snapped
                    .iter()
                    .filter(|(p, _)| p.distance_m(&fix.pos) < 40.0)
                    .all(|(_, peak)| b.peak > peak + 2.0);
                if !better {
                    return None;
                }
                let name = format!(
                    "snapshots/{}-{}.png",
                    at.format("%Y%m%dT%H%M%S%.3fZ"),
                    stats.snapshots + 1
                );
                let text = [
                    ("Vigie-Latitude", format!("{:.6}", fix.pos.lat_deg)),
                    ("Vigie-Longitude", format!("{:.6}", fix.pos.lon_deg)),
                    ("Vigie-Error-m", format!("{:.1}", fix.error_m)),
                ];
                let text: Vec<(&str, &str)> = text.iter().map(|(k, v)| (*k, v.as_str())).collect();
                match vigie_video::snapshot::snapshot(&frame, &text)
                    .map_err(|e| e.to_string())
                    .and_then(|s| std::fs::write(dir.join(&name), s.png).map_err(|e| e.to_string()))
                {
                    Ok(()) => {
                        snapped.retain(|(p, _)| p.distance_m(&fix.pos) >= 40.0);
                        snapped.push((fix.pos, b.peak));
                        stats.snapshots += 1;
                        Some(name)
                    }
                    Err(e) => {
                        tracing::warn!("hot-spot snapshot {name} not saved: {e}");
                        None
                    }
                }
            });
            let observation = Observation {
                at,
                pos: fix.pos,
                error_m: fix.error_m,
                ground_amsl_m: Some(fix.ground_amsl_m),
                source: HotspotSource::Thermal,
                peak: Some(b.peak),
                snapshot,
                note: None,
            };
            let st = station.clone();
            let vehicle = config.vehicle;
            rt.block_on(async move {
                st.command(StationCommand::Session(SessionRequest::ObserveHotspot {
                    vehicle: Some(vehicle),
                    observation: Box::new(observation),
                }))
                .await
            });
            stats.observations += 1;
        }
        if let Some(rest) = every.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    stats
}

/// The vehicle's pose at `t_us`, interpolated between the two samples around it.
fn pose_at(q: &VecDeque<PoseSample>, t_us: i64) -> Option<PoseSample> {
    let after = q.iter().position(|s| s.t_us >= t_us);
    let (a, b) = match after {
        Some(0) => (q[0], q[0]),
        Some(i) => (q[i - 1], q[i]),
        None => {
            let last = *q.back()?;
            (last, last)
        }
    };
    let near = (t_us - a.t_us).abs().min((b.t_us - t_us).abs());
    if near > MAX_POSE_GAP_US {
        return None;
    }
    if b.t_us == a.t_us {
        return Some(a);
    }
    let k = ((t_us - a.t_us) as f64 / (b.t_us - a.t_us) as f64).clamp(0.0, 1.0);
    let lerp = |x: f64, y: f64| x + (y - x) * k;
    let dyaw = (b.yaw - a.yaw + 540.0).rem_euclid(360.0) - 180.0;
    Some(PoseSample {
        t_us,
        lat: lerp(a.lat, b.lat),
        lon: lerp(a.lon, b.lon),
        alt_rel_m: lerp(a.alt_rel_m, b.alt_rel_m),
        home_amsl_m: b.home_amsl_m,
        roll: lerp(a.roll, b.roll),
        pitch: lerp(a.pitch, b.pitch),
        yaw: (a.yaw + dyaw * k).rem_euclid(360.0),
    })
}
