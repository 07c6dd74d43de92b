//! Secrets the video side carries (a camera's password, an SRT passphrase): they go into element
//! properties and nowhere else. `Debug` prints `***`, there is no `Display`, and nothing in this
//! crate formats one into a log line, an error, an event or a URL.

use std::path::Path;

use crate::error::{Result, VideoError};

/// A secret string. Compare and pass it on; read it only with [`Secret::expose`], to hand it to
/// GStreamer.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret itself, for the element property that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// An account on an RTSP camera (from the `user:password@` of its URL).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: Secret,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}:***)", self.user)
    }
}

/// An SRT passphrase: 10 to 79 bytes (what libsrt accepts), encryption with AES-256.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtPassphrase(Secret);

impl SrtPassphrase {
    pub const MIN_BYTES: usize = 10;
    pub const MAX_BYTES: usize = 79;

    /// Check the length. The error never repeats the passphrase.
    pub fn new(text: &str) -> Result<SrtPassphrase> {
        let n = text.len();
        if !(Self::MIN_BYTES..=Self::MAX_BYTES).contains(&n) {
            return Err(VideoError::BadSecret(format!(
                "the SRT passphrase has {n} bytes; SRT needs {} to {} (use a long random phrase)",
                Self::MIN_BYTES,
                Self::MAX_BYTES
            )));
        }
        if text.chars().any(char::is_control) {
            return Err(VideoError::BadSecret(
                "the SRT passphrase contains a control character (a newline?); remove it".into(),
            ));
        }
        Ok(SrtPassphrase(Secret::new(text)))
    }

    /// Read it from a file (its first line), which must be readable by its owner only.
    pub fn from_file(path: &Path) -> Result<SrtPassphrase> {
        let io = |source| VideoError::Io {
            path: path.to_owned(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(VideoError::BadSecret(format!(
                    "{} is readable by other accounts (mode {:o}); run `chmod 600 {}`",
                    path.display(),
                    mode & 0o777,
                    path.display()
                )));
            }
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
        SrtPassphrase::new(line).map_err(|e| match e {
            VideoError::BadSecret(reason) => {
                VideoError::BadSecret(format!("{}: {reason}", path.display()))
            }
            other => other,
        })
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl std::fmt::Debug for SrtPassphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SrtPassphrase(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credentials {
            user: "cam".into(),
            password: Secret::new("hunter2-long"),
        };
        let p = SrtPassphrase::new("correct horse battery").unwrap();
        let text = format!("{c:?} {p:?} {:?}", Secret::new("abc"));
        assert!(!text.contains("hunter2") && !text.contains("horse") && !text.contains("abc"));
        assert!(text.contains("cam"), "{text}");
    }

    #[test]
    fn passphrase_length_is_checked_without_echoing_it() {
        for bad in ["short", &"x".repeat(80)] {
            let e = SrtPassphrase::new(bad).unwrap_err().to_string();
            assert!(e.contains("10 to 79") && !e.contains(bad), "{e}");
        }
        assert!(SrtPassphrase::new("0123456789").is_ok());
        assert!(SrtPassphrase::new("0123456789\n").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_passphrase_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("srt.pass");
        std::fs::write(&path, "a long enough passphrase\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = SrtPassphrase::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            SrtPassphrase::from_file(&path).unwrap().expose(),
            "a long enough passphrase"
        );
    }
}
