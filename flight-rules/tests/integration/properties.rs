//! Property tests: fail closed, outward-only simplification, no false "outside".

use chrono::Duration;
use flight_rules::fence::{convex_outward, reduce_convex_once};
use flight_rules::zone::{polygon_contains, polygon_from_latlon};
use flight_rules::*;
use proptest::prelude::*;

use super::common::*;

/// A star-shaped polygon around `centre`: vertex i at angle 2πi/n with its own radius.
fn star(centre: LatLon, radii: &[f64]) -> Vec<LatLon> {
    let n = radii.len() as f64;
    radii
        .iter()
        .enumerate()
        .map(|(i, r)| centre.destination(360.0 * i as f64 / n, *r))
        .collect()
}

fn centre_strategy() -> impl Strategy<Value = LatLon> {
    (-60.0f64..60.0, -170.0f64..170.0).prop_map(|(lat, lon)| LatLon::new(lat, lon))
}

/// One input made unknown or stale; each must keep a blocking rule from allowing.
#[derive(Debug, Clone, Copy)]
enum Unknown {
    NoPosition,
    StalePosition,
    NoBattery,
    NoWind,
    StaleWind,
    NoPilot,
    NoAuthorisation,
    NoVehicle,
    NoTakeoffPoint,
    NaNPosition,
    HugeAccuracyNearZone,
}

fn unknown_strategy() -> impl Strategy<Value = Unknown> {
    prop_oneof![
        Just(Unknown::NoPosition),
        Just(Unknown::StalePosition),
        Just(Unknown::NoBattery),
        Just(Unknown::NoWind),
        Just(Unknown::StaleWind),
        Just(Unknown::NoPilot),
        Just(Unknown::NoAuthorisation),
        Just(Unknown::NoVehicle),
        Just(Unknown::NoTakeoffPoint),
        Just(Unknown::NaNPosition),
        Just(Unknown::HugeAccuracyNearZone),
    ]
}

fn apply(s: &mut Situation, u: Unknown) {
    let now = now();
    match u {
        Unknown::NoPosition => {
            s.takeoff_point = None;
            if let Some(v) = s.vehicle.as_mut() {
                v.position = None;
            }
        }
        Unknown::StalePosition => {
            if let Some(v) = s.vehicle.as_mut() {
                v.position_at = Some(now - Duration::seconds(30));
            }
        }
        Unknown::NoBattery => {
            if let Some(v) = s.vehicle.as_mut() {
                v.battery_pct = None;
            }
        }
        Unknown::NoWind => s.wind.clear(),
        Unknown::StaleWind => {
            for w in &mut s.wind {
                w.observed_at = now - Duration::hours(3);
            }
        }
        Unknown::NoPilot => s.pilot = None,
        Unknown::NoAuthorisation => s.authorisation = None,
        Unknown::NoVehicle => s.vehicle = None,
        Unknown::NoTakeoffPoint => {
            s.takeoff_point = None;
            if let Some(v) = s.vehicle.as_mut() {
                v.position = None;
                v.position_at = None;
            }
        }
        Unknown::NaNPosition => {
            s.takeoff_point = Some(LatLon::new(f64::NAN, 4.98));
            if let Some(v) = s.vehicle.as_mut() {
                v.position = Some(LatLon::new(f64::NAN, 4.98));
            }
        }
        Unknown::HugeAccuracyNearZone => {
            // Take-off 200 m from the runway core with a 500 m accuracy: maybe inside.
            let p = LatLon::new(43.5150, 4.9570);
            s.takeoff_point = Some(p);
            if let Some(v) = s.vehicle.as_mut() {
                v.position = Some(p);
                v.h_accuracy_m = Some(3_000.0);
            }
            if let Some(a) = s.authorisation.as_mut() {
                a.perimeter = vec![(
                    "wide".into(),
                    polygon_from_latlon(&[
                        LatLon::new(43.4, 4.8),
                        LatLon::new(43.4, 5.1),
                        LatLon::new(43.6, 5.1),
                        LatLon::new(43.6, 4.8),
                    ]),
                )];
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn an_indeterminate_input_never_yields_allow_on_arm_or_takeoff(
        unknowns in proptest::collection::vec(unknown_strategy(), 1..4),
        takeoff_alt in 1.0f64..100.0,
        battery in 60.0f64..100.0,
    ) {
        let rules = RuleSet::default_embedded();
        let mut s = good_situation(&rules);
        if let Some(v) = s.vehicle.as_mut() { v.battery_pct = Some(battery); }
        for u in &unknowns { apply(&mut s, *u); }
        for a in [Action::Arm, Action::Takeoff { alt_m: takeoff_alt }] {
            let d = evaluate(&rules, &s, &a, now());
            prop_assert_eq!(d.verdict, Verdict::Deny, "{:?} with {:?}: {:#?}", a, unknowns, d.findings);
        }
    }

    #[test]
    fn go_to_with_an_unknown_position_or_target_is_never_allowed(
        case in 0u8..4,
        lat in 43.511f64..43.519,
        lon in 4.984f64..4.994,
        alt in 5.0f64..100.0,
    ) {
        let rules = RuleSet::default_embedded();
        let mut s = good_situation(&rules);
        s.vehicle.as_mut().unwrap().airborne = true;
        let mut target = LatLon::new(lat, lon);
        let mut alt = Altitude::rel_home(alt);
        match case {
            0 => s.vehicle.as_mut().unwrap().position = None,
            1 => s.vehicle.as_mut().unwrap().position_at = Some(now() - Duration::seconds(20)),
            2 => target = LatLon::new(f64::NAN, lon),
            _ => alt = Altitude::rel_home(f64::NAN),
        }
        let d = evaluate(&rules, &s, &Action::GoTo { target, alt }, now());
        prop_assert_eq!(d.verdict, Verdict::Deny, "case {}: {:#?}", case, d.findings);
    }

    #[test]
    fn outward_simplification_always_contains_the_original(
        centre in centre_strategy(),
        radii in proptest::collection::vec(20.0f64..5_000.0, 4..40),
        margin in 0.5f64..20.0,
    ) {
        let original = star(centre, &radii);
        let mut current = convex_outward(&original, margin);
        loop {
            let poly = polygon_from_latlon(&current);
            for (i, v) in original.iter().enumerate() {
                prop_assert!(polygon_contains(&poly, *v), "vertex {} of the original is outside the {}-gon", i, current.len());
            }
            match reduce_convex_once(&current) {
                Some(next) => { prop_assert!(next.len() < current.len()); current = next; }
                None => break,
            }
        }
        prop_assert!(current.len() <= 4, "reduction stops only at a triangle or an unreducible quadrilateral, got {}", current.len());
    }

    #[test]
    fn a_point_inside_an_exclusion_is_never_reported_outside(
        radii in proptest::collection::vec(50.0f64..3_000.0, 3..30),
        pick in 0usize..1000,
        t in 0.0f64..0.999,
        accuracy in 0.0f64..200.0,
        alt in 0.0f64..119.0,
        budget in 5usize..12,
        circles in any::<bool>(),
    ) {
        let centre = LatLon::new(43.5150, 4.9890);
        let verts = star(centre, &radii);
        // Star-shaped about the centre: centre + t·(vertex − centre) is inside for t < 1.
        let v = verts[pick % verts.len()];
        let inside = centre.destination(centre.bearing_deg(&v), centre.distance_m(&v) * t);
        let ring: Vec<[f64; 2]> = verts.iter().map(|p| [p.lon_deg, p.lat_deg]).collect();
        let text = serde_json::json!({"UASZoneList": [{
            "identifier": "PROP-1", "restriction": "PROHIBITED",
            "geometry": [{"uomDimensions": "M", "lowerLimit": 0, "lowerVerticalReference": "AGL",
                "upperLimit": 120, "upperVerticalReference": "AGL",
                "horizontalProjection": {"type": "Polygon", "coordinates": [ring]}}]}]}).to_string();
        let zones = ZoneSet::new(parse_zone_file_strict(&text, "prop.json").unwrap());
        let fix = Position3d::new(inside, Altitude::agl(alt), accuracy);
        let z = &zones.zones()[0];
        prop_assert_ne!(z.contains(&fix, &VerticalContext::default()), Containment::Outside);
        let hits = zones.query_point(&fix, &VerticalContext::default(), now());
        prop_assert!(hits.iter().any(|h| h.zone.identifier == "PROP-1"), "R-tree query lost the zone");
        // And the fence exclusion, however simplified, still holds the point.
        let limits = Limits::default_embedded();
        let mut auth = demo_auth(&limits);
        auth.perimeter = vec![("p".into(), polygon_from_latlon(&[
            centre.destination(0.0, 6_000.0), centre.destination(120.0, 6_000.0), centre.destination(240.0, 6_000.0),
        ]))];
        let opts = FenceOptions { vertex_budget: budget, circles_supported: circles };
        if let Ok(plan) = fence_plan_with(&zones, &auth, &limits, opts, now()) {
            prop_assert!(plan.item_count() <= budget);
            match plan.polygons.iter().find(|p| !p.inclusion) {
                Some(ex) => prop_assert!(polygon_contains(&polygon_from_latlon(&ex.vertices), inside)),
                None => {
                    // Simplified down to its enclosing circle (only when circles are supported).
                    prop_assert!(circles);
                    let c = plan.circles.iter().find(|c| !c.inclusion).expect("exclusion circle");
                    prop_assert!(c.center.distance_m(&inside) < c.radius_m);
                }
            }
        }
    }
}
