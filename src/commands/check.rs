//! `parity check`: every `[[check]]` of parity.toml, one report, one exit
//! code (the CI entry point).

use anyhow::anyhow;

use parity::cli::CheckArgs;
use parity::report::{exit_status, json, ExitStatus, Format};
use parity::run::DiffOptions;

use super::{categories, emit, emit_with, open_session, threshold, Globals, Output};

pub fn run(g: &Globals, args: CheckArgs) -> anyhow::Result<ExitStatus> {
    let session = open_session(g)?;
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
    let categories = categories(args.report.category.clone());
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
    let threshold = threshold(args.report.fail_on, &session);
    if let Some(path) = &args.write_baseline {
        parity::baseline::write_all(&reports, path)?;
    }
    if let Some(path) = &args.baseline {
        let base = parity::baseline::load_all(path)?;
        for r in &mut reports {
            parity::baseline::apply_all(r, &base);
        }
    }
    let out = Output::new(&args.report, g.verbose, threshold, &session);
    let output = args.report.output.as_deref();
    match (args.report.format, reports.as_slice()) {
        (_, [one]) => out.write(one, output)?,
        (Format::Json, many) => emit_with(output, |w| json::write_pretty(many, w))?,
        (Format::Table | Format::Markdown | Format::Github, many) => emit(
            &many
                .iter()
                .map(|r| out.render(r))
                .collect::<Vec<_>>()
                .join("\n"),
            output,
        )?,
        (other, _) => {
            return Err(anyhow!(
                "--format {other} holds one comparison and parity.toml's checks make {}: use --format json, table, markdown or github, or `parity diff` (which also draws --format svg)",
                reports.len()
            ))
        }
    }
    // One exit code: violations anywhere win, then incomplete coverage.
    let statuses: Vec<ExitStatus> = reports.iter().map(|r| exit_status(r, threshold)).collect();
    Ok(if statuses.contains(&ExitStatus::Violations) {
        ExitStatus::Violations
    } else if statuses.contains(&ExitStatus::Incomplete) {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Success
    })
}
