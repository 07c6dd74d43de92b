//! `verify`: walk every chain and every referenced file; read-only.

use std::collections::{HashMap, HashSet};

use chrono::DateTime;

use crate::chain::{Entry, GENESIS_HASH, entry_hash, sha256_hex};
use crate::keys::verify_hex;
use crate::records::*;
use crate::register::{Break, ChainSummary, Register, VerifyReport, file_sha256, kind, parse};
use crate::witness::SignedHead;

/// What `verify` checks besides the register itself.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Signed heads a witness kept (see [`crate::witness::Witness::heads`]): each must be in the
    /// chain with the same hash, and nothing up to it may be missing.
    pub witness_heads: Vec<SignedHead>,
    /// Where the heads came from, for messages.
    pub witness_label: String,
    /// Station id → public key (hex) the verifier trusts (registered with the département): the
    /// chain's station record must carry it, and every pinned station must be in the register.
    pub pinned_keys: std::collections::BTreeMap<String, String>,
}

const BATCH: usize = 10_000;
/// Stop collecting after this many breaks: the first ones are what an investigator needs.
const MAX_BREAKS: usize = 1000;

struct StationState {
    last_seq: i64,
    last_stored_hash: String,
    last_computed_hash: String,
    last_id: i64,
    public_key: Option<String>,
    entries: u64,
    last_recorded_at: String,
    /// station_seq → (id, hash), kept only for the seqs a witness names.
    witnessed: HashMap<i64, (i64, String)>,
}

fn brk(e: &Entry, field: &str, detail: impl Into<String>) -> Break {
    Break {
        entry_id: e.id,
        station: e.station.clone(),
        station_seq: e.station_seq,
        field: field.into(),
        file: None,
        detail: detail.into(),
    }
}

/// Subject an entry's payload implies, when the kind names one.
fn expected_subject(e: &Entry) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(e.payload.as_deref()?).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    match e.kind.as_str() {
        kind::STATION => s("station_id").map(|x| format!("station:{x}")),
        kind::PILOT => s("pilot_id").map(|x| format!("pilot:{x}")),
        kind::AIRCRAFT => s("registration").map(|x| format!("aircraft:{x}")),
        kind::AUTHORISATION => s("arrete_number").map(|x| format!("authorisation:{x}")),
        kind::DEPLOYMENT | kind::DEPLOYMENT_END => {
            s("deployment_id").map(|x| format!("deployment:{x}"))
        }
        kind::FLIGHT_START
        | kind::FLIGHT_SEAL
        | kind::VIDEO_SEGMENT
        | kind::HOLD
        | kind::HOLD_RELEASE => s("flight_id").map(|x| format!("flight:{x}")),
        kind::VIEWER_START | kind::VIEWER_END => s("session_id").map(|x| format!("viewer:{x}")),
        kind::ACCESS => Some("journal".into()),
        kind::JOURNAL_SEAL => s("day").map(|x| format!("journal-day:{x}")),
        kind::TRANSPARENCY_APPROVAL => Some("transparency".into()),
        _ => None,
    }
}

/// Whether the payload parses as the record its kind says.
fn payload_shape_error(e: &Entry) -> Option<String> {
    fn check<T: serde::de::DeserializeOwned>(e: &Entry) -> Option<String> {
        parse::<T>(e).err().map(|x| x.to_string())
    }
    match e.kind.as_str() {
        kind::STATION => check::<StationRecord>(e),
        kind::PILOT => check::<PilotRecord>(e),
        kind::AIRCRAFT => check::<AircraftRecord>(e),
        kind::AUTHORISATION => check::<AuthorisationRecord>(e),
        kind::DEPLOYMENT => check::<DeploymentRecord>(e),
        kind::DEPLOYMENT_END => check::<DeploymentEnd>(e),
        kind::FLIGHT_START => check::<FlightStart>(e),
        kind::FLIGHT_SEAL => check::<FlightSeal>(e),
        kind::EVENT => check::<EventRecord>(e),
        kind::WIND => check::<WindReading>(e),
        kind::VIDEO_SEGMENT => check::<VideoSegment>(e),
        kind::VIEWER_START => check::<ViewerSessionStart>(e),
        kind::VIEWER_END => check::<ViewerSessionEnd>(e),
        kind::ACCESS => check::<AccessRecord>(e),
        kind::HOLD => check::<LegalHold>(e),
        kind::HOLD_RELEASE => check::<HoldRelease>(e),
        kind::ERASURE => check::<ErasureRecord>(e),
        kind::JOURNAL_SEAL => check::<JournalDaySeal>(e),
        kind::TRANSPARENCY_APPROVAL => check::<TransparencyApproval>(e),
        kind::LOGIN => check::<crate::login::LoginAttempt>(e),
        other => Some(format!("unknown entry kind {other:?}")),
    }
}

impl Register {
    /// Walk every chain and every referenced file; report each break (the first is the earliest).
    /// Read-only: verifying never writes, so it can run on a copy seized as evidence.
    pub fn verify(&mut self) -> crate::Result<VerifyReport> {
        self.verify_with(&VerifyOptions::default())
    }

    /// [`Register::verify`], plus the witnessed heads and pinned station keys of `options`.
    pub fn verify_with(&mut self, options: &VerifyOptions) -> crate::Result<VerifyReport> {
        let mut report = VerifyReport::default();
        if let Some(problem) = self.store().storage_check()? {
            report.breaks.push(Break {
                entry_id: 0,
                station: String::new(),
                station_seq: 0,
                field: "database".into(),
                file: None,
                detail: format!("storage integrity check failed: {problem}"),
            });
        }
        let own_station = self.station_id().to_string();
        let own_key = self.public_key_hex();
        let mut stations: HashMap<String, StationState> = HashMap::new();
        let mut tombstones: Vec<Entry> = Vec::new();
        let mut erased_by_erasure: HashMap<i64, HashSet<i64>> = HashMap::new();
        let mut erased_files: HashSet<String> = HashSet::new();
        let mut files: Vec<(Entry, &'static str, FileRef)> = Vec::new();
        let mut seals: Vec<(Entry, FlightSeal)> = Vec::new();
        let mut day_seals: Vec<(Entry, JournalDaySeal)> = Vec::new();
        let wanted: HashSet<(String, i64)> = options
            .witness_heads
            .iter()
            .map(|h| (h.station.clone(), h.station_seq))
            .collect();
        let mut after = 0i64;
        loop {
            let batch = self.store().scan(after, BATCH)?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for e in batch {
                report.entries += 1;
                let st = stations.entry(e.station.clone()).or_insert(StationState {
                    last_seq: 0,
                    last_stored_hash: GENESIS_HASH.into(),
                    last_computed_hash: GENESIS_HASH.into(),
                    last_id: 0,
                    public_key: None,
                    entries: 0,
                    last_recorded_at: String::new(),
                    witnessed: HashMap::new(),
                });
                st.entries += 1;
                if wanted.contains(&(e.station.clone(), e.station_seq)) {
                    st.witnessed.insert(e.station_seq, (e.id, e.hash.clone()));
                }
                let mut b: Vec<Break> = Vec::new();
                if e.station_seq != st.last_seq + 1 {
                    b.push(brk(&e, "station_seq", format!(
                        "expected {} after entry {}: an entry was removed, inserted or renumbered",
                        st.last_seq + 1,
                        st.last_id
                    )));
                }
                if e.prev_hash != st.last_stored_hash {
                    if e.prev_hash == st.last_computed_hash && st.last_id != 0 {
                        // The previous row's stored hash was rewritten; its fields are the original ones.
                        report.breaks.push(Break {
                            entry_id: st.last_id,
                            station: e.station.clone(),
                            station_seq: st.last_seq,
                            field: "hash".into(),
                            file: None,
                            detail: "stored hash was altered (the next entry links to the hash of its fields)".into(),
                        });
                    } else {
                        b.push(brk(
                            &e,
                            "prev_hash",
                            format!(
                                "does not link to the previous entry {} of station {}",
                                st.last_id, e.station
                            ),
                        ));
                    }
                }
                let computed = e.computed_hash();
                let payload_digest = e.payload.as_deref().map(|p| sha256_hex(p.as_bytes()));
                match &payload_digest {
                    Some(d) if *d != e.payload_sha256 => {
                        let with_real = entry_hash(
                            e.id,
                            &e.station,
                            e.station_seq,
                            &e.kind,
                            &e.subject,
                            &e.recorded_at,
                            d,
                            &e.prev_hash,
                        );
                        if computed == e.hash {
                            b.push(brk(
                                &e,
                                "payload",
                                "content differs from its recorded SHA-256",
                            ));
                        } else if with_real == e.hash {
                            b.push(brk(&e, "payload_sha256", "recorded digest was altered"));
                        } else {
                            b.push(brk(
                                &e,
                                "payload",
                                "content and its digest both differ from what was chained",
                            ));
                        }
                    }
                    _ => {
                        if computed != e.hash {
                            let subject_wrong =
                                expected_subject(&e).is_some_and(|s| s != e.subject);
                            let time_wrong = DateTime::parse_from_rfc3339(&e.recorded_at).is_err();
                            let shape = payload_shape_error(&e);
                            let field = if subject_wrong {
                                "subject"
                            } else if time_wrong {
                                "recorded_at"
                            } else if shape.is_some() {
                                "kind"
                            } else {
                                "kind/subject/recorded_at/station or hash"
                            };
                            b.push(brk(&e, field, "hash does not match the entry's fields"));
                        }
                    }
                }
                if e.payload.is_some() {
                    if let Some(err) = payload_shape_error(&e)
                        && b.is_empty()
                    {
                        b.push(brk(&e, "payload", err));
                    }
                    if e.erased_by.is_some() {
                        b.push(brk(
                            &e,
                            "erased_by",
                            "marked erased but its content is still present",
                        ));
                    }
                } else {
                    report.tombstones += 1;
                    if e.erased_by.is_none() {
                        b.push(brk(
                            &e,
                            "payload",
                            "content missing and no erasure entry accounts for it",
                        ));
                    } else {
                        tombstones.push(e.clone());
                    }
                }
                // Signatures.
                if e.kind == kind::STATION && e.station_seq == 1 {
                    match parse::<StationRecord>(&e) {
                        Ok(rec) => {
                            if e.station == own_station
                                && !own_key.is_empty()
                                && rec.public_key_hex != own_key
                            {
                                b.push(brk(
                                    &e,
                                    "payload",
                                    "station public key differs from this station's key file",
                                ));
                            }
                            st.public_key = Some(rec.public_key_hex);
                        }
                        Err(err) => b.push(brk(
                            &e,
                            "payload",
                            format!("station record unreadable: {err}"),
                        )),
                    }
                } else if e.station_seq == 1 {
                    b.push(brk(
                        &e,
                        "kind",
                        "the first entry of a station's chain must be its station record",
                    ));
                }
                let must_sign = kind::SIGNED.contains(&e.kind.as_str());
                match (&e.signature, &st.public_key) {
                    (Some(sig), Some(pk)) => {
                        report.signatures += 1;
                        if let Err(why) = verify_hex(pk, e.hash.as_bytes(), sig) {
                            b.push(brk(&e, "signature", why));
                        }
                    }
                    (Some(_), None) => b.push(brk(
                        &e,
                        "signature",
                        "no station public key to check it with",
                    )),
                    (None, _) if must_sign => b.push(brk(
                        &e,
                        "signature",
                        format!("{} entries must be signed", e.kind),
                    )),
                    (None, _) => {}
                }
                // Things to check once the whole register is read.
                match e.kind.as_str() {
                    kind::ERASURE => {
                        if let Ok(er) = parse::<ErasureRecord>(&e) {
                            erased_by_erasure.insert(e.id, er.entries.iter().copied().collect());
                            erased_files.extend(er.files.iter().map(|f| f.path.clone()));
                        }
                    }
                    kind::FLIGHT_SEAL => {
                        if let Ok(seal) = parse::<FlightSeal>(&e) {
                            for f in seal.tlog.iter() {
                                files.push((e.clone(), "tlog", f.clone()));
                            }
                            for f in seal.rrd.iter() {
                                files.push((e.clone(), "rrd", f.clone()));
                            }
                            seals.push((e.clone(), seal));
                        }
                    }
                    kind::VIDEO_SEGMENT => {
                        if let Ok(seg) = parse::<VideoSegment>(&e) {
                            files.push((e.clone(), "file", seg.file));
                        }
                    }
                    kind::JOURNAL_SEAL => {
                        if let Ok(s) = parse::<JournalDaySeal>(&e) {
                            day_seals.push((e.clone(), s));
                        }
                    }
                    _ => {}
                }
                st.last_seq = e.station_seq;
                st.last_stored_hash = e.hash.clone();
                st.last_computed_hash = computed;
                st.last_id = e.id;
                st.last_recorded_at = e.recorded_at.clone();
                if report.breaks.len() < MAX_BREAKS {
                    report.breaks.extend(b);
                }
            }
        }
        report.stations = stations.len();
        self.check_witnesses(options, &stations, &mut report);
        for t in &tombstones {
            let ok = t
                .erased_by
                .and_then(|by| erased_by_erasure.get(&by))
                .is_some_and(|set| set.contains(&t.id));
            if !ok {
                report.breaks.push(brk(
                    t,
                    "erased_by",
                    format!(
                        "content removed, but erasure entry {:?} does not list this entry",
                        t.erased_by
                    ),
                ));
            }
        }
        // A seal vouches for the hash of every earlier entry of its flight; so does a day seal.
        let mut journal_hashes: HashMap<(String, i64), String> = HashMap::new();
        if !day_seals.is_empty() {
            for k in kind::JOURNAL {
                for x in self.store().by_kind(k)? {
                    journal_hashes.insert((x.station, x.station_seq), x.hash);
                }
            }
        }
        for (e, covered) in seals
            .iter()
            .map(|(e, s)| (e, &s.covered_entries))
            .chain(day_seals.iter().map(|(e, s)| (e, &s.entries)))
        {
            let mut by_seq: HashMap<i64, String> = HashMap::new();
            let subject = if e.kind == kind::FLIGHT_SEAL {
                Some(e.subject.clone())
            } else {
                None
            };
            if let Some(subject) = subject {
                for x in self.store().by_subject(&subject)? {
                    if x.station == e.station {
                        by_seq.insert(x.station_seq, x.hash);
                    }
                }
            }
            for c in covered {
                let stored = match by_seq.get(&c.station_seq) {
                    Some(h) => Some(h.clone()),
                    None => journal_hashes
                        .get(&(e.station.clone(), c.station_seq))
                        .cloned(),
                };
                if stored.as_deref() != Some(c.hash.as_str()) {
                    report.breaks.push(brk(
                        e,
                        "payload",
                        format!(
                            "{} covers entry seq {} with hash {}, the register holds {}",
                            e.kind,
                            c.station_seq,
                            c.hash,
                            stored.unwrap_or_else(|| "nothing".into())
                        ),
                    ));
                }
            }
        }
        for (e, field, f) in files {
            let path = self.resolve(&f.path);
            report.files += 1;
            if erased_files.contains(&f.path) {
                continue;
            }
            let mut b = brk(&e, field, String::new());
            b.file = Some(path.display().to_string());
            match file_sha256(&path) {
                Ok(d) if d == f.sha256 => continue,
                Ok(d) => b.detail = format!("SHA-256 is {d}, recorded {}", f.sha256),
                Err(err) => b.detail = format!("cannot read the file: {err}"),
            }
            report.breaks.push(b);
        }
        report.breaks.sort_by_key(|b| b.entry_id);
        Ok(report)
    }

    /// Heads a witness kept, and keys the verifier pinned, against the chains as read.
    fn check_witnesses(
        &self,
        options: &VerifyOptions,
        stations: &HashMap<String, StationState>,
        report: &mut VerifyReport,
    ) {
        let label = if options.witness_label.is_empty() {
            "the witness".to_string()
        } else {
            options.witness_label.clone()
        };
        let head_break = |h: &SignedHead, field: &str, detail: String| Break {
            entry_id: h.entry_id,
            station: h.station.clone(),
            station_seq: h.station_seq,
            field: field.into(),
            file: None,
            detail,
        };
        let mut witnessed: HashMap<String, i64> = HashMap::new();
        for (station, pinned) in &options.pinned_keys {
            match stations.get(station) {
                None => report.breaks.push(Break {
                    entry_id: 0,
                    station: station.clone(),
                    station_seq: 0,
                    field: "station".into(),
                    file: None,
                    detail: "a registered (pinned) station has no entry in this register: its whole chain is missing".into(),
                }),
                Some(st) if st.public_key.as_deref() != Some(pinned.as_str()) => {
                    report.breaks.push(Break {
                        entry_id: 0,
                        station: station.clone(),
                        station_seq: 1,
                        field: "signature".into(),
                        file: None,
                        detail: format!(
                            "the chain's station key {} is not the registered key {pinned}",
                            st.public_key.as_deref().unwrap_or("(none)")
                        ),
                    })
                }
                Some(_) => {}
            }
        }
        for h in &options.witness_heads {
            report.witnessed_heads += 1;
            let Some(st) = stations.get(&h.station) else {
                report.breaks.push(head_break(
                    h,
                    "witness",
                    format!(
                        "{label} saw station {} at seq {} (entry {}, hash {}, {}), but the register holds no entry of that station: its whole chain is missing",
                        h.station, h.station_seq, h.entry_id, h.hash, h.at
                    ),
                ));
                continue;
            };
            // Trust the key the verifier pinned, else the one the chain starts with.
            let key = options
                .pinned_keys
                .get(&h.station)
                .cloned()
                .or_else(|| st.public_key.clone())
                .unwrap_or_default();
            if let Err(why) = h.verify(&key) {
                report.breaks.push(head_break(
                    h,
                    "witness",
                    format!(
                        "witnessed head seq {} from {label}: {why} with the station's key (the chain was re-keyed, or the witness record is forged)",
                        h.station_seq
                    ),
                ));
                continue;
            }
            let best = witnessed.entry(h.station.clone()).or_insert(0);
            *best = (*best).max(h.station_seq);
            match st.witnessed.get(&h.station_seq) {
                Some((id, hash)) if *id == h.entry_id && *hash == h.hash => {}
                Some((id, hash)) => report.breaks.push(head_break(
                    h,
                    "witness",
                    format!(
                        "{label} saw seq {} as entry {} hash {} at {}; the register holds entry {id} hash {hash} there: history was rewritten from that point",
                        h.station_seq, h.entry_id, h.hash, h.at
                    ),
                )),
                None if h.station_seq > st.last_seq => {
                    let missing = h.station_seq - st.last_seq;
                    report.breaks.push(head_break(
                        h,
                        "witness",
                        format!(
                            "entries seq {}..={} ({missing} entr{}, the last one id {}) are MISSING from station {}: {label} saw seq {} hash {} at {}, the register ends at seq {} (entry {})",
                            st.last_seq + 1,
                            h.station_seq,
                            if missing == 1 { "y" } else { "ies" },
                            h.entry_id,
                            h.station,
                            h.station_seq,
                            h.hash,
                            h.at,
                            st.last_seq,
                            st.last_id
                        ),
                    ))
                }
                None => report.breaks.push(head_break(
                    h,
                    "witness",
                    format!(
                        "{label} saw seq {} (entry {}) but the register has no entry with that seq: removed",
                        h.station_seq, h.entry_id
                    ),
                )),
            }
        }
        let mut chains: Vec<ChainSummary> = stations
            .iter()
            .map(|(station, st)| ChainSummary {
                station: station.clone(),
                entries: st.entries,
                last_seq: st.last_seq,
                last_id: st.last_id,
                last_hash: st.last_stored_hash.clone(),
                last_recorded_at: st.last_recorded_at.clone(),
                witnessed_seq: witnessed.get(station).copied(),
            })
            .collect();
        chains.sort_by(|a, b| a.station.cmp(&b.station));
        report.chains = chains;
    }
}
