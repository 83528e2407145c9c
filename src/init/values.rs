//! Variable values, for the account id and region of each environment.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[allow(unused_imports)]
use super::*;

/// A literal value of a var file, as far as init needs it.
#[derive(Debug, Clone)]
pub(super) enum Lit {
    Str(String),
    Obj(BTreeMap<String, Lit>),
    Other,
}

pub(super) fn lit_keys(v: &Lit, keyed: &mut BTreeSet<String>) {
    if let Lit::Obj(map) = v {
        let names: Vec<&String> = map.keys().filter(|k| prod_rank(k).is_some()).collect();
        if names.len() >= 2 {
            keyed.extend(names.into_iter().cloned());
        }
        map.values().for_each(|v| lit_keys(v, keyed));
    }
}

pub(super) fn from_json(v: &serde_json::Value) -> Lit {
    match v {
        serde_json::Value::String(s) => Lit::Str(s.clone()),
        serde_json::Value::Number(n) => Lit::Str(n.to_string()),
        serde_json::Value::Object(m) => {
            Lit::Obj(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
        _ => Lit::Other,
    }
}

pub(super) fn from_hcl(e: &hcl::Expression) -> Lit {
    match e {
        hcl::Expression::String(s) => Lit::Str(s.clone()),
        hcl::Expression::Number(n) => Lit::Str(n.to_string()),
        hcl::Expression::Object(obj) => Lit::Obj(
            obj.iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        hcl::ObjectKey::Identifier(id) => id.as_str().to_string(),
                        hcl::ObjectKey::Expression(hcl::Expression::String(s)) => s.clone(),
                        _ => return None,
                    };
                    Some((key, from_hcl(v)))
                })
                .collect(),
        ),
        _ => Lit::Other,
    }
}

/// The top-level values of a var file; `None` when it cannot be read.
pub(super) fn read_values(path: &Path) -> Option<BTreeMap<String, Lit>> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(text).ok()? {
            serde_json::Value::Object(m) => {
                Some(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
            }
            _ => None,
        }
    } else {
        let body = hcl::parse(text).ok()?;
        Some(
            body.attributes()
                .map(|a| (a.key.as_str().to_string(), from_hcl(&a.expr)))
                .collect(),
        )
    }
}

pub(super) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The same shape `parity.toml` accepts (`eu-west-1`, `us-gov-west-1`).
pub(super) fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) const ACCOUNT_KEYS: &[&str] = &["account_id", "aws_account_id", "account"];
pub(super) const REGION_KEYS: &[&str] = &["region", "aws_region"];

/// An account id and region from the environment's variable values (the
/// files Terraform loads by itself in its root, then its var files; with a
/// workspace, the entry of a map keyed by it), else a literal region of
/// `provider "aws"` in its root.
pub(super) fn find_identity(dir: &Path, e: &mut DetectedEnv) {
    let root = dir.join(&e.root);
    let mut files: Vec<String> = Vec::new();
    for f in entries_or_empty(&root) {
        if !f.is_dir && is_auto_tfvars(&f.name) {
            files.push(join(&[&e.root, &f.name]));
        }
    }
    // terraform.tfvars, terraform.tfvars.json, then *.auto.* in name order.
    files.sort_by_key(|f| !f.ends_with("/terraform.tfvars") && f != "terraform.tfvars");
    files.extend(e.var_files.iter().cloned());
    for file in &files {
        let Some(values) = read_values(&dir.join(file)) else {
            continue;
        };
        let mut scopes: Vec<(String, &BTreeMap<String, Lit>)> = vec![(String::new(), &values)];
        if let Some(ws) = &e.workspace {
            for (k, v) in &values {
                if let Lit::Obj(m) = v {
                    if let Some(Lit::Obj(inner)) = m.get(ws) {
                        scopes.push((format!("{k}[\"{ws}\"]."), inner));
                    }
                }
            }
        }
        for (prefix, scope) in scopes {
            for key in ACCOUNT_KEYS {
                if let Some(Lit::Str(s)) = scope.get(*key) {
                    if is_account_id(s) {
                        e.account_id = Some(Found {
                            value: s.clone(),
                            from: format!("{file} ({prefix}{key})"),
                        });
                    }
                }
            }
            for key in REGION_KEYS {
                if let Some(Lit::Str(s)) = scope.get(*key) {
                    if is_region(s) {
                        e.region = Some(Found {
                            value: s.clone(),
                            from: format!("{file} ({prefix}{key})"),
                        });
                    }
                }
            }
        }
    }
    if e.region.is_none() {
        for f in entries_or_empty(&root) {
            if f.is_dir || !f.name.ends_with(".tf") {
                continue;
            }
            let Some(body) = std::fs::read_to_string(&f.path)
                .ok()
                .and_then(|t| hcl::parse(&t).ok())
            else {
                continue;
            };
            for b in body.blocks() {
                let aws = b.identifier.as_str() == "provider"
                    && b.labels.first().is_some_and(|l| l.as_str() == "aws");
                // An aliased provider may be another region.
                let aliased = b.body.attributes().any(|a| a.key.as_str() == "alias");
                if !aws || aliased {
                    continue;
                }
                for a in b.body.attributes() {
                    if let (hcl::Expression::String(s), "region") = (&a.expr, a.key.as_str()) {
                        if is_region(s) && e.region.is_none() {
                            e.region = Some(Found {
                                value: s.clone(),
                                from: format!("{} (provider \"aws\")", join(&[&e.root, &f.name])),
                            });
                        }
                    }
                }
            }
        }
    }
}
