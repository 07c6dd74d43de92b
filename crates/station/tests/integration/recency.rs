//! Training flights count for a pilot's recency only when the operator's policy says so.

use chrono::{TimeDelta, TimeZone, Utc};
use vigie_register::{DeploymentRecord, FlightStart, Register, RegisterKind};
use vigie_station::register_thread::recency_last_flight;

#[test]
fn a_training_flight_counts_for_recency_only_when_the_policy_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let legal = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
    // Nothing in training yet: the legal flight is all there is, policy or not.
    assert_eq!(
        recency_last_flight(dir.path(), "PM-07", Some(legal), true),
        Some(legal)
    );
    let trained = legal + TimeDelta::days(100);
    {
        let mut reg = Register::open(dir.path(), RegisterKind::Training).unwrap();
        reg.start_deployment(&DeploymentRecord {
            deployment_id: "D-T1".into(),
            arrete_number: String::new(),
            finalite: "formation".into(),
            place: "simulateur".into(),
            planned_start: trained,
            planned_end: trained + TimeDelta::hours(1),
        })
        .unwrap();
        reg.start_flight(&FlightStart {
            flight_id: "F-20260909T100000Z-drone-1-sim".into(),
            deployment_id: "D-T1".into(),
            arrete_number: String::new(),
            finalite: "formation".into(),
            pilot_id: "PM-07".into(),
            aircraft_registration: "SIM-1".into(),
            started_at: trained,
            takeoff_lat_deg: Some(43.5150),
            takeoff_lon_deg: Some(4.9890),
            place: "simulateur".into(),
            anonymised_copy: false,
            vehicle: None,
            operator_registration: None,
        })
        .unwrap();
    }
    // Off (the default): the simulator session does not make the pilot current.
    assert_eq!(
        recency_last_flight(dir.path(), "PM-07", Some(legal), false),
        Some(legal)
    );
    // On: it does, for that pilot only.
    assert_eq!(
        recency_last_flight(dir.path(), "PM-07", Some(legal), true),
        Some(trained)
    );
    assert_eq!(recency_last_flight(dir.path(), "PM-08", None, true), None);
}
