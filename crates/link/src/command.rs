//! COMMAND_LONG / COMMAND_INT with acknowledgement, timeout, retries (incrementing
//! `confirmation`), IN_PROGRESS handling and a typed result.
//!
//! The station never sends force-arm: [`VehicleCommand`] has no way to express it, and
//! [`CommandTx::new`] refuses a raw ARM_DISARM with the magic 21196.

use std::time::{Duration, Instant};

use crate::MavMessage;
use crate::ardupilotmega as apm;
use crate::protocol::{Step, Target, Transaction};

/// ArduPilot's "force" magic for ARM_DISARM param2. Never sent by Vigie.
pub const FORCE_ARM_MAGIC: f32 = 21196.0;

/// The commands the station sends. Positions in degrees, altitudes in metres above home.
#[derive(Debug, Clone, PartialEq)]
pub enum VehicleCommand {
    Arm,
    Disarm,
    Takeoff {
        alt_rel_m: f32,
    },
    Land,
    ReturnToLaunch,
    /// An ArduCopter flight mode (DO_SET_MODE with its custom_mode number).
    SetMode(crate::values::CopterMode),
    /// Fly to (GUIDED) and hold.
    Reposition {
        lat_deg: f64,
        lon_deg: f64,
        alt_rel_m: f32,
        ground_speed_mps: Option<f32>,
    },
    Orbit {
        lat_deg: f64,
        lon_deg: f64,
        alt_rel_m: f32,
        radius_m: f32,
        velocity_mps: f32,
    },
    RoiLocation {
        lat_deg: f64,
        lon_deg: f64,
        alt_rel_m: f32,
    },
    FenceEnable(bool),
    /// Message id and interval in µs (−1 disables, 0 default rate).
    SetMessageInterval {
        message_id: u32,
        interval_us: i32,
    },
    RequestMessage {
        message_id: u32,
    },
    /// Use the current position (None) or a given one as home.
    SetHome {
        at: Option<(f64, f64, f32)>,
    },
    /// Start the mission (AUTO) from the given item.
    MissionStart {
        first_item: u16,
    },
}

/// How the vehicle answered, or didn't.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CommandResult {
    Accepted,
    TemporarilyRejected,
    Denied,
    Unsupported,
    Failed,
    Cancelled,
    /// No acknowledgement after every retry.
    NoAck,
}

impl CommandResult {
    fn from_mav(r: apm::MavResult) -> Option<Self> {
        Some(match r {
            apm::MavResult::MAV_RESULT_ACCEPTED => Self::Accepted,
            apm::MavResult::MAV_RESULT_TEMPORARILY_REJECTED => Self::TemporarilyRejected,
            apm::MavResult::MAV_RESULT_DENIED => Self::Denied,
            apm::MavResult::MAV_RESULT_UNSUPPORTED => Self::Unsupported,
            apm::MavResult::MAV_RESULT_FAILED => Self::Failed,
            apm::MavResult::MAV_RESULT_CANCELLED => Self::Cancelled,
            // IN_PROGRESS is not final; anything newer we do not know is treated as failed.
            apm::MavResult::MAV_RESULT_IN_PROGRESS => return None,
            _ => Self::Failed,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommandTiming {
    pub ack_timeout: Duration,
    pub retries: u8,
    /// How long to wait for the final ack once the vehicle said IN_PROGRESS.
    pub in_progress_timeout: Duration,
}

impl Default for CommandTiming {
    fn default() -> Self {
        Self {
            ack_timeout: Duration::from_millis(1500),
            retries: 3,
            in_progress_timeout: Duration::from_secs(30),
        }
    }
}

/// The wire form: COMMAND_LONG or (for positions) COMMAND_INT.
#[derive(Debug, Clone, PartialEq)]
pub enum Wire {
    Long {
        command: apm::MavCmd,
        params: [f32; 7],
    },
    Int {
        command: apm::MavCmd,
        frame: apm::MavFrame,
        params: [f32; 4],
        x: i32,
        y: i32,
        z: f32,
    },
}

impl Wire {
    pub fn command(&self) -> apm::MavCmd {
        match self {
            Wire::Long { command, .. } | Wire::Int { command, .. } => *command,
        }
    }
}

fn deg_e7(v: f64) -> i32 {
    (v * 1e7).round() as i32
}

impl VehicleCommand {
    /// Commands that bring the vehicle to rest, home or the ground: they preempt every
    /// transaction in progress and are never queued or dropped (see [`crate::VehicleHandle`]).
    pub fn is_safety(&self) -> bool {
        use crate::values::CopterMode::{Brake, Land, Rtl, SmartRtl};
        matches!(
            self,
            VehicleCommand::ReturnToLaunch
                | VehicleCommand::Land
                | VehicleCommand::Disarm
                | VehicleCommand::SetMode(Rtl | Land | Brake | SmartRtl)
        )
    }

    pub fn to_wire(&self) -> Wire {
        use apm::MavCmd::*;
        let long = |command, p: [f32; 7]| Wire::Long { command, params: p };
        let rel = apm::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT;
        match *self {
            VehicleCommand::Arm => long(
                MAV_CMD_COMPONENT_ARM_DISARM,
                [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
            VehicleCommand::Disarm => long(MAV_CMD_COMPONENT_ARM_DISARM, [0.0; 7]),
            VehicleCommand::Takeoff { alt_rel_m } => long(
                MAV_CMD_NAV_TAKEOFF,
                [0.0, 0.0, 0.0, f32::NAN, 0.0, 0.0, alt_rel_m],
            ),
            VehicleCommand::Land => {
                long(MAV_CMD_NAV_LAND, [0.0, 0.0, 0.0, f32::NAN, 0.0, 0.0, 0.0])
            }
            VehicleCommand::ReturnToLaunch => long(MAV_CMD_NAV_RETURN_TO_LAUNCH, [0.0; 7]),
            VehicleCommand::SetMode(mode) => long(
                MAV_CMD_DO_SET_MODE,
                [
                    apm::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED.bits() as f32,
                    // Unknown has no number: ArduCopter refuses mode 0xFFFF, so nothing changes.
                    mode.custom_mode().unwrap_or(u32::from(u16::MAX)) as f32,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                ],
            ),
            VehicleCommand::Reposition {
                lat_deg,
                lon_deg,
                alt_rel_m,
                ground_speed_mps,
            } => Wire::Int {
                command: MAV_CMD_DO_REPOSITION,
                frame: rel,
                // param2 bit 1: MAV_DO_REPOSITION_FLAGS_CHANGE_MODE (switch to GUIDED).
                params: [ground_speed_mps.unwrap_or(-1.0), 1.0, 0.0, f32::NAN],
                x: deg_e7(lat_deg),
                y: deg_e7(lon_deg),
                z: alt_rel_m,
            },
            VehicleCommand::Orbit {
                lat_deg,
                lon_deg,
                alt_rel_m,
                radius_m,
                velocity_mps,
            } => Wire::Int {
                command: MAV_CMD_DO_ORBIT,
                frame: rel,
                params: [radius_m, velocity_mps, 0.0, f32::NAN],
                x: deg_e7(lat_deg),
                y: deg_e7(lon_deg),
                z: alt_rel_m,
            },
            VehicleCommand::RoiLocation {
                lat_deg,
                lon_deg,
                alt_rel_m,
            } => Wire::Int {
                command: MAV_CMD_DO_SET_ROI_LOCATION,
                frame: rel,
                params: [0.0; 4],
                x: deg_e7(lat_deg),
                y: deg_e7(lon_deg),
                z: alt_rel_m,
            },
            VehicleCommand::FenceEnable(on) => long(
                MAV_CMD_DO_FENCE_ENABLE,
                [if on { 1.0 } else { 0.0 }, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
            VehicleCommand::SetMessageInterval {
                message_id,
                interval_us,
            } => long(
                MAV_CMD_SET_MESSAGE_INTERVAL,
                [
                    message_id as f32,
                    interval_us as f32,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                ],
            ),
            VehicleCommand::RequestMessage { message_id } => long(
                MAV_CMD_REQUEST_MESSAGE,
                [message_id as f32, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
            VehicleCommand::SetHome { at: None } => {
                long(MAV_CMD_DO_SET_HOME, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
            }
            VehicleCommand::SetHome {
                at: Some((lat, lon, alt)),
            } => Wire::Int {
                command: MAV_CMD_DO_SET_HOME,
                frame: apm::MavFrame::MAV_FRAME_GLOBAL,
                params: [0.0; 4],
                x: deg_e7(lat),
                y: deg_e7(lon),
                z: alt,
            },
            VehicleCommand::MissionStart { first_item } => long(
                MAV_CMD_MISSION_START,
                [f32::from(first_item), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refused to send {0}: force-arming bypasses the vehicle's pre-arm checks and Vigie never sends it"
)]
pub struct ForbiddenCommand(pub &'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitAck,
    InProgress,
}

/// One command exchange.
#[derive(Debug)]
pub struct CommandTx {
    target: Target,
    wire: Wire,
    timing: CommandTiming,
    confirmation: u8,
    phase: Phase,
    deadline: Instant,
    /// Last progress percentage reported with IN_PROGRESS.
    pub progress_pct: Option<u8>,
}

impl CommandTx {
    pub fn new(
        target: Target,
        wire: Wire,
        timing: CommandTiming,
    ) -> Result<Self, ForbiddenCommand> {
        if let Wire::Long {
            command: apm::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            params,
        } = &wire
            && params[1] == FORCE_ARM_MAGIC
        {
            return Err(ForbiddenCommand("ARM_DISARM with param2 = 21196"));
        }
        Ok(Self {
            target,
            wire,
            timing,
            confirmation: 0,
            phase: Phase::AwaitAck,
            deadline: Instant::now(),
            progress_pct: None,
        })
    }

    fn message(&self) -> MavMessage {
        match &self.wire {
            Wire::Long { command, params } => MavMessage::COMMAND_LONG(apm::COMMAND_LONG_DATA {
                target_system: self.target.sysid,
                target_component: self.target.compid,
                command: *command,
                confirmation: self.confirmation,
                param1: params[0],
                param2: params[1],
                param3: params[2],
                param4: params[3],
                param5: params[4],
                param6: params[5],
                param7: params[6],
            }),
            Wire::Int {
                command,
                frame,
                params,
                x,
                y,
                z,
            } => MavMessage::COMMAND_INT(apm::COMMAND_INT_DATA {
                target_system: self.target.sysid,
                target_component: self.target.compid,
                frame: *frame,
                command: *command,
                current: 0,
                autocontinue: 0,
                param1: params[0],
                param2: params[1],
                param3: params[2],
                param4: params[3],
                x: *x,
                y: *y,
                z: *z,
            }),
        }
    }

    pub fn confirmation(&self) -> u8 {
        self.confirmation
    }
}

impl Transaction for CommandTx {
    type Output = CommandResult;

    fn start(&mut self, now: Instant) -> Step<CommandResult> {
        self.deadline = now + self.timing.ack_timeout;
        Step::send(vec![self.message()])
    }

    fn on_message(&mut self, msg: &MavMessage, now: Instant) -> Step<CommandResult> {
        let MavMessage::COMMAND_ACK(ack) = msg else {
            return Step::wait();
        };
        if ack.command != self.wire.command() {
            return Step::wait();
        }
        // Acks addressed to another GCS are not ours (target_system 0 = legacy broadcast).
        match CommandResult::from_mav(ack.result) {
            Some(r) => Step::done(r),
            None => {
                self.phase = Phase::InProgress;
                self.progress_pct = (ack.progress <= 100).then_some(ack.progress);
                self.deadline = now + self.timing.in_progress_timeout;
                Step::wait()
            }
        }
    }

    fn on_timeout(&mut self, now: Instant) -> Step<CommandResult> {
        if self.phase == Phase::InProgress || self.confirmation >= self.timing.retries {
            return Step::done(CommandResult::NoAck);
        }
        self.confirmation += 1;
        self.deadline = now + self.timing.ack_timeout;
        Step::send(vec![self.message()])
    }

    fn deadline(&self) -> Instant {
        self.deadline
    }

    fn cancel(&mut self) -> Step<CommandResult> {
        Step::done(CommandResult::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(command: apm::MavCmd, result: apm::MavResult, progress: u8) -> MavMessage {
        MavMessage::COMMAND_ACK(apm::COMMAND_ACK_DATA {
            command,
            result,
            progress,
            ..Default::default()
        })
    }

    const T: Target = Target {
        sysid: 1,
        compid: 1,
    };

    #[test]
    fn retries_increment_confirmation_then_no_ack() {
        let now = Instant::now();
        let mut tx =
            CommandTx::new(T, VehicleCommand::Arm.to_wire(), CommandTiming::default()).unwrap();
        let s = tx.start(now);
        let MavMessage::COMMAND_LONG(c) = &s.send[0] else {
            panic!()
        };
        assert_eq!((c.confirmation, c.param1, c.param2), (0, 1.0, 0.0));
        for expected in 1..=3u8 {
            let s = tx.on_timeout(tx.deadline());
            let MavMessage::COMMAND_LONG(c) = &s.send[0] else {
                panic!()
            };
            assert_eq!(c.confirmation, expected);
        }
        assert_eq!(
            tx.on_timeout(tx.deadline()).outcome,
            Some(CommandResult::NoAck)
        );
    }

    #[test]
    fn in_progress_waits_for_the_final_ack() {
        let now = Instant::now();
        let mut tx = CommandTx::new(
            T,
            VehicleCommand::Takeoff { alt_rel_m: 20.0 }.to_wire(),
            CommandTiming::default(),
        )
        .unwrap();
        tx.start(now);
        let cmd = apm::MavCmd::MAV_CMD_NAV_TAKEOFF;
        assert!(
            tx.on_message(
                &ack(
                    apm::MavCmd::MAV_CMD_NAV_LAND,
                    apm::MavResult::MAV_RESULT_ACCEPTED,
                    0
                ),
                now
            )
            .outcome
            .is_none(),
            "ack of another command"
        );
        assert!(
            tx.on_message(&ack(cmd, apm::MavResult::MAV_RESULT_IN_PROGRESS, 40), now)
                .outcome
                .is_none()
        );
        assert_eq!(tx.progress_pct, Some(40));
        assert!(
            tx.deadline() >= now + Duration::from_secs(29),
            "no resend while in progress"
        );
        assert_eq!(
            tx.on_message(&ack(cmd, apm::MavResult::MAV_RESULT_DENIED, 0), now)
                .outcome,
            Some(CommandResult::Denied)
        );
    }

    #[test]
    fn force_arm_is_refused() {
        let wire = Wire::Long {
            command: apm::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            params: [1.0, FORCE_ARM_MAGIC, 0.0, 0.0, 0.0, 0.0, 0.0],
        };
        assert!(CommandTx::new(T, wire, CommandTiming::default()).is_err());
    }

    #[test]
    fn reposition_goes_as_command_int_with_e7_coordinates() {
        let w = VehicleCommand::Reposition {
            lat_deg: 43.515,
            lon_deg: 4.989,
            alt_rel_m: 50.0,
            ground_speed_mps: None,
        }
        .to_wire();
        let Wire::Int { x, y, z, frame, .. } = w else {
            panic!()
        };
        assert_eq!((x, y, z), (435_150_000, 49_890_000, 50.0));
        assert_eq!(frame, apm::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT);
    }
}
