//! RDS: DB instances, clusters, parameter groups (family and the parameters
//! set away from the engine default, as Terraform's `parameter` blocks) and
//! subnet groups, as `aws_db_instance` (`aws_rds_cluster_instance` for a
//! cluster member), `aws_rds_cluster`, `aws_db_parameter_group`,
//! `aws_rds_cluster_parameter_group` and `aws_db_subnet_group`.
//!
//! RDS list calls cannot filter by tag, so instances and clusters are
//! filtered by the tags they carry; groups, which carry no tags in list
//! answers, are read when an in-scope database uses them (or all of them
//! when no tags scope the environment). The groups AWS provides
//! (`default.postgres15`, `default`) are not collected: code does not
//! manage them, and a reference to one keeps its name.

use std::collections::BTreeSet;
use std::future::Future;

use aws_sdk_rds::types::{
    DbCluster, DbClusterParameterGroup, DbInstance, DbParameterGroup, DbSubnetGroup, Tag,
};
use aws_sdk_rds::Client;
use tokio::task::JoinSet;

use super::draft::{b, n, reference, references, s, tags, Draft};
use super::exec::Ctx;
use super::Scope;
use crate::model::Value;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, scope: &Scope) -> Vec<Draft> {
    let (instances, clusters, pgroups, cpgroups, subnet_groups) = tokio::join!(
        ctx.pages(
            "rds:DescribeDBInstances",
            client
                .describe_db_instances()
                .max_records(100)
                .into_paginator()
                .send()
        ),
        ctx.pages(
            "rds:DescribeDBClusters",
            client
                .describe_db_clusters()
                .max_records(100)
                .into_paginator()
                .send()
        ),
        ctx.pages(
            "rds:DescribeDBParameterGroups",
            client
                .describe_db_parameter_groups()
                .max_records(100)
                .into_paginator()
                .send()
        ),
        ctx.pages(
            "rds:DescribeDBClusterParameterGroups",
            client
                .describe_db_cluster_parameter_groups()
                .max_records(100)
                .into_paginator()
                .send()
        ),
        ctx.pages(
            "rds:DescribeDBSubnetGroups",
            client
                .describe_db_subnet_groups()
                .max_records(100)
                .into_paginator()
                .send()
        ),
    );

    let mut out = Vec::new();
    let mut used = UsedGroups::default();

    for db in instances.iter().flat_map(|p| p.db_instances()) {
        if !scope.tags_match(tag_pairs(db.tag_list())) {
            continue;
        }
        out.push(db_instance(ctx, db, &mut used));
    }

    for c in clusters.iter().flat_map(|p| p.db_clusters()) {
        if !scope.tags_match(tag_pairs(c.tag_list())) {
            continue;
        }
        out.push(db_cluster(ctx, c, &mut used));
    }

    let scoped = !scope.tags.is_empty();
    let wanted = |name: &str, used: &BTreeSet<String>| {
        !name.starts_with("default.") && name != "default" && (!scoped || used.contains(name))
    };

    let mut set = JoinSet::new();
    for g in pgroups.iter().flat_map(|p| p.db_parameter_groups()) {
        let name = g.db_parameter_group_name().unwrap_or_default().to_string();
        if !wanted(&name, &used.parameter) {
            continue;
        }
        set.spawn(db_parameter_group(ctx, client, g, name));
    }
    for g in cpgroups
        .iter()
        .flat_map(|p| p.db_cluster_parameter_groups())
    {
        let name = g
            .db_cluster_parameter_group_name()
            .unwrap_or_default()
            .to_string();
        if !wanted(&name, &used.cluster_parameter) {
            continue;
        }
        set.spawn(db_cluster_parameter_group(ctx, client, g, name));
    }

    for g in subnet_groups.iter().flat_map(|p| p.db_subnet_groups()) {
        let name = g.db_subnet_group_name().unwrap_or_default();
        if !wanted(name, &used.subnet) {
            continue;
        }
        out.push(db_subnet_group(ctx, g, name));
    }

    while let Some(joined) = set.join_next().await {
        if let Ok(d) = joined {
            out.push(d);
        }
    }
    out
}

/// The groups that in-scope databases use, by name: when tags scope the
/// environment, only these groups are collected.
#[derive(Default)]
struct UsedGroups {
    parameter: BTreeSet<String>,
    cluster_parameter: BTreeSet<String>,
    subnet: BTreeSet<String>,
}

/// An `aws_db_instance`, or an `aws_rds_cluster_instance` for a cluster
/// member; records the groups it uses in `used`.
fn db_instance(ctx: &Ctx, db: &DbInstance, used: &mut UsedGroups) -> Draft {
    let ident = db.db_instance_identifier().unwrap_or_default();
    let in_cluster = db.db_cluster_identifier().is_some();
    let rtype = if in_cluster {
        "aws_rds_cluster_instance"
    } else {
        "aws_db_instance"
    };
    let arn = db.db_instance_arn();
    let mut d = Draft::new(
        rtype,
        ident,
        arn.map(str::to_string)
            .unwrap_or_else(|| format!("{}/{ident}", ctx.region)),
    )
    .id(ident);
    if let Some(a) = arn {
        d.ids.push(a.to_string());
    }
    // Terraform (AWS provider 5+) uses the resource id as an
    // `aws_db_instance`'s `id`, the identifier as a cluster member's.
    if in_cluster {
        d.set("id", Value::from(ident));
    } else {
        d.set("id", s(db.dbi_resource_id().or(Some(ident))));
    }
    d.set("identifier", Value::from(ident));
    d.set("arn", s(arn));
    d.set("resource_id", s(db.dbi_resource_id()));
    d.set("engine", s(db.engine()));
    d.set("engine_version", s(db.engine_version()));
    d.set("instance_class", s(db.db_instance_class()));
    d.set("storage_encrypted", b(db.storage_encrypted()));
    d.set("kms_key_id", s(db.kms_key_id()));
    d.set("publicly_accessible", b(db.publicly_accessible()));
    d.set(
        "auto_minor_version_upgrade",
        b(db.auto_minor_version_upgrade()),
    );
    d.set(
        "iam_database_authentication_enabled",
        b(db.iam_database_authentication_enabled()),
    );
    d.set(
        "performance_insights_enabled",
        b(db.performance_insights_enabled()),
    );
    d.set("monitoring_interval", n(db.monitoring_interval()));
    d.set("ca_cert_identifier", s(db.ca_certificate_identifier()));
    d.set("availability_zone", s(db.availability_zone()));
    d.set("endpoint", s(db.endpoint().and_then(|e| e.address())));
    d.set("port", n(db.endpoint().and_then(|e| e.port())));
    d.set(
        "vpc_security_group_ids",
        references(
            "aws_security_group",
            db.vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id()),
            "id",
        ),
    );
    if let Some(pg) = db
        .db_parameter_groups()
        .first()
        .and_then(|g| g.db_parameter_group_name())
    {
        used.parameter.insert(pg.to_string());
        d.set(
            "parameter_group_name",
            reference("aws_db_parameter_group", pg, "name"),
        );
    }
    if let Some(cluster) = db.db_cluster_identifier() {
        d.set(
            "cluster_identifier",
            reference("aws_rds_cluster", cluster, "id"),
        );
    } else {
        d.set("allocated_storage", n(db.allocated_storage()));
        d.set("max_allocated_storage", n(db.max_allocated_storage()));
        d.set("storage_type", s(db.storage_type()));
        d.set("iops", n(db.iops()));
        d.set("multi_az", b(db.multi_az()));
        d.set("backup_retention_period", n(db.backup_retention_period()));
        d.set("backup_window", s(db.preferred_backup_window()));
        d.set("deletion_protection", b(db.deletion_protection()));
        d.set("username", s(db.master_username()));
        d.set("db_name", s(db.db_name()));
        d.set("copy_tags_to_snapshot", b(db.copy_tags_to_snapshot()));
        if let Some(sng) = db.db_subnet_group().and_then(|g| g.db_subnet_group_name()) {
            used.subnet.insert(sng.to_string());
            d.set(
                "db_subnet_group_name",
                reference("aws_db_subnet_group", sng, "name"),
            );
        }
    }
    d.set("maintenance_window", s(db.preferred_maintenance_window()));
    d.set("tags", tags(tag_pairs(db.tag_list())));
    d
}

/// An `aws_rds_cluster` (`aws_docdb_cluster`, `aws_neptune_cluster` for those
/// engines); records the groups it uses in `used`.
fn db_cluster(ctx: &Ctx, c: &DbCluster, used: &mut UsedGroups) -> Draft {
    let ident = c.db_cluster_identifier().unwrap_or_default();
    let engine = c.engine().unwrap_or_default();
    let rtype = match engine {
        "docdb" => "aws_docdb_cluster",
        "neptune" => "aws_neptune_cluster",
        _ => "aws_rds_cluster",
    };
    let arn = c.db_cluster_arn();
    let mut d = Draft::new(
        rtype,
        ident,
        arn.map(str::to_string)
            .unwrap_or_else(|| format!("{}/{ident}", ctx.region)),
    )
    .id(ident);
    if let Some(a) = arn {
        d.ids.push(a.to_string());
    }
    d.set("id", Value::from(ident));
    d.set("cluster_identifier", Value::from(ident));
    d.set("arn", s(arn));
    d.set("cluster_resource_id", s(c.db_cluster_resource_id()));
    d.set("engine", Value::from(engine));
    d.set("engine_version", s(c.engine_version()));
    d.set("engine_mode", s(c.engine_mode()));
    d.set("database_name", s(c.database_name()));
    d.set("master_username", s(c.master_username()));
    d.set("port", n(c.port()));
    d.set("storage_encrypted", b(c.storage_encrypted()));
    d.set("kms_key_id", s(c.kms_key_id()));
    d.set("backup_retention_period", n(c.backup_retention_period()));
    d.set("preferred_backup_window", s(c.preferred_backup_window()));
    d.set(
        "preferred_maintenance_window",
        s(c.preferred_maintenance_window()),
    );
    d.set("deletion_protection", b(c.deletion_protection()));
    d.set(
        "iam_database_authentication_enabled",
        b(c.iam_database_authentication_enabled()),
    );
    d.set("endpoint", s(c.endpoint()));
    d.set("reader_endpoint", s(c.reader_endpoint()));
    let mut zones: Vec<&str> = c.availability_zones().iter().map(String::as_str).collect();
    zones.sort_unstable();
    d.set(
        "availability_zones",
        Value::List(zones.into_iter().map(Value::from).collect()),
    );
    d.set(
        "vpc_security_group_ids",
        references(
            "aws_security_group",
            c.vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id()),
            "id",
        ),
    );
    if let Some(pg) = c.db_cluster_parameter_group() {
        used.cluster_parameter.insert(pg.to_string());
        d.set(
            "db_cluster_parameter_group_name",
            reference("aws_rds_cluster_parameter_group", pg, "name"),
        );
    }
    if let Some(sng) = c.db_subnet_group() {
        used.subnet.insert(sng.to_string());
        d.set(
            "db_subnet_group_name",
            reference("aws_db_subnet_group", sng, "name"),
        );
    }
    d.set("tags", tags(tag_pairs(c.tag_list())));
    d
}

/// An `aws_db_parameter_group`, completed with its parameters by the
/// returned future (one call per group, run concurrently).
fn db_parameter_group(
    ctx: &Ctx,
    client: &Client,
    g: &DbParameterGroup,
    name: String,
) -> impl Future<Output = Draft> + Send + 'static {
    let mut d = group_draft(
        ctx,
        "aws_db_parameter_group",
        &name,
        g.db_parameter_group_arn(),
        g.db_parameter_group_family(),
        g.description(),
    );
    let (ctx, client) = (ctx.clone(), client.clone());
    async move {
        let pages = ctx
            .pages(
                "rds:DescribeDBParameters",
                client
                    .describe_db_parameters()
                    .db_parameter_group_name(&name)
                    .source("user")
                    .max_records(100)
                    .into_paginator()
                    .send(),
            )
            .await;
        d.set(
            "parameter",
            parameter_blocks(pages.iter().flat_map(|p| p.parameters())),
        );
        d
    }
}

/// An `aws_rds_cluster_parameter_group`, completed with its parameters by
/// the returned future (one call per group, run concurrently).
fn db_cluster_parameter_group(
    ctx: &Ctx,
    client: &Client,
    g: &DbClusterParameterGroup,
    name: String,
) -> impl Future<Output = Draft> + Send + 'static {
    let mut d = group_draft(
        ctx,
        "aws_rds_cluster_parameter_group",
        &name,
        g.db_cluster_parameter_group_arn(),
        g.db_parameter_group_family(),
        g.description(),
    );
    let (ctx, client) = (ctx.clone(), client.clone());
    async move {
        let pages = ctx
            .pages(
                "rds:DescribeDBClusterParameters",
                client
                    .describe_db_cluster_parameters()
                    .db_cluster_parameter_group_name(&name)
                    .source("user")
                    .max_records(100)
                    .into_paginator()
                    .send(),
            )
            .await;
        d.set(
            "parameter",
            parameter_blocks(pages.iter().flat_map(|p| p.parameters())),
        );
        d
    }
}

/// An `aws_db_subnet_group`.
fn db_subnet_group(ctx: &Ctx, g: &DbSubnetGroup, name: &str) -> Draft {
    let arn = g.db_subnet_group_arn();
    let mut d = Draft::new(
        "aws_db_subnet_group",
        name,
        arn.map(str::to_string)
            .unwrap_or_else(|| format!("{}/{name}", ctx.region)),
    )
    .id(name);
    d.set("id", Value::from(name));
    d.set("name", Value::from(name));
    d.set("arn", s(arn));
    d.set("description", s(g.db_subnet_group_description()));
    d.set(
        "vpc_id",
        reference("aws_vpc", g.vpc_id().unwrap_or_default(), "id"),
    );
    d.set(
        "subnet_ids",
        references(
            "aws_subnet",
            g.subnets().iter().filter_map(|s| s.subnet_identifier()),
            "id",
        ),
    );
    d
}

fn tag_pairs(t: &[Tag]) -> impl Iterator<Item = (&str, &str)> {
    t.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
}

fn group_draft(
    ctx: &Ctx,
    rtype: &'static str,
    name: &str,
    arn: Option<&str>,
    family: Option<&str>,
    description: Option<&str>,
) -> Draft {
    let mut d = Draft::new(
        rtype,
        name,
        arn.map(str::to_string)
            .unwrap_or_else(|| format!("{}/{name}", ctx.region)),
    )
    .id(name);
    d.set("id", Value::from(name));
    d.set("name", Value::from(name));
    d.set("arn", s(arn));
    d.set("family", s(family));
    d.set("description", s(description));
    d
}

/// Parameters set by the user, as Terraform's `parameter` set: one block
/// per parameter with `name`, `value` and `apply_method`, sorted by name.
fn parameter_blocks<'a>(params: impl Iterator<Item = &'a aws_sdk_rds::types::Parameter>) -> Value {
    let mut by_name: crate::model::Map = crate::model::Map::new();
    for p in params {
        let Some(name) = p.parameter_name() else {
            continue;
        };
        let mut m = crate::model::Map::new();
        m.insert("name".to_string(), Value::from(name));
        m.insert(
            "value".to_string(),
            Value::from(p.parameter_value().unwrap_or_default()),
        );
        m.insert(
            "apply_method".to_string(),
            Value::from(p.apply_method().map(|a| a.as_str()).unwrap_or("immediate")),
        );
        by_name.insert(name.to_string(), Value::Map(m));
    }
    Value::List(by_name.into_values().collect())
}
