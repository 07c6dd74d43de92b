//! The session: who flies, under which arrêté, in training or not, and the pre-flight
//! checklist the pilot ticks by hand (automatic items follow the rules' verdict).
//!
//! Login, the authorisation picker and import arrive with the station's session API
//! (`SessionRequest::Login` etc.); until then this screen shows the session the station was
//! started with.

use egui::{RichText, Vec2};
use flight_rules::ChecklistKind;
use vigie_station::{SessionRequest, StationCommand, StationSnapshot};

use super::theme::TARGET_PX;
use super::{Context, UiCommand};

#[derive(Debug, Clone, Default)]
pub struct SessionState {}

pub fn session_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    _state: &mut SessionState,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = &ctx.palette;
    let s = &snap.session;
    ui.heading(tr.t("session-title"));
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
                let cb = ui.add(
                    egui::Checkbox::new(&mut ticked, RichText::new(&item.label).size(19.0))
                        .indeterminate(false),
                );
                let _ = cb.rect.height().max(TARGET_PX);
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
    ui.add_space(8.0);
    ui.label(RichText::new(tr.t("session-login-pending")).size(15.0));
    let _ = Vec2::ZERO;
    out
}
