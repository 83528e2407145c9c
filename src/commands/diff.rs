//! `parity diff A B`: compare two environments.

use parity::cli::DiffArgs;
use parity::report::{exit_status, ExitStatus};
use parity::run::DiffOptions;

use super::{categories, emit, open_session, source_kind, threshold, Globals, Output};

pub fn run(g: &Globals, args: DiffArgs) -> anyhow::Result<ExitStatus> {
    let session = open_session(g)?;
    let opts = DiffOptions {
        source: source_kind(args.source),
        categories: categories(args.category),
    };
    let mut report = session.diff(&args.env_a, &args.env_b, &opts)?;
    let threshold = threshold(args.fail_on, &session);
    if let Some(path) = &args.write_baseline {
        parity::baseline::write(&report, path)?;
    }
    if let Some(path) = &args.baseline {
        let base = parity::baseline::load_all(path)?;
        parity::baseline::apply_all(&mut report, &base);
    }
    let output = args.output.as_deref();
    let out = Output::new(args.format, output, g.verbose, threshold, &session);
    emit(&out.render(&report), output)?;
    Ok(exit_status(&report, threshold))
}
