//! Where audit events go: the `AuditSink` trait and two sinks.

use std::sync::{Arc, Mutex, PoisonError};

use super::AuditEvent;

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
