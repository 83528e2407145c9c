//! The code source's side of the seam: an environment's `terraform` table
//! (or the root found by convention) turned into an evaluation of its root
//! module.

use std::path::Path;
use std::sync::Arc;

use super::cfg::{self, TerraformTable};
use super::{load, scope_to_module};
use crate::config::toml::{Field, Sink};
use crate::error::{EnvError, Error};
use crate::model::SourceKind;
use crate::sources::{EnvSpec, Read, ReadContext, Source, Table};

/// The Terraform code source: `terraform = { ... }`.
pub(crate) struct Terraform;

impl Source for Terraform {
    fn key(&self) -> &'static str {
        "terraform"
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Code]
    }

    fn table(&self, sink: &mut Sink, field: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
        cfg::read(sink, field, dir)
    }

    fn read(&self, cx: &ReadContext, env: &EnvSpec, _kind: SourceKind) -> Result<Read, Error> {
        let Some(tf) = env.tables.get::<TerraformTable>() else {
            return Err(EnvError::NoTable {
                env: env.name.clone(),
                table: "terraform",
                config: env.config.clone().unwrap_or_else(|| "parity.toml".into()),
                instead: "--source state or --source plan",
            }
            .into());
        };
        // Paths only: inline `vars` may hold secrets.
        tracing::debug!(
            "{}: root {}, var files {:?}, workspace {}, module {:?}",
            env.name,
            tf.root.display(),
            tf.var_files,
            tf.workspace,
            tf.module
        );
        let mut snap =
            load(&tf.options(&env.name, &cx.base)).map_err(|cause| Error::Terraform {
                env: env.name.clone(),
                cause,
            })?;
        if let Some(module) = &tf.module {
            scope_to_module(&mut snap, module).map_err(|cause| EnvError::Scope {
                env: env.name.clone(),
                cause,
            })?;
        }
        Ok(Read::new(snap, env.identity.clone()))
    }
}
