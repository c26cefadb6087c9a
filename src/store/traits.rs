//! The `SecretStore` trait: where sealed records live.

use std::future::Future;
use std::sync::Arc;

use super::usage::UsageUnsupported;
use super::{
    FoundSealed, KeptVersion, SecretMeta, StoreError, StoredSecret, Usage, UsageMark, WriteBatch,
};
use crate::vocab::SecretKey;
use crate::vocab::{Scope, WorkspaceId};

/// Storage for sealed records, brought by the host.
///
/// Hosts keep secrets in networked databases, so the trait is async: each method
/// returns a `Send` future, and implementers may write `async fn`. The crate depends
/// on no runtime; a sync host drives the futures with any `block_on`.
///
/// The store never sees plaintext: records arrive sealed by a [`Vault`](crate::Vault)
/// and leave the same way.
///
/// # Implementation notes
///
/// What each method must guarantee (the `testing` module's conformance suite,
/// feature `testing`, checks every point):
///
/// - **Identity.** A record is named by (scope, key), compared byte for byte: ids
///   that differ only in case, trailing space or Unicode normalization are different
///   tenants, and so are keys that differ in case. Use a binary collation (`COLLATE "C"`
///   in PostgreSQL); never normalize.
/// - **Binding.** Every read answers with records of exactly the scope and key it was
///   asked for: a record (or, from `list`, metadata) whose `meta.scope` or `meta.key`
///   differs from the request is never returned, and an empty place is never filled
///   from another. A store that keeps `SecretMeta` in the row (the natural shape for a
///   key-value database) lets a database writer copy one tenant's row into another's
///   namespace; rebuild scope and key from the query, or check them before answering.
///   The crate does not trust this point alone: it opens every record with the scope
///   and key it asked for, never the ones the record declares, and refuses a record
///   or listing whose metadata disagrees with the request as a `store` error
///   ([`StoreError::corrupt`]), before any unseal or write.
/// - **`get`** returns the record as last written, `None` when absent.
/// - **`list`** returns the metadata of every record of one scope, sorted by key
///   bytewise (`"B" < "a"`), and never reads more than it needs.
/// - **`scopes`** returns every scope of a workspace that holds at least one record,
///   in any order without repeats; workspace-wide rewrap and masking walk it.
/// - **`write`** applies a [`WriteBatch`] all-or-nothing. It first calls
///   [`WriteBatch::validate`]; then checks every [`Expect`](crate::store::Expect) against the
///   state before the batch (any failure: [`StoreError::Conflict`], nothing written);
///   then applies every op, setting each `Put` record's `meta.revision` to the
///   previous revision + 1, or 1 when new, whatever the caller passed. Two writers
///   racing on one revision: exactly one wins. A store whose transactions are bounded
///   documents its limit and refuses a larger batch with `Backend`, writing nothing.
/// - **Kept versions.** `write` applies [`WriteOp::Keep`](crate::store::WriteOp::Keep)
///   (store the version, then keep only the `keep` highest-numbered ones of that
///   record) in the same transaction as the batch's other ops, and a `Delete`
///   removes the record's kept versions with it. `versions` answers them, newest
///   first, bound like `get` (exactly the scope and key asked for).
/// - **Provided methods** `get_first`, `find_sealed`, `get_many` and `list_many`
///   work by calling the required ones in sequence. Override them where one round
///   trip, one snapshot or fewer columns pay: the resolver calls `find_sealed` for
///   every credential of a run (an override reads only the version and the sealed
///   value, and names the scope by its position in the request), and
///   `get_many` must read all its keys from one snapshot for `Step::prefetch` to
///   keep a client id and its secret from straddling a rotation; the sequential
///   default is not a snapshot.
/// - **Usage.** `record_usage` keeps, per (scope, key, workflow), the latest
///   `used_at` it was ever given (a mark older than the kept time changes nothing),
///   all marks of one call or none; `usage` answers one (scope, key)'s rows, sorted
///   by workflow id bytewise, never another scope's or key's, and an empty list only
///   when none was recorded. Workflow ids are compared byte for byte, like keys.
///   Usage rows describe the *name* workflows reference: a `write` (a delete
///   included) leaves them as they are. The provided defaults answer a backend
///   error, never an empty list, so a store without usage fails a checked delete
///   closed ([`Secrets::delete_checked`](crate::Secrets::delete_checked)).
///
/// The crate never calls `write` with an empty batch and never holds a lock of its
/// own across an await.
///
/// # Example
///
/// ```
/// use workflow_secrets::{store::SecretStore, MemoryStore, Scope, SecretKey, WorkspaceId};
///
/// let store = MemoryStore::new();
/// let scope = Scope::workspace(WorkspaceId::new("acme")?);
/// let found = pollster::block_on(store.get(&scope, &SecretKey::new("API_KEY")?))?;
/// assert!(found.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait SecretStore: Send + Sync {
    /// The record of `key` in `scope`, or `None`.
    fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> impl Future<Output = Result<Option<StoredSecret>, StoreError>> + Send;

    /// The metadata of every record in `scope`, sorted by key bytewise.
    fn list(
        &self,
        scope: &Scope,
    ) -> impl Future<Output = Result<Vec<SecretMeta>, StoreError>> + Send;

    /// Applies a batch all-or-nothing, checking each op's expectation first.
    fn write(&self, batch: WriteBatch) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The versions kept of `key` in `scope` ([`WriteOp::Keep`](crate::store::WriteOp::Keep)),
    /// highest version first; empty when none is kept or the record is absent.
    ///
    /// Default: a `Backend` error saying the store keeps no versions, so a store
    /// written before versions existed fails a restore clearly instead of
    /// answering "none". The three built-in stores implement it.
    fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> impl Future<Output = Result<Vec<KeptVersion>, StoreError>> + Send {
        let _ = (scope, key);
        std::future::ready(Err(StoreError::unsupported(
            "this store keeps no versions of a secret",
        )))
    }

    /// Every scope of `workspace` that holds at least one record.
    fn scopes(
        &self,
        workspace: &WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Scope>, StoreError>> + Send;

    /// The first record of `key` found in `scopes`, in the order given.
    ///
    /// Default: `get` on each scope in turn. Override with one query.
    fn get_first(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> impl Future<Output = Result<Option<StoredSecret>, StoreError>> + Send {
        async move {
            for scope in scopes {
                if let Some(found) = self.get(scope, key).await? {
                    return Ok(Some(found));
                }
            }
            Ok(None)
        }
    }

    /// What a resolution reads: the sealed value of `key` in the first of `scopes`
    /// (in the order given) that holds it, its version, and that scope's position in
    /// `scopes`; `None` when no scope holds it.
    ///
    /// Default: `get_first`, checked with [`FoundSealed::of`] (a record of a scope or
    /// key outside the request is refused as corrupt). Override to read only these
    /// columns: the rest of the metadata (members, names, times) is not needed to
    /// open a value, and a store that clones or decodes it pays for nothing.
    fn find_sealed(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> impl Future<Output = Result<Option<FoundSealed>, StoreError>> + Send {
        async move {
            match self.get_first(scopes, key).await? {
                Some(record) => FoundSealed::of(scopes, key, record).map(Some),
                None => Ok(None),
            }
        }
    }

    /// For each of `keys`, in order, its first record in `scopes` (in the order given).
    ///
    /// The built-in stores read every key from one snapshot, so records written by one
    /// batch come back together or not at all. Default: `get_first` per key, in
    /// sequence, which is **not** a snapshot.
    fn get_many(
        &self,
        scopes: &[Scope],
        keys: &[SecretKey],
    ) -> impl Future<Output = Result<Vec<Option<StoredSecret>>, StoreError>> + Send {
        async move {
            let mut found = Vec::with_capacity(keys.len());
            for key in keys {
                found.push(self.get_first(scopes, key).await?);
            }
            Ok(found)
        }
    }

    /// The metadata of each of `scopes`, in order, each list sorted by key.
    ///
    /// Default: `list` on each scope in turn.
    fn list_many(
        &self,
        scopes: &[Scope],
    ) -> impl Future<Output = Result<Vec<Vec<SecretMeta>>, StoreError>> + Send {
        async move {
            let mut lists = Vec::with_capacity(scopes.len());
            for scope in scopes {
                lists.push(self.list(scope).await?);
            }
            Ok(lists)
        }
    }

    /// Records that each mark's workflow resolved its key from its scope at its time:
    /// per (scope, key, workflow), the store keeps the latest `used_at` given (an
    /// upsert keeping the maximum). All marks or none. (The SQL stores keep a time
    /// past `i64::MAX` ms, which no clock reads, as `i64::MAX`.) What
    /// [`Resolver::flush_usage`](crate::Resolver::flush_usage) calls.
    ///
    /// Default: a backend error (this store keeps no usage). Override it with
    /// [`usage`](Self::usage).
    fn record_usage(
        &self,
        marks: &[UsageMark],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = marks;
        async { Err(StoreError::backend(UsageUnsupported)) }
    }

    /// The workflows that resolved `key` from `scope`, each with the latest time
    /// recorded, sorted by workflow id bytewise.
    ///
    /// Default: a backend error (this store keeps no usage), never an empty list:
    /// "unknown" must not read as "unused".
    fn usage(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> impl Future<Output = Result<Vec<Usage>, StoreError>> + Send {
        let _ = (scope, key);
        async { Err(StoreError::backend(UsageUnsupported)) }
    }
}

macro_rules! forward_store {
    ($($target:tt)*) => {
        fn get(&self, scope: &Scope, key: &SecretKey)
            -> impl Future<Output = Result<Option<StoredSecret>, StoreError>> + Send {
            $($target)*::get(&**self, scope, key)
        }
        fn list(&self, scope: &Scope)
            -> impl Future<Output = Result<Vec<SecretMeta>, StoreError>> + Send {
            $($target)*::list(&**self, scope)
        }
        fn write(&self, batch: WriteBatch) -> impl Future<Output = Result<(), StoreError>> + Send {
            $($target)*::write(&**self, batch)
        }
        fn scopes(&self, workspace: &WorkspaceId)
            -> impl Future<Output = Result<Vec<Scope>, StoreError>> + Send {
            $($target)*::scopes(&**self, workspace)
        }
        fn versions(&self, scope: &Scope, key: &SecretKey)
            -> impl Future<Output = Result<Vec<KeptVersion>, StoreError>> + Send {
            $($target)*::versions(&**self, scope, key)
        }
        fn get_first(&self, scopes: &[Scope], key: &SecretKey)
            -> impl Future<Output = Result<Option<StoredSecret>, StoreError>> + Send {
            $($target)*::get_first(&**self, scopes, key)
        }
        fn find_sealed(&self, scopes: &[Scope], key: &SecretKey)
            -> impl Future<Output = Result<Option<FoundSealed>, StoreError>> + Send {
            $($target)*::find_sealed(&**self, scopes, key)
        }
        fn get_many(&self, scopes: &[Scope], keys: &[SecretKey])
            -> impl Future<Output = Result<Vec<Option<StoredSecret>>, StoreError>> + Send {
            $($target)*::get_many(&**self, scopes, keys)
        }
        fn list_many(&self, scopes: &[Scope])
            -> impl Future<Output = Result<Vec<Vec<SecretMeta>>, StoreError>> + Send {
            $($target)*::list_many(&**self, scopes)
        }
        fn record_usage(&self, marks: &[UsageMark])
            -> impl Future<Output = Result<(), StoreError>> + Send {
            $($target)*::record_usage(&**self, marks)
        }
        fn usage(&self, scope: &Scope, key: &SecretKey)
            -> impl Future<Output = Result<Vec<Usage>, StoreError>> + Send {
            $($target)*::usage(&**self, scope, key)
        }
    };
}

impl<S: SecretStore + ?Sized> SecretStore for Arc<S> {
    forward_store!(<S as SecretStore>);
}

impl<S: SecretStore + ?Sized> SecretStore for &S {
    forward_store!(<S as SecretStore>);
}
