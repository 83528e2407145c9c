//! Type tables for compute and load balancing: EC2 instances and launch
//! templates, ELBv2 load balancers, listeners and target groups, Auto
//! Scaling groups (the tables of [`super::mapping`], in a file of their
//! own).

use super::mapping::Conv::*;
use super::mapping::TypeMap;

const TAGS: (&str, &str, super::mapping::Conv) = ("Tags", "tags", Tags);

pub(crate) static TYPES: &[TypeMap] = &[
    TypeMap {
        cfn: "AWS::EC2::Instance",
        terraform: "aws_instance",
        properties: &[
            ("ImageId", "ami", Same),
            ("InstanceType", "instance_type", Same),
            ("KeyName", "key_name", Same),
            ("SubnetId", "subnet_id", Same),
            ("SecurityGroupIds", "vpc_security_group_ids", Same),
            ("SecurityGroups", "security_groups", Same),
            ("IamInstanceProfile", "iam_instance_profile", Same),
            ("UserData", "user_data_base64", Same),
            ("EbsOptimized", "ebs_optimized", Same),
            ("Monitoring", "monitoring", Same),
            ("DisableApiTermination", "disable_api_termination", Same),
            ("AvailabilityZone", "availability_zone", Same),
            ("PrivateIpAddress", "private_ip", Same),
            ("Tenancy", "tenancy", Same),
            ("SourceDestCheck", "source_dest_check", Same),
            ("NetworkInterfaces", "network_interface", Blocks),
            ("LaunchTemplate", "launch_template", Block),
            ("CreditSpecification", "credit_specification", Block),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::EC2::LaunchTemplate",
        terraform: "aws_launch_template",
        properties: &[
            ("LaunchTemplateName", "name", Same),
            (
                "LaunchTemplateData",
                "LaunchTemplateData",
                Data(&[
                    ("ImageId", "image_id", Same),
                    ("InstanceType", "instance_type", Same),
                    ("KeyName", "key_name", Same),
                    ("UserData", "user_data", Same),
                    ("SecurityGroupIds", "vpc_security_group_ids", Same),
                    ("EbsOptimized", "ebs_optimized", Same),
                    ("DisableApiTermination", "disable_api_termination", Same),
                    ("IamInstanceProfile", "iam_instance_profile", Block),
                    ("MetadataOptions", "metadata_options", Block),
                    ("Monitoring", "monitoring", Block),
                    ("NetworkInterfaces", "network_interfaces", Blocks),
                    ("BlockDeviceMappings", "block_device_mappings", Blocks),
                    ("TagSpecifications", "tag_specifications", Blocks),
                ]),
            ),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        terraform: "aws_lb",
        properties: &[
            ("Name", "name", Same),
            ("Scheme", "internal", Internal),
            ("Type", "load_balancer_type", Same),
            ("Subnets", "subnets", Same),
            ("SubnetMappings", "subnet_mapping", Blocks),
            ("SecurityGroups", "security_groups", Same),
            ("IpAddressType", "ip_address_type", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::ElasticLoadBalancingV2::Listener",
        terraform: "aws_lb_listener",
        properties: &[
            ("LoadBalancerArn", "load_balancer_arn", Same),
            ("Port", "port", Same),
            ("Protocol", "protocol", Same),
            ("SslPolicy", "ssl_policy", Same),
            ("AlpnPolicy", "alpn_policy", First),
            ("DefaultActions", "default_action", Blocks),
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::ElasticLoadBalancingV2::TargetGroup",
        terraform: "aws_lb_target_group",
        properties: &[
            ("Name", "name", Same),
            ("Port", "port", Same),
            ("Protocol", "protocol", Same),
            ("ProtocolVersion", "protocol_version", Same),
            ("TargetType", "target_type", Same),
            ("VpcId", "vpc_id", Same),
            ("IpAddressType", "ip_address_type", Same),
            TAGS,
        ],
        fixed: &[],
    },
    TypeMap {
        cfn: "AWS::AutoScaling::AutoScalingGroup",
        terraform: "aws_autoscaling_group",
        properties: &[
            ("AutoScalingGroupName", "name", Same),
            ("MinSize", "min_size", Same),
            ("MaxSize", "max_size", Same),
            ("DesiredCapacity", "desired_capacity", Same),
            ("VPCZoneIdentifier", "vpc_zone_identifier", Same),
            ("AvailabilityZones", "availability_zones", Same),
            ("LaunchTemplate", "launch_template", Block),
            ("MixedInstancesPolicy", "mixed_instances_policy", Block),
            ("TargetGroupARNs", "target_group_arns", Same),
            ("HealthCheckType", "health_check_type", Same),
            ("HealthCheckGracePeriod", "health_check_grace_period", Same),
            ("Cooldown", "default_cooldown", Same),
            ("MaxInstanceLifetime", "max_instance_lifetime", Same),
            ("CapacityRebalance", "capacity_rebalance", Same),
            ("TerminationPolicies", "termination_policies", Same),
            ("Tags", "tag", Blocks),
        ],
        fixed: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::super::mapping::attributes;
    use crate::model::{Map, Value};

    fn props(json: serde_json::Value) -> Map {
        match Value::from_json(&json) {
            Value::Map(m) => m,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn ec2_instance() {
        let (a, _) = attributes(
            "AWS::EC2::Instance",
            props(
                serde_json::json!({"ImageId": "ami-1", "InstanceType": "m7g.large",
                "UserData": "IyEvYmluL3No", "NetworkInterfaces": [{"DeviceIndex": "0", "AssociatePublicIpAddress": true}],
                "Tags": [{"Key": "team", "Value": "shop"}]}),
            ),
        );
        assert_eq!(a["ami"], Value::str("ami-1"));
        assert_eq!(a["instance_type"], Value::str("m7g.large"));
        assert_eq!(a["user_data_base64"], Value::str("IyEvYmluL3No"));
        assert_eq!(
            a["network_interface"].get_path("0.associate_public_ip_address"),
            Some(&Value::Bool(true))
        );
        assert_eq!(a["tags"].get_path("team"), Some(&Value::str("shop")));
    }

    #[test]
    fn launch_template_data_spreads_with_conversions() {
        let (a, names) = attributes(
            "AWS::EC2::LaunchTemplate",
            props(
                serde_json::json!({"LaunchTemplateName": "web", "LaunchTemplateData": {
                "ImageId": "ami-2", "InstanceType": "c7g.large",
                "MetadataOptions": {"HttpTokens": "required"},
                "NetworkInterfaces": [{"AssociatePublicIpAddress": false}],
                "CpuOptions": {"CoreCount": 2}}}),
            ),
        );
        assert_eq!(a["name"], Value::str("web"));
        assert_eq!(a["image_id"], Value::str("ami-2"));
        assert_eq!(
            a["metadata_options"].get_path("0.http_tokens"),
            Some(&Value::str("required"))
        );
        assert_eq!(
            a["network_interfaces"].get_path("0.associate_public_ip_address"),
            Some(&Value::Bool(false))
        );
        // What the table does not name stays under the property.
        assert_eq!(
            a["LaunchTemplateData"].get_path("CpuOptions.CoreCount"),
            Some(&Value::Number(2.0))
        );
        assert!(names.contains(&("LaunchTemplateData".into(), "image_id".into())));
    }

    #[test]
    fn load_balancer_scheme_is_internal() {
        for (scheme, internal) in [("internal", true), ("internet-facing", false)] {
            let (a, _) = attributes(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                props(serde_json::json!({"Scheme": scheme, "Type": "application",
                    "SubnetMappings": [{"SubnetId": "s-1", "AllocationId": "e-1"}]})),
            );
            assert_eq!(a["internal"], Value::Bool(internal));
            assert_eq!(a["load_balancer_type"], Value::str("application"));
            assert_eq!(
                a["subnet_mapping"].get_path("0.allocation_id"),
                Some(&Value::str("e-1"))
            );
        }
    }

    #[test]
    fn listener_actions_are_blocks() {
        let (a, _) = attributes(
            "AWS::ElasticLoadBalancingV2::Listener",
            props(
                serde_json::json!({"Port": 443, "Protocol": "HTTPS", "AlpnPolicy": ["HTTP2Preferred"],
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": "tg"}]}),
            ),
        );
        assert_eq!(a["protocol"], Value::str("HTTPS"));
        assert_eq!(a["port"], Value::Number(443.0));
        assert_eq!(a["alpn_policy"], Value::str("HTTP2Preferred"));
        assert_eq!(
            a["default_action"].get_path("0.target_group_arn"),
            Some(&Value::str("tg"))
        );
    }

    #[test]
    fn target_group() {
        let (a, _) = attributes(
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            props(
                serde_json::json!({"Port": 8080, "Protocol": "HTTP", "TargetType": "ip",
                "HealthCheckPath": "/health"}),
            ),
        );
        assert_eq!(a["target_type"], Value::str("ip"));
        assert_eq!(a["port"], Value::Number(8080.0));
        // Health checks are flat properties in CloudFormation and a block
        // in Terraform: compared under their own names.
        assert_eq!(a["HealthCheckPath"], Value::str("/health"));
    }

    #[test]
    fn auto_scaling_group_capacity_and_tags() {
        let (a, _) = attributes(
            "AWS::AutoScaling::AutoScalingGroup",
            props(
                serde_json::json!({"MinSize": "1", "MaxSize": "4", "DesiredCapacity": "2",
                "LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "3"},
                "Tags": [{"Key": "team", "Value": "shop", "PropagateAtLaunch": true}]}),
            ),
        );
        assert_eq!(a["min_size"], Value::str("1"));
        assert_eq!(a["max_size"], Value::str("4"));
        assert_eq!(a["desired_capacity"], Value::str("2"));
        assert_eq!(
            a["launch_template"].get_path("0.version"),
            Some(&Value::str("3"))
        );
        assert_eq!(
            a["tag"].get_path("0.propagate_at_launch"),
            Some(&Value::Bool(true))
        );
    }
}
