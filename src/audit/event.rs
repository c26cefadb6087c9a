//! `AuditEvent`: one audited call, names and outcomes only.

use crate::vocab::{
    ErrorCode, Scope, SecretKey, Timestamp, Trigger, UserId, WorkflowId, WorkspaceId,
};

/// What an audited call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditKind {
    /// A secret was created.
    Created,
    /// A secret's value was rotated.
    Rotated,
    /// A secret was deleted.
    Deleted,
    /// A secret's details (display name, description, members) changed.
    DetailsChanged,
    /// Secrets were imported from `.env` text.
    Imported,
    /// An import of `.env` text was previewed (nothing written).
    ImportPreviewed,
    /// A scope's metadata was listed.
    Listed,
    /// Every secret of a scope was deleted (off-boarding).
    Purged,
    /// Sealed records were re-wrapped under the active key-encryption key.
    Rewrapped,
    /// A workspace-wide redactor was built.
    WorkspaceRedactor,
    /// A run resolved credentials.
    Resolved,
    /// A secret's key was renamed in its scope (`Secrets::rename`): the event's
    /// `keys` are the old name, then the new.
    Renamed,
    /// A kept version was made current again (`Secrets::restore`): the event's
    /// `version` is the new one, `restored_from` the one copied.
    Restored,
    /// A candidate was compared with a stored value (`Secrets::verify`); the event
    /// says neither the candidate nor whether it matched.
    Verified,
    /// A call was refused.
    Denied,
}

/// One audited call. **Never holds a value**: keys, scopes, versions and outcomes only.
///
/// `#[non_exhaustive]`: hosts read the fields; the crate makes the events.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AuditEvent {
    /// When, from the [`Clock`](crate::clock::Clock) of the `Secrets` or `Resolver`.
    pub at: Timestamp,
    /// What was done.
    pub kind: AuditKind,
    /// Who did it; `None` for a run no user clicked.
    pub actor: Option<UserId>,
    /// Whether the actor is an external (guest) member of the workspace
    /// ([`Actor::external`](crate::Actor::external)); `false` when there is no actor.
    pub actor_external: bool,
    /// The workspace the call concerned.
    pub workspace: WorkspaceId,
    /// For resolutions: the run that resolved.
    pub run: Option<AuditRun>,
    /// The scope concerned, where there is one.
    pub scope: Option<Scope>,
    /// The keys concerned, in order.
    pub keys: Vec<SecretKey>,
    /// The value version written or read, where there is one.
    pub version: Option<u64>,
    /// For a restore: the kept version it made current again.
    pub restored_from: Option<u64>,
    /// `Ok` for a call that went through; `Err(code)` for a refused or failed one.
    pub outcome: Result<(), ErrorCode>,
}

impl AuditEvent {
    /// A new event with the given time, kind and workspace, and nothing else set.
    ///
    /// Audit events are made by the crate; this constructor exists for sinks'
    /// own tests and for hosts that forward events of their own through one sink.
    pub fn new(at: Timestamp, kind: AuditKind, workspace: WorkspaceId) -> AuditEvent {
        AuditEvent {
            at,
            kind,
            actor: None,
            actor_external: false,
            workspace,
            run: None,
            scope: None,
            keys: Vec::new(),
            version: None,
            restored_from: None,
            outcome: Ok(()),
        }
    }
}

/// The run an audited resolution belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct AuditRun {
    /// The workflow that ran.
    pub workflow: WorkflowId,
    /// What started the run.
    pub trigger: Trigger,
    /// Whether the run came through a share link.
    pub shared: bool,
}

impl AuditRun {
    /// The run of `workflow`, started by `trigger`, through a share link or not.
    pub fn new(workflow: WorkflowId, trigger: Trigger, shared: bool) -> AuditRun {
        AuditRun {
            workflow,
            trigger,
            shared,
        }
    }
}
