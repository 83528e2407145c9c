//! Rule packs (`rules = [...]` in parity.toml): read from a file, merged
//! over the built-in packs, described, and put in an engine that resolves
//! each rule's own resource types and attribute paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parity::rules::{describe, engine::Engine, packs};
use std::path::PathBuf;
use std::sync::OnceLock;

fn pack() -> &'static PathBuf {
    static PACK: OnceLock<PathBuf> = OnceLock::new();
    PACK.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("parity-fuzz-rules")
            .tempdir()
            .expect("a temporary directory")
            .keep()
            .join("pack.toml")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = pack();
    if std::fs::write(path, data).is_err() {
        return;
    }
    let user = match packs::load_file(path) {
        Ok(rules) => rules,
        Err(e) => return drop(e.to_string()),
    };
    for rule in &user {
        drop(describe::show(rule));
    }
    let Ok(builtin) = packs::builtin() else {
        return;
    };
    let rules = packs::merge(builtin, user);
    drop(describe::list(&rules));
    drop(packs::render_markdown(&rules));
    let engine = Engine::new(&rules);
    for rule in &rules {
        for rtype in rule.resources.iter().take(4) {
            for path in rule.attributes.iter().take(4) {
                let _ = engine.resolve(rtype, path);
            }
        }
    }
});
