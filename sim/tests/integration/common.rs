//! Spawning the simulator and the Python peers.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mavlink::dialects::ardupilotmega::MavMessage;
use mavlink::{MavConnection, MavHeader};

/// A running `vigie-sim` process, killed on drop.
pub struct Sim {
    pub child: Child,
    pub endpoints: Vec<(u8, String, SocketAddr)>,
    pub control: Option<SocketAddr>,
    /// The simulator's log lines (tracing on stderr), for tests that look at them.
    #[allow(dead_code)]
    pub stderr_lines: mpsc::Receiver<String>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    /// Starts the binary and waits for its READY lines (one per vehicle).
    pub fn start(args: &[&str]) -> Sim {
        Sim::start_with_env(args, &[])
    }

    /// The same, with environment variables set for the simulator (e.g. RUST_LOG).
    pub fn start_with_env(args: &[&str], envs: &[(&str, &str)]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigie-sim"))
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vigie-sim");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let (etx, erx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("sim| {line}");
                let _ = etx.send(line);
            }
        });
        let expected_vehicles: usize = args
            .iter()
            .position(|a| *a == "--vehicles")
            .map_or(1, |i| args[i + 1].parse().expect("--vehicles N"));
        let wants_control = args.contains(&"--control");
        let mut endpoints = Vec::new();
        let mut control = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while endpoints.len() < expected_vehicles || (wants_control && control.is_none()) {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!("vigie-sim did not print READY in time (args {args:?})")
            });
            if let Some(rest) = line.strip_prefix("READY ") {
                // READY sysid=1 tcp=127.0.0.1:1234
                let mut sysid = 0;
                let mut ep = None;
                for part in rest.split_whitespace() {
                    let (k, v) = part.split_once('=').expect("key=value");
                    if k == "sysid" {
                        sysid = v.parse().expect("sysid");
                    } else {
                        ep = Some((k.to_string(), v.parse::<SocketAddr>().expect("address")));
                    }
                }
                let (kind, addr) = ep.expect("endpoint");
                endpoints.push((sysid, kind, addr));
            } else if let Some(rest) = line.strip_prefix("CONTROL ") {
                control = Some(rest.trim().parse().expect("control address"));
            }
        }
        Sim {
            child,
            endpoints,
            control,
            stderr_lines: erx,
        }
    }

    pub fn port(&self) -> u16 {
        self.endpoints[0].2.port()
    }

    /// Log lines (stderr) until one contains `needle`; returns all of them, that one last.
    #[allow(dead_code)]
    pub fn log_until(&self, secs: u64, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .stderr_lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line with {needle:?}; got {lines:#?}"));
            let found = line.contains(needle);
            lines.push(line);
            if found {
                return lines;
            }
        }
    }

    /// Sends one control command and returns the answer (multi-line answers, which end with
    /// an empty line, in full).
    pub fn control(&self, line: &str) -> String {
        use std::io::Write;
        let addr = self.control.expect("started with --control");
        let mut s = std::net::TcpStream::connect(addr).expect("control connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        writeln!(s, "{line}").expect("write");
        let mut r = BufReader::new(s);
        let mut out = String::new();
        loop {
            let mut l = String::new();
            if r.read_line(&mut l).expect("control answer") == 0 || l.trim().is_empty() {
                break;
            }
            out.push_str(&l);
            if !(out.starts_with("vehicle") || out.starts_with("received")) {
                break;
            }
        }
        out
    }

    /// Polls `status` until `pred` holds for it (the simulator's own view, no station needed).
    #[allow(dead_code)]
    pub fn wait_status(&self, secs: u64, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let status = self.control("status");
            if pred(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {status}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub type Conn = mavlink::Connection<MavMessage>;

/// A mavlink-crate GCS connection to the sim's TCP port.
pub fn connect(port: u16) -> Conn {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match mavlink::connect::<MavMessage>(&format!("tcpout:127.0.0.1:{port}")) {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                eprintln!("connect: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("cannot connect to the sim: {e}"),
        }
    }
}

pub fn gcs_header() -> MavHeader {
    MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    }
}

/// Receives until `pred` matches, or panics after `secs`. The vehicle streams telemetry
/// continuously, so `recv` never blocks for long.
pub fn wait_for<T>(
    conn: &Conn,
    secs: u64,
    what: &str,
    mut pred: impl FnMut(&MavHeader, &MavMessage) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        match conn.recv() {
            Ok((h, m)) => {
                if let Some(t) = pred(&h, &m) {
                    return t;
                }
            }
            // The mavlink crate's TCP connection reads with a 100 ms timeout: a quiet moment
            // (or a loaded machine) is not a link error.
            Err(mavlink::error::MessageReadError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("link error while waiting for {what}: {e}"),
        }
    }
    panic!("timed out waiting for {what}");
}

/// Waits until the vehicle is ready to arm in a position mode, as a GCS must against ArduCopter:
/// the pre-arm bit of SYS_STATUS healthy and EKF_STATUS_REPORT with an absolute position (the
/// bit is judged in the current mode, and STABILIZE needs no GPS).
#[allow(dead_code)]
pub fn wait_ready_to_arm(conn: &Conn, secs: u64) {
    use mavlink::dialects::ardupilotmega::{EkfStatusFlags, MavSysStatusSensor};
    let (mut prearm, mut position) = (false, false);
    wait_for(conn, secs, "the pre-arm bit and an EKF position", |_, m| {
        match m {
            MavMessage::SYS_STATUS(s) => {
                prearm = s
                    .onboard_control_sensors_health
                    .contains(MavSysStatusSensor::MAV_SYS_STATUS_PREARM_CHECK);
            }
            MavMessage::EKF_STATUS_REPORT(r) => {
                position = r.flags.contains(EkfStatusFlags::EKF_POS_HORIZ_ABS);
            }
            _ => {}
        }
        (prearm && position).then_some(())
    });
}

/// The interpreter for the Python peers: VIGIE_PYTHON, else python3.
pub fn python() -> PathBuf {
    std::env::var_os("VIGIE_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from)
}

/// Fails (never skips) when the peer's Python modules are missing.
pub fn require_python_module(module: &str) {
    let ok = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "Python module `{module}` is missing for {:?}: run `cargo xtask test` (it creates the venv), or set VIGIE_PYTHON to a python that has pymavlink and MAVProxy",
        python()
    );
}

pub fn peer_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/peers")
        .join(name)
}

/// Runs a peer script with a timeout; returns (success, combined output).
pub fn run_peer(script: &str, args: &[String], timeout: Duration) -> (bool, String) {
    let mut child = Command::new(python())
        .arg(peer_script(script))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = format!(
        "{}{}",
        t_out.join().unwrap_or_default(),
        t_err.join().unwrap_or_default()
    );
    (status.is_some_and(|s| s.success()), text)
}
