//! Module calls: which calls wait on which (so independent ones run in
//! parallel), evaluating a call into its child instance, and the call
//! recorded as a dependency with its source and version pinning.

use std::collections::BTreeMap;
use std::sync::Arc;

use hcl::expr::TraversalOperator;

use crate::model::{Location, Resource, Value};
use crate::sources::terraform::eval::{expr_text, EvalErr, Scope};
use crate::sources::terraform::files::{display, Located};
use crate::sources::terraform::parse::{Block, Body};
use crate::sources::terraform::TfError;

use super::instances::collect_instances;
use super::Instance;

/// Arguments of module blocks that configure Terraform itself, not the
/// infrastructure.
pub(super) const MODULE_META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

impl<'l> Instance<'l> {
    /// Module calls, independent ones in parallel. When they run, locals
    /// and resources are already evaluated (and memoized), so all a call
    /// can still wait on is another call: a `module.X` in its arguments,
    /// directly or through a `data "aws_iam_policy_document"` (evaluated
    /// where used). Calls run in waves, each wave the calls whose module
    /// references are all done; calls whose arguments could not be read,
    /// or that form a cycle, run one by one at the end, in order, as they
    /// always did (so a cycle is reported the same way).
    pub(super) fn run_module_calls(&self) -> Result<(), TfError> {
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

    pub(super) fn module(&self, name: &str) -> Result<Arc<Value>, EvalErr> {
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
        let mut dep = module_call_record(
            address.clone(),
            &source_str,
            version.as_ref(),
            Location::new(block.file.clone(), Some(block.item.line)),
        );
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

        let key = crate::sources::terraform::call_key(&self.module_key, name);
        let constraint = version.as_ref().and_then(Value::as_str);
        let dir = match self
            .loader
            .module_dir(&self.def.dir, &key, &source_str, constraint)
        {
            Ok(dir) => dir,
            Err(reason) => {
                self.gap(&address, reason.to_string());
                self.loader.unread(address.clone());
                return Ok(Value::Unknown(format!("{}module.{name}", self.prefix)));
            }
        };
        if !dir.is_dir() {
            let shown = display(&self.loader.base, &dir);
            // Say why when it is there but cannot be followed (a symbolic
            // link loop) or is not a directory.
            let why = match std::fs::metadata(&dir) {
                Err(e) if dir.symlink_metadata().is_ok() => {
                    format!("cannot be read ({shown}: {e})")
                }
                Ok(_) => format!("is not a directory ({shown})"),
                Err(_) => format!("does not exist ({shown})"),
            };
            return Err(TfError::Fatal(format!(
                "{loc}: module `{name}`: source `{source_str}` {why}"
            )));
        }
        if self.depth > 32 {
            return Err(TfError::Fatal(format!(
                "{loc}: module `{name}`: modules nested more than 32 deep (a module calling itself?)"
            )));
        }
        let def = self.loader.module_def(&dir)?;

        let instances = self.instances(body, &block.file, &loc)?;
        let arguments = self.argument_provenance(&address, body, &block.file);
        let mut outputs: BTreeMap<String, crate::model::Inputs> = BTreeMap::new();
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
            child.multiplicity = self.multiplicity.saturating_mul(instances.len());
            child.var_inputs = arguments.clone();
            child.bind_variables(inputs, &format!("module `{name}` at {loc}"))?;
            results.push((inst.key.clone(), child.run()?));
            for (o, inputs) in child.output_provenance() {
                match outputs.get_mut(&o) {
                    Some(had)
                        if had.len() != inputs.len()
                            || had.iter().zip(inputs.iter()).any(|(a, b)| a.name != b.name) =>
                    {
                        let mut all: BTreeMap<Arc<str>, Arc<crate::model::Input>> =
                            had.iter().map(|i| (i.name.clone(), i.clone())).collect();
                        for i in inputs.iter() {
                            all.entry(i.name.clone()).or_insert_with(|| i.clone());
                        }
                        *had = all.into_values().collect();
                    }
                    Some(_) => {}
                    None => {
                        outputs.insert(o, inputs);
                    }
                }
            }
        }
        self.prov
            .outputs
            .borrow_mut()
            .insert(name.to_string(), outputs);
        Ok(collect_instances(body, results))
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

/// The dependency record of a module call (type `module_call`): its source
/// without the ref, the kind of source, the git ref, the version, and
/// what is unpinned. Terragrunt units record their `terraform { source }`
/// with it too.
pub fn module_call_record(
    address: String,
    source: &str,
    version: Option<&Value>,
    location: Location,
) -> Resource {
    let mut dep = Resource::new(address, "module_call", location);
    let kind = source_kind(source);
    dep.attributes
        .insert("source".into(), Value::String(source_without_ref(source)));
    dep.attributes
        .insert("source_kind".into(), Value::str(kind));
    if let Some(r) = git_ref(source) {
        dep.attributes.insert("ref".into(), Value::String(r));
    }
    if let Some(v) = version {
        dep.attributes.insert("version".into(), v.clone());
    }
    if let Some((attr, why)) =
        crate::sources::terraform::deps::module_pinning(kind, source, version)
    {
        dep.attributes.insert(attr.into(), Value::String(why));
    }
    dep
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
