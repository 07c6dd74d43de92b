//! `vigie fly` as a newcomer runs it from the README: the sample pilot registry and arrêté,
//! the built-in simulator, a legal flight sealed in the legal register; a wrong PIN refused.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

fn sim_bin() -> PathBuf {
    PathBuf::from(BIN).with_file_name("vigie-sim")
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sim(port: u16) -> Sim {
    Sim(Command::new(sim_bin())
        .args(["--scenario", "istres-calm", "--no-video", "--speedup", "3"])
        .args(["--udp", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap())
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn fly(data: &Path, port: u16, pin: &str, extra: &[&str]) -> std::process::Output {
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
        .args(["--metar", &metar, "--airframe", "vigie-sim", "--hover", "5"])
        .args([
            "--tick",
            "helices",
            "--tick",
            "zone-decollage",
            "--tick",
            "information-public",
        ])
        .args(extra)
        .env("VIGIE_DATA_DIR", data)
        .env("VIGIE_PIN", pin)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_wrong_pin_is_refused_and_journaled_then_a_legal_flight_is_sealed_and_verifies() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _sim = sim(port);
    let out = fly(data.path(), port, "0000", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("wrong PIN"), "{stdout}");
    assert!(!stdout.contains("accepted"), "nothing flew: {stdout}");
    // The attempt is in the legal register's journal.
    let list = Command::new(BIN)
        .args(["pilots", "list", "--actor", "chef-de-service"])
        .env("VIGIE_DATA_DIR", data.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.contains("wrong_pin"), "{listed}");

    let out = fly(
        data.path(),
        port,
        "2468",
        &["--operator-registration", "FIN87astrdge12k8-xyz"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "pilot PM-ISTRES-EX01 logged in",
        "fence of ",
        "pre-flight verdict: Allow",
        "arm-and-takeoff: accepted",
        "landed and disarmed",
        "sealed in the legal register",
    ] {
        assert!(stdout.contains(step), "missing {step:?}:\n{stdout}");
    }
    let verify = Command::new(BIN)
        .args(["register", "verify"])
        .env("VIGIE_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let list = Command::new(BIN)
        .args([
            "register",
            "list",
            "--actor",
            "chef-de-service",
            "--motive",
            "test",
        ])
        .env("VIGIE_DATA_DIR", data.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("EXEMPLE-13-2026-0042") && listed.contains("PM-ISTRES-EX01"),
        "the legal register holds the flight: {listed}"
    );
    assert!(
        !data.path().join("training-register.sqlite").exists(),
        "nothing went to the training register"
    );
    // The operator's registration number is recorded with the flight.
    let flight = listed
        .split_whitespace()
        .find(|w| w.starts_with("F-"))
        .expect("a flight id in the list");
    let show = Command::new(BIN)
        .args(["register", "show", flight, "--actor", "chef-de-service"])
        .args(["--motive", "test"])
        .env("VIGIE_DATA_DIR", data.path())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&show.stdout);
    assert!(
        shown.contains("\"operator_registration\": \"FIN87astrdge12k8-xyz\""),
        "{shown}{}",
        String::from_utf8_lossy(&show.stderr)
    );
}

#[test]
fn a_mistyped_operator_registration_number_is_bad_input_naming_the_fault() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["fly", "--connect", "udpin:127.0.0.1:1", "--pilot", "X"])
        .args(["--authorisation"])
        .arg(sample("authorisation-istres-exemple.toml"))
        .args(["--operator-registration", "FIN87astrdge12k9-xyz"])
        .env("VIGIE_DATA_DIR", data.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--operator-registration") && stderr.contains("check character"),
        "{stderr}"
    );
}

#[test]
fn without_a_ground_wind_source_fly_says_how_to_add_one_and_an_unknown_pilot_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["fly", "--connect", "udpin:127.0.0.1:1", "--pilot", "X"])
        .args(["--authorisation"])
        .arg(sample("authorisation-istres-exemple.toml"))
        .args(["--wait", "1"])
        .env("VIGIE_DATA_DIR", data.path())
        .env("VIGIE_PIN", "1234")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("--anemometer udp://") && stdout.contains("--metar"),
        "{stdout}"
    );
    // No such pilot: refused at login, before anything else.
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("no such pilot"), "{stdout}");
}
