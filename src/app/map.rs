//! The map (walkers): basemap tiles, then everything the rules and the station know drawn over
//! it — zones by restriction with their names (concave shapes triangulated, never drawn as
//! convex hulls), the authorised perimeter, the on-board fence, the mission, each vehicle with
//! heading, trail and label, home, the wind, the predicted path and breach point, a scale bar,
//! north and the attribution. Clicks come back as positions; the caller decides what they mean.

use egui::{Align2, Color32, FontId, Pos2, Rect, Shape, Stroke, Vec2};
use flight_rules::{
    Authorisation, BreachInput, BreachKind, LatLon, Restriction, RuleSet, Shape as ZoneGeom,
};
use geo::TriangulateEarcut;
use vigie_station::{StationSnapshot, VehicleId, VehicleView};
use walkers::{Map, MapMemory, Position, Projector, lon_lat};

use super::i18n::Tr;
use super::theme::Palette;
use super::tiles::{Basemap, SHIPPED_PLACES};

/// One zone ready to draw: its triangles (filled) and rings (outlined), in lat/lon.
#[derive(Debug, Clone)]
pub struct ZoneShape {
    pub id: String,
    pub name: String,
    pub restriction: Restriction,
    pub triangles: Vec<[LatLon; 3]>,
    pub rings: Vec<Vec<LatLon>>,
    pub label_at: LatLon,
}

/// A place name over the shipped basemap.
#[derive(Debug, Clone)]
pub struct Place {
    pub name: String,
    pub at: LatLon,
    pub water: bool,
    pub rank: usize,
}

/// The geography taken once from the rules, the authorisation and the basemap.
#[derive(Debug, Clone)]
pub struct MapLayers {
    pub zones: Vec<ZoneShape>,
    /// The authorised perimeter (inclusion), one ring per polygon, with its name.
    pub perimeter: Vec<(String, Vec<LatLon>)>,
    /// What the station uploads as the fence (exclusions), for when it is on board.
    pub fence_exclusions: Vec<Vec<LatLon>>,
    pub places: Vec<Place>,
    /// The centre of the perimeter (or Istres), where the map opens.
    pub home_view: LatLon,
}

fn ring_of(p: &geo::Polygon<f64>) -> Vec<LatLon> {
    p.exterior()
        .coords()
        .map(|c| LatLon::new(c.y, c.x))
        .collect()
}

fn triangulate(p: &geo::Polygon<f64>) -> Vec<[LatLon; 3]> {
    p.earcut_triangles()
        .into_iter()
        .map(|t| {
            let [a, b, c] = t.to_array();
            [
                LatLon::from_coord(a),
                LatLon::from_coord(b),
                LatLon::from_coord(c),
            ]
        })
        .collect()
}

fn circle_polygon(center: LatLon, radius_m: f64) -> geo::Polygon<f64> {
    let ring: Vec<geo::Coord<f64>> = (0..=64)
        .map(|i| {
            let p = center.destination(f64::from(i) / 64.0 * 360.0, radius_m);
            p.to_coord()
        })
        .collect();
    geo::Polygon::new(geo::LineString::new(ring), vec![])
}

impl MapLayers {
    pub fn new(rules: &RuleSet, auth: Option<&Authorisation>, shipped_places: bool) -> Self {
        let mut zones = vec![];
        for z in rules.zones.zones() {
            if z.restriction == Restriction::NoRestriction {
                continue;
            }
            let mut triangles = vec![];
            let mut rings = vec![];
            for v in &z.volumes {
                let poly = match &v.shape {
                    ZoneGeom::Polygon(p) => p.clone(),
                    ZoneGeom::Circle { center, radius_m } => circle_polygon(*center, *radius_m),
                };
                triangles.extend(triangulate(&poly));
                rings.push(ring_of(&poly));
                for hole in poly.interiors() {
                    rings.push(hole.coords().map(|c| LatLon::new(c.y, c.x)).collect());
                }
            }
            let label_at = rings
                .first()
                .map(|r| {
                    let n = r.len().max(1) as f64;
                    LatLon::new(
                        r.iter().map(|p| p.lat_deg).sum::<f64>() / n,
                        r.iter().map(|p| p.lon_deg).sum::<f64>() / n,
                    )
                })
                .unwrap_or(LatLon::new(0.0, 0.0));
            zones.push(ZoneShape {
                id: z.identifier.clone(),
                name: z.name.clone(),
                restriction: z.restriction,
                triangles,
                rings,
                label_at,
            });
        }
        // Big zones first, so smaller ones (runway cores) are drawn over them.
        zones.sort_by(|a, b| {
            let area = |z: &ZoneShape| {
                z.triangles
                    .iter()
                    .map(|t| {
                        ((t[1].lon_deg - t[0].lon_deg) * (t[2].lat_deg - t[0].lat_deg)
                            - (t[2].lon_deg - t[0].lon_deg) * (t[1].lat_deg - t[0].lat_deg))
                            .abs()
                    })
                    .sum::<f64>()
            };
            area(b).total_cmp(&area(a))
        });
        let perimeter: Vec<(String, Vec<LatLon>)> = auth
            .map(|a| {
                a.perimeter
                    .iter()
                    .map(|(n, p)| (n.clone(), ring_of(p)))
                    .collect()
            })
            .unwrap_or_default();
        let fence_exclusions = auth
            .and_then(|a| {
                flight_rules::fence_plan(&rules.zones, a, &rules.limits, 100, chrono::Utc::now())
                    .ok()
            })
            .map(|plan| {
                plan.polygons
                    .iter()
                    .filter(|p| !p.inclusion)
                    .map(|p| p.vertices.clone())
                    .collect()
            })
            .unwrap_or_default();
        let home_view = perimeter
            .first()
            .map(|(_, r)| {
                let n = r.len().max(1) as f64;
                LatLon::new(
                    r.iter().map(|p| p.lat_deg).sum::<f64>() / n,
                    r.iter().map(|p| p.lon_deg).sum::<f64>() / n,
                )
            })
            .unwrap_or(LatLon::new(43.5150, 4.9890));
        MapLayers {
            zones,
            perimeter,
            fence_exclusions,
            places: if shipped_places {
                parse_places(SHIPPED_PLACES)
            } else {
                vec![]
            },
            home_view,
        }
    }
}

/// The place names of the shipped basemap (GeoJSON points with `nom`, `kind`, `rank`).
pub fn parse_places(text: &str) -> Vec<Place> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return vec![];
    };
    v.get("features")
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let p = f.get("properties")?;
            let c = f.get("geometry")?.get("coordinates")?.as_array()?;
            Some(Place {
                name: p.get("nom")?.as_str()?.to_string(),
                at: LatLon::new(c.get(1)?.as_f64()?, c.first()?.as_f64()?),
                water: p.get("kind").and_then(|k| k.as_str()) == Some("water"),
                rank: p
                    .get("rank")
                    .and_then(|r| r.as_u64())
                    .and_then(|r| usize::try_from(r).ok())
                    .unwrap_or(0),
            })
        })
        .collect()
}

/// A planned route to draw: points with their labels, and legs the rules refuse.
#[derive(Debug, Clone, Default)]
pub struct RouteOverlay {
    pub points: Vec<(LatLon, String)>,
    /// Leg index i goes from point i-1 (or home for 0) to point i; each refused one with its
    /// short label (rule and zone, drawn on the map) and its full reason.
    pub bad_legs: Vec<(usize, String, String)>,
    pub home: Option<LatLon>,
    /// Polygons being drawn or used by a generator.
    pub polygons: Vec<Vec<LatLon>>,
    /// Points can be dragged (plan view).
    pub editable: bool,
}

/// What is drawn this frame.
pub struct MapScene<'a> {
    pub layers: &'a MapLayers,
    pub rules: &'a RuleSet,
    pub authorisation: Option<&'a Authorisation>,
    pub snapshot: &'a StationSnapshot,
    pub selected: Option<VehicleId>,
    pub route: Option<&'a RouteOverlay>,
    /// A target the pilot picked (go here / orbit here), awaiting confirmation.
    pub target: Option<LatLon>,
    pub palette: Palette,
    /// A track from the register (register desk).
    pub replay_track: Option<&'a [(f64, f64)]>,
}

/// The map's own state between frames.
pub struct MapState {
    pub memory: MapMemory,
    /// Keep the selected vehicle in the centre.
    pub follow: bool,
}

impl MapState {
    pub fn new(follow: bool) -> Self {
        let mut memory = MapMemory::default();
        let _ = memory.set_zoom(14.0);
        MapState { memory, follow }
    }
}

/// What the pilot did on the map.
#[derive(Debug, Clone, PartialEq)]
pub enum MapEvent {
    Clicked(LatLon),
    /// A route point dragged to a new place.
    Moved(usize, LatLon),
}

fn pos(p: LatLon) -> Position {
    lon_lat(p.lon_deg, p.lat_deg)
}

fn screen(proj: &Projector, p: LatLon) -> Pos2 {
    proj.project(pos(p)).to_pos2()
}

fn unproject(proj: &Projector, p: Pos2) -> LatLon {
    let w = proj.unproject(p.to_vec2());
    LatLon::new(w.y(), w.x())
}

/// Text with a halo in the background colour: legible over any tile.
pub fn halo_text(
    painter: &egui::Painter,
    at: Pos2,
    anchor: Align2,
    text: &str,
    font: FontId,
    color: Color32,
    halo: Color32,
) {
    for d in [
        Vec2::new(-1.5, 0.0),
        Vec2::new(1.5, 0.0),
        Vec2::new(0.0, -1.5),
        Vec2::new(0.0, 1.5),
        Vec2::new(-1.0, -1.0),
        Vec2::new(1.0, 1.0),
        Vec2::new(-1.0, 1.0),
        Vec2::new(1.0, -1.0),
    ] {
        painter.text(at + d, anchor, text, font.clone(), halo);
    }
    painter.text(at, anchor, text, font, color);
}

fn zone_colour(p: &Palette, r: Restriction) -> Color32 {
    match r {
        Restriction::Prohibited => p.prohibited,
        Restriction::ReqAuthorisation | Restriction::USpace => p.auth_required,
        _ => p.conditional,
    }
}

/// The restriction as a word (the colour never says it alone).
pub fn restriction_word(tr: &Tr, r: Restriction) -> String {
    tr.t(match r {
        Restriction::Prohibited => "zone-prohibited",
        Restriction::ReqAuthorisation | Restriction::USpace => "zone-auth-required",
        Restriction::Conditional => "zone-conditional",
        Restriction::NoRestriction => "zone-none",
    })
}

fn dashed(painter: &egui::Painter, pts: &[Pos2], stroke: Stroke, dash: f32, gap: f32) {
    painter.extend(Shape::dashed_line(pts, stroke, dash, gap));
}

/// Draw the map and its overlays; returns what the pilot clicked or dragged.
pub fn map_ui(
    ui: &mut egui::Ui,
    tr: &Tr,
    basemap: &mut Basemap,
    state: &mut MapState,
    scene: &MapScene,
) -> Vec<MapEvent> {
    let mut events = vec![];
    let selected = scene
        .selected
        .and_then(|id| scene.snapshot.vehicles.get(&id).map(|v| (id, v)));
    let vehicle_pos = selected
        .and_then(|(_, v)| v.telemetry.position)
        .map(|p| LatLon::new(p.lat_deg, p.lon_deg));
    let centre = vehicle_pos.unwrap_or(scene.layers.home_view);
    if state.follow {
        state.memory.follow_my_position();
    } else if state.memory.detached().is_none() {
        state.memory.center_at(pos(centre));
    }
    let p = scene.palette;
    let attribution = basemap.attribution.clone();
    let shipped = basemap.shipped;
    let problem = basemap.error();
    let tiles = basemap.tiles();
    let map = Map::new(tiles, &mut state.memory, pos(centre))
        .zoom_with_ctrl(false)
        .double_click_to_zoom(true);
    let inner = map.show(ui, |ui, response, proj, _memory| {
        let painter = ui.painter().with_clip_rect(response.rect);
        let rect = response.rect;
        if shipped {
            places_ui(&painter, proj, &scene.layers.places, &p);
        }
        zones_ui(&painter, tr, proj, scene, rect);
        // The authorised perimeter: thick green line, named.
        for (name, ring) in &scene.layers.perimeter {
            let pts: Vec<Pos2> = ring.iter().map(|q| screen(proj, *q)).collect();
            painter.add(Shape::closed_line(
                pts.clone(),
                Stroke::new(4.0, p.perimeter),
            ));
            let top_left = pts
                .iter()
                .copied()
                .reduce(|a, b| Pos2::new(a.x.min(b.x), a.y.min(b.y)));
            if let Some(top) = top_left {
                halo_text(
                    &painter,
                    top + Vec2::new(0.0, -6.0),
                    Align2::LEFT_BOTTOM,
                    &tr.ta("map-perimeter", &[("name", name.as_str().into())]),
                    FontId::proportional(15.0),
                    p.perimeter,
                    Color32::WHITE,
                );
            }
        }
        // The on-board fence, dashed, once the station has it loaded on the selected vehicle.
        if selected.is_some_and(|(_, v)| v.fence.loaded) {
            for ring in &scene.layers.fence_exclusions {
                let mut pts: Vec<Pos2> = ring.iter().map(|q| screen(proj, *q)).collect();
                if let Some(f) = pts.first().copied() {
                    pts.push(f);
                }
                dashed(&painter, &pts, Stroke::new(2.5, p.fence), 10.0, 6.0);
            }
        }
        if let Some(track) = scene.replay_track {
            let pts: Vec<Pos2> = track
                .iter()
                .map(|(lat, lon)| screen(proj, LatLon::new(*lat, *lon)))
                .collect();
            painter.add(Shape::line(pts, Stroke::new(3.0, p.trail)));
        }
        if let Some(route) = scene.route {
            events.extend(route_ui(ui, &painter, tr, proj, route, &p));
        }
        // The vehicle's mission on board (fly view), when no draft route is shown.
        if scene.route.is_none()
            && let Some((_, v)) = selected
            && let Some(m) = &v.mission.mission
        {
            let pts: Vec<Pos2> = m
                .items
                .iter()
                .filter_map(|i| i.position())
                .map(|q| screen(proj, q))
                .collect();
            dashed(&painter, &pts, Stroke::new(3.0, p.mission), 12.0, 6.0);
            for (i, q) in pts.iter().enumerate() {
                painter.circle(*q, 9.0, Color32::WHITE, Stroke::new(2.0, p.mission));
                painter.text(
                    *q,
                    Align2::CENTER_CENTER,
                    (i + 1).to_string(),
                    FontId::proportional(12.0),
                    Color32::BLACK,
                );
            }
        }
        hotspots_ui(&painter, tr, proj, &scene.snapshot.hotspots);
        incidents_ui(&painter, tr, proj, &scene.snapshot.incidents);
        traffic_ui(&painter, tr, proj, scene.snapshot);
        // A label that would run over another vehicle (within its width to the right) goes on
        // the left of its own icon instead.
        let placed: Vec<Pos2> = scene
            .snapshot
            .vehicles
            .values()
            .filter_map(|v| v.telemetry.position)
            .map(|q| screen(proj, LatLon::new(q.lat_deg, q.lon_deg)))
            .collect();
        for (id, v) in &scene.snapshot.vehicles {
            let at = v
                .telemetry
                .position
                .map(|q| screen(proj, LatLon::new(q.lat_deg, q.lon_deg)));
            let crowded = at.is_some_and(|c| {
                placed
                    .iter()
                    .any(|o| (o.y - c.y).abs() < 30.0 && o.x > c.x + 1.0 && o.x - c.x < 220.0)
            });
            let mark = Mark {
                id: *id,
                selected: scene.selected == Some(*id),
                label_left: crowded,
            };
            vehicle_ui(&painter, tr, proj, v, mark, &p);
        }
        if let Some((_, v)) = selected {
            prediction_ui(&painter, tr, proj, scene, v, &p);
        }
        if let Some(t) = scene.target {
            let c = screen(proj, t);
            painter.circle_stroke(c, 16.0, Stroke::new(3.0, p.selected));
            painter.line_segment(
                [c - Vec2::X * 22.0, c + Vec2::X * 22.0],
                Stroke::new(2.0, Color32::BLACK),
            );
            painter.line_segment(
                [c - Vec2::Y * 22.0, c + Vec2::Y * 22.0],
                Stroke::new(2.0, Color32::BLACK),
            );
        }
        chrome_ui(
            &painter,
            tr,
            proj,
            rect,
            scene,
            selected.map(|s| s.1),
            &attribution,
            &p,
        );
        if response.clicked()
            && let Some(at) = response.interact_pointer_pos()
        {
            events.push(MapEvent::Clicked(unproject(proj, at)));
        }
        if let Some(e) = &problem {
            halo_text(
                &painter,
                rect.left_bottom() + Vec2::new(8.0, -34.0),
                Align2::LEFT_BOTTOM,
                &tr.ta("map-tiles-problem", &[("detail", e.as_str().into())]),
                FontId::proportional(14.0),
                p.deny,
                Color32::WHITE,
            );
        }
    });
    // A drag detaches the map from the vehicle (walkers does it); reflect it in the toggle.
    if state.memory.detached().is_some() {
        state.follow = false;
    }
    drop(inner);
    events
}

fn places_ui(painter: &egui::Painter, proj: &Projector, places: &[Place], p: &Palette) {
    let zoom = proj.zoom();
    let max_rank = if zoom < 11.0 {
        6
    } else if zoom < 12.5 {
        16
    } else {
        usize::MAX
    };
    for pl in places.iter().filter(|pl| pl.water || pl.rank < max_rank) {
        let at = screen(proj, pl.at);
        let (color, size) = if pl.water {
            (Color32::from_rgb(20, 70, 130), 16.0)
        } else {
            (
                Color32::from_rgb(60, 50, 40),
                if pl.rank < 6 { 17.0 } else { 14.0 },
            )
        };
        halo_text(
            painter,
            at,
            Align2::CENTER_CENTER,
            &pl.name,
            FontId::proportional(size),
            color,
            Color32::from_rgba_unmultiplied(255, 255, 255, 200),
        );
        let _ = p;
    }
}

fn zones_ui(painter: &egui::Painter, tr: &Tr, proj: &Projector, scene: &MapScene, rect: Rect) {
    let p = &scene.palette;
    for z in &scene.layers.zones {
        let c = zone_colour(p, z.restriction);
        // A prohibited zone is filled strongly; a large authorisation zone (a CTR) only tints,
        // so the basemap under it stays readable: its dashed edge and its name say what it is.
        let alpha = if z.restriction == Restriction::Prohibited {
            70
        } else {
            18
        };
        let fill = Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), alpha);
        let mut mesh = egui::Mesh::default();
        for t in &z.triangles {
            let base = u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX);
            for q in t {
                mesh.colored_vertex(screen(proj, *q), fill);
            }
            mesh.add_triangle(base, base + 1, base + 2);
        }
        painter.add(Shape::mesh(mesh));
        for ring in &z.rings {
            let pts: Vec<Pos2> = ring.iter().map(|q| screen(proj, *q)).collect();
            if z.restriction == Restriction::Prohibited {
                painter.add(Shape::closed_line(pts, Stroke::new(3.0, c)));
            } else {
                let mut pts = pts;
                if let Some(f) = pts.first().copied() {
                    pts.push(f);
                }
                dashed(painter, &pts, Stroke::new(2.5, c), 14.0, 7.0);
            }
        }
        let at = screen(proj, z.label_at);
        if rect.contains(at) {
            let short = z.name.split(" (").next().unwrap_or(&z.name);
            halo_text(
                painter,
                at,
                Align2::CENTER_CENTER,
                &format!("{short}\n{}", restriction_word(tr, z.restriction)),
                FontId::proportional(14.0),
                c,
                Color32::WHITE,
            );
        }
    }
}

fn route_ui(
    ui: &mut egui::Ui,
    painter: &egui::Painter,
    tr: &Tr,
    proj: &Projector,
    route: &RouteOverlay,
    p: &Palette,
) -> Vec<MapEvent> {
    let mut events = vec![];
    for poly in &route.polygons {
        let mut pts: Vec<Pos2> = poly.iter().map(|q| screen(proj, *q)).collect();
        if pts.len() > 2
            && let Some(f) = pts.first().copied()
        {
            pts.push(f);
        }
        dashed(painter, &pts, Stroke::new(2.5, p.info), 8.0, 5.0);
        for q in &pts {
            painter.circle_filled(*q, 5.0, p.info);
        }
    }
    let mut prev = route.home.map(|h| screen(proj, h));
    for (i, (q, _)) in route.points.iter().enumerate() {
        let here = screen(proj, *q);
        if let Some(a) = prev {
            let bad = route.bad_legs.iter().find(|(k, _, _)| *k == i);
            match bad {
                Some((_, why, _)) => {
                    painter.line_segment([a, here], Stroke::new(6.0, p.deny));
                    let mid = a + (here - a) * 0.5;
                    halo_text(
                        painter,
                        mid + Vec2::new(0.0, -8.0),
                        Align2::CENTER_BOTTOM,
                        &format!("✖ {why}"),
                        FontId::proportional(14.0),
                        p.deny,
                        Color32::WHITE,
                    );
                }
                None => {
                    painter.line_segment([a, here], Stroke::new(3.5, p.mission));
                }
            }
        }
        prev = Some(here);
    }
    if let Some(h) = route.home {
        let c = screen(proj, h);
        painter.circle(c, 11.0, Color32::WHITE, Stroke::new(2.5, Color32::BLACK));
        painter.text(
            c,
            Align2::CENTER_CENTER,
            "H",
            FontId::proportional(14.0),
            Color32::BLACK,
        );
    }
    for (i, (q, label)) in route.points.iter().enumerate() {
        let c = screen(proj, *q);
        painter.circle(c, 13.0, Color32::WHITE, Stroke::new(3.0, p.mission));
        painter.text(
            c,
            Align2::CENTER_CENTER,
            label,
            FontId::proportional(14.0),
            Color32::BLACK,
        );
        if route.editable {
            let r = ui.interact(
                Rect::from_center_size(c, Vec2::splat(30.0)),
                egui::Id::unique(("route-point", i)),
                egui::Sense::drag(),
            );
            if r.dragged()
                && let Some(at) = r.interact_pointer_pos()
            {
                events.push(MapEvent::Moved(i, unproject(proj, at)));
            }
            let _ = r.on_hover_text(tr.t("plan-drag-hint"));
        }
    }
    events
}

/// Hot spots of the patrol: a red disc, its error as a ring to scale, its id.
fn hotspots_ui(
    painter: &egui::Painter,
    tr: &Tr,
    proj: &Projector,
    hotspots: &[vigie_patrol::Hotspot],
) {
    let fire = Color32::from_rgb(230, 40, 20);
    for h in hotspots {
        let c = screen(proj, h.pos);
        // The error radius in pixels: the same distance north of the spot, projected.
        let north = LatLon::new(h.pos.lat_deg + h.error_m / 111_320.0, h.pos.lon_deg);
        let r = (screen(proj, north) - c).length().max(10.0);
        painter.circle(
            c,
            r,
            Color32::from_rgba_unmultiplied(230, 40, 20, 40),
            Stroke::new(2.0, fire),
        );
        painter.circle(c, 7.0, fire, Stroke::new(2.0, Color32::WHITE));
        halo_text(
            painter,
            c + Vec2::new(10.0, -10.0),
            Align2::LEFT_BOTTOM,
            &tr.ta(
                "map-hotspot",
                &[
                    ("id", h.id.as_str().into()),
                    ("error", format!("{:.0}", h.error_m).into()),
                ],
            ),
            FontId::proportional(15.0),
            fire,
            Color32::WHITE,
        );
    }
}

/// Incidents from the CSU: a magenta square with "!" (a shape, not only a colour), its kind
/// and id beside it.
fn incidents_ui(
    painter: &egui::Painter,
    tr: &Tr,
    proj: &Projector,
    incidents: &[vigie_station::IncidentView],
) {
    let colour = Color32::from_rgb(200, 0, 160);
    for i in incidents {
        let c = screen(proj, LatLon::new(i.lat_deg, i.lon_deg));
        let r = egui::Rect::from_center_size(c, Vec2::splat(18.0));
        painter.rect_filled(r, 2.0, colour);
        painter.rect_stroke(
            r,
            2.0,
            Stroke::new(2.0, Color32::WHITE),
            egui::StrokeKind::Outside,
        );
        painter.text(
            c,
            Align2::CENTER_CENTER,
            "!",
            FontId::proportional(15.0),
            Color32::WHITE,
        );
        halo_text(
            painter,
            c + Vec2::new(12.0, -10.0),
            Align2::LEFT_BOTTOM,
            &tr.ta(
                "map-incident",
                &[
                    ("kind", i.kind.as_str().into()),
                    ("id", i.id.as_str().into()),
                ],
            ),
            FontId::proportional(15.0),
            colour,
            Color32::WHITE,
        );
    }
}

/// Manned traffic (the ground SBS-1 feed and each vehicle's ADS-B receiver, once per aircraft):
/// an orange diamond pointing along its track, callsign and altitude beside it.
fn traffic_ui(painter: &egui::Painter, tr: &Tr, proj: &Projector, snap: &StationSnapshot) {
    let orange = Color32::from_rgb(255, 140, 0);
    let mut seen = std::collections::BTreeSet::new();
    let all = snap.session.traffic.iter().chain(
        snap.vehicles
            .values()
            .flat_map(|v| v.telemetry.traffic.iter()),
    );
    for t in all {
        let Some(p) = t.position else { continue };
        if !seen.insert(t.icao.0) {
            continue;
        }
        let c = screen(proj, p);
        let a = t.track_deg.unwrap_or(0.0).to_radians() as f32;
        let dir = Vec2::new(a.sin(), -a.cos());
        let side = Vec2::new(dir.y, -dir.x);
        let pts = vec![
            c + dir * 14.0,
            c + side * 9.0,
            c - dir * 8.0,
            c - side * 9.0,
        ];
        painter.add(Shape::convex_polygon(
            pts,
            orange,
            Stroke::new(2.0, Color32::BLACK),
        ));
        let name = t
            .callsign
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| t.icao.to_string());
        let alt_ft = t
            .alt_m
            .map_or_else(|| "?".to_string(), |m| format!("{:.0}", m / 0.3048));
        halo_text(
            painter,
            c + Vec2::new(14.0, 0.0),
            Align2::LEFT_CENTER,
            &tr.ta(
                "map-traffic",
                &[("name", name.trim().into()), ("alt", alt_ft.into())],
            ),
            FontId::proportional(15.0),
            Color32::BLACK,
            Color32::WHITE,
        );
    }
}

/// How a vehicle is marked on the map this frame.
#[derive(Clone, Copy)]
struct Mark {
    id: VehicleId,
    selected: bool,
    /// Its label goes left of the icon (another vehicle is just right of it).
    label_left: bool,
}

fn vehicle_ui(
    painter: &egui::Painter,
    tr: &Tr,
    proj: &Projector,
    v: &VehicleView,
    mark: Mark,
    p: &Palette,
) {
    let Mark {
        id,
        selected,
        label_left,
    } = mark;
    let t = &v.telemetry;
    if v.track.len() > 1 {
        let pts: Vec<Pos2> = v
            .track
            .iter()
            .map(|(lat, lon, _)| screen(proj, LatLon::new(*lat, *lon)))
            .collect();
        painter.add(Shape::line(pts, Stroke::new(3.0, p.trail)));
    }
    if let Some(h) = t.home {
        let c = screen(proj, LatLon::new(h.lat_deg, h.lon_deg));
        painter.circle(c, 11.0, Color32::WHITE, Stroke::new(2.5, Color32::BLACK));
        painter.text(
            c,
            Align2::CENTER_CENTER,
            "H",
            FontId::proportional(14.0),
            Color32::BLACK,
        );
    }
    let Some(q) = t.position else { return };
    let c = screen(proj, LatLon::new(q.lat_deg, q.lon_deg));
    let heading = t.heading_deg.unwrap_or(0.0).to_radians() as f32;
    let dir = Vec2::new(heading.sin(), -heading.cos());
    let side = Vec2::new(-dir.y, dir.x);
    let body = if t.lost {
        Color32::from_gray(120)
    } else {
        p.vehicle
    };
    if selected {
        painter.circle_stroke(c, 24.0, Stroke::new(4.0, p.selected));
    }
    painter.add(Shape::convex_polygon(
        vec![
            c + dir * 20.0,
            c - dir * 11.0 + side * 12.0,
            c - dir * 5.0,
            c - dir * 11.0 - side * 12.0,
        ],
        body,
        Stroke::new(2.0, Color32::WHITE),
    ));
    let mut label = tr.ta("vehicle-name", &[("id", i64::from(id.0).into())]);
    label.push_str(&format!(" · {} m", tr.num(q.alt_rel_m, 0)));
    if t.lost {
        label.push_str(&format!(" · {}", tr.t("link-lost")));
    }
    let (offset, align) = if label_left {
        (Vec2::new(-26.0, 0.0), Align2::RIGHT_CENTER)
    } else {
        (Vec2::new(26.0, 0.0), Align2::LEFT_CENTER)
    };
    halo_text(
        painter,
        c + offset,
        align,
        &label,
        FontId::proportional(16.0),
        Color32::BLACK,
        Color32::WHITE,
    );
}

/// The next minute of flight along the present ground track, and where it would cross a
/// blocking boundary or the perimeter (the same prediction the station warns with).
fn prediction_ui(
    painter: &egui::Painter,
    tr: &Tr,
    proj: &Projector,
    scene: &MapScene,
    v: &VehicleView,
    p: &Palette,
) {
    let t = &v.telemetry;
    let (Some(q), Some(vel)) = (t.position, t.velocity_ned_mps) else {
        return;
    };
    let speed = vel[0].hypot(vel[1]);
    if !t.armed || speed < 0.5 {
        return;
    }
    let here = LatLon::new(q.lat_deg, q.lon_deg);
    let bearing = vel[1].atan2(vel[0]).to_degrees().rem_euclid(360.0);
    let ahead = here.destination(bearing, speed * 60.0);
    dashed(
        painter,
        &[screen(proj, here), screen(proj, ahead)],
        Stroke::new(2.5, p.vehicle),
        6.0,
        6.0,
    );
    let perimeter = scene
        .authorisation
        .map(Authorisation::perimeter_polygons)
        .unwrap_or_default();
    let unlocked: &[String] = scene
        .authorisation
        .map_or(&[], |a| a.unlocks_zones.as_slice());
    let input = BreachInput {
        pos: here,
        ground_velocity_ne_mps: [vel[0], vel[1]],
        wind: None,
        unlocked,
        now: chrono::Utc::now(),
        search_m: scene.rules.limits.zones.fence_lookahead_m,
    };
    let soonest = flight_rules::breach_prediction(&scene.rules.zones, &perimeter, &input)
        .into_iter()
        .filter_map(|b| b.time_s.filter(|s| *s > 0.0 && *s < 120.0).map(|s| (b, s)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((b, secs)) = soonest {
        let at = screen(proj, here.destination(bearing, speed * secs));
        painter.line_segment(
            [at - Vec2::splat(12.0), at + Vec2::splat(12.0)],
            Stroke::new(4.0, p.deny),
        );
        painter.line_segment(
            [at + Vec2::new(-12.0, 12.0), at + Vec2::new(12.0, -12.0)],
            Stroke::new(4.0, p.deny),
        );
        let what = match &b.kind {
            BreachKind::Zone { zone_name, .. } => zone_name.clone(),
            BreachKind::PerimeterExit => tr.t("map-perimeter-edge"),
        };
        halo_text(
            painter,
            at + Vec2::new(16.0, 0.0),
            Align2::LEFT_CENTER,
            &tr.ta(
                "map-breach",
                &[("what", what.into()), ("seconds", tr.num(secs, 0).into())],
            ),
            FontId::proportional(16.0),
            p.deny,
            Color32::WHITE,
        );
    }
}

/// Scale bar, north arrow, wind arrow, attribution.
#[allow(clippy::too_many_arguments)]
fn chrome_ui(
    painter: &egui::Painter,
    tr: &Tr,
    proj: &Projector,
    rect: Rect,
    scene: &MapScene,
    vehicle: Option<&VehicleView>,
    attribution: &str,
    p: &Palette,
) {
    // Scale bar: the largest round distance that fits in 160 px.
    let centre = unproject(proj, rect.center());
    let px_per_m = proj.scale_pixel_per_meter(pos(centre)).max(1e-6);
    let steps = [
        10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0,
    ];
    let metres = steps
        .iter()
        .copied()
        .rfind(|m| (*m as f32) * px_per_m <= 160.0)
        .unwrap_or(10.0);
    let len = metres as f32 * px_per_m;
    let o = rect.left_bottom() + Vec2::new(12.0, -48.0);
    painter.rect_filled(
        Rect::from_min_max(o + Vec2::new(-6.0, -30.0), o + Vec2::new(len + 60.0, 6.0)),
        4.0,
        Color32::from_rgba_unmultiplied(255, 255, 255, 220),
    );
    painter.line_segment([o, o + Vec2::X * len], Stroke::new(4.0, Color32::BLACK));
    for x in [0.0, len] {
        painter.line_segment(
            [o + Vec2::new(x, 0.0), o + Vec2::new(x, -10.0)],
            Stroke::new(3.0, Color32::BLACK),
        );
    }
    let label = if metres >= 1000.0 {
        format!("{} km", tr.num(metres / 1000.0, 0))
    } else {
        format!("{metres:.0} m")
    };
    painter.text(
        o + Vec2::new(len + 8.0, -2.0),
        Align2::LEFT_BOTTOM,
        label,
        FontId::proportional(15.0),
        Color32::BLACK,
    );
    // North: the map is north-up (Web Mercator).
    let n = rect.right_top() + Vec2::new(-34.0, 40.0);
    painter.circle(
        n,
        22.0,
        Color32::from_rgba_unmultiplied(255, 255, 255, 220),
        Stroke::new(2.0, Color32::BLACK),
    );
    painter.add(Shape::convex_polygon(
        vec![
            n + Vec2::new(0.0, -16.0),
            n + Vec2::new(8.0, 8.0),
            n + Vec2::new(0.0, 3.0),
            n + Vec2::new(-8.0, 8.0),
        ],
        Color32::BLACK,
        Stroke::NONE,
    ));
    painter.text(
        n + Vec2::new(0.0, 26.0),
        Align2::CENTER_TOP,
        "N",
        FontId::proportional(16.0),
        Color32::BLACK,
    );
    // Wind: the arrow points where the air goes; from the vehicle's estimate, else the ground.
    let wind = vehicle
        .and_then(|v| v.telemetry.wind.map(|w| (w.speed_mps, Some(w.from_deg))))
        .or_else(|| {
            scene
                .snapshot
                .session
                .ground_wind
                .iter()
                .max_by(|a, b| a.peak_mps().total_cmp(&b.peak_mps()))
                .map(|w| (w.peak_mps(), w.from_deg))
        });
    if let Some((mps, from)) = wind {
        let w = rect.right_top() + Vec2::new(-34.0, 118.0);
        painter.circle(
            w,
            22.0,
            Color32::from_rgba_unmultiplied(255, 255, 255, 220),
            Stroke::new(2.0, p.info),
        );
        if let Some(from) = from {
            let to = (from + 180.0).to_radians() as f32;
            let d = Vec2::new(to.sin(), -to.cos());
            painter.arrow(w - d * 16.0, d * 32.0, Stroke::new(4.0, p.info));
        }
        painter.text(
            w + Vec2::new(0.0, 26.0),
            Align2::CENTER_TOP,
            format!("{} km/h", tr.num(mps * 3.6, 0)),
            FontId::proportional(15.0),
            Color32::BLACK,
        );
    }
    if !attribution.is_empty() {
        let font = FontId::proportional(12.0);
        let galley = painter.layout(
            attribution.to_string(),
            font,
            Color32::BLACK,
            (rect.width() - 24.0).max(100.0),
        );
        let at = rect.right_bottom() - galley.size() - Vec2::splat(6.0);
        painter.rect_filled(
            Rect::from_min_size(at - Vec2::splat(3.0), galley.size() + Vec2::splat(6.0)),
            2.0,
            Color32::from_rgba_unmultiplied(255, 255, 255, 230),
        );
        painter.galley(at, galley, Color32::BLACK);
    }
}
