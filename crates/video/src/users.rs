//! CSU viewer accounts for the RTSP restream, stored as an htdigest file: `user:realm:HA1` with
//! HA1 = MD5(user:realm:password), which is exactly what RTSP digest authentication needs and what
//! gst-rtsp-server reads (`RTSPAuth::parse_htdigest`). The password itself is never stored.
//!
//! HA1 is a fast hash: the file must stay readable only by the station's account (it is written 0600).

use std::path::Path;

use gstreamer::glib;

use crate::error::{Result, VideoError};

/// Digest realm of the restream; part of every HA1, so changing it invalidates every account.
pub const REALM: &str = "Vigie";

/// Minimum password length accepted for a viewer account.
pub const MIN_PASSWORD_LEN: usize = 10;

/// One account line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user: String,
    pub ha1_hex: String,
}

/// HA1 = MD5(user:realm:password), lower-case hex.
pub fn ha1(user: &str, password: &str) -> String {
    glib::compute_checksum_for_string(
        glib::ChecksumType::Md5,
        format!("{user}:{REALM}:{password}"),
    )
    .map(|s| s.to_string())
    .unwrap_or_default()
}

fn check_user(user: &str) -> Result<()> {
    let ok = !user.is_empty()
        && user.len() <= 64
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(VideoError::BadAccount(format!(
            "account name `{user}`: use 1-64 characters among letters, digits, '.', '-', '_', '@'"
        )))
    }
}

/// Parse an htdigest file's text. Lines of another realm are refused (they could never log in).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Account>> {
    let mut accounts: Vec<Account> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: String| VideoError::UsersFile {
            path: path.to_owned(),
            line: i + 1,
            reason,
        };
        let parts: Vec<&str> = line.split(':').collect();
        let [user, realm, hash] = parts[..] else {
            return Err(bad(
                "expected `user:realm:md5hex`; add accounts with `vigie video users add`".into(),
            ));
        };
        if realm != REALM {
            return Err(bad(format!(
                "realm `{realm}` is not `{REALM}`; re-create this account with `vigie video users add`"
            )));
        }
        check_user(user).map_err(|e| bad(e.to_string()))?;
        if hash.len() != 32 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the hash is not 32 hex digits".into()));
        }
        if accounts.iter().any(|a| a.user == user) {
            return Err(bad(format!("account `{user}` appears twice")));
        }
        accounts.push(Account {
            user: user.to_owned(),
            ha1_hex: hash.to_ascii_lowercase(),
        });
    }
    Ok(accounts)
}

/// Read and validate an accounts file.
pub fn load(path: &Path) -> Result<Vec<Account>> {
    let text = std::fs::read_to_string(path).map_err(|source| VideoError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// Add or replace an account (the file is created 0600 when missing). Returns true when it replaced one.
pub fn add(path: &Path, user: &str, password: &str) -> Result<bool> {
    check_user(user)?;
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(VideoError::BadAccount(format!(
            "the password for `{user}` is shorter than {MIN_PASSWORD_LEN} characters"
        )));
    }
    let mut accounts = match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(VideoError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let replaced = accounts.iter().any(|a| a.user == user);
    accounts.retain(|a| a.user != user);
    accounts.push(Account {
        user: user.to_owned(),
        ha1_hex: ha1(user, password),
    });
    let mut text = String::new();
    for a in &accounts {
        text.push_str(&format!("{}:{REALM}:{}\n", a.user, a.ha1_hex));
    }
    write_private(path, &text)?;
    Ok(replaced)
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let io = |source| VideoError::Io {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ha1_matches_the_rfc2617_definition() {
        // md5("alice:Vigie:correct horse") computed independently with `printf %s … | md5sum`.
        assert_eq!(
            ha1("alice", "correct horse"),
            "85bfa5513a3931f86a8522489e7ced98"
        );
    }

    #[test]
    fn add_creates_replaces_and_never_stores_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("viewers.htdigest");
        assert!(!add(&path, "csu.istres", "correct horse battery").unwrap());
        assert!(!add(&path, "bob", "another long one").unwrap());
        assert!(add(&path, "bob", "changed password!").unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("correct horse"), "{text}");
        let accounts = load(&path).unwrap();
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[1].ha1_hex, ha1("bob", "changed password!"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn bad_files_and_accounts_name_the_line_and_the_fix() {
        let p = Path::new("viewers.htdigest");
        let rows = [
            ("alice:Vigie\n", "line 1", "user:realm:md5hex"),
            (
                "# c\nalice:Other:e4e7d7ff3df93a2ca1a7e2db3dbc1a01\n",
                "line 2",
                "realm `Other`",
            ),
            ("alice:Vigie:xyz\n", "line 1", "32 hex digits"),
        ];
        for (text, line, needle) in rows {
            let e = parse(p, text).unwrap_err().to_string();
            assert!(e.contains(line) && e.contains(needle), "{e}");
        }
        let dir = tempfile::tempdir().unwrap();
        let e = add(&dir.path().join("f"), "al ice", "long enough password")
            .unwrap_err()
            .to_string();
        assert!(e.contains("account name"), "{e}");
        let e = add(&dir.path().join("f"), "alice", "short")
            .unwrap_err()
            .to_string();
        assert!(e.contains("shorter than"), "{e}");
    }
}
