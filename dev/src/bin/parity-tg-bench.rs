//! `parity-tg-bench`: generates a Terragrunt live repository of N units
//! per environment and measures how long parity takes to read one
//! environment's tree (every unit's configuration evaluated, its module
//! loaded with its inputs) and how much memory that takes.
//!
//! ```text
//! cargo build --release -p parity-dev --no-default-features --bin parity-tg-bench
//! ./target/release/parity-tg-bench [--units 1000] [--runs 5] [--out DIR] [--keep]
//! ```
//!
//! The repository (deterministic: only the unit index varies the content):
//! * `parity.toml`: the two environments, `live/staging` and `live/prod`;
//! * `live/root.hcl`: locals from `read_terragrunt_config(find_in_parent_folders("env.hcl"))`,
//!   a `local` backend, a `generate "provider"` block, shared inputs (tags);
//! * `live/_envcommon/<component>.hcl` (4 components: network, database,
//!   queue, app): `terraform { source }` of the component's local module
//!   and its common inputs;
//! * `live/<env>/tier.hcl`: per-environment sizes;
//! * `live/<env>/env.hcl`: the environment's name;
//! * `live/<env>/g<NN>/<component>-<i>/terragrunt.hcl`: three `include`
//!   blocks (root, the component's envcommon with `expose`, tier), a
//!   `read_terragrunt_config` of `env.hcl` in its locals, its own inputs;
//! * `modules/<component>`: 2 to 4 resources each, typed variables, locals.
//!
//! Measured: the median and minimum of `--runs` in-process loads of the
//! staging tree (`parity::sources::terragrunt::load`), and the peak RSS of
//! this binary re-executed with `--child DIR` to load it once (`VmHWM`).
//! Terragrunt itself is not in any package registry and is not run.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _};
use clap::Parser;

use parity::sources::terragrunt;

#[derive(Debug, Parser)]
#[command(
    name = "parity-tg-bench",
    about = "Generate a Terragrunt live repository and time parity reading it"
)]
struct Args {
    /// Units per environment.
    #[arg(long, default_value_t = 1000)]
    units: usize,
    /// Repetitions of the load (median and min are reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Write the repository here (kept) instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Keep the generated repository.
    #[arg(long)]
    keep: bool,
    /// Internal: load DIR's staging tree once and print the peak RSS.
    #[arg(long, value_name = "DIR", hide = true)]
    child: Option<PathBuf>,
}

const COMPONENTS: &[&str] = &["network", "database", "queue", "app"];
const ENVS: &[&str] = &["staging", "prod"];

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(dir) = &args.child {
        return child(dir);
    }
    let dir = match &args.out {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("parity-tg-bench-{}", std::process::id())),
    };
    let t = Instant::now();
    let files = generate(&dir, args.units)?;
    println!(
        "generated {files} files in {} ({} units per environment) in {:.0} ms",
        dir.display(),
        args.units,
        ms(t.elapsed())
    );
    let result = measure(&dir, args.runs.max(1));
    if args.out.is_none() && !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn measure(dir: &Path, runs: usize) -> anyhow::Result<()> {
    let mut times = Vec::new();
    let mut resources = 0;
    let mut gaps = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let snap = terragrunt::load(&options(dir))?;
        times.push(t.elapsed());
        resources = snap.resources.len();
        gaps = snap.coverage.len();
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "load of the staging tree: median {:.1} ms, min {:.1} ms over {runs} runs ({resources} resources, {gaps} coverage gaps)",
        ms(median),
        ms(times[0])
    );
    let exe = std::env::current_exe()?;
    let out = Command::new(exe).arg("--child").arg(dir).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(anyhow!(
            "the child failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let kb: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("the child printed no VmHWM: {text}"))?;
    println!(
        "peak RSS of a process loading the staging tree once: {:.1} MB",
        kb / 1024.0
    );
    Ok(())
}

fn options(dir: &Path) -> terragrunt::Options {
    terragrunt::Options {
        environment: "staging".into(),
        root: dir.join("live/staging"),
        base: dir.to_path_buf(),
        env: Default::default(),
        states: None,
        identity: Default::default(),
    }
}

fn child(dir: &Path) -> anyhow::Result<()> {
    let snap = terragrunt::load(&options(dir))?;
    parity_dev::print_peak_rss();
    println!("resources {}", snap.resources.len());
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn write(dir: &Path, rel: &str, text: &str, count: &mut usize) -> anyhow::Result<()> {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    *count += 1;
    Ok(())
}

/// Write the repository; returns the number of files.
fn generate(dir: &Path, units: usize) -> anyhow::Result<usize> {
    let mut n = 0;
    write(dir, "parity.toml", CONFIG, &mut n)?;
    write(dir, "live/root.hcl", ROOT, &mut n)?;
    for c in COMPONENTS {
        write(
            dir,
            &format!("live/_envcommon/{c}.hcl"),
            &envcommon(c),
            &mut n,
        )?;
        write(dir, &format!("modules/{c}/main.tf"), &module(c), &mut n)?;
    }
    for (e, env) in ENVS.iter().enumerate() {
        write(
            dir,
            &format!("live/{env}/env.hcl"),
            &format!(
                "locals {{\n  environment = \"{env}\"\n  cidr_prefix = \"10.{}\"\n}}\n",
                10 + e * 10
            ),
            &mut n,
        )?;
        write(
            dir,
            &format!("live/{env}/tier.hcl"),
            &format!(
                "inputs = {{\n  instance_class = \"{}\"\n  replicas       = {}\n}}\n",
                if *env == "prod" {
                    "db.r6g.large"
                } else {
                    "db.t4g.medium"
                },
                if *env == "prod" { 3 } else { 1 }
            ),
            &mut n,
        )?;
        for i in 0..units {
            let c = COMPONENTS[i % COMPONENTS.len()];
            let rel = format!("live/{env}/g{:02}/{c}-{i:04}/terragrunt.hcl", i / 50);
            write(dir, &rel, &unit(c, i), &mut n)?;
        }
    }
    Ok(n)
}

/// So that `parity -C DIR diff staging prod` runs on the repository.
const CONFIG: &str = r#"[environments.staging]
terragrunt = { root = "live/staging" }

[environments.prod]
terragrunt = { root = "live/prod" }
"#;

const ROOT: &str = r#"locals {
  env         = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  environment = local.env.locals.environment
}

remote_state {
  backend = "local"
  config = {
    path = "${get_parent_terragrunt_dir()}/../state/${path_relative_to_include()}/terraform.tfstate"
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<EOF
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
provider "aws" {
  region = "eu-west-1"
}
EOF
}

inputs = {
  tags = {
    Environment = local.environment
    ManagedBy   = "terragrunt"
  }
}
"#;

fn envcommon(c: &str) -> String {
    format!(
        r#"locals {{
  component = "{c}"
}}

terraform {{
  source = "${{dirname(find_in_parent_folders("root.hcl"))}}/../modules//{c}"
}}

inputs = {{
  component = local.component
  retention = 14
}}
"#
    )
}

fn unit(c: &str, i: usize) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"include "root" {{
  path = find_in_parent_folders("root.hcl")
}}

include "envcommon" {{
  path   = "${{dirname(find_in_parent_folders("root.hcl"))}}/_envcommon/{c}.hcl"
  expose = true
}}

include "tier" {{
  path = find_in_parent_folders("tier.hcl")
}}

locals {{
  env  = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  name = "${{local.env.locals.environment}}-{c}-{i:04}"
}}

inputs = {{
  name       = local.name
  cidr_block = cidrsubnet("${{local.env.locals.cidr_prefix}}.0.0/16", 8, {octet})
  component  = include.envcommon.locals.component
}}
"#,
        octet = i % 256
    );
    s
}

fn module(c: &str) -> String {
    let common = r#"variable "name" {
  type = string
}
variable "component" {
  type = string
}
variable "cidr_block" {
  type = string
}
variable "retention" {
  type    = number
  default = 7
}
variable "instance_class" {
  type    = string
  default = "db.t4g.micro"
}
variable "replicas" {
  type    = number
  default = 1
}
variable "tags" {
  type    = map(string)
  default = {}
}

locals {
  tags = merge(var.tags, { Component = var.component, Name = var.name })
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/${var.component}/${var.name}"
  retention_in_days = var.retention
  tags              = local.tags
}
"#;
    let specific = match c {
        "network" => {
            r#"
resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_hostnames = true
  tags                 = local.tags
}

resource "aws_subnet" "private" {
  count      = var.replicas
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr_block, 4, count.index)
  tags       = local.tags
}

output "vpc_id" {
  value = aws_vpc.this.id
}
"#
        }
        "database" => {
            r#"
resource "aws_db_instance" "this" {
  identifier          = var.name
  engine              = "postgres"
  engine_version      = "16.4"
  instance_class      = var.instance_class
  allocated_storage   = 20
  multi_az            = var.replicas > 1
  storage_encrypted   = true
  skip_final_snapshot = true
  tags                = local.tags
}
"#
        }
        "queue" => {
            r#"
resource "aws_sqs_queue" "this" {
  name                      = var.name
  message_retention_seconds = var.retention * 86400
  tags                      = local.tags
}

resource "aws_sqs_queue" "dlq" {
  name = "${var.name}-dlq"
  tags = local.tags
}
"#
        }
        _ => {
            r#"
resource "aws_security_group" "this" {
  name = var.name
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.cidr_block]
  }
  tags = local.tags
}

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
  tags = local.tags
}
"#
        }
    };
    format!("{common}{specific}")
}
