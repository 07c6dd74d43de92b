//! The register desk: flights with filters, one flight's record (events, alarms, refusals,
//! track on the map, video segments), evidence export (motive and recipient, with progress),
//! legal holds, replay in Rerun. Every read goes through `vigie_register`'s journaled calls
//! (R242-12: who, when, why) on a worker thread; the desk asks who acts and why before any.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use egui::{RichText, Vec2};
use vigie_register::{
    Actor, FlightFilter, FlightSummary, FlightView, HoldRelease, LegalHold, Register, RegisterKind,
};

use super::map::{MapScene, MapState, map_ui};
use super::theme::TARGET_PX;
use super::tiles::Basemap;
use super::{Context, UiCommand};

/// Who acts at the desk and why (written to the access journal with every read).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Who {
    pub actor_id: String,
    pub actor_name: String,
    pub role: String,
    pub motive: String,
}

impl Who {
    fn actor(&self) -> Actor {
        Actor {
            id: self.actor_id.trim().to_string(),
            name: if self.actor_name.trim().is_empty() {
                self.actor_id.trim().to_string()
            } else {
                self.actor_name.trim().to_string()
            },
            role: if self.role.trim().is_empty() {
                "agent".into()
            } else {
                self.role.trim().to_string()
            },
        }
    }

    /// The journal needs both.
    pub fn is_complete(&self) -> bool {
        !self.actor_id.trim().is_empty() && !self.motive.trim().is_empty()
    }
}

/// Flight filters as typed at the desk.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filters {
    pub from: String,
    pub to: String,
    pub pilot: String,
    pub arrete: String,
    pub on_hold_only: bool,
}

/// What the desk asks the register (on the worker thread).
#[derive(Debug, Clone, PartialEq)]
pub enum DeskRequest {
    List {
        training: bool,
        who: Who,
        filters: Filters,
    },
    Show {
        training: bool,
        who: Who,
        flight_id: String,
    },
    Export {
        training: bool,
        who: Who,
        flight_id: String,
        recipient: String,
        out_dir: PathBuf,
    },
    Hold {
        training: bool,
        who: Who,
        flight_id: String,
        procedure_ref: String,
    },
    Release {
        training: bool,
        who: Who,
        flight_id: String,
    },
    Replay {
        training: bool,
        who: Who,
        flight_id: String,
    },
}

/// What the worker answers.
#[derive(Debug)]
pub enum DeskReply {
    Flights(Vec<FlightSummary>),
    Flight(Box<FlightView>, Vec<(f64, f64)>),
    /// Bytes written so far of the expected total.
    Progress(u64, u64),
    Exported {
        dir: PathBuf,
        files: usize,
        entries: usize,
    },
    Done(String),
    Failed(String),
}

fn parse_day(s: &str, end: bool) -> Result<Option<DateTime<Utc>>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map_err(|_| format!("{s}: expected a day as YYYY-MM-DD or DD/MM/YYYY"))?;
    let t = if end {
        NaiveTime::from_hms_opt(23, 59, 59)
    } else {
        NaiveTime::from_hms_opt(0, 0, 0)
    };
    Ok(t.map(|t| d.and_time(t).and_utc()))
}

fn open(data_dir: &Path, training: bool) -> Result<Register, String> {
    let kind = if training {
        RegisterKind::Training
    } else {
        RegisterKind::Legal
    };
    Register::open(data_dir, kind).map_err(|e| e.to_string())
}

/// Sum of file sizes under `dir` (export progress).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// The Rerun viewer: `VIGIE_RERUN`, else `rerun` on PATH.
fn find_viewer() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("VIGIE_RERUN") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("rerun"))
        .find(|p| p.is_file())
}

/// Carry one request out. Every read here is one of the register's journaled calls.
fn serve(
    data_dir: &Path,
    req: DeskRequest,
    reply: &mpsc::Sender<DeskReply>,
) -> Result<DeskReply, String> {
    match req {
        DeskRequest::List {
            training,
            who,
            filters,
        } => {
            let filter = FlightFilter {
                from: parse_day(&filters.from, false)?,
                to: parse_day(&filters.to, true)?,
                pilot_id: Some(filters.pilot.trim().to_string()).filter(|s| !s.is_empty()),
                arrete_number: Some(filters.arrete.trim().to_string()).filter(|s| !s.is_empty()),
                ..FlightFilter::default()
            };
            let mut reg = open(data_dir, training)?;
            let mut flights = reg
                .list_flights(&filter, &who.actor(), who.motive.trim())
                .map_err(|e| e.to_string())?;
            if filters.on_hold_only {
                flights.retain(|f| f.on_hold);
            }
            flights.sort_by_key(|f| std::cmp::Reverse(f.started_at));
            Ok(DeskReply::Flights(flights))
        }
        DeskRequest::Show {
            training,
            who,
            flight_id,
        } => {
            let mut reg = open(data_dir, training)?;
            let view = reg
                .show_flight(&flight_id, &who.actor(), who.motive.trim())
                .map_err(|e| e.to_string())?;
            let track = view
                .seal
                .as_ref()
                .and_then(|s| s.rrd.as_ref())
                .and_then(|r| vigie_register::read_rrd_geo(&reg.resolve(&r.path)).ok())
                .map(|g| g.track.iter().map(|p| (p[0], p[1])).collect())
                .unwrap_or_default();
            Ok(DeskReply::Flight(Box::new(view), track))
        }
        DeskRequest::Export {
            training,
            who,
            flight_id,
            recipient,
            out_dir,
        } => {
            let mut reg = open(data_dir, training)?;
            // Expected size: the flight's files as sealed (tlog, rrd, segments).
            let view = reg
                .show_flight(&flight_id, &who.actor(), who.motive.trim())
                .map_err(|e| e.to_string())?;
            let mut expected: u64 = view
                .video_segments
                .iter()
                .filter_map(|(_, s)| s.as_ref().map(|s| s.file.bytes))
                .sum();
            if let Some(s) = &view.seal {
                expected +=
                    s.tlog.as_ref().map_or(0, |f| f.bytes) + s.rrd.as_ref().map_or(0, |f| f.bytes);
            }
            let expected = expected.max(1);
            let (stop_tx, stop_rx) = mpsc::channel::<()>();
            let watch_dir = out_dir.clone();
            let progress = reply.clone();
            let watcher = std::thread::spawn(move || {
                while stop_rx
                    .recv_timeout(std::time::Duration::from_millis(200))
                    .is_err()
                {
                    let _ = progress.send(DeskReply::Progress(dir_bytes(&watch_dir), expected));
                }
            });
            let r = reg.export_bundle(
                &flight_id,
                who.motive.trim(),
                recipient.trim(),
                &who.actor(),
                &out_dir,
            );
            let _ = stop_tx.send(());
            let _ = watcher.join();
            let r = r.map_err(|e| e.to_string())?;
            Ok(DeskReply::Exported {
                dir: r.dir,
                files: r.files,
                entries: r.chain_entries,
            })
        }
        DeskRequest::Hold {
            training,
            who,
            flight_id,
            procedure_ref,
        } => {
            let mut reg = open(data_dir, training)?;
            let now = reg.now();
            reg.place_hold(&LegalHold {
                flight_id: flight_id.clone(),
                procedure_ref: procedure_ref.trim().to_string(),
                placed_by: who.actor(),
                placed_at: now,
            })
            .map_err(|e| e.to_string())?;
            Ok(DeskReply::Done(flight_id))
        }
        DeskRequest::Release {
            training,
            who,
            flight_id,
        } => {
            let mut reg = open(data_dir, training)?;
            let now = reg.now();
            reg.release_hold(&HoldRelease {
                flight_id: flight_id.clone(),
                released_by: who.actor(),
                released_at: now,
                motive: who.motive.trim().to_string(),
            })
            .map_err(|e| e.to_string())?;
            Ok(DeskReply::Done(flight_id))
        }
        DeskRequest::Replay {
            training,
            who,
            flight_id,
        } => {
            let Some(viewer) = find_viewer() else {
                return Err("rerun-missing".into());
            };
            let mut reg = open(data_dir, training)?;
            let rrd = reg
                .replay(&flight_id, &who.actor(), who.motive.trim())
                .map_err(|e| e.to_string())?;
            std::process::Command::new(&viewer)
                .arg(&rrd)
                .spawn()
                .map_err(|e| format!("{}: {e}", viewer.display()))?;
            Ok(DeskReply::Done(rrd.display().to_string()))
        }
    }
}

/// One flight's record as read, and its track (lat, lon).
pub type OpenFlight = (Box<FlightView>, Vec<(f64, f64)>);

/// The desk's state, and the worker it talks to.
pub struct DeskState {
    pub training: bool,
    pub who: Who,
    pub filters: Filters,
    pub flights: Vec<FlightSummary>,
    pub flight: Option<OpenFlight>,
    pub recipient: String,
    pub out_dir: String,
    pub procedure_ref: String,
    pub busy: Option<(String, Instant)>,
    pub progress: Option<(u64, u64)>,
    pub message: Option<String>,
    pub map: MapState,
    /// Open the newest flight when the list comes back (the desk opened with a motive).
    pub open_first: bool,
    requests: Option<mpsc::Sender<DeskRequest>>,
    replies_tx: mpsc::Sender<DeskReply>,
    replies: mpsc::Receiver<DeskReply>,
    data_dir: PathBuf,
}

impl DeskState {
    pub fn new(data_dir: PathBuf) -> Self {
        let (replies_tx, replies) = mpsc::channel();
        DeskState {
            training: false,
            who: Who::default(),
            filters: Filters::default(),
            flights: vec![],
            flight: None,
            recipient: String::new(),
            out_dir: data_dir.join("exports").display().to_string(),
            procedure_ref: String::new(),
            busy: None,
            progress: None,
            message: None,
            map: MapState::new(false),
            open_first: false,
            requests: None,
            replies_tx,
            replies,
            data_dir,
        }
    }

    /// Hand a request to the worker (started on first use).
    pub fn send(&mut self, req: DeskRequest) {
        if self.requests.is_none() {
            let (tx, rx) = mpsc::channel::<DeskRequest>();
            let reply = self.replies_tx.clone();
            let dir = self.data_dir.clone();
            let spawned = std::thread::Builder::new()
                .name("vigie-register-desk".into())
                .spawn(move || {
                    while let Ok(req) = rx.recv() {
                        let r = serve(&dir, req, &reply).unwrap_or_else(DeskReply::Failed);
                        if reply.send(r).is_err() {
                            break;
                        }
                    }
                });
            match spawned {
                Ok(_) => self.requests = Some(tx),
                Err(e) => {
                    self.message = Some(e.to_string());
                    return;
                }
            }
        }
        let what = match &req {
            DeskRequest::List { .. } => "list",
            DeskRequest::Show { .. } => "show",
            DeskRequest::Export { .. } => "export",
            DeskRequest::Hold { .. } => "hold",
            DeskRequest::Release { .. } => "release",
            DeskRequest::Replay { .. } => "replay",
        };
        self.busy = Some((what.to_string(), Instant::now()));
        self.progress = None;
        if let Some(tx) = &self.requests
            && tx.send(req).is_err()
        {
            self.requests = None;
            self.busy = None;
        }
    }

    /// Take the worker's answers (never waits).
    pub fn poll(&mut self) {
        while let Ok(r) = self.replies.try_recv() {
            match r {
                DeskReply::Progress(done, total) => {
                    self.progress = Some((done, total));
                    continue;
                }
                DeskReply::Flights(f) => {
                    self.message = None;
                    self.flights = f;
                    if std::mem::take(&mut self.open_first)
                        && let Some(first) = self.flights.first()
                    {
                        let req = DeskRequest::Show {
                            training: self.training,
                            who: self.who.clone(),
                            flight_id: first.flight_id.clone(),
                        };
                        self.busy = None;
                        self.send(req);
                        continue;
                    }
                }
                DeskReply::Flight(v, t) => {
                    if let Some(&(lat, lon)) = t.first() {
                        self.map.memory.center_at(walkers::lon_lat(lon, lat));
                    }
                    self.flight = Some((v, t));
                }
                DeskReply::Exported {
                    dir,
                    files,
                    entries,
                } => {
                    self.message = Some(format!("✔ {} ({files} / {entries})", dir.display()));
                }
                DeskReply::Done(what) => self.message = Some(format!("✔ {what}")),
                DeskReply::Failed(e) => self.message = Some(format!("✖ {e}")),
            }
            self.busy = None;
            self.progress = None;
        }
    }

    /// Waiting for the worker (tests wait on it).
    pub fn is_busy(&self) -> bool {
        self.busy.is_some()
    }
}

/// A label and its field, side by side in a grid row (no end of row).
fn pair(ui: &mut egui::Ui, label: String, value: &mut String, width: f32) {
    let l = ui.label(label);
    ui.add_sized(
        Vec2::new(width, 36.0),
        egui::TextEdit::singleline(value).desired_width(width),
    )
    .labelled_by(l.id);
}

fn field(ui: &mut egui::Ui, label: String, value: &mut String, width: f32) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(width))
        .labelled_by(l.id);
    ui.end_row();
}

/// The register desk screen.
pub fn register_desk_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    basemap: &mut Basemap,
    state: &mut DeskState,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = &ctx.palette;
    egui::Panel::left("desk-list")
        .default_size(620.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("desk-left")
                .show(ui, |ui| {
                    ui.heading(tr.t("desk-title"));
                    egui::Grid::new("desk-who").num_columns(4).show(ui, |ui| {
                        pair(ui, tr.t("desk-actor"), &mut state.who.actor_id, 150.0);
                        pair(
                            ui,
                            tr.t("desk-actor-name"),
                            &mut state.who.actor_name,
                            200.0,
                        );
                        ui.end_row();
                        pair(ui, tr.t("desk-role"), &mut state.who.role, 150.0);
                        ui.end_row();
                    });
                    let l = ui.label(tr.t("desk-motive"));
                    ui.add(egui::TextEdit::singleline(&mut state.who.motive).desired_width(560.0))
                        .labelled_by(l.id);
                    ui.checkbox(&mut state.training, tr.t("desk-training-register"));
                    ui.separator();
                    egui::CollapsingHeader::new(tr.t("desk-filters"))
                        .default_open(false)
                        .show(ui, |ui| {
                            egui::Grid::new("desk-filters")
                                .num_columns(4)
                                .show(ui, |ui| {
                                    pair(ui, tr.t("desk-from"), &mut state.filters.from, 130.0);
                                    pair(ui, tr.t("desk-to"), &mut state.filters.to, 130.0);
                                    ui.end_row();
                                    pair(ui, tr.t("desk-pilot"), &mut state.filters.pilot, 130.0);
                                    pair(ui, tr.t("desk-arrete"), &mut state.filters.arrete, 130.0);
                                    ui.end_row();
                                });
                            ui.checkbox(&mut state.filters.on_hold_only, tr.t("desk-hold-only"));
                        });
                    let ready = state.who.is_complete() && state.busy.is_none();
                    ui.horizontal_wrapped(|ui| {
                        if ui
                            .add_enabled(
                                ready,
                                egui::Button::new(RichText::new(tr.t("desk-search")).strong())
                                    .min_size(Vec2::new(160.0, TARGET_PX)),
                            )
                            .clicked()
                        {
                            out.push(UiCommand::Register(DeskRequest::List {
                                training: state.training,
                                who: state.who.clone(),
                                filters: state.filters.clone(),
                            }));
                        }
                        if !state.who.is_complete() {
                            ui.label(
                                RichText::new(format!("✖ {}", tr.t("desk-who-needed")))
                                    .color(p.deny),
                            );
                        }
                    });
                    if let Some((what, since)) = &state.busy {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(tr.ta(
                                "desk-busy",
                                &[
                                    ("what", what.as_str().into()),
                                    ("s", tr.num(since.elapsed().as_secs_f64(), 0).into()),
                                ],
                            ));
                        });
                        if let Some((done, total)) = state.progress {
                            ui.add(
                                egui::ProgressBar::new((done as f32 / total as f32).min(1.0))
                                    .show_percentage()
                                    .desired_height(28.0),
                            );
                        }
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_millis(200));
                    }
                    if let Some(m) = &state.message {
                        let m = if m.ends_with("rerun-missing") {
                            tr.t("desk-rerun-missing")
                        } else {
                            m.clone()
                        };
                        ui.label(RichText::new(m).strong());
                    }
                    ui.separator();
                    ui.label(tr.ta("desk-flights", &[("n", state.flights.len().into())]));
                    egui::ScrollArea::vertical()
                        .id_salt("desk-flights")
                        .max_height(260.0)
                        .show(ui, |ui| {
                            egui::Grid::new("flights")
                                .striped(true)
                                .num_columns(6)
                                .show(ui, |ui| {
                                    for h in [
                                        "desk-col-start",
                                        "desk-col-pilot",
                                        "desk-col-arrete",
                                        "desk-col-place",
                                        "desk-col-state",
                                        "",
                                    ] {
                                        ui.label(
                                            RichText::new(if h.is_empty() {
                                                String::new()
                                            } else {
                                                tr.t(h)
                                            })
                                            .strong(),
                                        );
                                    }
                                    ui.end_row();
                                    for f in &state.flights {
                                        ui.label(tr.time(f.started_at));
                                        ui.label(&f.pilot_id);
                                        ui.label(&f.arrete_number);
                                        ui.label(&f.place);
                                        let mut st = if f.sealed {
                                            format!("✔ {}", tr.t("desk-sealed"))
                                        } else {
                                            format!("○ {}", tr.t("desk-open"))
                                        };
                                        if f.on_hold {
                                            st.push_str(&format!(" · § {}", tr.t("desk-on-hold")));
                                        }
                                        ui.label(st);
                                        if ui
                                            .add_enabled(
                                                ready,
                                                egui::Button::new(tr.t("desk-open-flight"))
                                                    .min_size(Vec2::new(0.0, 40.0)),
                                            )
                                            .clicked()
                                        {
                                            out.push(UiCommand::Register(DeskRequest::Show {
                                                training: state.training,
                                                who: state.who.clone(),
                                                flight_id: f.flight_id.clone(),
                                            }));
                                        }
                                        ui.end_row();
                                    }
                                });
                        });
                    if let Some((view, _)) = &state.flight {
                        ui.separator();
                        out.extend(flight_ui(ui, ctx, state, view.clone()));
                    }
                });
        });
    egui::CentralPanel::default().show(ui, |ui| {
        let snap = vigie_station::StationSnapshot::default();
        let track = state.flight.as_ref().map(|(_, t)| t.clone());
        let scene = MapScene {
            layers: &ctx.layers,
            rules: &ctx.rules,
            authorisation: ctx.authorisation.as_deref(),
            snapshot: &snap,
            selected: None,
            route: None,
            target: None,
            palette: *p,
            replay_track: track.as_deref(),
        };
        let _ = map_ui(ui, tr, basemap, &mut state.map, &scene);
    });
    out
}

/// One flight's record and what can be done with it.
fn flight_ui(
    ui: &mut egui::Ui,
    ctx: &Context,
    state: &mut DeskState,
    view: Box<FlightView>,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let tr = &ctx.tr;
    let p = &ctx.palette;
    let s = &view.start;
    ui.label(
        RichText::new(tr.ta("desk-flight", &[("id", s.flight_id.as_str().into())]))
            .strong()
            .size(20.0),
    );
    ui.label(tr.ta(
        "desk-flight-line",
        &[
            ("pilot", s.pilot_id.as_str().into()),
            ("aircraft", s.aircraft_registration.as_str().into()),
            ("arrete", s.arrete_number.as_str().into()),
            ("place", s.place.as_str().into()),
            ("start", tr.time(s.started_at).into()),
        ],
    ));
    if let Some(seal) = &view.seal {
        ui.label(tr.ta(
            "desk-seal",
            &[
                ("end", tr.time(seal.ended_at).into()),
                ("km", tr.num(seal.track.distance_m / 1000.0, 2).into()),
                ("alt", tr.num(seal.max_alt_agl_m, 0).into()),
            ],
        ));
    }
    if let Some(h) = &view.active_hold {
        ui.label(
            RichText::new(format!(
                "§ {}",
                tr.ta(
                    "desk-hold-line",
                    &[
                        ("reference", h.procedure_ref.as_str().into()),
                        ("by", h.placed_by.name.as_str().into()),
                    ]
                )
            ))
            .color(p.warn),
        );
    }
    let refusals = view
        .events
        .iter()
        .filter(|e| !e.rule_ids.is_empty())
        .count();
    ui.label(tr.ta(
        "desk-counts",
        &[
            ("events", view.events.len().into()),
            ("refusals", refusals.into()),
            ("segments", view.video_segments.len().into()),
            ("viewers", view.viewer_sessions.len().into()),
        ],
    ));
    egui::ScrollArea::vertical()
        .id_salt("desk-events")
        .max_height(180.0)
        .show(ui, |ui| {
            for e in &view.events {
                // The register keeps each event's code and rule IDs (typed) and its English
                // text as recorded; the text is shown as the evidence says it.
                let mark = if e.rule_ids.is_empty() { "·" } else { "✖" };
                ui.label(format!(
                    "{mark} {} [{}] {} {}",
                    tr.clock(e.at),
                    e.code,
                    e.rule_ids.join(","),
                    e.text
                ));
            }
            for (id, seg) in &view.video_segments {
                match seg {
                    Some(sg) => ui.label(format!(
                        "▶ #{id} {} {}–{} {}",
                        sg.camera,
                        tr.clock(sg.started_at),
                        tr.clock(sg.ended_at),
                        if sg.domicile {
                            tr.t("desk-domicile")
                        } else {
                            String::new()
                        }
                    )),
                    None => ui.label(format!("▶ #{id} {}", tr.t("desk-segment-erased"))),
                };
            }
        });
    let ready = state.who.is_complete() && state.busy.is_none();
    let id = s.flight_id.clone();
    egui::Grid::new("desk-actions")
        .num_columns(2)
        .show(ui, |ui| {
            field(ui, tr.t("desk-recipient"), &mut state.recipient, 260.0);
            field(ui, tr.t("desk-out-dir"), &mut state.out_dir, 320.0);
        });
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(
                ready && !state.recipient.trim().is_empty(),
                egui::Button::new(tr.t("desk-export")).min_size(Vec2::new(0.0, TARGET_PX)),
            )
            .clicked()
        {
            out.push(UiCommand::Register(DeskRequest::Export {
                training: state.training,
                who: state.who.clone(),
                flight_id: id.clone(),
                recipient: state.recipient.clone(),
                out_dir: PathBuf::from(state.out_dir.trim()).join(&id),
            }));
        }
        if ui
            .add_enabled(
                ready,
                egui::Button::new(tr.t("desk-replay")).min_size(Vec2::new(0.0, TARGET_PX)),
            )
            .clicked()
        {
            out.push(UiCommand::Register(DeskRequest::Replay {
                training: state.training,
                who: state.who.clone(),
                flight_id: id.clone(),
            }));
        }
    });
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(tr.t("desk-procedure"));
        ui.add(egui::TextEdit::singleline(&mut state.procedure_ref).desired_width(200.0))
            .labelled_by(l.id);
        if view.active_hold.is_none() {
            if ui
                .add_enabled(
                    ready && !state.procedure_ref.trim().is_empty(),
                    egui::Button::new(tr.t("desk-place-hold")).min_size(Vec2::new(0.0, TARGET_PX)),
                )
                .clicked()
            {
                out.push(UiCommand::Register(DeskRequest::Hold {
                    training: state.training,
                    who: state.who.clone(),
                    flight_id: id.clone(),
                    procedure_ref: state.procedure_ref.clone(),
                }));
            }
        } else if ui
            .add_enabled(
                ready,
                egui::Button::new(tr.t("desk-release-hold")).min_size(Vec2::new(0.0, TARGET_PX)),
            )
            .clicked()
        {
            out.push(UiCommand::Register(DeskRequest::Release {
                training: state.training,
                who: state.who.clone(),
                flight_id: id.clone(),
            }));
        }
    });
    out
}
