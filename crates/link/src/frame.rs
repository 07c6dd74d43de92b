//! MAVLink framing as a pure byte-stream state machine: find frames in whatever the wire carries,
//! check their CRC, and count (never panic on) garbage, truncation, bad CRCs and unknown ids.
//!
//! We frame ourselves instead of using the `mavlink` crate's readers because a GCS must keep the
//! exact bytes (tlogs, the read-only forwarder, signatures), count every kind of error per link, and
//! keep going after any of them.

use mavlink::{MavHeader, MavlinkVersion, Message};

use crate::MavMessage;

pub const STX_V1: u8 = 0xFE;
pub const STX_V2: u8 = 0xFD;
/// Incompatibility flag: the frame carries a 13-byte signature. The only flag MAVLink 2 defines;
/// a frame with any other incompat bit set must be dropped (spec).
pub const IFLAG_SIGNED: u8 = 0x01;
pub const SIGNATURE_LEN: usize = 13;
const V1_HEADER: usize = 6; // stx len seq sys comp msgid
const V2_HEADER: usize = 10; // stx len incompat compat seq sys comp msgid(3)
const MAX_FRAME: usize = V2_HEADER + 255 + 2 + SIGNATURE_LEN;

/// The signature block of a signed MAVLink 2 frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub link_id: u8,
    /// 48-bit count of 10 µs since 2015-01-01 00:00 UTC.
    pub timestamp: u64,
    pub value: [u8; 6],
}

/// One frame as it was on the wire, with its header fields read out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    pub version: MavlinkVersion,
    pub incompat_flags: u8,
    pub compat_flags: u8,
    pub seq: u8,
    pub sysid: u8,
    pub compid: u8,
    pub msgid: u32,
    /// The whole frame, STX to signature.
    pub bytes: Vec<u8>,
}

/// A frame borrowed from the buffer it was found in (a tlog in memory, a datagram): the same
/// header fields as [`RawFrame`], no copy. [`FrameRef::to_owned`] makes a [`RawFrame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
    pub version: MavlinkVersion,
    pub incompat_flags: u8,
    pub compat_flags: u8,
    pub seq: u8,
    pub sysid: u8,
    pub compid: u8,
    pub msgid: u32,
    /// The whole frame, STX to signature.
    pub bytes: &'a [u8],
}

impl<'a> FrameRef<'a> {
    fn header_len(&self) -> usize {
        match self.version {
            MavlinkVersion::V1 => V1_HEADER,
            MavlinkVersion::V2 => V2_HEADER,
        }
    }

    /// Payload as sent (MAVLink 2 trims trailing zeros).
    pub fn payload(&self) -> &'a [u8] {
        let start = self.header_len();
        let len = self.bytes.get(1).copied().unwrap_or(0) as usize;
        self.bytes.get(start..start + len).unwrap_or(&[])
    }

    pub fn is_signed(&self) -> bool {
        self.version == MavlinkVersion::V2 && self.incompat_flags & IFLAG_SIGNED != 0
    }

    pub fn signature(&self) -> Option<Signature> {
        if !self.is_signed() {
            return None;
        }
        let at = self.bytes.len().checked_sub(SIGNATURE_LEN)?;
        let sig = self.bytes.get(at..)?;
        let mut ts = [0u8; 8];
        ts[..6].copy_from_slice(sig.get(1..7)?);
        let mut value = [0u8; 6];
        value.copy_from_slice(sig.get(7..13)?);
        Some(Signature {
            link_id: sig[0],
            timestamp: u64::from_le_bytes(ts),
            value,
        })
    }

    /// The bytes the signature covers: header, payload, CRC (everything before the signature).
    pub fn signed_part(&self) -> &'a [u8] {
        let end = self
            .bytes
            .len()
            .saturating_sub(if self.is_signed() { SIGNATURE_LEN } else { 0 });
        &self.bytes[..end]
    }

    /// Decode the payload into a typed message of the ardupilotmega dialect.
    pub fn decode(&self) -> Result<MavMessage, DecodeError> {
        MavMessage::parse(self.version, self.msgid, self.payload()).map_err(|e| DecodeError {
            msgid: self.msgid,
            reason: e.to_string(),
        })
    }

    pub fn to_owned(&self) -> RawFrame {
        RawFrame {
            version: self.version,
            incompat_flags: self.incompat_flags,
            compat_flags: self.compat_flags,
            seq: self.seq,
            sysid: self.sysid,
            compid: self.compid,
            msgid: self.msgid,
            bytes: self.bytes.to_vec(),
        }
    }
}

impl RawFrame {
    pub fn as_ref(&self) -> FrameRef<'_> {
        FrameRef {
            version: self.version,
            incompat_flags: self.incompat_flags,
            compat_flags: self.compat_flags,
            seq: self.seq,
            sysid: self.sysid,
            compid: self.compid,
            msgid: self.msgid,
            bytes: &self.bytes,
        }
    }

    /// Payload as sent (MAVLink 2 trims trailing zeros).
    pub fn payload(&self) -> &[u8] {
        self.as_ref().payload()
    }

    pub fn signature(&self) -> Option<Signature> {
        self.as_ref().signature()
    }

    /// The bytes the signature covers: header, payload, CRC (everything before the signature).
    pub fn signed_part(&self) -> &[u8] {
        self.as_ref().signed_part()
    }

    pub fn header(&self) -> MavHeader {
        MavHeader {
            system_id: u32::from(self.sysid),
            component_id: self.compid,
            sequence: self.seq,
        }
    }

    /// Decode the payload into a typed message of the ardupilotmega dialect.
    pub fn decode(&self) -> Result<MavMessage, DecodeError> {
        self.as_ref().decode()
    }
}

/// The frame was well formed (CRC good) but its payload does not decode into the dialect's types,
/// e.g. an enum value the dialect does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message id {msgid} does not decode: {reason}")]
pub struct DecodeError {
    pub msgid: u32,
    pub reason: String,
}

/// What the parser found that was not a good frame. Each is counted by the caller and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Bytes before a start marker (noise, another protocol, a partial frame).
    Garbage { bytes: usize },
    /// The checksum did not match (corruption, or a dialect mismatch).
    BadCrc { msgid: u32 },
    /// Not a message of our dialect, so its CRC cannot be checked: skipped whole.
    UnknownMessage { msgid: u32 },
    /// Incompatibility flags we do not understand: the spec says drop the frame.
    UnsupportedFlags { flags: u8 },
}

/// CRC-16/MCRF4XX (X.25) over `data`, then the message's CRC_EXTRA byte, as MAVLink defines it.
/// Slicing-by-8 over tables of the reflected polynomial 0x8408: the CRC is most of the cost of
/// reading a tlog, and a byte-at-a-time loop is bound by its dependency chain.
pub fn crc_x25(data: &[u8], extra: u8) -> u16 {
    let mut crc: u16 = 0xFFFF;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let v = u64::from_le_bytes(w) ^ u64::from(crc);
        let b = v.to_le_bytes();
        crc = CRC_TABLES[7][usize::from(b[0])]
            ^ CRC_TABLES[6][usize::from(b[1])]
            ^ CRC_TABLES[5][usize::from(b[2])]
            ^ CRC_TABLES[4][usize::from(b[3])]
            ^ CRC_TABLES[3][usize::from(b[4])]
            ^ CRC_TABLES[2][usize::from(b[5])]
            ^ CRC_TABLES[1][usize::from(b[6])]
            ^ CRC_TABLES[0][usize::from(b[7])];
    }
    for &b in chunks.remainder().iter().chain(std::iter::once(&extra)) {
        crc = (crc >> 8) ^ CRC_TABLES[0][usize::from((crc as u8) ^ b)];
    }
    crc
}

/// `CRC_TABLES[k][i]`: the CRC of byte `i` followed by `k` zero bytes.
const CRC_TABLES: [[u16; 256]; 8] = {
    let mut t = [[0u16; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u16;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x8408
            } else {
                c >> 1
            };
            bit += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            i += 1;
        }
        k += 1;
    }
    t
};

/// Message ids of the dialect all lie below this (ardupilotmega's highest is 50005).
const TABLE_IDS: usize = 1 << 16;

struct DialectTable {
    /// CRC_EXTRA per id, `None` for an id the dialect does not have.
    extra: Vec<Option<u8>>,
    name: Vec<Option<&'static str>>,
}

/// Built once: asking the generated dialect whether an id exists builds a default message, far
/// too slow to do for every frame.
fn dialect() -> &'static DialectTable {
    static TABLE: std::sync::OnceLock<DialectTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut extra = vec![None; TABLE_IDS];
        let mut name = vec![None; TABLE_IDS];
        for id in 0..TABLE_IDS as u32 {
            if let Some(m) = MavMessage::default_message_from_id(id) {
                extra[id as usize] = Some(MavMessage::extra_crc(id));
                name[id as usize] = Some(m.message_name());
            }
        }
        DialectTable { extra, name }
    })
}

/// Known CRC_EXTRA for a message id of our dialect, `None` when the id is unknown.
pub fn crc_extra(msgid: u32) -> Option<u8> {
    dialect().extra.get(msgid as usize).copied().flatten()
}

/// The dialect's name for a message id (`GLOBAL_POSITION_INT`), `None` when unknown.
pub fn message_name(msgid: u32) -> Option<&'static str> {
    dialect().name.get(msgid as usize).copied().flatten()
}

/// Incremental frame finder. Feed it bytes as they arrive; take frames and errors out.
#[derive(Debug, Default)]
pub struct FrameParser {
    buf: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Frame(RawFrame),
    Error(FrameError),
}

/// What [`FrameParser::push_with`] hands out: frames borrowed from the bytes pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParsedRef<'a> {
    Frame(FrameRef<'a>),
    Error(FrameError),
}

impl FrameParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Append bytes and return everything that can be decided now. Incomplete frames stay buffered.
    pub fn push(&mut self, data: &[u8]) -> Vec<Parsed> {
        let mut out = Vec::new();
        self.push_with(data, |p| {
            out.push(match p {
                ParsedRef::Frame(f) => Parsed::Frame(f.to_owned()),
                ParsedRef::Error(e) => Parsed::Error(e),
            })
        });
        out
    }

    /// Like [`push`](Self::push), without copying: each frame is borrowed for the call of `f`.
    /// When nothing is buffered (a datagram of whole frames, a tlog) the bytes are parsed where
    /// they are and only an incomplete tail is kept.
    pub fn push_with(&mut self, data: &[u8], mut f: impl FnMut(ParsedRef<'_>)) {
        if self.buf.is_empty() {
            let used = scan(data, &mut f);
            self.keep_tail(&data[used..], &mut f);
        } else {
            let mut buf = std::mem::take(&mut self.buf);
            buf.extend_from_slice(data);
            let used = scan(&buf, &mut f);
            buf.drain(..used);
            self.buf = buf;
            self.bound(&mut f);
        }
    }

    fn keep_tail(&mut self, tail: &[u8], f: &mut impl FnMut(ParsedRef<'_>)) {
        self.buf.extend_from_slice(tail);
        self.bound(f);
    }

    /// A stream of junk that never completes a frame must not grow without bound.
    fn bound(&mut self, f: &mut impl FnMut(ParsedRef<'_>)) {
        if self.buf.len() > MAX_FRAME * 4 {
            f(ParsedRef::Error(FrameError::Garbage {
                bytes: self.buf.len(),
            }));
            self.buf.clear();
        }
    }

    /// Bytes held waiting for the rest of a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// Report every frame and error in `b`; returns how many bytes were decided (the rest is an
/// incomplete frame).
fn scan(b: &[u8], f: &mut impl FnMut(ParsedRef<'_>)) -> usize {
    let mut pos = 0;
    loop {
        // Skip to the next start marker.
        let Some(rel) = b[pos..].iter().position(|&x| x == STX_V1 || x == STX_V2) else {
            if b.len() > pos {
                f(ParsedRef::Error(FrameError::Garbage {
                    bytes: b.len() - pos,
                }));
            }
            return b.len();
        };
        if rel > 0 {
            f(ParsedRef::Error(FrameError::Garbage { bytes: rel }));
            pos += rel;
        }
        match find_frame(&b[pos..]) {
            Found::NeedMore => return pos,
            Found::Frame(frame) => {
                pos += frame.bytes.len();
                f(ParsedRef::Frame(frame));
            }
            Found::Skip(err, len) => {
                f(ParsedRef::Error(err));
                pos += len;
            }
        }
    }
}

/// What starts at a start marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found<'a> {
    /// The frame is not complete yet.
    NeedMore,
    Frame(FrameRef<'a>),
    /// Skip this many bytes and report the error. For a bad CRC we skip only the marker byte, so
    /// a real frame that started inside the bad one is still found.
    Skip(FrameError, usize),
}

/// The frame that starts at `b[0]` (which must be a start marker), checked: flags, known id, CRC.
pub fn find_frame(b: &[u8]) -> Found<'_> {
    let (version, header_len) = match b.first() {
        Some(&STX_V1) => (MavlinkVersion::V1, V1_HEADER),
        Some(&STX_V2) => (MavlinkVersion::V2, V2_HEADER),
        _ => return Found::Skip(FrameError::Garbage { bytes: 1 }, 1),
    };
    if b.len() < header_len {
        return Found::NeedMore;
    }
    let payload_len = b[1] as usize;
    let (incompat, compat, seq, sysid, compid, msgid) = match version {
        MavlinkVersion::V1 => (0, 0, b[2], b[3], b[4], u32::from(b[5])),
        MavlinkVersion::V2 => (
            b[2],
            b[3],
            b[4],
            b[5],
            b[6],
            u32::from_le_bytes([b[7], b[8], b[9], 0]),
        ),
    };
    if incompat & !IFLAG_SIGNED != 0 {
        return Found::Skip(FrameError::UnsupportedFlags { flags: incompat }, 1);
    }
    let sig_len = if incompat & IFLAG_SIGNED != 0 {
        SIGNATURE_LEN
    } else {
        0
    };
    let total = header_len + payload_len + 2 + sig_len;
    if b.len() < total {
        return Found::NeedMore;
    }
    let Some(extra) = crc_extra(msgid) else {
        // Without CRC_EXTRA we cannot tell a real unknown frame from noise that looks like one;
        // skip it whole, as pymavlink does.
        return Found::Skip(FrameError::UnknownMessage { msgid }, total);
    };
    let crc_at = header_len + payload_len;
    let crc = u16::from_le_bytes([b[crc_at], b[crc_at + 1]]);
    if crc_x25(&b[1..crc_at], extra) != crc {
        return Found::Skip(FrameError::BadCrc { msgid }, 1);
    }
    Found::Frame(FrameRef {
        version,
        incompat_flags: incompat,
        compat_flags: compat,
        seq,
        sysid,
        compid,
        msgid,
        bytes: &b[..total],
    })
}

/// Encode a message as an unsigned MAVLink 2 frame (payload trailing zeros trimmed, as the spec
/// requires). Signing, when wanted, is applied afterwards by [`crate::signing::sign_frame`].
pub fn encode_v2(header: MavHeader, msg: &MavMessage) -> RawFrame {
    encode_v2_flags(header, msg, 0)
}

pub(crate) fn encode_v2_flags(header: MavHeader, msg: &MavMessage, incompat: u8) -> RawFrame {
    let mut payload = [0u8; 255];
    let len = msg.ser(MavlinkVersion::V2, &mut payload).min(255);
    frame_from_payload(
        header,
        msg.message_id(),
        &payload[..len],
        incompat,
        MavMessage::extra_crc(msg.message_id()),
    )
}

/// Frame a payload as MAVLink 2 (trailing zeros trimmed). `None` for an id outside the dialect.
/// Used to re-frame what the typed dialect cannot hold (unknown enum values) byte for byte.
pub fn encode_payload_v2(
    header: MavHeader,
    msgid: u32,
    payload: &[u8],
    incompat: u8,
) -> Option<RawFrame> {
    let extra = crc_extra(msgid)?;
    Some(frame_from_payload(header, msgid, payload, incompat, extra))
}

fn frame_from_payload(
    header: MavHeader,
    msgid: u32,
    payload: &[u8],
    incompat: u8,
    extra: u8,
) -> RawFrame {
    let mut len = payload.len().min(255);
    while len > 1 && payload[len - 1] == 0 {
        len -= 1;
    }
    let sysid = header.system_id as u8;
    let mut bytes = Vec::with_capacity(V2_HEADER + len + 2 + SIGNATURE_LEN);
    bytes.extend_from_slice(&[
        STX_V2,
        len as u8,
        incompat,
        0,
        header.sequence,
        sysid,
        header.component_id,
    ]);
    bytes.extend_from_slice(&msgid.to_le_bytes()[..3]);
    bytes.extend_from_slice(&payload[..len]);
    let crc = crc_x25(&bytes[1..], extra);
    bytes.extend_from_slice(&crc.to_le_bytes());
    RawFrame {
        version: MavlinkVersion::V2,
        incompat_flags: incompat,
        compat_flags: 0,
        seq: header.sequence,
        sysid,
        compid: header.component_id,
        msgid,
        bytes,
    }
}

/// Encode as MAVLink 1 (only for message ids below 256; used to answer v1-only peers and in tests).
pub fn encode_v1(header: MavHeader, msg: &MavMessage) -> Option<RawFrame> {
    let msgid = msg.message_id();
    if msgid > 255 {
        return None;
    }
    let mut payload = [0u8; 255];
    let len = msg.ser(MavlinkVersion::V1, &mut payload).min(255);
    let sysid = header.system_id as u8;
    let mut bytes = vec![
        STX_V1,
        len as u8,
        header.sequence,
        sysid,
        header.component_id,
        msgid as u8,
    ];
    bytes.extend_from_slice(&payload[..len]);
    let crc = crc_x25(&bytes[1..], MavMessage::extra_crc(msgid));
    bytes.extend_from_slice(&crc.to_le_bytes());
    Some(RawFrame {
        version: MavlinkVersion::V1,
        incompat_flags: 0,
        compat_flags: 0,
        seq: header.sequence,
        sysid,
        compid: header.component_id,
        msgid,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ardupilotmega as apm;

    fn heartbeat() -> MavMessage {
        MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: apm::MavType::MAV_TYPE_GCS,
            autopilot: apm::MavAutopilot::MAV_AUTOPILOT_INVALID,
            base_mode: apm::MavModeFlag::empty(),
            system_status: apm::MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        })
    }

    /// MAVLink's own byte-wise `crc_accumulate` (mavlink_helpers/checksum.h), the reference.
    fn crc_accumulate_reference(data: &[u8], extra: u8) -> u16 {
        let mut crc: u16 = 0xFFFF;
        for &b in data.iter().chain(std::iter::once(&extra)) {
            let mut tmp = b ^ (crc as u8);
            tmp ^= tmp << 4;
            crc =
                (crc >> 8) ^ (u16::from(tmp) << 8) ^ (u16::from(tmp) << 3) ^ (u16::from(tmp) >> 4);
        }
        crc
    }

    #[test]
    fn table_crc_equals_mavlinks_crc_accumulate() {
        let mut x: u32 = 12345;
        for len in 0..300 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (x >> 16) as u8
                })
                .collect();
            let extra = (len * 7) as u8;
            assert_eq!(
                crc_x25(&data, extra),
                crc_accumulate_reference(&data, extra)
            );
        }
    }

    #[test]
    fn frames_split_across_reads_are_reassembled() {
        let f = encode_v2(
            MavHeader {
                system_id: 255,
                component_id: 190,
                sequence: 7,
            },
            &heartbeat(),
        );
        let mut p = FrameParser::new();
        let mut got = Vec::new();
        for chunk in f.bytes.chunks(3) {
            got.extend(p.push(chunk));
        }
        assert_eq!(got, vec![Parsed::Frame(f)]);
        assert_eq!(p.buffered(), 0);
    }

    #[test]
    fn bad_crc_is_counted_and_the_next_frame_still_found() {
        let good = encode_v2(
            MavHeader {
                system_id: 1,
                component_id: 1,
                sequence: 1,
            },
            &heartbeat(),
        );
        let mut bad = good.bytes.clone();
        let n = bad.len();
        bad[n - 1] ^= 0xFF;
        let mut stream = b"noise".to_vec();
        stream.extend_from_slice(&bad);
        stream.extend_from_slice(&good.bytes);
        let out = FrameParser::new().push(&stream);
        assert!(out.contains(&Parsed::Error(FrameError::BadCrc { msgid: 0 })));
        assert!(out.contains(&Parsed::Error(FrameError::Garbage { bytes: 5 })));
        assert_eq!(
            out.iter().filter(|p| matches!(p, Parsed::Frame(_))).count(),
            1
        );
    }

    #[test]
    fn unknown_message_id_is_skipped_whole() {
        // msgid 0xABCDEF does not exist in ardupilotmega.
        let mut b = vec![STX_V2, 2, 0, 0, 0, 1, 1, 0xEF, 0xCD, 0xAB, 9, 9, 0, 0];
        let good = encode_v2(
            MavHeader {
                system_id: 1,
                component_id: 1,
                sequence: 1,
            },
            &heartbeat(),
        );
        b.extend_from_slice(&good.bytes);
        let out = FrameParser::new().push(&b);
        assert_eq!(
            out[0],
            Parsed::Error(FrameError::UnknownMessage { msgid: 0xABCDEF })
        );
        assert_eq!(out[1], Parsed::Frame(good));
    }

    #[test]
    fn junk_never_grows_the_buffer_without_bound() {
        let mut p = FrameParser::new();
        // A start marker claiming a long frame that never completes, followed by junk forever.
        for _ in 0..1000 {
            p.push(&[STX_V2, 255, 0, 0, 0, 1, 1, 0, 0, 0]);
            assert!(p.buffered() <= MAX_FRAME * 4);
        }
    }

    #[test]
    fn v1_round_trip() {
        let f = encode_v1(
            MavHeader {
                system_id: 3,
                component_id: 4,
                sequence: 5,
            },
            &heartbeat(),
        )
        .unwrap();
        let out = FrameParser::new().push(&f.bytes);
        let Parsed::Frame(got) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(got.version, MavlinkVersion::V1);
        assert_eq!(got.decode().unwrap(), heartbeat());
    }
}
