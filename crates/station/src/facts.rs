//! What each station event keeps in the register's `data` column beside its sentence, and the
//! training timeline read back from it: a trainee is scored from the register, not from what a
//! script remembers (issue 13).
//!
//! The facts are plain JSON with units in their names; fence and mission uploads keep their
//! items instead (a restarted station compares them with what the vehicle holds).

use chrono::{DateTime, Utc};
use flight_rules::LatLon;
use serde::{Deserialize, Serialize};
use vigie_patrol::scoring::{Event, TimedEvent, Timeline};
use vigie_register::EventRecord;

use crate::event::{AlarmSeverity, EventKind, StationEvent};

/// The typed part of an event, as stored. Every field is optional: each kind fills its own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EventFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The vehicle accepted the command (COMMANDED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
    /// A flight mode, ArduCopter's name (`RTL`, `LOITER`…): asked for, or entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The alarm this event raised, cleared or acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_critical: Option<bool>,
    /// Where (latitude, longitude, degrees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<(f64, f64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
    /// The wind gate's state (`Ok`, `Warn`, `AboveLimit`, `Hysteresis`, `NoReading`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_kmh: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotspot_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
}

/// The `data` column for an event: uploaded items for uploads, the facts otherwise (none when
/// the sentence says it all).
pub fn event_data(e: &StationEvent) -> Option<serde_json::Value> {
    match &e.kind {
        EventKind::FenceUploaded { uploaded, .. } | EventKind::MissionUploaded { uploaded, .. } => {
            return serde_json::to_value(uploaded).ok();
        }
        _ => {}
    }
    let f = facts(e);
    (f != EventFacts::default())
        .then(|| serde_json::to_value(&f).ok())
        .flatten()
}

fn facts(e: &StationEvent) -> EventFacts {
    let mut f = EventFacts {
        alarm_id: e.alarm.map(|a| a.id.0),
        alarm_critical: e.alarm.map(|a| a.severity == AlarmSeverity::Critical),
        ..EventFacts::default()
    };
    match &e.kind {
        EventKind::Refused { request, .. } => f.request = Some((*request).into()),
        EventKind::Commanded {
            request,
            result,
            mode,
        } => {
            f.request = Some((*request).into());
            f.accepted = Some(*result == vigie_link::CommandResult::Accepted);
            f.mode = mode.map(|m| m.name().into());
        }
        EventKind::RequestFailed { request, .. } => f.request = Some((*request).into()),
        EventKind::ModeChanged(m) => f.mode = Some(m.name().into()),
        EventKind::TookOff { pos } => f.pos = *pos,
        EventKind::Landed { pos, battery_pct } => {
            f.pos = *pos;
            f.battery_pct = *battery_pct;
        }
        EventKind::AlarmCleared { alarm, .. } | EventKind::AlarmAcknowledged { alarm, .. } => {
            f.alarm_id = Some(alarm.0);
        }
        EventKind::BreachPredicted {
            time_s,
            distance_m,
            what,
        } => {
            f.time_s = Some(*time_s);
            f.distance_m = Some(*distance_m);
            f.what = Some(what.clone());
        }
        EventKind::WindGate {
            status, gate_mps, ..
        } => {
            f.status = Some(format!("{status:?}"));
            f.gate_kmh = gate_mps.map(|g| g * 3.6);
        }
        EventKind::AutomaticAction { action, .. } => f.action = Some((*action).into()),
        EventKind::IncidentReported {
            id,
            pos,
            kind,
            source,
            ..
        } => {
            f.incident_id = Some(id.clone());
            f.pos = Some(*pos);
            f.what = Some(kind.clone());
            f.source = Some(source.clone());
        }
        EventKind::IncidentResponse { id, what, after_s } => {
            f.incident_id = Some(id.clone());
            f.what = Some(format!("{what:?}"));
            f.time_s = Some(*after_s);
        }
        EventKind::HotspotObserved {
            id,
            pos,
            error_m,
            source,
            ..
        } => {
            f.hotspot_id = Some(id.clone());
            f.pos = Some(*pos);
            f.error_m = Some(*error_m);
            f.source = serde_json::to_value(source)
                .ok()
                .and_then(|v| v.as_str().map(String::from));
        }
        _ => {}
    }
    f
}

/// The training session as the scorer reads it, from the register's events between the
/// session's start and end (the training register: `Register::events`).
pub fn timeline(
    scenario: &str,
    pilot: Option<String>,
    started_at: DateTime<Utc>,
    home: Option<LatLon>,
    records: &[EventRecord],
) -> Timeline {
    let mut events = Vec::new();
    // Alarms by id: the rule behind each (GPS-DEGRADED raised then cleared is a GPS loss).
    let mut alarm_rules: std::collections::BTreeMap<u64, Option<String>> = Default::default();
    let mut reported_hotspots: std::collections::BTreeMap<String, (DateTime<Utc>, f64, f64, f64)> =
        Default::default();
    for r in records {
        let f: EventFacts = r
            .data
            .clone()
            .and_then(|d| serde_json::from_value(d).ok())
            .unwrap_or_default();
        let mut push = |event: Event| {
            events.push(TimedEvent { at: r.at, event });
        };
        let rule = r.rule_ids.first().cloned();
        if let (Some(id), Some(critical)) = (f.alarm_id, f.alarm_critical) {
            let first = !alarm_rules.contains_key(&id);
            alarm_rules.insert(id, rule.clone());
            if first {
                push(Event::AlarmRaised {
                    alarm: id.to_string(),
                    rule_id: rule.clone(),
                    critical,
                });
                if rule.as_deref() == Some(flight_rules::rule_id::GPS_DEGRADED) {
                    push(Event::GpsLost);
                }
            }
        }
        match r.code.as_str() {
            "REFUSED" => push(Event::Refused {
                request: f.request.unwrap_or_default(),
                rule_ids: r.rule_ids.clone(),
            }),
            "COMMANDED" => push(Event::Commanded {
                request: f.request.unwrap_or_default(),
                accepted: f.accepted.unwrap_or(false),
                mode: f.mode,
            }),
            "CHECKLIST-COMPLETED" => push(Event::ChecklistCompleted),
            "ARMED" => push(Event::Armed),
            "DISARMED" => push(Event::Disarmed),
            "TOOK-OFF" => push(Event::TookOff),
            "LANDED" => {
                if let Some(pct) = f.battery_pct {
                    push(Event::Battery { pct });
                }
                push(Event::Landed {
                    pos: f.pos.map(|(lat, lon)| LatLon::new(lat, lon)),
                });
            }
            "MODE" => push(Event::ModeChanged {
                mode: f.mode.unwrap_or_default(),
            }),
            "LINK-LOST" => push(Event::LinkLost),
            "LINK-REGAINED" => push(Event::LinkRegained),
            "ALARM-CLEARED" => {
                if let Some(id) = f.alarm_id
                    && alarm_rules.get(&id).cloned().flatten().as_deref()
                        == Some(flight_rules::rule_id::GPS_DEGRADED)
                {
                    push(Event::GpsRegained);
                }
            }
            "ALARM-ACKNOWLEDGED" => {
                if let Some(id) = f.alarm_id {
                    push(Event::AlarmAcknowledged {
                        alarm: id.to_string(),
                    });
                }
            }
            "BREACH-PREDICTED" => push(Event::BreachPredicted {
                time_s: f.time_s,
                distance_m: f.distance_m.unwrap_or(0.0),
                what: f.what,
            }),
            "FENCE-BREACH" => push(Event::FenceBreach),
            "WIND-GATE" => push(Event::WindGate {
                status: f.status.unwrap_or_default(),
                gate_kmh: f.gate_kmh,
            }),
            "AUTOMATIC-ACTION" => push(Event::AutomaticAction {
                action: f.action.unwrap_or_default(),
                rule_id: rule.unwrap_or_default(),
            }),
            "HOTSPOT" => {
                if let (Some(id), Some(pos), Some(err)) = (f.hotspot_id, f.pos, f.error_m) {
                    reported_hotspots.insert(id, (r.at, pos.0, pos.1, err));
                }
            }
            _ => {}
        }
    }
    // One report per hot spot, where its sightings put it in the end (merged, not each frame).
    for (at, lat, lon, err) in reported_hotspots.into_values() {
        events.push(TimedEvent {
            at,
            event: Event::HotspotReported {
                pos: LatLon::new(lat, lon),
                error_m: Some(err),
            },
        });
    }
    events.sort_by_key(|e| e.at);
    Timeline {
        scenario: scenario.to_string(),
        pilot,
        started_at,
        home,
        events,
    }
}
