//! The Pulumi source: a stack's `pulumi stack export` (deployment versions
//! 3 and 4) and its `Pulumi.<stack>.yaml` read into a [`Snapshot`] with
//! Terraform type and attribute names where a mapping exists
//! (docs/pulumi.md is the user's reference).
//!
//! A stack export is what the last `pulumi up` applied: it answers
//! `--source state`, as a Terraform state does; the JSON of `pulumi
//! preview --json` is what the next would apply: `--source plan`; a
//! Pulumi YAML program evaluated with the stack's configuration is what
//! the stack should be: `--source code`.
//!
//! Layout: `export` reads the stack export (resources by URN, secrets,
//! unknowns), `preview` a preview's planned states into the same model,
//! [`program`] evaluates a Pulumi YAML program for one stack, `urn` splits
//! URNs into the parts an address is built from, `mapping` holds the token
//! table (`tokens.tsv`) and turns Pulumi properties into Terraform
//! attributes, `stack_config` reads the stack's configuration into one
//! record, [`init`] proposes a parity.toml for a Pulumi project, `cfg` the
//! `pulumi` table of parity.toml, `source` its side of the seam.

pub(crate) mod cfg;
pub(crate) mod export;
pub mod init;
pub(crate) mod mapping;
pub(crate) mod preview;
pub mod program;
mod source;
pub(crate) mod stack_config;
pub(crate) mod urn;
pub(crate) mod value;

pub use cfg::PulumiTable;
pub(crate) use source::Pulumi;

use std::path::{Path, PathBuf};

use crate::model::{Snapshot, SourceKind};
use crate::normalize::Normalizer;

/// Why a Pulumi environment could not be read: a file that cannot be read,
/// or a stack export or stack configuration that Pulumi would not have
/// written, with its file:line.
#[derive(Debug, thiserror::Error)]
pub enum PulumiError {
    #[error("cannot read {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
    #[error("--source plan reads a preview: give the `pulumi` table of {} a `preview` (the JSON of `pulumi preview --json`)", config.display())]
    NoPreview { config: PathBuf },
    #[error("--source code reads a Pulumi YAML program: give the `pulumi` table of {} a `program` (the directory of Pulumi.yaml), or compare the stacks with --source state", config.display())]
    NoProgram { config: PathBuf },
    #[error("--source state reads a stack export: give the `pulumi` table of {} a `stack-export` (the JSON of `pulumi stack export`)", config.display())]
    NoExport { config: PathBuf },
}

/// What to read for one environment.
#[derive(Debug, Clone)]
pub struct Options {
    pub environment: String,
    /// The JSON of `pulumi stack export`.
    pub stack_export: PathBuf,
    /// `Pulumi.<stack>.yaml`, if given.
    pub config: Option<PathBuf>,
    /// Read the JSON of `pulumi preview --json` here instead of the stack
    /// export: the planned state (`--source plan`).
    pub preview: Option<PathBuf>,
    /// Paths in locations are shown relative to this (the config's directory).
    pub base: PathBuf,
    /// The environment's normalization: secrets are hashed as normalized.
    pub normalizer: Normalizer,
}

/// Read one environment's stack export and stack configuration.
pub fn load(opts: &Options) -> Result<Snapshot, PulumiError> {
    let (read, kind) = match &opts.preview {
        Some(path) => {
            let shown = display(&opts.base, path);
            let text = read_text(path, &shown, true)?;
            (
                preview::read(&text, &shown, &opts.normalizer)?,
                SourceKind::Plan,
            )
        }
        None => {
            let shown = display(&opts.base, &opts.stack_export);
            let text = read_text(&opts.stack_export, &shown, true)?;
            (
                export::read(&text, &shown, &opts.normalizer)?,
                SourceKind::State,
            )
        }
    };
    let mut snap = Snapshot::new(opts.environment.clone(), kind);
    snap.resources = read.resources;
    snap.dependencies = read.dependencies;
    snap.coverage = read.coverage;
    if let Some(path) = &opts.config {
        let shown = display(&opts.base, path);
        let text = read_text(path, &shown, false)?;
        let (record, gaps) = stack_config::read(&text, &shown, &opts.normalizer)?;
        snap.dependencies.push(record);
        snap.coverage.extend(gaps);
    }
    snap.resources.sort_by(|a, b| a.address.cmp(&b.address));
    snap.dependencies.sort_by(|a, b| a.address.cmp(&b.address));
    snap.coverage.sort();
    snap.coverage.dedup();
    crate::normalize::guard_snapshot(&mut snap, read.secrets, &opts.normalizer);
    Ok(snap)
}

fn display(base: &Path, path: &Path) -> String {
    crate::sources::terraform::files::display(base, path)
}

fn read_text(path: &Path, shown: &str, state: bool) -> Result<String, PulumiError> {
    let limits = crate::input::limits();
    let limit = if state {
        limits.state_file
    } else {
        limits.tf_file
    };
    crate::input::read_text(path, limit).map_err(|cause| PulumiError::Io {
        path: shown.to_string(),
        cause,
    })
}

/// `file:line`, or the file alone when the line is not known.
pub(crate) fn at(file: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    }
}
