//! Read-only facts of an account for the code source's data sources
//! (`data-live = true`; see `sources::terraform::facts`): what Terraform's
//! AWS provider 5.x reads for `aws_availability_zones`,
//! `aws_caller_identity`, `aws_region`, `aws_partition` and `aws_ami`, with
//! the environment's `aws` table (credentials, role, region, endpoint) and
//! behind the same read-only guard as the live collectors.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_ec2::types::Filter;
use aws_smithy_types::error::display::DisplayErrorContext;

use super::client::Clients;
use super::{AwsError, AwsSettings};
use crate::model::{Map, Value};
use crate::sources::terraform::facts::Facts;

/// The facts of one environment's account, read once per distinct query.
pub struct AwsFacts {
    runtime: tokio::runtime::Runtime,
    clients: Clients,
    region: String,
    cache: Mutex<HashMap<String, Result<Option<Map>, String>>>,
}

impl std::fmt::Debug for AwsFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsFacts")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl AwsFacts {
    /// The clients of `env_name`'s account (no request is sent yet).
    pub fn connect(env_name: &str, settings: &AwsSettings) -> Result<AwsFacts, AwsError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| AwsError::Runtime {
                environment: env_name.to_string(),
                reason: e.to_string(),
            })?;
        let clients = runtime.block_on(Clients::connect(env_name, settings))?;
        let region = clients
            .regions
            .first()
            .map(|r| r.region.clone())
            .ok_or_else(|| AwsError::NoRegion {
                environment: env_name.to_string(),
            })?;
        Ok(AwsFacts {
            runtime,
            clients,
            region,
            cache: Mutex::default(),
        })
    }

    fn ec2(&self) -> Option<&aws_sdk_ec2::Client> {
        self.clients.regions.first().map(|r| &r.ec2)
    }

    fn answer(&self, rtype: &str, args: &Map) -> Result<Option<Map>, String> {
        match rtype {
            "aws_region" => {
                let name = string(args, "name").unwrap_or(&self.region).to_string();
                Ok(Some(attrs([
                    ("id", Value::str(&name)),
                    (
                        "endpoint",
                        Value::String(format!("ec2.{name}.amazonaws.com")),
                    ),
                    ("name", Value::String(name)),
                ])))
            }
            "aws_partition" => {
                let (partition, suffix, reverse) = partition_of(&self.region);
                Ok(Some(attrs([
                    ("id", Value::str(partition)),
                    ("partition", Value::str(partition)),
                    ("dns_suffix", Value::str(suffix)),
                    ("reverse_dns_prefix", Value::str(reverse)),
                ])))
            }
            "aws_caller_identity" => {
                let out = self
                    .runtime
                    .block_on(self.clients.sts.get_caller_identity().send())
                    .map_err(|e| DisplayErrorContext(&e).to_string())?;
                let account = out.account().unwrap_or_default().to_string();
                Ok(Some(attrs([
                    ("id", Value::str(&account)),
                    ("account_id", Value::String(account)),
                    ("arn", Value::str(out.arn().unwrap_or_default())),
                    ("user_id", Value::str(out.user_id().unwrap_or_default())),
                ])))
            }
            "aws_availability_zones" => self.availability_zones(args).map(Some),
            "aws_ami" => self.ami(args).map(Some),
            _ => Ok(None),
        }
    }

    /// As the provider's `dataSourceAvailabilityZonesRead`: the zones of
    /// the region (all of them with `all_availability_zones`), by `state`
    /// and `filter`, without `exclude_names`/`exclude_zone_ids`, sorted by
    /// name.
    fn availability_zones(&self, args: &Map) -> Result<Map, String> {
        let ec2 = self.ec2().ok_or("no region")?;
        let mut filters = filters(args);
        if let Some(state) = string(args, "state") {
            filters.push(Filter::builder().name("state").values(state).build());
        }
        let mut req = ec2.describe_availability_zones();
        if let Some(all) = args.get("all_availability_zones").and_then(Value::as_bool) {
            req = req.all_availability_zones(all);
        }
        if !filters.is_empty() {
            req = req.set_filters(Some(filters));
        }
        let out = self
            .runtime
            .block_on(req.send())
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        let exclude_names = strings(args, "exclude_names");
        let exclude_ids = strings(args, "exclude_zone_ids");
        let mut zones: Vec<(String, String, String)> = out
            .availability_zones()
            .iter()
            .map(|z| {
                (
                    z.zone_name().unwrap_or_default().to_string(),
                    z.zone_id().unwrap_or_default().to_string(),
                    z.group_name().unwrap_or_default().to_string(),
                )
            })
            .filter(|(n, id, _)| !exclude_names.contains(n) && !exclude_ids.contains(id))
            .collect();
        zones.sort();
        let mut groups: Vec<String> = zones.iter().map(|z| z.2.clone()).collect();
        groups.sort();
        groups.dedup();
        let mut out = args.clone();
        out.insert("id".into(), Value::str(&self.region));
        out.insert(
            "names".into(),
            Value::List(zones.iter().map(|z| Value::str(&z.0)).collect()),
        );
        out.insert(
            "zone_ids".into(),
            Value::List(zones.iter().map(|z| Value::str(&z.1)).collect()),
        );
        out.insert(
            "group_names".into(),
            Value::List(groups.into_iter().map(Value::String).collect()),
        );
        Ok(out)
    }

    /// As the provider's `dataSourceAMIRead`: DescribeImages by `owners`,
    /// `executable_users` and `filter`, then `name_regex`; one image, or the
    /// newest with `most_recent`; none or several without it is the
    /// provider's error.
    fn ami(&self, args: &Map) -> Result<Map, String> {
        let ec2 = self.ec2().ok_or("no region")?;
        let mut req = ec2.describe_images();
        let owners = strings(args, "owners");
        if !owners.is_empty() {
            req = req.set_owners(Some(owners));
        }
        let users = strings(args, "executable_users");
        if !users.is_empty() {
            req = req.set_executable_users(Some(users));
        }
        let filters = filters(args);
        if !filters.is_empty() {
            req = req.set_filters(Some(filters));
        }
        if let Some(deprecated) = args.get("include_deprecated").and_then(Value::as_bool) {
            req = req.include_deprecated(deprecated);
        }
        let out = self
            .runtime
            .block_on(req.send())
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        let pattern = match string(args, "name_regex") {
            Some(p) => Some(regex::Regex::new(p).map_err(|e| format!("name_regex: {e}"))?),
            None => None,
        };
        let mut images: Vec<&aws_sdk_ec2::types::Image> = out
            .images()
            .iter()
            .filter(|i| {
                pattern
                    .as_ref()
                    .is_none_or(|re| re.is_match(i.name().unwrap_or_default()))
            })
            .collect();
        if images.is_empty() {
            return Err(
                "Your query returned no results. Please change your search criteria and try again."
                    .into(),
            );
        }
        let most_recent = args
            .get("most_recent")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if images.len() > 1 && !most_recent {
            return Err("Your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true.".into());
        }
        // RFC 3339 timestamps of one format sort as text.
        images.sort_by(|a, b| b.creation_date().cmp(&a.creation_date()));
        let image = images[0];
        let id = image.image_id().unwrap_or_default().to_string();
        let (partition, _, _) = partition_of(&self.region);
        let mut out = args.clone();
        let text = |v: Option<&str>| Value::str(v.unwrap_or_default());
        for (k, v) in [
            ("id", Value::str(&id)),
            (
                "arn",
                Value::String(format!("arn:{partition}:ec2:{}::image/{id}", self.region)),
            ),
            ("image_id", Value::str(&id)),
            ("name", text(image.name())),
            ("description", text(image.description())),
            ("owner_id", text(image.owner_id())),
            ("creation_date", text(image.creation_date())),
            ("image_location", text(image.image_location())),
            ("root_device_name", text(image.root_device_name())),
            ("platform_details", text(image.platform_details())),
            (
                "architecture",
                text(image.architecture().map(|a| a.as_str())),
            ),
            (
                "virtualization_type",
                text(image.virtualization_type().map(|a| a.as_str())),
            ),
            (
                "root_device_type",
                text(image.root_device_type().map(|a| a.as_str())),
            ),
            ("image_type", text(image.image_type().map(|a| a.as_str()))),
            ("hypervisor", text(image.hypervisor().map(|a| a.as_str()))),
            ("state", text(image.state().map(|a| a.as_str()))),
            ("public", Value::Bool(image.public().unwrap_or(false))),
        ] {
            out.insert(k.to_string(), v);
        }
        Ok(out)
    }
}

impl Facts for AwsFacts {
    fn read(&self, rtype: &str, args: &Map) -> Result<Option<Map>, String> {
        let key = format!("{rtype} {}", Value::Map(args.clone()).to_json());
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return hit.clone();
        }
        let answer = self.answer(rtype, args);
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, answer.clone());
        answer
    }
}

fn attrs<const N: usize>(items: [(&str, Value); N]) -> Map {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn string<'a>(args: &'a Map, key: &str) -> Option<&'a str> {
    args.get(key).and_then(Value::as_str)
}

fn strings(args: &Map, key: &str) -> Vec<String> {
    args.get(key)
        .and_then(Value::as_list)
        .map(|l| {
            l.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The `filter { name = ..., values = [...] }` blocks of a data source.
fn filters(args: &Map) -> Vec<Filter> {
    args.get("filter")
        .and_then(Value::as_list)
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| {
                    let name = b.get_path("name")?.as_str()?;
                    let values = b
                        .get_path("values")?
                        .as_list()?
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect::<Vec<_>>();
                    Some(
                        Filter::builder()
                            .name(name)
                            .set_values(Some(values))
                            .build(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The partition of a region, with its DNS suffix and reverse DNS prefix
/// (the provider's `aws_partition`).
fn partition_of(region: &str) -> (&'static str, &'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com", "com.amazonaws")
    } else if region.starts_with("us-iso-") {
        ("aws-iso", "c2s.ic.gov", "gov.ic.c2s")
    } else if region.starts_with("us-isob-") {
        ("aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s")
    } else {
        ("aws", "amazonaws.com", "com.amazonaws")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_of_regions() {
        assert_eq!(partition_of("eu-west-1").0, "aws");
        assert_eq!(partition_of("cn-north-1").1, "amazonaws.com.cn");
        assert_eq!(partition_of("us-gov-west-1").0, "aws-us-gov");
    }
}
