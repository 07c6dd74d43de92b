//! Remote ID (the French *signalement électronique*, EU direct remote identification) as the
//! station hears it from the drone's MAVLink `OPEN_DRONE_ID_*` messages, the `REMOTE-ID` rule, and
//! the shape check of an operator's registration number (EN 4709-002, issued in France by
//! AlphaTango).
//!
//! What counts as a *working* Remote ID is what the module itself says: `OPEN_DRONE_ID_ARM_STATUS`
//! (12918), sent by the Remote ID transmitter about once a second, `GOOD_TO_ARM` or a failure text
//! ("missing basic ID", "operator location"…). QGroundControl judges the module the same way (no
//! arm status for 3 s: Remote ID lost). The other messages (basic ID, location, system, operator ID)
//! are what the drone broadcasts; the station shows and records them, but a GCS often does not
//! receive all of them (the autopilot sends them to the module's port), so their absence alone is
//! not a refusal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::rules::{Finding, RuleSet, Severity, Situation, rule_id};
use crate::types::LatLon;

/// `MAV_ODID_ID_TYPE`: what a basic ID is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RemoteIdIdType {
    None,
    /// ANSI/CTA-2063-A serial number (the drone's own, physical ID).
    SerialNumber,
    /// A civil aviation authority registration (the operator's or aircraft's).
    CaaRegistration,
    UtmAssignedUuid,
    SpecificSessionId,
}

/// One `OPEN_DRONE_ID_BASIC_ID` (a drone may broadcast two: serial number and registration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteIdBasicId {
    pub id_type: RemoteIdIdType,
    /// `MAV_ODID_UA_TYPE` number (2 = helicopter or multirotor).
    pub ua_type: u8,
    pub uas_id: String,
    pub heard_at: DateTime<Utc>,
}

/// `MAV_ODID_STATUS` of the location message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RemoteIdFlightStatus {
    Undeclared,
    Ground,
    Airborne,
    Emergency,
    /// The Remote ID system itself reports a failure.
    SystemFailure,
}

/// `OPEN_DRONE_ID_LOCATION`: where the drone says it is, as broadcast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteIdLocation {
    pub status: RemoteIdFlightStatus,
    /// None when the message carries no position (0,0).
    pub position: Option<LatLon>,
    /// Above the WGS84 ellipsoid.
    pub alt_geodetic_m: Option<f64>,
    /// Above the take-off point or the ground (`height_over_ground`).
    pub height_m: Option<f64>,
    pub height_over_ground: bool,
    pub ground_speed_mps: Option<f64>,
    pub track_deg: Option<f64>,
    pub heard_at: DateTime<Utc>,
}

/// `OPEN_DRONE_ID_SYSTEM`: the operator's position and the EU category/class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteIdSystem {
    pub operator_position: Option<LatLon>,
    /// `MAV_ODID_OPERATOR_LOCATION_TYPE`: 0 take-off point, 1 live GNSS, 2 fixed.
    pub operator_location_type: u8,
    /// `MAV_ODID_CATEGORY_EU` (0 undeclared, 1 open, 2 specific, 3 certified).
    pub category_eu: u8,
    /// `MAV_ODID_CLASS_EU` (0 undeclared, 1 … 7 = C0 … C6).
    pub class_eu: u8,
    pub heard_at: DateTime<Utc>,
}

/// `OPEN_DRONE_ID_OPERATOR_ID`: the public part of the operator's registration number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteIdOperatorId {
    pub operator_id: String,
    pub heard_at: DateTime<Utc>,
}

/// `OPEN_DRONE_ID_ARM_STATUS`: the module's own verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteIdArmStatus {
    /// `MAV_ODID_ARM_STATUS_GOOD_TO_ARM`.
    pub ready: bool,
    /// The module's reason when not ready ("missing basic ID").
    pub error: String,
    pub heard_at: DateTime<Utc>,
}

/// Everything heard of one drone's Remote ID, each part with the time it was heard.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RemoteIdSnapshot {
    pub basic_ids: Vec<RemoteIdBasicId>,
    pub location: Option<RemoteIdLocation>,
    pub system: Option<RemoteIdSystem>,
    pub operator_id: Option<RemoteIdOperatorId>,
    pub arm_status: Option<RemoteIdArmStatus>,
}

impl RemoteIdSnapshot {
    /// Nothing heard at all.
    pub fn is_empty(&self) -> bool {
        self.basic_ids.is_empty()
            && self.location.is_none()
            && self.system.is_none()
            && self.operator_id.is_none()
            && self.arm_status.is_none()
    }
}

/// `[remote_id]` of limits.toml.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemoteIdLimits {
    /// Refuse arming and take-off unless the Remote ID module says it is ready (French
    /// signalement électronique from 800 g; EU direct remote identification). Off by default:
    /// the operator turns it on for airframes that carry a module.
    pub required: bool,
    /// An arm status older than this does not count (seconds; the module sends one per second).
    pub stale_s: f64,
}

impl Default for RemoteIdLimits {
    fn default() -> Self {
        Self {
            required: false,
            stale_s: 5.0,
        }
    }
}

/// `REMOTE-ID` for `evaluate` at arming and take-off: with `remote_id.required`, a fresh
/// `GOOD_TO_ARM` from the module is needed; unknown is a refusal (fail closed).
pub(crate) fn remote_id_rule(
    rules: &RuleSet,
    s: &Situation,
    now: DateTime<Utc>,
    f: &mut Vec<Finding>,
) {
    let l = &rules.limits.remote_id;
    if !l.required {
        return;
    }
    use crate::message::Message;
    let blocking = |reason: String, message: Message| {
        Finding::new(rule_id::REMOTE_ID, Severity::Blocking, reason, message)
    };
    let Some(v) = &s.vehicle else {
        // VEHICLE-UNKNOWN already refuses; say why Remote ID cannot be judged either.
        f.push(blocking(
            "no vehicle: its Remote ID cannot be checked".into(),
            Message::new("remote-id-no-vehicle"),
        ));
        return;
    };
    let rid = v.remote_id.as_ref().filter(|r| !r.is_empty());
    let Some(rid) = rid else {
        f.push(blocking(
            "no Remote ID heard from the vehicle (no OPEN_DRONE_ID message): the signalement électronique is required (limits remote_id.required)".into(),
            Message::new("remote-id-not-heard"),
        ));
        return;
    };
    // Broadcasting another operator's number (a borrowed or mis-set module) is not this
    // operator's signalement.
    if let Some(reg) = &s.operator_registration {
        match rid.operator_id.as_ref().map(|o| o.operator_id.trim()) {
            Some(o) if reg.matches_broadcast(o) => {}
            Some(o) => f.push(blocking(
                format!(
                    "the Remote ID broadcasts operator {o:?}, not this operator's {}",
                    reg.public_id()
                ),
                Message::new("remote-id-wrong-operator")
                    .text("broadcast", o)
                    .text("expected", reg.public_id()),
            )),
            None => f.push(blocking(
                format!(
                    "the Remote ID broadcasts no operator ID (OPEN_DRONE_ID_OPERATOR_ID); it must be {}",
                    reg.public_id()
                ),
                Message::new("remote-id-no-operator").text("expected", reg.public_id()),
            )),
        }
    }
    match &rid.arm_status {
        None => f.push(blocking(
            "the Remote ID module has not reported whether it is ready (OPEN_DRONE_ID_ARM_STATUS)"
                .into(),
            Message::new("remote-id-no-arm-status"),
        )),
        Some(a) => {
            let age_s = (now - a.heard_at).num_milliseconds() as f64 / 1000.0;
            if !(-1.0..=l.stale_s).contains(&age_s) {
                f.push(blocking(
                    format!(
                        "the Remote ID module's last arm status is {age_s:.0} s old (limit {:.0} s): the module is silent",
                        l.stale_s
                    ),
                    Message::new("remote-id-stale")
                        .num("age", age_s, 0)
                        .num("limit", l.stale_s, 0),
                ));
            } else if !a.ready {
                let why = if a.error.trim().is_empty() {
                    "no reason given".to_string()
                } else {
                    a.error.trim().to_string()
                };
                f.push(blocking(
                    format!("the Remote ID module is not ready to arm: {why}"),
                    Message::new("remote-id-not-ready").text("why", why),
                ));
            }
        }
    }
}

/// The three letters every EU operator registration number starts with, for France.
pub const FRANCE_PREFIX: &str = "FRA";

/// An operator registration number in the EU format of EN 4709-002 (as AlphaTango issues them
/// in France): `FRA` + 12-character base ID + 1 checksum character, a dash, and 3 secret
/// characters, e.g. `FRA87astrdge12k8-xyz`. Only the first 16 characters (the *public* part) are
/// broadcast by Remote ID; the secret part proves the number was copied whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorRegistration {
    full: String,
}

/// What is wrong with a registration number, with the position (1-based) where it shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error(
        "operator registration number {input:?} has {len} characters; the EU format has 20 (e.g. FRA87astrdge12k8-xyz: country, 12-character ID, check character, dash, 3 secret characters)"
    )]
    Length { input: String, len: usize },
    #[error(
        "operator registration number {input:?}: character {position} should be the dash before the 3 secret characters"
    )]
    Dash { input: String, position: usize },
    #[error(
        "operator registration number {input:?}: {got:?} is not a country code of three capital letters (France: FRA)"
    )]
    Country { input: String, got: String },
    #[error(
        "operator registration number {input:?}: character {position} ({got:?}) is not a letter a–z or a digit"
    )]
    Character {
        input: String,
        position: usize,
        got: char,
    },
    #[error(
        "operator registration number {input:?}: the check character is {got:?} but the number gives {expected:?}: a character was mistyped; copy it again from AlphaTango"
    )]
    Checksum {
        input: String,
        got: char,
        expected: char,
    },
}

/// EN 4709-002 code points, in order: their index is the value the checksum counts.
const CODE_POINTS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn code_value(c: u8) -> Option<u32> {
    CODE_POINTS.iter().position(|&p| p == c).map(|i| i as u32)
}

/// The check character of EN 4709-002: Luhn mod 36 over the 12-character base ID followed by the
/// 3 secret characters, weights 2, 1, 2, … from the first character. As implemented by InterUSS
/// in `uas_standards/en4709_02.py` (`OperatorRegistrationNumber.generate_checksum`), which the
/// link's peer tests run against this function; EASA's example `FIN87astrdge12k8-xyz` checks.
/// `None` when a character is not a code point.
pub fn registration_check_char(base_id: &str, secret: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut weight = 2u32;
    for c in base_id.bytes().chain(secret.bytes()) {
        let v = code_value(c)? * weight;
        sum += v / 36 + v % 36;
        weight = 3 - weight;
    }
    let check = (36 - sum % 36) % 36;
    CODE_POINTS.get(check as usize).map(|&b| char::from(b))
}

impl OperatorRegistration {
    /// Check the shape and the check character. Letters of the ID and the secret are accepted in
    /// either case (people retype them) and stored in lower case, as the standard writes them;
    /// spaces around the number are ignored.
    pub fn parse(input: &str) -> Result<Self, RegistrationError> {
        let trimmed = input.trim();
        let err_input = trimmed.to_string();
        let chars: Vec<char> = trimmed.chars().collect();
        if chars.len() != 20 {
            return Err(RegistrationError::Length {
                input: err_input,
                len: chars.len(),
            });
        }
        if chars[16] != '-' {
            return Err(RegistrationError::Dash {
                input: err_input,
                position: 17,
            });
        }
        let country: String = chars[..3].iter().collect();
        if !chars[..3].iter().all(|c| c.is_ascii_uppercase()) {
            return Err(RegistrationError::Country {
                input: err_input,
                got: country,
            });
        }
        let mut rest = String::with_capacity(16);
        for (i, c) in chars.iter().enumerate().skip(3) {
            if i == 16 {
                continue;
            }
            let lower = c.to_ascii_lowercase();
            if !lower.is_ascii() || code_value(lower as u8).is_none() {
                return Err(RegistrationError::Character {
                    input: err_input,
                    position: i + 1,
                    got: *c,
                });
            }
            rest.push(lower);
        }
        // rest: 12 base characters, the check character, 3 secret characters.
        let (base, tail) = rest.split_at(12);
        let (check, secret) = tail.split_at(1);
        let expected = registration_check_char(base, secret).unwrap_or('?');
        let got = check.chars().next().unwrap_or('?');
        if got != expected {
            return Err(RegistrationError::Checksum {
                input: err_input,
                got,
                expected,
            });
        }
        Ok(Self {
            full: format!("{country}{base}{check}-{secret}"),
        })
    }

    /// The whole number, canonical case (`FRA87astrdge12k8-xyz`): what the flight record keeps.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The three-letter country code (`FRA`).
    pub fn country(&self) -> &str {
        &self.full[..3]
    }

    /// The 16 characters Remote ID broadcasts (`FRA87astrdge12k8`): never the secret part.
    pub fn public_id(&self) -> &str {
        &self.full[..16]
    }

    /// Whether a broadcast operator ID (`OPEN_DRONE_ID_OPERATOR_ID`) is this operator's.
    pub fn matches_broadcast(&self, operator_id: &str) -> bool {
        operator_id.trim().eq_ignore_ascii_case(self.public_id())
    }
}

impl std::fmt::Display for OperatorRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_table() {
        // EASA's published example of the format, then the same number mistyped in each way a
        // user can mistype it.
        let ok = OperatorRegistration::parse("FIN87astrdge12k8-xyz").unwrap();
        assert_eq!(ok.public_id(), "FIN87astrdge12k8");
        assert_eq!(ok.country(), "FIN");
        assert!(ok.matches_broadcast("FIN87astrdge12k8"));
        assert!(!ok.matches_broadcast("FIN87astrdge12k8-xyz"));
        // Retyped in capitals, with spaces around: accepted, stored canonical.
        assert_eq!(
            OperatorRegistration::parse("  FIN87ASTRDGE12K8-XYZ ")
                .unwrap()
                .as_str(),
            "FIN87astrdge12k8-xyz"
        );
        let bad: &[(&str, &str)] = &[
            ("FIN87astrdge12k8-xy", "20"),
            ("FIN87astrdge12k8xyz1", "dash"),
            ("fin87astrdge12k8-xyz", "country"),
            ("FIN87astr_ge12k8-xyz", "character 10"),
            ("FIN87astrdge12k9-xyz", "check character is '9'"),
            ("FIN87astrdge12k8-xya", "check character is '8'"),
            ("FIN78astrdge12k8-xyz", "check character"),
            ("UAS-FR-123456", "20"),
        ];
        for (input, why) in bad {
            let e = OperatorRegistration::parse(input).unwrap_err().to_string();
            assert!(e.contains(why), "{input}: {e}");
        }
    }

    #[test]
    fn check_character_matches_luhn_mod_36() {
        assert_eq!(registration_check_char("87astrdge12k", "xyz"), Some('8'));
        assert_eq!(registration_check_char("87astrdge12k", "xy_"), None);
    }
}
