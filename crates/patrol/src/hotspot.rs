//! Georeferenced hot spots: each observation (a thermal blob projected to the ground, a pilot's
//! click on the video or the map) joins the hot spot it is the same fire as — close in distance
//! for their errors, close in time — or starts a new one.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use flight_rules::LatLon;
use serde::{Deserialize, Serialize};

use crate::local::LocalFrame;

/// Where an observation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HotspotSource {
    /// A blob found in the thermal stream.
    Thermal,
    /// CAMERA_THERMAL_RANGE's hottest point.
    ThermalRange,
    /// The pilot clicked the video.
    PilotVideo,
    /// The pilot clicked the map.
    PilotMap,
}

/// One sighting of a hot spot on the ground.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub at: DateTime<Utc>,
    pub pos: LatLon,
    /// Estimated position error (≈ 95 % radius), metres.
    pub error_m: f64,
    pub ground_amsl_m: Option<f64>,
    pub source: HotspotSource,
    /// Peak luma (display streams) or °C (radiometric, thermal range), when measured.
    pub peak: Option<f64>,
    /// The snapshot saved with it, relative to the report's directory (`snapshots/…jpg`).
    pub snapshot: Option<String>,
    pub note: Option<String>,
}

/// A hot spot: the merged observations of one fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hotspot {
    /// `HS-1`, `HS-2`, … in order of first sighting.
    pub id: String,
    pub pos: LatLon,
    pub error_m: f64,
    pub ground_amsl_m: Option<f64>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub observations: u32,
    pub sources: BTreeSet<HotspotSource>,
    pub peak: Option<f64>,
    /// The snapshot of the best sighting (hottest, else the most precise).
    pub snapshot: Option<String>,
    pub notes: Vec<String>,
    #[serde(skip)]
    acc: Acc,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Acc {
    origin: Option<LatLon>,
    sw: f64,
    sx: f64,
    sy: f64,
    best_snapshot_score: f64,
}

/// When two observations are the same fire.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MergePolicy {
    /// Always merge within this distance, metres (a fire front is tens of metres).
    pub min_distance_m: f64,
    /// Merge when closer than this times the sum of the two errors.
    pub error_factor: f64,
    /// Never merge across a gap longer than this, seconds (a fire seen again an hour later is
    /// reported as seen again, but a restarted one is a new report).
    pub max_gap_s: f64,
}

impl Default for MergePolicy {
    fn default() -> Self {
        Self {
            min_distance_m: 15.0,
            error_factor: 1.0,
            max_gap_s: 900.0,
        }
    }
}

/// The hot spots of a patrol, in order of first sighting.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HotspotLog {
    pub policy: MergePolicy,
    hotspots: Vec<Hotspot>,
}

impl HotspotLog {
    pub fn new(policy: MergePolicy) -> Self {
        Self {
            policy,
            hotspots: Vec::new(),
        }
    }

    pub fn hotspots(&self) -> &[Hotspot] {
        &self.hotspots
    }

    pub fn get(&self, id: &str) -> Option<&Hotspot> {
        self.hotspots.iter().find(|h| h.id == id)
    }

    /// Add an observation; returns the id of the hot spot it joined or started. Observations
    /// with an unusable position or error are refused (None).
    pub fn observe(&mut self, o: Observation) -> Option<String> {
        if !(o.pos.is_valid() && o.error_m.is_finite() && o.error_m >= 0.0) {
            return None;
        }
        let p = self.policy;
        let best = self
            .hotspots
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                let gap = (o.at - h.last_seen).num_milliseconds().abs() as f64 / 1000.0;
                gap <= p.max_gap_s
            })
            .map(|(i, h)| (i, h.pos.distance_m(&o.pos), h.error_m))
            .filter(|(_, d, e)| *d <= p.min_distance_m.max(p.error_factor * (e + o.error_m)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _, _)| i);
        match best.and_then(|i| self.hotspots.get_mut(i)) {
            Some(h) => {
                merge_into(h, &o);
                Some(h.id.clone())
            }
            None => {
                let id = format!("HS-{}", self.hotspots.len() + 1);
                let mut h = Hotspot {
                    id: id.clone(),
                    pos: o.pos,
                    error_m: o.error_m,
                    ground_amsl_m: o.ground_amsl_m,
                    first_seen: o.at,
                    last_seen: o.at,
                    observations: 0,
                    sources: BTreeSet::new(),
                    peak: None,
                    snapshot: None,
                    notes: Vec::new(),
                    acc: Acc {
                        origin: Some(o.pos),
                        best_snapshot_score: f64::NEG_INFINITY,
                        ..Acc::default()
                    },
                };
                merge_into(&mut h, &o);
                self.hotspots.push(h);
                Some(id)
            }
        }
    }

    /// The pilot's note on a hot spot (false when there is no such id).
    pub fn annotate(&mut self, id: &str, note: &str) -> bool {
        match self.hotspots.iter_mut().find(|h| h.id == id) {
            Some(h) => {
                let n = note.trim();
                if !n.is_empty() {
                    h.notes.push(n.to_string());
                }
                true
            }
            None => false,
        }
    }
}

fn merge_into(h: &mut Hotspot, o: &Observation) {
    let origin = h.acc.origin.unwrap_or(o.pos);
    let f = LocalFrame::new(origin);
    let xy = f.to_xy(o.pos);
    // Inverse-variance weights; the error floor keeps one perfect-looking sighting from
    // swamping the rest.
    let w = 1.0 / o.error_m.max(0.5).powi(2);
    h.acc.sw += w;
    h.acc.sx += w * xy[0];
    h.acc.sy += w * xy[1];
    h.pos = f.to_latlon([h.acc.sx / h.acc.sw, h.acc.sy / h.acc.sw]);
    // Errors of successive sightings share biases (GPS, heading, mounting): the merged error is
    // that of the best sighting, not the shrinking 1/√n of independent ones.
    h.error_m = if h.observations == 0 {
        o.error_m
    } else {
        h.error_m.min(o.error_m)
    };
    if h.ground_amsl_m.is_none() {
        h.ground_amsl_m = o.ground_amsl_m;
    }
    h.first_seen = h.first_seen.min(o.at);
    h.last_seen = h.last_seen.max(o.at);
    h.observations += 1;
    h.sources.insert(o.source);
    if let Some(pk) = o.peak {
        h.peak = Some(h.peak.map_or(pk, |p| p.max(pk)));
    }
    if let Some(s) = &o.snapshot {
        // Hottest sighting first, then the most precise.
        let score = o.peak.unwrap_or(0.0) * 1000.0 - o.error_m;
        if score > h.acc.best_snapshot_score {
            h.acc.best_snapshot_score = score;
            h.snapshot = Some(s.clone());
        }
    }
    if let Some(n) = o.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        h.notes.push(n.to_string());
    }
}
