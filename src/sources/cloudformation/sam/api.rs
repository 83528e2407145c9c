//! `AWS::Serverless::HttpApi` and `AWS::Serverless::Api`, and the implicit
//! HTTP API of functions whose `HttpApi` events name none.

use serde_json::{json, Map, Value as Json};

use super::{beside, props_of, resource, s3_location, Expanded};

/// The HTTP API SAM creates for functions whose `HttpApi` events name no
/// API, once.
pub(super) fn implicit_http_api(out: &mut Expanded, from: &str, def: &Json) {
    if out.resources.contains_key("ServerlessHttpApi") {
        return;
    }
    out.add(
        from,
        "ServerlessHttpApi".into(),
        // SAM writes the routes of the functions' events as the API's
        // OpenAPI body; parity compares them as the functions' permissions.
        beside(def, "AWS::ApiGatewayV2::Api", json!({})),
    );
    out.add(
        from,
        "ServerlessHttpApiApiGatewayDefaultStage".into(),
        beside(
            def,
            "AWS::ApiGatewayV2::Stage",
            json!({"ApiId": {"Ref": "ServerlessHttpApi"}, "StageName": "$default", "AutoDeploy": true,
                   "Tags": {"httpapi:createdBy": "SAM"}}),
        ),
    );
}

/// API properties passed to the API resource as they are; the rest (auth,
/// domains, CORS, ...) generate more and are gaps.
const API_SAME: &[&str] = &["Name", "Description", "Body", "DisableExecuteApiEndpoint"];

fn api_gaps(out: &mut Expanded, id: &str, props: &Map<String, Json>, handled: &[&str]) {
    for k in props.keys() {
        if !API_SAME.contains(&k.as_str()) && !handled.contains(&k.as_str()) {
            out.gap(
                &["Resources", id, "Properties", k],
                format!(
                    "SAM API property `{k}` is not expanded: what it generates is not compared"
                ),
            );
        }
    }
}

pub(super) fn http_api(out: &mut Expanded, id: &str, def: &Json) {
    let props = props_of(def);
    let mut api = Map::new();
    for k in API_SAME {
        if let Some(v) = props.get(*k) {
            api.insert((*k).into(), v.clone());
        }
    }
    if let Some(uri) = props.get("DefinitionUri") {
        api.insert("BodyS3Location".into(), s3_location(uri));
    }
    if let Some(Json::Object(tags)) = props.get("Tags") {
        api.insert("Tags".into(), Json::Object(tags.clone()));
    }
    api_gaps(
        out,
        id,
        &props,
        &["StageName", "DefinitionUri", "Tags", "StageVariables"],
    );
    let stage_name = props
        .get("StageName")
        .cloned()
        .unwrap_or_else(|| json!("$default"));
    let stage_id = match stage_name.as_str() {
        Some("$default") | None => format!("{id}ApiGatewayDefaultStage"),
        Some(s) => format!(
            "{id}{}Stage",
            s.replace(|c: char| !c.is_ascii_alphanumeric(), "")
        ),
    };
    let mut stage = json!({"ApiId": {"Ref": id}, "StageName": stage_name, "AutoDeploy": true});
    if let Some(v) = props.get("StageVariables") {
        stage["StageVariables"] = v.clone();
    }
    out.add(
        id,
        id.to_string(),
        resource(def, "AWS::ApiGatewayV2::Api", api),
    );
    out.add(id, stage_id, beside(def, "AWS::ApiGatewayV2::Stage", stage));
}

pub(super) fn rest_api(out: &mut Expanded, id: &str, def: &Json) {
    let props = props_of(def);
    let mut api = Map::new();
    for k in API_SAME {
        if let Some(v) = props.get(*k) {
            api.insert((*k).into(), v.clone());
        }
    }
    if let Some(uri) = props.get("DefinitionUri") {
        api.insert("BodyS3Location".into(), s3_location(uri));
    }
    if let Some(ep) = props.get("EndpointConfiguration") {
        api.insert("EndpointConfiguration".into(), ep.clone());
    }
    api_gaps(
        out,
        id,
        &props,
        &[
            "StageName",
            "DefinitionUri",
            "EndpointConfiguration",
            "Variables",
            "TracingEnabled",
            "Tags",
        ],
    );
    let stage_name = props
        .get("StageName")
        .cloned()
        .unwrap_or_else(|| json!("Prod"));
    let stage_key = stage_name
        .as_str()
        .map(|s| s.replace(|c: char| !c.is_ascii_alphanumeric(), ""))
        .unwrap_or_default();
    let deployment = format!("{id}Deployment");
    let mut stage = json!({"RestApiId": {"Ref": id}, "DeploymentId": {"Ref": deployment}, "StageName": stage_name});
    for (from, to) in [
        ("Variables", "Variables"),
        ("TracingEnabled", "TracingEnabled"),
    ] {
        if let Some(v) = props.get(from) {
            stage[to] = v.clone();
        }
    }
    if let Some(Json::Object(tags)) = props.get("Tags") {
        let list: Vec<Json> = tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        api.insert("Tags".into(), Json::Array(list));
    }
    out.add(
        id,
        id.to_string(),
        resource(def, "AWS::ApiGateway::RestApi", api),
    );
    out.add(
        id,
        deployment,
        beside(
            def,
            "AWS::ApiGateway::Deployment",
            json!({"RestApiId": {"Ref": id}, "StageName": "Stage"}),
        ),
    );
    out.add(
        id,
        format!("{id}{stage_key}Stage"),
        beside(def, "AWS::ApiGateway::Stage", stage),
    );
}
