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
use std::sync::{Mutex, MutexGuard};

use hcl::expr::TraversalOperator;

use super::eval::{expr_text, EvalErr, Resolved, Resolver, Scope};
use super::files::{display, Located, ModuleDef};
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
    /// What this thread is evaluating, innermost last, as (instance, key):
    /// a key already on it is a cycle. Per thread, because module calls
    /// are evaluated in parallel (see `Instance::run_module_calls`).
    static EVAL_STACK: RefCell<Vec<(usize, String)>> = const { RefCell::new(Vec::new()) };
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

/// What references to resources evaluate to, by type and name.
type Skeletons = BTreeMap<String, BTreeMap<String, Option<Arc<Value>>>>;

/// A memo table shared by the threads evaluating one module instance.
/// Never held while evaluating: look up, or insert a finished value.
#[derive(Default)]
struct Memo<T>(Mutex<T>);

impl<T> Memo<T> {
    fn borrow(&self) -> MutexGuard<'_, T> {
        // A panic while the lock was held already failed the load; the
        // table itself is consistent (values are inserted whole).
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn borrow_mut(&self) -> MutexGuard<'_, T> {
        self.borrow()
    }
}

pub struct Instance<'l> {
    pub loader: &'l Loader,
    pub def: Arc<ModuleDef>,
    /// Address prefix: "" for the root, `module.app.` or `module.app[0].`.
    pub prefix: String,
    /// `path.module` as Terraform shows it (relative to the root).
    pub path_module: String,
    pub vars: crate::model::Map,
    locals: Memo<BTreeMap<String, Arc<Value>>>,
    modules: Memo<BTreeMap<String, Arc<Value>>>,
    docs: Memo<BTreeMap<String, Arc<Value>>>,
    /// Instances of each resource block, by `type.name` (`data.type.name`).
    instance_cache: Memo<BTreeMap<String, Arc<[InstanceKey]>>>,
    /// What a reference to each resource evaluates to, built once: a
    /// counted resource referenced by `count.index` would otherwise be
    /// rebuilt for each of its instances.
    skeletons: Memo<[Skeletons; 2]>,
    pub depth: usize,
    /// The path of module call names from the root (`app.waf`), as
    /// `.terraform/modules/modules.json` keys installed modules.
    pub module_key: String,
}

impl<'l> Instance<'l> {
    pub fn new(
        loader: &'l Loader,
        def: Arc<ModuleDef>,
        prefix: String,
        vars: crate::model::Map,
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
            locals: Memo::default(),
            modules: Memo::default(),
            docs: Memo::default(),
            instance_cache: Memo::default(),
            skeletons: Memo::default(),
            depth,
            module_key: String::new(),
        }
    }

    /// Set input variables from the caller's values, applying declared
    /// types and defaults as Terraform does.
    pub fn bind_variables(
        &mut self,
        mut given: crate::model::Map,
        caller: &str,
    ) -> Result<(), TfError> {
        let mut vars = crate::model::Map::new();
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
        self.run_module_calls()?;
        let mut outputs = crate::model::Map::new();
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

    /// Module calls, independent ones in parallel. When they run, locals
    /// and resources are already evaluated (and memoized), so all a call
    /// can still wait on is another call: a `module.X` in its arguments,
    /// directly or through a `data "aws_iam_policy_document"` (evaluated
    /// where used). Calls run in waves, each wave the calls whose module
    /// references are all done; calls whose arguments could not be read,
    /// or that form a cycle, run one by one at the end, in order, as they
    /// always did (so a cycle is reported the same way).
    fn run_module_calls(&self) -> Result<(), TfError> {
        use rayon::prelude::*;
        let mut pending: Vec<(&str, ModuleDeps)> = Vec::new();
        for block in &self.def.modules {
            if let Some(name) = block.item.labels.first() {
                let mut deps = ModuleDeps::default();
                self.module_refs_in_body(&block.item.body, &mut deps, &mut Vec::new());
                pending.push((name.as_str(), deps));
            }
        }
        let declared: std::collections::BTreeSet<&str> =
            pending.iter().map(|(name, _)| *name).collect();
        let mut done: std::collections::BTreeSet<String> =
            self.modules.borrow().keys().cloned().collect();
        while !pending.is_empty() {
            let (ready, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(_, deps)| {
                deps.readable
                    && deps
                        .modules
                        .iter()
                        .all(|d| done.contains(d) || !declared.contains(d.as_str()))
            });
            if ready.is_empty() {
                for (name, _) in &rest {
                    self.module(name).map_err(|e| self.fatal(e))?;
                }
                break;
            }
            // In declaration order, so the error reported is always the same.
            let results: Vec<Result<Arc<Value>, EvalErr>> = if ready.len() == 1 {
                ready.iter().map(|(name, _)| self.module(name)).collect()
            } else {
                ready
                    .par_iter()
                    .map(|(name, _)| self.module(name))
                    .collect()
            };
            for r in results {
                r.map_err(|e| self.fatal(e))?;
            }
            done.extend(ready.iter().map(|(name, _)| name.to_string()));
            pending = rest;
        }
        Ok(())
    }

    /// The module calls a body refers to (see [`Instance::run_module_calls`]).
    fn module_refs_in_body(&self, body: &Body, deps: &mut ModuleDeps, docs_seen: &mut Vec<String>) {
        for attr in &body.attributes {
            self.module_refs(&attr.expr, deps, docs_seen);
        }
        for block in &body.blocks {
            self.module_refs_in_body(&block.body, deps, docs_seen);
        }
    }

    fn module_refs(
        &self,
        expr: &hcl::Expression,
        deps: &mut ModuleDeps,
        docs_seen: &mut Vec<String>,
    ) {
        use hcl::Expression as E;
        match expr {
            E::Null | E::Bool(_) | E::Number(_) | E::String(_) | E::Variable(_) => {}
            E::Array(items) => items
                .iter()
                .for_each(|i| self.module_refs(i, deps, docs_seen)),
            E::Object(object) => {
                for (key, value) in object {
                    if let hcl::ObjectKey::Expression(k) = key {
                        self.module_refs(k, deps, docs_seen);
                    }
                    self.module_refs(value, deps, docs_seen);
                }
            }
            // Through the load's template cache: the call's evaluation
            // then finds the template already parsed.
            E::TemplateExpr(t) => match self.loader.template(t) {
                Ok(template) => self.module_refs_in_template(&template, deps, docs_seen),
                Err(_) => deps.readable = false,
            },
            E::Traversal(t) => {
                if let E::Variable(root) = &t.expr {
                    let attr = |i: usize| match t.operators.get(i) {
                        Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
                        _ => None,
                    };
                    match (root.as_str(), attr(0)) {
                        ("module", Some(name)) => {
                            deps.modules.insert(name.to_string());
                        }
                        ("data", Some("aws_iam_policy_document")) => {
                            if let Some(doc) = attr(1) {
                                if !docs_seen.iter().any(|d| d == doc) {
                                    docs_seen.push(doc.to_string());
                                    let block = self.def.data.iter().find(|b| {
                                        b.item.labels.first().map(String::as_str)
                                            == Some("aws_iam_policy_document")
                                            && b.item.labels.get(1).map(String::as_str) == Some(doc)
                                    });
                                    if let Some(block) = block {
                                        self.module_refs_in_body(&block.item.body, deps, docs_seen);
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                } else {
                    self.module_refs(&t.expr, deps, docs_seen);
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op {
                        self.module_refs(i, deps, docs_seen);
                    }
                }
            }
            E::FuncCall(call) => call
                .args
                .iter()
                .for_each(|a| self.module_refs(a, deps, docs_seen)),
            E::Parenthesis(inner) => self.module_refs(inner, deps, docs_seen),
            E::Conditional(c) => {
                self.module_refs(&c.cond_expr, deps, docs_seen);
                self.module_refs(&c.true_expr, deps, docs_seen);
                self.module_refs(&c.false_expr, deps, docs_seen);
            }
            E::Operation(op) => match op.as_ref() {
                hcl::expr::Operation::Unary(u) => self.module_refs(&u.expr, deps, docs_seen),
                hcl::expr::Operation::Binary(b) => {
                    self.module_refs(&b.lhs_expr, deps, docs_seen);
                    self.module_refs(&b.rhs_expr, deps, docs_seen);
                }
            },
            E::ForExpr(f) => {
                self.module_refs(&f.collection_expr, deps, docs_seen);
                if let Some(k) = &f.key_expr {
                    self.module_refs(k, deps, docs_seen);
                }
                self.module_refs(&f.value_expr, deps, docs_seen);
                if let Some(c) = &f.cond_expr {
                    self.module_refs(c, deps, docs_seen);
                }
            }
            // A kind of expression this walk does not know: run it last.
            _ => deps.readable = false,
        }
    }

    fn module_refs_in_template(
        &self,
        template: &hcl::template::Template,
        deps: &mut ModuleDeps,
        docs_seen: &mut Vec<String>,
    ) {
        use hcl::template::{Directive, Element};
        for el in template.elements() {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.module_refs(&i.expr, deps, docs_seen),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(i) => {
                        self.module_refs(&i.cond_expr, deps, docs_seen);
                        self.module_refs_in_template(&i.true_template, deps, docs_seen);
                        if let Some(f) = &i.false_template {
                            self.module_refs_in_template(f, deps, docs_seen);
                        }
                    }
                    Directive::For(f) => {
                        self.module_refs(&f.collection_expr, deps, docs_seen);
                        self.module_refs_in_template(&f.template, deps, docs_seen);
                    }
                },
            }
        }
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
        // The location is only written out when something goes wrong: it
        // used to be formatted for every attribute evaluated.
        self.eval_expr(&attr.expr, &FileLine(file, attr.line), scope)
    }

    fn eval_expr(
        &self,
        expr: &hcl::Expression,
        loc: &dyn std::fmt::Display,
        scope: &mut Scope,
    ) -> Result<Value, TfError> {
        match scope.eval(expr) {
            Ok(v) => Ok(self.scrub(v)),
            Err(EvalErr::Soft(message)) => {
                self.gap(&loc.to_string(), message);
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
        if !self.loader.scrubs() || !v.contains_unknown() {
            return v;
        }
        let secrets = self.loader.scrub_patterns();
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
        let id = self as *const Self as usize;
        let cycle = EVAL_STACK.with(|stack| {
            let stack = stack.borrow();
            let pos = stack.iter().position(|(i, k)| *i == id && *k == key)?;
            let mut cycle: Vec<String> = stack[pos..]
                .iter()
                .filter(|(i, _)| *i == id)
                .map(|(_, k)| k.clone())
                .collect();
            cycle.push(key.clone());
            Some(cycle)
        });
        {
            if let Some(cycle) = cycle {
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
        EVAL_STACK.with(|s| s.borrow_mut().push((id, key)));
        let result = f();
        EVAL_STACK.with(|s| s.borrow_mut().pop());
        EVAL_DEPTH.with(|d| d.set(depth));
        result
    }

    fn local(&self, name: &str) -> Result<Arc<Value>, EvalErr> {
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
        let value = Arc::new(value);
        self.locals
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }

    fn module(&self, name: &str) -> Result<Arc<Value>, EvalErr> {
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
        let value = Arc::new(value);
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
        if let Some((attr, why)) = super::deps::module_pinning(kind, &source_str, version.as_ref())
        {
            dep.attributes.insert(attr.into(), Value::String(why));
        }
        // Terraform wants literals here; an expression (a conditional on an
        // env variable) is evaluated per environment above, and said to be one.
        for (attr, written) in [
            ("source_expression", body.attribute("source")),
            ("version_expression", body.attribute("version")),
        ] {
            if let Some(a) = written.filter(|a| !matches!(a.expr, hcl::Expression::String(_))) {
                dep.attributes
                    .insert(attr.into(), Value::String(expr_text(&a.expr)));
            }
        }
        for (attr, line) in [
            ("source", body.attribute("source")),
            ("version", body.attribute("version")),
        ] {
            if let Some(a) = line {
                dep.locate(attr, Location::new(block.file.clone(), Some(a.line)));
            }
        }
        for (from, to) in [
            ("source", "ref"),
            ("source", "unpinned_ref"),
            ("source", "source_expression"),
            ("version", "unpinned_version"),
            ("version", "version_expression"),
        ] {
            if let Some(l) = dep.attribute_locations.get(from).cloned() {
                dep.locate(to, l);
            }
        }
        self.loader.add_dependency(dep);

        let key = super::call_key(&self.module_key, name);
        let constraint = version.as_ref().and_then(Value::as_str);
        let dir = match self
            .loader
            .module_dir(&self.def.dir, &key, &source_str, constraint)
        {
            Ok(dir) => dir,
            Err(reason) => {
                self.gap(&address, reason);
                return Ok(Value::Unknown(format!("{}module.{name}", self.prefix)));
            }
        };
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
            let mut inputs = crate::model::Map::new();
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
                crate::model::Map::new(),
                self.depth + 1,
            );
            child.module_key = key.clone();
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
        // Every instance has the first's attribute locations (see `eval_body`).
        let mut locations: Option<Arc<BTreeMap<String, Location>>> = None;
        // What no instance changes is evaluated once (see `InstanceMemo`).
        let mut memo = self.instance_memo(&block.item.body, instances.len() > 1);
        let mut out = Vec::with_capacity(instances.len());
        for inst in instances.iter() {
            let mut scope = inst.scope(self);
            let mut address = String::with_capacity(base.len() + inst.suffix.len());
            address.push_str(&base);
            address.push_str(&inst.suffix);
            let mut res = Resource::new(
                address,
                rtype.clone(),
                Location::new(block.file.clone(), Some(block.item.line)),
            );
            res.data = data;
            if let Some(shared) = &locations {
                res.attribute_locations = shared.clone();
            }
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
            let attrs = self.eval_body(
                &block.item.body,
                &block.file,
                &mut scope,
                true,
                &mut res,
                Some(&mut memo),
            )?;
            res.attributes = attrs;
            if locations.is_none() {
                locations = Some(res.attribute_locations.clone());
            }
            out.push(res);
        }
        self.loader.add_resources(out);
        Ok(())
    }

    /// Evaluate a block body into attributes; nested blocks become lists of
    /// objects keyed by block type, as in state. `top` marks the resource's
    /// own body, whose meta-arguments are skipped and whose lines recorded;
    /// a resource's body comes with its `memo`, whose values are made
    /// relative to the module (`relative_refs`) as they are evaluated.
    fn eval_body(
        &self,
        body: &Body,
        file: &Arc<str>,
        scope: &mut Scope,
        top: bool,
        res: &mut Resource,
        memo: Option<&mut InstanceMemo>,
    ) -> Result<crate::model::Map, TfError> {
        // Collected in order and built into maps at the end, in bulk: a
        // sort of a few entries instead of one tree insertion each (this
        // runs for every block of every resource instance). A later entry
        // with the same key wins, as an insertion would.
        let mut out: Vec<(String, Value)> = Vec::with_capacity(body.attributes.len() + 2);
        // The locations depend on the block's text only: the instances of a
        // `count`/`for_each` block after the first come with the first's
        // map (see `expand_resource`), and record nothing.
        let record = top && res.attribute_locations.is_empty();
        let mut locs: Vec<(String, Location)> = Vec::new();
        let (mut attr_slots, mut block_slots, finder) = match memo {
            Some(InstanceMemo {
                attributes,
                blocks,
                finder,
            }) => (Some(attributes), Some(blocks), finder.as_ref()),
            None => (None, None, None),
        };
        // Each value once, before it is kept for the other instances.
        let fresh = |mut v: Value| {
            if let Some(finder) = finder {
                relative_refs(&mut v, finder);
            }
            v
        };
        for (i, attr) in body.attributes.iter().enumerate() {
            if top && RESOURCE_META.contains(&attr.name.as_str()) {
                continue;
            }
            let v = match attr_slots.as_deref_mut().and_then(|s| s.get_mut(i)) {
                Some(slot) => slot.get(|| self.eval_attr(attr, file, scope).map(fresh))?,
                None => fresh(self.eval_attr(attr, file, scope)?),
            };
            if record {
                locs.push((
                    attr.name.clone(),
                    Location::new(file.clone(), Some(attr.line)),
                ));
            }
            if top {
                if let Some((rule, reason)) = &attr.ignore {
                    res.ignores.push(InlineIgnore {
                        rule: rule.clone(),
                        attribute: Some(attr.name.clone()),
                        reason: reason.clone(),
                        location: Location::new(file.clone(), Some(attr.line.saturating_sub(1))),
                    });
                }
            }
            out.push((attr.name.clone(), v));
        }
        // A block's location is kept only when nothing of that name was
        // recorded before it (the first block of a kind, not an attribute).
        let located = |locs: &[(String, Location)], name: &str| locs.iter().any(|(k, _)| k == name);
        let mut nested: Vec<(&str, Vec<Value>)> = Vec::new();
        fn nest<'b>(
            nested: &mut Vec<(&'b str, Vec<Value>)>,
            kind: &'b str,
            items: impl Iterator<Item = Value>,
        ) {
            match nested.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, list)) => list.extend(items),
                None => nested.push((kind, items.collect())),
            }
        }
        for (i, block) in body.blocks.iter().enumerate() {
            if top && RESOURCE_META_BLOCKS.contains(&block.kind.as_str()) {
                continue;
            }
            if block.kind == "dynamic" {
                let Some(label) = block.labels.first() else {
                    continue;
                };
                let items = self.expand_dynamic(block, file, scope, res)?;
                if record && !located(&locs, label) {
                    locs.push((label.clone(), Location::new(file.clone(), Some(block.line))));
                }
                nest(&mut nested, label, items.into_iter().map(fresh));
                continue;
            }
            if record && !located(&locs, &block.kind) {
                locs.push((
                    block.kind.clone(),
                    Location::new(file.clone(), Some(block.line)),
                ));
            }
            let v = match block_slots.as_deref_mut().and_then(|s| s.get_mut(i)) {
                Some(slot) => slot.get(|| {
                    self.eval_body(&block.body, file, scope, false, res, None)
                        .map(|m| fresh(Value::Map(m)))
                })?,
                None => fresh(Value::Map(self.eval_body(
                    &block.body,
                    file,
                    scope,
                    false,
                    res,
                    None,
                )?)),
            };
            nest(&mut nested, &block.kind, std::iter::once(v));
        }
        for (kind, items) in nested {
            out.push((kind.to_string(), Value::List(items)));
        }
        if !locs.is_empty() {
            res.attribute_locations = Arc::new(locs.into_iter().collect());
        }
        Ok(out.into_iter().collect())
    }

    /// The memo of a resource body: with `several` instances, which of its
    /// attributes and nested blocks name none of `count`, `each` and `self`.
    fn instance_memo(&self, body: &Body, several: bool) -> InstanceMemo {
        // The module's own prefix, searched for in every value of every
        // instance: the search is set up once per block.
        let finder = (!self.prefix.is_empty())
            .then(|| memchr::memmem::Finder::new(self.prefix.as_bytes()).into_owned());
        if !several {
            return InstanceMemo {
                attributes: Vec::new(),
                blocks: Vec::new(),
                finder,
            };
        }
        let slot = |free: bool| if free { Slot::Empty } else { Slot::PerInstance };
        InstanceMemo {
            finder,
            attributes: body
                .attributes
                .iter()
                .map(|a| slot(self.instance_free(&a.expr)))
                .collect(),
            blocks: body
                .blocks
                .iter()
                .map(|b| slot(b.kind != "dynamic" && self.instance_free_body(&b.body)))
                .collect(),
        }
    }

    fn instance_free_body(&self, body: &Body) -> bool {
        body.attributes.iter().all(|a| self.instance_free(&a.expr))
            && body
                .blocks
                .iter()
                .all(|b| b.kind != "dynamic" && self.instance_free_body(&b.body))
    }

    /// True when `expr` is the same for every instance of its block: it
    /// names none of `count`, `each` and `self`. Conservative: such a name
    /// anywhere counts (even a `for` variable called `each`), and so does
    /// any kind of expression this walk does not know.
    fn instance_free(&self, expr: &hcl::Expression) -> bool {
        use hcl::Expression as E;
        match expr {
            E::Null | E::Bool(_) | E::Number(_) | E::String(_) => true,
            E::Variable(v) => !names_instance(v.as_str()),
            E::Array(items) => items.iter().all(|i| self.instance_free(i)),
            E::Object(object) => object.iter().all(|(key, value)| {
                (match key {
                    hcl::ObjectKey::Expression(k) => self.instance_free(k),
                    _ => true,
                }) && self.instance_free(value)
            }),
            E::TemplateExpr(t) => self
                .loader
                .template(t)
                .is_ok_and(|template| self.instance_free_template(&template)),
            E::Traversal(t) => {
                self.instance_free(&t.expr)
                    && t.operators.iter().all(|op| match op {
                        TraversalOperator::Index(i) => self.instance_free(i),
                        _ => true,
                    })
            }
            E::FuncCall(call) => call.args.iter().all(|a| self.instance_free(a)),
            E::Parenthesis(inner) => self.instance_free(inner),
            E::Conditional(c) => {
                self.instance_free(&c.cond_expr)
                    && self.instance_free(&c.true_expr)
                    && self.instance_free(&c.false_expr)
            }
            E::Operation(op) => match op.as_ref() {
                hcl::expr::Operation::Unary(u) => self.instance_free(&u.expr),
                hcl::expr::Operation::Binary(b) => {
                    self.instance_free(&b.lhs_expr) && self.instance_free(&b.rhs_expr)
                }
            },
            E::ForExpr(f) => {
                for_vars_free(f.key_var.as_ref(), &f.value_var)
                    && self.instance_free(&f.collection_expr)
                    && f.key_expr.as_ref().is_none_or(|k| self.instance_free(k))
                    && self.instance_free(&f.value_expr)
                    && f.cond_expr.as_ref().is_none_or(|c| self.instance_free(c))
            }
            _ => false,
        }
    }

    fn instance_free_template(&self, template: &hcl::template::Template) -> bool {
        use hcl::template::{Directive, Element};
        template.elements().iter().all(|el| match el {
            Element::Literal(_) => true,
            Element::Interpolation(i) => self.instance_free(&i.expr),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    self.instance_free(&i.cond_expr)
                        && self.instance_free_template(&i.true_template)
                        && i.false_template
                            .as_ref()
                            .is_none_or(|f| self.instance_free_template(f))
                }
                Directive::For(f) => {
                    for_vars_free(f.key_var.as_ref(), &f.value_var)
                        && self.instance_free(&f.collection_expr)
                        && self.instance_free_template(&f.template)
                }
            },
        })
    }

    fn expand_dynamic(
        &self,
        block: &Block,
        file: &Arc<str>,
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
            let attrs = self.eval_body(&content.body, file, scope, false, res, None);
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
    ) -> Result<Arc<[InstanceKey]>, EvalErr> {
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
        let instances: Arc<[InstanceKey]> = self
            .guarded(key.clone(), &loc, || {
                self.instances(&block.item.body, &block.file, &loc)
                    .map_err(|e| EvalErr::Fatal(e.to_string()))
            })?
            .into();
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
    ) -> Result<Option<Arc<Value>>, EvalErr> {
        // Looked up by reference: a reference is resolved for every use.
        if let Some(hit) = self.skeletons.borrow()[usize::from(data)]
            .get(rtype)
            .and_then(|names| names.get(name))
        {
            return Ok(hit.clone());
        }
        let value = self.build_skeleton(rtype, name, data)?.map(Arc::new);
        self.skeletons.borrow_mut()[usize::from(data)]
            .entry(rtype.to_string())
            .or_default()
            .insert(name.to_string(), value.clone());
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
        Ok(Some(match &instances[..] {
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
    fn policy_document(&self, name: &str) -> Result<Arc<Value>, EvalErr> {
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
                    .eval_body(
                        body,
                        &block.file,
                        &mut inst.scope(self),
                        true,
                        &mut scratch,
                        None,
                    )
                    .map_err(|e| EvalErr::Fatal(e.to_string()))?;
                results.push((inst.key.clone(), super::policy::document_json(&attrs)));
            }
            Ok(collect_instances(body, results))
        })?;
        let value = Arc::new(value);
        self.docs
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        Ok(value)
    }
}

/// What a module call waits on: the module calls its arguments refer to.
/// `readable` is false when the walk met something it cannot see through.
struct ModuleDeps {
    modules: std::collections::BTreeSet<String>,
    readable: bool,
}

impl Default for ModuleDeps {
    fn default() -> Self {
        ModuleDeps {
            modules: Default::default(),
            readable: true,
        }
    }
}

/// `file:line`, written out only when displayed.
/// `count`, `each` and `self`: the names through which an expression can
/// differ between the instances of its block.
fn names_instance(name: &str) -> bool {
    matches!(name, "count" | "each" | "self")
}

/// A `for` (expression or template directive) whose variables are not
/// named like the instance (see [`Instance::instance_free`]).
fn for_vars_free(key: Option<&hcl::Identifier>, value: &hcl::Identifier) -> bool {
    !key.is_some_and(|k| names_instance(k.as_str())) && !names_instance(value.as_str())
}

/// The values of a `count`/`for_each` block that no instance changes,
/// evaluated for the first instance and copied for the others: the
/// attributes and nested blocks of the resource's body that name none of
/// `count`, `each` and `self` (indexed as in the body; empty for a block
/// of one instance).
struct InstanceMemo {
    attributes: Vec<Slot>,
    blocks: Vec<Slot>,
    /// The module's address prefix, made relative in every value.
    finder: Option<memchr::memmem::Finder<'static>>,
}

enum Slot {
    /// Names the instance: evaluated for each.
    PerInstance,
    /// The same for every instance, not evaluated yet.
    Empty,
    Known(Value),
}

impl Slot {
    /// The value: evaluated by `eval` the first time (kept when it is the
    /// same for every instance), copied after that.
    fn get(&mut self, eval: impl FnOnce() -> Result<Value, TfError>) -> Result<Value, TfError> {
        match self {
            Slot::PerInstance => eval(),
            Slot::Known(v) => Ok(v.clone()),
            Slot::Empty => {
                let v = eval()?;
                *self = Slot::Known(v.clone());
                Ok(v)
            }
        }
    }
}

struct FileLine<'a>(&'a str, u32);

impl std::fmt::Display for FileLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.0, self.1)
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
fn relative_refs(v: &mut Value, prefix: &memchr::memmem::Finder) {
    fn strip(text: &str, prefix: &memchr::memmem::Finder) -> String {
        let needle = prefix.needle();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for i in prefix.find_iter(text.as_bytes()) {
            // The prefix (`module.<name>[key].`) starts and ends with an
            // ASCII byte, which never occurs inside a multi-byte UTF-8
            // sequence: `i` and `i + needle.len()` are character boundaries.
            out.push_str(&text[last..i]);
            // Only where an address starts (`${`, `(`, `[`, a space...).
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                out.push_str(&text[i..i + needle.len()]);
            }
            last = i + needle.len();
        }
        out.push_str(&text[last..]);
        out
    }
    // In place: most values hold no reference at all, and rebuilding every
    // map of every resource inside a module cost a twentieth of a load.
    // The searches are memchr's (a substring search set up once per
    // resource, not once per value).
    match v {
        Value::Unknown(text) if prefix.find(text.as_bytes()).is_some() => {
            *text = strip(text, prefix)
        }
        // Strings hold unknowns as `${...}` (templates, jsonencode).
        Value::String(s) if has_interpolation(s) && prefix.find(s.as_bytes()).is_some() => {
            *s = strip(s, prefix)
        }
        Value::List(items) => items.iter_mut().for_each(|i| relative_refs(i, prefix)),
        Value::Map(m) => m.values_mut().for_each(|i| relative_refs(i, prefix)),
        _ => {}
    }
}

/// Whether `s` holds `${` (a `$` followed by `{`), without setting up a
/// substring search for every string.
fn has_interpolation(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'$', b).any(|i| b.get(i + 1) == Some(&b'{'))
}

/// What [`scrub_unknowns`] looks for: each secret long enough to matter,
/// as written and as it appears inside JSON text.
pub(super) fn scrub_patterns(secrets: &[String]) -> Vec<String> {
    let mut out: Vec<String> = secrets
        .iter()
        .filter(|s| s.len() >= 6)
        .flat_map(|s| {
            let quoted = serde_json::Value::String(s.clone()).to_string();
            let inner = quoted[1..quoted.len() - 1].to_string();
            [s.clone(), inner]
        })
        .collect();
    // Longest first, so a secret that contains another is replaced whole,
    // and in one order whatever order the secrets were found in.
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

pub(super) fn scrub_unknowns(v: Value, secrets: &[String]) -> Value {
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
    fn resolve<'r>(
        &'r self,
        root: &str,
        ops: &[TraversalOperator],
    ) -> Result<Option<(Resolved<'r>, usize)>, EvalErr> {
        let first = match ops.first() {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        };
        match root {
            "var" => {
                let name = first
                    .ok_or_else(|| EvalErr::Soft("`var` must be followed by a name".into()))?;
                match self.vars.get(name) {
                    Some(v) => Ok(Some((Resolved::Borrowed(v), 1))),
                    None => Err(EvalErr::Soft(format!(
                        "reference to undeclared input variable `{name}`"
                    ))),
                }
            }
            "local" => {
                let name = first
                    .ok_or_else(|| EvalErr::Soft("`local` must be followed by a name".into()))?;
                Ok(Some((Resolved::Shared(self.local(name)?), 1)))
            }
            "module" => {
                let name = first
                    .ok_or_else(|| EvalErr::Soft("`module` must be followed by a name".into()))?;
                Ok(Some((Resolved::Shared(self.module(name)?), 1)))
            }
            "data" => {
                let name = match ops.get(1) {
                    Some(TraversalOperator::GetAttr(n)) => n.as_str(),
                    _ => return Ok(None),
                };
                match first {
                    Some("aws_iam_policy_document") => {
                        Ok(Some((Resolved::Shared(self.policy_document(name)?), 2)))
                    }
                    Some(rtype) => Ok(self
                        .resource_skeleton(rtype, name, true)?
                        .map(|v| (Resolved::Shared(v), 2))),
                    None => Ok(None),
                }
            }
            "path" => match first {
                Some("module") => Ok(Some((
                    Resolved::Owned(Value::String(self.path_module.clone())),
                    1,
                ))),
                Some("root") | Some("cwd") => Ok(Some((Resolved::Owned(Value::str(".")), 1))),
                _ => Err(EvalErr::Soft("unknown `path` attribute".into())),
            },
            "terraform" => match first {
                Some("workspace") => Ok(Some((
                    Resolved::Owned(Value::String(self.loader.workspace.clone())),
                    1,
                ))),
                _ => Ok(None),
            },
            "count" | "each" | "self" => Err(EvalErr::Soft(format!(
                "`{root}` used outside a block that defines it"
            ))),
            rtype => match first {
                Some(name) => Ok(self
                    .resource_skeleton(rtype, name, false)?
                    .map(|v| (Resolved::Shared(v), 1))),
                None => Ok(None),
            },
        }
    }

    fn base_dir(&self) -> &Path {
        &self.loader.root
    }

    fn template(
        &self,
        t: &hcl::expr::TemplateExpr,
    ) -> Result<Arc<hcl::template::Template>, EvalErr> {
        self.loader.template(t)
    }
}

/// Resolver for constant expressions (defaults, tfvars): nothing to refer to.
pub struct ConstResolver<'a> {
    pub base: &'a Path,
}

impl Resolver for ConstResolver<'_> {
    fn resolve<'r>(
        &'r self,
        root: &str,
        _ops: &[TraversalOperator],
    ) -> Result<Option<(Resolved<'r>, usize)>, EvalErr> {
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
