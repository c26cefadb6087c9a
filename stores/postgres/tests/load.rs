//! Two instances under load (issue 20 item 3): two processes (this binary run
//! again as workers), each with its own pool and, in the second round, its own
//! cache, on one PostgreSQL schema, mixing resolutions, rotations and imports
//! over shared keys for a fixed time. The parent checks, from what the workers
//! recorded: no lost update, versions never go backwards for any reader, a pair
//! imported together is read together, and no resolution that started after a
//! rotation was acknowledged saw an older version. It prints throughput and
//! p50/p99 latency per operation, without and with the cache.
//!
//! Each round runs `WORKFLOW_SECRETS_LOAD_SECS` seconds (default 3).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::collections::HashMap;
use std::io::Write as _;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_postgres::NoTls;
use workflow_secrets::testing::fixtures::{id, key};
use workflow_secrets::{
    LocalKeyring, Scope, SecretKey, SecretValue, Vault,
    store::{Expect, SecretMeta, SecretStore, StoreError, StoredSecret, WriteBatch, WriteOp},
};
use workflow_secrets_postgres::{CacheConfig, PostgresStore};

use support::server;

const SECS_VAR: &str = "WORKFLOW_SECRETS_LOAD_SECS";
const WORKER_VAR: &str = "WORKFLOW_SECRETS_LOAD_WORKER";
const SCHEMA_VAR: &str = "WORKFLOW_SECRETS_LOAD_SCHEMA";
const CACHED_VAR: &str = "WORKFLOW_SECRETS_LOAD_CACHED";
const OUT_VAR: &str = "WORKFLOW_SECRETS_LOAD_OUT";
const KEK_VAR: &str = "WORKFLOW_SECRETS_LOAD_KEK";

/// Keys rotated one at a time.
const KEYS: usize = 4;
/// Pairs imported together (`ID_j`, `SECRET_j`).
const PAIRS: usize = 2;
/// Tasks per worker process.
const TASKS: usize = 2;

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn scopes() -> [Scope; 3] {
    let acme = id("acme");
    [
        Scope::workflow(id::<workflow_secrets::WorkspaceId>("acme"), id("wf")),
        Scope::workspace(acme),
        Scope::personal(id("acme"), id("ada")),
    ]
}

/// The record of `key` at `version`, whose value names the version.
fn at_version(vault: &Vault, key: &SecretKey, version: u64, revision: u64) -> StoredSecret {
    let scope = &scopes()[1];
    let value = SecretValue::new(format!("v{version}")).unwrap();
    let sealed = vault.seal(scope, key, version, &value).unwrap();
    let mut meta = SecretMeta::new(scope.clone(), key.clone(), id("ada"), 0);
    meta.version = version;
    meta.revision = revision;
    StoredSecret { meta, sealed }
}

/// A vault every process opens alike: the parent hands its key over.
fn shared_vault(kek: &str) -> Vault {
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&kek[2 * i..2 * i + 2], 16).unwrap();
    }
    let keyring = LocalKeyring::from_key(
        workflow_secrets::crypto::KeyId::from(1),
        workflow_secrets::crypto::Zeroizing::new(bytes),
    );
    Vault::new(keyring)
}

/// The worker half: does nothing unless run by `two_instances_under_load`.
#[test]
fn load_worker() {
    let Ok(worker) = std::env::var(WORKER_VAR) else {
        return;
    };
    let worker: u64 = worker.parse().unwrap();
    let schema = std::env::var(SCHEMA_VAR).unwrap();
    let cached = std::env::var(CACHED_VAR).is_ok_and(|v| v == "1");
    let secs: f64 = std::env::var(SECS_VAR).unwrap().parse().unwrap();
    let out = std::env::var(OUT_VAR).unwrap();
    let vault = shared_vault(&std::env::var(KEK_VAR).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let lines = rt.block_on(async move {
        let server = server().unwrap();
        let store = PostgresStore::with_schema(server.pool(TASKS + 1), &schema).unwrap();
        let store = if cached {
            let (store, listener) =
                store.with_cache(CacheConfig::new(), server.config().clone(), NoTls);
            tokio::spawn(listener.run());
            let deadline = Instant::now() + Duration::from_secs(60);
            while !store.cache_stats().unwrap().listening {
                assert!(Instant::now() < deadline, "the listener never subscribed");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            store
        } else {
            store
        };
        let end = Instant::now() + Duration::from_secs_f64(secs);
        let tasks: Vec<_> = (0..TASKS as u64)
            .map(|t| {
                let (store, vault) = (store.clone(), vault.clone());
                tokio::spawn(run_task(store, vault, worker * 100 + t, end))
            })
            .collect();
        let mut lines = Vec::new();
        for task in tasks {
            lines.extend(task.await.unwrap());
        }
        if let Some(stats) = store.cache_stats() {
            lines.push(format!(
                "cache {} {} {}",
                stats.hits, stats.misses, stats.behind
            ));
        }
        lines
    });
    let mut file = std::fs::File::create(out).unwrap();
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
}

/// One task's loop; each line is an observation (times in ns since the epoch).
async fn run_task(store: PostgresStore, vault: Vault, reader: u64, end: Instant) -> Vec<String> {
    let scopes = scopes();
    let scope = &scopes[1];
    let mut lines = Vec::new();
    let mut rng = reader.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    while Instant::now() < end {
        // xorshift: a fixed mix per task, no dependency.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let dice = rng % 100;
        let k = (rng >> 8) as usize % KEYS;
        let j = (rng >> 16) as usize % PAIRS;
        if dice < 70 {
            let name = key(&format!("K{k}"));
            let start = now_ns();
            let found = store.find_sealed(&scopes, &name).await.unwrap().unwrap();
            let stop = now_ns();
            let value = vault
                .unseal(&scopes[found.at], &name, found.version, &found.sealed)
                .unwrap();
            assert_eq!(value.expose_secret(), format!("v{}", found.version));
            lines.push(format!("R {reader} K{k} {start} {stop} {}", found.version));
        } else if dice < 80 {
            let names = [key(&format!("ID{j}")), key(&format!("SECRET{j}"))];
            let start = now_ns();
            let many = store.get_many(&scopes, &names).await.unwrap();
            let stop = now_ns();
            let v: Vec<u64> = many
                .iter()
                .map(|r| r.as_ref().unwrap().meta.version)
                .collect();
            lines.push(format!("M {reader} P{j} {start} {stop} {} {}", v[0], v[1]));
        } else if dice < 95 {
            let name = key(&format!("K{k}"));
            let start = now_ns();
            let version = loop {
                let current = store.get(scope, &name).await.unwrap().unwrap();
                let next = at_version(&vault, &name, current.meta.version + 1, 0);
                let batch = WriteBatch::from(vec![WriteOp::Put {
                    record: next,
                    expect: Expect::Revision(current.meta.revision),
                }]);
                match store.write(batch).await {
                    Ok(()) => break current.meta.version + 1,
                    Err(StoreError::Conflict) => {}
                    Err(other) => panic!("rotate: {other}"),
                }
            };
            let stop = now_ns();
            lines.push(format!("W {reader} K{k} {start} {stop} {version}"));
        } else {
            let names = [key(&format!("ID{j}")), key(&format!("SECRET{j}"))];
            let start = now_ns();
            let version = loop {
                let current = store
                    .get_many(std::slice::from_ref(scope), &names)
                    .await
                    .unwrap();
                let current: Vec<&StoredSecret> =
                    current.iter().map(|r| r.as_ref().unwrap()).collect();
                assert_eq!(current[0].meta.version, current[1].meta.version);
                let next = current[0].meta.version + 1;
                let batch: WriteBatch = names
                    .iter()
                    .zip(&current)
                    .map(|(name, cur)| WriteOp::Put {
                        record: at_version(&vault, name, next, 0),
                        expect: Expect::Revision(cur.meta.revision),
                    })
                    .collect();
                match store.write(batch).await {
                    Ok(()) => break next,
                    Err(StoreError::Conflict) => {}
                    Err(other) => panic!("import: {other}"),
                }
            };
            let stop = now_ns();
            lines.push(format!("I {reader} P{j} {start} {stop} {version}"));
        }
    }
    lines
}

/// One observation.
struct Seen {
    op: char,
    reader: u64,
    name: String,
    start: u128,
    stop: u128,
    versions: Vec<u64>,
}

fn parse(line: &str) -> Option<Seen> {
    let mut parts = line.split(' ');
    let op = parts.next()?.chars().next()?;
    if op == 'c' {
        return None;
    }
    Some(Seen {
        op,
        reader: parts.next()?.parse().ok()?,
        name: parts.next()?.to_owned(),
        start: parts.next()?.parse().ok()?,
        stop: parts.next()?.parse().ok()?,
        versions: parts.map(|p| p.parse().unwrap()).collect(),
    })
}

fn percentile(sorted: &[u128], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at] as f64 / 1_000.0
}

/// Checks a round's observations; returns its report.
fn check(seen: &[Seen], finals: &HashMap<String, u64>, secs: f64) -> String {
    // No lost update: each name's final version is 1 + its acknowledged writes
    // (every write raises it by exactly one, revision-checked).
    for (name, last) in finals {
        let writes = seen
            .iter()
            .filter(|s| (s.op == 'W' || s.op == 'I') && s.name == *name)
            .count() as u64;
        assert_eq!(*last, 1 + writes, "{name}: a lost update");
    }
    // Per reader (one sequential task), versions never go back.
    let mut last: HashMap<(u64, &str), u64> = HashMap::new();
    let mut by_reader: Vec<&Seen> = seen.iter().collect();
    by_reader.sort_by_key(|s| (s.reader, s.start));
    for s in &by_reader {
        let v = *s.versions.iter().min().unwrap();
        if s.op == 'M' {
            assert_eq!(s.versions[0], s.versions[1], "a pair straddled an import");
        }
        let seen_before = last.entry((s.reader, s.name.as_str())).or_insert(0);
        assert!(
            v >= *seen_before,
            "{}: version went back for reader {}",
            s.name,
            s.reader
        );
        *seen_before = v;
    }
    // The rotation rule: a read that started after a write was acknowledged (so
    // after it committed), by either process, sees its version or a later one.
    let mut writes: HashMap<&str, Vec<(u128, u64)>> = HashMap::new();
    for s in seen.iter().filter(|s| s.op == 'W' || s.op == 'I') {
        writes
            .entry(&s.name)
            .or_default()
            .push((s.stop, s.versions[0]));
    }
    for list in writes.values_mut() {
        list.sort_unstable();
        let mut max = 0;
        for w in list.iter_mut() {
            max = max.max(w.1);
            w.1 = max;
        }
    }
    let mut violations = 0;
    for s in seen.iter().filter(|s| s.op == 'R' || s.op == 'M') {
        let Some(list) = writes.get(s.name.as_str()) else {
            continue;
        };
        let before = list.partition_point(|(ack, _)| *ack < s.start);
        if before > 0 && *s.versions.iter().min().unwrap() < list[before - 1].1 {
            violations += 1;
        }
    }
    assert_eq!(
        violations, 0,
        "reads that started after a rotation saw the older value"
    );
    let mut report = String::new();
    for (op, label) in [
        ('R', "resolve"),
        ('M', "get_many pair"),
        ('W', "rotate"),
        ('I', "import pair"),
    ] {
        let mut lat: Vec<u128> = seen
            .iter()
            .filter(|s| s.op == op)
            .map(|s| s.stop - s.start)
            .collect();
        lat.sort_unstable();
        report.push_str(&format!(
            "  {label:>14}: {:>8.0}/s  p50 {:>8.1} us  p99 {:>8.1} us  (n = {})\n",
            lat.len() as f64 / secs,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat.len()
        ));
    }
    report
}

/// Two worker processes, uncached then cached, each round on a fresh schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_under_load() {
    let Some(server) = server() else { return };
    let secs: f64 = std::env::var(SECS_VAR)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let kek: String = (0..32)
        .map(|i| format!("{:02x}", (i * 37 + 11) % 256))
        .collect();
    let vault = shared_vault(&kek);
    let mut reports = Vec::new();
    for cached in [false, true] {
        let store = server.fresh_store(server.pool(2)).await;
        let mut names: Vec<SecretKey> = (0..KEYS).map(|k| key(&format!("K{k}"))).collect();
        for j in 0..PAIRS {
            names.push(key(&format!("ID{j}")));
            names.push(key(&format!("SECRET{j}")));
        }
        let seed: WriteBatch = names
            .iter()
            .map(|name| WriteOp::Put {
                record: at_version(&vault, name, 1, 0),
                expect: Expect::Absent,
            })
            .collect();
        store.write(seed).await.unwrap();
        let dir = std::env::temp_dir();
        let outs: Vec<_> = (0..2)
            .map(|w| dir.join(format!("{}-load-{w}.txt", store.schema())))
            .collect();
        let children: Vec<_> = outs
            .iter()
            .enumerate()
            .map(|(w, out)| {
                Command::new(std::env::current_exe().unwrap())
                    .args(["--exact", "load_worker", "--nocapture", "--test-threads=1"])
                    .env(support::URL_VAR, &server.url)
                    .env(WORKER_VAR, (w + 1).to_string())
                    .env(SCHEMA_VAR, store.schema())
                    .env(CACHED_VAR, if cached { "1" } else { "0" })
                    .env(SECS_VAR, secs.to_string())
                    .env(KEK_VAR, &kek)
                    .env(OUT_VAR, out)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
                .await
                .unwrap();
            assert!(status.success(), "a worker failed");
        }
        let mut seen = Vec::new();
        let mut cache_lines = Vec::new();
        for out in &outs {
            let text = std::fs::read_to_string(out).unwrap();
            let _ = std::fs::remove_file(out);
            for line in text.lines() {
                match parse(line) {
                    Some(s) => seen.push(s),
                    None => cache_lines.push(line.to_owned()),
                }
            }
        }
        let mut finals = HashMap::new();
        let version = |name: String| {
            let store = store.clone();
            async move {
                let record = store.get(&scopes()[1], &key(&name)).await.unwrap();
                record.unwrap().meta.version
            }
        };
        for k in 0..KEYS {
            finals.insert(format!("K{k}"), version(format!("K{k}")).await);
        }
        for j in 0..PAIRS {
            let id = version(format!("ID{j}")).await;
            assert_eq!(id, version(format!("SECRET{j}")).await, "a pair split");
            finals.insert(format!("P{j}"), id);
        }
        assert!(seen.iter().any(|s| s.op == 'W'), "no rotation ran");
        let report = check(&seen, &finals, secs);
        let label = if cached {
            "with cache"
        } else {
            "without cache"
        };
        reports.push(format!(
            "{label} ({secs} s, 2 processes x {TASKS} tasks):\n{report}  {}",
            cache_lines.join("; ")
        ));
    }
    let _ = writeln!(std::io::stderr(), "\n{}", reports.join("\n"));
}
