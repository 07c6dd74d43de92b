//! Obstacles (blocking zones, inflated and made convex) and routing a leg around them along a
//! visibility graph, in the planning frame's metres.

use chrono::{DateTime, Utc};
use flight_rules::{Altitude, Authorisation, LatLon, Restriction, RuleSet, Shape, VerticalContext};
use serde::{Deserialize, Serialize};

use crate::local::{LocalFrame, convex_hull, cross, dist, dot, ring_points, sub};

/// An area the patterns keep out of: a blocking zone's horizontal shape made convex and pushed
/// outward by a margin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Obstacle {
    pub zone_id: String,
    /// Convex hull, counter-clockwise, latitude/longitude.
    pub hull: Vec<LatLon>,
}

impl Obstacle {
    pub(crate) fn hull_xy(&self, f: &LocalFrame) -> Vec<[f64; 2]> {
        let pts: Vec<[f64; 2]> = self.hull.iter().map(|p| f.to_xy(*p)).collect();
        convex_hull(&pts)
    }
}

/// Points on a circle of radius `r` around `c` whose polygon contains the circle.
fn circle_points(c: [f64; 2], r: f64, n: usize) -> Vec<[f64; 2]> {
    let rr = r / (std::f64::consts::PI / n as f64).cos();
    (0..n)
        .map(|i| {
            let a = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            [c[0] + rr * a.cos(), c[1] + rr * a.sin()]
        })
        .collect()
}

/// The zones that would refuse a patrol near `area` (lon/lat polygon) flown up to `max_agl_m`
/// during `window` (from, to): PROHIBITED ones, and those needing an authorisation the arrêté does
/// not give; each as a convex obstacle `margin_m` wider than the zone. Choose a margin above the
/// rules' `zones.leg_margin_m` (a leg closer than that is refused as too close to call).
pub fn blocking_obstacles(
    rules: &RuleSet,
    authorisation: Option<&Authorisation>,
    area: &geo::Polygon<f64>,
    home_amsl_m: f64,
    max_agl_m: f64,
    margin_m: f64,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> Vec<Obstacle> {
    let (from, to) = window;
    let pts = ring_points(area.exterior());
    if pts.is_empty() {
        return vec![];
    }
    let centre = LatLon::new(
        pts.iter().map(|p| p[1]).sum::<f64>() / pts.len() as f64,
        pts.iter().map(|p| p[0]).sum::<f64>() / pts.len() as f64,
    );
    let radius = pts
        .iter()
        .map(|p| centre.distance_m(&LatLon::new(p[1], p[0])))
        .fold(0.0, f64::max);
    let f = LocalFrame::new(centre);
    let ctx = VerticalContext {
        ground_amsl_m: Some(home_amsl_m),
        ground_uncertainty_m: rules.limits.ceiling.terrain_relief_m,
        home_amsl_m: Some(home_amsl_m),
        geoid_undulation_m: None,
        relief_vs_home_m: Some(rules.limits.ceiling.terrain_relief_m),
    };
    let mut out = Vec::new();
    for z in rules
        .zones
        .candidates_near(centre, radius + margin_m + 5_000.0)
    {
        let blocks = match z.restriction {
            Restriction::Prohibited => true,
            Restriction::ReqAuthorisation | Restriction::USpace => {
                !authorisation.is_some_and(|a| a.unlocks(&z.identifier))
            }
            Restriction::Conditional | Restriction::NoRestriction => false,
        };
        if !blocks
            || !z.applicability.may_be_active_during(from, to)
            || !z.reachable_below(Altitude::agl(max_agl_m), &ctx)
        {
            continue;
        }
        let mut pts: Vec<[f64; 2]> = Vec::new();
        for v in &z.volumes {
            match &v.shape {
                Shape::Circle { center, radius_m } => {
                    pts.extend(circle_points(f.to_xy(*center), radius_m + margin_m, 24));
                }
                Shape::Polygon(p) => {
                    for c in ring_points(p.exterior()) {
                        pts.extend(circle_points(f.to_xy(LatLon::new(c[1], c[0])), margin_m, 8));
                    }
                }
            }
        }
        let hull = convex_hull(&pts);
        if hull.len() >= 3 {
            out.push(Obstacle {
                zone_id: z.identifier.clone(),
                hull: hull.iter().map(|p| f.to_latlon(*p)).collect(),
            });
        }
    }
    out
}

/// Does segment a→b pass through the interior of convex CCW polygon `poly`? Touching an edge or
/// a vertex does not count (Cyrus–Beck clipping against the shrunk half-planes).
pub(crate) fn blocks(poly: &[[f64; 2]], a: [f64; 2], b: [f64; 2]) -> bool {
    let n = poly.len();
    if n < 3 {
        return false;
    }
    let d = sub(b, a);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    const EPS: f64 = 0.01; // metres inside the edge
    for i in 0..n {
        let (p, q) = (poly[i], poly[(i + 1) % n]);
        let e = sub(q, p);
        let len = e[0].hypot(e[1]);
        if len < 1e-9 {
            continue;
        }
        // Inward normal of a CCW edge.
        let nrm = [-e[1] / len, e[0] / len];
        let num = dot(nrm, sub(a, p)) - EPS;
        let den = dot(nrm, d);
        if den.abs() < 1e-12 {
            if num < 0.0 {
                return false;
            }
            continue;
        }
        let t = -num / den;
        if den > 0.0 {
            t0 = t0.max(t);
        } else {
            t1 = t1.min(t);
        }
        if t0 >= t1 {
            return false;
        }
    }
    (t1 - t0) * d[0].hypot(d[1]) > 1e-6
}

pub(crate) fn inside(poly: &[[f64; 2]], p: [f64; 2]) -> bool {
    let n = poly.len();
    n >= 3
        && (0..n).all(|i| {
            let (a, b) = (poly[i], poly[(i + 1) % n]);
            cross(sub(b, a), sub(p, a)) > 1e-9
        })
}

/// The waypoints to put between a and b so the path stays out of every obstacle (shortest way
/// along their hulls). Empty when the straight leg is clear; None when no way round exists (an
/// end inside an obstacle): the caller keeps the straight leg and the rules refuse it.
pub(crate) fn route(
    a: [f64; 2],
    b: [f64; 2],
    obstacles: &[Vec<[f64; 2]>],
) -> Option<Vec<[f64; 2]>> {
    if !obstacles.iter().any(|o| blocks(o, a, b)) {
        return Some(vec![]);
    }
    let mut nodes = vec![a, b];
    for o in obstacles {
        for &v in o {
            if !obstacles.iter().any(|other| inside(other, v)) {
                nodes.push(v);
            }
        }
    }
    let n = nodes.len();
    let clear = |i: usize, j: usize| !obstacles.iter().any(|o| blocks(o, nodes[i], nodes[j]));
    // Dijkstra on the visibility graph (a few hundred nodes at most).
    let mut best = vec![f64::INFINITY; n];
    let mut prev = vec![usize::MAX; n];
    let mut done = vec![false; n];
    best[0] = 0.0;
    loop {
        let u = (0..n)
            .filter(|&i| !done[i] && best[i].is_finite())
            .min_by(|&x, &y| best[x].total_cmp(&best[y]))?;
        if u == 1 {
            break;
        }
        done[u] = true;
        for v in 0..n {
            if done[v] || v == u {
                continue;
            }
            let c = best[u] + dist(nodes[u], nodes[v]);
            if c < best[v] && clear(u, v) {
                best[v] = c;
                prev[v] = u;
            }
        }
    }
    let mut path = vec![];
    let mut at = prev[1];
    while at != 0 && at != usize::MAX {
        path.push(nodes[at]);
        at = prev[at];
    }
    path.reverse();
    Some(path)
}
