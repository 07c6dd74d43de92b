//! The session: who flies, under which arrêté, in training or not, and the pre-flight
//! checklist the pilot ticks by hand (automatic items follow the rules' verdict).
//!
//! Login (ID and PIN; the PIN is never shown, never kept after it is sent), the arrêté picker
//! and import — all through the station's session requests; the station checks the PIN against
//! the register and journals every attempt.

use egui::{RichText, Vec2};
use flight_rules::ChecklistKind;
use vigie_station::protocol::Secret;
use vigie_station::{EventKind, SessionRequest, StationCommand, StationSnapshot};

use super::theme::TARGET_PX;
use super::{Context, UiCommand};

#[derive(Debug, Clone, Default)]
pub struct SessionState {
    pub pilot_id: String,
    /// What is being typed; cleared as soon as it is sent.
    pub pin: String,
    pub import_path: String,
}

fn session_cmd(r: SessionRequest) -> UiCommand {
    UiCommand::Station(StationCommand::Session(r))
}

/// Login or logout, and what the station said about the last attempt.
pub fn login_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    state: &mut SessionState,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = &ctx.palette;
    let s = &snap.session;
    if s.logged_in {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!(
                    "✔ {}",
                    tr.ta(
                        "session-logged-in",
                        &[(
                            "pilot",
                            s.pilot_name.clone().unwrap_or_else(|| tr.t("none")).into()
                        )]
                    )
                ))
                .color(p.go)
                .strong(),
            );
            if ui
                .add(egui::Button::new(tr.t("btn-logout")).min_size(Vec2::new(0.0, TARGET_PX)))
                .clicked()
            {
                out.push(session_cmd(SessionRequest::Logout));
            }
        });
        return out;
    }
    ui.label(RichText::new(tr.t("session-login")).strong().size(20.0));
    let locked = s.lockout_until.filter(|t| *t > chrono::Utc::now());
    egui::Grid::new("login").num_columns(2).show(ui, |ui| {
        let l = ui.label(tr.t("session-pilot-id"));
        ui.add(egui::TextEdit::singleline(&mut state.pilot_id).desired_width(220.0))
            .labelled_by(l.id);
        ui.end_row();
        let l = ui.label(tr.t("session-pin"));
        ui.add(
            egui::TextEdit::singleline(&mut state.pin)
                .password(true)
                .desired_width(120.0),
        )
        .labelled_by(l.id);
        ui.end_row();
    });
    ui.horizontal_wrapped(|ui| {
        let ready = locked.is_none() && !state.pilot_id.trim().is_empty() && !state.pin.is_empty();
        if ui
            .add_enabled(
                ready,
                egui::Button::new(RichText::new(tr.t("btn-login")).strong())
                    .min_size(Vec2::new(180.0, TARGET_PX)),
            )
            .clicked()
        {
            out.push(session_cmd(SessionRequest::Login {
                pilot_id: state.pilot_id.trim().to_string(),
                pin: Secret(std::mem::take(&mut state.pin)),
            }));
        }
        if let Some(t) = locked {
            ui.label(
                RichText::new(format!(
                    "✖ {}",
                    tr.ta("session-locked", &[("until", tr.time(t).into())])
                ))
                .color(p.deny)
                .strong(),
            );
        }
    });
    // The station's answer to the last attempt (typed event, in words).
    if let Some(e) = snap.events.iter().rev().find(|e| {
        matches!(
            e.kind,
            EventKind::LoginRefused { .. }
                | EventKind::LoggedIn { .. }
                | EventKind::LoggedOut { .. }
        )
    }) && matches!(e.kind, EventKind::LoginRefused { .. })
    {
        ui.label(
            RichText::new(format!("✖ {}", super::events::event_text(tr, e)))
                .color(p.deny)
                .strong(),
        );
    }
    out
}

/// The arrêtés the session can fly under: pick one, or import a file.
pub fn authorisations_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    state: &mut SessionState,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = &ctx.palette;
    ui.label(
        RichText::new(tr.t("session-authorisations"))
            .strong()
            .size(20.0),
    );
    for a in &snap.session.authorisations {
        ui.horizontal_wrapped(|ui| {
            let current = snap.session.arrete.as_deref() == Some(a.arrete.as_str());
            let state_word = if a.revoked {
                format!("✖ {}", tr.t("auth-revoked"))
            } else if a.valid_now {
                format!("✔ {}", tr.t("auth-valid-now"))
            } else {
                format!("✖ {}", tr.t("auth-not-valid-now"))
            };
            let colour = if a.valid_now && !a.revoked {
                p.go
            } else {
                p.deny
            };
            ui.label(
                RichText::new(format!(
                    "{} · {} · {} → {} · {state_word}",
                    a.arrete,
                    a.finalite,
                    tr.time(a.valid_from),
                    tr.time(a.valid_until)
                ))
                .color(colour),
            );
            if current {
                ui.label(RichText::new(format!("◉ {}", tr.t("auth-selected"))).strong());
            } else if ui
                .add(egui::Button::new(tr.t("btn-select")).min_size(Vec2::new(0.0, TARGET_PX)))
                .clicked()
            {
                out.push(session_cmd(SessionRequest::SelectAuthorisation {
                    arrete: a.arrete.clone(),
                }));
            }
        });
    }
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(tr.t("session-import-path"));
        ui.add(egui::TextEdit::singleline(&mut state.import_path).desired_width(320.0))
            .labelled_by(l.id);
        if ui
            .add_enabled(
                !state.import_path.trim().is_empty(),
                egui::Button::new(tr.t("btn-import-authorisation"))
                    .min_size(Vec2::new(0.0, TARGET_PX)),
            )
            .clicked()
        {
            out.push(session_cmd(SessionRequest::ImportAuthorisation {
                path: std::path::PathBuf::from(state.import_path.trim()),
            }));
        }
    });
    out
}

pub fn session_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    state: &mut SessionState,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = &ctx.palette;
    let s = &snap.session;
    ui.heading(tr.t("session-title"));
    out.extend(login_ui(ui, ctx, snap, state));
    ui.separator();
    out.extend(authorisations_ui(ui, ctx, snap, state));
    ui.separator();
    if s.training {
        super::training_badge_ui(ui, ctx);
        ui.label(tr.t("session-training-note"));
    }
    let none = || tr.t("none");
    egui::Grid::new("session")
        .num_columns(2)
        .spacing([16.0, 8.0])
        .show(ui, |ui| {
            ui.label(tr.t("session-pilot"));
            ui.label(
                RichText::new(format!(
                    "{} ({})",
                    s.pilot_name.clone().unwrap_or_else(none),
                    s.pilot_id.clone().unwrap_or_else(none)
                ))
                .strong(),
            );
            ui.end_row();
            ui.label(tr.t("session-arrete"));
            ui.label(RichText::new(s.arrete.clone().unwrap_or_else(none)).strong());
            ui.end_row();
            ui.label(tr.t("session-finalite"));
            ui.label(RichText::new(s.finalite.clone().unwrap_or_else(none)).strong());
            ui.end_row();
            if let Some(a) = &ctx.authorisation {
                ui.label(tr.t("session-validity"));
                ui.label(tr.ta(
                    "session-validity-range",
                    &[
                        ("from", tr.time(a.valid_from).into()),
                        ("until", tr.time(a.valid_until).into()),
                    ],
                ));
                ui.end_row();
                ui.label(tr.t("session-issuer"));
                ui.label(a.issuer.as_str());
                ui.end_row();
            }
        });
    ui.separator();
    ui.heading(tr.t("checklist-title"));
    // Automatic items are satisfied when none of their rules blocks the pre-flight verdict of
    // any vehicle (the rules decide; the screen only shows).
    let blocking: std::collections::BTreeSet<&str> = snap
        .vehicles
        .values()
        .filter_map(|v| v.preflight.as_ref())
        .flat_map(|d| d.blocking().map(|f| f.rule_id))
        .collect();
    for item in &ctx.rules.checklist.items {
        ui.horizontal(|ui| match &item.kind {
            ChecklistKind::Manual => {
                let mut ticked = s.checklist_ticks.contains(&item.id);
                let before = ticked;
                // A 48-px row: the whole line is the target, not just the small box.
                ui.add_sized(
                    Vec2::new(ui.available_width().min(560.0), TARGET_PX),
                    egui::Checkbox::new(&mut ticked, RichText::new(&item.label).size(19.0)),
                );
                if ticked != before {
                    out.push(UiCommand::Station(StationCommand::Session(if ticked {
                        SessionRequest::TickChecklist(item.id.clone())
                    } else {
                        SessionRequest::UntickChecklist(item.id.clone())
                    })));
                }
                ui.label(if before {
                    format!("✔ {}", tr.t("checklist-ticked"))
                } else {
                    format!("○ {}", tr.t("checklist-to-tick"))
                });
            }
            ChecklistKind::Auto { rules } => {
                let bad: Vec<&str> = rules
                    .iter()
                    .map(String::as_str)
                    .filter(|r| blocking.contains(r))
                    .collect();
                if bad.is_empty() {
                    ui.label(
                        RichText::new(format!("✔ {}", item.label))
                            .color(p.go)
                            .size(19.0),
                    );
                } else {
                    ui.label(
                        RichText::new(format!("✖ {} ({})", item.label, bad.join(", ")))
                            .color(p.deny)
                            .size(19.0),
                    );
                }
                ui.label(tr.t("checklist-auto"));
            }
        });
    }
    out
}
