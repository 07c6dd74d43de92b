//! Shipped rule files, authorisation and pilot formats, and their error messages.

use flight_rules::*;

use super::common::*;

#[test]
fn shipped_limits_parse_and_match_the_compiled_defaults() {
    let parsed =
        Limits::from_toml(flight_rules::limits::EMBEDDED_LIMITS_TOML, "limits.toml").unwrap();
    assert_eq!(
        parsed,
        Limits::default(),
        "rules/limits.toml and Limits::default() must agree"
    );
    assert_eq!(parsed.ceiling.max_agl_m, 120.0);
    assert_eq!(parsed.wind.takeoff_limit_kmh, 50.0);
    assert!((parsed.takeoff_wind_limit_mps("ArduCopter") - 13.888).abs() < 0.01);
    assert!((parsed.takeoff_wind_limit_mps("ANAFI Ai") - 12.0).abs() < 0.01);
}

#[test]
fn operator_limits_override_partially_and_typos_are_named() {
    let l = Limits::from_toml("[wind]\ntakeoff_limit_kmh = 40.0\n", "op.toml").unwrap();
    assert_eq!(l.wind.takeoff_limit_kmh, 40.0);
    assert_eq!(l.ceiling.max_agl_m, 120.0);
    let e = Limits::from_toml("[wind]\ntakeof_limit_kmh = 40.0\n", "op.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("op.toml") && e.contains("takeof_limit_kmh"),
        "{e}"
    );
    let e = Limits::from_toml("[ceiling]\nmax_agl_m = -3\n", "op.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("ceiling.max_agl_m"), "{e}");
}

#[test]
fn shipped_checklist_parses() {
    let c = Checklist::default_embedded();
    assert!(c.items.len() >= 6);
    assert!(c.items.iter().any(|i| i.kind == ChecklistKind::Manual));
    let e = Checklist::from_toml(
        "[[item]]\nid = \"x\"\nlabel = \"x\"\nkind = \"sometimes\"\n",
        "c.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("item[0].kind"), "{e}");
}

#[test]
fn demo_authorisation_and_pilot_examples_parse() {
    let limits = Limits::default_embedded();
    let a = demo_auth(&limits);
    assert_eq!(a.finalite, "securite_rassemblements");
    assert_eq!(a.perimeter.len(), 1);
    assert!(a.unlocks("LFMI-CTR-PLACEHOLDER"));
    assert_eq!(
        flight_rules::zone::perimeter_contains(&a.perimeter_polygons(), ISTRES_CENTRE, 5.0),
        Containment::Inside
    );
    let p = demo_pilot();
    assert!(p.is_qualified_for("arducopter"));
    assert_eq!(p.certificate_expires.to_string(), "2028-06-30");
}

#[test]
fn bad_authorisations_name_the_field() {
    let limits = Limits::default_embedded();
    let good = example("authorisation-istres-demo.toml");
    let table: Vec<(String, &str)> = vec![
        (
            good.replace(
                "finalite = \"securite_rassemblements\"",
                "finalite = \"videoprotection_generale\"",
            ),
            "finalite",
        ),
        (
            good.replace(
                "valid_until = 2027-12-31T23:59:59Z",
                "valid_until = 2025-12-31T23:59:59Z",
            ),
            "valid_until",
        ),
        (
            good.replace("max_cameras = 1", "max_cameras = 0"),
            "max_cameras",
        ),
        (
            good.replace("[43.5105, 4.9950]", "[143.5105, 4.9950]"),
            "perimeter[0].points[1]",
        ),
        (
            good.replace(
                "commune = \"Istres\"",
                "commune = \"Istres\"\ncolour = \"blue\"",
            ),
            "colour",
        ),
        (
            good.replace(
                "valid_from = 2026-01-01T00:00:00Z",
                "valid_from = \"le premier janvier\"",
            ),
            "valid_from",
        ),
    ];
    for (text, needle) in table {
        let e = Authorisation::from_toml(&text, "arrete.toml", &limits)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("arrete.toml") && e.contains(needle),
            "{e:?} should name {needle:?}"
        );
    }
    let e = Pilot::from_toml(
        "id = \"a\"\nname = \"b\"\ncertificate_number = \"\"\ncertificate_expires = 2027-01-01\n",
        "p.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("certificate_number"), "{e}");
}
