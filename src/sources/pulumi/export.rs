//! `pulumi stack export`: the JSON of a stack's checkpoint,
//!
//! ```json
//! { "version": 3, "deployment": { "manifest": {...}, "secrets_providers": {...},
//!   "resources": [ { "urn": "urn:pulumi:staging::shop::aws:rds/instance:Instance::db",
//!       "custom": true, "id": "shop-staging-db", "type": "aws:rds/instance:Instance",
//!       "inputs": {...}, "outputs": {...}, "parent": "urn:…", "provider": "urn:…::<id>",
//!       "dependencies": [...] } ] } }
//! ```
//!
//! Each custom resource becomes one resource of the model, addressed by its
//! type and name (the URN without its stack and project, so the same
//! program's resources pair across stacks); the component resources it
//! belongs to give it a module-like prefix (`module.network.aws_vpc.main`).
//! Its `outputs` (what was applied) are its attributes (its `inputs` when
//! it has no outputs). Provider resources become provider records
//! (`terraform_provider`), so provider versions are judged as Terraform's.
//! The root stack resource's `outputs` (the program's) are one record,
//! [`STACK_OUTPUTS`]; resources pending deletion are not compared.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::value::Convert;
use super::{at, mapping, urn, PulumiError};
use crate::model::{CoverageGap, Location, Map, Resource, Value};
use crate::normalize::Normalizer;

/// The record of the stack's outputs (the root stack resource's
/// `outputs`, what `pulumi stack output` shows).
pub(crate) const STACK_OUTPUTS: &str = "pulumi_stack.outputs";

/// What reading a stack export gives.
#[derive(Debug, Default)]
pub(crate) struct Export {
    pub resources: Vec<Resource>,
    pub dependencies: Vec<Resource>,
    pub coverage: Vec<CoverageGap>,
    /// Plaintext secrets, for the substring guard.
    pub secrets: Vec<String>,
}

/// Read the text of a stack export (`shown` is its path as messages give it).
pub(crate) fn read(text: &str, shown: &str, n: &Normalizer) -> Result<Export, PulumiError> {
    let invalid = |line: Option<u32>, message: String| PulumiError::Invalid {
        location: at(shown, line),
        message,
    };
    let tree: Json = serde_json::from_str(text).map_err(|e| {
        invalid(
            u32::try_from(e.line()).ok().filter(|&l| l > 0),
            format!("not a valid stack export: {e}"),
        )
    })?;
    let Json::Object(top) = &tree else {
        return Err(invalid(
            Some(1),
            "a stack export is a JSON object (the output of `pulumi stack export`)".into(),
        ));
    };
    let key_line = |key: &str| key_line(text, key);
    match top.get("version").and_then(Json::as_u64) {
        Some(3 | 4) => {}
        Some(v) => {
            return Err(invalid(
                key_line("version"),
                format!("deployment version {v} is not read (parity reads versions 3 and 4)"),
            ))
        }
        None => {
            return Err(invalid(
                Some(1),
                "no `version`: not the output of `pulumi stack export`".into(),
            ))
        }
    }
    let empty = Vec::new();
    let resources = match top.get("deployment") {
        Some(Json::Object(d)) => match d.get("resources") {
            None | Some(Json::Null) => &empty,
            Some(Json::Array(items)) => items,
            Some(_) => {
                return Err(invalid(
                    key_line("resources"),
                    "`deployment.resources` must be a list".into(),
                ))
            }
        },
        _ => {
            return Err(invalid(
                key_line("deployment").or(Some(1)),
                "no `deployment` object: not the output of `pulumi stack export`".into(),
            ))
        }
    };
    let items: Vec<&Json> = resources.iter().collect();
    build(&items, text, shown, n, false)
}

/// The resources of a stack export or the planned states of a preview
/// (`blinded`: secrets appear as `[secret]`), in the model.
pub(crate) fn build(
    resources: &[&Json],
    text: &str,
    shown: &str,
    n: &Normalizer,
    blinded: bool,
) -> Result<Export, PulumiError> {
    let invalid = |line: Option<u32>, message: String| PulumiError::Invalid {
        location: at(shown, line),
        message,
    };
    let lines = urn_lines(text);
    let file: Arc<str> = Arc::from(shown);

    // Every resource by URN first: a child names its parent.
    let mut by_urn: HashMap<&str, &serde_json::Map<String, Json>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        let Json::Object(m) = r else {
            return Err(invalid(
                None,
                format!("resource {i} of `deployment.resources` is not an object"),
            ));
        };
        let Some(u) = m.get("urn").and_then(Json::as_str) else {
            return Err(invalid(None, format!("resource {i} has no `urn`")));
        };
        if urn::parse(u).is_none() {
            return Err(invalid(
                lines.get(u).copied(),
                format!("`{u}` is not a Pulumi URN (urn:pulumi:STACK::PROJECT::TYPE::NAME)"),
            ));
        }
        by_urn.insert(u, m);
    }

    let mut out = Export::default();
    let mut encrypted = 0usize;
    // Names Pulumi generated (`api-9c1e4a2`), by value: the resource's address.
    let mut autonames: HashMap<String, String> = HashMap::new();
    for r in resources {
        let Json::Object(m) = r else { continue };
        let Some(u) = m.get("urn").and_then(Json::as_str) else {
            continue;
        };
        let Some(parts) = urn::parse(u) else { continue };
        let line = lines.get(u).copied();
        let token = m.get("type").and_then(Json::as_str).unwrap_or(parts.rtype);
        let flag = |k: &str| m.get(k).and_then(Json::as_bool) == Some(true);
        if flag("delete") {
            continue;
        }
        if token == "pulumi:pulumi:Stack" {
            // The root stack's outputs are the program's: one record.
            if m.get("parent").is_none() {
                let mut conv = Convert::new(STACK_OUTPUTS);
                conv.blinded = blinded;
                let mut rec = Resource::new(
                    STACK_OUTPUTS,
                    "pulumi_stack",
                    Location::new(file.clone(), line),
                );
                if let Some(Json::Object(o)) = m.get("outputs") {
                    for (k, v) in o {
                        let mut path = vec![k.clone()];
                        rec.attributes.insert(k.clone(), conv.value(v, &mut path));
                    }
                }
                encrypted += conv.encrypted;
                out.secrets.append(&mut conv.secrets);
                out.dependencies.push(rec);
            }
            continue;
        }
        if let Some(package) = token.strip_prefix("pulumi:providers:") {
            out.dependencies.push(provider(
                package,
                parts.name,
                m,
                Location::new(file.clone(), line),
            ));
            continue;
        }
        // A component resource groups its children; it holds no state of
        // the cloud's.
        if !flag("custom") {
            continue;
        }
        let prefix = module_prefix(m, &by_urn);
        let rtype = mapping::model_type(token);
        let address = format!("{prefix}{rtype}.{}", urn::segment(parts.name));
        let props = match m.get("outputs") {
            Some(Json::Object(o)) if !o.is_empty() => o,
            _ => match m.get("inputs") {
                Some(Json::Object(i)) => i,
                _ => &serde_json::Map::new(),
            },
        };
        let mut conv = Convert::new(&address);
        conv.blinded = blinded;
        let mut attributes = Map::new();
        for (k, v) in props {
            // The bridge's private metadata (`__meta`), not the cloud's.
            if k.starts_with("__") {
                continue;
            }
            let mut path = vec![k.clone()];
            attributes.insert(k.clone(), conv.value(v, &mut path));
        }
        let mut attributes = mapping::attributes(token, attributes);
        if let Some(Json::String(id)) = m.get("id") {
            if !id.is_empty() && !attributes.contains_key("id") {
                attributes.insert("id".into(), Value::str(id));
            }
        }
        if let Some(name) = autoname(m) {
            autonames.insert(name.to_string(), address.clone());
        }
        encrypted += conv.encrypted;
        out.secrets.append(&mut conv.secrets);
        let mut res = Resource::new(address, rtype, Location::new(file.clone(), line));
        res.attributes = attributes;
        out.resources.push(res);
    }

    // Ids and ARNs of other resources become references, as in state.
    crate::sources::state::ids::symbolize(&mut out.resources, &|_, _| false);
    if !autonames.is_empty() {
        for r in out.resources.iter_mut() {
            for v in r.attributes.values_mut() {
                unname(v, &autonames);
            }
        }
    }
    for r in out.resources.iter_mut().chain(out.dependencies.iter_mut()) {
        crate::normalize::seal(r, n);
    }
    // Two resources at one address (components of one name and different
    // types): the first is compared, the other is a gap.
    out.resources.sort_by(|a, b| a.address.cmp(&b.address));
    let mut dropped = Vec::new();
    out.resources.dedup_by(|later, kept| {
        let same = later.address == kept.address;
        if same {
            dropped.push(CoverageGap {
                what: later.location.to_string(),
                reason: format!("a second resource at {}: not compared", later.address),
            });
        }
        same
    });
    out.coverage.extend(dropped);
    if encrypted > 0 {
        let reason = if blinded {
            format!(
                "{encrypted} secret value(s) are blinded (`[secret]`): compared by presence only"
            )
        } else {
            format!(
                "{encrypted} secret value(s) are encrypted (ciphertext): compared by presence only; \
                 export with `pulumi stack export --show-secrets` to compare them (parity never prints them)"
            )
        };
        out.coverage.push(CoverageGap {
            what: shown.to_string(),
            reason,
        });
    }
    Ok(out)
}

/// The name Pulumi generated for a resource (its logical name and a random
/// suffix, `api-9c1e4a2`): `__defaults` in its inputs lists `name` when
/// the program gave none.
fn autoname(m: &serde_json::Map<String, Json>) -> Option<&str> {
    let defaults = m.get("inputs")?.get("__defaults")?.as_array()?;
    if !defaults.iter().any(|d| d.as_str() == Some("name")) {
        return None;
    }
    ["outputs", "inputs"]
        .iter()
        .find_map(|k| m.get(*k)?.get("name")?.as_str())
        .filter(|n| !n.is_empty())
}

/// A generated name, wherever a resource holds it whole (its own `name`, a
/// policy's `role`), becomes a reference to the resource's name, as a
/// generated id becomes a reference to the id: both stacks name "the
/// `api` role", each with its own random suffix.
fn unname(v: &mut Value, autonames: &HashMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(address) = autonames.get(s.as_str()) {
                let local = crate::sources::state::ids::local_address(address);
                *v = Value::Unknown(format!("{local}.name"));
            }
        }
        Value::List(items) => items.iter_mut().for_each(|i| unname(i, autonames)),
        Value::Map(m) => m.values_mut().for_each(|i| unname(i, autonames)),
        _ => {}
    }
}

/// `module.<component>.` for each component resource above `m`, outermost
/// first (the stack resource is the root, not a module).
fn module_prefix(
    m: &serde_json::Map<String, Json>,
    by_urn: &HashMap<&str, &serde_json::Map<String, Json>>,
) -> String {
    let mut names = Vec::new();
    let mut parent = m.get("parent").and_then(Json::as_str);
    // A parent chain longer than the resources is a cycle (a hand-edited
    // export): stop there.
    let mut budget = by_urn.len();
    while let Some(p) = parent {
        if budget == 0 {
            break;
        }
        budget -= 1;
        let Some(pm) = by_urn.get(p) else { break };
        let Some(parts) = urn::parse(p) else { break };
        let custom = pm.get("custom").and_then(Json::as_bool) == Some(true);
        if parts.rtype == "pulumi:pulumi:Stack" {
            break;
        }
        if !custom {
            names.push(urn::segment(parts.name));
        }
        parent = pm.get("parent").and_then(Json::as_str);
    }
    names.iter().rev().map(|n| format!("module.{n}.")).collect()
}

/// A provider resource (`pulumi:providers:aws`) as a provider record: the
/// package as its source (`pulumi/aws`), its version as the locked one.
fn provider(
    package: &str,
    name: &str,
    m: &serde_json::Map<String, Json>,
    location: Location,
) -> Resource {
    let fqn = format!("pulumi/{package}");
    // Default providers are named after their version
    // (`default_6_52_0`); an explicit one keeps its name.
    let address = if name.starts_with("default") {
        format!("provider[\"{fqn}\"]")
    } else {
        format!("provider[\"{fqn}\"].{name}")
    };
    let mut r = Resource::new(address, "terraform_provider", location);
    r.attributes.insert("source".into(), Value::str(&fqn));
    let version = ["outputs", "inputs"]
        .iter()
        .find_map(|k| m.get(*k)?.get("version")?.as_str());
    if let Some(v) = version {
        r.attributes.insert("locked_version".into(), Value::str(v));
    }
    r
}

/// The line of each resource's `"urn"` key, by URN (a pretty-printed
/// export, as `pulumi stack export` writes it, has one key per line; a
/// resource's own `urn` is the first place its URN is written, as Pulumi
/// orders parents and dependencies before what uses them).
fn urn_lines(text: &str) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        let Some(rest) = t.strip_prefix("\"urn\"") else {
            continue;
        };
        let rest = rest.trim_start().trim_start_matches(':').trim_start();
        let rest = rest.trim_end().trim_end_matches(',');
        if let Ok(u) = serde_json::from_str::<String>(rest) {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            out.entry(u).or_insert(line);
        }
    }
    out
}

/// The line of the first `"key":` in the text.
fn key_line(text: &str, key: &str) -> Option<u32> {
    let needle = format!("\"{key}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with(&needle))
        .and_then(|i| u32::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/pulumi-shop")
            .join(name);
        std::fs::read_to_string(path).expect("fixture")
    }

    /// Any input gives a snapshot or an error, never a panic: every prefix
    /// of the fixture's export and preview, and copies with one byte
    /// changed at many places.
    #[test]
    fn truncated_and_mangled_exports_and_previews_never_panic() {
        let n = Normalizer::default();
        for (name, preview) in [("state/prod.json", false), ("preview/staging.json", true)] {
            let text = fixture(name);
            let read_one = |t: &str| {
                if preview {
                    super::super::preview::read(t, "x.json", &n).map(|_| ())
                } else {
                    read(t, "x.json", &n).map(|_| ())
                }
            };
            assert!(read_one(&text).is_ok(), "{name} reads");
            for cut in (0..text.len()).step_by(97) {
                if text.is_char_boundary(cut) {
                    let _ = read_one(&text[..cut]);
                }
            }
            let bytes = text.as_bytes();
            for (i, replacement) in (0..bytes.len()).step_by(89).zip(
                [b'"', b'{', b']', b'0', b':', b'x', b'$', b'\\', b'-', b'n']
                    .iter()
                    .cycle(),
            ) {
                let mut copy = bytes.to_vec();
                copy[i] = *replacement;
                if let Ok(t) = std::str::from_utf8(&copy) {
                    let _ = read_one(t);
                }
            }
        }
    }

    #[test]
    fn odd_but_valid_shapes_are_read_or_refused_with_a_line() {
        let n = Normalizer::default();
        // No resources at all; a null list; a v4 export.
        for text in [
            r#"{"version": 3, "deployment": {}}"#,
            r#"{"version": 4, "deployment": {"resources": null}}"#,
        ] {
            let out = read(text, "x.json", &n).expect("reads");
            assert!(out.resources.is_empty());
        }
        let e = read("[1, 2]", "x.json", &n).expect_err("a list");
        assert_eq!(
            e.to_string(),
            "x.json:1: a stack export is a JSON object (the output of `pulumi stack export`)"
        );
        let e = read(
            "{\n  \"version\": 3,\n  \"deployment\": {\"resources\": [{\"urn\": \"nope\"}]}\n}",
            "x.json",
            &n,
        )
        .expect_err("not a URN");
        assert!(e.to_string().contains("`nope` is not a Pulumi URN"), "{e}");
        // A parent chain that loops (a hand-edited export) ends.
        let text = r#"{"version": 3, "deployment": {"resources": [
            {"urn": "urn:pulumi:s::p::c:index:C::a", "type": "c:index:C", "parent": "urn:pulumi:s::p::c:index:C::b"},
            {"urn": "urn:pulumi:s::p::c:index:C::b", "type": "c:index:C", "parent": "urn:pulumi:s::p::c:index:C::a"},
            {"urn": "urn:pulumi:s::p::aws:sqs/queue:Queue::q", "custom": true, "type": "aws:sqs/queue:Queue", "parent": "urn:pulumi:s::p::c:index:C::a", "outputs": {"name": "q"}}
        ]}}"#;
        let out = read(text, "x.json", &n).expect("reads");
        assert_eq!(out.resources.len(), 1);
        assert!(
            out.resources[0].address.ends_with("aws_sqs_queue.q"),
            "{}",
            out.resources[0].address
        );
    }

    /// A stack export's renamed properties (pluralized lists, pulumi-aws's
    /// own names) are the Terraform attributes in the model.
    #[test]
    fn renamed_properties_of_an_export_are_terraform_attributes() {
        let n = Normalizer::default();
        let text = r#"{"version": 3, "deployment": {"resources": [
            {"urn": "urn:pulumi:prod::shop::aws:lambda/function:Function::api", "custom": true,
             "type": "aws:lambda/function:Function", "id": "shop-api",
             "inputs": {"name": "shop-api", "role": "arn:aws:iam::123456789012:role/api"},
             "outputs": {"name": "shop-api", "role": "arn:aws:iam::123456789012:role/api",
                         "imageConfig": {"commands": ["serve"], "entryPoints": ["/bin/sh"]}}},
            {"urn": "urn:pulumi:prod::shop::aws:s3/bucketV2:BucketV2::logs", "custom": true,
             "type": "aws:s3/bucketV2:BucketV2", "id": "shop-logs",
             "outputs": {"bucket": "shop-logs", "versionings": [{"enabled": true, "mfaDelete": false}],
                         "lifecycleRules": [{"enabled": true, "transitions": [{"days": 30, "storageClass": "GLACIER"}]}]}},
            {"urn": "urn:pulumi:prod::shop::aws:iam/role:Role::api", "custom": true,
             "type": "aws:iam/role:Role", "id": "api",
             "outputs": {"name": "api", "inlinePolicies": [{"name": "logs", "policy": "{}"}]}}
        ]}}"#;
        let out = read(text, "x.json", &n).expect("reads");
        let by = |t: &str| {
            out.resources
                .iter()
                .find(|r| r.rtype == t)
                .map(|r| &r.attributes)
                .expect(t)
        };
        let lambda = by("aws_lambda_function");
        assert_eq!(lambda.get("function_name"), Some(&Value::str("shop-api")));
        assert!(!lambda.contains_key("name"));
        assert_eq!(
            lambda["image_config"].get_path("0.command.0"),
            Some(&Value::str("serve"))
        );
        assert_eq!(
            lambda["image_config"].get_path("0.entry_point.0"),
            Some(&Value::str("/bin/sh"))
        );
        let bucket = by("aws_s3_bucket");
        assert_eq!(
            bucket["versioning"].get_path("0.enabled"),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            bucket["lifecycle_rule"].get_path("0.transition.0.storage_class"),
            Some(&Value::str("GLACIER"))
        );
        let role = by("aws_iam_role");
        assert_eq!(
            role["inline_policy"].get_path("0.name"),
            Some(&Value::str("logs"))
        );
    }
}
