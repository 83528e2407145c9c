//! HCL: the in-memory parsers (the fast parser against the hcl-edit path it
//! must agree with, and the `.tf.json` reader), then a whole load and
//! evaluation of the input as the root module's `main.tf`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parity::sources::terraform::{self, fastparse, json, parse};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One root directory per process, `main.tf` rewritten for each input.
fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("parity-fuzz-hcl")
            .tempdir()
            .expect("a temporary directory");
        // Kept for the life of the process.
        dir.keep()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("main.tf");

    // The fast parser is either silent or builds exactly what the hcl-edit
    // path builds (the invariant of src/sources/terraform/fastparse/tests.rs).
    let stripped = parse::strip_bom(text);
    if !stripped.contains('\0') {
        if let Some(fast) = fastparse::parse(stripped) {
            assert!(
                hcl::edit::parser::parse_body(stripped).is_ok(),
                "fast path accepts what hcl-edit rejects"
            );
            match parse::parse_hcl_with(stripped, path, "main.tf", false) {
                Ok(slow) => assert_eq!(fast, slow.body, "fast and hcl-edit paths differ"),
                Err(e) => panic!("fast path accepts what parse_hcl rejects: {e}"),
            }
        }
    }
    let _ = parse::parse_hcl(text, path, "main.tf").map_err(|e| e.to_string());
    let _ = json::parse_tf_json(text, Path::new("main.tf.json"), "main.tf.json")
        .map_err(|e| e.to_string());

    // Load and evaluate it as a root module.
    let root = root();
    if std::fs::write(root.join("main.tf"), data).is_err() {
        return;
    }
    let opts = terraform::Options {
        environment: "fuzz".into(),
        root: root.clone(),
        base: root.clone(),
        var_files: Vec::new(),
        vars: Default::default(),
        var_origins: Default::default(),
        workspace: "default".into(),
        data: None,
        identity: Default::default(),
        facts: None,
    };
    match terraform::load(&opts) {
        Ok(snapshot) => drop(snapshot),
        Err(e) => drop(e.to_string()),
    }
});
