//! Record and id fixtures for store tests: what the conformance suite writes, for
//! a store's own tests to write too.
//!
//! Every helper panics on bad input (an invalid id, key or value) rather than
//! returning an error: they take literals from tests, where a panic is the failure
//! report.
//!
//! A record's value and display name are one *marker* string, so a test can tell
//! which write it reads by its metadata alone ([`marker`]) and still check the
//! sealed value down to the plaintext ([`open`]).
//!
//! # Example
//!
//! ```
//! use workflow_secrets::MemoryStore;
//! use workflow_secrets::store::{Expect, SecretStore, WriteBatch};
//! use workflow_secrets::testing::fixtures::{marker, open, put, record, vault, workspace};
//!
//! let (store, vault) = (MemoryStore::new(), vault());
//! let scope = workspace("acme");
//! let written = record(&vault, &scope, "API_KEY", "first");
//! pollster::block_on(store.write(WriteBatch::from(vec![put(written.clone(), Expect::Absent)])))?;
//!
//! assert_eq!(pollster::block_on(marker(&store, &scope, "API_KEY")).as_deref(), Some("first"));
//! assert_eq!(open(&vault, &scope, "API_KEY", &written), "first");
//! # Ok::<(), workflow_secrets::store::StoreError>(())
//! ```

use crate::store::{Expect, SecretMeta, SecretStore, StoredSecret, WriteOp};
use crate::vocab::Timestamp;
use crate::{LocalKeyring, Scope, SecretKey, SecretValue, UserId, Vault};

/// The user every [`record`] is created and last updated by.
pub const CREATED_BY: &str = "suite-user";

/// When every [`record`] was created and last updated (November 2023, in ms): large
/// enough that a store truncating timestamps to 32 bits fails a round trip.
pub const CREATED_AT: Timestamp = 1_700_000_000_000;

/// An id of any kind (`WorkspaceId`, `WorkflowId`, `UserId`) from its text.
///
/// # Panics
///
/// When `text` is not a valid id.
pub fn id<T>(text: &str) -> T
where
    T: TryFrom<String>,
    T::Error: std::fmt::Debug,
{
    T::try_from(text.to_owned()).expect("a valid id")
}

/// A key from its name.
///
/// # Panics
///
/// When `name` is not a valid key.
pub fn key(name: &str) -> SecretKey {
    SecretKey::new(name).expect("a valid key")
}

/// The workspace-wide scope of workspace `ws`.
///
/// # Panics
///
/// When `ws` is not a valid id.
pub fn workspace(ws: &str) -> Scope {
    Scope::workspace(id(ws))
}

/// A vault over a freshly generated keyring, for sealing [`record`]s.
pub fn vault() -> Vault {
    Vault::new(LocalKeyring::generate())
}

/// A record of `key` in `scope`, at version 1, whose value and display name are
/// `marker`, sealed by `vault` and created by [`CREATED_BY`] at [`CREATED_AT`].
///
/// Its revision is 0: the store sets it on write.
///
/// # Panics
///
/// When `key` is not a valid key or `marker` is too long to be a value.
pub fn record(vault: &Vault, scope: &Scope, key: &str, marker: &str) -> StoredSecret {
    let key = self::key(key);
    let value = SecretValue::new(marker).expect("a value within the size limit");
    let sealed = vault
        .seal(scope, &key, 1, &value)
        .expect("sealing succeeds");
    let by: UserId = id(CREATED_BY);
    let mut meta = SecretMeta::new(scope.clone(), key, by, CREATED_AT);
    meta.display_name = Some(marker.to_owned());
    StoredSecret { meta, sealed }
}

/// The plaintext of `record`, read as the record of `key` in `scope`: unsealed by
/// `vault` with that binding (and the record's version), as the crate opens what a
/// store returns; never with the scope and key the record's metadata declares.
///
/// # Panics
///
/// When the record's metadata names another scope or key (the store moved it), or
/// the record does not open (tampered, or sealed by another vault).
pub fn open(vault: &Vault, scope: &Scope, key: &str, record: &StoredSecret) -> String {
    let key = self::key(key);
    let meta = &record.meta;
    assert!(
        meta.scope == *scope && meta.key == key,
        "the store answered a read of {key} in the {scope} with a record of {} in the {}",
        meta.key,
        meta.scope
    );
    let value = vault
        .unseal(scope, &key, meta.version, &record.sealed)
        .expect("the record opens");
    value.expose_secret().to_owned()
}

/// A `Put` of `record` under `expect`, for a [`WriteBatch`](crate::store::WriteBatch).
pub fn put(record: StoredSecret, expect: Expect) -> WriteOp {
    WriteOp::Put { record, expect }
}

/// The marker (display name) of the record of `key` in `scope`, `None` when absent.
///
/// # Panics
///
/// When `key` is not a valid key, the store fails, or the store answers with a record
/// whose metadata names another scope or key.
pub async fn marker<S: SecretStore>(store: &S, scope: &Scope, key: &str) -> Option<String> {
    let key = self::key(key);
    let found = store.get(scope, &key).await.expect("get succeeds");
    found.and_then(|r| {
        assert!(
            r.meta.scope == *scope && r.meta.key == key,
            "the store answered a read of {key} in the {scope} with a record of {} in the {}",
            r.meta.key,
            r.meta.scope
        );
        r.meta.display_name
    })
}
