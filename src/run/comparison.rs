//! One comparison of two normalized snapshots: pair, judge, label live
//! reads, waive, filter by category, report. Every command that compares
//! (diff, check, the three halves of drift) builds a [`Comparison`] and
//! hands it to [`Session::judge`].

use std::collections::BTreeMap;

use super::{DiffOptions, Session};
use crate::findings::{Category, Finding};
use crate::matching::{self, PrefixMatch};
use crate::model::{InlineIgnore, Snapshot, SourceKind};
use crate::report::Report;
use crate::rules::engine::{Engine, EngineOptions};
use crate::rules::Rule;
use crate::sources::LiveRead;
use crate::waivers;

/// What one comparison judges, and how.
pub struct Comparison<'a> {
    pub left: &'a Snapshot,
    pub right: &'a Snapshot,
    /// The report's `source` (`code`, `state/live`, `drift`).
    pub source: &'a str,
    /// Only findings of these categories (all when empty).
    pub categories: &'a [Category],
    pub rules: &'a [Rule],
    pub engine: EngineOptions,
    /// The environment names `[[match]]` entries and waivers are matched
    /// against: a drift report's sides are `staging (code)` and `staging
    /// (state)`, but a waiver names `staging`.
    pub envs: [&'a str; 2],
    /// Findings made elsewhere, waived, filtered and reported with the
    /// engine's.
    pub extra: Vec<Finding>,
}

impl<'a> Comparison<'a> {
    /// A comparison of two environments with `rules`, as `parity diff`
    /// makes it.
    pub fn new(
        left: &'a Snapshot,
        right: &'a Snapshot,
        source: &'a str,
        rules: &'a [Rule],
        opts: &'a DiffOptions,
    ) -> Self {
        Comparison {
            left,
            right,
            source,
            categories: &opts.categories,
            rules,
            engine: EngineOptions::default(),
            envs: [left.environment.as_str(), right.environment.as_str()],
            extra: Vec::new(),
        }
    }
}

impl Session {
    /// Pair, judge, waive and report. A side read live gets the
    /// `unmanaged` / `missing` labels its read found, and its API usage.
    pub fn judge(&self, c: Comparison) -> Report {
        let (sa, sb) = (c.left, c.right);
        let (na, nb) = (sa.environment.as_str(), sb.environment.as_str());
        let prefixes: Vec<PrefixMatch> = self
            .config
            .iter()
            .flat_map(|cfg| cfg.matches.iter())
            .filter_map(|m| {
                Some(PrefixMatch {
                    left: m.addresses.get(c.envs[0])?.clone(),
                    right: m.addresses.get(c.envs[1])?.clone(),
                })
            })
            .filter(|m| m.left != m.right)
            .collect();
        let mut pairs = matching::pair(sa, sb, &prefixes);
        // A resource of one side under a prefix the other side could not
        // read (a module call not expanded, a unit whose module is not
        // installed) is not known to be absent there: not judged one-sided.
        // The coverage gap that said so marks the run incomplete. The call
        // that was not expanded is read on both sides (its source and ref
        // are compared); module calls inside it are not known either.
        pairs.retain(|p| match (p.left, p.right) {
            (Some(l), None) => !sb.unread_covers(&l.key),
            (None, Some(r)) => !sa.unread_covers(&r.key),
            _ => true,
        });
        let engine = Engine::new(c.rules).with_options(c.engine);
        let outcome = engine.run(&pairs, na, nb);
        let mut findings = outcome.findings;
        super::causes::attach(&mut findings, sa, sb);
        findings.extend(c.extra);
        let reads: Vec<LiveRead> = {
            let all = self.live_reads.lock().unwrap_or_else(|p| p.into_inner());
            [sa, sb]
                .iter()
                .filter(|s| s.source == SourceKind::Live)
                .filter_map(|s| all.iter().find(|r| r.env == s.environment).cloned())
                .collect()
        };
        super::labels::label_live(&mut findings, sa, sb, &reads);

        let mut inline: BTreeMap<String, Vec<InlineIgnore>> = BTreeMap::new();
        for r in sa.all().chain(sb.all()) {
            if !r.ignores.is_empty() {
                inline
                    .entry(r.key.clone())
                    .or_default()
                    .extend(r.ignores.iter().cloned());
            }
        }
        let (waiver_list, config_file) = match &self.config {
            Some(cfg) => (
                cfg.waivers.clone(),
                crate::sources::terraform::files::display(&self.base, &cfg.path),
            ),
            None => (Vec::new(), String::new()),
        };
        waivers::apply(
            &mut findings,
            &waiver_list,
            &config_file,
            c.envs,
            &inline,
            &waivers::today(),
        );
        if !c.categories.is_empty() {
            findings.retain(|f| c.categories.contains(&f.category));
        }
        let mut incomplete: Vec<String> = Vec::new();
        for s in [sa, sb] {
            for gap in &s.coverage {
                incomplete.push(format!("{}: {}: {}", s.environment, gap.what, gap.reason));
            }
        }
        let mut report = Report::new(
            [na, nb],
            c.source,
            findings,
            outcome.compared_resources,
            outcome.compared_attributes,
            incomplete,
        );
        report.summary.live = reads.into_iter().map(|r| r.usage).collect();
        report
    }
}
