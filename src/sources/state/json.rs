//! JSON plumbing shared by the state and plan readers: values deserialized
//! straight into the model's [`Value`] (no intermediate `serde_json::Value`
//! tree, which would double the memory of a 50 MB state), error messages
//! that never echo a value, and a structural scan that finds the line of
//! each resource object (serde does not expose positions).

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::model::Value;

thread_local! {
    /// The entries of the JSON objects being read on this thread, innermost
    /// last (see `ValueVisitor::visit_map`).
    static ENTRIES: std::cell::RefCell<Vec<(String, Value)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Any JSON value as a model [`Value`]. Object members whose value is `null`
/// or empty (`""`, `[]`, `{}`) are dropped: providers write an empty value
/// for every argument nobody set, a large state holds hundreds of thousands
/// of them, and an absent attribute compares the same on both sides (drift
/// treats an empty value in code and an absent one in state as equal).
pub struct Json(pub Value);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(Json)
    }
}

/// An object of attributes (`attributes`, `values`), nulls dropped.
#[derive(Default)]
pub struct Attrs(pub crate::model::Map);

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(ValueVisitor)? {
            Value::Map(m) => Ok(Attrs(m)),
            Value::Null => Ok(Attrs::default()),
            other => Err(de::Error::custom(format!(
                "expected an object of attributes, found a {}",
                other.type_name()
            ))),
        }
    }
}

struct ValueVisitor;

struct Seed;

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    // Integers exactly, past 2^53 too (Terraform's numbers are 512-bit).
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        if v.unsigned_abs() <= 1 << 53 {
            return Ok(Value::Number(v as f64));
        }
        Ok(crate::model::bignum::BigFloat::from_i128(i128::from(v)).into_value())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        if v <= 1 << 53 {
            return Ok(Value::Number(v as f64));
        }
        Ok(crate::model::bignum::BigFloat::from_i128(i128::from(v)).into_value())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(Seed)? {
            items.push(v);
        }
        // serde_json gives no length: a one-block list would keep room for
        // four, and a state holds hundreds of thousands of them.
        items.shrink_to_fit();
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // The entries of every object being read share one list, each
        // object's after its parent's: an object then costs one allocation
        // of exactly its size, not a list grown step by step (a large state
        // holds hundreds of thousands of objects). No borrow of the list is
        // held while a value is read, so the nested objects' borrows never
        // meet one of ours.
        let start = ENTRIES.with(|e| e.borrow().len());
        let mut read = || {
            while let Some(key) = map.next_key::<KeyString>()? {
                let v = map.next_value_seed(Seed)?;
                if !is_empty(&v) {
                    ENTRIES.with(|e| e.borrow_mut().push((key.0, v)));
                }
            }
            Ok(())
        };
        let result = read();
        let entries: Vec<(String, Value)> =
            ENTRIES.with(|e| e.borrow_mut().drain(start..).collect());
        result?;
        // Sorted once (of repeated keys the last wins, as inserting would):
        // inserting each key where it belongs moves the entries after it,
        // too much for a large object whose keys are not in order.
        Ok(Value::Map(entries.into_iter().collect()))
    }
}

/// `null`, `""`, `[]` or `{}`.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// An object key.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyString, E> {
                Ok(KeyString(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// For `#[serde(default, deserialize_with = "json::or_default")]`: a
/// missing member and an explicit `null` both give the default (tools that
/// rewrite state, and older Terraform versions, write `null` for empty lists).
pub fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

/// A serde_json error as one sentence that never quotes the input: a type
/// error on a malformed state would otherwise echo the value it choked on,
/// which may be a password.
pub fn describe(e: &serde_json::Error) -> String {
    describe_at(e, 1)
}

/// [`describe`] for a document that starts at line `first_line` of its file.
pub fn describe_at(e: &serde_json::Error, first_line: u32) -> String {
    let full = e.to_string();
    // serde_json appends " at line L column C"; we add our own position.
    let msg = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let mut out = String::with_capacity(msg.len());
    let mut in_quote = false;
    for ch in msg.chars() {
        match (ch, in_quote) {
            ('"', false) => {
                in_quote = true;
                out.push_str("(a value)");
            }
            ('"', true) => in_quote = false,
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    let line = e.line() + first_line as usize - 1;
    format!("{out} (line {line}, column {})", e.column())
}

// ---------------------------------------------------------------------------
// Structural scan for line numbers.

/// One open object or array during the scan.
struct Frame<'a> {
    object: bool,
    line: u32,
    /// The last key read in this object.
    key: &'a [u8],
    expect_key: bool,
    /// Objects seen so far in this array.
    objects: usize,
}

/// What the scan records.
#[derive(Default)]
pub struct Lines {
    /// Raw state v4: the line of `resources[i].instances[j]`.
    pub instances: Vec<Vec<u32>>,
    /// `terraform show -json`: the line of the first object holding
    /// `"address": "<address>"`.
    pub addresses: HashMap<String, u32>,
}

/// Scan a JSON document for the lines of resource objects. The document is
/// assumed to have parsed already; on malformed input the result is merely
/// incomplete.
pub fn scan_lines(bytes: &[u8], raw_state: bool) -> Lines {
    scan(bytes, raw_state, 1)
}

fn scan(bytes: &[u8], raw_state: bool, first_line: u32) -> Lines {
    let mut out = Lines::default();
    let mut stack: Vec<Frame> = Vec::with_capacity(16);
    let mut line: u32 = first_line;
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        let b = bytes[i];
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                while j < n {
                    match bytes[j] {
                        b'\\' => {
                            escaped = true;
                            j += 2;
                            continue;
                        }
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                let end = j.min(n);
                let s = &bytes[start..end];
                if let Some(top) = stack.last_mut() {
                    if top.object && top.expect_key {
                        top.key = s;
                        top.expect_key = false;
                    } else if top.object && !raw_state && top.key == b"address" {
                        let text = if escaped {
                            serde_json::from_slice::<String>(&bytes[start - 1..(end + 1).min(n)])
                                .ok()
                        } else {
                            std::str::from_utf8(s).ok().map(str::to_string)
                        };
                        if let Some(t) = text {
                            out.addresses.entry(t).or_insert(top.line);
                        }
                    }
                }
                i = end + 1;
                continue;
            }
            b'{' | b'[' => {
                let object = b == b'{';
                if object {
                    if let Some(top) = stack.last_mut() {
                        if !top.object {
                            top.objects += 1;
                        }
                    }
                    if raw_state && stack.len() == 4 {
                        // root { resources [ resource { instances [ here
                        let at = |k: usize| -> &[u8] { stack[k].key };
                        if at(0) == b"resources" && at(2) == b"instances" {
                            let r = stack[1].objects.saturating_sub(1);
                            if out.instances.len() <= r {
                                out.instances.resize(r + 1, Vec::new());
                            }
                            out.instances[r].push(line);
                        }
                    }
                }
                stack.push(Frame {
                    object,
                    line,
                    key: b"",
                    expect_key: object,
                    objects: 0,
                });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    if top.object {
                        top.expect_key = true;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_drop_empty_members_and_keep_shapes() {
        let v: Json = serde_json::from_str(
            r#"{"a": null, "b": [1, null, "", "x"], "c": {"d": true, "e": ""}, "f": [], "g": {}, "h": 0}"#,
        )
        .unwrap();
        assert_eq!(
            v.0.to_json().to_string(),
            r#"{"b":[1,null,"","x"],"c":{"d":true},"h":0}"#
        );
    }

    #[test]
    fn errors_never_quote_the_input() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct S {
            version: u64,
        }
        let e = serde_json::from_str::<S>(r#"{"version": "hunter2-secret"}"#).unwrap_err();
        let msg = describe(&e);
        assert!(!msg.contains("hunter2"), "{msg}");
        assert!(msg.contains("line 1"), "{msg}");
    }

    #[test]
    fn finds_instance_and_address_lines() {
        let raw = "{\n \"version\": 4,\n \"resources\": [\n  {\n   \"type\": \"a\",\n   \"instances\": [\n    {\"x\": \"}\"},\n    {}\n   ]\n  },\n  {\"instances\": [\n {}]}\n ]\n}";
        let l = scan_lines(raw.as_bytes(), true);
        assert_eq!(l.instances, vec![vec![7, 8], vec![12]]);
        let show = "{\"values\": {\"root_module\": {\"resources\": [\n{\"address\": \"a.b[\\\"k\\\"]\"},\n{\"address\": \"c.d\"}]}}}";
        let l = scan_lines(show.as_bytes(), false);
        assert_eq!(l.addresses.get("a.b[\"k\"]"), Some(&2));
        assert_eq!(l.addresses.get("c.d"), Some(&3));
    }
}
