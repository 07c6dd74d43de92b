//! A station that is closed, killed or crashes mid-flight loses nothing and picks up where it was:
//! SIGTERM to the demo (headless and windowed), kill -9 while airborne and a restart that flies
//! the vehicle home under the same flight, a vehicle that landed while the station was away, and
//! kill -9 at random moments (the register always verifies, nothing committed is lost).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigie_register::{Register, RegisterKind};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

fn sim_bin() -> PathBuf {
    PathBuf::from(BIN).with_file_name("vigie-sim")
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn children_of(pid: u32) -> Vec<u32> {
    let out = Command::new("ps")
        .args(["-o", "pid=", "--ppid", &pid.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn signal(pid: u32, sig: &str) {
    assert!(
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

fn verify(data: &Path, training: bool) {
    let mut cmd = Command::new(BIN);
    cmd.args(["register", "verify"]).env("VIGIE_DATA_DIR", data);
    if training {
        cmd.arg("--training");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn open_flights(data: &Path, kind: RegisterKind) -> Vec<vigie_register::OpenFlight> {
    Register::open(data, kind).unwrap().open_flights().unwrap()
}

/// Read lines until one contains `want`; everything read so far is returned too.
fn until(lines: &mut impl Iterator<Item = std::io::Result<String>>, want: &str) -> String {
    let mut seen = String::new();
    for l in lines {
        let l = l.unwrap();
        seen.push_str(&l);
        seen.push('\n');
        if l.contains(want) {
            return seen;
        }
    }
    panic!("never saw {want:?}:\n{seen}");
}

#[test]
fn sigterm_to_the_headless_demo_stops_everything_and_marks_the_flight_interrupted() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["demo", "--headless", "--no-video", "--speedup", "3"])
        .env("VIGIE_DATA_DIR", data.path())
        .env("VIGIE_SIM_BIN", sim_bin())
        .env_remove("DISPLAY")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    until(&mut lines, "airborne at 40 m");
    let sims = children_of(child.id());
    assert_eq!(sims.len(), 1, "the demo's simulator");
    signal(child.id(), "-TERM");
    let rest: String = lines.map_while(Result::ok).collect::<Vec<_>>().join("\n");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "128 + SIGTERM: {rest}");
    assert!(
        rest.contains("still airborne"),
        "the CLI says what the vehicle will do: {rest}"
    );
    assert!(rest.contains("interrupted"), "{rest}");
    let t = Instant::now();
    while alive(sims[0]) && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(sims[0]), "no simulator left running");
    let open = open_flights(data.path(), RegisterKind::Training);
    assert_eq!(
        open.len(),
        1,
        "the flight stays open, not sealed as if it had landed"
    );
    let i = open[0].interrupted.as_ref().expect("marked interrupted");
    assert_eq!(i.reason, "station-shutdown");
    assert_eq!(i.airborne, Some(true));
    verify(data.path(), true);
}

#[test]
fn sigterm_to_the_windowed_demo_under_xvfb_stops_everything_too() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("demo.log");
    let pidfile = data.path().join("demo.pid");
    let script = format!(
        "{bin} -v demo --no-video --speedup 3 2> {log} & echo $! > {pid}; wait",
        bin = BIN,
        log = log.display(),
        pid = pidfile.display()
    );
    let mut xvfb: Child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "sh", "-c", &script])
        .env("VIGIE_DATA_DIR", data.path())
        .env("VIGIE_SIM_BIN", sim_bin())
        .stdout(Stdio::null())
        .spawn()
        .expect("xvfb-run (Debian package xvfb; `cargo xtask test` installs it)");
    let t = Instant::now();
    let pid: u32 = loop {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the demo never started"
        );
        if let Ok(p) = std::fs::read_to_string(&pidfile)
            && let Ok(p) = p.trim().parse()
        {
            break p;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("airborne at 40 m")
    {
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "never airborne: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let sims = children_of(pid);
    assert_eq!(sims.len(), 1);
    signal(pid, "-TERM");
    let _ = xvfb.wait();
    assert!(!alive(pid), "no vigie process left");
    assert!(!alive(sims[0]), "no simulator left");
    let open = open_flights(data.path(), RegisterKind::Training);
    assert_eq!(open.len(), 1);
    assert!(open[0].interrupted.is_some(), "marked interrupted");
    verify(data.path(), true);
}

/// `vigie` alone is the pilot's app with a real session: the legal register (never the
/// training one), nobody logged in; a SIGTERM closes it cleanly.
#[test]
fn the_app_opens_a_real_session_on_the_legal_register_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("app.log");
    let pidfile = data.path().join("app.pid");
    let script = format!(
        "{bin} -v 2> {log} & echo $! > {pid}; wait",
        bin = BIN,
        log = log.display(),
        pid = pidfile.display()
    );
    let mut xvfb: Child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "sh", "-c", &script])
        .env("VIGIE_DATA_DIR", data.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("xvfb-run (Debian package xvfb; `cargo xtask test` installs it)");
    let t = Instant::now();
    let pid: u32 = loop {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the app never started"
        );
        if let Ok(p) = std::fs::read_to_string(&pidfile)
            && let Ok(p) = p.trim().parse()
        {
            break p;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    while !data.path().join("register.sqlite").exists() {
        assert!(
            t.elapsed() < Duration::from_secs(60) && alive(pid),
            "no legal register opened: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Let the window come up and draw, then stop it as a desktop session would.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        alive(pid),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    signal(pid, "-TERM");
    let _ = xvfb.wait();
    assert!(!alive(pid), "no vigie process left");
    assert!(
        !data.path().join("training-register.sqlite").exists(),
        "the app is not the demo: nothing in the training register"
    );
    verify(data.path(), false);
}

fn scenario(dir: &Path, timeout_s: u32) -> PathBuf {
    let calm = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/scenarios/istres-calm.toml"),
    )
    .unwrap();
    let p = dir.join("calm-failsafe.toml");
    std::fs::write(
        &p,
        format!("{calm}\n[params]\nFS_GCS_ENABLE = 1\nFS_GCS_TIMEOUT = {timeout_s}\n"),
    )
    .unwrap();
    p
}

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sim(scenario: &Path, port: u16, control: u16) -> Sim {
    Sim(Command::new(sim_bin())
        .arg("--scenario")
        .arg(scenario)
        .args(["--no-video", "--udp", &format!("127.0.0.1:{port}")])
        .args(["--control", &format!("127.0.0.1:{control}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap())
}

pub(crate) fn free_udp() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn free_tcp() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn fly(data: &Path, port: u16, hover_s: &str) -> Child {
    let metar = format!(
        "LFMI {}Z 20005KT CAVOK 12/03 Q1021",
        chrono::Utc::now().format("%d%H%M")
    );
    Command::new(BIN)
        .arg("fly")
        .args(["--connect", &format!("udpin:127.0.0.1:{port}")])
        .arg("--pilots")
        .arg(sample("pilots.toml"))
        .args(["--pilot", "PM-ISTRES-EX01"])
        .arg("--authorisation")
        .arg(sample("authorisation-istres-exemple.toml"))
        .args([
            "--metar",
            &metar,
            "--airframe",
            "vigie-sim",
            "--hover",
            hover_s,
        ])
        .args([
            "--tick",
            "helices",
            "--tick",
            "zone-decollage",
            "--tick",
            "information-public",
        ])
        .env("VIGIE_DATA_DIR", data)
        .env("VIGIE_PIN", "2468")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn killed_while_airborne_the_restarted_station_takes_the_flight_up_and_brings_it_home() {
    let data = tempfile::tempdir().unwrap();
    // The vehicle waits 60 s for its station before going home on its own.
    let sc = scenario(data.path(), 60);
    let port = free_udp();
    let _sim = sim(&sc, port, free_tcp());
    let mut first = fly(data.path(), port, "300");
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    until(&mut lines, "hovering at");
    signal(first.id(), "-KILL");
    let _ = first.wait();
    // Restarted with the same data directory, within the vehicle's failsafe timeout.
    let second = fly(data.path(), port, "5").wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "{out}");
    for step in [
        "was left open by a station that was killed or crashed",
        "taking its flight up again",
        "taken up again after a gap of",
        "landed and disarmed",
        "sealed in the legal register",
    ] {
        assert!(out.contains(step), "missing {step:?}:\n{out}");
    }
    let mut reg = Register::open(data.path(), RegisterKind::Legal).unwrap();
    let actor = vigie_register::Actor::system();
    let flights = reg
        .list_flights(&Default::default(), &actor, "test")
        .unwrap();
    assert_eq!(flights.len(), 1, "one flight, with the gap: {flights:#?}");
    assert!(flights[0].sealed);
    let view = reg
        .show_flight(&flights[0].flight_id, &actor, "test")
        .unwrap();
    assert!(
        view.events.iter().any(|e| e.code == "FLIGHT-RESUMED"),
        "the gap is an event of the flight"
    );
    drop(reg);
    verify(data.path(), false);
}

#[test]
fn a_vehicle_that_landed_alone_gets_its_flight_closed_as_ended_while_the_station_was_away() {
    let data = tempfile::tempdir().unwrap();
    // The vehicle goes home 3 s after its station disappears.
    let sc = scenario(data.path(), 3);
    let port = free_udp();
    let control = free_tcp();
    let _sim = sim(&sc, port, control);
    let mut first = fly(data.path(), port, "300");
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    until(&mut lines, "hovering at");
    signal(first.id(), "-KILL");
    let _ = first.wait();
    // Wait until the vehicle has landed and disarmed by itself.
    let t = Instant::now();
    loop {
        assert!(t.elapsed() < Duration::from_secs(180), "never landed alone");
        let mut s = std::net::TcpStream::connect(("127.0.0.1", control)).unwrap();
        use std::io::{Read, Write};
        writeln!(s, "status").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        if text.contains("armed=false") || text.contains("disarmed") {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    // A station started again finds the flight and closes it with what the vehicle reports.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = vigie_station::StationConfig::new(vigie_link::HubConfig {
            links: vec![vigie_link::LinkConfig::vehicle(
                format!("udpin:127.0.0.1:{port}").parse().unwrap(),
            )],
            ..Default::default()
        });
        c.register_dir = Some(data.path().to_path_buf());
        let st = vigie_station::start(c).await.unwrap();
        let mut events = st.events();
        let closed = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Ok(e) = events.recv().await
                    && let vigie_station::EventKind::FlightSealed { flight_id } = e.kind
                {
                    return flight_id;
                }
            }
        })
        .await
        .expect("the left-open flight is closed");
        st.shutdown().await;
        closed
    });
    let mut reg = Register::open(data.path(), RegisterKind::Legal).unwrap();
    assert!(reg.open_flights().unwrap().is_empty());
    let actor = vigie_register::Actor::system();
    let f = reg
        .list_flights(&Default::default(), &actor, "test")
        .unwrap();
    assert_eq!(f.len(), 1);
    let view = reg.show_flight(&f[0].flight_id, &actor, "test").unwrap();
    assert!(
        matches!(
            view.seal.as_ref().and_then(|s| s.ending.as_ref()),
            Some(vigie_register::FlightEnding::EndedWhileStationAway { .. })
        ),
        "{:?}",
        view.seal
    );
    drop(reg);
    verify(data.path(), false);
}

/// kill -9 at pseudo-random moments of short demo flights (a few in CI; the script
/// `scripts/kill-loop.sh` does 100): every restart verifies, nothing committed is lost.
#[test]
fn kill_9_at_random_moments_never_breaks_the_register() {
    let data = tempfile::tempdir().unwrap();
    let mut seen_entries = 0u64;
    // Deterministic "random" moments spread over a flight (seconds after start).
    for (i, at_ms) in [1500u64, 6000, 11000, 3500, 17000].iter().enumerate() {
        let mut child = Command::new(BIN)
            .args(["demo", "--headless", "--no-video", "--speedup", "3"])
            .env("VIGIE_DATA_DIR", data.path())
            .env("VIGIE_SIM_BIN", sim_bin())
            .env_remove("DISPLAY")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*at_ms));
        let sims = children_of(child.id());
        signal(child.id(), "-KILL");
        let _ = child.wait();
        for s in sims {
            signal(s, "-KILL");
        }
        verify(data.path(), true);
        let entries = Register::open(data.path(), RegisterKind::Training)
            .unwrap()
            .verify()
            .unwrap()
            .entries;
        assert!(
            entries >= seen_entries,
            "kill {i}: entries went from {seen_entries} to {entries}"
        );
        seen_entries = entries;
    }
}
