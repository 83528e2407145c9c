//! State files and plans found for each environment.

use std::collections::BTreeMap;
use std::path::Path;

#[allow(unused_imports)]
use super::*;

/// Where state files and plans are looked for, besides each root.
pub(super) const STATE_DIRS: &[&str] = &[".", "state", "states", "tfstate", "terraform-state"];

/// The environment a file named `<env>.tfstate`, `<env>-x.tfstate`,
/// `<env>_x.tfstate` or `<env>.x.tfstate` belongs to: the longest name that
/// fits (`prod-eu-cache.tfstate` is `prod-eu`'s when both exist).
pub(super) fn owner<'a>(file_stem: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .copied()
        .filter(|n| {
            file_stem == *n
                || file_stem
                    .strip_prefix(n)
                    .is_some_and(|rest| rest.starts_with(['-', '_', '.']))
        })
        .max_by_key(|n| n.len())
}

pub(super) fn find_state(dir: &Path, envs: &mut [DetectedEnv]) {
    let names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut state: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut plans: BTreeMap<String, String> = BTreeMap::new();
    for sdir in STATE_DIRS {
        for f in entries_or_empty(&dir.join(sdir)) {
            if f.is_dir {
                continue;
            }
            let path = join(&[sdir, &f.name]);
            if let Some(stem) = f.name.strip_suffix(".tfstate") {
                if let Some(env) = owner(stem, &names) {
                    state.entry(env.to_string()).or_default().push(path);
                }
                continue;
            }
            for suffix in [".plan.json", ".tfplan.json", "-plan.json", "_plan.json"] {
                if let Some(stem) = f.name.strip_suffix(suffix) {
                    if names.contains(&stem) {
                        plans.entry(stem.to_string()).or_insert(path.clone());
                    }
                }
            }
        }
    }
    for e in envs.iter_mut() {
        let mut found: Vec<String> = Vec::new();
        if e.root != "." && dir.join(&e.root).join("terraform.tfstate").is_file() {
            found.push(join(&[&e.root, "terraform.tfstate"]));
        }
        if let Some(ws) = &e.workspace {
            let p = join(&[&e.root, "terraform.tfstate.d", ws, "terraform.tfstate"]);
            if dir.join(&p).is_file() {
                found.push(p);
            }
        }
        let mut named = state.remove(&e.name).unwrap_or_default();
        // `<env>.tfstate` first, then the other stacks in name order.
        named.sort_by_key(|p| {
            let file = p.rsplit('/').next().unwrap_or(p);
            (file != format!("{}.tfstate", e.name), p.clone())
        });
        found.extend(named);
        e.state = found;
        e.plan = plans.remove(&e.name).or_else(|| {
            ["plan.json", "tfplan.json"]
                .iter()
                .map(|f| join(&[&e.root, f]))
                .find(|p| e.root != "." && dir.join(p).is_file())
        });
    }
}
