//! Usage records: which workflows resolved a secret, and when last.

use std::fmt;

use crate::vocab::{Scope, SecretKey, Timestamp, WorkflowId};

/// One resolution to record: `workflow` resolved `key` from `scope` at `used_at`.
///
/// What [`Resolver::flush_usage`](crate::Resolver::flush_usage) hands
/// [`SecretStore::record_usage`](super::SecretStore::record_usage). Names only: no
/// value, no sealed bytes.
///
/// `#[non_exhaustive]`: build one with [`UsageMark::new`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UsageMark {
    /// The scope the value was found in.
    pub scope: Scope,
    /// The key resolved.
    pub key: SecretKey,
    /// The workflow whose run resolved it.
    pub workflow: WorkflowId,
    /// When (ms since the Unix epoch, by the resolver's clock).
    pub used_at: Timestamp,
}

impl UsageMark {
    /// A mark of `workflow` resolving `key` from `scope` at `used_at`.
    pub fn new(scope: Scope, key: SecretKey, workflow: WorkflowId, used_at: Timestamp) -> Self {
        UsageMark {
            scope,
            key,
            workflow,
            used_at,
        }
    }
}

/// One workflow's use of one secret, as a store keeps it: the latest time recorded.
///
/// The answer of [`SecretStore::usage`](super::SecretStore::usage) and
/// [`Secrets::usage`](crate::Secrets::usage), which name the scope and key asked
/// about, so the record does not repeat them.
///
/// `#[non_exhaustive]`: build one with [`Usage::new`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// The workflow.
    pub workflow: WorkflowId,
    /// The latest time a mark recorded for it (ms since the Unix epoch).
    pub last_used_at: Timestamp,
}

impl Usage {
    /// `workflow` last used the secret at `last_used_at`.
    pub fn new(workflow: WorkflowId, last_used_at: Timestamp) -> Self {
        Usage {
            workflow,
            last_used_at,
        }
    }
}

/// The backend error of a store that keeps no usage records (the default
/// [`record_usage`](super::SecretStore::record_usage) and
/// [`usage`](super::SecretStore::usage)): a store that cannot say whether a secret
/// is used answers an error, never "unused".
#[derive(Debug)]
pub(crate) struct UsageUnsupported;

impl fmt::Display for UsageUnsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this store keeps no usage records (SecretStore::record_usage and usage are not implemented)")
    }
}

impl std::error::Error for UsageUnsupported {}
