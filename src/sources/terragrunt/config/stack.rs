//! Terragrunt stacks: `terragrunt.stack.hcl` with `unit` and `stack`
//! blocks, and the `values` a generated unit reads.
//!
//! `terragrunt stack generate` copies each `unit` block's `source` into
//! `<stack dir>/.terragrunt-stack/<path>` (`<stack dir>/<path>` with
//! `no_dot_terragrunt_stack = true`) and writes its `values` there as
//! `terragrunt.values.hcl`; a `stack` block's source (holding a
//! `terragrunt.stack.hcl`) is copied the same way and generated in turn.
//! parity reads the generated units as any other (the tree walk enters
//! `.terragrunt-stack`), their `values.*` from `terragrunt.values.hcl`. A
//! `unit` not generated whose `source` is a local directory is read from
//! there as if generated (`Run::check_stacks`), and so is a nested `stack`
//! whose `source` is a local directory with a `terragrunt.stack.hcl` (its
//! blocks evaluated with the parent block's `values`); other blocks not
//! generated are listed in coverage.

use std::path::{Path, PathBuf};

use super::{Eval, R};
use crate::model::Value;
use crate::sources::terraform::eval::EvalErr;
use crate::sources::terraform::files;
use crate::sources::terragrunt::{Run, TgError};

/// The file of a stack.
pub const STACK_FILE: &str = "terragrunt.stack.hcl";
/// The file of a generated unit's values.
pub const VALUES_FILE: &str = "terragrunt.values.hcl";
/// Where a stack's blocks are generated.
pub const STACK_DIR: &str = ".terragrunt-stack";

/// A `unit` or `stack` block of a stack file.
#[derive(Debug)]
pub(crate) struct Entry {
    /// `unit` or `stack`.
    pub(crate) kind: String,
    pub(crate) name: String,
    /// Where Terragrunt generates it.
    pub(crate) generated: PathBuf,
    /// file:line of the block.
    pub(crate) at: String,
    /// Its `source` when known statically.
    pub(crate) source: Option<String>,
    /// Its `values` (an empty map without them).
    pub(crate) values: Value,
}

/// The `unit` and `stack` blocks of the stack file `file`, with where each
/// is generated. A block without `path` is an error at its line, as in
/// Terragrunt; one whose `path` is not known statically is listed.
pub(crate) fn entries(run: &Run, file: &Path) -> Result<Vec<Entry>, TgError> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let ev = Eval::new(run, dir.clone(), dir.clone());
    ev.build(file, false, &mut Vec::new())?;
    let parsed = ev.frame(0).parsed.clone();
    let mut out = Vec::new();
    for block in parsed
        .file
        .body
        .blocks
        .iter()
        .filter(|b| b.kind == "unit" || b.kind == "stack")
    {
        let at = parsed.at(block.line);
        let name = block.labels.first().cloned().unwrap_or_default();
        let Some(path) = block.body.attribute("path") else {
            return Err(TgError::Eval(format!(
                "{at}: {} `{name}` has no `path`",
                block.kind
            )));
        };
        let result = ev.eval(0, &path.expr, path.line);
        let path = match ev.settle(0, result, path.line, &block.kind, "path") {
            Ok(Value::String(p)) => p,
            Ok(other) => {
                run.gap(
                    at,
                    format!(
                        "{} `{name}`: its path is not known statically ({}): not read",
                        block.kind,
                        other.display()
                    ),
                );
                continue;
            }
            Err(e) => return Err(TgError::Eval(e.to_string())),
        };
        let no_dot = match block.body.attribute("no_dot_terragrunt_stack") {
            None => false,
            Some(a) => matches!(ev.eval(0, &a.expr, a.line), Ok(Value::Bool(true))),
        };
        let generated = if no_dot {
            files::lexical(&dir.join(&path))
        } else {
            files::lexical(&dir.join(STACK_DIR).join(&path))
        };
        let source = match block.body.attribute("source") {
            Some(a) => match ev.eval(0, &a.expr, a.line) {
                Ok(Value::String(s)) => Some(s),
                _ => None,
            },
            None => None,
        };
        let values = match block.body.attribute("values") {
            Some(a) => {
                let result = ev.eval(0, &a.expr, a.line);
                ev.settle(0, result, a.line, &block.kind, "values")
                    .map_err(|e| TgError::Eval(e.to_string()))?
            }
            None => Value::Map(crate::model::Map::new()),
        };
        out.push(Entry {
            kind: block.kind.clone(),
            name,
            generated,
            at,
            source,
            values,
        });
    }
    Ok(out)
}

impl Eval<'_, '_> {
    /// `values`: the `values` of the unit's `terragrunt.values.hcl` (what
    /// `terragrunt stack generate` wrote beside it), read once per run.
    pub(super) fn values(&self) -> R<Value> {
        let file = self.dir.join(VALUES_FILE);
        if let Some(v) = self.run.values_cache.borrow().get(&file) {
            return Ok(v.clone());
        }
        if let Some(v) = self.run.virtual_unit(&self.dir).map(|u| u.values) {
            return Ok(v);
        }
        // A nested stack not generated: its stack file reads the `values`
        // of the parent's `stack` block.
        if let Some(v) = self.run.virtual_stack(&self.dir).map(|u| u.values) {
            return Ok(v);
        }
        if !file.is_file() {
            return Err(EvalErr::Soft(format!(
                "no {VALUES_FILE} beside the unit (`terragrunt stack generate` writes it from the stack's `values`)"
            )));
        }
        let ev = Eval::new(self.run, self.dir.clone(), self.original.clone());
        ev.build(&file, false, &mut Vec::new())
            .map_err(|e| EvalErr::Fatal(e.to_string()))?;
        let parsed = ev.frame(0).parsed.clone();
        let value = match parsed.file.body.attribute("values") {
            Some(a) => ev.eval(0, &a.expr, a.line)?,
            None => Value::Map(crate::model::Map::new()),
        };
        self.run
            .values_cache
            .borrow_mut()
            .insert(file, value.clone());
        Ok(value)
    }
}
