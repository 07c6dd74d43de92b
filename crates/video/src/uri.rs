//! Video source URIs, parsed once into a typed [`SourceUri`].
//!
//! Accepted (DESIGN.md "Video URIs" and VIDEO_STREAM_INFORMATION as the simulator announces it):
//! - `5600` (a bare port: RTP/UDP H.264 on every interface, as QGroundControl),
//! - `udp://HOST:PORT`, `rtp://HOST:PORT` (RTP over UDP; HOST is the address to listen on),
//! - `mpegts://HOST:PORT` or `udp://HOST:PORT?container=mpegts` (MPEG-TS over UDP),
//! - `rtsp://[USER:PASS@]HOST[:PORT]/PATH` (`?transport=tcp|udp` picks the RTSP transport),
//! - `srt://HOST:PORT` (MPEG-TS over SRT; `?mode=listener` to wait for the sender),
//! - `?codec=h265` on any of them (H.264 otherwise).
//!
//! A URI is text from outside (the command line, a camera's VIDEO_STREAM_INFORMATION): only the
//! characters RFC 3986 allows are accepted, hosts must be addresses or host names, and a camera's
//! `user:password@` is taken out of the URL into [`Credentials`] (given to `rtspsrc` as properties,
//! so no URL, log line, error or event carries the password). SRT passphrases never come in a URI.

use std::fmt;

use crate::error::{Result, VideoError};
use crate::secret::{Credentials, Secret, SrtPassphrase};

/// Video codec carried by a source (and re-payloaded as-is by the restream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Codec {
    H264,
    H265,
}

impl Codec {
    pub(crate) fn rtp_encoding(self) -> &'static str {
        match self {
            Codec::H264 => "H264",
            Codec::H265 => "H265",
        }
    }
    pub(crate) fn depay(self) -> &'static str {
        match self {
            Codec::H264 => "rtph264depay",
            Codec::H265 => "rtph265depay",
        }
    }
    pub(crate) fn pay(self) -> &'static str {
        match self {
            Codec::H264 => "rtph264pay",
            Codec::H265 => "rtph265pay",
        }
    }
    pub(crate) fn parse(self) -> &'static str {
        match self {
            Codec::H264 => "h264parse",
            Codec::H265 => "h265parse",
        }
    }
    pub(crate) fn decoder(self) -> &'static str {
        match self {
            Codec::H264 => "avdec_h264",
            Codec::H265 => "avdec_h265",
        }
    }
    /// Media type of the elementary stream. Between pipelines it travels one access unit per
    /// buffer, in the format the depayloader/demuxer gives. (Converting RTP's avc to byte-stream
    /// with h264parse gave undecodable P-frames from x264 zerolatency streams here: no conversion.)
    pub(crate) fn media_type(self) -> &'static str {
        match self {
            Codec::H264 => "video/x-h264",
            Codec::H265 => "video/x-h265",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Codec::H264 => "H.264",
            Codec::H265 => "H.265",
        })
    }
}

/// Lower transport of an RTSP session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtspTransport {
    /// Let the client negotiate (UDP first, TCP when UDP fails).
    Any,
    Tcp,
    Udp,
}

/// SRT connection mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrtMode {
    Caller,
    Listener,
}

/// Where a stream comes from, parsed from a URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceUri {
    /// RTP over UDP, received on `listen_host:port`.
    RtpUdp {
        listen_host: String,
        port: u16,
        codec: Codec,
    },
    /// MPEG-TS over UDP, received on `listen_host:port`.
    MpegTsUdp {
        listen_host: String,
        port: u16,
        codec: Codec,
    },
    /// An RTSP camera or server; `url` is what `rtspsrc` gets as its location: no credentials
    /// (they are in `credentials`), our query keys removed. `rtsps://` is always read over TCP.
    Rtsp {
        url: String,
        credentials: Option<Credentials>,
        transport: RtspTransport,
        codec: Codec,
    },
    /// MPEG-TS over SRT. A listener needs a passphrase ([`SourceUri::with_srt_passphrase`]).
    Srt {
        host: String,
        port: u16,
        mode: SrtMode,
        codec: Codec,
        passphrase: Option<SrtPassphrase>,
    },
}

impl SourceUri {
    /// Parse a URI or a bare port number.
    pub fn parse(text: &str) -> Result<SourceUri> {
        let text = text.trim();
        let bad = |reason: &str| VideoError::BadUri {
            uri: redact_text(text),
            reason: reason.to_owned(),
        };
        if let Some(c) = text.chars().find(|c| !uri_char(*c)) {
            return Err(bad(&format!(
                "the character {c:?} is not allowed in a URI; percent-encode it (RFC 3986)"
            )));
        }
        if text.is_empty() {
            return Err(bad(
                "empty; give e.g. `udp://0.0.0.0:5600`, `rtsp://HOST:8554/PATH` or a port number",
            ));
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            let port = parse_port(text).map_err(|r| bad(&r))?;
            return Ok(SourceUri::RtpUdp {
                listen_host: "0.0.0.0".into(),
                port,
                codec: Codec::H264,
            });
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(bad(
                "no scheme; use udp://, rtp://, mpegts://, rtsp://, srt:// or a bare port number",
            ));
        };
        let (body, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let mut params = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            params.push((k.to_ascii_lowercase(), v.to_owned()));
        }
        let mut codec = Codec::H264;
        let mut unknown = Vec::new();
        let mut transport = RtspTransport::Any;
        let mut container_ts = false;
        let mut srt_mode = SrtMode::Caller;
        let scheme = scheme.to_ascii_lowercase();
        for (k, v) in &params {
            match k.as_str() {
                "codec" => {
                    codec = match v.to_ascii_lowercase().as_str() {
                        "h264" | "avc" => Codec::H264,
                        "h265" | "hevc" => Codec::H265,
                        _ => {
                            return Err(bad(&format!(
                                "codec `{v}` is not supported; use codec=h264 or codec=h265"
                            )));
                        }
                    }
                }
                "transport" if scheme.starts_with("rtsp") => {
                    transport = match v.to_ascii_lowercase().as_str() {
                        "tcp" => RtspTransport::Tcp,
                        "udp" => RtspTransport::Udp,
                        _ => {
                            return Err(bad(&format!(
                                "transport `{v}`: use transport=tcp or transport=udp"
                            )));
                        }
                    }
                }
                "container" if scheme == "udp" => {
                    container_ts = match v.to_ascii_lowercase().as_str() {
                        "mpegts" | "ts" => true,
                        "rtp" => false,
                        _ => {
                            return Err(bad(&format!(
                                "container `{v}`: use container=mpegts or container=rtp"
                            )));
                        }
                    }
                }
                "passphrase" | "pbkeylen" if scheme == "srt" => {
                    return Err(bad(
                        "an SRT passphrase never goes in a URI (it would show in the process list \
                         and the logs); give it in VIGIE_SRT_PASSPHRASE or a passphrase file",
                    ));
                }
                "mode" if scheme == "srt" => {
                    srt_mode = match v.to_ascii_lowercase().as_str() {
                        "caller" => SrtMode::Caller,
                        "listener" => SrtMode::Listener,
                        _ => {
                            return Err(bad(&format!(
                                "mode `{v}`: use mode=caller or mode=listener"
                            )));
                        }
                    }
                }
                _ => unknown.push(format!("{k}={v}")),
            }
        }
        match scheme.as_str() {
            "udp" | "rtp" | "mpegts" => {
                if !unknown.is_empty() {
                    return Err(bad(&format!(
                        "unknown option(s) {}; known: codec, container",
                        unknown.join(", ")
                    )));
                }
                let (host, port) = split_host_port(body).map_err(|r| bad(&r))?;
                check_host(&host, true).map_err(|r| bad(&r))?;
                let listen_host = if host.is_empty() {
                    "0.0.0.0".to_owned()
                } else {
                    host
                };
                if scheme == "mpegts" || container_ts {
                    Ok(SourceUri::MpegTsUdp {
                        listen_host,
                        port,
                        codec,
                    })
                } else {
                    Ok(SourceUri::RtpUdp {
                        listen_host,
                        port,
                        codec,
                    })
                }
            }
            "rtsp" | "rtsps" | "rtspt" => {
                let (authority, path) = match body.find('/') {
                    Some(i) => (&body[..i], &body[i..]),
                    None => (body, ""),
                };
                let (userinfo, host_part) = match authority.rfind('@') {
                    Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
                    None => (None, authority),
                };
                if host_part.is_empty() {
                    return Err(bad("no host; use rtsp://HOST:PORT/PATH"));
                }
                let host = if host_part.ends_with(']') || !host_part.contains(':') {
                    host_part
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_owned()
                } else {
                    split_host_port(host_part).map_err(|r| bad(&r))?.0
                };
                check_host(&host, false).map_err(|r| bad(&r))?;
                let credentials = match userinfo {
                    None => None,
                    Some(info) => {
                        let (user, password) = info.split_once(':').unwrap_or((info, ""));
                        let user = percent_decode(user).map_err(|r| bad(&r))?;
                        let password = percent_decode(password).map_err(|r| bad(&r))?;
                        if user.is_empty() {
                            return Err(bad("an empty account name before `@`"));
                        }
                        Some(Credentials {
                            user,
                            password: Secret::new(password),
                        })
                    }
                };
                if scheme == "rtspt" {
                    transport = RtspTransport::Tcp;
                }
                if scheme == "rtsps" {
                    // TLS end to end: RTP inside the TLS connection, never beside it in clear UDP.
                    if transport == RtspTransport::Udp {
                        return Err(bad(
                            "rtsps:// carries the video inside its TLS connection: transport=udp \
                             would send it in clear; remove transport=udp",
                        ));
                    }
                    transport = RtspTransport::Tcp;
                }
                // Keys we do not know belong to the camera's own URL; the account does not.
                let mut url = format!("{scheme}://{host_part}{path}");
                if !unknown.is_empty() {
                    url.push('?');
                    url.push_str(&unknown.join("&"));
                }
                Ok(SourceUri::Rtsp {
                    url,
                    credentials,
                    transport,
                    codec,
                })
            }
            "srt" => {
                if !unknown.is_empty() {
                    return Err(bad(&format!(
                        "unknown option(s) {}; known: codec, mode",
                        unknown.join(", ")
                    )));
                }
                let (host, port) = split_host_port(body).map_err(|r| bad(&r))?;
                check_host(&host, srt_mode == SrtMode::Listener).map_err(|r| bad(&r))?;
                let host = if host.is_empty() {
                    "0.0.0.0".to_owned()
                } else {
                    host
                };
                Ok(SourceUri::Srt {
                    host,
                    port,
                    mode: srt_mode,
                    codec,
                    passphrase: None,
                })
            }
            other => Err(bad(&format!(
                "scheme `{other}` is not supported; use udp://, rtp://, mpegts://, rtsp://, srt:// or a bare port"
            ))),
        }
    }

    /// From a VIDEO_STREAM_INFORMATION (MAVLink 269) as the link crate hands it over, in plain numbers:
    /// `stream_type` VIDEO_STREAM_TYPE (0 RTSP, 1 RTP/UDP, 2 TCP/MPEG, 3 MPEG-TS), `encoding`
    /// VIDEO_STREAM_ENCODING (0 unknown, 1 H.264, 2 H.265), `uri` as sent. A `?codec=` in the URI wins.
    pub fn from_stream_information(stream_type: u8, encoding: u8, uri: &str) -> Result<SourceUri> {
        let bad = |reason: &str| VideoError::BadUri {
            uri: redact_text(uri),
            reason: reason.to_owned(),
        };
        let mut parsed = match stream_type {
            0 | 1 => SourceUri::parse(uri)?,
            3 => match SourceUri::parse(uri)? {
                SourceUri::RtpUdp {
                    listen_host,
                    port,
                    codec,
                } => SourceUri::MpegTsUdp {
                    listen_host,
                    port,
                    codec,
                },
                other => other,
            },
            2 => {
                return Err(bad(
                    "MPEG over TCP (VIDEO_STREAM_TYPE 2) is not supported; configure the camera for RTP/UDP or RTSP",
                ));
            }
            t => return Err(bad(&format!("unknown VIDEO_STREAM_TYPE {t}"))),
        };
        if !uri.to_ascii_lowercase().contains("codec=") && encoding == 2 {
            match &mut parsed {
                SourceUri::RtpUdp { codec, .. }
                | SourceUri::MpegTsUdp { codec, .. }
                | SourceUri::Rtsp { codec, .. }
                | SourceUri::Srt { codec, .. } => *codec = Codec::H265,
            }
        }
        Ok(parsed)
    }

    pub fn codec(&self) -> Codec {
        match self {
            SourceUri::RtpUdp { codec, .. }
            | SourceUri::MpegTsUdp { codec, .. }
            | SourceUri::Rtsp { codec, .. }
            | SourceUri::Srt { codec, .. } => *codec,
        }
    }

    /// The same source with the passphrase of its SRT connection (ignored by other sources).
    pub fn with_srt_passphrase(mut self, passphrase: SrtPassphrase) -> SourceUri {
        if let SourceUri::Srt { passphrase: p, .. } = &mut self {
            *p = Some(passphrase);
        }
        self
    }

    /// The URI without any secret, for logs and events.
    pub fn redacted(&self) -> String {
        match self {
            SourceUri::RtpUdp {
                listen_host,
                port,
                codec,
            } => format!("rtp://{listen_host}:{port} ({codec})"),
            SourceUri::MpegTsUdp {
                listen_host,
                port,
                codec,
            } => format!("mpegts://{listen_host}:{port} ({codec})"),
            SourceUri::Rtsp {
                url, credentials, ..
            } => match credentials {
                // `url` never holds the account: put the name back, never the password.
                Some(c) => url.replacen("://", &format!("://{}:***@", c.user), 1),
                None => url.clone(),
            },
            SourceUri::Srt {
                host, port, mode, ..
            } => format!(
                "srt://{host}:{port}{}",
                if *mode == SrtMode::Listener {
                    "?mode=listener"
                } else {
                    ""
                }
            ),
        }
    }
}

/// Text that may be a URI with a password (bad input being reported): the userinfo and any
/// `passphrase=` value replaced by `***`.
pub fn redact_text(text: &str) -> String {
    let mut out = match text.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => text.to_owned(),
            }
        }
        None => text.to_owned(),
    };
    for key in ["passphrase=", "password=", "pass="] {
        let mut from = 0;
        while let Some(i) = out[from..].to_ascii_lowercase().find(key) {
            let start = from + i + key.len();
            let end = out[start..]
                .find(['&', ' ', '#'])
                .map_or(out.len(), |j| start + j);
            out.replace_range(start..end, "***");
            from = start + 3;
        }
    }
    out
}

/// Characters RFC 3986 allows in a URI (unreserved, reserved, `%`).
fn uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// An IP address or a host name (letters, digits, '-', '.'); empty only where a listener may
/// mean "every interface".
pub(crate) fn check_host(host: &str, empty_ok: bool) -> std::result::Result<(), String> {
    if host.is_empty() {
        return if empty_ok {
            Ok(())
        } else {
            Err("no host; give an address or a host name".into())
        };
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let name_ok = host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !host.starts_with(['-', '.']);
    if name_ok {
        Ok(())
    } else {
        Err(format!(
            "host `{host}` is neither an IP address nor a host name"
        ))
    }
}

/// Decode `%XX` escapes (RFC 3986) of a URL's userinfo.
fn percent_decode(text: &str) -> std::result::Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a `%` in the account is not followed by two hex digits")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the account is not UTF-8 once decoded".to_owned())
}

fn parse_port(text: &str) -> std::result::Result<u16, String> {
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("port `{text}` must be a number from 1 to 65535")),
        Ok(p) => Ok(p),
    }
}

/// `HOST:PORT`, `[v6]:PORT` or `:PORT`.
fn split_host_port(text: &str) -> std::result::Result<(String, u16), String> {
    let text = text.trim_end_matches('/');
    if let Some(rest) = text.strip_prefix('[') {
        let Some((host, port)) = rest.split_once("]:") else {
            return Err("an IPv6 address needs the form [ADDR]:PORT".into());
        };
        return Ok((host.to_owned(), parse_port(port)?));
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!(
            "`{text}` has no port; use HOST:PORT (e.g. 0.0.0.0:5600)"
        ));
    };
    Ok((host.to_owned(), parse_port(port)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(host: &str, port: u16, codec: Codec) -> SourceUri {
        SourceUri::RtpUdp {
            listen_host: host.into(),
            port,
            codec,
        }
    }

    #[test]
    fn table_of_accepted_uris() {
        let rows: Vec<(&str, SourceUri)> = vec![
            ("5600", rtp("0.0.0.0", 5600, Codec::H264)),
            ("udp://0.0.0.0:5600", rtp("0.0.0.0", 5600, Codec::H264)),
            (
                "rtp://127.0.0.1:5601?codec=h265",
                rtp("127.0.0.1", 5601, Codec::H265),
            ),
            ("udp://:5600?codec=HEVC", rtp("0.0.0.0", 5600, Codec::H265)),
            (
                "udp://0.0.0.0:5602?container=mpegts",
                SourceUri::MpegTsUdp {
                    listen_host: "0.0.0.0".into(),
                    port: 5602,
                    codec: Codec::H264,
                },
            ),
            (
                "mpegts://127.0.0.1:5603",
                SourceUri::MpegTsUdp {
                    listen_host: "127.0.0.1".into(),
                    port: 5603,
                    codec: Codec::H264,
                },
            ),
            (
                "rtsp://cam:secret@192.168.1.10:8554/live?transport=tcp&channel=1",
                SourceUri::Rtsp {
                    url: "rtsp://192.168.1.10:8554/live?channel=1".into(),
                    credentials: Some(Credentials {
                        user: "cam".into(),
                        password: Secret::new("secret"),
                    }),
                    transport: RtspTransport::Tcp,
                    codec: Codec::H264,
                },
            ),
            (
                "rtsp://op%40csu:p%3Ass%25w@cam.local/live",
                SourceUri::Rtsp {
                    url: "rtsp://cam.local/live".into(),
                    credentials: Some(Credentials {
                        user: "op@csu".into(),
                        password: Secret::new("p:ss%w"),
                    }),
                    transport: RtspTransport::Any,
                    codec: Codec::H264,
                },
            ),
            (
                "rtsp://10.0.0.5/thermal?codec=h265",
                SourceUri::Rtsp {
                    url: "rtsp://10.0.0.5/thermal".into(),
                    credentials: None,
                    transport: RtspTransport::Any,
                    codec: Codec::H265,
                },
            ),
            (
                "rtsps://[fe80::1]:322/main",
                SourceUri::Rtsp {
                    url: "rtsps://[fe80::1]:322/main".into(),
                    credentials: None,
                    transport: RtspTransport::Tcp,
                    codec: Codec::H264,
                },
            ),
            (
                "srt://127.0.0.1:7001?mode=listener",
                SourceUri::Srt {
                    host: "127.0.0.1".into(),
                    port: 7001,
                    mode: SrtMode::Listener,
                    codec: Codec::H264,
                    passphrase: None,
                },
            ),
        ];
        for (text, expected) in rows {
            assert_eq!(SourceUri::parse(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn table_of_refused_uris_names_the_fix() {
        let rows = [
            ("", "empty"),
            ("0", "1 to 65535"),
            ("70000", "1 to 65535"),
            ("udp://0.0.0.0", "has no port"),
            ("udp://0.0.0.0:5600?codec=vp8", "codec=h264 or codec=h265"),
            ("udp://0.0.0.0:5600?foo=1", "unknown option"),
            ("http://example.org/x", "scheme `http`"),
            ("rtsp:///path", "no host"),
            ("rtsp://h/p?transport=sctp", "transport=tcp"),
            ("localhost:5600", "no scheme"),
            ("rtsp://h/p q", "not allowed in a URI"),
            ("rtsp://h/p\"q", "not allowed in a URI"),
            ("udp://a_b:5600", "neither an IP address nor a host name"),
            ("rtsps://h/p?transport=udp", "in clear"),
            ("srt://h:1?passphrase=0123456789abc", "never goes in a URI"),
            ("rtsp://:pw@h/p", "empty account name"),
            ("rtsp://u:%zz@h/p", "two hex digits"),
        ];
        for (text, needle) in rows {
            let err = SourceUri::parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn table_of_video_stream_information() {
        // (type, encoding, uri) → expected
        let rows: Vec<(u8, u8, &str, SourceUri)> = vec![
            (
                1,
                1,
                "udp://0.0.0.0:5600",
                rtp("0.0.0.0", 5600, Codec::H264),
            ),
            (
                1,
                2,
                "udp://0.0.0.0:5600",
                rtp("0.0.0.0", 5600, Codec::H265),
            ),
            (1, 0, "5601", rtp("0.0.0.0", 5601, Codec::H264)),
            (
                1,
                1,
                "udp://0.0.0.0:5600?codec=h265",
                rtp("0.0.0.0", 5600, Codec::H265),
            ),
            (
                3,
                1,
                "udp://0.0.0.0:5602",
                SourceUri::MpegTsUdp {
                    listen_host: "0.0.0.0".into(),
                    port: 5602,
                    codec: Codec::H264,
                },
            ),
            (
                0,
                2,
                "rtsp://192.168.144.25:8554/main.264",
                SourceUri::Rtsp {
                    url: "rtsp://192.168.144.25:8554/main.264".into(),
                    credentials: None,
                    transport: RtspTransport::Any,
                    codec: Codec::H265,
                },
            ),
        ];
        for (t, e, uri, expected) in rows {
            assert_eq!(
                SourceUri::from_stream_information(t, e, uri).unwrap(),
                expected,
                "{t} {e} {uri}"
            );
        }
        assert!(
            SourceUri::from_stream_information(2, 1, "tcp://h:1")
                .unwrap_err()
                .to_string()
                .contains("not supported")
        );
        assert!(SourceUri::from_stream_information(9, 1, "5600").is_err());
    }

    #[test]
    fn the_camera_password_is_in_no_text_of_the_source() {
        let uri = SourceUri::parse("rtsp://cam:s3cr3t-pw@10.0.0.1:554/live").unwrap();
        assert_eq!(uri.redacted(), "rtsp://cam:***@10.0.0.1:554/live");
        let debug = format!("{uri:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        let SourceUri::Rtsp { url, .. } = &uri else {
            panic!("{uri:?}")
        };
        assert!(!url.contains("s3cr3t") && !url.contains("cam@"), "{url}");
        // Refused input is reported without its secrets too.
        for text in [
            "rtsp://cam:s3cr3t-pw@10.0.0.1:554/live?transport=sctp",
            "rtsp://cam:s3cr3t-pw@10.0.0.1:554/li ve",
            "srt://h:1?passphrase=s3cr3t-pw&mode=x",
        ] {
            let e = SourceUri::parse(text).unwrap_err();
            let all = format!("{e} {e:?}");
            assert!(!all.contains("s3cr3t"), "{all}");
        }
        let e = SourceUri::from_stream_information(2, 1, "rtsp://a:s3cr3t@h/p").unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }

    #[test]
    fn a_uri_crafted_to_add_elements_is_refused() {
        let attack = r#"rtsp://127.0.0.1:1/x" ! fakesink filesrc location=/etc/hostname ! filesink location=pwned rtspsrc location="rtsp://127.0.0.1:1/y"#;
        let e = SourceUri::parse(attack).unwrap_err().to_string();
        assert!(e.contains("not allowed in a URI"), "{e}");
    }
}
