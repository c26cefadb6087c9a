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
