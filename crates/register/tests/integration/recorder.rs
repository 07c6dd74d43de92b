//! The per-flight Rerun recording reads back with Rerun's own decoder, with the expected entities.

use chrono::{TimeDelta, Utc};
use vigie_register::*;

#[test]
fn flight_recording_holds_track_telemetry_attitude_events_and_zones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("F1").join("flight.rrd");
    let mut r = FlightRecorder::create(&path, "F1").unwrap();
    r.zone(
        "BA125 runway",
        ZoneStyle::Prohibited,
        &[[43.5378, 4.9133], [43.5078, 4.9346], [43.5070, 4.9330]],
    )
    .unwrap();
    r.zone(
        "perimeter",
        ZoneStyle::Perimeter,
        &[[43.50, 4.97], [43.52, 4.97], [43.52, 4.99]],
    )
    .unwrap();
    let t = Utc::now();
    for i in 0..50 {
        r.sample(&TelemetrySample {
            time: t + TimeDelta::milliseconds(200 * i),
            lat_deg: 43.51 + i as f64 * 1e-5,
            lon_deg: 4.98,
            alt_agl_m: i as f64,
            ground_speed_mps: 3.0,
            battery_pct: Some(90.0),
            wind_speed_mps: Some(5.0),
            wind_from_deg: None,
            roll_deg: 0.0,
            pitch_deg: 0.0,
            yaw_deg: 45.0,
        })
        .unwrap();
    }
    r.event(t, EventLevel::Warning, "wind 80 % of limit")
        .unwrap();
    let s = r.finish().unwrap();
    assert_eq!(s.track.points, 50);
    assert!(
        (s.track.distance_m - 49.0 * 1.112).abs() < 0.5,
        "{}",
        s.track.distance_m
    );
    assert_eq!(s.max_alt_agl_m, 49.0);
    assert_eq!(s.file.sha256, file_sha256(&path).unwrap());
    let summary = read_rrd_summary(&path).unwrap();
    for entity in [
        "/map/vehicle",
        "/map/zones/BA125_runway",
        "/map/zones/perimeter",
        "/telemetry/alt_agl_m",
        "/telemetry/battery_pct",
        "/telemetry/wind_speed_mps",
        "/vehicle/attitude",
        "/events",
    ] {
        assert!(
            summary.entity_paths.contains(entity),
            "{entity} missing from {:?}",
            summary.entity_paths
        );
    }
    assert!(!summary.entity_paths.contains("/telemetry/wind_from_deg"));
    // Never overwrites an existing recording.
    assert!(matches!(
        FlightRecorder::create(&path, "F1"),
        Err(Error::BadInput(_))
    ));
    // A truncated recording reads back short (Rerun's decoder stops at the cut; the sealed digest is
    // what catches it in `verify`), and a file that is not a recording does not read at all.
    let data = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.rrd");
    std::fs::write(&cut, &data[..data.len() / 2]).unwrap();
    assert!(read_rrd_summary(&cut).map_or(true, |c| c.messages < summary.messages));
    let not_rrd = dir.path().join("not.rrd");
    std::fs::write(
        &not_rrd,
        b"\x00\x00\x00\x00\x00\x00\x00\x01 a tlog, not a recording",
    )
    .unwrap();
    assert!(read_rrd_summary(&not_rrd).is_err());
}
