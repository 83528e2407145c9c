//! `parity init` for a Terragrunt live repository: the environments are
//! the trees of units (`terragrunt.hcl`, or a `terragrunt.stack.hcl`)
//! below the directories holding an `env.hcl` (`non-prod/us-east-1/qa`)
//! or, without any, below the environment-named siblings of the
//! shallowest directory that has two or more (`live/staging` and
//! `live/prod`, `env/dev` and `env/production`); a directory holding
//! another such directory is not one. Each gets a `terragrunt`
//! table with its `root`, and a `[[check]]` holds the most production-like
//! one against the others. `get_env` names the units read are listed with
//! a commented `env` table: their values are the user's to give.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::init::{prod_rank, DetectedEnv, Layout, Proposal};
use crate::sources::terraform::files;

/// The proposal for the Terragrunt live repository in `dir`, if it is one.
pub fn propose(dir: &Path) -> Option<Proposal> {
    let (units, stacks) = super::walk(dir).ok()?;
    let stack_dirs: Vec<PathBuf> = stacks
        .iter()
        .filter_map(|s| s.parent().map(Path::to_path_buf))
        .collect();
    let mut leaves: Vec<PathBuf> = units.iter().chain(&stack_dirs).cloned().collect();
    // Generated units are found through their stack.
    leaves.retain(|d| {
        !d.components()
            .any(|c| c.as_os_str() == super::config::STACK_DIR)
    });
    if leaves.is_empty() {
        return None;
    }
    // Every directory between `dir` (excluded) and a unit (included).
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for leaf in &leaves {
        let mut d = leaf.as_path();
        while d.starts_with(dir) && d != dir {
            dirs.insert(d.to_path_buf());
            d = match d.parent() {
                Some(p) => p,
                None => break,
            };
        }
    }
    // Directories holding an env.hcl are the environments; otherwise the
    // environment-named siblings of the shallowest directory that has two
    // or more (`live/` holding `staging/` and `prod/`; a unit named
    // `performance-test` among others is not one).
    let mut roots: BTreeSet<PathBuf> = dirs
        .iter()
        .filter(|d| d.join("env.hcl").is_file())
        .cloned()
        .collect();
    if roots.is_empty() {
        let mut by_parent: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
        for d in &dirs {
            let env_like = d
                .file_name()
                .is_some_and(|n| prod_rank(&n.to_string_lossy()).is_some());
            if let (true, Some(parent)) = (env_like, d.parent()) {
                by_parent
                    .entry(parent.to_path_buf())
                    .or_default()
                    .push(d.clone());
            }
        }
        let depth = |p: &Path| p.components().count();
        let shallowest = by_parent
            .iter()
            .filter(|(_, c)| c.len() >= 2)
            .map(|(p, _)| depth(p))
            .min();
        if let Some(min) = shallowest {
            for (p, c) in &by_parent {
                if c.len() >= 2 && depth(p) == min {
                    roots.extend(c.iter().cloned());
                }
            }
        }
    }
    // A root holding another root is not an environment.
    let all: Vec<PathBuf> = roots.iter().cloned().collect();
    roots.retain(|r| !all.iter().any(|o| o != r && o.starts_with(r)));
    let without = leaves
        .iter()
        .filter(|l| !roots.iter().any(|r| l.starts_with(r)))
        .count();
    let mut notes = Vec::new();
    if roots.is_empty() {
        // One tree: the environment is picked elsewhere (get_env).
        roots.insert(dir.to_path_buf());
        notes.push("no directory holds an env.hcl or two environment-named subdirectories (staging/, prod/): the whole tree is one environment; if `get_env` picks the environment, copy its table once per environment with its own `env` values".into());
    } else if without > 0 {
        notes.push(format!(
            "{without} unit(s) are below no environment directory (shared or global units): not in any environment; add a table for them by hand if they are compared"
        ));
    }
    // Names: the directory's, or its whole path when two share one.
    let rel = |r: &Path| files::relative(dir, r);
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for r in &roots {
        let n = r
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "default".into());
        *count.entry(n).or_default() += 1;
    }
    let mut environments: Vec<DetectedEnv> = roots
        .iter()
        .map(|r| {
            let base = r
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "default".into());
            let name = if count.get(&base).copied().unwrap_or(0) > 1 {
                rel(r).replace('/', "-")
            } else {
                base
            };
            let n = leaves.iter().filter(|u| u.starts_with(r)).count();
            crate::init::env_named(
                &name,
                rel(r),
                format!("{}/ holds {n} Terragrunt unit(s)", rel(r)),
            )
        })
        .collect();
    environments.sort_by(|a, b| {
        prod_rank(&a.name)
            .cmp(&prod_rank(&b.name))
            .then_with(|| a.name.cmp(&b.name))
    });
    let reference = if environments.len() >= 2 {
        let best = environments.iter().filter_map(|e| prod_rank(&e.name)).max();
        let chosen = environments
            .iter()
            .rev()
            .find(|e| prod_rank(&e.name) == best)
            .map(|e| e.name.clone());
        if best.is_none() {
            notes.push(format!(
                "no environment is named like production: `{}` is the reference of the check; change it if another one is",
                chosen.as_deref().unwrap_or_default()
            ));
        }
        chosen
    } else {
        notes.push(
            "only one environment was found: no [[check]] is written (parity compares two)".into(),
        );
        None
    };
    let names = get_env_names(dir);
    if !names.is_empty() {
        notes.push(format!(
            "the configuration reads {} with get_env: parity never reads the shell's environment; give each environment's values in its `env` table (written commented out below)",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    Some(Proposal {
        layout: Layout::Terragrunt,
        environments,
        reference,
        notes,
    })
}

/// The names `get_env("NAME"...)` reads in the repository's `.hcl` files.
fn get_env_names(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = e.path();
            if path.is_dir() {
                todo.push(path);
            } else if name.ends_with(".hcl") {
                let Ok(text) = crate::input::read_text(&path, crate::input::limits().tfvars_file)
                else {
                    continue;
                };
                for (i, _) in text.match_indices("get_env(\"") {
                    let rest = &text[i + 9..];
                    let n: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !n.is_empty() {
                        out.insert(n);
                    }
                }
            }
        }
    }
    out
}

/// A TOML basic string (JSON's escapes are TOML's).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A TOML key: bare when it can be.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        s.to_string()
    } else {
        q(s)
    }
}

/// The proposal as a commented parity.toml.
pub fn render(p: &Proposal) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# parity.toml, written by `parity init` from the layout of this directory:"
    );
    let _ = writeln!(o, "# {}.", p.layout.describe());
    let _ = writeln!(
        o,
        "# Every key is explained in docs/configuration.md and docs/terragrunt.md of parity."
    );
    let _ = writeln!(
        o,
        "# Paths are relative to this file's directory. Review it, then run `parity check`."
    );
    let _ = writeln!(o, "#\n# Found:");
    for e in &p.environments {
        let _ = writeln!(o, "#   {}  {}", e.name, e.evidence);
    }
    if !p.notes.is_empty() {
        let _ = writeln!(o, "#\n# Notes:");
        for n in &p.notes {
            let _ = writeln!(o, "# - {n}");
        }
    }
    o.push_str(
        "\n# The lowest severity that fails `parity diff` and `parity check` (exit 2):\n\
         # error, warning, info or never. --fail-on on the command line wins.\n\
         fail-on = \"error\"\n\n\
         # One table per environment. `terragrunt` reads every unit below `root`\n\
         # (its inputs, includes, module) without running Terragrunt; `env` is what\n\
         # `get_env` returns in the units; `states` a directory of the units' state\n\
         # files (<states>/<unit>/terraform.tfstate) for --source state and drift.\n",
    );
    let env_names = p.notes.iter().any(|n| n.contains("with get_env"));
    for e in &p.environments {
        let _ = writeln!(o, "\n[environments.{}]", key(&e.name));
        let _ = writeln!(o, "# account-id = \"123456789012\"");
        let _ = writeln!(o, "terragrunt = {{ root = {} }}", q(&e.root));
        if env_names {
            let _ = writeln!(
                o,
                "# terragrunt = {{ root = {}, env = {{ NAME = \"value\" }} }}   # with the get_env values",
                q(&e.root)
            );
        }
    }
    o.push('\n');
    match &p.reference {
        Some(reference) => {
            let compared: Vec<String> = p.compared().iter().map(|s| q(s)).collect();
            o.push_str(
                "# What `parity check` runs: each environment of `compare` held to\n\
                 # `reference` (the most production-like name found), read from the code.\n",
            );
            let _ = writeln!(o, "[[check]]");
            let _ = writeln!(o, "reference = {}", q(reference));
            let _ = writeln!(o, "compare = [{}]", compared.join(", "));
            let _ = writeln!(o, "source = \"code\"");
        }
        None => o.push_str(
            "# What `parity check` runs, once there are two environments:\n\
             # [[check]]\n# reference = \"prod\"\n# compare = [\"staging\"]\n# source = \"code\"\n",
        ),
    }
    o
}
