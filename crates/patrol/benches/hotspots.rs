//! Hot-spot detection per 1280×720 thermal frame, and the georeferencing error against the
//! forest-patrol scenario's truth over a whole simulated patrol (frames rendered with this
//! crate's model of vigie-sim's thermal stream, telemetry with GPS, altitude and pointing noise).
//!
//! `cargo bench -p vigie_patrol --bench hotspots` prints the error figures, then times the
//! detection and the whole per-frame pipeline.

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use flight_rules::LatLon;
use vigie_patrol::synthetic::{ThermalScene, render_thermal_rgba};
use vigie_patrol::{
    AltitudeMode, Attitude, CameraModel, CameraPose, DetectorConfig, Gimbal, GridOptions, Ground,
    HotspotLog, HotspotSource, LocalFrame, MergePolicy, Observation, PatrolSettings, Pixels,
    PoseUncertainty, SimTruth, ThermalImage, detect_hotspots, parse_sim_truth, project_pixel,
    survey_grid,
};

const W: u32 = 1280;
const H: u32 = 720;

fn truth() -> SimTruth {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sim/scenarios/forest-patrol.toml");
    let text = std::fs::read_to_string(&p).unwrap_or_default();
    match parse_sim_truth(&text, "sim/scenarios/forest-patrol.toml") {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

fn scene(t: &SimTruth) -> ThermalScene {
    ThermalScene {
        origin: t.home,
        ground_amsl_m: t.home_amsl_m,
        hotspots: t
            .hotspots
            .iter()
            .map(|h| (h.pos, h.temp_c, h.radius_m))
            .collect(),
    }
}

fn nadir(at: LatLon, alt_amsl_m: f64, yaw_deg: f64) -> CameraPose {
    CameraPose {
        position: at,
        alt_amsl_m,
        attitude: Attitude {
            roll_deg: 0.0,
            pitch_deg: 0.0,
            yaw_deg,
        },
        gimbal: Gimbal::NADIR,
    }
}

fn image(buf: &[u8]) -> ThermalImage<'_> {
    ThermalImage {
        width: W,
        height: H,
        pixels: Pixels::Rgba8 {
            data: buf,
            stride: W as usize * 4,
        },
    }
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
    fn gauss(&mut self) -> f64 {
        let u = self.next().max(1e-12);
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * self.next()).cos()
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

/// A survey grid over the three fires at 120 m above home, flown at 10 m/s, one frame every
/// 0.5 s (5 m), through detection, projection and merging. Prints the figures.
fn georeferencing_over_a_patrol() {
    let t = truth();
    let sc = scene(&t);
    let cam = CameraModel::vigie_sim_thermal();
    let cfg = DetectorConfig::vigie_sim(W, H);
    let alt_rel = 120.0;
    // vigie-sim draws flat ground at home's level whatever the terrain: so does the projection.
    let ground = Ground::Flat {
        amsl_m: t.home_amsl_m,
    };
    let area = {
        let c = [
            [43.5225, 5.5770],
            [43.5225, 5.6030],
            [43.5310, 5.6030],
            [43.5310, 5.5770],
            [43.5225, 5.5770],
        ];
        geo::Polygon::new(
            geo::LineString::new(c.iter().map(|p| geo::Coord { x: p[1], y: p[0] }).collect()),
            vec![],
        )
    };
    let settings = PatrolSettings::new(
        t.home,
        t.home_amsl_m,
        AltitudeMode::RelativeHome { alt_m: alt_rel },
        cam,
    );
    let plan = match survey_grid(
        &area,
        &GridOptions {
            heading_deg: Some(90.0),
            ..GridOptions::default()
        },
        &settings,
        &[],
    ) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let unc = PoseUncertainty {
        h_accuracy_m: 1.5,
        alt_accuracy_m: 1.0,
        angle_deg: 1.0,
        pixel: 2.0,
    };
    let mut rng = Lcg(2026);
    let mut log = HotspotLog::new(MergePolicy::default());
    let t0 = Utc
        .with_ymd_and_hms(2026, 7, 15, 10, 0, 0)
        .single()
        .unwrap_or_default();
    let mut buf = vec![0u8; (W * H * 4) as usize];
    let (mut frames, mut errors, mut stated, mut within) = (0usize, vec![], vec![], 0usize);
    let step_m = 5.0;
    let f = LocalFrame::new(t.home);
    for leg in plan.route.windows(2) {
        let (a, b) = (f.to_xy(leg[0]), f.to_xy(leg[1]));
        let len = (b[0] - a[0]).hypot(b[1] - a[1]);
        let yaw = leg[0].bearing_deg(&leg[1]);
        let n = (len / step_m).floor() as usize;
        for i in 0..=n {
            let k = i as f64 * step_m / len.max(1e-9);
            let truth_pos = f.to_latlon([a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k]);
            let pose = nadir(truth_pos, t.home_amsl_m + alt_rel, yaw);
            render_thermal_rgba(&sc, &cam, &pose, Some(0), &mut buf);
            frames += 1;
            // What the station knows: GPS (σ 1.5 m), barometer (σ 1 m), heading (σ 1°), gimbal (σ 0.5°).
            let lf = LocalFrame::new(truth_pos);
            let reported = CameraPose {
                position: lf.to_latlon([1.5 * rng.gauss(), 1.5 * rng.gauss()]),
                alt_amsl_m: pose.alt_amsl_m + rng.gauss(),
                attitude: Attitude {
                    yaw_deg: yaw + rng.gauss(),
                    ..pose.attitude
                },
                gimbal: Gimbal::Stabilised {
                    roll_deg: 0.5 * rng.gauss(),
                    pitch_deg: -90.0 + 0.5 * rng.gauss(),
                    yaw_deg: 0.0,
                    yaw_frame: vigie_patrol::YawFrame::Vehicle,
                },
            };
            let Ok(blobs) = detect_hotspots(&image(&buf), &cfg) else {
                continue;
            };
            for bl in blobs.iter().filter(|b| !b.touches_edge) {
                let Ok(fix) = project_pixel(
                    &cam,
                    &reported,
                    bl.centroid_px[0],
                    bl.centroid_px[1],
                    &ground,
                    &unc,
                ) else {
                    continue;
                };
                let d = t
                    .hotspots
                    .iter()
                    .map(|h| h.pos.distance_m(&fix.pos))
                    .fold(f64::INFINITY, f64::min);
                errors.push(d);
                stated.push(fix.error_m);
                if d <= fix.error_m {
                    within += 1;
                }
                log.observe(Observation {
                    at: t0 + Duration::milliseconds(500 * frames as i64),
                    pos: fix.pos,
                    error_m: fix.error_m,
                    ground_amsl_m: Some(fix.ground_amsl_m),
                    source: HotspotSource::Thermal,
                    peak: Some(bl.peak),
                    snapshot: None,
                    note: None,
                });
            }
        }
    }
    let n = errors.len();
    println!(
        "georeferencing over a simulated patrol (forest-patrol, grid at {alt_rel} m, {frames} frames, {:.1} km)",
        plan.route_length_m() / 1000.0
    );
    println!(
        "  detections: {n}; error to the true fire: median {:.2} m, p95 {:.2} m, max {:.2} m; stated error median {:.2} m; truth within the stated error: {:.1} %",
        pct(&mut errors.clone(), 0.5),
        pct(&mut errors.clone(), 0.95),
        pct(&mut errors.clone(), 1.0),
        pct(&mut stated.clone(), 0.5),
        100.0 * within as f64 / n.max(1) as f64
    );
    println!(
        "  hot spots after merging: {} (scenario: {} fires)",
        log.hotspots().len(),
        t.hotspots.len()
    );
    for h in log.hotspots() {
        let (i, d) = t
            .hotspots
            .iter()
            .enumerate()
            .map(|(i, x)| (i, x.pos.distance_m(&h.pos)))
            .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
        println!(
            "    {}: {:.2} m from fire {} ({:.0} °C), stated {:.2} m, {} sightings",
            h.id,
            d,
            i + 1,
            t.hotspots[i].temp_c,
            h.error_m,
            h.observations
        );
    }
}

fn benches(c: &mut Criterion) {
    georeferencing_over_a_patrol();
    let t = truth();
    let sc = scene(&t);
    let cam = CameraModel::vigie_sim_thermal();
    let cfg = DetectorConfig::vigie_sim(W, H);
    let mut with_fire = vec![0u8; (W * H * 4) as usize];
    render_thermal_rgba(
        &sc,
        &cam,
        &nadir(t.hotspots[1].pos, t.home_amsl_m + 120.0, 30.0),
        Some(u64::MAX),
        &mut with_fire,
    );
    let mut empty = vec![0u8; (W * H * 4) as usize];
    render_thermal_rgba(
        &sc,
        &cam,
        &nadir(LatLon::new(43.5150, 5.5800), t.home_amsl_m + 120.0, 30.0),
        Some(u64::MAX),
        &mut empty,
    );
    c.bench_function("detect_hotspots 1280x720 RGBA, one fire", |b| {
        b.iter(|| detect_hotspots(black_box(&image(&with_fire)), &cfg))
    });
    c.bench_function("detect_hotspots 1280x720 RGBA, no fire", |b| {
        b.iter(|| detect_hotspots(black_box(&image(&empty)), &cfg))
    });
    let gray: Vec<u8> = with_fire.chunks_exact(4).map(|p| p[0]).collect();
    c.bench_function("detect_hotspots 1280x720 GRAY8, one fire", |b| {
        b.iter(|| {
            detect_hotspots(
                black_box(&ThermalImage {
                    width: W,
                    height: H,
                    pixels: Pixels::Gray8 {
                        data: &gray,
                        stride: W as usize,
                    },
                }),
                &cfg,
            )
        })
    });
    let pose = nadir(t.hotspots[1].pos, t.home_amsl_m + 120.0, 30.0);
    let ground = Ground::Flat {
        amsl_m: t.home_amsl_m,
    };
    let unc = PoseUncertainty::default();
    let mut log = HotspotLog::new(MergePolicy::default());
    let t0 = Utc
        .with_ymd_and_hms(2026, 7, 15, 10, 0, 0)
        .single()
        .unwrap_or_default();
    c.bench_function("frame pipeline: detect + project + merge", |b| {
        b.iter(|| {
            if let Ok(blobs) = detect_hotspots(&image(&with_fire), &cfg) {
                for bl in blobs {
                    if let Ok(fix) = project_pixel(
                        &cam,
                        &pose,
                        bl.centroid_px[0],
                        bl.centroid_px[1],
                        &ground,
                        &unc,
                    ) {
                        log.observe(Observation {
                            at: t0,
                            pos: fix.pos,
                            error_m: fix.error_m,
                            ground_amsl_m: None,
                            source: HotspotSource::Thermal,
                            peak: Some(bl.peak),
                            snapshot: None,
                            note: None,
                        });
                    }
                }
            }
        })
    });
}

criterion_group!(hotspots, benches);
criterion_main!(hotspots);
