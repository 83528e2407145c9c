//! The library's error type: everything that stops `parity` from doing its
//! job (exit code 1). Each variant renders as one clear sentence that names
//! the file, line or environment.

use crate::config::ConfigError;
use crate::rules::packs::RuleError;
use crate::sources::terraform::TfError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("environment `{env}`: {source}")]
    Terraform {
        env: String,
        #[source]
        source: TfError,
    },
    #[error("{0}")]
    UnknownEnvironment(String),
    #[error("{0}")]
    Snapshot(String),
    #[error("{0}")]
    Unsupported(String),
    /// Reading live AWS failed as a whole (credentials, endpoint); the
    /// message names the environment and what was tried.
    #[error("{0}")]
    Live(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
