//! The pipeline behind the commands: resolve environments (parity.toml or
//! conventions, `environments`), read each through the sources' one entry
//! point ([`crate::sources::read`]), normalize, pair, judge, waive, report
//! (`comparison`); code against state against live for one environment
//! (`drift`). Everything here is a pure function of its inputs but the
//! reading.

mod causes;
mod comparison;
mod drift;
mod environments;
mod labels;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::{self, Config};
use crate::error::Error;
use crate::findings::Category;
use crate::model::{Snapshot, SourceKind};
use crate::normalize::Normalizer;
use crate::report::Report;
use crate::rules::packs;
use crate::rules::Rule;
use crate::sources::snapshot::Identity;
use crate::sources::{EnvSpec, LiveRead, Read, ReadContext};

pub use comparison::Comparison;
pub use drift::DriftOptions;
pub use environments::repo_prefix;

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

impl Session {
    /// `config_path`: `-C` (a file, or a directory holding parity.toml);
    /// without it, `./parity.toml` when present.
    pub fn open(config_path: Option<&Path>, cwd: &Path) -> Result<Session, Error> {
        let stage = crate::logging::Stage::start("config");
        let config = match config::locate(config_path, cwd) {
            Some(path) => Some(config::load(&path).map_err(|e| e.relative_to(cwd))?),
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
        if let Some(c) = &config {
            check_waiver_rules(c, &rules)?;
        }
        // The limits of docs/limits.md, as parity.toml sets them (the
        // defaults without one).
        crate::input::set_limits(config.as_ref().map(|c| c.limits).unwrap_or_default());
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

    /// What every source read of this session needs.
    fn read_context(&self) -> ReadContext {
        ReadContext {
            base: self.base.clone(),
            progress: self.progress,
        }
    }

    /// Read one environment through the source that answers `source`, not
    /// yet normalized. What a live read found beside its snapshot is kept
    /// for the report that judges it.
    pub fn snapshot(
        &self,
        spec: &EnvSpec,
        source: SourceKind,
    ) -> Result<(Snapshot, Identity), Error> {
        let read = crate::sources::read(&self.read_context(), spec, source)?;
        Ok(self.keep(read))
    }

    /// The snapshot and identity of a read; its live side kept.
    fn keep(&self, read: Read) -> (Snapshot, Identity) {
        if let Some(live) = read.live {
            let mut reads = self.live_reads.lock().unwrap_or_else(|p| p.into_inner());
            reads.retain(|r| r.env != live.env);
            reads.push(live);
        }
        (read.snapshot, read.identity)
    }

    /// Compare two environments.
    pub fn diff(&self, left: &str, right: &str, opts: &DiffOptions) -> Result<Report, Error> {
        self.diff_inner(left, right, opts, false).map(|(r, _)| r)
    }

    /// [`Session::diff`], with both environments' network topology for the
    /// pictures (`--format svg`, html, markdown).
    pub fn diff_pictured(
        &self,
        left: &str,
        right: &str,
        opts: &DiffOptions,
    ) -> Result<(Report, crate::report::topology::Topology), Error> {
        let (report, topology) = self.diff_inner(left, right, opts, true)?;
        Ok((report, topology.unwrap_or_default()))
    }

    fn diff_inner(
        &self,
        left: &str,
        right: &str,
        opts: &DiffOptions,
        picture: bool,
    ) -> Result<(Report, Option<crate::report::topology::Topology>), Error> {
        let a = self.env(left)?;
        let b = self.env(right)?;
        let same = match (&a.file, &b.file) {
            (Some(fa), Some(fb)) => {
                fa == fb
                    || matches!(
                        (std::fs::canonicalize(fa), std::fs::canonicalize(fb)),
                        (Ok(x), Ok(y)) if x == y
                    )
            }
            // In parity.toml a name (or alias) is one environment.
            (None, None) if a.config.is_some() => a.name == b.name,
            // By convention the name is a directory's, and two
            // directories may share one: the same root and var files are
            // the same environment.
            (None, None) => {
                let code = |s: &EnvSpec| {
                    s.tables
                        .get::<crate::sources::terraform::TerraformTable>()
                        .map(|t| {
                            (
                                std::fs::canonicalize(&t.root).unwrap_or_else(|_| t.root.clone()),
                                t.var_files
                                    .iter()
                                    .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()))
                                    .collect::<Vec<_>>(),
                            )
                        })
                };
                a.name == b.name && code(&a) == code(&b)
            }
            _ => false,
        };
        if same {
            return Err(crate::error::EnvError::SameEnvironment {
                left: left.to_string(),
                right: right.to_string(),
                name: a.name,
            }
            .into());
        }
        let (mut sa, ia) = self.snapshot(&a, opts.source)?;
        let (mut sb, ib) = self.snapshot(&b, opts.source)?;
        let (na, nb) = (sa.environment.clone(), sb.environment.clone());
        let stage = crate::logging::Stage::start("normalize");
        Normalizer::for_env(&na, &ia).apply(&mut sa);
        Normalizer::for_env(&nb, &ib).apply(&mut sb);
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
        let topology =
            picture.then(|| crate::report::topology::Topology::build(&sa, &sb, &report.findings));
        // Snapshots of code were built on the evaluation pool: kept until
        // exit in the CLI, otherwise freed there, in the background, and not
        // from this thread (docs/benchmarks.md).
        if opts.source == SourceKind::Code {
            crate::sources::terraform::release_snapshots([sa, sb]);
        }
        Ok((report, topology))
    }

    /// Judge two normalized snapshots with the session's rules.
    pub fn compare(
        &self,
        sa: &Snapshot,
        sb: &Snapshot,
        source: &str,
        opts: &DiffOptions,
    ) -> Report {
        let stage = crate::logging::Stage::start("match+judge");
        let report = self.judge(Comparison::new(sa, sb, source, &self.rules, opts));
        stage.done(format_args!(
            "{} resources, {} attributes compared, {} findings",
            report.summary.compared_resources,
            report.summary.compared_attributes,
            report.findings.len()
        ));
        report
    }
}

/// Every `[[waiver]]` names a rule of the loaded packs (or `*`): a waiver
/// for a rule that does not exist waives nothing, silently.
fn check_waiver_rules(c: &config::Config, rules: &[Rule]) -> Result<(), Error> {
    let problems: Vec<config::Problem> = c
        .waivers
        .iter()
        .enumerate()
        .filter(|(_, w)| {
            w.rule != "*" && !w.rule.is_empty() && !rules.iter().any(|r| r.id == w.rule)
        })
        .map(|(i, w)| {
            let close = config::toml::closest(&w.rule, rules.iter().map(|r| r.id.as_str()));
            config::Problem {
                line: w.line,
                column: 1,
                key: format!("waiver[{i}].rule"),
                message: match close {
                    Some(s) => format!(
                        "unknown rule `{}` (did you mean `{s}`? `parity rules` lists them)",
                        w.rule
                    ),
                    None => format!(
                        "unknown rule `{}` (`parity rules` lists the rule ids)",
                        w.rule
                    ),
                },
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(config::ConfigError::Invalid {
            path: c.path.clone(),
            problems,
        }
        .into())
    }
}
