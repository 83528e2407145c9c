//! The `aws = { ... }` table of an environment in parity.toml: how to reach
//! its account, for the live source (and for `s3://` state). Read and
//! validated beside the collectors; compiled without the `aws` feature too,
//! so that a parity.toml with an `aws` table loads in every build.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::toml::{check_region, fields, string, table, Field, Sink, Spanned};
use crate::sources::Table;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AwsTable {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub endpoint_url: Option<String>,
    /// Only resources carrying all these tags.
    pub tags: BTreeMap<String, String>,
}

impl Table for AwsTable {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

pub(crate) const KEYS: &[&str] = &[
    "profile",
    "region",
    "role-arn",
    "external-id",
    "endpoint-url",
    "tags",
];

#[derive(Debug, Default)]
struct RawAws {
    profile: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    role_arn: Option<Spanned<String>>,
    external_id: Option<Spanned<String>>,
    endpoint_url: Option<Spanned<String>>,
    tags: BTreeMap<String, String>,
}

/// Stage 1 and 2 of the table: its keys read, then validated (region name,
/// role ARN and endpoint URL formats). Problems go to `sink`.
pub(crate) fn read(sink: &mut Sink, f: &Field) -> Option<Arc<dyn Table>> {
    let raw = read_raw(sink, f)?;
    Some(Arc::new(validate(raw, sink)))
}

fn read_raw(sink: &mut Sink, f: &Field) -> Option<RawAws> {
    let (t, at) = table(sink, f)?;
    let mut aws = RawAws::default();
    for g in fields(sink, t, &f.key, at, Some(KEYS)) {
        match g.name {
            "profile" => aws.profile = string(sink, &g),
            "region" => aws.region = string(sink, &g),
            "role-arn" => aws.role_arn = string(sink, &g),
            "external-id" => aws.external_id = string(sink, &g),
            "endpoint-url" => aws.endpoint_url = string(sink, &g),
            "tags" => {
                if let Some((tags, tags_at)) = table(sink, &g) {
                    for tag in fields(sink, tags, &g.key, tags_at, None) {
                        if let Some(v) = string(sink, &tag) {
                            aws.tags.insert(tag.name.to_string(), v.value);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Some(aws)
}

fn validate(aws: RawAws, sink: &mut Sink) -> AwsTable {
    if let Some(region) = &aws.region {
        check_region(sink, region);
    }
    if let Some(arn) = &aws.role_arn {
        let parts: Vec<&str> = arn.value.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[2] == "iam"
            && parts[5].starts_with("role/");
        if !ok {
            sink.report(
                arn.at,
                &arn.key,
                format!(
                    "`{}` is not an IAM role ARN (arn:aws:iam::<account-id>:role/<name>)",
                    arn.value
                ),
            );
        }
    }
    if let Some(url) = &aws.endpoint_url {
        let rest = url
            .value
            .strip_prefix("http://")
            .or_else(|| url.value.strip_prefix("https://"));
        if rest.is_none_or(str::is_empty) {
            sink.report(
                url.at,
                &url.key,
                format!("`{}` is not an http:// or https:// URL", url.value),
            );
        }
    }
    AwsTable {
        profile: aws.profile.map(|s| s.value),
        region: aws.region.map(|s| s.value),
        role_arn: aws.role_arn.map(|s| s.value),
        external_id: aws.external_id.map(|s| s.value),
        endpoint_url: aws.endpoint_url.map(|s| s.value),
        tags: aws.tags,
    }
}
