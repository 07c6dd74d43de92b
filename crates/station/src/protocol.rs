//! What the station is asked (commands, always naming their vehicle) and what it answers (typed
//! outcomes: a flight rule's `Decision` and, when something else went wrong, a typed failure).

use std::collections::BTreeSet;

use flight_rules::{Decision, LatLon, Mission, WindReading};
use serde::Serialize;
use vigie_link::{CommandResult, CopterMode};

/// One vehicle, by its MAVLink system id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct VehicleId(pub u8);

impl std::fmt::Display for VehicleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "vehicle {}", self.0)
    }
}

/// What the pilot asks of one vehicle. Single actions and procedures (several steps, each
/// through the interlock) alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum VehicleRequest {
    Arm,
    /// GUIDED, then arm: what the ARM button does.
    ArmInGuided,
    /// GUIDED, arm, take off: the one-click take-off.
    ArmAndTakeoff {
        alt_rel_m: f64,
    },
    Takeoff {
        alt_rel_m: f64,
    },
    Disarm,
    GoTo {
        target: LatLon,
        alt_rel_m: f64,
    },
    Orbit {
        center: LatLon,
        radius_m: f64,
        alt_rel_m: f64,
    },
    /// Climb or descend where the vehicle is.
    ChangeAltitude {
        alt_rel_m: f64,
    },
    SetMode(CopterMode),
    Rtl,
    Land,
    Brake,
    /// Compute the fence from the zones and the authorisation, upload it, read it back, set the
    /// ceiling and action parameters, enable it.
    UploadFence,
    /// Upload a mission (from a QGC plan or a generator), read it back and compare.
    UploadMission(Mission),
    /// Fly the uploaded mission in AUTO from its first item.
    StartMission,
}

impl VehicleRequest {
    /// Requests that bring the vehicle to rest, home or the ground: never refused, never
    /// queued, and they stop any motion procedure in progress on that vehicle.
    pub fn is_safety(&self) -> bool {
        matches!(
            self,
            VehicleRequest::Rtl
                | VehicleRequest::Land
                | VehicleRequest::Brake
                | VehicleRequest::Disarm
                | VehicleRequest::SetMode(
                    CopterMode::Rtl | CopterMode::Land | CopterMode::Brake | CopterMode::SmartRtl
                )
        )
    }

    /// Configuration transfers (fence, mission) keep going when a safety command arrives;
    /// motion procedures are stopped by it.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            VehicleRequest::UploadFence | VehicleRequest::UploadMission(_)
        )
    }

    /// A short stable name (events, logs).
    pub fn name(&self) -> &'static str {
        match self {
            VehicleRequest::Arm => "arm",
            VehicleRequest::ArmInGuided => "arm-in-guided",
            VehicleRequest::ArmAndTakeoff { .. } => "arm-and-takeoff",
            VehicleRequest::Takeoff { .. } => "takeoff",
            VehicleRequest::Disarm => "disarm",
            VehicleRequest::GoTo { .. } => "go-to",
            VehicleRequest::Orbit { .. } => "orbit",
            VehicleRequest::ChangeAltitude { .. } => "change-altitude",
            VehicleRequest::SetMode(_) => "set-mode",
            VehicleRequest::Rtl => "rtl",
            VehicleRequest::Land => "land",
            VehicleRequest::Brake => "brake",
            VehicleRequest::UploadFence => "upload-fence",
            VehicleRequest::UploadMission(_) => "upload-mission",
            VehicleRequest::StartMission => "start-mission",
        }
    }
}

/// A secret typed by a person (a PIN): never printed, never serialised.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("(secret)")
    }
}

/// What changes the session (pilot side), not a vehicle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SessionRequest {
    /// Log a pilot in with their PIN (checked against the register's Argon2id hash; every
    /// attempt journaled; repeated wrong PINs lock the account for a while).
    Login {
        pilot_id: String,
        pin: Secret,
    },
    Logout,
    /// Fly under this arrêté (one of the session's authorisations, by number).
    SelectAuthorisation {
        arrete: String,
    },
    /// Read an arrêté file (TOML, see flight-rules/README.md), keep it in the station's
    /// authorisation store and offer it for selection.
    ImportAuthorisation {
        path: std::path::PathBuf,
    },
    /// An arrêté already read and validated (the actor's import, or a caller's own).
    OfferAuthorisation(Box<flight_rules::Authorisation>),
    TickChecklist(String),
    UntickChecklist(String),
    /// A ground wind reading (anemometer, METAR); replaces the previous one of its source.
    AddWind(WindReading),
    AcknowledgeAlarm {
        alarm: crate::event::AlarmId,
        by: String,
    },
    /// A hot spot seen (a thermal detection projected to the ground, the pilot's click on the
    /// video or the map): merged with the fire it is, recorded in the register.
    ObserveHotspot {
        vehicle: Option<VehicleId>,
        observation: Box<vigie_patrol::Observation>,
    },
    /// Where the flight operates when no arrêté gives a perimeter (None: forget it).
    SetOperationArea(Option<crate::state::OperationArea>),
    /// The pilot's note on a hot spot.
    AnnotateHotspot {
        id: String,
        note: String,
    },
    /// The camera saw inside a home: the video segment being recorded (or the next one) is
    /// flagged `domicile`, kept 48 h only (R242-11 II), and the flag is in the register.
    FlagDomicile {
        vehicle: VehicleId,
        by: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum StationCommand {
    Vehicle {
        vehicle: VehicleId,
        request: VehicleRequest,
    },
    Session(SessionRequest),
}

impl StationCommand {
    pub fn vehicle(vehicle: VehicleId, request: VehicleRequest) -> Self {
        StationCommand::Vehicle { vehicle, request }
    }

    pub fn is_safety(&self) -> bool {
        matches!(self, StationCommand::Vehicle { request, .. } if request.is_safety())
    }
}

/// What was done, when it was done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Done {
    /// The vehicle acknowledged the (last) command.
    Acknowledged,
    FenceUploaded {
        items: usize,
        enabled: bool,
    },
    MissionUploaded {
        items: usize,
    },
    ChecklistChanged {
        ticked: BTreeSet<String>,
    },
    WindRecorded,
    AlarmAcknowledged,
    LoggedIn {
        pilot_id: String,
    },
    LoggedOut,
    AuthorisationSelected {
        arrete: String,
    },
    AuthorisationOffered {
        arrete: String,
    },
    HotspotObserved {
        id: String,
    },
    HotspotAnnotated {
        id: String,
    },
    DomicileFlagged,
    OperationAreaSet,
}

/// Why something that the rules allowed did not happen.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
pub enum Failure {
    #[error("{0} is not connected")]
    VehicleUnknown(VehicleId),
    #[error("the vehicle answered {0:?}")]
    VehicleAnswered(CommandResult),
    #[error("link: {0}")]
    Link(String),
    #[error(
        "no authorisation selected (nor an operation area): the fence's inclusion is its perimeter"
    )]
    NoAuthorisation,
    #[error("cannot build the fence: {0}")]
    Fence(String),
    #[error("the mission read back differs from what was sent: {0}")]
    ReadBack(String),
    #[error("stopped by a safety command ({0})")]
    Preempted(&'static str),
    #[error("replaced by a newer request ({0})")]
    Superseded(&'static str),
    #[error("an upload is already in progress on this vehicle")]
    Busy,
    #[error("no mission uploaded")]
    NoMission,
    #[error("unknown alarm")]
    UnknownAlarm,
    #[error("login refused: {reason}")]
    LoginRefused {
        reason: String,
        locked_until: Option<chrono::DateTime<chrono::Utc>>,
    },
    #[error("no authorisation {0:?} in the session: import it first")]
    UnknownAuthorisation(String),
    #[error("{0}")]
    BadAuthorisation(String),
    #[error("a flight is in progress: {0} while a vehicle is armed")]
    InFlight(&'static str),
    #[error("the station has stopped")]
    Stopped,
    #[error("hot spot refused: its position or its error is not a number")]
    BadHotspot,
    #[error("no hot spot {0:?} in this patrol")]
    UnknownHotspot(String),
    #[error("nothing flagged: no video of {0} is being recorded")]
    NothingRecorded(VehicleId),
}

/// The answer to one command.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Outcome {
    /// A flight rule said no; nothing was sent.
    Refused(Decision),
    /// The rules allowed it (possibly with warnings) and it was done.
    Done { decision: Decision, done: Done },
    /// The rules allowed it but it did not happen.
    Failed {
        decision: Option<Decision>,
        failure: Failure,
    },
}

impl Outcome {
    pub fn accepted(&self) -> bool {
        matches!(self, Outcome::Done { .. })
    }

    pub fn decision(&self) -> Option<&Decision> {
        match self {
            Outcome::Refused(d) | Outcome::Done { decision: d, .. } => Some(d),
            Outcome::Failed { decision, .. } => decision.as_ref(),
        }
    }

    pub fn failed(failure: Failure) -> Self {
        Outcome::Failed {
            decision: None,
            failure,
        }
    }
}
