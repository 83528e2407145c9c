//! Detection: environments from the directory layout (env directories,
//! var files, workspaces).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[allow(unused_imports)]
use super::*;

pub(super) struct Entry {
    pub(super) name: String,
    pub(super) path: PathBuf,
    pub(super) is_dir: bool,
}

/// A directory's entries, sorted by name, hidden ones left out.
pub(super) fn entries(dir: &Path) -> Result<Vec<Entry>, InitError> {
    let rd = std::fs::read_dir(dir).map_err(|source| InitError::Read {
        path: dir.to_path_buf(),
        cause: source,
    })?;
    let mut out: Vec<Entry> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            // Hidden entries, and names no TOML comment could carry.
            if name.starts_with('.') || name.chars().any(char::is_control) {
                return None;
            }
            let path = e.path();
            Some(Entry {
                is_dir: path.is_dir(),
                name,
                path,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Entries of a subdirectory; an unreadable one counts as empty.
pub(super) fn entries_or_empty(dir: &Path) -> Vec<Entry> {
    entries(dir).unwrap_or_default()
}

pub(super) fn is_tf(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tf.json")
}

pub(super) fn has_tf(dir: &Path) -> bool {
    entries_or_empty(dir)
        .iter()
        .any(|e| !e.is_dir && is_tf(&e.name))
}

/// `prod.tfvars` → `prod`; not a var file → `None`.
pub(super) fn tfvars_stem(name: &str) -> Option<&str> {
    name.strip_suffix(".tfvars.json")
        .or_else(|| name.strip_suffix(".tfvars"))
        .filter(|s| !s.is_empty())
}

/// Files Terraform loads by itself.
pub(super) fn is_auto_tfvars(name: &str) -> bool {
    name == "terraform.tfvars"
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

pub(super) fn join(parts: &[&str]) -> String {
    let kept: Vec<&str> = parts
        .iter()
        .copied()
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if kept.is_empty() {
        ".".to_string()
    } else {
        kept.join("/")
    }
}

pub(super) fn env(name: &str, root: String, evidence: String) -> DetectedEnv {
    DetectedEnv {
        name: name.to_string(),
        code: Code::Terraform,
        root,
        var_files: Vec::new(),
        workspace: None,
        state: Vec::new(),
        plan: None,
        account_id: None,
        region: None,
        evidence,
        pulumi: None,
        env: Vec::new(),
        env_why: None,
    }
}

/// Find the environments of the repository in `dir`.
pub fn detect(dir: &Path) -> Result<Proposal, InitError> {
    if !dir.is_dir() {
        return Err(InitError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let top = entries(dir)?;
    let mut notes = Vec::new();
    let mut envs: Vec<DetectedEnv> = Vec::new();
    let mut layout = Layout::EnvDirectories;

    // 1. envs/<env>/ and the like.
    for container in ["envs", "environments", "env"] {
        let cdir = dir.join(container);
        if !cdir.is_dir() {
            continue;
        }
        for sub in entries_or_empty(&cdir).into_iter().filter(|e| e.is_dir) {
            if has_tf(&sub.path) {
                if envs.iter().any(|e| e.name == sub.name) {
                    notes.push(format!(
                        "{container}/{}/ is another directory of environment `{}`: only the first one found is used",
                        sub.name, sub.name
                    ));
                    continue;
                }
                let mut e = env(
                    &sub.name,
                    join(&[container, &sub.name]),
                    format!("{container}/{}/ holds *.tf", sub.name),
                );
                // `terraform apply -var-file=prod.tfvars` inside the root.
                for e2 in entries_or_empty(&sub.path) {
                    if !e2.is_dir
                        && tfvars_stem(&e2.name) == Some(sub.name.as_str())
                        && !is_auto_tfvars(&e2.name)
                    {
                        e.var_files.push(join(&[container, &sub.name, &e2.name]));
                    }
                }
                envs.push(e);
            } else if entries_or_empty(&sub.path)
                .iter()
                .any(|s| s.is_dir && has_tf(&s.path))
            {
                notes.push(format!(
                    "{container}/{}/ holds no *.tf itself but its subdirectories do (one root per stack): parity reads one root per environment, so it is left out; add it by hand with the root to compare",
                    sub.name
                ));
            }
        }
    }

    // 2. Top-level <env>/ directories.
    if envs.is_empty() {
        layout = Layout::TopLevelDirectories;
        for e in top.iter().filter(|e| e.is_dir) {
            if NOT_ENVIRONMENTS.contains(&e.name.as_str()) || prod_rank(&e.name).is_none() {
                continue;
            }
            if has_tf(&e.path) {
                envs.push(env(
                    &e.name,
                    join(&[&e.name]),
                    format!("{}/ holds *.tf", e.name),
                ));
            }
        }
    }

    // 3. and 4.: one root here, var files and/or workspaces.
    let root_has_tf = top.iter().any(|e| !e.is_dir && is_tf(&e.name));
    if envs.is_empty() && root_has_tf {
        let workspaces = workspaces(dir, &top);
        envs = var_file_envs(dir, &top);
        if !envs.is_empty() {
            layout = Layout::VarFiles;
            if workspaces.uses {
                for e in &mut envs {
                    if workspaces.names.contains(&e.name) {
                        e.workspace = Some(e.name.clone());
                    }
                }
                if envs.iter().all(|e| e.workspace.is_none()) {
                    notes.push(
                        "the code uses terraform.workspace but no workspace is named like an environment: set `workspace` by hand".into(),
                    );
                }
            }
        } else if !workspaces.names.is_empty() {
            layout = Layout::Workspaces;
            for name in &workspaces.names {
                let mut e = env(name, ".".into(), workspaces.evidence(name));
                e.workspace = Some(name.clone());
                envs.push(e);
            }
            if !workspaces.uses {
                notes.push(
                    "terraform.tfstate.d/ holds workspaces but no *.tf here reads terraform.workspace: the environments differ only by their state".into(),
                );
            }
        } else if workspaces.uses {
            notes.push(
                "the code uses terraform.workspace, but no workspace name was found (terraform.tfstate.d/ or a map keyed by environment names)".into(),
            );
        }
    }

    // 5. and 6.: CloudFormation and CDK, when no Terraform was found.
    if envs.is_empty() {
        if let Some(found) = cdk_envs(dir, &mut notes) {
            layout = Layout::Cdk;
            envs = found;
        } else if let Some(found) = cloudformation_envs(dir, &top, &mut notes) {
            layout = Layout::CloudFormation;
            envs = found;
        }
    }

    if envs.is_empty() {
        return Err(InitError::NothingFound {
            dir: dir.to_path_buf(),
        });
    }

    // State files and var-file values are Terraform's.
    if envs.iter().all(|e| e.code == Code::Terraform) {
        find_state(dir, &mut envs);
        for e in &mut envs {
            find_identity(dir, e);
        }
    }

    // Promotion order: least production-like first, then by name.
    envs.sort_by(|a, b| {
        prod_rank(&a.name)
            .cmp(&prod_rank(&b.name))
            .then_with(|| a.name.cmp(&b.name))
    });
    let reference = if envs.len() >= 2 {
        let best = envs
            .iter()
            .map(|e| prod_rank(&e.name))
            .max()
            .flatten()
            .unwrap_or(0);
        let candidates: Vec<&DetectedEnv> = envs
            .iter()
            .filter(|e| prod_rank(&e.name).unwrap_or(0) == best)
            .collect();
        let chosen = candidates.first().map(|e| e.name.clone());
        if best == 0 {
            notes.push(format!(
                "no environment is named like production: `{}` is the reference of the check; change it if another one is",
                chosen.as_deref().unwrap_or_default()
            ));
        } else if candidates.len() > 1 {
            notes.push(format!(
                "{} look equally production-like: `{}` is the reference of the check",
                candidates
                    .iter()
                    .map(|e| format!("`{}`", e.name))
                    .collect::<Vec<_>>()
                    .join(", "),
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
    Ok(Proposal {
        layout,
        environments: envs,
        reference,
        notes,
    })
}

/// Layout 3: per-environment var files for the root module in `dir`.
pub(super) fn var_file_envs(dir: &Path, top: &[Entry]) -> Vec<DetectedEnv> {
    let mut by_env: BTreeMap<String, DetectedEnv> = BTreeMap::new();
    let mut add = |name: &str, file: String, evidence: String| {
        by_env
            .entry(name.to_string())
            .or_insert_with(|| env(name, ".".into(), evidence))
            .var_files
            .push(file);
    };
    // <env>.tfvars here: only environment-like names (common.tfvars is not one).
    for e in top.iter().filter(|e| !e.is_dir) {
        if is_auto_tfvars(&e.name) {
            continue;
        }
        if let Some(stem) = tfvars_stem(&e.name) {
            if prod_rank(stem).is_some() {
                add(
                    stem,
                    e.name.clone(),
                    format!("{} applied to the root here", e.name),
                );
            }
        }
    }
    for container in ["env", "envs", "environments", "variables", "vars", "tfvars"] {
        let cdir = dir.join(container);
        if !cdir.is_dir() {
            continue;
        }
        for e in entries_or_empty(&cdir) {
            if !e.is_dir {
                // env/<env>.tfvars
                if let Some(stem) = tfvars_stem(&e.name) {
                    add(
                        stem,
                        join(&[container, &e.name]),
                        format!("{container}/{} applied to the root here", e.name),
                    );
                }
                continue;
            }
            if has_tf(&e.path) {
                continue;
            }
            // variables/<env>/*.tfvars, in name order (later files win).
            let files: Vec<String> = entries_or_empty(&e.path)
                .into_iter()
                .filter(|f| !f.is_dir && tfvars_stem(&f.name).is_some())
                .map(|f| join(&[container, &e.name, &f.name]))
                .collect();
            if !files.is_empty() {
                let evidence = format!(
                    "{container}/{}/*.tfvars applied to the root here, in name order",
                    e.name
                );
                for f in files {
                    add(&e.name, f, evidence.clone());
                }
            }
        }
    }
    by_env.into_values().collect()
}

/// Layout 4: what says the root in `dir` uses workspaces, and their names.
pub(super) struct Workspaces {
    /// Some `*.tf` reads `terraform.workspace`.
    uses: bool,
    names: BTreeSet<String>,
    /// Names with a `terraform.tfstate.d/<ws>/` directory.
    with_state: BTreeSet<String>,
}

impl Workspaces {
    fn evidence(&self, name: &str) -> String {
        if self.with_state.contains(name) {
            format!("workspace with state in terraform.tfstate.d/{name}/")
        } else {
            "workspace named in a map or comparison read with terraform.workspace".to_string()
        }
    }
}

pub(super) fn workspaces(dir: &Path, top: &[Entry]) -> Workspaces {
    let mut ws = Workspaces {
        uses: false,
        names: BTreeSet::new(),
        with_state: BTreeSet::new(),
    };
    for e in entries_or_empty(&dir.join("terraform.tfstate.d")) {
        if e.is_dir && e.name != "default" {
            ws.with_state.insert(e.name.clone());
            ws.names.insert(e.name);
        }
    }
    let mut keyed: BTreeSet<String> = BTreeSet::new();
    for e in top.iter().filter(|e| !e.is_dir) {
        let Ok(text) = std::fs::read_to_string(&e.path) else {
            continue;
        };
        if e.name.ends_with(".tf") {
            if !text.contains("terraform.workspace") {
                // Maps keyed by environment names count only in code that
                // selects from them by workspace, or in the var files.
                continue;
            }
            ws.uses = true;
            if let Ok(body) = hcl::parse(&text) {
                walk_body(&body, &mut ws.names, &mut keyed);
            }
        } else if is_auto_tfvars(&e.name) {
            if let Some(values) = read_values(&e.path) {
                for v in values.values() {
                    lit_keys(v, &mut keyed);
                }
            }
        }
    }
    if ws.uses {
        ws.names.extend(keyed);
    }
    ws
}

pub(super) fn walk_body(
    body: &hcl::Body,
    compared: &mut BTreeSet<String>,
    keyed: &mut BTreeSet<String>,
) {
    for s in body.iter() {
        match s {
            hcl::Structure::Attribute(a) => walk_expr(&a.expr, compared, keyed),
            hcl::Structure::Block(b) => walk_body(&b.body, compared, keyed),
        }
    }
}

pub(super) fn is_workspace(e: &hcl::Expression) -> bool {
    match e {
        hcl::Expression::Traversal(t) => {
            matches!(&t.expr, hcl::Expression::Variable(v) if v.as_str() == "terraform")
                && matches!(t.operators.as_slice(), [hcl::TraversalOperator::GetAttr(a)] if a.as_str() == "workspace")
        }
        hcl::Expression::Parenthesis(inner) => is_workspace(inner),
        _ => false,
    }
}

pub(super) fn walk_expr(
    e: &hcl::Expression,
    compared: &mut BTreeSet<String>,
    keyed: &mut BTreeSet<String>,
) {
    use hcl::Expression as E;
    match e {
        E::Array(items) => items.iter().for_each(|i| walk_expr(i, compared, keyed)),
        E::Object(obj) => {
            let names: Vec<String> = obj
                .keys()
                .filter_map(|k| match k {
                    hcl::ObjectKey::Identifier(id) => Some(id.as_str().to_string()),
                    hcl::ObjectKey::Expression(E::String(s)) => Some(s.clone()),
                    _ => None,
                })
                .filter(|k| prod_rank(k).is_some())
                .collect();
            if names.len() >= 2 {
                keyed.extend(names);
            }
            obj.values().for_each(|v| walk_expr(v, compared, keyed));
        }
        E::Traversal(t) => {
            walk_expr(&t.expr, compared, keyed);
            for op in &t.operators {
                if let hcl::TraversalOperator::Index(i) = op {
                    walk_expr(i, compared, keyed);
                }
            }
        }
        E::FuncCall(f) => f.args.iter().for_each(|a| walk_expr(a, compared, keyed)),
        E::Parenthesis(inner) => walk_expr(inner, compared, keyed),
        E::Conditional(c) => {
            walk_expr(&c.cond_expr, compared, keyed);
            walk_expr(&c.true_expr, compared, keyed);
            walk_expr(&c.false_expr, compared, keyed);
        }
        E::Operation(op) => match op.as_ref() {
            hcl::Operation::Unary(u) => walk_expr(&u.expr, compared, keyed),
            hcl::Operation::Binary(b) => {
                if matches!(
                    b.operator,
                    hcl::BinaryOperator::Eq | hcl::BinaryOperator::NotEq
                ) {
                    match (&b.lhs_expr, &b.rhs_expr) {
                        (w, E::String(s)) | (E::String(s), w)
                            if is_workspace(w) && s != "default" && !s.is_empty() =>
                        {
                            compared.insert(s.clone());
                        }
                        _ => {}
                    }
                }
                walk_expr(&b.lhs_expr, compared, keyed);
                walk_expr(&b.rhs_expr, compared, keyed);
            }
        },
        E::ForExpr(f) => {
            walk_expr(&f.collection_expr, compared, keyed);
            if let Some(k) = &f.key_expr {
                walk_expr(k, compared, keyed);
            }
            walk_expr(&f.value_expr, compared, keyed);
            if let Some(c) = &f.cond_expr {
                walk_expr(c, compared, keyed);
            }
        }
        _ => {}
    }
}

/// Layout 5, a CDK app: the output directory of `cdk.json` (`"output"`, default
/// `cdk.out`), one environment per nested cloud assembly (`Stage`) of its
/// `manifest.json`, named by the stage in lower case.
fn cdk_envs(dir: &Path, notes: &mut Vec<String>) -> Option<Vec<DetectedEnv>> {
    let cdk_json = dir.join("cdk.json");
    let out = std::fs::read_to_string(&cdk_json)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|j| j["output"].as_str().map(str::to_string))
        .unwrap_or_else(|| "cdk.out".to_string());
    let manifest = dir.join(&out).join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        if cdk_json.is_file() {
            notes.push(format!(
                "cdk.json is here but {out}/manifest.json is not: run `cdk synth` first, then `parity init` again"
            ));
        }
        return None;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        notes.push(format!("{out}/manifest.json is not JSON: left out"));
        return None;
    };
    let mut envs = Vec::new();
    for (id, art) in json["artifacts"].as_object().into_iter().flatten() {
        if art["type"] != "cdk:cloud-assembly" {
            continue;
        }
        let stage = art["properties"]["displayName"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| id.strip_prefix("assembly-").unwrap_or(id).to_string());
        let name = stage.to_lowercase();
        if name.is_empty() || envs.iter().any(|e: &DetectedEnv| e.name == name) {
            continue;
        }
        let mut e = env(
            &name,
            ".".into(),
            format!("Stage `{stage}` of the CDK app ({out}/manifest.json)"),
        );
        e.code = Code::Cdk {
            out: out.clone(),
            stage,
        };
        envs.push(e);
    }
    if envs.is_empty() {
        envs = stack_envs(&json, &out);
    }
    if envs.is_empty() {
        notes.push(format!(
            "{out}/manifest.json has no Stage (nested cloud assembly): a CDK app with its stacks at the top is one environment; add it by hand as `cdk = {{ out = \"{out}\" }}`"
        ));
        return None;
    }
    Some(envs)
}

/// A CDK app without stages: its top-level stacks grouped by the
/// environment word their id ends in or holds as a camel-case word
/// (`ShopStaging` → `staging`); at least two environments, else none.
fn stack_envs(manifest: &serde_json::Value, out: &str) -> Vec<DetectedEnv> {
    let mut by_env: Vec<(String, Vec<String>)> = Vec::new();
    for (id, art) in manifest["artifacts"].as_object().into_iter().flatten() {
        if art["type"] != "aws:cloudformation:stack" {
            continue;
        }
        let Some(word) = camel_words(id)
            .into_iter()
            .rev()
            .find(|w| super::names::prod_rank(w).is_some())
        else {
            continue;
        };
        let name = word.to_ascii_lowercase();
        match by_env.iter_mut().find(|(n, _)| *n == name) {
            Some((_, stacks)) => stacks.push(id.clone()),
            None => by_env.push((name, vec![id.clone()])),
        }
    }
    if by_env.len() < 2 {
        return Vec::new();
    }
    by_env
        .into_iter()
        .map(|(name, stacks)| {
            let mut e = env(
                &name,
                ".".into(),
                format!(
                    "stacks {} of the CDK app ({out}/manifest.json)",
                    stacks.join(", ")
                ),
            );
            e.code = Code::CdkStacks {
                out: out.to_string(),
                stacks,
            };
            e
        })
        .collect()
}

/// `ShopStagingEu` → `Shop`, `Staging`, `Eu`; `-`/`_` separate words too.
fn camel_words(id: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    let b = id.as_bytes();
    for i in 1..=b.len() {
        let cut = i == b.len()
            || !b[i].is_ascii_alphanumeric()
            || (b[i].is_ascii_uppercase() && !b[i - 1].is_ascii_uppercase());
        if cut {
            let w = id[start..i].trim_matches(|c: char| !c.is_ascii_alphanumeric());
            if !w.is_empty() {
                words.push(w);
            }
            start = i;
        }
    }
    words
}

/// Directories that hold templates, besides this one.
const TEMPLATE_DIRS: &[&str] = &["cfn", "cloudformation", "templates", "template", "infra"];

/// True when `text` reads as a CloudFormation template.
fn is_template(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion")
        || (text.contains("Resources") && text.contains("AWS::"))
}

/// Layout 6, a CloudFormation template with a parameter file per environment:
/// `params/<env>.json` or `parameters/<env>.json` beside the template or
/// here, each `<env>` named like an environment. The first template (in
/// name order) with parameter files is used; others are named in a note.
fn cloudformation_envs(
    dir: &Path,
    top: &[Entry],
    notes: &mut Vec<String>,
) -> Option<Vec<DetectedEnv>> {
    let mut candidates: Vec<String> = Vec::new();
    let mut look = |rel: &str, entries: Vec<Entry>| {
        for e in entries.iter().filter(|e| !e.is_dir) {
            let lower = e.name.to_ascii_lowercase();
            let ext_ok = [".yaml", ".yml", ".json", ".template"]
                .iter()
                .any(|x| lower.ends_with(x));
            if !ext_ok || lower == "package.json" || lower == "cdk.json" {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&e.path) else {
                continue;
            };
            if is_template(&text) {
                candidates.push(join(&[rel, &e.name]));
            }
        }
    };
    look(".", entries_or_empty(dir));
    for d in TEMPLATE_DIRS {
        if top.iter().any(|e| e.is_dir && e.name == *d) {
            look(d, entries_or_empty(&dir.join(d)));
        }
    }
    let mut chosen: Option<(String, Vec<DetectedEnv>)> = None;
    let mut others = Vec::new();
    for template in candidates {
        if chosen.is_some() {
            others.push(template);
            continue;
        }
        let parent = Path::new(&template)
            .parent()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| ".".to_string());
        let mut envs: Vec<DetectedEnv> = Vec::new();
        let mut places = vec![parent.clone()];
        if parent != "." {
            places.push(".".into());
        }
        for place in &places {
            for pdir in ["params", "parameters"] {
                let rel = join(&[place, pdir]);
                for f in entries_or_empty(&dir.join(&rel))
                    .iter()
                    .filter(|f| !f.is_dir)
                {
                    let Some(stem) = f.name.strip_suffix(".json") else {
                        continue;
                    };
                    if prod_rank(stem).is_none() || envs.iter().any(|e| e.name == stem) {
                        continue;
                    }
                    let parameters = join(&[&rel, &f.name]);
                    let mut e = env(
                        stem,
                        ".".into(),
                        format!("{template} with parameter file {parameters}"),
                    );
                    e.code = Code::CloudFormation {
                        template: template.clone(),
                        parameters,
                    };
                    envs.push(e);
                }
            }
        }
        if envs.is_empty() {
            others.push(template);
        } else {
            chosen = Some((template, envs));
        }
    }
    let (template, envs) = chosen?;
    if !others.is_empty() {
        notes.push(format!(
            "other templates found ({}): only {template}, the first with parameter files, is used; add the others by hand",
            others.join(", ")
        ));
    }
    Some(envs)
}
