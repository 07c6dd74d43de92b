//! Raw bytes into the ingest path: framing, signature check, decoding, telemetry translation,
//! tlog parsing. Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_link::frame::{FrameParser, Parsed};
use vigie_link::signing::{SigningKey, Verifier};
use vigie_link::telemetry::VehicleTelemetry;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(1, |b| usize::from(*b % 64) + 1);
    let mut parser = FrameParser::new();
    let mut verifier = Verifier::new(SigningKey::new([0x2A; 32]));
    let mut tel = VehicleTelemetry::new(1, 1);
    for chunk in data.chunks(split) {
        for p in parser.push(chunk) {
            if let Parsed::Frame(f) = p {
                let _ = verifier.check(&f, 0);
                let _ = vigie_link::tlog::redact(&f);
                if let Ok(m) = f.decode() {
                    tel.apply(&m, std::time::SystemTime::UNIX_EPOCH);
                }
            }
        }
    }
    let _ = vigie_link::tlog::parse(data);
});
