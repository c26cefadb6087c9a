//! `RecordRole`: which slot of the store a sealed record is bound to.

/// The slot a sealed record belongs to: the one current value of a key, or one of
/// its kept versions.
///
/// Bound into both associated data of every record sealed in format 2, so a
/// version copied from the history into the current slot (or the other way)
/// fails to open (`tampered`): a database writer cannot make an old value current
/// by moving one row, or serve the current value as a version. Records of format
/// 1, written before versions were kept, open only as [`Current`](Self::Current).
///
/// # Example
///
/// ```
/// use workflow_secrets::crypto::RecordRole;
/// use workflow_secrets::{LocalKeyring, Scope, SecretKey, SecretValue, Vault, WorkspaceId};
///
/// let vault = Vault::new(LocalKeyring::generate());
/// let scope = Scope::workspace(WorkspaceId::new("acme")?);
/// let key = SecretKey::new("API_KEY")?;
/// let kept = vault.seal_for(RecordRole::History, &scope, &key, 3, &SecretValue::new("sk-3")?)?;
///
/// assert_eq!(vault.unseal_for(RecordRole::History, &scope, &key, 3, &kept)?.expose_secret(), "sk-3");
/// // The same bytes in the current slot do not open.
/// assert_eq!(vault.unseal(&scope, &key, 3, &kept).unwrap_err().code(), "tampered");
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordRole {
    /// The key's current value, the one resolution reads.
    Current,
    /// A kept version in the key's history, read only by a restore.
    History,
}

impl RecordRole {
    /// The byte format 2 binds: `0x01` current, `0x02` history.
    pub(crate) fn tag(self) -> u8 {
        match self {
            RecordRole::Current => 0x01,
            RecordRole::History => 0x02,
        }
    }
}
