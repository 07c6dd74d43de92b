//! Connecting to PostgreSQL the way libpq does, TLS included: `sslmode` disable / allow / prefer /
//! require / verify-ca / verify-full, `sslrootcert`, `sslcert`, `sslkey`, in a `key=value`
//! conninfo or a `postgresql://` URL. The `postgres` crate only knows disable/prefer/require and
//! has no TLS of its own, so the ssl keys are taken out here and given to an OpenSSL connector.

use std::path::PathBuf;

use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use postgres_openssl::MakeTlsConnector;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// libpq's default: TLS when the server offers it, without checking its certificate.
    Prefer,
    /// TLS, certificate not checked (checked against `sslrootcert` when one is given, as libpq does).
    Require,
    /// TLS, the server's certificate must chain to `sslrootcert`.
    VerifyCa,
    /// `VerifyCa`, and the certificate must name the host connected to.
    VerifyFull,
}

/// A parsed conninfo: what `postgres` understands, plus the TLS settings.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The conninfo without the ssl keys (what `postgres::Config` parses).
    rest: String,
    pub ssl_mode: SslMode,
    pub root_cert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// For messages: the conninfo without any password.
    pub label: String,
}

fn bad(detail: String) -> Error {
    Error::BadInput(format!("PostgreSQL conninfo: {detail}"))
}

/// Split `key=value key='quoted value'` pairs (libpq's syntax: single quotes, backslash escapes).
fn split_pairs(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(bad(format!(
                "expected `{key}=value` (key=value pairs separated by spaces)"
            )));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(bad(format!("unterminated quote in the value of `{key}`"))),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        out.push((key, value));
    }
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const SSL_KEYS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

impl ConnInfo {
    pub fn parse(conninfo: &str) -> Result<ConnInfo> {
        let mut ssl: Vec<(String, String)> = Vec::new();
        let (rest, label) =
            if conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://") {
                let (base, query) = conninfo.split_once('?').unwrap_or((conninfo, ""));
                let mut kept = Vec::new();
                for kv in query.split('&').filter(|kv| !kv.is_empty()) {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    if SSL_KEYS.contains(&k) {
                        ssl.push((k.to_string(), percent_decode(v)));
                    } else {
                        kept.push(kv.to_string());
                    }
                }
                let rest = if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                };
                // user:password@host → user@host in messages.
                let label = match (base.find("://"), base.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme => {
                        let userinfo = &base[scheme + 3..at];
                        let user = userinfo.split(':').next().unwrap_or("");
                        format!("{}{user}{}", &base[..scheme + 3], &base[at..])
                    }
                    _ => base.to_string(),
                };
                (rest, label)
            } else {
                let mut kept = Vec::new();
                let mut shown = Vec::new();
                for (k, v) in split_pairs(conninfo)? {
                    if SSL_KEYS.contains(&k.as_str()) {
                        ssl.push((k, v));
                        continue;
                    }
                    if k != "password" {
                        shown.push(format!("{k}={v}"));
                    }
                    kept.push(format!("{k}={}", quote(&v)));
                }
                (kept.join(" "), shown.join(" "))
            };
        let mut info = ConnInfo {
            rest,
            ssl_mode: SslMode::Prefer,
            root_cert: None,
            client_cert: None,
            client_key: None,
            label: String::new(),
        };
        let mut mode_text = "prefer".to_string();
        for (k, v) in ssl {
            match k.as_str() {
                "sslmode" => {
                    info.ssl_mode = match v.as_str() {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" => SslMode::VerifyCa,
                        "verify-full" => SslMode::VerifyFull,
                        other => {
                            return Err(bad(format!(
                                "sslmode={other:?}: use disable, prefer, require, verify-ca or verify-full"
                            )));
                        }
                    };
                    mode_text = v;
                }
                "sslrootcert" => info.root_cert = Some(PathBuf::from(v)),
                "sslcert" => info.client_cert = Some(PathBuf::from(v)),
                _ => info.client_key = Some(PathBuf::from(v)),
            }
        }
        info.label = format!("postgresql({label} sslmode={mode_text})");
        // libpq's default CA file, as it looks for it.
        if info.root_cert.is_none()
            && matches!(info.ssl_mode, SslMode::VerifyCa | SslMode::VerifyFull)
            && let Some(home) = std::env::var_os("HOME")
        {
            let default = PathBuf::from(home).join(".postgresql/root.crt");
            if default.exists() {
                info.root_cert = Some(default);
            }
        }
        Ok(info)
    }

    fn connector(&self) -> Result<MakeTlsConnector> {
        let tls = |detail: String| Error::Database {
            path: self.label.clone(),
            detail: format!("TLS setup: {detail}"),
        };
        let mut b =
            SslConnector::builder(SslMethod::tls_client()).map_err(|e| tls(e.to_string()))?;
        let verify = match self.ssl_mode {
            SslMode::VerifyCa | SslMode::VerifyFull => true,
            SslMode::Require => self.root_cert.is_some(),
            SslMode::Disable | SslMode::Prefer => false,
        };
        if verify {
            match &self.root_cert {
                Some(p) if p.as_os_str() == "system" => b
                    .set_default_verify_paths()
                    .map_err(|e| tls(e.to_string()))?,
                Some(p) => b.set_ca_file(p).map_err(|e| {
                    tls(format!(
                        "sslrootcert {}: {e} (a PEM file with the CA that signed the server's certificate)",
                        p.display()
                    ))
                })?,
                None => {
                    return Err(bad(format!(
                        "{}: sslmode verify-ca/verify-full needs sslrootcert=FILE (the CA that signed the server's certificate, PEM), or sslrootcert=system",
                        self.label
                    )));
                }
            }
            b.set_verify(SslVerifyMode::PEER);
        } else {
            b.set_verify(SslVerifyMode::NONE);
        }
        match (&self.client_cert, &self.client_key) {
            (Some(c), Some(k)) => {
                b.set_certificate_chain_file(c)
                    .map_err(|e| tls(format!("sslcert {}: {e}", c.display())))?;
                b.set_private_key_file(k, SslFiletype::PEM)
                    .map_err(|e| tls(format!("sslkey {}: {e}", k.display())))?;
            }
            (None, None) => {}
            _ => {
                return Err(bad(
                    "sslcert and sslkey go together (the client certificate and its key)".into(),
                ));
            }
        }
        let mut connector = MakeTlsConnector::new(b.build());
        if self.ssl_mode != SslMode::VerifyFull {
            // Only verify-full checks that the certificate names the host (libpq semantics).
            connector.set_callback(|cfg, _host| {
                cfg.set_verify_hostname(false);
                Ok(())
            });
        }
        Ok(connector)
    }

    pub fn connect(&self) -> Result<postgres::Client> {
        let mut config: postgres::Config = self
            .rest
            .parse()
            .map_err(|e| bad(format!("{}: {e}", self.label)))?;
        config.ssl_mode(match self.ssl_mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
        if self.ssl_mode == SslMode::Disable {
            return config
                .connect(postgres::NoTls)
                .map_err(|e| Error::postgres(&self.label, e));
        }
        config
            .connect(self.connector()?)
            .map_err(|e| Error::postgres(&self.label, e))
    }
}

/// Connect with a libpq-style conninfo (TLS as `sslmode` says). Tests and tools use it too.
pub fn connect(conninfo: &str) -> Result<(postgres::Client, String)> {
    let info = ConnInfo::parse(conninfo)?;
    let client = info.connect()?;
    Ok((client, info.label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_keys_are_taken_out_and_passwords_never_shown() {
        let c = ConnInfo::parse(
            "host=db.csu.example port=5432 user=st password='s3 cr\\'et' dbname=register sslmode=verify-full sslrootcert=/etc/vigie/ca.pem",
        )
        .unwrap();
        assert_eq!(c.ssl_mode, SslMode::VerifyFull);
        assert_eq!(
            c.root_cert.as_deref(),
            Some(std::path::Path::new("/etc/vigie/ca.pem"))
        );
        assert!(!c.label.contains("s3"), "{}", c.label);
        assert!(c.rest.contains("password='s3 cr\\'et'"), "{}", c.rest);
        assert!(!c.rest.contains("sslmode"));
        let u = ConnInfo::parse(
            "postgresql://st:secret@db:5432/register?sslmode=verify-ca&sslrootcert=%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(u.ssl_mode, SslMode::VerifyCa);
        assert_eq!(
            u.root_cert.as_deref(),
            Some(std::path::Path::new("/ca.pem"))
        );
        assert_eq!(
            u.rest,
            "postgresql://st:secret@db:5432/register?application_name=x"
        );
        assert!(!u.label.contains("secret"), "{}", u.label);
        assert!(ConnInfo::parse("host=x sslmode=sometimes").is_err());
        assert!(ConnInfo::parse("host").is_err());
    }
}
