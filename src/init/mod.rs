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

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::config;

mod detect;
mod names;
mod render;
mod state;
mod values;

pub use detect::detect;
#[allow(unused_imports)]
use detect::*;
pub use names::prod_rank;
#[allow(unused_imports)]
use names::*;
pub use render::render;
pub(crate) use render::{header, key, q};
#[allow(unused_imports)]
use state::*;
#[allow(unused_imports)]
use values::*;

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
*.tf here using terraform.workspace (workspaces from terraform.tfstate.d/ or maps keyed by environment names); \
a CDK app's cdk.out/manifest.json with one Stage or one set of stacks per environment; \
a CloudFormation template with params/<env>.json or parameters/<env>.json; \
Pulumi.yaml with Pulumi.<stack>.yaml; \
terragrunt.hcl units below environment-named directories (a Terragrunt live repository)";

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
    /// A synthesized CDK app, one `Stage` per environment.
    Cdk,
    /// One CloudFormation template, per-environment parameter files.
    CloudFormation,
    /// A Pulumi project (`Pulumi.yaml`) with one `Pulumi.<stack>.yaml` per
    /// stack (src/sources/pulumi/init.rs).
    PulumiStacks,
    Terragrunt,
}

impl Layout {
    pub fn describe(self) -> &'static str {
        match self {
            Layout::EnvDirectories => "one root module per environment directory",
            Layout::TopLevelDirectories => "one root module per top-level environment directory",
            Layout::VarFiles => "one root module with per-environment var files",
            Layout::Workspaces => "one root module with Terraform workspaces",
            Layout::Cdk => "one CDK app with one Stage or one set of stacks per environment (its synthesized cdk.out)",
            Layout::CloudFormation => {
                "one CloudFormation template with per-environment parameter files"
            }
            Layout::PulumiStacks => "a Pulumi project with one stack per environment",
            Layout::Terragrunt => {
                "a Terragrunt live repository with one tree of units per environment"
            }
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

/// The code source of an environment found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Code {
    /// A Terraform root module (`root`, `var_files`, `workspace`).
    #[default]
    Terraform,
    /// `cloudformation = { template, parameters }`.
    CloudFormation {
        template: String,
        parameters: String,
    },
    /// `cdk = { out, stage }`.
    Cdk { out: String, stage: String },
    /// A CDK app's top-level stacks of one environment (no stages).
    CdkStacks { out: String, stacks: Vec<String> },
}

/// One environment found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedEnv {
    pub name: String,
    /// Its code source; the Terraform fields below are unused for the
    /// others.
    pub code: Code,
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
    /// A Pulumi stack's files, for [`Layout::PulumiStacks`].
    pub pulumi: Option<PulumiFound>,
    /// For a Terragrunt tree: the names its `.hcl` files read with
    /// `get_env`, each with the value `init` knows (`None`: the user's to
    /// give), and why the known ones have it.
    pub env: Vec<(String, Option<String>)>,
    pub env_why: Option<String>,
}

/// The files of one Pulumi stack, relative to the configuration's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulumiFound {
    /// `Pulumi.<stack>.yaml`.
    pub config: String,
    pub stack_export: Option<String>,
    pub preview: Option<String>,
    /// The project is a Pulumi YAML program (`runtime: yaml`), read as code.
    pub yaml_program: bool,
}

/// An environment found with nothing but its name, root and evidence.
pub(crate) fn env_named(name: &str, root: String, evidence: String) -> DetectedEnv {
    detect::env(name, root, evidence)
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
    let proposal = match crate::sources::pulumi::init::propose(&dir)
        .or_else(|| crate::sources::terragrunt::init::propose(&dir))
    {
        Some(p) => p,
        None => detect(&dir)?,
    };
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

#[cfg(test)]
mod tests;
