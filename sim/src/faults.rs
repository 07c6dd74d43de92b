//! Faults that a scenario schedules or an operator injects at run time, and the text command
//! language of the control socket / stdin.

/// Which way a link fault applies: `up` is station to vehicle, `down` vehicle to station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    Both,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "up" => Some(Self::Up),
            "down" => Some(Self::Down),
            "both" => Some(Self::Both),
            _ => None,
        }
    }
    pub fn includes_up(self) -> bool {
        matches!(self, Self::Up | Self::Both)
    }
    pub fn includes_down(self) -> bool {
        matches!(self, Self::Down | Self::Both)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Drop `percent` % of frames in a direction (100 = total loss).
    LinkLoss {
        direction: Direction,
        percent: f64,
    },
    /// Extra one-way latency on every frame, both directions.
    Latency {
        ms: f64,
    },
    GpsLoss,
    GpsRestore,
    /// Remove a share of the battery capacity at once.
    BatteryDrop {
        percent: f64,
    },
    /// A gust to `peak_kmh` lasting `duration_s`.
    Gust {
        peak_kmh: f64,
        duration_s: f64,
    },
    /// New mean wind.
    Wind {
        from_deg: f64,
        speed_kmh: f64,
        gust_kmh: f64,
    },
    /// Motors lose `percent` % of their thrust.
    MotorWeak {
        percent: f64,
    },
    VideoLoss,
    VideoRestore,
    /// Everything back to normal: link, GPS, motors, video.
    Clear,
}

/// Which vehicles a command addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    All,
    /// A system id (1-based).
    Vehicle(u8),
}

impl Target {
    pub fn matches(self, sysid: u8) -> bool {
        match self {
            Target::All => true,
            Target::Vehicle(id) => id == sysid,
        }
    }
}

/// A parsed control line.
#[derive(Clone, Debug, PartialEq)]
pub enum ControlCommand {
    Inject(Target, Fault),
    Status,
    Help,
    /// What the vehicle(s) received from the station (`clear` forgets it).
    Received {
        target: Target,
        clear: bool,
    },
    /// The on-board camera's own HEARTBEAT (compid 100) on or off.
    CameraHeartbeat {
        target: Target,
        on: bool,
    },
}

pub const CONTROL_HELP: &str = "\
commands (prefix with @N to address vehicle N, default all):
  link loss [up|down|both] PERCENT   drop frames (100 = total loss)
  link ok                            restore the link (loss and latency)
  latency MS                         add one-way latency to every frame
  gps loss | gps ok                  lose / recover the GPS fix
  battery drop PERCENT               remove a share of the capacity now
  gust KMH [SECONDS]                 a gust to KMH (default 5 s)
  wind FROM_DEG KMH [GUST_KMH]       set the mean wind
  motor weak PERCENT                 thrust loss in percent (0 = healthy)
  video loss | video ok              stop / resume the video stream
  clear                              every fault off
  status                             one line per vehicle
  received [clear]                   what reached the vehicle from the station, with times
  camera heartbeat on|off            the camera component's own HEARTBEAT (compid 100)
  help";

fn num(tok: Option<&str>, what: &str) -> Result<f64, String> {
    let t = tok.ok_or_else(|| format!("missing {what}"))?;
    let v: f64 = t
        .parse()
        .map_err(|_| format!("{what} must be a number, got `{t}`"))?;
    if !v.is_finite() {
        return Err(format!("{what} must be finite"));
    }
    Ok(v)
}

fn pct(tok: Option<&str>) -> Result<f64, String> {
    let v = num(tok, "PERCENT")?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("PERCENT must be within 0..100, got {v}"));
    }
    Ok(v)
}

/// Parses one control line. Errors say what was expected.
pub fn parse_command(line: &str) -> Result<ControlCommand, String> {
    let mut toks = line.split_whitespace().peekable();
    let mut target = Target::All;
    if let Some(t) = toks.peek().and_then(|t| t.strip_prefix('@')) {
        let id: u8 = t
            .parse()
            .map_err(|_| format!("`@{t}`: expected @N with N a vehicle number 1..255"))?;
        if id == 0 {
            return Err("vehicles are numbered from 1".into());
        }
        target = Target::Vehicle(id);
        toks.next();
    }
    let words: Vec<&str> = toks.collect();
    let mut it = words.iter().copied();
    let first = it.next().ok_or("empty command (try `help`)")?;
    let fault = match (first, words.get(1).copied()) {
        ("help", _) => return Ok(ControlCommand::Help),
        ("status", _) => return Ok(ControlCommand::Status),
        ("received", None) => {
            return Ok(ControlCommand::Received {
                target,
                clear: false,
            });
        }
        ("received", Some("clear")) if words.len() == 2 => {
            return Ok(ControlCommand::Received {
                target,
                clear: true,
            });
        }
        ("camera", Some("heartbeat")) => {
            let on = match words.get(2).copied() {
                Some("on") => true,
                Some("off") => false,
                _ => return Err("expected `camera heartbeat on` or `camera heartbeat off`".into()),
            };
            return Ok(ControlCommand::CameraHeartbeat { target, on });
        }
        ("link", Some("ok")) => Fault::LinkLoss {
            direction: Direction::Both,
            percent: 0.0,
        },
        ("link", Some("loss")) => {
            it.next();
            let mut rest: Vec<&str> = it.collect();
            let direction = match rest.first().and_then(|d| Direction::parse(d)) {
                Some(d) => {
                    rest.remove(0);
                    d
                }
                None => Direction::Both,
            };
            let percent = if rest.is_empty() {
                100.0
            } else {
                pct(rest.first().copied())?
            };
            Fault::LinkLoss { direction, percent }
        }
        ("latency", _) => {
            let ms = num(it.next(), "MS")?;
            if !(0.0..=60_000.0).contains(&ms) {
                return Err("MS must be within 0..60000".into());
            }
            Fault::Latency { ms }
        }
        ("gps", Some("loss")) => Fault::GpsLoss,
        ("gps", Some("ok")) => Fault::GpsRestore,
        ("battery", Some("drop")) => {
            it.next();
            Fault::BatteryDrop {
                percent: pct(it.next())?,
            }
        }
        ("gust", _) => {
            let peak_kmh = num(it.next(), "KMH")?;
            let duration_s = match it.next() {
                Some(t) => num(Some(t), "SECONDS")?,
                None => 5.0,
            };
            Fault::Gust {
                peak_kmh: peak_kmh.max(0.0),
                duration_s: duration_s.clamp(0.5, 600.0),
            }
        }
        ("wind", _) => {
            let from_deg = num(it.next(), "FROM_DEG")?;
            let speed_kmh = num(it.next(), "KMH")?.max(0.0);
            let gust_kmh = match it.next() {
                Some(t) => num(Some(t), "GUST_KMH")?.max(speed_kmh),
                None => speed_kmh,
            };
            Fault::Wind {
                from_deg,
                speed_kmh,
                gust_kmh,
            }
        }
        ("motor", Some("weak")) => {
            it.next();
            Fault::MotorWeak {
                percent: pct(it.next())?,
            }
        }
        ("video", Some("loss")) => Fault::VideoLoss,
        ("video", Some("ok")) => Fault::VideoRestore,
        ("clear", _) => Fault::Clear,
        _ => {
            return Err(format!(
                "unknown command `{}` (try `help`)",
                words.join(" ")
            ));
        }
    };
    Ok(ControlCommand::Inject(target, fault))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_table() {
        let cases: &[(&str, ControlCommand)] = &[
            (
                "link loss",
                ControlCommand::Inject(
                    Target::All,
                    Fault::LinkLoss {
                        direction: Direction::Both,
                        percent: 100.0,
                    },
                ),
            ),
            (
                "@2 link loss down 30",
                ControlCommand::Inject(
                    Target::Vehicle(2),
                    Fault::LinkLoss {
                        direction: Direction::Down,
                        percent: 30.0,
                    },
                ),
            ),
            (
                "link ok",
                ControlCommand::Inject(
                    Target::All,
                    Fault::LinkLoss {
                        direction: Direction::Both,
                        percent: 0.0,
                    },
                ),
            ),
            (
                "latency 250",
                ControlCommand::Inject(Target::All, Fault::Latency { ms: 250.0 }),
            ),
            (
                "gps loss",
                ControlCommand::Inject(Target::All, Fault::GpsLoss),
            ),
            (
                "battery drop 40",
                ControlCommand::Inject(Target::All, Fault::BatteryDrop { percent: 40.0 }),
            ),
            (
                "gust 90 4",
                ControlCommand::Inject(
                    Target::All,
                    Fault::Gust {
                        peak_kmh: 90.0,
                        duration_s: 4.0,
                    },
                ),
            ),
            (
                "wind 330 50 90",
                ControlCommand::Inject(
                    Target::All,
                    Fault::Wind {
                        from_deg: 330.0,
                        speed_kmh: 50.0,
                        gust_kmh: 90.0,
                    },
                ),
            ),
            (
                "motor weak 30",
                ControlCommand::Inject(Target::All, Fault::MotorWeak { percent: 30.0 }),
            ),
            (
                "video loss",
                ControlCommand::Inject(Target::All, Fault::VideoLoss),
            ),
            ("status", ControlCommand::Status),
            (
                "received",
                ControlCommand::Received {
                    target: Target::All,
                    clear: false,
                },
            ),
            (
                "@2 received clear",
                ControlCommand::Received {
                    target: Target::Vehicle(2),
                    clear: true,
                },
            ),
            (
                "@1 camera heartbeat on",
                ControlCommand::CameraHeartbeat {
                    target: Target::Vehicle(1),
                    on: true,
                },
            ),
            (
                "camera heartbeat off",
                ControlCommand::CameraHeartbeat {
                    target: Target::All,
                    on: false,
                },
            ),
        ];
        for (line, want) in cases {
            assert_eq!(&parse_command(line).unwrap(), want, "{line}");
        }
        for bad in [
            "",
            "link loss up 130",
            "latency x",
            "@0 gps loss",
            "fly away",
            "battery drop",
            "received everything",
            "camera heartbeat",
            "camera heartbeat maybe",
        ] {
            assert!(parse_command(bad).is_err(), "{bad}");
        }
    }
}
