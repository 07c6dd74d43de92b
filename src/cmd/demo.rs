//! `vigie demo`: the built-in simulator and the station, flying a short patrol over Istres town
//! centre under the demo authorisation, in training mode; in a window when there is a display.
//! `vigie` alone opens the desktop app on `udpin:0.0.0.0:14550`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use flight_rules::{Authorisation, LatLon, Pilot, Verdict};
use vigie_link::{CopterMode, LinkConfig};
use vigie_station::{
    Outcome, SessionRequest, StationCommand, StationConfig, StationHandle, VehicleId,
    VehicleRequest,
};

use crate::exit::{BadInput, REFUSED};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Run without a window even when a display is available.
    #[arg(long)]
    pub headless: bool,
    /// Stop after this many seconds (the window stays open until closed otherwise).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Fly against an external vehicle (e.g. tcpout:127.0.0.1:5760 for ArduPilot SITL) instead of
    /// the built-in simulator.
    #[arg(long)]
    pub connect: Option<String>,
    /// Simulator scenario name or file (default istres-calm).
    #[arg(long, default_value = "istres-calm")]
    pub scenario: String,
    /// Run the simulator without video.
    #[arg(long)]
    pub no_video: bool,
    /// Simulator speed-up (1 = real time; keep it ≤ 3: the vehicle's GCS failsafe counts
    /// heartbeats in simulated time).
    #[arg(long, default_value_t = 1.0)]
    pub speedup: f64,
    /// Open the window on this screen: fly, plan, register, session, settings (screenshots).
    #[arg(long, default_value = "fly", value_parser = ["fly", "plan", "register", "session", "settings"])]
    pub screen: String,
    /// Print launch → first frame and frame times when the window closes (scripts/bench-app.sh).
    #[arg(long)]
    pub report_frames: bool,
    /// Open this QGroundControl plan in the plan view.
    #[arg(long, value_name = "FILE.plan")]
    pub plan: Option<PathBuf>,
    /// Open the register desk and list the flights, journaled with this motive and the reader
    /// named by VIGIE_ACTOR (default "demo").
    #[arg(long, value_name = "TEXT")]
    pub register_motive: Option<String>,
    /// Simulated video height in pixels (e.g. 1080 for the frame-time benchmark).
    #[arg(long)]
    pub video_height: Option<u32>,
    /// A METAR for the launch site (e.g. "LFMI 281400Z 33012KT CAVOK 18/05 Q1015"): its wind
    /// group feeds the wind gate. With the built-in simulator, its wind at 10 m plays the
    /// launch-site anemometer.
    #[arg(long)]
    pub metar: Option<String>,
    #[command(flatten)]
    pub csu: crate::cmd::csu_serve::CsuServeArgs,
}

const DEMO_AUTHORISATION: &str =
    include_str!("../../flight-rules/rules/examples/authorisation-istres-demo.toml");
const DEMO_PILOT: &str = include_str!("../../flight-rules/rules/examples/pilot-demo.toml");

/// Patrol over Istres town centre, inside the demo perimeter (lat, lon, metres above home).
const PATROL: &[(f64, f64, f64)] = &[
    (43.5172, 4.9872, 40.0),
    (43.5172, 4.9922, 40.0),
    (43.5130, 4.9922, 40.0),
];

pub(crate) fn demo_station_config(
    global: &crate::Global,
    link: LinkConfig,
    training: bool,
) -> anyhow::Result<StationConfig> {
    let (rules, _sources) = crate::cmd::zones::load_rules(global, &[])?;
    let authorisation = Authorisation::from_toml(
        DEMO_AUTHORISATION,
        "embedded:authorisation-istres-demo.toml",
        &rules.limits,
    )
    .map_err(|e| anyhow::anyhow!("demo authorisation: {e}"))?;
    let pilot = Pilot::from_toml(DEMO_PILOT, "embedded:pilot-demo.toml")
        .map_err(|e| anyhow::anyhow!("demo pilot: {e}"))?;
    // The demo pilot ticks the manual checklist items (in the app, the pilot does it by hand).
    let ticks = rules
        .checklist
        .items
        .iter()
        .filter(|i| matches!(i.kind, flight_rules::ChecklistKind::Manual))
        .map(|i| i.id.clone())
        .collect();
    let mut config = StationConfig::new(vigie_link::HubConfig {
        links: vec![link],
        ..Default::default()
    });
    config.rules = rules;
    config.authorisation = Some(authorisation);
    config.pilot = Some(pilot);
    // Training flights fly under plain aviation (no personal data kept).
    config.training = training;
    config.airframe = "multirotor".into();
    config.checklist_ticks = ticks;
    config.register_dir = Some(global.data_dir());
    config.aircraft_registration = "SIM-ISTRES-1".into();
    Ok(config)
}

pub fn run(global: &crate::Global, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigie-rt")
        .build()?;
    let data_dir = global.data_dir();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;

    let mut sim = None;
    let children = crate::cmd::stop::Children::default();
    let mut video_port = None;
    let mut control_port = None;
    let link = match &args.connect {
        Some(url) => LinkConfig::vehicle(
            url.parse()
                .map_err(|e| BadInput(format!("--connect: {e}")))?,
        ),
        None => {
            let p = crate::sim_process::SimProcess::spawn(
                &crate::sim_process::SimOptions {
                    scenario: args.scenario.clone(),
                    speedup: args.speedup,
                    video: !args.no_video,
                    video_height: args.video_height,
                    verbose: global.verbose,
                },
                &children,
            )?;
            video_port = p.video_port;
            control_port = Some(p.control_port);
            let link = LinkConfig::vehicle(p.mavlink.parse()?);
            sim = Some(p);
            link
        }
    };
    let mut config = demo_station_config(global, link, true)?;
    // The built-in simulator's airframe; against an external autopilot, ArduCopter.
    config.airframe = if args.connect.is_some() {
        "ArduCopter".into()
    } else {
        "vigie-sim".into()
    };
    if let Some(p) = video_port {
        config.video.insert(
            vigie_station::VehicleId(1),
            vigie_video::SourceUri::parse(&format!("rtp://127.0.0.1:{p}"))?,
        );
        // The forest scenario's drone carries a thermal camera too (on the next port).
        if args.scenario == "forest-patrol" {
            config.thermal.insert(
                vigie_station::VehicleId(1),
                vigie_video::SourceUri::parse(&format!("rtp://127.0.0.1:{}", p + 1))?,
            );
        }
    }
    args.csu.apply(&mut config)?;
    let station = rt.block_on(vigie_station::start(config))?;
    if let Some(url) = station.rtsp_url(vigie_station::VehicleId(1)) {
        println!("demo: vehicle 1's video served at {url} (every viewer in the register)");
    }
    // The station receives the video, records it with the flight; the window shows its frames.
    let mut video = station
        .video(vigie_station::VehicleId(1))
        .map(|slot| vigie::app::video::VideoFeed::from_slot("vehicle-1", slot));
    let mut thermal = station
        .camera(
            vigie_station::VehicleId(1),
            vigie_station::video::Camera::Thermal,
        )
        .map(|slot| vigie::app::video::VideoFeed::from_slot("vehicle-1-thermal", slot));
    if let Some(text) = &args.metar {
        let reading = flight_rules::parse_metar(text, chrono::Utc::now())
            .map_err(|e| BadInput(format!("--metar: {e}")))?;
        let st = station.clone();
        rt.block_on(async move {
            st.command(StationCommand::Session(SessionRequest::AddWind(reading)))
                .await
        });
    }
    if let Some(cport) = control_port {
        rt.spawn(crate::sim_process::anemometer(station.clone(), cport));
    }

    let headless = args.headless || !vigie::app::display_available();
    let duration = args.duration.map(Duration::from_secs_f64);
    let mut stop = crate::cmd::stop::install(&rt, children);
    let code = if headless {
        let st = station.clone();
        let result = rt.block_on(async move {
            let flight = async {
                match duration {
                    Some(d) => tokio::time::timeout(d, fly(&st, print_line))
                        .await
                        .unwrap_or(Ok(FlightEnd::TimeUp)),
                    None => fly(&st, print_line).await,
                }
            };
            tokio::select! {
                r = flight => r,
                _ = stop.wait_for(|s| *s) => Ok(FlightEnd::Stopped),
            }
        });
        report_end(result?, video.as_ref().map(|v| &v.frames), &data_dir)
    } else {
        let st = station.clone();
        let script = rt.spawn(async move { fly(&st, |l| tracing::info!("demo: {l}")).await });
        vigie::app::run_window(vigie::app::AppConfig {
            title: "Vigie — démonstration".into(),
            station: station.clone(),
            lang: global.lang(),
            data_dir: data_dir.clone(),
            video: video.take(),
            thermal: thermal.take(),
            duration,
            screen: screen_of(&args.screen),
            report_frames: args.report_frames,
            plan: args.plan.clone(),
            // The demo flies in training: its flights are in the training register.
            stop: Some(stop),
            instructor: None,
            desk: args.register_motive.as_ref().map(|m| {
                let who = vigie::app::register_desk::Who {
                    actor_id: std::env::var("VIGIE_ACTOR").unwrap_or_else(|_| "demo".into()),
                    actor_name: std::env::var("VIGIE_ACTOR_NAME").unwrap_or_default(),
                    role: std::env::var("VIGIE_ROLE").unwrap_or_else(|_| "formateur".into()),
                    motive: m.clone(),
                };
                (who, true)
            }),
        })
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
        script.abort();
        ExitCode::SUCCESS
    };
    // A clean stop: open flights recorded as interrupted, tlogs and the register closed.
    let report = rt.block_on(station.shutdown());
    crate::cmd::stop::print_report(&report);
    drop(video);
    drop(station);
    rt.shutdown_timeout(Duration::from_secs(5));
    drop(sim);
    Ok(crate::cmd::stop::exit_code().unwrap_or(code))
}

fn print_line(line: String) {
    println!("{line}");
}

/// The vehicle the demo flies (the simulator's first vehicle).
const DEMO_VEHICLE: VehicleId = VehicleId(1);

#[derive(Debug)]
enum FlightEnd {
    Landed(Summary),
    Refused(Vec<String>),
    TimeUp,
    /// A stop signal came (SIGINT, SIGTERM).
    Stopped,
}

/// What the pilot is told when the demo flight is over.
#[derive(Debug, Default)]
struct Summary {
    flight_s: f64,
    distance_m: f64,
    alarms: Vec<String>,
    flight_id: Option<String>,
}

fn report_end(
    end: FlightEnd,
    video: Option<&vigie_video::FrameSlot>,
    data_dir: &std::path::Path,
) -> ExitCode {
    match end {
        FlightEnd::Landed(s) => {
            println!("demo: patrol flown, vehicle landed and disarmed");
            println!("summary:");
            println!(
                "  flight time     {:.0} min {:02.0} s",
                (s.flight_s / 60.0).floor(),
                s.flight_s % 60.0
            );
            println!("  distance flown  {:.0} m", s.distance_m);
            if s.alarms.is_empty() {
                println!("  alarms          none");
            } else {
                println!("  alarms          {}", s.alarms.len());
                for a in &s.alarms {
                    println!("    {a}");
                }
            }
            match &s.flight_id {
                Some(id) => println!("  register entry  flight {id} (training register, sealed)"),
                None => println!("  register entry  none (the flight was not recorded)"),
            }
            match video.and_then(|v| v.latest()) {
                Some(f) => println!(
                    "  video           {}x{}, recorded with the flight: its segments and their SHA-256 are in the register",
                    f.width, f.height
                ),
                None if video.is_some() => println!("  video           no frame received"),
                None => println!("  video           none"),
            }
            println!(
                "  read it with    vigie register list --training --data-dir {} --actor demo --motive formation",
                data_dir.display()
            );
            ExitCode::SUCCESS
        }
        FlightEnd::Refused(reasons) => {
            println!("demo: take-off refused by the flight rules:");
            for r in reasons {
                println!("  {r}");
            }
            ExitCode::from(REFUSED)
        }
        FlightEnd::TimeUp => {
            println!("demo: stopped at --duration");
            ExitCode::SUCCESS
        }
        FlightEnd::Stopped => {
            println!("demo: stopped by a signal");
            ExitCode::SUCCESS
        }
    }
}

fn findings(d: &flight_rules::Decision) -> Vec<String> {
    d.findings
        .iter()
        .filter(|f| f.severity == flight_rules::Severity::Blocking)
        .map(|f| format!("{} {}", f.rule_id, f.reason))
        .collect()
}

/// Ask the station; a refusal comes back as its reasons, any other failure is an error.
async fn ok(
    st: &StationHandle,
    request: VehicleRequest,
    say: &impl Fn(String),
) -> anyhow::Result<Result<(), Vec<String>>> {
    let name = request.name();
    let outcome = st
        .command(StationCommand::vehicle(DEMO_VEHICLE, request))
        .await;
    match &outcome {
        Outcome::Refused(d) => return Ok(Err(findings(d))),
        Outcome::Failed { failure, .. } => anyhow::bail!("{name}: {failure}"),
        Outcome::Done { .. } => {}
    }
    say(format!("{name}: accepted"));
    Ok(Ok(()))
}

/// The demo flight: connect, fence, pre-flight verdict, arm, take off, patrol, come home —
/// each step a station procedure through the interlock.
async fn fly(st: &StationHandle, say: impl Fn(String)) -> anyhow::Result<FlightEnd> {
    say("waiting for the vehicle…".into());
    let mut tel = st
        .wait_vehicle(DEMO_VEHICLE, Duration::from_secs(60))
        .await
        .context("no vehicle heard within 60 s")?;
    tokio::time::timeout(
        Duration::from_secs(90),
        tel.wait_for(|t| {
            t.gps.is_some_and(|g| g.fix.is_3d()) && t.position.is_some() && t.home.is_some()
        }),
    )
    .await
    .context("the vehicle has no GPS fix and home after 90 s")??;
    say("vehicle 1 has a 3D fix and a home".into());
    if let Err(reasons) = ok(st, VehicleRequest::UploadFence, &say).await? {
        return Ok(FlightEnd::Refused(reasons));
    }
    // A ground wind reading (anemometer or METAR) before judging, as a pilot would wait for it;
    // without one the wind gate refuses, which is the right answer too.
    let mut snap = st.snapshot();
    match tokio::time::timeout(
        Duration::from_secs(20),
        snap.wait_for(|s| !s.session.ground_wind.is_empty()),
    )
    .await
    {
        Ok(Ok(s)) => {
            for w in &s.session.ground_wind {
                say(format!(
                    "ground wind ({:?}): {:.0} km/h",
                    w.source,
                    w.peak_mps() * 3.6
                ));
            }
        }
        _ => say("no ground wind reading (anemometer or METAR)".into()),
    }
    // The autopilot's own readiness: a freshly booted ArduCopter refuses to arm until its
    // estimator has settled; wait for it as a pilot would, showing what it says.
    let ready = matches!(
        tokio::time::timeout(
            Duration::from_secs(120),
            tel.wait_for(|t| t.readiness.prearm_ok != Some(false)),
        )
        .await,
        Ok(Ok(_))
    );
    if !ready {
        let reasons: Vec<String> = tel
            .borrow()
            .readiness
            .reasons
            .iter()
            .map(|r| format!("{} {}", flight_rules::rule_id::VEHICLE_PREARM, r.text))
            .collect();
        return Ok(FlightEnd::Refused(reasons));
    }
    // The verdict ARM would get, as the pilot sees it before pressing it.
    let view = snap
        .wait_for(|s| {
            s.vehicle(DEMO_VEHICLE)
                .is_some_and(|v| v.fence.loaded && v.preflight.is_some())
        })
        .await?
        .vehicle(DEMO_VEHICLE)
        .cloned();
    if let Some(d) = view.and_then(|v| v.preflight) {
        say(format!("pre-flight verdict: {:?}", d.verdict));
        for f in &d.findings {
            say(format!("  {:?} {} {}", f.severity, f.rule_id, f.reason));
        }
        if d.verdict == Verdict::Deny {
            return Ok(FlightEnd::Refused(findings(&d)));
        }
    }
    let mut alarms = st.events();
    if let Err(reasons) = ok(st, VehicleRequest::ArmAndTakeoff { alt_rel_m: 40.0 }, &say).await? {
        return Ok(FlightEnd::Refused(reasons));
    }
    let started = std::time::Instant::now();
    tokio::time::timeout(
        Duration::from_secs(60),
        tel.wait_for(|t| t.position.is_some_and(|p| p.alt_rel_m > 35.0)),
    )
    .await
    .context("did not climb to 35 m")??;
    say("airborne at 40 m".into());
    for &(lat, lon, alt) in PATROL {
        let now = tel.borrow().clone();
        if now.mode != CopterMode::Guided || !now.armed {
            say(format!(
                "the vehicle left the patrol on its own (mode {}): waiting for it to land",
                now.mode
            ));
            break;
        }
        let go_to = VehicleRequest::GoTo {
            target: LatLon::new(lat, lon),
            alt_rel_m: alt,
        };
        // A go-to that did not go through ends the patrol, not the watch over the vehicle:
        // the link may have held it back because the station froze (the vehicle may be
        // coming home on its own failsafe), so what follows is landing, whoever decides it.
        match st
            .command(StationCommand::vehicle(DEMO_VEHICLE, go_to))
            .await
        {
            Outcome::Done { .. } => say("go-to: accepted".into()),
            Outcome::Refused(d) => {
                say(format!("go-to refused: {}", findings(&d).join("; ")));
                break;
            }
            Outcome::Failed { failure, .. } => {
                say(format!("go-to not done: {failure}"));
                break;
            }
        }
        let arrived = tokio::time::timeout(
            Duration::from_secs(120),
            tel.wait_for(|t| {
                t.mode != CopterMode::Guided
                    || t.position
                        .is_some_and(|p| distance_m((p.lat_deg, p.lon_deg), (lat, lon)) < 8.0)
            }),
        )
        .await
        .map(|_| ());
        match arrived {
            Ok(()) if tel.borrow().mode == CopterMode::Guided => {
                say(format!("reached {lat:.4}, {lon:.4}"))
            }
            Ok(()) => {}
            Err(_) => say(format!("did not reach {lat:.4}, {lon:.4} in 120 s (wind?)")),
        }
    }
    if tel.borrow().mode == CopterMode::Guided {
        ok(st, VehicleRequest::Rtl, &say).await?.ok();
    }
    tokio::time::timeout(Duration::from_secs(240), tel.wait_for(|t| !t.armed))
        .await
        .context("not landed and disarmed 240 s after RTL")??;
    let flight_s = started.elapsed().as_secs_f64();
    // The station closes the flight's tlog and hands it to the register at disarming.
    let mut summary = Summary {
        flight_s,
        ..Summary::default()
    };
    // Every alarm of the flight stays in the snapshot until someone acknowledges it.
    summary.alarms = st
        .snapshot()
        .borrow()
        .alarms
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a.raised_at.with_timezone(&chrono::Local).format("%H:%M:%S"),
                a.detail
            )
        })
        .collect();
    if let Some(v) = st.snapshot().borrow().vehicle(DEMO_VEHICLE) {
        summary.distance_m = v
            .track
            .windows(2)
            .map(|w| distance_m((w[0].0, w[0].1), (w[1].0, w[1].1)))
            .sum();
    }
    let sealed = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match alarms.recv().await {
                Ok(e) => {
                    if let vigie_station::EventKind::FlightSealed { flight_id } = e.kind {
                        return Some(flight_id);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return None,
            }
        }
    })
    .await;
    summary.flight_id = sealed.ok().flatten();
    Ok(FlightEnd::Landed(summary))
}

fn screen_of(name: &str) -> vigie::app::Screen {
    use vigie::app::Screen;
    match name {
        "plan" => Screen::Plan,
        "register" => Screen::Register,
        "session" => Screen::Session,
        "settings" => Screen::Settings,
        _ => Screen::Fly,
    }
}

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    LatLon::new(a.0, a.1).distance_m(&LatLon::new(b.0, b.1))
}
