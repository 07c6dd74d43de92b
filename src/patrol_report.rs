//! The patrol report for the fire service (SDIS): the vehicle's track sampled while it flies,
//! the ground its camera saw, the station's merged hot spots, written as `patrol.geojson` and
//! `patrol.kml` beside their `snapshots/` (the folder moves as a whole; QGIS and Google Earth
//! open either file).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use flight_rules::LatLon;
use vigie_patrol::{
    Attitude, CameraModel, CameraPose, Gimbal, Ground, Hotspot, PatrolReport, TrackPoint,
};
use vigie_station::{StationHandle, VehicleId};

/// One second of the vehicle's flight.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub pos: LatLon,
    pub alt_amsl_m: f64,
    pub home_amsl_m: f64,
    pub alt_rel_m: f64,
    pub yaw_deg: f64,
    pub armed: bool,
}

/// Samples the vehicle's telemetry once a second while the training runs.
pub struct TrackRecorder {
    samples: Arc<Mutex<Vec<Sample>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TrackRecorder {
    pub fn start(rt: &tokio::runtime::Handle, st: StationHandle, vehicle: VehicleId) -> Self {
        let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
        let s = samples.clone();
        let task = rt.spawn(async move {
            let Some(tel) = st.wait_vehicle(vehicle, Duration::from_secs(3600)).await else {
                return;
            };
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                let t = tel.borrow().clone();
                if let (Some(p), Some(h)) = (t.position, t.home)
                    && let Ok(mut v) = s.lock()
                {
                    v.push(Sample {
                        at: Utc::now(),
                        pos: LatLon::new(p.lat_deg, p.lon_deg),
                        alt_amsl_m: h.alt_amsl_m + p.alt_rel_m,
                        home_amsl_m: h.alt_amsl_m,
                        alt_rel_m: p.alt_rel_m,
                        yaw_deg: t.yaw_deg.or(t.heading_deg).unwrap_or(0.0),
                        armed: t.armed,
                    });
                }
            }
        });
        Self { samples, task }
    }

    pub fn finish(self) -> Vec<Sample> {
        self.task.abort();
        self.samples.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// What the report says besides the track and the hot spots.
pub struct ReportMeta {
    pub title: String,
    pub flight_id: Option<String>,
    pub operator: Option<String>,
    pub pilot: Option<String>,
    pub legal_basis: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}

/// Build the report: the airborne part of the track, the camera's coverage (nadir, flat ground
/// at home's elevation as vigie-sim draws it, or the terrain when given), the hot spots.
pub fn build(
    meta: ReportMeta,
    samples: &[Sample],
    camera: &CameraModel,
    ground_grid: Option<&vigie_patrol::ElevationGrid>,
    planned: Vec<LatLon>,
    hotspots: Vec<Hotspot>,
) -> PatrolReport {
    let flying: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.armed && s.alt_rel_m > 5.0)
        .collect();
    let poses: Vec<CameraPose> = flying
        .iter()
        .map(|s| CameraPose {
            position: s.pos,
            alt_amsl_m: s.alt_amsl_m,
            attitude: Attitude {
                roll_deg: 0.0,
                pitch_deg: 0.0,
                yaw_deg: s.yaw_deg,
            },
            gimbal: Gimbal::NADIR,
        })
        .collect();
    let home_amsl = flying.first().map_or(0.0, |s| s.home_amsl_m);
    let ground = match ground_grid {
        Some(g) => Ground::Terrain {
            grid: g,
            fallback_amsl_m: Some(home_amsl),
        },
        None => Ground::Flat { amsl_m: home_amsl },
    };
    let coverage = vigie_patrol::coverage(camera, &poses, &ground, 2, 2000.0, 2.0);
    PatrolReport {
        title: meta.title,
        flight_id: meta.flight_id,
        operator: meta.operator,
        pilot: meta.pilot,
        legal_basis: meta.legal_basis,
        started_at: meta.started_at,
        ended_at: meta.ended_at,
        track: flying
            .iter()
            .map(|s| TrackPoint {
                at: s.at,
                pos: s.pos,
                alt_amsl_m: s.alt_amsl_m,
            })
            .collect(),
        planned,
        coverage,
        hotspots,
    }
}

/// Write `patrol.geojson` and `patrol.kml` into `dir` (snapshots already under `dir/snapshots`).
pub fn write(dir: &Path, report: &PatrolReport) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
    let geojson = dir.join("patrol.geojson");
    let kml = dir.join("patrol.kml");
    std::fs::write(&geojson, vigie_patrol::to_geojson(report))
        .with_context(|| format!("cannot write {}", geojson.display()))?;
    std::fs::write(&kml, vigie_patrol::to_kml(report))
        .with_context(|| format!("cannot write {}", kml.display()))?;
    Ok(vec![geojson, kml])
}

/// Hand the report to the fire service: copy it with its snapshots into `drop_dir/<name>/`, as a
/// directory renamed into place once complete, so a watcher on the drop directory (an SDIS
/// import job) never reads half a report.
pub fn deliver(report_dir: &Path, drop_dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let done = drop_dir.join(&safe);
    let part = drop_dir.join(format!(".{safe}.part"));
    let _ = std::fs::remove_dir_all(&part);
    std::fs::create_dir_all(part.join("snapshots")).with_context(|| {
        format!(
            "cannot write into the drop directory {} (is it mounted and writable?)",
            drop_dir.display()
        )
    })?;
    for f in ["patrol.geojson", "patrol.kml"] {
        std::fs::copy(report_dir.join(f), part.join(f))
            .with_context(|| format!("cannot copy {f} into {}", part.display()))?;
    }
    if let Ok(snaps) = std::fs::read_dir(report_dir.join("snapshots")) {
        for e in snaps.flatten() {
            std::fs::copy(e.path(), part.join("snapshots").join(e.file_name()))
                .with_context(|| format!("cannot copy {}", e.path().display()))?;
        }
    }
    if done.exists() {
        anyhow::bail!(
            "{} already holds a report of that name: not overwritten",
            done.display()
        );
    }
    std::fs::rename(&part, &done)
        .with_context(|| format!("cannot move the report into {}", done.display()))?;
    Ok(done)
}
