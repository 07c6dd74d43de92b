//! Errors of configuration-like files (limits, authorisations, pilots, checklists, plans).

/// A file that cannot be used, naming the file, the field (or line) and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: field `{field}`: {problem}")]
    Field {
        file: String,
        field: String,
        problem: String,
    },
}

impl ConfigError {
    pub fn toml(file: &str, e: &toml::de::Error) -> Self {
        ConfigError::Syntax {
            file: file.to_string(),
            message: e.to_string().trim_end().replace('\n', " "),
        }
    }
    pub fn json(file: &str, e: &serde_json::Error) -> Self {
        ConfigError::Syntax {
            file: file.to_string(),
            message: format!(
                "not valid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        }
    }
    pub fn field(file: &str, field: &str, problem: &str) -> Self {
        ConfigError::Field {
            file: file.to_string(),
            field: field.to_string(),
            problem: problem.to_string(),
        }
    }
}
