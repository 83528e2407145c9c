//! The state source's side of the seam: an environment's `state` table
//! turned into a read of its state files (`--source state`) or its plan
//! (`--source plan`), `s3://` URLs through the environment's `aws` table.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::cfg::{self, StateTable};
use super::{load_plan, load_state, s3, Options, StateError};
use crate::config::toml::{Field, Sink};
use crate::error::{EnvError, Error};
use crate::model::{SourceKind, Value};
use crate::sources::aws::AwsTable;
use crate::sources::terraform::{scope_state_to_module, StateData, TerraformTable};
use crate::sources::{EnvSpec, Read, ReadContext, Source, Table};

/// The state and plan source: `state = { ... }`.
pub(crate) struct State;

impl Source for State {
    fn key(&self) -> &'static str {
        "state"
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::State, SourceKind::Plan]
    }

    fn table(&self, sink: &mut Sink, field: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
        cfg::read(sink, field, dir)
    }

    fn read(&self, cx: &ReadContext, env: &EnvSpec, kind: SourceKind) -> Result<Read, Error> {
        let table = env.tables.get::<StateTable>();
        let opts = Options {
            environment: env.name.clone(),
            base: cx.base.clone(),
            paths: table.map(|t| t.paths.clone()).unwrap_or_default(),
            plan: table.and_then(|t| t.plan.clone()),
            access: s3::Access::new(env.tables.get::<AwsTable>(), env.identity.region.as_deref()),
            identity: env.identity.clone(),
        };
        let loaded = if kind == SourceKind::Plan {
            load_plan(&opts)
        } else {
            load_state(&opts)
        };
        let mut snap = loaded.map_err(|e| state_error(&env.name, e))?;
        // A root that holds every environment as a module instance: the
        // environment is what lives under its call.
        if let Some(module) = env
            .tables
            .get::<TerraformTable>()
            .and_then(|t| t.module.as_deref())
        {
            scope_state_to_module(&mut snap, module).map_err(|cause| EnvError::Scope {
                env: env.name.clone(),
                cause,
            })?;
        }
        Ok(Read::new(snap, env.identity.clone()))
    }
}

/// What the environment's state holds for each data source, for the code
/// source to evaluate `data.TYPE.NAME` with (see [`StateData`]): its local
/// state files, read whole and unscoped (the code is evaluated from the
/// root, whatever `module` the `terraform` table names). `s3://` URLs are
/// left out: a code read never needs AWS credentials or the network.
/// `None` when there is no local state file to read.
pub(crate) fn data_sources(
    cx: &ReadContext,
    env: &EnvSpec,
) -> Option<Result<StateData, StateError>> {
    let table = env.tables.get::<StateTable>()?;
    let paths: Vec<String> = table
        .paths
        .iter()
        .filter(|p| !s3::is_url(p))
        .cloned()
        .collect();
    if paths.is_empty() {
        return None;
    }
    let shown = paths
        .iter()
        .map(|p| super::shown(&cx.base, Path::new(p)))
        .collect::<Vec<_>>()
        .join(", ");
    let opts = Options {
        environment: env.name.clone(),
        base: cx.base.clone(),
        paths: paths.clone(),
        plan: None,
        access: s3::Access::new(None, None),
        identity: env.identity.clone(),
    };
    let snap = match load_state(&opts) {
        Ok(snap) => snap,
        Err(e) => return Some(Err(e)),
    };
    let mut by_address: HashMap<String, crate::model::Map> = snap
        .resources
        .into_iter()
        .filter(|r| r.data)
        .map(|r| (r.address, r.attributes))
        .collect();
    // The null and empty attributes the reader left out, back (see
    // `data::empty_attributes`); of an address in two files, the first
    // file's instance is the one read, so its empties are the ones added.
    let mut seen = std::collections::HashSet::new();
    for p in &paths {
        let limit = crate::input::limits().state_file;
        let Some(empties) = crate::input::read(Path::new(p), limit)
            .ok()
            .and_then(|bytes| super::data::empty_attributes(&bytes))
        else {
            continue;
        };
        for (at, attrs) in empties {
            if !seen.insert(at.clone()) {
                continue;
            }
            if let Some(known) = by_address.get_mut(&at) {
                for (k, v) in attrs {
                    if !known.contains_key(&k) {
                        known.insert(k, v);
                    }
                }
            }
        }
    }
    // The state's secrets arrive as salted hashes; marked, what the code
    // computes from them is sensitive too (`upper(data.x.secret)`).
    for attrs in by_address.values_mut() {
        for v in attrs.values_mut() {
            mark_sensitive_hashes(v);
        }
    }
    Some(Ok(StateData {
        by_address,
        shown,
        unreadable: None,
    }))
}

fn mark_sensitive_hashes(v: &mut Value) {
    match v {
        _ if v.is_sensitive() => *v = std::mem::take(v).mark(),
        Value::List(items) => items.iter_mut().for_each(mark_sensitive_hashes),
        Value::Map(m) => m.values_mut().for_each(mark_sensitive_hashes),
        _ => {}
    }
}

/// A state or plan that could not be read, as the library's error.
pub(crate) fn state_error(env: &str, cause: StateError) -> Error {
    Error::State {
        env: env.to_string(),
        cause,
    }
}
