//! Encrypted, scoped, write-only secrets for workflow-automation services.
//!
//! `workflow-secrets` is the part of a workflow product that keeps its users' API
//! keys and tokens: it stores them sealed with envelope encryption, hands them to a
//! running workflow through scope and policy rules, and masks them out of everything
//! a client can see. It does no I/O of its own: the host brings the storage (the
//! async [`SecretStore`] trait), the actor's identity and role, and the output sinks.
//!
//! # Which type for which job
//!
//! | job | type |
//! |---|---|
//! | seal and open values (AES-256-GCM envelope, AAD-bound to scope, key and version) | [`Vault`] over a [`KeyWrapper`] such as [`LocalKeyring`] |
//! | keep sealed records | a [`SecretStore`]: [`MemoryStore`] built in, durable stores in their own crates |
//! | read pasted `.env` text for a bulk import, strictly and without echoing values | [`parse_env`] |
//!
//! # Security notes
//!
//! Plaintext lives in few, named places: a [`SecretValue`] (zeroized on drop) and
//! the caller's hands after [`SecretValue::expose_secret`]. `Debug`, `Display`,
//! errors, audit events and metadata listings never carry a value. See SECURITY.md
//! for what the crate does not protect against.
//!
//! # Feature flags
//!
//! - `testing`: the [`testing`] module, a conformance suite any [`SecretStore`]
//!   implementation can run against itself.

mod access;
mod admin;
mod audit;
mod clock;
mod crypto;
mod error;
mod import;
mod key;
#[path = "redact_stub.rs"]
mod redact;
mod resolve;
mod scope;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod value;

// ---- key, value, scope -------------------------------------------------------------
pub use key::SecretKey;
pub use scope::{Scope, UserId, WorkflowId, WorkspaceId};
pub use value::SecretValue;

// ---- crypto ------------------------------------------------------------------------
pub use crypto::{KeyId, KeyWrapper, LocalKeyring, SealedSecret, Vault};
pub use zeroize::Zeroizing;

// ---- store -------------------------------------------------------------------------
pub use store::{
    DynStore, Expect, MemoryStore, SecretMeta, SecretStore, StoreError, StoredSecret, WriteBatch,
    WriteOp,
};

// ---- access and administration -----------------------------------------------------------
pub use access::{Actor, SecretRole, WorkspaceRole};
pub use admin::{ImportMode, ImportReport, RewrapReport, SecretDetails, Secrets};

// ---- import ----------------------------------------------------------------------
pub use import::{EnvEntry, ImportWarning, ParsedEnv, parse_env};

// ---- resolution ----------------------------------------------------------------------
pub use resolve::{
    Access, ApiKeyHolder, Consulted, Explanation, Principal, Resolved, Resolver, Run, RunContext,
    ShareConfig, SkipReason, Source, Step, Template, Trigger, Verdict, WorkflowPolicy,
    WorkflowRequirements,
};

// ---- redaction (stub until the redaction branch lands) --------------------------------
pub use redact::{Redactor, RedactorBuilder};

// ---- audit, clock and errors -----------------------------------------------------------
pub use audit::{AuditEvent, AuditKind, AuditSink, MemoryAuditSink, NoopAuditSink};
pub use clock::{Clock, SystemClock, Timestamp};
pub use error::{Error, LineProblem, Missing, MissingReason};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
