//! EC2: VPCs, subnets, route tables (and their subnet associations),
//! internet and NAT gateways, security groups with their rules, instances
//! and launch templates, as `aws_vpc`, `aws_subnet`, `aws_route_table`,
//! `aws_route_table_association`, `aws_internet_gateway`,
//! `aws_nat_gateway`, `aws_security_group`, `aws_instance` and
//! `aws_launch_template` with Terraform's attribute names.
//!
//! Every list is paginated at the largest page size the API allows, with
//! the environment's tags as server-side filters. The defaults AWS creates
//! (default VPC, default security group) keep their Terraform types
//! `aws_default_vpc` and `aws_default_security_group`.

use aws_sdk_ec2::types::{Filter, IpPermission, Tag};
use aws_sdk_ec2::Client;
use tokio::task::JoinSet;

use super::draft::{b, n, reference, references, s, strings, tags, Draft};
use super::exec::Ctx;
use super::Scope;
use crate::model::Value;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, scope: &Scope) -> Vec<Draft> {
    let filters = tag_filters(scope);
    let f = filters.as_deref();
    let (a, b, c, d, e, g, h, i) = tokio::join!(
        vpcs(ctx, client, f),
        subnets(ctx, client, f),
        route_tables(ctx, client, f),
        internet_gateways(ctx, client, f),
        nat_gateways(ctx, client, f),
        security_groups(ctx, client, f),
        instances(ctx, client, f),
        launch_templates(ctx, client, f),
    );
    [a, b, c, d, e, g, h, i].into_iter().flatten().collect()
}

fn tag_filters(scope: &Scope) -> Option<Vec<Filter>> {
    if scope.tags.is_empty() {
        return None;
    }
    Some(
        scope
            .tags
            .iter()
            .map(|(k, v)| Filter::builder().name(format!("tag:{k}")).values(v).build())
            .collect(),
    )
}

fn tag_pairs(t: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    t.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
}

fn name_of<'a>(t: &'a [Tag], fallback: &'a str) -> &'a str {
    tag_pairs(t)
        .find(|(k, _)| *k == "Name")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
        .unwrap_or(fallback)
}

fn arn(ctx: &Ctx, owner: Option<&str>, kind: &str, id: &str) -> Option<String> {
    owner
        .filter(|o| !o.is_empty())
        .map(|o| format!("arn:aws:ec2:{}:{o}:{kind}/{id}", ctx.region))
}

fn location(ctx: &Ctx, arn: Option<&str>, id: &str) -> String {
    arn.map(str::to_string)
        .unwrap_or_else(|| format!("{}/{id}", ctx.region))
}

async fn vpcs(ctx: &Ctx, client: &Client, f: Option<&[Filter]>) -> Vec<Draft> {
    let pages = ctx
        .pages(
            "ec2:DescribeVpcs",
            client
                .describe_vpcs()
                .set_filters(f.map(<[Filter]>::to_vec))
                .max_results(1000)
                .into_paginator()
                .send(),
        )
        .await;
    let mut out = Vec::new();
    for vpc in pages.iter().flat_map(|p| p.vpcs()) {
        let id = vpc.vpc_id().unwrap_or_default();
        let default = vpc.is_default().unwrap_or(false);
        let rtype = if default {
            "aws_default_vpc"
        } else {
            "aws_vpc"
        };
        let arn = arn(ctx, vpc.owner_id(), "vpc", id);
        let mut d = Draft::new(
            rtype,
            name_of(vpc.tags(), id),
            location(ctx, arn.as_deref(), id),
        )
        .id(id);
        d.set("id", Value::from(id));
        d.set("arn", s(arn.as_deref()));
        d.set("cidr_block", s(vpc.cidr_block()));
        d.set(
            "instance_tenancy",
            s(vpc.instance_tenancy().map(|t| t.as_str())),
        );
        d.set(
            "ipv6_cidr_block",
            s(vpc
                .ipv6_cidr_block_association_set()
                .first()
                .and_then(|a| a.ipv6_cidr_block())),
        );
        d.set("dhcp_options_id", s(vpc.dhcp_options_id()));
        d.set("owner_id", s(vpc.owner_id()));
        d.set("tags", tags(tag_pairs(vpc.tags())));
        out.push(d);
    }
    out
}

async fn subnets(ctx: &Ctx, client: &Client, f: Option<&[Filter]>) -> Vec<Draft> {
    let pages = ctx
        .pages(
            "ec2:DescribeSubnets",
            client
                .describe_subnets()
                .set_filters(f.map(<[Filter]>::to_vec))
                .max_results(1000)
                .into_paginator()
                .send(),
        )
        .await;
    let mut out = Vec::new();
    for sn in pages.iter().flat_map(|p| p.subnets()) {
        let id = sn.subnet_id().unwrap_or_default();
        let rtype = if sn.default_for_az().unwrap_or(false) {
            "aws_default_subnet"
        } else {
            "aws_subnet"
        };
        let mut d = Draft::new(
            rtype,
            name_of(sn.tags(), id),
            location(ctx, sn.subnet_arn(), id),
        )
        .id(id);
        let zone = sn.availability_zone().unwrap_or_default();
        d.zone_instance(zone);
        d.set("id", Value::from(id));
        d.set("arn", s(sn.subnet_arn()));
        d.set(
            "vpc_id",
            reference("aws_vpc", sn.vpc_id().unwrap_or_default(), "id"),
        );
        d.set("cidr_block", s(sn.cidr_block()));
        d.set(
            "ipv6_cidr_block",
            s(sn.ipv6_cidr_block_association_set()
                .first()
                .and_then(|a| a.ipv6_cidr_block())),
        );
        d.set("availability_zone", s(sn.availability_zone()));
        // `availability_zone_id` is left out: the same zone name maps to
        // different zone ids in different accounts, so it differs between
        // environments without a difference in how they are built.
        d.set("map_public_ip_on_launch", b(sn.map_public_ip_on_launch()));
        d.set(
            "assign_ipv6_address_on_creation",
            b(sn.assign_ipv6_address_on_creation()),
        );
        d.set("owner_id", s(sn.owner_id()));
        d.set("tags", tags(tag_pairs(sn.tags())));
        out.push(d);
    }
    out
}

async fn route_tables(ctx: &Ctx, client: &Client, f: Option<&[Filter]>) -> Vec<Draft> {
    let pages = ctx
        .pages(
            "ec2:DescribeRouteTables",
            client
                .describe_route_tables()
                .set_filters(f.map(<[Filter]>::to_vec))
                .max_results(100)
                .into_paginator()
                .send(),
        )
        .await;
    let mut out = Vec::new();
    for rt in pages.iter().flat_map(|p| p.route_tables()) {
        let id = rt.route_table_id().unwrap_or_default();
        let arn = arn(ctx, rt.owner_id(), "route-table", id);
        let mut d = Draft::new(
            "aws_route_table",
            name_of(rt.tags(), id),
            location(ctx, arn.as_deref(), id),
        )
        .id(id);
        d.region_zone_instance(&ctx.region);
        d.set("id", Value::from(id));
        d.set("arn", s(arn.as_deref()));
        d.set(
            "vpc_id",
            reference("aws_vpc", rt.vpc_id().unwrap_or_default(), "id"),
        );
        d.set("owner_id", s(rt.owner_id()));
        d.set("tags", tags(tag_pairs(rt.tags())));
        let mut routes: Vec<Value> = rt
            .routes()
            .iter()
            .filter(|r| r.gateway_id() != Some("local"))
            .map(|r| {
                let mut m = crate::model::Map::new();
                let mut put = |k: &str, v: Value| {
                    if !v.is_null() {
                        m.insert(k.to_string(), v);
                    }
                };
                put("cidr_block", s(r.destination_cidr_block()));
                put("ipv6_cidr_block", s(r.destination_ipv6_cidr_block()));
                put(
                    "destination_prefix_list_id",
                    s(r.destination_prefix_list_id()),
                );
                if let Some(gw) = r.gateway_id() {
                    if gw.starts_with("vpce-") {
                        put("vpc_endpoint_id", reference("aws_vpc_endpoint", gw, "id"));
                    } else {
                        put("gateway_id", reference("aws_internet_gateway", gw, "id"));
                    }
                }
                if let Some(nat) = r.nat_gateway_id() {
                    put("nat_gateway_id", reference("aws_nat_gateway", nat, "id"));
                }
                put("transit_gateway_id", s(r.transit_gateway_id()));
                put(
                    "vpc_peering_connection_id",
                    s(r.vpc_peering_connection_id()),
                );
                put(
                    "egress_only_gateway_id",
                    s(r.egress_only_internet_gateway_id()),
                );
                put("network_interface_id", s(r.network_interface_id()));
                Value::Map(m)
            })
            .collect();
        routes.sort_by_key(Value::display);
        d.set("route", Value::List(routes));
        for assoc in rt.associations() {
            if assoc.main().unwrap_or(false) {
                continue;
            }
            let Some(subnet) = assoc.subnet_id() else {
                continue;
            };
            let aid = assoc.route_table_association_id().unwrap_or_default();
            let mut a = Draft::new(
                "aws_route_table_association",
                aid,
                format!("{}/{aid}", ctx.region),
            )
            .id(aid);
            a.name_from = Some(("aws_subnet", subnet.to_string()));
            a.set("id", Value::from(aid));
            a.set("subnet_id", reference("aws_subnet", subnet, "id"));
            a.set("route_table_id", reference("aws_route_table", id, "id"));
            out.push(a);
        }
        out.push(d);
    }
    out
}

async fn internet_gateways(ctx: &Ctx, client: &Client, f: Option<&[Filter]>) -> Vec<Draft> {
    let pages = ctx
        .pages(
            "ec2:DescribeInternetGateways",
            client
                .describe_internet_gateways()
                .set_filters(f.map(<[Filter]>::to_vec))
                .max_results(1000)
                .into_paginator()
                .send(),
        )
        .await;
    let mut out = Vec::new();
    for gw in pages.iter().flat_map(|p| p.internet_gateways()) {
        let id = gw.internet_gateway_id().unwrap_or_default();
        let arn = arn(ctx, gw.owner_id(), "internet-gateway", id);
        let mut d = Draft::new(
            "aws_internet_gateway",
            name_of(gw.tags(), id),
            location(ctx, arn.as_deref(), id),
        )
        .id(id);
        d.set("id", Value::from(id));
        d.set("arn", s(arn.as_deref()));
        if let Some(vpc) = gw.attachments().first().and_then(|a| a.vpc_id()) {
            d.set("vpc_id", reference("aws_vpc", vpc, "id"));
        }
        d.set("owner_id", s(gw.owner_id()));
        d.set("tags", tags(tag_pairs(gw.tags())));
        out.push(d);
    }
    out
}

async fn nat_gateways(ctx: &Ctx, client: &Client, f: Option<&[Filter]>) -> Vec<Draft> {
    // DescribeNatGateways takes its filters as `Filter` too.
    let pages = ctx
        .pages(
            "ec2:DescribeNatGateways",
            client
                .describe_nat_gateways()
                .set_filter(f.map(<[Filter]>::to_vec))
                .max_results(1000)
                .into_paginator()
                .send(),
        )
        .await;
    let mut out = Vec::new();
    for gw in pages.iter().flat_map(|p| p.nat_gateways()) {
        let state = gw.state().map(|s| s.as_str()).unwrap_or_default();
        if matches!(state, "deleted" | "deleting" | "failed") {
            continue;
        }
        let id = gw.nat_gateway_id().unwrap_or_default();
        let mut d = Draft::new(
            "aws_nat_gateway",
            name_of(gw.tags(), id),
            format!("{}/{id}", ctx.region),
        )
        .id(id);
        d.region_zone_instance(&ctx.region);
        d.set("id", Value::from(id));
        d.set(
            "subnet_id",
            reference("aws_subnet", gw.subnet_id().unwrap_or_default(), "id"),
        );
        d.set(
            "connectivity_type",
            s(gw.connectivity_type().map(|c| c.as_str())),
        );
        if let Some(addr) = gw.nat_gateway_addresses().first() {
            d.set("allocation_id", s(addr.allocation_id()));
            d.set("private_ip", s(addr.private_ip()));
            d.set("public_ip", s(addr.public_ip()));
            d.set("network_interface_id", s(addr.network_interface_id()));
        }
        d.set("tags", tags(tag_pairs(gw.tags())));
        out.push(d);
    }
    out
}

async fn security_groups(ctx: &Ctx, client: &Client, f: Option<&[Filter]>) -> Vec<Draft> {
    let pages = ctx
        .pages(
            "ec2:DescribeSecurityGroups",
            client
                .describe_security_groups()
                .set_filters(f.map(<[Filter]>::to_vec))
                .max_results(1000)
                .into_paginator()
                .send(),
        )
        .await;
    let mut out = Vec::new();
    for sg in pages.iter().flat_map(|p| p.security_groups()) {
        let id = sg.group_id().unwrap_or_default();
        let group_name = sg.group_name().unwrap_or_default();
        let rtype = if group_name == "default" {
            "aws_default_security_group"
        } else {
            "aws_security_group"
        };
        let arn = sg
            .security_group_arn()
            .map(str::to_string)
            .or_else(|| arn(ctx, sg.owner_id(), "security-group", id));
        // The group name is what code names a security group by; the Name
        // tag is optional on groups.
        let fallback = if group_name.is_empty() {
            id
        } else {
            group_name
        };
        let mut d = Draft::new(
            rtype,
            name_of(sg.tags(), fallback),
            location(ctx, arn.as_deref(), id),
        )
        .id(id);
        d.set("id", Value::from(id));
        d.set("arn", s(arn.as_deref()));
        d.set("name", s(sg.group_name()));
        d.set("description", s(sg.description()));
        d.set(
            "vpc_id",
            reference("aws_vpc", sg.vpc_id().unwrap_or_default(), "id"),
        );
        d.set("owner_id", s(sg.owner_id()));
        d.set("ingress", rule_blocks(sg.ip_permissions(), id));
        d.set("egress", rule_blocks(sg.ip_permissions_egress(), id));
        d.set("tags", tags(tag_pairs(sg.tags())));
        out.push(d);
    }
    out
}

/// Rules as Terraform's `ingress` / `egress` blocks: one per permission,
/// address ranges as lists, other groups as references, `self` for the
/// group itself.
fn rule_blocks(perms: &[IpPermission], own_id: &str) -> Value {
    let mut blocks: Vec<Value> = perms
        .iter()
        .map(|p| {
            let mut m = crate::model::Map::new();
            m.insert(
                "protocol".to_string(),
                Value::from(p.ip_protocol().unwrap_or("-1")),
            );
            m.insert(
                "from_port".into(),
                Value::from(i64::from(p.from_port().unwrap_or(0))),
            );
            m.insert(
                "to_port".into(),
                Value::from(i64::from(p.to_port().unwrap_or(0))),
            );
            m.insert(
                "cidr_blocks".into(),
                strings(p.ip_ranges().iter().filter_map(|r| r.cidr_ip())),
            );
            m.insert(
                "ipv6_cidr_blocks".into(),
                strings(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6())),
            );
            m.insert(
                "prefix_list_ids".into(),
                strings(
                    p.prefix_list_ids()
                        .iter()
                        .filter_map(|r| r.prefix_list_id()),
                ),
            );
            let groups = p
                .user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id())
                .filter(|g| *g != own_id);
            m.insert(
                "security_groups".into(),
                references("aws_security_group", groups, "id"),
            );
            m.insert(
                "self".into(),
                Value::Bool(
                    p.user_id_group_pairs()
                        .iter()
                        .any(|g| g.group_id() == Some(own_id)),
                ),
            );
            let description = p
                .ip_ranges()
                .iter()
                .filter_map(|r| r.description())
                .chain(
                    p.user_id_group_pairs()
                        .iter()
                        .filter_map(|g| g.description()),
                )
                .next()
                .unwrap_or_default();
            m.insert("description".into(), Value::from(description));
            Value::Map(m)
        })
        .collect();
    blocks.sort_by_key(Value::display);
    Value::List(blocks)
}

async fn instances(ctx: &Ctx, client: &Client, f: Option<&[Filter]>) -> Vec<Draft> {
    let pages = ctx
        .pages(
            "ec2:DescribeInstances",
            client
                .describe_instances()
                .set_filters(f.map(<[Filter]>::to_vec))
                .max_results(1000)
                .into_paginator()
                .send(),
        )
        .await;
    let mut out = Vec::new();
    let all = pages
        .iter()
        .flat_map(|p| p.reservations())
        .flat_map(|r| r.instances());
    for inst in all {
        let state = inst
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str())
            .unwrap_or_default();
        if matches!(state, "terminated" | "shutting-down") {
            continue;
        }
        let id = inst.instance_id().unwrap_or_default();
        let mut d = Draft::new(
            "aws_instance",
            name_of(inst.tags(), id),
            format!("{}/{id}", ctx.region),
        )
        .id(id);
        d.set("id", Value::from(id));
        d.set("ami", s(inst.image_id()));
        d.set("instance_type", s(inst.instance_type().map(|t| t.as_str())));
        d.set(
            "subnet_id",
            reference("aws_subnet", inst.subnet_id().unwrap_or_default(), "id"),
        );
        d.set(
            "vpc_security_group_ids",
            references(
                "aws_security_group",
                inst.security_groups().iter().filter_map(|g| g.group_id()),
                "id",
            ),
        );
        d.set(
            "availability_zone",
            s(inst.placement().and_then(|p| p.availability_zone())),
        );
        d.set(
            "associate_public_ip_address",
            Value::Bool(inst.public_ip_address().is_some()),
        );
        d.set("private_ip", s(inst.private_ip_address()));
        d.set("public_ip", s(inst.public_ip_address()));
        d.set("key_name", s(inst.key_name()));
        d.set("ebs_optimized", b(inst.ebs_optimized()));
        d.set("source_dest_check", b(inst.source_dest_check()));
        d.set(
            "monitoring",
            inst.monitoring()
                .and_then(|m| m.state())
                .map(|s| Value::Bool(matches!(s.as_str(), "enabled" | "pending")))
                .unwrap_or(Value::Null),
        );
        if let Some(arn) = inst.iam_instance_profile().and_then(|p| p.arn()) {
            d.set(
                "iam_instance_profile",
                reference("aws_iam_instance_profile", arn, "name"),
            );
        }
        d.set("instance_state", Value::from(state));
        d.set("tags", tags(tag_pairs(inst.tags())));
        out.push(d);
    }
    out
}

async fn launch_templates(ctx: &Ctx, client: &Client, f: Option<&[Filter]>) -> Vec<Draft> {
    let pages = ctx
        .pages(
            "ec2:DescribeLaunchTemplates",
            client
                .describe_launch_templates()
                .set_filters(f.map(<[Filter]>::to_vec))
                .max_results(200)
                .into_paginator()
                .send(),
        )
        .await;
    let mut set = JoinSet::new();
    for lt in pages.iter().flat_map(|p| p.launch_templates()) {
        let id = lt.launch_template_id().unwrap_or_default().to_string();
        let name = lt.launch_template_name().unwrap_or(&id).to_string();
        let mut d =
            Draft::new("aws_launch_template", &name, format!("{}/{id}", ctx.region)).id(&id);
        d.set("id", Value::from(id.as_str()));
        d.set("name", Value::from(name.as_str()));
        d.set("default_version", n(lt.default_version_number()));
        d.set("latest_version", n(lt.latest_version_number()));
        d.set("tags", tags(tag_pairs(lt.tags())));
        let (ctx, client) = (ctx.clone(), client.clone());
        set.spawn(async move {
            let versions = ctx
                .call("ec2:DescribeLaunchTemplateVersions", || {
                    client
                        .describe_launch_template_versions()
                        .launch_template_id(&id)
                        .versions("$Default")
                        .send()
                })
                .await;
            let data = versions
                .as_ref()
                .and_then(|v| v.launch_template_versions().first())
                .and_then(|v| v.launch_template_data());
            if let Some(data) = data {
                d.set("image_id", s(data.image_id()));
                d.set("instance_type", s(data.instance_type().map(|t| t.as_str())));
                d.set("key_name", s(data.key_name()));
                d.set("ebs_optimized", b(data.ebs_optimized()));
                d.set(
                    "vpc_security_group_ids",
                    references(
                        "aws_security_group",
                        data.security_group_ids().iter().map(String::as_str),
                        "id",
                    ),
                );
                if let Some(p) = data.iam_instance_profile() {
                    let mut m = crate::model::Map::new();
                    if let Some(arn) = p.arn() {
                        m.insert(
                            "arn".to_string(),
                            reference("aws_iam_instance_profile", arn, "arn"),
                        );
                    }
                    if let Some(name) = p.name() {
                        m.insert("name".to_string(), Value::from(name));
                    }
                    d.set("iam_instance_profile", Value::List(vec![Value::Map(m)]));
                }
                let public: Vec<Value> = data
                    .network_interfaces()
                    .iter()
                    .map(|ni| {
                        let mut m = crate::model::Map::new();
                        if let Some(p) = ni.associate_public_ip_address() {
                            m.insert("associate_public_ip_address".to_string(), Value::Bool(p));
                        }
                        Value::Map(m)
                    })
                    .collect();
                if !public.is_empty() {
                    d.set("network_interfaces", Value::List(public));
                }
            }
            d
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(d) = joined {
            out.push(d);
        }
    }
    out
}
