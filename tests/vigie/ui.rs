//! The desktop app's views, through the library: egui_kittest queries by label and asserts on
//! state and on the commands the views return; and the real window under Xvfb.

use std::sync::Arc;

use chrono::Utc;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use flight_rules::{
    Action, Authorisation, ChecklistKind, LatLon, Pilot, RuleSet, Situation, VehicleSnapshot,
    WindReading, WindSource, evaluate,
};
use vigie::app::fly::{FlyState, controls_ui, fly_ui};
use vigie::app::i18n::Lang;
use vigie::app::plan::{PlanState, plan_tools_ui, route_overlay};
use vigie::app::settings::Settings;
use vigie::app::tiles::{Basemap, MapTiles};
use vigie::app::{Context, UiCommand};
use vigie::plan_file::PlanItem;
use vigie_station::{
    FenceStatus, StationCommand, StationSnapshot, VehicleId, VehicleRequest, VehicleView,
};

const DEMO_AUTH: &str =
    include_str!("../../flight-rules/rules/examples/authorisation-istres-demo.toml");
const DEMO_PILOT: &str = include_str!("../../flight-rules/rules/examples/pilot-demo.toml");

/// Istres town centre, inside the demo perimeter.
const ISTRES: LatLon = LatLon::new(43.5150, 4.9890);

pub fn rules() -> Arc<RuleSet> {
    Arc::new(RuleSet::default_embedded())
}

pub fn demo_authorisation(rules: &RuleSet) -> Authorisation {
    Authorisation::from_toml(DEMO_AUTH, "authorisation-istres-demo.toml", &rules.limits).unwrap()
}

pub fn context(lang: Lang) -> (Context, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules();
    let auth = Arc::new(demo_authorisation(&rules));
    let ctx = Context::new(
        lang,
        Settings::default(),
        rules,
        Some(auth),
        false,
        dir.path().to_path_buf(),
    );
    (ctx, dir)
}

/// A vehicle ready to fly at Istres centre, judged by the real rules with this wind.
fn judged_view(ctx: &Context, gust_kmh: f64) -> VehicleView {
    let now = Utc::now();
    let vehicle = VehicleSnapshot {
        link_signed: Some(true),
        remote_id: None,
        airframe: "vigie-sim".into(),
        gps_fix_type: 3,
        satellites: 14,
        h_accuracy_m: Some(1.0),
        position: Some(ISTRES),
        position_at: Some(now),
        alt_rel_home_m: Some(0.0),
        alt_amsl_m: Some(20.0),
        ground_velocity_ne_mps: Some([0.0, 0.0]),
        battery_pct: Some(98.0),
        home_set: true,
        home: Some(ISTRES),
        fence_loaded: true,
        fence_enabled: true,
        armed: false,
        airborne: false,
        autopilot_ready: Some(true),
        autopilot_reasons: vec![],
    };
    let ticks = ctx
        .rules
        .checklist
        .items
        .iter()
        .filter(|i| matches!(i.kind, ChecklistKind::Manual))
        .map(|i| i.id.clone())
        .collect();
    let s = Situation {
        pilot: Some(Pilot::from_toml(DEMO_PILOT, "pilot-demo.toml").unwrap()),
        training: true,
        authorisation: ctx.authorisation.as_deref().cloned(),
        vehicle: Some(vehicle),
        wind: vec![WindReading {
            source: WindSource::Anemometer,
            mean_mps: gust_kmh / 3.6 * 0.7,
            gust_mps: Some(gust_kmh / 3.6),
            from_deg: Some(330.0),
            observed_at: now,
        }],
        checklist_ticks: ticks,
        ..Situation::default()
    };
    let decision = evaluate(&ctx.rules, &s, &Action::Arm, now);
    let mut v = VehicleView {
        preflight: Some(decision),
        fence: FenceStatus {
            loaded: true,
            enabled: true,
        },
        ..Default::default()
    };
    v.telemetry.sysid = 1;
    v
}

fn controls(
    ctx: Context,
    v: Option<(VehicleId, VehicleView)>,
) -> Harness<'static, (Context, FlyState, Vec<UiCommand>)> {
    let fly = FlyState::new(&ctx.settings);
    Harness::builder()
        .with_context_setup(vigie::app::theme::install_fonts)
        .with_size(egui::vec2(900.0, 900.0))
        .build_ui_state(
            move |ui, (ctx, fly, out): &mut (Context, FlyState, Vec<UiCommand>)| {
                let cmds = controls_ui(
                    ui,
                    &ctx.tr,
                    &ctx.palette,
                    v.as_ref().map(|(id, v)| (*id, v)),
                    fly,
                );
                out.extend(cmds);
            },
            (ctx, fly, Vec::new()),
        )
}

fn station_commands(out: &[UiCommand]) -> Vec<StationCommand> {
    out.iter()
        .filter_map(|c| match c {
            UiCommand::Station(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn under_mistral_arm_is_greyed_with_the_wind_reason_beside_it_and_rtl_stays_lit() {
    let (ctx, _dir) = context(Lang::Fr);
    let view = judged_view(&ctx, 72.0);
    assert!(
        view.preflight.as_ref().unwrap().blocks_on("WIND-GATE"),
        "{:#?}",
        view.preflight
    );
    let mut h = controls(ctx, Some((VehicleId(1), view)));
    h.run();
    h.get_by_label("✖ NO-GO");
    let arm = h.get_by_label("ARMER — Drone 1");
    assert!(
        arm.accesskit_node().is_disabled(),
        "ARM is greyed under mistral"
    );
    assert!(
        h.get_by_label("DÉCOLLER — Drone 1 à 40 m")
            .accesskit_node()
            .is_disabled(),
        "TAKE-OFF is greyed under mistral"
    );
    // The reason, in French, beside the button.
    let reason =
        "✖ WIND-GATE — vent 72 km/h (anémomètre) au-dessus de la limite de décollage de 50 km/h";
    assert!(
        h.query_all_by_label(reason).count() >= 1,
        "the wind reason is shown beside ARM"
    );
    for b in [
        "RETOUR (RTL) — Drone 1",
        "ATTERRIR — Drone 1",
        "FREIN (BRAKE) — Drone 1",
    ] {
        assert!(
            !h.get_by_label(b).accesskit_node().is_disabled(),
            "{b} is never greyed"
        );
    }
    h.get_by_label("ARMER — Drone 1").click();
    h.run();
    assert!(
        station_commands(&h.state().2).is_empty(),
        "a greyed ARM sends nothing"
    );
    h.get_by_label("RETOUR (RTL) — Drone 1").click();
    h.run();
    assert_eq!(
        station_commands(&h.state().2),
        vec![StationCommand::vehicle(VehicleId(1), VehicleRequest::Rtl)]
    );
}

#[test]
fn when_calm_arm_is_enabled_and_arms_in_guided() {
    let (ctx, _dir) = context(Lang::Fr);
    let view = judged_view(&ctx, 10.0);
    let d = view.preflight.clone().unwrap();
    assert!(!d.is_denied(), "{:#?}", d.findings);
    let mut h = controls(ctx, Some((VehicleId(1), view)));
    h.run();
    assert!(
        !h.get_by_label("ARMER — Drone 1")
            .accesskit_node()
            .is_disabled()
    );
    h.get_by_label("ARMER — Drone 1").click();
    h.run();
    assert_eq!(
        station_commands(&h.state().2),
        vec![StationCommand::vehicle(
            VehicleId(1),
            VehicleRequest::ArmInGuided
        )]
    );
}

#[test]
fn in_english_the_same_verdict_reads_in_english() {
    let (ctx, _dir) = context(Lang::En);
    let view = judged_view(&ctx, 72.0);
    let mut h = controls(ctx, Some((VehicleId(1), view)));
    h.run();
    assert!(
        h.get_by_label("ARM — Drone 1")
            .accesskit_node()
            .is_disabled()
    );
    assert!(
        h.query_all_by_label(
            "✖ WIND-GATE — wind 72 km/h (anemometer) at or above the 50 km/h take-off limit"
        )
        .count()
            >= 1
    );
    assert!(
        h.state().0.tr.missing().is_empty(),
        "{:?}",
        h.state().0.tr.missing()
    );
}

#[test]
fn with_no_vehicle_the_safety_buttons_stay_lit_and_send_nothing() {
    let (ctx, _dir) = context(Lang::Fr);
    let mut h = controls(ctx, None);
    h.run();
    assert!(
        h.get_by_label("ARMER — aucun drone")
            .accesskit_node()
            .is_disabled()
    );
    for b in [
        "RETOUR (RTL) — aucun drone",
        "ATTERRIR — aucun drone",
        "FREIN (BRAKE) — aucun drone",
    ] {
        assert!(!h.get_by_label(b).accesskit_node().is_disabled(), "{b}");
        h.get_by_label(b).click();
    }
    h.run();
    assert!(station_commands(&h.state().2).is_empty());
}

pub fn no_tiles() -> Basemap {
    Basemap {
        tiles: MapTiles::None,
        attribution: String::new(),
        shipped: false,
        problem: None,
    }
}

struct FlyHarness {
    ctx: Context,
    fly: FlyState,
    basemap: Basemap,
    snap: StationSnapshot,
    sent: Vec<StationCommand>,
}

fn fly_harness(snap: StationSnapshot) -> (Harness<'static, FlyHarness>, tempfile::TempDir) {
    let (ctx, dir) = context(Lang::Fr);
    let fly = FlyState::new(&ctx.settings);
    let state = FlyHarness {
        ctx,
        fly,
        basemap: no_tiles(),
        snap,
        sent: vec![],
    };
    let h = Harness::builder()
        .with_context_setup(vigie::app::theme::install_fonts)
        .with_size(egui::vec2(1440.0, 1000.0))
        .build_ui_state(
            |ui, s: &mut FlyHarness| {
                let cmds = fly_ui(
                    ui,
                    &s.ctx,
                    &s.snap,
                    &mut s.basemap,
                    vigie::app::video::Cameras::default(),
                    &mut s.fly,
                );
                // What the app's controller does with them.
                for c in cmds {
                    match c {
                        UiCommand::Select(id) => s.fly.selected = Some(id),
                        UiCommand::Station(cmd) => s.sent.push(cmd),
                        _ => {}
                    }
                }
            },
            state,
        );
    (h, dir)
}

fn two_vehicles() -> StationSnapshot {
    let mut snap = StationSnapshot::default();
    for id in [1u8, 2] {
        let mut v = VehicleView::default();
        v.telemetry.sysid = id;
        snap.vehicles.insert(VehicleId(id), v);
    }
    snap
}

#[test]
fn picking_vehicle_2_names_it_on_every_button_and_its_commands_go_to_it() {
    let (mut h, _dir) = fly_harness(two_vehicles());
    h.run();
    h.get_by_label("RETOUR (RTL) — Drone 1");
    h.get_by_label("Drone 2 · désarmé").click();
    h.run();
    h.run();
    for b in [
        "ARMER — Drone 2",
        "RETOUR (RTL) — Drone 2",
        "ATTERRIR — Drone 2",
        "FREIN (BRAKE) — Drone 2",
        "GÉOBARRIÈRE — Drone 2",
    ] {
        h.get_by_label(b);
    }
    assert!(h.query_by_label("RETOUR (RTL) — Drone 1").is_none());
    h.get_by_label("RETOUR (RTL) — Drone 2").click();
    h.run();
    assert_eq!(
        h.state().sent,
        vec![StationCommand::vehicle(VehicleId(2), VehicleRequest::Rtl)]
    );
}

#[test]
fn an_action_on_several_vehicles_asks_for_confirmation_first() {
    let (mut h, _dir) = fly_harness(two_vehicles());
    h.run();
    h.get_by_label("RETOUR (RTL) — TOUS LES DRONES").click();
    h.run();
    assert!(h.state().sent.is_empty(), "nothing leaves before CONFIRM");
    h.get_by_label("? Retour au départ (RTL) de Drone 1, Drone 2 ?");
    h.get_by_label("CONFIRMER").click();
    h.run();
    assert_eq!(
        h.state().sent,
        vec![
            StationCommand::vehicle(VehicleId(1), VehicleRequest::Rtl),
            StationCommand::vehicle(VehicleId(2), VehicleRequest::Rtl),
        ]
    );
}

#[test]
fn go_here_from_the_map_asks_for_a_confirmation_naming_the_vehicle() {
    let (mut h, _dir) = fly_harness(two_vehicles());
    h.run();
    // A map click, as the map reports it.
    h.state_mut().fly.target = Some(LatLon::new(43.5160, 4.9900));
    h.run();
    h.get_by_label("ALLER ICI — Drone 1").click();
    h.run();
    assert!(h.state().sent.is_empty());
    h.get_by_label("? Drone 1 va à la cible, à 40 m au-dessus du départ ?");
    h.get_by_label("CONFIRMER").click();
    h.run();
    assert_eq!(
        h.state().sent,
        vec![StationCommand::vehicle(
            VehicleId(1),
            VehicleRequest::GoTo {
                target: LatLon::new(43.5160, 4.9900),
                alt_rel_m: 40.0
            }
        )]
    );
}

/// In flight, the video pane says the video is recorded with the flight, and "inside a home"
/// sends the flag for the selected vehicle with the pilot's id.
#[test]
fn the_video_pane_switches_to_thermal_says_it_records_and_sends_the_domicile_flag() {
    let mut snap = two_vehicles();
    snap.session.pilot_id = Some("PM-ISTRES-07".into());
    snap.vehicles.get_mut(&VehicleId(1)).unwrap().flight = vigie_station::FlightPhase::Recording {
        flight_id: "F-20261201T120000Z-drone-1".into(),
        since: Utc::now(),
    };
    let (ctx, _dir) = context(Lang::Fr);
    let pane = vigie::app::video::VideoPane::new(vigie::app::video::VideoFeed::from_slot(
        "drone-1",
        vigie_video::FrameSlot::default(),
    ));
    let thermal = vigie::app::video::VideoPane::new(vigie::app::video::VideoFeed::from_slot(
        "drone-1-thermal",
        vigie_video::FrameSlot::default(),
    ));
    let mut state = FlyState::new(&ctx.settings);
    let mut sent = vec![];
    let mut h = Harness::builder()
        .with_context_setup(vigie::app::theme::install_fonts)
        .with_size(egui::vec2(1440.0, 1000.0))
        .build_ui(|ui| {
            for c in fly_ui(
                ui,
                &ctx,
                &snap,
                &mut no_tiles(),
                vigie::app::video::Cameras {
                    visible: Some(&pane),
                    thermal: Some(&thermal),
                },
                &mut state,
            ) {
                if let UiCommand::Station(c) = c {
                    sent.push(c);
                }
            }
        });
    h.run();
    h.get_by_label("● ENREGISTRÉE avec le vol F-20261201T120000Z-drone-1");
    // The camera switch says which is on; THERMIQUE shows the thermal stream.
    h.get_by_label("▶ drone-1");
    h.get_by_label("THERMIQUE").click();
    h.run();
    h.get_by_label("▶ drone-1-thermal");
    h.get_by_label("DOMICILE FILMÉ : conserver 48 h").click();
    h.run();
    drop(h);
    assert_eq!(
        sent,
        vec![StationCommand::Session(
            vigie_station::SessionRequest::FlagDomicile {
                vehicle: VehicleId(1),
                by: "PM-ISTRES-07".into()
            }
        )]
    );
}

/// An incident the CSU posted is listed with its sender; one press makes it the target, and the
/// go-to still asks for the confirmation naming the vehicle (then the interlock judges it).
#[test]
fn an_incident_from_the_csu_becomes_a_confirmed_go_to_for_the_selected_vehicle() {
    let mut snap = two_vehicles();
    snap.incidents.push(vigie_station::IncidentView {
        id: "INC-20261201T120000Z-1".into(),
        at: Utc::now() - chrono::Duration::minutes(3),
        lat_deg: 43.5172,
        lon_deg: 4.9872,
        kind: "rixe".into(),
        note: "place du marché".into(),
        source: "voisins-vigilants".into(),
        airborne_after_s: None,
        on_scene_after_s: None,
    });
    let (mut h, _dir) = fly_harness(snap);
    h.run();
    h.get_by_label("rixe — voisins-vigilants, il y a 3 min");
    h.get_by_label("place du marché");
    h.get_by_label("ALLER À L'INCIDENT — Drone 1").click();
    h.run();
    assert!(
        h.state().sent.is_empty(),
        "nothing sent without confirmation"
    );
    h.get_by_label("ALLER ICI — Drone 1").click();
    h.run();
    h.get_by_label("CONFIRMER").click();
    h.run();
    assert_eq!(
        h.state().sent,
        vec![StationCommand::vehicle(
            VehicleId(1),
            VehicleRequest::GoTo {
                target: LatLon::new(43.5172, 4.9872),
                alt_rel_m: 40.0
            }
        )]
    );
}

#[test]
fn a_plan_leg_over_the_air_base_is_refused_with_the_zone_and_its_reason() {
    let (ctx, _dir) = context(Lang::Fr);
    let mut plan = PlanState::new(&ctx);
    plan.doc.planned_home = Some((ISTRES, 20.0));
    plan.doc.items = vec![
        PlanItem::nav(22, LatLon::new(0.0, 0.0), 40.0, 0.0),
        PlanItem::nav(16, LatLon::new(43.5160, 4.9880), 40.0, 0.0),
        // Onto runway threshold 33 of BA 125.
        PlanItem::nav(16, LatLon::new(43.507789, 4.934626), 40.0, 0.0),
    ];
    let decision = plan.validate(&ctx).clone();
    assert!(
        decision.blocks_on("ZONE-PROHIBITED"),
        "{:#?}",
        decision.findings
    );
    // The leg to item 3 is drawn red with the zone's reason.
    let overlay = route_overlay(&ctx, &plan, &decision);
    let (leg, short, why) = overlay
        .bad_legs
        .iter()
        .find(|(_, _, w)| w.contains("ZONE-PROHIBITED"))
        .expect("a red leg");
    assert_eq!(
        short, "ZONE-PROHIBITED LFMI-P-PLACEHOLDER",
        "drawn on the map beside the leg"
    );
    assert_eq!(
        *leg, 1,
        "the second route point (item 3) is reached by the bad leg"
    );
    assert!(
        why.contains("LFMI-P-PLACEHOLDER") && why.contains("INTERDITE"),
        "{why}"
    );
    let mut h = Harness::builder()
        .with_context_setup(vigie::app::theme::install_fonts)
        .with_size(egui::vec2(600.0, 1400.0))
        .build_ui_state(
            move |ui, (ctx, plan): &mut (Context, PlanState)| {
                let d = plan.validate(ctx).clone();
                let _ = plan_tools_ui(ui, ctx, &StationSnapshot::default(), plan, &d, None);
            },
            (ctx, plan),
        );
    h.run();
    h.get_by_label("✖ PLAN REFUSÉ");
    let labels: Vec<String> = h
        .query_all_by_label_contains("ZONE-PROHIBITED")
        // A label's text is its accesskit value.
        .filter_map(|n| n.accesskit_node().value().or(n.accesskit_node().label()))
        .collect();
    let reason = labels
        .iter()
        .find(|l| l.starts_with("✖ ZONE-PROHIBITED — Le tronçon vers le point"))
        .unwrap_or_else(|| panic!("the refused leg's reason, in French, in the list: {labels:#?}"));
    assert!(reason.contains("LFMI-P-PLACEHOLDER"), "{reason}");
    assert!(
        h.state().0.tr.missing().is_empty(),
        "{:?}",
        h.state().0.tr.missing()
    );
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
        .args(["-a", "-s", "-screen 0 1440x900x24", "sh", "-c", &script])
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

type LoginState = (
    Context,
    vigie::app::session::SessionState,
    StationSnapshot,
    Vec<StationCommand>,
);

fn login_harness(snap: StationSnapshot) -> (Harness<'static, LoginState>, tempfile::TempDir) {
    let (ctx, dir) = context(Lang::Fr);
    let h = Harness::builder()
        .with_context_setup(vigie::app::theme::install_fonts)
        .with_size(egui::vec2(900.0, 700.0))
        .build_ui_state(
            |ui, (ctx, st, snap, sent): &mut LoginState| {
                for c in vigie::app::session::login_ui(ui, ctx, snap, st) {
                    if let UiCommand::Station(s) = c {
                        sent.push(s);
                    }
                }
            },
            (
                ctx,
                vigie::app::session::SessionState::default(),
                snap,
                vec![],
            ),
        );
    (h, dir)
}

#[test]
fn login_sends_the_pin_once_and_forgets_it_and_a_refusal_is_shown_with_the_lockout() {
    let (mut h, _dir) = login_harness(StationSnapshot::default());
    h.run();
    assert!(
        h.get_by_label("SE CONNECTER")
            .accesskit_node()
            .is_disabled(),
        "nothing typed yet"
    );
    h.get_by_label("Identifiant").click();
    h.run();
    h.get_by_label("Identifiant").type_text("PM-ISTRES-07");
    h.run();
    h.get_by_label("Code (PIN)").click();
    h.run();
    h.get_by_label("Code (PIN)").type_text("0000");
    h.run();
    h.get_by_label("SE CONNECTER").click();
    h.run();
    let sent = &h.state().3;
    assert_eq!(sent.len(), 1, "{sent:?}");
    match &sent[0] {
        StationCommand::Session(vigie_station::SessionRequest::Login { pilot_id, pin }) => {
            assert_eq!(pilot_id, "PM-ISTRES-07");
            assert_eq!(pin.0, "0000");
        }
        other => panic!("{other:?}"),
    }
    assert!(h.state().1.pin.is_empty(), "the PIN is not kept once sent");

    // The station refused it (wrong PIN, too many times): the screen says so, and locks.
    let mut snap = StationSnapshot::default();
    snap.session.lockout_until = Some(Utc::now() + chrono::Duration::minutes(15));
    snap.events.push_back(vigie_station::StationEvent::new(
        Utc::now(),
        vigie_station::EventLevel::Warning,
        None,
        vigie_station::EventKind::LoginRefused {
            pilot_id: "PM-ISTRES-07".into(),
            reason: "wrong PIN".into(),
        },
    ));
    let (mut h, _dir) = login_harness(snap);
    h.run();
    h.get_by_label("✖ connexion du pilote PM-ISTRES-07 refusée : wrong PIN");
    assert!(
        h.query_all_by_label_contains("compte bloqué jusqu'au")
            .count()
            >= 1
    );
    assert!(
        h.get_by_label("SE CONNECTER")
            .accesskit_node()
            .is_disabled(),
        "locked out"
    );
}

type InstructorState = (vigie::app::i18n::Tr, vigie::app::instructor::Instructor);

/// The instructor's console against the real simulator's control socket: a click injects the
/// fault into the vehicle the trainee flies, and the simulator's answer is shown.
#[test]
fn the_instructor_console_injects_a_gps_loss_into_the_real_simulator() {
    let free = |_: ()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (udp, control) = (free(()), free(()));
    let sim = std::path::PathBuf::from(env!("CARGO_BIN_EXE_vigie")).with_file_name("vigie-sim");
    let mut child = std::process::Command::new(&sim)
        .args(["--scenario", "istres-calm", "--no-video", "--udp"])
        .arg(format!("127.0.0.1:{udp}"))
        .arg("--control")
        .arg(format!("127.0.0.1:{control}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (cargo build -p vigie_sim)", sim.display()));
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], control));
    let ask = |line: &str| vigie::app::instructor::ask(addr, line);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while ask("status").is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the simulator's control socket never opened"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ask("status").unwrap().contains("gps=3D"));

    let mut h = Harness::builder()
        .with_context_setup(vigie::app::theme::install_fonts)
        .with_size(egui::vec2(900.0, 700.0))
        .build_ui_state(
            |ui, (tr, st): &mut InstructorState| {
                vigie::app::instructor::window(ui.ctx(), tr, st);
            },
            (
                vigie::app::i18n::load(Lang::Fr),
                vigie::app::instructor::Instructor::new(addr),
            ),
        );
    h.run();
    h.get_by_label("Perte GPS").click();
    h.run();
    while h.state().1.last.is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no answer from the simulator"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.run();
    }
    let (line, answer) = h.state().1.last.clone().unwrap();
    assert_eq!(line, "gps loss");
    assert!(answer.starts_with("ok"), "{answer}");
    assert!(ask("status").unwrap().contains("gps=lost"));
    let _ = child.kill();
    let _ = child.wait();
}

/// The airspace beside the instruments: a helicopter heard by the ground SBS-1 feed is named,
/// and an unsigned link says so in words (not by colour alone).
#[test]
fn manned_traffic_is_named_and_an_unsigned_link_says_so() {
    let mut snap = two_vehicles();
    snap.vehicles.remove(&VehicleId(2));
    let mut heli = flight_rules::Traffic::new(flight_rules::IcaoAddress(0x39_8C_A1), Utc::now());
    heli.callsign = Some("SAMU13".into());
    heli.position = Some(ISTRES);
    heli.alt_m = Some(150.0 * 0.3048);
    snap.session.traffic.push(heli);
    let (mut h, _dir) = fly_harness(snap);
    h.state_mut().fly.selected = Some(VehicleId(1));
    h.run();
    h.get_by_label("SAMU13");
    assert!(
        h.query_by_label_contains("liaison NON signée").is_some(),
        "the link's signing is shown in words"
    );
}

/// A 1080p stream in the fly view's pane is taken at half size (a quarter of the texture and of
/// the copy made every frame: the app's memory goal), at full size in full screen. Real sender,
/// real ingest.
#[test]
fn a_1080p_stream_is_half_size_in_the_pane_and_full_size_in_full_screen() {
    vigie_video::init().unwrap();
    let port = crate::recovery::free_udp();
    let _sender = vigie_video::testsrc::TestSender::start(
        &vigie_video::testsrc::SenderConfig::new(1920, 1080, 30),
        format!("127.0.0.1:{port}").parse().unwrap(),
    )
    .unwrap();
    let ingest = vigie_video::Ingest::start(
        vigie_video::IngestConfig::new(
            "pane",
            vigie_video::SourceUri::parse(&format!("rtp://127.0.0.1:{port}")).unwrap(),
        ),
        vigie_video::Events::log_only(),
    )
    .unwrap();
    let frames = ingest.frames();
    let mut pane = vigie::app::video::VideoPane::new(vigie::app::video::VideoFeed::from_slot(
        "drone-1",
        frames.clone(),
    ));
    let ctx = egui::Context::default();
    let next = |pane: &mut vigie::app::video::VideoPane, full: bool| {
        let seen = frames.latest().map(|f| f.seq);
        frames
            .wait_newer(seen, std::time::Duration::from_secs(20))
            .expect("a 1080p frame");
        pane.update_at(&ctx, full);
        pane.texture_size()
    };
    assert_eq!(next(&mut pane, false), Some([960, 540]));
    assert_eq!(next(&mut pane, true), Some([1920, 1080]));
    ingest.stop();
}
