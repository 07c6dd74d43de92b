//! The pure core, table-tested: the interlock mapping, procedures step by step, safety
//! preemption, refusals and wind-gate changes as events, the flight lifecycle, alarms.

use chrono::Duration;
use flight_rules::{LatLon, WindReading, rule_id};
use vigie_link::{CommandResult, CopterMode, LinkEventKind, MissionType, VehicleCommand};
use vigie_station::interlock::VehicleWork;
use vigie_station::register_thread::RegisterFeedback;
use vigie_station::state::{OpId, OpResult, RequestId};
use vigie_station::{
    AlarmKind, Done, Effect, EventKind, Failure, FenceStatus, Outcome, SessionRequest,
    StationCommand, StationState, VehicleId, VehicleRequest,
};

use super::common::*;

/// A core with vehicle 1 healthy on the ground, its fence on board, and `wind` on the ground.
pub fn ready(wind: Option<WindReading>) -> StationState {
    let mut s = StationState::new(core_config(false));
    s.on_telemetry(now(), V1, healthy(now()));
    s.vehicles.get_mut(&V1).unwrap().fence = FenceStatus {
        loaded: true,
        enabled: true,
    };
    if let Some(w) = wind {
        s.on_command(
            now(),
            RequestId(999),
            StationCommand::Session(SessionRequest::AddWind(w)),
        );
    }
    s
}

fn ask(s: &mut StationState, id: u64, v: VehicleId, r: VehicleRequest) -> Vec<Effect> {
    s.on_command(now(), RequestId(id), StationCommand::vehicle(v, r))
}

/// The link work in these effects, in order.
pub fn work(effects: &[Effect]) -> Vec<(OpId, VehicleId, VehicleWork)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Vehicle { op, vehicle, work } => Some((*op, *vehicle, work.clone())),
            _ => None,
        })
        .collect()
}

pub fn reply(effects: &[Effect], id: u64) -> Option<Outcome> {
    effects.iter().find_map(|e| match e {
        Effect::Reply { request, outcome } if *request == RequestId(id) => Some(outcome.clone()),
        _ => None,
    })
}

fn command(w: &VehicleWork) -> Option<&VehicleCommand> {
    match w {
        VehicleWork::Command(c) => Some(c),
        _ => None,
    }
}

#[derive(Debug)]
enum Expect {
    /// Refused with this blocking rule; no link work at all.
    Refused(&'static str),
    /// The first link work is this command.
    Sends(VehicleCommand),
    Fails(Failure),
}

#[test]
fn interlock_table_of_real_cases() {
    type Setup = fn(&mut StationState);
    let nothing: Setup = |_| {};
    let runway = LatLon::new(43.5225, 4.9242);
    let cases: Vec<(&str, Option<WindReading>, Setup, VehicleRequest, Expect)> = vec![
        (
            "calm_arm_in_guided_sets_guided_first",
            Some(calm(now())),
            nothing,
            VehicleRequest::ArmInGuided,
            Expect::Sends(VehicleCommand::SetMode(CopterMode::Guided)),
        ),
        (
            "mistral_refuses_arm_before_the_mode_change",
            Some(mistral(now())),
            nothing,
            VehicleRequest::ArmInGuided,
            Expect::Refused(rule_id::WIND_GATE),
        ),
        (
            "mistral_refuses_the_one_click_takeoff",
            Some(mistral(now())),
            nothing,
            VehicleRequest::ArmAndTakeoff { alt_rel_m: 40.0 },
            Expect::Refused(rule_id::WIND_GATE),
        ),
        (
            "no_ground_wind_source_refuses",
            None,
            nothing,
            VehicleRequest::Arm,
            Expect::Refused(rule_id::WIND_GATE),
        ),
        (
            "anemometer_silent_for_ten_minutes_refuses",
            Some(calm(now() - Duration::minutes(10))),
            nothing,
            VehicleRequest::Arm,
            Expect::Refused(rule_id::WIND_GATE),
        ),
        (
            // Regression: ArduCopter SITL freshly booted ("Arm: Gyros inconsistent").
            "autopilot_not_ready_refuses",
            Some(calm(now())),
            |s| {
                let v = s.vehicles.get_mut(&V1).unwrap();
                v.telemetry.readiness.prearm_ok = Some(false);
            },
            VehicleRequest::Arm,
            Expect::Refused(rule_id::VEHICLE_PREARM),
        ),
        (
            "fence_not_on_board_refuses",
            Some(calm(now())),
            |s| s.vehicles.get_mut(&V1).unwrap().fence = FenceStatus::default(),
            VehicleRequest::Arm,
            Expect::Refused(rule_id::VEHICLE_FENCE),
        ),
        (
            "no_authorisation_refuses",
            Some(calm(now())),
            |s| s.session.authorisation = None,
            VehicleRequest::Arm,
            Expect::Refused(rule_id::AUTH_MISSING),
        ),
        (
            "goto_the_istres_runway_is_refused",
            Some(calm(now())),
            nothing,
            VehicleRequest::GoTo {
                target: runway,
                alt_rel_m: 40.0,
            },
            Expect::Refused(rule_id::ZONE_PROHIBITED),
        ),
        (
            "takeoff_above_the_ceiling_is_refused",
            Some(calm(now())),
            nothing,
            VehicleRequest::Takeoff { alt_rel_m: 150.0 },
            Expect::Refused(rule_id::CEILING),
        ),
        (
            "rtl_in_the_mistral_with_no_position_goes_out",
            Some(mistral(now())),
            |s| s.vehicles.get_mut(&V1).unwrap().telemetry.position = None,
            VehicleRequest::Rtl,
            Expect::Sends(VehicleCommand::ReturnToLaunch),
        ),
        (
            "land_without_authorisation_goes_out",
            None,
            |s| s.session.authorisation = None,
            VehicleRequest::Land,
            Expect::Sends(VehicleCommand::Land),
        ),
        (
            "brake_in_a_prohibited_zone_goes_out",
            Some(mistral(now())),
            |s| {
                let p = &mut s.vehicles.get_mut(&V1).unwrap().telemetry.position;
                p.as_mut().unwrap().lat_deg = 43.5225;
                p.as_mut().unwrap().lon_deg = 4.9242;
            },
            VehicleRequest::Brake,
            Expect::Sends(VehicleCommand::SetMode(CopterMode::Brake)),
        ),
        (
            "disarm_goes_out",
            None,
            nothing,
            VehicleRequest::Disarm,
            Expect::Sends(VehicleCommand::Disarm),
        ),
        (
            "fence_without_authorisation_cannot_be_built",
            Some(calm(now())),
            |s| s.session.authorisation = None,
            VehicleRequest::UploadFence,
            Expect::Fails(Failure::NoAuthorisation),
        ),
        (
            "unknown_vehicle",
            Some(calm(now())),
            |s| {
                s.vehicles.remove(&V1);
            },
            VehicleRequest::Rtl,
            Expect::Fails(Failure::VehicleUnknown(V1)),
        ),
    ];
    for (name, wind, setup, request, expect) in cases {
        let mut s = ready(wind);
        setup(&mut s);
        let fx = ask(&mut s, 1, V1, request);
        let w = work(&fx);
        match expect {
            Expect::Refused(rule) => {
                assert!(w.is_empty(), "{name}: nothing may be sent, got {w:?}");
                let Some(Outcome::Refused(d)) = reply(&fx, 1) else {
                    panic!("{name}: expected a refusal, got {fx:#?}")
                };
                assert!(d.blocks_on(rule), "{name}: {:#?}", d.findings);
                // The refusal is an event with its rule IDs (the register records it).
                assert!(
                    fx.iter().any(|e| matches!(e, Effect::Event(ev)
                        if matches!(ev.kind, EventKind::Refused { .. }) && ev.rule_ids.contains(&rule))),
                    "{name}: refusal event with {rule}"
                );
            }
            Expect::Sends(cmd) => {
                let first = w.first().and_then(|(_, _, w)| command(w));
                assert_eq!(first, Some(&cmd), "{name}: {fx:#?}");
                assert!(
                    reply(&fx, 1).is_none(),
                    "{name}: answered only when acknowledged"
                );
            }
            Expect::Fails(f) => {
                assert!(w.is_empty(), "{name}");
                let Some(Outcome::Failed { failure, .. }) = reply(&fx, 1) else {
                    panic!("{name}: {fx:#?}")
                };
                assert_eq!(failure, f, "{name}");
            }
        }
    }
}

/// Acknowledge the one op in `fx` and return the next effects.
fn ack(s: &mut StationState, fx: &[Effect], result: OpResult) -> Vec<Effect> {
    let w = work(fx);
    assert_eq!(w.len(), 1, "one op at a time: {fx:#?}");
    s.on_op_result(now(), w[0].0, result)
}

#[test]
fn one_click_takeoff_runs_guided_arm_takeoff_each_through_the_interlock() {
    let mut s = ready(Some(calm(now())));
    let fx = ask(
        &mut s,
        7,
        V1,
        VehicleRequest::ArmAndTakeoff { alt_rel_m: 40.0 },
    );
    assert_eq!(
        command(&work(&fx)[0].2),
        Some(&VehicleCommand::SetMode(CopterMode::Guided))
    );
    let fx = ack(&mut s, &fx, OpResult::Acked(CommandResult::Accepted));
    assert_eq!(command(&work(&fx)[0].2), Some(&VehicleCommand::Arm));
    let fx = ack(&mut s, &fx, OpResult::Acked(CommandResult::Accepted));
    assert_eq!(
        command(&work(&fx)[0].2),
        Some(&VehicleCommand::Takeoff { alt_rel_m: 40.0 })
    );
    let fx = ack(&mut s, &fx, OpResult::Acked(CommandResult::Accepted));
    assert!(work(&fx).is_empty());
    assert!(matches!(
        reply(&fx, 7),
        Some(Outcome::Done {
            done: Done::Acknowledged,
            ..
        })
    ));
}

#[test]
fn wind_rising_between_arm_and_takeoff_stops_the_procedure() {
    let mut s = ready(Some(calm(now())));
    let fx = ask(
        &mut s,
        7,
        V1,
        VehicleRequest::ArmAndTakeoff { alt_rel_m: 40.0 },
    );
    let fx = ack(&mut s, &fx, OpResult::Acked(CommandResult::Accepted));
    assert_eq!(command(&work(&fx)[0].2), Some(&VehicleCommand::Arm));
    // The anemometer reports a 90 km/h gust while the vehicle arms.
    s.on_command(
        now(),
        RequestId(8),
        StationCommand::Session(SessionRequest::AddWind(mistral(now()))),
    );
    let fx = ack(&mut s, &fx, OpResult::Acked(CommandResult::Accepted));
    assert!(work(&fx).is_empty(), "no take-off sent: {fx:#?}");
    let Some(Outcome::Refused(d)) = reply(&fx, 7) else {
        panic!("{fx:#?}")
    };
    assert!(d.blocks_on(rule_id::WIND_GATE));
}

#[test]
fn a_vehicle_that_refuses_ends_the_procedure_with_its_answer() {
    let mut s = ready(Some(calm(now())));
    let fx = ask(&mut s, 7, V1, VehicleRequest::ArmInGuided);
    let fx = ack(&mut s, &fx, OpResult::Acked(CommandResult::Accepted));
    let fx = ack(&mut s, &fx, OpResult::Acked(CommandResult::Failed));
    assert_eq!(
        reply(&fx, 7),
        Some(Outcome::Failed {
            decision: Some(reply_decision(&fx)),
            failure: Failure::VehicleAnswered(CommandResult::Failed)
        })
    );
}

fn reply_decision(fx: &[Effect]) -> flight_rules::Decision {
    fx.iter()
        .find_map(|e| match e {
            Effect::Reply { outcome, .. } => outcome.decision().cloned(),
            _ => None,
        })
        .unwrap()
}

#[test]
fn safety_commands_preempt_a_motion_procedure_at_once() {
    let mut s = ready(Some(calm(now())));
    let fx = ask(
        &mut s,
        7,
        V1,
        VehicleRequest::ArmAndTakeoff { alt_rel_m: 40.0 },
    );
    let first = work(&fx)[0].0;
    // LAND pressed while the mode change is in flight: it goes out in this very call.
    let fx2 = ask(&mut s, 8, V1, VehicleRequest::Land);
    assert_eq!(command(&work(&fx2)[0].2), Some(&VehicleCommand::Land));
    assert!(matches!(
        reply(&fx2, 7),
        Some(Outcome::Failed {
            failure: Failure::Preempted("land"),
            ..
        })
    ));
    // The late acknowledgement of the stopped procedure sends nothing more (no arming).
    let fx3 = s.on_op_result(now(), first, OpResult::Acked(CommandResult::Accepted));
    assert!(work(&fx3).is_empty(), "{fx3:#?}");
}

#[test]
fn rtl_during_a_fence_upload_goes_out_and_the_upload_goes_on() {
    let mut s = ready(Some(calm(now())));
    let fx = ask(&mut s, 7, V1, VehicleRequest::UploadFence);
    let (upload_op, _, w) = work(&fx)[0].clone();
    assert!(matches!(
        w,
        VehicleWork::Upload {
            kind: MissionType::Fence,
            ..
        }
    ));
    let fx2 = ask(&mut s, 8, V1, VehicleRequest::Rtl);
    assert_eq!(
        command(&work(&fx2)[0].2),
        Some(&VehicleCommand::ReturnToLaunch)
    );
    assert!(reply(&fx2, 7).is_none(), "the upload was not stopped");
    // The upload's read-back arrives: the procedure carries on with the fence parameters.
    let fx3 = s.on_op_result(now(), upload_op, OpResult::Completed);
    assert!(matches!(
        work(&fx3)[0].2,
        VehicleWork::SetParam {
            name: "FENCE_ALT_MAX",
            ..
        }
    ));
    assert!(s.vehicles[&V1].fence.loaded);
    let mut fx = fx3;
    // FENCE_ALT_MAX, FENCE_TYPE, FENCE_ACTION.
    for _ in 0..3 {
        fx = ack(&mut s, &fx, OpResult::Completed);
    }
    assert_eq!(
        command(&work(&fx)[0].2),
        Some(&VehicleCommand::FenceEnable(true))
    );
    let fx = ack(&mut s, &fx, OpResult::Acked(CommandResult::Accepted));
    let Some(Outcome::Done {
        done: Done::FenceUploaded { items, enabled },
        ..
    }) = reply(&fx, 7)
    else {
        panic!("{fx:#?}")
    };
    assert!(items >= 4 && enabled, "{items} items, enabled {enabled}");
}

#[test]
fn a_second_upload_while_one_runs_is_busy_not_queued() {
    let mut s = ready(Some(calm(now())));
    ask(&mut s, 7, V1, VehicleRequest::UploadFence);
    let fx = ask(&mut s, 8, V1, VehicleRequest::UploadFence);
    assert!(work(&fx).is_empty());
    assert_eq!(reply(&fx, 8), Some(Outcome::failed(Failure::Busy)));
}

#[test]
fn a_command_for_vehicle_2_goes_to_vehicle_2_only() {
    let mut s = ready(Some(calm(now())));
    let mut t2 = healthy(now());
    t2.sysid = 2;
    s.on_telemetry(now(), VehicleId(2), t2);
    let fx = ask(&mut s, 7, VehicleId(2), VehicleRequest::Rtl);
    let w = work(&fx);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].1, VehicleId(2));
}

#[test]
fn each_change_of_the_wind_gate_is_an_event_with_its_rule() {
    let mut s = ready(Some(calm(now())));
    let fx = s.on_command(
        now(),
        RequestId(2),
        StationCommand::Session(SessionRequest::AddWind(mistral(now()))),
    );
    let gate: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Event(ev) if matches!(ev.kind, EventKind::WindGate { .. }) => Some(ev),
            _ => None,
        })
        .collect();
    assert_eq!(gate.len(), 1, "{fx:#?}");
    assert_eq!(gate[0].rule_ids, vec![rule_id::WIND_GATE]);
    // The same wind again is not a change.
    let fx = s.on_command(
        now(),
        RequestId(3),
        StationCommand::Session(SessionRequest::AddWind(mistral(now()))),
    );
    assert!(
        !fx.iter().any(
            |e| matches!(e, Effect::Event(ev) if matches!(ev.kind, EventKind::WindGate { .. }))
        )
    );
}

#[test]
fn arming_opens_a_flight_and_disarming_closes_it() {
    let mut c = core_config(false);
    c.recording = true;
    let mut s = StationState::new(c);
    s.on_open_flights(vec![]);
    let mut t = healthy(now());
    s.on_telemetry(now(), V1, t.clone());
    t.armed = true;
    let fx = s.on_telemetry(now(), V1, t.clone());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::OpenFlight { vehicle, .. } if *vehicle == V1)),
        "{fx:#?}"
    );
    // The register names the flight (station-scoped) and answers with its directory.
    let flight_id = &"F-20261201T100000Z-drone-1-st-0123456789ab".to_string();
    s.on_register(
        now(),
        RegisterFeedback::FlightOpened {
            vehicle: V1,
            flight_id: flight_id.clone(),
            dir: "/tmp/x".into(),
        },
    );
    assert_eq!(s.vehicles[&V1].flight.flight_id(), Some(flight_id.as_str()));
    t.armed = false;
    let fx = s.on_telemetry(now() + Duration::seconds(60), V1, t);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::CloseFlight { flight_id: f, .. } if f == flight_id)),
        "{fx:#?}"
    );
}

#[test]
fn link_lost_raises_an_alarm_that_clears_when_regained() {
    let mut s = ready(Some(calm(now())));
    s.on_link_event(
        now(),
        &LinkEventKind::VehicleLost {
            sysid: 1,
            compid: 1,
        },
    );
    assert!(
        s.alarms()
            .iter()
            .any(|a| a.kind == AlarmKind::LinkLost && a.vehicle == Some(V1))
    );
    s.on_link_event(
        now(),
        &LinkEventKind::VehicleRegained {
            sysid: 1,
            compid: 1,
        },
    );
    let a = s
        .alarms()
        .iter()
        .find(|a| a.kind == AlarmKind::LinkLost)
        .unwrap()
        .clone();
    assert!(
        a.cleared_at.is_some(),
        "cleared, still shown until acknowledged"
    );
    s.on_command(
        now(),
        RequestId(5),
        StationCommand::Session(SessionRequest::AcknowledgeAlarm {
            alarm: a.id,
            by: "PM-ISTRES-DEMO".into(),
        }),
    );
    assert!(s.alarms().is_empty());
}

fn orphan(interrupted: bool) -> vigie_station::state::OrphanFlight {
    vigie_station::state::OrphanFlight {
        flight_id: "F-20261201T093000Z-drone-1-st-0123456789ab".into(),
        vehicle: V1,
        started_at: now() - Duration::minutes(5),
        last_entry_at: now() - Duration::seconds(12),
        interrupted,
        // A fence was uploaded before the flight (one circle).
        fence: Some(vec![vigie_link::MissionItem::fence_circle(
            0, 43.52, 4.92, 500.0, false,
        )]),
        mission: None,
    }
}

fn recording_core() -> StationState {
    let mut c = core_config(false);
    c.recording = true;
    StationState::new(c)
}

#[test]
fn no_flight_opens_before_the_register_says_which_were_left_open() {
    let mut s = recording_core();
    let mut t = healthy(now());
    t.armed = true;
    let fx = s.on_telemetry(now(), V1, t.clone());
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::OpenFlight { .. })),
        "a second flight beside the one left open: {fx:#?}"
    );
    s.on_open_flights(vec![orphan(false)]);
    let fx = s.on_telemetry(now(), V1, t);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::OpenFlight { .. })),
        "{fx:#?}"
    );
    assert!(
        fx.iter().any(|e| matches!(e, Effect::ResumeFlight { .. })),
        "{fx:#?}"
    );
}

#[test]
fn a_vehicle_heard_again_armed_takes_its_flight_up_with_the_gap_and_reads_back() {
    let mut s = recording_core();
    s.on_open_flights(vec![orphan(true)]);
    let mut t = healthy(now());
    t.armed = true;
    let fx = s.on_telemetry(now(), V1, t);
    let Some(Effect::ResumeFlight {
        flight_id,
        gap_s,
        after_clean_stop,
        ..
    }) = fx.iter().find(|e| matches!(e, Effect::ResumeFlight { .. }))
    else {
        panic!("{fx:#?}")
    };
    assert_eq!(flight_id, &orphan(true).flight_id);
    assert!((*gap_s - 12.0).abs() < 0.01 && *after_clean_stop);
    // The fence and the mission on board are read back to be compared with the record.
    let downloads: Vec<_> = work(&fx)
        .into_iter()
        .filter(|(_, _, w)| matches!(w, VehicleWork::Download { .. }))
        .collect();
    assert_eq!(downloads.len(), 2, "{fx:#?}");
    // A fence that differs from the recorded one is a critical alarm.
    let fence_op = downloads
        .iter()
        .find(|(_, _, w)| {
            matches!(
                w,
                VehicleWork::Download {
                    kind: MissionType::Fence
                }
            )
        })
        .unwrap()
        .0;
    s.on_op_result(now(), fence_op, OpResult::Downloaded(vec![]));
    assert!(
        s.alarms().iter().any(|a| a.kind == AlarmKind::ReadBack),
        "{:?}",
        s.alarms()
    );
    assert_eq!(
        s.vehicles[&V1].flight.flight_id(),
        Some(orphan(true).flight_id.as_str())
    );
}

#[test]
fn a_vehicle_that_landed_while_the_station_was_away_has_its_flight_closed() {
    let mut s = recording_core();
    s.on_open_flights(vec![orphan(false)]);
    let fx = s.on_telemetry(now(), V1, healthy(now()));
    assert!(
        fx.iter().any(|e| matches!(e, Effect::CloseFlightAway { flight_id, .. } if *flight_id == orphan(false).flight_id)),
        "{fx:#?}"
    );
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::OpenFlight { .. } | Effect::ResumeFlight { .. }))
    );
}

#[test]
fn stopping_the_station_interrupts_open_flights_and_says_who_is_airborne() {
    let mut s = recording_core();
    s.on_open_flights(vec![]);
    let mut t = healthy(now());
    t.armed = true;
    t.landed_state = Some(vigie_link::LandedState::InAir);
    s.on_telemetry(now(), V1, t);
    s.on_register(
        now(),
        RegisterFeedback::FlightOpened {
            vehicle: V1,
            flight_id: "F-1".into(),
            dir: "/tmp/x".into(),
        },
    );
    let (fx, report) = s.on_shutdown(now(), "station-shutdown");
    assert!(fx.iter().any(|e| matches!(e, Effect::InterruptFlight { flight_id, airborne: true, .. } if flight_id == "F-1")), "{fx:#?}");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::CloseFlight { .. })),
        "not sealed as if it had landed"
    );
    assert_eq!(report.airborne.len(), 1);
    assert_eq!(report.interrupted_flights, vec!["F-1".to_string()]);
}

/// The fence parameters a fence upload sets, by name.
fn fence_params(s: &mut StationState) -> Vec<(&'static str, f64)> {
    let mut fx = ask(s, 70, V1, VehicleRequest::UploadFence);
    let mut params = vec![];
    for _ in 0..6 {
        let w = work(&fx);
        let Some((_, _, w)) = w.first() else { break };
        if let VehicleWork::SetParam { name, value, .. } = w {
            params.push((*name, *value));
        }
        let r = match w {
            VehicleWork::Command(_) => OpResult::Acked(CommandResult::Accepted),
            _ => OpResult::Completed,
        };
        fx = ack(s, &fx, r);
    }
    params
}

#[test]
fn over_relief_the_fence_ceiling_makes_room_for_the_ground_inside_the_perimeter() {
    // Flat: the ceiling above home is the 120 m AGL ceiling less the assumed relief.
    let mut flat = ready(Some(calm(now())));
    let alt_max = |p: &[(&str, f64)]| p.iter().find(|x| x.0 == "FENCE_ALT_MAX").unwrap().1;
    let flat_max = alt_max(&fence_params(&mut flat));
    assert!((flat_max - 110.0).abs() < 0.5, "{flat_max}");
    // Ground 60 m above home everywhere in the perimeter: FENCE_ALT_MAX (above home) must let
    // the drone stand 120 m above it, the AGL ceiling being watched by the station on terrain.
    let rows = vec![vec![80.0; 30]; 30];
    let grid = vigie_patrol::ElevationGrid::from_rows_south_first(
        "test-grid",
        LatLon::new(43.49, 4.96),
        200.0,
        &rows,
    )
    .unwrap();
    let mut c = core_config(false);
    c.terrain = Some(std::sync::Arc::new(grid));
    let mut s = StationState::new(c);
    s.on_telemetry(now(), V1, healthy(now()));
    s.on_command(
        now(),
        RequestId(999),
        StationCommand::Session(SessionRequest::AddWind(calm(now()))),
    );
    let raised = alt_max(&fence_params(&mut s));
    assert!((raised - (flat_max + 60.0)).abs() < 0.5, "{raised}");
    // And the rules read the height above the ground under the drone from the same model.
    assert_eq!(
        s.situation(V1, now()).ground_below_vehicle_amsl_m,
        Some(80.0)
    );
}

#[test]
fn a_lost_video_stream_is_an_alarm_until_it_comes_back() {
    use vigie_station::video::VideoHealth;
    let mut s = ready(Some(calm(now())));
    let fx = s.on_video(
        now(),
        V1,
        VideoHealth::Lost {
            stream: "drone-1".into(),
            reason: "no data for 1.5 s".into(),
        },
    );
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Event(ev) if matches!(ev.kind, EventKind::VideoLost { .. }))
        ),
        "{fx:#?}"
    );
    assert!(
        s.snapshot()
            .alarms
            .iter()
            .any(|a| a.kind == AlarmKind::VideoLost && a.vehicle == Some(V1))
    );
    // Frames again: the alarm clears (it stays listed until acknowledged), the return is said.
    let fx = s.on_video(
        now(),
        V1,
        VideoHealth::Up {
            stream: "drone-1".into(),
        },
    );
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Event(ev) if matches!(ev.kind, EventKind::VideoRegained { .. }))
        ),
        "{fx:#?}"
    );
    assert!(
        s.snapshot()
            .alarms
            .iter()
            .filter(|a| a.kind == AlarmKind::VideoLost)
            .all(|a| a.cleared_at.is_some())
    );
    // A first StreamUp with no loss before says nothing.
    let mut fresh = ready(Some(calm(now())));
    let fx = fresh.on_video(
        now(),
        V1,
        VideoHealth::Up {
            stream: "drone-1".into(),
        },
    );
    assert!(fx.is_empty(), "{fx:#?}");
}

/// "Inside a home" flags the vehicle's recording (the actor passes it to the recorder) and,
/// once the recorder has it, goes to the register as an event naming who flagged it; with
/// nothing being recorded, the pilot is told that nothing was flagged and nothing is filed.
#[test]
fn the_domicile_flag_reaches_the_recorder_and_the_register() {
    let mut s = ready(None);
    let out = s.on_command(
        now(),
        RequestId(7),
        StationCommand::Session(SessionRequest::FlagDomicile {
            vehicle: V1,
            by: "PM-ISTRES-07".into(),
        }),
    );
    assert!(
        matches!(&out[..], [Effect::FlagDomicile { vehicle, by, request: RequestId(7) }]
            if *vehicle == V1 && by == "PM-ISTRES-07"),
        "the recorder is asked first, nothing is said yet: {out:?}"
    );
    let out = s.on_domicile(now(), V1, "PM-ISTRES-07".into(), RequestId(7), true);
    assert!(
        out.iter().any(|e| matches!(e, Effect::Event(ev)
            if matches!(&ev.kind, EventKind::DomicileFlagged { by } if by == "PM-ISTRES-07")
                && ev.vehicle == Some(V1))),
        "{out:?}"
    );
    assert!(out.iter().any(|e| matches!(
        e,
        Effect::Reply {
            outcome: Outcome::Done {
                done: Done::DomicileFlagged,
                ..
            },
            ..
        }
    )));
    let out = s.on_domicile(now(), V1, "PM-ISTRES-07".into(), RequestId(8), false);
    assert!(
        !out.iter().any(|e| matches!(e, Effect::Event(_))),
        "no flag event when nothing was flagged: {out:?}"
    );
    assert!(
        out.iter().any(|e| matches!(e,
            Effect::Reply { request: RequestId(8), outcome: Outcome::Failed { failure: Failure::NothingRecorded(v), .. } } if *v == V1)),
        "{out:?}"
    );
}

/// A hot spot the thermal camera keeps seeing is the first sighting and each doubling in the
/// register's events, not one event per frame; every sighting still refines it.
#[test]
fn a_hot_spot_seen_twenty_times_is_five_events() {
    let mut s = ready(None);
    let mut events = 0;
    for i in 0..20u64 {
        let out = s.on_command(
            now(),
            RequestId(100 + i),
            StationCommand::Session(SessionRequest::ObserveHotspot {
                vehicle: Some(V1),
                observation: Box::new(vigie_patrol::Observation {
                    at: now(),
                    pos: LatLon::new(43.5300, 5.0100),
                    error_m: 15.0,
                    ground_amsl_m: None,
                    source: vigie_patrol::HotspotSource::Thermal,
                    peak: Some(240.0),
                    snapshot: None,
                    note: None,
                }),
            }),
        );
        events += out
            .iter()
            .filter(|e| matches!(e, Effect::Event(ev) if matches!(ev.kind, EventKind::HotspotObserved { .. })))
            .count();
    }
    assert_eq!(events, 5, "sightings 1, 2, 4, 8 and 16");
}
