//! Every word the pilot reads, from one Fluent catalogue per language (French first, English
//! second): `i18n/fr.ftl`, `i18n/en.ftl`. Rule findings arrive as a stable key and typed
//! arguments (`flight_rules::Message`); station events and alarms as typed kinds. Nothing here
//! reads another component's English sentence.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Local, NaiveDate, Utc};
use flight_rules::{Arg, Finding, Message};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};

pub const FR_FTL: &str = include_str!("i18n/fr.ftl");
pub const EN_FTL: &str = include_str!("i18n/en.ftl");

/// The languages Vigie speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" | "fr-fr" | "français" => Some(Lang::Fr),
            "en" | "en-gb" | "en-us" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn catalogue(self) -> &'static str {
        match self {
            Lang::Fr => FR_FTL,
            Lang::En => EN_FTL,
        }
    }

    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];
}

/// The message ids a catalogue defines (top-level `id = …` lines).
pub fn catalogue_ids(ftl: &str) -> BTreeSet<String> {
    ftl.lines()
        .filter_map(|l| {
            let (id, _) = l.split_once(" =")?;
            (!id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && id.starts_with(|c: char| c.is_ascii_lowercase()))
            .then(|| id.to_string())
        })
        .collect()
}

/// A typed value handed to the catalogue.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Int(i64),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}
impl From<u8> for Value {
    fn from(n: u8) -> Self {
        Value::Int(i64::from(n))
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Int(i64::from(n))
    }
}
impl From<usize> for Value {
    fn from(n: usize) -> Self {
        Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// The catalogue of one language. Cheap to clone.
#[derive(Clone)]
pub struct Tr {
    lang: Lang,
    bundle: Arc<FluentBundle<FluentResource>>,
    /// Keys asked for and not found (a test reads it; the screen shows the key itself).
    missing: Arc<Mutex<BTreeSet<String>>>,
}

impl std::fmt::Debug for Tr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tr").field("lang", &self.lang).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue {lang}.ftl: {detail}")]
    Parse { lang: &'static str, detail: String },
}

impl Tr {
    /// The shipped catalogue of `lang`.
    pub fn new(lang: Lang) -> Result<Tr, CatalogueError> {
        let res = FluentResource::try_new(lang.catalogue().to_string()).map_err(|(_, errs)| {
            CatalogueError::Parse {
                lang: lang.code(),
                detail: format!("{errs:?}"),
            }
        })?;
        let id: unic_langid::LanguageIdentifier = match lang {
            Lang::Fr => unic_langid::langid!("fr-FR"),
            Lang::En => unic_langid::langid!("en-GB"),
        };
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // No Unicode isolation marks: they show as boxes in some fonts and break label search.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(res)
            .map_err(|errs| CatalogueError::Parse {
                lang: lang.code(),
                detail: format!("{errs:?}"),
            })?;
        Ok(Tr {
            lang,
            bundle: Arc::new(bundle),
            missing: Arc::default(),
        })
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }

    /// Keys asked for that the catalogue lacks.
    pub fn missing(&self) -> BTreeSet<String> {
        self.missing.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The sentence for `key` without arguments.
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The sentence for `key` with named arguments.
    pub fn ta(&self, key: &str, args: &[(&str, Value)]) -> String {
        let mut fa = FluentArgs::new();
        for (name, v) in args {
            match v {
                Value::Text(s) => fa.set(*name, FluentValue::from(s.clone())),
                Value::Int(n) => fa.set(*name, FluentValue::from(*n)),
            }
        }
        self.format(key, Some(&fa))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let Some(pattern) = self.bundle.get_message(key).and_then(|m| m.value()) else {
            if let Ok(mut m) = self.missing.lock() {
                m.insert(key.to_string());
            }
            return key.to_string();
        };
        let mut errors = vec![];
        let s = self.bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty()
            && let Ok(mut m) = self.missing.lock()
        {
            m.insert(format!("{key}: {errors:?}"));
        }
        s.into_owned()
    }

    /// A number with `decimals` digits, with this language's decimal separator.
    pub fn num(&self, value: f64, decimals: u8) -> String {
        if !value.is_finite() {
            return "—".into();
        }
        let s = format!("{value:.*}", usize::from(decimals));
        // "-0" reads as a sign error on a gauge.
        let s = if s
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_string()
        } else {
            s
        };
        match self.lang {
            Lang::Fr => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// An instant in local time.
    pub fn time(&self, t: DateTime<Utc>) -> String {
        let l = t.with_timezone(&Local);
        match self.lang {
            Lang::Fr => l.format("%d/%m/%Y %H:%M").to_string(),
            Lang::En => l.format("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// A time of day in local time (event log, alarms).
    pub fn clock(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&Local).format("%H:%M:%S").to_string()
    }

    pub fn date(&self, d: NaiveDate) -> String {
        match self.lang {
            Lang::Fr => d.format("%d/%m/%Y").to_string(),
            Lang::En => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// A rule's words in this language.
    pub fn message(&self, m: &Message) -> String {
        let args: Vec<(&str, Value)> = m
            .args
            .iter()
            .map(|(name, a)| {
                let v = match a {
                    // An empty text is passed as `none`, so a sentence can leave it out
                    // (`{ $message -> [none] {""} *[other] … }`).
                    Arg::Text(s) if s.trim().is_empty() => Value::Text("none".into()),
                    Arg::Text(s) => Value::Text(s.clone()),
                    Arg::Num { value, decimals } => Value::Text(self.num(*value, *decimals)),
                    Arg::Int(n) => Value::Int(*n),
                    Arg::Time(t) => Value::Text(self.time(*t)),
                    Arg::Date(d) => Value::Text(self.date(*d)),
                    Arg::Msg(inner) => Value::Text(self.message(inner)),
                };
                (*name, v)
            })
            .collect();
        self.ta(&format!("rule-{}", m.key), &args)
    }

    /// "RULE-ID — reason", translated.
    pub fn finding(&self, f: &Finding) -> String {
        format!("{} — {}", f.rule_id, self.message(&f.message))
    }
}

/// The catalogue for `lang`, falling back to French, then to an empty English one; never panics.
pub fn load(lang: Lang) -> Tr {
    match Tr::new(lang) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("{e}");
            match Tr::new(Lang::Fr) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!("{e}");
                    Tr {
                        lang,
                        bundle: Arc::new(FluentBundle::new_concurrent(vec![])),
                        missing: Arc::default(),
                    }
                }
            }
        }
    }
}
