#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Kept versions and restore through `Secrets`: what each write keeps, who may list
//! and restore, what a restore does and records, and the record binding of the
//! history slot (a kept version never opens as the current value, nor the reverse).

mod common;

use common::*;

const V1: &str = "sk-live-version-one-0001";
const V2: &str = "sk-live-version-two-0002";
const V3: &str = "sk-live-version-three-03";

/// The kept versions of `name` in `scope`, as (version, reason, by, restored_from).
fn history(w: &World, scope: &Scope, name: &str) -> Vec<(u64, VersionReason, String, Option<u64>)> {
    block_on(w.secrets.versions(&admin(), scope, &key(name)))
        .unwrap()
        .into_iter()
        .map(|v| {
            (
                v.version,
                v.reason,
                v.written_by.to_string(),
                v.restored_from,
            )
        })
        .collect()
}

/// Whether the current value of `name` is `text`, by `verify` (never revealed).
fn current_is(w: &World, scope: &Scope, name: &str, text: &str) -> bool {
    block_on(w.secrets.verify(&admin(), scope, &key(name), &value(text))).unwrap()
}

/// What a run resolves for `name` in the workspace scope.
fn resolved(w: &World, name: &str) -> String {
    let ctx = RunContext::manual(ws(), wf(), user("admin"), user("admin"));
    let step = w.resolver.step(&ctx);
    let value = block_on(step.credential(name)).unwrap();
    value.expose_secret().to_owned()
}

#[test]
fn every_write_of_a_value_is_kept_with_why_and_by_whom() {
    let w = World::new();
    let scope = workspace_scope();
    let sam = member("sam", WorkspaceRole::Editor);
    block_on(w.secrets.create(&admin(), &scope, &key("K"), value(V1))).unwrap();
    let mut details = SecretDetails::default();
    details.members.insert(user("sam"), SecretRole::Admin);
    block_on(w.secrets.set_details(&admin(), &scope, &key("K"), details)).unwrap();
    block_on(w.secrets.rotate(&sam, &scope, &key("K"), value(V2))).unwrap();
    block_on(w.secrets.put(&admin(), &scope, &key("K"), value(V3))).unwrap();
    block_on(w.secrets.import_env(
        &admin(),
        &scope,
        "K=imported-value-04\nNEW=fresh-value-0001\n",
        ImportMode::Upsert,
    ))
    .unwrap();
    assert_eq!(
        history(&w, &scope, "K"),
        [
            (4, VersionReason::Import, "admin".into(), None),
            (3, VersionReason::Rotate, "admin".into(), None),
            (2, VersionReason::Rotate, "sam".into(), None),
            (1, VersionReason::Create, "admin".into(), None),
        ],
        "a details edit keeps no version; every value does"
    );
    assert_eq!(
        history(&w, &scope, "NEW"),
        [(1, VersionReason::Import, "admin".into(), None)]
    );
    // `put` that creates keeps a `Create`.
    block_on(w.secrets.put(&admin(), &scope, &key("PUT_NEW"), value(V1))).unwrap();
    assert_eq!(
        history(&w, &scope, "PUT_NEW"),
        [(1, VersionReason::Create, "admin".into(), None)]
    );
}

#[test]
fn a_restore_makes_an_old_value_current_as_a_new_version() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "K", V1);
    w.rotate(&scope, "K", V2);
    assert_eq!(resolved(&w, "K"), V2);
    let meta = block_on(w.secrets.restore(&admin(), &scope, &key("K"), 1)).unwrap();
    assert_eq!((meta.version, meta.revision), (3, 3));
    assert!(current_is(&w, &scope, "K", V1));
    assert_eq!(
        resolved(&w, "K"),
        V1,
        "the next step resolves the restored value"
    );
    assert_eq!(
        history(&w, &scope, "K"),
        [
            (3, VersionReason::Restore, "admin".into(), Some(1)),
            (2, VersionReason::Rotate, "admin".into(), None),
            (1, VersionReason::Create, "admin".into(), None),
        ]
    );
    // The restore itself can be undone.
    block_on(w.secrets.restore(&admin(), &scope, &key("K"), 2)).unwrap();
    assert!(current_is(&w, &scope, "K", V2));
    // Restoring the current version is a harmless new version of the same value.
    let meta = block_on(w.secrets.restore(&admin(), &scope, &key("K"), 4)).unwrap();
    assert_eq!(meta.version, 5);
    assert!(current_is(&w, &scope, "K", V2));
    let listed = block_on(w.secrets.meta(&admin(), &scope, &key("K"))).unwrap();
    assert_eq!(listed.value_changed_at, meta.value_changed_at);
}

#[test]
fn only_the_last_n_versions_are_kept() {
    let w = World::new();
    let secrets = Secrets::new(w.vault.clone(), w.store.clone()).with_versions_kept(3);
    let scope = workspace_scope();
    block_on(secrets.create(&admin(), &scope, &key("K"), value("value-0001"))).unwrap();
    for n in 2..=6 {
        block_on(secrets.rotate(&admin(), &scope, &key("K"), value(&format!("value-000{n}"))))
            .unwrap();
    }
    let kept: Vec<u64> = history(&w, &scope, "K").iter().map(|v| v.0).collect();
    assert_eq!(kept, [6, 5, 4]);
    let gone = block_on(secrets.restore(&admin(), &scope, &key("K"), 3)).unwrap_err();
    assert_eq!(gone.code(), "not_found");
    assert!(
        matches!(gone, Error::VersionNotFound { version: 3, .. }),
        "{gone:?}"
    );
    let never = block_on(secrets.restore(&admin(), &scope, &key("K"), 99)).unwrap_err();
    assert_eq!(never.code(), "not_found");
    block_on(secrets.restore(&admin(), &scope, &key("K"), 4)).unwrap();
    assert!(current_is(&w, &scope, "K", "value-0004"));
    // The bound: 0 keeps the current one, a huge number keeps 100.
    let one = Secrets::new(w.vault.clone(), w.store.clone()).with_versions_kept(0);
    block_on(one.rotate(&admin(), &scope, &key("K"), value("value-0008"))).unwrap();
    assert_eq!(history(&w, &scope, "K").len(), 1);
    let many = Secrets::new(w.vault.clone(), w.store.clone()).with_versions_kept(usize::MAX);
    for n in 0..105 {
        block_on(many.rotate(&admin(), &scope, &key("K"), value(&format!("value-{n:04}"))))
            .unwrap();
    }
    assert_eq!(history(&w, &scope, "K").len(), MAX_VERSIONS_KEPT);
}

/// Who may list versions (whoever may read the secret's metadata) and restore one
/// (whoever may rotate it), as named cases.
#[test]
fn who_may_list_and_restore() {
    struct Case {
        name: &'static str,
        actor: Actor,
        scope: Scope,
        list: Result<(), &'static str>,
        restore: Result<(), &'static str>,
    }
    let viewer = member("vic", WorkspaceRole::Viewer);
    let sam = member("sam", WorkspaceRole::Editor);
    let outsider = Actor::new(
        user("admin"),
        WorkspaceId::new("elsewhere").unwrap(),
        WorkspaceRole::Admin,
    );
    let cases = [
        Case {
            name: "workspace admin",
            actor: admin(),
            scope: workspace_scope(),
            list: Ok(()),
            restore: Ok(()),
        },
        Case {
            name: "viewer",
            actor: viewer.clone(),
            scope: workspace_scope(),
            list: Ok(()),
            restore: Err("permission_denied"),
        },
        Case {
            name: "the secret's own admin member",
            actor: sam,
            scope: workspace_scope(),
            list: Ok(()),
            restore: Ok(()),
        },
        Case {
            name: "another workspace's admin",
            actor: outsider,
            scope: workspace_scope(),
            list: Err("permission_denied"),
            restore: Err("permission_denied"),
        },
        Case {
            name: "personal: its owner",
            actor: member("pat", WorkspaceRole::Runner),
            scope: personal("pat"),
            list: Ok(()),
            restore: Ok(()),
        },
        Case {
            name: "personal: a workspace admin",
            actor: admin(),
            scope: personal("pat"),
            list: Err("permission_denied"),
            restore: Err("permission_denied"),
        },
        Case {
            name: "personal: another member",
            actor: viewer,
            scope: personal("pat"),
            list: Err("permission_denied"),
            restore: Err("permission_denied"),
        },
    ];
    for case in cases {
        let w = World::new();
        w.put(&case.scope, "K", V1);
        w.rotate(&case.scope, "K", V2);
        if case.scope == workspace_scope() {
            let mut details = SecretDetails::default();
            details.members.insert(user("sam"), SecretRole::Admin);
            block_on(
                w.secrets
                    .set_details(&admin(), &case.scope, &key("K"), details),
            )
            .unwrap();
        }
        let code = |r: Result<(), Error>| r.map_err(|e| e.code().to_string());
        let listed = block_on(w.secrets.versions(&case.actor, &case.scope, &key("K"))).map(|_| ());
        assert_eq!(
            code(listed),
            case.list.map_err(String::from),
            "{}: versions",
            case.name
        );
        let restored =
            block_on(w.secrets.restore(&case.actor, &case.scope, &key("K"), 1)).map(|_| ());
        assert_eq!(
            code(restored),
            case.restore.map_err(String::from),
            "{}: restore",
            case.name
        );
        let events = w.audit.take();
        let last = events.last().unwrap();
        let want_kind = if case.restore.is_ok() {
            AuditKind::Restored
        } else {
            AuditKind::Denied
        };
        assert_eq!(last.kind, want_kind, "{}", case.name);
        // Refused or not, nothing of a refused restore was written.
        let is_v1 = case.restore.is_ok();
        let owner = match &case.scope {
            Scope::Personal { user, .. } => Actor::new(user.clone(), ws(), WorkspaceRole::Runner),
            _ => admin(),
        };
        let current =
            block_on(w.secrets.verify(&owner, &case.scope, &key("K"), &value(V1))).unwrap();
        assert_eq!(current, is_v1, "{}: current value", case.name);
    }
    // Absent secret: not_found.
    let w = World::new();
    let err = block_on(
        w.secrets
            .restore(&admin(), &workspace_scope(), &key("NOPE"), 1),
    )
    .unwrap_err();
    assert_eq!(err.code(), "not_found");
    let err = block_on(
        w.secrets
            .versions(&admin(), &workspace_scope(), &key("NOPE")),
    )
    .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[test]
fn a_restore_is_audited_with_both_versions_and_no_value() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "K", V1);
    w.rotate(&scope, "K", V2);
    w.audit.take();
    block_on(w.secrets.restore(&admin(), &scope, &key("K"), 1)).unwrap();
    let events = w.audit.take();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.kind, AuditKind::Restored);
    assert_eq!((event.version, event.restored_from), (Some(3), Some(1)));
    assert_eq!(event.keys, [key("K")]);
    assert_eq!(event.outcome, Ok(()));
    let shown = format!("{event:?} {}", serde_json::to_string(event).unwrap());
    for secret in [V1, V2] {
        assert!(!shown.contains(secret), "{shown}");
    }
    // A failed restore records the version it tried, and no new version.
    let err = block_on(w.secrets.restore(&admin(), &scope, &key("K"), 42)).unwrap_err();
    let event = w.audit.take().pop().unwrap();
    assert_eq!(
        (event.kind, event.outcome),
        (AuditKind::Restored, Err(err.kind()))
    );
    assert_eq!((event.version, event.restored_from), (None, Some(42)));
    // Listing versions is a `Listed` event naming the key.
    block_on(w.secrets.versions(&admin(), &scope, &key("K"))).unwrap();
    let event = w.audit.take().pop().unwrap();
    assert_eq!(
        (event.kind, event.keys.clone()),
        (AuditKind::Listed, vec![key("K")])
    );
}

#[test]
fn versions_are_metadata_only() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "K", V1);
    w.rotate(&scope, "K", V2);
    let listed = block_on(w.secrets.versions(&admin(), &scope, &key("K"))).unwrap();
    let kept = block_on(w.store.versions(&scope, &key("K"))).unwrap();
    let shown = format!(
        "{listed:?} {} {kept:?} {}",
        serde_json::to_string(&listed).unwrap(),
        block_on(w.secrets.restore(&admin(), &scope, &key("K"), 7)).unwrap_err()
    );
    for secret in [V1, V2] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

/// A database writer who copies a kept version into the current slot (to bring an
/// old value back without an audited restore), or the current value into the
/// history, gets records that do not open: the role is bound.
#[test]
fn the_history_slot_and_the_current_slot_do_not_mix() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "K", V1);
    w.rotate(&scope, "K", V2);
    let current = block_on(w.store.get(&scope, &key("K"))).unwrap().unwrap();
    let kept = block_on(w.store.versions(&scope, &key("K"))).unwrap();
    let v1 = kept.iter().find(|k| k.meta.version == 1).unwrap().clone();

    // Version 1's kept record, put in the current slot with version 1's metadata.
    let mut rolled_back = current.clone();
    rolled_back.meta.version = 1;
    rolled_back.sealed = v1.sealed.clone();
    let batch = WriteBatch::from(vec![WriteOp::Put {
        record: rolled_back,
        expect: Expect::Any,
    }]);
    block_on(w.store.write(batch)).unwrap();
    let err = block_on(w.secrets.verify(&admin(), &scope, &key("K"), &value(V1))).unwrap_err();
    assert_eq!(
        err.code(),
        "tampered",
        "a kept version does not open as current"
    );
    let ctx = RunContext::manual(ws(), wf(), user("admin"), user("admin"));
    let err = block_on(w.resolver.step(&ctx).credential("K")).unwrap_err();
    assert_eq!(err.code(), "tampered", "nor does a run resolve it");

    // The current record (format 2, role current) put in the history as version 9.
    let mut forged = v1.clone();
    forged.meta.version = 2;
    forged.sealed = current.sealed.clone();
    let batch = WriteBatch::from(vec![WriteOp::Keep {
        version: forged,
        keep: 10,
        expect: Expect::Any,
    }]);
    block_on(w.store.write(batch)).unwrap();
    let err = block_on(w.secrets.restore(&admin(), &scope, &key("K"), 2)).unwrap_err();
    assert_eq!(
        err.code(),
        "tampered",
        "a current record does not open as a kept version"
    );
    // And a kept version under another version number does not open either.
    let mut renumbered = v1;
    renumbered.meta.version = 5;
    let batch = WriteBatch::from(vec![WriteOp::Keep {
        version: renumbered,
        keep: 10,
        expect: Expect::Any,
    }]);
    block_on(w.store.write(batch)).unwrap();
    let err = block_on(w.secrets.restore(&admin(), &scope, &key("K"), 5)).unwrap_err();
    assert_eq!(err.code(), "tampered");
}

#[test]
fn deleting_a_secret_deletes_its_versions() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "K", V1);
    w.rotate(&scope, "K", V2);
    block_on(w.secrets.delete(&admin(), &scope, &key("K"))).unwrap();
    assert!(
        block_on(w.store.versions(&scope, &key("K")))
            .unwrap()
            .is_empty()
    );
    w.put(&scope, "K", V3);
    assert_eq!(
        history(&w, &scope, "K").len(),
        1,
        "a new key has no old history"
    );
    let err = block_on(w.secrets.restore(&admin(), &scope, &key("K"), 2)).unwrap_err();
    assert_eq!(err.code(), "not_found");
    // purge too.
    w.put(&personal("pat"), "P", V1);
    w.rotate(&personal("pat"), "P", V2);
    block_on(w.secrets.purge(&admin(), &personal("pat"))).unwrap();
    assert!(
        block_on(w.store.versions(&personal("pat"), &key("P")))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn rewrap_all_moves_kept_versions_too() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "K", V1);
    w.rotate(&scope, "K", V2);
    w.rotate(&scope, "K", V3);
    w.keyring
        .add_key(KeyId::from(77), Zeroizing::new([3u8; 32]))
        .unwrap();
    let old = w.keyring.active_key();
    w.keyring.set_active(KeyId::from(77)).unwrap();
    let report = block_on(w.secrets.rewrap_all(&admin(), &scope)).unwrap();
    assert_eq!(report.rewrapped, [key("K")]);
    let kept = block_on(w.store.versions(&scope, &key("K"))).unwrap();
    assert_eq!(kept.len(), 3);
    assert!(kept.iter().all(|k| k.sealed.key_id() == KeyId::from(77)));
    // A second pass has nothing to do.
    let report = block_on(w.secrets.rewrap_all(&admin(), &scope)).unwrap();
    assert_eq!(
        (report.rewrapped.len(), report.already_current.len()),
        (0, 1)
    );
    // With the old key gone, every version still restores.
    w.keyring.remove_key(old).unwrap();
    block_on(w.secrets.restore(&admin(), &scope, &key("K"), 1)).unwrap();
    assert!(current_is(&w, &scope, "K", V1));
    // A kept version that does not open is reported, and blocks nothing else.
    let mut kept = block_on(w.store.versions(&scope, &key("K"))).unwrap();
    let mut broken = kept.remove(1);
    let mut bytes = broken.sealed.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    broken.sealed = SealedSecret::from_bytes(&bytes).unwrap();
    block_on(w.store.write(WriteBatch::from(vec![WriteOp::Keep {
        version: broken,
        keep: 10,
        expect: Expect::Any,
    }])))
    .unwrap();
    w.keyring
        .add_key(KeyId::from(78), Zeroizing::new([4u8; 32]))
        .unwrap();
    w.keyring.set_active(KeyId::from(78)).unwrap();
    w.put(&scope, "OTHER", V1);
    // The tampered tag is the value's: a rewrap re-wraps the data key and cannot see it.
    let report = block_on(w.secrets.rewrap_all(&admin(), &scope)).unwrap();
    assert_eq!(report.rewrapped, [key("K")]);
    assert_eq!(report.already_current, [key("OTHER")]);
}

/// A record written before versions were kept (format 1, here a frozen golden
/// vector) has no kept copy: its first rotation keeps it as an `Earlier` version,
/// so that rotation can be undone too.
#[test]
fn the_first_rotation_of_an_older_record_keeps_its_value() {
    let v = GoldenV1::load();
    let vault = v.vault();
    let store = std::sync::Arc::new(MemoryStore::new());
    let scope = workspace_scope();
    let mut meta = SecretMeta::new(scope.clone(), key("EMPTY"), user("old-admin"), 1_000);
    meta.version = 3;
    meta.value_changed_at = 2_000;
    meta.updated_by = user("old-rotator");
    let old = StoredSecret {
        meta,
        sealed: v.sealed.clone(),
    };
    block_on(store.write(WriteBatch::from(vec![WriteOp::Put {
        record: old,
        expect: Expect::Absent,
    }])))
    .unwrap();
    let secrets = Secrets::new(vault, store);

    let before = block_on(secrets.versions(&admin(), &scope, &key("EMPTY"))).unwrap();
    assert!(before.is_empty(), "written before versions were kept");
    block_on(secrets.rotate(&admin(), &scope, &key("EMPTY"), value(V2))).unwrap();
    let after: Vec<_> = block_on(secrets.versions(&admin(), &scope, &key("EMPTY")))
        .unwrap()
        .into_iter()
        .map(|m| (m.version, m.reason, m.written_by.to_string(), m.written_at))
        .collect();
    assert_eq!(
        after[1],
        (3, VersionReason::Earlier, "old-rotator".into(), 2_000)
    );
    assert_eq!((after[0].0, after[0].1), (4, VersionReason::Rotate));
    block_on(secrets.restore(&admin(), &scope, &key("EMPTY"), 3)).unwrap();
    let restored = block_on(secrets.verify(&admin(), &scope, &key("EMPTY"), &value(&v.value)));
    assert!(restored.unwrap(), "the golden value is current again");
}

/// How a lying store bends its answer to `versions` (or `list`).
#[derive(Clone, Copy, Debug)]
enum Bend {
    /// One version names another key.
    OtherKey,
    /// One version names another scope.
    OtherScope,
    /// A version twice (a copied row).
    Repeat,
    /// Lowest first.
    Ascending,
    /// More than any write keeps.
    TooMany,
    /// The listing repeats a key.
    ListRepeat,
}

/// A store that answers `versions` and `list` bent as `bend` says.
struct Bent {
    inner: std::sync::Arc<MemoryStore>,
    bend: Bend,
}

impl SecretStore for Bent {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        self.inner.get(scope, key).await
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        let mut listed = self.inner.list(scope).await?;
        if let (Bend::ListRepeat, Some(first)) = (self.bend, listed.first().cloned()) {
            listed.insert(0, first);
        }
        Ok(listed)
    }
    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.inner.write(batch).await
    }
    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        self.inner.scopes(workspace).await
    }
    async fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<KeptVersion>, StoreError> {
        let mut kept = self.inner.versions(scope, key).await?;
        match self.bend {
            Bend::OtherKey => kept[1].meta.key = SecretKey::new("OTHER").unwrap(),
            Bend::OtherScope => kept[1].meta.scope = personal("pat"),
            Bend::Repeat => {
                let again = kept[1].clone();
                kept.insert(1, again);
            }
            Bend::Ascending => kept.reverse(),
            Bend::TooMany => {
                let last = kept.last().unwrap().clone();
                while kept.len() <= MAX_VERSIONS_KEPT {
                    let mut older = last.clone();
                    older.meta.version = 0;
                    kept.push(older);
                }
                // Strictly descending still: number them down from the last.
                let n = kept.len() as u64;
                for (i, k) in kept.iter_mut().enumerate() {
                    k.meta.version = n - i as u64 + 1_000;
                }
            }
            Bend::ListRepeat => {}
        }
        Ok(kept)
    }
}

/// A store's answer to `versions` is checked against the request before anything
/// is listed or opened: a version of another key or scope, a repeated or
/// misordered version, or more than any write keeps is refused as `store`; so is a
/// listing that repeats a key.
#[test]
fn a_bent_answer_about_versions_is_refused() {
    for bend in [
        Bend::OtherKey,
        Bend::OtherScope,
        Bend::Repeat,
        Bend::Ascending,
        Bend::TooMany,
    ] {
        let w = World::new();
        let scope = workspace_scope();
        w.put(&scope, "K", V1);
        w.rotate(&scope, "K", V2);
        w.rotate(&scope, "K", V3);
        let secrets = Secrets::new(
            w.vault.clone(),
            Bent {
                inner: w.store.clone(),
                bend,
            },
        );
        let listed = block_on(secrets.versions(&admin(), &scope, &key("K"))).unwrap_err();
        assert_eq!(listed.code(), "store", "{bend:?}: versions");
        let restored = block_on(secrets.restore(&admin(), &scope, &key("K"), 1)).unwrap_err();
        assert_eq!(restored.code(), "store", "{bend:?}: restore");
        let renamed =
            block_on(secrets.rename(&admin(), &scope, &key("K"), &key("NEW"))).unwrap_err();
        assert_eq!(renamed.code(), "store", "{bend:?}: rename");
        assert!(current_is(&w, &scope, "K", V3), "{bend:?}: nothing written");
    }
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "A", V1);
    w.put(&scope, "B", V2);
    let secrets = Secrets::new(
        w.vault.clone(),
        Bent {
            inner: w.store.clone(),
            bend: Bend::ListRepeat,
        },
    );
    let err = block_on(secrets.list(&admin(), &scope)).unwrap_err();
    assert_eq!(err.code(), "store", "a listing that repeats a key");
}
