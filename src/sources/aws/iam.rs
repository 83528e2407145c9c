//! IAM (global, read once per environment): roles with their trust policy,
//! inline policies and attached managed policies, customer-managed policies
//! with their default version's document, and instance profiles, as
//! `aws_iam_role` (`assume_role_policy`), `aws_iam_role_policy`
//! (`policy`), `aws_iam_role_policy_attachment` (`policy_arn`),
//! `aws_iam_policy` (`policy`) and `aws_iam_instance_profile` (`role`).
//!
//! IAM list calls have no tag filter: an environment is narrowed by path
//! prefix and by name tokens (see [`super::AwsSettings::iam_name_tokens`]).
//!
//! Calls: `ListRoles` (descriptions, session durations, trust policies),
//! `ListInstanceProfiles`, and `GetAccountAuthorizationDetails`, whose
//! pages carry every role's inline policies (with their documents) and
//! attached policies, and every customer-managed policy with its versions'
//! documents: a few pages for the whole account instead of three calls per
//! role and one per policy. When that call is refused (a policy that grants
//! the per-resource reads only, or narrows IAM to a path, which this call
//! does not support), the collector falls back to `ListRolePolicies`,
//! `GetRolePolicy` and `ListAttachedRolePolicies` per role and
//! `ListPolicies` with `GetPolicy` (for the description, which
//! `ListPolicies` leaves out) and `GetPolicyVersion` per policy.
//! Roles AWS manages (service-linked roles under `/aws-service-role/`,
//! `/aws-reserved/`) are not collected. Policy documents arrive URL-encoded;
//! they are decoded and kept as compact JSON strings, as Terraform state
//! holds them, and the `policy` comparator canonicalizes them.

use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{EntityType, PolicyScopeType, Role};
use aws_sdk_iam::Client;
use tokio::task::JoinSet;

use super::draft::{n, reference, s, Draft};
use super::exec::Ctx;
use super::Scope;
use crate::model::Value;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, scope: &Scope) -> Vec<Draft> {
    let (roles, details, profiles) = tokio::join!(
        ctx.pages(
            "iam:ListRoles",
            client
                .list_roles()
                .set_path_prefix(scope.iam_path.clone())
                .max_items(1000)
                .into_paginator()
                .send()
        ),
        async {
            if !scope.iam_bulk {
                return None;
            }
            ctx.try_pages(
                "iam:GetAccountAuthorizationDetails",
                client
                    .get_account_authorization_details()
                    .filter(EntityType::Role)
                    .filter(EntityType::LocalManagedPolicy)
                    .max_items(1000)
                    .into_paginator()
                    .send(),
            )
            .await
        },
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

    let mut out = Vec::new();
    let mut set: JoinSet<Vec<Draft>> = JoinSet::new();
    let mut in_scope_roles = std::collections::BTreeSet::new();
    for role in roles.iter().flat_map(|p| p.roles()) {
        if is_aws_managed(role.path()) || !scope.iam_name_matches(role.role_name()) {
            continue;
        }
        in_scope_roles.insert(role.role_name().to_string());
        out.push(role_draft(role));
        if details.is_none() {
            let (ctx, client, name) = (ctx.clone(), client.clone(), role.role_name().to_string());
            set.spawn(async move { role_policies(&ctx, &client, &name).await });
        }
    }

    match &details {
        Some(pages) => out.extend(from_details(pages, scope, &in_scope_roles)),
        None => policies_one_by_one(ctx, client, scope, &mut set).await,
    }

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

/// Inline policies, attachments and customer-managed policies from the
/// pages of `GetAccountAuthorizationDetails`.
fn from_details(
    pages: &[GetAccountAuthorizationDetailsOutput],
    scope: &Scope,
    roles: &std::collections::BTreeSet<String>,
) -> Vec<Draft> {
    let mut out = Vec::new();
    for role in pages.iter().flat_map(|p| p.role_detail_list()) {
        let Some(name) = role.role_name().filter(|n| roles.contains(*n)) else {
            continue;
        };
        for p in role.role_policy_list() {
            let Some(policy) = p.policy_name() else {
                continue;
            };
            out.push(inline_draft(name, policy, p.policy_document()));
        }
        for a in role.attached_managed_policies() {
            if let Some(arn) = a.policy_arn() {
                out.push(attachment_draft(name, a.policy_name(), arn));
            }
        }
    }
    for p in pages.iter().flat_map(|p| p.policies()) {
        let arn = p.arn().unwrap_or_default();
        // The name is the ARN's last segment (an emulator may leave the
        // name out of this call's answer).
        let name = p
            .policy_name()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn));
        let path_ok = scope
            .iam_path
            .as_deref()
            .is_none_or(|prefix| p.path().unwrap_or("/").starts_with(prefix));
        if !path_ok || !scope.iam_name_matches(name) {
            continue;
        }
        let mut d = policy_draft(name, arn, p.path(), p.description(), p.policy_id());
        let default = p
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version())
            .or_else(|| {
                p.policy_version_list()
                    .iter()
                    .find(|v| v.version_id().is_some() && v.version_id() == p.default_version_id())
            });
        if let Some(doc) = default.and_then(|v| v.document()) {
            d.set("policy", Value::from(policy_json(doc)));
        }
        out.push(d);
    }
    out
}

/// A customer-managed policy, without its document.
fn policy_draft(
    name: &str,
    arn: &str,
    path: Option<&str>,
    description: Option<&str>,
    policy_id: Option<&str>,
) -> Draft {
    let mut d = Draft::new("aws_iam_policy", name, arn.to_string()).id(arn);
    d.set("id", Value::from(arn));
    d.set("arn", Value::from(arn));
    d.set("name", Value::from(name));
    d.set("path", s(path));
    // An empty description is no description (as the state source has it).
    d.set("description", s(description.filter(|t| !t.is_empty())));
    d.set("policy_id", s(policy_id));
    d
}

/// Customer-managed policies the slow way: `ListPolicies`, then for each
/// policy `GetPolicy` (`ListPolicies` answers without the description) and
/// the default version's document with `GetPolicyVersion` (two calls per
/// policy, side by side, spawned on `set`).
async fn policies_one_by_one(
    ctx: &Ctx,
    client: &Client,
    scope: &Scope,
    set: &mut JoinSet<Vec<Draft>>,
) {
    let policies = ctx
        .pages(
            "iam:ListPolicies",
            client
                .list_policies()
                .scope(PolicyScopeType::Local)
                .set_path_prefix(scope.iam_path.clone())
                .max_items(1000)
                .into_paginator()
                .send(),
        )
        .await;
    for p in policies.iter().flat_map(|p| p.policies()) {
        let name = p.policy_name().unwrap_or_default().to_string();
        if !scope.iam_name_matches(&name) {
            continue;
        }
        let arn = p.arn().unwrap_or_default().to_string();
        let listed = p.clone();
        let version = p.default_version_id().map(str::to_string);
        let (ctx, client) = (ctx.clone(), client.clone());
        set.spawn(async move {
            let (full, document) = tokio::join!(
                ctx.call("iam:GetPolicy", || {
                    client.get_policy().policy_arn(&arn).send()
                }),
                async {
                    let version = version?;
                    ctx.call("iam:GetPolicyVersion", || {
                        client
                            .get_policy_version()
                            .policy_arn(&arn)
                            .version_id(&version)
                            .send()
                    })
                    .await
                }
            );
            // What `GetPolicy` answered, else what the list said (a failed
            // `GetPolicy` is a coverage gap already).
            let p = full.as_ref().and_then(|g| g.policy()).unwrap_or(&listed);
            let mut d = policy_draft(&name, &arn, p.path(), p.description(), p.policy_id());
            if let Some(doc) = document
                .as_ref()
                .and_then(|g| g.policy_version())
                .and_then(|v| v.document())
            {
                d.set("policy", Value::from(policy_json(doc)));
            }
            vec![d]
        });
    }
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
        out.push(inline_draft(
            role,
            policy,
            got.as_ref().map(|g| g.policy_document()),
        ));
    }
    for a in attached.iter().flat_map(|p| p.attached_policies()) {
        if let Some(arn) = a.policy_arn() {
            out.push(attachment_draft(role, a.policy_name(), arn));
        }
    }
    out
}

/// A role's inline policy; `document` as IAM returns it (URL-encoded).
fn inline_draft(role: &str, policy: &str, document: Option<&str>) -> Draft {
    let id = format!("{role}:{policy}");
    let mut d = Draft::new("aws_iam_role_policy", &id, format!("iam/{id}")).id(&id);
    d.set("id", Value::from(id.as_str()));
    d.set("name", Value::from(policy));
    d.set("role", reference("aws_iam_role", role, "name"));
    if let Some(doc) = document {
        d.set("policy", Value::from(policy_json(doc)));
    }
    d
}

/// A managed policy attached to a role.
fn attachment_draft(role: &str, policy_name: Option<&str>, arn: &str) -> Draft {
    let policy_name = policy_name.unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn));
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
    d
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
