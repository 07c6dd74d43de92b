//! The same suite against a real PostgreSQL 15 server started for this test (Debian's binaries, a
//! temporary directory, a free port), plus two stations writing to one register.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use vigie_register::*;

use crate::common::Backend;
use crate::suite::CASES;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct PgServer {
    child: Child,
    data: PathBuf,
    pub port: u16,
    _dir: tempfile::TempDir,
}

fn as_postgres(program: &str) -> Command {
    if !crate::common::running_as_root() {
        return Command::new(format!("{PG_BIN}/{program}"));
    }
    // initdb refuses to run as root: run the server as the `postgres` system user.
    let mut c = Command::new("runuser");
    c.args(["-u", "postgres", "--", &format!("{PG_BIN}/{program}")]);
    c
}

fn chown_postgres(path: &Path) {
    if !crate::common::running_as_root() {
        return;
    }
    let out = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chown {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PgServer {
    pub fn start() -> PgServer {
        assert!(
            Path::new(PG_BIN).join("initdb").exists(),
            "PostgreSQL 15 is not installed at {PG_BIN}: `apt-get install postgresql` (the PostgreSQL backend test needs a real server)"
        );
        let dir = tempfile::tempdir().unwrap();
        chown_postgres(dir.path());
        let data = dir.path().join("data");
        let out = as_postgres("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "-D",
            ])
            .arg(&data)
            .output()
            .unwrap_or_else(|e| panic!("cannot run initdb as user postgres via runuser: {e}"));
        assert!(
            out.status.success(),
            "initdb failed (is the `postgres` system user present?): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = as_postgres("postgres")
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut server = PgServer {
            child,
            data,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if postgres::Client::connect(&server.conninfo("postgres"), postgres::NoTls).is_ok() {
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = server.child.stderr.take() {
                    use std::io::Read as _;
                    let _ = e.read_to_string(&mut err);
                }
                panic!(
                    "PostgreSQL server exited ({status}) before accepting connections on port {port}: {err}"
                );
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not accept connections on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    pub fn conninfo(&self, db: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={db}",
            self.port
        )
    }

    pub fn create_db(&self, name: &str) -> String {
        let mut c = postgres::Client::connect(&self.conninfo("postgres"), postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        self.conninfo(name)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // runuser does not forward SIGKILL: stop the server through pg_ctl, then reap runuser.
        let _ = as_postgres("pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .output();
        let _ = self.child.wait();
    }
}

#[test]
fn postgres_backend_passes_the_suite() {
    let server = PgServer::start();
    for (i, (name, case)) in CASES.iter().enumerate() {
        let conninfo = server.create_db(&format!("case{i}"));
        eprintln!("postgresql: {name}");
        case(&Backend::postgres(conninfo));
    }
}

#[test]
fn postgres_register_holds_one_chain_per_station() {
    let server = PgServer::start();
    let conninfo = server.create_db("csu");
    // Two stations: two data directories, two keys, one département-wide register.
    let a = Backend::postgres(conninfo.clone());
    let b = Backend::postgres(conninfo);
    let mut ra = a.open();
    let mut rb = b.open();
    assert_ne!(ra.station_id(), rb.station_id());
    let ev = |t: &str| EventRecord {
        flight_id: None,
        at: Utc::now(),
        kind: EventKind::Info,
        code: "x".into(),
        text: t.into(),
        rule_ids: vec![],
    };
    for i in 0..20 {
        ra.record_event(&ev(&format!("a{i}"))).unwrap();
        rb.record_event(&ev(&format!("b{i}"))).unwrap();
    }
    let v = ra.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.first_break());
    assert_eq!((v.stations, v.entries), (2, 42));
    // Station B's tampered row is found by station A's verify too.
    let row = a
        .all_entries()
        .into_iter()
        .find(|e| e.station == rb.station_id() && e.station_seq == 5)
        .unwrap();
    a.tamper(
        "UPDATE entries SET payload = ?1 WHERE id = ?2",
        &[Some("{}".into())],
        row.id,
    );
    let first = ra.verify().unwrap().first_break().cloned().unwrap();
    assert_eq!((first.entry_id, first.field.as_str()), (row.id, "payload"));
}
