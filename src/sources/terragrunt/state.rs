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

/// Load one environment's units from their states (`--source state`, the
/// state half of `parity drift`): each unit's state file (the `states`
/// directory of parity.toml, or its `local` backend), its resources
/// addressed `<unit path>/<address>` as the code source addresses them, so
/// code and state pair unit by unit. A unit without a state is listed in
/// coverage, never silently dropped.
pub fn load_states(opts: &super::Options) -> Result<crate::model::Snapshot, TgError> {
    super::on_eval_thread(|| load_states_here(opts))
}

fn load_states_here(opts: &super::Options) -> Result<crate::model::Snapshot, TgError> {
    use crate::model::{Snapshot, SourceKind};
    use crate::sources::terraform::files;
    let Some((opts, units, stacks)) = super::prepare(opts)? else {
        return Err(TgError::NoUnits(files::display(&opts.base, &opts.root)));
    };
    let run = Run::new(&opts);
    let mut units = units;
    units.extend(run.check_stacks(&stacks)?);
    units.sort();
    units.dedup();
    for dir in &units {
        run.exclusion(dir)?;
    }
    let mut snapshot = Snapshot::new(opts.environment.clone(), SourceKind::State);
    for dir in &units {
        if let Some((what, why)) = run.excluded(dir)? {
            run.gap(what, why);
            continue;
        }
        let file = dir.join(super::UNIT_FILE);
        let shown_unit = run.show(&file);
        let (state, source) = config::unit_state(&run, &file)?;
        let working = match &source {
            config::Source::Here => Some(dir.clone()),
            config::Source::At(s, _) => match super::cache::find(dir, s) {
                super::cache::Cached::At(w) => Some(w),
                _ => None,
            },
            config::Source::Unknown(_) => None,
        };
        let unit_path = run.unit_path(dir);
        let (path, by) = match run.state_file(dir, &unit_path, state.as_ref(), working.as_deref()) {
            None => {
                run.gap(
                    shown_unit,
                    "no state for the unit (no `states` directory for the environment in parity.toml, no `local` backend): its resources are not compared",
                );
                continue;
            }
            Some(Err(why)) => {
                run.gap(shown_unit, format!("{why}: its resources are not compared"));
                continue;
            }
            Some(Ok(found)) => found,
        };
        if !path.is_file() {
            run.gap(
                run.show(&path),
                format!("the state of {shown_unit} (from {by}) does not exist: its resources are not compared"),
            );
            continue;
        }
        let sopts = crate::sources::state::Options {
            environment: opts.environment.clone(),
            base: opts.base.clone(),
            paths: vec![path.to_string_lossy().into_owned()],
            plan: None,
            access: crate::sources::state::s3::Access::new(None, None),
            identity: opts.identity.clone(),
        };
        let mut snap =
            crate::sources::state::load_state(&sopts).map_err(|cause| TgError::State {
                unit: shown_unit.clone(),
                cause,
            })?;
        for r in snap.resources.iter_mut() {
            r.address = super::unit::under(&unit_path, &r.address);
            r.key = super::unit::under(&unit_path, &r.key);
        }
        snapshot.resources.extend(snap.resources);
        snapshot.coverage.extend(snap.coverage);
    }
    snapshot.coverage.extend(run.take_gaps());
    snapshot.resources.sort_by(|a, b| a.address.cmp(&b.address));
    snapshot.coverage.sort();
    snapshot.coverage.dedup();
    Ok(snapshot)
}
