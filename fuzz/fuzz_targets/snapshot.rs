//! Snapshot files (`parity snapshot`): read, and what a read gives is
//! written and read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parity::sources::snapshot;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match snapshot::from_json(text, "fuzz.json") {
        Ok((snap, identity)) => {
            let written = snapshot::to_json(&snap, &identity);
            if let Err(e) = snapshot::from_json(&written, "written.json") {
                panic!("a snapshot parity wrote does not read back: {e}");
            }
        }
        Err(e) => drop(e.to_string()),
    }
});
