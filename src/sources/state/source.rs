//! The state source's side of the seam: an environment's `state` table
//! turned into a read of its state files (`--source state`) or its plan
//! (`--source plan`), `s3://` URLs through the environment's `aws` table.

use std::path::Path;
use std::sync::Arc;

use super::cfg::{self, StateTable};
use super::{load_plan, load_state, s3, Options, StateError};
use crate::config::toml::{Field, Sink};
use crate::error::{EnvError, Error};
use crate::model::SourceKind;
use crate::sources::aws::AwsTable;
use crate::sources::terraform::{scope_state_to_module, TerraformTable};
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

/// A state or plan that could not be read, as the library's error.
pub(crate) fn state_error(env: &str, cause: StateError) -> Error {
    Error::State {
        env: env.to_string(),
        cause,
    }
}
