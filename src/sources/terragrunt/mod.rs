//! The Terragrunt code source: a live repository's tree of units
//! (`terragrunt.hcl` files) read as one environment.
//!
//! Each unit's configuration is evaluated here (`config`: `locals`,
//! `include` with its merge strategies, `inputs`, `dependency`, the
//! Terragrunt functions in `functions`, Terraform's through the Terraform
//! source's library); its module (`terraform { source }`) is then loaded by
//! the Terraform source with the unit's inputs as variable values, and its
//! resources are addressed `<unit path>/<Terraform address>`
//! (`mysql/aws_db_instance.this`), the unit path being relative to the
//! environment's root, so units pair across environments whose trees have
//! the same shape. `locate` points attributes set from an input at the
//! `terragrunt.hcl` line of that input.
//!
//! This file finds the units and holds what one run shares (parsed files,
//! units read, coverage); `unit` reads one unit.
//!
//! For `--source state` and `parity drift` (`state::load_states`), each
//! unit's state is read instead (the `states` directory of parity.toml, or
//! the unit's `local` backend), addressed the same way.
//!
//! Nothing is executed: `run_cmd`, `sops_decrypt_file` and the functions
//! that call AWS are unknown values, listed in coverage.

mod cache;
mod cfg;
mod config;
mod functions;
pub mod init;
mod init_env;
mod locate;
mod merge;
mod source;
mod state;
mod unit;

pub use cfg::TerragruntTable;
pub(crate) use source::Terragrunt;
pub use state::STATE_FILE;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::model::{CoverageGap, Resource, Snapshot, SourceKind, Value};
use crate::sources::terraform::{files, parse, TfError};

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
    #[error("unit {unit}: {cause}")]
    State {
        unit: String,
        cause: crate::sources::state::StateError,
    },
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
    /// A directory of state files, one per unit:
    /// `<states>/<unit path>/terraform.tfstate` (`dependency` outputs).
    pub states: Option<PathBuf>,
    /// How the environment normalizes: its units' sensitive values are
    /// hashed as normalized (`normalize::sensitive_value`).
    pub identity: crate::sources::snapshot::Identity,
}

/// Load one environment's Terragrunt tree.
pub fn load(opts: &Options) -> Result<Snapshot, TgError> {
    on_eval_thread(|| load_here(opts))
}

pub use state::load_states;

/// Run `f` where evaluation may recurse deeply.
fn on_eval_thread<T: Send>(f: impl Fn() -> Result<T, TgError> + Sync) -> Result<T, TgError> {
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
                f()
            }) {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(TgError::Eval(
                    "internal error while evaluating Terragrunt (please report it)".into(),
                ))
            }),
            Err(_) => {
                // The caller's stack, of unknown size: a small budget.
                STACK.with(|s| s.set((stack_address(), 512 << 10)));
                f()
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

/// The options with absolute paths (as Terragrunt's path functions
/// return them; locations are still shown relative to `base`) and the
/// units below the root; `None` when there are none.
#[allow(clippy::type_complexity, reason = "a local shape, used twice")]
fn prepare(opts: &Options) -> Result<Option<(Options, Vec<PathBuf>, Vec<PathBuf>)>, TgError> {
    if !opts.root.is_dir() {
        return Ok(None);
    }
    let opts = Options {
        root: absolute(&opts.root),
        base: absolute(&opts.base),
        states: opts.states.as_deref().map(absolute),
        ..opts.clone()
    };
    let (units, stacks) = walk(&opts.root)?;
    if units.is_empty() && stacks.is_empty() {
        return Ok(None);
    }
    Ok(Some((opts, units, stacks)))
}

fn load_here(opts: &Options) -> Result<Snapshot, TgError> {
    let Some((opts, units, stacks)) = prepare(opts)? else {
        return Err(TgError::NoUnits(files::display(&opts.base, &opts.root)));
    };
    let opts = &opts;
    let run = Run::new(opts);
    let mut units = units;
    units.extend(run.check_stacks(&stacks)?);
    units.sort();
    units.dedup();
    // Exclusions first: a unit's `exclude_dependencies` excludes units
    // that may come before it.
    for dir in &units {
        run.exclusion(dir)?;
    }
    let mut snapshot = Snapshot::new(opts.environment.clone(), SourceKind::Code);
    for dir in &units {
        let out = run.unit(dir, None)?;
        snapshot.resources.extend(out.resources.iter().cloned());
        snapshot
            .dependencies
            .extend(out.dependencies.iter().cloned());
        snapshot.unread.extend(out.unread.iter().cloned());
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
    snapshot.unread.sort();
    snapshot.unread.dedup();
    Ok(snapshot)
}

/// Every unit directory at or below `root`, sorted; hidden directories
/// (`.terragrunt-cache`, `.terraform`, `.git`) are not entered, except a
/// stack's generated `.terragrunt-stack`.
pub fn discover(root: &Path) -> Result<Vec<PathBuf>, TgError> {
    Ok(walk(root)?.0)
}

/// The unit directories and the stack files at or below `root`, sorted.
fn walk(root: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), TgError> {
    let mut out = Vec::new();
    let mut stacks = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        if dir.join(UNIT_FILE).is_file() {
            out.push(dir.clone());
        }
        if dir.join(config::STACK_FILE).is_file() {
            stacks.push(dir.join(config::STACK_FILE));
        }
        let entries = std::fs::read_dir(&dir).map_err(|cause| TgError::Io {
            path: dir.display().to_string(),
            cause,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let hidden = name.to_string_lossy().starts_with('.') && name != config::STACK_DIR;
            if !hidden && entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(entry.path());
            }
        }
    }
    out.sort();
    stacks.sort();
    Ok((out, stacks))
}

/// A unit of a stack that was not generated: its source's configuration
/// and the block's `values`.
#[derive(Debug, Clone)]
pub(crate) struct VirtualUnit {
    file: PathBuf,
    values: Value,
}

/// One unit as read: its resources (addressed under its path), and its
/// module's outputs when its module was loaded.
#[derive(Debug, Default)]
pub(crate) struct UnitOut {
    resources: Vec<Resource>,
    dependencies: Vec<Resource>,
    coverage: Vec<CoverageGap>,
    /// Address prefixes not read (see [`Snapshot::unread`]): the unit
    /// itself when its module is not installed, or module calls inside.
    unread: Vec<String>,
    outputs: Option<Value>,
    /// Why `outputs` is `None`.
    no_outputs: Option<String>,
    /// Its state file, when configured (outputs not known statically).
    state: Option<state::StateFile>,
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
    /// Units excluded from the run (`exclude` blocks, their
    /// `exclude_dependencies`), by directory: the coverage line that says
    /// so (what, why).
    excluded: RefCell<HashMap<PathBuf, (String, String)>>,
    /// Units of stacks that were not generated, read from their local
    /// `source` as if generated: by generated directory.
    virtual_units: RefCell<HashMap<PathBuf, VirtualUnit>>,
    /// Nested stacks that were not generated, read from their local
    /// `source` (its `terragrunt.stack.hcl`) as if generated: by generated
    /// directory.
    virtual_stacks: RefCell<HashMap<PathBuf, VirtualUnit>>,
    /// `terragrunt.values.hcl` files read, by path.
    pub(crate) values_cache: RefCell<HashMap<PathBuf, Value>>,
    /// State files read for their outputs, by path.
    states_read: RefCell<HashMap<PathBuf, Rc<state::Outputs>>>,
    /// Units whose `exclude` block has been evaluated.
    exclusion_read: RefCell<std::collections::HashSet<PathBuf>>,
    gaps: RefCell<Vec<CoverageGap>>,
}

impl<'o> Run<'o> {
    pub(crate) fn new(opts: &'o Options) -> Self {
        Run {
            opts,
            parsed: RefCell::default(),
            units: RefCell::default(),
            stack: RefCell::default(),
            reading: RefCell::default(),
            read_cache: RefCell::default(),
            excluded: RefCell::default(),
            states_read: RefCell::default(),
            values_cache: RefCell::default(),
            virtual_units: RefCell::default(),
            virtual_stacks: RefCell::default(),
            exclusion_read: RefCell::default(),
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
        // A unit of a stack not generated: its source's file, evaluated
        // where Terragrunt would generate it.
        // A nested stack not generated: its source's stack file, likewise.
        let real = key.parent().and_then(|d| {
            let name = key.file_name()?;
            if name == UNIT_FILE {
                self.virtual_unit(d)
            } else if name == config::STACK_FILE {
                self.virtual_stack(d)
            } else {
                None
            }
            .map(|u| u.file)
        });
        let read_from = real.as_deref().unwrap_or(&key);
        let shown = self.show(read_from);
        let bytes =
            crate::input::read(read_from, crate::input::limits().tfvars_file).map_err(|cause| {
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
}

impl Run<'_> {
    /// Evaluate the `exclude` block of the unit in `dir` (once), marking
    /// it, and with `exclude_dependencies` its dependencies, excluded.
    pub(crate) fn exclusion(&self, dir: &Path) -> Result<(), TgError> {
        let dir = files::lexical(dir);
        if !self.exclusion_read.borrow_mut().insert(dir.clone()) {
            return Ok(());
        }
        let file = dir.join(UNIT_FILE);
        if !self.has_unit(&dir) {
            // Said where the unit is read.
            return Ok(());
        }
        let Some(ex) = config::exclusion(self, &file)? else {
            return Ok(());
        };
        let actions = ex
            .actions
            .iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ");
        self.excluded.borrow_mut().insert(
            dir.clone(),
            (
                ex.at.clone(),
                format!(
                    "unit excluded (`exclude` block, actions [{actions}]): not read, not compared"
                ),
            ),
        );
        if let Some(deps_at) = &ex.dependencies_at {
            let unit = self.show(&dir);
            let mut excluded = self.excluded.borrow_mut();
            for dep in &ex.dependencies {
                excluded.entry(dep.clone()).or_insert_with(|| {
                    (
                        self.show(&dep.join(UNIT_FILE)),
                        format!("unit excluded as a dependency of {unit} (`exclude_dependencies = true` at {deps_at}): not read, not compared"),
                    )
                });
            }
        }
        Ok(())
    }

    /// A unit of a stack that was not generated, by the directory it
    /// would be generated in.
    pub(crate) fn virtual_unit(&self, dir: &Path) -> Option<VirtualUnit> {
        self.virtual_units
            .borrow()
            .get(&files::lexical(dir))
            .cloned()
    }

    /// A nested stack that was not generated, by the directory it would
    /// be generated in.
    pub(crate) fn virtual_stack(&self, dir: &Path) -> Option<VirtualUnit> {
        self.virtual_stacks
            .borrow()
            .get(&files::lexical(dir))
            .cloned()
    }

    /// Whether the unit in `dir` has a configuration (on disk, or from
    /// its stack's local source).
    pub(crate) fn has_unit(&self, dir: &Path) -> bool {
        dir.join(UNIT_FILE).is_file() || self.virtual_unit(dir).is_some()
    }

    /// The `unit` and `stack` blocks of the stack files: a unit not
    /// generated whose `source` is a local directory is read from there as
    /// if generated (its directory returned), and so is a nested stack not
    /// generated whose `source` is a local directory holding a
    /// `terragrunt.stack.hcl` (its blocks in turn); other blocks whose
    /// generated directory is not there are listed (not read).
    pub(crate) fn check_stacks(&self, stacks: &[PathBuf]) -> Result<Vec<PathBuf>, TgError> {
        let mut added = Vec::new();
        for file in stacks {
            let real = files::lexical(file);
            self.check_stack(file, &mut vec![real], &mut added)?;
        }
        Ok(added)
    }

    /// The blocks of the stack file `file` (where it is, or would be,
    /// generated); `chain` holds the stack files being read, outermost
    /// first (cycles, depth).
    fn check_stack(
        &self,
        file: &Path,
        chain: &mut Vec<PathBuf>,
        added: &mut Vec<PathBuf>,
    ) -> Result<(), TgError> {
        let stack_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        for e in config::entries(self, file)? {
            let marker = if e.kind == "unit" {
                UNIT_FILE
            } else {
                config::STACK_FILE
            };
            let generated = e.generated.join(marker).is_file();
            let local = e
                .source
                .as_deref()
                .and_then(unit::local_source)
                .map(|s| files::lexical(&stack_dir.join(s)).join(marker))
                .filter(|f| f.is_file());
            match (generated, e.kind.as_str(), local) {
                (false, "unit", Some(source_file)) => {
                    self.virtual_units.borrow_mut().insert(
                        e.generated.clone(),
                        VirtualUnit {
                            file: source_file,
                            values: e.values.clone(),
                        },
                    );
                    added.push(e.generated.clone());
                }
                (false, "stack", Some(source_file)) => {
                    if chain.contains(&source_file) {
                        let mut shown: Vec<String> = chain.iter().map(|f| self.show(f)).collect();
                        shown.push(self.show(&source_file));
                        return Err(TgError::Eval(format!(
                            "{}: stack `{}` includes itself: {}",
                            e.at,
                            e.name,
                            shown.join(" -> ")
                        )));
                    }
                    if chain.len() > MAX_INCLUDE_DEPTH {
                        return Err(TgError::Eval(format!(
                            "{}: stack `{}`: stacks nested more than {MAX_INCLUDE_DEPTH} deep",
                            e.at, e.name
                        )));
                    }
                    self.virtual_stacks.borrow_mut().insert(
                        e.generated.clone(),
                        VirtualUnit {
                            file: source_file.clone(),
                            values: e.values.clone(),
                        },
                    );
                    chain.push(source_file);
                    let nested = e.generated.join(config::STACK_FILE);
                    let out = self.check_stack(&nested, chain, added);
                    chain.pop();
                    out?;
                }
                (false, kind, _) => {
                    let why = match &e.source {
                        Some(s) if unit::local_source(s).is_none() => {
                            format!("its source `{s}` is a remote catalog parity does not fetch")
                        }
                        _ => format!("its source is not a local directory with a {marker}"),
                    };
                    self.gap(
                        e.at,
                        format!(
                            "{kind} `{}` is not generated ({} has no {marker}; `terragrunt stack generate` writes it) and {why}: not read",
                            e.name,
                            self.show(&e.generated)
                        ),
                    );
                }
                (true, _, _) => {}
            }
        }
        Ok(())
    }

    /// The gaps found so far, taken.
    pub(crate) fn take_gaps(&self) -> Vec<CoverageGap> {
        self.gaps.take()
    }

    /// Why the unit in `dir` is excluded, when it is (what, why).
    pub(crate) fn excluded(&self, dir: &Path) -> Result<Option<(String, String)>, TgError> {
        self.exclusion(dir)?;
        Ok(self.excluded.borrow().get(&files::lexical(dir)).cloned())
    }
}

fn absolute(path: &Path) -> PathBuf {
    files::lexical(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}
