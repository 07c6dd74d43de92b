//! `vigie zones check`: judge one 3-D point against every geozone (shipped defaults, the
//! operator's `<data-dir>/zones/`, and `--zones` files), optionally under an authorisation.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use flight_rules::{
    Altitude, Authorisation, Checklist, Containment, Limits, Position3d, RuleSet, Severity,
    VerticalContext, Zone, ZoneSet, parse_zone_file_strict,
};

use crate::exit::{BadInput, refused_if};

#[derive(Debug, clap::Subcommand)]
pub enum ZonesCommand {
    /// Check a point: prints every zone it is (or may be) inside, with the findings; exit 3 when refused.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Extra zone files (ED-269 JSON, ED-318 GeoJSON, GeoJSON), added to the shipped and configured ones.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub zones: Vec<PathBuf>,
    /// The point: latitude, longitude (decimal degrees) and height above ground in metres.
    #[arg(long, value_name = "LAT,LON,ALT_M_AGL", allow_hyphen_values = true)]
    pub at: String,
    /// Terrain elevation AMSL at the point, metres (without it, AMSL-limited zones are judged conservatively).
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    pub ground_amsl: Option<f64>,
    /// Horizontal accuracy of the position, metres.
    #[arg(long, value_name = "M", default_value_t = 0.0)]
    pub accuracy: f64,
    /// Instant to judge (RFC 3339, e.g. 2026-06-01T14:00:00Z); default now.
    #[arg(long, value_name = "RFC3339")]
    pub time: Option<String>,
    /// Authorisation file (TOML): zones it unlocks no longer block.
    #[arg(long, value_name = "FILE")]
    pub authorisation: Option<PathBuf>,
}

pub fn run(global: &crate::Global, command: ZonesCommand) -> anyhow::Result<ExitCode> {
    match command {
        ZonesCommand::Check(args) => check(global, args),
    }
}

fn bad(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}

/// Read a file the user named; a missing or unreadable file is bad input.
pub(crate) fn read_input(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        bad(format!(
            "{}: cannot read: {e} (check the path)",
            path.display()
        ))
    })
}

pub(crate) fn parse_time(time: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    match time {
        None => Ok(Utc::now()),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| {
                bad(format!(
                    "--time {t:?}: {e} (use RFC 3339, e.g. 2026-06-01T14:00:00Z)"
                ))
            }),
    }
}

/// Limits: `<data-dir>/limits.toml` when the operator has one, else the shipped file.
pub(crate) fn load_limits(global: &crate::Global) -> anyhow::Result<Limits> {
    let path = global.data_dir().join("limits.toml");
    if !path.exists() {
        return Ok(Limits::default_embedded());
    }
    let text = read_input(&path)?;
    Limits::from_toml(&text, &path.display().to_string()).map_err(|e| bad(e.to_string()))
}

/// Zones: shipped defaults + every `*.json`/`*.geojson` in `<data-dir>/zones/` + `extra`. Any bad
/// zone in a file is bad input (the message names the file, the zone and the field).
pub(crate) fn load_zones(
    global: &crate::Global,
    extra: &[PathBuf],
) -> anyhow::Result<(Vec<Zone>, Vec<String>)> {
    let mut zones = flight_rules::default_zones();
    let mut sources: Vec<String> = flight_rules::EMBEDDED_ZONE_FILES
        .iter()
        .map(|(name, _)| (*name).to_string())
        .collect();
    let mut files: Vec<PathBuf> = vec![];
    let dir = global.data_dir().join("zones");
    if dir.is_dir() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "geojson"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files.extend(extra.iter().cloned());
    for path in files {
        let text = read_input(&path)?;
        let name = path.display().to_string();
        let parsed = parse_zone_file_strict(&text, &name).map_err(|e| bad(e.to_string()))?;
        zones.extend(parsed);
        sources.push(name);
    }
    Ok((zones, sources))
}

pub(crate) fn load_authorisation(path: &Path, limits: &Limits) -> anyhow::Result<Authorisation> {
    let text = read_input(path)?;
    Authorisation::from_toml_at(
        &text,
        &path.display().to_string(),
        limits,
        Some(chrono::Utc::now()),
    )
    .map_err(|e| bad(e.to_string()))
}

pub(crate) fn load_rules(
    global: &crate::Global,
    extra: &[PathBuf],
) -> anyhow::Result<(RuleSet, Vec<String>)> {
    let limits = load_limits(global)?;
    let (zones, sources) = load_zones(global, extra)?;
    Ok((
        RuleSet {
            zones: ZoneSet::new(zones),
            limits,
            checklist: Checklist::default_embedded(),
        },
        sources,
    ))
}

fn parse_at(at: &str) -> anyhow::Result<(f64, f64, f64)> {
    let parts: Vec<&str> = at.split(',').map(str::trim).collect();
    let nums: Option<Vec<f64>> = parts
        .iter()
        .map(|p| p.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    match nums.as_deref() {
        Some([lat, lon, alt]) if (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon) => {
            Ok((*lat, *lon, *alt))
        }
        _ => Err(bad(format!(
            "--at {at:?}: expected LAT,LON,ALT_M_AGL in decimal degrees and metres, e.g. --at 43.5150,4.9890,50"
        ))),
    }
}

pub(crate) fn print_findings(findings: &[flight_rules::Finding]) {
    if findings.is_empty() {
        println!("findings: none");
        return;
    }
    println!("findings:");
    for f in findings {
        let sev = match f.severity {
            Severity::Blocking => "DENY",
            Severity::Warning => "WARN",
            Severity::Info => "info",
        };
        println!("  {sev:<4} {:<20} {}", f.rule_id, f.reason);
    }
}

fn check(global: &crate::Global, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let (lat, lon, alt) = parse_at(&args.at)?;
    if !(args.accuracy.is_finite() && args.accuracy >= 0.0) {
        return Err(bad("--accuracy: must be a non-negative number of metres"));
    }
    let now = parse_time(args.time.as_deref())?;
    let (rules, sources) = load_rules(global, &args.zones)?;
    let auth = args
        .authorisation
        .as_deref()
        .map(|p| load_authorisation(p, &rules.limits))
        .transpose()?;
    let ctx = match args.ground_amsl {
        Some(g) => VerticalContext::with_ground(g),
        None => VerticalContext::default(),
    };
    let fix = Position3d::new(
        flight_rules::LatLon::new(lat, lon),
        Altitude::agl(alt),
        args.accuracy,
    );

    println!(
        "point: {} at {alt} m AGL, accuracy {} m, at {}",
        fix.pos,
        args.accuracy,
        now.to_rfc3339()
    );
    println!(
        "zones: {} from {} file(s)",
        rules.zones.len(),
        sources.len()
    );
    let hits = rules.zones.query_point(&fix, &ctx, now);
    for h in &hits {
        let how = match h.containment {
            Containment::Inside => "inside",
            Containment::Indeterminate => "maybe inside",
            Containment::Outside => "outside",
        };
        println!(
            "  {:<17} {:<12} {} {:?} (boundary {:.0} m) [{}]",
            h.zone.restriction.to_string(),
            how,
            h.zone.identifier,
            h.zone.name,
            h.boundary_distance_m,
            h.zone.source
        );
    }
    if hits.is_empty() {
        println!("  (inside no active zone)");
    }
    if let Some((z, d)) = rules.zones.nearest_boundary(fix.pos, now, 20_000.0) {
        println!(
            "nearest boundary: {d:.0} m, {} {} {:?}",
            z.restriction, z.identifier, z.name
        );
    }
    let mut findings = flight_rules::rules::point_zone_findings(
        &rules.zones,
        &fix,
        &ctx,
        auth.as_ref(),
        now,
        "the point",
    );
    let ceiling = auth.as_ref().map_or(rules.limits.ceiling.max_agl_m, |a| {
        a.ceiling_agl_m(&rules.limits)
    });
    if alt > ceiling {
        findings.push(flight_rules::Finding::new(
            flight_rules::rule_id::CEILING,
            Severity::Blocking,
            format!("{alt} m AGL is above the {ceiling:.0} m AGL ceiling"),
            flight_rules::Message::new("point-ceiling-above")
                .num("alt", alt, 1)
                .num("ceiling", ceiling, 0),
        ));
    }
    if let Some(a) = &auth {
        match flight_rules::zone::perimeter_contains(
            &a.perimeter_polygons(),
            fix.pos,
            args.accuracy,
        ) {
            Containment::Inside => {}
            c => findings.push(flight_rules::Finding::new(
                flight_rules::rule_id::AUTH_PERIMETER,
                Severity::Blocking,
                format!("the point is {c} the perimeter of arrêté {}", a.arrete),
                flight_rules::Message::new(if c == Containment::Outside {
                    "point-perimeter-outside"
                } else {
                    "point-perimeter-edge"
                })
                .text("arrete", &a.arrete),
            )),
        }
        if now < a.valid_from || now > a.valid_until || a.is_revoked_at(now) {
            findings.push(flight_rules::Finding::new(
                flight_rules::rule_id::AUTH_WINDOW,
                Severity::Blocking,
                format!(
                    "arrêté {} is not in force at {}",
                    a.arrete,
                    now.to_rfc3339()
                ),
                flight_rules::Message::new("point-auth-window").text("arrete", &a.arrete),
            ));
        }
    }
    print_findings(&findings);
    let decision = flight_rules::Decision::from_findings(findings);
    println!("verdict: {:?}", decision.verdict);
    Ok(refused_if(decision.is_denied()))
}
