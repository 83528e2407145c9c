//! The AWS provider schema's types, applied to the values code gives a
//! resource's arguments, as the provider would convert them before a plan:
//! `from_port = "0"` is the number `0` in the plan and in state, `port = 80`
//! in a `string` attribute is `"80"`, a `set` is sorted and de-duplicated,
//! a block written as one JSON object in `.tf.json` is a list of one block.
//!
//! The types come from `aws.tsv`, generated from `terraform providers schema
//! -json` by `scripts/gen-provider-schema` (the format is described in
//! `scripts/provider-schema-table.py`); the build never calls Terraform. The
//! table is embedded, indexed by resource type on first use, and each
//! resource type's line is parsed the first time a resource of that type is
//! converted.
//!
//! Only what converting needs is in the table: each argument a configuration
//! may set (not those the provider computes only) with its type, and each
//! nested block with its nesting. What the table does not name is left as
//! it is: resource types of other providers or newer than the table, and
//! names that are not arguments (Terraform rejects them); so is a value that
//! does not convert (Terraform would reject it), an unknown value, and a
//! `dynamic` attribute.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use crate::model::{Map, Value};
use crate::sources::terraform::functions::{
    make_set, to_bool_conv, to_number_conv, to_string_conv,
};

/// The generated table: one line per resource type, `data.` before data
/// source types.
const AWS: &str = include_str!("aws.tsv");

/// A type of the table (`s`, `n`, `b`, `d`, `L…`, `S…`, `M…`, `o{…}`, `t(…)`;
/// a name without a type is a string).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    String,
    Number,
    Bool,
    Dynamic,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    Object(Vec<(&'static str, Ty)>),
    Tuple(Vec<Ty>),
}

/// How a nested block nests (the schema's `nesting_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nest {
    List,
    Set,
    Single,
    Group,
    Map,
}

/// One name of a block: an attribute with its type, or a nested block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Attr(Ty),
    Block(Nest, Block),
}

/// A resource's (or nested block's) arguments, sorted by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Block {
    items: Vec<(&'static str, Item)>,
}

impl Block {
    pub(crate) fn get(&self, name: &str) -> Option<&Item> {
        self.items
            .binary_search_by(|(k, _)| (*k).cmp(name))
            .ok()
            .map(|i| &self.items[i].1)
    }
}

struct Entry {
    body: &'static str,
    parsed: OnceLock<Option<Block>>,
}

/// Resource types by name, each line parsed on first use.
static INDEX: LazyLock<HashMap<&'static str, Entry>> = LazyLock::new(|| {
    AWS.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(name, body)| {
            (
                name,
                Entry {
                    body,
                    parsed: OnceLock::new(),
                },
            )
        })
        .collect()
});

/// The schema of a resource type (`data` for a data source), if the table
/// lists it. A line that does not parse (a table edited by hand) counts as
/// not listed.
pub(crate) fn lookup(rtype: &str, data: bool) -> Option<&'static Block> {
    let entry = if data {
        INDEX.get(format!("data.{rtype}").as_str())?
    } else {
        INDEX.get(rtype)?
    };
    entry.parsed.get_or_init(|| parse_line(entry.body)).as_ref()
}

/// The attributes the AWS provider's schema marks sensitive, by resource
/// type (`data.` prefixed for data sources), each a path through nested
/// blocks (`["credentials", "secret_key"]`); generated beside the type
/// table by scripts/gen-provider-schema.
static SENSITIVE: LazyLock<HashMap<&'static str, Vec<Vec<&'static str>>>> = LazyLock::new(|| {
    include_str!("aws-sensitive.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(name, paths)| {
            (
                name,
                paths
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|p| p.split('.').collect())
                    .collect(),
            )
        })
        .collect()
});

/// The paths of `rtype`'s attributes that the provider's schema marks
/// sensitive (`aws_ssm_parameter`: `value`, `value_wo`); empty for a type
/// the table does not list.
pub fn sensitive_paths(rtype: &str, data: bool) -> &'static [Vec<&'static str>] {
    let found = if data {
        SENSITIVE.get(format!("data.{rtype}").as_str())
    } else {
        SENSITIVE.get(rtype)
    };
    found.map(Vec::as_slice).unwrap_or(&[])
}

/// Convert a resource's attributes, from code, to its schema's types.
/// Returns how many values changed.
pub fn convert_resource(rtype: &str, data: bool, attributes: &mut Map) -> usize {
    match lookup(rtype, data) {
        Some(block) => convert_block(block, attributes),
        None => 0,
    }
}

fn convert_block(block: &Block, attributes: &mut Map) -> usize {
    let mut changed = 0;
    for (name, value) in attributes.iter_mut() {
        changed += match block.get(name) {
            Some(Item::Attr(ty)) => convert(ty, value),
            Some(Item::Block(nest, inner)) => convert_nested(*nest, inner, value),
            // Not an argument of this schema (Terraform rejects it).
            None => 0,
        };
    }
    changed
}

fn convert_nested(nest: Nest, block: &Block, value: &mut Value) -> usize {
    let mut changed = 0;
    match nest {
        Nest::List | Nest::Set => {
            // `.tf.json` writes a single block as one object.
            if let Value::Map(_) = value {
                let one = std::mem::take(value);
                *value = Value::List(vec![one]);
                changed += 1;
            }
            if let Value::List(items) = value {
                for item in items.iter_mut() {
                    if let Value::Map(m) = item {
                        changed += convert_block(block, m);
                    }
                }
            }
        }
        Nest::Single | Nest::Group => match value {
            Value::Map(m) => changed += convert_block(block, m),
            Value::List(items) => {
                for item in items.iter_mut() {
                    if let Value::Map(m) = item {
                        changed += convert_block(block, m);
                    }
                }
            }
            _ => {}
        },
        Nest::Map => {
            if let Value::Map(entries) = value {
                for (_, item) in entries.iter_mut() {
                    if let Value::Map(m) = item {
                        changed += convert_block(block, m);
                    }
                }
            }
        }
    }
    changed
}

/// Convert `value` to `ty` where Terraform would; leave it where it would
/// not (unknown, null, or a value the type rejects). Returns how many values
/// changed.
pub(crate) fn convert(ty: &Ty, value: &mut Value) -> usize {
    if matches!(value, Value::Null | Value::Unknown(_)) || value.is_sensitive() {
        return 0;
    }
    let primitive = match ty {
        Ty::Dynamic => return 0,
        Ty::String if !matches!(value, Value::String(_)) => {
            to_string_conv(value).ok().map(Value::String)
        }
        Ty::Number if !matches!(value, Value::Number(_) | Value::BigNumber(_)) => {
            to_number_conv(value).ok().map(Value::Number)
        }
        Ty::Bool if !matches!(value, Value::Bool(_)) => to_bool_conv(value).ok().map(Value::Bool),
        Ty::String | Ty::Number | Ty::Bool => return 0,
        _ => None,
    };
    if let Some(v) = primitive {
        *value = v;
        return 1;
    }
    let mut changed = 0;
    match (ty, value) {
        (Ty::List(el), Value::List(items)) => {
            for item in items.iter_mut() {
                changed += convert(el, item);
            }
        }
        (Ty::Set(el), Value::List(items)) => {
            for item in items.iter_mut() {
                changed += convert(el, item);
            }
            // Sorted as cty orders a set of primitives (which is how plans
            // and state list them), and de-duplicated. A set with unknown
            // elements, or of objects (which cty orders by hash), keeps the
            // order written.
            let primitives = items.iter().all(|v| {
                matches!(
                    v,
                    Value::String(_) | Value::Number(_) | Value::BigNumber(_) | Value::Bool(_)
                )
            });
            if primitives {
                let sorted = make_set(items.clone());
                if sorted != *items {
                    *items = sorted;
                    changed += 1;
                }
            }
        }
        (Ty::Map(el), Value::Map(entries)) => {
            for (_, v) in entries.iter_mut() {
                changed += convert(el, v);
            }
        }
        (Ty::Object(attrs), Value::Map(entries)) => {
            for (name, v) in entries.iter_mut() {
                if let Ok(i) = attrs.binary_search_by(|(k, _)| (*k).cmp(name.as_str())) {
                    changed += convert(&attrs[i].1, v);
                }
            }
        }
        (Ty::Tuple(types), Value::List(items)) if types.len() == items.len() => {
            for (t, v) in types.iter().zip(items.iter_mut()) {
                changed += convert(t, v);
            }
        }
        _ => {}
    }
    changed
}

// ---------------------------------------------------------------------------
// The table's grammar (scripts/provider-schema-table.py).

struct Parser {
    text: &'static str,
    pos: usize,
}

fn parse_line(body: &'static str) -> Option<Block> {
    let mut p = Parser { text: body, pos: 0 };
    let block = p.items(None)?;
    (p.pos == body.len()).then_some(block)
}

impl Parser {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.pos += 1)
    }

    fn name(&mut self) -> Option<&'static str> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if matches!(c, b':' | b'=' | b',' | b'{' | b'}' | b'(' | b')') {
                break;
            }
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.text[start..self.pos])
    }

    /// `ITEM,ITEM,…` up to `close` (or the end of the line).
    fn items(&mut self, close: Option<u8>) -> Option<Block> {
        let mut items = Vec::new();
        if self.peek() != close {
            loop {
                let name = self.name()?;
                let item = match self.peek() {
                    Some(b',' | b'}') | None => Item::Attr(Ty::String),
                    Some(b':') => {
                        self.pos += 1;
                        Item::Attr(self.ty()?)
                    }
                    Some(b'=') => {
                        self.pos += 1;
                        let nest = match self.peek()? {
                            b'L' => Nest::List,
                            b'S' => Nest::Set,
                            b'1' => Nest::Single,
                            b'G' => Nest::Group,
                            b'M' => Nest::Map,
                            _ => return None,
                        };
                        self.pos += 1;
                        self.eat(b'{')?;
                        let inner = self.items(Some(b'}'))?;
                        self.eat(b'}')?;
                        Item::Block(nest, inner)
                    }
                    _ => return None,
                };
                items.push((name, item));
                if self.eat(b',').is_none() {
                    break;
                }
            }
        }
        if self.peek() != close {
            return None;
        }
        items.sort_by(|a, b| a.0.cmp(b.0));
        Some(Block { items })
    }

    fn ty(&mut self) -> Option<Ty> {
        let c = self.peek()?;
        self.pos += 1;
        Some(match c {
            b's' => Ty::String,
            b'n' => Ty::Number,
            b'b' => Ty::Bool,
            b'd' => Ty::Dynamic,
            b'L' => Ty::List(Box::new(self.ty()?)),
            b'S' => Ty::Set(Box::new(self.ty()?)),
            b'M' => Ty::Map(Box::new(self.ty()?)),
            b'o' => {
                self.eat(b'{')?;
                let mut attrs = Vec::new();
                if self.peek() != Some(b'}') {
                    loop {
                        let name = self.name()?;
                        let ty = match self.eat(b':') {
                            Some(()) => self.ty()?,
                            None => Ty::String,
                        };
                        attrs.push((name, ty));
                        if self.eat(b',').is_none() {
                            break;
                        }
                    }
                }
                self.eat(b'}')?;
                attrs.sort_by(|a, b| a.0.cmp(b.0));
                Ty::Object(attrs)
            }
            b't' => {
                self.eat(b'(')?;
                let mut types = Vec::new();
                if self.peek() != Some(b')') {
                    loop {
                        types.push(self.ty()?);
                        if self.eat(b',').is_none() {
                            break;
                        }
                    }
                }
                self.eat(b')')?;
                Ty::Tuple(types)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
