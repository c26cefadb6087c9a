//! Rotation age: `SecretMeta::value_changed_at` moves when a value is written and
//! only then (never on a details edit or a re-wrap), and `Secrets::rotation_due`
//! lists a scope's secrets whose value is older than an age, under the rules of
//! `Secrets::list`. (That the stores keep the field is the conformance suite's
//! `value_changed_at_round_trips`; their migrations are tested in each store.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::*;

/// A clock the test sets by hand (milliseconds).
#[derive(Clone, Default)]
struct Manual(Arc<AtomicU64>);

impl Manual {
    fn set(&self, at: Timestamp) {
        self.0.store(at, Ordering::SeqCst);
    }
}

impl Clock for Manual {
    fn now(&self) -> Timestamp {
        self.0.load(Ordering::SeqCst)
    }
}

/// When every test starts (November 2023, in ms).
const T0: Timestamp = 1_700_000_000_000;
const HOUR: Timestamp = 3_600_000;
const DAY: Timestamp = 24 * HOUR;

/// `Secrets` over a `MemoryStore`, reading the time from a clock the test moves.
struct Setup {
    clock: Manual,
    keyring: LocalKeyring,
    store: Arc<MemoryStore>,
    secrets: Secrets<Arc<MemoryStore>>,
    audit: MemoryAuditSink,
}

fn setup() -> Setup {
    let keyring = LocalKeyring::generate();
    let store = Arc::new(MemoryStore::new());
    let clock = Manual::default();
    clock.set(T0);
    let audit = MemoryAuditSink::new();
    let secrets = Secrets::new(Vault::new(keyring.clone()), store.clone())
        .with_audit(audit.clone())
        .with_clock(clock.clone());
    Setup {
        clock,
        keyring,
        store,
        secrets,
        audit,
    }
}

impl Setup {
    fn create(&self, name: &str, text: &str) -> SecretMeta {
        block_on(
            self.secrets
                .create(&admin(), &workspace_scope(), &key(name), value(text)),
        )
        .unwrap()
    }

    /// The key's metadata as `meta` and `list` read it back (they must agree).
    fn read(&self, name: &str) -> SecretMeta {
        let one = block_on(self.secrets.meta(&admin(), &workspace_scope(), &key(name))).unwrap();
        let listed = block_on(self.secrets.list(&admin(), &workspace_scope())).unwrap();
        let row = listed.into_iter().find(|m| m.key == key(name)).unwrap();
        assert_eq!(one, row, "meta and list agree on {name}");
        one
    }

    fn due(
        &self,
        actor: &Actor,
        scope: &Scope,
        older_than: Duration,
    ) -> Result<Vec<SecretMeta>, Error> {
        block_on(self.secrets.rotation_due(actor, scope, older_than))
    }

    fn due_keys(&self, older_than: Duration) -> Vec<String> {
        self.due(&admin(), &workspace_scope(), older_than)
            .unwrap()
            .into_iter()
            .map(|m| m.key.to_string())
            .collect()
    }

    /// Moves every record of the workspace scope under a new active key.
    fn rewrap(&self) {
        let next = KeyId::from(2);
        self.keyring
            .add_key(next, Zeroizing::new([7u8; 32]))
            .unwrap();
        self.keyring.set_active(next).unwrap();
        let report = block_on(self.secrets.rewrap_all(&admin(), &workspace_scope())).unwrap();
        assert!(!report.rewrapped.is_empty(), "something was re-wrapped");
    }

    fn import(&self, text: &str, mode: ImportMode) {
        block_on(
            self.secrets
                .import_env(&admin(), &workspace_scope(), text, mode),
        )
        .unwrap();
    }
}

fn ms(d: Timestamp) -> Duration {
    Duration::from_millis(d)
}

/// What an action does to the value's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    /// `value_changed_at` is the action's time.
    MovesToNow,
    /// `value_changed_at` stays the creation's time.
    Keeps,
}

/// The rule, case by case: `API_KEY` exists (created at `T0`); at `T0 + 1h` the
/// action runs on `key`; then `value_changed_at` of `key` is read back.
#[test]
fn value_changed_at_moves_with_the_value_and_only_with_it() {
    type Action = fn(&Setup) -> Option<SecretMeta>;
    struct Case {
        name: &'static str,
        key: &'static str,
        action: Action,
        /// Whether the action writes the record (its revision moves): a `Keeps` case
        /// that wrote nothing would prove nothing.
        writes: bool,
        then: Then,
    }
    let cases: &[Case] = &[
        Case {
            name: "create sets it to created_at",
            key: "NEW_KEY",
            action: |s| Some(s.create("NEW_KEY", "new-value-0001")),
            writes: true,
            then: Then::MovesToNow,
        },
        Case {
            name: "rotate moves it",
            key: "API_KEY",
            action: |s| {
                Some(
                    block_on(s.secrets.rotate(
                        &admin(),
                        &workspace_scope(),
                        &key("API_KEY"),
                        value("rotated-value-0002"),
                    ))
                    .unwrap(),
                )
            },
            writes: true,
            then: Then::MovesToNow,
        },
        Case {
            name: "put of an existing key (a rotation) moves it",
            key: "API_KEY",
            action: |s| {
                Some(
                    block_on(s.secrets.put(
                        &admin(),
                        &workspace_scope(),
                        &key("API_KEY"),
                        value("put-value-0002"),
                    ))
                    .unwrap(),
                )
            },
            writes: true,
            then: Then::MovesToNow,
        },
        Case {
            name: "put of a new key (a creation) sets it",
            key: "NEW_KEY",
            action: |s| {
                Some(
                    block_on(s.secrets.put(
                        &admin(),
                        &workspace_scope(),
                        &key("NEW_KEY"),
                        value("put-value-0001"),
                    ))
                    .unwrap(),
                )
            },
            writes: true,
            then: Then::MovesToNow,
        },
        Case {
            name: "import (upsert) of an existing key moves it",
            key: "API_KEY",
            action: |s| {
                s.import("API_KEY=imported-value-0002\n", ImportMode::Upsert);
                None
            },
            writes: true,
            then: Then::MovesToNow,
        },
        Case {
            name: "import of a new key sets it",
            key: "NEW_KEY",
            action: |s| {
                s.import("NEW_KEY=imported-value-0001\n", ImportMode::CreateOnly);
                None
            },
            writes: true,
            then: Then::MovesToNow,
        },
        Case {
            name: "import skipping an existing key keeps it",
            key: "API_KEY",
            action: |s| {
                s.import("API_KEY=skipped-value-0002\n", ImportMode::SkipExisting);
                None
            },
            writes: false,
            then: Then::Keeps,
        },
        Case {
            name: "set_details keeps it",
            key: "API_KEY",
            action: |s| {
                let details = SecretDetails {
                    display_name: Some("OpenAI (production)".into()),
                    description: Some("edited an hour later".into()),
                    ..SecretDetails::default()
                };
                Some(
                    block_on(s.secrets.set_details(
                        &admin(),
                        &workspace_scope(),
                        &key("API_KEY"),
                        details,
                    ))
                    .unwrap(),
                )
            },
            writes: true,
            then: Then::Keeps,
        },
        Case {
            name: "rewrap_all keeps it",
            key: "API_KEY",
            action: |s| {
                s.rewrap();
                None
            },
            writes: true,
            then: Then::Keeps,
        },
        Case {
            name: "verify keeps it",
            key: "API_KEY",
            action: |s| {
                let same = block_on(s.secrets.verify(
                    &admin(),
                    &workspace_scope(),
                    &key("API_KEY"),
                    &value("first-value-0001"),
                ))
                .unwrap();
                assert!(same);
                None
            },
            writes: false,
            then: Then::Keeps,
        },
    ];
    for case in cases {
        let s = setup();
        let created = s.create("API_KEY", "first-value-0001");
        assert_eq!(
            (created.created_at, created.value_changed_at),
            (T0, T0),
            "{}: create at T0",
            case.name
        );
        let revision_before = block_on(s.store.get(&workspace_scope(), &key(case.key)))
            .unwrap()
            .map(|r| r.meta.revision);
        let t1 = T0 + HOUR;
        s.clock.set(t1);
        let returned = (case.action)(&s);
        let read = s.read(case.key);
        let want = match case.then {
            Then::MovesToNow => t1,
            Then::Keeps => T0,
        };
        assert_eq!(
            read.value_changed_at, want,
            "{}: value_changed_at",
            case.name
        );
        if let Some(returned) = returned {
            assert_eq!(
                returned.value_changed_at, want,
                "{}: the metadata the call returned",
                case.name
            );
        }
        if case.key == "API_KEY" {
            assert_eq!(read.created_at, T0, "{}: created_at never moves", case.name);
        } else {
            assert_eq!(read.created_at, t1, "{}: created now", case.name);
        }
        let wrote = revision_before != Some(read.revision);
        assert_eq!(wrote, case.writes, "{}: the action's write", case.name);
    }
}

/// The report: every secret of the scope whose value is at least `older_than` old
/// (boundary included), in key order, whatever happened to its details or its
/// wrapping since; a value written since is not due.
#[test]
fn rotation_due_lists_the_values_at_least_that_old_in_key_order() {
    let s = setup();
    let at = |t: Timestamp| s.clock.set(T0 + t);
    at(0);
    s.create("OLDEST", "oldest-value-0001");
    s.create("EDITED", "edited-value-0001");
    s.create("REWRAPPED", "rewrapped-value-01");
    s.create("ROTATED", "rotated-value-0001");
    s.create("IMPORTED", "imported-value-001");
    at(DAY);
    s.create("A_DAY_IN", "a-day-in-value-01");
    at(2 * DAY);
    s.create("BOUNDARY", "boundary-value-01");
    at(2 * DAY + 1);
    s.create("JUST_UNDER", "just-under-value-1");
    at(10 * DAY);
    block_on(s.secrets.rotate(
        &admin(),
        &workspace_scope(),
        &key("ROTATED"),
        value("rotated-value-0002"),
    ))
    .unwrap();
    at(15 * DAY);
    s.import("IMPORTED=imported-value-002\n", ImportMode::Upsert);
    at(20 * DAY);
    let details = SecretDetails {
        description: Some("touched, not rotated".into()),
        ..SecretDetails::default()
    };
    block_on(
        s.secrets
            .set_details(&admin(), &workspace_scope(), &key("EDITED"), details),
    )
    .unwrap();
    s.rewrap();
    // A secret of another scope is never in this scope's report.
    at(0);
    block_on(s.secrets.create(
        &admin(),
        &workflow_scope(),
        &key("ELSEWHERE"),
        value("elsewhere-value-1"),
    ))
    .unwrap();

    at(30 * DAY);
    let due = s.due(&admin(), &workspace_scope(), ms(28 * DAY)).unwrap();
    let keys: Vec<&str> = due.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        keys,
        ["A_DAY_IN", "BOUNDARY", "EDITED", "OLDEST", "REWRAPPED"],
        "due: changed at or before now - 28 days, in key order"
    );
    // Each entry is the metadata `list` shows for that key.
    let listed = block_on(s.secrets.list(&admin(), &workspace_scope())).unwrap();
    for meta in &due {
        assert!(listed.contains(meta), "{}: as listed", meta.key);
    }
    // No value anywhere in what it returns.
    let shown = format!("{due:?}{}", serde_json::to_string(&due).unwrap());
    assert!(!shown.contains("-value-"), "{shown}");
}

/// The age is compared exactly, with the `Duration` as given (not rounded to the
/// millisecond), and with no overflow at the extremes.
#[test]
fn rotation_due_thresholds() {
    let s = setup();
    s.create("K", "threshold-value-1");
    // (name, the clock, the age asked for, whether K is due); K was written at T0.
    let cases: &[(&str, Timestamp, Duration, bool)] = &[
        ("zero age: everything is due", T0, Duration::ZERO, true),
        ("exactly the age: due", T0 + 5 * DAY, ms(5 * DAY), true),
        (
            "a millisecond short: not due",
            T0 + 5 * DAY - 1,
            ms(5 * DAY),
            false,
        ),
        (
            "1 ms old, 1.5 ms asked: not due",
            T0 + 1,
            Duration::from_micros(1500),
            false,
        ),
        (
            "2 ms old, 1.5 ms asked: due",
            T0 + 2,
            Duration::from_micros(1500),
            true,
        ),
        (
            "the largest age: not due",
            T0 + 10_000 * DAY,
            Duration::MAX,
            false,
        ),
        (
            "the clock at its end: not due",
            u64::MAX,
            Duration::MAX,
            false,
        ),
        (
            "the clock at its end, its whole age: due",
            u64::MAX,
            ms(u64::MAX - T0),
            true,
        ),
        (
            "the clock behind the value: not due",
            T0 - HOUR,
            Duration::from_millis(1),
            false,
        ),
        (
            "the clock behind the value, zero age: due",
            T0 - HOUR,
            Duration::ZERO,
            true,
        ),
    ];
    for &(name, now, older_than, due) in cases {
        s.clock.set(now);
        let got = s.due_keys(older_than);
        let want: &[&str] = if due { &["K"] } else { &[] };
        assert_eq!(got, want, "{name}");
    }
    assert!(
        s.due(&admin(), &workflow_scope(), Duration::ZERO)
            .unwrap()
            .is_empty(),
        "an empty scope: nothing due"
    );
}

/// Who may ask, case by case, and the same answer as `list` in every case.
#[test]
fn rotation_due_is_allowed_and_refused_as_list() {
    let s = setup();
    s.create("SHARED", "shared-value-0001");
    block_on(s.secrets.create(
        &admin(),
        &workflow_scope(),
        &key("WF"),
        value("workflow-value-01"),
    ))
    .unwrap();
    let ada = member("ada", WorkspaceRole::Viewer);
    block_on(s.secrets.create(
        &ada,
        &personal("ada"),
        &key("MINE"),
        value("ada-personal-val1"),
    ))
    .unwrap();
    let mut guest = member("gus", WorkspaceRole::Viewer);
    guest.external = true;
    let stranger = Actor::new(user("eve"), id("other"), WorkspaceRole::Admin);
    let ok = None;
    let denied = Some("permission_denied");
    let cases: &[(&str, Actor, Scope, Option<&str>)] = &[
        ("admin, workspace scope", admin(), workspace_scope(), ok),
        (
            "viewer, workspace scope",
            member("vic", WorkspaceRole::Viewer),
            workspace_scope(),
            ok,
        ),
        (
            "editor, workflow scope",
            member("ed", WorkspaceRole::Editor),
            workflow_scope(),
            ok,
        ),
        (
            "runner, workflow scope",
            member("ron", WorkspaceRole::Runner),
            workflow_scope(),
            ok,
        ),
        (
            "external guest, workspace scope",
            guest.clone(),
            workspace_scope(),
            ok,
        ),
        ("owner, personal scope", ada.clone(), personal("ada"), ok),
        (
            "admin, another user's personal scope",
            admin(),
            personal("ada"),
            denied,
        ),
        (
            "editor, another user's personal scope",
            member("bob", WorkspaceRole::Editor),
            personal("ada"),
            denied,
        ),
        (
            "admin of another workspace",
            stranger.clone(),
            workspace_scope(),
            denied,
        ),
        (
            "admin of another workspace, workflow scope",
            stranger,
            workflow_scope(),
            denied,
        ),
    ];
    s.clock.set(T0 + DAY);
    for (name, actor, scope, want) in cases {
        let due = s.due(actor, scope, Duration::ZERO);
        let listed = block_on(s.secrets.list(actor, scope));
        assert_eq!(due.as_ref().err().map(Error::code), *want, "{name}");
        assert_eq!(
            due.as_ref().err().map(Error::code),
            listed.as_ref().err().map(Error::code),
            "{name}: as list"
        );
        if let (Ok(due), Ok(listed)) = (due, listed) {
            assert_eq!(due, listed, "{name}: everything is due at age zero");
            assert_eq!(due.len(), 1, "{name}");
        }
    }
}

/// One event per call, the one `list` records: `Listed` naming the scope and no
/// key, or `Denied` with `permission_denied`.
#[test]
fn rotation_due_is_audited_as_list() {
    let s = setup();
    s.create("API_KEY", "audited-value-0001");
    s.clock.set(T0 + 3 * DAY);
    for (actor, scope) in [
        (admin(), workspace_scope()),
        (admin(), personal("ada")),
        (member("vic", WorkspaceRole::Viewer), workspace_scope()),
    ] {
        let before = s.audit.events().len();
        let _ = s.due(&actor, &scope, ms(DAY));
        let due_events = s.audit.events().split_off(before);
        let _ = block_on(s.secrets.list(&actor, &scope));
        let list_events = s.audit.events().split_off(before + due_events.len());
        assert_eq!(due_events.len(), 1, "one event per call");
        assert_eq!(
            due_events, list_events,
            "{} in {scope}: as list",
            actor.user
        );
    }
    let events = s.audit.events();
    let first = events.iter().rev().nth(5).unwrap();
    assert_eq!(
        (
            first.kind,
            first.scope.clone(),
            first.keys.len(),
            first.outcome
        ),
        (AuditKind::Listed, Some(workspace_scope()), 0, Ok(())),
    );
    let refused = events.iter().rev().nth(3).unwrap();
    assert_eq!(
        (refused.kind, refused.outcome),
        (AuditKind::Denied, Err(ErrorCode::PermissionDenied)),
    );
}

/// A store whose listing of one scope answers another's records: a database
/// writer moved them.
struct MovedListing {
    inner: Arc<MemoryStore>,
    from: Scope,
}

impl SecretStore for MovedListing {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        self.inner.get(scope, key).await
    }
    async fn list(&self, _scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        self.inner.list(&self.from).await
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

/// A listing whose metadata names another scope is refused as `store`, as `list`
/// refuses it: the report never shows another scope's keys as this one's.
#[test]
fn rotation_due_refuses_a_moved_listing_as_list() {
    let s = setup();
    let ada = member("ada", WorkspaceRole::Viewer);
    block_on(s.secrets.create(
        &ada,
        &personal("ada"),
        &key("ADA_ONLY"),
        value("ada-personal-val1"),
    ))
    .unwrap();
    let moved = Secrets::new(
        Vault::new(s.keyring.clone()),
        MovedListing {
            inner: s.store.clone(),
            from: personal("ada"),
        },
    );
    s.clock.set(T0 + DAY);
    let due = block_on(moved.rotation_due(&admin(), &workspace_scope(), Duration::ZERO));
    let listed = block_on(moved.list(&admin(), &workspace_scope()));
    assert_eq!(due.unwrap_err().code(), "store");
    assert_eq!(listed.unwrap_err().code(), "store");
}
