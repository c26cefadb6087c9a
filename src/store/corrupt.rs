//! `Corrupt`: the error a store reports when its own data does not decode.

use std::fmt;

use super::StoreError;

/// A fault found in the stored data itself: a row, column or file that no release of
/// the store wrote (edited by hand, truncated, or from a newer schema).
///
/// Holds only a `&'static str` reason, text compiled into the program, so it cannot
/// carry the row it complains about: no value, no sealed bytes, no id or key read
/// from the database. That is the point of the type: a store that reported the bad
/// column's content would put whatever the row held, sealed bytes or a
/// mistakenly-stored plaintext, into the host's logs.
///
/// Reaches the host as [`StoreError::Backend`], so as
/// [`Error::Store`](crate::error::Error::Store) with code `"store"`; a host that wants
/// to tell corruption from an outage downcasts the source to `Corrupt`.
///
/// # Example
///
/// ```
/// use workflow_secrets::store::{Corrupt, StoreError};
///
/// let err = StoreError::from(Corrupt::new("a row names an unknown scope"));
/// assert_eq!(
///     err.to_string(),
///     "storage backend failed: corrupt store: a row names an unknown scope"
/// );
/// assert_eq!(workflow_secrets::Error::from(err).code(), "store");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt {
    reason: &'static str,
}

impl Corrupt {
    /// A corruption described by `reason`, such as `"a row holds an invalid key"`.
    ///
    /// Name the column or the rule, never the content.
    pub const fn new(reason: &'static str) -> Corrupt {
        Corrupt { reason }
    }

    /// What is wrong, in words that quote nothing from the store.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "corrupt store: {}", self.reason)
    }
}

impl std::error::Error for Corrupt {}

impl From<Corrupt> for StoreError {
    fn from(err: Corrupt) -> StoreError {
        StoreError::backend(err)
    }
}
