//! Survey grid: parallel lines over the forest, spaced from the camera's ground footprint at the
//! flight height and a side overlap, flown back and forth; by default along the wind (each line
//! into the wind or with it, never across: no crab, the footprint stays square to the track).

use serde::{Deserialize, Serialize};

use super::route::blocks;
use super::{
    Obstacle, PatrolPlan, PatrolSettings, PatternError, PatternKind, area_xy, check_settings,
};
use crate::camera::line_spacing_m;
use crate::local::{LocalFrame, dot, ring_points, sub};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridOptions {
    /// Share of the footprint width seen by two neighbouring lines (0.3 = 30 %).
    pub side_overlap: f64,
    /// Direction of the lines, degrees true; None = along the wind (`wind_from_deg`), else along
    /// the area's longest side.
    pub heading_deg: Option<f64>,
    /// Where the wind comes from, degrees true (the anemometer, METAR or the vehicle).
    pub wind_from_deg: Option<f64>,
    /// Stop the lines this far inside the area's edge, metres (0: on the edge).
    pub edge_inset_m: f64,
}

impl Default for GridOptions {
    fn default() -> Self {
        Self {
            side_overlap: 0.3,
            heading_deg: None,
            wind_from_deg: None,
            edge_inset_m: 0.0,
        }
    }
}

/// The direction of the area's longest extent (of its minimum rotated rectangle), degrees.
fn long_axis_deg(xy: &geo::Polygon<f64>) -> f64 {
    use geo::MinimumRotatedRect;
    let Some(r) = xy.minimum_rotated_rect() else {
        return 0.0;
    };
    let p = ring_points(r.exterior());
    if p.len() < 3 {
        return 0.0;
    }
    let (a, b) = (sub(p[1], p[0]), sub(p[2], p[1]));
    let e = if a[0].hypot(a[1]) >= b[0].hypot(b[1]) {
        a
    } else {
        b
    };
    e[0].atan2(e[1]).to_degrees().rem_euclid(180.0)
}

pub fn survey_grid(
    area: &geo::Polygon<f64>,
    opts: &GridOptions,
    settings: &PatrolSettings,
    obstacles: &[Obstacle],
) -> Result<PatrolPlan, PatternError> {
    check_settings(settings)?;
    if !(0.0..0.95).contains(&opts.side_overlap) {
        return Err(PatternError::BadSetting {
            what: "side_overlap",
            expected: "between 0 and 0.95",
            got: opts.side_overlap,
        });
    }
    let f = LocalFrame::new(settings.home);
    let xy = area_xy(area, &f)?;
    let agl = settings.altitude.nominal_agl_m();
    let spacing = line_spacing_m(&settings.camera, agl, opts.side_overlap);
    let heading = opts
        .heading_deg
        .or(opts.wind_from_deg)
        .filter(|h| h.is_finite())
        .unwrap_or_else(|| long_axis_deg(&xy))
        .rem_euclid(180.0);
    // u along the lines, v across them (x east, y north).
    let h = heading.to_radians();
    let u = [h.sin(), h.cos()];
    let v = [h.cos(), -h.sin()];
    let rings: Vec<Vec<[f64; 2]>> = std::iter::once(xy.exterior())
        .chain(xy.interiors())
        .map(ring_points)
        .collect();
    let obs: Vec<Vec<[f64; 2]>> = obstacles.iter().map(|o| o.hull_xy(&f)).collect();
    let (vmin, vmax) = rings
        .iter()
        .flatten()
        .map(|p| dot(*p, v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let width = vmax - vmin;
    let n_lines = ((width / spacing).ceil() as usize).max(1);
    // Centre the lines on the area so both edges get the same margin.
    let start = vmin + (width - (n_lines as f64 - 1.0) * spacing) / 2.0;
    let mut route_xy: Vec<[f64; 2]> = Vec::new();
    let mut flown_lines = 0;
    for k in 0..n_lines {
        let c = start + k as f64 * spacing;
        let mut cuts: Vec<f64> = Vec::new();
        for r in &rings {
            for i in 0..r.len() {
                let (a, b) = (r[i], r[(i + 1) % r.len()]);
                let (da, db) = (dot(a, v) - c, dot(b, v) - c);
                if (da > 0.0) != (db > 0.0) {
                    let t = da / (da - db);
                    cuts.push(dot(a, u) + t * (dot(b, u) - dot(a, u)));
                }
            }
        }
        cuts.sort_by(f64::total_cmp);
        let mut intervals: Vec<(f64, f64)> = cuts
            .chunks_exact(2)
            .map(|w| (w[0] + opts.edge_inset_m, w[1] - opts.edge_inset_m))
            .filter(|(a, b)| b - a > 1.0)
            .collect();
        // Take out what lies inside an obstacle.
        let at = |s: f64| [u[0] * s + v[0] * c, u[1] * s + v[1] * c];
        for o in &obs {
            let mut next = Vec::new();
            for (a, b) in intervals {
                if !blocks(o, at(a), at(b)) {
                    next.push((a, b));
                    continue;
                }
                // Convex: the line is inside over one stretch; find it by the hull's crossings.
                let mut ts: Vec<f64> = Vec::new();
                for i in 0..o.len() {
                    let (p, q) = (o[i], o[(i + 1) % o.len()]);
                    let (dp, dq) = (dot(p, v) - c, dot(q, v) - c);
                    if (dp > 0.0) != (dq > 0.0) {
                        let t = dp / (dp - dq);
                        ts.push(dot(p, u) + t * (dot(q, u) - dot(p, u)));
                    }
                }
                let lo = ts.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = ts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if a < lo - 1.0 {
                    next.push((a, lo.min(b)));
                }
                if hi + 1.0 < b {
                    next.push((hi.max(a), b));
                }
            }
            intervals = next;
        }
        if intervals.is_empty() {
            continue;
        }
        // Back and forth: odd lines flown the other way.
        let forward = flown_lines % 2 == 0;
        flown_lines += 1;
        if !forward {
            intervals.reverse();
        }
        for (a, b) in intervals {
            let (s0, s1) = if forward { (a, b) } else { (b, a) };
            route_xy.push(at(s0));
            route_xy.push(at(s1));
        }
    }
    if route_xy.is_empty() {
        return Err(PatternError::NothingToFly);
    }
    Ok(PatrolPlan {
        kind: PatternKind::SurveyGrid {
            heading_deg: heading,
            spacing_m: spacing,
            lines: flown_lines,
        },
        settings: settings.clone(),
        route: route_xy.into_iter().map(|p| f.to_latlon(p)).collect(),
        swath_width_m: settings.camera.nadir_footprint_m(agl).0,
        obstacles: obstacles.to_vec(),
    })
}
