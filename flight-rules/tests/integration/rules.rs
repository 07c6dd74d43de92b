//! Table tests per rule, named after the real cases they pin.

use chrono::Duration;
use flight_rules::*;

use super::common::*;

fn eval(rules: &RuleSet, s: &Situation, a: Action) -> Decision {
    evaluate(rules, s, &a, now())
}

#[test]
fn good_takeoff_from_istres_town_centre_is_allowed() {
    let rules = RuleSet::default_embedded();
    let s = good_situation(&rules);
    for a in [Action::Arm, Action::Takeoff { alt_m: 30.0 }] {
        let d = eval(&rules, &s, a.clone());
        assert_ne!(d.verdict, Verdict::Deny, "{a:?}: {:#?}", d.findings);
        // The CTR is covered by the demo arrêté: reported, not blocking.
        assert!(
            d.findings
                .iter()
                .any(|f| f.rule_id == rule_id::ZONE_AUTH_REQUIRED && f.severity == Severity::Info)
        );
    }
}

#[test]
fn takeoff_table_of_real_cases() {
    let rules = RuleSet::default_embedded();
    type Tweak = fn(&mut Situation);
    let cases: &[(&str, Tweak, Action, &str)] = &[
        (
            "istres_runway_threshold_33",
            |s| {
                s.takeoff_point = Some(LFMI_THR_33);
                s.vehicle.as_mut().unwrap().position = Some(LFMI_THR_33);
            },
            Action::Arm,
            rule_id::ZONE_PROHIBITED,
        ),
        (
            "istres_ctr_without_the_base_agreement",
            |s| {
                s.authorisation.as_mut().unwrap().unlocks_zones.clear();
            },
            Action::Arm,
            rule_id::ZONE_AUTH_REQUIRED,
        ),
        (
            "takeoff_point_outside_the_perimeter",
            |s| {
                let p = LatLon::new(43.5250, 4.9890);
                s.takeoff_point = Some(p);
            },
            Action::Arm,
            rule_id::AUTH_PERIMETER,
        ),
        (
            "takeoff_above_ceiling",
            |_| {},
            Action::Takeoff { alt_m: 150.0 },
            rule_id::CEILING,
        ),
        (
            "no_authorisation_selected",
            |s| s.authorisation = None,
            Action::Arm,
            rule_id::AUTH_MISSING,
        ),
        (
            "authorisation_not_yet_valid",
            |s| {
                s.authorisation.as_mut().unwrap().valid_from = now() + Duration::days(2);
            },
            Action::Arm,
            rule_id::AUTH_WINDOW,
        ),
        (
            "authorisation_expired_yesterday",
            |s| {
                s.authorisation.as_mut().unwrap().valid_until = now() - Duration::days(1);
            },
            Action::Arm,
            rule_id::AUTH_WINDOW,
        ),
        (
            "authorisation_revoked",
            |s| {
                s.authorisation.as_mut().unwrap().revoked_at = Some(now() - Duration::hours(1));
            },
            Action::Takeoff { alt_m: 30.0 },
            rule_id::AUTH_REVOKED,
        ),
        (
            "expired_certificate",
            |s| {
                s.pilot.as_mut().unwrap().certificate_expires =
                    (now() - Duration::days(1)).date_naive();
            },
            Action::Arm,
            rule_id::PILOT_CERT_EXPIRED,
        ),
        (
            "pilot_not_qualified_on_anafi",
            |s| {
                s.vehicle.as_mut().unwrap().airframe = "Matrice 30T".into();
            },
            Action::Arm,
            rule_id::PILOT_UNQUALIFIED,
        ),
        (
            "pilot_not_current_after_winter_break",
            |s| {
                s.pilot.as_mut().unwrap().last_flight_at = Some(now() - Duration::days(120));
            },
            Action::Arm,
            rule_id::PILOT_RECENCY,
        ),
        (
            "no_pilot_logged_in",
            |s| s.pilot = None,
            Action::Arm,
            rule_id::PILOT_MISSING,
        ),
        (
            "mistral_gust_above_50_kmh",
            |s| {
                s.wind = vec![WindReading {
                    source: WindSource::Anemometer,
                    mean_mps: 9.0,
                    gust_mps: Some(16.0),
                    from_deg: Some(330.0),
                    observed_at: now() - Duration::seconds(10),
                }];
            },
            Action::Arm,
            rule_id::WIND_GATE,
        ),
        (
            "anemometer_silent_for_ten_minutes",
            |s| {
                s.wind = vec![WindReading {
                    source: WindSource::Anemometer,
                    mean_mps: 2.0,
                    gust_mps: Some(3.0),
                    from_deg: None,
                    observed_at: now() - Duration::minutes(10),
                }];
            },
            Action::Takeoff { alt_m: 30.0 },
            rule_id::WIND_GATE,
        ),
        (
            // Regression: ArduCopter SITL just booted ("Arm: Gyros inconsistent").
            "autopilot_prearm_failing",
            |s| {
                let v = s.vehicle.as_mut().unwrap();
                v.autopilot_ready = Some(false);
                v.autopilot_reasons = vec!["PreArm: Need Position Estimate".into()];
            },
            Action::Arm,
            rule_id::VEHICLE_PREARM,
        ),
        (
            "gps_2d_fix_only",
            |s| s.vehicle.as_mut().unwrap().gps_fix_type = 2,
            Action::Arm,
            rule_id::VEHICLE_GPS,
        ),
        (
            "position_ten_seconds_old",
            |s| {
                s.vehicle.as_mut().unwrap().position_at = Some(now() - Duration::seconds(10));
            },
            Action::Arm,
            rule_id::VEHICLE_GPS,
        ),
        (
            "battery_unknown",
            |s| s.vehicle.as_mut().unwrap().battery_pct = None,
            Action::Arm,
            rule_id::VEHICLE_BATTERY,
        ),
        (
            "battery_20_pct",
            |s| s.vehicle.as_mut().unwrap().battery_pct = Some(20.0),
            Action::Arm,
            rule_id::VEHICLE_BATTERY,
        ),
        (
            "home_not_set",
            |s| s.vehicle.as_mut().unwrap().home_set = false,
            Action::Arm,
            rule_id::VEHICLE_HOME,
        ),
        (
            "fence_loaded_but_disabled",
            |s| s.vehicle.as_mut().unwrap().fence_enabled = false,
            Action::Arm,
            rule_id::VEHICLE_FENCE,
        ),
        (
            "propellers_not_ticked",
            |s| {
                s.checklist_ticks.remove("helices");
            },
            Action::Arm,
            rule_id::CHECKLIST,
        ),
        (
            "no_vehicle_connected",
            |s| s.vehicle = None,
            Action::Arm,
            rule_id::VEHICLE_UNKNOWN,
        ),
    ];
    for (name, tweak, action, expected) in cases {
        let mut s = good_situation(&rules);
        tweak(&mut s);
        let d = eval(&rules, &s, action.clone());
        assert_eq!(d.verdict, Verdict::Deny, "{name}: {:#?}", d.findings);
        assert!(
            d.blocks_on(expected),
            "{name}: expected {expected}, got {:?}",
            ids(&d)
        );
        // Every blocking finding carries a human reason.
        assert!(d.blocking().all(|f| !f.reason.is_empty()), "{name}");
        // The checklist's automatic items follow the rules (except the checklist case itself).
        assert!(
            d.blocks_on(rule_id::CHECKLIST),
            "{name}: an auto checklist item must fail too"
        );
    }
}

#[test]
fn training_mode_exempts_pilot_rules_and_says_so() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.pilot.as_mut().unwrap().certificate_expires = (now() - Duration::days(400)).date_naive();
    s.training = true;
    // Training flies under plain aviation (no basis selected means exactly that).
    s.legal_basis = None;
    let d = eval(&rules, &s, Action::Arm);
    assert_ne!(d.verdict, Verdict::Deny, "{:#?}", d.findings);
    assert!(d.has(rule_id::PILOT_TRAINING));
    let exp = d
        .findings
        .iter()
        .find(|f| f.rule_id == rule_id::PILOT_CERT_EXPIRED)
        .unwrap();
    assert_eq!(exp.severity, Severity::Info);
    assert!(exp.reason.contains("training"));
}

#[test]
fn safety_actions_are_never_refused() {
    let rules = RuleSet::default_embedded();
    let s = Situation::default(); // nothing known at all
    for a in [
        Action::Rtl,
        Action::Land,
        Action::Disarm,
        Action::SetMode(FlightMode::Rtl),
        Action::SetMode(FlightMode::Brake),
        Action::UploadFence,
    ] {
        assert_eq!(eval(&rules, &s, a.clone()).verdict, Verdict::Allow, "{a:?}");
    }
    // …while anything else with nothing known is refused.
    for a in [
        Action::Arm,
        Action::Takeoff { alt_m: 20.0 },
        Action::UploadMission,
        Action::GoTo {
            target: ISTRES_CENTRE,
            alt: Altitude::rel_home(30.0),
        },
    ] {
        assert_eq!(eval(&rules, &s, a.clone()).verdict, Verdict::Deny, "{a:?}");
    }
}

#[test]
fn authorisation_ending_mid_flight_refuses_the_mission() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    let plan = parse_qgc_plan(&fixture("istres_patrol.plan"), "istres_patrol.plan").unwrap();
    s.mission = Some(plan.mission);
    // Allowed with the full window…
    let ok = eval(&rules, &s, Action::UploadMission);
    assert_ne!(ok.verdict, Verdict::Deny, "{:#?}", ok.findings);
    // …refused when the arrêté ends two minutes from now, before the patrol can finish.
    s.authorisation.as_mut().unwrap().valid_until = now() + Duration::minutes(2);
    for a in [
        Action::UploadMission,
        Action::Arm,
        Action::SetMode(FlightMode::Auto),
    ] {
        let d = eval(&rules, &s, a.clone());
        assert!(d.blocks_on(rule_id::AUTH_WINDOW), "{a:?}: {:?}", ids(&d));
        assert!(d.findings.iter().any(|f| f.reason.contains("mid-flight")));
    }
    // In flight once it has ended: the monitor blocks (land now), RTL stays allowed.
    let later = now() + Duration::minutes(3);
    let mut airborne = s.clone();
    let v = airborne.vehicle.as_mut().unwrap();
    v.airborne = true;
    v.armed = true;
    v.position_at = Some(later);
    v.alt_rel_home_m = Some(40.0);
    airborne.wind = calm_wind(later);
    let d = evaluate(&rules, &airborne, &Action::Monitor, later);
    assert!(d.blocks_on(rule_id::AUTH_WINDOW), "{:?}", ids(&d));
    assert_eq!(
        evaluate(&rules, &airborne, &Action::Rtl, later).verdict,
        Verdict::Allow
    );
}

#[test]
fn goto_into_the_istres_runway_is_refused_and_goto_in_town_allowed() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.vehicle.as_mut().unwrap().airborne = true;
    s.authorisation.as_mut().unwrap().perimeter.push((
        "wide (test)".into(),
        flight_rules::zone::polygon_from_latlon(&[
            LatLon::new(43.49, 4.90),
            LatLon::new(43.49, 5.00),
            LatLon::new(43.56, 5.00),
            LatLon::new(43.56, 4.90),
        ]),
    ));
    let bad = eval(
        &rules,
        &s,
        Action::GoTo {
            target: LFMI_THR_33,
            alt: Altitude::rel_home(40.0),
        },
    );
    assert!(bad.blocks_on(rule_id::ZONE_PROHIBITED), "{:?}", ids(&bad));
    let ok = eval(
        &rules,
        &s,
        Action::GoTo {
            target: LatLon::new(43.5170, 4.9900),
            alt: Altitude::rel_home(40.0),
        },
    );
    assert_ne!(ok.verdict, Verdict::Deny, "{:#?}", ok.findings);
    let high = eval(
        &rules,
        &s,
        Action::GoTo {
            target: LatLon::new(43.5170, 4.9900),
            alt: Altitude::rel_home(140.0),
        },
    );
    assert!(high.blocks_on(rule_id::CEILING));
}

#[test]
fn ceiling_derogation_raises_the_limit() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    assert!(eval(&rules, &s, Action::Takeoff { alt_m: 140.0 }).blocks_on(rule_id::CEILING));
    s.authorisation.as_mut().unwrap().derogations.ceiling_agl_m = Some(200.0);
    assert!(!eval(&rules, &s, Action::Takeoff { alt_m: 140.0 }).has(rule_id::CEILING));
    // 115 m above home with 10 m of possible relief may exceed 120 m AGL: refused (fail closed).
    s.authorisation.as_mut().unwrap().derogations.ceiling_agl_m = None;
    let d = eval(&rules, &s, Action::Takeoff { alt_m: 115.0 });
    assert!(d.blocks_on(rule_id::CEILING), "{:?}", ids(&d));
    assert!(d.findings.iter().any(|f| f.reason.contains("may exceed")));
}

#[test]
fn in_flight_wind_warns_at_80_percent_and_recommends_rtl_at_the_limit() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    let v = s.vehicle.as_mut().unwrap();
    v.airborne = true;
    v.armed = true;
    v.alt_rel_home_m = Some(40.0);
    let reading = |kmh: f64| WindReading {
        source: WindSource::Vehicle,
        mean_mps: kmh / 3.6,
        gust_mps: None,
        from_deg: Some(330.0),
        observed_at: now(),
    };
    s.wind = vec![reading(42.0)];
    let d = eval(&rules, &s, Action::Monitor);
    let w = d
        .findings
        .iter()
        .find(|f| f.rule_id == rule_id::WIND_INFLIGHT)
        .unwrap();
    assert_eq!(w.severity, Severity::Warning);
    s.wind = vec![reading(55.0)];
    let d = eval(&rules, &s, Action::Monitor);
    assert!(
        d.findings
            .iter()
            .any(|f| f.rule_id == rule_id::WIND_INFLIGHT && f.reason.contains("return to launch"))
    );
    s.wind = vec![reading(20.0)];
    assert!(!eval(&rules, &s, Action::Monitor).has(rule_id::WIND_INFLIGHT));
}

#[test]
fn over_a_massif_the_ceiling_is_read_above_the_ground_under_the_vehicle() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    let v = s.vehicle.as_mut().unwrap();
    v.airborne = true;
    v.armed = true;
    // 400 m above a home at 200 m AMSL, over a ridge at 500 m: 100 m above the ground.
    v.alt_rel_home_m = Some(400.0);
    s.ground_amsl_m = Some(200.0);
    s.ground_below_vehicle_amsl_m = Some(500.0);
    let d = eval(&rules, &s, Action::Monitor);
    assert!(!d.has(rule_id::CEILING), "{:?}", ids(&d));
    // 115 m above the ridge: the limits' 10 m relief bound may put it over 120 m; a terrain
    // model good to 2 m does not.
    s.vehicle.as_mut().unwrap().alt_rel_home_m = Some(415.0);
    assert!(eval(&rules, &s, Action::Monitor).blocks_on(rule_id::CEILING));
    s.ground_below_vehicle_accuracy_m = Some(2.0);
    let d = eval(&rules, &s, Action::Monitor);
    assert!(!d.has(rule_id::CEILING), "{:?}", ids(&d));
    s.vehicle.as_mut().unwrap().alt_rel_home_m = Some(400.0);
    // The same height over the plain (ground at home's level) is 400 m above the ground.
    s.ground_below_vehicle_amsl_m = Some(200.0);
    assert!(eval(&rules, &s, Action::Monitor).blocks_on(rule_id::CEILING));
    // Without a terrain model, the height above home is all the rules can go by.
    s.ground_below_vehicle_amsl_m = None;
    assert!(eval(&rules, &s, Action::Monitor).blocks_on(rule_id::CEILING));
}

#[test]
fn breach_predicted_when_heading_out_of_the_perimeter() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    let near_north_edge = LatLon::new(43.5185, 4.9890); // ~110 m south of the 43.5195 edge
    let v = s.vehicle.as_mut().unwrap();
    v.airborne = true;
    v.position = Some(near_north_edge);
    v.alt_rel_home_m = Some(40.0);
    v.ground_velocity_ne_mps = Some([8.0, 0.0]); // due north at 8 m/s: ~14 s to the edge
    let d = eval(&rules, &s, Action::Monitor);
    let b = d
        .findings
        .iter()
        .find(|f| f.rule_id == rule_id::BREACH_PREDICTED)
        .expect("breach warning");
    assert!(b.reason.contains("perimeter"), "{}", b.reason);
    // Flying south, away from the edge: no warning.
    s.vehicle.as_mut().unwrap().ground_velocity_ne_mps = Some([-8.0, 0.0]);
    s.wind.clear();
    let d = eval(&rules, &s, Action::Monitor);
    assert!(!d.has(rule_id::BREACH_PREDICTED), "{:#?}", d.findings);
}

#[test]
fn breach_prediction_times_a_run_towards_the_runway() {
    let zones = ZoneSet::new(default_zones());
    // 1 km east of threshold 33, flying west at 10 m/s.
    let start = LFMI_THR_33.destination(90.0, 1500.0);
    let input = BreachInput {
        pos: start,
        ground_velocity_ne_mps: [0.0, -10.0],
        wind: None,
        unlocked: &["LFMI-CTR-PLACEHOLDER".to_string()],
        now: now(),
        search_m: 5000.0,
    };
    let out = breach_prediction(&zones, &[], &input);
    let core = out.iter().find(|b| matches!(&b.kind, BreachKind::Zone { zone_id, .. } if zone_id == "LFMI-P-PLACEHOLDER")).unwrap();
    let t = core.time_s.unwrap();
    assert!(
        (t * 10.0 - core.distance_m).abs() < 600.0 && t > 20.0 && t < 150.0,
        "{core:?}"
    );
    // The unlocked CTR does not count; it would be "inside" (time 0) otherwise.
    assert!(!out.iter().any(
        |b| matches!(&b.kind, BreachKind::Zone { zone_id, .. } if zone_id == "LFMI-CTR-PLACEHOLDER")
    ));
}

#[test]
fn battery_for_a_long_mission_against_the_wind() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    // 6 legs across the 1 km perimeter (≈ 5 km).
    let mut items = vec![MissionItem::takeoff(0, 40.0)];
    for i in 0..6u16 {
        let lat = 43.5110 + 0.0014 * f64::from(i);
        let lon = if i % 2 == 0 { 4.9840 } else { 4.9940 };
        items.push(MissionItem::waypoint(i + 1, LatLon::new(lat, lon), 40.0));
    }
    s.mission = Some(Mission {
        items,
        planned_home: None,
        cruise_speed_mps: Some(10.0),
        hover_speed_mps: None,
    });
    s.vehicle.as_mut().unwrap().battery_pct = Some(70.0);
    s.wind = vec![WindReading {
        source: WindSource::Anemometer,
        mean_mps: 0.5,
        gust_mps: Some(1.0),
        from_deg: Some(330.0),
        observed_at: now(),
    }];
    let needed = flight_rules::rules::battery_needed_pct(&rules, &s, now());
    assert!(needed > 50.0 && needed < 70.0, "{needed}");
    assert!(!eval(&rules, &s, Action::Arm).has(rule_id::VEHICLE_BATTERY));
    // A 4 m/s gust of unknown direction is a headwind on every leg (6 m/s over the ground):
    // the same battery no longer suffices.
    let gust = |from_deg| WindReading {
        source: WindSource::Anemometer,
        mean_mps: 3.0,
        gust_mps: Some(4.0),
        from_deg,
        observed_at: now(),
    };
    s.wind = vec![gust(None)];
    let worst = flight_rules::rules::battery_needed_pct(&rules, &s, now());
    let d = eval(&rules, &s, Action::Arm);
    assert!(d.blocks_on(rule_id::VEHICLE_BATTERY), "{:#?}", d.findings);
    // Known from the north, it is a crosswind on these east-west legs: the wind triangle needs
    // more than calm air and less than the worst case, and still the gust, not the mean.
    s.wind = vec![gust(Some(0.0))];
    let north = flight_rules::rules::battery_needed_pct(&rules, &s, now());
    assert!(needed < north && north < worst, "{needed} {north} {worst}");
    s.wind = vec![WindReading {
        gust_mps: Some(3.0),
        ..gust(Some(0.0))
    }];
    assert!(flight_rules::rules::battery_needed_pct(&rules, &s, now()) < north);
}

#[test]
fn mission_leaving_the_perimeter_is_refused() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.mission = Some(Mission {
        items: vec![
            MissionItem::takeoff(0, 30.0),
            MissionItem::waypoint(1, LatLon::new(43.5170, 4.9900), 30.0),
            MissionItem::waypoint(2, LatLon::new(43.5250, 4.9900), 30.0),
        ],
        ..Mission::default()
    });
    let d = eval(&rules, &s, Action::UploadMission);
    assert!(d.blocks_on(rule_id::AUTH_PERIMETER), "{:?}", ids(&d));
    assert!(
        d.findings
            .iter()
            .any(|f| f.reason.contains("mission item 2"))
    );
}

#[test]
fn authorisation_ending_in_five_minutes_warns_in_flight() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    let v = s.vehicle.as_mut().unwrap();
    v.airborne = true;
    v.alt_rel_home_m = Some(40.0);
    s.authorisation.as_mut().unwrap().valid_until = now() + Duration::minutes(5);
    let d = eval(&rules, &s, Action::Monitor);
    let w = d
        .findings
        .iter()
        .find(|f| f.rule_id == rule_id::AUTH_WINDOW)
        .expect("warning");
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(d.verdict, Verdict::Warn, "{:#?}", d.findings);
}

#[test]
fn breach_towards_the_runway_is_predicted_without_an_authorisation() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.authorisation = None;
    let p = LFMI_THR_33.destination(60.0, 700.0);
    let v = s.vehicle.as_mut().unwrap();
    v.airborne = true;
    v.position = Some(p);
    v.alt_rel_home_m = Some(40.0);
    v.ground_velocity_ne_mps = Some([-6.0, -12.0]);
    let d = eval(&rules, &s, Action::Monitor);
    assert!(
        d.findings
            .iter()
            .any(|f| f.rule_id == rule_id::BREACH_PREDICTED
                && f.reason.contains("LFMI-P-PLACEHOLDER")),
        "{:#?}",
        d.findings
    );
}

#[test]
fn vehicle_on_the_runway_while_the_pilot_declared_the_town_is_refused() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.vehicle.as_mut().unwrap().position = Some(LFMI_THR_15);
    let d = eval(&rules, &s, Action::Arm);
    assert!(d.blocks_on(rule_id::ZONE_PROHIBITED), "{:?}", ids(&d));
    assert!(
        d.findings
            .iter()
            .any(|f| f.reason.starts_with("the vehicle's position"))
    );
    let nan = eval(&rules, &s, Action::Takeoff { alt_m: f64::NAN });
    assert!(nan.blocks_on(rule_id::CEILING));
}

#[test]
fn a_slab_between_the_ground_and_the_takeoff_altitude_is_caught() {
    // A zone from 40 m to 80 m AGL over the town: neither the ground nor 100 m is inside it,
    // the climb passes through it.
    let slab = parse_zone_file_strict(
        r#"{"UASZoneList":[{"identifier":"SLAB","restriction":"PROHIBITED","geometry":[{"uomDimensions":"M","lowerLimit":40,"lowerVerticalReference":"AGL","upperLimit":80,"upperVerticalReference":"AGL","horizontalProjection":{"type":"Circle","center":[4.9890,43.5150],"radius":300}}]}]}"#,
        "slab.json",
    )
    .unwrap();
    let mut rules = RuleSet::default_embedded();
    rules.zones.extend(slab);
    let s = good_situation(&rules);
    let d = eval(&rules, &s, Action::Takeoff { alt_m: 100.0 });
    assert!(
        d.findings
            .iter()
            .any(|f| f.rule_id == rule_id::ZONE_PROHIBITED && f.reason.contains("SLAB")),
        "{:#?}",
        d.findings
    );
    let low = eval(&rules, &s, Action::Takeoff { alt_m: 20.0 });
    assert!(
        !low.findings.iter().any(|f| f.reason.contains("SLAB")),
        "{:#?}",
        low.findings
    );
}

#[test]
fn a_basis_without_an_authorisation_flies_without_an_arrete_and_the_police_basis_does_not() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.authorisation = None;
    // Police (CSI L242): an arrêté is required.
    let d = eval(&rules, &s, Action::UploadMission);
    assert!(d.blocks_on(rule_id::AUTH_MISSING), "{:#?}", d.findings);
    // Natural-risk prevention (code de l'environnement): none is.
    s.legal_basis = Some(
        LegalBases::default_embedded()
            .select(
                "env-risques-naturels",
                "feux_de_forets",
                Default::default(),
                false,
            )
            .unwrap(),
    );
    let d = eval(&rules, &s, Action::UploadMission);
    assert!(!d.blocks_on(rule_id::AUTH_MISSING), "{:#?}", d.findings);
}

#[test]
fn a_training_flight_under_plain_aviation_needs_no_arrete_but_a_legal_one_does() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.authorisation = None;
    s.legal_basis = None;
    s.training = true;
    let d = eval(&rules, &s, Action::UploadMission);
    assert!(!d.blocks_on(rule_id::AUTH_MISSING), "{:#?}", d.findings);
    // The same flight in legal mode, with no basis either: refused.
    s.training = false;
    let d = eval(&rules, &s, Action::UploadMission);
    assert!(d.blocks_on(rule_id::AUTH_MISSING), "{:#?}", d.findings);
}
