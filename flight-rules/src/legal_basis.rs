//! Legal bases a flight flies under (DOMAIN.md §1b), as configuration data, and the `LEGAL-BASIS`
//! rule: arming is refused when the flight's basis does not allow its purpose, a document the
//! basis requires is missing, or the basis has no emergency procedure and one is invoked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::message::Message;
use crate::rules::{Finding, Severity, Situation, rule_id};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: String,
    #[serde(default)]
    basis: Vec<RawBasis>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasis {
    id: String,
    title: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    status: String,
    personal_data: bool,
    purposes: Vec<String>,
    #[serde(default)]
    purpose_is_authorisation_finalite: bool,
    #[serde(default)]
    requires_authorisation: bool,
    recordings_retention_h: u32,
    domicile_retention_h: u32,
    public_information: String,
    #[serde(default)]
    public_informed_beforehand: bool,
    #[serde(default)]
    emergency_use: bool,
    #[serde(default)]
    documents: Vec<RequiredDocument>,
}

/// A document a basis requires each flight to present (its reference is recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredDocument {
    /// e.g. `convention_coordination`.
    pub kind: String,
    pub label: String,
}

/// One configured legal basis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegalBasis {
    pub id: String,
    /// `version` of the file that defined it: the register records both.
    pub version: String,
    pub title: String,
    pub sources: Vec<String>,
    pub status: String,
    /// False: no processing of personal data (plain aviation).
    pub personal_data: bool,
    pub purposes: Vec<String>,
    /// The purpose must be the selected arrêté's finalité (CSI R242-8 I).
    pub purpose_is_authorisation_finalite: bool,
    pub requires_authorisation: bool,
    /// Video, tlog and .rrd erased this long after the deployment ends (0: not kept).
    pub recordings_retention_h: u32,
    pub domicile_retention_h: u32,
    pub public_information: String,
    pub public_informed_beforehand: bool,
    /// Whether the basis has an emergency procedure (public not informed beforehand).
    pub emergency_use: bool,
    pub documents: Vec<RequiredDocument>,
}

/// The catalogue of bases (the shipped `rules/legal-bases.toml`, or the operator's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegalBases {
    pub version: String,
    pub bases: Vec<LegalBasis>,
}

/// Id of the plain-aviation basis training flights fly under.
pub const PLAIN_AVIATION: &str = "aviation";

pub const EMBEDDED_LEGAL_BASES: &str = include_str!("../rules/legal-bases.toml");

impl LegalBases {
    pub fn from_toml(text: &str, file: &str) -> Result<LegalBases, ConfigError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| ConfigError::toml(file, &e))?;
        if raw.version.trim().is_empty() {
            return Err(ConfigError::field(file, "version", "must not be empty"));
        }
        let mut bases: Vec<LegalBasis> = Vec::new();
        for (i, b) in raw.basis.into_iter().enumerate() {
            let field = |f: &str| format!("basis[{i}].{f}");
            if b.id.trim().is_empty() || b.id.contains(char::is_whitespace) {
                return Err(ConfigError::field(
                    file,
                    &field("id"),
                    "must be one word, e.g. csi-l242",
                ));
            }
            if bases.iter().any(|x| x.id == b.id) {
                return Err(ConfigError::field(
                    file,
                    &field("id"),
                    &format!("{} is defined twice", b.id),
                ));
            }
            if b.purposes.is_empty() {
                return Err(ConfigError::field(
                    file,
                    &field("purposes"),
                    "a basis needs at least one purpose",
                ));
            }
            if b.domicile_retention_h > b.recordings_retention_h {
                return Err(ConfigError::field(
                    file,
                    &field("domicile_retention_h"),
                    "cannot be longer than recordings_retention_h",
                ));
            }
            if !b.personal_data && b.recordings_retention_h > 0 {
                return Err(ConfigError::field(
                    file,
                    &field("recordings_retention_h"),
                    "a basis without personal data keeps no recording: set 0",
                ));
            }
            bases.push(LegalBasis {
                id: b.id,
                version: raw.version.clone(),
                title: b.title,
                sources: b.sources,
                status: b.status,
                personal_data: b.personal_data,
                purposes: b.purposes,
                purpose_is_authorisation_finalite: b.purpose_is_authorisation_finalite,
                requires_authorisation: b.requires_authorisation,
                recordings_retention_h: b.recordings_retention_h,
                domicile_retention_h: b.domicile_retention_h,
                public_information: b.public_information,
                public_informed_beforehand: b.public_informed_beforehand,
                emergency_use: b.emergency_use,
                documents: b.documents,
            });
        }
        if !bases.iter().any(|b| b.id == PLAIN_AVIATION) {
            return Err(ConfigError::field(
                file,
                "basis",
                "the plain-aviation basis `aviation` (training flights) must be defined",
            ));
        }
        Ok(LegalBases {
            version: raw.version,
            bases,
        })
    }

    /// The shipped catalogue (tested to parse).
    pub fn default_embedded() -> LegalBases {
        LegalBases::from_toml(EMBEDDED_LEGAL_BASES, "embedded:rules/legal-bases.toml")
            .unwrap_or_else(|_| LegalBases {
                version: "invalid".into(),
                bases: Vec::new(),
            })
    }

    pub fn get(&self, id: &str) -> Option<&LegalBasis> {
        self.bases.iter().find(|b| b.id == id)
    }

    /// The basis a flight flies under, by id; unknown ids are an error naming the known ones.
    pub fn select(
        &self,
        id: &str,
        purpose: &str,
        documents: BTreeMap<String, String>,
        emergency: bool,
    ) -> Result<FlightLegalBasis, ConfigError> {
        let Some(basis) = self.get(id) else {
            return Err(ConfigError::field(
                "legal basis",
                "id",
                &format!(
                    "{id:?} is not configured; known: {}",
                    self.bases
                        .iter()
                        .map(|b| b.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        Ok(FlightLegalBasis {
            basis: basis.clone(),
            purpose: purpose.to_string(),
            documents,
            emergency,
        })
    }
}

/// The basis one flight flies under, with what it presents (the station fills it; the register
/// records it in the flight start).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlightLegalBasis {
    pub basis: LegalBasis,
    pub purpose: String,
    /// Document kind → reference presented (e.g. `convention_coordination` → `CC-13-047-2026`).
    pub documents: BTreeMap<String, String>,
    /// Flown under the basis' emergency procedure.
    pub emergency: bool,
}

/// `LEGAL-BASIS` for arming and take-off. Missing in legal mode: refused (fail closed). In
/// training mode the flight flies under plain aviation.
pub(crate) fn legal_basis_rule(s: &Situation, f: &mut Vec<Finding>) {
    let block = |reason: String, message: Message| {
        Finding::new(rule_id::LEGAL_BASIS, Severity::Blocking, reason, message)
    };
    let Some(b) = &s.legal_basis else {
        if s.training {
            f.push(Finding::new(
                rule_id::LEGAL_BASIS,
                Severity::Info,
                "training flight: plain aviation (no personal data, no recording kept)",
                Message::new("legal-training-plain"),
            ));
        } else {
            f.push(block(
                "no legal basis selected for this flight (CSI L242, natural-risk prevention, plain aviation…)"
                    .into(),
                Message::new("legal-missing"),
            ));
        }
        return;
    };
    let id = &b.basis.id;
    if s.training && b.basis.personal_data {
        f.push(block(
            format!("training flights fly under plain aviation, not under {id}"),
            Message::new("legal-training-personal").text("basis", id),
        ));
    }
    if !b.basis.purposes.iter().any(|p| p == &b.purpose) {
        f.push(block(
            format!(
                "purpose {:?} is not allowed under {id} ({}); allowed: {}",
                b.purpose,
                b.basis.title,
                b.basis.purposes.join(", ")
            ),
            Message::new("legal-purpose")
                .text("purpose", &b.purpose)
                .text("basis", id)
                .text("title", &b.basis.title)
                .text("allowed", b.basis.purposes.join(", ")),
        ));
    }
    for d in &b.basis.documents {
        if b.documents.get(&d.kind).is_none_or(|r| r.trim().is_empty()) {
            f.push(block(
                format!("{id} requires {} (`{}`): none given", d.label, d.kind),
                Message::new("legal-document")
                    .text("basis", id)
                    .text("label", &d.label)
                    .text("kind", &d.kind),
            ));
        }
    }
    if b.emergency && !b.basis.emergency_use {
        f.push(block(
            format!(
                "{id} has no emergency procedure: authorisation and public information come first"
            ),
            Message::new("legal-emergency").text("basis", id),
        ));
    }
    if b.basis.requires_authorisation
        && b.basis.purpose_is_authorisation_finalite
        && let Some(a) = &s.authorisation
        && a.finalite != b.purpose
    {
        f.push(block(
            format!(
                "purpose {:?} differs from the finalité of arrêté {} ({:?})",
                b.purpose, a.arrete, a.finalite
            ),
            Message::new("legal-finalite")
                .text("purpose", &b.purpose)
                .text("arrete", &a.arrete)
                .text("finalite", &a.finalite),
        ));
    }
}
