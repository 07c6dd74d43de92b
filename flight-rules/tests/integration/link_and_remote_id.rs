//! `LINK-UNSIGNED` and `REMOTE-ID`: operator settings that refuse arming on an unsigned link or
//! without a working Remote ID, failing closed when the state is unknown.

use chrono::Duration;
use flight_rules::*;

use super::common::*;

fn with_settings(require_signed: bool, remote_id_required: bool) -> RuleSet {
    let mut rules = RuleSet::default_embedded();
    rules.limits.link.require_signed = require_signed;
    rules.limits.remote_id.required = remote_id_required;
    rules
}

fn arm_status(ready: bool, error: &str, age_s: i64) -> RemoteIdSnapshot {
    RemoteIdSnapshot {
        arm_status: Some(RemoteIdArmStatus {
            ready,
            error: error.into(),
            heard_at: now() - Duration::seconds(age_s),
        }),
        ..RemoteIdSnapshot::default()
    }
}

#[test]
fn link_unsigned_table() {
    type Tweak = fn(&mut VehicleSnapshot);
    // (case, setting on, tweak, blocks)
    let cases: &[(&str, bool, Tweak, bool)] = &[
        ("signed_link_setting_on", true, |_| {}, false),
        (
            "unsigned_link_setting_on",
            true,
            |v| v.link_signed = Some(false),
            true,
        ),
        (
            "unknown_link_setting_on_fails_closed",
            true,
            |v| v.link_signed = None,
            true,
        ),
        (
            "unsigned_link_setting_off",
            false,
            |v| v.link_signed = Some(false),
            false,
        ),
        (
            "unknown_link_setting_off",
            false,
            |v| v.link_signed = None,
            false,
        ),
    ];
    for (name, on, tweak, blocks) in cases {
        let rules = with_settings(*on, false);
        let mut s = good_situation(&rules);
        tweak(s.vehicle.as_mut().unwrap());
        for a in [Action::Arm, Action::Takeoff { alt_m: 30.0 }] {
            let d = evaluate(&rules, &s, &a, now());
            assert_eq!(
                d.blocks_on(rule_id::LINK_UNSIGNED),
                *blocks,
                "{name} {a:?}: {:#?}",
                d.findings
            );
            if !on {
                assert!(
                    !d.has(rule_id::LINK_UNSIGNED),
                    "{name}: nothing said when the setting is off"
                );
            }
        }
        // Bringing it home is never refused, signed or not.
        assert!(
            !evaluate(&rules, &s, &Action::Rtl, now()).is_denied(),
            "{name}"
        );
    }
    // No vehicle at all with the setting on: said, and blocking.
    let rules = with_settings(true, false);
    let mut s = good_situation(&rules);
    s.vehicle = None;
    assert!(evaluate(&rules, &s, &Action::Arm, now()).blocks_on(rule_id::LINK_UNSIGNED));
}

#[test]
fn remote_id_table() {
    type Make = fn() -> Option<RemoteIdSnapshot>;
    // (case, setting on, remote id, blocks, reason contains)
    let cases: &[(&str, bool, Make, bool, &str)] = &[
        (
            "module_ready",
            true,
            || Some(arm_status(true, "", 1)),
            false,
            "",
        ),
        ("nothing_heard", true, || None, true, "no Remote ID heard"),
        (
            "empty_snapshot",
            true,
            || Some(RemoteIdSnapshot::default()),
            true,
            "no Remote ID heard",
        ),
        (
            "module_not_ready",
            true,
            || Some(arm_status(false, "missing basic ID", 1)),
            true,
            "missing basic ID",
        ),
        (
            "module_silent",
            true,
            || Some(arm_status(true, "", 12)),
            true,
            "12 s old",
        ),
        (
            "basic_id_but_no_arm_status",
            true,
            || {
                Some(RemoteIdSnapshot {
                    basic_ids: vec![RemoteIdBasicId {
                        id_type: RemoteIdIdType::SerialNumber,
                        ua_type: 2,
                        uas_id: "1596F3501234".into(),
                        heard_at: now(),
                    }],
                    ..RemoteIdSnapshot::default()
                })
            },
            true,
            "has not reported",
        ),
        ("nothing_heard_setting_off", false, || None, false, ""),
        (
            "not_ready_setting_off",
            false,
            || Some(arm_status(false, "missing basic ID", 1)),
            false,
            "",
        ),
    ];
    for (name, on, make, blocks, why) in cases {
        let rules = with_settings(false, *on);
        let mut s = good_situation(&rules);
        s.vehicle.as_mut().unwrap().remote_id = make();
        let d = evaluate(&rules, &s, &Action::Takeoff { alt_m: 30.0 }, now());
        assert_eq!(
            d.blocks_on(rule_id::REMOTE_ID),
            *blocks,
            "{name}: {:#?}",
            d.findings
        );
        if *blocks {
            let f = d
                .blocking()
                .find(|f| f.rule_id == rule_id::REMOTE_ID)
                .unwrap();
            assert!(f.reason.contains(why), "{name}: {}", f.reason);
        } else {
            assert!(!d.has(rule_id::REMOTE_ID), "{name}: {:#?}", d.findings);
            assert_ne!(d.verdict, Verdict::Deny, "{name}: {:#?}", d.findings);
        }
        assert!(
            !evaluate(&rules, &s, &Action::Land, now()).is_denied(),
            "{name}"
        );
    }
}

#[test]
fn with_an_operator_number_the_remote_id_must_broadcast_it() {
    let rules = with_settings(false, true);
    let mut s = good_situation(&rules);
    s.operator_registration = Some(OperatorRegistration::parse("FIN87astrdge12k8-xyz").unwrap());
    let broadcasting = |op: Option<&str>| {
        let mut r = arm_status(true, "", 1);
        r.operator_id = op.map(|o| RemoteIdOperatorId {
            operator_id: o.into(),
            heard_at: now(),
        });
        Some(r)
    };
    let judge = |s: &Situation| evaluate(&rules, s, &Action::Takeoff { alt_m: 30.0 }, now());
    // Its own public part (never the secret): flies.
    s.vehicle.as_mut().unwrap().remote_id = broadcasting(Some("FIN87astrdge12k8"));
    assert!(
        !judge(&s).has(rule_id::REMOTE_ID),
        "{:#?}",
        judge(&s).findings
    );
    // Another operator's number (a borrowed module), or none: refused, naming both.
    s.vehicle.as_mut().unwrap().remote_id = broadcasting(Some("FRAabcdefghijkl1"));
    let d = judge(&s);
    let f = d
        .blocking()
        .find(|f| f.rule_id == rule_id::REMOTE_ID)
        .unwrap();
    assert!(
        f.reason.contains("FRAabcdefghijkl1") && f.reason.contains("FIN87astrdge12k8"),
        "{}",
        f.reason
    );
    s.vehicle.as_mut().unwrap().remote_id = broadcasting(None);
    assert!(judge(&s).blocks_on(rule_id::REMOTE_ID));
    // Without a configured number, any working module will do.
    s.operator_registration = None;
    assert!(!judge(&s).has(rule_id::REMOTE_ID));
}

#[test]
fn shipped_limits_leave_both_settings_off() {
    let l = Limits::default_embedded();
    assert!(!l.link.require_signed && !l.remote_id.required);
    let e = Limits::from_toml("[remote_id]\nstale_s = 0\n", "ops.toml").unwrap_err();
    assert!(e.to_string().contains("remote_id.stale_s"), "{e}");
    let on = Limits::from_toml("[link]\nrequire_signed = true\n", "ops.toml").unwrap();
    assert!(on.link.require_signed);
}
