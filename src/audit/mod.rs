//! Audit events and the sinks that receive them.

use std::sync::{Arc, Mutex, PoisonError};

use crate::vocab::SecretKey;
use crate::vocab::Timestamp;
use crate::vocab::Trigger;
use crate::vocab::{Scope, UserId, WorkflowId, WorkspaceId};

/// What an audited call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// Every secret of a scope was deleted (off-boarding).
    Purged,
    /// Sealed records were re-wrapped under the active key-encryption key.
    Rewrapped,
    /// A workspace-wide redactor was built.
    WorkspaceRedactor,
    /// A run resolved credentials.
    Resolved,
    /// A call was refused.
    Denied,
}

/// One audited call. **Never holds a value**: keys, scopes, versions and outcomes only.
///
/// `#[non_exhaustive]`: hosts read the fields; the crate makes the events.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditEvent {
    /// When, from the [`Clock`](crate::clock::Clock) of the `Secrets` or `Resolver`.
    pub at: Timestamp,
    /// What was done.
    pub kind: AuditKind,
    /// Who did it; `None` for a run no user clicked.
    pub actor: Option<UserId>,
    /// The workspace the call concerned.
    pub workspace: WorkspaceId,
    /// For resolutions: the workflow, what triggered it, and whether it ran by share link.
    pub run: Option<(WorkflowId, Trigger, bool)>,
    /// The scope concerned, where there is one.
    pub scope: Option<Scope>,
    /// The keys concerned, in order.
    pub keys: Vec<SecretKey>,
    /// The value version written or read, where there is one.
    pub version: Option<u64>,
    /// `Ok` for a call that went through; `Err(code)` for a refused or failed one.
    pub outcome: Result<(), &'static str>,
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
            workspace,
            run: None,
            scope: None,
            keys: Vec::new(),
            version: None,
            outcome: Ok(()),
        }
    }
}

/// Where audit events go: the host's audit log.
///
/// `record` is called synchronously on the path of the audited call, so a sink
/// should hand the event off (a channel, a buffer) rather than do I/O inline.
pub trait AuditSink: Send + Sync {
    /// Records one event.
    fn record(&self, event: AuditEvent);
}

impl<T: AuditSink + ?Sized> AuditSink for Arc<T> {
    fn record(&self, event: AuditEvent) {
        (**self).record(event);
    }
}

/// A sink that drops every event: the default.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopAuditSink;

impl AuditSink for NoopAuditSink {
    fn record(&self, _event: AuditEvent) {}
}

/// A sink that keeps events in memory, for tests and small hosts.
///
/// A shared handle: clones see the same events, so keep one clone and give another
/// to `Secrets::with_audit`.
///
/// # Example
///
/// ```
/// use workflow_secrets::{audit::{AuditEvent, AuditKind, AuditSink, MemoryAuditSink}, WorkspaceId};
///
/// let sink = MemoryAuditSink::new();
/// let handle = sink.clone();
/// sink.record(AuditEvent::new(0, AuditKind::Created, WorkspaceId::new("acme")?));
/// assert_eq!(handle.events()[0].kind, AuditKind::Created);
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryAuditSink {
    events: Arc<Mutex<Vec<AuditEvent>>>,
}

impl MemoryAuditSink {
    /// An empty sink.
    pub fn new() -> MemoryAuditSink {
        MemoryAuditSink::default()
    }

    /// A copy of every event recorded so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes and returns every event recorded so far.
    pub fn take(&self) -> Vec<AuditEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl AuditSink for MemoryAuditSink {
    fn record(&self, event: AuditEvent) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }
}
