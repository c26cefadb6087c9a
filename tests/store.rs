//! `MemoryStore` and `DynStore` against the conformance suite, plus threads.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::sync::Arc;
use std::thread;

use pollster::block_on;
use workflow_secrets::testing::fixtures::{id, key, put, record, vault, workspace};
use workflow_secrets::testing::{get_many_is_a_snapshot, store_conformance};
use workflow_secrets::{
    MemoryStore, Scope, SecretKey, SecretValue, Vault, WorkspaceId,
    store::{
        DynStore, Expect, FoundSealed, KeptVersion, SecretMeta, SecretStore, StoreError,
        StoredSecret, Usage, UsageMark, WriteBatch, WriteOp,
    },
};

#[test]
fn memory_store_passes_the_conformance_suite() {
    block_on(store_conformance(|| async { MemoryStore::new() }));
}

#[test]
fn memory_store_get_many_is_a_snapshot() {
    block_on(get_many_is_a_snapshot(&MemoryStore::new()));
}

#[test]
fn dyn_store_passes_the_conformance_suite() {
    block_on(store_conformance(|| async {
        DynStore::new(MemoryStore::new())
    }));
    block_on(get_many_is_a_snapshot(&DynStore::new(MemoryStore::new())));
}

#[test]
fn arc_and_ref_stores_pass_the_conformance_suite() {
    block_on(store_conformance(|| async { Arc::new(MemoryStore::new()) }));
    let store = MemoryStore::new();
    block_on(get_many_is_a_snapshot(&&store));
}

fn counter_record(vault: &Vault, scope: &Scope, count: u64) -> StoredSecret {
    let key = key("COUNTER");
    let value = SecretValue::new(count.to_string()).unwrap();
    let sealed = vault.seal(scope, &key, count + 1, &value).unwrap();
    let mut meta = SecretMeta::new(scope.clone(), key, id("u"), 0);
    meta.version = count + 1;
    StoredSecret { meta, sealed }
}

/// The suite's increments run as futures on one thread; here 4 OS threads race.
#[test]
fn four_threads_of_compare_and_swap_increments_lose_nothing() {
    let store = Arc::new(MemoryStore::new());
    let vault = vault();
    let scope = workspace("acme");
    let key = key("COUNTER");
    let first = WriteOp::Put {
        record: counter_record(&vault, &scope, 0),
        expect: Expect::Absent,
    };
    block_on(store.write(WriteBatch::from(vec![first]))).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (store, vault, scope, key) =
                (store.clone(), vault.clone(), scope.clone(), key.clone());
            thread::spawn(move || {
                let mut conflicts = 0;
                for _ in 0..200 {
                    loop {
                        let current = block_on(store.get(&scope, &key)).unwrap().unwrap();
                        let count = current.meta.version; // version = count + 1
                        let next = counter_record(&vault, &scope, count);
                        let op = WriteOp::Put {
                            record: next,
                            expect: Expect::Revision(current.meta.revision),
                        };
                        match block_on(store.write(WriteBatch::from(vec![op]))) {
                            Ok(()) => break,
                            Err(StoreError::Conflict) => conflicts += 1,
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let conflicts: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let last = block_on(store.get(&scope, &key)).unwrap().unwrap();
    assert_eq!(last.meta.revision, 801);
    assert_eq!(last.meta.version, 801);
    let value = vault
        .unseal(&scope, &key, last.meta.version, &last.sealed)
        .unwrap();
    assert_eq!(value.expose_secret(), "800");
    // Not asserted (scheduling decides), but printed to show the race was real.
    eprintln!("compare-and-swap conflicts retried: {conflicts}");
}

#[test]
fn debug_of_a_store_shows_counts_not_contents() {
    let store = MemoryStore::new();
    let written = record(
        &vault(),
        &workspace("acme"),
        "API_KEY",
        "sk-live-marker-7f3a9c",
    );
    block_on(store.write(WriteBatch::from(vec![put(written, Expect::Absent)]))).unwrap();
    let debug = format!("{store:?} {:?}", DynStore::new(MemoryStore::new()));
    assert_eq!(debug, "MemoryStore { scopes: 1, records: 1 } DynStore");
}

#[test]
fn store_errors_map_to_stable_codes() {
    use workflow_secrets::Error;
    assert_eq!(Error::from(StoreError::Conflict).code(), "conflict");
    assert_eq!(
        Error::from(StoreError::InvalidBatch("x".into())).code(),
        "invalid_batch"
    );
    let io = std::io::Error::other("disk on fire");
    assert_eq!(Error::from(StoreError::backend(io)).code(), "store");
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<MemoryStore>();
    check::<DynStore>();
    check::<WriteBatch>();
    check::<StoredSecret>();
    check::<StoreError>();
    check::<workflow_secrets::Error>();
    check::<SecretValue>();
}

/// A store that ignores expectations: the suite must catch it, or it proves nothing.
struct IgnoresExpectations(MemoryStore);

impl SecretStore for IgnoresExpectations {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        self.0.get(scope, key).await
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        self.0.list(scope).await
    }
    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let ops = batch.ops.into_iter().map(|op| match op {
            WriteOp::Put { record, .. } => WriteOp::Put {
                record,
                expect: Expect::Any,
            },
            WriteOp::Delete { scope, key, .. } => WriteOp::Delete {
                scope,
                key,
                expect: Expect::Any,
            },
            other => other,
        });
        self.0.write(ops.collect()).await
    }
    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        self.0.scopes(workspace).await
    }
    async fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<KeptVersion>, StoreError> {
        self.0.versions(scope, key).await
    }
}

#[test]
fn the_suite_catches_a_store_that_loses_updates() {
    use workflow_secrets::testing::{cas_create, cas_update, concurrent_increments};
    let fails = |run: fn(&IgnoresExpectations)| {
        std::panic::catch_unwind(|| run(&IgnoresExpectations(MemoryStore::new()))).is_err()
    };
    assert!(fails(|s| block_on(cas_create(s))));
    assert!(fails(|s| block_on(cas_update(s))));
    assert!(fails(|s| block_on(concurrent_increments(s))));
}

/// Which of the store's reads lies.
#[derive(Clone, Copy, Debug)]
enum Lies {
    Get,
    GetFirst,
    /// An override of the lean read (the default one reads through `get_first`).
    FindSealed,
    GetMany,
    List,
    ListMany,
    Versions,
}

/// A store that keeps `SecretMeta` in the row, after a database writer copied the
/// record at `to` over the place `from`: one of its reads (`lies`) answers a request
/// for `from` with the record at `to`, its metadata as written (`rewrite: false`) or
/// rewritten to the request (`rewrite: true`). Every other read is honest.
struct MovesRecords {
    inner: MemoryStore,
    lies: Lies,
    from: (Scope, SecretKey),
    to: (Scope, SecretKey),
    rewrite: bool,
}

impl MovesRecords {
    async fn moved(&self, scope: &Scope, key: &SecretKey) -> Option<StoredSecret> {
        if (scope, key) != (&self.from.0, &self.from.1) {
            return self.inner.get(scope, key).await.unwrap();
        }
        let mut record = self.inner.get(&self.to.0, &self.to.1).await.unwrap()?;
        if self.rewrite {
            record.meta.scope = scope.clone();
            record.meta.key = key.clone();
        }
        Some(record)
    }

    async fn moved_list(&self, scope: &Scope) -> Vec<SecretMeta> {
        let listed = self.inner.list(scope).await.unwrap();
        let mut keys: Vec<SecretKey> = listed.into_iter().map(|m| m.key).collect();
        if *scope == self.from.0 && !keys.contains(&self.from.1) {
            keys.push(self.from.1.clone());
            keys.sort();
        }
        let mut metas = Vec::new();
        for key in &keys {
            if let Some(record) = self.moved(scope, key).await {
                metas.push(record.meta);
            }
        }
        metas
    }
}

impl SecretStore for MovesRecords {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        match self.lies {
            Lies::Get => Ok(self.moved(scope, key).await),
            _ => self.inner.get(scope, key).await,
        }
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        match self.lies {
            Lies::List => Ok(self.moved_list(scope).await),
            _ => self.inner.list(scope).await,
        }
    }
    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.inner.write(batch).await
    }
    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        self.inner.scopes(workspace).await
    }
    async fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<KeptVersion>, StoreError> {
        if !matches!(self.lies, Lies::Versions) || (scope, key) != (&self.from.0, &self.from.1) {
            return self.inner.versions(scope, key).await;
        }
        let mut kept = self.inner.versions(&self.to.0, &self.to.1).await?;
        if self.rewrite {
            for version in &mut kept {
                version.meta.scope = scope.clone();
                version.meta.key = key.clone();
            }
        }
        Ok(kept)
    }
    async fn get_first(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        if !matches!(self.lies, Lies::GetFirst) {
            return self.inner.get_first(scopes, key).await;
        }
        for scope in scopes {
            if let Some(found) = self.moved(scope, key).await {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
    async fn find_sealed(
        &self,
        scopes: &[Scope],
        key: &SecretKey,
    ) -> Result<Option<FoundSealed>, StoreError> {
        if !matches!(self.lies, Lies::FindSealed) {
            return self.inner.find_sealed(scopes, key).await;
        }
        for (at, scope) in scopes.iter().enumerate() {
            if let Some(found) = self.moved(scope, key).await {
                return Ok(Some(FoundSealed::new(at, found.meta.version, found.sealed)));
            }
        }
        Ok(None)
    }
    async fn get_many(
        &self,
        scopes: &[Scope],
        keys: &[SecretKey],
    ) -> Result<Vec<Option<StoredSecret>>, StoreError> {
        if !matches!(self.lies, Lies::GetMany) {
            return self.inner.get_many(scopes, keys).await;
        }
        let mut found = Vec::new();
        for key in keys {
            let mut first = None;
            for scope in scopes {
                first = self.moved(scope, key).await;
                if first.is_some() {
                    break;
                }
            }
            found.push(first);
        }
        Ok(found)
    }
    async fn list_many(&self, scopes: &[Scope]) -> Result<Vec<Vec<SecretMeta>>, StoreError> {
        if !matches!(self.lies, Lies::ListMany) {
            return self.inner.list_many(scopes).await;
        }
        let mut lists = Vec::new();
        for scope in scopes {
            lists.push(self.moved_list(scope).await);
        }
        Ok(lists)
    }
    async fn record_usage(&self, marks: &[UsageMark]) -> Result<(), StoreError> {
        self.inner.record_usage(marks).await
    }
    async fn usage(&self, scope: &Scope, key: &SecretKey) -> Result<Vec<Usage>, StoreError> {
        self.inner.usage(scope, key).await
    }
}

/// A (scope, key) place.
type Place = (Scope, &'static str);

/// The conformance suite fails a store that moves records, whichever read lies, for
/// every kind of move, with the metadata as written or rewritten to the request.
#[test]
fn the_suite_catches_a_store_that_moves_records() {
    let (a, b) = (id::<WorkspaceId>("ws-a"), id::<WorkspaceId>("ws-b"));
    let moves: [(&str, Place, Place); 5] = [
        (
            "across tenants",
            (Scope::workspace(b.clone()), "K1"),
            (Scope::workspace(a.clone()), "K1"),
        ),
        (
            "personal -> workspace",
            (Scope::workspace(a.clone()), "K1"),
            (Scope::personal(a.clone(), id("ada")), "K1"),
        ),
        (
            "workflow -> workflow",
            (Scope::workflow(a.clone(), id("wf-2")), "K1"),
            (Scope::workflow(a.clone(), id("wf-1")), "K1"),
        ),
        (
            "key -> key",
            (Scope::workspace(a.clone()), "K2"),
            (Scope::workspace(a.clone()), "K1"),
        ),
        (
            "into an empty place of another tenant",
            (Scope::workspace(b.clone()), "K2"),
            (Scope::workspace(a.clone()), "K2"),
        ),
    ];
    let lies = [
        Lies::Get,
        Lies::GetFirst,
        Lies::FindSealed,
        Lies::GetMany,
        Lies::List,
        Lies::ListMany,
        Lies::Versions,
    ];
    for (name, from, to) in &moves {
        for lies in lies {
            for rewrite in [false, true] {
                let make = || MovesRecords {
                    inner: MemoryStore::new(),
                    lies,
                    from: (from.0.clone(), key(from.1)),
                    to: (to.0.clone(), key(to.1)),
                    rewrite,
                };
                let caught = std::panic::catch_unwind(|| {
                    block_on(store_conformance(|| async { make() }));
                })
                .is_err();
                assert!(caught, "{name}, {lies:?} lies, rewritten: {rewrite}");
            }
        }
    }
    // The wrapper itself is sound: with nothing moved it passes.
    let honest = || MovesRecords {
        inner: MemoryStore::new(),
        lies: Lies::Get,
        from: (Scope::workspace(b.clone()), key("NOWHERE")),
        to: (Scope::workspace(b.clone()), key("NOWHERE")),
        rewrite: false,
    };
    block_on(store_conformance(|| async { honest() }));
}

/// How a store's usage rows go wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sloppy {
    /// Nothing: the wrapper itself is sound.
    Honest,
    /// Keeps the last time given, not the latest.
    Overwrites,
    /// Answers a scope's rows whatever the key.
    IgnoresKey,
    /// Answers the rows of any scope of the same kind and owner (any workspace).
    IgnoresWorkspace,
    /// Compares workflow ids ignoring ASCII case.
    FoldsWorkflowCase,
    /// Answers rows in the order they were first recorded.
    Unsorted,
    /// Drops a key's rows when its record is deleted.
    DropsOnDelete,
}

/// A store with usage rows of its own, wrong in one way (`sloppy`).
struct SloppyUsage {
    inner: MemoryStore,
    sloppy: Sloppy,
    rows: std::sync::Mutex<Vec<(Scope, SecretKey, workflow_secrets::WorkflowId, u64)>>,
}

impl SloppyUsage {
    fn place(&self, row: (&Scope, &SecretKey), asked: (&Scope, &SecretKey)) -> bool {
        let scope = match self.sloppy {
            Sloppy::IgnoresWorkspace => {
                let strip = |s: &Scope| {
                    s.to_string()
                        .split(" in workspace")
                        .next()
                        .map(str::to_owned)
                };
                row.0.kind() == asked.0.kind() && strip(row.0) == strip(asked.0)
            }
            _ => row.0 == asked.0,
        };
        scope && (self.sloppy == Sloppy::IgnoresKey || row.1 == asked.1)
    }
}

impl SecretStore for SloppyUsage {
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
    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if self.sloppy == Sloppy::DropsOnDelete {
            let mut rows = self.rows.lock().unwrap();
            for op in &batch.ops {
                if let WriteOp::Delete { scope, key, .. } = op {
                    rows.retain(|r| (&r.0, &r.1) != (scope, key));
                }
            }
        }
        self.inner.write(batch).await
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
    async fn record_usage(&self, marks: &[UsageMark]) -> Result<(), StoreError> {
        let mut rows = self.rows.lock().unwrap();
        for mark in marks {
            let same = |r: &&mut (Scope, SecretKey, workflow_secrets::WorkflowId, u64)| {
                let workflow = match self.sloppy {
                    Sloppy::FoldsWorkflowCase => {
                        r.2.as_str().eq_ignore_ascii_case(mark.workflow.as_str())
                    }
                    _ => r.2 == mark.workflow,
                };
                r.0 == mark.scope && r.1 == mark.key && workflow
            };
            match rows.iter_mut().find(same) {
                Some(row) if self.sloppy == Sloppy::Overwrites => row.3 = mark.used_at,
                Some(row) => row.3 = row.3.max(mark.used_at),
                None => rows.push((
                    mark.scope.clone(),
                    mark.key.clone(),
                    mark.workflow.clone(),
                    mark.used_at,
                )),
            }
        }
        Ok(())
    }
    async fn usage(&self, scope: &Scope, key: &SecretKey) -> Result<Vec<Usage>, StoreError> {
        let rows = self.rows.lock().unwrap();
        let mut found: Vec<Usage> = rows
            .iter()
            .filter(|r| self.place((&r.0, &r.1), (scope, key)))
            .map(|r| Usage::new(r.2.clone(), r.3))
            .collect();
        if self.sloppy != Sloppy::Unsorted {
            found.sort_by(|a, b| a.workflow.cmp(&b.workflow));
        }
        Ok(found)
    }
}

/// The conformance suite fails a store whose usage rows are wrong in any one way,
/// and passes the same wrapper when it is honest.
#[test]
fn the_suite_catches_sloppy_usage_rows() {
    let make = |sloppy| SloppyUsage {
        inner: MemoryStore::new(),
        sloppy,
        rows: std::sync::Mutex::new(Vec::new()),
    };
    block_on(store_conformance(|| async { make(Sloppy::Honest) }));
    for sloppy in [
        Sloppy::Overwrites,
        Sloppy::IgnoresKey,
        Sloppy::IgnoresWorkspace,
        Sloppy::FoldsWorkflowCase,
        Sloppy::Unsorted,
        Sloppy::DropsOnDelete,
    ] {
        let caught = std::panic::catch_unwind(|| {
            block_on(store_conformance(|| async { make(sloppy) }));
        })
        .is_err();
        assert!(caught, "{sloppy:?}");
    }
}
