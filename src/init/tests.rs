//! Tests of `parity init`: names, detection, rendering, writing.

use super::render::*;
use super::*;

#[test]
fn ranks_environment_names() {
    assert_eq!(prod_rank("prod"), Some(4));
    assert_eq!(prod_rank("Production"), Some(4));
    assert_eq!(prod_rank("prod-eu"), Some(4));
    assert_eq!(prod_rank("eu_prod2"), Some(4));
    assert_eq!(prod_rank("pre-prod"), Some(3));
    assert_eq!(prod_rank("preprod"), Some(3));
    assert_eq!(prod_rank("non-prod-eu"), Some(2));
    assert_eq!(prod_rank("staging"), Some(3));
    assert_eq!(prod_rank("dev"), Some(1));
    assert_eq!(prod_rank("modules"), None);
    assert_eq!(prod_rank("common"), None);
}

#[test]
fn state_files_belong_to_the_longest_name() {
    let names = ["prod", "prod-eu", "staging"];
    assert_eq!(owner("prod", &names), Some("prod"));
    assert_eq!(owner("prod-cache", &names), Some("prod"));
    assert_eq!(owner("prod-eu-cache", &names), Some("prod-eu"));
    assert_eq!(owner("production", &names), None);
    assert_eq!(owner("staging.network", &names), Some("staging"));
}

#[test]
fn toml_strings_and_keys_are_escaped() {
    assert_eq!(q("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_eq!(key("prod-eu_1"), "prod-eu_1");
    assert_eq!(key("prod eu"), "\"prod eu\"");
}

#[test]
fn regions_and_account_ids() {
    assert!(is_region("eu-west-1"));
    assert!(is_region("us-gov-west-1"));
    assert!(!is_region("eu-west"));
    assert!(!is_region("EU-west-1"));
    assert!(is_account_id("011111111111"));
    assert!(!is_account_id("11111111111"));
}
