//! Who may do what: actors, roles, and the permission rules in one place.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::scope::{Scope, UserId, WorkspaceId};

/// An actor's role in a workspace, as the host's identity system says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum WorkspaceRole {
    /// Manages workspace and workflow-scoped secrets.
    Admin,
    /// Edits workflows; references secrets by key.
    Editor,
    /// Runs workflows.
    Runner,
    /// Reads workflows.
    Viewer,
}

/// A user's role on one secret, granted through its details.
///
/// Neither role reads a value: values are write-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SecretRole {
    /// May rotate this secret and edit its details and members.
    Admin,
    /// May view this secret's details.
    Member,
}

/// Who is making a management call, as the host vouches.
///
/// The host's identity claims are trusted; the crate checks tenancy (that the actor
/// belongs to the workspace of the scope it touches) and the permission rules.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Actor {
    /// The user.
    pub user: UserId,
    /// The workspace the user is acting in.
    pub workspace: WorkspaceId,
    /// Their role there.
    pub role: WorkspaceRole,
    /// An external (guest) member: acts by their role; recorded in audit events,
    /// it grants or removes nothing.
    pub external: bool,
}

impl Actor {
    /// A member (not external) of `workspace` with `role`.
    pub fn new(user: UserId, workspace: WorkspaceId, role: WorkspaceRole) -> Actor {
        Actor {
            user,
            workspace,
            role,
            external: false,
        }
    }
}

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
///   its details; every member, external ones included, lists metadata.
pub(crate) fn check(
    actor: &Actor,
    op: Operation,
    scope: &Scope,
    members: Option<&BTreeMap<UserId, SecretRole>>,
) -> Result<(), Error> {
    check_tenancy(actor, scope.workspace_id())?;
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
    if allowed {
        Ok(())
    } else {
        Err(Error::permission_denied(format!(
            "the actor may not {} in this scope",
            op.verb()
        )))
    }
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
