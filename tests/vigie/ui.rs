//! The station screen: accessibility queries with egui_kittest, and the real window under Xvfb.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use flight_rules::{Decision, Finding, Severity};
use vigie_station::{FenceStatus, StationCommand, VehicleId, VehicleRequest, VehicleView};

#[path = "../../src/ui.rs"]
#[allow(dead_code)]
mod app_ui;

fn view(findings: Vec<Finding>, armed: bool) -> VehicleView {
    let mut v = VehicleView {
        preflight: Some(Decision::from_findings(findings)),
        fence: FenceStatus {
            loaded: true,
            enabled: true,
        },
        ..Default::default()
    };
    v.telemetry.armed = armed;
    v
}

fn run(v: Option<VehicleView>) -> (Harness<'static, Vec<app_ui::UiCommand>>,) {
    let harness = Harness::new_ui_state(
        move |ui, out: &mut Vec<app_ui::UiCommand>| {
            out.extend(app_ui::controls_ui(
                ui,
                v.as_ref().map(|v| (VehicleId(1), v)),
            ));
        },
        Vec::new(),
    );
    (harness,)
}

#[test]
fn wind_above_the_limit_greys_out_arm_and_says_why() {
    let gust = Finding {
        rule_id: "WIND-GATE",
        severity: Severity::Blocking,
        reason: "gust 72 km/h above the 50 km/h limit".into(),
    };
    let (mut h,) = run(Some(view(vec![gust], false)));
    h.run();
    h.get_by_label("NO-GO");
    h.get_by_label("WIND-GATE — gust 72 km/h above the 50 km/h limit");
    assert!(
        h.get_by_label("ARM 1").accesskit_node().is_disabled(),
        "ARM is greyed out"
    );
    assert!(
        !h.get_by_label("RTL 1").accesskit_node().is_disabled(),
        "RTL is never refused"
    );
    h.get_by_label("ARM 1").click();
    h.run();
    assert!(h.state().is_empty(), "a greyed-out ARM sends nothing");
}

#[test]
fn go_lets_the_pilot_arm_in_guided() {
    let (mut h,) = run(Some(view(vec![], false)));
    h.run();
    h.get_by_label("GO");
    h.get_by_label("ARM 1").click();
    h.run();
    let got: Vec<_> = h
        .state()
        .iter()
        .filter_map(|c| match c {
            app_ui::UiCommand::Station(s) => Some(s.clone()),
            app_ui::UiCommand::Select(_) => None,
        })
        .collect();
    // One procedure (GUIDED then arm), named for vehicle 1, judged by the station as a whole.
    assert_eq!(
        got,
        vec![StationCommand::vehicle(
            VehicleId(1),
            VehicleRequest::ArmInGuided
        )]
    );
}

#[test]
fn without_a_vehicle_nothing_can_be_sent_and_safety_buttons_stay_lit() {
    let (mut h,) = run(None);
    h.run();
    h.get_by_label("NO-GO");
    for b in ["ARM", "TAKE-OFF"] {
        assert!(h.get_by_label(b).accesskit_node().is_disabled(), "{b}");
    }
    for b in ["RTL", "LAND", "BRAKE"] {
        assert!(
            !h.get_by_label(b).accesskit_node().is_disabled(),
            "{b} is never greyed"
        );
        h.get_by_label(b).click();
    }
    h.run();
    assert!(h.state().is_empty(), "no vehicle: nothing to command");
}

/// The real app window, opened by the real binary under Xvfb, flying the demo for a few seconds.
#[test]
fn the_demo_window_opens_under_xvfb() {
    let data = tempfile::tempdir().unwrap();
    let shot = data.path().join("window.png");
    let sim = std::path::PathBuf::from(env!("CARGO_BIN_EXE_vigie")).with_file_name("vigie-sim");
    // xvfb-run gives the app its own screen; `import` (if installed) grabs it for a human to look at.
    let script = format!(
        "{bin} demo --no-video --duration 12 & pid=$!; sleep 9; (command -v import >/dev/null && import -window root {shot}) || true; wait $pid",
        bin = env!("CARGO_BIN_EXE_vigie"),
        shot = shot.display()
    );
    let out = std::process::Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "sh", "-c", &script])
        .env("VIGIE_DATA_DIR", data.path())
        .env("VIGIE_SIM_BIN", sim)
        .output()
        .expect("xvfb-run (Debian package xvfb; `cargo xtask test` installs it)");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Ok(dir) = std::env::var("VIGIE_SCREENSHOT_DIR") {
        let _ = std::fs::copy(&shot, std::path::Path::new(&dir).join("demo-window.png"));
    }
}
