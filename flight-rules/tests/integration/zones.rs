//! Zone files (ED-269, ED-318, GeoJSON), the shipped Istres placeholder set, and spatial queries.

use chrono::{TimeZone, Utc};
use flight_rules::*;

use super::common::*;

#[test]
fn shipped_zone_files_parse_cleanly_and_say_placeholder() {
    let reports = default_zone_reports();
    assert_eq!(reports.len(), 3);
    for r in &reports {
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(!r.zones.is_empty());
        for z in &r.zones {
            assert!(
                z.name.contains("PLACEHOLDER"),
                "{} name must say PLACEHOLDER",
                z.identifier
            );
            assert!(
                z.message.as_deref().unwrap_or("").contains("PLACEHOLDER"),
                "{} message",
                z.identifier
            );
        }
    }
    let ids: Vec<String> = default_zones().into_iter().map(|z| z.identifier).collect();
    for id in [
        "LFMI-P-PLACEHOLDER",
        "LFMI-CTR-PLACEHOLDER",
        "LFMY-P-PLACEHOLDER",
        "LFML-P-PLACEHOLDER",
        "LFML-CTR-PLACEHOLDER",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} missing");
    }
}

#[test]
fn istres_runway_thresholds_are_inside_the_prohibited_core() {
    let set = ZoneSet::new(default_zones());
    let ctx = VerticalContext::with_ground(25.0);
    for thr in [LFMI_THR_15, LFMI_THR_33, LatLon::new(43.52250, 4.92417)] {
        let fix = Position3d::new(thr, Altitude::agl(30.0), 5.0);
        let hits = set.query_point(&fix, &ctx, now());
        let core = hits
            .iter()
            .find(|h| h.zone.identifier == "LFMI-P-PLACEHOLDER")
            .expect("core hit");
        assert_eq!(core.containment, Containment::Inside, "{thr}");
        assert_eq!(core.zone.restriction, Restriction::Prohibited);
    }
}

#[test]
fn istres_town_centre_is_in_the_ctr_but_not_in_the_core() {
    let set = ZoneSet::new(default_zones());
    let fix = Position3d::new(ISTRES_CENTRE, Altitude::agl(50.0), 5.0);
    let hits = set.query_point(&fix, &VerticalContext::with_ground(22.0), now());
    let ids: Vec<&str> = hits.iter().map(|h| h.zone.identifier.as_str()).collect();
    assert_eq!(ids, vec!["LFMI-CTR-PLACEHOLDER"]);
    assert_eq!(hits[0].containment, Containment::Inside);
}

#[test]
fn amsl_limits_without_ground_elevation_are_indeterminate_not_outside() {
    // DESIGN.md: without terrain, an AMSL-limited zone is judged conservatively.
    let set = ZoneSet::new(default_zones());
    let fix = Position3d::new(ISTRES_CENTRE, Altitude::agl(50.0), 5.0);
    let hits = set.query_point(&fix, &VerticalContext::default(), now());
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].containment, Containment::Indeterminate);
}

#[test]
fn ed269_uaszonelist_with_sloppy_producer_fields() {
    let r = parse_zone_file(&fixture("ed269_uaszonelist.json"), "ed269_uaszonelist.json").unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.zones.len(), 4);
    let p1 = &r.zones[0];
    assert_eq!(p1.identifier, "LFTEST-P1");
    assert_eq!(p1.restriction, Restriction::Prohibited);
    assert_eq!(p1.reasons, vec!["SENSITIVE", "PRIVACY"]);
    assert!(p1.applicability.is_permanent());
    assert_eq!(
        p1.volumes[0].upper,
        Altitude::agl(150.0),
        "\"150\" as a string"
    );
    assert_eq!(
        p1.authorities[0].email.as_deref(),
        Some("cabinet@example.invalid")
    );

    let r2 = &r.zones[1];
    assert_eq!(r2.restriction, Restriction::ReqAuthorisation);
    assert_eq!(
        r2.reasons,
        vec!["AIR_TRAFFIC"],
        "`reasons` as a single string"
    );
    match &r2.volumes[0].shape {
        Shape::Circle { center, radius_m } => {
            assert_eq!(*radius_m, 1000.0);
            assert_eq!(*center, LatLon::new(43.45, 5.05));
        }
        other => panic!("expected a circle, got {other:?}"),
    }
    assert!((r2.volumes[0].upper.value_m - 152.4).abs() < 1e-9, "500 ft");
    // Weekdays 06–20 UTC in 2026 only.
    let sat = Utc.with_ymd_and_hms(2026, 3, 14, 10, 0, 0).unwrap();
    let mon = Utc.with_ymd_and_hms(2026, 3, 16, 10, 0, 0).unwrap();
    let mon_night = Utc.with_ymd_and_hms(2026, 3, 16, 21, 0, 0).unwrap();
    let next_year = Utc.with_ymd_and_hms(2027, 3, 15, 10, 0, 0).unwrap();
    assert!(!r2.applicability.is_active(sat));
    assert!(r2.applicability.is_active(mon));
    assert!(!r2.applicability.is_active(mon_night));
    assert!(!r2.applicability.is_active(next_year));

    // FL115-ish zone starts far above a 120 m flight: filtered by the vertical check.
    let high = &r.zones[2];
    assert!((high.volumes[0].lower.value_m - 3505.2).abs() < 0.1);
    assert!(!high.reachable_below(Altitude::agl(120.0), &VerticalContext::with_ground(50.0)));
    let fix = Position3d::new(LatLon::new(43.5, 5.0), Altitude::agl(100.0), 5.0);
    assert_eq!(
        high.contains(&fix, &VerticalContext::with_ground(50.0)),
        Containment::Outside
    );
}

#[test]
fn polygon_hole_is_outside_the_zone() {
    let r = parse_zone_file_strict(&fixture("ed269_uaszonelist.json"), "f").unwrap();
    let park = r.iter().find(|z| z.identifier == "LFTEST-R4").unwrap();
    let ctx = VerticalContext::default();
    let in_hole = Position3d::new(LatLon::new(43.415, 5.12), Altitude::agl(50.0), 1.0);
    let in_ring = Position3d::new(LatLon::new(43.405, 5.12), Altitude::agl(50.0), 1.0);
    assert_eq!(park.contains(&in_hole, &ctx), Containment::Outside);
    assert_eq!(park.contains(&in_ring, &ctx), Containment::Inside);
}

#[test]
fn ed269_features_spelling_nested_by_producer() {
    let r = parse_zone_file(
        &fixture("ed269_features_wrapped.json"),
        "ed269_features_wrapped.json",
    )
    .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.zones.len(), 1);
    let z = &r.zones[0];
    assert_eq!(z.volumes.len(), 2, "two circles in one zone");
    assert_eq!(z.volumes[0].upper.reference, AltRef::Amsl);
    // Night schedule 22:00–04:00 wraps midnight.
    assert!(
        z.applicability
            .is_active(Utc.with_ymd_and_hms(2026, 6, 10, 23, 30, 0).unwrap())
    );
    assert!(
        z.applicability
            .is_active(Utc.with_ymd_and_hms(2026, 6, 11, 3, 0, 0).unwrap())
    );
    assert!(
        !z.applicability
            .is_active(Utc.with_ymd_and_hms(2026, 6, 11, 12, 0, 0).unwrap())
    );
    assert!(
        !z.applicability
            .is_active(Utc.with_ymd_and_hms(2026, 7, 11, 23, 0, 0).unwrap())
    );
}

#[test]
fn ed318_geojson_point_circles_layers_and_limited_applicability() {
    let r = parse_zone_file(&fixture("ed318_sample.geojson"), "ed318_sample.geojson").unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.zones.len(), 3);
    let stade = &r.zones[0];
    assert_eq!(
        stade.name, "Stade — interdiction temporaire",
        "French text preferred"
    );
    assert_eq!(stade.message.as_deref(), Some("Match : survol interdit"));
    assert!(matches!(stade.volumes[0].shape, Shape::Circle { radius_m, .. } if radius_m == 800.0));
    assert!(
        stade
            .applicability
            .is_active(Utc.with_ymd_and_hms(2026, 5, 10, 20, 0, 0).unwrap())
    );
    assert!(
        !stade
            .applicability
            .is_active(Utc.with_ymd_and_hms(2026, 5, 11, 20, 0, 0).unwrap())
    );
    let us = &r.zones[1];
    assert_eq!(us.restriction, Restriction::USpace);
    assert_eq!(us.volumes[0].upper.reference, AltRef::Wgs84);
    assert!((us.volumes[0].upper.value_m - 152.4).abs() < 1e-9);
    let port = &r.zones[2];
    assert_eq!(
        port.restriction,
        Restriction::ReqAuthorisation,
        "REQ_AUTHORIZATION spelling"
    );
    assert_eq!(port.volumes.len(), 2, "MultiPolygon → two volumes");
    assert!(
        port.applicability
            .is_active(Utc.with_ymd_and_hms(2026, 3, 14, 9, 0, 0).unwrap()),
        "Saturday"
    );
    assert!(
        !port
            .applicability
            .is_active(Utc.with_ymd_and_hms(2026, 3, 16, 9, 0, 0).unwrap()),
        "Monday"
    );
}

#[test]
fn plain_geojson_polygon_with_properties() {
    let z =
        parse_zone_file_strict(&fixture("plain_polygon.geojson"), "plain_polygon.geojson").unwrap();
    assert_eq!(z.len(), 1);
    assert_eq!(z[0].identifier, "ISTRES-HOPITAL");
    assert_eq!(z[0].volumes[0].lower, Altitude::agl(0.0));
    assert_eq!(z[0].volumes[0].upper, Altitude::agl(150.0));
}

#[test]
fn one_bad_zone_is_reported_with_file_zone_and_field_and_never_drops_the_others() {
    let text = fixture("ed269_one_bad_zone.json");
    let r = parse_zone_file(&text, "ed269_one_bad_zone.json").unwrap();
    let good: Vec<&str> = r.zones.iter().map(|z| z.identifier.as_str()).collect();
    assert_eq!(good, vec!["GOOD-1", "GOOD-2"]);
    assert_eq!(r.errors.len(), 1);
    let e = &r.errors[0];
    assert_eq!(
        (e.file.as_str(), e.zone.as_str(), e.field.as_str()),
        (
            "ed269_one_bad_zone.json",
            "BAD-LIMIT",
            "geometry[0].lowerLimit"
        )
    );
    let strict = parse_zone_file_strict(&text, "ed269_one_bad_zone.json")
        .unwrap_err()
        .to_string();
    assert!(
        strict.contains("ed269_one_bad_zone.json")
            && strict.contains("BAD-LIMIT")
            && strict.contains("lowerLimit"),
        "{strict}"
    );
}

#[test]
fn malformed_files_name_the_problem() {
    let table: &[(&str, &str, &[&str])] = &[
        (
            "{ \"UASZoneList\": [ ",
            "broken.json",
            &["broken.json", "line"],
        ),
        (
            "{\"hello\": 1}",
            "nozones.json",
            &["nozones.json", "no zones"],
        ),
        (
            r#"{"UASZoneList":[{"restriction":"PROHIBITED","geometry":[]}]}"#,
            "noid.json",
            &["noid.json", "#1", "identifier"],
        ),
        (
            r#"{"UASZoneList":[{"identifier":"X1","restriction":"FORBIDDEN","geometry":[]}]}"#,
            "r.json",
            &["X1", "restriction", "FORBIDDEN"],
        ),
        (
            r#"{"UASZoneList":[{"identifier":"X2","restriction":"PROHIBITED","geometry":[{"horizontalProjection":{"type":"Circle","center":[5,43]}}]}]}"#,
            "c.json",
            &["X2", "geometry[0].horizontalProjection.radius"],
        ),
        (
            r#"{"UASZoneList":[{"identifier":"X3","restriction":"PROHIBITED","geometry":[{"horizontalProjection":{"type":"Polygon","coordinates":[[[5,43],[5,95],[6,43]]]}}]}]}"#,
            "p.json",
            &["X3", "coordinates[0][1]"],
        ),
        (
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"identifier":"X4","type":"PROHIBITED"},"geometry":{"type":"Point","coordinates":[5,43]}}]}"#,
            "e.geojson",
            &["X4", "geometry.extent"],
        ),
        (
            r#"{"UASZoneList":[{"identifier":"X5","restriction":"PROHIBITED","geometry":[{"uomDimensions":"FL","horizontalProjection":{"type":"Circle","center":[5,43],"radius":5}}]}]}"#,
            "u.json",
            &["X5", "uomDimensions", "FL"],
        ),
    ];
    for (text, file, needles) in table {
        let msg = match parse_zone_file(text, file) {
            Err(e) => e.to_string(),
            Ok(r) => r.strict().unwrap_err().to_string(),
        };
        for n in *needles {
            assert!(msg.contains(n), "{file}: {msg:?} should mention {n:?}");
        }
    }
}

#[test]
fn fix_accuracy_straddling_a_boundary_is_indeterminate() {
    let set = ZoneSet::new(default_zones());
    let ctx = VerticalContext::with_ground(22.0);
    let core = set.get("LFMI-P-PLACEHOLDER").unwrap();
    // Walk east from the runway until leaving the core; a fix 10 m outside with 30 m accuracy is unknown.
    let mut p = LFMI_THR_33;
    while core.contains(&Position3d::new(p, Altitude::agl(10.0), 0.0), &ctx) == Containment::Inside
    {
        p = p.destination(60.0, 5.0);
    }
    let outside = p.destination(60.0, 10.0);
    let d = core.distance_to_boundary_m(outside);
    assert!(d > 5.0 && d < 25.0, "{d}");
    assert_eq!(
        core.contains(&Position3d::new(outside, Altitude::agl(10.0), 30.0), &ctx),
        Containment::Indeterminate
    );
    assert_eq!(
        core.contains(&Position3d::new(outside, Altitude::agl(10.0), 1.0), &ctx),
        Containment::Outside
    );
}

#[test]
fn a_mission_leg_clipping_a_zone_corner_is_caught_exactly() {
    // Both ends are outside the square; the straight leg cuts its corner by ~10 m. Sampling the
    // leg every 100 m would miss it; the exact segment/edge test does not.
    let square = parse_zone_file_strict(
        r#"{"UASZoneList":[{"identifier":"SQ","restriction":"PROHIBITED","geometry":[{"lowerLimit":0,"lowerVerticalReference":"AGL","upperLimit":120,"upperVerticalReference":"AGL","horizontalProjection":{"type":"Polygon","coordinates":[[[5.0,43.0],[5.01,43.0],[5.01,43.01],[5.0,43.01],[5.0,43.0]]]}}]}]}"#,
        "sq.json",
    )
    .unwrap();
    let z = &square[0];
    let corner = LatLon::new(43.01, 5.01);
    // A leg at 45° to the corner, passing 10 m inside it.
    let inside_pt = corner.destination(225.0, 10.0);
    let a = inside_pt.destination(315.0, 400.0);
    let b = inside_pt.destination(135.0, 400.0);
    let ctx = VerticalContext::default();
    for p in [a, b] {
        assert_eq!(
            z.contains(&Position3d::new(p, Altitude::agl(50.0), 0.0), &ctx),
            Containment::Outside
        );
    }
    let leg = |a, b| {
        z.leg_crosses(
            &Position3d::new(a, Altitude::agl(50.0), 0.0),
            &Position3d::new(b, Altitude::agl(50.0), 0.0),
            &ctx,
            0.0,
        )
    };
    assert_eq!(leg(a, b), Containment::Inside);
    // Dense sampling at 100 m misses it: that is why legs are intersected exactly.
    let sampled_hit = (0..8).any(|i| {
        let p = a.destination(a.bearing_deg(&b), 50.0 + i as f64 * 100.0);
        z.contains(&Position3d::new(p, Altitude::agl(50.0), 0.0), &ctx) != Containment::Outside
    });
    assert!(!sampled_hit);
    // Shift the leg 30 m outward: outside, then indeterminate within a 40 m margin.
    let (a2, b2) = (a.destination(45.0, 30.0), b.destination(45.0, 30.0));
    assert_eq!(leg(a2, b2), Containment::Outside);
    let with_margin = z.leg_crosses(
        &Position3d::new(a2, Altitude::agl(50.0), 0.0),
        &Position3d::new(b2, Altitude::agl(50.0), 0.0),
        &ctx,
        40.0,
    );
    assert_eq!(with_margin, Containment::Indeterminate);
    // Above the zone's 120 m top: outside.
    let high = z.leg_crosses(
        &Position3d::new(a, Altitude::agl(200.0), 0.0),
        &Position3d::new(b, Altitude::agl(200.0), 0.0),
        &ctx,
        0.0,
    );
    assert_eq!(high, Containment::Outside);
}

#[test]
fn nearest_boundary_and_rtree_agree_with_a_linear_scan() {
    let set = ZoneSet::new(default_zones());
    let p = LatLon::new(43.50, 4.96);
    let (z, d) = set.nearest_boundary(p, now(), 50_000.0).unwrap();
    let linear = set
        .zones()
        .iter()
        .map(|z| (z.identifier.clone(), z.distance_to_boundary_m(p)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert_eq!(z.identifier, linear.0);
    assert!((d - linear.1).abs() < 1e-6);
}

#[test]
fn a_query_without_a_usable_position_may_be_in_every_active_zone() {
    let set = ZoneSet::new(default_zones());
    let fix = Position3d::new(LatLon::new(f64::NAN, 4.98), Altitude::agl(30.0), 5.0);
    let hits = set.query_point(&fix, &VerticalContext::default(), now());
    assert_eq!(hits.len(), set.len());
    assert!(
        hits.iter()
            .all(|h| h.containment == Containment::Indeterminate)
    );
    let b = Position3d::new(ISTRES_CENTRE, Altitude::agl(30.0), 0.0);
    let legs = set.query_leg(&fix, &b, &VerticalContext::default(), now(), 0.0);
    assert_eq!(legs.len(), set.len());
}

#[test]
fn ed269_type_common_is_not_mistaken_for_a_restriction() {
    let text = r#"{"UASZoneList":[{"identifier":"T1","type":"COMMON","geometry":[{"horizontalProjection":{"type":"Circle","center":[5,43],"radius":50}}]}]}"#;
    let e = parse_zone_file_strict(text, "t.json")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("T1") && e.contains("`restriction`") && e.contains("COMMON"),
        "{e}"
    );
}

#[test]
fn geojson_export_reads_back_with_the_same_answers() {
    let zones = default_zones();
    let text = zones_to_geojson(&zones).to_string();
    let back = parse_zone_file_strict(&text, "export.geojson").unwrap();
    // MultiPolygon zones split into one feature per volume.
    assert_eq!(
        back.len(),
        zones.iter().map(|z| z.volumes.len()).sum::<usize>()
    );
    let (a, b) = (ZoneSet::new(zones), ZoneSet::new(back));
    let ctx = VerticalContext::with_ground(20.0);
    for p in [
        LFMI_THR_15,
        LFMI_THR_33,
        ISTRES_CENTRE,
        LatLon::new(43.4356, 5.2139),
        LatLon::new(43.6064, 5.1092),
        LatLon::new(44.0, 5.0),
    ] {
        let fix = Position3d::new(p, Altitude::agl(50.0), 5.0);
        let restr = |s: &ZoneSet| {
            let mut v: Vec<(String, Containment)> = s
                .query_point(&fix, &ctx, now())
                .iter()
                .map(|h| (h.zone.restriction.to_string(), h.containment))
                .collect();
            v.sort_by(|x, y| x.0.cmp(&y.0));
            v.dedup();
            v
        };
        assert_eq!(restr(&a), restr(&b), "{p}");
    }
}

#[test]
fn ed318_geometry_collection_layers_make_a_wedding_cake() {
    let z = parse_zone_file_strict(
        &fixture("ed318_two_layers.geojson"),
        "ed318_two_layers.geojson",
    )
    .unwrap();
    assert_eq!(z.len(), 1);
    let cake = &z[0];
    assert_eq!(cake.volumes.len(), 2);
    assert_eq!(cake.restriction, Restriction::ReqAuthorisation);
    let ctx = VerticalContext::default();
    let outer_only = LatLon::new(43.4550, 5.0350);
    let core = LatLon::new(43.4650, 5.0500);
    let at = |p, alt| cake.contains(&Position3d::new(p, Altitude::agl(alt), 1.0), &ctx);
    assert_eq!(
        at(outer_only, 30.0),
        Containment::Outside,
        "under the upper layer"
    );
    assert_eq!(at(outer_only, 80.0), Containment::Inside);
    assert_eq!(at(core, 30.0), Containment::Inside);
    assert_eq!(at(core, 80.0), Containment::Inside);
    assert_eq!(at(core, 200.0), Containment::Outside, "above both layers");
    // 16:00–17:00 every day, plus Sunday morning, in 2026.
    let t = |d, h| Utc.with_ymd_and_hms(2026, 3, d, h, 30, 0).unwrap();
    assert!(cake.applicability.is_active(t(14, 16)));
    assert!(!cake.applicability.is_active(t(14, 11)), "Saturday morning");
    assert!(cake.applicability.is_active(t(15, 11)), "Sunday morning");
}
