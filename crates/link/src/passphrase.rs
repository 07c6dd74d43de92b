//! Signing keys from passphrases, exactly as the other ground stations derive them, so a key
//! typed into MAVProxy, Mission Planner or QGroundControl is the same 32 bytes here. Each
//! derivation was read in the tool's own source (cited per variant) and is checked against the
//! tool or an independent implementation by the peer tests (`tests/integration/keys.rs`).
//! pymavlink itself takes raw key bytes and derives nothing.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::signing::SigningKey;

/// How a passphrase becomes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassphraseScheme {
    /// MAVProxy's `signing setup PASSPHRASE` and `signing key PASSPHRASE`:
    /// SHA-256 of the passphrase encoded as ASCII (`MAVProxy/modules/mavproxy_signing.py`,
    /// `passphrase_to_key`, MAVProxy 1.8.75). MAVProxy splits its command line on spaces, so
    /// its passphrase is one word, and it refuses non-ASCII characters.
    MavProxy,
    /// Mission Planner's "MAVLink Signing" keys: SHA-256 of the UTF-8 passphrase
    /// (`MissionPlanner.Mavlink.MAVAuthKeys.AddKey` and `MAVLinkInterface.setupSigning`).
    MissionPlanner,
    /// QGroundControl 4.x–5.0, Application Settings › MAVLink › "MAVLink 2 signing key":
    /// SHA-256 of the UTF-8 text of the setting (`src/MAVLink/MAVLinkSigning.cc`,
    /// `_setSigningKey`, fed by `LinkInterface::initMavlinkSigning`). Identical to Mission
    /// Planner's.
    QgcSetting,
    /// QGroundControl's signing-key manager (`src/MAVLink/Signing/MAVLinkSigningKeys.h/.cc`,
    /// `addKey`, master in 2026): PBKDF2-HMAC-SHA256 of the UTF-8 passphrase with the fixed salt
    /// `QGroundControl-MAVLink-Signing-v1`, 600 000 iterations, 32 bytes; at least 8 characters.
    QgcKeyManager,
}

const QGC_SALT: &[u8] = b"QGroundControl-MAVLink-Signing-v1";
const QGC_ITERATIONS: u32 = 600_000;
const QGC_MIN_CHARS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassphraseError {
    #[error("the passphrase is empty (an empty key turns signing off in the other tools)")]
    Empty,
    #[error(
        "MAVProxy encodes the passphrase as ASCII and refuses {0:?}: use an ASCII passphrase, or the scheme of the tool that set the key"
    )]
    NotAscii(char),
    #[error(
        "MAVProxy's `signing setup` takes one word: typed there, this passphrase would give the key of {first_word:?} only; use one word"
    )]
    Spaces { first_word: String },
    #[error(
        "QGroundControl's key manager refuses passphrases shorter than {QGC_MIN_CHARS} characters"
    )]
    TooShort,
    #[error(
        "unknown passphrase scheme {0:?}: use mavproxy, mission-planner, qgc-setting or qgc-keys"
    )]
    UnknownScheme(String),
}

impl PassphraseScheme {
    pub const ALL: [PassphraseScheme; 4] = [
        PassphraseScheme::MavProxy,
        PassphraseScheme::MissionPlanner,
        PassphraseScheme::QgcSetting,
        PassphraseScheme::QgcKeyManager,
    ];

    /// The name used on the command line and in the key store.
    pub fn name(self) -> &'static str {
        match self {
            PassphraseScheme::MavProxy => "mavproxy",
            PassphraseScheme::MissionPlanner => "mission-planner",
            PassphraseScheme::QgcSetting => "qgc-setting",
            PassphraseScheme::QgcKeyManager => "qgc-keys",
        }
    }

    pub fn from_name(name: &str) -> Result<Self, PassphraseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| PassphraseError::UnknownScheme(name.to_string()))
    }

    /// One line for people choosing a scheme.
    pub fn describe(self) -> &'static str {
        match self {
            PassphraseScheme::MavProxy => {
                "MAVProxy `signing setup`: SHA-256 of the ASCII passphrase (one word)"
            }
            PassphraseScheme::MissionPlanner => {
                "Mission Planner MAVLink Signing: SHA-256 of the UTF-8 passphrase"
            }
            PassphraseScheme::QgcSetting => {
                "QGroundControl 4.x-5.0 signing key setting: SHA-256 of the UTF-8 text"
            }
            PassphraseScheme::QgcKeyManager => {
                "QGroundControl signing-key manager: PBKDF2-HMAC-SHA256, 600 000 rounds, QGC's salt"
            }
        }
    }

    pub fn derive(self, passphrase: &str) -> Result<SigningKey, PassphraseError> {
        if passphrase.is_empty() {
            return Err(PassphraseError::Empty);
        }
        match self {
            PassphraseScheme::MavProxy => {
                if let Some(c) = passphrase.chars().find(|c| !c.is_ascii()) {
                    return Err(PassphraseError::NotAscii(c));
                }
                if passphrase.split_whitespace().count() != 1 || passphrase.trim() != passphrase {
                    return Err(PassphraseError::Spaces {
                        first_word: passphrase
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_string(),
                    });
                }
                Ok(sha256_key(passphrase.as_bytes()))
            }
            PassphraseScheme::MissionPlanner | PassphraseScheme::QgcSetting => {
                Ok(sha256_key(passphrase.as_bytes()))
            }
            PassphraseScheme::QgcKeyManager => {
                // QString::size counts UTF-16 units; the same as characters outside rare scripts.
                if passphrase.encode_utf16().count() < QGC_MIN_CHARS {
                    return Err(PassphraseError::TooShort);
                }
                Ok(SigningKey::new(pbkdf2_sha256_32(
                    passphrase.as_bytes(),
                    QGC_SALT,
                    QGC_ITERATIONS,
                )))
            }
        }
    }
}

fn sha256_key(bytes: &[u8]) -> SigningKey {
    let digest = Sha256::digest(bytes);
    let mut key = [0u8; 32];
    key.copy_from_slice(&digest);
    SigningKey::new(key)
}

/// PBKDF2 (RFC 8018) with HMAC-SHA256 for one 32-byte block, the only length a key needs.
fn pbkdf2_sha256_32(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    type HmacSha256 = Hmac<Sha256>;
    // HMAC takes a key of any length, so this cannot fail; the zero key is never reached.
    let Ok(keyed) = <HmacSha256 as KeyInit>::new_from_slice(password) else {
        return [0; 32];
    };
    let mut mac = keyed.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut mac = keyed.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_rfc_7914_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1, dkLen=64), first 32 bytes.
        let got = pbkdf2_sha256_32(b"passwd", b"salt", 1);
        assert_eq!(
            hex::encode(got),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn schemes_refuse_what_the_tools_refuse() {
        use PassphraseScheme::*;
        assert_eq!(MavProxy.derive(""), Err(PassphraseError::Empty));
        assert!(matches!(
            MavProxy.derive("clé"),
            Err(PassphraseError::NotAscii('é'))
        ));
        let Err(PassphraseError::Spaces { first_word }) = MavProxy.derive("two words") else {
            panic!()
        };
        assert_eq!(first_word, "two");
        assert_eq!(
            QgcKeyManager.derive("short"),
            Err(PassphraseError::TooShort)
        );
        // Mission Planner and QGroundControl's setting are the same derivation.
        assert_eq!(
            MissionPlanner.derive("clé de la flotte").unwrap(),
            QgcSetting.derive("clé de la flotte").unwrap()
        );
        // On one ASCII word MAVProxy's agrees with them too.
        assert_eq!(
            MavProxy.derive("istres2026").unwrap(),
            QgcSetting.derive("istres2026").unwrap()
        );
        for s in PassphraseScheme::ALL {
            assert_eq!(PassphraseScheme::from_name(s.name()), Ok(s));
        }
        assert!(PassphraseScheme::from_name("qgc").is_err());
    }
}
