//! Pulumi type tokens onto the model's Terraform names, so a mapped type is
//! judged by the same rules as Terraform code, state and live AWS.
//!
//! AWS classic tokens (`aws:rds/instance:Instance`) map through
//! `tokens.tsv` (data, written by `scripts/gen-pulumi-tokens` from
//! pulumi-aws's bridge metadata) to a Terraform type; their camelCase
//! properties become the Terraform attributes the bridge made them from,
//! by the table's third column first (every name, of the resource or of a
//! nested block by its path, that is not the snake_case of the Pulumi
//! name: `inlinePolicies` is `inline_policy`, Lambda's `name` is
//! `function_name`), then by the bridge's rules checked against the AWS
//! provider schema (`terraform::schema`): `engineVersion` is
//! `engine_version`. Inside nested blocks keys follow the same rules;
//! maps of user keys (`tags`, Lambda `variables`) keep theirs. A block the
//! bridge flattened to one object becomes a list of one, as in state.
//!
//! `aws-native` tokens (`aws-native:rds:DbInstance`) are CloudFormation
//! types (`AWS::RDS::DBInstance`) and map through the CloudFormation
//! source's tables. Anything else keeps its Pulumi token and property
//! names and is compared by the generic rule: nothing is dropped.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::model::{Map, Value};
use crate::sources::cloudformation::eval::snake;
use crate::sources::cloudformation::mapping as cfn;
use crate::sources::terraform::schema::{self, Block, Item, Ty};

/// The generated table (see the file's header).
const TOKENS: &str = include_str!("../tokens.tsv");

/// One classic token's row.
#[derive(Debug)]
pub(crate) struct Row {
    pub terraform: &'static str,
    /// Pulumi name → Terraform name, for every name that is not the plain
    /// snake_case of the Pulumi one; a nested block's by its path of
    /// Pulumi names (`lifecycleRules.transitions`).
    pub renames: Vec<(&'static str, &'static str)>,
}

impl Row {
    /// The Terraform name the table gives the Pulumi name at `path`.
    fn renamed(&self, path: &str) -> Option<&'static str> {
        self.renames
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, a)| *a)
    }
}

/// The table, by token. A line without a tab is skipped (the header).
pub(crate) static ROWS: LazyLock<HashMap<&'static str, Row>> = LazyLock::new(|| {
    TOKENS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let token = cols.next()?;
            let terraform = cols.next()?;
            let renames = cols
                .next()
                .unwrap_or_default()
                .split(',')
                .filter_map(|p| p.split_once('='))
                .collect();
            Some((token, Row { terraform, renames }))
        })
        .collect()
});

/// What a token maps to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mapped<'a> {
    /// A classic token with a row.
    Classic(&'static Row),
    /// An `aws-native` token whose CloudFormation type has a table.
    Native(&'static cfn::TypeMap),
    /// Neither: kept under its own names.
    Unmapped(&'a str),
}

pub(crate) fn lookup(token: &str) -> Mapped<'_> {
    if let Some(row) = ROWS.get(token) {
        return Mapped::Classic(row);
    }
    if let Some(t) = native(token) {
        return Mapped::Native(t);
    }
    Mapped::Unmapped(token)
}

/// `aws-native:rds:DbInstance` → the table of `AWS::RDS::DBInstance`: the
/// native provider names CloudFormation types with its own capitals, so
/// the service and type are matched without case.
fn native(token: &str) -> Option<&'static cfn::TypeMap> {
    let rest = token.strip_prefix("aws-native:")?;
    let (service, name) = rest.split_once(':')?;
    cfn::lookup_ignore_case(&format!("AWS::{service}::{name}"))
}

/// The model type of a token.
pub(crate) fn model_type(token: &str) -> &str {
    match lookup(token) {
        Mapped::Classic(row) => row.terraform,
        Mapped::Native(t) => t.terraform,
        Mapped::Unmapped(t) => t,
    }
}

/// A resource's properties as attributes.
pub(crate) fn attributes(token: &str, props: Map) -> Map {
    match lookup(token) {
        Mapped::Classic(row) => {
            let block = schema::lookup(row.terraform, false);
            let mut out = Map::new();
            for (prop, v) in props {
                let name = row
                    .renamed(&prop)
                    .map_or_else(|| attribute_name(block, &prop), str::to_string);
                let v = nested(
                    block.and_then(|b| b.get(&name)),
                    v,
                    &Names { row, path: &prop },
                );
                out.insert(name, v);
            }
            schema::convert_resource(row.terraform, false, &mut out);
            out
        }
        Mapped::Native(t) => {
            let props: Map = props
                .into_iter()
                .map(|(k, v)| {
                    let key = t
                        .property(&k, false)
                        .map_or_else(|| pascal(&k), |(p, _, _)| p.to_string());
                    (key, pascal_items(v))
                })
                .collect();
            let (mut out, _) = cfn::attributes(t.cfn, props);
            schema::convert_resource(t.terraform, false, &mut out);
            out
        }
        Mapped::Unmapped(_) => props,
    }
}

/// The attribute a resource's top-level property becomes (for its
/// location).
pub(crate) fn attribute_for(token: &str, prop: &str) -> String {
    match lookup(token) {
        Mapped::Classic(row) => row.renamed(prop).map_or_else(
            || attribute_name(schema::lookup(row.terraform, false), prop),
            str::to_string,
        ),
        Mapped::Native(t) => t
            .property(prop, false)
            .map_or_else(|| pascal(prop), |(_, a, _)| a.to_string()),
        Mapped::Unmapped(_) => prop.to_string(),
    }
}

/// The Terraform name of a camelCase property in `block`: its snake_case
/// form, or, when the schema has no such name and has the singular, the
/// singular (the bridge pluralizes the names of list blocks). Without a
/// schema, the snake_case form.
fn attribute_name(block: Option<&Block>, prop: &str) -> String {
    let s = snake(prop);
    let Some(b) = block else {
        return s;
    };
    if b.get(&s).is_some() {
        return s;
    }
    singulars(&s)
        .into_iter()
        .find(|c| b.get(c).is_some())
        .unwrap_or(s)
}

fn singulars(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(stem) = s.strip_suffix("ies") {
        out.push(format!("{stem}y"));
    }
    if let Some(stem) = s.strip_suffix("es") {
        out.push(stem.to_string());
    }
    if let Some(stem) = s.strip_suffix('s') {
        out.push(stem.to_string());
    }
    out
}

/// Where a nested value sits: its row (for the table's renames) and the
/// path of Pulumi names that leads to it.
struct Names<'a> {
    row: &'static Row,
    path: &'a str,
}

/// A value inside an attribute, its keys renamed where the schema says
/// they are attribute names (nested blocks, objects), kept where they are
/// a user's (maps) or the schema does not say. A block's keys are the
/// table's names at their path first; where the schema does not say (a
/// block computed by the provider, `identity`), only the table's names
/// are renamed.
fn nested(item: Option<&Item>, v: Value, at: &Names<'_>) -> Value {
    match (item, v) {
        (Some(Item::Block(_, inner)), v) => each_object(v, &|m| block_keys(inner, m, at)),
        (Some(Item::Attr(ty)), v) => typed(ty, v),
        (None, v) => each_object(v, &|m| table_keys(m, at)),
    }
}

/// The keys of an object the schema does not describe: the table's names
/// at their path, the others kept.
fn table_keys(m: Map, at: &Names<'_>) -> Value {
    Value::Map(
        m.into_iter()
            .map(|(k, v)| {
                let path = format!("{}.{k}", at.path);
                let name = at.row.renamed(&path).map_or(k, str::to_string);
                let v = nested(
                    None,
                    v,
                    &Names {
                        row: at.row,
                        path: &path,
                    },
                );
                (name, v)
            })
            .collect(),
    )
}

fn typed(ty: &Ty, v: Value) -> Value {
    match (ty, v) {
        (Ty::Object(fields), Value::Map(m)) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let name = snake(&k);
                    let inner = fields.iter().find(|(f, _)| *f == name).map(|(_, t)| t);
                    let v = match inner {
                        Some(t) => typed(t, v),
                        None => v,
                    };
                    (name, v)
                })
                .collect(),
        ),
        (Ty::List(inner) | Ty::Set(inner), Value::List(items)) => {
            Value::List(items.into_iter().map(|i| typed(inner, i)).collect())
        }
        (Ty::Map(inner), Value::Map(m)) => {
            Value::Map(m.into_iter().map(|(k, v)| (k, typed(inner, v))).collect())
        }
        (_, v) => v,
    }
}

fn block_keys(block: &Block, m: Map, at: &Names<'_>) -> Value {
    Value::Map(
        m.into_iter()
            .map(|(k, v)| {
                let path = format!("{}.{k}", at.path);
                let name = at
                    .row
                    .renamed(&path)
                    .map_or_else(|| attribute_name(Some(block), &k), str::to_string);
                let v = nested(
                    block.get(&name),
                    v,
                    &Names {
                        row: at.row,
                        path: &path,
                    },
                );
                (name, v)
            })
            .collect(),
    )
}

/// `f` on an object, or on each object of a list.
fn each_object(v: Value, f: &dyn Fn(Map) -> Value) -> Value {
    match v {
        Value::Map(m) => f(m),
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Map(m) => f(m),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// `dbInstanceClass` → `DbInstanceClass`.
fn pascal(k: &str) -> String {
    let mut c = k.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// The keys of objects in a list in CloudFormation's case (`tags: [{key,
/// value}]` → `[{Key, Value}]`, security group rules, policies), as the
/// CloudFormation tables read them; maps outside lists keep their keys
/// (Lambda `variables` are a user's).
fn pascal_items(v: Value) -> Value {
    match v {
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Map(m) => {
                        Value::Map(m.into_iter().map(|(k, v)| (pascal(&k), v)).collect())
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests;
