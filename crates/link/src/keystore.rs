//! The station's MAVLink signing keys on disk, in `<data dir>/keys/`:
//!
//! - `NAME.key`: one key (64 hex digits) with where it came from, mode 0600;
//! - `assignments.toml`: which key each vehicle (system id) uses, and the fleet key used by every
//!   vehicle not listed;
//! - `signing-timestamp`: the newest signing timestamp the station has sent, so it never goes
//!   back after a restart, whatever the laptop's clock says (MAVLink signing spec, "Timestamp
//!   handling": stored regularly, the starting timestamp is the larger of the clock and the
//!   stored value).
//!
//! The directory is 0700. A key file or directory readable by other users is refused with the
//! fix (`chmod`), as ssh does. Keys are never printed: [`KeyInfo`] carries a fingerprint.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::passphrase::{PassphraseError, PassphraseScheme};
use crate::signing::SigningKey;

const ASSIGNMENTS: &str = "assignments.toml";
const TIMESTAMP: &str = "signing-timestamp";

/// Where a key came from (kept with it, shown by `vigie keys list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// Made here from the operating system's random generator.
    Generated,
    /// Typed or pasted as 64 hex digits.
    Hex,
    Passphrase(PassphraseScheme),
}

impl KeySource {
    pub fn name(self) -> String {
        match self {
            KeySource::Generated => "generated".into(),
            KeySource::Hex => "hex".into(),
            KeySource::Passphrase(s) => format!("passphrase-{}", s.name()),
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "generated" => Some(KeySource::Generated),
            "hex" => Some(KeySource::Hex),
            _ => s
                .strip_prefix("passphrase-")
                .and_then(|n| PassphraseScheme::from_name(n).ok())
                .map(KeySource::Passphrase),
        }
    }
}

/// Who uses a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Assignment {
    /// The vehicle with this MAVLink system id.
    Vehicle(u8),
    /// Every vehicle without a key of its own.
    Fleet,
}

impl std::fmt::Display for Assignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Assignment::Vehicle(s) => write!(f, "vehicle {s}"),
            Assignment::Fleet => f.write_str("fleet"),
        }
    }
}

/// What `vigie keys list` shows of a key: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    /// First 8 hex digits of SHA-256 of the key: enough to tell keys apart, nothing to sign with.
    pub fingerprint: String,
    pub source: KeySource,
    pub created_unix_s: u64,
    pub assigned: Vec<Assignment>,
}

/// The keys a link hub needs, read from the store.
#[derive(Debug, Clone, Default)]
pub struct HubKeys {
    pub vehicles: BTreeMap<u8, SigningKey>,
    pub fleet: Option<SigningKey>,
    /// Where the hub keeps its newest signing timestamp.
    pub timestamp_file: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is readable by other users (mode {mode:o}): a signing key must stay private; run `chmod {fix} {path}`"
    )]
    Permissions {
        path: PathBuf,
        mode: u32,
        fix: &'static str,
    },
    #[error(
        "key name {0:?}: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-' (e.g. drone-1, istres-fleet)"
    )]
    BadName(String),
    #[error("a key named {0:?} already exists: remove it first (vigie keys remove {0})")]
    Exists(String),
    #[error("no key named {0:?} in the key store (vigie keys list shows them)")]
    NotFound(String),
    #[error("{path}: {problem}; restore the file from a backup or remove it")]
    Corrupt { path: PathBuf, problem: String },
    #[error("key {name:?} is assigned to {to} in {path}, but {path} has no such key file")]
    Dangling {
        name: String,
        to: Assignment,
        path: PathBuf,
    },
    #[error(transparent)]
    Passphrase(#[from] PassphraseError),
    #[error("the operating system's random generator failed: {0}")]
    Random(String),
}

type Result<T> = std::result::Result<T, KeyStoreError>;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyStoreError + '_ {
    move |source| KeyStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    key: String,
    source: String,
    created_unix_s: u64,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AssignmentsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fleet: Option<String>,
    /// System id (as text: TOML keys are strings) → key name.
    #[serde(default)]
    vehicles: BTreeMap<String, String>,
}

/// The key store in one directory.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// First 8 hex digits of SHA-256 of the key.
pub fn fingerprint(key: &SigningKey) -> String {
    hex::encode(&Sha256::digest(key.bytes())[..4])
}

#[cfg(unix)]
fn check_private(path: &Path, dir: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(io_err(path))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyStoreError::Permissions {
            path: path.to_path_buf(),
            mode,
            fix: if dir { "700" } else { "600" },
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _dir: bool) -> Result<()> {
    Ok(())
}

/// Write `data` to `path` through a private temporary file and a rename, so a crash leaves the
/// old file or the new one, never half of one.
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
    f.write_all(data).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

impl KeyStore {
    /// Open (creating it, mode 0700) the key store in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        if !dir.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(&dir).map_err(io_err(&dir))?;
        }
        check_private(&dir, true)?;
        Ok(Self { dir })
    }

    /// The store inside a data directory (`<data dir>/keys`).
    pub fn in_data_dir(data_dir: &Path) -> Result<Self> {
        Self::open(data_dir.join("keys"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn key_path(&self, name: &str) -> Result<PathBuf> {
        if !valid_name(name) {
            return Err(KeyStoreError::BadName(name.to_string()));
        }
        Ok(self.dir.join(format!("{name}.key")))
    }

    /// A new random key.
    pub fn generate(&self, name: &str) -> Result<KeyInfo> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| KeyStoreError::Random(e.to_string()))?;
        self.import(name, &SigningKey::new(bytes), KeySource::Generated)
    }

    /// Store a key under a new name.
    pub fn import(&self, name: &str, key: &SigningKey, source: KeySource) -> Result<KeyInfo> {
        let path = self.key_path(name)?;
        if path.exists() {
            return Err(KeyStoreError::Exists(name.to_string()));
        }
        let created_unix_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let file = KeyFile {
            key: hex::encode(key.bytes()),
            source: source.name(),
            created_unix_s,
        };
        let body = toml::to_string(&file).map_err(|e| KeyStoreError::Corrupt {
            path: path.clone(),
            problem: e.to_string(),
        })?;
        let text = format!(
            "# Vigie MAVLink 2 signing key {name:?}. Secret: keep this file mode 0600, never paste it into a log or a ticket.\n{body}"
        );
        write_private(&path, text.as_bytes())?;
        Ok(KeyInfo {
            name: name.to_string(),
            fingerprint: fingerprint(key),
            source,
            created_unix_s,
            assigned: Vec::new(),
        })
    }

    /// Derive a key from a passphrase the way `scheme`'s tool does, and store it.
    pub fn import_passphrase(
        &self,
        name: &str,
        passphrase: &str,
        scheme: PassphraseScheme,
    ) -> Result<KeyInfo> {
        let key = scheme.derive(passphrase)?;
        self.import(name, &key, KeySource::Passphrase(scheme))
    }

    fn read_key_file(&self, name: &str) -> Result<(SigningKey, KeyFile)> {
        let path = self.key_path(name)?;
        if !path.exists() {
            return Err(KeyStoreError::NotFound(name.to_string()));
        }
        check_private(&path, false)?;
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        let file: KeyFile = toml::from_str(&text).map_err(|e| KeyStoreError::Corrupt {
            path: path.clone(),
            problem: e.message().to_string(),
        })?;
        let key = SigningKey::from_hex(&file.key).map_err(|problem| KeyStoreError::Corrupt {
            path: path.clone(),
            problem: format!("field `key`: {problem}"),
        })?;
        Ok((key, file))
    }

    /// The key itself (for the link; never print it).
    pub fn key(&self, name: &str) -> Result<SigningKey> {
        self.read_key_file(name).map(|(k, _)| k)
    }

    fn names(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let entry = entry.map_err(io_err(&self.dir))?;
            let file_name = entry.file_name();
            let Some(n) = file_name.to_str().and_then(|n| n.strip_suffix(".key")) else {
                continue;
            };
            if valid_name(n) {
                names.push(n.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    pub fn list(&self) -> Result<Vec<KeyInfo>> {
        let assignments = self.assignments()?;
        let mut out = Vec::new();
        for name in self.names()? {
            let (key, file) = self.read_key_file(&name)?;
            let source = KeySource::parse(&file.source).ok_or_else(|| KeyStoreError::Corrupt {
                path: self.dir.join(format!("{name}.key")),
                problem: format!("field `source`: unknown value {:?}", file.source),
            })?;
            out.push(KeyInfo {
                fingerprint: fingerprint(&key),
                source,
                created_unix_s: file.created_unix_s,
                assigned: assignments
                    .iter()
                    .filter(|(_, n)| **n == name)
                    .map(|(a, _)| *a)
                    .collect(),
                name,
            });
        }
        Ok(out)
    }

    /// Delete a key and every assignment to it; returns the assignments dropped.
    pub fn remove(&self, name: &str) -> Result<Vec<Assignment>> {
        let path = self.key_path(name)?;
        if !path.exists() {
            return Err(KeyStoreError::NotFound(name.to_string()));
        }
        let mut assignments = self.assignments()?;
        let dropped: Vec<Assignment> = assignments
            .iter()
            .filter(|(_, n)| *n == name)
            .map(|(a, _)| *a)
            .collect();
        assignments.retain(|_, n| n != name);
        self.write_assignments(&assignments)?;
        std::fs::remove_file(&path).map_err(io_err(&path))?;
        Ok(dropped)
    }

    /// Give `to` the key `name`; returns the key it had before.
    pub fn assign(&self, name: &str, to: Assignment) -> Result<Option<String>> {
        self.read_key_file(name)?;
        let mut assignments = self.assignments()?;
        let previous = assignments.insert(to, name.to_string());
        self.write_assignments(&assignments)?;
        Ok(previous)
    }

    /// Take the key away from `to`; returns the key it had.
    pub fn unassign(&self, to: Assignment) -> Result<Option<String>> {
        let mut assignments = self.assignments()?;
        let previous = assignments.remove(&to);
        self.write_assignments(&assignments)?;
        Ok(previous)
    }

    /// Every assignment, by who.
    pub fn assignments(&self) -> Result<BTreeMap<Assignment, String>> {
        let path = self.dir.join(ASSIGNMENTS);
        if !path.exists() {
            return Ok(BTreeMap::new());
        }
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        let file: AssignmentsFile = toml::from_str(&text).map_err(|e| KeyStoreError::Corrupt {
            path: path.clone(),
            problem: e.message().to_string(),
        })?;
        let mut out = BTreeMap::new();
        if let Some(f) = file.fleet {
            out.insert(Assignment::Fleet, f);
        }
        for (sysid, name) in file.vehicles {
            let s: u8 = sysid.parse().map_err(|_| KeyStoreError::Corrupt {
                path: path.clone(),
                problem: format!("[vehicles]: {sysid:?} is not a MAVLink system id (1 to 255)"),
            })?;
            out.insert(Assignment::Vehicle(s), name);
        }
        Ok(out)
    }

    fn write_assignments(&self, a: &BTreeMap<Assignment, String>) -> Result<()> {
        let path = self.dir.join(ASSIGNMENTS);
        let file = AssignmentsFile {
            fleet: a.get(&Assignment::Fleet).cloned(),
            vehicles: a
                .iter()
                .filter_map(|(k, v)| match k {
                    Assignment::Vehicle(s) => Some((s.to_string(), v.clone())),
                    Assignment::Fleet => None,
                })
                .collect(),
        };
        let body = toml::to_string(&file).map_err(|e| KeyStoreError::Corrupt {
            path: path.clone(),
            problem: e.to_string(),
        })?;
        let text = format!(
            "# Which signing key each vehicle (MAVLink system id) uses; `fleet` is the key of every\n# vehicle not listed. Written by `vigie keys assign`.\n{body}"
        );
        write_private(&path, text.as_bytes())
    }

    /// The keys for a link hub: each vehicle's own and the fleet key.
    pub fn hub_keys(&self) -> Result<HubKeys> {
        let path = self.dir.join(ASSIGNMENTS);
        let mut keys = HubKeys {
            timestamp_file: self.timestamp_file(),
            ..HubKeys::default()
        };
        for (to, name) in self.assignments()? {
            let key = match self.key(&name) {
                Err(KeyStoreError::NotFound(_)) => {
                    return Err(KeyStoreError::Dangling {
                        name,
                        to,
                        path: path.clone(),
                    });
                }
                other => other?,
            };
            match to {
                Assignment::Vehicle(s) => {
                    keys.vehicles.insert(s, key);
                }
                Assignment::Fleet => keys.fleet = Some(key),
            }
        }
        Ok(keys)
    }

    /// Fill a hub's configuration from the store: keys, fleet key, timestamp file.
    pub fn apply_to(&self, config: &mut crate::hub::HubConfig) -> Result<()> {
        let k = self.hub_keys()?;
        config.keys.extend(k.vehicles);
        if k.fleet.is_some() {
            config.fleet_key = k.fleet;
        }
        config.timestamp_file = Some(k.timestamp_file);
        Ok(())
    }

    pub fn timestamp_file(&self) -> PathBuf {
        self.dir.join(TIMESTAMP)
    }
}

/// The newest signing timestamp stored in `path` (0 when there is none yet).
pub fn load_timestamp(path: &Path) -> Result<u64> {
    match std::fs::read_to_string(path) {
        Ok(t) => t.trim().parse().map_err(|_| KeyStoreError::Corrupt {
            path: path.to_path_buf(),
            problem: format!("{:?} is not a signing timestamp", t.trim()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Store the newest signing timestamp (atomically: a crash keeps the old value).
pub fn store_timestamp(path: &Path, timestamp: u64) -> Result<()> {
    write_private(path, format!("{timestamp}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_assignments_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path().join("keys")).unwrap();
        let a = store.generate("drone-1").unwrap();
        let b = store
            .import_passphrase("fleet", "istres2026", PassphraseScheme::MavProxy)
            .unwrap();
        assert_ne!(a.fingerprint, b.fingerprint);
        assert!(matches!(
            store.generate("drone-1"),
            Err(KeyStoreError::Exists(_))
        ));
        for bad in ["", ".hidden", "-x", "a/b", "é"] {
            assert!(matches!(
                store.generate(bad),
                Err(KeyStoreError::BadName(_))
            ));
        }
        store.assign("drone-1", Assignment::Vehicle(1)).unwrap();
        store.assign("fleet", Assignment::Fleet).unwrap();
        assert!(matches!(
            store.assign("nope", Assignment::Vehicle(2)),
            Err(KeyStoreError::NotFound(_))
        ));
        let keys = store.hub_keys().unwrap();
        assert_eq!(keys.vehicles[&1], store.key("drone-1").unwrap());
        assert_eq!(
            keys.fleet.unwrap(),
            PassphraseScheme::MavProxy.derive("istres2026").unwrap()
        );
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 2);
        let fleet = listed.iter().find(|k| k.name == "fleet").unwrap();
        assert_eq!(
            fleet.source,
            KeySource::Passphrase(PassphraseScheme::MavProxy)
        );
        assert_eq!(fleet.assigned, vec![Assignment::Fleet]);
        assert_eq!(
            store.remove("drone-1").unwrap(),
            vec![Assignment::Vehicle(1)]
        );
        assert!(store.hub_keys().unwrap().vehicles.is_empty());
        // The key never appears in what is listed.
        let shown = format!("{:?}", store.list().unwrap());
        assert!(!shown.contains(&hex::encode(store.key("fleet").unwrap().bytes())));
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_and_loose_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path().join("keys")).unwrap();
        store.generate("k").unwrap();
        let path = store.dir().join("k.key");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(store.dir()), 0o700);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = store.key("k").unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(store.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = KeyStore::open(store.dir()).unwrap_err().to_string();
        assert!(e.contains("chmod 700"), "{e}");
    }

    #[test]
    fn timestamp_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("signing-timestamp");
        assert_eq!(load_timestamp(&p).unwrap(), 0);
        store_timestamp(&p, 123_456_789_012).unwrap();
        assert_eq!(load_timestamp(&p).unwrap(), 123_456_789_012);
        std::fs::write(&p, "soon").unwrap();
        assert!(load_timestamp(&p).is_err());
    }
}
