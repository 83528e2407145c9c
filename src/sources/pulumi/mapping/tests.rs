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
