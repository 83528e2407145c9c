//! The `cloudformation = { ... }` table of an environment in parity.toml:
//! the CloudFormation code source's part of the configuration, read and
//! validated beside the code that uses it (docs/configuration.md and
//! docs/cloudformation.md are the user's reference).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::toml::{
    check_region, existing_file, fields, join_key, string, table, Field, Sink,
};
use crate::sources::Table;

/// `cloudformation = { template = "...", parameters = "...", ... }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CloudFormationTable {
    /// The template, JSON or YAML (resolved; exists).
    pub template: PathBuf,
    /// The environment's parameter file (resolved; exists), if any.
    pub parameters: Option<PathBuf>,
    /// `AWS::StackName`; default `<environment>`.
    pub stack_name: Option<String>,
    /// `AWS::Region`; default the environment's `region`.
    pub region: Option<String>,
    /// `AWS::AccountId`; default the environment's `account-id`.
    pub account: Option<String>,
}

impl Table for CloudFormationTable {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

pub(crate) const KEYS: &[&str] = &["template", "parameters", "stack-name", "region", "account"];

/// Stage 1 and 2 of the table: its keys read (unknown keys, wrong types),
/// then validated (the files must exist, the account be 12 digits).
/// Problems go to `sink`; `None` when the value is not a table at all.
pub(crate) fn read(sink: &mut Sink, f: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
    let (t, at) = table(sink, f)?;
    let mut out = CloudFormationTable::default();
    let mut template = None;
    for g in fields(sink, t, &f.key, at, Some(KEYS)) {
        match g.name {
            "template" => template = string(sink, &g),
            "parameters" => {
                if let Some(p) = string(sink, &g) {
                    out.parameters = existing_file(sink, dir, &p.value, p.at, &p.key);
                }
            }
            "stack-name" => {
                if let Some(s) = string(sink, &g) {
                    if s.value.trim().is_empty() {
                        sink.report(s.at, &s.key, "a stack name cannot be empty");
                    }
                    out.stack_name = Some(s.value);
                }
            }
            "region" => {
                if let Some(r) = string(sink, &g) {
                    check_region(sink, &r);
                    out.region = Some(r.value);
                }
            }
            "account" => {
                if g.item.as_integer().is_some() {
                    sink.report(
                        g.value_at(),
                        &g.key,
                        "expected a string of 12 digits, found an integer (quote it so that leading zeros survive)",
                    );
                } else if let Some(a) = string(sink, &g) {
                    if a.value.len() != 12 || !a.value.bytes().all(|b| b.is_ascii_digit()) {
                        sink.report(
                            a.at,
                            &a.key,
                            format!("`{}` is not an AWS account id (12 digits)", a.value),
                        );
                    }
                    out.account = Some(a.value);
                }
            }
            _ => {}
        }
    }
    match template {
        Some(t) => {
            if let Some(path) = existing_file(sink, dir, &t.value, t.at, &t.key) {
                out.template = path;
            }
        }
        None => sink.report(
            at,
            &join_key(&f.key, "template"),
            "missing required key `template` (the CloudFormation template, JSON or YAML)",
        ),
    }
    Some(Arc::new(out))
}
