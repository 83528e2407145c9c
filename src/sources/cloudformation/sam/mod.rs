//! SAM (`Transform: AWS::Serverless-2016-10-31`): the serverless resource
//! types expanded into the CloudFormation resources the SAM translator
//! generates for them, with the logical IDs it gives them, before the
//! template is evaluated (their properties may hold intrinsics):
//!
//! - `AWS::Serverless::Function` → `AWS::Lambda::Function` (same ID, the
//!   `Globals` section's `Function` merged in), its execution role
//!   `<Id>Role` unless it names one (`Policies`: managed policy names and
//!   ARNs, inline statements as `<Id>RolePolicy<n>`, and the managed
//!   policies its event sources need), and per event: `SQS`, `Kinesis`,
//!   `DynamoDB` → `AWS::Lambda::EventSourceMapping` `<Id><Event>`;
//!   `Schedule` → `AWS::Events::Rule` `<Id><Event>` and its permission
//!   `<Id><Event>Permission`; `HttpApi` → the permission
//!   `<Id><Event>Permission` and, without an `ApiId`, the implicit
//!   `ServerlessHttpApi` with its `$default` stage.
//! - `AWS::Serverless::HttpApi` → `AWS::ApiGatewayV2::Api` and its stage
//!   `<Id>ApiGatewayDefaultStage` (or `<Id><StageName>Stage`).
//! - `AWS::Serverless::Api` → `AWS::ApiGateway::RestApi`, its deployment
//!   `<Id>Deployment` (SAM adds a hash of the definition, which only says
//!   that it changed) and its stage `<Id><StageName>Stage`.
//! - `AWS::Serverless::SimpleTable` → `AWS::DynamoDB::Table`.
//!
//! What is not expanded (other SAM types and event sources, policy
//! templates, `AutoPublishAlias`, a local `CodeUri`, ...) is returned as a
//! coverage gap at its path: the rest of the resource is still compared.

mod api;
mod function;

use serde_json::{json, Map, Value as Json};

use api::{http_api, rest_api};
use function::function;

/// The transform this module expands.
pub(crate) const TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// The expanded resources, each with the path of the SAM resource it came
/// from (for lines), and the gaps: (template path, reason).
#[derive(Default)]
pub(crate) struct Expanded {
    pub resources: Map<String, Json>,
    /// Template paths of what was generated → the SAM template's paths
    /// they come from, for lines (the first alias of a path wins).
    pub origin: Vec<(Vec<String>, Vec<String>)>,
    pub gaps: Vec<(Vec<String>, String)>,
}

impl Expanded {
    fn add(&mut self, from: &str, id: String, def: Json) {
        if id != from {
            self.alias(&["Resources", &id], &["Resources", from]);
        }
        self.resources.insert(id, def);
    }

    fn alias(&mut self, to: &[&str], from: &[&str]) {
        let own = |p: &[&str]| p.iter().map(|s| s.to_string()).collect();
        self.origin.push((own(to), own(from)));
    }

    fn gap(&mut self, path: &[&str], reason: String) {
        self.gaps
            .push((path.iter().map(|s| s.to_string()).collect(), reason));
    }
}

/// Function properties that map one to one onto `AWS::Lambda::Function`.
const SAME: &[&str] = &[
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Environment",
    "Architectures",
    "Layers",
    "VpcConfig",
    "Description",
    "FunctionName",
    "ReservedConcurrentExecutions",
    "KmsKeyArn",
    "EphemeralStorage",
    "PackageType",
    "DeadLetterConfig",
    "FileSystemConfigs",
    "ImageConfig",
    "LoggingConfig",
    "SnapStartConfiguration",
    "RuntimeManagementConfig",
    "Role",
];

/// Handled by the expansion itself.
const HANDLED: &[&str] = &[
    "CodeUri",
    "InlineCode",
    "ImageUri",
    "Tags",
    "Policies",
    "Events",
    "Tracing",
    "PermissionsBoundary",
    "RolePath",
];

pub(crate) fn expand(resources: &Map<String, Json>, globals: Option<&Json>) -> Expanded {
    let mut out = Expanded::default();
    let function_globals = globals.and_then(|g| g.get("Function"));
    for (id, def) in resources {
        let ty = def.get("Type").and_then(Json::as_str).unwrap_or_default();
        match ty {
            "AWS::Serverless::Function" => {
                let props = merged(function_globals, def.get("Properties"));
                function(&mut out, id, def, &props);
            }
            "AWS::Serverless::SimpleTable" => simple_table(&mut out, id, def),
            "AWS::Serverless::HttpApi" => http_api(&mut out, id, def),
            "AWS::Serverless::Api" => rest_api(&mut out, id, def),
            // Other SAM types stay as they are: a coverage gap when read.
            _ => out.add(id, id.clone(), def.clone()),
        }
    }
    if let Some(g) = globals.and_then(Json::as_object) {
        for key in g.keys().filter(|k| k.as_str() != "Function") {
            out.gap(
                &["Globals", key],
                format!("SAM globals for `{key}` are not applied"),
            );
        }
    }
    out
}

/// `Globals.Function` under the function's own properties: maps merge
/// (`Environment.Variables`), anything else the function sets wins.
fn merged(globals: Option<&Json>, own: Option<&Json>) -> Map<String, Json> {
    fn merge(base: &mut Json, over: &Json) {
        match (base, over) {
            (Json::Object(b), Json::Object(o)) => {
                for (k, v) in o {
                    match b.get_mut(k) {
                        Some(existing) => merge(existing, v),
                        None => {
                            b.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (b, o) => *b = o.clone(),
        }
    }
    let mut base = globals.cloned().unwrap_or_else(|| json!({}));
    if let Some(own) = own {
        merge(&mut base, own);
    }
    match base {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

/// The resource's attributes SAM passes through (`Condition`,
/// `DependsOn`, `DeletionPolicy`, ...), with a type and properties.
fn resource(def: &Json, ty: &str, props: Map<String, Json>) -> Json {
    let mut r = Map::new();
    r.insert("Type".into(), Json::from(ty));
    r.insert("Properties".into(), Json::Object(props));
    for key in [
        "Condition",
        "DependsOn",
        "DeletionPolicy",
        "UpdateReplacePolicy",
    ] {
        if let Some(v) = def.get(key) {
            r.insert(key.into(), v.clone());
        }
    }
    Json::Object(r)
}

/// Only the `Condition` passes to what SAM generates beside the resource.
fn beside(def: &Json, ty: &str, props: Json) -> Json {
    let mut r = Map::new();
    r.insert("Type".into(), Json::from(ty));
    r.insert("Properties".into(), props);
    if let Some(c) = def.get("Condition") {
        r.insert("Condition".into(), c.clone());
    }
    Json::Object(r)
}

fn sam_tags(tags: Option<&Json>, key: &str) -> Json {
    let mut list = vec![json!({"Key": key, "Value": "SAM"})];
    if let Some(Json::Object(m)) = tags {
        for (k, v) in m {
            list.push(json!({"Key": k, "Value": v}));
        }
    }
    Json::Array(list)
}

fn managed_arn(name: &str) -> Json {
    // The AWS managed policies SAM's events add, and the usual ones a
    // template names; another name is an AWS managed policy at the top.
    const SERVICE_ROLE: &[&str] = &[
        "AWSLambdaBasicExecutionRole",
        "AWSLambdaVPCAccessExecutionRole",
        "AWSLambdaSQSQueueExecutionRole",
        "AWSLambdaKinesisExecutionRole",
        "AWSLambdaDynamoDBExecutionRole",
        "AWSLambdaRole",
    ];
    if SERVICE_ROLE.contains(&name) {
        json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::aws:policy/service-role/{name}")})
    } else {
        json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::aws:policy/{name}")})
    }
}

/// `s3://bucket/key` → `{Bucket, Key}`; `{Bucket, Key, Version}` as it is.
fn s3_location(uri: &Json) -> Json {
    match uri
        .as_str()
        .and_then(|u| u.strip_prefix("s3://"))
        .and_then(|r| r.split_once('/'))
    {
        Some((bucket, key)) => json!({"Bucket": bucket, "Key": key}),
        None => uri.clone(),
    }
}

fn props_of(def: &Json) -> Map<String, Json> {
    def.get("Properties")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default()
}

fn simple_table(out: &mut Expanded, id: &str, def: &Json) {
    let props = props_of(def);
    let key = props
        .get("PrimaryKey")
        .cloned()
        .unwrap_or_else(|| json!({"Name": "id", "Type": "String"}));
    let name = key.get("Name").cloned().unwrap_or_else(|| json!("id"));
    let ty = match key.get("Type").and_then(Json::as_str).unwrap_or("String") {
        "Number" => json!("N"),
        "Binary" => json!("B"),
        "String" => json!("S"),
        other => json!(other),
    };
    let mut table = Map::new();
    table.insert(
        "AttributeDefinitions".into(),
        json!([{"AttributeName": name, "AttributeType": ty}]),
    );
    table.insert(
        "KeySchema".into(),
        json!([{"AttributeName": name, "KeyType": "HASH"}]),
    );
    match props.get("ProvisionedThroughput") {
        Some(p) => {
            table.insert("ProvisionedThroughput".into(), p.clone());
        }
        None => {
            table.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
        }
    }
    for k in [
        "TableName",
        "SSESpecification",
        "PointInTimeRecoverySpecification",
    ] {
        if let Some(v) = props.get(k) {
            table.insert(k.into(), v.clone());
        }
    }
    if let Some(Json::Object(tags)) = props.get("Tags") {
        let list: Vec<Json> = tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        table.insert("Tags".into(), Json::Array(list));
    }
    for k in props.keys() {
        let known = [
            "PrimaryKey",
            "ProvisionedThroughput",
            "TableName",
            "SSESpecification",
            "PointInTimeRecoverySpecification",
            "Tags",
        ];
        if !known.contains(&k.as_str()) {
            out.gap(
                &["Resources", id, "Properties", k],
                format!("SAM table property `{k}` is not expanded"),
            );
        }
    }
    out.add(
        id,
        id.to_string(),
        resource(def, "AWS::DynamoDB::Table", table),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SAM translator's output for this template (aws-sam-translator
    /// 1.115.0), its IDs and types: the REST API's deployment is
    /// `RestDeployment465f1b3f5d` there, a hash parity leaves out.
    #[test]
    fn apis_and_tables_expand_as_the_translator_names_them() {
        let template: Json = serde_json::from_str(
            r#"{"Resources": {
                "Rest": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "live", "DefinitionUri": "s3://shop/rest.yaml"}},
                "Http": {"Type": "AWS::Serverless::HttpApi", "Properties": {"DefinitionUri": "s3://shop/http.yaml"}},
                "Staged": {"Type": "AWS::Serverless::HttpApi", "Properties": {"StageName": "beta", "DefinitionUri": "s3://shop/http.yaml"}},
                "Plain": {"Type": "AWS::Serverless::SimpleTable"}}}"#,
        )
        .expect("json");
        let x = expand(template["Resources"].as_object().expect("map"), None);
        let mut ids: Vec<(String, &str)> = x
            .resources
            .iter()
            .map(|(id, d)| (id.clone(), d["Type"].as_str().unwrap_or_default()))
            .collect();
        ids.sort();
        assert_eq!(
            ids,
            vec![
                ("Http".into(), "AWS::ApiGatewayV2::Api"),
                (
                    "HttpApiGatewayDefaultStage".into(),
                    "AWS::ApiGatewayV2::Stage"
                ),
                ("Plain".into(), "AWS::DynamoDB::Table"),
                ("Rest".into(), "AWS::ApiGateway::RestApi"),
                ("RestDeployment".into(), "AWS::ApiGateway::Deployment"),
                ("RestliveStage".into(), "AWS::ApiGateway::Stage"),
                ("Staged".into(), "AWS::ApiGatewayV2::Api"),
                ("StagedbetaStage".into(), "AWS::ApiGatewayV2::Stage"),
            ]
        );
        assert!(x.gaps.is_empty(), "{:?}", x.gaps);
        assert_eq!(
            x.resources["Http"]["Properties"],
            json!({"BodyS3Location": {"Bucket": "shop", "Key": "http.yaml"}})
        );
        assert_eq!(
            x.resources["HttpApiGatewayDefaultStage"]["Properties"],
            json!({"ApiId": {"Ref": "Http"}, "StageName": "$default", "AutoDeploy": true})
        );
        assert_eq!(
            x.resources["RestliveStage"]["Properties"],
            json!({"DeploymentId": {"Ref": "RestDeployment"}, "RestApiId": {"Ref": "Rest"}, "StageName": "live"})
        );
        assert_eq!(
            x.resources["Plain"]["Properties"],
            json!({"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"})
        );
        assert!(x.origin.contains(&(
            vec!["Resources".to_string(), "RestliveStage".to_string()],
            vec!["Resources".to_string(), "Rest".to_string()]
        )));
    }

    #[test]
    fn globals_merge_under_the_function_and_conditions_follow() {
        let globals = json!({"Function": {"Timeout": 10, "Environment": {"Variables": {"A": "1", "B": "2"}}}});
        let own = json!({"Timeout": 30, "Environment": {"Variables": {"B": "3"}}});
        let m = merged(globals.get("Function"), Some(&own));
        assert_eq!(m["Timeout"], json!(30));
        assert_eq!(m["Environment"]["Variables"], json!({"A": "1", "B": "3"}));

        let template = json!({"Fn": {"Type": "AWS::Serverless::Function", "Condition": "IsProd",
            "Properties": {"Runtime": "python3.12", "Handler": "a.h", "InlineCode": "x",
                "Events": {"Tick": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)", "Enabled": false}}}}}});
        let x = expand(template.as_object().expect("map"), Some(&globals));
        for id in ["Fn", "FnRole", "FnTick", "FnTickPermission"] {
            assert_eq!(x.resources[id]["Condition"], json!("IsProd"), "{id}");
        }
        assert_eq!(
            x.resources["FnTick"]["Properties"]["State"],
            json!("DISABLED")
        );
        assert_eq!(
            x.resources["Fn"]["Properties"]["Code"],
            json!({"ZipFile": "x"})
        );
        assert_eq!(x.resources["Fn"]["Properties"]["Timeout"], json!(10));
    }
}
