//! TRAFFIC-NEARBY: manned traffic near the take-off point refuses take-off; near the drone in
//! flight it raises an alarm (a warning finding). Real case: a gendarmerie or medical helicopter
//! crossing Istres town centre at low level.

use chrono::Duration;
use flight_rules::*;

use super::common::*;

const FT: f64 = 0.3048;

/// A helicopter `dist_m` from Istres town centre on bearing 090, at `alt_ft` pressure altitude.
fn helicopter(dist_m: f64, alt_ft: f64) -> Traffic {
    let mut t = Traffic::new(IcaoAddress(0x39C4A5), now());
    t.callsign = Some("DRAGON13".into());
    t.position = Some(ISTRES_CENTRE.destination(90.0, dist_m));
    t.position_at = Some(now() - Duration::seconds(1));
    t.alt_m = Some(alt_ft * FT);
    t.alt_ref = TrafficAltRef::PressureStd;
    t.ground_speed_mps = Some(0.0);
    t.track_deg = Some(0.0);
    t.on_ground = Some(false);
    t
}

/// The good situation with the drone airborne at 40 m above Istres centre (62 m AMSL).
fn airborne(rules: &RuleSet) -> Situation {
    let mut s = good_situation(rules);
    let v = s.vehicle.as_mut().unwrap();
    v.armed = true;
    v.airborne = true;
    v.alt_rel_home_m = Some(40.0);
    v.alt_amsl_m = Some(62.0);
    s
}

fn traffic_findings(d: &Decision) -> Vec<&Finding> {
    d.findings
        .iter()
        .filter(|f| f.rule_id == rule_id::TRAFFIC_NEARBY)
        .collect()
}

#[test]
fn a_helicopter_at_300_m_and_150_ft_above_the_drone_raises_the_alarm() {
    let rules = RuleSet::default_embedded();
    let mut s = airborne(&rules);
    // 62 m AMSL = 203 ft; 150 ft above it.
    s.traffic = vec![helicopter(300.0, 62.0 / FT + 150.0)];
    let d = evaluate(&rules, &s, &Action::Monitor, now());
    let f = traffic_findings(&d);
    assert_eq!(f.len(), 1, "{:#?}", d.findings);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(
        f[0].reason.contains("DRAGON13") && f[0].reason.contains("39C4A5"),
        "{}",
        f[0].reason
    );
    assert!(f[0].reason.contains("150 ft above"), "{}", f[0].reason);
}

#[test]
fn take_off_is_refused_while_a_helicopter_is_within_the_take_off_radius() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    let clear = evaluate(&rules, &s, &Action::Takeoff { alt_m: 30.0 }, now());
    assert!(!clear.has(rule_id::TRAFFIC_NEARBY), "{:#?}", clear.findings);
    s.traffic = vec![helicopter(1200.0, 600.0)];
    for a in [Action::Arm, Action::Takeoff { alt_m: 30.0 }] {
        let d = evaluate(&rules, &s, &a, now());
        assert!(
            d.blocks_on(rule_id::TRAFFIC_NEARBY),
            "{a:?}: {:#?}",
            d.findings
        );
        assert!(d.is_denied());
        let f = traffic_findings(&d);
        assert!(f[0].reason.contains("DRAGON13"), "{}", f[0].reason);
    }
}

/// Each row: name, traffic tweak, action, expected severity of TRAFFIC-NEARBY (None: absent).
#[test]
fn proximity_table_of_real_cases() {
    let rules = RuleSet::default_embedded();
    type Tweak = fn(&mut Traffic);
    let monitor = Action::Monitor;
    let arm = Action::Arm;
    let cases: &[(&str, Tweak, &Action, Option<Severity>)] = &[
        (
            "helicopter_5_km_away",
            |t| t.position = Some(ISTRES_CENTRE.destination(90.0, 5000.0)),
            &arm,
            None,
        ),
        // An airliner overhead at FL100 is no conflict for a drone under 120 m.
        (
            "airliner_overhead_at_fl100",
            |t| t.alt_m = Some(10_000.0 * FT),
            &arm,
            None,
        ),
        (
            "airliner_overhead_at_fl100_in_flight",
            |t| t.alt_m = Some(10_000.0 * FT),
            &monitor,
            None,
        ),
        // A position older than stale_s cannot place the aircraft.
        (
            "position_60_s_old",
            |t| t.position_at = Some(now() - Duration::seconds(60)),
            &arm,
            None,
        ),
        ("no_position_heard", |t| t.position = None, &arm, None),
        // Unknown altitude within the radius: it may be at our height, so it blocks.
        (
            "altitude_unknown",
            |t| t.alt_m = None,
            &arm,
            Some(Severity::Blocking),
        ),
        (
            "altitude_unknown_in_flight",
            |t| t.alt_m = None,
            &monitor,
            Some(Severity::Warning),
        ),
        // On the ground it may lift off: said, not blocking.
        (
            "helicopter_on_its_pad",
            |t| t.on_ground = Some(true),
            &arm,
            Some(Severity::Warning),
        ),
        // 700 ft above the drone: inside 500 ft once the 300 ft pressure-altitude margin counts …
        (
            "pressure_altitude_700_ft_above",
            |t| t.alt_m = Some(62.0 + 700.0 * FT),
            &monitor,
            Some(Severity::Warning),
        ),
        // … but not when the altitude is a true AMSL one.
        (
            "amsl_altitude_700_ft_above",
            |t| {
                t.alt_m = Some(62.0 + 700.0 * FT);
                t.alt_ref = TrafficAltRef::Amsl;
            },
            &monitor,
            None,
        ),
        (
            "pressure_altitude_900_ft_above",
            |t| t.alt_m = Some(62.0 + 900.0 * FT),
            &monitor,
            None,
        ),
        // 1300 m away but heard 10 s ago flying towards us at 60 m/s: now about 700 m away.
        (
            "closing_at_60_mps_position_10_s_old",
            |t| {
                t.position = Some(ISTRES_CENTRE.destination(90.0, 1300.0));
                t.position_at = Some(now() - Duration::seconds(10));
                t.ground_speed_mps = Some(60.0);
                t.track_deg = Some(270.0);
            },
            &monitor,
            Some(Severity::Warning),
        ),
        // 300 m away 5 s ago, flying away: where it was still counts.
        (
            "receding_position_5_s_old",
            |t| {
                t.position_at = Some(now() - Duration::seconds(5));
                t.ground_speed_mps = Some(60.0);
                t.track_deg = Some(90.0);
            },
            &monitor,
            Some(Severity::Warning),
        ),
        // 1100 m away 5 s ago, velocity unknown: it may have flown 350 m towards us.
        (
            "velocity_unknown_position_5_s_old",
            |t| {
                t.position = Some(ISTRES_CENTRE.destination(90.0, 1100.0));
                t.position_at = Some(now() - Duration::seconds(5));
                t.ground_speed_mps = None;
                t.track_deg = None;
            },
            &monitor,
            Some(Severity::Warning),
        ),
        (
            "velocity_known_1100_m_hovering",
            |t| t.position = Some(ISTRES_CENTRE.destination(90.0, 1100.0)),
            &monitor,
            None,
        ),
    ];
    for (name, tweak, action, want) in cases {
        let mut s = if **action == Action::Monitor {
            airborne(&rules)
        } else {
            good_situation(&rules)
        };
        let mut t = helicopter(300.0, 62.0 / FT + 150.0);
        tweak(&mut t);
        s.traffic = vec![t];
        let d = evaluate(&rules, &s, action, now());
        let got = traffic_findings(&d).iter().map(|f| f.severity).max();
        assert_eq!(got, *want, "{name}: {:#?}", d.findings);
    }
}

#[test]
fn without_a_callsign_the_finding_names_the_icao_address() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    let mut t = helicopter(500.0, 500.0);
    t.callsign = None;
    s.traffic = vec![t];
    let d = evaluate(&rules, &s, &Action::Arm, now());
    let f = traffic_findings(&d);
    assert!(f[0].reason.contains("ICAO 39C4A5"), "{}", f[0].reason);
}

#[test]
fn unknown_drone_position_with_traffic_heard_blocks_take_off() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.takeoff_point = None;
    s.vehicle.as_mut().unwrap().position = None;
    s.traffic = vec![helicopter(300.0, 500.0)];
    let d = evaluate(&rules, &s, &Action::Arm, now());
    assert!(d.blocks_on(rule_id::TRAFFIC_NEARBY), "{:#?}", d.findings);
}

#[test]
fn unknown_ground_elevation_makes_every_height_count() {
    // Without the take-off point's elevation the drone's AMSL column is unknown: an aircraft in
    // the radius blocks whatever its altitude (fail closed).
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.ground_amsl_m = None;
    s.vehicle.as_mut().unwrap().alt_amsl_m = None;
    s.traffic = vec![helicopter(800.0, 10_000.0)];
    let d = evaluate(&rules, &s, &Action::Arm, now());
    assert!(d.blocks_on(rule_id::TRAFFIC_NEARBY), "{:#?}", d.findings);
}

#[test]
fn nearest_traffic_comes_first_and_distances_hold() {
    let own = Ownship {
        pos: ISTRES_CENTRE,
        h_accuracy_m: 0.0,
        alt_amsl: Interval::point(62.0),
    };
    let far = {
        let mut t = helicopter(900.0, 300.0);
        t.icao = IcaoAddress(0x3A0001);
        t
    };
    let near = helicopter(300.0, 62.0 / FT + 150.0);
    let limits = TrafficLimits::default();
    let p = traffic_proximity(&own, &[far, near], 1000.0, 500.0, &limits, None, now());
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].icao, IcaoAddress(0x39C4A5));
    assert!((p[0].distance_m - 300.0).abs() < 1.0, "{:?}", p[0]);
    assert!((p[0].above_ft.unwrap() - 150.0).abs() < 1.0, "{:?}", p[0]);
    // Overlapping once the 300 ft pressure margin counts.
    assert_eq!(p[0].vertical_gap_ft, Some(0.0));
    assert_eq!(p[0].within, Containment::Inside);
}

#[test]
fn traffic_limits_parse_and_bad_ones_are_named() {
    let l = Limits::from_toml("[traffic]\nalarm_distance_m = 1500.0\n", "op.toml").unwrap();
    assert_eq!(l.traffic.alarm_distance_m, 1500.0);
    assert_eq!(l.traffic.takeoff_radius_m, 2000.0);
    let e = Limits::from_toml("[traffic]\ntakeoff_radius_m = -1\n", "op.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("op.toml") && e.contains("traffic.takeoff_radius_m"),
        "{e}"
    );
}

#[test]
fn icao_addresses_read_and_print_as_six_hex_digits() {
    let a: IcaoAddress = "39c4a5".parse().unwrap();
    assert_eq!(a, IcaoAddress(0x39C4A5));
    assert_eq!(a.to_string(), "39C4A5");
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"39C4A5\"");
    assert!("39C4A".parse::<IcaoAddress>().is_err());
    assert!("~39C4A5".parse::<IcaoAddress>().is_err());
}
