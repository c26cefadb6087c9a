//! `SqliteStore` against its floor, raw rusqlite on the same file, in one run.
//!
//! - `get`: one record among 10,000, against a raw prepared point `SELECT` of the
//!   same row and columns (goal: within 1.3x).
//! - `get_first_3_scopes`: the worst case of a resolution's read (the value only in
//!   the third, personal scope), one read transaction, against the same raw point
//!   `SELECT` (the floor of a resolution's store read).
//! - `find_sealed_3_scopes`: what a resolution reads (the same worst case), one
//!   search of the key-first index, against the same raw point `SELECT`.
//! - `resolve_personal`: a worst-case `Resolver::resolve` (the value only in the
//!   personal scope) against one raw point `SELECT` plus the envelope-unseal floor of
//!   the core crate's `benches/resolve.rs` (goal: within 1.5x).
//!
//! Run: `cargo bench -p workflow-secrets-sqlite -- --warm-up-time 1 --measurement-time 3`
//!
//! Instructions instead of time (the machine may be busy): with
//! `WORKFLOW_SECRETS_BENCH_CALLGRIND=<n>` the bench runs only `n` rounds of
//! `callgrind_floor` (raw select plus unseal) and `callgrind_resolve`, for
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*callgrind_*'`;
//! `callgrind_annotate --inclusive=yes` then gives each loop's instruction count.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench: a panic is the failure report

#[path = "../../../benches/support/floor.rs"]
mod floor;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use workflow_secrets::{
    LocalKeyring, Resolver, RunContext, Scope, SecretKey, SecretValue, UserId, Vault, WorkflowId,
    WorkspaceId,
    store::{Expect, SecretMeta, SecretStore, StoredSecret, WriteBatch, WriteOp},
};
use workflow_secrets_sqlite::SqliteStore;

const RECORDS: usize = 10_000;

const RAW_SELECT: &str = "SELECT version, revision, display_name, description, members,
        created_by, updated_by, created_at, updated_at, value_changed_at, sealed
    FROM workflow_secrets WHERE workspace = ?1 AND kind = ?2 AND owner = ?3 AND key = ?4";

/// The row as the raw driver reads it: every column, owned.
type RawRow = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Vec<u8>,
);

fn record(vault: &Vault, scope: &Scope, key: &str) -> StoredSecret {
    let key = SecretKey::new(key).unwrap();
    let value = SecretValue::new("v".repeat(64)).unwrap();
    let sealed = vault.seal(scope, &key, 1, &value).unwrap();
    let mut meta = SecretMeta::new(scope.clone(), key, UserId::new("ada").unwrap(), 0);
    meta.display_name = Some("Bench key".into());
    StoredSecret { meta, sealed }
}

/// Runs `floor` and `ours` alternately `rounds` times and prints the median of each
/// and their ratio: on a shared machine, load that comes and goes hits both alike,
/// where criterion's groups, one after the other, can catch a burst in one only.
fn interleaved<A, B>(
    name: &str,
    rounds: usize,
    mut floor: impl FnMut() -> A,
    mut ours: impl FnMut() -> B,
) {
    let (mut a, mut b) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        black_box(floor());
        a.push(t.elapsed());
        let t = std::time::Instant::now();
        black_box(ours());
        b.push(t.elapsed());
    }
    a.sort();
    b.sort();
    let (a, b) = (a[rounds / 2], b[rounds / 2]);
    eprintln!(
        "interleaved {name}: floor {a:?}, store {b:?}, ratio {:.2}x",
        b.as_secs_f64() / a.as_secs_f64()
    );
}

/// The rounds `WORKFLOW_SECRETS_BENCH_CALLGRIND` asks for, if set.
fn callgrind_rounds() -> Option<usize> {
    std::env::var("WORKFLOW_SECRETS_BENCH_CALLGRIND")
        .ok()
        .map(|n| n.parse().expect("a number of rounds"))
}

/// `rounds` raw selects plus unseals: a function of its own, for callgrind to count.
#[inline(never)]
fn callgrind_floor<T>(rounds: usize, floor_read: &mut impl FnMut() -> T) {
    for _ in 0..rounds {
        black_box(floor_read());
    }
}

/// `rounds` resolutions: a function of its own, for callgrind to count.
#[inline(never)]
fn callgrind_resolve<T>(rounds: usize, resolve: &impl Fn() -> T) {
    for _ in 0..rounds {
        black_box(resolve());
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::Builder::new()
        .prefix("wfs-sqlite-bench-")
        .tempdir()
        .unwrap();
    let path = dir.path().join("bench.db");
    let store = SqliteStore::open(&path).unwrap();
    let vault = Vault::new(LocalKeyring::generate());
    let acme = WorkspaceId::new("acme").unwrap();
    let workspace = Scope::workspace(acme.clone());
    let personal = Scope::personal(acme.clone(), UserId::new("ada").unwrap());
    let workflow = Scope::workflow(acme.clone(), WorkflowId::new("wf").unwrap());
    for chunk in (0..RECORDS).collect::<Vec<_>>().chunks(1_000) {
        let batch: WriteBatch = chunk
            .iter()
            .map(|i| WriteOp::Put {
                record: record(&vault, &workspace, &format!("KEY_{i:05}")),
                expect: Expect::Absent,
            })
            .collect();
        pollster::block_on(store.write(batch)).unwrap();
    }
    let only_personal = WriteOp::Put {
        record: record(&vault, &personal, "PERSONAL_ONLY"),
        expect: Expect::Absent,
    };
    pollster::block_on(store.write(WriteBatch::from(vec![only_personal]))).unwrap();

    let raw = rusqlite::Connection::open(&path).unwrap();
    let target = SecretKey::new(format!("KEY_{:05}", RECORDS / 2)).unwrap();
    let mut raw_select = raw.prepare(RAW_SELECT).unwrap();
    let raw_get = |stmt: &mut rusqlite::Statement<'_>, kind: i64, owner: &str, key: &str| {
        stmt.query_row(rusqlite::params!["acme", kind, owner, key], |r| {
            Ok::<RawRow, _>((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
            ))
        })
        .unwrap()
    };

    if let Some(rounds) = callgrind_rounds() {
        // The resolution bench's two loops only, nothing timed.
        let floor = floor::Floor::new(floor::personal_aad_len("acme", "ada", "PERSONAL_ONLY"));
        let resolver = Resolver::new(vault.clone(), &store);
        let ada = UserId::new("ada").unwrap();
        let ctx = RunContext::manual(acme, WorkflowId::new("wf").unwrap(), ada.clone(), ada);
        let key = SecretKey::new("PERSONAL_ONLY").unwrap();
        callgrind_floor(rounds, &mut || {
            black_box(raw_get(&mut raw_select, 3, "ada", "PERSONAL_ONLY"));
            floor.unseal()
        });
        callgrind_resolve(rounds, &|| {
            pollster::block_on(resolver.resolve(&ctx, &key)).unwrap()
        });
        return;
    }
    interleaved(
        "get 1 of 10,000 vs raw select",
        20_000,
        || raw_get(&mut raw_select, 2, "", target.as_str()),
        || pollster::block_on(store.get(&workspace, &target)).unwrap(),
    );
    let mut group = c.benchmark_group("sqlite_get_1_of_10000");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_rusqlite_prepared_select", |b| {
        b.iter(|| black_box(raw_get(&mut raw_select, 2, "", black_box(target.as_str()))))
    });
    group.bench_function("SqliteStore::get", |b| {
        b.iter(|| {
            let found = pollster::block_on(store.get(black_box(&workspace), black_box(&target)));
            black_box(found.unwrap().unwrap())
        })
    });
    group.finish();

    let order = [workflow, workspace, personal];
    let personal_key = SecretKey::new("PERSONAL_ONLY").unwrap();
    interleaved(
        "get_first 3 scopes (personal) vs raw select",
        20_000,
        || raw_get(&mut raw_select, 3, "ada", "PERSONAL_ONLY"),
        || pollster::block_on(store.get_first(&order, &personal_key)).unwrap(),
    );
    let mut group = c.benchmark_group("sqlite_get_first_3_scopes_worst_case");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_rusqlite_prepared_select", |b| {
        b.iter(|| black_box(raw_get(&mut raw_select, 3, "ada", "PERSONAL_ONLY")))
    });
    group.bench_function("SqliteStore::get_first", |b| {
        b.iter(|| {
            let found =
                pollster::block_on(store.get_first(black_box(&order), black_box(&personal_key)));
            black_box(found.unwrap().unwrap())
        })
    });
    group.finish();

    interleaved(
        "find_sealed 3 scopes (personal) vs raw select",
        20_000,
        || raw_get(&mut raw_select, 3, "ada", "PERSONAL_ONLY"),
        || pollster::block_on(store.find_sealed(&order, &personal_key)).unwrap(),
    );
    let mut group = c.benchmark_group("sqlite_find_sealed_3_scopes_worst_case");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_rusqlite_prepared_select", |b| {
        b.iter(|| black_box(raw_get(&mut raw_select, 3, "ada", "PERSONAL_ONLY")))
    });
    group.bench_function("SqliteStore::find_sealed", |b| {
        b.iter(|| {
            let found =
                pollster::block_on(store.find_sealed(black_box(&order), black_box(&personal_key)));
            black_box(found.unwrap().unwrap())
        })
    });
    group.finish();

    let floor = floor::Floor::new(floor::personal_aad_len("acme", "ada", "PERSONAL_ONLY"));
    let resolver = Resolver::new(vault.clone(), &store);
    let ada = UserId::new("ada").unwrap();
    let ctx = RunContext::manual(acme, WorkflowId::new("wf").unwrap(), ada.clone(), ada);
    let resolve = || pollster::block_on(resolver.resolve(&ctx, &personal_key)).unwrap();
    let mut floor_read = || {
        black_box(raw_get(&mut raw_select, 3, "ada", "PERSONAL_ONLY"));
        floor.unseal()
    };

    interleaved(
        "resolve (personal) vs raw select + unseal floor",
        20_000,
        &mut floor_read,
        resolve,
    );
    let mut group = c.benchmark_group("sqlite_resolve_personal_worst_case");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_select_plus_unseal_floor", |b| {
        b.iter(|| black_box(floor_read()))
    });
    group.bench_function("Resolver::resolve", |b| b.iter(|| black_box(resolve())));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
