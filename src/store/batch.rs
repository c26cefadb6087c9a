//! Atomic write batches with compare-and-swap.

use std::collections::HashSet;

use super::{KeptVersion, StoreError, StoredSecret};
use crate::vocab::Scope;
use crate::vocab::SecretKey;

/// What a write expects of the record's state before the batch.
///
/// `#[non_exhaustive]`: a store refuses (`invalid_batch`) an expectation it does not
/// know rather than guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expect {
    /// Anything: present or absent, any revision.
    Any,
    /// The record must not exist (create).
    Absent,
    /// The record must exist at exactly this revision (update, delete).
    Revision(u64),
}

impl Expect {
    /// Whether a record currently at `current` (`None`: absent) meets the expectation.
    ///
    /// The one place the rule lives, for stores that check in memory.
    pub fn holds(self, current: Option<u64>) -> bool {
        match self {
            Expect::Any => true,
            Expect::Absent => current.is_none(),
            Expect::Revision(n) => current == Some(n),
        }
    }
}

/// One operation of a [`WriteBatch`].
///
/// `#[non_exhaustive]`: a store refuses (`invalid_batch`) an operation it does not
/// know, writing nothing, rather than guess.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum WriteOp {
    /// Create or replace a record. The store sets `record.meta.revision` (the
    /// previous revision + 1, or 1 when new) and ignores the caller's.
    Put {
        /// The record to write.
        record: StoredSecret,
        /// What the record's state must be.
        expect: Expect,
    },
    /// Delete a record, and every version kept of it. Deleting an absent record
    /// under `Expect::Any` does nothing.
    Delete {
        /// Its scope.
        scope: Scope,
        /// Its key.
        key: SecretKey,
        /// What the record's state must be.
        expect: Expect,
    },
    /// Keep a version of a record: store it (replacing a kept version of the same
    /// number, as a re-wrap does), then drop the record's kept versions beyond the
    /// `keep` highest-numbered ones. Its expectation is of the record's current
    /// state (the current record, not the kept version), checked with the others.
    Keep {
        /// The version to keep, sealed for the history slot.
        version: KeptVersion,
        /// How many versions of the record to keep, counting this one: 1 to
        /// [`MAX_VERSIONS_KEPT`](super::MAX_VERSIONS_KEPT) (a store refuses others
        /// with `InvalidBatch`).
        keep: usize,
        /// What the record's current state must be.
        expect: Expect,
    },
}

impl WriteOp {
    /// The record this operation touches, or whose versions it keeps.
    pub fn target(&self) -> (&Scope, &SecretKey) {
        match self {
            WriteOp::Put { record, .. } => (&record.meta.scope, &record.meta.key),
            WriteOp::Delete { scope, key, .. } => (scope, key),
            WriteOp::Keep { version, .. } => (&version.meta.scope, &version.meta.key),
        }
    }

    /// What this operation expects of its record.
    pub fn expect(&self) -> Expect {
        match self {
            WriteOp::Put { expect, .. }
            | WriteOp::Delete { expect, .. }
            | WriteOp::Keep { expect, .. } => *expect,
        }
    }
}

/// Operations a store applies all-or-nothing.
///
/// Every expectation is checked against the state before the batch; if any fails,
/// nothing is written and the store answers [`StoreError::Conflict`]. A batch holds
/// at most one `Put` or `Delete` per (scope, key), and at most one `Keep` per
/// (scope, key, version) ([`StoreError::InvalidBatch`] otherwise).
///
/// # Example
///
/// ```
/// use workflow_secrets::{store::{Expect, WriteBatch, WriteOp}, Scope, SecretKey, WorkspaceId};
///
/// let scope = Scope::workspace(WorkspaceId::new("acme")?);
/// let mut batch = WriteBatch::new();
/// batch.push(WriteOp::Delete { scope, key: SecretKey::new("OLD")?, expect: Expect::Revision(3) });
/// assert_eq!(batch.ops.len(), 1);
/// assert!(batch.validate().is_ok());
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    /// The operations, applied in order.
    pub ops: Vec<WriteOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> WriteBatch {
        WriteBatch::default()
    }

    /// Appends an operation.
    pub fn push(&mut self, op: WriteOp) {
        self.ops.push(op);
    }

    /// Whether the batch has no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Checks the batch's shape: at most one `Put` or `Delete` per (scope, key),
    /// at most one `Keep` per (scope, key, version), and each `Keep`'s count in
    /// 1..=[`MAX_VERSIONS_KEPT`](super::MAX_VERSIONS_KEPT).
    ///
    /// Stores call this before applying a batch.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidBatch`] naming the key of the first repeated record.
    pub fn validate(&self) -> Result<(), StoreError> {
        let mut records = HashSet::with_capacity(self.ops.len());
        let mut versions = HashSet::new();
        for op in &self.ops {
            let (scope, key) = op.target();
            let fresh = match op {
                WriteOp::Keep { version, keep, .. } => {
                    if !(1..=super::MAX_VERSIONS_KEPT).contains(keep) {
                        return Err(StoreError::InvalidBatch(format!(
                            "versions of {key} in the {scope} kept: {keep}, not 1..={}",
                            super::MAX_VERSIONS_KEPT
                        )));
                    }
                    versions.insert((scope, key, version.meta.version))
                }
                _ => records.insert((scope, key)),
            };
            if !fresh {
                return Err(StoreError::InvalidBatch(format!(
                    "two operations on {key} in the {scope}"
                )));
            }
        }
        Ok(())
    }
}

impl From<Vec<WriteOp>> for WriteBatch {
    fn from(ops: Vec<WriteOp>) -> WriteBatch {
        WriteBatch { ops }
    }
}

impl FromIterator<WriteOp> for WriteBatch {
    fn from_iter<I: IntoIterator<Item = WriteOp>>(iter: I) -> WriteBatch {
        WriteBatch {
            ops: iter.into_iter().collect(),
        }
    }
}
