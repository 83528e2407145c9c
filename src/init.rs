//! `parity init`: find a repository's environments by its layout and write a
//! commented `parity.toml` for them.
//!
//! [`detect`] looks, in this order, for
//! 1. one root module per environment under `envs/`, `environments/` or
//!    `env/` (a directory holding `*.tf`);
//! 2. top-level directories holding `*.tf` whose names look like environments
//!    (`staging/`, `prod/`, `prod-eu/`);
//! 3. one root module in the directory itself with per-environment var files:
//!    `variables/<env>/*.tfvars` (in name order), `env/<env>.tfvars`,
//!    `<env>.tfvars` (and `.tfvars.json`);
//! 4. Terraform workspaces of that root: code using `terraform.workspace`,
//!    with the workspace names taken from `terraform.tfstate.d/<ws>/`, from
//!    comparisons (`terraform.workspace == "prod"`) and from maps keyed by
//!    environment-like names (`{ staging = ..., prod = ... }`).
//!
//! For every environment it also looks for state files and a plan in JSON,
//! and for an account id and region in the variable values. [`render`] writes
//! the proposal as TOML with a comment on every key; [`run`] checks that the
//! text loads with the strict loader ([`config::parse`]) before writing it, and
//! never overwrites an existing file unless asked to.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::config;

/// Why `parity init` could not write a configuration.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already exists: `parity init` does not overwrite it (--force replaces it, --stdout prints the proposal instead)", path.display())]
    Exists { path: PathBuf },
    #[error("no environments found in {}: looked for {LOOKED_FOR}", dir.display())]
    NothingFound { dir: PathBuf },
    #[error("{} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot read {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot write {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The text init produced does not pass the loader: a defect of init,
    /// reported rather than written.
    #[error("the parity.toml that init would write does not load (a defect of parity init, please report it): {0}")]
    Invalid(#[source] config::ConfigError),
}

/// The conventions [`detect`] knows, for the "nothing found" message.
const LOOKED_FOR: &str = "envs/<env>/, environments/<env>/ or env/<env>/ holding *.tf; \
top-level directories holding *.tf with environment-like names (staging/, prod/); \
*.tf here with variables/<env>/*.tfvars, env/<env>.tfvars or <env>.tfvars; \
*.tf here using terraform.workspace (workspaces from terraform.tfstate.d/ or maps keyed by environment names)";

/// How the environments were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `envs/<env>/`, `environments/<env>/`, `env/<env>/`.
    EnvDirectories,
    /// `<env>/` at the top level.
    TopLevelDirectories,
    /// One root, per-environment var files (possibly with workspaces too).
    VarFiles,
    /// One root, Terraform workspaces.
    Workspaces,
}

impl Layout {
    pub fn describe(self) -> &'static str {
        match self {
            Layout::EnvDirectories => "one root module per environment directory",
            Layout::TopLevelDirectories => "one root module per top-level environment directory",
            Layout::VarFiles => "one root module with per-environment var files",
            Layout::Workspaces => "one root module with Terraform workspaces",
        }
    }
}

/// A value found in the variables, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub value: String,
    /// `envs/prod/terraform.tfvars (account_id)`.
    pub from: String,
}

/// One environment found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedEnv {
    pub name: String,
    /// The root module, relative to the configuration's directory, with `/`
    /// separators; `.` for the directory itself.
    pub root: String,
    /// Var files, in the order they apply.
    pub var_files: Vec<String>,
    /// The Terraform workspace, when not the default.
    pub workspace: Option<String>,
    /// State files found for it.
    pub state: Vec<String>,
    /// A plan in JSON found for it.
    pub plan: Option<String>,
    pub account_id: Option<Found>,
    pub region: Option<Found>,
    /// Why this is an environment (`envs/prod/ holds *.tf`).
    pub evidence: String,
}

/// What [`detect`] found: the environments and the check to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub layout: Layout,
    /// In promotion order: least production-like first.
    pub environments: Vec<DetectedEnv>,
    /// The most production-like environment, the reference of the check
    /// (none with fewer than two environments).
    pub reference: Option<String>,
    /// Things the user should know (written as comments too).
    pub notes: Vec<String>,
}

impl Proposal {
    /// The environments compared with the reference.
    pub fn compared(&self) -> Vec<&str> {
        self.environments
            .iter()
            .map(|e| e.name.as_str())
            .filter(|n| Some(*n) != self.reference.as_deref())
            .collect()
    }
}

/// What [`run`] did.
#[derive(Debug)]
pub struct Outcome {
    /// The file written (or that would be written).
    pub path: PathBuf,
    pub proposal: Proposal,
    pub text: String,
    /// False for a dry run.
    pub written: bool,
}

/// The file `parity init` writes: `-C DIR` means `DIR/parity.toml`, `-C
/// FILE` that file, none `./parity.toml`.
pub fn target(explicit: Option<&Path>, cwd: &Path) -> PathBuf {
    match explicit {
        Some(p) => {
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            };
            let looks_like_file = p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
            if p.is_dir() || !looks_like_file {
                p.join(config::FILE_NAME)
            } else {
                p
            }
        }
        None => cwd.join(config::FILE_NAME),
    }
}

/// Detect, render, check that the text loads, then write `path` (unless
/// `dry_run`). An existing file is kept unless `force`.
pub fn run(path: &Path, force: bool, dry_run: bool) -> Result<Outcome, InitError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(InitError::NotADirectory { path: dir });
    }
    if !dry_run && !force && path.exists() {
        return Err(InitError::Exists {
            path: path.to_path_buf(),
        });
    }
    let proposal = detect(&dir)?;
    let text = render(&proposal);
    config::parse(&text, path).map_err(InitError::Invalid)?;
    if !dry_run {
        write(path, &text, force)?;
    }
    Ok(Outcome {
        path: path.to_path_buf(),
        proposal,
        text,
        written: !dry_run,
    })
}

fn write(path: &Path, text: &str, force: bool) -> Result<(), InitError> {
    let err = |source| InitError::Write {
        path: path.to_path_buf(),
        cause: source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // Never replace a file that appeared since the check above.
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            InitError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            err(e)
        }
    })?;
    file.write_all(text.as_bytes()).map_err(err)?;
    file.flush().map_err(err)
}

// ---------------------------------------------------------------------------
// Environment-like names
// ---------------------------------------------------------------------------

/// How production-like a name is: 4 production, 3 pre-production, 2 test,
/// 1 development; `None` for a name that does not look like an environment.
pub fn prod_rank(name: &str) -> Option<u8> {
    fn word(w: &str) -> Option<u8> {
        Some(match w {
            "prod" | "production" | "prd" | "live" => 4,
            "preprod" | "pre-prod" | "pre_prod" | "uat" | "staging" | "stage" | "stg" | "stag" => 3,
            "qa" | "test" | "testing" | "tst" | "sit" | "int" | "integration" | "perf"
            | "performance" | "load" | "nonprod" | "non-prod" | "non_prod" => 2,
            "dev" | "development" | "develop" | "sandbox" | "sbx" | "demo" | "ci" | "preview"
            | "lab" => 1,
            _ => return None,
        })
    }
    let lower = name.to_ascii_lowercase();
    if let Some(r) = word(&lower) {
        return Some(r);
    }
    let tokens: Vec<&str> = lower
        .split(['-', '_', '.'])
        .map(|t| t.trim_end_matches(|c: char| c.is_ascii_digit()))
        .collect();
    let mut best: Option<u8> = None;
    for (i, t) in tokens.iter().enumerate() {
        let mut r = word(t);
        // `pre-prod`, `non-prod-eu`: the qualifier lowers the rank.
        if r == Some(4) && i > 0 {
            match tokens[i - 1] {
                "pre" => r = Some(3),
                "non" => r = Some(2),
                _ => {}
            }
        }
        best = best.max(r);
    }
    best
}

/// Other common names of the same environment (for the commented
/// `aliases` line).
fn synonyms(name: &str) -> Vec<&'static str> {
    const GROUPS: &[&[&str]] = &[
        &["prod", "production", "prd"],
        &["staging", "stage", "stg"],
        &["preprod", "pre-prod"],
        &["dev", "development"],
        &["test", "testing", "tst"],
    ];
    let lower = name.to_ascii_lowercase();
    GROUPS
        .iter()
        .find(|g| g.contains(&lower.as_str()))
        .map(|g| g.iter().copied().filter(|s| *s != lower).collect())
        .unwrap_or_default()
}

/// Directory names never taken for environments at the top level.
const NOT_ENVIRONMENTS: &[&str] = &[
    "modules", "module", "test", "tests", "examples", "example", "scripts", "docs",
];

// ---------------------------------------------------------------------------
// Detection
// ---------------------------------------------------------------------------

struct Entry {
    name: String,
    path: PathBuf,
    is_dir: bool,
}

/// A directory's entries, sorted by name, hidden ones left out.
fn entries(dir: &Path) -> Result<Vec<Entry>, InitError> {
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
fn entries_or_empty(dir: &Path) -> Vec<Entry> {
    entries(dir).unwrap_or_default()
}

fn is_tf(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tf.json")
}

fn has_tf(dir: &Path) -> bool {
    entries_or_empty(dir)
        .iter()
        .any(|e| !e.is_dir && is_tf(&e.name))
}

/// `prod.tfvars` → `prod`; not a var file → `None`.
fn tfvars_stem(name: &str) -> Option<&str> {
    name.strip_suffix(".tfvars.json")
        .or_else(|| name.strip_suffix(".tfvars"))
        .filter(|s| !s.is_empty())
}

/// Files Terraform loads by itself.
fn is_auto_tfvars(name: &str) -> bool {
    name == "terraform.tfvars"
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

fn join(parts: &[&str]) -> String {
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

fn env(name: &str, root: String, evidence: String) -> DetectedEnv {
    DetectedEnv {
        name: name.to_string(),
        root,
        var_files: Vec::new(),
        workspace: None,
        state: Vec::new(),
        plan: None,
        account_id: None,
        region: None,
        evidence,
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

    if envs.is_empty() {
        return Err(InitError::NothingFound {
            dir: dir.to_path_buf(),
        });
    }

    find_state(dir, &mut envs);
    for e in &mut envs {
        find_identity(dir, e);
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
fn var_file_envs(dir: &Path, top: &[Entry]) -> Vec<DetectedEnv> {
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
struct Workspaces {
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

fn workspaces(dir: &Path, top: &[Entry]) -> Workspaces {
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

fn walk_body(body: &hcl::Body, compared: &mut BTreeSet<String>, keyed: &mut BTreeSet<String>) {
    for s in body.iter() {
        match s {
            hcl::Structure::Attribute(a) => walk_expr(&a.expr, compared, keyed),
            hcl::Structure::Block(b) => walk_body(&b.body, compared, keyed),
        }
    }
}

fn is_workspace(e: &hcl::Expression) -> bool {
    match e {
        hcl::Expression::Traversal(t) => {
            matches!(&t.expr, hcl::Expression::Variable(v) if v.as_str() == "terraform")
                && matches!(t.operators.as_slice(), [hcl::TraversalOperator::GetAttr(a)] if a.as_str() == "workspace")
        }
        hcl::Expression::Parenthesis(inner) => is_workspace(inner),
        _ => false,
    }
}

fn walk_expr(e: &hcl::Expression, compared: &mut BTreeSet<String>, keyed: &mut BTreeSet<String>) {
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

// ---------------------------------------------------------------------------
// Variable values (for account ids and regions)
// ---------------------------------------------------------------------------

/// A literal value of a var file, as far as init needs it.
#[derive(Debug, Clone)]
enum Lit {
    Str(String),
    Obj(BTreeMap<String, Lit>),
    Other,
}

fn lit_keys(v: &Lit, keyed: &mut BTreeSet<String>) {
    if let Lit::Obj(map) = v {
        let names: Vec<&String> = map.keys().filter(|k| prod_rank(k).is_some()).collect();
        if names.len() >= 2 {
            keyed.extend(names.into_iter().cloned());
        }
        map.values().for_each(|v| lit_keys(v, keyed));
    }
}

fn from_json(v: &serde_json::Value) -> Lit {
    match v {
        serde_json::Value::String(s) => Lit::Str(s.clone()),
        serde_json::Value::Number(n) => Lit::Str(n.to_string()),
        serde_json::Value::Object(m) => {
            Lit::Obj(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
        _ => Lit::Other,
    }
}

fn from_hcl(e: &hcl::Expression) -> Lit {
    match e {
        hcl::Expression::String(s) => Lit::Str(s.clone()),
        hcl::Expression::Number(n) => Lit::Str(n.to_string()),
        hcl::Expression::Object(obj) => Lit::Obj(
            obj.iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        hcl::ObjectKey::Identifier(id) => id.as_str().to_string(),
                        hcl::ObjectKey::Expression(hcl::Expression::String(s)) => s.clone(),
                        _ => return None,
                    };
                    Some((key, from_hcl(v)))
                })
                .collect(),
        ),
        _ => Lit::Other,
    }
}

/// The top-level values of a var file; `None` when it cannot be read.
fn read_values(path: &Path) -> Option<BTreeMap<String, Lit>> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(text).ok()? {
            serde_json::Value::Object(m) => {
                Some(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
            }
            _ => None,
        }
    } else {
        let body = hcl::parse(text).ok()?;
        Some(
            body.attributes()
                .map(|a| (a.key.as_str().to_string(), from_hcl(&a.expr)))
                .collect(),
        )
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The same shape `parity.toml` accepts (`eu-west-1`, `us-gov-west-1`).
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

const ACCOUNT_KEYS: &[&str] = &["account_id", "aws_account_id", "account"];
const REGION_KEYS: &[&str] = &["region", "aws_region"];

/// An account id and region from the environment's variable values (the
/// files Terraform loads by itself in its root, then its var files; with a
/// workspace, the entry of a map keyed by it), else a literal region of
/// `provider "aws"` in its root.
fn find_identity(dir: &Path, e: &mut DetectedEnv) {
    let root = dir.join(&e.root);
    let mut files: Vec<String> = Vec::new();
    for f in entries_or_empty(&root) {
        if !f.is_dir && is_auto_tfvars(&f.name) {
            files.push(join(&[&e.root, &f.name]));
        }
    }
    // terraform.tfvars, terraform.tfvars.json, then *.auto.* in name order.
    files.sort_by_key(|f| !f.ends_with("/terraform.tfvars") && f != "terraform.tfvars");
    files.extend(e.var_files.iter().cloned());
    for file in &files {
        let Some(values) = read_values(&dir.join(file)) else {
            continue;
        };
        let mut scopes: Vec<(String, &BTreeMap<String, Lit>)> = vec![(String::new(), &values)];
        if let Some(ws) = &e.workspace {
            for (k, v) in &values {
                if let Lit::Obj(m) = v {
                    if let Some(Lit::Obj(inner)) = m.get(ws) {
                        scopes.push((format!("{k}[\"{ws}\"]."), inner));
                    }
                }
            }
        }
        for (prefix, scope) in scopes {
            for key in ACCOUNT_KEYS {
                if let Some(Lit::Str(s)) = scope.get(*key) {
                    if is_account_id(s) {
                        e.account_id = Some(Found {
                            value: s.clone(),
                            from: format!("{file} ({prefix}{key})"),
                        });
                    }
                }
            }
            for key in REGION_KEYS {
                if let Some(Lit::Str(s)) = scope.get(*key) {
                    if is_region(s) {
                        e.region = Some(Found {
                            value: s.clone(),
                            from: format!("{file} ({prefix}{key})"),
                        });
                    }
                }
            }
        }
    }
    if e.region.is_none() {
        for f in entries_or_empty(&root) {
            if f.is_dir || !f.name.ends_with(".tf") {
                continue;
            }
            let Some(body) = std::fs::read_to_string(&f.path)
                .ok()
                .and_then(|t| hcl::parse(&t).ok())
            else {
                continue;
            };
            for b in body.blocks() {
                let aws = b.identifier.as_str() == "provider"
                    && b.labels.first().is_some_and(|l| l.as_str() == "aws");
                // An aliased provider may be another region.
                let aliased = b.body.attributes().any(|a| a.key.as_str() == "alias");
                if !aws || aliased {
                    continue;
                }
                for a in b.body.attributes() {
                    if let (hcl::Expression::String(s), "region") = (&a.expr, a.key.as_str()) {
                        if is_region(s) && e.region.is_none() {
                            e.region = Some(Found {
                                value: s.clone(),
                                from: format!("{} (provider \"aws\")", join(&[&e.root, &f.name])),
                            });
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// State files and plans
// ---------------------------------------------------------------------------

/// Where state files and plans are looked for, besides each root.
const STATE_DIRS: &[&str] = &[".", "state", "states", "tfstate", "terraform-state"];

/// The environment a file named `<env>.tfstate`, `<env>-x.tfstate`,
/// `<env>_x.tfstate` or `<env>.x.tfstate` belongs to: the longest name that
/// fits (`prod-eu-cache.tfstate` is `prod-eu`'s when both exist).
fn owner<'a>(file_stem: &str, names: &[&'a str]) -> Option<&'a str> {
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

fn find_state(dir: &Path, envs: &mut [DetectedEnv]) {
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

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
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

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

/// The proposal as a commented parity.toml.
pub fn render(p: &Proposal) -> String {
    let mut o = String::new();
    let names: Vec<&str> = p.environments.iter().map(|e| e.name.as_str()).collect();
    let _ = writeln!(
        o,
        "# parity.toml, written by `parity init` from the layout of this directory:"
    );
    let _ = writeln!(o, "# {}.", p.layout.describe());
    let _ = writeln!(
        o,
        "# Every key is explained in docs/configuration.md of parity. Paths are relative"
    );
    let _ = writeln!(
        o,
        "# to this file's directory. Review it, then run `parity check`."
    );
    let _ = writeln!(o, "#");
    let _ = writeln!(o, "# Found:");
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for e in &p.environments {
        let _ = writeln!(o, "#   {:width$}  {}", e.name, e.evidence);
    }
    if !p.notes.is_empty() {
        let _ = writeln!(o, "#");
        let _ = writeln!(o, "# Notes:");
        for n in &p.notes {
            let _ = writeln!(o, "# - {n}");
        }
    }
    o.push('\n');

    o.push_str(
        "# The lowest severity that fails `parity diff` and `parity check` (exit 2):\n\
         # error, warning, info or never. --fail-on on the command line wins.\n\
         fail-on = \"error\"\n\n",
    );
    o.push_str(
        "# Extra rule files or folders, added to the built-in rule packs:\n\
         # rules = [\"rules/local.toml\"]\n\n",
    );

    o.push_str(
        "# One table per environment; its name is used on the command line\n\
         # (`parity diff A B`) and in reports. Keys of an environment:\n\
         #   aliases     other names of it in names and values (shop-stg-db): they are\n\
         #               normalized to ${env} like the name, so names compare equal\n\
         #   account-id  its AWS account id (12 digits), normalized to ${account} (ARNs)\n\
         #   region      its AWS region, normalized to ${region}\n\
         #   terraform   the code: root (the root module directory), var-files (applied\n\
         #               in order, as -var-file), vars (as -var), workspace (the value\n\
         #               of terraform.workspace), module (read one module call only)\n\
         #   state       what Terraform applied: path or paths (state files, local),\n\
         #               plan (`terraform show -json` of a plan): --source state|plan,\n\
         #               `parity drift`. A missing file makes a run incomplete (exit 3)\n\
         #   aws         the live account, read-only: profile, region, role-arn, tags\n\
         #               (--source live)\n",
    );
    for e in &p.environments {
        o.push('\n');
        let _ = writeln!(o, "[environments.{}]", key(&e.name));
        let others: Vec<String> = synonyms(&e.name)
            .into_iter()
            .filter(|s| !names.contains(s))
            .map(str::to_string)
            .collect();
        let _ = writeln!(o, "# aliases = {}", list(&others));
        match &e.account_id {
            Some(f) => {
                let _ = writeln!(o, "account-id = {}  # from {}", q(&f.value), f.from);
            }
            None => {
                let _ = writeln!(o, "# account-id = \"123456789012\"");
            }
        }
        match &e.region {
            Some(f) => {
                let _ = writeln!(o, "region = {}  # from {}", q(&f.value), f.from);
            }
            None => {
                let _ = writeln!(o, "# region = \"eu-west-1\"");
            }
        }
        let mut tf = vec![format!("root = {}", q(&e.root))];
        if !e.var_files.is_empty() {
            tf.push(format!("var-files = {}", list(&e.var_files)));
        }
        if let Some(ws) = &e.workspace {
            tf.push(format!("workspace = {}", q(ws)));
        }
        let _ = writeln!(o, "terraform = {{ {} }}", tf.join(", "));
        let mut st = Vec::new();
        match e.state.as_slice() {
            [] => {}
            [one] => st.push(format!("path = {}", q(one))),
            many => st.push(format!("paths = {}", list(many))),
        }
        if let Some(plan) = &e.plan {
            st.push(format!("plan = {}", q(plan)));
        }
        if st.is_empty() {
            let _ = writeln!(
                o,
                "# state = {{ path = \"{0}.tfstate\", plan = \"{0}.plan.json\" }}  # none found here",
                e.name
            );
        } else {
            let _ = writeln!(o, "state = {{ {} }}", st.join(", "));
        }
        let _ = writeln!(
            o,
            "# aws = {{ profile = \"{}\", region = \"{}\" }}",
            e.name,
            e.region
                .as_ref()
                .map(|f| f.value.as_str())
                .unwrap_or("eu-west-1")
        );
    }

    o.push('\n');
    match &p.reference {
        Some(reference) => {
            let compared: Vec<String> = p.compared().iter().map(|s| s.to_string()).collect();
            o.push_str(
                "# What `parity check` runs: each environment of `compare` held to\n\
                 # `reference` (the most production-like name found), read from `source`:\n\
                 # code, state, plan or live. Add a [[check]] per pair you want held.\n",
            );
            let _ = writeln!(o, "[[check]]");
            let _ = writeln!(o, "reference = {}", q(reference));
            let _ = writeln!(o, "compare = {}", list(&compared));
            let _ = writeln!(o, "source = \"code\"");
        }
        None => {
            o.push_str(
                "# What `parity check` runs, once there are two environments:\n\
                 # [[check]]\n\
                 # reference = \"prod\"\n\
                 # compare = [\"staging\"]\n\
                 # source = \"code\"\n",
            );
        }
    }
    o.push_str(
        "\n# Resources whose addresses differ between environments, paired by hand:\n\
         # [[match]]\n\
         # staging = \"module.staging_router\"\n\
         # prod = \"module.production_router\"\n\
         \n\
         # Accepted differences, each with a reason (and an owner and end date):\n\
         # [[waiver]]\n\
         # rule = \"engine-version\"\n\
         # resource = \"module.db.aws_db_instance.*\"\n\
         # environments = [\"staging\"]\n\
         # reason = \"staging tries the next minor version first\"\n\
         # owner = \"data-platform\"\n\
         # expires = \"2026-12-31\"\n",
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_environment_names() {
        assert_eq!(prod_rank("prod"), Some(4));
        assert_eq!(prod_rank("Production"), Some(4));
        assert_eq!(prod_rank("prod-eu"), Some(4));
        assert_eq!(prod_rank("eu_prod2"), Some(4));
        assert_eq!(prod_rank("pre-prod"), Some(3));
        assert_eq!(prod_rank("preprod"), Some(3));
        assert_eq!(prod_rank("non-prod-eu"), Some(2));
        assert_eq!(prod_rank("staging"), Some(3));
        assert_eq!(prod_rank("dev"), Some(1));
        assert_eq!(prod_rank("modules"), None);
        assert_eq!(prod_rank("common"), None);
    }

    #[test]
    fn state_files_belong_to_the_longest_name() {
        let names = ["prod", "prod-eu", "staging"];
        assert_eq!(owner("prod", &names), Some("prod"));
        assert_eq!(owner("prod-cache", &names), Some("prod"));
        assert_eq!(owner("prod-eu-cache", &names), Some("prod-eu"));
        assert_eq!(owner("production", &names), None);
        assert_eq!(owner("staging.network", &names), Some("staging"));
    }

    #[test]
    fn toml_strings_and_keys_are_escaped() {
        assert_eq!(q("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(key("prod-eu_1"), "prod-eu_1");
        assert_eq!(key("prod eu"), "\"prod eu\"");
    }

    #[test]
    fn regions_and_account_ids() {
        assert!(is_region("eu-west-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("eu-west"));
        assert!(!is_region("EU-west-1"));
        assert!(is_account_id("011111111111"));
        assert!(!is_account_id("11111111111"));
    }
}
