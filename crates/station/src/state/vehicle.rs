//! One vehicle as the station keeps it: its telemetry, the fence and mission on board, the
//! wind gate's memory, the flight lifecycle, the track, and the procedures in progress.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};
use flight_rules::{Decision, WindGate, WindStatus};
use vigie_link::VehicleTelemetry;

use crate::interlock::Step;
use crate::snapshot::{FenceStatus, FlightPhase, MissionStatus, VehicleView};

/// Track points kept for the map (thinned: one every few metres).
const TRACK_POINTS: usize = 2000;
const TRACK_STEP_M: f64 = 3.0;

/// Which lane a procedure runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// RTL, LAND, BRAKE, disarm: never refused, never queued.
    Safety,
    /// Arm, take off, go to, orbit, modes, missions started: one at a time, the newest wins,
    /// stopped by a safety command.
    Motion,
    /// Fence and mission uploads: one at a time; they go on under a safety command.
    Configuration,
}

/// Identifies a caller's request (the actor keeps its reply channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Identifies one piece of link work in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub u64);

#[derive(Debug, Clone)]
pub struct Procedure {
    pub request: Option<RequestId>,
    pub name: &'static str,
    pub lane: Lane,
    pub steps: VecDeque<Step>,
    /// The decision the whole request got when it was judged.
    pub decision: Decision,
    /// The op in progress (its step already popped).
    pub current: Option<(OpId, Step)>,
    pub fence_items: usize,
    pub fence_enabled: bool,
    pub mission_items: usize,
}

#[derive(Debug, Clone, Default)]
pub struct VehicleState {
    pub telemetry: VehicleTelemetry,
    pub fence: FenceStatus,
    pub mission: MissionStatus,
    /// The wind gate's memory: when it was last above the limit (hysteresis).
    pub wind_exceeded_at: Option<DateTime<Utc>>,
    pub wind_gate: Option<WindGate>,
    pub last_gate_status: Option<WindStatus>,
    pub preflight: Option<Decision>,
    pub monitor: Option<Decision>,
    /// In-flight rule ids alarmed at the last verdict, with the alarm's severity.
    pub monitor_alarmed: BTreeMap<&'static str, crate::event::AlarmSeverity>,
    /// Authorisation countdown warnings already given this flight (seconds before the end).
    pub auth_warned: BTreeSet<i64>,
    pub last_auto_rtl_at: Option<DateTime<Utc>>,
    pub last_judged_at: Option<DateTime<Utc>>,
    pub flight: FlightPhase,
    pub track: Vec<(f64, f64, f64)>,
    pub last_sample_at: Option<DateTime<Utc>>,
    pub procedures: BTreeMap<u64, Procedure>,
    /// Armed as last folded in (the flight lifecycle's edge detector).
    pub was_armed: bool,
    /// Inputs changed since the last verdict.
    pub stale: bool,
}

impl VehicleState {
    pub fn new(telemetry: VehicleTelemetry) -> Self {
        Self {
            telemetry,
            ..Self::default()
        }
    }

    pub fn lane_busy(&self, lane: Lane) -> Option<u64> {
        self.procedures
            .iter()
            .find(|(_, p)| p.lane == lane)
            .map(|(k, _)| *k)
    }

    /// Add the current position to the track when it moved enough.
    pub fn extend_track(&mut self) {
        let Some(p) = self.telemetry.position else {
            return;
        };
        let far = self.track.last().is_none_or(|&(lat, lon, alt)| {
            let a = flight_rules::LatLon::new(lat, lon);
            let b = flight_rules::LatLon::new(p.lat_deg, p.lon_deg);
            a.distance_m(&b) >= TRACK_STEP_M || (alt - p.alt_rel_m).abs() >= TRACK_STEP_M
        });
        if far {
            self.track.push((p.lat_deg, p.lon_deg, p.alt_rel_m));
            if self.track.len() > TRACK_POINTS {
                // Keep the shape: drop every other point of the older half.
                let half = self.track.len() / 2;
                let mut i = 0;
                self.track.retain(|_| {
                    i += 1;
                    i > half || i % 2 == 0
                });
            }
        }
    }

    pub fn view(&self) -> VehicleView {
        VehicleView {
            telemetry: self.telemetry.clone(),
            preflight: self.preflight.clone(),
            monitor: self.monitor.clone(),
            wind_gate: self.wind_gate.clone(),
            fence: self.fence,
            mission: MissionStatus {
                current_seq: self.telemetry.mission_current_seq,
                last_reached_seq: self.telemetry.mission_item_reached_seq,
                ..self.mission.clone()
            },
            flight: self.flight.clone(),
            track: self.track.clone(),
            busy_with: self
                .procedures
                .values()
                .find(|p| p.lane != Lane::Safety)
                .map(|p| p.name),
        }
    }
}
