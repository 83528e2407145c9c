//! Terraform as the test oracle for expressions (issue #15, item 5).
//!
//! `tests/oracle/cases/*.tf` hold the cases, one local each (a line that
//! starts with two spaces then `NAME =`; helper locals start with `_`).
//! `tests/oracle/record.sh` applied them with real Terraform and wrote its
//! answers to `tests/oracle/expected.json`; this test evaluates the same
//! files with parity, each case wrapped in
//! `resource "terraform_data" "NAME" { input = local.NAME }`, and compares
//! value by value.
//!
//! Comparison: JSON equality, arrays in order (Terraform prints a set in its
//! own order: strings sorted, numbers ascending), objects as key sets.
//! Numbers, the one normalization: parity holds a 64-bit float when the
//! number is exactly one, else Terraform's 512-bit number
//! (`Value::BigNumber`); a recorded number agrees with a float when it is
//! the same decimal number as the float's shortest round-trip form (Rust's
//! `{:e}`), with a 512-bit number when it is the same integer or, for a
//! recorded fraction, the same float64. Terraform prints an integer
//! exactly (9007199254740993 does not agree with the float 9007199254740992)
//! and the result of a float64 function in shortest form (`pow(2, 60)` is
//! recorded 1152921504606847000, the float 2^60's shortest digits, and
//! agrees). expected.json keeps integers exactly; other numbers pass through
//! Python's float on recording, so they are compared at float64 precision
//! (the `jsonencode`/`tostring` cases show Terraform's full digits as
//! strings). A null attribute that parity leaves out counts as null. A value
//! parity leaves symbolic (unknown) never agrees.
//!
//! The test fails on any disagreement not listed in
//! `tests/oracle/known-differences.txt` (one `NAME reason` a line), on any
//! listed case that now agrees (remove it from the list), and when the case
//! list and the recording differ (re-record).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use parity::model::Value;
use parity::sources::terraform::{load, Options};

fn oracle() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle")
}

/// Case names of one `.tf` file, by the rule record.sh applies with sed:
/// two spaces, a name starting with a lowercase letter, spaces, `=`.
fn case_names(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("  ")?;
            if !rest.starts_with(|c: char| c.is_ascii_lowercase()) {
                return None;
            }
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest[end..]
                .trim_start_matches(' ')
                .starts_with('=')
                .then(|| rest[..end].to_string())
        })
        .collect()
}

fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(oracle().join("cases"))
        .expect("tests/oracle/cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Does parity's value agree with Terraform's recorded JSON?
fn agrees(tf: &serde_json::Value, p: &Value) -> bool {
    use serde_json::Value as J;
    match (tf, p) {
        (J::Null, Value::Null) => true,
        (J::Bool(a), Value::Bool(b)) => a == b,
        (J::String(a), Value::String(b)) => a == b,
        (J::Number(a), Value::Number(b)) => {
            b.is_finite() && decimal(&a.to_string()) == decimal(&format!("{b:e}"))
        }
        // A 512-bit number: a recorded integer exactly; a recorded fraction
        // went through Python's float, so at float64 precision.
        (J::Number(a), Value::BigNumber(b)) => match a.as_f64() {
            Some(f) if !a.is_i64() && !a.is_u64() => f == b.to_f64(),
            _ => decimal(&a.to_string()) == decimal(&b.text()),
        },
        (J::Array(a), Value::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| agrees(x, y))
        }
        (J::Object(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| agrees(x, y)))
        }
        _ => false,
    }
}

/// A decimal number's significant digits (no leading or trailing zeros) and
/// the exponent `e` with value = 0.DIGITS × 10^e; `-` kept on the digits.
/// Reads plain (`1152921504606847000`, `0.5`) and scientific (`1.5e-7`) text.
fn decimal(text: &str) -> (String, i64) {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (
            m,
            e.trim_start_matches('+').parse::<i64>().expect("exponent"),
        ),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    let mut exp = exp + int.len() as i64;
    let trimmed = digits.trim_start_matches('0');
    exp -= (digits.len() - trimmed.len()) as i64;
    let trimmed = trimmed.trim_end_matches('0');
    if trimmed.is_empty() {
        return (String::new(), 0);
    }
    let sign = if negative { "-" } else { "" };
    (format!("{sign}{trimmed}"), exp)
}

fn show(v: &Value) -> String {
    match v {
        Value::Unknown(e) => format!("symbolic ${{{e}}}"),
        Value::Number(n) => format!("{n:?}"),
        Value::BigNumber(b) => format!("{} (512-bit)", b.text()),
        other => other.to_json().to_string(),
    }
}

/// `NAME reason` lines; `#` comments and blank lines are skipped.
fn known_differences() -> BTreeMap<String, String> {
    let path = oracle().join("known-differences.txt");
    let text = std::fs::read_to_string(&path).expect("tests/oracle/known-differences.txt");
    let mut known = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        assert!(
            !reason.trim().is_empty(),
            "known-differences.txt: {name} has no reason"
        );
        assert!(
            known
                .insert(name.to_string(), reason.trim().to_string())
                .is_none(),
            "known-differences.txt: {name} listed twice"
        );
    }
    known
}

fn family(name: &str) -> &str {
    name.split('_').next().unwrap_or(name)
}

/// Evaluate `src` (one case file) with parity: the file and the files it
/// reads from `files/`, plus `resource "terraform_data" "NAME" { input =
/// local.NAME }` for each case; the value of each case's `input` (an absent
/// attribute is null).
fn evaluate(src: &str, names: &[String]) -> Result<BTreeMap<String, Value>, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = dir.path().join("env");
    copy_dir(&oracle().join("files"), &env.join("files"));
    std::fs::write(env.join("cases.tf"), src).expect("write");
    let wrappers: String = names
        .iter()
        .map(|n| format!("resource \"terraform_data\" \"{n}\" {{\n  input = local.{n}\n}}\n"))
        .collect();
    std::fs::write(env.join("zz_cases.tf"), wrappers).expect("write");
    let snapshot = load(&Options {
        environment: "oracle".into(),
        root: env.clone(),
        base: dir.path().to_path_buf(),
        var_files: Vec::new(),
        vars: parity::model::Map::new(),
        var_origins: Default::default(),
        workspace: "default".into(),
        data: None,
        identity: Default::default(),
        facts: None,
    })
    .map_err(|e| e.to_string())?;
    let mut values = BTreeMap::new();
    for name in names {
        let address = format!("terraform_data.{name}");
        let resource = snapshot
            .resources
            .iter()
            .find(|r| r.address == address)
            .ok_or_else(|| format!("no {address} in parity's snapshot"))?;
        let value = resource
            .attributes
            .get("input")
            .cloned()
            .unwrap_or_default();
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// The top-level locals of a case file with their text: each starts at a
/// line `  NAME =` (case or `_helper`) and runs to the next such line or
/// the `}` that closes the block.
fn items(src: &str) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in src.lines() {
        let name = line.strip_prefix("  ").and_then(|rest| {
            if !rest.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
                return None;
            }
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest[end..]
                .trim_start_matches(' ')
                .starts_with('=')
                .then(|| rest[..end].to_string())
        });
        if let Some(name) = name {
            items.push((name, String::new()));
            inside = true;
        } else if line.starts_with('}') {
            inside = false;
        }
        if inside {
            let text = &mut items.last_mut().expect("item").1;
            text.push_str(line);
            text.push('\n');
        }
    }
    items
}

#[test]
#[allow(
    clippy::print_stdout,
    reason = "the agreement summary, shown with `-- --nocapture`"
)]
fn parity_agrees_with_recorded_terraform() {
    // The case list, from the same files record.sh reads.
    let mut names = Vec::new();
    let mut sources = Vec::new();
    for file in case_files() {
        let src = std::fs::read_to_string(&file).expect("read case file");
        names.extend(case_names(&src));
        sources.push(src);
    }
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "a case name is repeated");
    assert!(names.len() >= 300, "only {} cases found", names.len());

    // Terraform's answers.
    let recorded: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(oracle().join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json is JSON");
    let version = recorded["terraform_version"].as_str().unwrap_or("?");
    let expected = recorded["cases"].as_object().expect("cases object");
    let recorded_names: BTreeSet<&String> = expected.keys().collect();
    assert_eq!(
        recorded_names, unique,
        "the cases and expected.json differ: run tests/oracle/record.sh"
    );

    // The parity side: each case file is loaded as a root of its own, with
    // every case wrapped in a resource. A file parity cannot load (a parse
    // error stops a whole load) is retried case by case, each case with the
    // helper locals of its file, so one case cannot hide the others.
    let mut results: BTreeMap<String, Result<Value, String>> = BTreeMap::new();
    for src in &sources {
        let file_names = case_names(src);
        match evaluate(src, &file_names) {
            Ok(values) => results.extend(values.into_iter().map(|(k, v)| (k, Ok(v)))),
            Err(_) => {
                let items = items(src);
                let helpers: String = items
                    .iter()
                    .filter(|(n, _)| n.starts_with('_'))
                    .map(|(_, t)| t.as_str())
                    .collect();
                for name in &file_names {
                    let text = &items.iter().find(|(n, _)| n == name).expect("item").1;
                    let one = format!("locals {{\n{helpers}{text}}}\n");
                    let got = evaluate(&one, std::slice::from_ref(name))
                        .map(|mut v| v.remove(name).unwrap_or_default());
                    results.insert(name.clone(), got);
                }
            }
        }
    }

    let known = known_differences();
    let mut agree = 0;
    let mut new = Vec::new();
    let mut fixed = Vec::new();
    let mut per_family: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for name in &names {
        let want = &expected[name];
        let got = &results[name];
        let ok = got.as_ref().is_ok_and(|got| agrees(want, got));
        let tally = per_family.entry(family(name)).or_default();
        tally.0 += 1;
        if ok {
            agree += 1;
            tally.1 += 1;
            if known.contains_key(name) {
                fixed.push(name.clone());
            }
        } else if !known.contains_key(name) {
            let got = match got {
                Ok(v) => show(v),
                Err(e) => format!("error: {e}"),
            };
            new.push(format!("{name}: terraform {want}, parity {got}"));
        }
    }
    let stale: Vec<&String> = known.keys().filter(|k| !unique.contains(k)).collect();

    println!(
        "oracle (Terraform {version}): {} cases, {agree} agree, {} known differences",
        names.len(),
        known.len()
    );
    for (fam, (n, ok)) in &per_family {
        println!("  {fam:<11} {ok:>3} / {n:>3}");
    }
    let mut problems = Vec::new();
    if !new.is_empty() {
        problems.push(format!(
            "{} new disagreements with Terraform (fix them, or list them in tests/oracle/known-differences.txt with a reason):\n  {}",
            new.len(),
            new.join("\n  ")
        ));
    }
    if !fixed.is_empty() {
        problems.push(format!(
            "{} cases now agree with Terraform: remove them from tests/oracle/known-differences.txt:\n  {}",
            fixed.len(),
            fixed.join("\n  ")
        ));
    }
    if !stale.is_empty() {
        problems.push(format!(
            "known-differences.txt lists cases that do not exist: {stale:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn case_names_follow_the_rule_of_record_sh() {
    let src =
        "locals {\n  a_b = 1\n  _helper = 2\n    nested = 3\n  c_d= \"=\"\n  e_f == 1\n}\n  x\n";
    // `e_f == 1` is matched too, as sed's ` *=` does; it is not valid HCL anyway.
    assert_eq!(case_names(src), ["a_b", "c_d", "e_f"]);
}

#[test]
fn numbers_compare_exactly_past_2_pow_53() {
    let big: serde_json::Value = serde_json::from_str("9007199254740993").unwrap();
    assert!(!agrees(&big, &Value::Number(9007199254740992.0)));
    let small: serde_json::Value = serde_json::from_str("3").unwrap();
    assert!(agrees(&small, &Value::Number(3.0)));
    assert!(!agrees(&small, &Value::str("3")));
    let shortest: serde_json::Value = serde_json::from_str("1152921504606847000").unwrap();
    assert!(agrees(&shortest, &Value::Number(2f64.powi(60))));
    assert!(!agrees(&shortest, &Value::Number(2f64.powi(60) + 256.0)));
    let negative: serde_json::Value = serde_json::from_str("-1.5e-7").unwrap();
    assert!(agrees(&negative, &Value::Number(-0.00000015)));
    assert!(!agrees(&negative, &Value::Number(0.00000015)));
    let zero: serde_json::Value = serde_json::from_str("0").unwrap();
    assert!(agrees(&zero, &Value::Number(0.0)));
    let frac: serde_json::Value = serde_json::from_str("0.3").unwrap();
    assert!(!agrees(&frac, &Value::Number(0.1 + 0.2)));
    assert!(agrees(&frac, &Value::Number(0.3)));
}
