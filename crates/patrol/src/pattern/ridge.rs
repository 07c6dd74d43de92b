//! Ridge line: a polyline flown at constant height above the terrain (the grid must cover it),
//! and a helper that finds the crest of an area on the grid.

use super::{
    AltitudeMode, Obstacle, PatrolPlan, PatrolSettings, PatternError, PatternKind, area_xy,
    check_positive, check_settings,
};
use crate::local::{LocalFrame, dist, lerp, ring_contains, ring_points};
use crate::terrain::ElevationGrid;
use flight_rules::LatLon;

/// A ridge patrol along `polyline` at the settings' height above the terrain. The altitude mode
/// must follow the terrain (AboveTerrain or TerrainFollowRelative); every point of the line, cut
/// every `settings.terrain_step_m`, must have an elevation in the grid.
pub fn ridge_line(
    polyline: &[LatLon],
    grid: &ElevationGrid,
    settings: &PatrolSettings,
    obstacles: &[Obstacle],
) -> Result<PatrolPlan, PatternError> {
    check_settings(settings)?;
    if matches!(settings.altitude, AltitudeMode::RelativeHome { .. }) {
        return Err(PatternError::TerrainRequired(
            "a ridge line flies at constant height above the terrain: choose AboveTerrain or TerrainFollowRelative",
        ));
    }
    if polyline.len() < 2 || polyline.iter().any(|p| !p.is_valid()) {
        return Err(PatternError::BadArea(
            "a ridge line needs at least two valid points".into(),
        ));
    }
    let step = settings.terrain_step_m.min(grid.cell_size_m()).max(10.0);
    let f = LocalFrame::new(settings.home);
    let mut route = vec![];
    for w in polyline.windows(2) {
        let (a, b) = (f.to_xy(w[0]), f.to_xy(w[1]));
        let n = (dist(a, b) / step).ceil().max(1.0) as usize;
        let from = if route.is_empty() { 0 } else { 1 };
        for k in from..=n {
            let p = f.to_latlon(lerp(a, b, k as f64 / n as f64));
            if grid.elevation_m(p).is_none() {
                return Err(PatternError::TerrainUnknown {
                    grid: grid.source().to_string(),
                    at: p,
                    why: "the ridge line leaves the grid or crosses a no-data cell",
                });
            }
            route.push(p);
        }
    }
    Ok(PatrolPlan {
        kind: PatternKind::RidgeLine,
        settings: settings.clone(),
        route,
        swath_width_m: settings
            .camera
            .nadir_footprint_m(settings.altitude.nominal_agl_m())
            .0,
        obstacles: obstacles.to_vec(),
    })
}

/// The crest of `area` on the grid: across slices `step_m` apart along `axis_deg` (the ridge's
/// general direction, degrees true), the highest point inside the area. West-to-east (or
/// south-to-north) order.
pub fn crest_line(
    area: &geo::Polygon<f64>,
    grid: &ElevationGrid,
    axis_deg: f64,
    step_m: f64,
) -> Result<Vec<LatLon>, PatternError> {
    check_positive("step_m", step_m)?;
    let pts = ring_points(area.exterior());
    let Some(first) = pts.first() else {
        return Err(PatternError::BadArea("no vertex".into()));
    };
    let f = LocalFrame::new(LatLon::new(first[1], first[0]));
    let xy = area_xy(area, &f)?;
    let ring = ring_points(xy.exterior());
    let h = axis_deg.to_radians();
    let (u, v) = ([h.sin(), h.cos()], [h.cos(), -h.sin()]);
    let along = |p: [f64; 2]| p[0] * u[0] + p[1] * u[1];
    let across = |p: [f64; 2]| p[0] * v[0] + p[1] * v[1];
    let (umin, umax) = ring
        .iter()
        .map(|p| along(*p))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let (vmin, vmax) = ring
        .iter()
        .map(|p| across(*p))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    let fine = (grid.cell_size_m() / 4.0).clamp(5.0, step_m);
    let mut out = vec![];
    let mut s = umin + step_m / 2.0;
    while s <= umax {
        let mut best: Option<(f64, [f64; 2])> = None;
        let mut t = vmin;
        while t <= vmax {
            let p = [u[0] * s + v[0] * t, u[1] * s + v[1] * t];
            if ring_contains(&ring, p)
                && let Some(e) = grid.elevation_m(f.to_latlon(p))
                && best.is_none_or(|(b, _)| e > b)
            {
                best = Some((e, p));
            }
            t += fine;
        }
        if let Some((_, p)) = best {
            out.push(f.to_latlon(p));
        }
        s += step_m;
    }
    if out.len() < 2 {
        return Err(PatternError::TerrainUnknown {
            grid: grid.source().to_string(),
            at: f.origin(),
            why: "the grid covers too little of the area to find its crest",
        });
    }
    // West to east / south to north reads naturally on a map.
    if let (Some(a), Some(b)) = (out.first(), out.last())
        && (b.lon_deg - a.lon_deg).abs() >= (b.lat_deg - a.lat_deg).abs() * 1.37
        && b.lon_deg < a.lon_deg
    {
        out.reverse();
    }
    Ok(out)
}
