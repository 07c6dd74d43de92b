//! `vigie` with no subcommand: the desktop app with a real session — no pilot until one logs in
//! with their PIN, the arrêtés of the store to pick from, flights in the legal register —
//! listening for vehicles like QGroundControl (MAVLink on UDP 14550, video on RTP 5600).

use std::process::ExitCode;

use vigie_link::LinkConfig;
use vigie_station::StationConfig;

use crate::exit::BadInput;

/// Where the app listens for a vehicle and its video, as QGroundControl does.
const LISTEN: &str = "udpin:0.0.0.0:14550";
const VIDEO: &str = "rtp://0.0.0.0:5600";

/// The station the app starts: legal mode, nobody logged in, nothing ticked.
pub fn app_station_config(global: &crate::Global) -> anyhow::Result<StationConfig> {
    let (rules, _sources) = crate::cmd::zones::load_rules(global, &[])?;
    let mut config = StationConfig::new(vigie_link::HubConfig {
        links: vec![LinkConfig::vehicle(LISTEN.parse()?)],
        ..Default::default()
    });
    config.authorisations = crate::cmd::authorisation::load_store(global, &rules.limits);
    config.authorisation_store = Some(crate::cmd::authorisation::store_dir(global));
    config.rules = rules;
    config.training = false;
    config.pilot = None;
    config.airframe = "ArduCopter".into();
    config.register_dir = Some(global.data_dir());
    config.aircraft_registration = "UNREGISTERED".into();
    config.legal_bases = Some(flight_rules::LegalBases::default_embedded());
    config.legal_basis_id = Some("csi-l242".into());
    // Received, recorded with each flight and shown by the station, not by the window.
    config.video.insert(
        vigie_station::VehicleId(1),
        vigie_video::SourceUri::parse(VIDEO)?,
    );
    Ok(config)
}

pub fn run(global: &crate::Global) -> anyhow::Result<ExitCode> {
    if !vigie::app::display_available() {
        return Err(BadInput("no display: run `vigie demo --headless`, or start the app from a desktop session (DISPLAY unset)".into()).into());
    }
    let data_dir = global.data_dir();
    std::fs::create_dir_all(&data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the data directory {}: {e}",
            data_dir.display()
        )
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigie-rt")
        .build()?;
    let config = app_station_config(global)?;
    let station = rt.block_on(vigie_station::start(config))?;
    let video = station
        .video(vigie_station::VehicleId(1))
        .map(|slot| vigie::app::video::VideoFeed::from_slot("vehicle-1", slot));
    let stop = crate::cmd::stop::install(&rt, crate::cmd::stop::Children::default());
    vigie::app::run_window(vigie::app::AppConfig {
        title: "Vigie".into(),
        station: station.clone(),
        lang: global.lang(),
        data_dir,
        video,
        thermal: None,
        duration: None,
        // Nobody is logged in: the session screen (login, arrêté) comes first.
        screen: vigie::app::Screen::Session,
        report_frames: false,
        plan: None,
        desk: None,
        stop: Some(stop),
        instructor: None,
    })
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
    let report = rt.block_on(station.shutdown());
    crate::cmd::stop::print_report(&report);
    Ok(crate::cmd::stop::exit_code().unwrap_or(ExitCode::SUCCESS))
}
