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
    pub position: Option<LatLon>,
    pub home: Option<LatLon>,
    pub airborne: bool,
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

fn fence_steps(cx: &PlanContext) -> Result<Vec<Step>, Failure> {
    let Some(auth) = cx.authorisation else {
        return Err(Failure::NoAuthorisation);
    };
    let plan = flight_rules::fence_plan(
        &cx.rules.zones,
        auth,
        &cx.rules.limits,
        crate::fence::VERTEX_BUDGET,
        cx.now,
    )
    .map_err(|e| Failure::Fence(e.to_string()))?;
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
    situation: &Situation,
    step: &Step,
    now: DateTime<Utc>,
) -> Decision {
    let mut d = flight_rules::evaluate(rules, situation, &step.action, now);
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
        for f in judge_step(rules, &sit, s, now).findings {
            if !findings.contains(&f) {
                findings.push(f);
            }
        }
    }
    Decision::from_findings(findings)
}
