//! A `Resolver` over a store picked at run time from a configuration string, as a
//! service does (SQLite on a laptop, PostgreSQL in production): every choice is one
//! type, `DynStore`.
//!
//! PostgreSQL needs a server and a tokio runtime; `stores/postgres/tests` runs the
//! same flow against a real one. Here: memory and SQLite (on disk and in memory).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use pollster::block_on;
use workflow_secrets::{
    Actor, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey, SecretValue, Secrets,
    UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole, resolve::Source, store::DynStore,
};
use workflow_secrets_sqlite::SqliteStore;

/// The store a configuration names: `memory`, `sqlite::memory:` or `sqlite:PATH`.
fn store_from(spec: &str) -> Result<DynStore, Box<dyn std::error::Error>> {
    Ok(match spec.split_once(':') {
        None if spec == "memory" => DynStore::new(MemoryStore::new()),
        Some(("sqlite", ":memory:")) => DynStore::new(SqliteStore::open_in_memory()?),
        Some(("sqlite", path)) => DynStore::new(SqliteStore::open(path)?),
        _ => return Err(format!("unknown store {spec:?}").into()),
    })
}

#[test]
fn a_resolver_over_a_store_picked_from_a_string() {
    let dir = tempfile::Builder::new()
        .prefix("wfs-dyn-")
        .tempdir()
        .unwrap();
    let file = format!("sqlite:{}", dir.path().join("secrets.db").display());
    for spec in ["memory", "sqlite::memory:", file.as_str()] {
        let store = store_from(spec).unwrap();
        let vault = Vault::new(LocalKeyring::generate());
        let acme = WorkspaceId::new("acme").unwrap();
        let ada = UserId::new("ada").unwrap();
        let admin = Actor::new(ada.clone(), acme.clone(), WorkspaceRole::Admin);
        let secrets = Secrets::new(vault.clone(), store.clone());
        let key = SecretKey::new("OPENAI_API_KEY").unwrap();
        let personal = Scope::personal(acme.clone(), ada.clone());
        block_on(secrets.create(
            &admin,
            &personal,
            &key,
            SecretValue::new("sk-mine").unwrap(),
        ))
        .unwrap();

        let resolver = Resolver::new(vault.clone(), store.clone());
        let ctx = RunContext::manual(
            acme.clone(),
            WorkflowId::new("wf").unwrap(),
            ada.clone(),
            ada.clone(),
        );
        let resolved = block_on(resolver.resolve(&ctx, &key)).unwrap();
        assert_eq!(resolved.value.expose_secret(), "sk-mine", "{spec}");
        assert!(matches!(resolved.source, Source::Personal { .. }), "{spec}");

        // A workspace value takes precedence over the personal one.
        let workspace = Scope::workspace(acme.clone());
        block_on(secrets.create(
            &admin,
            &workspace,
            &key,
            SecretValue::new("sk-team").unwrap(),
        ))
        .unwrap();
        let resolved = block_on(resolver.resolve(&ctx, &key)).unwrap();
        assert_eq!(resolved.value.expose_secret(), "sk-team", "{spec}");
        assert!(
            matches!(resolved.source, Source::Workspace { .. }),
            "{spec}"
        );
    }
    assert!(store_from("postgres-but-misspelt").is_err());
}

#[test]
fn a_file_store_picked_twice_sees_the_same_records() {
    let dir = tempfile::Builder::new()
        .prefix("wfs-dyn-")
        .tempdir()
        .unwrap();
    let spec = format!("sqlite:{}", dir.path().join("secrets.db").display());
    let vault = Vault::new(LocalKeyring::generate());
    let acme = WorkspaceId::new("acme").unwrap();
    let ada = UserId::new("ada").unwrap();
    let admin = Actor::new(ada.clone(), acme.clone(), WorkspaceRole::Admin);
    let key = SecretKey::new("API_KEY").unwrap();
    {
        let secrets = Secrets::new(vault.clone(), store_from(&spec).unwrap());
        let scope = Scope::workspace(acme.clone());
        block_on(secrets.create(&admin, &scope, &key, SecretValue::new("kept").unwrap())).unwrap();
    }
    let resolver = Resolver::new(vault, store_from(&spec).unwrap());
    let ctx = RunContext::manual(acme, WorkflowId::new("wf").unwrap(), ada.clone(), ada);
    let resolved = block_on(resolver.resolve(&ctx, &key)).unwrap();
    assert_eq!(resolved.value.expose_secret(), "kept");
}
