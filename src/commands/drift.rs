//! `parity drift ENV`: code against state against live for one environment.

use parity::cli::DriftArgs;
use parity::report::{exit_status, ExitStatus};
use parity::run::DriftOptions;

use super::{categories, emit, open_session, threshold, Globals, Output};

pub fn run(g: &Globals, args: DriftArgs) -> anyhow::Result<ExitStatus> {
    let session = open_session(g)?;
    let opts = DriftOptions {
        categories: categories(args.category),
        live: !args.no_live,
    };
    let report = session.drift(&args.env, &opts)?;
    let threshold = threshold(args.fail_on, &session);
    let output = args.output.as_deref();
    let out = Output::new(args.format, output, g.verbose, threshold, &session);
    emit(&out.render(&report), output)?;
    Ok(exit_status(&report, threshold))
}
