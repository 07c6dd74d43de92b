//! The score sheet as a self-contained HTML page (no script, no external resource).

use std::fmt::Write;

use super::{Outcome, ScoreSheet};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(super) fn render(s: &ScoreSheet) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} — {scenario}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #bbb; padding: .4em .6em; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
.passed {{ color: #176f2c; font-weight: bold; }}
.failed {{ color: #b00020; font-weight: bold; }}
.not_exercised {{ color: #666; }}
.total {{ font-size: 1.4em; margin: .5em 0 1em; }}
</style></head><body>
<h1>{title}</h1>
<p>Scénario <code>{scenario}</code>{pilot} — début {start}</p>
<p class="total">{points} / {max} points ({pct:.0} %){full}</p>
<table><thead><tr><th>Attendu / expectation</th><th>Résultat</th><th>Points</th><th>Pourquoi / why</th></tr></thead><tbody>
"#,
        title = esc(&s.title),
        scenario = esc(&s.scenario),
        pilot = s
            .pilot
            .as_deref()
            .map(|p| format!(", télépilote {}", esc(p)))
            .unwrap_or_default(),
        start = esc(&s
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        points = s.points,
        max = s.max_points,
        pct = s.percent,
        full = if s.full_marks {
            " — sans faute / full marks"
        } else {
            ""
        },
    );
    for i in &s.items {
        let (class, word) = match i.outcome {
            Outcome::Passed => ("passed", "✔ réussi / passed"),
            Outcome::Failed => ("failed", "✘ échoué / failed"),
            Outcome::NotExercised => ("not_exercised", "– non exercé / not exercised"),
        };
        let label = match &i.label_fr {
            Some(fr) => format!("{}<br><small>{}</small>", esc(fr), esc(&i.label)),
            None => esc(&i.label),
        };
        let _ = writeln!(
            h,
            r#"<tr id="{id}"><td>{label}</td><td class="{class}">{word}</td><td>{p} / {m}</td><td>{why}</td></tr>"#,
            id = esc(&i.id),
            p = i.points,
            m = i.max_points,
            why = esc(&i.why),
        );
    }
    h.push_str("</tbody></table>\n</body></html>\n");
    h
}
