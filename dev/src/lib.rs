//! What the bench binaries share: medians, this process's CPU time, and
//! the peak memory of a fresh child process (the binary re-executed with
//! `--child FILE`, which loads FILE once and prints its `VmHWM`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};

/// The median and the minimum of `samples` (zero for none).
pub fn median_min(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    match samples.first() {
        Some(&min) => (samples[samples.len() / 2], min),
        None => (Duration::ZERO, Duration::ZERO),
    }
}

/// User + system CPU time of this process (all threads), from
/// `/proc/self/stat` (in clock ticks of 1/100 s, Linux's USER_HZ).
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// In the child: print this process's peak RSS (`VmHWM: N kB`).
pub fn print_peak_rss() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .unwrap_or("VmHWM: 0 kB");
    println!("{hwm}");
}

/// The median peak RSS, in MB, of this binary re-executed with
/// `--child FILE` (at most 3 times).
pub fn child_peak_mb(file: &Path, runs: usize) -> anyhow::Result<f64> {
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let mut hwms = Vec::new();
    for _ in 0..runs.clamp(1, 3) {
        let out = Command::new(&exe)
            .arg("--child")
            .arg(file)
            .output()
            .context("cannot run the child")?;
        if !out.status.success() {
            bail!("the child failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let kb: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow!("the child printed no VmHWM: {text}"))?;
        hwms.push(kb);
    }
    hwms.sort();
    Ok(hwms[hwms.len() / 2] as f64 * 1024.0 / 1e6)
}
