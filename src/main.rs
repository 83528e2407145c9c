//! The `parity` binary: parse arguments, dispatch to a command
//! (`src/commands/`), map the outcome to an exit code. Errors are printed
//! once as one chain (`anyhow`'s `{:#}`: each library error prints its own
//! message and chains its cause), never as a debug dump. A closed stdout
//! (`parity diff ... | head`) ends the run quietly with exit 0, as ripgrep
//! does.

mod commands;

use std::process::ExitCode;

use clap::Parser;

use parity::cli::Cli;
use parity::logging::Verbosity;
use parity::report::ExitStatus;

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
    match commands::run(cli) {
        Ok(status) => ExitCode::from(status.code() as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(ExitStatus::Failure.code() as u8)
        }
    }
}

/// The reader of stdout went away (`| head`): not a failure of parity.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
