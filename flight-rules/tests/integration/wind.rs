//! METAR wind groups and the wind gate (DOMAIN.md §4).

use chrono::{Duration, TimeZone, Utc};
use flight_rules::*;

use super::common::*;

#[test]
fn real_metar_wind_groups() {
    let now = Utc.with_ymd_and_hms(2026, 3, 14, 12, 10, 0).unwrap();
    let kt = 1852.0 / 3600.0;
    let table: &[(&str, Option<f64>, f64, Option<f64>)] = &[
        (
            "METAR LFMI 141200Z AUTO 33025G38KT 9999 FEW040 12/M02 Q1018",
            Some(330.0),
            25.0 * kt,
            Some(38.0 * kt),
        ),
        (
            "METAR LFML 141200Z VRB03KT CAVOK 14/05 Q1020 NOSIG",
            None,
            3.0 * kt,
            None,
        ),
        (
            "METAR LFMY 141200Z 00000KT 9999 SKC 10/01 Q1021",
            None,
            0.0,
            None,
        ),
        (
            "METAR UUEE 141200Z 27008MPS 9999 BKN020 M05/M08 Q1012",
            Some(270.0),
            8.0,
            None,
        ),
        (
            "SPECI LFMI 141200Z 32045G62KT 290V350 CAVOK 15/M03 Q1015",
            Some(320.0),
            45.0 * kt,
            Some(62.0 * kt),
        ),
        (
            "METAR KXYZ 141200Z 090105G120KT 9999 Q1000",
            Some(90.0),
            105.0 * kt,
            Some(120.0 * kt),
        ),
    ];
    for (text, dir, mean, gust) in table {
        let w = parse_metar(text, now).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(w.source, WindSource::Metar);
        assert_eq!(w.from_deg, *dir, "{text}");
        assert!((w.mean_mps - mean).abs() < 1e-9, "{text}");
        assert_eq!(
            w.gust_mps.map(|g| (g * 1000.0).round()),
            gust.map(|g| (g * 1000.0).round()),
            "{text}"
        );
        assert_eq!(
            w.observed_at,
            Utc.with_ymd_and_hms(2026, 3, 14, 12, 0, 0).unwrap()
        );
    }
}

#[test]
fn metar_time_group_from_last_month_and_errors() {
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 20, 0).unwrap();
    let w = parse_metar("METAR LFMI 282330Z 30010KT CAVOK", now).unwrap();
    assert_eq!(
        w.observed_at,
        Utc.with_ymd_and_hms(2026, 2, 28, 23, 30, 0).unwrap()
    );
    assert!(matches!(
        parse_metar("METAR LFMI 010000Z /////KT 9999", now),
        Err(MetarError::WindMissing(_))
    ));
    assert!(matches!(
        parse_metar("METAR LFMI 010000Z CAVOK", now),
        Err(MetarError::NoWindGroup(_))
    ));
    assert!(matches!(
        parse_metar("METAR LFMI 33025KT CAVOK", now),
        Err(MetarError::NoTime(_))
    ));
}

fn r(source: WindSource, mean_kmh: f64, gust_kmh: Option<f64>, age_s: i64) -> WindReading {
    WindReading {
        source,
        mean_mps: mean_kmh / 3.6,
        gust_mps: gust_kmh.map(|g| g / 3.6),
        from_deg: Some(330.0),
        observed_at: now() - Duration::seconds(age_s),
    }
}

#[test]
fn wind_gate_table() {
    let limits = Limits::default_embedded();
    use WindSource::*;
    use WindStatus::*;
    let cases: Vec<(
        &str,
        Vec<WindReading>,
        bool,
        Option<i64>,
        WindStatus,
        Option<WindSource>,
    )> = vec![
        (
            "calm_anemometer",
            vec![r(Anemometer, 10.0, Some(15.0), 10)],
            false,
            None,
            Ok,
            Some(Anemometer),
        ),
        (
            "mistral_gust_from_the_anemometer",
            vec![r(Anemometer, 30.0, Some(62.0), 10)],
            false,
            None,
            AboveLimit,
            Some(Anemometer),
        ),
        (
            "metar_gust_beats_a_calm_anemometer",
            vec![
                r(Anemometer, 10.0, Some(15.0), 10),
                r(Metar, 35.0, Some(55.0), 1200),
            ],
            false,
            None,
            AboveLimit,
            Some(Metar),
        ),
        (
            "stale_metar_only",
            vec![r(Metar, 10.0, None, 3 * 3600)],
            false,
            None,
            NoFreshSource,
            None,
        ),
        (
            "every_source_stale",
            vec![r(Anemometer, 10.0, None, 600), r(Metar, 10.0, None, 7200)],
            false,
            None,
            NoFreshSource,
            None,
        ),
        (
            "vehicle_estimate_ignored_on_the_ground",
            vec![r(Vehicle, 70.0, None, 1)],
            false,
            None,
            NoFreshSource,
            None,
        ),
        (
            "vehicle_estimate_counts_in_flight",
            vec![r(Vehicle, 70.0, None, 1), r(Anemometer, 10.0, None, 5)],
            true,
            None,
            AboveLimit,
            Some(Vehicle),
        ),
        (
            "in_flight_warning_at_80_percent",
            vec![r(Anemometer, 30.0, Some(42.0), 5)],
            true,
            None,
            Warn,
            Some(Anemometer),
        ),
        (
            "reading_from_the_future_is_ignored",
            vec![r(Anemometer, 10.0, None, -60)],
            false,
            None,
            NoFreshSource,
            None,
        ),
        (
            "exceeded_two_minutes_ago_still_held",
            vec![r(Anemometer, 10.0, Some(20.0), 5)],
            false,
            Some(120),
            Hysteresis,
            Some(Anemometer),
        ),
        (
            "back_under_limit_but_inside_the_band",
            vec![r(Anemometer, 40.0, Some(47.0), 5)],
            false,
            Some(900),
            Hysteresis,
            Some(Anemometer),
        ),
        (
            "settled_below_the_band_after_the_hold",
            vec![r(Anemometer, 30.0, Some(40.0), 5)],
            false,
            Some(900),
            Ok,
            Some(Anemometer),
        ),
    ];
    for (name, readings, airborne, exceeded_ago, status, src) in cases {
        let last = exceeded_ago.map(|s| now() - Duration::seconds(s));
        let g = wind_gate(&readings, &limits, "ArduCopter", airborne, last, now());
        assert_eq!(g.status, status, "{name}: {g:?}");
        assert_eq!(g.gate_source, src, "{name}");
        assert_eq!(g.exceeded_now, status == AboveLimit, "{name}");
    }
}

#[test]
fn anafi_has_its_own_lower_limit() {
    let limits = Limits::default_embedded();
    let readings = vec![r(WindSource::Anemometer, 30.0, Some(46.0), 5)];
    assert_eq!(
        wind_gate(&readings, &limits, "ArduCopter", false, None, now()).status,
        WindStatus::Ok
    );
    assert_eq!(
        wind_gate(&readings, &limits, "ANAFI Ai", false, None, now()).status,
        WindStatus::AboveLimit
    );
}
