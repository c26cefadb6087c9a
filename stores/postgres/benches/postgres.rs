//! `PostgresStore` against its floor, the raw tokio-postgres driver on the same
//! database, in one run. The server comes from the tests' support module (a
//! throwaway cluster on a unix socket, or `WORKFLOW_SECRETS_PG_URL`).
//!
//! - `cas_write`: a one-operation compare-and-swap `write` against a raw
//!   `BEGIN; UPDATE ... WHERE revision = $n; COMMIT` (goal: within 1.5x). The
//!   write is logged as every write is (the change counter, `change_log`, a
//!   `NOTIFY`), with no listener running in this process.
//! - `get_first_3_scopes`: the worst case of a resolution's read (the value only in
//!   the third, personal scope) against one raw prepared point `SELECT` round trip.
//! - `get`: one point read against the same raw `SELECT`.
//! - `find_sealed_3_scopes`: what a resolution reads (the same worst case), one
//!   descent of the key-first index, against the same raw point `SELECT`.
//! - `find_sealed cache hit` (interleaved only): a cached store's hit (the
//!   change-number round trip and a clone) against `MemoryStore::find_sealed`;
//!   `cache miss`: a cache that keeps nothing (every lookup reads through, the
//!   read joined to the change counter) against the uncached `find_sealed`.
//!   The cache's listener is stopped after these (see `cas_write`).
//! - `resolve_personal`: a worst-case `Resolver::resolve` (the value only in the
//!   personal scope) against one raw `SELECT` round trip plus the envelope-unseal
//!   floor of the core crate's `benches/resolve.rs` (goal: within 1.2x).
//! - `16_callers_over_8_connections`: 16 tasks on a two-thread runtime resolving
//!   the worst case through a store over a pool of 8, against 16 tasks making raw
//!   prepared point `SELECT`s over another pool of 8 (goal: at least 0.8x the raw
//!   throughput). Criterion reports each as elements per second.
//!
//! - `capacity` (printed only): resolutions per second of server CPU, uncached
//!   and cached, from the CPU time `/proc` reports for the server processes
//!   serving 16 callers over 8 connections (when the server is on this machine).
//!
//! Run: `cargo bench -p workflow-secrets-postgres -- --warm-up-time 1 --measurement-time 3`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench: a panic is the failure report

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../../../benches/support/floor.rs"]
mod floor;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio_postgres::NoTls;
use workflow_secrets::{
    LocalKeyring, Resolver, RunContext, Scope, SecretKey, SecretValue, UserId, Vault, WorkflowId,
    WorkspaceId,
    store::{Expect, SecretMeta, SecretStore, StoredSecret, WriteBatch, WriteOp},
};
use workflow_secrets_postgres::PostgresStore;

const COLUMNS: &str = "version, revision, display_name, description, members, created_by, \
                       updated_by, created_at, updated_at, value_changed_at, sealed";

fn record(vault: &Vault, scope: &Scope, key: &str) -> StoredSecret {
    let key = SecretKey::new(key).unwrap();
    let value = SecretValue::new("v".repeat(64)).unwrap();
    let sealed = vault.seal(scope, &key, 1, &value).unwrap();
    let mut meta = SecretMeta::new(scope.clone(), key, UserId::new("ada").unwrap(), 0);
    meta.display_name = Some("Bench key".into());
    StoredSecret { meta, sealed }
}

fn put(record: StoredSecret, expect: Expect) -> WriteBatch {
    WriteBatch::from(vec![WriteOp::Put { record, expect }])
}

/// Runs `floor` and `ours` alternately `rounds` times and prints the median of each
/// and their ratio: on a shared machine, load that comes and goes hits both alike,
/// where criterion's groups, one after the other, can catch a burst in one only.
fn interleaved<FA, FB>(
    rt: &tokio::runtime::Runtime,
    name: &str,
    rounds: usize,
    mut floor: impl FnMut() -> FA,
    mut ours: impl FnMut() -> FB,
) where
    FA: std::future::Future,
    FB: std::future::Future,
{
    let (mut a, mut b) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    rt.block_on(async {
        for _ in 0..rounds {
            let t = std::time::Instant::now();
            black_box(floor().await);
            a.push(t.elapsed());
            let t = std::time::Instant::now();
            black_box(ours().await);
            b.push(t.elapsed());
        }
    });
    a.sort();
    b.sort();
    let (a, b) = (a[rounds / 2], b[rounds / 2]);
    eprintln!(
        "interleaved {name}: floor {a:?}, store {b:?}, ratio {:.2}x",
        b.as_secs_f64() / a.as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    let Some(server) = support::server() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(server.fresh_store(server.pool(1)));
    let schema = store.schema().to_owned();
    let vault = Vault::new(LocalKeyring::generate());
    let acme = WorkspaceId::new("acme").unwrap();
    let workspace = Scope::workspace(acme.clone());
    let personal = Scope::personal(acme.clone(), UserId::new("ada").unwrap());
    let workflow = Scope::workflow(acme.clone(), WorkflowId::new("wf").unwrap());
    let counter = record(&vault, &workspace, "COUNTER");
    let raw_counter = record(&vault, &workspace, "RAW_COUNTER");
    rt.block_on(async {
        store
            .write(put(counter.clone(), Expect::Absent))
            .await
            .unwrap();
        store
            .write(put(raw_counter.clone(), Expect::Absent))
            .await
            .unwrap();
        store
            .write(put(
                record(&vault, &personal, "PERSONAL_ONLY"),
                Expect::Absent,
            ))
            .await
            .unwrap();
        store
            .write(put(record(&vault, &workspace, "READ_ME"), Expect::Absent))
            .await
            .unwrap();
    });
    let (raw, connection) = rt.block_on(server.config().connect(NoTls)).unwrap();
    rt.spawn(connection);
    let raw = rt.block_on(async {
        // 10,000 filler rows, so reads go through a real index.
        raw.execute(
            &format!(
                "INSERT INTO \"{schema}\".secrets (workspace, kind, owner, key, {COLUMNS}) \
                 SELECT 'acme', 2, '', 'FILL_' || g, 1, 1, NULL, NULL, '{{}}', 'ada', 'ada', 0, 0, 0, \
                 '\\x00112233'::bytea FROM generate_series(1, 10000) g"
            ),
            &[],
        )
        .await
        .unwrap();
        raw.execute(&format!("ANALYZE \"{schema}\".secrets"), &[])
            .await
            .unwrap();
        raw
    });
    let raw_select = rt
        .block_on(raw.prepare(&format!(
            "SELECT {COLUMNS} FROM \"{schema}\".secrets \
             WHERE workspace = $1 AND kind = $2 AND owner = $3 AND key = $4"
        )))
        .unwrap();
    let raw_update = rt
        .block_on(raw.prepare(&format!(
            "UPDATE \"{schema}\".secrets SET version = $5, display_name = $6, description = $7, \
             members = $8, created_by = $9, updated_by = $10, created_at = $11, updated_at = $12, \
             sealed = $13, value_changed_at = $14, revision = revision + 1 \
             WHERE workspace = $1 AND kind = $2 AND owner = $3 AND key = $4 AND revision = $15"
        )))
        .unwrap();
    let raw = tokio::sync::Mutex::new(raw);

    let raw_get = |kind: i16, owner: &'static str, key: &'static str| {
        let (raw, raw_select) = (&raw, &raw_select);
        async move {
            let raw = raw.lock().await;
            let row = raw
                .query_one(raw_select, &[&"acme", &kind, &owner, &key])
                .await
                .unwrap();
            let sealed: Vec<u8> = row.get(10);
            let members: String = row.get(4);
            black_box((sealed, members, row.get::<_, i64>(1)))
        }
    };
    let order = [workflow, workspace.clone(), personal];
    let personal_key = SecretKey::new("PERSONAL_ONLY").unwrap();
    interleaved(
        &rt,
        "get_first_3_scopes vs raw select",
        3000,
        || raw_get(3, "ada", "PERSONAL_ONLY"),
        || async { store.get_first(&order, &personal_key).await.unwrap() },
    );
    let mut group = c.benchmark_group("postgres_get_first_3_scopes_worst_case");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_prepared_select", |b| {
        b.to_async(&rt).iter(|| raw_get(3, "ada", "PERSONAL_ONLY"))
    });
    group.bench_function("PostgresStore::get_first", |b| {
        b.to_async(&rt).iter(|| async {
            let found = store
                .get_first(black_box(&order), black_box(&personal_key))
                .await;
            black_box(found.unwrap().unwrap())
        })
    });
    group.finish();

    interleaved(
        &rt,
        "find_sealed_3_scopes vs raw select",
        3000,
        || raw_get(3, "ada", "PERSONAL_ONLY"),
        || async { store.find_sealed(&order, &personal_key).await.unwrap() },
    );
    let mut group = c.benchmark_group("postgres_find_sealed_3_scopes_worst_case");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_prepared_select", |b| {
        b.to_async(&rt).iter(|| raw_get(3, "ada", "PERSONAL_ONLY"))
    });
    group.bench_function("PostgresStore::find_sealed", |b| {
        b.to_async(&rt).iter(|| async {
            let found = store
                .find_sealed(black_box(&order), black_box(&personal_key))
                .await;
            black_box(found.unwrap().unwrap())
        })
    });
    group.finish();

    // The cache (issue 20 item 2): a hit against `MemoryStore`'s resolution read,
    // a miss (a cache that keeps nothing) against the uncached `find_sealed`.
    let (hit_store, listener) = PostgresStore::with_schema(server.pool(1), &schema)
        .unwrap()
        .with_cache(
            workflow_secrets_postgres::CacheConfig::new(),
            server.config().clone(),
            NoTls,
        );
    let listening = rt.spawn(listener.run());
    let (miss_store, _idle) = PostgresStore::with_schema(server.pool(1), &schema)
        .unwrap()
        .with_cache(
            workflow_secrets_postgres::CacheConfig::new().max_entries(0),
            server.config().clone(),
            NoTls,
        );
    let memory = workflow_secrets::MemoryStore::new();
    rt.block_on(async {
        memory
            .write(put(
                record(&vault, &order[2], "PERSONAL_ONLY"),
                Expect::Absent,
            ))
            .await
            .unwrap();
        while !hit_store.cache_stats().unwrap().listening {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        hit_store.find_sealed(&order, &personal_key).await.unwrap();
    });
    interleaved(
        &rt,
        "find_sealed cache hit vs MemoryStore::find_sealed",
        3000,
        || async { memory.find_sealed(&order, &personal_key).await.unwrap() },
        || async { hit_store.find_sealed(&order, &personal_key).await.unwrap() },
    );
    let hits = hit_store.cache_stats().unwrap();
    assert!(hits.hits >= 3000, "the hits were hits: {hits:?}");
    interleaved(
        &rt,
        "find_sealed cache miss vs uncached find_sealed",
        3000,
        || async { store.find_sealed(&order, &personal_key).await.unwrap() },
        || async { miss_store.find_sealed(&order, &personal_key).await.unwrap() },
    );
    // The listener stops here: it runs on this runtime, and its reads of the log
    // after each notification would land inside the write benches' timings.
    listening.abort();

    let floor = floor::Floor::new(floor::personal_aad_len("acme", "ada", "PERSONAL_ONLY"));
    let resolver = Resolver::new(vault.clone(), store.clone());
    let ada = UserId::new("ada").unwrap();
    let ctx = RunContext::manual(
        acme.clone(),
        WorkflowId::new("wf").unwrap(),
        ada.clone(),
        ada,
    );
    let resolve = || async { resolver.resolve(&ctx, &personal_key).await.unwrap() };
    let floor_read = || async {
        black_box(raw_get(3, "ada", "PERSONAL_ONLY").await);
        floor.unseal()
    };
    interleaved(
        &rt,
        "resolve (personal) vs raw select + unseal floor",
        3000,
        floor_read,
        resolve,
    );
    let mut group = c.benchmark_group("postgres_resolve_personal_worst_case");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_select_plus_unseal_floor", |b| {
        b.to_async(&rt).iter(floor_read)
    });
    group.bench_function("Resolver::resolve", |b| b.to_async(&rt).iter(resolve));
    group.finish();

    let read_key = SecretKey::new("READ_ME").unwrap();
    let store_get = || async {
        let found = store.get(black_box(&workspace), black_box(&read_key)).await;
        black_box(found.unwrap().unwrap())
    };
    interleaved(
        &rt,
        "get vs raw select",
        3000,
        || raw_get(2, "", "READ_ME"),
        store_get,
    );
    let mut group = c.benchmark_group("postgres_get");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_prepared_select", |b| {
        b.to_async(&rt).iter(|| raw_get(2, "", "READ_ME"))
    });
    group.bench_function("PostgresStore::get", |b| b.to_async(&rt).iter(store_get));
    group.finish();

    let raw_revision = AtomicU64::new(1);
    let sealed = raw_counter.sealed.to_bytes();
    let raw_cas = || async {
        let mut raw = raw.lock().await;
        let tx = raw.transaction().await.unwrap();
        let n = raw_revision.load(Ordering::Relaxed) as i64;
        let rows = tx
            .execute(
                &raw_update,
                &[
                    &"acme",
                    &2i16,
                    &"",
                    &"RAW_COUNTER",
                    &1i64,
                    &Some("Bench key"),
                    &None::<&str>,
                    &"{}",
                    &"ada",
                    &"ada",
                    &0i64,
                    &0i64,
                    &sealed,
                    &0i64,
                    &n,
                ],
            )
            .await
            .unwrap();
        assert_eq!(rows, 1);
        tx.commit().await.unwrap();
        raw_revision.fetch_add(1, Ordering::Relaxed);
    };
    let revision = AtomicU64::new(1);
    let store_cas = || async {
        let n = revision.load(Ordering::Relaxed);
        let batch = put(counter.clone(), Expect::Revision(n));
        store.write(black_box(batch)).await.unwrap();
        revision.fetch_add(1, Ordering::Relaxed);
    };
    interleaved(
        &rt,
        "one-op CAS write vs raw BEGIN/UPDATE/COMMIT",
        3000,
        raw_cas,
        store_cas,
    );
    let mut group = c.benchmark_group("postgres_cas_write");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_begin_update_commit", |b| b.to_async(&rt).iter(raw_cas));
    group.bench_function("PostgresStore::write", |b| b.to_async(&rt).iter(store_cas));
    group.finish();

    concurrent(c, server, &schema, &vault);
    capacity(server, &schema, &vault);
}

/// Callers at once, and the connections they share.
const CALLERS: u64 = 16;
const POOL: usize = 8;

/// Runs `op` `ops` times over `CALLERS` tasks (the remainder spread over the first
/// ones) and returns the wall time from the first start to the last end.
async fn callers<F, Fut>(ops: u64, op: F) -> std::time::Duration
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = std::time::Instant::now();
    let tasks: Vec<_> = (0..CALLERS)
        .map(|i| {
            let op = op.clone();
            let n = ops / CALLERS + u64::from(i < ops % CALLERS);
            tokio::spawn(async move {
                for _ in 0..n {
                    op().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed()
}

/// 16 callers over a pool of 8: the store's resolutions against raw point reads.
fn concurrent(c: &mut Criterion, server: &support::Server, schema: &str, vault: &Vault) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = PostgresStore::with_schema(server.pool(POOL), schema).unwrap();
    let resolver = Resolver::new(vault.clone(), store);
    let ada = UserId::new("ada").unwrap();
    let ctx = Arc::new(RunContext::manual(
        WorkspaceId::new("acme").unwrap(),
        WorkflowId::new("wf").unwrap(),
        ada.clone(),
        ada,
    ));
    let personal_key = SecretKey::new("PERSONAL_ONLY").unwrap();
    let resolve = move || {
        let (resolver, ctx, key) = (resolver.clone(), ctx.clone(), personal_key.clone());
        async move {
            black_box(resolver.resolve(&ctx, &key).await.unwrap());
        }
    };
    let raw_pool = server.pool(POOL);
    let select: Arc<str> = Arc::from(format!(
        "SELECT {COLUMNS} FROM \"{schema}\".secrets \
         WHERE workspace = $1 AND kind = $2 AND owner = $3 AND key = $4"
    ));
    let raw_read = move || {
        let (raw_pool, select) = (raw_pool.clone(), select.clone());
        async move {
            let conn = raw_pool.get().await.unwrap();
            let statement = conn.prepare_cached(&select).await.unwrap();
            let row = conn
                .query_one(&statement, &[&"acme", &3i16, &"ada", &"PERSONAL_ONLY"])
                .await
                .unwrap();
            black_box((row.get::<_, Vec<u8>>(10), row.get::<_, String>(4)));
        }
    };
    // Both pools at full size, every statement prepared, before anything is timed.
    rt.block_on(async {
        callers(CALLERS * 20, raw_read.clone()).await;
        callers(CALLERS * 20, resolve.clone()).await;
    });

    // Alternating rounds, as `interleaved` does: load that comes and goes hits both.
    let (rounds, per_round) = (15, CALLERS * 150);
    let (mut raw_rates, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let rate = |t: std::time::Duration| per_round as f64 / t.as_secs_f64();
        raw_rates.push(rate(rt.block_on(callers(per_round, raw_read.clone()))));
        ours.push(rate(rt.block_on(callers(per_round, resolve.clone()))));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (raw_rate, our_rate) = (median(raw_rates), median(ours));
    eprintln!(
        "interleaved 16 callers over 8 connections: raw point reads {raw_rate:.0}/s, \
         resolve {our_rate:.0}/s, ratio {:.2}x the raw throughput",
        our_rate / raw_rate
    );

    let mut group = c.benchmark_group("postgres_16_callers_over_8_connections");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_prepared_select", |b| {
        b.to_async(&rt)
            .iter_custom(|ops| callers(ops, raw_read.clone()))
    });
    group.bench_function("Resolver::resolve", |b| {
        b.to_async(&rt)
            .iter_custom(|ops| callers(ops, resolve.clone()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

/// CPU seconds (user + system) the processes `pids` have used so far, from
/// `/proc/<pid>/stat` (Linux, and the server on this machine); `None` otherwise.
fn cpu_seconds(pids: &[i32]) -> Option<f64> {
    let mut ticks = 0u64;
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // After the command (in parentheses, which may hold spaces): the state is
        // field 3, so utime (14) and stime (15) are the 12th and 13th after it.
        let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
        let field = |i: usize| fields.get(i)?.parse::<u64>().ok();
        ticks += field(11)? + field(12)?;
    }
    // `/proc` counts in USER_HZ, 100 per second on Linux whatever the kernel's HZ.
    Some(ticks as f64 / 100.0)
}

/// The server processes serving connections named `app` (`pg_stat_activity`).
async fn backends(server: &support::Server, app: &str) -> Vec<i32> {
    let admin = server.pool(1).get().await.unwrap();
    admin
        .query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Capacity on paper (issue 20 item 5): resolutions per second of server CPU,
/// uncached and cached, 16 callers over 8 connections. Wall-clock throughput on
/// a shared machine says little about a server; CPU time does: the server
/// processes serving the pools (and the cache's listener) are found by
/// `application_name` and their CPU time read from `/proc` before and after a
/// fixed number of resolutions, and the client's from `/proc/self`. Printed
/// only when the server runs on this machine (a throwaway cluster).
fn capacity(server: &support::Server, schema: &str, vault: &Vault) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ada = UserId::new("ada").unwrap();
    let ctx = Arc::new(RunContext::manual(
        WorkspaceId::new("acme").unwrap(),
        WorkflowId::new("wf").unwrap(),
        ada.clone(),
        ada,
    ));
    let personal_key = SecretKey::new("PERSONAL_ONLY").unwrap();
    let uncached =
        PostgresStore::with_schema(server.pool_named(POOL, "wfs-capacity-uncached"), schema)
            .unwrap();
    let mut listen = server.config().clone();
    listen.application_name("wfs-capacity-cached");
    let (cached, listener) =
        PostgresStore::with_schema(server.pool_named(POOL, "wfs-capacity-cached"), schema)
            .unwrap()
            .with_cache(workflow_secrets_postgres::CacheConfig::new(), listen, NoTls);
    rt.spawn(listener.run());
    rt.block_on(async {
        while !cached.cache_stats().unwrap().listening {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    });
    for (name, store) in [("uncached", uncached), ("cached", cached.clone())] {
        let resolver = Resolver::new(vault.clone(), store);
        let (ctx, key) = (ctx.clone(), personal_key.clone());
        let resolve = move || {
            let (resolver, ctx, key) = (resolver.clone(), ctx.clone(), key.clone());
            async move {
                black_box(resolver.resolve(&ctx, &key).await.unwrap());
            }
        };
        let app = format!("wfs-capacity-{name}");
        let ops = CALLERS * 2_000;
        let measured = rt.block_on(async {
            // Every connection open and every statement prepared first.
            callers(CALLERS * 50, resolve.clone()).await;
            let pids = backends(server, &app).await;
            let before = (
                cpu_seconds(&pids),
                cpu_seconds(&[std::process::id() as i32]),
            );
            let wall = callers(ops, resolve.clone()).await;
            let after = (
                cpu_seconds(&pids),
                cpu_seconds(&[std::process::id() as i32]),
            );
            Some((pids.len(), wall, after.0? - before.0?, after.1? - before.1?))
        });
        let Some((processes, wall, server_cpu, client_cpu)) = measured else {
            eprintln!("capacity {name}: the server's processes are not on this machine");
            return;
        };
        let rate = |seconds: f64| ops as f64 / seconds;
        eprintln!(
            "capacity {name}: {ops} resolutions in {wall:?} ({:.0}/s wall); server CPU \
             {server_cpu:.2} s over {processes} processes ({:.0} resolutions per server \
             core-second), client CPU {client_cpu:.2} s ({:.0} per client core-second)",
            rate(wall.as_secs_f64()),
            rate(server_cpu),
            rate(client_cpu),
        );
    }
    let stats = cached.cache_stats().unwrap();
    eprintln!(
        "capacity cached: {} hits, {} misses, {} behind",
        stats.hits, stats.misses, stats.behind
    );
}
