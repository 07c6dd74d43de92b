//! Real-time factor of the simulator: sim seconds flown per wall second, for 1 and 20 vehicles,
//! physics + autopilot + telemetry encoding (what the running binary does minus the sockets).
//!
//! Run: `cargo bench -p vigie_sim --bench rtf`. Prints one line per case.

use std::time::Instant;

use vigie_sim::frame::Encoder;
use vigie_sim::geo::LocalFrame;
use vigie_sim::runtime::{DT_S, build_vehicles};
use vigie_sim::scenario;
use vigie_sim::vehicle::Mode;

fn case(vehicles: u8, sim_seconds: f64) -> (f64, u64) {
    // The mistral scenario: gusts and turbulence keep the wind model busy.
    let Ok(sc) = scenario::load_builtin("istres-mistral") else {
        eprintln!("the istres-mistral scenario does not load");
        std::process::exit(1);
    };
    let mut fleet = build_vehicles(&sc, vehicles, 7, vigie_sim::runtime::Boot::INSTANT);
    let frame = LocalFrame::new(sc.home);
    for (i, v) in fleet.iter_mut().enumerate() {
        v.force_airborne_hover(40.0, Mode::Guided);
        // Everyone patrols 1.5 km out, in different directions.
        let a = i as f64 * 0.7;
        v.guided_goto(frame.to_latlon(1500.0 * a.cos(), 1500.0 * a.sin()), 60.0);
    }
    let mut enc = Encoder::default();
    let mut bytes = 0u64;
    let steps = (sim_seconds / DT_S).round() as usize;
    let t0 = Instant::now();
    for _ in 0..steps {
        for v in &mut fleet {
            v.step(DT_S);
            let id = v.sysid;
            for m in v.drain() {
                bytes += enc.encode(id, 1, &m, None).len() as u64;
            }
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    (sim_seconds / wall, bytes)
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    // Ten minutes each: within one battery, so every vehicle flies the whole time.
    for (n, secs) in [(1u8, 600.0), (20u8, 600.0)] {
        let (rtf, bytes) = case(n, secs);
        println!(
            "vigie-sim real-time factor: {n:>2} vehicle(s): {rtf:>9.0}x real time ({:.2} % of one core at --speedup 100; {:.1} kB of MAVLink per sim second)",
            100.0 / rtf * 100.0,
            bytes as f64 / secs / 1000.0
        );
    }
}
