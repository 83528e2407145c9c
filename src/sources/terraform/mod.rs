//! The Terraform code source: reads a root module (and the local modules it
//! calls) with its variables, as Terraform would for one environment, into a
//! [`Snapshot`].
//!
//! Layout: [`parse`] turns files into a spanned IR ([`json`] does the same
//! for `*.tf.json`), [`files`] groups a
//! directory's blocks, `module` evaluates one module instance with
//! `eval` and `functions`, `vars` reads tfvars in Terraform's order,
//! `deps` reads `required_version`, providers and the lock file,
//! `manifest` finds registry and git modules `terraform init` installed.

pub(crate) mod cfg;
pub(crate) mod deps;
pub(crate) mod eval;
pub mod facts;
pub mod fastparse;
pub mod files;
pub(crate) mod functions;
pub mod json;
pub(crate) mod manifest;
pub(crate) mod module;
pub mod parse;
pub(crate) mod policy;
pub(crate) mod schema;
mod scope;
mod source;
pub(crate) mod types;
pub(crate) mod typing;
pub(crate) mod vars;

pub use cfg::TerraformTable;
pub use scope::{scope_state_to_module, scope_to_module, ScopeError};
pub(crate) use source::Terraform;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::model::{CoverageGap, Location, Resource, Snapshot, SourceKind, Value};

/// Why the code of an environment could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TfError {
    #[error("{0}")]
    Syntax(#[from] parse::SyntaxError),
    #[error("cannot read {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
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
    pub vars: crate::model::Map,
    /// Where each of `vars` was set (a Terragrunt input's line), for
    /// provenance; `-var` when absent.
    pub var_origins: std::collections::BTreeMap<String, Location>,
    pub workspace: String,
    /// The attributes of data sources as the environment's state holds
    /// them, when it has one: references to a data source read them there.
    pub data: Option<Arc<StateData>>,
    /// How the environment normalizes (its aliases, account, region):
    /// sensitive values are hashed as normalized, so that redaction never
    /// changes a comparison (`normalize::sensitive_value`).
    pub identity: crate::sources::snapshot::Identity,
    /// Read-only facts of the account read live for data sources the state
    /// does not hold (`data-live`; see [`facts::Facts`]).
    pub facts: Option<Arc<dyn facts::Facts>>,
}

/// What Terraform read for each data source at the last apply, from the
/// state's `mode = "data"` resources: evaluating `data.TYPE.NAME` takes its
/// attributes from here, so a `count` or `for_each` driven by a data source
/// expands as Terraform plans it.
#[derive(Debug, Clone, Default)]
pub struct StateData {
    /// By full address, with module path and instance key, as the state
    /// source writes it: `module.network.data.aws_availability_zones.available`,
    /// `data.aws_subnet.x[0]`.
    pub by_address: HashMap<String, crate::model::Map>,
    /// The state, as coverage names it (its files, relative).
    pub shown: String,
    /// Why the state could not be read, when it could not: every data
    /// source is then unknown, and each one referenced says why.
    pub unreadable: Option<String>,
}

type TemplateCache = HashMap<usize, (hcl::expr::TemplateExpr, Arc<hcl::template::Template>)>;

/// Shared state of one load: parsed modules (cached: a module called by
/// several instances is parsed once) and what evaluation collects.
pub struct Loader {
    pub root: PathBuf,
    pub base: PathBuf,
    pub workspace: String,
    /// `.terraform/modules/modules.json` of the root, when there is one.
    pub manifest: Option<manifest::Manifest>,
    defs: Mutex<HashMap<PathBuf, Arc<files::ModuleDef>>>,
    /// Module directories whose parsing has started, by whom it is being
    /// parsed (see [`Loader::module_def`] and `prefetch`).
    claims: Mutex<HashMap<PathBuf, Arc<Claim>>>,
    /// Module directories parsed (each is parsed once; see
    /// [`Loader::module_def`]).
    parses: std::sync::atomic::AtomicUsize,
    out: Mutex<Collected>,
    /// The environment's normalization: marked (sensitive) values are
    /// hashed as normalized when a resource is added (`normalize::seal`).
    normalizer: crate::normalize::Normalizer,
    /// Parsed template strings, by the address of their expression in the
    /// parsed modules (alive, so unique, for the whole load); the text is
    /// kept too and compared on every hit, so an expression that is not
    /// from the modules (a `templatefile`'s) can never get another's
    /// template.
    templates: Mutex<TemplateCache>,
    /// Instances asked for by `count`/`for_each` so far (module calls and
    /// resources), against `input::INSTANCES_PER_ENVIRONMENT`.
    pub(crate) instances: std::sync::atomic::AtomicUsize,
    /// See [`Options::data`].
    pub(crate) data: Option<Arc<StateData>>,
    /// See [`Options::facts`].
    pub(crate) facts: Option<Arc<dyn facts::Facts>>,
    /// Data blocks already said to be missing from the state (one coverage
    /// gap per block, whatever the number of its module's instances).
    data_missing: Mutex<std::collections::BTreeSet<String>>,
    /// Provenance: the normalized text of expressions (locals, module
    /// arguments), by the expression's address in the parsed modules.
    code_texts: Mutex<HashMap<usize, Value>>,
}

/// The parse of one module directory, started by one thread of the load;
/// others that ask for the directory meanwhile wait for its result.
#[derive(Default)]
struct Claim {
    state: Mutex<ClaimState>,
    finished: std::sync::Condvar,
}

#[derive(Default)]
enum ClaimState {
    #[default]
    Parsing,
    Parsed(Arc<files::ModuleDef>),
    /// The parse failed (or panicked): each waiter parses the directory
    /// itself, and so gets the error.
    Failed,
}

impl Claim {
    /// The result of the parse, once it is finished; `None` if it failed.
    fn wait(&self) -> Option<Arc<files::ModuleDef>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match &*state {
                ClaimState::Parsing => {
                    state = self.finished.wait(state).unwrap_or_else(|p| p.into_inner());
                }
                ClaimState::Parsed(def) => return Some(def.clone()),
                ClaimState::Failed => return None,
            }
        }
    }
}

/// Publishes a claim's result when dropped: `Failed` unless a parsed
/// module was set, so that a parse that returns an error, or panics, still
/// wakes its waiters.
struct Publish<'a> {
    claim: &'a Claim,
    parsed: Option<Arc<files::ModuleDef>>,
}

impl Drop for Publish<'_> {
    fn drop(&mut self) {
        let state = match self.parsed.take() {
            Some(def) => ClaimState::Parsed(def),
            None => ClaimState::Failed,
        };
        *self.claim.state.lock().unwrap_or_else(|p| p.into_inner()) = state;
        self.claim.finished.notify_all();
    }
}

/// Who parses a module directory (see [`Loader::claim`]).
enum Claimed {
    /// The caller: it just claimed the directory, and must parse it.
    Mine(Arc<Claim>),
    /// Another thread, earlier.
    Theirs(Arc<Claim>),
}

#[derive(Default)]
struct Collected {
    /// As added: one list per resource block (see [`Loader::add_resources`]).
    resources: Vec<Vec<Resource>>,
    dependencies: Vec<Resource>,
    coverage: Vec<CoverageGap>,
    /// Module calls not expanded (their address): see [`Snapshot::unread`].
    unread: Vec<String>,
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

    /// A module call (`module.app.module.waf`) whose inside was not read.
    pub fn unread(&self, address: String) {
        self.lock().unread.push(address);
    }

    /// A data block (`module.app.data.aws_ami.ubuntu`, without instance
    /// keys, declared `at` file:line) left unknown where it could have been
    /// read: the state does not hold it, or `data-live` does not read its
    /// type. Said once, with its declaration.
    pub(crate) fn data_missing(&self, block: String, at: &str) {
        let reason = match (&self.data, &self.facts) {
            (Some(data), _) => match &data.unreadable {
                Some(why) => format!("the state could not be read ({why}): compared as unknown"),
                None => format!("not in the state ({}): compared as unknown", data.shown),
            },
            (None, Some(_)) => format!(
                "not read live (data-live reads only {}): compared as unknown",
                facts::LIVE_DATA_SOURCES.join(", ")
            ),
            (None, None) => return,
        };
        let first = self
            .data_missing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(block.clone());
        if first {
            self.gap(CoverageGap {
                what: format!("{block} ({at})"),
                reason,
            });
        }
    }

    /// Where the non-local module call `key` (`waf`, `app.waf`) was
    /// installed, or why its inside cannot be read (a coverage reason).
    /// The directory of a module call from a module in `caller_dir`: a
    /// local source beside it, or where `terraform init` installed a
    /// registry or git one (the manifest, by `key`, the call's path of
    /// names: [`call_key`]). Evaluation and `Loader::prefetch` both ask
    /// here, so they agree on the directory. An error is why the call
    /// cannot be expanded (a coverage gap).
    pub fn module_dir(
        &self,
        caller_dir: &Path,
        key: &str,
        source: &str,
        version: Option<&str>,
    ) -> Result<PathBuf, manifest::NotInstalled> {
        if module::source_kind(source) == "local" {
            Ok(files::lexical(&caller_dir.join(source)))
        } else {
            self.installed_module(key, source, version)
        }
    }

    pub fn installed_module(
        &self,
        key: &str,
        source: &str,
        version: Option<&str>,
    ) -> Result<PathBuf, manifest::NotInstalled> {
        match &self.manifest {
            Some(m) => m.installed(key, source, version),
            None => Err(manifest::NotInstalled::NoManifest {
                module_source: source.to_string(),
            }),
        }
    }

    /// The instances of one resource block. They are kept as one list, not
    /// pushed onto a single growing one: growing a list of thousands of
    /// resources copies it, under the lock the other threads wait on.
    ///
    /// Sealed now, while the records are in cache: marked values and
    /// secret-named attributes become salted hashes (`normalize::seal`).
    /// Sensitivity travels with the values as marks (`Value::Marked`), so
    /// nothing is left to find in the finished snapshot.
    pub fn add_resources(&self, mut list: Vec<Resource>) {
        for r in &mut list {
            crate::normalize::seal(r, &self.normalizer);
        }
        self.lock().resources.push(list);
    }

    /// A dependency record, sealed as resources are.
    pub fn add_dependency(&self, mut r: Resource) {
        crate::normalize::seal(&mut r, &self.normalizer);
        self.lock().dependencies.push(r);
    }

    /// A parsed module directory: from cache, or parsed now, or, when
    /// another thread is parsing it (prefetching, or evaluation of another
    /// call of it), that thread's result, waited for. Each directory is
    /// parsed once.
    ///
    /// Waiting cannot deadlock: a claimed directory is parsed by
    /// [`files::load_module_here`], on the claiming thread, with no rayon
    /// call and no lock held across it, right after the claim. That thread
    /// never waits for anything, so it finishes, and `Publish` wakes the
    /// waiters even if it fails or panics. (With the files parsed in a
    /// rayon join instead, the parsing thread could steal, while it waits
    /// for its files, the evaluation job that waits for this very
    /// directory, and wait for itself.) The root, whose files are parsed in
    /// parallel, is stored before evaluation and prefetching start, so no
    /// one ever waits for it (`Loader::store_root`).
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
        match self.claim(&key) {
            Claimed::Mine(claim) => self.parse_claimed(key, &claim),
            Claimed::Theirs(claim) => match claim.wait() {
                Some(def) => Ok(def),
                // The other parse failed: parse it here for the error.
                None => self.parse_and_store(key),
            },
        }
    }

    /// Claim directory `key` for parsing, unless someone did first.
    fn claim(&self, key: &Path) -> Claimed {
        let mut claims = self.claims.lock().unwrap_or_else(|p| p.into_inner());
        match claims.get(key) {
            Some(claim) => Claimed::Theirs(claim.clone()),
            None => {
                let claim = Arc::new(Claim::default());
                claims.insert(key.to_path_buf(), claim.clone());
                Claimed::Mine(claim)
            }
        }
    }

    /// Parse a directory this thread claimed and publish the result to
    /// those waiting for it (see [`Loader::module_def`]).
    fn parse_claimed(&self, key: PathBuf, claim: &Claim) -> Result<Arc<files::ModuleDef>, TfError> {
        let mut publish = Publish {
            claim,
            parsed: None,
        };
        let def = self.parse_and_store(key)?;
        publish.parsed = Some(def.clone());
        Ok(def)
    }

    /// Parse a module directory on this thread ([`files::load_module_here`])
    /// and store it; the first stored is the one returned (a second parse
    /// happens only after a failed one).
    fn parse_and_store(&self, key: PathBuf) -> Result<Arc<files::ModuleDef>, TfError> {
        self.parses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let parsed = Arc::new(files::load_module_here(&key, &self.base)?);
        Ok(self.store(key, parsed))
    }

    /// Store a parsed directory unless one is already stored (then that one
    /// is returned); its coverage gaps are collected with the first.
    fn store(&self, key: PathBuf, parsed: Arc<files::ModuleDef>) -> Arc<files::ModuleDef> {
        let (def, stored) = {
            let mut defs = self.defs.lock().unwrap_or_else(|p| p.into_inner());
            match defs.get(&key) {
                Some(first) => (first.clone(), false),
                None => {
                    defs.insert(key, parsed.clone());
                    (parsed, true)
                }
            }
        };
        if stored {
            let gaps = def.gaps.clone();
            self.lock().coverage.extend(gaps);
        }
        def
    }

    /// The root module, parsed (its files in parallel) and stored, with its
    /// claim already finished, before anything else of the load runs: no
    /// one waits for it, so its parse may use the pool (see
    /// [`Loader::module_def`]).
    fn store_root(&self, key: PathBuf, def: files::ModuleDef) -> Arc<files::ModuleDef> {
        self.parses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let def = self.store(key.clone(), Arc::new(def));
        let claim = Claim {
            state: Mutex::new(ClaimState::Parsed(def.clone())),
            finished: std::sync::Condvar::new(),
        };
        self.claims
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, Arc::new(claim));
        def
    }

    /// Parse the modules `def` calls, and theirs, in parallel: local ones,
    /// and registry or git ones `terraform init` installed (through the
    /// manifest, by `key`, the path of call names down to `def`), when the
    /// source (and the version, if any) is a literal, so the directory is
    /// the one evaluation will ask for. Runs beside evaluation, which
    /// parses what it needs first itself: a directory evaluation (or this)
    /// has claimed is skipped, and evaluation waits for one this is parsing
    /// (see [`Loader::module_def`]), so each is parsed once. Errors surface
    /// later, when the module is really needed.
    fn prefetch(&self, def: &files::ModuleDef, key: &str) {
        use rayon::prelude::*;
        let calls: Vec<(PathBuf, String)> = def
            .modules
            .iter()
            .filter_map(|m| {
                let name = m.item.labels.first()?;
                let body = &m.item.body;
                let Some(hcl::Expression::String(source)) =
                    body.attribute("source").map(|a| &a.expr)
                else {
                    return None;
                };
                let version = match body.attribute("version").map(|a| &a.expr) {
                    None => None,
                    Some(hcl::Expression::String(v)) => Some(v.as_str()),
                    // Evaluated per environment: left to evaluation.
                    Some(_) => return None,
                };
                let child_key = call_key(key, name);
                let dir = self
                    .module_dir(&def.dir, &child_key, source, version)
                    .ok()?;
                dir.is_dir().then_some((dir, child_key))
            })
            .collect();
        calls.par_iter().for_each(|(d, child_key)| {
            // Claimed just before parsing, not when listed: a module
            // evaluation reaches first is left to it.
            if let Claimed::Mine(claim) = self.claim(d) {
                if let Ok(child) = self.parse_claimed(d.clone(), &claim) {
                    self.prefetch(&child, child_key);
                }
            }
        });
    }

    /// A template string of the parsed code, parsed once per load.
    pub fn template(
        &self,
        t: &hcl::expr::TemplateExpr,
    ) -> Result<Arc<hcl::template::Template>, eval::EvalErr> {
        let key = t as *const hcl::expr::TemplateExpr as usize;
        if let Some((text, template)) = self
            .templates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            if text == t {
                return Ok(template.clone());
            }
        }
        let template = eval::parse_template(t)?;
        self.templates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (t.clone(), template.clone()));
        Ok(template)
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

/// The key of module call `name` in `.terraform/modules/modules.json`: the
/// path of call names from the root (`app.waf`), `parent` being the
/// calling module's ("" for the root).
pub fn call_key(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// Parsed modules and snapshots of finished loads still being freed in the
/// background (see `free_in_background`).
static PENDING_FREES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One background freeing; dropped when it is done (or when the
/// job is dropped without running), so the count never stays up.
struct PendingFree;

impl PendingFree {
    fn new() -> Self {
        PENDING_FREES.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        PendingFree
    }
}

impl Drop for PendingFree {
    fn drop(&mut self) {
        PENDING_FREES.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Free `value` (a snapshot of this source, done with) on the evaluation
/// pool, in the background. Its threads allocated it: freeing it from
/// another thread leaves every page of it for them to collect, which the
/// next load would pay for. Without a pool, it is dropped here.
pub fn free_in_background<T: Send + 'static>(value: T) {
    match eval_pool() {
        Some(pool) => {
            let pending = PendingFree::new();
            pool.spawn(move || {
                drop(value);
                // Each thread takes back, now, the blocks of its memory
                // this one freed, rather than in the middle of the next load.
                pool.broadcast(|_| collect_freed());
                drop(pending);
            });
        }
        None => drop(value),
    }
}

/// The budget of [`keep_until_exit`] the `parity` binary sets: both
/// environments of a 5,000-resource diff keep about 40 MB.
pub const CLI_KEEP_BUDGET: usize = 128 << 20;

/// Bytes of finished loads a process may still keep until it exits
/// instead of freeing them (see [`keep_until_exit`]).
pub struct KeepBudget(std::sync::atomic::AtomicUsize);

impl KeepBudget {
    pub const fn new(bytes: usize) -> Self {
        KeepBudget(std::sync::atomic::AtomicUsize::new(bytes))
    }

    pub fn set(&self, bytes: usize) {
        self.0.store(bytes, std::sync::atomic::Ordering::Release);
    }

    pub fn left(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Take `size` bytes from the budget if it has them all. A budget of
    /// nothing keeps nothing, not even what claims no size.
    pub fn take(&self, size: usize) -> bool {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                if left == 0 {
                    None
                } else {
                    left.checked_sub(size)
                }
            })
            .is_ok()
    }

    /// Done with `value`, about `size` bytes of memory: kept until the
    /// process exits if the budget covers it, otherwise freed in the
    /// background ([`free_in_background`]). Returns whether it was kept.
    pub fn release<T: Send + 'static>(&self, value: T, size: usize) -> bool {
        if self.take(size) {
            // Not a leak that grows: the budget bounds what is kept, and
            // the system reclaims it when the process exits.
            std::mem::forget(value);
            true
        } else {
            free_in_background(value);
            false
        }
    }
}

/// The process's budget: none by default (a library caller frees
/// everything); the `parity` binary sets [`CLI_KEEP_BUDGET`].
static KEEP_BUDGET: KeepBudget = KeepBudget::new(0);

/// For a process that exits soon after its work, as the CLI does: up to
/// `bytes` of what finished loads leave behind (parsed modules, code
/// snapshots) stay allocated until the process exits, and the system takes
/// them back then, instead of being freed one allocation at a time.
///
/// Freeing is work: a tenth of a load, on whichever thread of the pool
/// picks it up, so half of it frees memory the other thread allocated,
/// and that thread collects those blocks during its next allocations (a
/// quarter of a load's time in the benchmark, docs/benchmarks.md).
/// Compilers make the same choice (clang's driver runs its compiler with
/// `-disable-free`). Past the budget (`parity check` over many pairs),
/// [`release`] frees as before, so memory stays bounded. Replaces the
/// budget left.
pub fn keep_until_exit(bytes: usize) {
    KEEP_BUDGET.set(bytes);
}

/// [`KeepBudget::release`] on the process's budget ([`keep_until_exit`]).
pub fn release<T: Send + 'static>(value: T, size: usize) {
    KEEP_BUDGET.release(value, size);
}

/// [`release`] code snapshots the caller is done with, sized by
/// `approx_snapshot_size`.
pub fn release_snapshots<const N: usize>(snapshots: [Snapshot; N]) {
    let size = snapshots.iter().map(approx_snapshot_size).sum();
    release(snapshots, size);
}

/// About how much memory a code snapshot holds, for [`release`]: measured
/// on the benchmark's environments (about 2 KiB for a resource with ten
/// attributes), not exact.
fn approx_snapshot_size(snapshot: &Snapshot) -> usize {
    snapshot
        .resources
        .iter()
        .chain(&snapshot.dependencies)
        .map(|r| 512 + 160 * r.attributes.len())
        .sum()
}

/// About how much memory parsed modules hold per byte of HCL, for
/// [`release`] (7 measured on the benchmark's modules).
const PARSED_BYTES_PER_HCL_BYTE: usize = 8;

/// Have the allocator take back, on this thread, the blocks of this
/// thread's memory that other threads have freed, and tidy its pages.
///
/// The binaries allocate with mimalloc. A block freed by a thread other
/// than the one that allocated it goes on a list of its page, which the
/// owning thread collects only when it next runs out of free blocks: after
/// a load is freed in the background, that was the next load, spending a
/// tenth of its time there and taking fresh pages meanwhile
/// (docs/benchmarks.md). Run on every thread of the pool after such a
/// freeing, the collection happens while the pool is idle.
#[allow(unsafe_code)]
fn collect_freed() {
    // SAFETY: `mi_collect` takes no pointer and has no precondition: any
    // thread may call it at any time. Without mimalloc as the global
    // allocator (library callers, tests), it tidies mimalloc's own heap,
    // which is then empty.
    unsafe { libmimalloc_sys::mi_collect(false) }
}

/// Wait until what earlier loads free in the background is freed.
/// Benchmarks call this between measurements, so that one load's freeing
/// is not timed as part of the next thing measured.
pub fn wait_for_background_frees() {
    while PENDING_FREES.load(std::sync::atomic::Ordering::Acquire) > 0 {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// Sort by address, the location breaking ties. A resource is a large
/// struct: indices are sorted and each resource moved once.
fn sort_resources(list: &mut Vec<Resource>) {
    use rayon::slice::ParallelSliceMut;
    let mut order: Vec<usize> = (0..list.len()).collect();
    order.par_sort_unstable_by(|&a, &b| {
        let (a, b) = (&list[a], &list[b]);
        a.address
            .cmp(&b.address)
            .then_with(|| a.location.cmp(&b.location))
    });
    let mut slots: Vec<Option<Resource>> = list.drain(..).map(Some).collect();
    // `order` is a permutation of the indices: every slot is taken once.
    list.extend(
        order
            .iter()
            .filter_map(|&i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// Load one environment's Terraform code.
pub fn load(opts: &Options) -> Result<Snapshot, TfError> {
    load_with_stats(opts).map(|(s, _)| s)
}

/// Like [`load`], also returning the bytes of HCL parsed.
pub fn load_with_stats(opts: &Options) -> Result<(Snapshot, usize), TfError> {
    load_all(opts, &[], TFVARS).map(|l| (l.snapshot, l.bytes))
}

/// Like [`load`], also returning the root module's outputs as evaluated (a
/// map by output name; values known only after apply are
/// [`Value::Unknown`]). Terragrunt's `dependency` blocks read them.
pub fn load_with_outputs(opts: &Options) -> Result<(Snapshot, Value), TfError> {
    load_all(opts, &[], TFVARS).map(|l| (l.snapshot, l.outputs))
}

/// [`load_with_outputs`], with files another tool writes into the root
/// module before Terraform runs (Terragrunt's `generate` blocks) read as
/// if they were there.
pub fn load_generated(
    opts: &Options,
    generated: &[files::Generated],
) -> Result<(Snapshot, Value), TfError> {
    load_all(opts, generated, "the unit's terragrunt.hcl").map(|l| (l.snapshot, l.outputs))
}

/// Who gives the root module's variables, as a missing value's gap says.
const TFVARS: &str = "the environment's tfvars";

/// One environment loaded.
struct Loaded {
    snapshot: Snapshot,
    /// Bytes of HCL parsed.
    bytes: usize,
    /// The root module's outputs (see [`load_with_outputs`]).
    outputs: Value,
    /// Module directories parsed, the root included.
    #[cfg_attr(
        not(test),
        allow(dead_code, reason = "what the tests check; `-vv` traces it")
    )]
    parses: usize,
}

fn load_all(
    opts: &Options,
    generated: &[files::Generated],
    caller: &str,
) -> Result<Loaded, TfError> {
    // Evaluation recurses with the code's own nesting (locals referring to
    // locals, modules calling modules). It runs on a thread with a large
    // stack so real code never gets near the limit; `module.rs` still bounds
    // the depth so hostile input ends in an error, not an overflow.
    //
    // The threads are those of a pool of our own (one per core), which
    // also parses module directories and evaluates independent module
    // calls in parallel.
    let internal =
        || TfError::Fatal("internal error while evaluating Terraform (please report it)".into());
    match eval_pool() {
        Some(pool) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| load_on_this_thread(opts, generated, caller))
        }))
        .unwrap_or_else(|_| Err(internal())),
        // No threads to be had: one thread with a large stack, or here.
        None => std::thread::scope(|scope| {
            match std::thread::Builder::new()
                .name("parity-terraform".into())
                .stack_size(EVAL_THREAD_STACK)
                .spawn_scoped(scope, || {
                    module::set_stack_budget(EVAL_THREAD_STACK);
                    load_on_this_thread(opts, generated, caller)
                }) {
                Ok(handle) => handle.join().unwrap_or_else(|_| Err(internal())),
                Err(_) => load_on_this_thread(opts, generated, caller),
            }
        }),
    }
}

/// Stack of each evaluation thread (address space; pages are only touched
/// as deep evaluations need them).
const EVAL_THREAD_STACK: usize = 256 << 20;

/// The evaluation pool, built on first use; `None` if the system refuses
/// threads.
fn eval_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("parity-eval-{i}"))
            .stack_size(EVAL_THREAD_STACK)
            .start_handler(|_| module::set_stack_budget(EVAL_THREAD_STACK))
            .build()
            .ok()
    })
    .as_ref()
}

fn load_on_this_thread(
    opts: &Options,
    generated: &[files::Generated],
    caller: &str,
) -> Result<Loaded, TfError> {
    if !opts.root.is_dir() {
        return Err(TfError::NoRoot(files::display(&opts.base, &opts.root)));
    }
    let t0 = std::time::Instant::now();
    // `-vvv`: where a load's time goes (root parsed, evaluated, finished).
    let tr = |what: &str| {
        tracing::trace!(
            "{}: {what} after {:.2} ms",
            opts.environment,
            t0.elapsed().as_secs_f64() * 1000.0
        )
    };
    let loader = Loader {
        root: opts.root.clone(),
        base: opts.base.clone(),
        workspace: opts.workspace.clone(),
        manifest: manifest::read(&opts.root, &opts.base)?,
        defs: Mutex::default(),
        claims: Mutex::default(),
        parses: std::sync::atomic::AtomicUsize::new(0),
        out: Mutex::default(),
        normalizer: crate::normalize::Normalizer::for_env(&opts.environment, &opts.identity),
        templates: Mutex::default(),
        instances: std::sync::atomic::AtomicUsize::new(0),
        data: opts.data.clone(),
        facts: opts.facts.clone(),
        data_missing: Mutex::default(),
        code_texts: Mutex::default(),
    };
    // The root (with its generated files, if any), stored before anything
    // asks for the directory.
    let key = files::lexical(&opts.root);
    let def = files::load_module_with(&key, &opts.base, generated)?;
    let def = loader.store_root(key, def);
    if def.bytes == 0
        && def.variables.is_empty()
        && def.resources.is_empty()
        && def.modules.is_empty()
    {
        return Err(TfError::NoFiles(files::display(&opts.base, &opts.root)));
    }
    tr("root module parsed");
    // The local modules are parsed in the background while the root is
    // evaluated; a module call that comes first parses its module itself.
    let root = rayon::in_place_scope(|scope| {
        scope.spawn(|_| loader.prefetch(&def, ""));
        let (inputs, origins) = vars::root_values(&loader, opts)?;
        let mut root = module::Instance::new(
            &loader,
            def.clone(),
            String::new(),
            crate::model::Map::new(),
            0,
        );
        root.set_root_origins(origins);
        root.bind_variables(inputs, caller)?;
        let outputs = root.run()?;
        Ok::<_, TfError>((root, outputs))
    })?;
    let (root, outputs) = root;
    tr("evaluated");
    deps::collect(&loader, &def)?;

    let bytes = loader.parsed_bytes();
    let collected = std::mem::take(&mut *loader.lock());
    let mut snapshot = Snapshot::new(opts.environment.clone(), SourceKind::Code);
    let mut resources = Vec::with_capacity(collected.resources.iter().map(Vec::len).sum());
    for list in collected.resources {
        resources.extend(list);
    }
    snapshot.resources = resources;
    snapshot.dependencies = collected.dependencies;
    snapshot.coverage = collected.coverage;
    snapshot.unread = collected.unread;
    snapshot.unread.sort();
    snapshot.unread.dedup();
    // Evaluation collects resources in whatever order the threads finish;
    // the location breaks ties between equal addresses (an error in the
    // code), so the order never depends on timing.
    sort_resources(&mut snapshot.resources);
    sort_resources(&mut snapshot.dependencies);
    snapshot.coverage.sort();
    snapshot.coverage.dedup();
    tr("sorted");
    // Freeing thousands of parsed expressions takes a tenth of a load; the
    // caller has no use for them, so they are freed in the background,
    // once the snapshot is done (freeing would compete with it).
    drop(root);
    let defs = std::mem::take(&mut *loader.defs.lock().unwrap_or_else(|p| p.into_inner()));
    let templates =
        std::mem::take(&mut *loader.templates.lock().unwrap_or_else(|p| p.into_inner()));
    // Kept until exit in the CLI; otherwise freed on the pool whose
    // threads allocated it (cheaper than from a thread of its own).
    release(
        (defs, templates),
        bytes.saturating_mul(PARSED_BYTES_PER_HCL_BYTE),
    );
    let parses = loader.parses.load(std::sync::atomic::Ordering::Relaxed);
    tracing::debug!("{}: {parses} module directories parsed", opts.environment);
    Ok(Loaded {
        snapshot,
        bytes,
        outputs,
        parses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_budget_keeps_what_it_covers_and_frees_the_rest() {
        let dropped = Arc::new(AtomicUsize::new(0));
        let budget = KeepBudget::new(100);
        assert!(budget.release(Counted(dropped.clone()), 60));
        assert_eq!(budget.left(), 40);
        // 60 more do not fit in the 40 left: freed, the budget unchanged.
        assert!(!budget.release(Counted(dropped.clone()), 60));
        assert_eq!(budget.left(), 40);
        assert!(budget.release(Counted(dropped.clone()), 40));
        assert_eq!(budget.left(), 0);
        // Spent: even what claims no size is freed.
        assert!(!budget.release(Counted(dropped.clone()), 0));
        wait_for_background_frees();
        assert_eq!(dropped.load(Ordering::SeqCst), 2);
        // The library's default keeps nothing.
        let none = KeepBudget::new(0);
        assert!(!none.release(Counted(dropped.clone()), 1));
        wait_for_background_frees();
        assert_eq!(dropped.load(Ordering::SeqCst), 3);
        none.set(10);
        assert!(none.take(10));
        assert!(!none.take(1));
    }

    /// A project whose module directories are asked for at once by
    /// prefetching and by evaluation (48 module calls of their own
    /// directories, each calling `shared` twice, the root calling it too),
    /// each directory with several files to parse.
    fn racing_project(dir: &Path, shared: &str) {
        let write = |path: &Path, text: &str| {
            std::fs::create_dir_all(path.parent().expect("a file in a directory")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        let mut root = String::from(
            "module \"direct\" {\n  source = \"./modules/shared\"\n  name = \"direct\"\n}\n",
        );
        for i in 0..48 {
            root.push_str(&format!(
                "module \"m{i}\" {{\n  source = \"./modules/m{i}\"\n  index = {i}\n}}\n"
            ));
            let m = dir.join(format!("modules/m{i}"));
            write(
                &m.join("variables.tf"),
                "variable \"index\" { type = number }\n",
            );
            write(
                &m.join("main.tf"),
                "module \"a\" {\n  source = \"../shared\"\n  name = \"a-${var.index}\"\n}\n\
                 module \"b\" {\n  source = \"../shared\"\n  name = \"b-${var.index}\"\n}\n\
                 resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"${module.a.name}-${local.l0}\"\n}\n",
            );
            for f in 0..4 {
                let mut locals = String::from("locals {\n");
                for l in 0..50 {
                    locals.push_str(&format!("  l{} = \"v${{var.index}}-{l}\"\n", f * 50 + l));
                }
                locals.push_str("}\n");
                write(&m.join(format!("locals{f}.tf")), &locals);
            }
        }
        write(&dir.join("main.tf"), &root);
        let s = dir.join("modules/shared");
        write(
            &s.join("variables.tf"),
            "variable \"name\" { type = string }\n",
        );
        write(
            &s.join("outputs.tf"),
            "output \"name\" { value = var.name }\n",
        );
        write(&s.join("main.tf"), shared);
    }

    /// Load `dir` on another thread, failing the test instead of hanging
    /// if the load does not end within two minutes (a deadlock).
    fn load_within_timeout(dir: &Path) -> Result<Loaded, TfError> {
        let opts = Options {
            environment: "staging".into(),
            root: dir.to_path_buf(),
            base: dir.to_path_buf(),
            var_files: Vec::new(),
            vars: crate::model::Map::new(),
            var_origins: Default::default(),
            workspace: "default".into(),
            data: None,
            identity: Default::default(),
            facts: None,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(load_all(&opts, &[], TFVARS));
        });
        rx.recv_timeout(std::time::Duration::from_secs(120))
            .expect("the load ended within two minutes (no deadlock)")
    }

    #[test]
    fn each_module_directory_is_parsed_once_without_deadlock() {
        let tmp = tempfile::tempdir().expect("tempdir");
        racing_project(
            tmp.path(),
            "resource \"aws_sqs_queue\" \"q\" {\n  name = var.name\n}\n",
        );
        // Several loads: which thread reaches a directory first varies.
        for _ in 0..5 {
            let loaded = load_within_timeout(tmp.path()).expect("load");
            // The root, 48 modules and `shared`.
            assert_eq!(loaded.parses, 50);
            // A bucket per module, a queue per call of `shared` (2 x 48 + 1).
            let count = |t: &str| {
                loaded
                    .snapshot
                    .resources
                    .iter()
                    .filter(|r| r.rtype == t)
                    .count()
            };
            assert_eq!(count("aws_s3_bucket"), 48);
            assert_eq!(count("aws_sqs_queue"), 97);
        }
    }

    #[test]
    fn a_module_that_fails_to_parse_fails_every_waiter_without_deadlock() {
        let tmp = tempfile::tempdir().expect("tempdir");
        racing_project(
            tmp.path(),
            "resource \"aws_sqs_queue\" \"q\" {\n  name = \n",
        );
        for _ in 0..3 {
            let err = load_within_timeout(tmp.path())
                .err()
                .expect("a parse error fails the load");
            let shown = err.to_string();
            assert!(
                shown.contains("modules/shared/main.tf:"),
                "names the file and line: {shown}"
            );
        }
    }

    #[test]
    fn snapshot_sizes_grow_with_resources_and_attributes() {
        let mut snap = Snapshot::new("staging", SourceKind::Code);
        assert_eq!(approx_snapshot_size(&snap), 0);
        let mut r = Resource::new(
            "aws_s3_bucket.a".to_string(),
            "aws_s3_bucket",
            crate::model::Location::new("main.tf", Some(1)),
        );
        snap.resources.push(r.clone());
        let one = approx_snapshot_size(&snap);
        assert!(one > 0);
        r.attributes
            .insert("bucket".into(), crate::model::Value::str("a"));
        snap.dependencies.push(r);
        assert!(approx_snapshot_size(&snap) > 2 * one);
    }
}
