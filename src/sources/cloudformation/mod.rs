//! The CloudFormation code source: a template (JSON or YAML) evaluated for
//! one environment with its parameter file, into a [`Snapshot`] with
//! Terraform type and attribute names where a mapping exists
//! (docs/cloudformation.md is the user's reference).
//!
//! Layout: [`template`] parses a template or parameter file and indexes the
//! lines of its keys, `params` reads parameter files and resolves the
//! template's `Parameters`, `eval` evaluates intrinsic functions and
//! conditions, `mapping` holds the type tables, `cfg` the
//! `cloudformation` table of parity.toml, `source` its side of the seam.

pub(crate) mod assets;
pub(crate) mod cdk;
pub(crate) mod cfg;
pub(crate) mod compute;
pub(crate) mod eval;
pub(crate) mod foreach;
pub(crate) mod mapping;
mod nested;
mod outputs;
pub(crate) mod params;
mod provenance;
mod resource;
pub(crate) mod sam;
mod source;
pub mod template;

pub(crate) use cdk::Cdk;
pub use cdk::CdkTable;
pub use cfg::CloudFormationTable;
pub use nested::MAX_NESTING;
pub(crate) use source::CloudFormation;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::model::{CoverageGap, Resource, Snapshot, SourceKind, Value};
use eval::{Eval, EvalError};
use nested::nested;
use outputs::{outputs, Outputs};
use resource::{resource, stack, stack_tags};

/// Why a CloudFormation environment could not be read: a file that cannot
/// be read, or a template or parameter file that CloudFormation would
/// reject, with its file:line.
#[derive(Debug, thiserror::Error)]
pub enum CfnError {
    #[error("cannot read {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

/// What to read for one environment.
#[derive(Debug, Clone)]
pub struct Options {
    pub environment: String,
    pub template: PathBuf,
    pub parameters: Option<PathBuf>,
    /// Paths in locations are shown relative to this (the config's directory).
    pub base: PathBuf,
    /// `AWS::StackName` (default: the environment's name).
    pub stack_name: Option<String>,
    /// `AWS::Region`, `AWS::AccountId`: unknown when not given.
    pub region: Option<String>,
    pub account: Option<String>,
}

/// Template sections that describe nothing to compare.
const IGNORED_SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Rules",
    "Hooks",
];

/// What the evaluation of a template and its nested stacks collects.
#[derive(Default)]
pub(crate) struct Collected {
    resources: Vec<Resource>,
    coverage: Vec<CoverageGap>,
    /// Raw values of `NoEcho` parameters, to redact what contains them.
    secrets: Vec<String>,
    /// CDK asset hashes the legacy synthesizer's parameters name.
    asset_hashes: Vec<String>,
    /// Each template's evaluated `Outputs`, by its address prefix, for
    /// the stack resource that holds them.
    outputs: HashMap<String, Outputs>,
}

/// One template to evaluate: the environment's, or a nested stack's.
pub(crate) struct Unit<'a> {
    path: &'a Path,
    params: Option<&'a params::ParamFile>,
    /// `module.<LogicalId>.` per level of nesting.
    prefix: String,
    stack_name: String,
    depth: usize,
    /// A CDK stack: its bootstrap check and metadata are left out.
    cdk: bool,
    /// A CDK stack's file assets: hash → local file (its `*.assets.json`),
    /// where its nested stacks' templates are found.
    assets: Option<&'a HashMap<String, PathBuf>>,
}

/// Read and evaluate one environment's template.
pub fn load(opts: &Options) -> Result<Snapshot, CfnError> {
    let param_file = match &opts.parameters {
        Some(p) => {
            let shown = crate::sources::terraform::files::display(&opts.base, p);
            Some(params::read(&read_text(p, &shown)?, &shown)?)
        }
        None => None,
    };
    let stack_name = opts
        .stack_name
        .clone()
        .unwrap_or_else(|| opts.environment.clone());
    let mut out = Collected::default();
    let unit = Unit {
        path: &opts.template,
        params: param_file.as_ref(),
        prefix: String::new(),
        stack_name,
        depth: 0,
        cdk: false,
        assets: None,
    };
    load_template(opts, &unit, &mut out)?;
    let file: Arc<str> =
        Arc::from(crate::sources::terraform::files::display(&opts.base, &opts.template).as_str());
    let mut snap = Snapshot::new(opts.environment.clone(), SourceKind::Code);
    snap.resources = out.resources;
    snap.coverage = out.coverage;
    if let Some(p) = param_file.as_ref().filter(|p| !p.tags.is_empty()) {
        stack_tags(&mut snap.resources, p);
    }
    let mut top = stack(opts, &file, param_file.as_ref());
    if let Some(o) = out.outputs.remove("") {
        o.attach(&mut top);
    }
    snap.resources.push(top);
    snap.resources.sort_by(|a, b| a.address.cmp(&b.address));
    snap.coverage.sort();
    snap.coverage.dedup();
    let n = crate::normalize::Normalizer::new(&opts.environment, &[], None, None);
    crate::normalize::guard_snapshot(&mut snap, std::mem::take(&mut out.secrets), &n);
    Ok(snap)
}

pub(crate) fn load_template(
    opts: &Options,
    unit: &Unit,
    out: &mut Collected,
) -> Result<(), CfnError> {
    let shown = crate::sources::terraform::files::display(&opts.base, unit.path);
    let text = read_text(unit.path, &shown)?;
    let (tree, lines) = template::parse(&text).map_err(|e| CfnError::Invalid {
        location: params::at(&shown, e.line),
        message: format!("not a valid template: {}", e.message),
    })?;
    let file: Arc<str> = Arc::from(shown.as_str());
    let invalid = |path: &[&str], message: String| CfnError::Invalid {
        location: params::at(&shown, lines.line(path)),
        message,
    };
    let Json::Object(top) = &tree else {
        return Err(invalid(
            &[],
            "a template must be a mapping of sections".into(),
        ));
    };
    let section = |name: &str| -> Result<Option<&serde_json::Map<String, Json>>, CfnError> {
        match top.get(name) {
            None => Ok(None),
            Some(Json::Object(m)) => Ok(Some(m)),
            Some(_) => Err(invalid(&[name], format!("`{name}` must be a mapping"))),
        }
    };
    let Some(resources) = section("Resources")? else {
        return Err(invalid(
            &[],
            "the template has no `Resources` section".into(),
        ));
    };
    let mut declared = section("Parameters")?.cloned();
    // The legacy synthesizer's asset parameters (`AssetParameters<hash>
    // S3Bucket...`): given by the CDK CLI at deployment, their names hold
    // the asset's hash.
    let mut asset_params = Vec::new();
    if unit.cdk {
        if let Some(d) = declared.as_mut() {
            // The bootstrap stack's version, read from SSM by CDK's check.
            d.remove("BootstrapVersion");
            d.retain(|name, _| match assets::legacy_parameter(name) {
                Some((hash, kind)) => {
                    asset_params.push((name.clone(), assets::legacy_value(hash, kind)));
                    out.asset_hashes.push(hash.to_string());
                    false
                }
                None => true,
            });
        }
    }
    let resolved = params::resolve(declared.as_ref(), unit.params, &shown, &lines)?;
    out.secrets.extend(resolved.secrets);

    let transforms: Vec<String> = match top.get("Transform") {
        None => Vec::new(),
        Some(Json::Array(items)) => items.iter().map(transform_name).collect(),
        Some(other) => vec![transform_name(other)],
    };
    let sam = transforms.iter().any(|t| t == sam::TRANSFORM);
    // `Fn::ForEach` loops (`AWS::LanguageExtensions`) expanded first, with
    // the parameters (their collections are often one).
    let mut aliases: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    let mut loop_gaps = Vec::new();
    let looped;
    let resources = if foreach::has_loops(resources) {
        let mut pre = Eval::new(file.clone(), &lines);
        pre.params = resolved.values.clone();
        pre.params.extend(asset_params.iter().cloned());
        pre.region = opts.region.clone();
        pre.mappings = section("Mappings")?;
        pre.conditions = section("Conditions")?;
        pre.pseudo = pseudo(opts, &unit.stack_name);
        looped =
            foreach::expand(&pre, resources, &["Resources"]).map_err(|e| eval_error(&pre, e))?;
        loop_gaps = pre.gaps.take();
        for (key, from) in &looped.origin {
            if from.len() > 2 {
                aliases.push((vec!["Resources".into(), key.clone()], from.clone()));
            }
        }
        &looped.map
    } else {
        resources
    };
    // SAM: its resource types expanded into what the transform generates,
    // before evaluation (their properties hold intrinsics).
    let expanded = sam.then(|| sam::expand(resources, top.get("Globals")));
    if let Some(x) = &expanded {
        aliases.extend(x.origin.iter().cloned());
    }
    let alias_lines;
    let eval_lines = if aliases.is_empty() {
        &lines
    } else {
        // What a loop or SAM generates has the lines it was written at.
        let mut l = lines.clone();
        for (to, from) in &aliases {
            let to: Vec<&str> = to.iter().map(String::as_str).collect();
            let from: Vec<&str> = from.iter().map(String::as_str).collect();
            l.alias(&to, &from);
        }
        alias_lines = l;
        &alias_lines
    };
    let resources = expanded.as_ref().map_or(resources, |x| &x.resources);
    out.coverage.extend(loop_gaps);

    let mut ev = Eval::new(file.clone(), eval_lines);
    ev.params = resolved.values;
    ev.param_locations = resolved.locations;
    ev.params.extend(asset_params);
    ev.region = opts.region.clone();
    ev.mappings = section("Mappings")?;
    ev.conditions = section("Conditions")?;
    ev.pseudo = pseudo(opts, &unit.stack_name);
    for (id, def) in resources {
        let ty = def.get("Type").and_then(Json::as_str).unwrap_or_default();
        ev.types
            .insert(id.clone(), mapping::model_type(ty).to_string());
    }
    for (line, reason) in resolved.gaps {
        out.coverage.push(CoverageGap {
            what: params::at(&shown, line),
            reason,
        });
    }
    // Sections this reader does not know (a typo, or a newer feature).
    for key in top.keys() {
        let known = IGNORED_SECTIONS.contains(&key.as_str())
            || [
                "Resources",
                "Parameters",
                "Mappings",
                "Conditions",
                "Transform",
                "Outputs",
            ]
            .contains(&key.as_str())
            || (sam && key == "Globals");
        if !known {
            ev.gap(&[key], format!("template section `{key}` is not read"));
        }
    }
    let others: Vec<&String> = transforms
        .iter()
        .filter(|t| *t != sam::TRANSFORM && *t != "AWS::LanguageExtensions")
        .collect();
    if !others.is_empty() {
        let names: Vec<String> = others.iter().map(|t| format!("\"{t}\"")).collect();
        ev.gap(
            &["Transform"],
            format!(
                "transform {} is not expanded: what it generates is not compared",
                names.join(", ")
            ),
        );
    }
    if let Some(x) = &expanded {
        for (path, reason) in &x.gaps {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            ev.gap(&path, reason.clone());
        }
    }
    for (id, def) in resources {
        // CDK's analytics: nothing to compare.
        if def.get("Type").and_then(Json::as_str) == Some("AWS::CDK::Metadata") {
            continue;
        }
        let Some(mut r) = resource(&ev, &unit.prefix, id, def).map_err(|e| eval_error(&ev, e))?
        else {
            continue;
        };
        // A nested stack read is compared by what its parameters make of
        // it, as a Terraform module call by its resources, not its inputs;
        // one not read is compared by its parameters.
        if r.rtype == "aws_cloudformation_stack" && nested(opts, unit, &ev, id, &r, out)? {
            r.attributes.remove("parameters");
            if let Some(o) = out.outputs.remove(&format!("{}module.{id}.", unit.prefix)) {
                o.attach(&mut r);
            }
        }
        out.resources.push(r);
    }
    let outputs = outputs(&ev, section("Outputs")?).map_err(|e| eval_error(&ev, e))?;
    out.outputs.insert(unit.prefix.clone(), outputs);
    out.coverage.extend(ev.gaps.take());
    Ok(())
}

/// A transform's name (`AWS::Serverless-2016-10-31`), or its text when it
/// is not a string (a macro with parameters).
fn transform_name(t: &Json) -> String {
    match t {
        Json::String(s) => s.clone(),
        Json::Object(m) => m
            .get("Name")
            .and_then(Json::as_str)
            .map_or_else(|| t.to_string(), str::to_string),
        other => other.to_string(),
    }
}

pub(crate) fn read_text(path: &Path, shown: &str) -> Result<String, CfnError> {
    crate::input::read_text(path, crate::input::limits().tf_file).map_err(|cause| CfnError::Io {
        path: shown.to_string(),
        cause,
    })
}

fn eval_error(ev: &Eval, e: EvalError) -> CfnError {
    let path: Vec<&str> = e.path.iter().map(String::as_str).collect();
    CfnError::Invalid {
        location: ev.location(&path),
        message: e.message,
    }
}

/// The pseudo parameters, from the `cloudformation` table and the
/// environment; what neither gives is unknown.
fn pseudo(opts: &Options, stack_name: &str) -> HashMap<&'static str, Value> {
    let region = opts.region.as_deref();
    let partition = match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    };
    let known = |v: Option<&str>, name: &str| {
        v.map_or_else(|| Value::Unknown(name.to_string()), Value::str)
    };
    HashMap::from([
        ("AWS::Region", known(region, "AWS::Region")),
        (
            "AWS::AccountId",
            known(opts.account.as_deref(), "AWS::AccountId"),
        ),
        ("AWS::Partition", Value::str(partition)),
        ("AWS::StackName", Value::str(stack_name)),
        ("AWS::StackId", Value::Unknown("AWS::StackId".into())),
        (
            "AWS::URLSuffix",
            Value::str(if partition == "aws-cn" {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            }),
        ),
        ("AWS::NotificationARNs", Value::List(Vec::new())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(template: &str) -> Result<Snapshot, CfnError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.yaml");
        std::fs::write(&path, template).expect("write");
        load(&Options {
            environment: "staging".into(),
            template: path,
            parameters: None,
            base: dir.path().to_path_buf(),
            stack_name: None,
            region: Some("eu-west-1".into()),
            account: None,
        })
    }

    #[test]
    fn literal_secrets_under_cloudformation_names_are_redacted() {
        let snap = load_text(
            "Resources:\n  Cluster:\n    Type: AWS::DocDB::DBCluster\n    Properties:\n      MasterUserPassword: literal-Secret-1\n      Engine: aurora-postgresql\n  Cache:\n    Type: Custom::Cache\n    Properties:\n      Settings:\n        AuthToken: literal-Token-2\n",
        )
        .expect("loads");
        let cluster = snap
            .resources
            .iter()
            .find(|r| r.address == "AWS::DocDB::DBCluster.Cluster")
            .expect("cluster");
        assert!(cluster.attributes["MasterUserPassword"].is_sensitive());
        assert_eq!(
            cluster.attributes["Engine"],
            Value::str("aurora-postgresql")
        );
        let cache = snap
            .resources
            .iter()
            .find(|r| r.rtype == "Custom::Cache")
            .expect("cache");
        assert!(cache.attributes["Settings"]
            .get_path("AuthToken")
            .is_some_and(Value::is_sensitive));
    }

    #[test]
    fn a_false_condition_removes_the_resource_and_locations_have_lines() {
        let snap = load_text(
            "Conditions:\n  Never: !Equals [a, b]\nResources:\n  Gone:\n    Type: AWS::S3::Bucket\n    Condition: Never\n  Kept:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${AWS::StackName}-${AWS::Region}'\n",
        )
        .expect("loads");
        let addresses: Vec<&str> = snap.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addresses,
            vec!["aws_cloudformation_stack.stack", "aws_s3_bucket.Kept"]
        );
        let kept = &snap.resources[1];
        assert_eq!(kept.attributes["bucket"], Value::str("staging-eu-west-1"));
        assert_eq!(kept.location.line, Some(7));
        assert_eq!(kept.attribute_location("bucket").line, Some(10));
    }

    #[test]
    fn a_template_that_nests_itself_stops_at_the_limit() {
        let snap = load_text(
            "Resources:\n  Again:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./t.yaml\n",
        )
        .expect("loads");
        let deepest = format!(
            "{}aws_cloudformation_stack.Again",
            "module.Again.".repeat(nested::MAX_NESTING)
        );
        assert!(snap.resources.iter().any(|r| r.address == deepest));
        assert!(
            snap.coverage
                .iter()
                .any(|g| g.what == "t.yaml:5" && g.reason.contains("deeper than 8")),
            "{:?}",
            snap.coverage
        );
    }

    #[test]
    fn templates_cloudformation_would_reject_are_errors_with_lines() {
        let e = load_text("Resources:\n  A:\n    Properties: {}\n").expect_err("no Type");
        assert!(
            e.to_string()
                .ends_with("t.yaml:2: resource `A` has no Type"),
            "{e}"
        );
        let e = load_text("Parameters: {}\n").expect_err("no Resources");
        assert!(e.to_string().contains("no `Resources` section"), "{e}");
        let e = load_text("Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Ref Nope\n")
            .expect_err("dangling Ref");
        assert!(e.to_string().contains("t.yaml:5: Ref to `Nope`"), "{e}");
    }
}
