//! Audit events and the sinks that receive them.
//!
//! Every management call of [`Secrets`](crate::Secrets) and every resolution of a
//! [`Resolver`](crate::Resolver) records exactly one [`AuditEvent`] in the configured
//! [`AuditSink`], whatever its end: a success, a permission refusal (`Denied`), or a
//! failure (a store failure after the permission check included) with its error code. Events hold names, scopes,
//! versions and typed outcome codes, never a value. This module depends only on the
//! crate's vocabulary.

mod event;
mod sink;

pub use event::{AuditEvent, AuditKind, AuditRun};
pub use sink::{AuditSink, MemoryAuditSink, NoopAuditSink};
