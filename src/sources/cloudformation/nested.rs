//! Nested stacks (`AWS::CloudFormation::Stack`): a local `TemplateURL`,
//! or a CDK nested template found through the stack's asset manifest,
//! read as a module of the parent.

use std::path::Path;

use super::eval::Eval;
use super::{assets, load_template, params, CfnError, Collected, Options, Unit};
use crate::model::{Resource, Value};

/// Nested stacks deeper than this are not read (a coverage gap): a
/// template that nests itself would never end.
pub const MAX_NESTING: usize = 8;

/// A nested stack (`AWS::CloudFormation::Stack`) whose `TemplateURL` is a
/// local file (as `aws cloudformation package` takes it): its template
/// evaluated with the `Parameters` the parent gives, its resources
/// addressed under `module.<LogicalId>.`, as Terraform addresses a module's.
/// A remote URL is a coverage gap. Whether it was read.
pub(super) fn nested(
    opts: &Options,
    unit: &Unit,
    ev: &Eval,
    id: &str,
    r: &Resource,
    out: &mut Collected,
) -> Result<bool, CfnError> {
    let at = ["Resources", id, "Properties", "TemplateURL"];
    let url = match r.attributes.get("template_url") {
        Some(Value::String(u)) => u.clone(),
        _ => {
            ev.gap(
                &at,
                "nested stack whose TemplateURL is not known: its resources are not compared"
                    .to_string(),
            );
            return Ok(false);
        }
    };
    // A CDK nested stack: its template is a file asset of the stack,
    // uploaded as `<hash>.json` to the assets bucket.
    let asset = unit.assets.and_then(|files| {
        let hash = assets::url_hash(&url)?;
        Some((hash.to_string(), files.get(hash)))
    });
    if url.contains("://") && asset.is_none() {
        ev.gap(
            &at,
            format!("nested stack template {url} is not local: its resources are not compared"),
        );
        return Ok(false);
    }
    if unit.depth + 1 > MAX_NESTING {
        ev.gap(
            &at,
            format!("nested stacks deeper than {MAX_NESTING} are not read"),
        );
        return Ok(false);
    }
    let path = match asset {
        Some((hash, None)) => {
            ev.gap(
                &at,
                format!(
                    "nested stack template asset {hash} is not in the stack's asset manifest: \
                     its resources are not compared"
                ),
            );
            return Ok(false);
        }
        Some((_, Some(file))) if !file.is_file() => {
            ev.gap(
                &at,
                format!(
                    "nested stack template asset `{}` does not exist: its resources are not compared",
                    crate::sources::terraform::files::display(&opts.base, file)
                ),
            );
            return Ok(false);
        }
        Some((_, Some(file))) => file.clone(),
        None => {
            let dir = unit.path.parent().unwrap_or(Path::new("."));
            crate::sources::terraform::files::lexical(&dir.join(&url))
        }
    };
    if !path.is_file() {
        return Err(CfnError::Invalid {
            location: ev.location(&at),
            message: format!(
                "nested stack template `{}` does not exist",
                crate::sources::terraform::files::display(&opts.base, &path)
            ),
        });
    }
    let mut given = params::ParamFile {
        shown: ev.location(&["Resources", id, "Properties", "Parameters"]),
        ..params::ParamFile::default()
    };
    if let Some(Value::Map(m)) = r.attributes.get("parameters") {
        for (k, v) in m.iter() {
            given.given.insert(k.clone(), v.clone());
        }
    }
    let child = Unit {
        path: &path,
        params: Some(&given),
        prefix: format!("{}module.{id}.", unit.prefix),
        stack_name: format!("{}-{id}", unit.stack_name),
        depth: unit.depth + 1,
        cdk: unit.cdk,
        assets: unit.assets,
    };
    load_template(opts, &child, out)?;
    Ok(true)
}
