//! A patrol longer than one battery, split into battery-sized sorties: each takes off from home,
//! flies out to where the previous one stopped (its resume point), patrols as far as its battery
//! allows with the worst-case headwind, and comes home (RTL). Sized with [`crate::check::endurance`],
//! the same figure the check before upload uses, itself never below the rules' own estimate.

use flight_rules::{LatLon, Mission, RuleSet, Situation};
use serde::Serialize;

use crate::check::{CheckOptions, Endurance, endurance};
use crate::local::{LocalFrame, lerp};
use crate::pattern::{PatrolPlan, PatternError};
use crate::terrain::ElevationGrid;

/// Where a sortie picks the patrol up (or leaves it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ResumePoint {
    pub pos: LatLon,
    /// The next route point to fly after it (index into `PatrolPlan::route`).
    pub next_index: usize,
    /// Distance flown along the route to here, metres.
    pub along_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sortie {
    /// 1, 2, …
    pub number: usize,
    pub mission: Mission,
    /// Where it joins the route (None: at its start).
    pub resume_from: Option<ResumePoint>,
    /// Where it leaves it (None: the patrol is done).
    pub stops_at: Option<ResumePoint>,
    /// Route metres this sortie patrols.
    pub patrol_m: f64,
    pub endurance: Endurance,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SortieError {
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error("the patrol route is empty")]
    EmptyRoute,
    #[error(
        "one battery cannot reach {at} and come back ({needed_pct:.0} % needed for the round trip alone, {available_pct:.0} % available): move home closer or wait for less wind"
    )]
    OutOfReach {
        at: LatLon,
        needed_pct: f64,
        available_pct: f64,
    },
    #[error("more than {0} sorties: the patrol is far too long for this battery and wind")]
    TooMany(usize),
}

/// Longest list of sorties returned before giving up.
pub const MAX_SORTIES: usize = 50;
/// A sortie patrols at least this far, or the split is pointless.
const MIN_PROGRESS_M: f64 = 50.0;

/// Split `plan` into sorties, each fitting `opts`' battery against the wind in `situation`.
pub fn split_sorties(
    plan: &PatrolPlan,
    rules: &RuleSet,
    situation: &Situation,
    terrain: Option<&ElevationGrid>,
    opts: &CheckOptions,
) -> Result<Vec<Sortie>, SortieError> {
    let route = &plan.route;
    if route.is_empty() {
        return Err(SortieError::EmptyRoute);
    }
    let f = LocalFrame::new(plan.settings.home);
    let xy: Vec<[f64; 2]> = route.iter().map(|p| f.to_xy(*p)).collect();
    let mut cum = vec![0.0];
    for w in route.windows(2) {
        let last = cum.last().copied().unwrap_or(0.0);
        cum.push(last + w[0].distance_m(&w[1]));
    }
    let fit = |pts: &[LatLon]| -> Result<(Mission, Endurance), PatternError> {
        let m = plan.mission_through(pts, terrain)?;
        let e = endurance(rules, situation, &m, terrain, opts);
        Ok((m, e))
    };
    let mut out: Vec<Sortie> = Vec::new();
    // The current sortie starts at `start` (a point on the leg into route[next]).
    let mut start: Option<ResumePoint> = None;
    loop {
        if out.len() >= MAX_SORTIES {
            return Err(SortieError::TooMany(MAX_SORTIES));
        }
        let (first_pt, first_next, start_along) = match start {
            None => (route[0], 1, 0.0),
            Some(r) => (r.pos, r.next_index, r.along_m),
        };
        let pts_to = |j: usize| -> Vec<LatLon> {
            let mut v = vec![first_pt];
            v.extend_from_slice(&route[first_next.min(route.len())..j.min(route.len())]);
            v
        };
        // The round trip to the start alone must fit.
        let (m0, e0) = fit(&[first_pt])?;
        if !e0.fits() {
            return Err(SortieError::OutOfReach {
                at: first_pt,
                needed_pct: e0.battery_needed_pct,
                available_pct: e0.battery_available_pct,
            });
        }
        // Whole route points while they fit (a linear walk: each try is a full estimate, cheap).
        let mut j = first_next;
        let mut best = (m0, e0);
        while j < route.len() {
            let (m, e) = fit(&pts_to(j + 1))?;
            if !e.fits() {
                break;
            }
            best = (m, e);
            j += 1;
        }
        if j >= route.len() {
            let along = cum.last().copied().unwrap_or(0.0);
            out.push(Sortie {
                number: out.len() + 1,
                mission: best.0,
                resume_from: start,
                stops_at: None,
                patrol_m: along - start_along,
                endurance: best.1,
            });
            return Ok(out);
        }
        // Then as far along the next leg as the battery allows (bisection).
        let (a, b) = (
            if j == first_next {
                f.to_xy(first_pt)
            } else {
                xy[j - 1]
            },
            xy[j],
        );
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..24 {
            let mid = 0.5 * (lo + hi);
            let mut pts = pts_to(j);
            pts.push(f.to_latlon(lerp(a, b, mid)));
            match fit(&pts) {
                Ok((_, e)) if e.fits() => lo = mid,
                _ => hi = mid,
            }
        }
        let cut = f.to_latlon(lerp(a, b, lo));
        let mut pts = pts_to(j);
        if lo > 0.0 {
            pts.push(cut);
        }
        let (m, e) = fit(&pts)?;
        let leg_start_along = if j == first_next {
            start_along
        } else {
            cum[j - 1]
        };
        let leg_len = crate::local::dist(a, b);
        let along = leg_start_along + lo * leg_len;
        if along - start_along < MIN_PROGRESS_M {
            return Err(SortieError::OutOfReach {
                at: cut,
                needed_pct: e.battery_needed_pct,
                available_pct: e.battery_available_pct,
            });
        }
        let stop = ResumePoint {
            pos: cut,
            next_index: j,
            along_m: along,
        };
        out.push(Sortie {
            number: out.len() + 1,
            mission: m,
            resume_from: start,
            stops_at: Some(stop),
            patrol_m: along - start_along,
            endurance: e,
        });
        start = Some(stop);
    }
}
