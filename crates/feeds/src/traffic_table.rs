//! SBS-1 messages folded into one `flight_rules::Traffic` per ICAO address, with expiry. Pure:
//! receive times are arguments.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use flight_rules::{IcaoAddress, Traffic};

use crate::sbs::SbsMessage;

#[derive(Debug, Clone)]
pub struct TrafficTable {
    aircraft: HashMap<IcaoAddress, Traffic>,
    expire_after: chrono::Duration,
    max_aircraft: usize,
}

impl TrafficTable {
    /// Aircraft not heard for `expire_after` are dropped; at most `max_aircraft` are kept (the
    /// longest unheard goes first), so a flood of invented addresses cannot grow it.
    pub fn new(expire_after: Duration, max_aircraft: usize) -> Self {
        Self {
            aircraft: HashMap::new(),
            expire_after: chrono::Duration::from_std(expire_after)
                .unwrap_or(chrono::Duration::seconds(60)),
            max_aircraft: max_aircraft.max(1),
        }
    }

    /// Fold in one message received at `now`.
    pub fn apply(&mut self, m: &SbsMessage, now: DateTime<Utc>) {
        if !self.aircraft.contains_key(&m.icao) && self.aircraft.len() >= self.max_aircraft {
            let oldest = self
                .aircraft
                .values()
                .min_by_key(|t| t.last_seen)
                .map(|t| t.icao);
            if let Some(k) = oldest {
                self.aircraft.remove(&k);
            }
        }
        let t = self
            .aircraft
            .entry(m.icao)
            .or_insert_with(|| Traffic::new(m.icao, now));
        t.last_seen = now;
        if let Some(c) = &m.callsign {
            t.callsign = Some(c.clone());
        }
        if let Some((alt, r)) = m.alt {
            t.alt_m = Some(alt);
            t.alt_ref = r;
        }
        if let Some(p) = m.position {
            t.position = Some(p);
            t.position_at = Some(now);
        }
        if let Some(v) = m.ground_speed_mps {
            t.ground_speed_mps = Some(v);
        }
        if let Some(v) = m.track_deg {
            t.track_deg = Some(v);
        }
        if let Some(v) = m.vertical_rate_mps {
            t.vertical_rate_mps = Some(v);
        }
        if let Some(s) = &m.squawk {
            t.squawk = Some(s.clone());
        }
        if let Some(g) = m.on_ground {
            t.on_ground = Some(g);
        }
    }

    /// Drop aircraft not heard for `expire_after`; returns how many went.
    pub fn expire(&mut self, now: DateTime<Utc>) -> usize {
        let before = self.aircraft.len();
        let limit = self.expire_after;
        self.aircraft.retain(|_, t| now - t.last_seen < limit);
        before - self.aircraft.len()
    }

    /// Every aircraft, ordered by address.
    pub fn snapshot(&self) -> Vec<Traffic> {
        let mut v: Vec<Traffic> = self.aircraft.values().cloned().collect();
        v.sort_by_key(|t| t.icao);
        v
    }

    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::type_complexity)]
    use super::*;
    use crate::sbs::{SbsLine, parse_sbs};
    use chrono::TimeZone;
    use flight_rules::{LatLon, TrafficAltRef};

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap() + chrono::Duration::seconds(s)
    }

    fn m(line: &str) -> SbsMessage {
        match parse_sbs(line.as_bytes()).unwrap() {
            SbsLine::Msg(m) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn messages_of_one_aircraft_build_one_traffic() {
        let mut tab = TrafficTable::new(Duration::from_secs(60), 100);
        tab.apply(&m("MSG,1,1,1,39C4A5,1,,,,,DRAGON13,,,,,,,,,,,0"), t(0));
        tab.apply(
            &m("MSG,3,1,1,39C4A5,1,,,,,,1500,,,43.51498,4.98897,,,,,,0"),
            t(1),
        );
        tab.apply(&m("MSG,4,1,1,39C4A5,1,,,,,,,58,31,,,-640,,,,,0"), t(2));
        // An identification later does not refresh the position's time.
        tab.apply(&m("MSG,1,1,1,39C4A5,1,,,,,DRAGON13,,,,,,,,,,,0"), t(9));
        let v = tab.snapshot();
        assert_eq!(v.len(), 1);
        let a = &v[0];
        assert_eq!(a.callsign.as_deref(), Some("DRAGON13"));
        assert_eq!(a.position, Some(LatLon::new(43.51498, 4.98897)));
        assert_eq!(a.position_at, Some(t(1)));
        assert_eq!(a.alt_ref, TrafficAltRef::PressureStd);
        assert!((a.alt_m.unwrap() - 457.2).abs() < 1e-6);
        assert_eq!(a.track_deg, Some(31.0));
        assert!(a.vertical_rate_mps.unwrap() < 0.0);
        assert_eq!(a.on_ground, Some(false));
        assert_eq!(a.last_seen, t(9));
    }

    #[test]
    fn silent_aircraft_expire_and_the_table_is_bounded() {
        let mut tab = TrafficTable::new(Duration::from_secs(60), 3);
        for (i, hex) in ["000001", "000002", "000003", "000004"].iter().enumerate() {
            tab.apply(
                &m(&format!("MSG,1,1,1,{hex},1,,,,,TEST{i},,,,,,,,,,,0")),
                t(i as i64),
            );
        }
        // The longest unheard (000001) made room for 000004.
        let ids: Vec<String> = tab.snapshot().iter().map(|a| a.icao.to_string()).collect();
        assert_eq!(ids, ["000002", "000003", "000004"]);
        assert_eq!(tab.expire(t(61)), 1);
        assert_eq!(tab.expire(t(64)), 2);
        assert!(tab.is_empty());
    }
}
