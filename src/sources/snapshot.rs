//! Snapshot files: the normalized model of one environment as JSON, written
//! by `parity snapshot` and read back when an ENV argument is a file, so
//! snapshots taken in separate CI jobs can be compared by one `parity diff`.
//!
//! Values are stored before normalization, with what is needed to normalize
//! them (aliases, account id, region), so the reader normalizes exactly as a
//! direct run would. Secrets were redacted before writing; their salted
//! hashes differ between processes, so a reader maps them all to one marker
//! (secrets in snapshot files are not compared).

use serde_json::{json, Map, Value as Json};

use crate::model::value::SENSITIVE_PREFIX;
use crate::model::{CoverageGap, Location, Resource, Snapshot, SourceKind, Value};

/// What a snapshot file says about how to normalize it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    pub aliases: Vec<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
}

fn resource_json(r: &Resource) -> Json {
    let attrs: Map<String, Json> = r
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), v.to_tagged_json()))
        .collect();
    let locs: Map<String, Json> = r
        .attribute_locations
        .iter()
        .map(|(k, l)| (k.clone(), Json::String(l.to_string())))
        .collect();
    json!({
        "address": r.address,
        "type": r.rtype,
        "data": r.data,
        "location": r.location.to_string(),
        "attributes": attrs,
        "attribute_locations": locs,
    })
}

pub fn to_json(s: &Snapshot, id: &Identity) -> String {
    let mut doc = json!({
        "schema": 1,
        "kind": "parity-snapshot",
        "environment": s.environment,
        "source": s.source,
        "identity": { "aliases": id.aliases, "account_id": id.account_id, "region": id.region },
        "resources": s.resources.iter().map(resource_json).collect::<Vec<_>>(),
        "dependencies": s.dependencies.iter().map(resource_json).collect::<Vec<_>>(),
        "coverage": s.coverage,
    });
    // Only when something was not read: older snapshots stay as they were.
    if !s.unread.is_empty() {
        doc["unread"] = json!(s.unread);
    }
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

fn parse_location(s: &str) -> Location {
    match s.rsplit_once(':') {
        Some((file, line)) if line.chars().all(|c| c.is_ascii_digit()) && !line.is_empty() => {
            Location::new(file, line.parse().ok())
        }
        _ => Location::new(s, None),
    }
}

fn unify_secrets(v: Value) -> Value {
    match v {
        Value::String(s) if s.starts_with(SENSITIVE_PREFIX) => {
            Value::String(format!("{SENSITIVE_PREFIX}snapshot-file"))
        }
        Value::List(items) => Value::List(items.into_iter().map(unify_secrets).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, unify_secrets(v))).collect()),
        other => other,
    }
}

/// The JSON type of a value, for error messages.
fn type_of(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn shape(path: &str, at: &str, expected: &'static str, found: Option<&Json>) -> SnapshotError {
    SnapshotError::Shape {
        path: path.to_string(),
        at: at.to_string(),
        expected,
        found: found.map_or("nothing (the key is missing)", type_of),
    }
}

/// `doc[key]`, which must be a string.
fn string<'a>(doc: &'a Json, key: &str, path: &str, at: &str) -> Result<&'a str, SnapshotError> {
    let v = doc.get(key);
    v.and_then(Json::as_str)
        .ok_or_else(|| shape(path, &format!("{at}.{key}"), "a string", v))
}

/// `doc[key]` when present and not null, which must be a string.
fn opt_string(
    doc: &Json,
    key: &str,
    path: &str,
    at: &str,
) -> Result<Option<String>, SnapshotError> {
    match doc.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        v => Err(shape(path, &format!("{at}.{key}"), "a string or null", v)),
    }
}

fn resource_from(j: &Json, path: &str, at: &str) -> Result<Resource, SnapshotError> {
    if !j.is_object() {
        return Err(shape(path, at, "an object (a resource)", Some(j)));
    }
    let mut r = Resource::new(
        string(j, "address", path, at)?,
        string(j, "type", path, at)?,
        parse_location(string(j, "location", path, at)?),
    );
    r.data = match j.get("data") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        v => return Err(shape(path, &format!("{at}.data"), "a boolean", v)),
    };
    match j.get("attributes") {
        None | Some(Json::Null) => {}
        Some(Json::Object(attrs)) => {
            r.attributes = attrs
                .iter()
                .map(|(k, v)| (k.clone(), unify_secrets(Value::from_tagged_json(v))))
                .collect::<crate::model::Map>();
        }
        v => return Err(shape(path, &format!("{at}.attributes"), "an object", v)),
    }
    match j.get("attribute_locations") {
        None | Some(Json::Null) => {}
        Some(Json::Object(locs)) => {
            for (k, v) in locs {
                match v.as_str() {
                    Some(s) => r.locate(k.clone(), parse_location(s)),
                    None => {
                        return Err(shape(
                            path,
                            &format!("{at}.attribute_locations.{k}"),
                            "a string",
                            Some(v),
                        ))
                    }
                }
            }
        }
        v => {
            return Err(shape(
                path,
                &format!("{at}.attribute_locations"),
                "an object",
                v,
            ))
        }
    }
    Ok(r)
}

/// Why a snapshot file could not be read. Each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{path}:{line}:{column}: not a snapshot file: {cause}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        cause: serde_json::Error,
    },
    #[error("{path}: not a parity snapshot file (written by `parity snapshot`)")]
    NotASnapshot { path: String },
    #[error("{path}: unsupported snapshot schema (this parity reads schema 1)")]
    Schema { path: String },
    #[error("{path}: unknown source kind")]
    SourceKind { path: String },
    /// A value of the wrong JSON type (or missing) at a JSON path.
    #[error("{path}: {at}: expected {expected}, found {found}")]
    Shape {
        path: String,
        at: String,
        expected: &'static str,
        found: &'static str,
    },
}

/// Read a snapshot file given as an ENV argument.
pub fn read_file(path: &std::path::Path) -> Result<super::Read, SnapshotError> {
    let shown = path.display().to_string();
    let text =
        crate::input::read_text(path, crate::input::limits().snapshot_file).map_err(|cause| {
            SnapshotError::Io {
                path: shown.clone(),
                cause,
            }
        })?;
    let (snap, identity) = from_json(&text, &shown)?;
    Ok(super::Read::new(snap, identity))
}

pub fn from_json(text: &str, path: &str) -> Result<(Snapshot, Identity), SnapshotError> {
    let doc: Json = serde_json::from_str(text).map_err(|cause| SnapshotError::Json {
        path: path.to_string(),
        line: cause.line(),
        column: cause.column(),
        cause,
    })?;
    if doc.get("kind").and_then(Json::as_str) != Some("parity-snapshot") {
        return Err(SnapshotError::NotASnapshot {
            path: path.to_string(),
        });
    }
    if doc.get("schema").and_then(Json::as_u64) != Some(1) {
        return Err(SnapshotError::Schema {
            path: path.to_string(),
        });
    }
    if !doc.is_object() {
        return Err(shape(path, "$", "an object", Some(&doc)));
    }
    let env = string(&doc, "environment", path, "$")?;
    let source: SourceKind =
        serde_json::from_value(doc.get("source").cloned().unwrap_or(Json::Null)).map_err(|_| {
            SnapshotError::SourceKind {
                path: path.to_string(),
            }
        })?;
    let mut s = Snapshot::new(env, source);
    for (key, list) in [
        ("resources", &mut s.resources),
        ("dependencies", &mut s.dependencies),
    ] {
        let v = doc.get(key);
        let Some(Json::Array(items)) = v else {
            return Err(shape(path, &format!("$.{key}"), "an array", v));
        };
        for (i, item) in items.iter().enumerate() {
            list.push(resource_from(item, path, &format!("$.{key}[{i}]"))?);
        }
    }
    let cov = doc.get("coverage");
    let Some(Json::Array(gaps)) = cov else {
        return Err(shape(path, "$.coverage", "an array", cov));
    };
    for (i, gap) in gaps.iter().enumerate() {
        let at = format!("$.coverage[{i}]");
        if !gap.is_object() {
            return Err(shape(path, &at, "an object (a coverage gap)", Some(gap)));
        }
        s.coverage.push(CoverageGap {
            what: string(gap, "what", path, &at)?.to_string(),
            reason: string(gap, "reason", path, &at)?.to_string(),
        });
    }
    match doc.get("unread") {
        None | Some(Json::Null) => {}
        Some(Json::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let Some(p) = item.as_str() else {
                    return Err(shape(
                        path,
                        &format!("$.unread[{i}]"),
                        "a string",
                        Some(item),
                    ));
                };
                s.unread.push(p.to_string());
            }
        }
        other => return Err(shape(path, "$.unread", "an array", other)),
    }
    let id = match doc.get("identity") {
        None | Some(Json::Null) => Identity::default(),
        Some(idj @ Json::Object(_)) => {
            let aliases = match idj.get("aliases") {
                None | Some(Json::Null) => Vec::new(),
                Some(Json::Array(a)) => a
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            shape(
                                path,
                                &format!("$.identity.aliases[{i}]"),
                                "a string",
                                Some(v),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
                v => return Err(shape(path, "$.identity.aliases", "an array", v)),
            };
            Identity {
                aliases,
                account_id: opt_string(idj, "account_id", path, "$.identity")?,
                region: opt_string(idj, "region", path, "$.identity")?,
            }
        }
        v => return Err(shape(path, "$.identity", "an object", v)),
    };
    Ok((s, id))
}
