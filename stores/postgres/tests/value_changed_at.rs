//! `value_changed_at` (schema version 3): a schema of version 1 or 2 is upgraded in
//! place, each existing row getting the time its value last changed as well as its
//! columns can tell, and the column is then written and read like any other.
//!
//! The server comes from `support`: `WORKFLOW_SECRETS_PG_URL`, or a throwaway
//! cluster this binary starts itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use workflow_secrets::testing::fixtures::{id, key, open, put, vault};
use workflow_secrets::{
    Scope, SecretValue,
    store::{Expect, SecretStore, WriteBatch},
};
use workflow_secrets_postgres::PostgresStore;

use support::{schema_v1, schema_v2, server, unique_schema};

/// Rows of an older schema and the `value_changed_at` each must get:
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

/// A schema of version 1 or 2 holding [`OLD_ROWS`] migrates to version 3, each row
/// with its `value_changed_at` filled as the rule says and nothing else changed; a
/// second `migrate` changes nothing; the column is then written and read back.
#[tokio::test]
async fn older_schemas_get_value_changed_at_from_their_rows() {
    let Some(server) = server() else { return };
    let vault = vault();
    let scope = Scope::workspace(id("acme"));
    for from in [1, 2] {
        let schema = unique_schema();
        let admin = server.pool(1).get().await.unwrap();
        admin.batch_execute(&schema_v1(&schema)).await.unwrap();
        if from == 2 {
            admin.batch_execute(&schema_v2(&schema)).await.unwrap();
        }
        for (name, version, created, updated, _) in OLD_ROWS {
            let value = SecretValue::new(format!("{name}-value")).unwrap();
            let sealed = vault
                .seal(&scope, &key(name), version.cast_unsigned(), &value)
                .unwrap();
            admin
                .execute(
                    &format!(
                        "INSERT INTO \"{schema}\".secrets VALUES ('acme', 2, '', $1, $2, 4, \
                         NULL, NULL, '{{}}', 'ada', 'bob', $3, $4, $5)"
                    ),
                    &[&name, &version, &created, &updated, &sealed.to_bytes()],
                )
                .await
                .unwrap();
        }
        let schema_version = || async {
            admin
                .query_one(
                    &format!("SELECT version FROM \"{schema}\".schema_version"),
                    &[],
                )
                .await
                .unwrap()
                .get::<_, i32>(0)
        };
        assert_eq!(schema_version().await, from);
        let store = PostgresStore::with_schema(server.pool(2), &schema).unwrap();
        for when in ["after the upgrade", "after a second migrate"] {
            store.migrate().await.unwrap();
            assert_eq!(schema_version().await, 6, "from version {from}, {when}");
            let listed = store.list(&scope).await.unwrap();
            assert_eq!(listed.len(), OLD_ROWS.len());
            for (name, version, created, updated, changed) in OLD_ROWS {
                let got = store.get(&scope, &key(name)).await.unwrap().unwrap();
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
        }
        // The column is live: a rotation's time is written and read back.
        let mut rotated = store.get(&scope, &key("ROTATED")).await.unwrap().unwrap();
        rotated.meta.value_changed_at = 600;
        store
            .write(WriteBatch::from(vec![put(rotated, Expect::Revision(4))]))
            .await
            .unwrap();
        let read = store.get(&scope, &key("ROTATED")).await.unwrap().unwrap();
        assert_eq!(
            (read.meta.value_changed_at, read.meta.updated_at),
            (600, 500)
        );
    }
}

/// A fresh schema is created at version 3 with the column `NOT NULL`: no row can
/// lack the value's time.
#[tokio::test]
async fn a_new_schema_has_the_column_not_null() {
    let Some(server) = server() else { return };
    let store = server.fresh_store(server.pool(1)).await;
    let admin = server.pool(1).get().await.unwrap();
    let row = admin
        .query_one(
            "SELECT data_type, is_nullable FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'secrets' \
             AND column_name = 'value_changed_at'",
            &[&store.schema()],
        )
        .await
        .unwrap();
    let (kind, nullable): (String, String) = (row.get(0), row.get(1));
    assert_eq!((kind.as_str(), nullable.as_str()), ("bigint", "NO"));
}
