//! Faults an attack on the store found (issue 20 item 6), each kept as the test that
//! showed it (or proves it fixed): several connections opening one new file, a
//! refused file changed before its refusal, and a path taken as a URI.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::sync::{Arc, Barrier};
use std::thread;

use pollster::block_on;
use workflow_secrets::store::{Expect, SecretStore, WriteBatch};
use workflow_secrets::testing::fixtures::{key, marker, put, record, vault, workspace};
use workflow_secrets_sqlite::SqliteStore;

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wfs-sqlite-faults-")
        .tempdir()
        .unwrap()
}

/// Eight threads, each with its own connection, open one new file at the same
/// moment, over many rounds: every open succeeds (the WAL switch and the schema's
/// creation wait for each other instead of failing with "database is locked").
#[test]
fn connections_opening_one_new_file_at_once_all_succeed() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 40;
    let dir = temp_dir();
    for round in 0..ROUNDS {
        let path = dir.path().join(format!("new-{round}.db"));
        let barrier = Arc::new(Barrier::new(THREADS));
        let openers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    SqliteStore::open(&path).map(drop)
                })
            })
            .collect();
        for opener in openers {
            if let Err(err) = opener.join().unwrap() {
                panic!("round {round}: an open failed: {err}");
            }
        }
    }
}

/// A file whose schema a newer release wrote, in the rollback journal: the open
/// is refused, and the file is left byte for byte as it was (no switch to WAL,
/// no `-wal` file).
#[test]
fn a_refused_file_is_left_unchanged() {
    let dir = temp_dir();
    let path = dir.path().join("future.db");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TABLE workflow_secrets_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
         INSERT INTO workflow_secrets_schema VALUES (1, 99);",
    )
    .unwrap();
    drop(raw);
    let before = std::fs::read(&path).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("schema version"), "{err}");
    // Not `assert_eq!`: a failure would print every byte of the file.
    assert!(
        std::fs::read(&path).unwrap() == before,
        "the refused file changed"
    );
    assert!(!dir.path().join("future.db-wal").exists());
}

/// A relative path starting with `file:` is a file of that name, not a URI: not
/// `x.db`, and `?mode=memory` does not make it an in-memory database that loses
/// every write.
#[test]
fn a_path_starting_with_file_is_a_file_name() {
    let dir = temp_dir();
    // Only this test uses the working directory; the others use absolute paths.
    std::env::set_current_dir(dir.path()).unwrap();
    let vault = vault();
    let scope = workspace("acme");
    for name in ["file:x.db", "file:y.db?mode=memory"] {
        let store = SqliteStore::open(name).unwrap();
        block_on(store.write(WriteBatch::from(vec![put(
            record(&vault, &scope, "K", name),
            Expect::Absent,
        )])))
        .unwrap();
        drop(store);
        assert!(
            dir.path().join(name).is_file(),
            "{name}: no file of that name"
        );
        let again = SqliteStore::open(name).unwrap();
        assert_eq!(
            block_on(marker(&again, &scope, "K")),
            Some(name.to_owned()),
            "{name}: the write was lost"
        );
        assert!(block_on(again.get(&scope, &key("K"))).unwrap().is_some());
    }
    assert!(
        !dir.path().join("x.db").exists(),
        "the path was read as a URI"
    );
}
