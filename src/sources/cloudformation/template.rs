//! Reading a template: JSON or YAML into one tree (`serde_json::Value`,
//! keys in file order), YAML short-form tags (`!Ref`, `!GetAtt A.B`, ...)
//! turned into their long forms (`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`),
//! and a light index of the line each mapping key is written on.
//!
//! Neither serde_yaml nor serde_json keeps positions in their values, so
//! the lines come from a second, much simpler pass over the text
//! ([`Lines`]): for JSON a tokenizer that tracks the path of object keys;
//! for YAML the indentation of block-style keys and list dashes. Keys and
//! list items are indexed by their path of keys and item indices
//! (`Policies`, `1`, `PolicyName`), and keys also by their path of keys
//! alone (the first item's, as callers that know no index ask); keys
//! written in flow style (`{ Key: v }` on one line) have the line of the
//! key or item that holds them, which is theirs. A path not indexed has
//! the line of its longest indexed prefix: never a wrong file.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// The line of each mapping key, by path (`Resources`, `Database`,
/// `Properties`, `EngineVersion`): the first key written at that path.
#[derive(Debug, Default, Clone)]
pub struct Lines {
    /// Ordered, so that the paths under one are a range.
    by_path: BTreeMap<String, u32>,
    /// JSON only: each string written outside key position, with its line
    /// (parameter files name parameters in values: `"ParameterKey": "X"`,
    /// `"X=v"`).
    strings: Vec<(u32, String)>,
}

const SEP: char = '\u{1f}';

impl Lines {
    fn record(&mut self, path: &[String], line: u32) {
        self.by_path
            .entry(path.join(&SEP.to_string()))
            .or_insert(line);
    }

    /// The line of the longest prefix of `path` that is indexed.
    pub fn line(&self, path: &[&str]) -> Option<u32> {
        (1..=path.len())
            .rev()
            .find_map(|n| self.by_path.get(&path[..n].join(&SEP.to_string())).copied())
    }

    /// The line of exactly `path`, if it is indexed.
    pub fn exact(&self, path: &[&str]) -> Option<u32> {
        self.by_path.get(&path.join(&SEP.to_string())).copied()
    }

    /// Every indexed path under `path` (not `path` itself), as segments
    /// after it, with its line.
    pub fn under(&self, path: &[&str]) -> Vec<(Vec<String>, u32)> {
        let head = format!("{}{SEP}", path.join(&SEP.to_string()));
        self.by_path
            .range(head.clone()..)
            .map_while(|(k, line)| {
                let rest = k.strip_prefix(&head)?;
                Some((rest.split(SEP).map(str::to_string).collect(), *line))
            })
            .collect()
    }

    /// Index the keys under `to` at the lines of those under `from` (a
    /// resource SAM generates, at its SAM resource's lines); keys already
    /// indexed keep theirs.
    pub fn alias(&mut self, to: &[&str], from: &[&str]) {
        let sep = SEP.to_string();
        let (from, to) = (from.join(&sep), to.join(&sep));
        let under = format!("{from}{sep}");
        let copies: Vec<(String, u32)> = self
            .by_path
            .range(from.clone()..)
            .take_while(|(k, _)| **k == from || k.starts_with(&under))
            .map(|(k, line)| (format!("{to}{}", &k[from.len()..]), *line))
            .collect();
        for (k, line) in copies {
            self.by_path.entry(k).or_insert(line);
        }
    }

    /// The line of the first string value `matches` accepts (JSON only).
    pub fn string_line(&self, matches: impl Fn(&str) -> bool) -> Option<u32> {
        self.strings
            .iter()
            .find(|(_, s)| matches(s))
            .map(|(line, _)| *line)
    }
}

/// A file that is not valid JSON or YAML, with the line the parser stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: Option<u32>,
    pub message: String,
}

/// Parse a template or parameter file: JSON when its first non-blank
/// character is `{` or `[`, YAML otherwise (YAML is a superset of JSON, but
/// serde_json's messages and the JSON line index fit JSON better).
pub fn parse(text: &str) -> Result<(Json, Lines), SyntaxError> {
    if looks_like_json(text) {
        let tree: Json = serde_json::from_str(text).map_err(|e| SyntaxError {
            line: u32::try_from(e.line()).ok().filter(|&l| l > 0),
            message: e.to_string(),
        })?;
        Ok((tree, json_lines(text)))
    } else {
        let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| SyntaxError {
            line: e.location().and_then(|l| u32::try_from(l.line()).ok()),
            message: e.to_string(),
        })?;
        Ok((from_yaml(yaml), yaml_lines(text)))
    }
}

pub fn looks_like_json(text: &str) -> bool {
    matches!(
        text.trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next(),
        Some('{' | '[')
    )
}

/// A YAML tree as JSON, short-form tags in their long form. A tag that is
/// not an intrinsic stays `{"Fn::<tag>": value}`, which evaluation reports
/// as unsupported.
fn from_yaml(v: serde_yaml::Value) -> Json {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Json::Null,
        Y::Bool(b) => Json::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Json::Null, Json::Number)
            }
        }
        Y::String(s) => Json::String(s),
        Y::Sequence(items) => Json::Array(items.into_iter().map(from_yaml).collect()),
        Y::Mapping(m) => Json::Object(
            m.into_iter()
                .map(|(k, v)| (key_text(k), from_yaml(v)))
                .collect(),
        ),
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = from_yaml(t.value);
            let (key, value) = match name {
                "Ref" | "Condition" => (name.to_string(), value),
                // `!GetAtt Res.Attr` (the attribute may itself hold dots).
                "GetAtt" => match value {
                    Json::String(s) => {
                        let (res, attr) = s.split_once('.').unwrap_or((s.as_str(), ""));
                        (
                            "Fn::GetAtt".to_string(),
                            Json::Array(vec![Json::from(res), Json::from(attr)]),
                        )
                    }
                    other => ("Fn::GetAtt".to_string(), other),
                },
                other => (format!("Fn::{other}"), value),
            };
            let mut m = serde_json::Map::new();
            m.insert(key, value);
            Json::Object(m)
        }
    }
}

fn key_text(k: serde_yaml::Value) -> String {
    match k {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => "null".to_string(),
        other => serde_yaml::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// Lines of a JSON text's object keys (the text is valid JSON: this runs
/// after serde_json accepted it).
fn json_lines(text: &str) -> Lines {
    // One frame per open object or array: for objects, the key being read
    // and whether the next string is a key.
    struct Frame {
        object: bool,
        key: Option<String>,
        expect_key: bool,
        /// Arrays: the element being read, and whether its first token
        /// is still to come.
        index: usize,
        pending: bool,
    }
    // The path of keys (as before), and the path with list indices.
    fn paths(stack: &[Frame]) -> (Vec<String>, Vec<String>) {
        let keys = stack.iter().filter_map(|f| f.key.clone()).collect();
        let indexed = stack
            .iter()
            .filter_map(|f| {
                if f.object {
                    f.key.clone()
                } else {
                    Some(f.index.to_string())
                }
            })
            .collect();
        (keys, indexed)
    }
    // An array element starts here: index it.
    fn element(stack: &mut [Frame], lines: &mut Lines, line: u32) {
        if let Some(top) = stack.last_mut().filter(|f| !f.object && f.pending) {
            top.pending = false;
            let (_, indexed) = paths(stack);
            lines.record(&indexed, line);
        }
    }
    let mut lines = Lines::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut line = 1u32;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' | b'[' => {
                element(&mut stack, &mut lines, line);
                stack.push(Frame {
                    object: bytes[i] == b'{',
                    key: None,
                    expect_key: bytes[i] == b'{',
                    index: 0,
                    pending: bytes[i] == b'[',
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    top.expect_key = top.object;
                    if !top.object {
                        top.index += 1;
                        top.pending = true;
                    }
                }
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => element(&mut stack, &mut lines, line),
            b'"' => {
                element(&mut stack, &mut lines, line);
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let raw = text.get(start..=i.min(bytes.len() - 1)).unwrap_or("\"\"");
                let s: String = serde_json::from_str(raw).unwrap_or_default();
                match stack.last_mut() {
                    Some(top) if top.object && top.expect_key => {
                        top.key = Some(s);
                        top.expect_key = false;
                        let (keys, indexed) = paths(&stack);
                        lines.record(&keys, line);
                        lines.record(&indexed, line);
                    }
                    _ => lines.strings.push((line, s)),
                }
            }
            _ => {}
        }
        i += 1;
    }
    lines
}

/// Lines of a YAML text's block-style mapping keys, by indentation.
fn yaml_lines(text: &str) -> Lines {
    let mut lines = Lines::default();
    // (indentation, key) of the keys that enclose the current line, and
    // (indentation of the dash, index) of the list items: `None` as key.
    let mut stack: Vec<(usize, Option<String>, usize)> = Vec::new();
    let paths = |stack: &[(usize, Option<String>, usize)]| -> (Vec<String>, Vec<String>) {
        let keys = stack.iter().filter_map(|(_, k, _)| k.clone()).collect();
        let indexed = stack
            .iter()
            .map(|(_, k, i)| k.clone().unwrap_or_else(|| i.to_string()))
            .collect();
        (keys, indexed)
    };
    // Inside a block scalar (`|`, `>`): lines indented more than this.
    let mut block: Option<usize> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim_start();
        let indent = raw.len() - trimmed.len();
        if let Some(b) = block {
            if trimmed.is_empty() || indent > b {
                continue;
            }
            block = None;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        // `- Key: v` is a key indented past its dash; each dash is a list
        // item, indexed at this line.
        let mut rest = trimmed;
        let mut at = indent;
        while let Some(r) = rest.strip_prefix('-') {
            if !(r.is_empty() || r.starts_with(' ')) {
                break;
            }
            // Leave what this dash's list does not hold (deeper keys and
            // items); a dash at an item's indentation is its next sibling.
            while stack.last().is_some_and(|(i, _, _)| *i > at) {
                stack.pop();
            }
            match stack.last_mut() {
                Some((i, None, n)) if *i == at => *n += 1,
                _ => stack.push((at, None, 0)),
            }
            lines.record(&paths(&stack).1, line);
            let r2 = r.trim_start();
            at += rest.len() - r2.len();
            rest = r2;
        }
        // `- |`: a block scalar as a list item, its text indented past
        // the dash.
        if rest != trimmed && (rest.starts_with('|') || rest.starts_with('>')) {
            block = Some(indent);
            continue;
        }
        let Some((key, after)) = yaml_key(rest) else {
            continue;
        };
        while stack.last().is_some_and(|(i, _, _)| *i >= at) {
            stack.pop();
        }
        stack.push((at, Some(key), 0));
        let (keys, indexed) = paths(&stack);
        lines.record(&keys, line);
        lines.record(&indexed, line);
        let value = after.trim_start();
        if value.starts_with('|') || value.starts_with('>') {
            block = Some(at);
        }
    }
    lines
}

/// A block mapping key at the start of `s` and what follows its colon.
fn yaml_key(s: &str) -> Option<(String, &str)> {
    if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = s[1..].find(q)? + 1;
        let after = s[end + 1..].strip_prefix(':')?;
        if !(after.is_empty() || after.starts_with(' ')) {
            return None;
        }
        return Some((s[1..end].to_string(), after));
    }
    if s.starts_with(['{', '[', '!', '&', '*', '|', '>']) {
        return None;
    }
    let mut search = 0;
    while let Some(p) = s[search..].find(':') {
        let colon = search + p;
        let after = &s[colon + 1..];
        if after.is_empty() || after.starts_with(' ') {
            let key = s[..colon].trim_end();
            if key.is_empty() || key.contains(" #") {
                return None;
            }
            return Some((key.to_string(), after));
        }
        search = colon + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  # the database
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      EngineVersion: !Ref Version
      Tags:
        - Key: Name
          Value: !Sub '${AWS::StackName}-db'
  Role:
    Type: AWS::IAM::Role
    Properties:
      Description: |
        Fake: key
      AssumeRolePolicyDocument: {Version: '2012-10-17'}
      Name: !GetAtt Database.Endpoint.Address
      Command:
        - |
          echo not: a key
      Last: x
";

    #[test]
    fn yaml_short_tags_become_long_forms() {
        let (tree, _) = parse(YAML).expect("valid");
        let db = &tree["Resources"]["Database"]["Properties"];
        assert_eq!(db["EngineVersion"], serde_json::json!({"Ref": "Version"}));
        assert_eq!(
            db["Tags"][0]["Value"],
            serde_json::json!({"Fn::Sub": "${AWS::StackName}-db"})
        );
        assert_eq!(
            tree["Resources"]["Role"]["Properties"]["Name"],
            serde_json::json!({"Fn::GetAtt": ["Database", "Endpoint.Address"]})
        );
    }

    #[test]
    fn yaml_keys_have_their_lines() {
        let (_, lines) = parse(YAML).expect("valid");
        assert_eq!(lines.line(&["Resources", "Database"]), Some(4));
        assert_eq!(
            lines.line(&["Resources", "Database", "Properties", "EngineVersion"]),
            Some(8)
        );
        assert_eq!(
            lines.line(&["Resources", "Database", "Properties", "Tags", "Value"]),
            Some(11)
        );
        // A block scalar's text is not a key; a flow mapping's keys fall
        // back to the line of the key that holds them.
        assert_eq!(
            lines.line(&["Resources", "Role", "Properties", "Description", "Fake"]),
            Some(15)
        );
        assert_eq!(
            lines.line(&[
                "Resources",
                "Role",
                "Properties",
                "AssumeRolePolicyDocument",
                "Version"
            ]),
            Some(17)
        );
        assert_eq!(
            lines.line(&["Resources", "Role", "Properties", "Name"]),
            Some(18)
        );
        assert_eq!(
            lines.line(&["Resources", "Role", "Properties", "Command", "echo not"]),
            Some(19)
        );
        assert_eq!(
            lines.line(&["Resources", "Role", "Properties", "Last"]),
            Some(22)
        );
    }

    #[test]
    fn json_keys_and_strings_have_their_lines() {
        let text = "{\n  \"Resources\": {\n    \"Vpc\": {\n      \"Type\": \"AWS::EC2::VPC\",\n      \"Properties\": {\"CidrBlock\": \"10.0.0.0/16\"}\n    }\n  }\n}\n";
        let (tree, lines) = parse(text).expect("valid");
        assert_eq!(tree["Resources"]["Vpc"]["Type"], "AWS::EC2::VPC");
        assert_eq!(lines.line(&["Resources", "Vpc"]), Some(3));
        assert_eq!(
            lines.line(&["Resources", "Vpc", "Properties", "CidrBlock"]),
            Some(5)
        );
        assert_eq!(lines.string_line(|s| s == "AWS::EC2::VPC"), Some(4));
    }

    #[test]
    fn syntax_errors_have_lines() {
        let e = parse("Resources:\n  A:\n    Type: [unclosed\n").expect_err("invalid");
        assert!(e.line.is_some(), "{e:?}");
        let e = parse("{\n \"a\": 1,\n}\n").expect_err("invalid");
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn list_items_are_indexed_at_their_lines() {
        let yaml = "\
A:
  List:
  - x
  - Key: 1
    Other: 2
  - { Key: 3 }
  Nested:
    - - a
      - b
    - c
B: 1
";
        let (_, lines) = parse(yaml).expect("yaml");
        assert_eq!(lines.exact(&["A", "List", "0"]), Some(3));
        assert_eq!(lines.exact(&["A", "List", "1"]), Some(4));
        assert_eq!(lines.exact(&["A", "List", "1", "Other"]), Some(5));
        assert_eq!(lines.line(&["A", "List", "2", "Key"]), Some(6));
        assert_eq!(lines.exact(&["A", "Nested", "0", "1"]), Some(9));
        assert_eq!(lines.exact(&["A", "Nested", "1"]), Some(10));
        assert_eq!(lines.exact(&["B"]), Some(11));
        // The index-free paths keep the first item's line, as before.
        assert_eq!(lines.exact(&["A", "List", "Other"]), Some(5));

        let json = "{\"A\": [1,\n  {\"K\": [true,\n null]},\n  \"s\"]}";
        let (_, lines) = parse(json).expect("json");
        assert_eq!(lines.exact(&["A", "0"]), Some(1));
        assert_eq!(lines.exact(&["A", "1", "K"]), Some(2));
        assert_eq!(lines.exact(&["A", "1", "K", "1"]), Some(3));
        assert_eq!(lines.exact(&["A", "2"]), Some(4));
        let under: Vec<String> = lines
            .under(&["A", "1"])
            .into_iter()
            .map(|(p, l)| format!("{}:{l}", p.join("/")))
            .collect();
        assert_eq!(under, ["K:2", "K/0:2", "K/1:3"]);
    }
}
