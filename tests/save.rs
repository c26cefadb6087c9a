#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! `Secrets::save`: a settings page's Save, all or nothing, one event per change.

mod common;

use common::*;

fn names(w: &World, scope: &Scope) -> Vec<(String, u64)> {
    block_on(w.secrets.list(&admin(), scope))
        .unwrap()
        .into_iter()
        .map(|m| (m.key.to_string(), m.version))
        .collect()
}

fn is(w: &World, scope: &Scope, name: &str, text: &str) -> bool {
    block_on(w.secrets.verify(&admin(), scope, &key(name), &value(text))).unwrap()
}

fn prod() -> SecretDetails {
    SecretDetails {
        display_name: Some("Production".into()),
        ..Default::default()
    }
}

/// A world with A, B and C in the workspace scope, and an empty audit log.
fn world() -> World {
    let w = World::new();
    for name in ["A", "B", "C"] {
        w.put(&workspace_scope(), name, &format!("{name}-value-0001"));
    }
    w.audit.take();
    w
}

#[test]
fn every_kind_of_edit_lands_together_with_one_event_per_change() {
    let w = world();
    let scope = workspace_scope();
    let report = block_on(w.secrets.save(
        &admin(),
        &scope,
        vec![
            Edit::create(key("NEW"), value("new-value-0001")).with_details(prod()),
            Edit::rotate(key("A"), value("A-value-0002")),
            Edit::details(key("B"), prod()),
            Edit::rename(key("C"), key("C2"))
                .with_value(value("C-value-0002"))
                .with_details(prod()),
        ],
    ))
    .unwrap();
    let saved: Vec<(String, u64, u64)> = report
        .saved
        .iter()
        .map(|m| (m.key.to_string(), m.version, m.revision))
        .collect();
    assert_eq!(
        saved,
        [
            ("NEW".into(), 1, 1),
            ("A".into(), 2, 2),
            ("B".into(), 1, 2),
            ("C2".into(), 2, 1),
        ]
    );
    assert!(report.deleted.is_empty());
    assert_eq!(
        names(&w, &scope),
        [
            ("A".into(), 2),
            ("B".into(), 1),
            ("C2".into(), 2),
            ("NEW".into(), 1)
        ]
    );
    assert!(is(&w, &scope, "A", "A-value-0002"));
    assert!(is(&w, &scope, "C2", "C-value-0002"));
    let listed = block_on(w.secrets.list(&admin(), &scope)).unwrap();
    assert_eq!(listed[2].display_name.as_deref(), Some("Production"));
    assert_eq!(listed[3].display_name.as_deref(), Some("Production"));
    // Kept versions as the single calls keep them: C's old value followed the rename.
    let kept: Vec<(u64, VersionReason)> =
        block_on(w.secrets.versions(&admin(), &scope, &key("C2")))
            .unwrap()
            .into_iter()
            .map(|v| (v.version, v.reason))
            .collect();
    assert_eq!(
        kept,
        [(2, VersionReason::Rotate), (1, VersionReason::Create)]
    );
    block_on(w.secrets.restore(&admin(), &scope, &key("C2"), 1)).unwrap();
    assert!(is(&w, &scope, "C2", "C-value-0001"));

    let events: Vec<(AuditKind, Vec<SecretKey>, Option<u64>)> = w
        .audit
        .take()
        .into_iter()
        .take(6)
        .map(|e| {
            assert_eq!(e.outcome, Ok(()));
            (e.kind, e.keys, e.version)
        })
        .collect();
    assert_eq!(
        events,
        [
            (AuditKind::Created, vec![key("NEW")], Some(1)),
            (AuditKind::Rotated, vec![key("A")], Some(2)),
            (AuditKind::DetailsChanged, vec![key("B")], Some(1)),
            (AuditKind::Renamed, vec![key("C"), key("C2")], Some(2)),
            (AuditKind::Rotated, vec![key("C2")], Some(2)),
            (AuditKind::DetailsChanged, vec![key("C2")], Some(2)),
        ]
    );
}

#[test]
fn one_bad_edit_writes_nothing_and_every_change_records_the_failure() {
    struct Case {
        name: &'static str,
        actor: Actor,
        edits: fn() -> Vec<Edit>,
        want: &'static str,
    }
    let cases = [
        Case {
            name: "a rotation of a missing key",
            actor: admin(),
            edits: || {
                vec![
                    Edit::delete(key("A")),
                    Edit::rotate(key("NOPE"), value("x-value-0001")),
                ]
            },
            want: "not_found",
        },
        Case {
            name: "a create of an existing key",
            actor: admin(),
            edits: || {
                vec![
                    Edit::rotate(key("A"), value("x-value-0001")),
                    Edit::create(key("B"), value("x-value-0002")),
                ]
            },
            want: "already_exists",
        },
        Case {
            name: "a rename onto an existing key",
            actor: admin(),
            edits: || vec![Edit::delete(key("A")), Edit::rename(key("B"), key("C"))],
            want: "already_exists",
        },
        Case {
            name: "one key touched twice",
            actor: admin(),
            edits: || {
                vec![
                    Edit::rotate(key("A"), value("x-value-0001")),
                    Edit::details(key("A"), prod()),
                ]
            },
            want: "invalid_batch",
        },
        Case {
            name: "a rename onto a key deleted in the same save",
            actor: admin(),
            edits: || vec![Edit::delete(key("A")), Edit::rename(key("B"), key("A"))],
            want: "invalid_batch",
        },
        Case {
            name: "a created name that looks like a token",
            actor: admin(),
            edits: || {
                vec![
                    Edit::delete(key("A")),
                    Edit::create(
                        key("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
                        value("x-value-0001"),
                    ),
                ]
            },
            want: "invalid_key",
        },
        Case {
            name: "details with a NUL",
            actor: admin(),
            edits: || {
                let bad = SecretDetails {
                    description: Some("a\0b".into()),
                    ..Default::default()
                };
                vec![Edit::delete(key("A")), Edit::details(key("B"), bad)]
            },
            want: "invalid_details",
        },
        Case {
            name: "a description over its bound",
            actor: admin(),
            edits: || {
                let long = SecretDetails {
                    description: Some("d".repeat(SecretDetails::MAX_DESCRIPTION + 1)),
                    ..Default::default()
                };
                vec![Edit::delete(key("A")), Edit::details(key("B"), long)]
            },
            want: "invalid_details",
        },
        Case {
            name: "a display name over its bound",
            actor: admin(),
            edits: || {
                let long = SecretDetails {
                    display_name: Some("n".repeat(SecretDetails::MAX_DISPLAY_NAME + 1)),
                    ..Default::default()
                };
                vec![Edit::create(key("NEW"), value("x-value-0001")).with_details(long)]
            },
            want: "invalid_details",
        },
        Case {
            name: "a secret's own admin member also deleting",
            actor: member("sam", WorkspaceRole::Editor),
            edits: || {
                vec![
                    Edit::rotate(key("A"), value("x-value-0001")),
                    Edit::delete(key("A2")),
                ]
            },
            want: "permission_denied",
        },
        Case {
            name: "a viewer",
            actor: member("vic", WorkspaceRole::Viewer),
            edits: || vec![Edit::details(key("A"), prod())],
            want: "permission_denied",
        },
    ];
    for case in cases {
        let w = world();
        let scope = workspace_scope();
        w.put(&scope, "A2", "A2-value-0001");
        let sam = SecretDetails {
            members: [(user("sam"), SecretRole::Admin)].into(),
            ..Default::default()
        };
        block_on(
            w.secrets
                .set_details(&admin(), &scope, &key("A"), sam.clone()),
        )
        .unwrap();
        block_on(w.secrets.set_details(&admin(), &scope, &key("A2"), sam)).unwrap();
        let before = block_on(w.secrets.list(&admin(), &scope)).unwrap();
        w.audit.take();
        let edits = (case.edits)();
        let changes = edits.len();
        let err = block_on(w.secrets.save(&case.actor, &scope, edits)).unwrap_err();
        assert_eq!(err.code(), case.want, "{}", case.name);
        let events = w.audit.take();
        assert_eq!(events.len(), changes, "{}: one event per change", case.name);
        for event in &events {
            assert_eq!(event.outcome, Err(err.kind()), "{}", case.name);
            assert_eq!(event.version, None, "{}", case.name);
            assert!(
                !format!("{event:?}").contains("ghp_"),
                "{}: no token-like name",
                case.name
            );
        }
        if case.want == "permission_denied" {
            assert!(
                events.iter().all(|e| e.kind == AuditKind::Denied),
                "{}",
                case.name
            );
        }
        let after = block_on(w.secrets.list(&admin(), &scope)).unwrap();
        assert_eq!(after, before, "{}: nothing written", case.name);
    }
    // The secret's own admin member may save what they may do one by one.
    let w = world();
    let scope = workspace_scope();
    let sam = SecretDetails {
        members: [(user("sam"), SecretRole::Admin)].into(),
        ..Default::default()
    };
    block_on(
        w.secrets
            .set_details(&admin(), &scope, &key("A"), sam.clone()),
    )
    .unwrap();
    let edit = Edit::rotate(key("A"), value("A-value-0002")).with_details(sam);
    block_on(
        w.secrets
            .save(&member("sam", WorkspaceRole::Editor), &scope, vec![edit]),
    )
    .unwrap();
    assert!(is(&w, &scope, "A", "A-value-0002"));
}

#[test]
fn details_at_their_bounds_are_kept() {
    let w = world();
    let at_bounds = SecretDetails {
        display_name: Some("n".repeat(SecretDetails::MAX_DISPLAY_NAME)),
        description: Some("d".repeat(SecretDetails::MAX_DESCRIPTION)),
        members: (0..SecretDetails::MAX_MEMBERS)
            .map(|i| (user(&format!("u{i}")), SecretRole::Member))
            .collect(),
    };
    block_on(
        w.secrets
            .set_details(&admin(), &workspace_scope(), &key("A"), at_bounds.clone()),
    )
    .unwrap();
    let mut over = at_bounds;
    over.members.insert(user("one-more"), SecretRole::Member);
    let err = block_on(
        w.secrets
            .set_details(&admin(), &workspace_scope(), &key("A"), over),
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_details");
}

/// An update that changes nothing is no change, whoever sends it: nothing is written
/// (not even `updated_by`), nothing is recorded, and it is not in the report.
#[test]
fn an_update_that_changes_nothing_writes_nothing() {
    let w = world();
    let scope = workspace_scope();
    let before = block_on(w.secrets.meta(&admin(), &scope, &key("A"))).unwrap();
    w.audit.take();
    let nothing = || Edit::Update {
        key: key("A"),
        value: None,
        details: None,
        rename_to: None,
    };
    let viewer = member("vic", WorkspaceRole::Viewer);
    let report = block_on(w.secrets.save(&viewer, &scope, vec![nothing()])).unwrap();
    assert_eq!(report, SaveReport::default());
    assert!(w.audit.take().is_empty());
    let after = block_on(w.secrets.meta(&admin(), &scope, &key("A"))).unwrap();
    assert_eq!(after, before, "no write: revision and updated_by unchanged");
    // Beside a real change, only the real change lands and is recorded.
    w.audit.take();
    let edits = vec![nothing(), Edit::details(key("B"), prod())];
    let report = block_on(w.secrets.save(&admin(), &scope, edits)).unwrap();
    assert_eq!(report.saved.len(), 1);
    assert_eq!(report.saved[0].key, key("B"));
    let kinds: Vec<AuditKind> = w.audit.take().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [AuditKind::DetailsChanged]);
    let after = block_on(w.secrets.meta(&admin(), &scope, &key("A"))).unwrap();
    assert_eq!(after.revision, before.revision);
}

#[test]
fn an_empty_save_writes_and_records_nothing() {
    let w = world();
    let report = block_on(w.secrets.save(&admin(), &workspace_scope(), Vec::new())).unwrap();
    assert_eq!(report, SaveReport::default());
    assert!(w.audit.take().is_empty());
}

#[test]
fn a_write_racing_a_save_is_not_lost() {
    let w = world();
    let scope = workspace_scope();
    let other = Secrets::new(w.vault.clone(), w.store.clone());
    let saving = cut_in(&w, move || {
        block_on(other.rotate(
            &admin(),
            &workspace_scope(),
            &key("A"),
            value("A-racer-0002"),
        ))
        .unwrap();
    });
    let report = block_on(saving.save(
        &admin(),
        &scope,
        vec![
            Edit::details(key("A"), prod()),
            Edit::rotate(key("B"), value("B-value-0002")),
        ],
    ))
    .unwrap();
    assert_eq!(
        report.saved[0].version, 2,
        "the save re-read A after the rotation"
    );
    assert!(
        is(&w, &scope, "A", "A-racer-0002"),
        "the racing rotation stands"
    );
    let a = block_on(w.secrets.meta(&admin(), &scope, &key("A"))).unwrap();
    assert_eq!(
        (a.display_name.as_deref(), a.revision),
        (Some("Production"), 3)
    );
    assert!(is(&w, &scope, "B", "B-value-0002"));
}

#[test]
fn values_stay_out_of_reports_events_and_debug() {
    let w = world();
    let secret = "sk-live-SAVE-MARKER-7777";
    let edits = vec![
        Edit::create(key("NEW"), value(secret)),
        Edit::rotate(key("A"), value(secret)),
        Edit::rename(key("B"), key("B2")).with_value(value(secret)),
    ];
    let shown_edits = format!("{edits:?}");
    let report = block_on(w.secrets.save(&admin(), &workspace_scope(), edits)).unwrap();
    let events = w.audit.take();
    let shown = format!(
        "{shown_edits} {report:?} {} {events:?} {}",
        serde_json::to_string(&report).unwrap(),
        serde_json::to_string(&events).unwrap()
    );
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains("SAVE-MARKER"), "{shown}");
}
