//! The built-in simulator as a child process: `vigie-sim` on free local ports (MAVLink over
//! UDP, RTP video, the control socket the instructor injects faults through), killed with us.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

/// How to start it.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// A built-in scenario's name or a scenario file.
    pub scenario: String,
    pub speedup: f64,
    pub video: bool,
    /// The video's height in pixels (the simulator's default when None).
    pub video_height: Option<u32>,
    /// The station's verbosity (the simulator is quiet like it unless asked).
    pub verbose: u8,
}

pub struct SimProcess {
    child: Child,
    /// Where the station listens for it (`udpin:127.0.0.1:PORT`).
    pub mavlink: String,
    /// Visible video of vehicle 1 (RTP/H.264); its thermal stream, when the scenario has hot
    /// spots, on the next port.
    pub video_port: Option<u16>,
    pub control_port: u16,
}

pub fn sim_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("VIGIE_SIM_BIN") {
        return PathBuf::from(p);
    }
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join("vigie-sim")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("vigie-sim"))
}

pub fn free_udp_port() -> anyhow::Result<u16> {
    Ok(std::net::UdpSocket::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Two consecutive free UDP ports (visible and thermal video).
fn free_udp_pair() -> anyhow::Result<u16> {
    for _ in 0..50 {
        let a = std::net::UdpSocket::bind("127.0.0.1:0")?;
        let p = a.local_addr()?.port();
        if p < u16::MAX && std::net::UdpSocket::bind(("127.0.0.1", p + 1)).is_ok() {
            return Ok(p);
        }
    }
    anyhow::bail!("no two consecutive free UDP ports on 127.0.0.1 for the simulator's video")
}

impl SimProcess {
    pub fn spawn(o: &SimOptions, children: &crate::cmd::stop::Children) -> anyhow::Result<Self> {
        let port = free_udp_port()?;
        let control_port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut cmd = Command::new(sim_binary());
        cmd.args([
            "--scenario",
            &o.scenario,
            "--udp",
            &format!("127.0.0.1:{port}"),
            "--control",
            &format!("127.0.0.1:{control_port}"),
            "--speedup",
            &o.speedup.to_string(),
        ]);
        let video_port = if o.video {
            let vp = free_udp_pair()?;
            cmd.args(["--video", &format!("rtp://127.0.0.1:{vp}")]);
            if let Some(h) = o.video_height {
                cmd.args(["--video-height", &h.to_string()]);
            }
            Some(vp)
        } else {
            cmd.arg("--no-video");
            None
        };
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env(
                "RUST_LOG",
                match o.verbose {
                    0 => "warn",
                    1 => "info",
                    _ => "debug",
                },
            );
        }
        let child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start the simulator {} (build it with `cargo build -p vigie_sim`)",
                    sim_binary().display()
                )
            })?;
        children.add(child.id());
        Ok(Self {
            child,
            mavlink: format!("udpin:127.0.0.1:{port}"),
            video_port,
            control_port,
        })
    }
}

/// Ask the simulator's control socket on `port`.
pub async fn control(port: u16, line: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut sock = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .context("the simulator's control socket does not answer")?
    .context("cannot reach the simulator's control socket")?;
    sock.write_all(format!("{line}\n").as_bytes()).await?;
    let mut lines = BufReader::new(sock).lines();
    // One line, or several ended by a blank line: after the first, wait briefly for more.
    let mut answer = tokio::time::timeout(Duration::from_secs(3), lines.next_line())
        .await
        .context("the simulator did not answer")??
        .unwrap_or_default();
    while let Ok(Ok(Some(l))) =
        tokio::time::timeout(Duration::from_millis(150), lines.next_line()).await
    {
        if l.is_empty() {
            break;
        }
        answer.push('\n');
        answer.push_str(&l);
    }
    Ok(answer)
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The training ground's anemometer: the simulator's wind at 10 m (speed and direction), read
/// every 2 s from its control socket and fed to the wind gate as a launch-site reading.
pub async fn anemometer(station: vigie_station::StationHandle, control_port: u16) {
    let mut every = tokio::time::interval(Duration::from_secs(2));
    loop {
        every.tick().await;
        let Ok(line) = control(control_port, "status").await else {
            continue;
        };
        let field = |key: &str, unit: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key)?.strip_suffix(unit)?.parse::<f64>().ok())
        };
        let Some(speed) = field("wind=", "m/s") else {
            continue;
        };
        let reading = flight_rules::WindReading {
            source: flight_rules::WindSource::Anemometer,
            mean_mps: speed,
            gust_mps: Some(speed),
            from_deg: field("wind_from=", "deg"),
            observed_at: chrono::Utc::now(),
        };
        station
            .command(vigie_station::StationCommand::Session(
                vigie_station::SessionRequest::AddWind(reading),
            ))
            .await;
    }
}
