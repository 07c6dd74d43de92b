//! The drone's Remote ID messages (`OPEN_DRONE_ID_BASIC_ID` 12900, `_LOCATION` 12901, `_SYSTEM`
//! 12904, `_OPERATOR_ID` 12905, `_ARM_STATUS` 12918) folded into
//! [`flight_rules::RemoteIdSnapshot`], the type `REMOTE-ID` judges. They come from the Remote ID
//! module's component (MAV_COMP_ID_ODID_TXRX_1, 236) or the autopilot relaying them; both are the
//! same system, so any component counts.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use flight_rules::{
    LatLon, RemoteIdArmStatus, RemoteIdBasicId, RemoteIdFlightStatus, RemoteIdIdType,
    RemoteIdLocation, RemoteIdOperatorId, RemoteIdSnapshot, RemoteIdSystem,
};

use crate::MavMessage;
use crate::ardupilotmega as apm;

/// A drone broadcasts at most two basic IDs (serial number and registration); a few more are
/// kept in case a module sends one per ID type.
const MAX_BASIC_IDS: usize = 4;

fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).trim().to_string()
}

fn position(lat_e7: i32, lon_e7: i32) -> Option<LatLon> {
    if lat_e7 == 0 && lon_e7 == 0 {
        return None;
    }
    let p = LatLon::new(f64::from(lat_e7) * 1e-7, f64::from(lon_e7) * 1e-7);
    p.is_valid().then_some(p)
}

/// ODID's "unknown" for altitudes is -1000 m; anything at or below is not a value.
fn altitude(m: f32) -> Option<f64> {
    (m.is_finite() && m > -1000.0).then_some(f64::from(m))
}

/// Fold one message in; returns whether it was a Remote ID message.
pub fn apply(rid: &mut RemoteIdSnapshot, msg: &MavMessage, now: SystemTime) -> bool {
    let at: DateTime<Utc> = DateTime::from(now);
    match msg {
        MavMessage::OPEN_DRONE_ID_BASIC_ID(b) => {
            use apm::MavOdidIdType as T;
            let id_type = match b.id_type {
                T::MAV_ODID_ID_TYPE_NONE => RemoteIdIdType::None,
                T::MAV_ODID_ID_TYPE_SERIAL_NUMBER => RemoteIdIdType::SerialNumber,
                T::MAV_ODID_ID_TYPE_CAA_REGISTRATION_ID => RemoteIdIdType::CaaRegistration,
                T::MAV_ODID_ID_TYPE_UTM_ASSIGNED_UUID => RemoteIdIdType::UtmAssignedUuid,
                T::MAV_ODID_ID_TYPE_SPECIFIC_SESSION_ID => RemoteIdIdType::SpecificSessionId,
            };
            let id = RemoteIdBasicId {
                id_type,
                ua_type: b.ua_type as u8,
                uas_id: text(&b.uas_id),
                heard_at: at,
            };
            rid.basic_ids.retain(|x| x.id_type != id.id_type);
            rid.basic_ids.push(id);
            if rid.basic_ids.len() > MAX_BASIC_IDS {
                rid.basic_ids.remove(0);
            }
        }
        MavMessage::OPEN_DRONE_ID_LOCATION(l) => {
            use apm::MavOdidStatus as S;
            let status = match l.status {
                S::MAV_ODID_STATUS_UNDECLARED => RemoteIdFlightStatus::Undeclared,
                S::MAV_ODID_STATUS_GROUND => RemoteIdFlightStatus::Ground,
                S::MAV_ODID_STATUS_AIRBORNE => RemoteIdFlightStatus::Airborne,
                S::MAV_ODID_STATUS_EMERGENCY => RemoteIdFlightStatus::Emergency,
                S::MAV_ODID_STATUS_REMOTE_ID_SYSTEM_FAILURE => RemoteIdFlightStatus::SystemFailure,
            };
            rid.location = Some(RemoteIdLocation {
                status,
                position: position(l.latitude, l.longitude),
                alt_geodetic_m: altitude(l.altitude_geodetic),
                height_m: altitude(l.height),
                height_over_ground: l.height_reference
                    == apm::MavOdidHeightRef::MAV_ODID_HEIGHT_REF_OVER_GROUND,
                // 255.00 m/s (25500 cm/s) and 361° are ODID's "unknown".
                ground_speed_mps: (l.speed_horizontal < 25_500)
                    .then(|| f64::from(l.speed_horizontal) / 100.0),
                track_deg: (l.direction <= 36_000).then(|| f64::from(l.direction) / 100.0),
                heard_at: at,
            });
        }
        MavMessage::OPEN_DRONE_ID_SYSTEM(s) => {
            rid.system = Some(RemoteIdSystem {
                operator_position: position(s.operator_latitude, s.operator_longitude),
                operator_location_type: s.operator_location_type as u8,
                category_eu: s.category_eu as u8,
                class_eu: s.class_eu as u8,
                heard_at: at,
            });
        }
        MavMessage::OPEN_DRONE_ID_OPERATOR_ID(o) => {
            rid.operator_id = Some(RemoteIdOperatorId {
                operator_id: text(&o.operator_id[..]),
                heard_at: at,
            });
        }
        MavMessage::OPEN_DRONE_ID_ARM_STATUS(a) => {
            rid.arm_status = Some(RemoteIdArmStatus {
                ready: a.status == apm::MavOdidArmStatus::MAV_ODID_ARM_STATUS_GOOD_TO_ARM,
                error: text(&a.error[..]),
                heard_at: at,
            });
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_status_basic_id_and_location() {
        let now = SystemTime::now();
        let mut rid = RemoteIdSnapshot::default();
        let mut err = [0u8; 50];
        err[..16].copy_from_slice(b"missing basic ID");
        assert!(apply(
            &mut rid,
            &MavMessage::OPEN_DRONE_ID_ARM_STATUS(apm::OPEN_DRONE_ID_ARM_STATUS_DATA {
                status: apm::MavOdidArmStatus::MAV_ODID_ARM_STATUS_PRE_ARM_FAIL_GENERIC,
                error: err.into(),
            }),
            now
        ));
        let a = rid.arm_status.clone().unwrap();
        assert!(!a.ready && a.error == "missing basic ID");
        let mut uas_id = [0u8; 20];
        uas_id[..12].copy_from_slice(b"1596F3501234");
        apply(
            &mut rid,
            &MavMessage::OPEN_DRONE_ID_BASIC_ID(apm::OPEN_DRONE_ID_BASIC_ID_DATA {
                id_type: apm::MavOdidIdType::MAV_ODID_ID_TYPE_SERIAL_NUMBER,
                ua_type: apm::MavOdidUaType::MAV_ODID_UA_TYPE_HELICOPTER_OR_MULTIROTOR,
                uas_id,
                ..Default::default()
            }),
            now,
        );
        assert_eq!(rid.basic_ids[0].uas_id, "1596F3501234");
        assert_eq!(rid.basic_ids[0].ua_type, 2);
        apply(
            &mut rid,
            &MavMessage::OPEN_DRONE_ID_LOCATION(apm::OPEN_DRONE_ID_LOCATION_DATA {
                latitude: 435_150_000,
                longitude: 49_890_000,
                altitude_geodetic: -1000.0,
                speed_horizontal: 25_500,
                direction: 36_100,
                ..Default::default()
            }),
            now,
        );
        let l = rid.location.clone().unwrap();
        assert!(l.position.is_some());
        assert_eq!(
            (l.alt_geodetic_m, l.ground_speed_mps, l.track_deg),
            (None, None, None)
        );
        assert!(!apply(
            &mut rid,
            &MavMessage::HEARTBEAT(Default::default()),
            now
        ));
    }
}
