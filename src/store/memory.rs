//! `MemoryStore`: the built-in, in-process store.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::{Future, ready};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{SecretMeta, SecretStore, StoreError, StoredSecret, WriteBatch, WriteOp};
use crate::vocab::SecretKey;
use crate::vocab::{Scope, WorkspaceId};

type Records = HashMap<Scope, BTreeMap<SecretKey, StoredSecret>>;

/// A thread-safe store in memory: for tests, examples and single-process hosts that
/// can lose their secrets on restart.
///
/// Its futures are ready at once. `get_many` and `list_many` read one snapshot under
/// one lock. Nothing is durable: use `workflow-secrets-sqlite` or
/// `workflow-secrets-postgres` for that.
///
/// # Example
///
/// ```
/// use workflow_secrets::{store::SecretStore, MemoryStore, Scope, WorkspaceId};
///
/// let store = MemoryStore::new();
/// let acme = WorkspaceId::new("acme")?;
/// let listed = pollster::block_on(store.list(&Scope::workspace(acme)))?;
/// assert!(listed.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct MemoryStore {
    records: RwLock<Records>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, Records> {
        // A panic elsewhere cannot leave a half-applied batch: `apply` checks every
        // expectation before it mutates anything, so the map is always consistent.
        self.records.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> RwLockWriteGuard<'_, Records> {
        self.records.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn get_now(records: &Records, scopes: &[Scope], key: &SecretKey) -> Option<StoredSecret> {
        scopes
            .iter()
            .find_map(|scope| records.get(scope).and_then(|keys| keys.get(key)))
            .cloned()
    }

    fn list_now(records: &Records, scope: &Scope) -> Vec<SecretMeta> {
        records
            .get(scope)
            .map(|keys| keys.values().map(|r| r.meta.clone()).collect())
            .unwrap_or_default()
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError> {
        batch.validate()?;
        let mut records = self.lock();
        let revision_of = |records: &Records, scope: &Scope, key: &SecretKey| {
            records
                .get(scope)
                .and_then(|keys| keys.get(key))
                .map(|r| r.meta.revision)
        };
        for op in &batch.ops {
            let (scope, key) = op.target();
            if !op.expect().holds(revision_of(&records, scope, key)) {
                return Err(StoreError::Conflict);
            }
        }
        for op in batch.ops {
            match op {
                WriteOp::Put { mut record, .. } => {
                    let previous = revision_of(&records, &record.meta.scope, &record.meta.key);
                    record.meta.revision = previous.map_or(1, |r| r + 1);
                    records
                        .entry(record.meta.scope.clone())
                        .or_default()
                        .insert(record.meta.key.clone(), record);
                }
                WriteOp::Delete { scope, key, .. } => {
                    if let Some(keys) = records.get_mut(&scope) {
                        keys.remove(&key);
                        if keys.is_empty() {
                            records.remove(&scope);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = self.read();
        f.debug_struct("MemoryStore")
            .field("scopes", &records.len())
            .field(
                "records",
                &records.values().map(BTreeMap::len).sum::<usize>(),
            )
            .finish()
    }
}

impl SecretStore for MemoryStore {
    fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> impl Future<Output = Result<Option<StoredSecret>, StoreError>> + Send {
        ready(Ok(Self::get_now(
            &self.read(),
            std::slice::from_ref(scope),
            key,
        )))
    }

    fn list(
        &self,
        scope: &Scope,
    ) -> impl Future<Output = Result<Vec<SecretMeta>, StoreError>> + Send {
        ready(Ok(Self::list_now(&self.read(), scope)))
    }

    fn write(&self, batch: WriteBatch) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.apply(batch))
    }

    fn scopes(
        &self,
        workspace: &WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Scope>, StoreError>> + Send {
        let records = self.read();
        let mut scopes: Vec<Scope> = records
            .keys()
            .filter(|s| s.workspace_id() == workspace)
            .cloned()
            .collect();
        scopes.sort();
        ready(Ok(scopes))
    }

    fn get_first(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> impl Future<Output = Result<Option<StoredSecret>, StoreError>> + Send {
        ready(Ok(Self::get_now(&self.read(), scopes, key)))
    }

    fn get_many(
        &self,
        scopes: &[Scope],
        keys: &[SecretKey],
    ) -> impl Future<Output = Result<Vec<Option<StoredSecret>>, StoreError>> + Send {
        let records = self.read();
        ready(Ok(keys
            .iter()
            .map(|key| Self::get_now(&records, scopes, key))
            .collect()))
    }

    fn list_many(
        &self,
        scopes: &[Scope],
    ) -> impl Future<Output = Result<Vec<Vec<SecretMeta>>, StoreError>> + Send {
        let records = self.read();
        ready(Ok(scopes
            .iter()
            .map(|scope| Self::list_now(&records, scope))
            .collect()))
    }
}
