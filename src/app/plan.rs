//! The plan view: waypoints by clicking, drag to move, altitude per point, loiter and ROI items,
//! polygons, a perimeter patrol and a survey grid generated from a polygon, validation against
//! the rules as the plan changes (a refused leg is drawn red with the zone and the reason),
//! QGroundControl `.plan` import and export, and the upload through the station.

use chrono::Utc;
use egui::{RichText, Vec2};
use flight_rules::mission::cmd;
use flight_rules::{Action, Arg, Decision, Finding, LatLon, Severity, Situation, evaluate};
use geo::Buffer;
use vigie_station::{StationCommand, StationSnapshot, VehicleId, VehicleRequest};

use super::events::vehicle_name;
use super::map::{MapEvent, MapScene, MapState, RouteOverlay, map_ui};
use super::theme::TARGET_PX;
use super::tiles::Basemap;
use super::{Context, UiCommand};
use crate::plan_file::{PlanFile, PlanItem};

/// MAV_CMD_DO_SET_ROI_LOCATION: point the camera there (not a place to fly to).
pub const DO_SET_ROI_LOCATION: u16 = 195;

/// What a click on the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tool {
    #[default]
    Waypoint,
    Loiter,
    Roi,
    /// Add a vertex to the polygon being drawn.
    Polygon,
    /// Set the planned home (take-off point).
    Home,
}

pub struct PlanState {
    pub doc: PlanFile,
    pub tool: Tool,
    pub selected: Option<usize>,
    pub polygon: Vec<LatLon>,
    pub default_alt_m: f64,
    pub loiter_s: f64,
    pub patrol_offset_m: f64,
    pub survey_spacing_m: f64,
    pub survey_heading_deg: f64,
    pub path: String,
    pub message: Option<String>,
    pub map: MapState,
    /// The verdict of the last edit (the rules are pure: recomputed when the plan changes).
    pub verdict: Option<Decision>,
    verdict_of: Option<PlanFile>,
}

impl PlanState {
    pub fn new(ctx: &Context) -> Self {
        let doc = PlanFile {
            planned_home: Some((ctx.layers.home_view, 0.0)),
            ..PlanFile::default()
        };
        PlanState {
            doc,
            tool: Tool::Waypoint,
            selected: None,
            polygon: vec![],
            default_alt_m: 40.0,
            loiter_s: 30.0,
            patrol_offset_m: 30.0,
            survey_spacing_m: 60.0,
            survey_heading_deg: 0.0,
            path: ctx.data_dir.join("plan.plan").display().to_string(),
            message: None,
            map: MapState::new(false),
            verdict: None,
            verdict_of: None,
        }
    }

    /// Open a `.plan` (the message says what happened).
    pub fn load(&mut self, tr: &super::i18n::Tr, path: &std::path::Path) {
        let shown = path.display().to_string();
        self.path = shown.clone();
        self.message = Some(match std::fs::read_to_string(path) {
            Ok(text) => match PlanFile::parse(&text, &shown) {
                Ok(doc) => {
                    self.doc = doc;
                    self.selected = None;
                    self.fit_view();
                    tr.ta("plan-imported", &[("n", self.doc.items.len().into())])
                }
                Err(e) => e.to_string(),
            },
            Err(e) => format!("{shown}: {e}"),
        });
    }

    /// Centre the map on the plan and zoom so all of it shows (for a map about 800 px wide).
    pub fn fit_view(&mut self) {
        let mut pts: Vec<LatLon> = route_points(&self.doc)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        pts.extend(self.home());
        let Some(c) = centroid(&pts) else { return };
        let span_deg = pts
            .iter()
            .map(|p| {
                (p.lon_deg - c.lon_deg)
                    .abs()
                    .max((p.lat_deg - c.lat_deg).abs() / c.lat_deg.to_radians().cos())
            })
            .fold(0.0_f64, f64::max)
            * 2.0
            * 1.3;
        // 256 px per tile: the zoom at which `span_deg` fits in 800 px.
        let zoom = if span_deg > 0.0 {
            (800.0 * 360.0 / (span_deg * 256.0)).log2().clamp(8.0, 17.0)
        } else {
            15.0
        };
        let _ = self.map.memory.set_zoom(zoom.floor());
        self.map
            .memory
            .center_at(walkers::lon_lat(c.lon_deg, c.lat_deg));
    }

    pub fn home(&self) -> Option<LatLon> {
        self.doc.planned_home.map(|h| h.0)
    }

    /// Judge the plan as an upload would be judged (pure; no station needed).
    pub fn validate(&mut self, ctx: &Context) -> &Decision {
        if self.verdict.is_none() || self.verdict_of.as_ref() != Some(&self.doc) {
            self.verdict = Some(validate(ctx, &self.doc));
            self.verdict_of = Some(self.doc.clone());
        }
        self.verdict
            .get_or_insert_with(|| Decision::from_findings(vec![]))
    }
}

/// The rules' verdict on uploading `doc` (authorisation window and perimeter, zones along
/// every leg, ceiling, mission validity).
pub fn validate(ctx: &Context, doc: &PlanFile) -> Decision {
    let mission = doc.mission();
    let s = Situation {
        authorisation: ctx.authorisation.as_deref().cloned(),
        takeoff_point: doc.planned_home.map(|h| h.0),
        ground_amsl_m: doc.planned_home.map(|h| h.1).filter(|a| *a != 0.0),
        mission: Some(mission),
        ..Situation::default()
    };
    evaluate(&ctx.rules, &s, &Action::UploadMission, Utc::now())
}

/// The mission item a finding is about, when it names a leg (read from its typed message).
pub fn finding_item(f: &Finding) -> Option<u16> {
    fn walk(m: &flight_rules::Message) -> Option<u16> {
        if m.key == "what-leg-to-item"
            && let Some(Arg::Int(n)) = m.arg("seq")
        {
            return u16::try_from(*n).ok();
        }
        m.args.iter().find_map(|(_, a)| match a {
            Arg::Msg(inner) => walk(inner),
            _ => None,
        })
    }
    walk(&f.message)
}

/// What a refused leg says on the map: the rule and the zone, short enough to read there (the
/// full reason is in the list).
fn short_reason(f: &Finding) -> String {
    fn zone(m: &flight_rules::Message) -> Option<String> {
        if let Some(Arg::Text(z)) = m.arg("zone") {
            return Some(z.clone());
        }
        m.args.iter().find_map(|(_, a)| match a {
            Arg::Msg(inner) => zone(inner),
            _ => None,
        })
    }
    match zone(&f.message) {
        Some(z) => format!("{} {z}", f.rule_id),
        None => f.rule_id.to_string(),
    }
}

/// Route points of the plan (items with a position, ROI excluded) and the item of each.
pub fn route_points(doc: &PlanFile) -> Vec<(usize, LatLon)> {
    doc.items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.command != DO_SET_ROI_LOCATION)
        .filter_map(|(i, it)| it.position().map(|p| (i, p)))
        .collect()
}

/// The overlay the map draws: points numbered by item, refused legs in red with their reason.
pub fn route_overlay(ctx: &Context, state: &PlanState, decision: &Decision) -> RouteOverlay {
    let pts = route_points(&state.doc);
    let mut bad = vec![];
    for f in decision.blocking() {
        if let Some(seq) = finding_item(f)
            && let Some(k) = pts.iter().position(|(i, _)| *i == usize::from(seq))
            && !bad.iter().any(|(b, _, _)| *b == k)
        {
            bad.push((k, short_reason(f), ctx.tr.finding(f)));
        }
    }
    RouteOverlay {
        points: pts
            .iter()
            .map(|(i, p)| {
                let it = &state.doc.items[*i];
                let mark = match it.command {
                    cmd::NAV_LOITER_TIME | cmd::NAV_LOITER_UNLIM | cmd::NAV_LOITER_TURNS => "L",
                    cmd::NAV_TAKEOFF => "↑",
                    cmd::NAV_LAND => "↓",
                    _ => "",
                };
                (*p, format!("{}{mark}", i + 1))
            })
            .collect(),
        bad_legs: bad,
        home: state.home(),
        polygons: {
            let mut v = vec![state.polygon.clone()];
            v.extend(
                state
                    .doc
                    .items
                    .iter()
                    .filter(|it| it.command == DO_SET_ROI_LOCATION)
                    .filter_map(PlanItem::position)
                    .map(|p| vec![p]),
            );
            v
        },
        editable: true,
    }
}

/// A local east/north frame in metres around `origin` (enough for a few kilometres).
struct Local {
    origin: LatLon,
    m_per_deg_lon: f64,
}

const M_PER_DEG_LAT: f64 = 111_320.0;

impl Local {
    fn new(origin: LatLon) -> Self {
        Local {
            origin,
            m_per_deg_lon: M_PER_DEG_LAT * origin.lat_deg.to_radians().cos(),
        }
    }
    fn to(&self, p: LatLon) -> (f64, f64) {
        (
            (p.lon_deg - self.origin.lon_deg) * self.m_per_deg_lon,
            (p.lat_deg - self.origin.lat_deg) * M_PER_DEG_LAT,
        )
    }
    fn from(&self, (x, y): (f64, f64)) -> LatLon {
        LatLon::new(
            self.origin.lat_deg + y / M_PER_DEG_LAT,
            self.origin.lon_deg + x / self.m_per_deg_lon,
        )
    }
}

fn centroid(poly: &[LatLon]) -> Option<LatLon> {
    let n = poly.len();
    (n > 0).then(|| {
        LatLon::new(
            poly.iter().map(|p| p.lat_deg).sum::<f64>() / n as f64,
            poly.iter().map(|p| p.lon_deg).sum::<f64>() / n as f64,
        )
    })
}

/// A closed patrol loop `offset_m` inside `polygon` (miter joins keep its corners). None when
/// the polygon is degenerate or too narrow for the offset.
pub fn perimeter_patrol(polygon: &[LatLon], offset_m: f64) -> Option<Vec<LatLon>> {
    if polygon.len() < 3 || offset_m.is_nan() || offset_m < 0.0 {
        return None;
    }
    let local = Local::new(centroid(polygon)?);
    let ring: Vec<geo::Coord<f64>> = polygon
        .iter()
        .map(|p| {
            let (x, y) = local.to(*p);
            geo::coord! { x: x, y: y }
        })
        .collect();
    let poly = geo::Polygon::new(geo::LineString::new(ring), vec![]);
    let style = geo::algorithm::buffer::BufferStyle::new(-offset_m)
        .line_join(geo::algorithm::buffer::LineJoin::Miter(4.0));
    let inner = poly.buffer_with_style(style);
    let biggest = inner.0.into_iter().max_by(|a, b| {
        use geo::Area;
        a.unsigned_area().total_cmp(&b.unsigned_area())
    })?;
    let mut pts: Vec<LatLon> = biggest
        .exterior()
        .coords()
        .map(|c| local.from((c.x, c.y)))
        .collect();
    // Closed loop: end where it started.
    if pts.len() > 1 && pts.first() != pts.last() {
        let f = pts[0];
        pts.push(f);
    }
    (pts.len() >= 4).then_some(pts)
}

/// A survey grid ("lawnmower") over `polygon`: parallel passes `spacing_m` apart along
/// `heading_deg`, alternating direction, each clipped to the polygon.
pub fn survey_grid(polygon: &[LatLon], spacing_m: f64, heading_deg: f64) -> Vec<LatLon> {
    if polygon.len() < 3 || spacing_m.is_nan() || spacing_m <= 1.0 {
        return vec![];
    }
    let Some(c) = centroid(polygon) else {
        return vec![];
    };
    let local = Local::new(c);
    // Rotate so passes run along +y (the heading), sweep across x.
    let a = heading_deg.to_radians();
    let (sa, ca) = a.sin_cos();
    let rot = |(x, y): (f64, f64)| (x * ca - y * sa, x * sa + y * ca);
    let unrot = |(u, v): (f64, f64)| (u * ca + v * sa, -u * sa + v * ca);
    let pts: Vec<(f64, f64)> = polygon.iter().map(|p| rot(local.to(*p))).collect();
    let (min_u, max_u) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.0), hi.max(p.0))
        });
    let mut out = vec![];
    let mut u = min_u + spacing_m / 2.0;
    let mut forward = true;
    while u < max_u && out.len() < 2000 {
        // Where the line u = const crosses the polygon's edges.
        let mut vs: Vec<f64> = vec![];
        for i in 0..pts.len() {
            let (p, q) = (pts[i], pts[(i + 1) % pts.len()]);
            if (p.0 <= u) != (q.0 <= u) {
                let t = (u - p.0) / (q.0 - p.0);
                vs.push(p.1 + t * (q.1 - p.1));
            }
        }
        vs.sort_by(f64::total_cmp);
        if vs.len() >= 2 {
            let (lo, hi) = (vs[0], vs[vs.len() - 1]);
            let (s, e) = if forward { (lo, hi) } else { (hi, lo) };
            out.push(local.from(unrot((u, s))));
            out.push(local.from(unrot((u, e))));
            forward = !forward;
        }
        u += spacing_m;
    }
    out
}

fn item_label(tr: &super::i18n::Tr, it: &PlanItem) -> String {
    tr.t(match it.command {
        cmd::NAV_TAKEOFF => "item-takeoff",
        cmd::NAV_WAYPOINT => "item-waypoint",
        cmd::NAV_LOITER_TIME | cmd::NAV_LOITER_UNLIM | cmd::NAV_LOITER_TURNS => "item-loiter",
        cmd::NAV_LAND => "item-land",
        cmd::NAV_RETURN_TO_LAUNCH => "item-rtl",
        DO_SET_ROI_LOCATION => "item-roi",
        _ => return tr.ta("item-other", &[("command", i64::from(it.command).into())]),
    })
}

fn apply_map_event(state: &mut PlanState, e: MapEvent) {
    match e {
        MapEvent::Clicked(at) => match state.tool {
            Tool::Waypoint => {
                state.doc.items.push(PlanItem::nav(
                    cmd::NAV_WAYPOINT,
                    at,
                    state.default_alt_m,
                    0.0,
                ));
                state.selected = Some(state.doc.items.len() - 1);
            }
            Tool::Loiter => {
                state.doc.items.push(PlanItem::nav(
                    cmd::NAV_LOITER_TIME,
                    at,
                    state.default_alt_m,
                    state.loiter_s,
                ));
                state.selected = Some(state.doc.items.len() - 1);
            }
            Tool::Roi => {
                state
                    .doc
                    .items
                    .push(PlanItem::nav(DO_SET_ROI_LOCATION, at, 0.0, 0.0));
                state.selected = Some(state.doc.items.len() - 1);
            }
            Tool::Polygon => state.polygon.push(at),
            Tool::Home => {
                let alt = state.doc.planned_home.map_or(0.0, |h| h.1);
                state.doc.planned_home = Some((at, alt));
            }
        },
        MapEvent::Moved(k, at) => {
            let pts = route_points(&state.doc);
            if let Some((i, _)) = pts.get(k)
                && let Some(it) = state.doc.items.get_mut(*i)
            {
                it.set_position(at);
                state.selected = Some(*i);
            }
        }
    }
}

/// Add `points` as waypoints at the default altitude, with a take-off first if there is none.
fn add_route(state: &mut PlanState, points: &[LatLon]) {
    if !state
        .doc
        .items
        .iter()
        .any(|i| i.command == cmd::NAV_TAKEOFF)
    {
        let mut t = PlanItem::nav(
            cmd::NAV_TAKEOFF,
            LatLon::new(0.0, 0.0),
            state.default_alt_m,
            0.0,
        );
        t.params[4] = Some(0.0);
        t.params[5] = Some(0.0);
        state.doc.items.insert(0, t);
    }
    for p in points {
        state.doc.items.push(PlanItem::nav(
            cmd::NAV_WAYPOINT,
            *p,
            state.default_alt_m,
            0.0,
        ));
    }
}

/// The plan screen.
pub fn plan_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    basemap: &mut Basemap,
    state: &mut PlanState,
    vehicle: Option<VehicleId>,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = ctx.palette;
    let decision = state.validate(ctx).clone();
    egui::Panel::left("plan-tools")
        .default_size(470.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("plan-left")
                .show(ui, |ui| {
                    out.extend(plan_tools_ui(ui, ctx, snap, state, &decision, vehicle));
                });
        });
    egui::CentralPanel::default().show(ui, |ui| {
        let overlay = route_overlay(ctx, state, &decision);
        let scene = MapScene {
            layers: &ctx.layers,
            rules: &ctx.rules,
            authorisation: ctx.authorisation.as_deref(),
            snapshot: snap,
            selected: vehicle,
            route: Some(&overlay),
            target: None,
            palette: p,
            replay_track: None,
        };
        for e in map_ui(ui, tr, basemap, &mut state.map, &scene) {
            apply_map_event(state, e);
        }
    });
    out
}

/// The tools, the item list, the verdict and the file and upload buttons.
pub fn plan_tools_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    snap: &StationSnapshot,
    state: &mut PlanState,
    decision: &Decision,
    vehicle: Option<VehicleId>,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = &ctx.palette;
    ui.heading(tr.t("plan-title"));
    ui.label(tr.t("plan-click-does"));
    ui.horizontal_wrapped(|ui| {
        for (tool, key) in [
            (Tool::Waypoint, "tool-waypoint"),
            (Tool::Loiter, "tool-loiter"),
            (Tool::Roi, "tool-roi"),
            (Tool::Polygon, "tool-polygon"),
            (Tool::Home, "tool-home"),
        ] {
            let b = egui::Button::new(tr.t(key))
                .selected(state.tool == tool)
                .min_size(Vec2::new(0.0, TARGET_PX));
            if ui.add(b).clicked() {
                state.tool = tool;
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label(tr.t("plan-default-alt"));
        ui.add(
            egui::DragValue::new(&mut state.default_alt_m)
                .range(2.0..=500.0)
                .suffix(" m"),
        );
        ui.label(tr.t("plan-loiter-time"));
        ui.add(
            egui::DragValue::new(&mut state.loiter_s)
                .range(1.0..=3600.0)
                .suffix(" s"),
        );
    });
    ui.separator();
    // Generators from the polygon.
    ui.label(RichText::new(tr.ta("plan-polygon", &[("n", state.polygon.len().into())])).strong());
    ui.horizontal_wrapped(|ui| {
        ui.label(tr.t("plan-patrol-offset"));
        ui.add(
            egui::DragValue::new(&mut state.patrol_offset_m)
                .range(0.0..=1000.0)
                .suffix(" m"),
        );
        if ui
            .add_enabled(
                state.polygon.len() >= 3,
                egui::Button::new(tr.t("btn-patrol")).min_size(Vec2::new(0.0, TARGET_PX)),
            )
            .clicked()
        {
            match perimeter_patrol(&state.polygon, state.patrol_offset_m) {
                Some(loop_pts) => {
                    add_route(state, &loop_pts);
                    state.message = Some(tr.ta("plan-generated", &[("n", loop_pts.len().into())]));
                }
                None => state.message = Some(tr.t("plan-patrol-too-narrow")),
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(tr.t("plan-survey-spacing"));
        ui.add(
            egui::DragValue::new(&mut state.survey_spacing_m)
                .range(5.0..=1000.0)
                .suffix(" m"),
        );
        ui.label(tr.t("plan-survey-heading"));
        ui.add(
            egui::DragValue::new(&mut state.survey_heading_deg)
                .range(0.0..=359.0)
                .suffix("°"),
        );
        if ui
            .add_enabled(
                state.polygon.len() >= 3,
                egui::Button::new(tr.t("btn-survey")).min_size(Vec2::new(0.0, TARGET_PX)),
            )
            .clicked()
        {
            let g = survey_grid(
                &state.polygon,
                state.survey_spacing_m,
                state.survey_heading_deg,
            );
            add_route(state, &g);
            state.message = Some(tr.ta("plan-generated", &[("n", g.len().into())]));
        }
        if ui
            .add(egui::Button::new(tr.t("btn-clear-polygon")).min_size(Vec2::new(0.0, TARGET_PX)))
            .clicked()
        {
            state.polygon.clear();
        }
    });
    ui.separator();
    // The items, each with its altitude.
    let mut remove = None;
    egui::ScrollArea::vertical()
        .id_salt("plan-items")
        .max_height(260.0)
        .show(ui, |ui| {
            for (i, it) in state.doc.items.iter_mut().enumerate() {
                ui.horizontal(|ui| {
                    let on = state.selected == Some(i);
                    if ui
                        .add(egui::Button::selectable(
                            on,
                            format!("{} {}", i + 1, item_label(tr, it)),
                        ))
                        .clicked()
                    {
                        state.selected = Some(i);
                    }
                    let has_alt = it.command == cmd::NAV_TAKEOFF
                        || (it.position().is_some() && it.command != DO_SET_ROI_LOCATION);
                    if has_alt {
                        let mut alt = it.alt_m().unwrap_or(0.0);
                        if ui
                            .add(
                                egui::DragValue::new(&mut alt)
                                    .range(0.0..=500.0)
                                    .suffix(" m"),
                            )
                            .changed()
                        {
                            it.set_alt_m(alt);
                        }
                    }
                    if ui.button("✖").on_hover_text(tr.t("btn-remove")).clicked() {
                        remove = Some(i);
                    }
                });
            }
        });
    if let Some(i) = remove {
        state.doc.items.remove(i);
        state.selected = None;
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .add(egui::Button::new(tr.t("btn-add-rtl")).min_size(Vec2::new(0.0, TARGET_PX)))
            .clicked()
        {
            let mut it = PlanItem::nav(cmd::NAV_RETURN_TO_LAUNCH, LatLon::new(0.0, 0.0), 0.0, 0.0);
            it.params = [
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
                Some(0.0),
            ];
            it.altitude = None;
            state.doc.items.push(it);
        }
        if ui
            .add(egui::Button::new(tr.t("btn-clear-plan")).min_size(Vec2::new(0.0, TARGET_PX)))
            .clicked()
        {
            state.doc.items.clear();
            state.selected = None;
        }
    });
    ui.separator();
    // The rules' verdict, live.
    let (word, colour, mark) = match decision.verdict {
        flight_rules::Verdict::Allow => (tr.t("plan-valid"), p.go, "✔"),
        flight_rules::Verdict::Warn => (tr.t("plan-valid-warnings"), p.warn, "⚠"),
        flight_rules::Verdict::Deny => (tr.t("plan-refused"), p.deny, "✖"),
    };
    ui.label(
        RichText::new(format!("{mark} {word}"))
            .size(24.0)
            .strong()
            .color(colour),
    );
    for f in &decision.findings {
        let (c, m) = match f.severity {
            Severity::Blocking => (p.deny, "✖"),
            Severity::Warning => (p.warn, "⚠"),
            Severity::Info => (p.text, "ℹ"),
        };
        ui.label(RichText::new(format!("{m} {}", tr.finding(f))).color(c));
    }
    ui.separator();
    // Files.
    let l = ui.label(tr.t("plan-file"));
    ui.add(egui::TextEdit::singleline(&mut state.path).desired_width(440.0))
        .labelled_by(l.id);
    ui.horizontal_wrapped(|ui| {
        if ui
            .add(egui::Button::new(tr.t("btn-import")).min_size(Vec2::new(0.0, TARGET_PX)))
            .clicked()
        {
            let path = std::path::PathBuf::from(state.path.trim());
            state.load(tr, &path);
        }
        if ui
            .add(egui::Button::new(tr.t("btn-export")).min_size(Vec2::new(0.0, TARGET_PX)))
            .clicked()
        {
            let path = state.path.trim().to_string();
            state.message = Some(match std::fs::write(&path, state.doc.to_json()) {
                Ok(()) => tr.ta("plan-exported", &[("path", path.as_str().into())]),
                Err(e) => format!("{path}: {e}"),
            });
        }
    });
    // Upload through the station (judged there again).
    let name = vehicle.map(|v| vehicle_name(tr, v));
    let upload_label = tr.ta(
        "btn-upload",
        &[(
            "vehicle",
            name.clone()
                .unwrap_or_else(|| tr.t("no-vehicle-short"))
                .into(),
        )],
    );
    let connected = vehicle.is_some_and(|v| snap.vehicles.contains_key(&v));
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(
                connected && !decision.is_denied() && !state.doc.items.is_empty(),
                egui::Button::new(RichText::new(upload_label).strong().size(20.0))
                    .min_size(Vec2::new(220.0, TARGET_PX)),
            )
            .clicked()
            && let Some(v) = vehicle
        {
            out.push(UiCommand::Station(StationCommand::vehicle(
                v,
                VehicleRequest::UploadMission(state.doc.mission()),
            )));
            state.message = Some(tr.t("plan-upload-sent"));
        }
        if decision.is_denied() {
            ui.label(RichText::new(format!("✖ {}", tr.t("plan-upload-refused"))).color(p.deny));
        } else if !connected {
            ui.label(tr.t("no-vehicle"));
        }
    });
    if let Some(m) = &state.message {
        ui.label(RichText::new(m).strong());
    }
    out
}
