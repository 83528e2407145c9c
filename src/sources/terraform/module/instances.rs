//! `count` and `for_each`: the instances a block asks for, the scope each
//! one is evaluated in, and which parts of a block no instance changes, so
//! they are evaluated once rather than per instance.

use hcl::expr::TraversalOperator;

use crate::model::Value;
use crate::sources::terraform::eval::{expr_text, Resolver, Scope};
use crate::sources::terraform::parse::Body;
use crate::sources::terraform::TfError;

use super::Instance;

impl<'l> Instance<'l> {
    /// The instances a `count` or `for_each` asks for, within the limits
    /// of docs/limits.md: per block, and over the whole environment (a
    /// module with `count = 1000` whose resources have `count = 1000`).
    pub(super) fn instances(
        &self,
        body: &Body,
        file: &str,
        loc: &str,
    ) -> Result<Vec<InstanceKey>, TfError> {
        let keys = self.instances_unbounded(body, file, loc)?;
        let per_block = crate::input::limits().instances_per_block;
        if keys.len() > per_block {
            return Err(TfError::Fatal(format!(
                "{loc}: {} instances, over the limit of {per_block} instances per block (docs/limits.md)",
                keys.len()
            )));
        }
        let per_env = crate::input::limits().instances_per_environment;
        if self.multiplicity > 1 && keys.len().saturating_mul(self.multiplicity) > per_env {
            return Err(TfError::Fatal(format!(
                "{loc}: {} instances in each of the {} instances of the module that holds it ({} in all), over the limit of {per_env} instances in one environment (docs/limits.md)",
                keys.len(),
                self.multiplicity,
                keys.len().saturating_mul(self.multiplicity)
            )));
        }
        let total = self
            .loader
            .instances
            .fetch_add(keys.len(), std::sync::atomic::Ordering::Relaxed)
            + keys.len();
        if total > per_env {
            return Err(TfError::Fatal(format!(
                "{loc}: over the limit of {per_env} instances in one environment (docs/limits.md): this block adds {} more",
                keys.len()
            )));
        }
        Ok(keys)
    }

    fn instances_unbounded(
        &self,
        body: &Body,
        file: &str,
        loc: &str,
    ) -> Result<Vec<InstanceKey>, TfError> {
        if let Some(attr) = body.attribute("count") {
            // (Terraform refuses a sensitive count; the number of instances
            // is no secret to compare here.)
            let marked = self.eval_attr(attr, file, &mut Scope::new(self))?;
            // Shown in an error as `(sensitive)` when it is.
            let shown = marked.display();
            let v = marked.unmark_deep().0.untyped();
            let per_block = crate::input::limits().instances_per_block;
            // A string that reads as a number converts, as Terraform
            // converts it (`count = "2"`).
            let v = match v {
                Value::String(t) => match t.trim().parse::<f64>() {
                    Ok(n) if n.is_finite() => Value::Number(n),
                    _ => Value::String(t),
                },
                v => v,
            };
            return Ok(match v {
                Value::Number(n) if n >= 0.0 && n.fract() == 0.0 && n > per_block as f64 => {
                    return Err(TfError::Fatal(format!(
                        "{loc}: count = {n}, over the limit of {per_block} instances per block (docs/limits.md)"
                    )))
                }
                Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => (0..n
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
                // Terraform rejects the configuration: so does parity
                // (a gap would let the run go on with no instances).
                other => {
                    return Err(TfError::Fatal(format!(
                        "{loc}: invalid count: must be a whole number greater than or equal to zero, found {}",
                        if other.display() == shown { shown } else { "(sensitive)".to_string() }
                    )))
                }
            });
        }
        if let Some(attr) = body.attribute("for_each") {
            // The keys are the instances' addresses: a mark on the whole
            // collection is dropped (Terraform refuses one); the values
            // (`each.value`) keep theirs.
            let v = match self.eval_attr(attr, file, &mut Scope::new(self))? {
                Value::Marked(inner) => *inner,
                v => v,
            };
            // A set's elements are its keys, a map's keys are; the values
            // keep their types (`each.value`). A list is taken as a set
            // (Terraform refuses one): a variable's value arrives as a
            // tuple where no declared type makes it a set.
            let v = match v {
                Value::Typed(_, inner) => *inner,
                v => v,
            };
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
                        let shown = item.display();
                        match item.unmark_deep().0 {
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
                                        if other.display() == shown {
                                            shown
                                        } else {
                                            "(sensitive)".to_string()
                                        }
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

    /// The memo of a resource body: with `several` instances, which of its
    /// attributes and nested blocks name none of `count`, `each` and `self`.
    pub(super) fn instance_memo(&self, body: &Body, several: bool) -> InstanceMemo {
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
}

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
pub(super) struct InstanceMemo {
    pub(super) attributes: Vec<Slot>,
    pub(super) blocks: Vec<Slot>,
    /// The module's address prefix, made relative in every value.
    pub(super) finder: Option<memchr::memmem::Finder<'static>>,
}

pub(super) enum Slot {
    /// Names the instance: evaluated for each.
    PerInstance,
    /// The same for every instance, not evaluated yet.
    Empty,
    Known(Value),
}

impl Slot {
    /// The value: evaluated by `eval` the first time (kept when it is the
    /// same for every instance), copied after that.
    pub(super) fn get(
        &mut self,
        eval: impl FnOnce() -> Result<Value, TfError>,
    ) -> Result<Value, TfError> {
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

/// One instance of a counted or for_each'd block.
#[derive(Debug, Clone)]
pub(super) struct InstanceKey {
    /// `[0]`, `["a"]`, or empty.
    pub(super) suffix: String,
    pub(super) key: Option<Value>,
    pub(super) each_value: Option<Value>,
}

impl InstanceKey {
    pub(super) fn scope<'a>(&self, resolver: &'a dyn Resolver) -> Scope<'a> {
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

pub(super) fn collect_instances(body: &Body, results: Vec<(Option<Value>, Value)>) -> Value {
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

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
