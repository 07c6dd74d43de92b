//! What a read-only output (a CSU) may not send to a vehicle.
#![allow(deprecated)] // ArduPilot still speaks MISSION_REQUEST/MISSION_ITEM; we must too.

use crate::MavMessage;

/// True for anything that would change a vehicle's state or configuration.
pub fn would_command(msg: &MavMessage) -> bool {
    matches!(
        msg,
        MavMessage::COMMAND_LONG(_)
            | MavMessage::COMMAND_INT(_)
            | MavMessage::SET_MODE(_)
            | MavMessage::MISSION_COUNT(_)
            | MavMessage::MISSION_ITEM(_)
            | MavMessage::MISSION_ITEM_INT(_)
            | MavMessage::MISSION_CLEAR_ALL(_)
            | MavMessage::MISSION_SET_CURRENT(_)
            | MavMessage::MISSION_WRITE_PARTIAL_LIST(_)
            | MavMessage::PARAM_SET(_)
            | MavMessage::PARAM_EXT_SET(_)
            | MavMessage::SET_POSITION_TARGET_GLOBAL_INT(_)
            | MavMessage::SET_POSITION_TARGET_LOCAL_NED(_)
            | MavMessage::SET_ATTITUDE_TARGET(_)
            | MavMessage::MANUAL_CONTROL(_)
            | MavMessage::RC_CHANNELS_OVERRIDE(_)
            | MavMessage::SETUP_SIGNING(_)
            | MavMessage::SET_GPS_GLOBAL_ORIGIN(_)
            | MavMessage::SET_HOME_POSITION(_)
            | MavMessage::FENCE_POINT(_)
            | MavMessage::RALLY_POINT(_)
            | MavMessage::FILE_TRANSFER_PROTOCOL(_)
            | MavMessage::LOG_ERASE(_)
            | MavMessage::SERIAL_CONTROL(_)
    )
}
