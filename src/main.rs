//! The `parity` binary: parse arguments, run, print, map the outcome to an
//! exit code. Errors are printed as one clear chain (`anyhow` `{:#}`), never
//! as a debug dump.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use clap::{CommandFactory, Parser};

use parity::cli::{CategoryArg, Cli, Command, FailOnArg, RulesAction, SourceArg};
use parity::findings::{Category, Severity};
use parity::logging::{Stage, Verbosity};
use parity::model::SourceKind;
use parity::report::{exit_status, ExitStatus, Format, RenderContext, RenderOptions};
use parity::run::{DiffOptions, Session};

/// mimalloc: evaluation and normalization make millions of small
/// allocations; glibc's malloc and free were a third of a load's
/// instructions (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Usage errors exit 1 (parity could not do its job), never 2, which
    // means "violations"; --help and --version exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    parity::logging::init(Verbosity::from_flags(cli.quiet, cli.verbose));
    // The process exits after one report: what the loads leave behind is
    // left to the system to reclaim, up to this much (see the function).
    parity::sources::terraform::keep_until_exit(parity::sources::terraform::CLI_KEEP_BUDGET);
    match run(cli) {
        Ok(status) => ExitCode::from(status.code() as u8),
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {}", one_sentence(&e));
            }
            ExitCode::from(ExitStatus::Failure.code() as u8)
        }
    }
}

/// The error and its causes on one line, without repeating a cause the
/// message already states (our messages name their cause themselves).
fn one_sentence(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

fn source_kind(s: SourceArg) -> SourceKind {
    match s {
        SourceArg::Code => SourceKind::Code,
        SourceArg::State => SourceKind::State,
        SourceArg::Plan => SourceKind::Plan,
        SourceArg::Live => SourceKind::Live,
    }
}

fn category(c: CategoryArg) -> Category {
    match c {
        CategoryArg::Engine => Category::Engine,
        CategoryArg::Iam => Category::Iam,
        CategoryArg::Topology => Category::Topology,
        CategoryArg::Dependency => Category::Dependency,
        CategoryArg::Config => Category::Config,
    }
}

/// Write to a file, or stdout.
fn emit(text: &str, output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .context("cannot write to stdout")?;
            out.flush().ok();
            Ok(())
        }
    }
}

/// The session for the `-C` config, with the live read's progress bar on
/// a terminal only, never under `-q`.
fn open_session(config: Option<&Path>, quiet: bool, cwd: &Path) -> anyhow::Result<Session> {
    let mut session = Session::open(config, cwd)?;
    session.progress &= !quiet;
    Ok(session)
}

/// `--fail-on`, else parity.toml's `fail-on`, else `error`.
fn threshold(fail_on: Option<FailOnArg>, session: &Session) -> Option<Severity> {
    match fail_on {
        Some(FailOnArg::Error) => Some(Severity::Error),
        Some(FailOnArg::Warning) => Some(Severity::Warning),
        Some(FailOnArg::Info) => Some(Severity::Info),
        Some(FailOnArg::Never) => None,
        None => match session.config.as_ref().and_then(|c| c.fail_on) {
            Some(f) => f.threshold(),
            None => Some(Severity::Error),
        },
    }
}

fn color_wanted(output: Option<&Path>, format: Format) -> bool {
    format == Format::Table
        && output.is_none()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

/// How a command renders its report(s): the format, terminal colour, and
/// what the renderers need from the session (rules for SARIF, the threshold
/// for JUnit failures).
struct Output<'s> {
    format: Format,
    options: RenderOptions,
    context: RenderContext<'s>,
}

impl<'s> Output<'s> {
    fn new(
        format: Format,
        output: Option<&Path>,
        verbose: bool,
        threshold: Option<Severity>,
        session: &'s Session,
    ) -> Self {
        Output {
            format,
            options: RenderOptions {
                verbose,
                color: color_wanted(output, format),
            },
            context: RenderContext {
                rules: &session.rules,
                fail_on: threshold,
                path_prefix: &session.repo_prefix,
            },
        }
    }

    fn render(&self, report: &parity::report::Report) -> String {
        let stage = Stage::start(format!("render ({})", self.format));
        let text = report.render_with(self.format, &self.options, &self.context);
        stage.done(format_args!("{} bytes", text.len()));
        text
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    match cli.command {
        Command::Diff {
            env_a,
            env_b,
            source,
            format,
            output,
            fail_on,
            category: categories,
            baseline,
            write_baseline,
        } => {
            let session = open_session(cli.config.as_deref(), cli.quiet, &cwd)?;
            let opts = DiffOptions {
                source: source_kind(source),
                categories: categories.into_iter().map(category).collect(),
            };
            let mut report = session.diff(&env_a, &env_b, &opts)?;
            let threshold = threshold(fail_on, &session);
            if let Some(path) = &write_baseline {
                parity::baseline::write(&report, path)?;
            }
            if let Some(path) = &baseline {
                let base = parity::baseline::load_all(path)?;
                parity::baseline::apply_all(&mut report, &base);
            }
            let out = Output::new(
                format,
                output.as_deref(),
                cli.verbose > 0,
                threshold,
                &session,
            );
            emit(&out.render(&report), output.as_deref())?;
            Ok(exit_status(&report, threshold))
        }
        Command::Check {
            format,
            output,
            fail_on,
            category: categories,
            baseline,
            write_baseline,
        } => {
            let session = open_session(cli.config.as_deref(), cli.quiet, &cwd)?;
            let Some(config) = &session.config else {
                return Err(anyhow!(
                    "`parity check` runs the [[check]] tables of a parity.toml, and there is none here (-C points at one)"
                ));
            };
            if config.checks.is_empty() {
                return Err(anyhow!(
                    "{} has no [[check]] table: add one (reference = \"prod\", compare = [\"staging\"]) or use `parity diff`",
                    config.path.display()
                ));
            }
            let categories: Vec<Category> = categories.into_iter().map(category).collect();
            let mut reports = Vec::new();
            for check in &config.checks {
                for env in &check.compare {
                    let opts = DiffOptions {
                        source: check.source,
                        categories: categories.clone(),
                    };
                    reports.push(session.diff(env, &check.reference, &opts)?);
                }
            }
            let threshold = threshold(fail_on, &session);
            if let Some(path) = &write_baseline {
                parity::baseline::write_all(&reports, path)?;
            }
            if let Some(path) = &baseline {
                let base = parity::baseline::load_all(path)?;
                for r in &mut reports {
                    parity::baseline::apply_all(r, &base);
                }
            }
            let out = Output::new(
                format,
                output.as_deref(),
                cli.verbose > 0,
                threshold,
                &session,
            );
            let text = match (format, reports.as_slice()) {
                (_, [one]) => out.render(one),
                (Format::Json, many) => {
                    let mut t = serde_json::to_string_pretty(many)?;
                    t.push('\n');
                    t
                }
                (Format::Table | Format::Markdown | Format::Github, many) => many
                    .iter()
                    .map(|r| out.render(r))
                    .collect::<Vec<_>>()
                    .join("\n"),
                (other, _) => {
                    return Err(anyhow!(
                        "--format {other} holds one comparison and parity.toml's checks make {}: use --format json, table, markdown or github, or `parity diff`",
                        reports.len()
                    ))
                }
            };
            emit(&text, output.as_deref())?;
            // One exit code: violations anywhere win, then incomplete coverage.
            let statuses: Vec<ExitStatus> =
                reports.iter().map(|r| exit_status(r, threshold)).collect();
            Ok(if statuses.contains(&ExitStatus::Violations) {
                ExitStatus::Violations
            } else if statuses.contains(&ExitStatus::Incomplete) {
                ExitStatus::Incomplete
            } else {
                ExitStatus::Success
            })
        }
        Command::Drift {
            env,
            no_live,
            format,
            output,
            fail_on,
            category: categories,
        } => {
            let session = open_session(cli.config.as_deref(), cli.quiet, &cwd)?;
            let categories: Vec<Category> = categories.into_iter().map(category).collect();
            let report = session.drift_with(&env, &categories, !no_live)?;
            let threshold = threshold(fail_on, &session);
            let out = Output::new(
                format,
                output.as_deref(),
                cli.verbose > 0,
                threshold,
                &session,
            );
            emit(&out.render(&report), output.as_deref())?;
            Ok(exit_status(&report, threshold))
        }
        Command::Snapshot {
            env,
            source,
            output,
        } => {
            let session = open_session(cli.config.as_deref(), cli.quiet, &cwd)?;
            let spec = session.env(&env)?;
            let (snap, identity) = session.snapshot(&spec, source_kind(source))?;
            let text = parity::sources::snapshot::to_json(&snap, &identity);
            emit(&text, output.as_deref())?;
            Ok(if snap.coverage.is_empty() {
                ExitStatus::Success
            } else {
                ExitStatus::Incomplete
            })
        }
        Command::Rules { action } => {
            let session = Session::open(cli.config.as_deref(), &cwd)?;
            let text = match action.unwrap_or(RulesAction::List) {
                RulesAction::List => parity::rules::describe::list(&session.rules),
                RulesAction::Show { id } => match session.rules.iter().find(|r| r.id == id) {
                    Some(rule) => parity::rules::describe::show(rule),
                    None => {
                        return Err(anyhow!(
                            "unknown rule `{id}`: `parity rules list` shows every rule id"
                        ))
                    }
                },
                RulesAction::Docs => parity::rules::packs::render_markdown(&session.rules),
            };
            emit(&text, None)?;
            Ok(ExitStatus::Success)
        }
        Command::Init { force, stdout } => {
            // Relative to the working directory, so messages show it as given.
            let path = parity::init::target(cli.config.as_deref(), Path::new(""));
            let outcome = parity::init::run(&path, force, stdout)?;
            if stdout {
                emit(&outcome.text, None)?;
            }
            if !cli.quiet {
                note(&init_summary(&outcome, &cwd));
            }
            Ok(ExitStatus::Success)
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "parity", &mut out);
            emit(&String::from_utf8_lossy(&out), None)?;
            Ok(ExitStatus::Success)
        }
        Command::Man { output } => {
            let cmd = Cli::command();
            match output {
                None => {
                    let mut out = Vec::new();
                    clap_mangen::Man::new(cmd)
                        .render(&mut out)
                        .context("cannot render the man page")?;
                    emit(&String::from_utf8_lossy(&out), None)?;
                }
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    let written = write_man_pages(cmd, &dir)?;
                    if !cli.quiet {
                        note(&format!("wrote {} man pages to {}", written, dir.display()));
                    }
                }
            }
            Ok(ExitStatus::Success)
        }
    }
}

/// One line for the user on stderr (stdout holds only reports).
fn note(text: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{text}");
    }
}

/// What `parity init` found and wrote, for the user.
fn init_summary(outcome: &parity::init::Outcome, cwd: &Path) -> String {
    let p = &outcome.proposal;
    let shown = outcome
        .path
        .strip_prefix(cwd)
        .unwrap_or(&outcome.path)
        .display()
        .to_string();
    let mut out = format!(
        "{} {shown}: {} environment{} ({}), {}",
        if outcome.written {
            "wrote"
        } else {
            "would write"
        },
        p.environments.len(),
        if p.environments.len() == 1 { "" } else { "s" },
        p.environments
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        p.layout.describe()
    );
    if let Some(reference) = &p.reference {
        out.push_str(&format!(
            "; [[check]] holds {} to {reference}",
            p.compared().join(", ")
        ));
    }
    for n in &p.notes {
        out.push_str("\nnote: ");
        out.push_str(n);
    }
    if outcome.written && p.reference.is_some() {
        out.push_str("\nnext: review it, then `parity check`");
    }
    out
}

/// `parity.1` and `parity-<sub>.1` for every subcommand (nested ones too);
/// returns how many pages were written.
fn write_man_pages(cmd: clap::Command, dir: &Path) -> anyhow::Result<usize> {
    fn pages(cmd: &clap::Command) -> usize {
        1 + cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
            .map(pages)
            .sum::<usize>()
    }
    let n = pages(&cmd);
    clap_mangen::generate_to(cmd, dir)
        .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
    Ok(n)
}
