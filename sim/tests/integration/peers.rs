//! Independent peers: MAVProxy flies a waypoint mission, pymavlink trips the fence.

use std::time::Duration;

use super::common::{Sim, require_python_module, run_peer};

#[test]
fn mavproxy_loads_waypoints_arms_flies_auto_and_lands() {
    require_python_module("pymavlink");
    require_python_module("MAVProxy");
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--no-video", "--speedup", "5"]);
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
    let sim = Sim::start(&["--tcp", "127.0.0.1:0", "--no-video", "--speedup", "10"]);
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
