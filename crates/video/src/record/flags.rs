//! Flags per segment (`domicile`: purged at 48 h, R242-11 II). A flag lands on the segment being
//! written, or on the next one between two. The flags of the segment being written are also kept
//! in a side file beside it, so a crash does not lose them: the recovered segment keeps its
//! `domicile` flag.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::naming::flags_of;

#[derive(Default)]
pub(crate) struct Flags {
    pub(crate) sticky: BTreeSet<String>,
    pending: BTreeSet<String>,
    current: Option<PathBuf>,
    by_path: HashMap<PathBuf, BTreeSet<String>>,
}

impl Flags {
    /// Flag the segment in progress (returned with all its flags, for the side file), or the next.
    pub(crate) fn flag(&mut self, flag: &str) -> Option<(PathBuf, Vec<String>)> {
        match &self.current {
            Some(p) => {
                let set = self.by_path.entry(p.clone()).or_default();
                set.insert(flag.to_owned());
                Some((p.clone(), set.iter().cloned().collect()))
            }
            None => {
                self.pending.insert(flag.to_owned());
                None
            }
        }
    }

    /// A segment was opened at `part`: its flags (sticky ones and those waiting).
    pub(crate) fn opened(&mut self, part: PathBuf) -> Vec<String> {
        let mut flags = self.sticky.clone();
        flags.append(&mut self.pending);
        let list = flags.iter().cloned().collect();
        self.by_path.insert(part.clone(), flags);
        self.current = Some(part);
        list
    }

    /// The segment at `part` was closed: its flags.
    pub(crate) fn closed(&mut self, part: &Path) -> Vec<String> {
        if self.current.as_deref() == Some(part) {
            self.current = None;
        }
        self.by_path
            .remove(part)
            .map(|f| f.into_iter().collect())
            .unwrap_or_default()
    }
}

/// Write the side file of a segment being written (fsynced: it must survive the crash it is for).
pub(crate) fn write_side_file(part: &Path, flags: &[String]) -> std::io::Result<()> {
    let path = flags_of(part);
    if flags.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let mut f = std::fs::File::create(&path)?;
    for flag in flags {
        writeln!(f, "{flag}")?;
    }
    f.sync_all()
}

/// The flags a side file holds (none when there is no side file).
pub(crate) fn read_side_file(part: &Path) -> Vec<String> {
    std::fs::read_to_string(flags_of(part))
        .map(|t| {
            t.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn remove_side_file(part: &Path) {
    let _ = std::fs::remove_file(flags_of(part));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_land_on_the_segment_in_progress_or_the_next_one() {
        let (a, b, c) = (
            PathBuf::from("a.mkv"),
            PathBuf::from("b.mkv"),
            PathBuf::from("c.mkv"),
        );
        let mut f = Flags::default();
        f.opened(a.clone());
        assert_eq!(f.closed(&a), Vec::<String>::new());
        // Between two segments: goes to the next one.
        assert_eq!(f.flag("domicile"), None);
        assert_eq!(f.opened(b.clone()), ["domicile"]);
        f.sticky.insert("thermal".into());
        assert_eq!(
            f.flag("thermal"),
            Some((b.clone(), vec!["domicile".into(), "thermal".into()]))
        );
        assert_eq!(f.closed(&b), ["domicile", "thermal"]);
        assert_eq!(f.opened(c.clone()), ["thermal"]);
        assert_eq!(f.closed(&c), ["thermal"]);
    }

    #[test]
    fn side_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("d.00000.mkv.part");
        assert!(read_side_file(&part).is_empty());
        write_side_file(&part, &["domicile".into()]).unwrap();
        assert_eq!(read_side_file(&part), ["domicile"]);
        write_side_file(&part, &[]).unwrap();
        assert!(read_side_file(&part).is_empty());
    }
}
