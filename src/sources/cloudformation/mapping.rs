//! CloudFormation resource types onto the model's Terraform names, as data:
//! one [`TypeMap`] per type, each property to a Terraform attribute with a
//! conversion ([`Conv`]). The rule packs judge Terraform names
//! (`aws_db_instance.engine_version`, `aws_iam_role.assume_role_policy`,
//! `aws_security_group.ingress`), so a mapped type is judged by the same
//! rules as Terraform code, state and live AWS.
//!
//! Nothing is dropped: a property a type's table does not name keeps its
//! CloudFormation name, and a type without a table keeps its CloudFormation
//! type (`AWS::Logs::LogGroup`) and property names; both are compared by the
//! generic rule. After mapping, values take the provider schema's types
//! (`AllocatedStorage: "20"` is the number 20), as Terraform code does.

use crate::model::{Map, Value};

/// How a property's value becomes the attribute's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conv {
    /// As it is.
    Same,
    /// `[{Key, Value}]` → `{Key: Value}`.
    Tags,
    /// A single value → a list of one (`CidrIp` → `cidr_blocks`).
    One,
    /// Security group rule entries → the provider's `ingress`/`egress`
    /// blocks (one block per entry).
    SgRules,
    /// `Policies: [{PolicyName, PolicyDocument}]` → `inline_policy`
    /// blocks `[{name, policy}]`.
    InlinePolicies,
    /// `{Variables: {...}}` → `[{variables: {...}}]` (Lambda environment).
    Environment,
    /// An object whose keys become the block's in Terraform's case, as a
    /// list of one block (`VpcConfig` → `vpc_config`).
    Block,
    /// `{Status: Enabled|Suspended}` → `[{enabled: bool}]` (S3 versioning).
    Versioning,
    /// A list of one → its item.
    First,
    /// `{name: value}` → `[{name, value}]` (DB parameter groups).
    NameValue,
    /// ECS container definitions: keys in the task definition JSON's
    /// camelCase, as the JSON document Terraform holds (normalization
    /// parses it, as it does Terraform's).
    Containers,
    /// An object whose known keys spread into top-level attributes (Lambda
    /// `Code`: `S3Bucket` → `s3_bucket`, ...); the rest stays under the
    /// property's own name.
    Spread(&'static [(&'static str, &'static str)]),
    /// As `Spread`, each key with its own conversion (`LaunchTemplateData`).
    Data(&'static [(&'static str, &'static str, Conv)]),
    /// A list of objects → a list of blocks, keys in Terraform's case
    /// (`DefaultActions` → `default_action`).
    Blocks,
    /// `Scheme: internal|internet-facing` → `internal: true|false`.
    Internal,
}

/// One CloudFormation type's table.
#[derive(Debug)]
pub(crate) struct TypeMap {
    pub cfn: &'static str,
    pub terraform: &'static str,
    /// Property → (attribute, conversion).
    pub properties: &'static [(&'static str, &'static str, Conv)],
    /// Attributes the Terraform type always has for this CloudFormation
    /// type (a security group rule's `type`).
    pub fixed: &'static [(&'static str, &'static str)],
}

use Conv::*;

const TAGS: (&str, &str, Conv) = ("Tags", "tags", Tags);

/// The tables. Add a type here and a case to the test below.
pub(crate) static TYPES: &[TypeMap] = &[
    TypeMap {
        cfn: "AWS::CloudFormation::Stack",
        terraform: "aws_cloudformation_stack",
        properties: &[
            ("TemplateURL", "template_url", Same),
            ("Parameters", "parameters", Same),
            ("TimeoutInMinutes", "timeout_in_minutes", Same),
            ("NotificationARNs", "notification_arns", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::RDS::DBInstance",
        terraform: "aws_db_instance",
        properties: &[
            ("Engine", "engine", Same),
            ("EngineVersion", "engine_version", Same),
            ("DBInstanceClass", "instance_class", Same),
            ("MultiAZ", "multi_az", Same),
            ("AllocatedStorage", "allocated_storage", Same),
            ("MaxAllocatedStorage", "max_allocated_storage", Same),
            ("StorageType", "storage_type", Same),
            ("Iops", "iops", Same),
            ("StorageThroughput", "storage_throughput", Same),
            ("StorageEncrypted", "storage_encrypted", Same),
            ("KmsKeyId", "kms_key_id", Same),
            ("MasterUsername", "username", Same),
            ("MasterUserPassword", "password", Same),
            (
                "ManageMasterUserPassword",
                "manage_master_user_password",
                Same,
            ),
            ("DBName", "db_name", Same),
            ("DBInstanceIdentifier", "identifier", Same),
            ("PubliclyAccessible", "publicly_accessible", Same),
            ("BackupRetentionPeriod", "backup_retention_period", Same),
            ("PreferredBackupWindow", "backup_window", Same),
            ("PreferredMaintenanceWindow", "maintenance_window", Same),
            ("DeletionProtection", "deletion_protection", Same),
            ("DBSubnetGroupName", "db_subnet_group_name", Same),
            ("VPCSecurityGroups", "vpc_security_group_ids", Same),
            ("DBParameterGroupName", "parameter_group_name", Same),
            ("OptionGroupName", "option_group_name", Same),
            (
                "AutoMinorVersionUpgrade",
                "auto_minor_version_upgrade",
                Same,
            ),
            ("Port", "port", Same),
            ("MonitoringInterval", "monitoring_interval", Same),
            (
                "EnablePerformanceInsights",
                "performance_insights_enabled",
                Same,
            ),
            ("CopyTagsToSnapshot", "copy_tags_to_snapshot", Same),
            (
                "EnableIAMDatabaseAuthentication",
                "iam_database_authentication_enabled",
                Same,
            ),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::RDS::DBCluster",
        terraform: "aws_rds_cluster",
        properties: &[
            ("Engine", "engine", Same),
            ("EngineVersion", "engine_version", Same),
            ("EngineMode", "engine_mode", Same),
            ("DBClusterIdentifier", "cluster_identifier", Same),
            ("DatabaseName", "database_name", Same),
            ("MasterUsername", "master_username", Same),
            ("MasterUserPassword", "master_password", Same),
            (
                "ManageMasterUserPassword",
                "manage_master_user_password",
                Same,
            ),
            ("StorageEncrypted", "storage_encrypted", Same),
            ("KmsKeyId", "kms_key_id", Same),
            ("BackupRetentionPeriod", "backup_retention_period", Same),
            ("PreferredBackupWindow", "preferred_backup_window", Same),
            (
                "PreferredMaintenanceWindow",
                "preferred_maintenance_window",
                Same,
            ),
            ("DeletionProtection", "deletion_protection", Same),
            ("DBSubnetGroupName", "db_subnet_group_name", Same),
            ("VpcSecurityGroupIds", "vpc_security_group_ids", Same),
            (
                "DBClusterParameterGroupName",
                "db_cluster_parameter_group_name",
                Same,
            ),
            ("AvailabilityZones", "availability_zones", Same),
            ("Port", "port", Same),
            (
                "ServerlessV2ScalingConfiguration",
                "serverlessv2_scaling_configuration",
                Block,
            ),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::RDS::DBParameterGroup",
        terraform: "aws_db_parameter_group",
        properties: &[
            ("Family", "family", Same),
            ("Description", "description", Same),
            ("DBParameterGroupName", "name", Same),
            ("Parameters", "parameter", NameValue),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::RDS::DBClusterParameterGroup",
        terraform: "aws_rds_cluster_parameter_group",
        properties: &[
            ("Family", "family", Same),
            ("Description", "description", Same),
            ("DBClusterParameterGroupName", "name", Same),
            ("Parameters", "parameter", NameValue),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::ElastiCache::ReplicationGroup",
        terraform: "aws_elasticache_replication_group",
        properties: &[
            ("Engine", "engine", Same),
            ("EngineVersion", "engine_version", Same),
            ("CacheNodeType", "node_type", Same),
            ("NumCacheClusters", "num_cache_clusters", Same),
            ("ReplicasPerNodeGroup", "replicas_per_node_group", Same),
            (
                "AutomaticFailoverEnabled",
                "automatic_failover_enabled",
                Same,
            ),
            ("MultiAZEnabled", "multi_az_enabled", Same),
            (
                "AtRestEncryptionEnabled",
                "at_rest_encryption_enabled",
                Same,
            ),
            (
                "TransitEncryptionEnabled",
                "transit_encryption_enabled",
                Same,
            ),
            ("AuthToken", "auth_token", Same),
            ("KmsKeyId", "kms_key_id", Same),
            ("CacheParameterGroupName", "parameter_group_name", Same),
            ("CacheSubnetGroupName", "subnet_group_name", Same),
            ("SecurityGroupIds", "security_group_ids", Same),
            ("ReplicationGroupId", "replication_group_id", Same),
            ("ReplicationGroupDescription", "description", Same),
            ("SnapshotRetentionLimit", "snapshot_retention_limit", Same),
            (
                "AutoMinorVersionUpgrade",
                "auto_minor_version_upgrade",
                Same,
            ),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::ElastiCache::CacheCluster",
        terraform: "aws_elasticache_cluster",
        properties: &[
            ("Engine", "engine", Same),
            ("EngineVersion", "engine_version", Same),
            ("CacheNodeType", "node_type", Same),
            ("NumCacheNodes", "num_cache_nodes", Same),
            ("ClusterName", "cluster_id", Same),
            ("CacheParameterGroupName", "parameter_group_name", Same),
            ("CacheSubnetGroupName", "subnet_group_name", Same),
            ("VpcSecurityGroupIds", "security_group_ids", Same),
            (
                "AutoMinorVersionUpgrade",
                "auto_minor_version_upgrade",
                Same,
            ),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EKS::Cluster",
        terraform: "aws_eks_cluster",
        properties: &[
            ("Name", "name", Same),
            ("Version", "version", Same),
            ("RoleArn", "role_arn", Same),
            ("ResourcesVpcConfig", "vpc_config", Block),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::OpenSearchService::Domain",
        terraform: "aws_opensearch_domain",
        properties: &[
            ("DomainName", "domain_name", Same),
            ("EngineVersion", "engine_version", Same),
            ("ClusterConfig", "cluster_config", Block),
            ("EBSOptions", "ebs_options", Block),
            ("EncryptionAtRestOptions", "encrypt_at_rest", Block),
            (
                "NodeToNodeEncryptionOptions",
                "node_to_node_encryption",
                Block,
            ),
            ("DomainEndpointOptions", "domain_endpoint_options", Block),
            ("AccessPolicies", "access_policies", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::ECS::TaskDefinition",
        terraform: "aws_ecs_task_definition",
        properties: &[
            ("Family", "family", Same),
            ("Cpu", "cpu", Same),
            ("Memory", "memory", Same),
            ("NetworkMode", "network_mode", Same),
            ("RequiresCompatibilities", "requires_compatibilities", Same),
            ("ExecutionRoleArn", "execution_role_arn", Same),
            ("TaskRoleArn", "task_role_arn", Same),
            ("RuntimePlatform", "runtime_platform", Block),
            ("ContainerDefinitions", "container_definitions", Containers),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::ECS::Service",
        terraform: "aws_ecs_service",
        properties: &[
            ("ServiceName", "name", Same),
            ("Cluster", "cluster", Same),
            ("TaskDefinition", "task_definition", Same),
            ("DesiredCount", "desired_count", Same),
            ("LaunchType", "launch_type", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::SQS::Queue",
        terraform: "aws_sqs_queue",
        properties: &[
            ("QueueName", "name", Same),
            ("VisibilityTimeout", "visibility_timeout_seconds", Same),
            ("MessageRetentionPeriod", "message_retention_seconds", Same),
            ("DelaySeconds", "delay_seconds", Same),
            ("MaximumMessageSize", "max_message_size", Same),
            (
                "ReceiveMessageWaitTimeSeconds",
                "receive_wait_time_seconds",
                Same,
            ),
            ("FifoQueue", "fifo_queue", Same),
            (
                "ContentBasedDeduplication",
                "content_based_deduplication",
                Same,
            ),
            ("KmsMasterKeyId", "kms_master_key_id", Same),
            ("SqsManagedSseEnabled", "sqs_managed_sse_enabled", Same),
            ("RedrivePolicy", "redrive_policy", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::SQS::QueuePolicy",
        terraform: "aws_sqs_queue_policy",
        properties: &[
            ("PolicyDocument", "policy", Same),
            ("Queues", "queue_url", First),
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::SNS::Topic",
        terraform: "aws_sns_topic",
        properties: &[
            ("TopicName", "name", Same),
            ("DisplayName", "display_name", Same),
            ("FifoTopic", "fifo_topic", Same),
            ("KmsMasterKeyId", "kms_master_key_id", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::SNS::TopicPolicy",
        terraform: "aws_sns_topic_policy",
        properties: &[("PolicyDocument", "policy", Same), ("Topics", "arn", First)],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::KMS::Key",
        terraform: "aws_kms_key",
        properties: &[
            ("Description", "description", Same),
            ("KeyPolicy", "policy", Same),
            ("EnableKeyRotation", "enable_key_rotation", Same),
            ("KeyUsage", "key_usage", Same),
            ("MultiRegion", "multi_region", Same),
            ("PendingWindowInDays", "deletion_window_in_days", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::RDS::DBSubnetGroup",
        terraform: "aws_db_subnet_group",
        properties: &[
            ("DBSubnetGroupName", "name", Same),
            ("DBSubnetGroupDescription", "description", Same),
            ("SubnetIds", "subnet_ids", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::VPC",
        terraform: "aws_vpc",
        properties: &[
            ("CidrBlock", "cidr_block", Same),
            ("EnableDnsHostnames", "enable_dns_hostnames", Same),
            ("EnableDnsSupport", "enable_dns_support", Same),
            ("InstanceTenancy", "instance_tenancy", Same),
            ("Ipv4IpamPoolId", "ipv4_ipam_pool_id", Same),
            ("Ipv4NetmaskLength", "ipv4_netmask_length", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::Subnet",
        terraform: "aws_subnet",
        properties: &[
            ("VpcId", "vpc_id", Same),
            ("CidrBlock", "cidr_block", Same),
            ("Ipv6CidrBlock", "ipv6_cidr_block", Same),
            ("AvailabilityZone", "availability_zone", Same),
            ("AvailabilityZoneId", "availability_zone_id", Same),
            ("MapPublicIpOnLaunch", "map_public_ip_on_launch", Same),
            (
                "AssignIpv6AddressOnCreation",
                "assign_ipv6_address_on_creation",
                Same,
            ),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::SecurityGroup",
        terraform: "aws_security_group",
        properties: &[
            ("GroupDescription", "description", Same),
            ("GroupName", "name", Same),
            ("VpcId", "vpc_id", Same),
            ("SecurityGroupIngress", "ingress", SgRules),
            ("SecurityGroupEgress", "egress", SgRules),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::SecurityGroupIngress",
        terraform: "aws_security_group_rule",
        properties: &[
            ("GroupId", "security_group_id", Same),
            ("IpProtocol", "protocol", Same),
            ("FromPort", "from_port", Same),
            ("ToPort", "to_port", Same),
            ("CidrIp", "cidr_blocks", One),
            ("CidrIpv6", "ipv6_cidr_blocks", One),
            ("SourcePrefixListId", "prefix_list_ids", One),
            ("SourceSecurityGroupId", "source_security_group_id", Same),
            ("Description", "description", Same),
        ],
        fixed: &[("type", "ingress")],
    },
    TypeMap {
        cfn: "AWS::EC2::SecurityGroupEgress",
        terraform: "aws_security_group_rule",
        properties: &[
            ("GroupId", "security_group_id", Same),
            ("IpProtocol", "protocol", Same),
            ("FromPort", "from_port", Same),
            ("ToPort", "to_port", Same),
            ("CidrIp", "cidr_blocks", One),
            ("CidrIpv6", "ipv6_cidr_blocks", One),
            ("DestinationPrefixListId", "prefix_list_ids", One),
            (
                "DestinationSecurityGroupId",
                "source_security_group_id",
                Same,
            ),
            ("Description", "description", Same),
        ],
        fixed: &[("type", "egress")],
    },
    TypeMap {
        cfn: "AWS::EC2::InternetGateway",
        terraform: "aws_internet_gateway",
        properties: &[TAGS],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::NatGateway",
        terraform: "aws_nat_gateway",
        properties: &[
            ("SubnetId", "subnet_id", Same),
            ("AllocationId", "allocation_id", Same),
            ("ConnectivityType", "connectivity_type", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::EIP",
        terraform: "aws_eip",
        properties: &[("Domain", "domain", Same), TAGS],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::RouteTable",
        terraform: "aws_route_table",
        properties: &[("VpcId", "vpc_id", Same), TAGS],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::Route",
        terraform: "aws_route",
        properties: &[
            ("RouteTableId", "route_table_id", Same),
            ("DestinationCidrBlock", "destination_cidr_block", Same),
            (
                "DestinationIpv6CidrBlock",
                "destination_ipv6_cidr_block",
                Same,
            ),
            ("GatewayId", "gateway_id", Same),
            ("NatGatewayId", "nat_gateway_id", Same),
            ("TransitGatewayId", "transit_gateway_id", Same),
            ("VpcEndpointId", "vpc_endpoint_id", Same),
            ("VpcPeeringConnectionId", "vpc_peering_connection_id", Same),
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::SubnetRouteTableAssociation",
        terraform: "aws_route_table_association",
        properties: &[
            ("SubnetId", "subnet_id", Same),
            ("RouteTableId", "route_table_id", Same),
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::IAM::Role",
        terraform: "aws_iam_role",
        properties: &[
            ("AssumeRolePolicyDocument", "assume_role_policy", Same),
            ("Policies", "inline_policy", InlinePolicies),
            ("ManagedPolicyArns", "managed_policy_arns", Same),
            ("PermissionsBoundary", "permissions_boundary", Same),
            ("RoleName", "name", Same),
            ("Path", "path", Same),
            ("Description", "description", Same),
            ("MaxSessionDuration", "max_session_duration", Same),
            TAGS,
        ],
        fixed: &[],
    },
    // An inline policy attached to roles, users or groups.
    TypeMap {
        cfn: "AWS::IAM::Policy",
        terraform: "aws_iam_role_policy",
        properties: &[
            ("PolicyName", "name", Same),
            ("PolicyDocument", "policy", Same),
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::IAM::ManagedPolicy",
        terraform: "aws_iam_policy",
        properties: &[
            ("ManagedPolicyName", "name", Same),
            ("PolicyDocument", "policy", Same),
            ("Path", "path", Same),
            ("Description", "description", Same),
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::IAM::InstanceProfile",
        terraform: "aws_iam_instance_profile",
        properties: &[
            ("InstanceProfileName", "name", Same),
            ("Path", "path", Same),
            // One role at most, as the provider's `role`.
            ("Roles", "role", First),
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::Lambda::Function",
        terraform: "aws_lambda_function",
        properties: &[
            ("Runtime", "runtime", Same),
            ("Architectures", "architectures", Same),
            ("Handler", "handler", Same),
            ("MemorySize", "memory_size", Same),
            ("Timeout", "timeout", Same),
            ("Role", "role", Same),
            ("FunctionName", "function_name", Same),
            ("Description", "description", Same),
            ("Layers", "layers", Same),
            ("PackageType", "package_type", Same),
            ("KmsKeyArn", "kms_key_arn", Same),
            (
                "ReservedConcurrentExecutions",
                "reserved_concurrent_executions",
                Same,
            ),
            ("Environment", "environment", Environment),
            ("VpcConfig", "vpc_config", Block),
            ("TracingConfig", "tracing_config", Block),
            ("EphemeralStorage", "ephemeral_storage", Block),
            (
                "Code",
                "Code",
                Spread(&[
                    ("S3Bucket", "s3_bucket"),
                    ("S3Key", "s3_key"),
                    ("S3ObjectVersion", "s3_object_version"),
                    ("ImageUri", "image_uri"),
                ]),
            ),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::S3::Bucket",
        terraform: "aws_s3_bucket",
        properties: &[
            ("BucketName", "bucket", Same),
            ("ObjectLockEnabled", "object_lock_enabled", Same),
            ("VersioningConfiguration", "versioning", Versioning),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::S3::BucketPolicy",
        terraform: "aws_s3_bucket_policy",
        properties: &[
            ("Bucket", "bucket", Same),
            ("PolicyDocument", "policy", Same),
        ],
        fixed: &[],
    },
];

/// Every table: these and the compute and load balancing ones.
pub(crate) fn all() -> impl Iterator<Item = &'static TypeMap> {
    TYPES.iter().chain(super::compute::TYPES)
}

impl TypeMap {
    /// The row of a property by its CloudFormation name (`Engine`); with
    /// `exact` false, matched without case, as the `aws-native` Pulumi
    /// provider writes it (`engine`).
    pub(crate) fn property(
        &self,
        name: &str,
        exact: bool,
    ) -> Option<&'static (&'static str, &'static str, Conv)> {
        self.properties.iter().find(|(p, _, _)| {
            if exact {
                *p == name
            } else {
                p.eq_ignore_ascii_case(name)
            }
        })
    }
}

/// The table of a CloudFormation type, if it has one.
pub(crate) fn lookup(cfn: &str) -> Option<&'static TypeMap> {
    all().find(|t| t.cfn == cfn)
}

/// The table of a CloudFormation type matched without case
/// (`AWS::Rds::DbInstance` is `AWS::RDS::DBInstance`), as the `aws-native`
/// Pulumi provider names the types with its own capitals.
pub(crate) fn lookup_ignore_case(cfn: &str) -> Option<&'static TypeMap> {
    all().find(|t| t.cfn.eq_ignore_ascii_case(cfn))
}

/// The model type of a CloudFormation type: its Terraform type when
/// mapped, its own name otherwise.
pub(crate) fn model_type(cfn: &str) -> &str {
    lookup(cfn).map_or(cfn, |t| t.terraform)
}

/// The attribute path under a property's attribute for a path of keys and
/// list indices under the property (`["1", "FromPort"]`), where the
/// conversion keeps it: every path for a property kept as it is (or not
/// mapped), the item index for one that converts each list item into a
/// block of its own (`SecurityGroupIngress[1]` → `ingress.1`); `None`
/// where the shapes differ (the attribute's line stands for it).
pub(crate) fn nested_path(conv: Option<Conv>, rest: &[String]) -> Option<String> {
    match (conv, rest) {
        (None | Some(Same), _) => Some(rest.join(".")),
        (Some(SgRules | InlinePolicies | Containers), [index])
            if index.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(index.clone())
        }
        _ => None,
    }
}

/// A resource's evaluated properties as attributes, with the attribute
/// each property became (for locations).
pub(crate) fn attributes(cfn: &str, props: Map) -> (Map, Vec<(String, String)>) {
    let Some(table) = lookup(cfn) else {
        let names = props.keys().map(|k| (k.clone(), k.clone())).collect();
        return (props, names);
    };
    let mut out = Map::new();
    let mut names = Vec::with_capacity(props.len());
    for (k, v) in table.fixed {
        out.insert(k.to_string(), Value::str(*v));
    }
    for (prop, value) in props {
        let Some((_, attr, conv)) = table.property(&prop, true) else {
            names.push((prop.clone(), prop.clone()));
            out.insert(prop, value);
            continue;
        };
        match conv {
            Spread(keys) => {
                let mut rest = Map::new();
                match value {
                    Value::Map(m) => {
                        for (sub, v) in m {
                            match keys.iter().find(|(s, _)| *s == sub) {
                                Some((_, a)) => {
                                    names.push((prop.clone(), a.to_string()));
                                    out.insert(a.to_string(), v);
                                }
                                None => {
                                    rest.insert(sub, v);
                                }
                            }
                        }
                    }
                    other => {
                        names.push((prop.clone(), attr.to_string()));
                        out.insert(attr.to_string(), other);
                    }
                }
                if !rest.is_empty() {
                    names.push((prop.clone(), attr.to_string()));
                    out.insert(attr.to_string(), Value::Map(rest));
                }
            }
            Data(keys) => {
                let mut rest = Map::new();
                match value {
                    Value::Map(m) => {
                        for (sub, v) in m {
                            match keys.iter().find(|(s, _, _)| *s == sub) {
                                Some((_, a, c)) => {
                                    names.push((prop.clone(), a.to_string()));
                                    out.insert(a.to_string(), convert(*c, v));
                                }
                                None => {
                                    rest.insert(sub, v);
                                }
                            }
                        }
                    }
                    other => {
                        rest.insert(prop.clone(), other);
                    }
                }
                if !rest.is_empty() {
                    names.push((prop.clone(), attr.to_string()));
                    out.insert(attr.to_string(), Value::Map(rest));
                }
            }
            conv => {
                names.push((prop.clone(), attr.to_string()));
                out.insert(attr.to_string(), convert(*conv, value));
            }
        }
    }
    (out, names)
}

fn convert(conv: Conv, v: Value) -> Value {
    match (conv, v) {
        (Tags, Value::List(items)) => {
            let mut m = Map::new();
            for item in items {
                match (item.get_path("Key"), item.get_path("Value")) {
                    (Some(Value::String(k)), Some(val)) => {
                        m.insert(k.clone(), val.clone());
                    }
                    // A tag whose key is only known at deployment.
                    _ => {
                        m.insert(item.display(), Value::Null);
                    }
                }
            }
            Value::Map(m)
        }
        (One, v @ (Value::List(_) | Value::Null)) => v,
        (First, Value::List(items)) if items.len() == 1 => {
            items.into_iter().next().unwrap_or_default()
        }
        (One, v) => Value::List(vec![v]),
        (NameValue, Value::Map(m)) => Value::List(
            m.into_iter()
                .map(|(k, v)| {
                    let mut p = Map::new();
                    p.insert("name".into(), Value::String(k));
                    p.insert("value".into(), v);
                    Value::Map(p)
                })
                .collect(),
        ),
        (Containers, v @ Value::List(_)) => {
            let camel = lower_camel_keys(v);
            if camel.contains_unknown() {
                camel
            } else {
                Value::String(camel.to_json().to_string())
            }
        }
        (SgRules, Value::List(items)) => Value::List(items.into_iter().map(sg_rule).collect()),
        (InlinePolicies, Value::List(items)) => Value::List(
            items
                .into_iter()
                .map(|p| {
                    let mut m = Map::new();
                    if let Some(n) = p.get_path("PolicyName") {
                        m.insert("name".into(), n.clone());
                    }
                    if let Some(d) = p.get_path("PolicyDocument") {
                        m.insert("policy".into(), d.clone());
                    }
                    Value::Map(m)
                })
                .collect(),
        ),
        (Environment, Value::Map(m)) => {
            let mut block = Map::new();
            if let Some(vars) = m.get("Variables") {
                block.insert("variables".into(), vars.clone());
            }
            Value::List(vec![Value::Map(block)])
        }
        (Block, Value::Map(m)) => Value::List(vec![block(m)]),
        (Blocks, Value::List(items)) => Value::List(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Map(m) => block(m),
                    other => other,
                })
                .collect(),
        ),
        (Internal, Value::String(s)) => Value::Bool(s == "internal"),
        (Versioning, Value::Map(m)) => {
            let mut block = Map::new();
            let enabled = match m.get("Status") {
                Some(Value::String(s)) => Value::Bool(s == "Enabled"),
                Some(other) => other.clone(),
                None => Value::Null,
            };
            block.insert("enabled".into(), enabled);
            Value::List(vec![Value::Map(block)])
        }
        // A value of another shape (unknown, or written otherwise): as it is.
        (_, v) => v,
    }
}

/// An object as a nested block: keys in Terraform's case, objects inside
/// it nested blocks too (lists of one), as the provider's schema has them.
fn block(m: Map) -> Value {
    Value::Map(
        m.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::Map(inner) => Value::List(vec![block(inner)]),
                    Value::List(items) if items.iter().all(|i| matches!(i, Value::Map(_))) => {
                        Value::List(
                            items
                                .into_iter()
                                .map(|i| match i {
                                    Value::Map(inner) => block(inner),
                                    other => other,
                                })
                                .collect(),
                        )
                    }
                    other => other,
                };
                (super::eval::snake(&k), v)
            })
            .collect(),
    )
}

/// `Image` → `image`, `PortMappings` → `portMappings`, at every depth
/// except inside maps of user keys (`DockerLabels`, `Options`).
fn lower_camel_keys(v: Value) -> Value {
    match v {
        Value::List(items) => Value::List(items.into_iter().map(lower_camel_keys).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let user = matches!(k.as_str(), "DockerLabels" | "Options");
                    let mut c = k.chars();
                    let key = match c.next() {
                        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
                        None => k.clone(),
                    };
                    (key, if user { v } else { lower_camel_keys(v) })
                })
                .collect(),
        ),
        other => other,
    }
}

/// One `SecurityGroupIngress`/`Egress` entry as the provider's block.
fn sg_rule(entry: Value) -> Value {
    let Value::Map(m) = entry else {
        return entry;
    };
    const KEYS: &[(&str, &str, bool)] = &[
        ("IpProtocol", "protocol", false),
        ("FromPort", "from_port", false),
        ("ToPort", "to_port", false),
        ("CidrIp", "cidr_blocks", true),
        ("CidrIpv6", "ipv6_cidr_blocks", true),
        ("SourcePrefixListId", "prefix_list_ids", true),
        ("DestinationPrefixListId", "prefix_list_ids", true),
        ("SourceSecurityGroupId", "security_groups", true),
        ("DestinationSecurityGroupId", "security_groups", true),
        ("Description", "description", false),
    ];
    let mut out = Map::new();
    for (k, v) in m {
        match KEYS.iter().find(|(c, _, _)| *c == k) {
            Some((_, a, true)) => {
                out.insert(a.to_string(), convert(One, v));
            }
            Some((_, a, false)) => {
                out.insert(a.to_string(), v);
            }
            None => {
                out.insert(k, v);
            }
        }
    }
    // An inline entry cannot name its own group (CloudFormation refuses
    // the circular reference): the provider reads such a rule with
    // `self = false`.
    if !out.contains_key("self") {
        out.insert("self".into(), Value::Bool(false));
    }
    // All traffic: the provider writes ports 0 to 0.
    if matches!(out.get("protocol"), Some(Value::String(p)) if p == "-1") {
        for port in ["from_port", "to_port"] {
            if !out.contains_key(port) {
                out.insert(port.into(), Value::Number(0.0));
            }
        }
    }
    Value::Map(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type's every property lands on its attribute: each mapped
    /// type is tested by its own table, and a table edited by mistake (a
    /// property listed twice, an attribute the provider does not have)
    /// fails here.
    #[test]
    fn every_mapped_property_lands_on_a_provider_attribute() {
        for table in all() {
            let schema = crate::sources::terraform::schema::lookup(table.terraform, false);
            assert!(
                schema.is_some(),
                "{} is not a provider type",
                table.terraform
            );
            let mut seen = std::collections::BTreeSet::new();
            for (prop, attr, conv) in table.properties {
                assert!(seen.insert(*prop), "{}: {prop} listed twice", table.cfn);
                let mut props = Map::new();
                props.insert(prop.to_string(), Value::str("x"));
                let (attrs, names) = attributes(table.cfn, props);
                assert!(
                    attrs.contains_key(attr),
                    "{}.{prop} did not become {attr}: {attrs:?}",
                    table.cfn
                );
                assert_eq!(names, vec![(prop.to_string(), attr.to_string())]);
                // The attribute is one the provider knows (a spread
                // property's own name keeps what it does not spread).
                if let Data(keys) = conv {
                    for (_, inner, _) in *keys {
                        assert!(
                            schema.and_then(|s| s.get(inner)).is_some(),
                            "{}: {inner} is not an attribute of {}",
                            table.cfn,
                            table.terraform
                        );
                    }
                }
                if !matches!(conv, Spread(_) | Data(_)) {
                    let known = schema.and_then(|s| s.get(attr)).is_some();
                    assert!(
                        known,
                        "{}: {attr} is not an attribute of {}",
                        table.cfn, table.terraform
                    );
                }
            }
        }
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn rds_instance() {
        let props = map(&[
            ("Engine", Value::str("postgres")),
            ("EngineVersion", Value::str("16.2")),
            ("DBInstanceClass", Value::str("db.r6g.large")),
            ("MultiAZ", Value::Bool(true)),
            ("AllocatedStorage", Value::str("100")),
            ("PerformanceInsightsKMSKeyId", Value::str("k")),
        ]);
        let (attrs, _) = attributes(
            "AWS::RDS::DBInstance",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["engine_version"], Value::str("16.2"));
        assert_eq!(attrs["instance_class"], Value::str("db.r6g.large"));
        assert_eq!(attrs["multi_az"], Value::Bool(true));
        // Unmapped properties keep their names: nothing is dropped.
        assert_eq!(attrs["PerformanceInsightsKMSKeyId"], Value::str("k"));
    }

    #[test]
    fn security_group_rules_become_blocks() {
        let props = map(&[(
            "SecurityGroupIngress",
            Value::List(vec![
                map(&[
                    ("IpProtocol", Value::str("tcp")),
                    ("FromPort", Value::Number(443.0)),
                    ("ToPort", Value::Number(443.0)),
                    ("CidrIp", Value::str("10.0.0.0/16")),
                ]),
                map(&[
                    ("IpProtocol", Value::str("-1")),
                    (
                        "SourceSecurityGroupId",
                        Value::Unknown("aws_security_group.Lb.id".into()),
                    ),
                ]),
            ]),
        )]);
        let (attrs, _) = attributes(
            "AWS::EC2::SecurityGroup",
            props.as_map().cloned().unwrap_or_default(),
        );
        let ingress = &attrs["ingress"];
        assert_eq!(
            ingress.get_path("0.cidr_blocks.0"),
            Some(&Value::str("10.0.0.0/16"))
        );
        assert_eq!(ingress.get_path("0.from_port"), Some(&Value::Number(443.0)));
        assert_eq!(ingress.get_path("1.from_port"), Some(&Value::Number(0.0)));
        assert_eq!(
            ingress.get_path("1.security_groups.0"),
            Some(&Value::Unknown("aws_security_group.Lb.id".into()))
        );
    }

    #[test]
    fn iam_role_policies_and_tags() {
        let doc = map(&[("Version", Value::str("2012-10-17"))]);
        let props = map(&[
            ("AssumeRolePolicyDocument", doc.clone()),
            (
                "Policies",
                Value::List(vec![map(&[
                    ("PolicyName", Value::str("s3")),
                    ("PolicyDocument", doc.clone()),
                ])]),
            ),
            (
                "ManagedPolicyArns",
                Value::List(vec![Value::str("arn:aws:iam::aws:policy/ReadOnlyAccess")]),
            ),
            (
                "Tags",
                Value::List(vec![map(&[
                    ("Key", Value::str("team")),
                    ("Value", Value::str("shop")),
                ])]),
            ),
        ]);
        let (attrs, _) = attributes(
            "AWS::IAM::Role",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["assume_role_policy"], doc);
        assert_eq!(
            attrs["inline_policy"].get_path("0.name"),
            Some(&Value::str("s3"))
        );
        assert_eq!(attrs["inline_policy"].get_path("0.policy"), Some(&doc));
        assert_eq!(attrs["tags"].get_path("team"), Some(&Value::str("shop")));
        assert!(attrs["managed_policy_arns"].as_list().is_some());
    }

    #[test]
    fn lambda_blocks_and_code() {
        let props = map(&[
            ("Runtime", Value::str("python3.12")),
            ("Architectures", Value::List(vec![Value::str("arm64")])),
            (
                "Environment",
                map(&[("Variables", map(&[("A", Value::str("1"))]))]),
            ),
            ("VpcConfig", map(&[("SubnetIds", Value::List(vec![]))])),
            (
                "Code",
                map(&[
                    ("S3Bucket", Value::str("b")),
                    ("ZipFile", Value::str("print(1)")),
                ]),
            ),
        ]);
        let (attrs, _) = attributes(
            "AWS::Lambda::Function",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["runtime"], Value::str("python3.12"));
        assert_eq!(
            attrs["environment"].get_path("0.variables.A"),
            Some(&Value::str("1"))
        );
        assert!(attrs["vpc_config"].get_path("0.subnet_ids").is_some());
        assert_eq!(attrs["s3_bucket"], Value::str("b"));
        assert_eq!(
            attrs["Code"].get_path("ZipFile"),
            Some(&Value::str("print(1)"))
        );
    }

    #[test]
    fn s3_versioning_and_unmapped_types() {
        let props = map(&[(
            "VersioningConfiguration",
            map(&[("Status", Value::str("Enabled"))]),
        )]);
        let (attrs, _) = attributes(
            "AWS::S3::Bucket",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(
            attrs["versioning"].get_path("0.enabled"),
            Some(&Value::Bool(true))
        );
        let logs = map(&[("RetentionInDays", Value::Number(30.0))]);
        let (attrs, names) = attributes(
            "AWS::Logs::LogGroup",
            logs.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["RetentionInDays"], Value::Number(30.0));
        assert_eq!(
            names,
            vec![("RetentionInDays".into(), "RetentionInDays".into())]
        );
        assert_eq!(model_type("AWS::Logs::LogGroup"), "AWS::Logs::LogGroup");
        assert_eq!(model_type("AWS::EC2::VPC"), "aws_vpc");
    }

    #[test]
    fn rds_cluster_and_parameter_groups() {
        let props = map(&[
            ("Engine", Value::str("aurora-postgresql")),
            ("EngineVersion", Value::str("16.1")),
            (
                "ServerlessV2ScalingConfiguration",
                map(&[("MinCapacity", Value::Number(0.5))]),
            ),
        ]);
        let (attrs, _) = attributes(
            "AWS::RDS::DBCluster",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["engine_version"], Value::str("16.1"));
        assert_eq!(
            attrs["serverlessv2_scaling_configuration"].get_path("0.min_capacity"),
            Some(&Value::Number(0.5))
        );
        let props = map(&[
            ("Family", Value::str("postgres16")),
            (
                "Parameters",
                map(&[("log_min_duration_statement", Value::str("500"))]),
            ),
        ]);
        let (attrs, _) = attributes(
            "AWS::RDS::DBParameterGroup",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["family"], Value::str("postgres16"));
        assert_eq!(
            attrs["parameter"].get_path("0.name"),
            Some(&Value::str("log_min_duration_statement"))
        );
        assert_eq!(
            attrs["parameter"].get_path("0.value"),
            Some(&Value::str("500"))
        );
    }

    #[test]
    fn caches_search_and_kubernetes() {
        let props = map(&[
            ("CacheNodeType", Value::str("cache.r7g.large")),
            ("MultiAZEnabled", Value::Bool(true)),
        ]);
        let (attrs, _) = attributes(
            "AWS::ElastiCache::ReplicationGroup",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["node_type"], Value::str("cache.r7g.large"));
        assert_eq!(attrs["multi_az_enabled"], Value::Bool(true));
        let props = map(&[
            ("EngineVersion", Value::str("OpenSearch_2.11")),
            (
                "EBSOptions",
                map(&[
                    ("EBSEnabled", Value::Bool(true)),
                    ("VolumeSize", Value::Number(20.0)),
                ]),
            ),
            (
                "ClusterConfig",
                map(&[(
                    "ZoneAwarenessConfig",
                    map(&[("AvailabilityZoneCount", Value::Number(3.0))]),
                )]),
            ),
        ]);
        let (attrs, _) = attributes(
            "AWS::OpenSearchService::Domain",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(
            attrs["ebs_options"].get_path("0.ebs_enabled"),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            attrs["cluster_config"].get_path("0.zone_awareness_config.0.availability_zone_count"),
            Some(&Value::Number(3.0))
        );
        let props = map(&[
            ("Version", Value::str("1.30")),
            (
                "ResourcesVpcConfig",
                map(&[("EndpointPublicAccess", Value::Bool(false))]),
            ),
        ]);
        let (attrs, _) = attributes(
            "AWS::EKS::Cluster",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["version"], Value::str("1.30"));
        assert_eq!(
            attrs["vpc_config"].get_path("0.endpoint_public_access"),
            Some(&Value::Bool(false))
        );
        let (attrs, _) = attributes(
            "AWS::ElastiCache::CacheCluster",
            map(&[("NumCacheNodes", Value::Number(2.0))])
                .as_map()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(attrs["num_cache_nodes"], Value::Number(2.0));
    }

    #[test]
    fn ecs_task_definitions_hold_the_container_document() {
        let props = map(&[
            (
                "RuntimePlatform",
                map(&[("CpuArchitecture", Value::str("ARM64"))]),
            ),
            (
                "ContainerDefinitions",
                Value::List(vec![map(&[
                    ("Name", Value::str("web")),
                    ("Image", Value::str("repo/shop:1.4.2")),
                    ("DockerLabels", map(&[("Team", Value::str("shop"))])),
                ])]),
            ),
        ]);
        let (attrs, _) = attributes(
            "AWS::ECS::TaskDefinition",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(
            attrs["runtime_platform"].get_path("0.cpu_architecture"),
            Some(&Value::str("ARM64"))
        );
        let doc = attrs["container_definitions"].as_str().unwrap_or_default();
        assert_eq!(
            doc,
            r#"[{"dockerLabels":{"Team":"shop"},"image":"repo/shop:1.4.2","name":"web"}]"#
        );
        let (attrs, _) = attributes(
            "AWS::ECS::Service",
            map(&[("DesiredCount", Value::Number(2.0))])
                .as_map()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(attrs["desired_count"], Value::Number(2.0));
    }

    #[test]
    fn queues_topics_keys_and_their_policies() {
        let doc = map(&[("Version", Value::str("2012-10-17"))]);
        let q = Value::Unknown("AWS::SQS::Queue.Jobs.id".into());
        let props = map(&[
            ("PolicyDocument", doc.clone()),
            ("Queues", Value::List(vec![q.clone()])),
        ]);
        let (attrs, _) = attributes(
            "AWS::SQS::QueuePolicy",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["policy"], doc);
        assert_eq!(attrs["queue_url"], q);
        let (attrs, _) = attributes(
            "AWS::SQS::Queue",
            map(&[("VisibilityTimeout", Value::Number(60.0))])
                .as_map()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(attrs["visibility_timeout_seconds"], Value::Number(60.0));
        let props = map(&[
            ("PolicyDocument", doc.clone()),
            ("Topics", Value::List(vec![Value::str("arn:t")])),
        ]);
        let (attrs, _) = attributes(
            "AWS::SNS::TopicPolicy",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["arn"], Value::str("arn:t"));
        let (attrs, _) = attributes(
            "AWS::SNS::Topic",
            map(&[("FifoTopic", Value::Bool(true))])
                .as_map()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(attrs["fifo_topic"], Value::Bool(true));
        let (attrs, _) = attributes(
            "AWS::KMS::Key",
            map(&[
                ("KeyPolicy", doc.clone()),
                ("EnableKeyRotation", Value::Bool(true)),
            ])
            .as_map()
            .cloned()
            .unwrap_or_default(),
        );
        assert_eq!(attrs["policy"], doc);
        assert_eq!(attrs["enable_key_rotation"], Value::Bool(true));
    }

    #[test]
    fn security_group_rule_resources_have_their_type() {
        let props = map(&[
            ("CidrIp", Value::str("0.0.0.0/0")),
            ("IpProtocol", Value::str("tcp")),
        ]);
        let (attrs, _) = attributes(
            "AWS::EC2::SecurityGroupIngress",
            props.as_map().cloned().unwrap_or_default(),
        );
        assert_eq!(attrs["type"], Value::str("ingress"));
        assert_eq!(
            attrs["cidr_blocks"],
            Value::List(vec![Value::str("0.0.0.0/0")])
        );
    }
}
