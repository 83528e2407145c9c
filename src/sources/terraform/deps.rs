//! Dependencies of the root module: `required_version`, provider
//! constraints and the versions locked in `.terraform.lock.hcl`.
//!
//! They become records of pseudo types (`terraform`, `terraform_provider`)
//! so the same matching and rules judge them as resources.

use std::collections::BTreeMap;

use super::eval::Scope;
use super::files::{display, ModuleDef};
use super::module::ConstResolver;
use super::parse;
use super::{Loader, TfError};
use crate::model::{CoverageGap, Location, Resource, Value};

/// `aws` or `hashicorp/aws` → `registry.terraform.io/hashicorp/aws`.
pub fn provider_fqn(source: &str) -> String {
    match source.matches('/').count() {
        0 => format!("registry.terraform.io/hashicorp/{source}"),
        1 => format!("registry.terraform.io/{source}"),
        _ => source.to_string(),
    }
}

pub fn collect(loader: &Loader, root: &ModuleDef) -> Result<(), TfError> {
    let resolver = ConstResolver { base: &loader.root };
    let mut providers: BTreeMap<String, Resource> = BTreeMap::new();
    for tf in &root.terraform {
        if let Some(attr) = tf.item.body.attribute("required_version") {
            let mut r = Resource::new(
                "terraform",
                "terraform",
                Location::new(tf.file.clone(), Some(tf.item.line)),
            );
            let v = constant(loader, &resolver, &attr.expr, &tf.file, attr.line);
            r.attributes.insert("required_version".into(), v);
            r.attribute_locations.insert(
                "required_version".into(),
                Location::new(tf.file.clone(), Some(attr.line)),
            );
            loader.add_dependency(r);
        }
        for rp in tf.item.body.blocks("required_providers") {
            for attr in &rp.body.attributes {
                let v = constant(loader, &resolver, &attr.expr, &tf.file, attr.line);
                let (source, constraint) = match &v {
                    Value::Map(m) => (
                        m.get("source").and_then(Value::as_str).map(str::to_string),
                        m.get("version").cloned(),
                    ),
                    // Terraform 0.12 style: `aws = "~> 2.0"`.
                    Value::String(s) => (None, Some(Value::String(s.clone()))),
                    _ => (None, None),
                };
                let fqn = provider_fqn(source.as_deref().unwrap_or(&attr.name));
                let loc = Location::new(tf.file.clone(), Some(attr.line));
                let r = providers
                    .entry(fqn.clone())
                    .or_insert_with(|| provider_record(&fqn, loc.clone()));
                r.attributes
                    .insert("source".into(), Value::String(fqn.clone()));
                r.attribute_locations.insert("source".into(), loc.clone());
                if let Some(c) = constraint {
                    r.attributes.insert("version_constraint".into(), c);
                    r.attribute_locations
                        .insert("version_constraint".into(), loc.clone());
                }
            }
        }
    }

    let lock = loader.root.join(".terraform.lock.hcl");
    if lock.is_file() {
        let shown = display(&loader.base, &lock);
        let text = std::fs::read_to_string(&lock).map_err(|source| TfError::Io {
            path: shown.clone(),
            source,
        })?;
        let file = parse::parse_hcl(&text, &lock, &shown)?;
        for block in file.body.blocks("provider") {
            let Some(fqn) = block.labels.first() else {
                continue;
            };
            let fqn = provider_fqn(fqn);
            let r = providers.entry(fqn.clone()).or_insert_with(|| {
                let mut r = provider_record(&fqn, Location::new(shown.clone(), Some(block.line)));
                r.attributes
                    .insert("source".into(), Value::String(fqn.clone()));
                r
            });
            if let Some(attr) = block.body.attribute("version") {
                let v = constant(loader, &resolver, &attr.expr, &shown, attr.line);
                r.attributes.insert("locked_version".into(), v);
                r.attribute_locations.insert(
                    "locked_version".into(),
                    Location::new(shown.clone(), Some(attr.line)),
                );
            }
        }
    }
    // No lock file is not a gap in what we read: there is nothing locked to
    // compare. If only one environment has one, the rule on
    // `locked_version` reports the one-sided value.
    for (_, r) in providers {
        loader.add_dependency(r);
    }
    Ok(())
}

/// A constant (no references allowed, as Terraform requires here). One that
/// cannot be evaluated used to become `null` silently, so a broken
/// `required_version = var.x` compared equal to a missing one: now it is a
/// coverage gap.
fn constant(
    loader: &Loader,
    resolver: &ConstResolver,
    expr: &hcl::Expression,
    file: &str,
    line: u32,
) -> Value {
    match Scope::new(resolver).eval(expr) {
        Ok(v) => v,
        Err(e) => {
            loader.gap(CoverageGap {
                what: format!("{file}:{line}"),
                reason: format!("cannot evaluate: {e}"),
            });
            Value::Null
        }
    }
}

fn provider_record(fqn: &str, loc: Location) -> Resource {
    Resource::new(format!("provider[\"{fqn}\"]"), "terraform_provider", loc)
}
