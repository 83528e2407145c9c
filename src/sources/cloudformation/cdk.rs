//! CDK apps: a cloud assembly (`cdk.out`, what `cdk synth` writes) read as
//! one environment per `Stage`. `cdk = { out = "cdk.out", stage = "Prod" }`
//! reads the stage's nested assembly (`assembly-Prod/`): each of its stacks'
//! templates is evaluated as the CloudFormation source evaluates a
//! template, with the account and region of the stack's environment
//! (`aws://222222222222/eu-west-1`), and its resources are addressed under
//! `module.<stack>.` (the stack's construct path inside the stage), so the
//! same stack of two stages pairs. Without `stage`, the stacks of the top
//! assembly are read: all of them, or those `stacks = ["ShopStaging"]`
//! names (artifact ids or stack names), for apps that instantiate one stack
//! per environment instead of one `Stage`. A listed stack whose construct
//! id holds the environment's name or an alias as a camel-case word
//! (`ShopStaging` in environment `staging`) is addressed with that word
//! written `${env}` (`module.Shop${env}.`), so `ShopStaging` and `ShopProd`
//! pair.
//!
//! CDK noise is left out: `AWS::CDK::Metadata` resources (analytics), the
//! `BootstrapVersion` parameter and its rule (the bootstrap check), and
//! `aws:cdk:path` metadata (metadata is not read). The aws-cdk-lib version
//! the stage was synthesized with (`tree.json`) is a dependency record,
//! `cdk_library.aws-cdk-lib`, compared like a provider version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use super::{assets, load_template, read_text, CfnError, Collected, Options, Unit};
use crate::config::toml::{fields, join_key, resolve, string, strings, table, Field, Sink};
use crate::error::{EnvError, Error};
use crate::model::{Location, Resource, Snapshot, SourceKind, Value};
use crate::sources::{EnvSpec, Read, ReadContext, Source, Table};

/// `cdk = { out = "cdk.out", stage = "Prod" }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CdkTable {
    /// The cloud assembly directory (resolved; holds a manifest.json).
    pub out: PathBuf,
    /// The `Stage` whose nested assembly is the environment.
    pub stage: Option<String>,
    /// The top assembly's stacks that make the environment (artifact ids
    /// or stack names); empty: all of them.
    pub stacks: Vec<String>,
}

impl Table for CdkTable {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

pub(crate) const KEYS: &[&str] = &["out", "stage", "stacks"];

fn read_table(sink: &mut Sink, f: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
    let (t, at) = table(sink, f)?;
    let mut out = CdkTable::default();
    let mut given = None;
    let mut stage_at = None;
    let mut stacks_at = None;
    for g in fields(sink, t, &f.key, at, Some(KEYS)) {
        match g.name {
            "out" => given = string(sink, &g),
            "stage" => {
                if let Some(s) = string(sink, &g) {
                    if s.value.trim().is_empty() {
                        sink.report(s.at, &s.key, "a stage name cannot be empty");
                    }
                    out.stage = Some(s.value);
                    stage_at = Some(s.at);
                }
            }
            "stacks" => {
                if let Some(list) = strings(sink, &g) {
                    if list.value.is_empty() {
                        sink.report(
                            list.at,
                            &list.key,
                            "a stack list cannot be empty (leave `stacks` out to read every stack)",
                        );
                    }
                    for s in list.value {
                        if s.value.trim().is_empty() {
                            sink.report(s.at, &s.key, "a stack id cannot be empty");
                        } else {
                            out.stacks.push(s.value);
                        }
                    }
                    stacks_at = Some((list.at, list.key));
                }
            }
            _ => {}
        }
    }
    if let (Some(_), Some((at, key))) = (stage_at, &stacks_at) {
        sink.report(
            *at,
            key,
            "`stacks` and `stage` cannot both be set: `stage` reads a Stage's nested assembly, \
             `stacks` picks stacks of the top assembly",
        );
    }
    match given {
        Some(o) => {
            let path = resolve(dir, &o.value);
            if !path.join("manifest.json").is_file() {
                sink.report(
                    o.at,
                    &o.key,
                    format!(
                        "`{}` is not a cloud assembly (no manifest.json): run `cdk synth` first",
                        path.display()
                    ),
                );
            }
            out.out = path;
        }
        None => sink.report(
            at,
            &join_key(&f.key, "out"),
            "missing required key `out` (the cloud assembly `cdk synth` writes, e.g. \"cdk.out\")",
        ),
    }
    Some(Arc::new(out))
}

/// The CDK source: `cdk = { ... }`.
pub(crate) struct Cdk;

impl Source for Cdk {
    fn key(&self) -> &'static str {
        "cdk"
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Code]
    }

    fn table(&self, sink: &mut Sink, field: &Field, dir: &Path) -> Option<Arc<dyn Table>> {
        read_table(sink, field, dir)
    }

    fn read(&self, cx: &ReadContext, env: &EnvSpec, _kind: SourceKind) -> Result<Read, Error> {
        let Some(table) = env.tables.get::<CdkTable>() else {
            return Err(EnvError::NoTable {
                env: env.name.clone(),
                table: "cdk",
                config: env.config.clone().unwrap_or_else(|| "parity.toml".into()),
                instead: "--source state or --source plan",
            }
            .into());
        };
        let (snap, account, region) = load(table, &env.name, &env.identity.aliases, &cx.base)
            .map_err(|cause| Error::CloudFormation {
                env: env.name.clone(),
                cause,
            })?;
        let mut identity = env.identity.clone();
        identity.account_id = identity.account_id.or(account);
        identity.region = identity.region.or(region);
        Ok(Read::new(snap, identity))
    }
}

fn invalid(location: String, message: impl Into<String>) -> CfnError {
    CfnError::Invalid {
        location,
        message: message.into(),
    }
}

fn manifest(path: &Path, base: &Path) -> Result<(Json, String), CfnError> {
    let shown = crate::sources::terraform::files::display(base, path);
    let text = read_text(path, &shown)?;
    let json = serde_json::from_str(&text).map_err(|e| {
        invalid(
            format!("{shown}:{}", e.line()),
            format!("not a valid cloud assembly manifest: {e}"),
        )
    })?;
    Ok((json, shown))
}

/// One stage's stacks, as one snapshot; with the account and region of
/// its first stack's environment.
pub fn load(
    table: &CdkTable,
    environment: &str,
    aliases: &[String],
    base: &Path,
) -> Result<(Snapshot, Option<String>, Option<String>), CfnError> {
    let d = load_deployed(table, environment, aliases, base)?;
    Ok((d.snapshot, d.account, d.region))
}

/// One stack of a CDK environment as CloudFormation deploys it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedStack {
    /// The artifact's `stackName` (manifest.json): the deployed stack's name.
    pub name: String,
    /// The region of the stack's environment, when the app gives one.
    pub region: Option<String>,
    /// The address prefix of its template's resources (`module.Shop.`).
    pub prefix: String,
}

/// A CDK environment read for a live join: its snapshot, the stacks
/// that deploy it, and the resources the source renamed.
#[derive(Debug, Clone)]
#[cfg_attr(
    not(feature = "aws"),
    allow(
        dead_code,
        reason = "the stacks and renames are read by the live source (aws feature)"
    )
)]
pub struct Deployed {
    pub snapshot: Snapshot,
    pub account: Option<String>,
    pub region: Option<String>,
    pub stacks: Vec<DeployedStack>,
    /// Stage-free addresses (`module.Shop.aws_s3_bucket.Reports${env}`) →
    /// the address of the template's logical ID
    /// (`module.Shop.aws_s3_bucket.ReportsStaging1A2B3C4D`).
    pub renamed: HashMap<String, String>,
}

/// [`load`], with the stacks and renames a live read joins by.
pub fn load_deployed(
    table: &CdkTable,
    environment: &str,
    aliases: &[String],
    base: &Path,
) -> Result<Deployed, CfnError> {
    let (top, top_shown) = manifest(&table.out.join("manifest.json"), base)?;
    let dir = match &table.stage {
        None => table.out.clone(),
        Some(stage) => {
            let found = top["artifacts"].as_object().and_then(|a| {
                a.iter().find_map(|(id, art)| {
                    let p = &art["properties"];
                    (art["type"] == "cdk:cloud-assembly"
                        && (p["displayName"] == stage.as_str()
                            || *id == format!("assembly-{stage}")))
                    .then(|| p["directoryName"].as_str().unwrap_or(id).to_string())
                })
            });
            match found {
                Some(d) => table.out.join(d),
                None => {
                    return Err(invalid(
                        top_shown,
                        format!("the cloud assembly has no stage `{stage}`"),
                    ))
                }
            }
        }
    };
    let (assembly, shown) = manifest(&dir.join("manifest.json"), base)?;
    let names: Vec<&str> = std::iter::once(environment)
        .chain(aliases.iter().map(String::as_str))
        .collect();
    let picked = picked_stacks(table, &assembly, &shown)?;
    let mut out = Collected::default();
    let mut first_env: Option<(Option<String>, Option<String>)> = None;
    let mut stacks = 0;
    let mut deployed = Vec::new();
    if let Some(artifacts) = assembly["artifacts"].as_object() {
        for (id, art) in artifacts {
            if art["type"] != "aws:cloudformation:stack" {
                continue;
            }
            if picked.as_ref().is_some_and(|p| !p.contains(id.as_str())) {
                continue;
            }
            let Some(file) = art["properties"]["templateFile"].as_str() else {
                return Err(invalid(shown, format!("stack `{id}` has no templateFile")));
            };
            stacks += 1;
            let (account, region) = stack_env(art["environment"].as_str().unwrap_or_default());
            first_env.get_or_insert((account.clone(), region.clone()));
            // `Prod/Shop` → `Shop`: the stack's path inside the stage.
            let display = art["displayName"].as_str().unwrap_or(id);
            let key_buf: String;
            let key = match &table.stage {
                Some(stage) => display
                    .strip_prefix(&format!("{stage}/"))
                    .unwrap_or(display),
                None if picked.is_some() => {
                    // `ShopStaging` → `Shop${env}`, so it pairs with `ShopProd`.
                    let free = without_stage(display, &names);
                    key_buf = free.unwrap_or_else(|| display.to_string());
                    key_buf.as_str()
                }
                None => display,
            }
            .replace('/', ".");
            let opts = Options {
                environment: environment.to_string(),
                template: dir.join(file),
                parameters: None,
                base: base.to_path_buf(),
                stack_name: None,
                region,
                account,
            };
            let (stack_hashes, files) = asset_hashes(artifacts, art, &dir, base)?;
            let unit = Unit {
                path: &opts.template,
                params: None,
                prefix: format!("module.{key}."),
                stack_name: art["properties"]["stackName"]
                    .as_str()
                    .unwrap_or(id)
                    .to_string(),
                depth: 0,
                cdk: true,
                assets: Some(&files),
            };
            deployed.push(DeployedStack {
                name: unit.stack_name.clone(),
                region: opts.region.clone(),
                prefix: unit.prefix.clone(),
            });
            let first = out.resources.len();
            load_template(&opts, &unit, &mut out)?;
            let mut hashes = std::mem::take(&mut out.asset_hashes);
            hashes.extend(stack_hashes);
            hashes.sort();
            hashes.dedup();
            for r in &mut out.resources[first..] {
                assets::fold(r, &hashes);
            }
            // The stack's outputs, on a stack resource of its own.
            if let Some(o) = out.outputs.remove(&unit.prefix) {
                let mut r = Resource::new(
                    format!("{}aws_cloudformation_stack.stack", unit.prefix),
                    "aws_cloudformation_stack",
                    o.section.clone(),
                );
                o.attach(&mut r);
                if !r.attributes.is_empty() {
                    assets::fold(&mut r, &hashes);
                    out.resources.push(r);
                }
            }
        }
    }
    if stacks == 0 {
        return Err(invalid(shown, "the assembly has no stack"));
    }
    let mut snap = Snapshot::new(environment, SourceKind::Code);
    snap.resources = out.resources;
    let renamed = if let Some(stage) = &table.stage {
        stage_free(&mut snap.resources, &[stage.as_str(), environment])
    } else if picked.is_some() {
        stage_free(&mut snap.resources, &names)
    } else {
        Vec::new()
    };
    snap.coverage = out.coverage;
    if let Some(version) = library_version(table, base)? {
        let mut dep = Resource::new(
            "cdk_library.aws-cdk-lib",
            "cdk_library",
            Location::new(
                crate::sources::terraform::files::display(base, &table.out.join("tree.json")),
                None,
            ),
        );
        dep.attributes.insert("version".into(), Value::str(version));
        snap.dependencies.push(dep);
    }
    snap.resources.sort_by(|a, b| a.address.cmp(&b.address));
    snap.coverage.sort();
    snap.coverage.dedup();
    let n = crate::normalize::Normalizer::new(&snap.environment, &[], None, None);
    crate::normalize::guard_snapshot(&mut snap, std::mem::take(&mut out.secrets), &n);
    let (account, region) = first_env.unwrap_or_default();
    Ok(Deployed {
        snapshot: snap,
        account,
        region,
        stacks: deployed,
        renamed: renamed.into_iter().map(|(old, new)| (new, old)).collect(),
    })
}

/// The artifact ids `stacks = [...]` picks from the top assembly (each
/// entry an artifact id or a stack's `stackName`); `None` without
/// `stacks`. An entry naming no stack is an error naming the manifest and
/// the known ids.
fn picked_stacks(
    table: &CdkTable,
    assembly: &Json,
    shown: &str,
) -> Result<Option<std::collections::BTreeSet<String>>, CfnError> {
    if table.stacks.is_empty() {
        return Ok(None);
    }
    let stacks: Vec<(&String, &Json)> = assembly["artifacts"]
        .as_object()
        .map(|a| {
            a.iter()
                .filter(|(_, art)| art["type"] == "aws:cloudformation:stack")
                .collect()
        })
        .unwrap_or_default();
    let mut picked = std::collections::BTreeSet::new();
    for want in &table.stacks {
        let found = stacks.iter().find(|(id, art)| {
            *id == want || art["properties"]["stackName"].as_str() == Some(want.as_str())
        });
        match found {
            Some((id, _)) => {
                picked.insert((*id).clone());
            }
            None => {
                let known: Vec<&str> = stacks.iter().map(|(id, _)| id.as_str()).collect();
                return Err(invalid(
                    shown.to_string(),
                    format!(
                        "the cloud assembly has no stack `{want}` (its stacks: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
    }
    Ok(Some(picked))
}

/// CDK ends a logical ID with 8 hex digits of a hash of the construct
/// path. When a construct's id holds the stage's name (`Reports-Staging`),
/// the same resource has another logical ID, hash and all, in every stage
/// (`ReportsStaging1A2B3C4D`, `ReportsProdE5F6A7B8`). Such a resource is
/// addressed without the hash and with the stage's name (any of `names`,
/// matched as a camel-case word) written `${env}` (`Reports${env}`), and
/// references to it follow; a resource whose new address is taken keeps
/// its own. The renamed addresses, (old, new).
fn stage_free(resources: &mut [Resource], names: &[&str]) -> Vec<(String, String)> {
    let taken: std::collections::HashSet<String> =
        resources.iter().map(|r| r.address.clone()).collect();
    let mut renamed: Vec<(String, String)> = Vec::new();
    for r in resources.iter_mut() {
        let Some((head, logical)) = r.address.rsplit_once('.') else {
            continue;
        };
        let Some(free) = strip_hash(logical).and_then(|stem| without_stage(stem, names)) else {
            continue;
        };
        let new = format!("{head}.{free}");
        if taken.contains(&new) || renamed.iter().any(|(_, n)| *n == new) {
            continue;
        }
        renamed.push((r.address.clone(), new.clone()));
        r.address = new.clone();
        r.key = new;
    }
    if renamed.is_empty() {
        return renamed;
    }
    // `module.Shop.aws_s3_bucket.X` → `aws_s3_bucket.X`, as references name it.
    let local = |a: &str| -> String {
        let parts: Vec<&str> = a.rsplitn(3, '.').collect();
        match parts.as_slice() {
            [name, rtype, _] | [name, rtype] => format!("{rtype}.{name}"),
            _ => a.to_string(),
        }
    };
    let pairs: Vec<(String, String)> = renamed
        .iter()
        .flat_map(|(old, new)| {
            [
                (format!("{old}."), format!("{new}.")),
                (format!("{}.", local(old)), format!("{}.", local(new))),
            ]
        })
        .collect();
    for r in resources.iter_mut() {
        for v in r.attributes.values_mut() {
            rename_refs(v, &pairs);
        }
    }
    renamed
}

/// `ReportsStaging1A2B3C4D` → `ReportsStaging`; `None` without the hash.
fn strip_hash(logical: &str) -> Option<&str> {
    let cut = logical.len().checked_sub(8)?;
    let (stem, hash) = logical.split_at_checked(cut)?;
    let is_hash = hash
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    (is_hash && !stem.is_empty()).then_some(stem)
}

/// `ReportsStaging` with names `["Staging"]` → `Reports${env}`: each name
/// found as a camel-case word (starting at an upper-case letter or the
/// start, followed by an upper-case letter, a digit or the end), in any
/// case; `None` when none is.
fn without_stage(stem: &str, names: &[&str]) -> Option<String> {
    let lower = stem.to_ascii_lowercase();
    for name in names.iter().filter(|n| !n.is_empty() && n.is_ascii()) {
        let needle = name.to_ascii_lowercase();
        let mut from = 0;
        while let Some(i) = lower[from..].find(&needle).map(|i| i + from) {
            let end = i + needle.len();
            let starts = stem.as_bytes()[i].is_ascii_uppercase() || i == 0;
            let ends = stem
                .as_bytes()
                .get(end)
                .is_none_or(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if starts && ends {
                return Some(format!("{}${{env}}{}", &stem[..i], &stem[end..]));
            }
            from = i + 1;
        }
    }
    None
}

/// Rewrite references (`Value::Unknown`) that start with an old address.
fn rename_refs(v: &mut Value, pairs: &[(String, String)]) {
    match v {
        Value::Unknown(expr) => {
            for (old, new) in pairs {
                if expr.contains(old.as_str()) {
                    *expr = expr.replace(old.as_str(), new);
                }
            }
        }
        Value::List(items) => items.iter_mut().for_each(|i| rename_refs(i, pairs)),
        Value::Map(m) => m.values_mut().for_each(|i| rename_refs(i, pairs)),
        Value::Marked(inner) => rename_refs(inner, pairs),
        _ => {}
    }
}

/// The asset hashes of a stack: the keys of the asset manifests
/// (`cdk:asset-manifest` artifacts) the stack depends on; and its file
/// assets' local files, by hash (nested stacks' templates among them).
fn asset_hashes(
    artifacts: &serde_json::Map<String, Json>,
    stack: &Json,
    dir: &Path,
    base: &Path,
) -> Result<(Vec<String>, HashMap<String, PathBuf>), CfnError> {
    let mut hashes = Vec::new();
    let mut files = HashMap::new();
    for dep in stack["dependencies"].as_array().into_iter().flatten() {
        let Some(art) = dep.as_str().and_then(|d| artifacts.get(d)) else {
            continue;
        };
        if art["type"] != "cdk:asset-manifest" {
            continue;
        }
        if let Some(file) = art["properties"]["file"].as_str() {
            let path = dir.join(file);
            let (manifest, _) = manifest(&path, base)?;
            hashes.extend(assets::manifest_hashes(&manifest));
            let at = path.parent().unwrap_or(dir);
            files.extend(assets::manifest_files(&manifest, at));
        }
    }
    Ok((hashes, files))
}

/// `aws://111111111111/eu-west-1`; CDK writes `unknown-account` and
/// `unknown-region` for an environment-agnostic stack.
fn stack_env(env: &str) -> (Option<String>, Option<String>) {
    let rest = env.strip_prefix("aws://").unwrap_or_default();
    let (account, region) = rest.split_once('/').unwrap_or((rest, ""));
    let known = |s: &str| (!s.is_empty() && !s.starts_with("unknown-")).then(|| s.to_string());
    (known(account), known(region))
}

/// The aws-cdk-lib version the stage (or the app) was synthesized with,
/// from `tree.json` when the assembly has one.
fn library_version(table: &CdkTable, base: &Path) -> Result<Option<String>, CfnError> {
    let path = table.out.join("tree.json");
    if !path.is_file() {
        return Ok(None);
    }
    let (tree, _) = manifest(&path, base)?;
    let root = &tree["tree"];
    let node = match &table.stage {
        Some(stage) => &root["children"][stage.as_str()],
        None => root,
    };
    Ok(node["constructInfo"]["version"]
        .as_str()
        .or_else(|| root["constructInfo"]["version"].as_str())
        .map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_in_logical_ids_are_folded_as_camel_case_words() {
        assert_eq!(strip_hash("ReportsStaging1A2B3C4D"), Some("ReportsStaging"));
        assert_eq!(
            strip_hash("Reports1a2b3c4d"),
            None,
            "CDK's hash is upper-case hex"
        );
        assert_eq!(strip_hash("1A2B3C4D"), None);
        let names = ["Staging", "staging"];
        assert_eq!(
            without_stage("ReportsStaging", &names).as_deref(),
            Some("Reports${env}")
        );
        assert_eq!(
            without_stage("StagingReportsBucket", &names).as_deref(),
            Some("${env}ReportsBucket")
        );
        assert_eq!(without_stage("ReportsStagingArea", &["Stag"]), None);
        assert_eq!(without_stage("Reports", &names), None);
        assert_eq!(
            without_stage("DataQa2Bucket", &["Qa"]).as_deref(),
            Some("Data${env}2Bucket")
        );
        assert_eq!(without_stage("Aqua", &["Qa"]), None);
    }

    #[test]
    fn stack_environments() {
        assert_eq!(
            stack_env("aws://111111111111/eu-west-1"),
            (Some("111111111111".into()), Some("eu-west-1".into()))
        );
        assert_eq!(
            stack_env("aws://unknown-account/unknown-region"),
            (None, None)
        );
    }
}
