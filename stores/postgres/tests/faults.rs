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
use workflow_secrets::testing::fixtures::{key, put, record, vault, workspace};
use workflow_secrets::{
    Scope, Vault,
    store::{Expect, SecretStore, StoreError, WriteBatch, WriteOp},
};
use workflow_secrets_postgres::PostgresStore;

use support::server;

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
