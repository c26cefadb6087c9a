//! `store::codec`: the row encodings the SQLite and PostgreSQL stores have always
//! written still read, byte for byte, and a corrupt row is reported without a word
//! of its content.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;

use workflow_secrets::store::codec::{
    ScopeColumns, key_from_column, members_from_text, members_to_text, scope_from_columns,
    sealed_from_column, u64_from_column, u64_to_column, user_from_column,
};
use workflow_secrets::store::{Corrupt, StoreError};
use workflow_secrets::testing::fixtures::{id, record, vault};
use workflow_secrets::{Error, Scope, SecretRole, UserId, WorkspaceId};

/// Members text as the stores' own `codec.rs` wrote it before the codec moved here
/// (captured from that code): ids with quotes, a backslash, SQL and non-ASCII text,
/// sorted bytewise.
const MEMBERS_ROW: &str = r#"{"\"double\" and 'single'":"Member","ada":"Admin","back\\slash":"Member","x'; DROP TABLE t; --":"Member","日本語 ü":"Admin"}"#;

fn members() -> BTreeMap<UserId, SecretRole> {
    [
        ("ada", SecretRole::Admin),
        ("\"double\" and 'single'", SecretRole::Member),
        ("back\\slash", SecretRole::Member),
        ("日本語 ü", SecretRole::Admin),
        ("x'; DROP TABLE t; --", SecretRole::Member),
    ]
    .into_iter()
    .map(|(user, role)| (id(user), role))
    .collect()
}

#[test]
fn members_rows_of_earlier_releases_read_and_write_byte_for_byte() {
    assert_eq!(members_from_text(MEMBERS_ROW).unwrap(), members());
    assert_eq!(members_to_text(&members()), MEMBERS_ROW);
    assert_eq!(members_to_text(&BTreeMap::new()), "{}");
    assert!(members_from_text("{}").unwrap().is_empty());
    // A row edited by hand with a database tool reads as it always did.
    let edited = "{ \"ada\" : \"Admin\",\n \"b\\u006fb\": \"Member\" }";
    let read = members_from_text(edited).unwrap();
    assert_eq!(read.get(&id::<UserId>("ada")), Some(&SecretRole::Admin));
    assert_eq!(read.get(&id::<UserId>("bob")), Some(&SecretRole::Member));
}

#[test]
fn scope_columns_of_earlier_releases_read_and_write_the_same() {
    let acme: WorkspaceId = id("acme");
    // (kind, owner) as the stores have written them since schema version 1.
    let rows: [(i64, &str, Scope); 3] = [
        (1, "wf-1", Scope::workflow(acme.clone(), id("wf-1"))),
        (2, "", Scope::workspace(acme.clone())),
        (3, "ada", Scope::personal(acme.clone(), id("ada"))),
    ];
    for (kind, owner, scope) in rows {
        assert_eq!(scope_from_columns(&acme, kind, owner).unwrap(), scope);
        let columns = ScopeColumns::of(&scope);
        assert_eq!(i64::from(columns.kind), kind);
        assert_eq!(columns.workspace, "acme");
        assert_eq!(columns.owner, owner);
    }
}

#[test]
fn integers_of_earlier_releases_read_and_write_the_same() {
    // (u64, the i64 column the stores wrote), captured from their `to_i64`.
    let rows: [(u64, i64); 5] = [
        (0, 0),
        (1, 1),
        (1_700_000_000_000, 1_700_000_000_000),
        (u64::MAX / 2 + 1, i64::MIN),
        (u64::MAX, -1),
    ];
    for (n, column) in rows {
        assert_eq!(u64_to_column(n), column);
        assert_eq!(u64_from_column(column), n);
    }
}

#[test]
fn sealed_bytes_read_back_as_written() {
    let vault = vault();
    let scope = Scope::workspace(id("acme"));
    let written = record(&vault, &scope, "API_KEY", "value");
    let bytes = written.sealed.to_bytes();
    assert_eq!(sealed_from_column(&bytes).unwrap(), written.sealed);
}

/// Everything an error shows: `Display` and `Debug` of it, of the crate `Error` it
/// becomes, and of every source.
fn everything_shown(err: StoreError) -> (String, Error) {
    let mut text = format!("{err} {err:?}");
    let err = Error::from(err);
    text.push_str(&format!(" {err} {err:?}"));
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    (text, err)
}

#[test]
fn a_corrupt_row_is_reported_without_its_content() {
    const MARKER: &str = "sk-live-ROWMARKER-42";
    let acme: WorkspaceId = id("acme");
    let sealed = record(&vault(), &Scope::workspace(acme.clone()), "K", MARKER)
        .sealed
        .to_bytes();
    // Cut inside the wrapped data key: the layout no longer adds up.
    let truncated = sealed[..sealed.len() / 3].to_vec();
    let mut future_version = sealed.clone();
    future_version[4] = 0xee; // the format version byte, after the magic
    let garbage = format!("garbage {MARKER}").into_bytes();
    let cases: Vec<(&str, StoreError, &[u8])> = vec![
        (
            "members, not json",
            members_from_text(&format!("{{{MARKER}")).unwrap_err(),
            b"",
        ),
        (
            "members, unknown role",
            members_from_text(&format!(r#"{{"ada":"{MARKER}"}}"#)).unwrap_err(),
            b"",
        ),
        (
            "members, invalid id",
            members_from_text(&format!(r#"{{"{MARKER}\u0000":"Admin"}}"#)).unwrap_err(),
            b"",
        ),
        (
            "key",
            key_from_column(format!("{MARKER}!")).unwrap_err(),
            b"",
        ),
        (
            "user",
            user_from_column(format!("{MARKER}\n")).unwrap_err(),
            b"",
        ),
        (
            "owner of the workspace scope",
            scope_from_columns(&acme, 2, MARKER).unwrap_err(),
            b"",
        ),
        (
            "owner that is no id",
            scope_from_columns(&acme, 3, &format!("{MARKER}\0")).unwrap_err(),
            b"",
        ),
        (
            "kind",
            scope_from_columns(&acme, 77, MARKER).unwrap_err(),
            b"",
        ),
        (
            "sealed, truncated",
            sealed_from_column(&truncated).unwrap_err(),
            &truncated,
        ),
        (
            "sealed, unknown format version",
            sealed_from_column(&future_version).unwrap_err(),
            &future_version,
        ),
        (
            "sealed, garbage",
            sealed_from_column(&garbage).unwrap_err(),
            &garbage,
        ),
    ];
    for (name, err, bytes) in cases {
        assert!(matches!(err, StoreError::Backend(_)), "{name}: {err:?}");
        let (text, err) = everything_shown(err);
        assert_eq!(err.code(), "store", "{name}");
        assert!(text.contains("corrupt store: a row "), "{name}: {text}");
        assert!(!text.contains(MARKER), "{name}: {text}");
        assert!(!text.contains("ROWMARKER"), "{name}: {text}");
        if !bytes.is_empty() {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let decimal = format!("{:?}", &bytes[..8]);
            assert!(!text.contains(&hex), "{name}: {text}");
            assert!(!text.contains(&decimal), "{name}: {text}");
        }
        let Error::Store { source } = &err else {
            panic!("{name}: {err:?}");
        };
        let corrupt = source.downcast_ref::<Corrupt>().expect("a Corrupt source");
        assert!(corrupt.reason().starts_with("a row "), "{name}");
    }
}

#[test]
fn corrupt_is_a_plain_backend_error_with_code_store() {
    let err = StoreError::corrupt("the file holds a schema version this crate does not know");
    assert_eq!(
        err.to_string(),
        "storage backend failed: corrupt store: the file holds a schema version this crate does not know"
    );
    assert_eq!(
        format!("{err:?}"),
        "Backend(Corrupt { reason: \"the file holds a schema version this crate does not know\" })"
    );
    assert_eq!(Error::from(err).code(), "store");
}
