//! The one way a management call is audited.
//!
//! Every public method of [`Secrets`] makes a [`Call`] and runs its body through
//! [`Secrets::audited`], the only place an event is made: the body returns with `?`
//! wherever it likes (a refusal, a store failure after the check, a vault error), and
//! exactly one event is recorded for the call, whatever its end. Bodies never record
//! events themselves, so no path can skip the audit or record twice.

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use super::Secrets;
use crate::audit::{AuditEvent, AuditKind};
use crate::store::SecretStore;
use crate::vocab::{Actor, Error, ErrorCode, Scope, SecretKey};

/// One management call in progress: who, what, where, and what the body learned.
pub(super) struct Call<'a> {
    kind: AuditKind,
    actor: &'a Actor,
    scope: Option<&'a Scope>,
    // A mutex (never held across an await) so that the body can take `&Call` while
    // `audited` holds it too, and the call's future stays `Send`.
    notes: Mutex<Notes>,
}

/// What the body learned on the way.
#[derive(Default)]
struct Notes {
    /// The kind the body settled on, when it differs from the call's (a `put` that
    /// created rather than rotated).
    kind: Option<AuditKind>,
    keys: Vec<SecretKey>,
    version: Option<u64>,
    restored_from: Option<u64>,
    incomplete: Option<ErrorCode>,
}

impl<'a> Call<'a> {
    /// A call of `kind` by `actor` concerning `scope` (`None`: workspace-wide) and
    /// `keys`.
    pub(super) fn new(
        kind: AuditKind,
        actor: &'a Actor,
        scope: Option<&'a Scope>,
        keys: &[SecretKey],
    ) -> Call<'a> {
        let notes = Notes {
            keys: keys.to_vec(),
            ..Notes::default()
        };
        Call {
            kind,
            actor,
            scope,
            notes: Mutex::new(notes),
        }
    }

    fn notes(&self) -> std::sync::MutexGuard<'_, Notes> {
        self.notes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The keys the event names (replacing those given so far).
    pub(super) fn keys(&self, keys: Vec<SecretKey>) {
        self.notes().keys = keys;
    }

    /// The event's kind, as the body found out what the call did.
    pub(super) fn kind(&self, kind: AuditKind) {
        self.notes().kind = Some(kind);
    }

    /// The value version written or read.
    pub(super) fn version(&self, version: u64) {
        self.notes().version = Some(version);
    }

    /// The kept version a restore copies.
    pub(super) fn restored_from(&self, version: u64) {
        self.notes().restored_from = Some(version);
    }

    /// The call returns `Ok` but did not do everything it was asked (a re-wrap that
    /// left records behind): the event's outcome is `Err(code)`.
    pub(super) fn incomplete(&self, code: ErrorCode) {
        self.notes().incomplete = Some(code);
    }
}

impl<S: SecretStore> Secrets<S> {
    /// Runs `body` and records exactly one event for `call`: the call's kind with
    /// `Ok` (or the code noted by [`Call::incomplete`]) on success; `Denied` with
    /// `permission_denied` for a permission refusal; the call's kind with the error's
    /// code for any other failure (a store failure after the check included).
    pub(super) async fn audited<T>(
        &self,
        call: &Call<'_>,
        body: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let result = body.await;
        self.record(call, result.as_ref().map(|_| ()));
        result
    }

    /// Records `call`'s event for a call that ended in `result`: one change of a
    /// save records its own this way.
    pub(super) fn record(&self, call: &Call<'_>, result: Result<(), &Error>) {
        let settled = call.notes().kind.unwrap_or(call.kind);
        let (kind, outcome) = match &result {
            Ok(_) => (settled, call.notes().incomplete.map_or(Ok(()), Err)),
            Err(Error::PermissionDenied { .. }) => {
                (AuditKind::Denied, Err(ErrorCode::PermissionDenied))
            }
            Err(err) => (settled, Err(err.kind())),
        };
        if let Some(sink) = &self.audit {
            let notes = std::mem::take(&mut *call.notes());
            let actor = call.actor;
            let mut event = AuditEvent::new(self.now(), kind, actor.workspace.clone());
            event.actor = Some(actor.user.clone());
            event.actor_external = actor.external;
            event.scope = call.scope.cloned();
            event.keys = notes.keys;
            event.version = if result.is_ok() { notes.version } else { None };
            event.restored_from = notes.restored_from;
            event.outcome = outcome;
            sink.record(event);
        }
    }
}
