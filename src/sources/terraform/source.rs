//! The code source's side of the seam: an environment's `terraform` table
//! (or the root found by convention) turned into an evaluation of its root
//! module.

use std::path::Path;
use std::sync::Arc;

use super::cfg::{self, TerraformTable};
use super::{load, scope_to_module, StateData};
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
        let mut opts = tf.options(&env.name, &cx.base);
        opts.identity = env.identity.clone();
        // Data sources as the last apply read them, from the state. A state
        // that cannot be read leaves them unknown, as without one; only a
        // data source that is referenced says so in coverage (a code read
        // does not fail on the state source's input).
        if tf.data_from_state {
            opts.data = crate::sources::state::data_sources(cx, env).map(|read| {
                Arc::new(read.unwrap_or_else(|e| StateData {
                    unreadable: Some(e.to_string()),
                    ..StateData::default()
                }))
            });
            if let Some(data) = &opts.data {
                tracing::debug!(
                    "{}: {} data source instances from the state ({})",
                    env.name,
                    data.by_address.len(),
                    data.unreadable.as_deref().unwrap_or("read")
                );
            }
        }
        if tf.data_live {
            opts.facts = Some(live_facts(env)?);
        }
        let mut snap = load(&opts).map_err(|cause| Error::Terraform {
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

/// The account facts `data-live` reads data sources from: the environment's
/// `aws` table is required (a code read never calls AWS otherwise).
#[cfg(feature = "aws")]
fn live_facts(env: &EnvSpec) -> Result<Arc<dyn super::facts::Facts>, Error> {
    let Some(aws) = env.tables.get::<crate::sources::aws::AwsTable>() else {
        return Err(EnvError::DataLiveNeedsAws {
            env: env.name.clone(),
        }
        .into());
    };
    let mut settings = crate::sources::aws::AwsSettings::from_table(
        aws,
        &env.name,
        &env.identity.aliases,
        env.identity.region.as_deref(),
    );
    settings.stall_timeout = crate::sources::aws::stall_timeout_from_env(&env.name)?;
    let facts = crate::sources::aws::facts::AwsFacts::connect(&env.name, &settings)?;
    Ok(Arc::new(facts))
}

#[cfg(not(feature = "aws"))]
fn live_facts(env: &EnvSpec) -> Result<Arc<dyn super::facts::Facts>, Error> {
    if env.tables.get::<crate::sources::aws::AwsTable>().is_none() {
        return Err(EnvError::DataLiveNeedsAws {
            env: env.name.clone(),
        }
        .into());
    }
    Err(EnvError::NotBuilt {
        kind: SourceKind::Live,
        feature: "aws",
    }
    .into())
}
