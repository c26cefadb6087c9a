//! Who acts: actors and their roles, as the host's identity system vouches.

use super::scope::{UserId, WorkspaceId};

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
/// Neither role reads a value: values are write-only. Per-secret roles apply to
/// workspace and workflow-scoped secrets; a personal secret is its owner's alone,
/// whatever its members say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SecretRole {
    /// May rotate this secret and edit its details and members, on top of what the
    /// user's workspace role allows.
    Admin,
    /// A named member of the secret (for example, the people responsible for it, for
    /// the host to show): **grants nothing** beyond the user's workspace role. Every
    /// member of the workspace already lists workspace and workflow metadata, which
    /// is all a "viewer of this secret's details" could be given without reading the
    /// value; the crate's permission rules never consult this role. Kept, not
    /// removed, so that stored members that name it still read.
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
    /// An external (guest) member: acts by their role; it grants or removes nothing,
    /// and every audit event of the actor's calls records it
    /// ([`AuditEvent::actor_external`](crate::audit::AuditEvent::actor_external)).
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
