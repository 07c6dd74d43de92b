//! Breach prediction: how far, and how soon at the present ground velocity (or drifting with the
//! wind), the vehicle reaches a blocking zone's boundary or leaves the authorised perimeter.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::geom::{self, LocalFrame};
use crate::types::{LatLon, WindReading};
use crate::zone::{Restriction, Shape, polygon_contains};
use crate::zoneset::ZoneSet;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum BreachKind {
    /// Entering a zone that blocks (prohibited, or requiring an authorisation not held).
    Zone { zone_id: String, zone_name: String },
    /// Leaving the union of the perimeter polygons.
    PerimeterExit,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreachPrediction {
    pub kind: BreachKind,
    /// Horizontal distance to the boundary now, metres (0 when already across).
    pub distance_m: f64,
    /// Time to reach it along the present ground track, or drifting with the wind if sooner;
    /// None when neither motion reaches it; Some(0) when already across.
    pub time_s: Option<f64>,
}

/// The inputs of a prediction, all measured by the caller.
#[derive(Debug, Clone, Copy)]
pub struct BreachInput<'a> {
    pub pos: LatLon,
    /// Ground velocity north/east, m/s.
    pub ground_velocity_ne_mps: [f64; 2],
    /// Wind for the drift case (vehicle stops holding position), when known.
    pub wind: Option<&'a WindReading>,
    /// Zone IDs the authorisation unlocks (REQ_AUTHORISATION zones that do not block).
    pub unlocked: &'a [String],
    pub now: DateTime<Utc>,
    /// Only zones within this distance are considered.
    pub search_m: f64,
}

/// Predictions for every blocking zone within reach and for the perimeter, soonest first.
pub fn breach_prediction(
    zones: &ZoneSet,
    perimeter: &[geo::Polygon<f64>],
    input: &BreachInput,
) -> Vec<BreachPrediction> {
    let f = LocalFrame::new(input.pos);
    let o = [0.0, 0.0];
    // Motion vectors in the local frame (x = east, y = north).
    let mut rays: Vec<([f64; 2], f64)> = vec![];
    let v = input.ground_velocity_ne_mps;
    let speed = v[0].hypot(v[1]);
    if speed > 0.05 {
        rays.push(([v[1] / speed, v[0] / speed], speed));
    }
    if let Some(w) = input.wind
        && let Some(from) = w.from_deg
    {
        let to = (from + 180.0).to_radians();
        let s = w.peak_mps();
        if s > 0.05 {
            rays.push(([to.sin(), to.cos()], s));
        }
    }
    let time_along = |hits: &dyn Fn([f64; 2]) -> Option<f64>| -> Option<f64> {
        rays.iter()
            .filter_map(|(u, s)| hits(*u).map(|d| d / s))
            .min_by(f64::total_cmp)
    };

    let mut out = vec![];
    for z in zones.candidates_near(input.pos, input.search_m) {
        let blocking = z.restriction == Restriction::Prohibited
            || (z.restriction.is_blocking() && !input.unlocked.iter().any(|u| u == &z.identifier));
        if !blocking || !z.applicability.is_active(input.now) {
            continue;
        }
        let mut inside = false;
        let mut best_t: Option<f64> = None;
        for vol in &z.volumes {
            match &vol.shape {
                Shape::Circle { center, radius_m } => {
                    let c = f.to_xy(*center);
                    if geom::norm(c) <= *radius_m {
                        inside = true;
                    }
                    let t = time_along(&|u| ray_circle(o, u, c, *radius_m));
                    best_t = min_opt(best_t, t);
                }
                Shape::Polygon(p) => {
                    if polygon_contains(p, input.pos) {
                        inside = true;
                    }
                    let rings: Vec<Vec<[f64; 2]>> = std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(|r| {
                            geom::ring_xy(r)
                                .into_iter()
                                .map(|c| f.to_xy(LatLon::new(c[1], c[0])))
                                .collect()
                        })
                        .collect();
                    let t = time_along(&|u| ray_rings(o, u, &rings));
                    best_t = min_opt(best_t, t);
                }
            }
        }
        let distance_m = if inside {
            0.0
        } else {
            z.distance_to_boundary_m(input.pos)
        };
        if distance_m > input.search_m {
            continue;
        }
        out.push(BreachPrediction {
            kind: BreachKind::Zone {
                zone_id: z.identifier.clone(),
                zone_name: z.name.clone(),
            },
            distance_m,
            time_s: if inside { Some(0.0) } else { best_t },
        });
    }

    if !perimeter.is_empty() {
        let inside = perimeter.iter().any(|p| polygon_contains(p, input.pos));
        let rings: Vec<Vec<[f64; 2]>> = perimeter
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| {
                geom::ring_xy(r)
                    .into_iter()
                    .map(|c| f.to_xy(LatLon::new(c[1], c[0])))
                    .collect()
            })
            .collect();
        let distance_m = if inside {
            rings
                .iter()
                .flat_map(|r| {
                    geom::ring_edges(r)
                        .map(|(a, b)| geom::point_segment_distance(o, a, b))
                        .collect::<Vec<_>>()
                })
                .fold(f64::INFINITY, f64::min)
        } else {
            0.0
        };
        let time_s = if inside {
            time_along(&|u| ray_rings(o, u, &rings))
        } else {
            Some(0.0)
        };
        out.push(BreachPrediction {
            kind: BreachKind::PerimeterExit,
            distance_m,
            time_s,
        });
    }
    out.sort_by(|a, b| {
        let ka = a.time_s.unwrap_or(f64::INFINITY);
        let kb = b.time_s.unwrap_or(f64::INFINITY);
        ka.total_cmp(&kb)
            .then(a.distance_m.total_cmp(&b.distance_m))
    });
    out
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn ray_rings(o: [f64; 2], u: [f64; 2], rings: &[Vec<[f64; 2]>]) -> Option<f64> {
    rings
        .iter()
        .flat_map(|r| {
            geom::ring_edges(r)
                .filter_map(|(a, b)| geom::ray_segment_hit(o, u, a, b))
                .collect::<Vec<_>>()
        })
        .min_by(f64::total_cmp)
}

fn ray_circle(o: [f64; 2], u: [f64; 2], c: [f64; 2], r: f64) -> Option<f64> {
    // |o + t u − c|² = r²
    let oc = geom::sub(o, c);
    let b = geom::dot(oc, u);
    let cc = geom::dot(oc, oc) - r * r;
    let disc = b * b - cc;
    if disc < 0.0 {
        return None;
    }
    let sq = disc.sqrt();
    [-b - sq, -b + sq]
        .into_iter()
        .filter(|t| *t >= 0.0)
        .min_by(f64::total_cmp)
}
