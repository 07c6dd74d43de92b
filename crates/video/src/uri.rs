//! Video source URIs, parsed once into a typed [`SourceUri`].
//!
//! Accepted (DESIGN.md "Video URIs" and VIDEO_STREAM_INFORMATION as the simulator announces it):
//! - `5600` (a bare port: RTP/UDP H.264 on every interface, as QGroundControl),
//! - `udp://HOST:PORT`, `rtp://HOST:PORT` (RTP over UDP; HOST is the address to listen on),
//! - `mpegts://HOST:PORT` or `udp://HOST:PORT?container=mpegts` (MPEG-TS over UDP),
//! - `rtsp://[USER:PASS@]HOST[:PORT]/PATH` (`?transport=tcp|udp` picks the RTSP transport),
//! - `srt://HOST:PORT` (MPEG-TS over SRT; `?mode=listener` to wait for the sender),
//! - `?codec=h265` on any of them (H.264 otherwise).

use std::fmt;

use crate::error::{Result, VideoError};

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
    /// Caps of the parsed elementary stream handed between pipelines: one access unit per buffer, in
    /// the format the depayloader/demuxer gives. (Converting RTP's avc to byte-stream with h264parse
    /// gave undecodable P-frames from x264 zerolatency streams here: no conversion.)
    pub(crate) fn es_caps(self) -> &'static str {
        match self {
            Codec::H264 => "video/x-h264,alignment=au",
            Codec::H265 => "video/x-h265,alignment=au",
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
    /// An RTSP camera or server; `url` is what `rtspsrc` gets (credentials included, our query keys removed).
    Rtsp {
        url: String,
        transport: RtspTransport,
        codec: Codec,
    },
    /// MPEG-TS over SRT.
    Srt {
        host: String,
        port: u16,
        mode: SrtMode,
        codec: Codec,
    },
}

impl SourceUri {
    /// Parse a URI or a bare port number.
    pub fn parse(text: &str) -> Result<SourceUri> {
        let text = text.trim();
        let bad = |reason: &str| VideoError::BadUri {
            uri: text.to_owned(),
            reason: reason.to_owned(),
        };
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
                let authority = body.split('/').next().unwrap_or("");
                let host_part = authority.rsplit('@').next().unwrap_or("");
                if host_part.is_empty() {
                    return Err(bad("no host; use rtsp://HOST:PORT/PATH"));
                }
                if host_part.contains(':') {
                    split_host_port(host_part).map_err(|r| bad(&r))?;
                }
                // Keys we do not know belong to the camera's own URL.
                let mut url = format!("{scheme}://{body}");
                if !unknown.is_empty() {
                    url.push('?');
                    url.push_str(&unknown.join("&"));
                }
                if scheme == "rtspt" {
                    transport = RtspTransport::Tcp;
                }
                Ok(SourceUri::Rtsp {
                    url,
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
                Ok(SourceUri::Srt {
                    host,
                    port,
                    mode: srt_mode,
                    codec,
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
            uri: uri.to_owned(),
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

    /// The URI with any password replaced, for logs and events.
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
            SourceUri::Rtsp { url, .. } => redact_userinfo(url),
            SourceUri::Srt { host, port, .. } => format!("srt://{host}:{port}"),
        }
    }
}

fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
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
                    url: "rtsp://cam:secret@192.168.1.10:8554/live?channel=1".into(),
                    transport: RtspTransport::Tcp,
                    codec: Codec::H264,
                },
            ),
            (
                "rtsp://10.0.0.5/thermal?codec=h265",
                SourceUri::Rtsp {
                    url: "rtsp://10.0.0.5/thermal".into(),
                    transport: RtspTransport::Any,
                    codec: Codec::H265,
                },
            ),
            (
                "srt://127.0.0.1:7001?mode=listener",
                SourceUri::Srt {
                    host: "127.0.0.1".into(),
                    port: 7001,
                    mode: SrtMode::Listener,
                    codec: Codec::H264,
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
    fn redaction_hides_the_camera_password() {
        let uri = SourceUri::parse("rtsp://cam:secret@10.0.0.1:554/live").unwrap();
        assert_eq!(uri.redacted(), "rtsp://***@10.0.0.1:554/live");
    }
}
