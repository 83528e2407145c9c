//! `terraform show -json PLANFILE`: what the environment will look like
//! once the plan is applied.
//!
//! Resources come from `planned_values` (the state after apply, resources
//! to be destroyed already gone); values Terraform knows only after apply
//! are marked in `resource_changes[].change.after_unknown` and become
//! [`Value::Unknown`] holding the reference the configuration makes
//! (`aws_vpc.main.id`), as the code source does. Data sources read while
//! planning come from `prior_state`; providers and module calls from
//! `configuration`;
//! sensitive variables from `configuration` + `variables`.

use std::collections::{BTreeMap, HashMap};

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::json::{self, Json};
use super::show::{self, ShowResource, StateDoc, Values};
use super::Parsed;
use crate::model::{Location, Resource, Value};

#[derive(Deserialize)]
pub(crate) struct ResourceChange {
    pub address: String,
    #[serde(default)]
    pub deposed: Option<IgnoredAny>,
    pub change: Change,
}

#[derive(Deserialize)]
pub(crate) struct Change {
    #[serde(default)]
    pub after_unknown: Option<Json>,
}

#[derive(Deserialize)]
pub(crate) struct Variable {
    #[serde(default)]
    pub value: Option<Json>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Configuration {
    #[serde(default, deserialize_with = "json::or_default")]
    pub provider_config: BTreeMap<String, ProviderConfig>,
    #[serde(default)]
    pub root_module: Option<ConfigModule>,
}

#[derive(Deserialize)]
pub(crate) struct ProviderConfig {
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub version_constraint: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct ConfigModule {
    #[serde(default, deserialize_with = "json::or_default")]
    pub resources: Vec<ConfigResource>,
    #[serde(default, deserialize_with = "json::or_default")]
    pub module_calls: BTreeMap<String, ModuleCall>,
    #[serde(default, deserialize_with = "json::or_default")]
    pub variables: BTreeMap<String, ConfigVariable>,
    #[serde(default, deserialize_with = "json::or_default")]
    pub outputs: BTreeMap<String, ConfigOutput>,
}

#[derive(Deserialize)]
pub(crate) struct ConfigResource {
    pub address: String,
    #[serde(default)]
    pub expressions: Option<Json>,
}

#[derive(Deserialize)]
pub(crate) struct ModuleCall {
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub version_constraint: Option<String>,
    #[serde(default)]
    pub expressions: Option<Json>,
    #[serde(default)]
    pub module: Option<ConfigModule>,
}

#[derive(Deserialize)]
pub(crate) struct ConfigVariable {
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Deserialize)]
pub(crate) struct ConfigOutput {
    #[serde(default)]
    pub expression: Option<Json>,
}

/// The parts of a plan document that matter here.
pub(crate) struct PlanDoc {
    pub planned_values: Option<Values>,
    pub resource_changes: Vec<ResourceChange>,
    pub prior_state: Option<StateDoc>,
    pub configuration: Option<Configuration>,
    pub variables: BTreeMap<String, Variable>,
}

pub(crate) fn convert(doc: PlanDoc, path: &str, lines: &HashMap<String, u32>, parsed: &mut Parsed) {
    let config = doc.configuration.unwrap_or_default();
    let root = config.root_module.unwrap_or_default();

    // Sensitive root variables: their values appear in clear in `variables`.
    for (name, v) in &doc.variables {
        if root.variables.get(name).is_some_and(|c| c.sensitive) {
            if let Some(value) = &v.value {
                parsed.secret_value(&value.0);
            }
        }
    }

    let mut prior: Vec<ShowResource> = Vec::new();
    if let Some(values) = doc.prior_state.and_then(|p| p.values) {
        show::output_secrets(&values, parsed);
        if let Some(m) = values.root_module {
            m.into_resources(&mut prior);
        }
    }
    let mut planned: Vec<ShowResource> = Vec::new();
    if let Some(values) = doc.planned_values {
        show::output_secrets(&values, parsed);
        if let Some(m) = values.root_module {
            m.into_resources(&mut planned);
        }
    }

    let prior_data: Vec<ShowResource> = prior.into_iter().filter(|r| r.mode == "data").collect();
    let planned_addresses: std::collections::HashSet<String> =
        planned.iter().map(|r| r.address.clone()).collect();
    let unknowns: HashMap<String, Value> = doc
        .resource_changes
        .into_iter()
        .filter(|c| c.deposed.is_none())
        .filter_map(|c| c.change.after_unknown.map(|u| (c.address, u.0)))
        .collect();

    let index = ConfigIndex::new(&root);
    for r in planned {
        let Some(mut inst) = show::instance(r, lines, parsed) else {
            continue;
        };
        if let Some(Value::Map(mask)) = unknowns.get(&inst.address) {
            for (attr, sub) in mask {
                let path = vec![PathSeg::Key(attr.clone())];
                mark_unknown(
                    &mut inst.attributes,
                    attr,
                    sub,
                    &path,
                    &inst.address,
                    &index,
                );
            }
        }
        parsed.instances.push(inst);
    }
    for r in prior_data {
        if planned_addresses.contains(&r.address) {
            continue;
        }
        if let Some(i) = show::instance(r, lines, parsed) {
            parsed.instances.push(i);
        }
    }

    records(&config.provider_config, &root, path, parsed);
}

#[derive(Clone)]
enum PathSeg {
    Key(String),
    Index(usize),
}

/// Set unknown values where the mask says `true`, creating object members
/// that `planned_values` left out (it omits unknown attributes).
fn mark_unknown(
    attrs: &mut crate::model::Map,
    key: &str,
    mask: &Value,
    path: &[PathSeg],
    address: &str,
    index: &ConfigIndex,
) {
    match mask {
        Value::Bool(true) => {
            attrs.insert(
                key.to_string(),
                Value::Unknown(index.unknown_expr(address, path)),
            );
        }
        Value::Map(mm) => {
            let slot = attrs
                .entry_or_insert_with(key.to_string(), || Value::Map(crate::model::Map::new()));
            if let Value::Map(inner) = slot {
                for (k, sub) in mm {
                    let mut p = path.to_vec();
                    p.push(PathSeg::Key(k.clone()));
                    mark_unknown(inner, k, sub, &p, address, index);
                }
            }
        }
        Value::List(ml) => {
            if let Some(Value::List(items)) = attrs.get_mut(key) {
                for (i, sub) in ml.iter().enumerate() {
                    let Some(item) = items.get_mut(i) else {
                        continue;
                    };
                    let mut p = path.to_vec();
                    p.push(PathSeg::Index(i));
                    match (sub, item) {
                        (Value::Bool(true), item) => {
                            *item = Value::Unknown(index.unknown_expr(address, &p));
                        }
                        (Value::Map(mm), Value::Map(inner)) => {
                            for (k, s) in mm {
                                let mut q = p.clone();
                                q.push(PathSeg::Key(k.clone()));
                                mark_unknown(inner, k, s, &q, address, index);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        _ => {}
    }
}

/// Configuration resources and modules by address, to name what an
/// unknown value will be.
struct ConfigIndex<'c> {
    /// Config address (`module.app.aws_lb.app`) → (module path, expressions).
    resources: HashMap<String, (Vec<&'c str>, &'c Value)>,
    modules: HashMap<Vec<&'c str>, &'c ConfigModule>,
    calls: HashMap<Vec<&'c str>, &'c ModuleCall>,
}

impl<'c> ConfigIndex<'c> {
    fn new(root: &'c ConfigModule) -> Self {
        let mut ix = ConfigIndex {
            resources: HashMap::new(),
            modules: HashMap::new(),
            calls: HashMap::new(),
        };
        ix.add(root, Vec::new());
        ix
    }

    fn add(&mut self, m: &'c ConfigModule, path: Vec<&'c str>) {
        let prefix: String = path.iter().map(|p| format!("module.{p}.")).collect();
        for r in &m.resources {
            if let Some(e) = &r.expressions {
                self.resources
                    .insert(format!("{prefix}{}", r.address), (path.clone(), &e.0));
            }
        }
        self.modules.insert(path.clone(), m);
        for (name, call) in &m.module_calls {
            let mut child = path.clone();
            child.push(name.as_str());
            self.calls.insert(child.clone(), call);
            if let Some(cm) = &call.module {
                self.add(cm, child);
            }
        }
    }

    /// The expression an unknown value stands for: the reference the
    /// configuration makes there (followed through module inputs and
    /// outputs), else the attribute itself (`aws_lb.app.dns_name`).
    fn unknown_expr(&self, address: &str, path: &[PathSeg]) -> String {
        let config = super::ids::config_address(address);
        let attr = path.iter().rev().find_map(|s| match s {
            PathSeg::Key(k) => Some(k.as_str()),
            PathSeg::Index(_) => None,
        });
        if let Some((module, exprs)) = self.resources.get(&config) {
            let mut cur = Some(*exprs);
            for seg in path {
                cur = match (seg, cur) {
                    (PathSeg::Key(k), Some(Value::Map(m))) => m.get(k),
                    (PathSeg::Index(i), Some(Value::List(l))) => l.get(*i).or_else(|| l.first()),
                    // A list attribute written as one expression.
                    (PathSeg::Index(_), Some(v @ Value::Map(_))) => Some(v),
                    _ => None,
                };
            }
            if let Some(e) = cur.and_then(|v| self.follow(v, module, module, attr, 0)) {
                return e;
            }
        }
        let mut out = super::ids::local_address(address).to_string();
        for seg in path {
            match seg {
                PathSeg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                PathSeg::Index(i) => {
                    out.push('.');
                    out.push_str(&i.to_string());
                }
            }
        }
        out
    }

    /// The resource reference `expr` makes, looked up in `module` and
    /// named as seen from `origin` (the module of the resource that holds
    /// the value): local there, module-qualified from elsewhere.
    fn follow(
        &self,
        expr: &Value,
        module: &[&'c str],
        origin: &[&'c str],
        attr: Option<&str>,
        depth: usize,
    ) -> Option<String> {
        if depth > 16 {
            return None;
        }
        let refs = expr.as_map()?.get("references")?.as_list()?;
        for r in refs {
            let Some(r) = r.as_str() else { continue };
            let parts: Vec<&str> = r.split('.').collect();
            match parts.as_slice() {
                ["var", name, ..] => {
                    let (_, parent) = module.split_last()?;
                    let call = self.calls.get(module)?;
                    let e = call
                        .expressions
                        .as_ref()?
                        .0
                        .as_map()?
                        .get(strip_index(name))?;
                    if let Some(x) = self.follow(e, parent, origin, attr, depth + 1) {
                        return Some(x);
                    }
                }
                ["module", name, output, ..] => {
                    let mut child = module.to_vec();
                    let key = self.calls.keys().find(|k| {
                        k.len() == module.len() + 1
                            && k.starts_with(module)
                            && k.last() == Some(&strip_index(name))
                    })?;
                    child.push(key.last().copied()?);
                    let m = self.modules.get(&child)?;
                    let e = m.outputs.get(strip_index(output))?.expression.as_ref()?;
                    if let Some(x) = self.follow(&e.0, &child, origin, attr, depth + 1) {
                        return Some(x);
                    }
                }
                ["module", ..]
                | ["local", ..]
                | ["each", ..]
                | ["count", ..]
                | ["path", ..]
                | ["terraform", ..]
                | ["self", ..] => {}
                ["data", t, n, rest @ ..] => {
                    let r = qualify(module, origin, &format!("data.{t}.{n}"));
                    return Some(with_attr(&r, rest, attr));
                }
                [t, n, rest @ ..] if t.contains('_') => {
                    let r = qualify(module, origin, &format!("{t}.{n}"));
                    return Some(with_attr(&r, rest, attr));
                }
                _ => {}
            }
        }
        None
    }
}

/// `resource` of `module`, named from `origin`.
fn qualify(module: &[&str], origin: &[&str], resource: &str) -> String {
    if module == origin {
        return resource.to_string();
    }
    let mut out: String = module.iter().map(|m| format!("module.{m}.")).collect();
    out.push_str(resource);
    out
}

fn strip_index(s: &str) -> &str {
    s.split('[').next().unwrap_or(s)
}

/// `aws_vpc.main` + `["id"]` → `aws_vpc.main.id`; without an attribute,
/// `.arn` for an `*_arn` argument, else `.id`.
fn with_attr(resource: &str, rest: &[&str], attr: Option<&str>) -> String {
    match rest.first() {
        Some(a) => format!("{resource}.{a}"),
        None if attr.is_some_and(|a| a.ends_with("arn") || a.ends_with("arns")) => {
            format!("{resource}.arn")
        }
        None => format!("{resource}.id"),
    }
}

/// Provider and module-call records, as the code source makes them.
fn records(
    providers: &BTreeMap<String, ProviderConfig>,
    root: &ConfigModule,
    path: &str,
    parsed: &mut Parsed,
) {
    let at = Location::new(path, None);
    for p in providers.values() {
        let Some(fqn) = &p.full_name else { continue };
        let address = format!("provider[\"{fqn}\"]");
        if parsed.records.iter().any(|r| r.address == address) {
            continue;
        }
        let mut r = Resource::new(address, "terraform_provider", at.clone());
        r.attributes
            .insert("source".into(), Value::String(fqn.clone()));
        if let Some(v) = &p.version_constraint {
            r.attributes
                .insert("version_constraint".into(), Value::String(v.clone()));
        }
        parsed.records.push(r);
    }
    fn calls(m: &ConfigModule, prefix: &str, at: &Location, out: &mut Vec<Resource>) {
        for (name, call) in &m.module_calls {
            let address = format!("{prefix}module.{name}");
            let mut r = Resource::new(address.clone(), "module_call", at.clone());
            if let Some(src) = &call.source {
                let (base, git_ref) = split_ref(src);
                r.attributes.insert("source".into(), Value::String(base));
                r.attributes.insert(
                    "source_kind".into(),
                    Value::str(crate::sources::terraform::module::source_kind(src)),
                );
                if let Some(g) = git_ref {
                    r.attributes.insert("ref".into(), Value::String(g));
                }
            }
            if let Some(v) = &call.version_constraint {
                r.attributes
                    .insert("version".into(), Value::String(v.clone()));
            }
            out.push(r);
            if let Some(child) = &call.module {
                calls(child, &format!("{address}."), at, out);
            }
        }
    }
    calls(root, "", &at, &mut parsed.records);
}

/// `git::https://…/x.git?ref=v1.6.0` → (`git::https://…/x.git`, `v1.6.0`).
fn split_ref(source: &str) -> (String, Option<String>) {
    let Some((base, query)) = source.split_once('?') else {
        return (source.to_string(), None);
    };
    let mut git_ref = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.strip_prefix("ref=") {
            Some(r) => {
                git_ref = Some(r.to_string());
                false
            }
            None => true,
        })
        .collect();
    let base = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (base, git_ref)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_split_off_sources() {
        assert_eq!(
            split_ref("git::https://x/waf.git?ref=v1.6.0"),
            (
                "git::https://x/waf.git".to_string(),
                Some("v1.6.0".to_string())
            )
        );
        assert_eq!(split_ref("../m"), ("../m".to_string(), None));
    }

    #[test]
    fn unknowns_name_their_reference() {
        assert_eq!(
            with_attr("aws_vpc.main", &["id"], Some("vpc_id")),
            "aws_vpc.main.id"
        );
        assert_eq!(
            with_attr("aws_lb.app", &[], Some("load_balancer_arn")),
            "aws_lb.app.arn"
        );
        assert_eq!(
            with_attr("aws_subnet.a", &[], Some("subnet_id")),
            "aws_subnet.a.id"
        );
    }
}
