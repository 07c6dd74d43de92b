//! Retention (CSI R242-11, R242-12): erase what is due, keep digests and a tombstone, journal it.
//!
//! What is erased, from the end of the deployment (or its planned end when no end was recorded):
//! video segments flagged `domicile` after `domicile` (48 h); other video segments and the flight's
//! tlog and .rrd after `recordings` (7 days); access-journal and viewer-session lines after `journal`
//! (3 years). Flight, authorisation, pilot and aircraft records, events and wind readings form the
//! register of processing and are kept. A flight under a legal hold keeps everything.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::chain::Entry;
use crate::error::{Error, Result};
use crate::records::*;
use crate::register::{PurgeReport, Register, kind, parse, serialize};

impl Register {
    /// Erase what is due at `now` (the caller's clock; tests use a fake one). Idempotent.
    pub fn purge(&mut self, now: DateTime<Utc>) -> Result<PurgeReport> {
        let mut report = PurgeReport {
            journal_days_sealed: self.seal_journal_days(now)?,
            ..Default::default()
        };
        let mut erased_files: HashSet<String> = HashSet::new();
        for e in self.store().by_kind(kind::ERASURE)? {
            if let Ok(er) = parse::<ErasureRecord>(&e) {
                erased_files.extend(er.files.into_iter().map(|f| f.path));
            }
        }
        let retention = self.retention().clone();
        for start_entry in self.store().by_kind(kind::FLIGHT_START)? {
            // One unreadable flight must not stop the erasure of all the others: report it, go on.
            let start = match parse::<FlightStart>(&start_entry) {
                Ok(s) => s,
                Err(e) => {
                    report
                        .failures
                        .push(format!("{e}; run `vigie register verify`"));
                    continue;
                }
            };
            let anchor = match self.retention_anchor(&start) {
                Ok(a) => a,
                Err(e) => {
                    report
                        .failures
                        .push(format!("{e}; run `vigie register verify`"));
                    continue;
                }
            };
            if self.active_hold(&start.flight_id)?.is_some() {
                if now >= anchor + retention.domicile.min(retention.recordings) {
                    report.held_flights.push(start.flight_id.clone());
                }
                continue;
            }
            let entries = self
                .store()
                .by_subject(&format!("flight:{}", start.flight_id))?;
            let mut domicile = (Vec::new(), Vec::new());
            let mut recordings = (Vec::new(), Vec::new());
            for e in &entries {
                match e.kind.as_str() {
                    kind::VIDEO_SEGMENT if e.payload.is_some() => {
                        let seg: VideoSegment = match parse(e) {
                            Ok(seg) => seg,
                            Err(err) => {
                                report
                                    .failures
                                    .push(format!("{err}; run `vigie register verify`"));
                                continue;
                            }
                        };
                        if seg.domicile && now >= anchor + retention.domicile {
                            domicile.0.push(e.id);
                            domicile.1.push(seg.file);
                        } else if now >= anchor + retention.recordings {
                            recordings.0.push(e.id);
                            recordings.1.push(seg.file);
                        }
                    }
                    kind::FLIGHT_SEAL
                        if e.payload.is_some() && now >= anchor + retention.recordings =>
                    {
                        let seal: FlightSeal = match parse(e) {
                            Ok(seal) => seal,
                            Err(err) => {
                                report
                                    .failures
                                    .push(format!("{err}; run `vigie register verify`"));
                                continue;
                            }
                        };
                        for f in seal.tlog.into_iter().chain(seal.rrd) {
                            if !erased_files.contains(&f.path) {
                                recordings.1.push(f);
                            }
                        }
                    }
                    _ => {}
                }
            }
            let rules = [
                (
                    domicile,
                    format!(
                        "R242-11 II: domicile images, {} h after deployment end",
                        retention.domicile.num_hours()
                    ),
                ),
                (
                    recordings,
                    format!(
                        "R242-11 III: recordings, {} days after deployment end",
                        retention.recordings.num_days()
                    ),
                ),
            ];
            for ((ids, files), rule) in rules {
                if ids.is_empty() && files.is_empty() {
                    continue;
                }
                self.erase(now, &rule, Some(&start.flight_id), ids, files, &mut report)?;
            }
        }
        // The journal itself: 3 years (R242-12). Holds, releases and erasures carry no personal data
        // beyond the actor and stay, so a hold can never be forgotten.
        let mut due: Vec<i64> = Vec::new();
        for k in [kind::ACCESS, kind::VIEWER_START, kind::VIEWER_END] {
            for e in self.store().by_kind(k)? {
                if e.payload.is_some() && recorded_before(&e, now - retention.journal) {
                    due.push(e.id);
                }
            }
        }
        if !due.is_empty() {
            let rule = format!(
                "R242-12: access journal kept {} days",
                retention.journal.num_days()
            );
            self.erase(now, &rule, None, due, Vec::new(), &mut report)?;
        }
        // Files an earlier purge journaled but could not delete (crash, permissions): retry.
        for path in erased_files {
            let p = self.resolve(&path);
            if p.exists() {
                match std::fs::remove_file(&p) {
                    Ok(()) => report.deleted_files.push(path),
                    Err(e) => report.failures.push(format!("{}: {e}", p.display())),
                }
            }
        }
        Ok(report)
    }

    /// End of the deployment the flight belongs to: recorded end, else the planned end.
    fn retention_anchor(&mut self, start: &FlightStart) -> Result<DateTime<Utc>> {
        let mut planned = None;
        let mut ended = None;
        for e in self
            .store()
            .by_subject(&format!("deployment:{}", start.deployment_id))?
        {
            match e.kind.as_str() {
                kind::DEPLOYMENT => planned = Some(parse::<DeploymentRecord>(&e)?.planned_end),
                kind::DEPLOYMENT_END => ended = Some(parse::<DeploymentEnd>(&e)?.ended_at),
                _ => {}
            }
        }
        ended.or(planned).ok_or_else(|| Error::Record {
            id: 0,
            detail: format!(
                "flight {}: deployment {} is missing",
                start.flight_id, start.deployment_id
            ),
        })
    }

    /// Journal the erasure (tombstoning the entries in the same transaction), then delete files.
    fn erase(
        &mut self,
        now: DateTime<Utc>,
        rule: &str,
        flight: Option<&str>,
        ids: Vec<i64>,
        files: Vec<FileRef>,
        report: &mut PurgeReport,
    ) -> Result<()> {
        let rec = ErasureRecord {
            at: now,
            actor: Actor::system(),
            rule: rule.to_string(),
            flight_id: flight.map(str::to_string),
            entries: ids.clone(),
            files: files.clone(),
        };
        let subject = match flight {
            Some(f) => format!("flight:{f}"),
            None => "journal".to_string(),
        };
        self.append_erasure(subject, serialize(&rec)?, ids.clone())?;
        report.erased_entries.extend(ids);
        for f in files {
            let p = self.resolve(&f.path);
            match std::fs::remove_file(&p) {
                Ok(()) => report.deleted_files.push(f.path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => report.failures.push(format!("{}: {e}", p.display())),
            }
        }
        Ok(())
    }
}

fn recorded_before(e: &Entry, limit: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(&e.recorded_at).is_ok_and(|t| t.with_timezone(&Utc) < limit)
}
