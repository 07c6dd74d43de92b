//! The transparency export for the public: flights per month, purposes, durations and communes,
//! aggregated, with no personal data (no pilot, no aircraft, no track, no place finer than the
//! commune), and reviewed before publication: a chief's approval is an entry of the register, over
//! the digest of exactly what is published, and the export names who approved it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::chain::sha256_hex;
use crate::error::{Error, Result};
use crate::records::*;
use crate::register::{Register, RegisterKind, kind, parse, serialize};

/// One cell of the aggregate: how many flights, how long in total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub flights: u64,
    /// Sum of sealed flights' durations, rounded to the minute.
    pub total_minutes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransparencyRow {
    /// `YYYY-MM`.
    pub month: String,
    pub commune: String,
    pub purpose: String,
    pub legal_basis: String,
    #[serde(flatten)]
    pub tally: Tally,
}

/// What is published (and what the approval's digest covers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransparencyAggregate {
    pub format: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Tally,
    /// Flights not sealed yet (counted, no duration).
    pub unsealed_flights: u64,
    pub by_month: BTreeMap<String, Tally>,
    pub by_purpose: BTreeMap<String, Tally>,
    pub by_legal_basis: BTreeMap<String, Tally>,
    pub by_commune: BTreeMap<String, Tally>,
    pub rows: Vec<TransparencyRow>,
}

impl TransparencyAggregate {
    /// SHA-256 of its canonical JSON: what an approval signs off.
    pub fn sha256(&self) -> Result<String> {
        Ok(sha256_hex(serialize(self)?.as_bytes()))
    }
}

/// Who approved this exact aggregate, in which register entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalRef {
    pub entry_id: i64,
    pub entry_hash: String,
    pub approval: TransparencyApproval,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransparencyExport {
    pub aggregate: TransparencyAggregate,
    pub aggregate_sha256: String,
    /// None: a draft, not for publication.
    pub approved: Option<ApprovalRef>,
}

/// The commune of a place as R242-9 records it ("Istres, centre-ville" → "Istres").
fn commune(place: &str) -> String {
    let c = place
        .split([',', '(', '—', '-'])
        .next()
        .unwrap_or("")
        .trim();
    if c.is_empty() {
        "(non renseignée)".into()
    } else {
        c.to_string()
    }
}

fn add(t: &mut Tally, minutes: Option<u64>) {
    t.flights += 1;
    t.total_minutes += minutes.unwrap_or(0);
}

impl Register {
    /// Aggregate the legal register's flights started between `from` and `to` (inclusive days,
    /// UTC); journaled as a consultation (it reads the register).
    pub fn transparency_aggregate(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
        actor: &Actor,
        motive: &str,
    ) -> Result<TransparencyAggregate> {
        if self.kind() != RegisterKind::Legal {
            return Err(Error::BadInput(
                "the transparency export is made from the legal register (training flights are not published)".into(),
            ));
        }
        if to < from {
            return Err(Error::BadInput(format!(
                "transparency: --to {to} is before --from {from}"
            )));
        }
        let mut seals: BTreeMap<(String, String), DateTime<Utc>> = BTreeMap::new();
        for e in self.store().by_kind(kind::FLIGHT_SEAL)? {
            if let Ok(s) = parse::<FlightSeal>(&e) {
                seals.insert((e.station.clone(), s.flight_id), s.ended_at);
            }
        }
        let mut agg = TransparencyAggregate {
            format: "vigie-transparency-v1: aggregated, no personal data".into(),
            from,
            to,
            total: Tally::default(),
            unsealed_flights: 0,
            by_month: BTreeMap::new(),
            by_purpose: BTreeMap::new(),
            by_legal_basis: BTreeMap::new(),
            by_commune: BTreeMap::new(),
            rows: Vec::new(),
        };
        let mut rows: BTreeMap<(String, String, String, String), Tally> = BTreeMap::new();
        let mut flights = Vec::new();
        for e in self.store().by_kind(kind::FLIGHT_START)? {
            let s: FlightStartEntry = parse(&e)?;
            let day = s.start.started_at.date_naive();
            if day < from || day > to || s.start.anonymised_copy {
                continue;
            }
            flights.push(s.start.flight_id.clone());
            let minutes = seals
                .get(&(e.station.clone(), s.start.flight_id.clone()))
                .map(|end| ((*end - s.start.started_at).num_seconds().max(0) as u64 + 30) / 60);
            if minutes.is_none() {
                agg.unsealed_flights += 1;
            }
            let month = s.start.started_at.format("%Y-%m").to_string();
            let purpose = s
                .legal_basis
                .as_ref()
                .map_or_else(|| s.start.finalite.clone(), |b| b.purpose.clone());
            let basis = s
                .legal_basis
                .as_ref()
                .map_or_else(|| "non enregistrée".to_string(), |b| b.id.clone());
            let place = commune(&s.start.place);
            add(&mut agg.total, minutes);
            add(agg.by_month.entry(month.clone()).or_default(), minutes);
            add(agg.by_purpose.entry(purpose.clone()).or_default(), minutes);
            add(
                agg.by_legal_basis.entry(basis.clone()).or_default(),
                minutes,
            );
            add(agg.by_commune.entry(place.clone()).or_default(), minutes);
            add(
                rows.entry((month, place, purpose, basis)).or_default(),
                minutes,
            );
        }
        agg.rows = rows
            .into_iter()
            .map(
                |((month, commune, purpose, legal_basis), tally)| TransparencyRow {
                    month,
                    commune,
                    purpose,
                    legal_basis,
                    tally,
                },
            )
            .collect();
        self.journal_access(
            actor,
            AccessAction::Consultation,
            motive,
            Some("transparency export (aggregated)"),
            flights,
            Vec::new(),
        )?;
        Ok(agg)
    }

    /// The export for `from..=to`: with `approve`, `actor` approves it now (an entry of the
    /// register over its digest); otherwise an earlier approval of the identical aggregate counts,
    /// and without one it is a draft.
    pub fn transparency_export(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
        actor: &Actor,
        motive: &str,
        approve: bool,
    ) -> Result<TransparencyExport> {
        let aggregate = self.transparency_aggregate(from, to, actor, motive)?;
        let digest = aggregate.sha256()?;
        let mut approved = None;
        for e in self.store().by_kind(kind::TRANSPARENCY_APPROVAL)? {
            if let Ok(a) = parse::<TransparencyApproval>(&e)
                && a.aggregate_sha256 == digest
            {
                approved = Some(ApprovalRef {
                    entry_id: e.id,
                    entry_hash: e.hash.clone(),
                    approval: a,
                });
            }
        }
        if approve {
            let approval = TransparencyApproval {
                at: self.now(),
                approved_by: actor.clone(),
                from,
                to,
                aggregate_sha256: digest.clone(),
            };
            let e = self.append(
                kind::TRANSPARENCY_APPROVAL,
                "transparency".into(),
                &approval,
                Vec::new(),
            )?;
            approved = Some(ApprovalRef {
                entry_id: e.id,
                entry_hash: e.hash,
                approval,
            });
        }
        Ok(TransparencyExport {
            aggregate,
            aggregate_sha256: digest,
            approved,
        })
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl TransparencyExport {
    /// A page for the public (French).
    pub fn html(&self) -> String {
        let a = &self.aggregate;
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Usage des drones du {} au {}</title>\
<style>body{{font-family:sans-serif;max-width:900px;margin:24px auto}}table{{border-collapse:collapse;margin-bottom:18px}}td,th{{border:1px solid #ccc;padding:4px 8px}}th{{background:#eef}}.draft{{color:#b00;font-weight:bold}}</style></head><body>\
<h1>Usage des drones — du {} au {}</h1><p>{} vol(s), {} minute(s) de vol au total{}.</p>",
            a.from.format("%d/%m/%Y"),
            a.to.format("%d/%m/%Y"),
            a.from.format("%d/%m/%Y"),
            a.to.format("%d/%m/%Y"),
            a.total.flights,
            a.total.total_minutes,
            if a.unsealed_flights > 0 {
                format!(" ({} vol(s) non clos, sans durée)", a.unsealed_flights)
            } else {
                String::new()
            }
        );
        match &self.approved {
            Some(r) => {
                let _ = write!(
                    o,
                    "<p>Publication approuvée par {} ({}) le {} — entrée n° {} du registre, empreinte des données {}.</p>",
                    esc(&r.approval.approved_by.name),
                    esc(&r.approval.approved_by.role),
                    r.approval.at.format("%d/%m/%Y"),
                    r.entry_id,
                    self.aggregate_sha256
                );
            }
            None => o.push_str(
                "<p class=\"draft\">PROJET — non approuvé, ne pas publier (approbation : vigie register transparency --approve).</p>",
            ),
        }
        for (title, map) in [
            ("Par mois", &a.by_month),
            ("Par finalité", &a.by_purpose),
            ("Par base légale", &a.by_legal_basis),
            ("Par commune", &a.by_commune),
        ] {
            let _ = write!(
                o,
                "<h2>{title}</h2><table><tr><th></th><th>vols</th><th>minutes</th></tr>"
            );
            for (k, t) in map {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(k),
                    t.flights,
                    t.total_minutes
                );
            }
            o.push_str("</table>");
        }
        o.push_str("<p>Données agrégées, sans donnée personnelle : ni télépilote, ni aéronef, ni trajectoire, ni lieu plus fin que la commune.</p></body></html>\n");
        o
    }
}
