//! Who may do what: the permission rules, in one place.

use std::collections::BTreeMap;

use crate::vocab::{Actor, Error, Scope, SecretRole, UserId, WorkspaceId, WorkspaceRole};

/// Every call that checks an actor: the permission rules name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Rotate,
    SetDetails,
    Delete,
    List,
    Import,
    Rewrap,
    Purge,
}

impl Operation {
    fn verb(self) -> &'static str {
        match self {
            Operation::Create => "create secrets",
            Operation::Rotate => "rotate this secret",
            Operation::SetDetails => "edit this secret's details",
            Operation::Delete => "delete secrets",
            Operation::List => "list secrets",
            Operation::Import => "import secrets",
            Operation::Rewrap => "re-wrap secrets",
            Operation::Purge => "purge secrets",
        }
    }
}

/// The host vouches for identity; the crate vouches for tenancy: an actor acts only in
/// its own workspace.
pub(crate) fn check_tenancy(actor: &Actor, workspace: &WorkspaceId) -> Result<(), Error> {
    if actor.workspace == *workspace {
        Ok(())
    } else {
        Err(Error::permission_denied(
            "the actor does not belong to this workspace",
        ))
    }
}

/// Whether `actor` may do `op` in `scope`; `members` are the per-secret roles of the
/// secret concerned, for operations on one existing secret.
///
/// The rules, in one place:
/// - tenancy first: the actor's workspace is the scope's;
/// - personal secrets are their owner's alone, except that workspace admins may purge
///   and re-wrap them (off-boarding, key rotation) without reading any;
/// - workspace and workflow-scoped secrets: admins create, delete, import, re-wrap and
///   purge; admins and the secret's own `SecretRole::Admin` members rotate it and edit
///   its details; every member, external ones included, lists metadata;
/// - `SecretRole::Member` grants nothing beyond the workspace role (a named member,
///   for the host to show): only `SecretRole::Admin` is ever consulted.
pub(crate) fn check(
    actor: &Actor,
    op: Operation,
    scope: &Scope,
    members: Option<&BTreeMap<UserId, SecretRole>>,
) -> Result<(), Error> {
    check_tenancy(actor, scope.workspace_id())?;
    if allows(actor, op, scope, members) {
        Ok(())
    } else {
        Err(Error::permission_denied(format!(
            "the actor may not {} in this scope",
            op.verb()
        )))
    }
}

/// The rule itself as a yes or no, tenancy included: whether `actor` may perform `op`
/// in `scope`. [`check`] is this with the refusal's error (tenancy's own first); a
/// diagnostic that only needs the answer (may this viewer see a scope?) asks here
/// rather than building an error it discards.
pub(crate) fn allows(
    actor: &Actor,
    op: Operation,
    scope: &Scope,
    members: Option<&BTreeMap<UserId, SecretRole>>,
) -> bool {
    let admin = actor.role == WorkspaceRole::Admin;
    let allowed = match scope {
        Scope::Personal { user, .. } => {
            *user == actor.user || (admin && matches!(op, Operation::Rewrap | Operation::Purge))
        }
        Scope::Workspace { .. } | Scope::Workflow { .. } => match op {
            Operation::List => true,
            Operation::Rotate | Operation::SetDetails => {
                admin || members.and_then(|m| m.get(&actor.user)) == Some(&SecretRole::Admin)
            }
            Operation::Create
            | Operation::Delete
            | Operation::Import
            | Operation::Rewrap
            | Operation::Purge => admin,
        },
    };
    allowed && actor.workspace == *scope.workspace_id()
}

/// Only workspace admins mask every value of their workspace.
pub(crate) fn check_workspace_admin(actor: &Actor) -> Result<(), Error> {
    if actor.role == WorkspaceRole::Admin {
        Ok(())
    } else {
        Err(Error::permission_denied(
            "only workspace admins may build a workspace-wide redactor",
        ))
    }
}
