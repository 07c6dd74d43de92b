//! The one interlock mapping, pure: a request becomes steps (each an `Action` for the rules and
//! the work the link would do), and each step is judged by [`flight_rules::evaluate`].
//!
//! Two promises live here and nowhere else:
//! - nothing but a step whose decision is not `Deny` produces link work (the state machine emits
//!   work only from [`judge_step`]'s allowed branch);
//! - RTL, LAND, BRAKE and disarm are never refused, whatever the rules answer.

use chrono::{DateTime, Utc};
use flight_rules::{
    Action, Altitude, Authorisation, Decision, FlightMode, LatLon, Mission, RuleSet, Situation,
    Verdict,
};
use vigie_link::{CopterMode, MissionItem, MissionType, ParamType, VehicleCommand};

use crate::protocol::{Failure, VehicleRequest};
use crate::translate::flight_mode;

/// What the link does for one step.
#[derive(Debug, Clone, PartialEq)]
pub enum VehicleWork {
    Command(VehicleCommand),
    /// Upload, read back, compare by meaning.
    Upload {
        kind: MissionType,
        items: Vec<MissionItem>,
    },
    SetParam {
        name: &'static str,
        value: f64,
        param_type: ParamType,
    },
    /// Read one parameter (never refused: reading changes nothing).
    ReadParam {
        name: &'static str,
    },
    /// Download the mission, fence or rally items the vehicle holds.
    Download {
        kind: MissionType,
    },
}

/// What a step is for, so its result lands in the right place.
#[derive(Debug, Clone, PartialEq)]
pub enum StepRole {
    Plain,
    FenceItems,
    FenceParam,
    /// FENCE_ENABLE: a refusal leaves the fence loaded but not enabled (the rules then block
    /// arming on VEHICLE-FENCE) instead of failing the upload.
    FenceEnable,
    MissionItems(Mission),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: Action,
    pub work: VehicleWork,
    pub role: StepRole,
}

impl Step {
    fn command(action: Action, cmd: VehicleCommand) -> Self {
        Step {
            action,
            work: VehicleWork::Command(cmd),
            role: StepRole::Plain,
        }
    }
}

/// What a plan may need to know besides the request.
#[derive(Debug, Clone, Copy)]
pub struct PlanContext<'a> {
    pub rules: &'a RuleSet,
    pub authorisation: Option<&'a Authorisation>,
    /// The fence's inclusion when there is no authorisation (a basis that needs none).
    pub operation_area: Option<&'a crate::state::OperationArea>,
    pub position: Option<LatLon>,
    pub home: Option<LatLon>,
    pub airborne: bool,
    /// The terrain model and home's elevation, when loaded: the fence ceiling (above home) then
    /// makes room for the relief inside the perimeter, the AGL ceiling being the station's watch.
    pub terrain: Option<&'a vigie_patrol::ElevationGrid>,
    pub home_amsl_m: Option<f64>,
    pub now: DateTime<Utc>,
}

fn set_mode(m: CopterMode) -> Step {
    Step::command(Action::SetMode(flight_mode(m)), VehicleCommand::SetMode(m))
}

/// The steps of a request, in order. An error is not a refusal: the request cannot even be
/// expressed (no authorisation to build a fence from, no position to climb from).
pub fn plan(request: &VehicleRequest, cx: &PlanContext) -> Result<Vec<Step>, Failure> {
    use VehicleRequest as R;
    let takeoff = |alt_rel_m: f64| {
        Step::command(
            Action::Takeoff { alt_m: alt_rel_m },
            VehicleCommand::Takeoff {
                alt_rel_m: alt_rel_m as f32,
            },
        )
    };
    let arm = || Step::command(Action::Arm, VehicleCommand::Arm);
    Ok(match request {
        R::Arm => vec![arm()],
        R::ArmInGuided => vec![set_mode(CopterMode::Guided), arm()],
        R::ArmAndTakeoff { alt_rel_m } => {
            vec![set_mode(CopterMode::Guided), arm(), takeoff(*alt_rel_m)]
        }
        R::Takeoff { alt_rel_m } => vec![takeoff(*alt_rel_m)],
        R::Disarm => vec![Step::command(Action::Disarm, VehicleCommand::Disarm)],
        R::GoTo { target, alt_rel_m } => vec![go_to(*target, *alt_rel_m)],
        R::ChangeAltitude { alt_rel_m } => {
            let Some(here) = cx.position else {
                return Err(Failure::Link(
                    "no position from the vehicle: cannot change altitude in place".into(),
                ));
            };
            vec![go_to(here, *alt_rel_m)]
        }
        R::Orbit {
            center,
            radius_m,
            alt_rel_m,
        } => vec![Step::command(
            Action::Orbit {
                center: *center,
                radius_m: *radius_m,
                alt: Altitude::rel_home(*alt_rel_m),
            },
            VehicleCommand::Orbit {
                lat_deg: center.lat_deg,
                lon_deg: center.lon_deg,
                alt_rel_m: *alt_rel_m as f32,
                radius_m: *radius_m as f32,
                velocity_mps: 3.0,
            },
        )],
        R::SetMode(m) => vec![set_mode(*m)],
        R::Rtl => vec![Step::command(Action::Rtl, VehicleCommand::ReturnToLaunch)],
        R::Land => vec![Step::command(Action::Land, VehicleCommand::Land)],
        R::Brake => vec![set_mode(CopterMode::Brake)],
        R::UploadFence => fence_steps(cx)?,
        R::UploadMission(m) => vec![Step {
            action: Action::UploadMission,
            work: VehicleWork::Upload {
                kind: MissionType::Mission,
                items: mission_items(m, cx.home.or(cx.position)),
            },
            role: StepRole::MissionItems(m.clone()),
        }],
        R::StartMission => {
            let start = Step::command(
                Action::SetMode(FlightMode::Auto),
                VehicleCommand::MissionStart { first_item: 1 },
            );
            if cx.airborne {
                vec![start]
            } else {
                // ArduCopter starts a mission from the ground armed in GUIDED: its first item
                // (a take-off) lifts it.
                vec![set_mode(CopterMode::Guided), arm(), start]
            }
        }
    })
}

fn go_to(target: LatLon, alt_rel_m: f64) -> Step {
    Step::command(
        Action::GoTo {
            target,
            alt: Altitude::rel_home(alt_rel_m),
        },
        VehicleCommand::Reposition {
            lat_deg: target.lat_deg,
            lon_deg: target.lon_deg,
            alt_rel_m: alt_rel_m as f32,
            ground_speed_mps: None,
        },
    )
}

/// The highest ground the terrain model knows inside a polygon (sampled at the grid's cell size,
/// vertices included); None when the model covers none of it.
fn highest_ground_m(g: &vigie_patrol::ElevationGrid, poly: &geo::Polygon<f64>) -> Option<f64> {
    let ring: Vec<LatLon> = poly
        .exterior()
        .coords()
        .map(|c| LatLon::new(c.y, c.x))
        .collect();
    let first = ring.first()?;
    let (lat0, lat1, lon0, lon1) = ring.iter().fold(
        (first.lat_deg, first.lat_deg, first.lon_deg, first.lon_deg),
        |(a, b, c, d), p| {
            (
                a.min(p.lat_deg),
                b.max(p.lat_deg),
                c.min(p.lon_deg),
                d.max(p.lon_deg),
            )
        },
    );
    let step_lat = (g.cell_size_m().max(1.0) / 2.0) / 111_320.0;
    let step_lon = step_lat / lat0.to_radians().cos().max(0.1);
    let mut best: Option<f64> = None;
    let mut keep = |p: LatLon| {
        if let Some(e) = g.elevation_m(p) {
            best = Some(best.map_or(e, |b: f64| b.max(e)));
        }
    };
    ring.iter().copied().for_each(&mut keep);
    // Bounded: a huge perimeter is sampled coarser rather than for ever.
    let n_lat = ((lat1 - lat0) / step_lat).ceil().min(500.0) as usize;
    let n_lon = ((lon1 - lon0) / step_lon).ceil().min(500.0) as usize;
    for i in 0..=n_lat {
        for j in 0..=n_lon {
            let p = LatLon::new(
                lat0 + (lat1 - lat0) * i as f64 / n_lat.max(1) as f64,
                lon0 + (lon1 - lon0) * j as f64 / n_lon.max(1) as f64,
            );
            if flight_rules::zone::polygon_contains(poly, p) {
                keep(p);
            }
        }
    }
    best
}

/// Hours an operation area's fence looks ahead for zones becoming active.
const OPERATION_AREA_HOURS: i64 = 12;

fn fence_steps(cx: &PlanContext) -> Result<Vec<Step>, Failure> {
    // Without an arrêté, the operation area stands for its perimeter (its window: the next
    // hours, for the zones that may become active).
    let area_auth;
    let auth = match (cx.authorisation, cx.operation_area) {
        (Some(a), _) => a,
        (None, Some(area)) => {
            area_auth = Authorisation {
                arrete: format!("zone d'opération {}", area.name),
                issuer: String::new(),
                signed_on: None,
                valid_from: cx.now,
                valid_until: cx.now + chrono::Duration::hours(OPERATION_AREA_HOURS),
                finalite: String::new(),
                commune: None,
                max_cameras: 0,
                public_information: None,
                pdf_sha256: None,
                revoked_at: None,
                unlocks_zones: vec![],
                derogations: Default::default(),
                perimeter: vec![(area.name.clone(), area.polygon.clone())],
            };
            &area_auth
        }
        (None, None) => return Err(Failure::NoAuthorisation),
    };
    let plan = flight_rules::fence_plan(
        &cx.rules.zones,
        auth,
        &cx.rules.limits,
        crate::fence::VERTEX_BUDGET,
        cx.now,
    )
    .map_err(|e| Failure::Fence(e.to_string()))?;
    let mut plan = plan;
    if let (Some(g), Some(home)) = (cx.terrain, cx.home_amsl_m) {
        let rise = auth
            .perimeter
            .iter()
            .filter_map(|(_, poly)| highest_ground_m(g, poly))
            .fold(f64::NEG_INFINITY, f64::max)
            - home;
        if rise.is_finite() && rise > 0.0 {
            plan.alt_max_rel_home_m += rise;
        }
    }
    let mut steps = vec![Step {
        action: Action::UploadFence,
        work: VehicleWork::Upload {
            kind: MissionType::Fence,
            items: crate::fence::items(&plan),
        },
        role: StepRole::FenceItems,
    }];
    // Ceiling and action as parameters (fence items carry no altitude).
    for (name, value, param_type) in crate::fence::params(&plan) {
        steps.push(Step {
            action: Action::UploadFence,
            work: VehicleWork::SetParam {
                name,
                value,
                param_type,
            },
            role: StepRole::FenceParam,
        });
    }
    steps.push(Step {
        action: Action::UploadFence,
        work: VehicleWork::Command(VehicleCommand::FenceEnable(true)),
        role: StepRole::FenceEnable,
    });
    Ok(steps)
}

/// A mission as ArduPilot takes it: item 0 is home (rewritten by the vehicle), then the items.
pub fn mission_items(m: &Mission, home: Option<LatLon>) -> Vec<MissionItem> {
    let home = home
        .or_else(|| m.planned_home.map(|h| h.0))
        .unwrap_or(LatLon::new(0.0, 0.0));
    let mut out = vec![MissionItem::waypoint(0, home.lat_deg, home.lon_deg, 0.0)];
    for (i, it) in m.items.iter().enumerate() {
        let p = |k: usize| it.params[k] as f32;
        out.push(MissionItem::global(
            (i + 1) as u16,
            it.frame,
            it.command,
            [p(0), p(1), p(2), p(3)],
            it.params[4],
            it.params[5],
            p(6),
            it.autocontinue,
        ));
    }
    out
}

/// Judge one step. Safety steps are never refused: whatever the rules say becomes at most a
/// warning, and the step goes out.
pub fn judge_step(
    rules: &RuleSet,
    terrain: Option<&vigie_patrol::ElevationGrid>,
    situation: &Situation,
    step: &Step,
    now: DateTime<Utc>,
) -> Decision {
    let mut d = match (&step.action, &step.role) {
        // A mission is judged as a patrol: the rules' own findings, plus the battery it needs
        // against the wind and, with a terrain model, its clearance over the ground.
        (Action::UploadMission, StepRole::MissionItems(m)) => {
            let opts = vigie_patrol::CheckOptions {
                battery_start_pct: situation
                    .vehicle
                    .as_ref()
                    .and_then(|v| v.battery_pct)
                    .unwrap_or(100.0),
                ..Default::default()
            };
            vigie_patrol::check_mission(rules, situation, m, terrain, &opts, now).decision
        }
        _ => flight_rules::evaluate(rules, situation, &step.action, now),
    };
    if is_safety_action(&step.action) && d.verdict == Verdict::Deny {
        for f in &mut d.findings {
            if f.severity == flight_rules::Severity::Blocking {
                f.severity = flight_rules::Severity::Warning;
            }
        }
        d = Decision::from_findings(d.findings);
    }
    d
}

pub fn is_safety_action(a: &Action) -> bool {
    match a {
        Action::Rtl | Action::Land | Action::Disarm => true,
        Action::SetMode(m) => matches!(m, FlightMode::Rtl | FlightMode::Land | FlightMode::Brake),
        _ => false,
    }
}

/// One decision for a whole request: every step judged in the situation as it stands (a
/// procedure that would be refused at its third step is refused before its first is sent).
pub fn judge_all(
    rules: &RuleSet,
    terrain: Option<&vigie_patrol::ElevationGrid>,
    situation: &Situation,
    steps: &[Step],
    now: DateTime<Utc>,
) -> Decision {
    let mut findings = Vec::new();
    for s in steps {
        let mut sit = situation.clone();
        if let StepRole::MissionItems(m) = &s.role {
            sit.mission = Some(m.clone());
        }
        for f in judge_step(rules, terrain, &sit, s, now).findings {
            if !findings.contains(&f) {
                findings.push(f);
            }
        }
    }
    Decision::from_findings(findings)
}
