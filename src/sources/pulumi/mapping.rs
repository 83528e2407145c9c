//! Pulumi type tokens onto the model's Terraform names, so a mapped type is
//! judged by the same rules as Terraform code, state and live AWS.
//!
//! AWS classic tokens (`aws:rds/instance:Instance`) map through
//! `tokens.tsv` (data, written by `scripts/gen-pulumi-tokens` from
//! pulumi-aws's bridge metadata) to a Terraform type; their camelCase
//! properties become the Terraform attributes the bridge made them from,
//! by the table's third column first (every name, of the resource or of a
//! nested block by its path, that is not the snake_case of the Pulumi
//! name: `inlinePolicies` is `inline_policy`, Lambda's `name` is
//! `function_name`), then by the bridge's rules checked against the AWS
//! provider schema (`terraform::schema`): `engineVersion` is
//! `engine_version`. Inside nested blocks keys follow the same rules;
//! maps of user keys (`tags`, Lambda `variables`) keep theirs. A block the
//! bridge flattened to one object becomes a list of one, as in state.
//!
//! `aws-native` tokens (`aws-native:rds:DbInstance`) are CloudFormation
//! types (`AWS::RDS::DBInstance`) and map through the CloudFormation
//! source's tables. Anything else keeps its Pulumi token and property
//! names and is compared by the generic rule: nothing is dropped.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::model::{Map, Value};
use crate::sources::cloudformation::eval::snake;
use crate::sources::cloudformation::mapping as cfn;
use crate::sources::terraform::schema::{self, Block, Item, Ty};

/// The generated table (see the file's header).
const TOKENS: &str = include_str!("tokens.tsv");

/// One classic token's row.
#[derive(Debug)]
pub(crate) struct Row {
    pub terraform: &'static str,
    /// Pulumi name → Terraform name, for every name that is not the plain
    /// snake_case of the Pulumi one; a nested block's by its path of
    /// Pulumi names (`lifecycleRules.transitions`).
    pub renames: Vec<(&'static str, &'static str)>,
}

impl Row {
    /// The Terraform name the table gives the Pulumi name at `path`.
    fn renamed(&self, path: &str) -> Option<&'static str> {
        self.renames
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, a)| *a)
    }
}

/// The table, by token. A line without a tab is skipped (the header).
pub(crate) static ROWS: LazyLock<HashMap<&'static str, Row>> = LazyLock::new(|| {
    TOKENS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let token = cols.next()?;
            let terraform = cols.next()?;
            let renames = cols
                .next()
                .unwrap_or_default()
                .split(',')
                .filter_map(|p| p.split_once('='))
                .collect();
            Some((token, Row { terraform, renames }))
        })
        .collect()
});

/// What a token maps to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mapped<'a> {
    /// A classic token with a row.
    Classic(&'static Row),
    /// An `aws-native` token whose CloudFormation type has a table.
    Native(&'static cfn::TypeMap),
    /// Neither: kept under its own names.
    Unmapped(&'a str),
}

pub(crate) fn lookup(token: &str) -> Mapped<'_> {
    if let Some(row) = ROWS.get(token) {
        return Mapped::Classic(row);
    }
    if let Some(t) = native(token) {
        return Mapped::Native(t);
    }
    Mapped::Unmapped(token)
}

/// `aws-native:rds:DbInstance` → the table of `AWS::RDS::DBInstance`: the
/// native provider names CloudFormation types with its own capitals, so
/// the service and type are matched without case.
fn native(token: &str) -> Option<&'static cfn::TypeMap> {
    let rest = token.strip_prefix("aws-native:")?;
    let (service, name) = rest.split_once(':')?;
    cfn::lookup_ignore_case(&format!("AWS::{service}::{name}"))
}

/// The model type of a token.
pub(crate) fn model_type(token: &str) -> &str {
    match lookup(token) {
        Mapped::Classic(row) => row.terraform,
        Mapped::Native(t) => t.terraform,
        Mapped::Unmapped(t) => t,
    }
}

/// A resource's properties as attributes.
pub(crate) fn attributes(token: &str, props: Map) -> Map {
    match lookup(token) {
        Mapped::Classic(row) => {
            let block = schema::lookup(row.terraform, false);
            let mut out = Map::new();
            for (prop, v) in props {
                let name = row
                    .renamed(&prop)
                    .map_or_else(|| attribute_name(block, &prop), str::to_string);
                let v = nested(
                    block.and_then(|b| b.get(&name)),
                    v,
                    &Names { row, path: &prop },
                );
                out.insert(name, v);
            }
            schema::convert_resource(row.terraform, false, &mut out);
            out
        }
        Mapped::Native(t) => {
            let props: Map = props
                .into_iter()
                .map(|(k, v)| {
                    let key = t
                        .property(&k, false)
                        .map_or_else(|| pascal(&k), |(p, _, _)| p.to_string());
                    (key, pascal_items(v))
                })
                .collect();
            let (mut out, _) = cfn::attributes(t.cfn, props);
            schema::convert_resource(t.terraform, false, &mut out);
            out
        }
        Mapped::Unmapped(_) => props,
    }
}

/// The attribute a resource's top-level property becomes (for its
/// location).
pub(crate) fn attribute_for(token: &str, prop: &str) -> String {
    match lookup(token) {
        Mapped::Classic(row) => row.renamed(prop).map_or_else(
            || attribute_name(schema::lookup(row.terraform, false), prop),
            str::to_string,
        ),
        Mapped::Native(t) => t
            .property(prop, false)
            .map_or_else(|| pascal(prop), |(_, a, _)| a.to_string()),
        Mapped::Unmapped(_) => prop.to_string(),
    }
}

/// The Terraform name of a camelCase property in `block`: its snake_case
/// form, or, when the schema has no such name and has the singular, the
/// singular (the bridge pluralizes the names of list blocks). Without a
/// schema, the snake_case form.
fn attribute_name(block: Option<&Block>, prop: &str) -> String {
    let s = snake(prop);
    let Some(b) = block else {
        return s;
    };
    if b.get(&s).is_some() {
        return s;
    }
    singulars(&s)
        .into_iter()
        .find(|c| b.get(c).is_some())
        .unwrap_or(s)
}

fn singulars(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(stem) = s.strip_suffix("ies") {
        out.push(format!("{stem}y"));
    }
    if let Some(stem) = s.strip_suffix("es") {
        out.push(stem.to_string());
    }
    if let Some(stem) = s.strip_suffix('s') {
        out.push(stem.to_string());
    }
    out
}

/// Where a nested value sits: its row (for the table's renames) and the
/// path of Pulumi names that leads to it.
struct Names<'a> {
    row: &'static Row,
    path: &'a str,
}

/// A value inside an attribute, its keys renamed where the schema says
/// they are attribute names (nested blocks, objects), kept where they are
/// a user's (maps) or the schema does not say. A block's keys are the
/// table's names at their path first; where the schema does not say (a
/// block computed by the provider, `identity`), only the table's names
/// are renamed.
fn nested(item: Option<&Item>, v: Value, at: &Names<'_>) -> Value {
    match (item, v) {
        (Some(Item::Block(_, inner)), v) => each_object(v, &|m| block_keys(inner, m, at)),
        (Some(Item::Attr(ty)), v) => typed(ty, v),
        (None, v) => each_object(v, &|m| table_keys(m, at)),
    }
}

/// The keys of an object the schema does not describe: the table's names
/// at their path, the others kept.
fn table_keys(m: Map, at: &Names<'_>) -> Value {
    Value::Map(
        m.into_iter()
            .map(|(k, v)| {
                let path = format!("{}.{k}", at.path);
                let name = at.row.renamed(&path).map_or(k, str::to_string);
                let v = nested(
                    None,
                    v,
                    &Names {
                        row: at.row,
                        path: &path,
                    },
                );
                (name, v)
            })
            .collect(),
    )
}

fn typed(ty: &Ty, v: Value) -> Value {
    match (ty, v) {
        (Ty::Object(fields), Value::Map(m)) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let name = snake(&k);
                    let inner = fields.iter().find(|(f, _)| *f == name).map(|(_, t)| t);
                    let v = match inner {
                        Some(t) => typed(t, v),
                        None => v,
                    };
                    (name, v)
                })
                .collect(),
        ),
        (Ty::List(inner) | Ty::Set(inner), Value::List(items)) => {
            Value::List(items.into_iter().map(|i| typed(inner, i)).collect())
        }
        (Ty::Map(inner), Value::Map(m)) => {
            Value::Map(m.into_iter().map(|(k, v)| (k, typed(inner, v))).collect())
        }
        (_, v) => v,
    }
}

fn block_keys(block: &Block, m: Map, at: &Names<'_>) -> Value {
    Value::Map(
        m.into_iter()
            .map(|(k, v)| {
                let path = format!("{}.{k}", at.path);
                let name = at
                    .row
                    .renamed(&path)
                    .map_or_else(|| attribute_name(Some(block), &k), str::to_string);
                let v = nested(
                    block.get(&name),
                    v,
                    &Names {
                        row: at.row,
                        path: &path,
                    },
                );
                (name, v)
            })
            .collect(),
    )
}

/// `f` on an object, or on each object of a list.
fn each_object(v: Value, f: &dyn Fn(Map) -> Value) -> Value {
    match v {
        Value::Map(m) => f(m),
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Map(m) => f(m),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// `dbInstanceClass` → `DbInstanceClass`.
fn pascal(k: &str) -> String {
    let mut c = k.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// The keys of objects in a list in CloudFormation's case (`tags: [{key,
/// value}]` → `[{Key, Value}]`, security group rules, policies), as the
/// CloudFormation tables read them; maps outside lists keep their keys
/// (Lambda `variables` are a user's).
fn pascal_items(v: Value) -> Value {
    match v {
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Map(m) => {
                        Value::Map(m.into_iter().map(|(k, v)| (pascal(&k), v)).collect())
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, Value)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    /// One property of each mapped token and the Terraform attribute it
    /// must become: adding a row to tokens.tsv needs a case here.
    const CASES: &[(&str, &str, &str)] = &[
        (
            "aws:alb/listener:Listener",
            "loadBalancerArn",
            "load_balancer_arn",
        ),
        (
            "aws:alb/loadBalancer:LoadBalancer",
            "loadBalancerType",
            "load_balancer_type",
        ),
        (
            "aws:alb/targetGroup:TargetGroup",
            "targetType",
            "target_type",
        ),
        (
            "aws:applicationloadbalancing/listener:Listener",
            "port",
            "port",
        ),
        (
            "aws:applicationloadbalancing/loadBalancer:LoadBalancer",
            "enableDeletionProtection",
            "enable_deletion_protection",
        ),
        (
            "aws:applicationloadbalancing/targetGroup:TargetGroup",
            "healthCheck",
            "health_check",
        ),
        (
            "aws:elasticloadbalancingv2/listener:Listener",
            "sslPolicy",
            "ssl_policy",
        ),
        (
            "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer",
            "subnetMappings",
            "subnet_mapping",
        ),
        (
            "aws:elasticloadbalancingv2/targetGroup:TargetGroup",
            "deregistrationDelay",
            "deregistration_delay",
        ),
        ("aws:ec2/eip:Eip", "domain", "domain"),
        ("aws:ec2/instance:Instance", "instanceType", "instance_type"),
        ("aws:ec2/internetGateway:InternetGateway", "vpcId", "vpc_id"),
        (
            "aws:ec2/launchTemplate:LaunchTemplate",
            "imageId",
            "image_id",
        ),
        (
            "aws:ec2/natGateway:NatGateway",
            "connectivityType",
            "connectivity_type",
        ),
        (
            "aws:ec2/route:Route",
            "destinationCidrBlock",
            "destination_cidr_block",
        ),
        ("aws:ec2/routeTable:RouteTable", "routes", "route"),
        (
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "routeTableId",
            "route_table_id",
        ),
        ("aws:ec2/securityGroup:SecurityGroup", "ingress", "ingress"),
        (
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "cidrBlocks",
            "cidr_blocks",
        ),
        (
            "aws:ec2/subnet:Subnet",
            "mapPublicIpOnLaunch",
            "map_public_ip_on_launch",
        ),
        (
            "aws:ec2/vpc:Vpc",
            "enableDnsHostnames",
            "enable_dns_hostnames",
        ),
        ("aws:ecs/cluster:Cluster", "settings", "setting"),
        ("aws:ecs/service:Service", "desiredCount", "desired_count"),
        ("aws:ecs/taskDefinition:TaskDefinition", "volumes", "volume"),
        ("aws:eks/cluster:Cluster", "vpcConfig", "vpc_config"),
        (
            "aws:eks/nodeGroup:NodeGroup",
            "instanceTypes",
            "instance_types",
        ),
        (
            "aws:elasticache/cluster:Cluster",
            "engineVersion",
            "engine_version",
        ),
        (
            "aws:elasticache/parameterGroup:ParameterGroup",
            "parameters",
            "parameter",
        ),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "numCacheClusters",
            "num_cache_clusters",
        ),
        (
            "aws:elasticache/subnetGroup:SubnetGroup",
            "subnetIds",
            "subnet_ids",
        ),
        ("aws:iam/groupPolicy:GroupPolicy", "policy", "policy"),
        (
            "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
            "policyArn",
            "policy_arn",
        ),
        ("aws:iam/instanceProfile:InstanceProfile", "role", "role"),
        ("aws:iam/policy:Policy", "policy", "policy"),
        (
            "aws:iam/policyAttachment:PolicyAttachment",
            "policyArn",
            "policy_arn",
        ),
        ("aws:iam/role:Role", "inlinePolicies", "inline_policy"),
        ("aws:iam/rolePolicy:RolePolicy", "policy", "policy"),
        (
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "policyArn",
            "policy_arn",
        ),
        ("aws:iam/userPolicy:UserPolicy", "policy", "policy"),
        (
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            "policyArn",
            "policy_arn",
        ),
        (
            "aws:kms/key:Key",
            "enableKeyRotation",
            "enable_key_rotation",
        ),
        ("aws:lambda/function:Function", "code", "filename"),
        (
            "aws:lambda/permission:Permission",
            "sourceArn",
            "source_arn",
        ),
        (
            "aws:lb/listener:Listener",
            "defaultActions",
            "default_action",
        ),
        ("aws:lb/loadBalancer:LoadBalancer", "internal", "internal"),
        (
            "aws:lb/targetGroup:TargetGroup",
            "healthCheck",
            "health_check",
        ),
        (
            "aws:rds/cluster:Cluster",
            "masterUserSecrets",
            "master_user_secret",
        ),
        (
            "aws:rds/clusterInstance:ClusterInstance",
            "instanceClass",
            "instance_class",
        ),
        (
            "aws:rds/clusterParameterGroup:ClusterParameterGroup",
            "parameters",
            "parameter",
        ),
        (
            "aws:rds/instance:Instance",
            "engineVersion",
            "engine_version",
        ),
        (
            "aws:rds/parameterGroup:ParameterGroup",
            "parameters",
            "parameter",
        ),
        ("aws:rds/subnetGroup:SubnetGroup", "subnetIds", "subnet_ids"),
        ("aws:s3/bucket:Bucket", "corsRules", "cors_rule"),
        ("aws:s3/bucketPolicy:BucketPolicy", "policy", "policy"),
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "blockPublicAcls",
            "block_public_acls",
        ),
        ("aws:s3/bucketV2:BucketV2", "versionings", "versioning"),
        (
            "aws:s3/bucketVersioningV2:BucketVersioningV2",
            "versioningConfiguration",
            "versioning_configuration",
        ),
        ("aws:sns/topic:Topic", "kmsMasterKeyId", "kms_master_key_id"),
        ("aws:sns/topicPolicy:TopicPolicy", "policy", "policy"),
        (
            "aws:sns/topicSubscription:TopicSubscription",
            "rawMessageDelivery",
            "raw_message_delivery",
        ),
        (
            "aws:sqs/queue:Queue",
            "visibilityTimeoutSeconds",
            "visibility_timeout_seconds",
        ),
        ("aws:sqs/queuePolicy:QueuePolicy", "queueUrl", "queue_url"),
        (
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "cidrIpv4",
            "cidr_ipv4",
        ),
        (
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "referencedSecurityGroupId",
            "referenced_security_group_id",
        ),
        // Rows the generator added from bridge-metadata.json's `renames.resources`.
        ("aws:autoscaling/group:Group", "maxSize", "max_size"),
        (
            "aws:cloudwatch/logGroup:LogGroup",
            "retentionInDays",
            "retention_in_days",
        ),
        (
            "aws:docdb/cluster:Cluster",
            "engineVersion",
            "engine_version",
        ),
        (
            "aws:docdb/clusterInstance:ClusterInstance",
            "instanceClass",
            "instance_class",
        ),
        (
            "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
            "family",
            "family",
        ),
        ("aws:ec2/ami:Ami", "rootDeviceName", "root_device_name"),
        (
            "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
            "defaultNetworkAclId",
            "default_network_acl_id",
        ),
        (
            "aws:ec2/defaultRouteTable:DefaultRouteTable",
            "defaultRouteTableId",
            "default_route_table_id",
        ),
        (
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "vpcId",
            "vpc_id",
        ),
        (
            "aws:ec2/defaultVpc:DefaultVpc",
            "enableDnsHostnames",
            "enable_dns_hostnames",
        ),
        (
            "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
            "vpcId",
            "vpc_id",
        ),
        (
            "aws:ec2/launchConfiguration:LaunchConfiguration",
            "imageId",
            "image_id",
        ),
        ("aws:ec2/networkAcl:NetworkAcl", "vpcId", "vpc_id"),
        (
            "aws:ec2/networkAclRule:NetworkAclRule",
            "ruleNumber",
            "rule_number",
        ),
        (
            "aws:ec2/networkInterface:NetworkInterface",
            "subnetId",
            "subnet_id",
        ),
        (
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            "serviceName",
            "service_name",
        ),
        (
            "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation",
            "cidrBlock",
            "cidr_block",
        ),
        (
            "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
            "peerVpcId",
            "peer_vpc_id",
        ),
        (
            "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
            "transitGatewayId",
            "transit_gateway_id",
        ),
        (
            "aws:ecr/repositoryPolicy:RepositoryPolicy",
            "repository",
            "repository",
        ),
        ("aws:eks/addon:Addon", "addonVersion", "addon_version"),
        (
            "aws:elasticloadbalancing/loadBalancer:LoadBalancer",
            "crossZoneLoadBalancing",
            "cross_zone_load_balancing",
        ),
        (
            "aws:elb/loadBalancer:LoadBalancer",
            "idleTimeout",
            "idle_timeout",
        ),
        (
            "aws:elasticsearch/domain:Domain",
            "elasticsearchVersion",
            "elasticsearch_version",
        ),
        (
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
            "url",
            "url",
        ),
        ("aws:iam/user:User", "forceDestroy", "force_destroy"),
        ("aws:kms/grant:Grant", "keyId", "key_id"),
        (
            "aws:kms/keyPolicy:KeyPolicy",
            "bypassPolicyLockoutSafetyCheck",
            "bypass_policy_lockout_safety_check",
        ),
        ("aws:mq/broker:Broker", "engineVersion", "engine_version"),
        ("aws:msk/cluster:Cluster", "kafkaVersion", "kafka_version"),
        (
            "aws:msk/serverlessCluster:ServerlessCluster",
            "clusterName",
            "cluster_name",
        ),
        (
            "aws:neptune/cluster:Cluster",
            "engineVersion",
            "engine_version",
        ),
        (
            "aws:neptune/clusterInstance:ClusterInstance",
            "instanceClass",
            "instance_class",
        ),
        (
            "aws:neptune/clusterParameterGroup:ClusterParameterGroup",
            "family",
            "family",
        ),
        (
            "aws:opensearch/domain:Domain",
            "engineVersion",
            "engine_version",
        ),
        ("aws:rds/proxy:Proxy", "engineFamily", "engine_family"),
        (
            "aws:secretsmanager/secret:Secret",
            "recoveryWindowInDays",
            "recovery_window_in_days",
        ),
        (
            "aws:secretsmanager/secretPolicy:SecretPolicy",
            "secretArn",
            "secret_arn",
        ),
        (
            "aws:wafv2/webAclAssociation:WebAclAssociation",
            "webAclArn",
            "web_acl_arn",
        ),
    ];

    #[test]
    fn every_mapped_token_names_a_provider_type_and_has_a_case() {
        assert!(ROWS.len() >= 50, "{}", ROWS.len());
        for (token, row) in ROWS.iter() {
            assert!(
                schema::lookup(row.terraform, false).is_some(),
                "{token}: {} is not in the provider schema",
                row.terraform
            );
            assert!(
                CASES.iter().any(|(t, _, _)| t == token),
                "{token} has no case in CASES"
            );
        }
    }

    #[test]
    fn each_mapped_token_maps_its_property_to_the_terraform_attribute() {
        for (token, prop, attr) in CASES {
            assert!(ROWS.contains_key(token), "{token} is not in tokens.tsv");
            let out = attributes(token, props(&[(prop, Value::str("x"))]));
            assert!(
                out.contains_key(attr),
                "{token}: {prop} became {:?}, expected {attr}",
                out.keys().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn nested_blocks_are_renamed_and_listed_and_user_maps_kept() {
        let mut ingress = Map::new();
        ingress.insert("fromPort".into(), Value::Number(443.0));
        ingress.insert(
            "cidrBlocks".into(),
            Value::List(vec![Value::str("10.0.0.0/16")]),
        );
        let mut tags = Map::new();
        tags.insert("CostCenter".into(), Value::str("web"));
        let out = attributes(
            "aws:ec2/securityGroup:SecurityGroup",
            props(&[
                ("ingress", Value::List(vec![Value::Map(ingress)])),
                ("tags", Value::Map(tags)),
            ]),
        );
        assert_eq!(
            out["ingress"].get_path("0.from_port"),
            Some(&Value::Number(443.0))
        );
        assert!(out["ingress"].get_path("0.cidr_blocks").is_some());
        assert_eq!(out["tags"].get_path("CostCenter"), Some(&Value::str("web")));

        // A block the bridge flattened to one object is a list of one.
        let mut vpc = Map::new();
        vpc.insert("endpointPublicAccess".into(), Value::Bool(false));
        let out = attributes(
            "aws:eks/cluster:Cluster",
            props(&[("vpcConfig", Value::Map(vpc))]),
        );
        assert_eq!(
            out["vpc_config"].get_path("0.endpoint_public_access"),
            Some(&Value::Bool(false))
        );
        // Lambda variables are a user's keys.
        let mut env = Map::new();
        let mut vars = Map::new();
        vars.insert("LOG_LEVEL".into(), Value::str("debug"));
        env.insert("variables".into(), Value::Map(vars));
        let out = attributes(
            "aws:lambda/function:Function",
            props(&[("environment", Value::Map(env))]),
        );
        assert_eq!(
            out["environment"].get_path("0.variables.LOG_LEVEL"),
            Some(&Value::str("debug"))
        );
    }

    /// `{a: [{b: [{c: "v"}]}]}` for the path `a.b.c`.
    fn at_path(path: &str, leaf: Value) -> Map {
        let mut parts: Vec<&str> = path.split('.').collect();
        let mut v = leaf;
        let top = parts.remove(0);
        for p in parts.iter().rev() {
            let mut m = Map::new();
            m.insert((*p).to_string(), v);
            v = Value::List(vec![Value::Map(m)]);
        }
        props(&[(top, v)])
    }

    /// Whether `key` holds `want` somewhere in `v`.
    fn holds(v: &Value, key: &str, want: &Value) -> bool {
        match v {
            Value::Map(m) => m
                .iter()
                .any(|(k, x)| (k == key && x == want) || holds(x, key, want)),
            Value::List(items) => items.iter().any(|x| holds(x, key, want)),
            _ => false,
        }
    }

    /// Every name of the table's third column, nested ones too, becomes
    /// its Terraform name in the model.
    #[test]
    fn every_renamed_property_of_the_table_becomes_its_terraform_name() {
        let mut checked = 0;
        for (token, row) in ROWS.iter() {
            for (path, attr) in &row.renames {
                let leaf = Value::str("renamed-leaf");
                let out = attributes(token, at_path(path, leaf.clone()));
                let found = if path.contains('.') {
                    out.values().any(|v| holds(v, attr, &leaf))
                } else {
                    // A plain value, or one block flattened to a list of one.
                    let got = out.get(attr);
                    got == Some(&leaf) || got.and_then(|v| v.get_path("0")) == Some(&leaf)
                };
                assert!(found, "{token}: {path} did not become {attr}: {out:?}");
                checked += 1;
            }
        }
        assert!(checked >= 100, "{checked}");
    }

    /// The renames the bridge's rule alone gets wrong (pulumi-aws's own
    /// names, checked against its bridge-metadata.json).
    #[test]
    fn pulumi_aws_own_names_map_to_the_terraform_attributes() {
        let out = attributes(
            "aws:lambda/function:Function",
            props(&[
                ("name", Value::str("api")),
                ("memorySize", Value::Number(256.0)),
            ]),
        );
        assert_eq!(out.get("function_name"), Some(&Value::str("api")));
        assert!(!out.contains_key("name"));
        assert_eq!(out.get("memory_size"), Some(&Value::Number(256.0)));
        let out = attributes(
            "aws:lambda/permission:Permission",
            props(&[("function", Value::str("api"))]),
        );
        assert_eq!(out.get("function_name"), Some(&Value::str("api")));
        // BucketV2 keeps its blocks lists (`versionings`), the legacy
        // Bucket only `loggings`.
        let mut versioning = Map::new();
        versioning.insert("enabled".into(), Value::Bool(true));
        let out = attributes(
            "aws:s3/bucketV2:BucketV2",
            props(&[("versionings", Value::List(vec![Value::Map(versioning)]))]),
        );
        assert_eq!(
            out["versioning"].get_path("0.enabled"),
            Some(&Value::Bool(true))
        );
        let mut transition = Map::new();
        transition.insert("storageClass".into(), Value::str("GLACIER"));
        let mut rule = Map::new();
        rule.insert(
            "transitions".into(),
            Value::List(vec![Value::Map(transition)]),
        );
        let out = attributes(
            "aws:s3/bucketV2:BucketV2",
            props(&[("lifecycleRules", Value::List(vec![Value::Map(rule)]))]),
        );
        assert_eq!(
            out["lifecycle_rule"].get_path("0.transition.0.storage_class"),
            Some(&Value::str("GLACIER"))
        );
        // Kept singular by pulumi-aws although a set (not `ingresses`).
        assert_eq!(
            attribute_for("aws:ec2/securityGroup:SecurityGroup", "ingress"),
            "ingress"
        );
        assert_eq!(
            attribute_for("aws:ec2/networkAcl:NetworkAcl", "egress"),
            "egress"
        );
        assert_eq!(
            attribute_for("aws:eks/cluster:Cluster", "certificateAuthority"),
            "certificate_authority"
        );
        assert_eq!(
            attribute_for("aws:rds/instance:Instance", "masterUserSecrets"),
            "master_user_secret"
        );
    }

    #[test]
    fn native_tokens_map_through_the_cloudformation_tables_and_others_keep_their_names() {
        assert_eq!(model_type("aws-native:rds:DbInstance"), "aws_db_instance");
        let out = attributes(
            "aws-native:rds:DbInstance",
            props(&[
                ("dbInstanceClass", Value::str("db.t3.micro")),
                ("engineVersion", Value::str("16.3")),
            ]),
        );
        assert_eq!(out["instance_class"], Value::str("db.t3.micro"));
        assert_eq!(out["engine_version"], Value::str("16.3"));
        assert_eq!(
            model_type("aws:logs/logGroup:LogGroup"),
            "aws:logs/logGroup:LogGroup"
        );
        let out = attributes(
            "aws:logs/logGroup:LogGroup",
            props(&[("retentionInDays", Value::Number(7.0))]),
        );
        assert_eq!(out["retentionInDays"], Value::Number(7.0));
    }
}
