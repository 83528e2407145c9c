//! A unit's state, for the outputs a `dependency` on it reads when its
//! module does not know them statically (`aws_vpc.this.id`): the file of
//! its `local` backend (`remote_state { backend = "local" }`), or the file
//! for its unit path in the directory `states` of the environment's
//! `terragrunt` table. `mock_outputs` are never used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{config, Run, TgError};
use crate::model::Value;

/// The name of a unit's state file in a `states` directory.
pub const STATE_FILE: &str = "terraform.tfstate";

/// Where a unit's state is: the file and what configured it (shown), or
/// why it cannot be read.
pub(crate) type StateFile = Result<(PathBuf, String), String>;

/// A state's outputs by name (sensitive ones marked), or why none.
pub(crate) type Outputs = Result<BTreeMap<String, Value>, String>;

impl Run<'_> {
    /// The state file of the unit in `dir` (`unit_path` relative to the
    /// root). `working` is the directory Terraform runs in, when known:
    /// a relative backend path is relative to it.
    pub(super) fn state_file(
        &self,
        dir: &Path,
        unit_path: &str,
        state: Option<&config::StatePath>,
        working: Option<&Path>,
    ) -> Option<StateFile> {
        if let Some(states) = &self.opts.states {
            if !unit_path.starts_with("..") {
                let file = states.join(unit_path).join(STATE_FILE);
                return Some(Ok((file, "the `states` directory of parity.toml".into())));
            }
        }
        match state? {
            config::StatePath::Unusable(why) => Some(Err(why.clone())),
            config::StatePath::Local(path, at) => {
                if path.is_absolute() {
                    return Some(Ok((path.clone(), at.to_string())));
                }
                match working {
                    Some(w) => Some(Ok((crate::sources::terraform::files::lexical(&w.join(path)), at.to_string()))),
                    None => Some(Err(format!(
                        "{at}: the local backend's path `{}` is relative to the working directory Terragrunt makes in {}'s .terragrunt-cache, which is not there",
                        path.display(),
                        self.show(dir)
                    ))),
                }
            }
        }
    }

    /// The outputs recorded in a state file, read once per run. A file
    /// that does not exist (the unit was never applied) is a reason; one
    /// that is not a Terraform state is an error naming it.
    pub(crate) fn state_outputs(&self, file: &Path) -> Result<Rc<Outputs>, TgError> {
        if let Some(o) = self.states_read.borrow().get(file) {
            return Ok(o.clone());
        }
        let shown = self.show(file);
        let outputs = if file.is_file() {
            Ok(read_outputs(file, &shown)?)
        } else {
            Err(format!("its state {shown} does not exist"))
        };
        let outputs = Rc::new(outputs);
        self.states_read
            .borrow_mut()
            .insert(file.to_path_buf(), outputs.clone());
        Ok(outputs)
    }
}

fn read_outputs(file: &Path, shown: &str) -> Result<BTreeMap<String, Value>, TgError> {
    let bytes = crate::input::read(file, crate::input::limits().state_file).map_err(|cause| {
        TgError::Io {
            path: shown.to_string(),
            cause,
        }
    })?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        TgError::Eval(format!(
            "{shown}:{}:{}: not a Terraform state (invalid JSON: {e})",
            e.line(),
            e.column()
        ))
    })?;
    let version = doc.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(4) {
        return Err(TgError::Eval(format!(
            "{shown}:1: not a Terraform state of format version 4 (its `version` is {})",
            doc.get("version")
                .map_or("absent".into(), ToString::to_string)
        )));
    }
    let mut out = BTreeMap::new();
    if let Some(outputs) = doc.get("outputs").and_then(serde_json::Value::as_object) {
        for (name, o) in outputs {
            let value = Value::from_json(o.get("value").unwrap_or(&serde_json::Value::Null));
            let sensitive = o
                .get("sensitive")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            out.insert(name.clone(), if sensitive { value.mark() } else { value });
        }
    }
    Ok(out)
}
