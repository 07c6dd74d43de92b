//! What the station needs to start.

use std::collections::BTreeSet;
use std::path::PathBuf;

use flight_rules::{Authorisation, FlightLegalBasis, LegalBases, Pilot, RuleSet};
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
    /// An elevation model of the area (RGE ALTI, SRTM): missions are judged for their clearance
    /// over the real ground, not only home's elevation.
    pub terrain: Option<std::sync::Arc<vigie_patrol::ElevationGrid>>,
    /// Where the register lives (the station's data directory); `None`: flights are not recorded.
    pub register_dir: Option<PathBuf>,
    /// Aircraft registration number, for the register.
    pub aircraft_registration: String,
    /// Each vehicle's video source (VIDEO_STREAM_INFORMATION's URI, or the operator's): the
    /// station receives it, records it with the flight and hands its frames to the UI.
    pub video: std::collections::BTreeMap<crate::protocol::VehicleId, vigie_video::SourceUri>,
    /// Receive the streams a vehicle announces (VIDEO_STREAM_INFORMATION) when the operator
    /// configured no video for it (`video`, `thermal`): its first visible and first thermal
    /// stream, recorded with the flight and served like configured ones.
    pub announced_video: bool,
    /// Each vehicle's thermal camera, received, recorded and served like the visible one.
    pub thermal: std::collections::BTreeMap<crate::protocol::VehicleId, vigie_video::SourceUri>,
    /// Serve each vehicle's stream over RTSP (accounts in `users_file`), for the CSU's viewers,
    /// its video management system, VLC. The station sets the admission: every viewer's session
    /// goes to the register before the first frame.
    pub rtsp: Option<vigie_video::RestreamConfig>,
    /// The UAS operator's registration number (EN 4709-002, AlphaTango): recorded with every
    /// flight, and what the drone's Remote ID must broadcast when Remote ID is required.
    pub operator_registration: Option<flight_rules::OperatorRegistration>,
    /// Further arrêtés the pilot may pick from (besides `authorisation`).
    pub authorisations: Vec<Authorisation>,
    /// Where imported arrêtés are kept (the data dir's `authorisations/`); None: not kept.
    pub authorisation_store: Option<PathBuf>,
    /// The catalogue of legal bases and the id of the one this service flies under: with them,
    /// selecting an arrêté derives the flight's basis (purpose = the arrêté's finalité).
    pub legal_bases: Option<LegalBases>,
    pub legal_basis_id: Option<String>,
    /// Witnesses of the register's chain head (directories on another disk, PostgreSQL).
    pub witnesses: Vec<String>,
    /// What the station does by itself in flight (warnings, automatic RTL).
    pub policy: FlightPolicy,
    /// Ground feeds: launch-site anemometer, METAR, manned traffic.
    pub feeds: Feeds,
    /// The fence's area when flying without an arrêté (see `SessionRequest::SetOperationArea`).
    pub operation_area: Option<crate::state::OperationArea>,
}

/// Where the ground feeds come from (see `vigie_feeds` for the address forms).
#[derive(Debug, Clone, Default)]
pub struct Feeds {
    pub anemometer: Option<vigie_feeds::FeedAddress>,
    pub metar: Option<vigie_feeds::MetarSource>,
    pub traffic: Option<vigie_feeds::FeedAddress>,
    /// Incidents posted over HTTP by the CSU or an alert network (bearer tokens).
    pub incidents: Option<vigie_feeds::IncidentIntake>,
}

impl StationConfig {
    /// A station on these links with the shipped rules, nobody logged in, nothing recorded.
    pub fn new(link: HubConfig) -> Self {
        Self {
            link,
            rules: RuleSet::default_embedded(),
            authorisation: None,
            pilot: None,
            legal_basis: None,
            training: false,
            airframe: "ArduCopter".into(),
            checklist_ticks: BTreeSet::new(),
            ground_amsl_m: None,
            terrain: None,
            register_dir: None,
            aircraft_registration: String::new(),
            operator_registration: None,
            video: Default::default(),
            thermal: Default::default(),
            announced_video: true,
            rtsp: None,
            authorisations: Vec::new(),
            authorisation_store: None,
            legal_bases: None,
            legal_basis_id: None,
            witnesses: Vec::new(),
            policy: FlightPolicy::default(),
            feeds: Feeds::default(),
            operation_area: None,
        }
    }
}

/// What the operator's configuration says the station does in flight, by itself.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlightPolicy {
    /// Warn this many seconds before the authorisation's window ends (10 and 2 minutes).
    pub authorisation_warn_s: Vec<i64>,
    pub auto_rtl: AutoRtl,
    /// Flights in the training register count for a pilot's recency (PILOT-RECENCY). Off by
    /// default: a simulator session is not a flight unless the operator's rules say so.
    pub training_counts_for_recency: bool,
}

impl Default for FlightPolicy {
    fn default() -> Self {
        Self {
            authorisation_warn_s: vec![600, 120],
            auto_rtl: AutoRtl::default(),
            training_counts_for_recency: false,
        }
    }
}

/// Automatic RTL: the station's own action, recorded as such. Off unless configured.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoRtl {
    /// RTL when a breach of a blocking zone or of the perimeter is predicted sooner than this.
    pub predicted_breach_under_s: Option<f64>,
    /// RTL when the authorisation's window has ended (or it was revoked).
    pub authorisation_expired: bool,
    /// RTL when the battery reaches the reserve for the way home against the wind.
    pub battery_reserve: bool,
}
