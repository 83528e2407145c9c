//! CDK assets: code, images and nested templates CDK uploads before a
//! deployment, addressed by the hash of their content (an S3 key
//! `<sha256>.zip`, an image tag, the legacy synthesizer's
//! `AssetParameters<sha256>S3Bucket...` parameters). Two stages built from
//! different code have different hashes, and every value naming an asset
//! differs with them: noise that says only "the content differs".
//!
//! A hash is taken out of the value it stands in (`s3_key` becomes
//! `${asset}.zip`, so what the value says besides the hash is still
//! compared) and kept in the resource's `cdk_assets` attribute, by the
//! attribute it was found in, where the `cdk-asset-hash` rule of the
//! `expected` pack lists a difference at `info`: visible, never failing,
//! never dropped.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::model::{Resource, Value};

/// What an asset's hash is replaced with.
pub(crate) const TOKEN: &str = "${asset}";
/// The attribute that keeps the hashes taken out, by attribute.
pub(crate) const ATTRIBUTE: &str = "cdk_assets";

/// The hashes an asset manifest (`<stack>.assets.json`) names: the keys of
/// its `files` and `dockerImages`.
pub(crate) fn manifest_hashes(manifest: &Json) -> Vec<String> {
    ["files", "dockerImages"]
        .iter()
        .filter_map(|k| manifest[k].as_object())
        .flat_map(|m| m.keys())
        .filter(|h| is_hash(h))
        .cloned()
        .collect()
}

/// The local files of an asset manifest's file assets, by hash, as paths
/// under `dir` (the manifest's directory).
pub(crate) fn manifest_files(
    manifest: &Json,
    dir: &std::path::Path,
) -> Vec<(String, std::path::PathBuf)> {
    manifest["files"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(hash, f)| {
            let path = f["source"]["path"].as_str()?;
            Some((hash.clone(), dir.join(path)))
        })
        .collect()
}

/// The hash a nested stack's `TemplateURL` names, as CDK writes it:
/// `https://s3.<region>.<suffix>/<bucket>/<sha256>.json`.
pub(crate) fn url_hash(url: &str) -> Option<&str> {
    let last = url.rsplit('/').next()?;
    let hash = last.strip_suffix(".json")?;
    is_hash(hash).then_some(hash)
}

/// The legacy synthesizer's asset parameter,
/// `AssetParameters<sha256><kind><8 hex digits>` → (hash, kind), the kind
/// being `S3Bucket`, `S3VersionKey` or `ArtifactHash`.
pub(crate) fn legacy_parameter(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("AssetParameters")?;
    let hash = rest.get(..64).filter(|h| is_hash(h))?;
    let tail = &rest[64..];
    let kind = tail.get(..tail.len().checked_sub(8)?)?;
    ["S3Bucket", "S3VersionKey", "ArtifactHash"]
        .contains(&kind)
        .then_some((hash, kind))
}

/// The value a legacy asset parameter stands for: known only at
/// deployment, named by its hash and kind (the hash is folded like any
/// other).
pub(crate) fn legacy_value(hash: &str, kind: &str) -> Value {
    Value::Unknown(format!("cdk_asset.{hash}.{kind}"))
}

/// A SHA-256 in lower-case hex, as CDK writes asset hashes.
fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Take the asset hashes out of a resource's values, into `cdk_assets`.
pub(crate) fn fold(r: &mut Resource, hashes: &[String]) {
    if hashes.is_empty() {
        return;
    }
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (attr, v) in r.attributes.iter_mut() {
        let mut here = Vec::new();
        replace(v, hashes, &mut here);
        if !here.is_empty() {
            here.dedup();
            found.insert(attr.clone(), here);
        }
    }
    if found.is_empty() {
        return;
    }
    // Where the first attribute with a line of its own is written.
    let at = found
        .keys()
        .map(|attr| r.attribute_location(attr))
        .find(|l| *l != r.location)
        .unwrap_or_else(|| r.location.clone());
    let record = found
        .into_iter()
        .map(|(attr, list)| (attr, Value::str(list.join(", "))))
        .collect();
    r.attributes
        .insert(ATTRIBUTE.to_string(), Value::Map(record));
    r.locate(ATTRIBUTE, at);
}

fn replace(v: &mut Value, hashes: &[String], found: &mut Vec<String>) {
    match v {
        _ if v.is_sensitive() => {}
        Value::String(s) | Value::Unknown(s) => {
            for h in hashes {
                if s.contains(h.as_str()) {
                    *s = s.replace(h.as_str(), TOKEN);
                    found.push(h.clone());
                }
            }
        }
        Value::List(items) => items.iter_mut().for_each(|i| replace(i, hashes, found)),
        Value::Map(m) => m.values_mut().for_each(|i| replace(i, hashes, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, Map};

    const H1: &str = "85a6fb47f6ea1e7f475ecc3bca78dda1ebdeb6fd8e12932aa3679eedb931935d";

    #[test]
    fn manifests_and_legacy_parameters_name_hashes() {
        let manifest = serde_json::json!({
            "version": "55.0.0",
            "files": { H1: {}, "not-a-hash": {} },
            "dockerImages": {},
        });
        assert_eq!(manifest_hashes(&manifest), vec![H1.to_string()]);
        let name = format!("AssetParameters{H1}S3VersionKey5A0E2D5C");
        assert_eq!(legacy_parameter(&name), Some((H1, "S3VersionKey")));
        assert_eq!(
            legacy_parameter(&format!("AssetParameters{H1}Other5A0E2D5C")),
            None
        );
        assert_eq!(legacy_parameter("AssetParametersShort"), None);
        assert_eq!(legacy_parameter("DbPassword"), None);
    }

    #[test]
    fn hashes_move_to_cdk_assets_and_the_rest_is_kept() {
        let mut r = Resource::new(
            "aws_lambda_function.Worker",
            "aws_lambda_function",
            Location::new("t.json", Some(3)),
        );
        r.attributes
            .insert("s3_key".into(), Value::str(format!("{H1}.zip")));
        r.attributes.insert(
            "s3_bucket".into(),
            Value::str("cdk-hnb659fds-assets-${account}-${region}"),
        );
        r.attributes.insert(
            "image".into(),
            Value::List(vec![Value::Unknown(format!("cdk_asset.{H1}.S3Bucket"))]),
        );
        r.locate("s3_key", Location::new("t.json", Some(9)));
        fold(&mut r, &[H1.to_string()]);
        assert_eq!(r.attributes["s3_key"], Value::str("${asset}.zip"));
        assert_eq!(
            r.attributes["s3_bucket"],
            Value::str("cdk-hnb659fds-assets-${account}-${region}")
        );
        assert_eq!(
            r.attributes["image"],
            Value::List(vec![Value::Unknown("cdk_asset.${asset}.S3Bucket".into())])
        );
        let mut expect = Map::new();
        expect.insert("image".into(), Value::str(H1));
        expect.insert("s3_key".into(), Value::str(H1));
        assert_eq!(r.attributes[ATTRIBUTE], Value::Map(expect));
        assert_eq!(
            r.attribute_location(ATTRIBUTE).line,
            Some(9),
            "s3_key's line"
        );
    }
}
