//! Expressions of a Pulumi YAML program: `${...}` interpolation, variables,
//! configuration and the `fn::` functions, evaluated in one scope (the
//! program, or one instance of a component).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use super::{Ctx, Scope};
use crate::model::{Location, Map, Value};
use crate::sources::pulumi::{at, PulumiError};

/// Functions that are not evaluated: their value is unknown.
const UNKNOWN_FUNCTIONS: &[&str] = &[
    "fn::readFile",
    "fn::fileAsset",
    "fn::fileArchive",
    "fn::stringAsset",
    "fn::remoteAsset",
    "fn::remoteArchive",
    "fn::assetArchive",
    "fn::toBase64",
    "fn::fromBase64",
    "fn::stackReference",
    "fn::method",
];

/// The evaluation of one scope for one stack.
pub(super) struct Eval<'a> {
    pub cx: &'a Ctx<'a>,
    /// The scope's resources, variables and component definition.
    pub scope: Scope<'a>,
    /// Configuration (the program) or inputs (a component instance).
    pub config: HashMap<String, Value>,
    /// Keys the scope declares (`config:` of Pulumi.yaml, a component's
    /// `inputs:`).
    pub declared: Vec<String>,
    /// Where a configuration key's value is set, when it is set outside the
    /// program (the stack configuration's line).
    pub config_at: HashMap<String, Location>,
    /// Variables evaluated so far, with the configuration keys they read.
    pub cache: RefCell<HashMap<String, (Value, Vec<String>)>>,
    /// Variables and component instances being evaluated (a cycle is an
    /// error).
    pub active: RefCell<Vec<String>>,
    /// Configuration keys read by the expression being evaluated.
    pub used: RefCell<Vec<String>>,
    /// Component instances evaluated so far: their outputs.
    pub instances: RefCell<HashMap<String, Map>>,
    /// How many component instances enclose this scope.
    pub depth: usize,
    /// In a component instance: the stack configuration keys each input
    /// was read from by its caller (the caller's inputs), by input name.
    pub inherited: HashMap<String, Vec<std::sync::Arc<crate::model::Input>>>,
}

impl<'a> Eval<'a> {
    /// The line of `path` inside this scope.
    pub(super) fn line(&self, path: &[&str]) -> Option<u32> {
        let full: Vec<&str> = self
            .scope
            .base
            .iter()
            .copied()
            .chain(path.iter().copied())
            .collect();
        self.cx.lines.line(&full)
    }

    pub(super) fn fail(&self, path: &[&str], message: String) -> PulumiError {
        PulumiError::Invalid {
            location: at(self.cx.shown, self.line(path)),
            message,
        }
    }

    pub(super) fn gap(&self, path: &[&str], reason: String) {
        self.cx
            .gaps
            .borrow_mut()
            .entry(at(self.cx.shown, self.line(path)))
            .or_insert(reason);
    }

    /// Evaluate `j` and say which configuration key it was read from, when
    /// it was read from exactly one set outside the program.
    pub(super) fn eval_located(
        &self,
        j: &Json,
        path: &[&str],
    ) -> Result<(Value, Option<Location>), PulumiError> {
        self.eval_traced(j, path).map(|(v, loc, _)| (v, loc))
    }

    /// [`Eval::eval_located`], and every configuration key it read
    /// (provenance).
    pub(super) fn eval_traced(
        &self,
        j: &Json,
        path: &[&str],
    ) -> Result<(Value, Option<Location>, Vec<String>), PulumiError> {
        let outer = self.used.take();
        let v = self.eval(j, path);
        let mut used = self.used.replace(outer);
        let v = v?;
        used.sort();
        used.dedup();
        let loc = match used.as_slice() {
            [one] => self.config_at.get(one).cloned(),
            _ => None,
        };
        self.used.borrow_mut().extend(used.iter().cloned());
        Ok((v, loc, used))
    }

    /// The configuration keys `used` as inputs: each at the stack
    /// configuration's line that sets it, or the program's `config:`
    /// declaration whose default it takes; a `secure:` value sealed. In a
    /// component instance, `used` names the component's inputs, and each
    /// brings the configuration keys its caller's expression read (through
    /// every enclosing instance): a resource inside a component has the
    /// same causes as one the program declares.
    pub(super) fn config_inputs(&self, used: &[String]) -> crate::model::Inputs {
        if self.depth > 0 {
            let mut out: Vec<std::sync::Arc<crate::model::Input>> = Vec::new();
            for key in used {
                for input in self.inherited.get(key).into_iter().flatten() {
                    if !out.iter().any(|i| i.name == input.name) {
                        out.push(input.clone());
                    }
                }
            }
            return out.into();
        }
        let mut out = Vec::new();
        for key in used {
            let Some(v) = self.config.get(key) else {
                continue;
            };
            let location = match self.config_at.get(key) {
                Some(l) => l.clone(),
                None => {
                    let prefixed = format!("{}:{key}", self.cx.project);
                    let lines = self.cx.lines;
                    let line = [key.as_str(), prefixed.as_str()].iter().find_map(|k| {
                        lines
                            .line(&["config", k, "default"])
                            .or_else(|| lines.line(&["config", k]))
                    });
                    Location::new(self.cx.file.clone(), line)
                }
            };
            let mut value = v.clone();
            crate::normalize::seal_value(&mut value, false, self.cx.normalizer);
            out.push(std::sync::Arc::new(crate::model::Input {
                name: std::sync::Arc::from(key.as_str()),
                kind: crate::model::InputKind::Config,
                location,
                value,
            }));
        }
        out.into()
    }

    pub(super) fn eval(&self, j: &Json, path: &[&str]) -> Result<Value, PulumiError> {
        Ok(match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => n.as_f64().map_or(Value::Null, Value::Number),
            Json::String(s) => self.interpolate(s, path)?,
            Json::Array(items) => Value::List(
                items
                    .iter()
                    .map(|i| self.eval(i, path))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Json::Object(m) if m.len() == 1 && m.keys().all(|k| k.starts_with("fn::")) => {
                match m.iter().next() {
                    Some((f, arg)) => self.function(f, arg, path)?,
                    None => Value::Null,
                }
            }
            Json::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    out.insert(k.clone(), self.eval(v, path)?);
                }
                Value::Map(out)
            }
        })
    }

    fn function(&self, f: &str, arg: &Json, path: &[&str]) -> Result<Value, PulumiError> {
        let args = || -> Result<Vec<Value>, PulumiError> {
            match self.eval(arg, path)? {
                Value::List(items) => Ok(items),
                _ => Err(self.fail(path, format!("`{f}` takes a list"))),
            }
        };
        match f {
            "fn::secret" => Ok(self.eval(arg, path)?.mark()),
            "fn::toJSON" => {
                let v = self.eval(arg, path)?;
                let (plain, marked) = v.unmark_deep();
                let out = if plain.contains_unknown() {
                    Value::Unknown(format!("toJSON({})", plain.display()))
                } else {
                    Value::String(plain.to_json().to_string())
                };
                Ok(if marked { out.mark() } else { out })
            }
            "fn::join" => {
                let a = args()?;
                let [sep, Value::List(items)] = a.as_slice() else {
                    return Err(self.fail(path, "`fn::join` takes [separator, list]".into()));
                };
                let sep = sep.as_str().unwrap_or_default();
                Ok(concat(items, sep))
            }
            "fn::split" => {
                let a = args()?;
                match a.as_slice() {
                    [Value::String(sep), Value::String(s)] => {
                        Ok(Value::List(s.split(sep.as_str()).map(Value::str).collect()))
                    }
                    [_, v @ (Value::Unknown(_) | Value::Marked(_))] => {
                        Ok(Value::Unknown(format!("split({})", v.display())))
                    }
                    _ => Err(self.fail(path, "`fn::split` takes [separator, string]".into())),
                }
            }
            "fn::select" => {
                let a = args()?;
                match a.as_slice() {
                    [Value::Number(i), Value::List(items)] => {
                        let idx = *i as usize;
                        items.get(idx).cloned().ok_or_else(|| {
                            self.fail(path, format!("`fn::select` index {i} is out of range"))
                        })
                    }
                    [_, v] if v.contains_unknown() => {
                        Ok(Value::Unknown(format!("select({})", v.display())))
                    }
                    _ => Err(self.fail(path, "`fn::select` takes [index, list]".into())),
                }
            }
            "fn::invoke" => self.invoke(arg, path),
            f if UNKNOWN_FUNCTIONS.contains(&f) => {
                self.gap(path, format!("{f} is not evaluated: its value is unknown"));
                Ok(Value::Unknown(f.to_string()))
            }
            other => Err(self.fail(path, format!("unknown function `{other}`"))),
        }
    }

    /// `fn::invoke`: a provider function, as a Terraform data source. The
    /// few a stack's configuration answers (`aws:index/getRegion`,
    /// `aws:index/getPartition`) are evaluated; any other is a call to the
    /// cloud, unknown in code (a coverage gap at its line), its unknown
    /// naming the function and its arguments so the same call compares
    /// equal in both stacks.
    fn invoke(&self, arg: &Json, path: &[&str]) -> Result<Value, PulumiError> {
        let Json::Object(call) = arg else {
            return Err(self.fail(
                path,
                "`fn::invoke` takes {function, arguments, return}".into(),
            ));
        };
        let Some(function) = call.get("function").and_then(Json::as_str) else {
            return Err(self.fail(path, "`fn::invoke` has no `function`".into()));
        };
        let args = match call.get("arguments") {
            None | Some(Json::Null) => Value::Map(Map::new()),
            Some(a) => self.eval(a, path)?,
        };
        if let Some(o) = call.get("options") {
            self.eval(o, path)?;
        }
        let ret = match call.get("return") {
            None | Some(Json::Null) => None,
            Some(Json::String(r)) => Some(r.as_str()),
            Some(_) => return Err(self.fail(path, "`return` of `fn::invoke` is a name".into())),
        };
        let result = match self.answer(function, &args) {
            Some(v) => v,
            None => {
                self.gap(
                    path,
                    format!(
                        "fn::invoke {function} calls the provider: its value is unknown in code, as a Terraform data source's"
                    ),
                );
                let shown = match &args {
                    Value::Map(m) if m.is_empty() => String::new(),
                    a => a.display(),
                };
                let call = format!("invoke {function}({shown})");
                return Ok(Value::Unknown(match ret {
                    Some(r) => format!("{call}.{r}"),
                    None => call,
                }));
            }
        };
        Ok(match ret {
            None => result,
            Some(r) => match result.unmarked() {
                Value::Map(m) => m.get(r).cloned().unwrap_or_default(),
                Value::Unknown(t) => Value::Unknown(format!("{t}.{r}")),
                _ => Value::Null,
            },
        })
    }

    /// The result of a provider function the configuration answers.
    fn answer(&self, function: &str, args: &Value) -> Option<Value> {
        let name = function.split(':').take(2).collect::<Vec<_>>().join(":");
        let region = || -> Value {
            match args.get_path("region").or_else(|| args.get_path("name")) {
                Some(v) => v.clone(),
                None => self
                    .config
                    .get("aws:region")
                    .cloned()
                    .unwrap_or_else(|| Value::Unknown("config.aws:region".into())),
            }
        };
        match name.as_str() {
            "aws:index/getRegion" => {
                let r = region();
                let mut m = Map::new();
                m.insert("name".into(), r.clone());
                m.insert("region".into(), r.clone());
                m.insert("id".into(), r);
                Some(Value::Map(m))
            }
            "aws:index/getPartition" => {
                let (partition, suffix) = match region().as_str() {
                    Some(r) if r.starts_with("cn-") => ("aws-cn", "amazonaws.com.cn"),
                    Some(r) if r.starts_with("us-gov-") => ("aws-us-gov", "amazonaws.com"),
                    Some(_) => ("aws", "amazonaws.com"),
                    None => return None,
                };
                let mut m = Map::new();
                m.insert("partition".into(), Value::str(partition));
                m.insert("id".into(), Value::str(partition));
                m.insert("dnsSuffix".into(), Value::str(suffix));
                Some(Value::Map(m))
            }
            _ => None,
        }
    }

    /// A string with `${...}`: the value itself when it is one
    /// interpolation, else the parts joined (unknown when one part is).
    pub(super) fn interpolate(&self, s: &str, path: &[&str]) -> Result<Value, PulumiError> {
        if !s.contains("${") {
            return Ok(Value::str(s));
        }
        let mut parts: Vec<Value> = Vec::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            // `$${` is a literal `${`.
            if start > 0 && rest[..start].ends_with('$') {
                parts.push(Value::str(&rest[..start - 1]));
                parts.push(Value::str("${"));
                rest = &rest[start + 2..];
                continue;
            }
            let Some(len) = rest[start..].find('}') else {
                return Err(self.fail(path, format!("unterminated `${{` in `{s}`")));
            };
            if start > 0 {
                parts.push(Value::str(&rest[..start]));
            }
            let expr = rest[start + 2..start + len].trim();
            parts.push(self.reference(expr, path)?);
            rest = &rest[start + len + 1..];
        }
        if !rest.is_empty() {
            parts.push(Value::str(rest));
        }
        if parts.len() == 1 {
            return Ok(parts.remove(0));
        }
        Ok(concat(&parts, ""))
    }

    /// `name`, `name.a.b`, `name[0].c`, `pulumi.stack`.
    fn reference(&self, expr: &str, path: &[&str]) -> Result<Value, PulumiError> {
        let (head, tail) = split_head(expr);
        if head == "pulumi" {
            return match tail.as_slice() {
                [Seg::Key(k)] if k == "stack" => Ok(Value::str(self.cx.stack)),
                [Seg::Key(k)] if k == "project" => Ok(Value::str(self.cx.project)),
                _ => Ok(Value::Unknown(expr.to_string())),
            };
        }
        if let Some(res) = self.scope.resources.get(head) {
            if res.component.is_some() {
                // A component instance: its outputs, evaluated.
                let outputs = self.instance(head, path)?;
                let Some(first) = tail.first() else {
                    return Ok(Value::Map(outputs));
                };
                let key = first.text();
                let Some(v) = outputs.get(&key) else {
                    return Err(self.fail(
                        path,
                        format!("`${{{expr}}}`: component `{head}` has no output `{key}`"),
                    ));
                };
                return self.walk(v.clone(), &tail[1..], expr, path);
            }
            let mut text = res.address.clone();
            if tail.is_empty() {
                text.push_str(".id");
            }
            for seg in &tail {
                match seg {
                    Seg::Key(k) => {
                        text.push('.');
                        text.push_str(&crate::sources::cloudformation::eval::snake(k));
                    }
                    Seg::Index(i) => text.push_str(&format!("[{i}]")),
                }
            }
            return Ok(Value::Unknown(text));
        }
        let base = if let Some(v) = self.variable(head, path)? {
            v
        } else if let Some(v) = self.config.get(head) {
            self.used.borrow_mut().push(head.to_string());
            v.clone()
        } else if self.declared.iter().any(|d| d == head) {
            return Err(self.fail(
                path,
                format!("`${{{expr}}}`: configuration key `{head}` has no value for stack `{}` and no default (Pulumi would ask for it)", self.cx.stack),
            ));
        } else {
            return Err(self.fail(
                path,
                format!("`${{{expr}}}`: `{head}` is no configuration key, variable or resource of the program"),
            ));
        };
        self.walk(base, &tail, expr, path)
    }

    /// `.a[0].b` taken from a value.
    fn walk(
        &self,
        base: Value,
        tail: &[Seg],
        expr: &str,
        path: &[&str],
    ) -> Result<Value, PulumiError> {
        let mut cur = base;
        for seg in tail {
            let marked = cur.is_marked();
            let inner = cur.unmarked().clone();
            let next = match (seg, &inner) {
                (_, Value::Unknown(t)) => Value::Unknown(format!("{t}.{}", seg.text())),
                (Seg::Key(k), Value::Map(m)) => m.get(k).cloned().unwrap_or_default(),
                (Seg::Index(i), Value::List(items)) => items.get(*i).cloned().unwrap_or_default(),
                _ => {
                    return Err(self.fail(
                        path,
                        format!(
                            "`${{{expr}}}`: `{}` cannot be taken from a {}",
                            seg.text(),
                            inner.type_name()
                        ),
                    ))
                }
            };
            cur = if marked { next.mark() } else { next };
        }
        Ok(cur)
    }

    fn variable(&self, name: &str, path: &[&str]) -> Result<Option<Value>, PulumiError> {
        let Some(def) = self.scope.variables.get(name) else {
            return Ok(None);
        };
        if let Some((v, used)) = self.cache.borrow().get(name) {
            self.used.borrow_mut().extend(used.iter().cloned());
            return Ok(Some(v.clone()));
        }
        if self.active.borrow().iter().any(|a| a == name) {
            return Err(self.fail(
                path,
                format!(
                    "variable `{name}` refers to itself ({})",
                    self.active.borrow().join(" → ")
                ),
            ));
        }
        self.active.borrow_mut().push(name.to_string());
        let outer = self.used.take();
        let v = self.eval(def, &["variables", name]);
        let used = self.used.replace(outer);
        self.active.borrow_mut().pop();
        let v = v?;
        self.used.borrow_mut().extend(used.iter().cloned());
        self.cache
            .borrow_mut()
            .insert(name.to_string(), (v.clone(), used));
        Ok(Some(v))
    }
}

/// Parts joined into one string: unknown when a part is, marked when a
/// part is.
fn concat(parts: &[Value], sep: &str) -> Value {
    let marked = parts.iter().any(Value::contains_marked);
    let plain: Vec<Value> = parts.iter().map(|p| p.clone().unmark_deep().0).collect();
    let out = if plain.iter().any(Value::contains_unknown) {
        Value::Unknown(
            plain
                .iter()
                .map(|p| match p {
                    Value::Unknown(t) => format!("${{{t}}}"),
                    other => other.display(),
                })
                .collect::<Vec<_>>()
                .join(sep),
        )
    } else {
        Value::String(
            plain
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    other => other.display(),
                })
                .collect::<Vec<_>>()
                .join(sep),
        )
    };
    if marked {
        out.mark()
    } else {
        out
    }
}

pub(super) enum Seg {
    Key(String),
    Index(usize),
}

impl Seg {
    fn text(&self) -> String {
        match self {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => format!("[{i}]"),
        }
    }
}

/// `a.b[0].c` → (`a`, [b, 0, c]).
pub(super) fn split_head(expr: &str) -> (&str, Vec<Seg>) {
    let end = expr.find(['.', '[']).unwrap_or(expr.len());
    let head = &expr[..end];
    let mut segs = Vec::new();
    let mut rest = &expr[end..];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let e = r.find(['.', '[']).unwrap_or(r.len());
            segs.push(Seg::Key(r[..e].to_string()));
            rest = &r[e..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let e = r.find(']').unwrap_or(r.len());
            let inner = r[..e].trim().trim_matches('"');
            match inner.parse::<usize>() {
                Ok(i) => segs.push(Seg::Index(i)),
                Err(_) => segs.push(Seg::Key(inner.to_string())),
            }
            rest = r.get(e + 1..).unwrap_or_default();
        } else {
            break;
        }
    }
    (head, segs)
}

/// `${name}` alone → `name` (a resource option naming a resource).
pub(super) fn single_ref(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("${")?.strip_suffix('}')?;
    (!inner.contains("${") && !inner.contains('}')).then_some(inner.trim())
}

/// Gaps by file:line, kept in order.
pub(super) type Gaps = RefCell<BTreeMap<String, String>>;
