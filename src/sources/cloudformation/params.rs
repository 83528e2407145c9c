//! Parameters: the environment's parameter file, in each of the three
//! shapes `aws cloudformation` and CodePipeline accept, and the template's
//! `Parameters` section that gives them types, defaults and constraints.
//!
//! - `["Key=Value", ...]` (`aws cloudformation deploy --parameter-overrides`)
//! - `[{"ParameterKey": "Key", "ParameterValue": "Value"}, ...]`
//!   (`aws cloudformation create-stack --parameters file://...`)
//! - `{"Parameters": {"Key": "Value"}, "Tags": {"Key": "Value"}}`
//!   (a CodePipeline template configuration file)
//!
//! A `NoEcho` parameter's value is marked sensitive here, before anything
//! else sees it; errors about it never quote it.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;

use super::template::{self, Lines};
use super::CfnError;
use crate::model::value::format_number;
use crate::model::Value;

/// A parameter file, read.
#[derive(Debug, Default)]
pub(crate) struct ParamFile {
    /// As locations show it.
    pub shown: String,
    /// Value and line, by key. `None` for `UsePreviousValue`.
    pub values: BTreeMap<String, (Option<String>, Option<u32>)>,
    /// The stack's tags (third shape only).
    pub tags: BTreeMap<String, String>,
    /// Values given as they are (a nested stack's `Parameters`, which may
    /// be unknown or sensitive): used without the checks a file's strings
    /// get.
    pub given: BTreeMap<String, Value>,
}

fn invalid(location: String, message: impl Into<String>) -> CfnError {
    CfnError::Invalid {
        location,
        message: message.into(),
    }
}

/// A JSON scalar as CloudFormation reads it: a string.
fn scalar(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(format_number(n.as_f64().unwrap_or(f64::NAN))),
        Json::Bool(b) => Some(b.to_string()),
        // A list given where a CommaDelimitedList is expected.
        Json::Array(items) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        _ => None,
    }
}

/// Read a parameter file from its text.
pub(crate) fn read(text: &str, shown: &str) -> Result<ParamFile, CfnError> {
    let (tree, lines) = template::parse(text).map_err(|e| CfnError::Invalid {
        location: at(shown, e.line),
        message: format!("not a valid parameter file: {}", e.message),
    })?;
    let mut out = ParamFile {
        shown: shown.to_string(),
        ..ParamFile::default()
    };
    let shapes = "expected [\"Key=Value\", ...], [{\"ParameterKey\": ..., \"ParameterValue\": ...}, ...] or {\"Parameters\": {...}, \"Tags\": {...}}";
    match &tree {
        Json::Array(items) => {
            for item in items {
                match item {
                    Json::String(kv) => {
                        let line = lines.string_line(|s| s == kv);
                        let Some((k, v)) = kv.split_once('=') else {
                            return Err(invalid(
                                at(shown, line),
                                format!("`{}` is not Key=Value", k_only(kv)),
                            ));
                        };
                        out.values
                            .insert(k.trim().to_string(), (Some(v.to_string()), line));
                    }
                    Json::Object(m) => {
                        let Some(Json::String(k)) = m.get("ParameterKey") else {
                            return Err(invalid(
                                at(shown, lines.line(&["ParameterKey"]).or(Some(1))),
                                format!("an entry without a ParameterKey: {shapes}"),
                            ));
                        };
                        let line = lines.string_line(|s| s == k);
                        let value = match m.get("ParameterValue") {
                            Some(v) => Some(scalar(v).ok_or_else(|| {
                                invalid(
                                    at(shown, line),
                                    format!("ParameterValue of `{k}` is not a string"),
                                )
                            })?),
                            None if m.get("UsePreviousValue") == Some(&Json::Bool(true)) => None,
                            None => {
                                return Err(invalid(
                                    at(shown, line),
                                    format!(
                                        "`{k}` has neither ParameterValue nor UsePreviousValue"
                                    ),
                                ))
                            }
                        };
                        out.values.insert(k.clone(), (value, line));
                    }
                    _ => return Err(invalid(at(shown, Some(1)), shapes)),
                }
            }
        }
        Json::Object(m)
            if m.keys()
                .all(|k| ["Parameters", "Tags", "StackPolicy"].contains(&k.as_str())) =>
        {
            if let Some(params) = m.get("Parameters") {
                let Json::Object(params) = params else {
                    return Err(invalid(
                        at(shown, lines.line(&["Parameters"])),
                        "`Parameters` must be an object",
                    ));
                };
                for (k, v) in params {
                    let line = lines.line(&["Parameters", k]);
                    let v = scalar(v).ok_or_else(|| {
                        invalid(
                            at(shown, line),
                            format!("the value of `{k}` is not a string"),
                        )
                    })?;
                    out.values.insert(k.clone(), (Some(v), line));
                }
            }
            if let Some(Json::Object(tags)) = m.get("Tags") {
                for (k, v) in tags {
                    out.tags.insert(k.clone(), scalar(v).unwrap_or_default());
                }
            }
        }
        _ => return Err(invalid(at(shown, Some(1)), shapes)),
    }
    Ok(out)
}

/// The key of a `Key=Value` entry without its value (which may be secret).
fn k_only(kv: &str) -> &str {
    kv.split('=').next().unwrap_or(kv)
}

pub(crate) fn at(file: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    }
}

/// The environment's parameter values, as evaluation reads them, with the
/// raw values of `NoEcho` parameters (to redact what contains them) and
/// the gaps of values only the deployment knows.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    pub values: HashMap<String, Value>,
    /// Where each value was set: the parameter file's line, the nested
    /// stack's `Parameters`, or the template's `Default:` line.
    pub locations: HashMap<String, crate::model::Location>,
    pub secrets: Vec<String>,
    /// (template line, reason).
    pub gaps: Vec<(Option<u32>, String)>,
}

/// Give every parameter the template declares its value: the file's, or
/// its `Default`; check it against its type and constraints.
pub(crate) fn resolve(
    declared: Option<&serde_json::Map<String, Json>>,
    file: Option<&ParamFile>,
    template_shown: &str,
    lines: &Lines,
) -> Result<Resolved, CfnError> {
    let mut out = Resolved::default();
    let declared_map = serde_json::Map::new();
    let declared = declared.unwrap_or(&declared_map);
    if let Some(file) = file {
        for k in file.given.keys() {
            if !declared.contains_key(k) {
                return Err(invalid(
                    file.shown.clone(),
                    format!("parameter `{k}` is not declared in the nested template's Parameters"),
                ));
            }
        }
        for (k, (_, line)) in &file.values {
            if !declared.contains_key(k) {
                return Err(invalid(
                    at(&file.shown, *line),
                    format!("parameter `{k}` is not declared in the template's Parameters"),
                ));
            }
        }
    }
    for (name, def) in declared {
        let tline = lines.line(&["Parameters", name]);
        let here = at(template_shown, tline);
        let Json::Object(def) = def else {
            return Err(invalid(
                here,
                format!("parameter `{name}` must be an object with a Type"),
            ));
        };
        let ty = match def.get("Type") {
            Some(Json::String(t)) => t.as_str(),
            _ => return Err(invalid(here, format!("parameter `{name}` has no Type"))),
        };
        let no_echo = matches!(def.get("NoEcho"), Some(Json::Bool(true)))
            || matches!(def.get("NoEcho"), Some(Json::String(s)) if s.eq_ignore_ascii_case("true"));
        if let Some(v) = file.and_then(|f| f.given.get(name)) {
            let v = match v {
                // A parameter's value is a string: a list given to a
                // `CommaDelimitedList` stays a list, a number is its text.
                Value::Number(n) => Value::String(format_number(*n)),
                Value::Bool(b) => Value::String(b.to_string()),
                Value::String(raw) if no_echo && !v.is_sensitive() => {
                    out.secrets.push(raw.clone());
                    crate::normalize::sensitive(raw)
                }
                Value::String(raw)
                    if !v.is_sensitive()
                        && (ty == "CommaDelimitedList" || ty.starts_with("List<")) =>
                {
                    Value::List(raw.split(',').map(|s| Value::str(s.trim())).collect())
                }
                other => other.clone(),
            };
            out.values.insert(name.clone(), v);
            if let Some(f) = file {
                out.locations.insert(
                    name.clone(),
                    crate::model::Location::new(f.shown.as_str(), None),
                );
            }
            continue;
        }
        let given = file.and_then(|f| f.values.get(name).map(|(v, l)| (f, v, *l)));
        let (raw, where_) = match given {
            Some((f, Some(v), l)) => {
                out.locations.insert(
                    name.clone(),
                    crate::model::Location::new(f.shown.as_str(), l),
                );
                (v.clone(), at(&f.shown, l))
            }
            Some((f, None, l)) => {
                out.locations.insert(
                    name.clone(),
                    crate::model::Location::new(f.shown.as_str(), l),
                );
                out.gaps.push((
                    tline,
                    format!("parameter `{name}` takes its previous value ({}): compared as unknown", at(&f.shown, l)),
                ));
                out.values.insert(name.clone(), Value::Unknown(format!("previous.{name}")));
                continue;
            }
            None => match def.get("Default").and_then(scalar) {
                Some(d) => {
                    out.locations.insert(
                        name.clone(),
                        crate::model::Location::new(
                            template_shown,
                            lines.line(&["Parameters", name, "Default"]).or(tline),
                        ),
                    );
                    (d, here.clone())
                }
                None => {
                    return Err(invalid(
                        here,
                        match file {
                            Some(f) => format!("parameter `{name}` has no Default and {} gives it no value", f.shown),
                            None => format!("parameter `{name}` has no Default and the environment has no `parameters` file"),
                        },
                    ))
                }
            },
        };
        let shown_value = |v: &str| {
            if no_echo {
                "the NoEcho value".to_string()
            } else {
                format!("`{v}`")
            }
        };
        let list = ty == "CommaDelimitedList" || ty.starts_with("List<");
        let items: Vec<String> = if list {
            raw.split(',').map(|s| s.trim().to_string()).collect()
        } else {
            vec![raw.clone()]
        };
        if let Some(Json::Array(allowed)) = def.get("AllowedValues") {
            let allowed: Vec<String> = allowed.iter().filter_map(scalar).collect();
            for item in &items {
                if !allowed.contains(item) {
                    return Err(invalid(
                        where_,
                        format!(
                            "{} is not an allowed value of parameter `{name}` ({})",
                            shown_value(item),
                            allowed.join(", ")
                        ),
                    ));
                }
            }
        }
        if let Some(Json::String(pattern)) = def.get("AllowedPattern") {
            if let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$")) {
                for item in &items {
                    if !re.is_match(item) {
                        return Err(invalid(
                            where_,
                            format!(
                                "{} does not match the AllowedPattern of parameter `{name}`",
                                shown_value(item)
                            ),
                        ));
                    }
                }
            }
        }
        let number = |k: &str| {
            def.get(k)
                .and_then(scalar)
                .and_then(|s| s.parse::<f64>().ok())
        };
        let len = raw.chars().count() as f64;
        if number("MinLength").is_some_and(|m| len < m)
            || number("MaxLength").is_some_and(|m| len > m)
        {
            return Err(invalid(
                where_,
                format!("the value of parameter `{name}` has a length outside MinLength/MaxLength"),
            ));
        }
        if ty == "Number" || ty == "List<Number>" {
            for item in &items {
                let Ok(n) = item.parse::<f64>() else {
                    return Err(invalid(
                        where_,
                        format!(
                            "{} is not a number (parameter `{name}` is a {ty})",
                            shown_value(item)
                        ),
                    ));
                };
                if number("MinValue").is_some_and(|m| n < m)
                    || number("MaxValue").is_some_and(|m| n > m)
                {
                    return Err(invalid(
                        where_,
                        format!(
                            "{} is outside MinValue/MaxValue of parameter `{name}`",
                            shown_value(item)
                        ),
                    ));
                }
            }
        }
        let one = |s: &str| -> Value {
            if no_echo {
                crate::normalize::sensitive(s)
            } else {
                Value::str(s)
            }
        };
        let value = if ty.starts_with("AWS::SSM::Parameter::Value<") {
            out.gaps.push((
                tline,
                format!(
                    "parameter `{name}` is read from SSM at deployment: compared by its SSM name"
                ),
            ));
            Value::Unknown(format!("ssm:{raw}"))
        } else if list {
            Value::List(items.iter().map(|s| one(s)).collect())
        } else {
            one(&raw)
        };
        if no_echo {
            out.secrets.push(raw.clone());
            out.secrets.extend(items.into_iter().filter(|i| *i != raw));
        }
        out.values.insert(name.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_shapes_read_alike() {
        let a = read(r#"["Env=staging", "Size=db.t3.small"]"#, "a.json").expect("shape 1");
        let b = read(
            r#"[{"ParameterKey": "Env", "ParameterValue": "staging"},
               {"ParameterKey": "Size", "ParameterValue": "db.t3.small"}]"#,
            "b.json",
        )
        .expect("shape 2");
        let c = read(
            "{\"Parameters\": {\"Env\": \"staging\",\n \"Size\": \"db.t3.small\"}, \"Tags\": {\"team\": \"shop\"}}",
            "c.json",
        )
        .expect("shape 3");
        let vals = |f: &ParamFile| {
            f.values
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(vals(&a), vals(&b));
        assert_eq!(vals(&a), vals(&c));
        assert_eq!(c.values["Size"].1, Some(2));
        assert_eq!(c.tags["team"], "shop");
        assert!(read(r#"{"Nope": 1}"#, "d.json").is_err());
    }

    fn declared(json: &str) -> serde_json::Map<String, Json> {
        serde_json::from_str(json).expect("json")
    }

    #[test]
    fn types_defaults_and_constraints() {
        let d = declared(
            r#"{"Env": {"Type": "String", "AllowedValues": ["staging", "prod"]},
                "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
                "Count": {"Type": "Number", "Default": 2, "MaxValue": 3},
                "Password": {"Type": "String", "NoEcho": true}}"#,
        );
        let file = read(r#"["Env=staging", "Password=hunter2-long"]"#, "p.json").expect("file");
        let r = resolve(Some(&d), Some(&file), "t.yaml", &Lines::default()).expect("resolves");
        assert_eq!(r.values["Env"], Value::str("staging"));
        assert_eq!(
            r.values["Zones"],
            Value::List(vec![Value::str("a"), Value::str("b")])
        );
        assert_eq!(r.values["Count"], Value::str("2"));
        assert!(r.values["Password"].is_sensitive());
        assert_eq!(r.secrets, vec!["hunter2-long".to_string()]);

        let bad = read(r#"["Env=qa", "Password=x"]"#, "p.json").expect("file");
        let e =
            resolve(Some(&d), Some(&bad), "t.yaml", &Lines::default()).expect_err("qa not allowed");
        assert!(e.to_string().contains("p.json:1"), "{e}");
        let unknown = read(r#"["Other=1"]"#, "p.json").expect("file");
        assert!(resolve(Some(&d), Some(&unknown), "t.yaml", &Lines::default()).is_err());
    }

    #[test]
    fn secrets_are_never_quoted_in_errors() {
        let d = declared(
            r#"{"Password": {"Type": "String", "NoEcho": true, "AllowedPattern": "[a-z]+"}}"#,
        );
        let file = read(r#"["Password=Hunter2-Secret"]"#, "p.json").expect("file");
        let e = resolve(Some(&d), Some(&file), "t.yaml", &Lines::default()).expect_err("pattern");
        assert!(!e.to_string().contains("Hunter2"), "{e}");
    }
}
