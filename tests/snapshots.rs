//! Report snapshots (insta): the table and JSON renderings of the bundled
//! example. A change in what parity reports shows up as a reviewed diff.

mod common;

use common::{parity, shop};

fn run(args: &[&str]) -> (String, i32) {
    let out = parity(&shop()).args(args).output().expect("run parity");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn shop_table() {
    let (stdout, code) = run(&["diff", "staging", "prod"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("shop_table", stdout);
}

#[test]
fn shop_table_verbose() {
    let (stdout, code) = run(&["-v", "diff", "staging", "prod"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("shop_table_verbose", stdout);
}

#[test]
fn shop_json() {
    let (stdout, code) = run(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("shop_json", stdout);
}

#[test]
fn shop_rules_list() {
    let (stdout, code) = run(&["rules", "list"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("rules_list", stdout);
}
