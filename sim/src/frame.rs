//! MAVLink framing on the simulator's side: a byte-stream decoder that skips and counts bad
//! frames, an encoder, and ArduPilot's signing policy.

use mavlink::dialects::ardupilotmega::MavMessage;
use mavlink::{
    MAVLinkV2MessageRaw, MavHeader, MavlinkVersion, Message, SigningConfig, SigningData,
    calculate_crc,
};

const STX_V1: u8 = 0xFE;
const STX_V2: u8 = 0xFD;
const IFLAG_SIGNED: u8 = 0x01;
const SIGNATURE_LEN: usize = 13;

/// Why frames were skipped, per link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodecStats {
    pub frames_ok: u64,
    pub bad_crc: u64,
    pub unknown_id: u64,
    pub malformed: u64,
    pub skipped_bytes: u64,
    pub unsigned_rejected: u64,
    pub bad_signature: u64,
}

/// A frame whose CRC checked out.
#[derive(Clone, Debug)]
pub struct RawFrame {
    pub bytes: Vec<u8>,
    pub version: MavlinkVersion,
    pub msg_id: u32,
    pub header: MavHeader,
    pub signed: bool,
}

impl RawFrame {
    pub fn payload(&self) -> &[u8] {
        match self.version {
            MavlinkVersion::V1 => &self.bytes[6..6 + usize::from(self.bytes[1])],
            MavlinkVersion::V2 => &self.bytes[10..10 + usize::from(self.bytes[1])],
        }
    }
    /// Decodes the payload into a message.
    pub fn decode(&self) -> Result<MavMessage, mavlink::error::ParserError> {
        MavMessage::parse(self.version, self.msg_id, self.payload())
    }
}

/// Incremental decoder for a byte stream (TCP) or a sequence of datagrams (UDP).
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    pub stats: CodecStats,
}

impl Decoder {
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        // A peer sending garbage must not grow us without bound.
        if self.buf.len() > 1 << 20 {
            let drop = self.buf.len() - 4096;
            self.stats.skipped_bytes += drop as u64;
            self.buf.drain(..drop);
        }
    }

    /// Next frame with a valid CRC; bad bytes are skipped and counted.
    pub fn next_frame(&mut self) -> Option<RawFrame> {
        loop {
            let start = self.buf.iter().position(|&b| b == STX_V1 || b == STX_V2);
            match start {
                None => {
                    self.stats.skipped_bytes += self.buf.len() as u64;
                    self.buf.clear();
                    return None;
                }
                Some(i) if i > 0 => {
                    self.stats.skipped_bytes += i as u64;
                    self.buf.drain(..i);
                }
                _ => {}
            }
            if self.buf.len() < 3 {
                return None;
            }
            let v2 = self.buf[0] == STX_V2;
            let len = usize::from(self.buf[1]);
            let (hdr, signed) = if v2 {
                let incompat = self.buf[2];
                if incompat & !IFLAG_SIGNED != 0 {
                    // Unknown incompatibility flags: we cannot parse it, resynchronise.
                    self.stats.malformed += 1;
                    self.buf.drain(..1);
                    continue;
                }
                (10, incompat & IFLAG_SIGNED != 0)
            } else {
                (6, false)
            };
            let total = hdr + len + 2 + if signed { SIGNATURE_LEN } else { 0 };
            if self.buf.len() < total {
                return None;
            }
            let msg_id = if v2 {
                u32::from_le_bytes([self.buf[7], self.buf[8], self.buf[9], 0])
            } else {
                u32::from(self.buf[5])
            };
            if MavMessage::default_message_from_id(msg_id).is_none() {
                // Unknown to the dialect: the CRC cannot be checked. Skip the frame as a whole
                // (as pymavlink does) so its payload cannot be misread as frames.
                self.stats.unknown_id += 1;
                self.buf.drain(..total);
                continue;
            }
            let crc_extra = MavMessage::extra_crc(msg_id);
            let crc = calculate_crc(&self.buf[1..hdr + len], crc_extra);
            let got = u16::from_le_bytes([self.buf[hdr + len], self.buf[hdr + len + 1]]);
            if crc != got {
                self.stats.bad_crc += 1;
                self.buf.drain(..1);
                continue;
            }
            let bytes: Vec<u8> = self.buf.drain(..total).collect();
            let header = if v2 {
                MavHeader {
                    sequence: bytes[4],
                    system_id: u32::from(bytes[5]),
                    component_id: bytes[6],
                }
            } else {
                MavHeader {
                    sequence: bytes[2],
                    system_id: u32::from(bytes[3]),
                    component_id: bytes[4],
                }
            };
            self.stats.frames_ok += 1;
            return Some(RawFrame {
                bytes,
                version: if v2 {
                    MavlinkVersion::V2
                } else {
                    MavlinkVersion::V1
                },
                msg_id,
                header,
                signed,
            });
        }
    }
}

/// Messages ArduPilot accepts unsigned even when signing is on (radio status from the modem).
fn accept_unsigned_anyway(msg_id: u32) -> bool {
    msg_id == 109 // RADIO_STATUS
}

/// Signing state of one link: ArduPilot's policy.
pub struct Signing {
    key: [u8; 32],
    data: SigningData,
}

impl std::fmt::Debug for Signing {
    // Never print the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signing { key: <hidden> }")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Unsigned while signing is on (ArduPilot drops it silently).
    RejectUnsigned,
    /// Bad signature, replayed or stale timestamp.
    RejectSignature,
}

impl Signing {
    pub fn new(key: [u8; 32], link_id: u8) -> Self {
        Self {
            key,
            data: SigningData::from_config(SigningConfig::new(key, link_id, true, false)),
        }
    }
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// Judges an inbound frame. `secure_link` marks a link like ArduPilot's first serial port,
    /// which accepts unsigned frames.
    pub fn verdict(&self, frame: &RawFrame, secure_link: bool) -> Verdict {
        if !frame.signed {
            if secure_link || accept_unsigned_anyway(frame.msg_id) {
                return Verdict::Accept;
            }
            return Verdict::RejectUnsigned;
        }
        let mut raw = MAVLinkV2MessageRaw::new();
        let n = frame.bytes.len().min(raw.as_slice().len());
        raw.as_mut_slice()[..n].copy_from_slice(&frame.bytes[..n]);
        if self.data.verify_signature(&raw) {
            Verdict::Accept
        } else {
            Verdict::RejectSignature
        }
    }
}

/// Serialises outgoing messages for one link with its own sequence counter.
#[derive(Debug, Default)]
pub struct Encoder {
    seq: u8,
}

impl Encoder {
    pub fn encode(
        &mut self,
        sysid: u8,
        compid: u8,
        msg: &MavMessage,
        signing: Option<&Signing>,
    ) -> Vec<u8> {
        let header = MavHeader {
            system_id: u32::from(sysid),
            component_id: compid,
            sequence: self.seq,
        };
        self.seq = self.seq.wrapping_add(1);
        let mut raw = MAVLinkV2MessageRaw::new();
        match signing {
            Some(s) => {
                raw.serialize_message_for_signing(header, msg);
                s.data.sign_message(&mut raw);
            }
            None => raw.serialize_message(header, msg),
        }
        raw.raw_bytes().to_vec()
    }

    /// Frames a payload by hand, for a message the dialect's types cannot hold (a COMMAND_ACK
    /// for a command number the enum does not know).
    pub fn encode_raw(
        &mut self,
        sysid: u8,
        compid: u8,
        msg_id: u32,
        payload: &[u8],
        signing: Option<&Signing>,
    ) -> Vec<u8> {
        let mut raw = MAVLinkV2MessageRaw::new();
        let len = payload.len().min(255);
        {
            let b = raw.as_mut_slice();
            b[0] = STX_V2;
            b[1] = len as u8;
            b[2] = if signing.is_some() { IFLAG_SIGNED } else { 0 };
            b[3] = 0;
            b[4] = self.seq;
            b[5] = sysid;
            b[6] = compid;
            b[7..10].copy_from_slice(&msg_id.to_le_bytes()[..3]);
            b[10..10 + len].copy_from_slice(&payload[..len]);
            let crc = calculate_crc(&b[1..10 + len], MavMessage::extra_crc(msg_id));
            b[10 + len..12 + len].copy_from_slice(&crc.to_le_bytes());
        }
        self.seq = self.seq.wrapping_add(1);
        if let Some(s) = signing {
            s.data.sign_message(&mut raw);
        }
        raw.raw_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mavlink::dialects::ardupilotmega::*;

    fn hb() -> MavMessage {
        MavMessage::HEARTBEAT(HEARTBEAT_DATA {
            mavtype: MavType::MAV_TYPE_GCS,
            autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
            ..Default::default()
        })
    }

    #[test]
    fn decodes_through_garbage_and_counts_it() {
        let mut enc = Encoder::default();
        let good = enc.encode(255, 190, &hb(), None);
        let mut corrupt = good.clone();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xFF;
        let mut d = Decoder::default();
        d.push(&[0x00, 0x11, 0x22]);
        d.push(&corrupt);
        d.push(&good[..5]);
        assert!(d.next_frame().is_none());
        d.push(&good[5..]);
        let f = d.next_frame().expect("the good frame");
        assert_eq!(f.header.system_id, 255);
        assert!(matches!(f.decode().unwrap(), MavMessage::HEARTBEAT(_)));
        assert_eq!(d.stats.frames_ok, 1);
        assert!(d.stats.bad_crc >= 1);
        assert!(d.stats.skipped_bytes >= 3);
    }

    #[test]
    fn signing_policy() {
        let key = [7u8; 32];
        let vehicle = Signing::new(key, 0);
        let gcs = Signing::new(key, 1);
        let other = Signing::new([8u8; 32], 1);
        let mut enc = Encoder::default();
        let frame = |bytes: Vec<u8>| {
            let mut d = Decoder::default();
            d.push(&bytes);
            d.next_frame().unwrap()
        };
        let unsigned = frame(enc.encode(255, 190, &hb(), None));
        assert_eq!(vehicle.verdict(&unsigned, false), Verdict::RejectUnsigned);
        assert_eq!(vehicle.verdict(&unsigned, true), Verdict::Accept);
        let signed = frame(enc.encode(255, 190, &hb(), Some(&gcs)));
        assert!(signed.signed);
        assert_eq!(vehicle.verdict(&signed, false), Verdict::Accept);
        // The same frame again is a replay.
        assert_eq!(vehicle.verdict(&signed, false), Verdict::RejectSignature);
        let wrong = frame(enc.encode(255, 190, &hb(), Some(&other)));
        assert_eq!(vehicle.verdict(&wrong, false), Verdict::RejectSignature);
    }
}
