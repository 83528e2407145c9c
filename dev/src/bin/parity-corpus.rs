//! `parity-corpus DIR...`: how much real Terraform the loader accepts.
//!
//! For every `.tf`, `.tf.json`, `.tfvars` and `.tfvars.json` file under the
//! given directories: does it parse? For every directory holding `.tf` or
//! `.tf.json` files,
//! loaded as a root module (no tfvars beyond its own, workspace `default`):
//! does the load succeed, and how long does it take compared with hcl-rs
//! parsing the same files? Used to measure acceptance on public
//! repositories (never committed); see docs/limitations.md.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use parity::sources::terraform::{self, json, parse, Options};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() && !p.is_symlink() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() -> anyhow::Result<()> {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        anyhow::bail!("usage: parity-corpus DIR...");
    }
    let verbose = std::env::var_os("PARITY_CORPUS_VERBOSE").is_some();
    for dir in dirs {
        let mut files = Vec::new();
        walk(&dir, &mut files);
        let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let mut failures = Vec::new();
        let mut module_dirs: BTreeMap<PathBuf, ()> = BTreeMap::new();
        for f in &files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let kind = if name.ends_with(".tf") {
                "tf"
            } else if name.ends_with(".tf.json") {
                "tf.json"
            } else if name.ends_with(".tfvars") {
                "tfvars"
            } else if name.ends_with(".tfvars.json") {
                "tfvars.json"
            } else {
                continue;
            };
            if kind == "tf" || kind == "tf.json" {
                if let Some(parent) = f.parent() {
                    module_dirs.insert(parent.to_path_buf(), ());
                }
            }
            let entry = counts.entry(kind).or_default();
            entry.0 += 1;
            let Ok(bytes) = std::fs::read(f) else {
                // dangling links are not files the loader would be given
                entry.0 -= 1;
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            let ok = match kind {
                "tfvars.json" => serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                "tf.json" => match json::parse_tf_json(&text, f, &f.display().to_string()) {
                    Ok(_) => true,
                    Err(e) => {
                        failures.push(e.to_string());
                        false
                    }
                },
                _ => match parse::parse_hcl(&text, f, &f.display().to_string()) {
                    Ok(_) => true,
                    Err(e) => {
                        failures.push(e.to_string());
                        false
                    }
                },
            };
            if ok {
                entry.1 += 1;
            }
        }
        println!("== {}", dir.display());
        for (kind, (total, ok)) in &counts {
            println!(
                "  {kind:<12} {ok:>5} / {total:<5} parse ({:.1}%)",
                100.0 * *ok as f64 / (*total).max(1) as f64
            );
        }
        let (mut loaded, mut gaps_total) = (0usize, 0usize);
        let mut load_failures = Vec::new();
        let (mut t_load, mut t_hcl) = (Duration::ZERO, Duration::ZERO);
        let mut slowest: Option<(Duration, Duration, PathBuf)> = None;
        for m in module_dirs.keys() {
            let opts = Options {
                environment: "corpus".into(),
                root: m.clone(),
                base: dir.clone(),
                var_files: Vec::new(),
                vars: parity::model::Map::new(),
                var_origins: Default::default(),
                workspace: "default".into(),
                data: None,
                identity: Default::default(),
                facts: None,
            };
            let start = Instant::now();
            let result = terraform::load_with_stats(&opts);
            let took = start.elapsed();
            match result {
                Ok((snap, _bytes)) => {
                    loaded += 1;
                    gaps_total += snap.coverage.len();
                    // hcl-rs alone on the same files (every module the load read
                    // is approximated by the files of this directory and the
                    // local modules it reached; here: this directory only).
                    let mut hcl_time = Duration::ZERO;
                    if let Ok(rd) = std::fs::read_dir(m) {
                        for e in rd.flatten() {
                            let p = e.path();
                            if p.extension().is_some_and(|x| x == "tf") {
                                if let Ok(t) = std::fs::read_to_string(&p) {
                                    let s = Instant::now();
                                    let _ = hcl::parse(&t);
                                    hcl_time += s.elapsed();
                                }
                            }
                        }
                    }
                    t_load += took;
                    t_hcl += hcl_time;
                    if slowest.as_ref().is_none_or(|(t, _, _)| took > *t) {
                        slowest = Some((took, hcl_time, m.clone()));
                    }
                }
                Err(e) => load_failures.push(format!("{}: {e}", m.display())),
            }
        }
        let total = module_dirs.len();
        println!(
            "  root modules {loaded:>5} / {total:<5} load ({:.1}%), {gaps_total} coverage gaps recorded",
            100.0 * loaded as f64 / total.max(1) as f64
        );
        println!(
            "  time: load {:.1} ms total, hcl-rs parse of the same directories {:.1} ms",
            t_load.as_secs_f64() * 1e3,
            t_hcl.as_secs_f64() * 1e3
        );
        if let Some((t, h, p)) = slowest {
            println!(
                "  slowest root: {} load {:.1} ms (hcl-rs parse of its own files {:.1} ms)",
                p.display(),
                t.as_secs_f64() * 1e3,
                h.as_secs_f64() * 1e3
            );
        }
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for f in failures.iter().chain(load_failures.iter()) {
            let key = f
                .rsplit(": ")
                .next()
                .unwrap_or(f)
                .chars()
                .take(70)
                .collect::<String>();
            *kinds.entry(key).or_default() += 1;
        }
        for (k, n) in kinds.iter().rev().take(12) {
            println!("    {n:>4} × {k}");
        }
        if verbose {
            for f in failures.iter().chain(load_failures.iter()) {
                println!("    {f}");
            }
        }
    }
    Ok(())
}
