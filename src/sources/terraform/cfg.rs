//! The `terraform = { ... }` table of an environment in parity.toml: the
//! code source's part of the configuration, read and validated beside the
//! code that uses it (docs/configuration.md is the user's reference).

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::toml::{boolean, directory, fields, item_to_value};
use crate::config::toml::{join_key, resolve, string, strings, table, Field, Sink, Spanned};
use crate::sources::Table;

/// `terraform = { ... }`: the code source, a Terraform root module.
#[derive(Debug, Clone, PartialEq)]
pub struct TerraformTable {
    /// The root module directory (resolved; exists).
    pub root: PathBuf,
    /// `.tfvars` / `.tfvars.json` files, in order (resolved; exist).
    pub var_files: Vec<PathBuf>,
    /// Variable values given inline; they win over var files.
    pub vars: crate::model::Map,
    /// Default `"default"`.
    pub workspace: String,
    /// Only this module call (an address such as `module.app`), when set.
    pub module: Option<String>,
    /// Take data sources' attributes from the environment's state, when it
    /// has one (`data-from-state`, default true).
    pub data_from_state: bool,
    /// Read the data sources that are read-only facts of the account
    /// (`aws_availability_zones`, `aws_caller_identity`, `aws_region`,
    /// `aws_partition`, `aws_ami`) live, with the environment's `aws`
    /// table, when the state does not hold them (`data-live`, default
    /// false).
    pub data_live: bool,
}

impl TerraformTable {
    /// What to load for `environment`, locations shown relative to `base`.
    pub fn options(&self, environment: &str, base: &std::path::Path) -> super::Options {
        super::Options {
            environment: environment.to_string(),
            root: self.root.clone(),
            base: base.to_path_buf(),
            var_files: self.var_files.clone(),
            vars: self.vars.clone(),
            // Set in parity.toml's `terraform.vars`.
            var_origins: self
                .vars
                .keys()
                .map(|k| (k.clone(), crate::model::Location::new("parity.toml", None)))
                .collect(),
            workspace: self.workspace.clone(),
            data: None,
            identity: Default::default(),
            facts: None,
        }
    }
}

impl Table for TerraformTable {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

pub(crate) const KEYS: &[&str] = &[
    "root",
    "var-files",
    "vars",
    "workspace",
    "module",
    "data-from-state",
    "data-live",
];

#[derive(Debug)]
struct RawTerraform {
    at: usize,
    key: String,
    root: Option<Spanned<String>>,
    var_files: Vec<Spanned<String>>,
    vars: crate::model::Map,
    workspace: Option<Spanned<String>>,
    module: Option<Spanned<String>>,
    data_from_state: Option<bool>,
    data_live: Option<bool>,
}

/// Stage 1 and 2 of the table: its keys read (unknown keys, wrong types),
/// then validated (the root and var files must exist). Problems go to
/// `sink`; `None` when the value is not a table at all.
pub(crate) fn read(sink: &mut Sink, f: &Field, dir: &std::path::Path) -> Option<Arc<dyn Table>> {
    let raw = read_raw(sink, f)?;
    Some(Arc::new(validate(raw, dir, sink)))
}

fn read_raw(sink: &mut Sink, f: &Field) -> Option<RawTerraform> {
    let (t, at) = table(sink, f)?;
    let mut tf = RawTerraform {
        at,
        key: f.key.clone(),
        root: None,
        var_files: Vec::new(),
        vars: crate::model::Map::new(),
        workspace: None,
        module: None,
        data_from_state: None,
        data_live: None,
    };
    for g in fields(sink, t, &f.key, at, Some(KEYS)) {
        match g.name {
            "root" => tf.root = string(sink, &g),
            "var-files" => tf.var_files = strings(sink, &g).map(|s| s.value).unwrap_or_default(),
            "vars" => {
                if let Some((vars, _)) = table(sink, &g) {
                    tf.vars = vars
                        .iter()
                        .map(|(k, v)| (k.to_string(), item_to_value(v)))
                        .collect();
                }
            }
            "workspace" => tf.workspace = string(sink, &g),
            "module" => tf.module = string(sink, &g),
            "data-from-state" => tf.data_from_state = boolean(sink, &g),
            "data-live" => tf.data_live = boolean(sink, &g),
            _ => {}
        }
    }
    Some(tf)
}

fn validate(tf: RawTerraform, dir: &std::path::Path, sink: &mut Sink) -> TerraformTable {
    let root = match &tf.root {
        Some(root) => directory(sink, root, dir),
        None => {
            sink.report(
                tf.at,
                &join_key(&tf.key, "root"),
                "missing required key `root` (the Terraform root module directory)",
            );
            PathBuf::new()
        }
    };
    let mut var_files = Vec::new();
    for file in &tf.var_files {
        let resolved = resolve(dir, &file.value);
        if !resolved.exists() {
            sink.report(
                file.at,
                &file.key,
                format!("var file `{}` does not exist", resolved.display()),
            );
        } else if resolved.is_dir() {
            sink.report(
                file.at,
                &file.key,
                format!("var file `{}` is a directory", resolved.display()),
            );
        }
        var_files.push(resolved);
    }
    if let Some(ws) = &tf.workspace {
        if ws.value.trim().is_empty() {
            sink.report(ws.at, &ws.key, "a workspace name cannot be empty");
        }
    }
    TerraformTable {
        root,
        var_files,
        vars: tf.vars,
        workspace: tf
            .workspace
            .map_or_else(|| "default".to_string(), |s| s.value),
        module: tf.module.map(|s| s.value),
        data_from_state: tf.data_from_state.unwrap_or(true),
        data_live: tf.data_live.unwrap_or(false),
    }
}
