//! Live labels: in a comparison of live reads, a resource on one side only
//! is `unmanaged` when its read found it outside the state, `missing` when
//! its state has it and the read, which covers it, did not find it.

use std::collections::{BTreeSet, HashMap};

use crate::findings::{Finding, Label};
use crate::model::Snapshot;
use crate::sources::LiveRead;

/// In a comparison of live reads: a resource on one side only that its
/// side's read found outside the state is `unmanaged`; one absent from a
/// side whose state has it (and whose read covers it) is `missing`. A
/// count finding (`@count`, the instances of one address folded) names its
/// instances that are either, and takes the label when all of the
/// instances on one side only are the same one.
pub(super) fn label_live(
    findings: &mut [Finding],
    sa: &Snapshot,
    sb: &Snapshot,
    reads: &[LiveRead],
) {
    if reads.is_empty() {
        return;
    }
    let mut counted = findings
        .iter_mut()
        .filter(|f| f.attribute.as_deref() == Some("@count"))
        .peekable();
    if counted.peek().is_some() {
        // The instances of every counted address, per side: one pass over
        // each snapshot, not one per count finding.
        let (ia, ib) = (instances_by_base(sa), instances_by_base(sb));
        let none = BTreeSet::new();
        for f in counted {
            let base = f.resource.as_str();
            let ia = ia.get(base).unwrap_or(&none);
            let ib = ib.get(base).unwrap_or(&none);
            label_count(f, (sa, ia), (sb, ib), reads);
        }
    }
    for f in findings.iter_mut().filter(|f| f.attribute.is_none()) {
        for (snap, present) in [(sa, f.left.is_some()), (sb, f.right.is_some())] {
            let Some(read) = reads.iter().find(|r| r.env == snap.environment) else {
                continue;
            };
            let env = &snap.environment;
            if present && read.unmanaged.contains(&f.resource) {
                f.label = Some(Label::Unmanaged);
                f.message
                    .push_str(&format!("; unmanaged: {}", unmanaged_why(env)));
            } else if !present && read.missing.contains(&f.resource) {
                f.label = Some(Label::Missing);
                f.message
                    .push_str(&format!("; missing: {}", missing_why(env)));
            }
        }
    }
}

fn unmanaged_why(env: &str) -> String {
    format!("live in {env} but not in its state")
}

fn missing_why(env: &str) -> String {
    format!("in the state of {env} but not in its AWS account")
}

/// The keys of a snapshot's instances (`aws_x.y[0]`), by their base
/// address (`aws_x.y`).
fn instances_by_base(s: &Snapshot) -> HashMap<&str, BTreeSet<&str>> {
    use crate::rules::engine::base_of;
    let mut out: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for r in &s.resources {
        let k = r.key.as_str();
        let base = base_of(k);
        if base != k {
            out.entry(base).or_default().insert(k);
        }
    }
    out
}

/// [`label_live`] for one `@count` finding, with the instances of its
/// address on each side.
fn label_count(
    f: &mut Finding,
    (sa, ia): (&Snapshot, &BTreeSet<&str>),
    (sb, ib): (&Snapshot, &BTreeSet<&str>),
    reads: &[LiveRead],
) {
    let one_side = ia.symmetric_difference(ib).count();
    let (mut unmanaged, mut missing) = (Vec::new(), Vec::new());
    for (snap, mine, other) in [(sa, ia, ib), (sb, ib, ia)] {
        let Some(read) = reads.iter().find(|r| r.env == snap.environment) else {
            continue;
        };
        let env = snap.environment.as_str();
        for k in mine.difference(other) {
            if read.unmanaged.contains(*k) {
                unmanaged.push(format!("{k} ({})", unmanaged_why(env)));
            }
        }
        for k in other.difference(mine) {
            if read.missing.contains(*k) {
                missing.push(format!("{k} ({})", missing_why(env)));
            }
        }
    }
    if one_side > 0 && unmanaged.len() == one_side {
        f.label = Some(Label::Unmanaged);
    } else if one_side > 0 && missing.len() == one_side {
        f.label = Some(Label::Missing);
    }
    if !unmanaged.is_empty() {
        f.message
            .push_str(&format!("; unmanaged: {}", unmanaged.join(", ")));
    }
    if !missing.is_empty() {
        f.message
            .push_str(&format!("; missing: {}", missing.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::SourceKind;

    fn snapshot(source: SourceKind, keys: &[&str]) -> Snapshot {
        let mut s = Snapshot::new("staging", source);
        for k in keys {
            let rtype = k.split('.').next().unwrap();
            s.resources.push(crate::model::Resource::new(
                *k,
                rtype,
                crate::model::Location::new("main.tf", Some(1)),
            ));
        }
        s
    }

    /// A count finding as the engine reports one (fields it leaves out
    /// take their defaults, as when a report is read back).
    fn count_finding(resource: &str, rtype: &str) -> Finding {
        serde_json::from_value(serde_json::json!({
            "rule": "instance-count",
            "category": "topology",
            "severity": "error",
            "resource": resource,
            "type": rtype,
            "attribute": "@count",
            "left": "3",
            "right": "4",
            "locations": {},
            "message": "3 instances in state, 4 in live",
        }))
        .unwrap()
    }

    #[test]
    fn count_findings_name_and_label_their_unmanaged_and_missing_instances() {
        let state = snapshot(
            SourceKind::State,
            &[
                "aws_instance.web[0]",
                "aws_instance.web[1]",
                "aws_instance.web[2]",
                "aws_db_instance.db[0]",
                "aws_db_instance.db[1]",
                "aws_sqs_queue.q[0]",
            ],
        );
        let live = snapshot(
            SourceKind::Live,
            &[
                "aws_instance.web[0]",
                "aws_instance.web[1]",
                "aws_instance.web[2]",
                "aws_instance.web[3]",
                "aws_db_instance.db[0]",
                "aws_sqs_queue.q[0]",
                "aws_sqs_queue.q[1]",
                "aws_sqs_queue.q[2]",
            ],
        );
        let read = LiveRead {
            env: "staging".into(),
            unmanaged: ["aws_instance.web[3]", "aws_sqs_queue.q[1]"]
                .map(String::from)
                .into(),
            missing: ["aws_db_instance.db[1]".to_string()].into(),
            ..LiveRead::default()
        };
        let mut findings = vec![
            count_finding("aws_instance.web", "aws_instance"),
            count_finding("aws_db_instance.db", "aws_db_instance"),
            count_finding("aws_sqs_queue.q", "aws_sqs_queue"),
        ];
        label_live(&mut findings, &state, &live, &[read]);

        assert_eq!(findings[0].label, Some(Label::Unmanaged));
        assert!(
            findings[0].message.ends_with(
                "; unmanaged: aws_instance.web[3] (live in staging but not in its state)"
            ),
            "{}",
            findings[0].message
        );
        assert_eq!(findings[1].label, Some(Label::Missing));
        assert!(
            findings[1].message.ends_with(
                "; missing: aws_db_instance.db[1] (in the state of staging but not in its AWS account)"
            ),
            "{}",
            findings[1].message
        );
        // Two extra queues, one of them unmanaged: named, but no label for
        // the finding as a whole.
        assert_eq!(findings[2].label, None);
        assert!(
            findings[2].message.ends_with(
                "; unmanaged: aws_sqs_queue.q[1] (live in staging but not in its state)"
            ),
            "{}",
            findings[2].message
        );

        // Without live reads (a diff of code or state), nothing changes.
        let mut plain = vec![count_finding("aws_instance.web", "aws_instance")];
        label_live(&mut plain, &state, &live, &[]);
        assert_eq!(plain[0], count_finding("aws_instance.web", "aws_instance"));
    }
}
