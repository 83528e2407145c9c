//! Terraform state JSON (raw state and `terraform show -json`, through the
//! streaming reader `parity` reads state files with) and plan JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parity::sources::state;

fuzz_target!(|data: &[u8]| {
    match state::snapshot_from_bytes(data, "fuzz.tfstate", "fuzz") {
        Ok(snapshot) => drop(snapshot),
        Err(e) => drop(e.to_string()),
    }
    match state::plan_snapshot_from_bytes(data, "fuzz.plan.json", "fuzz") {
        Ok(snapshot) => drop(snapshot),
        Err(e) => drop(e.to_string()),
    }
});
