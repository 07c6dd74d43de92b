//! Training scores: a scenario's expectations (see [`definition`]) judged on a flight's
//! [`Timeline`]; the score sheet says for each whether it passed, failed or was not exercised,
//! and why, as JSON and as a readable HTML page.

pub mod definition;
mod html;
pub mod timeline;

pub use definition::{Check, Expectation, ScoringDefinition, ScoringError, embedded};
pub use timeline::{Event, TimedEvent, Timeline};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Requests that arm or take off.
pub const TAKEOFF_REQUESTS: &[&str] = &["arm", "arm-in-guided", "arm-and-takeoff", "takeoff"];
/// Requests and modes that send the vehicle on (its mission, a go-to): not a return.
const RESUME_REQUESTS: &[&str] = &["start-mission", "go-to", "orbit"];
const RESUME_MODES: &[&str] = &["AUTO", "GUIDED", "CIRCLE"];
const RETURN_MODES: &[&str] = &["RTL", "LAND", "SMART_RTL"];
const TAKEOVER_MODES: &[&str] = &["LOITER", "POSHOLD", "BRAKE", "RTL"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    /// The situation it is about never arose (no link loss, never flew): no points either way.
    NotExercised,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemScore {
    pub id: String,
    pub label: String,
    pub label_fr: Option<String>,
    pub outcome: Outcome,
    pub points: u32,
    pub max_points: u32,
    /// Why, in a sentence with the times (seconds from the session's start).
    pub why: String,
    /// Times of the events that decided it, seconds from the start.
    pub evidence_s: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreSheet {
    pub scenario: String,
    pub title: String,
    pub pilot: Option<String>,
    pub started_at: DateTime<Utc>,
    pub points: u32,
    /// Points of the exercised expectations.
    pub max_points: u32,
    pub percent: f64,
    /// Every exercised expectation passed.
    pub full_marks: bool,
    pub items: Vec<ItemScore>,
}

impl ScoreSheet {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }
    pub fn to_html(&self) -> String {
        html::render(self)
    }
    /// IDs of the failed expectations.
    pub fn failed(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|i| i.outcome == Outcome::Failed)
            .map(|i| i.id.as_str())
            .collect()
    }
}

struct Judge<'a> {
    t0: DateTime<Utc>,
    ev: Vec<&'a TimedEvent>,
    home: Option<flight_rules::LatLon>,
}

struct Verdict {
    outcome: Outcome,
    why: String,
    at: Vec<DateTime<Utc>>,
}

fn v(outcome: Outcome, why: impl Into<String>, at: Vec<DateTime<Utc>>) -> Verdict {
    Verdict {
        outcome,
        why: why.into(),
        at,
    }
}

impl<'a> Judge<'a> {
    fn s(&self, t: DateTime<Utc>) -> f64 {
        (t - self.t0).num_milliseconds() as f64 / 1000.0
    }
    fn ts(&self, t: DateTime<Utc>) -> String {
        format!("T+{:.0} s", self.s(t))
    }

    /// Airborne intervals: from take-off (or arming, when no take-off is recorded) to landing
    /// (or disarming); open at the end if still flying.
    fn flights(&self) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        let has_takeoff = self.ev.iter().any(|e| matches!(e.event, Event::TookOff));
        let mut out = Vec::new();
        let mut open: Option<DateTime<Utc>> = None;
        for e in &self.ev {
            match e.event {
                Event::TookOff => {
                    open.get_or_insert(e.at);
                }
                Event::Armed if !has_takeoff => {
                    open.get_or_insert(e.at);
                }
                Event::Landed { .. } | Event::Disarmed => {
                    if let Some(s) = open.take() {
                        out.push((s, Some(e.at)));
                    }
                }
                _ => {}
            }
        }
        if let Some(s) = open {
            out.push((s, None));
        }
        out
    }

    fn airborne_at(&self, t: DateTime<Utc>) -> bool {
        self.flights()
            .iter()
            .any(|(a, b)| *a <= t && b.is_none_or(|b| t <= b))
    }

    fn landing_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.ev
            .iter()
            .find(|e| e.at >= t && matches!(e.event, Event::Landed { .. } | Event::Disarmed))
            .map(|e| e.at)
    }

    fn judge(&self, c: &Check) -> Verdict {
        use Outcome::*;
        match c {
            Check::NoRefusal { rules, requests } => {
                let hits: Vec<&&TimedEvent> = self
                    .ev
                    .iter()
                    .filter(|e| match &e.event {
                        Event::Refused { request, rule_ids } => {
                            (requests.is_empty() || requests.iter().any(|r| r == request))
                                && rule_ids.iter().any(|id| rules.contains(id))
                        }
                        _ => false,
                    })
                    .collect();
                match hits.first() {
                    Some(first) => {
                        let Event::Refused { request, rule_ids } = &first.event else {
                            return v(Failed, "refused", vec![first.at]);
                        };
                        v(
                            Failed,
                            format!(
                                "asked for {request} at {}, refused by {}{}",
                                self.ts(first.at),
                                rule_ids.join(", "),
                                if hits.len() > 1 {
                                    format!(" ({} times in all)", hits.len())
                                } else {
                                    String::new()
                                }
                            ),
                            hits.iter().map(|e| e.at).collect(),
                        )
                    }
                    None => v(
                        Passed,
                        format!("no request refused by {}", rules.join(", ")),
                        vec![],
                    ),
                }
            }
            Check::StaysOnGround => {
                match self.ev.iter().find(|e| {
                    matches!(e.event, Event::Armed | Event::TookOff)
                        || matches!(&e.event, Event::Commanded { request, accepted: true, .. } if TAKEOFF_REQUESTS.contains(&request.as_str()))
                }) {
                    Some(e) => v(Failed, format!("the vehicle was armed at {}", self.ts(e.at)), vec![e.at]),
                    None => v(Passed, "stayed on the ground", vec![]),
                }
            }
            Check::ChecklistBeforeArming => {
                let first_ask = self.ev.iter().find(|e| match &e.event {
                    Event::Refused { request, .. } | Event::Commanded { request, .. } => {
                        TAKEOFF_REQUESTS.contains(&request.as_str())
                    }
                    Event::Armed => true,
                    _ => false,
                });
                let Some(ask) = first_ask else {
                    return v(NotExercised, "never asked to arm", vec![]);
                };
                let done = self
                    .ev
                    .iter()
                    .find(|e| matches!(e.event, Event::ChecklistCompleted));
                match done {
                    Some(d) if d.at <= ask.at => v(
                        Passed,
                        format!("checklist completed at {}, before arming at {}", self.ts(d.at), self.ts(ask.at)),
                        vec![d.at, ask.at],
                    ),
                    Some(d) => v(
                        Failed,
                        format!("asked to arm at {} before completing the checklist (at {})", self.ts(ask.at), self.ts(d.at)),
                        vec![ask.at, d.at],
                    ),
                    None => v(
                        Failed,
                        format!("asked to arm at {} and never completed the checklist", self.ts(ask.at)),
                        vec![ask.at],
                    ),
                }
            }
            Check::ReturnsAfterLinkLoss { within_s } => {
                let losses: Vec<DateTime<Utc>> = self
                    .ev
                    .iter()
                    .filter(|e| matches!(e.event, Event::LinkLost) && self.airborne_at(e.at))
                    .map(|e| e.at)
                    .collect();
                if losses.is_empty() {
                    return v(NotExercised, "no link loss in flight", vec![]);
                }
                for t0 in &losses {
                    let returning = self.ev.iter().find(|e| {
                        e.at >= *t0
                            && match &e.event {
                                Event::ModeChanged { mode } => RETURN_MODES.contains(&mode.as_str()),
                                Event::Commanded { request, accepted: true, mode } => {
                                    request == "rtl"
                                        || request == "land"
                                        || mode.as_deref().is_some_and(|m| RETURN_MODES.contains(&m))
                                }
                                Event::Landed { .. } => true,
                                _ => false,
                            }
                    });
                    let Some(r) = returning.filter(|r| self.s(r.at) - self.s(*t0) <= *within_s) else {
                        return v(
                            Failed,
                            format!(
                                "link lost at {}: the vehicle was not returning within {within_s:.0} s{}",
                                self.ts(*t0),
                                returning.map_or(String::new(), |r| format!(" (only at {})", self.ts(r.at)))
                            ),
                            vec![*t0],
                        );
                    };
                    let end = self.landing_after(r.at);
                    let resumed = self.ev.iter().find(|e| {
                        e.at > r.at
                            && end.is_none_or(|l| e.at < l)
                            && match &e.event {
                                Event::Commanded { request, accepted: true, mode } => {
                                    RESUME_REQUESTS.contains(&request.as_str())
                                        || mode.as_deref().is_some_and(|m| RESUME_MODES.contains(&m))
                                }
                                Event::ModeChanged { mode } => RESUME_MODES.contains(&mode.as_str()),
                                _ => false,
                            }
                    });
                    if let Some(x) = resumed {
                        return v(
                            Failed,
                            format!(
                                "link lost at {}, returning at {}, then sent back on patrol at {} before landing",
                                self.ts(*t0),
                                self.ts(r.at),
                                self.ts(x.at)
                            ),
                            vec![*t0, r.at, x.at],
                        );
                    }
                }
                let t0 = losses[0];
                v(
                    Passed,
                    format!("returned after each of {} link loss(es) (first at {})", losses.len(), self.ts(t0)),
                    losses,
                )
            }
            Check::TakesOverAfterGpsLoss { within_s } => {
                let Some(lost) = self
                    .ev
                    .iter()
                    .find(|e| matches!(e.event, Event::GpsLost) && self.airborne_at(e.at))
                else {
                    return v(NotExercised, "no GPS loss in flight", vec![]);
                };
                let back = self
                    .ev
                    .iter()
                    .find(|e| e.at >= lost.at && matches!(e.event, Event::GpsRegained))
                    .map_or(lost.at, |e| e.at);
                if let Some(l) = self.landing_after(lost.at).filter(|l| *l < back) {
                    return v(
                        Failed,
                        format!("GPS lost at {}: the vehicle landed at {} before anyone took over", self.ts(lost.at), self.ts(l)),
                        vec![lost.at, l],
                    );
                }
                let take = self.ev.iter().find(|e| {
                    e.at >= lost.at
                        && matches!(&e.event, Event::Commanded { request, accepted: true, mode }
                            if request == "rtl" || request == "brake"
                                || mode.as_deref().is_some_and(|m| TAKEOVER_MODES.contains(&m)))
                });
                match take {
                    Some(t) if self.s(t.at) - self.s(back) <= *within_s => v(
                        Passed,
                        format!("GPS lost at {}, back at {}, taken over at {}", self.ts(lost.at), self.ts(back), self.ts(t.at)),
                        vec![lost.at, back, t.at],
                    ),
                    other => v(
                        Failed,
                        format!(
                            "GPS lost at {}, back at {}: not taken over within {within_s:.0} s{}",
                            self.ts(lost.at),
                            self.ts(back),
                            other.map_or(String::new(), |t| format!(" (only at {})", self.ts(t.at)))
                        ),
                        vec![lost.at, back],
                    ),
                }
            }
            Check::BreachMargin { min_time_s } => {
                let worst = self
                    .ev
                    .iter()
                    .filter_map(|e| match &e.event {
                        Event::BreachPredicted { time_s: Some(t), what, .. } if *t < *min_time_s => {
                            Some((e.at, *t, what.clone()))
                        }
                        _ => None,
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                match worst {
                    Some((at, t, what)) => v(
                        Failed,
                        format!(
                            "at {} a breach{} was predicted in {t:.0} s (under {min_time_s:.0} s)",
                            self.ts(at),
                            what.map_or(String::new(), |w| format!(" of {w}"))
                        ),
                        vec![at],
                    ),
                    None => v(Passed, format!("no breach predicted under {min_time_s:.0} s"), vec![]),
                }
            }
            Check::LandingBattery { min_pct } => {
                let flights = self.flights();
                if flights.is_empty() {
                    return v(NotExercised, "never flew", vec![]);
                }
                let Some(landed) = flights.iter().rev().find_map(|(_, e)| *e) else {
                    return v(Failed, "the flight does not end with a landing", vec![]);
                };
                let slack = chrono::Duration::seconds(2);
                let pct = self
                    .ev
                    .iter()
                    .filter(|e| e.at <= landed + slack)
                    .filter_map(|e| match e.event {
                        Event::Battery { pct } => Some(pct),
                        _ => None,
                    })
                    .next_back();
                match pct {
                    Some(p) if p >= *min_pct => v(Passed, format!("landed at {} with {p:.0} %", self.ts(landed)), vec![landed]),
                    Some(p) => v(
                        Failed,
                        format!("landed at {} with {p:.0} % (at least {min_pct:.0} % expected)", self.ts(landed)),
                        vec![landed],
                    ),
                    None => v(Failed, format!("landed at {} with the battery unknown", self.ts(landed)), vec![landed]),
                }
            }
            Check::LandsNearHome { within_m } => {
                let landing = self.ev.iter().rev().find_map(|e| match &e.event {
                    Event::Landed { pos } => Some((e.at, *pos)),
                    _ => None,
                });
                match (landing, self.home) {
                    (None, _) if self.flights().is_empty() => v(NotExercised, "never flew", vec![]),
                    (None, _) => v(Failed, "no landing recorded", vec![]),
                    (Some((at, Some(p))), Some(h)) => {
                        let d = p.distance_m(&h);
                        v(
                            if d <= *within_m { Passed } else { Failed },
                            format!("landed at {} {d:.0} m from the take-off point (within {within_m:.0} m expected)", self.ts(at)),
                            vec![at],
                        )
                    }
                    (Some((at, _)), _) => v(Failed, format!("landed at {} where nobody knows (no position or no home)", self.ts(at)), vec![at]),
                }
            }
            Check::NoFenceBreach => {
                let bad = self.ev.iter().find(|e| match &e.event {
                    Event::FenceBreach => true,
                    Event::AlarmRaised { rule_id: Some(r), .. } | Event::AutomaticAction { rule_id: r, .. } => {
                        r == "ZONE-PROHIBITED" || r == "AUTH-PERIMETER" || r == "ZONE-AUTH-REQUIRED"
                    }
                    _ => false,
                });
                match bad {
                    Some(e) => v(Failed, format!("a fence, zone or perimeter breach at {}", self.ts(e.at)), vec![e.at]),
                    None => v(Passed, "no fence, zone or perimeter breach", vec![]),
                }
            }
            Check::AcknowledgesAlarms { within_s } => {
                let raised: Vec<(&TimedEvent, &String)> = self
                    .ev
                    .iter()
                    .filter_map(|e| match &e.event {
                        Event::AlarmRaised { alarm, critical: true, .. } => Some((*e, alarm)),
                        _ => None,
                    })
                    .collect();
                if raised.is_empty() {
                    return v(NotExercised, "no critical alarm", vec![]);
                }
                for (e, alarm) in &raised {
                    let ack = self.ev.iter().find(|a| {
                        a.at >= e.at && matches!(&a.event, Event::AlarmAcknowledged { alarm: x } if x == *alarm)
                    });
                    match ack {
                        Some(a) if self.s(a.at) - self.s(e.at) <= *within_s => {}
                        other => {
                            return v(
                                Failed,
                                format!(
                                    "alarm {alarm} at {} not acknowledged within {within_s:.0} s{}",
                                    self.ts(e.at),
                                    other.map_or(" (never)".to_string(), |a| format!(" (at {})", self.ts(a.at)))
                                ),
                                vec![e.at],
                            );
                        }
                    }
                }
                v(Passed, format!("{} critical alarm(s) acknowledged in time", raised.len()), vec![])
            }
            Check::FindsHotspots {
                fires,
                min_found,
                max_error_m,
            } => {
                let reports: Vec<(DateTime<Utc>, flight_rules::LatLon, f64)> = self
                    .ev
                    .iter()
                    .filter_map(|e| match &e.event {
                        Event::HotspotReported { pos, error_m } => Some((e.at, *pos, error_m.unwrap_or(*max_error_m))),
                        _ => None,
                    })
                    .collect();
                let mut found_at = Vec::new();
                let mut found = 0;
                for f in fires {
                    if let Some((at, _, _)) = reports.iter().find(|(_, p, err)| p.distance_m(f) <= *err) {
                        found += 1;
                        found_at.push(*at);
                    }
                }
                v(
                    if found >= *min_found { Passed } else { Failed },
                    format!("{found} of the {} fires reported within their stated error ({min_found} expected); {} report(s) in all", fires.len(), reports.len()),
                    found_at,
                )
            }
        }
    }
}

/// Score a flight against a scenario's expectations.
pub fn score(def: &ScoringDefinition, timeline: &Timeline) -> ScoreSheet {
    let mut ev: Vec<&TimedEvent> = timeline.events.iter().collect();
    ev.sort_by_key(|e| e.at);
    let j = Judge {
        t0: timeline.started_at,
        ev,
        home: timeline.home,
    };
    let items: Vec<ItemScore> = def
        .expectations
        .iter()
        .map(|x| {
            let verdict = j.judge(&x.check);
            ItemScore {
                id: x.id.clone(),
                label: x.label.clone(),
                label_fr: x.label_fr.clone(),
                outcome: verdict.outcome,
                points: if verdict.outcome == Outcome::Passed {
                    x.points
                } else {
                    0
                },
                max_points: if verdict.outcome == Outcome::NotExercised {
                    0
                } else {
                    x.points
                },
                why: verdict.why,
                evidence_s: verdict.at.iter().map(|t| j.s(*t)).collect(),
            }
        })
        .collect();
    let points = items.iter().map(|i| i.points).sum();
    let max_points: u32 = items.iter().map(|i| i.max_points).sum();
    ScoreSheet {
        scenario: def.scenario.clone(),
        title: def.title.clone(),
        pilot: timeline.pilot.clone(),
        started_at: timeline.started_at,
        points,
        max_points,
        percent: if max_points == 0 {
            100.0
        } else {
            100.0 * f64::from(points) / f64::from(max_points)
        },
        full_marks: items.iter().all(|i| i.outcome != Outcome::Failed),
        items,
    }
}
