//! The library's error type: everything that stops `parity` from doing its
//! job (exit code 1). Each variant renders as one clear sentence that names
//! the file, line or environment.
//!
//! A variant either prints its cause (leaf errors: an I/O error's text is
//! the useful part of the sentence) or chains it (`transparent` wrappers),
//! never both, so that `main.rs` prints the whole chain with `{:#}` and
//! nothing twice.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::rules::packs::RuleError;
use crate::sources::snapshot::SnapshotError;
use crate::sources::state::StateError;
use crate::sources::terraform::{ScopeError, TfError};
use crate::sources::terragrunt::TgError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error(transparent)]
    Environment(#[from] EnvError),
    #[error("environment `{env}`: {cause}")]
    Terraform { env: String, cause: TfError },
    #[error("environment `{env}`: {cause}")]
    Terragrunt { env: String, cause: TgError },
    #[error("environment `{env}`: {cause}")]
    State { env: String, cause: StateError },
    #[error("environment `{env}`: {cause}")]
    CloudFormation {
        env: String,
        cause: crate::sources::cloudformation::CfnError,
    },
    #[error("environment `{env}`: {cause}")]
    Pulumi {
        env: String,
        cause: crate::sources::pulumi::PulumiError,
    },
    #[error(transparent)]
    SnapshotFile(#[from] SnapshotError),
    /// Reading live AWS failed as a whole (credentials, endpoint); the
    /// message names the environment and what was tried.
    #[cfg(feature = "aws")]
    #[error(transparent)]
    Live(#[from] crate::sources::aws::AwsError),
}

/// An ENV argument that names nothing readable, or an environment that
/// cannot be read as asked.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("unknown environment `{name}`: {} defines {}", config.display(), or_none(known))]
    Unknown {
        name: String,
        config: PathBuf,
        known: Vec<String>,
    },
    #[error("unknown environment `{name}`: no parity.toml in {} and none of {name}/, envs/{name}/, environments/{name}/, env/{name}/, {name}.tfvars, env/{name}.tfvars, variables/{name}/*.tfvars exists there", cwd.display())]
    NotFound { name: String, cwd: PathBuf },
    #[error("environment `{env}` has no source in {}: give it one of the tables {}", config.display(), quoted(tables))]
    NoSource {
        env: String,
        config: PathBuf,
        tables: Vec<&'static str>,
    },
    #[error("environment `{env}` has no `{table}` source in {}: use {instead}", config.display())]
    NoTable {
        env: String,
        table: &'static str,
        config: PathBuf,
        /// What the user can do instead.
        instead: &'static str,
    },
    #[error("environment `{env}`: --source live needs an `aws` table for it in parity.toml")]
    LiveNeedsConfig { env: String },
    #[error("environment `{env}` has no `aws` table in parity.toml (profile, region, role-arn, endpoint-url, tags)")]
    NoAwsTable { env: String },
    #[error("environment `{env}`: `data-live = true` in its `terraform` table reads data sources from AWS, and needs an `aws` table (profile, region, role-arn, endpoint-url)")]
    DataLiveNeedsAws { env: String },
    #[error("environment `{env}`: {cause}")]
    Scope { env: String, cause: ScopeError },
    #[error("environment `{env}`: the drift of a CloudFormation stack is its template against its AWS account, and {why}")]
    StackDriftNeedsLive { env: String, why: String },
    #[error("`parity drift` needs an environment of parity.toml with code and state, not the snapshot file {file}")]
    DriftOnSnapshotFile { file: String },
    #[error("`{left}` and `{right}` are the same environment (`{name}`): compare two different environments")]
    SameEnvironment {
        left: String,
        right: String,
        name: String,
    },
    #[error("no source of this build reads --source {kind}")]
    NoReader { kind: crate::model::SourceKind },
    #[error(
        "--source {kind} needs parity built with the `{feature}` feature (it is on by default)"
    )]
    NotBuilt {
        kind: crate::model::SourceKind,
        feature: &'static str,
    },
}

fn or_none(known: &[String]) -> String {
    if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    }
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
