//! The blocks of a unit's configuration beside its locals and inputs:
//! `terraform { source }` and its `extra_arguments`, `generate`, `skip`,
//! and the blocks and attributes parity does not read (listed in
//! coverage). Each is merged across includes as Terragrunt does: the
//! child's wins, by label for labelled blocks.

use std::collections::BTreeMap;

use hcl::expr::Expression;

use super::{Eval, R};
use crate::model::{Location, Value};
use crate::sources::terraform::parse;
use crate::sources::terragrunt::merge::Strategy;

/// What a unit's module is.
#[derive(Debug)]
pub(crate) enum Source {
    /// No `terraform { source }`: the unit's own directory.
    Here,
    /// The source as written, and the file:line that set it.
    At(String, Location),
    /// Not known statically (a function parity does not run): a gap.
    Unknown(String),
}

/// A `generate` block that writes Terraform code into the module.
#[derive(Debug)]
pub(crate) struct Generate {
    pub(crate) label: String,
    /// The file's name in the module directory.
    pub(crate) path: String,
    pub(crate) contents: String,
    /// `overwrite`, `overwrite_terragrunt`, `skip` or `error`.
    pub(crate) if_exists: String,
    /// Where the block is.
    pub(crate) at: Location,
}

/// An `extra_arguments` block whose `commands` include `plan` or `apply`:
/// the var files it passes.
#[derive(Debug)]
pub(crate) struct ExtraArguments {
    pub(crate) label: String,
    pub(crate) required_var_files: Vec<String>,
    pub(crate) optional_var_files: Vec<String>,
    pub(crate) at: Location,
}

impl<'r, 'o> Eval<'r, 'o> {
    /// A top-level attribute of the unit or, failing that, of the files it
    /// merges (the child wins): its frame and line.
    pub(super) fn merged_attr(
        &self,
        frame: usize,
        find: &dyn Fn(&parse::Body) -> Option<(Expression, u32)>,
    ) -> Option<(usize, Expression, u32)> {
        let f = self.frame(frame);
        if let Some((e, line)) = find(&f.parsed.file.body) {
            return Some((frame, e, line));
        }
        let includes = f.includes.borrow().clone();
        includes
            .iter()
            .filter(|i| i.strategy != Strategy::NoMerge)
            .find_map(|i| self.merged_attr(i.frame, find))
    }

    /// The `generate` blocks of frame `frame` and of the files it merges,
    /// by label (the first one seen, the child's, wins). Those that write
    /// anything but Terraform code beside the module, or whose path or
    /// contents are not known statically, are listed in coverage.
    pub(super) fn generates(&self, frame: usize, out: &mut BTreeMap<String, Generate>) -> R<()> {
        let f = self.frame(frame);
        for b in f.parsed.file.body.blocks("generate") {
            let label = b.labels.first().cloned().unwrap_or_default();
            if out.contains_key(&label) {
                continue;
            }
            let at = f.parsed.at(b.line);
            let text = |name: &str| -> R<Option<Value>> {
                match b.body.attribute(name) {
                    Some(a) => {
                        let result = self.eval(frame, &a.expr, a.line);
                        let what = format!("generate `{label}` {name}");
                        self.settle(
                            frame,
                            result,
                            a.line,
                            &what,
                            &format!("generate.{label}.{name}"),
                        )
                        .map(Some)
                    }
                    None => Ok(None),
                }
            };
            if let Some(Value::Bool(true)) = text("disable")? {
                continue;
            }
            let (Some(Value::String(path)), Some(Value::String(contents))) =
                (text("path")?, text("contents")?)
            else {
                self.run.gap(
                    at,
                    format!("generate block `{label}`: its path or contents are not known statically: the file it writes is not read"),
                );
                continue;
            };
            let terraform = path.ends_with(".tf") || path.ends_with(".tf.json");
            if !terraform || path.contains('/') || path.contains('\\') {
                self.run.gap(
                    at,
                    format!("generate block `{label}` writes `{path}`, not Terraform code of the module: not read"),
                );
                continue;
            }
            let if_exists = match text("if_exists")? {
                Some(Value::String(s)) => s,
                _ => "overwrite".to_string(),
            };
            out.insert(
                label.clone(),
                Generate {
                    label,
                    path,
                    contents,
                    if_exists,
                    at: Location::new(f.parsed.shown(), Some(b.line)),
                },
            );
        }
        let includes = f.includes.borrow().clone();
        for inc in includes {
            if inc.strategy != Strategy::NoMerge {
                self.generates(inc.frame, out)?;
            }
        }
        Ok(())
    }

    /// The `extra_arguments` blocks of frame `frame`'s `terraform` blocks
    /// and of the files it merges, by label (the child's wins), for those
    /// that apply to `plan` or `apply`. `arguments` (raw command-line
    /// arguments) are listed in coverage.
    pub(super) fn extra_arguments(
        &self,
        frame: usize,
        out: &mut BTreeMap<String, ExtraArguments>,
    ) -> R<()> {
        let f = self.frame(frame);
        let blocks = f
            .parsed
            .file
            .body
            .blocks("terraform")
            .flat_map(|t| t.body.blocks("extra_arguments"));
        for b in blocks {
            let label = b.labels.first().cloned().unwrap_or_default();
            if out.contains_key(&label) {
                continue;
            }
            let at = f.parsed.at(b.line);
            let value = |name: &str| -> R<Option<Value>> {
                match b.body.attribute(name) {
                    Some(a) => {
                        let result = self.eval(frame, &a.expr, a.line);
                        let what = format!("extra_arguments `{label}` {name}");
                        let text = format!("extra_arguments.{label}.{name}");
                        self.settle(frame, result, a.line, &what, &text).map(Some)
                    }
                    None => Ok(None),
                }
            };
            let commands = value("commands")?;
            let applies = match &commands {
                Some(Value::List(c)) => c
                    .iter()
                    .any(|c| matches!(c.as_str(), Some("plan" | "apply"))),
                // Unknown: as if it did, and said.
                _ => true,
            };
            if !applies {
                continue;
            }
            if b.body.attribute("arguments").is_some() {
                self.run.gap(
                    at.clone(),
                    format!("extra_arguments `{label}`: `arguments` are not read (command-line arguments such as -var are not applied)"),
                );
            }
            let files = |name: &str| -> R<Vec<String>> {
                Ok(match value(name)? {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::List(items)) if items.iter().all(|i| i.as_str().is_some()) => items
                        .iter()
                        .filter_map(|i| i.as_str().map(String::from))
                        .collect(),
                    Some(_) => {
                        self.run.gap(
                            at.clone(),
                            format!("extra_arguments `{label}`: {name} are not known statically: not applied"),
                        );
                        Vec::new()
                    }
                })
            };
            let required_var_files = files("required_var_files")?;
            let optional_var_files = files("optional_var_files")?;
            out.insert(
                label.clone(),
                ExtraArguments {
                    label,
                    required_var_files,
                    optional_var_files,
                    at: Location::new(f.parsed.shown(), Some(b.line)),
                },
            );
        }
        let includes = f.includes.borrow().clone();
        for inc in includes {
            if inc.strategy != Strategy::NoMerge {
                self.extra_arguments(inc.frame, out)?;
            }
        }
        Ok(())
    }

    pub(super) fn skip(&self) -> R<Option<u32>> {
        let find = |b: &parse::Body| b.attribute("skip").map(|a| (a.expr.clone(), a.line));
        let Some((frame, expr, line)) = self.merged_attr(0, &find) else {
            return Ok(None);
        };
        let result = self.eval(frame, &expr, line);
        match self.settle(frame, result, line, "skip", "skip")? {
            Value::Bool(true) => Ok(Some(line)),
            Value::Bool(false) | Value::Null => Ok(None),
            other => {
                self.run.gap(
                    self.frame(frame).parsed.at(line),
                    format!(
                        "skip is not known statically ({}): the unit is read",
                        other.display()
                    ),
                );
                Ok(None)
            }
        }
    }

    pub(super) fn source(&self) -> R<Source> {
        let find = |b: &parse::Body| {
            b.blocks("terraform")
                .filter_map(|t| t.body.attribute("source"))
                .last()
                .map(|a| (a.expr.clone(), a.line))
        };
        let Some((frame, expr, line)) = self.merged_attr(0, &find) else {
            return Ok(Source::Here);
        };
        let at = self.frame(frame).parsed.at(line);
        let result = self.eval(frame, &expr, line);
        match self.settle(frame, result, line, "terraform source", "terraform.source")? {
            Value::String(s) => Ok(Source::At(
                s,
                Location::new(self.frame(frame).parsed.shown(), Some(line)),
            )),
            _ => {
                self.run.gap(
                    at.clone(),
                    "the module source is not known statically: the unit's resources are not compared",
                );
                Ok(Source::Unknown(at))
            }
        }
    }

    /// Blocks and attributes parity does not read, listed in coverage
    /// with their line; those that change nothing compared are passed.
    pub(super) fn check_unsupported(&self) {
        const READ_BLOCKS: &[&str] = &[
            "locals",
            "include",
            "dependency",
            "terraform",
            "generate",
            "exclude",
        ];
        // Blocks and attributes that describe how Terragrunt runs, not
        // what the module creates.
        const PASSED_BLOCKS: &[&str] = &["remote_state", "dependencies", "errors", "catalog"];
        const READ_ATTRS: &[&str] = &["inputs", "skip"];
        const PASSED_ATTRS: &[&str] = &[
            "prevent_destroy",
            "iam_role",
            "iam_assume_role_duration",
            "iam_assume_role_session_name",
            "iam_web_identity_token",
            "download_dir",
            "terraform_binary",
            "terraform_version_constraint",
            "terragrunt_version_constraint",
            "retryable_errors",
            "retry_max_attempts",
            "retry_sleep_interval_sec",
        ];
        let frames = self.frames.borrow().clone();
        for f in frames {
            let body = &f.parsed.file.body;
            for b in &body.blocks {
                let at = f.parsed.at(b.line);
                if b.kind == "terraform" {
                    // Read: source, extra_arguments; hooks describe how
                    // Terragrunt runs, not what the module creates.
                } else if !READ_BLOCKS.contains(&b.kind.as_str())
                    && !PASSED_BLOCKS.contains(&b.kind.as_str())
                {
                    self.run
                        .gap(at, format!("block `{}` is not supported: not read", b.kind));
                }
            }
            for a in &body.attributes {
                if !READ_ATTRS.contains(&a.name.as_str())
                    && !PASSED_ATTRS.contains(&a.name.as_str())
                {
                    self.run.gap(
                        f.parsed.at(a.line),
                        format!("attribute `{}` is not supported: not read", a.name),
                    );
                }
            }
        }
    }
}
