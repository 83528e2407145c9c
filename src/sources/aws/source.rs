//! The live source's side of the seam: an environment's `aws` table turned
//! into a read of its account, with the addresses its state gives the same
//! ids, and what the read found beside the snapshot (API usage, unmanaged
//! and missing resources).

use std::path::Path;
use std::sync::Arc;

use super::cfg;
#[cfg(feature = "aws")]
use super::cfg::AwsTable;
use crate::config::toml::{Field, Sink};
use crate::error::{EnvError, Error};
use crate::model::SourceKind;
use crate::sources::{EnvSpec, Read, ReadContext, Source, Table};

/// The live source: `aws = { ... }`.
pub(crate) struct Aws;

impl Source for Aws {
    fn key(&self) -> &'static str {
        "aws"
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Live]
    }

    fn table(&self, sink: &mut Sink, field: &Field, _dir: &Path) -> Option<Arc<dyn Table>> {
        cfg::read(sink, field)
    }

    #[cfg(feature = "aws")]
    fn read(&self, cx: &ReadContext, env: &EnvSpec, _kind: SourceKind) -> Result<Read, Error> {
        // With state, live resources take the addresses state gives them.
        // A Pulumi stack's export is the state of a Pulumi environment: its
        // resource ids readdress live resources as a Terraform state's do.
        let has_state = env
            .tables
            .get::<crate::sources::state::StateTable>()
            .is_some_and(|st| !st.paths.is_empty())
            || env
                .tables
                .get::<crate::sources::pulumi::PulumiTable>()
                .is_some_and(|p| p.stack_export.is_some());
        let state = if has_state {
            Some((
                crate::sources::read(cx, env, SourceKind::State)?.snapshot,
                None,
            ))
        } else {
            // A CloudFormation stack stands for the state it does not have.
            stack_state(cx, env)?
        };
        let (state, listed) = match state {
            Some((snap, stats)) => (Some(snap), stats),
            None => (None, None),
        };
        let mut read = read_live(cx, env, state.as_ref())?;
        if let (Some(live), Some(stats)) = (read.live.as_mut(), listed) {
            add_usage(&mut live.usage, &stats);
            // A stack not found leaves its resources unaddressed: the
            // read is incomplete.
            if let Some(state) = &state {
                read.snapshot
                    .coverage
                    .extend(state.coverage.iter().cloned());
            }
        }
        Ok(read)
    }

    #[cfg(not(feature = "aws"))]
    fn read(&self, _cx: &ReadContext, _env: &EnvSpec, _kind: SourceKind) -> Result<Read, Error> {
        Err(EnvError::NotBuilt {
            kind: SourceKind::Live,
            feature: "aws",
        }
        .into())
    }
}

/// The `aws` table of `env`, or why a live read cannot be made.
#[cfg(feature = "aws")]
fn table(env: &EnvSpec) -> Result<&AwsTable, Error> {
    match (&env.config, env.tables.get::<AwsTable>()) {
        (_, Some(aws)) => Ok(aws),
        (None, None) => Err(EnvError::LiveNeedsConfig {
            env: env.name.clone(),
        }
        .into()),
        (Some(_), None) => Err(EnvError::NoAwsTable {
            env: env.name.clone(),
        }
        .into()),
    }
}

/// The environment's settings for a live read of its `aws` table.
#[cfg(feature = "aws")]
fn settings(cx: &ReadContext, env: &EnvSpec) -> Result<super::AwsSettings, Error> {
    let aws = table(env)?;
    let mut settings = super::AwsSettings::from_table(
        aws,
        &env.name,
        &env.identity.aliases,
        env.identity.region.as_deref(),
    );
    settings.progress = cx.progress;
    settings.stall_timeout = super::stall_timeout_from_env(&env.name)?;
    Ok(settings)
}

/// For an environment with a `cloudformation` or a `cdk` table and an
/// `aws` table: its deployed stacks (`ListStackResources`, nested stacks
/// included) joined to its evaluated templates, as a state
/// ([`super::stack::stack_state`]); `None` for any other environment. A
/// CloudFormation environment's stack is `stack-name`, else the
/// environment's name (as `AWS::StackName`), in the first region of the
/// `aws` table; a CDK environment's stacks are those of its stage (or its
/// `stacks`), each under its `stackName` in its own region. A stack the
/// account does not have is a coverage gap of the result.
#[cfg(feature = "aws")]
#[allow(clippy::type_complexity)]
pub(crate) fn stack_state(
    cx: &ReadContext,
    env: &EnvSpec,
) -> Result<Option<(crate::model::Snapshot, Option<super::CollectStats>)>, Error> {
    use std::collections::{BTreeSet, HashMap};

    use super::stack::StackTarget;
    use crate::sources::cloudformation::{CdkTable, CloudFormationTable};
    if env.tables.get::<AwsTable>().is_none() {
        return Ok(None);
    }
    let (code, targets, renamed) = if let Some(cfn) = env.tables.get::<CloudFormationTable>() {
        let code = crate::sources::read(cx, env, SourceKind::Code)?.snapshot;
        let target = StackTarget {
            name: cfn.stack_name.clone().unwrap_or_else(|| env.name.clone()),
            region: None,
            prefix: String::new(),
        };
        (code, vec![target], HashMap::new())
    } else if let Some(cdk) = env.tables.get::<CdkTable>() {
        let d = crate::sources::cloudformation::cdk::load_deployed(
            cdk,
            &env.name,
            &env.identity.aliases,
            &cx.base,
        )
        .map_err(|cause| Error::CloudFormation {
            env: env.name.clone(),
            cause,
        })?;
        let targets = d
            .stacks
            .iter()
            .map(|s| StackTarget {
                name: s.name.clone(),
                region: s.region.clone(),
                prefix: s.prefix.clone(),
            })
            .collect();
        (d.snapshot, targets, d.renamed)
    } else {
        return Ok(None);
    };
    let settings = settings(cx, env)?;
    let original = |a: &str| renamed.get(a).cloned();
    // The prefixes under which the code evaluated a template: a nested
    // stack's resources are listed only when its template was read.
    let prefixes: BTreeSet<String> = code
        .resources
        .iter()
        .filter_map(|r| {
            let a = original(&r.address).unwrap_or_else(|| r.address.clone());
            let (head, _) = a.rsplit_once('.')?;
            Some(
                head.rsplit_once('.')
                    .map_or(String::new(), |(p, _)| format!("{p}.")),
            )
        })
        .collect();
    let (listing, stats) = super::stack::list_stacks(&env.name, &settings, &targets, &|p| {
        prefixes.iter().any(|q| q.starts_with(p))
    })?;
    let state = super::stack::stack_state(&code, &listing, &original);
    tracing::info!(
        "{}: {} stacks list {} resources, {} of them declared by the templates; {} not read",
        env.name,
        listing.stacks.len(),
        listing
            .stacks
            .iter()
            .map(|s| s.resources.len())
            .sum::<usize>(),
        state.resources.len(),
        listing.gaps.len()
    );
    Ok(Some((state, Some(stats))))
}

/// Add the calls of the stack listing to a live read's usage.
#[cfg(feature = "aws")]
pub(crate) fn add_usage(usage: &mut crate::report::LiveUsage, stats: &super::CollectStats) {
    let seconds = |d: std::time::Duration| (d.as_secs_f64() * 100.0).round() / 100.0;
    usage.calls += stats.calls();
    usage.requests += stats.requests();
    usage.seconds = ((usage.seconds + seconds(stats.elapsed)) * 100.0).round() / 100.0;
    for (name, s) in &stats.services {
        let u = usage.services.entry(name.clone()).or_default();
        u.calls += s.calls();
        u.requests += s.requests;
        u.seconds = ((u.seconds + seconds(s.elapsed)) * 100.0).round() / 100.0;
    }
}

/// Read one environment from AWS; with its `state` (as read, not
/// normalized), give live resources the state's addresses and find what is
/// unmanaged and missing.
#[cfg(feature = "aws")]
pub(crate) fn read_live(
    cx: &ReadContext,
    env: &EnvSpec,
    state: Option<&crate::model::Snapshot>,
) -> Result<Read, Error> {
    use std::collections::BTreeSet;

    use crate::normalize::Normalizer;
    use crate::sources::LiveRead;

    let settings = settings(cx, env)?;
    let (mut snap, stats) = super::collect_with_stats(&env.name, &settings)?;
    let mut identity = env.identity.clone();
    if identity.account_id.is_none() && !stats.account_id.is_empty() {
        identity.account_id = Some(stats.account_id.clone());
    }
    let usage = live_usage(&env.name, &stats);
    tracing::info!("read {} from AWS: {}", env.name, usage.describe());
    let mut read = LiveRead {
        env: env.name.clone(),
        usage,
        ..LiveRead::default()
    };
    // With state, live objects take the address state gives their id; the
    // rest is unmanaged, and what state has that the read covers but did not
    // find is missing.
    if let Some(state) = state {
        let n = Normalizer::for_env(&env.name, &identity);
        let moved = super::readdress(&mut snap, &super::state_index(state));
        read.unmanaged = moved.unmanaged.iter().map(|k| n.string(k)).collect();
        let found: BTreeSet<&str> = snap.resources.iter().map(|r| r.address.as_str()).collect();
        read.missing = super::live_scope(&settings, state, &snap.coverage)
            .into_iter()
            .filter(|a| !found.contains(a.as_str()))
            .map(|a| n.string(&a))
            .collect();
        tracing::info!(
            "{}: {} live resources at their state address, {} unmanaged, {} missing",
            env.name,
            moved.matched,
            read.unmanaged.len(),
            read.missing.len()
        );
    }
    Ok(Read {
        snapshot: snap,
        identity,
        live: Some(read),
    })
}

/// What a live read cost, as the report states it.
#[cfg(feature = "aws")]
fn live_usage(env: &str, stats: &super::CollectStats) -> crate::report::LiveUsage {
    let seconds = |d: std::time::Duration| (d.as_secs_f64() * 100.0).round() / 100.0;
    crate::report::LiveUsage {
        environment: env.to_string(),
        calls: stats.calls(),
        requests: stats.requests(),
        seconds: seconds(stats.elapsed),
        services: stats
            .services
            .iter()
            .map(|(name, s)| {
                (
                    name.clone(),
                    crate::report::ServiceUsage {
                        calls: s.calls(),
                        requests: s.requests,
                        seconds: seconds(s.elapsed),
                    },
                )
            })
            .collect(),
    }
}
