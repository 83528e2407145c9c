//! The Terraform code source: reads a root module (and the local modules it
//! calls) with its variables, as Terraform would for one environment, into a
//! [`Snapshot`].
//!
//! Layout: [`parse`] turns files into a spanned IR, [`files`] groups a
//! directory's blocks, [`module`] evaluates one module instance with
//! [`eval`] and [`functions`], [`vars`] reads tfvars in Terraform's order,
//! [`deps`] reads `required_version`, providers and the lock file.

pub mod deps;
pub mod eval;
pub mod files;
pub mod functions;
pub mod module;
pub mod parse;
pub mod policy;
pub mod types;
pub mod vars;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::model::{CoverageGap, Resource, Snapshot, SourceKind, Value};

/// Why the code of an environment could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TfError {
    #[error("{0}")]
    Syntax(#[from] parse::SyntaxError),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: unknown function `{name}`")]
    UnknownFunction { name: String, location: String },
    #[error("{0}")]
    Fatal(String),
    #[error("root module {0} does not exist or is not a directory")]
    NoRoot(String),
    #[error("no Terraform files (*.tf) in {0}")]
    NoFiles(String),
}

/// What to load for one environment.
#[derive(Debug, Clone)]
pub struct Options {
    pub environment: String,
    /// The root module directory.
    pub root: PathBuf,
    /// Paths in locations are shown relative to this (the config's directory).
    pub base: PathBuf,
    pub var_files: Vec<PathBuf>,
    pub vars: BTreeMap<String, Value>,
    pub workspace: String,
}

/// Shared state of one load: parsed modules (cached: a module called by
/// several instances is parsed once) and what evaluation collects.
pub struct Loader {
    pub root: PathBuf,
    pub base: PathBuf,
    pub workspace: String,
    defs: Mutex<HashMap<PathBuf, Arc<files::ModuleDef>>>,
    out: Mutex<Collected>,
}

#[derive(Default)]
struct Collected {
    resources: Vec<Resource>,
    dependencies: Vec<Resource>,
    coverage: Vec<CoverageGap>,
    secrets: Vec<String>,
}

impl Loader {
    fn lock(&self) -> std::sync::MutexGuard<'_, Collected> {
        // A poisoned lock means a panic elsewhere already failed the load;
        // the data is still consistent enough to keep collecting.
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn gap(&self, gap: CoverageGap) {
        self.lock().coverage.push(gap);
    }

    pub fn add_resource(&self, r: Resource) {
        self.lock().resources.push(r);
    }

    pub fn add_dependency(&self, r: Resource) {
        self.lock().dependencies.push(r);
    }

    /// Remember a sensitive value so it can be redacted from every output.
    pub fn add_secret(&self, v: &Value) {
        let mut out = self.lock();
        collect_strings(v, &mut out.secrets);
    }

    /// A parsed module directory, from cache. Local modules it calls are
    /// parsed ahead, in parallel.
    pub fn module_def(&self, dir: &Path) -> Result<Arc<files::ModuleDef>, TfError> {
        let key = files::lexical(dir);
        if let Some(def) = self
            .defs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(def.clone());
        }
        let def = Arc::new(files::load_module(&key, &self.base)?);
        self.defs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, def.clone());
        self.prefetch(&def);
        let gaps = def.gaps.clone();
        self.lock().coverage.extend(gaps);
        Ok(def)
    }

    /// Parse the local modules a module calls (literal sources only), in
    /// parallel. Errors surface later, when the module is really needed.
    fn prefetch(&self, def: &files::ModuleDef) {
        use rayon::prelude::*;
        let dirs: Vec<PathBuf> = def
            .modules
            .iter()
            .filter_map(|m| match m.item.body.attribute("source").map(|a| &a.expr) {
                Some(hcl::Expression::String(s)) if module::source_kind(s) == "local" => {
                    Some(files::lexical(&def.dir.join(s)))
                }
                _ => None,
            })
            .filter(|d| {
                d.is_dir()
                    && !self
                        .defs
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .contains_key(d)
            })
            .collect();
        dirs.par_iter().for_each(|d| {
            let _ = self.module_def(d);
        });
    }

    pub fn parsed_bytes(&self) -> usize {
        self.defs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|d| d.bytes)
            .sum()
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        Value::List(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Map(m) => m.values().for_each(|i| collect_strings(i, out)),
        Value::Number(n) => out.push(crate::model::value::format_number(*n)),
        _ => {}
    }
}

/// Load one environment's Terraform code.
pub fn load(opts: &Options) -> Result<Snapshot, TfError> {
    load_with_stats(opts).map(|(s, _)| s)
}

/// Like [`load`], also returning the bytes of HCL parsed.
pub fn load_with_stats(opts: &Options) -> Result<(Snapshot, usize), TfError> {
    // Evaluation recurses with the code's own nesting (locals referring to
    // locals, modules calling modules). It runs on a thread with a large
    // stack so real code never gets near the limit; `module.rs` still bounds
    // the depth so hostile input ends in an error, not an overflow.
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("parity-terraform".into())
            .stack_size(EVAL_THREAD_STACK)
            .spawn_scoped(scope, || {
                module::set_stack_budget(EVAL_THREAD_STACK);
                load_on_this_thread(opts)
            }) {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(TfError::Fatal(
                    "internal error while evaluating Terraform (please report it)".into(),
                ))
            }),
            // No thread to be had: evaluate here, with the smaller stack.
            Err(_) => load_on_this_thread(opts),
        }
    })
}

/// Stack of the evaluation thread.
const EVAL_THREAD_STACK: usize = 256 << 20;

fn load_on_this_thread(opts: &Options) -> Result<(Snapshot, usize), TfError> {
    if !opts.root.is_dir() {
        return Err(TfError::NoRoot(files::display(&opts.base, &opts.root)));
    }
    let loader = Loader {
        root: opts.root.clone(),
        base: opts.base.clone(),
        workspace: opts.workspace.clone(),
        defs: Mutex::default(),
        out: Mutex::default(),
    };
    let def = loader.module_def(&opts.root)?;
    if def.bytes == 0
        && def.variables.is_empty()
        && def.resources.is_empty()
        && def.modules.is_empty()
    {
        return Err(TfError::NoFiles(files::display(&opts.base, &opts.root)));
    }
    let inputs = vars::root_values(&loader, opts)?;
    let mut root = module::Instance::new(&loader, def.clone(), String::new(), BTreeMap::new(), 0);
    root.bind_variables(inputs, "the environment's tfvars")?;
    root.run()?;
    deps::collect(&loader, &def)?;

    let bytes = loader.parsed_bytes();
    // Freeing thousands of parsed expressions takes a tenth of a load; the
    // caller has no use for them, so they are freed on another thread.
    let defs = std::mem::take(&mut *loader.defs.lock().unwrap_or_else(|p| p.into_inner()));
    let _ = std::thread::Builder::new()
        .name("parity-free".into())
        .spawn(move || drop(defs));
    let collected = std::mem::take(&mut *loader.lock());
    let mut snapshot = Snapshot::new(opts.environment.clone(), SourceKind::Code);
    snapshot.resources = collected.resources;
    snapshot.dependencies = collected.dependencies;
    snapshot.coverage = collected.coverage;
    snapshot.resources.sort_by(|a, b| a.address.cmp(&b.address));
    snapshot
        .dependencies
        .sort_by(|a, b| a.address.cmp(&b.address));
    snapshot.coverage.sort();
    snapshot.coverage.dedup();
    crate::normalize::redact(&mut snapshot, &collected.secrets);
    Ok((snapshot, bytes))
}
