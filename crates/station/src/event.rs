//! Typed outputs: what happened ([`StationEvent`]) and what must not be missed ([`Alarm`]).
//! Each carries its kind, its vehicle and its rule IDs; the UI and the CLI turn them into
//! sentences in the pilot's language, the register stores them as they are.

use chrono::{DateTime, Utc};
use flight_rules::{Decision, WindStatus};
use serde::Serialize;
use vigie_link::{CommandResult, CopterMode};

use crate::protocol::{Failure, VehicleId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum EventLevel {
    Info,
    Warning,
    Alarm,
}

/// The response times the register keeps for an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IncidentMilestone {
    Airborne,
    OnScene,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum EventKind {
    VehicleConnected,
    LinkLost,
    LinkRegained,
    LinkUp {
        link: String,
        detail: String,
    },
    LinkDown {
        link: String,
        reason: String,
    },
    Armed,
    Disarmed,
    ModeChanged(CopterMode),
    /// A STATUSTEXT from the vehicle (MAV_SEVERITY 0 emergency … 7 debug).
    VehicleSaid {
        severity: u8,
        text: String,
    },
    AutopilotReady(bool),
    MissionItemReached(u16),
    FenceBreach,
    FenceCleared,
    /// A request judged and refused by the interlock: nothing was sent.
    Refused {
        request: &'static str,
        decision: Decision,
    },
    /// A request that reached the vehicle, and its answer (`mode` for a mode change).
    Commanded {
        request: &'static str,
        result: CommandResult,
        mode: Option<CopterMode>,
    },
    RequestFailed {
        request: &'static str,
        failure: Failure,
    },
    FenceUploaded {
        items: usize,
        enabled: bool,
        /// What went up (the register keeps it: a restarted station compares the vehicle's).
        uploaded: Vec<vigie_link::MissionItem>,
    },
    MissionUploaded {
        items: usize,
        uploaded: Vec<vigie_link::MissionItem>,
    },
    /// A restarted station found this flight open and its vehicle still armed: one flight, the
    /// gap recorded.
    FlightResumed {
        flight_id: String,
        gap_s: f64,
    },
    /// At start: a previous run of the station left this flight open (stopped or killed).
    FlightLeftOpen {
        flight_id: String,
        clean_stop: bool,
    },
    /// The vehicle landed while the station was away: the flight is closed with what it reports.
    FlightEndedWhileAway {
        flight_id: String,
        report: String,
    },
    /// The station stopped with this flight open (not sealed as if it had landed).
    FlightInterrupted {
        flight_id: String,
        airborne: bool,
        failsafe: Option<String>,
    },
    /// What a reattached vehicle holds, against what the record says was uploaded.
    ReadBack {
        what: &'static str,
        matches: bool,
    },
    /// The wind gate changed state (recorded with its value and source).
    WindGate {
        status: WindStatus,
        gate_mps: Option<f64>,
        limit_mps: f64,
    },
    /// A blocking in-flight finding appeared (breach predicted, wind at the limit, window ended).
    InFlightFinding {
        decision: Decision,
    },
    FlightOpened {
        flight_id: String,
    },
    /// Something the station did by itself, and why (automatic RTL at a predicted breach, at the
    /// end of the authorisation, at the battery reserve).
    AutomaticAction {
        action: &'static str,
        rule_id: &'static str,
    },
    LoggedIn {
        pilot_id: String,
    },
    /// The authorisation's window ends soon while a vehicle flies.
    AuthorisationEnding {
        arrete: String,
        left_s: i64,
    },
    MetarReceived {
        raw: String,
    },
    FeedUp {
        feed: &'static str,
        detail: String,
    },
    FeedFault {
        feed: &'static str,
        reason: String,
    },
    LoginRefused {
        pilot_id: String,
        reason: String,
    },
    LoggedOut {
        pilot_id: String,
    },
    AuthorisationSelected {
        arrete: String,
    },
    FlightSealed {
        flight_id: String,
    },
    RegisterFault {
        what: String,
    },
    SigningRejected {
        link: String,
        why: String,
    },
    CommandDropped {
        link: String,
        message: String,
    },
    /// Every manual item of the pre-flight checklist is ticked.
    ChecklistCompleted,
    /// The vehicle left the ground (armed and climbing), where.
    TookOff {
        pos: Option<(f64, f64)>,
    },
    /// The vehicle is back on the ground and disarmed, where, and with what battery left.
    Landed {
        pos: Option<(f64, f64)>,
        battery_pct: Option<f64>,
    },
    /// The condition behind an alarm is over (the alarm stays listed until acknowledged).
    AlarmCleared {
        alarm: AlarmId,
        what: String,
    },
    /// Someone acknowledged an alarm.
    AlarmAcknowledged {
        alarm: AlarmId,
        by: String,
    },
    /// The predicted breach came closer than ever in this flight (recorded under a minute).
    BreachPredicted {
        time_s: f64,
        distance_m: f64,
        what: String,
    },
    /// A hot spot observed (thermal detection, the pilot's click) and merged into the patrol's
    /// list: its id, merged position and error, how many sightings so far.
    HotspotObserved {
        id: String,
        pos: (f64, f64),
        error_m: f64,
        source: vigie_patrol::HotspotSource,
        observations: u32,
    },
    /// The pilot flagged the video as showing inside a home (segments kept 48 h).
    DomicileFlagged {
        by: String,
    },
    /// An incident posted by the CSU or an alert network (`vigie_feeds::incidents`).
    IncidentReported {
        id: String,
        pos: (f64, f64),
        kind: String,
        note: String,
        source: String,
        alert_at: DateTime<Utc>,
    },
    /// A response time of an incident: a vehicle airborne, or on scene, after the alert.
    IncidentResponse {
        id: String,
        what: IncidentMilestone,
        after_s: f64,
    },
    /// The vehicle's video stopped arriving (the recording goes on in a new segment when it
    /// comes back).
    VideoLost {
        stream: String,
        reason: String,
    },
    VideoRegained {
        stream: String,
    },
    /// The vehicle announced a stream (VIDEO_STREAM_INFORMATION): the station receives it.
    VideoAnnounced {
        stream: String,
        source: String,
    },
    /// A stream the vehicle announced is not received, and why.
    VideoUnusable {
        stream: String,
        reason: String,
    },
    /// The flight's video is no longer recorded (disk space, write failure); the stream goes on.
    RecordingStopped {
        stream: String,
        reason: String,
    },
}

impl EventKind {
    /// A stable code for the register (`code` column) and for translations.
    pub fn code(&self) -> &'static str {
        match self {
            EventKind::VehicleConnected => "VEHICLE-CONNECTED",
            EventKind::LinkLost => "LINK-LOST",
            EventKind::LinkRegained => "LINK-REGAINED",
            EventKind::LinkUp { .. } => "LINK-UP",
            EventKind::LinkDown { .. } => "LINK-DOWN",
            EventKind::Armed => "ARMED",
            EventKind::Disarmed => "DISARMED",
            EventKind::ModeChanged(_) => "MODE",
            EventKind::VehicleSaid { .. } => "STATUSTEXT",
            EventKind::AutopilotReady(_) => "AUTOPILOT-READY",
            EventKind::MissionItemReached(_) => "MISSION-ITEM",
            EventKind::FenceBreach => "FENCE-BREACH",
            EventKind::FenceCleared => "FENCE-CLEARED",
            EventKind::Refused { .. } => "REFUSED",
            EventKind::Commanded { .. } => "COMMANDED",
            EventKind::RequestFailed { .. } => "REQUEST-FAILED",
            EventKind::FenceUploaded { .. } => "FENCE-UPLOADED",
            EventKind::MissionUploaded { .. } => "MISSION-UPLOADED",
            EventKind::FlightResumed { .. } => "FLIGHT-RESUMED",
            EventKind::FlightLeftOpen { .. } => "FLIGHT-LEFT-OPEN",
            EventKind::FlightEndedWhileAway { .. } => "FLIGHT-ENDED-AWAY",
            EventKind::FlightInterrupted { .. } => "FLIGHT-INTERRUPTED",
            EventKind::ReadBack { .. } => "READ-BACK",
            EventKind::WindGate { .. } => "WIND-GATE",
            EventKind::InFlightFinding { .. } => "IN-FLIGHT",
            EventKind::FlightOpened { .. } => "FLIGHT-OPENED",
            EventKind::AutomaticAction { .. } => "AUTOMATIC-ACTION",
            EventKind::LoggedIn { .. } => "LOGIN",
            EventKind::AuthorisationEnding { .. } => "AUTH-ENDING",
            EventKind::MetarReceived { .. } => "METAR",
            EventKind::FeedUp { .. } => "FEED-UP",
            EventKind::FeedFault { .. } => "FEED-FAULT",
            EventKind::LoginRefused { .. } => "LOGIN-REFUSED",
            EventKind::LoggedOut { .. } => "LOGOUT",
            EventKind::AuthorisationSelected { .. } => "AUTHORISATION-SELECTED",
            EventKind::FlightSealed { .. } => "FLIGHT-SEALED",
            EventKind::RegisterFault { .. } => "REGISTER-FAULT",
            EventKind::SigningRejected { .. } => "SIGNING-REJECTED",
            EventKind::CommandDropped { .. } => "COMMAND-DROPPED",
            EventKind::ChecklistCompleted => "CHECKLIST-COMPLETED",
            EventKind::TookOff { .. } => "TOOK-OFF",
            EventKind::Landed { .. } => "LANDED",
            EventKind::AlarmCleared { .. } => "ALARM-CLEARED",
            EventKind::AlarmAcknowledged { .. } => "ALARM-ACKNOWLEDGED",
            EventKind::BreachPredicted { .. } => "BREACH-PREDICTED",
            EventKind::HotspotObserved { .. } => "HOTSPOT",
            EventKind::IncidentReported { .. } => "INCIDENT",
            EventKind::DomicileFlagged { .. } => "VIDEO-DOMICILE",
            EventKind::IncidentResponse { .. } => "INCIDENT-RESPONSE",
            EventKind::VideoLost { .. } => "VIDEO-LOST",
            EventKind::VideoRegained { .. } => "VIDEO-REGAINED",
            EventKind::VideoAnnounced { .. } => "VIDEO-ANNOUNCED",
            EventKind::VideoUnusable { .. } => "VIDEO-UNUSABLE",
            EventKind::RecordingStopped { .. } => "RECORDING-STOPPED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationEvent {
    pub at: DateTime<Utc>,
    pub level: EventLevel,
    pub vehicle: Option<VehicleId>,
    pub kind: EventKind,
    /// The rules behind it (refusals, in-flight findings, the wind gate).
    pub rule_ids: Vec<&'static str>,
    /// The alarm it raised (or raised again), when it did.
    pub alarm: Option<AlarmRef>,
}

/// An alarm as its raising event names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlarmRef {
    pub id: AlarmId,
    pub severity: AlarmSeverity,
}

impl StationEvent {
    pub fn new(
        at: DateTime<Utc>,
        level: EventLevel,
        vehicle: Option<VehicleId>,
        kind: EventKind,
    ) -> Self {
        let rule_ids = match &kind {
            EventKind::Refused { decision, .. } => decision.blocking().map(|f| f.rule_id).collect(),
            EventKind::InFlightFinding { decision } => {
                decision.blocking().map(|f| f.rule_id).collect()
            }
            EventKind::WindGate { .. } => vec![flight_rules::rule_id::WIND_GATE],
            EventKind::AutomaticAction { rule_id, .. } => vec![*rule_id],
            EventKind::AuthorisationEnding { .. } => vec![flight_rules::rule_id::AUTH_WINDOW],
            EventKind::BreachPredicted { .. } => vec![flight_rules::rule_id::BREACH_PREDICTED],
            _ => vec![],
        };
        Self {
            at,
            level,
            vehicle,
            kind,
            rule_ids,
            alarm: None,
        }
    }

    /// An English sentence for logs and the register's `text` (the UI translates from the kind).
    pub fn describe(&self) -> String {
        let who = self
            .vehicle
            .map_or_else(|| "station".to_string(), |v| v.to_string());
        let findings = |d: &Decision| {
            d.findings
                .iter()
                .filter(|f| f.severity != flight_rules::Severity::Info)
                .map(|f| format!("{} {}", f.rule_id, f.reason))
                .collect::<Vec<_>>()
                .join("; ")
        };
        match &self.kind {
            EventKind::VehicleConnected => format!("{who} connected"),
            EventKind::LinkLost => format!("{who}: link lost"),
            EventKind::LinkRegained => format!("{who}: link regained"),
            EventKind::LinkUp { link, detail } => format!("link {link} up ({detail})"),
            EventKind::LinkDown { link, reason } => format!("link {link} down: {reason}"),
            EventKind::Armed => format!("{who} armed"),
            EventKind::Disarmed => format!("{who} disarmed"),
            EventKind::ModeChanged(m) => format!("{who} mode {m}"),
            EventKind::VehicleSaid { text, .. } => format!("{who} says: {text}"),
            EventKind::AutopilotReady(true) => format!("{who}: autopilot ready to arm"),
            EventKind::AutopilotReady(false) => format!("{who}: autopilot not ready to arm"),
            EventKind::MissionItemReached(n) => format!("{who} reached mission item {n}"),
            EventKind::FenceBreach => format!("{who}: FENCE BREACH"),
            EventKind::FenceCleared => format!("{who}: back inside the fence"),
            EventKind::Refused { request, decision } => {
                format!("{request} refused for {who}: {}", findings(decision))
            }
            EventKind::Commanded {
                request,
                result,
                mode: Some(m),
            } => format!("{request} {m} → {who}: {result:?}"),
            EventKind::Commanded {
                request, result, ..
            } => format!("{request} → {who}: {result:?}"),
            EventKind::RequestFailed { request, failure } => {
                format!("{request} for {who} failed: {failure}")
            }
            EventKind::FlightLeftOpen {
                flight_id,
                clean_stop,
            } => format!(
                "{who}: flight {flight_id} was left open by a station that was {}: it is taken up again if the vehicle is still armed, closed otherwise",
                if *clean_stop {
                    "stopped"
                } else {
                    "killed or crashed"
                }
            ),
            EventKind::FlightResumed { flight_id, gap_s } => format!(
                "{who}: flight {flight_id} taken up again after a gap of {gap_s:.0} s without the station"
            ),
            EventKind::FlightEndedWhileAway { flight_id, report } => {
                format!("{who}: flight {flight_id} ended while the station was away ({report})")
            }
            EventKind::FlightInterrupted {
                flight_id,
                airborne,
                failsafe,
            } => format!(
                "{who}: the station stopped with flight {flight_id} open{}{}",
                if *airborne {
                    ", the vehicle airborne"
                } else {
                    ""
                },
                failsafe
                    .as_deref()
                    .map(|f| format!(": {f}"))
                    .unwrap_or_default()
            ),
            EventKind::ReadBack { what, matches } => format!(
                "{who}: the {what} on board {} what the record says was uploaded",
                if *matches { "matches" } else { "DIFFERS FROM" }
            ),
            EventKind::FenceUploaded { items, enabled, .. } => format!(
                "{who}: fence of {items} items uploaded, read back identical, {}",
                if *enabled { "enabled" } else { "NOT enabled" }
            ),
            EventKind::MissionUploaded { items, .. } => {
                format!("{who}: mission of {items} items uploaded, read back identical")
            }
            EventKind::WindGate {
                status,
                gate_mps,
                limit_mps,
            } => format!(
                "wind gate {status:?}: {} (limit {:.0} km/h)",
                gate_mps.map_or_else(
                    || "no fresh reading".to_string(),
                    |g| format!("{:.0} km/h", g * 3.6)
                ),
                limit_mps * 3.6
            ),
            EventKind::InFlightFinding { decision } => format!("{who}: {}", findings(decision)),
            EventKind::FlightOpened { flight_id } => format!("{who}: flight {flight_id} opened"),
            EventKind::AutomaticAction { action, rule_id } => {
                format!("{who}: the station commanded {action} by itself ({rule_id})")
            }
            EventKind::LoggedIn { pilot_id } => format!("pilot {pilot_id} logged in"),
            EventKind::AuthorisationEnding { arrete, left_s } => format!(
                "arrêté {arrete} ends in {} min {:02} s: plan the landing",
                left_s / 60,
                left_s % 60
            ),
            EventKind::MetarReceived { raw } => format!("METAR {raw}"),
            EventKind::FeedUp { feed, detail } => format!("{feed} feed up ({detail})"),
            EventKind::FeedFault { feed, reason } => format!("{feed} feed: {reason}"),
            EventKind::LoginRefused { pilot_id, reason } => {
                format!("login of {pilot_id} refused: {reason}")
            }
            EventKind::LoggedOut { pilot_id } => format!("pilot {pilot_id} logged out"),
            EventKind::AuthorisationSelected { arrete } => {
                format!("flying under arrêté {arrete}")
            }
            EventKind::FlightSealed { flight_id } => {
                format!("{who}: flight {flight_id} sealed and signed")
            }
            EventKind::RegisterFault { what } => format!("register: {what}"),
            EventKind::SigningRejected { link, why } => {
                format!("{who}: frames rejected on {link}: {why}")
            }
            EventKind::CommandDropped { link, message } => {
                format!("dropped {message} from read-only output {link}")
            }
            EventKind::ChecklistCompleted => "pre-flight checklist completed".to_string(),
            EventKind::TookOff { pos } => format!("{who} took off{}", at_pos(*pos)),
            EventKind::Landed { pos, battery_pct } => format!(
                "{who} landed{}{}",
                at_pos(*pos),
                battery_pct.map_or_else(String::new, |b| format!(" with {b:.0} % battery"))
            ),
            EventKind::AlarmCleared { alarm, what } => {
                format!("alarm {} over: {what}", alarm.0)
            }
            EventKind::AlarmAcknowledged { alarm, by } => {
                format!("alarm {} acknowledged by {by}", alarm.0)
            }
            EventKind::BreachPredicted {
                time_s,
                distance_m,
                what,
            } => format!(
                "{who}: {what} predicted in {time_s:.0} s ({distance_m:.0} m away), the closest of the flight"
            ),
            EventKind::HotspotObserved {
                id,
                pos,
                error_m,
                source,
                observations,
            } => format!(
                "hot spot {id} at {:.5}, {:.5} (± {error_m:.0} m, {observations} sighting{}, latest {source:?})",
                pos.0,
                pos.1,
                if *observations == 1 { "" } else { "s" }
            ),
            EventKind::IncidentReported {
                id,
                pos,
                kind,
                note,
                source,
                alert_at,
            } => format!(
                "incident {id} from {source}: {kind} at {:.5}, {:.5} (alert {alert_at}){}",
                pos.0,
                pos.1,
                if note.is_empty() {
                    String::new()
                } else {
                    format!(": {note}")
                }
            ),
            EventKind::DomicileFlagged { by } => format!(
                "{who}: video flagged as showing inside a home by {by} (kept 48 h, R242-11 II)"
            ),
            EventKind::IncidentResponse { id, what, after_s } => format!(
                "incident {id}: {} {after_s:.0} s after the alert",
                match what {
                    IncidentMilestone::Airborne => "a drone airborne",
                    IncidentMilestone::OnScene => "a drone on scene",
                }
            ),
            EventKind::VideoLost { stream, reason } => {
                format!("{who}: video {stream} lost ({reason})")
            }
            EventKind::VideoRegained { stream } => format!("{who}: video {stream} back"),
            EventKind::VideoAnnounced { stream, source } => {
                format!("{who}: receiving the video {stream} it announces, {source}")
            }
            EventKind::VideoUnusable { stream, reason } => {
                format!("{who}: the video {stream} it announces is not received: {reason}")
            }
            EventKind::RecordingStopped { stream, reason } => {
                format!("{who}: video {stream} NOT RECORDED any more: {reason}")
            }
        }
    }
}

fn at_pos(pos: Option<(f64, f64)>) -> String {
    pos.map_or_else(String::new, |(lat, lon)| format!(" at {lat:.5}, {lon:.5}"))
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct AlarmId(pub u64);

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum AlarmKind {
    LinkLost,
    FenceBreach,
    /// A blocking in-flight finding (predicted breach, wind at the limit, authorisation over…),
    /// by rule id.
    InFlight(&'static str),
    /// The vehicle said something of severity warning or worse.
    VehicleWarning,
    RegisterFault,
    SigningRejected,
    /// So many seconds before the authorisation's window ends.
    AuthorisationEnding {
        seconds: i64,
    },
    /// A ground feed (anemometer, METAR, traffic) in trouble.
    Feed(&'static str),
    /// A reattached vehicle's fence or mission differs from the record (or cannot be read).
    ReadBack,
    /// The vehicle's video stopped arriving.
    VideoLost,
    /// The flight's video is not being recorded.
    RecordingStopped,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub enum AlarmSeverity {
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarm {
    pub id: AlarmId,
    pub kind: AlarmKind,
    pub vehicle: Option<VehicleId>,
    pub severity: AlarmSeverity,
    pub raised_at: DateTime<Utc>,
    /// The event that raised it (its detail, for the banner).
    pub detail: String,
    pub acknowledged_by: Option<String>,
    /// Set when the condition is over (the alarm stays listed until acknowledged).
    pub cleared_at: Option<DateTime<Utc>>,
}

impl Alarm {
    /// Still demands attention: not acknowledged, or its condition persists.
    pub fn is_active(&self) -> bool {
        self.acknowledged_by.is_none() || self.cleared_at.is_none()
    }
}
