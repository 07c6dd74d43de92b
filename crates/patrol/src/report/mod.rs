//! The report for the fire service (SDIS): the patrol track, the area the camera covered, the
//! hot spots with their times, errors, notes and snapshots (relative paths, so the folder can be
//! copied as a whole), as GeoJSON (RFC 7946, loads in QGIS) and KML 2.2 (Google Earth). Pure:
//! the caller writes the strings where it wants (`<dir>/patrol.geojson`, `<dir>/patrol.kml`,
//! `<dir>/snapshots/…`).

mod geojson;
mod kml;

pub use geojson::to_geojson;
pub use kml::to_kml;

use chrono::{DateTime, Utc};
use flight_rules::LatLon;
use geo::{Area, BooleanOps, Simplify};
use serde::Serialize;

use crate::camera::CameraModel;
use crate::hotspot::Hotspot;
use crate::local::LocalFrame;
use crate::project::{CameraPose, Ground, footprint};

/// One point of the flown track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrackPoint {
    pub at: DateTime<Utc>,
    pub pos: LatLon,
    pub alt_amsl_m: f64,
}

/// Everything the report says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatrolReport {
    pub title: String,
    /// The register's flight id, when the flight is recorded.
    pub flight_id: Option<String>,
    pub operator: Option<String>,
    pub pilot: Option<String>,
    /// The legal basis flown under (`env-risques-naturels`).
    pub legal_basis: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub track: Vec<TrackPoint>,
    /// The planned patrol route, when there was one.
    pub planned: Vec<LatLon>,
    /// Ground the camera saw (lon/lat), from [`coverage`].
    pub coverage: Option<geo::MultiPolygon<f64>>,
    pub hotspots: Vec<Hotspot>,
}

impl PatrolReport {
    /// Area covered, hectares (0 when none).
    pub fn covered_ha(&self) -> f64 {
        covered_ha(self.coverage.as_ref())
    }
}

pub(crate) fn covered_ha(c: Option<&geo::MultiPolygon<f64>>) -> f64 {
    let Some(mp) = c else { return 0.0 };
    let Some(first) = mp.0.first().and_then(|p| p.exterior().0.first()) else {
        return 0.0;
    };
    let f = LocalFrame::new(LatLon::new(first.y, first.x));
    mp.0.iter()
        .map(|p| f.polygon_to_xy(p).unsigned_area())
        .sum::<f64>()
        / 10_000.0
}

/// The ground the camera saw: the union of the image footprints at each pose (every `every`-th
/// pose is enough when they are close), corners clipped at `max_range_m` for oblique views,
/// simplified to `tolerance_m`.
pub fn coverage(
    camera: &CameraModel,
    poses: &[CameraPose],
    ground: &Ground,
    every: usize,
    max_range_m: f64,
    tolerance_m: f64,
) -> Option<geo::MultiPolygon<f64>> {
    let first = poses.first()?;
    let f = LocalFrame::new(first.position);
    let quads: Vec<geo::Polygon<f64>> = poses
        .iter()
        .step_by(every.max(1))
        .chain(poses.last())
        .filter_map(|p| footprint(camera, p, ground, max_range_m))
        .map(|c| {
            let mut ring: Vec<geo::Coord<f64>> = c
                .iter()
                .map(|p| {
                    let [x, y] = f.to_xy(*p);
                    geo::Coord { x, y }
                })
                .collect();
            if let Some(&p0) = ring.first() {
                ring.push(p0);
            }
            geo::Polygon::new(geo::LineString::new(ring), vec![])
        })
        .collect();
    if quads.is_empty() {
        return None;
    }
    // Union pairwise in a balanced tree: fast and robust for hundreds of footprints.
    let mut layer: Vec<geo::MultiPolygon<f64>> = quads
        .into_iter()
        .map(|q| geo::MultiPolygon::new(vec![q]))
        .collect();
    while layer.len() > 1 {
        let mut next = Vec::with_capacity(layer.len().div_ceil(2));
        let mut it = layer.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => next.push(a.union(&b)),
                None => next.push(a),
            }
        }
        layer = next;
    }
    let merged = layer.pop()?;
    let simple = merged.simplify(tolerance_m);
    let ll = geo::MultiPolygon::new(simple.0.iter().map(|p| f.polygon_to_lonlat(p)).collect());
    (!ll.0.is_empty()).then_some(ll)
}

pub(crate) fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
