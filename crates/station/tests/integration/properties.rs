//! The station's one safety promise, over random situations: Arm and TakeOff never reach the
//! link when `flight_rules` denies them, and RTL, LAND and BRAKE are never refused nor delayed
//! (their link work is emitted by the very call that receives them).

use chrono::Duration;
use flight_rules::{Action, Verdict, WindReading, WindSource, evaluate};
use proptest::prelude::*;
use vigie_link::{CopterMode, GpsFix, VehicleCommand};
use vigie_station::interlock::VehicleWork;
use vigie_station::state::RequestId;
use vigie_station::{
    Effect, FenceStatus, Outcome, SessionRequest, StationCommand, StationState, VehicleRequest,
};

use super::common::*;
use super::core::{reply, work};

#[derive(Debug, Clone)]
struct World {
    /// (source 0..3, mean m/s, gust m/s, age s) — ages up to 20 min, some in the future.
    wind: Vec<(u8, f64, f64, i64)>,
    /// Offsets from the town centre, degrees: covers the town, the perimeter's edges, the
    /// BA 125 runway and CTR to the north-west, and open country.
    dlat: f64,
    dlon: f64,
    pos_age_s: i64,
    alt_rel_m: f64,
    auth: u8,
    auth_shift_h: i64,
    pilot: u8,
    fix: u8,
    sats: u8,
    battery_pct: f64,
    prearm: u8,
    home: bool,
    fence: u8,
    ticks: u8,
    airborne: bool,
    takeoff_alt_m: f64,
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec((0u8..3, 0.0f64..35.0, 0.0f64..45.0, -30i64..1200), 0..4),
        (-0.03f64..0.02, -0.08f64..0.02),
        (-2i64..20, 0.0f64..150.0),
        (0u8..3, -48i64..48),
        0u8..3,
        (0u8..7, 0u8..20, -5.0f64..100.0),
        (0u8..3, any::<bool>(), 0u8..3, 0u8..3, any::<bool>()),
        -10.0f64..200.0,
    )
        .prop_map(
            |(
                wind,
                (dlat, dlon),
                (pos_age_s, alt_rel_m),
                (auth, auth_shift_h),
                pilot,
                (fix, sats, battery_pct),
                (prearm, home, fence, ticks, airborne),
                takeoff_alt_m,
            )| World {
                wind,
                dlat,
                dlon,
                pos_age_s,
                alt_rel_m,
                auth,
                auth_shift_h,
                pilot,
                fix,
                sats,
                battery_pct,
                prearm,
                home,
                fence,
                ticks,
                airborne,
                takeoff_alt_m,
            },
        )
}

fn build(w: &World) -> StationState {
    let mut c = core_config(false);
    let rules = c.rules.clone();
    c.session.authorisation = match w.auth {
        0 => None,
        1 => Some(authorisation(&rules)),
        _ => {
            // A window that may not cover now.
            let mut a = authorisation(&rules);
            a.valid_from = now() + Duration::hours(w.auth_shift_h);
            a.valid_until = a.valid_from + Duration::hours(6);
            Some(a)
        }
    };
    c.session.pilot = match w.pilot {
        0 => None,
        1 => Some(pilot()),
        _ => {
            let mut p = pilot();
            p.certificate_expires = (now() - Duration::days(3)).date_naive();
            Some(p)
        }
    };
    c.session.checklist_ticks = match w.ticks {
        0 => Default::default(),
        1 => manual_ticks(&rules).into_iter().take(1).collect(),
        _ => manual_ticks(&rules),
    };
    let mut s = StationState::new(c);
    let mut t = healthy(now());
    let p = t.position.as_mut().unwrap();
    p.lat_deg += w.dlat;
    p.lon_deg += w.dlon;
    p.alt_rel_m = if w.airborne { w.alt_rel_m } else { 0.0 };
    t.position_at = Some(system_time(now() - Duration::seconds(w.pos_age_s)));
    t.armed = w.airborne;
    t.landed_state = Some(if w.airborne {
        vigie_link::LandedState::InAir
    } else {
        vigie_link::LandedState::OnGround
    });
    let g = t.gps.as_mut().unwrap();
    g.fix = [
        GpsFix::NoGps,
        GpsFix::NoFix,
        GpsFix::Fix2d,
        GpsFix::Fix3d,
        GpsFix::Dgps,
        GpsFix::RtkFixed,
        GpsFix::Static,
    ][usize::from(w.fix)];
    g.satellites = Some(w.sats);
    t.battery.as_mut().unwrap().remaining_pct = Some(w.battery_pct);
    t.readiness.prearm_ok = [None, Some(false), Some(true)][usize::from(w.prearm)];
    if !w.home {
        t.home = None;
    }
    if w.airborne {
        t.mode = CopterMode::Guided;
        t.wind = Some(vigie_link::telemetry::WindEstimate {
            speed_mps: w.wind.first().map_or(3.0, |x| x.1),
            from_deg: 330.0,
            vertical_mps: 0.0,
            received_at: system_time(now()),
        });
    }
    s.on_telemetry(now(), V1, t);
    s.vehicles.get_mut(&V1).unwrap().fence = FenceStatus {
        loaded: w.fence > 0,
        enabled: w.fence > 1,
    };
    for (i, &(src, mean, gust, age)) in w.wind.iter().enumerate() {
        let source = [
            WindSource::Anemometer,
            WindSource::Metar,
            WindSource::Vehicle,
        ][usize::from(src)];
        if source == WindSource::Vehicle {
            continue; // the vehicle's estimate comes from its telemetry above
        }
        s.on_command(
            now(),
            RequestId(1000 + i as u64),
            StationCommand::Session(SessionRequest::AddWind(WindReading {
                source,
                mean_mps: mean,
                gust_mps: Some(gust),
                from_deg: Some(330.0),
                observed_at: now() - Duration::seconds(age),
            })),
        );
    }
    s
}

fn commands(fx: &[Effect]) -> Vec<VehicleCommand> {
    work(fx)
        .into_iter()
        .filter_map(|(_, _, w)| match w {
            VehicleWork::Command(c) => Some(c),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1200, ..ProptestConfig::default() })]

    #[test]
    fn arm_and_takeoff_never_pass_a_denial(w in world()) {
        let mut s = build(&w);
        let sit = s.situation(V1, now());
        let rules = s.rules().clone();
        let arm = evaluate(&rules, &sit, &Action::Arm, now());
        let takeoff = evaluate(&rules, &sit, &Action::Takeoff { alt_m: w.takeoff_alt_m }, now());
        for (i, r) in [
            VehicleRequest::Arm,
            VehicleRequest::ArmInGuided,
            VehicleRequest::ArmAndTakeoff { alt_rel_m: w.takeoff_alt_m },
            VehicleRequest::Takeoff { alt_rel_m: w.takeoff_alt_m },
        ].into_iter().enumerate() {
            let mut s = build(&w);
            let denied = match r {
                VehicleRequest::Takeoff { .. } => takeoff.verdict == Verdict::Deny,
                VehicleRequest::ArmAndTakeoff { .. } => {
                    arm.verdict == Verdict::Deny || takeoff.verdict == Verdict::Deny
                }
                _ => arm.verdict == Verdict::Deny,
            };
            let fx = s.on_command(now(), RequestId(i as u64), StationCommand::vehicle(V1, r.clone()));
            if denied {
                prop_assert!(work(&fx).is_empty(), "{r:?} sent {:?} although denied: {:#?}", work(&fx), arm.findings);
                prop_assert!(matches!(reply(&fx, i as u64), Some(Outcome::Refused(_))));
            }
        }
        // Keep `s` used: the situation came from the same build.
        let _ = s.on_tick(now());
    }

    #[test]
    fn rtl_land_brake_are_never_refused_nor_delayed(w in world()) {
        for (i, (r, cmd)) in [
            (VehicleRequest::Rtl, VehicleCommand::ReturnToLaunch),
            (VehicleRequest::Land, VehicleCommand::Land),
            (VehicleRequest::Brake, VehicleCommand::SetMode(CopterMode::Brake)),
        ].into_iter().enumerate() {
            let mut s = build(&w);
            // Whatever else is in progress on the vehicle.
            s.on_command(now(), RequestId(50), StationCommand::vehicle(V1, VehicleRequest::ArmAndTakeoff { alt_rel_m: 30.0 }));
            s.on_command(now(), RequestId(51), StationCommand::vehicle(V1, VehicleRequest::UploadFence));
            let fx = s.on_command(now(), RequestId(i as u64), StationCommand::vehicle(V1, r.clone()));
            prop_assert!(commands(&fx).contains(&cmd), "{r:?} did not go out at once: {fx:#?}");
            prop_assert!(!matches!(reply(&fx, i as u64), Some(Outcome::Refused(_))));
        }
    }
}
