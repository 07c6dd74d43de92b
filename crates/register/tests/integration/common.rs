//! Shared fixtures: a backend (SQLite dir or PostgreSQL database) and a fully recorded flight.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use vigie_register::store::Store;
use vigie_register::*;

pub struct Backend {
    /// Data directory: keys, SQLite file, recordings.
    pub dir: tempfile::TempDir,
    /// libpq conninfo when the register lives in PostgreSQL.
    pub pg: Option<String>,
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend {
            dir: tempfile::tempdir().unwrap(),
            pg: None,
        }
    }

    pub fn postgres(conninfo: String) -> Backend {
        Backend {
            dir: tempfile::tempdir().unwrap(),
            pg: Some(conninfo),
        }
    }

    pub fn name(&self) -> &'static str {
        if self.pg.is_some() {
            "postgresql"
        } else {
            "sqlite"
        }
    }

    pub fn try_open(&self, kind: RegisterKind) -> Result<Register> {
        let mut o = OpenOptions::new(kind);
        o.postgres = self.pg.clone();
        Register::open_with(self.dir.path(), o)
    }

    pub fn open(&self) -> Register {
        self.try_open(RegisterKind::Legal).unwrap()
    }

    /// The same register reopened `later` than now (its clock moved on): for retention over years.
    pub fn open_later(&self, later: TimeDelta) -> Register {
        let mut o = OpenOptions::new(RegisterKind::Legal);
        o.postgres = self.pg.clone();
        o.clock_offset = later;
        Register::open_with(self.dir.path(), o).unwrap()
    }

    /// Direct access to the rows, as an auditor (or an attacker) would have it.
    pub fn store(&self) -> Box<dyn Store> {
        match &self.pg {
            Some(c) => Box::new(store::postgres::PostgresStore::connect(c).unwrap()),
            None => Box::new(
                store::sqlite::SqliteStore::open(&self.dir.path().join("register.sqlite"), None)
                    .unwrap(),
            ),
        }
    }

    /// This backend's station id (from the public key the register wrote at its first open).
    pub fn station(&self) -> String {
        let hex_key =
            std::fs::read_to_string(self.dir.path().join("keys").join(keys::PUBLIC_KEY_FILE))
                .expect("open the register first");
        let bytes = hex::decode(hex_key.trim()).unwrap();
        format!("st-{}", &chain::sha256_hex(&bytes)[..12])
    }

    /// This station's entries (a PostgreSQL register also holds the neighbour station's).
    pub fn all_entries(&self) -> Vec<Entry> {
        let me = self.station();
        self.store()
            .scan(0, usize::MAX)
            .unwrap()
            .into_iter()
            .filter(|e| e.station == me)
            .collect()
    }

    pub fn by_kind(&self, kind: &str) -> Vec<Entry> {
        self.store().by_station_kind(&self.station(), kind).unwrap()
    }

    /// A raw client, as whoever holds the database's superuser password has it.
    pub fn pg_client(&self) -> postgres::Client {
        let c = self.pg.as_ref().expect("a PostgreSQL backend");
        let (mut client, _) = store::pgconn::connect(c).unwrap();
        // Bypass the append-only triggers, as an attacker with superuser rights would.
        client
            .batch_execute("SET session_replication_role = replica")
            .unwrap();
        client
    }

    /// Run raw SQL with parameters behind the register's back (bypassing its append-only triggers).
    pub fn tamper(&self, sql: &str, text_params: &[Option<String>], id: i64) {
        match &self.pg {
            Some(_) => {
                let mut client = self.pg_client();
                let sql = sql.replace("?1", "$1").replace("?2", "$2");
                let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::new();
                for p in text_params {
                    params.push(p);
                }
                params.push(&id);
                client.execute(sql.as_str(), &params).unwrap();
            }
            None => {
                let conn =
                    rusqlite::Connection::open(self.dir.path().join("register.sqlite")).unwrap();
                conn.execute_batch(
                    "DROP TRIGGER IF EXISTS entries_only_tombstoned; DROP TRIGGER IF EXISTS entries_never_deleted;",
                )
                .unwrap();
                let mut params: Vec<&dyn rusqlite::ToSql> = Vec::new();
                for p in text_params {
                    params.push(p);
                }
                params.push(&id);
                conn.execute(sql, params.as_slice()).unwrap();
            }
        }
    }

    /// Same as `tamper`, with an integer value.
    pub fn tamper_int(&self, sql: &str, value: Option<i64>, id: i64) {
        match &self.pg {
            Some(_) => {
                let mut client = self.pg_client();
                let sql = sql.replace("?1", "$1").replace("?2", "$2");
                client.execute(sql.as_str(), &[&value, &id]).unwrap();
            }
            None => {
                let conn =
                    rusqlite::Connection::open(self.dir.path().join("register.sqlite")).unwrap();
                conn.execute_batch(
                    "DROP TRIGGER IF EXISTS entries_only_tombstoned; DROP TRIGGER IF EXISTS entries_never_deleted;",
                )
                .unwrap();
                conn.execute(sql, rusqlite::params![value, id]).unwrap();
            }
        }
    }
}

pub fn actor(id: &str) -> Actor {
    Actor {
        id: id.into(),
        name: format!("Agent {id}"),
        role: "chef de service".into(),
    }
}

/// A fixed instant for retention tests (the fake clock counts from here).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

pub struct FlightFixture {
    pub tlog: PathBuf,
    pub rrd: PathBuf,
    /// `(path, domicile)`
    pub segments: Vec<(PathBuf, bool)>,
}

/// A tlog as the link writes it: 8-byte big-endian µs timestamp before each MAVLink frame.
fn write_tlog(path: &Path, start: DateTime<Utc>) {
    // MAVLink 2 HEARTBEAT layout from sysid 1 compid 1; CRC left zero: the register only hashes
    // tlogs, it never parses them.
    let frame: [u8; 21] = [
        0xfd, 0x09, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x03, 0x51, 0x04, 0x03, 0x00, 0x00,
    ];
    let mut f = std::fs::File::create(path).unwrap();
    for i in 0..20u64 {
        let us = start.timestamp_micros() as u64 + i * 1_000_000;
        f.write_all(&us.to_be_bytes()).unwrap();
        f.write_all(&frame).unwrap();
    }
    f.sync_all().unwrap();
}

/// Record a complete flight: authorisation, deployment, flight, events, wind, video segments, a viewer
/// session, a real .rrd and a tlog, the seal, and the deployment end at `deployment_end`.
pub fn record_flight(
    reg: &mut Register,
    flight: &str,
    deployment_end: DateTime<Utc>,
    domicile: &[bool],
) -> FlightFixture {
    let start = deployment_end - TimeDelta::hours(2);
    let auth = format!("A-{flight}");
    let dep = format!("D-{flight}");
    reg.add_pilot(&PilotRecord {
        pilot_id: format!("P-{flight}"),
        name: "Camille Martin".into(),
        administrative_id: "PM-13047-012".into(),
        certificate_number: "FRA-RP-000123".into(),
        certificate_kind: "télépilote S3".into(),
        certificate_issued_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 10).unwrap(),
        certificate_expires_on: chrono::NaiveDate::from_ymd_opt(2030, 1, 10).unwrap(),
        pin_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        airframes: vec![],
        logbook_last_flight_on: None,
    })
    .unwrap();
    reg.add_aircraft(&AircraftRecord {
        registration: format!("F-DRN-{flight}"),
        model: "ANAFI USA GOV".into(),
        serial: Some("PI040000".into()),
        mass_g: Some(500),
    })
    .unwrap();
    reg.add_authorisation(&AuthorisationRecord {
        arrete_number: auth.clone(),
        issuer: "Préfet des Bouches-du-Rhône".into(),
        signed_on: start.date_naive(),
        valid_from: start - TimeDelta::days(1),
        valid_until: start + TimeDelta::days(60),
        finalite: "1° protection des bâtiments publics".into(),
        perimeter_lat_lon_deg: vec![vec![
            [43.509, 4.980],
            [43.516, 4.980],
            [43.516, 4.992],
            [43.509, 4.992],
        ]],
        max_cameras: 1,
        public_information: "affichage en mairie".into(),
        scan_sha256: Some("ab".repeat(32)),
        revoked: false,
    })
    .unwrap();
    reg.start_deployment(&DeploymentRecord {
        deployment_id: dep.clone(),
        arrete_number: auth.clone(),
        finalite: "1° protection des bâtiments publics".into(),
        place: "Istres, centre-ville".into(),
        planned_start: start,
        planned_end: deployment_end + TimeDelta::hours(1),
    })
    .unwrap();
    reg.start_flight(&FlightStart {
        flight_id: flight.into(),
        deployment_id: dep.clone(),
        arrete_number: auth.clone(),
        finalite: "1° protection des bâtiments publics".into(),
        pilot_id: format!("P-{flight}"),
        aircraft_registration: format!("F-DRN-{flight}"),
        started_at: start,
        takeoff_lat_deg: Some(43.5125),
        takeoff_lon_deg: Some(4.9860),
        place: "Istres, centre-ville".into(),
        anonymised_copy: false,
        vehicle: None,
        operator_registration: None,
    })
    .unwrap();
    reg.record_wind(&WindReading {
        flight_id: Some(flight.into()),
        at: start,
        source: "anemometer:launch-site".into(),
        speed_mps: 6.2,
        gust_mps: Some(9.0),
        wind_from_deg: Some(330.0),
        age_s: 2.0,
        decision: "allow (gust 32 km/h < 50 km/h)".into(),
    })
    .unwrap();
    reg.record_event(&EventRecord {
        flight_id: Some(flight.into()),
        at: start + TimeDelta::minutes(1),
        kind: EventKind::Command,
        code: "cmd.takeoff".into(),
        text: "NAV_TAKEOFF 40 m accepted".into(),
        rule_ids: vec![],
        data: None,
        vehicle: None,
    })
    .unwrap();
    reg.record_event(&EventRecord {
        flight_id: Some(flight.into()),
        at: start + TimeDelta::minutes(9),
        kind: EventKind::Denial,
        code: "zone.prohibited".into(),
        text: "reposition refused: BA 125 runway strip".into(),
        rule_ids: vec!["ZONE-PROHIBITED".into()],
        data: None,
        vehicle: None,
    })
    .unwrap();
    let rec_dir = reg.create_recordings_dir(flight).unwrap();
    let mut segments = Vec::new();
    for (i, dom) in domicile.iter().enumerate() {
        let p = rec_dir.join(format!("cam0-{i:03}.ts"));
        std::fs::write(&p, format!("MPEG-TS segment {i} of {flight} ").repeat(200)).unwrap();
        reg.record_video_segment(&VideoSegment {
            flight_id: flight.into(),
            camera: "cam0".into(),
            started_at: start + TimeDelta::minutes(i as i64),
            ended_at: start + TimeDelta::minutes(i as i64 + 1),
            file: file_ref(&p).unwrap(),
            domicile: *dom,
        })
        .unwrap();
        segments.push((p, *dom));
    }
    reg.viewer_session_start(&ViewerSessionStart {
        session_id: format!("S-{flight}"),
        flight_id: Some(flight.into()),
        viewer: actor("csu-op-3"),
        from: "10.13.0.21 (CSU mur 2)".into(),
        stream: "rtsp://station/cam0".into(),
        started_at: start,
    })
    .unwrap();
    reg.viewer_session_end(&ViewerSessionEnd {
        session_id: format!("S-{flight}"),
        ended_at: start + TimeDelta::minutes(20),
    })
    .unwrap();
    let rrd = rec_dir.join("flight.rrd");
    let mut recorder = FlightRecorder::create(&rrd, flight).unwrap();
    recorder
        .zone(
            "perimeter",
            ZoneStyle::Perimeter,
            &[
                [43.509, 4.980],
                [43.516, 4.980],
                [43.516, 4.992],
                [43.509, 4.992],
            ],
        )
        .unwrap();
    for i in 0..30 {
        recorder
            .sample(&TelemetrySample {
                time: start + TimeDelta::seconds(i),
                lat_deg: 43.5125 + i as f64 * 1e-4,
                lon_deg: 4.9860,
                alt_agl_m: (i as f64 * 2.0).min(40.0),
                ground_speed_mps: 5.0,
                battery_pct: Some(100.0 - i as f64 * 0.5),
                wind_speed_mps: Some(6.0),
                wind_from_deg: Some(330.0),
                roll_deg: 1.0,
                pitch_deg: -2.0,
                yaw_deg: 10.0,
            })
            .unwrap();
    }
    recorder
        .event(
            start + TimeDelta::seconds(9),
            EventLevel::Alarm,
            "reposition refused",
        )
        .unwrap();
    let summary = recorder.finish().unwrap();
    let tlog = rec_dir.join("flight.tlog");
    write_tlog(&tlog, start);
    reg.seal_flight(&FlightSeal {
        flight_id: flight.into(),
        ended_at: start + TimeDelta::minutes(25),
        track: summary.track.clone(),
        max_alt_agl_m: summary.max_alt_agl_m,
        tlog: Some(file_ref(&tlog).unwrap()),
        rrd: Some(summary.file.clone()),
        covered_entries: vec![],
        ending: None,
    })
    .unwrap();
    reg.end_deployment(&DeploymentEnd {
        deployment_id: dep.clone(),
        ended_at: deployment_end,
    })
    .unwrap();
    FlightFixture {
        tlog,
        rrd,
        segments,
    }
}

/// Flip one byte of a file in place; returns the original byte to restore it.
pub fn flip_file_byte(path: &Path, at: usize) -> u8 {
    let mut data = std::fs::read(path).unwrap();
    let i = at.min(data.len() - 1);
    let old = data[i];
    data[i] ^= 0x01;
    std::fs::write(path, &data).unwrap();
    old
}

pub fn restore_file_byte(path: &Path, at: usize, old: u8) {
    let mut data = std::fs::read(path).unwrap();
    let i = at.min(data.len() - 1);
    data[i] = old;
    std::fs::write(path, &data).unwrap();
}

/// The interpreter for Python peers (VIGIE_PYTHON, else python3).
pub fn python() -> String {
    std::env::var("VIGIE_PYTHON").unwrap_or_else(|_| "python3".into())
}

pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers")
}

/// Whether the tests run as root (then permissions are not enforced and servers must change user).
pub fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
