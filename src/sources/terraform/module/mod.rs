//! Evaluating one module instance: variables, locals, resources (with
//! count/for_each and dynamic blocks), nested module calls and outputs.
//!
//! Names are resolved lazily and memoized, so locals and module calls are
//! evaluated in dependency order whatever order the files declare them in,
//! and a cycle is detected on the evaluation stack and named.
//!
//! This file holds the [`Instance`] itself, its entry points (variables,
//! `run`, outputs), locals and name resolution; each other concept of an
//! evaluation has a file beside it, all of them `impl Instance` blocks.

mod calls;
mod instances;
mod provenance;
mod resource;
mod stack;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard};

use hcl::expr::TraversalOperator;

use crate::model::{CoverageGap, Value};

use super::eval::{expr_text, EvalErr, Resolved, Resolver, Scope};
use super::files::ModuleDef;
use super::parse::Attribute;
use super::{types, Loader, TfError};
use instances::InstanceKey;
use resource::Skeletons;

pub use calls::{git_ref, module_call_record, source_kind};
pub(super) use stack::set_stack_budget;

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

/// A resource instance a symbolic value names: type, name, instance key.
type InstanceRef = (String, String, Option<Value>);

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
    /// Each managed resource instance's symbolic value (`aws_subnet.s[0]`)
    /// in the skeletons: its type, name and instance key, so an attribute
    /// read from it finds the argument the block sets
    /// ([`Resolver::instance_attribute`]).
    instance_refs: Memo<BTreeMap<String, InstanceRef>>,
    pub depth: usize,
    /// The path of module call names from the root (`app.waf`), as
    /// `.terraform/modules/modules.json` keys installed modules.
    pub module_key: String,
    /// How many instances of this module the environment holds: the
    /// product of the instance counts of the module calls above it.
    pub multiplicity: usize,
    /// Provenance (see `provenance.rs`): its memo tables; the inputs of
    /// each variable a caller's argument sets; where each variable was set
    /// (the root's from tfvars, a default's line); the tfvars texts.
    prov: provenance::ProvMemo,
    var_inputs: BTreeMap<String, crate::model::Inputs>,
    origins: BTreeMap<String, crate::model::Location>,
    origin_texts: Arc<BTreeMap<Arc<str>, Arc<str>>>,
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
            instance_refs: Memo::default(),
            depth,
            module_key: String::new(),
            multiplicity: 1,
            prov: Default::default(),
            var_inputs: BTreeMap::new(),
            origins: BTreeMap::new(),
            origin_texts: Default::default(),
        }
    }

    /// Where the root's variables were set (tfvars lines, `-var`,
    /// Terragrunt inputs), for provenance.
    pub fn set_root_origins(&mut self, origins: super::vars::Origins) {
        self.origins = origins.at;
        self.origin_texts = Arc::new(origins.texts);
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
            let given_used = given
                .get(name.as_str())
                .is_some_and(|v| !v.is_null() || nullable || default.is_none());
            if !given_used {
                // Where the value comes from, when no caller sets it: the
                // default's line (or the declaration's).
                let line = var
                    .item
                    .body
                    .attribute("default")
                    .map_or(var.item.line, |a| a.line);
                self.origins.insert(
                    name.clone(),
                    crate::model::Location::new(var.file.clone(), Some(line)),
                );
                self.var_inputs.remove(name.as_str());
            }
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
            // The conversion keeps marks where they are (a sensitive
            // attribute of an object stays the only sensitive one); an
            // error never quotes a sensitive value.
            let value = match &ty {
                Some(t) => match types::convert(&value, t) {
                    Ok(v) => v,
                    Err(e) => {
                        let e = if sensitive {
                            format!("variable `{name}`: the (sensitive) value does not convert to its type")
                        } else {
                            format!("variable `{name}`: {e}")
                        };
                        self.gap(&loc, e);
                        value
                    }
                },
                None => value,
            };
            // Sensitive as Terraform marks it: a `sensitive = true` variable
            // is marked whole; a value given with marks keeps them.
            let value = if sensitive { value.mark() } else { value };
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
            let value = if matches!(
                out.item.body.attribute("sensitive").map(|a| &a.expr),
                Some(hcl::Expression::Bool(true))
            ) {
                value.mark()
            } else {
                value
            };
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
            EvalErr::Fatal(message) | EvalErr::Limit(message) => TfError::Fatal(message),
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
            Ok(v) => {
                // Values that double through a chain of locals
                // (`a1 = "${local.a0}${local.a0}"`, forty deep) grow beyond
                // any memory: each attribute's value is bounded.
                let limit = crate::input::limits().values;
                if crate::sources::terraform::eval::value_size(&v, limit) > limit {
                    return Err(TfError::Fatal(format!(
                        "{loc}: the value is larger than the limit of {limit} values (a string counts one per 64 bytes; docs/limits.md)"
                    )));
                }
                Ok(v)
            }
            Err(EvalErr::Soft(message)) => {
                self.gap(&loc.to_string(), message);
                Ok(Value::Unknown(expr_text(expr)))
            }
            Err(EvalErr::UnknownFunction(name)) => Err(TfError::UnknownFunction {
                name,
                location: loc.to_string(),
            }),
            Err(EvalErr::Fatal(message)) => Err(TfError::Fatal(message)),
            Err(EvalErr::Limit(message)) => Err(TfError::Fatal(format!("{loc}: {message}"))),
        }
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
}

/// `file:line`, written out only when displayed.
struct FileLine<'a>(&'a str, u32);

impl std::fmt::Display for FileLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.0, self.1)
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
                Some("root") => Ok(Some((Resolved::Owned(Value::str(".")), 1))),
                // Terraform's working directory is where it runs: the root
                // module's directory, absolute (`"ex-${basename(path.cwd)}"`
                // names resources after it).
                Some("cwd") => Ok(Some((
                    Resolved::Owned(Value::String(
                        std::path::absolute(&self.loader.root)
                            .unwrap_or_else(|_| self.loader.root.clone())
                            .to_string_lossy()
                            .into_owned(),
                    )),
                    1,
                ))),
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
                Some(name) => {
                    // An argument the block sets: known, as at plan time.
                    // A key must be a literal here (the caller's scope is
                    // not at hand): `aws_subnet.s[0].cidr_block`.
                    let literal_key = |op: &TraversalOperator| match op {
                        TraversalOperator::LegacyIndex(n) => Some(Value::Number(*n as f64)),
                        TraversalOperator::Index(hcl::Expression::Number(n)) => {
                            n.as_f64().map(Value::Number)
                        }
                        TraversalOperator::Index(hcl::Expression::String(s)) => {
                            Some(Value::String(s.clone()))
                        }
                        _ => None,
                    };
                    let (key, attr, consumed) = match (ops.get(1), ops.get(2)) {
                        (Some(TraversalOperator::GetAttr(attr)), _) => (None, Some(attr), 2),
                        (Some(op), Some(TraversalOperator::GetAttr(attr))) => match literal_key(op)
                        {
                            Some(k) => (Some(k), Some(attr), 3),
                            None => (None, None, 0),
                        },
                        _ => (None, None, 0),
                    };
                    if let Some(attr) = attr {
                        if let Some(v) =
                            self.configured_attribute(rtype, name, key.as_ref(), attr)?
                        {
                            return Ok(Some((Resolved::Owned(v), consumed)));
                        }
                    }
                    Ok(self
                        .resource_skeleton(rtype, name, false)?
                        .map(|v| (Resolved::Shared(v), 1)))
                }
                None => Ok(None),
            },
        }
    }

    fn base_dir(&self) -> &Path {
        &self.loader.root
    }

    fn instance_attribute(&self, instance: &str, attr: &str) -> Result<Option<Value>, EvalErr> {
        let Some((rtype, name, key)) = self.instance_refs.borrow().get(instance).cloned() else {
            return Ok(None);
        };
        if attr.is_empty() {
            return Ok(Some(Value::Map(Default::default())));
        }
        self.configured_attribute(&rtype, &name, key.as_ref(), attr)
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
