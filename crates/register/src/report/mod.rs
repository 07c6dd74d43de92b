//! The flight report a chief of service reads (HTML and PDF): who flew what, under which arrêté
//! and legal basis, for what, when, where (a map drawn from the register's own records: the
//! perimeter, the track in the sealed `.rrd`, its zones), alarms, refusals with their rule IDs,
//! video segments with digests, viewers. Built from the register alone and citing the seal (hash,
//! signature, every entry it covers), so anyone can check it against the register.
//!
//! [`ReportData`] is decided from the records (pure); `html` and `pdf` only draw it.

mod html;
pub(crate) mod map;
mod pdf;
mod time;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::chain::Entry;
use crate::error::Result;
use crate::recorder::{ZoneStyle, read_rrd_geo};
use crate::records::*;
use crate::register::{FlightView, Register, SealEntry, file_sha256, kind, parse};

pub use map::MapZone;
pub use time::paris_time;

/// A zone ring the caller adds to the map (the register keeps only the zones logged in the .rrd).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportZone {
    pub name: String,
    pub style: ZoneStyle,
    /// `[lat_deg, lon_deg]`.
    pub ring_lat_lon_deg: Vec<[f64; 2]>,
}

/// One line of the timeline (events of the flight).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub code: String,
    pub text: String,
    pub rule_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSegment {
    pub entry_id: i64,
    /// None once erased by the retention purge (the entry is a tombstone).
    pub segment: Option<VideoSegment>,
    /// Whether the file is present now with its recorded digest (`None` if erased).
    pub file_intact: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportViewer {
    pub name: String,
    pub role: String,
    pub id: String,
    pub from: String,
    pub stream: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Everything the report states, from the register (and the sealed `.rrd` for the track).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportData {
    pub format: String,
    pub generated_at: DateTime<Utc>,
    pub register: String,
    pub station: String,
    pub flight_id: String,
    pub start: FlightStart,
    pub legal_basis: Option<LegalBasisRecord>,
    pub pilot: Option<PilotRecord>,
    pub aircraft: Option<AircraftRecord>,
    pub authorisation: Option<AuthorisationRecord>,
    pub deployment: Option<DeploymentRecord>,
    pub deployment_ended_at: Option<DateTime<Utc>>,
    pub seal: Option<FlightSeal>,
    pub seal_entry: Option<SealEntry>,
    pub duration_s: Option<i64>,
    /// Alarms (`EventKind::Alarm`).
    pub alarms: Vec<ReportEvent>,
    /// Refusals by a rule (`EventKind::Denial`), with their rule IDs.
    pub refusals: Vec<ReportEvent>,
    /// Commands, automatic actions and information.
    pub other_events: Vec<ReportEvent>,
    pub wind: Vec<WindReading>,
    pub segments: Vec<ReportSegment>,
    pub viewers: Vec<ReportViewer>,
    pub active_hold: Option<LegalHold>,
    /// Ids of every entry of the flight (the seal covers all but itself).
    pub entry_ids: Vec<i64>,
    /// Track points read from the sealed .rrd: `[lat, lon]`; empty when it is erased or absent.
    pub track_lat_lon_deg: Vec<[f64; 2]>,
    /// Why there is no track on the map, when there is none.
    pub track_note: Option<String>,
    pub perimeter_lat_lon_deg: Vec<Vec<[f64; 2]>>,
    pub zones: Vec<MapZone>,
}

/// A rendered report: the same figures as HTML and as PDF.
#[derive(Debug, Clone)]
pub struct Report {
    pub data: ReportData,
    pub html: String,
    pub pdf: Vec<u8>,
    /// The access-journal entry that records this consultation.
    pub journal_entry: i64,
}

fn report_event(e: &EventRecord) -> ReportEvent {
    ReportEvent {
        at: e.at,
        kind: e.kind,
        code: e.code.clone(),
        text: e.text.clone(),
        rule_ids: e.rule_ids.clone(),
    }
}

impl Register {
    /// The flight report (HTML and PDF) for `flight_id`, journaled as a consultation like any read.
    pub fn flight_report(
        &mut self,
        flight_id: &str,
        actor: &Actor,
        motive: &str,
    ) -> Result<Report> {
        self.flight_report_with_zones(flight_id, actor, motive, &[])
    }

    /// [`Register::flight_report`], with zone rings the caller draws on the map besides the zones
    /// the flight's `.rrd` holds (e.g. the geozones the station evaluated).
    pub fn flight_report_with_zones(
        &mut self,
        flight_id: &str,
        actor: &Actor,
        motive: &str,
        zones: &[ReportZone],
    ) -> Result<Report> {
        let data = self.report_data(flight_id, zones)?;
        let html = html::render(&data);
        let pdf = pdf::render(&data)?;
        let journal = self.journal_access(
            actor,
            AccessAction::Consultation,
            motive,
            Some("flight report (HTML, PDF)"),
            vec![data.flight_id.clone()],
            data.entry_ids.clone(),
        )?;
        Ok(Report {
            data,
            html,
            pdf,
            journal_entry: journal.id,
        })
    }

    /// What the report states, from the register alone (not journaled: `flight_report` is).
    pub fn report_data(&mut self, flight_ref: &str, zones: &[ReportZone]) -> Result<ReportData> {
        let view: FlightView = self.flight_view_unjournaled(flight_ref)?;
        let station = view.station.clone();
        let latest = |reg: &mut Register, subject: String, k: &str| -> Result<Option<Entry>> {
            Ok(reg
                .store()
                .by_station_subject(&station, &subject)?
                .into_iter()
                .rev()
                .find(|e| e.kind == k && e.payload.is_some()))
        };
        let pilot = match latest(self, format!("pilot:{}", view.start.pilot_id), kind::PILOT)? {
            Some(e) => Some(parse::<PilotRecord>(&e)?),
            None => None,
        };
        let aircraft = match latest(
            self,
            format!("aircraft:{}", view.start.aircraft_registration),
            kind::AIRCRAFT,
        )? {
            Some(e) => Some(parse::<AircraftRecord>(&e)?),
            None => None,
        };
        let mut alarms = Vec::new();
        let mut refusals = Vec::new();
        let mut other_events = Vec::new();
        for e in &view.events {
            match e.kind {
                EventKind::Alarm => alarms.push(report_event(e)),
                EventKind::Denial => refusals.push(report_event(e)),
                _ => other_events.push(report_event(e)),
            }
        }
        let segments = view
            .video_segments
            .iter()
            .map(|(id, seg)| ReportSegment {
                entry_id: *id,
                file_intact: seg.as_ref().map(|s| {
                    file_sha256(&self.resolve(&s.file.path)).is_ok_and(|d| d == s.file.sha256)
                }),
                segment: seg.clone(),
            })
            .collect();
        let viewers = view
            .viewer_sessions
            .iter()
            .map(|(s, end)| ReportViewer {
                name: s.viewer.name.clone(),
                role: s.viewer.role.clone(),
                id: s.viewer.id.clone(),
                from: s.from.clone(),
                stream: s.stream.clone(),
                started_at: s.started_at,
                ended_at: end.as_ref().map(|e| e.ended_at),
            })
            .collect();
        // The track and the zones the station logged, from the sealed recording when it is still
        // there and matches its digest (a changed file is not drawn: `verify` names it).
        let mut track = Vec::new();
        let mut track_note = None;
        let mut map_zones: Vec<MapZone> = Vec::new();
        match view.seal.as_ref().and_then(|s| s.rrd.clone()) {
            None => {
                track_note = Some(if view.seal.is_none() {
                    "vol non scellé : pas encore d'enregistrement de trajectoire".into()
                } else {
                    "aucun enregistrement .rrd n'a été scellé pour ce vol".into()
                })
            }
            Some(rrd) => {
                let path = self.resolve(&rrd.path);
                match file_sha256(&path) {
                    Ok(d) if d == rrd.sha256 => match read_rrd_geo(&path) {
                        Ok(geo) => {
                            track = geo.track;
                            map_zones.extend(geo.zones);
                        }
                        Err(e) => track_note = Some(format!("trajectoire illisible : {e}")),
                    },
                    Ok(_) => {
                        track_note = Some(
                            "l'enregistrement .rrd ne correspond plus à son empreinte scellée : \
                             trajectoire non tracée (voir `vigie register verify`)"
                                .into(),
                        )
                    }
                    Err(_) => {
                        track_note = Some(
                            "enregistrement .rrd effacé à l'échéance de conservation : trajectoire non tracée"
                                .into(),
                        )
                    }
                }
            }
        }
        // The perimeter comes from the authorisation record; the .rrd copy is not drawn twice.
        map_zones.retain(|z| z.style != ZoneStyle::Perimeter);
        for z in zones {
            map_zones.push(MapZone {
                name: z.name.clone(),
                style: z.style,
                ring_lat_lon_deg: z.ring_lat_lon_deg.clone(),
            });
        }
        let duration_s = view
            .seal
            .as_ref()
            .map(|s| (s.ended_at - view.start.started_at).num_seconds());
        Ok(ReportData {
            format: "vigie-flight-report-v1".into(),
            generated_at: self.now(),
            register: self.location(),
            station,
            flight_id: view.start.flight_id.clone(),
            perimeter_lat_lon_deg: view
                .authorisation
                .as_ref()
                .map(|a| a.perimeter_lat_lon_deg.clone())
                .unwrap_or_default(),
            start: view.start,
            legal_basis: view.legal_basis,
            pilot,
            aircraft,
            authorisation: view.authorisation,
            deployment: view.deployment,
            deployment_ended_at: view.deployment_ended_at,
            seal: view.seal,
            seal_entry: view.seal_entry,
            duration_s,
            alarms,
            refusals,
            other_events,
            wind: view.wind,
            segments,
            viewers,
            active_hold: view.active_hold,
            entry_ids: view.entry_ids,
            track_lat_lon_deg: track,
            track_note,
            zones: map_zones,
        })
    }
}

/// `1 h 07 min 05 s`.
pub(crate) fn duration_text(s: i64) -> String {
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h} h {m:02} min {sec:02} s")
    } else {
        format!("{m} min {sec:02} s")
    }
}

/// `1 234 m` / `12,3 km` (French typography: thin space for thousands, comma for decimals).
pub(crate) fn distance_text(m: f64) -> String {
    if m >= 10_000.0 {
        format!("{} km", format!("{:.1}", m / 1000.0).replace('.', ","))
    } else {
        let n = m.round() as i64;
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push('\u{202f}');
            }
            out.push(c);
        }
        format!("{out} m")
    }
}

pub(crate) fn event_kind_fr(k: EventKind) -> &'static str {
    match k {
        EventKind::Denial => "refus",
        EventKind::Alarm => "alarme",
        EventKind::Command => "commande",
        EventKind::AutomaticAction => "action automatique",
        EventKind::Info => "information",
    }
}
