//! `exclude` blocks: `exclude { if = ..., actions = [...],
//! exclude_dependencies = ... }`, merged across includes (the child's
//! block wins, as for `skip`). A unit whose `if` is true for an action
//! parity stands for (`plan` or `apply`: `"all"`, `"all_except_output"`,
//! `"plan"`, `"apply"`) is excluded from the run, as `terragrunt run
//! --all plan` excludes it; with `exclude_dependencies = true` the units
//! its `dependency` blocks and `dependencies { paths }` name are excluded
//! too.

use std::path::{Path, PathBuf};

use super::{Eval, R};
use crate::model::Value;
use crate::sources::terraform::eval::EvalErr;
use crate::sources::terraform::{files, parse};
use crate::sources::terragrunt::merge::Strategy;
use crate::sources::terragrunt::{Run, TgError};

/// The actions that stand for what parity compares (what `plan` and
/// `apply` would do).
const ACTIONS: &[&str] = &["all", "all_except_output", "plan", "apply"];

/// A unit excluded by its `exclude` block.
#[derive(Debug, Clone)]
pub(crate) struct Excluded {
    /// file:line of the block.
    pub(crate) at: String,
    /// The actions it lists, as written.
    pub(crate) actions: Vec<String>,
    /// file:line of `exclude_dependencies = true`, when set.
    pub(crate) dependencies_at: Option<String>,
    /// The unit directories it depends on (`dependency` config paths and
    /// `dependencies { paths }`), when `exclude_dependencies` is set.
    pub(crate) dependencies: Vec<PathBuf>,
}

/// Whether the unit whose configuration is `file` is excluded.
pub(crate) fn exclusion(run: &Run, file: &Path) -> Result<Option<Excluded>, TgError> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let ev = Eval::new(run, dir.clone(), dir);
    ev.build(file, false, &mut Vec::new())?;
    ev.exclude().map_err(|e| TgError::Eval(e.to_string()))
}

impl Eval<'_, '_> {
    /// The last block `kind` of frame `frame` or, failing that, of the
    /// files it merges (the child's wins): its frame and block.
    pub(super) fn merged_block(&self, frame: usize, kind: &str) -> Option<(usize, parse::Block)> {
        let f = self.frame(frame);
        if let Some(b) = f.parsed.file.body.blocks(kind).last() {
            return Some((frame, b.clone()));
        }
        let includes = f.includes.borrow().clone();
        includes
            .iter()
            .filter(|i| i.strategy != Strategy::NoMerge)
            .find_map(|i| self.merged_block(i.frame, kind))
    }

    pub(super) fn exclude(&self) -> R<Option<Excluded>> {
        let Some((frame, block)) = self.merged_block(0, "exclude") else {
            return Ok(None);
        };
        let parsed = self.frame(frame).parsed.clone();
        let at = parsed.at(block.line);
        let required = |name: &str| {
            block.body.attribute(name).ok_or_else(|| {
                EvalErr::Fatal(format!(
                    "{at}: exclude block without `{name}` (Terragrunt requires it)"
                ))
            })
        };
        let cond = required("if")?;
        let actions_attr = required("actions")?;
        let result = self.eval(frame, &cond.expr, cond.line);
        let cond_at = parsed.at(cond.line);
        match self.settle(frame, result, cond.line, "exclude", "exclude.if")? {
            Value::Bool(true) => {}
            Value::Bool(false) | Value::Null => return Ok(None),
            other => {
                self.run.gap(
                    cond_at,
                    format!(
                        "exclude: `if` is not known statically ({}): the unit is read",
                        other.display()
                    ),
                );
                return Ok(None);
            }
        }
        let result = self.eval(frame, &actions_attr.expr, actions_attr.line);
        let actions_at = parsed.at(actions_attr.line);
        let actions = match self.settle(frame, result, actions_attr.line, "exclude", "actions")? {
            Value::List(items) => {
                let mut names = Vec::new();
                for v in &items {
                    match v {
                        Value::String(s) => names.push(s.clone()),
                        other => {
                            self.run.gap(
                                actions_at,
                                format!(
                                    "exclude: an action is not known statically ({}): the unit is read",
                                    other.display()
                                ),
                            );
                            return Ok(None);
                        }
                    }
                }
                names
            }
            other if other.contains_unknown() => {
                self.run.gap(
                    actions_at,
                    format!(
                        "exclude: `actions` is not known statically ({}): the unit is read",
                        other.display()
                    ),
                );
                return Ok(None);
            }
            other => {
                return Err(EvalErr::Fatal(format!(
                    "{actions_at}: exclude: `actions` must be a list of strings, found {}",
                    other.display()
                )))
            }
        };
        if !actions
            .iter()
            .any(|a| ACTIONS.contains(&a.to_ascii_lowercase().as_str()))
        {
            // Excluded from other commands only (`destroy`): plan and
            // apply still run it, so it is compared.
            return Ok(None);
        }
        let mut excluded = Excluded {
            at,
            actions,
            dependencies_at: None,
            dependencies: Vec::new(),
        };
        if let Some(a) = block.body.attribute("exclude_dependencies") {
            let result = self.eval(frame, &a.expr, a.line);
            let deps_at = parsed.at(a.line);
            match self.settle(frame, result, a.line, "exclude", "exclude_dependencies")? {
                Value::Bool(true) => {
                    excluded.dependencies_at = Some(deps_at);
                    excluded.dependencies = self.dependency_dirs()?;
                }
                Value::Bool(false) | Value::Null => {}
                other => self.run.gap(
                    deps_at,
                    format!(
                        "exclude: `exclude_dependencies` is not known statically ({}): its dependencies are read",
                        other.display()
                    ),
                ),
            }
        }
        Ok(Some(excluded))
    }

    /// The units this one depends on: its `dependency` blocks' config
    /// paths and its `dependencies { paths }` (concatenated across the
    /// files it merges, as Terragrunt does), each once.
    fn dependency_dirs(&self) -> R<Vec<PathBuf>> {
        let mut out: Vec<PathBuf> = self.deps()?.values().map(|d| d.path.clone()).collect();
        self.dependencies_paths(0, &mut out)?;
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|p| seen.insert(p.clone()));
        Ok(out)
    }

    fn dependencies_paths(&self, frame: usize, out: &mut Vec<PathBuf>) -> R<()> {
        let f = self.frame(frame);
        for b in f.parsed.file.body.blocks("dependencies") {
            let Some(a) = b.body.attribute("paths") else {
                continue;
            };
            let result = self.eval(frame, &a.expr, a.line);
            match self.settle(frame, result, a.line, "dependencies", "paths")? {
                Value::List(items) => {
                    for v in items.iter() {
                        match v {
                            Value::String(s) => out.push(files::lexical(&self.dir.join(s))),
                            other => self.run.gap(
                                f.parsed.at(a.line),
                                format!("dependencies: a path is not known statically ({}): not excluded", other.display()),
                            ),
                        }
                    }
                }
                other => self.run.gap(
                    f.parsed.at(a.line),
                    format!(
                        "dependencies: `paths` is not known statically ({}): not excluded",
                        other.display()
                    ),
                ),
            }
        }
        let includes = f.includes.borrow().clone();
        for inc in includes {
            if inc.strategy != Strategy::NoMerge {
                self.dependencies_paths(inc.frame, out)?;
            }
        }
        Ok(())
    }
}
