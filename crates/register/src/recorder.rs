//! Per-flight Rerun `.rrd` recording from plain samples, so the station never names `rerun`.
//!
//! Entities: `map/vehicle` (GeoPoints, one per sample on the `time` timeline: the track),
//! `map/zones/<name>` (static GeoLineStrings), `telemetry/<name>` (Scalars), `vehicle/attitude`
//! (Transform3D rotation), `events` (TextLog).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::records::{FileRef, TrackSummary};
use crate::register::file_ref;

/// One telemetry sample, in the station's units.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetrySample {
    pub time: DateTime<Utc>,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_agl_m: f64,
    pub ground_speed_mps: f64,
    pub battery_pct: Option<f64>,
    pub wind_speed_mps: Option<f64>,
    pub wind_from_deg: Option<f64>,
    pub roll_deg: f64,
    pub pitch_deg: f64,
    pub yaw_deg: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventLevel {
    Info,
    Warning,
    Alarm,
}

/// What a zone drawn on the map is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneStyle {
    /// Authorised perimeter (green).
    Perimeter,
    /// Prohibited geozone (red).
    Prohibited,
    /// Zone that needs an authorisation (orange).
    Restricted,
}

/// What the finished recording gives back for the flight seal.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingSummary {
    pub file: FileRef,
    pub track: TrackSummary,
    pub max_alt_agl_m: f64,
}

pub struct FlightRecorder {
    rec: rerun::RecordingStream,
    path: PathBuf,
    track: TrackSummary,
    last: Option<(f64, f64)>,
    max_alt_agl_m: f64,
}

impl std::fmt::Debug for FlightRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlightRecorder")
            .field("path", &self.path)
            .field("points", &self.track.points)
            .finish()
    }
}

const TIMELINE: &str = "time";

fn rec_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Recording {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// Great-circle distance (haversine, mean Earth radius): enough for a track summary.
fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// Body attitude (roll, pitch, yaw in degrees, aerospace ZYX order) as a quaternion `[x, y, z, w]`.
fn quaternion_xyzw(roll_deg: f64, pitch_deg: f64, yaw_deg: f64) -> [f32; 4] {
    let (sr, cr) = (roll_deg.to_radians() / 2.0).sin_cos();
    let (sp, cp) = (pitch_deg.to_radians() / 2.0).sin_cos();
    let (sy, cy) = (yaw_deg.to_radians() / 2.0).sin_cos();
    [
        (sr * cp * cy - cr * sp * sy) as f32,
        (cr * sp * cy + sr * cp * sy) as f32,
        (cr * cp * sy - sr * sp * cy) as f32,
        (cr * cp * cy + sr * sp * sy) as f32,
    ]
}

impl FlightRecorder {
    /// Start `path` (its directory is created). The recording id is the flight id.
    pub fn create(path: &Path, flight_id: &str) -> Result<FlightRecorder> {
        if let Some(dir) = path.parent() {
            crate::fsutil::create_private_dir(dir)?;
        }
        if path.exists() {
            return Err(Error::BadInput(format!(
                "flight recording {} already exists; a recording is never overwritten",
                path.display()
            )));
        }
        // Created 0600 here; Rerun's writer then opens it (truncating, keeping the mode).
        crate::fsutil::open_private(path, true)?;
        let rec = rerun::RecordingStreamBuilder::new("vigie")
            .recording_id(flight_id)
            .save(path)
            .map_err(|e| rec_err(path, e))?;
        Ok(FlightRecorder {
            rec,
            path: path.to_path_buf(),
            track: TrackSummary::default(),
            last: None,
            max_alt_agl_m: 0.0,
        })
    }

    fn at(&self, t: DateTime<Utc>) {
        self.rec
            .set_timestamp_nanos_since_epoch(TIMELINE, t.timestamp_nanos_opt().unwrap_or(0));
    }

    pub fn sample(&mut self, s: &TelemetrySample) -> Result<()> {
        if !(s.lat_deg.is_finite() && s.lon_deg.is_finite() && (-90.0..=90.0).contains(&s.lat_deg))
        {
            return Err(Error::BadInput(format!(
                "telemetry sample at {}: invalid position",
                s.time
            )));
        }
        self.at(s.time);
        let p = &self.path;
        self.rec
            .log(
                "map/vehicle",
                &rerun::GeoPoints::from_lat_lon([(s.lat_deg, s.lon_deg)]),
            )
            .map_err(|e| rec_err(p, e))?;
        let mut scalars: Vec<(&str, f64)> = vec![
            ("alt_agl_m", s.alt_agl_m),
            ("ground_speed_mps", s.ground_speed_mps),
        ];
        scalars.extend(s.battery_pct.map(|v| ("battery_pct", v)));
        scalars.extend(s.wind_speed_mps.map(|v| ("wind_speed_mps", v)));
        scalars.extend(s.wind_from_deg.map(|v| ("wind_from_deg", v)));
        scalars.extend([
            ("roll_deg", s.roll_deg),
            ("pitch_deg", s.pitch_deg),
            ("yaw_deg", s.yaw_deg),
        ]);
        for (name, v) in scalars {
            self.rec
                .log(format!("telemetry/{name}"), &rerun::Scalars::single(v))
                .map_err(|e| rec_err(p, e))?;
        }
        let q = rerun::Quaternion::from_xyzw(quaternion_xyzw(s.roll_deg, s.pitch_deg, s.yaw_deg));
        self.rec
            .log("vehicle/attitude", &rerun::Transform3D::from_rotation(q))
            .map_err(|e| rec_err(p, e))?;
        // Track summary for the flight seal.
        self.track.points += 1;
        if let Some(prev) = self.last {
            self.track.distance_m += distance_m(prev, (s.lat_deg, s.lon_deg));
        }
        self.last = Some((s.lat_deg, s.lon_deg));
        let b = self
            .track
            .bbox_deg
            .get_or_insert([s.lat_deg, s.lon_deg, s.lat_deg, s.lon_deg]);
        *b = [
            b[0].min(s.lat_deg),
            b[1].min(s.lon_deg),
            b[2].max(s.lat_deg),
            b[3].max(s.lon_deg),
        ];
        self.max_alt_agl_m = self.max_alt_agl_m.max(s.alt_agl_m);
        Ok(())
    }

    /// Events and alarms as text on the same timeline.
    pub fn event(&mut self, at: DateTime<Utc>, level: EventLevel, text: &str) -> Result<()> {
        self.at(at);
        let level = match level {
            EventLevel::Info => rerun::TextLogLevel::INFO,
            EventLevel::Warning => rerun::TextLogLevel::WARN,
            EventLevel::Alarm => rerun::TextLogLevel::CRITICAL,
        };
        self.rec
            .log("events", &rerun::TextLog::new(text).with_level(level))
            .map_err(|e| rec_err(&self.path, e))
    }

    /// A zone or the authorised perimeter: ring of `[lat_deg, lon_deg]`; static (true for the whole flight).
    pub fn zone(
        &mut self,
        name: &str,
        style: ZoneStyle,
        ring_lat_lon_deg: &[[f64; 2]],
    ) -> Result<()> {
        let mut ring: Vec<(f64, f64)> = ring_lat_lon_deg.iter().map(|p| (p[0], p[1])).collect();
        if let (Some(first), Some(last)) = (ring.first().copied(), ring.last().copied())
            && first != last
        {
            ring.push(first);
        }
        let [r, g, b] = style_rgb(style);
        let color = rerun::Color::from_rgb(r, g, b);
        let entity = format!("map/zones/{}", crate::register::sanitize(name));
        self.rec
            .log_static(
                entity,
                &rerun::GeoLineStrings::from_lat_lon([ring]).with_colors([color]),
            )
            .map_err(|e| rec_err(&self.path, e))
    }

    /// Flush and close the file, check it reads back, and return its digest and the track summary.
    pub fn finish(self) -> Result<RecordingSummary> {
        let FlightRecorder {
            rec,
            path,
            track,
            max_alt_agl_m,
            ..
        } = self;
        rec.flush_blocking().map_err(|e| rec_err(&path, e))?;
        // Dropping the stream joins the file writer thread: the file is complete after this.
        drop(rec);
        let summary = read_rrd_summary(&path)?;
        if summary.messages == 0 {
            return Err(rec_err(
                &path,
                "the recording is empty after closing (disk full?)",
            ));
        }
        Ok(RecordingSummary {
            file: file_ref(&path)?,
            track,
            max_alt_agl_m,
        })
    }
}

fn style_rgb(style: ZoneStyle) -> [u8; 3] {
    match style {
        ZoneStyle::Perimeter => [40, 180, 70],
        ZoneStyle::Prohibited => [220, 40, 40],
        ZoneStyle::Restricted => [240, 150, 20],
    }
}

/// The geography a flight recording holds: the track (`map/vehicle`, in time order) and the zones
/// (`map/zones/<name>`, their style from the colour they were logged with).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RrdGeo {
    /// `[lat, lon]`, in time order.
    pub track: Vec<[f64; 2]>,
    pub zones: Vec<crate::report::MapZone>,
}

/// Read the track and zones of a `.rrd` with Rerun's own decoder.
pub fn read_rrd_geo(path: &Path) -> Result<RrdGeo> {
    use rerun::external::re_log_encoding::DecoderApp;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let decoder =
        DecoderApp::decode_eager(std::io::BufReader::new(file)).map_err(|e| rec_err(path, e))?;
    let mut points: Vec<(i64, [f64; 2])> = Vec::new();
    let mut out = RrdGeo::default();
    let positions = rerun::GeoPoints::descriptor_positions().component;
    let lines = rerun::GeoLineStrings::descriptor_line_strings().component;
    let colors = rerun::GeoLineStrings::descriptor_colors().component;
    let timeline = rerun::TimelineName::from_static_str(TIMELINE);
    for msg in decoder {
        let msg = msg.map_err(|e| rec_err(path, e))?;
        let rerun::log::LogMsg::ArrowMsg(_, arrow) = &msg else {
            continue;
        };
        let chunk = rerun::log::Chunk::from_arrow_msg(arrow).map_err(|e| rec_err(path, e))?;
        let entity = chunk.entity_path().to_string();
        if entity == "/map/vehicle" {
            let times: Vec<i64> = chunk
                .timelines()
                .get(&timeline)
                .map(|t| t.times_raw().to_vec())
                .unwrap_or_default();
            for (i, batch) in chunk
                .iter_component::<rerun::components::LatLon>(positions)
                .enumerate()
            {
                for p in batch.iter() {
                    points.push((
                        times.get(i).copied().unwrap_or(i64::MAX),
                        [p.latitude(), p.longitude()],
                    ));
                }
            }
        } else if let Some(name) = entity.strip_prefix("/map/zones/") {
            let rgb: Option<[u8; 3]> = chunk
                .iter_component::<rerun::components::Color>(colors)
                .next()
                .and_then(|b| {
                    b.first().map(|c| {
                        let [r, g, b, _] = c.to_array();
                        [r, g, b]
                    })
                });
            let style = [
                ZoneStyle::Perimeter,
                ZoneStyle::Prohibited,
                ZoneStyle::Restricted,
            ]
            .into_iter()
            .find(|s| Some(style_rgb(*s)) == rgb)
            .unwrap_or(ZoneStyle::Restricted);
            for batch in chunk.iter_component::<rerun::components::GeoLineString>(lines) {
                for ring in batch.iter() {
                    out.zones.push(crate::report::MapZone {
                        name: name.to_string(),
                        style,
                        ring_lat_lon_deg: ring.0.iter().map(|v| [v.x(), v.y()]).collect(),
                    });
                }
            }
        }
    }
    points.sort_by_key(|(t, _)| *t);
    out.track = points.into_iter().map(|(_, p)| p).collect();
    Ok(out)
}

/// What an `.rrd` holds: decoded with Rerun's own decoder (a truncated or foreign file fails).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RrdSummary {
    pub messages: usize,
    pub entity_paths: BTreeSet<String>,
}

pub fn read_rrd_summary(path: &Path) -> Result<RrdSummary> {
    use rerun::external::re_log_encoding::DecoderApp;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let decoder =
        DecoderApp::decode_eager(std::io::BufReader::new(file)).map_err(|e| rec_err(path, e))?;
    let mut out = RrdSummary::default();
    for msg in decoder {
        let msg = msg.map_err(|e| rec_err(path, e))?;
        out.messages += 1;
        if let rerun::log::LogMsg::ArrowMsg(_, arrow) = &msg {
            let chunk = rerun::log::Chunk::from_arrow_msg(arrow).map_err(|e| rec_err(path, e))?;
            out.entity_paths.insert(chunk.entity_path().to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quaternion_of_pure_yaw() {
        let q = quaternion_xyzw(0.0, 0.0, 90.0);
        assert!(
            (q[2] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6
                && (q[3] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6
        );
    }

    #[test]
    fn haversine_between_istres_runway_thresholds() {
        // Thresholds of runway 15/33 (DOMAIN.md §2); an equirectangular hand computation gives 3 752 m.
        let d = distance_m((43.537771, 4.913302), (43.507789, 4.934626));
        assert!((3_740.0..=3_765.0).contains(&d), "{d}");
    }
}
