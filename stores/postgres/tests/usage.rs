//! Usage rows (schema version 5): a schema of version 4 gains the usage table in
//! place with its records as they were; the table compares ids byte for byte; a
//! flush from several instances at once loses no mark.
//!
//! The server comes from `support`: `WORKFLOW_SECRETS_PG_URL`, or a throwaway
//! cluster this binary starts itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use workflow_secrets::WorkflowId;
use workflow_secrets::store::{Expect, SecretStore, StoreError, UsageMark, WriteBatch};
use workflow_secrets::testing::fixtures::{id, key, open, put, record, vault, workspace};
use workflow_secrets_postgres::PostgresStore;

use support::{CURRENT_SCHEMA, server};

/// A schema at version 4 (every record table, no usage table) migrates to the
/// current version, its records as they were; usage is then recorded and read, and
/// a second `migrate` changes nothing.
#[tokio::test]
async fn a_version_4_schema_gains_usage_rows() {
    let Some(server) = server() else { return };
    let vault = vault();
    let scope = workspace("acme");
    let store = server.fresh_store(server.pool(2)).await;
    let schema = store.schema().to_owned();
    store
        .write(WriteBatch::from(vec![put(
            record(&vault, &scope, "API_KEY", "kept-value"),
            Expect::Absent,
        )]))
        .await
        .unwrap();
    let admin = server.pool(1).get().await.unwrap();
    // Versions 5 and 6 added the usage table and the change tables: without them,
    // this is a version 4 schema.
    admin
        .batch_execute(&format!(
            "DROP TABLE \"{schema}\".secret_usage;
             DROP TABLE \"{schema}\".changes;
             DROP TABLE \"{schema}\".change_log;
             UPDATE \"{schema}\".schema_version SET version = 4 WHERE id = 1;"
        ))
        .await
        .unwrap();
    let state = || async {
        let version: i32 = admin
            .query_one(
                &format!("SELECT version FROM \"{schema}\".schema_version"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let tables: i64 = admin
            .query_one(
                "SELECT count(*) FROM information_schema.tables \
                 WHERE table_schema = $1 AND table_name = 'secret_usage'",
                &[&schema],
            )
            .await
            .unwrap()
            .get(0);
        (version, tables)
    };
    assert_eq!(state().await, (4, 0));
    let store = PostgresStore::with_schema(server.pool(2), &schema).unwrap();
    for when in ["after the upgrade", "after a second migrate"] {
        store.migrate().await.unwrap();
        assert_eq!(state().await, (CURRENT_SCHEMA, 1), "{when}");
        let got = store.get(&scope, &key("API_KEY")).await.unwrap().unwrap();
        assert_eq!(
            open(&vault, &scope, "API_KEY", &got),
            "kept-value",
            "{when}"
        );
    }
    let mark = UsageMark::new(scope.clone(), key("API_KEY"), id("wf"), 1_700_000_000_123);
    store.record_usage(&[mark]).await.unwrap();
    let usage = store.usage(&scope, &key("API_KEY")).await.unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].workflow.as_str(), usage[0].last_used_at),
        ("wf", 1_700_000_000_123)
    );
}

/// Eight instances flush overlapping marks at once, each in its own order: no call
/// fails for good (a deadlock would come back as `conflict`, retried here), and
/// every (key, workflow) keeps the latest time any of them sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_flushes_keep_the_latest_of_each() {
    let Some(server) = server() else { return };
    let first = server.fresh_store(server.pool(1)).await;
    let scope = workspace("acme");
    let instances: Vec<PostgresStore> = (0..8)
        .map(|_| PostgresStore::with_schema(server.pool(1), first.schema()).unwrap())
        .collect();
    let marks_of = |n: u64| -> Vec<UsageMark> {
        let mut marks = Vec::new();
        for k in 0..10 {
            for w in 0..10 {
                let workflow: WorkflowId = id(&format!("wf-{w}"));
                marks.push(UsageMark::new(
                    scope.clone(),
                    key(&format!("K{k}")),
                    workflow,
                    1_000 + n * 100 + k * 10 + w,
                ));
            }
        }
        if n % 2 == 1 {
            marks.reverse();
        }
        marks
    };
    let handles: Vec<_> = instances
        .into_iter()
        .enumerate()
        .map(|(n, store)| {
            let marks = marks_of(n as u64);
            tokio::spawn(async move {
                for _ in 0..20 {
                    match store.record_usage(&marks).await {
                        Ok(()) => return,
                        Err(StoreError::Conflict) => continue,
                        Err(other) => panic!("flush {n}: {other}"),
                    }
                }
                panic!("flush {n}: kept conflicting");
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    for k in 0..10u64 {
        let usage = first.usage(&scope, &key(&format!("K{k}"))).await.unwrap();
        let got: Vec<(String, u64)> = usage
            .into_iter()
            .map(|u| (u.workflow.to_string(), u.last_used_at))
            .collect();
        let want: Vec<(String, u64)> = (0..10u64)
            .map(|w| (format!("wf-{w}"), 1_000 + 7 * 100 + k * 10 + w))
            .collect();
        assert_eq!(got, want, "K{k}");
    }
}
