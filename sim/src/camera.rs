//! A MAVLink camera on board: its own component with the autopilot's system id, sending a
//! 1 Hz HEARTBEAT as camera managers and companion computers do. It carries no armed flag and
//! no flight mode, which is the point: a station must take those from the autopilot only.

use mavlink::dialects::ardupilotmega::{
    HEARTBEAT_DATA, MavAutopilot, MavMessage, MavModeFlag, MavState, MavType,
};

/// MAV_COMP_ID_CAMERA.
pub const CAMERA_COMPID: u8 = 100;
const PERIOD_S: f64 = 1.0;

/// The camera's heartbeat schedule (sim time, like the autopilot's streams).
#[derive(Clone, Debug)]
pub struct CameraHeartbeat {
    enabled: bool,
    next_s: f64,
}

impl CameraHeartbeat {
    pub fn new(enabled: bool) -> CameraHeartbeat {
        CameraHeartbeat {
            enabled,
            next_s: 0.0,
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Turns it on or off; switched on, the first heartbeat goes at once.
    pub fn set_enabled(&mut self, on: bool, now_s: f64) {
        if on && !self.enabled {
            self.next_s = now_s;
        }
        self.enabled = on;
    }

    /// The heartbeat due at `now_s`, if any.
    pub fn poll(&mut self, now_s: f64) -> Option<MavMessage> {
        if !self.enabled || now_s < self.next_s {
            return None;
        }
        // Skip missed beats rather than bursting after a pause.
        self.next_s = if now_s - self.next_s > PERIOD_S {
            now_s + PERIOD_S
        } else {
            self.next_s + PERIOD_S
        };
        Some(heartbeat())
    }
}

/// MAV_TYPE_CAMERA, MAV_AUTOPILOT_GENERIC, not armed, custom mode 0, STANDBY.
pub fn heartbeat() -> MavMessage {
    MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_CAMERA,
        autopilot: MavAutopilot::MAV_AUTOPILOT_GENERIC,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_STANDBY,
        mavlink_version: 3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_heartbeat_a_second_only_when_enabled() {
        let mut cam = CameraHeartbeat::new(false);
        assert!(cam.poll(0.0).is_none());
        cam.set_enabled(true, 0.5);
        let beats = (0..300)
            .filter(|i| cam.poll(0.5 + f64::from(*i) * 0.01).is_some())
            .count();
        assert_eq!(beats, 3, "0.5, 1.5 and 2.5 s");
        cam.set_enabled(false, 3.5);
        assert!(cam.poll(10.0).is_none());
        let MavMessage::HEARTBEAT(hb) = heartbeat() else {
            panic!("not a heartbeat");
        };
        assert_eq!(hb.mavtype, MavType::MAV_TYPE_CAMERA);
        assert_eq!(hb.autopilot, MavAutopilot::MAV_AUTOPILOT_GENERIC);
        assert!(hb.base_mode.is_empty() && hb.custom_mode == 0);
        assert_eq!(hb.system_status, MavState::MAV_STATE_STANDBY);
    }
}
