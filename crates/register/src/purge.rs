//! Retention (CSI R242-11, R242-12): erase what is due, keep digests and a tombstone, journal it.
//!
//! What is erased, from the end of the deployment (or its planned end when no end was recorded):
//! video segments flagged `domicile` after `domicile` (48 h); other video segments and the flight's
//! tlog and .rrd after `recordings` (7 days); access-journal and viewer-session lines after `journal`
//! (3 years). Flight, authorisation, pilot and aircraft records, events and wind readings form the
//! register of processing and are kept. A flight under a legal hold keeps everything.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};

use crate::chain::Entry;
use crate::error::{Error, Result};
use crate::records::*;
use crate::register::{PurgeReport, Register, kind, parse, serialize};

/// Motive journaled by the station's automatic purge.
pub const AUTOMATIC_PURGE: &str = "automatic retention purge (R242-11, R242-12)";

/// A purge may be decided as of an instant up to this far ahead of the register's clock (clock
/// skew between a station and its database); later is refused.
const FUTURE_TOLERANCE_S: i64 = 60;

impl Register {
    /// The station's automatic purge: [`Register::purge_by`] with [`Actor::system`] and
    /// [`AUTOMATIC_PURGE`].
    pub fn purge(&mut self, now: DateTime<Utc>) -> Result<PurgeReport> {
        self.purge_by(now, &Actor::system(), AUTOMATIC_PURGE)
    }

    /// Erase what is due at `now` in THIS station's chain (never another station's flights in a
    /// département register), journaling each erasure with `actor` and `motive`. `now` may be in
    /// the past (erases less) but never ahead of the register's clock: erasing early is refused.
    /// Idempotent.
    pub fn purge_by(
        &mut self,
        now: DateTime<Utc>,
        actor: &Actor,
        motive: &str,
    ) -> Result<PurgeReport> {
        if actor.id.trim().is_empty() {
            return Err(Error::BadInput(
                "purge: who acts (actor id) is required, as for every act on the register (R242-12)"
                    .into(),
            ));
        }
        if motive.trim().is_empty() {
            return Err(Error::BadInput(
                "purge: a motive is required (R242-12)".into(),
            ));
        }
        let clock = self.now();
        if now > clock + TimeDelta::seconds(FUTURE_TOLERANCE_S) {
            return Err(Error::BadInput(format!(
                "purge date {} is in the future (the register's clock says {}): erasing before the legal \
                 time is refused; omit --now, or give a past instant",
                now.to_rfc3339(),
                clock.to_rfc3339()
            )));
        }
        let mut report = PurgeReport {
            journal_days_sealed: self.seal_journal_days(now)?,
            ..Default::default()
        };
        let mut erased_files: HashSet<String> = HashSet::new();
        let station = self.station_id().to_string();
        for e in self.store().by_station_kind(&station, kind::ERASURE)? {
            if let Ok(er) = parse::<ErasureRecord>(&e) {
                erased_files.extend(er.files.into_iter().map(|f| f.path));
            }
        }
        let policy = self.retention().clone();
        for start_entry in self.store().by_station_kind(&station, kind::FLIGHT_START)? {
            // One unreadable flight must not stop the erasure of all the others: report it, go on.
            let (start, retention) = match parse::<FlightStartEntry>(&start_entry) {
                // Retention follows the flight's legal basis (frozen in its record), else the policy.
                Ok(s) => {
                    let r = policy.for_basis(s.legal_basis.as_ref());
                    (s.start, r)
                }
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
            let entries = self.flight_entries(&station, &start.flight_id)?;
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
                        "recordings kept {} h after deployment end (legal basis {})",
                        retention.recordings.num_hours(),
                        start_basis_label(&start_entry)
                    ),
                ),
            ];
            for ((ids, files), rule) in rules {
                if ids.is_empty() && files.is_empty() {
                    continue;
                }
                self.erase(
                    now,
                    (actor, motive),
                    &rule,
                    Some(&start.flight_id),
                    ids,
                    files,
                    &mut report,
                )?;
            }
        }
        // The journal itself: 3 years (R242-12). Holds, releases and erasures carry no personal data
        // beyond the actor and stay, so a hold can never be forgotten.
        let mut due: Vec<i64> = Vec::new();
        for k in [kind::ACCESS, kind::VIEWER_START, kind::VIEWER_END] {
            for e in self.store().by_station_kind(&station, k)? {
                if e.payload.is_some() && recorded_before(&e, now - policy.journal) {
                    due.push(e.id);
                }
            }
        }
        if !due.is_empty() {
            let rule = format!(
                "R242-12: access journal kept {} days",
                policy.journal.num_days()
            );
            self.erase(
                now,
                (actor, motive),
                &rule,
                None,
                due,
                Vec::new(),
                &mut report,
            )?;
        }
        // Files an earlier purge journaled but could not delete (crash, permissions): retry.
        for path in erased_files {
            let p = self.resolve(&path);
            if p.exists() {
                self.delete_recording(&path, &mut report);
            }
        }
        Ok(report)
    }

    /// End of the deployment the flight belongs to: recorded end, else the planned end.
    fn retention_anchor(&mut self, start: &FlightStart) -> Result<DateTime<Utc>> {
        let mut planned = None;
        let mut ended = None;
        let station = self.station_id().to_string();
        for e in self
            .store()
            .by_station_subject(&station, &format!("deployment:{}", start.deployment_id))?
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
    #[allow(clippy::too_many_arguments)]
    fn erase(
        &mut self,
        now: DateTime<Utc>,
        (actor, motive): (&Actor, &str),
        rule: &str,
        flight: Option<&str>,
        ids: Vec<i64>,
        files: Vec<FileRef>,
        report: &mut PurgeReport,
    ) -> Result<()> {
        let rec = ErasureRecord {
            at: now,
            actor: actor.clone(),
            rule: rule.to_string(),
            flight_id: flight.map(str::to_string),
            entries: ids.clone(),
            files: files.clone(),
            motive: Some(motive.to_string()),
        };
        let subject = match flight {
            Some(f) => format!("flight:{f}"),
            None => "journal".to_string(),
        };
        self.append_erasure(subject, serialize(&rec)?, ids.clone())?;
        report.erased_entries.extend(ids);
        for f in files {
            self.delete_recording(&f.path, report);
        }
        Ok(())
    }

    /// Delete a recording the register points to, only if it lies inside this station's own
    /// recordings directory (symbolic links resolved): a path planted in the database never makes
    /// the purge delete anything else.
    fn delete_recording(&self, stored: &str, report: &mut PurgeReport) {
        let p = self.resolve(stored);
        match std::fs::symlink_metadata(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                report.failures.push(format!("{}: {e}", p.display()));
                return;
            }
            Ok(m) if m.file_type().is_symlink() => {
                report.failures.push(format!(
                    "{}: a symbolic link, not a recording; NOT deleted (check who put it there)",
                    p.display()
                ));
                return;
            }
            Ok(_) => {}
        }
        if !self.is_own_recording(&p) {
            report.failures.push(format!(
                "{}: outside this station's recordings directory {}; NOT deleted (the register entry \
                 points elsewhere: check who wrote it)",
                p.display(),
                self.recordings_dir("").display()
            ));
            return;
        }
        match std::fs::remove_file(&p) {
            Ok(()) => report.deleted_files.push(stored.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => report.failures.push(format!("{}: {e}", p.display())),
        }
    }
}

fn start_basis_label(e: &Entry) -> String {
    parse::<FlightStartEntry>(e)
        .ok()
        .and_then(|s| s.legal_basis)
        .map_or_else(
            || "not recorded: CSI R242-11 defaults".into(),
            |b| format!("{} v{}", b.id, b.version),
        )
}

fn recorded_before(e: &Entry, limit: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(&e.recorded_at).is_ok_and(|t| t.with_timezone(&Utc) < limit)
}
