//! Environments as module instances of one root (`module = "module.app"`
//! in the `terraform` table): the environment is what lives under its
//! call, with the call's prefix removed so that the instances pair.

use crate::model::Snapshot;

/// An environment scoped to a module call that holds nothing.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error(
        "`module = \"{module}\"`: the root module has no call `{call}` ({read} resources read)"
    )]
    NoCall {
        module: String,
        call: String,
        read: usize,
    },
    #[error("`module = \"{module}\"`: no resource of the state is under `{call}`")]
    NothingInState { module: String, call: String },
}

/// Keep only what lives inside one module call of the root, with the
/// call's prefix removed, so `module.staging_config.aws_x.y` and
/// `module.prod_config.aws_x.y` pair as `aws_x.y`.
pub fn scope_to_module(snap: &mut Snapshot, module: &str) -> Result<(), ScopeError> {
    let call = if module.starts_with("module.") {
        module.to_string()
    } else {
        format!("module.{module}")
    };
    let strip = |address: &str| -> Option<String> {
        let rest = address.strip_prefix(&call)?;
        if let Some(inner) = rest.strip_prefix('.') {
            return Some(inner.to_string());
        }
        // An instance of a counted module call: keep its key visible.
        if rest.starts_with('[') {
            return Some(rest.to_string());
        }
        None
    };
    let before = snap.resources.len();
    snap.resources.retain_mut(|r| match strip(&r.address) {
        Some(inner) => {
            r.address = inner.clone();
            r.key = inner;
            true
        }
        None => false,
    });
    let has_call = snap.dependencies.iter().any(|d| d.address == call);
    snap.dependencies.retain_mut(|d| {
        if d.rtype != "module_call" {
            return true;
        }
        match strip(&d.address) {
            Some(inner) => {
                d.address = inner.clone();
                d.key = inner;
                true
            }
            // The call itself: its source and version are the env's code.
            None if d.address == call => {
                d.address = "module".into();
                d.key = "module".into();
                true
            }
            None => false,
        }
    });
    // The call itself not read: nothing of the environment was.
    snap.unread = std::mem::take(&mut snap.unread)
        .into_iter()
        .filter_map(|u| {
            if u == call {
                Some(String::new())
            } else {
                strip(&u)
            }
        })
        .collect();
    snap.coverage
        .retain(|g| !g.what.starts_with("module.") || strip(&g.what).is_some() || g.what == call);
    if !has_call {
        return Err(ScopeError::NoCall {
            module: module.to_string(),
            call,
            read: before,
        });
    }
    Ok(())
}

/// Keep only what lives under one module call of the root, its prefix
/// removed (the state of a root that holds every environment as a module
/// instance). State has no module-call records to check the call against.
pub fn scope_state_to_module(snap: &mut Snapshot, module: &str) -> Result<(), ScopeError> {
    let call = if module.starts_with("module.") {
        module.to_string()
    } else {
        format!("module.{module}")
    };
    snap.resources.retain_mut(|r| {
        let Some(rest) = r.address.strip_prefix(&call) else {
            return false;
        };
        let inner = match rest.strip_prefix('.') {
            Some(inner) => inner.to_string(),
            None if rest.starts_with('[') => rest.to_string(),
            None => return false,
        };
        r.address = inner.clone();
        r.key = inner;
        true
    });
    if snap.resources.is_empty() {
        return Err(ScopeError::NothingInState {
            module: module.to_string(),
            call,
        });
    }
    Ok(())
}
