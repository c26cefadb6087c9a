//! `SqliteStore` against the conformance suite, on disk and in memory, plus what
//! only a real file can show: durability, crashes, several connections, races.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use pollster::block_on;
use workflow_secrets::store::codec::ScopeColumns;
use workflow_secrets::testing::fixtures::{id, key, marker, open, put, record, vault, workspace};
use workflow_secrets::testing::{get_many_is_a_snapshot, store_conformance};
use workflow_secrets::{
    Scope, SecretValue, UserId, Vault, WorkflowId, WorkspaceId,
    store::{Expect, SecretStore, StoreError, StoredSecret, UsageMark, WriteBatch},
};
use workflow_secrets_sqlite::SqliteStore;

/// The schema version this release writes.
const CURRENT_SCHEMA: i64 = 5;

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wfs-sqlite-")
        .tempdir()
        .unwrap()
}

#[test]
fn file_backed_store_passes_the_conformance_suite() {
    let dir = temp_dir();
    let n = AtomicUsize::new(0);
    block_on(store_conformance(|| {
        let path = dir
            .path()
            .join(format!("case-{}.db", n.fetch_add(1, Ordering::Relaxed)));
        async move { SqliteStore::open(path).unwrap() }
    }));
    assert!(n.load(Ordering::Relaxed) >= 12, "a fresh file per case");
}

#[test]
fn in_memory_store_passes_the_conformance_suite() {
    block_on(store_conformance(|| async {
        SqliteStore::open_in_memory().unwrap()
    }));
}

#[test]
fn get_many_is_a_snapshot_on_disk_and_in_memory() {
    let dir = temp_dir();
    block_on(get_many_is_a_snapshot(
        &SqliteStore::open(dir.path().join("s.db")).unwrap(),
    ));
    block_on(get_many_is_a_snapshot(
        &SqliteStore::open_in_memory().unwrap(),
    ));
}

/// One OS thread rotates a client id and secret in batches while another reads
/// them with `get_many`: first through one shared store, then through two stores
/// (two connections) on one file, where only SQLite's snapshots keep the pair whole.
#[test]
fn get_many_is_a_snapshot_across_os_threads() {
    let dir = temp_dir();
    let path = dir.path().join("pair.db");
    let shared = Arc::new(SqliteStore::open(&path).unwrap());
    rotate_and_read(shared.clone(), shared);
    let writer = Arc::new(SqliteStore::open(&path).unwrap());
    let reader = Arc::new(SqliteStore::open(&path).unwrap());
    rotate_and_read(writer, reader);
}

fn rotate_and_read(writer: Arc<SqliteStore>, reader: Arc<SqliteStore>) {
    const ROTATIONS: usize = 300;
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
    block_on(writer.write(pair(&vault, &scopes[1], 0))).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let rotator = {
        let (done, scope) = (done.clone(), scopes[1].clone());
        thread::spawn(move || {
            for n in 1..=ROTATIONS {
                block_on(writer.write(pair(&vault, &scope, n))).unwrap();
            }
            done.store(true, Ordering::Release);
        })
    };
    let keys = [key("CLIENT_ID"), key("CLIENT_SECRET")];
    let mut reads = 0;
    let mut generations = std::collections::BTreeSet::new();
    while !done.load(Ordering::Acquire) {
        let got = block_on(reader.get_many(&scopes, &keys)).unwrap();
        let markers: Vec<String> = got
            .into_iter()
            .map(|r| r.unwrap().meta.display_name.unwrap())
            .collect();
        assert_eq!(markers[0], markers[1], "a pair straddled a rotation");
        generations.insert(markers[0].clone());
        reads += 1;
    }
    rotator.join().unwrap();
    assert!(reads > 0);
    eprintln!(
        "get_many across threads: {reads} reads saw {} generations",
        generations.len()
    );
}

#[test]
fn records_survive_drop_and_reopen() {
    let dir = temp_dir();
    let path = dir.path().join("durable.db");
    let vault = vault();
    let scopes = [
        workspace("acme"),
        Scope::personal(id("acme"), id("ada")),
        Scope::workflow(id("acme"), id("wf")),
    ];
    let mut written = Vec::new();
    {
        let store = SqliteStore::open(&path).unwrap();
        for (i, scope) in scopes.iter().enumerate() {
            let mut r = record(&vault, scope, "TOKEN", &format!("value-{i}"));
            r.meta.members.insert(
                UserId::new("bob").unwrap(),
                workflow_secrets::SecretRole::Admin,
            );
            r.meta.description = Some("with \"quotes\" and ü".into());
            r.meta.created_at = u64::MAX;
            block_on(store.write(WriteBatch::from(vec![put(r.clone(), Expect::Absent)]))).unwrap();
            r.meta.revision = 1;
            written.push(r);
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    for (scope, want) in scopes.iter().zip(&written) {
        let got = block_on(store.get(scope, &key("TOKEN"))).unwrap().unwrap();
        assert_eq!(&got, want, "the same record comes back");
        let value = vault
            .unseal(scope, &got.meta.key, got.meta.version, &got.sealed)
            .unwrap();
        assert_eq!(
            Some(value.expose_secret()),
            want.meta.display_name.as_deref()
        );
    }
    let mut listed = block_on(store.scopes(&id("acme"))).unwrap();
    listed.sort();
    let mut expected = scopes.to_vec();
    expected.sort();
    assert_eq!(listed, expected);
}

const CRASH_ENV: &str = "WORKFLOW_SECRETS_SQLITE_CRASH_DB";
const CRASH_RECORDS: usize = 8;

/// The child half of `a_killed_writer_leaves_whole_batches`: does nothing unless
/// the parent re-executes this test binary with `CRASH_ENV` set.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CRASH_ENV) else {
        return;
    };
    let store = SqliteStore::open(PathBuf::from(path)).unwrap();
    let vault = vault();
    let scope = workspace("acme");
    let started = Instant::now();
    // Go on from the last whole batch of an earlier child.
    let start = block_on(marker(&store, &scope, "R0")).map_or(0, |m| {
        m.strip_prefix("gen-")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0)
    });
    // Bounded, in case the parent dies before it kills us.
    for n in start + 1..=start + 100_000 {
        let mut batch: WriteBatch = (0..CRASH_RECORDS)
            .map(|i| {
                let r = record(&vault, &scope, &format!("R{i}"), &format!("gen-{n}"));
                put(r, Expect::Any)
            })
            .collect();
        batch.push(put(
            record(&vault, &scope, &format!("GEN_{n}"), "x"),
            Expect::Absent,
        ));
        block_on(store.write(batch)).unwrap();
        println!("committed {n}");
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
}

/// A child process writes multi-record batches in a loop and is killed with
/// SIGKILL mid-run: after reopening every batch is whole or absent, and the store
/// works.
#[test]
fn a_killed_writer_leaves_whole_batches() {
    let dir = temp_dir();
    let path = dir.path().join("crash.db");
    let mut before = 0;
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CRASH_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let want = before + 20 + round * 7;
        let mut seen = 0;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some((_, n)) = line.split_once("committed ") {
                seen = n.parse().unwrap();
                if seen >= want {
                    break;
                }
            }
        }
        assert!(seen >= want, "the child committed batches before the kill");
        thread::sleep(Duration::from_millis(3 + 5 * round as u64));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        before = check_whole_batches(&path, seen);
    }
}

/// Checks the file after a crash and returns the last whole generation.
fn check_whole_batches(path: &Path, acknowledged: usize) -> usize {
    let raw = rusqlite::Connection::open(path).unwrap();
    let check: String = raw
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(raw);
    let store = SqliteStore::open(path).unwrap();
    let scope = workspace("acme");
    let first = block_on(marker(&store, &scope, "R0")).unwrap();
    for i in 1..CRASH_RECORDS {
        assert_eq!(
            block_on(marker(&store, &scope, &format!("R{i}"))),
            Some(first.clone())
        );
    }
    let last: usize = first.strip_prefix("gen-").unwrap().parse().unwrap();
    assert!(
        last >= acknowledged,
        "an acknowledged batch was lost: {last} < {acknowledged}"
    );
    let listed = block_on(store.list(&scope)).unwrap();
    let generations = listed
        .iter()
        .filter(|m| m.key.as_str().starts_with("GEN_"))
        .count();
    assert_eq!(
        generations, last,
        "every batch up to the last is whole, none after"
    );
    assert!(block_on(marker(&store, &scope, &format!("GEN_{}", last + 1))).is_none());
    // The store still works: the next batch lands.
    let vault = vault();
    let batch: WriteBatch = (0..CRASH_RECORDS)
        .map(|i| {
            put(
                record(&vault, &scope, &format!("R{i}"), "after"),
                Expect::Any,
            )
        })
        .collect();
    block_on(store.write(batch)).unwrap();
    assert_eq!(
        block_on(marker(&store, &scope, "R7")).as_deref(),
        Some("after")
    );
    let batch: WriteBatch = (0..CRASH_RECORDS)
        .map(|i| {
            let r = record(&vault, &scope, &format!("R{i}"), &format!("gen-{last}"));
            put(r, Expect::Any)
        })
        .collect();
    block_on(store.write(batch)).unwrap();
    last
}

fn counter(vault: &Vault, scope: &Scope, count: u64) -> StoredSecret {
    record(vault, scope, "COUNTER", &count.to_string())
}

/// Two `SqliteStore`s on one file, 4 OS threads × 200 compare-and-swap increments:
/// the final revision is exact.
#[test]
fn two_stores_on_one_file_lose_no_increment() {
    const THREADS: usize = 4;
    const INCREMENTS: usize = 200;
    let dir = temp_dir();
    let path = dir.path().join("cas.db");
    let stores = [
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SqliteStore::open(&path).unwrap()),
    ];
    let vault = vault();
    let scope = workspace("acme");
    block_on(stores[0].write(WriteBatch::from(vec![put(
        counter(&vault, &scope, 0),
        Expect::Absent,
    )])))
    .unwrap();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, vault, scope) = (stores[t % 2].clone(), vault.clone(), scope.clone());
            thread::spawn(move || {
                let mut conflicts = 0;
                for _ in 0..INCREMENTS {
                    loop {
                        let current = block_on(store.get(&scope, &key("COUNTER")))
                            .unwrap()
                            .unwrap();
                        let count: u64 = current.meta.display_name.unwrap().parse().unwrap();
                        let op = put(
                            counter(&vault, &scope, count + 1),
                            Expect::Revision(current.meta.revision),
                        );
                        match block_on(store.write(WriteBatch::from(vec![op]))) {
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
    let conflicts: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let last = block_on(stores[1].get(&scope, &key("COUNTER")))
        .unwrap()
        .unwrap();
    let total = (THREADS * INCREMENTS) as u64;
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

/// Read-modify-write with compare-and-swap retries: the way `Secrets::set_details`
/// and `rewrap_all` write.
fn edit_until_it_lands(store: &SqliteStore, vault: &Vault, scope: &Scope, edit: Edit, n: usize) {
    loop {
        let mut current = block_on(store.get(scope, &key("SHARED"))).unwrap().unwrap();
        let expect = Expect::Revision(current.meta.revision);
        match edit {
            Edit::DisplayName => current.meta.display_name = Some(format!("name-{n}")),
            Edit::Description => current.meta.description = Some(format!("description-{n}")),
            Edit::Rewrap => {
                // A rewrite of the sealed bytes that keeps the metadata, as a
                // rewrap does (here the value marks which rewrite landed).
                let value = SecretValue::new(format!("rewrap-{n}")).unwrap();
                current.sealed = vault
                    .seal(scope, &current.meta.key, current.meta.version, &value)
                    .unwrap();
            }
        }
        match block_on(store.write(WriteBatch::from(vec![put(current, expect)]))) {
            Ok(()) => return,
            Err(StoreError::Conflict) => continue,
            Err(other) => panic!("{other}"),
        }
    }
}

/// A details edit racing a details edit, and both racing a rewrap, through two
/// stores on one file: no write is lost.
#[test]
fn racing_details_edits_and_rewrap_lose_nothing() {
    const EDITS: usize = 100;
    let dir = temp_dir();
    let path = dir.path().join("race.db");
    let vault = vault();
    let scope = workspace("acme");
    let first = SqliteStore::open(&path).unwrap();
    block_on(first.write(WriteBatch::from(vec![put(
        record(&vault, &scope, "SHARED", "v"),
        Expect::Absent,
    )])))
    .unwrap();
    drop(first);
    let threads: Vec<_> = [Edit::DisplayName, Edit::Description, Edit::Rewrap]
        .into_iter()
        .map(|edit| {
            let (path, vault, scope) = (path.clone(), vault.clone(), scope.clone());
            thread::spawn(move || {
                let store = SqliteStore::open(&path).unwrap();
                for n in 1..=EDITS {
                    edit_until_it_lands(&store, &vault, &scope, edit, n);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let last = block_on(store.get(&scope, &key("SHARED")))
        .unwrap()
        .unwrap();
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
/// round-trip through every method, and stay apart from their look-alikes.
#[test]
fn hostile_ids_round_trip() {
    let dir = temp_dir();
    let store = SqliteStore::open(dir.path().join("hostile.db")).unwrap();
    let vault = vault();
    let long = format!("{}'", "ü".repeat(127)); // 255 bytes
    let hostile = [
        "x'; DROP TABLE workflow_secrets; --",
        "\"double\" and 'single'",
        "100%_off\\ ",
        "%",
        "_",
        "\\",
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
            r.meta.members.insert(
                UserId::new(id).unwrap(),
                workflow_secrets::SecretRole::Member,
            );
            block_on(store.write(WriteBatch::from(vec![put(r.clone(), Expect::Absent)]))).unwrap();
            let got = block_on(store.get(scope, &key("K"))).unwrap().unwrap();
            r.meta.revision = 1;
            assert_eq!(got, r, "{id:?}");
            let listed = block_on(store.list(scope)).unwrap();
            assert_eq!(listed, vec![r.meta.clone()]);
        }
        let got = block_on(store.get_many(&scopes, &[key("K")])).unwrap();
        assert_eq!(got[0].as_ref().unwrap().meta.scope, scopes[0]);
        let mut found = block_on(store.scopes(&workspace)).unwrap();
        found.sort();
        let mut expected = scopes.to_vec();
        expected.sort();
        assert_eq!(found, expected, "{id:?}");
    }
}

/// No error message carries sealed bytes or a value: not a conflict, not an invalid
/// batch, not a backend failure in the middle of writing a record.
#[test]
fn errors_never_carry_sealed_bytes() {
    let dir = temp_dir();
    let path = dir.path().join("errors.db");
    let store = SqliteStore::open(&path).unwrap();
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
    block_on(store.write(WriteBatch::from(vec![put(r.clone(), Expect::Absent)]))).unwrap();
    let conflict =
        block_on(store.write(WriteBatch::from(vec![put(r.clone(), Expect::Absent)]))).unwrap_err();
    let invalid = block_on(store.write(WriteBatch::from(vec![
        put(r.clone(), Expect::Any),
        put(r.clone(), Expect::Any),
    ])))
    .unwrap_err();
    // A trigger makes the next write fail inside SQLite, mid-batch.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON workflow_secrets
         BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;",
    )
    .unwrap();
    let mut other = record(&vault, &scope, "OTHER", secret);
    other.meta.display_name = None;
    let backend =
        block_on(store.write(WriteBatch::from(vec![put(other, Expect::Any)]))).unwrap_err();
    assert!(matches!(backend, StoreError::Backend(_)), "{backend:?}");
    for err in [conflict, invalid, backend] {
        let code = workflow_secrets::Error::from(err);
        let mut text = format!("{code} {code:?}");
        let mut source = std::error::Error::source(&code);
        while let Some(s) = source {
            text.push_str(&format!(" {s} {s:?}"));
            source = s.source();
        }
        assert!(!text.contains(secret), "{text}");
        assert!(!text.contains(&sealed_hex), "{text}");
        assert!(!text.contains("sk-live"), "{text}");
    }
    assert!(
        block_on(marker(&store, &scope, "OTHER")).is_none(),
        "nothing written"
    );
}

#[test]
fn debug_names_the_file_only() {
    let dir = temp_dir();
    let path = dir.path().join("debug.db");
    let store = SqliteStore::open(&path).unwrap();
    let shown = format!("{store:?}");
    assert!(shown.starts_with("SqliteStore { path: "), "{shown}");
    assert!(shown.contains("debug.db"));
    let memory = format!("{:?}", SqliteStore::open_in_memory().unwrap());
    assert_eq!(memory, "SqliteStore { path: \":memory:\", .. }");
}

#[test]
fn a_file_from_a_newer_release_is_refused() {
    let dir = temp_dir();
    let path = dir.path().join("future.db");
    drop(SqliteStore::open(&path).unwrap());
    drop(SqliteStore::open(&path).unwrap()); // reopening is fine
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("UPDATE workflow_secrets_schema SET version = 99", [])
        .unwrap();
    drop(raw);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("schema version"), "{err}");
    let not_a_db = dir.path().join("garbage.db");
    std::fs::write(&not_a_db, b"this is not a database, not at all, no").unwrap();
    assert!(SqliteStore::open(&not_a_db).is_err());
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SqliteStore>();
}

/// The schema of release 0.1 (version 1), as it created a new file.
const SCHEMA_V1: &str = "
CREATE TABLE workflow_secrets_schema (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
CREATE TABLE workflow_secrets (
    workspace    TEXT    COLLATE BINARY NOT NULL,
    kind         INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
    owner        TEXT    COLLATE BINARY NOT NULL,
    key          TEXT    COLLATE BINARY NOT NULL,
    version      INTEGER NOT NULL,
    revision     INTEGER NOT NULL,
    display_name TEXT,
    description  TEXT,
    members      TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    updated_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    sealed       BLOB    NOT NULL,
    PRIMARY KEY (workspace, kind, owner, key)
) WITHOUT ROWID;
INSERT INTO workflow_secrets_schema (id, version) VALUES (1, 1);
";

/// A file written by schema version 1 opens, is upgraded in place (the key-first
/// index added, the version recorded), and answers every read as before.
#[test]
fn a_file_of_the_previous_schema_is_upgraded_in_place() {
    let dir = temp_dir();
    let path = dir.path().join("v1.db");
    let vault = vault();
    let acme: WorkspaceId = id("acme");
    let places = [
        Scope::workflow(acme.clone(), id("wf")),
        Scope::workspace(acme.clone()),
        Scope::personal(acme.clone(), id("ada")),
    ];
    {
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(SCHEMA_V1).unwrap();
        for (i, scope) in places.iter().enumerate() {
            let r = record(&vault, scope, "K", &format!("v1-{i}"));
            let columns = ScopeColumns::of(scope);
            raw.execute(
                "INSERT INTO workflow_secrets VALUES
                 (?1, ?2, ?3, 'K', 1, 7, ?4, NULL, '{}', 'suite-user', 'suite-user', 5, 6, ?5)",
                rusqlite::params![
                    columns.workspace,
                    i64::from(columns.kind),
                    columns.owner,
                    r.meta.display_name,
                    r.sealed.to_bytes()
                ],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    let version = |path: &Path| -> (i64, i64) {
        let raw = rusqlite::Connection::open(path).unwrap();
        let version = raw
            .query_row("SELECT version FROM workflow_secrets_schema", [], |r| {
                r.get(0)
            })
            .unwrap();
        let index = raw
            .query_row(
                "SELECT count(*) FROM sqlite_master
                 WHERE type = 'index' AND name = 'workflow_secrets_by_key'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (version, index)
    };
    assert_eq!(
        version(&path),
        (CURRENT_SCHEMA, 1),
        "upgraded to the current version, index added"
    );
    for (i, scope) in places.iter().enumerate() {
        let got = block_on(store.get(scope, &key("K"))).unwrap().unwrap();
        assert_eq!(got.meta.revision, 7, "rows kept as they were");
        assert_eq!(open(&vault, scope, "K", &got), format!("v1-{i}"));
        let found = block_on(store.find_sealed(&places[i..], &key("K")))
            .unwrap()
            .unwrap();
        assert_eq!(found.at, 0);
        let value = vault.unseal(scope, &key("K"), 1, &found.sealed).unwrap();
        assert_eq!(value.expose_secret(), format!("v1-{i}"));
    }
    drop(store);
    drop(SqliteStore::open(&path).unwrap());
    assert_eq!(
        version(&path),
        (CURRENT_SCHEMA, 1),
        "reopening changes nothing"
    );
}

/// What schema version 2 added to version 1.
const SCHEMA_V2: &str = "
CREATE UNIQUE INDEX workflow_secrets_by_key
    ON workflow_secrets (workspace, key, kind, owner);
UPDATE workflow_secrets_schema SET version = 2 WHERE id = 1;
";

/// Rows of an older file and the `value_changed_at` each must get:
/// (key, version, created_at, updated_at, value_changed_at). A record still at
/// version 1 never had its value changed: its creation's time, exactly, even when
/// its details were edited later. A rotated one gets `updated_at`, the latest the
/// value can have changed (an upper bound).
const OLD_ROWS: [(&str, i64, i64, i64, u64); 5] = [
    ("NEVER_ROTATED", 1, 100, 100, 100),
    ("EDITED_ONLY", 1, 100, 900, 100),
    ("ROTATED", 2, 100, 500, 500),
    ("ROTATED_TWICE", 3, 100, 700, 700),
    ("AT_THE_END", 2, 0, -1, u64::MAX),
];

/// A file of schema version 1 or 2 with [`OLD_ROWS`] opens at version 4, each row
/// with its `value_changed_at` filled as the rule says and nothing else changed;
/// the new column is then written and read like any other, and reopening changes
/// nothing.
#[test]
fn older_files_get_value_changed_at_from_their_rows() {
    let vault = vault();
    let scope = Scope::workspace(id("acme"));
    for from in [1, 2] {
        let dir = temp_dir();
        let path = dir.path().join(format!("v{from}.db"));
        {
            let raw = rusqlite::Connection::open(&path).unwrap();
            raw.execute_batch(SCHEMA_V1).unwrap();
            if from == 2 {
                raw.execute_batch(SCHEMA_V2).unwrap();
            }
            for (name, version, created, updated, _) in OLD_ROWS {
                let value = SecretValue::new(format!("{name}-value")).unwrap();
                let sealed = vault
                    .seal(&scope, &key(name), version.cast_unsigned(), &value)
                    .unwrap();
                raw.execute(
                    "INSERT INTO workflow_secrets VALUES
                     ('acme', 2, '', ?1, ?2, 4, NULL, NULL, '{}', 'ada', 'bob', ?3, ?4, ?5)",
                    rusqlite::params![name, version, created, updated, sealed.to_bytes()],
                )
                .unwrap();
            }
        }
        let schema_version = |path: &Path| -> i64 {
            let raw = rusqlite::Connection::open(path).unwrap();
            raw.query_row("SELECT version FROM workflow_secrets_schema", [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(schema_version(&path), from);
        let check = |store: &SqliteStore, when: &str| {
            let listed = block_on(store.list(&scope)).unwrap();
            assert_eq!(listed.len(), OLD_ROWS.len());
            for (name, version, created, updated, changed) in OLD_ROWS {
                let got = block_on(store.get(&scope, &key(name))).unwrap().unwrap();
                let meta = &got.meta;
                assert_eq!(
                    meta.value_changed_at, changed,
                    "from version {from}, {when}: {name}"
                );
                assert_eq!(
                    (
                        meta.version,
                        meta.revision,
                        meta.created_at,
                        meta.updated_at
                    ),
                    (
                        version.cast_unsigned(),
                        4,
                        created.cast_unsigned(),
                        updated.cast_unsigned()
                    ),
                    "from version {from}, {when}: {name} kept as it was"
                );
                assert_eq!(open(&vault, &scope, name, &got), format!("{name}-value"));
                assert!(listed.contains(meta), "{name}: list agrees");
            }
        };
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            schema_version(&path),
            CURRENT_SCHEMA,
            "from version {from}: upgraded"
        );
        check(&store, "after the upgrade");
        drop(store);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(schema_version(&path), CURRENT_SCHEMA);
        check(&store, "reopened");
        // The column is live: a rotation's time is written and read back.
        let mut rotated = block_on(store.get(&scope, &key("ROTATED")))
            .unwrap()
            .unwrap();
        rotated.meta.value_changed_at = 600;
        block_on(store.write(WriteBatch::from(vec![put(rotated, Expect::Revision(4))]))).unwrap();
        let read = block_on(store.get(&scope, &key("ROTATED")))
            .unwrap()
            .unwrap();
        assert_eq!(
            (read.meta.value_changed_at, read.meta.updated_at),
            (600, 500)
        );
    }
}

/// A file of schema version 4 (every record table, no usage table) opens at the
/// current version with its records as they were; usage is then recorded and read,
/// kept across a reopen, and a reopen changes nothing else.
#[test]
fn a_version_4_file_gains_usage_rows() {
    let dir = temp_dir();
    let path = dir.path().join("v3.db");
    let vault = vault();
    let scope = workspace("acme");
    {
        let store = SqliteStore::open(&path).unwrap();
        block_on(store.write(WriteBatch::from(vec![put(
            record(&vault, &scope, "API_KEY", "kept-value"),
            Expect::Absent,
        )])))
        .unwrap();
    }
    {
        // Version 5 only added the usage table: without it, this is a version 4 file.
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(
            "DROP TABLE workflow_secrets_usage;
             UPDATE workflow_secrets_schema SET version = 4 WHERE id = 1;",
        )
        .unwrap();
    }
    let tables = |path: &Path| -> (i64, i64) {
        let raw = rusqlite::Connection::open(path).unwrap();
        let version = raw
            .query_row("SELECT version FROM workflow_secrets_schema", [], |r| {
                r.get(0)
            })
            .unwrap();
        let usage = raw
            .query_row(
                "SELECT count(*) FROM sqlite_master
                 WHERE type = 'table' AND name = 'workflow_secrets_usage'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (version, usage)
    };
    assert_eq!(tables(&path), (4, 0));
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(tables(&path), (CURRENT_SCHEMA, 1), "upgraded, table added");
    let got = block_on(store.get(&scope, &key("API_KEY")))
        .unwrap()
        .unwrap();
    assert_eq!(open(&vault, &scope, "API_KEY", &got), "kept-value");
    let mark = UsageMark::new(scope.clone(), key("API_KEY"), id("wf"), 1_700_000_000_123);
    block_on(store.record_usage(&[mark])).unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        tables(&path),
        (CURRENT_SCHEMA, 1),
        "reopening changes nothing"
    );
    let usage = block_on(store.usage(&scope, &key("API_KEY"))).unwrap();
    assert_eq!(usage.len(), 1);
    assert_eq!(
        (usage[0].workflow.as_str(), usage[0].last_used_at),
        ("wf", 1_700_000_000_123),
        "usage survives a reopen"
    );
}
