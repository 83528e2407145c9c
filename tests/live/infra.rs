//! Builds one environment of the `shop` system in the emulator through the
//! SDK, with the differences the tests expect the rules to find.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, IpPermission, IpRange, ResourceType, Tag, TagSpecification,
};

use super::moto::REGION;

/// What differs between the environments the tests build.
pub struct Shape {
    pub env: &'static str,
    /// Second octet of the VPC range.
    pub net: u8,
    pub zones: &'static [&'static str],
    /// Who may reach the database port.
    pub db_ingress: &'static str,
    pub engine_version: &'static str,
    pub s3_actions: &'static str,
}

pub const STAGING: Shape = Shape {
    env: "staging",
    net: 1,
    zones: &["a", "b"],
    db_ingress: "0.0.0.0/0",
    engine_version: "15.7",
    s3_actions: r#""s3:*""#,
};

pub const PROD: Shape = Shape {
    env: "prod",
    net: 2,
    zones: &["a", "b", "c"],
    db_ingress: "10.2.0.0/16",
    engine_version: "15.5",
    s3_actions: r#"["s3:GetObject"]"#,
};

fn tags(rt: ResourceType, env: &str, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .tags(Tag::builder().key("Name").value(name).build())
        .tags(Tag::builder().key("Environment").value(env).build())
        .build()
}

pub const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

pub async fn build(conf: &SdkConfig, s: &Shape) {
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let rds = aws_sdk_rds::Client::new(conf);
    let iam = aws_sdk_iam::Client::new(conf);
    let env = s.env;
    let vpc_cidr = format!("10.{}.0.0/16", s.net);

    let vpc = ec2
        .create_vpc()
        .cidr_block(&vpc_cidr)
        .tag_specifications(tags(ResourceType::Vpc, env, &format!("shop-{env}")))
        .send()
        .await
        .expect("create vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();

    let mut subnet_ids = Vec::new();
    for (i, z) in s.zones.iter().enumerate() {
        let az = format!("{REGION}{z}");
        let sn = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.{}.{}.0/24", s.net, i))
            .availability_zone(&az)
            .tag_specifications(tags(
                ResourceType::Subnet,
                env,
                &format!("shop-{env}-private-{az}"),
            ))
            .send()
            .await
            .expect("create subnet");
        subnet_ids.push(
            sn.subnet()
                .and_then(|x| x.subnet_id())
                .expect("subnet id")
                .to_string(),
        );
    }
    ec2.modify_subnet_attribute()
        .subnet_id(&subnet_ids[0])
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .expect("modify subnet");

    let igw = ec2
        .create_internet_gateway()
        .tag_specifications(tags(
            ResourceType::InternetGateway,
            env,
            &format!("shop-{env}"),
        ))
        .send()
        .await
        .expect("create igw");
    let igw_id = igw
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .expect("igw id")
        .to_string();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("attach igw");

    let rt = ec2
        .create_route_table()
        .vpc_id(&vpc_id)
        .tag_specifications(tags(
            ResourceType::RouteTable,
            env,
            &format!("shop-{env}-public"),
        ))
        .send()
        .await
        .expect("create route table");
    let rt_id = rt
        .route_table()
        .and_then(|r| r.route_table_id())
        .expect("rt id")
        .to_string();
    ec2.create_route()
        .route_table_id(&rt_id)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw_id)
        .send()
        .await
        .expect("create route");
    for sn in &subnet_ids {
        ec2.associate_route_table()
            .route_table_id(&rt_id)
            .subnet_id(sn)
            .send()
            .await
            .expect("associate");
    }

    let sg = ec2
        .create_security_group()
        .group_name(format!("shop-{env}-db"))
        .description("database")
        .vpc_id(&vpc_id)
        .tag_specifications(tags(
            ResourceType::SecurityGroup,
            env,
            &format!("shop-{env}-db"),
        ))
        .send()
        .await
        .expect("create sg");
    let sg_id = sg.group_id().expect("sg id").to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&sg_id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .ip_ranges(IpRange::builder().cidr_ip(s.db_ingress).build())
                .build(),
        )
        .send()
        .await
        .expect("authorize ingress");

    let env_tag = aws_sdk_rds::types::Tag::builder()
        .key("Environment")
        .value(env)
        .build();
    rds.create_db_subnet_group()
        .db_subnet_group_name(format!("shop-{env}-db"))
        .db_subnet_group_description("database subnets")
        .set_subnet_ids(Some(subnet_ids.clone()))
        .tags(env_tag.clone())
        .send()
        .await
        .expect("create db subnet group");
    rds.create_db_parameter_group()
        .db_parameter_group_name(format!("shop-{env}-pg"))
        .db_parameter_group_family("postgres15")
        .description("shop database parameters")
        .send()
        .await
        .expect("create parameter group");
    rds.modify_db_parameter_group()
        .db_parameter_group_name(format!("shop-{env}-pg"))
        .parameters(
            aws_sdk_rds::types::Parameter::builder()
                .parameter_name("log_min_duration_statement")
                .parameter_value("500")
                .apply_method(aws_sdk_rds::types::ApplyMethod::Immediate)
                .build(),
        )
        .send()
        .await
        .expect("modify parameter group");
    rds.create_db_instance()
        .db_instance_identifier(format!("shop-{env}-db"))
        .engine("postgres")
        .engine_version(s.engine_version)
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("shop")
        .master_user_password("not-a-secret-1")
        .db_subnet_group_name(format!("shop-{env}-db"))
        .db_parameter_group_name(format!("shop-{env}-pg"))
        .vpc_security_group_ids(&sg_id)
        .tags(env_tag)
        .send()
        .await
        .expect("create db instance");

    let role = format!("shop-{env}-api");
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect("create role");
    let inline = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{},"Resource":"*"}}]}}"#,
        s.s3_actions
    );
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("s3-access")
        .policy_document(inline)
        .send()
        .await
        .expect("put role policy");
    let policy = iam
        .create_policy()
        .policy_name(format!("shop-{env}-logs"))
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents","logs:CreateLogStream"],"Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("create policy");
    let policy_arn = policy
        .policy()
        .and_then(|p| p.arn())
        .expect("policy arn")
        .to_string();
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("attach policy");
    iam.create_instance_profile()
        .instance_profile_name(&role)
        .send()
        .await
        .expect("create instance profile");
    iam.add_role_to_instance_profile()
        .instance_profile_name(&role)
        .role_name(&role)
        .send()
        .await
        .expect("add role to profile");
}

/// Resources of a third, unrelated environment in the same account, which
/// scoping must leave out.
pub async fn build_unrelated(conf: &SdkConfig) {
    let ec2 = aws_sdk_ec2::Client::new(conf);
    ec2.create_vpc()
        .cidr_block("10.9.0.0/16")
        .tag_specifications(tags(ResourceType::Vpc, "dev", "other-dev"))
        .send()
        .await
        .expect("create other vpc");
    aws_sdk_iam::Client::new(conf)
        .create_role()
        .role_name("other-dev-role")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect("create other role");
}

/// What the drift tests add by hand, outside any Terraform: in staging a
/// security group nobody declared (`shop-staging-debug`, unmanaged); in
/// prod a security group named `legacy`, the address staging's state keeps
/// for one it lost.
pub async fn build_drift_extras(conf: &SdkConfig) {
    let ec2 = aws_sdk_ec2::Client::new(conf);
    for (env, net, name) in [("staging", 1, "shop-staging-debug"), ("prod", 2, "legacy")] {
        let vpc = ec2
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("cidr")
                    .values(format!("10.{net}.0.0/16"))
                    .build(),
            )
            .send()
            .await
            .expect("describe vpcs");
        let vpc_id = vpc
            .vpcs()
            .first()
            .and_then(|v| v.vpc_id())
            .expect("the environment's vpc")
            .to_string();
        ec2.create_security_group()
            .group_name(name)
            .description("made by hand")
            .vpc_id(&vpc_id)
            .tag_specifications(tags(ResourceType::SecurityGroup, env, name))
            .send()
            .await
            .expect("create hand-made sg");
    }
}
