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
    let doc = json!({
        "schema": 1,
        "kind": "parity-snapshot",
        "environment": s.environment,
        "source": s.source,
        "identity": { "aliases": id.aliases, "account_id": id.account_id, "region": id.region },
        "resources": s.resources.iter().map(resource_json).collect::<Vec<_>>(),
        "dependencies": s.dependencies.iter().map(resource_json).collect::<Vec<_>>(),
        "coverage": s.coverage,
    });
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

fn resource_from(j: &Json, path: &str) -> Result<Resource, SnapshotError> {
    let field = |k: &'static str| {
        j.get(k)
            .and_then(Json::as_str)
            .ok_or_else(|| SnapshotError::ResourceField {
                path: path.to_string(),
                field: k,
            })
    };
    let mut r = Resource::new(
        field("address")?,
        field("type")?,
        parse_location(field("location")?),
    );
    r.data = j.get("data").and_then(Json::as_bool).unwrap_or(false);
    if let Some(Json::Object(attrs)) = j.get("attributes") {
        r.attributes = attrs
            .iter()
            .map(|(k, v)| (k.clone(), unify_secrets(Value::from_tagged_json(v))))
            .collect::<crate::model::Map>();
    }
    if let Some(Json::Object(locs)) = j.get("attribute_locations") {
        for (k, v) in locs {
            if let Some(s) = v.as_str() {
                r.locate(k.clone(), parse_location(s));
            }
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
    #[error("{path}: a resource has no `{field}`")]
    ResourceField { path: String, field: &'static str },
}

/// Read a snapshot file given as an ENV argument.
pub fn read_file(path: &std::path::Path) -> Result<super::Read, SnapshotError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|cause| SnapshotError::Io {
        path: shown.clone(),
        cause,
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
    let env = doc
        .get("environment")
        .and_then(Json::as_str)
        .unwrap_or_default();
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
        if let Some(Json::Array(items)) = doc.get(key) {
            for item in items {
                list.push(resource_from(item, path)?);
            }
        }
    }
    if let Some(cov) = doc.get("coverage") {
        s.coverage = serde_json::from_value::<Vec<CoverageGap>>(cov.clone()).unwrap_or_default();
    }
    let idj = doc.get("identity").cloned().unwrap_or(Json::Null);
    let id = Identity {
        aliases: idj
            .get("aliases")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        account_id: idj
            .get("account_id")
            .and_then(Json::as_str)
            .map(str::to_string),
        region: idj.get("region").and_then(Json::as_str).map(str::to_string),
    };
    Ok((s, id))
}
