//! The `Fn::` intrinsic functions, `Fn::Sub` and `Fn::FindInMap`.

use super::*;

impl<'a> Eval<'a> {
    pub(super) fn call(&self, name: &str, arg: &Json, at: At) -> R<Option<Value>> {
        let args = |n: usize| -> R<&Vec<Json>> {
            match arg {
                Json::Array(a) if a.len() == n => Ok(a),
                _ => err(at, format!("{name} takes a list of {n} arguments")),
            }
        };
        let v = match name {
            "Ref" => return self.reference(arg, at),
            "Fn::GetAtt" => {
                let (res, attr) = match arg {
                    Json::String(s) => {
                        let (r, a) = s.split_once('.').unwrap_or((s.as_str(), ""));
                        (r.to_string(), Value::String(a.to_string()))
                    }
                    Json::Array(a) if a.len() == 2 => match &a[0] {
                        Json::String(r) => (
                            r.clone(),
                            self.string_arg(&a[1], at, "Fn::GetAtt's attribute")?,
                        ),
                        _ => return err(at, "Fn::GetAtt's resource must be a logical ID"),
                    },
                    _ => return err(at, "Fn::GetAtt takes [resource, attribute]"),
                };
                let attr = match attr {
                    Value::String(s) => s,
                    other => other.display(),
                };
                self.attribute(&res, &attr, at)?
            }
            "Fn::Sub" => self.sub(arg, at)?,
            "Fn::Join" => {
                let a = args(2)?;
                let delim = match &a[0] {
                    Json::String(s) => s.clone(),
                    _ => return err(at, "Fn::Join's delimiter must be a string"),
                };
                match self.value(&a[1], at, "Fn::Join's list")? {
                    Value::List(items) => concat(&items, &delim),
                    Value::Unknown(e) => Value::Unknown(format!("join({delim:?}, {e})")),
                    other => {
                        return err(
                            at,
                            format!("Fn::Join needs a list, found {}", other.type_name()),
                        )
                    }
                }
            }
            "Fn::Select" => {
                let a = args(2)?;
                let index = self.value(&a[0], at, "Fn::Select's index")?;
                let list = self.value(&a[1], at, "Fn::Select's list")?;
                match (&index, list) {
                    (Value::Unknown(_), _) | (_, Value::Unknown(_)) => Value::Unknown(format!(
                        "element({}, {})",
                        text(&self.value(&a[1], at, "")?),
                        text(&index)
                    )),
                    (_, Value::List(items)) => {
                        let i = number(&index)
                            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                            .ok_or_else(|| EvalError {
                                path: at.iter().map(|s| s.to_string()).collect(),
                                message: format!(
                                    "Fn::Select's index must be a whole number, found {}",
                                    index.display()
                                ),
                            })? as usize;
                        match items.get(i) {
                            Some(v) => v.clone(),
                            None => {
                                return err(
                                    at,
                                    format!(
                                    "Fn::Select: index {i} is out of range (the list has {} items)",
                                    items.len()
                                ),
                                )
                            }
                        }
                    }
                    (_, other) => {
                        return err(
                            at,
                            format!("Fn::Select needs a list, found {}", other.type_name()),
                        )
                    }
                }
            }
            "Fn::Split" => {
                let a = args(2)?;
                let delim = match &a[0] {
                    Json::String(s) if !s.is_empty() => s.clone(),
                    _ => return err(at, "Fn::Split's delimiter must be a non-empty string"),
                };
                match self.string_arg(&a[1], at, "Fn::Split's source")? {
                    v if v.is_sensitive() => {
                        Value::Unknown(format!("split({delim:?}, (sensitive))"))
                    }
                    Value::String(s) => {
                        Value::List(s.split(delim.as_str()).map(Value::str).collect())
                    }
                    other => Value::Unknown(format!("split({delim:?}, {})", text(&other))),
                }
            }
            "Fn::FindInMap" => self.find_in_map(arg, at)?,
            "Fn::If" => {
                let a = args(3)?;
                let Json::String(cond) = &a[0] else {
                    return err(at, "Fn::If's first argument must be a condition name");
                };
                let chosen = if self.condition(cond, at)? {
                    &a[1]
                } else {
                    &a[2]
                };
                return self.eval(chosen, at);
            }
            "Fn::Base64" => match self.string_arg(arg, at, "Fn::Base64's argument")? {
                v if v.is_sensitive() => v,
                Value::String(s) => {
                    use base64::Engine;
                    Value::String(base64::engine::general_purpose::STANDARD.encode(s))
                }
                other => Value::Unknown(format!("base64encode({})", text(&other))),
            },
            "Fn::GetAZs" => {
                let region = self.string_arg(arg, at, "Fn::GetAZs's region")?;
                match region.as_str() {
                    Some(r) if !r.is_empty() && Some(r) != self.region.as_deref() => {
                        Value::Unknown(format!("data.aws_availability_zones.{r}.names"))
                    }
                    _ => Value::Unknown("data.aws_availability_zones.available.names".into()),
                }
            }
            "Fn::Cidr" => {
                let a = args(3)?;
                let block = self.string_arg(&a[0], at, "Fn::Cidr's block")?;
                let count = self.value(&a[1], at, "Fn::Cidr's count")?;
                let bits = self.value(&a[2], at, "Fn::Cidr's bits")?;
                match (block.as_str(), number(&count), number(&bits)) {
                    (Some(b), Some(c), Some(s)) if !block.is_sensitive() => {
                        Value::List(cidr(b, c, s).ok_or_else(|| EvalError {
                            path: at.iter().map(|s| s.to_string()).collect(),
                            message: format!(
                                "Fn::Cidr cannot make {c} subnets of {s} host bits in {b}"
                            ),
                        })?)
                    }
                    _ => Value::Unknown(format!(
                        "cidrsubnets({}, {}, {})",
                        text(&block),
                        text(&count),
                        text(&bits)
                    )),
                }
            }
            "Fn::ImportValue" => {
                let name = self.string_arg(arg, at, "Fn::ImportValue's name")?;
                Value::Unknown(format!("import.{}", name.display()))
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                let mut m = serde_json::Map::new();
                m.insert(name.to_string(), arg.clone());
                Value::Bool(self.decide(&Json::Object(m), at)?)
            }
            "Fn::Length" => match self.value(arg, at, "Fn::Length's list")? {
                Value::List(items) => Value::Number(items.len() as f64),
                other => Value::Unknown(format!("length({})", text(&other))),
            },
            "Fn::ToJsonString" => {
                let v = self.value(arg, at, "Fn::ToJsonString's argument")?;
                if v.contains_unknown() {
                    Value::Unknown(format!("jsonencode({})", text(&v)))
                } else {
                    Value::String(v.to_json().to_string())
                }
            }
            other => {
                self.gap(
                    at,
                    format!("intrinsic function `{other}` is not supported: compared as unknown"),
                );
                Value::Unknown(format!("{other}(…)"))
            }
        };
        Ok(Some(v))
    }

    fn sub(&self, arg: &Json, at: At) -> R<Value> {
        let (template, vars) = match arg {
            Json::String(s) => (s.as_str(), None),
            Json::Array(a) if a.len() == 2 => match (&a[0], &a[1]) {
                (Json::String(s), Json::Object(m)) => (s.as_str(), Some(m)),
                _ => return err(at, "Fn::Sub takes a string, or [string, {variables}]"),
            },
            _ => return err(at, "Fn::Sub takes a string, or [string, {variables}]"),
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            parts.push(Value::String(rest[..start].to_string()));
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return err(at, format!("Fn::Sub: unclosed `${{` in {template:?}"));
            };
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                parts.push(Value::String(format!("${{{literal}}}")));
            } else if let Some(v) = vars.and_then(|m| m.get(name)) {
                parts.push(self.string_arg(v, at, "an Fn::Sub variable")?);
            } else if self.params.contains_key(name)
                || self.pseudo.contains_key(name)
                || self.types.contains_key(name)
            {
                let v = self
                    .reference(&Json::String(name.to_string()), at)?
                    .unwrap_or_default();
                parts.push(match v {
                    Value::List(items) => concat(&items, ","),
                    other => other,
                });
            } else if let Some((res, attr)) = name.split_once('.') {
                parts.push(self.attribute(res, attr, at)?);
            } else {
                return err(
                    at,
                    format!(
                        "Fn::Sub: `${{{name}}}` is neither a variable, a parameter nor a resource"
                    ),
                );
            }
            rest = &after[end + 1..];
        }
        parts.push(Value::String(rest.to_string()));
        Ok(concat(&parts, ""))
    }

    fn find_in_map(&self, arg: &Json, at: At) -> R<Value> {
        let Json::Array(a) = arg else {
            return err(
                at,
                "Fn::FindInMap takes [map, top-level key, second-level key]",
            );
        };
        if a.len() != 3 && a.len() != 4 {
            return err(
                at,
                "Fn::FindInMap takes [map, top-level key, second-level key]",
            );
        }
        let mut keys = Vec::with_capacity(3);
        for k in &a[..3] {
            let v = self.string_arg(k, at, "an Fn::FindInMap key")?;
            match v {
                Value::String(s) if !v.is_sensitive() => keys.push(s),
                other => {
                    return Ok(Value::Unknown(format!(
                        "lookup({}, {})",
                        keys.join("."),
                        text(&other)
                    )))
                }
            }
        }
        let found = self
            .mappings
            .and_then(|m| m.get(&keys[0]))
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]));
        match found {
            Some(v) => self.value(v, at, "a mapping value"),
            // `AWS::LanguageExtensions`' default value.
            None => match a.get(3) {
                Some(Json::Object(d)) if d.contains_key("DefaultValue") => {
                    self.value(&d["DefaultValue"], at, "Fn::FindInMap's default")
                }
                _ => err(
                    at,
                    format!(
                        "Fn::FindInMap: mapping `{}` has no `{}` / `{}`",
                        keys[0], keys[1], keys[2]
                    ),
                ),
            },
        }
    }
}

/// CloudFormation compares condition values as strings.
pub(super) fn same(l: &Value, r: &Value) -> bool {
    match (l.is_sensitive(), r.is_sensitive()) {
        (true, true) | (false, false) => flat(l) == flat(r),
        (true, false) => *l == crate::normalize::sensitive(&flat(r)),
        (false, true) => *r == crate::normalize::sensitive(&flat(l)),
    }
}

fn flat(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => format_number(*n),
        Value::Bool(b) => b.to_string(),
        other => other.to_json().to_string(),
    }
}

/// Join strings: unknown if a part is unknown, sensitive (a hash of the
/// parts, the secret's own hash among them) if a part is sensitive.
fn concat(parts: &[Value], delim: &str) -> Value {
    let unknown = parts.iter().any(Value::contains_unknown);
    let sensitive = parts.iter().any(Value::is_sensitive);
    let pieces: Vec<String> = parts
        .iter()
        .map(|p| match p {
            Value::Unknown(e) => format!("${{{e}}}"),
            // Raw: the hash itself for a sensitive part (never shown).
            Value::String(s) => s.clone(),
            other => flat(other),
        })
        .collect();
    let joined = pieces.join(delim);
    if unknown {
        if sensitive {
            // The hashes are not for display: say where a secret was.
            let shown: Vec<String> = parts
                .iter()
                .map(|p| {
                    if p.is_sensitive() {
                        "(sensitive)".to_string()
                    } else {
                        match p {
                            Value::Unknown(e) => format!("${{{e}}}"),
                            other => flat(other),
                        }
                    }
                })
                .collect();
            return Value::Unknown(shown.join(delim));
        }
        // `${x}` alone is the reference itself.
        return match parts {
            [Value::Unknown(e)] => Value::Unknown(e.clone()),
            _ => Value::Unknown(format!("\"{joined}\"")),
        };
    }
    if sensitive {
        return crate::normalize::sensitive(&joined);
    }
    Value::String(joined)
}

/// A value as text inside an unknown's expression.
pub(super) fn text(v: &Value) -> String {
    match v {
        Value::Unknown(e) => e.clone(),
        v if v.is_sensitive() => "(sensitive)".into(),
        Value::String(s) => format!("{s:?}"),
        other => other.display(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `Fn::Cidr`: the first `count` subnets with `bits` host bits.
fn cidr(block: &str, count: f64, bits: f64) -> Option<Vec<Value>> {
    let net: ipnet::IpNet = block.trim().parse().ok()?;
    if !(1.0..=256.0).contains(&count) || bits < 1.0 || count.fract() != 0.0 || bits.fract() != 0.0
    {
        return None;
    }
    let width = match net {
        ipnet::IpNet::V4(_) => 32u8,
        ipnet::IpNet::V6(_) => 128u8,
    };
    let prefix = width.checked_sub(bits as u8)?;
    if prefix < net.prefix_len() {
        return None;
    }
    let subnets: Vec<Value> = net
        .subnets(prefix)
        .ok()?
        .take(count as usize)
        .map(|n| Value::String(n.to_string()))
        .collect();
    (subnets.len() == count as usize).then_some(subnets)
}
