//! Sources: each reads one environment into a [`Snapshot`].
//!
//! A source is one folder here: its reader, its table of parity.toml
//! (`cfg.rs`, read and validated beside the code that uses it), its errors
//! and its docs page. The rest of the program reaches every source through
//! one entry point, [`read`], which picks the source that answers the
//! requested [`SourceKind`] for an environment. Adding a source is one new
//! folder, one line in `SOURCES`, its docs page and its tests.
//!
//! The seam is a trait with a registry of trait objects rather than an enum:
//! parity.toml's reader (which keys an environment accepts, who reads each) and the dispatcher loop over
//! `SOURCES`, so a new source adds a line there and nothing else; an enum
//! would add a variant and an arm in each of those places. A read is one
//! call per environment, so the dynamic dispatch costs nothing measurable.
//!
//! Sources read each other through [`read`] where one needs another's
//! answer (live resources take the addresses their state gives them), and
//! each other's tables through [`Tables::get`] (`s3://` state is read with
//! the environment's `aws` table).

pub mod aws;
pub mod cloudformation;
pub mod pulumi;
pub mod snapshot;
pub mod state;
pub mod terraform;
pub mod terragrunt;

use std::any::Any;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::toml::{Field, Sink};
use crate::error::Error;
use crate::model::{Snapshot, SourceKind};
use crate::report::LiveUsage;
use snapshot::Identity;

/// Every source, in the order parity.toml documents them. A source's
/// position decides nothing but the order of messages that list them.
pub(crate) static SOURCES: &[&dyn Source] = &[
    &terraform::Terraform,
    &terragrunt::Terragrunt,
    &cloudformation::CloudFormation,
    &cloudformation::Cdk,
    &pulumi::Pulumi,
    &state::State,
    &aws::Aws,
];

/// One kind of input an environment can be read from.
pub(crate) trait Source: Sync {
    /// The key of its table under `[environments.<name>]` in parity.toml.
    fn key(&self) -> &'static str;

    /// Which `--source` kinds it answers.
    fn kinds(&self) -> &'static [SourceKind];

    /// Its table, read and validated (problems go to `sink`, each with its
    /// line); `None` when the value is not a table. `dir` holds parity.toml:
    /// relative paths are joined to it.
    fn table(&self, sink: &mut Sink, field: &Field, dir: &Path) -> Option<Arc<dyn Table>>;

    /// Read `env` as `kind` (one of [`Source::kinds`]). The environment has
    /// this source's table, except when no source of `kind` is configured,
    /// where the first source of that kind is asked and explains what is
    /// missing.
    fn read(&self, cx: &ReadContext, env: &EnvSpec, kind: SourceKind) -> Result<Read, Error>;
}

/// A source's table of parity.toml, once validated.
pub trait Table: Any + fmt::Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;

    /// The AWS region this table places the environment in, if it says;
    /// used to normalize region names when the environment gives none.
    fn region(&self) -> Option<&str> {
        None
    }
}

/// The source tables of one environment, by key.
#[derive(Debug, Clone, Default)]
pub struct Tables(Vec<(&'static str, Arc<dyn Table>)>);

impl Tables {
    /// The table of type `T`, if the environment has one.
    pub fn get<T: Table>(&self) -> Option<&T> {
        self.0.iter().find_map(|(_, t)| t.as_any().downcast_ref())
    }

    /// Whether the environment has the table called `key`.
    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| *k == key)
    }

    /// The keys of its tables, in parity.toml's order of sources.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(k, _)| *k)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Add (or replace) the table called `key`.
    pub fn insert(&mut self, key: &'static str, table: Arc<dyn Table>) {
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, table));
        self.0.sort_by_key(|(k, _)| position(k));
    }

    /// The first region a table gives.
    pub fn region(&self) -> Option<&str> {
        self.0.iter().find_map(|(_, t)| t.region())
    }
}

fn position(key: &str) -> usize {
    SOURCES
        .iter()
        .position(|s| s.key() == key)
        .unwrap_or(usize::MAX)
}

/// The keys of every source's table, for parity.toml's reader.
pub(crate) fn keys() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|s| s.key())
}

/// The source whose table is called `key`.
pub(crate) fn by_key(key: &str) -> Option<&'static dyn Source> {
    SOURCES.iter().copied().find(|s| s.key() == key)
}

/// One resolved environment: its name, how to normalize it, and where its
/// inputs are.
#[derive(Debug, Clone)]
pub struct EnvSpec {
    pub name: String,
    pub identity: Identity,
    pub tables: Tables,
    /// A snapshot file given as the ENV argument: read whatever the kind.
    pub file: Option<PathBuf>,
    /// parity.toml, when the environment comes from one (messages name it).
    pub config: Option<PathBuf>,
}

/// What every read needs beside the environment.
#[derive(Debug, Clone)]
pub struct ReadContext {
    /// Paths in locations are shown relative to this (parity.toml's
    /// directory, or the working directory without one).
    pub base: PathBuf,
    /// Draw a progress bar on a terminal during live reads.
    pub progress: bool,
}

/// One environment as read, with what the read learned beside it.
#[derive(Debug)]
pub struct Read {
    pub snapshot: Snapshot,
    pub identity: Identity,
    /// For a live read: API usage, unmanaged and missing resources.
    pub live: Option<LiveRead>,
}

impl Read {
    pub fn new(snapshot: Snapshot, identity: Identity) -> Read {
        Read {
            snapshot,
            identity,
            live: None,
        }
    }
}

/// What a live read found beside its snapshot.
#[derive(Debug, Clone, Default)]
pub struct LiveRead {
    pub env: String,
    pub usage: LiveUsage,
    /// Normalized keys of live resources the state has no address for.
    pub unmanaged: BTreeSet<String>,
    /// Normalized keys of state resources the read covers and did not find.
    pub missing: BTreeSet<String>,
}

/// The one entry point: read `env` as `kind` with the source that answers
/// it. A snapshot file is read as it was written, whatever the kind.
pub fn read(cx: &ReadContext, env: &EnvSpec, kind: SourceKind) -> Result<Read, Error> {
    // Timed until it returns, whichever way (verbose mode).
    let _stage = crate::logging::Stage::start(format!("read {} ({kind})", env.name));
    if let Some(path) = &env.file {
        tracing::debug!("{}: snapshot file {}", env.name, path.display());
        return Ok(snapshot::read_file(path)?);
    }
    let answering: Vec<&dyn Source> = SOURCES
        .iter()
        .copied()
        .filter(|s| s.kinds().contains(&kind))
        .collect();
    let source = answering
        .iter()
        .copied()
        .find(|s| env.tables.has(s.key()))
        .or_else(|| answering.first().copied())
        .ok_or(crate::error::EnvError::NoReader { kind })?;
    source.read(cx, env, kind)
}

/// Which sources answer `kind`, by key: `terraform` for code.
pub fn answering(kind: SourceKind) -> Vec<&'static str> {
    SOURCES
        .iter()
        .filter(|s| s.kinds().contains(&kind))
        .map(|s| s.key())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_source_and_every_key_one_source() {
        for kind in [
            SourceKind::Code,
            SourceKind::State,
            SourceKind::Plan,
            SourceKind::Live,
        ] {
            assert!(!answering(kind).is_empty(), "no source reads {kind}");
        }
        let keys: Vec<&str> = keys().collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(keys.len(), unique.len(), "{keys:?}");
        for key in keys {
            assert_eq!(by_key(key).map(|s| s.key()), Some(key));
            // A source key never shadows the environment's own keys.
            assert!(!["aliases", "account-id", "region"].contains(&key));
        }
    }

    #[test]
    fn tables_are_found_by_type_and_kept_in_registry_order() {
        let mut t = Tables::default();
        t.insert("aws", Arc::new(aws::AwsTable::default()));
        t.insert(
            "state",
            Arc::new(state::StateTable {
                paths: vec!["s.tfstate".into()],
                plan: None,
            }),
        );
        assert_eq!(t.keys().collect::<Vec<_>>(), vec!["state", "aws"]);
        assert!(t.get::<aws::AwsTable>().is_some());
        assert!(t.get::<terraform::TerraformTable>().is_none());
        // Replacing keeps one table per key.
        t.insert("aws", Arc::new(aws::AwsTable::default()));
        assert_eq!(t.keys().count(), 2);
    }
}
