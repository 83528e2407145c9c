//! The collection itself: every service and region read under one
//! concurrency bound, what failed turned into coverage gaps, what was
//! found readdressed through state.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::cfg::AwsTable;
use super::{client, draft, ec2, exec, iam, rds};
use crate::model::{CoverageGap, Resource, Snapshot, SourceKind, Value};
use crate::sources::state::drift::Targets;

pub use client::{StaticCredentials, ALLOWED_OPERATIONS};
pub use draft::{readdress, Readdressed};

/// How to reach one environment's account: built from the `aws` table of an
/// environment in parity.toml ([`AwsSettings::from_table`]), or by hand.
#[derive(Clone)]
pub struct AwsSettings {
    /// A named profile of the shared config/credentials files.
    pub profile: Option<String>,
    /// Regions to read (EC2 and RDS are regional, IAM is read once). Empty:
    /// the region of the profile or the environment (`AWS_REGION`).
    pub regions: Vec<String>,
    /// A role to assume through STS with the base credentials.
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// Another endpoint for every service (LocalStack, moto).
    pub endpoint_url: Option<String>,
    /// Only EC2 and RDS resources carrying all these tags.
    pub tags: BTreeMap<String, String>,
    /// IAM has no tag filter on its list calls: when non-empty, only roles,
    /// policies and instance profiles whose name holds one of these tokens
    /// as a segment (`shop-staging-api` holds `staging`).
    pub iam_name_tokens: Vec<String>,
    /// Only IAM roles and policies under this path (`/shop/`).
    pub iam_path_prefix: Option<String>,
    /// Fixed credentials instead of the standard chain (emulators, tests).
    pub credentials: Option<StaticCredentials>,
    /// Most API calls in flight at once, over all services and regions.
    pub concurrency: usize,
    /// Attempts per call, with adaptive retries on throttling.
    pub max_attempts: u32,
    /// How long a call may wait for the network: to connect, for the
    /// first byte of an answer, and with no more of the body arriving
    /// (stalled-stream protection). Each attempt is also bounded by
    /// [`ATTEMPT_TIMEOUT_FACTOR`] times this. A wait that runs out fails the
    /// attempt (retried; then a coverage gap). `PARITY_AWS_STALL_TIMEOUT`
    /// sets it for `parity` runs ([`stall_timeout_from_env`]).
    pub stall_timeout: Duration,
    /// Draw a progress bar on stderr while reading, when stderr is a
    /// terminal (never otherwise, whatever this says).
    pub progress: bool,
    /// Read IAM in bulk (`GetAccountAuthorizationDetails`, a few pages for
    /// the account). `false`: one call per role and per policy, what a
    /// policy without that action gets anyway (the benchmark compares them).
    pub iam_bulk: bool,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            profile: None,
            regions: Vec::new(),
            role_arn: None,
            external_id: None,
            endpoint_url: None,
            tags: BTreeMap::new(),
            iam_name_tokens: Vec::new(),
            iam_path_prefix: None,
            credentials: None,
            concurrency: DEFAULT_CONCURRENCY,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            progress: false,
            iam_bulk: true,
        }
    }
}

/// Calls in flight at once by default: enough to hide latency, well under
/// the per-account request rates of EC2, RDS and IAM.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Attempts per call by default (the SDK's standard is 3; throttling on a
/// large account needs a few more).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;

/// How long a live call may wait for the network by default.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// An attempt (sending, waiting, reading the whole body) may last this many
/// stall timeouts at most: a backstop for a body that trickles in.
pub const ATTEMPT_TIMEOUT_FACTOR: u32 = 5;
/// The environment variable that sets [`AwsSettings::stall_timeout`], in
/// seconds.
pub const STALL_TIMEOUT_VAR: &str = "PARITY_AWS_STALL_TIMEOUT";

/// [`AwsSettings::stall_timeout`] from `PARITY_AWS_STALL_TIMEOUT` (whole
/// seconds, at least 1), [`DEFAULT_STALL_TIMEOUT`] when it is not set.
pub fn stall_timeout_from_env(env_name: &str) -> Result<Duration, AwsError> {
    match std::env::var(STALL_TIMEOUT_VAR) {
        Err(_) => Ok(DEFAULT_STALL_TIMEOUT),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(secs) if secs >= 1 => Ok(Duration::from_secs(secs)),
            _ => Err(AwsError::Setting {
                environment: env_name.to_string(),
                var: STALL_TIMEOUT_VAR.to_string(),
                value: v,
            }),
        },
    }
}

impl fmt::Debug for AwsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSettings")
            .field("profile", &self.profile)
            .field("regions", &self.regions)
            .field("role_arn", &self.role_arn)
            .field("endpoint_url", &self.endpoint_url)
            .field("tags", &self.tags)
            .field("iam_name_tokens", &self.iam_name_tokens)
            .field("iam_path_prefix", &self.iam_path_prefix)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "(static)"),
            )
            .field("concurrency", &self.concurrency)
            .field("max_attempts", &self.max_attempts)
            .field("stall_timeout", &self.stall_timeout)
            .field("progress", &self.progress)
            .field("iam_bulk", &self.iam_bulk)
            .finish()
    }
}

impl AwsSettings {
    /// The settings of an environment that has an `aws` table. The region is
    /// the table's, else the environment's. When `tags` narrow EC2 and RDS,
    /// IAM is narrowed to names holding the environment's name or an alias.
    pub fn from_table(
        aws: &AwsTable,
        env_name: &str,
        aliases: &[String],
        env_region: Option<&str>,
    ) -> AwsSettings {
        let region = aws
            .region
            .clone()
            .or_else(|| env_region.map(str::to_string));
        let iam_name_tokens = if aws.tags.is_empty() {
            Vec::new()
        } else {
            std::iter::once(env_name.to_string())
                .chain(aliases.iter().cloned())
                .collect()
        };
        AwsSettings {
            profile: aws.profile.clone(),
            regions: region.into_iter().collect(),
            role_arn: aws.role_arn.clone(),
            external_id: aws.external_id.clone(),
            endpoint_url: aws.endpoint_url.clone(),
            tags: aws.tags.clone(),
            iam_name_tokens,
            ..AwsSettings::default()
        }
    }

    /// What the credentials come from, for error messages.
    pub fn credential_source(&self) -> String {
        let mut parts = Vec::new();
        if self.credentials.is_some() {
            parts.push("static credentials".to_string());
        } else if let Some(p) = &self.profile {
            parts.push(format!("profile `{p}`"));
        } else {
            parts.push("the default credential chain".to_string());
        }
        if let Some(role) = &self.role_arn {
            parts.push(format!("role `{role}`"));
        }
        parts.join(", assuming ")
    }
}

/// Why an environment could not be read at all. Failures of single API
/// calls are not errors: they become coverage gaps of the snapshot.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("environment `{environment}`: cannot use AWS credentials from {tried}: {reason}")]
    Credentials {
        environment: String,
        tried: String,
        reason: String,
    },
    #[error("environment `{environment}`: cannot reach AWS at {endpoint}: {reason}")]
    Unreachable {
        environment: String,
        endpoint: String,
        reason: String,
    },
    /// The identity call was answered, but not with an answer about the
    /// credentials: a server error, throttling, or an incomplete body, still
    /// so after every attempt.
    #[error("environment `{environment}`: AWS {service} unavailable (HTTP {status}) at {endpoint}, after {attempts} attempts: {reason}")]
    Unavailable {
        environment: String,
        service: String,
        status: u16,
        endpoint: String,
        attempts: u32,
        reason: String,
    },
    #[error("environment `{environment}`: {var}={value:?} is not a number of seconds (a whole number, at least 1)")]
    Setting {
        environment: String,
        var: String,
        value: String,
    },
    #[error(
        "environment `{environment}`: no AWS region: set `region` in its `aws` table or AWS_REGION"
    )]
    NoRegion { environment: String },
    #[error("environment `{environment}`: cannot start the AWS client runtime: {reason}")]
    Runtime { environment: String, reason: String },
    /// `ListStackResources` failed: without the stack's resources a live
    /// read of a CloudFormation environment has no addresses.
    #[error("environment `{environment}`: cannot list the resources of CloudFormation stack `{stack}` in {region}: {reason}")]
    Stack {
        environment: String,
        stack: String,
        region: String,
        reason: String,
    },
}

/// API calls and time of one service in one collection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Operations called (a retried call counts once), by operation name.
    pub operations: BTreeMap<String, u64>,
    /// Wall time from the service's first call to its last answer (summed
    /// over regions for regional services).
    pub elapsed: Duration,
}

impl ServiceStats {
    /// Operations called, all names together.
    pub fn calls(&self) -> u64 {
        self.operations.values().sum()
    }
}

/// What a collection cost, next to the snapshot it produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectStats {
    /// The account the credentials belong to (from STS GetCallerIdentity);
    /// use it to normalize account ids when parity.toml has no `account-id`.
    pub account_id: String,
    /// The regions read.
    pub regions: Vec<String>,
    /// By service: `ec2`, `rds`, `iam`, `sts`.
    pub services: BTreeMap<String, ServiceStats>,
    /// Operations the read-only guard refused (always empty unless a
    /// collector is broken; tests assert it).
    pub refused: Vec<String>,
    /// Wall time of the whole collection.
    pub elapsed: Duration,
}

impl CollectStats {
    /// Operations called over all services.
    pub fn calls(&self) -> u64 {
        self.services.values().map(ServiceStats::calls).sum()
    }

    /// HTTP requests sent over all services, retries included.
    pub fn requests(&self) -> u64 {
        self.services.values().map(|s| s.requests).sum()
    }

    /// Every operation called, as `service:Operation`, sorted.
    pub fn operations(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .services
            .iter()
            .flat_map(|(svc, s)| s.operations.keys().map(move |op| format!("{svc}:{op}")))
            .collect();
        out.sort();
        out
    }
}

/// Read one environment's live resources.
pub fn collect(env_name: &str, settings: &AwsSettings) -> Result<Snapshot, AwsError> {
    collect_with_stats(env_name, settings).map(|(snapshot, _)| snapshot)
}

/// Read one environment's live resources, with the API calls and time spent.
pub fn collect_with_stats(
    env_name: &str,
    settings: &AwsSettings,
) -> Result<(Snapshot, CollectStats), AwsError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AwsError::Runtime {
            environment: env_name.to_string(),
            reason: e.to_string(),
        })?;
    runtime.block_on(collect_async(env_name, settings))
}

/// The async form of [`collect_with_stats`], for callers with a runtime.
pub async fn collect_async(
    env_name: &str,
    settings: &AwsSettings,
) -> Result<(Snapshot, CollectStats), AwsError> {
    let started = Instant::now();
    let clients = client::Clients::connect(env_name, settings).await?;
    let verify_started = Instant::now();
    let account_id = clients.verify(env_name, settings).await?;
    let verify_took = verify_started.elapsed();
    let progress = progress_bar(env_name, settings.progress);
    let exec = exec::Exec::new(settings.concurrency, progress.clone());
    let scope = Arc::new(Scope::new(settings));

    let mut tasks = tokio::task::JoinSet::new();
    for regional in &clients.regions {
        let (ctx, ec2) = (exec.ctx(&regional.region), regional.ec2.clone());
        let scope2 = scope.clone();
        tasks.spawn(async move {
            let t = Instant::now();
            let drafts = ec2::collect(&ctx, &ec2, &scope2).await;
            ("ec2", t.elapsed(), drafts)
        });
        let (ctx, rds) = (exec.ctx(&regional.region), regional.rds.clone());
        let scope2 = scope.clone();
        tasks.spawn(async move {
            let t = Instant::now();
            let drafts = rds::collect(&ctx, &rds, &scope2).await;
            ("rds", t.elapsed(), drafts)
        });
    }
    {
        let ctx = exec.ctx("global");
        let iam = clients.iam.clone();
        let scope2 = scope.clone();
        tasks.spawn(async move {
            let t = Instant::now();
            let drafts = iam::collect(&ctx, &iam, &scope2).await;
            ("iam", t.elapsed(), drafts)
        });
    }

    let mut drafts = Vec::new();
    let mut elapsed: HashMap<&str, Duration> = HashMap::from([("sts", verify_took)]);
    let collectors = tasks.len();
    let mut done = 0;
    progress.set_message(format!("0 of {collectors} collectors done"));
    while let Some(joined) = tasks.join_next().await {
        done += 1;
        match joined {
            Ok((service, took, mut found)) => {
                *elapsed.entry(service).or_default() += took;
                drafts.append(&mut found);
            }
            // A collector that panicked: its resources are missing, so say so.
            Err(e) => exec.gap("collector", &format!("stopped unexpectedly: {e}")),
        }
        progress.set_message(format!("{done} of {collectors} collectors done"));
    }
    progress.finish_and_clear();

    let mut snapshot = Snapshot::new(env_name, SourceKind::Live);
    snapshot.resources = draft::finish(drafts);
    snapshot.coverage = exec.take_gaps();

    let mut stats = clients.guard.stats();
    for (service, took) in elapsed {
        stats
            .services
            .entry(service.to_string())
            .or_default()
            .elapsed = took;
    }
    stats.account_id = account_id;
    stats.regions = clients.regions.iter().map(|r| r.region.clone()).collect();
    stats.elapsed = started.elapsed();
    Ok((snapshot, stats))
}

/// A progress bar on stderr when asked and stderr is a terminal; a hidden
/// one (which draws nothing) otherwise.
fn progress_bar(env_name: &str, wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{spinner} {prefix}: {pos} AWS calls answered, {msg} [{elapsed}]",
    )
    .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        .with_style(style)
        .with_prefix(env_name.to_string())
        .with_message("starting");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The Terraform types the collectors produce, with the service that
/// reads them.
pub const COLLECTED_TYPES: &[(&str, &str)] = &[
    ("aws_default_security_group", "ec2"),
    ("aws_default_subnet", "ec2"),
    ("aws_default_vpc", "ec2"),
    ("aws_instance", "ec2"),
    ("aws_internet_gateway", "ec2"),
    ("aws_launch_template", "ec2"),
    ("aws_nat_gateway", "ec2"),
    ("aws_route_table", "ec2"),
    ("aws_route_table_association", "ec2"),
    ("aws_security_group", "ec2"),
    ("aws_subnet", "ec2"),
    ("aws_vpc", "ec2"),
    ("aws_db_instance", "rds"),
    ("aws_db_parameter_group", "rds"),
    ("aws_db_subnet_group", "rds"),
    ("aws_docdb_cluster", "rds"),
    ("aws_neptune_cluster", "rds"),
    ("aws_rds_cluster", "rds"),
    ("aws_rds_cluster_instance", "rds"),
    ("aws_rds_cluster_parameter_group", "rds"),
    ("aws_iam_instance_profile", "iam"),
    ("aws_iam_policy", "iam"),
    ("aws_iam_role", "iam"),
    ("aws_iam_role_policy", "iam"),
    ("aws_iam_role_policy_attachment", "iam"),
];

/// The service that reads a Terraform type, when a collector does.
pub fn service_of(rtype: &str) -> Option<&'static str> {
    COLLECTED_TYPES
        .iter()
        .find(|(t, _)| *t == rtype)
        .map(|(_, s)| *s)
}

/// The ids each resource of a state is known by, for [`readdress`]:
/// (type, `id`) for every managed resource; also (type, `identifier`) for
/// databases (AWS provider 4 used it as the id) and (type,
/// `role/policy-arn`) for policy attachments, whose Terraform id is random.
/// `state` as read, not normalized.
pub fn state_index(state: &Snapshot) -> HashMap<(String, String), String> {
    let targets = Targets::new(state);
    let text = |r: &Resource, k: &str| -> Option<String> {
        match targets.value_of(state, &r.key, r.attributes.get(k)?) {
            Value::String(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    };
    let mut by_id = HashMap::new();
    for r in state.resources.iter().filter(|r| !r.data) {
        let mut ids: Vec<String> = text(r, "id").into_iter().collect();
        if r.rtype.starts_with("aws_db_instance") || r.rtype == "aws_rds_cluster_instance" {
            ids.extend(text(r, "identifier"));
        }
        if r.rtype == "aws_iam_role_policy_attachment" {
            if let (Some(role), Some(arn)) = (text(r, "role"), text(r, "policy_arn")) {
                ids.push(format!("{role}/{arn}"));
            }
        }
        for id in ids {
            by_id
                .entry((r.rtype.clone(), id))
                .or_insert_with(|| r.address.clone());
        }
    }
    by_id
}

/// The addresses of the state resources a live read with `settings` would
/// have found if they existed: a type the collectors read, whose service
/// had no coverage gap (`gaps` of the live snapshot: a denied list call
/// proves nothing about absence), inside the read's scope (the `tags` for
/// EC2 and RDS, as `tags_all` records them; name tokens and path for IAM;
/// a route table association with its route table, a DB parameter or
/// subnet group with a database that uses it). Only these can be
/// `missing`. `state` as read, not normalized.
pub fn live_scope(
    settings: &AwsSettings,
    state: &Snapshot,
    gaps: &[CoverageGap],
) -> BTreeSet<String> {
    let blind: BTreeSet<&str> = gaps
        .iter()
        .map(|g| {
            g.what
                .split_once(':')
                .map_or(g.what.as_str(), |(svc, _)| svc)
        })
        .collect();
    let all_blind = blind.contains("collector");
    let scope = Scope::new(settings);
    let targets = Targets::new(state);
    let text = |r: &Resource, k: &str| -> Option<String> {
        match targets.value_of(state, &r.key, r.attributes.get(k)?) {
            Value::String(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    };
    let tagged = |r: &Resource| {
        let tags = r
            .attributes
            .get("tags_all")
            .filter(|t| t.as_map().is_some_and(|m| !m.is_empty()))
            .or_else(|| r.attributes.get("tags"))
            .and_then(Value::as_map);
        scope.tags_match(
            tags.into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))),
        )
    };
    let iam_path = |r: &Resource| {
        scope
            .iam_path
            .as_deref()
            .is_none_or(|p| text(r, "path").is_some_and(|path| path.starts_with(p)))
    };
    let iam_name = |name: Option<String>| name.is_some_and(|n| scope.iam_name_matches(&n));

    let managed: Vec<&Resource> = state
        .resources
        .iter()
        .filter(|r| !r.data)
        .filter(|r| service_of(&r.rtype).is_some_and(|svc| !all_blind && !blind.contains(svc)))
        .collect();
    // Tagged EC2 and RDS resources first: associations and groups follow
    // what uses them.
    let mut judged: BTreeSet<String> = BTreeSet::new();
    let mut used_groups: BTreeSet<String> = BTreeSet::new();
    let mut tables: BTreeSet<String> = BTreeSet::new();
    for r in &managed {
        let direct = match r.rtype.as_str() {
            "aws_route_table_association"
            | "aws_db_parameter_group"
            | "aws_rds_cluster_parameter_group"
            | "aws_db_subnet_group" => continue,
            "aws_iam_role" => {
                iam_name(text(r, "name")) && iam_path(r) && !is_aws_managed_path(text(r, "path"))
            }
            "aws_iam_policy" => iam_name(text(r, "name")) && iam_path(r),
            "aws_iam_role_policy" | "aws_iam_role_policy_attachment" => iam_name(text(r, "role")),
            "aws_iam_instance_profile" => iam_name(text(r, "name")) || iam_name(text(r, "role")),
            _ => tagged(r),
        };
        if !direct {
            continue;
        }
        judged.insert(r.address.clone());
        if r.rtype == "aws_route_table" {
            tables.extend(text(r, "id"));
        }
        for k in [
            "parameter_group_name",
            "db_subnet_group_name",
            "db_cluster_parameter_group_name",
        ] {
            used_groups.extend(text(r, k));
        }
    }
    let scoped = !scope.tags.is_empty();
    for r in &managed {
        let follows = match r.rtype.as_str() {
            "aws_route_table_association" => {
                !scoped || text(r, "route_table_id").is_some_and(|t| tables.contains(&t))
            }
            "aws_db_parameter_group"
            | "aws_rds_cluster_parameter_group"
            | "aws_db_subnet_group" => {
                let name = text(r, "name").or_else(|| text(r, "id"));
                name.is_some_and(|n| {
                    !n.starts_with("default.")
                        && n != "default"
                        && (!scoped || used_groups.contains(&n))
                })
            }
            _ => continue,
        };
        if follows {
            judged.insert(r.address.clone());
        }
    }
    judged
}

fn is_aws_managed_path(path: Option<String>) -> bool {
    path.is_some_and(|p| p.starts_with("/aws-service-role/") || p.starts_with("/aws-reserved/"))
}

/// What to read: tags for EC2 and RDS, name tokens and a path for IAM.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub tags: BTreeMap<String, String>,
    pub iam_tokens: Vec<String>,
    pub iam_path: Option<String>,
    pub iam_bulk: bool,
}

impl Scope {
    fn new(settings: &AwsSettings) -> Scope {
        Scope {
            tags: settings.tags.clone(),
            iam_tokens: settings
                .iam_name_tokens
                .iter()
                .filter(|t| !t.is_empty())
                .map(|t| t.to_lowercase())
                .collect(),
            iam_path: settings.iam_path_prefix.clone(),
            iam_bulk: settings.iam_bulk,
        }
    }

    /// True when a resource's tags hold every scoping tag.
    pub fn tags_match<'a>(&self, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
        if self.tags.is_empty() {
            return true;
        }
        let have: HashMap<&str, &str> = tags.into_iter().collect();
        self.tags
            .iter()
            .all(|(k, v)| have.get(k.as_str()) == Some(&v.as_str()))
    }

    /// True when an IAM name is in scope.
    pub fn iam_name_matches(&self, name: &str) -> bool {
        self.iam_tokens.is_empty() || self.iam_tokens.iter().any(|t| has_segment(name, t))
    }
}

/// `token` stands in `name` as a segment: not inside a longer word.
fn has_segment(name: &str, token: &str) -> bool {
    let lower = name.to_lowercase();
    let bytes = lower.as_bytes();
    lower.match_indices(token).any(|(i, m)| {
        let end = i + m.len();
        (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && (end == bytes.len() || !bytes[end].is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_names_match_tokens_as_segments() {
        let scope = Scope {
            iam_tokens: vec!["staging".into(), "stg".into()],
            ..Scope::default()
        };
        assert!(scope.iam_name_matches("shop-staging-api"));
        assert!(scope.iam_name_matches("STG-deployer"));
        assert!(!scope.iam_name_matches("shop-prod-api"));
        assert!(!scope.iam_name_matches("shop-stagingx"));
    }

    #[test]
    fn tags_must_all_match() {
        let scope = Scope {
            tags: [("Environment".to_string(), "staging".to_string())].into(),
            ..Scope::default()
        };
        assert!(scope.tags_match([("Environment", "staging"), ("Name", "x")]));
        assert!(!scope.tags_match([("Environment", "prod")]));
        assert!(!scope.tags_match([]));
    }

    fn state_resource(address: &str, attrs: &[(&str, Value)]) -> Resource {
        let rtype = address
            .split('.')
            .find(|s| s.starts_with("aws_"))
            .unwrap_or_default()
            .to_string();
        let mut r = Resource::new(
            address,
            rtype,
            crate::model::Location::new("s.tfstate", Some(1)),
        );
        for (k, v) in attrs {
            r.attributes.insert(k.to_string(), v.clone());
        }
        r
    }

    fn env_tags(env: &str) -> Value {
        Value::Map([("Environment".to_string(), Value::from(env))].into())
    }

    #[test]
    fn live_scope_mirrors_what_the_collectors_read() {
        let mut state = Snapshot::new("staging", SourceKind::State);
        state.resources = vec![
            state_resource(
                "aws_vpc.main",
                &[
                    ("id", Value::from("vpc-1")),
                    ("tags_all", env_tags("staging")),
                ],
            ),
            state_resource(
                "aws_vpc.other",
                &[("id", Value::from("vpc-2")), ("tags_all", env_tags("prod"))],
            ),
            state_resource(
                "aws_route_table.rt",
                &[("id", Value::from("rtb-1")), ("tags", env_tags("staging"))],
            ),
            state_resource(
                "aws_route_table_association.a",
                &[
                    ("id", Value::from("rtbassoc-1")),
                    (
                        "route_table_id",
                        Value::Unknown("aws_route_table.rt.id".into()),
                    ),
                ],
            ),
            state_resource(
                "aws_route_table_association.b",
                &[
                    ("id", Value::from("rtbassoc-2")),
                    ("route_table_id", Value::from("rtb-elsewhere")),
                ],
            ),
            state_resource(
                "aws_db_instance.db",
                &[
                    ("id", Value::from("db-1")),
                    ("tags_all", env_tags("staging")),
                    ("parameter_group_name", Value::from("shop-pg")),
                ],
            ),
            state_resource(
                "aws_db_parameter_group.pg",
                &[
                    ("id", Value::from("shop-pg")),
                    ("name", Value::from("shop-pg")),
                ],
            ),
            state_resource(
                "aws_db_parameter_group.unused",
                &[("id", Value::from("x-pg")), ("name", Value::from("x-pg"))],
            ),
            state_resource(
                "aws_iam_role.api",
                &[
                    ("id", Value::from("shop-staging-api")),
                    ("name", Value::from("shop-staging-api")),
                ],
            ),
            state_resource(
                "aws_iam_role.ci",
                &[
                    ("id", Value::from("shop-ci")),
                    ("name", Value::from("shop-ci")),
                ],
            ),
            state_resource(
                "aws_iam_role_policy.p",
                &[
                    ("id", Value::from("shop-staging-api:p")),
                    ("role", Value::from("shop-staging-api")),
                ],
            ),
            state_resource("aws_s3_bucket.logs", &[("id", Value::from("logs"))]),
        ];
        let settings = AwsSettings {
            tags: [("Environment".to_string(), "staging".to_string())].into(),
            iam_name_tokens: vec!["staging".into()],
            ..AwsSettings::default()
        };
        let judged = live_scope(&settings, &state, &[]);
        assert_eq!(
            judged.iter().map(String::as_str).collect::<Vec<_>>(),
            vec![
                "aws_db_instance.db",
                "aws_db_parameter_group.pg",
                "aws_iam_role.api",
                "aws_iam_role_policy.p",
                "aws_route_table.rt",
                "aws_route_table_association.a",
                "aws_vpc.main",
            ]
        );
        // A denied RDS call proves nothing about RDS resources.
        let gap = CoverageGap {
            what: "rds:DescribeDBInstances (eu-west-1)".into(),
            reason: "access denied".into(),
        };
        let judged = live_scope(&settings, &state, &[gap]);
        assert!(
            !judged.iter().any(|a| a.starts_with("aws_db_")),
            "{judged:?}"
        );
        assert!(judged.contains("aws_vpc.main"));
    }

    #[test]
    fn state_ids_include_identifiers_and_attachment_pairs() {
        let mut state = Snapshot::new("staging", SourceKind::State);
        state.resources = vec![
            state_resource(
                "aws_db_instance.db",
                &[
                    ("id", Value::from("db-RES")),
                    ("identifier", Value::from("shop-db")),
                ],
            ),
            state_resource(
                "aws_iam_policy.logs",
                &[
                    ("id", Value::from("arn:aws:iam::1:policy/logs")),
                    ("arn", Value::from("arn:aws:iam::1:policy/logs")),
                ],
            ),
            state_resource(
                "aws_iam_role_policy_attachment.logs",
                &[
                    ("id", Value::from("api-2026")),
                    ("role", Value::from("api")),
                    (
                        "policy_arn",
                        Value::Unknown("aws_iam_policy.logs.id".into()),
                    ),
                ],
            ),
        ];
        let index = state_index(&state);
        let get = |t: &str, id: &str| index.get(&(t.to_string(), id.to_string())).cloned();
        assert_eq!(
            get("aws_db_instance", "shop-db").as_deref(),
            Some("aws_db_instance.db")
        );
        assert_eq!(
            get("aws_db_instance", "db-RES").as_deref(),
            Some("aws_db_instance.db")
        );
        assert_eq!(
            get(
                "aws_iam_role_policy_attachment",
                "api/arn:aws:iam::1:policy/logs"
            )
            .as_deref(),
            Some("aws_iam_role_policy_attachment.logs")
        );
        assert_eq!(service_of("aws_iam_role_policy"), Some("iam"));
        assert_eq!(service_of("aws_s3_bucket"), None);
    }

    #[test]
    fn settings_from_an_environment() {
        let aws = AwsTable {
            profile: Some("staging".into()),
            tags: [("Environment".to_string(), "staging".to_string())].into(),
            ..Default::default()
        };
        let s = AwsSettings::from_table(&aws, "staging", &["stg".into()], Some("eu-west-1"));
        assert_eq!(s.regions, vec!["eu-west-1".to_string()]);
        assert_eq!(s.iam_name_tokens, vec!["staging".to_string(), "stg".into()]);
        assert_eq!(s.credential_source(), "profile `staging`");
    }
}
