//! Splitting a byte stream into lines: CR/LF or LF, bounded length, a partial line kept across
//! reads. Pure; shared by the NMEA and SBS-1 decoders.

/// What came out of the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    /// One line without its terminator (may be empty).
    Text(&'a [u8]),
    /// A line longer than the limit: dropped up to its terminator, counted once.
    Overlong,
}

/// Accumulates bytes and hands out complete lines.
#[derive(Debug, Clone)]
pub struct LineSplitter {
    buf: Vec<u8>,
    max_len: usize,
    overlong: bool,
    /// A new line also starts at this byte (NMEA's `$`), so sentences glued together without a
    /// terminator still come apart.
    start: Option<u8>,
    /// The last byte was a `\r` that ended a line (so a following `\n` ends nothing).
    cr_ended: bool,
}

impl LineSplitter {
    pub fn new(max_len: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_len,
            overlong: false,
            start: None,
            cr_ended: false,
        }
    }

    /// Also start a new line at `byte` (the byte begins the new line).
    pub fn with_start_byte(mut self, byte: u8) -> Self {
        self.start = Some(byte);
        self
    }

    /// Feed bytes; `out` is called for every complete line, in order.
    pub fn push(&mut self, bytes: &[u8], mut out: impl FnMut(Line<'_>)) {
        for &b in bytes {
            let after_cr = std::mem::take(&mut self.cr_ended);
            let starts = self.start == Some(b);
            if b == b'\n' || b == b'\r' || starts {
                let has_content = self.overlong || !self.buf.is_empty();
                // `\n` always ends a line (an empty one is a heartbeat), except the `\n` of a
                // `\r\n` whose `\r` already ended it; `\r` and the start byte end non-empty ones.
                let ends = has_content || (b == b'\n' && !after_cr);
                if ends {
                    if self.overlong {
                        out(Line::Overlong);
                    } else {
                        out(Line::Text(&self.buf));
                    }
                }
                self.overlong = false;
                self.buf.clear();
                self.cr_ended = b == b'\r' && ends;
                if starts {
                    self.buf.push(b);
                }
                continue;
            }
            if self.overlong {
                continue;
            }
            if self.buf.len() >= self.max_len {
                self.overlong = true;
                self.buf.clear();
                continue;
            }
            self.buf.push(b);
        }
    }

    /// Forget a partial line (the connection it came from ended).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.overlong = false;
        self.cr_ended = false;
    }

    /// Bytes of a line still waiting for its terminator.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &mut LineSplitter, bytes: &[u8]) -> Vec<String> {
        let mut v = vec![];
        s.push(bytes, |l| {
            v.push(match l {
                Line::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Line::Overlong => "<overlong>".into(),
            })
        });
        v
    }

    #[test]
    fn crlf_lf_partial_and_overlong() {
        let mut s = LineSplitter::new(10);
        assert_eq!(split(&mut s, b"ab\r\ncd\nef"), ["ab", "cd"]);
        assert_eq!(s.pending(), 2);
        assert_eq!(split(&mut s, b"gh\r\n"), ["efgh"]);
        // An empty line (a heartbeat) is seen once, not twice for CR and LF.
        assert_eq!(split(&mut s, b"\r\n"), [""]);
        assert_eq!(
            split(&mut s, b"0123456789ABC\r\nok\n"),
            ["<overlong>", "ok"]
        );
        s.push(b"partial", |_| {});
        s.reset();
        assert_eq!(split(&mut s, b"x\n"), ["x"]);
    }

    #[test]
    fn a_start_byte_splits_glued_sentences() {
        let mut s = LineSplitter::new(100).with_start_byte(b'$');
        assert_eq!(
            split(&mut s, b"junk$A*00$B*00\r\n"),
            ["junk", "$A*00", "$B*00"]
        );
    }
}
