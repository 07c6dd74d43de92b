//! Evidence bundles: everything about one flight, verifiable offline with `sha256sum` and any Ed25519
//! tool (see README.md "Verifying an evidence bundle offline").

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::chain::{Entry, sha256_hex};
use crate::error::{Error, Result};
use crate::keys::{self, verify_hex};
use crate::records::*;
use crate::register::{Register, file_sha256, kind, parse};

pub const MANIFEST: &str = "MANIFEST.sha256";
pub const MANIFEST_SIG: &str = "MANIFEST.sha256.sig";
pub const CHAIN: &str = "chain.jsonl";
pub const BUNDLE_INFO: &str = "bundle.json";

/// `bundle.json`: what the bundle is and which bundle file is which recorded file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleInfo {
    pub format: String,
    pub flight_id: String,
    pub station_id: String,
    pub exported_at: chrono::DateTime<Utc>,
    pub exported_by: Actor,
    pub motive: String,
    pub recipient: String,
    /// Id of the access-journal entry that records this extraction (it is in `chain.jsonl`).
    pub journal_entry: i64,
    pub files: Vec<BundleFile>,
    /// Video segments erased by the retention purge before this export (tombstones in the chain).
    pub erased_segments: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleFile {
    /// Path inside the bundle.
    pub bundle_path: String,
    /// `tlog`, `rrd` or `video`.
    pub role: String,
    /// The chain entry that records this file's digest (flight seal or video segment).
    pub entry_id: i64,
    pub recorded: FileRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct BundleReport {
    pub dir: PathBuf,
    pub files: usize,
    pub chain_entries: usize,
    pub journal_entry: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BundleVerification {
    pub station_id: String,
    /// The key every signature was checked with.
    pub public_key_hex: String,
    /// Where that key came from: `pinned` (given by the verifier) or `bundle` (the
    /// station-ed25519.pub shipped inside, which proves nothing until compared out of band).
    pub key_source: String,
    /// The key the bundle itself ships.
    pub bundle_key_hex: String,
    pub files_checked: usize,
    pub entries_checked: usize,
    pub problems: Vec<String>,
}

impl BundleVerification {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn write(dir: &Path, rel: &str, data: &[u8]) -> Result<()> {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        crate::fsutil::create_private_dir(parent)?;
    }
    crate::fsutil::write_private(&p, data)
}

fn json(v: &impl Serialize) -> Result<Vec<u8>> {
    let mut out =
        serde_json::to_vec_pretty(v).map_err(|e| Error::BadInput(format!("bundle JSON: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

const README: &str = "Vigie evidence bundle
======================

Verify offline, without Vigie:

1. Compare station-ed25519.pub with the station public key the service published (out of band).
2. sha256sum -c MANIFEST.sha256          (every file listed must say OK)
3. openssl pkeyutl -verify -pubin -inkey station-ed25519.pub.pem -rawin \\
       -in MANIFEST.sha256 -sigfile MANIFEST.sha256.sig    (must say: Signature Verified Successfully)
4. Optionally, recompute each chain.jsonl entry hash and check the flight seal's signature
   (recipe in bundle.json's format and the Vigie register README).
";

impl Register {
    /// Export a flight's evidence bundle into `out_dir` (which must be absent or empty).
    /// The extraction is written to the access journal first: no journal line, no export.
    pub fn export_bundle(
        &mut self,
        flight_id: &str,
        motive: &str,
        recipient: &str,
        actor: &Actor,
        out_dir: &Path,
    ) -> Result<BundleReport> {
        if recipient.trim().is_empty() {
            return Err(Error::BadInput(
                "export: the recipient is required (R242-12)".into(),
            ));
        }
        if out_dir.exists() {
            let non_empty = std::fs::read_dir(out_dir)
                .map_err(|e| Error::io(out_dir, e))?
                .next()
                .is_some();
            if non_empty {
                return Err(Error::BadInput(format!(
                    "export: {} is not empty; choose a new directory (a bundle never overwrites files)",
                    out_dir.display()
                )));
            }
        }
        let view = self.flight_view_unjournaled(flight_id)?;
        if view.station != self.station_id() {
            return Err(Error::BadInput(format!(
                "flight {flight_id} was recorded by station {}: export it from that station (its key signs the bundle)",
                view.station
            )));
        }
        let flight_id = view.start.flight_id.clone();
        let flight_id = flight_id.as_str();
        let Some(seal) = view.seal.clone() else {
            return Err(Error::BadInput(format!(
                "flight {flight_id} is not sealed yet; export it after landing"
            )));
        };
        // Gather files first and check each against its recorded digest, so an export never carries
        // an altered or missing recording without saying so.
        let station = self.station_id().to_string();
        let flight_entries: Vec<Entry> = self.flight_entries(&station, flight_id)?;
        let mut files: Vec<(PathBuf, BundleFile)> = Vec::new();
        let mut erased_segments = Vec::new();
        let seal_entry = flight_entries
            .iter()
            .rev()
            .find(|e| e.kind == kind::FLIGHT_SEAL)
            .cloned();
        let seal_id = seal_entry.as_ref().map_or(0, |e| e.id);
        for (role, f) in [("tlog", &seal.tlog), ("rrd", &seal.rrd)] {
            if let Some(f) = f {
                let name = Path::new(&f.path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((
                    self.resolve(&f.path),
                    BundleFile {
                        bundle_path: format!("files/{role}/{name}"),
                        role: role.into(),
                        entry_id: seal_id,
                        recorded: f.clone(),
                    },
                ));
            }
        }
        for e in flight_entries
            .iter()
            .filter(|e| e.kind == kind::VIDEO_SEGMENT)
        {
            if e.payload.is_none() {
                erased_segments.push(e.id);
                continue;
            }
            let seg: VideoSegment = parse(e)?;
            let name = Path::new(&seg.file.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((
                self.resolve(&seg.file.path),
                BundleFile {
                    bundle_path: format!("files/video/{}-{name}", e.id),
                    role: "video".into(),
                    entry_id: e.id,
                    recorded: seg.file.clone(),
                },
            ));
        }
        for (src, bf) in &files {
            let digest = file_sha256(src).map_err(|err| Error::Recording {
                path: src.display().to_string(),
                detail: format!(
                    "cannot include it in the bundle ({err}); run `vigie register verify`"
                ),
            })?;
            if digest != bf.recorded.sha256 {
                return Err(Error::Recording {
                    path: src.display().to_string(),
                    detail: format!(
                        "SHA-256 {digest} differs from the recorded {}; the export is refused, run `vigie register verify`",
                        bf.recorded.sha256
                    ),
                });
            }
        }
        let journal = self.journal_access(
            actor,
            AccessAction::Extraction,
            motive,
            Some(recipient),
            vec![flight_id.to_string()],
            view.entry_ids.clone(),
        )?;
        crate::fsutil::create_private_dir(out_dir)?;
        crate::fsutil::restrict(out_dir)?;

        // Chain entries: station record, authorisation, deployment, pilot, aircraft, the flight, the journal line.
        let mut chain: BTreeMap<i64, Entry> = BTreeMap::new();
        let subjects = [
            format!("station:{station}"),
            format!("authorisation:{}", view.start.arrete_number),
            format!("deployment:{}", view.start.deployment_id),
            format!("pilot:{}", view.start.pilot_id),
            format!("aircraft:{}", view.start.aircraft_registration),
        ];
        for s in subjects {
            for e in self.store().by_station_subject(&station, &s)? {
                chain.insert(e.id, e);
            }
        }
        for e in flight_entries {
            chain.insert(e.id, e);
        }
        if let Some(e) = self.store().get(journal.id)? {
            chain.insert(e.id, e);
        }
        let mut chain_text = String::new();
        for e in chain.values() {
            chain_text.push_str(
                &serde_json::to_string(e).map_err(|err| Error::BadInput(err.to_string()))?,
            );
            chain_text.push('\n');
        }
        write(out_dir, CHAIN, chain_text.as_bytes())?;
        write(
            out_dir,
            "flight.json",
            &json(&serde_json::json!({
                "start": view.start,
                "seal": seal,
                "deployment": view.deployment,
                "deployment_ended_at": view.deployment_ended_at,
                "active_hold": view.active_hold,
            }))?,
        )?;
        write(out_dir, "authorisation.json", &json(&view.authorisation)?)?;
        write(
            out_dir,
            "events.json",
            &json(&serde_json::json!({
                "events": view.events,
                "wind": view.wind,
                "video_segments": view.video_segments,
            }))?,
        )?;
        for (src, bf) in &files {
            let dst = out_dir.join(&bf.bundle_path);
            if let Some(parent) = dst.parent() {
                crate::fsutil::create_private_dir(parent)?;
            }
            crate::fsutil::copy_private(src, &dst)?;
            if file_sha256(&dst)? != bf.recorded.sha256 {
                return Err(Error::Recording {
                    path: dst.display().to_string(),
                    detail: "the copy does not match the recorded digest (disk or copy fault)"
                        .into(),
                });
            }
        }
        let info = BundleInfo {
            format: "vigie-evidence-bundle-v1; entry hash = sha256(\"vigie-register-entry-v1\\n\" id \\n station \\n station_seq \\n kind \\n subject \\n recorded_at \\n payload_sha256 \\n prev_hash); signatures are Ed25519 over the hex hash".into(),
            flight_id: flight_id.to_string(),
            station_id: station,
            exported_at: Utc::now(),
            exported_by: actor.clone(),
            motive: motive.to_string(),
            recipient: recipient.to_string(),
            journal_entry: journal.id,
            files: files.iter().map(|(_, bf)| bf.clone()).collect(),
            erased_segments,
        };
        write(out_dir, BUNDLE_INFO, &json(&info)?)?;
        write(
            out_dir,
            keys::PUBLIC_KEY_FILE,
            format!("{}\n", self.public_key_hex()).as_bytes(),
        )?;
        let pk: [u8; 32] = self.key()?.public_bytes();
        write(
            out_dir,
            keys::PUBLIC_KEY_PEM_FILE,
            keys::public_pem(&pk).as_bytes(),
        )?;
        write(out_dir, "README.txt", README.as_bytes())?;

        let mut listed = Vec::new();
        collect_files(out_dir, out_dir, &mut listed)?;
        listed.sort();
        let mut manifest = String::new();
        for rel in &listed {
            manifest.push_str(&format!("{}  {rel}\n", file_sha256(&out_dir.join(rel))?));
        }
        write(out_dir, MANIFEST, manifest.as_bytes())?;
        write(
            out_dir,
            MANIFEST_SIG,
            &self.key()?.sign(manifest.as_bytes()),
        )?;
        Ok(BundleReport {
            dir: out_dir.to_path_buf(),
            files: listed.len(),
            chain_entries: chain.len(),
            journal_entry: journal.id,
        })
    }
}

/// Every file under `dir`, relative to `root`. Symbolic links are refused, never followed (a link
/// to `.` made the old walk recurse until the stack overflowed; a link out of the bundle would
/// make it vouch for a file that is not in it).
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for item in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let item = item.map_err(|e| Error::io(dir, e))?;
        let p = item.path();
        let ft = item.file_type().map_err(|e| Error::io(&p, e))?;
        if ft.is_symlink() {
            return Err(Error::BadInput(format!(
                "bundle {}: {} is a symbolic link; a bundle holds plain files only and links are never followed (remove it, or ask for a fresh export)",
                root.display(),
                p.display()
            )));
        }
        if ft.is_dir() {
            collect_files(root, &p, out)?;
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            if rel != MANIFEST && rel != MANIFEST_SIG {
                out.push(rel);
            }
        }
    }
    Ok(())
}

/// A key the verifier trusts: the one the service published, pinned out of band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedKey {
    /// Lowercase hex of the 32-byte Ed25519 public key.
    pub public_hex: String,
    /// Where it came from (a file, or "the command line"), for messages.
    pub source: String,
}

impl PinnedKey {
    /// `spec` is 64 hex digits, or a file holding a hex key (`.pub`) or a PEM key (`.pub.pem`).
    pub fn parse(spec: &str) -> Result<PinnedKey> {
        let trimmed = spec.trim();
        if trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(PinnedKey {
                public_hex: trimmed.to_ascii_lowercase(),
                source: "the command line".into(),
            });
        }
        let path = Path::new(trimmed);
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::BadInput(format!(
                "--key {trimmed}: neither 64 hex digits nor a readable key file ({e})"
            ))
        })?;
        let public_hex = keys::parse_public_key(&text)
            .map_err(|why| Error::BadInput(format!("--key {}: {why}", path.display())))?;
        Ok(PinnedKey {
            public_hex,
            source: path.display().to_string(),
        })
    }
}

/// Verify a bundle with nothing but its own files, against the key it ships. That key proves
/// nothing by itself: compare it with the published one, or use [`verify_bundle_with_key`].
pub fn verify_bundle(dir: &Path) -> Result<BundleVerification> {
    verify_bundle_with_key(dir, None)
}

/// Reject manifest paths that would read outside the bundle.
fn safe_relative(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Verify a bundle; with `pinned`, every signature is checked with the verifier's key, and a
/// bundle signed with another key fails and says so.
pub fn verify_bundle_with_key(
    dir: &Path,
    pinned: Option<&PinnedKey>,
) -> Result<BundleVerification> {
    let mut v = BundleVerification::default();
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(Error::BadInput(format!(
                "{} is a symbolic link; pass the bundle directory itself (links are never followed)",
                dir.display()
            )));
        }
        Ok(m) if !m.is_dir() => {
            return Err(Error::BadInput(format!(
                "{}: not a directory (pass the bundle directory)",
                dir.display()
            )));
        }
        Ok(_) => {}
        Err(e) => return Err(Error::io(dir, e)),
    }
    // Walk first: it refuses any symbolic link, so no later read can leave the bundle.
    let mut present = Vec::new();
    collect_files(dir, dir, &mut present)?;
    let read = |rel: &str| std::fs::read(dir.join(rel)).map_err(|e| Error::io(&dir.join(rel), e));
    let bundle_key = String::from_utf8_lossy(&read(keys::PUBLIC_KEY_FILE)?)
        .trim()
        .to_string();
    v.bundle_key_hex = bundle_key.clone();
    let pk_text = match pinned {
        Some(p) => {
            v.key_source = format!("pinned ({})", p.source);
            if p.public_hex != bundle_key.to_ascii_lowercase() {
                v.problems.push(format!(
                    "{}: the bundle ships key {bundle_key}, not the pinned key {} from {}: it was not signed by the station you trust (re-signed, or another station's)",
                    keys::PUBLIC_KEY_FILE,
                    p.public_hex,
                    p.source
                ));
            }
            p.public_hex.clone()
        }
        None => {
            v.key_source = "bundle (station-ed25519.pub, not pinned)".into();
            bundle_key.clone()
        }
    };
    v.public_key_hex = pk_text.clone();
    let manifest = read(MANIFEST)?;
    let sig = read(MANIFEST_SIG)?;
    if let Err(why) = verify_hex(&pk_text, &manifest, &hex::encode(&sig)) {
        v.problems.push(format!("{MANIFEST_SIG}: {why}"));
    }
    // 1. Manifest: every line matches, every file is listed.
    let mut listed: HashMap<String, String> = HashMap::new();
    for (n, line) in String::from_utf8_lossy(&manifest).lines().enumerate() {
        let Some((digest, rel)) = line.split_once("  ") else {
            v.problems
                .push(format!("{MANIFEST} line {}: not `SHA256  PATH`", n + 1));
            continue;
        };
        if !safe_relative(rel) {
            v.problems.push(format!(
                "{MANIFEST} line {}: path {rel:?} leaves the bundle (absolute or `..`); not read",
                n + 1
            ));
            continue;
        }
        listed.insert(rel.to_string(), digest.to_string());
        v.files_checked += 1;
        match file_sha256(&dir.join(rel)) {
            Ok(d) if d == digest => {}
            Ok(d) => v
                .problems
                .push(format!("{rel}: SHA-256 {d}, manifest says {digest}")),
            Err(e) => v.problems.push(format!("{rel}: {e}")),
        }
    }
    for rel in present {
        if !listed.contains_key(&rel) {
            v.problems
                .push(format!("{rel}: in the bundle but not in {MANIFEST}"));
        }
    }
    // 2. Chain entries: hashes, payload digests, signatures, seal coverage.
    let info: BundleInfo = serde_json::from_slice(&read(BUNDLE_INFO)?)
        .map_err(|e| Error::BadInput(format!("{}: {e}", dir.join(BUNDLE_INFO).display())))?;
    v.station_id = info.station_id.clone();
    let chain_text = String::from_utf8_lossy(&read(CHAIN)?).into_owned();
    let mut entries: Vec<Entry> = Vec::new();
    for (n, line) in chain_text.lines().enumerate() {
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => entries.push(e),
            Err(e) => v.problems.push(format!("{CHAIN} line {}: {e}", n + 1)),
        }
    }
    let mut by_seq: HashMap<(String, i64), String> = HashMap::new();
    for e in &entries {
        v.entries_checked += 1;
        if e.computed_hash() != e.hash {
            v.problems.push(format!(
                "{CHAIN} entry {}: hash does not match its fields",
                e.id
            ));
        }
        if let Some(p) = &e.payload
            && sha256_hex(p.as_bytes()) != e.payload_sha256
        {
            v.problems.push(format!(
                "{CHAIN} entry {}: payload differs from payload_sha256",
                e.id
            ));
        }
        if e.station == info.station_id
            && e.kind == kind::STATION
            && let Ok(rec) = parse::<StationRecord>(e)
            && rec.public_key_hex != pk_text
        {
            v.problems.push(format!(
                "{CHAIN} entry {}: station key differs from {}",
                e.id,
                keys::PUBLIC_KEY_FILE
            ));
        }
        match &e.signature {
            Some(sig) => {
                if let Err(why) = verify_hex(&pk_text, e.hash.as_bytes(), sig) {
                    v.problems
                        .push(format!("{CHAIN} entry {}: signature: {why}", e.id));
                }
            }
            None if kind::SIGNED.contains(&e.kind.as_str()) => {
                v.problems.push(format!(
                    "{CHAIN} entry {}: {} entry without signature",
                    e.id, e.kind
                ));
            }
            None => {}
        }
        by_seq.insert((e.station.clone(), e.station_seq), e.hash.clone());
    }
    let subject = format!("flight:{}", info.flight_id);
    let seal = entries
        .iter()
        .find(|e| e.kind == kind::FLIGHT_SEAL && e.subject == subject);
    match seal.map(parse::<FlightSeal>) {
        Some(Ok(s)) => {
            for e in entries.iter().filter(|e| {
                e.subject == subject && e.station_seq < seal.map_or(0, |x| x.station_seq)
            }) {
                if !s
                    .covered_entries
                    .iter()
                    .any(|c| c.station_seq == e.station_seq && c.hash == e.hash)
                {
                    v.problems.push(format!(
                        "{CHAIN} entry {}: not covered by the flight seal",
                        e.id
                    ));
                }
            }
            for f in &info.files {
                let recorded = match f.role.as_str() {
                    "tlog" => s.tlog.as_ref().map(|x| x.sha256.clone()),
                    "rrd" => s.rrd.as_ref().map(|x| x.sha256.clone()),
                    _ => entries
                        .iter()
                        .find(|e| e.id == f.entry_id && e.kind == kind::VIDEO_SEGMENT)
                        .and_then(|e| parse::<VideoSegment>(e).ok())
                        .map(|seg| seg.file.sha256),
                };
                let in_manifest = listed.get(&f.bundle_path);
                if recorded.is_none() || recorded.as_ref() != in_manifest {
                    v.problems.push(format!(
                        "{}: chained digest {:?} does not match the file's {:?}",
                        f.bundle_path, recorded, in_manifest
                    ));
                }
            }
        }
        Some(Err(e)) => v.problems.push(format!("flight seal unreadable: {e}")),
        None => v.problems.push(format!(
            "{CHAIN} holds no seal for flight {}",
            info.flight_id
        )),
    }
    Ok(v)
}
