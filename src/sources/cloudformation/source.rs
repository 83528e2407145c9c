//! The CloudFormation source's side of the seam: an environment's
//! `cloudformation` table turned into an evaluation of its template.

use std::path::Path;
use std::sync::Arc;

use super::cfg::{self, CloudFormationTable};
use super::{load, Options};
use crate::config::toml::{Field, Sink};
use crate::error::{EnvError, Error};
use crate::model::SourceKind;
use crate::sources::{EnvSpec, Read, ReadContext, Source, Table};

/// The CloudFormation code source: `cloudformation = { ... }`.
pub(crate) struct CloudFormation;

impl Source for CloudFormation {
    fn key(&self) -> &'static str {
        "cloudformation"
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Code]
    }

    fn table(&self, sink: &mut Sink, field: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
        cfg::read(sink, field, dir)
    }

    fn read(&self, cx: &ReadContext, env: &EnvSpec, _kind: SourceKind) -> Result<Read, Error> {
        let Some(table) = env.tables.get::<CloudFormationTable>() else {
            return Err(EnvError::NoTable {
                env: env.name.clone(),
                table: "cloudformation",
                config: env.config.clone().unwrap_or_else(|| "parity.toml".into()),
                instead: "--source state or --source plan",
            }
            .into());
        };
        tracing::debug!(
            "{}: template {}, parameters {:?}",
            env.name,
            table.template.display(),
            table.parameters
        );
        let region = table.region.clone().or_else(|| env.identity.region.clone());
        let account = table
            .account
            .clone()
            .or_else(|| env.identity.account_id.clone());
        let opts = Options {
            environment: env.name.clone(),
            template: table.template.clone(),
            parameters: table.parameters.clone(),
            base: cx.base.clone(),
            stack_name: table.stack_name.clone(),
            region: region.clone(),
            account: account.clone(),
        };
        let snap = load(&opts).map_err(|cause| Error::CloudFormation {
            env: env.name.clone(),
            cause,
        })?;
        // The table's account and region normalize like the environment's.
        let mut identity = env.identity.clone();
        identity.account_id = account;
        identity.region = region;
        Ok(Read::new(snap, identity))
    }
}
