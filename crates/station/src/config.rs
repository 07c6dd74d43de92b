//! What the station needs to start.

use std::collections::BTreeSet;
use std::path::PathBuf;

use flight_rules::{Authorisation, FlightLegalBasis, Pilot, RuleSet};
use vigie_link::HubConfig;

#[derive(Debug, Clone)]
pub struct StationConfig {
    /// The links to the vehicles (and read-only outputs to a CSU).
    pub link: HubConfig,
    pub rules: RuleSet,
    pub authorisation: Option<Authorisation>,
    pub pilot: Option<Pilot>,
    /// The legal basis flights fly under (DOMAIN.md §1b); None in training means plain aviation,
    /// and in legal mode refuses arming (LEGAL-BASIS).
    pub legal_basis: Option<FlightLegalBasis>,
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
