//! `vigie video relay` (issue 11): the CSU's relay fed by the field station's one SRT stream,
//! fanned out to 8 viewers with their own accounts, every session journaled in the relay's
//! register; the holes the review found (SRT without a passphrase, credentials in logs, a URI
//! crafted to add elements) stay closed. Real peers: gst-launch-1.0, ffprobe, gst-discoverer-1.0,
//! sha256sum, and Python's sqlite3 reading the register.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use vigie_video::testsrc::{SenderConfig, TestSender};
use vigie_video::{
    Events, Forward, ForwardTarget, Ingest, IngestConfig, SourceUri, SrtCaller, SrtPassphrase,
    VideoEvent,
};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");
const T: Duration = Duration::from_secs(60);
const PASS: &str = "relay-test-srt-passphrase";
const SECRET: &str = "S3cret-Cam-Pass";

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn vigie(data: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env("VIGIE_DATA_DIR", data)
        .env_remove("VIGIE_SRT_PASSPHRASE")
        .env_remove("VIGIE_REGISTER_POSTGRES")
        .env_remove("VIGIE_CONFIG")
        .env_remove("VIGIE_LOG");
    c
}

/// A relay process; its stdout (JSON events) and stderr lines arrive on channels.
struct Relay {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

fn spawn_relay(mut cmd: Command) -> Relay {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    Relay { child, out, err }
}

/// Wait for a line matching `pred` on `rx`; every line seen is kept in `seen`.
fn wait_line(
    rx: &Receiver<String>,
    seen: &mut Vec<String>,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + T;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) => {
                seen.push(l.clone());
                if pred(&l) {
                    return l;
                }
            }
            Err(_) => panic!("no {what} within {T:?}; seen: {seen:#?}"),
        }
    }
}

fn wait_output(mut child: Child, timeout: Duration) -> Output {
    let deadline = Instant::now() + timeout;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

pub(crate) fn run(cmd: &mut Command, timeout: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_output(child, timeout)
}

pub(crate) fn viewer(url: &str, buffers: u32) -> Command {
    let mut c = Command::new("gst-launch-1.0");
    c.args([
        "rtspsrc",
        &format!("location={url}"),
        "latency=0",
        "protocols=tcp",
        "!",
        "rtph264depay",
        "!",
        "h264parse",
        "!",
        "fakesink",
        &format!("num-buffers={buffers}"),
    ]);
    c
}

pub(crate) fn got_eos(o: &Output) -> bool {
    text(o).contains("Got EOS from element")
}

pub(crate) fn with_account(url: &str, user: &str, password: &str) -> String {
    url.replacen("rtsp://", &format!("rtsp://{user}:{password}@"), 1)
}

fn passphrase_file(dir: &Path, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join("srt.passphrase");
    std::fs::write(&path, format!("{text}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

pub(crate) fn add_account(file: &Path, name: &str, password: &str) {
    let o = Command::new(BIN)
        .args(["video", "users", "add", "--file"])
        .arg(file)
        .arg(name)
        .env("VIGIE_PASSWORD", password)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
}

fn sha256sum(path: &Path) -> String {
    let o = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Entries of `kind` in a SQLite register, read by an independent reader (Python's sqlite3).
pub(crate) fn register_payloads(register: &Path, kind: &str) -> Vec<serde_json::Value> {
    let python = std::env::var("VIGIE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = "import sqlite3,sys,json\n\
        c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro',uri=True)\n\
        print(json.dumps([r[0] for r in c.execute('select payload from entries where kind=? order by id',(sys.argv[2],))]))";
    let o = Command::new(python)
        .args(["-c", script])
        .arg(register)
        .arg(kind)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let rows: Vec<String> = serde_json::from_slice(&o.stdout).unwrap();
    rows.iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect()
}

fn terminate(relay: &mut Relay) -> std::process::ExitStatus {
    let pid = relay.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + T;
    loop {
        if let Some(s) = relay.child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "the relay did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The field station: the drone's stream received, then pushed up over SRT.
struct Field {
    _sender: TestSender,
    ingest: Ingest,
    events: Events,
    rx: Receiver<VideoEvent>,
}

fn field_station() -> Field {
    let port = free_udp_port();
    let (events, rx) = Events::channel();
    let mut cfg = IngestConfig::new(
        "drone1",
        SourceUri::parse(&format!("udp://127.0.0.1:{port}")).unwrap(),
    );
    cfg.decode = false;
    let ingest = Ingest::start(cfg, events.clone()).unwrap();
    let sender = TestSender::start(
        &SenderConfig::new(1024, 256, 30),
        std::net::SocketAddr::from(([127, 0, 0, 1], port)),
    )
    .unwrap();
    Field {
        _sender: sender,
        ingest,
        events,
        rx,
    }
}

fn uplink(field: &Field, port: u16, passphrase: &str) -> Forward {
    let mut caller = SrtCaller::new("127.0.0.1", port, SrtPassphrase::new(passphrase).unwrap());
    caller.latency_ms = 20;
    caller.stream_id = SrtCaller::stream_id_for("drone1", "st-field", Some("F-CLI-1"));
    Forward::start(
        ForwardTarget::SrtCaller(caller),
        &field.ingest,
        field.events.clone(),
    )
    .unwrap()
}

fn wait_field_event(field: &Field, what: &str, pred: impl Fn(&VideoEvent) -> bool) {
    let deadline = Instant::now() + T;
    let mut seen = Vec::new();
    loop {
        match field
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(e) if pred(&e) => return,
            Ok(e) => seen.push(e),
            Err(_) => panic!("no {what}; field events: {seen:#?}"),
        }
    }
}

#[test]
fn field_to_relay_over_srt_then_eight_viewers_every_session_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("csu-data");
    let record = dir.path().join("csu-video");
    let users = dir.path().join("viewers.htdigest");
    add_account(&users, "csu.op1", "op1-password-2026");
    add_account(&users, "csu.op2", "op2-password-2026");
    let srt_port = free_udp_port();
    let mut cmd = vigie(&data);
    cmd.args(["video", "relay", "--from"])
        .arg(format!("srt://127.0.0.1:{srt_port}?mode=listener"))
        .args(["--rtsp", "127.0.0.1:0", "--segment-s", "1", "--users"])
        .arg(&users)
        .arg("--record")
        .arg(&record)
        .arg("--srt-passphrase-file")
        .arg(passphrase_file(dir.path(), PASS));
    let mut relay = spawn_relay(cmd);
    let (mut out_seen, mut err_seen) = (Vec::new(), Vec::new());
    let serving = wait_line(&relay.err, &mut err_seen, "the RTSP URL", |l| {
        l.starts_with("vigie: serving ")
    });
    let url = serving
        .trim_start_matches("vigie: serving ")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    // A wrong passphrase: the field station is told, the relay gets no video.
    let field = field_station();
    let wrong = uplink(&field, srt_port, "not-the-relay-passphrase");
    wait_field_event(&field, "ForwardFailed", |e| {
        matches!(e, VideoEvent::ForwardFailed { .. })
    });
    drop(wrong);
    assert!(
        !relay.out.try_iter().any(|l| l.contains("StreamUp")),
        "the relay took video from a wrong passphrase"
    );
    // The right one: the relay's stream comes up.
    let _up = uplink(&field, srt_port, PASS);
    wait_line(&relay.out, &mut out_seen, "StreamUp", |l| {
        l.contains("\"StreamUp\"")
    });
    if !out_seen.iter().any(|l| l.contains("SourceCaller")) {
        wait_line(&relay.out, &mut out_seen, "the uplink caller", |l| {
            l.contains("SourceCaller")
        });
    }

    // No account, a wrong password: refused.
    let anonymous = run(&mut viewer(&url, 30), T);
    assert!(
        !got_eos(&anonymous) && text(&anonymous).contains("Unauthorized"),
        "{}",
        text(&anonymous)
    );
    let wrong = run(
        &mut viewer(&with_account(&url, "csu.op1", "not-the-password"), 30),
        T,
    );
    assert!(!got_eos(&wrong), "{}", text(&wrong));

    // 8 viewers at once (5 s of video each, so they overlap), 4 per account.
    let children: Vec<Child> = (0..8)
        .map(|i| {
            let (user, pw) = if i % 2 == 0 {
                ("csu.op1", "op1-password-2026")
            } else {
                ("csu.op2", "op2-password-2026")
            };
            viewer(&with_account(&url, user, pw), 150)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = wait_output(c, T);
        assert!(got_eos(&o), "{}", text(&o));
    }
    // ffprobe sees video only.
    let probe = run(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-show_entries",
            "stream=codec_type,codec_name",
            &with_account(&url, "csu.op1", "op1-password-2026"),
        ]),
        T,
    );
    let p = text(&probe);
    assert!(
        probe.status.success() && p.contains("codec_type=video") && p.contains("codec_name=h264"),
        "{p}"
    );
    assert!(!p.contains("audio"), "{p}");
    // Wait for two closed segments before stopping.
    for _ in 0..2 {
        wait_line(&relay.out, &mut out_seen, "SegmentClosed", |l| {
            l.contains("\"SegmentClosed\"")
        });
    }
    assert!(terminate(&mut relay).success());

    // The journal: 9 sessions (8 viewers + ffprobe), each with its account, address, stream, a
    // start and an end. The refused attempts are not sessions. (The flight the uplink's stream id
    // names is not known to the relay with GStreamer 1.22's srtsrc.)
    let register = data.join("register.sqlite");
    let starts = register_payloads(&register, "viewer_session_start");
    let ends = register_payloads(&register, "viewer_session_end");
    assert_eq!(starts.len(), 9, "{starts:#?}");
    let mut ids = Vec::new();
    for s in &starts {
        let user = s["viewer"]["id"].as_str().unwrap();
        assert!(user == "csu.op1" || user == "csu.op2", "{s}");
        assert!(s["from"].as_str().unwrap().starts_with("127.0.0.1:"), "{s}");
        assert_eq!(s["stream"], "drone1");
        ids.push(s["session_id"].as_str().unwrap().to_owned());
        assert!(
            ends.iter().any(|e| e["session_id"] == s["session_id"]),
            "no end for {s}"
        );
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9);
    assert_eq!(
        starts
            .iter()
            .filter(|s| s["viewer"]["id"] == "csu.op2")
            .count(),
        4
    );
    // Segments recorded on the CSU side: decodable, hashed, in the manifest and in the register.
    let segments: Vec<serde_json::Value> = register_payloads(&register, "event")
        .into_iter()
        .filter(|e| e["code"] == "video.segment")
        .map(|e| serde_json::from_str(e["text"].as_str().unwrap()).unwrap())
        .collect();
    assert!(segments.len() >= 2, "{segments:#?}");
    let manifest = std::fs::read_to_string(record.join("manifest.jsonl")).unwrap();
    for s in &segments {
        let path = PathBuf::from(s["path"].as_str().unwrap());
        assert_eq!(s["sha256"].as_str().unwrap(), sha256sum(&path));
        assert!(manifest.contains(s["sha256"].as_str().unwrap()));
        let o = run(Command::new("gst-discoverer-1.0").arg(&path), T);
        assert!(
            o.status.success() && text(&o).contains("video"),
            "{}",
            text(&o)
        );
    }
    // The relay's register verifies.
    let verify = run(
        vigie(&data).args(["register", "verify"]),
        Duration::from_secs(120),
    );
    assert!(verify.status.success(), "{}", text(&verify));
}

#[test]
fn the_field_laptop_serves_its_own_viewers_journaled_and_pushes_to_the_csu() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("viewers.htdigest");
    add_account(&users, "pilot.screen", "pilot-screen-2026");
    let (field_data, csu_data) = (dir.path().join("field"), dir.path().join("csu"));
    let (src_port, srt_port) = (free_udp_port(), free_udp_port());
    // The CSU's relay.
    let mut cmd = vigie(&csu_data);
    cmd.args(["video", "relay", "--from"])
        .arg(format!("srt://127.0.0.1:{srt_port}?mode=listener"))
        .args(["--rtsp", "127.0.0.1:0"])
        .env("VIGIE_SRT_PASSPHRASE", PASS);
    let mut csu = spawn_relay(cmd);
    // The field laptop: receives the drone, serves a viewer, pushes one stream up.
    let mut cmd = vigie(&field_data);
    cmd.args(["video", "relay", "--from"])
        .arg(format!("udp://127.0.0.1:{src_port}"))
        .args(["--rtsp", "127.0.0.1:0", "--users"])
        .arg(&users)
        .args(["--push", &format!("127.0.0.1:{srt_port}")])
        .args(["--push-latency-ms", "20"])
        .env("VIGIE_SRT_PASSPHRASE", PASS);
    let mut field = spawn_relay(cmd);
    let _sender = TestSender::start(
        &SenderConfig::new(1024, 256, 30),
        std::net::SocketAddr::from(([127, 0, 0, 1], src_port)),
    )
    .unwrap();
    let (mut seen, mut seen2, mut seen3) = (Vec::new(), Vec::new(), Vec::new());
    let field_url = wait_line(&field.err, &mut seen, "the field URL", |l| {
        l.starts_with("vigie: serving ")
    })
    .trim_start_matches("vigie: serving ")
    .split_whitespace()
    .next()
    .unwrap()
    .to_owned();
    wait_line(&csu.out, &mut seen2, "the CSU's StreamUp", |l| {
        l.contains("\"StreamUp\"")
    });
    let o = run(
        &mut viewer(
            &with_account(&field_url, "pilot.screen", "pilot-screen-2026"),
            60,
        ),
        T,
    );
    assert!(got_eos(&o), "{}", text(&o));
    wait_line(&field.out, &mut seen3, "the field viewer's end", |l| {
        l.contains("ViewerEnded")
    });
    assert!(terminate(&mut field).success());
    assert!(terminate(&mut csu).success());
    let starts = register_payloads(&field_data.join("register.sqlite"), "viewer_session_start");
    assert_eq!(starts.len(), 1, "{starts:#?}");
    assert_eq!(starts[0]["viewer"]["id"], "pilot.screen");
    assert_eq!(
        register_payloads(&field_data.join("register.sqlite"), "viewer_session_end").len(),
        1
    );
    // The CSU journaled who pushed the stream.
    let uplinks: Vec<serde_json::Value> =
        register_payloads(&csu_data.join("register.sqlite"), "event")
            .into_iter()
            .filter(|e| e["code"] == "video.uplink")
            .collect();
    assert!(!uplinks.is_empty());
}

#[test]
fn srt_without_a_passphrase_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    for extra in [
        vec![
            "--from".to_owned(),
            format!("udp://127.0.0.1:{port}"),
            "--srt".into(),
            "127.0.0.1:0".into(),
        ],
        vec![
            "--from".to_owned(),
            format!("srt://127.0.0.1:{port}?mode=listener"),
        ],
        vec![
            "--from".to_owned(),
            format!("udp://127.0.0.1:{port}"),
            "--push".into(),
            "127.0.0.1:9".into(),
        ],
    ] {
        let o = run(
            vigie(dir.path())
                .args(["video", "relay", "--rtsp", "127.0.0.1:0"])
                .args(&extra),
            T,
        );
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o));
        assert!(
            text(&o).contains("VIGIE_SRT_PASSPHRASE") && text(&o).contains("--srt-passphrase-file"),
            "{}",
            text(&o)
        );
    }
    // Too short: refused without repeating it.
    let o = run(
        vigie(dir.path())
            .args(["video", "relay", "--rtsp", "127.0.0.1:0", "--from"])
            .arg(format!("udp://127.0.0.1:{port}"))
            .args(["--srt", "127.0.0.1:0"])
            .env("VIGIE_SRT_PASSPHRASE", "tooshort"),
        T,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("10 to 79") && !text(&o).contains("tooshort"),
        "{}",
        text(&o)
    );
}

/// Regression (issue 11): tried as an attacker, this `--from` made the relay create `pwned`.
#[test]
fn a_from_uri_crafted_to_inject_elements_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let attack = r#"rtsp://127.0.0.1:1/x" ! fakesink filesrc location=/etc/hostname ! filesink location=pwned rtspsrc location="rtsp://127.0.0.1:1/y"#;
    let o = run(
        vigie(&dir.path().join("data"))
            .current_dir(dir.path())
            .args(["video", "relay", "--rtsp", "127.0.0.1:0", "--from", attack]),
        T,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not allowed in a URI"), "{}", text(&o));
    assert!(!dir.path().join("pwned").exists());
}

#[test]
fn camera_credentials_never_reach_logs_events_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody serves: the relay retries, saying why, at the most verbose level.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = vigie(&dir.path().join("data"));
    cmd.args(["-vv", "video", "relay", "--rtsp", "127.0.0.1:0", "--from"])
        .arg(format!("rtsp://cam:{SECRET}@127.0.0.1:{port}/live"))
        .env("VIGIE_LOG", "debug");
    let mut relay = spawn_relay(cmd);
    let mut seen = Vec::new();
    for _ in 0..2 {
        wait_line(&relay.out, &mut seen, "StreamError", |l| {
            l.contains("StreamError")
        });
    }
    let _ = relay.child.kill();
    let _ = relay.child.wait();
    std::thread::sleep(Duration::from_millis(200));
    let mut all: Vec<String> = seen;
    all.extend(relay.out.try_iter());
    all.extend(relay.err.try_iter());
    let joined = all.join("\n");
    assert!(
        joined.contains("cam:***@127.0.0.1"),
        "the source is named (redacted): {joined}"
    );
    assert!(
        !joined.contains(SECRET),
        "the password was printed:\n{joined}"
    );
    // A URI refused as bad input is reported without its password too.
    let o = run(
        vigie(&dir.path().join("data"))
            .args(["video", "relay", "--rtsp", "127.0.0.1:0", "--from"])
            .arg(format!("rtsp://cam:{SECRET}@127.0.0.1:{port}/li ve")),
        T,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!text(&o).contains(SECRET), "{}", text(&o));
}
