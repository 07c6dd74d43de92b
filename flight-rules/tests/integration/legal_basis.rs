//! LEGAL-BASIS: the basis a flight flies under must allow its purpose and have its documents.

use std::collections::BTreeMap;

use flight_rules::*;

use super::common::*;

fn basis(id: &str, purpose: &str, docs: &[(&str, &str)], emergency: bool) -> FlightLegalBasis {
    LegalBases::default_embedded()
        .select(
            id,
            purpose,
            docs.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            emergency,
        )
        .unwrap()
}

#[test]
fn the_shipped_legal_bases_load() {
    let b = LegalBases::default_embedded();
    assert_eq!(b.version, "2026-02");
    let ids: Vec<&str> = b.bases.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "csi-l242",
            "csi-l242-municipal",
            "env-risques-naturels",
            "aviation"
        ]
    );
    let csi = b.get("csi-l242").unwrap();
    assert_eq!(
        (csi.recordings_retention_h, csi.domicile_retention_h),
        (168, 48)
    );
    let air = b.get("aviation").unwrap();
    assert!(!air.personal_data && air.recordings_retention_h == 0);
    assert!(!b.get("csi-l242-municipal").unwrap().emergency_use);
}

#[test]
fn legal_basis_table_of_real_cases() {
    let rules = RuleSet::default_embedded();
    type Case = (
        &'static str,
        bool,
        Option<FlightLegalBasis>,
        Option<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "police_patrol_under_csi_l242",
            false,
            Some(basis("csi-l242", "securite_rassemblements", &[], false)),
            None,
        ),
        (
            "forest_patrol_under_the_natural_risk_basis",
            false,
            Some(basis(
                "env-risques-naturels",
                "feux_de_forets",
                &[(
                    "information_public",
                    "arrêté préfectoral risque feu, avis en mairie",
                )],
                false,
            )),
            None,
        ),
        (
            "police_purpose_under_the_natural_risk_basis",
            false,
            Some(basis(
                "env-risques-naturels",
                "securite_rassemblements",
                &[("information_public", "avis")],
                false,
            )),
            Some("not allowed under env-risques-naturels"),
        ),
        (
            "forest_patrol_without_public_information",
            false,
            Some(basis("env-risques-naturels", "feux_de_forets", &[], false)),
            Some("information_public"),
        ),
        (
            "municipal_experiment_without_a_convention_de_coordination",
            false,
            Some(basis(
                "csi-l242-municipal",
                "securite_rassemblements",
                &[],
                false,
            )),
            Some("convention_coordination"),
        ),
        (
            "municipal_experiment_with_its_convention",
            false,
            Some(basis(
                "csi-l242-municipal",
                "securite_rassemblements",
                &[("convention_coordination", "CC-13047-2026-01")],
                false,
            )),
            None,
        ),
        (
            "municipal_experiment_in_an_emergency",
            false,
            Some(basis(
                "csi-l242-municipal",
                "securite_rassemblements",
                &[("convention_coordination", "CC-13047-2026-01")],
                true,
            )),
            Some("no emergency procedure"),
        ),
        (
            "municipal_experiment_for_terrorism_prevention",
            false,
            Some(basis(
                "csi-l242-municipal",
                "prevention_terrorisme",
                &[("convention_coordination", "CC-1")],
                false,
            )),
            Some("not allowed under csi-l242-municipal"),
        ),
        (
            "purpose_other_than_the_arretes_finalite",
            false,
            Some(basis("csi-l242", "secours_personnes", &[], false)),
            Some("differs from the finalité"),
        ),
        (
            "no_basis_in_legal_mode_fails_closed",
            false,
            None,
            Some("no legal basis"),
        ),
        ("training_flies_under_plain_aviation", true, None, None),
        (
            "training_under_a_police_basis",
            true,
            Some(basis("csi-l242", "securite_rassemblements", &[], false)),
            Some("training flights fly under plain aviation"),
        ),
        (
            "plain_aviation_without_its_operator_number",
            true,
            Some(basis("aviation", "formation", &[], false)),
            Some("exploitant_alphatango"),
        ),
    ];
    for (name, training, lb, refused) in cases {
        let mut s = good_situation(&rules);
        s.training = training;
        s.legal_basis = lb;
        for a in [Action::Arm, Action::Takeoff { alt_m: 30.0 }] {
            let d = evaluate(&rules, &s, &a, now());
            let legal: Vec<&Finding> = d
                .blocking()
                .filter(|f| f.rule_id == rule_id::LEGAL_BASIS)
                .collect();
            match refused {
                Some(why) => assert!(
                    legal.iter().any(|f| f.reason.contains(why)),
                    "{name} {a:?}: expected LEGAL-BASIS ({why}), got {:#?}",
                    d.findings
                ),
                None => assert!(legal.is_empty(), "{name} {a:?}: {legal:#?}"),
            }
        }
    }
}

#[test]
fn a_bad_legal_bases_file_names_the_field() {
    let e =
        LegalBases::from_toml("version = \"x\"\n[[basis]]\nid = \"a b\"\n", "lb.toml").unwrap_err();
    assert!(e.to_string().contains("lb.toml"), "{e}");
    let text = flight_rules::legal_basis::EMBEDDED_LEGAL_BASES.replace(
        "recordings_retention_h = 0 ",
        "recordings_retention_h = 24 ",
    );
    let e = LegalBases::from_toml(&text, "lb.toml").unwrap_err();
    assert!(e.to_string().contains("keeps no recording"), "{e}");
    let unknown = LegalBases::default_embedded()
        .select("loi-2030", "x", BTreeMap::new(), false)
        .unwrap_err();
    assert!(unknown.to_string().contains("csi-l242"), "{unknown}");
}
