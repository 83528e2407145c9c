//! The pipeline behind the commands: resolve environments (parity.toml or
//! conventions), read each with its source, normalize, pair, judge, waive,
//! report. Everything here is a pure function of its inputs but the reading.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::error::Error;
use crate::findings::Category;
use crate::matching::{self, PrefixMatch};
use crate::model::{InlineIgnore, Snapshot, SourceKind};
use crate::normalize::Normalizer;
use crate::report::Report;
use crate::rules::engine::Engine;
use crate::rules::packs;
use crate::rules::Rule;
use crate::sources::snapshot::{self, Identity};
use crate::sources::terraform;
use crate::waivers;

/// Where one environment's input is.
#[derive(Debug, Clone)]
pub enum EnvInput {
    /// Terraform code; `module` scopes the environment to one module call
    /// of the root (environments as module instances in one root).
    Terraform(terraform::Options, Option<String>),
    SnapshotFile(PathBuf),
}

/// One resolved environment.
#[derive(Debug, Clone)]
pub struct EnvSpec {
    pub name: String,
    pub identity: Identity,
    pub input: EnvInput,
}

/// Options of one comparison.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub source: SourceKind,
    /// Only these categories (all when empty).
    pub categories: Vec<Category>,
}

/// A loaded configuration (or none) and the rules in force.
pub struct Session {
    pub config: Option<Config>,
    /// Paths are shown relative to this: the config's directory, or the
    /// working directory without one.
    pub base: PathBuf,
    pub cwd: PathBuf,
    pub rules: Vec<Rule>,
}

impl Session {
    /// `config_path`: `-C` (a file, or a directory holding parity.toml);
    /// without it, `./parity.toml` when present.
    pub fn open(config_path: Option<&Path>, cwd: &Path) -> Result<Session, Error> {
        let config = match config::locate(config_path, cwd) {
            Some(path) => Some(config::load(&path)?),
            None => None,
        };
        let base = config
            .as_ref()
            .map(|c| c.dir.clone())
            .unwrap_or_else(|| cwd.to_path_buf());
        let mut rules = packs::builtin()?;
        if let Some(c) = &config {
            if !c.rules.is_empty() {
                rules = packs::merge(rules, packs::load_paths(&c.rules)?);
            }
        }
        Ok(Session {
            config,
            base,
            cwd: cwd.to_path_buf(),
            rules,
        })
    }

    /// Resolve an ENV argument: a name in parity.toml (or an alias), a
    /// snapshot file, or a name found by convention.
    pub fn env(&self, name: &str) -> Result<EnvSpec, Error> {
        let as_path = self.cwd.join(name);
        if name.ends_with(".json") && as_path.is_file() {
            return Ok(EnvSpec {
                name: name.to_string(),
                identity: Identity::default(),
                input: EnvInput::SnapshotFile(as_path),
            });
        }
        if let Some(config) = &self.config {
            let Some(env) = config.environment(name) else {
                let known: Vec<&str> = config.environments.keys().map(String::as_str).collect();
                return Err(Error::UnknownEnvironment(format!(
                    "unknown environment `{name}`: {} defines {}",
                    config.path.display(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            };
            let Some(tf) = &env.terraform else {
                return Err(Error::UnknownEnvironment(format!(
                    "environment `{}` has no `terraform` source in {}",
                    env.name,
                    config.path.display()
                )));
            };
            return Ok(EnvSpec {
                name: env.name.clone(),
                identity: Identity {
                    aliases: env.aliases.clone(),
                    account_id: env.account_id.clone(),
                    region: env
                        .region
                        .clone()
                        .or_else(|| env.aws.as_ref().and_then(|a| a.region.clone())),
                },
                input: EnvInput::Terraform(terraform::Options {
                    environment: env.name.clone(),
                    root: tf.root.clone(),
                    base: self.base.clone(),
                    var_files: tf.var_files.clone(),
                    vars: tf.vars.clone(),
                    workspace: tf.workspace.clone(),
                }, tf.module.clone()),
            });
        }
        self.env_by_convention(name)
    }

    fn env_by_convention(&self, name: &str) -> Result<EnvSpec, Error> {
        let spec = |env: &str, root: PathBuf, var_files: Vec<PathBuf>| EnvSpec {
            name: env.to_string(),
            identity: Identity::default(),
            input: EnvInput::Terraform(terraform::Options {
                environment: env.to_string(),
                root,
                base: self.base.clone(),
                var_files,
                vars: BTreeMap::new(),
                workspace: "default".into(),
            }, None),
        };
        let direct = self.cwd.join(name);
        if direct.is_dir() {
            let env = direct
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.to_string());
            return Ok(spec(&env, direct, Vec::new()));
        }
        for dir in ["envs", "environments", "env"] {
            let root = self.cwd.join(dir).join(name);
            if root.is_dir() {
                return Ok(spec(name, root, Vec::new()));
            }
        }
        for file in [format!("{name}.tfvars"), format!("env/{name}.tfvars")] {
            let p = self.cwd.join(&file);
            if p.is_file() {
                return Ok(spec(name, self.cwd.clone(), vec![p]));
            }
        }
        let vdir = self.cwd.join("variables").join(name);
        if vdir.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&vdir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|e| e == "tfvars"))
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            if !files.is_empty() {
                return Ok(spec(name, self.cwd.clone(), files));
            }
        }
        Err(Error::UnknownEnvironment(format!(
            "unknown environment `{name}`: no parity.toml in {} and none of {name}/, envs/{name}/, environments/{name}/, env/{name}/, {name}.tfvars, env/{name}.tfvars, variables/{name}/*.tfvars exists there",
            self.cwd.display()
        )))
    }

    /// Read one environment, not yet normalized.
    pub fn snapshot(
        &self,
        spec: &EnvSpec,
        source: SourceKind,
    ) -> Result<(Snapshot, Identity), Error> {
        match &spec.input {
            EnvInput::SnapshotFile(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::Snapshot(format!("cannot read {shown}: {e}")))?;
                snapshot::from_json(&text, &shown).map_err(Error::Snapshot)
            }
            EnvInput::Terraform(opts, module) => {
                if source != SourceKind::Code {
                    return Err(Error::Unsupported(format!(
                        "--source {source} is not available yet: this build reads Terraform code (--source code) and snapshot files"
                    )));
                }
                let mut snap = terraform::load(opts).map_err(|source| Error::Terraform {
                    env: spec.name.clone(),
                    source,
                })?;
                if let Some(module) = module {
                    scope_to_module(&mut snap, module).map_err(|m| {
                        Error::UnknownEnvironment(format!("environment `{}`: {m}", spec.name))
                    })?;
                }
                Ok((snap, spec.identity.clone()))
            }
        }
    }

    /// Compare two environments.
    pub fn diff(&self, left: &str, right: &str, opts: &DiffOptions) -> Result<Report, Error> {
        let a = self.env(left)?;
        let b = self.env(right)?;
        let (mut sa, ia) = self.snapshot(&a, opts.source)?;
        let (mut sb, ib) = self.snapshot(&b, opts.source)?;
        let (na, nb) = (sa.environment.clone(), sb.environment.clone());
        normalizer(&na, &ia).apply(&mut sa);
        normalizer(&nb, &ib).apply(&mut sb);
        let source = if sa.source == sb.source {
            sa.source.to_string()
        } else {
            format!("{}/{}", sa.source, sb.source)
        };
        Ok(self.compare(&sa, &sb, &source, opts))
    }

    /// Judge two normalized snapshots.
    pub fn compare(
        &self,
        sa: &Snapshot,
        sb: &Snapshot,
        source: &str,
        opts: &DiffOptions,
    ) -> Report {
        let (na, nb) = (sa.environment.as_str(), sb.environment.as_str());
        let prefixes: Vec<PrefixMatch> = self
            .config
            .iter()
            .flat_map(|c| c.matches.iter())
            .filter_map(|m| {
                Some(PrefixMatch {
                    left: m.addresses.get(na)?.clone(),
                    right: m.addresses.get(nb)?.clone(),
                })
            })
            .collect();
        let pairs = matching::pair(sa, sb, &prefixes);
        let engine = Engine::new(&self.rules);
        let outcome = engine.run(&pairs, na, nb);
        let mut findings = outcome.findings;

        let mut inline: BTreeMap<String, Vec<InlineIgnore>> = BTreeMap::new();
        for r in sa.all().chain(sb.all()) {
            if !r.ignores.is_empty() {
                inline
                    .entry(r.key.clone())
                    .or_default()
                    .extend(r.ignores.iter().cloned());
            }
        }
        let (waiver_list, config_file) = match &self.config {
            Some(c) => (
                c.waivers.clone(),
                crate::sources::terraform::files::display(&self.base, &c.path),
            ),
            None => (Vec::new(), String::new()),
        };
        waivers::apply(
            &mut findings,
            &waiver_list,
            &config_file,
            [na, nb],
            &inline,
            &waivers::today(),
        );
        if !opts.categories.is_empty() {
            findings.retain(|f| opts.categories.contains(&f.category));
        }
        let mut incomplete: Vec<String> = Vec::new();
        for s in [sa, sb] {
            for gap in &s.coverage {
                incomplete.push(format!("{}: {}: {}", s.environment, gap.what, gap.reason));
            }
        }
        Report::new(
            [na, nb],
            source,
            findings,
            outcome.compared_resources,
            outcome.compared_attributes,
            incomplete,
        )
    }
}

/// Keep only what lives inside one module call of the root, with the
/// call's prefix removed, so `module.staging_config.aws_x.y` and
/// `module.prod_config.aws_x.y` pair as `aws_x.y`.
pub fn scope_to_module(snap: &mut Snapshot, module: &str) -> Result<(), String> {
    let call = if module.starts_with("module.") {
        module.to_string()
    } else {
        format!("module.{module}")
    };
    let strip = |address: &str| -> Option<String> {
        let rest = address.strip_prefix(&call)?;
        if let Some(inner) = rest.strip_prefix('.') {
            return Some(inner.to_string());
        }
        // An instance of a counted module call: keep its key visible.
        if rest.starts_with('[') {
            return Some(rest.to_string());
        }
        None
    };
    let before = snap.resources.len();
    snap.resources.retain_mut(|r| match strip(&r.address) {
        Some(inner) => {
            r.address = inner.clone();
            r.key = inner;
            true
        }
        None => false,
    });
    let has_call = snap.dependencies.iter().any(|d| d.address == call);
    snap.dependencies.retain_mut(|d| {
        if d.rtype != "module_call" {
            return true;
        }
        match strip(&d.address) {
            Some(inner) => {
                d.address = inner.clone();
                d.key = inner;
                true
            }
            // The call itself: its source and version are the env's code.
            None if d.address == call => {
                d.address = "module".into();
                d.key = "module".into();
                true
            }
            None => false,
        }
    });
    snap.coverage
        .retain(|g| !g.what.starts_with("module.") || strip(&g.what).is_some() || g.what == call);
    if !has_call {
        return Err(format!(
            "`module = \"{module}\"`: the root module has no call `{call}` ({before} resources read)"
        ));
    }
    Ok(())
}

pub fn normalizer(name: &str, id: &Identity) -> Normalizer {
    Normalizer::new(
        name,
        &id.aliases,
        id.account_id.as_deref(),
        id.region.as_deref(),
    )
}
