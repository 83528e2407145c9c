//! parity.toml: the spanned reader, the source tables and validation, and
//! the rendering of every problem with its line and column.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parity::config;
use std::path::PathBuf;
use std::sync::OnceLock;

/// An empty directory the configuration's relative paths resolve against.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("parity-fuzz-config")
            .tempdir()
            .expect("a temporary directory")
            .keep()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = dir().join("parity.toml");
    match config::parse(text, &path) {
        Ok(config) => drop(config),
        Err(e) => drop(e.to_string()),
    }
});
