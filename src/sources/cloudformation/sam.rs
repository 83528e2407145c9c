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

use serde_json::{json, Map, Value as Json};

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

fn function(out: &mut Expanded, id: &str, def: &Json, props: &Map<String, Json>) {
    let at = |key: &str| -> Vec<String> {
        ["Resources", id, "Properties", key]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let mut lambda = Map::new();
    for (k, v) in props {
        if SAME.contains(&k.as_str()) {
            lambda.insert(k.clone(), v.clone());
        } else if !HANDLED.contains(&k.as_str()) {
            out.gaps.push((
                at(k),
                format!("SAM function property `{k}` is not expanded: what it generates is not compared"),
            ));
        }
    }
    // The code.
    for from in ["CodeUri", "InlineCode", "ImageUri"] {
        if props.contains_key(from) {
            out.alias(
                &["Resources", id, "Properties", "Code"],
                &["Resources", id, "Properties", from],
            );
        }
    }
    match (props.get("CodeUri"), props.get("InlineCode"), props.get("ImageUri")) {
        (Some(Json::String(uri)), _, _) => match uri.strip_prefix("s3://").and_then(|r| r.split_once('/')) {
            Some((bucket, key)) => {
                lambda.insert("Code".into(), json!({"S3Bucket": bucket, "S3Key": key}));
            }
            None => out.gaps.push((
                at("CodeUri"),
                format!("CodeUri `{uri}` is a local path (`sam package` uploads it): the code's location is not compared"),
            )),
        },
        (Some(Json::Object(m)), _, _) => {
            let mut code = Map::new();
            for (from, to) in [("Bucket", "S3Bucket"), ("Key", "S3Key"), ("Version", "S3ObjectVersion")] {
                if let Some(v) = m.get(from) {
                    code.insert(to.into(), v.clone());
                }
            }
            lambda.insert("Code".into(), Json::Object(code));
        }
        (Some(other), _, _) => {
            lambda.insert("Code".into(), other.clone());
        }
        (None, Some(inline), _) => {
            lambda.insert("Code".into(), json!({"ZipFile": inline}));
        }
        (None, None, Some(image)) => {
            lambda.insert("Code".into(), json!({"ImageUri": image}));
        }
        (None, None, None) => {}
    }
    if let Some(mode) = props.get("Tracing") {
        lambda.insert("TracingConfig".into(), json!({"Mode": mode}));
    }
    lambda.insert(
        "Tags".into(),
        sam_tags(props.get("Tags"), "lambda:createdBy"),
    );

    // Events, and the managed policies they need.
    let mut managed: Vec<Json> = Vec::new();
    let events = props.get("Events").and_then(Json::as_object);
    for (name, event) in events.into_iter().flatten() {
        let ety = event.get("Type").and_then(Json::as_str).unwrap_or_default();
        let ep = event
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let eid = format!("{id}{name}");
        let function_ref = json!({"Ref": id});
        match ety {
            "SQS" | "Kinesis" | "DynamoDB" => {
                let (source, policy) = match ety {
                    "SQS" => ("Queue", "AWSLambdaSQSQueueExecutionRole"),
                    "Kinesis" => ("Stream", "AWSLambdaKinesisExecutionRole"),
                    _ => ("Stream", "AWSLambdaDynamoDBExecutionRole"),
                };
                let mut m = Map::new();
                m.insert("FunctionName".into(), function_ref);
                if let Json::Object(p) = &ep {
                    for (k, v) in p {
                        if k == source {
                            m.insert("EventSourceArn".into(), v.clone());
                        } else {
                            m.insert(k.clone(), v.clone());
                        }
                    }
                }
                out.add(
                    id,
                    eid,
                    beside(def, "AWS::Lambda::EventSourceMapping", Json::Object(m)),
                );
                if props.get("Role").is_none() {
                    managed.push(managed_arn(policy));
                }
            }
            "Schedule" => {
                let mut rule = Map::new();
                if let Some(s) = ep.get("Schedule") {
                    rule.insert("ScheduleExpression".into(), s.clone());
                }
                for k in ["Name", "Description", "State"] {
                    if let Some(v) = ep.get(k) {
                        rule.insert(k.into(), v.clone());
                    }
                }
                if let Some(Json::Bool(enabled)) = ep.get("Enabled") {
                    rule.insert(
                        "State".into(),
                        json!(if *enabled { "ENABLED" } else { "DISABLED" }),
                    );
                }
                let mut target =
                    json!({"Arn": {"Fn::GetAtt": [id, "Arn"]}, "Id": format!("{eid}LambdaTarget")});
                if let Some(input) = ep.get("Input") {
                    target["Input"] = input.clone();
                }
                rule.insert("Targets".into(), json!([target]));
                out.add(
                    id,
                    eid.clone(),
                    beside(def, "AWS::Events::Rule", Json::Object(rule)),
                );
                out.add(
                    id,
                    format!("{eid}Permission"),
                    beside(
                        def,
                        "AWS::Lambda::Permission",
                        json!({"Action": "lambda:InvokeFunction", "FunctionName": function_ref,
                               "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": [eid, "Arn"]}}),
                    ),
                );
            }
            "HttpApi" => {
                let api = match ep.get("ApiId") {
                    Some(Json::Object(r)) if r.contains_key("Ref") => r["Ref"].clone(),
                    Some(other) => other.clone(),
                    None => {
                        implicit_http_api(out, id, def);
                        json!("ServerlessHttpApi")
                    }
                };
                let method = ep.get("Method").and_then(Json::as_str).unwrap_or("ANY");
                let path = ep.get("Path").and_then(Json::as_str).unwrap_or("$default");
                // `/orders/{id}` → `/orders/*`, as SAM writes the source ARN.
                let path: String = path
                    .split('/')
                    .map(|seg| if seg.starts_with('{') { "*" } else { seg })
                    .collect::<Vec<_>>()
                    .join("/");
                let route = if path == "$default" {
                    "*".to_string()
                } else {
                    format!(
                        "{}{path}",
                        if method.eq_ignore_ascii_case("any") {
                            "*".to_string()
                        } else {
                            method.to_ascii_uppercase()
                        }
                    )
                };
                let api_ref = match &api {
                    Json::String(s) => json!({"Ref": s}),
                    other => other.clone(),
                };
                out.add(
                    id,
                    format!("{eid}Permission"),
                    beside(
                        def,
                        "AWS::Lambda::Permission",
                        json!({"Action": "lambda:InvokeFunction", "FunctionName": function_ref,
                               "Principal": "apigateway.amazonaws.com",
                               "SourceArn": {"Fn::Sub": [format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/${{__Stage__}}/{route}"),
                                                         {"__ApiId__": api_ref, "__Stage__": "*"}]}}),
                    ),
                );
            }
            other => out.gaps.push((
                ["Resources", id, "Properties", "Events", name.as_str()]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                format!(
                    "SAM event source `{other}` is not expanded: what it generates is not compared"
                ),
            )),
        }
    }

    // The execution role SAM creates when the function names none.
    if props.get("Role").is_none() {
        let role_id = format!("{id}Role");
        let mut arns = vec![managed_arn("AWSLambdaBasicExecutionRole")];
        let mut inline = Vec::new();
        let policies = match props.get("Policies") {
            Some(Json::Array(items)) => items.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        };
        for (i, p) in policies.iter().enumerate() {
            match p {
                Json::String(name) if name.starts_with("arn:") => arns.push(p.clone()),
                Json::String(name) => arns.push(managed_arn(name)),
                Json::Object(m) if m.contains_key("Statement") => {
                    // The role's inline policy at the statement's lines.
                    let (k, i) = (inline.len().to_string(), i.to_string());
                    out.alias(
                        &["Resources", &role_id, "Properties", "Policies", &k, "PolicyDocument"],
                        &["Resources", id, "Properties", "Policies", &i],
                    );
                    out.alias(
                        &["Resources", &role_id, "Properties", "Policies", &k],
                        &["Resources", id, "Properties", "Policies", &i],
                    );
                    inline.push(json!({
                        "PolicyName": format!("{role_id}Policy{i}"),
                        "PolicyDocument": p,
                    }));
                }
                Json::Object(m) if m.len() == 1 && (m.contains_key("Ref") || m.contains_key("Fn::Sub") || m.contains_key("Fn::ImportValue")) => arns.push(p.clone()),
                _ => out.gaps.push((
                    at("Policies"),
                    format!("SAM policy entry {} is a policy template or a form parity does not expand: the role misses it", i + 1),
                )),
            }
        }
        if props.contains_key("VpcConfig") {
            arns.push(managed_arn("AWSLambdaVPCAccessExecutionRole"));
        }
        if props.contains_key("Tracing") {
            arns.push(managed_arn("AWSXrayWriteOnlyAccess"));
        }
        arns.extend(managed);
        let mut seen = Vec::new();
        arns.retain(|a| {
            let new = !seen.contains(a);
            seen.push(a.clone());
            new
        });
        let mut role = Map::new();
        role.insert(
            "AssumeRolePolicyDocument".into(),
            json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow",
                   "Principal": {"Service": ["lambda.amazonaws.com"]}}]}),
        );
        role.insert("ManagedPolicyArns".into(), Json::Array(arns));
        if !inline.is_empty() {
            role.insert("Policies".into(), Json::Array(inline));
        }
        for (from, to) in [
            ("PermissionsBoundary", "PermissionsBoundary"),
            ("RolePath", "Path"),
        ] {
            if let Some(v) = props.get(from) {
                role.insert(to.into(), v.clone());
            }
        }
        role.insert(
            "Tags".into(),
            sam_tags(props.get("Tags"), "lambda:createdBy"),
        );
        lambda.insert("Role".into(), json!({"Fn::GetAtt": [role_id, "Arn"]}));
        out.add(
            id,
            role_id,
            beside(def, "AWS::IAM::Role", Json::Object(role)),
        );
    }
    out.add(
        id,
        id.to_string(),
        resource(def, "AWS::Lambda::Function", lambda),
    );
}

/// The HTTP API SAM creates for functions whose `HttpApi` events name no
/// API, once.
fn implicit_http_api(out: &mut Expanded, from: &str, def: &Json) {
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

fn http_api(out: &mut Expanded, id: &str, def: &Json) {
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

fn rest_api(out: &mut Expanded, id: &str, def: &Json) {
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
