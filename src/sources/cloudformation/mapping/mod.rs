//! CloudFormation resource types onto the model's Terraform names, as data:
//! one [`TypeMap`] per type, each property to a Terraform attribute with a
//! conversion ([`Conv`]). The rule packs judge Terraform names
//! (`aws_db_instance.engine_version`, `aws_iam_role.assume_role_policy`,
//! `aws_security_group.ingress`), so a mapped type is judged by the same
//! rules as Terraform code, state and live AWS.
//!
//! Nothing is dropped: a property a type's table does not name keeps its
//! CloudFormation name, and a type without a table keeps its CloudFormation
//! type (`AWS::Logs::LogGroup`) and property names; both are compared by the
//! generic rule. After mapping, values take the provider schema's types
//! (`AllocatedStorage: "20"` is the number 20), as Terraform code does.

use crate::model::{Map, Value};

/// How a property's value becomes the attribute's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conv {
    /// As it is.
    Same,
    /// `[{Key, Value}]` → `{Key: Value}`.
    Tags,
    /// A single value → a list of one (`CidrIp` → `cidr_blocks`).
    One,
    /// Security group rule entries → the provider's `ingress`/`egress`
    /// blocks (one block per entry).
    SgRules,
    /// `Policies: [{PolicyName, PolicyDocument}]` → `inline_policy`
    /// blocks `[{name, policy}]`.
    InlinePolicies,
    /// `{Variables: {...}}` → `[{variables: {...}}]` (Lambda environment).
    Environment,
    /// An object whose keys become the block's in Terraform's case, as a
    /// list of one block (`VpcConfig` → `vpc_config`).
    Block,
    /// `{Status: Enabled|Suspended}` → `[{enabled: bool}]` (S3 versioning).
    Versioning,
    /// A list of one → its item.
    First,
    /// `{name: value}` → `[{name, value}]` (DB parameter groups).
    NameValue,
    /// ECS container definitions: keys in the task definition JSON's
    /// camelCase, as the JSON document Terraform holds (normalization
    /// parses it, as it does Terraform's).
    Containers,
    /// An object whose known keys spread into top-level attributes (Lambda
    /// `Code`: `S3Bucket` → `s3_bucket`, ...); the rest stays under the
    /// property's own name.
    Spread(&'static [(&'static str, &'static str)]),
    /// As `Spread`, each key with its own conversion (`LaunchTemplateData`).
    Data(&'static [(&'static str, &'static str, Conv)]),
    /// A list of objects → a list of blocks, keys in Terraform's case
    /// (`DefaultActions` → `default_action`).
    Blocks,
    /// `Scheme: internal|internet-facing` → `internal: true|false`.
    Internal,
}

/// One CloudFormation type's table.
#[derive(Debug)]
pub(crate) struct TypeMap {
    pub cfn: &'static str,
    pub terraform: &'static str,
    /// Property → (attribute, conversion).
    pub properties: &'static [(&'static str, &'static str, Conv)],
    /// Attributes the Terraform type always has for this CloudFormation
    /// type (a security group rule's `type`).
    pub fixed: &'static [(&'static str, &'static str)],
}

mod convert;
mod table;

use Conv::*;

use convert::convert;
pub(crate) use table::TYPES;

/// Every table: these and the compute and load balancing ones.
pub(crate) fn all() -> impl Iterator<Item = &'static TypeMap> {
    TYPES.iter().chain(super::compute::TYPES)
}

impl TypeMap {
    /// The row of a property by its CloudFormation name (`Engine`); with
    /// `exact` false, matched without case, as the `aws-native` Pulumi
    /// provider writes it (`engine`).
    pub(crate) fn property(
        &self,
        name: &str,
        exact: bool,
    ) -> Option<&'static (&'static str, &'static str, Conv)> {
        self.properties.iter().find(|(p, _, _)| {
            if exact {
                *p == name
            } else {
                p.eq_ignore_ascii_case(name)
            }
        })
    }
}

/// The table of a CloudFormation type, if it has one.
pub(crate) fn lookup(cfn: &str) -> Option<&'static TypeMap> {
    all().find(|t| t.cfn == cfn)
}

/// The table of a CloudFormation type matched without case
/// (`AWS::Rds::DbInstance` is `AWS::RDS::DBInstance`), as the `aws-native`
/// Pulumi provider names the types with its own capitals.
pub(crate) fn lookup_ignore_case(cfn: &str) -> Option<&'static TypeMap> {
    all().find(|t| t.cfn.eq_ignore_ascii_case(cfn))
}

/// The model type of a CloudFormation type: its Terraform type when
/// mapped, its own name otherwise.
pub(crate) fn model_type(cfn: &str) -> &str {
    lookup(cfn).map_or(cfn, |t| t.terraform)
}

/// The attribute path under a property's attribute for a path of keys and
/// list indices under the property (`["1", "FromPort"]`), where the
/// conversion keeps it: every path for a property kept as it is (or not
/// mapped), the item index for one that converts each list item into a
/// block of its own (`SecurityGroupIngress[1]` → `ingress.1`); `None`
/// where the shapes differ (the attribute's line stands for it).
pub(crate) fn nested_path(conv: Option<Conv>, rest: &[String]) -> Option<String> {
    match (conv, rest) {
        (None | Some(Same), _) => Some(rest.join(".")),
        (Some(SgRules | InlinePolicies | Containers), [index])
            if index.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(index.clone())
        }
        _ => None,
    }
}

/// A resource's evaluated properties as attributes, with the attribute
/// each property became (for locations).
pub(crate) fn attributes(cfn: &str, props: Map) -> (Map, Vec<(String, String)>) {
    let Some(table) = lookup(cfn) else {
        let names = props.keys().map(|k| (k.clone(), k.clone())).collect();
        return (props, names);
    };
    let mut out = Map::new();
    let mut names = Vec::with_capacity(props.len());
    for (k, v) in table.fixed {
        out.insert(k.to_string(), Value::str(*v));
    }
    for (prop, value) in props {
        let Some((_, attr, conv)) = table.property(&prop, true) else {
            names.push((prop.clone(), prop.clone()));
            out.insert(prop, value);
            continue;
        };
        match conv {
            Spread(keys) => {
                let mut rest = Map::new();
                match value {
                    Value::Map(m) => {
                        for (sub, v) in m {
                            match keys.iter().find(|(s, _)| *s == sub) {
                                Some((_, a)) => {
                                    names.push((prop.clone(), a.to_string()));
                                    out.insert(a.to_string(), v);
                                }
                                None => {
                                    rest.insert(sub, v);
                                }
                            }
                        }
                    }
                    other => {
                        names.push((prop.clone(), attr.to_string()));
                        out.insert(attr.to_string(), other);
                    }
                }
                if !rest.is_empty() {
                    names.push((prop.clone(), attr.to_string()));
                    out.insert(attr.to_string(), Value::Map(rest));
                }
            }
            Data(keys) => {
                let mut rest = Map::new();
                match value {
                    Value::Map(m) => {
                        for (sub, v) in m {
                            match keys.iter().find(|(s, _, _)| *s == sub) {
                                Some((_, a, c)) => {
                                    names.push((prop.clone(), a.to_string()));
                                    out.insert(a.to_string(), convert(*c, v));
                                }
                                None => {
                                    rest.insert(sub, v);
                                }
                            }
                        }
                    }
                    other => {
                        rest.insert(prop.clone(), other);
                    }
                }
                if !rest.is_empty() {
                    names.push((prop.clone(), attr.to_string()));
                    out.insert(attr.to_string(), Value::Map(rest));
                }
            }
            conv => {
                names.push((prop.clone(), attr.to_string()));
                out.insert(attr.to_string(), convert(*conv, value));
            }
        }
    }
    (out, names)
}

#[cfg(test)]
mod tests;
