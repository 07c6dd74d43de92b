//! `vigie fly`: a real flight — a certified pilot logged in with their PIN, a préfet's arrêté, a
//! real (or simulated) drone. Pre-flight with every finding, fence and mission uploaded and read
//! back, arm, take-off, the plan (or a hover), return, land; events as they come; exit 3 with
//! the reasons when anything is refused. Recorded in the legal register unless `--training`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use flight_rules::{LegalBases, Severity, Verdict};
use vigie_link::{CopterMode, LinkConfig};
use vigie_station::{
    Done, EventKind, EventLevel, Failure, Outcome, SessionRequest, StationCommand, StationConfig,
    StationHandle, VehicleId, VehicleRequest,
};

use crate::exit::{BadInput, REFUSED};

#[derive(Debug, clap::Args)]
pub struct FlyArgs {
    /// The vehicle: udpin:0.0.0.0:14550, tcpout:127.0.0.1:5760 (ArduPilot SITL), serial:/dev/ttyACM0:115200…
    #[arg(long)]
    pub connect: String,
    /// The pilot's identifier in the registry (the PIN comes from VIGIE_PIN or a prompt).
    #[arg(long)]
    pub pilot: String,
    /// The arrêté: a file to import, or the number of one already in the store.
    #[arg(long)]
    pub authorisation: String,
    /// The pilot registry to import first (the chief's file; see samples/pilots.toml).
    #[arg(long)]
    pub pilots: Option<PathBuf>,
    /// A QGroundControl .plan to upload, read back and fly in AUTO (a hover without).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Extra zone files (ED-269 / ED-318 / GeoJSON), besides the shipped and configured ones.
    #[arg(long)]
    pub zones: Vec<PathBuf>,
    /// Take-off (and hover) height above home, metres.
    #[arg(long, default_value_t = 30.0)]
    pub takeoff_alt: f64,
    /// Without a plan: hover this long before coming home, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub hover: f64,
    /// Launch-site anemometer (NMEA 0183 MWV): udp://0.0.0.0:10110, tcp://HOST:PORT, serial:/dev/ttyUSB0:4800.
    #[arg(long)]
    pub anemometer: Option<String>,
    /// A METAR: the report itself, a file, or an http(s) URL polled every few minutes.
    #[arg(long)]
    pub metar: Option<String>,
    /// Manned traffic, SBS-1 (dump1090 / readsb): tcp://HOST:30003.
    #[arg(long)]
    pub traffic: Option<String>,
    /// Manual checklist items the pilot has done (ids; asked at the terminal otherwise).
    #[arg(long = "tick", value_name = "ITEM")]
    pub ticks: Vec<String>,
    /// Keep this flight out of the legal register (training; pilot rules warn instead).
    #[arg(long)]
    pub training: bool,
    /// The operator's flight policy (TOML: authorisation_warn_s, [auto_rtl]).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// The legal basis the service flies under (an id of legal-bases.toml).
    #[arg(long, default_value = "csi-l242")]
    pub legal_basis: String,
    /// Airframe type (matched against the pilot's qualifications).
    #[arg(long, default_value = "ArduCopter")]
    pub airframe: String,
    /// The aircraft's registration number, for the register.
    #[arg(long, default_value = "UNREGISTERED")]
    pub aircraft: String,
    /// The UAS operator's registration number (EN 4709-002, from AlphaTango, e.g.
    /// FRA87astrdge12k8-xyz): recorded with the flight; the Remote ID must broadcast it.
    #[arg(long)]
    pub operator_registration: Option<String>,
    /// The drone's video (e.g. `rtp://0.0.0.0:5600`, `rtsp://user:pass@10.0.0.2/live`,
    /// `srt://…?passphrase=…`): received, recorded with the flight in the register. Without
    /// it (and without --thermal), the streams the drone announces (VIDEO_STREAM_INFORMATION)
    /// are received.
    #[arg(long)]
    pub video: Option<String>,
    /// Do not receive the streams the drone announces.
    #[arg(long)]
    pub no_announced_video: bool,
    /// The drone's thermal camera, received, recorded and served like the visible one; the
    /// pilot switches the video pane between them.
    #[arg(long, value_name = "URI")]
    pub thermal: Option<String>,
    #[command(flatten)]
    pub csu: crate::cmd::csu_serve::CsuServeArgs,
    /// The vehicle's MAVLink system id.
    #[arg(long, default_value_t = 1)]
    pub sysid: u8,
    /// Give up when the vehicle is not heard, or not ready, within this many seconds.
    #[arg(long, default_value_t = 120.0)]
    pub wait: f64,
}

fn say(line: impl AsRef<str>) {
    println!("{}", line.as_ref());
}

fn reasons(d: &flight_rules::Decision) -> Vec<String> {
    d.findings
        .iter()
        .filter(|f| f.severity == Severity::Blocking)
        .map(|f| format!("{} {}", f.rule_id, f.reason))
        .collect()
}

fn refused(what: &str, lines: &[String]) -> ExitCode {
    say(format!("fly: {what} refused:"));
    for l in lines {
        say(format!("  {l}"));
    }
    ExitCode::from(REFUSED)
}

pub fn run(global: &crate::Global, args: FlyArgs) -> anyhow::Result<ExitCode> {
    let (rules, _sources) = crate::cmd::zones::load_rules(global, &args.zones)?;
    let address = args
        .connect
        .parse()
        .map_err(|e| BadInput(format!("--connect: {e}")))?;
    let feeds = vigie_station::Feeds {
        anemometer: args
            .anemometer
            .as_deref()
            .map(|a| {
                a.parse()
                    .map_err(|e| BadInput(format!("--anemometer: {e}")))
            })
            .transpose()?,
        metar: args
            .metar
            .as_deref()
            .map(|m| m.parse().map_err(|e| BadInput(format!("--metar: {e}"))))
            .transpose()?,
        traffic: args
            .traffic
            .as_deref()
            .map(|t| t.parse().map_err(|e| BadInput(format!("--traffic: {e}"))))
            .transpose()?,
        incidents: None,
    };
    let policy = match &args.policy {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| BadInput(format!("cannot read the policy {}: {e}", p.display())))?;
            toml::from_str(&text).map_err(|e| BadInput(format!("{}: {e}", p.display())))?
        }
        None => vigie_station::FlightPolicy::default(),
    };
    let plan = args
        .plan
        .as_deref()
        .map(|p| {
            let text = std::fs::read_to_string(p)
                .map_err(|e| BadInput(format!("cannot read the plan {}: {e}", p.display())))?;
            flight_rules::parse_qgc_plan(&text, &p.display().to_string())
                .map_err(|e| BadInput(e.to_string()))
        })
        .transpose()?;
    let access = crate::cmd::register::Access {
        training: args.training,
        postgres: None,
        actor: Some(args.pilot.clone()),
        actor_name: None,
        role: "télépilote".into(),
    };
    // The chief's registry and the arrêté, into the register and the store, before anything flies.
    if let Some(file) = &args.pilots {
        let pilots = crate::cmd::pilots::read_registry(file)?;
        let mut reg = access.open(global)?;
        crate::cmd::pilots::import_registry(&mut reg, &pilots)?;
    }
    let authorisation = {
        let path = PathBuf::from(&args.authorisation);
        if path.exists() {
            crate::cmd::authorisation::import(global, &access, &path, None, None, &rules.limits)?
        } else {
            crate::cmd::authorisation::load_store(global, &rules.limits)
                .into_iter()
                .find(|a| a.arrete == args.authorisation)
                .ok_or_else(|| {
                    BadInput(format!(
                        "--authorisation {:?}: neither a file nor an arrêté in the store (vigie authorisation list)",
                        args.authorisation
                    ))
                })?
        }
    };
    let bases = LegalBases::default_embedded();
    if bases.get(&args.legal_basis).is_none() {
        return Err(BadInput(format!(
            "--legal-basis {:?}: not configured; see flight-rules/rules/legal-bases.toml",
            args.legal_basis
        ))
        .into());
    }
    let no_ground_wind = feeds.anemometer.is_none() && feeds.metar.is_none();
    let mut config = StationConfig::new(vigie_link::HubConfig {
        links: vec![LinkConfig::vehicle(address)],
        ..Default::default()
    });
    config.rules = rules;
    config.authorisations = vec![authorisation.clone()];
    config.training = args.training;
    config.airframe = args.airframe.clone();
    config.register_dir = Some(global.data_dir());
    config.aircraft_registration = args.aircraft.clone();
    config.operator_registration = args
        .operator_registration
        .as_deref()
        .map(flight_rules::OperatorRegistration::parse)
        .transpose()
        .map_err(|e| BadInput(format!("--operator-registration: {e}")))?;
    if let Some(uri) = &args.video {
        let source =
            vigie_video::SourceUri::parse(uri).map_err(|e| BadInput(format!("--video: {e}")))?;
        config
            .video
            .insert(vigie_station::VehicleId(args.sysid), source);
    }
    if let Some(uri) = &args.thermal {
        let source =
            vigie_video::SourceUri::parse(uri).map_err(|e| BadInput(format!("--thermal: {e}")))?;
        config
            .thermal
            .insert(vigie_station::VehicleId(args.sysid), source);
    }
    config.announced_video = !args.no_announced_video;
    config.authorisation_store = Some(crate::cmd::authorisation::store_dir(global));
    config.legal_bases = Some(bases);
    config.legal_basis_id = Some(args.legal_basis.clone());
    config.policy = policy;
    config.feeds = feeds;
    args.csu.apply(&mut config)?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigie-rt")
        .build()?;
    let station = rt
        .block_on(vigie_station::start(config))
        .map_err(|e| match e {
            vigie_station::StationError::Feed(f) => BadInput(f.to_string()).into(),
            other => anyhow::Error::from(other),
        })?;
    let vehicle = VehicleId(args.sysid);
    if let Some(url) = station.rtsp_url(vehicle) {
        println!("video served at {url} (every viewer in the register)");
    }
    let code = rt.block_on(fly(
        &station,
        &args,
        vehicle,
        &authorisation.arrete,
        plan,
        no_ground_wind,
    ));
    rt.block_on(station.shutdown());
    rt.shutdown_timeout(Duration::from_secs(5));
    code
}

async fn session(st: &StationHandle, r: SessionRequest) -> Outcome {
    st.command(StationCommand::Session(r)).await
}

async fn fly(
    st: &StationHandle,
    args: &FlyArgs,
    v: VehicleId,
    arrete: &str,
    plan: Option<flight_rules::QgcPlan>,
    no_ground_wind: bool,
) -> anyhow::Result<ExitCode> {
    // Events as they come: warnings, alarms, refusals and what the station did.
    let mut events = st.events();
    let printer = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(e) => {
                    let noisy = matches!(
                        e.kind,
                        EventKind::WindGate { .. } | EventKind::VehicleSaid { .. }
                    ) && e.level == EventLevel::Info;
                    if !noisy {
                        let tag = match e.level {
                            EventLevel::Alarm => "ALARM ",
                            EventLevel::Warning => "warn  ",
                            EventLevel::Info => "      ",
                        };
                        println!(
                            "{} {tag}{}",
                            e.at.with_timezone(&chrono::Local).format("%H:%M:%S"),
                            e.describe()
                        );
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    });
    let result = fly_steps(st, args, v, arrete, plan, no_ground_wind).await;
    printer.abort();
    result
}

async fn fly_steps(
    st: &StationHandle,
    args: &FlyArgs,
    v: VehicleId,
    arrete: &str,
    plan: Option<flight_rules::QgcPlan>,
    no_ground_wind: bool,
) -> anyhow::Result<ExitCode> {
    if no_ground_wind {
        say(
            "no ground wind source: the wind gate refuses without a fresh reading. Add a launch-site anemometer \
             (--anemometer udp://0.0.0.0:10110 for an NMEA 0183 MWV sensor or serial-to-UDP bridge, \
             --anemometer serial:/dev/ttyUSB0:4800) or a METAR (--metar \"LFMI 011000Z 33012KT CAVOK 12/03 Q1021\", \
             --metar FILE, --metar https://aviationweather.gov/api/data/metar?ids=LFMI&format=raw); \
             the vehicle's own wind estimate counts only once it flies",
        );
    }
    // Subscribed now: the seal may come right after the landing.
    let mut events = st.events();
    // 1. Login: the PIN never travels as an argument.
    let pin = crate::cmd::pilots::read_pin(&format!("PIN for {}: ", args.pilot), false)?;
    match session(
        st,
        SessionRequest::Login {
            pilot_id: args.pilot.clone(),
            pin: vigie_station::protocol::Secret(pin),
        },
    )
    .await
    {
        Outcome::Done { .. } => say(format!("pilot {} logged in", args.pilot)),
        Outcome::Failed {
            failure: Failure::LoginRefused { reason, .. },
            ..
        } => return Ok(refused("login", &[format!("PILOT-LOGIN {reason}")])),
        other => anyhow::bail!("login: {other:?}"),
    }
    // 2. The arrêté.
    match session(
        st,
        SessionRequest::SelectAuthorisation {
            arrete: arrete.to_string(),
        },
    )
    .await
    {
        Outcome::Done { .. } => say(format!("flying under arrêté {arrete}")),
        other => anyhow::bail!("authorisation {arrete}: {other:?}"),
    }
    // 3. The pilot's checklist: by hand, nothing pre-ticked.
    let (rules, _) = st.rules();
    for item in rules
        .checklist
        .items
        .iter()
        .filter(|i| matches!(i.kind, flight_rules::ChecklistKind::Manual))
    {
        let done = args.ticks.iter().any(|t| t == &item.id) || ask_yes(&item.label);
        if done {
            session(st, SessionRequest::TickChecklist(item.id.clone())).await;
        } else {
            say(format!(
                "checklist: « {} » not done (tick it with --tick {} once it is)",
                item.label, item.id
            ));
        }
    }
    // 4. The vehicle, its fix and its readiness.
    say("waiting for the vehicle…");
    let wait = Duration::from_secs_f64(args.wait);
    let Some(mut tel) = st.wait_vehicle(v, wait).await else {
        anyhow::bail!(
            "{v} not heard within {:.0} s on {}",
            args.wait,
            args.connect
        );
    };
    tokio::time::timeout(
        wait,
        tel.wait_for(|t| {
            t.gps.is_some_and(|g| g.fix.is_3d()) && t.position.is_some() && t.home.is_some()
        }),
    )
    .await
    .context("no 3D fix and home in time")??;
    // A vehicle already in the air: a station stopped or killed mid-flight is being restarted.
    // The station takes its open flight up again (or opens one); the pilot brings it home.
    if tel.borrow().armed {
        say(format!(
            "{v} is already flying (mode {}): taking its flight up again and bringing it home",
            tel.borrow().mode
        ));
        let o = st
            .command(StationCommand::vehicle(v, VehicleRequest::Rtl))
            .await;
        say(format!(
            "rtl: {}",
            if o.accepted() {
                "accepted"
            } else {
                "not acknowledged"
            }
        ));
        tokio::time::timeout(Duration::from_secs(600), tel.wait_for(|t| !t.armed))
            .await
            .context("not landed and disarmed within 10 minutes")??;
        say("landed and disarmed");
        return Ok(sealed(&mut events, args).await);
    }
    // 5. Fence, then mission, each read back.
    match st
        .command(StationCommand::vehicle(v, VehicleRequest::UploadFence))
        .await
    {
        Outcome::Done {
            done: Done::FenceUploaded { items, enabled },
            ..
        } => say(format!(
            "fence of {items} items uploaded, read back identical{}",
            if enabled {
                ", enabled"
            } else {
                ", NOT enabled"
            }
        )),
        Outcome::Refused(d) => return Ok(refused("fence upload", &reasons(&d))),
        other => anyhow::bail!("fence upload: {other:?}"),
    }
    if let Some(p) = &plan {
        match st
            .command(StationCommand::vehicle(
                v,
                VehicleRequest::UploadMission(p.mission.clone()),
            ))
            .await
        {
            Outcome::Done {
                done: Done::MissionUploaded { items },
                ..
            } => say(format!(
                "mission of {items} items uploaded, read back identical"
            )),
            Outcome::Refused(d) => return Ok(refused("mission upload", &reasons(&d))),
            other => anyhow::bail!("mission upload: {other:?}"),
        }
    }
    let ready = matches!(
        tokio::time::timeout(wait, tel.wait_for(|t| t.readiness.prearm_ok != Some(false))).await,
        Ok(Ok(_))
    );
    if !ready {
        let r: Vec<String> = tel
            .borrow()
            .readiness
            .reasons
            .iter()
            .map(|r| format!("{} {}", flight_rules::rule_id::VEHICLE_PREARM, r.text))
            .collect();
        return Ok(refused("arming", &r));
    }
    // 6. The verdict ARM would get, every finding shown.
    let snap = st.snapshot().borrow().clone();
    if let Some(d) = snap.vehicle(v).and_then(|x| x.preflight.clone()) {
        say(format!("pre-flight verdict: {:?}", d.verdict));
        for f in &d.findings {
            say(format!("  {:?} {} {}", f.severity, f.rule_id, f.reason));
        }
        if d.verdict == Verdict::Deny {
            return Ok(refused("take-off", &reasons(&d)));
        }
    }
    // 7. Fly.
    let request = match &plan {
        Some(_) => VehicleRequest::StartMission,
        None => VehicleRequest::ArmAndTakeoff {
            alt_rel_m: args.takeoff_alt,
        },
    };
    match st
        .command(StationCommand::vehicle(v, request.clone()))
        .await
    {
        Outcome::Done { .. } => say(format!("{}: accepted", request.name())),
        Outcome::Refused(d) => return Ok(refused(request.name(), &reasons(&d))),
        other => anyhow::bail!("{}: {other:?}", request.name()),
    }
    let started = std::time::Instant::now();
    match &plan {
        Some(p) => {
            let last = p.mission.items.len() as u16;
            // Until the vehicle has done its last item and landed (or gone home on its own).
            tokio::time::timeout(
                Duration::from_secs(3600),
                tel.wait_for(|t| !t.armed && started.elapsed() > Duration::from_secs(5)),
            )
            .await
            .context("the mission did not end within an hour")??;
            let reached = st
                .snapshot()
                .borrow()
                .vehicle(v)
                .and_then(|x| x.mission.last_reached_seq);
            say(format!(
                "mission flown: item {} of {last} reached, then home and landed",
                reached.map_or("none".into(), |r| r.to_string())
            ));
        }
        None => {
            tokio::time::timeout(
                wait,
                tel.wait_for(|t| {
                    t.position
                        .is_some_and(|p| p.alt_rel_m > args.takeoff_alt * 0.8)
                }),
            )
            .await
            .context("did not climb")??;
            say(format!(
                "hovering at {:.0} m for {:.0} s",
                args.takeoff_alt, args.hover
            ));
            let _ = tokio::time::timeout(
                Duration::from_secs_f64(args.hover),
                tel.wait_for(|t| t.mode != CopterMode::Guided),
            )
            .await;
            if tel.borrow().mode == CopterMode::Guided {
                let o = st
                    .command(StationCommand::vehicle(v, VehicleRequest::Rtl))
                    .await;
                say(format!(
                    "rtl: {}",
                    if o.accepted() {
                        "accepted"
                    } else {
                        "not acknowledged"
                    }
                ));
            }
            tokio::time::timeout(Duration::from_secs(600), tel.wait_for(|t| !t.armed))
                .await
                .context("not landed and disarmed within 10 minutes")??;
        }
    }
    say("landed and disarmed");
    Ok(sealed(&mut events, args).await)
}

/// Wait for the station to seal the flight, and say where it is.
async fn sealed(
    events: &mut tokio::sync::broadcast::Receiver<vigie_station::StationEvent>,
    args: &FlyArgs,
) -> ExitCode {
    let sealed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Ok(e) => {
                    if let EventKind::FlightSealed { flight_id } = e.kind {
                        return Some(flight_id);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return None,
            }
        }
    })
    .await
    .ok()
    .flatten();
    match sealed {
        Some(id) => say(format!(
            "flight {id} sealed in the {} register (vigie register show {id}{} --actor … --motive …)",
            if args.training { "training" } else { "legal" },
            if args.training { " --training" } else { "" }
        )),
        None => say("the flight was not sealed in the register (see the alarms above)"),
    }
    ExitCode::SUCCESS
}

/// Ask a yes/no question at the terminal; no terminal: no.
fn ask_yes(question: &str) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("{question} — fait ? [o/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(
        line.trim().to_lowercase().as_str(),
        "o" | "oui" | "y" | "yes"
    )
}
