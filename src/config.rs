//! `parity.toml`: strict loading, in two stages, reporting every problem at once.
//!
//! Stage 1 ([`read`]) walks the TOML document by hand (with `toml_edit`, which
//! keeps byte spans) into an *unvalidated* configuration: unknown keys, wrong
//! types and syntax errors are reported there, each with its line and column.
//! Stage 2 ([`validate`]) checks what the structure alone cannot: required
//! keys, references between sections (a `[[check]]` naming an environment that
//! does not exist), alias clashes, value formats (dates, account ids, regions)
//! and the paths that must exist now (Terraform roots, var files, rule files).
//! Only when both stages found nothing is a [`Config`] returned; otherwise
//! [`ConfigError::Invalid`] lists every problem, sorted by line.
//!
//! Keys are kebab-case. Every relative path is joined to the directory that
//! holds the file (`Config::dir`). The user-facing reference is
//! `docs/configuration.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use toml_edit::{ImDocument, Item, TableLike};

use crate::findings::Severity;
use crate::model::{SourceKind, Value};

/// The file name looked for in a directory.
pub const FILE_NAME: &str = "parity.toml";

/// A loaded and validated `parity.toml`.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: String,
    pub aliases: Vec<String>,
    pub account_id: Option<String>,
    /// Used to normalize region names in values.
    pub region: Option<String>,
    pub terraform: Option<TerraformSource>,
    pub state: Option<StateSource>,
    pub aws: Option<AwsSource>,
    /// Line of the environment's name in parity.toml.
    pub line: usize,
}

/// `terraform = { ... }`: the code source.
#[derive(Debug, Clone, PartialEq)]
pub struct TerraformSource {
    /// The root module directory (resolved; exists).
    pub root: PathBuf,
    /// `.tfvars` / `.tfvars.json` files, in order (resolved; exist).
    pub var_files: Vec<PathBuf>,
    /// Variable values given inline; they win over var files.
    pub vars: crate::model::Map,
    /// Default `"default"`.
    pub workspace: String,
    /// Only this module call (an address such as `module.app`), when set.
    pub module: Option<String>,
}

/// `state = { ... }`: the state / plan source.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSource {
    /// From `path = "..."` or `paths = [...]`; `s3://` (any `scheme://`) URLs
    /// are kept as written, local paths are resolved against the config's dir.
    pub paths: Vec<String>,
    /// A `terraform show -json` plan file (resolved).
    pub plan: Option<PathBuf>,
}

/// `aws = { ... }`: the live source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AwsSource {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub endpoint_url: Option<String>,
    /// Only resources carrying all these tags.
    pub tags: BTreeMap<String, String>,
}

/// One `[[check]]`: what `parity check` runs.
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
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render_problems(.path, .problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
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
            candidate.is_file().then_some(candidate)
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
    let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Io {
        path: file.clone(),
        source,
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
            let raw = read(doc.as_table(), &mut sink);
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
// Problem collection and positions

struct Sink<'t> {
    text: &'t str,
    problems: Vec<Problem>,
}

impl Sink<'_> {
    fn report(&mut self, at: usize, key: &str, message: impl Into<String>) {
        let (line, column) = line_col(self.text, at);
        self.problems.push(Problem {
            line,
            column,
            key: key.to_string(),
            message: message.into(),
        });
    }

    fn line(&self, at: usize) -> usize {
        line_col(self.text, at).0
    }
}

/// 1-based line and column (in characters) of a byte offset, computed the way
/// `toml_edit` does for its own errors (an offset at the end of input points
/// just past the last character).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return (1, offset + 1);
    }
    let safe = offset.min(bytes.len() - 1);
    let past_end = offset - safe;
    let line_start = bytes[..safe]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = bytes[..line_start].iter().filter(|b| **b == b'\n').count();
    let column = std::str::from_utf8(&bytes[line_start..=safe])
        .map(|s| s.chars().count() - 1)
        .unwrap_or(safe - line_start);
    (line + 1, column + past_end + 1)
}

/// A value with where it was written.
#[derive(Debug, Clone)]
struct Spanned<T> {
    value: T,
    /// Byte offset of the value.
    at: usize,
    /// Dotted key of the value.
    key: String,
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
}

#[derive(Debug)]
struct RawEnvironment {
    name: Spanned<String>,
    aliases: Vec<Spanned<String>>,
    account_id: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    terraform: Option<RawTerraform>,
    state: Option<RawState>,
    aws: Option<RawAws>,
}

#[derive(Debug)]
struct RawTerraform {
    at: usize,
    key: String,
    root: Option<Spanned<String>>,
    var_files: Vec<Spanned<String>>,
    vars: crate::model::Map,
    workspace: Option<Spanned<String>>,
    module: Option<Spanned<String>>,
}

#[derive(Debug)]
struct RawState {
    at: usize,
    key: String,
    path: Option<Spanned<String>>,
    paths: Option<Spanned<Vec<Spanned<String>>>>,
    plan: Option<Spanned<String>>,
}

#[derive(Debug, Default)]
struct RawAws {
    profile: Option<Spanned<String>>,
    region: Option<Spanned<String>>,
    role_arn: Option<Spanned<String>>,
    external_id: Option<Spanned<String>>,
    endpoint_url: Option<Spanned<String>>,
    tags: BTreeMap<String, String>,
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
    "rules",
    "fail-on",
    "environments",
    "check",
    "match",
    "waiver",
];
const ENV_KEYS: &[&str] = &[
    "aliases",
    "account-id",
    "region",
    "terraform",
    "state",
    "aws",
];
const TERRAFORM_KEYS: &[&str] = &["root", "var-files", "vars", "workspace", "module"];
const STATE_KEYS: &[&str] = &["path", "paths", "plan"];
const AWS_KEYS: &[&str] = &[
    "profile",
    "region",
    "role-arn",
    "external-id",
    "endpoint-url",
    "tags",
];
const CHECK_KEYS: &[&str] = &["reference", "compare", "source"];
const WAIVER_KEYS: &[&str] = &[
    "rule",
    "resource",
    "environments",
    "reason",
    "owner",
    "expires",
];

/// One key of a table, with its full dotted path and position.
struct Field<'d> {
    name: &'d str,
    key: String,
    /// Byte offset of the key.
    at: usize,
    item: &'d Item,
}

impl Field<'_> {
    /// Byte offset of the value (the key's when the value has no span).
    fn value_at(&self) -> usize {
        self.item.span().map_or(self.at, |r| r.start)
    }
}

fn read(root: &toml_edit::Table, sink: &mut Sink) -> RawConfig {
    let mut raw = RawConfig::default();
    for f in fields(sink, root, "", 0, Some(TOP_KEYS)) {
        match f.name {
            "rules" => raw.rules = strings(sink, &f).map(|s| s.value).unwrap_or_default(),
            "fail-on" => raw.fail_on = string(sink, &f),
            "environments" => {
                if let Some((table, at)) = table(sink, &f) {
                    for ef in fields(sink, table, &f.key, at, None) {
                        if let Some(env) = read_environment(sink, &ef) {
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

fn read_environment(sink: &mut Sink, f: &Field) -> Option<RawEnvironment> {
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
        terraform: None,
        state: None,
        aws: None,
    };
    for g in fields(sink, t, &f.key, at, Some(ENV_KEYS)) {
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
            "terraform" => env.terraform = read_terraform(sink, &g),
            "state" => env.state = read_state(sink, &g),
            "aws" => env.aws = read_aws(sink, &g),
            _ => {}
        }
    }
    Some(env)
}

fn read_terraform(sink: &mut Sink, f: &Field) -> Option<RawTerraform> {
    let (t, at) = table(sink, f)?;
    let mut tf = RawTerraform {
        at,
        key: f.key.clone(),
        root: None,
        var_files: Vec::new(),
        vars: crate::model::Map::new(),
        workspace: None,
        module: None,
    };
    for g in fields(sink, t, &f.key, at, Some(TERRAFORM_KEYS)) {
        match g.name {
            "root" => tf.root = string(sink, &g),
            "var-files" => tf.var_files = strings(sink, &g).map(|s| s.value).unwrap_or_default(),
            "vars" => {
                if let Some((vars, _)) = table(sink, &g) {
                    tf.vars = vars
                        .iter()
                        .map(|(k, v)| (k.to_string(), item_to_value(v)))
                        .collect();
                }
            }
            "workspace" => tf.workspace = string(sink, &g),
            "module" => tf.module = string(sink, &g),
            _ => {}
        }
    }
    Some(tf)
}

fn read_state(sink: &mut Sink, f: &Field) -> Option<RawState> {
    let (t, at) = table(sink, f)?;
    let mut st = RawState {
        at,
        key: f.key.clone(),
        path: None,
        paths: None,
        plan: None,
    };
    for g in fields(sink, t, &f.key, at, Some(STATE_KEYS)) {
        match g.name {
            "path" => st.path = string(sink, &g),
            "paths" => st.paths = strings(sink, &g),
            "plan" => st.plan = string(sink, &g),
            _ => {}
        }
    }
    Some(st)
}

fn read_aws(sink: &mut Sink, f: &Field) -> Option<RawAws> {
    let (t, at) = table(sink, f)?;
    let mut aws = RawAws::default();
    for g in fields(sink, t, &f.key, at, Some(AWS_KEYS)) {
        match g.name {
            "profile" => aws.profile = string(sink, &g),
            "region" => aws.region = string(sink, &g),
            "role-arn" => aws.role_arn = string(sink, &g),
            "external-id" => aws.external_id = string(sink, &g),
            "endpoint-url" => aws.endpoint_url = string(sink, &g),
            "tags" => {
                if let Some((tags, tags_at)) = table(sink, &g) {
                    for tag in fields(sink, tags, &g.key, tags_at, None) {
                        if let Some(v) = string(sink, &tag) {
                            aws.tags.insert(tag.name.to_string(), v.value);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Some(aws)
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

/// The keys of `table`; with `known`, unknown keys are reported (with the
/// closest known key when it is within an edit distance of 2) and skipped.
fn fields<'d>(
    sink: &mut Sink,
    table: &'d dyn TableLike,
    path: &str,
    table_at: usize,
    known: Option<&[&str]>,
) -> Vec<Field<'d>> {
    let mut out = Vec::new();
    for (name, item) in table.iter() {
        let at = table
            .key(name)
            .and_then(|k| k.span())
            .map_or(table_at, |r| r.start);
        let key = join_key(path, name);
        if let Some(known) = known {
            if !known.contains(&name) {
                let message = match closest(name, known.iter().copied()) {
                    Some(s) => format!("unknown key `{name}`, did you mean `{s}`?"),
                    None => format!(
                        "unknown key `{name}` (expected one of: {})",
                        known.join(", ")
                    ),
                };
                sink.report(at, &key, message);
                continue;
            }
        }
        out.push(Field {
            name,
            key,
            at,
            item,
        });
    }
    out
}

fn string(sink: &mut Sink, f: &Field) -> Option<Spanned<String>> {
    match f.item.as_str() {
        Some(s) => Some(Spanned {
            value: s.to_string(),
            at: f.value_at(),
            key: f.key.clone(),
        }),
        None => {
            sink.report(
                f.value_at(),
                &f.key,
                format!("expected a string, found {}", item_type(f.item)),
            );
            None
        }
    }
}

fn strings(sink: &mut Sink, f: &Field) -> Option<Spanned<Vec<Spanned<String>>>> {
    let Some(array) = f.item.as_array() else {
        sink.report(
            f.value_at(),
            &f.key,
            format!("expected an array of strings, found {}", item_type(f.item)),
        );
        return None;
    };
    let array_at = f.value_at();
    let mut out = Vec::new();
    for (i, v) in array.iter().enumerate() {
        let key = format!("{}[{i}]", f.key);
        let at = v.span().map_or(array_at, |r| r.start);
        match v.as_str() {
            Some(s) => out.push(Spanned {
                value: s.to_string(),
                at,
                key,
            }),
            None => sink.report(
                at,
                &key,
                format!("expected a string, found {}", value_type(v)),
            ),
        }
    }
    Some(Spanned {
        value: out,
        at: array_at,
        key: f.key.clone(),
    })
}

/// A table (standard, inline or dotted) and its position.
fn table<'d>(sink: &mut Sink, f: &Field<'d>) -> Option<(&'d dyn TableLike, usize)> {
    match f.item.as_table_like() {
        Some(t) => Some((t, f.value_at())),
        None => {
            sink.report(
                f.value_at(),
                &f.key,
                format!("expected a table, found {}", item_type(f.item)),
            );
            None
        }
    }
}

/// `[[name]]` tables (or an array of inline tables): (key, position, table).
fn table_list<'d>(sink: &mut Sink, f: &Field<'d>) -> Vec<(String, usize, &'d dyn TableLike)> {
    let mut out: Vec<(String, usize, &'d dyn TableLike)> = Vec::new();
    match f.item {
        Item::ArrayOfTables(tables) => {
            for (i, t) in tables.iter().enumerate() {
                let at = t.span().map_or(f.at, |r| r.start);
                out.push((format!("{}[{i}]", f.key), at, t));
            }
        }
        Item::Value(toml_edit::Value::Array(array)) => {
            for (i, v) in array.iter().enumerate() {
                let key = format!("{}[{i}]", f.key);
                let at = v.span().map_or(f.at, |r| r.start);
                match v.as_inline_table() {
                    Some(t) => out.push((key, at, t)),
                    None => sink.report(
                        at,
                        &key,
                        format!("expected a table, found {}", value_type(v)),
                    ),
                }
            }
        }
        other => sink.report(
            f.value_at(),
            &f.key,
            format!(
                "expected an array of tables (`[[{}]]`), found {}",
                f.name,
                item_type(other)
            ),
        ),
    }
    out
}

fn item_type(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(v) => value_type(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

fn value_type(v: &toml_edit::Value) -> &'static str {
    match v {
        toml_edit::Value::String(_) => "a string",
        toml_edit::Value::Integer(_) => "an integer",
        toml_edit::Value::Float(_) => "a float",
        toml_edit::Value::Boolean(_) => "a boolean",
        toml_edit::Value::Datetime(_) => "a date-time",
        toml_edit::Value::Array(_) => "an array",
        toml_edit::Value::InlineTable(_) => "a table",
    }
}

fn item_to_value(item: &Item) -> Value {
    match item {
        Item::None => Value::Null,
        Item::Value(v) => toml_to_value(v),
        Item::Table(t) => Value::Map(
            t.iter()
                .map(|(k, v)| (k.to_string(), item_to_value(v)))
                .collect(),
        ),
        Item::ArrayOfTables(a) => Value::List(
            a.iter()
                .map(|t| {
                    Value::Map(
                        t.iter()
                            .map(|(k, v)| (k.to_string(), item_to_value(v)))
                            .collect(),
                    )
                })
                .collect(),
        ),
    }
}

fn toml_to_value(v: &toml_edit::Value) -> Value {
    match v {
        toml_edit::Value::String(s) => Value::String(s.value().clone()),
        toml_edit::Value::Integer(i) => Value::Number(*i.value() as f64),
        toml_edit::Value::Float(f) => Value::Number(*f.value()),
        toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
        toml_edit::Value::Datetime(d) => Value::String(d.value().to_string()),
        toml_edit::Value::Array(a) => Value::List(a.iter().map(toml_to_value).collect()),
        toml_edit::Value::InlineTable(t) => Value::Map(
            t.iter()
                .map(|(k, v)| (k.to_string(), toml_to_value(v)))
                .collect(),
        ),
    }
}

/// `path.key`, quoting keys that are not bare TOML keys.
fn join_key(path: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

/// The candidate closest to `word` within an edit distance of 2.
fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != *cb);
            cur.push(substitution.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
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
        let env = validate_environment(env, dir, sink);
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
    }
}

fn validate_environment(env: RawEnvironment, dir: &Path, sink: &mut Sink) -> Environment {
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
    let mut aliases: Vec<String> = Vec::new();
    for alias in env.aliases {
        if alias.value != env.name.value && !aliases.contains(&alias.value) {
            aliases.push(alias.value);
        }
    }
    Environment {
        name: env.name.value,
        aliases,
        account_id: env.account_id.map(|s| s.value),
        region: env.region.map(|s| s.value),
        terraform: env.terraform.map(|t| validate_terraform(t, dir, sink)),
        state: env.state.map(|s| validate_state(s, dir, sink)),
        aws: env.aws.map(|a| validate_aws(a, sink)),
        line,
    }
}

fn validate_terraform(tf: RawTerraform, dir: &Path, sink: &mut Sink) -> TerraformSource {
    let root = match &tf.root {
        Some(root) => {
            let resolved = resolve(dir, &root.value);
            if root.value.trim().is_empty() {
                sink.report(
                    root.at,
                    &root.key,
                    "`root` cannot be empty (use \".\" for the config's directory)",
                );
            } else if !resolved.exists() {
                sink.report(
                    root.at,
                    &root.key,
                    format!("directory `{}` does not exist", resolved.display()),
                );
            } else if !resolved.is_dir() {
                sink.report(
                    root.at,
                    &root.key,
                    format!("`{}` is not a directory", resolved.display()),
                );
            }
            resolved
        }
        None => {
            sink.report(
                tf.at,
                &join_key(&tf.key, "root"),
                "missing required key `root` (the Terraform root module directory)",
            );
            PathBuf::new()
        }
    };
    let mut var_files = Vec::new();
    for file in &tf.var_files {
        let resolved = resolve(dir, &file.value);
        if !resolved.exists() {
            sink.report(
                file.at,
                &file.key,
                format!("var file `{}` does not exist", resolved.display()),
            );
        } else if resolved.is_dir() {
            sink.report(
                file.at,
                &file.key,
                format!("var file `{}` is a directory", resolved.display()),
            );
        }
        var_files.push(resolved);
    }
    if let Some(ws) = &tf.workspace {
        if ws.value.trim().is_empty() {
            sink.report(ws.at, &ws.key, "a workspace name cannot be empty");
        }
    }
    TerraformSource {
        root,
        var_files,
        vars: tf.vars,
        workspace: tf
            .workspace
            .map_or_else(|| "default".to_string(), |s| s.value),
        module: tf.module.map(|s| s.value),
    }
}

fn validate_state(st: RawState, dir: &Path, sink: &mut Sink) -> StateSource {
    let mut paths = Vec::new();
    match (&st.path, &st.paths) {
        (Some(_), Some(list)) => sink.report(
            list.at,
            &list.key,
            "`path` and `paths` cannot both be set; use `paths` for several state files",
        ),
        (None, None) if st.plan.is_none() => sink.report(
            st.at,
            &st.key,
            "a state source needs `path`, `paths` or `plan`",
        ),
        (None, Some(list)) if list.value.is_empty() => sink.report(
            list.at,
            &list.key,
            "`paths` must list at least one state file",
        ),
        _ => {}
    }
    let given = st
        .path
        .iter()
        .chain(st.paths.iter().flat_map(|l| l.value.iter()));
    for p in given {
        if p.value.trim().is_empty() {
            sink.report(p.at, &p.key, "a state path cannot be empty");
        } else if p.value.contains("://") {
            paths.push(p.value.clone());
        } else {
            paths.push(resolve(dir, &p.value).to_string_lossy().into_owned());
        }
    }
    StateSource {
        paths,
        // A URL (`s3://...`) is kept as written, like the URLs in `paths`.
        plan: st.plan.map(|p| {
            if p.value.contains("://") {
                PathBuf::from(&p.value)
            } else {
                resolve(dir, &p.value)
            }
        }),
    }
}

fn validate_aws(aws: RawAws, sink: &mut Sink) -> AwsSource {
    if let Some(region) = &aws.region {
        check_region(sink, region);
    }
    if let Some(arn) = &aws.role_arn {
        let parts: Vec<&str> = arn.value.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[2] == "iam"
            && parts[5].starts_with("role/");
        if !ok {
            sink.report(
                arn.at,
                &arn.key,
                format!(
                    "`{}` is not an IAM role ARN (arn:aws:iam::<account-id>:role/<name>)",
                    arn.value
                ),
            );
        }
    }
    if let Some(url) = &aws.endpoint_url {
        let rest = url
            .value
            .strip_prefix("http://")
            .or_else(|| url.value.strip_prefix("https://"));
        if rest.is_none_or(str::is_empty) {
            sink.report(
                url.at,
                &url.key,
                format!("`{}` is not an http:// or https:// URL", url.value),
            );
        }
    }
    AwsSource {
        profile: aws.profile.map(|s| s.value),
        region: aws.region.map(|s| s.value),
        role_arn: aws.role_arn.map(|s| s.value),
        external_id: aws.external_id.map(|s| s.value),
        endpoint_url: aws.endpoint_url.map(|s| s.value),
        tags: aws.tags,
    }
}

/// AWS region names: `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`.
fn check_region(sink: &mut Sink, region: &Spanned<String>) {
    let parts: Vec<&str> = region.value.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if !ok {
        sink.report(
            region.at,
            &region.key,
            format!(
                "`{}` is not an AWS region name (like eu-west-1)",
                region.value
            ),
        );
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

/// Join a relative path to the config's directory (`.` is left out so paths
/// stay as the user wrote them when the config is in the current directory).
fn resolve(dir: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() || dir == Path::new(".") {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A temp dir with the layout the examples refer to.
    fn layout() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        for d in ["envs/staging", "envs/prod", "rules", "state"] {
            fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        fs::write(tmp.path().join("envs/staging/terraform.tfvars"), "a = 1\n").unwrap();
        fs::write(tmp.path().join("envs/prod/terraform.tfvars"), "a = 2\n").unwrap();
        fs::write(tmp.path().join("rules/local.toml"), "").unwrap();
        tmp
    }

    fn parse_in(dir: &Path, text: &str) -> Result<Config, ConfigError> {
        parse(text, &dir.join(FILE_NAME))
    }

    fn problems_in(dir: &Path, text: &str) -> Vec<Problem> {
        match parse_in(dir, text) {
            Ok(c) => panic!("expected problems, got {c:#?}"),
            Err(ConfigError::Invalid { problems, .. }) => problems,
            Err(e) => panic!("unexpected error {e}"),
        }
    }

    /// Problems of `text` in a fresh layout.
    fn problems(text: &str) -> Vec<Problem> {
        let tmp = layout();
        problems_in(tmp.path(), text)
    }

    #[track_caller]
    fn assert_problem(problems: &[Problem], line: usize, key: &str, message: &str) {
        assert!(
            problems
                .iter()
                .any(|p| p.line == line && p.key == key && p.message.contains(message)),
            "no problem at line {line} for `{key}` containing {message:?} in {problems:#?}"
        );
    }

    const FULL: &str = r#"rules = ["rules/local.toml", "rules"]
fail-on = "warning"

[environments.staging]
aliases = ["stg", "stage"]
account-id = "111111111111"
region = "eu-west-1"
terraform = { root = "envs/staging", var-files = ["envs/staging/terraform.tfvars"], workspace = "staging", vars = { replicas = 2, name = "shop", on = true, zones = ["a", "b"], tags = { team = "core" } } }
state = { path = "state/staging.tfstate" }
aws = { profile = "staging", region = "eu-west-1", role-arn = "arn:aws:iam::111111111111:role/parity", external-id = "x-1", endpoint-url = "http://127.0.0.1:5000", tags = { Environment = "staging" } }

[environments.prod]
aliases = ["production"]
account-id = "222222222222"

[environments.prod.terraform]
root = "envs/prod"
var-files = ["envs/prod/terraform.tfvars"]
module = "module.app"

[environments.prod.state]
paths = ["s3://bucket/prod.tfstate", "state/prod-2.tfstate"]
plan = "plan.json"

[[check]]
reference = "prod"
compare = ["staging"]
source = "state"

[[check]]
reference = "production"
compare = ["stg"]

[[match]]
staging = "module.staging_router"
prod = "module.production_router"

[[waiver]]
rule = "engine-version"
resource = "module.db.aws_db_instance.*"
environments = ["staging"]
reason = "staging tries PostgreSQL 16 first"
owner = "data-platform"
expires = "2026-12-31"

[[waiver]]
rule = "instance-class"
resource = "*"
reason = "smaller in staging"
expires = 2027-01-15
"#;

    #[test]
    fn full_example_loads_with_every_field() {
        let tmp = layout();
        let d = tmp.path();
        let c = parse_in(d, FULL).unwrap();
        assert_eq!(c.path, d.join("parity.toml"));
        assert_eq!(c.dir, d);
        assert_eq!(c.rules, vec![d.join("rules/local.toml"), d.join("rules")]);
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert_eq!(
            c.environments.keys().collect::<Vec<_>>(),
            vec!["prod", "staging"]
        );

        let stg = &c.environments["staging"];
        assert_eq!(stg.name, "staging");
        assert_eq!(stg.aliases, vec!["stg", "stage"]);
        assert_eq!(stg.account_id.as_deref(), Some("111111111111"));
        assert_eq!(stg.region.as_deref(), Some("eu-west-1"));
        assert_eq!(stg.line, 4);
        let tf = stg.terraform.as_ref().unwrap();
        assert_eq!(tf.root, d.join("envs/staging"));
        assert_eq!(tf.var_files, vec![d.join("envs/staging/terraform.tfvars")]);
        assert_eq!(tf.workspace, "staging");
        assert_eq!(tf.module, None);
        assert_eq!(tf.vars["replicas"], Value::Number(2.0));
        assert_eq!(tf.vars["name"], Value::str("shop"));
        assert_eq!(tf.vars["on"], Value::Bool(true));
        assert_eq!(
            tf.vars["zones"],
            Value::List(vec![Value::str("a"), Value::str("b")])
        );
        assert_eq!(
            tf.vars["tags"],
            Value::Map([("team".to_string(), Value::str("core"))].into())
        );
        let st = stg.state.as_ref().unwrap();
        assert_eq!(
            st.paths,
            vec![d
                .join("state/staging.tfstate")
                .to_string_lossy()
                .into_owned()]
        );
        assert_eq!(st.plan, None);
        let aws = stg.aws.as_ref().unwrap();
        assert_eq!(aws.profile.as_deref(), Some("staging"));
        assert_eq!(aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            aws.role_arn.as_deref(),
            Some("arn:aws:iam::111111111111:role/parity")
        );
        assert_eq!(aws.external_id.as_deref(), Some("x-1"));
        assert_eq!(aws.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(aws.tags["Environment"], "staging");

        let prod = &c.environments["prod"];
        assert_eq!(prod.line, 12);
        assert_eq!(prod.region, None);
        assert!(prod.aws.is_none());
        let tf = prod.terraform.as_ref().unwrap();
        assert_eq!(tf.root, d.join("envs/prod"));
        assert_eq!(tf.workspace, "default");
        assert_eq!(tf.module.as_deref(), Some("module.app"));
        assert!(tf.vars.is_empty());
        let st = prod.state.as_ref().unwrap();
        assert_eq!(st.paths[0], "s3://bucket/prod.tfstate");
        assert_eq!(
            st.paths[1],
            d.join("state/prod-2.tfstate").to_string_lossy()
        );
        assert_eq!(st.plan, Some(d.join("plan.json")));

        assert_eq!(
            c.checks,
            vec![
                Check {
                    reference: "prod".into(),
                    compare: vec!["staging".into()],
                    source: SourceKind::State,
                    line: 25,
                },
                Check {
                    reference: "prod".into(),
                    compare: vec!["staging".into()],
                    source: SourceKind::Code,
                    line: 30,
                },
            ]
        );
        assert_eq!(c.matches.len(), 1);
        assert_eq!(c.matches[0].line, 34);
        assert_eq!(c.matches[0].addresses["staging"], "module.staging_router");
        assert_eq!(c.matches[0].addresses["prod"], "module.production_router");
        assert_eq!(
            c.waivers[0],
            Waiver {
                rule: "engine-version".into(),
                resource: "module.db.aws_db_instance.*".into(),
                environments: vec!["staging".into()],
                reason: "staging tries PostgreSQL 16 first".into(),
                owner: Some("data-platform".into()),
                expires: Some("2026-12-31".into()),
                line: 38,
            }
        );
        assert_eq!(c.waivers[1].environments, Vec::<String>::new());
        assert_eq!(c.waivers[1].expires.as_deref(), Some("2027-01-15"));
        assert_eq!(c.waivers[1].owner, None);
        assert_eq!(
            c.environment("stg").map(|e| e.name.as_str()),
            Some("staging")
        );
        assert_eq!(c.environment("prod").map(|e| e.line), Some(12));
        assert!(c.environment("qa").is_none());
    }

    #[test]
    fn fail_on_parses_and_maps_to_a_threshold() {
        assert_eq!("error".parse::<FailOn>(), Ok(FailOn::Error));
        assert_eq!(FailOn::Warning.threshold(), Some(Severity::Warning));
        assert_eq!(FailOn::Info.threshold(), Some(Severity::Info));
        assert_eq!(FailOn::Error.threshold(), Some(Severity::Error));
        assert_eq!("never".parse::<FailOn>().unwrap().threshold(), None);
        assert!("fatal".parse::<FailOn>().is_err());
        assert_eq!(FailOn::Never.to_string(), "never");
    }

    #[test]
    fn a_plan_url_is_kept_as_written() {
        let c = parse(
            "[environments.prod.state]\nplan = \"s3://bucket/plans/prod.json\"\n",
            Path::new("conf/parity.toml"),
        )
        .unwrap();
        let st = c.environments["prod"].state.as_ref().unwrap();
        assert_eq!(st.plan, Some(PathBuf::from("s3://bucket/plans/prod.json")));
    }

    #[test]
    fn empty_file_is_a_valid_empty_config() {
        let c = parse("", Path::new("parity.toml")).unwrap();
        assert_eq!(c.dir, Path::new("."));
        assert!(c.environments.is_empty() && c.checks.is_empty());
        assert_eq!(c.fail_on, None);
    }

    #[test]
    fn syntax_error_reports_toml_position_and_stops() {
        let p = problems(
            "fail-on = \"error\"\n[environments.staging]\naliases = [\"stg\"\nbogus = 1\n",
        );
        assert_eq!(p.len(), 1, "{p:#?}");
        assert_eq!(p[0].key, "");
        assert_eq!(p[0].line, 4);
        assert!(
            p[0].message.starts_with("TOML syntax error: "),
            "{}",
            p[0].message
        );
        let p = problems("a = 1\na = 2\n");
        assert_eq!((p[0].line, p[0].column), (2, 1));
        assert!(p[0].message.contains("duplicate key `a`"));
    }

    #[test]
    fn unknown_keys_are_named_with_a_suggestion() {
        let p = problems(
            r#"failon = "error"
[environments.staging]
terraform = { root = "envs/staging", var_files = [] }
colour = "blue"
[environments.staging.aws]
role_arn = "arn:aws:iam::111111111111:role/x"
[[checks]]
reference = "staging"
"#,
        );
        assert_problem(
            &p,
            1,
            "failon",
            "unknown key `failon`, did you mean `fail-on`?",
        );
        assert_problem(
            &p,
            3,
            "environments.staging.terraform.var_files",
            "unknown key `var_files`, did you mean `var-files`?",
        );
        assert_problem(
            &p,
            4,
            "environments.staging.colour",
            "unknown key `colour` (expected one of: aliases, account-id, region, terraform, state, aws)",
        );
        assert_problem(
            &p,
            6,
            "environments.staging.aws.role_arn",
            "did you mean `role-arn`?",
        );
        assert_problem(&p, 7, "checks", "did you mean `check`?");
        assert_eq!(p.len(), 5, "{p:#?}");
        // Column of the key.
        assert_eq!(p[1].column, 38);
    }

    #[test]
    fn wrong_types_are_reported() {
        let p = problems(
            r#"rules = "rules"
[environments.staging]
aliases = "stg"
account-id = 111111111111
terraform = "envs/staging"
[environments.prod]
aliases = ["p", 3]
aws = { tags = { Environment = 1 } }
[check]
reference = "prod"
"#,
        );
        assert_problem(
            &p,
            1,
            "rules",
            "expected an array of strings, found a string",
        );
        assert_problem(
            &p,
            3,
            "environments.staging.aliases",
            "expected an array of strings, found a string",
        );
        assert_problem(
            &p,
            4,
            "environments.staging.account-id",
            "expected a string of 12 digits, found an integer",
        );
        assert_problem(
            &p,
            5,
            "environments.staging.terraform",
            "expected a table, found a string",
        );
        assert_problem(
            &p,
            7,
            "environments.prod.aliases[1]",
            "expected a string, found an integer",
        );
        assert_problem(
            &p,
            8,
            "environments.prod.aws.tags.Environment",
            "expected a string, found an integer",
        );
        assert_problem(
            &p,
            9,
            "check",
            "expected an array of tables (`[[check]]`), found a table",
        );
        assert_eq!(p.len(), 7, "{p:#?}");
    }

    #[test]
    fn missing_required_keys() {
        let p = problems(
            r#"[environments.staging]
terraform = { var-files = [] }
[environments.prod]

[[check]]
source = "code"

[[match]]
prod = "module.a"

[[waiver]]
owner = "me"
"#,
        );
        assert_problem(
            &p,
            2,
            "environments.staging.terraform.root",
            "missing required key `root`",
        );
        assert_problem(
            &p,
            5,
            "check[0].reference",
            "missing required key `reference`",
        );
        assert_problem(&p, 5, "check[0].compare", "missing required key `compare`");
        assert_problem(&p, 8, "match[0]", "at least two environments, found 1");
        assert_problem(&p, 11, "waiver[0].rule", "missing required key `rule`");
        assert_problem(
            &p,
            11,
            "waiver[0].resource",
            "missing required key `resource`",
        );
        assert_problem(&p, 11, "waiver[0].reason", "missing required key `reason`");
        assert_eq!(p.len(), 7, "{p:#?}");
    }

    #[test]
    fn paths_that_must_exist() {
        let p = problems(
            r#"rules = ["rules/local.toml", "rules/nope.toml"]
[environments.staging]
terraform = { root = "envs/nope", var-files = ["envs/staging/terraform.tfvars", "envs/staging/nope.tfvars"] }
state = { path = "state/missing.tfstate", plan = "missing-plan.json" }
[environments.prod]
terraform = { root = "envs/prod/terraform.tfvars", var-files = ["envs/prod"] }
"#,
        );
        assert_problem(&p, 1, "rules[1]", "rule file or folder");
        assert_problem(&p, 1, "rules[1]", "nope.toml` does not exist");
        assert_problem(
            &p,
            3,
            "environments.staging.terraform.root",
            "envs/nope` does not exist",
        );
        assert_problem(
            &p,
            3,
            "environments.staging.terraform.var-files[1]",
            "nope.tfvars` does not exist",
        );
        assert_problem(
            &p,
            6,
            "environments.prod.terraform.root",
            "terraform.tfvars` is not a directory",
        );
        assert_problem(
            &p,
            6,
            "environments.prod.terraform.var-files[0]",
            "is a directory",
        );
        let empty = problems("[environments.qa]\nterraform = { root = \"\" }\n");
        assert_problem(
            &empty,
            2,
            "environments.qa.terraform.root",
            "cannot be empty",
        );
        let tmp = layout();
        let c = parse_in(
            tmp.path(),
            "[environments.qa]\nterraform = { root = \".\" }\n",
        )
        .unwrap();
        assert_eq!(
            c.environments["qa"].terraform.as_ref().unwrap().root,
            tmp.path().join(".")
        );
        // A missing state file or plan is the state source's business.
        assert_eq!(p.len(), 5, "{p:#?}");
    }

    #[test]
    fn references_to_unknown_environments() {
        let p = problems(
            r#"[environments.staging]
[environments.prod]

[[check]]
reference = "prd"
compare = ["staging", "qa"]

[[match]]
staging = "module.a"
stagin = "module.b"

[[waiver]]
rule = "x"
resource = "*"
reason = "r"
environments = ["dev"]
"#,
        );
        assert_problem(
            &p,
            5,
            "check[0].reference",
            "environment `prd` is not defined under [environments], did you mean `prod`?",
        );
        assert_problem(
            &p,
            6,
            "check[0].compare[1]",
            "environment `qa` is not defined under [environments] (defined: prod, staging)",
        );
        assert_problem(&p, 10, "match[0].stagin", "did you mean `staging`?");
        assert_problem(&p, 16, "waiver[0].environments[0]", "`dev` is not defined");
        assert_eq!(p.len(), 4, "{p:#?}");
    }

    #[test]
    fn check_reference_in_compare_and_empty_compare() {
        let p = problems(
            r#"[environments.staging]
aliases = ["stg"]
[environments.prod]
[[check]]
reference = "staging"
compare = ["prod", "stg"]
[[check]]
reference = "prod"
compare = []
"#,
        );
        assert_problem(
            &p,
            6,
            "check[0].compare[1]",
            "`stg` is the reference of this check",
        );
        assert_problem(&p, 9, "check[1].compare", "at least one environment");
        assert_eq!(p.len(), 2, "{p:#?}");
    }

    #[test]
    fn match_resolves_aliases_and_rejects_duplicates() {
        let tmp = layout();
        let text = r#"[environments.staging]
aliases = ["stg"]
[environments.prod]
[[match]]
stg = "module.a"
prod = 3
[[match]]
stg = "module.a"
staging = "module.b"
prod = "module.c"
"#;
        let p = problems_in(tmp.path(), text);
        assert_problem(
            &p,
            6,
            "match[0].prod",
            "expected a string, found an integer",
        );
        assert_problem(&p, 4, "match[0]", "at least two environments, found 1");
        assert_problem(&p, 9, "match[1].staging", "`staging` is given twice");
        assert_eq!(p.len(), 3, "{p:#?}");
        let c = parse_in(
            tmp.path(),
            "[environments.staging]\naliases = [\"stg\"]\n[environments.prod]\n[[match]]\nstg = \"module.a\"\nprod = \"module.b\"\n",
        )
        .unwrap();
        assert_eq!(c.matches[0].addresses["staging"], "module.a");
        assert_eq!(c.matches[0].line, 4);
    }

    #[test]
    fn alias_clashes() {
        let p = problems(
            r#"[environments.staging]
aliases = ["stg", "staging"]
[environments.stage]
aliases = ["stg", "prod"]
[environments.prod]
"#,
        );
        assert_problem(
            &p,
            4,
            "environments.stage.aliases[0]",
            "alias `stg` is also used by environment `staging`",
        );
        assert_problem(
            &p,
            4,
            "environments.stage.aliases[1]",
            "alias `prod` is the name of another environment",
        );
        assert_eq!(p.len(), 2, "{p:#?}");
    }

    #[test]
    fn invalid_enumerations_and_formats() {
        let p = problems(
            r#"fail-on = "fatal"
[environments.staging]
account-id = "1111"
region = "eu-west1"
aws = { region = "Europe", role-arn = "my-role", endpoint-url = "localhost:5000" }
[environments.prod]
[[check]]
reference = "prod"
compare = ["staging"]
source = "tfstate"
[[waiver]]
rule = "x"
resource = "module.{a"
reason = "r"
expires = "2026-02-30"
[[waiver]]
rule = "x"
resource = "*"
reason = "  "
expires = "next week"
[[waiver]]
rule = "x"
resource = "*"
reason = "r"
expires = 2026-01-01T10:00:00
"#,
        );
        assert_problem(
            &p,
            1,
            "fail-on",
            "invalid value `fatal`, expected one of: error, warning, info, never",
        );
        assert_problem(
            &p,
            3,
            "environments.staging.account-id",
            "`1111` is not an AWS account id (12 digits)",
        );
        assert_problem(
            &p,
            4,
            "environments.staging.region",
            "not an AWS region name",
        );
        assert_problem(
            &p,
            5,
            "environments.staging.aws.region",
            "`Europe` is not an AWS region",
        );
        assert_problem(
            &p,
            5,
            "environments.staging.aws.role-arn",
            "not an IAM role ARN",
        );
        assert_problem(
            &p,
            5,
            "environments.staging.aws.endpoint-url",
            "not an http://",
        );
        assert_problem(
            &p,
            10,
            "check[0].source",
            "invalid value `tfstate`, expected one of: code, state, plan, live",
        );
        assert_problem(&p, 13, "waiver[0].resource", "invalid glob");
        assert_problem(
            &p,
            15,
            "waiver[0].expires",
            "`2026-02-30` is not a valid date",
        );
        assert_problem(&p, 19, "waiver[1].reason", "`reason` cannot be empty");
        assert_problem(
            &p,
            20,
            "waiver[1].expires",
            "`next week` is not a valid date",
        );
        assert_problem(&p, 25, "waiver[2].expires", "expected a date (YYYY-MM-DD)");
        assert_eq!(p.len(), 12, "{p:#?}");
    }

    #[test]
    fn state_path_and_paths_are_exclusive() {
        let p = problems(
            r#"[environments.staging]
state = { path = "a.tfstate", paths = ["b.tfstate"] }
[environments.prod.state]
"#,
        );
        assert_problem(
            &p,
            2,
            "environments.staging.state.paths",
            "`path` and `paths` cannot both be set",
        );
        assert_problem(
            &p,
            3,
            "environments.prod.state",
            "needs `path`, `paths` or `plan`",
        );
        assert_eq!(p.len(), 2, "{p:#?}");
    }

    #[test]
    fn all_problems_are_reported_sorted_and_rendered() {
        let tmp = layout();
        let text = r#"fail-on = "sometimes"
[environments.staging]
aliases = "stg"
terraform = { root = "envs/missing", var_files = ["x.tfvars"] }

[[check]]
reference = "prod"
compare = ["staging"]
"#;
        let err = parse_in(tmp.path(), text).unwrap_err();
        let ConfigError::Invalid { path, problems } = &err else {
            panic!("{err}");
        };
        assert_eq!(path, &tmp.path().join("parity.toml"));
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 3, 4, 4, 7]);
        let rendered = err.to_string();
        let file = tmp.path().join("parity.toml");
        let f = file.display();
        let root = tmp.path().join("envs/missing");
        let expected = format!(
            "invalid configuration {f}: 5 problems\n  \
             {f}:1:11: fail-on: invalid value `sometimes`, expected one of: error, warning, info, never\n  \
             {f}:3:11: environments.staging.aliases: expected an array of strings, found a string\n  \
             {f}:4:22: environments.staging.terraform.root: directory `{}` does not exist\n  \
             {f}:4:38: environments.staging.terraform.var_files: unknown key `var_files`, did you mean `var-files`?\n  \
             {f}:7:13: check[0].reference: environment `prod` is not defined under [environments] (defined: staging)",
            root.display()
        );
        assert_eq!(rendered, expected);
    }

    #[test]
    fn render_singular_and_syntax_error() {
        let err = parse("x = [", Path::new("conf/parity.toml")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("invalid configuration conf/parity.toml: 1 problem\n  conf/parity.toml:1:6: TOML syntax error: "),
            "{text}"
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_config_dir() {
        let tmp = layout();
        fs::create_dir_all(tmp.path().join("infra")).unwrap();
        let text = r#"rules = ["../rules/local.toml"]
[environments.staging]
terraform = { root = "../envs/staging", var-files = ["../envs/staging/terraform.tfvars"] }
state = { paths = ["../state/s.tfstate", "/abs/s.tfstate"], plan = "p.json" }
"#;
        let infra = tmp.path().join("infra");
        fs::write(infra.join("parity.toml"), text).unwrap();
        // Loaded from elsewhere than the current directory.
        let c = load(&infra.join("parity.toml")).unwrap();
        assert_eq!(c.dir, infra);
        assert_eq!(c.rules, vec![infra.join("../rules/local.toml")]);
        let env = &c.environments["staging"];
        let tf = env.terraform.as_ref().unwrap();
        assert_eq!(tf.root, infra.join("../envs/staging"));
        assert!(tf.root.is_dir());
        let st = env.state.as_ref().unwrap();
        assert_eq!(
            st.paths[0],
            infra.join("../state/s.tfstate").to_string_lossy()
        );
        assert_eq!(st.paths[1], "/abs/s.tfstate");
        assert_eq!(st.plan, Some(infra.join("p.json")));
    }

    #[test]
    fn standard_dotted_and_inline_tables_all_work() {
        let tmp = layout();
        let text = r#"[environments]
staging = { terraform = { root = "envs/staging" } }

[environments.prod]
terraform.root = "envs/prod"
terraform.vars.replicas = 3
aws.tags.Environment = "prod"

[environments.qa.terraform]
root = "envs/staging"
[environments.qa.terraform.vars]
size = "small"

check = [{ reference = "prod", compare = ["staging", "qa"] }]
"#;
        // `check` above belongs to [environments.qa.terraform.vars]: a var.
        let c = parse_in(tmp.path(), text).unwrap();
        assert_eq!(
            c.environments["prod"].terraform.as_ref().unwrap().vars["replicas"],
            Value::Number(3.0)
        );
        assert_eq!(
            c.environments["prod"].aws.as_ref().unwrap().tags["Environment"],
            "prod"
        );
        assert_eq!(c.environments["staging"].line, 2);
        let qa = c.environments["qa"].terraform.as_ref().unwrap();
        assert_eq!(qa.vars["size"], Value::str("small"));
        assert!(qa.vars.contains_key("check"));
        assert!(c.checks.is_empty());

        let text = r#"check = [{ reference = "prod", compare = ["staging"] }]
[environments.staging]
[environments.prod]
"#;
        let c = parse_in(tmp.path(), text).unwrap();
        assert_eq!(c.checks[0].compare, vec!["staging"]);
        assert_eq!(c.checks[0].line, 1);
    }

    #[test]
    fn load_finds_parity_toml_in_a_directory() {
        let tmp = layout();
        fs::write(
            tmp.path().join(FILE_NAME),
            "[environments.staging]\nterraform = { root = \"envs/staging\" }\n",
        )
        .unwrap();
        let c = load(tmp.path()).unwrap();
        assert_eq!(c.path, tmp.path().join(FILE_NAME));
        assert_eq!(
            c.environments["staging"].terraform.as_ref().unwrap().root,
            tmp.path().join("envs/staging")
        );
        assert_eq!(
            locate(Some(tmp.path()), Path::new("/")),
            Some(c.path.clone())
        );
        assert_eq!(locate(None, tmp.path()), Some(c.path.clone()));
        assert_eq!(locate(None, &tmp.path().join("envs")), None);
    }

    #[test]
    fn missing_file_is_an_io_error_with_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope.toml");
        match load(&missing) {
            Err(ConfigError::Io { path, source }) => {
                assert_eq!(path, missing);
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
        let err = load(tmp.path()).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "cannot read {}: ",
                tmp.path().join(FILE_NAME).display()
            )),
            "{err}"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(edit_distance("var_files", "var-files"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("enviroments", TOP_KEYS.iter().copied()),
            Some("environments")
        );
        assert_eq!(closest("zzz", TOP_KEYS.iter().copied()), None);
        assert!(is_valid_date("2024-02-29"));
        assert!(!is_valid_date("2023-02-29"));
        assert!(!is_valid_date("2023-13-01"));
        assert!(!is_valid_date("2023-1-01"));
        assert!(!is_valid_date("+023-01-01"));
        assert_eq!(line_col("ab\ncd", 3), (2, 1));
        assert_eq!(line_col("ab\nçd", 5), (2, 2));
        assert_eq!(
            join_key("environments", "eu.prod"),
            "environments.\"eu.prod\""
        );
    }
}
