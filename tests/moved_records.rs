//! A record is opened with the scope and key the resolver asked for, never with the
//! ones the store's answer declares: a store that keeps metadata in the row (a
//! key-value database) lets a database writer move a record between tenants, scopes
//! or keys, and the moved record must not open, charged to the wrong principal.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::sync::Arc;

use common::*;

/// A store whose every read answers with one fixed record, whatever was asked: what
/// a row copied over another namespace's looks like to the resolver.
struct Moved {
    inner: Arc<MemoryStore>,
    answer: StoredSecret,
}

impl SecretStore for Moved {
    async fn get(&self, _: &Scope, _: &SecretKey) -> Result<Option<StoredSecret>, StoreError> {
        Ok(Some(self.answer.clone()))
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        self.inner.list(scope).await
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
        self.inner.versions(scope, key).await
    }
}

/// Seals `text` as version 1 of `name` in `scope`, as a store would keep it.
fn record(vault: &Vault, scope: &Scope, name: &str, text: &str) -> StoredSecret {
    let k = key(name);
    let sealed = vault.seal(scope, &k, 1, &value(text)).unwrap();
    let mut meta = SecretMeta::new(scope.clone(), k, user("admin"), 0);
    meta.version = 1;
    StoredSecret { meta, sealed }
}

#[test]
fn a_record_moved_into_the_runs_namespace_never_opens() {
    let vault = Vault::new(LocalKeyring::generate());
    let evil = WorkspaceId::new("evil").unwrap();
    let cases: Vec<(&str, StoredSecret, &str)> = vec![
        // Declares where it came from: outside the request, refused before unsealing.
        (
            "another tenant's record, as it is",
            record(
                &vault,
                &Scope::workspace(evil.clone()),
                "API_KEY",
                "tenant-b-secret",
            ),
            "store",
        ),
        (
            "another key's record, as it is",
            record(&vault, &workspace_scope(), "OTHER_KEY", "other-key-secret"),
            "store",
        ),
        (
            "another workflow's record, as it is",
            record(
                &vault,
                &Scope::workflow(ws(), WorkflowId::new("other").unwrap()),
                "API_KEY",
                "other-workflow-secret",
            ),
            "store",
        ),
        // Its metadata rewritten to the request: opened with the requested binding,
        // the associated data refuses it.
        (
            "another tenant's record, metadata rewritten",
            {
                let mut r = record(
                    &vault,
                    &Scope::workspace(evil),
                    "API_KEY",
                    "tenant-b-secret",
                );
                r.meta.scope = workspace_scope();
                r
            },
            "tampered",
        ),
        (
            "a personal record, metadata rewritten to the workspace",
            {
                let mut r = record(&vault, &personal("bob"), "API_KEY", "bob-personal-secret");
                r.meta.scope = workspace_scope();
                r
            },
            "tampered",
        ),
        (
            "another key's record, metadata rewritten",
            {
                let mut r = record(&vault, &workspace_scope(), "OTHER_KEY", "other-key-secret");
                r.meta.key = key("API_KEY");
                r
            },
            "tampered",
        ),
    ];
    for (name, answer, code) in cases {
        let store = Moved {
            inner: Arc::new(MemoryStore::new()),
            answer,
        };
        let resolver = Resolver::new(vault.clone(), store);
        let ctx = RunContext::manual(ws(), wf(), user("carol"), user("carol"));
        let got = block_on(resolver.resolve(&ctx, &key("API_KEY")));
        assert_eq!(got.map(|r| r.source).unwrap_err().code(), code, "{name}");
        let step = resolver.step(&ctx);
        let prefetched = block_on(step.prefetch(&[key("API_KEY")]));
        assert_eq!(prefetched.unwrap_err().code(), code, "{name}: prefetch");
        let agent = block_on(step.all_available());
        assert!(agent.is_err() || agent.unwrap().is_empty(), "{name}: agent");
    }
}

/// A store whose every listing holds one fixed entry, whatever scope was asked for.
struct MovedListing {
    inner: Arc<MemoryStore>,
    entry: SecretMeta,
}

impl SecretStore for MovedListing {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        self.inner.get(scope, key).await
    }
    async fn list(&self, _: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        Ok(vec![self.entry.clone()])
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
        self.inner.versions(scope, key).await
    }
}

#[test]
fn a_listing_of_another_scope_is_refused_by_every_path_that_lists() {
    let evil = WorkspaceId::new("evil").unwrap();
    for (name, scope) in [
        ("another tenant", Scope::workspace(evil.clone())),
        ("another user's personal scope", personal("bob")),
        (
            "another workflow",
            Scope::workflow(ws(), WorkflowId::new("other").unwrap()),
        ),
    ] {
        let store = MovedListing {
            inner: Arc::new(MemoryStore::new()),
            entry: SecretMeta::new(scope, key("LEAKED_NAME"), user("admin"), 0),
        };
        let resolver = Resolver::new(Vault::new(LocalKeyring::generate()), store);
        let ctx = RunContext::manual(ws(), wf(), user("carol"), user("carol"));
        let agent = block_on(resolver.step(&ctx).all_available());
        assert_eq!(agent.unwrap_err().code(), "store", "{name}: all_available");
        let names = block_on(resolver.available(&ctx, &member("carol", WorkspaceRole::Editor)));
        assert_eq!(names.unwrap_err().code(), "store", "{name}: available");
    }
}

/// A store with a lean `find_sealed` whose every answer is one fixed position and
/// sealed value, whatever was asked: a store that names its scope by position (as
/// the built-in ones do) and a row copied over another's.
struct MovedLean {
    inner: Arc<MemoryStore>,
    answer: FoundSealed,
}

impl SecretStore for MovedLean {
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
    async fn find_sealed(
        &self,
        _: &[Scope],
        _: &SecretKey,
    ) -> Result<Option<FoundSealed>, StoreError> {
        Ok(Some(self.answer.clone()))
    }
}

#[test]
fn a_lean_answer_opens_only_at_the_position_it_was_sealed_for() {
    let vault = Vault::new(LocalKeyring::generate());
    let evil = WorkspaceId::new("evil").unwrap();
    // The run's scopes: 0 its workflow, 1 the workspace, 2 carol's personal scope.
    let sealed = |scope: &Scope, name: &str, text: &str| record(&vault, scope, name, text).sealed;
    let cases: Vec<(&str, FoundSealed, &str)> = vec![
        (
            "another tenant's record, named as the workspace's",
            FoundSealed::new(1, 1, sealed(&Scope::workspace(evil), "API_KEY", "b-secret")),
            "tampered",
        ),
        (
            "another user's personal record, named as the workspace's",
            FoundSealed::new(1, 1, sealed(&personal("bob"), "API_KEY", "bob-secret")),
            "tampered",
        ),
        (
            "carol's personal record, named as the workflow's",
            FoundSealed::new(0, 1, sealed(&personal("carol"), "API_KEY", "carol-secret")),
            "tampered",
        ),
        (
            "another key's record, at its own scope",
            FoundSealed::new(1, 1, sealed(&workspace_scope(), "OTHER_KEY", "other")),
            "tampered",
        ),
        (
            "the right record, another version",
            FoundSealed::new(1, 2, sealed(&workspace_scope(), "API_KEY", "right")),
            "tampered",
        ),
        (
            "a position outside the request",
            FoundSealed::new(3, 1, sealed(&workspace_scope(), "API_KEY", "right")),
            "store",
        ),
    ];
    for (name, answer, code) in cases {
        let store = MovedLean {
            inner: Arc::new(MemoryStore::new()),
            answer,
        };
        let resolver = Resolver::new(vault.clone(), store);
        let ctx = RunContext::manual(ws(), wf(), user("carol"), user("carol"));
        let got = block_on(resolver.resolve(&ctx, &key("API_KEY")));
        assert_eq!(got.map(|r| r.source).unwrap_err().code(), code, "{name}");
        let explained = block_on(resolver.explain(
            &ctx,
            &key("API_KEY"),
            &member("carol", WorkspaceRole::Admin),
        ));
        if code == "store" {
            assert_eq!(explained.unwrap_err().code(), code, "{name}: explain");
        }
    }
    // The control: the same store answering honestly opens.
    let store = MovedLean {
        inner: Arc::new(MemoryStore::new()),
        answer: FoundSealed::new(1, 1, sealed(&workspace_scope(), "API_KEY", "right")),
    };
    let resolver = Resolver::new(vault.clone(), store);
    let ctx = RunContext::manual(ws(), wf(), user("carol"), user("carol"));
    let got = block_on(resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    assert_eq!(got.value.expose_secret(), "right");
}
