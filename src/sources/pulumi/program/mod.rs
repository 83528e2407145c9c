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
//! `fn::join`, `fn::split`, `fn::select`, `fn::toJSON`, `fn::secret`, and
//! `fn::invoke` where the configuration answers it (`getRegion`,
//! `getPartition`). A reference to a resource's property is known only
//! after `pulumi up`: a symbolic reference to its Terraform address
//! (`aws_security_group.dbSg.id`), as Terraform code's references are.
//! Other provider functions (data sources) and the asset functions are
//! unknown, each a coverage gap. Resource `options` (`parent`, `provider`,
//! `dependsOn`, ...) are checked; a `parent` that is a component gives its
//! children a module prefix, as in the export. `components` (Pulumi YAML
//! component definitions) are instantiated where the program uses them;
//! `outputs` are the stack's outputs record.

mod eval;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value as Json;

use self::eval::{single_ref, Eval, Gaps};
use super::{at, export::STACK_OUTPUTS, mapping, stack_config, urn, PulumiError};
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
    let mut config_at: HashMap<String, Location> = HashMap::new();
    if let Some(path) = &config_path {
        let cshown = super::display(&opts.base, path);
        let ctext = super::read_text(path, &cshown, false)?;
        let (values, clines) = stack_config::values(&ctext, &cshown)?;
        let cfile: Arc<str> = Arc::from(cshown.as_str());
        for (k, v) in values {
            let here = Location::new(cfile.clone(), clines.line(&["config", &k]));
            let bare = k.strip_prefix(&format!("{project}:")).map(str::to_string);
            if let Some(b) = bare {
                config.insert(b.clone(), v.clone());
                config_at.insert(b, here.clone());
            }
            config.insert(k.clone(), v);
            config_at.insert(k, here);
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

    let empty = serde_json::Map::new();
    let section = |name: &str| -> Result<&serde_json::Map<String, Json>, PulumiError> {
        match top.get(name) {
            None | Some(Json::Null) => Ok(&empty),
            Some(Json::Object(m)) => Ok(m),
            Some(_) => Err(invalid(&[name], format!("`{name}` must be a mapping"))),
        }
    };
    let cx = Ctx {
        shown: &shown,
        file: Arc::from(shown.as_str()),
        lines: &lines,
        stack: &opts.stack,
        project: &project,
        components: section("components")?,
        normalizer: &opts.normalizer,
        empty: serde_json::Map::new(),
        resources: RefCell::new(Vec::new()),
        providers: RefCell::new(Vec::new()),
        gaps: RefCell::new(BTreeMap::new()),
    };
    let scope = cx.scope(Vec::new(), section("resources")?, section("variables")?, "")?;
    let ev = Eval {
        cx: &cx,
        scope,
        config,
        declared: declared_keys,
        config_at,
        cache: RefCell::new(HashMap::new()),
        active: RefCell::new(Vec::new()),
        used: RefCell::new(Vec::new()),
        instances: RefCell::new(HashMap::new()),
        depth: 0,
        inherited: HashMap::new(),
    };
    ev.emit()?;
    let outputs = section("outputs")?;
    if top.contains_key("outputs") {
        let mut rec = Resource::new(
            STACK_OUTPUTS,
            "pulumi_stack",
            Location::new(cx.file.clone(), lines.line(&["outputs"])),
        );
        for (k, v) in outputs {
            let (value, loc) = ev.eval_located(v, &["outputs", k])?;
            let loc =
                loc.unwrap_or_else(|| Location::new(cx.file.clone(), lines.line(&["outputs", k])));
            rec.locate(k.clone(), loc);
            rec.attributes.insert(k.clone(), value);
        }
        crate::normalize::seal(&mut rec, &opts.normalizer);
        snap.dependencies.push(rec);
    }
    drop(ev);
    snap.resources = cx.resources.into_inner();
    snap.dependencies.extend(cx.providers.into_inner());
    snap.coverage.extend(
        cx.gaps
            .into_inner()
            .into_iter()
            .map(|(what, reason)| CoverageGap { what, reason }),
    );
    snap.resources.sort_by(|a, b| a.address.cmp(&b.address));
    snap.dependencies.sort_by(|a, b| a.address.cmp(&b.address));
    snap.coverage.sort();
    snap.coverage.dedup();
    Ok(snap)
}

/// What one program's evaluation shares across its scopes (the program
/// and each component instance).
struct Ctx<'a> {
    shown: &'a str,
    file: Arc<str>,
    lines: &'a Lines,
    stack: &'a str,
    project: &'a str,
    /// `components:` of Pulumi.yaml: definitions by name.
    components: &'a serde_json::Map<String, Json>,
    normalizer: &'a Normalizer,
    /// An empty section.
    empty: serde_json::Map<String, Json>,
    /// What the evaluation gives: resources and provider records.
    resources: RefCell<Vec<Resource>>,
    providers: RefCell<Vec<Resource>>,
    gaps: Gaps,
}

/// One scope's declarations: the program's, or a component's.
struct Scope<'a> {
    /// Where the scope is in Pulumi.yaml (`components`, `<name>`); empty
    /// for the program.
    base: Vec<&'a str>,
    resources: HashMap<&'a str, Res<'a>>,
    /// Resource names in the order they are written.
    order: Vec<&'a str>,
    variables: &'a serde_json::Map<String, Json>,
}

/// One resource of a scope.
struct Res<'a> {
    address: String,
    token: &'a str,
    /// The component definition (name, definition) it instantiates.
    component: Option<(&'a str, &'a Json)>,
    def: &'a Json,
    /// The prefix of the resources it is the parent of: its own, and
    /// `module.<name>.` when it is a component.
    children: String,
}

/// The resource options Pulumi YAML accepts.
const REFERENCE_OPTIONS: &[&str] = &[
    "provider",
    "providers",
    "dependsOn",
    "deletedWith",
    "replaceWith",
];
const VALUE_OPTIONS: &[&str] = &[
    "aliases",
    "customTimeouts",
    "deleteBeforeReplace",
    "envVarMappings",
    "hideDiffs",
    "ignoreChanges",
    "import",
    "pluginDownloadURL",
    "protect",
    "replaceOnChanges",
    "replacementTrigger",
    "retainOnDelete",
    "version",
];

/// Component instances nested deeper than this are an error (a component
/// that instantiates itself).
const MAX_DEPTH: usize = 16;

impl<'a> Ctx<'a> {
    fn fail(&self, path: &[&str], message: String) -> PulumiError {
        PulumiError::Invalid {
            location: at(self.shown, self.lines.line(path)),
            message,
        }
    }

    /// The component definition a token names: `<project>:index:<name>`
    /// (or `<project>:<name>`) with `<name>` under `components:`.
    fn component_of(&self, token: &str) -> Option<(&'a str, &'a Json)> {
        let parts: Vec<&str> = token.split(':').collect();
        let (pkg, name) = match parts.as_slice() {
            [pkg, _, name] | [pkg, name] => (*pkg, *name),
            _ => return None,
        };
        if pkg != self.project {
            return None;
        }
        self.components
            .get_key_value(name)
            .map(|(k, v)| (k.as_str(), v))
    }

    /// A scope's resources addressed: `prefix`, then `module.<name>.` for
    /// each component `parent` above the resource, then its type and name.
    fn scope(
        &self,
        base: Vec<&'a str>,
        defs: &'a serde_json::Map<String, Json>,
        variables: &'a serde_json::Map<String, Json>,
        prefix: &str,
    ) -> Result<Scope<'a>, PulumiError> {
        fn here<'p>(base: &[&'p str], path: &[&'p str]) -> Vec<&'p str> {
            base.iter().chain(path).copied().collect()
        }
        let mut tokens: HashMap<&'a str, &'a str> = HashMap::new();
        let mut parents: HashMap<&'a str, &'a str> = HashMap::new();
        let mut order = Vec::new();
        for (name, def) in defs {
            let name = name.as_str();
            order.push(name);
            let Some(token) = def.get("type").and_then(Json::as_str) else {
                return Err(self.fail(
                    &here(&base, &["resources", name]),
                    format!("resource `{name}` has no `type`"),
                ));
            };
            tokens.insert(name, token);
            let Some(p) = def.get("options").and_then(|o| o.get("parent")) else {
                continue;
            };
            let parent = p
                .as_str()
                .and_then(single_ref)
                .and_then(|n| defs.get_key_value(n))
                .map(|(k, _)| k.as_str());
            let Some(parent) = parent else {
                return Err(self.fail(
                    &here(&base, &["resources", name, "options", "parent"]),
                    format!(
                        "`parent` of `{name}` names a resource of the program (`${{name}}`), not `{}`",
                        p.as_str().unwrap_or("a non-string")
                    ),
                ));
            };
            parents.insert(name, parent);
        }
        let mut resources = HashMap::new();
        for &name in &order {
            // The ancestors, innermost first; a chain longer than the
            // scope is a cycle.
            let mut chain = Vec::new();
            let mut cur = parents.get(name).copied();
            while let Some(p) = cur {
                if chain.len() > order.len() {
                    return Err(self.fail(
                        &here(&base, &["resources", name, "options", "parent"]),
                        format!("the `parent` chain of `{name}` is a cycle"),
                    ));
                }
                chain.push(p);
                cur = parents.get(p).copied();
            }
            let mut own = prefix.to_string();
            for p in chain.iter().rev() {
                if self.component_of(tokens[p]).is_some() {
                    own.push_str(&format!("module.{}.", urn::segment(p)));
                }
            }
            let token = tokens[name];
            let component = self.component_of(token);
            let children = match component {
                Some(_) => format!("{own}module.{}.", urn::segment(name)),
                None => own.clone(),
            };
            let address = format!("{own}{}.{}", mapping::model_type(token), urn::segment(name));
            resources.insert(
                name,
                Res {
                    address,
                    token,
                    component,
                    def: &defs[name],
                    children,
                },
            );
        }
        Ok(Scope {
            base,
            resources,
            order,
            variables,
        })
    }
}

impl<'a> Eval<'a> {
    /// Evaluate the scope's resources into the context.
    fn emit(&self) -> Result<(), PulumiError> {
        for &name in &self.scope.order {
            let res = &self.scope.resources[name];
            let secret_outputs = self.options(name, res)?;
            if res.def.get("get").is_some() {
                self.eval(&res.def["get"], &["resources", name, "get"])?;
                self.gap(
                    &["resources", name],
                    format!("resource `{name}` is read with `get` (a resource the program does not manage): not compared"),
                );
                continue;
            }
            if res.component.is_some() {
                self.instance(name, &["resources", name])?;
                continue;
            }
            let mut props = Map::new();
            let mut located = Vec::new();
            let mut traced = Vec::new();
            match res.def.get("properties") {
                None | Some(Json::Null) => {}
                Some(Json::Object(p)) => {
                    for (k, v) in p {
                        let here = ["resources", name, "properties", k.as_str()];
                        let (value, from_config, used) = self.eval_traced(v, &here)?;
                        let loc = from_config.or_else(|| {
                            self.line(&here)
                                .map(|l| Location::new(self.cx.file.clone(), Some(l)))
                        });
                        located.push((k.clone(), loc));
                        let inputs = self.config_inputs(&used);
                        if !inputs.is_empty() {
                            traced.push((k.clone(), inputs));
                        }
                        props.insert(k.clone(), value);
                    }
                }
                Some(_) => {
                    return Err(self.fail(
                        &["resources", name, "properties"],
                        "`properties` must be a mapping".into(),
                    ))
                }
            }
            let location = Location::new(self.cx.file.clone(), self.line(&["resources", name]));
            if let Some(package) = res.token.strip_prefix("pulumi:providers:") {
                let fqn = format!("pulumi/{package}");
                let mut r = Resource::new(
                    format!("{}provider[\"{fqn}\"].{}", res.children, urn::segment(name)),
                    "terraform_provider",
                    location,
                );
                r.attributes = props;
                r.attributes.insert("source".into(), Value::str(&fqn));
                if let Some(v) = res
                    .def
                    .get("options")
                    .and_then(|o| o.get("version"))
                    .and_then(Json::as_str)
                {
                    r.attributes.insert("locked_version".into(), Value::str(v));
                }
                crate::normalize::seal(&mut r, self.cx.normalizer);
                self.cx.providers.borrow_mut().push(r);
                continue;
            }
            let rtype = mapping::model_type(res.token);
            let mut r = Resource::new(res.address.clone(), rtype, location);
            for (k, loc) in located {
                if let Some(loc) = loc {
                    r.locate(mapping::attribute_for(res.token, &k), loc);
                }
            }
            r.provenance = Arc::new(
                traced
                    .into_iter()
                    .map(|(k, i)| (mapping::attribute_for(res.token, &k), i))
                    .collect(),
            );
            r.attributes = mapping::attributes(res.token, props);
            // `additionalSecretOutputs`: Pulumi keeps these secret.
            for p in secret_outputs {
                let attr = mapping::attribute_for(res.token, &p);
                if let Some(v) = r.attributes.remove(&attr) {
                    r.attributes.insert(attr, v.mark());
                }
            }
            crate::normalize::seal(&mut r, self.cx.normalizer);
            self.cx.resources.borrow_mut().push(r);
        }
        Ok(())
    }

    /// Check a resource's `options`; the properties listed in
    /// `additionalSecretOutputs`.
    fn options(&self, name: &str, res: &Res<'_>) -> Result<Vec<String>, PulumiError> {
        let o = match res.def.get("options") {
            None | Some(Json::Null) => return Ok(Vec::new()),
            Some(Json::Object(o)) => o,
            Some(_) => {
                return Err(self.fail(
                    &["resources", name, "options"],
                    "`options` must be a mapping".into(),
                ))
            }
        };
        let mut secret = Vec::new();
        for (k, v) in o {
            let here = ["resources", name, "options", k.as_str()];
            match k.as_str() {
                // Checked when the scope was addressed.
                "parent" => {}
                k if REFERENCE_OPTIONS.contains(&k) => {
                    let refs: Vec<&Json> = match v {
                        Json::Array(items) => items.iter().collect(),
                        Json::Object(m) => m.values().collect(),
                        other => vec![other],
                    };
                    for r in refs {
                        let named = r
                            .as_str()
                            .and_then(single_ref)
                            .map(|e| eval::split_head(e).0);
                        match named {
                            Some(n) if self.scope.resources.contains_key(n) => {}
                            _ => {
                                return Err(self.fail(
                                    &here,
                                    format!(
                                        "`{k}` of `{name}` names resources of the program (`${{name}}`), not `{}`",
                                        r.as_str().map_or_else(|| r.to_string(), str::to_string)
                                    ),
                                ))
                            }
                        }
                    }
                }
                "additionalSecretOutputs" => match self.eval(v, &here)? {
                    Value::List(items) => {
                        secret.extend(items.iter().filter_map(|i| i.as_str().map(str::to_string)))
                    }
                    _ => {
                        return Err(self.fail(
                            &here,
                            "`additionalSecretOutputs` is a list of property names".into(),
                        ))
                    }
                },
                k if VALUE_OPTIONS.contains(&k) => {
                    self.eval(v, &here)?;
                }
                other => {
                    return Err(self.fail(
                        &here,
                        format!("`{other}` is not a resource option of Pulumi YAML"),
                    ))
                }
            }
        }
        Ok(secret)
    }

    /// Instantiate the component resource `name` (once): its properties
    /// are the inputs of its definition, whose resources are evaluated
    /// under `module.<name>.`; its outputs are returned.
    fn instance(&self, name: &str, path: &[&str]) -> Result<Map, PulumiError> {
        if let Some(o) = self.instances.borrow().get(name) {
            return Ok(o.clone());
        }
        let res = &self.scope.resources[name];
        let Some((cname, cdef)) = res.component else {
            return Ok(Map::new());
        };
        let key = format!("component {name}");
        if self.active.borrow().contains(&key) || self.depth >= MAX_DEPTH {
            return Err(self.fail(
                path,
                format!("component `{name}` ({}) contains itself", res.token),
            ));
        }
        let Json::Object(cdef) = cdef else {
            return Err(self.cx.fail(
                &["components", cname],
                format!("component `{cname}` must be a mapping"),
            ));
        };
        self.active.borrow_mut().push(key);
        let result = self.instantiate(name, res, cname, cdef);
        self.active.borrow_mut().pop();
        let outputs = result?;
        self.instances
            .borrow_mut()
            .insert(name.to_string(), outputs.clone());
        Ok(outputs)
    }

    fn instantiate(
        &self,
        name: &str,
        res: &Res<'a>,
        cname: &'a str,
        cdef: &'a serde_json::Map<String, Json>,
    ) -> Result<Map, PulumiError> {
        let mut inputs = HashMap::new();
        let mut inputs_at = HashMap::new();
        let mut inherited = HashMap::new();
        match res.def.get("properties") {
            None | Some(Json::Null) => {}
            Some(Json::Object(p)) => {
                for (k, v) in p {
                    let (value, loc, used) =
                        self.eval_traced(v, &["resources", name, "properties", k.as_str()])?;
                    if let Some(l) = loc {
                        inputs_at.insert(k.clone(), l);
                    }
                    let from = self.config_inputs(&used);
                    if !from.is_empty() {
                        inherited.insert(k.clone(), from.iter().cloned().collect());
                    }
                    inputs.insert(k.clone(), value);
                }
            }
            Some(_) => {
                return Err(self.fail(
                    &["resources", name, "properties"],
                    "`properties` must be a mapping".into(),
                ))
            }
        }
        let mut declared = Vec::new();
        if let Some(Json::Object(decl)) = cdef.get("inputs") {
            for (k, d) in decl {
                declared.push(k.clone());
                if let Some(default) = d.get("default") {
                    inputs
                        .entry(k.clone())
                        .or_insert_with(|| stack_config::value(default));
                }
            }
        }
        let section = |s: &str| -> Result<&'a serde_json::Map<String, Json>, PulumiError> {
            match cdef.get(s) {
                None | Some(Json::Null) => Ok(&self.cx.empty),
                Some(Json::Object(m)) => Ok(m),
                Some(_) => Err(self.cx.fail(
                    &["components", cname, s],
                    format!("`{s}` of component `{cname}` must be a mapping"),
                )),
            }
        };
        let scope = self.cx.scope(
            vec!["components", cname],
            section("resources")?,
            section("variables")?,
            &res.children,
        )?;
        let inner = Eval {
            cx: self.cx,
            scope,
            config: inputs,
            declared,
            config_at: inputs_at,
            cache: RefCell::new(HashMap::new()),
            active: RefCell::new(Vec::new()),
            used: RefCell::new(Vec::new()),
            instances: RefCell::new(HashMap::new()),
            depth: self.depth + 1,
            inherited,
        };
        inner.emit()?;
        let mut outputs = Map::new();
        for (k, v) in section("outputs")? {
            outputs.insert(k.clone(), inner.eval(v, &["outputs", k.as_str()])?);
        }
        Ok(outputs)
    }
}
#[cfg(test)]
mod tests;
