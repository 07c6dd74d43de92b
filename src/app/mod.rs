//! The pilot's desktop app (eframe/egui) as a library of views. Each view is a function
//! `*_ui(ui, &snapshot, &mut view_state) -> Vec<UiCommand>`: it reads the station's snapshot and
//! returns what the pilot asked for. [`VigieApp`] is the one controller that carries the
//! commands out — to the station through `StationHandle::send`, to the register desk's worker,
//! to the settings file. No view touches the station.

pub mod csu_wall;
pub mod events;
pub mod fly;
pub mod i18n;
pub mod instructor;
pub mod map;
pub mod plan;
pub mod register_desk;
pub mod session;
pub mod settings;
pub mod theme;
pub mod tiles;
pub mod video;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, RichText, Vec2};
use flight_rules::{Authorisation, RuleSet};
use vigie_station::{
    AlarmSeverity, SessionRequest, StationCommand, StationHandle, StationSnapshot, VehicleId,
};

use self::i18n::{Lang, Tr};
use self::map::MapLayers;
use self::settings::{Settings, SettingsViewState};
use self::theme::{Palette, TARGET_PX};
use self::tiles::Basemap;

/// What the pilot asked for this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum UiCommand {
    /// To the station (judged by the interlock there).
    Station(StationCommand),
    /// Command this vehicle from now on.
    Select(VehicleId),
    /// To the register desk's worker (every read is journaled by the register).
    Register(register_desk::DeskRequest),
    SaveSettings(Box<Settings>),
    /// Switch screen.
    Show(Screen),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    #[default]
    Fly,
    Plan,
    Register,
    Session,
    Settings,
}

/// Everything a view needs besides the snapshot and its own state: the words, the colours,
/// the rules in force and the map's layers. Built once, shared by the views.
pub struct Context {
    pub tr: Tr,
    pub palette: Palette,
    pub rules: Arc<RuleSet>,
    pub authorisation: Option<Arc<Authorisation>>,
    pub layers: MapLayers,
    pub settings: Settings,
    pub data_dir: PathBuf,
}

impl Context {
    pub fn new(
        lang: Lang,
        settings: Settings,
        rules: Arc<RuleSet>,
        authorisation: Option<Arc<Authorisation>>,
        shipped_basemap: bool,
        data_dir: PathBuf,
    ) -> Self {
        let layers = MapLayers::new(&rules, authorisation.as_deref(), shipped_basemap);
        Context {
            tr: i18n::load(lang),
            palette: settings.theme.palette(),
            rules,
            authorisation,
            layers,
            settings,
            data_dir,
        }
    }
}

/// How the app is started: by `vigie` (a real session) or `vigie demo` (the demo session).
pub struct AppConfig {
    pub title: String,
    pub station: StationHandle,
    /// The pilot's language for this run (`--lang`), over the saved setting.
    pub lang: Option<Lang>,
    pub data_dir: PathBuf,
    pub video: Option<video::VideoFeed>,
    /// The vehicle's thermal camera, when the station receives one.
    pub thermal: Option<video::VideoFeed>,
    /// Close the window after this long (demo `--duration`, screenshots).
    pub duration: Option<Duration>,
    /// Open on this screen (screenshots).
    pub screen: Screen,
    /// Print the time to the first frame and frame times when closing (scripts/bench-app.sh).
    pub report_frames: bool,
    /// A QGroundControl plan to open in the plan view.
    pub plan: Option<PathBuf>,
    /// Open the register desk for this reader and motive and list the flights (a deliberate,
    /// journaled read, as `vigie register list --actor --motive` is).
    /// (reader and motive, the training register?)
    pub desk: Option<(register_desk::Who, bool)>,
    /// Set by a stop signal (SIGINT, SIGTERM): the window closes and the station stops cleanly.
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
    /// The simulator's control socket (`vigie train`): the instructor's console injects faults.
    pub instructor: Option<std::net::SocketAddr>,
}

/// When the process started (set first thing by `main`): launch → first frame is measured
/// from it.
pub static LAUNCHED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// True when a window can be opened.
pub fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// The one controller: holds the views' states and carries their commands out.
pub struct VigieApp {
    station: StationHandle,
    snapshot: tokio::sync::watch::Receiver<StationSnapshot>,
    pub ctx: Context,
    basemap: Option<Basemap>,
    pub screen: Screen,
    pub fly: fly::FlyState,
    pub plan: plan::PlanState,
    pub desk: register_desk::DeskState,
    pub session: session::SessionState,
    pub settings_view: SettingsViewState,
    video: Option<video::VideoPane>,
    thermal: Option<video::VideoPane>,
    title: String,
    close_at: Option<Instant>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
    instructor: Option<instructor::Instructor>,
    started: Instant,
    frames: video::FrameTimes,
    report_frames: bool,
    rung_bell_for: std::collections::BTreeSet<u64>,
    theme_applied: bool,
    /// When the station's video slots were last looked at (streams a vehicle announces start
    /// after the window opens).
    video_looked_at: Option<Instant>,
}

impl VigieApp {
    pub fn new(config: AppConfig) -> Self {
        let settings = match Settings::load(&config.data_dir) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("{e}");
                Settings::default()
            }
        };
        let lang = config.lang.unwrap_or(settings.lang);
        let (rules, auth) = config.station.rules();
        let shipped = settings.tiles.online_url.is_none() && settings.tiles.offline_path.is_none();
        let ctx = Context::new(
            lang,
            settings.clone(),
            rules,
            auth,
            shipped,
            config.data_dir.clone(),
        );
        let mut plan = plan::PlanState::new(&ctx);
        if let Some(p) = &config.plan {
            plan.load(&ctx.tr, p);
        }
        let mut desk = register_desk::DeskState::new(config.data_dir.clone());
        if let Some((who, training)) = config.desk {
            desk.training = training;
            desk.who = who;
            desk.open_first = true;
            desk.send(register_desk::DeskRequest::List {
                training: desk.training,
                who: desk.who.clone(),
                filters: desk.filters.clone(),
            });
        }
        VigieApp {
            snapshot: config.station.snapshot(),
            station: config.station,
            fly: fly::FlyState::new(&settings),
            plan,
            desk,
            session: session::SessionState::default(),
            settings_view: SettingsViewState::default(),
            ctx,
            basemap: None,
            screen: config.screen,
            video: config.video.map(video::VideoPane::new),
            thermal: config.thermal.map(video::VideoPane::new),
            title: config.title,
            close_at: config.duration.map(|d| Instant::now() + d),
            stop: config.stop,
            instructor: config.instructor.map(instructor::Instructor::new),
            started: *LAUNCHED.get_or_init(Instant::now),
            frames: video::FrameTimes::default(),
            report_frames: config.report_frames,
            rung_bell_for: Default::default(),
            theme_applied: false,
            video_looked_at: None,
        }
    }

    fn apply(&mut self, ui_ctx: &egui::Context, commands: Vec<UiCommand>) {
        for c in commands {
            match c {
                UiCommand::Station(cmd) => {
                    if !self.station.send(cmd) {
                        self.fly.notice = Some(self.ctx.tr.t("station-busy"));
                    }
                }
                UiCommand::Select(id) => self.fly.selected = Some(id),
                UiCommand::Register(r) => self.desk.send(r),
                UiCommand::Show(s) => self.screen = s,
                UiCommand::SaveSettings(s) => {
                    let s = *s;
                    if let Err(e) = s.save(&self.ctx.data_dir) {
                        self.settings_view.message = Some(e.to_string());
                        continue;
                    }
                    let tiles_changed = s.tiles != self.ctx.settings.tiles;
                    let lang_changed = s.lang != self.ctx.tr.lang();
                    self.ctx.palette = s.theme.palette();
                    if lang_changed {
                        self.ctx.tr = i18n::load(s.lang);
                    }
                    self.ctx.settings = s.clone();
                    self.settings_view = SettingsViewState::default();
                    if tiles_changed {
                        let shipped =
                            s.tiles.online_url.is_none() && s.tiles.offline_path.is_none();
                        self.ctx.layers = MapLayers::new(
                            &self.ctx.rules,
                            self.ctx.authorisation.as_deref(),
                            shipped,
                        );
                        self.basemap =
                            Some(tiles::open_basemap(&s.tiles, &self.ctx.data_dir, ui_ctx));
                    }
                    s.theme.apply(ui_ctx);
                }
            }
        }
    }
}

impl VigieApp {
    /// A stream the station started after the window opened (one the vehicle announced) comes
    /// into the pane: the selected vehicle's, or the first one's.
    fn adopt_station_video(&mut self, snap: &StationSnapshot) {
        if self.video.is_some() && self.thermal.is_some() {
            return;
        }
        if self
            .video_looked_at
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return;
        }
        self.video_looked_at = Some(Instant::now());
        let Some(vehicle) = self
            .fly
            .selected
            .or_else(|| snap.vehicles.keys().next().copied())
        else {
            return;
        };
        let label = format!("vehicle-{}", vehicle.0);
        if self.video.is_none()
            && let Some(slot) = self.station.video(vehicle)
        {
            self.video = Some(video::VideoPane::new(video::VideoFeed::from_slot(
                &label, slot,
            )));
        }
        if self.thermal.is_none()
            && let Some(slot) = self
                .station
                .camera(vehicle, vigie_station::video::Camera::Thermal)
        {
            self.thermal = Some(video::VideoPane::new(video::VideoFeed::from_slot(
                &format!("{label}-thermal"),
                slot,
            )));
        }
    }
}

impl eframe::App for VigieApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let cpu_s = frame.info().cpu_usage;
        let ui_ctx = ui.ctx().clone();
        if !self.theme_applied {
            self.ctx.settings.theme.apply(&ui_ctx);
            self.theme_applied = true;
        }
        let snap = self.snapshot.borrow().clone();
        self.adopt_station_video(&snap);
        let full = self.fly.video_full;
        for v in [&mut self.video, &mut self.thermal].into_iter().flatten() {
            v.update_at(&ui_ctx, full);
        }
        self.desk.poll();
        self.bell(&snap);
        let basemap = self.basemap.get_or_insert_with(|| {
            tiles::open_basemap(&self.ctx.settings.tiles, &self.ctx.data_dir, &ui_ctx)
        });
        let commands = app_ui(
            ui,
            &self.title,
            &self.ctx,
            &snap,
            basemap,
            video::Cameras {
                visible: self.video.as_ref(),
                thermal: self.thermal.as_ref(),
            },
            &mut AppViews {
                screen: &mut self.screen,
                fly: &mut self.fly,
                plan: &mut self.plan,
                desk: &mut self.desk,
                session: &mut self.session,
                settings: &mut self.settings_view,
            },
        );
        self.apply(&ui_ctx, commands);
        if let Some(i) = &mut self.instructor {
            instructor::window(&ui_ctx, &self.ctx.tr, i);
        }
        self.frames.record(self.started, cpu_s);
        if self.close_at.is_some_and(|t| Instant::now() >= t)
            || self.stop.as_ref().is_some_and(|s| *s.borrow())
        {
            if self.report_frames {
                self.frames.print();
            }
            ui_ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        // Telemetry at 10 Hz is enough for the instruments; video asks for its own repaints.
        ui_ctx.request_repaint_after(Duration::from_millis(100));
    }
}

impl VigieApp {
    /// A terminal bell for each new critical alarm, when the pilot asked for sound.
    fn bell(&mut self, snap: &StationSnapshot) {
        if !self.ctx.settings.alarm_sound {
            return;
        }
        for a in snap.alarms.iter().filter(|a| a.acknowledged_by.is_none()) {
            if a.severity == AlarmSeverity::Critical && self.rung_bell_for.insert(a.id.0) {
                eprint!("\x07");
            }
        }
    }
}

/// The mutable states of every view, borrowed for one frame.
pub struct AppViews<'a> {
    pub screen: &'a mut Screen,
    pub fly: &'a mut fly::FlyState,
    pub plan: &'a mut plan::PlanState,
    pub desk: &'a mut register_desk::DeskState,
    pub session: &'a mut session::SessionState,
    pub settings: &'a mut SettingsViewState,
}

/// The whole window: top bar (screens, TRAINING badge, session), the alarm banner, the event
/// log, then the current screen.
pub fn app_ui(
    ui: &mut egui::Ui,
    title: &str,
    ctx: &Context,
    snap: &StationSnapshot,
    basemap: &mut Basemap,
    cameras: video::Cameras,
    views: &mut AppViews,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    egui::Panel::top("top").show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.heading(title);
            if snap.session.training {
                training_badge_ui(ui, ctx);
            }
            ui.separator();
            for (screen, key) in [
                (Screen::Fly, "screen-fly"),
                (Screen::Plan, "screen-plan"),
                (Screen::Register, "screen-register"),
                (Screen::Session, "screen-session"),
                (Screen::Settings, "screen-settings"),
            ] {
                let on = *views.screen == screen;
                let b = egui::Button::new(RichText::new(tr.t(key)).strong())
                    .selected(on)
                    .min_size(Vec2::new(0.0, TARGET_PX));
                if ui.add(b).clicked() {
                    out.push(UiCommand::Show(screen));
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(
                tr.ta(
                    "top-session",
                    &[
                        (
                            "pilot",
                            snap.session
                                .pilot_name
                                .clone()
                                .unwrap_or_else(|| tr.t("none"))
                                .into(),
                        ),
                        (
                            "arrete",
                            snap.session
                                .arrete
                                .clone()
                                .unwrap_or_else(|| tr.t("none"))
                                .into(),
                        ),
                    ],
                ),
            );
        });
    });
    out.extend(alarms_ui(ui, ctx, snap));
    egui::Panel::bottom("log")
        .default_size(120.0)
        .resizable(true)
        .show(ui, |ui| events::log_ui(ui, tr, &ctx.palette, snap));
    egui::CentralPanel::default().show(ui, |ui| match *views.screen {
        Screen::Fly => out.extend(fly::fly_ui(ui, ctx, snap, basemap, cameras, views.fly)),
        Screen::Plan => out.extend(plan::plan_ui(
            ui,
            ctx,
            snap,
            basemap,
            views.plan,
            views.fly.selected,
        )),
        Screen::Register => out.extend(register_desk::register_desk_ui(
            ui, ctx, basemap, views.desk,
        )),
        Screen::Session => out.extend(session::session_ui(ui, ctx, snap, views.session)),
        Screen::Settings => {
            out.extend(settings::settings_ui(ui, tr, &ctx.settings, views.settings))
        }
    });
    out
}

/// The TRAINING badge: a word in a box, never just a colour.
pub fn training_badge_ui(ui: &mut egui::Ui, ctx: &Context) {
    let p = &ctx.palette;
    egui::Frame::new()
        .fill(p.training)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .corner_radius(4)
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!("▲ {}", ctx.tr.t("training-badge")))
                    .color(Color32::WHITE)
                    .strong()
                    .size(20.0),
            );
        });
}

/// Every alarm not yet acknowledged, in a band across the window that cannot be missed, each
/// with its acknowledgement button.
pub fn alarms_ui(ui: &mut egui::Ui, ctx: &Context, snap: &StationSnapshot) -> Vec<UiCommand> {
    let mut out = vec![];
    let active: Vec<_> = snap
        .alarms
        .iter()
        .filter(|a| a.acknowledged_by.is_none())
        .collect();
    if active.is_empty() {
        return out;
    }
    let p = &ctx.palette;
    let tr = &ctx.tr;
    let critical = active.iter().any(|a| a.severity == AlarmSeverity::Critical);
    egui::Panel::top("alarms")
        .frame(
            egui::Frame::new()
                .fill(if critical { p.deny } else { p.warn })
                .inner_margin(egui::Margin::symmetric(12, 8)),
        )
        .show(ui, |ui| {
            for a in active {
                ui.horizontal(|ui| {
                    let text = events::alarm_text(tr, snap, a);
                    ui.label(
                        RichText::new(format!(
                            "⚠ {} — {} {}",
                            tr.t(if a.severity == AlarmSeverity::Critical {
                                "alarm-critical"
                            } else {
                                "alarm-warning"
                            }),
                            tr.clock(a.raised_at),
                            text
                        ))
                        .color(Color32::WHITE)
                        .strong()
                        .size(20.0),
                    );
                    let by = snap
                        .session
                        .pilot_id
                        .clone()
                        .unwrap_or_else(|| "pilot".into());
                    let b = egui::Button::new(
                        RichText::new(tr.t("alarm-acknowledge")).strong().size(18.0),
                    )
                    .min_size(Vec2::new(160.0, TARGET_PX));
                    if ui.add(b).clicked() {
                        out.push(UiCommand::Station(StationCommand::Session(
                            SessionRequest::AcknowledgeAlarm { alarm: a.id, by },
                        )));
                    }
                });
            }
        });
    out
}

/// Open the window and run until it is closed.
pub fn run_window(config: AppConfig) -> eframe::Result<()> {
    let title = config.title.clone();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1440.0, 900.0])
            .with_title(&title),
        ..Default::default()
    };
    let app = VigieApp::new(config);
    eframe::run_native(
        "vigie",
        options,
        Box::new(|cc| {
            theme::install_fonts(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    )
}
