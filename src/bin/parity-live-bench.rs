//! `parity-live-bench`: fills an AWS API emulator (moto's server) with an
//! environment of a few thousand resources and measures a live snapshot:
//! API calls made, wall time, and the same collection done one call at a
//! time, for comparison.
//!
//! ```text
//! scripts/test --no-run            # once: installs moto into .venv
//! cargo build --bin parity-live-bench
//! ./target/debug/parity-live-bench [--resources 2000] [--concurrency 16] [--runs 3] [--latency-ms 0] [--iam-per-resource]
//! ```
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

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use parity::sources::aws::{self, AwsSettings, CollectStats, StaticCredentials};

const REGION: &str = "eu-west-1";

#[derive(Debug, Parser)]
#[command(
    name = "parity-live-bench",
    about = "Time a live snapshot of a large environment in an AWS emulator"
)]
struct Args {
    /// Resources to create (VPCs, subnets, security groups, IAM roles with
    /// inline policies, managed policies, instance profiles).
    #[arg(long, default_value_t = 2000)]
    resources: usize,
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

/// Create about `total` resources: per VPC 10 subnets and 10 security
/// groups; the rest as IAM roles (each with an inline policy and an
/// instance profile) and managed policies.
async fn populate(ec2_url: &str, iam_url: &str, total: usize) -> anyhow::Result<usize> {
    let conf = |url: &str| {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(url)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "bench",
            ))
            .load()
    };
    let ec2 = aws_sdk_ec2::Client::new(&conf(ec2_url).await);
    let iam = aws_sdk_iam::Client::new(&conf(iam_url).await);
    let vpcs = (total * 2 / 5).div_ceil(21).max(1);
    let roles = (total - vpcs * 21) / 4;
    let permits = Arc::new(Semaphore::new(8));
    let mut set: JoinSet<anyhow::Result<usize>> = JoinSet::new();
    for v in 0..vpcs {
        let (ec2, permits) = (ec2.clone(), permits.clone());
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
                .unwrap_or_default()
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
            Ok(21)
        });
    }
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for r in 0..roles {
        let (iam, permits) = (iam.clone(), permits.clone());
        set.spawn(async move {
            let _p = permits.acquire_owned().await?;
            let name = format!("bench-role-{r}");
            iam.create_role()
                .role_name(&name)
                .assume_role_policy_document(trust)
                .send()
                .await?;
            iam.put_role_policy()
                .role_name(&name)
                .policy_name("inline")
                .policy_document(doc)
                .send()
                .await?;
            iam.create_policy()
                .policy_name(format!("bench-policy-{r}"))
                .policy_document(doc)
                .send()
                .await?;
            iam.create_instance_profile()
                .instance_profile_name(&name)
                .send()
                .await?;
            Ok(4)
        });
    }
    let mut created = 0;
    while let Some(done) = set.join_next().await {
        created += done??;
    }
    Ok(created)
}

fn measure(settings: &AwsSettings, runs: usize) -> anyhow::Result<(Duration, CollectStats, usize)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let (snap, stats) = aws::collect_with_stats("bench", settings)?;
        times.push(t.elapsed());
        if !snap.coverage.is_empty() {
            bail!("incomplete collection: {:?}", snap.coverage);
        }
        last = Some((stats, snap.resources.len()));
    }
    times.sort();
    let (stats, n) = last.context("no run")?;
    Ok((times[times.len() / 2], stats, n))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = args
        .moto
        .clone()
        .or_else(|| std::env::var_os("PARITY_MOTO_SERVER").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server"));
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

    let t = Instant::now();
    let created = rt.block_on(populate(
        &url(port_of("EC2")),
        &url(port_of("IAM")),
        args.resources,
    ))?;
    eprintln!("created {created} resources in {:.1?}", t.elapsed());

    // The endpoint each service is read at: the emulator, or a proxy that
    // delays every request in front of it.
    let mut endpoints = std::collections::BTreeMap::new();
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

    let (fast, stats, resources) = measure(&settings, args.runs)?;
    settings.concurrency = 1;
    let (slow, stats1, _) = measure(&settings, args.runs)?;

    println!(
        "parity-live-bench: {resources} resources in the snapshot ({created} created), latency +{} ms/request, IAM {}, {}",
        args.latency_ms,
        if args.iam_per_resource { "per resource" } else { "in bulk" },
        if args.moto_per_service { "one emulator per service" } else { "one emulator" }
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
    println!(
        "  speed-up: {:.1}x",
        slow.as_secs_f64() / fast.as_secs_f64().max(1e-9)
    );
    println!("  calls by operation:");
    for op in stats.operations() {
        let (svc, name) = op.split_once(':').unwrap_or((&op, ""));
        let n = stats
            .services
            .get(svc)
            .and_then(|s| s.operations.get(name))
            .copied()
            .unwrap_or(0);
        println!("    {op:<40} {n:>6}");
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
    Ok(())
}
