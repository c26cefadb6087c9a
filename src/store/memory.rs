//! `MemoryStore`: the built-in, in-process store.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::future::{Future, ready};
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{
    FoundSealed, KeptVersion, SecretMeta, SecretStore, StoreError, StoredSecret, Usage, UsageMark,
    WriteBatch, WriteOp,
};
use crate::vocab::{Scope, SecretKey, Timestamp, WorkflowId, WorkspaceId};

/// The store's two indexes, changed together under one lock.
#[derive(Default)]
struct Records {
    /// Every record by (scope, key): a probe hashes the pair once and allocates
    /// nothing, so a resolution costs one hash per scope consulted, whatever the
    /// number of records.
    by_name: HashMap<Name, StoredSecret>,
    /// Each scope's key names, sorted: `list` answers in key order, and a scope with
    /// no record left disappears from `scopes`.
    by_scope: HashMap<Scope, BTreeSet<SecretKey>>,
    /// Each record's kept versions by number; a `Delete` removes them with it.
    kept: HashMap<Name, BTreeMap<u64, KeptVersion>>,
}

/// A record's (scope, key), owned by the map.
struct Name(Scope, SecretKey);

/// A (scope, key) pair, owned ([`Name`]) or borrowed (a probe). `by_name` is
/// searched through `dyn Pair`, so a probe is two references: nothing is cloned and
/// no reference count changes on the read path.
trait Pair {
    fn pair(&self) -> (&Scope, &SecretKey);
}

impl Pair for Name {
    fn pair(&self) -> (&Scope, &SecretKey) {
        (&self.0, &self.1)
    }
}

impl Pair for (&Scope, &SecretKey) {
    fn pair(&self) -> (&Scope, &SecretKey) {
        (self.0, self.1)
    }
}

// `Borrow` requires that the owned and borrowed forms hash and compare alike: both
// go through `pair()`.
impl<'a> Borrow<dyn Pair + 'a> for Name {
    fn borrow(&self) -> &(dyn Pair + 'a) {
        self
    }
}

impl Hash for dyn Pair + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.pair().hash(state);
    }
}

impl PartialEq for dyn Pair + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.pair() == other.pair()
    }
}

impl Eq for dyn Pair + '_ {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn Pair).hash(state);
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.pair() == other.pair()
    }
}

impl Eq for Name {}

impl Records {
    fn get(&self, scope: &Scope, key: &SecretKey) -> Option<&StoredSecret> {
        self.by_name.get(&(scope, key) as &dyn Pair)
    }

    fn get_first(&self, scopes: &[Scope], key: &SecretKey) -> Option<StoredSecret> {
        scopes
            .iter()
            .find_map(|scope| self.get(scope, key))
            .cloned()
    }

    /// `find_sealed` without cloning the metadata: one reference count for the
    /// sealed bytes, whatever the record's members and names hold.
    fn find_sealed(&self, scopes: &[Scope], key: &SecretKey) -> Option<FoundSealed> {
        scopes.iter().enumerate().find_map(|(at, scope)| {
            self.get(scope, key)
                .map(|r| FoundSealed::new(at, r.meta.version, r.sealed.clone()))
        })
    }

    fn list(&self, scope: &Scope) -> Vec<SecretMeta> {
        let Some(keys) = self.by_scope.get(scope) else {
            return Vec::new();
        };
        keys.iter()
            .filter_map(|key| self.get(scope, key))
            .map(|r| r.meta.clone())
            .collect()
    }

    fn put(&mut self, record: StoredSecret) {
        let (scope, key) = (record.meta.scope.clone(), record.meta.key.clone());
        self.by_scope
            .entry(scope.clone())
            .or_default()
            .insert(key.clone());
        self.by_name.insert(Name(scope, key), record);
    }

    fn versions(&self, scope: &Scope, key: &SecretKey) -> Vec<KeptVersion> {
        self.kept
            .get(&(scope, key) as &dyn Pair)
            .map(|kept| kept.values().rev().cloned().collect())
            .unwrap_or_default()
    }

    /// Stores `version`, then drops all but the `keep` highest-numbered.
    fn keep(&mut self, version: KeptVersion, keep: usize) {
        let name = Name(version.meta.scope.clone(), version.meta.key.clone());
        let kept = self.kept.entry(name).or_default();
        kept.insert(version.meta.version, version);
        while kept.len() > keep {
            kept.pop_first();
        }
    }

    fn delete(&mut self, scope: &Scope, key: &SecretKey) {
        self.kept.remove(&(scope, key) as &dyn Pair);
        self.by_name.remove(&(scope, key) as &dyn Pair);
        if let Some(keys) = self.by_scope.get_mut(scope) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_scope.remove(scope);
            }
        }
    }
}

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
    /// Usage rows by (scope, key), apart from the records: a delete leaves them, and
    /// recording usage never waits for a batch.
    usage: Mutex<HashMap<Name, BTreeMap<WorkflowId, Timestamp>>>,
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

    fn usage_rows(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<Name, BTreeMap<WorkflowId, Timestamp>>> {
        // Each mark is applied whole (one insert or one max), so a panic elsewhere
        // leaves no half-written row.
        self.usage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError> {
        batch.validate()?;
        let mut records = self.lock();
        let revision_of = |records: &Records, scope: &Scope, key: &SecretKey| {
            records.get(scope, key).map(|r| r.meta.revision)
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
                    records.put(record);
                }
                WriteOp::Delete { scope, key, .. } => records.delete(&scope, &key),
                WriteOp::Keep { version, keep, .. } => records.keep(version, keep),
            }
        }
        Ok(())
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = self.read();
        f.debug_struct("MemoryStore")
            .field("scopes", &records.by_scope.len())
            .field("records", &records.by_name.len())
            .finish()
    }
}

impl SecretStore for MemoryStore {
    fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> impl Future<Output = Result<Option<StoredSecret>, StoreError>> + Send {
        ready(Ok(self.read().get(scope, key).cloned()))
    }

    fn list(
        &self,
        scope: &Scope,
    ) -> impl Future<Output = Result<Vec<SecretMeta>, StoreError>> + Send {
        ready(Ok(self.read().list(scope)))
    }

    fn write(&self, batch: WriteBatch) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.apply(batch))
    }

    fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> impl Future<Output = Result<Vec<KeptVersion>, StoreError>> + Send {
        ready(Ok(self.read().versions(scope, key)))
    }

    fn scopes(
        &self,
        workspace: &WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Scope>, StoreError>> + Send {
        let records = self.read();
        let mut scopes: Vec<Scope> = records
            .by_scope
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
        ready(Ok(self.read().get_first(scopes, key)))
    }

    fn find_sealed(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> impl Future<Output = Result<Option<FoundSealed>, StoreError>> + Send {
        ready(Ok(self.read().find_sealed(scopes, key)))
    }

    fn get_many(
        &self,
        scopes: &[Scope],
        keys: &[SecretKey],
    ) -> impl Future<Output = Result<Vec<Option<StoredSecret>>, StoreError>> + Send {
        let records = self.read();
        ready(Ok(keys
            .iter()
            .map(|key| records.get_first(scopes, key))
            .collect()))
    }

    fn list_many(
        &self,
        scopes: &[Scope],
    ) -> impl Future<Output = Result<Vec<Vec<SecretMeta>>, StoreError>> + Send {
        let records = self.read();
        ready(Ok(scopes.iter().map(|scope| records.list(scope)).collect()))
    }

    fn record_usage(
        &self,
        marks: &[UsageMark],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let mut rows = self.usage_rows();
        for mark in marks {
            let probe = (&mark.scope, &mark.key);
            let row = match rows.get_mut(&probe as &dyn Pair) {
                Some(row) => row,
                None => rows
                    .entry(Name(mark.scope.clone(), mark.key.clone()))
                    .or_default(),
            };
            let at = row.entry(mark.workflow.clone()).or_insert(mark.used_at);
            *at = (*at).max(mark.used_at);
        }
        ready(Ok(()))
    }

    fn usage(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> impl Future<Output = Result<Vec<Usage>, StoreError>> + Send {
        let rows = self.usage_rows();
        let found = rows.get(&(scope, key) as &dyn Pair).map(|row| {
            row.iter()
                .map(|(workflow, at)| Usage::new(workflow.clone(), *at))
                .collect()
        });
        ready(Ok(found.unwrap_or_default()))
    }
}
