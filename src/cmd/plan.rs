//! `vigie plan check`: a QGroundControl `.plan` against the geozones, the ceiling and (when given)
//! an authorisation's window and perimeter.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use flight_rules::{Action, Decision, Situation, evaluate, parse_qgc_plan, rule_id};

use super::zones::{load_authorisation, load_rules, parse_time, print_findings, read_input};
use crate::exit::{BadInput, refused_if};

#[derive(Debug, clap::Subcommand)]
pub enum PlanCommand {
    /// Check a plan: prints the findings; exit 3 when refused, 2 when a file is bad.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The QGroundControl .plan file.
    pub plan: PathBuf,
    /// Extra zone files (ED-269 JSON, ED-318 GeoJSON, GeoJSON), added to the shipped and configured ones.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub zones: Vec<PathBuf>,
    /// Authorisation file (TOML); without it the window and perimeter are not checked.
    #[arg(long, value_name = "FILE")]
    pub authorisation: Option<PathBuf>,
    /// Planned start of the flight (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339")]
    pub time: Option<String>,
    /// Terrain elevation AMSL at the take-off point, metres (default: the plan's planned home altitude).
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    pub ground_amsl: Option<f64>,
    /// Write the plan back out as a QGroundControl .plan (every field QGroundControl writes), so
    /// scripts can round-trip plans; written whatever the verdict, which the exit status gives.
    #[arg(long, value_name = "OUT.plan")]
    pub out: Option<PathBuf>,
}

pub fn run(global: &crate::Global, command: PlanCommand) -> anyhow::Result<ExitCode> {
    match command {
        PlanCommand::Check(args) => check(global, args),
    }
}

fn check(global: &crate::Global, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let now = parse_time(args.time.as_deref())?;
    let name = args.plan.display().to_string();
    let text = read_input(&args.plan)?;
    let plan =
        parse_qgc_plan(&text, &name).map_err(|e| anyhow::Error::new(BadInput(e.to_string())))?;
    let file = vigie::plan_file::PlanFile::parse(&text, &name)
        .map_err(|e| anyhow::Error::new(BadInput(e.to_string())))?;
    let (mut rules, _) = load_rules(global, &args.zones)?;
    // The plan's own exclusion fences are zones too.
    rules.zones.extend(plan.fence.exclusion_zones(&name));
    let auth = args
        .authorisation
        .as_deref()
        .map(|p| load_authorisation(p, &rules.limits))
        .transpose()?;

    let Some(home) = plan.mission.planned_home.map(|h| h.0).or_else(|| {
        plan.mission
            .items
            .iter()
            .find_map(flight_rules::MissionItem::position)
    }) else {
        return Err(anyhow::Error::new(BadInput(format!(
            "{name}: field `mission.plannedHomePosition`: missing and no item has a position; set the planned home in QGroundControl"
        ))));
    };
    let ground = args.ground_amsl.or(plan.mission.planned_home.map(|h| h.1));
    let situation = Situation {
        authorisation: auth,
        mission: Some(plan.mission.clone()),
        takeoff_point: Some(home),
        ground_amsl_m: ground,
        ..Situation::default()
    };
    println!(
        "plan: {name}: {} mission item(s), path {:.0} m, about {:.0} min; fence: {} polygon(s), {} circle(s); {} rally point(s)",
        plan.mission.items.len(),
        plan.mission.length_m(home),
        flight_rules::rules::mission_duration_s(&rules, &situation, &plan.mission, home) / 60.0,
        plan.fence.polygons.len(),
        plan.fence.circles.len(),
        plan.rally.len()
    );
    let decision = evaluate(&rules, &situation, &Action::UploadMission, now);
    let mut findings = decision.findings;
    if situation.authorisation.is_none() {
        findings.retain(|f| f.rule_id != rule_id::AUTH_MISSING);
        println!(
            "authorisation: not given (--authorisation FILE): window and perimeter not checked"
        );
    }
    print_findings(&findings);
    let decision = Decision::from_findings(findings);
    println!("verdict: {:?}", decision.verdict);
    if let Some(out) = &args.out {
        std::fs::write(out, file.to_json())
            .with_context(|| format!("cannot write {}", out.display()))?;
        println!("written: {}", out.display());
    }
    Ok(refused_if(decision.is_denied()))
}
