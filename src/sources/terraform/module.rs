//! Evaluating one module instance: variables, locals, resources (with
//! count/for_each and dynamic blocks), nested module calls and outputs.
//!
//! Names are resolved lazily and memoized, so locals and module calls are
//! evaluated in dependency order whatever order the files declare them in,
//! and a cycle is detected on the evaluation stack and named.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use hcl::expr::TraversalOperator;

use super::eval::{expr_text, EvalErr, Resolver, Scope};
use super::files::{display, lexical, Located, ModuleDef};
use super::parse::{Attribute, Block, Body};
use super::{types, Loader, TfError};
use crate::model::{CoverageGap, InlineIgnore, Location, Resource, Value};

/// Arguments of resource and module blocks that configure Terraform itself,
/// not the infrastructure.
const RESOURCE_META: &[&str] = &["count", "for_each", "provider", "depends_on"];
const RESOURCE_META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];
const MODULE_META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// How much stack nested evaluations may use (measured from the outermost
/// one) before the load fails with an error instead of overflowing the
/// stack: half of the 2 MiB a spawned thread gets by default. Each level
/// of references costs a few frames, far more in a debug build than in a
/// release one, so the depth this allows depends on the build and on the
/// expressions: hundreds of levels in release, some fifty in debug.
const EVAL_STACK_BUDGET: usize = 1 << 20;

thread_local! {
    /// The budget in force on this thread: [`EVAL_STACK_BUDGET`] unless the
    /// thread was started with a larger stack (see `set_stack_budget`).
    static STACK_BUDGET: Cell<usize> = const { Cell::new(EVAL_STACK_BUDGET) };
}

/// Called by a thread that owns a stack of `stack_size` bytes: evaluation may
/// use most of it.
pub(super) fn set_stack_budget(stack_size: usize) {
    STACK_BUDGET.with(|b| b.set(stack_size / 4 * 3));
}

thread_local! {
    /// Evaluations in progress on this thread, across all module instances.
    static EVAL_DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Stack address of the outermost evaluation in progress.
    static EVAL_STACK_BASE: Cell<usize> = const { Cell::new(0) };
}

/// An address on the current stack frame; differences between two of them
/// measure the stack used in between (it grows down on every platform Rust
/// supports well, `abs_diff` does not care).
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

pub struct Instance<'l> {
    pub loader: &'l Loader,
    pub def: Arc<ModuleDef>,
    /// Address prefix: "" for the root, `module.app.` or `module.app[0].`.
    pub prefix: String,
    /// `path.module` as Terraform shows it (relative to the root).
    pub path_module: String,
    pub vars: BTreeMap<String, Value>,
    locals: RefCell<BTreeMap<String, Value>>,
    modules: RefCell<BTreeMap<String, Value>>,
    docs: RefCell<BTreeMap<String, Value>>,
    /// Instances of each resource block, by `type.name` (`data.type.name`).
    instance_cache: RefCell<BTreeMap<String, Vec<InstanceKey>>>,
    /// What a reference to each resource evaluates to, built once: a
    /// counted resource referenced by `count.index` would otherwise be
    /// rebuilt for each of its instances.
    skeletons: RefCell<BTreeMap<(String, String, bool), Option<Value>>>,
    stack: RefCell<Vec<String>>,
    pub depth: usize,
}

impl<'l> Instance<'l> {
    pub fn new(
        loader: &'l Loader,
        def: Arc<ModuleDef>,
        prefix: String,
        vars: BTreeMap<String, Value>,
        depth: usize,
    ) -> Self {
        // Relative to the root even when the module sits beside it
        // (`../modules/db`), as Terraform does: an absolute path would leak
        // the checkout location into values and differ between machines.
        let path_module = super::files::relative(&loader.root, &def.dir);
        Instance {
            loader,
            def,
            prefix,
            path_module,
            vars,
            locals: RefCell::default(),
            modules: RefCell::default(),
            docs: RefCell::default(),
            instance_cache: RefCell::default(),
            skeletons: RefCell::default(),
            stack: RefCell::default(),
            depth,
        }
    }

    /// Set input variables from the caller's values, applying declared
    /// types and defaults as Terraform does.
    pub fn bind_variables(
        &mut self,
        mut given: BTreeMap<String, Value>,
        caller: &str,
    ) -> Result<(), TfError> {
        let mut vars = BTreeMap::new();
        for var in &self.def.variables {
            let Some(name) = var.item.labels.first() else {
                continue;
            };
            let loc = format!("{}:{}", var.file, var.item.line);
            let ty = match var.item.body.attribute("type") {
                Some(attr) => match types::parse_type(&attr.expr) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        self.gap(&loc, format!("variable `{name}`: cannot read type: {e}"));
                        None
                    }
                },
                None => None,
            };
            let default = match var.item.body.attribute("default") {
                Some(attr) => Some(self.eval_const(&attr.expr, &loc)?),
                None => None,
            };
            let sensitive = matches!(
                var.item.body.attribute("sensitive").map(|a| &a.expr),
                Some(hcl::Expression::Bool(true))
            );
            let nullable = !matches!(
                var.item.body.attribute("nullable").map(|a| &a.expr),
                Some(hcl::Expression::Bool(false))
            );
            let value = match given.remove(name.as_str()) {
                Some(v) if !v.is_null() => v,
                // Terraform: "Nullable variables just appear as null if they
                // were set to null, regardless of any default value"; only
                // `nullable = false` makes a null input take the default.
                // (This used to take the default for every variable.)
                Some(v) if nullable || default.is_none() => v,
                _ => match default {
                    Some(d) => d,
                    None => {
                        self.gap(
                            &loc,
                            format!("variable `{name}` has no value ({caller} sets none and it has no default)"),
                        );
                        Value::Unknown(format!("var.{name}"))
                    }
                },
            };
            let value = match &ty {
                Some(t) => match types::convert(&value, t) {
                    Ok(v) => v,
                    Err(e) => {
                        self.gap(&loc, format!("variable `{name}`: {e}"));
                        value
                    }
                },
                None => value,
            };
            if sensitive {
                self.loader.add_secret(&value);
            }
            vars.insert(name.clone(), value);
        }
        self.vars = vars;
        Ok(())
    }

    /// Evaluate everything: locals, resources, data sources, module calls;
    /// return the outputs.
    pub fn run(&self) -> Result<Value, TfError> {
        for name in self.def.locals.keys() {
            self.local(name).map_err(|e| self.fatal(e))?;
        }
        for block in &self.def.resources {
            self.expand_resource(block, false)?;
        }
        for block in &self.def.data {
            let kind = block.item.labels.first().map(String::as_str);
            if kind == Some("aws_iam_policy_document") {
                // Inlined where it is used; see `policy_document`.
                continue;
            }
            self.expand_resource(block, true)?;
        }
        for block in &self.def.modules {
            if let Some(name) = block.item.labels.first() {
                self.module(name).map_err(|e| self.fatal(e))?;
            }
        }
        let mut outputs = BTreeMap::new();
        for out in &self.def.outputs {
            let Some(name) = out.item.labels.first() else {
                continue;
            };
            let loc = format!("{}:{}", out.file, out.item.line);
            let value = match out.item.body.attribute("value") {
                Some(attr) => self.eval_attr(attr, &out.file, &mut Scope::new(self))?,
                None => Value::Null,
            };
            if matches!(
                out.item.body.attribute("sensitive").map(|a| &a.expr),
                Some(hcl::Expression::Bool(true))
            ) {
                self.loader.add_secret(&value);
            }
            let _ = loc;
            outputs.insert(name.clone(), value);
        }
        Ok(Value::Map(outputs))
    }

    fn gap(&self, what: &str, reason: String) {
        self.loader.gap(CoverageGap {
            what: what.to_string(),
            reason,
        });
    }

    fn fatal(&self, e: EvalErr) -> TfError {
        match e {
            EvalErr::Fatal(message) => TfError::Fatal(message),
            EvalErr::UnknownFunction(name) => TfError::Fatal(format!("unknown function `{name}`")),
            EvalErr::Soft(message) => TfError::Fatal(message),
        }
    }

    /// A constant expression (a variable default): no references allowed.
    fn eval_const(&self, expr: &hcl::Expression, loc: &str) -> Result<Value, TfError> {
        let resolver = ConstResolver {
            base: &self.loader.root,
        };
        match Scope::new(&resolver).eval(expr) {
            Ok(v) => Ok(v),
            Err(EvalErr::UnknownFunction(name)) => Err(TfError::UnknownFunction {
                name,
                location: loc.to_string(),
            }),
            Err(e) => {
                self.gap(loc, e.to_string());
                Ok(Value::Unknown(expr_text(expr)))
            }
        }
    }

    /// Evaluate an attribute; a soft error is recorded as a coverage gap
    /// and the value stays symbolic.
    fn eval_attr(&self, attr: &Attribute, file: &str, scope: &mut Scope) -> Result<Value, TfError> {
        self.eval_expr(&attr.expr, &format!("{file}:{}", attr.line), scope)
    }

    fn eval_expr(
        &self,
        expr: &hcl::Expression,
        loc: &str,
        scope: &mut Scope,
    ) -> Result<Value, TfError> {
        match scope.eval(expr) {
            Ok(v) => Ok(self.scrub(v)),
            Err(EvalErr::Soft(message)) => {
                self.gap(loc, message);
                Ok(Value::Unknown(expr_text(expr)))
            }
            Err(EvalErr::UnknownFunction(name)) => Err(TfError::UnknownFunction {
                name,
                location: loc.to_string(),
            }),
            Err(EvalErr::Fatal(message)) => Err(TfError::Fatal(message)),
        }
    }

    /// Symbolic values are written with the known values they were built
    /// from (`coalesce(aws_x.y.pw, "...")`), and redaction leaves symbolic
    /// values alone: take sensitive values out of their text here.
    fn scrub(&self, v: Value) -> Value {
        if !v.contains_unknown() {
            return v;
        }
        let secrets: Vec<String> = self
            .loader
            .lock()
            .secrets
            .iter()
            .filter(|s| s.len() >= 6)
            .flat_map(|s| {
                let quoted = serde_json::Value::String(s.clone()).to_string();
                let inner = quoted[1..quoted.len() - 1].to_string();
                [s.clone(), inner]
            })
            .collect();
        if secrets.is_empty() {
            return v;
        }
        scrub_unknowns(v, &secrets)
    }

    /// Run `f` with `key` on the evaluation stack, failing on a cycle.
    fn guarded<T>(
        &self,
        key: String,
        loc: &str,
        f: impl FnOnce() -> Result<T, EvalErr>,
    ) -> Result<T, EvalErr> {
        {
            let stack = self.stack.borrow();
            if let Some(pos) = stack.iter().position(|k| *k == key) {
                let mut cycle: Vec<String> = stack[pos..].to_vec();
                cycle.push(key);
                // Terraform orders module calls output by output, so two
                // modules may feed each other through different outputs.
                // We evaluate a module call as a whole; where that makes a
                // cycle, the reference that closes it stays symbolic (and is
                // recorded in coverage) instead of failing the load. A cycle
                // among locals alone is a real error in Terraform too.
                if cycle.iter().any(|k| k.starts_with("module.")) {
                    return Err(EvalErr::Soft(format!(
                        "cycle through module calls ({}): Terraform resolves it output by output; this reference is compared symbolically",
                        cycle.join(" -> ")
                    )));
                }
                return Err(EvalErr::Fatal(format!(
                    "{loc}: cycle: {}",
                    cycle.join(" -> ")
                )));
            }
        }
        // Names are resolved by recursion, so a long enough chain of
        // references (`local.a0 = local.a1`, ... thousands deep) used to
        // overflow the stack and abort the process. Terraform has no such
        // limit, but no real configuration comes near it.
        let depth = EVAL_DEPTH.with(Cell::get);
        let here = stack_address();
        if depth == 0 {
            EVAL_STACK_BASE.with(|b| b.set(here));
        } else if EVAL_STACK_BASE.with(Cell::get).abs_diff(here) > STACK_BUDGET.with(Cell::get) {
            return Err(EvalErr::Fatal(format!(
                "{loc}: `{key}`: references nested too deep ({depth} levels): \
                 a chain of locals, module outputs or resources this long cannot be evaluated"
            )));
        }
        EVAL_DEPTH.with(|d| d.set(depth + 1));
        self.stack.borrow_mut().push(key);
        let result = f();
        self.stack.borrow_mut().pop();
        EVAL_DEPTH.with(|d| d.set(depth));
        result
    }

    fn local(&self, name: &str) -> Result<Value, EvalErr> {
        if let Some(v) = self.locals.borrow().get(name) {
            return Ok(v.clone());
        }
        let Some(attr) = self.def.locals.get(name) else {
            return Err(EvalErr::Soft(format!(
                "reference to undeclared local value `{name}`"
            )));
        };
        let loc = format!("{}:{}", attr.file, attr.item.line);
        let value = self.guarded(format!("local.{name}"), &loc, || {
            self.eval_expr(&attr.item.expr, &loc, &mut Scope::new(self))
                .map_err(|e| EvalErr::Fatal(e.to_string()))
        })?;
        self.locals
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }

    fn module(&self, name: &str) -> Result<Value, EvalErr> {
        if let Some(v) = self.modules.borrow().get(name) {
            return Ok(v.clone());
        }
        let Some(block) = self
            .def
            .modules
            .iter()
            .find(|b| b.item.labels.first().map(String::as_str) == Some(name))
        else {
            return Err(EvalErr::Soft(format!(
                "reference to undeclared module `{name}`"
            )));
        };
        let loc = format!("{}:{}", block.file, block.item.line);
        let value = self.guarded(format!("module.{name}"), &loc, || {
            self.call_module(name, block)
                .map_err(|e| EvalErr::Fatal(e.to_string()))
        })?;
        self.modules
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }

    /// Evaluate a `module` block: record the call as a dependency, expand a
    /// local source, and return its outputs (a list or map of them under
    /// count/for_each).
    fn call_module(&self, name: &str, block: &Located<Block>) -> Result<Value, TfError> {
        let body = &block.item.body;
        let loc = format!("{}:{}", block.file, block.item.line);
        let address = format!("{}module.{name}", self.prefix);
        let source = match body.attribute("source") {
            Some(attr) => self.eval_attr(attr, &block.file, &mut Scope::new(self))?,
            None => {
                return Err(TfError::Fatal(format!(
                    "{loc}: module `{name}` has no source"
                )))
            }
        };
        let version = match body.attribute("version") {
            Some(attr) => Some(self.eval_attr(attr, &block.file, &mut Scope::new(self))?),
            None => None,
        };
        let source_str = match &source {
            Value::String(s) => s.clone(),
            other => {
                self.gap(
                    &loc,
                    format!("module `{name}`: source is not a literal string"),
                );
                other.display()
            }
        };
        let mut dep = Resource::new(
            address.clone(),
            "module_call",
            Location::new(block.file.clone(), Some(block.item.line)),
        );
        let kind = source_kind(&source_str);
        dep.attributes.insert(
            "source".into(),
            Value::String(source_without_ref(&source_str)),
        );
        dep.attributes
            .insert("source_kind".into(), Value::str(kind));
        if let Some(r) = git_ref(&source_str) {
            dep.attributes.insert("ref".into(), Value::String(r));
        }
        if let Some(v) = &version {
            dep.attributes.insert("version".into(), v.clone());
        }
        for (attr, line) in [
            ("source", body.attribute("source")),
            ("version", body.attribute("version")),
        ] {
            if let Some(a) = line {
                dep.attribute_locations.insert(
                    attr.to_string(),
                    Location::new(block.file.clone(), Some(a.line)),
                );
            }
        }
        if dep.attribute_locations.contains_key("source") {
            let l = dep.attribute_locations["source"].clone();
            dep.attribute_locations.insert("ref".into(), l);
        }
        self.loader.add_dependency(dep);

        if kind != "local" {
            self.gap(
                &address,
                format!("module source `{source_str}` is not local: its inside was not expanded (only the call is compared)"),
            );
            return Ok(Value::Unknown(format!("{}module.{name}", self.prefix)));
        }
        let dir = lexical(&self.def.dir.join(&source_str));
        if !dir.is_dir() {
            return Err(TfError::Fatal(format!(
                "{loc}: module `{name}`: source `{source_str}` does not exist ({})",
                display(&self.loader.base, &dir)
            )));
        }
        if self.depth > 32 {
            return Err(TfError::Fatal(format!(
                "{loc}: module `{name}`: modules nested more than 32 deep (a module calling itself?)"
            )));
        }
        let def = self.loader.module_def(&dir)?;

        let instances = self.instances(body, &block.file, &loc)?;
        let mut results = Vec::new();
        for inst in &instances {
            let mut scope = inst.scope(self);
            let mut inputs = BTreeMap::new();
            for attr in &body.attributes {
                if MODULE_META.contains(&attr.name.as_str()) {
                    continue;
                }
                inputs.insert(
                    attr.name.clone(),
                    self.eval_attr(attr, &block.file, &mut scope)?,
                );
            }
            let prefix = format!("{address}{}.", inst.suffix);
            let mut child = Instance::new(
                self.loader,
                def.clone(),
                prefix,
                BTreeMap::new(),
                self.depth + 1,
            );
            child.bind_variables(inputs, &format!("module `{name}` at {loc}"))?;
            results.push((inst.key.clone(), child.run()?));
        }
        Ok(collect_instances(body, results))
    }

    /// The instances a `count` or `for_each` asks for.
    fn instances(&self, body: &Body, file: &str, loc: &str) -> Result<Vec<InstanceKey>, TfError> {
        if let Some(attr) = body.attribute("count") {
            let v = self.eval_attr(attr, file, &mut Scope::new(self))?;
            return Ok(match v {
                Value::Number(n) if n >= 0.0 && n.fract() == 0.0 && n < 100_000.0 => (0..n
                    as usize)
                    .map(|i| InstanceKey {
                        suffix: format!("[{i}]"),
                        key: Some(Value::Number(i as f64)),
                        each_value: None,
                    })
                    .collect(),
                Value::Unknown(_) => {
                    self.gap(loc, format!("count is not known before apply ({}); compared as one symbolic instance", expr_text(&attr.expr)));
                    vec![InstanceKey {
                        suffix: String::new(),
                        key: Some(Value::Unknown("count.index".into())),
                        each_value: None,
                    }]
                }
                other => {
                    self.gap(
                        loc,
                        format!("count must be a whole number, found {}", other.display()),
                    );
                    Vec::new()
                }
            });
        }
        if let Some(attr) = body.attribute("for_each") {
            let v = self.eval_attr(attr, file, &mut Scope::new(self))?;
            return Ok(match v {
                Value::Map(m) => m
                    .into_iter()
                    .map(|(k, v)| InstanceKey {
                        suffix: format!("[{}]", quote(&k)),
                        key: Some(Value::String(k)),
                        each_value: Some(v),
                    })
                    .collect(),
                Value::List(items) => {
                    let mut out = Vec::new();
                    for item in items {
                        match item {
                            Value::String(s) => out.push(InstanceKey {
                                suffix: format!("[{}]", quote(&s)),
                                key: Some(Value::String(s.clone())),
                                each_value: Some(Value::String(s)),
                            }),
                            other => {
                                self.gap(
                                    loc,
                                    format!(
                                        "for_each over a set needs strings, found {}",
                                        other.display()
                                    ),
                                );
                            }
                        }
                    }
                    out.sort_by(|a, b| a.suffix.cmp(&b.suffix));
                    out.dedup_by(|a, b| a.suffix == b.suffix);
                    out
                }
                Value::Unknown(_) => {
                    self.gap(loc, format!("for_each is not known before apply ({}); compared as one symbolic instance", expr_text(&attr.expr)));
                    vec![InstanceKey {
                        suffix: String::new(),
                        key: Some(Value::Unknown("each.key".into())),
                        each_value: Some(Value::Unknown("each.value".into())),
                    }]
                }
                Value::Null => Vec::new(),
                other => {
                    self.gap(
                        loc,
                        format!("for_each must be a map or set, found {}", other.type_name()),
                    );
                    Vec::new()
                }
            });
        }
        Ok(vec![InstanceKey {
            suffix: String::new(),
            key: None,
            each_value: None,
        }])
    }

    fn expand_resource(&self, block: &Located<Block>, data: bool) -> Result<(), TfError> {
        let (Some(rtype), Some(name)) = (block.item.labels.first(), block.item.labels.get(1))
        else {
            self.gap(
                &format!("{}:{}", block.file, block.item.line),
                "resource block needs a type and a name".into(),
            );
            return Ok(());
        };
        let base = format!(
            "{}{}{rtype}.{name}",
            self.prefix,
            if data { "data." } else { "" }
        );
        let instances = self
            .resource_instances(block, data)
            .map_err(|e| self.fatal(e))?;
        for inst in &instances {
            let mut scope = inst.scope(self);
            let mut res = Resource::new(
                format!("{base}{}", inst.suffix),
                rtype.clone(),
                Location::new(block.file.clone(), Some(block.item.line)),
            );
            res.data = data;
            if let Some((rule, reason)) = &block.item.ignore {
                res.ignores.push(InlineIgnore {
                    rule: rule.clone(),
                    attribute: None,
                    reason: reason.clone(),
                    location: Location::new(
                        block.file.clone(),
                        Some(block.item.line.saturating_sub(1)),
                    ),
                });
            }
            let attrs =
                self.eval_body(&block.item.body, &block.file, &mut scope, true, &mut res)?;
            res.attributes = if self.prefix.is_empty() {
                attrs
            } else {
                attrs
                    .into_iter()
                    .map(|(k, v)| (k, relative_refs(v, &self.prefix)))
                    .collect()
            };
            self.loader.add_resource(res);
        }
        Ok(())
    }

    /// Evaluate a block body into attributes; nested blocks become lists of
    /// objects keyed by block type, as in state. `top` marks the resource's
    /// own body, whose meta-arguments are skipped and whose lines recorded.
    fn eval_body(
        &self,
        body: &Body,
        file: &str,
        scope: &mut Scope,
        top: bool,
        res: &mut Resource,
    ) -> Result<BTreeMap<String, Value>, TfError> {
        let mut out = BTreeMap::new();
        for attr in &body.attributes {
            if top && RESOURCE_META.contains(&attr.name.as_str()) {
                continue;
            }
            let v = self.eval_attr(attr, file, scope)?;
            if top {
                res.attribute_locations.insert(
                    attr.name.clone(),
                    Location::new(file.to_string(), Some(attr.line)),
                );
                if let Some((rule, reason)) = &attr.ignore {
                    res.ignores.push(InlineIgnore {
                        rule: rule.clone(),
                        attribute: Some(attr.name.clone()),
                        reason: reason.clone(),
                        location: Location::new(
                            file.to_string(),
                            Some(attr.line.saturating_sub(1)),
                        ),
                    });
                }
            }
            out.insert(attr.name.clone(), v);
        }
        let mut nested: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for block in &body.blocks {
            if top && RESOURCE_META_BLOCKS.contains(&block.kind.as_str()) {
                continue;
            }
            if block.kind == "dynamic" {
                let Some(label) = block.labels.first() else {
                    continue;
                };
                let items = self.expand_dynamic(block, file, scope, res)?;
                if top && !res.attribute_locations.contains_key(label) {
                    res.attribute_locations.insert(
                        label.clone(),
                        Location::new(file.to_string(), Some(block.line)),
                    );
                }
                nested.entry(label.clone()).or_default().extend(items);
                continue;
            }
            if top && !res.attribute_locations.contains_key(&block.kind) {
                res.attribute_locations.insert(
                    block.kind.clone(),
                    Location::new(file.to_string(), Some(block.line)),
                );
            }
            let v = self.eval_body(&block.body, file, scope, false, res)?;
            nested
                .entry(block.kind.clone())
                .or_default()
                .push(Value::Map(v));
        }
        for (kind, items) in nested {
            out.insert(kind, Value::List(items));
        }
        Ok(out)
    }

    fn expand_dynamic(
        &self,
        block: &Block,
        file: &str,
        scope: &mut Scope,
        res: &mut Resource,
    ) -> Result<Vec<Value>, TfError> {
        let label = block.labels.first().cloned().unwrap_or_default();
        let loc = format!("{file}:{}", block.line);
        let iterator = match block.body.attribute("iterator") {
            Some(attr) => match &attr.expr {
                hcl::Expression::Variable(v) => v.to_string(),
                other => expr_text(other),
            },
            None => label.clone(),
        };
        let Some(for_each) = block.body.attribute("for_each") else {
            self.gap(&loc, format!("dynamic \"{label}\" has no for_each"));
            return Ok(Vec::new());
        };
        let coll = self.eval_attr(for_each, file, scope)?;
        let items: Vec<(Value, Value)> = match coll {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v))
                .collect(),
            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            Value::Null => Vec::new(),
            Value::Unknown(text) => {
                self.gap(
                    &loc,
                    format!("dynamic \"{label}\": for_each is not known before apply ({text})"),
                );
                return Ok(vec![Value::Unknown(format!("dynamic.{label}"))]);
            }
            other => {
                self.gap(
                    &loc,
                    format!(
                        "dynamic \"{label}\": cannot iterate over a {}",
                        other.type_name()
                    ),
                );
                return Ok(Vec::new());
            }
        };
        let Some(content) = block.body.blocks("content").next() else {
            self.gap(&loc, format!("dynamic \"{label}\" has no content block"));
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (k, v) in items {
            let it = Value::Map(
                [("key".to_string(), k), ("value".to_string(), v)]
                    .into_iter()
                    .collect(),
            );
            let mark = scope.mark();
            scope.push(&iterator, it);
            let attrs = self.eval_body(&content.body, file, scope, false, res);
            scope.reset(mark);
            out.push(Value::Map(attrs?));
        }
        Ok(out)
    }

    /// The instances of a resource block, evaluated once.
    fn resource_instances(
        &self,
        block: &Located<Block>,
        data: bool,
    ) -> Result<Vec<InstanceKey>, EvalErr> {
        let labels = &block.item.labels;
        let key = format!(
            "{}{}.{}",
            if data { "data." } else { "" },
            labels.first().map(String::as_str).unwrap_or_default(),
            labels.get(1).map(String::as_str).unwrap_or_default()
        );
        if let Some(hit) = self.instance_cache.borrow().get(&key) {
            return Ok(hit.clone());
        }
        let loc = format!("{}:{}", block.file, block.item.line);
        let instances = self.guarded(key.clone(), &loc, || {
            self.instances(&block.item.body, &block.file, &loc)
                .map_err(|e| EvalErr::Fatal(e.to_string()))
        })?;
        self.instance_cache
            .borrow_mut()
            .insert(key, instances.clone());
        Ok(instances)
    }

    /// What a reference to a resource is before apply: symbolic, but with
    /// its instance keys known, so `length(aws_subnet.private)` and
    /// `for_each = aws_subnet.public` evaluate as Terraform plans them.
    fn resource_skeleton(
        &self,
        rtype: &str,
        name: &str,
        data: bool,
    ) -> Result<Option<Value>, EvalErr> {
        let key = (rtype.to_string(), name.to_string(), data);
        if let Some(hit) = self.skeletons.borrow().get(&key) {
            return Ok(hit.clone());
        }
        let value = self.build_skeleton(rtype, name, data)?;
        self.skeletons.borrow_mut().insert(key, value.clone());
        Ok(value)
    }

    fn build_skeleton(
        &self,
        rtype: &str,
        name: &str,
        data: bool,
    ) -> Result<Option<Value>, EvalErr> {
        let blocks = if data {
            &self.def.data
        } else {
            &self.def.resources
        };
        let Some(block) = blocks.iter().find(|b| {
            b.item.labels.first().map(String::as_str) == Some(rtype)
                && b.item.labels.get(1).map(String::as_str) == Some(name)
        }) else {
            return Ok(None);
        };
        // With the module prefix: `aws_subnet.this[0].id` of two calls of
        // one module (private and public subnets) must not compare equal
        // where the caller uses them. A resource's references into its own
        // module are made relative again when it is stored
        // (`relative_refs`), so modules paired by `[[match]]` under
        // different names still compare inside.
        let base = format!(
            "{}{}{rtype}.{name}",
            self.prefix,
            if data { "data." } else { "" }
        );
        let instances = self.resource_instances(block, data)?;
        let counted = block.item.body.attribute("count").is_some();
        let each = block.item.body.attribute("for_each").is_some();
        Ok(Some(match instances.as_slice() {
            [only] if only.suffix.is_empty() => Value::Unknown(base),
            _ if counted => Value::List(
                instances
                    .iter()
                    .map(|i| Value::Unknown(format!("{base}{}", i.suffix)))
                    .collect(),
            ),
            _ if each => Value::Map(
                instances
                    .iter()
                    .map(|i| {
                        (
                            i.key.as_ref().map(Value::display).unwrap_or_default(),
                            Value::Unknown(format!("{base}{}", i.suffix)),
                        )
                    })
                    .collect(),
            ),
            _ => Value::Unknown(base),
        }))
    }

    /// `data "aws_iam_policy_document"`: evaluated to the JSON Terraform
    /// would produce, so policies compare by content.
    fn policy_document(&self, name: &str) -> Result<Value, EvalErr> {
        if let Some(v) = self.docs.borrow().get(name) {
            return Ok(v.clone());
        }
        let Some(block) = self.def.data.iter().find(|b| {
            b.item.labels.first().map(String::as_str) == Some("aws_iam_policy_document")
                && b.item.labels.get(1).map(String::as_str) == Some(name)
        }) else {
            return Err(EvalErr::Soft(format!(
                "reference to undeclared data.aws_iam_policy_document.{name}"
            )));
        };
        let loc = format!("{}:{}", block.file, block.item.line);
        let value = self.guarded(format!("data.aws_iam_policy_document.{name}"), &loc, || {
            // One document per instance: a document with count or for_each
            // (one policy per bucket) used to be evaluated once, without
            // `each`, and every use of it became a coverage gap.
            let body = &block.item.body;
            let instances = self
                .instances(body, &block.file, &loc)
                .map_err(|e| EvalErr::Fatal(e.to_string()))?;
            let mut results = Vec::with_capacity(instances.len());
            for inst in &instances {
                let mut scratch = Resource::new("", "", Location::default());
                let attrs = self
                    .eval_body(body, &block.file, &mut inst.scope(self), true, &mut scratch)
                    .map_err(|e| EvalErr::Fatal(e.to_string()))?;
                results.push((inst.key.clone(), super::policy::document_json(&attrs)));
            }
            Ok(collect_instances(body, results))
        })?;
        self.docs
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }
}

/// One instance of a counted or for_each'd block.
#[derive(Debug, Clone)]
struct InstanceKey {
    /// `[0]`, `["a"]`, or empty.
    suffix: String,
    key: Option<Value>,
    each_value: Option<Value>,
}

impl InstanceKey {
    fn scope<'a>(&self, resolver: &'a dyn Resolver) -> Scope<'a> {
        let scope = Scope::new(resolver);
        match (&self.key, &self.each_value) {
            (Some(k), Some(v)) => scope.bind(
                "each",
                Value::Map(
                    [
                        ("key".to_string(), k.clone()),
                        ("value".to_string(), v.clone()),
                    ]
                    .into_iter()
                    .collect(),
                ),
            ),
            (Some(k), None) => scope.bind(
                "count",
                Value::Map([("index".to_string(), k.clone())].into_iter().collect()),
            ),
            _ => scope,
        }
    }
}

fn collect_instances(body: &Body, results: Vec<(Option<Value>, Value)>) -> Value {
    if body.attribute("for_each").is_some() {
        Value::Map(
            results
                .into_iter()
                .map(|(k, v)| (k.map(|k| k.display()).unwrap_or_default(), v))
                .collect(),
        )
    } else if body.attribute("count").is_some() {
        Value::List(results.into_iter().map(|(_, v)| v).collect())
    } else {
        results
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .unwrap_or(Value::Null)
    }
}

/// Remove the module's own address prefix from the symbolic references in
/// a value of one of its resources: `module.app.aws_iam_role.task.arn`
/// reads `aws_iam_role.task.arn` inside `module.app`, as written there;
/// references into other modules keep their full address.
fn relative_refs(v: Value, prefix: &str) -> Value {
    fn strip(text: &str, prefix: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (i, _) in text.match_indices(prefix) {
            out.push_str(&text[last..i]);
            // Only where an address starts (`${`, `(`, `[`, a space...).
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                out.push_str(prefix);
            }
            last = i + prefix.len();
        }
        out.push_str(&text[last..]);
        out
    }
    match v {
        Value::Unknown(text) => Value::Unknown(strip(&text, prefix)),
        // Strings hold unknowns as `${...}` (templates, jsonencode).
        Value::String(s) if s.contains("${") && s.contains(prefix) => {
            Value::String(strip(&s, prefix))
        }
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|i| relative_refs(i, prefix))
                .collect(),
        ),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, i)| (k, relative_refs(i, prefix)))
                .collect(),
        ),
        other => other,
    }
}

fn scrub_unknowns(v: Value, secrets: &[String]) -> Value {
    match v {
        Value::Unknown(mut text) => {
            for s in secrets {
                if text.contains(s.as_str()) {
                    text = text.replace(s.as_str(), "(sensitive)");
                }
            }
            Value::Unknown(text)
        }
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|i| scrub_unknowns(i, secrets))
                .collect(),
        ),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, i)| (k, scrub_unknowns(i, secrets)))
                .collect(),
        ),
        other => other,
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// local | registry | git | other
pub fn source_kind(source: &str) -> &'static str {
    if source.starts_with("./") || source.starts_with("../") || source == "." || source == ".." {
        "local"
    } else if source.starts_with("git::")
        || source.starts_with("github.com/")
        || source.starts_with("git@")
        || source.starts_with("bitbucket.org/")
    {
        "git"
    } else if source.contains("://")
        || source.starts_with("s3::")
        || source.starts_with("gcs::")
        || source.starts_with("hg::")
    {
        "other"
    } else if source.split('/').count() >= 3 {
        "registry"
    } else {
        "other"
    }
}

/// The `?ref=` of a git source.
pub fn git_ref(source: &str) -> Option<String> {
    let query = source.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("ref=").map(str::to_string))
}

fn source_without_ref(source: &str) -> String {
    match source.split_once('?') {
        Some((base, query)) => {
            let rest: Vec<&str> = query
                .split('&')
                .filter(|kv| !kv.starts_with("ref="))
                .collect();
            if rest.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{}", rest.join("&"))
            }
        }
        None => source.to_string(),
    }
}

impl Resolver for Instance<'_> {
    fn resolve(
        &self,
        root: &str,
        ops: &[TraversalOperator],
    ) -> Result<Option<(Value, usize)>, EvalErr> {
        let first = match ops.first() {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        };
        match root {
            "var" => {
                let name = first
                    .ok_or_else(|| EvalErr::Soft("`var` must be followed by a name".into()))?;
                match self.vars.get(name) {
                    Some(v) => Ok(Some((v.clone(), 1))),
                    None => Err(EvalErr::Soft(format!(
                        "reference to undeclared input variable `{name}`"
                    ))),
                }
            }
            "local" => {
                let name = first
                    .ok_or_else(|| EvalErr::Soft("`local` must be followed by a name".into()))?;
                Ok(Some((self.local(name)?, 1)))
            }
            "module" => {
                let name = first
                    .ok_or_else(|| EvalErr::Soft("`module` must be followed by a name".into()))?;
                Ok(Some((self.module(name)?, 1)))
            }
            "data" => {
                let name = match ops.get(1) {
                    Some(TraversalOperator::GetAttr(n)) => n.as_str(),
                    _ => return Ok(None),
                };
                match first {
                    Some("aws_iam_policy_document") => Ok(Some((self.policy_document(name)?, 2))),
                    Some(rtype) => Ok(self.resource_skeleton(rtype, name, true)?.map(|v| (v, 2))),
                    None => Ok(None),
                }
            }
            "path" => match first {
                Some("module") => Ok(Some((Value::String(self.path_module.clone()), 1))),
                Some("root") | Some("cwd") => Ok(Some((Value::str("."), 1))),
                _ => Err(EvalErr::Soft("unknown `path` attribute".into())),
            },
            "terraform" => match first {
                Some("workspace") => Ok(Some((Value::String(self.loader.workspace.clone()), 1))),
                _ => Ok(None),
            },
            "count" | "each" | "self" => Err(EvalErr::Soft(format!(
                "`{root}` used outside a block that defines it"
            ))),
            rtype => match first {
                Some(name) => Ok(self.resource_skeleton(rtype, name, false)?.map(|v| (v, 1))),
                None => Ok(None),
            },
        }
    }

    fn base_dir(&self) -> &Path {
        &self.loader.root
    }
}

/// Resolver for constant expressions (defaults, tfvars): nothing to refer to.
pub struct ConstResolver<'a> {
    pub base: &'a Path,
}

impl Resolver for ConstResolver<'_> {
    fn resolve(
        &self,
        root: &str,
        _ops: &[TraversalOperator],
    ) -> Result<Option<(Value, usize)>, EvalErr> {
        Err(EvalErr::Soft(format!(
            "`{root}`: variables may not be used here"
        )))
    }
    fn base_dir(&self) -> &Path {
        self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_sources() {
        assert_eq!(source_kind("./modules/db"), "local");
        assert_eq!(source_kind("../../modules/db"), "local");
        assert_eq!(source_kind("terraform-aws-modules/vpc/aws"), "registry");
        assert_eq!(
            source_kind("git::https://github.com/org/x.git?ref=v1.2.0"),
            "git"
        );
        assert_eq!(
            git_ref("git::https://github.com/org/x.git?ref=v1.2.0").as_deref(),
            Some("v1.2.0")
        );
        assert_eq!(
            source_without_ref("git::https://github.com/org/x.git?ref=v1.2.0"),
            "git::https://github.com/org/x.git"
        );
    }
}
