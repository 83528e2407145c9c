//! `remote_state` with the `local` backend: where the unit's state file
//! is, so that a `dependency` on it can read the outputs it recorded.
//! Other backends (s3, gcs, ...) are not read: their state is remote.

use std::path::{Path, PathBuf};

use super::{Eval, Source, R};
use crate::model::{Location, Value};
use crate::sources::terragrunt::{Run, TgError};

/// The unit's `local` backend path, and its `terraform { source }` (a
/// relative backend path is relative to where Terraform runs), without
/// evaluating the rest of the unit.
pub(crate) fn unit_state(run: &Run, file: &Path) -> Result<(Option<StatePath>, Source), TgError> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let ev = Eval::new(run, dir.clone(), dir);
    ev.build(file, false, &mut Vec::new())?;
    let fatal = |e: crate::sources::terraform::eval::EvalErr| TgError::Eval(e.to_string());
    let state = ev.state_path().map_err(fatal)?;
    let source = ev.source().map_err(fatal)?;
    Ok((state, source))
}

/// Where a unit's `local` backend keeps its state.
#[derive(Debug, Clone)]
pub(crate) enum StatePath {
    /// An absolute path, or one relative to the working directory
    /// Terraform runs in (resolved by the caller), and where it is set.
    Local(PathBuf, Location),
    /// Set but not usable; why, at file:line.
    Unusable(String),
}

impl Eval<'_, '_> {
    /// The unit's `remote_state` (merged across its includes: the child's
    /// block wins), when its backend is `local` with a `path`.
    pub(super) fn state_path(&self) -> R<Option<StatePath>> {
        let Some((frame, block)) = self.merged_block(0, "remote_state") else {
            return Ok(None);
        };
        let parsed = self.frame(frame).parsed.clone();
        let Some(backend) = block.body.attribute("backend") else {
            return Ok(None);
        };
        let result = self.eval(frame, &backend.expr, backend.line);
        match self.settle(frame, result, backend.line, "remote_state", "backend")? {
            Value::String(b) if b == "local" => {}
            _ => return Ok(None),
        }
        let Some(attr) = block.body.attribute("config") else {
            return Ok(None);
        };
        let line = attr.line;
        let at = parsed.at(line);
        let result = self.eval(frame, &attr.expr, line);
        let config = self.settle(frame, result, line, "remote_state", "config")?;
        match config.as_map().and_then(|m| m.get("path")) {
            None => Ok(None),
            Some(Value::String(p)) => Ok(Some(StatePath::Local(
                PathBuf::from(p),
                Location::new(parsed.shown(), Some(line)),
            ))),
            Some(other) => Ok(Some(StatePath::Unusable(format!(
                "{at}: the local backend's path is not known statically ({})",
                other.display()
            )))),
        }
    }
}
