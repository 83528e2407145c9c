//! Report formats through the library: an insta snapshot of each format on
//! a report built here from fixed findings and on the bundled example
//! (fixtures/shop), plus structural checks a snapshot cannot make (SARIF
//! fields, well-formed JUnit XML with consistent counts, no network
//! reference in HTML, escaping, and no secret in any format).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parity::findings::{AppliedWaiver, Category, Finding, Severity};
use parity::normalize::sensitive;
use parity::report::{Format, RenderContext, RenderOptions, Report};
use parity::rules::packs;
use parity::rules::Rule;
use parity::run::{DiffOptions, Session};

// ---- fixtures ---------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &str,
    category: Category,
    severity: Severity,
    resource: &str,
    attribute: Option<&str>,
    left: Option<&str>,
    right: Option<&str>,
    locations: &[(&str, &str)],
    message: &str,
) -> Finding {
    Finding {
        rule: rule.into(),
        category,
        severity,
        resource: resource.into(),
        rtype: resource
            .split('.')
            .find(|s| s.starts_with("aws_"))
            .unwrap_or("module")
            .into(),
        attribute: attribute.map(Into::into),
        left: left.map(Into::into),
        right: right.map(Into::into),
        locations: locations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        message: message.into(),
        diff: None,
        expected: false,
        status: None,
        waiver: None,
        between: None,
        label: None,
        causes: Vec::new(),
    }
}

/// Every kind of finding a renderer must handle.
fn findings() -> Vec<Finding> {
    let mut policy = finding(
        "iam-inline-policy",
        Category::Iam,
        Severity::Error,
        "module.app.aws_iam_role_policy.app",
        Some("policy"),
        Some("{\n  \"Action\": \"s3:*\"\n}"),
        Some("{\n  \"Action\": [\"s3:GetObject\"]\n}"),
        &[
            ("staging", "modules/app/main.tf:103"),
            ("prod", "modules/app/main.tf:103"),
        ],
        "staging is wider: allows s3:* where prod allows s3:getobject",
    );
    policy.diff = Some(
        "--- staging\n+++ prod\n@@ -1,3 +1,3 @@\n   \"Action\": [\n-    \"s3:*\"\n+    \"s3:getobject\"\n   ]\n"
            .into(),
    );
    let mut expected = finding(
        "storage-size",
        Category::Engine,
        Severity::Info,
        "module.db.aws_db_instance.main",
        Some("allocated_storage"),
        Some("20"),
        Some("100"),
        &[
            ("staging", "modules/db/main.tf:75"),
            ("prod", "modules/db/main.tf:75"),
        ],
        "expected difference: 20 vs 100",
    );
    expected.expected = true;
    let mut waived = finding(
        "db-parameters",
        Category::Engine,
        Severity::Warning,
        "module.db.aws_db_parameter_group.main",
        Some("parameter"),
        Some("100"),
        Some("1000"),
        &[
            ("staging", "modules/db/main.tf:44"),
            ("prod", "modules/db/main.tf:44"),
        ],
        "differs at value: 100 vs 1000",
    );
    waived.waiver = Some(AppliedWaiver {
        reason: "staging logs more".into(),
        owner: Some("data-platform".into()),
        expires: Some("2099-12-31".into()),
        location: "parity.toml:30".into(),
    });
    vec![
        finding(
            "engine-version",
            Category::Engine,
            Severity::Error,
            "module.db.aws_db_instance.main",
            Some("engine_version"),
            Some("15.7"),
            Some("15.5"),
            &[
                ("staging", "modules/db/main.tf:72"),
                ("prod", "modules/db/main.tf:72"),
            ],
            "minor version differs: 15.7 vs 15.5 (staging is newer)",
        ),
        expected,
        waived,
        policy,
        finding(
            "network-count",
            Category::Topology,
            Severity::Error,
            "module.network.aws_subnet.private",
            Some("@count"),
            Some("2"),
            Some("3"),
            &[
                ("staging", "modules/network/main.tf:60"),
                ("prod", "modules/network/main.tf:60"),
            ],
            "2 instances in staging, 3 in prod; only in prod: [\"${region}c\"]",
        ),
        // Present in one environment only: no attribute, one location.
        finding(
            "topology-presence",
            Category::Topology,
            Severity::Warning,
            "aws_sqs_queue.jobs",
            None,
            None,
            Some("present"),
            &[("prod", "envs/prod/queues.tf:3")],
            "only in prod",
        ),
        // Text that every format must escape.
        finding(
            "module-ref",
            Category::Dependency,
            Severity::Error,
            "module.waf",
            Some("ref"),
            Some("v1.6.0|<script>alert(1)</script>"),
            Some("`v1.4.0`, 100%: ok\r\nnext & @team"),
            &[
                ("staging", "envs/staging/main.tf:74"),
                ("prod", "envs/prod/main.tf:74"),
            ],
            "differs: <b>v1.6.0</b> | v1.4.0 *now*\nsecond line, 100%: [link](x)",
        ),
        // A live location: no file:line.
        finding(
            "config-difference",
            Category::Config,
            Severity::Info,
            "aws_db_instance.main",
            Some("ca_cert_identifier"),
            Some("rds-ca-rsa4096-g1"),
            Some("rds-ca-rsa2048-g1"),
            &[
                (
                    "staging",
                    "arn:aws:rds:eu-west-1:111111111111:db:shop-staging",
                ),
                ("prod", "arn:aws:rds:eu-west-1:222222222222:db:shop-prod"),
            ],
            "differs: rds-ca-rsa4096-g1 vs rds-ca-rsa2048-g1",
        ),
        // A waiver finding: its location is keyed by the config file.
        finding(
            "waiver-expired",
            Category::Config,
            Severity::Error,
            "module.db.*",
            None,
            None,
            None,
            &[("parity.toml", "parity.toml:41")],
            "waiver for `engine-version` on `module.db.*` expired on 2024-01-01: fix the difference or renew the waiver (trial)",
        ),
    ]
}

fn fixed_report() -> Report {
    Report::new(
        ["staging", "prod"],
        "code",
        findings(),
        12,
        80,
        vec!["staging: module.waf: module source `git::https://github.com/example-org/terraform-aws-waf.git?ref=v1.6.0` is not local: its inside was not expanded (only the call is compared)".into()],
    )
}

fn rules() -> Vec<Rule> {
    packs::builtin().expect("built-in packs load")
}

fn render(report: &Report, format: Format, verbose: bool) -> String {
    let rules = rules();
    let ctx = RenderContext {
        rules: &rules,
        ..RenderContext::default()
    };
    let opts = RenderOptions {
        verbose,
        color: false,
        width: None,
    };
    let out = report.render_with(format, &opts, &ctx);
    // Deterministic: the same report gives the same bytes.
    assert_eq!(out, report.render_with(format, &opts, &ctx));
    out
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shop_report() -> Report {
    let cwd = repo();
    let session = Session::open(Some(Path::new("fixtures/shop")), &cwd).expect("open shop");
    session
        .diff(
            "staging",
            "prod",
            &DiffOptions {
                source: parity::model::SourceKind::Code,
                categories: vec![],
            },
        )
        .expect("diff shop")
}

/// The tool version changes on every release: keep it out of snapshots.
fn unversioned(sarif: &str) -> String {
    sarif.replace(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"[version]\"",
    )
}

// ---- the enum ------------------------------------------------------------

#[test]
fn formats_parse_and_display() {
    for f in Format::ALL {
        assert_eq!(f.to_string().parse::<Format>(), Ok(f));
    }
    let err = "yaml".parse::<Format>().unwrap_err();
    assert!(
        err.contains("markdown, sarif, junit, github, html or svg"),
        "{err}"
    );
}

#[test]
fn render_without_context_works_for_every_format() {
    let r = fixed_report();
    for f in Format::ALL {
        let out = r.render(f, &RenderOptions::default());
        assert!(!out.is_empty(), "{f} rendered nothing");
    }
    // The default context declares the built-in rules.
    let sarif: serde_json::Value =
        serde_json::from_str(&r.render(Format::Sarif, &RenderOptions::default())).unwrap();
    let declared = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .len();
    assert!(declared >= rules().len());
}

// ---- snapshots -----------------------------------------------------------

#[test]
fn snapshot_fixed_markdown() {
    insta::assert_snapshot!(
        "fixed_markdown",
        render(&fixed_report(), Format::Markdown, false)
    );
}

#[test]
fn snapshot_fixed_markdown_verbose() {
    insta::assert_snapshot!(
        "fixed_markdown_verbose",
        render(&fixed_report(), Format::Markdown, true)
    );
}

#[test]
fn snapshot_fixed_sarif() {
    // A few rules in force keep the snapshot readable; the findings of other
    // rules show how undeclared rules are declared from the finding.
    let rules: Vec<Rule> = rules()
        .into_iter()
        .filter(|r| {
            ["engine-version", "iam-inline-policy", "db-parameters"].contains(&r.id.as_str())
        })
        .collect();
    let ctx = RenderContext {
        rules: &rules,
        ..RenderContext::default()
    };
    let sarif = fixed_report().render_with(Format::Sarif, &RenderOptions::default(), &ctx);
    check_sarif(&sarif, &fixed_report());
    insta::assert_snapshot!("fixed_sarif", unversioned(&sarif));
}

/// SARIF with each declared rule reduced to its id: the rule texts are
/// docs/rules.md's business, not this snapshot's.
fn rule_ids_only(sarif: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(sarif).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap();
    for r in rules.iter_mut() {
        *r = r["id"].clone();
    }
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn snapshot_fixed_junit() {
    insta::assert_snapshot!("fixed_junit", render(&fixed_report(), Format::Junit, false));
}

#[test]
fn snapshot_fixed_github() {
    insta::assert_snapshot!(
        "fixed_github",
        render(&fixed_report(), Format::Github, false)
    );
}

#[test]
fn snapshot_fixed_html() {
    insta::assert_snapshot!("fixed_html", render(&fixed_report(), Format::Html, false));
}

#[test]
fn snapshot_shop_formats() {
    let r = shop_report();
    insta::assert_snapshot!("shop_markdown", render(&r, Format::Markdown, false));
    insta::assert_snapshot!(
        "shop_sarif",
        unversioned(&rule_ids_only(&render(&r, Format::Sarif, false)))
    );
    insta::assert_snapshot!("shop_junit", render(&r, Format::Junit, false));
    insta::assert_snapshot!("shop_github", render(&r, Format::Github, false));
    insta::assert_snapshot!("shop_html", render(&r, Format::Html, false));
}

#[test]
fn shop_json_is_unchanged_by_the_new_summary_field() {
    let json = render(&shop_report(), Format::Json, false);
    assert!(
        !json.contains("\"baseline\""),
        "no baseline key without a baseline"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], 1);
}

// ---- markdown ------------------------------------------------------------

/// Cells of a table row: split on `|` not escaped by a backslash.
fn cells(row: &str) -> usize {
    let mut n = 0;
    let mut prev = ' ';
    for c in row.chars() {
        if c == '|' && prev != '\\' {
            n += 1;
        }
        prev = c;
    }
    n
}

/// The text of a Markdown document with its code spans and fenced blocks
/// removed (backtick runs of equal length delimit a span).
fn outside_code_spans(md: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    for line in md.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '`' && (i == 0 || chars[i - 1] != '\\') {
                let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                let fence: String = "`".repeat(run);
                let rest: String = chars[i + run..].iter().collect();
                if let Some(end) = rest.find(&fence) {
                    i += run + rest[..end].chars().count() + run;
                    continue;
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        out.push('\n');
    }
    out
}

#[test]
fn markdown_is_a_sticky_comment_with_sound_tables() {
    for r in [fixed_report(), shop_report()] {
        for verbose in [false, true] {
            let md = render(&r, Format::Markdown, verbose);
            assert_eq!(
                md.lines().next(),
                Some("<!-- parity-report: staging-vs-prod -->")
            );
            // Every row of a table has the header's number of cells.
            let mut header_cells = None;
            for line in md.lines() {
                if line.starts_with('|') {
                    let n = cells(line);
                    match header_cells {
                        None => header_cells = Some(n),
                        Some(h) => assert_eq!(n, h, "row with a stray pipe: {line}"),
                    }
                } else {
                    header_cells = None;
                }
            }
            // Values sit in code spans (literal text); outside them no HTML
            // from the report may appear.
            let prose = outside_code_spans(&md);
            assert!(!prose.contains("<script>"), "raw HTML from a value");
            assert!(!prose.contains("<b>"), "raw HTML from a message");
        }
    }
    let md = render(&fixed_report(), Format::Markdown, false);
    assert!(md.contains("| `v1.6.0\\|<script>alert(1)</script>` |"));
    assert!(md.contains("differs: \\<b\\>v1.6.0\\</b\\> \\| v1.4.0 \\*now\\*<br>second line"));
    assert!(md.contains("<details><summary>Policy diff:"));
    assert!(md.contains("```diff\n--- staging"));
    assert!(md.contains("1 expected difference hidden"));
    assert!(
        !md.contains("allocated_storage"),
        "expected hidden unless verbose"
    );
    let verbose = render(&fixed_report(), Format::Markdown, true);
    assert!(verbose.contains("allocated_storage"));
    assert!(md.contains("### Incomplete"));
}

// ---- SARIF ---------------------------------------------------------------

fn check_sarif(text: &str, report: &Report) {
    let v: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"]
        .as_str()
        .unwrap()
        .contains("sarif-schema-2.1.0"));
    let run = &v["runs"][0];
    assert_eq!(v["runs"].as_array().unwrap().len(), 1);
    assert_eq!(run["tool"]["driver"]["name"], "parity");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique");
    for r in rules {
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(["error", "warning", "note"]
            .contains(&r["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let results = run["results"].as_array().unwrap();
    let violations = report.findings.iter().filter(|f| f.is_violation()).count();
    assert_eq!(results.len(), violations, "one result per violation");
    for res in results {
        let id = res["ruleId"].as_str().unwrap();
        let index = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[index], id, "ruleIndex points at ruleId");
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
        assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        let fp = res["partialFingerprints"]["parityFindingId/v1"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 16);
        let locations = res["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1, "code scanning shows the first only");
        for loc in locations
            .iter()
            .chain(res["relatedLocations"].as_array().into_iter().flatten())
        {
            if let Some(p) = loc.get("physicalLocation") {
                assert!(p["region"]["startLine"].as_u64().unwrap() >= 1);
                let uri = p["artifactLocation"]["uri"].as_str().unwrap();
                assert!(!uri.is_empty() && !uri.starts_with('/') && !uri.contains(':'));
            }
        }
    }
}

#[test]
fn sarif_has_the_required_fields() {
    let fixed = fixed_report();
    check_sarif(&render(&fixed, Format::Sarif, false), &fixed);
    let shop = shop_report();
    check_sarif(&render(&shop, Format::Sarif, false), &shop);
}

#[test]
fn sarif_points_left_and_relates_right() {
    let r = fixed_report();
    let v: serde_json::Value = serde_json::from_str(&render(&r, Format::Sarif, false)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let waf = results
        .iter()
        .find(|r| r["ruleId"] == "module-ref")
        .unwrap();
    assert_eq!(
        waf["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "envs/staging/main.tf"
    );
    assert_eq!(
        waf["locations"][0]["physicalLocation"]["region"]["startLine"],
        74
    );
    assert_eq!(
        waf["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "envs/prod/main.tf"
    );
    assert!(waf["message"]["text"]
        .as_str()
        .unwrap()
        .ends_with("(see [prod](1))"));
    // Only in prod: anchored at prod's file.
    let queue = results
        .iter()
        .find(|r| r["ruleId"] == "topology-presence")
        .unwrap();
    assert_eq!(
        queue["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "envs/prod/queues.tf"
    );
    // The path prefix makes paths repository-relative.
    let rules = rules();
    let ctx = RenderContext {
        rules: &rules,
        path_prefix: "infra/",
        ..RenderContext::default()
    };
    let v: serde_json::Value =
        serde_json::from_str(&r.render_with(Format::Sarif, &RenderOptions::default(), &ctx))
            .unwrap();
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "infra/modules/db/main.tf"
    );
    // Not in any pack: declared from the finding.
    let declared: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(declared.contains(&"waiver-expired"));
    assert!(declared.contains(&"storage-size"), "every rule in force");
}

// ---- JUnit: a small well-formedness checker --------------------------------

#[derive(Debug)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Element>,
}

impl Element {
    fn attr(&self, k: &str) -> &str {
        self.attrs.get(k).map(String::as_str).unwrap_or("")
    }
    fn count(&self, k: &str) -> usize {
        self.attr(k).parse().expect("numeric attribute")
    }
    fn has(&self, name: &str) -> bool {
        self.children.iter().any(|c| c.name == name)
    }
}

/// Parse XML 1.0 as the report writes it: a declaration, one root element,
/// attributes in double quotes, text; rejects a stray `<` or `&`, an unknown
/// entity, mismatched or unclosed tags, duplicate attributes, and characters
/// XML forbids.
fn parse_xml(s: &str) -> Result<Element, String> {
    fn name(s: &[char], i: &mut usize) -> Result<String, String> {
        let start = *i;
        while *i < s.len() && (s[*i].is_alphanumeric() || "-_:.".contains(s[*i])) {
            *i += 1;
        }
        if *i == start {
            return Err(format!("expected a name at {start}"));
        }
        Ok(s[start..*i].iter().collect())
    }
    fn ws(s: &[char], i: &mut usize) {
        while *i < s.len() && s[*i].is_whitespace() {
            *i += 1;
        }
    }
    fn text(s: &[char], i: &mut usize, stop: char) -> Result<String, String> {
        let mut out = String::new();
        while *i < s.len() && s[*i] != stop {
            let c = s[*i];
            if c == '<' && stop == '"' {
                return Err(format!("`<` in an attribute at {i}"));
            }
            if (c as u32) < 0x20 && !"\t\n\r".contains(c) {
                return Err(format!("forbidden character {:#x} at {i}", c as u32));
            }
            if c == '&' {
                let end = s[*i..]
                    .iter()
                    .position(|&c| c == ';')
                    .ok_or("unterminated entity")?;
                let ent: String = s[*i + 1..*i + end].iter().collect();
                let ok = matches!(ent.as_str(), "amp" | "lt" | "gt" | "quot" | "apos")
                    || ent
                        .strip_prefix("#x")
                        .is_some_and(|h| u32::from_str_radix(h, 16).is_ok())
                    || ent
                        .strip_prefix('#')
                        .is_some_and(|d| d.parse::<u32>().is_ok());
                if !ok {
                    return Err(format!("bad entity &{ent}; at {i}"));
                }
                out.push('&');
                *i += end + 1;
                continue;
            }
            out.push(c);
            *i += 1;
        }
        Ok(out)
    }
    fn element(s: &[char], i: &mut usize) -> Result<Element, String> {
        if s.get(*i) != Some(&'<') {
            return Err(format!("expected `<` at {i}"));
        }
        *i += 1;
        let tag = name(s, i)?;
        let mut attrs = BTreeMap::new();
        loop {
            ws(s, i);
            match s.get(*i) {
                Some('/') => {
                    if s.get(*i + 1) != Some(&'>') {
                        return Err(format!("bad `/` at {i}"));
                    }
                    *i += 2;
                    return Ok(Element {
                        name: tag,
                        attrs,
                        children: vec![],
                    });
                }
                Some('>') => {
                    *i += 1;
                    break;
                }
                Some(_) => {
                    let k = name(s, i)?;
                    ws(s, i);
                    if s.get(*i) != Some(&'=') {
                        return Err(format!("expected `=` at {i}"));
                    }
                    *i += 1;
                    ws(s, i);
                    if s.get(*i) != Some(&'"') {
                        return Err(format!("expected `\"` at {i}"));
                    }
                    *i += 1;
                    let v = text(s, i, '"')?;
                    *i += 1;
                    if attrs.insert(k.clone(), v).is_some() {
                        return Err(format!("duplicate attribute {k}"));
                    }
                }
                None => return Err("unclosed start tag".into()),
            }
        }
        let mut children = Vec::new();
        loop {
            text(s, i, '<')?;
            if *i >= s.len() {
                return Err(format!("`{tag}` is not closed"));
            }
            if s.get(*i + 1) == Some(&'/') {
                *i += 2;
                let end = name(s, i)?;
                if end != tag {
                    return Err(format!("`</{end}>` closes `<{tag}>`"));
                }
                ws(s, i);
                if s.get(*i) != Some(&'>') {
                    return Err("bad end tag".into());
                }
                *i += 1;
                return Ok(Element {
                    name: tag,
                    attrs,
                    children,
                });
            }
            children.push(element(s, i)?);
        }
    }
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    if !s.starts_with(decl) {
        return Err("no XML declaration".into());
    }
    i += decl.chars().count();
    ws(&chars, &mut i);
    let root = element(&chars, &mut i)?;
    ws(&chars, &mut i);
    if i != chars.len() {
        return Err(format!("content after the root element at {i}"));
    }
    Ok(root)
}

fn check_junit(xml: &str) -> Element {
    let root =
        parse_xml(xml).unwrap_or_else(|e| panic!("JUnit XML is not well-formed: {e}\n{xml}"));
    assert_eq!(root.name, "testsuites");
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite");
        let cases = &suite.children;
        assert!(cases.iter().all(|c| c.name == "testcase"));
        let f = cases.iter().filter(|c| c.has("failure")).count();
        let s = cases.iter().filter(|c| c.has("skipped")).count();
        assert_eq!(
            suite.count("tests"),
            cases.len(),
            "suite {}",
            suite.attr("name")
        );
        assert_eq!(suite.count("failures"), f);
        assert_eq!(suite.count("skipped"), s);
        assert_eq!(suite.count("errors"), 0);
        for c in cases {
            assert!(!c.attr("name").is_empty() && !c.attr("classname").is_empty());
        }
        tests += cases.len();
        failures += f;
        skipped += s;
    }
    assert_eq!(root.count("tests"), tests);
    assert_eq!(root.count("failures"), failures);
    assert_eq!(root.count("skipped"), skipped);
    root
}

#[test]
fn junit_is_well_formed_with_consistent_counts() {
    let root = check_junit(&render(&fixed_report(), Format::Junit, false));
    // 5 errors fail at the default threshold (engine-version, policy,
    // network-count, module-ref, waiver-expired); waived + expected skip.
    assert_eq!(root.count("failures"), 5);
    assert_eq!(
        root.count("skipped"),
        3,
        "waived, expected, one incomplete input"
    );
    assert_eq!(root.count("tests"), 10);
    let suites: Vec<&str> = root.children.iter().map(|s| s.attr("name")).collect();
    assert_eq!(
        suites,
        [
            "engine",
            "iam",
            "topology",
            "dependency",
            "config",
            "coverage"
        ]
    );
    let shop = check_junit(&render(&shop_report(), Format::Junit, false));
    assert_eq!(shop.count("failures"), 18);

    // The threshold is the context's --fail-on.
    let ctx = RenderContext {
        fail_on: Some(Severity::Warning),
        ..RenderContext::default()
    };
    let xml = fixed_report().render_with(Format::Junit, &RenderOptions::default(), &ctx);
    assert_eq!(check_junit(&xml).count("failures"), 6);
    let ctx = RenderContext {
        fail_on: None,
        ..RenderContext::default()
    };
    let xml = fixed_report().render_with(Format::Junit, &RenderOptions::default(), &ctx);
    assert_eq!(check_junit(&xml).count("failures"), 0);

    // Nothing to report is still one passing test.
    let empty = Report::new(["staging", "prod"], "code", vec![], 3, 9, vec![]);
    let root = check_junit(&render(&empty, Format::Junit, false));
    assert_eq!((root.count("tests"), root.count("failures")), (1, 0));
}

#[test]
fn the_xml_checker_rejects_what_it_should() {
    let d = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    assert!(parse_xml(&format!("{d}<a><b></a>")).is_err());
    assert!(parse_xml(&format!("{d}<a>x < y</a>")).is_err());
    assert!(parse_xml(&format!("{d}<a>x & y</a>")).is_err());
    assert!(parse_xml(&format!("{d}<a x=\"1\" x=\"2\"/>")).is_err());
    assert!(parse_xml(&format!("{d}<a/><b/>")).is_err());
    assert!(parse_xml(&format!("{d}<a>\u{1}</a>")).is_err());
    assert!(parse_xml(&format!("{d}<a k=\"&lt;&#39;\">t&amp;<b/></a>")).is_ok());
}

// ---- GitHub workflow commands ------------------------------------------------

#[test]
fn github_commands_are_one_line_each_and_escaped() {
    let out = render(&fixed_report(), Format::Github, false);
    let lines: Vec<&str> = out.lines().collect();
    // Violations only (no expected, no waived), then one warning per input
    // that was not read.
    assert_eq!(lines.len(), 8, "{out}");
    assert!(lines[7].starts_with("::warning title=parity%3A incomplete::"));
    for line in &lines {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "{line}"
        );
        let (props, _) = line[2..].split_once("::").expect("command and message");
        for p in props.split_once(' ').unwrap().1.split(',') {
            let (_, v) = p.split_once('=').expect("key=value");
            assert!(!v.contains(':'), "unescaped `:` in {p}");
        }
        assert!(!line.contains('\r'));
    }
    let waf = lines
        .iter()
        .find(|l| l.contains("title=module-ref"))
        .unwrap();
    assert!(waf.starts_with("::error file=envs/staging/main.tf,line=74,title=module-ref::"));
    assert!(waf.contains("100%25"), "percent escaped: {waf}");
    assert!(!waf.contains('\n'), "one line per command");
    assert!(waf.contains("prod: `v1.4.0`, 100%25: ok next & @team at envs/prod/main.tf:74"));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("::notice title=config-difference::")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("::error file=parity.toml,line=41,title=waiver-expired::")));
}

// ---- HTML ------------------------------------------------------------------

#[test]
fn html_is_self_contained_and_escaped() {
    for r in [fixed_report(), shop_report()] {
        for verbose in [false, true] {
            let html = render(&r, Format::Html, verbose);
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(html.ends_with("</html>\n"));
            // No network reference in any tag or style: a URL may appear only
            // as visible text.
            let mut rest = html.as_str();
            while let Some(start) = rest.find('<') {
                let end = rest[start..].find('>').expect("tag closed") + start;
                let tag = &rest[start..=end];
                let lower = tag.to_ascii_lowercase();
                assert!(
                    !lower.contains("http:") && !lower.contains("https:") && !lower.contains("//"),
                    "network reference in {tag}"
                );
                assert!(!lower.starts_with("<script"), "{tag}");
                assert!(!lower.starts_with("<link"), "{tag}");
                assert!(!lower.starts_with("<img"), "{tag}");
                assert!(!lower.contains(" src="), "{tag}");
                rest = &rest[end + 1..];
            }
            assert!(!html.contains("url("), "no CSS url()");
            assert!(!html.contains("@import"));
        }
    }
    let html = render(&fixed_report(), Format::Html, false);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;b&gt;v1.6.0&lt;/b&gt;"));
    assert!(html.contains("<details><summary>Policy diff:"));
    assert!(html.contains("id=\"incomplete\""));
}

// ---- secrets -----------------------------------------------------------------

#[test]
fn a_secret_never_shows_in_any_format() {
    let secret = sensitive("CANARY-secret");
    let shown = secret.display();
    assert_eq!(shown, "(sensitive)");
    let mut f = finding(
        "credentials",
        Category::Config,
        Severity::Error,
        "module.db.aws_db_instance.main",
        Some("password"),
        Some(&shown),
        Some(&shown),
        &[
            ("staging", "modules/db/main.tf:81"),
            ("prod", "modules/db/main.tf:81"),
        ],
        "differs: (sensitive) vs (sensitive)",
    );
    // Even a raw redaction marker that slipped into a finding is masked.
    let raw = secret.as_str().expect("a string").to_string();
    let mut leaked = f.clone();
    leaked.attribute = Some("master_password".into());
    leaked.left = Some(raw.clone());
    leaked.message = format!("differs: {raw} vs x");
    f.diff = Some(format!("--- staging\n+++ prod\n-{raw}\n+x\n"));
    let r = Report::new(["staging", "prod"], "code", vec![f, leaked], 1, 2, vec![]);
    for format in Format::ALL {
        for verbose in [false, true] {
            let out = render(&r, format, verbose);
            assert!(!out.contains("CANARY"), "{format} shows the secret");
            // Table and JSON render the finding as it is (they predate this
            // defence); the formats here mask even a raw marker.
            if !matches!(format, Format::Json | Format::Table) {
                assert!(!out.contains(&raw), "{format} shows the redaction marker");
                assert!(!out.contains("\u{1}"), "{format} shows a control character");
                let digest = &raw[raw.len() - 32..];
                assert!(!out.contains(digest), "{format} shows the salted hash");
                // The svg picture shows no finding's values, only the
                // topology (tests/topology.rs checks its secrets).
                if format != Format::Svg {
                    assert!(out.contains("(sensitive)"), "{format}");
                }
            }
        }
    }
}

// ---- with a baseline ---------------------------------------------------------

/// The fixed report judged against a baseline that knew the engine version
/// and policy findings and a since-fixed multi-AZ difference.
fn baselined_report() -> Report {
    let mut old: Vec<Finding> = findings()
        .into_iter()
        .filter(|f| ["engine-version", "iam-inline-policy"].contains(&f.rule.as_str()))
        .collect();
    old.push(finding(
        "db-multi-az",
        Category::Topology,
        Severity::Error,
        "module.db.aws_db_instance.main",
        Some("multi_az"),
        Some("false"),
        Some("true"),
        &[
            ("staging", "modules/db/main.tf:84"),
            ("prod", "modules/db/main.tf:84"),
        ],
        "differs: false vs true",
    ));
    let base = Report::new(["staging", "prod"], "code", old, 12, 80, vec![]);
    let mut r = fixed_report();
    parity::baseline::apply(&mut r, &base);
    r
}

#[test]
fn formats_show_the_baseline() {
    let r = baselined_report();
    let b = r.summary.baseline.clone().unwrap();
    assert_eq!((b.new, b.existing, b.resolved), (6, 2, 1));

    let md = render(&r, Format::Markdown, false);
    assert!(md.contains("Against the baseline: **6 new**, 2 existing, 1 resolved"));
    assert!(md.contains("| status | severity |"));
    assert!(md.contains("### Resolved since the baseline: 1"));
    insta::assert_snapshot!("baselined_markdown", md);

    let html = render(&r, Format::Html, false);
    assert!(html.contains("<span class=\"badge b-new\">6 new</span>"));
    assert!(html.contains("id=\"resolved\""));
    insta::assert_snapshot!("baselined_html", html);

    // SARIF: no result for what is gone; a state for the rest.
    let v: serde_json::Value = serde_json::from_str(&render(&r, Format::Sarif, false)).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["ruleId"] != "db-multi-az"));
    let state = |rule: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .map(|r| r["baselineState"].clone())
    };
    assert_eq!(state("engine-version"), Some("unchanged".into()));
    assert_eq!(state("module-ref"), Some("new".into()));

    // JUnit: existing findings are skipped, the resolved one passes.
    let root = check_junit(&render(&r, Format::Junit, false));
    assert_eq!(
        root.count("failures"),
        3,
        "module-ref, network-count, waiver-expired"
    );
    assert_eq!(root.count("skipped"), 5);
    assert_eq!(root.count("tests"), 11);

    // GitHub: annotations for new violations only, and the unread input.
    let gh = render(&r, Format::Github, false);
    assert_eq!(gh.lines().count(), 6);
    assert_eq!(gh.matches("title=parity%3A incomplete").count(), 1);
    assert!(!gh.contains("title=engine-version"));
    assert!(!gh.contains("title=db-multi-az"));
}

#[test]
fn a_huge_markdown_comment_stays_under_the_limit() {
    let many: Vec<Finding> = (0..3000)
        .map(|i| {
            finding(
                "network-count",
                Category::Topology,
                Severity::Error,
                &format!("module.network.aws_subnet.private_{i:04}"),
                Some("@count"),
                Some("2"),
                Some("3"),
                &[
                    ("staging", "modules/network/main.tf:60"),
                    ("prod", "modules/network/main.tf:60"),
                ],
                "2 instances in staging, 3 in prod",
            )
        })
        .collect();
    let r = Report::new(["staging", "prod"], "code", many, 3000, 3000, vec![]);
    let md = render(&r, Format::Markdown, false);
    assert!(
        md.chars().count() < 65_536,
        "{} characters",
        md.chars().count()
    );
    let shown = md.lines().filter(|l| l.starts_with("| **error**")).count();
    assert!(shown > 100);
    assert!(
        md.contains(&format!("_{} findings not shown", 3000 - shown)),
        "{}",
        &md[md.len() - 300..]
    );
}
