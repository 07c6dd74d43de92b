//! Patterns generated and judged before upload, on real places: the Istres arrêté's perimeter,
//! the BA 125 runway strip, the Sainte-Victoire south face of the forest-patrol scenario.

use flight_rules::mission::frame;
use flight_rules::rules::rule_id;
use flight_rules::{LatLon, Limits, RuleSet, Situation, ZoneSet, parse_zone_file};
use vigie_patrol::check::rule_id as patrol_id;
use vigie_patrol::{
    AltitudeMode, CameraModel, CheckOptions, GridOptions, PatrolSettings, PatternError,
    blocking_obstacles, check_mission, crest_line, perimeter_pattern, ridge_line, split_sorties,
    survey_grid,
};

use crate::common::*;

const ISTRES_HOME: LatLon = LatLon::new(43.5150, 4.9890);

fn istres_settings() -> PatrolSettings {
    PatrolSettings::new(
        ISTRES_HOME,
        20.0,
        AltitudeMode::RelativeHome { alt_m: 60.0 },
        CameraModel::vigie_sim_thermal(),
    )
}

#[test]
fn perimeter_patterns_against_the_istres_arrete() {
    // (case, forest polygon [lat, lon] corners, refused by AUTH-PERIMETER?)
    let table: &[(&str, [[f64; 2]; 4], bool)] = &[
        (
            "forest inside the arrêté's perimeter",
            [
                [43.5120, 4.9850],
                [43.5120, 4.9930],
                [43.5180, 4.9930],
                [43.5180, 4.9850],
            ],
            false,
        ),
        (
            "forest reaching 250 m west of the perimeter (4.9830 E)",
            [
                [43.5090, 4.9800],
                [43.5090, 4.9900],
                [43.5180, 4.9900],
                [43.5180, 4.9800],
            ],
            true,
        ),
        (
            "forest past the northern edge (43.5195 N)",
            [
                [43.5160, 4.9860],
                [43.5160, 4.9940],
                [43.5230, 4.9940],
                [43.5230, 4.9860],
            ],
            true,
        ),
    ];
    let rules = rules();
    for (case, corners, refused) in table {
        let area = poly(corners);
        let plan = perimeter_pattern(&area, 30.0, &istres_settings(), &[]).expect(case);
        // A closed loop, every vertex at least the inset inside the forest's edge.
        assert_eq!(plan.route.first(), plan.route.last(), "{case}: closed");
        let f = vigie_patrol::LocalFrame::new(ISTRES_HOME);
        let ring: Vec<[f64; 2]> = corners
            .iter()
            .map(|c| f.to_xy(LatLon::new(c[0], c[1])))
            .collect();
        for p in &plan.route {
            let q = f.to_xy(*p);
            let d = (0..4)
                .map(|i| seg_dist(q, ring[i], ring[(i + 1) % 4]))
                .fold(f64::INFINITY, f64::min);
            assert!(d >= 29.0, "{case}: {p} only {d:.1} m from the edge");
        }
        let mission = plan.mission(None).expect("mission");
        let s = situation(
            istres_authorisation(),
            ISTRES_HOME,
            20.0,
            wind(8.0, 14.0, 200.0),
        );
        let c = check_mission(&rules, &s, &mission, None, &CheckOptions::default(), now());
        assert_eq!(
            c.decision.blocks_on(rule_id::AUTH_PERIMETER),
            *refused,
            "{case}: {:#?}",
            c.decision
        );
        assert_eq!(c.is_denied(), *refused, "{case}: {:#?}", c.decision);
        // Inside the placeholder CTR, covered by the demo arrêté: reported, not blocking.
        assert!(c.decision.has(rule_id::ZONE_AUTH_REQUIRED), "{case}");
    }
}

fn seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let ab = [b[0] - a[0], b[1] - a[1]];
    let t = (((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1]) / (ab[0] * ab[0] + ab[1] * ab[1]))
        .clamp(0.0, 1.0);
    (p[0] - a[0] - t * ab[0]).hypot(p[1] - a[1] - t * ab[1])
}

/// The forest between Istres and the runway: its western part lies in the prohibited strip.
fn ba125_area() -> geo::Polygon<f64> {
    poly(&[
        [43.5050, 4.9300],
        [43.5050, 4.9600],
        [43.5220, 4.9600],
        [43.5220, 4.9300],
    ])
}
const BA125_HOME: LatLon = LatLon::new(43.5120, 4.9650);

#[test]
fn a_survey_grid_clipped_by_the_ba125_runway_strip() {
    let rules = rules();
    let auth = ba125_edge_authorisation();
    let settings = PatrolSettings::new(
        BA125_HOME,
        20.0,
        AltitudeMode::RelativeHome { alt_m: 60.0 },
        CameraModel::vigie_sim_thermal(),
    );
    let opts = GridOptions {
        wind_from_deg: Some(130.0),
        ..GridOptions::default()
    };
    let s = situation(auth.clone(), BA125_HOME, 20.0, wind(25.0, 35.0, 130.0));
    let check = CheckOptions {
        battery_start_pct: 100.0,
        ..CheckOptions::default()
    };
    // Without avoiding the zone: the rules refuse the grid.
    let naive = survey_grid(&ba125_area(), &opts, &settings, &[]).expect("grid");
    let c = check_mission(
        &rules,
        &s,
        &naive.mission(None).expect("mission"),
        None,
        &check,
        now(),
    );
    assert!(
        c.decision.blocks_on(rule_id::ZONE_PROHIBITED),
        "{:#?}",
        c.decision
    );

    // Avoiding the blocking zones (the CTR is unlocked by this arrêté: the strip blocks, and
    // Salon's CTR nearby, which is not).
    let margin = Limits::default_embedded().zones.leg_margin_m + 30.0;
    let obstacles = blocking_obstacles(
        &rules,
        Some(&auth),
        &ba125_area(),
        20.0,
        60.0,
        margin,
        (now(), now() + chrono::Duration::hours(2)),
    );
    let ids: Vec<&str> = obstacles.iter().map(|o| o.zone_id.as_str()).collect();
    assert!(
        ids.contains(&"LFMI-P-PLACEHOLDER") && !ids.contains(&"LFMI-CTR-PLACEHOLDER"),
        "{ids:?}"
    );
    let clipped = survey_grid(&ba125_area(), &opts, &settings, &obstacles).expect("grid");
    let mission = clipped.mission(None).expect("mission");
    let c = check_mission(&rules, &s, &mission, None, &check, now());
    assert!(
        !c.decision.has(rule_id::ZONE_PROHIBITED),
        "{:#?}",
        c.decision
    );
    assert!(
        !c.decision.blocks_on(rule_id::AUTH_PERIMETER),
        "{:#?}",
        c.decision
    );
    // Lines along the wind (130°/310°), spacing from the 50° thermal camera at 60 m, 30 % overlap.
    let vigie_patrol::PatternKind::SurveyGrid {
        heading_deg,
        spacing_m,
        lines,
    } = clipped.kind
    else {
        panic!("a grid")
    };
    assert!((heading_deg - 130.0).abs() < 1e-9);
    assert!((spacing_m - 2.0 * 60.0 * 25f64.to_radians().tan() * 0.7).abs() < 1e-6);
    assert!(lines >= 30, "{lines}");
    assert!(clipped.route_length_m() < naive.route_length_m());
    // No waypoint inside the strip (its polygon from the shipped file).
    let strip = rules.zones.get("LFMI-P-PLACEHOLDER").expect("zone");
    for it in &mission.items {
        if let Some(p) = it.position() {
            let fix = flight_rules::Position3d::new(p, flight_rules::Altitude::rel_home(60.0), 0.0);
            let ctx = flight_rules::VerticalContext::with_ground(20.0);
            assert_eq!(
                strip.contains(&fix, &ctx),
                flight_rules::Containment::Outside,
                "{p}"
            );
        }
    }
}

#[test]
fn the_way_out_and_back_goes_round_the_runway_strip() {
    // Home west of the prohibited strip, the forest east of it: the straight way out crosses the
    // runway's axis; the mission goes round the strip's southern end, inside the arrêté.
    let rules = rules();
    let auth = ba125_south_authorisation();
    let home = LatLon::new(43.5000, 4.9250);
    let forest = poly(&[
        [43.5000, 4.9530],
        [43.5000, 4.9610],
        [43.5060, 4.9610],
        [43.5060, 4.9530],
    ]);
    let mut settings = PatrolSettings::new(
        home,
        20.0,
        AltitudeMode::RelativeHome { alt_m: 60.0 },
        CameraModel::vigie_sim_thermal(),
    );
    settings.cruise_speed_mps = Some(12.0);
    let margin = Limits::default_embedded().zones.leg_margin_m + 30.0;
    let obstacles = blocking_obstacles(
        &rules,
        Some(&auth),
        &forest,
        20.0,
        60.0,
        margin,
        (now(), now() + chrono::Duration::hours(2)),
    );
    let s = situation(auth, home, 20.0, wind(8.0, 14.0, 200.0));
    let opts = CheckOptions::default();
    let direct = perimeter_pattern(&forest, 30.0, &settings, &[]).expect("loop");
    let c = check_mission(
        &rules,
        &s,
        &direct.mission(None).expect("m"),
        None,
        &opts,
        now(),
    );
    assert!(
        c.decision.blocks_on(rule_id::ZONE_PROHIBITED),
        "{:#?}",
        c.decision
    );
    let round = perimeter_pattern(&forest, 30.0, &settings, &obstacles).expect("loop");
    let m = round.mission(None).expect("m");
    let c = check_mission(&rules, &s, &m, None, &opts, now());
    assert!(!c.is_denied(), "{:#?}", c.decision);
    // Out and back by the strip's southern end (43.493 N, pushed out by the margin).
    let south = m
        .items
        .iter()
        .filter_map(|i| i.position())
        .filter(|p| p.lat_deg < 43.4935)
        .count();
    assert!(south >= 2, "{m:#?}");
}

fn sv_settings(mode: AltitudeMode) -> PatrolSettings {
    let t = forest_truth();
    let mut s = PatrolSettings::new(
        t.home,
        t.home_ground_amsl_m(),
        mode,
        CameraModel::vigie_sim_thermal(),
    );
    s.cruise_speed_mps = Some(15.0);
    s
}

fn sv_situation() -> Situation {
    let t = forest_truth();
    // The scenario's mistral: 30 km/h gusting 45 from 320°.
    situation(
        sainte_victoire_authorisation(),
        t.home,
        t.home_ground_amsl_m(),
        wind(30.0, 45.0, 320.0),
    )
}

#[test]
fn a_patrol_longer_than_one_battery_is_split_in_sorties() {
    let t = forest_truth();
    let grid = t.terrain.clone().expect("grid");
    let rules = rules();
    let area = poly(&[
        [43.5130, 5.5760],
        [43.5130, 5.5840],
        [43.5190, 5.5840],
        [43.5190, 5.5760],
    ]);
    let settings = sv_settings(AltitudeMode::AboveTerrain { agl_m: 100.0 });
    let plan = survey_grid(
        &area,
        &GridOptions {
            wind_from_deg: t.wind_from_deg,
            ..GridOptions::default()
        },
        &settings,
        &[],
    )
    .expect("grid");
    let s = sv_situation();
    let opts = CheckOptions::default();
    let whole = check_mission(
        &rules,
        &s,
        &plan.mission(Some(&grid)).expect("m"),
        Some(&grid),
        &opts,
        now(),
    );
    assert!(
        whole.decision.blocks_on(patrol_id::PATROL_ENDURANCE),
        "{:#?}",
        whole.decision
    );
    assert!(!whole.endurance.fits());
    // The 45 km/h gust, from its direction, leg by leg: slower over the ground than the
    // 15 m/s airspeed, faster than the gust as a headwind on every leg.
    let g = whole.endurance.ground_speed_mps;
    assert!(g > 15.0 - 12.5 + 0.5 && g < 15.0, "{g}");

    let sorties = split_sorties(&plan, &rules, &s, Some(&grid), &opts).expect("split");
    assert!(sorties.len() >= 2, "{} sorties", sorties.len());
    let total: f64 = sorties.iter().map(|x| x.patrol_m).sum();
    assert!(
        (total - plan.route_length_m()).abs() < 1.0,
        "{total} vs {}",
        plan.route_length_m()
    );
    for (i, so) in sorties.iter().enumerate() {
        let c = check_mission(&rules, &s, &so.mission, Some(&grid), &opts, now());
        assert!(!c.is_denied(), "sortie {}: {:#?}", so.number, c.decision);
        assert!(so.endurance.battery_needed_pct <= 95.0 + 1e-9);
        // The rules' own battery figure (what VEHICLE-BATTERY checks at arming) fits a full pack.
        let mut sr = s.clone();
        sr.mission = Some(so.mission.clone());
        let rules_need = flight_rules::rules::battery_needed_pct(&rules, &sr, now());
        assert!(
            rules_need <= so.endurance.battery_needed_pct + 1e-9,
            "{rules_need}"
        );
        // Terrain-frame waypoints, RTL at the end.
        assert_eq!(
            so.mission.items.last().map(|x| x.command),
            Some(flight_rules::mission::cmd::NAV_RETURN_TO_LAUNCH)
        );
        let wps: Vec<_> = so
            .mission
            .items
            .iter()
            .filter(|x| x.command == flight_rules::mission::cmd::NAV_WAYPOINT)
            .collect();
        assert!(
            wps.iter()
                .all(|x| x.frame == frame::GLOBAL_TERRAIN_ALT && x.params[6] == 100.0)
        );
        // Each sortie starts where the previous one stopped.
        if i > 0 {
            let prev = sorties[i - 1].stops_at.expect("a resume point");
            assert_eq!(so.resume_from, Some(prev));
            let first = wps
                .first()
                .and_then(|x| x.position())
                .expect("first waypoint");
            assert!(
                first.distance_m(&prev.pos) < 0.01,
                "sortie {} starts at {first}, stop was {}",
                so.number,
                prev.pos
            );
        }
    }
    assert!(sorties.last().is_some_and(|x| x.stops_at.is_none()));
}

#[test]
fn a_relative_height_patrol_up_the_mountain_is_caught_by_the_terrain_model() {
    let t = forest_truth();
    let grid = t.terrain.clone().expect("grid");
    let rules = rules();
    // Up the south face: the ground rises from ~520 m to ~880 m; 100 m above home (517 m) is
    // inside the mountain. The rules alone read the height as 100 m ± the 10 m relief and pass it.
    let area = poly(&[
        [43.5190, 5.5760],
        [43.5190, 5.5860],
        [43.5270, 5.5860],
        [43.5270, 5.5760],
    ]);
    let plan = perimeter_pattern(
        &area,
        40.0,
        &sv_settings(AltitudeMode::RelativeHome { alt_m: 100.0 }),
        &[],
    )
    .expect("loop");
    let m = plan.mission(None).expect("mission");
    let mut s = sv_situation();
    s.wind = vec![wind(10.0, 15.0, 320.0)];
    let opts = CheckOptions::default();
    let blind = check_mission(&rules, &s, &m, None, &opts, now());
    assert!(!blind.is_denied(), "without terrain: {:#?}", blind.decision);
    let seen = check_mission(&rules, &s, &m, Some(&grid), &opts, now());
    assert!(
        seen.decision.blocks_on(patrol_id::PATROL_TERRAIN),
        "{:#?}",
        seen.decision
    );
    let c = seen.terrain.expect("clearance");
    assert!(c.min_agl_m < -200.0, "{c:?}");
}

#[test]
fn zone_limits_above_sea_level_are_judged_with_the_real_ground() {
    // A prohibited zone from the ground up to 455 m AMSL over the valley south-west of home
    // (ground ~300–340 m, home 517 m). Flying 100 m above the terrain there is at ~400–440 m
    // AMSL: inside. The rules, knowing only home's elevation ± 10 m, put it at 607–627 m: above.
    let zone = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{
        "identifier":"TEST-VALLEY-P","country":"FRA","name":"vallon (test)","type":"PROHIBITED",
        "variant":"COMMON","reason":["SENSITIVE"]},
        "geometry":{"type":"Polygon","coordinates":[[[5.5705,43.5102],[5.5770,43.5102],[5.5770,43.5130],[5.5705,43.5130],[5.5705,43.5102]]],
        "layer":{"upper":455,"upperReference":"AMSL","lower":0,"lowerReference":"AGL","uom":"m"}}}]}"#;
    let zones = parse_zone_file(zone, "valley.json")
        .expect("zone file")
        .zones;
    assert_eq!(zones.len(), 1);
    let rules = RuleSet {
        zones: ZoneSet::new(zones),
        ..RuleSet::default_embedded()
    };
    let t = forest_truth();
    let grid = t.terrain.clone().expect("grid");
    let area = poly(&[
        [43.5108, 5.5715],
        [43.5108, 5.5800],
        [43.5140, 5.5800],
        [43.5140, 5.5715],
    ]);
    let plan = perimeter_pattern(
        &area,
        20.0,
        &sv_settings(AltitudeMode::AboveTerrain { agl_m: 100.0 }),
        &[],
    )
    .expect("loop");
    let m = plan.mission(Some(&grid)).expect("mission");
    let mut s = sv_situation();
    s.wind = vec![wind(10.0, 15.0, 320.0)];
    let opts = CheckOptions::default();
    let blind = check_mission(&rules, &s, &m, None, &opts, now());
    assert!(
        !blind.decision.blocks_on(rule_id::ZONE_PROHIBITED),
        "{:#?}",
        blind.decision
    );
    let seen = check_mission(&rules, &s, &m, Some(&grid), &opts, now());
    assert!(
        seen.decision.blocks_on(rule_id::ZONE_PROHIBITED),
        "{:#?}",
        seen.decision
    );
    assert!(
        seen.decision
            .findings
            .iter()
            .any(|f| f.reason.contains("TEST-VALLEY-P") && f.reason.contains("terrain model"))
    );
}

#[test]
fn a_ridge_line_at_constant_height_above_the_sainte_victoire_terrain() {
    let t = forest_truth();
    let grid = t.terrain.clone().expect("grid");
    let rules = rules();
    let area = poly(&[
        [43.5150, 5.5720],
        [43.5150, 5.5930],
        [43.5278, 5.5930],
        [43.5278, 5.5720],
    ]);
    let crest = crest_line(&area, &grid, 90.0, 200.0).expect("crest");
    assert!(crest.len() >= 5, "{crest:?}");
    // The crest of this grid is its northern row; west to east.
    assert!(crest.iter().all(|p| p.lat_deg > 43.526), "{crest:?}");
    assert!(crest.first().map(|p| p.lon_deg) < crest.last().map(|p| p.lon_deg));
    let s = sv_situation();
    let opts = CheckOptions::default();

    // Terrain-frame items: the autopilot holds 80 m above the ground; the rules judge the
    // ceiling exactly (AGL) and the terrain model confirms the clearance.
    let ridge = ridge_line(
        &crest,
        &grid,
        &sv_settings(AltitudeMode::AboveTerrain { agl_m: 80.0 }),
        &[],
    )
    .expect("ridge");
    let m = ridge.mission(Some(&grid)).expect("mission");
    let c = check_mission(&rules, &s, &m, Some(&grid), &opts, now());
    assert!(
        !c.decision.blocks_on(rule_id::CEILING) && !c.decision.blocks_on(patrol_id::PATROL_TERRAIN),
        "{:#?}",
        c.decision
    );
    let tc = c.terrain.expect("clearance");
    assert!(tc.max_agl_m <= 80.0 + 1e-6, "{tc:?}");

    // The same ridge as heights above home cut every 100 m: the vehicle stays ~80 m above the
    // ground, but the rules, which do not know the terrain, see 500+ m above home and refuse it
    // (CEILING): use terrain-frame items, or give the rules a terrain model (see the README).
    let rel = ridge_line(
        &crest,
        &grid,
        &sv_settings(AltitudeMode::TerrainFollowRelative { agl_m: 80.0 }),
        &[],
    )
    .expect("ridge");
    let m = rel.mission(Some(&grid)).expect("mission");
    assert!(
        m.items
            .iter()
            .filter(|i| i.command == 16)
            .all(|i| i.frame == frame::GLOBAL_RELATIVE_ALT)
    );
    let c = check_mission(&rules, &s, &m, Some(&grid), &opts, now());
    let tc = c.terrain.expect("clearance");
    // From the 30 m take-off height at home, then 80 m ± the grid's curvature between points.
    assert!(
        tc.min_agl_m >= 30.0 - 1e-6 && tc.max_agl_m <= 90.0,
        "{tc:?}"
    );
    assert!(c.decision.blocks_on(rule_id::CEILING));
    assert!(
        !c.decision.blocks_on(patrol_id::PATROL_TERRAIN),
        "{:#?}",
        c.decision
    );

    // At constant height above home a ridge line means nothing.
    let e = ridge_line(
        &crest,
        &grid,
        &sv_settings(AltitudeMode::RelativeHome { alt_m: 80.0 }),
        &[],
    )
    .expect_err("relative");
    assert!(matches!(e, PatternError::TerrainRequired(_)));
    // Off the grid: refused with the place.
    let off = [LatLon::new(43.527, 5.585), LatLon::new(43.540, 5.585)];
    let e = ridge_line(
        &off,
        &grid,
        &sv_settings(AltitudeMode::AboveTerrain { agl_m: 80.0 }),
        &[],
    )
    .expect_err("off grid");
    assert!(
        e.to_string().contains("sim/scenarios/forest-patrol.toml"),
        "{e}"
    );
}

#[test]
fn bad_pattern_inputs_are_refused_with_the_setting() {
    let area = poly(&[
        [43.5120, 4.9850],
        [43.5120, 4.9930],
        [43.5180, 4.9930],
        [43.5180, 4.9850],
    ]);
    let e = perimeter_pattern(&area, 2000.0, &istres_settings(), &[]).expect_err("inset");
    assert!(matches!(e, PatternError::InsetTooLarge { .. }), "{e}");
    let e = survey_grid(
        &area,
        &GridOptions {
            side_overlap: 0.99,
            ..GridOptions::default()
        },
        &istres_settings(),
        &[],
    )
    .expect_err("overlap");
    assert!(e.to_string().contains("side_overlap"), "{e}");
    let line = poly(&[[43.5120, 4.9850], [43.5120, 4.9930], [43.5120, 4.9890]]);
    assert!(matches!(
        perimeter_pattern(&line, 10.0, &istres_settings(), &[]),
        Err(PatternError::BadArea(_))
    ));
    let mut bad = istres_settings();
    bad.altitude = AltitudeMode::RelativeHome { alt_m: f64::NAN };
    assert!(survey_grid(&area, &GridOptions::default(), &bad, &[]).is_err());
}
