//! The flight as the scorer reads it: timestamped events of the kinds the station records
//! (its register events, and samples from the flight's `.rrd`). Plain serde: the station fills
//! it, a JSON file can hold it.

use chrono::{DateTime, Utc};
use flight_rules::LatLon;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The scenario flown (`istres-calm`, …).
    pub scenario: String,
    pub pilot: Option<String>,
    /// Start of the session: event times are shown relative to it.
    pub started_at: DateTime<Utc>,
    /// The take-off point, for "lands near home".
    pub home: Option<LatLon>,
    pub events: Vec<TimedEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedEvent {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened. Request names are the station's (`arm`, `arm-in-guided`, `arm-and-takeoff`,
/// `takeoff`, `set-mode`, `rtl`, `land`, `brake`, `go-to`, `orbit`, `start-mission`,
/// `upload-mission`, …); modes are ArduCopter's names in capitals (`RTL`, `LAND`, `LOITER`,
/// `AUTO`, `GUIDED`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The interlock refused a request; nothing was sent (StationEvent `REFUSED`).
    Refused {
        request: String,
        rule_ids: Vec<String>,
    },
    /// A request that reached the vehicle and its answer (`COMMANDED`); `mode` for `set-mode`.
    Commanded {
        request: String,
        accepted: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
    },
    /// Every manual checklist item ticked (the station's checklist verdict turned complete).
    ChecklistCompleted,
    Armed,
    Disarmed,
    TookOff,
    Landed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pos: Option<LatLon>,
    },
    /// The vehicle's mode as the station saw it change (the vehicle's own failsafes included).
    ModeChanged {
        mode: String,
    },
    LinkLost,
    LinkRegained,
    /// The fix was lost (GPS-DEGRADED alarm, EKF failsafe) and came back.
    GpsLost,
    GpsRegained,
    AlarmRaised {
        alarm: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule_id: Option<String>,
        critical: bool,
    },
    AlarmAcknowledged {
        alarm: String,
    },
    /// A breach prediction sample (`BREACH-PREDICTED` finding, or the `.rrd` series).
    BreachPredicted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_s: Option<f64>,
        distance_m: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        what: Option<String>,
    },
    /// A battery sample (`.rrd` series), percent.
    Battery {
        pct: f64,
    },
    /// The vehicle's own fence was breached (FENCE_STATUS).
    FenceBreach,
    /// The wind gate changed state (`WIND-GATE` event).
    WindGate {
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gate_kmh: Option<f64>,
    },
    /// The station did something by itself (automatic RTL).
    AutomaticAction {
        action: String,
        rule_id: String,
    },
    /// A hot spot marked (thermal or by the pilot), with its stated error.
    HotspotReported {
        pos: LatLon,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_m: Option<f64>,
    },
}
