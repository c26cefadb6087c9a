//! The behaviours of the store conformance suite, one `pub async fn` each.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use super::fixtures::{CREATED_AT, id, key, marker, open, record, vault, workspace};
use crate::store::{
    Expect, FoundSealed, SecretMeta, SecretStore, StoreError, StoredSecret, Usage, UsageMark,
    WriteBatch, WriteOp,
};
use crate::{Scope, WorkflowId, WorkspaceId};

/// Runs every behaviour of the suite, each on a fresh store from `make`.
///
/// Does not run [`get_many_is_a_snapshot`], which the sequential defaults of the
/// provided methods cannot pass: run it yourself on a store that overrides `get_many`.
pub async fn store_conformance<S, F>(make: impl Fn() -> F)
where
    S: SecretStore,
    F: Future<Output = S>,
{
    round_trip(&make().await).await;
    scope_isolation(&make().await).await;
    tenant_isolation(&make().await).await;
    records_stay_where_written(&make().await).await;
    list_contents_and_order(&make().await).await;
    scopes_of_a_workspace(&make().await).await;
    provided_methods(&make().await).await;
    value_changed_at_round_trips(&make().await).await;
    find_sealed_in_every_order(&make().await).await;
    cas_create(&make().await).await;
    cas_update(&make().await).await;
    cas_delete(&make().await).await;
    batch_atomicity(&make().await).await;
    invalid_batch(&make().await).await;
    concurrent_increments(&make().await).await;
    details_text_is_checked_before_any_write(&make().await).await;
    super::versions_round_trip(&make().await).await;
    super::versions_keep_only_the_newest(&make().await).await;
    super::versions_go_with_delete(&make().await).await;
    super::versions_stay_where_written(&make().await).await;
    super::keep_checks_the_record_before_the_batch(&make().await).await;
    super::keep_invalid_batches(&make().await).await;
    super::a_credential_lives_through_secrets(&make().await).await;
    usage_round_trip(&make().await).await;
    usage_keeps_the_latest(&make().await).await;
    usage_stays_where_recorded(&make().await).await;
    usage_outlives_the_record(&make().await).await;
}

/// Writes `record` alone, checking `expect`; the suite's writes must succeed.
async fn put<S: SecretStore>(store: &S, record: StoredSecret, expect: Expect) {
    store
        .write(WriteBatch::from(vec![WriteOp::Put { record, expect }]))
        .await
        .unwrap();
}

async fn first_marker<S: SecretStore>(store: &S, scopes: &[Scope], k: &str) -> Option<String> {
    let found = store.get_first(scopes, &key(k)).await.unwrap();
    found.and_then(|r| r.meta.display_name)
}

/// A record comes back as written, with revision 1, and opens to its value.
pub async fn round_trip<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    assert!(
        store.get(&scope, &key("API_KEY")).await.unwrap().is_none(),
        "round_trip: empty"
    );
    let mut written = record(&f, &scope, "API_KEY", "value-of-api-key");
    written.meta.revision = 41; // the store must ignore the caller's revision
    put(store, written.clone(), Expect::Absent).await;
    let read = store
        .get(&scope, &key("API_KEY"))
        .await
        .unwrap()
        .expect("round_trip: present");
    assert_eq!(
        read.meta.revision, 1,
        "round_trip: the store sets revision 1 on create"
    );
    written.meta.revision = 1;
    assert_eq!(read.meta, written.meta, "round_trip: metadata");
    assert_eq!(
        read.sealed.to_bytes(),
        written.sealed.to_bytes(),
        "round_trip: sealed bytes"
    );
    assert_eq!(
        open(&f, &scope, "API_KEY", &read),
        "value-of-api-key",
        "round_trip: plaintext"
    );
}

/// The same key in two workspaces, two users, two workflows and three scope kinds
/// is six records.
pub async fn scope_isolation<S: SecretStore>(store: &S) {
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
    for (i, scope) in scopes.iter().enumerate() {
        put(
            store,
            record(&f, scope, "TOKEN", &format!("marker-{i}")),
            Expect::Absent,
        )
        .await;
    }
    for (i, scope) in scopes.iter().enumerate() {
        let read = store
            .get(scope, &key("TOKEN"))
            .await
            .unwrap()
            .expect("scope_isolation");
        assert_eq!(
            read.meta.display_name,
            Some(format!("marker-{i}")),
            "scope_isolation: {scope}"
        );
        assert_eq!(
            open(&f, scope, "TOKEN", &read),
            format!("marker-{i}"),
            "scope_isolation: value of {scope}"
        );
    }
    let delete = WriteOp::Delete {
        scope: scopes[0].clone(),
        key: key("TOKEN"),
        expect: Expect::Any,
    };
    store.write(WriteBatch::from(vec![delete])).await.unwrap();
    assert!(
        marker(store, &scopes[0], "TOKEN").await.is_none(),
        "scope_isolation: deleted"
    );
    for scope in &scopes[1..] {
        assert!(
            marker(store, scope, "TOKEN").await.is_some(),
            "scope_isolation: {scope} kept"
        );
    }
}

/// Ids that differ only in case, trailing space or Unicode normalization, and keys
/// that differ in case, are distinct records for `get`, `list` and delete.
pub async fn tenant_isolation<S: SecretStore>(store: &S) {
    let f = vault();
    let pairs: [(&str, &str); 4] = [
        ("acme", "Acme"),
        ("acme", "acme "),
        ("caf\u{e9}", "cafe\u{301}"),
        ("x'; DROP TABLE secrets; --", "x\"%_\\ü"),
    ];
    for (left, right) in pairs {
        let scopes = [workspace(left), workspace(right)];
        for (i, scope) in scopes.iter().enumerate() {
            put(
                store,
                record(&f, scope, "K", &format!("{left}|{right}|{i}")),
                Expect::Absent,
            )
            .await;
        }
        for (i, scope) in scopes.iter().enumerate() {
            let want = Some(format!("{left}|{right}|{i}"));
            assert_eq!(
                marker(store, scope, "K").await,
                want,
                "tenant_isolation: get {scope:?}"
            );
            assert_eq!(
                store.list(scope).await.unwrap().len(),
                1,
                "tenant_isolation: list {scope:?}"
            );
        }
        let delete = WriteOp::Delete {
            scope: scopes[0].clone(),
            key: key("K"),
            expect: Expect::Any,
        };
        store.write(WriteBatch::from(vec![delete])).await.unwrap();
        assert!(
            marker(store, &scopes[0], "K").await.is_none(),
            "tenant_isolation: deleted"
        );
        assert!(
            marker(store, &scopes[1], "K").await.is_some(),
            "tenant_isolation: other kept"
        );
        let delete = WriteOp::Delete {
            scope: scopes[1].clone(),
            key: key("K"),
            expect: Expect::Any,
        };
        store.write(WriteBatch::from(vec![delete])).await.unwrap();
    }
    let scope = Scope::personal(id("acme"), id("Ada"));
    put(store, record(&f, &scope, "Token", "mixed"), Expect::Absent).await;
    put(store, record(&f, &scope, "TOKEN", "upper"), Expect::Absent).await;
    assert_eq!(
        marker(store, &scope, "Token").await.as_deref(),
        Some("mixed"),
        "tenant_isolation"
    );
    assert_eq!(
        marker(store, &scope, "TOKEN").await.as_deref(),
        Some("upper"),
        "tenant_isolation"
    );
    let other_user = Scope::personal(id("acme"), id("ada"));
    assert!(
        marker(store, &other_user, "Token").await.is_none(),
        "tenant_isolation: user case"
    );
}

/// Every read answers with records of exactly the scope and key it asked for: `get`,
/// `get_first`, `find_sealed`, `get_many`, `list` and `list_many` never return a record (or its
/// metadata) from another tenant, another user's personal scope, another workflow or
/// under another key, as they are or with their metadata rewritten to the request,
/// and never fill an empty place with a record from elsewhere.
///
/// The crate opens a record with the scope and key it asked for and refuses one whose
/// metadata names another (a `store` error), so a store that moves records fails
/// closed; this behaviour finds it before production does.
pub async fn records_stay_where_written<S: SecretStore>(store: &S) {
    let f = vault();
    let (a, b) = (id::<WorkspaceId>("ws-a"), id::<WorkspaceId>("ws-b"));
    let written = [
        (Scope::workspace(a.clone()), "K1"),
        (Scope::workspace(a.clone()), "K2"),
        (Scope::workspace(b.clone()), "K1"),
        (Scope::personal(a.clone(), id("ada")), "K1"),
        (Scope::workflow(a.clone(), id("wf-1")), "K1"),
        (Scope::workflow(a.clone(), id("wf-2")), "K1"),
    ];
    let empty = [
        (Scope::workspace(b.clone()), "K2"),
        (Scope::personal(a.clone(), id("bob")), "K1"),
        (Scope::workflow(a.clone(), id("wf-3")), "K1"),
        (Scope::workflow(b, id("wf-1")), "K1"),
    ];
    let mark = |i: usize| format!("place-{i}");
    for (i, (scope, k)) in written.iter().enumerate() {
        put(store, record(&f, scope, k, &mark(i)), Expect::Absent).await;
    }
    // The one answer a read of (scope, key) may give, checked down to the plaintext.
    let check =
        |what: &str, scope: &Scope, k: &str, got: Option<StoredSecret>, want: Option<String>| {
            let got = got.map(|r| {
            let m = &r.meta;
            assert!(
                m.scope == *scope && m.key == key(k),
                "records_stay_where_written: {what} of {k} in {scope:?} answered with {} in {:?}",
                m.key,
                m.scope
            );
            (m.display_name.clone(), open(&f, scope, k, &r))
        });
            assert_eq!(
                got,
                want.map(|w| (Some(w.clone()), w)),
                "records_stay_where_written: {what} of {k} in {scope:?}"
            );
        };
    // A lean answer names its scope by position in the request and opens there.
    let check_lean = |scopes: &[Scope],
                      k: &str,
                      got: Option<FoundSealed>,
                      want: Option<(usize, String)>| {
        let got = got.map(|found| {
            let scope = scopes.get(found.at).unwrap_or_else(|| {
                panic!("records_stay_where_written: find_sealed of {k} named position {} of {}", found.at, scopes.len())
            });
            let value = f
                .unseal(scope, &key(k), found.version, &found.sealed)
                .unwrap_or_else(|e| {
                    panic!("records_stay_where_written: find_sealed of {k} at {scope:?} does not open there: {e}")
                });
            (found.at, value.expose_secret().to_owned())
        });
        assert_eq!(
            got, want,
            "records_stay_where_written: find_sealed of {k} in {scopes:?}"
        );
    };
    let places = written.iter().enumerate().map(|(i, p)| (p, Some(mark(i))));
    let places: Vec<_> = places.chain(empty.iter().map(|p| (p, None))).collect();
    for ((scope, k), want) in &places {
        let one = std::slice::from_ref(scope);
        let got = store.get(scope, &key(k)).await.unwrap();
        check("get", scope, k, got, want.clone());
        let got = store.get_first(one, &key(k)).await.unwrap();
        check("get_first", scope, k, got, want.clone());
        let got = store.find_sealed(one, &key(k)).await.unwrap();
        check_lean(one, k, got, want.clone().map(|w| (0, w)));
        let mut many = store.get_many(one, &[key(k)]).await.unwrap();
        assert_eq!(many.len(), 1, "records_stay_where_written: get_many");
        check("get_many", scope, k, many.pop().flatten(), want.clone());
    }
    // In several scopes, the first holding the key answers, with its own binding.
    let order = [
        Scope::workflow(a.clone(), id("wf-3")),
        Scope::workflow(a.clone(), id("wf-1")),
        Scope::workspace(a.clone()),
        Scope::personal(a.clone(), id("ada")),
    ];
    for (k, at, want) in [("K1", 1, 4), ("K2", 2, 1)] {
        let got = store.get_first(&order, &key(k)).await.unwrap();
        check("get_first", &order[at], k, got, Some(mark(want)));
        let got = store.find_sealed(&order, &key(k)).await.unwrap();
        check_lean(&order, k, got, Some((at, mark(want))));
        let got = store.get_many(&order, &[key(k)]).await.unwrap().pop();
        check("get_many", &order[at], k, got.flatten(), Some(mark(want)));
    }
    // Listings: exactly the scope's own records, each with its own metadata.
    let mut scopes: Vec<Scope> = places.iter().map(|((s, _), _)| s.clone()).collect();
    scopes.sort();
    scopes.dedup();
    let lists = store.list_many(&scopes).await.unwrap();
    assert_eq!(
        lists.len(),
        scopes.len(),
        "records_stay_where_written: list_many"
    );
    for (scope, many) in scopes.iter().zip(lists) {
        let mut want: Vec<(String, Option<String>)> = written
            .iter()
            .enumerate()
            .filter(|(_, (s, _))| s == scope)
            .map(|(i, (_, k))| ((*k).to_owned(), Some(mark(i))))
            .collect();
        want.sort();
        for (what, metas) in [
            ("list", store.list(scope).await.unwrap()),
            ("list_many", many),
        ] {
            for m in &metas {
                assert_eq!(
                    &m.scope, scope,
                    "records_stay_where_written: {what} of {scope:?} holds {} of {:?}",
                    m.key, m.scope
                );
            }
            let got: Vec<(String, Option<String>)> = metas
                .into_iter()
                .map(|m| (m.key.to_string(), m.display_name))
                .collect();
            assert_eq!(got, want, "records_stay_where_written: {what} of {scope:?}");
        }
    }
}

/// `list` returns exactly the scope's metadata, sorted by key bytewise.
pub async fn list_contents_and_order<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    let names = ["b", "B", "a", "A_1", "A1", "_x", "Z9", "a_"];
    let mut written = Vec::new();
    for name in names {
        let record = record(&f, &scope, name, &format!("m-{name}"));
        put(store, record.clone(), Expect::Absent).await;
        written.push(record.meta);
    }
    put(
        store,
        record(&f, &workspace("other"), "zz", "elsewhere"),
        Expect::Absent,
    )
    .await;
    put(
        store,
        record(&f, &Scope::personal(id("acme"), id("u")), "p", "mine"),
        Expect::Absent,
    )
    .await;
    let listed = store.list(&scope).await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        keys,
        ["A1", "A_1", "B", "Z9", "_x", "a", "a_", "b"],
        "list: bytewise order"
    );
    for meta in &mut written {
        meta.revision = 1;
    }
    written.sort_by(|x, y| x.key.cmp(&y.key));
    assert_eq!(listed, written, "list: metadata as written");
    assert!(
        store.list(&workspace("nobody")).await.unwrap().is_empty(),
        "list: empty scope"
    );
}

/// `scopes` names every scope of a workspace that holds a record, and no other.
pub async fn scopes_of_a_workspace<S: SecretStore>(store: &S) {
    let f = vault();
    let acme: WorkspaceId = id("acme");
    let mut expected = vec![
        Scope::workspace(acme.clone()),
        Scope::workflow(acme.clone(), id("wf")),
        Scope::personal(acme.clone(), id("ada")),
    ];
    for scope in &expected {
        put(store, record(&f, scope, "A", "a"), Expect::Absent).await;
        put(store, record(&f, scope, "B", "b"), Expect::Absent).await;
    }
    put(
        store,
        record(&f, &workspace("Acme"), "A", "other tenant"),
        Expect::Absent,
    )
    .await;
    let mut got = store.scopes(&acme).await.unwrap();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "scopes: every scope holding a record");
    let gone = Scope::personal(acme.clone(), id("ada"));
    let batch: WriteBatch = ["A", "B"]
        .into_iter()
        .map(|k| WriteOp::Delete {
            scope: gone.clone(),
            key: key(k),
            expect: Expect::Any,
        })
        .collect();
    store.write(batch).await.unwrap();
    let got = store.scopes(&acme).await.unwrap();
    assert!(
        !got.contains(&gone),
        "scopes: a scope without records is not listed"
    );
    assert_eq!(got.len(), 2, "scopes: the rest stay");
}

/// `get_first`, `get_many` and `list_many` answer as the required methods do.
pub async fn provided_methods<S: SecretStore>(store: &S) {
    let f = vault();
    let acme: WorkspaceId = id("acme");
    let order = [
        Scope::workflow(acme.clone(), id("wf")),
        Scope::workspace(acme.clone()),
        Scope::personal(acme.clone(), id("ada")),
    ];
    put(
        store,
        record(&f, &order[0], "BOTH", "from-workflow"),
        Expect::Absent,
    )
    .await;
    put(
        store,
        record(&f, &order[1], "BOTH", "from-workspace"),
        Expect::Absent,
    )
    .await;
    put(
        store,
        record(&f, &order[2], "PERSONAL", "from-personal"),
        Expect::Absent,
    )
    .await;
    let first = |scopes, k| first_marker(store, scopes, k);
    assert_eq!(
        first(&order, "BOTH").await.as_deref(),
        Some("from-workflow"),
        "get_first: order"
    );
    assert_eq!(
        first(&order[1..], "BOTH").await.as_deref(),
        Some("from-workspace"),
        "get_first"
    );
    assert_eq!(
        first(&order, "PERSONAL").await.as_deref(),
        Some("from-personal"),
        "get_first"
    );
    assert_eq!(first(&order, "NONE").await, None, "get_first: absent");
    assert_eq!(first(&[], "BOTH").await, None, "get_first: no scopes");
    // `find_sealed` answers as `get_first` does, naming the scope by position.
    let cases: [(&[Scope], &str); 5] = [
        (&order, "BOTH"),
        (&order[1..], "BOTH"),
        (&order, "PERSONAL"),
        (&order, "NONE"),
        (&[], "BOTH"),
    ];
    for (scopes, k) in cases {
        let whole = store.get_first(scopes, &key(k)).await.unwrap();
        let want = whole.map(|r| FoundSealed::of(scopes, &key(k), r).unwrap());
        let lean = store.find_sealed(scopes, &key(k)).await.unwrap();
        assert_eq!(lean, want, "find_sealed: as get_first, {k} in {scopes:?}");
    }

    let keys = [key("PERSONAL"), key("NONE"), key("BOTH")];
    let many = store.get_many(&order, &keys).await.unwrap();
    let markers: Vec<Option<String>> = many
        .into_iter()
        .map(|r| r.and_then(|r| r.meta.display_name))
        .collect();
    assert_eq!(
        markers,
        [
            Some("from-personal".to_owned()),
            None,
            Some("from-workflow".to_owned())
        ],
        "get_many: the first record of each key, in the order of the keys"
    );
    assert!(
        store.get_many(&order, &[]).await.unwrap().is_empty(),
        "get_many: no keys"
    );

    let lists = store.list_many(&order).await.unwrap();
    let keys_of =
        |list: &Vec<SecretMeta>| list.iter().map(|m| m.key.to_string()).collect::<Vec<_>>();
    let listed: Vec<Vec<String>> = lists.iter().map(keys_of).collect();
    assert_eq!(
        listed,
        [vec!["BOTH"], vec!["BOTH"], vec!["PERSONAL"]],
        "list_many: per scope"
    );
}

/// `value_changed_at` (the value's age) is kept apart from `created_at` and
/// `updated_at`: three different times per record come back as written through
/// every read that carries metadata (`get`, `get_first`, `get_many`, `list`,
/// `list_many`), after a create, an update under `Expect::Revision` and one under
/// `Expect::Any`, at the ends of the range too. A store that drops the field (and
/// rebuilds it from `created_at`) or reads one time column for another fails.
pub async fn value_changed_at_round_trips<S: SecretStore>(store: &S) {
    let f = vault();
    let acme: WorkspaceId = id("acme");
    let scopes = [
        Scope::workflow(acme.clone(), id("wf")),
        Scope::workspace(acme.clone()),
    ];
    // (key, created_at, updated_at, value_changed_at): pairwise different.
    let times: [(&str, u64, u64, u64); 3] = [
        ("EARLY", 1, 3, 2),
        ("LATE", CREATED_AT, CREATED_AT + 2, CREATED_AT + 1),
        ("MAX", 0, u64::MAX, u64::MAX - 1),
    ];
    let mut written: Vec<Vec<StoredSecret>> = Vec::new();
    for scope in &scopes {
        let mut records = Vec::new();
        for (name, created, updated, changed) in times {
            let mut r = record(&f, scope, name, &format!("{name}-in-{}", scope.tag()));
            r.meta.created_at = created;
            r.meta.updated_at = updated;
            r.meta.value_changed_at = changed;
            put(store, r.clone(), Expect::Absent).await;
            r.meta.revision = 1;
            records.push(r);
        }
        written.push(records);
    }
    reads_back(store, &scopes, &written, "value_changed_at after create").await;
    // An update that moves only `value_changed_at` (as a rotation would), then one
    // under `Any` that moves it again: each must land, and nothing else moves.
    for (shift, expect) in [(7, Expect::Revision(1)), (u64::MAX - 2, Expect::Any)] {
        for records in &mut written {
            for r in records.iter_mut() {
                r.meta.value_changed_at = r.meta.value_changed_at.wrapping_add(shift);
                put(store, r.clone(), expect).await;
                r.meta.revision += 1;
            }
        }
        let phase = format!("value_changed_at after an update under {expect:?}");
        reads_back(store, &scopes, &written, &phase).await;
    }
}

/// Checks that every read carrying metadata answers `want` (the records of
/// `scopes[i]` in key order, `want[i]`).
async fn reads_back<S: SecretStore>(
    store: &S,
    scopes: &[Scope],
    want: &[Vec<StoredSecret>],
    phase: &str,
) {
    let metas = |records: &[StoredSecret]| -> Vec<SecretMeta> {
        records.iter().map(|r| r.meta.clone()).collect()
    };
    for (scope, records) in scopes.iter().zip(want) {
        let keys: Vec<_> = records.iter().map(|r| r.meta.key.clone()).collect();
        for r in records {
            let k = &r.meta.key;
            let got = store.get(scope, k).await.unwrap().map(|r| r.meta);
            assert_eq!(got.as_ref(), Some(&r.meta), "{phase}: get {k} in {scope}");
            let first = store.get_first(std::slice::from_ref(scope), k).await;
            let first = first.unwrap().map(|r| r.meta);
            assert_eq!(first.as_ref(), Some(&r.meta), "{phase}: get_first {k}");
        }
        let many = store
            .get_many(std::slice::from_ref(scope), &keys)
            .await
            .unwrap();
        let many: Vec<Option<SecretMeta>> = many.into_iter().map(|r| r.map(|r| r.meta)).collect();
        let expected: Vec<Option<SecretMeta>> = metas(records).into_iter().map(Some).collect();
        assert_eq!(many, expected, "{phase}: get_many in {scope}");
        let listed = store.list(scope).await.unwrap();
        assert_eq!(listed, metas(records), "{phase}: list of {scope}");
    }
    // Several scopes at once: the first scope's record of each key, and each list.
    let keys: Vec<_> = want[0].iter().map(|r| r.meta.key.clone()).collect();
    let many = store.get_many(scopes, &keys).await.unwrap();
    let many: Vec<Option<SecretMeta>> = many.into_iter().map(|r| r.map(|r| r.meta)).collect();
    let expected: Vec<Option<SecretMeta>> = metas(&want[0]).into_iter().map(Some).collect();
    assert_eq!(many, expected, "{phase}: get_many over several scopes");
    for r in &want[0] {
        let first = store.get_first(scopes, &r.meta.key).await.unwrap();
        let first = first.map(|r| r.meta);
        assert_eq!(
            first.as_ref(),
            Some(&r.meta),
            "{phase}: get_first over several scopes"
        );
    }
    let lists = store.list_many(scopes).await.unwrap();
    let expected: Vec<Vec<SecretMeta>> = want.iter().map(|r| metas(r)).collect();
    assert_eq!(lists, expected, "{phase}: list_many");
}

/// `find_sealed` answers as `get_first` does (read through [`FoundSealed::of`]) for
/// every ordered choice of up to five scopes, with duplicates, across workspaces and
/// with none.
///
/// Other holders of the same key sort bytewise between and around the requested
/// scopes (another workflow, a user named like the workflow, ids that differ in case
/// or a trailing space, `:` in an id), so a store that reads a range of the key's
/// rows and filters them, or relies on an order of its own, is caught answering a
/// holder it was not asked for or the wrong one of two it was.
pub async fn find_sealed_in_every_order<S: SecretStore>(store: &S) {
    let f = vault();
    let acme: WorkspaceId = id("acme");
    let requested = [
        Scope::workflow(acme.clone(), id("wf")),
        Scope::workflow(acme.clone(), id("wf:1")),
        Scope::workspace(acme.clone()),
        Scope::personal(acme.clone(), id("ada")),
        Scope::personal(acme.clone(), id("wf")),
    ];
    let bystanders = [
        Scope::workflow(acme.clone(), id("B")),
        Scope::workflow(acme.clone(), id("wf-0")),
        Scope::workflow(acme.clone(), id("wf:0")),
        Scope::personal(acme.clone(), id("ad")),
        Scope::personal(acme.clone(), id("adb")),
        Scope::personal(acme.clone(), id("Ada")),
        Scope::workspace(id("acme ")),
        Scope::workspace(id("Acme")),
        Scope::personal(id("acm"), id("ada")),
        Scope::workflow(id("acmf"), id("wf")),
    ];
    // Which requested scopes hold each key; every bystander holds every key.
    let holders: [(&str, &[usize]); 5] = [
        ("SPREAD", &[0, 2, 3]),
        ("PAIR", &[1, 4]),
        ("LAST", &[4]),
        ("SHARED", &[2]),
        ("ELSEWHERE", &[]),
    ];
    for (k, held) in holders {
        for &i in held {
            let r = record(&f, &requested[i], k, &format!("{k}-{i}"));
            put(store, r, Expect::Absent).await;
        }
        for (i, scope) in bystanders.iter().enumerate() {
            let r = record(&f, scope, k, &format!("{k}-bystander-{i}"));
            put(store, r, Expect::Absent).await;
        }
    }
    let mut requests: Vec<Vec<Scope>> = vec![Vec::new()];
    arrangements(&requested, &mut Vec::new(), &mut requests);
    requests.extend([
        vec![
            requested[3].clone(),
            requested[2].clone(),
            requested[3].clone(),
        ],
        vec![requested[4].clone(), requested[4].clone()],
        vec![
            bystanders[7].clone(),
            requested[2].clone(),
            bystanders[8].clone(),
        ],
        vec![
            requested[1].clone(),
            bystanders[9].clone(),
            requested[3].clone(),
        ],
        bystanders[..2].to_vec(),
    ]);
    for (k, _) in holders {
        for scopes in &requests {
            let whole = store.get_first(scopes, &key(k)).await.unwrap();
            let want = whole.map(|r| FoundSealed::of(scopes, &key(k), r).unwrap());
            let lean = store.find_sealed(scopes, &key(k)).await.unwrap();
            assert_eq!(lean, want, "find_sealed_in_every_order: {k} in {scopes:?}");
        }
    }
}

/// Pushes onto `out` every non-empty ordered choice, without repeats, from `pool`.
fn arrangements(pool: &[Scope], taken: &mut Vec<usize>, out: &mut Vec<Vec<Scope>>) {
    for i in 0..pool.len() {
        if taken.contains(&i) {
            continue;
        }
        taken.push(i);
        out.push(taken.iter().map(|&t| pool[t].clone()).collect());
        arrangements(pool, taken, out);
        taken.pop();
    }
}

/// Create under `Expect::Absent`: once, then `Conflict`.
pub async fn cas_create<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    put(store, record(&f, &scope, "K", "first"), Expect::Absent).await;
    let again = WriteBatch::from(vec![WriteOp::Put {
        record: record(&f, &scope, "K", "second"),
        expect: Expect::Absent,
    }]);
    assert!(
        matches!(store.write(again).await, Err(StoreError::Conflict)),
        "cas_create: exists"
    );
    assert_eq!(
        marker(store, &scope, "K").await.as_deref(),
        Some("first"),
        "cas_create: kept"
    );
    let revision_on_absent = WriteBatch::from(vec![WriteOp::Put {
        record: record(&f, &scope, "NEW", "x"),
        expect: Expect::Revision(1),
    }]);
    let result = store.write(revision_on_absent).await;
    assert!(
        matches!(result, Err(StoreError::Conflict)),
        "cas_create: revision of an absent record"
    );
    assert!(
        marker(store, &scope, "NEW").await.is_none(),
        "cas_create: nothing written"
    );
}

/// Update under `Expect::Revision(n)`: only at revision n; the store counts revisions.
pub async fn cas_update<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    put(store, record(&f, &scope, "K", "v1"), Expect::Absent).await;
    put(store, record(&f, &scope, "K", "v2"), Expect::Revision(1)).await;
    let read = store
        .get(&scope, &key("K"))
        .await
        .unwrap()
        .expect("cas_update");
    assert_eq!(read.meta.revision, 2, "cas_update: revision + 1");
    assert_eq!(open(&f, &scope, "K", &read), "v2", "cas_update: new value");
    let stale = WriteBatch::from(vec![WriteOp::Put {
        record: record(&f, &scope, "K", "lost"),
        expect: Expect::Revision(1),
    }]);
    assert!(
        matches!(store.write(stale).await, Err(StoreError::Conflict)),
        "cas_update: stale"
    );
    assert_eq!(
        marker(store, &scope, "K").await.as_deref(),
        Some("v2"),
        "cas_update: kept"
    );
    put(store, record(&f, &scope, "K", "v3"), Expect::Any).await;
    let read = store
        .get(&scope, &key("K"))
        .await
        .unwrap()
        .expect("cas_update");
    assert_eq!(
        read.meta.revision, 3,
        "cas_update: Expect::Any still counts revisions"
    );
}

/// Delete under `Expect::Revision(n)` and `Expect::Absent`; deleting nothing under `Any`.
pub async fn cas_delete<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    put(store, record(&f, &scope, "K", "v1"), Expect::Absent).await;
    for expect in [Expect::Revision(2), Expect::Absent] {
        let op = WriteOp::Delete {
            scope: scope.clone(),
            key: key("K"),
            expect,
        };
        let result = store.write(WriteBatch::from(vec![op])).await;
        assert!(
            matches!(result, Err(StoreError::Conflict)),
            "cas_delete: {expect:?}"
        );
        assert!(
            marker(store, &scope, "K").await.is_some(),
            "cas_delete: kept"
        );
    }
    let op = WriteOp::Delete {
        scope: scope.clone(),
        key: key("K"),
        expect: Expect::Revision(1),
    };
    store.write(WriteBatch::from(vec![op])).await.unwrap();
    assert!(
        marker(store, &scope, "K").await.is_none(),
        "cas_delete: gone"
    );
    let op = WriteOp::Delete {
        scope: scope.clone(),
        key: key("K"),
        expect: Expect::Any,
    };
    store
        .write(WriteBatch::from(vec![op]))
        .await
        .expect("cas_delete: absent under Any is a no-op");
    put(store, record(&f, &scope, "K", "again"), Expect::Absent).await;
    let read = store
        .get(&scope, &key("K"))
        .await
        .unwrap()
        .expect("cas_delete");
    assert_eq!(
        read.meta.revision, 1,
        "cas_delete: a re-created record starts at revision 1"
    );
}

/// One failed expectation rejects the whole batch: nothing of it is applied.
pub async fn batch_atomicity<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    put(store, record(&f, &scope, "EXISTS", "old"), Expect::Absent).await;
    put(store, record(&f, &scope, "DOOMED", "kept"), Expect::Absent).await;
    let batch = WriteBatch::from(vec![
        WriteOp::Put {
            record: record(&f, &scope, "NEW_1", "n1"),
            expect: Expect::Absent,
        },
        WriteOp::Put {
            record: record(&f, &scope, "EXISTS", "new"),
            expect: Expect::Revision(1),
        },
        WriteOp::Delete {
            scope: scope.clone(),
            key: key("DOOMED"),
            expect: Expect::Any,
        },
        WriteOp::Put {
            record: record(&f, &scope, "NEW_2", "n2"),
            expect: Expect::Revision(9),
        },
    ]);
    assert!(
        matches!(store.write(batch).await, Err(StoreError::Conflict)),
        "batch: conflict"
    );
    assert!(
        marker(store, &scope, "NEW_1").await.is_none(),
        "batch: first op not applied"
    );
    assert_eq!(
        marker(store, &scope, "EXISTS").await.as_deref(),
        Some("old"),
        "batch: update"
    );
    assert!(
        marker(store, &scope, "DOOMED").await.is_some(),
        "batch: delete not applied"
    );
    let batch = WriteBatch::from(vec![
        WriteOp::Put {
            record: record(&f, &scope, "NEW_1", "n1"),
            expect: Expect::Absent,
        },
        WriteOp::Put {
            record: record(&f, &scope, "EXISTS", "new"),
            expect: Expect::Revision(1),
        },
        WriteOp::Delete {
            scope: scope.clone(),
            key: key("DOOMED"),
            expect: Expect::Revision(1),
        },
    ]);
    store
        .write(batch)
        .await
        .expect("batch: all expectations hold");
    let keys: Vec<String> = store
        .list(&scope)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.key.to_string())
        .collect();
    assert_eq!(keys, ["EXISTS", "NEW_1"], "batch: all applied");
}

/// Two operations on one (scope, key) are `InvalidBatch`, and nothing is written.
pub async fn invalid_batch<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    let batch = WriteBatch::from(vec![
        WriteOp::Put {
            record: record(&f, &scope, "OTHER", "o"),
            expect: Expect::Any,
        },
        WriteOp::Put {
            record: record(&f, &scope, "K", "a"),
            expect: Expect::Any,
        },
        WriteOp::Delete {
            scope: scope.clone(),
            key: key("K"),
            expect: Expect::Any,
        },
    ]);
    let result = store.write(batch).await;
    assert!(
        matches!(result, Err(StoreError::InvalidBatch(_))),
        "invalid_batch: {result:?}"
    );
    assert!(
        store.list(&scope).await.unwrap().is_empty(),
        "invalid_batch: nothing written"
    );
}

/// 4 writers × 200 compare-and-swap increments on one record, as concurrent futures:
/// every increment lands exactly once.
pub async fn concurrent_increments<S: SecretStore>(store: &S) {
    const WRITERS: usize = 4;
    const INCREMENTS: usize = 200;
    let f = vault();
    let scope = workspace("acme");
    put(store, record(&f, &scope, "COUNTER", "0"), Expect::Absent).await;
    let writer = |w: usize| {
        let (f, scope) = (&f, &scope);
        async move {
            let mut conflicts = 0usize;
            for i in 0..INCREMENTS {
                loop {
                    let current = store
                        .get(scope, &key("COUNTER"))
                        .await
                        .unwrap()
                        .expect("counter");
                    yield_now().await;
                    let count: usize = current
                        .meta
                        .display_name
                        .as_deref()
                        .unwrap()
                        .parse()
                        .unwrap();
                    let mut next = record(f, scope, "COUNTER", &(count + 1).to_string());
                    next.meta.description = Some(format!("writer {w} increment {i}"));
                    let op = WriteOp::Put {
                        record: next,
                        expect: Expect::Revision(current.meta.revision),
                    };
                    match store.write(WriteBatch::from(vec![op])).await {
                        Ok(()) => break,
                        Err(StoreError::Conflict) => conflicts += 1,
                        Err(other) => panic!("concurrent_increments: {other}"),
                    }
                    yield_now().await;
                }
            }
            conflicts
        }
    };
    let conflicts = join_all((0..WRITERS).map(writer).collect()).await;
    let last = store
        .get(&scope, &key("COUNTER"))
        .await
        .unwrap()
        .expect("counter");
    let total = WRITERS * INCREMENTS;
    assert_eq!(
        last.meta.display_name,
        Some(total.to_string()),
        "concurrent_increments: count"
    );
    assert_eq!(
        last.meta.revision,
        1 + total as u64,
        "concurrent_increments: revision"
    );
    assert_eq!(conflicts.len(), WRITERS);
}

/// `get_many` reads one snapshot: a reader never sees a pair written by one batch
/// half before and half after a concurrent rotation of both.
///
/// Not part of [`store_conformance`]: the sequential default of `get_many` may fail
/// it. The built-in stores, which override `get_many`, run it.
pub async fn get_many_is_a_snapshot<S: SecretStore>(store: &S) {
    const ROTATIONS: usize = 200;
    let f = vault();
    let acme: WorkspaceId = id("acme");
    let scopes = [
        Scope::workflow(acme.clone(), id::<WorkflowId>("wf")),
        Scope::workspace(acme),
    ];
    let scope = &scopes[1];
    let pair = |n: usize| {
        ["CLIENT_ID", "CLIENT_SECRET"].map(|k| record(&f, scope, k, &format!("generation-{n}")))
    };
    let batch = WriteBatch::from(
        pair(0)
            .map(|record| WriteOp::Put {
                record,
                expect: Expect::Absent,
            })
            .to_vec(),
    );
    store.write(batch).await.unwrap();
    let done = std::cell::Cell::new(false);
    let rotator = async {
        for n in 1..=ROTATIONS {
            let batch: WriteBatch = pair(n)
                .into_iter()
                .map(|record| WriteOp::Put {
                    record,
                    expect: Expect::Any,
                })
                .collect();
            store.write(batch).await.unwrap();
            yield_now().await;
        }
        done.set(true);
        0
    };
    let reader = async {
        let keys = [key("CLIENT_ID"), key("CLIENT_SECRET")];
        let mut reads = 0;
        while !done.get() {
            let got = store.get_many(&scopes, &keys).await.unwrap();
            let markers: Vec<Option<String>> = got
                .into_iter()
                .map(|r| r.and_then(|r| r.meta.display_name))
                .collect();
            assert_eq!(
                markers[0], markers[1],
                "get_many: a pair straddled a rotation"
            );
            reads += 1;
            yield_now().await;
        }
        reads
    };
    let both: Vec<Pin<Box<dyn Future<Output = usize> + '_>>> =
        vec![Box::pin(rotator), Box::pin(reader)];
    let counts = join_all(both).await;
    assert!(counts[1] > 0, "get_many: the reader ran");
}

/// A future that returns `Pending` once, so concurrent futures interleave.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// Polls every future until all are done, on the caller's task: a join without a runtime.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// `Secrets::set_details` refuses a display name or description holding a NUL
/// (which PostgreSQL's `text` cannot store) with `invalid_details`, the same on
/// every store, before anything is written: the record keeps its revision and
/// details. The same details without the NUL are accepted.
pub async fn details_text_is_checked_before_any_write<S: SecretStore>(store: &S) {
    use crate::{Actor, SecretDetails, SecretValue, Secrets, UserId, WorkspaceRole};
    let secrets = Secrets::new(vault(), store);
    let scope = workspace("acme");
    let admin = Actor::new(
        UserId::new("ada").unwrap(),
        id("acme"),
        WorkspaceRole::Admin,
    );
    let k = key("DETAILED");
    let value = SecretValue::new("v").unwrap();
    let created = secrets.create(&admin, &scope, &k, value).await.unwrap();
    let named = |name: &str, description: &str| SecretDetails {
        display_name: Some(name.to_owned()),
        description: Some(description.to_owned()),
        ..SecretDetails::default()
    };
    for (field, details) in [
        ("display_name", named("a\0b", "fine")),
        ("description", named("fine", "\0")),
        ("display_name", named("\0", "\0")),
    ] {
        let err = secrets
            .set_details(&admin, &scope, &k, details)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_details", "{field}: {err}");
        assert!(err.to_string().contains(field), "{field}: {err}");
        let now = store.get(&scope, &k).await.unwrap().unwrap();
        assert_eq!(now.meta, created, "{field}: nothing was written");
    }
    let meta = secrets
        .set_details(&admin, &scope, &k, named("a b", "line\nbreak"))
        .await
        .unwrap();
    assert_eq!(meta.revision, created.revision + 1);
    assert_eq!(meta.display_name.as_deref(), Some("a b"));
}

/// A mark of `workflow` using `k` from `scope` at `at`.
fn mark(scope: &Scope, k: &str, workflow: &str, at: u64) -> UsageMark {
    UsageMark::new(scope.clone(), key(k), id(workflow), at)
}

/// `(workflow, last_used_at)` of each usage row of `k` in `scope`, as answered.
async fn usage_of<S: SecretStore>(store: &S, scope: &Scope, k: &str) -> Vec<(String, u64)> {
    store
        .usage(scope, &key(k))
        .await
        .unwrap()
        .into_iter()
        .map(|u: Usage| (u.workflow.to_string(), u.last_used_at))
        .collect()
}

/// Usage marks come back as rows, one per workflow with its time, sorted by workflow
/// id bytewise (`"B" < "a"`); a (scope, key) with none answers an empty list; an
/// empty call writes nothing; times keep 64 bits.
pub async fn usage_round_trip<S: SecretStore>(store: &S) {
    let scope = workspace("acme");
    assert!(
        usage_of(store, &scope, "API_KEY").await.is_empty(),
        "usage_round_trip: nothing recorded"
    );
    store.record_usage(&[]).await.unwrap();
    let late = u64::MAX >> 1; // a store must keep times beyond 32 bits and 2^53
    store
        .record_usage(&[
            mark(&scope, "API_KEY", "wf-b", CREATED_AT + 2),
            mark(&scope, "API_KEY", "B-upper", late),
            mark(&scope, "API_KEY", "wf-a", CREATED_AT + 1),
        ])
        .await
        .unwrap();
    assert_eq!(
        usage_of(store, &scope, "API_KEY").await,
        [
            ("B-upper".to_owned(), late),
            ("wf-a".to_owned(), CREATED_AT + 1),
            ("wf-b".to_owned(), CREATED_AT + 2),
        ],
        "usage_round_trip: rows sorted by workflow bytewise"
    );
}

/// Per (scope, key, workflow) a store keeps the latest time it was given: a later
/// mark moves it, an earlier one (a slow host's flush) does not, and two marks of
/// one workflow in one call keep the later.
pub async fn usage_keeps_the_latest<S: SecretStore>(store: &S) {
    let scope = Scope::personal(id("acme"), id("ada"));
    let t = CREATED_AT;
    store
        .record_usage(&[mark(&scope, "K", "wf", t + 10)])
        .await
        .unwrap();
    store
        .record_usage(&[mark(&scope, "K", "wf", t + 5)])
        .await
        .unwrap();
    assert_eq!(
        usage_of(store, &scope, "K").await,
        [("wf".to_owned(), t + 10)],
        "usage_keeps_the_latest: an older mark changes nothing"
    );
    store
        .record_usage(&[mark(&scope, "K", "wf", t + 20)])
        .await
        .unwrap();
    assert_eq!(
        usage_of(store, &scope, "K").await,
        [("wf".to_owned(), t + 20)],
        "usage_keeps_the_latest: a later mark moves it"
    );
    store
        .record_usage(&[
            mark(&scope, "K", "wf", t + 40),
            mark(&scope, "K", "wf", t + 30),
        ])
        .await
        .unwrap();
    assert_eq!(
        usage_of(store, &scope, "K").await,
        [("wf".to_owned(), t + 40)],
        "usage_keeps_the_latest: two marks in one call"
    );
}

/// Usage rows are bound to their (scope, key), compared byte for byte: another
/// workspace (even one differing in case, trailing space or normalization), another
/// scope kind, another user's or workflow's scope, or a key differing in case never
/// answers them; workflow ids that differ only in case, a trailing space or Unicode
/// normalization are different workflows.
pub async fn usage_stays_where_recorded<S: SecretStore>(store: &S) {
    let (a, b) = (id::<WorkspaceId>("acme"), id::<WorkspaceId>("Acme"));
    let recorded = Scope::workflow(a.clone(), id("wf-1"));
    let workflows = ["wf", "Wf", "wf ", "caf\u{e9}", "cafe\u{301}"];
    let marks: Vec<UsageMark> = workflows
        .iter()
        .enumerate()
        .map(|(i, w)| mark(&recorded, "Token", w, CREATED_AT + i as u64))
        .collect();
    store.record_usage(&marks).await.unwrap();
    let mut want: Vec<(String, u64)> = workflows
        .iter()
        .enumerate()
        .map(|(i, w)| ((*w).to_owned(), CREATED_AT + i as u64))
        .collect();
    want.sort_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()));
    assert_eq!(
        usage_of(store, &recorded, "Token").await,
        want,
        "usage_stays_where_recorded: five workflows, bytewise"
    );
    let elsewhere = [
        Scope::workflow(b.clone(), id("wf-1")),
        Scope::workflow(id("acme "), id("wf-1")),
        Scope::workflow(a.clone(), id("wf-2")),
        Scope::workflow(a.clone(), id("WF-1")),
        Scope::workspace(a.clone()),
        Scope::personal(a.clone(), id("wf-1")),
        Scope::workspace(b),
    ];
    for scope in &elsewhere {
        assert!(
            usage_of(store, scope, "Token").await.is_empty(),
            "usage_stays_where_recorded: {scope:?}"
        );
    }
    for other in ["TOKEN", "token", "Token_"] {
        assert!(
            usage_of(store, &recorded, other).await.is_empty(),
            "usage_stays_where_recorded: key {other}"
        );
    }
}

/// Usage describes a name, not a stored value: rows are kept whether or not a record
/// exists, and a batch that writes or deletes the record leaves them.
pub async fn usage_outlives_the_record<S: SecretStore>(store: &S) {
    let f = vault();
    let scope = workspace("acme");
    store
        .record_usage(&[mark(&scope, "API_KEY", "wf", CREATED_AT)])
        .await
        .unwrap();
    put(store, record(&f, &scope, "API_KEY", "v-1"), Expect::Absent).await;
    let delete = WriteOp::Delete {
        scope: scope.clone(),
        key: key("API_KEY"),
        expect: Expect::Any,
    };
    store.write(WriteBatch::from(vec![delete])).await.unwrap();
    assert_eq!(
        usage_of(store, &scope, "API_KEY").await,
        [("wf".to_owned(), CREATED_AT)],
        "usage_outlives_the_record"
    );
}
