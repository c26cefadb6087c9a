//! Shared fixtures for the resolution and administration tests.
#![allow(dead_code, unreachable_pub, unused_imports)] // a module shared by test crates: each uses part of it
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;
use std::sync::Arc;

pub use pollster::block_on;
pub use workflow_secrets::testing::fixtures::{id, key};
pub use workflow_secrets::*;
pub use workflow_secrets::{
    admin::*, audit::*, clock::*, crypto::*, error::*, import::*, redact::*, resolve::*, store::*,
};

pub fn ws() -> WorkspaceId {
    WorkspaceId::new("acme").unwrap()
}
pub fn wf() -> WorkflowId {
    WorkflowId::new("wf").unwrap()
}
pub fn user(name: &str) -> UserId {
    id(name)
}
pub fn value(text: &str) -> SecretValue {
    SecretValue::new(text).unwrap()
}
pub fn admin() -> Actor {
    Actor::new(user("admin"), ws(), WorkspaceRole::Admin)
}
pub fn member(name: &str, role: WorkspaceRole) -> Actor {
    Actor::new(user(name), ws(), role)
}
pub fn workflow_scope() -> Scope {
    Scope::workflow(ws(), wf())
}
pub fn workspace_scope() -> Scope {
    Scope::workspace(ws())
}
pub fn personal(name: &str) -> Scope {
    Scope::personal(ws(), user(name))
}

/// A vault, a shared store, management and resolution over them, and an audit log.
pub struct World {
    pub keyring: LocalKeyring,
    pub vault: Vault,
    pub store: Arc<MemoryStore>,
    pub secrets: Secrets<Arc<MemoryStore>>,
    pub resolver: Resolver<Arc<MemoryStore>>,
    pub audit: MemoryAuditSink,
}

impl World {
    pub fn new() -> World {
        let keyring = LocalKeyring::generate();
        let vault = Vault::new(keyring.clone());
        let store = Arc::new(MemoryStore::new());
        let audit = MemoryAuditSink::new();
        World {
            secrets: Secrets::new(vault.clone(), store.clone()).with_audit(audit.clone()),
            resolver: Resolver::new(vault.clone(), store.clone()).with_audit(audit.clone()),
            keyring,
            vault,
            store,
            audit,
        }
    }

    /// Stores `text` under `name` in `scope`, as whoever may create there.
    pub fn put(&self, scope: &Scope, name: &str, text: &str) {
        let actor = match scope {
            Scope::Personal { user, .. } => Actor::new(user.clone(), ws(), WorkspaceRole::Runner),
            _ => admin(),
        };
        block_on(self.secrets.create(&actor, scope, &key(name), value(text))).unwrap();
    }

    pub fn rotate(&self, scope: &Scope, name: &str, text: &str) -> SecretMeta {
        let actor = match scope {
            Scope::Personal { user, .. } => Actor::new(user.clone(), ws(), WorkspaceRole::Runner),
            _ => admin(),
        };
        block_on(self.secrets.rotate(&actor, scope, &key(name), value(text))).unwrap()
    }
}

pub fn provided(pairs: &[(&str, &str)]) -> BTreeMap<SecretKey, SecretValue> {
    pairs.iter().map(|(k, v)| (key(k), value(v))).collect()
}

pub fn policy(
    allowlist: Option<&[&str]>,
    owner_credentials: bool,
    references: &[&str],
) -> WorkflowPolicy {
    let mut policy = WorkflowPolicy::default()
        .with_sharing(ShareConfig::default().with_owner_credentials(owner_credentials))
        .with_references(references.iter().map(|k| key(k)));
    if let Some(keys) = allowlist {
        policy = policy.with_allowlist(keys.iter().map(|k| key(k)));
    }
    policy
}

/// A store that lets another write land between a call's read and its write, once.
pub struct CutIn {
    pub inner: Arc<MemoryStore>,
    pub before_write: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl SecretStore for CutIn {
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
        let cut_in = self.before_write.lock().unwrap().take();
        if let Some(other) = cut_in {
            other();
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
}

pub fn cut_in(w: &World, other: impl FnOnce() + Send + 'static) -> Secrets<CutIn> {
    let store = CutIn {
        inner: w.store.clone(),
        before_write: std::sync::Mutex::new(Some(Box::new(other))),
    };
    Secrets::new(w.vault.clone(), store)
}

/// A record written before versions were kept: the frozen format-1 golden vector of
/// `EMPTY` in workspace `acme`'s scope at version 3.
pub struct GoldenV1 {
    /// The bytes of its key-encryption key (id 7).
    pub kek: [u8; 32],
    /// Its sealed bytes, format 1.
    pub sealed: SealedSecret,
    /// Its value.
    pub value: String,
}

impl GoldenV1 {
    pub fn load() -> GoldenV1 {
        #[derive(serde::Deserialize)]
        struct Golden {
            kek_hex: String,
            vectors: Vec<Vector>,
        }
        #[derive(serde::Deserialize)]
        struct Vector {
            scope_kind: String,
            key: String,
            version: u64,
            value: String,
            sealed_hex: String,
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sealed_v1.json");
        let golden: Golden = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let unhex = |t: &str| -> Vec<u8> {
            (0..t.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap())
                .collect()
        };
        let v = golden
            .vectors
            .iter()
            .find(|v| v.scope_kind == "workspace" && v.version == 3)
            .unwrap();
        assert_eq!(v.key, "EMPTY");
        GoldenV1 {
            kek: unhex(&golden.kek_hex).try_into().unwrap(),
            sealed: SealedSecret::from_bytes(&unhex(&v.sealed_hex)).unwrap(),
            value: v.value.clone(),
        }
    }

    /// A vault over its key-encryption key.
    pub fn vault(&self) -> Vault {
        Vault::new(LocalKeyring::from_key(
            KeyId::from(7),
            Zeroizing::new(self.kek),
        ))
    }
}
