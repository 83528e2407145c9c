//! The Pulumi source's side of the seam: an environment's `pulumi` table
//! turned into a read of its stack export and stack configuration.

use std::path::Path;
use std::sync::Arc;

use super::cfg::{self, PulumiTable};
use super::program::ProgramOptions;
use super::{load, Options, PulumiError};
use crate::config::toml::{Field, Sink};
use crate::error::{EnvError, Error};
use crate::model::SourceKind;
use crate::normalize::Normalizer;
use crate::sources::{EnvSpec, Read, ReadContext, Source, Table};

/// The Pulumi source: `pulumi = { ... }`. A stack export is what the last
/// `pulumi up` applied, so it answers `--source state`; a preview what the
/// next would apply, `--source plan`; a Pulumi YAML program what the
/// stack should be, `--source code`.
pub(crate) struct Pulumi;

impl Source for Pulumi {
    fn key(&self) -> &'static str {
        "pulumi"
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Code, SourceKind::State, SourceKind::Plan]
    }

    fn table(&self, sink: &mut Sink, field: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
        cfg::read(sink, field, dir)
    }

    fn read(&self, cx: &ReadContext, env: &EnvSpec, kind: SourceKind) -> Result<Read, Error> {
        let Some(table) = env.tables.get::<PulumiTable>() else {
            return Err(EnvError::NoTable {
                env: env.name.clone(),
                table: "pulumi",
                config: env.config.clone().unwrap_or_else(|| "parity.toml".into()),
                instead: "a `state` table for a Terraform state",
            }
            .into());
        };
        let config_path = env.config.clone().unwrap_or_else(|| "parity.toml".into());
        if kind == SourceKind::Code {
            let Some(program) = &table.program else {
                return Err(Error::Pulumi {
                    env: env.name.clone(),
                    cause: PulumiError::NoProgram {
                        config: config_path,
                    },
                });
            };
            let opts = ProgramOptions {
                environment: env.name.clone(),
                program: program.clone(),
                stack: table.stack.clone().unwrap_or_else(|| env.name.clone()),
                config: table.config.clone(),
                base: cx.base.clone(),
                normalizer: Normalizer::for_env(&env.name, &env.identity),
            };
            let snap = super::program::load(&opts).map_err(|cause| Error::Pulumi {
                env: env.name.clone(),
                cause,
            })?;
            return Ok(Read::new(snap, env.identity.clone()));
        }
        let Some(stack_export) = table.stack_export.clone() else {
            return Err(Error::Pulumi {
                env: env.name.clone(),
                cause: PulumiError::NoExport {
                    config: config_path,
                },
            });
        };
        let preview = match (kind, &table.preview) {
            (SourceKind::Plan, Some(p)) => Some(p.clone()),
            (SourceKind::Plan, None) => {
                return Err(Error::Pulumi {
                    env: env.name.clone(),
                    cause: PulumiError::NoPreview {
                        config: env.config.clone().unwrap_or_else(|| "parity.toml".into()),
                    },
                })
            }
            _ => None,
        };
        tracing::debug!(
            "{}: stack export {}, config {:?}",
            env.name,
            stack_export.display(),
            table.config
        );
        let opts = Options {
            environment: env.name.clone(),
            stack_export,
            config: table.config.clone(),
            preview,
            base: cx.base.clone(),
            normalizer: Normalizer::for_env(&env.name, &env.identity),
        };
        let snap = load(&opts).map_err(|cause| Error::Pulumi {
            env: env.name.clone(),
            cause,
        })?;
        Ok(Read::new(snap, env.identity.clone()))
    }
}
