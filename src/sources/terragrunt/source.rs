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
        &[SourceKind::Code]
    }

    fn table(&self, sink: &mut Sink, field: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
        cfg::read(sink, field, dir)
    }

    fn read(&self, cx: &ReadContext, env: &EnvSpec, _kind: SourceKind) -> Result<Read, Error> {
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
        let snap = super::load(&opts).map_err(|cause| Error::Terragrunt {
            env: env.name.clone(),
            cause,
        })?;
        Ok(Read::new(snap, env.identity.clone()))
    }
}
