//! `vigie demo --headless` against the real simulator, and `vigie tlog summary` on what it logged.

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

/// `vigie-sim` is built beside `vigie` by `cargo test --workspace` / `cargo xtask test`.
fn sim_bin() -> PathBuf {
    let p = PathBuf::from(BIN).with_file_name("vigie-sim");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build -p vigie_sim` (cargo xtask test does)",
        p.display()
    );
    p
}

fn demo(args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("demo")
        .arg("--headless")
        .args(args)
        .env("VIGIE_DATA_DIR", data.path())
        .env("VIGIE_SIM_BIN", sim_bin())
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    (out, data)
}

#[test]
fn mistral_demo_is_refused_by_the_wind_gate_and_never_arms() {
    let (out, _data) = demo(&[
        "--scenario",
        "istres-mistral",
        "--no-video",
        "--duration",
        "120",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit 3 = refused by a flight rule\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("WIND-GATE"), "{stdout}");
    assert!(
        stdout.contains("ground wind (Anemometer)"),
        "the gate judged a real reading: {stdout}"
    );
    assert!(!stdout.contains("arm-and-takeoff: accepted"), "{stdout}");
}

#[test]
fn calm_demo_flies_the_patrol_and_lands_and_the_tlog_reads_back() {
    // With the simulator's video: the station records it with the flight and serves it over
    // RTSP to an account of the CSU; the viewer watches mid-flight and is in the register.
    let data = tempfile::tempdir().unwrap();
    let users = data.path().join("rtsp-users");
    let added = Command::new(BIN)
        .args(["video", "users", "add", "--file"])
        .arg(&users)
        .arg("csu.istres")
        .env("VIGIE_PASSWORD", "mot-de-passe-csu")
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let port = crate::recovery::free_tcp();
    // The CSU's alert system may post incidents to the station.
    let tokens = data.path().join("incident-tokens");
    let token = "0c9b7e2f4a6d8c1e3b5a7f9d2c4e6a8b";
    std::fs::write(&tokens, format!("csu-istres {token}\n")).unwrap();
    let http = crate::recovery::free_tcp();
    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--headless",
            "--scenario",
            "istres-calm",
            "--speedup",
            "3",
            "--duration",
            "400",
            "--rtsp",
            &format!("127.0.0.1:{port}"),
            "--incidents",
            &format!("127.0.0.1:{http}"),
            "--incident-tokens",
        ])
        .arg(&tokens)
        .arg("--rtsp-users")
        .arg(&users)
        .env("VIGIE_DATA_DIR", data.path())
        .env("VIGIE_SIM_BIN", sim_bin())
        .env_remove("DISPLAY")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    let mut stdout = String::new();
    for l in lines.by_ref() {
        let l = l.unwrap();
        stdout.push_str(&l);
        stdout.push('\n');
        if l.contains("airborne at 40 m") {
            break;
        }
    }
    // The CSU sends an incident on the patrol's first waypoint; a bad one is refused, named.
    let post = |args: &[&str]| {
        Command::new(BIN)
            .args([
                "incident",
                "post",
                "--to",
                &format!("http://127.0.0.1:{http}/incidents"),
            ])
            .args(args)
            .env("VIGIE_INCIDENT_TOKEN", token)
            .output()
            .unwrap()
    };
    let sent = post(&["--lat", "43.5172", "--lon", "4.9872", "--kind", "rixe"]);
    assert!(sent.status.success(), "{sent:?}");
    assert!(String::from_utf8_lossy(&sent.stdout).starts_with("INC-"));
    let bad = post(&["--lat", "95", "--lon", "4.9872", "--kind", "rixe"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("field `lat`"),
        "{bad:?}"
    );
    let url = format!("rtsp://127.0.0.1:{port}/drone-1");
    assert!(
        stdout.contains(&url),
        "the demo says where it serves: {stdout}"
    );
    use crate::cli_video::{got_eos, run, text, viewer, with_account};
    let watch = |user: &str, password: &str| {
        run(
            &mut viewer(&with_account(&url, user, password), 30),
            std::time::Duration::from_secs(20),
        )
    };
    let watched = watch("csu.istres", "mot-de-passe-csu");
    assert!(got_eos(&watched), "{}", text(&watched));
    let refused = watch("csu.istres", "wrong");
    assert!(
        !got_eos(&refused),
        "a wrong password sees nothing: {}",
        text(&refused)
    );
    // What a VMS or ffprobe sees: video only (audio is never forwarded).
    let probe = Command::new("timeout")
        .args([
            "20",
            "ffprobe",
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(format!(
            "rtsp://csu.istres:mot-de-passe-csu@127.0.0.1:{port}/drone-1"
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "video",
        "{}",
        text(&probe)
    );
    for l in lines {
        stdout.push_str(&l.unwrap());
        stdout.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{stdout}");
    for step in [
        "upload-fence: accepted",
        "pre-flight verdict: Warn",
        "arm-and-takeoff: accepted",
        "reached 43.5130, 4.9922",
        "landed and disarmed",
        "summary:",
        "register entry  flight ",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in\n{stdout}");
    }
    // The summary's hint works as printed.
    let hint = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("read it with"))
        .expect("the summary says how to read the register");
    let words: Vec<&str> = hint.split_whitespace().collect();
    assert_eq!(words[0], "vigie");
    let listed = Command::new(BIN).args(&words[1..]).output().unwrap();
    assert!(
        listed.status.success()
            && String::from_utf8_lossy(&listed.stdout).contains("DEMO-13-2026-0001"),
        "{hint}: {}{}",
        String::from_utf8_lossy(&listed.stdout),
        String::from_utf8_lossy(&listed.stderr)
    );
    let tlog = find(data.path(), "tlog").expect("the flight's tlog in the training recordings");
    assert!(
        find(data.path(), "rrd").is_some(),
        "the flight's .rrd recording"
    );
    // The training register holds the sealed flight, and verifies (tlog and .rrd digests too).
    let verify = Command::new(BIN)
        .args(["register", "verify", "--training"])
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
            "--training",
            "--motive",
            "test: demo flight recorded",
        ])
        .env("VIGIE_ACTOR", "test-officer")
        .env("VIGIE_DATA_DIR", data.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("DEMO-13-2026-0001"),
        "the flight is listed under its arrêté: {listed}{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let sum = Command::new(BIN)
        .args(["tlog", "summary", "--json"])
        .arg(&tlog)
        .output()
        .unwrap();
    assert!(sum.status.success());
    let v: serde_json::Value = serde_json::from_slice(&sum.stdout).unwrap();
    for name in [
        "HEARTBEAT",
        "COMMAND_LONG",
        "COMMAND_ACK",
        "COMMAND_INT", // the patrol go-tos (the fence went up before arming, before the flight log)
        "GLOBAL_POSITION_INT",
    ] {
        assert!(
            v["by_type"][name].as_u64().unwrap_or(0) > 0,
            "{name} in the tlog: {v}"
        );
    }
    assert_eq!(v["skipped_bytes"], 0);

    // The flight's video: segments in the flight's recordings, each digest in the register;
    // one flipped byte in one of them and verify names that segment.
    assert!(
        stdout.contains("recorded with the flight"),
        "the summary says the video was recorded: {stdout}"
    );
    let segment = find(data.path(), "mkv").expect("a video segment of the flight");
    let mut bytes = std::fs::read(&segment).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&segment, &bytes).unwrap();
    let verify = Command::new(BIN)
        .args(["register", "verify", "--training"])
        .env("VIGIE_DATA_DIR", data.path())
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(!verify.status.success(), "{said}");
    let name = segment.file_name().unwrap().to_string_lossy().into_owned();
    assert!(said.contains(&name), "verify names {name}: {said}");

    // The incident, and the drone on scene, in the register with the flight's record.
    let events =
        crate::cli_video::register_payloads(&data.path().join("training-register.sqlite"), "event");
    assert!(
        events
            .iter()
            .any(|e| e["code"] == "INCIDENT"
                && e["text"].as_str().unwrap_or("").contains("csu-istres")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e["code"] == "INCIDENT-RESPONSE"
            && e["data"]["what"] == "OnScene"
            && e["flight_id"].as_str().is_some_and(|f| f.starts_with("F-"))),
        "alert → on scene in the flight's record: {events:?}"
    );
    // The viewers who watched, each in the flight's record with account, address, stream.
    let flight = stdout
        .split_whitespace()
        .find(|w| w.starts_with("F-"))
        .expect("the summary names the flight");
    let show = Command::new(BIN)
        .args([
            "register",
            "show",
            flight,
            "--training",
            "--motive",
            "test: who watched",
        ])
        .env("VIGIE_ACTOR", "test-officer")
        .env("VIGIE_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(show.status.success(), "{}", text(&show));
    let view: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    let sessions = view["viewer_sessions"].as_array().unwrap();
    assert_eq!(
        sessions.len(),
        2,
        "the gst viewer and ffprobe, not the refused one: {sessions:?}"
    );
    for pair in sessions {
        let (start, end) = (&pair[0], &pair[1]);
        assert_eq!(start["viewer"]["id"], "csu.istres", "{start}");
        assert!(
            start["from"].as_str().unwrap().starts_with("127.0.0.1:"),
            "{start}"
        );
        assert_eq!(start["stream"], "drone-1");
        assert!(end["ended_at"].is_string(), "the session's end: {pair}");
    }
}

fn find(dir: &std::path::Path, ext: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find(&p, ext) {
                return Some(f);
            }
        } else if p.extension().is_some_and(|x| x == ext) {
            return Some(p);
        }
    }
    None
}

#[test]
fn tlog_summary_of_a_file_that_is_not_a_tlog_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.txt");
    std::fs::write(&f, "not a telemetry log").unwrap();
    let out = Command::new(BIN)
        .args(["tlog", "summary"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("notes.txt") && err.contains("no MAVLink frame"),
        "{err}"
    );
}

#[test]
fn demo_connect_with_a_bad_url_is_bad_input() {
    let out = Command::new(BIN)
        .args(["demo", "--headless", "--connect", "ftp:nowhere"])
        .env("VIGIE_DATA_DIR", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("udpin:0.0.0.0:14550"),
        "the error shows the fix"
    );
}

/// The station frozen mid-flight (SIGSTOP, what a hung laptop does): the vehicle's own GCS
/// failsafe brings it home; once thawed, the station reports the loss and the recovery, sees
/// the vehicle in RTL — or, when the freeze caught the patrol's go-to on its way, holds it
/// back (sent after the thaw it would switch the RTL back to GUIDED and the vehicle would hover
/// there: the flake this test had) — and the demo ends with the vehicle landed.
#[test]
fn a_frozen_station_leaves_the_vehicle_to_its_failsafe_and_reports_the_gap() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let scenario = data.path().join("calm-failsafe.toml");
    let calm = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/scenarios/istres-calm.toml"),
    )
    .unwrap();
    // A police operator's configuration: RTL when the ground station goes silent for 5 s.
    std::fs::write(
        &scenario,
        format!("{calm}\n[params]\nFS_GCS_ENABLE = 1\nFS_GCS_TIMEOUT = 5\n"),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--headless",
            "--no-video",
            "--speedup",
            "2",
            "--duration",
            "400",
        ])
        .arg("--scenario")
        .arg(&scenario)
        .env("VIGIE_DATA_DIR", data.path())
        .env("VIGIE_SIM_BIN", sim_bin())
        .env_remove("DISPLAY")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    for l in lines.by_ref() {
        let l = l.unwrap();
        seen.push_str(&l);
        seen.push('\n');
        if l.contains("airborne at 40 m") {
            break;
        }
    }
    assert!(seen.contains("airborne at 40 m"), "{seen}");
    // Frozen for longer than FS_GCS_TIMEOUT (5 s of sim time = 2.5 s at speed-up 2).
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert!(
        Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .unwrap()
            .success()
    );
    for l in lines.by_ref() {
        seen.push_str(&l.unwrap());
        seen.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{seen}");
    assert!(
        seen.contains("left the patrol on its own (mode RTL)")
            || seen.contains("go-to not done: link: not sent: the station was silent"),
        "the vehicle's failsafe took it home: {seen}"
    );
    assert!(seen.contains("landed and disarmed"), "{seen}");
    assert!(
        seen.contains("link lost"),
        "the gap is reported as an alarm: {seen}"
    );
}
