//! Where a unit's attribute comes from: an attribute of a resource of the
//! unit's module whose expression reads `var.X` (directly or through the
//! module's locals), X being set by an input of the unit, is located at
//! that input's line in `terragrunt.hcl` (or the file it includes), so a
//! finding names the line a user changes. `count` and `for_each` locate
//! the `@count` of the block the same way.
//!
//! References are found in the expression's text (templates and heredocs
//! included); the resources of nested module calls keep their module's
//! lines.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Location, Resource};
use crate::sources::terraform::eval::expr_text;
use crate::sources::terraform::files::ModuleDef;
use crate::sources::terraform::parse::{Block, Body};

/// Point the attributes of `resources` (the root module's) that read an
/// input at the input's location (`inputs`, by variable name). When
/// several inputs feed one attribute, one the unit's own file (`unit`, as
/// shown) sets is preferred over those of the files it includes (the
/// specific over the shared), then the first by name.
pub(crate) fn relocate(
    resources: &mut [Resource],
    def: &ModuleDef,
    inputs: &BTreeMap<String, Location>,
    unit: &str,
) {
    let locals: BTreeMap<&str, String> = def
        .locals
        .iter()
        .map(|(k, a)| (k.as_str(), expr_text(&a.item.expr)))
        .collect();
    let mut by_block: BTreeMap<String, BTreeMap<String, Location>> = BTreeMap::new();
    for block in def.resources.iter().chain(def.data.iter()) {
        let item = &block.item;
        let (Some(rtype), Some(name)) = (item.labels.first(), item.labels.get(1)) else {
            continue;
        };
        let address = if item.kind == "data" {
            format!("data.{rtype}.{name}")
        } else {
            format!("{rtype}.{name}")
        };
        let mut found = BTreeMap::new();
        for (attr, text) in attribute_texts(&item.body) {
            let vars = vars_of(&text, &locals);
            let mut candidates = vars.iter().filter_map(|v| inputs.get(v));
            let own = vars
                .iter()
                .filter_map(|v| inputs.get(v))
                .find(|l| &*l.file == unit);
            if let Some(loc) = own.or_else(|| candidates.next()) {
                found.insert(attr, loc.clone());
            }
        }
        if !found.is_empty() {
            by_block.insert(address, found);
        }
    }
    for r in resources.iter_mut() {
        let base = crate::rules::engine::base_of(&r.address);
        if let Some(found) = by_block.get(base) {
            for (attr, loc) in found {
                r.locate(attr.clone(), loc.clone());
            }
        }
    }
}

/// The text of each top-level attribute and nested block of a resource
/// body, by the attribute name parity records (`count` and `for_each` as
/// `@count`, a `dynamic "x"` block as `x`).
fn attribute_texts(body: &Body) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in &body.attributes {
        let name = match a.name.as_str() {
            "count" | "for_each" => "@count".to_string(),
            other => other.to_string(),
        };
        out.push((name, expr_text(&a.expr)));
    }
    for b in &body.blocks {
        let name = if b.kind == "dynamic" {
            b.labels.first().cloned().unwrap_or_default()
        } else {
            b.kind.clone()
        };
        let mut text = String::new();
        block_text(b, &mut text);
        out.push((name, text));
    }
    out
}

fn block_text(b: &Block, out: &mut String) {
    for a in &b.body.attributes {
        out.push_str(&expr_text(&a.expr));
        out.push('\n');
    }
    for inner in &b.body.blocks {
        block_text(inner, out);
    }
}

/// The variables `text` reads, through the module's locals too.
fn vars_of(text: &str, locals: &BTreeMap<&str, String>) -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![text.to_string()];
    while let Some(t) = todo.pop() {
        vars.extend(names_after(&t, "var."));
        for local in names_after(&t, "local.") {
            if let Some(expr) = locals.get(local.as_str()) {
                if seen.insert(local) {
                    todo.push(expr.clone());
                }
            }
        }
    }
    vars
}

/// The identifiers that follow `prefix` in `text` where `prefix` starts a
/// name (`var.x`, not `myvar.x`).
fn names_after(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices(prefix) {
        let starts_name = i == 0 || {
            let c = bytes[i - 1];
            !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
        };
        if !starts_name {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_found_directly_and_through_locals() {
        let mut locals = BTreeMap::new();
        locals.insert(
            "azs",
            "slice(var.availability_zones, 0, var.az_count)".to_string(),
        );
        locals.insert("loop", "local.loop".to_string());
        let vars = vars_of(
            "length(local.azs) + local.loop + myvar.x + \"${var.name}-db\"",
            &locals,
        );
        let names: Vec<&str> = vars.iter().map(String::as_str).collect();
        assert_eq!(names, vec!["availability_zones", "az_count", "name"]);
    }
}
