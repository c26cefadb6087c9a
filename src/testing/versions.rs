//! The conformance suite's behaviours for kept versions ([`WriteOp::Keep`],
//! [`SecretStore::versions`]).

use super::fixtures::{CREATED_AT, CREATED_BY, id, key, record, vault, workspace};
use crate::crypto::RecordRole;
use crate::store::{
    Expect, KeptVersion, SecretStore, StoreError, StoredSecret, VersionMeta, VersionReason,
    WriteBatch, WriteOp,
};
use crate::{Scope, SecretValue, Vault, WorkspaceId};

/// Version `version` of `k` in `scope`, sealed for the history slot with the
/// value `marker`, written at `CREATED_AT + version`.
fn kept(f: &Vault, scope: &Scope, k: &str, version: u64, marker: &str) -> KeptVersion {
    let value = SecretValue::new(marker).expect("a value");
    let sealed = f
        .seal_for(RecordRole::History, scope, &key(k), version, &value)
        .expect("sealing succeeds");
    let mut meta = VersionMeta::new(
        scope.clone(),
        key(k),
        version,
        id(CREATED_BY),
        CREATED_AT + version,
        if version == 1 {
            VersionReason::Create
        } else {
            VersionReason::Rotate
        },
    );
    if version == 4 {
        meta.reason = VersionReason::Restore;
        meta.restored_from = Some(2);
    }
    KeptVersion { meta, sealed }
}

/// The record of `k` at `version` (its value `marker`), for a `Put`.
fn current(f: &Vault, scope: &Scope, k: &str, version: u64, marker: &str) -> StoredSecret {
    let mut written = record(f, scope, k, marker);
    written.meta.version = version;
    written.sealed = f
        .seal(
            scope,
            &key(k),
            version,
            &SecretValue::new(marker).expect("a value"),
        )
        .expect("sealing succeeds");
    written
}

/// Writes version `version` of `k` as a rotation does: the record and its kept
/// copy in one batch, expecting the record at `expect`.
async fn write_version<S: SecretStore>(
    store: &S,
    f: &Vault,
    scope: &Scope,
    k: &str,
    version: u64,
    keep: usize,
    expect: Expect,
) -> Result<(), StoreError> {
    let marker = format!("{k}-v{version}");
    store
        .write(WriteBatch::from(vec![
            WriteOp::Put {
                record: current(f, scope, k, version, &marker),
                expect,
            },
            WriteOp::Keep {
                version: kept(f, scope, k, version, &marker),
                keep,
                expect,
            },
        ]))
        .await
}

/// The versions of `k`, as (version, plaintext opened in the history slot).
async fn versions_of<S: SecretStore>(
    store: &S,
    f: &Vault,
    scope: &Scope,
    k: &str,
) -> Vec<(u64, String)> {
    let found = store
        .versions(scope, &key(k))
        .await
        .expect("versions succeeds");
    found
        .iter()
        .map(|v| {
            assert!(
                v.meta.scope == *scope && v.meta.key == key(k),
                "versions: the store answered {k} in the {scope} with a version of {} in the {}",
                v.meta.key,
                v.meta.scope
            );
            let value = f
                .unseal_for(
                    RecordRole::History,
                    scope,
                    &key(k),
                    v.meta.version,
                    &v.sealed,
                )
                .expect("a kept version opens in the history slot");
            (v.meta.version, value.expose_secret().to_owned())
        })
        .collect()
}

fn pairs(k: &str, versions: &[u64]) -> Vec<(u64, String)> {
    versions.iter().map(|v| (*v, format!("{k}-v{v}"))).collect()
}

/// Kept versions come back highest first, with their metadata and sealed bytes as
/// written, and open in the history slot; a key with none answers none.
pub async fn versions_round_trip<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    assert!(
        store.versions(&scope, &key("K")).await.unwrap().is_empty(),
        "versions_round_trip: none for an absent key"
    );
    for version in 1..=4 {
        let expect = if version == 1 {
            Expect::Absent
        } else {
            Expect::Revision(version - 1)
        };
        write_version(store, &f, &scope, "K", version, 10, expect)
            .await
            .expect("versions_round_trip: write");
    }
    let found = store.versions(&scope, &key("K")).await.unwrap();
    let metas: Vec<&VersionMeta> = found.iter().map(|v| &v.meta).collect();
    let want: Vec<VersionMeta> = (1..=4)
        .rev()
        .map(|v| kept(&f, &scope, "K", v, "x").meta)
        .collect();
    assert_eq!(
        metas,
        want.iter().collect::<Vec<_>>(),
        "versions_round_trip: metadata"
    );
    assert_eq!(
        versions_of(store, &f, &scope, "K").await,
        pairs("K", &[4, 3, 2, 1]),
        "versions_round_trip: values"
    );
}

/// A `Keep` leaves only the `keep` highest versions; one of a number already kept
/// replaces it (a re-wrap), and keeps the others.
pub async fn versions_keep_only_the_newest<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    for version in 1..=5 {
        let expect = if version == 1 {
            Expect::Absent
        } else {
            Expect::Revision(version - 1)
        };
        write_version(store, &f, &scope, "K", version, 3, expect)
            .await
            .expect("versions_keep_only_the_newest: write");
    }
    assert_eq!(
        versions_of(store, &f, &scope, "K").await,
        pairs("K", &[5, 4, 3]),
        "versions_keep_only_the_newest: three kept"
    );
    // Version 4 again, alone, as a re-wrap writes it: replaced, nothing else dropped.
    let mut again = kept(&f, &scope, "K", 4, "K-v4");
    again.meta.written_by = id("rewrapper");
    let batch = WriteBatch::from(vec![WriteOp::Keep {
        version: again,
        keep: 3,
        expect: Expect::Revision(5),
    }]);
    store
        .write(batch)
        .await
        .expect("versions_keep_only_the_newest: replace");
    let found = store.versions(&scope, &key("K")).await.unwrap();
    let by: Vec<(u64, &str)> = found
        .iter()
        .map(|v| (v.meta.version, v.meta.written_by.as_str()))
        .collect();
    assert_eq!(
        by,
        [(5, CREATED_BY), (4, "rewrapper"), (3, CREATED_BY)],
        "versions_keep_only_the_newest: replaced in place"
    );
    // Keeping fewer drops the oldest at once.
    write_version(store, &f, &scope, "K", 6, 1, Expect::Revision(5))
        .await
        .expect("versions_keep_only_the_newest: keep one");
    assert_eq!(
        versions_of(store, &f, &scope, "K").await,
        pairs("K", &[6]),
        "versions_keep_only_the_newest: one kept"
    );
}

/// Deleting a record deletes its kept versions, under either expectation, so a key
/// created again starts with no history of the deleted one.
pub async fn versions_go_with_delete<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    for (k, expect) in [("ANY", Expect::Any), ("AT", Expect::Revision(2))] {
        write_version(store, &f, &scope, k, 1, 10, Expect::Absent)
            .await
            .expect("versions_go_with_delete: create");
        write_version(store, &f, &scope, k, 2, 10, Expect::Revision(1))
            .await
            .expect("versions_go_with_delete: rotate");
        let batch = WriteBatch::from(vec![WriteOp::Delete {
            scope: scope.clone(),
            key: key(k),
            expect,
        }]);
        store
            .write(batch)
            .await
            .expect("versions_go_with_delete: delete");
        assert!(
            store.versions(&scope, &key(k)).await.unwrap().is_empty(),
            "versions_go_with_delete: {k}: none left"
        );
        write_version(store, &f, &scope, k, 1, 10, Expect::Absent)
            .await
            .expect("versions_go_with_delete: create again");
        assert_eq!(
            versions_of(store, &f, &scope, k).await,
            pairs(k, &[1]),
            "versions_go_with_delete: {k}: only the new one"
        );
    }
    // A failed delete keeps them.
    let batch = WriteBatch::from(vec![WriteOp::Delete {
        scope: scope.clone(),
        key: key("AT"),
        expect: Expect::Revision(9),
    }]);
    assert!(matches!(
        store.write(batch).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        versions_of(store, &f, &scope, "AT").await,
        pairs("AT", &[1]),
        "versions_go_with_delete: a refused delete keeps them"
    );
}

/// The versions of one key in one scope are that record's alone: the same key in
/// another scope kind, user, workflow or workspace, and another key in the same
/// scope, keep their own.
pub async fn versions_stay_where_written<S: SecretStore>(store: &S) {
    let f = vault();
    let (a, b) = (id::<WorkspaceId>("ws-a"), id::<WorkspaceId>("ws-b"));
    let scopes = [
        Scope::workspace(a.clone()),
        Scope::workspace(b.clone()),
        Scope::personal(a.clone(), id("ada")),
        Scope::personal(a.clone(), id("bob")),
        Scope::workflow(a.clone(), id("wf-1")),
        Scope::workflow(a.clone(), id("wf-2")),
        Scope::workflow(b, id("wf-1")),
    ];
    // Each place holds its own number of versions, so a moved answer shows.
    let places = || {
        scopes.iter().enumerate().flat_map(|(i, scope)| {
            [("K1", i as u64 + 1), ("K2", i as u64 + 2)].map(move |(k, n)| (scope, k, n))
        })
    };
    for (scope, k, n) in places() {
        for version in 1..=n {
            let expect = if version == 1 {
                Expect::Absent
            } else {
                Expect::Revision(version - 1)
            };
            write_version(store, &f, scope, k, version, 10, expect)
                .await
                .expect("versions_stay_where_written: write");
        }
    }
    for (scope, k, n) in places() {
        let want: Vec<u64> = (1..=n).rev().collect();
        assert_eq!(
            versions_of(store, &f, scope, k).await,
            pairs(k, &want),
            "versions_stay_where_written: {k} in the {scope}"
        );
    }
}

/// A `Keep` checks its expectation of the current record against the state before
/// the batch, with the batch's other ops: a rotation's `Put` and `Keep` both
/// expect the old revision and both apply; a wrong expectation writes nothing.
pub async fn keep_checks_the_record_before_the_batch<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    write_version(store, &f, &scope, "K", 1, 10, Expect::Absent)
        .await
        .expect("keep_checks: create");
    // Keep first, Put second: the order in the batch does not matter.
    let batch = WriteBatch::from(vec![
        WriteOp::Keep {
            version: kept(&f, &scope, "K", 2, "K-v2"),
            keep: 10,
            expect: Expect::Revision(1),
        },
        WriteOp::Put {
            record: current(&f, &scope, "K", 2, "K-v2"),
            expect: Expect::Revision(1),
        },
    ]);
    store
        .write(batch)
        .await
        .expect("keep_checks: keep then put");
    assert_eq!(
        versions_of(store, &f, &scope, "K").await,
        pairs("K", &[2, 1]),
        "keep_checks: both applied"
    );
    for expect in [Expect::Revision(1), Expect::Revision(3), Expect::Absent] {
        let refused = write_version(store, &f, &scope, "K", 3, 10, expect).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict)),
            "keep_checks: {expect:?}: {refused:?}"
        );
        // A Keep alone, as a re-wrap writes one.
        let batch = WriteBatch::from(vec![WriteOp::Keep {
            version: kept(&f, &scope, "K", 7, "K-v7"),
            keep: 10,
            expect,
        }]);
        let refused = store.write(batch).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict)),
            "keep_checks: alone, {expect:?}: {refused:?}"
        );
    }
    assert_eq!(
        versions_of(store, &f, &scope, "K").await,
        pairs("K", &[2, 1]),
        "keep_checks: a refused batch keeps nothing"
    );
    let read = store
        .get(&scope, &key("K"))
        .await
        .unwrap()
        .expect("present");
    assert_eq!(read.meta.version, 2, "keep_checks: nor writes the record");
}

/// A `Keep` of a count outside 1..=`MAX_VERSIONS_KEPT`, or two `Keep`s of one
/// version, are `InvalidBatch`, and nothing is written; a `Put` and a `Keep` of
/// one record are not two operations on it.
pub async fn keep_invalid_batches<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    let keep = |version: u64, keep: usize| WriteOp::Keep {
        version: kept(&f, &scope, "K", version, "v"),
        keep,
        expect: Expect::Any,
    };
    let put = || WriteOp::Put {
        record: current(&f, &scope, "K", 1, "v"),
        expect: Expect::Absent,
    };
    for (name, ops) in [
        ("keep 0", vec![put(), keep(1, 0)]),
        (
            "keep over the bound",
            vec![put(), keep(1, crate::store::MAX_VERSIONS_KEPT + 1)],
        ),
        ("one version twice", vec![put(), keep(1, 5), keep(1, 5)]),
    ] {
        let result = store.write(WriteBatch::from(ops)).await;
        assert!(
            matches!(result, Err(StoreError::InvalidBatch(_))),
            "keep_invalid_batches: {name}: {result:?}"
        );
        assert!(
            store.get(&scope, &key("K")).await.unwrap().is_none(),
            "keep_invalid_batches: {name}: nothing written"
        );
    }
    store
        .write(WriteBatch::from(vec![put(), keep(1, 5), keep(0, 5)]))
        .await
        .expect("keep_invalid_batches: a put and keeps of distinct versions");
    assert_eq!(
        store.versions(&scope, &key("K")).await.unwrap().len(),
        2,
        "keep_invalid_batches: both kept"
    );
}
