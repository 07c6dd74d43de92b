//! Write a short synthetic patrol over Istres to `PATH` (a Rerun .rrd), e.g. to try the viewer:
//! `cargo run -p vigie_register --example flight_recording -- /tmp/patrol.rrd && rerun /tmp/patrol.rrd`

use chrono::{TimeDelta, Utc};
use vigie_register::{EventLevel, FlightRecorder, TelemetrySample, ZoneStyle};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: flight_recording PATH.rrd")?;
    let mut rec = FlightRecorder::create(std::path::Path::new(&path), "demo-patrol")?;
    rec.zone(
        "perimeter",
        ZoneStyle::Perimeter,
        &[
            [43.509, 4.980],
            [43.516, 4.980],
            [43.516, 4.992],
            [43.509, 4.992],
        ],
    )?;
    rec.zone(
        "BA125 runway (placeholder)",
        ZoneStyle::Prohibited,
        &[
            [43.5378, 4.9128],
            [43.5383, 4.9138],
            [43.5082, 4.9351],
            [43.5073, 4.9341],
        ],
    )?;
    let t0 = Utc::now();
    for i in 0..600 {
        let a = i as f64 / 600.0 * std::f64::consts::TAU;
        rec.sample(&TelemetrySample {
            time: t0 + TimeDelta::milliseconds(500 * i),
            lat_deg: 43.5125 + 0.002 * a.sin(),
            lon_deg: 4.986 + 0.003 * a.cos(),
            alt_agl_m: (i as f64 * 0.5).min(60.0),
            ground_speed_mps: 6.0,
            battery_pct: Some(100.0 - i as f64 * 0.05),
            wind_speed_mps: Some(7.0 + (a * 3.0).sin()),
            wind_from_deg: Some(330.0),
            roll_deg: 5.0 * a.cos(),
            pitch_deg: -3.0,
            yaw_deg: (a.to_degrees() + 90.0) % 360.0,
        })?;
    }
    rec.event(
        t0 + TimeDelta::seconds(120),
        EventLevel::Warning,
        "wind at 80 % of the 50 km/h limit",
    )?;
    let summary = rec.finish()?;
    println!(
        "{} sha256 {} ({} points, {:.0} m)",
        summary.file.path, summary.file.sha256, summary.track.points, summary.track.distance_m
    );
    Ok(())
}
