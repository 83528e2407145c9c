//! `parity-state-bench`: generates a large, realistic Terraform state and
//! measures how fast parity reads it and how much memory that takes.
//!
//! ```text
//! cargo build --release --bin parity-state-bench
//! ./target/release/parity-state-bench [--size-mb 64] [--runs 5] [--out FILE] [--keep]
//! ```
//!
//! The state is made of copies of `fixtures/shop/state/prod.tfstate` (real
//! AWS provider shapes: VPC, subnets, NAT, ALB, ECS, RDS, IAM, WAF), each
//! copy under its own module instance (`module.stack["s0042"].…`) with its
//! own ids, written with Terraform's indentation. Measured:
//! * parse: bytes already in memory → finished snapshot (typed parse, line
//!   scan, id → reference rewriting, secret redaction), median of `--runs`;
//! * load: the same from the file, through `load_state`;
//! * peak memory: this binary re-executed with `--child FILE` reads the
//!   file once into a snapshot and prints its peak RSS (`VmHWM` of
//!   `/proc/self/status`), compared with the file size.
//!
//! Deterministic: only the copy index drives the variations.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _};
use clap::Parser;

use parity_dev::{child_peak_mb, cpu_time, median_min, print_peak_rss};
use serde_json::Value as Json;

use parity::sources::state;

const TEMPLATE: &str = include_str!("../../../fixtures/shop/state/prod.tfstate");

#[derive(Debug, Parser)]
#[command(
    name = "parity-state-bench",
    about = "Generate a large Terraform state and time parity reading it"
)]
struct Args {
    /// Minimum size of the generated state, in MB (10^6 bytes).
    #[arg(long, default_value_t = 64)]
    size_mb: usize,
    /// Repetitions of each timing (median and min are reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Write the state here instead of a temporary file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Keep the generated file (always kept with --out).
    #[arg(long)]
    keep: bool,
    /// Internal: read FILE into a snapshot once and print the peak RSS.
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
            std::env::temp_dir().join(format!("parity-state-bench-{}.tfstate", std::process::id()))
        }
    };
    let t = Instant::now();
    let (bytes, copies, instances) = generate(args.size_mb * 1_000_000)?;
    std::fs::write(&path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "generated {} ({:.1} MB, {copies} stacks, {instances} resource instances) in {:.0} ms",
        path.display(),
        mb(bytes.len()),
        ms(t.elapsed())
    );
    let result = measure(&path, &bytes, args.runs.max(1));
    if args.out.is_none() && !args.keep {
        std::fs::remove_file(&path).ok();
    } else {
        println!("state kept in {}", path.display());
    }
    result
}

fn mb(n: usize) -> f64 {
    n as f64 / 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Copies of the template, each under `module.stack["sNNNN"]` with ids of
/// its own, until the document reaches `target` bytes.
fn generate(target: usize) -> anyhow::Result<(Vec<u8>, usize, usize)> {
    let template: Json = serde_json::from_str(TEMPLATE).context("the template state")?;
    let resources = template["resources"]
        .as_array()
        .ok_or_else(|| anyhow!("the template has no resources"))?
        .clone();
    let per_copy = TEMPLATE.len();
    let copies = target.div_ceil(per_copy.saturating_sub(4096).max(1));
    let mut all = Vec::with_capacity(resources.len() * copies);
    let mut instances = 0;
    for k in 0..copies {
        let key = format!("s{k:04}");
        for r in &resources {
            let mut r = r.clone();
            let module = r
                .get("module")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let inner = if module.is_empty() {
                String::new()
            } else {
                format!(".{module}")
            };
            r["module"] = Json::String(format!("module.stack[\"{key}\"]{inner}"));
            if let Some(list) = r.get_mut("instances").and_then(Json::as_array_mut) {
                for inst in list {
                    instances += 1;
                    if let Some(deps) = inst.get_mut("dependencies").and_then(Json::as_array_mut) {
                        for d in deps {
                            if let Some(s) = d.as_str() {
                                *d = Json::String(format!("module.stack.{s}"));
                            }
                        }
                    }
                    if let Some(a) = inst.get_mut("attributes") {
                        vary(a, k);
                    }
                }
            }
            all.push(r);
        }
    }
    let mut doc = template;
    doc["resources"] = Json::Array(all);
    doc["serial"] = Json::from(copies as u64);
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    Ok((bytes, copies, instances))
}

/// Make ids and names unique to copy `k`: `vpc-03f6…` → `vpc-03f6…` with
/// its last hex digits replaced, `shop-prod` → `shop-prod-s0042`.
fn vary(v: &mut Json, k: usize) {
    match v {
        Json::String(s) => {
            let mut out = s.replace("shop-prod", &format!("shop-prod-s{k:04}"));
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

fn measure(path: &Path, bytes: &[u8], runs: usize) -> anyhow::Result<()> {
    let shown = path.display().to_string();
    // Warm-up: page cache, allocator.
    let snap = state::snapshot_from_bytes(bytes, &shown, "bench")?;
    let resources = snap.resources.len();
    drop(snap);

    let mut parse = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    for _ in 0..runs {
        let c = cpu_time();
        let t = Instant::now();
        let snap = state::snapshot_from_bytes(bytes, &shown, "bench")?;
        parse.push(t.elapsed());
        cpu.push(cpu_time().saturating_sub(c));
        drop(snap);
    }
    let opts = state::Options {
        environment: "bench".into(),
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        paths: vec![path.to_string_lossy().into_owned()],
        plan: None,
        access: Default::default(),
        identity: Default::default(),
    };
    let mut load = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let snap = state::load_state(&opts)?;
        load.push(t.elapsed());
        drop(snap);
    }
    let (pm, pmin) = median_min(parse);
    let (cm, _) = median_min(cpu);
    let (lm, lmin) = median_min(load);
    let size = mb(bytes.len());
    println!("{resources} resources in the snapshot");
    println!(
        "parse (bytes → snapshot): median {:.0} ms ({:.0} MB/s), min {:.0} ms ({:.0} MB/s)",
        ms(pm),
        size / pm.as_secs_f64(),
        ms(pmin),
        size / pmin.as_secs_f64()
    );
    println!(
        "parse CPU time (all threads): median {:.0} ms = {:.0} MB/s per core",
        ms(cm),
        size / cm.as_secs_f64().max(1e-9)
    );
    println!(
        "load  (file → snapshot):  median {:.0} ms ({:.0} MB/s), min {:.0} ms ({:.0} MB/s)",
        ms(lm),
        size / lm.as_secs_f64(),
        ms(lmin),
        size / lmin.as_secs_f64()
    );

    let peak = child_peak_mb(path, runs)?;
    println!(
        "peak memory (load in a fresh process): {:.0} MB = {:.2}× the file ({:.1} MB)",
        peak,
        peak / size,
        size
    );
    Ok(())
}

/// Read the file once into a snapshot, keep it alive, report the peak RSS.
fn child(file: &Path) -> anyhow::Result<()> {
    let opts = state::Options {
        environment: "bench".into(),
        base: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        paths: vec![file.to_string_lossy().into_owned()],
        plan: None,
        access: Default::default(),
        identity: Default::default(),
    };
    let snap = state::load_state(&opts)?;
    print_peak_rss();
    println!("resources {}", snap.resources.len());
    Ok(())
}
