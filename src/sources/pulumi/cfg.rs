//! The `pulumi = { ... }` table of an environment in parity.toml: the Pulumi
//! source's part of the configuration, read and validated beside the code
//! that uses it (docs/pulumi.md and docs/configuration.md are the user's
//! reference).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::toml::{existing_file, fields, join_key, resolve, string, table, Field, Sink};
use crate::sources::Table;

/// `pulumi = { stack-export = "...", config = "...", preview = "...",
/// program = "...", stack = "..." }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PulumiTable {
    /// The JSON of `pulumi stack export` (resolved; exists), for
    /// `--source state`.
    pub stack_export: Option<PathBuf>,
    /// The directory of a Pulumi YAML program (resolved; exists), for
    /// `--source code`.
    pub program: Option<PathBuf>,
    /// The stack the program is evaluated for; default the environment's
    /// name.
    pub stack: Option<String>,
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

pub(crate) const KEYS: &[&str] = &["stack-export", "config", "preview", "program", "stack"];

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
            "program" => {
                if let Some(p) = string(sink, &g) {
                    let resolved = resolve(dir, &p.value);
                    if resolved.is_dir() {
                        out.program = Some(resolved);
                    } else {
                        sink.report(
                            p.at,
                            &p.key,
                            format!(
                                "`{}` is not a directory (the directory of Pulumi.yaml)",
                                resolved.display()
                            ),
                        );
                    }
                }
            }
            "stack" => {
                if let Some(st) = string(sink, &g) {
                    if st.value.trim().is_empty() {
                        sink.report(st.at, &st.key, "a stack name cannot be empty");
                    }
                    out.stack = Some(st.value);
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
        Some(e) => out.stack_export = existing_file(sink, dir, &e.value, e.at, &e.key),
        None if out.program.is_some() => {}
        None => sink.report(
            at,
            &join_key(&f.key, "stack-export"),
            "missing required key `stack-export` (the JSON of `pulumi stack export`), or `program` (the directory of a Pulumi YAML program)",
        ),
    }
    Some(Arc::new(out))
}
