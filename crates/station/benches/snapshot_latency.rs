//! From a telemetry frame on the station's socket to the published snapshot that shows it
//! (median, p99), and the station's CPU, with 10 simulated vehicles flying beside the probe.
//!
//! `cargo build --release -p vigie_sim && cargo bench -p vigie_station --bench snapshot_latency`
//! (without the simulator beside it, the probe runs alone and the bench says so).
//! A benchmark, not a test: it prints figures, it asserts nothing.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigie_link::ardupilotmega as apm;
use vigie_link::{HubConfig, LinkConfig, MavMessage};
use vigie_station::{StationConfig, VehicleId};

const PROBE: u8 = 200;
const BASE_LAT_E7: i32 = 435_150_000;
const RUN: Duration = Duration::from_secs(20);

struct Sim(Child);
impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sim_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let p = dir.join("vigie-sim");
    p.exists().then_some(p)
}

fn cpu_s() -> f64 {
    // utime + stime of this process, in clock ticks (100 Hz on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn frame(seq: &mut u8, msg: &MavMessage) -> Vec<u8> {
    let h = vigie_link::MavHeader {
        system_id: u32::from(PROBE),
        component_id: 1,
        sequence: *seq,
    };
    *seq = seq.wrapping_add(1);
    vigie_link::frame::encode_v2(h, msg).bytes.clone()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .thread_name("vigie-rt")
        .build()
        .expect("runtime");
    let port = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("port");
    let config = StationConfig::new(HubConfig {
        links: vec![LinkConfig::vehicle(
            format!("udpin:127.0.0.1:{port}").parse().expect("address"),
        )],
        ..HubConfig::default()
    });
    let st = rt.block_on(vigie_station::start(config)).expect("station");
    let _sim = match sim_bin() {
        Some(bin) => Some(Sim(Command::new(bin)
            .args([
                "--scenario",
                "istres-calm",
                "--vehicles",
                "10",
                "--one-link",
                "--no-video",
            ])
            .args(["--udp", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("vigie-sim"))),
        None => {
            println!(
                "vigie-sim not built beside the bench: the probe runs alone (cargo build --release -p vigie_sim)"
            );
            None
        }
    };
    // The probe vehicle: a heartbeat every second, a position at 20 Hz whose latitude counts.
    let sock = UdpSocket::bind("127.0.0.1:0").expect("probe socket");
    sock.connect(("127.0.0.1", port)).expect("connect");
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let hb = MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
        custom_mode: 4,
        mavtype: apm::MavType::MAV_TYPE_QUADROTOR,
        autopilot: apm::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        base_mode: apm::MavModeFlag::empty(),
        system_status: apm::MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    });
    let mut seq = 0u8;
    let _ = sock.send(&frame(&mut seq, &hb));
    let snap_lat: Arc<Mutex<Vec<(i32, Instant)>>> = Arc::default();
    let tel_lat: Arc<Mutex<Vec<(i32, Instant)>>> = Arc::default();
    {
        let st = st.clone();
        let snap_lat = snap_lat.clone();
        let tel_lat = tel_lat.clone();
        rt.spawn(async move {
            let Some(mut tel) = st.wait_vehicle(VehicleId(PROBE), Duration::from_secs(10)).await else {
                return;
            };
            let mut snap = st.snapshot();
            loop {
                tokio::select! {
                    r = tel.changed() => {
                        if r.is_err() { return; }
                        if let Some(p) = tel.borrow_and_update().position {
                            let k = ((p.lat_deg * 1e7).round() as i32) - BASE_LAT_E7;
                            if let Ok(mut v) = tel_lat.lock() { v.push((k, Instant::now())); }
                        }
                    }
                    r = snap.changed() => {
                        if r.is_err() { return; }
                        let pos = snap.borrow_and_update().vehicle(VehicleId(PROBE)).and_then(|v| v.telemetry.position);
                        if let Some(p) = pos {
                            let k = ((p.lat_deg * 1e7).round() as i32) - BASE_LAT_E7;
                            if let Ok(mut v) = snap_lat.lock() { v.push((k, Instant::now())); }
                        }
                    }
                }
            }
        });
    }
    // Let the vehicles appear and settle.
    std::thread::sleep(Duration::from_secs(5));
    let cpu0 = cpu_s();
    let t0 = Instant::now();
    let mut k = 1;
    let mut last_hb = Instant::now();
    while t0.elapsed() < RUN {
        let msg = MavMessage::GLOBAL_POSITION_INT(apm::GLOBAL_POSITION_INT_DATA {
            lat: BASE_LAT_E7 + k,
            lon: 49_890_000,
            alt: 20_000,
            relative_alt: 0,
            hdg: u16::MAX,
            ..Default::default()
        });
        if let Ok(mut v) = sent.lock() {
            v.push(Instant::now());
        }
        let _ = sock.send(&frame(&mut seq, &msg));
        if last_hb.elapsed() >= Duration::from_secs(1) {
            let _ = sock.send(&frame(&mut seq, &hb));
            last_hb = Instant::now();
        }
        k += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_s() - cpu0;
    std::thread::sleep(Duration::from_millis(300));
    let sent = sent.lock().map(|v| v.clone()).unwrap_or_default();
    let latencies = |seen: &[(i32, Instant)]| -> Vec<f64> {
        seen.iter()
            .filter_map(|(k, at)| {
                let i = usize::try_from(*k).ok()?.checked_sub(1)?;
                sent.get(i)
                    .map(|s| at.duration_since(*s).as_secs_f64() * 1000.0)
            })
            .collect()
    };
    let mut tel = latencies(&tel_lat.lock().map(|v| v.clone()).unwrap_or_default());
    let mut snap = latencies(&snap_lat.lock().map(|v| v.clone()).unwrap_or_default());
    println!(
        "frames sent {} over {wall:.1} s with {} simulated vehicles beside the probe",
        sent.len(),
        if _sim.is_some() { 10 } else { 0 }
    );
    println!(
        "socket → per-vehicle telemetry watch: median {:.2} ms, p99 {:.2} ms ({} seen)",
        percentile(&mut tel, 0.5),
        percentile(&mut tel, 0.99),
        tel.len()
    );
    println!(
        "socket → published snapshot:          median {:.2} ms, p99 {:.2} ms ({} seen; published at most every 50 ms)",
        percentile(&mut snap, 0.5),
        percentile(&mut snap, 0.99),
        snap.len()
    );
    println!(
        "station process CPU: {:.1} % of one core (link hub, 11 vehicle actors, the controller, judging each vehicle at every publication)",
        100.0 * cpu / wall
    );
}
