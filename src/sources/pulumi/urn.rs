//! Pulumi URNs: `urn:pulumi:STACK::PROJECT::QUALIFIED-TYPE::NAME`, where the
//! qualified type is the chain of parent types and the resource's own,
//! joined by `$` (`my:index:Network$aws:ec2/vpc:Vpc`), and the name is the
//! rest (it may itself hold `::`). The stack and project parts are what
//! differ between two stacks of one program: an address is built from the
//! type and the name only.

/// The parts of one URN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Urn<'a> {
    pub stack: &'a str,
    pub project: &'a str,
    /// The resource's own type (the last part of the qualified type).
    pub rtype: &'a str,
    pub name: &'a str,
}

/// Split a URN; `None` when it is not one.
pub(crate) fn parse(urn: &str) -> Option<Urn<'_>> {
    let rest = urn.strip_prefix("urn:pulumi:")?;
    let (stack, rest) = rest.split_once("::")?;
    let (project, rest) = rest.split_once("::")?;
    let (qualified, name) = rest.split_once("::")?;
    let rtype = qualified.rsplit('$').next().unwrap_or(qualified);
    if rtype.is_empty() || name.is_empty() {
        return None;
    }
    Some(Urn {
        stack,
        project,
        rtype,
        name,
    })
}

/// A name as an address segment: as it is when Terraform would accept it
/// as a resource name, quoted in brackets otherwise (`["shop/db"]`).
pub(crate) fn segment(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        name.to_string()
    } else {
        format!("[{}]", serde_json::Value::String(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_split_into_stack_project_type_and_name() {
        let u = parse("urn:pulumi:staging::shop::aws:rds/instance:Instance::db").expect("urn");
        assert_eq!(u.stack, "staging");
        assert_eq!(u.project, "shop");
        assert_eq!(u.rtype, "aws:rds/instance:Instance");
        assert_eq!(u.name, "db");
        // A parent chain, and a name holding `::`.
        let u = parse("urn:pulumi:prod::shop::shop:index:Network$aws:ec2/vpc:Vpc::main::x")
            .expect("urn");
        assert_eq!(u.rtype, "aws:ec2/vpc:Vpc");
        assert_eq!(u.name, "main::x");
        assert_eq!(parse("urn:pulumi:prod::shop"), None);
        assert_eq!(parse("arn:aws:s3:::b"), None);
    }

    #[test]
    fn names_terraform_would_reject_are_quoted() {
        assert_eq!(segment("shop-db"), "shop-db");
        assert_eq!(segment("shop/db"), "[\"shop/db\"]");
        assert_eq!(segment("0db"), "[\"0db\"]");
    }
}
