//! MPEG-TS packets grouped into SRT messages, cut at the end of each frame.
//!
//! mpegtsmux's `alignment=7` (seven packets, one 1316-byte SRT message) holds the tail of every
//! frame until the next frame's packets fill the message: a frame interval of latency on the
//! uplink (33 ms at 30 fps, measured by `scripts/bench-relay.sh`). One message per 188-byte
//! packet avoids the wait but costs 44 bytes of SRT/UDP/IP header each (23 % on a 4G uplink).
//! [`TsChunker`] keeps full messages and sends the short last one as soon as the frame's PES
//! is complete — known from its `PES_packet_length`, which mpegtsmux writes for every frame
//! under 64 KiB. A larger frame's PES is unbounded (length 0): only the next frame's start
//! ends it, for any receiver's demuxer too, so it is cut by size alone.

/// One MPEG-TS packet.
pub const TS_PACKET: usize = 188;
/// Packets in a full SRT live message (1316 bytes, SRT's default payload size).
pub const PACKETS_PER_MESSAGE: usize = 7;

/// Groups a stream of TS packets into messages of at most seven, ending one at each complete PES.
#[derive(Debug, Default)]
pub struct TsChunker {
    pending: Vec<u8>,
    /// Per PID, the bytes still expected of the bounded PES in progress.
    pes_left: std::collections::HashMap<u16, usize>,
    /// Bytes of an incomplete packet carried over between input buffers.
    partial: Vec<u8>,
}

impl TsChunker {
    pub fn new() -> TsChunker {
        TsChunker::default()
    }

    /// Take `data` (any cut of the byte stream) and return the messages ready to send now.
    pub fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut rest = data;
        if !self.partial.is_empty() {
            let need = TS_PACKET - self.partial.len();
            let take = need.min(rest.len());
            self.partial.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.partial.len() < TS_PACKET {
                return out;
            }
            let packet = std::mem::take(&mut self.partial);
            self.packet(&packet, &mut out);
        }
        let mut packets = rest.chunks_exact(TS_PACKET);
        for p in packets.by_ref() {
            self.packet(p, &mut out);
        }
        self.partial.extend_from_slice(packets.remainder());
        out
    }

    /// What is pending. A live uplink never ends; only the tests ask (a stream's end loses at
    /// most the last six packets of an unbounded frame, which no demuxer could finish anyway).
    #[cfg(test)]
    fn flush(&mut self) -> Option<Vec<u8>> {
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }

    fn packet(&mut self, p: &[u8], out: &mut Vec<Vec<u8>>) {
        self.pending.extend_from_slice(p);
        let frame_done = self.pes_done(p);
        if frame_done || self.pending.len() >= PACKETS_PER_MESSAGE * TS_PACKET {
            out.push(std::mem::take(&mut self.pending));
        }
    }

    /// Track the PES this packet belongs to; true when it completes a bounded PES.
    fn pes_done(&mut self, p: &[u8]) -> bool {
        // Not a packet we can read (lost sync, scrambled): cut by size only.
        if p[0] != 0x47 || p[3] & 0xC0 != 0 {
            return false;
        }
        let pid = (u16::from(p[1] & 0x1F) << 8) | u16::from(p[2]);
        let start = p[1] & 0x40 != 0;
        let control = (p[3] >> 4) & 0x3;
        let mut off = 4;
        if control & 0x2 != 0 {
            off += 1 + usize::from(p[4]);
        }
        if control & 0x1 == 0 || off >= TS_PACKET {
            return false;
        }
        let payload = &p[off..];
        if start {
            self.pes_left.remove(&pid);
            // A PES (not a PSI section: those start with a pointer field, never 00 00 01).
            if payload.len() >= 6 && payload[..3] == [0, 0, 1] {
                let length = usize::from(u16::from_be_bytes([payload[4], payload[5]]));
                if length == 0 {
                    return false;
                }
                let total = 6 + length;
                if payload.len() >= total {
                    return true;
                }
                self.pes_left.insert(pid, total - payload.len());
            }
            return false;
        }
        match self.pes_left.get_mut(&pid) {
            Some(left) if payload.len() >= *left => {
                self.pes_left.remove(&pid);
                true
            }
            Some(left) => {
                *left -= payload.len();
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TS packet of `pid` carrying `payload` (stuffed with an adaptation field when short).
    fn packet(pid: u16, start: bool, payload: &[u8]) -> Vec<u8> {
        assert!(payload.len() <= 184);
        let mut p = vec![
            0x47,
            ((pid >> 8) as u8 & 0x1F) | if start { 0x40 } else { 0 },
        ];
        p.push(pid as u8);
        let stuffing = 184 - payload.len();
        if stuffing == 0 {
            p.push(0x10);
        } else {
            p.push(0x30);
            p.push((stuffing - 1) as u8);
            if stuffing > 1 {
                p.push(0x00);
                p.extend(std::iter::repeat_n(0xFF, stuffing - 2));
            }
        }
        p.extend_from_slice(payload);
        assert_eq!(p.len(), TS_PACKET);
        p
    }

    /// The packets of one PES of `len` payload bytes on `pid` (bounded when `bounded`).
    fn pes(pid: u16, len: usize, bounded: bool) -> Vec<Vec<u8>> {
        let mut bytes = vec![0, 0, 1, 0xE0];
        let pes_len = if bounded { (3 + len) as u16 } else { 0 };
        bytes.extend(pes_len.to_be_bytes());
        bytes.extend([0x80, 0x00, 0x00]);
        bytes.extend(std::iter::repeat_n(0xAB, len));
        bytes
            .chunks(184)
            .enumerate()
            .map(|(i, c)| packet(pid, i == 0, c))
            .collect()
    }

    fn sizes(messages: &[Vec<u8>]) -> Vec<usize> {
        messages.iter().map(|m| m.len() / TS_PACKET).collect()
    }

    #[test]
    fn a_frame_is_sent_whole_as_soon_as_its_last_packet_is_in() {
        let mut c = TsChunker::new();
        let pat = packet(0, true, &[0, 0, 0xB0, 0x0D]);
        let mut out = c.push(&pat);
        // 10 packets of a bounded PES: one full message, then the last three at once.
        for p in pes(65, 10 * 184 - 9, true) {
            out.extend(c.push(&p));
        }
        assert_eq!(sizes(&out), [7, 4]);
        assert!(c.flush().is_none(), "nothing of the frame left behind");
    }

    #[test]
    fn an_unbounded_pes_is_cut_by_size_only() {
        let mut c = TsChunker::new();
        let mut out = Vec::new();
        for p in pes(65, 10 * 184 - 9, false) {
            out.extend(c.push(&p));
        }
        assert_eq!(sizes(&out), [7]);
        assert_eq!(c.flush().map(|m| m.len() / TS_PACKET), Some(3));
    }

    #[test]
    fn packets_split_across_input_buffers_are_reassembled() {
        let mut c = TsChunker::new();
        let stream: Vec<u8> = pes(65, 3 * 184 - 9, true).concat();
        let mut out = Vec::new();
        for piece in stream.chunks(100) {
            out.extend(c.push(piece));
        }
        assert_eq!(sizes(&out), [3]);
        assert_eq!(out.concat(), stream, "bytes unchanged, in order");
    }

    #[test]
    fn a_frame_in_one_packet_and_garbage_do_not_stall_or_panic() {
        let mut c = TsChunker::new();
        let out = c.push(&pes(65, 20, true).concat());
        assert_eq!(sizes(&out), [1]);
        let garbage = [0x00u8; TS_PACKET * 8];
        assert_eq!(sizes(&c.push(&garbage)), [7]);
        assert_eq!(c.flush().map(|m| m.len()), Some(TS_PACKET));
    }
}
