//! Training scores: the six shipped scenarios, a scripted good trainee with full marks, a
//! careless one failing exactly the items they got wrong.

use chrono::{DateTime, Duration, Utc};
use flight_rules::LatLon;
use vigie_patrol::scoring::definition::EMBEDDED;
use vigie_patrol::scoring::{Event, TimedEvent, embedded};
use vigie_patrol::{Outcome, ScoringDefinition, Timeline, score};

use crate::common::*;

const HOME: LatLon = LatLon::new(43.5150, 4.9890);

fn at(s: i64) -> DateTime<Utc> {
    now() + Duration::seconds(s)
}

struct Script(Vec<TimedEvent>);
impl Script {
    fn new() -> Self {
        Self(vec![])
    }
    fn e(mut self, s: i64, event: Event) -> Self {
        self.0.push(TimedEvent { at: at(s), event });
        self
    }
    fn cmd(self, s: i64, request: &str, mode: Option<&str>) -> Self {
        self.e(
            s,
            Event::Commanded {
                request: request.into(),
                accepted: true,
                mode: mode.map(String::from),
            },
        )
    }
    fn refused(self, s: i64, request: &str, rules: &[&str]) -> Self {
        self.e(
            s,
            Event::Refused {
                request: request.into(),
                rule_ids: rules.iter().map(|r| r.to_string()).collect(),
            },
        )
    }
    fn mode(self, s: i64, m: &str) -> Self {
        self.e(s, Event::ModeChanged { mode: m.into() })
    }
    fn battery(self, s: i64, pct: f64) -> Self {
        self.e(s, Event::Battery { pct })
    }
    fn alarm(self, s: i64, name: &str, ack_after: Option<i64>) -> Self {
        let x = self.e(
            s,
            Event::AlarmRaised {
                alarm: name.into(),
                rule_id: None,
                critical: true,
            },
        );
        match ack_after {
            Some(d) => x.e(s + d, Event::AlarmAcknowledged { alarm: name.into() }),
            None => x,
        }
    }
    /// Checklist, arm and take off at `s`, battery 100 %.
    fn takeoff(self, s: i64) -> Self {
        self.e(s, Event::ChecklistCompleted)
            .battery(s, 100.0)
            .cmd(s + 5, "arm-and-takeoff", None)
            .e(s + 6, Event::Armed)
            .e(s + 8, Event::TookOff)
            .mode(s + 10, "AUTO")
    }
    fn land(self, s: i64, battery: f64, pos: LatLon) -> Self {
        self.battery(s - 1, battery)
            .e(s, Event::Landed { pos: Some(pos) })
            .e(s + 1, Event::Disarmed)
    }
    fn timeline(self, scenario: &str) -> Timeline {
        Timeline {
            scenario: scenario.into(),
            pilot: Some("PM-ISTRES-07".into()),
            started_at: now(),
            home: Some(HOME),
            events: self.0,
        }
    }
}

fn def(name: &str) -> ScoringDefinition {
    embedded(name).expect("shipped").expect("parses")
}

fn near_home() -> LatLon {
    LatLon::new(43.51505, 4.98905)
}

fn good(name: &str) -> Timeline {
    let t = forest_truth();
    match name {
        "istres-calm" | "air-base-approach" => Script::new()
            .takeoff(10)
            .e(
                60,
                Event::BreachPredicted {
                    time_s: Some(45.0),
                    distance_m: 300.0,
                    what: Some("LFMI-CTR".into()),
                },
            )
            .cmd(300, "rtl", None)
            .mode(301, "RTL")
            .land(360, 62.0, near_home())
            .timeline(name),
        // The good trainee does not even try.
        "istres-mistral" => Script::new()
            .e(
                5,
                Event::WindGate {
                    status: "AboveLimit".into(),
                    gate_kmh: Some(88.0),
                },
            )
            .timeline(name),
        "forest-patrol" => {
            let mut s = Script::new().takeoff(10);
            for (i, h) in t.hotspots.iter().enumerate() {
                let f = vigie_patrol::LocalFrame::new(h.pos);
                s = s.e(
                    100 + 60 * i as i64,
                    Event::HotspotReported {
                        pos: f.to_latlon([4.0, -3.0]),
                        error_m: Some(9.0),
                    },
                );
            }
            s.mode(600, "RTL")
                .land(700, 41.0, near_home())
                .timeline(name)
        }
        "link-loss" => Script::new()
            .takeoff(10)
            .e(60, Event::LinkLost)
            .alarm(61, "LINK-LOST", Some(4))
            .e(80, Event::LinkRegained)
            .mode(80, "RTL")
            .land(140, 71.0, near_home())
            .timeline(name),
        "night-patrol-gps-loss" => Script::new()
            .takeoff(10)
            .e(150, Event::GpsLost)
            .alarm(151, "GPS-DEGRADED", Some(3))
            .mode(152, "LAND")
            .e(170, Event::GpsRegained)
            .cmd(176, "set-mode", Some("LOITER"))
            .cmd(190, "rtl", None)
            .land(260, 64.0, near_home())
            .timeline(name),
        other => panic!("no script for {other}"),
    }
}

#[test]
fn six_scenarios_ship_and_parse() {
    let names: Vec<&str> = EMBEDDED.iter().map(|(n, _, _)| *n).collect();
    for s in [
        "istres-calm",
        "istres-mistral",
        "air-base-approach",
        "forest-patrol",
        "link-loss",
        "night-patrol-gps-loss",
    ] {
        assert!(names.contains(&s), "{s}");
        // The simulator has the scenario this scores.
        assert!(
            repo().join(format!("sim/scenarios/{s}.toml")).exists(),
            "{s}"
        );
        let d = def(s);
        assert_eq!(d.scenario, s);
        assert!(!d.expectations.is_empty());
    }
    assert!(embedded("no-such-scenario").is_none());
}

#[test]
fn the_forest_fires_scored_are_the_scenarios_fires() {
    let t = forest_truth();
    let d = def("forest-patrol");
    let fires = d
        .expectations
        .iter()
        .find_map(|e| match &e.check {
            vigie_patrol::scoring::Check::FindsHotspots { fires, .. } => Some(fires.clone()),
            _ => None,
        })
        .expect("a finds_hotspots expectation");
    assert_eq!(fires.len(), t.hotspots.len());
    for (f, h) in fires.iter().zip(&t.hotspots) {
        assert!(f.distance_m(&h.pos) < 0.5, "{f} vs {}", h.pos);
    }
}

#[test]
fn a_scripted_good_trainee_scores_full_marks() {
    for (name, _, _) in EMBEDDED {
        let sheet = score(&def(name), &good(name));
        assert!(sheet.full_marks, "{name}: {:#?}", sheet.items);
        assert_eq!(sheet.points, sheet.max_points, "{name}");
        assert!(sheet.max_points > 0, "{name}");
        assert!((sheet.percent - 100.0).abs() < 1e-9);
        // The page and the JSON say so.
        let html = sheet.to_html();
        assert!(
            html.contains("sans faute / full marks") && !html.contains("✘"),
            "{name}"
        );
        let back: vigie_patrol::ScoreSheet =
            serde_json::from_str(&sheet.to_json()).expect("json round trip");
        assert_eq!(back, sheet);
    }
}

#[test]
fn a_careless_trainee_fails_exactly_those_items() {
    // (scenario, timeline, the items failed)
    let table: Vec<(&str, Timeline, Vec<&str>)> = vec![
        (
            // Tries to take off in the mistral, twice; the station refuses.
            "istres-mistral",
            Script::new()
                .e(
                    5,
                    Event::WindGate {
                        status: "AboveLimit".into(),
                        gate_kmh: Some(88.0),
                    },
                )
                .e(20, Event::ChecklistCompleted)
                .refused(30, "arm-and-takeoff", &["WIND-GATE"])
                .refused(45, "arm", &["WIND-GATE", "CHECKLIST"])
                .timeline("istres-mistral"),
            vec!["wind-gate"],
        ),
        (
            // Ignores the link loss: sends it back on patrol when the link returns, lands at 10 %.
            "link-loss",
            Script::new()
                .takeoff(10)
                .e(60, Event::LinkLost)
                .alarm(61, "LINK-LOST", Some(4))
                .e(80, Event::LinkRegained)
                .mode(80, "RTL")
                .cmd(85, "set-mode", Some("AUTO"))
                .mode(86, "AUTO")
                .land(900, 10.0, near_home())
                .timeline("link-loss"),
            vec!["returns-after-link-loss", "landing-battery"],
        ),
        (
            // Lets the EKF failsafe land it in town, acknowledges late.
            "night-patrol-gps-loss",
            Script::new()
                .takeoff(10)
                .e(150, Event::GpsLost)
                .alarm(151, "GPS-DEGRADED", Some(90))
                .mode(152, "LAND")
                .e(170, Event::GpsRegained)
                .land(250, 66.0, LatLon::new(43.5185, 4.9950))
                .timeline("night-patrol-gps-loss"),
            vec!["takes-over", "alarms", "lands-home"],
        ),
        (
            // Arms before the checklist, finds one fire only, lands at 10 %.
            "forest-patrol",
            Script::new()
                .battery(5, 100.0)
                .cmd(10, "arm-and-takeoff", None)
                .e(11, Event::Armed)
                .e(12, Event::TookOff)
                .e(20, Event::ChecklistCompleted)
                .e(
                    100,
                    Event::HotspotReported {
                        pos: LatLon::new(43.5262, 5.5905),
                        error_m: Some(10.0),
                    },
                )
                .e(
                    200,
                    Event::HotspotReported {
                        pos: LatLon::new(43.5230, 5.5800),
                        error_m: Some(10.0),
                    },
                )
                .land(900, 10.0, near_home())
                .timeline("forest-patrol"),
            vec!["checklist", "finds-fires", "landing-battery"],
        ),
        (
            // Forces the plan toward BA 125 and gets a predicted breach under 20 s.
            "air-base-approach",
            Script::new()
                .takeoff(10)
                .refused(30, "start-mission", &["ZONE-PROHIBITED"])
                .e(
                    90,
                    Event::BreachPredicted {
                        time_s: Some(12.0),
                        distance_m: 90.0,
                        what: Some("LFMI-P".into()),
                    },
                )
                .cmd(95, "rtl", None)
                .land(200, 70.0, near_home())
                .timeline("air-base-approach"),
            vec!["no-forced-plan", "breach-margin"],
        ),
    ];
    for (name, tl, want) in table {
        let sheet = score(&def(name), &tl);
        let mut failed = sheet.failed();
        failed.sort_unstable();
        let mut want = want.clone();
        want.sort_unstable();
        assert_eq!(failed, want, "{name}: {:#?}", sheet.items);
        assert!(!sheet.full_marks);
        for i in sheet.items.iter().filter(|i| i.outcome == Outcome::Failed) {
            assert!(sheet.to_html().contains(&format!(r#"<tr id="{}">"#, i.id)));
            assert!(
                !i.why.is_empty() && !i.evidence_s.is_empty() || i.id == "finds-fires",
                "{name}/{}: {}",
                i.id,
                i.why
            );
        }
    }
}

#[test]
fn the_score_sheet_explains_with_times_and_escapes_its_page() {
    let sheet = score(
        &def("link-loss"),
        &Script::new()
            .takeoff(10)
            .e(60, Event::LinkLost)
            .e(80, Event::LinkRegained)
            .mode(80, "RTL")
            .cmd(85, "set-mode", Some("AUTO"))
            .land(900, 10.0, near_home())
            .timeline("link-loss"),
    );
    let item = sheet
        .items
        .iter()
        .find(|i| i.id == "returns-after-link-loss")
        .expect("item");
    assert_eq!(
        item.why,
        "link lost at T+60 s, returning at T+80 s, then sent back on patrol at T+85 s before landing"
    );
    assert_eq!(item.evidence_s, vec![60.0, 80.0, 85.0]);
    let batt = sheet
        .items
        .iter()
        .find(|i| i.id == "landing-battery")
        .expect("item");
    assert_eq!(
        batt.why,
        "landed at T+900 s with 10 % (at least 20 % expected)"
    );
    // A never-exercised item scores nothing either way.
    let alarms = sheet.items.iter().find(|i| i.id == "alarms").expect("item");
    assert_eq!(alarms.outcome, Outcome::NotExercised);
    assert_eq!(alarms.max_points, 0);
    let mut d = def("link-loss");
    d.title = "<script>alert(1)</script> & co".into();
    let html = score(&d, &good("link-loss")).to_html();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co")
            && !html.contains("<script>")
    );
}

#[test]
fn bad_definitions_name_the_file_and_the_field() {
    let cases = [
        ("scenario = \"x\"\ntitle = \"t\"\n", "field `expect`"),
        (
            "scenario = \"x\"\ntitle = \"t\"\n[[expect]]\nid = \"a\"\nlabel = \"l\"\nkind = \"flies_well\"\n",
            "field `expect[0].kind`: unknown kind \"flies_well\": one of no_refusal",
        ),
        (
            "scenario = \"x\"\ntitle = \"t\"\n[[expect]]\nid = \"a\"\nlabel = \"l\"\nkind = \"returns_after_link_loss\"\n",
            "field `expect[0].within_s`: required for kind returns_after_link_loss",
        ),
        (
            "scenario = \"x\"\ntitle = \"t\"\n[[expect]]\nid = \"a\"\nlabel = \"l\"\nkind = \"landing_battery\"\nmin_pct = 120\n",
            "field `expect[0].min_pct`",
        ),
        (
            "scenario = \"x\"\ntitle = \"t\"\n[[expect]]\nid = \"a\"\nlabel = \"l\"\nkind = \"stays_on_ground\"\ncolour = 1\n",
            "unknown field `colour`",
        ),
        (
            "scenario = \"x\"\ntitle = \"t\"\n[[expect]]\nid = \"a\"\nlabel = \"l\"\nkind = \"no_refusal\"\n",
            "field `expect[0].rules`",
        ),
    ];
    for (text, want) in cases {
        let e = ScoringDefinition::from_toml(text, "mine.toml").expect_err(want);
        let msg = e.to_string();
        assert!(msg.starts_with("mine.toml: field `"), "{msg}");
        assert!(msg.contains(want), "want {want:?} in {msg}");
    }
}

#[test]
fn a_timeline_reads_from_json() {
    let json = r#"{
      "scenario": "istres-calm", "pilot": "PM-ISTRES-07", "started_at": "2026-07-15T10:00:00Z",
      "home": {"lat_deg": 43.515, "lon_deg": 4.989},
      "events": [
        {"at": "2026-07-15T10:00:10Z", "kind": "checklist_completed"},
        {"at": "2026-07-15T10:00:15Z", "kind": "commanded", "request": "arm-and-takeoff", "accepted": true},
        {"at": "2026-07-15T10:00:18Z", "kind": "took_off"},
        {"at": "2026-07-15T10:00:20Z", "kind": "battery", "pct": 97.0},
        {"at": "2026-07-15T10:05:00Z", "kind": "landed", "pos": {"lat_deg": 43.51502, "lon_deg": 4.98902}}
      ]
    }"#;
    let tl: Timeline = serde_json::from_str(json).expect("timeline JSON");
    let sheet = score(&def("istres-calm"), &tl);
    assert!(sheet.full_marks, "{:#?}", sheet.items);
}
