//! The `pulumi = { ... }` table of an environment in parity.toml: the Pulumi
//! source's part of the configuration, read and validated beside the code
//! that uses it (docs/pulumi.md and docs/configuration.md are the user's
//! reference).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::toml::{fields, join_key, resolve, string, table, Field, Sink};
use crate::sources::Table;

/// `pulumi = { stack-export = "...", config = "...", preview = "..." }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PulumiTable {
    /// The JSON of `pulumi stack export` (resolved; exists).
    pub stack_export: PathBuf,
    /// The stack's configuration, `Pulumi.<stack>.yaml` (resolved; exists).
    pub config: Option<PathBuf>,
    /// The JSON of `pulumi preview --json` (resolved; exists), for
    /// `--source plan`.
    pub preview: Option<PathBuf>,
}

impl Table for PulumiTable {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

pub(crate) const KEYS: &[&str] = &["stack-export", "config", "preview"];

/// Stage 1 and 2 of the table: its keys read (unknown keys, wrong types),
/// then validated (the files must exist). Problems go to `sink`; `None`
/// when the value is not a table at all.
pub(crate) fn read(sink: &mut Sink, f: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
    let (t, at) = table(sink, f)?;
    let mut out = PulumiTable::default();
    let mut export = None;
    for g in fields(sink, t, &f.key, at, Some(KEYS)) {
        match g.name {
            "stack-export" => export = string(sink, &g),
            "config" => {
                if let Some(p) = string(sink, &g) {
                    out.config = existing_file(sink, dir, &p.value, p.at, &p.key);
                }
            }
            "preview" => {
                if let Some(p) = string(sink, &g) {
                    out.preview = existing_file(sink, dir, &p.value, p.at, &p.key);
                }
            }
            _ => {}
        }
    }
    match export {
        Some(e) => {
            if let Some(path) = existing_file(sink, dir, &e.value, e.at, &e.key) {
                out.stack_export = path;
            }
        }
        None => sink.report(
            at,
            &join_key(&f.key, "stack-export"),
            "missing required key `stack-export` (the JSON of `pulumi stack export`)",
        ),
    }
    Some(Arc::new(out))
}

/// `p` joined to `dir`, when it names a file; otherwise a problem.
fn existing_file(sink: &mut Sink, dir: &Path, p: &str, at: usize, key: &str) -> Option<PathBuf> {
    let resolved = resolve(dir, p);
    if p.trim().is_empty() {
        sink.report(at, key, "a path cannot be empty");
    } else if !resolved.exists() {
        sink.report(
            at,
            key,
            format!("file `{}` does not exist", resolved.display()),
        );
    } else if resolved.is_dir() {
        sink.report(
            at,
            key,
            format!("`{}` is a directory, not a file", resolved.display()),
        );
    } else {
        return Some(resolved);
    }
    None
}
