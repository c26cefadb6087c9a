//! `PostgresStore` against a real server: the conformance suite (a schema per case),
//! snapshots across threads, durability, crashes, two instances, races, hostile
//! input, error hygiene and connection loss.
//!
//! The server comes from `support`: `WORKFLOW_SECRETS_PG_URL`, or a throwaway
//! cluster this binary starts itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use workflow_secrets::testing::fixtures::{id, key, marker, put, record, vault, workspace};
use workflow_secrets::testing::{get_many_is_a_snapshot, store_conformance};
use workflow_secrets::{
    Scope, SecretRole, SecretValue, UserId, Vault, WorkflowId, WorkspaceId,
    store::{Expect, SecretStore, StoreError, StoredSecret, WriteBatch},
};
use workflow_secrets_postgres::PostgresStore;

use support::{server, unique_schema};

/// A second store on the same schema with a pool of its own: another instance.
fn other_instance(store: &PostgresStore, max_size: usize) -> PostgresStore {
    PostgresStore::with_schema(server().unwrap().pool(max_size), store.schema()).unwrap()
}

#[tokio::test]
async fn passes_the_conformance_suite_with_a_schema_per_case() {
    let Some(server) = server() else { return };
    let pool = server.pool(8);
    store_conformance(|| server.fresh_store(pool.clone())).await;
}

#[tokio::test]
async fn get_many_reads_one_snapshot() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(4)).await;
    get_many_is_a_snapshot(&store).await;
}

/// One OS thread rotates a client id and secret in batches while another reads them
/// with `get_many`, each thread with its own runtime and pool: only the server's
/// snapshots keep the pair whole.
#[test]
fn get_many_is_a_snapshot_across_os_threads() {
    let Some(server) = server() else { return };
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let schema = unique_schema();
    let writer = PostgresStore::with_schema(server.pool(2), &schema).unwrap();
    let rt = runtime();
    rt.block_on(writer.migrate()).unwrap();
    drop(rt);
    let vault = vault();
    let acme: WorkspaceId = id("acme");
    let scopes = [
        Scope::workflow(acme.clone(), WorkflowId::new("wf").unwrap()),
        Scope::workspace(acme),
    ];
    let pair = move |vault: &Vault, scope: &Scope, n: usize| -> WriteBatch {
        ["CLIENT_ID", "CLIENT_SECRET"]
            .into_iter()
            .map(|k| put(record(vault, scope, k, &format!("gen-{n}")), Expect::Any))
            .collect()
    };
    let done = Arc::new(AtomicBool::new(false));
    let rotator = {
        let (done, scope, vault) = (done.clone(), scopes[1].clone(), vault.clone());
        std::thread::spawn(move || {
            let rt = runtime();
            rt.block_on(async {
                let writer = PostgresStore::with_schema(server.pool(2), &schema).unwrap();
                writer.write(pair(&vault, &scope, 0)).await.unwrap();
                for n in 1..=300 {
                    writer.write(pair(&vault, &scope, n)).await.unwrap();
                }
            });
            done.store(true, Ordering::Release);
        })
    };
    let rt = runtime();
    let (reads, generations) = rt.block_on(async {
        let reader = PostgresStore::with_schema(server.pool(2), writer.schema()).unwrap();
        let keys = [key("CLIENT_ID"), key("CLIENT_SECRET")];
        let (mut reads, mut generations) = (0, BTreeSet::new());
        while !done.load(Ordering::Acquire) {
            let got = reader.get_many(&scopes, &keys).await.unwrap();
            let markers: Vec<Option<String>> = got
                .into_iter()
                .map(|r| r.and_then(|r| r.meta.display_name))
                .collect();
            assert_eq!(markers[0], markers[1], "a pair straddled a rotation");
            generations.insert(markers[0].clone());
            reads += 1;
        }
        (reads, generations)
    });
    rotator.join().unwrap();
    assert!(reads > 0);
    eprintln!(
        "get_many across threads: {reads} reads saw {} generations",
        generations.len()
    );
}

#[tokio::test]
async fn records_survive_a_new_pool() {
    let Some(server) = server() else { return };
    let vault = vault();
    let scope = Scope::personal(id("acme"), id("ada"));
    let store = server.fresh_store(server.pool(2)).await;
    let schema = store.schema().to_owned();
    let mut r = record(&vault, &scope, "TOKEN", "durable");
    r.meta
        .members
        .insert(UserId::new("bob").unwrap(), SecretRole::Admin);
    r.meta.created_at = u64::MAX;
    r.meta.version = 7;
    store
        .write(WriteBatch::from(vec![put(r.clone(), Expect::Absent)]))
        .await
        .unwrap();
    drop(store);
    let again = PostgresStore::with_schema(server.pool(2), &schema).unwrap();
    again.migrate().await.unwrap(); // idempotent
    let got = again.get(&scope, &key("TOKEN")).await.unwrap().unwrap();
    r.meta.revision = 1;
    assert_eq!(got, r);
}

#[tokio::test]
async fn concurrent_migrations_and_a_newer_schema() {
    let Some(server) = server() else { return };
    let schema = unique_schema();
    let stores: Vec<PostgresStore> = (0..4)
        .map(|_| PostgresStore::with_schema(server.pool(1), &schema).unwrap())
        .collect();
    let runs: Vec<_> = stores
        .iter()
        .cloned()
        .map(|s| tokio::spawn(async move { s.migrate().await }))
        .collect();
    for run in runs {
        run.await.unwrap().unwrap();
    }
    let admin = server.pool(1).get().await.unwrap();
    admin
        .execute(
            &format!("UPDATE \"{schema}\".schema_version SET version = 99"),
            &[],
        )
        .await
        .unwrap();
    let err = stores[0].migrate().await.unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
    for bad in ["Public", "a;b", "x\"y", "pg_temp", ""] {
        assert!(PostgresStore::with_schema(server.pool(1), bad).is_err());
    }
}

const CRASH_SCHEMA_VAR: &str = "WORKFLOW_SECRETS_PG_CRASH_SCHEMA";
const CRASH_RECORDS: usize = 6;

/// The child half of `a_killed_writer_leaves_whole_batches`: does nothing unless
/// re-executed with `CRASH_SCHEMA_VAR` (and the parent's server in the URL variable).
#[tokio::test]
async fn crash_child() {
    let Ok(schema) = std::env::var(CRASH_SCHEMA_VAR) else {
        return;
    };
    let server = server().unwrap();
    let store = PostgresStore::with_schema(server.pool(1), &schema).unwrap();
    let vault = vault();
    let scope = workspace("acme");
    let start = marker(&store, &scope, "R0")
        .await
        .and_then(|m| m.strip_prefix("gen-")?.parse::<usize>().ok())
        .unwrap_or(0);
    let started = Instant::now();
    for n in start + 1..=start + 100_000 {
        store.write(generation(&vault, &scope, n)).await.unwrap();
        println!("committed {n}");
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
}

/// Batch `n`: every `R{i}` rotated to `gen-n`, plus a new record `GEN_n`.
fn generation(vault: &Vault, scope: &Scope, n: usize) -> WriteBatch {
    let mut batch: WriteBatch = (0..CRASH_RECORDS)
        .map(|i| {
            put(
                record(vault, scope, &format!("R{i}"), &format!("gen-{n}")),
                Expect::Any,
            )
        })
        .collect();
    batch.push(put(
        record(vault, scope, &format!("GEN_{n}"), "x"),
        Expect::Absent,
    ));
    batch
}

/// Every batch whole or absent: all `R{i}` at one generation `m`, and exactly
/// `GEN_1..=GEN_m` present. Returns `m`.
async fn check_whole_batches(store: &PostgresStore) -> usize {
    let scope = workspace("acme");
    let Some(first) = marker(store, &scope, "R0").await else {
        assert!(store.list(&scope).await.unwrap().is_empty());
        return 0;
    };
    for i in 1..CRASH_RECORDS {
        assert_eq!(
            marker(store, &scope, &format!("R{i}")).await,
            Some(first.clone())
        );
    }
    let last: usize = first.strip_prefix("gen-").unwrap().parse().unwrap();
    let listed = store.list(&scope).await.unwrap();
    let generations = listed
        .iter()
        .filter(|m| m.key.as_str().starts_with("GEN_"))
        .count();
    assert_eq!(
        generations, last,
        "every batch up to the last is whole, none after"
    );
    last
}

/// A child process writing multi-record batches is killed with SIGKILL mid-run: the
/// server rolls back its open transaction, every batch is whole or absent, and the
/// store works.
#[tokio::test]
async fn a_killed_writer_leaves_whole_batches() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(2)).await;
    let mut before = 0;
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(support::URL_VAR, &server.url)
            .env(CRASH_SCHEMA_VAR, store.schema())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let want = before + 20;
        let seen = tokio::task::spawn_blocking(move || {
            let mut seen = 0;
            for line in BufReader::new(stdout).lines() {
                if let Some((_, n)) = line.unwrap().split_once("committed ") {
                    seen = n.parse().unwrap();
                    if seen >= want {
                        break;
                    }
                }
            }
            seen
        })
        .await
        .unwrap();
        assert!(seen >= want, "the child committed batches before the kill");
        tokio::time::sleep(Duration::from_millis(2 + 3 * round)).await;
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // The server notices the dead connection and rolls back; give it a moment.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let last = check_whole_batches(&store).await;
        assert!(last >= seen, "an acknowledged batch was lost");
        before = last;
    }
    let vault = vault();
    let scope = workspace("acme");
    store
        .write(generation(&vault, &scope, before + 1))
        .await
        .unwrap();
    assert_eq!(check_whole_batches(&store).await, before + 1);
}

fn counter(vault: &Vault, scope: &Scope, count: u64) -> StoredSecret {
    record(vault, scope, "COUNTER", &count.to_string())
}

/// Two instances (two stores, two pools) run 4 × 200 compare-and-swap increments
/// on one record: the final revision is exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_lose_no_increment() {
    const WRITERS: usize = 4;
    const INCREMENTS: usize = 200;
    let Some(server) = server() else { return };
    let first = server.fresh_store(server.pool(4)).await;
    let stores = [first.clone(), other_instance(&first, 4)];
    let vault = vault();
    let scope = workspace("acme");
    first
        .write(WriteBatch::from(vec![put(
            counter(&vault, &scope, 0),
            Expect::Absent,
        )]))
        .await
        .unwrap();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, vault, scope) = (stores[w % 2].clone(), vault.clone(), scope.clone());
            tokio::spawn(async move {
                let mut conflicts = 0;
                for _ in 0..INCREMENTS {
                    loop {
                        let current = store.get(&scope, &key("COUNTER")).await.unwrap().unwrap();
                        let count: u64 = current.meta.display_name.unwrap().parse().unwrap();
                        let op = put(
                            counter(&vault, &scope, count + 1),
                            Expect::Revision(current.meta.revision),
                        );
                        match store.write(WriteBatch::from(vec![op])).await {
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
    let mut conflicts = 0;
    for w in writers {
        conflicts += w.await.unwrap();
    }
    let last = stores[1]
        .get(&scope, &key("COUNTER"))
        .await
        .unwrap()
        .unwrap();
    let total = (WRITERS * INCREMENTS) as u64;
    assert_eq!(last.meta.revision, 1 + total);
    assert_eq!(last.meta.display_name, Some(total.to_string()));
    eprintln!("compare-and-swap conflicts retried: {conflicts}");
}

/// What one racing writer changes in a record.
#[derive(Clone, Copy)]
enum Edit {
    DisplayName,
    Description,
    Rewrap,
}

/// Read-modify-write with compare-and-swap retries, as `set_details` and
/// `rewrap_all` write.
async fn edit_until_it_lands(
    store: &PostgresStore,
    vault: &Vault,
    scope: &Scope,
    edit: Edit,
    n: usize,
) {
    loop {
        let mut current = store.get(scope, &key("SHARED")).await.unwrap().unwrap();
        let expect = Expect::Revision(current.meta.revision);
        match edit {
            Edit::DisplayName => current.meta.display_name = Some(format!("name-{n}")),
            Edit::Description => current.meta.description = Some(format!("description-{n}")),
            Edit::Rewrap => {
                // New sealed bytes, same metadata, as a rewrap writes (the value marks
                // which rewrite landed).
                let value = SecretValue::new(format!("rewrap-{n}")).unwrap();
                current.sealed = vault
                    .seal(scope, &current.meta.key, current.meta.version, &value)
                    .unwrap();
            }
        }
        match store
            .write(WriteBatch::from(vec![put(current, expect)]))
            .await
        {
            Ok(()) => return,
            Err(StoreError::Conflict) => continue,
            Err(other) => panic!("{other}"),
        }
    }
}

/// A details edit racing a details edit and a rewrap, from three instances: no
/// write is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_details_edits_and_rewrap_lose_nothing() {
    const EDITS: usize = 100;
    let Some(server) = server() else { return };
    let first = server.fresh_store(server.pool(2)).await;
    let vault = vault();
    let scope = workspace("acme");
    first
        .write(WriteBatch::from(vec![put(
            record(&vault, &scope, "SHARED", "v"),
            Expect::Absent,
        )]))
        .await
        .unwrap();
    let tasks: Vec<_> = [Edit::DisplayName, Edit::Description, Edit::Rewrap]
        .into_iter()
        .map(|edit| {
            let (store, vault, scope) = (other_instance(&first, 2), vault.clone(), scope.clone());
            tokio::spawn(async move {
                for n in 1..=EDITS {
                    edit_until_it_lands(&store, &vault, &scope, edit, n).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let last = first.get(&scope, &key("SHARED")).await.unwrap().unwrap();
    assert_eq!(
        last.meta.revision,
        1 + 3 * EDITS as u64,
        "every write counted"
    );
    assert_eq!(last.meta.display_name, Some(format!("name-{EDITS}")));
    assert_eq!(last.meta.description, Some(format!("description-{EDITS}")));
    let value = vault
        .unseal(&scope, &last.meta.key, last.meta.version, &last.sealed)
        .unwrap();
    assert_eq!(value.expose_secret(), format!("rewrap-{EDITS}"));
}

/// Ids of up to 256 bytes holding quotes, `;`, `%`, `_`, `\` and non-ASCII text
/// round-trip through every method.
#[tokio::test]
async fn hostile_ids_round_trip() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(2)).await;
    let vault = vault();
    let long = format!("{}'", "ü".repeat(127)); // 255 bytes
    let hostile = [
        "x'; DROP TABLE secrets; --",
        "\"double\" and 'single'",
        "100%_off\\ ",
        "%",
        "_",
        "\\",
        "$1",
        "日本語のワークスペース",
        long.as_str(),
        "a",
        "A",
    ];
    for id in hostile {
        assert!(id.len() <= 256);
        let workspace = WorkspaceId::new(id).unwrap();
        let scopes = [
            Scope::workspace(workspace.clone()),
            Scope::workflow(workspace.clone(), WorkflowId::new(id).unwrap()),
            Scope::personal(workspace.clone(), UserId::new(id).unwrap()),
        ];
        for scope in &scopes {
            let mut r = record(&vault, scope, "K", id);
            r.meta.description = Some(id.to_owned());
            r.meta
                .members
                .insert(UserId::new(id).unwrap(), SecretRole::Member);
            store
                .write(WriteBatch::from(vec![put(r.clone(), Expect::Absent)]))
                .await
                .unwrap();
            let got = store.get(scope, &key("K")).await.unwrap().unwrap();
            r.meta.revision = 1;
            assert_eq!(got, r, "{id:?}");
            assert_eq!(store.list(scope).await.unwrap(), vec![r.meta.clone()]);
            let first = store
                .get_first(std::slice::from_ref(scope), &key("K"))
                .await;
            assert_eq!(first.unwrap().unwrap(), r);
        }
        let got = store.get_many(&scopes, &[key("K")]).await.unwrap();
        assert_eq!(got[0].as_ref().unwrap().meta.scope, scopes[0]);
        let lists = store.list_many(&scopes).await.unwrap();
        assert!(lists.iter().all(|l| l.len() == 1));
        let mut found = store.scopes(&workspace).await.unwrap();
        found.sort();
        let mut expected = scopes.to_vec();
        expected.sort();
        assert_eq!(found, expected, "{id:?}");
    }
}

/// No error carries sealed bytes or a value: not a conflict, not an invalid batch,
/// and not a constraint violation whose server `DETAIL` quotes the whole row.
#[tokio::test]
async fn errors_never_carry_sealed_bytes() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(2)).await;
    let vault = vault();
    let scope = workspace("acme");
    let secret = "sk-live-0123456789abcdef-marker";
    let r = record(&vault, &scope, "K", secret);
    let sealed_hex: String = r
        .sealed
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    store
        .write(WriteBatch::from(vec![put(r.clone(), Expect::Absent)]))
        .await
        .unwrap();
    let conflict = store
        .write(WriteBatch::from(vec![put(r.clone(), Expect::Absent)]))
        .await
        .unwrap_err();
    let invalid = store
        .write(WriteBatch::from(vec![
            put(r.clone(), Expect::Any),
            put(r.clone(), Expect::Any),
        ]))
        .await
        .unwrap_err();
    // A check constraint refuses the next record: PostgreSQL's DETAIL then reads
    // "Failing row contains (..., \x<sealed bytes>)".
    let admin = server.pool(1).get().await.unwrap();
    admin
        .batch_execute(&format!(
            "ALTER TABLE \"{}\".secrets ADD CONSTRAINT refuse CHECK (key <> 'OTHER')",
            store.schema()
        ))
        .await
        .unwrap();
    let mut batch = WriteBatch::new();
    batch.push(put(record(&vault, &scope, "FINE", secret), Expect::Absent));
    batch.push(put(record(&vault, &scope, "OTHER", secret), Expect::Absent));
    let backend = store.write(batch).await.unwrap_err();
    assert!(matches!(backend, StoreError::Backend(_)), "{backend:?}");
    assert!(backend.to_string().contains("23514"), "{backend}");
    for err in [conflict, invalid, backend] {
        let err = workflow_secrets::Error::from(err);
        let mut text = format!("{err} {err:?}");
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            text.push_str(&format!(" {s} {s:?}"));
            source = s.source();
        }
        assert!(!text.contains(secret), "{text}");
        assert!(!text.contains(&sealed_hex), "{text}");
        assert!(!text.contains(&sealed_hex[..16]), "{text}");
        assert!(!text.contains("sk-live"), "{text}");
        assert!(!text.contains("Failing row"), "{text}");
    }
    assert!(
        marker(&store, &scope, "FINE").await.is_none(),
        "the batch rolled back"
    );
}

#[tokio::test]
async fn debug_never_prints_a_password() {
    let mut config = tokio_postgres::Config::new();
    config
        .host("db.internal")
        .user("svc")
        .password("hunter2-very-secret")
        .dbname("app");
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager).build().unwrap();
    let store = PostgresStore::with_schema(pool.clone(), "tenant_secrets").unwrap();
    let shown = format!("{store:?} {:?}", PostgresStore::new(pool));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("db.internal"), "{shown}");
    assert!(shown.contains("tenant_secrets"), "{shown}");
}

/// `pg_terminate_backend` kills the store's connections while it writes batches:
/// the call in flight fails with a `store` error, no batch is left partial, and the
/// store works again afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_loss_fails_the_call_in_flight_only() {
    let Some(server) = server() else { return };
    let app = format!("wfs-victim-{}", unique_schema());
    let store = server.fresh_store(server.pool_named(2, &app)).await;
    let vault = vault();
    let scope = workspace("acme");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, vault, scope, stop) =
            (store.clone(), vault.clone(), scope.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut ok, mut failed) = (0usize, 0usize);
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                n += 1;
                match store.write(generation(&vault, &scope, n)).await {
                    Ok(()) => ok += 1,
                    Err(err) => {
                        let code = workflow_secrets::Error::from(err).code();
                        assert_eq!(code, "store");
                        failed += 1;
                        // This batch may or may not have committed (the kill can land
                        // after COMMIT reached the server): read where we are, retrying
                        // through further kills.
                        n = loop {
                            match store.get(&scope, &key("R0")).await {
                                Ok(found) => {
                                    break found
                                        .and_then(|r| r.meta.display_name)
                                        .and_then(|m| m.strip_prefix("gen-")?.parse().ok())
                                        .unwrap_or(0);
                                }
                                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                            }
                        };
                    }
                }
            }
            (ok, failed)
        })
    };
    let admin = server.pool(1).get().await.unwrap();
    let mut killed = 0;
    for _ in 0..15 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let rows = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&app],
            )
            .await
            .unwrap();
        killed += rows.len();
    }
    stop.store(true, Ordering::Release);
    let (ok, failed) = writer.await.unwrap();
    eprintln!(
        "connection loss: {killed} connections killed, {ok} batches written, {failed} failed"
    );
    assert!(killed > 0 && failed > 0, "the kills hit calls in flight");
    assert!(ok > 0);
    // Dead connections are dropped by the pool; the next calls succeed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let last = check_whole_batches(&store).await;
    store
        .write(generation(&vault, &scope, last + 1))
        .await
        .unwrap();
    assert_eq!(check_whole_batches(&store).await, last + 1);
}

/// `get_first` over more scopes than it keeps statements ready for, and in every
/// order: the first scope holding the key wins.
#[tokio::test]
async fn get_first_over_many_scopes_keeps_their_order() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(2)).await;
    let vault = vault();
    let scopes: Vec<Scope> = (0..7)
        .map(|i| Scope::workflow(id("acme"), WorkflowId::new(format!("wf-{i}")).unwrap()))
        .collect();
    for i in [2, 4, 6] {
        let r = record(&vault, &scopes[i], "K", &format!("from-{i}"));
        store
            .write(WriteBatch::from(vec![put(r, Expect::Absent)]))
            .await
            .unwrap();
    }
    for n in 1..=scopes.len() {
        let want = [2, 4, 6]
            .into_iter()
            .find(|i| *i < n)
            .map(|i| format!("from-{i}"));
        let got = store.get_first(&scopes[..n], &key("K")).await.unwrap();
        assert_eq!(got.and_then(|r| r.meta.display_name), want, "{n} scopes");
        let mut reversed = scopes[..n].to_vec();
        reversed.reverse();
        let want = [6, 4, 2]
            .into_iter()
            .find(|i| *i < n)
            .map(|i| format!("from-{i}"));
        let got = store.get_first(&reversed, &key("K")).await.unwrap();
        assert_eq!(
            got.and_then(|r| r.meta.display_name),
            want,
            "{n} scopes reversed"
        );
    }
}
