//! `parity-live-bench`: fills an AWS API emulator (moto's server) with an
//! environment of a few thousand resources and measures a live snapshot:
//! API calls made against the calls the pages require, wall time, and the
//! same collection done one call at a time, for comparison.
//!
//! ```text
//! scripts/test --no-run            # once: installs moto into .venv
//! cargo build --bin parity-live-bench
//! ./target/debug/parity-live-bench [--resources 2000] [--mix mixed|network-iam] [--concurrency 16] [--runs 3] [--latency-ms 0] [--moto-per-service] [--iam-per-resource]
//! ```
//!
//! The default mix (`mixed`) exercises every collector: per "stack" (one
//! VPC) an internet gateway, 6 subnets, 6 security groups with rules, 6 EC2
//! instances and 2 launch templates; 3 RDS databases, each with its own DB
//! parameter group carrying 1 to 3 non-default parameters, and a DB subnet
//! group; 5 IAM roles with an inline policy and an instance profile each,
//! and 3 managed policies attached to them; every 10th stack also has an
//! Aurora cluster (its cluster parameter group, and 2 members sharing a DB
//! parameter group). `--mix network-iam` is the earlier composition (VPCs,
//! subnets, security groups and IAM only), kept so its figures can be
//! reproduced.
//!
//! The calls a snapshot requires are computed from what was created (plus
//! what the emulator held before, counted first) and the page size each
//! collector asks for: one call per page of every listing, plus the
//! per-object reads (one DescribeLaunchTemplateVersions per template, one
//! page of DescribeDBParameters per parameter group, ...). They are compared
//! with the calls the collection made, per operation.
//!
//! `--iam-per-resource` reads IAM one call per role and per policy (what a
//! policy without `iam:GetAccountAuthorizationDetails` gets) instead of in
//! bulk. `--moto-per-service` runs one emulator process per service (EC2;
//! IAM and STS; RDS), each at its own endpoint, as AWS serves every service
//! from its own endpoint: one moto process answers one request at a time,
//! so with a single process the services' calls queue behind each other
//! whatever the client does.
//!
//! `--latency-ms` puts a loopback proxy in front of the emulator that
//! delays every request by that much, the round trip a real AWS endpoint
//! has; the emulator alone answers in a few milliseconds and is bound by
//! one Python process, which hides most of what concurrency buys against
//! AWS.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::types::{
    InstanceType, IpPermission, IpRange, LaunchTemplateIamInstanceProfileSpecificationRequest,
    RequestLaunchTemplateData, ResourceType, Tag, TagSpecification, UserIdGroupPair,
};
use aws_sdk_rds::types::{ApplyMethod, Parameter};
use clap::{Parser, ValueEnum};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use parity::model::Snapshot;
use parity::sources::aws::{self, AwsSettings, CollectStats, StaticCredentials};

const REGION: &str = "eu-west-1";

/// What the generated environment is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mix {
    /// EC2 (VPCs, internet gateways, subnets, security groups with rules,
    /// instances, launch templates), RDS (databases with their own
    /// parameter groups, subnet groups, a few Aurora clusters) and IAM
    /// (roles, inline and managed policies, attachments, instance
    /// profiles).
    Mixed,
    /// The earlier composition: per VPC 10 subnets and 10 security
    /// groups; IAM roles with an inline policy, managed policies and
    /// instance profiles. No RDS, no instances, no launch templates.
    NetworkIam,
}

#[derive(Debug, Parser)]
#[command(
    name = "parity-live-bench",
    about = "Time a live snapshot of a large environment in an AWS emulator"
)]
struct Args {
    /// Resources to create (about; the mix is made of whole stacks).
    #[arg(long, default_value_t = 2000)]
    resources: usize,
    /// What the environment is made of.
    #[arg(long, value_enum, default_value_t = Mix::Mixed)]
    mix: Mix,
    /// Calls in flight at once for the concurrent run.
    #[arg(long, default_value_t = aws::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Timed runs of each mode; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Extra round-trip latency per request (a proxy in front of moto).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Read IAM one call per role and per policy instead of in bulk.
    #[arg(long)]
    iam_per_resource: bool,
    /// One emulator process per service (EC2; IAM and STS; RDS).
    #[arg(long)]
    moto_per_service: bool,
    /// The moto server binary (default: $PARITY_MOTO_SERVER, else
    /// .venv/bin/moto_server).
    #[arg(long)]
    moto: Option<PathBuf>,
}

struct Moto(Child);

impl Moto {
    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_moto(bin: &PathBuf) -> anyhow::Result<(Moto, u16)> {
    if !bin.is_file() {
        bail!(
            "moto server not found at {}: run scripts/test (it installs moto into .venv)",
            bin.display()
        );
    }
    let port = free_port()?;
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let moto = Moto(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("moto did not start within 60s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((moto, port))
}

/// A loopback proxy that holds every chunk a client sends for `delay`
/// before passing it on: one request, one delay.
async fn delaying_proxy(upstream: u16, delay: Duration) -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        tokio::time::sleep(delay).await;
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = sw.shutdown().await;
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                tokio::join!(up, down);
            });
        }
    });
    Ok(port)
}

fn tagged(rt: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .tags(Tag::builder().key("Name").value(name).build())
        .build()
}

/// What was created, by kind.
#[derive(Debug, Default, Clone)]
struct Created {
    vpcs: u64,
    internet_gateways: u64,
    subnets: u64,
    security_groups: u64,
    instances: u64,
    launch_templates: u64,
    db_instances: u64,
    cluster_members: u64,
    clusters: u64,
    /// Non-default parameters of each DB parameter group.
    db_parameter_groups: Vec<u64>,
    /// Non-default parameters of each DB cluster parameter group.
    cluster_parameter_groups: Vec<u64>,
    db_subnet_groups: u64,
    roles: u64,
    inline_policies: u64,
    managed_policies: u64,
    attachments: u64,
    instance_profiles: u64,
}

impl Created {
    fn add(&mut self, o: Created) {
        self.vpcs += o.vpcs;
        self.internet_gateways += o.internet_gateways;
        self.subnets += o.subnets;
        self.security_groups += o.security_groups;
        self.instances += o.instances;
        self.launch_templates += o.launch_templates;
        self.db_instances += o.db_instances;
        self.cluster_members += o.cluster_members;
        self.clusters += o.clusters;
        self.db_parameter_groups.extend(o.db_parameter_groups);
        self.cluster_parameter_groups
            .extend(o.cluster_parameter_groups);
        self.db_subnet_groups += o.db_subnet_groups;
        self.roles += o.roles;
        self.inline_policies += o.inline_policies;
        self.managed_policies += o.managed_policies;
        self.attachments += o.attachments;
        self.instance_profiles += o.instance_profiles;
    }

    /// Created resources by the Terraform type the snapshot gives them.
    fn by_type(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("aws_vpc", self.vpcs),
            ("aws_internet_gateway", self.internet_gateways),
            ("aws_subnet", self.subnets),
            ("aws_security_group", self.security_groups),
            ("aws_instance", self.instances),
            ("aws_launch_template", self.launch_templates),
            ("aws_db_instance", self.db_instances),
            ("aws_rds_cluster_instance", self.cluster_members),
            ("aws_rds_cluster", self.clusters),
            ("aws_db_parameter_group", len(&self.db_parameter_groups)),
            (
                "aws_rds_cluster_parameter_group",
                len(&self.cluster_parameter_groups),
            ),
            ("aws_db_subnet_group", self.db_subnet_groups),
            ("aws_iam_role", self.roles),
            ("aws_iam_role_policy", self.inline_policies),
            ("aws_iam_policy", self.managed_policies),
            ("aws_iam_role_policy_attachment", self.attachments),
            ("aws_iam_instance_profile", self.instance_profiles),
        ]
    }

    fn total(&self) -> u64 {
        self.by_type().iter().map(|(_, n)| n).sum()
    }
}

fn len<T>(v: &[T]) -> u64 {
    u64::try_from(v.len()).unwrap_or(u64::MAX)
}

fn count<T>(items: impl Iterator<Item = T>) -> u64 {
    u64::try_from(items.count()).unwrap_or(u64::MAX)
}

/// SDK clients for creating the environment, each at its service's
/// emulator.
#[derive(Clone)]
struct Clients {
    ec2: aws_sdk_ec2::Client,
    rds: aws_sdk_rds::Client,
    iam: aws_sdk_iam::Client,
    /// EC2 at the RDS emulator when RDS has a process of its own: moto
    /// checks a DB subnet group's subnets against its own process's EC2.
    rds_ec2: Option<aws_sdk_ec2::Client>,
}

impl Clients {
    async fn new(ec2_url: &str, rds_url: &str, iam_url: &str) -> Clients {
        let conf = |url: &str| {
            aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(REGION))
                .endpoint_url(url)
                .credentials_provider(aws_sdk_sts::config::Credentials::new(
                    "testing", "testing", None, None, "bench",
                ))
                .load()
        };
        let rds_conf = conf(rds_url).await;
        Clients {
            ec2: aws_sdk_ec2::Client::new(&conf(ec2_url).await),
            rds: aws_sdk_rds::Client::new(&rds_conf),
            iam: aws_sdk_iam::Client::new(&conf(iam_url).await),
            rds_ec2: (rds_url != ec2_url).then(|| aws_sdk_ec2::Client::new(&rds_conf)),
        }
    }
}

const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// An image id from moto's built-in list (moto does not check it anyway).
const AMI: &str = "ami-12c6146b";
/// The emulator wants a master password; it is a fixed fake.
const EMULATOR_PASSWORD: &str = "not-a-secret-0";
/// Resources per stack of the mixed environment (an Aurora cluster every
/// [`AURORA_EVERY`] stacks adds 5).
const STACK_RESOURCES: usize = 50;
const AURORA_EVERY: usize = 10;
/// moto answers DescribeLaunchTemplates with the first `MaxResults` (the
/// collector's 200) and no NextToken, so templates beyond one page would be
/// silently missing from the snapshot: no stack past this many templates
/// gets any.
const MOTO_MAX_LAUNCH_TEMPLATES: usize = 200;
/// Non-default parameters: name, value, needs a reboot.
const POSTGRES_PARAMS: [(&str, &str, bool); 3] = [
    ("log_min_duration_statement", "500", false),
    ("max_connections", "400", true),
    ("work_mem", "16384", false),
];
const MYSQL_PARAMS: [(&str, &str, bool); 3] = [
    ("slow_query_log", "1", false),
    ("max_connections", "600", true),
    ("long_query_time", "2", false),
];

fn param(&(name, value, reboot): &(&str, &str, bool)) -> Parameter {
    Parameter::builder()
        .parameter_name(name)
        .parameter_value(value)
        .apply_method(if reboot {
            ApplyMethod::PendingReboot
        } else {
            ApplyMethod::Immediate
        })
        .build()
}

/// A DB parameter group with these non-default parameters.
async fn db_parameter_group(
    c: &Clients,
    name: &str,
    family: &str,
    description: &str,
    params: &[(&str, &str, bool)],
) -> anyhow::Result<()> {
    c.rds
        .create_db_parameter_group()
        .db_parameter_group_name(name)
        .db_parameter_group_family(family)
        .description(description)
        .send()
        .await?;
    c.rds
        .modify_db_parameter_group()
        .db_parameter_group_name(name)
        .set_parameters(Some(params.iter().map(param).collect()))
        .send()
        .await?;
    Ok(())
}

/// A role with the bench's trust policy and inline policy (`inline`), and
/// an instance profile of the same name.
async fn role_with_profile(iam: &aws_sdk_iam::Client, name: &str) -> anyhow::Result<()> {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST)
        .send()
        .await?;
    iam.put_role_policy()
        .role_name(name)
        .policy_name("inline")
        .policy_document(DOC)
        .send()
        .await?;
    iam.create_instance_profile()
        .instance_profile_name(name)
        .send()
        .await?;
    Ok(())
}

/// The earlier composition (`--mix network-iam`): about `total` resources,
/// per VPC 10 subnets and 10 security groups; the rest as IAM roles (each
/// with an inline policy and an instance profile) and managed policies.
async fn populate_network_iam(c: &Clients, total: usize) -> anyhow::Result<Created> {
    let vpcs = (total * 2 / 5).div_ceil(21).max(1);
    if vpcs > 255 {
        bail!("--resources {total} needs {vpcs} VPCs; at most 255 fit the bench's address plan");
    }
    let roles = total.saturating_sub(vpcs * 21) / 4;
    let permits = Arc::new(Semaphore::new(8));
    let mut set: JoinSet<anyhow::Result<Created>> = JoinSet::new();
    for v in 0..vpcs {
        let (ec2, permits) = (c.ec2.clone(), permits.clone());
        set.spawn(async move {
            let _p = permits.acquire_owned().await?;
            let vpc = ec2
                .create_vpc()
                .cidr_block(format!("10.{v}.0.0/16"))
                .tag_specifications(tagged(ResourceType::Vpc, &format!("bench-{v}")))
                .send()
                .await?;
            let vpc_id = vpc
                .vpc()
                .and_then(|x| x.vpc_id())
                .context("CreateVpc answered without an id")?
                .to_string();
            for s in 0..10 {
                ec2.create_subnet()
                    .vpc_id(&vpc_id)
                    .cidr_block(format!("10.{v}.{s}.0/24"))
                    .availability_zone(format!("{REGION}{}", ["a", "b", "c"][s % 3]))
                    .tag_specifications(tagged(ResourceType::Subnet, &format!("bench-{v}-{s}")))
                    .send()
                    .await?;
                ec2.create_security_group()
                    .vpc_id(&vpc_id)
                    .group_name(format!("bench-{v}-{s}"))
                    .description("bench")
                    .send()
                    .await?;
            }
            Ok(Created {
                vpcs: 1,
                subnets: 10,
                security_groups: 10,
                ..Created::default()
            })
        });
    }
    for r in 0..roles {
        let (iam, permits) = (c.iam.clone(), permits.clone());
        set.spawn(async move {
            let _p = permits.acquire_owned().await?;
            let name = format!("bench-role-{r}");
            role_with_profile(&iam, &name).await?;
            iam.create_policy()
                .policy_name(format!("bench-policy-{r}"))
                .policy_document(DOC)
                .send()
                .await?;
            Ok(Created {
                roles: 1,
                inline_policies: 1,
                managed_policies: 1,
                instance_profiles: 1,
                ..Created::default()
            })
        });
    }
    let mut created = Created::default();
    while let Some(done) = set.join_next().await {
        created.add(done??);
    }
    Ok(created)
}

/// The mixed environment (`--mix mixed`): `total / 50` stacks, see
/// [`stack`].
async fn populate_mixed(c: &Clients, total: usize) -> anyhow::Result<Created> {
    let stacks = (total / STACK_RESOURCES).max(1);
    if stacks > 255 {
        bail!(
            "--resources {total} needs {stacks} stacks; at most 255 fit the bench's address plan"
        );
    }
    // With RDS in its own emulator, its subnet groups use subnets made
    // there (invisible to the EC2 collector, which reads the EC2 emulator).
    let rds_subnets = match &c.rds_ec2 {
        Some(ec2) => Some(Arc::new(rds_side_subnets(ec2).await?)),
        None => None,
    };
    let permits = Arc::new(Semaphore::new(8));
    let mut set: JoinSet<anyhow::Result<Created>> = JoinSet::new();
    for v in 0..stacks {
        let (c, permits, rds_subnets) = (c.clone(), permits.clone(), rds_subnets.clone());
        set.spawn(async move {
            let _p = permits.acquire_owned().await?;
            stack(&c, v, rds_subnets.as_deref().map(Vec::as_slice)).await
        });
    }
    let mut created = Created::default();
    while let Some(done) = set.join_next().await {
        created.add(done??);
    }
    Ok(created)
}

/// A VPC with 3 subnets in the RDS emulator's own EC2 state.
async fn rds_side_subnets(ec2: &aws_sdk_ec2::Client) -> anyhow::Result<Vec<String>> {
    let vpc_id = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await?
        .vpc()
        .and_then(|x| x.vpc_id())
        .context("CreateVpc answered without an id")?
        .to_string();
    let mut out = Vec::new();
    for s in 0..3 {
        let id = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.0.{s}.0/24"))
            .availability_zone(format!("{REGION}{}", ["a", "b", "c"][s]))
            .send()
            .await?
            .subnet()
            .and_then(|x| x.subnet_id())
            .context("CreateSubnet answered without an id")?
            .to_string();
        out.push(id);
    }
    Ok(out)
}

/// One stack (50 resources): a VPC with an internet gateway, 6 subnets, 6
/// security groups (web open on 443, app from web, db and cache from app,
/// bastion and batch from the private range), 6 instances (2 each for web,
/// app, batch) and 2 launch templates (web, app); a DB subnet group and 3
/// databases (PostgreSQL, MySQL, PostgreSQL), each with its own parameter
/// group carrying 1, 2 and 3 non-default parameters; 5 IAM roles, each
/// with an inline policy and an instance profile, and 3 managed policies
/// attached to the first 3 roles. Every [`AURORA_EVERY`]th stack adds an
/// Aurora PostgreSQL cluster with its cluster parameter group (1
/// non-default parameter) and 2 members sharing a DB parameter group (1
/// non-default parameter).
async fn stack(c: &Clients, v: usize, rds_subnets: Option<&[String]>) -> anyhow::Result<Created> {
    let mut n = Created::default();
    let name = |what: &str| format!("bench-{v}-{what}");

    // EC2: network.
    let vpc_id = c
        .ec2
        .create_vpc()
        .cidr_block(format!("10.{v}.0.0/16"))
        .tag_specifications(tagged(ResourceType::Vpc, &name("vpc")))
        .send()
        .await?
        .vpc()
        .and_then(|x| x.vpc_id())
        .context("CreateVpc answered without an id")?
        .to_string();
    n.vpcs += 1;
    let igw = c
        .ec2
        .create_internet_gateway()
        .tag_specifications(tagged(ResourceType::InternetGateway, &name("igw")))
        .send()
        .await?
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .context("CreateInternetGateway answered without an id")?
        .to_string();
    c.ec2
        .attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc_id)
        .send()
        .await?;
    n.internet_gateways += 1;
    let mut subnets = Vec::new();
    for s in 0..6 {
        let id = c
            .ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.{v}.{s}.0/24"))
            .availability_zone(format!("{REGION}{}", ["a", "b", "c"][s % 3]))
            .tag_specifications(tagged(ResourceType::Subnet, &name(&format!("subnet-{s}"))))
            .send()
            .await?
            .subnet()
            .and_then(|x| x.subnet_id())
            .context("CreateSubnet answered without an id")?
            .to_string();
        subnets.push(id);
    }
    n.subnets += len(&subnets);

    let mut groups = BTreeMap::new();
    for tier in ["web", "app", "db", "cache", "bastion", "batch"] {
        let id = c
            .ec2
            .create_security_group()
            .vpc_id(&vpc_id)
            .group_name(name(tier))
            .description(format!("bench {tier} tier"))
            .tag_specifications(tagged(ResourceType::SecurityGroup, &name(tier)))
            .send()
            .await?
            .group_id()
            .context("CreateSecurityGroup answered without an id")?
            .to_string();
        groups.insert(tier, id);
        n.security_groups += 1;
    }
    let group = |tier: &str| {
        groups
            .get(tier)
            .cloned()
            .with_context(|| format!("no {tier} group"))
    };
    let rules = [
        ("web", 443, "0.0.0.0/0"),
        ("app", 8080, "web"),
        ("db", 5432, "app"),
        ("cache", 6379, "app"),
        ("bastion", 22, "10.0.0.0/8"),
        ("batch", 8443, "10.0.0.0/8"),
    ];
    for (tier, port, from) in rules {
        let rule = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port);
        let rule = match groups.get(from) {
            Some(source) => rule.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(source)
                    .description(format!("from {from}"))
                    .build(),
            ),
            None => rule.ip_ranges(IpRange::builder().cidr_ip(from).description(from).build()),
        };
        c.ec2
            .authorize_security_group_ingress()
            .group_id(group(tier)?)
            .ip_permissions(rule.build())
            .send()
            .await?;
    }

    // EC2: compute.
    if (v + 1) * 2 <= MOTO_MAX_LAUNCH_TEMPLATES {
        for tier in ["web", "app"] {
            let data = RequestLaunchTemplateData::builder()
                .image_id(AMI)
                .instance_type(InstanceType::T3Small)
                .security_group_ids(group(tier)?)
                .iam_instance_profile(
                    LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                        .name(name("role-0"))
                        .build(),
                )
                .build();
            c.ec2
                .create_launch_template()
                .launch_template_name(name(tier))
                .version_description("bench")
                .launch_template_data(data)
                .tag_specifications(tagged(ResourceType::LaunchTemplate, &name(tier)))
                .send()
                .await?;
            n.launch_templates += 1;
        }
    }
    for (tier, subnet) in ["web", "app", "batch"].into_iter().zip(&subnets) {
        let out = c
            .ec2
            .run_instances()
            .image_id(AMI)
            .instance_type(InstanceType::T3Micro)
            .min_count(2)
            .max_count(2)
            .subnet_id(subnet)
            .security_group_ids(group(tier)?)
            .tag_specifications(tagged(ResourceType::Instance, &name(tier)))
            .send()
            .await?;
        n.instances += len(out.instances());
    }

    // RDS.
    let subnet_group = name("db");
    let group_subnets = match rds_subnets {
        Some(s) => s.to_vec(),
        None => subnets.iter().skip(3).cloned().collect(),
    };
    c.rds
        .create_db_subnet_group()
        .db_subnet_group_name(&subnet_group)
        .db_subnet_group_description("bench databases")
        .set_subnet_ids(Some(group_subnets))
        .send()
        .await?;
    n.db_subnet_groups += 1;
    let db_group = group("db")?;
    let rds_tag = |id: &str| {
        aws_sdk_rds::types::Tag::builder()
            .key("Name")
            .value(id)
            .build()
    };
    for d in 0..3 {
        let id = name(&format!("db-{d}"));
        let (engine, version, family, params) = if d % 2 == 0 {
            ("postgres", "15.4", "postgres15", &POSTGRES_PARAMS[..=d])
        } else {
            ("mysql", "8.0.35", "mysql8.0", &MYSQL_PARAMS[..=d])
        };
        db_parameter_group(c, &id, family, &format!("bench {engine}"), params).await?;
        n.db_parameter_groups.push(len(params));
        c.rds
            .create_db_instance()
            .db_instance_identifier(&id)
            .engine(engine)
            .engine_version(version)
            .db_instance_class("db.t3.medium")
            .allocated_storage(20)
            .master_username("app")
            .master_user_password(EMULATOR_PASSWORD)
            .db_parameter_group_name(&id)
            .db_subnet_group_name(&subnet_group)
            .vpc_security_group_ids(&db_group)
            .tags(rds_tag(&id))
            .send()
            .await?;
        n.db_instances += 1;
    }
    if v.is_multiple_of(AURORA_EVERY) {
        let cluster = name("aurora");
        let force_ssl = [("rds.force_ssl", "1", true)];
        c.rds
            .create_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(&cluster)
            .db_parameter_group_family("aurora-postgresql15")
            .description("bench aurora")
            .send()
            .await?;
        c.rds
            .modify_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(&cluster)
            .set_parameters(Some(force_ssl.iter().map(param).collect()))
            .send()
            .await?;
        n.cluster_parameter_groups.push(len(&force_ssl));
        let members = name("aurora-members");
        let slow_log = [("log_min_duration_statement", "1000", false)];
        db_parameter_group(
            c,
            &members,
            "aurora-postgresql15",
            "bench aurora members",
            &slow_log,
        )
        .await?;
        n.db_parameter_groups.push(len(&slow_log));
        c.rds
            .create_db_cluster()
            .db_cluster_identifier(&cluster)
            .engine("aurora-postgresql")
            .engine_version("15.4")
            .master_username("app")
            .master_user_password(EMULATOR_PASSWORD)
            .db_cluster_parameter_group_name(&cluster)
            .db_subnet_group_name(&subnet_group)
            .vpc_security_group_ids(&db_group)
            .tags(rds_tag(&cluster))
            .send()
            .await?;
        n.clusters += 1;
        for m in 0..2 {
            let id = name(&format!("aurora-{m}"));
            c.rds
                .create_db_instance()
                .db_instance_identifier(&id)
                .engine("aurora-postgresql")
                .db_instance_class("db.r6g.large")
                .db_cluster_identifier(&cluster)
                .db_parameter_group_name(&members)
                .tags(rds_tag(&id))
                .send()
                .await?;
            n.cluster_members += 1;
        }
    }

    // IAM.
    for r in 0..5 {
        let role = name(&format!("role-{r}"));
        role_with_profile(&c.iam, &role).await?;
        c.iam
            .add_role_to_instance_profile()
            .instance_profile_name(&role)
            .role_name(&role)
            .send()
            .await?;
        n.roles += 1;
        n.inline_policies += 1;
        n.instance_profiles += 1;
    }
    for p in 0..3 {
        let arn = c
            .iam
            .create_policy()
            .policy_name(name(&format!("policy-{p}")))
            .policy_document(DOC)
            .send()
            .await?
            .policy()
            .and_then(|x| x.arn())
            .context("CreatePolicy answered without an ARN")?
            .to_string();
        n.managed_policies += 1;
        c.iam
            .attach_role_policy()
            .role_name(name(&format!("role-{p}")))
            .policy_arn(&arn)
            .send()
            .await?;
        n.attachments += 1;
    }
    Ok(n)
}

/// The page size each listing of the collectors asks for
/// (src/sources/aws/ec2.rs, rds.rs, iam.rs): a listing of `n` items takes
/// `ceil(n / size)` calls, and one when it is empty.
const PAGE_SIZES: &[(&str, u64)] = &[
    ("ec2:DescribeVpcs", 1000),
    ("ec2:DescribeSubnets", 1000),
    ("ec2:DescribeRouteTables", 100),
    ("ec2:DescribeInternetGateways", 1000),
    ("ec2:DescribeNatGateways", 1000),
    ("ec2:DescribeSecurityGroups", 1000),
    ("ec2:DescribeInstances", 1000),
    ("ec2:DescribeLaunchTemplates", 200),
    ("rds:DescribeDBInstances", 100),
    ("rds:DescribeDBClusters", 100),
    ("rds:DescribeDBParameterGroups", 100),
    ("rds:DescribeDBClusterParameterGroups", 100),
    ("rds:DescribeDBSubnetGroups", 100),
    ("iam:ListRoles", 1000),
    ("iam:ListInstanceProfiles", 1000),
    ("iam:ListPolicies", 1000),
    ("iam:GetAccountAuthorizationDetails", 1000),
];
/// Records per page of DescribeDBParameters and DescribeDBClusterParameters
/// (the collector's MaxRecords).
const PARAMETER_PAGE: u64 = 100;

fn pages(items: u64, size: u64) -> u64 {
    items.div_ceil(size.max(1)).max(1)
}

/// What the emulator held before the environment was created: items per
/// listing, counted with plain SDK calls; `rds:DescribeDBParameters` and
/// `rds:DescribeDBClusterParameters` hold the number of parameter groups
/// the collector reads parameters of (those not named `default…`).
async fn listed(c: &Clients) -> anyhow::Result<BTreeMap<&'static str, u64>> {
    macro_rules! items {
        ($request:expr) => {
            $request
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await?
        };
    }
    let custom = |name: Option<&str>| {
        let name = name.unwrap_or_default();
        !name.starts_with("default.") && name != "default"
    };
    let mut m = BTreeMap::new();
    m.insert("ec2:DescribeVpcs", len(&items!(c.ec2.describe_vpcs())));
    m.insert(
        "ec2:DescribeSubnets",
        len(&items!(c.ec2.describe_subnets())),
    );
    m.insert(
        "ec2:DescribeRouteTables",
        len(&items!(c.ec2.describe_route_tables())),
    );
    m.insert(
        "ec2:DescribeInternetGateways",
        len(&items!(c.ec2.describe_internet_gateways())),
    );
    m.insert(
        "ec2:DescribeNatGateways",
        len(&items!(c.ec2.describe_nat_gateways())),
    );
    m.insert(
        "ec2:DescribeSecurityGroups",
        len(&items!(c.ec2.describe_security_groups())),
    );
    let reservations = items!(c.ec2.describe_instances());
    m.insert(
        "ec2:DescribeInstances",
        reservations.iter().map(|r| len(r.instances())).sum(),
    );
    m.insert(
        "ec2:DescribeLaunchTemplates",
        len(&items!(c.ec2.describe_launch_templates())),
    );
    m.insert(
        "rds:DescribeDBInstances",
        len(&items!(c.rds.describe_db_instances())),
    );
    m.insert(
        "rds:DescribeDBClusters",
        len(&items!(c.rds.describe_db_clusters())),
    );
    let groups = items!(c.rds.describe_db_parameter_groups());
    m.insert("rds:DescribeDBParameterGroups", len(&groups));
    m.insert(
        "rds:DescribeDBParameters",
        count(
            groups
                .iter()
                .filter(|g| custom(g.db_parameter_group_name())),
        ),
    );
    let groups = items!(c.rds.describe_db_cluster_parameter_groups());
    m.insert("rds:DescribeDBClusterParameterGroups", len(&groups));
    m.insert(
        "rds:DescribeDBClusterParameters",
        count(
            groups
                .iter()
                .filter(|g| custom(g.db_cluster_parameter_group_name())),
        ),
    );
    m.insert(
        "rds:DescribeDBSubnetGroups",
        len(&items!(c.rds.describe_db_subnet_groups())),
    );
    let roles = len(&items!(c.iam.list_roles()));
    let policies = len(&items!(c
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)));
    m.insert("iam:ListRoles", roles);
    m.insert("iam:ListPolicies", policies);
    m.insert("iam:GetAccountAuthorizationDetails", roles + policies);
    m.insert(
        "iam:ListInstanceProfiles",
        len(&items!(c.iam.list_instance_profiles())),
    );
    Ok(m)
}

/// The calls a snapshot requires, by operation: every listing's pages at
/// the collectors' page sizes, over what the emulator held `before` plus
/// what was `created`, and the per-object reads.
fn required(before: &BTreeMap<&str, u64>, c: &Created, iam_bulk: bool) -> BTreeMap<String, u64> {
    let b = |op: &str| before.get(op).copied().unwrap_or(0);
    let mut listings = vec![
        ("ec2:DescribeVpcs", c.vpcs),
        ("ec2:DescribeSubnets", c.subnets),
        // AWS gives every VPC a main route table and a default security
        // group.
        ("ec2:DescribeRouteTables", c.vpcs),
        ("ec2:DescribeInternetGateways", c.internet_gateways),
        ("ec2:DescribeNatGateways", 0),
        ("ec2:DescribeSecurityGroups", c.security_groups + c.vpcs),
        ("ec2:DescribeInstances", c.instances),
        ("ec2:DescribeLaunchTemplates", c.launch_templates),
        (
            "rds:DescribeDBInstances",
            c.db_instances + c.cluster_members,
        ),
        ("rds:DescribeDBClusters", c.clusters),
        ("rds:DescribeDBParameterGroups", len(&c.db_parameter_groups)),
        (
            "rds:DescribeDBClusterParameterGroups",
            len(&c.cluster_parameter_groups),
        ),
        ("rds:DescribeDBSubnetGroups", c.db_subnet_groups),
        ("iam:ListRoles", c.roles),
        ("iam:ListInstanceProfiles", c.instance_profiles),
    ];
    if iam_bulk {
        // Roles and customer-managed policies share its pages (real AWS
        // also ends a page early when it grows large; moto never does).
        listings.push((
            "iam:GetAccountAuthorizationDetails",
            c.roles + c.managed_policies,
        ));
    } else {
        listings.push(("iam:ListPolicies", c.managed_policies));
    }
    let mut out = BTreeMap::new();
    for (op, n) in listings {
        let size = PAGE_SIZES
            .iter()
            .find(|(o, _)| *o == op)
            .map_or(1, |(_, s)| *s);
        out.insert(op.to_string(), pages(b(op) + n, size));
    }
    let group_pages =
        |groups: &[u64]| -> u64 { groups.iter().map(|&p| pages(p, PARAMETER_PAGE)).sum() };
    let mut per_object = vec![
        // One DescribeLaunchTemplateVersions ($Default) per template.
        (
            "ec2:DescribeLaunchTemplateVersions",
            b("ec2:DescribeLaunchTemplates") + c.launch_templates,
        ),
        // The user-set parameters of every parameter group, by pages
        // (groups that were there before count one page each).
        (
            "rds:DescribeDBParameters",
            b("rds:DescribeDBParameters") + group_pages(&c.db_parameter_groups),
        ),
        (
            "rds:DescribeDBClusterParameters",
            b("rds:DescribeDBClusterParameters") + group_pages(&c.cluster_parameter_groups),
        ),
        ("sts:GetCallerIdentity", 1),
    ];
    if !iam_bulk {
        let roles = b("iam:ListRoles") + c.roles;
        per_object.extend([
            ("iam:ListRolePolicies", roles),
            ("iam:ListAttachedRolePolicies", roles),
            ("iam:GetRolePolicy", c.inline_policies),
            ("iam:GetPolicy", b("iam:ListPolicies") + c.managed_policies),
            (
                "iam:GetPolicyVersion",
                b("iam:ListPolicies") + c.managed_policies,
            ),
        ]);
    }
    for (op, n) in per_object {
        if n > 0 {
            out.insert(op.to_string(), n);
        }
    }
    out
}

/// Calls of `op` (`ec2:DescribeVpcs`) in `stats`.
fn calls_of(stats: &CollectStats, op: &str) -> u64 {
    let (svc, name) = op.split_once(':').unwrap_or((op, ""));
    stats
        .services
        .get(svc)
        .and_then(|s| s.operations.get(name))
        .copied()
        .unwrap_or(0)
}

/// The first figure of /proc/loadavg (the machine is shared).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Clock ticks per second of /proc's CPU times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// CPU time (user + system, all threads) process `pid` (`self` for this
/// one) has used so far, from `/proc/<pid>/stat`.
fn cpu_time(pid: &str, ticks: f64) -> Duration {
    let used = || -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After the command name (in parentheses, may hold spaces) come
        // field 3 on; utime and stime are fields 14 and 15.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    };
    Duration::from_secs_f64(used().unwrap_or(0) as f64 / ticks)
}

/// CPU time per snapshot: the emulator processes together, and this
/// process (the client, with the latency proxy).
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    emulator: Duration,
    client: Duration,
}

/// Timed runs: the median wall time, the last run's stats and snapshot,
/// and the mean CPU time per run.
fn measure(
    settings: &AwsSettings,
    runs: usize,
    emulators: &[String],
) -> anyhow::Result<(Duration, CollectStats, Snapshot, Cpu)> {
    let ticks = clock_ticks();
    let cpu_now = || Cpu {
        emulator: emulators.iter().map(|p| cpu_time(p, ticks)).sum(),
        client: cpu_time("self", ticks),
    };
    let cpu_start = cpu_now();
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let (snap, stats) = aws::collect_with_stats("bench", settings)?;
        times.push(t.elapsed());
        if !snap.coverage.is_empty() {
            bail!("incomplete collection: {:?}", snap.coverage);
        }
        if !stats.refused.is_empty() {
            bail!("the read-only guard refused {:?}", stats.refused);
        }
        last = Some((stats, snap));
    }
    let cpu_end = cpu_now();
    let n = u32::try_from(times.len()).unwrap_or(1).max(1);
    let cpu = Cpu {
        emulator: cpu_end.emulator.saturating_sub(cpu_start.emulator) / n,
        client: cpu_end.client.saturating_sub(cpu_start.client) / n,
    };
    times.sort();
    let (stats, snap) = last.context("no run")?;
    Ok((times[times.len() / 2], stats, snap, cpu))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = args
        .moto
        .clone()
        .or_else(|| std::env::var_os("PARITY_MOTO_SERVER").map(PathBuf::from))
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server")
        });
    // Services and the emulator that answers them: one for all, or one
    // each (IAM's also answers STS).
    let services = ["EC2", "IAM", "RDS"];
    let processes = if args.moto_per_service { 3 } else { 1 };
    let mut motos = Vec::new();
    for _ in 0..processes {
        motos.push(start_moto(&bin)?);
    }
    let port_of = |service: &str| {
        let i = services.iter().position(|s| *s == service).unwrap_or(0);
        motos[i.min(motos.len() - 1)].1
    };
    let rt = tokio::runtime::Runtime::new()?;
    let url = |port: u16| format!("http://127.0.0.1:{port}");

    let clients = rt.block_on(Clients::new(
        &url(port_of("EC2")),
        &url(port_of("RDS")),
        &url(port_of("IAM")),
    ));
    let before = rt.block_on(listed(&clients))?;
    let t = Instant::now();
    let created = rt.block_on(async {
        match args.mix {
            Mix::Mixed => populate_mixed(&clients, args.resources).await,
            Mix::NetworkIam => populate_network_iam(&clients, args.resources).await,
        }
    })?;
    eprintln!(
        "created {} resources in {:.1?}: {}",
        created.total(),
        t.elapsed(),
        created
            .by_type()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{n} {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The endpoint each service is read at: the emulator, or a proxy that
    // delays every request in front of it.
    let mut endpoints = BTreeMap::new();
    for service in services {
        let port = port_of(service);
        let read_at = if args.latency_ms > 0 {
            rt.block_on(delaying_proxy(port, Duration::from_millis(args.latency_ms)))?
        } else {
            port
        };
        endpoints.insert(service, url(read_at));
    }
    let endpoint_url = if args.moto_per_service {
        // aws-config's per-service endpoints (`AWS_ENDPOINT_URL_<SERVICE>`),
        // all on loopback; STS at IAM's emulator.
        for (service, at) in &endpoints {
            std::env::set_var(format!("AWS_ENDPOINT_URL_{service}"), at);
        }
        std::env::set_var("AWS_ENDPOINT_URL_STS", &endpoints["IAM"]);
        None
    } else {
        Some(endpoints["EC2"].clone())
    };
    let mut settings = AwsSettings {
        regions: vec![REGION.into()],
        endpoint_url,
        credentials: Some(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }),
        concurrency: args.concurrency,
        iam_bulk: !args.iam_per_resource,
        ..AwsSettings::default()
    };
    // Warm-up (emulator caches, connection pool), not timed.
    aws::collect_with_stats("bench", &settings)?;

    let load_before = load_average();
    let emulators: Vec<String> = motos.iter().map(|(m, _)| m.pid().to_string()).collect();
    let (fast, stats, snap, cpu) = measure(&settings, args.runs, &emulators)?;
    settings.concurrency = 1;
    let (slow, stats1, _, cpu1) = measure(&settings, args.runs, &emulators)?;
    let load_after = load_average();

    println!(
        "parity-live-bench: mix {}, {} resources in the snapshot ({} created), latency +{} ms/request, IAM {}, {}, median of {} runs, load average {load_before} -> {load_after}",
        match args.mix {
            Mix::Mixed => "mixed",
            Mix::NetworkIam => "network-iam",
        },
        snap.resources.len(),
        created.total(),
        args.latency_ms,
        if args.iam_per_resource { "per resource" } else { "in bulk" },
        if args.moto_per_service { "one emulator per service" } else { "one emulator" },
        args.runs.max(1),
    );
    println!(
        "  concurrency {:>3}: {:>8.2?}  {} calls, {} requests",
        args.concurrency,
        fast,
        stats.calls(),
        stats.requests()
    );
    println!(
        "  concurrency   1: {:>8.2?}  {} calls, {} requests",
        slow,
        stats1.calls(),
        stats1.requests()
    );
    let speedup = slow.as_secs_f64() / fast.as_secs_f64().max(1e-9);
    println!("  speed-up: {speedup:.1}x");
    println!(
        "  CPU per snapshot: emulator {:.2?}, client {:.2?} (one at a time: {:.2?}, {:.2?})",
        cpu.emulator, cpu.client, cpu1.emulator, cpu1.client
    );

    // Calls against what the pages require, per operation.
    let need = required(&before, &created, !args.iam_per_resource);
    let mut ops: Vec<String> = need.keys().cloned().collect();
    for op in stats.operations().into_iter().chain(stats1.operations()) {
        if !ops.contains(&op) {
            ops.push(op);
        }
    }
    ops.sort();
    println!(
        "  {:<40} {:>8} {:>8} {:>8}",
        "calls by operation", "required", "made", "made(1)"
    );
    let (mut over, mut under) = (Vec::new(), Vec::new());
    for op in &ops {
        let req = need.get(op).copied().unwrap_or(0);
        let (made, made1) = (calls_of(&stats, op), calls_of(&stats1, op));
        let note = if made.max(made1) > req {
            over.push(op.as_str());
            "  MORE than required"
        } else if made.min(made1) < req {
            under.push(op.as_str());
            "  fewer: the emulator answered in larger pages"
        } else {
            ""
        };
        println!("    {op:<38} {req:>8} {made:>8} {made1:>8}{note}");
    }
    for (svc, s) in &stats.services {
        let one = stats1
            .services
            .get(svc)
            .map(|s| s.elapsed)
            .unwrap_or_default();
        println!(
            "  {svc:<4} {:>6} calls {:>8.2?} (one at a time: {:>8.2?})",
            s.calls(),
            s.elapsed,
            one
        );
    }

    // The snapshot holds every created resource (nothing lost to a page).
    let mut missing = Vec::new();
    for (rtype, n) in created.by_type() {
        let got = count(snap.resources.iter().filter(|r| r.rtype == rtype));
        if got != n {
            missing.push(format!("{rtype}: {got} collected, {n} created"));
        }
    }
    println!(
        "  snapshot holds every created resource: {}",
        if missing.is_empty() {
            "PASS".to_string()
        } else {
            format!("MISS ({})", missing.join("; "))
        }
    );
    let total_need: u64 = need.values().sum();
    println!(
        "  calls <= pages required: {} ({} made concurrently, {} one at a time, {} required; {} requests; {})",
        if over.is_empty() { "PASS" } else { "MISS" },
        stats.calls(),
        stats1.calls(),
        total_need,
        stats.requests(),
        if over.is_empty() && under.is_empty() {
            "every operation exactly as required".to_string()
        } else {
            format!(
                "over: [{}], under: [{}]",
                over.join(", "),
                under.join(", ")
            )
        }
    );
    println!(
        "  >= 3x faster than one call at a time: {} ({speedup:.1}x: {fast:.2?} against {slow:.2?})",
        if speedup >= 3.0 { "PASS" } else { "MISS" }
    );
    Ok(())
}
