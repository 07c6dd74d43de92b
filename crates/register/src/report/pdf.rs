//! The report as PDF (pdf-writer), A4, with DejaVu Sans embedded as a subset (every French
//! letter, and searchable text through a ToUnicode map). Layout first into a display list, so the
//! font subset is known before anything is written.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref, Str};

use super::html::facts;
use super::map::{self, Projection};
use super::time::{paris_hms, paris_time, paris_zone};
use super::{ReportData, ReportEvent, event_kind_fr};
use crate::error::{Error, Result};

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
const MONO: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 40.0;
const TOP: f32 = 46.0;
const BOTTOM: f32 = 56.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const INK: [f32; 3] = [0.11, 0.11, 0.11];
const GREY: [f32; 3] = [0.38, 0.38, 0.40];
const BLUE: [f32; 3] = [0.15, 0.25, 0.55];
const HEAD_BG: [f32; 3] = [0.91, 0.93, 0.97];
const ZEBRA: [f32; 3] = [0.97, 0.975, 0.985];
const RULE: [f32; 3] = [0.80, 0.81, 0.86];
const LABEL_BG: [f32; 3] = [0.94, 0.95, 0.97];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum F {
    Regular = 0,
    Bold = 1,
    Mono = 2,
}

struct Fonts {
    faces: [ttf_parser::Face<'static>; 3],
}

impl Fonts {
    fn load() -> Result<Fonts> {
        let parse = |data: &'static [u8], name: &str| {
            ttf_parser::Face::parse(data, 0).map_err(|e| Error::Recording {
                path: format!("embedded font {name}"),
                detail: e.to_string(),
            })
        };
        Ok(Fonts {
            faces: [
                parse(REGULAR, "DejaVuSans")?,
                parse(BOLD, "DejaVuSans-Bold")?,
                parse(MONO, "DejaVuSansMono")?,
            ],
        })
    }

    fn face(&self, f: F) -> &ttf_parser::Face<'static> {
        &self.faces[f as usize]
    }

    fn gid(&self, f: F, c: char) -> u16 {
        let face = self.face(f);
        face.glyph_index(c)
            .or_else(|| face.glyph_index('?'))
            .map_or(0, |g| g.0)
    }

    fn advance(&self, f: F, gid: u16) -> f32 {
        let face = self.face(f);
        f32::from(
            face.glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0),
        ) / f32::from(face.units_per_em())
    }

    fn width(&self, f: F, size: f32, text: &str) -> f32 {
        text.chars()
            .map(|c| self.advance(f, self.gid(f, c)))
            .sum::<f32>()
            * size
    }
}

enum Op {
    Text {
        font: F,
        size: f32,
        x: f32,
        /// Baseline, from the top of the page.
        y: f32,
        text: String,
        color: [f32; 3],
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<[f32; 3]>,
        stroke: Option<([f32; 3], f32)>,
    },
    Path {
        pts: Vec<(f32, f32)>,
        close: bool,
        fill: Option<[f32; 3]>,
        stroke: [f32; 3],
        width: f32,
        dash: Option<[f32; 2]>,
    },
    ClipBegin {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    ClipEnd,
}

struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    /// Top of the free space on the current page, from the top.
    y: f32,
}

/// Table cell: text and the font it is set in.
struct Cell(String, F);

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    fn need(&mut self, h: f32) {
        if self.y + h > PAGE_H - BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, font: F, size: f32, x: f32, baseline: f32, text: &str, color: [f32; 3]) {
        self.ops().push(Op::Text {
            font,
            size,
            x,
            y: baseline,
            text: text.to_string(),
            color,
        });
    }

    /// Break `text` into lines no wider than `width` (words first; a word too long, such as a
    /// hash, is cut between characters).
    fn wrap(&self, font: F, size: f32, text: &str, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.fonts.width(font, size, &candidate) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let mut rest = String::new();
                for c in word.chars() {
                    rest.push(c);
                    if self.fonts.width(font, size, &rest) > width {
                        rest.pop();
                        lines.push(std::mem::take(&mut rest));
                        rest.push(c);
                    }
                }
                line = rest;
            }
            lines.push(line);
        }
        lines
    }

    fn heading(&mut self, title: &str) {
        self.need(44.0);
        self.y += 14.0;
        let y = self.y;
        self.text(F::Bold, 12.5, MARGIN_X, y + 12.0, title, BLUE);
        self.ops().push(Op::Rect {
            x: MARGIN_X,
            y: y + 16.5,
            w: TEXT_W,
            h: 1.4,
            fill: Some(BLUE),
            stroke: None,
        });
        self.y += 24.0;
    }

    fn para(&mut self, font: F, size: f32, text: &str, color: [f32; 3]) {
        let lead = size * 1.35;
        for line in self.wrap(font, size, text, TEXT_W) {
            self.need(lead);
            let y = self.y;
            self.text(font, size, MARGIN_X, y + size, &line, color);
            self.y += lead;
        }
    }

    /// Two columns: bold labels on a tinted band, wrapped values.
    fn facts(&mut self, rows: &[(&str, String)]) {
        self.facts_in(rows, F::Regular, 9.0);
    }

    fn facts_in(&mut self, rows: &[(&str, String)], font: F, size: f32) {
        let (label_w, pad) = (118.0, 3.5);
        let lead = size * 1.32;
        for (label, value) in rows {
            let lines = self.wrap(font, size, value, TEXT_W - label_w - 2.0 * pad);
            let h = lines.len() as f32 * lead + 2.0 * pad;
            self.need(h);
            let y = self.y;
            self.ops().push(Op::Rect {
                x: MARGIN_X,
                y,
                w: label_w,
                h,
                fill: Some(LABEL_BG),
                stroke: None,
            });
            self.ops().push(Op::Rect {
                x: MARGIN_X,
                y,
                w: TEXT_W,
                h,
                fill: None,
                stroke: Some((RULE, 0.5)),
            });
            self.text(F::Bold, 9.0, MARGIN_X + pad, y + pad + size, label, INK);
            for (i, l) in lines.iter().enumerate() {
                self.text(
                    font,
                    size,
                    MARGIN_X + label_w + pad,
                    y + pad + size + i as f32 * lead,
                    l,
                    INK,
                );
            }
            self.y += h;
        }
    }

    /// A table with a header repeated on each page, zebra rows and wrapped cells.
    fn table(&mut self, headers: &[(&str, f32)], rows: &[Vec<Cell>]) {
        let (size, pad) = (8.0, 3.0);
        let lead = size * 1.3;
        let total: f32 = headers.iter().map(|h| h.1).sum();
        let widths: Vec<f32> = headers.iter().map(|h| h.1 / total * TEXT_W).collect();
        let header = |l: &mut Layout<'_>| {
            let h = lead + 2.0 * pad;
            l.need(h + lead + 2.0 * pad);
            let y = l.y;
            l.ops().push(Op::Rect {
                x: MARGIN_X,
                y,
                w: TEXT_W,
                h,
                fill: Some(HEAD_BG),
                stroke: None,
            });
            let mut x = MARGIN_X;
            for ((name, _), w) in headers.iter().zip(&widths) {
                l.text(F::Bold, size, x + pad, y + pad + size, name, INK);
                x += w;
            }
            l.y += h;
        };
        header(self);
        for (n, row) in rows.iter().enumerate() {
            let wrapped: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| self.wrap(c.1, cell_size(c.1), &c.0, w - 2.0 * pad))
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            let h = lines as f32 * lead + 2.0 * pad;
            if self.y + h > PAGE_H - BOTTOM {
                self.new_page();
                header(self);
            }
            let y = self.y;
            if n % 2 == 1 {
                self.ops().push(Op::Rect {
                    x: MARGIN_X,
                    y,
                    w: TEXT_W,
                    h,
                    fill: Some(ZEBRA),
                    stroke: None,
                });
            }
            self.ops().push(Op::Rect {
                x: MARGIN_X,
                y: y + h - 0.4,
                w: TEXT_W,
                h: 0.4,
                fill: Some(RULE),
                stroke: None,
            });
            let mut x = MARGIN_X;
            for ((cell, w), lines) in row.iter().zip(&widths).zip(&wrapped) {
                for (i, l) in lines.iter().enumerate() {
                    self.text(
                        cell.1,
                        cell_size(cell.1),
                        x + pad,
                        y + pad + size + i as f32 * lead,
                        l,
                        INK,
                    );
                }
                x += w;
            }
            self.y += h;
        }
        self.y += 4.0;
    }

    fn none(&mut self, text: &str) {
        self.para(F::Regular, 9.0, text, GREY);
    }

    fn map(&mut self, d: &ReportData, h: f32) {
        self.need(h + 30.0);
        let (x0, y0, w) = (MARGIN_X, self.y, TEXT_W);
        self.ops().push(Op::Rect {
            x: x0,
            y: y0,
            w,
            h,
            fill: Some([0.965, 0.97, 0.955]),
            stroke: Some(([0.6, 0.6, 0.6], 0.6)),
        });
        let pts = map::fit_points(&d.perimeter_lat_lon_deg, &d.track_lat_lon_deg, &d.zones);
        match Projection::fit(&pts, f64::from(w), f64::from(h)) {
            None => {
                self.text(
                    F::Regular,
                    10.0,
                    x0 + 12.0,
                    y0 + 24.0,
                    "aucune géométrie dans le registre",
                    GREY,
                );
            }
            Some(p) => {
                let to = |q: [f64; 2]| {
                    let (x, y) = p.xy(q);
                    (x0 + x as f32, y0 + y as f32)
                };
                self.ops().push(Op::ClipBegin { x: x0, y: y0, w, h });
                for z in &d.zones {
                    let c = map::zone_color(z.style);
                    let tint = [c[0] * 0.15 + 0.85, c[1] * 0.15 + 0.85, c[2] * 0.15 + 0.85];
                    let pts = z.ring_lat_lon_deg.iter().map(|q| to(*q)).collect();
                    self.ops().push(Op::Path {
                        pts,
                        close: true,
                        fill: Some(tint),
                        stroke: c,
                        width: 1.0,
                        dash: None,
                    });
                }
                for ring in &d.perimeter_lat_lon_deg {
                    let pts = ring.iter().map(|q| to(*q)).collect();
                    self.ops().push(Op::Path {
                        pts,
                        close: true,
                        fill: Some([0.92, 0.96, 0.92]),
                        stroke: map::PERIMETER,
                        width: 1.8,
                        dash: Some([6.0, 3.0]),
                    });
                }
                let track: Vec<(f32, f32)> = map::thin(&d.track_lat_lon_deg, 2000)
                    .into_iter()
                    .map(to)
                    .collect();
                if track.len() > 1 {
                    self.ops().push(Op::Path {
                        pts: track,
                        close: false,
                        fill: None,
                        stroke: map::TRACK,
                        width: 1.8,
                        dash: None,
                    });
                }
                if let (Some(la), Some(lo)) = (d.start.takeoff_lat_deg, d.start.takeoff_lon_deg) {
                    let (x, y) = to([la, lo]);
                    self.ops().push(Op::Rect {
                        x: x - 3.5,
                        y: y - 3.5,
                        w: 7.0,
                        h: 7.0,
                        fill: Some([1.0, 1.0, 1.0]),
                        stroke: Some((INK, 1.4)),
                    });
                    self.text(F::Regular, 8.5, x + 7.0, y + 3.0, "décollage", INK);
                }
                self.ops().push(Op::ClipEnd);
                let (m, len) = p.scale_bar(f64::from(w));
                self.ops().push(Op::Rect {
                    x: x0 + 12.0,
                    y: y0 + h - 16.0,
                    w: len as f32,
                    h: 4.0,
                    fill: Some(INK),
                    stroke: None,
                });
                self.text(
                    F::Regular,
                    8.5,
                    x0 + 12.0,
                    y0 + h - 20.0,
                    &map::scale_label(m),
                    INK,
                );
                self.text(F::Bold, 12.0, x0 + w - 30.0, y0 + 20.0, "N ↑", INK);
            }
        }
        self.y += h + 6.0;
        // Legend.
        let y = self.y;
        let mut x = MARGIN_X;
        for (label, c) in [
            ("périmètre autorisé", map::PERIMETER),
            ("trajectoire", map::TRACK),
            ("zone interdite", map::PROHIBITED),
            ("zone soumise à autorisation", map::RESTRICTED),
        ] {
            self.ops().push(Op::Rect {
                x,
                y: y + 4.0,
                w: 18.0,
                h: 3.0,
                fill: Some(c),
                stroke: None,
            });
            self.text(F::Regular, 8.5, x + 22.0, y + 8.5, label, INK);
            x += 22.0 + self.fonts.width(F::Regular, 8.5, label) + 16.0;
        }
        self.y += 16.0;
    }
}

/// Monospaced cells (hashes, codes) a little smaller, so a SHA-256 holds on one line.
fn cell_size(f: F) -> f32 {
    if f == F::Mono { 7.5 } else { 8.0 }
}

fn event_rows(events: &[ReportEvent], rules: bool) -> Vec<Vec<Cell>> {
    events
        .iter()
        .map(|e| {
            let mut r = vec![
                Cell(paris_hms(e.at), F::Regular),
                Cell(event_kind_fr(e.kind).into(), F::Regular),
                Cell(e.code.clone(), F::Mono),
            ];
            if rules {
                r.push(Cell(e.rule_ids.join(", "), F::Mono));
            }
            r.push(Cell(e.text.clone(), F::Regular));
            r
        })
        .collect()
}

fn layout(d: &ReportData, fonts: &Fonts) -> Vec<Vec<Op>> {
    let mut l = Layout::new(fonts);
    // Title band.
    l.ops().push(Op::Rect {
        x: 0.0,
        y: 0.0,
        w: PAGE_W,
        h: 8.0,
        fill: Some(BLUE),
        stroke: None,
    });
    l.text(
        F::Bold,
        17.0,
        MARGIN_X,
        TOP + 14.0,
        "Compte rendu de vol",
        INK,
    );
    let y = TOP + 14.0;
    let right = &d.flight_id;
    let wid = fonts.width(F::Mono, 9.0, right);
    l.text(F::Mono, 9.0, PAGE_W - MARGIN_X - wid, y, right, GREY);
    l.y = TOP + 24.0;
    l.para(
        F::Regular,
        8.5,
        &format!(
            "Station {} — établi le {} ({}) à partir du seul registre ({}). Heures légales de Paris.",
            d.station,
            paris_time(d.generated_at),
            paris_zone(d.generated_at),
            d.register
        ),
        GREY,
    );
    l.y += 6.0;
    l.facts(&facts(d));
    l.heading("Carte du vol");
    l.map(d, 300.0);
    if let Some(n) = &d.track_note {
        l.none(n);
    }
    if let Some(z) = super::map::zones_line(d) {
        l.para(F::Regular, 8.5, &z, GREY);
    }
    let ev_head = [
        ("heure", 11.0),
        ("type", 13.0),
        ("code", 18.0),
        ("description", 58.0),
    ];
    let ev_rules = [
        ("heure", 11.0),
        ("type", 12.0),
        ("code", 17.0),
        ("règles", 17.0),
        ("description", 43.0),
    ];
    l.heading("Alarmes");
    if d.alarms.is_empty() {
        l.none("aucune");
    } else {
        l.table(&ev_head, &event_rows(&d.alarms, false));
    }
    l.heading("Refus par les règles de vol");
    if d.refusals.is_empty() {
        l.none("aucun");
    } else {
        l.table(&ev_rules, &event_rows(&d.refusals, true));
    }
    l.heading("Autres événements");
    if d.other_events.is_empty() {
        l.none("aucun");
    } else {
        l.table(&ev_rules, &event_rows(&d.other_events, true));
    }
    l.heading("Vent");
    if d.wind.is_empty() {
        l.none("aucune mesure enregistrée");
    } else {
        let rows: Vec<Vec<Cell>> = d
            .wind
            .iter()
            .map(|w| {
                vec![
                    Cell(paris_hms(w.at), F::Regular),
                    Cell(w.source.clone(), F::Regular),
                    Cell(format!("{:.0} km/h", w.speed_mps * 3.6), F::Regular),
                    Cell(
                        w.gust_mps
                            .map(|g| format!("{:.0} km/h", g * 3.6))
                            .unwrap_or_else(|| "—".into()),
                        F::Regular,
                    ),
                    Cell(
                        w.wind_from_deg
                            .map(|g| format!("{g:.0}°"))
                            .unwrap_or_else(|| "—".into()),
                        F::Regular,
                    ),
                    Cell(w.decision.clone(), F::Regular),
                ]
            })
            .collect();
        l.table(
            &[
                ("heure", 10.0),
                ("source", 22.0),
                ("moyen", 10.0),
                ("rafale", 10.0),
                ("de", 7.0),
                ("décision", 41.0),
            ],
            &rows,
        );
    }
    l.heading("Segments vidéo");
    if d.segments.is_empty() {
        l.none("aucun");
    } else {
        let rows: Vec<Vec<Cell>> = d
            .segments
            .iter()
            .map(|s| match &s.segment {
                Some(g) => vec![
                    Cell(s.entry_id.to_string(), F::Regular),
                    Cell(g.camera.clone(), F::Regular),
                    Cell(
                        format!("{} – {}", paris_hms(g.started_at), paris_hms(g.ended_at)),
                        F::Regular,
                    ),
                    Cell(g.file.sha256.clone(), F::Mono),
                    Cell(
                        format!(
                            "{}{}",
                            if s.file_intact == Some(true) {
                                "présent, intègre"
                            } else {
                                "absent ou modifié"
                            },
                            if g.domicile { " ; domicile (48 h)" } else { "" }
                        ),
                        F::Regular,
                    ),
                ],
                None => vec![
                    Cell(s.entry_id.to_string(), F::Regular),
                    Cell("—".into(), F::Regular),
                    Cell("—".into(), F::Regular),
                    Cell("effacé à l'échéance de conservation".into(), F::Regular),
                    Cell("effacé".into(), F::Regular),
                ],
            })
            .collect();
        l.table(
            &[
                ("entrée", 8.0),
                ("caméra", 8.0),
                ("heures", 13.0),
                ("SHA-256", 58.0),
                ("état", 13.0),
            ],
            &rows,
        );
    }
    l.heading("Spectateurs (retransmission en direct, L242-4)");
    if d.viewers.is_empty() {
        l.none("aucun");
    } else {
        let rows: Vec<Vec<Cell>> = d
            .viewers
            .iter()
            .map(|v| {
                vec![
                    Cell(format!("{} ({})", v.name, v.id), F::Regular),
                    Cell(v.role.clone(), F::Regular),
                    Cell(v.from.clone(), F::Regular),
                    Cell(v.stream.clone(), F::Mono),
                    Cell(
                        format!(
                            "{} – {}",
                            paris_hms(v.started_at),
                            v.ended_at.map(paris_hms).unwrap_or_else(|| "…".into())
                        ),
                        F::Regular,
                    ),
                ]
            })
            .collect();
        l.table(
            &[
                ("qui", 22.0),
                ("rôle", 16.0),
                ("depuis", 22.0),
                ("flux", 22.0),
                ("heures", 18.0),
            ],
            &rows,
        );
    }
    l.heading("Intégrité : scellement du vol");
    match (&d.seal_entry, &d.seal) {
        (Some(e), Some(s)) => {
            let mut rows: Vec<(&str, String)> = vec![
                (
                    "Entrée de scellement",
                    format!(
                        "n° {} (rang {} de la station), enregistrée le {}",
                        e.id,
                        e.station_seq,
                        chrono::DateTime::parse_from_rfc3339(&e.recorded_at).map_or_else(
                            |_| e.recorded_at.clone(),
                            |t| paris_time(t.with_timezone(&chrono::Utc))
                        )
                    ),
                ),
                ("Empreinte SHA-256", e.hash.clone()),
                (
                    "Signature Ed25519",
                    e.signature.clone().unwrap_or_else(|| "ABSENTE".into()),
                ),
            ];
            if let Some(f) = &s.tlog {
                rows.push(("Fichier tlog", format!("{} o — {}", f.bytes, f.sha256)));
            }
            if let Some(f) = &s.rrd {
                rows.push(("Fichier rrd", format!("{} o — {}", f.bytes, f.sha256)));
            }
            l.facts_in(&rows, F::Mono, 8.0);
            l.y += 6.0;
            l.para(
                F::Regular,
                9.0,
                &format!(
                    "Le scellement couvre les {} entrées précédentes du vol (rang : empreinte) :",
                    s.covered_entries.len()
                ),
                INK,
            );
            let rows: Vec<Vec<Cell>> = s
                .covered_entries
                .iter()
                .map(|c| {
                    vec![
                        Cell(c.station_seq.to_string(), F::Regular),
                        Cell(c.hash.clone(), F::Mono),
                    ]
                })
                .collect();
            l.table(&[("rang", 10.0), ("empreinte", 90.0)], &rows);
        }
        _ => l.none("vol non scellé : rien n'est encore signé"),
    }
    l.para(
        F::Regular,
        8.5,
        &format!(
            "Vérification : `vigie register verify` sur le registre, puis comparer l'empreinte et la signature ci-dessus avec l'entrée n° {} ; ce compte rendu se régénère à l'identique avec `vigie register report {}`.",
            d.seal_entry.as_ref().map_or(0, |e| e.id),
            d.flight_id
        ),
        GREY,
    );
    // Footers, now that the page count is known.
    let n = l.pages.len();
    let footer_left = format!("Vigie — compte rendu du vol {}", d.flight_id);
    for (i, page) in l.pages.iter_mut().enumerate() {
        let right = format!("page {} / {n}", i + 1);
        let rw = fonts.width(F::Regular, 7.5, &right);
        page.push(Op::Rect {
            x: MARGIN_X,
            y: PAGE_H - 38.0,
            w: TEXT_W,
            h: 0.5,
            fill: Some(RULE),
            stroke: None,
        });
        page.push(Op::Text {
            font: F::Regular,
            size: 7.5,
            x: MARGIN_X,
            y: PAGE_H - 27.0,
            text: footer_left.clone(),
            color: GREY,
        });
        page.push(Op::Text {
            font: F::Regular,
            size: 7.5,
            x: PAGE_W - MARGIN_X - rw,
            y: PAGE_H - 27.0,
            text: right,
            color: GREY,
        });
    }
    l.pages
}

const FONT_NAMES: [&[u8]; 3] = [
    b"VIGAAA+DejaVuSans",
    b"VIGAAB+DejaVuSans-Bold",
    b"VIGAAC+DejaVuSansMono",
];

pub(crate) fn render(d: &ReportData) -> Result<Vec<u8>> {
    let fonts = Fonts::load()?;
    let pages = layout(d, &fonts);
    // Glyphs each font needs, and their characters (for ToUnicode).
    let mut used: [BTreeMap<u16, char>; 3] = Default::default();
    for op in pages.iter().flatten() {
        if let Op::Text { font, text, .. } = op {
            for c in text.chars() {
                used[*font as usize].entry(fonts.gid(*font, c)).or_insert(c);
            }
        }
    }
    let mut remappers: Vec<subsetter::GlyphRemapper> = Vec::new();
    for u in &used {
        let mut r = subsetter::GlyphRemapper::new();
        for g in u.keys() {
            r.remap(*g);
        }
        remappers.push(r);
    }

    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let mut pdf = Pdf::new();
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let font_refs: Vec<[Ref; 5]> = (0..3)
        .map(|_| [alloc(), alloc(), alloc(), alloc(), alloc()])
        .collect();
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().map(|p| p.0))
        .count(page_refs.len() as i32);
    let title = format!("Compte rendu du vol {}", d.flight_id);
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&title))
        .creator(pdf_writer::TextStr("Vigie (vigie_register)"))
        .subject(pdf_writer::TextStr(&format!(
            "station {}, scellement {}",
            d.station,
            d.seal_entry.as_ref().map_or("absent", |e| e.hash.as_str())
        )));
    pdf.set_file_id((
        d.flight_id.as_bytes().to_vec(),
        d.generated_at.to_rfc3339().into_bytes(),
    ));

    let sysinfo = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    for (i, face) in fonts.faces.iter().enumerate() {
        let [type0, cid, desc, file, cmap] = font_refs[i];
        let data: &[u8] = [REGULAR, BOLD, MONO][i];
        let subset = subsetter::subset(data, 0, &remappers[i]).map_err(|e| Error::Recording {
            path: format!("embedded font {}", String::from_utf8_lossy(FONT_NAMES[i])),
            detail: format!("subsetting failed: {e:?}"),
        })?;
        let name = Name(FONT_NAMES[i]);
        pdf.type0_font(type0)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let upem = f32::from(face.units_per_em());
        let scale = |v: i16| f32::from(v) / upem * 1000.0;
        {
            let mut c = pdf.cid_font(cid);
            c.subtype(CidFontType::Type2)
                .base_font(name)
                .system_info(sysinfo)
                .font_descriptor(desc)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            let widths: Vec<f32> = remappers[i]
                .remapped_gids()
                .map(|old| fonts.advance([F::Regular, F::Bold, F::Mono][i], old) * 1000.0)
                .collect();
            c.widths().consecutive(0, widths);
            c.finish();
        }
        let bbox = face.global_bounding_box();
        pdf.font_descriptor(desc)
            .name(name)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(scale(face.ascender()))
            .descent(scale(face.descender()))
            .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(if i == 1 { 120.0 } else { 80.0 })
            .font_file2(file);
        pdf.stream(file, &subset);
        let mut map = pdf_writer::types::UnicodeCmap::new(Name(b"Vigie-UTF16"), sysinfo);
        for (old, c) in &used[i] {
            if let Some(new) = remappers[i].get(*old) {
                map.pair(new, *c);
            }
        }
        let buf = map.finish();
        pdf.cmap(cmap, &buf);
    }

    for (page_ops, (page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let mut c = Content::new();
        for op in page_ops {
            match op {
                Op::Text {
                    font,
                    size,
                    x,
                    y,
                    text,
                    color,
                } => {
                    let mut bytes = Vec::with_capacity(text.len() * 2);
                    for ch in text.chars() {
                        let g = remappers[*font as usize]
                            .get(fonts.gid(*font, ch))
                            .unwrap_or(0);
                        bytes.extend_from_slice(&g.to_be_bytes());
                    }
                    c.set_fill_rgb(color[0], color[1], color[2]);
                    c.begin_text();
                    c.set_font(Name([b"F0", b"F1", b"F2"][*font as usize]), *size);
                    c.next_line(*x, PAGE_H - *y);
                    c.show(Str(&bytes));
                    c.end_text();
                }
                Op::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill,
                    stroke,
                } => {
                    c.rect(*x, PAGE_H - *y - *h, *w, *h);
                    match (fill, stroke) {
                        (Some(f), Some((s, lw))) => {
                            c.set_fill_rgb(f[0], f[1], f[2]);
                            c.set_stroke_rgb(s[0], s[1], s[2]);
                            c.set_line_width(*lw);
                            c.fill_nonzero_and_stroke();
                        }
                        (Some(f), None) => {
                            c.set_fill_rgb(f[0], f[1], f[2]);
                            c.fill_nonzero();
                        }
                        (None, Some((s, lw))) => {
                            c.set_stroke_rgb(s[0], s[1], s[2]);
                            c.set_line_width(*lw);
                            c.stroke();
                        }
                        (None, None) => {
                            c.end_path();
                        }
                    }
                }
                Op::Path {
                    pts,
                    close,
                    fill,
                    stroke,
                    width,
                    dash,
                } => {
                    let Some(first) = pts.first() else { continue };
                    c.save_state();
                    if let Some(dsh) = dash {
                        c.set_dash_pattern(dsh.iter().copied(), 0.0);
                    }
                    c.set_line_width(*width);
                    c.set_line_join(pdf_writer::types::LineJoinStyle::RoundJoin);
                    c.set_stroke_rgb(stroke[0], stroke[1], stroke[2]);
                    c.move_to(first.0, PAGE_H - first.1);
                    for p in &pts[1..] {
                        c.line_to(p.0, PAGE_H - p.1);
                    }
                    if *close {
                        c.close_path();
                    }
                    match fill {
                        Some(f) => {
                            c.set_fill_rgb(f[0], f[1], f[2]);
                            c.fill_nonzero_and_stroke();
                        }
                        None => {
                            c.stroke();
                        }
                    }
                    c.restore_state();
                }
                Op::ClipBegin { x, y, w, h } => {
                    c.save_state();
                    c.rect(*x, PAGE_H - *y - *h, *w, *h);
                    c.clip_nonzero();
                    c.end_path();
                }
                Op::ClipEnd => {
                    c.restore_state();
                }
            }
        }
        let content = c.finish();
        let mut page = pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(*content_ref);
        {
            let mut res = page.resources();
            let mut f = res.fonts();
            for (i, r) in font_refs.iter().enumerate() {
                f.pair(Name([b"F0", b"F1", b"F2"][i]), r[0]);
            }
        }
        page.finish();
        pdf.stream(*content_ref, &content);
    }
    Ok(pdf.finish())
}
