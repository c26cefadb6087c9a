//! Faults an attack on the store found (issue 20 item 6), each kept as the test that
//! showed it: write skew through absence checks, a pool wait without bound, the
//! privileges the store really needs, a database of another encoding, and client
//! errors that lost their cause.
//!
//! The server comes from `support`: `WORKFLOW_SECRETS_PG_URL`, or a throwaway
//! cluster this binary starts itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Barrier;
use workflow_secrets::testing::fixtures::{id, key, put, record, vault, workspace};
use workflow_secrets::{
    Scope, Vault,
    store::{Expect, SecretStore, StoreError, WriteBatch, WriteOp},
};
use workflow_secrets_postgres::PostgresStore;

use support::{server, unique_schema};

/// Batch `mine`: `theirs` must be absent, and `mine` is created. Two such batches
/// with the names swapped cannot both hold in any serial order: whichever commits
/// first makes the other's absence check fail.
fn claim(vault: &Vault, scope: &Scope, mine: &str, theirs: &str) -> WriteBatch {
    WriteBatch::from(vec![
        WriteOp::Delete {
            scope: scope.clone(),
            key: key(theirs),
            expect: Expect::Absent,
        },
        put(record(vault, scope, mine, "claimed"), Expect::Absent),
    ])
}

/// Two instances race two batches whose absence checks each read what the other
/// creates (`A` absent + create `B`, against `B` absent + create `A`), many rounds:
/// exactly one wins each round, as on SQLite and `MemoryStore`. A plain `SELECT`
/// at READ COMMITTED let both commit (write skew).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absence_checks_do_not_write_skew() {
    const ROUNDS: usize = 300;
    let Some(server) = server() else { return };
    let first = server.fresh_store(server.pool(2)).await;
    let second = PostgresStore::with_schema(server.pool(2), first.schema()).unwrap();
    let vault = vault();
    let scope = workspace("acme");
    let barrier = Arc::new(Barrier::new(2));
    let racer = |store: PostgresStore, mine: &'static str, theirs: &'static str| {
        let (vault, scope, barrier) = (vault.clone(), scope.clone(), barrier.clone());
        tokio::spawn(async move {
            let mut outcomes = Vec::with_capacity(ROUNDS);
            for round in 0..ROUNDS {
                let batch = claim(
                    &vault,
                    &scope,
                    &format!("{mine}_{round}"),
                    &format!("{theirs}_{round}"),
                );
                barrier.wait().await;
                outcomes.push(match store.write(batch).await {
                    Ok(()) => true,
                    Err(StoreError::Conflict) => false,
                    Err(other) => panic!("round {round}: {other}"),
                });
            }
            outcomes
        })
    };
    let a = racer(first.clone(), "A", "B");
    let b = racer(second, "B", "A");
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let both: Vec<usize> = (0..ROUNDS).filter(|&r| a[r] && b[r]).collect();
    let neither: Vec<usize> = (0..ROUNDS).filter(|&r| !a[r] && !b[r]).collect();
    assert!(
        both.is_empty(),
        "both batches committed in {} of {ROUNDS} rounds (first: {:?})",
        both.len(),
        both.first()
    );
    assert!(neither.is_empty(), "no batch won in rounds {neither:?}");
    // What the store holds agrees: exactly one of the pair each round.
    let listed = first.list(&scope).await.unwrap();
    assert_eq!(listed.len(), ROUNDS);
}

/// How long a test lets a call run before calling it hung: only to turn a hang into
/// a failure, never to assert speed.
const HUNG: Duration = Duration::from_secs(120);

/// Every connection of a small pool is taken: a call waits for one at most the
/// store's bound, then fails with a `store` error, instead of waiting forever.
#[tokio::test]
async fn an_exhausted_pool_is_a_bounded_store_error() {
    let Some(server) = server() else { return };
    let pool = server.pool(1);
    let store = server
        .fresh_store(pool.clone())
        .await
        .with_wait_timeout(Duration::from_millis(200));
    let held = pool.get().await.unwrap();
    let scope = workspace("acme");
    let got = tokio::time::timeout(HUNG, store.get(&scope, &key("K")))
        .await
        .expect("the call waited for a connection without bound");
    let err = workflow_secrets::Error::from(got.unwrap_err());
    assert_eq!(err.code(), "store");
    assert!(err.to_string().contains("pool"), "{err}");
    drop(held);
    assert!(store.get(&scope, &key("K")).await.unwrap().is_none());
}

/// The pool the crate docs build (tokio runtime, a wait timeout): exhausted, a call
/// fails with a `store` error after the pool's own bound.
#[tokio::test]
async fn the_documented_pool_bounds_its_wait() {
    use deadpool_postgres::{Manager, Pool, Runtime};
    let Some(server) = server() else { return };
    let pool = Pool::builder(Manager::new(server.config().clone(), tokio_postgres::NoTls))
        .max_size(1)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let store = server.fresh_store(pool.clone()).await;
    let held = pool.get().await.unwrap();
    let got = tokio::time::timeout(HUNG, store.list(&workspace("acme")))
        .await
        .expect("the call waited for a connection without bound");
    let err = workflow_secrets::Error::from(got.unwrap_err());
    assert_eq!(err.code(), "store");
    assert!(err.to_string().contains("pool"), "{err}");
    drop(held);
}

/// A pool of `size` on `database` as `user`, on the test server.
fn pool_as(database: &str, user: &str, size: usize) -> deadpool_postgres::Pool {
    let mut config = server().unwrap().config().clone();
    config.dbname(database).user(user);
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    deadpool_postgres::Pool::builder(manager)
        .max_size(size)
        .build()
        .unwrap()
}

/// A new database (the cluster's superuser runs the tests) with `extra` after
/// `CREATE DATABASE name`; its name.
async fn new_database(extra: &str) -> String {
    let name = unique_schema().replace("t_", "wfs_db_");
    let admin = server().unwrap().pool(1).get().await.unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name} {extra}"))
        .await
        .unwrap();
    name
}

/// The run-time grants the crate docs state (`PostgresStore` "Privileges"), for
/// `role` on `database` and `schema`: nothing more.
fn documented_grants(database: &str, schema: &str, role: &str) -> String {
    format!(
        "GRANT CONNECT ON DATABASE {database} TO {role};
         GRANT USAGE ON SCHEMA {schema} TO {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.secrets TO {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.versions TO {role};
         GRANT SELECT, INSERT, UPDATE ON {schema}.secret_usage TO {role};
         GRANT SELECT, UPDATE ON {schema}.changes TO {role};
         GRANT SELECT, INSERT, DELETE ON {schema}.change_log TO {role};
         GRANT SELECT ON {schema}.schema_version TO {role};"
    )
}

/// The owner migrates; a role holding exactly the documented grants (in a
/// database where `PUBLIC` holds nothing) then runs the store: `migrate` on the
/// current schema, writes of one and several operations, `get`, `list`, a delete.
#[tokio::test]
async fn the_documented_grants_suffice() {
    let Some(server) = server() else { return };
    let database = new_database("").await;
    let role = format!("{database}_app");
    let admin = server.pool(1).get().await.unwrap();
    admin
        .batch_execute(&format!(
            "REVOKE ALL ON DATABASE {database} FROM PUBLIC; CREATE ROLE {role} LOGIN;"
        ))
        .await
        .unwrap();
    let owner = PostgresStore::new(pool_as(&database, "postgres", 1));
    owner.migrate().await.unwrap();
    let owner_client = owner.pool().get().await.unwrap();
    owner_client
        .batch_execute("REVOKE ALL ON SCHEMA public FROM PUBLIC;")
        .await
        .unwrap();
    owner_client
        .batch_execute(&documented_grants(&database, owner.schema(), &role))
        .await
        .unwrap();
    drop(owner_client);

    let app = PostgresStore::new(pool_as(&database, &role, 2));
    app.migrate().await.expect("migrate on a current schema");
    let vault = vault();
    let scope = workspace("acme");
    app.write(WriteBatch::from(vec![put(
        record(&vault, &scope, "ONE", "v"),
        Expect::Absent,
    )]))
    .await
    .unwrap();
    app.write(WriteBatch::from(vec![
        put(record(&vault, &scope, "TWO", "v"), Expect::Absent),
        put(record(&vault, &scope, "ONE", "w"), Expect::Revision(1)),
    ]))
    .await
    .unwrap();
    let one = app.get(&scope, &key("ONE")).await.unwrap().unwrap();
    assert_eq!(one.meta.revision, 2);
    assert_eq!(app.list(&scope).await.unwrap().len(), 2);
    app.write(WriteBatch::from(vec![WriteOp::Delete {
        scope: scope.clone(),
        key: key("TWO"),
        expect: Expect::Revision(1),
    }]))
    .await
    .unwrap();
    assert_eq!(app.list(&scope).await.unwrap().len(), 1);
    // Kept versions: a rotation keeps, a restore reads them, a delete drops them.
    let admin_actor = workflow_secrets::Actor::new(
        id("ada"),
        id("acme"),
        workflow_secrets::WorkspaceRole::Admin,
    );
    let secrets = workflow_secrets::Secrets::new(vault.clone(), &app);
    let value = |t: &str| workflow_secrets::SecretValue::new(t).unwrap();
    secrets
        .create(&admin_actor, &scope, &key("KEPT"), value("kept-v1"))
        .await
        .unwrap();
    secrets
        .rotate(&admin_actor, &scope, &key("KEPT"), value("kept-v2"))
        .await
        .unwrap();
    secrets
        .restore(&admin_actor, &scope, &key("KEPT"), 1)
        .await
        .unwrap();
    assert_eq!(app.versions(&scope, &key("KEPT")).await.unwrap().len(), 3);
    secrets
        .delete(&admin_actor, &scope, &key("KEPT"))
        .await
        .unwrap();
    assert!(app.versions(&scope, &key("KEPT")).await.unwrap().is_empty());
    // Usage rows: a flush and a read.
    let mark = workflow_secrets::store::UsageMark::new(scope.clone(), key("ONE"), id("wf"), 7);
    app.record_usage(&[mark.clone(), mark]).await.unwrap();
    assert_eq!(app.usage(&scope, &key("ONE")).await.unwrap().len(), 1);
    // The grants are needed: without `USAGE` on the schema the role reads nothing.
    let revoke = format!("REVOKE USAGE ON SCHEMA {} FROM {role}", owner.schema());
    let owner_client = owner.pool().get().await.unwrap();
    owner_client.batch_execute(&revoke).await.unwrap();
    let refused = PostgresStore::new(pool_as(&database, &role, 1));
    let err = refused.migrate().await.unwrap_err();
    assert!(err.to_string().contains("42501"), "{err}");
}

/// `migrate` refuses a database that does not keep text as UTF-8 (`SQL_ASCII`
/// stores any bytes unchecked) and creates nothing in it.
#[tokio::test]
async fn migrate_refuses_a_database_not_in_utf8() {
    let Some(_server) = server() else { return };
    let database = new_database("ENCODING 'SQL_ASCII' TEMPLATE template0").await;
    let store = PostgresStore::new(pool_as(&database, "postgres", 1));
    let err = store.migrate().await.unwrap_err();
    let err = workflow_secrets::Error::from(err);
    assert_eq!(err.code(), "store");
    assert!(err.to_string().contains("UTF8"), "{err}");
    let client = store.pool().get().await.unwrap();
    let schemas = client
        .query(
            "SELECT 1 FROM pg_namespace WHERE nspname = $1",
            &[&store.schema()],
        )
        .await
        .unwrap();
    assert!(schemas.is_empty(), "the refused database was changed");
}

/// A refused connection is a `store` error whose `source()` chain reaches the
/// driver's error and the refusal itself.
#[tokio::test]
async fn a_client_error_keeps_its_cause() {
    // A privileged port nothing listens on: never handed out as an ephemeral port,
    // so no other connection on this machine can take it between the check and
    // the store's attempt (a freed ephemeral port could be).
    let port = (1..1024u16)
        .find(|port| {
            std::net::TcpStream::connect(("127.0.0.1", *port))
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
        })
        .expect("a refused port on the loopback address");
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user("nobody")
        .dbname("none");
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .build()
        .unwrap();
    let store = PostgresStore::new(pool);
    let err =
        workflow_secrets::Error::from(store.get(&workspace("a"), &key("K")).await.unwrap_err());
    assert_eq!(err.code(), "store");
    let (mut driver, mut refused) = (false, false);
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        driver |= s.downcast_ref::<tokio_postgres::Error>().is_some();
        refused |= s
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        source = s.source();
    }
    assert!(driver, "the driver's error is not in the chain: {err:?}");
    assert!(refused, "the refusal is not in the chain: {err:?}");
}
