//! Judging a patrol before upload: the rules' own verdict on uploading it
//! (`flight_rules::evaluate(.., Action::UploadMission, ..)`: zones, ceiling, perimeter,
//! authorisation window), the battery it needs against a worst-case headwind, and — when a
//! terrain model is loaded — the real height above the ground along every leg and the zones'
//! AMSL limits judged with the real ground, which the rules alone can only bound by
//! `ceiling.terrain_relief_m` around home.

use chrono::{DateTime, Utc};
use flight_rules::mission::frame;
use flight_rules::rules::rule_id as rules_id;
use flight_rules::{
    Action, AltRef, Containment, Decision, Finding, LatLon, Mission, Position3d, Restriction,
    RuleSet, Severity, Situation, VerticalContext, evaluate,
};
use serde::Serialize;

use crate::local::LocalFrame;
use crate::terrain::ElevationGrid;

/// Rule IDs this crate adds beside the rules' own.
pub mod rule_id {
    /// The patrol needs more battery than one flight has: split it into sorties.
    pub const PATROL_ENDURANCE: &str = "PATROL-ENDURANCE";
    /// A leg comes too close to the terrain model, or the model does not cover it.
    pub const PATROL_TERRAIN: &str = "PATROL-TERRAIN";
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CheckOptions {
    /// Battery at take-off, percent.
    pub battery_start_pct: f64,
    /// Kept on top of the rules' landing reserve when planning, percent.
    pub battery_margin_pct: f64,
    /// Lowest height above the terrain model along any leg, metres (trees, power lines).
    pub min_clearance_m: f64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            battery_start_pct: 100.0,
            battery_margin_pct: 5.0,
            min_clearance_m: 30.0,
        }
    }
}

/// The battery a mission needs, with the model behind the figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Endurance {
    pub duration_s: f64,
    /// The rules' landing reserve plus the flight.
    pub battery_needed_pct: f64,
    /// Take-off battery less the planning margin.
    pub battery_available_pct: f64,
    pub length_m: f64,
    pub climb_m: f64,
    /// The wind reckoned with, m/s: through the wind triangle from `wind_from_deg`, or as a
    /// headwind on every leg when no reading gave a direction.
    pub headwind_mps: f64,
    pub wind_from_deg: Option<f64>,
    pub ground_speed_mps: f64,
    /// No wind reading: the take-off limit was assumed.
    pub wind_assumed: bool,
}

impl Endurance {
    pub fn fits(&self) -> bool {
        self.battery_needed_pct <= self.battery_available_pct
    }
}

/// Height above the terrain model along the mission.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TerrainClearance {
    pub min_agl_m: f64,
    pub min_at: LatLon,
    pub max_agl_m: f64,
    pub max_at: LatLon,
    /// Samples the model had no elevation for.
    pub unknown_samples: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatrolCheck {
    /// The rules' findings and this crate's, one verdict.
    pub decision: Decision,
    pub endurance: Endurance,
    pub terrain: Option<TerrainClearance>,
}

impl PatrolCheck {
    pub fn is_denied(&self) -> bool {
        self.decision.is_denied()
    }
}

/// The patrol's own findings carry their English reason as the message's one argument (the
/// app's catalogue shows it as it is: these sentences are not translated yet).
fn finding(rule_id: &'static str, severity: Severity, reason: String) -> Finding {
    let message = flight_rules::Message::new("patrol-finding").text("reason", reason.clone());
    Finding::new(rule_id, severity, reason, message)
}

fn home_of(s: &Situation, m: &Mission) -> Option<(LatLon, Option<f64>)> {
    m.planned_home
        .map(|(p, e)| (p, e.is_finite().then_some(e)))
        .or_else(|| s.takeoff_point.map(|p| (p, s.ground_amsl_m)))
        .or_else(|| {
            s.vehicle
                .as_ref()
                .and_then(|v| v.home.filter(|_| v.home_set))
                .map(|p| (p, s.ground_amsl_m))
        })
}

/// Altitude AMSL of a path point, given home's elevation and the terrain (None when unknown).
fn amsl_of(
    alt: flight_rules::Altitude,
    pos: LatLon,
    home_amsl: Option<f64>,
    grid: Option<&ElevationGrid>,
) -> Option<f64> {
    match alt.reference {
        AltRef::Amsl => Some(alt.value_m),
        AltRef::RelHome => home_amsl.map(|h| h + alt.value_m),
        AltRef::Agl => grid
            .and_then(|g| g.elevation_m(pos))
            .map(|g| g + alt.value_m),
        AltRef::Wgs84 => None,
    }
}

/// Flight time and battery of `mission` with the wind (the rules' `mission_time`: leg by leg
/// through the wind triangle when a reading gives the direction, a headwind on every leg
/// otherwise), plus the climbs the terrain model imposes; never less than the rules' own
/// estimate, so a sortie that fits here is not refused at arming for its battery.
pub fn endurance(
    rules: &RuleSet,
    s: &Situation,
    mission: &Mission,
    terrain: Option<&ElevationGrid>,
    opts: &CheckOptions,
) -> Endurance {
    let airframe = s.vehicle.as_ref().map_or("", |v| v.airframe.as_str());
    let cruise = mission
        .cruise_speed_mps
        .unwrap_or_else(|| rules.limits.cruise_mps(airframe));
    let (wind, wind_assumed) = if s.wind.is_empty() {
        (rules.limits.takeoff_wind_limit_mps(airframe), true)
    } else {
        (
            s.wind.iter().map(|w| w.peak_mps()).fold(0.0, f64::max),
            false,
        )
    };
    let ground = (cruise - wind).max(1.0);
    let Some((home, home_amsl)) = home_of(s, mission) else {
        return Endurance {
            duration_s: f64::INFINITY,
            battery_needed_pct: f64::INFINITY,
            battery_available_pct: opts.battery_start_pct - opts.battery_margin_pct,
            length_m: f64::NAN,
            climb_m: f64::NAN,
            headwind_mps: wind,
            wind_from_deg: None,
            ground_speed_mps: ground,
            wind_assumed,
        };
    };
    let path = mission.path(home);
    let length: f64 = mission.length_m(home);
    let climb_rules: f64 = path
        .windows(2)
        .map(|w| (w[1].alt.value_m - w[0].alt.value_m).abs())
        .sum();
    // With a terrain model, the height changes as the vehicle really makes them: terrain-frame
    // legs follow the ground up and down.
    let mut climb_real = 0.0;
    if let Some(g) = terrain {
        for w in path.windows(2) {
            let (a, b) = (w[0], w[1]);
            let n = if b.alt.reference == AltRef::Agl {
                ((a.pos.distance_m(&b.pos) / (g.cell_size_m() / 2.0).max(5.0)).ceil() as usize)
                    .max(1)
            } else {
                1
            };
            let f = LocalFrame::new(a.pos);
            let bb = f.to_xy(b.pos);
            let mut last = amsl_of(a.alt, a.pos, home_amsl, Some(g));
            for k in 1..=n {
                let t = k as f64 / n as f64;
                let p = f.to_latlon([bb[0] * t, bb[1] * t]);
                let alt = flight_rules::Altitude {
                    value_m: b.alt.value_m,
                    reference: b.alt.reference,
                };
                let here = if b.alt.reference == AltRef::Agl {
                    amsl_of(alt, p, home_amsl, Some(g))
                } else {
                    last.zip(amsl_of(b.alt, b.pos, home_amsl, Some(g)))
                        .map(|(x, y)| x + (y - x) * t)
                };
                if let (Some(x), Some(y)) = (last, here) {
                    climb_real += (y - x).abs();
                }
                last = here;
            }
        }
    }
    let climb = climb_rules.max(climb_real);
    let mut sw = s.clone();
    if sw.wind.is_empty() {
        sw.wind.push(flight_rules::WindReading {
            source: flight_rules::WindSource::Metar,
            mean_mps: wind,
            gust_mps: None,
            from_deg: None,
            observed_at: chrono::DateTime::<Utc>::MIN_UTC,
        });
    }
    // The rules' own reckoning, leg by leg with the wind (the same the arming check makes), with
    // the height changes the terrain really imposes.
    let t = flight_rules::rules::mission_time(rules, &sw, mission, home);
    let duration_s = t.horizontal_s + climb / 2.5 + 30.0;
    let ground = if t.horizontal_s > 0.0 {
        (t.length_m / t.horizontal_s).max(1.0)
    } else {
        ground
    };
    let battery_needed_pct = rules.limits.vehicle.reserve_battery_pct
        + 100.0 * (duration_s / 60.0) / rules.limits.endurance_min(airframe);
    Endurance {
        duration_s,
        battery_needed_pct,
        battery_available_pct: opts.battery_start_pct - opts.battery_margin_pct,
        length_m: length,
        climb_m: climb,
        headwind_mps: t.wind_mps,
        wind_from_deg: t.wind_from_deg,
        ground_speed_mps: ground,
        wind_assumed,
    }
}

/// Judge a patrol mission before upload. `situation` is the station's (authorisation, wind,
/// vehicle, legal basis …); its mission is replaced by `mission`, its take-off point defaults to
/// the mission's planned home.
pub fn check_mission(
    rules: &RuleSet,
    situation: &Situation,
    mission: &Mission,
    terrain: Option<&ElevationGrid>,
    opts: &CheckOptions,
    now: DateTime<Utc>,
) -> PatrolCheck {
    let mut s = situation.clone();
    s.mission = Some(mission.clone());
    if s.takeoff_point.is_none() {
        s.takeoff_point = mission.planned_home.map(|h| h.0);
    }
    if s.ground_amsl_m.is_none() {
        s.ground_amsl_m = mission.planned_home.map(|h| h.1).filter(|e| e.is_finite());
    }
    let rules_decision = evaluate(rules, &s, &Action::UploadMission, now);
    let mut f = rules_decision.findings.clone();

    let e = endurance(rules, &s, mission, terrain, opts);
    if !e.fits() {
        f.push(finding(
            rule_id::PATROL_ENDURANCE,
            Severity::Blocking,
            format!(
                "the patrol needs {:.0} % of the battery ({:.0} min at {:.1} m/s over the ground on average, {}{}, with the {:.0} % reserve), {:.0} % is available: split it into sorties",
                e.battery_needed_pct,
                e.duration_s / 60.0,
                e.ground_speed_mps,
                match e.wind_from_deg {
                    Some(d) => format!("a {:.0} km/h wind from {d:.0}°", e.headwind_mps * 3.6),
                    None => format!("a {:.0} km/h headwind on every leg", e.headwind_mps * 3.6),
                },
                if e.wind_assumed { " — no wind reading, the take-off limit assumed" } else { "" },
                rules.limits.vehicle.reserve_battery_pct,
                e.battery_available_pct
            ),
        ));
    } else if e.wind_assumed {
        f.push(finding(
            rule_id::PATROL_ENDURANCE,
            Severity::Warning,
            "no wind reading: the endurance was judged with a headwind at the take-off limit"
                .into(),
        ));
    }

    let mut clearance = None;
    if let (Some(g), Some((home, Some(home_amsl)))) = (terrain, home_of(&s, mission)) {
        let (c, more) = terrain_findings(
            rules,
            &s,
            mission,
            g,
            home,
            home_amsl,
            opts,
            now,
            &rules_decision,
        );
        clearance = Some(c);
        f.extend(more);
    } else if mission.items.iter().any(|i| {
        matches!(
            i.frame,
            frame::GLOBAL_TERRAIN_ALT | frame::GLOBAL_TERRAIN_ALT_INT
        )
    }) {
        f.push(finding(
            rule_id::PATROL_TERRAIN,
            Severity::Warning,
            "terrain-frame waypoints without a terrain model loaded: zone limits above sea level are judged from home's elevation".into(),
        ));
    }
    PatrolCheck {
        decision: Decision::from_findings(f),
        endurance: e,
        terrain: clearance,
    }
}

#[allow(clippy::too_many_arguments)]
fn terrain_findings(
    rules: &RuleSet,
    s: &Situation,
    mission: &Mission,
    g: &ElevationGrid,
    home: LatLon,
    home_amsl: f64,
    opts: &CheckOptions,
    now: DateTime<Utc>,
    already: &Decision,
) -> (TerrainClearance, Vec<Finding>) {
    let mut out = Vec::new();
    let path = mission.path(home);
    let ceiling = s
        .authorisation
        .as_ref()
        .map_or(rules.limits.ceiling.max_agl_m, |a| {
            a.ceiling_agl_m(&rules.limits)
        });
    let step = (g.cell_size_m() / 2.0).clamp(2.0, 50.0);
    let mut c = TerrainClearance {
        min_agl_m: f64::INFINITY,
        min_at: home,
        max_agl_m: f64::NEG_INFINITY,
        max_at: home,
        unknown_samples: 0,
    };
    let mut low: Option<(f64, LatLon, Option<u16>)> = None;
    let mut high: Option<(f64, LatLon, Option<u16>)> = None;
    let mut unknown_leg: Option<(LatLon, Option<u16>)> = None;
    let margin = rules.limits.zones.leg_margin_m;
    let mut seen_zones: Vec<String> = Vec::new();
    // Leg 0 is the climb at home: the vehicle leaves the ground there, nothing to clear.
    for w in path.windows(2).skip(1) {
        let (a, b) = (w[0], w[1]);
        let f = LocalFrame::new(a.pos);
        let bb = f.to_xy(b.pos);
        let n = ((a.pos.distance_m(&b.pos) / step).ceil() as usize).clamp(1, 20_000);
        let a_amsl = amsl_of(a.alt, a.pos, Some(home_amsl), Some(g));
        let b_amsl = amsl_of(b.alt, b.pos, Some(home_amsl), Some(g));
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut known = true;
        // The RTL leg is flown at the last altitude; a landing's descent ends on the ground.
        let descends = b.alt.reference == AltRef::Agl && b.alt.value_m == 0.0;
        for k in 0..=n {
            let t = k as f64 / n as f64;
            let p = f.to_latlon([bb[0] * t, bb[1] * t]);
            let Some(ground) = g.elevation_m(p) else {
                c.unknown_samples += 1;
                known = false;
                unknown_leg.get_or_insert((p, b.seq));
                continue;
            };
            lo = lo.min(ground);
            hi = hi.max(ground);
            let vehicle = if b.alt.reference == AltRef::Agl && !descends {
                Some(ground + b.alt.value_m)
            } else {
                a_amsl.zip(b_amsl).map(|(x, y)| x + (y - x) * t)
            };
            let Some(v) = vehicle else { continue };
            let agl = v - ground;
            if descends {
                continue;
            }
            if agl < c.min_agl_m {
                c.min_agl_m = agl;
                c.min_at = p;
            }
            if agl > c.max_agl_m {
                c.max_agl_m = agl;
                c.max_at = p;
            }
            if agl < opts.min_clearance_m && low.is_none_or(|(x, _, _)| agl < x) {
                low = Some((agl, p, b.seq));
            }
            if agl > ceiling && high.is_none_or(|(x, _, _)| agl > x) {
                high = Some((agl, p, b.seq));
            }
        }
        // The zones' limits above sea level, judged with the ground as the model has it.
        if known && lo.is_finite() {
            let ctx = VerticalContext {
                ground_amsl_m: Some((lo + hi) / 2.0),
                ground_uncertainty_m: (hi - lo) / 2.0 + g.vertical_accuracy_m,
                home_amsl_m: Some(home_amsl),
                geoid_undulation_m: s.geoid_undulation_m,
                relief_vs_home_m: None,
            };
            let fa = Position3d::new(a.pos, a.alt, 0.0);
            let fb = Position3d::new(b.pos, b.alt, 0.0);
            for z in rules.zones.candidates_along(a.pos, b.pos, margin) {
                if seen_zones.contains(&z.identifier)
                    || !z
                        .applicability
                        .may_be_active_during(now, now + chrono::Duration::hours(2))
                {
                    continue;
                }
                let (id, sev) = match z.restriction {
                    Restriction::Prohibited => (rules_id::ZONE_PROHIBITED, Severity::Blocking),
                    Restriction::ReqAuthorisation | Restriction::USpace => {
                        if s.authorisation
                            .as_ref()
                            .is_some_and(|x| x.unlocks(&z.identifier))
                        {
                            continue;
                        }
                        (rules_id::ZONE_AUTH_REQUIRED, Severity::Blocking)
                    }
                    Restriction::Conditional => (rules_id::ZONE_CONDITIONAL, Severity::Warning),
                    Restriction::NoRestriction => continue,
                };
                let hit = z.leg_crosses(&fa, &fb, &ctx, margin);
                if hit == Containment::Outside
                    || already
                        .findings
                        .iter()
                        .any(|x| x.reason.contains(&z.identifier))
                {
                    continue;
                }
                seen_zones.push(z.identifier.clone());
                out.push(finding(
                    id,
                    sev,
                    format!(
                        "with the terrain model {}, the leg to mission item {} {} zone {} {:?} (its limits above sea level against the ground {:.0}–{:.0} m under the leg)",
                        g.source(),
                        b.seq.map_or("?".into(), |q| q.to_string()),
                        if hit == Containment::Inside { "enters" } else { "may enter" },
                        z.identifier,
                        z.name,
                        lo,
                        hi
                    ),
                ));
            }
        }
    }
    let item = |q: Option<u16>| q.map_or("?".into(), |x| x.to_string());
    if let Some((agl, p, q)) = low {
        out.push(finding(
            rule_id::PATROL_TERRAIN,
            Severity::Blocking,
            format!(
                "the leg to mission item {} passes {agl:.0} m above the ground at {p} (terrain model {}); at least {:.0} m are required",
                item(q),
                g.source(),
                opts.min_clearance_m
            ),
        ));
    }
    if let Some((agl, p, q)) = high {
        out.push(finding(
            rules_id::CEILING,
            Severity::Blocking,
            format!(
                "with the terrain model {}, the leg to mission item {} flies {agl:.0} m above the ground at {p}, over the {ceiling:.0} m ceiling",
                g.source(),
                item(q)
            ),
        ));
    }
    if let Some((p, q)) = unknown_leg {
        out.push(finding(
            rule_id::PATROL_TERRAIN,
            Severity::Warning,
            format!(
                "the terrain model {} does not cover the leg to mission item {} (at {p}): there the rules assume the ground within {:.0} m of home's",
                g.source(),
                item(q),
                rules.limits.ceiling.terrain_relief_m
            ),
        ));
    }
    (c, out)
}
