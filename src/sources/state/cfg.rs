//! The `state = { ... }` table of an environment in parity.toml: the state
//! and plan source's part of the configuration, read and validated beside
//! the code that uses it (docs/configuration.md is the user's reference).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::toml::{fields, resolve, string, strings, table, Field, Sink, Spanned};
use crate::sources::Table;

/// `state = { ... }`: the state / plan source.
#[derive(Debug, Clone, PartialEq)]
pub struct StateTable {
    /// From `path = "..."` or `paths = [...]`; `s3://` (any `scheme://`) URLs
    /// are kept as written, local paths are resolved against the config's dir.
    pub paths: Vec<String>,
    /// A `terraform show -json` plan file (resolved).
    pub plan: Option<PathBuf>,
}

impl Table for StateTable {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

pub(crate) const KEYS: &[&str] = &["path", "paths", "plan"];

#[derive(Debug)]
struct RawState {
    at: usize,
    key: String,
    path: Option<Spanned<String>>,
    paths: Option<Spanned<Vec<Spanned<String>>>>,
    plan: Option<Spanned<String>>,
}

/// Stage 1 and 2 of the table: its keys read, then validated (`path` and
/// `paths` exclusive, at least one input). Problems go to `sink`.
pub(crate) fn read(sink: &mut Sink, f: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
    let raw = read_raw(sink, f)?;
    Some(Arc::new(validate(raw, dir, sink)))
}

fn read_raw(sink: &mut Sink, f: &Field) -> Option<RawState> {
    let (t, at) = table(sink, f)?;
    let mut st = RawState {
        at,
        key: f.key.clone(),
        path: None,
        paths: None,
        plan: None,
    };
    for g in fields(sink, t, &f.key, at, Some(KEYS)) {
        match g.name {
            "path" => st.path = string(sink, &g),
            "paths" => st.paths = strings(sink, &g),
            "plan" => st.plan = string(sink, &g),
            _ => {}
        }
    }
    Some(st)
}

fn validate(st: RawState, dir: &Path, sink: &mut Sink) -> StateTable {
    let mut paths = Vec::new();
    match (&st.path, &st.paths) {
        (Some(_), Some(list)) => sink.report(
            list.at,
            &list.key,
            "`path` and `paths` cannot both be set; use `paths` for several state files",
        ),
        (None, None) if st.plan.is_none() => sink.report(
            st.at,
            &st.key,
            "a state source needs `path`, `paths` or `plan`",
        ),
        (None, Some(list)) if list.value.is_empty() => sink.report(
            list.at,
            &list.key,
            "`paths` must list at least one state file",
        ),
        _ => {}
    }
    let given = st
        .path
        .iter()
        .chain(st.paths.iter().flat_map(|l| l.value.iter()));
    for p in given {
        if p.value.trim().is_empty() {
            sink.report(p.at, &p.key, "a state path cannot be empty");
        } else if p.value.contains("://") {
            paths.push(p.value.clone());
        } else {
            paths.push(resolve(dir, &p.value).to_string_lossy().into_owned());
        }
    }
    StateTable {
        paths,
        // A URL (`s3://...`) is kept as written, like the URLs in `paths`.
        plan: st.plan.map(|p| {
            if p.value.contains("://") {
                PathBuf::from(&p.value)
            } else {
                resolve(dir, &p.value)
            }
        }),
    }
}
