//! `parity snapshot ENV`: one environment's normalized model as JSON, for
//! comparing snapshots taken in separate CI jobs.

use parity::cli::SnapshotArgs;
use parity::report::ExitStatus;

use super::{emit, open_session, source_kind, Globals};

pub fn run(g: &Globals, args: SnapshotArgs) -> anyhow::Result<ExitStatus> {
    let session = open_session(g)?;
    let spec = session.env(&args.env)?;
    let (snap, identity) = session.snapshot(&spec, source_kind(args.source))?;
    let text = parity::sources::snapshot::to_json(&snap, &identity);
    emit(&text, args.output.as_deref())?;
    Ok(if snap.coverage.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Incomplete
    })
}
