//! `parity-pulumi-bench`: generates a large Pulumi stack export and
//! measures how fast parity reads it and how much memory that takes.
//!
//! ```text
//! cargo build --release -p parity-dev --no-default-features --bin parity-pulumi-bench
//! ./target/release/parity-pulumi-bench [--resources 5000] [--runs 5] [--out FILE] [--keep]
//! ```
//!
//! The export is made of copies of `fixtures/pulumi-shop/state/prod.json`
//! (a `pulumi stack export` of real AWS classic shapes: a component with a
//! VPC and subnets, a security group, an RDS instance with a secret
//! password, an IAM role and policy, an SQS queue), each copy's resources
//! renamed (`::main` → `::main-c0042`, parents and dependencies too) with
//! ids and names of their own (`vpc-0f9e…` with the copy's last hex digits,
//! in the id and in every value that holds it; `shop-prod` →
//! `shop-prod-c0042`); the stack and its default provider once. Measured:
//! * load: the file → snapshot through `pulumi::load` (JSON parse, URN
//!   addressing, type and property mapping, secret sealing), median and
//!   min of `--runs`, and its CPU time;
//! * peak memory: this binary re-executed with `--child FILE` loads the
//!   file once and prints its peak RSS (`VmHWM` of `/proc/self/status`).
//!
//! Deterministic: only the copy index drives the variations.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use clap::Parser;

use parity_dev::{child_peak_mb, cpu_time, median_min, print_peak_rss};
use serde_json::Value as Json;

use parity::normalize::Normalizer;
use parity::sources::pulumi;

const TEMPLATE: &str = include_str!("../../../fixtures/pulumi-shop/state/prod.json");

#[derive(Debug, Parser)]
#[command(
    name = "parity-pulumi-bench",
    about = "Generate a large Pulumi stack export and time parity reading it"
)]
struct Args {
    /// Minimum number of resources (custom resources, components not
    /// counted) in the generated export.
    #[arg(long, default_value_t = 5000)]
    resources: usize,
    /// Repetitions of each timing (median and min are reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Write the export here instead of a temporary file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Keep the generated file (always kept with --out).
    #[arg(long)]
    keep: bool,
    /// Internal: load FILE once and print the peak RSS.
    #[arg(long, value_name = "FILE", hide = true)]
    child: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(file) = &args.child {
        return child(file);
    }
    let path = match &args.out {
        Some(p) => p.clone(),
        None => {
            std::env::temp_dir().join(format!("parity-pulumi-bench-{}.json", std::process::id()))
        }
    };
    let t = Instant::now();
    let (bytes, copies, custom) = generate(args.resources)?;
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "generated {} ({:.1} MB, {copies} copies, {custom} custom resources) in {:.0} ms",
        path.display(),
        mb(bytes.len()),
        ms(t.elapsed())
    );
    let result = measure(&path, bytes.len(), args.runs.max(1));
    if args.out.is_none() && !args.keep {
        std::fs::remove_file(&path).ok();
    } else {
        println!("export kept in {}", path.display());
    }
    result
}

fn mb(n: usize) -> f64 {
    n as f64 / 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `urn:...::main` → `urn:...::main-c0042`, unless it is one of `keep`
/// (the stack, the provider).
fn rename(urn: &str, k: usize, keep: &[String]) -> String {
    if keep.iter().any(|u| u == urn) {
        urn.to_string()
    } else {
        format!("{urn}-c{k:04}")
    }
}

/// Copies of the template's resources until `want` custom resources.
fn generate(want: usize) -> anyhow::Result<(Vec<u8>, usize, usize)> {
    let template: Json = serde_json::from_str(TEMPLATE).context("the template export")?;
    let resources = template["deployment"]["resources"]
        .as_array()
        .ok_or_else(|| anyhow!("the template has no resources"))?
        .clone();
    let is_custom = |r: &Json| r.get("custom").and_then(Json::as_bool) == Some(true);
    let is_once = |r: &Json| {
        let t = r.get("type").and_then(Json::as_str).unwrap_or("");
        t == "pulumi:pulumi:Stack" || t.starts_with("pulumi:providers:")
    };
    let keep: Vec<String> = resources
        .iter()
        .filter(|r| is_once(r))
        .filter_map(|r| r.get("urn").and_then(Json::as_str).map(str::to_string))
        .collect();
    let per_copy = resources
        .iter()
        .filter(|r| !is_once(r) && is_custom(r))
        .count();
    if per_copy == 0 {
        bail!("the template has no custom resources");
    }
    let copies = want.div_ceil(per_copy);
    let mut all: Vec<Json> = resources.iter().filter(|r| is_once(r)).cloned().collect();
    let mut custom = 0;
    for k in 0..copies {
        for r in resources.iter().filter(|r| !is_once(r)) {
            let mut r = r.clone();
            for field in ["urn", "parent"] {
                if let Some(u) = r.get(field).and_then(Json::as_str) {
                    r[field] = Json::String(rename(u, k, &keep));
                }
            }
            if let Some(deps) = r.get_mut("dependencies").and_then(Json::as_array_mut) {
                for d in deps {
                    if let Some(u) = d.as_str() {
                        *d = Json::String(rename(u, k, &keep));
                    }
                }
            }
            for field in ["id", "inputs", "outputs"] {
                if let Some(v) = r.get_mut(field) {
                    vary(v, k);
                }
            }
            if is_custom(&r) {
                custom += 1;
            }
            all.push(r);
        }
    }
    let mut doc = template;
    doc["deployment"]["resources"] = Json::Array(all);
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    Ok((bytes, copies, custom))
}

/// Make ids and names unique to copy `k`, consistently in every value
/// (an id, the ARNs and references that hold it): `vpc-0f9e…82` → its last
/// hex digits replaced, `shop-prod` → `shop-prod-c0042`.
fn vary(v: &mut Json, k: usize) {
    match v {
        Json::String(s) => {
            // The template's own generated suffixes and RDS resource id.
            let mut out = s
                .replace("shop-prod", &format!("shop-prod-c{k:04}"))
                .replace("2f7d9b0", &format!("2f{k:05x}"))
                .replace("8a4c6e2", &format!("8a{k:05x}"))
                .replace("F0G1H", &format!("{k:05X}"));
            if let Some(i) = out.rfind("-0") {
                let tail = &out[i + 2..];
                if tail.len() >= 8 && tail.bytes().all(|b| b.is_ascii_hexdigit()) {
                    let keep = tail.len() - 5;
                    out = format!("{}-0{}{:05x}", &out[..i], &tail[..keep], k);
                }
            }
            *s = out;
        }
        Json::Array(items) => items.iter_mut().for_each(|i| vary(i, k)),
        Json::Object(m) => m.values_mut().for_each(|i| vary(i, k)),
        _ => {}
    }
}

fn options(file: &Path) -> pulumi::Options {
    pulumi::Options {
        environment: "bench".into(),
        stack_export: file.to_path_buf(),
        config: None,
        preview: None,
        base: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        normalizer: Normalizer::default(),
    }
}

fn measure(path: &Path, size: usize, runs: usize) -> anyhow::Result<()> {
    let opts = options(path);
    // Warm-up: page cache, allocator.
    let snap = pulumi::load(&opts)?;
    let resources = snap.resources.len();
    drop(snap);
    let mut load = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    for _ in 0..runs {
        let c = cpu_time();
        let t = Instant::now();
        let snap = pulumi::load(&opts)?;
        load.push(t.elapsed());
        cpu.push(cpu_time().saturating_sub(c));
        drop(snap);
    }
    let (lm, lmin) = median_min(load);
    let (cm, _) = median_min(cpu);
    println!("{resources} resources in the snapshot");
    println!(
        "load (file → snapshot): median {:.0} ms, min {:.0} ms ({:.1} µs per resource at the median)",
        ms(lm),
        ms(lmin),
        lm.as_secs_f64() * 1e6 / resources.max(1) as f64
    );
    println!("load CPU time (all threads): median {:.0} ms", ms(cm));

    let peak = child_peak_mb(path, runs)?;
    println!(
        "peak memory (load in a fresh process): {:.0} MB = {:.1}× the file ({:.1} MB), {:.1} kB per resource",
        peak,
        peak / mb(size),
        mb(size),
        peak * 1e3 / resources.max(1) as f64
    );
    Ok(())
}

/// Load the file once, keep the snapshot alive, report the peak RSS.
fn child(file: &Path) -> anyhow::Result<()> {
    let snap = pulumi::load(&options(file))?;
    print_peak_rss();
    println!("resources {}", snap.resources.len());
    Ok(())
}
