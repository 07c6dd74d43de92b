//! The same suite against a real PostgreSQL 15 server started for this test (Debian's binaries, a
//! temporary directory, a free port), over TLS only (a CA and server certificate made with the
//! openssl CLI; pg_hba accepts `hostssl` only), with a second station writing beside each case.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use vigie_register::*;

use crate::common::{Backend, actor, record_flight, t0};
use crate::suite::CASES;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

pub struct PgServer {
    child: Child,
    data: PathBuf,
    pub port: u16,
    /// The CA that signed the server's certificate (for `sslrootcert`).
    pub ca: PathBuf,
    /// Another CA, which signed nothing the server has.
    pub rogue_ca: PathBuf,
    _dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA, and a server certificate it signs for `localhost` and 127.0.0.1 (not 127.0.0.2).
fn make_certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for ca in ["ca", "rogue-ca"] {
        let mut a = vec!["req", "-x509"];
        a.extend(ec);
        let key = format!("{ca}.key");
        let pem = format!("{ca}.pem");
        let subj = format!("/CN=vigie test {ca}");
        a.extend(["-days", "2", "-subj", &subj, "-keyout", &key, "-out", &pem]);
        openssl(dir, &a);
    }
    let mut a = vec!["req"];
    a.extend(ec);
    a.extend([
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    openssl(dir, &a);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
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
        make_certificates(dir.path());
        {
            use std::os::unix::fs::PermissionsExt as _;
            // The server refuses a key others can read.
            std::fs::set_permissions(
                dir.path().join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
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
        // TLS or nothing: no `host` line, so a plain TCP connection is refused by the server.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.0/8 trust\n",
        )
        .unwrap();
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
                "listen_addresses=127.0.0.1,127.0.0.2",
                "-c",
                "ssl=on",
                "-c",
                &format!("ssl_cert_file={}", dir.path().join("server.crt").display()),
                "-c",
                &format!("ssl_key_file={}", dir.path().join("server.key").display()),
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
            ca: dir.path().join("ca.pem"),
            rogue_ca: dir.path().join("rogue-ca.pem"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if vigie_register::store::pgconn::connect(&server.conninfo("postgres")).is_ok() {
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

    /// `sslmode=verify-full` against the test CA.
    pub fn conninfo(&self, db: &str) -> String {
        format!(
            "host=localhost port={} user=postgres dbname={db} sslmode=verify-full sslrootcert={}",
            self.port,
            self.ca.display()
        )
    }

    pub fn create_db(&self, name: &str) -> String {
        let (mut c, _) =
            vigie_register::store::pgconn::connect(&self.conninfo("postgres")).unwrap();
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

/// Flight ids the suite's cases use: the neighbour station records flights with the same ids.
const CASE_FLIGHTS: [&str; 9] = ["F1", "F2", "FA", "FH", "FJ", "FR", "FB", "FS", "FL"];

#[test]
fn postgres_backend_passes_the_suite() {
    let server = PgServer::start();
    for (i, (name, case)) in CASES.iter().enumerate() {
        let conninfo = server.create_db(&format!("case{i}"));
        eprintln!("postgresql over TLS, two stations: {name}");
        // A second commune in the same département register, with the same flight, deployment
        // and authorisation ids as the case: keys are station-scoped, nothing may mix.
        let neighbour = Backend::postgres(conninfo.clone());
        let mut n = neighbour.open();
        let fixtures: Vec<_> = CASE_FLIGHTS
            .iter()
            .map(|f| record_flight(&mut n, f, t0(), &[false, true]))
            .collect();
        let before = neighbour.all_entries();
        case(&Backend::postgres(conninfo));
        // The case (purges included) left the neighbour's chain and recordings alone.
        let after = neighbour.all_entries();
        let me = neighbour.station();
        let v = n.verify().unwrap();
        let mine = v.chains.iter().find(|c| c.station == me).unwrap();
        assert_eq!(mine.entries as usize, before.len(), "{name}");
        assert_eq!(
            before
                .iter()
                .map(|e| (e.id, e.payload.is_some()))
                .collect::<Vec<_>>(),
            after
                .iter()
                .map(|e| (e.id, e.payload.is_some()))
                .collect::<Vec<_>>(),
            "{name}: the other station's entries changed"
        );
        for fx in &fixtures {
            assert!(
                fx.tlog.exists() && fx.rrd.exists() && fx.segments.iter().all(|(p, _)| p.exists()),
                "{name}: the other station's recordings were deleted"
            );
        }
    }
}

#[test]
fn postgres_connections_are_tls_verified() {
    let server = PgServer::start();
    let good = server.conninfo("postgres");
    let (mut c, label) = vigie_register::store::pgconn::connect(&good).unwrap();
    let ssl: bool = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl, "connected without TLS");
    assert!(label.contains("verify-full"), "{label}");
    let port = server.port;
    // Plain TCP is refused by the server (hostssl only).
    let plain = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres sslmode=disable");
    assert!(vigie_register::store::pgconn::connect(&plain).is_err());
    // A server certificate from another CA is refused.
    let rogue = format!(
        "host=localhost port={port} user=postgres dbname=postgres sslmode=verify-full sslrootcert={}",
        server.rogue_ca.display()
    );
    let Err(err) = vigie_register::store::pgconn::connect(&rogue) else {
        panic!("rogue CA accepted")
    };
    assert!(err.to_string().contains("postgresql("), "{err}");
    // 127.0.0.2 is the same server, but its certificate does not name that address:
    // verify-full refuses it, verify-ca (no host check) accepts it.
    let other_host = |mode: &str| {
        format!(
            "host=127.0.0.2 port={port} user=postgres dbname=postgres sslmode={mode} sslrootcert={}",
            server.ca.display()
        )
    };
    assert!(vigie_register::store::pgconn::connect(&other_host("verify-full")).is_err());
    assert!(vigie_register::store::pgconn::connect(&other_host("verify-ca")).is_ok());
    // verify-full without a CA file: a clear error naming the fix.
    let no_ca =
        format!("host=localhost port={port} user=postgres dbname=postgres sslmode=verify-full");
    let Err(err) = vigie_register::store::pgconn::connect(&no_ca) else {
        panic!("no CA accepted")
    };
    assert!(err.to_string().contains("sslrootcert"), "{err}");
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
        data: None,
        vehicle: None,
    };
    for i in 0..20 {
        ra.record_event(&ev(&format!("a{i}"))).unwrap();
        rb.record_event(&ev(&format!("b{i}"))).unwrap();
    }
    let v = ra.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.first_break());
    assert_eq!((v.stations, v.entries), (2, 42));
    // Station B's tampered row is found by station A's verify too.
    let row = b
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

#[test]
fn two_communes_arming_in_the_same_second_never_collide() {
    let server = PgServer::start();
    let conninfo = server.create_db("departement");
    let a = Backend::postgres(conninfo.clone());
    let b = Backend::postgres(conninfo);
    let mut ra = a.open();
    let mut rb = b.open();
    let at = t0();
    let (ida, idb) = (
        ra.new_flight_id(at, "drone-1").unwrap(),
        rb.new_flight_id(at, "drone-1").unwrap(),
    );
    assert_ne!(ida, idb);
    record_flight(&mut ra, &ida, t0(), &[]);
    record_flight(&mut rb, &idb, t0(), &[]);
    // An older station that names flights by the second only: same id in both chains, kept apart.
    record_flight(&mut ra, "F-20260601T100000Z", t0(), &[false]);
    record_flight(&mut rb, "F-20260601T100000Z", t0(), &[false]);
    let va = ra
        .show_flight("F-20260601T100000Z", &actor("chef-a"), "contrôle")
        .unwrap();
    assert_eq!(va.station, ra.station_id());
    assert_eq!(va.events.len(), 2, "flights of two stations mixed");
    // A CSU reader (a third key) must say which one it means.
    let csu = Backend::postgres(a.pg.clone().unwrap());
    let mut rc = csu.open();
    let err = rc
        .show_flight("F-20260601T100000Z", &actor("csu"), "m")
        .unwrap_err();
    assert!(err.to_string().contains("STATION/"), "{err}");
    let qualified = format!("{}/F-20260601T100000Z", rb.station_id());
    assert_eq!(
        rc.show_flight(&qualified, &actor("csu"), "m")
            .unwrap()
            .station,
        rb.station_id()
    );
    let all = rc
        .list_flights(&FlightFilter::default(), &actor("csu"), "m")
        .unwrap();
    assert_eq!(all.len(), 4);
    assert!(rc.verify().unwrap().is_ok());
}

#[test]
fn postgres_witness_catches_a_cut_and_keeps_its_heads() {
    let server = PgServer::start();
    let register = server.create_db("register");
    let witness_db = server.create_db("witness");
    let b = Backend::postgres(register);
    crate::witness::cutting_the_newest_entries_is_caught_by_the_witness(&b, &witness_db);
    // The witness table is append-only too.
    let (mut c, _) = vigie_register::store::pgconn::connect(&witness_db).unwrap();
    assert!(c.execute("DELETE FROM witness_heads", &[]).is_err());
    assert!(
        c.execute("UPDATE witness_heads SET station_seq = 1", &[])
            .is_err()
    );
    // And so is the register's own table, for whoever is not superuser-bypassing the triggers.
    let (mut r, _) = vigie_register::store::pgconn::connect(b.pg.as_ref().unwrap()).unwrap();
    let err = r.execute("DELETE FROM entries", &[]).unwrap_err();
    assert!(
        err.to_string().contains("never deleted") || format!("{err:?}").contains("never deleted"),
        "{err:?}"
    );
}

/// Twenty communes append flights, events, segments and viewer sessions into one PostgreSQL
/// register over TLS at once (15 s here, VIGIE_LOAD_SECONDS to change; the 10-minute run is
/// `crates/register/scripts/load-test.sh`); every chain verifies. Figures are printed, not judged.
#[test]
fn twenty_stations_append_at_once_and_every_chain_verifies() {
    let server = PgServer::start();
    let conninfo = server.create_db("load");
    let seconds = std::env::var("VIGIE_LOAD_SECONDS").unwrap_or_else(|_| "15".into());
    let out = Command::new(env!("CARGO_BIN_EXE_vigie-register-load"))
        .args([
            "--postgres",
            &conninfo,
            "--stations",
            "20",
            "--seconds",
            &seconds,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "load run failed");
    assert!(
        stdout.contains("verify: 20 chains") && stdout.contains("OK"),
        "{stdout}"
    );
}
