//! The station's Ed25519 key: created at first start, private key file 0600, public key exportable.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

use crate::error::{Error, Result};

pub const PRIVATE_KEY_FILE: &str = "station-ed25519.key";
pub const PUBLIC_KEY_FILE: &str = "station-ed25519.pub";
pub const PUBLIC_KEY_PEM_FILE: &str = "station-ed25519.pub.pem";

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

pub struct StationKey {
    signing: SigningKey,
    path: PathBuf,
}

impl std::fmt::Debug for StationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("StationKey")
            .field("path", &self.path)
            .field("public", &self.public_hex())
            .finish()
    }
}

impl StationKey {
    /// Load `keys_dir/station-ed25519.key`, or create it (with the public key files) when absent.
    pub fn load_or_create(keys_dir: &Path) -> Result<StationKey> {
        let path = keys_dir.join(PRIVATE_KEY_FILE);
        if path.exists() {
            return Self::load(&path);
        }
        crate::fsutil::create_private_dir(keys_dir)?;
        let mut seed = [0u8; 32];
        use rand::TryRngCore as _;
        rand::rngs::OsRng
            .try_fill_bytes(&mut seed)
            .map_err(|e| Error::Key {
                path: path.display().to_string(),
                detail: format!("the operating system gave no random bytes for a new key: {e}"),
            })?;
        let key = StationKey {
            signing: SigningKey::from_bytes(&seed),
            path: path.clone(),
        };
        // Written to a temporary file then renamed, so a crash never leaves half a key.
        write_atomic(&path, format!("{}\n", hex::encode(seed)).as_bytes(), 0o600)?;
        key.export_public(keys_dir)?;
        Ok(key)
    }

    pub fn load(path: &Path) -> Result<StationKey> {
        let key_err = |detail: String| Error::Key {
            path: path.display().to_string(),
            detail,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(key_err(format!(
                    "private key readable by others (mode {mode:o}); run `chmod 600 {}`",
                    path.display()
                )));
            }
        }
        let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let bytes = hex::decode(text.trim())
            .map_err(|e| key_err(format!("not a hex-encoded 32-byte Ed25519 seed: {e}")))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| key_err("not a hex-encoded 32-byte Ed25519 seed (wrong length)".into()))?;
        Ok(StationKey {
            signing: SigningKey::from_bytes(&seed),
            path: path.to_path_buf(),
        })
    }

    /// Write `station-ed25519.pub` (hex) and `station-ed25519.pub.pem` (SPKI, for OpenSSL) into `dir`.
    pub fn export_public(&self, dir: &Path) -> Result<()> {
        crate::fsutil::create_private_dir(dir)?;
        // 0600 like everything the register writes: whoever needs the public key gets it from the
        // service (or `vigie register public-key`), not by reading the station's disk.
        write_atomic(
            &dir.join(PUBLIC_KEY_FILE),
            format!("{}\n", self.public_hex()).as_bytes(),
            0o600,
        )?;
        write_atomic(
            &dir.join(PUBLIC_KEY_PEM_FILE),
            public_pem(&self.public_bytes()).as_bytes(),
            0o600,
        )
    }

    pub fn public_bytes(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.public_bytes())
    }

    /// Station identifier derived from the public key, so two stations never share one.
    pub fn station_id(&self) -> String {
        format!(
            "st-{}",
            &crate::chain::sha256_hex(&self.public_bytes())[..12]
        )
    }

    /// Hex signature over `message`.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        hex::encode(self.signing.sign(message).to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// Check a hex signature made by a hex public key. `Err` says what is wrong.
pub fn verify_hex(
    public_hex: &str,
    message: &[u8],
    signature_hex: &str,
) -> std::result::Result<(), String> {
    let pk: [u8; 32] = hex::decode(public_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("public key {public_hex:?} is not 32 bytes of hex"))?;
    let sig: [u8; 64] = hex::decode(signature_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "signature is not 64 bytes of hex".to_string())?;
    let vk = VerifyingKey::from_bytes(&pk).map_err(|e| format!("public key invalid: {e}"))?;
    vk.verify(message, &Signature::from_bytes(&sig))
        .map_err(|_| "signature does not match".to_string())
}

/// A public key given by whoever verifies: 64 hex digits, or the text of a `.pub` (hex) or
/// `.pub.pem` (SPKI) file. Returns the key as lowercase hex.
pub fn parse_public_key(text: &str) -> std::result::Result<String, String> {
    let t = text.trim();
    if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(t.to_ascii_lowercase());
    }
    if t.starts_with("-----BEGIN PUBLIC KEY-----") {
        let body: String = t
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        let der =
            base64_decode(body.trim()).ok_or_else(|| "the PEM body is not base64".to_string())?;
        if der.len() == 44 && der[..12] == SPKI_PREFIX {
            return Ok(hex::encode(&der[12..]));
        }
        return Err(
            "the PEM key is not an Ed25519 public key (SubjectPublicKeyInfo, RFC 8410)".into(),
        );
    }
    Err("expected 64 hex digits (station-ed25519.pub) or a PEM public key (station-ed25519.pub.pem)".into())
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = T.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub fn public_pem(public: &[u8; 32]) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(public);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64(&der)
    )
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Write a file durably: temporary file, fsync, rename, fsync the directory.
pub(crate) fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let tmp = path.with_extension("tmp-write");
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(data).map_err(|e| Error::io(&tmp, e))?;
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    if let Some(dir) = path.parent()
        && let Ok(d) = fs::File::open(dir)
    {
        d.sync_all().map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn pinned_keys_parse_from_hex_and_pem() {
        let k = [7u8; 32];
        let hex_key = hex::encode(k);
        assert_eq!(parse_public_key(&hex_key).unwrap(), hex_key);
        assert_eq!(parse_public_key(&public_pem(&k)).unwrap(), hex_key);
        assert!(parse_public_key("abc").is_err());
    }

    #[test]
    fn sign_and_verify_round_trip_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::load_or_create(dir.path()).unwrap();
        let again = StationKey::load_or_create(dir.path()).unwrap();
        assert_eq!(key.public_hex(), again.public_hex());
        let sig = key.sign_hex(b"abc");
        assert!(verify_hex(&key.public_hex(), b"abc", &sig).is_ok());
        assert!(verify_hex(&key.public_hex(), b"abd", &sig).is_err());
    }
}
