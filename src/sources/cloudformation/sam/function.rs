//! `AWS::Serverless::Function`: the function, its execution role and
//! policies, and what its event sources generate.

use serde_json::{json, Map, Value as Json};

use super::api::implicit_http_api;
use super::{beside, managed_arn, resource, sam_tags, Expanded, HANDLED, SAME};

pub(super) fn function(out: &mut Expanded, id: &str, def: &Json, props: &Map<String, Json>) {
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
