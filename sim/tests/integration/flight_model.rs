//! The flight model, driven in-process: wind drift, upwind/downwind speeds, battery endurance,
//! failsafes, determinism.

use vigie_sim::geo::{LatLon, LocalFrame};
use vigie_sim::physics::{WindSetting, level_drift_m};
use vigie_sim::vehicle::{Mode, Vehicle, VehicleSetup};

const DT: f64 = 0.01;

fn steady_wind(from_deg: f64, kmh: f64) -> WindSetting {
    WindSetting {
        from_deg,
        mean_mps: kmh / 3.6,
        gust_mps: kmh / 3.6,
        turbulence: 0.0,
    }
}

fn vehicle(wind: WindSetting) -> Vehicle {
    let mut setup = VehicleSetup::istres(1);
    setup.wind = wind;
    setup.wind_shear = false;
    setup.gps_lock_s = 0.0;
    setup.ekf_settle_s = 0.0;
    Vehicle::new(setup)
}

fn run(v: &mut Vehicle, seconds: f64) {
    for _ in 0..(seconds / DT).round() as usize {
        v.step(DT);
        let _ = v.drain().count();
    }
}

fn ne_from_home(v: &Vehicle) -> (f64, f64) {
    LocalFrame::new(LatLon::new(43.5150, 4.9890)).to_ne(v.position())
}

#[test]
fn a_50_kmh_wind_drifts_a_hovering_vehicle_without_position_hold_as_drag_predicts() {
    // Wind from the west: the air, and so the vehicle, moves east.
    let mut v = vehicle(steady_wind(270.0, 50.0));
    v.force_airborne_hover(30.0, Mode::AltHold);
    let t = 20.0;
    run(&mut v, t);
    let (n, e) = ne_from_home(&v);
    let expected = level_drift_m(50.0 / 3.6, v.airframe.drag_k_per_m, t);
    assert!(
        (e - expected).abs() < 0.03 * expected,
        "drift east {e:.1} m, expected {expected:.1} m"
    );
    assert!(n.abs() < 1.0, "no drift across the wind: {n:.2} m");
    assert!(
        (160.0..170.0).contains(&expected),
        "sanity of the analytic value: {expected}"
    );
    // It held its altitude meanwhile.
    assert!(
        (v.alt_rel_home_m() - 30.0).abs() < 0.5,
        "{}",
        v.alt_rel_home_m()
    );
    // And LOITER (position hold) in the same wind stays put.
    let mut held = vehicle(steady_wind(270.0, 50.0));
    held.force_airborne_hover(30.0, Mode::Loiter);
    run(&mut held, t);
    let (n, e) = ne_from_home(&held);
    assert!(n.hypot(e) < 3.0, "LOITER drifted {:.1} m", n.hypot(e));
}

#[test]
fn upwind_ground_speed_is_lower_than_downwind() {
    let wind = steady_wind(0.0, 50.0); // from the north
    let frame = LocalFrame::new(LatLon::new(43.5150, 4.9890));
    let mut up = vehicle(wind);
    up.force_airborne_hover(30.0, Mode::Guided);
    up.guided_goto(frame.to_latlon(1500.0, 0.0), 30.0);
    let mut down = vehicle(wind);
    down.force_airborne_hover(30.0, Mode::Guided);
    down.guided_goto(frame.to_latlon(-1500.0, 0.0), 30.0);
    run(&mut up, 40.0);
    run(&mut down, 40.0);
    let (vu, vd) = (up.ground_speed_mps(), down.ground_speed_mps());
    assert!(
        (9.0..=10.5).contains(&vd),
        "downwind holds WPNAV_SPEED (10 m/s): {vd:.2}"
    );
    assert!(
        vu > 1.0 && vu < vd - 2.0,
        "upwind {vu:.2} m/s must be well below downwind {vd:.2} m/s"
    );
    // Upwind it flies at the tilt limit (ANGLE_MAX 30 degrees).
    assert!(
        up.tilt_rad().to_degrees() > 25.0,
        "tilt {:.1}",
        up.tilt_rad().to_degrees()
    );
    let (n, _) = ne_from_home(&up);
    assert!(n > 100.0, "it still makes progress upwind: {n:.0} m");
}

#[test]
fn the_battery_lasts_a_plausible_time_and_its_failsafe_returns_home() {
    let mut v = vehicle(WindSetting::CALM);
    v.force_airborne_hover(30.0, Mode::Loiter);
    let mut t = 0.0;
    while v.mode() == Mode::Loiter && t < 3600.0 {
        run(&mut v, 1.0);
        t += 1.0;
    }
    let minutes = t / 60.0;
    assert_eq!(
        v.mode(),
        Mode::Rtl,
        "the low-battery failsafe (BATT_FS_LOW_ACT=2) switches to RTL"
    );
    assert!(
        (14.0..=28.0).contains(&minutes),
        "a 5 Ah 4S quad hovers {minutes:.1} min before the low-voltage failsafe"
    );
    assert!(
        v.battery.remaining_pct() < 25.0,
        "{}",
        v.battery.remaining_pct()
    );
    assert!(
        (10.0..=20.0).contains(&v.battery.current_a),
        "hover current {:.1} A",
        v.battery.current_a
    );
}

#[test]
fn current_follows_airspeed_and_wind() {
    // Holding position in a wind is flying at the wind's airspeed: a moderate wind lowers the
    // current (translational lift), a strong one raises it (parasitic drag).
    let hold = |kmh: f64| {
        let mut v = vehicle(if kmh > 0.0 {
            steady_wind(330.0, kmh)
        } else {
            WindSetting::CALM
        });
        v.force_airborne_hover(30.0, Mode::Loiter);
        run(&mut v, 30.0);
        v.battery.current_a
    };
    let (calm, breeze, gale) = (hold(0.0), hold(30.0), hold(65.0));
    assert!(
        breeze < calm && gale > calm * 1.1,
        "calm {calm:.1} A, 30 km/h {breeze:.1} A, 65 km/h {gale:.1} A"
    );
}

#[test]
fn gps_loss_in_flight_lands_by_ekf_failsafe() {
    let mut v = vehicle(WindSetting::CALM);
    v.force_airborne_hover(20.0, Mode::Loiter);
    v.inject(&vigie_sim::faults::Fault::GpsLoss);
    run(&mut v, 5.0);
    assert_eq!(v.mode(), Mode::Land);
    run(&mut v, 60.0);
    assert!(!v.armed() && v.on_ground(), "landed and disarmed");
}

#[test]
fn same_seed_same_flight() {
    let gusty = WindSetting {
        from_deg: 330.0,
        mean_mps: 12.0,
        gust_mps: 22.0,
        turbulence: 0.2,
    };
    let fly = || {
        let mut setup = VehicleSetup::istres(1);
        setup.wind = gusty;
        setup.seed = 42;
        let mut v = Vehicle::new(setup);
        v.force_airborne_hover(30.0, Mode::AltHold);
        run(&mut v, 30.0);
        v.position()
    };
    assert_eq!(fly(), fly());
}

#[test]
fn the_wind_estimate_tracks_the_truth_in_flight() {
    let mut v = vehicle(steady_wind(330.0, 36.0));
    v.force_airborne_hover(30.0, Mode::Loiter);
    run(&mut v, 60.0);
    let (from, speed) = v.wind_estimate();
    assert!(
        (speed - 10.0).abs() < 2.0,
        "estimated {speed:.1} m/s for 10 m/s"
    );
    let err = ((from - 330.0 + 540.0) % 360.0 - 180.0).abs();
    assert!(err < 10.0, "estimated from {from:.0} deg for 330");
}

#[test]
fn the_air_base_approach_mission_flies_north_west_toward_ba_125() {
    use mavlink::MavHeader;
    use mavlink::dialects::ardupilotmega::*;
    let sc = vigie_sim::scenario::load_builtin("air-base-approach").unwrap();
    let boot = vigie_sim::runtime::Boot {
        gps_lock_s: 1.0,
        ekf_settle_s: 0.5,
    };
    let mut fleet = vigie_sim::runtime::build_vehicles(&sc, 1, sc.seed, boot);
    let v = &mut fleet[0];
    run(v, 2.0);
    let gcs = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    };
    let cmd = |command: MavCmd, p1: f32, p2: f32| {
        MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command,
            param1: p1,
            param2: p2,
            ..Default::default()
        })
    };
    v.handle(&gcs, &cmd(MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 4.0), 0.0);
    v.handle(
        &gcs,
        &cmd(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, 1.0, 0.0),
        0.0,
    );
    v.handle(&gcs, &cmd(MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 3.0), 0.0);
    assert!(v.armed());
    assert_eq!(v.mode(), Mode::Auto);
    let ba125 = LatLon::new(43.52250, 4.92417);
    let start = vigie_sim::geo::distance_m(v.position(), ba125);
    run(v, 240.0);
    let end = vigie_sim::geo::distance_m(v.position(), ba125);
    assert!(
        end < start - 2000.0,
        "the mission brings it toward the base: {start:.0} m -> {end:.0} m"
    );
    assert!(v.alt_rel_home_m() > 50.0, "{}", v.alt_rel_home_m());
}

#[test]
fn condition_yaw_turns_the_camera_heading() {
    use mavlink::MavHeader;
    use mavlink::dialects::ardupilotmega::*;
    let mut v = vehicle(WindSetting::CALM);
    v.force_airborne_hover(30.0, Mode::Guided);
    let gcs = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    };
    let yaw = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        target_system: 1,
        target_component: 1,
        command: MavCmd::MAV_CMD_CONDITION_YAW,
        param1: 90.0,
        ..Default::default()
    });
    v.handle(&gcs, &yaw, 0.0);
    assert!(v.drain().any(
        |m| matches!(m, MavMessage::COMMAND_ACK(a) if a.result == MavResult::MAV_RESULT_ACCEPTED)
    ));
    run(&mut v, 5.0);
    assert!(
        (v.body.yaw_rad.to_degrees() - 90.0).abs() < 2.0,
        "{}",
        v.body.yaw_rad.to_degrees()
    );
}

#[test]
fn timesync_and_an_empty_log_list_are_answered() {
    use mavlink::MavHeader;
    use mavlink::dialects::ardupilotmega::*;
    let mut v = vehicle(WindSetting::CALM);
    run(&mut v, 1.0);
    let gcs = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    };
    v.handle(
        &gcs,
        &MavMessage::TIMESYNC(TIMESYNC_DATA {
            tc1: 0,
            ts1: 12345,
            ..Default::default()
        }),
        0.0,
    );
    v.handle(
        &gcs,
        &MavMessage::LOG_REQUEST_LIST(LOG_REQUEST_LIST_DATA {
            start: 0,
            end: 0xffff,
            target_system: 1,
            target_component: 1,
        }),
        0.0,
    );
    let out: Vec<MavMessage> = v.drain().collect();
    assert!(
        out.iter()
            .any(|m| matches!(m, MavMessage::TIMESYNC(t) if t.ts1 == 12345 && t.tc1 > 0))
    );
    assert!(
        out.iter()
            .any(|m| matches!(m, MavMessage::LOG_ENTRY(l) if l.num_logs == 0))
    );
}

#[test]
fn altitude_fence_with_action_land_lands() {
    let mut v = vehicle(WindSetting::CALM);
    for (name, value) in [
        ("FENCE_ENABLE", 1.0),
        ("FENCE_TYPE", 1.0),
        ("FENCE_ALT_MAX", 30.0),
        ("FENCE_ACTION", 2.0),
    ] {
        v.params.set(name, value);
    }
    v.force_airborne_hover(20.0, Mode::Guided);
    v.guided_goto(v.position(), 50.0);
    run(&mut v, 20.0);
    assert!(v.stats.fence_breaches >= 1, "max-altitude breach");
    assert_eq!(
        v.fence_breached(),
        0,
        "back below the ceiling while landing"
    );
    assert_eq!(v.mode(), Mode::Land);
    assert!(
        v.alt_rel_home_m() < 31.0 + 3.0,
        "it did not keep climbing: {}",
        v.alt_rel_home_m()
    );
}

#[test]
fn rtl_goes_to_the_nearest_rally_point() {
    use mavlink::MavHeader;
    use mavlink::dialects::ardupilotmega::*;
    let mut v = vehicle(WindSetting::CALM);
    v.force_airborne_hover(30.0, Mode::Guided);
    let frame = LocalFrame::new(LatLon::new(43.5150, 4.9890));
    let rally = frame.to_latlon(400.0, 0.0);
    let gcs = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    };
    let t = MavMissionType::MAV_MISSION_TYPE_RALLY;
    v.handle(
        &gcs,
        &MavMessage::MISSION_COUNT(MISSION_COUNT_DATA {
            count: 1,
            target_system: 1,
            target_component: 1,
            mission_type: t,
            ..Default::default()
        }),
        0.0,
    );
    v.handle(
        &gcs,
        &MavMessage::MISSION_ITEM_INT(MISSION_ITEM_INT_DATA {
            seq: 0,
            command: MavCmd::MAV_CMD_NAV_RALLY_POINT,
            frame: MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
            x: rally.lat_e7(),
            y: rally.lon_e7(),
            z: 30.0,
            target_system: 1,
            target_component: 1,
            mission_type: t,
            ..Default::default()
        }),
        0.0,
    );
    assert!(v.drain().any(|m| matches!(m, MavMessage::MISSION_ACK(a) if a.mavtype == MavMissionResult::MAV_MISSION_ACCEPTED && a.mission_type == t)));
    // Fly 500 m north, past the rally point, then RTL: the rally point (100 m back) is nearer than home.
    v.guided_goto(frame.to_latlon(500.0, 0.0), 30.0);
    run(&mut v, 80.0);
    assert!(v.set_mode(Mode::Rtl));
    run(&mut v, 120.0);
    let (n, e) = ne_from_home(&v);
    assert!(
        (n - 400.0).abs() < 5.0 && e.abs() < 5.0,
        "landed at ({n:.0}, {e:.0}), expected the rally point (400, 0)"
    );
    assert!(!v.armed());
}

#[test]
fn the_night_patrol_loses_its_gps_lands_by_ekf_failsafe_and_can_be_brought_home() {
    use mavlink::MavHeader;
    use mavlink::dialects::ardupilotmega::*;
    use vigie_sim::faults::Fault;
    let sc = vigie_sim::scenario::load_builtin("night-patrol-gps-loss").unwrap();
    let [loss] = sc.faults.as_slice() else {
        panic!("one fault: {:?}", sc.faults);
    };
    let (lost_at, back_at) = (loss.at_s, loss.at_s + loss.duration_s.expect("duration"));
    // The real boot timing: the trainee can arm once the estimator has settled.
    let boot = vigie_sim::runtime::Boot {
        gps_lock_s: 2.0,
        ekf_settle_s: sc.vehicles.ekf_settle_s,
    };
    let mut fleet = vigie_sim::runtime::build_vehicles(&sc, 1, sc.seed, boot);
    let v = &mut fleet[0];
    let mut texts: Vec<(f64, String)> = Vec::new();
    let fly = |v: &mut Vehicle, until_s: f64, texts: &mut Vec<(f64, String)>| {
        while v.time_s() < until_s {
            v.step(DT);
            // The scenario's fault, applied as the runtime schedules it.
            let t = v.time_s();
            if (t - lost_at).abs() < DT / 2.0 {
                v.inject(&loss.fault);
            }
            if (t - back_at).abs() < DT / 2.0 {
                v.revert(&Fault::GpsLoss);
            }
            for m in v.drain() {
                if let MavMessage::STATUSTEXT(s) = m {
                    let s = s
                        .text
                        .to_str()
                        .unwrap_or_default()
                        .trim_end_matches('\0')
                        .to_string();
                    texts.push((t, s));
                }
            }
        }
    };
    let gcs = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    };
    let cmd = |command: MavCmd, p1: f32, p2: f32| {
        MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command,
            param1: p1,
            param2: p2,
            ..Default::default()
        })
    };
    fly(v, 13.0, &mut texts);
    v.handle(&gcs, &cmd(MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 4.0), 0.0);
    v.handle(
        &gcs,
        &cmd(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, 1.0, 0.0),
        0.0,
    );
    v.handle(&gcs, &cmd(MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 3.0), 0.0);
    assert!(v.armed(), "armable once settled: {texts:?}");
    assert_eq!(v.mode(), Mode::Auto);
    fly(v, lost_at - 0.5, &mut texts);
    assert!(
        !v.on_ground() && v.mode() == Mode::Auto && v.alt_rel_home_m() > 45.0,
        "mid-patrol when the GPS goes: {}",
        v.status_line()
    );
    fly(v, lost_at + 4.0, &mut texts);
    assert_eq!(v.mode(), Mode::Land, "EKF failsafe");
    assert!(
        texts
            .iter()
            .any(|(_, s)| s == "EKF Failsafe: changed to LAND Mode")
    );
    // The GPS is back; 10 s later the EKF uses it again, the vehicle still in the air.
    fly(v, back_at + 11.0, &mut texts);
    let at = |what: &str| texts.iter().find(|(_, s)| s == what).map(|(t, _)| *t);
    let stopped = at("EKF3 IMU0 stopped aiding").expect("stopped aiding");
    assert!((stopped - (lost_at + 15.0)).abs() < 0.2, "{stopped}");
    let cleared = at("EKF Failsafe Cleared").expect("cleared");
    assert!(cleared >= back_at + 9.9, "{cleared}");
    assert!(!v.on_ground(), "still landing: {}", v.status_line());
    // The trainee takes over and brings it home.
    assert!(v.set_mode(Mode::Rtl));
    fly(v, back_at + 240.0, &mut texts);
    assert!(!v.armed() && v.on_ground(), "{}", v.status_line());
    let home = LatLon::new(43.5150, 4.9890);
    assert!(
        vigie_sim::geo::distance_m(v.position(), home) < 10.0,
        "landed at home: {}",
        v.status_line()
    );
    assert_eq!(
        v.stats.fence_breaches, 0,
        "inside the 800 m circle and the ceiling"
    );
}
