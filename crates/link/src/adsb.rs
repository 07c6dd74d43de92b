//! Manned traffic heard by the vehicle's own ADS-B receiver (`ADSB_VEHICLE`, 246) as
//! [`flight_rules::Traffic`], the type the SBS-1 feed produces too, so the station merges both
//! lists and `TRAFFIC-NEARBY` judges them alike. Units are converted here, once.

use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use flight_rules::{IcaoAddress, LatLon, Traffic, TrafficAltRef};

use crate::ardupilotmega as apm;

/// Aircraft kept per vehicle (the nearest matter; a receiver near an airport hears dozens).
pub const MAX_TRAFFIC: usize = 64;
/// An aircraft not heard for this long leaves the list (the rules ignore positions older than
/// `traffic.stale_s` long before).
pub const FORGET_AFTER_S: i64 = 120;

fn utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

fn callsign(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let s = String::from_utf8_lossy(&bytes[..end]).trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Fold one `ADSB_VEHICLE` into `list`, received at `now`. Fields the message flags as invalid
/// keep what was heard before (an identification does not erase a position).
pub fn apply(list: &mut Vec<Traffic>, m: &apm::ADSB_VEHICLE_DATA, now: SystemTime) {
    use apm::AdsbFlags as F;
    let heard = utc(now);
    // `tslc`: seconds since the receiver last heard the aircraft; 0 means just now (or unknown).
    let measured = heard - Duration::seconds(i64::from(m.tslc));
    let icao = IcaoAddress(m.ICAO_address & 0x00FF_FFFF);
    let idx = match list.iter().position(|t| t.icao == icao) {
        Some(i) => i,
        None => {
            list.push(Traffic::new(icao, measured));
            list.len() - 1
        }
    };
    let Some(t) = list.get_mut(idx) else { return };
    t.last_seen = t.last_seen.max(measured);
    let f = m.flags;
    if f.contains(F::ADSB_FLAGS_VALID_COORDS) && (m.lat != 0 || m.lon != 0) {
        let p = LatLon::new(f64::from(m.lat) * 1e-7, f64::from(m.lon) * 1e-7);
        if p.is_valid() {
            t.position = Some(p);
            t.position_at = Some(measured);
        }
    }
    if f.contains(F::ADSB_FLAGS_VALID_ALTITUDE) {
        t.alt_m = Some(f64::from(m.altitude) / 1000.0);
        // MAVLink says PRESSURE_QNH, but receivers (uAvionix ping, dump1090 bridges) pass the
        // transponder's barometric altitude, which is on the standard 1013.25 hPa setting:
        // read it as such, with the rules' margin, rather than as an exact AMSL altitude.
        t.alt_ref = match m.altitude_type {
            apm::AdsbAltitudeType::ADSB_ALTITUDE_TYPE_GEOMETRIC => TrafficAltRef::Wgs84,
            apm::AdsbAltitudeType::ADSB_ALTITUDE_TYPE_PRESSURE_QNH => TrafficAltRef::PressureStd,
        };
    }
    if f.contains(F::ADSB_FLAGS_VALID_HEADING) {
        t.track_deg = Some((f64::from(m.heading) / 100.0).rem_euclid(360.0));
    }
    if f.contains(F::ADSB_FLAGS_VALID_VELOCITY) {
        t.ground_speed_mps = Some(f64::from(m.hor_velocity) / 100.0);
    }
    if f.contains(F::ADSB_FLAGS_VERTICAL_VELOCITY_VALID) {
        // ver_velocity is positive up.
        t.vertical_rate_mps = Some(f64::from(m.ver_velocity) / 100.0);
    }
    if f.contains(F::ADSB_FLAGS_VALID_CALLSIGN)
        && let Some(c) = callsign(&m.callsign[..])
    {
        t.callsign = Some(c);
    }
    if f.contains(F::ADSB_FLAGS_VALID_SQUAWK) {
        // The field holds the Mode A code's four octal digits written as a decimal number
        // (7700 is 7700), as the MAVLink definition says.
        t.squawk = (m.squawk <= 7777).then(|| format!("{:04}", m.squawk));
    }
    prune(list, heard);
}

/// Forget aircraft not heard for [`FORGET_AFTER_S`], and keep at most [`MAX_TRAFFIC`], the most
/// recently heard.
pub fn prune(list: &mut Vec<Traffic>, now: DateTime<Utc>) {
    list.retain(|t| now - t.last_seen <= Duration::seconds(FORGET_AFTER_S));
    if list.len() > MAX_TRAFFIC {
        list.sort_by_key(|t| std::cmp::Reverse(t.last_seen));
        list.truncate(MAX_TRAFFIC);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helicopter(flags: apm::AdsbFlags, tslc: u8) -> apm::ADSB_VEHICLE_DATA {
        let mut callsign = [0u8; 9];
        callsign[..8].copy_from_slice(b"DRAGON13");
        apm::ADSB_VEHICLE_DATA {
            ICAO_address: 0x39C4A5,
            lat: 435_180_000,
            lon: 49_860_000,
            altitude: 152_400, // 500 ft
            heading: 27_000,
            hor_velocity: 4_000,
            ver_velocity: -150,
            flags,
            squawk: 7000,
            altitude_type: apm::AdsbAltitudeType::ADSB_ALTITUDE_TYPE_PRESSURE_QNH,
            callsign: callsign.into(),
            emitter_type: apm::AdsbEmitterType::ADSB_EMITTER_TYPE_ROTOCRAFT,
            tslc,
        }
    }

    #[test]
    fn a_helicopter_in_units_and_with_its_age() {
        use apm::AdsbFlags as F;
        let all = F::ADSB_FLAGS_VALID_COORDS
            | F::ADSB_FLAGS_VALID_ALTITUDE
            | F::ADSB_FLAGS_VALID_HEADING
            | F::ADSB_FLAGS_VALID_VELOCITY
            | F::ADSB_FLAGS_VALID_CALLSIGN
            | F::ADSB_FLAGS_VALID_SQUAWK
            | F::ADSB_FLAGS_VERTICAL_VELOCITY_VALID;
        let now = SystemTime::now();
        let mut list = Vec::new();
        apply(&mut list, &helicopter(all, 2), now);
        let t = &list[0];
        assert_eq!(t.icao.to_string(), "39C4A5");
        assert_eq!(t.callsign.as_deref(), Some("DRAGON13"));
        let p = t.position.unwrap();
        assert!((p.lat_deg - 43.518).abs() < 1e-9 && (p.lon_deg - 4.986).abs() < 1e-9);
        assert!((t.alt_m.unwrap() - 152.4).abs() < 1e-9);
        assert_eq!(t.alt_ref, TrafficAltRef::PressureStd);
        assert_eq!(
            (t.track_deg, t.ground_speed_mps, t.vertical_rate_mps),
            (Some(270.0), Some(40.0), Some(-1.5))
        );
        assert_eq!(t.squawk.as_deref(), Some("7000"));
        assert_eq!(t.position_at.unwrap(), utc(now) - Duration::seconds(2));
        // An identification only: the position stays.
        apply(&mut list, &helicopter(F::ADSB_FLAGS_VALID_CALLSIGN, 0), now);
        assert_eq!(list.len(), 1);
        assert!(list[0].position.is_some());
    }

    #[test]
    fn the_list_is_bounded_and_forgets() {
        let now = SystemTime::now();
        let mut list = Vec::new();
        for i in 0..200u32 {
            let mut m = helicopter(apm::AdsbFlags::ADSB_FLAGS_VALID_COORDS, 0);
            m.ICAO_address = 0x100000 + i;
            apply(&mut list, &m, now);
        }
        assert_eq!(list.len(), MAX_TRAFFIC);
        prune(&mut list, utc(now) + Duration::seconds(FORGET_AFTER_S + 1));
        assert!(list.is_empty());
    }
}
