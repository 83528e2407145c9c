//! A CloudFormation stack as the live read's "state": the stack's
//! resources (`ListStackResources`, read-only, behind the same guard as the
//! collectors) joined to the resources of the environment's evaluated
//! template by logical ID, so live resources take the template's addresses
//! by their physical ids, as state ids readdress them for Terraform.

use std::collections::HashMap;

use aws_smithy_types::error::display::DisplayErrorContext;

use super::client::{Clients, RegionalClients};
use super::{AwsError, AwsSettings, CollectStats};
use crate::model::{CoverageGap, Map, Resource, Snapshot, Value};
use crate::sources::cloudformation::MAX_NESTING;

/// One resource of a deployed stack, as `ListStackResources` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    /// Empty while the resource is being created, or after it failed.
    pub physical_id: String,
    pub resource_type: String,
}

/// A deployed stack to read: its name, its region (`None`: the first of
/// the `aws` table), and the address prefix of its template's resources
/// in the code snapshot (`""` for a CloudFormation environment's template,
/// `module.Shop.` for a CDK stack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackTarget {
    pub name: String,
    pub region: Option<String>,
    pub prefix: String,
}

/// One listed stack (a target, or a nested stack of one) and its
/// resources; a nested stack's prefix is its parent's with
/// `module.<LogicalId>.`, as the code addresses its template's resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedStack {
    pub name: String,
    pub prefix: String,
    pub resources: Vec<StackResource>,
}

/// The stacks read, and what could not be (a stack the account does not
/// have, a nesting too deep): coverage gaps, so the read is incomplete.
#[derive(Debug, Clone, Default)]
pub struct StackListing {
    pub stacks: Vec<ListedStack>,
    pub gaps: Vec<CoverageGap>,
}

/// `arn:aws:cloudformation:eu-west-1:1111:stack/Prod-Shop-Storage-X/uuid`
/// → `Prod-Shop-Storage-X`; a name stays a name (moto gives names).
fn stack_name_of(physical: &str) -> &str {
    match physical.split_once(":stack/") {
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
        None => physical,
    }
}

/// The resources of each stack of `targets`, and of their nested stacks
/// (an `AWS::CloudFormation::Stack` resource whose physical id names the
/// nested stack) when `has_nested(prefix)` says the code evaluated that
/// nested template, down to [`MAX_NESTING`] levels; with the calls made
/// (the credentials check included). A stack the account does not have is
/// a coverage gap; any other failure of `ListStackResources` (denied,
/// throttled past retries) an error.
pub fn list_stacks(
    env_name: &str,
    settings: &AwsSettings,
    targets: &[StackTarget],
    has_nested: &dyn Fn(&str) -> bool,
) -> Result<(StackListing, CollectStats), AwsError> {
    let started = std::time::Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| AwsError::Runtime {
            environment: env_name.to_string(),
            reason: e.to_string(),
        })?;
    runtime.block_on(async {
        let clients = Clients::connect(env_name, settings).await?;
        clients.verify(env_name, settings).await?;
        let mut listing = StackListing::default();
        // (stack, region, prefix, depth), depth first in the given order.
        let mut todo: Vec<(String, Option<String>, String, usize)> = targets
            .iter()
            .rev()
            .map(|t| (t.name.clone(), t.region.clone(), t.prefix.clone(), 0))
            .collect();
        while let Some((stack, region, prefix, depth)) = todo.pop() {
            let regional = region
                .as_deref()
                .and_then(|r| clients.regions.iter().find(|c| c.region == r))
                .or_else(|| clients.regions.first())
                .ok_or_else(|| AwsError::NoRegion {
                    environment: env_name.to_string(),
                })?;
            let Some(resources) = list_one(env_name, regional, &stack).await? else {
                listing.gaps.push(CoverageGap {
                    what: format!("cloudformation:ListStackResources {stack}"),
                    reason: format!(
                        "stack `{stack}` does not exist in {}: the live resources of its \
                         template are not addressed by it (not deployed, or another name?)",
                        regional.region
                    ),
                });
                continue;
            };
            let mut nested = Vec::new();
            for s in resources.iter().filter(|s| {
                s.resource_type == "AWS::CloudFormation::Stack" && !s.physical_id.is_empty()
            }) {
                let inner = format!("{prefix}module.{}.", s.logical_id);
                if !has_nested(&inner) {
                    continue;
                }
                if depth + 1 > MAX_NESTING {
                    listing.gaps.push(CoverageGap {
                        what: format!("cloudformation:ListStackResources {}", s.physical_id),
                        reason: format!("nested stacks deeper than {MAX_NESTING} are not read"),
                    });
                    continue;
                }
                nested.push((
                    stack_name_of(&s.physical_id).to_string(),
                    Some(regional.region.clone()),
                    inner,
                    depth + 1,
                ));
            }
            todo.extend(nested.into_iter().rev());
            listing.stacks.push(ListedStack {
                name: stack,
                prefix,
                resources,
            });
        }
        let mut stats = clients.guard.stats();
        stats.elapsed = started.elapsed();
        if let Some(cfn) = stats.services.get_mut("cloudformation") {
            cfn.elapsed = stats.elapsed;
        }
        Ok((listing, stats))
    })
}

/// Every page of one stack's resources; `None` when the account has no
/// such stack (CloudFormation answers `ValidationError`, "Stack with id
/// ... does not exist").
async fn list_one(
    env_name: &str,
    regional: &RegionalClients,
    stack: &str,
) -> Result<Option<Vec<StackResource>>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = match regional
            .cloudformation
            .list_stack_resources()
            .stack_name(stack)
            .set_next_token(token.take())
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) => {
                let absent = e.as_service_error().is_some_and(|s| {
                    s.meta().code() == Some("ValidationError")
                        && s.meta()
                            .message()
                            .is_some_and(|m| m.contains("does not exist"))
                });
                if absent {
                    return Ok(None);
                }
                return Err(AwsError::Stack {
                    environment: env_name.to_string(),
                    stack: stack.to_string(),
                    region: regional.region.clone(),
                    reason: DisplayErrorContext(&e).to_string(),
                });
            }
        };
        for s in page.stack_resource_summaries() {
            out.push(StackResource {
                logical_id: s.logical_resource_id().unwrap_or_default().to_string(),
                physical_id: s.physical_resource_id().unwrap_or_default().to_string(),
                resource_type: s.resource_type().unwrap_or_default().to_string(),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(Some(out)),
        }
    }
}

/// `module.Shop.module.Storage.aws_sqs_queue.Orders` →
/// (`module.Shop.module.Storage.`, `Orders`): the prefix of the template
/// that declares a resource, and its logical ID.
fn split_address(address: &str) -> Option<(&str, &str)> {
    let (head, logical) = address.rsplit_once('.')?;
    let prefix = match head.rsplit_once('.') {
        Some((p, _rtype)) => &address[..p.len() + 1],
        None => "",
    };
    Some((prefix, logical))
}

/// The template's resources that the listed stacks hold, as a state would
/// record them: each with its physical id as `id` (and as `name` for IAM
/// types whose template gives none: CloudFormation names them so), and the
/// tags CloudFormation propagates (`aws:cloudformation:stack-name`,
/// `aws:cloudformation:logical-id`) in `tags_all`, so that
/// [`super::state_index`] and [`super::live_scope`] take it as they take a
/// Terraform state. A code resource is joined to a stack resource by the
/// stack's prefix and its logical ID; `original` gives the address a
/// resource had before the source renamed it (CDK's stage-free logical
/// IDs), `None` when it was not renamed. Stack resources the code does not
/// declare are left out. `code` as read, not normalized. The gaps of the
/// listing go to the result's coverage.
pub fn stack_state(
    code: &Snapshot,
    listing: &StackListing,
    original: &dyn Fn(&str) -> Option<String>,
) -> Snapshot {
    let mut by_logical: HashMap<(String, String), &Resource> = HashMap::new();
    for r in code.resources.iter().filter(|r| !r.data) {
        let address = original(&r.address).unwrap_or_else(|| r.address.clone());
        if let Some((prefix, logical)) = split_address(&address) {
            by_logical.insert((prefix.to_string(), logical.to_string()), r);
        }
    }
    let mut out = Snapshot::new(code.environment.clone(), code.source);
    out.coverage = listing.gaps.clone();
    for stack in &listing.stacks {
        for s in stack.resources.iter().filter(|s| !s.physical_id.is_empty()) {
            let Some(r) = by_logical.get(&(stack.prefix.clone(), s.logical_id.clone())) else {
                continue;
            };
            out.resources.push(as_state(r, &stack.name, s));
        }
    }
    out
}

fn as_state(r: &Resource, stack: &str, s: &StackResource) -> Resource {
    let mut r = r.clone();
    r.attributes
        .insert("id".to_string(), Value::from(s.physical_id.as_str()));
    if r.rtype.starts_with("aws_iam_") && !r.attributes.contains_key("name") {
        r.attributes
            .insert("name".to_string(), Value::from(s.physical_id.as_str()));
    }
    let mut tags: Map = match r.attributes.get("tags").and_then(Value::as_map) {
        Some(m) => m.clone(),
        None => Map::new(),
    };
    tags.insert(
        "aws:cloudformation:stack-name".to_string(),
        Value::from(stack),
    );
    tags.insert(
        "aws:cloudformation:logical-id".to_string(),
        Value::from(s.logical_id.as_str()),
    );
    r.attributes
        .insert("tags_all".to_string(), Value::Map(tags));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceKind;

    fn code_resource(rtype: &str, address: &str) -> Resource {
        let mut r = Resource::new(
            address,
            rtype,
            crate::model::Location::new("app.yaml", Some(1)),
        );
        let mut tags = Map::new();
        tags.insert("Environment".to_string(), Value::from("staging"));
        r.attributes.insert("tags".to_string(), Value::Map(tags));
        r
    }

    #[test]
    fn stack_resources_take_the_template_addresses_by_physical_id() {
        let mut code = Snapshot::new("staging", SourceKind::Code);
        code.resources = vec![
            code_resource("aws_vpc", "aws_vpc.Vpc"),
            code_resource("aws_iam_role", "aws_iam_role.AppRole"),
            code_resource("aws_subnet", "module.Net.aws_subnet.Vpc"),
        ];
        let listed = |l: &str, p: &str, t: &str| StackResource {
            logical_id: l.into(),
            physical_id: p.into(),
            resource_type: t.into(),
        };
        let listing = StackListing {
            stacks: vec![ListedStack {
                name: "shop-staging".into(),
                prefix: String::new(),
                resources: vec![
                    listed("Vpc", "vpc-1", "AWS::EC2::VPC"),
                    listed("AppRole", "shop-staging-AppRole-X1", "AWS::IAM::Role"),
                    listed("Gone", "q-1", "AWS::SQS::Queue"),
                    listed("Pending", "", "AWS::EC2::Subnet"),
                ],
            }],
            gaps: Vec::new(),
        };
        let stack = stack_state(&code, &listing, &|_| None);
        let index = super::super::state_index(&stack);
        assert_eq!(
            index.get(&("aws_vpc".to_string(), "vpc-1".to_string())),
            Some(&"aws_vpc.Vpc".to_string())
        );
        assert_eq!(
            index.get(&(
                "aws_iam_role".to_string(),
                "shop-staging-AppRole-X1".to_string()
            )),
            Some(&"aws_iam_role.AppRole".to_string())
        );
        assert_eq!(stack.resources.len(), 2, "{:?}", stack.resources);
        let role = &stack.resources[1];
        assert_eq!(
            role.attributes["name"],
            Value::from("shop-staging-AppRole-X1")
        );
        let tags = role.attributes["tags_all"].as_map().expect("tags_all");
        assert_eq!(
            tags["aws:cloudformation:stack-name"],
            Value::from("shop-staging")
        );
        assert_eq!(tags["Environment"], Value::from("staging"));
    }

    #[test]
    fn nested_and_renamed_resources_join_by_their_stack_and_logical_id() {
        let mut code = Snapshot::new("staging", SourceKind::Code);
        code.resources = vec![
            code_resource("aws_iam_role", "module.Shop.aws_iam_role.AppRoleDC883459"),
            code_resource(
                "aws_security_group",
                "module.Shop.module.WorkersNested.aws_security_group.WorkerSg12345678",
            ),
            // Renamed by the CDK source: `Reports${env}` was `ReportsStaging1A2B3C4D`.
            code_resource("aws_s3_bucket", "module.Shop.aws_s3_bucket.Reports${env}"),
        ];
        let listed = |l: &str, p: &str, t: &str| StackResource {
            logical_id: l.into(),
            physical_id: p.into(),
            resource_type: t.into(),
        };
        let listing = StackListing {
            stacks: vec![
                ListedStack {
                    name: "Staging-Shop".into(),
                    prefix: "module.Shop.".into(),
                    resources: vec![
                        listed(
                            "AppRoleDC883459",
                            "Staging-Shop-AppRole-1",
                            "AWS::IAM::Role",
                        ),
                        listed("ReportsStaging1A2B3C4D", "reports-1", "AWS::S3::Bucket"),
                        // The nested stack's own logical id in the parent:
                        // its security group is not the parent's.
                        listed("WorkerSg12345678", "sg-wrong", "AWS::EC2::SecurityGroup"),
                    ],
                },
                ListedStack {
                    name: "Staging-Shop-WorkersNested-X".into(),
                    prefix: "module.Shop.module.WorkersNested.".into(),
                    resources: vec![listed(
                        "WorkerSg12345678",
                        "sg-1",
                        "AWS::EC2::SecurityGroup",
                    )],
                },
            ],
            gaps: vec![CoverageGap {
                what: "cloudformation:ListStackResources Staging-Data".into(),
                reason: "stack `Staging-Data` does not exist".into(),
            }],
        };
        let renamed = |a: &str| {
            (a == "module.Shop.aws_s3_bucket.Reports${env}")
                .then(|| "module.Shop.aws_s3_bucket.ReportsStaging1A2B3C4D".to_string())
        };
        let stack = stack_state(&code, &listing, &renamed);
        let index = super::super::state_index(&stack);
        let at = |t: &str, id: &str| index.get(&(t.to_string(), id.to_string())).cloned();
        assert_eq!(
            at("aws_security_group", "sg-1").as_deref(),
            Some("module.Shop.module.WorkersNested.aws_security_group.WorkerSg12345678")
        );
        assert_eq!(at("aws_security_group", "sg-wrong"), None);
        assert_eq!(
            at("aws_s3_bucket", "reports-1").as_deref(),
            Some("module.Shop.aws_s3_bucket.Reports${env}")
        );
        assert_eq!(
            at("aws_iam_role", "Staging-Shop-AppRole-1").as_deref(),
            Some("module.Shop.aws_iam_role.AppRoleDC883459")
        );
        let sg = stack
            .resources
            .iter()
            .find(|r| r.rtype == "aws_security_group")
            .expect("security group");
        let tags = sg.attributes["tags_all"].as_map().expect("tags_all");
        assert_eq!(
            tags["aws:cloudformation:stack-name"],
            Value::from("Staging-Shop-WorkersNested-X")
        );
        assert_eq!(stack.coverage, listing.gaps);
    }

    #[test]
    fn addresses_split_into_their_template_prefix_and_logical_id() {
        assert_eq!(split_address("aws_vpc.Vpc"), Some(("", "Vpc")));
        assert_eq!(
            split_address("module.Shop.module.S.AWS::SQS::Queue.Q"),
            Some(("module.Shop.module.S.", "Q"))
        );
        assert_eq!(
            stack_name_of(
                "arn:aws:cloudformation:eu-west-1:111111111111:stack/Prod-Shop-S-1X/0f9e"
            ),
            "Prod-Shop-S-1X"
        );
        assert_eq!(stack_name_of("Prod-Shop-S-1X"), "Prod-Shop-S-1X");
    }
}
