//! Station events and alarms in the pilot's words, from their typed kinds (never from the
//! station's English sentence), and the event log.

use egui::RichText;
use vigie_link::CommandResult;
use vigie_station::{
    Alarm, AlarmKind, EventKind, EventLevel, Failure, StationEvent, StationSnapshot, VehicleId,
};

use super::i18n::{Tr, Value};
use super::theme::Palette;

pub fn vehicle_name(tr: &Tr, id: VehicleId) -> String {
    tr.ta("vehicle-name", &[("id", i64::from(id.0).into())])
}

/// A request's stable name ("arm-in-guided") in words.
pub fn request_text(tr: &Tr, request: &str) -> String {
    let key = format!("request-{request}");
    if tr.has(&key) {
        tr.t(&key)
    } else {
        request.to_string()
    }
}

pub fn failure_text(tr: &Tr, f: &Failure) -> String {
    match f {
        Failure::VehicleUnknown(v) => tr.ta(
            "failure-vehicle-unknown",
            &[("vehicle", vehicle_name(tr, *v).into())],
        ),
        Failure::VehicleAnswered(r) => tr.ta(
            "failure-vehicle-answered",
            &[("result", command_result_text(tr, *r).into())],
        ),
        Failure::Link(d) => tr.ta("failure-link", &[("detail", d.as_str().into())]),
        Failure::NoAuthorisation => tr.t("failure-no-authorisation"),
        Failure::Fence(d) => tr.ta("failure-fence", &[("detail", d.as_str().into())]),
        Failure::ReadBack(d) => tr.ta("failure-read-back", &[("detail", d.as_str().into())]),
        Failure::Preempted(r) => tr.ta(
            "failure-preempted",
            &[("request", request_text(tr, r).into())],
        ),
        Failure::Superseded(r) => tr.ta(
            "failure-superseded",
            &[("request", request_text(tr, r).into())],
        ),
        Failure::Busy => tr.t("failure-busy"),
        Failure::NoMission => tr.t("failure-no-mission"),
        Failure::UnknownAlarm => tr.t("failure-unknown-alarm"),
        Failure::LoginRefused {
            reason,
            locked_until,
        } => match locked_until {
            Some(t) => tr.ta(
                "failure-login-locked",
                &[
                    ("reason", reason.as_str().into()),
                    ("until", tr.time(*t).into()),
                ],
            ),
            None => tr.ta(
                "failure-login-refused",
                &[("reason", reason.as_str().into())],
            ),
        },
        Failure::UnknownAuthorisation(a) => tr.ta(
            "failure-unknown-authorisation",
            &[("arrete", a.as_str().into())],
        ),
        Failure::BadAuthorisation(d) => tr.ta(
            "failure-bad-authorisation",
            &[("detail", d.as_str().into())],
        ),
        Failure::InFlight(what) => tr.ta(
            "failure-in-flight",
            &[("request", request_text(tr, what).into())],
        ),
        Failure::Stopped => tr.t("failure-stopped"),
        Failure::BadHotspot => tr.t("failure-bad-hotspot"),
        Failure::UnknownHotspot(id) => {
            tr.ta("failure-unknown-hotspot", &[("id", id.as_str().into())])
        }
        Failure::NothingRecorded(v) => tr.ta(
            "failure-nothing-recorded",
            &[("vehicle", v.0.to_string().into())],
        ),
    }
}

pub fn command_result_text(tr: &Tr, r: CommandResult) -> String {
    tr.t(match r {
        CommandResult::Accepted => "result-accepted",
        CommandResult::TemporarilyRejected => "result-temporarily-rejected",
        CommandResult::Denied => "result-denied",
        CommandResult::Unsupported => "result-unsupported",
        CommandResult::Failed => "result-failed",
        CommandResult::Cancelled => "result-cancelled",
        CommandResult::NoAck => "result-no-ack",
    })
}

fn blocking_text(tr: &Tr, d: &flight_rules::Decision) -> String {
    let v: Vec<String> = d
        .findings
        .iter()
        .filter(|f| f.severity != flight_rules::Severity::Info)
        .map(|f| tr.finding(f))
        .collect();
    v.join(" ; ")
}

/// One event as a sentence in the pilot's language.
pub fn event_text(tr: &Tr, e: &StationEvent) -> String {
    let who: Value = e
        .vehicle
        .map_or_else(|| tr.t("the-station"), |v| vehicle_name(tr, v))
        .into();
    let w = || ("who", who.clone());
    match &e.kind {
        EventKind::VehicleConnected => tr.ta("event-connected", &[w()]),
        EventKind::LinkLost => tr.ta("event-link-lost", &[w()]),
        EventKind::LinkRegained => tr.ta("event-link-regained", &[w()]),
        EventKind::LinkUp { link, detail } => tr.ta(
            "event-link-up",
            &[
                ("link", link.as_str().into()),
                ("detail", detail.as_str().into()),
            ],
        ),
        EventKind::LinkDown { link, reason } => tr.ta(
            "event-link-down",
            &[
                ("link", link.as_str().into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        EventKind::Armed => tr.ta("event-armed", &[w()]),
        EventKind::Disarmed => tr.ta("event-disarmed", &[w()]),
        EventKind::ModeChanged(m) => tr.ta("event-mode", &[w(), ("mode", m.to_string().into())]),
        EventKind::VehicleSaid { text, .. } => {
            tr.ta("event-vehicle-said", &[w(), ("text", text.as_str().into())])
        }
        EventKind::AutopilotReady(true) => tr.ta("event-autopilot-ready", &[w()]),
        EventKind::AutopilotReady(false) => tr.ta("event-autopilot-not-ready", &[w()]),
        EventKind::MissionItemReached(n) => {
            tr.ta("event-mission-item", &[w(), ("n", i64::from(*n).into())])
        }
        EventKind::FenceBreach => tr.ta("event-fence-breach", &[w()]),
        EventKind::FenceCleared => tr.ta("event-fence-cleared", &[w()]),
        EventKind::Refused { request, decision } => tr.ta(
            "event-refused",
            &[
                w(),
                ("request", request_text(tr, request).into()),
                ("reasons", blocking_text(tr, decision).into()),
            ],
        ),
        EventKind::Commanded {
            request, result, ..
        } => tr.ta(
            "event-commanded",
            &[
                w(),
                ("request", request_text(tr, request).into()),
                ("result", command_result_text(tr, *result).into()),
            ],
        ),
        EventKind::RequestFailed { request, failure } => tr.ta(
            "event-request-failed",
            &[
                w(),
                ("request", request_text(tr, request).into()),
                ("failure", failure_text(tr, failure).into()),
            ],
        ),
        EventKind::FenceUploaded { items, enabled, .. } => tr.ta(
            if *enabled {
                "event-fence-uploaded"
            } else {
                "event-fence-uploaded-not-enabled"
            },
            &[w(), ("items", (*items).into())],
        ),
        EventKind::MissionUploaded { items, .. } => {
            tr.ta("event-mission-uploaded", &[w(), ("items", (*items).into())])
        }
        EventKind::WindGate {
            status,
            gate_mps,
            limit_mps,
        } => tr.ta(
            "event-wind-gate",
            &[
                ("status", wind_status_text(tr, *status).into()),
                (
                    "wind",
                    gate_mps
                        .map_or_else(
                            || tr.t("wind-no-reading"),
                            |g| format!("{} km/h", tr.num(g * 3.6, 0)),
                        )
                        .into(),
                ),
                ("limit", tr.num(limit_mps * 3.6, 0).into()),
            ],
        ),
        EventKind::InFlightFinding { decision } => tr.ta(
            "event-in-flight",
            &[w(), ("reasons", blocking_text(tr, decision).into())],
        ),
        EventKind::FlightOpened { flight_id } => tr.ta(
            "event-flight-opened",
            &[w(), ("flight", flight_id.as_str().into())],
        ),
        EventKind::AutomaticAction { action, rule_id } => tr.ta(
            "event-automatic-action",
            &[
                w(),
                ("action", request_text(tr, action).into()),
                ("rule", (*rule_id).into()),
            ],
        ),
        EventKind::LoggedIn { pilot_id } => {
            tr.ta("event-logged-in", &[("pilot", pilot_id.as_str().into())])
        }
        EventKind::LoginRefused { pilot_id, reason } => tr.ta(
            "event-login-refused",
            &[
                ("pilot", pilot_id.as_str().into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        EventKind::LoggedOut { pilot_id } => {
            tr.ta("event-logged-out", &[("pilot", pilot_id.as_str().into())])
        }
        EventKind::AuthorisationEnding { arrete, left_s } => tr.ta(
            "event-authorisation-ending",
            &[
                ("arrete", arrete.as_str().into()),
                ("minutes", (left_s / 60).into()),
            ],
        ),
        EventKind::AuthorisationSelected { arrete } => tr.ta(
            "event-authorisation-selected",
            &[("arrete", arrete.as_str().into())],
        ),
        EventKind::MetarReceived { raw } => tr.ta("event-metar", &[("raw", raw.as_str().into())]),
        EventKind::FeedUp { feed, detail } => tr.ta(
            "event-feed-up",
            &[("feed", (*feed).into()), ("detail", detail.as_str().into())],
        ),
        EventKind::FeedFault { feed, reason } => tr.ta(
            "event-feed-fault",
            &[("feed", (*feed).into()), ("reason", reason.as_str().into())],
        ),
        EventKind::FlightSealed { flight_id } => tr.ta(
            "event-flight-sealed",
            &[w(), ("flight", flight_id.as_str().into())],
        ),
        EventKind::RegisterFault { what } => {
            tr.ta("event-register-fault", &[("what", what.as_str().into())])
        }
        EventKind::SigningRejected { link, why } => tr.ta(
            "event-signing-rejected",
            &[
                w(),
                ("link", link.as_str().into()),
                ("why", why.as_str().into()),
            ],
        ),
        EventKind::CommandDropped { link, message } => tr.ta(
            "event-command-dropped",
            &[
                ("link", link.as_str().into()),
                ("message", message.as_str().into()),
            ],
        ),
        EventKind::FlightResumed { flight_id, gap_s } => tr.ta(
            "event-flight-resumed",
            &[
                w(),
                ("flight", flight_id.as_str().into()),
                ("gap", format!("{gap_s:.0}").into()),
            ],
        ),
        EventKind::FlightLeftOpen {
            flight_id,
            clean_stop,
        } => tr.ta(
            if *clean_stop {
                "event-flight-left-open-stopped"
            } else {
                "event-flight-left-open-killed"
            },
            &[w(), ("flight", flight_id.as_str().into())],
        ),
        EventKind::FlightEndedWhileAway { flight_id, report } => tr.ta(
            "event-flight-ended-while-away",
            &[
                w(),
                ("flight", flight_id.as_str().into()),
                ("report", report.as_str().into()),
            ],
        ),
        EventKind::FlightInterrupted {
            flight_id,
            airborne,
            failsafe,
        } => tr.ta(
            if *airborne {
                "event-flight-interrupted-airborne"
            } else {
                "event-flight-interrupted"
            },
            &[
                w(),
                ("flight", flight_id.as_str().into()),
                ("failsafe", failsafe.clone().unwrap_or_default().into()),
            ],
        ),
        EventKind::ReadBack { what, matches } => tr.ta(
            if *matches {
                "event-read-back-matches"
            } else {
                "event-read-back-differs"
            },
            &[w(), ("what", (*what).into())],
        ),
        EventKind::ChecklistCompleted => tr.t("event-checklist-completed"),
        EventKind::TookOff { .. } => tr.ta("event-took-off", &[w()]),
        EventKind::Landed { battery_pct, .. } => tr.ta(
            "event-landed",
            &[
                w(),
                (
                    "battery",
                    battery_pct
                        .map_or_else(|| "?".to_string(), |b| format!("{b:.0}"))
                        .into(),
                ),
            ],
        ),
        EventKind::AlarmCleared { what, .. } => tr.ta(
            "event-alarm-cleared",
            &[w(), ("what", what.as_str().into())],
        ),
        EventKind::AlarmAcknowledged { by, .. } => tr.ta(
            "event-alarm-acknowledged",
            &[w(), ("by", by.as_str().into())],
        ),
        EventKind::BreachPredicted {
            time_s,
            distance_m,
            what,
        } => tr.ta(
            "event-breach-predicted",
            &[
                w(),
                ("what", what.as_str().into()),
                ("seconds", format!("{time_s:.0}").into()),
                ("metres", format!("{distance_m:.0}").into()),
            ],
        ),
        EventKind::VideoLost { stream, reason } => tr.ta(
            "event-video-lost",
            &[
                w(),
                ("stream", stream.as_str().into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        EventKind::VideoRegained { stream } => tr.ta(
            "event-video-regained",
            &[w(), ("stream", stream.as_str().into())],
        ),
        EventKind::VideoAnnounced { stream, source } => tr.ta(
            "event-video-announced",
            &[
                w(),
                ("stream", stream.as_str().into()),
                ("source", source.as_str().into()),
            ],
        ),
        EventKind::VideoUnusable { stream, reason } => tr.ta(
            "event-video-unusable",
            &[
                w(),
                ("stream", stream.as_str().into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        EventKind::RecordingStopped { stream, reason } => tr.ta(
            "event-recording-stopped",
            &[
                w(),
                ("stream", stream.as_str().into()),
                ("reason", reason.as_str().into()),
            ],
        ),
        EventKind::IncidentReported {
            id,
            kind,
            note,
            source,
            ..
        } => tr.ta(
            "event-incident",
            &[
                ("id", id.as_str().into()),
                ("kind", kind.as_str().into()),
                ("note", note.as_str().into()),
                ("source", source.as_str().into()),
            ],
        ),
        EventKind::DomicileFlagged { by } => {
            tr.ta("event-domicile", &[w(), ("by", by.as_str().into())])
        }
        EventKind::IncidentResponse { id, what, after_s } => tr.ta(
            match what {
                vigie_station::IncidentMilestone::Airborne => "event-incident-airborne",
                vigie_station::IncidentMilestone::OnScene => "event-incident-on-scene",
            },
            &[
                ("id", id.as_str().into()),
                ("after", format!("{after_s:.0}").into()),
            ],
        ),
        EventKind::HotspotObserved {
            id,
            error_m,
            observations,
            ..
        } => tr.ta(
            "event-hotspot",
            &[
                w(),
                ("id", id.as_str().into()),
                ("error", format!("{error_m:.0}").into()),
                ("n", i64::from(*observations).into()),
            ],
        ),
    }
}

pub fn wind_status_text(tr: &Tr, s: flight_rules::WindStatus) -> String {
    use flight_rules::WindStatus::*;
    tr.t(match s {
        Ok => "wind-status-ok",
        Warn => "wind-status-warn",
        AboveLimit => "wind-status-above",
        Hysteresis => "wind-status-hysteresis",
        NoFreshSource => "wind-status-no-fresh",
    })
}

/// An alarm in words: its kind, its vehicle, and for an in-flight finding the finding itself
/// (taken from the vehicle's monitor verdict by rule ID).
pub fn alarm_text(tr: &Tr, snap: &StationSnapshot, a: &Alarm) -> String {
    let who = a
        .vehicle
        .map_or_else(|| tr.t("the-station"), |v| vehicle_name(tr, v));
    let what = match &a.kind {
        AlarmKind::LinkLost => tr.t("alarm-link-lost"),
        AlarmKind::FenceBreach => tr.t("alarm-fence-breach"),
        AlarmKind::InFlight(rule) => a
            .vehicle
            .and_then(|v| snap.vehicles.get(&v))
            .and_then(|v| v.monitor.as_ref())
            .and_then(|d| d.findings.iter().find(|f| f.rule_id == *rule))
            .map_or_else(
                || tr.ta("alarm-in-flight", &[("rule", (*rule).into())]),
                |f| tr.finding(f),
            ),
        AlarmKind::VehicleWarning => tr.ta(
            "alarm-vehicle-warning",
            &[("detail", a.detail.as_str().into())],
        ),
        AlarmKind::RegisterFault => tr.t("alarm-register-fault"),
        AlarmKind::SigningRejected => tr.t("alarm-signing-rejected"),
        AlarmKind::AuthorisationEnding { seconds } => tr.ta(
            "alarm-authorisation-ending",
            &[("minutes", ((*seconds).max(0) / 60).into())],
        ),
        AlarmKind::Feed(feed) => tr.ta("alarm-feed", &[("feed", (*feed).into())]),
        AlarmKind::ReadBack => tr.t("alarm-read-back"),
        AlarmKind::VideoLost => tr.t("alarm-video-lost"),
        AlarmKind::RecordingStopped => tr.t("alarm-recording-stopped"),
    };
    tr.ta("alarm-line", &[("who", who.into()), ("what", what.into())])
}

/// The latest events, newest at the bottom; level by word and colour.
pub fn log_ui(ui: &mut egui::Ui, tr: &Tr, p: &Palette, snap: &StationSnapshot) {
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for e in &snap.events {
                let (tag, colour) = match e.level {
                    EventLevel::Alarm => (tr.t("level-alarm"), p.deny),
                    EventLevel::Warning => (tr.t("level-warning"), p.warn),
                    EventLevel::Info => (tr.t("level-info"), p.text),
                };
                ui.label(
                    RichText::new(format!("{} {tag} {}", tr.clock(e.at), event_text(tr, e)))
                        .color(colour),
                );
            }
        });
}
