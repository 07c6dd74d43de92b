//! `vigie train`: a training session on the built-in simulator — a scenario, its scoring, the
//! station in training mode (its own register), a trainee (you in the window, or a scripted
//! one), the score sheet read back from the register; for a forest patrol, the thermal watcher
//! and the report for the fire service.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use flight_rules::LatLon;
use vigie_link::LinkConfig;
use vigie_patrol::{ScoringDefinition, scoring};
use vigie_station::{EventKind, OperationArea, VehicleId};

use crate::exit::BadInput;
use crate::sim_process::{SimOptions, SimProcess};
use crate::trainee::{Cockpit, Conduct};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// The scenario: a built-in one (istres-calm, istres-mistral, air-base-approach,
    /// forest-patrol, link-loss, night-patrol-gps-loss) or a vigie-sim scenario file.
    #[arg(long)]
    pub scenario: String,
    /// Its scoring (TOML, see crates/patrol/README.md); default: the one shipped for the
    /// scenario's name.
    #[arg(long)]
    pub scoring: Option<PathBuf>,
    /// No window: a scripted trainee flies (good unless --trainee says otherwise).
    #[arg(long)]
    pub headless: bool,
    /// Write the score sheet (score.json, score.html, timeline.json) and, for a forest patrol,
    /// the fire-service report (patrol.geojson, patrol.kml, snapshots/) into this directory.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// A scripted trainee flies instead of you: `good` (full marks) or `careless` (the
    /// scenario's classic mistakes; istres-mistral and link-loss).
    #[arg(long, value_enum)]
    pub trainee: Option<Conduct>,
    /// Simulator speed-up (≤ 3 keeps the vehicle's GCS failsafe, counted in simulated time,
    /// quiet while the station is there).
    #[arg(long, default_value_t = 3.0)]
    pub speedup: f64,
    /// Run the simulator without video (no thermal hot spots then).
    #[arg(long)]
    pub no_video: bool,
    /// Also drop the patrol report (GeoJSON, KML, snapshots) into this directory, one
    /// sub-directory per flight, for the fire service's import (needs --report).
    #[arg(long, requires = "report")]
    pub drop_dir: Option<PathBuf>,
}

const VEHICLE: VehicleId = VehicleId(1);

/// The forest patrol's operating area (the fence without an arrêté): the south face and the
/// take-off point below it (lat, lon).
const SAINTE_VICTOIRE_OPERATION: &[(f64, f64)] = &[
    (43.5160, 5.5745),
    (43.5160, 5.5950),
    (43.5292, 5.5950),
    (43.5292, 5.5745),
];

fn scenario_name(arg: &str) -> anyhow::Result<String> {
    let path = std::path::Path::new(arg);
    if !(arg.ends_with(".toml") || path.exists()) {
        return Ok(arg.to_string());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(format!("{arg}: cannot read the scenario file: {e}")))?;
    let v: toml::Value = toml::from_str(&text)
        .map_err(|e| BadInput(format!("{arg}: not a vigie-sim scenario (TOML): {e}")))?;
    v.get("name")
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .ok_or_else(|| BadInput(format!("{arg}: the scenario has no `name`")).into())
}

/// The scenario's terrain as the simulator flies it (its `[terrain]` grid and home's elevation):
/// the station then reads the ceiling above the ground under the drone, not above home.
fn scenario_terrain(arg: &str) -> anyhow::Result<Option<(vigie_patrol::ElevationGrid, f64)>> {
    let (text, file) = match arg {
        // The one built-in scenario with relief; the others fly over flat ground.
        "forest-patrol" => (
            include_str!("../../sim/scenarios/forest-patrol.toml").to_string(),
            "forest-patrol (built in)".to_string(),
        ),
        _ if arg.ends_with(".toml") || std::path::Path::new(arg).exists() => (
            std::fs::read_to_string(arg)
                .map_err(|e| BadInput(format!("{arg}: cannot read the scenario file: {e}")))?,
            arg.to_string(),
        ),
        _ => return Ok(None),
    };
    let truth = vigie_patrol::parse_sim_truth(&text, &file).map_err(|e| BadInput(e.to_string()))?;
    let home = truth.home_ground_amsl_m();
    Ok(truth.terrain.map(|g| (g, home)))
}

fn scoring_definition(args: &TrainArgs, name: &str) -> anyhow::Result<ScoringDefinition> {
    if let Some(p) = &args.scoring {
        let text = std::fs::read_to_string(p)
            .map_err(|e| BadInput(format!("{}: cannot read the scoring: {e}", p.display())))?;
        return ScoringDefinition::from_toml(&text, &p.display().to_string())
            .map_err(|e| BadInput(e.to_string()).into());
    }
    match scoring::embedded(name) {
        Some(d) => d.map_err(|e| anyhow::anyhow!("shipped scoring of {name}: {e}")),
        None => Err(BadInput(format!(
            "no scoring shipped for scenario {name}: give one with --scoring FILE (see crates/patrol/README.md)"
        ))
        .into()),
    }
}

fn polygon(points: &[(f64, f64)]) -> geo::Polygon<f64> {
    geo::Polygon::new(
        geo::LineString::from(
            points
                .iter()
                .map(|&(lat, lon)| (lon, lat))
                .collect::<Vec<_>>(),
        ),
        vec![],
    )
}

pub fn run(global: &crate::Global, args: TrainArgs) -> anyhow::Result<ExitCode> {
    let name = scenario_name(&args.scenario)?;
    let def = scoring_definition(&args, &name)?;
    let headless = args.headless || !vigie::app::display_available();
    let conduct = match (args.trainee, headless) {
        (Some(c), _) => Some(c),
        (None, true) => Some(Conduct::Good),
        (None, false) => None,
    };
    if let Some(c) = conduct
        && crate::trainee::expected_failures(&name, c).is_none()
    {
        return Err(BadInput(format!(
            "no scripted {c:?} trainee for {name}: careless trainees exist for istres-mistral and link-loss; or fly it yourself in the window"
        ))
        .into());
    }
    let forest = name == "forest-patrol";
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigie-rt")
        .build()?;
    let data_dir = global.data_dir();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
    }
    let children = crate::cmd::stop::Children::default();
    let sim = SimProcess::spawn(
        &SimOptions {
            scenario: args.scenario.clone(),
            speedup: args.speedup,
            video: !args.no_video,
            video_height: None,
            verbose: global.verbose,
        },
        &children,
    )?;
    let mut config = crate::cmd::demo::demo_station_config(
        global,
        LinkConfig::vehicle(sim.mavlink.parse()?),
        true,
    )?;
    config.airframe = "vigie-sim".into();
    // Nothing is ticked for the trainee: the checklist is part of the exercise.
    config.checklist_ticks.clear();
    if let Some((grid, home_amsl_m)) = scenario_terrain(&args.scenario)? {
        config.terrain = Some(Arc::new(grid));
        config.ground_amsl_m = Some(home_amsl_m);
    }
    if forest {
        // A training patrol is plain aviation (no arrêté, no personal data); the real one flies
        // under natural-risk prevention (`vigie fly --basis env-risques-naturels`). The fence
        // comes from the operating area.
        config.authorisation = None;
        config.authorisations.clear();
        config.operation_area = Some(OperationArea {
            name: "Sainte-Victoire, face sud".into(),
            polygon: polygon(SAINTE_VICTOIRE_OPERATION),
        });
    }
    let rules = Arc::new(config.rules.clone());
    let pilot_id = config
        .pilot
        .as_ref()
        .map_or_else(|| "trainee".to_string(), |p| p.id.clone());
    let pilot_name = config.pilot.as_ref().map(|p| p.name.clone());
    let started_at = chrono::Utc::now();
    // The visible camera: received and recorded with the flight by the station.
    if let Some(p) = sim.video_port {
        config.video.insert(
            VEHICLE,
            vigie_video::SourceUri::parse(&format!("rtp://127.0.0.1:{p}"))?,
        );
        // The thermal camera too: recorded with the flight, watched for hot spots.
        if forest {
            config.thermal.insert(
                VEHICLE,
                vigie_video::SourceUri::parse(&format!("rtp://127.0.0.1:{}", p + 1))?,
            );
        }
    }
    let station = rt.block_on(vigie_station::start(config))?;
    let mut sealed = station.events();
    rt.spawn(crate::sim_process::anemometer(
        station.clone(),
        sim.control_port,
    ));

    // The visible camera goes to the window; the thermal one is watched for hot spots.
    let mut visible = station
        .video(VEHICLE)
        .map(|slot| vigie::app::video::VideoFeed::from_slot("vehicle-1", slot));
    let thermal = station
        .camera(VEHICLE, vigie_station::video::Camera::Thermal)
        .map(|slot| vigie::app::video::VideoFeed::from_slot("vehicle-1-thermal", slot));
    let watch = thermal.as_ref().map(|t| {
        crate::hotspot_watch::start(
            rt.handle(),
            station.clone(),
            t.frames.clone(),
            crate::hotspot_watch::WatchConfig {
                vehicle: VEHICLE,
                camera: vigie_patrol::CameraModel::vigie_sim_thermal(),
                gimbal: vigie_patrol::Gimbal::NADIR,
                // vigie-sim draws flat ground at home's level whatever its terrain grid says.
                ground: crate::hotspot_watch::GroundModel::FlatAtHome,
                uncertainty: vigie_patrol::PoseUncertainty::default(),
                report_dir: args.report.clone(),
                max_rate_hz: 6.0,
                min_height_m: 20.0,
            },
        )
    });
    let track = crate::patrol_report::TrackRecorder::start(rt.handle(), station.clone(), VEHICLE);

    let say: Arc<dyn Fn(String) + Send + Sync> = if headless {
        Arc::new(|l| println!("train: {l}"))
    } else {
        Arc::new(|l| tracing::info!("train: {l}"))
    };
    let cockpit = Cockpit {
        st: station.clone(),
        vehicle: VEHICLE,
        rules: rules.clone(),
        sim_control: Some(sim.control_port),
        pilot_id,
        say: say.clone(),
    };
    let mut stop = crate::cmd::stop::install(&rt, children);
    let flown = if headless {
        let scen = name.clone();
        let c = conduct.unwrap_or(Conduct::Good);
        rt.block_on(async {
            tokio::select! {
                r = crate::trainee::fly(&cockpit, &scen, c) => r.map(Some),
                _ = stop.wait_for(|s| *s) => Ok(None),
            }
        })?
    } else {
        let script = conduct.map(|c| {
            let scen = name.clone();
            rt.spawn(async move { crate::trainee::fly(&cockpit, &scen, c).await })
        });
        vigie::app::run_window(vigie::app::AppConfig {
            title: format!("Vigie — entraînement : {}", def.title),
            station: station.clone(),
            lang: global.lang(),
            data_dir: data_dir.clone(),
            video: visible.take(),
            thermal: thermal
                .as_ref()
                .map(|t| vigie::app::video::VideoFeed::from_slot(&t.label, t.frames.clone())),
            duration: None,
            screen: vigie::app::Screen::Fly,
            report_frames: false,
            plan: None,
            desk: None,
            stop: Some(stop),
            instructor: Some(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                sim.control_port,
            ))),
        })
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
        match script {
            Some(s) if s.is_finished() => rt.block_on(s).ok().and_then(Result::ok),
            Some(s) => {
                s.abort();
                None
            }
            None => None,
        }
    };
    // The trainee sees the landing on the link's telemetry, a moment before the station's
    // session does: let the session close each flight the link saw end (sealed with its
    // recordings) before the station is stopped, or it would be recorded as interrupted.
    // A vehicle still armed on the link (the window closed mid-flight) is not waited for.
    rt.block_on(async {
        let mut snap = station.snapshot();
        let landed: Vec<_> = snap
            .borrow()
            .vehicles
            .keys()
            .copied()
            .filter(|id| station.telemetry(*id).is_some_and(|t| !t.borrow().armed))
            .collect();
        let _ = tokio::time::timeout(
            Duration::from_secs(15),
            snap.wait_for(|s| {
                landed.iter().all(|id| {
                    s.vehicles.get(id).is_none_or(|v| {
                        !v.telemetry.armed && matches!(v.flight, vigie_station::FlightPhase::Idle)
                    })
                })
            }),
        )
        .await;
    });
    let hotspots = station.snapshot().borrow().hotspots.clone();
    let watched = watch.map(crate::hotspot_watch::Watch::finish);
    let samples = track.finish();
    let report = rt.block_on(station.shutdown());
    crate::cmd::stop::print_report(&report);
    let mut flight_id = None;
    while let Ok(e) = sealed.try_recv() {
        if let EventKind::FlightSealed { flight_id: f } = e.kind {
            flight_id = Some(f);
        }
    }
    let ended_at = chrono::Utc::now();
    drop(thermal);
    drop(visible);
    drop(station);
    rt.shutdown_timeout(Duration::from_secs(5));
    drop(sim);

    // The score, from what the training register recorded of the session.
    let mut reg = vigie_register::Register::open(&data_dir, vigie_register::RegisterKind::Training)
        .with_context(|| {
            format!(
                "cannot open the training register in {}",
                data_dir.display()
            )
        })?;
    let actor = vigie_register::Actor {
        id: "vigie-train".into(),
        name: "vigie train".into(),
        role: "formateur".into(),
    };
    let records = reg
        .events(
            Some(started_at),
            Some(ended_at),
            &actor,
            "formation: notation de la séance",
        )
        .context("cannot read the session's events from the training register")?;
    // The flight's ID as the register holds it (the sealing event may not have reached us).
    let flight_id = flight_id.or_else(|| records.iter().find_map(|r| r.flight_id.clone()));
    let home = samples.first().map(|s| s.pos);
    let timeline =
        vigie_station::facts::timeline(&name, pilot_name.clone(), started_at, home, &records);
    let sheet = vigie_patrol::score(&def, &timeline);
    println!(
        "train: {} — {} of {} points{}",
        def.title,
        sheet.points,
        sheet.max_points,
        if sheet.failed().is_empty() {
            String::new()
        } else {
            format!(", failed: {}", sheet.failed().join(", "))
        }
    );
    for item in &sheet.items {
        println!("  {:<24} {:?}: {}", item.id, item.outcome, item.why);
    }
    if let Some(w) = watched {
        println!(
            "train: thermal watch: {} frames analysed, {} hot blobs, {} observations, {} snapshots, {} frames not placed",
            w.frames, w.blobs, w.observations, w.snapshots, w.unplaced
        );
    }
    for h in &hotspots {
        println!(
            "train: hot spot {} at {:.5}, {:.5} ± {:.0} m ({} sightings)",
            h.id, h.pos.lat_deg, h.pos.lon_deg, h.error_m, h.observations
        );
    }
    if let Some(dir) = &args.report {
        write_sheet(dir, &sheet, &timeline)?;
        if forest {
            let planned: Vec<LatLon> = flown
                .as_ref()
                .map(|f| f.planned.clone())
                .unwrap_or_default();
            let report = crate::patrol_report::build(
                crate::patrol_report::ReportMeta {
                    title: format!("Patrouille feux de forêt — {}", def.title),
                    flight_id,
                    operator: Some("Police municipale (entraînement)".into()),
                    pilot: pilot_name.clone(),
                    legal_basis: Some(
                        "entraînement, aviation générale (en opération : env-risques-naturels)"
                            .into(),
                    ),
                    started_at,
                    ended_at,
                },
                &samples,
                &vigie_patrol::CameraModel::vigie_sim_thermal(),
                None,
                planned,
                hotspots,
            );
            for p in crate::patrol_report::write(dir, &report)? {
                println!("train: wrote {}", p.display());
            }
            if let Some(drop_dir) = &args.drop_dir {
                let name = report
                    .flight_id
                    .clone()
                    .unwrap_or_else(|| format!("patrol-{}", started_at.format("%Y%m%dT%H%M%SZ")));
                let to = crate::patrol_report::deliver(dir, drop_dir, &name)?;
                println!("train: report dropped in {}", to.display());
            }
        }
        println!("train: score sheet in {}", dir.display());
    }
    if let Some(note) = flown.and_then(|f| f.note) {
        println!("train: {note}");
    }
    Ok(crate::cmd::stop::exit_code().unwrap_or(ExitCode::SUCCESS))
}

fn write_sheet(
    dir: &std::path::Path,
    sheet: &vigie_patrol::ScoreSheet,
    timeline: &vigie_patrol::Timeline,
) -> anyhow::Result<()> {
    let w = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))
    };
    w("score.json", sheet.to_json())?;
    w("score.html", sheet.to_html())?;
    w(
        "timeline.json",
        serde_json::to_string_pretty(timeline).unwrap_or_default(),
    )?;
    Ok(())
}
