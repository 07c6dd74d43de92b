//! The fly view: vehicles, go/no-go with the rules' reasons, the flight buttons (the selected
//! vehicle named on each), instruments and the wind gauge, the video pane, and the map.
//!
//! ARM and TAKE-OFF are greyed when the pre-flight verdict denies, with the reason beside them;
//! RTL, LAND and BRAKE are never greyed. "Go here" and "orbit here" come from a map click and
//! ask for a confirmation naming the vehicle; so does any action on several vehicles.

use chrono::Utc;
use egui::{Align2, Color32, FontId, RichText, Stroke, Vec2};
use flight_rules::{LatLon, Severity, Verdict, WindSource};
use vigie_station::{
    FlightPhase, StationCommand, StationSnapshot, VehicleId, VehicleRequest, VehicleView,
};

use super::events::vehicle_name;
use super::i18n::Tr;
use super::map::{MapEvent, MapScene, MapState, map_ui};
use super::settings::Settings;
use super::theme::{Palette, TARGET_PX};
use super::tiles::Basemap;
use super::{Context, UiCommand};

/// What waits for the pilot's "confirm".
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// The sentence asked ("Drone 1 flies to … at 40 m?").
    pub question: String,
    pub commands: Vec<StationCommand>,
}

/// The fly view's own state.
pub struct FlyState {
    /// The vehicle the buttons command (the first one heard until the pilot picks another).
    pub selected: Option<VehicleId>,
    pub map: MapState,
    /// Where the pilot clicked on the map (go here / orbit here).
    pub target: Option<LatLon>,
    pub confirm: Option<Confirm>,
    pub target_alt_m: f64,
    pub takeoff_alt_m: f64,
    pub orbit_radius_m: f64,
    pub video_full: bool,
    /// Show the thermal camera instead of the visible one.
    pub thermal: bool,
    /// A message for the pilot (e.g. the station's queue was full).
    pub notice: Option<String>,
}

impl FlyState {
    pub fn new(settings: &Settings) -> Self {
        FlyState {
            selected: None,
            map: MapState::new(settings.follow_vehicle),
            target: None,
            confirm: None,
            target_alt_m: settings.takeoff_alt_m,
            takeoff_alt_m: settings.takeoff_alt_m,
            orbit_radius_m: settings.orbit_radius_m,
            video_full: false,
            thermal: false,
            notice: None,
        }
    }
}

/// The button every command leaves through, sized for gloves.
fn big_button(text: String, colour: Option<Color32>) -> egui::Button<'static> {
    let mut t = RichText::new(text).size(20.0).strong();
    if let Some(c) = colour {
        t = t.color(c);
    }
    egui::Button::new(t).min_size(Vec2::new(200.0, TARGET_PX + 4.0))
}

fn verdict_word(tr: &Tr, p: &Palette, v: Option<Verdict>) -> (String, Color32, &'static str) {
    match v {
        Some(Verdict::Allow) => (tr.t("go"), p.go, "✔"),
        Some(Verdict::Warn) => (tr.t("go-with-warnings"), p.warn, "⚠"),
        Some(Verdict::Deny) | None => (tr.t("no-go"), p.deny, "✖"),
    }
}

/// The first blocking reason of the pre-flight verdict, in words.
pub fn blocking_reason(tr: &Tr, v: Option<&VehicleView>) -> Option<String> {
    let Some(v) = v else {
        return Some(tr.t("no-vehicle"));
    };
    let Some(d) = &v.preflight else {
        return Some(tr.t("no-verdict-yet"));
    };
    d.blocking().next().map(|f| tr.finding(f))
}

/// Go/no-go and the flight buttons for the selected vehicle. Pure: returns the commands.
pub fn controls_ui(
    ui: &mut egui::Ui,
    tr: &Tr,
    p: &Palette,
    vehicle: Option<(VehicleId, &VehicleView)>,
    state: &mut FlyState,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let view = vehicle.map(|v| v.1);
    let preflight = view.and_then(|v| v.preflight.as_ref());
    let (word, colour, shape) = verdict_word(tr, p, preflight.map(|d| d.verdict));
    egui::Frame::new()
        .fill(colour)
        .inner_margin(egui::Margin::symmetric(12, 6))
        .corner_radius(6)
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!("{shape} {word}"))
                    .size(30.0)
                    .strong()
                    .color(p.text_on_state),
            );
        });
    if let Some(d) = preflight {
        egui::ScrollArea::vertical()
            .id_salt("preflight")
            .max_height(200.0)
            .show(ui, |ui| {
                for f in &d.findings {
                    let (c, mark) = match f.severity {
                        Severity::Blocking => (p.deny, "✖"),
                        Severity::Warning => (p.warn, "⚠"),
                        Severity::Info => (p.text, "ℹ"),
                    };
                    ui.label(RichText::new(format!("{mark} {}", tr.finding(f))).color(c));
                }
            });
    }
    let name = vehicle.map(|(id, _)| vehicle_name(tr, id));
    let named = |key: &str| match &name {
        Some(n) => tr.ta(key, &[("vehicle", n.as_str().into())]),
        None => tr.ta(key, &[("vehicle", tr.t("no-vehicle-short").into())]),
    };
    let send = |out: &mut Vec<UiCommand>, r: VehicleRequest| {
        if let Some((id, _)) = vehicle {
            out.push(UiCommand::Station(StationCommand::vehicle(id, r)));
        }
    };
    let denied = preflight.is_none_or(|d| d.verdict == Verdict::Deny);
    let armed = view.is_some_and(|v| v.telemetry.armed);
    let reason = if denied {
        blocking_reason(tr, view)
    } else {
        None
    };
    ui.add_space(6.0);
    // ARM, greyed with its reason.
    ui.horizontal_wrapped(|ui| {
        let can = vehicle.is_some() && !denied && !armed;
        if ui
            .add_enabled(can, big_button(named("btn-arm"), None))
            .clicked()
        {
            send(&mut out, VehicleRequest::ArmInGuided);
        }
        if let Some(r) = &reason {
            ui.label(RichText::new(format!("✖ {r}")).color(p.deny).strong());
        } else if armed {
            ui.label(tr.t("already-armed"));
        }
    });
    ui.horizontal_wrapped(|ui| {
        let can = vehicle.is_some() && !denied;
        if ui
            .add_enabled(
                can,
                big_button(
                    tr.ta(
                        "btn-takeoff",
                        &[
                            (
                                "vehicle",
                                name.clone()
                                    .unwrap_or_else(|| tr.t("no-vehicle-short"))
                                    .into(),
                            ),
                            ("alt", tr.num(state.takeoff_alt_m, 0).into()),
                        ],
                    ),
                    None,
                ),
            )
            .clicked()
        {
            send(
                &mut out,
                if armed {
                    VehicleRequest::Takeoff {
                        alt_rel_m: state.takeoff_alt_m,
                    }
                } else {
                    VehicleRequest::ArmAndTakeoff {
                        alt_rel_m: state.takeoff_alt_m,
                    }
                },
            );
        }
        if let Some(r) = &reason {
            ui.label(RichText::new(format!("✖ {r}")).color(p.deny).strong());
        }
        ui.add(
            egui::DragValue::new(&mut state.takeoff_alt_m)
                .range(2.0..=120.0)
                .suffix(" m"),
        );
    });
    ui.add_space(6.0);
    // Safety: never greyed (with no vehicle they have nothing to command).
    ui.horizontal_wrapped(|ui| {
        if ui.add(big_button(named("btn-rtl"), Some(p.deny))).clicked() {
            send(&mut out, VehicleRequest::Rtl);
        }
        if ui
            .add(big_button(named("btn-land"), Some(p.deny)))
            .clicked()
        {
            send(&mut out, VehicleRequest::Land);
        }
        if ui
            .add(big_button(named("btn-brake"), Some(p.deny)))
            .clicked()
        {
            send(&mut out, VehicleRequest::Brake);
        }
    });
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(vehicle.is_some(), big_button(named("btn-fence"), None))
            .on_hover_text(tr.t("btn-fence-hint"))
            .clicked()
        {
            send(&mut out, VehicleRequest::UploadFence);
        }
        let has_mission = view.is_some_and(|v| v.mission.mission.is_some());
        if ui
            .add_enabled(
                vehicle.is_some() && has_mission,
                big_button(named("btn-start-mission"), None),
            )
            .clicked()
        {
            send(&mut out, VehicleRequest::StartMission);
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.add(
            egui::DragValue::new(&mut state.target_alt_m)
                .range(2.0..=120.0)
                .suffix(" m"),
        );
        if ui
            .add_enabled(
                vehicle.is_some() && armed,
                big_button(named("btn-altitude"), None),
            )
            .clicked()
        {
            send(
                &mut out,
                VehicleRequest::ChangeAltitude {
                    alt_rel_m: state.target_alt_m,
                },
            );
        }
    });
    if let Some(m) = view
        .and_then(|v| v.monitor.as_ref())
        .filter(|m| !m.findings.is_empty())
    {
        ui.separator();
        ui.label(RichText::new(tr.t("in-flight")).strong());
        for f in &m.findings {
            let (c, mark) = match f.severity {
                Severity::Blocking => (p.deny, "✖"),
                Severity::Warning => (p.warn, "⚠"),
                Severity::Info => (p.text, "ℹ"),
            };
            ui.label(RichText::new(format!("{mark} {}", tr.finding(f))).color(c));
        }
    }
    out
}

/// Whether the video is being recorded with a flight (a word and a dot, not a colour alone),
/// and the pilot's "inside a home" flag for the segment being recorded.
fn recording_ui(
    ui: &mut egui::Ui,
    tr: &Tr,
    p: &Palette,
    snap: &StationSnapshot,
    vehicle: Option<(VehicleId, &VehicleView)>,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let Some((id, v)) = vehicle else {
        return out;
    };
    match &v.flight {
        vigie_station::FlightPhase::Recording { flight_id, .. } => {
            ui.label(
                RichText::new(tr.ta("video-recording", &[("flight", flight_id.as_str().into())]))
                    .strong()
                    .color(p.deny),
            );
            let by = snap.session.pilot_id.clone().unwrap_or_default();
            let b = egui::Button::new(tr.t("btn-domicile"))
                .min_size(Vec2::new(ui.available_width(), TARGET_PX));
            if ui.add(b).on_hover_text(tr.t("btn-domicile-hint")).clicked() {
                out.push(UiCommand::Station(vigie_station::StationCommand::Session(
                    vigie_station::SessionRequest::FlagDomicile { vehicle: id, by },
                )));
            }
        }
        _ => {
            ui.label(RichText::new(tr.t("video-not-recording")).color(p.text));
        }
    }
    out
}

/// The incidents the CSU posted, newest first: one press makes the incident the target, then
/// "go here" asks for the same confirmation and passes the same interlock as a map click.
pub fn incidents_ui(
    ui: &mut egui::Ui,
    tr: &Tr,
    snap: &StationSnapshot,
    vehicle: Option<(VehicleId, &VehicleView)>,
    state: &mut FlyState,
) {
    if snap.incidents.is_empty() {
        return;
    }
    ui.label(RichText::new(tr.t("fly-incidents")).strong());
    let now = chrono::Utc::now();
    let name = vehicle
        .map(|(id, _)| vehicle_name(tr, id))
        .unwrap_or_default();
    for i in snap.incidents.iter().rev().take(5) {
        let age = ((now - i.at).num_seconds().max(0) as f64) / 60.0;
        ui.label(tr.ta(
            "fly-incident-line",
            &[
                ("kind", i.kind.as_str().into()),
                ("source", i.source.as_str().into()),
                ("age", tr.num(age, 0).into()),
            ],
        ));
        if !i.note.is_empty() {
            ui.label(RichText::new(&i.note).italics());
        }
        let b = egui::Button::new(tr.ta("btn-go-incident", &[("vehicle", name.as_str().into())]))
            .min_size(Vec2::new(ui.available_width(), TARGET_PX));
        if ui.add_enabled(vehicle.is_some(), b).clicked() {
            state.target = Some(LatLon::new(i.lat_deg, i.lon_deg));
            state.confirm = None;
        }
    }
}

/// "Go here" / "orbit here" for the clicked target, through a confirmation.
pub fn target_ui(
    ui: &mut egui::Ui,
    tr: &Tr,
    vehicle: Option<(VehicleId, &VehicleView)>,
    state: &mut FlyState,
) {
    let Some(t) = state.target else {
        ui.label(tr.t("target-hint"));
        return;
    };
    ui.label(tr.ta(
        "target-at",
        &[(
            "at",
            format!("{}, {}", tr.num(t.lat_deg, 5), tr.num(t.lon_deg, 5)).into(),
        )],
    ));
    let Some((id, _)) = vehicle else { return };
    let name = vehicle_name(tr, id);
    ui.horizontal_wrapped(|ui| {
        if ui
            .add(big_button(
                tr.ta("btn-go-here", &[("vehicle", name.as_str().into())]),
                None,
            ))
            .clicked()
        {
            state.confirm = Some(Confirm {
                question: tr.ta(
                    "confirm-go-here",
                    &[
                        ("vehicle", name.as_str().into()),
                        ("alt", tr.num(state.target_alt_m, 0).into()),
                    ],
                ),
                commands: vec![StationCommand::vehicle(
                    id,
                    VehicleRequest::GoTo {
                        target: t,
                        alt_rel_m: state.target_alt_m,
                    },
                )],
            });
        }
        if ui
            .add(big_button(
                tr.ta("btn-orbit-here", &[("vehicle", name.as_str().into())]),
                None,
            ))
            .clicked()
        {
            state.confirm = Some(Confirm {
                question: tr.ta(
                    "confirm-orbit",
                    &[
                        ("vehicle", name.as_str().into()),
                        ("radius", tr.num(state.orbit_radius_m, 0).into()),
                        ("alt", tr.num(state.target_alt_m, 0).into()),
                    ],
                ),
                commands: vec![StationCommand::vehicle(
                    id,
                    VehicleRequest::Orbit {
                        center: t,
                        radius_m: state.orbit_radius_m,
                        alt_rel_m: state.target_alt_m,
                    },
                )],
            });
        }
        if ui
            .add(egui::Button::new(tr.t("btn-clear-target")).min_size(Vec2::new(0.0, TARGET_PX)))
            .clicked()
        {
            state.target = None;
        }
    });
}

/// The pending confirmation: its question, CONFIRM and CANCEL.
pub fn confirm_ui(ui: &mut egui::Ui, tr: &Tr, p: &Palette, state: &mut FlyState) -> Vec<UiCommand> {
    let mut out = vec![];
    let Some(c) = state.confirm.clone() else {
        return out;
    };
    egui::Frame::new()
        .stroke(Stroke::new(3.0, p.warn))
        .inner_margin(10)
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!("? {}", c.question))
                    .strong()
                    .size(19.0),
            );
            ui.horizontal(|ui| {
                if ui
                    .add(big_button(tr.t("btn-confirm"), Some(p.go)))
                    .clicked()
                {
                    out.extend(c.commands.iter().cloned().map(UiCommand::Station));
                    state.confirm = None;
                    state.target = None;
                }
                if ui.add(big_button(tr.t("btn-cancel"), None)).clicked() {
                    state.confirm = None;
                }
            });
        });
    out
}

/// Every vehicle heard: pick the one the buttons command; act on all with a confirmation.
pub fn vehicles_ui(
    ui: &mut egui::Ui,
    tr: &Tr,
    p: &Palette,
    snap: &StationSnapshot,
    state: &mut FlyState,
) -> Vec<UiCommand> {
    let mut out = vec![];
    ui.horizontal_wrapped(|ui| {
        for (id, v) in &snap.vehicles {
            let on = state.selected == Some(*id);
            let status = if v.telemetry.lost {
                tr.t("link-lost")
            } else if v.telemetry.armed {
                tr.t("armed")
            } else {
                tr.t("disarmed")
            };
            let text = format!("{} · {status}", vehicle_name(tr, *id));
            let b = egui::Button::new(RichText::new(text).size(18.0))
                .selected(on)
                .min_size(Vec2::new(0.0, TARGET_PX));
            if ui.add(b).clicked() {
                out.push(UiCommand::Select(*id));
            }
        }
    });
    if snap.vehicles.len() > 1 {
        let ids: Vec<VehicleId> = snap.vehicles.keys().copied().collect();
        let names = ids
            .iter()
            .map(|i| vehicle_name(tr, *i))
            .collect::<Vec<_>>()
            .join(", ");
        if ui
            .add(big_button(tr.t("btn-rtl-all"), Some(p.deny)))
            .clicked()
        {
            state.confirm = Some(Confirm {
                question: tr.ta("confirm-rtl-all", &[("vehicles", names.into())]),
                commands: ids
                    .iter()
                    .map(|i| StationCommand::vehicle(*i, VehicleRequest::Rtl))
                    .collect(),
            });
        }
    }
    out
}

/// Distance between two positions, metres.
fn distance_m(a: LatLon, b: LatLon) -> f64 {
    a.distance_m(&b)
}

fn row(ui: &mut egui::Ui, label: String, value: String) {
    ui.label(RichText::new(label).size(15.0));
    ui.add(egui::Label::new(RichText::new(value).size(19.0).strong()).wrap());
    ui.end_row();
}

/// The instruments of the selected vehicle.
pub fn instruments_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    vehicle: Option<(VehicleId, &VehicleView)>,
) {
    let tr = &ctx.tr;
    let p = &ctx.palette;
    let Some((_, v)) = vehicle else {
        ui.label(tr.t("no-vehicle"));
        return;
    };
    let t = &v.telemetry;
    let dash = || "—".to_string();
    egui::Grid::new("instruments")
        .num_columns(2)
        .spacing([10.0, 2.0])
        .min_col_width(90.0)
        .max_col_width(220.0)
        .show(ui, |ui| {
            row(
                ui,
                tr.t("inst-mode"),
                format!(
                    "{} · {}",
                    t.mode,
                    if t.armed {
                        format!("▲ {}", tr.t("armed"))
                    } else {
                        format!("▽ {}", tr.t("disarmed"))
                    }
                ),
            );
            row(
                ui,
                tr.t("inst-height"),
                t.position
                    .map_or_else(dash, |q| format!("{} m", tr.num(q.alt_rel_m, 1))),
            );
            row(
                ui,
                tr.t("inst-amsl"),
                t.position
                    .map_or_else(dash, |q| format!("{} m", tr.num(q.alt_amsl_m, 0))),
            );
            row(
                ui,
                tr.t("inst-speed"),
                t.ground_speed_mps.map_or_else(dash, |s| {
                    format!("{} km/h ({} m/s)", tr.num(s * 3.6, 0), tr.num(s, 1))
                }),
            );
            row(
                ui,
                tr.t("inst-heading"),
                t.heading_deg
                    .map_or_else(dash, |h| format!("{:03.0}°", h.rem_euclid(360.0))),
            );
            let airframe = "";
            row(
                ui,
                tr.t("inst-battery"),
                t.battery.map_or_else(dash, |b| {
                    let pct = b.remaining_pct;
                    let left = pct.map(|pct| battery_minutes_left(ctx, snap, airframe, pct));
                    format!(
                        "{} V · {} · {}",
                        tr.num(b.voltage_v, 1),
                        pct.map_or_else(dash, |x| format!("{} %", tr.num(x, 0))),
                        left.map_or_else(dash, |m| tr
                            .ta("inst-minutes-left", &[("min", tr.num(m, 0).into())]))
                    )
                }),
            );
            row(
                ui,
                tr.t("inst-gps"),
                t.gps.map_or_else(dash, |g| {
                    format!(
                        "{:?} · {} sat{}",
                        g.fix,
                        g.satellites.unwrap_or(0),
                        g.hdop
                            .map(|h| format!(" · HDOP {}", tr.num(h, 1)))
                            .unwrap_or_default()
                    )
                }),
            );
            let age = t
                .last_heartbeat_at
                .and_then(|h| h.elapsed().ok())
                .map(|d| d.as_secs_f64());
            row(
                ui,
                tr.t("inst-link"),
                if t.lost {
                    format!("✖ {}", tr.t("link-lost"))
                } else {
                    age.map_or_else(dash, |a| {
                        tr.ta("inst-link-ok", &[("age", tr.num(a, 1).into())])
                    })
                },
            );
            // MAVLink signing: a pilot must see at a glance whether anyone on the network could
            // speak for this drone.
            row(
                ui,
                tr.t("inst-signing"),
                if t.link.signed {
                    format!("🔒 {}", tr.t("inst-signed"))
                } else if t.link.keyed {
                    format!("⚠ {}", tr.t("inst-keyed-unsigned"))
                } else {
                    format!("⚠ {}", tr.t("inst-unsigned"))
                },
            );
            row(
                ui,
                tr.t("inst-remote-id"),
                match &t.remote_id.arm_status {
                    _ if t.remote_id.is_empty() => tr.t("inst-remote-id-none"),
                    Some(a) if a.ready => format!("✔ {}", tr.t("inst-remote-id-ready")),
                    Some(a) => format!("✖ {}", a.error.trim()),
                    None => tr.t("inst-remote-id-heard"),
                },
            );
            for x in snap
                .session
                .traffic
                .iter()
                .chain(t.traffic.iter())
                .filter(|x| x.position.is_some())
                .take(3)
            {
                row(
                    ui,
                    tr.t("inst-traffic"),
                    x.callsign
                        .clone()
                        .filter(|c| !c.trim().is_empty())
                        .unwrap_or_else(|| x.icao.to_string()),
                );
            }
            for (link, up) in links_state(snap) {
                row(
                    ui,
                    format!("  {link}"),
                    if up {
                        format!("✔ {}", tr.t("link-up"))
                    } else {
                        format!("✖ {}", tr.t("link-down"))
                    },
                );
            }
            let since = match &v.flight {
                FlightPhase::Opening { since }
                | FlightPhase::Recording { since, .. }
                | FlightPhase::Unrecorded { since } => Some(*since),
                FlightPhase::Idle => None,
            };
            row(
                ui,
                tr.t("inst-flight-time"),
                since.map_or_else(dash, |s| {
                    let secs = (Utc::now() - s).num_seconds().max(0);
                    format!("{}:{:02}", secs / 60, secs % 60)
                }),
            );
            row(
                ui,
                tr.t("inst-home-distance"),
                match (t.position, t.home) {
                    (Some(a), Some(h)) => format!(
                        "{} m",
                        tr.num(
                            distance_m(
                                LatLon::new(a.lat_deg, a.lon_deg),
                                LatLon::new(h.lat_deg, h.lon_deg)
                            ),
                            0
                        )
                    ),
                    _ => dash(),
                },
            );
            row(
                ui,
                tr.t("inst-fence"),
                if v.fence.loaded && v.fence.enabled {
                    format!("✔ {}", tr.t("fence-active"))
                } else if v.fence.loaded {
                    format!("⚠ {}", tr.t("fence-loaded-off"))
                } else {
                    format!("✖ {}", tr.t("fence-not-loaded"))
                },
            );
            if t.fence.is_some_and(|f| f.breached) {
                ui.label(
                    RichText::new(format!("✖ {}", tr.t("fence-breach")))
                        .color(p.deny)
                        .strong(),
                );
                ui.end_row();
            }
        });
}

/// Minutes of battery left: endurance × (charge − reserve), shortened by the wind (flying home
/// against it at cruise speed).
pub fn battery_minutes_left(
    ctx: &Context,
    snap: &StationSnapshot,
    airframe: &str,
    pct: f64,
) -> f64 {
    let l = &ctx.rules.limits;
    let usable = (pct - l.vehicle.reserve_battery_pct).max(0.0) / 100.0;
    let wind = snap
        .session
        .ground_wind
        .iter()
        .map(|w| w.peak_mps())
        .fold(0.0, f64::max);
    let cruise = l.cruise_mps(airframe).max(1.0);
    let factor = ((cruise - wind) / cruise).clamp(0.2, 1.0);
    l.endurance_min(airframe) * usable * factor
}

/// Which links are up, from the station's link events (latest state of each).
fn links_state(snap: &StationSnapshot) -> Vec<(String, bool)> {
    let mut m = std::collections::BTreeMap::new();
    for e in &snap.events {
        match &e.kind {
            vigie_station::EventKind::LinkUp { link, .. } => {
                m.insert(link.clone(), true);
            }
            vigie_station::EventKind::LinkDown { link, .. } => {
                m.insert(link.clone(), false);
            }
            _ => {}
        }
    }
    m.into_iter().collect()
}

/// The wind gauge: 0–80 km/h, the take-off limit marked, the gate's value, each source's age.
pub fn wind_gauge_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    vehicle: Option<&VehicleView>,
) {
    let tr = &ctx.tr;
    let p = &ctx.palette;
    let gate = vehicle.and_then(|v| v.wind_gate.as_ref());
    let limit_kmh = gate.map_or(ctx.rules.limits.wind.takeoff_limit_kmh, |g| {
        g.limit_mps * 3.6
    });
    let value_kmh = gate.and_then(|g| g.gate_mps).map(|g| g * 3.6).or_else(|| {
        snap.session
            .ground_wind
            .iter()
            .map(|w| w.peak_mps() * 3.6)
            .reduce(f64::max)
    });
    let max_kmh = 80.0_f64.max(value_kmh.unwrap_or(0.0) * 1.1);
    let (rect, _) = ui.allocate_exact_size(Vec2::new(260.0, 140.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let c = rect.center_bottom() + Vec2::new(0.0, -16.0);
    let r = 100.0_f32;
    let angle = |kmh: f64| std::f32::consts::PI * (1.0 - (kmh / max_kmh).clamp(0.0, 1.0) as f32);
    let pt = |a: f32, rr: f32| c + Vec2::new(a.cos() * rr, -a.sin() * rr);
    let arc = |from: f64, to: f64, colour: Color32| {
        let n = 24;
        let pts: Vec<egui::Pos2> = (0..=n)
            .map(|i| {
                let k = from + (to - from) * f64::from(i) / f64::from(n);
                pt(angle(k), r)
            })
            .collect();
        painter.add(egui::Shape::line(pts, Stroke::new(14.0, colour)));
    };
    let warn_kmh = limit_kmh * ctx.rules.limits.wind.warn_fraction;
    arc(0.0, warn_kmh, p.go);
    arc(warn_kmh, limit_kmh, p.warn);
    arc(limit_kmh, max_kmh, p.deny);
    // The limit: a black tick and its number.
    painter.line_segment(
        [
            pt(angle(limit_kmh), r - 14.0),
            pt(angle(limit_kmh), r + 14.0),
        ],
        Stroke::new(4.0, p.text),
    );
    painter.text(
        pt(angle(limit_kmh), r + 16.0),
        Align2::CENTER_BOTTOM,
        format!("{} km/h", tr.num(limit_kmh, 0)),
        FontId::proportional(14.0),
        p.text,
    );
    if let Some(v) = value_kmh {
        painter.line_segment([c, pt(angle(v), r - 4.0)], Stroke::new(5.0, p.text));
        painter.circle_filled(c, 7.0, p.text);
    }
    let status = match value_kmh {
        None => format!("✖ {}", tr.t("wind-no-reading")),
        Some(v) if v >= limit_kmh => format!("✖ {} km/h", tr.num(v, 0)),
        Some(v) if v >= warn_kmh => format!("⚠ {} km/h", tr.num(v, 0)),
        Some(v) => format!("✔ {} km/h", tr.num(v, 0)),
    };
    painter.text(
        c + Vec2::new(0.0, -36.0),
        Align2::CENTER_BOTTOM,
        status,
        FontId::proportional(22.0),
        p.text,
    );
    let now = Utc::now();
    for w in &snap.session.ground_wind {
        let age = (now - w.observed_at).num_seconds().max(0);
        ui.label(tr.ta(
            "wind-source-line",
            &[
                ("source", tr.t(source_key(w.source)).into()),
                ("wind", tr.num(w.peak_mps() * 3.6, 0).into()),
                ("age", age.into()),
            ],
        ));
    }
    if let Some(w) = vehicle.and_then(|v| v.telemetry.wind) {
        let age = w.received_at.elapsed().map_or(0, |d| d.as_secs());
        ui.label(tr.ta(
            "wind-source-line",
            &[
                ("source", tr.t(source_key(WindSource::Vehicle)).into()),
                ("wind", tr.num(w.speed_mps * 3.6, 0).into()),
                ("age", i64::try_from(age).unwrap_or(i64::MAX).into()),
            ],
        ));
    }
    if snap.session.ground_wind.is_empty() && vehicle.and_then(|v| v.telemetry.wind).is_none() {
        ui.label(RichText::new(format!("✖ {}", tr.t("wind-no-source"))).color(p.deny));
    }
}

fn source_key(s: WindSource) -> &'static str {
    match s {
        WindSource::Anemometer => "rule-source-anemometer",
        WindSource::Metar => "rule-source-metar",
        WindSource::Vehicle => "rule-source-vehicle",
    }
}

/// The whole fly screen.
pub fn fly_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    basemap: &mut Basemap,
    cameras: super::video::Cameras,
    state: &mut FlyState,
) -> Vec<UiCommand> {
    let video = cameras.pick(state.thermal);
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = &ctx.palette;
    if state
        .selected
        .is_none_or(|id| !snap.vehicles.contains_key(&id))
    {
        state.selected = snap.vehicles.keys().next().copied();
    }
    let vehicle = state
        .selected
        .and_then(|id| snap.vehicles.get(&id).map(|v| (id, v)));
    egui::Panel::left("fly-controls")
        .default_size(410.0)
        .max_size(520.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("fly-left")
                .show(ui, |ui| {
                    out.extend(vehicles_ui(ui, tr, p, snap, state));
                    ui.separator();
                    out.extend(controls_ui(ui, tr, p, vehicle, state));
                    ui.separator();
                    target_ui(ui, tr, vehicle, state);
                    out.extend(confirm_ui(ui, tr, p, state));
                    if let Some(n) = &state.notice {
                        ui.label(RichText::new(n).color(p.warn));
                    }
                    ui.separator();
                    incidents_ui(ui, tr, snap, vehicle, state);
                });
        });
    egui::Panel::right("fly-instruments")
        .default_size(330.0)
        .max_size(420.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("fly-right")
                .show(ui, |ui| {
                    if cameras.visible.is_some() && cameras.thermal.is_some() {
                        // Words on the switch, not a colour: which camera is on.
                        ui.horizontal(|ui| {
                            for (thermal, key) in
                                [(false, "video-visible"), (true, "video-thermal")]
                            {
                                let b = egui::Button::new(RichText::new(tr.t(key)).strong())
                                    .selected(state.thermal == thermal)
                                    .min_size(Vec2::new(120.0, TARGET_PX));
                                if ui.add(b).clicked() {
                                    state.thermal = thermal;
                                }
                            }
                        });
                    }
                    if let Some(v) = video {
                        v.pane_ui(ui, tr, p, &mut state.video_full);
                        out.extend(recording_ui(ui, tr, p, snap, vehicle));
                    } else {
                        super::video::no_video_ui(ui, tr);
                    }
                    ui.separator();
                    ui.label(RichText::new(tr.t("wind-gauge")).strong());
                    wind_gauge_ui(ui, ctx, snap, vehicle.map(|v| v.1));
                    ui.separator();
                    instruments_ui(ui, ctx, snap, vehicle);
                });
        });
    egui::CentralPanel::default().show(ui, |ui| {
        if state.video_full
            && let Some(v) = video
        {
            v.full_ui(ui, tr, &mut state.video_full);
            return;
        }
        ui.horizontal(|ui| {
            let label = if state.map.follow {
                format!("◉ {}", tr.t("map-follow-on"))
            } else {
                format!("○ {}", tr.t("map-follow-off"))
            };
            if ui
                .add(
                    egui::Button::new(label)
                        .selected(state.map.follow)
                        .min_size(Vec2::new(0.0, TARGET_PX)),
                )
                .clicked()
            {
                state.map.follow = !state.map.follow;
            }
        });
        let scene = MapScene {
            layers: &ctx.layers,
            rules: &ctx.rules,
            authorisation: ctx.authorisation.as_deref(),
            snapshot: snap,
            selected: state.selected,
            route: None,
            target: state.target,
            palette: *p,
            replay_track: None,
        };
        for e in map_ui(ui, tr, basemap, &mut state.map, &scene) {
            if let MapEvent::Clicked(at) = e {
                state.target = Some(at);
                state.confirm = None;
            }
        }
    });
    out
}
