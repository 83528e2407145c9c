//! The pipeline behind the commands: resolve environments (parity.toml or
//! conventions), read each with its source, normalize, pair, judge, waive,
//! report. Everything here is a pure function of its inputs but the reading.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::{self, Config};
use crate::error::Error;
use crate::findings::{Between, Category, Finding, Label};
use crate::matching::{self, PrefixMatch};
use crate::model::{InlineIgnore, Snapshot, SourceKind};
use crate::normalize::Normalizer;
use crate::report::{LiveUsage, Report};
use crate::rules::engine::{Engine, EngineOptions};
use crate::rules::packs;
use crate::rules::Rule;
use crate::sources::snapshot::{self, Identity};
use crate::sources::state;
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
    /// The state files and plan (`state = { ... }` in parity.toml).
    pub state: Option<state::Options>,
    /// Why the environment has no code source, when it has none: it is then
    /// read from state or plan only, and `input` is a placeholder.
    pub no_code: Option<String>,
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
    /// `base` relative to the root of the git work tree holding it (`infra`
    /// for `infra/parity.toml`), with `/` separators; empty at the root or
    /// outside a work tree. SARIF, GitHub annotations and JUnit put it in
    /// front of report paths, which code scanning resolves from the root.
    pub repo_prefix: String,
    pub rules: Vec<Rule>,
    /// Draw a progress bar on stderr while reading AWS. Default: whether
    /// stderr is a terminal (never drawn otherwise); `-q` turns it off.
    pub progress: bool,
    /// What this session's live reads found beside their snapshots (API
    /// usage, unmanaged and missing resources), for the reports judging them.
    live_reads: Mutex<Vec<LiveRead>>,
}

/// One environment's live read, beside its snapshot.
#[derive(Debug, Clone, Default)]
struct LiveRead {
    env: String,
    usage: LiveUsage,
    /// Normalized keys of live resources the state has no address for.
    unmanaged: BTreeSet<String>,
    /// Normalized keys of state resources the read covers and did not find.
    missing: BTreeSet<String>,
}

/// `dir` relative to the root of the git work tree that holds it (the
/// nearest ancestor with a `.git` directory or file), `/`-separated; empty
/// when `dir` is that root or in no work tree.
pub fn repo_prefix(dir: &Path) -> String {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return String::new();
    };
    for root in dir.ancestors() {
        if root.join(".git").exists() {
            return dir
                .strip_prefix(root)
                .map(|rel| {
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .unwrap_or_default();
        }
    }
    String::new()
}

impl Session {
    /// `config_path`: `-C` (a file, or a directory holding parity.toml);
    /// without it, `./parity.toml` when present.
    pub fn open(config_path: Option<&Path>, cwd: &Path) -> Result<Session, Error> {
        let stage = crate::logging::Stage::start("config");
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
        match &config {
            Some(c) => stage.done(format_args!(
                "{}, {} environments, {} rules",
                c.path.display(),
                c.environments.len(),
                rules.len()
            )),
            None => stage.done(format_args!(
                "no parity.toml (environments by convention), {} rules",
                rules.len()
            )),
        }
        let repo_prefix = repo_prefix(&base);
        Ok(Session {
            config,
            repo_prefix,
            base,
            cwd: cwd.to_path_buf(),
            rules,
            progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            live_reads: Mutex::default(),
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
                state: None,
                no_code: None,
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
            let state = env.state.as_ref().map(|st| state::Options {
                environment: env.name.clone(),
                base: self.base.clone(),
                paths: st.paths.clone(),
                plan: st.plan.clone(),
            });
            let no_code = env.terraform.is_none().then(|| {
                format!(
                    "environment `{}` has no `terraform` source in {}",
                    env.name,
                    config.path.display()
                )
            });
            if no_code.is_some() && state.is_none() && env.aws.is_none() {
                return Err(Error::UnknownEnvironment(format!(
                    "environment `{}` has neither a `terraform`, a `state` nor an `aws` source in {}",
                    env.name,
                    config.path.display()
                )));
            }
            let (root, var_files, vars, workspace, module) = match &env.terraform {
                Some(tf) => (
                    tf.root.clone(),
                    tf.var_files.clone(),
                    tf.vars.clone(),
                    tf.workspace.clone(),
                    tf.module.clone(),
                ),
                None => (
                    self.base.clone(),
                    Vec::new(),
                    crate::model::Map::new(),
                    "default".to_string(),
                    None,
                ),
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
                input: EnvInput::Terraform(
                    terraform::Options {
                        environment: env.name.clone(),
                        root,
                        base: self.base.clone(),
                        var_files,
                        vars,
                        workspace,
                    },
                    module,
                ),
                state,
                no_code,
            });
        }
        self.env_by_convention(name)
    }

    fn env_by_convention(&self, name: &str) -> Result<EnvSpec, Error> {
        let spec = |env: &str, root: PathBuf, var_files: Vec<PathBuf>| EnvSpec {
            name: env.to_string(),
            identity: Identity::default(),
            input: EnvInput::Terraform(
                terraform::Options {
                    environment: env.to_string(),
                    root,
                    base: self.base.clone(),
                    var_files,
                    vars: crate::model::Map::new(),
                    workspace: "default".into(),
                },
                None,
            ),
            state: None,
            no_code: None,
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
        // Timed until it returns, whichever way (verbose mode).
        let _stage = crate::logging::Stage::start(format!("read {} ({source})", spec.name));
        match &spec.input {
            // Paths only: inline `vars` may hold secrets.
            EnvInput::Terraform(o, module) => tracing::debug!(
                "{}: root {}, var files {:?}, workspace {}, module {:?}",
                spec.name,
                o.root.display(),
                o.var_files,
                o.workspace,
                module
            ),
            EnvInput::SnapshotFile(p) => {
                tracing::debug!("{}: snapshot file {}", spec.name, p.display())
            }
        }
        match &spec.input {
            EnvInput::SnapshotFile(path) => {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::Snapshot(format!("cannot read {shown}: {e}")))?;
                snapshot::from_json(&text, &shown).map_err(Error::Snapshot)
            }
            EnvInput::Terraform(opts, module) => {
                let mut snap = match source {
                    SourceKind::Code => {
                        if let Some(why) = &spec.no_code {
                            return Err(Error::UnknownEnvironment(format!(
                                "{why}: use --source state or --source plan"
                            )));
                        }
                        terraform::load(opts).map_err(|source| Error::Terraform {
                            env: spec.name.clone(),
                            source,
                        })?
                    }
                    SourceKind::State | SourceKind::Plan => {
                        let no_state = state::Options {
                            environment: spec.name.clone(),
                            base: self.base.clone(),
                            paths: Vec::new(),
                            plan: None,
                        };
                        let st = spec.state.as_ref().unwrap_or(&no_state);
                        // `s3://` state is read with the environment's `aws` table.
                        let access = self
                            .config
                            .as_ref()
                            .and_then(|c| c.environment(&spec.name))
                            .map(state::s3::Access::from_environment)
                            .unwrap_or_default();
                        let loaded = if source == SourceKind::State {
                            state::load_state_with(st, &access)
                        } else {
                            state::load_plan_with(st, &access)
                        };
                        loaded.map_err(|e| state_error(&spec.name, e))?
                    }
                    SourceKind::Live => return self.live(spec),
                };
                if let Some(module) = module {
                    let scoped = if source == SourceKind::Code {
                        scope_to_module(&mut snap, module)
                    } else {
                        scope_state_to_module(&mut snap, module)
                    };
                    scoped.map_err(|m| {
                        Error::UnknownEnvironment(format!("environment `{}`: {m}", spec.name))
                    })?;
                }
                Ok((snap, spec.identity.clone()))
            }
        }
    }

    /// Read one environment from its AWS account (the `aws` table), keyed
    /// by the addresses its state gives the same ids when it has state.
    /// What the read found beside the snapshot (API usage, unmanaged and
    /// missing resources) is kept for the report that judges it.
    #[cfg(feature = "aws")]
    fn live(&self, spec: &EnvSpec) -> Result<(Snapshot, Identity), Error> {
        let state = match &spec.state {
            Some(st) if !st.paths.is_empty() => Some(self.snapshot(spec, SourceKind::State)?.0),
            _ => None,
        };
        let (snap, identity, read) = self.live_read(spec, state.as_ref())?;
        let mut reads = self.live_reads.lock().unwrap_or_else(|p| p.into_inner());
        reads.retain(|r| r.env != read.env);
        reads.push(read);
        Ok((snap, identity))
    }

    /// Read one environment from AWS; with its `state` (as read, not
    /// normalized), give live resources the state's addresses and find what
    /// is unmanaged and missing.
    #[cfg(feature = "aws")]
    fn live_read(
        &self,
        spec: &EnvSpec,
        state: Option<&Snapshot>,
    ) -> Result<(Snapshot, Identity, LiveRead), Error> {
        use crate::sources::aws;
        let env = self
            .config
            .as_ref()
            .and_then(|c| c.environment(&spec.name))
            .ok_or_else(|| {
                Error::UnknownEnvironment(format!(
                    "environment `{}`: --source live needs an `aws` table for it in parity.toml",
                    spec.name
                ))
            })?;
        let mut settings = aws::AwsSettings::from_environment(env).ok_or_else(|| {
            Error::UnknownEnvironment(format!(
                "environment `{}` has no `aws` table in parity.toml (profile, region, role-arn, endpoint-url, tags)",
                spec.name
            ))
        })?;
        settings.progress = self.progress;
        let (mut snap, stats) = aws::collect_with_stats(&spec.name, &settings)
            .map_err(|e| Error::Live(e.to_string()))?;
        let mut identity = spec.identity.clone();
        if identity.account_id.is_none() && !stats.account_id.is_empty() {
            identity.account_id = Some(stats.account_id.clone());
        }
        let usage = live_usage(&spec.name, &stats);
        tracing::info!("read {} from AWS: {}", spec.name, usage.describe());
        let mut read = LiveRead {
            env: spec.name.clone(),
            usage,
            ..LiveRead::default()
        };
        // With state, live objects take the address state gives their id;
        // the rest is unmanaged, and what state has that the read covers
        // but did not find is missing.
        if let Some(state) = state {
            let n = normalizer(&spec.name, &identity);
            let moved = aws::readdress(&mut snap, &aws::state_index(state));
            read.unmanaged = moved.unmanaged.iter().map(|k| n.string(k)).collect();
            let found: BTreeSet<&str> = snap.resources.iter().map(|r| r.address.as_str()).collect();
            read.missing = aws::live_scope(&settings, state, &snap.coverage)
                .into_iter()
                .filter(|a| !found.contains(a.as_str()))
                .map(|a| n.string(&a))
                .collect();
            tracing::info!(
                "{}: {} live resources at their state address, {} unmanaged, {} missing",
                spec.name,
                moved.matched,
                read.unmanaged.len(),
                read.missing.len()
            );
        }
        Ok((snap, identity, read))
    }

    #[cfg(not(feature = "aws"))]
    fn live(&self, _spec: &EnvSpec) -> Result<(Snapshot, Identity), Error> {
        Err(Error::Unsupported(
            "--source live needs parity built with the `aws` feature (it is on by default)".into(),
        ))
    }

    /// Compare two environments.
    pub fn diff(&self, left: &str, right: &str, opts: &DiffOptions) -> Result<Report, Error> {
        let a = self.env(left)?;
        let b = self.env(right)?;
        let (mut sa, ia) = self.snapshot(&a, opts.source)?;
        let (mut sb, ib) = self.snapshot(&b, opts.source)?;
        let (na, nb) = (sa.environment.clone(), sb.environment.clone());
        let stage = crate::logging::Stage::start("normalize");
        normalizer(&na, &ia).apply(&mut sa);
        normalizer(&nb, &ib).apply(&mut sb);
        stage.done(format_args!(
            "{na} {} resources, {nb} {} resources",
            sa.resources.len(),
            sb.resources.len()
        ));
        for s in [&sa, &sb] {
            tracing::debug!(
                "{}: {} resources, {} dependencies, unread inputs: {}",
                s.environment,
                s.resources.len(),
                s.dependencies.len(),
                s.coverage.len()
            );
        }
        let source = if sa.source == sb.source {
            sa.source.to_string()
        } else {
            format!("{}/{}", sa.source, sb.source)
        };
        let report = self.compare(&sa, &sb, &source, opts);
        // Snapshots of code were built on the evaluation pool: kept until
        // exit in the CLI, otherwise freed there, in the background, and not
        // from this thread (docs/benchmarks.md).
        if opts.source == SourceKind::Code {
            crate::sources::terraform::release_snapshots([sa, sb]);
        }
        Ok(report)
    }

    /// Judge two normalized snapshots.
    pub fn compare(
        &self,
        sa: &Snapshot,
        sb: &Snapshot,
        source: &str,
        opts: &DiffOptions,
    ) -> Report {
        let names = [sa.environment.as_str(), sb.environment.as_str()];
        let stage = crate::logging::Stage::start("match+judge");
        let report = self.judge(
            sa,
            sb,
            source,
            opts,
            &self.rules,
            EngineOptions::default(),
            names,
        );
        stage.done(format_args!(
            "{} resources, {} attributes compared, {} findings",
            report.summary.compared_resources,
            report.summary.compared_attributes,
            report.findings.len()
        ));
        report
    }

    /// Drift of one environment: its code against its state and, when it
    /// has an `aws` table, both against what runs in its account (three-way;
    /// see [`Session::drift_with`]). The report names the sides `<env>
    /// (code)`, `<env> (state)` and `<env> (live)`; its source is `drift`;
    /// each finding says which two it is between.
    pub fn drift(&self, env: &str, categories: &[Category]) -> Result<Report, Error> {
        self.drift_with(env, categories, true)
    }

    /// Code against state: attributes whose recorded value differs from the
    /// code's, resources in code but not in state (not applied) and in
    /// state but not in code (removed from code, not yet destroyed).
    ///
    /// With `live` and an `aws` table, also state against live (attributes
    /// changed outside Terraform; live resources the state does not know,
    /// `unmanaged`; state resources gone from the account, `missing`) and
    /// code against live for the unmanaged resources the code declares.
    /// Otherwise the report says it is two-way (`summary.notes`).
    pub fn drift_with(
        &self,
        env: &str,
        categories: &[Category],
        live: bool,
    ) -> Result<Report, Error> {
        let spec = self.env(env)?;
        if matches!(spec.input, EnvInput::SnapshotFile(_)) {
            return Err(Error::Unsupported(format!(
                "`parity drift` needs an environment of parity.toml with code and state, not the snapshot file {env}"
            )));
        }
        if spec.state.as_ref().is_none_or(|s| s.paths.is_empty()) {
            return Err(state_error(
                &spec.name,
                state::StateError::NoState {
                    env: spec.name.clone(),
                },
            ));
        }
        let (mut code, mut identity) = self.snapshot(&spec, SourceKind::Code)?;
        let (mut recorded, _) = self.snapshot(&spec, SourceKind::State)?;
        let config = self.config.as_ref();
        let has_aws = config
            .and_then(|c| c.environment(&spec.name))
            .is_some_and(|e| e.aws.is_some());
        let mut notes = Vec::new();
        let mut from_aws: Option<(Snapshot, LiveRead)> = None;
        if has_aws && live {
            match self.drift_live(&spec, &recorded)? {
                Ok((snap, id, read)) => {
                    identity = id;
                    from_aws = Some((snap, read));
                }
                Err(note) => notes.push(note),
            }
        } else if has_aws {
            notes.push(format!(
                "two-way drift (code and state): --no-live leaves the AWS account of `{}` out",
                spec.name
            ));
        } else {
            notes.push(format!(
                "two-way drift (code and state): environment `{}` has no `aws` table{}, so its AWS account is not read",
                spec.name,
                config
                    .map(|c| format!(" in {}", terraform::files::display(&self.base, &c.path)))
                    .unwrap_or_default()
            ));
        }
        let n = normalizer(&spec.name, &identity);
        n.apply(&mut code);
        n.apply(&mut recorded);
        let state_view = from_aws.as_ref().map(|_| recorded.clone());
        state::drift::prepare(&mut code, &mut recorded);
        let code_env = format!("{} (code)", spec.name);
        let state_env = format!("{} (state)", spec.name);
        let live_env = format!("{} (live)", spec.name);
        code.environment = code_env.clone();
        recorded.environment = state_env.clone();
        let opts = DiffOptions {
            source: SourceKind::State,
            categories: categories.to_vec(),
        };
        let rules = state::drift::rules(&self.rules);
        let intent = EngineOptions {
            left_is_intent: true,
        };
        let names = [spec.name.as_str(), spec.name.as_str()];
        let mut report = self.judge(&code, &recorded, "drift", &opts, &rules, intent, names);
        between(&mut report, Between::CodeState);
        if let (Some((mut live_snap, read)), Some(mut state_view)) = (from_aws, state_view) {
            n.apply(&mut live_snap);
            live_snap.environment = live_env.clone();
            state_view.environment = state_env.clone();
            let halves = state::drift::live_halves(
                &code,
                &state_view,
                &live_snap,
                &read.unmanaged,
                &read.missing,
            );
            let presence = state::drift::presence_findings(&halves, &rules, &state_env, &live_env);
            let mut state_live = self.judge_with(
                &halves.state,
                &halves.live,
                "drift",
                &opts,
                &rules,
                EngineOptions::default(),
                names,
                presence,
            );
            between(&mut state_live, Between::StateLive);
            let mut code_live = self.judge(
                &halves.code,
                &halves.code_live,
                "drift",
                &opts,
                &rules,
                intent,
                names,
            );
            between(&mut code_live, Between::CodeLive);
            report = merge(
                [code_env.as_str(), state_env.as_str(), live_env.as_str()],
                vec![report, state_live, code_live],
            );
            report.summary.live.push(read.usage);
        }
        report.summary.notes = notes;
        Ok(report)
    }

    /// The live read of a three-way drift, or why there is none.
    #[cfg(feature = "aws")]
    #[allow(clippy::type_complexity)]
    fn drift_live(
        &self,
        spec: &EnvSpec,
        state: &Snapshot,
    ) -> Result<Result<(Snapshot, Identity, LiveRead), String>, Error> {
        self.live_read(spec, Some(state)).map(Ok)
    }

    #[cfg(not(feature = "aws"))]
    #[allow(clippy::type_complexity)]
    fn drift_live(
        &self,
        spec: &EnvSpec,
        _state: &Snapshot,
    ) -> Result<Result<(Snapshot, Identity, LiveRead), String>, Error> {
        Ok(Err(format!(
            "two-way drift (code and state): environment `{}` has an `aws` table, but this parity was built without the `aws` feature",
            spec.name
        )))
    }

    /// Pair, judge, waive and report. `waiver_envs` are the environment
    /// names waivers are matched against (drift reports `staging (code)`
    /// but a waiver names `staging`).
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &self,
        sa: &Snapshot,
        sb: &Snapshot,
        source: &str,
        opts: &DiffOptions,
        rules: &[Rule],
        engine_options: EngineOptions,
        waiver_envs: [&str; 2],
    ) -> Report {
        self.judge_with(
            sa,
            sb,
            source,
            opts,
            rules,
            engine_options,
            waiver_envs,
            Vec::new(),
        )
    }

    /// [`Session::judge`], with findings made elsewhere (`extra`) waived,
    /// filtered and reported with the engine's. A side read live gets the
    /// `unmanaged` / `missing` labels its read found, and its API usage.
    #[allow(clippy::too_many_arguments)]
    fn judge_with(
        &self,
        sa: &Snapshot,
        sb: &Snapshot,
        source: &str,
        opts: &DiffOptions,
        rules: &[Rule],
        engine_options: EngineOptions,
        waiver_envs: [&str; 2],
        extra: Vec<Finding>,
    ) -> Report {
        let (na, nb) = (sa.environment.as_str(), sb.environment.as_str());
        let prefixes: Vec<PrefixMatch> = self
            .config
            .iter()
            .flat_map(|c| c.matches.iter())
            .filter_map(|m| {
                Some(PrefixMatch {
                    left: m.addresses.get(waiver_envs[0])?.clone(),
                    right: m.addresses.get(waiver_envs[1])?.clone(),
                })
            })
            .filter(|m| m.left != m.right)
            .collect();
        let pairs = matching::pair(sa, sb, &prefixes);
        let engine = Engine::new(rules).with_options(engine_options);
        let outcome = engine.run(&pairs, na, nb);
        let mut findings = outcome.findings;
        findings.extend(extra);
        let reads: Vec<LiveRead> = {
            let all = self.live_reads.lock().unwrap_or_else(|p| p.into_inner());
            [sa, sb]
                .iter()
                .filter(|s| s.source == SourceKind::Live)
                .filter_map(|s| all.iter().find(|r| r.env == s.environment).cloned())
                .collect()
        };
        label_live(&mut findings, sa, sb, &reads);

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
            waiver_envs,
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
        let mut report = Report::new(
            [na, nb],
            source,
            findings,
            outcome.compared_resources,
            outcome.compared_attributes,
            incomplete,
        );
        report.summary.live = reads.into_iter().map(|r| r.usage).collect();
        report
    }
}

/// Mark every finding of a drift comparison with the sources it is between.
fn between(report: &mut Report, pair: Between) {
    for f in &mut report.findings {
        f.between.get_or_insert(pair);
    }
}

/// One report of the comparisons of a three-way drift: findings, counts and
/// gaps (each once) together, the three sides as its environments.
fn merge(sides: [&str; 3], reports: Vec<Report>) -> Report {
    let mut findings = Vec::new();
    let (mut resources, mut attributes) = (0, 0);
    let mut incomplete: Vec<String> = Vec::new();
    for r in reports {
        resources += r.summary.compared_resources;
        attributes += r.summary.compared_attributes;
        for gap in r.summary.incomplete {
            if !incomplete.contains(&gap) {
                incomplete.push(gap);
            }
        }
        findings.extend(r.findings);
    }
    let mut report = Report::new(
        [sides[0], sides[1]],
        "drift",
        findings,
        resources,
        attributes,
        incomplete,
    );
    report.environments = sides.iter().map(|s| s.to_string()).collect();
    report
}

/// In a comparison of live reads: a resource on one side only that its
/// side's read found outside the state is `unmanaged`; one absent from a
/// side whose state has it (and whose read covers it) is `missing`. A
/// count finding (`@count`, the instances of one address folded) names its
/// instances that are either, and takes the label when all of the
/// instances on one side only are the same one.
fn label_live(findings: &mut [Finding], sa: &Snapshot, sb: &Snapshot, reads: &[LiveRead]) {
    if reads.is_empty() {
        return;
    }
    for f in findings
        .iter_mut()
        .filter(|f| f.attribute.as_deref() == Some("@count"))
    {
        label_count(f, sa, sb, reads);
    }
    for f in findings.iter_mut().filter(|f| f.attribute.is_none()) {
        for (snap, present) in [(sa, f.left.is_some()), (sb, f.right.is_some())] {
            let Some(read) = reads.iter().find(|r| r.env == snap.environment) else {
                continue;
            };
            let env = &snap.environment;
            if present && read.unmanaged.contains(&f.resource) {
                f.label = Some(Label::Unmanaged);
                f.message
                    .push_str(&format!("; unmanaged: {}", unmanaged_why(env)));
            } else if !present && read.missing.contains(&f.resource) {
                f.label = Some(Label::Missing);
                f.message
                    .push_str(&format!("; missing: {}", missing_why(env)));
            }
        }
    }
}

fn unmanaged_why(env: &str) -> String {
    format!("live in {env} but not in its state")
}

fn missing_why(env: &str) -> String {
    format!("in the state of {env} but not in its AWS account")
}

/// [`label_live`] for one `@count` finding.
fn label_count(f: &mut Finding, sa: &Snapshot, sb: &Snapshot, reads: &[LiveRead]) {
    use crate::rules::engine::base_of;
    let base = f.resource.as_str();
    let instances = |s: &Snapshot| -> BTreeSet<String> {
        s.resources
            .iter()
            .map(|r| r.key.as_str())
            .filter(|k| *k != base && base_of(k) == base)
            .map(str::to_string)
            .collect()
    };
    let (ia, ib) = (instances(sa), instances(sb));
    let one_side = ia.symmetric_difference(&ib).count();
    let (mut unmanaged, mut missing) = (Vec::new(), Vec::new());
    for (snap, mine, other) in [(sa, &ia, &ib), (sb, &ib, &ia)] {
        let Some(read) = reads.iter().find(|r| r.env == snap.environment) else {
            continue;
        };
        let env = snap.environment.as_str();
        for k in mine.difference(other) {
            if read.unmanaged.contains(k) {
                unmanaged.push(format!("{k} ({})", unmanaged_why(env)));
            }
        }
        for k in other.difference(mine) {
            if read.missing.contains(k) {
                missing.push(format!("{k} ({})", missing_why(env)));
            }
        }
    }
    if one_side > 0 && unmanaged.len() == one_side {
        f.label = Some(Label::Unmanaged);
    } else if one_side > 0 && missing.len() == one_side {
        f.label = Some(Label::Missing);
    }
    if !unmanaged.is_empty() {
        f.message
            .push_str(&format!("; unmanaged: {}", unmanaged.join(", ")));
    }
    if !missing.is_empty() {
        f.message
            .push_str(&format!("; missing: {}", missing.join(", ")));
    }
}

/// What a live read cost, as the report states it.
#[cfg(feature = "aws")]
fn live_usage(env: &str, stats: &crate::sources::aws::CollectStats) -> LiveUsage {
    let seconds = |d: std::time::Duration| (d.as_secs_f64() * 100.0).round() / 100.0;
    LiveUsage {
        environment: env.to_string(),
        calls: stats.calls(),
        requests: stats.requests(),
        seconds: seconds(stats.elapsed),
        services: stats
            .services
            .iter()
            .map(|(name, s)| {
                (
                    name.clone(),
                    crate::report::ServiceUsage {
                        calls: s.calls(),
                        requests: s.requests,
                        seconds: seconds(s.elapsed),
                    },
                )
            })
            .collect(),
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

/// Keep only what lives under one module call of the root, its prefix
/// removed (the state of a root that holds every environment as a module
/// instance). State has no module-call records to check the call against.
pub fn scope_state_to_module(snap: &mut Snapshot, module: &str) -> Result<(), String> {
    let call = if module.starts_with("module.") {
        module.to_string()
    } else {
        format!("module.{module}")
    };
    snap.resources.retain_mut(|r| {
        let Some(rest) = r.address.strip_prefix(&call) else {
            return false;
        };
        let inner = match rest.strip_prefix('.') {
            Some(inner) => inner.to_string(),
            None if rest.starts_with('[') => rest.to_string(),
            None => return false,
        };
        r.address = inner.clone();
        r.key = inner;
        true
    });
    if snap.resources.is_empty() {
        return Err(format!(
            "`module = \"{module}\"`: no resource of the state is under `{call}`"
        ));
    }
    Ok(())
}

/// A state or plan that could not be read, as the library's error.
fn state_error(env: &str, e: state::StateError) -> Error {
    Error::Snapshot(format!("environment `{env}`: {e}"))
}

pub fn normalizer(name: &str, id: &Identity) -> Normalizer {
    Normalizer::new(
        name,
        &id.aliases,
        id.account_id.as_deref(),
        id.region.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(source: SourceKind, keys: &[&str]) -> Snapshot {
        let mut s = Snapshot::new("staging", source);
        for k in keys {
            let rtype = k.split('.').next().unwrap();
            s.resources.push(crate::model::Resource::new(
                *k,
                rtype,
                crate::model::Location::new("main.tf", Some(1)),
            ));
        }
        s
    }

    /// A count finding as the engine reports one (fields it leaves out
    /// take their defaults, as when a report is read back).
    fn count_finding(resource: &str, rtype: &str) -> Finding {
        serde_json::from_value(serde_json::json!({
            "rule": "instance-count",
            "category": "topology",
            "severity": "error",
            "resource": resource,
            "type": rtype,
            "attribute": "@count",
            "left": "3",
            "right": "4",
            "locations": {},
            "message": "3 instances in state, 4 in live",
        }))
        .unwrap()
    }

    #[test]
    fn count_findings_name_and_label_their_unmanaged_and_missing_instances() {
        let state = snapshot(
            SourceKind::State,
            &[
                "aws_instance.web[0]",
                "aws_instance.web[1]",
                "aws_instance.web[2]",
                "aws_db_instance.db[0]",
                "aws_db_instance.db[1]",
                "aws_sqs_queue.q[0]",
            ],
        );
        let live = snapshot(
            SourceKind::Live,
            &[
                "aws_instance.web[0]",
                "aws_instance.web[1]",
                "aws_instance.web[2]",
                "aws_instance.web[3]",
                "aws_db_instance.db[0]",
                "aws_sqs_queue.q[0]",
                "aws_sqs_queue.q[1]",
                "aws_sqs_queue.q[2]",
            ],
        );
        let read = LiveRead {
            env: "staging".into(),
            unmanaged: ["aws_instance.web[3]", "aws_sqs_queue.q[1]"]
                .map(String::from)
                .into(),
            missing: ["aws_db_instance.db[1]".to_string()].into(),
            ..LiveRead::default()
        };
        let mut findings = vec![
            count_finding("aws_instance.web", "aws_instance"),
            count_finding("aws_db_instance.db", "aws_db_instance"),
            count_finding("aws_sqs_queue.q", "aws_sqs_queue"),
        ];
        label_live(&mut findings, &state, &live, &[read]);

        assert_eq!(findings[0].label, Some(Label::Unmanaged));
        assert!(
            findings[0].message.ends_with(
                "; unmanaged: aws_instance.web[3] (live in staging but not in its state)"
            ),
            "{}",
            findings[0].message
        );
        assert_eq!(findings[1].label, Some(Label::Missing));
        assert!(
            findings[1].message.ends_with(
                "; missing: aws_db_instance.db[1] (in the state of staging but not in its AWS account)"
            ),
            "{}",
            findings[1].message
        );
        // Two extra queues, one of them unmanaged: named, but no label for
        // the finding as a whole.
        assert_eq!(findings[2].label, None);
        assert!(
            findings[2].message.ends_with(
                "; unmanaged: aws_sqs_queue.q[1] (live in staging but not in its state)"
            ),
            "{}",
            findings[2].message
        );

        // Without live reads (a diff of code or state), nothing changes.
        let mut plain = vec![count_finding("aws_instance.web", "aws_instance")];
        label_live(&mut plain, &state, &live, &[]);
        assert_eq!(plain[0], count_finding("aws_instance.web", "aws_instance"));
    }

    #[test]
    fn repo_prefix_is_the_path_from_the_nearest_work_tree_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("repo/.git")).unwrap();
        std::fs::create_dir_all(root.join("repo/infra/aws")).unwrap();
        // A submodule or linked worktree has a `.git` file, and is a root.
        std::fs::create_dir_all(root.join("repo/vendor/sub/stacks")).unwrap();
        std::fs::write(
            root.join("repo/vendor/sub/.git"),
            "gitdir: ../../.git/modules/sub\n",
        )
        .unwrap();
        assert_eq!(repo_prefix(&root.join("repo")), "");
        assert_eq!(repo_prefix(&root.join("repo/infra")), "infra");
        assert_eq!(
            repo_prefix(&root.join("repo/infra/aws/../aws")),
            "infra/aws"
        );
        assert_eq!(repo_prefix(&root.join("repo/vendor/sub/stacks")), "stacks");
        // No such directory: nothing to prefix.
        assert_eq!(repo_prefix(&root.join("repo/missing")), "");
    }
}
