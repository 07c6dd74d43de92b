//! Crash safety: a writer process is killed with SIGKILL at arbitrary moments, again and again; the
//! register must open, verify, and hold every entry the writer reported committed.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vigie_register::*;

use crate::common::*;

#[test]
fn killing_the_writer_in_a_loop_loses_nothing_committed() {
    let b = Backend::sqlite();
    let mut committed: HashMap<i64, String> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    for round in 0..25u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigie-register-soak"))
            .arg(b.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill after a varying number of commits, so the kill lands at different points of the cycle
        // (flight start, events, segment file + entry, signed seal).
        let wanted = 3 + (round * 7) % 23;
        let mut seen = 0;
        while seen < wanted {
            let Some(line) = lines.next() else {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "writer ended early in round {round}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            let line = line.unwrap();
            let (id, hash) = line.split_once(' ').unwrap();
            committed.insert(id.parse().unwrap(), hash.to_string());
            seen += 1;
            assert!(Instant::now() < deadline, "crash loop too slow");
        }
        // SIGKILL (Child::kill), mid-way through the next append.
        child.kill().unwrap();
        child.wait().unwrap();
        // Lines the writer printed before dying were committed too.
        for line in lines.map_while(Result::ok) {
            if let Some((id, hash)) = line.split_once(' ') {
                committed.insert(id.parse().unwrap(), hash.to_string());
            }
        }
        let mut reg = b
            .try_open(RegisterKind::Legal)
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        let report = reg.verify().unwrap();
        assert!(report.is_ok(), "round {round}: {:?}", report.first_break());
        let stored: HashMap<i64, String> = b
            .all_entries()
            .into_iter()
            .map(|e| (e.id, e.hash))
            .collect();
        for (id, hash) in &committed {
            assert_eq!(
                stored.get(id),
                Some(hash),
                "round {round}: committed entry {id} lost or changed"
            );
        }
        drop(reg);
    }
    assert!(
        committed.len() > 100,
        "only {} commits observed",
        committed.len()
    );
}
