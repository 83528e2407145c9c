//! The `terragrunt = { ... }` table of an environment in parity.toml: the
//! Terragrunt code source's part of the configuration, read and validated
//! beside the code that uses it (docs/configuration.md is the user's
//! reference).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::toml::{directory, fields, item_type, join_key, string, table, Field, Sink};
use crate::sources::Table;

/// `terragrunt = { root = "live/prod", env = { ENVIRONMENT = "production" } }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TerragruntTable {
    /// The directory whose units make up the environment (resolved;
    /// exists). It may itself be a unit.
    pub root: PathBuf,
    /// What `get_env(NAME)` returns; the process's environment is never read.
    pub env: BTreeMap<String, String>,
    /// A directory of state files, `<states>/<unit path>/terraform.tfstate`
    /// (resolved; exists): what `dependency` outputs are read from.
    pub states: Option<PathBuf>,
}

impl Table for TerragruntTable {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

pub(crate) const KEYS: &[&str] = &["root", "env", "states"];

/// Read and validate the table; problems go to `sink` with their line.
pub(crate) fn read(sink: &mut Sink, f: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
    let (t, at) = table(sink, f)?;
    let mut out = TerragruntTable::default();
    let mut root = None;
    for g in fields(sink, t, &f.key, at, Some(KEYS)) {
        match g.name {
            "root" => root = string(sink, &g),
            "states" => {
                if let Some(s) = string(sink, &g) {
                    out.states = Some(directory(sink, &s, dir));
                }
            }
            "env" => {
                let Some((vars, vat)) = table(sink, &g) else {
                    continue;
                };
                for h in fields(sink, vars, &g.key, vat, None) {
                    match h.item.as_str() {
                        Some(v) => {
                            out.env.insert(h.name.to_string(), v.to_string());
                        }
                        None => sink.report(
                            h.value_at(),
                            &h.key,
                            format!(
                                "expected a string (environment variables are strings), found {}",
                                item_type(h.item)
                            ),
                        ),
                    }
                }
            }
            _ => {}
        }
    }
    match root {
        Some(root) => out.root = directory(sink, &root, dir),
        None => sink.report(
            at,
            &join_key(&f.key, "root"),
            "missing required key `root` (the directory of the environment's Terragrunt units)",
        ),
    }
    Some(Arc::new(out))
}
