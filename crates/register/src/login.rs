//! Pilots' PINs and logins: the PIN hashed with Argon2id at rest, every attempt journaled, and
//! an account locked for a while after repeated wrong PINs.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::records::PilotRecord;
use crate::register::{Register, kind, parse};

/// Argon2id PHC string of a PIN (random salt). PINs shorter than 4 characters are refused.
pub fn hash_pin(pin: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    if pin.chars().count() < 4 {
        return Err(Error::BadInput(
            "a PIN has at least 4 characters: choose a longer one".into(),
        ));
    }
    let bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&bytes)
        .map_err(|e| Error::BadInput(format!("cannot make a salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::BadInput(format!("cannot hash the PIN: {e}")))
}

/// Does `pin` match the stored PHC string? A malformed hash never matches.
pub fn verify_pin(phc: &str, pin: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok()
    })
}

/// When an account locks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoginPolicy {
    /// Consecutive wrong PINs that lock the account.
    pub max_failures: usize,
    /// How long it stays locked after the last of them.
    pub lockout: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: Duration::minutes(15),
        }
    }
}

/// One attempt, as the register keeps it (never the PIN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginAttempt {
    pub pilot_id: String,
    pub at: DateTime<Utc>,
    pub accepted: bool,
    /// `accepted`, `wrong_pin`, `locked`, `unknown_pilot`, `no_pin_set`.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LoginRefusal {
    UnknownPilot,
    /// The chief has not set a PIN for this pilot (`vigie pilots set-pin`).
    NoPinSet,
    WrongPin {
        failures_left: usize,
    },
    Locked {
        until: DateTime<Utc>,
    },
}

impl std::fmt::Display for LoginRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginRefusal::UnknownPilot => f.write_str("no such pilot in the registry"),
            LoginRefusal::NoPinSet => f.write_str(
                "no PIN set for this pilot: the chief sets one with `vigie pilots set-pin`",
            ),
            LoginRefusal::WrongPin { failures_left } => {
                write!(
                    f,
                    "wrong PIN ({failures_left} attempt(s) left before the account locks)"
                )
            }
            LoginRefusal::Locked { until } => write!(
                f,
                "account locked after repeated wrong PINs, until {}",
                until.format("%H:%M:%S UTC")
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum LoginOutcome {
    Accepted(Box<PilotRecord>),
    Refused(LoginRefusal),
}

impl Register {
    /// The latest record of one pilot.
    pub fn pilot(&mut self, pilot_id: &str) -> Result<Option<PilotRecord>> {
        Ok(self
            .store_by_subject(&format!("pilot:{pilot_id}"))?
            .iter()
            .rev()
            .find(|e| e.kind == kind::PILOT)
            .and_then(|e| parse::<PilotRecord>(e).ok()))
    }

    /// Every pilot, latest record of each, by id.
    pub fn pilots(&mut self) -> Result<Vec<PilotRecord>> {
        let mut by_id = std::collections::BTreeMap::new();
        for e in self.store_by_kind(kind::PILOT)? {
            if let Ok(p) = parse::<PilotRecord>(&e) {
                by_id.insert(p.pilot_id.clone(), p);
            }
        }
        Ok(by_id.into_values().collect())
    }

    /// Check a PIN at `now`; the attempt is journaled whatever the answer (R242-12 traceability,
    /// and the lockout counts journaled failures, so restarting the station does not reset it).
    pub fn login(
        &mut self,
        pilot_id: &str,
        pin: &str,
        now: DateTime<Utc>,
        policy: &LoginPolicy,
    ) -> Result<LoginOutcome> {
        let record = self.pilot(pilot_id)?;
        let attempts: Vec<LoginAttempt> = self
            .store_by_subject(&format!("login:{pilot_id}"))?
            .iter()
            .filter(|e| e.kind == kind::LOGIN)
            .filter_map(|e| parse::<LoginAttempt>(e).ok())
            .collect();
        // Consecutive failures since the last accepted login.
        let recent: Vec<&LoginAttempt> = attempts
            .iter()
            .rev()
            .take_while(|a| !a.accepted)
            .filter(|a| a.outcome == "wrong_pin")
            .collect();
        let locked_until = (recent.len() >= policy.max_failures)
            .then(|| recent.first().map(|a| a.at + policy.lockout))
            .flatten()
            .filter(|until| *until > now);
        let (outcome, code) = match (&record, locked_until) {
            (None, _) => (
                LoginOutcome::Refused(LoginRefusal::UnknownPilot),
                "unknown_pilot",
            ),
            (Some(_), Some(until)) => (
                LoginOutcome::Refused(LoginRefusal::Locked { until }),
                "locked",
            ),
            (Some(r), None) => match &r.pin_hash {
                None => (LoginOutcome::Refused(LoginRefusal::NoPinSet), "no_pin_set"),
                Some(h) if verify_pin(h, pin) => {
                    (LoginOutcome::Accepted(Box::new(r.clone())), "accepted")
                }
                Some(_) => {
                    // A lockout that expired starts a new count.
                    let streak = if recent.len() >= policy.max_failures {
                        0
                    } else {
                        recent.len()
                    };
                    (
                        LoginOutcome::Refused(LoginRefusal::WrongPin {
                            failures_left: policy.max_failures.saturating_sub(streak + 1),
                        }),
                        "wrong_pin",
                    )
                }
            },
        };
        let attempt = LoginAttempt {
            pilot_id: pilot_id.to_string(),
            at: now,
            accepted: matches!(outcome, LoginOutcome::Accepted(_)),
            outcome: code.into(),
        };
        self.append_record(kind::LOGIN, format!("login:{pilot_id}"), &attempt)?;
        Ok(outcome)
    }

    /// When the pilot last flew (flight start), for recency.
    pub fn last_flight_of(&mut self, pilot_id: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .flight_summaries()?
            .iter()
            .filter(|f| f.pilot_id == pilot_id)
            .map(|f| f.started_at)
            .max())
    }

    /// Login attempts of one pilot, oldest first (unjournaled: the CLI journals its reads).
    pub fn login_attempts(&mut self, pilot_id: &str) -> Result<Vec<LoginAttempt>> {
        Ok(self
            .store_by_subject(&format!("login:{pilot_id}"))?
            .iter()
            .filter(|e| e.kind == kind::LOGIN)
            .filter_map(|e| parse::<LoginAttempt>(e).ok())
            .collect())
    }
}
