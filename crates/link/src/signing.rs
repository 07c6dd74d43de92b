//! MAVLink 2 message signing (pure: the caller passes the time).
//!
//! signature = first 6 bytes of SHA-256(key ‖ frame up to and including the CRC ‖ link id ‖
//! 48-bit timestamp), timestamp in 10 µs units since 2015-01-01 00:00 UTC.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mavlink::MavHeader;
use sha2::{Digest, Sha256};

use crate::MavMessage;
use crate::frame::{FrameRef, IFLAG_SIGNED, RawFrame, encode_v2_flags};

/// Seconds from the Unix epoch to 2015-01-01 00:00:00 UTC.
const EPOCH_2015_S: u64 = 1_420_070_400;
/// A new stream whose first timestamp is older than this is a replay (spec: one minute).
const NEW_STREAM_MAX_AGE: u64 = 60 * 100_000;

/// A 32-byte signing key. Its `Debug` never shows the bytes, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// From 64 hexadecimal characters (how operators store keys).
    pub fn from_hex(hex_str: &str) -> Result<Self, String> {
        let v = hex::decode(hex_str.trim())
            .map_err(|e| format!("signing key is not hexadecimal: {e}"))?;
        let arr: [u8; 32] = v.try_into().map_err(|v: Vec<u8>| {
            format!(
                "signing key must be 32 bytes (64 hex digits), got {}",
                v.len()
            )
        })?;
        Ok(Self(arr))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// MAVLink signing timestamp for a wall-clock time.
pub fn timestamp_at(t: SystemTime) -> u64 {
    let since_unix = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let since_2015 = since_unix.saturating_sub(Duration::from_secs(EPOCH_2015_S));
    (since_2015.as_micros() / 10) as u64 & 0xFFFF_FFFF_FFFF
}

fn compute(key: &SigningKey, signed_part: &[u8], link_id: u8, timestamp: u64) -> [u8; 6] {
    let mut h = Sha256::new();
    h.update(key.0);
    h.update(signed_part);
    h.update([link_id]);
    h.update(&timestamp.to_le_bytes()[..6]);
    let digest = h.finalize();
    let mut out = [0u8; 6];
    out.copy_from_slice(&digest[..6]);
    out
}

/// Encode `msg` as a signed MAVLink 2 frame.
pub fn encode_signed(
    header: MavHeader,
    msg: &MavMessage,
    key: &SigningKey,
    link_id: u8,
    timestamp: u64,
) -> RawFrame {
    append_signature(
        encode_v2_flags(header, msg, IFLAG_SIGNED),
        key,
        link_id,
        timestamp,
    )
}

/// Sign an already framed MAVLink 2 frame built with the signed flag (see
/// [`crate::frame::encode_payload_v2`] with [`IFLAG_SIGNED`]).
pub fn append_signature(
    mut frame: RawFrame,
    key: &SigningKey,
    link_id: u8,
    timestamp: u64,
) -> RawFrame {
    let sig = compute(key, &frame.bytes, link_id, timestamp);
    frame.bytes.push(link_id);
    frame.bytes.extend_from_slice(&timestamp.to_le_bytes()[..6]);
    frame.bytes.extend_from_slice(&sig);
    frame
}

/// Outcome of checking one incoming frame's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// Signed with our key, fresh.
    Valid,
    /// No signature; the link's policy decides.
    Unsigned,
    /// Signed, but not with our key (or corrupted).
    BadSignature,
    /// Good signature, but its timestamp does not advance on its stream: a replay.
    Replay,
    /// Good signature on a new stream more than a minute older than the local timestamp: a
    /// replay, or a vehicle whose clock is behind (freshly booted, no GPS time yet).
    TooOld,
}

/// Per-key verifier with the replay state the spec requires: one timestamp per
/// (link id, system, component) stream.
#[derive(Debug)]
pub struct Verifier {
    key: SigningKey,
    streams: HashMap<(u8, u8, u8), u64>,
    newest: u64,
}

impl Verifier {
    pub fn new(key: SigningKey) -> Self {
        Self {
            key,
            streams: HashMap::new(),
            newest: 0,
        }
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The newest valid timestamp received.
    pub fn newest(&self) -> u64 {
        self.newest
    }

    /// Check `frame`; `local_ts` is the local timestamp (the clock, or the newer timestamp the
    /// station already signs with): a new stream more than a minute older is a replay.
    pub fn check(&mut self, frame: &FrameRef<'_>, local_ts: u64) -> SignatureCheck {
        let Some(sig) = frame.signature() else {
            return SignatureCheck::Unsigned;
        };
        if compute(&self.key, frame.signed_part(), sig.link_id, sig.timestamp) != sig.value {
            return SignatureCheck::BadSignature;
        }
        let stream = (sig.link_id, frame.sysid, frame.compid);
        let reference = self.newest.max(local_ts);
        match self.streams.get(&stream) {
            Some(&last) if sig.timestamp <= last => return SignatureCheck::Replay,
            None if sig.timestamp + NEW_STREAM_MAX_AGE < reference => {
                return SignatureCheck::TooOld;
            }
            _ => {}
        }
        self.streams.insert(stream, sig.timestamp);
        self.newest = self.newest.max(sig.timestamp);
        SignatureCheck::Valid
    }
}

/// Signs outgoing frames with timestamps as the MAVLink signing spec wants them: each one at
/// least one above the last sent, never behind the clock, never behind a floor (the value stored
/// before a restart), and raised to the newest valid timestamp received from the vehicle — so a
/// laptop whose clock is minutes behind the vehicle's still signs frames the vehicle accepts
/// (it refuses a new stream more than a minute older than its own timestamp).
#[derive(Debug)]
pub struct Signer {
    key: SigningKey,
    link_id: u8,
    last: u64,
}

impl Signer {
    pub fn new(key: SigningKey, link_id: u8) -> Self {
        Self {
            key,
            link_id,
            last: 0,
        }
    }

    /// Never sign below `floor` (the stored timestamp of a previous run).
    pub fn starting_at(mut self, floor: u64) -> Self {
        self.last = self.last.max(floor);
        self
    }

    /// The next timestamp, taken.
    pub fn next_timestamp(&mut self, now_ts: u64) -> u64 {
        self.last = (self.last + 1).max(now_ts) & 0xFFFF_FFFF_FFFF;
        self.last
    }

    pub fn sign(&mut self, header: MavHeader, msg: &MavMessage, now_ts: u64) -> RawFrame {
        let ts = self.next_timestamp(now_ts);
        encode_signed(header, msg, &self.key, self.link_id, ts)
    }

    /// A validly signed frame came in with this timestamp: never sign below it.
    pub fn raise(&mut self, incoming_ts: u64) {
        self.last = self.last.max(incoming_ts);
    }

    /// The newest timestamp used (or raised to).
    pub fn last(&self) -> u64 {
        self.last
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ardupilotmega as apm;
    use crate::frame::{FrameParser, Parsed};

    fn gcs_heartbeat() -> MavMessage {
        MavMessage::HEARTBEAT(apm::HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: apm::MavType::MAV_TYPE_GCS,
            autopilot: apm::MavAutopilot::MAV_AUTOPILOT_INVALID,
            base_mode: apm::MavModeFlag::empty(),
            system_status: apm::MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        })
    }

    /// The vector pinned in issue 2 (key 32×0x2A, link 0, timestamp 34715520000000); the peer
    /// test `signing_vector_matches_pymavlink` checks the same bytes against pymavlink.
    pub const PINNED_HEX: &str =
        "fd09010000ffbe000000000000000608000403dab00000e03cd6921f01953adf5981";

    #[test]
    fn pinned_vector() {
        let f = encode_signed(
            MavHeader {
                system_id: 255,
                component_id: 190,
                sequence: 0,
            },
            &gcs_heartbeat(),
            &SigningKey::new([0x2A; 32]),
            0,
            34_715_520_000_000,
        );
        assert_eq!(hex::encode(&f.bytes), PINNED_HEX);
    }

    #[test]
    fn replay_and_wrong_key_are_refused() {
        let key = SigningKey::new([7; 32]);
        let hdr = MavHeader {
            system_id: 1,
            component_id: 1,
            sequence: 0,
        };
        let now = timestamp_at(SystemTime::now());
        let f1 = encode_signed(hdr, &gcs_heartbeat(), &key, 0, now);
        let f2 = encode_signed(hdr, &gcs_heartbeat(), &key, 0, now + 5);
        let mut v = Verifier::new(key.clone());
        assert_eq!(v.check(&f1.as_ref(), now), SignatureCheck::Valid);
        assert_eq!(
            v.check(&f1.as_ref(), now),
            SignatureCheck::Replay,
            "same timestamp twice"
        );
        assert_eq!(v.check(&f2.as_ref(), now), SignatureCheck::Valid);
        let old = encode_signed(
            MavHeader {
                system_id: 2,
                ..hdr
            },
            &gcs_heartbeat(),
            &key,
            0,
            now - 61 * 100_000,
        );
        assert_eq!(
            v.check(&old.as_ref(), now),
            SignatureCheck::TooOld,
            "new stream a minute in the past"
        );
        let mut other = Verifier::new(SigningKey::new([8; 32]));
        assert_eq!(other.check(&f2.as_ref(), now), SignatureCheck::BadSignature);
        let unsigned = crate::frame::encode_v2(hdr, &gcs_heartbeat());
        assert_eq!(
            other.check(&unsigned.as_ref(), now),
            SignatureCheck::Unsigned
        );
    }

    #[test]
    fn signed_frames_parse_and_flipped_bytes_fail() {
        let key = SigningKey::new([1; 32]);
        let f = encode_signed(
            MavHeader {
                system_id: 1,
                component_id: 1,
                sequence: 3,
            },
            &gcs_heartbeat(),
            &key,
            2,
            1000,
        );
        let Parsed::Frame(got) = FrameParser::new().push(&f.bytes).remove(0) else {
            panic!()
        };
        assert_eq!(got.signature().unwrap().link_id, 2);
        let mut tampered = got.clone();
        let n = tampered.bytes.len();
        tampered.bytes[n - 1] ^= 1;
        assert_eq!(
            Verifier::new(key).check(&tampered.as_ref(), 1000),
            SignatureCheck::BadSignature
        );
    }

    #[test]
    fn timestamps_never_go_back_and_follow_the_vehicle() {
        let mut s = Signer::new(SigningKey::new([3; 32]), 0).starting_at(5_000);
        // The clock is behind the stored floor: the floor wins, then +1 per frame.
        assert_eq!(s.next_timestamp(100), 5_001);
        assert_eq!(s.next_timestamp(100), 5_002);
        // The clock jumps back: still increasing.
        assert_eq!(s.next_timestamp(1), 5_003);
        // The vehicle's clock is ahead: its newest valid timestamp raises ours.
        s.raise(60_000_000);
        assert_eq!(s.next_timestamp(5_004), 60_000_001);
        // A stale one never lowers it.
        s.raise(10);
        assert_eq!(s.next_timestamp(0), 60_000_002);
    }

    #[test]
    fn key_debug_is_redacted() {
        assert!(!format!("{:?}", SigningKey::new([0x2A; 32])).contains("42"));
        assert!(SigningKey::from_hex("zz").is_err());
        assert!(SigningKey::from_hex(&"2a".repeat(31)).is_err());
    }
}
