//! Drift of one environment: its code against its state and, when it has
//! an `aws` table, both against what runs in its account (three-way). The
//! report names the sides `<env> (code)`, `<env> (state)` and `<env>
//! (live)`; its source is `drift`; each finding says which two it is
//! between.

use super::{Comparison, Session};
use crate::error::{EnvError, Error};
use crate::findings::{Between, Category};
use crate::model::{Snapshot, SourceKind};
use crate::normalize::Normalizer;
use crate::report::Report;
use crate::rules::engine::EngineOptions;
use crate::sources::state::{self, StateTable};
use crate::sources::{EnvSpec, LiveRead, Read};

/// What `parity drift` compares.
#[derive(Debug, Clone, Default)]
pub struct DriftOptions {
    /// Only these categories (all when empty).
    pub categories: Vec<Category>,
    /// Read the AWS account too, when the environment has an `aws` table
    /// (`--no-live` turns it off).
    pub live: bool,
}

impl Session {
    /// Code against state: attributes whose recorded value differs from the
    /// code's, resources in code but not in state (not applied) and in
    /// state but not in code (removed from code, not yet destroyed).
    ///
    /// With `opts.live` and an `aws` table, also state against live
    /// (attributes changed outside Terraform; live resources the state does
    /// not know, `unmanaged`; state resources gone from the account,
    /// `missing`) and code against live for the unmanaged resources the
    /// code declares. Otherwise the report says it is two-way
    /// (`summary.notes`).
    pub fn drift(&self, env: &str, opts: &DriftOptions) -> Result<Report, Error> {
        let spec = self.env(env)?;
        if spec.file.is_some() {
            return Err(EnvError::DriftOnSnapshotFile {
                file: env.to_string(),
            }
            .into());
        }
        // A Terragrunt environment's state is per unit (its `states`
        // directory, its units' local backends): read by that source.
        // A Pulumi stack's export stands for the state.
        let pulumi = spec
            .tables
            .get::<crate::sources::pulumi::PulumiTable>()
            .is_some_and(|p| p.stack_export.is_some());
        let no_state = spec
            .tables
            .get::<StateTable>()
            .is_none_or(|s| s.paths.is_empty())
            && !spec.tables.has("terragrunt")
            && !pulumi;
        if no_state
            && (spec
                .tables
                .get::<crate::sources::cloudformation::CloudFormationTable>()
                .is_some()
                || spec
                    .tables
                    .get::<crate::sources::cloudformation::CdkTable>()
                    .is_some())
        {
            return self.drift_stack(&spec, opts);
        }
        if no_state {
            return Err(state::source::state_error(
                &spec.name,
                state::StateError::NoState {
                    env: spec.name.clone(),
                },
            ));
        }
        let (mut code, mut identity) = self.snapshot(&spec, SourceKind::Code)?;
        let (mut recorded, _) = self.snapshot(&spec, SourceKind::State)?;
        let has_aws = spec.tables.has("aws");
        let mut notes = Vec::new();
        let mut from_aws: Option<(Snapshot, LiveRead)> = None;
        if has_aws && opts.live {
            match self.drift_live(&spec, &recorded)? {
                Some(read) => {
                    identity = read.identity;
                    from_aws = Some((read.snapshot, read.live.unwrap_or_default()));
                }
                None => notes.push(format!(
                    "two-way drift (code and state): environment `{}` has an `aws` table, but this parity was built without the `aws` feature",
                    spec.name
                )),
            }
        } else if has_aws {
            notes.push(format!(
                "two-way drift (code and state): --no-live leaves the AWS account of `{}` out",
                spec.name
            ));
        } else {
            notes.push(format!(
                "two-way drift (code and state): environment `{}` has no `aws` table{}, so its AWS account is not read",
                spec.name,
                self.config
                    .as_ref()
                    .map(|c| format!(
                        " in {}",
                        crate::sources::terraform::files::display(&self.base, &c.path)
                    ))
                    .unwrap_or_default()
            ));
        }
        let n = Normalizer::for_env(&spec.name, &identity);
        n.apply(&mut code);
        n.apply(&mut recorded);
        let state_view = from_aws.as_ref().map(|_| recorded.clone());
        state::drift::prepare(&mut code, &mut recorded);
        let code_env = format!("{} (code)", spec.name);
        let state_env = format!("{} (state)", spec.name);
        let live_env = format!("{} (live)", spec.name);
        code.environment = code_env.clone();
        recorded.environment = state_env.clone();
        let rules = state::drift::rules(&self.rules);
        let intent = EngineOptions {
            left_is_intent: true,
        };
        let names = [spec.name.as_str(), spec.name.as_str()];
        let comparison = |left, right, engine, extra| Comparison {
            left,
            right,
            source: "drift",
            categories: &opts.categories,
            rules: &rules,
            engine,
            envs: names,
            extra,
        };
        let mut report = self.judge(comparison(&code, &recorded, intent, Vec::new()));
        between(&mut report, Between::CodeState);
        if let (Some((mut live_snap, read)), Some(mut state_view)) = (from_aws, state_view) {
            n.apply(&mut live_snap);
            live_snap.environment = live_env.clone();
            state_view.environment = state_env.clone();
            let halves = state::drift::live_halves(
                &code,
                &state_view,
                &live_snap,
                &read.unmanaged,
                &read.missing,
            );
            let presence = state::drift::presence_findings(
                &halves,
                &rules,
                &state_env,
                &live_env,
                if pulumi {
                    state::drift::Keeper::Pulumi
                } else {
                    state::drift::Keeper::Terraform
                },
            );
            let mut state_live = self.judge(comparison(
                &halves.state,
                &halves.live,
                EngineOptions::default(),
                presence,
            ));
            between(&mut state_live, Between::StateLive);
            let mut code_live = self.judge(comparison(
                &halves.code,
                &halves.code_live,
                intent,
                Vec::new(),
            ));
            between(&mut code_live, Between::CodeLive);
            report = merge(
                &[code_env.as_str(), state_env.as_str(), live_env.as_str()],
                vec![report, state_live, code_live],
            );
            report.summary.live.push(read.usage);
        }
        report.summary.notes = notes;
        Ok(report)
    }

    /// Drift of a CloudFormation or CDK environment: its evaluated
    /// templates against its AWS account. The deployed stacks
    /// (`ListStackResources`, nested stacks included) give each live resource the template address of its logical ID;
    /// stack resources not found live are `missing`, live resources in the
    /// read's scope that the stack does not hold `unmanaged`. The report's
    /// sides are `<env> (code)` and `<env> (live)`; every finding is
    /// between code and live.
    fn drift_stack(&self, spec: &EnvSpec, opts: &DriftOptions) -> Result<Report, Error> {
        let why = if !spec.tables.has("aws") {
            Some("it has no `aws` table in parity.toml".to_string())
        } else if !opts.live {
            Some("--no-live leaves the account out".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            return Err(EnvError::StackDriftNeedsLive {
                env: spec.name.clone(),
                why,
            }
            .into());
        }
        let (mut code, code_identity) = self.snapshot(spec, SourceKind::Code)?;
        let Some((mut stack, read)) = self.stack_live(spec)? else {
            return Err(EnvError::StackDriftNeedsLive {
                env: spec.name.clone(),
                why: "this parity was built without the `aws` feature".to_string(),
            }
            .into());
        };
        let mut live_snap = read.snapshot;
        let live = read.live.unwrap_or_default();
        // The template's account and region (its table's) normalize the
        // code, the account read normalizes live.
        let n = Normalizer::for_env(&spec.name, &code_identity);
        n.apply(&mut code);
        n.apply(&mut stack);
        Normalizer::for_env(&spec.name, &read.identity).apply(&mut live_snap);
        let code_env = format!("{} (code)", spec.name);
        let live_env = format!("{} (live)", spec.name);
        code.environment = code_env.clone();
        stack.environment = code_env.clone();
        live_snap.environment = live_env.clone();
        let rules = state::drift::rules(&self.rules);
        let intent = EngineOptions {
            left_is_intent: true,
        };
        let names = [spec.name.as_str(), spec.name.as_str()];
        let comparison = |left, right, extra| Comparison {
            left,
            right,
            source: "drift",
            categories: &opts.categories,
            rules: &rules,
            engine: intent,
            envs: names,
            extra,
        };
        let halves =
            state::drift::live_halves(&code, &stack, &live_snap, &live.unmanaged, &live.missing);
        let presence = state::drift::presence_findings(
            &halves,
            &rules,
            &code_env,
            &live_env,
            state::drift::Keeper::CloudFormation,
        );
        let in_stack = self.judge(comparison(&halves.state, &halves.live, presence));
        let answers = self.judge(comparison(&halves.code, &halves.code_live, Vec::new()));
        let mut report = merge(
            &[code_env.as_str(), live_env.as_str()],
            vec![in_stack, answers],
        );
        for f in &mut report.findings {
            f.between = Some(Between::CodeLive);
        }
        report.summary.live.push(live.usage);
        Ok(report)
    }

    /// The stack and live read of a CloudFormation drift; `None` in a
    /// build without the `aws` feature.
    #[cfg(feature = "aws")]
    fn stack_live(&self, spec: &EnvSpec) -> Result<Option<(Snapshot, Read)>, Error> {
        let cx = self.read_context();
        let Some((stack, stats)) = crate::sources::aws::stack_state(&cx, spec)? else {
            return Ok(None);
        };
        let mut read = crate::sources::aws::read_live(&cx, spec, Some(&stack))?;
        if let (Some(live), Some(stats)) = (read.live.as_mut(), stats) {
            crate::sources::aws::add_usage(&mut live.usage, &stats);
        }
        Ok(Some((stack, read)))
    }

    #[cfg(not(feature = "aws"))]
    fn stack_live(&self, _spec: &EnvSpec) -> Result<Option<(Snapshot, Read)>, Error> {
        Ok(None)
    }

    /// The live read of a three-way drift; `None` in a build without the
    /// `aws` feature.
    #[cfg(feature = "aws")]
    fn drift_live(&self, spec: &EnvSpec, state: &Snapshot) -> Result<Option<Read>, Error> {
        crate::sources::aws::read_live(&self.read_context(), spec, Some(state)).map(Some)
    }

    #[cfg(not(feature = "aws"))]
    fn drift_live(&self, _spec: &EnvSpec, _state: &Snapshot) -> Result<Option<Read>, Error> {
        Ok(None)
    }
}

/// Mark every finding of a drift comparison with the sources it is between.
fn between(report: &mut Report, pair: Between) {
    for f in &mut report.findings {
        f.between.get_or_insert(pair);
    }
}

/// One report of the comparisons of a three-way drift: findings, counts and
/// gaps (each once) together, the three sides as its environments.
fn merge(sides: &[&str], reports: Vec<Report>) -> Report {
    let mut findings = Vec::new();
    let (mut resources, mut attributes) = (0, 0);
    let mut incomplete: Vec<String> = Vec::new();
    for r in reports {
        resources += r.summary.compared_resources;
        attributes += r.summary.compared_attributes;
        for gap in r.summary.incomplete {
            if !incomplete.contains(&gap) {
                incomplete.push(gap);
            }
        }
        findings.extend(r.findings);
    }
    let mut report = Report::new(
        [sides[0], sides[1]],
        "drift",
        findings,
        resources,
        attributes,
        incomplete,
    );
    report.environments = sides.iter().map(|s| s.to_string()).collect();
    report
}
