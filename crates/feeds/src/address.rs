//! Where a feed comes from, as the operator writes it on the command line.
//!
//! Line feeds (anemometer, SBS-1): `udp://HOST:PORT` (listen), `tcp://HOST:PORT` (connect,
//! reconnecting), `serial:/dev/ttyUSB0:4800` (baud optional, 4800 by NMEA 0183).
//! METAR: the report itself, a file, or an `http(s)://` URL.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// NMEA 0183's standard rate, used when a serial address gives none.
pub const DEFAULT_BAUD: u32 = 4800;

/// A line-oriented byte source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedAddress {
    /// Listen for datagrams on `bind` (a serial-to-UDP bridge sends to it).
    Udp { bind: String },
    /// Connect to `remote`, reconnecting with backoff (TCP servers, dump1090's port 30003).
    Tcp { remote: String },
    /// A serial port, reopened when it comes back.
    Serial { path: String, baud: u32 },
}

const EXAMPLES: &str =
    "write e.g. udp://0.0.0.0:10110, tcp://HOST:PORT or serial:/dev/ttyUSB0:4800";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("feed address {input:?}: {reason}; {EXAMPLES}")]
pub struct AddressError {
    pub input: String,
    pub reason: String,
}

fn host_port(rest: &str) -> Result<String, String> {
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| "missing :PORT".to_string())?;
    if host.is_empty() {
        return Err("missing host (use 0.0.0.0 to listen on every interface)".into());
    }
    if host.contains('/') {
        return Err(format!("{host:?} is not a host name"));
    }
    port.parse::<u16>()
        .map_err(|_| format!("port {port:?} must be a number from 0 to 65535"))?;
    Ok(rest.to_string())
}

impl FromStr for FeedAddress {
    type Err = AddressError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| AddressError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        if let Some(rest) = s.strip_prefix("udp://") {
            return Ok(Self::Udp {
                bind: host_port(rest).map_err(err)?,
            });
        }
        if let Some(rest) = s.strip_prefix("tcp://") {
            return Ok(Self::Tcp {
                remote: host_port(rest).map_err(err)?,
            });
        }
        if let Some(rest) = s.strip_prefix("serial:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let (path, baud) = match rest.rsplit_once(':') {
                Some((path, baud)) => {
                    let baud = baud.parse::<u32>().ok().filter(|b| *b > 0).ok_or_else(|| {
                        err(format!(
                            "baud rate {baud:?} must be a number such as {DEFAULT_BAUD}"
                        ))
                    })?;
                    (path, baud)
                }
                None => (rest, DEFAULT_BAUD),
            };
            if path.is_empty() {
                return Err(err("missing device path".into()));
            }
            return Ok(Self::Serial {
                path: path.to_string(),
                baud,
            });
        }
        // Common near-misses get a pointed hint.
        for (near, fix) in [
            ("udp:", "udp://"),
            ("udpin:", "udp://"),
            ("tcp:", "tcp://"),
            ("tcpout:", "tcp://"),
        ] {
            if let Some(rest) = s.strip_prefix(near) {
                return Err(err(format!("did you mean {fix}{rest}?")));
            }
        }
        Err(err("unknown form".into()))
    }
}

impl fmt::Display for FeedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Udp { bind } => write!(f, "udp://{bind}"),
            Self::Tcp { remote } => write!(f, "tcp://{remote}"),
            Self::Serial { path, baud } => write!(f, "serial:{path}:{baud}"),
        }
    }
}

/// Where a METAR comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetarSource {
    /// The report itself, e.g. `LFMI 281400Z 33012KT CAVOK 18/05 Q1015`.
    Text(String),
    /// A file holding it (re-read when it changes), e.g. a NOAA `stations/LFMI.TXT` copy.
    File(PathBuf),
    /// An `http://` or `https://` URL polled on a period.
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "METAR source {input:?}: {reason}; give the report (\"LFMI 281400Z 33012KT CAVOK 18/05 Q1015\"), a file (file:PATH or a path), or a URL (https://aviationweather.gov/api/data/metar?ids=LFMI&format=raw)"
)]
pub struct MetarSourceError {
    pub input: String,
    pub reason: String,
}

impl FromStr for MetarSource {
    type Err = MetarSourceError;

    /// `http(s)://…` is a URL, `file:…` a file; otherwise anything with a space is the report
    /// (METARs always have spaces, paths rarely do), and the rest is a path.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| MetarSourceError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let after = s.split_once("://").map_or("", |(_, r)| r);
            let host = after.split(['/', '?', '#']).next().unwrap_or("");
            if host.is_empty() {
                return Err(err("the URL has no host"));
            }
            if s.contains(char::is_whitespace) {
                return Err(err("a URL cannot contain spaces (write them as %20)"));
            }
            return Ok(Self::Url(s.to_string()));
        }
        if let Some(path) = s.strip_prefix("file:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(err("file: needs a path"));
            }
            return Ok(Self::File(PathBuf::from(path)));
        }
        if lower.contains("://") {
            return Err(err("only http:// and https:// URLs are fetched"));
        }
        if s.contains(char::is_whitespace) {
            Ok(Self::Text(s.to_string()))
        } else {
            Ok(Self::File(PathBuf::from(s)))
        }
    }
}

impl fmt::Display for MetarSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(t) => f.write_str(t),
            Self::File(p) => write!(f, "file:{}", p.display()),
            Self::Url(u) => f.write_str(u),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::type_complexity)]
    use super::*;

    #[test]
    fn feed_addresses_table() {
        let ok = [
            (
                "udp://0.0.0.0:10110",
                FeedAddress::Udp {
                    bind: "0.0.0.0:10110".into(),
                },
            ),
            (
                "udp://[::]:10110",
                FeedAddress::Udp {
                    bind: "[::]:10110".into(),
                },
            ),
            (
                "tcp://192.168.1.20:30003",
                FeedAddress::Tcp {
                    remote: "192.168.1.20:30003".into(),
                },
            ),
            (
                "tcp://dump1090.local:30003",
                FeedAddress::Tcp {
                    remote: "dump1090.local:30003".into(),
                },
            ),
            (
                "serial:/dev/ttyUSB0:4800",
                FeedAddress::Serial {
                    path: "/dev/ttyUSB0".into(),
                    baud: 4800,
                },
            ),
            (
                "serial:/dev/ttyS1",
                FeedAddress::Serial {
                    path: "/dev/ttyS1".into(),
                    baud: DEFAULT_BAUD,
                },
            ),
            (
                "serial:///dev/ttyUSB0:38400",
                FeedAddress::Serial {
                    path: "/dev/ttyUSB0".into(),
                    baud: 38400,
                },
            ),
        ];
        for (s, want) in ok {
            let got: FeedAddress = s.parse().unwrap();
            assert_eq!(got, want, "{s}");
            assert_eq!(got.to_string().parse::<FeedAddress>().unwrap(), want);
        }
        let bad = [
            ("", "unknown form"),
            ("udp://10110", "missing :PORT"),
            ("udp://:10110", "missing host"),
            ("tcp://host:99999", "from 0 to 65535"),
            ("serial:", "missing device path"),
            ("serial:/dev/ttyUSB0:fast", "baud rate"),
            ("udp:0.0.0.0:10110", "did you mean udp://0.0.0.0:10110"),
            ("udpin:0.0.0.0:10110", "did you mean udp://"),
            ("tcpout:host:1", "did you mean tcp://host:1"),
            ("/dev/ttyUSB0", "unknown form"),
        ];
        for (s, reason) in bad {
            let e = s.parse::<FeedAddress>().unwrap_err().to_string();
            assert!(e.contains(reason), "{s}: {e}");
            assert!(e.contains("udp://0.0.0.0:10110"), "names the fix: {e}");
        }
    }

    #[test]
    fn metar_sources_table() {
        let ok = [
            (
                "LFMI 281400Z 33012KT CAVOK 18/05 Q1015",
                MetarSource::Text("LFMI 281400Z 33012KT CAVOK 18/05 Q1015".into()),
            ),
            (
                "https://aviationweather.gov/api/data/metar?ids=LFMI&format=raw",
                MetarSource::Url(
                    "https://aviationweather.gov/api/data/metar?ids=LFMI&format=raw".into(),
                ),
            ),
            (
                "http://127.0.0.1:8080/LFMI.TXT",
                MetarSource::Url("http://127.0.0.1:8080/LFMI.TXT".into()),
            ),
            (
                "/var/lib/vigie/LFMI.TXT",
                MetarSource::File("/var/lib/vigie/LFMI.TXT".into()),
            ),
            (
                "file:/tmp/my metar.txt",
                MetarSource::File("/tmp/my metar.txt".into()),
            ),
        ];
        for (s, want) in ok {
            assert_eq!(s.parse::<MetarSource>().unwrap(), want, "{s}");
        }
        for (s, reason) in [
            ("", "empty"),
            ("https:///x", "no host"),
            ("ftp://tgftp.nws.noaa.gov/data/LFMI.TXT", "only http"),
            ("file:", "needs a path"),
        ] {
            let e = s.parse::<MetarSource>().unwrap_err().to_string();
            assert!(
                e.contains(reason) && e.contains("aviationweather"),
                "{s}: {e}"
            );
        }
    }
}
