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
