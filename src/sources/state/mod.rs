//! The state and plan sources: what Terraform last applied, or is about to.
//!
//! Three inputs, one model:
//! - `tfstate`: the raw state file (`terraform.tfstate`, format version 4),
//!   as written by Terraform or printed by `terraform state pull`;
//! - `show`: `terraform show -json` of a state (`values.root_module`);
//! - `plan`: `terraform show -json` of a saved plan (`planned_values`,
//!   `resource_changes`, `prior_state`, `configuration`).
//!
//! Each becomes the same [`Snapshot`] as the code source: Terraform
//! addresses, types and attribute names; nested blocks as lists of objects.
//! Real ids that always differ between environments (`vpc-0abc…`, ARNs with
//! random suffixes) are turned into the symbolic references the code source
//! produces (`ids`); secrets are redacted before anything else sees them
//! (`secrets`). Several state files per environment (one per stack) merge
//! into one snapshot; each resource keeps its file and line as its location.
//! [`drift`] prepares code and state of one environment for `parity drift`.
//! [`s3`] reads `s3://bucket/key` state through the AWS SDK (the `aws`
//! feature), with the environment's credentials, into the same parser.
//!
//! Parsing goes straight from the file's bytes into typed structs and model
//! values (`json`), never through a generic JSON tree, and a raw state is
//! read in blocks, its resources cut out and parsed in parallel batches
//! (`stream`): a 68 MB state parses at over 100 MB/s in under 2.5× its
//! size (see docs/sources.md, "Speed").

pub(crate) mod cfg;
pub(crate) mod data;
pub mod drift;
pub(crate) mod ids;
pub(crate) mod json;
pub(crate) mod plan;
pub mod s3;
pub(crate) mod secrets;
pub(crate) mod show;
pub(crate) mod source;
pub(crate) mod stream;
pub(crate) mod tfstate;

pub use cfg::StateTable;
pub(crate) use source::{data_sources, State};

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::model::{CoverageGap, Location, Resource, Snapshot, SourceKind, Value};
use crate::normalize::Normalizer;

/// Why a state or plan could not be read. Every message names the file and
/// never quotes a value from it.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{path} is empty: expected a Terraform state (or plan JSON)")]
    Empty { path: String },
    #[error("{path} is not valid JSON: {detail}")]
    Json { path: String, detail: String },
    #[error("{path} is a saved plan in Terraform's binary format: convert it with `terraform show -json {path} > {path}.json` and point `plan` at the JSON file")]
    BinaryPlan { path: String },
    #[error("{path} is a Terraform state of format version {found}; parity reads version 4 (Terraform 0.12 and later): upgrade it with a current Terraform (`terraform state pull > FILE` prints version 4)")]
    Version { path: String, found: String },
    #[error("{path} is `terraform show -json` output of format version {found}; parity reads format 1.x")]
    FormatVersion { path: String, found: String },
    #[error("{path} is a plan (`terraform show -json` of a saved plan), not a state: give it as `plan = \"...\"` in the environment's `state` table and use --source plan")]
    PlanAsState { path: String },
    #[error("{path} is a Terraform state, not a plan: list it under `path`/`paths` and use --source state; `plan` takes the output of `terraform show -json PLANFILE`")]
    StateAsPlan { path: String },
    #[error("{path} is JSON but neither a Terraform state nor a plan: it has no `version` or `format_version` key")]
    NotTerraform { path: String },
    #[error("{path} is not a valid Terraform {what}: {detail}")]
    Shape {
        path: String,
        what: &'static str,
        detail: String,
    },
    #[error("reading state from {url} is not supported: only `s3://BUCKET/KEY` URLs are read; download it first (`terraform state pull > FILE`) and list the local file")]
    Remote { url: String },
    #[error("{url} is not a valid S3 URL: {why} (expected s3://BUCKET/KEY)")]
    BadUrl { url: String, why: String },
    #[error("reading state from {url} needs parity built with the `aws` feature (on by default; this build was made with --no-default-features): rebuild with it, or download the object first (`aws s3 cp {url} FILE`) and list the local file")]
    NeedsAws { url: String },
    /// This object could not be read (missing key or bucket, access
    /// denied): among several state files, a coverage gap.
    #[error("cannot read {url}: {reason}")]
    S3Object { url: String, reason: String },
    /// S3 cannot be used at all with the environment's settings (rejected
    /// or missing credentials, unreachable endpoint, no region): an error.
    #[error("cannot read {url}: {reason}")]
    S3Access { url: String, reason: String },
    #[error("environment `{env}` has no state file: add `state = {{ path = \"...\" }}` to [environments.{env}] in parity.toml")]
    NoState { env: String },
    #[error("environment `{env}` has no plan: add `plan = \"...\"` (the output of `terraform show -json PLANFILE`) to the environment's `state` table in parity.toml")]
    NoPlan { env: String },
}

impl StateError {
    /// The file could not be read at all (missing, unreadable, truncated,
    /// not JSON; on S3 also a missing bucket or access denied). Among
    /// several state files such a file is a coverage gap; a file of the
    /// wrong kind or version, and credentials S3 rejects, are configuration
    /// mistakes and always an error.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self,
            StateError::Io { .. }
                | StateError::Empty { .. }
                | StateError::Json { .. }
                | StateError::S3Object { .. }
        )
    }
}

/// What to read for one environment.
#[derive(Debug, Clone)]
pub struct Options {
    pub environment: String,
    /// Paths in locations are shown relative to this.
    pub base: PathBuf,
    /// State files (`path`/`paths`), resolved; URLs as written.
    pub paths: Vec<String>,
    /// A `terraform show -json` plan file.
    pub plan: Option<PathBuf>,
    /// How `s3://` URLs are read (the environment's `aws` table; by
    /// default the default AWS credential chain).
    pub access: s3::Access,
    /// How the environment normalizes: sensitive values are hashed as
    /// normalized (`normalize::sensitive_value`), as the code source does.
    pub identity: crate::sources::snapshot::Identity,
}

/// A resource instance key: `[0]` or `["eu-west-1a"]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum IndexKey {
    Int(i64),
    Str(String),
}

/// `module.a["x"].aws_y.z[0]`, `data.` for data sources, with string keys
/// quoted as JSON (the same form the code source writes).
pub fn address(
    module: &str,
    data: bool,
    rtype: &str,
    name: &str,
    key: Option<&IndexKey>,
) -> String {
    let mut out = String::with_capacity(module.len() + rtype.len() + name.len() + 16);
    if !module.is_empty() {
        out.push_str(module);
        out.push('.');
    }
    if data {
        out.push_str("data.");
    }
    out.push_str(rtype);
    out.push('.');
    out.push_str(name);
    match key {
        Some(IndexKey::Int(i)) => {
            out.push('[');
            out.push_str(&i.to_string());
            out.push(']');
        }
        Some(IndexKey::Str(s)) => {
            out.push('[');
            out.push_str(&serde_json::Value::String(s.clone()).to_string());
            out.push(']');
        }
        None => {}
    }
    out
}

/// One resource instance read from a file, before it becomes a [`Resource`].
pub(crate) struct Instance {
    pub address: String,
    pub rtype: String,
    pub data: bool,
    pub attributes: crate::model::Map,
    pub line: Option<u32>,
}

/// What one file yields.
#[derive(Default)]
pub(crate) struct Parsed {
    pub instances: Vec<Instance>,
    /// Raw sensitive strings: redacted wherever they appear.
    pub secrets: Vec<String>,
    pub terraform_version: Option<String>,
    /// Dependency records (a plan's providers and module calls).
    pub records: Vec<Resource>,
}

impl Parsed {
    /// Remember every scalar inside a sensitive value.
    pub fn secret_value(&mut self, v: &Value) {
        match v {
            Value::String(s) if !s.is_empty() && !v.is_sensitive() => self.secrets.push(s.clone()),
            Value::Number(_) | Value::BigNumber(_) => {
                self.secrets.extend(v.number_text());
            }
            Value::List(items) => items.iter().for_each(|i| self.secret_value(i)),
            Value::Map(m) => m.values().for_each(|i| self.secret_value(i)),
            _ => {}
        }
    }
}

/// A sensitive value, marked: [`secrets::finish`] turns it into the
/// salted hash the code source gives a secret (the value as its
/// environment normalizes it), so code and state compare.
pub(crate) fn redacted(v: &Value) -> Value {
    match v {
        Value::Null | Value::Unknown(_) => v.clone(),
        _ if v.is_sensitive() => v.clone(),
        other => other.clone().mark(),
    }
}

/// Which of the three formats a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    RawState,
    ShowState,
    Plan,
}

/// Every top-level key of the three formats, read in one pass; the kind is
/// decided afterwards.
#[derive(Deserialize)]
struct Document<'a> {
    #[serde(default)]
    version: Option<json::Json>,
    #[serde(default)]
    format_version: Option<json::Json>,
    #[serde(default, borrow)]
    terraform_version: Option<Cow<'a, str>>,
    // raw state
    #[serde(default, borrow)]
    resources: Option<Vec<tfstate::RawResource<'a>>>,
    #[serde(default)]
    outputs: Option<BTreeMap<String, tfstate::RawOutput>>,
    // show -json of a state
    #[serde(default)]
    values: Option<show::Values>,
    // show -json of a plan
    #[serde(default)]
    planned_values: Option<show::Values>,
    #[serde(default)]
    resource_changes: Option<Vec<plan::ResourceChange>>,
    #[serde(default)]
    prior_state: Option<show::StateDoc>,
    #[serde(default)]
    configuration: Option<plan::Configuration>,
    #[serde(default)]
    variables: Option<BTreeMap<String, plan::Variable>>,
}

/// Only what tells the kind apart: read when the full parse failed, to say
/// "wrong version" or "a plan, not a state" rather than a type error.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    version: Option<json::Json>,
    #[serde(default)]
    format_version: Option<json::Json>,
    #[serde(default)]
    planned_values: Option<IgnoredAny>,
    #[serde(default)]
    resource_changes: Option<IgnoredAny>,
}

fn kind_of(
    path: &str,
    version: Option<&Value>,
    format_version: Option<&Value>,
    is_plan: bool,
) -> Result<Kind, StateError> {
    if let Some(fv) = format_version {
        let text = match fv {
            Value::String(s) => s.clone(),
            other => other.display(),
        };
        if !text.starts_with("1.") && text != "1" {
            return Err(StateError::FormatVersion {
                path: path.into(),
                found: text,
            });
        }
        return Ok(if is_plan { Kind::Plan } else { Kind::ShowState });
    }
    match version {
        Some(Value::Number(n)) if *n == 4.0 => Ok(Kind::RawState),
        Some(v) => Err(StateError::Version {
            path: path.into(),
            found: v.display(),
        }),
        None => Err(StateError::NotTerraform { path: path.into() }),
    }
}

fn check_kind(path: &str, kind: Kind, want_plan: bool) -> Result<(), StateError> {
    match (kind, want_plan) {
        (Kind::Plan, false) => Err(StateError::PlanAsState { path: path.into() }),
        (Kind::RawState | Kind::ShowState, true) => {
            Err(StateError::StateAsPlan { path: path.into() })
        }
        _ => Ok(()),
    }
}

/// Parse one document read from `reader`, streaming the resources of a raw
/// state ([`stream`]): memory holds the snapshot, not the file.
pub(crate) fn parse_reader<R: std::io::Read>(
    reader: R,
    path: &str,
    want_plan: bool,
) -> Result<Parsed, StateError> {
    let split = stream::split(reader, path)?;
    if !split.had_resources {
        return parse(&split.skeleton, path, want_plan);
    }
    let mut parsed = parse_with(&split.skeleton, path, want_plan, Some(split.chunk_error))?;
    parsed.instances.extend(split.streamed.instances);
    parsed.secrets.extend(split.streamed.secrets);
    Ok(parsed)
}

/// Parse one document. `want_plan` says which kind the configuration
/// expects; the other kind is an error that says so.
pub(crate) fn parse(bytes: &[u8], path: &str, want_plan: bool) -> Result<Parsed, StateError> {
    parse_with(bytes, path, want_plan, None)
}

/// `streamed`: the resources were cut out of `bytes` and parsed apart; the
/// first error among them, if any, is reported once the document is known
/// to be a state of a version we read.
fn parse_with(
    bytes: &[u8],
    path: &str,
    want_plan: bool,
    streamed: Option<Option<StateError>>,
) -> Result<Parsed, StateError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => return Err(StateError::Empty { path: path.into() }),
        Some(b'{') => {}
        Some(_) if bytes.starts_with(b"PK\x03\x04") => {
            return Err(StateError::BinaryPlan { path: path.into() })
        }
        Some(_) => {
            return Err(StateError::Json {
                path: path.into(),
                detail: "it does not start with `{`".into(),
            })
        }
    }
    let doc: Document = match serde_json::from_slice(bytes) {
        Ok(d) => d,
        Err(e) => return Err(explain_failure(bytes, path, want_plan, &e)),
    };
    let is_plan = doc.planned_values.is_some() || doc.resource_changes.is_some();
    let kind = kind_of(
        path,
        doc.version.as_ref().map(|j| &j.0),
        doc.format_version.as_ref().map(|j| &j.0),
        is_plan,
    )?;
    check_kind(path, kind, want_plan)?;
    if let Some(Some(e)) = streamed {
        return Err(e);
    }
    let mut parsed = Parsed {
        terraform_version: doc.terraform_version.as_deref().map(str::to_string),
        ..Parsed::default()
    };
    match kind {
        Kind::RawState => {
            let lines = json::scan_lines(bytes, true);
            tfstate::convert(
                doc.resources.unwrap_or_default(),
                doc.outputs.unwrap_or_default(),
                &lines.instances,
                &mut parsed,
            );
        }
        Kind::ShowState => {
            let lines = json::scan_lines(bytes, false);
            if let Some(values) = doc.values {
                show::convert(values, &lines.addresses, &mut parsed);
            }
        }
        Kind::Plan => {
            let lines = json::scan_lines(bytes, false);
            plan::convert(
                plan::PlanDoc {
                    planned_values: doc.planned_values,
                    resource_changes: doc.resource_changes.unwrap_or_default(),
                    prior_state: doc.prior_state,
                    configuration: doc.configuration,
                    variables: doc.variables.unwrap_or_default(),
                },
                path,
                &lines.addresses,
                &mut parsed,
            );
        }
    }
    Ok(parsed)
}

/// The full parse failed: a syntax error is "not valid JSON"; otherwise
/// the probe tells a wrong kind or version from a malformed document.
fn explain_failure(bytes: &[u8], path: &str, want_plan: bool, e: &serde_json::Error) -> StateError {
    use serde_json::error::Category;
    if matches!(
        e.classify(),
        Category::Syntax | Category::Eof | Category::Io
    ) {
        return StateError::Json {
            path: path.into(),
            detail: json::describe(e),
        };
    }
    if let Ok(p) = serde_json::from_slice::<Probe>(bytes) {
        let is_plan = p.planned_values.is_some() || p.resource_changes.is_some();
        match kind_of(
            path,
            p.version.as_ref().map(|j| &j.0),
            p.format_version.as_ref().map(|j| &j.0),
            is_plan,
        ) {
            Err(kind_error) => return kind_error,
            Ok(kind) => {
                if let Err(k) = check_kind(path, kind, want_plan) {
                    return k;
                }
            }
        }
    }
    StateError::Shape {
        path: path.into(),
        what: if want_plan { "plan JSON" } else { "state" },
        detail: json::describe(e),
    }
}

/// The URL of a plan given as `plan = "s3://bucket/key"` (the
/// configuration keeps URLs as written).
fn plan_url(path: &Path) -> Option<String> {
    path.to_str()
        .filter(|text| text.contains("://"))
        .map(str::to_string)
}

fn read(path: &Path, shown: &str) -> Result<Vec<u8>, StateError> {
    crate::input::read(path, crate::input::limits().state_file).map_err(|source| StateError::Io {
        path: shown.to_string(),
        cause: source,
    })
}

fn shown(base: &Path, p: &Path) -> String {
    crate::sources::terraform::files::display(base, p)
}

/// Read the environment's state files into one snapshot, `s3://` URLs with
/// `opts.access`.
pub fn load_state(opts: &Options) -> Result<Snapshot, StateError> {
    if opts.paths.is_empty() {
        return Err(StateError::NoState {
            env: opts.environment.clone(),
        });
    }
    s3::check_urls(opts.paths.iter().map(String::as_str))?;
    let reader = match opts.paths.iter().find(|p| s3::is_url(p)) {
        Some(url) => Some(s3::Reader::connect(&opts.access, url)?),
        None => None,
    };
    let results: Vec<(String, Result<Parsed, StateError>)> = opts
        .paths
        .par_iter()
        .map(|p| {
            if let (true, Some(reader)) = (s3::is_url(p), &reader) {
                return (p.clone(), reader.parse(p, false));
            }
            let path = PathBuf::from(p);
            let shown = shown(&opts.base, &path);
            let parsed = crate::input::open(&path, crate::input::limits().state_file)
                .map_err(|source| StateError::Io {
                    path: shown.clone(),
                    cause: source,
                })
                .and_then(|f| parse_reader(f, &shown, false));
            (shown, parsed)
        })
        .collect();
    let several = results.len() > 1;
    let mut files: Vec<(String, Parsed)> = Vec::new();
    let mut gaps: Vec<CoverageGap> = Vec::new();
    let mut first_error = None;
    for (shown, r) in results {
        match r {
            Ok(p) => files.push((shown, p)),
            Err(e) if several && e.is_unreadable() => {
                gaps.push(CoverageGap {
                    what: shown,
                    reason: format!("state file could not be read: {e}"),
                });
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    if files.is_empty() {
        if let Some(e) = first_error {
            return Err(e);
        }
    }
    let n = Normalizer::for_env(&opts.environment, &opts.identity);
    let mut snap = assemble(&opts.environment, SourceKind::State, files, &n);
    snap.coverage.extend(gaps);
    snap.coverage.sort();
    Ok(snap)
}

/// Read the environment's plan, an `s3://` URL with `opts.access`.
pub fn load_plan(opts: &Options) -> Result<Snapshot, StateError> {
    let Some(path) = &opts.plan else {
        return Err(StateError::NoPlan {
            env: opts.environment.clone(),
        });
    };
    if let Some(url) = plan_url(path) {
        s3::check_urls(std::iter::once(url.as_str()))?;
        let parsed = s3::Reader::connect(&opts.access, &url)?.parse(&url, true)?;
        return Ok(assemble(
            &opts.environment,
            SourceKind::Plan,
            vec![(url, parsed)],
            &Normalizer::for_env(&opts.environment, &opts.identity),
        ));
    }
    let shown = shown(&opts.base, path);
    let bytes = read(path, &shown)?;
    let parsed = parse(&bytes, &shown, true)?;
    Ok(assemble(
        &opts.environment,
        SourceKind::Plan,
        vec![(shown, parsed)],
        &Normalizer::for_env(&opts.environment, &opts.identity),
    ))
}

/// Parse one state document already in memory into a finished snapshot
/// (what `parity-state-bench` measures).
pub fn snapshot_from_bytes(
    bytes: &[u8],
    shown: &str,
    environment: &str,
) -> Result<Snapshot, StateError> {
    let parsed = parse_reader(bytes, shown, false)?;
    Ok(assemble(
        environment,
        SourceKind::State,
        vec![(shown.to_string(), parsed)],
        &Normalizer::new(environment, &[], None, None),
    ))
}

/// Parse one plan JSON document already in memory into a finished
/// snapshot, as `load_plan` does with a file (the plan fuzz target's entry).
pub fn plan_snapshot_from_bytes(
    bytes: &[u8],
    shown: &str,
    environment: &str,
) -> Result<Snapshot, StateError> {
    let parsed = parse(bytes, shown, true)?;
    Ok(assemble(
        environment,
        SourceKind::Plan,
        vec![(shown.to_string(), parsed)],
        &Normalizer::new(environment, &[], None, None),
    ))
}

/// Merge the files of one environment: resources keep their file as
/// location; an address found in two files is kept from the first and
/// noted as a gap.
fn assemble(
    environment: &str,
    source: SourceKind,
    files: Vec<(String, Parsed)>,
    n: &Normalizer,
) -> Snapshot {
    let mut snap = Snapshot::new(environment, source);
    let mut secrets: Vec<String> = Vec::new();
    let mut versions: Vec<String> = Vec::new();
    let mut records: BTreeMap<String, Resource> = BTreeMap::new();
    let first_file = files.first().map(|(f, _)| f.clone()).unwrap_or_default();
    for (file, parsed) in files {
        secrets.extend(parsed.secrets);
        if let Some(v) = parsed.terraform_version {
            if !versions.contains(&v) {
                versions.push(v);
            }
        }
        for r in parsed.records {
            records.entry(r.address.clone()).or_insert(r);
        }
        snap.resources.reserve(parsed.instances.len());
        for inst in parsed.instances {
            // Rendered into the attributes that use it (as the code source
            // does): as a resource it would only repeat those differences.
            if inst.data && inst.rtype == "aws_iam_policy_document" {
                continue;
            }
            let mut r = Resource::new(
                inst.address,
                inst.rtype,
                Location::new(file.clone(), inst.line),
            );
            r.data = inst.data;
            r.attributes = inst.attributes;
            snap.resources.push(r);
        }
    }
    // Stable: of two resources with one address, the first file's stays.
    snap.resources.sort_by(|a, b| a.address.cmp(&b.address));
    let mut dropped: Vec<CoverageGap> = Vec::new();
    snap.resources.dedup_by(|later, kept| {
        let same = later.address == kept.address;
        if same {
            dropped.push(CoverageGap {
                what: later.address.clone(),
                reason: format!(
                    "in both {} and {}: the one in {} is compared",
                    kept.location.file, later.location.file, kept.location.file
                ),
            });
        }
        same
    });
    snap.coverage.extend(dropped);
    if !versions.is_empty() {
        versions.sort();
        let mut tf = Resource::new("terraform", "terraform", Location::new(first_file, None));
        let v = if versions.len() == 1 {
            Value::String(versions.remove(0))
        } else {
            Value::List(versions.into_iter().map(Value::String).collect())
        };
        tf.attributes.insert("terraform_version".into(), v);
        records.insert("terraform".into(), tf);
    }
    snap.dependencies = records.into_values().collect();
    secrets::finish(&mut snap, secrets, n);
    snap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_quote_string_keys() {
        assert_eq!(
            address(
                "module.n",
                false,
                "aws_subnet",
                "a",
                Some(&IndexKey::Str("eu\"1".into()))
            ),
            "module.n.aws_subnet.a[\"eu\\\"1\"]"
        );
        assert_eq!(
            address("", true, "aws_ami", "x", Some(&IndexKey::Int(2))),
            "data.aws_ami.x[2]"
        );
    }

    #[test]
    fn plan_urls_are_told_from_paths() {
        assert_eq!(
            plan_url(Path::new("s3://b/k.json")).as_deref(),
            Some("s3://b/k.json")
        );
        assert_eq!(plan_url(Path::new("/work/infra/plan.json")), None);
    }

    #[test]
    fn kinds_are_told_apart() {
        let e = parse(br#"{"version": 3, "modules": []}"#, "s.tfstate", false).err();
        assert!(matches!(e, Some(StateError::Version { .. })));
        let e = parse(
            br#"{"format_version": "1.2", "planned_values": {}}"#,
            "p.json",
            false,
        )
        .err();
        assert!(matches!(e, Some(StateError::PlanAsState { .. })));
        let e = parse(br#"{"version": 4, "resources": []}"#, "s.tfstate", true).err();
        assert!(matches!(e, Some(StateError::StateAsPlan { .. })));
        let e = parse(
            br#"{"version": 4, "resources": [{"mode": "managed""#,
            "s.tfstate",
            false,
        )
        .err();
        assert!(matches!(e, Some(StateError::Json { .. })));
        let e = parse(b"  ", "s.tfstate", false).err();
        assert!(matches!(e, Some(StateError::Empty { .. })));
        let e = parse(br#"{"a": 1}"#, "s.tfstate", false).err();
        assert!(matches!(e, Some(StateError::NotTerraform { .. })));
        let e = parse(
            br#"{"version": 5, "resources": {"x": 1}}"#,
            "s.tfstate",
            false,
        )
        .err();
        assert!(matches!(e, Some(StateError::Version { .. })), "{e:?}");
    }
}
