//! Rule packs: the built-in TOML packs under `rules/` (embedded in the
//! binary), the user's own pack files, and docs/rules.md.
//!
//! A pack is a list of `[[rule]]` tables. Loading is strict: unknown fields,
//! ids that are not kebab-case, empty lists and an id defined twice are
//! errors that name the file and line, because a rule that silently fails to
//! load is a check that silently stops running.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use toml::Spanned;

use super::{Comparator, Rule, VersionLevel};
use crate::findings::Category;

/// The built-in packs: (file name, contents), in load order.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    ("rules/engine.toml", include_str!("../../rules/engine.toml")),
    ("rules/iam.toml", include_str!("../../rules/iam.toml")),
    (
        "rules/topology.toml",
        include_str!("../../rules/topology.toml"),
    ),
    (
        "rules/dependency.toml",
        include_str!("../../rules/dependency.toml"),
    ),
    (
        "rules/expected.toml",
        include_str!("../../rules/expected.toml"),
    ),
    (
        "rules/identity.toml",
        include_str!("../../rules/identity.toml"),
    ),
    ("rules/config.toml", include_str!("../../rules/config.toml")),
];

/// Why a pack could not be loaded. Each message names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    #[error("rule id `{id}` defined twice: {first} and {second}")]
    DuplicateId {
        id: String,
        first: String,
        second: String,
    },
    #[error("cannot read rule pack {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{location}: rule id `{id}` is not kebab-case (lower-case letters, digits and single `-` between them)")]
    InvalidId { location: String, id: String },
    #[error("{location}: rule `{id}` has an empty `{field}`")]
    Empty {
        location: String,
        id: String,
        field: &'static str,
    },
    #[error("{location}: rule `{id}` sets `level`, which only `compare = \"version\"` takes (this rule uses `{compare}`)")]
    LevelWithoutVersion {
        location: String,
        id: String,
        compare: &'static str,
    },
}

/// The shape of a pack file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(default)]
    rule: Vec<Spanned<Rule>>,
}

/// A rule and where it is declared (`rules/engine.toml:12`).
struct Located {
    rule: Rule,
    location: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn validate(rule: &Rule, location: &str) -> Result<(), RuleError> {
    if !is_kebab_case(&rule.id) {
        return Err(RuleError::InvalidId {
            location: location.to_string(),
            id: rule.id.clone(),
        });
    }
    let empty = |field: &'static str| RuleError::Empty {
        location: location.to_string(),
        id: rule.id.clone(),
        field,
    };
    let blank = |items: &[String]| items.is_empty() || items.iter().any(|i| i.trim().is_empty());
    if blank(&rule.resources) {
        return Err(empty("resources"));
    }
    if blank(&rule.attributes) {
        return Err(empty("attributes"));
    }
    if rule.summary.trim().is_empty() {
        return Err(empty("summary"));
    }
    if rule.why.trim().is_empty() {
        return Err(empty("why"));
    }
    if rule.level.is_some() && rule.compare != Comparator::Version {
        return Err(RuleError::LevelWithoutVersion {
            location: location.to_string(),
            id: rule.id.clone(),
            compare: rule.compare.as_str(),
        });
    }
    Ok(())
}

/// Parse and validate one pack; `file` names it in messages.
fn parse_pack(file: &str, text: &str) -> Result<Vec<Located>, RuleError> {
    let pack: PackFile = toml::from_str(text).map_err(|e| RuleError::Syntax {
        file: file.to_string(),
        line: e.span().map_or(1, |span| line_of(text, span.start)),
        message: e.message().trim().to_string(),
    })?;
    pack.rule
        .into_iter()
        .map(|spanned| {
            let location = format!("{file}:{}", line_of(text, spanned.span().start));
            let rule = spanned.into_inner();
            validate(&rule, &location)?;
            Ok(Located { rule, location })
        })
        .collect()
}

fn check_unique(rules: &[Located]) -> Result<(), RuleError> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for r in rules {
        if let Some(first) = seen.insert(&r.rule.id, &r.location) {
            return Err(RuleError::DuplicateId {
                id: r.rule.id.clone(),
                first: first.to_string(),
                second: r.location.clone(),
            });
        }
    }
    Ok(())
}

fn into_rules(rules: Vec<Located>) -> Vec<Rule> {
    rules.into_iter().map(|r| r.rule).collect()
}

fn builtin_located() -> Result<Vec<Located>, RuleError> {
    let mut all = Vec::new();
    for (file, text) in BUILTIN_PACKS {
        all.extend(parse_pack(file, text)?);
    }
    check_unique(&all)?;
    Ok(all)
}

/// The built-in rules, in pack order.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    builtin_located().map(into_rules)
}

fn read(path: &Path) -> Result<String, RuleError> {
    crate::input::read_text(path, crate::input::SMALL_FILE).map_err(|source| RuleError::Io {
        path: path.to_path_buf(),
        cause: source,
    })
}

fn load_located(path: &Path) -> Result<Vec<Located>, RuleError> {
    let io = |source| RuleError::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    if !path.is_dir() {
        return parse_pack(&path.display().to_string(), &read(path)?);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let file = entry.map_err(io)?.path();
        if !file.is_dir() && file.extension().is_some_and(|e| e == "toml") {
            files.push(file);
        }
    }
    files.sort();
    let mut all = Vec::new();
    for file in files {
        all.extend(parse_pack(&file.display().to_string(), &read(&file)?)?);
    }
    Ok(all)
}

/// Load a user pack file, or every `*.toml` in a folder (sorted by name).
/// An id defined twice among them is an error.
pub fn load_file(path: &Path) -> Result<Vec<Rule>, RuleError> {
    let rules = load_located(path)?;
    check_unique(&rules)?;
    Ok(into_rules(rules))
}

/// Load several pack files or folders (the `rules = [...]` of parity.toml);
/// an id defined twice anywhere among them is an error.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Rule>, RuleError> {
    let mut all = Vec::new();
    for path in paths {
        all.extend(load_located(path)?);
    }
    check_unique(&all)?;
    Ok(into_rules(all))
}

/// User rules replace built-in rules with the same id (in place, so the
/// order stays stable); new ids are appended.
pub fn merge(builtin: Vec<Rule>, user: Vec<Rule>) -> Vec<Rule> {
    let mut rules = builtin;
    for rule in user {
        match rules.iter_mut().find(|r| r.id == rule.id) {
            Some(slot) => *slot = rule,
            None => rules.push(rule),
        }
    }
    rules
}

/// Which built-in pack file defines a rule id.
pub fn pack_of(rule_id: &str) -> Option<&'static str> {
    static INDEX: OnceLock<BTreeMap<String, &'static str>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let mut index = BTreeMap::new();
            for (file, text) in BUILTIN_PACKS {
                // A broken built-in pack fails `builtin()` and its tests; here
                // it only means the ids of that file are not indexed.
                for located in parse_pack(file, text).unwrap_or_default() {
                    index.entry(located.rule.id).or_insert(*file);
                }
            }
            index
        })
        .get(rule_id)
        .copied()
}

fn category_intro(category: Category) -> &'static str {
    match category {
        Category::Engine => {
            "Database, cache, search, streaming, Kubernetes and runtime engines and their versions."
        }
        Category::Iam => {
            "Who may do what: role trust, identity and resource policies, compared as canonical policy documents."
        }
        Category::Topology => {
            "What exists and how it is wired: networks, redundancy, exposure to the internet."
        }
        Category::Dependency => {
            "Terraform itself, providers, modules and the images resources are built from."
        }
        Category::Config => {
            "Differences that are expected between environments, and the catch-all for differences no other rule covers."
        }
    }
}

fn heading(category: Category) -> &'static str {
    match category {
        Category::Engine => "Engine",
        Category::Iam => "IAM",
        Category::Topology => "Topology",
        Category::Dependency => "Dependency",
        Category::Config => "Config",
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{}`", cell(i)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn level_text(rule: &Rule) -> &'static str {
    match (rule.compare, rule.level) {
        (_, Some(VersionLevel::Major)) => "major",
        (_, Some(VersionLevel::Minor)) => "minor",
        (_, Some(VersionLevel::Patch)) => "patch",
        (Comparator::Version, None) => "minor (default)",
        _ => "—",
    }
}

const HOW_RULES_WORK: &str = "\
A rule says which attributes of which resource types to compare between two \
environments, how to compare them, and how much a difference matters. Rules \
live in TOML packs: the built-in packs under `rules/` are embedded in the \
binary, and files listed in `rules = [...]` of parity.toml add rules or \
replace a built-in rule with the same id.

For each resource type and attribute path the engine uses the most specific \
matching rule: an explicit type beats `*`, and an attribute pattern with more \
literal segments beats one with fewer. `config-difference` catches whatever \
no other rule covers, so no difference is silently dropped.

Pseudo attributes: `@present` (the resource exists in one environment only) \
and `@count` (the number of instances of one `count`/`for_each` address). \
Pseudo types: `terraform` (`required_version`), `terraform_provider` \
(`source`, `version_constraint`, `locked_version`) and `module_call` \
(`source`, `version`, `ref`, `source_kind`; `unpinned_ref` and \
`unpinned_version` say why a git or registry module is not pinned, \
`source_expression` and `version_expression` hold an expression written \
where Terraform wants a literal).

Comparators: `equal` (after normalization), `version` (up to `level`: major, \
minor or patch), `set` (order-free lists), `policy` (canonical IAM policy \
documents), `shape` (same structure; CIDRs compare by prefix length), \
`family` (instance classes: same family and architecture, size may differ), \
`present` (exists in both), `absent` (unset in every environment: a value is \
reported for each environment that holds it, even when both hold the same \
one), `ignore` (an expected difference, listed at `info` with \
`--verbose`) and `tokens` (`equal`, except that values differing only in \
generated, hash-like tokens are an expected difference at `info`; see \
[Identity-shaped values](#identity-shaped-values)).

### Presence by resource type

A resource that exists in one environment only is judged by the most \
specific rule for its type and `@present`: `critical-resource-presence` \
(`error`: networks, security groups, load balancers, databases, clusters, \
keys), `observability-presence` (`info`: alarms, dashboards, log metric and \
subscription filters, alert subscriptions, canaries) and \
`resource-presence` (`warning`: every other type). To judge a type \
differently, add a rule in your own pack: with the id of a built-in rule it \
replaces that rule (its types, severity and all); with a new id that names \
the type explicitly it wins over `resource-presence` for that type. A \
built-in rule that names the same type wins a tie with a rule of your own \
that is not a replacement, so to move a type out of \
`observability-presence` or `critical-resource-presence`, replace that \
rule:

```toml
# rules/presence.toml, listed in parity.toml as rules = [\"rules/presence.toml\"]
[[rule]]
id = \"observability-presence\"          # replaces the built-in rule
category = \"topology\"
severity = \"warning\"                   # staging must rehearse prod's alerting
resources = [\"aws_cloudwatch_metric_alarm\", \"aws_cloudwatch_dashboard\"]
attributes = [\"@present\"]
compare = \"present\"
summary = \"Alarms and dashboards exist in both environments\"
why = \"Our on-call rehearses alerts on staging.\"
```
";

/// A rule firing on its fixture, shown under the rule in docs/rules.md.
///
/// The fixtures live in `fixtures/rules/<rule-id>/` and are run by
/// tests/rule_fixtures.rs, which builds these from what the binary reports
/// and checks that docs/rules.md is what [`render_markdown_with_examples`]
/// makes of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The fixture folder, relative to the repository root
    /// (`fixtures/rules/engine-version`).
    pub fixture: String,
    /// The command run in that folder (`parity diff staging prod`).
    pub command: String,
    /// The fixture has a parity.toml the command reads (state paths, a
    /// `[[match]]`).
    pub config: bool,
    /// The files that differ between the two environments.
    pub files: Vec<ExampleFile>,
    /// The finding of the rule the command reports.
    pub finding: ExampleFinding,
}

/// One file of an example, as it is in each environment (empty when the
/// file exists in one environment only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFile {
    /// The path in the staging environment (`staging/main.tf`).
    pub staging_path: String,
    /// The path in the prod environment (`prod/main.tf`).
    pub prod_path: String,
    pub staging: String,
    pub prod: String,
}

/// The fields of a finding an example shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFinding {
    pub severity: String,
    pub resource: String,
    pub attribute: Option<String>,
    pub message: String,
}

/// Files up to this many lines are shown whole; longer ones (state files)
/// as the lines that differ and a few around them.
const WHOLE_FILE_LINES: usize = 30;

/// The unified diff of one example file, staging (`-`) against prod (`+`).
fn file_diff(file: &ExampleFile) -> String {
    let longest = file.staging.lines().count().max(file.prod.lines().count());
    let radius = if longest <= WHOLE_FILE_LINES {
        longest
    } else {
        3
    };
    let diff = similar::TextDiff::from_lines(&file.staging, &file.prod);
    let mut text = diff
        .unified_diff()
        .context_radius(radius)
        .missing_newline_hint(false)
        .header(&file.staging_path, &file.prod_path)
        .to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The fence for a block holding `text`: longer than any run of backticks
/// in it.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn render_example(out: &mut String, example: &Example) {
    let config = if example.config {
        format!(
            " (with its [`parity.toml`](../{}/parity.toml))",
            example.fixture
        )
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "\n**Example.** [`{fixture}`](../{fixture}/): `{command}`{config} compares\n",
        fixture = example.fixture,
        command = example.command,
    );
    for file in &example.files {
        let diff = file_diff(file);
        let fence = fence(&diff);
        let _ = write!(out, "\n{fence}diff\n{diff}{fence}\n");
    }
    let f = &example.finding;
    let target = match &f.attribute {
        Some(attribute) => format!("{}  {attribute}", f.resource),
        None => f.resource.clone(),
    };
    let finding = format!("{}  {target}\n  {}\n", f.severity, f.message.trim());
    let fence = fence(&finding);
    let _ = write!(out, "\nand reports\n\n{fence}text\n{finding}{fence}\n");
}

/// docs/rules.md without examples: how rules work, then one section per
/// category with each rule's summary, settings and why it matters. This is
/// `parity rules docs`, which also documents a project's own rules.
pub fn render_markdown(rules: &[Rule]) -> String {
    render(rules, &BTreeMap::new(), HEADER_PLAIN)
}

/// docs/rules.md as the repository keeps it: [`render_markdown`], with the
/// example of each rule that `examples` (keyed by rule id) holds after the
/// rule's settings.
pub fn render_markdown_with_examples(
    rules: &[Rule],
    examples: &BTreeMap<String, Example>,
) -> String {
    render(rules, examples, HEADER_EXAMPLES)
}

const HEADER_PLAIN: &str =
    "<!-- Generated from rules/*.toml by `parity rules docs`. Do not edit by hand. -->\n\n";

const HEADER_EXAMPLES: &str =
    "<!-- Generated from rules/*.toml and the fixtures in fixtures/rules/ by \
`PARITY_BLESS=1 cargo test --test rule_fixtures`. Do not edit by hand. -->\n\n";

/// Rules are sorted by id within a category, so the output depends only on
/// the rules and the examples.
fn render(rules: &[Rule], examples: &BTreeMap<String, Example>, header: &str) -> String {
    let mut out = String::new();
    out.push_str("# Rules reference\n\n");
    out.push_str(header);
    out.push_str("## How rules work\n\n");
    out.push_str(HOW_RULES_WORK);
    out.push_str(&super::compare::tokens_doc());
    for category in Category::ALL {
        let mut in_category: Vec<&Rule> = rules.iter().filter(|r| r.category == category).collect();
        if in_category.is_empty() {
            continue;
        }
        in_category.sort_by(|a, b| a.id.cmp(&b.id));
        // `write!` to a String cannot fail.
        let _ = write!(
            out,
            "\n## {}\n\n{}\n\n| Rule | Severity | Summary |\n|---|---|---|\n",
            heading(category),
            category_intro(category)
        );
        for rule in &in_category {
            let _ = writeln!(
                out,
                "| [{id}](#{id}) | {} | {} |",
                rule.severity,
                cell(&rule.summary),
                id = rule.id
            );
        }
        for rule in in_category {
            let _ = write!(
                out,
                "\n### {id}\n\n{summary}\n\n| | |\n|---|---|\n\
                 | Category | {category} |\n| Severity | {severity} |\n| Comparator | `{compare}` |\n\
                 | Level | {level} |\n| Resources | {resources} |\n| Attributes | {attributes} |\n\n\
                 **Why it matters.** {why}\n",
                id = rule.id,
                summary = rule.summary.trim(),
                category = rule.category,
                severity = rule.severity,
                compare = rule.compare.as_str(),
                level = level_text(rule),
                resources = code_list(&rule.resources),
                attributes = code_list(&rule.attributes),
                why = rule.why.trim(),
            );
            if let Some(example) = examples.get(&rule.id) {
                render_example(&mut out, example);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;

    const ONE: &str = r#"
[[rule]]
id = "my-rule"
category = "config"
severity = "warning"
resources = ["aws_s3_bucket"]
attributes = ["versioning"]
compare = "equal"
summary = "Bucket versioning matches"
why = "Restores depend on it."
"#;

    fn err(text: &str) -> String {
        match parse_pack("rules/x.toml", text) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn builtin_packs_load() {
        let rules = builtin().unwrap();
        assert!(rules.len() > 50, "{} rules", rules.len());
        for category in Category::ALL {
            assert!(rules.iter().any(|r| r.category == category), "{category}");
        }
        assert!(rules.iter().any(|r| r.id == "config-difference"));
    }

    #[test]
    fn rule_ids_are_unique_across_packs() {
        let rules = builtin_located().unwrap();
        let mut seen = BTreeMap::new();
        for r in &rules {
            if let Some(first) = seen.insert(r.rule.id.clone(), r.location.clone()) {
                panic!(
                    "rule id `{}` defined twice: {first} and {}",
                    r.rule.id, r.location
                );
            }
        }
    }

    #[test]
    fn every_rule_explains_itself() {
        for r in builtin().unwrap() {
            assert!(!r.summary.trim().is_empty(), "{}: empty summary", r.id);
            assert!(
                r.why.trim().ends_with('.'),
                "{}: `why` should be sentences",
                r.id
            );
            assert!(
                !r.summary.ends_with('.'),
                "{}: summary is a title, no full stop",
                r.id
            );
            assert!(
                r.compare != Comparator::Version || r.level.is_some(),
                "{}: version rules state their level",
                r.id
            );
        }
    }

    #[test]
    fn builtin_rules_name_known_types() {
        let pseudo = [
            "*",
            "terraform",
            "terraform_provider",
            "module_call",
            "pulumi_config",
        ];
        for r in builtin().unwrap() {
            for t in &r.resources {
                assert!(
                    t.starts_with("aws_") || pseudo.contains(&t.as_str()),
                    "{}: type `{t}`",
                    r.id
                );
            }
        }
    }

    fn example() -> Example {
        Example {
            fixture: "fixtures/rules/engine-version".into(),
            command: "parity diff staging prod".into(),
            config: false,
            files: vec![ExampleFile {
                staging_path: "staging/main.tf".into(),
                prod_path: "prod/main.tf".into(),
                staging:
                    "resource \"aws_db_instance\" \"main\" {\n  engine_version = \"15.7\"\n}\n"
                        .into(),
                prod: "resource \"aws_db_instance\" \"main\" {\n  engine_version = \"15.5\"\n}\n"
                    .into(),
            }],
            finding: ExampleFinding {
                severity: "error".into(),
                resource: "aws_db_instance.main".into(),
                attribute: Some("engine_version".into()),
                message: "minor version differs: 15.7 vs 15.5 (staging is newer)".into(),
            },
        }
    }

    #[test]
    fn examples_show_the_fixture_its_diff_and_the_finding() {
        let rules = builtin().unwrap();
        let examples = BTreeMap::from([("engine-version".to_string(), example())]);
        let md = render_markdown_with_examples(&rules, &examples);
        let section = md
            .split("\n### engine-version\n")
            .nth(1)
            .and_then(|rest| rest.split("\n### ").next())
            .unwrap();
        let expected = "\n**Example.** [`fixtures/rules/engine-version`](../fixtures/rules/engine-version/): \
`parity diff staging prod` compares\n\n```diff\n--- staging/main.tf\n+++ prod/main.tf\n@@ -1,3 +1,3 @@\n \
resource \"aws_db_instance\" \"main\" {\n-  engine_version = \"15.7\"\n+  engine_version = \"15.5\"\n }\n```\n\n\
and reports\n\n```text\nerror  aws_db_instance.main  engine_version\n  \
minor version differs: 15.7 vs 15.5 (staging is newer)\n```\n";
        assert!(section.ends_with(expected), "{section}");
        // Only the rule with an example gets one; without examples the
        // text is `parity rules docs`.
        assert_eq!(md.matches("**Example.**").count(), 1);
        let plain = render_markdown(&rules);
        assert!(!plain.contains("**Example.**"));
        assert_eq!(
            plain.replace(HEADER_PLAIN, ""),
            render_markdown_with_examples(&rules, &BTreeMap::new()).replace(HEADER_EXAMPLES, "")
        );
    }

    #[test]
    fn long_files_show_the_lines_around_the_change() {
        let lines: Vec<String> = (0..40).map(|i| format!("line {i}\n")).collect();
        let staging = lines.concat();
        let prod = staging.replace("line 20\n", "line twenty\n");
        let diff = file_diff(&ExampleFile {
            staging_path: "staging/terraform.tfstate".into(),
            prod_path: "prod/terraform.tfstate".into(),
            staging,
            prod,
        });
        assert!(diff.contains("@@ -18,7 +18,7 @@\n line 17\n"), "{diff}");
        assert!(
            !diff.contains("line 16\n") && !diff.contains("line 24\n"),
            "{diff}"
        );
        assert_eq!(fence("a ``` b"), "````");
        assert_eq!(fence("plain"), "```");
    }

    #[test]
    fn render_is_deterministic_and_sorted() {
        let rules = builtin().unwrap();
        let mut reversed = rules.clone();
        reversed.reverse();
        assert_eq!(render_markdown(&rules), render_markdown(&reversed));
        let md = render_markdown(&rules);
        assert!(md.contains("\n### engine-version\n"));
        assert!(md.contains("| Level | minor |"));
    }

    #[test]
    fn parses_a_pack_with_locations() {
        let rules = parse_pack("rules/x.toml", ONE).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].location, "rules/x.toml:2");
        assert_eq!(rules[0].rule.severity, Severity::Warning);
    }

    #[test]
    fn malformed_pack_names_the_line() {
        let text = ONE.replace("compare = \"equal\"", "compare = equal");
        assert!(err(&text).starts_with("rules/x.toml:8: "), "{}", err(&text));
        let text = ONE.replace("summary =", "sumary =");
        let e = err(&text);
        assert!(
            e.starts_with("rules/x.toml:9: unknown field `sumary`"),
            "{e}"
        );
        let e = err("[[rules]]\nid = \"x\"\n");
        assert!(
            e.starts_with("rules/x.toml:1: unknown field `rules`"),
            "{e}"
        );
    }

    #[test]
    fn invalid_rules_are_rejected() {
        let e = err(&ONE.replace("my-rule", "My_Rule"));
        assert_eq!(e, "rules/x.toml:2: rule id `My_Rule` is not kebab-case (lower-case letters, digits and single `-` between them)");
        let e = err(&ONE.replace("[\"aws_s3_bucket\"]", "[]"));
        assert_eq!(e, "rules/x.toml:2: rule `my-rule` has an empty `resources`");
        let e = err(&ONE.replace(
            "compare = \"equal\"",
            "compare = \"equal\"\nlevel = \"minor\"",
        ));
        assert_eq!(e, "rules/x.toml:2: rule `my-rule` sets `level`, which only `compare = \"version\"` takes (this rule uses `equal`)");
        assert!(is_kebab_case("engine-version-2"));
        assert!(!is_kebab_case("-x") && !is_kebab_case("a--b") && !is_kebab_case(""));
    }

    #[test]
    fn duplicate_ids_name_both_places() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.toml"), ONE).unwrap();
        std::fs::write(dir.path().join("a.toml"), format!("# first\n{ONE}")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a pack").unwrap();
        let e = load_file(dir.path()).unwrap_err().to_string();
        let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
        assert_eq!(
            e,
            format!(
                "rule id `my-rule` defined twice: {}:3 and {}:2",
                a.display(),
                b.display()
            )
        );
        let e = load_paths(&[a.clone(), b]).unwrap_err().to_string();
        assert!(e.starts_with("rule id `my-rule` defined twice"), "{e}");
        assert_eq!(load_file(&a).unwrap().len(), 1);
    }

    #[test]
    fn folder_loads_toml_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.toml"), ONE.replace("my-rule", "rule-b")).unwrap();
        std::fs::write(dir.path().join("a.toml"), ONE.replace("my-rule", "rule-a")).unwrap();
        std::fs::write(dir.path().join("empty.toml"), "# nothing yet\n").unwrap();
        let ids: Vec<String> = load_file(dir.path())
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, ["rule-a", "rule-b"]);
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = load_file(Path::new("/nonexistent/rules.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot read rule pack /nonexistent/rules.toml: "),
            "{e}"
        );
    }

    #[test]
    fn user_rules_override_by_id() {
        let builtin = builtin().unwrap();
        let count = builtin.len();
        let position = builtin
            .iter()
            .position(|r| r.id == "engine-version")
            .unwrap();
        let mut changed = builtin[position].clone();
        changed.severity = Severity::Warning;
        let extra = parse_pack("x", ONE).unwrap().remove(0).rule;
        let merged = merge(builtin, vec![changed.clone(), extra]);
        assert_eq!(merged.len(), count + 1);
        assert_eq!(merged[position], changed);
        assert_eq!(merged.last().unwrap().id, "my-rule");
    }

    #[test]
    fn pack_of_finds_the_file() {
        assert_eq!(pack_of("engine-version"), Some("rules/engine.toml"));
        assert_eq!(pack_of("config-difference"), Some("rules/config.toml"));
        assert_eq!(pack_of("no-such-rule"), None);
    }
}
