//! The CLI contract, pinned with trycmd: every case in `tests/cmd/*.toml`
//! runs the `parity` binary and compares its stdout, stderr and exit code
//! with the expectation next to it (`NAME.stdout`, `NAME.stderr`, or inline
//! in the `.toml`). Fixtures the cases read live in `tests/cmd/fixtures/`;
//! the bundled example is `fixtures/shop`.
//!
//! After an intended change of output, regenerate the expectations and
//! review the diff before committing it:
//!
//! ```sh
//! TRYCMD=overwrite cargo test --no-default-features --test cmd
//! ```

#[test]
fn cli_contract() {
    trycmd::TestCases::new()
        .register_bin("parity", trycmd::cargo::cargo_bin!("parity"))
        // Same bytes whatever the caller's environment: no colour, and the
        // log level from the flags (a blank RUST_LOG is ignored).
        .env("NO_COLOR", "1")
        // No width bound from the caller's shell (`--width` cases set one).
        .env("COLUMNS", "")
        .env("RUST_LOG", "")
        // The version is the only part of an output that changes with a
        // release: `parity --version` and SARIF's tool version.
        .insert_var("[VERSION]", env!("CARGO_PKG_VERSION"))
        .expect("a valid variable")
        .case("tests/cmd/*.toml");
}
