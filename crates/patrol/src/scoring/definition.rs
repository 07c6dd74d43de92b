//! Scoring definitions: per scenario, the expectations a trainee is scored on (TOML, shipped in
//! `crates/patrol/scenarios/`, or the operator's own). Parsed into raw structs, then checked
//! once into typed expectations; errors name the file, the field and the fix.

use flight_rules::LatLon;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: field `{field}`: {problem}")]
pub struct ScoringError {
    pub file: String,
    pub field: String,
    pub problem: String,
}

fn err(file: &str, field: impl Into<String>, problem: impl Into<String>) -> ScoringError {
    ScoringError {
        file: file.into(),
        field: field.into(),
        problem: problem.into(),
    }
}

/// What one expectation checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// Never asks for one of `requests` (any, when empty) that a rule in `rules` refuses — e.g.
    /// does not try to take off above the wind limit (`WIND-GATE`).
    NoRefusal {
        rules: Vec<String>,
        requests: Vec<String>,
    },
    /// Never arms (the right call in a mistral).
    StaysOnGround,
    /// Completes the checklist before the first request to arm or take off.
    ChecklistBeforeArming,
    /// After a link loss in flight, the vehicle is returning (RTL/LAND) within `within_s`, and
    /// nobody sends it back on its mission before it lands.
    ReturnsAfterLinkLoss { within_s: f64 },
    /// After a GPS loss in flight, takes over (RTL, BRAKE, or LOITER/POSHOLD/RTL/BRAKE mode)
    /// within `within_s` of the fix coming back.
    TakesOverAfterGpsLoss { within_s: f64 },
    /// Never lets a predicted breach fall under `min_time_s`.
    BreachMargin { min_time_s: f64 },
    /// Lands with at least `min_pct` battery.
    LandingBattery { min_pct: f64 },
    /// Lands within `within_m` of the take-off point.
    LandsNearHome { within_m: f64 },
    /// No fence breach, no in-flight zone or perimeter alarm.
    NoFenceBreach,
    /// Acknowledges every critical alarm within `within_s`.
    AcknowledgesAlarms { within_s: f64 },
    /// Reports at least `min_found` of the `fires`, each report within its stated error (or
    /// `max_error_m` when it states none) of the fire.
    FindsHotspots {
        fires: Vec<LatLon>,
        min_found: usize,
        max_error_m: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    pub id: String,
    pub label: String,
    pub label_fr: Option<String>,
    pub points: u32,
    pub check: Check,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringDefinition {
    pub scenario: String,
    pub title: String,
    pub expectations: Vec<Expectation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    scenario: String,
    title: String,
    #[serde(default)]
    expect: Vec<RawExpectation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    id: String,
    label: String,
    label_fr: Option<String>,
    kind: String,
    points: Option<u32>,
    rules: Option<Vec<String>>,
    requests: Option<Vec<String>>,
    within_s: Option<f64>,
    min_time_s: Option<f64>,
    min_pct: Option<f64>,
    within_m: Option<f64>,
    /// [[lat, lon], …]
    fires: Option<Vec<[f64; 2]>>,
    min_found: Option<usize>,
    max_error_m: Option<f64>,
}

const KINDS: &str = "no_refusal, stays_on_ground, checklist_before_arming, returns_after_link_loss, takes_over_after_gps_loss, breach_margin, landing_battery, lands_near_home, no_fence_breach, acknowledges_alarms, finds_hotspots";

impl ScoringDefinition {
    /// Parse a definition; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Self, ScoringError> {
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| err(file, "(file)", e.to_string().trim_end().replace('\n', " ")))?;
        if raw.scenario.trim().is_empty() {
            return Err(err(
                file,
                "scenario",
                "must name the scenario (e.g. istres-calm)",
            ));
        }
        if raw.expect.is_empty() {
            return Err(err(
                file,
                "expect",
                "a scored scenario needs at least one [[expect]]",
            ));
        }
        let mut out = Vec::new();
        for (i, e) in raw.expect.into_iter().enumerate() {
            let fld = |f: &str| format!("expect[{i}].{f}");
            if e.id.trim().is_empty() || e.id.contains(char::is_whitespace) {
                return Err(err(file, fld("id"), "one word, e.g. landing-battery"));
            }
            if out.iter().any(|x: &Expectation| x.id == e.id) {
                return Err(err(file, fld("id"), format!("{} is used twice", e.id)));
            }
            let need = |v: Option<f64>, f: &str| -> Result<f64, ScoringError> {
                match v {
                    Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
                    Some(x) => Err(err(file, fld(f), format!("must be a number ≥ 0, got {x}"))),
                    None => Err(err(file, fld(f), format!("required for kind {}", e.kind))),
                }
            };
            let check = match e.kind.as_str() {
                "no_refusal" => Check::NoRefusal {
                    rules: match e.rules {
                        Some(r) if !r.is_empty() => r,
                        _ => {
                            return Err(err(
                                file,
                                fld("rules"),
                                "list the rule IDs, e.g. [\"WIND-GATE\"]",
                            ));
                        }
                    },
                    requests: e.requests.unwrap_or_default(),
                },
                "stays_on_ground" => Check::StaysOnGround,
                "checklist_before_arming" => Check::ChecklistBeforeArming,
                "returns_after_link_loss" => Check::ReturnsAfterLinkLoss {
                    within_s: need(e.within_s, "within_s")?,
                },
                "takes_over_after_gps_loss" => Check::TakesOverAfterGpsLoss {
                    within_s: need(e.within_s, "within_s")?,
                },
                "breach_margin" => Check::BreachMargin {
                    min_time_s: need(e.min_time_s, "min_time_s")?,
                },
                "landing_battery" => {
                    let p = need(e.min_pct, "min_pct")?;
                    if p > 100.0 {
                        return Err(err(file, fld("min_pct"), "a percentage, 0–100"));
                    }
                    Check::LandingBattery { min_pct: p }
                }
                "lands_near_home" => Check::LandsNearHome {
                    within_m: need(e.within_m, "within_m")?,
                },
                "no_fence_breach" => Check::NoFenceBreach,
                "acknowledges_alarms" => Check::AcknowledgesAlarms {
                    within_s: need(e.within_s, "within_s")?,
                },
                "finds_hotspots" => {
                    let fires: Vec<LatLon> = e
                        .fires
                        .unwrap_or_default()
                        .into_iter()
                        .map(|[lat, lon]| LatLon::new(lat, lon))
                        .collect();
                    if fires.is_empty() || fires.iter().any(|f| !f.is_valid()) {
                        return Err(err(file, fld("fires"), "list the fires as [[lat, lon], …]"));
                    }
                    let min_found = e.min_found.unwrap_or(fires.len());
                    if min_found == 0 || min_found > fires.len() {
                        return Err(err(
                            file,
                            fld("min_found"),
                            format!("between 1 and the {} fires listed", fires.len()),
                        ));
                    }
                    Check::FindsHotspots {
                        fires,
                        min_found,
                        max_error_m: e.max_error_m.unwrap_or(50.0),
                    }
                }
                other => {
                    return Err(err(
                        file,
                        fld("kind"),
                        format!("unknown kind {other:?}: one of {KINDS}"),
                    ));
                }
            };
            out.push(Expectation {
                id: e.id,
                label: e.label,
                label_fr: e.label_fr,
                points: e.points.unwrap_or(1),
                check,
            });
        }
        Ok(Self {
            scenario: raw.scenario,
            title: raw.title,
            expectations: out,
        })
    }
}

/// The shipped definitions (scenario name, file name, text).
pub const EMBEDDED: &[(&str, &str, &str)] = &[
    (
        "istres-calm",
        "scenarios/istres-calm.toml",
        include_str!("../../scenarios/istres-calm.toml"),
    ),
    (
        "istres-mistral",
        "scenarios/istres-mistral.toml",
        include_str!("../../scenarios/istres-mistral.toml"),
    ),
    (
        "air-base-approach",
        "scenarios/air-base-approach.toml",
        include_str!("../../scenarios/air-base-approach.toml"),
    ),
    (
        "forest-patrol",
        "scenarios/forest-patrol.toml",
        include_str!("../../scenarios/forest-patrol.toml"),
    ),
    (
        "link-loss",
        "scenarios/link-loss.toml",
        include_str!("../../scenarios/link-loss.toml"),
    ),
    (
        "night-patrol-gps-loss",
        "scenarios/night-patrol-gps-loss.toml",
        include_str!("../../scenarios/night-patrol-gps-loss.toml"),
    ),
];

/// The shipped definition of a scenario, by name (None when there is none).
pub fn embedded(scenario: &str) -> Option<Result<ScoringDefinition, ScoringError>> {
    EMBEDDED
        .iter()
        .find(|(n, _, _)| *n == scenario)
        .map(|(_, file, text)| {
            ScoringDefinition::from_toml(text, &format!("embedded:crates/patrol/{file}"))
        })
}
