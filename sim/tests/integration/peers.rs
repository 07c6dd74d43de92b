//! Independent peers: MAVProxy flies a waypoint mission, pymavlink trips the fence.

use std::time::Duration;

use super::common::{Sim, require_python_module, run_peer};

#[test]
fn mavproxy_loads_waypoints_arms_flies_auto_and_lands() {
    require_python_module("pymavlink");
    require_python_module("MAVProxy");
    // A short settle: this test is about the mission, not the boot (MAVProxy waits for a
    // position, which the EKF reports once it is ready).
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--speedup",
        "5",
        "--ekf-settle",
        "1",
    ]);
    let (ok, out) = run_peer(
        "sim_mavproxy_mission.py",
        &[sim.port().to_string()],
        Duration::from_secs(200),
    );
    assert!(
        ok && out.contains("OK mission flown"),
        "MAVProxy mission failed:\n{out}"
    );
}

#[test]
fn pymavlink_fence_breach_triggers_rtl() {
    require_python_module("pymavlink");
    let sim = Sim::start(&[
        "--tcp",
        "127.0.0.1:0",
        "--no-video",
        "--speedup",
        "10",
        "--ekf-settle",
        "1",
    ]);
    let (ok, out) = run_peer(
        "sim_pymavlink_fence.py",
        &[sim.port().to_string()],
        Duration::from_secs(200),
    );
    assert!(
        ok && out.contains("OK breach"),
        "pymavlink fence test failed:\n{out}"
    );
}
