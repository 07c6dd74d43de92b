//! `LINK-UNSIGNED`: the operator's choice that an unsigned radio link refuses arming. Without
//! MAVLink 2 signing, anyone who can reach the link can command the drone and feed the station a
//! false position; with `link.require_signed`, arming and take-off need a link the station has
//! seen signed with the vehicle's key.

use serde::Deserialize;

use crate::rules::{Finding, RuleSet, Severity, Situation, rule_id};

/// `[link]` of limits.toml.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LinkLimits {
    /// Refuse arming and take-off unless the vehicle's link is signed (unknown refuses too).
    pub require_signed: bool,
}

/// `LINK-UNSIGNED` for `evaluate` at arming and take-off (fail closed when the setting is on).
pub(crate) fn link_rule(rules: &RuleSet, s: &Situation, f: &mut Vec<Finding>) {
    if !rules.limits.link.require_signed {
        return;
    }
    let (reason, key) = match s.vehicle.as_ref().map(|v| v.link_signed) {
        Some(Some(true)) => return,
        Some(Some(false)) => (
            "the link to the vehicle is not signed (MAVLink 2 signing): anyone on the network could command it or fake its position; install its key (vigie keys) over a wired link",
            "link-unsigned",
        ),
        Some(None) => (
            "whether the link to the vehicle is signed is not known yet",
            "link-signing-unknown",
        ),
        None => (
            "no vehicle: its link cannot be judged signed",
            "link-no-vehicle",
        ),
    };
    f.push(Finding::new(
        rule_id::LINK_UNSIGNED,
        Severity::Blocking,
        format!("{reason} (limits link.require_signed)"),
        crate::message::Message::new(key),
    ));
}
