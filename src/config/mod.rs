//! `parity.toml`: strict loading, in two stages, reporting every problem at once.
//!
//! Stage 1 (`read`) walks the TOML document by hand (with `toml_edit`, which
//! keeps byte spans) into an *unvalidated* configuration: unknown keys, wrong
//! types and syntax errors are reported there, each with its line and column.
//! Stage 2 (`validate`) checks what the structure alone cannot: required
//! keys, references between sections (a `[[check]]` naming an environment that
//! does not exist), alias clashes, value formats (dates, account ids, regions)
//! and the paths that must exist now (Terraform roots, var files, rule files).
//! Only when both stages found nothing is a [`Config`] returned; otherwise
//! [`ConfigError::Invalid`] lists every problem, sorted by line.
//!
//! Each source reads and validates its own table (`terraform`, `state`,
//! `aws`, ...) beside its code, in `src/sources/<name>/cfg.rs`, with the tools
//! of `toml`; this module reads the rest and hands each source its table.
//!
//! Keys are kebab-case. Every relative path is joined to the directory that
//! holds the file (`Config::dir`). The user-facing reference is
//! `docs/configuration.md`.

pub(crate) mod toml;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use toml_edit::{ImDocument, TableLike};

use crate::findings::Severity;
use crate::model::SourceKind;
use crate::sources::Tables;
use toml::{
    check_region, closest, fields, item_type, join_key, resolve, string, strings, table, table_list,
};
use toml::{Field, Sink, Spanned};

pub const FILE_NAME: &str = "parity.toml";

/// A loaded and validated `parity.toml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The parity.toml file.
    pub path: PathBuf,
    /// Its directory; every relative path is joined to it.
    pub dir: PathBuf,
    /// Extra rule files or folders (resolved).
    pub rules: Vec<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub environments: BTreeMap<String, Environment>,
    pub checks: Vec<Check>,
    pub matches: Vec<MatchEntry>,
    pub waivers: Vec<Waiver>,
    /// `[limits]`: the defaults of docs/limits.md with what it overrides.
    pub limits: crate::input::Limits,
}

impl Config {
    /// The environment called `name`, or the one that has `name` as an alias.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.get(name).or_else(|| {
            self.environments
                .values()
                .find(|env| env.aliases.iter().any(|a| a == name))
        })
    }
}

/// The `fail-on` threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// The lowest severity that fails a run; `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Info => "info",
            FailOn::Never => "never",
        }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(FailOn::Error),
            "warning" => Ok(FailOn::Warning),
            "info" => Ok(FailOn::Info),
            "never" => Ok(FailOn::Never),
            other => Err(format!(
                "invalid value `{other}`, expected one of: error, warning, info, never"
            )),
        }
    }
}

/// One `[environments.<name>]` table.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub aliases: Vec<String>,
    pub account_id: Option<String>,
    /// Used to normalize region names in values.
    pub region: Option<String>,
    /// Its source tables (`terraform`, `state`, `aws`, ...), each read and
    /// validated by its source.
    pub sources: Tables,
    /// Line of the environment's name in parity.toml.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Canonical environment name (an alias in the file is resolved).
    pub reference: String,
    /// Canonical environment names.
    pub compare: Vec<String>,
    /// Default [`SourceKind::Code`].
    pub source: SourceKind,
    pub line: usize,
}

/// One `[[match]]`: an explicit pairing.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchEntry {
    /// Canonical environment name -> address (or address prefix).
    pub addresses: BTreeMap<String, String>,
    pub line: usize,
}

/// One `[[waiver]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    pub rule: String,
    /// Glob over resource addresses.
    pub resource: String,
    /// Canonical environment names; empty = all.
    pub environments: Vec<String>,
    pub reason: String,
    pub owner: Option<String>,
    /// `YYYY-MM-DD` (validated).
    pub expires: Option<String>,
    pub line: usize,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}", render_problems(.path, .problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    /// The same error with its file named relative to `dir` when it lies
    /// below it (`parity.toml`, not `/home/me/infra/parity.toml`, for the
    /// file found in the working directory).
    pub fn relative_to(self, dir: &Path) -> ConfigError {
        let short = |path: PathBuf| match path.strip_prefix(dir) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => path,
        };
        match self {
            ConfigError::Io { path, cause } => ConfigError::Io {
                path: short(path),
                cause,
            },
            ConfigError::Invalid { path, problems } => ConfigError::Invalid {
                path: short(path),
                problems,
            },
        }
    }
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted key, e.g. `environments.staging.terraform.root` or
    /// `check[0].compare[1]`; empty for a syntax error.
    pub key: String,
    pub message: String,
}

/// The text of [`ConfigError::Invalid`]: a summary line, then one
/// `  <path>:<line>:<column>: <key>: <message>` line per problem.
pub fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let n = problems.len();
    let mut out = format!(
        "invalid configuration {}: {n} problem{}",
        path.display(),
        if n == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str(&format!("\n  {}:{}:{}: ", path.display(), p.line, p.column));
        if !p.key.is_empty() {
            out.push_str(&p.key);
            out.push_str(": ");
        }
        out.push_str(&p.message);
    }
    out
}

/// Which file `-C/--config` (or its absence) designates: a directory means
/// `DIR/parity.toml`, a file is itself; without the option, `./parity.toml`
/// when it exists (else `None`: the caller falls back to conventions).
pub fn locate(explicit: Option<&Path>, cwd: &Path) -> Option<PathBuf> {
    match explicit {
        Some(p) if p.is_dir() => Some(p.join(FILE_NAME)),
        Some(p) => Some(p.to_path_buf()),
        None => {
            let candidate = cwd.join(FILE_NAME);
            // Anything there but a directory is read (and a FIFO or a
            // device refused, with its name): a parity.toml that is not
            // a regular file must not make the run fall back to
            // conventions silently.
            (candidate.symlink_metadata().is_ok() && !candidate.is_dir()).then_some(candidate)
        }
    }
}

/// Load and validate a parity.toml; a directory means `path/parity.toml`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let file = if path.is_dir() {
        path.join(FILE_NAME)
    } else {
        path.to_path_buf()
    };
    let text = crate::input::read_text(&file, crate::input::CONFIG_FILE).map_err(|source| {
        ConfigError::Io {
            path: file.clone(),
            cause: source,
        }
    })?;
    parse(&text, &file)
}

/// Parse and validate configuration text as if read from `path`; relative
/// paths are resolved against `path.parent()`.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut sink = Sink {
        text,
        problems: Vec::new(),
    };
    let config = match ImDocument::parse(text) {
        Ok(doc) => {
            let raw = read(doc.as_table(), &dir, &mut sink);
            Some(validate(raw, path, &dir, &mut sink))
        }
        Err(err) => {
            let at = err.span().map_or(0, |r| r.start);
            let message = err
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            sink.report(at, "", format!("TOML syntax error: {message}"));
            None
        }
    };
    match config {
        Some(config) if sink.problems.is_empty() => Ok(config),
        _ => {
            let mut problems = sink.problems;
            problems.sort_by_key(|p| (p.line, p.column));
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            })
        }
    }
}

// ---------------------------------------------------------------------------
// Stage 1: the document, walked by hand, into an unvalidated configuration.

#[derive(Debug, Default)]
struct RawConfig {
    rules: Vec<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
    environments: Vec<RawEnvironment>,
    checks: Vec<RawCheck>,
    matches: Vec<RawMatch>,
    waivers: Vec<RawWaiver>,
    limits: crate::input::Limits,
}

#[derive(Debug)]
struct RawEnvironment {
    name: Spanned<String>,
    aliases: Vec<Spanned<String>>,
    account_id: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    /// Source tables, already validated by their sources.
    sources: Tables,
}

#[derive(Debug)]
struct RawCheck {
    at: usize,
    key: String,
    reference: Option<Spanned<String>>,
    compare: Option<Spanned<Vec<Spanned<String>>>>,
    source: Option<Spanned<String>>,
}

#[derive(Debug)]
struct RawMatch {
    at: usize,
    key: String,
    /// (environment name as written, address).
    addresses: Vec<(Spanned<String>, Spanned<String>)>,
}

#[derive(Debug)]
struct RawWaiver {
    at: usize,
    key: String,
    rule: Option<Spanned<String>>,
    resource: Option<Spanned<String>>,
    environments: Vec<Spanned<String>>,
    reason: Option<Spanned<String>>,
    owner: Option<Spanned<String>>,
    expires: Option<Spanned<String>>,
}

const TOP_KEYS: &[&str] = &[
    "limits",
    "rules",
    "fail-on",
    "environments",
    "check",
    "match",
    "waiver",
];
/// The keys of an environment's table besides its sources' tables.
const ENV_KEYS: &[&str] = &["aliases", "account-id", "region"];
const CHECK_KEYS: &[&str] = &["reference", "compare", "source"];
const WAIVER_KEYS: &[&str] = &[
    "rule",
    "resource",
    "environments",
    "reason",
    "owner",
    "expires",
];

fn read(root: &toml_edit::Table, dir: &Path, sink: &mut Sink) -> RawConfig {
    let mut raw = RawConfig::default();
    for f in fields(sink, root, "", 0, Some(TOP_KEYS)) {
        match f.name {
            "rules" => raw.rules = strings(sink, &f).map(|s| s.value).unwrap_or_default(),
            "fail-on" => raw.fail_on = string(sink, &f),
            "limits" => {
                if let Some((table, at)) = table(sink, &f) {
                    for g in fields(sink, table, &f.key, at, Some(crate::input::LIMIT_KEYS)) {
                        read_limit(sink, &g, &mut raw.limits);
                    }
                }
            }
            "environments" => {
                if let Some((table, at)) = table(sink, &f) {
                    for ef in fields(sink, table, &f.key, at, None) {
                        if let Some(env) = read_environment(sink, &ef, dir) {
                            raw.environments.push(env);
                        }
                    }
                }
            }
            "check" => {
                for (key, at, t) in table_list(sink, &f) {
                    raw.checks.push(read_check(sink, key, at, t));
                }
            }
            "match" => {
                for (key, at, t) in table_list(sink, &f) {
                    raw.matches.push(read_match(sink, key, at, t));
                }
            }
            "waiver" => {
                for (key, at, t) in table_list(sink, &f) {
                    raw.waivers.push(read_waiver(sink, key, at, t));
                }
            }
            _ => {}
        }
    }
    raw
}

/// One key of `[limits]`: a positive whole number, or for the sizes of
/// files (`*-file`) also a string with a unit (`"4 GiB"`).
fn read_limit(sink: &mut Sink, g: &Field, limits: &mut crate::input::Limits) {
    let size = g.name.ends_with("-file");
    let n = match (g.item.as_integer(), g.item.as_str()) {
        (Some(n), _) if n >= 1 => Some(n.unsigned_abs()),
        (Some(n), _) => {
            sink.report(
                g.value_at(),
                &g.key,
                format!("expected a positive number, found {n}"),
            );
            None
        }
        (None, Some(s)) if size => {
            let parsed = crate::input::parse_size(s).filter(|&n| n >= 1);
            if parsed.is_none() {
                sink.report(
                    g.value_at(),
                    &g.key,
                    format!(
                        "`{s}` is not a size (a number of bytes, or a number with KiB, MiB or GiB)"
                    ),
                );
            }
            parsed
        }
        _ => {
            sink.report(
                g.value_at(),
                &g.key,
                format!(
                    "expected {}, found {}",
                    if size {
                        "a size (a number of bytes, or a string such as \"4 GiB\")"
                    } else {
                        "a positive number"
                    },
                    item_type(g.item)
                ),
            );
            None
        }
    };
    if let Some(n) = n {
        limits.set(g.name, n);
    }
}

fn read_environment(sink: &mut Sink, f: &Field, dir: &Path) -> Option<RawEnvironment> {
    let (t, at) = table(sink, f)?;
    let mut env = RawEnvironment {
        name: Spanned {
            value: f.name.to_string(),
            at: f.at,
            key: f.key.clone(),
        },
        aliases: Vec::new(),
        account_id: None,
        region: None,
        sources: Tables::default(),
    };
    let known: Vec<&str> = ENV_KEYS
        .iter()
        .copied()
        .chain(crate::sources::keys())
        .collect();
    for g in fields(sink, t, &f.key, at, Some(&known)) {
        match g.name {
            "aliases" => env.aliases = strings(sink, &g).map(|s| s.value).unwrap_or_default(),
            "account-id" => {
                if g.item.as_integer().is_some() {
                    sink.report(
                        g.value_at(),
                        &g.key,
                        "expected a string of 12 digits, found an integer (quote it so that leading zeros survive)",
                    );
                } else {
                    env.account_id = string(sink, &g);
                }
            }
            "region" => env.region = string(sink, &g),
            other => {
                if let Some(source) = crate::sources::by_key(other) {
                    // One code source per environment (`sources::read`
                    // would take the first): the second one is the problem.
                    let code = crate::model::SourceKind::Code;
                    if source.kinds().contains(&code) {
                        if let Some(first) = env.sources.keys().find(|k| {
                            crate::sources::by_key(k).is_some_and(|s| s.kinds().contains(&code))
                        }) {
                            sink.report(
                                g.at,
                                &g.key,
                                format!("an environment reads its code from one source: `{first}` and `{other}` cannot both be set"),
                            );
                            continue;
                        }
                    }
                    if let Some(t) = source.table(sink, &g, dir) {
                        env.sources.insert(source.key(), t);
                    }
                }
            }
        }
    }
    Some(env)
}

fn read_check(sink: &mut Sink, key: String, at: usize, t: &dyn TableLike) -> RawCheck {
    let mut check = RawCheck {
        at,
        key,
        reference: None,
        compare: None,
        source: None,
    };
    for g in fields(sink, t, &check.key, at, Some(CHECK_KEYS)) {
        match g.name {
            "reference" => check.reference = string(sink, &g),
            "compare" => check.compare = strings(sink, &g),
            "source" => check.source = string(sink, &g),
            _ => {}
        }
    }
    check
}

fn read_match(sink: &mut Sink, key: String, at: usize, t: &dyn TableLike) -> RawMatch {
    let mut m = RawMatch {
        at,
        key,
        addresses: Vec::new(),
    };
    for g in fields(sink, t, &m.key, at, None) {
        if let Some(address) = string(sink, &g) {
            let env = Spanned {
                value: g.name.to_string(),
                at: g.at,
                key: g.key.clone(),
            };
            m.addresses.push((env, address));
        }
    }
    m
}

fn read_waiver(sink: &mut Sink, key: String, at: usize, t: &dyn TableLike) -> RawWaiver {
    let mut w = RawWaiver {
        at,
        key,
        rule: None,
        resource: None,
        environments: Vec::new(),
        reason: None,
        owner: None,
        expires: None,
    };
    for g in fields(sink, t, &w.key, at, Some(WAIVER_KEYS)) {
        match g.name {
            "rule" => w.rule = string(sink, &g),
            "resource" => w.resource = string(sink, &g),
            "environments" => {
                w.environments = strings(sink, &g).map(|s| s.value).unwrap_or_default()
            }
            "reason" => w.reason = string(sink, &g),
            "owner" => w.owner = string(sink, &g),
            "expires" => {
                // A TOML date literal (`expires = 2026-12-31`) is accepted too.
                match g.item.as_datetime() {
                    Some(dt) if dt.time.is_none() && dt.offset.is_none() => {
                        w.expires = Some(Spanned {
                            value: dt.to_string(),
                            at: g.value_at(),
                            key: g.key.clone(),
                        })
                    }
                    Some(_) => sink.report(
                        g.value_at(),
                        &g.key,
                        "expected a date (YYYY-MM-DD), found a date-time",
                    ),
                    None => w.expires = string(sink, &g),
                }
            }
            _ => {}
        }
    }
    w
}

// ---------------------------------------------------------------------------
// Stage 2: semantic validation into a Config.

/// Environment names and aliases, for resolving references.
struct Names {
    names: BTreeSet<String>,
    aliases: BTreeMap<String, String>,
}

impl Names {
    fn resolve(&self, name: &str) -> Option<String> {
        if self.names.contains(name) {
            Some(name.to_string())
        } else {
            self.aliases.get(name).cloned()
        }
    }

    /// Resolve a reference to an environment, reporting an unknown one.
    fn check(&self, sink: &mut Sink, name: &Spanned<String>) -> Option<String> {
        let resolved = self.resolve(&name.value);
        if resolved.is_none() {
            let candidates = self
                .names
                .iter()
                .chain(self.aliases.keys())
                .map(String::as_str);
            let message = match closest(&name.value, candidates) {
                Some(s) => format!(
                    "environment `{}` is not defined under [environments], did you mean `{s}`?",
                    name.value
                ),
                None if self.names.is_empty() => format!(
                    "environment `{}` is not defined: there is no [environments] table",
                    name.value
                ),
                None => format!(
                    "environment `{}` is not defined under [environments] (defined: {})",
                    name.value,
                    self.names.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            };
            sink.report(name.at, &name.key, message);
        }
        resolved
    }
}

fn validate(raw: RawConfig, path: &Path, dir: &Path, sink: &mut Sink) -> Config {
    let fail_on = raw.fail_on.and_then(|f| match f.value.parse::<FailOn>() {
        Ok(v) => Some(v),
        Err(message) => {
            sink.report(f.at, &f.key, message);
            None
        }
    });

    let mut rules = Vec::new();
    for rule in &raw.rules {
        let resolved = resolve(dir, &rule.value);
        if !resolved.exists() {
            sink.report(
                rule.at,
                &rule.key,
                format!(
                    "rule file or folder `{}` does not exist",
                    resolved.display()
                ),
            );
        }
        rules.push(resolved);
    }

    // Names first, then aliases, so that clashes are found whatever the order.
    let mut names = Names {
        names: raw
            .environments
            .iter()
            .map(|e| e.name.value.clone())
            .collect(),
        aliases: BTreeMap::new(),
    };
    for env in &raw.environments {
        for alias in &env.aliases {
            if alias.value.is_empty() {
                sink.report(alias.at, &alias.key, "an alias cannot be empty");
            } else if alias.value == env.name.value {
                // Harmless: an environment is always known by its name.
            } else if names.names.contains(&alias.value) {
                sink.report(
                    alias.at,
                    &alias.key,
                    format!("alias `{}` is the name of another environment", alias.value),
                );
            } else if let Some(owner) = names.aliases.get(&alias.value) {
                if *owner != env.name.value {
                    sink.report(
                        alias.at,
                        &alias.key,
                        format!(
                            "alias `{}` is also used by environment `{owner}`",
                            alias.value
                        ),
                    );
                }
            } else {
                names
                    .aliases
                    .insert(alias.value.clone(), env.name.value.clone());
            }
        }
    }

    let mut environments = BTreeMap::new();
    for env in raw.environments {
        let env = validate_environment(env, sink);
        environments.insert(env.name.clone(), env);
    }

    let checks = raw
        .checks
        .into_iter()
        .map(|c| validate_check(c, &names, sink))
        .collect();
    let matches = raw
        .matches
        .into_iter()
        .map(|m| validate_match(m, &names, sink))
        .collect();
    let waivers = raw
        .waivers
        .into_iter()
        .map(|w| validate_waiver(w, &names, sink))
        .collect();

    Config {
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
        rules,
        fail_on,
        environments,
        checks,
        matches,
        waivers,
        limits: raw.limits,
    }
}

fn validate_environment(env: RawEnvironment, sink: &mut Sink) -> Environment {
    let line = sink.line(env.name.at);
    if let Some(id) = &env.account_id {
        if id.value.len() != 12 || !id.value.bytes().all(|b| b.is_ascii_digit()) {
            sink.report(
                id.at,
                &id.key,
                format!("`{}` is not an AWS account id (12 digits)", id.value),
            );
        }
    }
    if let Some(region) = &env.region {
        check_region(sink, region);
    }
    if env.name.value.trim().is_empty() {
        sink.report(
            env.name.at,
            &env.name.key,
            "an environment name cannot be empty",
        );
    }
    let mut aliases: Vec<String> = Vec::new();
    for alias in env.aliases {
        if alias.value.trim().is_empty() {
            sink.report(alias.at, &alias.key, "an alias cannot be empty");
            continue;
        }
        if alias.value != env.name.value && !aliases.contains(&alias.value) {
            aliases.push(alias.value);
        }
    }
    Environment {
        name: env.name.value,
        aliases,
        account_id: env.account_id.map(|s| s.value),
        region: env.region.map(|s| s.value),
        sources: env.sources,
        line,
    }
}

fn validate_check(c: RawCheck, names: &Names, sink: &mut Sink) -> Check {
    let line = sink.line(c.at);
    let reference = match &c.reference {
        Some(r) => names.check(sink, r),
        None => {
            sink.report(
                c.at,
                &join_key(&c.key, "reference"),
                "missing required key `reference` (the environment others are compared with)",
            );
            None
        }
    };
    let mut compare = Vec::new();
    match &c.compare {
        Some(list) if list.value.is_empty() => sink.report(
            list.at,
            &list.key,
            "`compare` must name at least one environment",
        ),
        Some(list) => {
            for name in &list.value {
                let Some(env) = names.check(sink, name) else {
                    continue;
                };
                if reference.as_deref() == Some(env.as_str()) {
                    sink.report(
                        name.at,
                        &name.key,
                        format!(
                            "`{}` is the reference of this check; an environment is not compared with itself",
                            name.value
                        ),
                    );
                } else if !compare.contains(&env) {
                    compare.push(env);
                }
            }
        }
        None => sink.report(
            c.at,
            &join_key(&c.key, "compare"),
            "missing required key `compare` (the environments compared with the reference)",
        ),
    }
    let source = match &c.source {
        Some(s) => parse_source(&s.value).unwrap_or_else(|| {
            sink.report(
                s.at,
                &s.key,
                format!(
                    "invalid value `{}`, expected one of: code, state, plan, live",
                    s.value
                ),
            );
            SourceKind::Code
        }),
        None => SourceKind::Code,
    };
    Check {
        reference: reference.unwrap_or_default(),
        compare,
        source,
        line,
    }
}

fn parse_source(s: &str) -> Option<SourceKind> {
    match s {
        "code" => Some(SourceKind::Code),
        "state" => Some(SourceKind::State),
        "plan" => Some(SourceKind::Plan),
        "live" => Some(SourceKind::Live),
        _ => None,
    }
}

fn validate_match(m: RawMatch, names: &Names, sink: &mut Sink) -> MatchEntry {
    let line = sink.line(m.at);
    let mut addresses = BTreeMap::new();
    for (env, address) in &m.addresses {
        if address.value.trim().is_empty() {
            sink.report(address.at, &address.key, "an address cannot be empty");
        }
        let Some(name) = names.check(sink, env) else {
            continue;
        };
        match addresses.entry(name) {
            std::collections::btree_map::Entry::Occupied(e) => sink.report(
                env.at,
                &env.key,
                format!(
                    "environment `{}` is given twice (by name and by alias)",
                    e.key()
                ),
            ),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(address.value.clone());
            }
        }
    }
    if m.addresses.len() < 2 {
        sink.report(
            m.at,
            &m.key,
            format!(
                "a match pairs addresses of at least two environments, found {}",
                m.addresses.len()
            ),
        );
    }
    MatchEntry { addresses, line }
}

fn validate_waiver(w: RawWaiver, names: &Names, sink: &mut Sink) -> Waiver {
    let line = sink.line(w.at);
    let mut required = |field: &Option<Spanned<String>>, name: &str, what: &str| -> String {
        match field {
            Some(s) if s.value.trim().is_empty() => {
                sink.report(s.at, &s.key, format!("`{name}` cannot be empty"));
                String::new()
            }
            Some(s) => s.value.clone(),
            None => {
                sink.report(
                    w.at,
                    &join_key(&w.key, name),
                    format!("missing required key `{name}` ({what})"),
                );
                String::new()
            }
        }
    };
    let rule = required(&w.rule, "rule", "the id of the waived rule");
    let resource = required(&w.resource, "resource", "a glob over resource addresses");
    let reason = required(&w.reason, "reason", "why the difference is accepted");
    if let Some(r) = &w.resource {
        if let Err(e) = globset::Glob::new(&r.value) {
            sink.report(r.at, &r.key, format!("invalid glob: {}", e.kind()));
        }
    }
    let mut environments = Vec::new();
    for env in &w.environments {
        if let Some(name) = names.check(sink, env) {
            if !environments.contains(&name) {
                environments.push(name);
            }
        }
    }
    if let Some(exp) = &w.expires {
        if !is_valid_date(&exp.value) {
            sink.report(
                exp.at,
                &exp.key,
                format!("`{}` is not a valid date (YYYY-MM-DD)", exp.value),
            );
        }
    }
    Waiver {
        rule,
        resource,
        environments,
        reason,
        owner: w.owner.map(|s| s.value),
        expires: w.expires.map(|s| s.value),
        line,
    }
}

/// `YYYY-MM-DD`, a real calendar day.
fn is_valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests;
