//! The desktop app (eframe/egui). It reads the station's snapshot and emits commands; it never
//! mutates the station. Every function drawing into a `Ui` ends in `_ui`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, Pos2, Stroke, Vec2};
use flight_rules::{Decision, Restriction, RuleSet, Severity, Shape, Verdict};
use vigie_station::{
    EventLevel, StationCommand, StationHandle, StationSnapshot, VehicleId, VehicleRequest,
    VehicleView,
};

/// True when a window can be opened.
pub fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Start receiving a video stream for the UI; None (with a log line) when it cannot start.
pub fn start_video(uri: &str) -> Option<vigie_video::Ingest> {
    if let Err(e) = vigie_video::init() {
        tracing::warn!("video disabled: {e}");
        return None;
    }
    let source = match vigie_video::SourceUri::parse(uri) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("video disabled: {e}");
            return None;
        }
    };
    match vigie_video::Ingest::start(
        vigie_video::IngestConfig::new("vehicle-1", source),
        vigie_video::Events::log_only(),
    ) {
        Ok(i) => Some(i),
        Err(e) => {
            tracing::warn!("video disabled: {e}");
            None
        }
    }
}

/// What the pilot clicked this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum UiCommand {
    Station(StationCommand),
    /// Command this vehicle from now on.
    Select(VehicleId),
}

/// The geography drawn on the map, taken once from the rules.
#[derive(Debug, Clone, Default)]
pub struct MapLayers {
    /// (polygon ring as (lat, lon), prohibited?)
    pub zones: Vec<(Vec<(f64, f64)>, bool)>,
    pub perimeter: Vec<Vec<(f64, f64)>>,
}

impl MapLayers {
    pub fn from_rules(rules: &RuleSet, perimeter: &[(String, geo::Polygon<f64>)]) -> Self {
        let ring = |p: &geo::Polygon<f64>| {
            p.exterior()
                .coords()
                .map(|c| (c.y, c.x))
                .collect::<Vec<_>>()
        };
        let mut zones = Vec::new();
        for z in rules.zones.zones() {
            let prohibited = z.restriction == Restriction::Prohibited;
            for v in &z.volumes {
                match &v.shape {
                    Shape::Polygon(p) => zones.push((ring(p), prohibited)),
                    Shape::Circle { center, radius_m } => {
                        let pts = (0..48)
                            .map(|i| {
                                let a = f64::from(i) / 48.0 * std::f64::consts::TAU;
                                let dlat = radius_m * a.cos() / 111_320.0;
                                let dlon = radius_m * a.sin()
                                    / (111_320.0 * center.lat_deg.to_radians().cos());
                                (center.lat_deg + dlat, center.lon_deg + dlon)
                            })
                            .collect();
                        zones.push((pts, prohibited));
                    }
                }
            }
        }
        Self {
            zones,
            perimeter: perimeter.iter().map(|(_, p)| ring(p)).collect(),
        }
    }
}

pub struct VigieApp {
    station: StationHandle,
    snapshot: tokio::sync::watch::Receiver<StationSnapshot>,
    layers: MapLayers,
    video: Option<Arc<vigie_video::Ingest>>,
    texture: Option<egui::TextureHandle>,
    last_frame_seq: u64,
    /// The vehicle the buttons command (the first one heard until the pilot picks another).
    selected: Option<VehicleId>,
    title: String,
    close_at: Option<Instant>,
    /// Set by a stop signal (SIGINT, SIGTERM): the window closes and the station stops cleanly.
    stop: Option<tokio::sync::watch::Receiver<bool>>,
}

pub fn run_window(
    title: &str,
    station: StationHandle,
    _rt: tokio::runtime::Handle,
    video: Option<Arc<vigie_video::Ingest>>,
    duration: Option<Duration>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> anyhow::Result<()> {
    let layers = layers_for(&station);
    let mut app = VigieApp::new(title, station, layers, video, duration);
    app.stop = stop;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 800.0])
            .with_title(title),
        ..Default::default()
    };
    eframe::run_native("vigie", options, Box::new(|_cc| Ok(Box::new(app))))
        .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

fn layers_for(station: &StationHandle) -> MapLayers {
    let (rules, auth) = station.rules();
    MapLayers::from_rules(
        &rules,
        auth.as_ref().map(|a| a.perimeter.as_slice()).unwrap_or(&[]),
    )
}

impl VigieApp {
    pub fn new(
        title: &str,
        station: StationHandle,
        layers: MapLayers,
        video: Option<Arc<vigie_video::Ingest>>,
        duration: Option<Duration>,
    ) -> Self {
        Self {
            snapshot: station.snapshot(),
            station,
            layers,
            video,
            texture: None,
            last_frame_seq: u64::MAX,
            selected: None,
            title: title.to_string(),
            close_at: duration.map(|d| Instant::now() + d),
            stop: None,
        }
    }

    fn apply(&mut self, commands: Vec<UiCommand>) {
        for c in commands {
            match c {
                UiCommand::Station(cmd) => {
                    if !self.station.send(cmd) {
                        tracing::warn!("the station is busy: command not sent (press again)");
                    }
                }
                UiCommand::Select(id) => self.selected = Some(id),
            }
        }
    }
}

impl eframe::App for VigieApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let snap = self.snapshot.borrow().clone();
        if self
            .selected
            .is_none_or(|id| !snap.vehicles.contains_key(&id))
        {
            self.selected = snap.vehicles.keys().next().copied();
        }
        if let Some(video) = &self.video
            && let Some(frame) = video.frames().latest()
            && frame.seq != self.last_frame_seq
        {
            self.last_frame_seq = frame.seq;
            let image = egui::ColorImage::from_rgba_unmultiplied(
                [frame.width as usize, frame.height as usize],
                frame.rgba(),
            );
            match &mut self.texture {
                Some(t) => t.set(image, egui::TextureOptions::LINEAR),
                None => {
                    self.texture = Some(ui.ctx().load_texture(
                        "video",
                        image,
                        egui::TextureOptions::LINEAR,
                    ))
                }
            }
        }
        let commands = station_ui(
            ui,
            &self.title,
            &snap,
            self.selected,
            &self.layers,
            self.texture.as_ref(),
        );
        self.apply(commands);
        if self.close_at.is_some_and(|t| Instant::now() >= t)
            || self.stop.as_ref().is_some_and(|s| *s.borrow())
        {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        ui.ctx().request_repaint_after(Duration::from_millis(100));
    }
}

fn verdict_colour(v: Verdict) -> Color32 {
    match v {
        Verdict::Allow => Color32::from_rgb(40, 160, 60),
        Verdict::Warn => Color32::from_rgb(220, 150, 0),
        Verdict::Deny => Color32::from_rgb(200, 30, 30),
    }
}

/// The whole station screen. Returns what the pilot asked for.
pub fn station_ui(
    ui: &mut egui::Ui,
    title: &str,
    snap: &StationSnapshot,
    selected: Option<VehicleId>,
    layers: &MapLayers,
    video: Option<&egui::TextureHandle>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let vehicle = selected.and_then(|id| snap.vehicles.get(&id).map(|v| (id, v)));
    egui::Panel::top("status").show(ui, |ui| {
        out.extend(status_ui(ui, title, snap, vehicle));
    });
    egui::Panel::bottom("log")
        .default_size(150.0)
        .show(ui, |ui| log_ui(ui, snap));
    egui::Panel::left("controls")
        .default_size(360.0)
        .show(ui, |ui| out.extend(controls_ui(ui, vehicle)));
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(t) = video {
            let avail = ui.available_size();
            let h = (avail.y * 0.5).min(avail.x * 9.0 / 16.0);
            ui.add(egui::Image::new(t).fit_to_exact_size(Vec2::new(h * 16.0 / 9.0, h)));
        }
        map_ui(ui, layers, vehicle.map(|v| v.1));
    });
    out
}

fn status_ui(
    ui: &mut egui::Ui,
    title: &str,
    snap: &StationSnapshot,
    vehicle: Option<(VehicleId, &VehicleView)>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        ui.heading(title);
        if snap.session.training {
            ui.colored_label(
                Color32::from_rgb(30, 100, 200),
                "ENTRAÎNEMENT — hors registre légal",
            );
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "Pilote : {}",
            snap.session.pilot_name.as_deref().unwrap_or("aucun")
        ));
        ui.separator();
        ui.label(format!(
            "Arrêté : {}",
            snap.session.arrete.as_deref().unwrap_or("aucun")
        ));
        if snap.vehicles.len() > 1 {
            ui.separator();
            for id in snap.vehicles.keys() {
                let on = vehicle.is_some_and(|v| v.0 == *id);
                if ui.selectable_label(on, format!("Drone {}", id.0)).clicked() {
                    out.push(UiCommand::Select(*id));
                }
            }
        }
    });
    let Some((id, v)) = vehicle else {
        ui.label("Aucun drone connecté");
        return out;
    };
    let t = &v.telemetry;
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!("Drone {}", id.0));
        ui.separator();
        if t.lost {
            ui.colored_label(Color32::RED, "LIAISON PERDUE");
        }
        ui.label(if t.armed { "ARMÉ" } else { "désarmé" });
        ui.separator();
        ui.label(format!("Mode {}", t.mode));
        if let Some(p) = t.position {
            ui.separator();
            ui.label(format!("Hauteur {:.1} m", p.alt_rel_m));
        }
        if let Some(s) = t.ground_speed_mps {
            ui.separator();
            ui.label(format!("Vitesse {:.1} m/s", s));
        }
        if let Some(b) = t.battery {
            ui.separator();
            ui.label(format!(
                "Batterie {:.1} V {}",
                b.voltage_v,
                b.remaining_pct
                    .map(|p| format!("{p:.0} %"))
                    .unwrap_or_default()
            ));
        }
        if let Some(g) = t.gps {
            ui.separator();
            ui.label(format!(
                "GPS {:?} · {} sat",
                g.fix,
                g.satellites.unwrap_or(0)
            ));
        }
        if let Some(w) = t.wind {
            ui.separator();
            ui.label(format!(
                "Vent {:.0} km/h du {:.0}°",
                w.speed_mps * 3.6,
                w.from_deg
            ));
        }
        if t.fence.is_some_and(|f| f.breached) {
            ui.colored_label(Color32::RED, "SORTIE DE GÉOBARRIÈRE");
        }
    });
    out
}

fn findings_ui(ui: &mut egui::Ui, d: &Decision) {
    for f in &d.findings {
        let colour = match f.severity {
            Severity::Blocking => Color32::from_rgb(200, 30, 30),
            Severity::Warning => Color32::from_rgb(200, 130, 0),
            _ => ui.visuals().text_color(),
        };
        ui.colored_label(colour, format!("{} — {}", f.rule_id, f.reason));
    }
}

/// Go/no-go with reasons, and the flight buttons for the selected vehicle, named on each
/// button. ARM and TAKE-OFF are greyed when a rule says no; RTL, LAND and BRAKE never are.
pub fn controls_ui(
    ui: &mut egui::Ui,
    vehicle: Option<(VehicleId, &VehicleView)>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.heading("Pré-vol");
    let preflight = vehicle.and_then(|(_, v)| v.preflight.as_ref());
    let verdict = preflight.map_or(Verdict::Deny, |d| d.verdict);
    let (word, colour) = match verdict {
        Verdict::Deny => ("NO-GO", verdict_colour(Verdict::Deny)),
        v => ("GO", verdict_colour(v)),
    };
    ui.label(egui::RichText::new(word).size(28.0).strong().color(colour));
    if vehicle.is_none() {
        ui.label("En attente d'un drone…");
    }
    if let Some(d) = preflight {
        egui::ScrollArea::vertical()
            .id_salt("preflight")
            .max_height(220.0)
            .show(ui, |ui| findings_ui(ui, d));
    }
    if let Some((_, v)) = vehicle {
        ui.label(format!(
            "Géobarrière : {}{}",
            if v.fence.loaded {
                "chargée"
            } else {
                "non chargée"
            },
            if v.fence.enabled { ", active" } else { "" }
        ));
    }
    ui.separator();
    let can_fly = vehicle.is_some() && verdict != Verdict::Deny;
    let armed = vehicle.is_some_and(|(_, v)| v.telemetry.armed);
    let n = vehicle.map_or(String::new(), |(id, _)| format!(" {}", id.0));
    let big = |text: String| {
        egui::Button::new(egui::RichText::new(text).size(20.0)).min_size(Vec2::new(150.0, 48.0))
    };
    let send = |out: &mut Vec<UiCommand>, r: VehicleRequest| {
        if let Some((id, _)) = vehicle {
            out.push(UiCommand::Station(StationCommand::vehicle(id, r)));
        }
    };
    ui.horizontal(|ui| {
        if ui
            .add_enabled(vehicle.is_some(), big(format!("GÉOBARRIÈRE{n}")))
            .on_hover_text("Calculer et téléverser la géobarrière")
            .clicked()
        {
            send(&mut out, VehicleRequest::UploadFence);
        }
    });
    ui.horizontal(|ui| {
        if ui
            .add_enabled(can_fly && !armed, big(format!("ARM{n}")))
            .clicked()
        {
            send(&mut out, VehicleRequest::ArmInGuided);
        }
        if ui
            .add_enabled(can_fly && armed, big(format!("TAKE-OFF{n}")))
            .clicked()
        {
            send(&mut out, VehicleRequest::Takeoff { alt_rel_m: 40.0 });
        }
    });
    // Safety buttons are never greyed (with no vehicle they have nothing to command).
    ui.horizontal(|ui| {
        if ui.add(big(format!("RTL{n}"))).clicked() {
            send(&mut out, VehicleRequest::Rtl);
        }
        if ui.add(big(format!("LAND{n}"))).clicked() {
            send(&mut out, VehicleRequest::Land);
        }
        if ui.add(big(format!("BRAKE{n}"))).clicked() {
            send(&mut out, VehicleRequest::Brake);
        }
    });
    if let Some(m) = vehicle
        .and_then(|(_, v)| v.monitor.as_ref())
        .filter(|m| !m.findings.is_empty())
    {
        ui.separator();
        ui.heading("En vol");
        findings_ui(ui, m);
    }
    out
}

fn log_ui(ui: &mut egui::Ui, snap: &StationSnapshot) {
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for e in &snap.events {
                let line = format!(
                    "{} {}",
                    e.at.with_timezone(&chrono::Local).format("%H:%M:%S"),
                    e.describe()
                );
                match e.level {
                    EventLevel::Alarm => {
                        ui.colored_label(Color32::from_rgb(200, 30, 30), format!("ALARME {line}"))
                    }
                    EventLevel::Warning => ui.colored_label(Color32::from_rgb(180, 110, 0), line),
                    EventLevel::Info => ui.label(line),
                };
            }
        });
}

/// A plain local projection around the vehicle (or the perimeter): zones, perimeter, track.
fn map_ui(ui: &mut egui::Ui, layers: &MapLayers, vehicle: Option<&VehicleView>) {
    let track: Vec<(f64, f64)> = vehicle
        .map(|v| v.track.iter().map(|p| (p.0, p.1)).collect())
        .unwrap_or_default();
    let (rect, _) = ui.allocate_exact_size(ui.available_size(), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, Color32::from_rgb(226, 232, 220));
    let centre = vehicle
        .and_then(|v| v.telemetry.position.map(|p| (p.lat_deg, p.lon_deg)))
        .or_else(|| layers.perimeter.first().and_then(|p| p.first().copied()))
        .unwrap_or((43.515, 4.989));
    // 3 km across the shorter side.
    let m_per_px = 3000.0 / f64::from(rect.width().min(rect.height()).max(1.0));
    let cos_lat = centre.0.to_radians().cos();
    let to_screen = |(lat, lon): (f64, f64)| -> Pos2 {
        let x = (lon - centre.1) * 111_320.0 * cos_lat / m_per_px;
        let y = (lat - centre.0) * 111_320.0 / m_per_px;
        Pos2::new(rect.center().x + x as f32, rect.center().y - y as f32)
    };
    for (ring, prohibited) in &layers.zones {
        let pts: Vec<Pos2> = ring.iter().map(|&p| to_screen(p)).collect();
        let (fill, stroke) = if *prohibited {
            (
                Color32::from_rgba_unmultiplied(220, 40, 40, 50),
                Color32::from_rgb(200, 30, 30),
            )
        } else {
            (
                Color32::from_rgba_unmultiplied(240, 160, 0, 25),
                Color32::from_rgb(220, 140, 0),
            )
        };
        painter.add(egui::Shape::convex_polygon(pts.clone(), fill, Stroke::NONE));
        painter.add(egui::Shape::closed_line(pts, Stroke::new(1.5, stroke)));
    }
    for ring in &layers.perimeter {
        let pts: Vec<Pos2> = ring.iter().map(|&p| to_screen(p)).collect();
        painter.add(egui::Shape::closed_line(
            pts,
            Stroke::new(2.5, Color32::from_rgb(30, 140, 60)),
        ));
    }
    if track.len() > 1 {
        painter.add(egui::Shape::line(
            track.iter().map(|&p| to_screen(p)).collect(),
            Stroke::new(2.0, Color32::from_rgb(30, 90, 200)),
        ));
    }
    if let Some(t) = vehicle.map(|v| &v.telemetry) {
        if let Some(h) = t.home {
            painter.circle_stroke(
                to_screen((h.lat_deg, h.lon_deg)),
                6.0,
                Stroke::new(2.0, Color32::BLACK),
            );
        }
        if let Some(p) = t.position {
            let c = to_screen((p.lat_deg, p.lon_deg));
            let heading = t.heading_deg.unwrap_or(0.0).to_radians() as f32;
            let dir = Vec2::new(heading.sin(), -heading.cos());
            let side = Vec2::new(-dir.y, dir.x);
            painter.add(egui::Shape::convex_polygon(
                vec![
                    c + dir * 14.0,
                    c - dir * 8.0 + side * 8.0,
                    c - dir * 8.0 - side * 8.0,
                ],
                Color32::from_rgb(20, 60, 200),
                Stroke::new(1.0, Color32::WHITE),
            ));
        }
    }
    painter.text(
        rect.left_bottom() + Vec2::new(8.0, -8.0),
        egui::Align2::LEFT_BOTTOM,
        "1 km ≈ ⅓ de la carte",
        egui::FontId::proportional(12.0),
        Color32::DARK_GRAY,
    );
}
