//! The CSU wall (`vigie csu`): a grid of 1, 4 or 9 live streams, each labelled with its drone's
//! position, altitude, mode and state, and one map of every drone.
//!
//! No command authority exists here, by construction: the wall holds no station handle, no
//! link hub, no socket that sends. Its inputs are video (receive-only ingests) and the telemetry
//! each station forwards on its read-only output (`crate::csu_telemetry`); its only output is
//! [`WallCommand`], which can change the layout and nothing else.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use egui::{Align2, Color32, FontId, RichText, Vec2};
use vigie_station::{StationSnapshot, VehicleId, VehicleView};

use super::map::{MapScene, MapState, map_ui};
use super::theme::TARGET_PX;
use super::tiles::Basemap;
use super::video::VideoPane;
use super::{Context, tiles};
use crate::csu_telemetry::{Counts, Heard, Picture};

/// Telemetry older than this is said to be lost on the tile.
const STALE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grid {
    One,
    Four,
    Nine,
}

impl Grid {
    pub fn cells(self) -> usize {
        match self {
            Grid::One => 1,
            Grid::Four => 4,
            Grid::Nine => 9,
        }
    }

    fn side(self) -> usize {
        match self {
            Grid::One => 1,
            Grid::Four => 2,
            Grid::Nine => 3,
        }
    }

    /// The smallest grid that shows `n` streams (nine at most).
    pub fn fitting(n: usize) -> Grid {
        match n {
            0 | 1 => Grid::One,
            2..=4 => Grid::Four,
            _ => Grid::Nine,
        }
    }
}

/// Everything an operator can ask of the wall: its layout. There is no variant that could
/// reach a vehicle.
#[derive(Debug, Clone, PartialEq)]
pub enum WallCommand {
    SetGrid(Grid),
    /// Show this stream alone (None: back to the grid).
    Focus(Option<usize>),
    /// Mark this drone on the map.
    Highlight(Option<u8>),
    /// Send an incident to the pilot's station (not a command: the pilot decides what to do).
    PostIncident(crate::incident_post::IncidentPost),
}

/// One stream on the wall.
pub struct WallStream {
    /// What the operator reads, e.g. "drone-1 · EO".
    pub label: String,
    /// The drone it films (its system id), for the tile's label.
    pub vehicle: Option<u8>,
    pub pane: VideoPane,
}

pub struct WallState {
    pub grid: Grid,
    pub focus: Option<usize>,
    pub highlight: Option<u8>,
    pub map: MapState,
    /// The next map click places the incident being written.
    pub picking: bool,
    pub draft_at: Option<flight_rules::LatLon>,
    pub draft_kind: String,
    pub draft_note: String,
}

impl WallState {
    pub fn new(grid: Grid) -> Self {
        WallState {
            grid,
            focus: None,
            highlight: None,
            map: MapState::new(false),
            picking: false,
            draft_at: None,
            draft_kind: String::new(),
            draft_note: String::new(),
        }
    }

    pub fn apply(&mut self, commands: Vec<WallCommand>) {
        for c in commands {
            match c {
                WallCommand::SetGrid(g) => {
                    self.grid = g;
                    self.focus = None;
                }
                WallCommand::Focus(f) => self.focus = f,
                WallCommand::Highlight(h) => self.highlight = h,
                WallCommand::PostIncident(_) => {
                    self.picking = false;
                    self.draft_at = None;
                    self.draft_kind.clear();
                    self.draft_note.clear();
                }
            }
        }
    }
}

/// What the wall shows this frame.
pub struct WallView<'a> {
    pub ctx: &'a Context,
    pub operator: &'a str,
    pub drones: &'a BTreeMap<u8, Heard>,
    pub counts: Counts,
    pub streams: &'a [WallStream],
    /// Incidents can be sent to a station (`--incidents-to`).
    pub can_post: bool,
    /// What became of the last incident sent.
    pub posted: Option<String>,
}

/// The drones as a snapshot for the shared map (telemetry only: the wall judges nothing).
pub fn snapshot_of(drones: &BTreeMap<u8, Heard>) -> StationSnapshot {
    let mut snap = StationSnapshot::default();
    for (&id, h) in drones {
        snap.vehicles.insert(
            VehicleId(id),
            VehicleView {
                telemetry: h.telemetry.clone(),
                ..VehicleView::default()
            },
        );
    }
    snap
}

/// One line about a drone: position, altitude, mode, armed, telemetry age.
pub fn drone_line(ctx: &Context, h: &Heard, now: Instant) -> String {
    let tr = &ctx.tr;
    let t = &h.telemetry;
    let mut parts = vec![];
    match t.position {
        Some(p) => {
            parts.push(format!(
                "{} N {} E",
                tr.num(p.lat_deg, 4),
                tr.num(p.lon_deg, 4)
            ));
            parts.push(tr.ta("csu-alt", &[("alt", tr.num(p.alt_rel_m, 0).into())]));
        }
        None => parts.push(tr.t("csu-no-position")),
    }
    parts.push(t.mode.to_string());
    if let Some(id) = &h.flight {
        parts.push(tr.ta("csu-flight", &[("id", id.as_str().into())]));
    }
    parts.push(if t.armed {
        tr.t("armed")
    } else {
        tr.t("disarmed")
    });
    let age = now.saturating_duration_since(h.last_heard);
    if age > STALE {
        parts.push(tr.ta(
            "csu-telemetry-lost",
            &[("age", tr.num(age.as_secs_f64(), 0).into())],
        ));
    }
    parts.join(" · ")
}

pub fn csu_wall_ui(
    ui: &mut egui::Ui,
    view: &WallView,
    basemap: &mut Basemap,
    state: &mut WallState,
) -> Vec<WallCommand> {
    let mut out = vec![];
    let ctx = view.ctx;
    let tr = &ctx.tr;
    let p = ctx.palette;
    let now = Instant::now();
    egui::Panel::top("csu-header").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(tr.t("csu-title")).size(24.0).strong());
            ui.separator();
            ui.label(
                RichText::new(tr.ta("csu-operator", &[("name", view.operator.into())])).size(18.0),
            );
            ui.separator();
            // Said in words, not by colour alone: this post cannot command.
            ui.label(
                RichText::new(tr.t("csu-read-only"))
                    .size(18.0)
                    .strong()
                    .color(p.text_on_state)
                    .background_color(p.info),
            );
            ui.separator();
            ui.label(RichText::new(tr.t("csu-grid")).size(18.0));
            for g in [Grid::One, Grid::Four, Grid::Nine] {
                let b = egui::Button::new(RichText::new(g.cells().to_string()).size(18.0))
                    .selected(state.grid == g && state.focus.is_none())
                    .min_size(Vec2::new(TARGET_PX, TARGET_PX));
                if ui.add(b).clicked() {
                    out.push(WallCommand::SetGrid(g));
                }
            }
        });
    });
    egui::Panel::right("csu-map")
        .resizable(false)
        .exact_size(ui.available_width() * 0.36)
        .show(ui, |ui| {
            ui.label(
                RichText::new(tr.ta(
                    "csu-drones",
                    &[("n", i64::try_from(view.drones.len()).unwrap_or(0).into())],
                ))
                .size(18.0)
                .strong(),
            );
            for (&id, h) in view.drones {
                let text = format!(
                    "{} — {}",
                    tr.ta("csu-drone", &[("id", i64::from(id).into())]),
                    drone_line(ctx, h, now)
                );
                let b = egui::Button::new(RichText::new(text).size(15.0))
                    .selected(state.highlight == Some(id))
                    .min_size(Vec2::new(ui.available_width(), TARGET_PX));
                if ui.add(b).clicked() {
                    out.push(WallCommand::Highlight(
                        (state.highlight != Some(id)).then_some(id),
                    ));
                }
            }
            if view.drones.is_empty() {
                ui.label(tr.ta(
                    "csu-no-telemetry",
                    &[(
                        "frames",
                        i64::try_from(view.counts.frames).unwrap_or(0).into(),
                    )],
                ));
            }
            if view.can_post {
                out.extend(incident_form_ui(ui, view, state));
            }
            ui.add_space(6.0);
            let snap = snapshot_of(view.drones);
            let scene = MapScene {
                layers: &ctx.layers,
                rules: &ctx.rules,
                authorisation: ctx.authorisation.as_deref(),
                snapshot: &snap,
                selected: state.highlight.map(VehicleId),
                route: None,
                target: None,
                palette: p,
                replay_track: None,
            };
            // A map click only places an incident being written: no target exists on the wall.
            for e in map_ui(ui, tr, basemap, &mut state.map, &scene) {
                if let super::map::MapEvent::Clicked(at) = e
                    && state.picking
                {
                    state.draft_at = Some(at);
                }
            }
        });
    egui::CentralPanel::default().show(ui, |ui| {
        let shown: Vec<usize> = match state.focus {
            Some(i) if i < view.streams.len() => vec![i],
            _ => (0..view.streams.len().min(state.grid.cells())).collect(),
        };
        let side = if shown.len() == 1 {
            1
        } else {
            state.grid.side()
        };
        let gap = 6.0;
        let avail = ui.available_size();
        let cell_w = (avail.x - gap * (side as f32 - 1.0)) / side as f32;
        let cell_h = ((avail.y - gap * (side as f32 - 1.0)) / side as f32).min(cell_w * 9.0 / 16.0);
        if view.streams.is_empty() {
            ui.label(RichText::new(tr.t("csu-no-stream")).size(20.0));
        }
        egui::Grid::new("csu-tiles")
            .spacing(Vec2::splat(gap))
            .show(ui, |ui| {
                for (k, &i) in shown.iter().enumerate() {
                    let s = &view.streams[i];
                    let rect = s
                        .pane
                        .tile_ui(ui, tr, &p, Vec2::new(cell_w, cell_h.max(60.0)));
                    let painter = ui.painter().with_clip_rect(rect);
                    let who = s
                        .vehicle
                        .and_then(|id| view.drones.get(&id))
                        .map(|h| drone_line(ctx, h, now))
                        .unwrap_or_else(|| tr.t("csu-no-telemetry-short"));
                    // Under the camera's own stamp (top rows) and clear of its OSD (bottom).
                    let bar = egui::Rect::from_min_size(
                        rect.left_top() + Vec2::new(0.0, 18.0),
                        Vec2::new(rect.width(), 48.0),
                    );
                    painter.rect_filled(bar, 0.0, Color32::from_black_alpha(170));
                    painter.text(
                        bar.left_top() + Vec2::new(8.0, 3.0),
                        Align2::LEFT_TOP,
                        &s.label,
                        FontId::proportional(20.0),
                        Color32::WHITE,
                    );
                    painter.text(
                        bar.left_top() + Vec2::new(8.0, 27.0),
                        Align2::LEFT_TOP,
                        &who,
                        FontId::proportional(16.0),
                        Color32::WHITE,
                    );
                    let r =
                        ui.interact(rect, ui.scope_id().with(("tile", i)), egui::Sense::click());
                    if r.double_clicked() {
                        out.push(WallCommand::Focus(match state.focus {
                            Some(_) => None,
                            None => Some(i),
                        }));
                    }
                    if (k + 1) % side == 0 {
                        ui.end_row();
                    }
                }
            });
    });
    out
}

/// "Report an incident": place it on the map, say what it is, send it to the pilot's station.
fn incident_form_ui(ui: &mut egui::Ui, view: &WallView, state: &mut WallState) -> Vec<WallCommand> {
    let tr = &view.ctx.tr;
    let mut out = vec![];
    let b = egui::Button::new(RichText::new(tr.t("csu-incident")).size(16.0))
        .selected(state.picking)
        .min_size(Vec2::new(ui.available_width(), TARGET_PX));
    if ui.add(b).clicked() {
        state.picking = !state.picking;
    }
    if state.picking {
        match state.draft_at {
            None => {
                ui.label(tr.t("csu-incident-place"));
            }
            Some(at) => {
                ui.label(tr.ta(
                    "csu-incident-at",
                    &[
                        ("lat", tr.num(at.lat_deg, 5).into()),
                        ("lon", tr.num(at.lon_deg, 5).into()),
                    ],
                ));
            }
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr.t("csu-incident-kind"));
            ui.add(
                egui::TextEdit::singleline(&mut state.draft_kind)
                    .char_limit(64)
                    .min_size(Vec2::new(0.0, TARGET_PX * 0.75)),
            )
            .labelled_by(l.id);
        });
        ui.horizontal(|ui| {
            let l = ui.label(tr.t("csu-incident-note"));
            ui.add(
                egui::TextEdit::singleline(&mut state.draft_note)
                    .char_limit(1000)
                    .min_size(Vec2::new(0.0, TARGET_PX * 0.75)),
            )
            .labelled_by(l.id);
        });
        let ready = state.draft_at.is_some() && !state.draft_kind.trim().is_empty();
        let send = egui::Button::new(RichText::new(tr.t("csu-incident-send")).size(16.0))
            .min_size(Vec2::new(ui.available_width(), TARGET_PX));
        if ui.add_enabled(ready, send).clicked()
            && let Some(at) = state.draft_at
        {
            out.push(WallCommand::PostIncident(
                crate::incident_post::IncidentPost {
                    lat: at.lat_deg,
                    lon: at.lon_deg,
                    kind: state.draft_kind.trim().to_string(),
                    note: state.draft_note.trim().to_string(),
                    at: Some(chrono::Utc::now().to_rfc3339()),
                },
            ));
        }
    }
    if let Some(p) = &view.posted {
        ui.label(RichText::new(p).strong());
    }
    out
}

/// Sends an incident to the station (HTTP and the CSU's journal): the id, or why not.
pub type IncidentPoster = std::sync::Arc<
    dyn Fn(crate::incident_post::IncidentPost) -> Result<String, String> + Send + Sync,
>;

/// The wall's window: its streams, the telemetry picture, the map. It closes after `duration`
/// (screenshots) or on a stop signal.
pub struct WallApp {
    pub ctx: Context,
    pub operator: String,
    pub streams: Vec<WallStream>,
    pub picture: Picture,
    pub counts: std::sync::Arc<std::sync::Mutex<Counts>>,
    pub state: WallState,
    basemap: Option<Basemap>,
    close_at: Option<Instant>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
    theme_applied: bool,
    /// Frames the window drew, and since when (the exit report: a tile's frame count means
    /// little if the window itself did not repaint).
    ui_frames: u64,
    opened_at: Instant,
    pub poster: Option<IncidentPoster>,
    posted: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    /// Each drone's flight, as its station says (filled by `vigie csu` from `GET /flights`).
    pub flights: std::sync::Arc<std::sync::Mutex<BTreeMap<u8, String>>>,
}

impl WallApp {
    pub fn new(
        ctx: Context,
        operator: String,
        streams: Vec<WallStream>,
        telemetry: &crate::csu_telemetry::Listener,
        duration: Option<Duration>,
        stop: Option<tokio::sync::watch::Receiver<bool>>,
    ) -> Self {
        let grid = Grid::fitting(streams.len());
        WallApp {
            ctx,
            operator,
            streams,
            picture: telemetry.picture.clone(),
            counts: telemetry.counts.clone(),
            state: WallState::new(grid),
            basemap: None,
            close_at: duration.map(|d| Instant::now() + d),
            stop,
            theme_applied: false,
            ui_frames: 0,
            opened_at: Instant::now(),
            poster: None,
            posted: Default::default(),
            flights: Default::default(),
        }
    }
}

impl eframe::App for WallApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ui_ctx = ui.ctx().clone();
        self.ui_frames += 1;
        if !self.theme_applied {
            self.ctx.settings.theme.apply(&ui_ctx);
            self.theme_applied = true;
        }
        for s in &mut self.streams {
            // A tile is at most a third of the screen wide: half size is plenty.
            s.pane.update_at(&ui_ctx, self.state.focus.is_some());
        }
        let mut drones = self.picture.lock().map(|m| m.clone()).unwrap_or_default();
        if let Ok(flights) = self.flights.lock() {
            for (id, h) in &mut drones {
                h.flight = flights.get(id).cloned();
            }
        }
        let counts = self.counts.lock().map(|c| *c).unwrap_or_default();
        let basemap = self.basemap.get_or_insert_with(|| {
            tiles::open_basemap(&self.ctx.settings.tiles, &self.ctx.data_dir, &ui_ctx)
        });
        let view = WallView {
            ctx: &self.ctx,
            operator: &self.operator,
            drones: &drones,
            counts,
            streams: &self.streams,
            can_post: self.poster.is_some(),
            posted: self.posted.lock().ok().and_then(|p| p.clone()),
        };
        let commands = csu_wall_ui(ui, &view, basemap, &mut self.state);
        for c in &commands {
            if let (WallCommand::PostIncident(p), Some(poster)) = (c, &self.poster) {
                // Off the UI thread: the station may take a moment to answer.
                let (p, poster, posted) = (p.clone(), poster.clone(), self.posted.clone());
                let tr = self.ctx.tr.clone();
                std::thread::spawn(move || {
                    let said = match poster(p) {
                        Ok(id) => tr.ta("csu-incident-sent", &[("id", id.as_str().into())]),
                        Err(e) => tr.ta("csu-incident-refused", &[("why", e.as_str().into())]),
                    };
                    if let Ok(mut slot) = posted.lock() {
                        *slot = Some(said);
                    }
                });
            }
        }
        self.state.apply(commands);
        if self.close_at.is_some_and(|t| Instant::now() >= t)
            || self.stop.as_ref().is_some_and(|s| *s.borrow())
        {
            ui_ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        ui_ctx.request_repaint_after(Duration::from_millis(100));
    }

    fn on_exit(&mut self) {
        // What the operator had on the wall, for the log and the scripts that start it.
        let frames: Vec<String> = self
            .streams
            .iter()
            .map(|s| format!("{}={}", s.label, s.pane.frames_shown()))
            .collect();
        let drones: Vec<String> = self
            .picture
            .lock()
            .map(|m| m.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default();
        println!(
            "csu: window frames: {} in {:.0} s",
            self.ui_frames,
            self.opened_at.elapsed().as_secs_f64()
        );
        println!(
            "csu: frames shown: {}; drones heard: {}",
            frames.join(", "),
            drones.join(", ")
        );
    }
}

pub fn run_wall(app: WallApp, title: &str) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1600.0, 900.0])
            .with_title(title),
        ..Default::default()
    };
    eframe::run_native(
        "vigie-csu",
        options,
        Box::new(|cc| {
            super::theme::install_fonts(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    )
}
