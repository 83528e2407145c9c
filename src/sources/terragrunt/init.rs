//! `parity init` for a Terragrunt live repository: the environments are
//! the trees of units (`terragrunt.hcl`, or a `terragrunt.stack.hcl`)
//! below the directories holding an `env.hcl` (`non-prod/us-east-1/qa`)
//! or, without any, below the environment-named siblings of the
//! shallowest directory that has two or more (`live/staging` and
//! `live/prod`, `env/dev` and `env/production`); a directory holding
//! another such directory is not one. Each gets a `terragrunt`
//! table with its `root`, and a `[[check]]` holds the most production-like
//! one against the others. The `get_env` names that pick the environment
//! (see `init_env.rs`) get each tree's directory name in its `env`
//! table; the others are listed with a commented `env` table, their values
//! the user's to give. A single tree whose environment a `get_env` name
//! picks becomes one environment per value found.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::init::{key, prod_rank, q, DetectedEnv, Layout, Proposal};
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
    let uses = super::init_env::Uses::scan(dir);
    let rel = |r: &Path| files::relative(dir, r);
    let mut environments: Vec<DetectedEnv> = Vec::new();
    let mut unset: Vec<(String, String)> = Vec::new();
    if roots.is_empty() {
        if let Some((sel, values)) = uses.split() {
            // One tree whose environment a get_env name picks: one
            // environment per value found.
            notes.push(format!(
                "one tree whose environment `get_env(\"{}\")` picks ({}): one environment per value, each with its `env`",
                sel.name, sel.why
            ));
            let others: Vec<String> = uses
                .names
                .iter()
                .filter(|n| **n != sel.name)
                .cloned()
                .collect();
            for v in &values {
                let mut e = crate::init::env_named(
                    v,
                    rel(dir),
                    format!("{}/ with get_env(\"{}\") = \"{v}\"", rel(dir), sel.name),
                );
                e.env.push((sel.name.clone(), Some(v.clone())));
                e.env.extend(others.iter().map(|n| (n.clone(), None)));
                e.env_why = Some(format!(
                    "`{}` picks the environment (see the notes above)",
                    sel.name
                ));
                environments.push(e);
            }
            unset = others
                .iter()
                .map(|n| (n.clone(), uses.unknown_why(n)))
                .collect();
        } else {
            roots.insert(dir.to_path_buf());
            notes.push("no directory holds an env.hcl or two environment-named subdirectories (staging/, prod/), and no `get_env` name is compared with or put in paths with two or more environment names: the whole tree is one environment; if `get_env` picks the environment, copy its table once per environment with its own `env` values".into());
        }
    } else if without > 0 {
        notes.push(format!(
            "{without} unit(s) are below no environment directory (shared or global units): not in any environment; add a table for them by hand if they are compared"
        ));
    }
    // Names: the directory's, or its whole path when two share one.
    let base_of = |r: &Path| {
        r.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "default".into())
    };
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for r in &roots {
        *count.entry(base_of(r)).or_default() += 1;
    }
    if !roots.is_empty() {
        let values: Vec<String> = roots.iter().map(|r| base_of(r)).collect();
        let (selectors, left) = if roots.len() >= 2 {
            uses.selectors(&values)
        } else {
            // One tree: its directory name says nothing.
            let left = uses
                .names
                .iter()
                .map(|n| (n.clone(), uses.unknown_why(n)))
                .collect();
            (Vec::new(), left)
        };
        for s in &selectors {
            notes.push(format!(
                "`get_env(\"{}\")` picks the environment: {}; each environment's `env` sets it to its directory name",
                s.name, s.why
            ));
        }
        unset = left;
        for r in &roots {
            let base = base_of(r);
            let name = if count.get(&base).copied().unwrap_or(0) > 1 {
                rel(r).replace('/', "-")
            } else {
                base.clone()
            };
            let n = leaves.iter().filter(|u| u.starts_with(r)).count();
            let mut e = crate::init::env_named(
                &name,
                rel(r),
                format!("{}/ holds {n} Terragrunt unit(s)", rel(r)),
            );
            e.env = selectors
                .iter()
                .map(|s| (s.name.clone(), Some(base.clone())))
                .chain(unset.iter().map(|(n, _)| (n.clone(), None)))
                .collect();
            if !selectors.is_empty() {
                let names: Vec<String> =
                    selectors.iter().map(|s| format!("`{}`", s.name)).collect();
                e.env_why = Some(format!(
                    "{} {} the environment (see the notes above): this tree's directory name",
                    names.join(", "),
                    if names.len() > 1 { "pick" } else { "picks" }
                ));
            }
            environments.push(e);
        }
    }
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
    if !unset.is_empty() {
        notes.push(format!(
            "the configuration reads {} with get_env and nothing in the files gives the value ({}): parity never reads the shell's environment; give each environment's values in its `env` table (written commented out below); until then a name without a default is unknown, and what it feeds",
            unset.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", "),
            unset.iter().map(|(n, why)| format!("`{n}`: {why}")).collect::<Vec<_>>().join("; ")
        ));
    }
    Some(Proposal {
        layout: Layout::Terragrunt,
        environments,
        reference,
        notes,
    })
}

/// The proposal as a commented parity.toml.
pub fn render(p: &Proposal) -> String {
    let mut o = crate::init::header(p, "terragrunt.md");
    o.push_str(
        "\
         # One table per environment. `terragrunt` reads every unit below `root`\n\
         # (its inputs, includes, module) without running Terragrunt; `env` is what\n\
         # `get_env` returns in the units; `states` a directory of the units' state\n\
         # files (<states>/<unit>/terraform.tfstate) for --source state and drift.\n",
    );
    for e in &p.environments {
        let _ = writeln!(o, "\n[environments.{}]", key(&e.name));
        let _ = writeln!(o, "# account-id = \"123456789012\"");
        let known: Vec<String> = e
            .env
            .iter()
            .filter_map(|(n, v)| v.as_ref().map(|v| format!("{} = {}", key(n), q(v))))
            .collect();
        if let Some(why) = &e.env_why {
            let _ = writeln!(o, "# env: {why}");
        }
        if known.is_empty() {
            let _ = writeln!(o, "terragrunt = {{ root = {} }}", q(&e.root));
        } else {
            let _ = writeln!(
                o,
                "terragrunt = {{ root = {}, env = {{ {} }} }}",
                q(&e.root),
                known.join(", ")
            );
        }
        if e.env.iter().any(|(_, v)| v.is_none()) {
            let all: Vec<String> = e
                .env
                .iter()
                .map(|(n, v)| format!("{} = {}", key(n), q(v.as_deref().unwrap_or("..."))))
                .collect();
            let _ = writeln!(
                o,
                "# terragrunt = {{ root = {}, env = {{ {} }} }}   # with the other get_env values",
                q(&e.root),
                all.join(", ")
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
