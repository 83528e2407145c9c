//! Differential tests of the whole parser against hcl-edit: the helpers the
//! per-concept tests share, every fixture (whole, truncated and mangled),
//! generated expressions and fuzzed inputs.

use super::*;
use crate::sources::terraform::parse::parse_hcl_with;
use std::path::Path;

fn slow(text: &str) -> Option<Body> {
    parse_hcl_with(text, Path::new("t.tf"), "t.tf", false)
        .ok()
        .map(|f| f.body)
}

/// Both parsers accept `text`, the fast one without falling back, and
/// agree.
#[track_caller]
pub(super) fn same(text: &str) {
    let s = slow(text).unwrap_or_else(|| panic!("hcl-edit rejects {text:?}"));
    let f = parse(text).unwrap_or_else(|| panic!("fast path declined {text:?}"));
    assert_eq!(f, s, "for {text:?}");
}

/// hcl-edit rejects `text`, so the fast path must decline it.
#[track_caller]
pub(super) fn rejected(text: &str) {
    assert!(slow(text).is_none(), "hcl-edit accepts {text:?}");
    assert!(parse(text).is_none(), "fast path accepts {text:?}");
}

/// Whatever hcl-edit does, the fast path is either silent or equal (and
/// silent whenever hcl-edit itself rejects the text, even when
/// `parse_hcl` recovers from that error).
#[track_caller]
pub(super) fn consistent(text: &str) {
    let f = parse(text);
    if f.is_some() {
        assert!(
            hcl_edit::parser::parse_body(text).is_ok(),
            "fast path accepts what hcl-edit rejects: {text:?}"
        );
    }
    match slow(text) {
        None => assert!(
            f.is_none(),
            "fast path accepts what hcl-edit rejects: {text:?}"
        ),
        Some(s) => {
            if let Some(f) = f {
                assert_eq!(f, s, "for {text:?}");
            }
        }
    }
}

/// `template` is either silent or builds exactly what hcl-rs's
/// `Template::from_str` (hcl-edit's template parser) builds.
#[track_caller]
pub(super) fn template_consistent(text: &str) -> bool {
    let fast = template(text);
    let slow = text.parse::<hcl::template::Template>();
    match (fast, slow) {
        (Some(f), Ok(s)) => {
            assert_eq!(f, s, "template {text:?}");
            true
        }
        (Some(f), Err(e)) => {
            panic!("template fast path accepts {text:?} ({f:?}); hcl-edit: {e}")
        }
        (None, _) => false,
    }
}

#[test]
fn more_edges() {
    for t in [
        "a = var.\n  x\n",
        "a = [var\n  .x]\n",
        "a = -1.5e3\n",
        "a = <<EOF\n\\n $${x} %%{y} \\\"\nEOF\n",
        "a = <<-EOF\n\t\tx\n\t\tEOF\n",
        "a = \"%{ for x in l ~}%{ if x }${x}%{ endif }%{~ endfor }\"\n",
        "r \"a\" b \"c\" {\n}\n",
        "a = {\n  # only a comment\n}\n",
        "a = [ # c\n]\n",
        "a = f( # c\n)\n",
        "a = (\n  1 +\n  2\n)\n",
        "a = [\n  a ? b : c,\n  d\n  ? e\n  : f,\n]\n",
        "a = {for k, v in m : k => v if v != null}\n",
        "a = [for s in l : s]\n",
        "a = \"${a+1}${b  *  2}${c\n  ==\n  d}\"\n",
        "a = \"${a .b .c}${a\n  .b}${a[0] [1]}\"\n",
        "a = \"${{a = 1\r\n b = 2\r\n}}\"\n",
        "a = \"${{a = 1 # c\r\n}}\"\n",
    ] {
        same(t);
    }
    for t in [
        "a = 1 /* multi\nline */ b = 2\n",
        "a = var\n  .x\n",
        "a = {for = 1}\n",
        "a = [for]\n",
        "b { a = <<EOF\nx\nEOF\n}\n",
        "b { a = <<EOF\nx\nEOF\n }\n",
        "a = {a = 1} {b = 2}\n",
        "a = x.y.\n",
        "a = x[\n",
        "a = \"${\"${\"${x}\"}\"}\"\n",
        "a = \"${\"a${\"b\"}\\n\"}\"\n",
        "a = \"${ {for k, v in m : k => v... }.x }\"\n",
        "a = \"${ -{for k, v in m : k => v... } }\"\n",
        "a = \"${ {for k, v in m : k => v... } == 1 }\"\n",
    ] {
        consistent(t);
    }
}

#[test]
fn nesting_limits() {
    let deep = format!("a = {}1{}\n", "[".repeat(70), "]".repeat(70));
    rejected(&deep);
    let ok = format!("a = {}1{}\n", "[".repeat(20), "]".repeat(20));
    same(&ok);
    let parens = format!("a = {}1{}\n", "(".repeat(100), ")".repeat(100));
    consistent(&parens);
    let chain = format!("a = 1{}\n", " + 1".repeat(200));
    rejected(&chain);
    let chain = format!("a = 1{}\n", " + 1".repeat(50));
    same(&chain);
    let blocks = format!("{}{}", "b {\n".repeat(70), "}\n".repeat(70));
    rejected(&blocks);
    let nots = format!("a = {}x\n", "!".repeat(80));
    rejected(&nots);
}

#[test]
fn every_fixture_file_takes_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    collect(&root, &mut files);
    assert!(
        files.len() > 10,
        "fixtures not found under {}",
        root.display()
    );
    for file in files {
        let raw = std::fs::read_to_string(&file).unwrap();
        let text = crate::sources::terraform::parse::strip_bom(&raw);
        match slow(text) {
            Some(s) => {
                let f =
                    parse(text).unwrap_or_else(|| panic!("fast path declined {}", file.display()));
                assert_eq!(f, s, "{}", file.display());
            }
            None => assert!(parse(text).is_none(), "{}", file.display()),
        }
    }
}

/// Random HCL expressions from the grammar, with random spacing and
/// comments, for [`generated_expressions_agree`].
struct Gen {
    seed: u64,
}

impl Gen {
    fn next(&mut self) -> u64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }

    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[(self.next() as usize) % items.len()]
    }

    /// Space where hcl-edit allows it inside brackets (`nl`) or not.
    fn sp(&mut self, nl: bool) -> &'static str {
        if nl {
            self.pick(&[
                "",
                " ",
                "  ",
                "\n  ",
                " # c\n ",
                " // c\n",
                " /* c */ ",
                "\r\n",
            ])
        } else {
            self.pick(&["", " ", " ", "  ", "\t", " /* c */ "])
        }
    }

    fn string(&mut self) -> String {
        let parts = [
            "a",
            "b c",
            "\\n",
            "\\t",
            "\\\"",
            "\\\\",
            "\\u0041",
            "\\u00e9",
            "$${x}",
            "%%{y}",
            "$",
            "%",
            "é",
            "\\/",
            "\\r",
            "\\b",
            "\\f",
            "\\U0001F600",
            "\\u001b",
            "\t",
        ];
        let mut s = String::from("\"");
        for _ in 0..(self.next() % 4) {
            s.push_str(self.pick(&parts));
        }
        s.push('"');
        s
    }

    fn template(&mut self, depth: u32, nl: bool) -> String {
        let mut s = String::from("\"");
        for _ in 0..(1 + self.next() % 3) {
            match self.next() % 6 {
                0 | 1 => {
                    let lit = self.string();
                    s.push_str(&lit[1..lit.len() - 1]);
                }
                2 | 3 => {
                    let strip_l = self.pick(&["", "~"]);
                    let strip_r = self.pick(&["", "~"]);
                    let (a, b) = (self.sp(true), self.sp(true));
                    let e = self.expr(depth + 1, true);
                    s.push_str(&format!("${{{strip_l}{a}{e}{b}{strip_r}}}"));
                }
                4 => {
                    let c = self.expr(depth + 1, false);
                    let (a, b) = (self.sp(false), self.sp(false));
                    s.push_str(&format!("%{{{a}if {c}{b}}}yes"));
                    if self.next().is_multiple_of(2) {
                        s.push_str("%{ else }no\\n");
                    }
                    s.push_str("%{endif}");
                }
                _ => {
                    let c = self.expr(depth + 1, false);
                    s.push_str(&format!(
                        "%{{for k, v in {c}}}${{k}}=${{ v }},%{{ endfor ~}}"
                    ));
                }
            }
        }
        let _ = nl;
        s.push('"');
        s
    }

    fn expr(&mut self, depth: u32, nl: bool) -> String {
        let leaf = depth > 3 || self.next().is_multiple_of(3);
        if leaf {
            return match self.next() % 9 {
                0 => self
                    .pick(&["1", "0", "42", "1.5", "2e3", "1.0", "007", "3.25E-2"])
                    .into(),
                1 => self.pick(&["true", "false", "null"]).into(),
                2 => self.string(),
                3 => self
                    .pick(&["var.x", "local.a-b", "each.key", "count.index"])
                    .into(),
                4 => self.pick(&["x", "foo_bar", "a-b"]).into(),
                5 => self.template(depth, nl),
                6 => "[]".into(),
                7 => "{}".into(),
                _ => self
                    .pick(&["var.l[0]", "var.l.0", "var.l[*].id", "var.m.*.x"])
                    .into(),
            };
        }
        let d = depth + 1;
        match self.next() % 14 {
            0 => {
                let (a, b) = (self.expr(d, nl), self.expr(d, nl));
                let op = self.pick(&[
                    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||",
                ]);
                format!("{a}{}{op}{}{b}", self.sp(nl), self.sp(nl))
            }
            1 => {
                let (a, b, c) = (self.expr(d, nl), self.expr(d, nl), self.expr(d, nl));
                format!(
                    "{a}{}?{}{b}{}:{}{c}",
                    self.sp(nl),
                    self.sp(nl),
                    self.sp(nl),
                    self.sp(nl)
                )
            }
            2 => format!(
                "{}{}{}",
                self.pick(&["-", "!"]),
                self.sp(false),
                self.expr(d, nl)
            ),
            3 => format!("({}{}{})", self.sp(true), self.expr(d, true), self.sp(true)),
            4 => {
                let mut s = String::from("[");
                for i in 0..(self.next() % 4) {
                    if i > 0 {
                        s.push(',');
                    }
                    let (a, b) = (self.sp(true), self.sp(true));
                    s.push_str(&format!("{a}{}{b}", self.expr(d, true)));
                }
                s.push_str(self.pick(&["]", ",]", " ]"]));
                s
            }
            5 => {
                let mut s = String::from("{");
                let keys = ["a", "b", "\"c\"", "(var.k)", "\"${d}\"", "e-f", "null"];
                for (i, key) in keys.iter().take((self.next() % 4) as usize).enumerate() {
                    if i > 0 {
                        s.push_str(self.pick(&[",", "\n", ", ", " # c\n", "\r\n"]));
                    }
                    let eq = self.pick(&["=", ":", " = ", " : "]);
                    s.push_str(&format!(
                        "{}{key}{eq}{}",
                        self.sp(true),
                        self.expr(d, false)
                    ));
                }
                s.push_str(self.pick(&["}", "\n}", ",}", " }"]));
                s
            }
            6 => {
                let name = self.pick(&["f", "format", "provider::aws::arn", "lookup"]);
                let mut s = format!("{name}(");
                let n = self.next() % 4;
                for i in 0..n {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&format!(
                        "{}{}{}",
                        self.sp(true),
                        self.expr(d, true),
                        self.sp(true)
                    ));
                }
                if n > 0 {
                    s.push_str(self.pick(&["", ",", "..."]));
                }
                s.push(')');
                s
            }
            7 => {
                let base = self.expr(d, nl);
                let mut s = format!("({base})");
                for _ in 0..(1 + self.next() % 3) {
                    let op = match self.next() % 5 {
                        0 => ".x".to_string(),
                        1 => ".0".to_string(),
                        2 => "[*]".to_string(),
                        3 => ".*".to_string(),
                        _ => format!("[{}{}{}]", self.sp(true), self.expr(d, true), self.sp(true)),
                    };
                    s.push_str(self.sp(nl));
                    s.push_str(&op);
                }
                s
            }
            8 => {
                let (c, v) = (self.expr(d, false), self.expr(d, true));
                let cond = if self.next().is_multiple_of(2) {
                    format!(" if {}", self.expr(d, true))
                } else {
                    String::new()
                };
                format!("[for x in {c} :{}{v}{cond}]", self.sp(true))
            }
            9 => {
                let (c, k, v) = (
                    self.expr(d, false),
                    self.expr(d, false),
                    self.expr(d, false),
                );
                let group = self.pick(&["", "...", "... "]);
                let cond = if self.next().is_multiple_of(2) {
                    format!(" if {}", self.expr(d, true))
                } else {
                    String::new()
                };
                format!("{{for k, v in {c} : {k} => {v}{group}{cond}}}")
            }
            10 => self.template(d, nl),
            _ => {
                let mut s = self.pick(&["var", "local", "module", "data"]).to_string();
                for _ in 0..(1 + self.next() % 3) {
                    s.push_str(self.sp(nl));
                    s.push_str(self.pick(&[".a", ".b_c", "[0]", ".*", "[*]", ".1"]));
                }
                s
            }
        }
    }
}

/// Random expressions (as attribute values, and inside templates)
/// parse the same both ways, and most are taken by the fast path.
#[test]
fn generated_expressions_agree() {
    let mut g = Gen {
        seed: 0x2545_f491_4f6c_dd1d,
    };
    let (mut valid, mut fast) = (0, 0);
    for i in 0..6000 {
        let e = g.expr(0, false);
        let text = if i % 3 == 0 {
            format!("a = \"${{{e}}}\"\n")
        } else if i % 3 == 1 {
            format!("a = <<-EOT\n  x ${{{e}}}\n    %{{ if {e} }}\n    y\n  %{{ endif }}\n  EOT\n")
        } else {
            format!("a = {e}\n")
        };
        consistent(&text);
        if slow(&text).is_some() {
            valid += 1;
            if parse(&text).is_some() {
                fast += 1;
            }
        }
    }
    assert!(valid > 1500, "only {valid} generated inputs were valid");
    assert!(fast * 100 >= valid * 95, "fast path took {fast} of {valid}");
}

/// An integer literal past `u64` is the one text the fast parser accepts
/// and hcl-edit rejects: a call no source can spell holds its digits.
#[test]
fn big_integer_literals_load() {
    let text = "x = 100000000000000000000\ny = -18446744073709551616\n";
    assert!(slow(text).is_none(), "hcl-edit now accepts big literals");
    let body = parse(text).expect("fast path declined a big literal");
    let digits: Vec<&str> = body
        .attributes
        .iter()
        .filter_map(|a| match &a.expr {
            hcl::Expression::FuncCall(call) => super::big_literal(call),
            _ => None,
        })
        .collect();
    assert_eq!(digits, ["100000000000000000000", "-18446744073709551616"]);
}

/// Every template of every fixture, and mangled copies of each.
#[test]
fn fixture_templates_and_mangled_copies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut texts = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if let Some(b) = parse(&text) {
            texts.extend(template_texts(&b));
        }
    }
    assert!(
        texts.len() >= 40,
        "only {} templates in the fixtures",
        texts.len()
    );
    let mut fast = 0;
    for t in &texts {
        if template_consistent(t) {
            fast += 1;
        }
    }
    let plain = texts.iter().filter(|t| !t.contains("%{")).count();
    assert_eq!(
        fast, plain,
        "fast path declined a fixture template without directives"
    );
    let flips: &[u8] = b"{}[]()\"$%~\\ \n.,:?";
    let mut rng = Gen {
        seed: 0x2545_f491_4f6c_dd1d,
    };
    let mut checked = 0;
    for t in &texts {
        let raw = t.as_bytes();
        for cut in 0..raw.len() {
            if let Ok(p) = std::str::from_utf8(&raw[..cut]) {
                template_consistent(p);
            }
        }
        for _ in 0..60 {
            let mut bytes = raw.to_vec();
            if bytes.is_empty() {
                break;
            }
            let seed = rng.next();
            let at = (seed as usize) % bytes.len();
            bytes[at] = flips[((seed >> 32) as usize) % flips.len()];
            if let Ok(m) = String::from_utf8(bytes) {
                template_consistent(&m);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} mangled templates");
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".hcl") {
                out.push(path);
            }
        }
    }
}

/// Truncated prefixes and byte flips of every fixture: no panic, and
/// never accepted when hcl-edit rejects (or different when it accepts).
#[test]
fn fuzz_prefixes_and_flips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut rng = Gen {
        seed: 0x9e37_79b9_7f4a_7c15,
    };
    let mut next = move || rng.next();
    let flips: &[u8] = b"{}[]()\"'$%~#/*\n\r\t =:,.?<>-!+&|\\ax0";
    for file in files {
        let raw = std::fs::read(&file).unwrap();
        let step = (raw.len() / 40).max(1);
        for cut in (0..raw.len()).step_by(step) {
            if let Ok(text) = std::str::from_utf8(&raw[..cut]) {
                consistent(text);
            }
        }
        for _ in 0..60 {
            let mut bytes = raw.clone();
            if bytes.is_empty() {
                break;
            }
            for _ in 0..(1 + next() % 3) {
                let at = (next() as usize) % bytes.len();
                bytes[at] = flips[(next() as usize) % flips.len()];
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                consistent(text);
            }
        }
    }
}
