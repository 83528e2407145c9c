//! SDK clients for one environment, and the read-only guard they all carry.
//!
//! Credentials come from aws-config's standard chain (environment, shared
//! profile, SSO, web identity, container, instance metadata), a named
//! profile, or fixed keys; a `role-arn` is then assumed through STS. Every
//! client retries adaptively (client-side rate limiting on throttling), has
//! a bound on every network wait (`AwsSettings::stall_timeout`), and (but
//! S3) carries `WholeAnswers` (`whole.rs`), so a body cut
//! short is a failed, retried attempt and never a shorter list.
//!
//! The [`Guard`] is an SDK interceptor: it sees the name of every operation
//! before the request is serialized, counts it, and refuses (fails the call
//! before anything is sent) any operation that is not in
//! [`ALLOWED_OPERATIONS`] or whose name does not start with `Describe`,
//! `List` or `Get`. So "parity only reads" holds by construction, not by
//! review; docs/permissions.md lists the same operations as IAM actions.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::whole::WholeAnswers;
use super::{AwsError, AwsSettings, CollectStats, ATTEMPT_TIMEOUT_FACTOR, STALL_TIMEOUT_VAR};

/// Every operation the collectors may call, as (service, operation). The
/// service is the SDK's name for it, lower-cased. docs/permissions.md turns
/// this list into an IAM policy; a test keeps the two in step.
pub const ALLOWED_OPERATIONS: &[(&str, &str)] = &[
    // The resources of a CloudFormation environment's stack, for the live
    // read's addresses (src/sources/aws/stack.rs).
    ("cloudformation", "ListStackResources"),
    // Facts for data sources (`data-live`, src/sources/aws/facts.rs).
    ("ec2", "DescribeAvailabilityZones"),
    ("ec2", "DescribeImages"),
    ("ec2", "DescribeInstances"),
    ("ec2", "DescribeInternetGateways"),
    ("ec2", "DescribeLaunchTemplateVersions"),
    ("ec2", "DescribeLaunchTemplates"),
    ("ec2", "DescribeNatGateways"),
    ("ec2", "DescribeRouteTables"),
    ("ec2", "DescribeSecurityGroups"),
    ("ec2", "DescribeSubnets"),
    ("ec2", "DescribeVpcs"),
    ("iam", "GetAccountAuthorizationDetails"),
    ("iam", "GetPolicy"),
    ("iam", "GetPolicyVersion"),
    ("iam", "GetRolePolicy"),
    ("iam", "ListAttachedRolePolicies"),
    ("iam", "ListInstanceProfiles"),
    ("iam", "ListPolicies"),
    ("iam", "ListRolePolicies"),
    ("iam", "ListRoles"),
    ("rds", "DescribeDBClusterParameterGroups"),
    ("rds", "DescribeDBClusterParameters"),
    ("rds", "DescribeDBClusters"),
    ("rds", "DescribeDBInstances"),
    ("rds", "DescribeDBParameterGroups"),
    ("rds", "DescribeDBParameters"),
    ("rds", "DescribeDBSubnetGroups"),
    // State files on S3 (`state = { path = "s3://..." }`, src/sources/state/s3.rs).
    ("s3", "GetObject"),
    ("sts", "GetCallerIdentity"),
];

/// Operation name prefixes of read APIs.
const READ_PREFIXES: &[&str] = &["Describe", "List", "Get"];

/// Fixed credentials (an emulator's fake keys). The secret never appears in
/// `Debug` output.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Counts operations and requests per service, and refuses anything that
/// is not a read.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    state: Arc<Mutex<GuardState>>,
}

#[derive(Debug, Default)]
struct GuardState {
    /// service -> operation -> calls.
    operations: BTreeMap<String, BTreeMap<String, u64>>,
    /// service -> HTTP requests (attempts).
    requests: BTreeMap<String, u64>,
    refused: Vec<String>,
}

/// True when the guard lets `service:operation` through.
pub fn is_allowed(service: &str, operation: &str) -> bool {
    READ_PREFIXES.iter().any(|p| operation.starts_with(p))
        && ALLOWED_OPERATIONS
            .iter()
            .any(|(s, o)| *s == service && *o == operation)
}

fn operation_of(cfg: &ConfigBag) -> (String, String) {
    match cfg.load::<Metadata>() {
        Some(m) => (m.service().to_lowercase(), m.name().to_string()),
        None => ("unknown".into(), "unknown".into()),
    }
}

/// Why the guard failed a call.
#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parity is read-only: refused to call {} (not a Describe/List/Get operation of the allow-list)",
            self.0
        )
    }
}

impl StdError for Refused {}

impl Guard {
    fn lock(&self) -> std::sync::MutexGuard<'_, GuardState> {
        // Counters stay meaningful even if a holder panicked.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Calls and refusals so far.
    pub fn stats(&self) -> CollectStats {
        let state = self.lock();
        let mut stats = CollectStats::default();
        for (service, ops) in &state.operations {
            stats
                .services
                .entry(service.clone())
                .or_default()
                .operations = ops.clone();
        }
        for (service, n) in &state.requests {
            stats.services.entry(service.clone()).or_default().requests = *n;
        }
        stats.refused = state.refused.clone();
        stats
    }
}

impl Intercept for Guard {
    fn name(&self) -> &'static str {
        "parity-read-only-guard"
    }

    // Runs once per operation, after the operation's configuration (and so
    // its `Metadata`) is in the bag and before the request is serialized.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, op) = operation_of(cfg);
        let mut state = self.lock();
        *state
            .operations
            .entry(service.clone())
            .or_default()
            .entry(op.clone())
            .or_default() += 1;
        if is_allowed(&service, &op) {
            Ok(())
        } else {
            let name = format!("{service}:{op}");
            state.refused.push(name.clone());
            Err(Box::new(Refused(name)))
        }
    }

    // Runs once per HTTP attempt, retries included.
    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, _) = operation_of(cfg);
        *self.lock().requests.entry(service).or_default() += 1;
        Ok(())
    }
}

/// The regional clients of one region.
#[derive(Debug, Clone)]
pub struct RegionalClients {
    pub region: String,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
}

/// Every client one environment needs, all behind the same [`Guard`].
#[derive(Debug, Clone)]
pub struct Clients {
    pub regions: Vec<RegionalClients>,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub guard: Guard,
}

impl Clients {
    /// Build the clients: credentials (and the assumed role), regions,
    /// endpoint, retries. No request is sent yet; [`Clients::verify`] makes
    /// the first one.
    pub async fn connect(env_name: &str, settings: &AwsSettings) -> Result<Clients, AwsError> {
        let base = base_config(settings, settings.regions.first().cloned()).await;
        let regions: Vec<String> = if settings.regions.is_empty() {
            match base.region() {
                Some(r) => vec![r.to_string()],
                None => {
                    return Err(AwsError::NoRegion {
                        environment: env_name.to_string(),
                    })
                }
            }
        } else {
            settings.regions.clone()
        };
        let base = match &settings.role_arn {
            Some(role) => assume_role(&base, role, settings).await,
            None => base,
        };
        let guard = Guard::default();
        let shared = SharedInterceptor::new(guard.clone());
        let whole = SharedInterceptor::new(WholeAnswers);
        let regional = regions
            .iter()
            .map(|region| {
                let conf = base
                    .clone()
                    .into_builder()
                    .region(Region::new(region.clone()))
                    .build();
                RegionalClients {
                    region: region.clone(),
                    cloudformation: aws_sdk_cloudformation::Client::from_conf(
                        aws_sdk_cloudformation::config::Builder::from(&conf)
                            .interceptor(shared.clone())
                            .interceptor(whole.clone())
                            .build(),
                    ),
                    ec2: aws_sdk_ec2::Client::from_conf(
                        aws_sdk_ec2::config::Builder::from(&conf)
                            .interceptor(shared.clone())
                            .interceptor(whole.clone())
                            .build(),
                    ),
                    rds: aws_sdk_rds::Client::from_conf(
                        aws_sdk_rds::config::Builder::from(&conf)
                            .interceptor(shared.clone())
                            .interceptor(whole.clone())
                            .build(),
                    ),
                }
            })
            .collect();
        Ok(Clients {
            regions: regional,
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&base)
                    .interceptor(shared.clone())
                    .interceptor(whole.clone())
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&base)
                    .interceptor(shared)
                    .interceptor(whole)
                    .build(),
            ),
            guard,
        })
    }

    /// Check the credentials with STS GetCallerIdentity (which needs no
    /// permission) and return the account id. Failing here is an error of
    /// the whole environment, not a coverage gap. The call has the
    /// collectors' retries and timeouts: a passing 503 or throttle is
    /// ridden out, and one that lasts is named as such, not as a
    /// credentials problem.
    pub async fn verify(&self, env_name: &str, settings: &AwsSettings) -> Result<String, AwsError> {
        match self.sts.get_caller_identity().send().await {
            Ok(out) => Ok(out.account().unwrap_or_default().to_string()),
            Err(e) => Err(identity_error(env_name, settings, &e)),
        }
    }
}

/// What a failed `sts:GetCallerIdentity` says about the environment: the
/// endpoint cannot be reached (connection, timeout), STS is unavailable
/// (server error, throttling, an incomplete answer: nothing is known about
/// the credentials), or the credentials are not usable.
fn identity_error<E>(
    env_name: &str,
    settings: &AwsSettings,
    err: &SdkError<E, HttpResponse>,
) -> AwsError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let failure = ApiFailure::from_sdk(err);
    let endpoint =
        settings
            .endpoint_url
            .clone()
            .unwrap_or_else(|| match settings.regions.first() {
                Some(r) => format!("the STS endpoint of {r}"),
                None => "the STS endpoint".into(),
            });
    let unavailable = |status: u16| AwsError::Unavailable {
        environment: env_name.to_string(),
        service: "STS".into(),
        status,
        endpoint: endpoint.clone(),
        attempts: settings.max_attempts.max(1),
        reason: failure.to_string(),
    };
    match err {
        SdkError::TimeoutError(_) => AwsError::Unreachable {
            environment: env_name.to_string(),
            endpoint: endpoint.clone(),
            reason: failure.to_string(),
        },
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => AwsError::Unreachable {
            environment: env_name.to_string(),
            endpoint: endpoint.clone(),
            reason: failure.to_string(),
        },
        SdkError::ResponseError(r) => unavailable(r.raw().status().as_u16()),
        SdkError::ServiceError(se)
            if se.raw().status().is_server_error() || failure.is_throttled() =>
        {
            unavailable(se.raw().status().as_u16())
        }
        _ => AwsError::Credentials {
            environment: env_name.to_string(),
            tried: settings.credential_source(),
            reason: failure.to_string(),
        },
    }
}

/// The SDK configuration of one environment as the collectors use it
/// (credentials, assumed role, first region, endpoint, retries), for a
/// client of another service: the S3 state reader. Give that client a
/// [`Guard`] too.
pub async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
    let base = base_config(settings, settings.regions.first().cloned()).await;
    match &settings.role_arn {
        Some(role) => assume_role(&base, role, settings).await,
        None => base,
    }
}

async fn base_config(settings: &AwsSettings, region: Option<String>) -> SdkConfig {
    let retry = RetryConfig::adaptive().with_max_attempts(settings.max_attempts.max(1));
    let stall = settings.stall_timeout.max(Duration::from_millis(100));
    // Every wait is bounded: connecting, the first byte of an answer (the
    // SDK sets neither by default), a body that stops arriving, and the
    // attempt as a whole.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(stall)
        .read_timeout(stall)
        .operation_attempt_timeout(stall * ATTEMPT_TIMEOUT_FACTOR)
        .build();
    let stalls = StalledStreamProtectionConfig::enabled()
        .grace_period(stall)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry)
        .timeout_config(timeouts)
        .stalled_stream_protection(stalls);
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(c) = &settings.credentials {
        loader = loader.credentials_provider(Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
            None,
            "parity-static",
        ));
    }
    loader.load().await
}

async fn assume_role(base: &SdkConfig, role: &str, settings: &AwsSettings) -> SdkConfig {
    let mut builder = AssumeRoleProvider::builder(role)
        .session_name("parity")
        .configure(base);
    if let Some(id) = &settings.external_id {
        builder = builder.external_id(id);
    }
    let provider = builder.build().await;
    base.clone()
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// A failed call, in one line: the service's error code and message, or
/// the innermost cause of a transport failure. Never the SDK's debug dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub code: Option<String>,
    pub message: String,
}

/// Error codes AWS services return when a caller lacks a permission.
const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
];

/// Error codes of throttling (returned once retries are exhausted).
const THROTTLED_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
];

impl ApiFailure {
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> ApiFailure
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        match err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                let raw = se.raw();
                let body = raw
                    .body()
                    .bytes()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                // Some endpoints (emulators) wrap errors in a shape the SDK
                // does not parse; the code and message are still in the body.
                let code = e
                    .code()
                    .map(str::to_string)
                    .or_else(|| xml_field(&body, "Code"))
                    .or_else(|| (raw.status().as_u16() == 403).then(|| "AccessDenied".to_string()));
                let message = e
                    .message()
                    .map(str::to_string)
                    .or_else(|| xml_field(&body, "Message"))
                    .unwrap_or_else(|| format!("HTTP status {}", raw.status().as_u16()));
                ApiFailure { code, message }
            }
            SdkError::TimeoutError(_) => ApiFailure::timed_out(err),
            SdkError::DispatchFailure(d) if d.is_timeout() => ApiFailure::timed_out(err),
            // Dispatch failed: no answer came, whether or not the request
            // went out (a connection dropped after the request was sent
            // lands here too).
            SdkError::DispatchFailure(d) => ApiFailure {
                code: None,
                message: format!("no answer: {}", innermost(err).trim()),
            }
            .with_io(d.is_io()),
            _ => ApiFailure {
                code: None,
                message: innermost(err),
            },
        }
    }

    /// A wait that ran out (connect, first byte, stalled body, attempt).
    fn timed_out(err: &(dyn StdError + 'static)) -> ApiFailure {
        let inner = innermost(err);
        let message = if inner.eq_ignore_ascii_case("timed out") {
            format!("timed out waiting for AWS ({STALL_TIMEOUT_VAR} sets the wait)")
        } else {
            format!("timed out waiting for AWS: {inner} ({STALL_TIMEOUT_VAR} sets the wait)")
        };
        ApiFailure {
            code: None,
            message,
        }
    }

    fn with_io(mut self, io: bool) -> Self {
        if io {
            self.message = self.message.replacen("no answer", "connection failed", 1);
        }
        self
    }

    pub fn is_denied(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| DENIED_CODES.contains(&c))
    }

    pub fn is_throttled(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| THROTTLED_CODES.contains(&c))
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) if self.message.is_empty() => f.write_str(code),
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The text of the first `<name>` element of an XML error body.
fn xml_field(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))? + start;
    let text = body[start..end].trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The deepest error of a chain: the one that says what actually happened
/// ("connection refused", "profile `x` is not defined").
fn innermost(err: &(dyn StdError + 'static)) -> String {
    let mut cur: &(dyn StdError + 'static) = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text = cur.to_string();
    let line = text.lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        "unknown error".into()
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_reads_are_allowed() {
        assert!(is_allowed("ec2", "DescribeVpcs"));
        assert!(is_allowed("iam", "GetRolePolicy"));
        assert!(!is_allowed("ec2", "CreateVpc"));
        assert!(!is_allowed("ec2", "DescribeAddresses"));
        assert!(!is_allowed("rds", "DescribeVpcs"));
    }

    #[test]
    fn allow_list_holds_reads_only_and_is_sorted() {
        for (s, o) in ALLOWED_OPERATIONS {
            assert!(
                READ_PREFIXES.iter().any(|p| o.starts_with(p)),
                "{s}:{o} is not a read"
            );
        }
        let mut sorted = ALLOWED_OPERATIONS.to_vec();
        sorted.sort();
        assert_eq!(sorted, ALLOWED_OPERATIONS);
    }

    #[test]
    fn documented_policy_matches_the_allow_list() {
        let doc = include_str!("../../../docs/permissions.md");
        for (s, o) in ALLOWED_OPERATIONS {
            if *s == "sts" {
                continue; // GetCallerIdentity needs no permission
            }
            let action = format!("\"{s}:{o}\"");
            assert!(doc.contains(&action), "docs/permissions.md lacks {action}");
        }
        let listed = doc.matches("\"cloudformation:").count()
            + doc.matches("\"ec2:").count()
            + doc.matches("\"rds:").count()
            + doc.matches("\"iam:").count()
            + doc.matches("\"s3:").count();
        assert_eq!(listed, ALLOWED_OPERATIONS.len() - 1);
    }
}
