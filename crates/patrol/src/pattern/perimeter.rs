//! Perimeter: a closed loop `inset_m` inside the forest's edge, starting at the corner nearest
//! home. A polygon that the inset cuts in pieces gives one loop per piece, nearest first.

use geo::Simplify;
use geo::algorithm::buffer::{Buffer, BufferStyle, LineJoin};

use super::{
    Obstacle, PatrolPlan, PatrolSettings, PatternError, PatternKind, area_xy, check_positive,
    check_settings,
};
use crate::local::{LocalFrame, dist, ring_points};

pub fn perimeter_pattern(
    area: &geo::Polygon<f64>,
    inset_m: f64,
    settings: &PatrolSettings,
    obstacles: &[Obstacle],
) -> Result<PatrolPlan, PatternError> {
    check_settings(settings)?;
    check_positive("inset_m", inset_m)?;
    let f = LocalFrame::new(settings.home);
    let xy = area_xy(area, &f)?;
    let shrunk = xy.buffer_with_style(BufferStyle::new(-inset_m).line_join(LineJoin::Miter(0.3)));
    let home = [0.0, 0.0];
    let mut loops: Vec<Vec<[f64; 2]>> = shrunk
        .0
        .iter()
        .map(|p| {
            // Drop the buffer's tiny facets: a metre off the line is nothing to a camera.
            let simple = p.exterior().simplify(1.0);
            ring_points(&simple)
        })
        .filter(|r| r.len() >= 3)
        .collect();
    if loops.is_empty() {
        return Err(PatternError::InsetTooLarge { inset_m });
    }
    let near = |r: &Vec<[f64; 2]>| {
        r.iter()
            .map(|p| dist(*p, home))
            .fold(f64::INFINITY, f64::min)
    };
    loops.sort_by(|a, b| near(a).total_cmp(&near(b)));
    let mut route = Vec::new();
    for mut r in loops {
        // Start at the vertex nearest home (or the previous loop's end) and close the loop.
        let from = route.last().map_or(home, |p| f.to_xy(*p));
        if let Some(k) = (0..r.len()).min_by(|&i, &j| dist(r[i], from).total_cmp(&dist(r[j], from)))
        {
            r.rotate_left(k);
        }
        if let Some(&first) = r.first() {
            r.push(first);
        }
        route.extend(r.into_iter().map(|p| f.to_latlon(p)));
    }
    Ok(PatrolPlan {
        kind: PatternKind::Perimeter { inset_m },
        settings: settings.clone(),
        route,
        swath_width_m: settings
            .camera
            .nadir_footprint_m(settings.altitude.nominal_agl_m())
            .0,
        obstacles: obstacles.to_vec(),
    })
}
