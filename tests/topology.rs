//! The pictures (issue #20 item 6): `--format svg`, the SVG in the HTML
//! report and the Mermaid flowchart in the markdown report. The bundled
//! example's pictures are pinned with insta; the same input gives the same
//! bytes; text from the input can neither break the SVG's XML nor add
//! anything to the Mermaid chart; secrets never show.

mod common;

use common::{parity, shop, tree};

fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = parity(dir).args(args).output().expect("run parity");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

/// The chart between the markdown report's ```mermaid fence and its end.
fn mermaid_of(markdown: &str) -> String {
    let start = markdown.find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
    let len = markdown[start..].find("```").expect("the fence closes");
    markdown[start..start + len].to_string()
}

/// Every element name of an SVG, after checking it is well-formed XML.
fn elements(svg: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0i64;
    for token in xmlparser::Tokenizer::from(svg) {
        match token.unwrap_or_else(|e| panic!("not well-formed XML: {e}")) {
            xmlparser::Token::ElementStart { local, .. } => {
                names.push(local.as_str().to_string());
                depth += 1;
            }
            xmlparser::Token::ElementEnd { end, .. } => match end {
                xmlparser::ElementEnd::Open => {}
                xmlparser::ElementEnd::Close(..) | xmlparser::ElementEnd::Empty => depth -= 1,
            },
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unbalanced elements");
    names
}

#[test]
fn shop_svg_is_pinned_and_deterministic() {
    let args = ["diff", "staging", "prod", "--format", "svg"];
    let (code, svg) = run(&shop(), &args);
    assert_eq!(code, 2, "the shop has errors");
    let (_, again) = run(&shop(), &args);
    assert_eq!(svg, again, "same input, same bytes");
    let names = elements(&svg);
    assert!(!names.iter().any(|n| n == "script" || n == "foreignObject"));
    // What differs is highlighted: the third zone's subnets exist in prod
    // only, staging's application port is open to the internet.
    assert!(svg.contains("not in staging"), "{svg}");
    assert!(svg.contains("only in prod"));
    assert!(svg.contains("tcp 8080, only in staging"));
    assert!(svg.contains("postgres 15.7") && svg.contains("postgres 15.5"));
    insta::assert_snapshot!("shop_svg", svg);
}

#[test]
fn shop_state_svg_shows_the_cache_stack() {
    let (code, svg) = run(
        &shop(),
        &[
            "diff", "staging", "prod", "--source", "state", "--format", "svg",
        ],
    );
    assert_eq!(code, 2);
    elements(&svg);
    assert!(
        svg.contains("redis 7.1") && svg.contains("redis 6.2"),
        "{svg}"
    );
    assert!(svg.contains("tcp 6379"));
}

#[test]
fn shop_mermaid_is_pinned_and_the_html_embeds_the_svg() {
    let (code, md) = run(
        &shop(),
        &["diff", "staging", "prod", "--format", "markdown"],
    );
    assert_eq!(code, 2);
    let chart = mermaid_of(&md);
    assert!(chart.starts_with("flowchart LR\n"));
    insta::assert_snapshot!("shop_mermaid", chart);

    let (_, svg) = run(&shop(), &["diff", "staging", "prod", "--format", "svg"]);
    let (code, html) = run(&shop(), &["diff", "staging", "prod", "--format", "html"]);
    assert_eq!(code, 2);
    assert!(html.contains("<section id=\"topology\">"));
    assert!(html.contains(&svg), "the HTML report holds the same SVG");
}

/// Names and values made to break out of the SVG's text, the Mermaid
/// label, or the markdown fence.
const HOSTILE_KEY: &str =
    r#"a</text><script>alert(1)</script>"]; click e0n1 call alert() %% ``` #quot; | x"#;

fn hostile_project(engine: &str) -> tempfile::TempDir {
    let hcl = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let (key, engine) = (hcl(HOSTILE_KEY), hcl(engine));
    let code = |env: &str, cidr: &str| {
        format!(
            r#"
variable "db_password" {{
  type      = string
  sensitive = true
  default   = "hunter2-{env}-SECRET"
}}

resource "aws_vpc" "main" {{
  cidr_block = "{cidr}.0.0/16"
}}

resource "aws_subnet" "private" {{
  for_each          = toset(["{key}"])
  vpc_id            = aws_vpc.main.id
  availability_zone = each.key
  cidr_block        = "{cidr}.1.0/24"
}}

resource "aws_security_group" "db" {{
  vpc_id = aws_vpc.main.id
  ingress {{
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["{cidr}.0.0/16"]
  }}
}}

resource "aws_db_instance" "main" {{
  engine                 = "postgres"
  engine_version         = "{engine}"
  instance_class         = "db.t3.small"
  password               = var.db_password
  vpc_security_group_ids = [aws_security_group.db.id]
}}

resource "aws_db_instance" "secret" {{
  engine         = "postgres"
  engine_version = var.db_password
  instance_class = "db.t3.small"
}}
"#
        )
    };
    tree(&[
        ("staging/main.tf", &code("staging", "10.10")),
        ("prod/main.tf", &code("prod", "10.20")),
    ])
}

#[test]
fn text_from_the_input_cannot_escape_svg_or_mermaid() {
    let dir = hostile_project(r#"15.7"] --> X[pwned</text>"#);
    let (_, svg) = run(dir.path(), &["diff", "staging", "prod", "--format", "svg"]);
    let names = elements(&svg);
    assert!(!names.iter().any(|n| n == "script"), "{names:?}");
    assert!(
        svg.contains("&lt;script&gt;"),
        "the name is shown, escaped: {svg}"
    );

    let (_, md) = run(
        dir.path(),
        &["diff", "staging", "prod", "--format", "markdown"],
    );
    let chart = mermaid_of(&md);
    // Every line of the chart is one of the shapes the renderer writes: an
    // injected `"]`, `click`, `%%` or fence would make a line of another shape.
    let shapes = [
        r#"^flowchart LR$"#,
        r#"^  subgraph e[01]\["[^"]*"\]$"#,
        r#"^    subgraph e[01]t\d+\["[^"]*"\]$"#,
        r#"^ +direction (TB|LR)$"#,
        r#"^ *end$"#,
        r#"^ +e[01]n\d+\["[^"\n]*"\]$"#,
        r#"^  e[01]n\d+ (-->|-\.->)\|"[^"|]*"\| e[01]n\d+$"#,
        r#"^  classDef (error|warning|info|ghost) [^"]*$"#,
        r#"^  class (e[01]n\d+,)*e[01]n\d+ (error|warning|info|ghost)$"#,
    ];
    let shapes: Vec<regex::Regex> = shapes
        .iter()
        .map(|s| regex::Regex::new(s).expect("regex"))
        .collect();
    for line in chart.lines() {
        assert!(
            shapes.iter().any(|re| re.is_match(line)),
            "a line of no known shape: {line:?}\n{chart}"
        );
        assert!(!line.contains('`'), "{line}");
    }
    assert!(
        chart.contains("#quot;]; click e0n1 call alert()"),
        "{chart}"
    );
    // The markdown report's fence is closed by the renderer, not the input.
    assert_eq!(md.matches("```").count(), 2, "{md}");

    // Secrets: neither picture (nor the HTML around one) shows them.
    let (_, html) = run(dir.path(), &["diff", "staging", "prod", "--format", "html"]);
    for (name, text) in [("svg", &svg), ("markdown", &md), ("html", &html)] {
        assert!(!text.contains("hunter2"), "{name} shows a secret");
        assert!(!text.contains('\u{1}'), "{name} shows a redaction marker");
    }
    assert!(svg.contains("(sensitive)"), "{svg}");
}

#[test]
fn without_a_network_the_svg_says_so() {
    let dir = tree(&[
        (
            "staging/main.tf",
            "resource \"aws_sqs_queue\" \"q\" {\n  name = \"q-staging\"\n}\n",
        ),
        (
            "prod/main.tf",
            "resource \"aws_sqs_queue\" \"q\" {\n  name = \"q-prod\"\n}\n",
        ),
    ]);
    let (code, svg) = run(dir.path(), &["diff", "staging", "prod", "--format", "svg"]);
    assert_eq!(code, 0);
    elements(&svg);
    assert!(svg.contains("nothing to draw"), "{svg}");
}

#[test]
fn check_draws_no_topology_and_says_so() {
    let (code, svg) = run(&shop(), &["check", "--format", "svg"]);
    assert_eq!(code, 2, "the exit code is the check's");
    elements(&svg);
    assert!(
        svg.contains("This command draws no topology: `parity diff A B --format svg` does."),
        "{svg}"
    );
}
