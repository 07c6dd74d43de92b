//! Connection strings as the ecosystem writes them (MAVProxy, mavlink-router, rust-mavlink).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkAddress {
    /// Listen for UDP from vehicles (`udpin:0.0.0.0:14550`); replies go to whoever sent.
    UdpIn { bind: String },
    /// Send UDP to a vehicle (`udpout:HOST:PORT`) and read its replies.
    UdpOut { remote: String },
    /// Connect to a vehicle's TCP port (`tcpout:HOST:PORT`, SITL's 5760), reconnecting.
    TcpOut { remote: String },
    /// Accept TCP connections (`tcpin:0.0.0.0:PORT`).
    TcpIn { bind: String },
    /// A serial port (`serial:/dev/ttyUSB0:57600`), reopened when it comes back.
    Serial { path: String, baud: u32 },
    /// Broadcast UDP to a subnet (`udpbcast:192.168.1.255:14550`) until a vehicle answers, then
    /// talk to that vehicle only, as pymavlink's and MAVProxy's `udpbcast:` do. The first
    /// answer wins: on a network the station does not control, use signing.
    UdpBcast { remote: String },
    /// Replay a telemetry log (`file:flight.tlog`, as MAVProxy takes a .tlog for `--master`):
    /// its frames arrive at their recorded pace (`?speed=N` N times faster, `?speed=max` as fast
    /// as they are read); what the station sends is dropped. A file that is not a tlog is read
    /// as raw MAVLink bytes.
    File { path: String, speed: ReplaySpeed },
}

/// How fast a `file:` link replays its log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplaySpeed {
    /// N times the recorded pace (1 = as recorded).
    Factor(f64),
    /// As fast as the hub takes the frames.
    Max,
}

impl Eq for ReplaySpeed {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "connection {input:?}: {reason}; write e.g. udpin:0.0.0.0:14550, udpout:HOST:PORT, udpbcast:192.168.1.255:14550, tcpout:HOST:PORT, tcpin:0.0.0.0:PORT, serial:/dev/ttyUSB0:57600 or file:flight.tlog"
)]
pub struct AddressError {
    pub input: String,
    pub reason: String,
}

fn host_port(input: &str, rest: &str) -> Result<String, AddressError> {
    let err = |reason: &str| AddressError {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let (host, port) = rest.rsplit_once(':').ok_or_else(|| err("missing :PORT"))?;
    if host.is_empty() {
        return Err(err("missing host"));
    }
    port.parse::<u16>()
        .map_err(|_| err("port must be a number from 0 to 65535"))?;
    Ok(rest.to_string())
}

impl FromStr for LinkAddress {
    type Err = AddressError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| AddressError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = input.split_once(':').ok_or_else(|| err("missing scheme"))?;
        match scheme {
            "udpin" | "udp" => Ok(Self::UdpIn {
                bind: host_port(input, rest)?,
            }),
            "udpout" => Ok(Self::UdpOut {
                remote: host_port(input, rest)?,
            }),
            "tcpout" | "tcp" => Ok(Self::TcpOut {
                remote: host_port(input, rest)?,
            }),
            "tcpin" => Ok(Self::TcpIn {
                bind: host_port(input, rest)?,
            }),
            "serial" => {
                let (path, baud) = rest.rsplit_once(':').ok_or_else(|| err("missing :BAUD"))?;
                if path.is_empty() {
                    return Err(err("missing device path"));
                }
                let baud = baud
                    .parse::<u32>()
                    .map_err(|_| err("baud rate must be a number such as 57600"))?;
                Ok(Self::Serial {
                    path: path.to_string(),
                    baud,
                })
            }
            "udpbcast" => Ok(Self::UdpBcast {
                remote: host_port(input, rest)?,
            }),
            "file" => {
                let (path, speed) = match rest.rsplit_once("?speed=") {
                    None => (rest, ReplaySpeed::Factor(1.0)),
                    Some((p, "max")) => (p, ReplaySpeed::Max),
                    Some((p, n)) => match n.parse::<f64>() {
                        Ok(f) if f.is_finite() && f > 0.0 => (p, ReplaySpeed::Factor(f)),
                        _ => {
                            return Err(err(
                                "?speed= takes a positive number (2 = twice as fast) or max",
                            ));
                        }
                    },
                };
                if path.is_empty() {
                    return Err(err("missing file path"));
                }
                Ok(Self::File {
                    path: path.to_string(),
                    speed,
                })
            }
            other => Err(err(&format!("unknown scheme {other:?}"))),
        }
    }
}

impl fmt::Display for LinkAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UdpIn { bind } => write!(f, "udpin:{bind}"),
            Self::UdpOut { remote } => write!(f, "udpout:{remote}"),
            Self::TcpOut { remote } => write!(f, "tcpout:{remote}"),
            Self::TcpIn { bind } => write!(f, "tcpin:{bind}"),
            Self::Serial { path, baud } => write!(f, "serial:{path}:{baud}"),
            Self::UdpBcast { remote } => write!(f, "udpbcast:{remote}"),
            Self::File { path, speed } => match speed {
                ReplaySpeed::Factor(x) if *x == 1.0 => write!(f, "file:{path}"),
                ReplaySpeed::Factor(x) => write!(f, "file:{path}?speed={x}"),
                ReplaySpeed::Max => write!(f, "file:{path}?speed=max"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let ok = [
            (
                "udpin:0.0.0.0:14550",
                LinkAddress::UdpIn {
                    bind: "0.0.0.0:14550".into(),
                },
            ),
            (
                "udpout:127.0.0.1:14555",
                LinkAddress::UdpOut {
                    remote: "127.0.0.1:14555".into(),
                },
            ),
            (
                "tcpout:127.0.0.1:5760",
                LinkAddress::TcpOut {
                    remote: "127.0.0.1:5760".into(),
                },
            ),
            (
                "tcpin:0.0.0.0:5761",
                LinkAddress::TcpIn {
                    bind: "0.0.0.0:5761".into(),
                },
            ),
            (
                "serial:/dev/ttyUSB0:57600",
                LinkAddress::Serial {
                    path: "/dev/ttyUSB0".into(),
                    baud: 57600,
                },
            ),
            (
                "udpin:[::1]:14550",
                LinkAddress::UdpIn {
                    bind: "[::1]:14550".into(),
                },
            ),
            (
                "udpbcast:192.168.1.255:14550",
                LinkAddress::UdpBcast {
                    remote: "192.168.1.255:14550".into(),
                },
            ),
            (
                "file:/data/flight.tlog",
                LinkAddress::File {
                    path: "/data/flight.tlog".into(),
                    speed: ReplaySpeed::Factor(1.0),
                },
            ),
            (
                "file:flight.tlog?speed=10",
                LinkAddress::File {
                    path: "flight.tlog".into(),
                    speed: ReplaySpeed::Factor(10.0),
                },
            ),
            (
                "file:flight.tlog?speed=max",
                LinkAddress::File {
                    path: "flight.tlog".into(),
                    speed: ReplaySpeed::Max,
                },
            ),
        ];
        for (s, want) in ok {
            let got: LinkAddress = s.parse().unwrap();
            assert_eq!(got, want);
            assert_eq!(got.to_string().parse::<LinkAddress>().unwrap(), want);
        }
        for bad in [
            "",
            "udpin",
            "udpin:14550",
            "udpin:host:99999",
            "ftp:a:1",
            "serial::57600",
            "serial:/dev/x:fast",
            "udpbcast:14550",
            "file:",
            "file:x.tlog?speed=0",
            "file:x.tlog?speed=fast",
        ] {
            let e = bad.parse::<LinkAddress>().unwrap_err();
            assert!(
                e.to_string().contains("udpin:0.0.0.0:14550"),
                "error names the fix: {e}"
            );
        }
    }
}
