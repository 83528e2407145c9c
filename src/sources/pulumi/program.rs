//! Pulumi YAML programs (`Pulumi.yaml` with `runtime: yaml`) as the code
//! source: the program evaluated with one stack's configuration, into the
//! same model as the stack's export (`--source code`).
//!
//! ```yaml
//! name: shop
//! runtime: yaml
//! config:
//!   dbInstanceClass: { type: string, default: db.t3.medium }
//! variables:
//!   prefix: shop-${pulumi.stack}
//! resources:
//!   db:
//!     type: aws:rds/instance:Instance
//!     properties:
//!       instanceClass: ${dbInstanceClass}
//!       vpcSecurityGroupIds: ["${dbSg.id}"]
//! ```
//!
//! What is evaluated: configuration (the stack's values, then the
//! project's defaults; `secure:` values are secrets whose value is not
//! known), `variables`, `${...}` interpolation (`${name}`, `${name.a.b}`,
//! `${name[0]}`, `${pulumi.stack}`, `${pulumi.project}`), and the functions
//! `fn::join`, `fn::split`, `fn::select`, `fn::toJSON`, `fn::secret`. A
//! reference to a resource's property is known only after `pulumi up`: a
//! symbolic reference to its Terraform address (`aws_security_group.dbSg.id`),
//! as Terraform code's references are. `fn::invoke` (a provider function,
//! a data source) and the other functions are unknown, each a coverage gap.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value as Json;

use super::{at, mapping, stack_config, urn, PulumiError};
use crate::model::{CoverageGap, Location, Map, Resource, Snapshot, SourceKind, Value};
use crate::normalize::Normalizer;
use crate::sources::cloudformation::template::{self, Lines};

/// What to read for one environment's program.
#[derive(Debug, Clone)]
pub struct ProgramOptions {
    pub environment: String,
    /// The directory of `Pulumi.yaml`.
    pub program: PathBuf,
    /// The stack: its configuration is `Pulumi.<stack>.yaml` beside the
    /// program unless `config` names another file.
    pub stack: String,
    pub config: Option<PathBuf>,
    pub base: PathBuf,
    pub normalizer: Normalizer,
}

/// Functions that are not evaluated: their value is unknown.
const UNKNOWN_FUNCTIONS: &[&str] = &[
    "fn::invoke",
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

/// Read and evaluate one stack of a Pulumi YAML program.
pub fn load(opts: &ProgramOptions) -> Result<Snapshot, PulumiError> {
    let file = ["Pulumi.yaml", "Pulumi.yml"]
        .iter()
        .map(|f| opts.program.join(f))
        .find(|p| p.is_file())
        .ok_or_else(|| PulumiError::Invalid {
            location: super::display(&opts.base, &opts.program),
            message: "no Pulumi.yaml here: `program` names the directory of a Pulumi project"
                .into(),
        })?;
    let shown = super::display(&opts.base, &file);
    let text = super::read_text(&file, &shown, false)?;
    let (tree, lines) = template::parse(&text).map_err(|e| PulumiError::Invalid {
        location: at(&shown, e.line),
        message: format!("not a valid Pulumi.yaml: {}", e.message),
    })?;
    let invalid = |path: &[&str], message: String| PulumiError::Invalid {
        location: at(&shown, lines.line(path)),
        message,
    };
    let Json::Object(top) = &tree else {
        return Err(invalid(
            &[],
            "Pulumi.yaml is a mapping (`name:`, `runtime:`, ...)".into(),
        ));
    };
    let project = top
        .get("name")
        .and_then(Json::as_str)
        .ok_or_else(|| invalid(&["name"], "Pulumi.yaml has no `name`".into()))?
        .to_string();
    let runtime = match top.get("runtime") {
        Some(Json::String(r)) => r.clone(),
        Some(Json::Object(m)) => m
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    if runtime != "yaml" {
        return Err(invalid(
            &["runtime"],
            format!(
                "runtime `{runtime}`: only Pulumi YAML programs are read as code; compare this project's stacks with --source state (their `pulumi stack export`)"
            ),
        ));
    }

    // The stack's configuration, then the project's declared defaults.
    let config_path = opts.config.clone().or_else(|| {
        ["yaml", "yml"]
            .iter()
            .map(|e| opts.program.join(format!("Pulumi.{}.{e}", opts.stack)))
            .find(|p| p.is_file())
    });
    let mut snap = Snapshot::new(opts.environment.clone(), SourceKind::Code);
    let mut config: HashMap<String, Value> = HashMap::new();
    if let Some(path) = &config_path {
        let cshown = super::display(&opts.base, path);
        let ctext = super::read_text(path, &cshown, false)?;
        let (values, _) = stack_config::values(&ctext, &cshown)?;
        for (k, v) in values {
            let bare = k.strip_prefix(&format!("{project}:")).map(str::to_string);
            if let Some(b) = bare {
                config.insert(b, v.clone());
            }
            config.insert(k, v);
        }
        let (record, gaps) = stack_config::read(&ctext, &cshown, &opts.normalizer)?;
        snap.dependencies.push(record);
        snap.coverage.extend(gaps);
    }
    let mut declared_keys = Vec::new();
    if let Some(Json::Object(declared)) = top.get("config") {
        for (k, decl) in declared {
            let key = k
                .strip_prefix(&format!("{project}:"))
                .unwrap_or(k)
                .to_string();
            declared_keys.push(key.clone());
            if config.contains_key(&key) {
                continue;
            }
            let default = match decl {
                Json::Object(d) => d.get("default").or_else(|| d.get("value")),
                other => Some(other),
            };
            if let Some(d) = default {
                config.insert(key, stack_config::value(d));
            }
        }
    }

    let file_arc: Arc<str> = Arc::from(shown.as_str());
    let empty = serde_json::Map::new();
    let section = |name: &str| -> Result<&serde_json::Map<String, Json>, PulumiError> {
        match top.get(name) {
            None | Some(Json::Null) => Ok(&empty),
            Some(Json::Object(m)) => Ok(m),
            Some(_) => Err(invalid(&[name], format!("`{name}` must be a mapping"))),
        }
    };
    let resources = section("resources")?;
    let variables = section("variables")?;
    let mut types: HashMap<&str, (String, &str)> = HashMap::new();
    for (name, def) in resources {
        let Some(token) = def.get("type").and_then(Json::as_str) else {
            return Err(invalid(
                &["resources", name],
                format!("resource `{name}` has no `type`"),
            ));
        };
        let address = format!("{}.{}", mapping::model_type(token), urn::segment(name));
        types.insert(name.as_str(), (address, token));
    }
    let ev = Eval {
        shown: &shown,
        lines: &lines,
        config,
        declared: declared_keys,
        variables,
        resources: &types,
        stack: &opts.stack,
        project: &project,
        cache: RefCell::new(HashMap::new()),
        active: RefCell::new(Vec::new()),
        gaps: RefCell::new(BTreeMap::new()),
    };
    for (name, def) in resources {
        let (address, token) = &types[name.as_str()];
        let path = ["resources", name.as_str(), "properties"];
        let mut props = Map::new();
        match def.get("properties") {
            None | Some(Json::Null) => {}
            Some(Json::Object(p)) => {
                for (k, v) in p {
                    let here = ["resources", name.as_str(), "properties", k.as_str()];
                    props.insert(k.clone(), ev.eval(v, &here)?);
                }
            }
            Some(_) => return Err(invalid(&path, "`properties` must be a mapping".into())),
        }
        let line = lines.line(&["resources", name]);
        let mut r = Resource::new(
            address.clone(),
            mapping::model_type(token),
            Location::new(file_arc.clone(), line),
        );
        for k in props.keys() {
            if let Some(l) = lines.line(&["resources", name, "properties", k]) {
                r.locate(
                    mapping::attribute_for(token, k),
                    Location::new(file_arc.clone(), Some(l)),
                );
            }
        }
        r.attributes = mapping::attributes(token, props);
        crate::normalize::seal(&mut r, &opts.normalizer);
        snap.resources.push(r);
    }
    snap.coverage.extend(
        ev.gaps
            .into_inner()
            .into_iter()
            .map(|(what, reason)| CoverageGap { what, reason }),
    );
    snap.resources.sort_by(|a, b| a.address.cmp(&b.address));
    snap.coverage.sort();
    snap.coverage.dedup();
    Ok(snap)
}

/// The evaluation of one program for one stack.
struct Eval<'a> {
    shown: &'a str,
    lines: &'a Lines,
    config: HashMap<String, Value>,
    /// Keys the project declares (`config:` of Pulumi.yaml).
    declared: Vec<String>,
    variables: &'a serde_json::Map<String, Json>,
    /// Resource name → (address, token).
    resources: &'a HashMap<&'a str, (String, &'a str)>,
    stack: &'a str,
    project: &'a str,
    /// Variables evaluated so far.
    cache: RefCell<HashMap<String, Value>>,
    /// Variables being evaluated (a cycle is an error).
    active: RefCell<Vec<String>>,
    /// file:line → why something is unknown.
    gaps: RefCell<BTreeMap<String, String>>,
}

impl Eval<'_> {
    fn fail(&self, path: &[&str], message: String) -> PulumiError {
        PulumiError::Invalid {
            location: at(self.shown, self.lines.line(path)),
            message,
        }
    }

    fn gap(&self, path: &[&str], reason: String) {
        self.gaps
            .borrow_mut()
            .entry(at(self.shown, self.lines.line(path)))
            .or_insert(reason);
    }

    fn eval(&self, j: &Json, path: &[&str]) -> Result<Value, PulumiError> {
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
            f if UNKNOWN_FUNCTIONS.contains(&f) => {
                let what = match (f, arg.get("function").and_then(Json::as_str)) {
                    ("fn::invoke", Some(func)) => format!("fn::invoke {func}"),
                    _ => f.to_string(),
                };
                self.gap(
                    path,
                    format!("{what} is not evaluated: its value is unknown"),
                );
                Ok(Value::Unknown(what))
            }
            other => Err(self.fail(path, format!("unknown function `{other}`"))),
        }
    }

    /// A string with `${...}`: the value itself when it is one
    /// interpolation, else the parts joined (unknown when one part is).
    fn interpolate(&self, s: &str, path: &[&str]) -> Result<Value, PulumiError> {
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
                [Seg::Key(k)] if k == "stack" => Ok(Value::str(self.stack)),
                [Seg::Key(k)] if k == "project" => Ok(Value::str(self.project)),
                _ => Ok(Value::Unknown(expr.to_string())),
            };
        }
        if let Some((address, _)) = self.resources.get(head) {
            let mut text = address.clone();
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
            v.clone()
        } else if self.declared.iter().any(|d| d == head) {
            return Err(self.fail(
                path,
                format!("`${{{expr}}}`: configuration key `{head}` has no value for stack `{}` and no default (Pulumi would ask for it)", self.stack),
            ));
        } else {
            return Err(self.fail(
                path,
                format!("`${{{expr}}}`: `{head}` is no configuration key, variable or resource of the program"),
            ));
        };
        let mut cur = base;
        for seg in &tail {
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
        let Some(def) = self.variables.get(name) else {
            return Ok(None);
        };
        if let Some(v) = self.cache.borrow().get(name) {
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
        let v = self.eval(def, &["variables", name]);
        self.active.borrow_mut().pop();
        let v = v?;
        self.cache.borrow_mut().insert(name.to_string(), v.clone());
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

enum Seg {
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
fn split_head(expr: &str) -> (&str, Vec<Seg>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn load_text(program: &str, config: &str) -> Result<Snapshot, PulumiError> {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("Pulumi.yaml"), program).expect("write");
        std::fs::write(dir.path().join("Pulumi.staging.yaml"), config).expect("write");
        load(&ProgramOptions {
            environment: "staging".into(),
            program: dir.path().to_path_buf(),
            stack: "staging".into(),
            config: None,
            base: dir.path().to_path_buf(),
            normalizer: Normalizer::default(),
        })
    }

    const PROGRAM: &str = "name: shop\nruntime: yaml\nconfig:\n  size:\n    type: integer\n    default: 20\nvariables:\n  prefix: shop-${pulumi.stack}\n  parts:\n    fn::split: [\"-\", \"${prefix}\"]\nresources:\n  sg:\n    type: aws:ec2/securityGroup:SecurityGroup\n    properties:\n      name: ${parts[0]}\n  db:\n    type: aws:rds/instance:Instance\n    properties:\n      allocatedStorage: ${size}\n      identifier: \"${prefix}-db\"\n      password: ${pw}\n      vpcSecurityGroupIds: [\"${sg.id}\"]\n      tags:\n        Team:\n          fn::join: [\"/\", [\"${shop:team}\", \"x\"]]\n";

    #[test]
    fn config_variables_interpolation_and_references_evaluate_per_stack() {
        let snap = load_text(
            PROGRAM,
            "config:\n  shop:team: web\n  shop:pw:\n    secure: v1:abc\n",
        )
        .expect("loads");
        let db = snap
            .resources
            .iter()
            .find(|r| r.address == "aws_db_instance.db")
            .expect("db");
        assert_eq!(db.attributes["allocated_storage"], Value::Number(20.0));
        assert_eq!(db.attributes["identifier"], Value::str("shop-staging-db"));
        assert_eq!(
            db.attributes["vpc_security_group_ids"],
            Value::List(vec![Value::Unknown("aws_security_group.sg.id".into())])
        );
        assert_eq!(
            db.attributes["tags"].get_path("Team"),
            Some(&Value::str("web/x"))
        );
        assert!(
            db.attributes["password"].is_sensitive(),
            "{:?}",
            db.attributes["password"]
        );
        assert_eq!(db.attribute_location("identifier").line, Some(20));
        let sg = snap
            .resources
            .iter()
            .find(|r| r.address == "aws_security_group.sg")
            .expect("sg");
        assert_eq!(sg.attributes["name"], Value::str("shop"));
        // The stack configuration is its record too.
        assert_eq!(snap.dependencies.len(), 1);
    }

    /// Any program gives a snapshot or an error, never a panic: every
    /// prefix of the fixture's program, and copies with one byte changed.
    #[test]
    fn truncated_and_mangled_programs_never_panic() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pulumi-yaml/Pulumi.yaml");
        let text = std::fs::read_to_string(path).expect("fixture");
        let config = "config:\n  shop:dbEngineVersion: \"15.4\"\n  shop:assetActions: [\"s3:*\"]\n  shop:dbPassword:\n    secure: v1:x\n";
        assert!(load_text(&text, config).is_ok());
        for cut in (0..text.len()).step_by(13) {
            if text.is_char_boundary(cut) {
                let _ = load_text(&text[..cut], config);
            }
        }
        let bytes = text.as_bytes();
        for (i, b) in (0..bytes.len()).step_by(29).zip(
            [b'$', b'{', b'}', b'[', b':', b'-', b'"', b'0']
                .iter()
                .cycle(),
        ) {
            let mut copy = bytes.to_vec();
            copy[i] = *b;
            if let Ok(t) = std::str::from_utf8(&copy) {
                let _ = load_text(t, config);
            }
        }
    }

    #[test]
    fn programs_pulumi_would_reject_are_errors_with_lines() {
        let e = load_text(
            "name: shop\nruntime: yaml\nresources:\n  a:\n    type: aws:sqs/queue:Queue\n    properties:\n      name: ${nope}\n",
            "",
        )
        .expect_err("unknown name");
        assert!(e.to_string().contains("Pulumi.yaml:7: `${nope}`"), "{e}");
        let e = load_text(
            "name: shop\nruntime: yaml\nvariables:\n  a: ${b}\n  b: ${a}\nresources:\n  q:\n    type: aws:sqs/queue:Queue\n    properties:\n      name: ${a}\n",
            "",
        )
        .expect_err("cycle");
        assert!(e.to_string().contains("refers to itself"), "{e}");
        let e = load_text(
            "name: shop\nruntime: yaml\nconfig:\n  pw:\n    type: string\nresources:\n  q:\n    type: aws:sqs/queue:Queue\n    properties:\n      name: ${pw}\n",
            "",
        )
        .expect_err("no value");
        assert!(
            e.to_string().contains(
                "Pulumi.yaml:10: `${pw}`: configuration key `pw` has no value for stack `staging`"
            ),
            "{e}"
        );
        let e = load_text("name: shop\nruntime: nodejs\n", "").expect_err("not YAML");
        assert!(
            e.to_string().contains("Pulumi.yaml:2: runtime `nodejs`"),
            "{e}"
        );
        let e = load_text(
            "name: shop\nruntime: yaml\nresources:\n  a:\n    properties: {}\n",
            "",
        )
        .expect_err("no type");
        assert!(
            e.to_string()
                .contains("Pulumi.yaml:4: resource `a` has no `type`"),
            "{e}"
        );
    }
}
