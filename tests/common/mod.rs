//! Shared helpers for integration tests: a temporary project tree and the
//! `parity` binary.

#![allow(dead_code)]

pub mod live;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Write `files` (path, content) under a fresh temporary directory.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write");
    }
    dir
}

/// `parity` run in `dir`.
pub fn parity(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("parity").expect("binary");
    // No colour, and no width bound from the caller's terminal settings.
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS");
    cmd
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn shop() -> PathBuf {
    repo().join("fixtures/shop")
}
