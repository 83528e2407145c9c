//! One file per subcommand; `main.rs` parses and dispatches here. What the
//! commands share: where a report goes ([`emit`]), how it is rendered
//! ([`Output`]), the `--fail-on` threshold, the session.

mod check;
mod diff;
mod drift;
mod init;
mod man;
mod rules;
mod snapshot;

use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory;

use parity::cli::{CategoryArg, Cli, Command, FailOnArg, ReportArgs, SourceArg};
use parity::findings::{Category, Severity};
use parity::logging::Stage;
use parity::model::SourceKind;
use parity::report::{ExitStatus, Format, RenderContext, RenderOptions, Report};
use parity::run::Session;

/// The global options every command sees.
pub struct Globals<'a> {
    pub config: Option<&'a Path>,
    pub quiet: bool,
    pub verbose: bool,
    pub cwd: &'a Path,
}

/// Run one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let g = Globals {
        config: cli.config.as_deref(),
        quiet: cli.quiet,
        verbose: cli.verbose > 0,
        cwd: &cwd,
    };
    match cli.command {
        Command::Diff(args) => diff::run(&g, args),
        Command::Check(args) => check::run(&g, args),
        Command::Drift(args) => drift::run(&g, args),
        Command::Snapshot(args) => snapshot::run(&g, args),
        Command::Rules { action } => rules::run(&g, action),
        Command::Init(args) => init::run(&g, args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "parity", &mut out);
            emit(&String::from_utf8_lossy(&out), None)?;
            Ok(ExitStatus::Success)
        }
        Command::Man(args) => man::run(&g, args),
    }
}

pub fn source_kind(s: SourceArg) -> SourceKind {
    match s {
        SourceArg::Code => SourceKind::Code,
        SourceArg::State => SourceKind::State,
        SourceArg::Plan => SourceKind::Plan,
        SourceArg::Live => SourceKind::Live,
    }
}

pub fn categories(c: Vec<CategoryArg>) -> Vec<Category> {
    c.into_iter()
        .map(|c| match c {
            CategoryArg::Engine => Category::Engine,
            CategoryArg::Iam => Category::Iam,
            CategoryArg::Topology => Category::Topology,
            CategoryArg::Dependency => Category::Dependency,
            CategoryArg::Config => Category::Config,
        })
        .collect()
}

/// Write to a file, or stdout.
pub fn emit(text: &str, output: Option<&Path>) -> anyhow::Result<()> {
    emit_with(output, |out| out.write_all(text.as_bytes()))
}

/// The buffer between a report's serializer and the file or stdout.
const OUTPUT_BUFFER: usize = 64 * 1024;

/// Hand `write` a buffered writer on `output` (a file, created or
/// truncated, as `std::fs::write` did) or on stdout, and flush it. A report
/// streamed this way is never held whole in memory. A write that fails
/// (a full disk, a closed pipe) is an error naming the file or stdout; the
/// file then holds what was written before the failure, as it did when the
/// report was written in one call.
pub fn emit_with(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, file);
            write(&mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, std::io::stdout().lock());
            write(&mut out)
                .and_then(|()| out.flush())
                .context("cannot write to stdout")
        }
    }
}

/// A writer that counts what goes through it (the `-v` line of a
/// streamed report).
struct Counted<'w> {
    inner: &'w mut dyn Write,
    bytes: usize,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf)?;
        self.bytes += buf.len();
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// One line for the user on stderr (stdout holds only reports).
pub fn note(text: &str) {
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{text}");
    }
}

/// The session for the `-C` config, with the live read's progress bar on
/// a terminal only, never under `-q`.
pub fn open_session(g: &Globals) -> anyhow::Result<Session> {
    let mut session = Session::open(g.config, g.cwd)?;
    session.progress &= !g.quiet;
    Ok(session)
}

/// `--fail-on`, else parity.toml's `fail-on`, else `error`.
pub fn threshold(fail_on: Option<FailOnArg>, session: &Session) -> Option<Severity> {
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

fn color_wanted(output: Option<&Path>, format: Format, asked: parity::cli::ColorArg) -> bool {
    use parity::cli::ColorArg;
    format == Format::Table
        && match asked {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                output.is_none()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
}

/// The width the table must fit: `--width`, else `$COLUMNS`, else the
/// terminal's when stdout is one (and the report goes there); never under
/// 80. `None`: no bound (a pipe or a file: the layout then depends on
/// nothing but the input).
fn table_width(args: &ReportArgs) -> Option<u16> {
    let asked = args.width.or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|c| *c > 0)
    });
    let width = match asked {
        Some(w) => Some(w),
        None if args.output.is_none() && std::io::stdout().is_terminal() => {
            parity::report::terminal_width()
        }
        None => None,
    };
    width.map(|w| w.max(parity::report::MIN_TABLE_WIDTH))
}

/// How a command renders its report(s): the format, terminal colour, and
/// what the renderers need from the session (rules for SARIF, the threshold
/// for JUnit failures).
pub struct Output<'s> {
    format: Format,
    options: RenderOptions,
    context: RenderContext<'s>,
}

impl<'s> Output<'s> {
    /// The output `--format`, `-o` and `--fail-on` ask for (`threshold`
    /// resolved from them and parity.toml).
    pub fn new(
        args: &ReportArgs,
        verbose: bool,
        threshold: Option<Severity>,
        session: &'s Session,
    ) -> Self {
        let format = args.format;
        Output {
            format,
            options: RenderOptions {
                verbose,
                color: color_wanted(args.output.as_deref(), format, args.color),
                width: table_width(args),
            },
            context: RenderContext {
                rules: &session.rules,
                fail_on: threshold,
                path_prefix: &session.repo_prefix,
                topology: None,
            },
        }
    }

    /// Draw this topology in the pictures (svg, html, markdown).
    pub fn with_topology(
        mut self,
        topology: Option<&'s parity::report::topology::Topology>,
    ) -> Self {
        self.context.topology = topology;
        self
    }

    pub fn render(&self, report: &Report) -> String {
        let stage = Stage::start(format!("render ({})", self.format));
        let text = report.render_with(self.format, &self.options, &self.context);
        stage.done(format_args!("{} bytes", text.len()));
        text
    }

    /// Render `report` straight to `output` (a file, or stdout): the bytes
    /// of [`Output::render`], with JSON and SARIF never held whole in
    /// memory. The `-v` line's time includes the writing.
    pub fn write(&self, report: &Report, output: Option<&Path>) -> anyhow::Result<()> {
        let stage = Stage::start(format!("render ({})", self.format));
        let mut bytes = 0;
        emit_with(output, |out| {
            let mut counted = Counted {
                inner: out,
                bytes: 0,
            };
            report.write_with(self.format, &self.options, &self.context, &mut counted)?;
            bytes = counted.bytes;
            Ok(())
        })?;
        stage.done(format_args!("{bytes} bytes"));
        Ok(())
    }
}
