//! QGroundControl .plan files: mission items, survey items, geofence and rally points.

use flight_rules::*;

use super::common::*;

#[test]
fn istres_patrol_plan_parses_fully() {
    let plan = parse_qgc_plan(&fixture("istres_patrol.plan"), "istres_patrol.plan").unwrap();
    let m = &plan.mission;
    // takeoff, waypoint, change-speed, 4 survey items, RTL
    assert_eq!(m.items.len(), 8);
    assert_eq!(
        m.items.iter().map(|i| i.seq).collect::<Vec<_>>(),
        (0..8).collect::<Vec<u16>>()
    );
    assert_eq!(m.items[0].command, 22);
    assert_eq!(m.items[0].altitude(), Some(Altitude::rel_home(40.0)));
    assert!(
        m.items[0].params[3].is_nan(),
        "null param stays NaN for upload"
    );
    assert_eq!(m.items[2].command, 178);
    assert_eq!(m.items[7].command, 20);
    assert_eq!(m.planned_home, Some((LatLon::new(43.5150, 4.9890), 22.0)));
    assert_eq!(m.cruise_speed_mps, Some(8.0));
    let path = m.path(ISTRES_CENTRE);
    // start, takeoff, wp, 4 survey, RTL
    assert_eq!(path.len(), 8);
    assert_eq!(path.last().unwrap().pos, ISTRES_CENTRE);
    let len = m.length_m(ISTRES_CENTRE);
    assert!(len > 1000.0 && len < 3000.0, "{len}");

    assert_eq!(plan.fence.polygons.len(), 1);
    assert!(plan.fence.polygons[0].inclusion);
    assert_eq!(plan.fence.polygons[0].vertices.len(), 4);
    assert_eq!(plan.fence.circles.len(), 1);
    assert!(!plan.fence.circles[0].inclusion);
    assert_eq!(
        plan.fence.breach_return,
        Some((LatLon::new(43.5150, 4.9890), 30.0))
    );
    assert_eq!(
        plan.rally,
        vec![RallyPoint {
            pos: LatLon::new(43.5120, 4.9850),
            alt_rel_home_m: 30.0
        }]
    );
    let ex = plan.fence.exclusion_zones("istres_patrol.plan");
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].restriction, Restriction::Prohibited);
}

#[test]
fn istres_patrol_plan_passes_the_rules_with_the_demo_authorisation() {
    let rules = RuleSet::default_embedded();
    let mut s = good_situation(&rules);
    s.mission = Some(
        parse_qgc_plan(&fixture("istres_patrol.plan"), "p")
            .unwrap()
            .mission,
    );
    let d = evaluate(&rules, &s, &Action::UploadMission, now());
    assert_ne!(d.verdict, Verdict::Deny, "{:#?}", d.findings);
}

#[test]
fn bad_plans_name_the_field() {
    let good = fixture("istres_patrol.plan");
    let table: Vec<(String, &str)> = vec![
        ("not json".to_string(), "line 1"),
        (
            good.replace("\"fileType\": \"Plan\"", "\"fileType\": \"Mission\""),
            "fileType",
        ),
        (
            good.replace(
                "\"params\": [0, 0, 0, null, 43.5175, 4.9870, 50]",
                "\"params\": [0, 0, 0, null, 43.5175, 4.9870]",
            ),
            "mission.items[1].params",
        ),
        (
            good.replace(
                "\"params\": [0, 0, 0, null, 43.5175, 4.9870, 50]",
                "\"params\": [0, 0, 0, null, 143.5175, 4.9870, 50]",
            ),
            "mission.items[1].params[4]",
        ),
        (
            good.replace("43.5160, 4.9915, 50]", "43.5160, \"east\", 50]"),
            "mission.items[3].Items[1].params[5]",
        ),
        (
            good.replace("\"radius\": 40", "\"radius\": -4"),
            "geoFence.circles[0].circle.radius",
        ),
        (
            good.replace(
                "\"complexItemType\": \"survey\"",
                "\"complexItemType\": \"survey\", \"TransectStyleComplexItemX\": 1",
            )
            .replace("\"TransectStyleComplexItem\":", "\"Other\":"),
            "mission.items[3]",
        ),
    ];
    for (text, needle) in table {
        let e = match parse_qgc_plan(&text, "bad.plan") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("case {needle:?} parsed"),
        };
        assert!(
            e.contains("bad.plan") && e.contains(needle),
            "{e:?} should name {needle:?}"
        );
    }
}
