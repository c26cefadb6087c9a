//! Atomic write batches with compare-and-swap.

use std::collections::HashSet;

use super::{StoreError, StoredSecret};
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
    /// Delete a record. Deleting an absent record under `Expect::Any` does nothing.
    Delete {
        /// Its scope.
        scope: Scope,
        /// Its key.
        key: SecretKey,
        /// What the record's state must be.
        expect: Expect,
    },
}

impl WriteOp {
    /// The record this operation touches.
    pub fn target(&self) -> (&Scope, &SecretKey) {
        match self {
            WriteOp::Put { record, .. } => (&record.meta.scope, &record.meta.key),
            WriteOp::Delete { scope, key, .. } => (scope, key),
        }
    }

    /// What this operation expects of its record.
    pub fn expect(&self) -> Expect {
        match self {
            WriteOp::Put { expect, .. } | WriteOp::Delete { expect, .. } => *expect,
        }
    }
}

/// Operations a store applies all-or-nothing.
///
/// Every expectation is checked against the state before the batch; if any fails,
/// nothing is written and the store answers [`StoreError::Conflict`]. A batch holds
/// at most one operation per (scope, key) ([`StoreError::InvalidBatch`] otherwise).
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

    /// Checks the batch's shape: at most one operation per (scope, key).
    ///
    /// Stores call this before applying a batch.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidBatch`] naming the key of the first repeated record.
    pub fn validate(&self) -> Result<(), StoreError> {
        let mut seen = HashSet::with_capacity(self.ops.len());
        for op in &self.ops {
            let (scope, key) = op.target();
            if !seen.insert((scope, key)) {
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
