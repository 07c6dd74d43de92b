//! Whatever a GCS sends, the vehicle does not panic and its state stays finite.

use mavlink::dialects::ardupilotmega::MavMessage;
use mavlink::{MavHeader, MavlinkVersion, Message};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_sim::vehicle::{Mode, Vehicle, VehicleSetup};

#[test]
fn random_messages_of_every_type_never_panic_the_vehicle() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let ids: Vec<u32> = (0..=65_535u32)
        .filter(|id| MavMessage::default_message_from_id(*id).is_some())
        .collect();
    assert!(ids.len() > 250, "{}", ids.len());
    let gcs = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    };
    for round in 0..6 {
        let mut setup = VehicleSetup::istres(1);
        setup.gps_lock_s = 0.0;
        setup.ekf_settle_s = 0.0;
        let mut v = Vehicle::new(setup);
        if round % 2 == 1 {
            v.force_airborne_hover(30.0, if round == 3 { Mode::Auto } else { Mode::Guided });
        }
        let mut parsed = 0;
        for _ in 0..40 {
            for &id in &ids {
                let len = rng.random_range(0..=255usize);
                let mut payload = vec![0u8; len];
                rng.fill(&mut payload[..]);
                // Aim the commands at this vehicle half of the time so they are not filtered out.
                if len > 32 && rng.random_bool(0.5) {
                    payload[30] = 1;
                }
                if let Ok(msg) = MavMessage::parse(MavlinkVersion::V2, id, &payload) {
                    parsed += 1;
                    v.handle(&gcs, &msg, f64::from(round));
                }
            }
            for _ in 0..20 {
                v.step(0.01);
            }
            v.poll(f64::from(round) + 10.0);
            let _ = v.drain().count();
            let p = v.position();
            assert!(
                p.lat_deg.is_finite() && p.lon_deg.is_finite() && v.alt_rel_home_m().is_finite(),
                "state went non-finite in round {round}"
            );
        }
        assert!(parsed > 1000, "too few messages parsed: {parsed}");
    }
}

#[test]
fn every_known_command_with_hostile_parameters_never_panics() {
    use mavlink::dialects::ardupilotmega::*;
    let specials = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        1.0,
        -1.0,
        1e9,
        -1e9,
        21196.0,
        4.0,
        43.5,
        269.0,
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let gcs = MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    };
    let mut commands = Vec::new();
    for id in 0..=u16::MAX {
        let mut p = [0u8; 33];
        p[28..30].copy_from_slice(&id.to_le_bytes());
        if let Ok(MavMessage::COMMAND_LONG(c)) = MavMessage::parse(MavlinkVersion::V2, 76, &p) {
            commands.push(c.command);
        }
    }
    assert!(commands.len() > 100, "{}", commands.len());
    for airborne in [false, true] {
        let mut setup = VehicleSetup::istres(1);
        setup.gps_lock_s = 0.0;
        setup.ekf_settle_s = 0.0;
        let mut v = Vehicle::new(setup);
        if airborne {
            v.force_airborne_hover(30.0, Mode::Guided);
        }
        for _ in 0..4 {
            for &command in &commands {
                let mut pick = || specials[rng.random_range(0..specials.len())];
                let (p1, p2, p3, p4, p5, p6, p7) =
                    (pick(), pick(), pick(), pick(), pick(), pick(), pick());
                let long = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
                    target_system: 1,
                    target_component: 1,
                    command,
                    param1: p1,
                    param2: p2,
                    param3: p3,
                    param4: p4,
                    param5: p5,
                    param6: p6,
                    param7: p7,
                    confirmation: 0,
                });
                v.handle(&gcs, &long, 0.0);
                let int = MavMessage::COMMAND_INT(COMMAND_INT_DATA {
                    target_system: 1,
                    target_component: 1,
                    command,
                    param1: p1,
                    param2: p2,
                    param3: p3,
                    param4: p4,
                    x: rng.random(),
                    y: rng.random(),
                    z: p7,
                    frame: MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
                    current: 0,
                    autocontinue: 0,
                });
                v.handle(&gcs, &int, 0.0);
                v.step(0.01);
            }
            for _ in 0..200 {
                v.step(0.01);
            }
            let _ = v.drain().count();
            let p = v.position();
            assert!(
                p.lat_deg.is_finite()
                    && p.lon_deg.is_finite()
                    && v.alt_rel_home_m().is_finite()
                    && v.body.vel.norm().is_finite()
            );
        }
    }
}
