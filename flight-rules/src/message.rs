//! A finding's words as data: a stable message key and typed arguments, beside the English
//! `reason`. The app turns them into a sentence in the pilot's language (its catalogue has one
//! entry per key); the station, the register and the CLI keep printing `reason`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// One argument of a message. Numbers, instants and dates stay typed so that each language
/// formats them its own way (decimal comma in French, local time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Arg {
    /// Shown as it is: names, identifiers, arrêté numbers, words from a rule file or a vehicle.
    Text(String),
    /// A measured value, shown with `decimals` digits after the separator.
    Num {
        value: f64,
        decimals: u8,
    },
    Int(i64),
    Time(DateTime<Utc>),
    Date(NaiveDate),
    /// A phrase translated on its own (e.g. "the leg to mission item 3").
    Msg(Box<Message>),
}

/// A stable key (e.g. `wind-above-takeoff-limit`) and its named arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Self { key, args: vec![] }
    }

    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, Arg::Text(value.into())));
        self
    }

    pub fn num(mut self, name: &'static str, value: f64, decimals: u8) -> Self {
        self.args.push((name, Arg::Num { value, decimals }));
        self
    }

    pub fn int(mut self, name: &'static str, value: impl Into<i64>) -> Self {
        self.args.push((name, Arg::Int(value.into())));
        self
    }

    pub fn time(mut self, name: &'static str, value: DateTime<Utc>) -> Self {
        self.args.push((name, Arg::Time(value)));
        self
    }

    pub fn date(mut self, name: &'static str, value: NaiveDate) -> Self {
        self.args.push((name, Arg::Date(value)));
        self
    }

    pub fn msg(mut self, name: &'static str, value: Message) -> Self {
        self.args.push((name, Arg::Msg(Box::new(value))));
        self
    }

    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, a)| a)
    }
}

/// Every key `flight_rules` emits, with the names of its arguments: the app's catalogue test
/// checks each one has a sentence in every language, using exactly these arguments.
pub const KEYS: &[(&str, &[&str])] = &[
    // zones
    (
        "zone-prohibited",
        &["what", "how", "zone", "name", "message"],
    ),
    (
        "zone-auth-covered",
        &["what", "how", "zone", "name", "arrete"],
    ),
    (
        "zone-auth-required",
        &["what", "how", "zone", "name", "message"],
    ),
    (
        "zone-conditional",
        &["what", "how", "zone", "name", "message"],
    ),
    ("how-inside", &[]),
    ("how-maybe-inside", &[]),
    ("what-takeoff-point", &[]),
    ("what-vehicle-position", &[]),
    ("what-vehicle", &[]),
    ("what-leg-to-item", &["seq"]),
    ("what-leg", &["n"]),
    ("what-target-altitude", &[]),
    ("what-current-altitude", &[]),
    ("what-takeoff-altitude", &[]),
    ("what-point", &[]),
    ("alt-agl", &["m"]),
    ("alt-amsl", &["m"]),
    ("alt-wgs84", &["m"]),
    ("alt-rel-home", &["m"]),
    // pilot
    ("pilot-training", &[]),
    ("pilot-missing", &["training"]),
    ("pilot-cert-expired", &["cert", "pilot", "date", "training"]),
    (
        "pilot-unqualified",
        &["pilot", "airframe", "qualified", "training"],
    ),
    ("pilot-airframe-unknown", &["training"]),
    ("pilot-not-current", &["pilot", "date", "days", "training"]),
    ("pilot-no-flight", &["pilot", "training"]),
    // authorisation
    ("auth-missing", &[]),
    ("auth-not-needed-training", &[]),
    ("auth-not-needed-basis", &["basis"]),
    // link signing and Remote ID (operator settings)
    ("link-unsigned", &[]),
    ("link-signing-unknown", &[]),
    ("link-no-vehicle", &[]),
    ("remote-id-no-vehicle", &[]),
    ("remote-id-not-heard", &[]),
    ("remote-id-no-arm-status", &[]),
    ("remote-id-stale", &["age", "limit"]),
    ("remote-id-not-ready", &["why"]),
    ("remote-id-wrong-operator", &["broadcast", "expected"]),
    ("remote-id-no-operator", &["expected"]),
    ("auth-revoked", &["arrete"]),
    ("auth-not-yet", &["arrete", "from"]),
    ("auth-expired", &["arrete", "until"]),
    ("auth-ends-mid-flight", &["arrete", "until", "end"]),
    ("auth-revoked-before-end", &["arrete", "at"]),
    ("auth-ends-soon", &["arrete", "minutes", "until"]),
    ("auth-cameras", &["n", "arrete", "max"]),
    ("auth-duration", &["arrete", "days", "max"]),
    ("perimeter-leg-leaves", &["what", "from", "to"]),
    ("perimeter-leg-edge", &["what", "from", "to"]),
    ("perimeter-point-outside", &["what", "point", "arrete"]),
    ("perimeter-point-edge", &["what", "point", "arrete"]),
    ("perimeter-vehicle-outside", &["point", "arrete"]),
    ("takeoff-point-unknown", &[]),
    // ceiling
    ("ceiling-above", &["what", "alt", "ceiling"]),
    (
        "ceiling-may-exceed",
        &["what", "alt", "ceiling", "lo", "hi"],
    ),
    ("ceiling-invalid-takeoff", &["alt"]),
    // route
    ("route-position-unknown", &[]),
    ("and-more", &["inner", "count"]),
    // mission
    ("mission-none", &[]),
    ("mission-home-unknown", &[]),
    ("mission-no-altitude", &["items"]),
    ("mission-no-navigation", &[]),
    // wind
    ("wind-no-fresh", &["stale"]),
    ("wind-above-takeoff-limit", &["wind", "source", "limit"]),
    ("wind-above-limit-rtl", &["wind", "source", "limit"]),
    ("wind-hysteresis", &["wind", "source", "limit"]),
    ("wind-warn", &["wind", "source", "percent", "limit"]),
    ("source-anemometer", &[]),
    ("source-metar", &[]),
    ("source-vehicle", &[]),
    // vehicle
    ("vehicle-unknown", &[]),
    ("vehicle-prearm-not-ready", &["reasons"]),
    ("vehicle-prearm-unknown", &["reasons"]),
    ("vehicle-gps-fix", &["fix", "sats", "min_fix", "min_sats"]),
    ("vehicle-position-old", &["age", "limit"]),
    ("vehicle-no-position", &[]),
    ("vehicle-home-unset", &[]),
    ("vehicle-fence-not-loaded", &[]),
    ("vehicle-fence-not-enabled", &[]),
    ("vehicle-battery-unknown", &[]),
    ("vehicle-battery-low", &["pct", "needed", "reserve"]),
    // checklist
    ("checklist-incomplete", &["items"]),
    ("battery-return-now", &["pct", "needed"]),
    ("battery-return-soon", &["pct", "needed"]),
    ("gps-degraded", &["fix", "sats", "min_fix", "min_sats"]),
    // in flight
    ("monitor-no-position", &[]),
    ("breach-zone", &["zone", "name", "distance"]),
    ("breach-zone-soon", &["zone", "name", "distance", "seconds"]),
    ("breach-perimeter", &["distance"]),
    ("breach-perimeter-soon", &["distance", "seconds"]),
    // traffic
    ("traffic-own-unknown", &["n"]),
    ("traffic-takeoff", &["traffic", "radius", "height"]),
    ("traffic-inflight", &["traffic", "radius", "height"]),
    (
        "traffic-above",
        &["label", "distance", "ft", "age", "ground"],
    ),
    (
        "traffic-below",
        &["label", "distance", "ft", "age", "ground"],
    ),
    (
        "traffic-amsl",
        &["label", "distance", "ft", "age", "ground"],
    ),
    (
        "traffic-unknown-height",
        &["label", "distance", "age", "ground"],
    ),
    // legal basis
    ("legal-training-plain", &[]),
    ("legal-missing", &[]),
    ("legal-training-personal", &["basis"]),
    ("legal-purpose", &["purpose", "basis", "title", "allowed"]),
    ("legal-document", &["basis", "label", "kind"]),
    ("legal-emergency", &["basis"]),
    ("legal-finalite", &["purpose", "arrete", "finalite"]),
    // the CLI's point check (vigie zones check)
    ("point-ceiling-above", &["alt", "ceiling"]),
    ("point-perimeter-outside", &["arrete"]),
    ("point-perimeter-edge", &["arrete"]),
    ("point-auth-window", &["arrete"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for (k, _) in KEYS {
            assert!(seen.insert(*k), "duplicate key {k}");
        }
    }
}
