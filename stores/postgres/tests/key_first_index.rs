//! The key-first index (schema version 2) and the statement that uses it:
//! `find_sealed` finds every scope of a run with one descent of one index, whatever
//! plan the server caches, and a schema of version 1 is upgraded in place.
//!
//! The server comes from `support`: `WORKFLOW_SECRETS_PG_URL`, or a throwaway
//! cluster this binary starts itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use deadpool_postgres::Object;
use workflow_secrets::store::codec::ScopeColumns;
use workflow_secrets::testing::fixtures::{id, key, open, put, record, vault};
use workflow_secrets::{
    Scope, WorkspaceId,
    store::{Expect, SecretStore, WriteBatch},
};
use workflow_secrets_postgres::PostgresStore;

use support::{schema_v1, server, unique_schema};

/// The scopes of a run in `acme`: workflow `wf`, the workspace, personal `ada`.
fn run_scopes() -> [Scope; 3] {
    let acme: WorkspaceId = id("acme");
    [
        Scope::workflow(acme.clone(), id("wf")),
        Scope::workspace(acme.clone()),
        Scope::personal(acme, id("ada")),
    ]
}

/// The name under which the store's connection prepared `find_sealed`: the driver
/// prepares it at protocol level, which `pg_prepared_statements` lists and
/// `EXECUTE` runs.
async fn find_statement(conn: &Object) -> String {
    let row = conn
        .query_one(
            "SELECT name FROM pg_prepared_statements \
             WHERE statement LIKE '%kind::text || '':'' || owner%'",
            &[],
        )
        .await
        .unwrap();
    row.get(0)
}

/// `EXPLAIN ANALYZE` of the store's own `find_sealed` statement under `mode`, for a
/// run's three scopes (ascending: `LIMIT 1`) or for them in reverse.
async fn explain(conn: &Object, name: &str, mode: &str, k: &str, ascending: bool) -> String {
    conn.batch_execute(&format!("SET plan_cache_mode = {mode}"))
        .await
        .unwrap();
    let limit = if ascending { 1 } else { 3 };
    let rows = conn
        .query(
            &format!(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE {name}(\
                 'acme', '{k}', 1, 'wf', 3, 'ada', '{{1:wf,2:,3:ada}}', {limit})"
            ),
            &[],
        )
        .await
        .unwrap();
    conn.batch_execute("RESET plan_cache_mode").await.unwrap();
    rows.iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The evidence for "one descent": under a generic plan (what the server caches for
/// a prepared statement) and a custom one, the statement is one `Index Scan` of
/// `secrets_by_key` whose index condition fixes workspace and key and bounds (kind,
/// owner), under a `Limit`; no `Append` (the old `UNION ALL`), no sort, no other scan.
/// Other holders of the key sorting inside the range are dropped by the filter.
#[tokio::test]
async fn find_sealed_is_one_index_scan_in_every_plan() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(1)).await;
    let vault = vault();
    let scopes = run_scopes();
    let acme: WorkspaceId = id("acme");
    // Holders in range that the run does not read: another workflow after `wf`,
    // another user before `ada`.
    let bystanders = [
        Scope::workflow(acme.clone(), id("wf-2")),
        Scope::personal(acme.clone(), id("ab")),
    ];
    let mut ops = Vec::new();
    for scope in scopes.iter().skip(2).chain(&bystanders) {
        ops.push(put(record(&vault, scope, "K", "x"), Expect::Absent));
    }
    store.write(WriteBatch::from(ops)).await.unwrap();
    let found = store
        .find_sealed(&scopes, &key("K"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.at, 2);

    let conn = store.pool().get().await.unwrap();
    let name = find_statement(&conn).await;
    for mode in ["force_generic_plan", "force_custom_plan"] {
        for ascending in [true, false] {
            let plan = explain(&conn, &name, mode, "K", ascending).await;
            let nodes: Vec<&str> = plan
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with("Index Cond") && !l.starts_with("Filter"))
                .filter(|l| !l.starts_with("Rows Removed"))
                .collect();
            assert_eq!(nodes.len(), 2, "{mode}: two nodes\n{plan}");
            assert!(nodes[0].starts_with("Limit"), "{mode}\n{plan}");
            assert!(
                nodes[1].starts_with("->  Index Scan using secrets_by_key on secrets"),
                "{mode}\n{plan}"
            );
            let cond = plan
                .lines()
                .find(|l| l.trim().starts_with("Index Cond"))
                .unwrap();
            for part in [
                "(workspace = ",
                "(key = ",
                "(ROW(kind, owner) >= ROW(",
                "(ROW(kind, owner) <= ROW(",
            ] {
                assert!(cond.contains(part), "{mode}: {part}\n{plan}");
            }
            assert!(plan.contains("rows=1 loops=1"), "{mode}\n{plan}");
        }
    }
}

/// The server's own count of index scans (`pg_stat_user_indexes.idx_scan`, one
/// per descent): a thousand resolutions' reads start a thousand scans of
/// `secrets_by_key` and none of the primary key, whichever scope answers (or none);
/// the per-scope lookup of `get_first` starts three.
#[tokio::test]
async fn the_server_counts_one_index_scan_per_find_sealed() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(1)).await;
    let vault = vault();
    let scopes = run_scopes();
    let keys = ["IN_WORKFLOW", "IN_WORKSPACE", "IN_PERSONAL", "NOWHERE"];
    let mut ops = Vec::new();
    for (scope, k) in scopes.iter().zip(keys) {
        ops.push(put(record(&vault, scope, k, k), Expect::Absent));
    }
    store.write(WriteBatch::from(ops)).await.unwrap();
    let schema = store.schema().to_owned();
    let scans = || async {
        let conn = store.pool().get().await.unwrap();
        // Statistics reach the shared view when the backend that counted them goes
        // idle; with a pool of one, that is the store's own connection.
        conn.execute("SELECT pg_stat_force_next_flush()", &[])
            .await
            .unwrap();
        let rows = conn
            .query(
                "SELECT indexrelname::text, idx_scan FROM pg_stat_user_indexes \
                 WHERE schemaname = $1 AND relname = 'secrets' ORDER BY 1",
                &[&schema],
            )
            .await
            .unwrap();
        let get = |name: &str| -> i64 {
            rows.iter()
                .find(|r| r.get::<_, String>(0) == name)
                .map(|r| r.get(1))
                .unwrap()
        };
        (get("secrets_by_key"), get("secrets_pkey"))
    };
    let before = scans().await;
    const CALLS: i64 = 250;
    for _ in 0..CALLS {
        for k in keys {
            store.find_sealed(&scopes, &key(k)).await.unwrap();
        }
    }
    let after = scans().await;
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (CALLS * 4, 0),
        "one scan of the key-first index per call, none of the primary key"
    );
    for _ in 0..CALLS {
        store.get_first(&scopes, &key("IN_PERSONAL")).await.unwrap();
    }
    let old = scans().await;
    assert_eq!(
        (old.0 - after.0) + (old.1 - after.1),
        CALLS * 3,
        "get_first: an index scan per scope (of either unique index)"
    );
}

/// A schema of version 1: `migrate` adds the key-first index and records the
/// current version, keeps every row as it was, and a second `migrate` changes
/// nothing.
#[tokio::test]
async fn a_schema_of_the_previous_version_is_upgraded_in_place() {
    let Some(server) = server() else { return };
    let schema = unique_schema();
    let admin = server.pool(1).get().await.unwrap();
    admin.batch_execute(&schema_v1(&schema)).await.unwrap();
    let vault = vault();
    let scopes = run_scopes();
    for (i, scope) in scopes.iter().enumerate() {
        let r = record(&vault, scope, "K", &format!("v1-{i}"));
        let columns = ScopeColumns::of(scope);
        admin
            .execute(
                &format!(
                    "INSERT INTO \"{schema}\".secrets VALUES ($1, $2, $3, 'K', 1, 7, $4, NULL, \
                     '{{}}', 'suite-user', 'suite-user', 5, 6, $5)"
                ),
                &[
                    &columns.workspace,
                    &i16::from(columns.kind),
                    &columns.owner,
                    &r.meta.display_name,
                    &r.sealed.to_bytes(),
                ],
            )
            .await
            .unwrap();
    }
    let state = || async {
        let version: i32 = admin
            .query_one(
                &format!("SELECT version FROM \"{schema}\".schema_version"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let index: Option<String> = admin
            .query_opt(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 \
                 AND indexname = 'secrets_by_key'",
                &[&schema],
            )
            .await
            .unwrap()
            .map(|r| r.get(0));
        (version, index)
    };
    assert_eq!(state().await, (1, None));
    let store = PostgresStore::with_schema(server.pool(2), &schema).unwrap();
    store.migrate().await.unwrap();
    let (version, index) = state().await;
    assert_eq!(version, 6);
    let index = index.expect("the key-first index");
    assert!(
        index.contains("UNIQUE INDEX") && index.ends_with("(workspace, key, kind, owner)"),
        "{index}"
    );
    for (i, scope) in scopes.iter().enumerate() {
        let got = store.get(scope, &key("K")).await.unwrap().unwrap();
        assert_eq!(got.meta.revision, 7, "rows kept as they were");
        assert_eq!(open(&vault, scope, "K", &got), format!("v1-{i}"));
        let found = store
            .find_sealed(&scopes[i..], &key("K"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.at, 0);
        let value = vault.unseal(scope, &key("K"), 1, &found.sealed).unwrap();
        assert_eq!(value.expose_secret(), format!("v1-{i}"));
    }
    store.migrate().await.unwrap();
    assert_eq!(state().await.0, 6, "a second migrate changes nothing");
}
