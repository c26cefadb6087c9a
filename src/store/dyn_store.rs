//! `DynStore`: any store behind one type, for a store chosen at run time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{
    FoundSealed, KeptVersion, SecretMeta, SecretStore, StoreError, StoredSecret, Usage, UsageMark,
    WriteBatch,
};
use crate::vocab::SecretKey;
use crate::vocab::{Scope, WorkspaceId};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The object-safe mirror of [`SecretStore`]: every method returns a boxed future.
trait ErasedStore: Send + Sync {
    fn get<'a>(
        &'a self,
        scope: &'a Scope,
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Option<StoredSecret>>;
    fn list<'a>(&'a self, scope: &'a Scope) -> BoxFuture<'a, Vec<SecretMeta>>;
    fn write(&self, batch: WriteBatch) -> BoxFuture<'_, ()>;
    fn scopes<'a>(&'a self, workspace: &'a WorkspaceId) -> BoxFuture<'a, Vec<Scope>>;
    fn versions<'a>(
        &'a self,
        scope: &'a Scope,
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Vec<KeptVersion>>;
    fn get_first<'a>(
        &'a self,
        scopes: &'a [Scope],
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Option<StoredSecret>>;
    fn find_sealed<'a>(
        &'a self,
        scopes: &'a [Scope],
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Option<FoundSealed>>;
    fn get_many<'a>(
        &'a self,
        scopes: &'a [Scope],
        keys: &'a [SecretKey],
    ) -> BoxFuture<'a, Vec<Option<StoredSecret>>>;
    fn list_many<'a>(&'a self, scopes: &'a [Scope]) -> BoxFuture<'a, Vec<Vec<SecretMeta>>>;
    fn record_usage<'a>(&'a self, marks: &'a [UsageMark]) -> BoxFuture<'a, ()>;
    fn usage<'a>(&'a self, scope: &'a Scope, key: &'a SecretKey) -> BoxFuture<'a, Vec<Usage>>;
}

impl<S: SecretStore> ErasedStore for S {
    fn get<'a>(
        &'a self,
        scope: &'a Scope,
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Option<StoredSecret>> {
        Box::pin(SecretStore::get(self, scope, key))
    }
    fn list<'a>(&'a self, scope: &'a Scope) -> BoxFuture<'a, Vec<SecretMeta>> {
        Box::pin(SecretStore::list(self, scope))
    }
    fn write(&self, batch: WriteBatch) -> BoxFuture<'_, ()> {
        Box::pin(SecretStore::write(self, batch))
    }
    fn scopes<'a>(&'a self, workspace: &'a WorkspaceId) -> BoxFuture<'a, Vec<Scope>> {
        Box::pin(SecretStore::scopes(self, workspace))
    }
    fn versions<'a>(
        &'a self,
        scope: &'a Scope,
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Vec<KeptVersion>> {
        Box::pin(SecretStore::versions(self, scope, key))
    }
    fn get_first<'a>(
        &'a self,
        scopes: &'a [Scope],
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Option<StoredSecret>> {
        Box::pin(SecretStore::get_first(self, scopes, key))
    }
    fn find_sealed<'a>(
        &'a self,
        scopes: &'a [Scope],
        key: &'a SecretKey,
    ) -> BoxFuture<'a, Option<FoundSealed>> {
        Box::pin(SecretStore::find_sealed(self, scopes, key))
    }
    fn get_many<'a>(
        &'a self,
        scopes: &'a [Scope],
        keys: &'a [SecretKey],
    ) -> BoxFuture<'a, Vec<Option<StoredSecret>>> {
        Box::pin(SecretStore::get_many(self, scopes, keys))
    }
    fn list_many<'a>(&'a self, scopes: &'a [Scope]) -> BoxFuture<'a, Vec<Vec<SecretMeta>>> {
        Box::pin(SecretStore::list_many(self, scopes))
    }
    fn record_usage<'a>(&'a self, marks: &'a [UsageMark]) -> BoxFuture<'a, ()> {
        Box::pin(SecretStore::record_usage(self, marks))
    }
    fn usage<'a>(&'a self, scope: &'a Scope, key: &'a SecretKey) -> BoxFuture<'a, Vec<Usage>> {
        Box::pin(SecretStore::usage(self, scope, key))
    }
}

/// Any [`SecretStore`] behind one type, for a store picked from configuration at run
/// time (SQLite on a laptop, PostgreSQL in production).
///
/// `SecretStore` returns `impl Future`, so it cannot be a `dyn` trait object; `DynStore`
/// boxes each future instead (one allocation per call) and forwards every method,
/// `versions` and the store's own overrides of `get_first`, `find_sealed`, `get_many`,
/// `list_many`, `record_usage` and `usage` included.
/// Cheap to clone: clones share the store.
///
/// # Example
///
/// ```
/// use workflow_secrets::{store::DynStore, MemoryStore};
///
/// fn store_from_config(kind: &str) -> DynStore {
///     match kind {
///         // "sqlite" => DynStore::new(SqliteStore::open(path)?), and so on
///         _ => DynStore::new(MemoryStore::new()),
///     }
/// }
/// let store = store_from_config("memory");
/// # let _ = store;
/// ```
#[derive(Clone)]
pub struct DynStore {
    inner: Arc<dyn ErasedStore>,
}

impl DynStore {
    /// Erases the type of `store`.
    pub fn new(store: impl SecretStore + 'static) -> DynStore {
        DynStore {
            inner: Arc::new(store),
        }
    }
}

impl fmt::Debug for DynStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DynStore")
    }
}

// `async fn` around the boxed future, so the returned future may borrow each argument for
// its own lifetime (a bare boxed future would need one common lifetime).
impl SecretStore for DynStore {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        self.inner.get(scope, key).await
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        self.inner.list(scope).await
    }
    fn write(&self, batch: WriteBatch) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.write(batch)
    }
    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        self.inner.scopes(workspace).await
    }
    async fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<KeptVersion>, StoreError> {
        self.inner.versions(scope, key).await
    }
    async fn get_first(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        self.inner.get_first(scopes, key).await
    }
    async fn find_sealed(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Option<FoundSealed>, StoreError> {
        self.inner.find_sealed(scopes, key).await
    }
    async fn get_many(
        &self,
        scopes: &[Scope],
        keys: &[SecretKey],
    ) -> Result<Vec<Option<StoredSecret>>, StoreError> {
        self.inner.get_many(scopes, keys).await
    }
    async fn list_many(&self, scopes: &[Scope]) -> Result<Vec<Vec<SecretMeta>>, StoreError> {
        self.inner.list_many(scopes).await
    }
    async fn record_usage(&self, marks: &[UsageMark]) -> Result<(), StoreError> {
        self.inner.record_usage(marks).await
    }
    async fn usage(&self, scope: &Scope, key: &SecretKey) -> Result<Vec<Usage>, StoreError> {
        self.inner.usage(scope, key).await
    }
}
