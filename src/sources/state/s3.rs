//! State (and plan) files on S3: `state = { path = "s3://bucket/key" }`.
//!
//! The object is read with one `GetObject` through the AWS SDK, with the
//! credentials of the environment's `aws` table in parity.toml (profile,
//! region, role-arn, external-id, endpoint-url), built exactly as the live
//! collectors build theirs (src/sources/aws/client.rs) and behind the same
//! read-only guard. The body is streamed into the parser that reads local
//! files (`super::parse_reader`): memory holds the snapshot and one block,
//! never the whole object. Every failure is one sentence naming the URL;
//! the SDK's debug output never reaches the user.
//!
//! Without the `aws` feature an `s3://` URL is an error that says so.
//!
//! The reader runs its own Tokio runtime and blocks on it: call the loaders
//! from synchronous code (from async code, through `spawn_blocking`).

use crate::sources::aws::AwsTable;

use super::StateError;

/// A parsed `s3://bucket/key` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub key: String,
}

/// True when a configured state path is a URL (`scheme://...`), not a file.
pub fn is_url(path: &str) -> bool {
    path.contains("://")
}

impl S3Url {
    /// Parse a URL of the configuration. Any other scheme is
    /// [`StateError::Remote`]; an `s3://` URL without bucket or key is
    /// [`StateError::BadUrl`].
    pub fn parse(url: &str) -> Result<S3Url, StateError> {
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(StateError::Remote { url: url.into() });
        };
        let bad = |why: &str| StateError::BadUrl {
            url: url.into(),
            why: why.into(),
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("it names no bucket"));
        }
        if key.is_empty() {
            return Err(bad("it names no object key"));
        }
        if bucket.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("its bucket name holds spaces"));
        }
        Ok(S3Url {
            bucket: bucket.into(),
            key: key.into(),
        })
    }
}

/// How to reach S3 for one environment: the environment's `aws` table (its
/// region, else the environment's `region`). Without a table: the default
/// credential chain and region (`AWS_PROFILE`, `AWS_REGION`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub endpoint_url: Option<String>,
}

impl Access {
    /// The access an environment's `aws` table gives (its region, else
    /// `env_region`); without a table, the defaults and `env_region`.
    pub fn new(aws: Option<&AwsTable>, env_region: Option<&str>) -> Access {
        let aws = aws.cloned().unwrap_or_default();
        Access {
            profile: aws.profile,
            region: aws.region.or_else(|| env_region.map(str::to_string)),
            role_arn: aws.role_arn,
            external_id: aws.external_id,
            endpoint_url: aws.endpoint_url,
        }
    }
}

/// Check every URL of a state source before anything is read.
pub(crate) fn check_urls<'a>(paths: impl Iterator<Item = &'a str>) -> Result<(), StateError> {
    for p in paths.filter(|p| is_url(p)) {
        S3Url::parse(p)?;
        if !cfg!(feature = "aws") {
            return Err(StateError::NeedsAws { url: p.into() });
        }
    }
    Ok(())
}

#[cfg(feature = "aws")]
pub(crate) use reader::Reader;

#[cfg(not(feature = "aws"))]
pub(crate) use unsupported::Reader;

#[cfg(not(feature = "aws"))]
mod unsupported {
    use super::{Access, StateError};
    use crate::sources::state::Parsed;

    /// Without the SDK no object can be read; [`super::check_urls`] has
    /// already said so before this is reached.
    pub(crate) struct Reader;

    impl Reader {
        pub fn connect(_access: &Access, url: &str) -> Result<Reader, StateError> {
            Err(StateError::NeedsAws { url: url.into() })
        }

        pub fn parse(&self, url: &str, _want_plan: bool) -> Result<Parsed, StateError> {
            Err(StateError::NeedsAws { url: url.into() })
        }
    }
}

#[cfg(feature = "aws")]
mod reader {
    use std::io::Read;
    use std::pin::Pin;

    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::SdkError;
    use tokio::io::{AsyncBufRead, AsyncReadExt};

    use super::{Access, S3Url, StateError};
    use crate::sources::aws::client::{self, ApiFailure, Guard};
    use crate::sources::aws::AwsSettings;
    use crate::sources::state::Parsed;

    /// Error codes of credentials S3 does not accept.
    const CREDENTIAL_CODES: &[&str] = &[
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "InvalidClientTokenId",
    ];

    /// Error codes of a bucket addressed in the wrong region.
    const REGION_CODES: &[&str] = &[
        "PermanentRedirect",
        "AuthorizationHeaderMalformed",
        "IllegalLocationConstraintException",
    ];

    /// One S3 client for one environment, and the runtime it runs on.
    pub(crate) struct Reader {
        runtime: tokio::runtime::Runtime,
        client: aws_sdk_s3::Client,
        settings: AwsSettings,
        region: String,
        endpoint: Option<String>,
        /// How long S3 may send nothing (no answer, or no more of the
        /// body) before the read gives up (see [`stall_timeout`]).
        stall: std::time::Duration,
    }

    /// The environment variable that sets [`Reader::stall`], in seconds.
    pub const STALL_TIMEOUT_VAR: &str = "PARITY_S3_STALL_TIMEOUT";
    const DEFAULT_STALL_SECS: u64 = 60;

    /// How long an S3 read may wait for data: `PARITY_S3_STALL_TIMEOUT`
    /// seconds (a whole number, at least 1), else `PARITY_AWS_STALL_TIMEOUT`
    /// (the setting of every live call), 60 by default. The SDK sets
    /// no read timeout, so without this a connection that stops sending
    /// would hang a CI job until it is killed.
    fn stall_timeout(url: &str) -> Result<std::time::Duration, StateError> {
        // Else the setting of every live call, which applies to S3 too.
        let (name, var) = match std::env::var(STALL_TIMEOUT_VAR) {
            Ok(v) => (STALL_TIMEOUT_VAR, Ok(v)),
            Err(_) => {
                let name = crate::sources::aws::STALL_TIMEOUT_VAR;
                (name, std::env::var(name))
            }
        };
        match var {
            Err(_) => Ok(std::time::Duration::from_secs(DEFAULT_STALL_SECS)),
            Ok(v) => match v.trim().parse::<u64>() {
                Ok(secs) if secs >= 1 => Ok(std::time::Duration::from_secs(secs)),
                _ => Err(StateError::S3Access {
                    url: url.into(),
                    reason: format!(
                        "{name}={v:?} is not a number of seconds (a whole number, at least 1)"
                    ),
                }),
            },
        }
    }

    /// The error of a read that got no data for `stall`.
    fn stalled(stall: std::time::Duration) -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "S3 sent no data for {} s: the connection stalled ({STALL_TIMEOUT_VAR} sets how long to wait)",
                stall.as_secs()
            ),
        )
    }

    impl Reader {
        /// Build the client (no request is sent yet). `url`: the first URL
        /// to read, named when this fails.
        pub fn connect(access: &Access, url: &str) -> Result<Reader, StateError> {
            let stall = stall_timeout(url)?;
            let settings = AwsSettings {
                profile: access.profile.clone(),
                regions: access.region.iter().cloned().collect(),
                role_arn: access.role_arn.clone(),
                external_id: access.external_id.clone(),
                endpoint_url: access.endpoint_url.clone(),
                // One object: the SDK's standard attempts, not the
                // collectors' (which ride out throttling on big accounts).
                max_attempts: 3,
                stall_timeout: stall,
                ..AwsSettings::default()
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| StateError::S3Access {
                    url: url.into(),
                    reason: format!("cannot start the AWS client runtime: {e}"),
                })?;
            let conf = runtime.block_on(client::sdk_config(&settings));
            let Some(region) = conf.region().map(|r| r.to_string()) else {
                return Err(StateError::S3Access {
                    url: url.into(),
                    reason: "no AWS region: set `region` in the environment's `aws` table (or the environment's `region`, or AWS_REGION)".into(),
                });
            };
            // From `endpoint-url`, or AWS_ENDPOINT_URL / the profile's.
            let endpoint = conf.endpoint_url().map(str::to_string);
            let s3 = aws_sdk_s3::config::Builder::from(&conf)
                // An emulator (moto, LocalStack, MinIO) serves buckets as
                // paths, not as host names.
                .force_path_style(endpoint.is_some())
                .interceptor(SharedInterceptor::new(Guard::default()))
                .build();
            Ok(Reader {
                runtime,
                client: aws_sdk_s3::Client::from_conf(s3),
                settings,
                region,
                endpoint,
                stall,
            })
        }

        /// Read and parse one object. The body is parsed as it arrives.
        pub fn parse(&self, url: &str, want_plan: bool) -> Result<Parsed, StateError> {
            let s3 = S3Url::parse(url)?;
            // The timer is made inside the runtime (in the async block).
            let sent = self.runtime.block_on(async {
                tokio::time::timeout(
                    self.stall,
                    self.client
                        .get_object()
                        .bucket(&s3.bucket)
                        .key(&s3.key)
                        .send(),
                )
                .await
            });
            let out = match sent {
                Ok(result) => result.map_err(|e| self.failure(url, &s3, &e))?,
                Err(_) => {
                    return Err(StateError::Io {
                        path: url.into(),
                        cause: stalled(self.stall),
                    })
                }
            };
            let body = Body {
                runtime: self.runtime.handle(),
                inner: Box::pin(out.body.into_async_read()),
                stall: self.stall,
            };
            crate::sources::state::parse_reader(body, url, want_plan)
        }

        /// A failed GetObject in one sentence (never the SDK's dump).
        fn failure(
            &self,
            url: &str,
            s3: &S3Url,
            err: &SdkError<GetObjectError, HttpResponse>,
        ) -> StateError {
            let failure = ApiFailure::from_sdk(err);
            let code = failure.code.as_deref().unwrap_or_default();
            let object = |reason: String| StateError::S3Object {
                url: url.into(),
                reason,
            };
            let access = |reason: String| StateError::S3Access {
                url: url.into(),
                reason,
            };
            let unreachable = matches!(err, SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout())
                || matches!(err, SdkError::TimeoutError(_));
            if unreachable {
                return access(format!(
                    "cannot reach S3 at {}: {failure}",
                    self.endpoint.as_deref().unwrap_or("its regional endpoint")
                ));
            }
            let not_found =
                matches!(err, SdkError::ServiceError(se) if se.raw().status().as_u16() == 404);
            if matches!(err, SdkError::ServiceError(se) if matches!(se.err(), GetObjectError::NoSuchKey(_)))
                || code == "NoSuchKey"
                || (not_found && code.is_empty())
            {
                return object(format!(
                    "bucket `{}` has no object `{}` (NoSuchKey)",
                    s3.bucket, s3.key
                ));
            }
            if code == "NoSuchBucket" {
                return object(format!(
                    "bucket `{}` does not exist (NoSuchBucket)",
                    s3.bucket
                ));
            }
            if failure.is_denied() {
                return object(format!(
                    "access denied ({failure}): the credentials from {} need s3:GetObject on arn:aws:s3:::{}/{}",
                    self.settings.credential_source(),
                    s3.bucket,
                    s3.key
                ));
            }
            if CREDENTIAL_CODES.contains(&code) {
                return access(format!(
                    "S3 rejected the AWS credentials from {} ({failure})",
                    self.settings.credential_source()
                ));
            }
            if REGION_CODES.contains(&code) {
                return object(format!(
                    "bucket `{}` is not in {} ({failure}): set the bucket's region as `region` in the environment's `aws` table",
                    s3.bucket, self.region
                ));
            }
            match err {
                SdkError::ServiceError(_) => object(failure.to_string()),
                // Nothing was sent: most often no credentials were found.
                _ if failure.message.contains("no credentials") => access(format!(
                    "no AWS credentials found (tried {}): set `profile` in the environment's `aws` table, or AWS_PROFILE or AWS_ACCESS_KEY_ID",
                    self.settings.credential_source()
                )),
                _ => access(format!(
                    "cannot use AWS credentials from {}: {failure}",
                    self.settings.credential_source()
                )),
            }
        }
    }

    /// The object's body as a blocking reader for the parser.
    struct Body<'a, R> {
        runtime: &'a tokio::runtime::Handle,
        inner: Pin<Box<R>>,
        /// Each read gives up after this long without data.
        stall: std::time::Duration,
    }

    impl<R: AsyncBufRead> Read for Body<'_, R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let stall = self.stall;
            let inner = &mut self.inner;
            self.runtime
                .block_on(async { tokio::time::timeout(stall, inner.read(buf)).await })
                .unwrap_or_else(|_| Err(stalled(stall)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_bucket_and_a_key() {
        assert_eq!(
            S3Url::parse("s3://shop-tf/env/staging.tfstate").ok(),
            Some(S3Url {
                bucket: "shop-tf".into(),
                key: "env/staging.tfstate".into()
            })
        );
        for (url, why) in [
            ("s3://shop-tf", "no object key"),
            ("s3://shop-tf/", "no object key"),
            ("s3:///staging.tfstate", "no bucket"),
            ("s3://shop tf/x", "bucket name holds spaces"),
        ] {
            let e = S3Url::parse(url).expect_err(url);
            assert!(matches!(e, StateError::BadUrl { .. }), "{e:?}");
            assert!(e.to_string().contains(why), "{e}");
            assert!(e.to_string().starts_with(url), "{e}");
        }
        let e = S3Url::parse("gs://bucket/x.tfstate").expect_err("gs");
        assert!(matches!(e, StateError::Remote { .. }), "{e:?}");
    }

    #[cfg(feature = "aws")]
    #[test]
    fn the_read_only_guard_lets_get_object_through_and_nothing_else() {
        use crate::sources::aws::client::is_allowed;
        assert!(is_allowed("s3", "GetObject"));
        for op in ["PutObject", "DeleteObject", "ListObjectsV2", "HeadObject"] {
            assert!(!is_allowed("s3", op), "{op}");
        }
    }

    #[test]
    fn access_comes_from_the_aws_table_then_the_environment() {
        let config = crate::config::parse(
            r#"
[environments.staging]
region = "eu-west-1"
state = { path = "s3://shop-tf/staging.tfstate" }

[environments.prod]
region = "eu-west-1"
state = { path = "s3://shop-tf/prod.tfstate" }
aws = { profile = "stg", region = "us-east-2", endpoint-url = "http://127.0.0.1:5000" }
"#,
            std::path::Path::new("parity.toml"),
        )
        .expect("config");
        let access = |name: &str| {
            let env = config.environment(name).expect("environment");
            Access::new(env.sources.get::<AwsTable>(), env.region.as_deref())
        };
        assert_eq!(
            access("staging"),
            Access {
                region: Some("eu-west-1".into()),
                ..Access::default()
            }
        );
        let a = access("prod");
        assert_eq!(a.region.as_deref(), Some("us-east-2"));
        assert_eq!(a.profile.as_deref(), Some("stg"));
        assert_eq!(a.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
    }
}
