//! Segment file names: `STREAM.SESSION.NNNNN.mkv` (SESSION is the flight id the recorder is
//! tagged with) or `STREAM.NNNNN.mkv` when untagged. A segment is written as `NAME.mkv.part` and
//! renamed when it is closed, so a name ending in `.mkv` is always a finished file; a `.part`
//! left by a crash is recovered at the next start ([`super::recover`]). Names never collide: an
//! index whose file exists (from an earlier run of the same session) is skipped.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Suffix of a segment being written.
pub(crate) const PART: &str = ".part";
/// Side file of a segment being written: its flags, one a line (kept for a crash).
pub(crate) const FLAGS: &str = ".flags";

/// A flight id as it appears in a file name: letters, digits, `-`, `_` (anything else → `_`).
pub(crate) fn session_tag(session: &str) -> String {
    let tag: String = session
        .chars()
        .take(120)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if tag.is_empty() { "_".into() } else { tag }
}

pub(crate) fn file_name(stream: &str, session: Option<&str>, index: u32) -> String {
    match session {
        Some(s) => format!("{stream}.{}.{index:05}.mkv", session_tag(s)),
        None => format!("{stream}.{index:05}.mkv"),
    }
}

/// `(stream, session tag, index)` of a segment file name (finished or `.part`).
pub(crate) fn parse_name(name: &str) -> Option<(String, Option<String>, u32)> {
    let name = name.strip_suffix(PART).unwrap_or(name);
    let stem = name.strip_suffix(".mkv")?;
    let parts: Vec<&str> = stem.split('.').collect();
    let (stream, session, index) = match parts[..] {
        [stream, index] => (stream, None, index),
        [stream, session, index] => (stream, Some(session.to_owned()), index),
        _ => return None,
    };
    Some((stream.to_owned(), session, index.parse().ok()?))
}

/// The part path of a finished name, and back.
pub(crate) fn part_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(PART);
    PathBuf::from(s)
}

pub(crate) fn finished_of(part: &Path) -> Option<PathBuf> {
    let s = part.to_str()?;
    s.strip_suffix(PART).map(PathBuf::from)
}

pub(crate) fn flags_of(part: &Path) -> PathBuf {
    let mut s = part.as_os_str().to_owned();
    s.push(FLAGS);
    PathBuf::from(s)
}

/// Where the next segment goes: the recorder's directory and session, changed between segments.
pub(crate) struct Naming {
    pub(crate) stream: String,
    inner: Mutex<NamingInner>,
}

struct NamingInner {
    dir: PathBuf,
    session: Option<String>,
    next_index: u32,
}

/// One segment's place: its session and index, and the `.part` path it is written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) session: Option<String>,
    pub(crate) index: u32,
    pub(crate) part: PathBuf,
}

impl Naming {
    pub(crate) fn new(stream: &str, dir: PathBuf, session: Option<String>) -> Naming {
        Naming {
            stream: stream.to_owned(),
            inner: Mutex::new(NamingInner {
                dir,
                session,
                next_index: 0,
            }),
        }
    }

    /// Change the directory and session of the segments from the next one on.
    pub(crate) fn set(&self, dir: PathBuf, session: Option<String>) {
        if let Ok(mut n) = self.inner.lock() {
            if n.session != session || n.dir != dir {
                n.next_index = 0;
            }
            n.dir = dir;
            n.session = session;
        }
    }

    pub(crate) fn session(&self) -> Option<String> {
        self.inner.lock().ok().and_then(|n| n.session.clone())
    }

    pub(crate) fn dir(&self) -> Option<PathBuf> {
        self.inner.lock().ok().map(|n| n.dir.clone())
    }

    /// The next free place: an index whose finished file and part file both do not exist.
    pub(crate) fn next(&self) -> Option<Place> {
        let mut n = self.inner.lock().ok()?;
        let mut index = n.next_index;
        loop {
            let name = file_name(&self.stream, n.session.as_deref(), index);
            let finished = n.dir.join(&name);
            let part = part_of(&finished);
            if !finished.exists() && !part.exists() {
                n.next_index = index.checked_add(1)?;
                return Some(Place {
                    session: n.session.clone(),
                    index,
                    part,
                });
            }
            index = index.checked_add(1)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_say_which_flight() {
        let rows = [
            ("drone1", Some("F-20261128T101500Z-drone-1-st-1a2b"), 3),
            ("drone1-thermal", None, 12),
        ];
        for (stream, session, index) in rows {
            let name = file_name(stream, session, index);
            assert_eq!(
                parse_name(&name),
                Some((stream.to_owned(), session.map(str::to_owned), index)),
                "{name}"
            );
            assert_eq!(
                parse_name(&format!("{name}{PART}")).map(|p| p.2),
                Some(index)
            );
        }
        assert_eq!(
            file_name("d", Some("F 1/../x"), 0),
            "d.F_1____x.00000.mkv",
            "a flight id cannot leave the directory"
        );
        assert_eq!(parse_name("notes.txt"), None);
        assert_eq!(parse_name("a.b.c.00001.mkv"), None);
    }

    #[test]
    fn an_index_already_on_disk_is_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let n = Naming::new("d", dir.path().to_owned(), Some("F1".into()));
        std::fs::write(dir.path().join("d.F1.00000.mkv"), b"x").unwrap();
        std::fs::write(dir.path().join("d.F1.00001.mkv.part"), b"x").unwrap();
        let p = n.next().unwrap();
        assert_eq!(p.index, 2);
        assert_eq!(p.part, dir.path().join("d.F1.00002.mkv.part"));
        assert_eq!(n.next().unwrap().index, 3);
        n.set(dir.path().to_owned(), Some("F2".into()));
        assert_eq!(n.next().unwrap().index, 0);
        assert_eq!(
            finished_of(&p.part),
            Some(dir.path().join("d.F1.00002.mkv"))
        );
    }
}
