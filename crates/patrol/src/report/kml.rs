//! KML 2.2 for Google Earth (and GDAL's KML drivers): one Document, a folder each for the hot
//! spots, the track, the planned patrol and the area covered. Text is XML-escaped; each hot
//! spot's description shows its snapshot by relative path.

use std::fmt::Write;

use super::{PatrolReport, covered_ha, rfc3339};

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

fn ring(ls: &geo::LineString<f64>) -> String {
    ls.0.iter()
        .map(|c| format!("{:.7},{:.7},0", c.x, c.y))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn to_kml(r: &PatrolReport) -> String {
    let mut k = String::new();
    let _ = writeln!(k, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(k, r#"<kml xmlns="http://www.opengis.net/kml/2.2">"#);
    let _ = writeln!(k, "<Document>");
    let _ = writeln!(k, "<name>{}</name>", esc(&r.title));
    let mut desc = format!("Du {} au {}", rfc3339(&r.started_at), rfc3339(&r.ended_at));
    for (label, v) in [
        ("Vol", &r.flight_id),
        ("Exploitant", &r.operator),
        ("Télépilote", &r.pilot),
        ("Base légale", &r.legal_basis),
    ] {
        if let Some(v) = v {
            let _ = write!(desc, "\n{label} : {v}");
        }
    }
    let _ = writeln!(k, "<description>{}</description>", esc(&desc));
    let _ = writeln!(
        k,
        r#"<Style id="hotspot"><IconStyle><color>ff0000ff</color><scale>1.2</scale></IconStyle></Style>"#
    );
    let _ = writeln!(
        k,
        r#"<Style id="track"><LineStyle><color>ffff8800</color><width>3</width></LineStyle></Style>"#
    );
    let _ = writeln!(
        k,
        r#"<Style id="planned"><LineStyle><color>9900ffff</color><width>2</width></LineStyle></Style>"#
    );
    let _ = writeln!(
        k,
        r#"<Style id="coverage"><LineStyle><color>ff00aa00</color><width>1</width></LineStyle><PolyStyle><color>4000aa00</color></PolyStyle></Style>"#
    );

    let _ = writeln!(k, "<Folder><name>Hotspots</name>");
    for h in &r.hotspots {
        let mut d = format!(
            "<p>Vu du {} au {} ({} observation(s))<br/>Erreur estimée : {:.0} m</p>",
            esc(&rfc3339(&h.first_seen)),
            esc(&rfc3339(&h.last_seen)),
            h.observations,
            h.error_m
        );
        if !h.notes.is_empty() {
            let _ = write!(d, "<p>{}</p>", esc(&h.notes.join(" — ")));
        }
        if let Some(s) = &h.snapshot {
            let _ = write!(d, r#"<p><img src="{}" width="480"/></p>"#, esc(s));
        }
        let _ = writeln!(k, "<Placemark>");
        let _ = writeln!(k, "<name>{}</name>", esc(&h.id));
        let _ = writeln!(
            k,
            "<description><![CDATA[{}]]></description>",
            d.replace("]]>", "]]&gt;")
        );
        let _ = writeln!(
            k,
            "<TimeSpan><begin>{}</begin><end>{}</end></TimeSpan>",
            rfc3339(&h.first_seen),
            rfc3339(&h.last_seen)
        );
        let _ = writeln!(k, "<styleUrl>#hotspot</styleUrl>");
        let _ = writeln!(k, "<ExtendedData>");
        let mut data = vec![
            ("kind", "hotspot".to_string()),
            ("id", h.id.clone()),
            ("first_seen", rfc3339(&h.first_seen)),
            ("last_seen", rfc3339(&h.last_seen)),
            ("error_m", format!("{:.1}", h.error_m)),
            ("observations", h.observations.to_string()),
        ];
        if let Some(p) = h.peak {
            data.push(("peak", format!("{p:.1}")));
        }
        if let Some(s) = &h.snapshot {
            data.push(("snapshot", s.clone()));
        }
        if !h.notes.is_empty() {
            data.push(("note", h.notes.join(" — ")));
        }
        for (name, v) in data {
            let _ = writeln!(
                k,
                r#"<Data name="{name}"><value>{}</value></Data>"#,
                esc(&v)
            );
        }
        let _ = writeln!(k, "</ExtendedData>");
        let _ = writeln!(
            k,
            "<Point><coordinates>{:.7},{:.7},0</coordinates></Point>",
            h.pos.lon_deg, h.pos.lat_deg
        );
        let _ = writeln!(k, "</Placemark>");
    }
    let _ = writeln!(k, "</Folder>");

    if r.track.len() >= 2 {
        let _ = writeln!(
            k,
            "<Folder><name>Track</name><Placemark><name>Trace du vol</name>"
        );
        if let (Some(a), Some(b)) = (r.track.first(), r.track.last()) {
            let _ = writeln!(
                k,
                "<TimeSpan><begin>{}</begin><end>{}</end></TimeSpan>",
                rfc3339(&a.at),
                rfc3339(&b.at)
            );
        }
        let _ = writeln!(k, "<styleUrl>#track</styleUrl>");
        let coords = r
            .track
            .iter()
            .map(|p| {
                format!(
                    "{:.7},{:.7},{:.1}",
                    p.pos.lon_deg, p.pos.lat_deg, p.alt_amsl_m
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            k,
            "<LineString><altitudeMode>absolute</altitudeMode><coordinates>{coords}</coordinates></LineString>"
        );
        let _ = writeln!(k, "</Placemark></Folder>");
    }
    if r.planned.len() >= 2 {
        let coords = r
            .planned
            .iter()
            .map(|p| format!("{:.7},{:.7},0", p.lon_deg, p.lat_deg))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            k,
            "<Folder><name>Planned</name><Placemark><name>Patrouille prévue</name><styleUrl>#planned</styleUrl><LineString><tessellate>1</tessellate><coordinates>{coords}</coordinates></LineString></Placemark></Folder>"
        );
    }
    if let Some(c) = &r.coverage {
        let _ = writeln!(
            k,
            "<Folder><name>Coverage</name><Placemark><name>Zone couverte ({:.1} ha)</name><styleUrl>#coverage</styleUrl><MultiGeometry>",
            covered_ha(Some(c))
        );
        for p in &c.0 {
            let _ = write!(
                k,
                "<Polygon><tessellate>1</tessellate><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs>",
                ring(p.exterior())
            );
            for i in p.interiors() {
                let _ = write!(
                    k,
                    "<innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></innerBoundaryIs>",
                    ring(i)
                );
            }
            let _ = writeln!(k, "</Polygon>");
        }
        let _ = writeln!(k, "</MultiGeometry></Placemark></Folder>");
    }
    let _ = writeln!(k, "</Document>");
    let _ = writeln!(k, "</kml>");
    k
}
