//! The cache of sealed records (issue 20 items 2 and 4) against a real server:
//! conformance through the cache, the rotation rule across instances (the window
//! between a commit and its notification included), a lost listener, killed
//! backends and a pool that cannot connect.
//!
//! The server comes from `support`: `WORKFLOW_SECRETS_PG_URL`, or a throwaway
//! cluster this binary starts itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_postgres::NoTls;
use workflow_secrets::testing::fixtures::{id, key, open, put, record, vault, workspace};
use workflow_secrets::testing::{get_many_is_a_snapshot, store_conformance};
use workflow_secrets::{
    Actor, Resolver, RunContext, Scope, SecretValue, Secrets, Vault, WorkspaceRole,
    store::{Expect, SecretStore, WriteBatch},
};
use workflow_secrets_postgres::{CacheConfig, CacheListener, CacheStats, PostgresStore};

use support::{Server, server, unique_schema};

/// Only to turn a hang into a failure, never to assert speed.
const PATIENCE: Duration = Duration::from_secs(60);

fn stats(store: &PostgresStore) -> CacheStats {
    store.cache_stats().expect("a cached store")
}

/// A cached store on `schema` (a pool of `size` named `app`, a listener named
/// `{app}-listener` connecting as `user`), and its listener, not yet running.
fn cached_store(
    server: &Server,
    schema: &str,
    size: usize,
    app: &str,
    user: &str,
) -> (PostgresStore, CacheListener) {
    let mut config = server.config().clone();
    config.user(user).application_name(app);
    let manager = deadpool_postgres::Manager::new(config.clone(), NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(size)
        .build()
        .unwrap();
    config.application_name(format!("{app}-listener"));
    PostgresStore::with_schema(pool, schema)
        .unwrap()
        .with_cache(CacheConfig::new(), config, NoTls)
}

/// Waits until the store's listener is subscribed and has applied `seq`.
async fn caught_up(store: &PostgresStore, seq: u64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let s = stats(store);
        if s.listening && s.applied_seq >= seq {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the listener never caught up: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The schema's change number now.
async fn current_seq(server: &Server, schema: &str) -> u64 {
    let admin = server.pool(1).get().await.unwrap();
    let seq: i64 = admin
        .query_one(&format!("SELECT seq FROM \"{schema}\".changes"), &[])
        .await
        .unwrap()
        .get(0);
    u64::try_from(seq).unwrap()
}

/// A cached store whose listener runs on a thread of its own (a current-thread
/// runtime), so a test can stop it between a commit and its notification by
/// blocking that thread.
struct Paused {
    handle: tokio::runtime::Handle,
}

impl Paused {
    fn start(listener: CacheListener) -> Paused {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        std::thread::spawn(move || rt.block_on(listener.run()));
        Paused { handle }
    }

    /// Blocks the listener's thread until the returned sender is dropped.
    async fn pause(&self) -> std::sync::mpsc::Sender<()> {
        let (resume, resumed) = std::sync::mpsc::channel::<()>();
        let (paused, is_paused) = std::sync::mpsc::channel::<()>();
        self.handle.spawn(async move {
            paused.send(()).unwrap();
            let _ = resumed.recv();
        });
        tokio::task::spawn_blocking(move || is_paused.recv().unwrap())
            .await
            .unwrap();
        resume
    }
}

/// The conformance suite and the snapshot check through a live cache: every read
/// of the suite goes through the cache's lookups and fills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_store_passes_the_conformance_suite() {
    let Some(server) = server() else { return };
    store_conformance(|| async {
        let schema = unique_schema();
        server.fresh_store(server.pool(1)).await; // any store migrates it
        let plain = PostgresStore::with_schema(server.pool(1), &schema).unwrap();
        plain.migrate().await.unwrap();
        let (store, listener) = cached_store(server, &schema, 4, "wfs-conformance", "postgres");
        tokio::spawn(listener.run());
        caught_up(&store, 0).await;
        store
    })
    .await;
    let schema = unique_schema();
    PostgresStore::with_schema(server.pool(1), &schema)
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let (store, listener) = cached_store(server, &schema, 4, "wfs-snapshot", "postgres");
    tokio::spawn(listener.run());
    caught_up(&store, 0).await;
    get_many_is_a_snapshot(&store).await;
    assert!(stats(&store).hits > 0, "{:?}", stats(&store));
}

fn admin(ws: &str) -> Actor {
    Actor::new(id("ada"), id(ws), WorkspaceRole::Admin)
}

fn value(text: &str) -> SecretValue {
    SecretValue::new(text).unwrap()
}

/// Instance B caches a key; instance A rotates it while B's listener is stopped
/// (the window between A's commit and B's notification): a step B starts after
/// A's commit resolves the new value (read through: B has not applied the
/// change), and after the listener applies it B serves the new value from cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_after_a_rotation_on_another_instance_sees_the_new_value() {
    let Some(server) = server() else { return };
    let a = server.fresh_store(server.pool(2)).await;
    let schema = a.schema().to_owned();
    let (b, listener) = cached_store(server, &schema, 2, "wfs-window", "postgres");
    let listener = Paused::start(listener);
    let vault = vault();
    let scope = workspace("acme");
    let secrets = Secrets::new(vault.clone(), a.clone());
    secrets
        .create(&admin("acme"), &scope, &key("K"), value("v1"))
        .await
        .unwrap();
    let resolver = Resolver::new(vault.clone(), b.clone());
    let ctx = RunContext::manual(id("acme"), id("wf"), id("ada"), id("ada"));
    let resolve = || async { resolver.step(&ctx).credential("K").await.unwrap() };
    caught_up(&b, current_seq(server, &schema).await).await;
    assert_eq!(resolve().await.expose_secret(), "v1"); // fills
    let before = stats(&b);
    assert_eq!(resolve().await.expose_secret(), "v1");
    let hit = stats(&b);
    assert_eq!(hit.hits, before.hits + 1, "served from the cache: {hit:?}");

    let resume = listener.pause().await;
    secrets
        .rotate(&admin("acme"), &scope, &key("K"), value("v2"))
        .await
        .unwrap();
    // A's commit is done; B has not applied it. Every step B starts now reads
    // the new value.
    for _ in 0..3 {
        assert_eq!(resolve().await.expose_secret(), "v2");
    }
    let window = stats(&b);
    assert_eq!(
        window.hits, hit.hits,
        "nothing served in the window: {window:?}"
    );
    assert!(window.behind > hit.behind, "{window:?}");
    assert!(window.applied_seq < current_seq(server, &schema).await);

    drop(resume);
    caught_up(&b, current_seq(server, &schema).await).await;
    assert_eq!(resolve().await.expose_secret(), "v2"); // refills
    assert_eq!(resolve().await.expose_secret(), "v2");
    assert!(stats(&b).hits > window.hits, "{:?}", stats(&b));
}

/// The same window for `get_many` (a pair rotated in one batch) and
/// `list_many`: both read through while the listener lags, and both are whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_many_and_list_many_read_through_in_the_window() {
    let Some(server) = server() else { return };
    let a = server.fresh_store(server.pool(2)).await;
    let schema = a.schema().to_owned();
    let (b, listener) = cached_store(server, &schema, 2, "wfs-window-many", "postgres");
    let listener = Paused::start(listener);
    let vault = vault();
    let scope = workspace("acme");
    let pair = |marker: &str, expect: Expect| -> WriteBatch {
        ["ID", "SECRET"]
            .iter()
            .map(|k| put(record(&vault, &scope, k, marker), expect))
            .collect()
    };
    a.write(pair("gen-1", Expect::Absent)).await.unwrap();
    caught_up(&b, current_seq(server, &schema).await).await;
    let scopes = [scope.clone()];
    let keys = [key("ID"), key("SECRET")];
    let read = || async {
        let many = b.get_many(&scopes, &keys).await.unwrap();
        let lists = b.list_many(&scopes).await.unwrap();
        let markers: Vec<String> = many
            .iter()
            .zip(["ID", "SECRET"])
            .map(|(r, k)| open(&vault, &scope, k, r.as_ref().unwrap()))
            .collect();
        let revisions: Vec<u64> = lists[0].iter().map(|m| m.revision).collect();
        (markers, revisions)
    };
    assert_eq!(
        read().await,
        (vec!["gen-1".into(), "gen-1".into()], vec![1, 1])
    );
    let filled = stats(&b);
    assert_eq!(read().await.1, vec![1, 1]);
    assert_eq!(stats(&b).hits, filled.hits + 2, "both from the cache");

    let resume = listener.pause().await;
    a.write(pair("gen-2", Expect::Revision(1))).await.unwrap();
    assert_eq!(
        read().await,
        (vec!["gen-2".into(), "gen-2".into()], vec![2, 2])
    );
    drop(resume);
    caught_up(&b, current_seq(server, &schema).await).await;
    assert_eq!(
        read().await,
        (vec!["gen-2".into(), "gen-2".into()], vec![2, 2])
    );
}

/// A role that may log in, for connections a test turns away later.
async fn login_role(server: &Server) -> String {
    let role = unique_schema().replace("t_", "wfs_role_");
    let admin = server.pool(1).get().await.unwrap();
    admin
        .batch_execute(&format!("CREATE ROLE {role} LOGIN SUPERUSER"))
        .await
        .unwrap();
    role
}

async fn set_login(server: &Server, role: &str, login: bool) {
    let admin = server.pool(1).get().await.unwrap();
    let what = if login { "LOGIN" } else { "NOLOGIN" };
    admin
        .batch_execute(&format!("ALTER ROLE {role} {what}"))
        .await
        .unwrap();
}

/// Terminates every backend whose `application_name` is `app`; how many.
async fn kill(server: &Server, app: &str) -> usize {
    let admin = server.pool(1).get().await.unwrap();
    admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .await
        .unwrap()
        .len()
}

/// The listener's connection is killed and cannot come back (its role may not
/// log in): the cache serves nothing (every lookup reads the database and sees
/// A's rotations), and once the listener resubscribes it catches up from the
/// log and serves again. A second outage during which the log lost what the
/// listener missed (pruned past it) ends with the cache cleared, never stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_serves_nothing_until_it_caught_up() {
    let Some(server) = server() else { return };
    let a = server.fresh_store(server.pool(2)).await;
    let schema = a.schema().to_owned();
    let role = login_role(server).await;
    let app = format!("wfs-lost-{}", unique_schema());
    let (b, listener) = cached_store(server, &schema, 2, &app, &role);
    tokio::spawn(listener.run());
    let vault = vault();
    let scope = workspace("acme");
    let write = |marker: &str, expect: Expect| {
        a.write(WriteBatch::from(vec![put(
            record(&vault, &scope, "K", marker),
            expect,
        )]))
    };
    let read = || async {
        let found = b
            .find_sealed(std::slice::from_ref(&scope), &key("K"))
            .await
            .unwrap()
            .unwrap();
        let value = vault.unseal(&scope, &key("K"), 1, &found.sealed).unwrap();
        value.expose_secret().to_owned()
    };
    write("gen-1", Expect::Absent).await.unwrap();
    caught_up(&b, current_seq(server, &schema).await).await;
    assert_eq!(read().await, "gen-1");
    assert_eq!(read().await, "gen-1");
    let live = stats(&b);
    assert!(live.hits >= 1, "{live:?}");

    for (round, prune) in [(2, false), (4, true)] {
        set_login(server, &role, false).await;
        let listener_app = format!("{app}-listener");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while stats(&b).listening {
            kill(server, &listener_app).await;
            assert!(tokio::time::Instant::now() < deadline, "still listening");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let down = stats(&b);
        // Another instance rotates; nobody tells B.
        write(&format!("gen-{round}"), Expect::Revision(round - 1))
            .await
            .unwrap();
        for _ in 0..3 {
            assert_eq!(read().await, format!("gen-{round}"));
        }
        let after = stats(&b);
        assert!(!after.listening);
        assert_eq!(
            after.hits, down.hits,
            "served while not listening: {after:?}"
        );
        if prune {
            let admin = server.pool(1).get().await.unwrap();
            admin
                .batch_execute(&format!("DELETE FROM \"{schema}\".change_log"))
                .await
                .unwrap();
        }
        // B's pool still works (its connections were not killed), so B's own
        // reads above refilled nothing it could serve while down.
        set_login(server, &role, true).await;
        caught_up(&b, current_seq(server, &schema).await).await;
        assert!(stats(&b).subscriptions > down.subscriptions);
        assert_eq!(read().await, format!("gen-{round}"));
        assert_eq!(read().await, format!("gen-{round}"));
        assert!(stats(&b).hits > after.hits, "serves again: {:?}", stats(&b));
        // One more rotation through the live listener.
        write(&format!("gen-{}", round + 1), Expect::Revision(round))
            .await
            .unwrap();
        assert_eq!(read().await, format!("gen-{}", round + 1));
        // Cached (and served) before the next outage.
        caught_up(&b, current_seq(server, &schema).await).await;
        assert_eq!(read().await, format!("gen-{}", round + 1));
        let before = stats(&b);
        assert_eq!(read().await, format!("gen-{}", round + 1));
        assert_eq!(stats(&b).hits, before.hits + 1);
    }
}

/// Batch `n`: `R0`..`R3` at `gen-n`, whole or not at all.
fn generation(vault: &Vault, scope: &Scope, n: usize) -> WriteBatch {
    (0..4)
        .map(|i| {
            put(
                record(vault, scope, &format!("R{i}"), &format!("gen-{n}")),
                Expect::Any,
            )
        })
        .collect()
}

/// The generation every `R{i}` of a `get_many` answer holds (all equal: no
/// partial batch).
fn one_generation(
    vault: &Vault,
    scope: &Scope,
    many: &[Option<workflow_secrets::store::StoredSecret>],
) -> usize {
    let gens: Vec<String> = many
        .iter()
        .enumerate()
        .map(|(i, r)| open(vault, scope, &format!("R{i}"), r.as_ref().unwrap()))
        .collect();
    assert!(
        gens.iter().all(|g| *g == gens[0]),
        "a partial batch: {gens:?}"
    );
    gens[0].strip_prefix("gen-").unwrap().parse().unwrap()
}

/// Backends killed while instance A writes four-record batches and cached
/// instance B reads them (its pool and its listener killed too): only calls in
/// flight fail, B never sees a partial batch or a generation go back, and once
/// the kills stop B's cache answers what the database holds, from the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_backends_leave_no_partial_batch_and_no_stale_entry() {
    let Some(server) = server() else { return };
    let victim = format!("wfs-victim-{}", unique_schema());
    let a = server.fresh_store(server.pool_named(2, &victim)).await;
    let schema = a.schema().to_owned();
    let (b, listener) = cached_store(server, &schema, 2, &victim, "postgres");
    tokio::spawn(listener.run());
    let vault = vault();
    let scope = workspace("acme");
    a.write(generation(&vault, &scope, 1)).await.unwrap();
    caught_up(&b, current_seq(server, &schema).await).await;
    let keys: Vec<_> = (0..4).map(|i| key(&format!("R{i}"))).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (a, vault, scope, stop) = (a.clone(), vault.clone(), scope.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut n, mut failed) = (1, 0);
            while !stop.load(Ordering::Acquire) {
                match a.write(generation(&vault, &scope, n + 1)).await {
                    Ok(()) => n += 1,
                    Err(err) => {
                        assert_eq!(workflow_secrets::Error::from(err).code(), "store");
                        failed += 1;
                        // It may have committed: the next batch writes past it.
                        n += 1;
                    }
                }
            }
            failed
        })
    };
    let reader = {
        let (b, vault, scope, keys, stop) = (
            b.clone(),
            vault.clone(),
            scope.clone(),
            keys.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let (mut last, mut failed) = (0, 0);
            while !stop.load(Ordering::Acquire) {
                match b.get_many(std::slice::from_ref(&scope), &keys).await {
                    Ok(many) => {
                        let n = one_generation(&vault, &scope, &many);
                        assert!(n >= last, "generation went back: {last} then {n}");
                        last = n;
                    }
                    Err(err) => {
                        assert_eq!(workflow_secrets::Error::from(err).code(), "store");
                        failed += 1;
                    }
                }
            }
            failed
        })
    };
    let mut killed = 0;
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        killed += kill(server, &victim).await;
        killed += kill(server, &format!("{victim}-listener")).await;
    }
    stop.store(true, Ordering::Release);
    let (write_failed, read_failed) = (writer.await.unwrap(), reader.await.unwrap());
    eprintln!("killed {killed}: {write_failed} writes and {read_failed} reads failed");
    assert!(killed > 0);

    // Settled: B (cache caught up) answers what the database holds, from cache.
    let plain = PostgresStore::with_schema(server.pool(1), &schema).unwrap();
    let truth = plain
        .get_many(std::slice::from_ref(&scope), &keys)
        .await
        .unwrap();
    let want = one_generation(&vault, &scope, &truth);
    caught_up(&b, current_seq(server, &schema).await).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let before = stats(&b);
        let many = b.get_many(std::slice::from_ref(&scope), &keys).await;
        if let Ok(many) = many {
            assert_eq!(one_generation(&vault, &scope, &many), want, "a stale entry");
            if stats(&b).hits > before.hits {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never served from cache"
        );
    }
}

/// B's pool cannot connect (its role may not log in, its connections killed):
/// B's calls fail with a `store` error, nothing stale is served, and when the
/// role may log in again B recovers by itself and sees what A wrote meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_that_cannot_connect_fails_calls_and_recovers() {
    let Some(server) = server() else { return };
    let a = server.fresh_store(server.pool(2)).await;
    let schema = a.schema().to_owned();
    let role = login_role(server).await;
    let app = format!("wfs-nologin-{}", unique_schema());
    let (b, listener) = cached_store(server, &schema, 2, &app, &role);
    let b = b.with_wait_timeout(Duration::from_secs(5));
    tokio::spawn(listener.run());
    let vault = vault();
    let scope = workspace("acme");
    let write = |marker: &str, expect: Expect| {
        a.write(WriteBatch::from(vec![put(
            record(&vault, &scope, "K", marker),
            expect,
        )]))
    };
    let k = key("K");
    let read = || b.find_sealed(std::slice::from_ref(&scope), &k);
    let opened = |found: Option<workflow_secrets::store::FoundSealed>| {
        let found = found.unwrap();
        vault
            .unseal(&scope, &key("K"), 1, &found.sealed)
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    write("gen-1", Expect::Absent).await.unwrap();
    caught_up(&b, current_seq(server, &schema).await).await;
    assert_eq!(opened(read().await.unwrap()), "gen-1");
    assert_eq!(opened(read().await.unwrap()), "gen-1");

    set_login(server, &role, false).await;
    kill(server, &app).await;
    kill(server, &format!("{app}-listener")).await;
    write("gen-2", Expect::Revision(1)).await.unwrap();
    for _ in 0..3 {
        let err = read().await.expect_err("a pool that cannot connect");
        assert_eq!(workflow_secrets::Error::from(err).code(), "store");
    }
    set_login(server, &role, true).await;
    // The pool reconnects on the next call; the listener on its next attempt.
    assert_eq!(opened(read().await.unwrap()), "gen-2");
    caught_up(&b, current_seq(server, &schema).await).await;
    assert_eq!(opened(read().await.unwrap()), "gen-2");
    let before = stats(&b);
    assert_eq!(opened(read().await.unwrap()), "gen-2");
    assert!(stats(&b).hits > before.hits, "{:?}", stats(&b));
}

/// The log's rows above `floor` as (count, lowest, highest), and how many are at
/// or below it.
async fn log_rows(server: &Server, schema: &str, floor: i64) -> ((i64, i64, i64), i64) {
    let admin = server.pool(1).get().await.unwrap();
    let row = admin
        .query_one(
            &format!(
                "SELECT count(*) FILTER (WHERE seq > $1), min(seq) FILTER (WHERE seq > $1), \
                 max(seq), count(*) FILTER (WHERE seq <= $1) FROM \"{schema}\".change_log"
            ),
            &[&floor],
        )
        .await
        .unwrap();
    ((row.get(0), row.get(1), row.get(2)), row.get(3))
}

/// Every write, on every instance, keeps `change_log` to the last 10,000 changes:
/// the change that leaves the window is deleted by the write that pushes it
/// out (a one-operation write and a batch alike), and rows a skipped number left
/// behind (a counter raised by hand) go at the next sweep, every 1,024th change.
/// The log is bounded whatever the write rate, so a listener's catch-up is too.
#[tokio::test]
async fn writes_keep_the_change_log_to_its_window() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(1)).await;
    let schema = store.schema().to_owned();
    let admin = server.pool(1).get().await.unwrap();
    // A full window, 10,001..=20,000, and three rows below a skipped range
    // (1..=3): what a hand-raised counter leaves.
    let fill = |from: i64, to: i64| {
        format!(
            "INSERT INTO \"{schema}\".change_log (seq, workspaces, kinds, owners, keys) \
             SELECT g, ARRAY['acme'], ARRAY[2::int2], ARRAY[''], ARRAY['OLD'] \
             FROM generate_series({from}, {to}) g"
        )
    };
    admin
        .batch_execute(&format!(
            "{}; {}; UPDATE \"{schema}\".changes SET seq = 20000",
            fill(1, 3),
            fill(10_001, 20_000)
        ))
        .await
        .unwrap();
    let vault = vault();
    let scope = workspace("acme");
    store
        .write(WriteBatch::from(vec![put(
            record(&vault, &scope, "K", "gen-1"),
            Expect::Absent,
        )]))
        .await
        .unwrap();
    // Change 20,001 pushed 10,001 out (the leftovers may wait for a sweep).
    assert_eq!(
        log_rows(server, &schema, 3).await.0,
        (10_000, 10_002, 20_001)
    );

    // Up to 20,479 (a full window again), then a two-record batch: change
    // 20,480, a multiple of 1,024, sweeps.
    admin
        .batch_execute(&format!(
            "{}; UPDATE \"{schema}\".changes SET seq = 20479",
            fill(20_002, 20_479)
        ))
        .await
        .unwrap();
    store
        .write(WriteBatch::from(vec![
            put(record(&vault, &scope, "K", "gen-2"), Expect::Revision(1)),
            put(record(&vault, &scope, "L", "gen-1"), Expect::Absent),
        ]))
        .await
        .unwrap();
    assert_eq!(
        log_rows(server, &schema, 3).await,
        ((10_000, 10_481, 20_480), 0)
    );
}
