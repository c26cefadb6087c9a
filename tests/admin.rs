//! Administration: versions, revisions, permissions, audit, and values that never leak.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::collections::BTreeMap;

use common::*;

#[test]
fn create_rotate_delete_and_versions() {
    let w = World::new();
    let s = &w.secrets;
    let k = key("API_KEY");
    let meta = block_on(s.create(&admin(), &workspace_scope(), &k, value("v1-secret"))).unwrap();
    assert_eq!((meta.version, meta.revision), (1, 1));
    let again = block_on(s.create(&admin(), &workspace_scope(), &k, value("other")));
    assert_eq!(again.unwrap_err().code(), "already_exists");
    let meta = block_on(s.rotate(&admin(), &workspace_scope(), &k, value("v2-secret"))).unwrap();
    assert_eq!((meta.version, meta.revision), (2, 2));
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let resolved = block_on(w.resolver.resolve(&ctx, &k)).unwrap();
    assert_eq!(resolved.value.expose_secret(), "v2-secret");
    assert_eq!(resolved.source, Source::Workspace { version: 2 });
    block_on(s.delete(&admin(), &workspace_scope(), &k)).unwrap();
    let gone = block_on(w.resolver.resolve(&ctx, &k)).unwrap_err();
    assert_eq!(gone.code(), "missing_credential");
    assert_eq!(
        block_on(s.delete(&admin(), &workspace_scope(), &k))
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert_eq!(
        block_on(s.rotate(&admin(), &workspace_scope(), &k, value("x")))
            .unwrap_err()
            .code(),
        "not_found"
    );
}

#[test]
fn role_table() {
    let w = World::new();
    w.put(&workspace_scope(), "SHARED", "shared-value-1");
    let s = &w.secrets;
    let details = SecretDetails {
        members: BTreeMap::from([
            (user("sam"), SecretRole::Admin),
            (user("mia"), SecretRole::Member),
        ]),
        ..Default::default()
    };
    block_on(s.set_details(&admin(), &workspace_scope(), &key("SHARED"), details)).unwrap();
    let editor = |n: &str| member(n, WorkspaceRole::Editor);
    let code = |r: Result<(), Error>| r.err().map(|e| e.code());
    // Per-secret admin: rotate and edit details of that secret; not delete, not create.
    assert_eq!(
        code(
            block_on(s.rotate(
                &editor("sam"),
                &workspace_scope(),
                &key("SHARED"),
                value("v2")
            ))
            .map(|_| ())
        ),
        None
    );
    assert_eq!(
        code(
            block_on(s.set_details(
                &editor("sam"),
                &workspace_scope(),
                &key("SHARED"),
                SecretDetails::default()
            ))
            .map(|_| ())
        ),
        None
    );
    // Those details removed sam's role: now sam is refused.
    assert_eq!(
        code(
            block_on(s.rotate(
                &editor("sam"),
                &workspace_scope(),
                &key("SHARED"),
                value("v3")
            ))
            .map(|_| ())
        ),
        Some("permission_denied")
    );
    assert_eq!(
        code(block_on(s.delete(
            &editor("sam"),
            &workspace_scope(),
            &key("SHARED")
        ))),
        Some("permission_denied")
    );
    assert_eq!(
        code(
            block_on(s.create(&editor("sam"), &workspace_scope(), &key("NEW"), value("n")))
                .map(|_| ())
        ),
        Some("permission_denied")
    );
    // Any member lists workspace and workflow metadata, external ones included.
    let mut guest = member("gus", WorkspaceRole::Viewer);
    guest.external = true;
    assert_eq!(
        block_on(s.list(&guest, &workspace_scope())).unwrap().len(),
        1
    );
    assert!(
        block_on(s.list(&guest, &workflow_scope()))
            .unwrap()
            .is_empty()
    );
    // Non-admins create nothing in shared scopes.
    for role in [
        WorkspaceRole::Editor,
        WorkspaceRole::Runner,
        WorkspaceRole::Viewer,
    ] {
        let r = block_on(s.create(&member("x", role), &workflow_scope(), &key("W"), value("w")));
        assert_eq!(r.unwrap_err().code(), "permission_denied", "{role:?}");
    }
}

#[test]
fn personal_secrets_are_their_owners_alone() {
    let w = World::new();
    w.put(&personal("ada"), "MINE", "ada-personal-secret");
    let s = &w.secrets;
    let ada = member("ada", WorkspaceRole::Viewer);
    assert_eq!(block_on(s.list(&ada, &personal("ada"))).unwrap().len(), 1);
    block_on(s.rotate(
        &ada,
        &personal("ada"),
        &key("MINE"),
        value("ada-personal-2"),
    ))
    .unwrap();
    for intruder in [admin(), member("bob", WorkspaceRole::Editor)] {
        let codes = [
            block_on(s.list(&intruder, &personal("ada"))).map(|_| ()),
            block_on(s.rotate(&intruder, &personal("ada"), &key("MINE"), value("x"))).map(|_| ()),
            block_on(s.delete(&intruder, &personal("ada"), &key("MINE"))),
            block_on(s.create(&intruder, &personal("ada"), &key("PLANTED"), value("x")))
                .map(|_| ()),
            block_on(s.set_details(
                &intruder,
                &personal("ada"),
                &key("MINE"),
                SecretDetails::default(),
            ))
            .map(|_| ()),
        ];
        for (i, r) in codes.into_iter().enumerate() {
            assert_eq!(
                r.unwrap_err().code(),
                "permission_denied",
                "{} call {i}",
                intruder.user
            );
        }
    }
    // Admins may re-wrap and purge (off-boarding), never read.
    let report = block_on(s.rewrap_all(&admin(), &personal("ada"))).unwrap();
    assert_eq!(report.already_current, [key("MINE")]);
    assert_eq!(
        block_on(s.purge(&member("bob", WorkspaceRole::Editor), &personal("ada")))
            .unwrap_err()
            .code(),
        "permission_denied"
    );
    assert_eq!(block_on(s.purge(&admin(), &personal("ada"))).unwrap(), 1);
    assert!(block_on(s.list(&ada, &personal("ada"))).unwrap().is_empty());
}

fn racing(w: &World, other_write: impl FnOnce() + Send + 'static) -> Secrets<CutIn> {
    cut_in(w, other_write)
}

#[test]
fn a_details_edit_racing_a_rotation_loses_neither() {
    let w = World::new();
    w.put(&workspace_scope(), "K", "v1-value");
    let other = Secrets::new(w.vault.clone(), w.store.clone());
    // The edit reads revision 1; a rotation lands; the edit's write conflicts, re-reads, lands.
    let edit = racing(&w, move || {
        block_on(other.rotate(&admin(), &workspace_scope(), &key("K"), value("v2-value"))).unwrap();
    });
    let details = SecretDetails {
        display_name: Some("Production".into()),
        ..Default::default()
    };
    block_on(edit.set_details(&admin(), &workspace_scope(), &key("K"), details)).unwrap();
    let meta = block_on(w.secrets.list(&admin(), &workspace_scope()))
        .unwrap()
        .remove(0);
    assert_eq!((meta.version, meta.revision), (2, 3));
    assert_eq!(meta.display_name.as_deref(), Some("Production"));
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    assert_eq!(
        block_on(w.resolver.resolve(&ctx, &key("K")))
            .unwrap()
            .value
            .expose_secret(),
        "v2-value"
    );

    // And the other way round: a rotation racing a details edit keeps both.
    let other = Secrets::new(w.vault.clone(), w.store.clone());
    let rotation = racing(&w, move || {
        let d = SecretDetails {
            description: Some("edited".into()),
            ..Default::default()
        };
        block_on(other.set_details(&admin(), &workspace_scope(), &key("K"), d)).unwrap();
    });
    block_on(rotation.rotate(&admin(), &workspace_scope(), &key("K"), value("v3-value"))).unwrap();
    let meta = block_on(w.secrets.list(&admin(), &workspace_scope()))
        .unwrap()
        .remove(0);
    assert_eq!((meta.version, meta.revision), (3, 5));
    assert_eq!(meta.description.as_deref(), Some("edited"));

    // A rewrap racing a details edit: the edit survives, and so does the value.
    w.keyring
        .add_key(KeyId::from(2), Zeroizing::new([7u8; 32]))
        .unwrap();
    w.keyring.set_active(KeyId::from(2)).unwrap();
    let other = Secrets::new(w.vault.clone(), w.store.clone());
    let rewrap = racing(&w, move || {
        let d = SecretDetails {
            description: Some("during rewrap".into()),
            ..Default::default()
        };
        block_on(other.set_details(&admin(), &workspace_scope(), &key("K"), d)).unwrap();
    });
    let report = block_on(rewrap.rewrap_all(&admin(), &workspace_scope())).unwrap();
    assert_eq!(report.rewrapped, [key("K")]);
    let record = block_on(w.store.get(&workspace_scope(), &key("K")))
        .unwrap()
        .unwrap();
    assert_eq!(record.sealed.key_id(), KeyId::from(2));
    let meta = block_on(w.secrets.list(&admin(), &workspace_scope()))
        .unwrap()
        .remove(0);
    assert_eq!(meta.description.as_deref(), Some("during rewrap"));
    assert_eq!(
        block_on(w.resolver.resolve(&ctx, &key("K")))
            .unwrap()
            .value
            .expose_secret(),
        "v3-value"
    );
}

#[test]
fn concurrent_rotations_and_edits_from_threads_all_land() {
    let w = World::new();
    w.put(&workspace_scope(), "K", "v1-value");
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let secrets = Secrets::new(w.vault.clone(), w.store.clone());
            std::thread::spawn(move || {
                for j in 0..25 {
                    // `conflict` after the internal retries is part of the contract: retry.
                    loop {
                        let result = if i % 2 == 0 {
                            let v = value(&format!("t{i}-{j}"));
                            block_on(secrets.rotate(&admin(), &workspace_scope(), &key("K"), v))
                        } else {
                            let d = SecretDetails {
                                description: Some(format!("t{i}-{j}")),
                                ..Default::default()
                            };
                            block_on(secrets.set_details(
                                &admin(),
                                &workspace_scope(),
                                &key("K"),
                                d,
                            ))
                        };
                        match result {
                            Ok(_) => break,
                            Err(e) => assert_eq!(e.code(), "conflict"),
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let meta = block_on(w.secrets.list(&admin(), &workspace_scope()))
        .unwrap()
        .remove(0);
    assert_eq!(
        meta.version,
        1 + 50,
        "every rotation landed with its own version"
    );
    assert_eq!(meta.revision, 1 + 100, "every write landed");
}

#[test]
fn audit_events_name_keys_never_values() {
    let w = World::new();
    let marker = "sk-live-MARKER-4242";
    w.put(&workspace_scope(), "API_KEY", marker);
    w.rotate(&workspace_scope(), "API_KEY", marker);
    let ctx = RunContext::automated(ws(), wf(), user("o"), Trigger::Webhook);
    block_on(w.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    let _ = block_on(w.secrets.workspace_redactor(&admin())).unwrap();
    let _ = block_on(w.secrets.create(
        &member("x", WorkspaceRole::Viewer),
        &workspace_scope(),
        &key("B"),
        value(marker),
    ));
    block_on(
        w.secrets
            .delete(&admin(), &workspace_scope(), &key("API_KEY")),
    )
    .unwrap();
    let events = w.audit.events();
    let kinds: Vec<AuditKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            AuditKind::Created,
            AuditKind::Rotated,
            AuditKind::Resolved,
            AuditKind::WorkspaceRedactor,
            AuditKind::Denied,
            AuditKind::Deleted
        ]
    );
    let resolved = &events[2];
    assert_eq!(
        resolved.run,
        Some(AuditRun::new(wf(), Trigger::Webhook, false))
    );
    assert_eq!(resolved.version, Some(2));
    assert_eq!(
        resolved.scope,
        Some(workspace_scope()),
        "the scope that held the value"
    );
    assert_eq!(
        events[0].scope,
        Some(workspace_scope()),
        "the scope written"
    );
    assert_eq!(resolved.actor, None);
    assert_eq!(events[4].outcome, Err(ErrorCode::PermissionDenied));
    assert!(!format!("{events:?}").contains(marker));
    assert!(!format!("{events:?}").contains("MARKER"));
}

#[test]
fn listings_debug_and_errors_never_carry_a_value() {
    let w = World::new();
    let marker = "sk-live-MARKER-9999";
    w.put(&workspace_scope(), "API_KEY", marker);
    let metas = block_on(w.secrets.list(&admin(), &workspace_scope())).unwrap();
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let resolved = block_on(w.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    let run = w.resolver.run(&ctx);
    let step = run.step();
    block_on(step.credential("API_KEY")).unwrap();
    let explanation = block_on(w.resolver.explain(&ctx, &key("API_KEY"), &admin())).unwrap();
    let shared = ctx.clone().shared_link(provided(&[("P", marker)]));
    let texts = [
        format!("{metas:?}"),
        serde_json::to_string(&metas).unwrap(),
        format!("{resolved:?}"),
        format!("{run:?} {step:?} {:?} {:?}", w.secrets, w.resolver),
        format!("{explanation:?} {explanation}"),
        format!("{shared:?}"),
        format!(
            "{:?}",
            block_on(w.secrets.create(
                &admin(),
                &workspace_scope(),
                &key("API_KEY"),
                value(marker)
            ))
        ),
    ];
    for text in texts {
        assert!(!text.contains(marker), "{text}");
    }
}

#[test]
fn only_workspace_admins_get_a_workspace_redactor() {
    let audit = MemoryAuditSink::new();
    let w = World::new();
    w.put(&workspace_scope(), "SHARED", "shared-value-1234");
    w.put(&personal("bob"), "MINE", "bobs-own-value-5678");
    let s = w.secrets.clone().with_audit(audit.clone());
    let text = "shared-value-1234 bobs-own-value-5678";
    let redactor = block_on(s.workspace_redactor(&admin())).unwrap();
    assert_eq!(redactor.redact(text), "*** ***");
    let mut guest_admin = member("gus", WorkspaceRole::Admin);
    guest_admin.external = true;
    assert!(block_on(s.workspace_redactor(&guest_admin)).is_ok());
    for role in [
        WorkspaceRole::Editor,
        WorkspaceRole::Runner,
        WorkspaceRole::Viewer,
    ] {
        // bob is refused even though one of the values is his own.
        let err = block_on(s.workspace_redactor(&member("bob", role))).unwrap_err();
        assert_eq!(err.code(), "permission_denied", "{role:?}");
        assert!(err.to_string().contains("workspace admins"), "{err}");
        let last = audit.events().pop().unwrap();
        assert_eq!(last.kind, AuditKind::Denied, "{role:?}");
        assert_eq!(last.outcome, Err(ErrorCode::PermissionDenied));
    }
}

#[test]
fn a_refusal_names_the_operation_refused() {
    let w = World::new();
    w.put(&workspace_scope(), "SHARED", "shared-value-1");
    let s = &w.secrets;
    let viewer = member("vic", WorkspaceRole::Viewer);
    let scope = workspace_scope();
    let k = key("SHARED");
    let cases: Vec<(&str, Result<(), Error>)> = vec![
        (
            "create secrets",
            block_on(s.create(&viewer, &scope, &key("N"), value("n"))).map(|_| ()),
        ),
        (
            "rotate this secret",
            block_on(s.rotate(&viewer, &scope, &k, value("n"))).map(|_| ()),
        ),
        (
            "edit this secret's details",
            block_on(s.set_details(&viewer, &scope, &k, SecretDetails::default())).map(|_| ()),
        ),
        ("delete secrets", block_on(s.delete(&viewer, &scope, &k))),
        (
            "list secrets",
            block_on(s.list(&viewer, &personal("bob"))).map(|_| ()),
        ),
        (
            "import secrets",
            block_on(s.import_env(&viewer, &scope, "A=b", ImportMode::Upsert)).map(|_| ()),
        ),
        (
            "re-wrap secrets",
            block_on(s.rewrap_all(&viewer, &scope)).map(|_| ()),
        ),
        (
            "purge secrets",
            block_on(s.purge(&viewer, &scope)).map(|_| ()),
        ),
    ];
    for (verb, result) in cases {
        let err = result.unwrap_err();
        assert_eq!(err.code(), "permission_denied", "{verb}");
        assert_eq!(
            err.to_string(),
            format!("permission denied: the actor may not {verb} in this scope")
        );
    }
}

/// A store that keeps `SecretMeta` in the row, after a database writer copied the
/// record at `to` over the place `from`: every read of `from` (and every listing of
/// its scope) answers with the record at `to`, its metadata as written or rewritten
/// to the request. The provided methods are the trait's defaults, so they lie too.
struct Moved {
    inner: std::sync::Arc<MemoryStore>,
    from: (Scope, SecretKey),
    to: (Scope, SecretKey),
    rewrite: bool,
}

impl Moved {
    async fn moved(&self, scope: &Scope, key: &SecretKey) -> Option<StoredSecret> {
        if (scope, key) != (&self.from.0, &self.from.1) {
            return self.inner.get(scope, key).await.unwrap();
        }
        let mut record = self.inner.get(&self.to.0, &self.to.1).await.unwrap()?;
        if self.rewrite {
            record.meta.scope = scope.clone();
            record.meta.key = key.clone();
        }
        Some(record)
    }
}

impl SecretStore for Moved {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        Ok(self.moved(scope, key).await)
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        let listed = self.inner.list(scope).await?;
        let mut keys: Vec<SecretKey> = listed.into_iter().map(|m| m.key).collect();
        if *scope == self.from.0 && !keys.contains(&self.from.1) {
            keys.push(self.from.1.clone());
            keys.sort();
        }
        let mut metas = Vec::new();
        for key in &keys {
            if let Some(record) = self.moved(scope, key).await {
                metas.push(record.meta);
            }
        }
        Ok(metas)
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
        self.inner.versions(scope, key).await
    }
}

/// A (scope, key) place.
type Place = (Scope, &'static str);

/// Every management call reads records with the scope and key it asked for: a record
/// (or listing) whose metadata names another tenant, another user's personal scope,
/// another workflow or another key is refused as `store`, and nothing is written. A
/// record whose metadata was rewritten to the request does not open (`tampered`)
/// wherever the call unseals it.
#[test]
fn management_calls_refuse_a_moved_record() {
    let evil = WorkspaceId::new("evil").unwrap();
    let other_wf = Scope::workflow(ws(), WorkflowId::new("other").unwrap());
    let moves: [(&str, Place, Place); 4] = [
        (
            "across tenants",
            (workspace_scope(), "API_KEY"),
            (Scope::workspace(evil), "API_KEY"),
        ),
        (
            "personal -> workspace",
            (workspace_scope(), "API_KEY"),
            (personal("bob"), "API_KEY"),
        ),
        (
            "workflow -> workflow",
            (workflow_scope(), "API_KEY"),
            (other_wf, "API_KEY"),
        ),
        (
            "key -> key",
            (workspace_scope(), "API_KEY"),
            (workspace_scope(), "OTHER_KEY"),
        ),
    ];
    for (name, from, to) in moves {
        for rewrite in [false, true] {
            let w = World::new();
            // The record that was copied, and an honest one beside the moved place.
            let owner = match &to.0 {
                Scope::Personal { user, .. } => Actor::new(
                    user.clone(),
                    to.0.workspace_id().clone(),
                    WorkspaceRole::Runner,
                ),
                other => Actor::new(
                    user("admin"),
                    other.workspace_id().clone(),
                    WorkspaceRole::Admin,
                ),
            };
            let secrets = Secrets::new(w.vault.clone(), w.store.clone());
            block_on(secrets.create(&owner, &to.0, &key(to.1), value("copied-value-1234")))
                .unwrap();
            w.put(&from.0, "FILLER", "filler-value-5678");
            let before = block_on(w.store.get(&to.0, &key(to.1))).unwrap().unwrap();
            let moved = Secrets::new(
                w.vault.clone(),
                Moved {
                    inner: w.store.clone(),
                    from: (from.0.clone(), key(from.1)),
                    to: (to.0.clone(), key(to.1)),
                    rewrite,
                },
            );
            let (scope, k) = (&from.0, &key(from.1));
            let code = |r: Result<(), Error>| r.err().map(|e| e.code());
            if !rewrite {
                // The declared metadata disagrees with the request: refused before anything.
                let calls = [
                    (
                        "rotate",
                        code(
                            block_on(moved.rotate(&admin(), scope, k, value("new-value-1")))
                                .map(|_| ()),
                        ),
                    ),
                    (
                        "set_details",
                        code(
                            block_on(moved.set_details(
                                &admin(),
                                scope,
                                k,
                                SecretDetails::default(),
                            ))
                            .map(|_| ()),
                        ),
                    ),
                    ("delete", code(block_on(moved.delete(&admin(), scope, k)))),
                    (
                        "import_env",
                        code(
                            block_on(moved.import_env(
                                &admin(),
                                scope,
                                &format!("{}=imported-1", from.1),
                                ImportMode::Upsert,
                            ))
                            .map(|_| ()),
                        ),
                    ),
                    (
                        "preview_env",
                        code(
                            block_on(moved.preview_env(
                                &admin(),
                                scope,
                                &format!("{}=imported-1", from.1),
                                ImportMode::Upsert,
                            ))
                            .map(|_| ()),
                        ),
                    ),
                    (
                        "list",
                        code(block_on(moved.list(&admin(), scope)).map(|_| ())),
                    ),
                    (
                        "purge",
                        code(block_on(moved.purge(&admin(), scope)).map(|_| ())),
                    ),
                    (
                        "rewrap_all",
                        code(block_on(moved.rewrap_all(&admin(), scope)).map(|_| ())),
                    ),
                    (
                        "workspace_redactor",
                        code(block_on(moved.workspace_redactor(&admin())).map(|_| ())),
                    ),
                ];
                for (call, got) in calls {
                    assert_eq!(got, Some("store"), "{name}: {call}");
                }
            } else {
                // Metadata rewritten to the request: whatever unseals fails to open it.
                let redactor = block_on(moved.workspace_redactor(&admin()));
                assert_eq!(
                    code(redactor.map(|_| ())),
                    Some("tampered"),
                    "{name}: workspace_redactor, rewritten"
                );
                w.keyring
                    .add_key(KeyId::from(2), Zeroizing::new([7u8; 32]))
                    .unwrap();
                w.keyring.set_active(KeyId::from(2)).unwrap();
                let report = block_on(moved.rewrap_all(&admin(), scope)).unwrap();
                assert_eq!(
                    report.failed,
                    [(key(from.1), ErrorCode::Tampered)],
                    "{name}: rewrap_all, rewritten"
                );
            }
            // Nothing was written where the record came from (unless a rewrap of its
            // own scope moved it, honestly, under the new key), nor at the place asked for.
            let after = block_on(w.store.get(&to.0, &key(to.1))).unwrap().unwrap();
            if !(rewrite && to.0 == from.0) {
                assert_eq!(
                    after.meta, before.meta,
                    "{name}: the copied record is untouched"
                );
                assert_eq!(after.sealed.to_bytes(), before.sealed.to_bytes(), "{name}");
            }
            assert!(
                block_on(w.store.get(scope, k)).unwrap().is_none(),
                "{name}: nothing written at the moved place"
            );
            assert!(
                block_on(w.store.get(&from.0, &key("FILLER")))
                    .unwrap()
                    .is_some(),
                "{name}: the honest record stays"
            );
        }
    }
}

/// `SecretRole::Member` grants nothing beyond the workspace role: for every workspace
/// role and every call on one secret, a member of the secret gets exactly the answer a
/// user with no per-secret role gets (only `SecretRole::Admin` adds rights), in
/// workspace and workflow scopes, and a personal secret's members are ignored.
#[test]
fn a_secret_member_gets_what_a_non_member_gets() {
    let roles = [
        WorkspaceRole::Admin,
        WorkspaceRole::Editor,
        WorkspaceRole::Runner,
        WorkspaceRole::Viewer,
    ];
    type Op = fn(&Secrets<std::sync::Arc<MemoryStore>>, &Actor, &Scope) -> Result<(), Error>;
    let ops: [(&str, Op); 4] = [
        ("rotate", |s, a, sc| {
            block_on(s.rotate(a, sc, &key("K"), value("rotated-1"))).map(|_| ())
        }),
        ("set_details", |s, a, sc| {
            let details = SecretDetails {
                members: BTreeMap::from([(a.user.clone(), SecretRole::Member)]),
                ..Default::default()
            };
            block_on(s.set_details(a, sc, &key("K"), details)).map(|_| ())
        }),
        ("list", |s, a, sc| block_on(s.list(a, sc)).map(|_| ())),
        ("delete", |s, a, sc| block_on(s.delete(a, sc, &key("K")))),
    ];
    for scope in [workspace_scope(), workflow_scope(), personal("owner")] {
        for role in roles {
            for (op, call) in ops {
                // One world per answer, so a call of the member cannot change the other's.
                let answer = |is_member: bool| {
                    let w = World::new();
                    w.put(&scope, "K", "value-of-k-1234");
                    let owner = Actor::new(user("owner"), ws(), WorkspaceRole::Runner);
                    let by = match scope {
                        Scope::Personal { .. } => owner,
                        _ => admin(),
                    };
                    let members = if is_member {
                        BTreeMap::from([(user("mia"), SecretRole::Member)])
                    } else {
                        BTreeMap::from([(user("someone"), SecretRole::Member)])
                    };
                    let details = SecretDetails {
                        members,
                        ..Default::default()
                    };
                    block_on(w.secrets.set_details(&by, &scope, &key("K"), details)).unwrap();
                    call(&w.secrets, &member("mia", role), &scope)
                        .err()
                        .map(|e| e.code())
                };
                assert_eq!(answer(true), answer(false), "{scope} / {role:?} / {op}");
            }
        }
    }
}

#[test]
fn put_creates_then_rotates_with_one_event_each() {
    let w = World::new();
    let scope = workspace_scope();
    let first = block_on(
        w.secrets
            .put(&admin(), &scope, &key("API_KEY"), value("first-value-1")),
    )
    .unwrap();
    let second =
        block_on(
            w.secrets
                .put(&admin(), &scope, &key("API_KEY"), value("second-value-2")),
        )
        .unwrap();
    assert_eq!((first.version, second.version), (1, 2));
    let kinds: Vec<(AuditKind, Option<u64>)> = w
        .audit
        .events()
        .iter()
        .map(|e| (e.kind, e.version))
        .collect();
    assert_eq!(
        kinds,
        [(AuditKind::Created, Some(1)), (AuditKind::Rotated, Some(2))]
    );
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let resolved = block_on(w.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    assert_eq!(resolved.value.expose_secret(), "second-value-2");
}

#[test]
fn put_keeps_the_rules_of_create_and_rotate() {
    let w = World::new();
    let scope = workspace_scope();
    let viewer = member("vic", WorkspaceRole::Viewer);
    // Refused whether the key exists or not: no existence oracle.
    let absent = block_on(
        w.secrets
            .put(&viewer, &scope, &key("NEW_KEY"), value("v-12345678")),
    );
    w.put(&scope, "OLD_KEY", "old-value-1");
    let present = block_on(
        w.secrets
            .put(&viewer, &scope, &key("OLD_KEY"), value("v-12345678")),
    );
    assert_eq!(absent.unwrap_err().code(), "permission_denied");
    assert_eq!(present.unwrap_err().code(), "permission_denied");
    // A new name that looks like a token is refused, and its event names no key.
    w.audit.take();
    let token = key("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    let err = block_on(w.secrets.put(&admin(), &scope, &token, value("v-12345678"))).unwrap_err();
    assert_eq!(err.code(), "invalid_key");
    let events = w.audit.take();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind, events[0].keys.is_empty()),
        (AuditKind::Created, true)
    );
    // Another workspace's actor is refused before anything is read.
    let stranger = Actor::new(
        user("eve"),
        WorkspaceId::new("other").unwrap(),
        WorkspaceRole::Admin,
    );
    let err = block_on(
        w.secrets
            .put(&stranger, &scope, &key("OLD_KEY"), value("v-12345678")),
    )
    .unwrap_err();
    assert_eq!(err.code(), "permission_denied");
}

#[test]
fn meta_reads_one_rows_metadata_under_the_listing_rule() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "API_KEY", "meta-value-1");
    w.rotate(&scope, "API_KEY", "meta-value-2");
    let viewer = member("vic", WorkspaceRole::Viewer);
    let meta = block_on(w.secrets.meta(&viewer, &scope, &key("API_KEY"))).unwrap();
    assert_eq!((meta.key.as_str(), meta.version), ("API_KEY", 2));
    assert!(!format!("{meta:?}").contains("meta-value"));
    let missing = block_on(w.secrets.meta(&viewer, &scope, &key("NOPE"))).unwrap_err();
    assert_eq!(missing.code(), "not_found");
    w.put(&personal("ada"), "MINE", "ada-value-1");
    let other = block_on(w.secrets.meta(&viewer, &personal("ada"), &key("MINE"))).unwrap_err();
    assert_eq!(
        other.code(),
        "permission_denied",
        "a personal row is its owner's alone"
    );
    let event = w
        .audit
        .events()
        .into_iter()
        .find(|e| e.kind == AuditKind::Listed)
        .unwrap();
    assert_eq!(
        (event.keys.clone(), event.version),
        (vec![key("API_KEY")], Some(2))
    );
}
