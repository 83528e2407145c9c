//! The live read under injected faults: a loopback proxy between the SDK
//! and the moto server answers a seeded share of the requests with a
//! server error, throttling, a dropped connection, a stall, or a 200 whose
//! body is cut short. Every run must give the fault-free snapshot, or name
//! what it could not read (coverage gaps: exit 3), or fail the identity
//! call with an honest error (exit 1). Never a different snapshot without a
//! gap, and never a hang.
//!
//! `PARITY_FAULT_MATRIX=FILE` writes the matrix (runs and outcomes per
//! fault and rate) to FILE as a Markdown table (docs/live.md has a copy).
#![cfg(feature = "aws")]

#[path = "live/faults.rs"]
mod faults;
#[allow(dead_code)]
#[path = "live/infra.rs"]
mod infra;
#[allow(dead_code)]
#[path = "live/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parity::model::Snapshot;
use parity::sources::aws::{self, AwsError, AwsSettings};

use faults::{Fault, Proxy, Schedule};
use moto::{runtime, Moto};

/// The stall timeout the runs use (production: 60 s).
const STALL: Duration = Duration::from_secs(2);
/// No run may take longer than this.
const RUN_LIMIT: Duration = Duration::from_secs(240);
const RATES: [u64; 3] = [10, 20, 50];
const SEEDS: [u64; 2] = [1, 2];

fn upstream_port(moto: &Moto) -> u16 {
    moto.url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("moto port")
}

fn settings(moto: &Moto, proxy: &Proxy) -> AwsSettings {
    let mut s = moto.settings("staging");
    s.endpoint_url = Some(proxy.url.clone());
    s.stall_timeout = STALL;
    s
}

/// One collection, in its own thread, bounded by [`RUN_LIMIT`].
fn bounded(label: &str, settings: AwsSettings) -> (Result<Snapshot, AwsError>, Duration) {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(aws::collect("staging", &settings));
    });
    let out = rx
        .recv_timeout(RUN_LIMIT)
        .unwrap_or_else(|_| panic!("{label}: the live read took longer than {RUN_LIMIT:?}"));
    (out, started.elapsed())
}

/// The snapshot as `parity snapshot` writes it.
fn json(s: &Snapshot) -> String {
    parity::sources::snapshot::to_json(s, &Default::default())
}

fn start_with_staging() -> Moto {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let conf = moto.sdk().await;
        infra::build(&conf, &infra::STAGING).await;
        infra::build(&conf, &infra::PROD).await;
    });
    moto
}

/// The snapshots with no fault: IAM read in bulk, through the proxy (which
/// must be transparent: the same as without it), and IAM read one call per
/// resource, the path the collector falls back to when the bulk call fails.
/// The two differ only where the emulator's bulk answer leaves the policy
/// id out; a run may give either.
fn fault_free(moto: &Moto) -> [String; 2] {
    let direct = aws::collect("staging", &{
        let mut s = moto.settings("staging");
        s.stall_timeout = STALL;
        s
    })
    .expect("fault-free read");
    assert!(direct.coverage.is_empty(), "{:?}", direct.coverage);
    assert!(direct.resources.len() > 10, "{:#?}", direct.resources);
    let proxy = Proxy::start(upstream_port(moto), Schedule::new(Fault::Http500, 0, 0));
    let (through, _) = bounded("no fault", settings(moto, &proxy));
    let through = through.expect("fault-free read through the proxy");
    assert_eq!(
        json(&direct),
        json(&through),
        "the proxy is not transparent"
    );
    let one_by_one = aws::collect("staging", &{
        let mut s = moto.settings("staging");
        s.stall_timeout = STALL;
        s.iam_bulk = false;
        s
    })
    .expect("fault-free read, IAM one by one");
    assert!(one_by_one.coverage.is_empty(), "{:?}", one_by_one.coverage);
    let (bulk, one_by_one) = (json(&direct), json(&one_by_one));
    // Without the policy id (and the comma before it), the same lines.
    let strip = |j: &str| -> Vec<String> {
        j.lines()
            .filter(|l| !l.contains("\"policy_id\""))
            .map(|l| l.trim_end_matches(',').to_string())
            .collect()
    };
    assert!(
        one_by_one.contains("\"policy_id\"") && strip(&bulk) == strip(&one_by_one),
        "the two IAM paths differ beyond the policy id:\n{bulk}\n{one_by_one}"
    );
    [bulk, one_by_one]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The fault-free snapshot.
    Same,
    /// Coverage gaps naming what was not read (exit 3).
    Gaps,
    /// The identity call failed, not as a credentials error (exit 1).
    Identity,
}

/// Judge one run; panics on a wrong snapshot or a dishonest error.
fn judge(
    label: &str,
    expected: &[String; 2],
    result: Result<Snapshot, AwsError>,
    fault: Fault,
) -> (Outcome, String) {
    match result {
        Ok(snap) if snap.coverage.is_empty() => {
            let got = json(&snap);
            if !expected.contains(&got) {
                let diff: Vec<String> = got
                    .lines()
                    .zip(expected[0].lines())
                    .filter(|(a, b)| a != b)
                    .take(10)
                    .map(|(a, b)| format!("got {a} / want {b}"))
                    .collect();
                panic!("{label}: a different snapshot without a coverage gap:\n{diff:#?}");
            }
            (Outcome::Same, String::new())
        }
        Ok(snap) => {
            for gap in &snap.coverage {
                assert!(
                    gap.what.contains(':') && gap.what.contains('('),
                    "{label}: a gap that does not name an API: {gap:?}"
                );
                assert!(!gap.reason.is_empty(), "{label}: {gap:?}");
            }
            let what: Vec<String> = snap
                .coverage
                .iter()
                .map(|g| format!("{}: {}", g.what, g.reason))
                .collect();
            (Outcome::Gaps, what.join("; "))
        }
        Err(e) => {
            let text = e.to_string();
            assert!(
                !matches!(e, AwsError::Credentials { .. }),
                "{label}: a {} reported as a credentials problem: {text}",
                fault.name()
            );
            match fault {
                Fault::Http503 => assert!(text.contains("unavailable (HTTP 503)"), "{text}"),
                Fault::Http500 => assert!(text.contains("unavailable (HTTP 500)"), "{text}"),
                Fault::Throttle => assert!(text.contains("unavailable (HTTP 400)"), "{text}"),
                Fault::Truncate => assert!(text.contains("incomplete answer"), "{text}"),
                Fault::RepeatToken => panic!("{label}: {text}"),
                Fault::Drop | Fault::Stall => {
                    assert!(matches!(e, AwsError::Unreachable { .. }), "{label}: {text}")
                }
            }
            (Outcome::Identity, text)
        }
    }
}

#[test]
fn fault_matrix_gives_the_snapshot_or_names_the_gap() {
    let moto = start_with_staging();
    let expected = fault_free(&moto);
    let port = upstream_port(&moto);

    // (fault, rate) -> outcome -> runs; and the longest run.
    let mut matrix: BTreeMap<(Fault, u64), BTreeMap<Outcome, u32>> = BTreeMap::new();
    let mut details = Vec::new();
    let mut longest = Duration::ZERO;
    let mut total_faults = 0;
    let only = std::env::var("PARITY_FAULT_ONLY").ok();
    let progress = std::env::var_os("PARITY_FAULT_MATRIX")
        .map(|p| std::path::PathBuf::from(p).with_extension("progress"));
    for fault in Fault::ALL {
        if only.as_deref().is_some_and(|o| !fault.name().contains(o)) {
            continue;
        }
        // The runs of one fault (every rate and seed) run side by side.
        let runs: Vec<_> = RATES
            .iter()
            .flat_map(|&rate| SEEDS.iter().map(move |&seed| (rate, seed)))
            .map(|(rate, seed)| {
                let label = format!("{} at {rate}% (seed {seed})", fault.name());
                let proxy = Proxy::start(port, Schedule::new(fault, rate, seed));
                let s = settings(&moto, &proxy);
                let l = label.clone();
                let handle = std::thread::spawn(move || bounded(&l, s));
                (rate, label, proxy, handle)
            })
            .collect();
        for (rate, label, proxy, handle) in runs {
            let (result, took) = match handle.join() {
                Ok(r) => r,
                Err(e) => std::panic::resume_unwind(e),
            };
            longest = longest.max(took);
            let (outcome, what) = judge(&label, &expected, result, fault);
            let tally = proxy.tally();
            total_faults += tally.faults();
            *matrix
                .entry((fault, rate))
                .or_default()
                .entry(outcome)
                .or_default() += 1;
            let line = format!(
                "{label}: {} requests, {} faults, {:.1} s: {outcome:?} {what}",
                tally.requests,
                tally.faults(),
                took.as_secs_f64()
            );
            if let Some(p) = &progress {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .expect("progress file");
                writeln!(f, "{line}").expect("progress");
            }
            details.push(line);
        }
    }
    assert!(total_faults > 0, "no fault was injected");

    let mut table = String::from(
        "| fault | rate | runs | same snapshot | coverage gaps (exit 3) | identity failed (exit 1) | wrong snapshot |\n|---|---|---|---|---|---|---|\n",
    );
    for ((fault, rate), outcomes) in &matrix {
        let n = |o| outcomes.get(&o).copied().unwrap_or(0);
        table.push_str(&format!(
            "| {} | {rate}% | {} | {} | {} | {} | 0 |\n",
            fault.name(),
            outcomes.values().sum::<u32>(),
            n(Outcome::Same),
            n(Outcome::Gaps),
            n(Outcome::Identity),
        ));
    }
    if let Some(path) = std::env::var_os("PARITY_FAULT_MATRIX") {
        let text = format!(
            "{table}\nlongest run: {:.1} s\n\n{}\n",
            longest.as_secs_f64(),
            details.join("\n")
        );
        std::fs::write(&path, text).expect("write the matrix");
    }
}

/// The tester's case: one `DescribeSubnets` answer cut short. Once: the
/// retry reads it whole (the same snapshot). Every time: a coverage gap on
/// `ec2:DescribeSubnets`, never fewer subnets.
#[test]
fn a_truncated_describe_subnets_is_retried_then_a_gap() {
    let moto = start_with_staging();
    let expected = fault_free(&moto);
    let port = upstream_port(&moto);

    let once = Schedule {
        action: Some("DescribeSubnets"),
        limit: Some(1),
        ..Schedule::new(Fault::Truncate, 100, 7)
    };
    let proxy = Proxy::start(port, once);
    let (snap, _) = bounded("truncated DescribeSubnets", settings(&moto, &proxy));
    assert_eq!(proxy.tally().injected["DescribeSubnets"], 1);
    // Only `DescribeSubnets` is cut: IAM is read in bulk.
    assert_eq!(json(&snap.expect("read")), expected[0]);

    for seed in 0..4 {
        let always = Schedule {
            action: Some("DescribeSubnets"),
            ..Schedule::new(Fault::Truncate, 100, seed)
        };
        let proxy = Proxy::start(port, always);
        let (snap, _) = bounded("truncated DescribeSubnets", settings(&moto, &proxy));
        let snap = snap.expect("read");
        let gap = snap
            .coverage
            .iter()
            .find(|g| g.what.starts_with("ec2:DescribeSubnets"))
            .unwrap_or_else(|| panic!("no DescribeSubnets gap: {:?}", snap.coverage));
        assert!(gap.reason.contains("incomplete answer"), "{gap:?}");
        assert!(
            !snap
                .resources
                .iter()
                .any(|r| r.key.starts_with("aws_subnet.")),
            "subnets from a cut answer"
        );
        // Every attempt of the one call was cut.
        assert_eq!(
            proxy.tally().injected["DescribeSubnets"],
            u64::from(aws::DEFAULT_MAX_ATTEMPTS)
        );
    }
}

/// An answer that repeats the page token of the page before: the SDK's
/// paginator would end the listing there as if it were whole; parity names
/// a gap on that listing. Once on the bulk IAM call: IAM is read one call
/// per resource instead, with no gap.
#[test]
fn a_repeated_page_token_is_a_gap_not_a_short_listing() {
    let moto = start_with_staging();
    let port = upstream_port(&moto);

    let every_subnets_answer = Schedule {
        action: Some("DescribeSubnets"),
        ..Schedule::new(Fault::RepeatToken, 100, 3)
    };
    let proxy = Proxy::start(port, every_subnets_answer);
    let (snap, _) = bounded("repeated token on DescribeSubnets", settings(&moto, &proxy));
    let snap = snap.expect("read");
    let gap = snap
        .coverage
        .iter()
        .find(|g| g.what.starts_with("ec2:DescribeSubnets"))
        .unwrap_or_else(|| panic!("no DescribeSubnets gap: {:?}", snap.coverage));
    assert!(
        gap.reason.contains("repeated the page token")
            && gap.reason.contains(faults::REPEATED_TOKEN),
        "{gap:?}"
    );
    // The first page and the repeat, then the read stopped.
    assert_eq!(proxy.tally().injected["DescribeSubnets"], 2);
    assert_eq!(snap.coverage.len(), 1, "{:?}", snap.coverage);
}

/// A lasting 503 or throttle on STS is named as such, after the
/// collectors' retries; a passing one is ridden out.
#[test]
fn sts_unavailable_is_not_a_credentials_error() {
    let moto = start_with_staging();
    let port = upstream_port(&moto);

    for (fault, status) in [(Fault::Http503, 503), (Fault::Throttle, 400)] {
        let proxy = Proxy::start(
            port,
            Schedule {
                action: Some("GetCallerIdentity"),
                ..Schedule::new(fault, 100, 1)
            },
        );
        let (result, _) = bounded("STS fault", settings(&moto, &proxy));
        let err = result.expect_err("STS always fails");
        let text = err.to_string();
        assert!(matches!(err, AwsError::Unavailable { .. }), "{err:?}");
        assert!(
            text.contains(&format!(
                "AWS STS unavailable (HTTP {status}) at {}",
                proxy.url
            )),
            "{text}"
        );
        assert_eq!(
            proxy.tally().injected["GetCallerIdentity"],
            u64::from(aws::DEFAULT_MAX_ATTEMPTS),
            "STS gets the collectors' attempts"
        );

        // Two failures, then an answer: the read goes on.
        let proxy = Proxy::start(
            port,
            Schedule {
                action: Some("GetCallerIdentity"),
                limit: Some(2),
                ..Schedule::new(fault, 100, 1)
            },
        );
        let (result, _) = bounded("STS fault", settings(&moto, &proxy));
        let snap = result.expect("STS answers on the third attempt");
        assert!(snap.coverage.is_empty(), "{:?}", snap.coverage);
    }
}

/// A stalled answer fails the call after the stall timeout (per attempt),
/// never hangs.
#[test]
fn a_stalled_answer_is_a_gap_not_a_hang() {
    let moto = start_with_staging();
    let port = upstream_port(&moto);
    let proxy = Proxy::start(
        port,
        Schedule {
            action: Some("DescribeVpcs"),
            ..Schedule::new(Fault::Stall, 100, 3)
        },
    );
    let mut s = settings(&moto, &proxy);
    s.max_attempts = 2;
    let (result, took) = bounded("stalled DescribeVpcs", s);
    let snap = result.expect("read");
    let gap = snap
        .coverage
        .iter()
        .find(|g| g.what.starts_with("ec2:DescribeVpcs"))
        .unwrap_or_else(|| panic!("no DescribeVpcs gap: {:?}", snap.coverage));
    assert!(gap.reason.contains("timed out"), "{gap:?}");
    // Two attempts of at most ATTEMPT_TIMEOUT_FACTOR stall timeouts each,
    // and a backoff.
    assert!(took < Duration::from_secs(40), "{took:?}");
}
