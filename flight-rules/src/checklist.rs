//! The pre-flight checklist: automatic items derived from rule findings, manual items ticked.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

pub const EMBEDDED_CHECKLIST_TOML: &str = include_str!("../rules/checklist.toml");

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ChecklistKind {
    /// Satisfied when none of these rule IDs has a blocking finding.
    Auto { rules: Vec<String> },
    /// Satisfied when the pilot ticked it.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChecklistItem {
    pub id: String,
    pub label: String,
    pub kind: ChecklistKind,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Checklist {
    pub items: Vec<ChecklistItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    label: String,
    kind: String,
    #[serde(default)]
    rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecklist {
    #[serde(default)]
    item: Vec<RawItem>,
}

impl Checklist {
    pub fn default_embedded() -> Self {
        Self::from_toml(EMBEDDED_CHECKLIST_TOML, "embedded:rules/checklist.toml")
            .unwrap_or_default()
    }

    pub fn from_toml(text: &str, file: &str) -> Result<Self, ConfigError> {
        let raw: RawChecklist = toml::from_str(text).map_err(|e| ConfigError::toml(file, &e))?;
        let mut items = vec![];
        for (i, r) in raw.item.into_iter().enumerate() {
            if r.id.trim().is_empty() {
                return Err(ConfigError::field(
                    file,
                    &format!("item[{i}].id"),
                    "must not be empty",
                ));
            }
            if items.iter().any(|x: &ChecklistItem| x.id == r.id) {
                return Err(ConfigError::field(
                    file,
                    &format!("item[{i}].id"),
                    &format!("duplicate id {:?}", r.id),
                ));
            }
            let kind = match r.kind.as_str() {
                "auto" if !r.rules.is_empty() => ChecklistKind::Auto { rules: r.rules },
                "auto" => {
                    return Err(ConfigError::field(
                        file,
                        &format!("item[{i}].rules"),
                        "an auto item lists at least one rule ID",
                    ));
                }
                "manual" => ChecklistKind::Manual,
                other => {
                    return Err(ConfigError::field(
                        file,
                        &format!("item[{i}].kind"),
                        &format!("{other:?} is not \"auto\" or \"manual\""),
                    ));
                }
            };
            items.push(ChecklistItem {
                id: r.id,
                label: r.label,
                kind,
            });
        }
        Ok(Checklist { items })
    }
}
