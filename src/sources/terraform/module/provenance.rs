//! Provenance: the inputs each resource attribute is computed from, so a
//! finding names the line a reviewer changes (the tfvars line, the module
//! argument) rather than the shared module line both environments hold.
//!
//! A static dependency set: the references an attribute's expression makes,
//! followed through locals, module arguments (into the caller) and module
//! outputs (into the callee), down to the root variables and where they were
//! set. A reference to a resource brings the inputs of its `count` /
//! `for_each` (its instances); `each.*` brings the block's own `for_each`.
//! `count`/`for_each` are walked for their keys only: the values of a
//! `{ for az in var.azs : az => cidrsubnet(var.vpc_cidr, ...) }` do not
//! decide how many instances there are.
//!
//! Computed once per block of a module instance (every instance of a
//! `count`/`for_each` shares it) and memoized per local, output and
//! resource, so it costs a walk of each expression, not an evaluation.

use std::collections::BTreeMap;
use std::sync::Arc;

use hcl::expr::TraversalOperator;
use hcl::Expression;

use super::{Instance, Memo};
use crate::model::{Input, InputKind, Inputs, Location, Provenance, Value};
use crate::sources::terraform::eval::expr_text;
use crate::sources::terraform::parse::Body;
use crate::sources::terraform::vars::NestedLines;

/// What an expression is walked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Mode {
    /// Its value.
    Values,
    /// The keys (or length) of the collection it makes: `count`/`for_each`.
    Keys,
}

/// Inputs gathered so far, by name.
type Acc = BTreeMap<Arc<str>, Arc<Input>>;

/// The memo tables of one module instance's provenance.
#[derive(Default)]
pub(super) struct ProvMemo {
    /// By name, then by mode (values, keys).
    locals: Memo<BTreeMap<String, [Option<Inputs>; 2]>>,
    /// By type, then name: a resource's `count`/`for_each` inputs.
    counts: Memo<BTreeMap<String, BTreeMap<String, Inputs>>>,
    /// `type.name.argument` read back: that argument's inputs.
    configured: Memo<BTreeMap<String, Inputs>>,
    data: Memo<BTreeMap<String, Inputs>>,
    root_vars: Memo<BTreeMap<String, Arc<Input>>>,
    /// The keys of each object a tfvars attribute sets (by file and line),
    /// scanned once: one lookup per key read from it.
    nested_lines: Memo<BTreeMap<TfvarsLine, Arc<NestedLines>>>,
    /// The outputs of each module call (merged over its instances).
    pub(super) outputs: Memo<BTreeMap<String, BTreeMap<String, Inputs>>>,
}

/// A tfvars file (as shown) and a line of it.
type TfvarsLine = (Arc<str>, u32);

/// What the walk carries: the `for_each`/`count` of the block being walked
/// (for `each.*`), and the names being computed (a cycle stops there).
struct Walk {
    each: Option<Expression>,
    stack: Vec<String>,
}

fn finish(acc: Acc) -> Inputs {
    acc.into_values().collect()
}

fn extend(acc: &mut Acc, inputs: &[Arc<Input>]) {
    for i in inputs {
        acc.entry(i.name.clone()).or_insert_with(|| i.clone());
    }
}

/// One input, under its name.
fn add(acc: &mut Acc, input: Input) {
    let input = Arc::new(input);
    acc.entry(input.name.clone()).or_insert(input);
}

impl Instance<'_> {
    /// `module.app.` → `module.app`: the prefix as an address.
    fn prefix_address(&self) -> &str {
        self.prefix.strip_suffix('.').unwrap_or(&self.prefix)
    }

    /// An input's name as both environments spell it: normalized like a
    /// resource's key (`module.production_router.domain` and
    /// `module.staging_router.domain` are `module.${env}_router.domain`).
    fn input_name(&self, raw: &str) -> Arc<str> {
        self.loader.normalizer.string(raw).into()
    }

    /// The normalized text of an expression of the parsed modules, once
    /// per expression for the whole load (every instance of a module
    /// shares its locals' and arguments' text).
    fn code_text(&self, expr: &Expression) -> Value {
        // The address identifies the expression: the parsed modules stay
        // alive, unmoved, for the whole load (see `Loader::template`).
        let key = expr as *const Expression as usize;
        if let Some(v) = self
            .loader
            .code_texts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return v.clone();
        }
        let v = Value::String(self.loader.normalizer.string(&expr_text(expr)));
        self.loader
            .code_texts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, v.clone());
        v
    }

    /// The provenance of a resource or data block: per top-level attribute
    /// (nested blocks under their type, `dynamic` ones under their label),
    /// and `@count` for `count`/`for_each`.
    pub(super) fn block_provenance(&self, body: &Body) -> Provenance {
        let mut walk = Walk {
            each: each_of(body),
            stack: Vec::new(),
        };
        let mut out: BTreeMap<String, Acc> = BTreeMap::new();
        for attr in &body.attributes {
            let (name, mode) = match attr.name.as_str() {
                "count" | "for_each" => ("@count", Mode::Keys),
                "provider" | "depends_on" => continue,
                n => (n, Mode::Values),
            };
            let acc = out.entry(name.to_string()).or_default();
            self.walk(&attr.expr, mode, acc, &mut walk);
        }
        for block in &body.blocks {
            let name = match block.kind.as_str() {
                "lifecycle" | "provisioner" | "connection" => continue,
                "dynamic" => match block.labels.first() {
                    Some(l) => l.as_str(),
                    None => continue,
                },
                kind => kind,
            };
            let mut acc = out.remove(name).unwrap_or_default();
            self.walk_body(&block.body, &mut acc, &mut walk);
            out.insert(name.to_string(), acc);
        }
        Arc::new(
            out.into_iter()
                .filter(|(_, acc)| !acc.is_empty())
                .map(|(k, acc)| (k, finish(acc)))
                .collect(),
        )
    }

    fn walk_body(&self, body: &Body, acc: &mut Acc, walk: &mut Walk) {
        for attr in &body.attributes {
            self.walk(&attr.expr, Mode::Values, acc, walk);
        }
        for block in &body.blocks {
            self.walk_body(&block.body, acc, walk);
        }
    }

    /// The inputs of each output of this instance, once it has run.
    pub(super) fn output_provenance(&self) -> BTreeMap<String, Inputs> {
        let mut out = BTreeMap::new();
        for block in &self.def.outputs {
            let (Some(name), Some(attr)) = (
                block.item.labels.first(),
                block.item.body.attribute("value"),
            ) else {
                continue;
            };
            let mut acc = Acc::new();
            let mut walk = Walk {
                each: None,
                stack: Vec::new(),
            };
            self.walk(&attr.expr, Mode::Values, &mut acc, &mut walk);
            out.insert(name.clone(), finish(acc));
        }
        out
    }

    /// The inputs of a module call's arguments, as the callee's variables
    /// see them: the argument itself (`module.database.engine_version` at
    /// its line, compared by its text) and what its expression reads here.
    pub(super) fn argument_provenance(
        &self,
        address: &str,
        body: &Body,
        file: &Arc<str>,
    ) -> BTreeMap<String, Inputs> {
        let each = each_of(body);
        let mut out = BTreeMap::new();
        for attr in &body.attributes {
            if super::calls::MODULE_META.contains(&attr.name.as_str()) {
                continue;
            }
            let mut acc = Acc::new();
            add(
                &mut acc,
                Input {
                    name: self.input_name(&format!("{address}.{}", attr.name)),
                    kind: InputKind::Argument,
                    location: Location::new(file.clone(), Some(attr.line)),
                    value: self.code_text(&attr.expr),
                },
            );
            let mut walk = Walk {
                each: each.clone(),
                stack: Vec::new(),
            };
            self.walk(&attr.expr, Mode::Values, &mut acc, &mut walk);
            out.insert(attr.name.clone(), finish(acc));
        }
        out
    }

    fn walk(&self, expr: &Expression, mode: Mode, acc: &mut Acc, walk: &mut Walk) {
        use Expression as E;
        let values = Mode::Values;
        match expr {
            E::Null | E::Bool(_) | E::Number(_) | E::String(_) | E::Variable(_) => {}
            E::Array(items) => items.iter().for_each(|i| self.walk(i, values, acc, walk)),
            E::Object(object) => {
                for (key, value) in object {
                    if let hcl::ObjectKey::Expression(k) = key {
                        self.walk(k, values, acc, walk);
                    }
                    if mode == Mode::Values {
                        self.walk(value, values, acc, walk);
                    }
                }
            }
            E::TemplateExpr(t) => {
                if let Ok(template) = self.loader.template(t) {
                    self.walk_template(&template, acc, walk);
                }
            }
            E::Traversal(t) => {
                match &t.expr {
                    E::Variable(root) => {
                        self.reference(root.as_str(), &t.operators, mode, acc, walk)
                    }
                    other => self.walk(other, mode, acc, walk),
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op {
                        self.walk(i, values, acc, walk);
                    }
                }
            }
            E::FuncCall(call) => call.args.iter().for_each(|a| self.walk(a, mode, acc, walk)),
            E::Parenthesis(inner) => self.walk(inner, mode, acc, walk),
            E::Conditional(c) => {
                self.walk(&c.cond_expr, values, acc, walk);
                self.walk(&c.true_expr, mode, acc, walk);
                self.walk(&c.false_expr, mode, acc, walk);
            }
            E::Operation(op) => match op.as_ref() {
                hcl::expr::Operation::Unary(u) => self.walk(&u.expr, values, acc, walk),
                hcl::expr::Operation::Binary(b) => {
                    self.walk(&b.lhs_expr, values, acc, walk);
                    self.walk(&b.rhs_expr, values, acc, walk);
                }
            },
            E::ForExpr(f) => {
                self.walk(&f.collection_expr, values, acc, walk);
                if let Some(k) = &f.key_expr {
                    self.walk(k, values, acc, walk);
                }
                if mode == Mode::Values || f.key_expr.is_none() {
                    self.walk(&f.value_expr, values, acc, walk);
                }
                if let Some(c) = &f.cond_expr {
                    self.walk(c, values, acc, walk);
                }
            }
            _ => {}
        }
    }

    fn walk_template(&self, template: &hcl::template::Template, acc: &mut Acc, walk: &mut Walk) {
        use hcl::template::{Directive, Element};
        for el in template.elements() {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.walk(&i.expr, Mode::Values, acc, walk),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(i) => {
                        self.walk(&i.cond_expr, Mode::Values, acc, walk);
                        self.walk_template(&i.true_template, acc, walk);
                        if let Some(f) = &i.false_template {
                            self.walk_template(f, acc, walk);
                        }
                    }
                    Directive::For(f) => {
                        self.walk(&f.collection_expr, Mode::Values, acc, walk);
                        self.walk_template(&f.template, acc, walk);
                    }
                },
            }
        }
    }

    /// One reference: `var.x.y`, `local.x`, `module.m.out`, `data.t.n`,
    /// `each.value`, `aws_subnet.public[k].id`.
    fn reference(
        &self,
        root: &str,
        ops: &[TraversalOperator],
        mode: Mode,
        acc: &mut Acc,
        walk: &mut Walk,
    ) {
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        };
        match root {
            "var" => {
                if let Some(name) = attr(0) {
                    // `.name` and literal `["key"]` steps: a cause is the
                    // part of the variable that was read, not all of it
                    // (a map of one entry per service would otherwise be
                    // copied into every finding it feeds).
                    let path: Vec<&str> = ops[1..]
                        .iter()
                        .map_while(|op| match op {
                            TraversalOperator::GetAttr(name) => Some(name.as_str()),
                            TraversalOperator::Index(Expression::String(key)) => Some(key.as_str()),
                            _ => None,
                        })
                        .collect();
                    self.variable(name, &path, acc);
                }
            }
            "local" => {
                if let Some(name) = attr(0) {
                    let slot = mode as usize;
                    let hit = self
                        .prov
                        .locals
                        .borrow()
                        .get(name)
                        .and_then(|m| m[slot].clone());
                    let inputs = match hit {
                        Some(h) => h,
                        None => {
                            let key = format!("local.{name}");
                            if walk.stack.contains(&key) {
                                return;
                            }
                            let Some(local) = self.def.locals.get(name) else {
                                return;
                            };
                            let mut own = Acc::new();
                            add(
                                &mut own,
                                Input {
                                    name: self.input_name(&format!("{}local.{name}", self.prefix)),
                                    kind: InputKind::Local,
                                    location: Location::new(
                                        local.file.clone(),
                                        Some(local.item.line),
                                    ),
                                    value: self.code_text(&local.item.expr),
                                },
                            );
                            walk.stack.push(key);
                            let each = walk.each.take();
                            self.walk(&local.item.expr, mode, &mut own, walk);
                            walk.each = each;
                            walk.stack.pop();
                            let inputs = finish(own);
                            self.prov
                                .locals
                                .borrow_mut()
                                .entry(name.to_string())
                                .or_default()[slot] = Some(inputs.clone());
                            inputs
                        }
                    };
                    extend(acc, &inputs);
                }
            }
            "module" => {
                if let Some(name) = attr(0) {
                    let output = attr(1).or_else(|| attr(2));
                    let outputs = self.prov.outputs.borrow().get(name).cloned();
                    if let Some(outputs) = outputs {
                        for (o, inputs) in &outputs {
                            if output.is_none_or(|w| w == o) {
                                extend(acc, inputs);
                            }
                        }
                    }
                }
            }
            "data" => {
                if let (Some(rtype), Some(name)) = (attr(0), attr(1)) {
                    self.data_source(rtype, name, acc, walk);
                }
            }
            "each" => {
                // Taken while walked: a reference inside cannot loop.
                if let Some(each) = walk.each.take() {
                    let mode = if attr(0) == Some("key") {
                        Mode::Keys
                    } else {
                        Mode::Values
                    };
                    self.walk(&each, mode, acc, walk);
                    walk.each = Some(each);
                }
            }
            "count" | "self" | "path" | "terraform" => {}
            rtype => {
                if let Some(name) = attr(0) {
                    self.resource_count(rtype, name, acc, walk);
                    // A configured argument read back: its own inputs.
                    let read = attr(1).or_else(|| attr(2));
                    if let (Some(read), Mode::Values) = (read, mode) {
                        self.configured(rtype, name, read, acc, walk);
                    }
                }
            }
        }
    }

    /// `var.name.path...`: in a called module, the argument that set it
    /// (and its inputs in the caller); in the root, the variable and the
    /// line that set it.
    fn variable(&self, name: &str, path: &[&str], acc: &mut Acc) {
        if let Some(inputs) = self.var_inputs.get(name) {
            extend(acc, inputs);
            return;
        }
        let origin = self.origins.get(name);
        if self.depth > 0 {
            // A called module's variable no argument sets: its default.
            if let Some(at) = origin {
                add(
                    acc,
                    Input {
                        name: self.input_name(&format!("{}.{name}", self.prefix_address())),
                        kind: InputKind::Argument,
                        location: at.clone(),
                        value: Value::str("(default)"),
                    },
                );
            }
            return;
        }
        // Only as deep as the value goes (a path into an object).
        let mut value = self.vars.get(name);
        let mut depth = 0;
        for key in path {
            // (A `map(...)` variable's value is a typed map.)
            match value.map(Value::untyped_ref) {
                Some(Value::Map(m)) if m.contains_key(key) => {
                    value = m.get(key);
                    depth += 1;
                }
                _ => break,
            }
        }
        let path = &path[..depth];
        let mut full = format!("var.{name}");
        for key in path {
            if is_identifier(key) {
                full.push('.');
                full.push_str(key);
            } else {
                full.push_str(&format!("[{key:?}]"));
            }
        }
        if let Some(hit) = self.prov.root_vars.borrow().get(&full) {
            acc.entry(hit.name.clone()).or_insert_with(|| hit.clone());
            return;
        }
        let mut location = origin
            .cloned()
            .unwrap_or_else(|| Location::new("(unset)", None));
        if let (Some(first), Some(line)) = (path.first(), location.line) {
            if let Some(text) = self.origin_texts.get(&location.file) {
                if let Some(l) = self.nested_lines(&location.file, text, line).get(first) {
                    location.line = Some(l);
                }
            }
        }
        let n = &self.loader.normalizer;
        let mut value = value.cloned().unwrap_or(Value::Null);
        let last = path.last().copied().unwrap_or(name);
        crate::normalize::seal_value(&mut value, crate::normalize::is_secret_attribute(last), n);
        // A sensitive variable is sealed whole, whatever its path.
        if self
            .vars
            .get(name)
            .is_some_and(|v| matches!(v, Value::Marked(_)))
        {
            value = crate::normalize::sensitive_value(&value, n);
        }
        n.value_in_place(&mut value);
        let input = Arc::new(Input {
            name: self.input_name(&full),
            kind: InputKind::Variable,
            location,
            value,
        });
        self.prov.root_vars.borrow_mut().insert(full, input.clone());
        acc.entry(input.name.clone()).or_insert(input);
    }

    /// The keys of the object the tfvars attribute at `file:line` sets.
    fn nested_lines(&self, file: &Arc<str>, text: &Arc<str>, line: u32) -> Arc<NestedLines> {
        let key = (file.clone(), line);
        if let Some(hit) = self.prov.nested_lines.borrow().get(&key) {
            return hit.clone();
        }
        let scanned = Arc::new(NestedLines::scan(text.clone(), line));
        self.prov
            .nested_lines
            .borrow_mut()
            .entry(key)
            .or_insert(scanned)
            .clone()
    }

    fn block_of(
        &self,
        data: bool,
        rtype: &str,
        name: &str,
    ) -> Option<&crate::sources::terraform::files::Located<crate::sources::terraform::parse::Block>>
    {
        let blocks = if data {
            &self.def.data
        } else {
            &self.def.resources
        };
        blocks.iter().find(|b| {
            b.item.labels.first().map(String::as_str) == Some(rtype)
                && b.item.labels.get(1).map(String::as_str) == Some(name)
        })
    }

    /// The inputs of a resource's instances (its `count`/`for_each`).
    fn resource_count(&self, rtype: &str, name: &str, acc: &mut Acc, walk: &mut Walk) {
        let hit = self
            .prov
            .counts
            .borrow()
            .get(rtype)
            .and_then(|m| m.get(name))
            .cloned();
        let inputs = match hit {
            Some(h) => h,
            None => {
                let key = format!("{rtype}.{name}");
                if walk.stack.contains(&key) {
                    return;
                }
                let mut own = Acc::new();
                let block = self.block_of(false, rtype, name);
                let expr = block.and_then(|b| {
                    let body = &b.item.body;
                    body.attribute("for_each")
                        .or_else(|| body.attribute("count"))
                        .map(|a| &a.expr)
                });
                if let Some(expr) = expr {
                    walk.stack.push(key);
                    let each = walk.each.take();
                    self.walk(expr, Mode::Keys, &mut own, walk);
                    walk.each = each;
                    walk.stack.pop();
                }
                // Remembered even when empty (no such block, no count):
                // the blocks are not searched again.
                let inputs = finish(own);
                self.prov
                    .counts
                    .borrow_mut()
                    .entry(rtype.to_string())
                    .or_default()
                    .insert(name.to_string(), inputs.clone());
                inputs
            }
        };
        extend(acc, &inputs);
    }

    /// `aws_s3_bucket.b.bucket` where the block sets `bucket`: what that
    /// argument reads.
    fn configured(&self, rtype: &str, name: &str, read: &str, acc: &mut Acc, walk: &mut Walk) {
        let key = format!("{rtype}.{name}.{read}");
        let hit = self.prov.configured.borrow().get(&key).cloned();
        let inputs = match hit {
            Some(h) => h,
            None => {
                if walk.stack.contains(&key) {
                    return;
                }
                let mut own = Acc::new();
                if let Some(block) = self.block_of(false, rtype, name) {
                    if let Some(attr) = block.item.body.attribute(read) {
                        walk.stack.push(key.clone());
                        let each = std::mem::replace(&mut walk.each, each_of(&block.item.body));
                        self.walk(&attr.expr, Mode::Values, &mut own, walk);
                        walk.each = each;
                        walk.stack.pop();
                    }
                }
                let inputs = finish(own);
                self.prov
                    .configured
                    .borrow_mut()
                    .insert(key, inputs.clone());
                inputs
            }
        };
        extend(acc, &inputs);
    }

    /// A data source: itself (compared by its configuration's text) and
    /// what its configuration reads.
    fn data_source(&self, rtype: &str, name: &str, acc: &mut Acc, walk: &mut Walk) {
        let key = format!("data.{rtype}.{name}");
        if walk.stack.contains(&key) {
            return;
        }
        let hit = self.prov.data.borrow().get(&key).cloned();
        let inputs = match hit {
            Some(h) => h,
            None => {
                let Some(block) = self.block_of(true, rtype, name) else {
                    return;
                };
                let mut own = Acc::new();
                let text: Vec<String> = block
                    .item
                    .body
                    .attributes
                    .iter()
                    .map(|a| format!("{} = {}", a.name, expr_text(&a.expr)))
                    .collect();
                add(
                    &mut own,
                    Input {
                        name: self.input_name(&format!("{}{key}", self.prefix)),
                        kind: InputKind::Data,
                        location: Location::new(block.file.clone(), Some(block.item.line)),
                        value: Value::String(self.loader.normalizer.string(&text.join("; "))),
                    },
                );
                walk.stack.push(key.clone());
                let each = std::mem::replace(&mut walk.each, each_of(&block.item.body));
                self.walk_body(&block.item.body, &mut own, walk);
                walk.each = each;
                walk.stack.pop();
                let inputs = finish(own);
                self.prov.data.borrow_mut().insert(key, inputs.clone());
                inputs
            }
        };
        extend(acc, &inputs);
    }
}

/// `each` for a block: its `for_each` (or `count`).
/// Whether `key` can follow a `.` in a traversal (`var.x.key`); other
/// keys are written `["key"]`.
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn each_of(body: &Body) -> Option<Expression> {
    body.attribute("for_each")
        .or_else(|| body.attribute("count"))
        .map(|a| a.expr.clone())
}
