//! Baseline files (`--baseline`, `--write-baseline`): read, applied to the
//! reports they hold, rendered in every report format, and written as a
//! baseline that must read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parity::baseline;
use parity::report::{json, Format, RenderOptions};

const FORMATS: [Format; 7] = [
    Format::Table,
    Format::Json,
    Format::Markdown,
    Format::Sarif,
    Format::Junit,
    Format::Github,
    Format::Html,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reports = match baseline::parse(text) {
        Ok(reports) => reports,
        Err(reason) => return drop(reason),
    };
    for report in &reports {
        let mut current = report.clone();
        baseline::apply_all(&mut current, &reports);
        for f in &current.findings {
            drop(baseline::fingerprint(f));
        }
        for format in FORMATS {
            drop(current.render(format, &RenderOptions::default()));
        }
        let written = json::render(&baseline::to_baseline(&current));
        if let Err(reason) = baseline::parse(&written) {
            panic!("a baseline parity wrote does not read back: {reason}");
        }
    }
});
