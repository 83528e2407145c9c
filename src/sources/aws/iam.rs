//! IAM (global, read once per environment): roles with their trust policy,
//! inline policies and attached managed policies, customer-managed policies
//! with their default version's document, and instance profiles, as
//! `aws_iam_role` (`assume_role_policy`), `aws_iam_role_policy`
//! (`policy`), `aws_iam_role_policy_attachment` (`policy_arn`),
//! `aws_iam_policy` (`policy`) and `aws_iam_instance_profile` (`role`).
//!
//! IAM list calls have no tag filter: an environment is narrowed by path
//! prefix and by name tokens (see [`super::AwsSettings::iam_name_tokens`]).
//! Roles AWS manages (service-linked roles under `/aws-service-role/`,
//! `/aws-reserved/`) are not collected. Policy documents arrive URL-encoded;
//! they are decoded and kept as compact JSON strings, as Terraform state
//! holds them, and the `policy` comparator canonicalizes them.

use aws_sdk_iam::types::{PolicyScopeType, Role};
use aws_sdk_iam::Client;
use tokio::task::JoinSet;

use super::draft::{n, reference, s, Draft};
use super::exec::Ctx;
use super::Scope;
use crate::model::Value;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, scope: &Scope) -> Vec<Draft> {
    let (roles, policies, profiles) = tokio::join!(
        ctx.pages(
            "iam:ListRoles",
            client
                .list_roles()
                .set_path_prefix(scope.iam_path.clone())
                .max_items(1000)
                .into_paginator()
                .send()
        ),
        ctx.pages(
            "iam:ListPolicies",
            client
                .list_policies()
                .scope(PolicyScopeType::Local)
                .set_path_prefix(scope.iam_path.clone())
                .max_items(1000)
                .into_paginator()
                .send()
        ),
        ctx.pages(
            "iam:ListInstanceProfiles",
            client
                .list_instance_profiles()
                .set_path_prefix(scope.iam_path.clone())
                .max_items(1000)
                .into_paginator()
                .send()
        ),
    );

    let mut set: JoinSet<Vec<Draft>> = JoinSet::new();
    let mut in_scope_roles = std::collections::BTreeSet::new();
    for role in roles.iter().flat_map(|p| p.roles()) {
        if is_aws_managed(role.path()) || !scope.iam_name_matches(role.role_name()) {
            continue;
        }
        in_scope_roles.insert(role.role_name().to_string());
        let d = role_draft(role);
        let (ctx, client, name) = (ctx.clone(), client.clone(), role.role_name().to_string());
        set.spawn(async move {
            let mut out = role_policies(&ctx, &client, &name).await;
            out.push(d);
            out
        });
    }

    for p in policies.iter().flat_map(|p| p.policies()) {
        let name = p.policy_name().unwrap_or_default().to_string();
        if !scope.iam_name_matches(&name) {
            continue;
        }
        let arn = p.arn().unwrap_or_default().to_string();
        let mut d = Draft::new("aws_iam_policy", &name, arn.clone()).id(&arn);
        d.set("id", Value::from(arn.as_str()));
        d.set("arn", Value::from(arn.as_str()));
        d.set("name", Value::from(name.as_str()));
        d.set("path", s(p.path()));
        d.set("description", s(p.description()));
        d.set("policy_id", s(p.policy_id()));
        let version = p.default_version_id().map(str::to_string);
        let (ctx, client) = (ctx.clone(), client.clone());
        set.spawn(async move {
            if let Some(version) = version {
                let got = ctx
                    .call("iam:GetPolicyVersion", || {
                        client
                            .get_policy_version()
                            .policy_arn(&arn)
                            .version_id(&version)
                            .send()
                    })
                    .await;
                if let Some(doc) = got
                    .as_ref()
                    .and_then(|g| g.policy_version())
                    .and_then(|v| v.document())
                {
                    d.set("policy", Value::from(policy_json(doc)));
                }
            }
            vec![d]
        });
    }

    let mut out = Vec::new();
    for ip in profiles.iter().flat_map(|p| p.instance_profiles()) {
        let name = ip.instance_profile_name();
        let role = ip.roles().first().map(|r| r.role_name());
        let role_in_scope = role.is_some_and(|r| in_scope_roles.contains(r));
        if !role_in_scope && !scope.iam_name_matches(name) {
            continue;
        }
        let mut d = Draft::new("aws_iam_instance_profile", name, ip.arn().to_string())
            .id(ip.arn())
            .id(name);
        d.set("id", Value::from(name));
        d.set("arn", Value::from(ip.arn()));
        d.set("name", Value::from(name));
        d.set("path", Value::from(ip.path()));
        d.set("unique_id", Value::from(ip.instance_profile_id()));
        if let Some(role) = role {
            d.set("role", reference("aws_iam_role", role, "name"));
        }
        out.push(d);
    }

    while let Some(joined) = set.join_next().await {
        if let Ok(mut found) = joined {
            out.append(&mut found);
        }
    }
    out
}

fn is_aws_managed(path: &str) -> bool {
    path.starts_with("/aws-service-role/") || path.starts_with("/aws-reserved/")
}

fn role_draft(role: &Role) -> Draft {
    let name = role.role_name();
    let mut d = Draft::new("aws_iam_role", name, role.arn().to_string())
        .id(name)
        .id(role.arn());
    d.set("id", Value::from(name));
    d.set("arn", Value::from(role.arn()));
    d.set("name", Value::from(name));
    d.set("path", Value::from(role.path()));
    d.set("unique_id", Value::from(role.role_id()));
    d.set("description", s(role.description()));
    d.set("max_session_duration", n(role.max_session_duration()));
    d.set(
        "permissions_boundary",
        s(role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())),
    );
    if let Some(doc) = role.assume_role_policy_document() {
        d.set("assume_role_policy", Value::from(policy_json(doc)));
    }
    d
}

/// The inline policies and managed policy attachments of one role.
async fn role_policies(ctx: &Ctx, client: &Client, role: &str) -> Vec<Draft> {
    let (inline, attached) = tokio::join!(
        ctx.pages(
            "iam:ListRolePolicies",
            client
                .list_role_policies()
                .role_name(role)
                .max_items(1000)
                .into_paginator()
                .send()
        ),
        ctx.pages(
            "iam:ListAttachedRolePolicies",
            client
                .list_attached_role_policies()
                .role_name(role)
                .max_items(1000)
                .into_paginator()
                .send()
        ),
    );
    let mut out = Vec::new();
    for policy in inline.iter().flat_map(|p| p.policy_names()) {
        let got = ctx
            .call("iam:GetRolePolicy", || {
                client
                    .get_role_policy()
                    .role_name(role)
                    .policy_name(policy)
                    .send()
            })
            .await;
        let id = format!("{role}:{policy}");
        let mut d = Draft::new("aws_iam_role_policy", &id, format!("iam/{id}")).id(&id);
        d.set("id", Value::from(id.as_str()));
        d.set("name", Value::from(policy.as_str()));
        d.set("role", reference("aws_iam_role", role, "name"));
        if let Some(g) = got {
            d.set("policy", Value::from(policy_json(g.policy_document())));
        }
        out.push(d);
    }
    for a in attached.iter().flat_map(|p| p.attached_policies()) {
        let Some(arn) = a.policy_arn() else {
            continue;
        };
        let policy_name = a
            .policy_name()
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn));
        let id = format!("{role}:{policy_name}");
        let mut d = Draft::new(
            "aws_iam_role_policy_attachment",
            &id,
            format!("iam/{role}/{arn}"),
        );
        d.set("role", reference("aws_iam_role", role, "name"));
        let target = if arn.starts_with("arn:aws:iam::aws:") {
            Value::from(arn)
        } else {
            reference("aws_iam_policy", arn, "arn")
        };
        d.set("policy_arn", target);
        out.push(d);
    }
    out
}

/// A policy document as compact JSON text. IAM returns documents
/// URL-encoded (RFC 3986); an emulator may not.
pub(crate) fn policy_json(raw: &str) -> String {
    let parsed = serde_json::from_str::<serde_json::Value>(raw)
        .or_else(|_| serde_json::from_str::<serde_json::Value>(&percent_decode(raw)));
    match parsed {
        Ok(json) => json.to_string(),
        Err(_) => percent_decode(raw),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_decoded_and_compacted() {
        let raw = "%7B%22Version%22%3A%20%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            policy_json(raw),
            r#"{"Version":"2012-10-17","Statement":[]}"#
        );
        assert_eq!(policy_json(r#"{ "a": 1 }"#), r#"{"a":1}"#);
        assert_eq!(percent_decode("100%"), "100%");
    }
}
