#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! `Secrets::rename`: what moves, who may, what it refuses, what it records, and a
//! rotation racing it.

mod common;

use std::sync::{Arc, Mutex};

use common::*;

const VALUE: &str = "sk-live-rename-me-000001";

fn resolves(w: &World, name: &str) -> Result<String, String> {
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    block_on(w.resolver.step(&ctx).credential(name))
        .map(|v| v.expose_secret().to_owned())
        .map_err(|e| e.code().to_string())
}

#[test]
fn a_rename_carries_value_versions_and_details() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "OLD", "first-value-0001");
    w.rotate(&scope, "OLD", VALUE);
    let details = SecretDetails {
        display_name: Some("Production".into()),
        description: Some("the main key".into()),
        members: [(user("sam"), SecretRole::Admin)].into(),
    };
    block_on(
        w.secrets
            .set_details(&admin(), &scope, &key("OLD"), details.clone()),
    )
    .unwrap();
    let before = block_on(w.secrets.meta(&admin(), &scope, &key("OLD"))).unwrap();
    let meta = block_on(w.secrets.rename(&admin(), &scope, &key("OLD"), &key("NEW"))).unwrap();
    assert_eq!(meta.key, key("NEW"));
    assert_eq!((meta.version, meta.revision), (2, 1));
    assert_eq!(meta.display_name, details.display_name);
    assert_eq!(meta.members, details.members);
    assert_eq!(
        (meta.created_at, meta.value_changed_at),
        (before.created_at, before.value_changed_at),
        "a rename is not a new value"
    );
    assert_eq!(
        block_on(w.secrets.meta(&admin(), &scope, &key("NEW"))).unwrap(),
        meta
    );
    assert_eq!(resolves(&w, "NEW").as_deref(), Ok(VALUE));
    assert_eq!(resolves(&w, "OLD"), Err("missing_credential".into()));
    let kept: Vec<u64> = block_on(w.secrets.versions(&admin(), &scope, &key("NEW")))
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(kept, [2, 1]);
    block_on(w.secrets.restore(&admin(), &scope, &key("NEW"), 1)).unwrap();
    assert_eq!(resolves(&w, "NEW").as_deref(), Ok("first-value-0001"));
    // The records are sealed under the new name: opened as the old one, they fail.
    let record = block_on(w.store.get(&scope, &key("NEW"))).unwrap().unwrap();
    let wrong = w
        .vault
        .unseal(&scope, &key("OLD"), record.meta.version, &record.sealed);
    assert_eq!(wrong.unwrap_err().code(), "tampered");
}

#[test]
fn what_a_rename_refuses() {
    struct Case {
        name: &'static str,
        actor: Actor,
        scope: Scope,
        from: &'static str,
        to: &'static str,
        want: &'static str,
    }
    let cases = [
        Case {
            name: "the new name exists",
            actor: admin(),
            scope: workspace_scope(),
            from: "OLD",
            to: "TAKEN",
            want: "already_exists",
        },
        Case {
            name: "to itself",
            actor: admin(),
            scope: workspace_scope(),
            from: "OLD",
            to: "OLD",
            want: "already_exists",
        },
        Case {
            name: "no such secret",
            actor: admin(),
            scope: workspace_scope(),
            from: "NOPE",
            to: "NEW",
            want: "not_found",
        },
        Case {
            name: "a new name that looks like a token",
            actor: admin(),
            scope: workspace_scope(),
            from: "OLD",
            to: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            want: "invalid_key",
        },
        Case {
            name: "a viewer",
            actor: member("vic", WorkspaceRole::Viewer),
            scope: workspace_scope(),
            from: "OLD",
            to: "NEW",
            want: "permission_denied",
        },
        Case {
            name: "the secret's own admin member (may rotate, not delete)",
            actor: member("sam", WorkspaceRole::Editor),
            scope: workspace_scope(),
            from: "OLD",
            to: "NEW",
            want: "permission_denied",
        },
        Case {
            name: "another workspace's admin",
            actor: Actor::new(
                user("admin"),
                WorkspaceId::new("other").unwrap(),
                WorkspaceRole::Admin,
            ),
            scope: workspace_scope(),
            from: "OLD",
            to: "NEW",
            want: "permission_denied",
        },
        Case {
            name: "an admin, another user's personal secret",
            actor: admin(),
            scope: personal("pat"),
            from: "OLD",
            to: "NEW",
            want: "permission_denied",
        },
    ];
    for case in cases {
        let w = World::new();
        w.put(&case.scope, "OLD", VALUE);
        w.put(&case.scope, "TAKEN", "taken-value-0001");
        if case.scope == workspace_scope() {
            let details = SecretDetails {
                members: [(user("sam"), SecretRole::Admin)].into(),
                ..Default::default()
            };
            block_on(
                w.secrets
                    .set_details(&admin(), &case.scope, &key("OLD"), details),
            )
            .unwrap();
        }
        w.audit.take();
        let to = SecretKey::new(case.to).unwrap();
        let err = block_on(
            w.secrets
                .rename(&case.actor, &case.scope, &key(case.from), &to),
        )
        .unwrap_err();
        assert_eq!(err.code(), case.want, "{}", case.name);
        let events = w.audit.take();
        // Nothing moved.
        let owner = match &case.scope {
            Scope::Personal { user, .. } => Actor::new(user.clone(), ws(), WorkspaceRole::Runner),
            _ => admin(),
        };
        let listed: Vec<String> = block_on(w.secrets.list(&owner, &case.scope))
            .unwrap()
            .into_iter()
            .map(|m| m.key.to_string())
            .collect();
        assert_eq!(listed, ["OLD", "TAKEN"], "{}", case.name);
        assert_eq!(events.len(), 1, "{}: {events:?}", case.name);
        let shown = format!("{events:?} {err}");
        assert!(!shown.contains(VALUE), "{}: {shown}", case.name);
        if case.want == "invalid_key" {
            assert!(
                !shown.contains(case.to),
                "{}: the token-like name is not named",
                case.name
            );
        }
    }
    // Allowed: the owner of a personal secret.
    let w = World::new();
    w.put(&personal("pat"), "OLD", VALUE);
    let pat = member("pat", WorkspaceRole::Runner);
    block_on(
        w.secrets
            .rename(&pat, &personal("pat"), &key("OLD"), &key("NEW")),
    )
    .unwrap();
}

#[test]
fn a_rename_is_audited_with_both_names() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "OLD", VALUE);
    w.audit.take();
    block_on(w.secrets.rename(&admin(), &scope, &key("OLD"), &key("NEW"))).unwrap();
    let events = w.audit.take();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.kind, AuditKind::Renamed);
    assert_eq!(event.keys, [key("OLD"), key("NEW")]);
    assert_eq!((event.version, event.outcome), (Some(1), Ok(())));
}

#[test]
fn a_rotation_racing_a_rename_is_not_lost() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "OLD", "before-the-race-01");
    let other = Secrets::new(w.vault.clone(), w.store.clone());
    let renaming = cut_in(&w, move || {
        block_on(other.rotate(&admin(), &workspace_scope(), &key("OLD"), value(VALUE))).unwrap();
    });
    let meta = block_on(renaming.rename(&admin(), &scope, &key("OLD"), &key("NEW"))).unwrap();
    assert_eq!(meta.version, 2, "the rename re-read the rotated record");
    assert_eq!(resolves(&w, "NEW").as_deref(), Ok(VALUE));
    assert_eq!(
        block_on(w.store.versions(&scope, &key("NEW")))
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_create_of_the_new_name_racing_a_rename_wins_cleanly() {
    let w = World::new();
    let scope = workspace_scope();
    w.put(&scope, "OLD", VALUE);
    let other = Secrets::new(w.vault.clone(), w.store.clone());
    let renaming = cut_in(&w, move || {
        block_on(other.create(
            &admin(),
            &workspace_scope(),
            &key("NEW"),
            value("someone-else-01"),
        ))
        .unwrap();
    });
    let err = block_on(renaming.rename(&admin(), &scope, &key("OLD"), &key("NEW"))).unwrap_err();
    assert_eq!(err.code(), "already_exists");
    assert_eq!(
        resolves(&w, "OLD").as_deref(),
        Ok(VALUE),
        "nothing of the rename landed"
    );
    assert_eq!(resolves(&w, "NEW").as_deref(), Ok("someone-else-01"));
    assert_eq!(
        block_on(w.store.versions(&scope, &key("NEW")))
            .unwrap()
            .len(),
        1
    );
}

/// `rename_checked` refuses like a checked delete: a workflow that used the old
/// name within the window, or one the host declares, keeps it; nothing moves.
#[test]
fn a_checked_rename_refuses_while_workflows_use_the_old_name() {
    use std::time::Duration;
    const HOUR: u64 = 3_600_000;
    struct Case {
        name: &'static str,
        used_ago: Option<u64>,
        window: Duration,
        declared: &'static [&'static str],
        want: Result<(), Vec<&'static str>>,
    }
    let cases = [
        Case {
            name: "never used, nothing declared",
            used_ago: None,
            window: Duration::from_secs(3600),
            declared: &[],
            want: Ok(()),
        },
        Case {
            name: "used within the window",
            used_ago: Some(0),
            window: Duration::from_secs(3600),
            declared: &[],
            want: Err(vec!["wf-used"]),
        },
        Case {
            name: "used before the window",
            used_ago: Some(2 * HOUR),
            window: Duration::from_secs(3600),
            declared: &[],
            want: Ok(()),
        },
        Case {
            name: "declared, never used",
            used_ago: None,
            window: Duration::from_secs(3600),
            declared: &["wf-declared"],
            want: Err(vec!["wf-declared"]),
        },
        Case {
            name: "both, named once each, sorted",
            used_ago: Some(0),
            window: Duration::from_secs(3600),
            declared: &["wf-declared", "wf-used"],
            want: Err(vec!["wf-declared", "wf-used"]),
        },
    ];
    for case in cases {
        let w = World::new();
        let scope = workspace_scope();
        w.put(&scope, "OLD", VALUE);
        let now = SystemClock.now();
        if let Some(ago) = case.used_ago {
            let mark = UsageMark::new(scope.clone(), key("OLD"), id("wf-used"), now - ago);
            block_on(w.store.record_usage(&[mark])).unwrap();
        }
        let check = DeleteCheck::used_within(case.window)
            .declared_by(case.declared.iter().map(|d| id::<WorkflowId>(d)));
        w.audit.take();
        let got =
            block_on(
                w.secrets
                    .rename_checked(&admin(), &scope, &key("OLD"), &key("NEW"), &check),
            );
        let event = w.audit.take().pop().unwrap();
        assert_eq!(event.kind, AuditKind::Renamed, "{}", case.name);
        match (&case.want, got) {
            (Ok(()), Ok(meta)) => {
                assert_eq!(meta.key, key("NEW"), "{}", case.name);
                assert_eq!(resolves(&w, "NEW").as_deref(), Ok(VALUE), "{}", case.name);
            }
            (Err(want), Err(Error::SecretInUse { workflows, .. })) => {
                let names: Vec<&str> = workflows.iter().map(|w| w.as_str()).collect();
                assert_eq!(&names, want, "{}", case.name);
                assert_eq!(event.outcome, Err(ErrorCode::SecretInUse), "{}", case.name);
                assert_eq!(event.keys, [key("OLD"), key("NEW")], "{}", case.name);
                assert_eq!(
                    resolves(&w, "OLD").as_deref(),
                    Ok(VALUE),
                    "{}: nothing moved",
                    case.name
                );
                assert!(resolves(&w, "NEW").is_err(), "{}", case.name);
            }
            (want, got) => panic!("{}: wanted {want:?}, got {got:?}", case.name),
        }
    }
    // Permissions first: a viewer is refused as such, whatever the usage.
    let w = World::new();
    w.put(&workspace_scope(), "OLD", VALUE);
    let check =
        DeleteCheck::used_within(Duration::from_secs(60)).declared_by([id::<WorkflowId>("wf")]);
    let err = block_on(w.secrets.rename_checked(
        &member("vic", WorkspaceRole::Viewer),
        &workspace_scope(),
        &key("OLD"),
        &key("NEW"),
        &check,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "permission_denied");
    // A store that keeps no usage fails the check closed.
    let store = CutIn {
        inner: w.store.clone(),
        before_write: Mutex::new(None),
    };
    let secrets = Secrets::new(w.vault.clone(), store);
    let check = DeleteCheck::used_within(Duration::from_secs(60));
    let err = block_on(secrets.rename_checked(
        &admin(),
        &workspace_scope(),
        &key("OLD"),
        &key("NEW"),
        &check,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "store");
    assert_eq!(resolves(&w, "OLD").as_deref(), Ok(VALUE));
}

/// A record written before versions were kept (format 1, a frozen golden vector)
/// has no kept copy: a rename keeps its value as an `Earlier` version under the
/// new name, so a rename with a new value can be undone.
#[test]
fn a_rename_of_an_older_record_keeps_its_value() {
    let v = GoldenV1::load();
    let vault = v.vault();
    let store = Arc::new(MemoryStore::new());
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
    block_on(secrets.rename(&admin(), &scope, &key("EMPTY"), &key("RENAMED"))).unwrap();
    let kept: Vec<_> = block_on(secrets.versions(&admin(), &scope, &key("RENAMED")))
        .unwrap()
        .into_iter()
        .map(|m| (m.version, m.reason, m.written_by.to_string(), m.written_at))
        .collect();
    assert_eq!(
        kept,
        [(3, VersionReason::Earlier, "old-rotator".to_string(), 2_000)]
    );
    block_on(secrets.rotate(&admin(), &scope, &key("RENAMED"), value(VALUE))).unwrap();
    block_on(secrets.restore(&admin(), &scope, &key("RENAMED"), 3)).unwrap();
    assert!(block_on(secrets.verify(&admin(), &scope, &key("RENAMED"), &value(&v.value))).unwrap());
    // Keeping one version still keeps the current one: the renamed record's copy.
    let store = Arc::new(MemoryStore::new());
    let mut meta = SecretMeta::new(scope.clone(), key("EMPTY"), user("old-admin"), 1_000);
    meta.version = 3;
    let old = StoredSecret {
        meta,
        sealed: v.sealed.clone(),
    };
    block_on(store.write(WriteBatch::from(vec![WriteOp::Put {
        record: old,
        expect: Expect::Absent,
    }])))
    .unwrap();
    let vault = v.vault();
    let one = Secrets::new(vault, store).with_versions_kept(1);
    block_on(one.rename(&admin(), &scope, &key("EMPTY"), &key("RENAMED"))).unwrap();
    let kept = block_on(one.versions(&admin(), &scope, &key("RENAMED"))).unwrap();
    assert_eq!(kept.iter().map(|m| m.version).collect::<Vec<_>>(), [3]);
}
