//! The flood: garbage, valid frames of invented vehicles and spoofed heartbeats and positions
//! with the real vehicle's system id (unsigned, and signed with another key), from 64 source
//! ports on the station's own UDP port, while `vigie-sim` (an independent peer, built beside
//! this test binary) flies with its signing key. The real vehicle's link stays up, its commands
//! (RTL included) still go through, the picture is never the spoofer's, and every table of the
//! hub stays bounded; memory stays flat.
//!
//! Loopback only, bounded in count and time. CI runs it short (`VIGIE_FLOOD_SECS`, default 3 s,
//! `VIGIE_FLOOD_RATE`, default 10 000 frames/s); `scripts/flood-link.sh` runs 30 s at
//! 100 000 frames/s in release and prints the figures.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use vigie_link::ardupilotmega as apm;
use vigie_link::frame::encode_v2;
use vigie_link::hub::{HubConfig, LinkConfig, LinkHub};
use vigie_link::signing::{SigningKey, encode_signed, timestamp_at};
use vigie_link::{CommandResult, LinkEventKind, MavMessage, VehicleCommand};

use crate::raw::{autopilot_heartbeat, position};

const KEY: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
const WAIT: Duration = Duration::from_secs(30);

/// `vigie-sim`, built beside this test binary by `cargo test --workspace` (or `cargo xtask test`).
fn sim_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let p = dir.join("vigie-sim");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build -p vigie_sim` (cargo xtask test does)",
        p.display()
    );
    p
}

/// The simulator, killed on drop.
struct Sim {
    child: Child,
    control: SocketAddr,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    fn start(station_port: u16) -> Sim {
        let mut child = Command::new(sim_bin())
            .args([
                "--udp",
                &format!("127.0.0.1:{station_port}"),
                "--control",
                "127.0.0.1:0",
                "--no-video",
                "--ekf-settle",
                "1",
                "--gps-lock",
                "0.5",
            ])
            // The key by environment, as the simulator prefers (arguments show in ps).
            .env("VIGIE_SIM_SIGNING_KEY", KEY)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn vigie-sim");
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut control = None;
        for line in out.lines().map_while(Result::ok) {
            if let Some(a) = line.strip_prefix("CONTROL ") {
                control = Some(a.trim().parse().unwrap());
                break;
            }
        }
        Sim {
            child,
            control: control.expect("the simulator printed its CONTROL address"),
        }
    }

    fn ask(&self, cmd: &str) -> String {
        let mut s = TcpStream::connect(self.control).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        writeln!(s, "{cmd}").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        text
    }

    /// COMMAND_LONGs vehicle 1 received, as (command, first param).
    fn commands_received(&self) -> Vec<(u32, String)> {
        self.ask("@1 received")
            .lines()
            .filter(|l| l.contains(" COMMAND_LONG "))
            .filter_map(|l| {
                let fields: BTreeMap<&str, &str> = l
                    .split_whitespace()
                    .filter_map(|kv| kv.split_once('='))
                    .collect();
                let cmd = fields.get("command")?.parse().ok()?;
                let p1 = fields.get("params")?.split(',').next()?.to_string();
                Some((cmd, p1))
            })
            .collect()
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64*: the flood's bytes are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Prebuilt datagrams (bytes, frames in it) of every kind the flood sends.
fn flood_datagrams() -> Vec<(Vec<u8>, u64)> {
    let mut rng = Rng(0x00F1_00D5);
    let wrong = SigningKey::new([0x99; 32]);
    let mut seq = 0u8;
    let mut hdr = |sysid: u8| {
        seq = seq.wrapping_add(1);
        mavlink::MavHeader {
            system_id: u32::from(sysid),
            component_id: 1,
            sequence: seq,
        }
    };
    let armed_hb = MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
        custom_mode: 4,
        mavtype: apm::MavType::MAV_TYPE_QUADROTOR,
        autopilot: apm::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        base_mode: apm::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED
            | apm::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
        system_status: apm::MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    });
    let spoof_pos = position(10.0, 10.0);
    let ts = timestamp_at(SystemTime::now());
    let mut out = Vec::new();
    for i in 0..4096u64 {
        let frames_in = 1 + (rng.next() % 8);
        let mut bytes = Vec::new();
        let mut n = 0;
        for _ in 0..frames_in {
            match rng.next() % 6 {
                // Garbage, sometimes starting like a frame.
                0 => {
                    let len = 20 + (rng.next() % 80) as usize;
                    bytes.extend((0..len).map(|k| {
                        if k == 0 && rng.0.is_multiple_of(2) {
                            0xFD
                        } else {
                            rng.next() as u8
                        }
                    }));
                }
                // Valid frames of invented vehicles (heartbeats and positions).
                1 => {
                    let sysid = 100 + (rng.next() % 100) as u8;
                    bytes.extend(encode_v2(hdr(sysid), &autopilot_heartbeat()).bytes);
                }
                2 => {
                    let sysid = 2 + (rng.next() % 240) as u8;
                    bytes.extend(encode_v2(hdr(sysid), &position(43.6, 5.0)).bytes);
                }
                // The real vehicle's system id, unsigned: armed, and somewhere else.
                3 => {
                    let m = if rng.next().is_multiple_of(2) {
                        &armed_hb
                    } else {
                        &spoof_pos
                    };
                    bytes.extend(encode_v2(hdr(1), m).bytes);
                }
                // The same, signed with another key.
                4 => {
                    let m = if rng.next().is_multiple_of(2) {
                        &armed_hb
                    } else {
                        &spoof_pos
                    };
                    bytes.extend(encode_signed(hdr(1), m, &wrong, 0, ts + i).bytes);
                }
                // A corrupted frame.
                _ => {
                    let mut f = encode_v2(hdr(1), &spoof_pos).bytes;
                    let at = (rng.next() as usize) % f.len();
                    f[at] ^= 0x5A;
                    bytes.extend(f);
                }
            }
            n += 1;
        }
        out.push((bytes, n));
    }
    out
}

struct FloodCount {
    frames: AtomicU64,
    datagrams: AtomicU64,
    bytes: AtomicU64,
}

/// Send the flood at `rate` frames/s for `secs` from 64 source ports; returns when done.
fn flood(target: SocketAddr, rate: f64, secs: f64, count: Arc<FloodCount>, stop: Arc<AtomicBool>) {
    let socks: Vec<UdpSocket> = (0..64)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let grams = flood_datagrams();
    let start = Instant::now();
    let mut i = 0usize;
    let mut sent = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= secs {
            break;
        }
        let due = (rate * elapsed) as u64;
        while sent < due {
            let (bytes, n) = &grams[i % grams.len()];
            if socks[i % socks.len()].send_to(bytes, target).is_ok() {
                count.datagrams.fetch_add(1, Ordering::Relaxed);
                count.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            }
            sent += n;
            i += 1;
        }
        count.frames.store(sent, Ordering::Relaxed);
        // Pacing the flooder itself, not waiting for the system under test.
        std::thread::sleep(Duration::from_micros(500));
    }
    count.frames.store(sent, Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_on_the_stations_port_leaves_the_real_vehicle_flying() {
    let secs: f64 = env_or("VIGIE_FLOOD_SECS", 3.0);
    let rate: f64 = env_or("VIGIE_FLOOD_RATE", 10_000.0);
    let mut cfg = HubConfig {
        keys: BTreeMap::from([(1, SigningKey::from_hex(KEY).unwrap())]),
        ..HubConfig::default()
    };
    cfg.links
        .push(LinkConfig::vehicle("udpin:127.0.0.1:0".parse().unwrap()));
    let gcs = LinkHub::start(cfg.clone()).await.unwrap();
    let addr = gcs.local_addrs[0].unwrap();
    let sim = Sim::start(addr.port());
    let v = gcs
        .wait_vehicle(Some(1), WAIT)
        .await
        .expect("vigie-sim seen");
    let mut tel = v.telemetry();
    tokio::time::timeout(
        WAIT,
        tel.wait_for(|t| t.position.is_some() && t.link.signed),
    )
    .await
    .expect("signed telemetry")
    .unwrap();
    let mut events = gcs.events();

    // Watch every update: never lost, never the spoofer's picture.
    let lost = Arc::new(AtomicBool::new(false));
    let fooled = Arc::new(AtomicBool::new(false));
    {
        let (lost, fooled) = (lost.clone(), fooled.clone());
        let mut tel = v.telemetry();
        tokio::spawn(async move {
            while tel.changed().await.is_ok() {
                let t = tel.borrow_and_update().clone();
                if t.lost {
                    lost.store(true, Ordering::SeqCst);
                }
                if t.armed || t.position.is_some_and(|p| (p.lat_deg - 10.0).abs() < 1.0) {
                    fooled.store(true, Ordering::SeqCst);
                }
            }
        });
    }
    let count = Arc::new(FloodCount {
        frames: AtomicU64::new(0),
        datagrams: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let rss_before = rss_kib();
    let t0 = Instant::now();
    let flooder = {
        let (count, stop) = (count.clone(), stop.clone());
        std::thread::spawn(move || flood(addr, rate, secs, count, stop))
    };
    // The pilot's commands during the flood, one every 400 ms, alternating a request and RTL.
    let mut latencies = Vec::new();
    let mut sent = (0u32, 0u32);
    let mut rss_mid = 0;
    while t0.elapsed().as_secs_f64() < secs {
        let (cmd, is_rtl) = if latencies.len() % 2 == 0 {
            (VehicleCommand::RequestMessage { message_id: 148 }, false)
        } else {
            (VehicleCommand::ReturnToLaunch, true)
        };
        let c0 = Instant::now();
        let r = v.command(cmd).await.unwrap();
        assert_ne!(r, CommandResult::NoAck, "a command was lost in the flood");
        latencies.push(c0.elapsed());
        if is_rtl {
            sent.1 += 1;
        } else {
            sent.0 += 1;
        }
        if rss_mid == 0 && t0.elapsed().as_secs_f64() > secs / 3.0 {
            rss_mid = rss_kib();
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    stop.store(true, Ordering::Relaxed);
    flooder.join().unwrap();
    let flood_s = t0.elapsed().as_secs_f64();
    let rss_after = rss_kib();
    // The next published statistics count what was still queued.
    let mut stats = gcs.stats();
    stats.borrow_and_update();
    let _ = tokio::time::timeout(WAIT, stats.changed()).await;
    let s = stats.borrow().clone();
    let reports = {
        let mut n = 0;
        while let Ok(ev) = events.try_recv() {
            if matches!(ev.kind, LinkEventKind::SigningRejected { .. }) {
                n += 1;
            }
        }
        n
    };
    let received = sim.commands_received();
    let got_req = received
        .iter()
        .filter(|(c, p)| *c == 512 && p == "148")
        .count() as u32;
    let got_rtl = received.iter().filter(|(c, _)| *c == 20).count() as u32;
    let l = s.links.values().next().unwrap().clone();
    let t = v.snapshot();
    latencies.sort();
    let frames = count.frames.load(Ordering::Relaxed);
    eprintln!(
        "flood: {frames} frames in {} datagrams ({} bytes) over {flood_s:.1} s = {:.0} frames/s (target {rate:.0}) from 64 ports",
        count.datagrams.load(Ordering::Relaxed),
        count.bytes.load(Ordering::Relaxed),
        frames as f64 / flood_s
    );
    eprintln!(
        "hub: rx {} frames, {} garbage bytes, {} CRC errors, {} bad signatures, {} unsigned refused ({} after signed), {} foreign peer, {} vehicles refused, {} peers gone, {} refused; {} rejection reports",
        l.frames_rx,
        l.garbage_bytes,
        l.crc_errors,
        l.bad_signatures,
        l.unsigned_rejected,
        l.unsigned_after_signed,
        l.foreign_peer,
        l.vehicles_refused,
        l.peers_gone,
        l.peers_refused,
        reports
    );
    eprintln!(
        "tables: {} parsers, {} vehicles, {} senders (+{} untracked frames), {} report slots, {} inbound dropped, {} tlog dropped",
        s.hub.parsers,
        s.hub.vehicles,
        s.hub.senders,
        s.hub.senders_untracked,
        s.hub.reject_slots,
        s.hub.inbound_dropped,
        s.hub.tlog_dropped
    );
    eprintln!(
        "memory: RSS {rss_before} kiB before, {rss_mid} kiB at a third, {rss_after} kiB after ({:+} kiB)",
        rss_after as i64 - rss_before as i64
    );
    eprintln!(
        "vehicle 1: {} requests and {} RTL sent, {got_req} and {got_rtl} received by vigie-sim; command round trip min {:?} median {:?} max {:?}; lost: {}, fooled: {}; rejected {:?}",
        sent.0,
        sent.1,
        latencies.first().copied().unwrap_or_default(),
        latencies
            .get(latencies.len() / 2)
            .copied()
            .unwrap_or_default(),
        latencies.last().copied().unwrap_or_default(),
        lost.load(Ordering::SeqCst),
        fooled.load(Ordering::SeqCst),
        t.link.rejected
    );

    assert!(
        !lost.load(Ordering::SeqCst),
        "the real vehicle's link was lost"
    );
    assert!(
        !fooled.load(Ordering::SeqCst),
        "the spoofer changed the picture"
    );
    assert!(t.link.signed && !t.lost);
    assert!(
        got_req >= sent.0 && got_rtl >= sent.1,
        "every command reached the vehicle"
    );
    assert!(sent.1 >= 1, "at least one RTL during the flood");
    assert!(
        frames as f64 >= rate * secs * 0.5,
        "the flood ran ({frames} frames)"
    );
    assert!(s.hub.parsers <= vigie_link::hub::DEFAULT_MAX_PEERS);
    assert!(s.hub.vehicles <= cfg.max_vehicles_per_link);
    assert!(s.hub.senders <= vigie_link::stats::MAX_SENDERS);
    // Reports per kind, vehicle and period: a handful, not one per refused frame.
    let refused = l.bad_signatures + l.unsigned_rejected + l.foreign_peer;
    assert!(
        refused > 1000,
        "the flood was refused frame by frame ({refused})"
    );
    assert!(
        reports < 200,
        "{reports} rejection reports for {refused} refused frames"
    );
    // Flat memory: the flood leaves no table growing (a generous bound for allocator noise).
    assert!(
        rss_after < rss_before + 64 * 1024,
        "RSS grew from {rss_before} to {rss_after} kiB"
    );
}
