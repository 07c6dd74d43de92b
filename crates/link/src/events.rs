//! What the link tells the station, each with the wall-clock time it happened.

use std::time::SystemTime;

use crate::telemetry::TelemetryChange;

#[derive(Debug, Clone, PartialEq)]
pub struct LinkEvent {
    pub at: SystemTime,
    pub kind: LinkEventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkEventKind {
    VehicleAppeared {
        sysid: u8,
        compid: u8,
        vehicle_type: u8,
        autopilot: crate::values::Autopilot,
    },
    VehicleLost {
        sysid: u8,
        compid: u8,
    },
    VehicleRegained {
        sysid: u8,
        compid: u8,
    },
    LinkUp {
        link: String,
        detail: String,
    },
    LinkDown {
        link: String,
        reason: String,
    },
    Telemetry {
        sysid: u8,
        change: TelemetryChange,
    },
    /// A read-only output tried to command a vehicle; the frame was dropped.
    CommandDropped {
        link: String,
        message: String,
    },
    /// A frame failed the signing policy (bad signature, replay, or unsigned once keyed).
    SigningRejected {
        link: String,
        sysid: u8,
        why: String,
    },
}
