//! Hot spots: detection on frames rendered like vigie-sim's thermal stream and on radiometric
//! frames, pixel → ground projection (flat and on the Sainte-Victoire terrain), the stated error
//! against the truth, merging of sightings of one fire.

use chrono::Duration;
use flight_rules::LatLon;
use vigie_patrol::synthetic::{ThermalScene, render_thermal_rgba};
use vigie_patrol::{
    Attitude, CameraModel, CameraPose, DetectorConfig, Gimbal, Ground, HotspotLog, HotspotSource,
    MergePolicy, Observation, Pixels, PoseUncertainty, ProjectionError, ThermalImage, ThermalRange,
    YawFrame, detect_hotspots, from_thermal_range, ground_to_pixel, project_pixel,
};

use crate::common::*;

fn scene() -> ThermalScene {
    let t = forest_truth();
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

fn frame(pose: &CameraPose, stamp: Option<u64>) -> Vec<u8> {
    let cam = CameraModel::vigie_sim_thermal();
    let mut buf = vec![0u8; 1280 * 720 * 4];
    render_thermal_rgba(&scene(), &cam, pose, stamp, &mut buf);
    buf
}

fn image(buf: &[u8]) -> ThermalImage<'_> {
    ThermalImage {
        width: 1280,
        height: 720,
        pixels: Pixels::Rgba8 {
            data: buf,
            stride: 1280 * 4,
        },
    }
}

#[test]
fn each_scenario_fire_is_found_and_the_stamp_and_clock_are_not() {
    let t = forest_truth();
    let cam = CameraModel::vigie_sim_thermal();
    let cfg = DetectorConfig::vigie_sim(1280, 720);
    // 420 °C (r 15 m), 180 °C (r 6 m), 90 °C (r 4 m), seen from 120 m above home's ground.
    for (i, h) in t.hotspots.iter().enumerate() {
        let pose = nadir(h.pos, t.home_amsl_m + 120.0, 37.0);
        let buf = frame(&pose, Some(u64::MAX));
        let blobs = detect_hotspots(&image(&buf), &cfg).expect("detect");
        assert_eq!(blobs.len(), 1, "fire {i}: {blobs:?}");
        let b = &blobs[0];
        // Centred in the image: the 4×4 blocks and the fields under the glow shift it a little.
        assert!(
            (b.centroid_px[0] - 640.0).abs() < 10.0 && (b.centroid_px[1] - 360.0).abs() < 10.0,
            "fire {i}: {b:?}"
        );
        assert!(!b.touches_edge);
        let fix = project_pixel(
            &cam,
            &pose,
            b.centroid_px[0],
            b.centroid_px[1],
            &Ground::Flat {
                amsl_m: t.home_amsl_m,
            },
            &PoseUncertainty::default(),
        )
        .expect("projects");
        assert!(
            fix.pos.distance_m(&h.pos) < 1.5,
            "fire {i}: {} m",
            fix.pos.distance_m(&h.pos)
        );
    }
    // The all-white stamp and the burnt-in clock are bright, and never reported.
    let empty = nadir(LatLon::new(43.5150, 5.5800), t.home_amsl_m + 120.0, 0.0);
    let buf = frame(&empty, Some(u64::MAX));
    assert!(
        detect_hotspots(&image(&buf), &cfg)
            .expect("detect")
            .is_empty()
    );
    let no_mask = DetectorConfig {
        exclude: vec![],
        ..cfg
    };
    assert!(
        !detect_hotspots(&image(&buf), &no_mask)
            .expect("detect")
            .is_empty(),
        "the stamp is hot without the mask"
    );
}

#[test]
fn a_radiometric_frame_and_camera_thermal_range() {
    // 640×512, 0.01 K per count (FLIR TLinear): ground at 25 °C, a 9×9 patch at 150 °C.
    let (w, h) = (640usize, 512usize);
    let k = |c: f64| ((c + 273.15) / 0.01) as u16;
    let mut data = vec![k(25.0); w * h];
    for y in 300..309 {
        for x in 100..109 {
            data[y * w + x] = k(150.0);
        }
    }
    data[10 * w + 600] = k(200.0); // one hot pixel: noise, below min_pixels
    let img = ThermalImage {
        width: w as u32,
        height: h as u32,
        pixels: Pixels::Radiometric16 {
            data: &data,
            stride: w,
            kelvin_per_count: 0.01,
            offset_k: 0.0,
        },
    };
    let blobs = detect_hotspots(&img, &DetectorConfig::radiometric(80.0)).expect("detect");
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    assert_eq!(blobs[0].pixels, 81);
    assert!(
        (blobs[0].centroid_px[0] - 104.5).abs() < 1e-6
            && (blobs[0].centroid_px[1] - 304.5).abs() < 1e-6
    );
    assert!((blobs[0].peak - 150.0).abs() < 0.02);
    // A luma threshold on a radiometric frame is a mistake, said as such.
    assert!(detect_hotspots(&img, &DetectorConfig::vigie_sim(640, 512)).is_err());
    // CAMERA_THERMAL_RANGE: the hottest point, when hot enough.
    let r = ThermalRange {
        max_c: 312.0,
        max_point_x: 0.25,
        max_point_y: 0.5,
        min_c: 18.0,
    };
    let b = from_thermal_range(&r, 80.0, 1280, 720).expect("hot");
    assert_eq!(b.centroid_px, [320.0, 360.0]);
    assert!(from_thermal_range(&ThermalRange { max_c: 45.0, ..r }, 80.0, 1280, 720).is_none());
    // A frame shorter than it claims is refused, not read out of bounds.
    let short = ThermalImage {
        width: 1280,
        height: 720,
        pixels: Pixels::Gray8 {
            data: &[0u8; 100],
            stride: 1280,
        },
    };
    assert!(detect_hotspots(&short, &DetectorConfig::vigie_sim(1280, 720)).is_err());
}

#[test]
fn projection_round_trips_for_oblique_gimbals_and_airframe_cameras() {
    let cam = CameraModel::vigie_sim_thermal();
    let ground = Ground::Flat { amsl_m: 20.0 };
    let unc = PoseUncertainty::default();
    let poses = [
        nadir(LatLon::new(43.5150, 4.9890), 140.0, 0.0),
        CameraPose {
            position: LatLon::new(43.5150, 4.9890),
            alt_amsl_m: 120.0,
            attitude: Attitude {
                roll_deg: 8.0,
                pitch_deg: -5.0,
                yaw_deg: 130.0,
            },
            gimbal: Gimbal::Stabilised {
                roll_deg: 0.0,
                pitch_deg: -45.0,
                yaw_deg: 20.0,
                yaw_frame: YawFrame::Vehicle,
            },
        },
        CameraPose {
            position: LatLon::new(43.5150, 4.9890),
            alt_amsl_m: 100.0,
            attitude: Attitude {
                roll_deg: -12.0,
                pitch_deg: 10.0,
                yaw_deg: 300.0,
            },
            gimbal: Gimbal::BodyFixed {
                roll_deg: 0.0,
                pitch_deg: -60.0,
                yaw_deg: 0.0,
            },
        },
        CameraPose {
            position: LatLon::new(43.5150, 4.9890),
            alt_amsl_m: 100.0,
            attitude: Attitude::default(),
            gimbal: Gimbal::Stabilised {
                roll_deg: 0.0,
                pitch_deg: -30.0,
                yaw_deg: 45.0,
                yaw_frame: YawFrame::Earth,
            },
        },
    ];
    for (i, pose) in poses.iter().enumerate() {
        for (u, v) in [
            (640.0, 360.0),
            (100.0, 650.0),
            (1200.0, 500.0),
            (900.0, 200.0),
        ] {
            let fix = match project_pixel(&cam, pose, u, v, &ground, &unc) {
                Ok(f) => f,
                Err(ProjectionError::AboveHorizon) if i == 3 => continue,
                Err(e) => panic!("pose {i} ({u},{v}): {e}"),
            };
            let back = ground_to_pixel(&cam, pose, fix.pos, fix.ground_amsl_m).expect("in view");
            assert!(
                (back[0] - u).abs() < 1e-3 && (back[1] - v).abs() < 1e-3,
                "pose {i}: ({u},{v}) → {back:?}"
            );
            assert!(
                fix.error_m > 2.0 * 2.45 * 0.9,
                "pose {i}: error {} m",
                fix.error_m
            );
        }
    }
    // The nadir centre is right below; image top is the heading.
    let p = &poses[0];
    let c = project_pixel(&cam, p, 640.0, 360.0, &ground, &unc).expect("centre");
    assert!(c.pos.distance_m(&p.position) < 1e-6 && c.off_nadir_deg < 1e-6);
    let top = project_pixel(&cam, p, 640.0, 0.0, &ground, &unc).expect("top");
    assert!(
        (p.position.bearing_deg(&top.pos) - 0.0).abs() < 0.01
            || (p.position.bearing_deg(&top.pos) - 360.0).abs() < 0.01
    );
    // An oblique view errs more than a nadir one at the same height.
    let oblique = project_pixel(&cam, &poses[3], 640.0, 360.0, &ground, &unc).expect("oblique");
    assert!(
        oblique.error_m > c.error_m * 1.5,
        "{} vs {}",
        oblique.error_m,
        c.error_m
    );
    // Looking up, or from under the ground: clear errors.
    let up = CameraPose {
        gimbal: Gimbal::Stabilised {
            roll_deg: 0.0,
            pitch_deg: 10.0,
            yaw_deg: 0.0,
            yaw_frame: YawFrame::Vehicle,
        },
        ..*p
    };
    assert_eq!(
        project_pixel(&cam, &up, 640.0, 360.0, &ground, &unc),
        Err(ProjectionError::AboveHorizon)
    );
    let under = CameraPose {
        alt_amsl_m: 10.0,
        ..*p
    };
    assert!(matches!(
        project_pixel(&cam, &under, 640.0, 360.0, &ground, &unc),
        Err(ProjectionError::BelowGround { .. })
    ));
    assert!(matches!(
        project_pixel(&cam, p, 2000.0, 360.0, &ground, &unc),
        Err(ProjectionError::OutsideImage { .. })
    ));
}

#[test]
fn oblique_views_of_the_sainte_victoire_slope_meet_the_terrain() {
    let t = forest_truth();
    let grid = t.terrain.clone().expect("grid");
    let cam = CameraModel::vigie_sim_thermal();
    let unc = PoseUncertainty::default();
    // From 150 m above the slope 300 m south of the big fire (≈ 843 m AMSL, 330 m above home),
    // looking north at it.
    let target = t.hotspots[0].pos;
    let target_amsl = grid.elevation_m(target).expect("on grid");
    let from = LatLon::new(43.5235, 5.5905);
    let ground_here = grid.elevation_m(from).expect("on grid");
    let pose = CameraPose {
        position: from,
        alt_amsl_m: ground_here + 150.0,
        attitude: Attitude {
            roll_deg: 0.0,
            pitch_deg: 0.0,
            yaw_deg: from.bearing_deg(&target),
        },
        gimbal: Gimbal::Stabilised {
            roll_deg: 0.0,
            pitch_deg: -20.0,
            yaw_deg: 0.0,
            yaw_frame: YawFrame::Vehicle,
        },
    };
    let px = ground_to_pixel(&cam, &pose, target, target_amsl).expect("in view");
    let on_terrain = project_pixel(
        &cam,
        &pose,
        px[0],
        px[1],
        &Ground::Terrain {
            grid: &grid,
            fallback_amsl_m: Some(t.home_ground_amsl_m()),
        },
        &unc,
    )
    .expect("hits the slope");
    assert!(!on_terrain.used_fallback);
    assert!(
        on_terrain.pos.distance_m(&target) < 1.0,
        "{} m",
        on_terrain.pos.distance_m(&target)
    );
    assert!((on_terrain.ground_amsl_m - target_amsl).abs() < 0.5);
    // Flat ground at home's elevation puts it far beyond the fire: the terrain matters here.
    match project_pixel(
        &cam,
        &pose,
        px[0],
        px[1],
        &Ground::Flat {
            amsl_m: t.home_ground_amsl_m(),
        },
        &unc,
    ) {
        Ok(flat) => assert!(
            flat.pos.distance_m(&target) > 500.0,
            "{} m",
            flat.pos.distance_m(&target)
        ),
        Err(ProjectionError::TooFar { .. }) => {}
        Err(e) => panic!("{e}"),
    }
    // A ray leaving the grid without a fallback has no ground.
    let away = CameraPose {
        attitude: Attitude {
            yaw_deg: 180.0,
            ..pose.attitude
        },
        ..pose
    };
    let r = project_pixel(
        &cam,
        &away,
        640.0,
        10.0,
        &Ground::Terrain {
            grid: &grid,
            fallback_amsl_m: None,
        },
        &unc,
    );
    assert_eq!(r, Err(ProjectionError::NoGround));
}

#[test]
fn the_stated_error_holds_the_truth_under_pose_noise() {
    // Monte Carlo: the vehicle's reported pose is off by GPS (σ 2 m), altitude (σ 2 m) and
    // pointing (σ 1°) errors; the fire's projected position must lie within the stated error
    // (≈ 95 %) nearly always.
    let cam = CameraModel::vigie_sim_thermal();
    let unc = PoseUncertainty::default();
    let truth_ground = 20.0;
    let fire = LatLon::new(43.5160, 4.9900);
    let mut rng = Lcg(42);
    let (mut inside, mut tried, n) = (0, 0, 400);
    let ff = vigie_patrol::LocalFrame::new(fire);
    for k in 0..n {
        // Half straight down with the fire somewhere in the image, half looking 50° down and
        // 70° right of the heading, at the fire.
        let (pitch, yaw_rel, back_m) = if k % 2 == 0 {
            (-90.0, 0.0, 0.0)
        } else {
            (-50.0, 70.0, 120.0 / 50f64.to_radians().tan())
        };
        let cam_bearing = (37.0 * k as f64).rem_euclid(360.0);
        let b = cam_bearing.to_radians();
        let jitter = [40.0 * (rng.next_f64() - 0.5), 20.0 * (rng.next_f64() - 0.5)];
        let position = ff.to_latlon([-back_m * b.sin() + jitter[0], -back_m * b.cos() + jitter[1]]);
        let true_pose = CameraPose {
            position,
            alt_amsl_m: truth_ground + 120.0,
            attitude: Attitude {
                roll_deg: 0.0,
                pitch_deg: 0.0,
                yaw_deg: cam_bearing - yaw_rel,
            },
            gimbal: Gimbal::Stabilised {
                roll_deg: 0.0,
                pitch_deg: pitch,
                yaw_deg: yaw_rel,
                yaw_frame: YawFrame::Vehicle,
            },
        };
        let Some(px) = ground_to_pixel(&cam, &true_pose, fire, truth_ground) else {
            continue;
        };
        tried += 1;
        let f = vigie_patrol::LocalFrame::new(true_pose.position);
        let reported = CameraPose {
            position: f.to_latlon([2.0 * rng.gauss(), 2.0 * rng.gauss()]),
            alt_amsl_m: true_pose.alt_amsl_m + 2.0 * rng.gauss(),
            attitude: Attitude {
                yaw_deg: true_pose.attitude.yaw_deg + rng.gauss(),
                ..true_pose.attitude
            },
            gimbal: match true_pose.gimbal {
                Gimbal::Stabilised {
                    roll_deg,
                    pitch_deg,
                    yaw_deg,
                    yaw_frame,
                } => Gimbal::Stabilised {
                    roll_deg: roll_deg + 0.5 * rng.gauss(),
                    pitch_deg: pitch_deg + 0.7 * rng.gauss(),
                    yaw_deg,
                    yaw_frame,
                },
                g => g,
            },
        };
        let u = (px[0] + 2.0 * rng.gauss()).clamp(0.0, 1280.0);
        let v = (px[1] + 2.0 * rng.gauss()).clamp(0.0, 720.0);
        let fix = project_pixel(
            &cam,
            &reported,
            u,
            v,
            &Ground::Flat {
                amsl_m: truth_ground,
            },
            &unc,
        )
        .expect("projects");
        if fix.pos.distance_m(&fire) <= fix.error_m {
            inside += 1;
        }
    }
    assert!(tried >= 390, "{tried} in view");
    assert!(
        inside as f64 >= 0.93 * tried as f64,
        "{inside} of {tried} within the stated error"
    );
}

#[test]
fn sightings_of_one_fire_merge_and_others_do_not() {
    let t0 = now();
    let o = |s: i64, lat: f64, lon: f64, err: f64, src: HotspotSource| Observation {
        at: t0 + Duration::seconds(s),
        pos: LatLon::new(lat, lon),
        error_m: err,
        ground_amsl_m: Some(843.0),
        source: src,
        peak: Some(200.0 + s as f64),
        snapshot: Some(format!("snapshots/t{s}.jpg")),
        note: None,
    };
    let mut log = HotspotLog::new(MergePolicy::default());
    let a = log
        .observe(o(0, 43.52620, 5.59050, 12.0, HotspotSource::Thermal))
        .expect("new");
    let b = log
        .observe(o(5, 43.52628, 5.59042, 8.0, HotspotSource::Thermal))
        .expect("merged");
    let c = log
        .observe(o(9, 43.52615, 5.59058, 10.0, HotspotSource::Thermal))
        .expect("merged");
    assert_eq!(
        (a.as_str(), b.as_str(), c.as_str()),
        ("HS-1", "HS-1", "HS-1")
    );
    // 1.2 km west: another fire.
    assert_eq!(
        log.observe(o(12, 43.5241, 5.5788, 10.0, HotspotSource::Thermal))
            .as_deref(),
        Some("HS-2")
    );
    // The pilot clicks the map near the first, with a note: same fire, note kept.
    let mut click = o(20, 43.52622, 5.59047, 15.0, HotspotSource::PilotMap);
    click.note = Some("fumée blanche, lisière nord".into());
    click.peak = None;
    click.snapshot = None;
    assert_eq!(log.observe(click).as_deref(), Some("HS-1"));
    // Seen again after the gap: a new report.
    assert_eq!(
        log.observe(o(2000, 43.52620, 5.59050, 10.0, HotspotSource::Thermal))
            .as_deref(),
        Some("HS-3")
    );
    assert!(log.annotate("HS-2", "à confirmer"));
    assert!(!log.annotate("HS-9", "?"));
    let h1 = log.get("HS-1").expect("HS-1");
    assert_eq!(h1.observations, 4);
    assert_eq!(h1.error_m, 8.0);
    assert_eq!(h1.first_seen, t0);
    assert_eq!(h1.last_seen, t0 + Duration::seconds(20));
    assert_eq!(
        h1.snapshot.as_deref(),
        Some("snapshots/t9.jpg"),
        "the hottest sighting's"
    );
    assert_eq!(h1.notes, ["fumée blanche, lisière nord"]);
    assert!(
        h1.sources.contains(&HotspotSource::PilotMap)
            && h1.sources.contains(&HotspotSource::Thermal)
    );
    assert!(h1.pos.distance_m(&LatLon::new(43.5262, 5.5905)) < 8.0);
    // Unusable observations are refused.
    assert!(
        log.observe(o(30, 95.0, 5.0, 5.0, HotspotSource::Thermal))
            .is_none()
    );
    assert!(
        log.observe(o(30, 43.5, 5.5, f64::NAN, HotspotSource::Thermal))
            .is_none()
    );
}

/// A whole simulated patrol over the forest-patrol scenario's fires, flat ground at home as the
/// simulator draws it: every fire is found once, within its stated error. (The benchmark does the
/// same and prints the error figures.)
#[test]
fn a_simulated_patrol_finds_every_scenario_fire_within_its_stated_error() {
    let t = forest_truth();
    let cam = CameraModel::vigie_sim_thermal();
    let cfg = DetectorConfig::vigie_sim(1280, 720);
    let ground = Ground::Flat {
        amsl_m: t.home_amsl_m,
    };
    let unc = PoseUncertainty::default();
    let mut log = HotspotLog::new(MergePolicy::default());
    let mut rng = Lcg(7);
    // Passes over each fire at 130 m, heading east, one frame every 10 m.
    let f = vigie_patrol::LocalFrame::new(t.home);
    let mut frames = 0;
    for h in &t.hotspots {
        let c = f.to_xy(h.pos);
        for k in -8..=8 {
            let truth = f.to_latlon([c[0] + 10.0 * k as f64, c[1] + 7.0]);
            let pose = nadir(truth, t.home_amsl_m + 130.0, 90.0);
            let buf = frame(&pose, Some(0));
            frames += 1;
            // The telemetry the station has: GPS and heading noise.
            let reported = CameraPose {
                position: vigie_patrol::LocalFrame::new(truth)
                    .to_latlon([1.5 * rng.gauss(), 1.5 * rng.gauss()]),
                alt_amsl_m: pose.alt_amsl_m + 1.0 * rng.gauss(),
                attitude: Attitude {
                    yaw_deg: 90.0 + 0.8 * rng.gauss(),
                    ..pose.attitude
                },
                ..pose
            };
            for b in detect_hotspots(&image(&buf), &cfg).expect("detect") {
                if b.touches_edge {
                    continue;
                }
                let fix = project_pixel(
                    &cam,
                    &reported,
                    b.centroid_px[0],
                    b.centroid_px[1],
                    &ground,
                    &unc,
                )
                .expect("fix");
                log.observe(Observation {
                    at: now() + Duration::seconds(frames),
                    pos: fix.pos,
                    error_m: fix.error_m,
                    ground_amsl_m: Some(fix.ground_amsl_m),
                    source: HotspotSource::Thermal,
                    peak: Some(b.peak),
                    snapshot: Some(format!("snapshots/frame-{frames:04}.jpg")),
                    note: None,
                });
            }
        }
    }
    let found = log.hotspots();
    assert_eq!(found.len(), t.hotspots.len(), "{found:#?}");
    for truth in &t.hotspots {
        let h = found
            .iter()
            .min_by(|a, b| {
                a.pos
                    .distance_m(&truth.pos)
                    .total_cmp(&b.pos.distance_m(&truth.pos))
            })
            .expect("one");
        let d = h.pos.distance_m(&truth.pos);
        assert!(
            d <= h.error_m,
            "fire at {}: found {d:.1} m away, stated error {:.1} m",
            truth.pos,
            h.error_m
        );
        assert!(h.observations >= 3);
    }
}
