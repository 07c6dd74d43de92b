//! The report as one self-contained HTML page (inline CSS and SVG map, the data as JSON inside).

use std::fmt::Write as _;

use super::map::{self, Projection};
use super::time::{paris_hms, paris_time, paris_zone};
use super::{ReportData, ReportEvent, distance_text, duration_text, event_kind_fr};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The key facts, in the order both renderers show them: `(label, value)`.
pub(crate) fn facts(d: &ReportData) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    let pilot = match &d.pilot {
        Some(p) => format!(
            "{} — identifiant {} — matricule {} — {} n° {} (valide jusqu'au {})",
            p.name,
            p.pilot_id,
            p.administrative_id,
            p.certificate_kind,
            p.certificate_number,
            p.certificate_expires_on.format("%d/%m/%Y")
        ),
        None => format!("{} (fiche pilote absente du registre)", d.start.pilot_id),
    };
    v.push(("Télépilote", pilot));
    let aircraft = match &d.aircraft {
        Some(a) => format!(
            "{} — {}{}{}",
            a.registration,
            a.model,
            a.serial
                .as_ref()
                .map(|s| format!(" — n° de série {s}"))
                .unwrap_or_default(),
            a.mass_g.map(|m| format!(" — {m} g")).unwrap_or_default()
        ),
        None => d.start.aircraft_registration.clone(),
    };
    v.push(("Aéronef", aircraft));
    let arrete = match &d.authorisation {
        Some(a) => format!(
            "n° {} — {} — signé le {} — valable du {} au {}{}",
            a.arrete_number,
            a.issuer,
            a.signed_on.format("%d/%m/%Y"),
            paris_time(a.valid_from),
            paris_time(a.valid_until),
            if a.revoked { " — RÉVOQUÉ" } else { "" }
        ),
        None => format!("{} (arrêté absent du registre)", d.start.arrete_number),
    };
    v.push(("Arrêté", arrete));
    let basis = match &d.legal_basis {
        Some(b) => format!("{} ({}, version {})", b.title, b.id, b.version),
        None => "non enregistrée (station antérieure) : règles CSI R242-11 par défaut".into(),
    };
    v.push(("Base légale", basis));
    v.push((
        "Finalité",
        match &d.legal_basis {
            Some(b) if b.purpose != d.start.finalite => {
                format!(
                    "{} (finalité de l'arrêté : {})",
                    b.purpose, d.start.finalite
                )
            }
            _ => d.start.finalite.clone(),
        },
    ));
    if let Some(b) = &d.legal_basis {
        if !b.documents.is_empty() {
            v.push((
                "Documents",
                b.documents
                    .iter()
                    .map(|(k, r)| format!("{k} : {r}"))
                    .collect::<Vec<_>>()
                    .join(" ; "),
            ));
        }
        v.push(("Information du public", b.public_information.clone()));
        let keep = if b.recordings_retention_h == 0 {
            "aucun enregistrement conservé au-delà du registre des traitements".to_string()
        } else {
            format!(
                "enregistrements {} h après la fin du déploiement, domicile {} h",
                b.recordings_retention_h, b.domicile_retention_h
            )
        };
        v.push(("Conservation", keep));
        if b.emergency {
            v.push(("Urgence", "vol sous procédure d'urgence".into()));
        }
    }
    v.push(("Lieu", d.start.place.clone()));
    if let Some(dep) = &d.deployment {
        v.push((
            "Déploiement",
            format!(
                "{} — prévu du {} au {}{}",
                dep.deployment_id,
                paris_time(dep.planned_start),
                paris_time(dep.planned_end),
                d.deployment_ended_at
                    .map(|t| format!(" — terminé le {}", paris_time(t)))
                    .unwrap_or_default()
            ),
        ));
    }
    v.push((
        "Décollage",
        format!(
            "{} ({}){}",
            paris_time(d.start.started_at),
            paris_zone(d.start.started_at),
            match (d.start.takeoff_lat_deg, d.start.takeoff_lon_deg) {
                (Some(la), Some(lo)) => format!(" — {la:.5} N, {lo:.5} E"),
                _ => String::new(),
            }
        ),
    ));
    match &d.seal {
        Some(s) => {
            v.push((
                "Fin du vol",
                format!("{} ({})", paris_time(s.ended_at), paris_zone(s.ended_at)),
            ));
            v.push(("Durée", d.duration_s.map(duration_text).unwrap_or_default()));
            v.push((
                "Trajet",
                format!(
                    "{} — {} points — hauteur max. {:.0} m sol",
                    distance_text(s.track.distance_m),
                    s.track.points,
                    s.max_alt_agl_m
                ),
            ));
        }
        None => v.push(("Fin du vol", "vol non scellé".into())),
    }
    v.push((
        "Bilan",
        format!(
            "{} alarme(s), {} refus, {} autre(s) événement(s), {} segment(s) vidéo, {} spectateur(s)",
            d.alarms.len(),
            d.refusals.len(),
            d.other_events.len(),
            d.segments.len(),
            d.viewers.len()
        ),
    ));
    if let Some(h) = &d.active_hold {
        v.push((
            "Conservation judiciaire",
            format!(
                "{} — placée par {} le {}",
                h.procedure_ref,
                h.placed_by.name,
                paris_time(h.placed_at)
            ),
        ));
    }
    v
}

fn events_table(out: &mut String, title: &str, events: &[ReportEvent], rules: bool) {
    let _ = write!(out, "<h2>{}</h2>", esc(title));
    if events.is_empty() {
        out.push_str("<p class=\"none\">aucun</p>");
        return;
    }
    out.push_str("<table><tr><th>heure</th><th>type</th><th>code</th>");
    if rules {
        out.push_str("<th>règles</th>");
    }
    out.push_str("<th>description</th></tr>");
    for e in events {
        let _ = write!(
            out,
            "<tr><td class=\"t\">{}</td><td>{}</td><td><code>{}</code></td>",
            paris_hms(e.at),
            event_kind_fr(e.kind),
            esc(&e.code)
        );
        if rules {
            let _ = write!(out, "<td><code>{}</code></td>", esc(&e.rule_ids.join(", ")));
        }
        let _ = write!(out, "<td>{}</td></tr>", esc(&e.text));
    }
    out.push_str("</table>");
}

pub(crate) fn svg_map(d: &ReportData, w: f64, h: f64) -> String {
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"carte du vol\"><rect width=\"{w}\" height=\"{h}\" fill=\"#f6f7f4\" stroke=\"#999\"/>"
    );
    let pts = map::fit_points(&d.perimeter_lat_lon_deg, &d.track_lat_lon_deg, &d.zones);
    let Some(p) = Projection::fit(&pts, w, h) else {
        s.push_str("<text x=\"20\" y=\"30\">aucune géométrie dans le registre</text></svg>");
        return s;
    };
    let path = |ring: &[[f64; 2]], close: bool| {
        let mut t = String::new();
        for (i, q) in ring.iter().enumerate() {
            let (x, y) = p.xy(*q);
            let _ = write!(t, "{}{x:.1},{y:.1} ", if i == 0 { "M" } else { "L" });
        }
        if close {
            t.push('Z');
        }
        t
    };
    s.push_str("<clipPath id=\"box\"><rect width=\"100%\" height=\"100%\"/></clipPath><g clip-path=\"url(#box)\">");
    for z in &d.zones {
        let c = map::css(map::zone_color(z.style));
        let _ = write!(
            s,
            "<path d=\"{}\" fill=\"{c}\" fill-opacity=\"0.15\" stroke=\"{c}\" stroke-width=\"1.5\"><title>{}</title></path>",
            path(&z.ring_lat_lon_deg, true),
            esc(&z.name)
        );
    }
    let pc = map::css(map::PERIMETER);
    for ring in &d.perimeter_lat_lon_deg {
        let _ = write!(
            s,
            "<path d=\"{}\" fill=\"{pc}\" fill-opacity=\"0.08\" stroke=\"{pc}\" stroke-width=\"2.5\" stroke-dasharray=\"8 4\"/>",
            path(ring, true)
        );
    }
    let track = map::thin(&d.track_lat_lon_deg, 2000);
    if !track.is_empty() {
        let _ = write!(
            s,
            "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>",
            path(&track, false),
            map::css(map::TRACK)
        );
    }
    if let (Some(la), Some(lo)) = (d.start.takeoff_lat_deg, d.start.takeoff_lon_deg) {
        let (x, y) = p.xy([la, lo]);
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"#fff\" stroke=\"#111\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\">décollage</text>",
            x + 9.0,
            y + 4.0
        );
    }
    s.push_str("</g>");
    let (m, len) = p.scale_bar(w);
    let _ = write!(
        s,
        "<g font-size=\"12\"><rect x=\"14\" y=\"{:.1}\" width=\"{len:.1}\" height=\"5\" fill=\"#222\"/><text x=\"14\" y=\"{:.1}\">{}</text><text x=\"{:.1}\" y=\"30\" font-size=\"16\" font-weight=\"bold\">N ↑</text></g></svg>",
        h - 20.0,
        h - 26.0,
        map::scale_label(m),
        w - 44.0
    );
    s
}

pub(crate) fn render(d: &ReportData) -> String {
    let mut o = String::with_capacity(32 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Compte rendu du vol {id}</title><style>\
body{{font-family:'DejaVu Sans',Arial,sans-serif;font-size:14px;color:#1b1b1b;max-width:1000px;margin:24px auto;padding:0 16px}}\
h1{{font-size:22px;margin:0 0 4px}}h2{{font-size:16px;border-bottom:2px solid #27408b;padding-bottom:3px;margin-top:28px;color:#27408b}}\
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccd;padding:4px 6px;vertical-align:top;text-align:left}}\
th{{background:#e8ecf6}}tr:nth-child(even) td{{background:#f7f8fb}}td.k{{width:190px;font-weight:bold;background:#f0f2f8}}\
td.t{{white-space:nowrap}}code,.h{{font-family:'DejaVu Sans Mono',monospace;font-size:12px;word-break:break-all}}\
.sub{{color:#555}}.none{{color:#666;font-style:italic}}.legend span{{display:inline-block;margin-right:18px}}\
.sw{{display:inline-block;width:22px;height:4px;vertical-align:middle;margin-right:6px}}</style></head><body>",
        id = esc(&d.flight_id)
    );
    let _ = write!(
        o,
        "<h1>Compte rendu de vol — {}</h1><p class=\"sub\">Station {} — registre {} — établi le {} ({}) à partir du seul registre. Heures légales de Paris.</p>",
        esc(&d.flight_id),
        esc(&d.station),
        esc(&d.register),
        paris_time(d.generated_at),
        paris_zone(d.generated_at)
    );
    o.push_str("<table>");
    for (k, v) in facts(d) {
        let _ = write!(
            o,
            "<tr><td class=\"k\">{}</td><td>{}</td></tr>",
            esc(k),
            esc(&v)
        );
    }
    o.push_str("</table><h2>Carte</h2>");
    o.push_str(&svg_map(d, 960.0, 560.0));
    let _ = write!(
        o,
        "<p class=\"legend\"><span><i class=\"sw\" style=\"background:{}\"></i>périmètre autorisé</span><span><i class=\"sw\" style=\"background:{}\"></i>trajectoire</span><span><i class=\"sw\" style=\"background:{}\"></i>zone interdite</span><span><i class=\"sw\" style=\"background:{}\"></i>zone soumise à autorisation</span></p>",
        map::css(map::PERIMETER),
        map::css(map::TRACK),
        map::css(map::PROHIBITED),
        map::css(map::RESTRICTED)
    );
    if let Some(n) = &d.track_note {
        let _ = write!(o, "<p class=\"none\">{}</p>", esc(n));
    }
    if let Some(z) = map::zones_line(d) {
        let _ = write!(o, "<p class=\"sub\">{}</p>", esc(&z));
    }
    events_table(&mut o, "Alarmes", &d.alarms, false);
    events_table(&mut o, "Refus (règles de vol)", &d.refusals, true);
    events_table(&mut o, "Autres événements", &d.other_events, true);
    o.push_str("<h2>Vent</h2>");
    if d.wind.is_empty() {
        o.push_str("<p class=\"none\">aucune mesure enregistrée</p>");
    } else {
        o.push_str("<table><tr><th>heure</th><th>source</th><th>moyen</th><th>rafale</th><th>de</th><th>âge</th><th>décision</th></tr>");
        for w in &d.wind {
            let _ = write!(
                o,
                "<tr><td class=\"t\">{}</td><td>{}</td><td>{:.0} km/h</td><td>{}</td><td>{}</td><td>{:.0} s</td><td>{}</td></tr>",
                paris_hms(w.at),
                esc(&w.source),
                w.speed_mps * 3.6,
                w.gust_mps
                    .map(|g| format!("{:.0} km/h", g * 3.6))
                    .unwrap_or_else(|| "—".into()),
                w.wind_from_deg
                    .map(|g| format!("{g:.0}°"))
                    .unwrap_or_else(|| "—".into()),
                w.age_s,
                esc(&w.decision)
            );
        }
        o.push_str("</table>");
    }
    o.push_str("<h2>Segments vidéo</h2>");
    if d.segments.is_empty() {
        o.push_str("<p class=\"none\">aucun</p>");
    } else {
        o.push_str("<table><tr><th>entrée</th><th>caméra</th><th>début</th><th>fin</th><th>taille</th><th>SHA-256</th><th>état</th></tr>");
        for s in &d.segments {
            match &s.segment {
                Some(g) => {
                    let _ = write!(
                        o,
                        "<tr><td>{}</td><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{} o</td><td class=\"h\">{}</td><td>{}{}</td></tr>",
                        s.entry_id,
                        esc(&g.camera),
                        paris_hms(g.started_at),
                        paris_hms(g.ended_at),
                        g.file.bytes,
                        g.file.sha256,
                        if s.file_intact == Some(true) {
                            "présent, intègre"
                        } else {
                            "absent ou modifié"
                        },
                        if g.domicile {
                            " — domicile (48 h)"
                        } else {
                            ""
                        }
                    );
                }
                None => {
                    let _ = write!(
                        o,
                        "<tr><td>{}</td><td colspan=\"6\" class=\"none\">effacé à l'échéance de conservation (empreinte gardée dans l'entrée d'effacement)</td></tr>",
                        s.entry_id
                    );
                }
            }
        }
        o.push_str("</table>");
    }
    o.push_str("<h2>Spectateurs (retransmission en direct, L242-4)</h2>");
    if d.viewers.is_empty() {
        o.push_str("<p class=\"none\">aucun</p>");
    } else {
        o.push_str("<table><tr><th>qui</th><th>rôle</th><th>depuis</th><th>flux</th><th>début</th><th>fin</th></tr>");
        for v in &d.viewers {
            let _ = write!(
                o,
                "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>",
                esc(&v.name),
                esc(&v.id),
                esc(&v.role),
                esc(&v.from),
                esc(&v.stream),
                paris_hms(v.started_at),
                v.ended_at.map(paris_hms).unwrap_or_else(|| "—".into())
            );
        }
        o.push_str("</table>");
    }
    o.push_str("<h2>Intégrité : scellement du vol</h2>");
    match (&d.seal_entry, &d.seal) {
        (Some(e), Some(s)) => {
            let _ = write!(
                o,
                "<table><tr><td class=\"k\">Entrée de scellement</td><td>n° {} (rang {} de la station), enregistrée le {}</td></tr>\
<tr><td class=\"k\">Empreinte (SHA-256)</td><td class=\"h\">{}</td></tr>\
<tr><td class=\"k\">Signature Ed25519</td><td class=\"h\">{}</td></tr>",
                e.id,
                e.station_seq,
                esc(&e.recorded_at),
                e.hash,
                e.signature.as_deref().unwrap_or("ABSENTE")
            );
            for (label, f) in [("tlog", &s.tlog), ("rrd", &s.rrd)] {
                if let Some(f) = f {
                    let _ = write!(
                        o,
                        "<tr><td class=\"k\">Fichier {label}</td><td><span class=\"h\">{}</span> — {} o</td></tr>",
                        f.sha256, f.bytes
                    );
                }
            }
            let _ = write!(
                o,
                "</table><p>Le scellement couvre les {} entrées précédentes du vol (rang : empreinte) :</p><table><tr><th>rang</th><th>empreinte</th></tr>",
                s.covered_entries.len()
            );
            for c in &s.covered_entries {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td class=\"h\">{}</td></tr>",
                    c.station_seq, c.hash
                );
            }
            o.push_str("</table>");
        }
        _ => o.push_str("<p class=\"none\">vol non scellé : rien n'est encore signé</p>"),
    }
    let _ = write!(
        o,
        "<p class=\"sub\">Vérification : <code>vigie register verify</code> sur le registre, puis comparer l'empreinte et la signature ci-dessus avec l'entrée n° {} ; ce compte rendu se régénère à l'identique avec <code>vigie register report {}</code>.</p>",
        d.seal_entry.as_ref().map_or(0, |e| e.id),
        esc(&d.flight_id)
    );
    let json = serde_json::to_string(d)
        .unwrap_or_default()
        .replace("</", "<\\/");
    let _ = writeln!(
        o,
        "<script type=\"application/json\" id=\"vigie-report-data\">{json}</script></body></html>"
    );
    o
}
