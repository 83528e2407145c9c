//! A CloudFormation stack as the live read's "state": the stack's
//! resources (`ListStackResources`, read-only, behind the same guard as the
//! collectors) joined to the resources of the environment's evaluated
//! template by logical ID, so live resources take the template's addresses
//! by their physical ids, as state ids readdress them for Terraform.

use std::collections::HashMap;

use aws_smithy_types::error::display::DisplayErrorContext;

use super::client::Clients;
use super::{AwsError, AwsSettings, CollectStats};
use crate::model::{Map, Resource, Snapshot, Value};

/// One resource of a deployed stack, as `ListStackResources` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    /// Empty while the resource is being created, or after it failed.
    pub physical_id: String,
    pub resource_type: String,
}

/// The resources of stack `stack` in the first region of `settings`, with
/// the calls made (the credentials check included).
pub fn list_stack_resources(
    env_name: &str,
    settings: &AwsSettings,
    stack: &str,
) -> Result<(Vec<StackResource>, CollectStats), AwsError> {
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
        let regional = clients.regions.first().ok_or_else(|| AwsError::NoRegion {
            environment: env_name.to_string(),
        })?;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = regional
                .cloudformation
                .list_stack_resources()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::Stack {
                    environment: env_name.to_string(),
                    stack: stack.to_string(),
                    region: regional.region.clone(),
                    reason: DisplayErrorContext(&e).to_string(),
                })?;
            for s in page.stack_resource_summaries() {
                out.push(StackResource {
                    logical_id: s.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: s.physical_resource_id().unwrap_or_default().to_string(),
                    resource_type: s.resource_type().unwrap_or_default().to_string(),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        let mut stats = clients.guard.stats();
        stats.elapsed = started.elapsed();
        if let Some(cfn) = stats.services.get_mut("cloudformation") {
            cfn.elapsed = stats.elapsed;
        }
        Ok((out, stats))
    })
}

/// The template's resources that the stack holds, as a state would record
/// them: each with its physical id as `id` (and as `name` for IAM types
/// whose template gives none: CloudFormation names them so), and the tags
/// CloudFormation propagates (`aws:cloudformation:stack-name`,
/// `aws:cloudformation:logical-id`) in `tags_all`, so that
/// [`super::state_index`] and [`super::live_scope`] take it as they take a
/// Terraform state. Resources of nested stacks (`module.` addresses) and
/// stack resources the template does not declare are left out. `code` as
/// read, not normalized.
pub fn stack_state(code: &Snapshot, stack: &str, resources: &[StackResource]) -> Snapshot {
    let by_logical: HashMap<&str, &Resource> = code
        .resources
        .iter()
        .filter(|r| !r.data && !r.address.starts_with("module."))
        .filter_map(|r| Some((r.address.rsplit_once('.')?.1, r)))
        .collect();
    let mut out = Snapshot::new(code.environment.clone(), code.source);
    for s in resources.iter().filter(|s| !s.physical_id.is_empty()) {
        let Some(r) = by_logical.get(s.logical_id.as_str()) else {
            continue;
        };
        let mut r = (*r).clone();
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
        out.resources.push(r);
    }
    out
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
        let stack = stack_state(
            &code,
            "shop-staging",
            &[
                listed("Vpc", "vpc-1", "AWS::EC2::VPC"),
                listed("AppRole", "shop-staging-AppRole-X1", "AWS::IAM::Role"),
                listed("Gone", "q-1", "AWS::SQS::Queue"),
                listed("Pending", "", "AWS::EC2::Subnet"),
            ],
        );
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
}
