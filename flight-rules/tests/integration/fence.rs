//! Fence plans from zones and the authorisation, within the vehicle's budget.

use flight_rules::*;

use super::common::*;

fn wide_auth(limits: &Limits) -> Authorisation {
    let mut a = demo_auth(limits);
    // A perimeter reaching towards the base so its prohibited core is "near the operation".
    a.perimeter = vec![(
        "Istres ouest".into(),
        flight_rules::zone::polygon_from_latlon(&[
            LatLon::new(43.505, 4.945),
            LatLon::new(43.505, 4.995),
            LatLon::new(43.525, 4.995),
            LatLon::new(43.525, 4.945),
        ]),
    )];
    a
}

#[test]
fn istres_fence_has_perimeter_inclusion_and_the_runway_exclusion() {
    let rules = RuleSet::default_embedded();
    let a = wide_auth(&rules.limits);
    let plan = fence_plan(&rules.zones, &a, &rules.limits, 70, now()).unwrap();
    let inc: Vec<_> = plan.polygons.iter().filter(|p| p.inclusion).collect();
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].vertices.len(), 4);
    let ex_ids: Vec<&str> = plan
        .exclusions_from
        .iter()
        .map(|(z, _)| z.as_str())
        .collect();
    assert!(ex_ids.contains(&"LFMI-P-PLACEHOLDER"), "{ex_ids:?}");
    // The CTR is unlocked by the arrêté: not an exclusion. Far zones (Marignane) are left out.
    assert!(!ex_ids.contains(&"LFMI-CTR-PLACEHOLDER"));
    assert!(
        !ex_ids
            .iter()
            .any(|z| z.starts_with("LFML") || z.starts_with("LFMY")),
        "{ex_ids:?}"
    );
    assert_eq!(plan.alt_max_rel_home_m, 110.0);
    assert!(plan.item_count() <= 70);
}

#[test]
fn locked_ctr_becomes_an_exclusion_circle() {
    let rules = RuleSet::default_embedded();
    let mut a = wide_auth(&rules.limits);
    a.unlocks_zones.clear();
    let plan = fence_plan(&rules.zones, &a, &rules.limits, 70, now()).unwrap();
    assert!(
        plan.circles
            .iter()
            .any(|c| !c.inclusion && (c.radius_m - 10_000.0).abs() < 1e-6)
    );
    // Without circle support the circle becomes a circumscribed polygon that contains it.
    let p = fence_plan_with(
        &rules.zones,
        &a,
        &rules.limits,
        FenceOptions {
            vertex_budget: 70,
            circles_supported: false,
        },
        now(),
    )
    .unwrap();
    assert!(p.circles.is_empty());
    let ctr = p
        .polygons
        .iter()
        .find(|q| !q.inclusion && q.vertices.len() == 16)
        .unwrap();
    let poly = flight_rules::zone::polygon_from_latlon(&ctr.vertices);
    let centre = LatLon::new(43.52250, 4.92417);
    for k in 0..64 {
        let edge_pt = centre.destination(f64::from(k) * 360.0 / 64.0, 10_000.0);
        assert!(
            flight_rules::zone::polygon_contains(&poly, edge_pt),
            "circle point {k} outside its polygon"
        );
    }
}

#[test]
fn small_budget_simplifies_outward_or_fails_clearly() {
    let rules = RuleSet::default_embedded();
    let mut a = wide_auth(&rules.limits);
    a.unlocks_zones.clear();
    let opts = FenceOptions {
        vertex_budget: 12,
        circles_supported: false,
    };
    let p = fence_plan_with(&rules.zones, &a, &rules.limits, opts, now()).unwrap();
    assert!(p.item_count() <= 12, "{}", p.item_count());
    assert!(p.exclusions_from.iter().any(|(_, simplified)| *simplified));
    let e = fence_plan_with(
        &rules.zones,
        &a,
        &rules.limits,
        FenceOptions {
            vertex_budget: 6,
            circles_supported: false,
        },
        now(),
    )
    .unwrap_err();
    assert!(matches!(e, FenceError::BudgetTooSmall { .. }), "{e}");
    let e = fence_plan(&rules.zones, &a, &rules.limits, 3, now()).unwrap_err();
    assert!(
        matches!(
            e,
            FenceError::PerimeterTooComplex {
                needed: 4,
                budget: 3
            }
        ),
        "{e}"
    );
}
