//! The live source: reads one environment's AWS account through the AWS SDK
//! for Rust into a [`Snapshot`] with Terraform type and attribute names, so
//! the rules that judge code and state judge live resources too.
//!
//! Layout: [`client`] builds the SDK clients (credentials, assume-role,
//! endpoint, adaptive retries) and the read-only guard every client carries;
//! [`exec`] runs calls and pages under one concurrency bound and turns failed
//! calls into coverage gaps; [`ec2`], [`rds`] and [`iam`] map what they read
//! onto Terraform types; [`draft`] gives every resource its key and rewrites
//! ids that point at other collected resources into symbolic references.
//!
//! Only read APIs are called: [`client::ALLOWED_OPERATIONS`] lists them, and
//! the guard refuses any other operation before it is sent (see
//! docs/permissions.md for the matching IAM policy).

pub mod client;
mod draft;
mod ec2;
mod exec;
mod iam;
mod rds;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Environment;
use crate::model::{Snapshot, SourceKind};

pub use client::{StaticCredentials, ALLOWED_OPERATIONS};
pub use draft::{readdress, Readdressed};

/// How to reach one environment's account: built from the `aws` table of an
/// environment in parity.toml ([`AwsSettings::from_environment`]), or by hand.
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
        }
    }
}

/// Calls in flight at once by default: enough to hide latency, well under
/// the per-account request rates of EC2, RDS and IAM.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Attempts per call by default (the SDK's standard is 3; throttling on a
/// large account needs a few more).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;

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
            .finish()
    }
}

impl AwsSettings {
    /// The settings of an environment that has an `aws` table. The region is
    /// the table's, else the environment's. When `tags` narrow EC2 and RDS,
    /// IAM is narrowed to names holding the environment's name or an alias.
    pub fn from_environment(env: &Environment) -> Option<AwsSettings> {
        let aws = env.aws.as_ref()?;
        let region = aws.region.clone().or_else(|| env.region.clone());
        let iam_name_tokens = if aws.tags.is_empty() {
            Vec::new()
        } else {
            std::iter::once(env.name.clone())
                .chain(env.aliases.iter().cloned())
                .collect()
        };
        Some(AwsSettings {
            profile: aws.profile.clone(),
            regions: region.into_iter().collect(),
            role_arn: aws.role_arn.clone(),
            external_id: aws.external_id.clone(),
            endpoint_url: aws.endpoint_url.clone(),
            tags: aws.tags.clone(),
            iam_name_tokens,
            ..AwsSettings::default()
        })
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
    #[error(
        "environment `{environment}`: no AWS region: set `region` in its `aws` table or AWS_REGION"
    )]
    NoRegion { environment: String },
    #[error("environment `{environment}`: cannot start the AWS client runtime: {reason}")]
    Runtime { environment: String, reason: String },
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
    let exec = exec::Exec::new(settings.concurrency);
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
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((service, took, mut found)) => {
                *elapsed.entry(service).or_default() += took;
                drafts.append(&mut found);
            }
            // A collector that panicked: its resources are missing, so say so.
            Err(e) => exec.gap("collector", &format!("stopped unexpectedly: {e}")),
        }
    }

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

/// What to read: tags for EC2 and RDS, name tokens and a path for IAM.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub tags: BTreeMap<String, String>,
    pub iam_tokens: Vec<String>,
    pub iam_path: Option<String>,
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

    #[test]
    fn settings_from_an_environment() {
        let env = Environment {
            name: "staging".into(),
            aliases: vec!["stg".into()],
            account_id: None,
            region: Some("eu-west-1".into()),
            terraform: None,
            state: None,
            aws: Some(crate::config::AwsSource {
                profile: Some("staging".into()),
                tags: [("Environment".to_string(), "staging".to_string())].into(),
                ..Default::default()
            }),
            line: 1,
        };
        let s = AwsSettings::from_environment(&env).expect("aws table");
        assert_eq!(s.regions, vec!["eu-west-1".to_string()]);
        assert_eq!(s.iam_name_tokens, vec!["staging".to_string(), "stg".into()]);
        assert_eq!(s.credential_source(), "profile `staging`");
    }
}
