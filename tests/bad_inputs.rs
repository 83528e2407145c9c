//! Bad inputs: every kind of input parity reads (parity.toml, `.tf`,
//! `.tf.json`, `.tfvars`, state, plan, snapshot files, baselines, command
//! line arguments, filesystem oddities), built wrong on purpose. Each row
//! must end with its exit code and a first line of stderr that names the
//! problem: no panic, no hang (a 20 s timeout), no exit 0 where something
//! was not read.
//!
//! The same rows, with what parity actually printed, are the table of
//! docs/bad-inputs.md, checked here (`PARITY_BLESS=1 cargo test --test
//! bad_inputs` rewrites it).

mod common;

use std::path::Path;
use std::time::Duration;

use common::repo;

/// Something a row sets up beside its files.
#[derive(Clone, Copy)]
enum Special {
    /// A FIFO (named pipe) at this path.
    Fifo(&'static str),
    /// A symbolic link at the first path pointing at the second.
    Symlink(&'static str, &'static str),
    /// A sparse file of this many bytes.
    Sparse(&'static str, u64),
    /// Remove this file of the base project.
    Remove(&'static str),
}

struct Row {
    /// The kind of input.
    kind: &'static str,
    /// What is wrong with it.
    what: &'static str,
    /// Files written over the base project.
    files: &'static [(&'static str, &'static [u8])],
    special: &'static [Special],
    args: &'static [&'static str],
    code: i32,
    /// Text what it said must contain (see [`run`]).
    stderr: &'static str,
}

const MIB: u64 = 1024 * 1024;

const STATE: &[u8] = br#"{"version":4,"terraform_version":"1.9.0","serial":1,"lineage":"x","outputs":{},"resources":[]}"#;
const PLAN: &[u8] = br#"{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{"root_module":{}},"configuration":{"root_module":{}}}"#;

/// The base project every row starts from: two environments with code,
/// state and plan that agree.
const BASE: &[(&str, &[u8])] = &[
    (
        "parity.toml",
        br#"[environments.staging]
aliases = ["stg"]
terraform = { root = "staging" }
state = { paths = ["staging.tfstate"], plan = "staging.plan.json" }

[environments.prod]
terraform = { root = "prod" }
state = { paths = ["prod.tfstate"], plan = "prod.plan.json" }
"#,
    ),
    (
        "staging/main.tf",
        b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"logs\"\n}\n",
    ),
    (
        "prod/main.tf",
        b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"logs\"\n}\n",
    ),
    ("staging.tfstate", STATE),
    ("prod.tfstate", STATE),
    ("staging.plan.json", PLAN),
    ("prod.plan.json", PLAN),
];

const SNAP: &[u8] = br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","identity":{"aliases":[],"account_id":null,"region":null},"resources":[],"dependencies":[],"coverage":[]}"#;

const DIFF: &[&str] = &["diff", "staging", "prod"];
const DIFF_STATE: &[&str] = &["diff", "staging", "prod", "--source", "state"];
const DIFF_PLAN: &[&str] = &["diff", "staging", "prod", "--source", "plan"];
const DIFF_SNAP: &[&str] = &["diff", "a.json", "b.json"];

macro_rules! row {
    ($kind:expr, $what:expr, files: $files:expr, special: $special:expr, args: $args:expr, $code:expr, $stderr:expr) => {
        Row {
            kind: $kind,
            what: $what,
            files: $files,
            special: $special,
            args: $args,
            code: $code,
            stderr: $stderr,
        }
    };
    ($kind:expr, $what:expr, files: $files:expr, args: $args:expr, $code:expr, $stderr:expr) => {
        row!($kind, $what, files: $files, special: &[], args: $args, $code, $stderr)
    };
}

/// A snapshot pair: `a.json` as given, `b.json` valid.
macro_rules! snap {
    ($what:expr, $a:expr, $code:expr, $stderr:expr) => {
        row!("snapshot", $what, files: &[("a.json", $a), ("b.json", SNAP)], args: DIFF_SNAP, $code, $stderr)
    };
}

macro_rules! tf {
    ($what:expr, $text:expr, $code:expr, $stderr:expr) => {
        row!(".tf", $what, files: &[("staging/main.tf", $text)], args: DIFF, $code, $stderr)
    };
}

macro_rules! toml {
    ($what:expr, $text:expr, $code:expr, $stderr:expr) => {
        row!("parity.toml", $what, files: &[("parity.toml", $text)], args: DIFF, $code, $stderr)
    };
}

const ROWS: &[Row] = &[
    // Controls: the base project is fine.
    row!("control", "the base project, code", files: &[], args: DIFF, 0, ""),
    row!("control", "the base project, state", files: &[], args: DIFF_STATE, 0, ""),
    row!("control", "the base project, plan", files: &[], args: DIFF_PLAN, 0, ""),
    row!("control", "two valid snapshot files", files: &[("a.json", SNAP), ("b.json", SNAP)], args: DIFF_SNAP, 0, ""),
    // parity.toml
    toml!("not UTF-8", b"[environments.staging]\n# caf\xe9\n", 1, "parity.toml: line 2: invalid UTF-8"),
    toml!("TOML syntax error", b"[environments.staging\n", 1, "invalid configuration"),
    toml!("unknown top-level key", b"colour = \"red\"\n", 1, "invalid configuration"),
    toml!("an environment named \"\"", b"[environments.\"\"]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 1, "parity.toml:1:15: environments.\"\": an environment name cannot be empty"),
    toml!("an empty alias", b"[environments.staging]\naliases = [\"\"]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 1, "invalid configuration"),
    toml!("a waiver naming a rule that does not exist", concat!("[environments.staging]\nterraform = { root = \"staging\" }\n\n[environments.prod]\nterraform = { root = \"prod\" }\n", "\n[[waiver]]\nrule = \"no-such-rule\"\nresource = \"*\"\nreason = \"x\"\n").as_bytes(), 1, "parity.toml:7:1: waiver[0].rule: unknown rule `no-such-rule`"),
    toml!("a waiver with a typo in its rule id", concat!("[environments.staging]\nterraform = { root = \"staging\" }\n\n[environments.prod]\nterraform = { root = \"prod\" }\n", "\n[[waiver]]\nrule = \"engine-versio\"\nresource = \"*\"\nreason = \"x\"\n").as_bytes(), 1, "did you mean `engine-version`?"),
    toml!("a waiver without a reason", concat!("[environments.staging]\nterraform = { root = \"staging\" }\n\n[environments.prod]\nterraform = { root = \"prod\" }\n", "\n[[waiver]]\nrule = \"engine-version\"\nresource = \"*\"\n").as_bytes(), 1, "invalid configuration"),
    toml!("a waiver expiring on 2026-02-30", concat!("[environments.staging]\nterraform = { root = \"staging\" }\n\n[environments.prod]\nterraform = { root = \"prod\" }\n", "\n[[waiver]]\nrule = \"engine-version\"\nresource = \"*\"\nreason = \"x\"\nexpires = \"2026-02-30\"\n").as_bytes(), 1, "invalid configuration"),
    toml!("a check naming an unknown environment", concat!("[environments.staging]\nterraform = { root = \"staging\" }\n\n[environments.prod]\nterraform = { root = \"prod\" }\n", "\n[[check]]\nreference = \"prd\"\ncompare = [\"staging\"]\n").as_bytes(), 1, "invalid configuration"),
    toml!("fail-on with an unknown level", b"fail-on = \"sometimes\"\n[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 1, "invalid configuration"),
    toml!("a root that does not exist", b"[environments.staging]\nterraform = { root = \"nowhere\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 1, "invalid configuration"),
    toml!("root given as a number", b"[environments.staging]\nterraform = { root = 3 }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 1, "invalid configuration"),
    toml!("an alias shared by two environments", b"[environments.staging]\naliases = [\"x\"]\nterraform = { root = \"staging\" }\n[environments.prod]\naliases = [\"x\"]\nterraform = { root = \"prod\" }\n", 1, "invalid configuration"),
    toml!("an empty file", b"", 1, "unknown environment `staging`"),
    toml!("binary data", b"\x00\x01\x02", 1, "parity.toml"),
    row!("parity.toml", "a FIFO", files: &[], special: &[Special::Remove("parity.toml"), Special::Fifo("parity.toml")], args: DIFF, 1, "FIFO"),
    row!("parity.toml", "a symlink to /dev/zero", files: &[], special: &[Special::Remove("parity.toml"), Special::Symlink("parity.toml", "/dev/zero")], args: DIFF, 1, "character device"),
    row!("parity.toml", "larger than its limit (16 MiB)", files: &[], special: &[Special::Remove("parity.toml"), Special::Sparse("parity.toml", 17 * MIB)], args: DIFF, 1, "over the limit of 16 MiB"),
    row!("parity.toml", "var-files naming a FIFO", files: &[("parity.toml", b"[environments.staging]\nterraform = { root = \"staging\", var-files = [\"x.tfvars\"] }\n[environments.prod]\nterraform = { root = \"prod\" }\n")], special: &[Special::Fifo("x.tfvars")], args: DIFF, 1, "cannot read x.tfvars: it is a FIFO"),
    row!("parity.toml", "a rule pack that is a FIFO", files: &[("parity.toml", b"rules = [\"pack.toml\"]\n[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n")], special: &[Special::Fifo("pack.toml")], args: DIFF, 1, "FIFO"),
    row!("filesystem", ".terraform.lock.hcl is a FIFO", files: &[], special: &[Special::Fifo("staging/.terraform.lock.hcl")], args: DIFF, 1, "cannot read staging/.terraform.lock.hcl: it is a FIFO"),
    row!("filesystem", ".terraform/modules/modules.json is /dev/zero", files: &[("staging/.terraform/modules/x", b"")], special: &[Special::Symlink("staging/.terraform/modules/modules.json", "/dev/zero")], args: DIFF, 1, "modules.json: it is a character device"),
    toml!("[limits] raised (control)", b"[limits]\nstate-file = \"4 GiB\"\ninstances-per-block = 200000\n[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 0, ""),
    row!("parity.toml", "[limits] instances-per-block = 10, count = 11", files: &[("parity.toml", b"[limits]\ninstances-per-block = 10\n[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n"), ("staging/main.tf", b"resource \"aws_s3_bucket\" \"b\" {\n  count = 11\n}\n")], args: DIFF, 1, "count = 11, over the limit of 10 instances per block"),
    row!("parity.toml", "[limits] tf-file = \"1 KiB\", a 1.1 KB .tf", files: &[("parity.toml", b"[limits]\ntf-file = \"1 KiB\"\n[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n"), ("staging/big.tf", b"# xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")], args: DIFF, 1, "over the limit of 1024 bytes"),
    toml!("[limits] state-file = \"lots\"", b"[limits]\nstate-file = \"lots\"\n[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 1, "parity.toml:2:14: limits.state-file: `lots` is not a size"),
    toml!("[limits] values = 0", b"[limits]\nvalues = 0\n[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 1, "limits.values: expected a positive number, found 0"),
    toml!("[limits] with an unknown key", b"[limits]\ninstances = 5\n[environments.staging]\nterraform = { root = \"staging\" }\n[environments.prod]\nterraform = { root = \"prod\" }\n", 1, "limits.instances: unknown key"),
    // CLI arguments
    row!("CLI", "an environment against itself", files: &[], args: &["diff", "staging", "staging"], 1, "the same environment"),
    row!("CLI", "an environment against its own alias", files: &[], args: &["diff", "staging", "stg"], 1, "the same environment"),
    row!("CLI", "a snapshot file against itself", files: &[("a.json", SNAP)], args: &["diff", "a.json", "./a.json"], 1, "the same environment"),
    row!("CLI", "without parity.toml, a directory against itself by two paths", files: &[("envs/qa/main.tf", b"resource \"aws_s3_bucket\" \"b\" {}\n")], special: &[Special::Remove("parity.toml")], args: &["diff", "qa", "envs/qa"], 1, "the same environment"),
    row!("CLI", "without parity.toml, two directories of the same name (control)", files: &[("a/staging/main.tf", b"resource \"aws_s3_bucket\" \"b\" {}\n"), ("b/staging/main.tf", b"resource \"aws_s3_bucket\" \"b\" {}\n")], special: &[Special::Remove("parity.toml")], args: &["diff", "a/staging", "b/staging"], 0, ""),
    row!("CLI", "-C naming a FIFO", files: &[], special: &[Special::Fifo("other.toml")], args: &["-C", "other.toml", "diff", "staging", "prod"], 1, "cannot read other.toml: it is a FIFO"),
    row!("CLI", "an unknown environment", files: &[], args: &["diff", "staging", "qa"], 1, "unknown environment `qa`"),
    row!("CLI", "an unknown --source", files: &[], args: &["diff", "staging", "prod", "--source", "cloud"], 1, "invalid value 'cloud'"),
    row!("CLI", "an unknown --format", files: &[], args: &["diff", "staging", "prod", "--format", "yaml"], 1, "invalid value 'yaml'"),
    row!("CLI", "-C naming a missing file", files: &[], args: &["-C", "missing.toml", "diff", "staging", "prod"], 1, "cannot read missing.toml"),
    row!("CLI", "no subcommand", files: &[], args: &[], 1, ""),
    row!("CLI", "one environment only", files: &[], args: &["diff", "staging"], 1, "required arguments were not provided"),
    row!("CLI", "--output into a missing directory", files: &[], args: &["diff", "staging", "prod", "-o", "no/such/dir/out.txt"], 1, "no/such/dir/out.txt"),
    // .tf
    tf!("a syntax error", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = \n}\n", 1, "staging/main.tf:2"),
    tf!("invalid UTF-8 in a string", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"caf\xe9\"\n}\n", 1, "staging/main.tf:2:16: invalid UTF-8"),
    tf!("binary data", b"\x00\x01\x02\x03", 1, "binary data"),
    tf!("encrypted with git-crypt", b"\x00GITCRYPT\x00abc", 1, "git-crypt"),
    tf!("an unclosed block", b"resource \"aws_s3_bucket\" \"b\" {\n", 1, "staging/main.tf"),
    tf!("an unknown function", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = nosuch(1)\n}\n", 1, "unknown function `nosuch`"),
    tf!("count = 1000000000", b"resource \"aws_s3_bucket\" \"b\" {\n  count = 1000000000\n  bucket = \"logs\"\n}\n", 1, "over the limit of 100000 instances per block"),
    tf!("count = -1", b"resource \"aws_s3_bucket\" \"b\" {\n  count = -1\n  bucket = \"logs\"\n}\n", 1, "invalid count: must be a whole number greater than or equal to zero"),
    tf!("nested for expressions of 30^8 values", b"locals {\n  r = range(30)\n  x = [for a in local.r : [for b in local.r : [for c in local.r : [for d in local.r : [for e in local.r : [for f in local.r : [for g in local.r : [for h in local.r : h]]]]]]]]\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = length(local.x)\n}\n", 1, "more than 1000000 values"),
    row!(".tf", "count = 99999 in a module called with count = 99999", files: &[("staging/main.tf", b"module \"m\" {\n  source = \"./m\"\n  count = 99999\n}\n"), ("staging/m/main.tf", b"resource \"aws_s3_bucket\" \"b\" {\n  count = 99999\n  bucket = \"logs\"\n}\n")], args: DIFF, 1, "instances in one environment"),
    tf!("a string doubled through 44 locals (16 bytes × 2^44)", b"locals {\n  a0 = \"xxxxxxxxxxxxxxxx\"\n  a1 = \"${local.a0}${local.a0}\"\n  a2 = \"${local.a1}${local.a1}\"\n  a3 = \"${local.a2}${local.a2}\"\n  a4 = \"${local.a3}${local.a3}\"\n  a5 = \"${local.a4}${local.a4}\"\n  a6 = \"${local.a5}${local.a5}\"\n  a7 = \"${local.a6}${local.a6}\"\n  a8 = \"${local.a7}${local.a7}\"\n  a9 = \"${local.a8}${local.a8}\"\n  a10 = \"${local.a9}${local.a9}\"\n  a11 = \"${local.a10}${local.a10}\"\n  a12 = \"${local.a11}${local.a11}\"\n  a13 = \"${local.a12}${local.a12}\"\n  a14 = \"${local.a13}${local.a13}\"\n  a15 = \"${local.a14}${local.a14}\"\n  a16 = \"${local.a15}${local.a15}\"\n  a17 = \"${local.a16}${local.a16}\"\n  a18 = \"${local.a17}${local.a17}\"\n  a19 = \"${local.a18}${local.a18}\"\n  a20 = \"${local.a19}${local.a19}\"\n  a21 = \"${local.a20}${local.a20}\"\n  a22 = \"${local.a21}${local.a21}\"\n  a23 = \"${local.a22}${local.a22}\"\n  a24 = \"${local.a23}${local.a23}\"\n  a25 = \"${local.a24}${local.a24}\"\n  a26 = \"${local.a25}${local.a25}\"\n  a27 = \"${local.a26}${local.a26}\"\n  a28 = \"${local.a27}${local.a27}\"\n  a29 = \"${local.a28}${local.a28}\"\n  a30 = \"${local.a29}${local.a29}\"\n  a31 = \"${local.a30}${local.a30}\"\n  a32 = \"${local.a31}${local.a31}\"\n  a33 = \"${local.a32}${local.a32}\"\n  a34 = \"${local.a33}${local.a33}\"\n  a35 = \"${local.a34}${local.a34}\"\n  a36 = \"${local.a35}${local.a35}\"\n  a37 = \"${local.a36}${local.a36}\"\n  a38 = \"${local.a37}${local.a37}\"\n  a39 = \"${local.a38}${local.a38}\"\n  a40 = \"${local.a39}${local.a39}\"\n  a41 = \"${local.a40}${local.a40}\"\n  a42 = \"${local.a41}${local.a41}\"\n  a43 = \"${local.a42}${local.a42}\"\n  a44 = \"${local.a43}${local.a43}\"\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = length(local.a44)\n}\n", 1, "the value is larger than the limit of 1000000 values"),
    tf!("format() with a width of 999999999", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = format(\"%0999999999d\", 1)\n}\n", 3, "width or precision too large"),
    row!(".tf", "file() of /dev/zero", files: &[("staging/main.tf", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = file(\"/dev/zero\")\n}\n")], args: DIFF, 3, ""),
    row!(".tf", "file() of a FIFO", files: &[("staging/main.tf", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = file(\"pipe\")\n}\n")], special: &[Special::Fifo("staging/pipe")], args: DIFF, 3, ""),
    row!(".tf", "file() of a file over its limit (64 MiB)", files: &[("staging/main.tf", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = file(\"big\")\n}\n")], special: &[Special::Sparse("staging/big", 65 * MIB)], args: DIFF, 3, ""),
    row!(".tf", "a template that renders itself", files: &[("staging/main.tf", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = templatefile(\"a.tpl\", {})\n}\n"), ("staging/a.tpl", b"x ${templatefile(\"a.tpl\", {})}\n")], args: DIFF, 1, "template recursion: a.tpl -> a.tpl"),
    row!(".tf", "two templates that render each other", files: &[("staging/main.tf", b"resource \"aws_s3_bucket\" \"b\" {\n  bucket = templatefile(\"a.tpl\", {})\n}\n"), ("staging/a.tpl", b"${templatefile(\"b.tpl\", {})}\n"), ("staging/b.tpl", b"${templatefile(\"a.tpl\", {})}\n")], args: DIFF, 1, "template recursion: a.tpl -> b.tpl -> a.tpl"),
    row!(".tf", "a FIFO named main.tf", files: &[], special: &[Special::Remove("staging/main.tf"), Special::Fifo("staging/main.tf")], args: DIFF, 1, "FIFO"),
    row!(".tf", "a .tf symlinked to /dev/zero", files: &[], special: &[Special::Symlink("staging/zero.tf", "/dev/zero")], args: DIFF, 1, "character device"),
    row!(".tf", "a .tf over its limit (64 MiB)", files: &[], special: &[Special::Sparse("staging/big.tf", 65 * MIB)], args: DIFF, 1, "over the limit of 64 MiB"),
    row!(".tf", "a directory named x.tf", files: &[("staging/x.tf/readme", b"")], args: DIFF, 1, "directory"),
    row!(".tf", "a module source through a symlink loop", files: &[("staging/main.tf", b"module \"m\" {\n  source = \"./loop\"\n}\n")], special: &[Special::Symlink("staging/loop", "loop")], args: DIFF, 1, "staging/main.tf:1: module `m`: source `./loop` cannot be read (staging/loop: Too many levels of symbolic links"),
    row!(".tf", "a module source that does not exist", files: &[("staging/main.tf", b"module \"m\" {\n  source = \"./nowhere\"\n}\n")], args: DIFF, 1, "staging/main.tf:1"),
    row!(".tf", "a module that calls itself", files: &[("staging/main.tf", b"module \"m\" {\n  source = \"./\"\n}\n")], args: DIFF, 1, "modules nested more than 32 deep"),
    row!(".tf", "a cycle between locals", files: &[("staging/main.tf", b"locals {\n  a = local.b\n  b = local.a\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.a\n}\n")], args: DIFF, 1, "cycle"),
    // .tf.json
    row!(".tf.json", "invalid JSON", files: &[("staging/main.tf.json", b"{\"resource\": ")], args: DIFF, 1, "staging/main.tf.json:1"),
    row!(".tf.json", "not an object", files: &[("staging/main.tf.json", b"[1, 2]")], args: DIFF, 1, "staging/main.tf.json:1"),
    row!(".tf.json", "invalid UTF-8", files: &[("staging/main.tf.json", b"{\"locals\": {\"a\": \"caf\xe9\"}}")], args: DIFF, 1, "invalid UTF-8"),
    row!(".tf.json", "an empty file", files: &[("staging/main.tf.json", b"")], args: DIFF, 1, "staging/main.tf.json"),
    // .tfvars
    row!(".tfvars", "invalid UTF-8", files: &[("staging/terraform.tfvars", b"name = \"caf\xe9\"\n")], args: DIFF, 1, "staging/terraform.tfvars:1:12: invalid UTF-8"),
    row!(".tfvars", "a directory named x.auto.tfvars", files: &[("staging/x.auto.tfvars/y", b"")], args: DIFF, 1, "cannot read staging/x.auto.tfvars: it is a directory"),
    row!(".tfvars", "a syntax error", files: &[("staging/terraform.tfvars", b"name = \n")], args: DIFF, 1, "staging/terraform.tfvars:1"),
    row!(".tfvars", "a FIFO", files: &[], special: &[Special::Fifo("staging/terraform.tfvars")], args: DIFF, 1, "FIFO"),
    row!(".tfvars", "a symlink to /dev/zero", files: &[], special: &[Special::Symlink("staging/terraform.tfvars", "/dev/zero")], args: DIFF, 1, "character device"),
    row!(".tfvars", "over its limit (64 MiB)", files: &[], special: &[Special::Sparse("staging/terraform.tfvars", 65 * MIB)], args: DIFF, 1, "over the limit of 64 MiB"),
    row!(".tfvars", "a .tfvars.json holding a list", files: &[("staging/terraform.tfvars.json", b"[1]")], args: DIFF, 1, "must hold an object"),
    row!(".tfvars", "a .tfvars.json with invalid JSON", files: &[("staging/terraform.tfvars.json", b"{\"a\": }")], args: DIFF, 1, "invalid JSON"),
    // state
    row!("state", "not JSON", files: &[("staging.tfstate", b"hello")], args: DIFF_STATE, 1, "staging.tfstate is not valid JSON"),
    row!("state", "an empty file", files: &[("staging.tfstate", b"")], args: DIFF_STATE, 1, "staging.tfstate is empty"),
    row!("state", "truncated", files: &[("staging.tfstate", br#"{"version":4,"resources":["#)], args: DIFF_STATE, 1, "staging.tfstate is not valid JSON"),
    row!("state", "version 3", files: &[("staging.tfstate", br#"{"version":3,"modules":[]}"#)], args: DIFF_STATE, 1, "format version 3"),
    row!("state", "resources as an object", files: &[("staging.tfstate", br#"{"version":4,"terraform_version":"1.9.0","resources":{}}"#)], args: DIFF_STATE, 1, "staging.tfstate"),
    row!("state", "a plan given as state", files: &[("staging.tfstate", PLAN)], args: DIFF_STATE, 1, "is a plan"),
    row!("state", "a FIFO", files: &[], special: &[Special::Remove("staging.tfstate"), Special::Fifo("staging.tfstate")], args: DIFF_STATE, 1, "FIFO"),
    row!("state", "a symlink to /dev/zero", files: &[], special: &[Special::Remove("staging.tfstate"), Special::Symlink("staging.tfstate", "/dev/zero")], args: DIFF_STATE, 1, "character device"),
    row!("state", "over its limit (2 GiB)", files: &[], special: &[Special::Remove("staging.tfstate"), Special::Sparse("staging.tfstate", 2 * 1024 * MIB + 1)], args: DIFF_STATE, 1, "it is 2147483649 bytes, over the limit of 2 GiB"),
    row!("state", "missing", files: &[], special: &[Special::Remove("staging.tfstate")], args: DIFF_STATE, 1, "staging.tfstate"),
    // plan
    row!("plan", "not JSON", files: &[("staging.plan.json", b"PK\x03\x04binary")], args: DIFF_PLAN, 1, "staging.plan.json"),
    row!("plan", "a state given as plan", files: &[("staging.plan.json", STATE)], args: DIFF_PLAN, 1, "is a Terraform state, not a plan"),
    row!("plan", "format version 2.0", files: &[("staging.plan.json", br#"{"format_version":"2.0","planned_values":{}}"#)], args: DIFF_PLAN, 1, "format version 2.0"),
    row!("plan", "a FIFO", files: &[], special: &[Special::Remove("staging.plan.json"), Special::Fifo("staging.plan.json")], args: DIFF_PLAN, 1, "FIFO"),
    row!("plan", "a symlink to /dev/zero", files: &[], special: &[Special::Remove("staging.plan.json"), Special::Symlink("staging.plan.json", "/dev/zero")], args: DIFF_PLAN, 1, "character device"),
    // snapshot files
    snap!("`resources` is an object", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","resources":{},"dependencies":[],"coverage":[]}"#, 1, "a.json: $.resources: expected an array, found an object"),
    snap!("`dependencies` is a string", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","resources":[],"dependencies":"x","coverage":[]}"#, 1, "a.json: $.dependencies: expected an array, found a string"),
    snap!("`resources` is missing", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","dependencies":[],"coverage":[]}"#, 1, "a.json: $.resources: expected an array, found nothing"),
    snap!("`coverage` is an object", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","resources":[],"dependencies":[],"coverage":{"what":"x"}}"#, 1, "a.json: $.coverage: expected an array, found an object"),
    snap!("a coverage gap without `reason`", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","resources":[],"dependencies":[],"coverage":[{"what":"x"}]}"#, 1, "a.json: $.coverage[0].reason: expected a string"),
    snap!("a resource without `address`", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","resources":[{"type":"t","location":"m.tf:1"}],"dependencies":[],"coverage":[]}"#, 1, "a.json: $.resources[0].address: expected a string, found nothing"),
    snap!("a resource that is a number", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","resources":[1],"dependencies":[],"coverage":[]}"#, 1, "a.json: $.resources[0]: expected an object"),
    snap!("`attributes` is a list", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","resources":[{"address":"a.b","type":"a","location":"m.tf:1","attributes":[]}],"dependencies":[],"coverage":[]}"#, 1, "a.json: $.resources[0].attributes: expected an object"),
    snap!("`identity.aliases` is a string", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"code","identity":{"aliases":"x"},"resources":[],"dependencies":[],"coverage":[]}"#, 1, "a.json: $.identity.aliases: expected an array"),
    snap!("schema 2", br#"{"schema":2,"kind":"parity-snapshot"}"#, 1, "unsupported snapshot schema"),
    snap!("not a snapshot (a JSON report)", br#"{"schema":1,"findings":[]}"#, 1, "not a parity snapshot file"),
    snap!("invalid JSON", b"{\"schema\": 1,", 1, "a.json:1:"),
    snap!("an unknown source kind", br#"{"schema":1,"kind":"parity-snapshot","environment":"a","source":"cloud","resources":[],"dependencies":[],"coverage":[]}"#, 1, "unknown source kind"),
    snap!("invalid UTF-8", b"{\"schema\":1,\"kind\":\"parity-snapshot\",\"environment\":\"\xff\"}", 1, "invalid UTF-8"),
    row!("snapshot", "a symlink to /dev/zero", files: &[("b.json", SNAP)], special: &[Special::Symlink("a.json", "/dev/zero")], args: DIFF_SNAP, 1, "cannot read a.json: it is a character device"),
    // baselines
    row!("baseline", "not JSON", files: &[("base.json", b"hello")], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "baseline base.json is not a parity JSON report"),
    row!("baseline", "an empty file", files: &[("base.json", b"")], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "the file is empty"),
    row!("baseline", "`findings` is an object", files: &[("base.json", b"{\"schema\": 1,\n \"findings\": {}}")], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "line 2"),
    row!("baseline", "schema 2", files: &[("base.json", br#"{"schema": 2}"#)], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "unsupported schema 2"),
    row!("baseline", "a snapshot file", files: &[("base.json", SNAP)], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "it is a snapshot file"),
    row!("baseline", "a list holding a number", files: &[("base.json", b"[1]")], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "report 1: expected a JSON object"),
    row!("baseline", "a directory", files: &[("base.json/x", b"")], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "cannot read baseline base.json: it is a directory"),
    row!("baseline", "missing", files: &[], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "cannot read baseline base.json"),
    row!("baseline", "a FIFO", files: &[], special: &[Special::Fifo("base.json")], args: &["diff", "staging", "prod", "--baseline", "base.json"], 1, "FIFO"),
];

fn build(dir: &Path, row: &Row) {
    let write = |path: &str, content: &[u8]| {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write");
    };
    for (path, content) in BASE {
        write(path, content);
    }
    for (path, content) in row.files {
        write(path, content);
    }
    for special in row.special {
        match *special {
            Special::Remove(path) => std::fs::remove_file(dir.join(path)).expect("remove"),
            Special::Fifo(path) => {
                let status = std::process::Command::new("mkfifo")
                    .arg(dir.join(path))
                    .status()
                    .expect("mkfifo");
                assert!(status.success(), "mkfifo {path}");
            }
            Special::Symlink(path, target) => {
                std::os::unix::fs::symlink(target, dir.join(path)).expect("symlink")
            }
            Special::Sparse(path, size) => {
                let p = dir.join(path);
                std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                std::fs::File::create(&p)
                    .and_then(|f| f.set_len(size))
                    .expect("sparse file");
            }
        }
    }
}

/// Run one row: (exit code, what it said, with the directory removed).
/// What it said is the first line of stderr; after a summary line
/// ("invalid configuration parity.toml: 1 problem") the first problem is
/// added; with nothing on stderr (exit 2 or 3: a report), the first
/// "incomplete" reason of the report on stdout.
fn run(row: &Row) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    build(dir.path(), row);
    let out = common::parity(dir.path())
        .args(row.args)
        .timeout(Duration::from_secs(20))
        .output()
        .expect("run parity");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let shown = format!("{}/", dir.path().display());
    let mut lines = stderr.lines().filter(|l| !l.trim().is_empty());
    let mut first = lines.next().unwrap_or("").to_string();
    if first.ends_with(" problem") || first.ends_with(" problems") {
        if let Some(next) = lines.next() {
            first = format!("{first} / {}", next.trim());
        }
    }
    if first.is_empty() {
        if let Some(gap) = stdout.lines().find(|l| l.starts_with("  - ")) {
            first = format!("stdout: {}", gap.trim_start_matches("  - "));
        }
    }
    let first = first
        .replace(&shown, "")
        .replace(&dir.path().display().to_string(), ".");
    (out.status.code(), first)
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'")
}

fn render(results: &[(&Row, Option<i32>, String)]) -> String {
    let mut out = String::from(
        "# Bad inputs\n\n\
         Inputs built wrong on purpose, one row each, and what parity does with\n\
         them: the exit code (0 parity holds, 1 could not run, 2 violations, 3\n\
         incomplete) and the first line of stderr (after a summary line, the\n\
         first problem too; for a report, its first \"incomplete\" reason).\n\
         Every row is run by\n\
         `tests/bad_inputs.rs` from the same table, in a fresh directory holding\n\
         a small valid project (two environments with code, state and plan),\n\
         with a 20 second timeout; this page is generated from those runs\n\
         (`PARITY_BLESS=1 cargo test --no-default-features --test bad_inputs`)\n\
         and checked against them. The limits are in [limits.md](limits.md);\n\
         inputs built wrong at random, by fuzzing the readers, in\n\
         [fuzzing.md](fuzzing.md).\n\n\
         | # | input | what is wrong | command | exit | what parity says |\n\
         |---|---|---|---|---|---|\n",
    );
    for (i, (row, code, first)) in results.iter().enumerate() {
        let mut first = first.clone();
        if first.chars().count() > 200 {
            first = first.chars().take(200).collect::<String>() + "…";
        }
        out.push_str(&format!(
            "| {} | {} | {} | `parity {}` | {} | {} |\n",
            i + 1,
            row.kind,
            cell(row.what),
            row.args.join(" "),
            code.map_or("killed".to_string(), |c| c.to_string()),
            if first.is_empty() {
                "(empty)".to_string()
            } else {
                cell(&first)
            },
        ));
    }
    out
}

#[test]
fn every_bad_input_ends_with_its_exit_code_and_says_why() {
    assert!(ROWS.len() >= 60, "{} rows", ROWS.len());
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for row in ROWS {
        let (code, first) = run(row);
        if code != Some(row.code) || !first.contains(row.stderr) || first.contains("panicked") {
            failures.push(format!(
                "{} / {}: expected exit {} and `{}`, got {code:?}: {first}",
                row.kind, row.what, row.code, row.stderr
            ));
        }
        results.push((row, code, first));
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
    let expected = render(&results);
    let path = repo().join("docs/bad-inputs.md");
    if std::env::var_os("PARITY_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &expected).expect("write docs/bad-inputs.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/bad-inputs.md is stale: run `PARITY_BLESS=1 cargo test --no-default-features --test bad_inputs`"
    );
}
