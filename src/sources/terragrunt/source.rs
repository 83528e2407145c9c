//! The Terragrunt source's side of the seam: an environment's `terragrunt`
//! table turned into the units below its root, each evaluated and its
//! module loaded by the Terraform source.

use std::path::Path;
use std::sync::Arc;

use super::cfg::{self, TerragruntTable};
use crate::config::toml::{Field, Sink};
use crate::error::{EnvError, Error};
use crate::model::SourceKind;
use crate::sources::{EnvSpec, Read, ReadContext, Source, Table};

/// The Terragrunt code source: `terragrunt = { ... }`.
pub(crate) struct Terragrunt;

impl Source for Terragrunt {
    fn key(&self) -> &'static str {
        "terragrunt"
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Code, SourceKind::State]
    }

    fn table(&self, sink: &mut Sink, field: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
        cfg::read(sink, field, dir)
    }

    fn read(&self, cx: &ReadContext, env: &EnvSpec, kind: SourceKind) -> Result<Read, Error> {
        if kind == SourceKind::State {
            // A `state` table says which state to read; without a
            // `terragrunt` table this is not a Terragrunt environment.
            if env.tables.has("state") || !env.tables.has("terragrunt") {
                if let Some(state) = crate::sources::by_key("state") {
                    return state.read(cx, env, kind);
                }
            }
        }
        let Some(tg) = env.tables.get::<TerragruntTable>() else {
            return Err(EnvError::NoTable {
                env: env.name.clone(),
                table: "terragrunt",
                config: env.config.clone().unwrap_or_else(|| "parity.toml".into()),
                instead: "--source state or --source plan",
            }
            .into());
        };
        tracing::debug!("{}: terragrunt root {}", env.name, tg.root.display());
        let opts = super::Options {
            environment: env.name.clone(),
            root: tg.root.clone(),
            base: cx.base.clone(),
            env: tg.env.clone(),
            states: tg.states.clone(),
            identity: env.identity.clone(),
        };
        let loaded = if kind == SourceKind::State {
            super::load_states(&opts)
        } else {
            super::load(&opts)
        };
        let snap = loaded.map_err(|cause| Error::Terragrunt {
            env: env.name.clone(),
            cause,
        })?;
        Ok(Read::new(snap, env.identity.clone()))
    }
}
