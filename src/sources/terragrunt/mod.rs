//! The Terragrunt code source: a live repository's tree of units
//! (`terragrunt.hcl` files) read as one environment.
//!
//! Each unit's configuration is evaluated here ([`config`]: `locals`,
//! `include` with its merge strategies, `inputs`, `dependency`, the
//! Terragrunt functions in [`functions`], Terraform's through the Terraform
//! source's library); its module (`terraform { source }`) is then loaded by
//! the Terraform source with the unit's inputs as variable values, and its
//! resources are addressed `<unit path>/<Terraform address>`
//! (`mysql/aws_db_instance.this`), the unit path being relative to the
//! environment's root, so units pair across environments whose trees have
//! the same shape. [`locate`] points attributes set from an input at the
//! `terragrunt.hcl` line of that input.
//!
//! Nothing is executed: `run_cmd`, `sops_decrypt_file` and the functions
//! that call AWS are unknown values, listed in coverage.

mod cfg;
mod config;
mod functions;
mod locate;
mod merge;
mod source;

pub use cfg::TerragruntTable;
pub(crate) use source::Terragrunt;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::model::{CoverageGap, Location, Resource, Snapshot, SourceKind, Value};
use crate::sources::terraform::{self, files, parse, TfError};

/// The name of a unit's configuration file.
pub const UNIT_FILE: &str = "terragrunt.hcl";

/// Why a Terragrunt tree could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TgError {
    #[error("{0}")]
    Syntax(#[from] parse::SyntaxError),
    #[error("cannot read {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    /// An expression or block Terragrunt itself would refuse; the message
    /// starts with its file:line.
    #[error("{0}")]
    Eval(String),
    #[error("{location}: include cycle: {chain}")]
    IncludeCycle { location: String, chain: String },
    #[error("{location}: included file {path} does not exist")]
    MissingInclude { location: String, path: String },
    #[error("{location}: dependency cycle: {chain}")]
    DependencyCycle { location: String, chain: String },
    #[error("no {UNIT_FILE} in {0} or below it")]
    NoUnits(String),
    #[error("unit {unit}: {cause}")]
    Terraform { unit: String, cause: TfError },
}

/// What to load for one environment.
#[derive(Debug, Clone)]
pub struct Options {
    pub environment: String,
    /// The directory whose units make up the environment.
    pub root: PathBuf,
    /// Paths in locations are shown relative to this (the config's directory).
    pub base: PathBuf,
    /// What `get_env` reads (never the process's environment).
    pub env: BTreeMap<String, String>,
}

/// Load one environment's Terragrunt tree.
pub fn load(opts: &Options) -> Result<Snapshot, TgError> {
    // Evaluation recurses with the configuration's nesting (locals
    // referring to locals, includes, dependencies): it runs on a thread
    // with a large stack, as the Terraform source's does, so deep but
    // valid input never overflows; include chains are also bounded.
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("parity-terragrunt".into())
            .stack_size(EVAL_STACK)
            .spawn_scoped(scope, || {
                STACK.with(|s| s.set((stack_address(), EVAL_STACK / 4 * 3)));
                load_here(opts)
            }) {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(TgError::Eval(
                    "internal error while evaluating Terragrunt (please report it)".into(),
                ))
            }),
            Err(_) => {
                // The caller's stack, of unknown size: a small budget.
                STACK.with(|s| s.set((stack_address(), 512 << 10)));
                load_here(opts)
            }
        }
    })
}

/// Stack of the evaluation thread (address space; pages are touched only
/// as deep evaluations need them).
const EVAL_STACK: usize = 256 << 20;

thread_local! {
    /// The stack address where this thread's evaluation began, and how
    /// much of the stack it may use (see [`too_deep`]).
    static STACK: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

#[inline(never)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Whether evaluation has used its stack budget: references nested that
/// deep (a chain of locals hundreds of thousands long) end in an error
/// naming where, not in an overflow.
pub(crate) fn too_deep() -> bool {
    let (base, budget) = STACK.with(std::cell::Cell::get);
    base != 0 && base.abs_diff(stack_address()) > budget
}

/// How deep includes may nest (Terragrunt itself allows one level).
pub(crate) const MAX_INCLUDE_DEPTH: usize = 32;

fn load_here(opts: &Options) -> Result<Snapshot, TgError> {
    if !opts.root.is_dir() {
        return Err(TgError::NoUnits(files::display(&opts.base, &opts.root)));
    }
    // Absolute, as Terragrunt's path functions return them; locations
    // are still shown relative to `base`.
    let opts = &Options {
        root: absolute(&opts.root),
        base: absolute(&opts.base),
        ..opts.clone()
    };
    let run = Run::new(opts);
    let units = discover(&opts.root)?;
    if units.is_empty() {
        return Err(TgError::NoUnits(files::display(&opts.base, &opts.root)));
    }
    let mut snapshot = Snapshot::new(opts.environment.clone(), SourceKind::Code);
    for dir in &units {
        let out = run.unit(dir, None)?;
        snapshot.resources.extend(out.resources.iter().cloned());
        snapshot
            .dependencies
            .extend(out.dependencies.iter().cloned());
    }
    // Gaps of every unit read, those read only as dependencies included:
    // their unknown outputs are this environment's unknowns too.
    snapshot.coverage = run.gaps.take();
    for out in run.units.borrow().values() {
        snapshot.coverage.extend(out.coverage.iter().cloned());
    }
    snapshot.resources.sort_by(|a, b| a.address.cmp(&b.address));
    snapshot
        .dependencies
        .sort_by(|a, b| a.address.cmp(&b.address));
    snapshot.coverage.sort();
    snapshot.coverage.dedup();
    Ok(snapshot)
}

/// Every unit directory at or below `root`, sorted; hidden directories
/// (`.terragrunt-cache`, `.terraform`, `.git`) are not entered.
pub fn discover(root: &Path) -> Result<Vec<PathBuf>, TgError> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        if dir.join(UNIT_FILE).is_file() {
            out.push(dir.clone());
        }
        let entries = std::fs::read_dir(&dir).map_err(|cause| TgError::Io {
            path: dir.display().to_string(),
            cause,
        })?;
        for entry in entries.flatten() {
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// One unit as read: its resources (addressed under its path), and its
/// module's outputs when its module was loaded.
#[derive(Debug, Default)]
pub(crate) struct UnitOut {
    resources: Vec<Resource>,
    dependencies: Vec<Resource>,
    coverage: Vec<CoverageGap>,
    outputs: Option<Value>,
    /// Why `outputs` is `None`.
    no_outputs: Option<String>,
}

/// One read of a tree: what is parsed and evaluated once per run.
pub(crate) struct Run<'o> {
    opts: &'o Options,
    /// Parsed configuration files, by path.
    parsed: RefCell<HashMap<PathBuf, Rc<config::Parsed>>>,
    /// Units evaluated, by directory.
    units: RefCell<BTreeMap<PathBuf, Rc<UnitOut>>>,
    /// Units being evaluated, outermost first (dependency cycles).
    stack: RefCell<Vec<PathBuf>>,
    /// `read_terragrunt_config` files being read (cycles).
    pub(crate) reading: RefCell<Vec<PathBuf>>,
    /// What `read_terragrunt_config` returned, by file (and by unit, for a
    /// file that calls `get_original_terragrunt_dir`): read once per run,
    /// not once per unit.
    pub(crate) read_cache: RefCell<HashMap<(PathBuf, Option<PathBuf>), Value>>,
    gaps: RefCell<Vec<CoverageGap>>,
}

impl<'o> Run<'o> {
    fn new(opts: &'o Options) -> Self {
        Run {
            opts,
            parsed: RefCell::default(),
            units: RefCell::default(),
            stack: RefCell::default(),
            reading: RefCell::default(),
            read_cache: RefCell::default(),
            gaps: RefCell::default(),
        }
    }

    pub(crate) fn opts(&self) -> &Options {
        self.opts
    }

    pub(crate) fn gap(&self, what: impl Into<String>, reason: impl Into<String>) {
        self.gaps.borrow_mut().push(CoverageGap {
            what: what.into(),
            reason: reason.into(),
        });
    }

    /// A path as shown to users.
    pub(crate) fn show(&self, path: &Path) -> String {
        files::display(&self.opts.base, path)
    }

    /// A configuration file, parsed once per run.
    pub(crate) fn parse(&self, path: &Path) -> Result<Rc<config::Parsed>, TgError> {
        let key = files::lexical(path);
        if let Some(p) = self.parsed.borrow().get(&key) {
            return Ok(p.clone());
        }
        let shown = self.show(&key);
        let bytes =
            crate::input::read(&key, crate::input::limits().tfvars_file).map_err(|cause| {
                TgError::Io {
                    path: shown.clone(),
                    cause,
                }
            })?;
        let text = parse::decode(&bytes, &shown)?;
        let text = parse::strip_bom(&text).to_string();
        let file = parse::parse_hcl(&text, &key, &shown)?;
        let parsed = Rc::new(config::Parsed::new(file, text, &key));
        self.parsed.borrow_mut().insert(key, parsed.clone());
        Ok(parsed)
    }

    /// The unit in `dir`, evaluated and its module loaded once per run.
    /// `from` is the `dependency` block that asks, for a cycle's message.
    pub(crate) fn unit(&self, dir: &Path, from: Option<&str>) -> Result<Rc<UnitOut>, TgError> {
        let dir = files::lexical(dir);
        if let Some(out) = self.units.borrow().get(&dir) {
            return Ok(out.clone());
        }
        if self.stack.borrow().contains(&dir) {
            let mut chain: Vec<String> = self.stack.borrow().iter().map(|d| self.show(d)).collect();
            chain.push(self.show(&dir));
            return Err(TgError::DependencyCycle {
                location: from.unwrap_or_default().to_string(),
                chain: chain.join(" -> "),
            });
        }
        self.stack.borrow_mut().push(dir.clone());
        let out = self.read_unit(&dir);
        self.stack.borrow_mut().pop();
        let out = Rc::new(out?);
        self.units.borrow_mut().insert(dir, out.clone());
        Ok(out)
    }

    fn read_unit(&self, dir: &Path) -> Result<UnitOut, TgError> {
        let file = dir.join(UNIT_FILE);
        if !file.is_file() {
            return Err(TgError::Eval(format!(
                "{}: {UNIT_FILE} not found",
                self.show(dir)
            )));
        }
        let unit = config::evaluate_unit(self, &file)?;
        let shown_unit = self.show(&file);
        if let Some(line) = unit.skip {
            self.gap(
                format!("{shown_unit}:{line}"),
                "unit skipped (`skip = true`): not compared",
            );
            return Ok(UnitOut {
                no_outputs: Some("the unit is skipped (`skip = true`)".into()),
                ..UnitOut::default()
            });
        }
        let unit_path = self.unit_path(dir);
        // The unit's module as a dependency record, whether it is loaded
        // or not: a ref or version that differs is a finding at its line.
        let record = match &unit.source {
            config::Source::At(source, at) => Some(self.source_record(&unit_path, dir, source, at)),
            _ => None,
        };
        let module_dir = match &unit.source {
            config::Source::Here => dir.to_path_buf(),
            config::Source::Unknown(at) => {
                return Ok(UnitOut {
                    no_outputs: Some(format!("its module source ({at}) is not known statically")),
                    ..UnitOut::default()
                })
            }
            config::Source::At(source, at) => match local_source(source) {
                Some(path) => {
                    let resolved = files::lexical(&dir.join(path));
                    if !resolved.is_dir() {
                        return Err(TgError::Eval(format!(
                            "{at}: module source `{source}`: directory {} does not exist",
                            self.show(&resolved)
                        )));
                    }
                    resolved
                }
                None => {
                    self.gap(
                        at.to_string(),
                        format!("module source `{source}` not installed (a remote source): its resources are not compared"),
                    );
                    return Ok(UnitOut {
                        dependencies: record.into_iter().collect(),
                        no_outputs: Some(format!("its module source `{source}` is not installed")),
                        ..UnitOut::default()
                    });
                }
            },
        };
        let mut generated = Vec::new();
        for g in &unit.generate {
            let exists = module_dir.join(&g.path).exists();
            match g.if_exists.as_str() {
                "skip" if exists => continue,
                "error" if exists => {
                    return Err(TgError::Eval(format!(
                    "{}: generate `{}`: {} already exists in the module (if_exists = \"error\")",
                    g.at, g.label, g.path
                )))
                }
                _ => {}
            }
            let display = format!("{}#generate.{}", g.at.file, g.label);
            // Contents built from values not known statically may not
            // parse (`[${local.account_id}]`): that file is not read, the
            // rest of the unit is.
            if !g.path.ends_with(".json") {
                if let Err(e) = parse::parse_hcl(&g.contents, &module_dir.join(&g.path), &display) {
                    self.gap(
                        g.at.to_string(),
                        format!("generate `{}`: the file it writes is not valid HCL as parity evaluates it ({e}): not read", g.label),
                    );
                    continue;
                }
            }
            generated.push(files::Generated {
                name: g.path.clone(),
                text: g.contents.clone(),
                display,
            });
        }
        // extra_arguments' var files, as `-var-file` for plan and apply.
        let mut var_files = Vec::new();
        for extra in &unit.extra_arguments {
            for (file, required) in extra
                .required_var_files
                .iter()
                .map(|f| (f, true))
                .chain(extra.optional_var_files.iter().map(|f| (f, false)))
            {
                let path = files::lexical(&dir.join(file));
                if path.is_file() {
                    var_files.push(path);
                } else if required {
                    return Err(TgError::Eval(format!(
                        "{}: extra_arguments `{}`: required var file {} does not exist",
                        extra.at,
                        extra.label,
                        self.show(&path)
                    )));
                }
            }
        }
        // Inputs reach Terraform as TF_VAR_ variables: a variable a
        // terraform.tfvars or *.auto.tfvars of the module, or a var file,
        // sets wins over them.
        let mut overridden = tfvars_names(&module_dir);
        for f in &var_files {
            overridden.extend(var_file_names(f));
        }
        let mut vars = crate::model::Map::new();
        let mut origin: BTreeMap<String, Location> = BTreeMap::new();
        for (name, (value, at)) in &unit.inputs {
            if !overridden.contains(name) {
                vars.insert(name.clone(), value.clone());
                origin.insert(name.clone(), at.clone());
            }
        }
        let topts = terraform::Options {
            environment: self.opts.environment.clone(),
            root: module_dir.clone(),
            base: self.opts.base.clone(),
            var_files,
            vars,
            workspace: "default".into(),
            data: None,
        };
        let (mut snap, outputs) =
            terraform::load_generated(&topts, &generated).map_err(|cause| TgError::Terraform {
                unit: shown_unit.clone(),
                cause,
            })?;
        if !origin.is_empty() {
            match files::load_module_with(&module_dir, &self.opts.base, &generated) {
                Ok(def) => locate::relocate(&mut snap.resources, &def, &origin, &shown_unit),
                Err(e) => tracing::debug!("{shown_unit}: module not re-read for locations: {e}"),
            }
        }
        for r in snap
            .resources
            .iter_mut()
            .chain(snap.dependencies.iter_mut())
        {
            r.address = under(&unit_path, &r.address);
            r.key = under(&unit_path, &r.key);
        }
        snap.dependencies.extend(record);
        Ok(UnitOut {
            resources: snap.resources,
            dependencies: snap.dependencies,
            coverage: snap.coverage,
            outputs: Some(outputs),
            no_outputs: None,
        })
    }

    /// The `module_call` record of a unit's `terraform { source }`,
    /// addressed `<unit>/terraform.source`: a local source as its
    /// directory relative to parity.toml, a `tfr://` one as the registry
    /// module and its `version`, any other as written (with its `?ref=`).
    fn source_record(&self, unit_path: &str, dir: &Path, source: &str, at: &Location) -> Resource {
        let (shown, version) = match local_source(source) {
            Some(path) => (format!("./{}", self.show(&dir.join(path))), None),
            None => registry_module(source).unwrap_or_else(|| (source.to_string(), None)),
        };
        let mut record = terraform::module::module_call_record(
            under(unit_path, "terraform.source"),
            &shown,
            version.as_ref(),
            at.clone(),
        );
        for attr in [
            "source",
            "source_kind",
            "ref",
            "unpinned_ref",
            "version",
            "unpinned_version",
        ] {
            record.locate(attr, at.clone());
        }
        record
    }

    /// The unit's path relative to the environment's root (`""` for the
    /// root itself; `../vpc` for a dependency outside it).
    fn unit_path(&self, dir: &Path) -> String {
        let rel = files::relative(&self.opts.root, dir);
        if rel == "." {
            String::new()
        } else {
            rel
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    files::lexical(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// `mysql` + `aws_db_instance.this` → `mysql/aws_db_instance.this`.
fn under(unit: &str, address: &str) -> String {
    if unit.is_empty() {
        address.to_string()
    } else {
        format!("{unit}/{address}")
    }
}

/// The directory of a local `terraform { source }` (`../../modules//mysql`
/// → `../../modules/mysql`, a `?ref=` dropped); `None` for a remote one.
fn local_source(source: &str) -> Option<String> {
    let local = Path::new(source).is_absolute()
        || source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with('/')
        || source == "."
        || source == "..";
    if !local {
        return None;
    }
    let path = source.split('?').next().unwrap_or(source);
    Some(path.replace("//", "/"))
}

/// A `tfr://` source (Terragrunt's registry protocol:
/// `tfr:///terraform-aws-modules/vpc/aws?version=5.1.0`, or with a host) as
/// the registry module Terraform would call and its version.
fn registry_module(source: &str) -> Option<(String, Option<Value>)> {
    let rest = source.strip_prefix("tfr://")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.trim_start_matches('/');
    let version = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("version="))
        .map(|v| Value::str(v.to_string()));
    Some((path.replace("//", "/"), version))
}

/// The variables a module's `terraform.tfvars(.json)` and
/// `*.auto.tfvars(.json)` set: Terraform reads them over TF_VAR_ values.
fn tfvars_names(dir: &Path) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return names;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let auto = ["terraform.tfvars", "terraform.tfvars.json"].contains(&name.as_str())
            || name.ends_with(".auto.tfvars")
            || name.ends_with(".auto.tfvars.json");
        if auto {
            names.extend(var_file_names(&entry.path()));
        }
    }
    names
}

/// The variables a `.tfvars` or `.tfvars.json` file sets (none when it
/// cannot be read: the Terraform source says why when it reads it).
fn var_file_names(path: &Path) -> Vec<String> {
    let Ok(text) = crate::input::read_text(path, crate::input::limits().tfvars_file) else {
        return Vec::new();
    };
    if path.to_string_lossy().ends_with(".json") {
        match serde_json::from_str(&text) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    } else {
        match parse::parse_hcl(&text, path, &path.to_string_lossy()) {
            Ok(file) => file.body.attributes.into_iter().map(|a| a.name).collect(),
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sources_keep_their_subdirectory_and_drop_the_ref() {
        assert_eq!(
            local_source("../../modules//mysql").as_deref(),
            Some("../../modules/mysql")
        );
        assert_eq!(
            local_source("./modules//app?ref=v1").as_deref(),
            Some("./modules/app")
        );
        assert_eq!(local_source("git::https://x/y.git//db?ref=v1"), None);
        assert_eq!(local_source("tfr:///terraform-aws-modules/vpc/aws"), None);
        assert_eq!(
            registry_module("tfr:///terraform-aws-modules/vpc/aws?version=5.1.0"),
            Some((
                "terraform-aws-modules/vpc/aws".to_string(),
                Some(Value::str("5.1.0"))
            ))
        );
        assert_eq!(
            registry_module("tfr://registry.terraform.io/ns/name/aws"),
            Some(("registry.terraform.io/ns/name/aws".to_string(), None))
        );
        assert_eq!(registry_module("git::https://x/y.git"), None);
    }

    #[test]
    fn addresses_go_under_the_unit_path() {
        assert_eq!(
            under("mysql", "aws_db_instance.this"),
            "mysql/aws_db_instance.this"
        );
        assert_eq!(under("", "aws_vpc.main"), "aws_vpc.main");
    }
}
