//! `parity diff A B`: compare two environments.

use parity::cli::DiffArgs;
use parity::report::{exit_status, ExitStatus, Format};
use parity::run::DiffOptions;

use super::{categories, open_session, source_kind, threshold, Globals, Output};

pub fn run(g: &Globals, args: DiffArgs) -> anyhow::Result<ExitStatus> {
    let session = open_session(g)?;
    let opts = DiffOptions {
        source: source_kind(args.source),
        categories: categories(args.report.category.clone()),
    };
    let pictured = matches!(
        args.report.format,
        Format::Svg | Format::Html | Format::Markdown
    );
    let (mut report, topology) = if pictured {
        let (r, t) = session.diff_pictured(&args.env_a, &args.env_b, &opts)?;
        (r, Some(t))
    } else {
        (session.diff(&args.env_a, &args.env_b, &opts)?, None)
    };
    let threshold = threshold(args.report.fail_on, &session);
    if let Some(path) = &args.write_baseline {
        parity::baseline::write(&report, path)?;
    }
    if let Some(path) = &args.baseline {
        let base = parity::baseline::load_all(path)?;
        parity::baseline::apply_all(&mut report, &base);
    }
    let out =
        Output::new(&args.report, g.verbose, threshold, &session).with_topology(topology.as_ref());
    out.write(&report, args.report.output.as_deref())?;
    Ok(exit_status(&report, threshold))
}
