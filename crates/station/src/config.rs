//! What the station needs to start.

use std::collections::BTreeSet;
use std::path::PathBuf;

use flight_rules::{Authorisation, Pilot, RuleSet};
use vigie_link::HubConfig;

#[derive(Debug, Clone)]
pub struct StationConfig {
    /// The links to the vehicles (and read-only outputs to a CSU).
    pub link: HubConfig,
    pub rules: RuleSet,
    pub authorisation: Option<Authorisation>,
    pub pilot: Option<Pilot>,
    /// Training flight: pilot rules warn instead of blocking; kept apart from the legal register.
    pub training: bool,
    /// Airframe type of the vehicles (matched against the pilot's qualifications).
    pub airframe: String,
    pub checklist_ticks: BTreeSet<String>,
    /// Terrain elevation at the take-off point when known (AMSL limits are judged with it).
    pub ground_amsl_m: Option<f64>,
    /// Where the register lives (the station's data directory); `None`: flights are not recorded.
    pub register_dir: Option<PathBuf>,
    /// Aircraft registration number, for the register.
    pub aircraft_registration: String,
}
