//! `parity drift ENV`: code against state against live for one environment.

use parity::cli::DriftArgs;
use parity::report::{exit_status, ExitStatus};
use parity::run::DriftOptions;

use super::{categories, open_session, threshold, Globals, Output};

pub fn run(g: &Globals, args: DriftArgs) -> anyhow::Result<ExitStatus> {
    let session = open_session(g)?;
    let opts = DriftOptions {
        categories: categories(args.report.category.clone()),
        live: !args.no_live,
    };
    let report = session.drift(&args.env, &opts)?;
    let threshold = threshold(args.report.fail_on, &session);
    let out = Output::new(&args.report, g.verbose, threshold, &session);
    out.write(&report, args.report.output.as_deref())?;
    Ok(exit_status(&report, threshold))
}
