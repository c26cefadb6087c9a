//! `KeyId`: the name of a key-encryption key.

use std::fmt;

/// The id of a key-encryption key (KEK) in a keyring.
///
/// Public: it is written in clear into every sealed record, so a vault knows which
/// KEK unwraps the record's data key.
///
/// # Example
///
/// ```
/// use workflow_secrets::crypto::KeyId;
///
/// let id = KeyId::from(2);
/// assert_eq!(id.get(), 2);
/// assert_eq!(id.to_string(), "2");
/// ```
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
pub struct KeyId(u32);

impl KeyId {
    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for KeyId {
    fn from(id: u32) -> KeyId {
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
