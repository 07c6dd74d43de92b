//! The fence the vehicle should enforce: the authorised perimeter as inclusion, blocking zones near
//! the operation as exclusions, the ceiling as FENCE_ALT_MAX; within the autopilot's item budget,
//! simplifying exclusions **only outward** (a simplified exclusion always contains the original).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::authorisation::Authorisation;
use crate::geom::{self, LocalFrame};
use crate::limits::Limits;
use crate::types::{Altitude, LatLon, VerticalContext};
use crate::zone::{Restriction, Shape};
use crate::zoneset::ZoneSet;

/// A fence polygon (MAVLink 5001 inclusion / 5002 exclusion vertices).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FencePolygon {
    pub inclusion: bool,
    /// Open ring (no closing duplicate).
    pub vertices: Vec<LatLon>,
}

/// A fence circle (MAVLink 5003 inclusion / 5004 exclusion).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FenceCircle {
    pub inclusion: bool,
    pub center: LatLon,
    pub radius_m: f64,
}

/// What the station uploads as the vehicle's fence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FencePlan {
    pub polygons: Vec<FencePolygon>,
    pub circles: Vec<FenceCircle>,
    /// FENCE_ALT_MAX: the ceiling above home (ceiling AGL minus the assumed terrain relief).
    pub alt_max_rel_home_m: f64,
    /// Zones that became exclusions, with whether their shape had to be simplified.
    pub exclusions_from: Vec<(String, bool)>,
}

impl FencePlan {
    /// Fence items it takes (polygon vertices + circles).
    pub fn item_count(&self) -> usize {
        self.polygons
            .iter()
            .map(|p| p.vertices.len())
            .sum::<usize>()
            + self.circles.len()
    }
}

/// What the autopilot can hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FenceOptions {
    /// Maximum number of fence items (vertices + circles).
    pub vertex_budget: usize,
    /// Whether circle items (5003/5004) are supported; otherwise circles become circumscribed polygons.
    pub circles_supported: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FenceError {
    #[error(
        "the authorisation perimeter needs {needed} fence vertices but the vehicle holds {budget}: simplify the perimeter in the authorisation file"
    )]
    PerimeterTooComplex { needed: usize, budget: usize },
    #[error(
        "the fence needs at least {needed} items even after simplifying every exclusion, but the vehicle holds {budget}: raise the budget (FENCE_TOTAL) or reduce the zones near the operation"
    )]
    BudgetTooSmall { needed: usize, budget: usize },
}

/// Fence with circle support (ArduPilot) and the given vertex budget.
pub fn fence_plan(
    zones: &ZoneSet,
    auth: &Authorisation,
    limits: &Limits,
    vertex_budget: usize,
    now: DateTime<Utc>,
) -> Result<FencePlan, FenceError> {
    fence_plan_with(
        zones,
        auth,
        limits,
        FenceOptions {
            vertex_budget,
            circles_supported: true,
        },
        now,
    )
}

enum Excl {
    Poly {
        zone: String,
        pts: Vec<LatLon>,
        simplified: bool,
        convex: bool,
        done: bool,
    },
    Circle {
        zone: String,
        c: FenceCircle,
    },
}

pub fn fence_plan_with(
    zones: &ZoneSet,
    auth: &Authorisation,
    limits: &Limits,
    opts: FenceOptions,
    now: DateTime<Utc>,
) -> Result<FencePlan, FenceError> {
    let budget = opts.vertex_budget;
    let mut polygons: Vec<FencePolygon> = auth
        .perimeter
        .iter()
        .map(|(_, p)| FencePolygon {
            inclusion: true,
            vertices: geom::ring_xy(p.exterior())
                .into_iter()
                .map(|c| LatLon::new(c[1], c[0]))
                .collect(),
        })
        .collect();
    let perimeter_items: usize = polygons.iter().map(|p| p.vertices.len()).sum();
    if perimeter_items > budget {
        return Err(FenceError::PerimeterTooComplex {
            needed: perimeter_items,
            budget,
        });
    }

    // Zones that matter: blocking, not unlocked, possibly active during the rest of the validity
    // window, reachable below the ceiling, near the perimeter.
    let ceiling = Altitude::agl(auth.ceiling_agl_m(limits));
    let ctx = VerticalContext::default();
    let from = now.max(auth.valid_from);
    let look = limits.zones.fence_lookahead_m;
    let mut excl: Vec<Excl> = vec![];
    let mut seen = std::collections::BTreeSet::new();
    for poly in auth.perimeter_polygons() {
        let ring = geom::ring_xy(poly.exterior());
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for c in &ring {
            lo = [lo[0].min(c[0]), lo[1].min(c[1])];
            hi = [hi[0].max(c[0]), hi[1].max(c[1])];
        }
        let centre = LatLon::new((lo[1] + hi[1]) / 2.0, (lo[0] + hi[0]) / 2.0);
        let radius = centre.distance_m(&LatLon::new(hi[1], hi[0])) + look;
        for z in zones.candidates_near(centre, radius) {
            let blocking = z.restriction == Restriction::Prohibited
                || (z.restriction.is_blocking() && !auth.unlocks(&z.identifier));
            if !blocking
                || !z.applicability.may_be_active_during(from, auth.valid_until)
                || !z.reachable_below(ceiling, &ctx)
                || !z.volumes.iter().any(|v| volume_near(&v.shape, &poly, look))
                || !seen.insert(z.identifier.clone())
            {
                continue;
            }
            for v in &z.volumes {
                match &v.shape {
                    Shape::Circle { center, radius_m } => {
                        let c = FenceCircle {
                            inclusion: false,
                            center: *center,
                            radius_m: *radius_m,
                        };
                        if opts.circles_supported {
                            excl.push(Excl::Circle {
                                zone: z.identifier.clone(),
                                c,
                            });
                        } else {
                            excl.push(Excl::Poly {
                                zone: z.identifier.clone(),
                                pts: circumscribed_polygon(
                                    *center,
                                    *radius_m,
                                    limits.fence.circle_segments,
                                ),
                                simplified: true,
                                convex: true,
                                done: false,
                            });
                        }
                    }
                    Shape::Polygon(p) => excl.push(Excl::Poly {
                        zone: z.identifier.clone(),
                        pts: geom::ring_xy(p.exterior())
                            .into_iter()
                            .map(|c| LatLon::new(c[1], c[0]))
                            .collect(),
                        simplified: false,
                        convex: false,
                        done: false,
                    }),
                }
            }
        }
    }

    let count = |excl: &[Excl]| -> usize {
        excl.iter()
            .map(|e| match e {
                Excl::Poly { pts, .. } => pts.len(),
                Excl::Circle { .. } => 1,
            })
            .sum()
    };
    // Reduce the largest exclusion first, outward only, until everything fits.
    while perimeter_items + count(&excl) > budget {
        let Some(idx) = excl
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Excl::Poly {
                    pts, done: false, ..
                } => Some((i, pts.len())),
                _ => None,
            })
            .max_by_key(|(_, n)| *n)
            .map(|(i, _)| i)
        else {
            break;
        };
        let Some(Excl::Poly {
            zone,
            pts,
            simplified,
            convex,
            done,
        }) = excl.get_mut(idx)
        else {
            break;
        };
        if !*convex {
            *pts = convex_outward(pts, limits.fence.simplify_margin_m);
            *simplified = true;
            *convex = true;
            continue;
        }
        match reduce_convex_once(pts) {
            Some(n) => {
                *pts = n;
                *simplified = true;
            }
            None if opts.circles_supported => {
                // Cannot lose a vertex (triangle, rectangle): the enclosing circle costs one item.
                let c = enclosing_circle(pts);
                let zone = zone.clone();
                excl[idx] = Excl::Circle { zone, c };
            }
            None => *done = true,
        }
    }
    let needed = perimeter_items + count(&excl);
    if needed > budget {
        return Err(FenceError::BudgetTooSmall { needed, budget });
    }

    let mut circles = vec![];
    let mut exclusions_from = vec![];
    for e in excl {
        match e {
            Excl::Poly {
                zone,
                pts,
                simplified,
                ..
            } => {
                polygons.push(FencePolygon {
                    inclusion: false,
                    vertices: pts,
                });
                exclusions_from.push((zone, simplified));
            }
            Excl::Circle { zone, c } => {
                circles.push(c);
                exclusions_from.push((zone, false));
            }
        }
    }
    let alt_max_rel_home_m =
        (auth.ceiling_agl_m(limits) - limits.ceiling.terrain_relief_m).max(0.0);
    Ok(FencePlan {
        polygons,
        circles,
        alt_max_rel_home_m,
        exclusions_from,
    })
}

fn frame_for(pts: &[LatLon]) -> LocalFrame {
    let n = pts.len().max(1) as f64;
    let lat = pts.iter().map(|p| p.lat_deg).sum::<f64>() / n;
    let lon = pts.iter().map(|p| p.lon_deg).sum::<f64>() / n;
    LocalFrame::new(LatLon::new(lat, lon))
}

/// Convex hull of the polygon, pushed outward by `margin_m`: contains the original.
pub fn convex_outward(pts: &[LatLon], margin_m: f64) -> Vec<LatLon> {
    let f = frame_for(pts);
    let xy: Vec<[f64; 2]> = pts.iter().map(|p| f.to_xy(*p)).collect();
    let hull = geom::convex_hull(&xy);
    offset_convex(&hull, margin_m.max(0.0))
        .into_iter()
        .map(|p| f.to_latlon(p))
        .collect()
}

/// Offset a CCW convex polygon outward by `m` (each edge moved out, corners re-intersected).
fn offset_convex(hull: &[[f64; 2]], m: f64) -> Vec<[f64; 2]> {
    let n = hull.len();
    if n < 3 || m == 0.0 {
        return hull.to_vec();
    }
    let lines: Vec<([f64; 2], [f64; 2])> = (0..n)
        .map(|i| {
            let (a, b) = (hull[i], hull[(i + 1) % n]);
            let d = geom::sub(b, a);
            let l = geom::norm(d).max(1e-12);
            let out = [d[1] / l * m, -d[0] / l * m];
            ([a[0] + out[0], a[1] + out[1]], d)
        })
        .collect();
    (0..n)
        .map(|i| {
            let (p1, d1) = lines[(i + n - 1) % n];
            let (p2, d2) = lines[i];
            geom::line_intersection(p1, d1, p2, d2).unwrap_or(p2)
        })
        .collect()
}

/// Remove one edge of a convex polygon by extending its two neighbours until they meet (the
/// cheapest such edge by added area). The result contains the input. None when no edge can go.
pub fn reduce_convex_once(pts: &[LatLon]) -> Option<Vec<LatLon>> {
    let n = pts.len();
    if n <= 3 {
        return None;
    }
    let f = frame_for(pts);
    let mut xy: Vec<[f64; 2]> = pts.iter().map(|p| f.to_xy(*p)).collect();
    if geom::ring_area(&xy) < 0.0 {
        xy.reverse();
    }
    let mut best: Option<(usize, [f64; 2], f64)> = None;
    for i in 0..n {
        let (prev, a, b, next) = (xy[(i + n - 1) % n], xy[i], xy[(i + 1) % n], xy[(i + 2) % n]);
        let d1 = geom::sub(a, prev);
        let d2 = geom::sub(b, next);
        let Some(p) = geom::line_intersection(a, d1, b, d2) else {
            continue;
        };
        // p must lie beyond a along d1 and beyond b along d2 (outward), else the lines meet inside.
        if geom::dot(geom::sub(p, a), d1) <= 0.0 || geom::dot(geom::sub(p, b), d2) <= 0.0 {
            continue;
        }
        let area = geom::cross(geom::sub(b, a), geom::sub(p, a)).abs() / 2.0;
        if best.is_none_or(|(_, _, ba)| area < ba) {
            best = Some((i, p, area));
        }
    }
    let (i, p, _) = best?;
    let mut out = Vec::with_capacity(n - 1);
    for (k, q) in xy.iter().enumerate() {
        if k == i {
            out.push(p);
        } else if k == (i + 1) % n {
            continue;
        } else {
            out.push(*q);
        }
    }
    Some(out.into_iter().map(|q| f.to_latlon(q)).collect())
}

/// Regular polygon whose edges lie outside the circle (circumradius r / cos(π/n)).
pub fn circumscribed_polygon(center: LatLon, radius_m: f64, segments: usize) -> Vec<LatLon> {
    let n = segments.max(3);
    let f = LocalFrame::new(center);
    // 0.5 % extra absorbs the local projection's error over the circle.
    let r = radius_m / (std::f64::consts::PI / n as f64).cos() * 1.005 + 0.5;
    (0..n)
        .map(|i| {
            let a = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            f.to_latlon([r * a.cos(), r * a.sin()])
        })
        .collect()
}

/// A circle containing every vertex (centroid + farthest vertex, plus 1 m).
fn enclosing_circle(pts: &[LatLon]) -> FenceCircle {
    let f = frame_for(pts);
    let center = f.to_latlon([0.0, 0.0]);
    let r = pts.iter().map(|p| center.distance_m(p)).fold(0.0, f64::max) * 1.001 + 1.0;
    FenceCircle {
        inclusion: false,
        center,
        radius_m: r,
    }
}

/// Does the shape come within `look_m` of the polygon (overlap counts)?
fn volume_near(shape: &Shape, poly: &geo::Polygon<f64>, look_m: f64) -> bool {
    let ring: Vec<LatLon> = geom::ring_xy(poly.exterior())
        .into_iter()
        .map(|c| LatLon::new(c[1], c[0]))
        .collect();
    let f = frame_for(&ring);
    let per: Vec<[f64; 2]> = ring.iter().map(|p| f.to_xy(*p)).collect();
    let edge_dist = |q: [f64; 2]| {
        geom::ring_edges(&per)
            .map(|(a, b)| geom::point_segment_distance(q, a, b))
            .fold(f64::INFINITY, f64::min)
    };
    match shape {
        Shape::Circle { center, radius_m } => {
            let c = f.to_xy(*center);
            geom::ring_contains(&per, c) || edge_dist(c) - radius_m <= look_m
        }
        Shape::Polygon(zp) => {
            let zr: Vec<[f64; 2]> = geom::ring_xy(zp.exterior())
                .into_iter()
                .map(|c| f.to_xy(LatLon::new(c[1], c[0])))
                .collect();
            if zr.iter().any(|q| geom::ring_contains(&per, *q))
                || per.iter().any(|q| geom::ring_contains(&zr, *q))
            {
                return true;
            }
            // Disjoint: the closest approach of two polygons is at a vertex of one of them.
            let zone_dist = |q: [f64; 2]| {
                geom::ring_edges(&zr)
                    .map(|(a, b)| geom::point_segment_distance(q, a, b))
                    .fold(f64::INFINITY, f64::min)
            };
            let crossing = geom::ring_edges(&zr).any(|(a, b)| {
                geom::ring_edges(&per).any(|(c, d)| geom::segments_intersect(a, b, c, d))
            });
            crossing
                || zr
                    .iter()
                    .map(|q| edge_dist(*q))
                    .chain(per.iter().map(|q| zone_dist(*q)))
                    .fold(f64::INFINITY, f64::min)
                    <= look_m
        }
    }
}
