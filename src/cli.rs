//! Command-line arguments (clap derive types only).
//!
//! Doc comments here are `--help` text, not rustdoc: `[[check]]` is
//! parity.toml syntax, not a link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "parity",
    version,
    about = "Tells a team where its staging environment stops looking like production",
    long_about = "Reads Terraform code, state or plan JSON for each environment, normalizes it into one model, \
pairs resources across environments and judges every difference with rules.\n\n\
Exit codes: 0 parity holds at --fail-on; 1 parity could not do its job (bad input or usage); \
2 violations at or above --fail-on; 3 no violations but some input could not be read."
)]
pub struct Cli {
    /// parity.toml to use (a directory means DIR/parity.toml). Default: ./parity.toml when present.
    #[arg(short = 'C', long = "config", global = true, value_name = "CONFIG")]
    pub config: Option<PathBuf>,

    /// Show expected differences too, and progress with timings per stage on
    /// stderr; -vv adds debug detail. RUST_LOG (tracing filter) takes over the
    /// log level when set.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print only errors on stderr (the report still goes to stdout).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    Code,
    State,
    Plan,
    Live,
}

/// When the table is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CategoryArg {
    Engine,
    Iam,
    Topology,
    Dependency,
    Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare two environments (names from parity.toml, directories, or snapshot files).
    Diff(DiffArgs),
    /// Run every [[check]] of parity.toml: one combined report, one exit code (the CI entry point).
    Check(CheckArgs),
    /// Code against state (and against the live account when the environment
    /// has an `aws` table): what changed outside the code, what was not
    /// applied, what was removed from code but not destroyed, what exists
    /// live but not in state (unmanaged) and what state has but live lacks (missing).
    Drift(DriftArgs),
    /// Write one environment's normalized model as JSON.
    Snapshot(SnapshotArgs),
    /// List or explain the rules in force.
    Rules {
        #[command(subcommand)]
        action: Option<RulesAction>,
    },
    /// Write a commented parity.toml from the layout found here (or in the -C
    /// directory): environment directories, per-environment var files,
    /// workspaces, state files, and a [[check]] of the most production-like
    /// environment against the others. Never overwrites without --force.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout, or write parity.1 and one page per
    /// subcommand into DIR.
    Man(ManArgs),
}

// What every command that judges prints and how it fails: the report's
// format and destination, `--fail-on` and `--category` (flattened into
// diff, check and drift, in this order in their help).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// How to print the report (the exit code is the same in every format).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that fails the run (exit 2). Default: parity.toml's fail-on, else error.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Only report these categories (repeatable).
    #[arg(long, value_enum)]
    pub category: Vec<CategoryArg>,
    /// Colour severities in the table: auto (a terminal without NO_COLOR), always or never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Fit the table into this many columns (at least 80; values wrap in their column). Default: $COLUMNS, else the terminal's width, else unbounded when not on a terminal.
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<u16>,
}

// The arguments of `parity diff` (no doc comment: the variant's is its help).
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first environment: a name or alias in parity.toml, a directory
    /// (envs/NAME, NAME.tfvars, ... without parity.toml), or a snapshot file.
    pub env_a: String,
    /// The environment to compare it with, usually the reference (prod).
    pub env_b: String,
    /// What to read for each environment.
    #[arg(long, value_enum, default_value_t = SourceArg::Code)]
    pub source: SourceArg,
    #[command(flatten)]
    pub report: ReportArgs,
    /// A previous JSON report (from the base branch): findings are marked
    /// new / existing / resolved and --fail-on judges only new ones.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also write this run's report as a baseline to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

// The arguments of `parity check` (no doc comment: the variant's is its help).
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// Previous report(s) of `parity check --format json`: judge only new findings.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also write this run's reports as a baseline to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

// The arguments of `parity drift` (no doc comment: the variant's is its help).
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// An environment of parity.toml with code and state.
    pub env: String,
    /// Compare code and state only, even when the environment has an `aws` table.
    #[arg(long)]
    pub no_live: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

// The arguments of `parity snapshot` (no doc comment: the variant's is its help).
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The environment to read (a name or alias in parity.toml, or a directory).
    pub env: String,
    #[arg(long, value_enum, default_value_t = SourceArg::Code)]
    pub source: SourceArg,
    /// Write to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

// The arguments of `parity init` (no doc comment: the variant's is its help).
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Replace an existing parity.toml.
    #[arg(long)]
    pub force: bool,
    /// Print the parity.toml to stdout instead of writing it (a dry run).
    #[arg(long, visible_alias = "dry-run")]
    pub stdout: bool,
}

// The arguments of `parity man` (no doc comment: the variant's is its help).
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write parity.1, parity-diff.1, ... into DIR instead of stdout.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// One line per rule.
    List,
    /// A rule's summary, why, category, severity and comparator.
    Show { id: String },
    /// The rules reference as Markdown (docs/rules.md is generated from this).
    Docs,
}
