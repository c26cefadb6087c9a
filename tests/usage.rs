//! Usage: the resolver marks which workflows resolve which secrets, in memory, and
//! the host's flush writes them; `Secrets::usage` lists them; `delete_checked`
//! refuses a secret in use with `secret_in_use`, naming the workflows; nothing here
//! ever carries a value.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::*;

/// A clock the test moves by hand.
#[derive(Clone)]
struct Manual(Arc<AtomicU64>);

impl Manual {
    fn at(time: Timestamp) -> Manual {
        Manual(Arc::new(AtomicU64::new(time)))
    }
    fn set(&self, time: Timestamp) {
        self.0.store(time, Ordering::SeqCst);
    }
}

impl Clock for Manual {
    fn now(&self) -> Timestamp {
        self.0.load(Ordering::SeqCst)
    }
}

const MINUTE: u64 = 60_000;
const DAY: u64 = 24 * 60 * MINUTE;
const T0: Timestamp = 1_700_000_000_000;

/// A store whose usage calls fail while `down` is set: the rest is the inner store.
struct Flaky {
    inner: Arc<MemoryStore>,
    down: Arc<AtomicBool>,
}

fn outage() -> StoreError {
    StoreError::backend(std::io::Error::other("usage table unavailable"))
}

impl SecretStore for Flaky {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        self.inner.get(scope, key).await
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        self.inner.list(scope).await
    }
    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.inner.write(batch).await
    }
    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        self.inner.scopes(workspace).await
    }
    async fn record_usage(&self, marks: &[UsageMark]) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(outage());
        }
        self.inner.record_usage(marks).await
    }
    async fn usage(&self, scope: &Scope, key: &SecretKey) -> Result<Vec<Usage>, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(outage());
        }
        self.inner.usage(scope, key).await
    }
}

/// A store that implements only the required methods: it keeps no usage.
struct NoUsage(Arc<MemoryStore>);

impl SecretStore for NoUsage {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        self.0.get(scope, key).await
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        self.0.list(scope).await
    }
    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.0.write(batch).await
    }
    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        self.0.scopes(workspace).await
    }
}

/// A world whose resolver records usage every `interval` (capacity `capacity`),
/// with one clock for the resolver and `Secrets`.
struct Recording {
    w: World,
    clock: Manual,
    resolver: Resolver<Arc<MemoryStore>>,
    secrets: Secrets<Arc<MemoryStore>>,
}

fn recording(interval: Duration, capacity: usize) -> Recording {
    let w = World::new();
    let clock = Manual::at(T0);
    let resolver = Resolver::new(w.vault.clone(), w.store.clone())
        .with_clock(clock.clone())
        .with_audit(w.audit.clone())
        .with_usage_recording(UsageRecording::every(interval).capacity(capacity));
    let secrets = Secrets::new(w.vault.clone(), w.store.clone())
        .with_clock(clock.clone())
        .with_audit(w.audit.clone());
    Recording {
        w,
        clock,
        resolver,
        secrets,
    }
}

fn run_of(workflow: &str) -> RunContext {
    RunContext::manual(ws(), id(workflow), user("owner"), user("owner"))
}

fn rows(store: &impl SecretStore, scope: &Scope, name: &str) -> Vec<(String, Timestamp)> {
    block_on(store.usage(scope, &key(name)))
        .unwrap()
        .into_iter()
        .map(|u| (u.workflow.to_string(), u.last_used_at))
        .collect()
}

fn flush(resolver: &Resolver<impl SecretStore>) -> UsageFlush {
    block_on(resolver.flush_usage()).unwrap()
}

#[test]
fn one_mark_per_workflow_and_interval_written_only_by_the_flush() {
    let r = recording(Duration::from_millis(10 * MINUTE), 1000);
    r.w.put(&workspace_scope(), "API_KEY", "sk-live-usage-0001");
    let ctx = run_of("wf-a");
    for t in [T0, T0 + 1_000, T0 + 2_000] {
        r.clock.set(t);
        block_on(r.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    }
    assert_eq!(
        r.resolver.usage_pending(),
        1,
        "one mark for three resolutions"
    );
    assert!(
        rows(&*r.w.store, &workspace_scope(), "API_KEY").is_empty(),
        "nothing is written before the host flushes"
    );
    let flushed = flush(&r.resolver);
    assert_eq!((flushed.written, flushed.dropped), (1, 0));
    assert_eq!(
        rows(&*r.w.store, &workspace_scope(), "API_KEY"),
        [("wf-a".to_owned(), T0 + 2_000)],
        "the mark keeps the latest resolution before its flush"
    );
    // Within the interval of the flushed mark: no new mark, no write.
    r.clock.set(T0 + 5 * MINUTE);
    block_on(r.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    assert_eq!(r.resolver.usage_pending(), 0);
    assert_eq!(flush(&r.resolver).written, 0);
    // The interval over: a new mark.
    r.clock.set(T0 + 10 * MINUTE);
    block_on(r.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    assert_eq!(flush(&r.resolver).written, 1);
    assert_eq!(
        rows(&*r.w.store, &workspace_scope(), "API_KEY"),
        [("wf-a".to_owned(), T0 + 10 * MINUTE)]
    );
    // A flush after the first interval's end passes over its queued end (the
    // entry opened a new mark since): the new interval still gates.
    r.clock.set(T0 + 10 * MINUTE + 1_000);
    assert_eq!(flush(&r.resolver).written, 0);
    r.clock.set(T0 + 15 * MINUTE);
    block_on(r.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    assert_eq!(r.resolver.usage_pending(), 0, "within the second interval");
    assert_eq!(flush(&r.resolver).written, 0);
}

#[test]
fn marks_name_the_scope_the_value_came_from_and_the_runs_workflow() {
    let r = recording(Duration::from_millis(MINUTE), 1000);
    let own = Scope::workflow(ws(), id("wf-a"));
    r.w.put(&own, "TOKEN", "wf-a-own-token-0001");
    r.w.put(&workspace_scope(), "TOKEN", "shared-token-0002");
    r.w.put(&personal("owner"), "MINE", "owner-personal-0003");
    block_on(r.resolver.resolve(&run_of("wf-a"), &key("TOKEN"))).unwrap();
    block_on(r.resolver.resolve(&run_of("wf-b"), &key("TOKEN"))).unwrap();
    block_on(r.resolver.resolve(&run_of("wf-b"), &key("MINE"))).unwrap();
    assert_eq!(flush(&r.resolver).written, 3);
    let store = &*r.w.store;
    assert_eq!(rows(store, &own, "TOKEN"), [("wf-a".to_owned(), T0)]);
    assert_eq!(
        rows(store, &workspace_scope(), "TOKEN"),
        [("wf-b".to_owned(), T0)],
        "wf-a's own value shadowed the workspace's: only wf-b used that one"
    );
    assert_eq!(
        rows(store, &personal("owner"), "MINE"),
        [("wf-b".to_owned(), T0)]
    );
    assert!(rows(store, &workspace_scope(), "MINE").is_empty());
}

#[test]
fn every_path_that_opens_a_stored_value_marks_and_nothing_else_does() {
    let r = recording(Duration::from_millis(MINUTE), 1000);
    for name in ["K_CRED", "K_PREFETCH", "K_RENDER", "K_AGENT"] {
        r.w.put(
            &Scope::workflow(ws(), id("agent")),
            name,
            "a-stored-value-1234",
        );
    }
    let by = |workflow: &str| RunContext::manual(ws(), id(workflow), user("o"), user("o"));
    let step = r.resolver.step(&by("cred"));
    block_on(step.credential("K_CRED")).unwrap_err(); // not in cred's scopes: missing
    r.w.put(&workspace_scope(), "K_CRED", "a-stored-value-5678");
    block_on(step.credential("K_CRED")).unwrap();
    let step = r.resolver.step(&by("prefetch"));
    block_on(step.prefetch(&[key("K_CRED")])).unwrap();
    let step = r.resolver.step(&by("render"));
    block_on(step.render(&Template::parse("Bearer {{K_CRED}}").unwrap())).unwrap();
    let step = r.resolver.step(&by("agent"));
    let offered = block_on(step.all_available()).unwrap();
    assert_eq!(
        offered.len(),
        4,
        "K_CRED of its own scope shadows the workspace's"
    );
    // A shared run's runner-provided value is not a stored secret: no mark.
    let shared = RunContext::manual(ws(), id("shared"), user("o"), user("o"))
        .shared_link(provided(&[("K_CRED", "runner-own-value-1")]));
    block_on(r.resolver.resolve(&shared, &key("K_CRED"))).unwrap();
    // A record that does not open marks nothing either.
    let foreign = Resolver::new(Vault::new(LocalKeyring::generate()), r.w.store.clone())
        .with_usage_recording(UsageRecording::every(Duration::from_millis(MINUTE)));
    block_on(foreign.resolve(&by("tampered"), &key("K_CRED"))).unwrap_err();
    assert_eq!(foreign.usage_pending(), 0);

    flush(&r.resolver);
    let store = &*r.w.store;
    assert_eq!(
        rows(store, &workspace_scope(), "K_CRED"),
        [
            ("cred".to_owned(), T0),
            ("prefetch".to_owned(), T0),
            ("render".to_owned(), T0),
        ]
    );
    for name in ["K_CRED", "K_PREFETCH", "K_RENDER", "K_AGENT"] {
        assert_eq!(
            rows(store, &Scope::workflow(ws(), id("agent")), name),
            [("agent".to_owned(), T0)],
            "{name}"
        );
    }
}

#[test]
fn clones_share_one_recorder_and_recording_is_off_by_default() {
    let r = recording(Duration::from_millis(MINUTE), 1000);
    r.w.put(&workspace_scope(), "API_KEY", "sk-live-usage-0001");
    let clone = r.resolver.clone();
    let run = clone.run(&run_of("wf-a"));
    block_on(run.step().credential("API_KEY")).unwrap();
    assert_eq!(r.resolver.usage_pending(), 1, "seen through the original");
    assert_eq!(flush(&r.resolver).written, 1);
    // The World's own resolver records nothing.
    block_on(r.w.resolver.resolve(&run_of("wf-b"), &key("API_KEY"))).unwrap();
    assert_eq!(r.w.resolver.usage_pending(), 0);
    assert_eq!(
        block_on(r.w.resolver.flush_usage()).unwrap(),
        UsageFlush::default()
    );
    assert_eq!(
        rows(&*r.w.store, &workspace_scope(), "API_KEY"),
        [("wf-a".to_owned(), T0)]
    );
}

/// A resolver over `w`'s store that records usage every minute (capacity
/// `capacity`), with its clock, and a switch that keeps the store's usage writes
/// failing (on at first).
fn down_store(w: &World, capacity: usize) -> (Resolver<Flaky>, Manual, Arc<AtomicBool>) {
    let down = Arc::new(AtomicBool::new(true));
    let store = Flaky {
        inner: w.store.clone(),
        down: down.clone(),
    };
    let clock = Manual::at(T0);
    let resolver = Resolver::new(w.vault.clone(), store)
        .with_clock(clock.clone())
        .with_usage_recording(
            UsageRecording::every(Duration::from_millis(MINUTE)).capacity(capacity),
        );
    (resolver, clock, down)
}

#[test]
fn a_failed_flush_keeps_its_marks_for_the_next() {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", "sk-live-usage-0001");
    let (resolver, clock, down) = down_store(&w, 1);
    block_on(resolver.resolve(&run_of("wf-a"), &key("API_KEY"))).unwrap();
    block_on(resolver.resolve(&run_of("wf-b"), &key("API_KEY"))).unwrap(); // no room
    let err = block_on(resolver.flush_usage()).unwrap_err();
    assert_eq!(err.code(), "store");
    assert_eq!(resolver.usage_pending(), 1, "the mark is pending again");
    clock.set(T0 + 30_000);
    block_on(resolver.resolve(&run_of("wf-a"), &key("API_KEY"))).unwrap();
    down.store(false, Ordering::SeqCst);
    let flushed = block_on(resolver.flush_usage()).unwrap();
    assert_eq!(
        (flushed.written, flushed.dropped),
        (1, 1),
        "the drop before the failed flush is still reported"
    );
    assert_eq!(
        rows(&*w.store, &workspace_scope(), "API_KEY"),
        [("wf-a".to_owned(), T0 + 30_000)],
        "merged with the resolution after the failure"
    );
}

/// A mark a failed flush put back stays pending past the end of its interval: the
/// next flush that succeeds, however late, writes it (the entry is not given back
/// as if it had been flushed), and `usage_pending` counts it throughout.
#[test]
fn a_mark_put_back_outlives_its_interval() {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", "sk-live-usage-0002");
    let (resolver, clock, down) = down_store(&w, 1000);
    block_on(resolver.resolve(&run_of("wf-a"), &key("API_KEY"))).unwrap();
    assert_eq!(resolver.usage_pending(), 1);
    assert!(block_on(resolver.flush_usage()).is_err());
    clock.set(T0 + 3 * MINUTE);
    assert!(block_on(resolver.flush_usage()).is_err(), "still down");
    assert_eq!(
        resolver.usage_pending(),
        1,
        "still pending, past its interval"
    );
    down.store(false, Ordering::SeqCst);
    assert_eq!(flush(&resolver).written, 1);
    assert_eq!(resolver.usage_pending(), 0);
    assert_eq!(
        rows(&*w.store, &workspace_scope(), "API_KEY"),
        [("wf-a".to_owned(), T0)]
    );
}

#[test]
fn capacity_bounds_the_entries_and_counts_what_it_drops() {
    let r = recording(Duration::from_millis(MINUTE), 2);
    r.w.put(&workspace_scope(), "API_KEY", "sk-live-usage-0001");
    for wf in ["wf-1", "wf-2", "wf-3", "wf-4"] {
        block_on(r.resolver.resolve(&run_of(wf), &key("API_KEY"))).unwrap();
    }
    let flushed = flush(&r.resolver);
    assert_eq!((flushed.written, flushed.dropped), (2, 2));
    assert_eq!(flush(&r.resolver).dropped, 0, "reported once");
    // Flushed entries hold their room until their interval is over.
    block_on(r.resolver.resolve(&run_of("wf-3"), &key("API_KEY"))).unwrap();
    assert_eq!(flush(&r.resolver), flush_of(0, 1));
    r.clock.set(T0 + MINUTE);
    flush(&r.resolver); // gives the expired entries' room back
    block_on(r.resolver.resolve(&run_of("wf-3"), &key("API_KEY"))).unwrap();
    assert_eq!(flush(&r.resolver), flush_of(1, 0));
    let listed: Vec<String> = rows(&*r.w.store, &workspace_scope(), "API_KEY")
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    assert_eq!(listed, ["wf-1", "wf-2", "wf-3"]);
}

/// A `UsageFlush` of `written` marks and `dropped` resolutions.
fn flush_of(written: usize, dropped: u64) -> UsageFlush {
    let mut flush = UsageFlush::default();
    flush.written = written;
    flush.dropped = dropped;
    flush
}

#[test]
fn usage_is_listed_to_those_who_may_list_the_scope_and_audited() {
    let r = recording(Duration::from_millis(MINUTE), 1000);
    r.w.put(&workspace_scope(), "API_KEY", "sk-live-usage-0001");
    r.w.put(&personal("owner"), "MINE", "owner-personal-0003");
    block_on(r.resolver.resolve(&run_of("wf-a"), &key("API_KEY"))).unwrap();
    block_on(r.resolver.resolve(&run_of("wf-a"), &key("MINE"))).unwrap();
    flush(&r.resolver);
    r.w.audit.take();
    let viewer = member("vic", WorkspaceRole::Viewer);
    let listed = block_on(
        r.secrets
            .usage(&viewer, &workspace_scope(), &key("API_KEY")),
    )
    .unwrap();
    assert_eq!(listed, [Usage::new(id("wf-a"), T0)]);
    let events = r.w.audit.take();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind, &events[0].keys, &events[0].outcome),
        (AuditKind::Listed, &vec![key("API_KEY")], &Ok(()))
    );
    let owner = member("owner", WorkspaceRole::Runner);
    assert_eq!(
        block_on(r.secrets.usage(&owner, &personal("owner"), &key("MINE")))
            .unwrap()
            .len(),
        1
    );
    for (who, scope) in [
        (admin(), personal("owner")),
        (viewer.clone(), personal("owner")),
        (
            Actor::new(user("eve"), id("other-ws"), WorkspaceRole::Admin),
            workspace_scope(),
        ),
    ] {
        let err = block_on(r.secrets.usage(&who, &scope, &key("MINE"))).unwrap_err();
        assert_eq!(err.code(), "permission_denied", "{who:?} on {scope}");
    }
    let events = r.w.audit.take();
    assert_eq!(events.len(), 4, "one event per call");
    assert!(events[1..].iter().all(|e| e.kind == AuditKind::Denied));
}

/// One checked-delete case: the usage recorded (workflow, minutes before now), the
/// window, the workflows the host declares, and the workflows it must name (empty:
/// deleted).
struct Case {
    name: &'static str,
    used: &'static [(&'static str, i64)],
    window_minutes: u64,
    declared: &'static [&'static str],
    refused_by: &'static [&'static str],
}

#[test]
fn checked_delete_refuses_a_secret_in_use_naming_the_workflows() {
    let cases = [
        Case {
            name: "never used, nothing declared",
            used: &[],
            window_minutes: 60,
            declared: &[],
            refused_by: &[],
        },
        Case {
            name: "used within the window",
            used: &[("wf-a", 30)],
            window_minutes: 60,
            declared: &[],
            refused_by: &["wf-a"],
        },
        Case {
            name: "used exactly at the window's edge",
            used: &[("wf-a", 60)],
            window_minutes: 60,
            declared: &[],
            refused_by: &["wf-a"],
        },
        Case {
            name: "used just before the window",
            used: &[("wf-a", 61)],
            window_minutes: 60,
            declared: &[],
            refused_by: &[],
        },
        Case {
            name: "a time ahead of the clock counts as now",
            used: &[("wf-a", -5)],
            window_minutes: 0,
            declared: &[],
            refused_by: &["wf-a"],
        },
        Case {
            name: "declared though never run",
            used: &[],
            window_minutes: 60,
            declared: &["wf-z"],
            refused_by: &["wf-z"],
        },
        Case {
            name: "recent and declared, merged, sorted, without repeats",
            used: &[("wf-b", 1), ("wf-old", 600), ("wf-a", 2)],
            window_minutes: 60,
            declared: &["wf-c", "wf-a"],
            refused_by: &["wf-a", "wf-b", "wf-c"],
        },
    ];
    for case in cases {
        let r = recording(Duration::from_millis(MINUTE), 1000);
        let scope = workspace_scope();
        r.w.put(&scope, "API_KEY", "sk-live-checked-0001");
        let now = T0 + 1000 * MINUTE;
        let marks: Vec<UsageMark> = case
            .used
            .iter()
            .map(|(wf, ago)| {
                let at = now.checked_add_signed(-ago * MINUTE as i64).unwrap();
                UsageMark::new(scope.clone(), key("API_KEY"), id(wf), at)
            })
            .collect();
        block_on(r.w.store.record_usage(&marks)).unwrap();
        r.clock.set(now);
        r.w.audit.take();
        let check = DeleteCheck::used_within(Duration::from_millis(case.window_minutes * MINUTE))
            .declared_by(case.declared.iter().map(|w| id::<WorkflowId>(w)));
        let result = block_on(
            r.secrets
                .delete_checked(&admin(), &scope, &key("API_KEY"), &check),
        );
        let present = block_on(r.w.store.get(&scope, &key("API_KEY"))).unwrap();
        let events = r.w.audit.take();
        assert_eq!(events.len(), 1, "{}: one event", case.name);
        assert_eq!(events[0].kind, AuditKind::Deleted, "{}", case.name);
        assert_eq!(events[0].keys, [key("API_KEY")], "{}", case.name);
        if case.refused_by.is_empty() {
            result.unwrap();
            assert!(present.is_none(), "{}: deleted", case.name);
            assert_eq!(events[0].outcome, Ok(()), "{}", case.name);
            continue;
        }
        let err = result.unwrap_err();
        assert!(present.is_some(), "{}: nothing deleted", case.name);
        assert_eq!(
            (err.code(), err.http_status()),
            ("secret_in_use", 409),
            "{}",
            case.name
        );
        assert_eq!(
            events[0].outcome,
            Err(ErrorCode::SecretInUse),
            "{}",
            case.name
        );
        match &err {
            Error::SecretInUse {
                scope: s,
                key: k,
                workflows,
            } => {
                let names: Vec<&str> = workflows.iter().map(|w| w.as_str()).collect();
                assert_eq!(names, case.refused_by, "{}", case.name);
                assert_eq!((s, k), (&scope, &key("API_KEY")), "{}", case.name);
            }
            other => panic!("{}: {other:?}", case.name),
        }
        let shown = err.client_message();
        for wf in case.refused_by {
            assert!(shown.contains(wf), "{}: {shown}", case.name);
        }
        assert!(!shown.contains("sk-live"), "{}: {shown}", case.name);
    }
}

#[test]
fn checked_delete_reads_usage_of_its_own_scope_and_key_only() {
    let r = recording(Duration::from_millis(MINUTE), 1000);
    let own = Scope::workflow(ws(), id("wf-a"));
    r.w.put(&own, "TOKEN", "wf-a-own-token-0001");
    r.w.put(&workspace_scope(), "TOKEN", "shared-token-0002");
    r.w.put(&workspace_scope(), "OTHER", "other-token-0003");
    // wf-a reads its own TOKEN (shadowing the workspace's) and the workspace's OTHER.
    block_on(r.resolver.resolve(&run_of("wf-a"), &key("TOKEN"))).unwrap();
    block_on(r.resolver.resolve(&run_of("wf-a"), &key("OTHER"))).unwrap();
    flush(&r.resolver);
    let check = DeleteCheck::used_within(Duration::from_millis(DAY));
    block_on(
        r.secrets
            .delete_checked(&admin(), &workspace_scope(), &key("TOKEN"), &check),
    )
    .unwrap();
    let err = block_on(
        r.secrets
            .delete_checked(&admin(), &own, &key("TOKEN"), &check),
    )
    .unwrap_err();
    assert_eq!(err.code(), "secret_in_use");
}

#[test]
fn checked_delete_follows_deletes_rules_first() {
    let r = recording(Duration::from_millis(MINUTE), 1000);
    r.w.put(&workspace_scope(), "API_KEY", "sk-live-checked-0001");
    r.w.put(&personal("owner"), "MINE", "owner-personal-0003");
    let check = DeleteCheck::used_within(Duration::from_millis(DAY)).declared_by([id("wf-a")]);
    let viewer = member("vic", WorkspaceRole::Viewer);
    let err =
        block_on(
            r.secrets
                .delete_checked(&viewer, &workspace_scope(), &key("API_KEY"), &check),
        )
        .unwrap_err();
    assert_eq!(
        err.code(),
        "permission_denied",
        "refused before usage is read"
    );
    let err =
        block_on(
            r.secrets
                .delete_checked(&admin(), &workspace_scope(), &key("NOPE"), &check),
        )
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    // A personal secret: its owner may make the checked delete.
    let owner = member("owner", WorkspaceRole::Runner);
    let unused = DeleteCheck::used_within(Duration::from_millis(DAY));
    block_on(
        r.secrets
            .delete_checked(&owner, &personal("owner"), &key("MINE"), &unused),
    )
    .unwrap();
    // The unchecked delete stays available to admins, in use or not, and the usage
    // rows outlive it (they describe the name).
    block_on(r.resolver.resolve(&run_of("wf-a"), &key("API_KEY"))).unwrap();
    flush(&r.resolver);
    block_on(
        r.secrets
            .delete(&admin(), &workspace_scope(), &key("API_KEY")),
    )
    .unwrap();
    let left = block_on(
        r.secrets
            .usage(&admin(), &workspace_scope(), &key("API_KEY")),
    )
    .unwrap();
    assert_eq!(left, [Usage::new(id("wf-a"), T0)]);
}

#[test]
fn a_store_without_usage_fails_closed() {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", "sk-live-nousage-0001");
    let audit = MemoryAuditSink::new();
    let secrets = Secrets::new(w.vault.clone(), NoUsage(w.store.clone())).with_audit(audit.clone());
    let check = DeleteCheck::used_within(Duration::from_millis(DAY));
    let err =
        block_on(secrets.delete_checked(&admin(), &workspace_scope(), &key("API_KEY"), &check))
            .unwrap_err();
    assert_eq!(err.code(), "store", "unknown is never unused");
    assert!(
        block_on(w.store.get(&workspace_scope(), &key("API_KEY")))
            .unwrap()
            .is_some(),
        "nothing deleted"
    );
    let events = audit.take();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].outcome, Err(ErrorCode::Store));
    let err = block_on(secrets.usage(&admin(), &workspace_scope(), &key("API_KEY"))).unwrap_err();
    assert_eq!(err.code(), "store");
    // A resolver over it records, and its flush fails without losing the mark.
    let resolver = Resolver::new(w.vault.clone(), NoUsage(w.store.clone()))
        .with_usage_recording(UsageRecording::every(Duration::from_millis(MINUTE)));
    block_on(resolver.resolve(&run_of("wf-a"), &key("API_KEY"))).unwrap();
    assert_eq!(
        block_on(resolver.flush_usage()).unwrap_err().code(),
        "store"
    );
    assert_eq!(resolver.usage_pending(), 1);
    // The unchecked delete does not read usage: it works.
    block_on(secrets.delete(&admin(), &workspace_scope(), &key("API_KEY"))).unwrap();
}

#[test]
fn no_value_in_marks_rows_reports_errors_or_events() {
    let value_text = "sk-live-NEVER-SHOWN-98765";
    let r = recording(Duration::from_millis(MINUTE), 1000);
    r.w.put(&workspace_scope(), "API_KEY", value_text);
    block_on(r.resolver.resolve(&run_of("wf-a"), &key("API_KEY"))).unwrap();
    let mut shown = vec![format!("{:?}", r.resolver)];
    let flushed = flush(&r.resolver);
    shown.push(format!("{flushed:?}"));
    shown.push(serde_json::to_string(&flushed).unwrap());
    let listed = block_on(
        r.secrets
            .usage(&admin(), &workspace_scope(), &key("API_KEY")),
    )
    .unwrap();
    shown.push(format!("{listed:?}"));
    shown.push(serde_json::to_string(&listed).unwrap());
    let check = DeleteCheck::used_within(Duration::from_millis(DAY)).declared_by([id("wf-b")]);
    shown.push(format!("{check:?}"));
    let err =
        block_on(
            r.secrets
                .delete_checked(&admin(), &workspace_scope(), &key("API_KEY"), &check),
        )
        .unwrap_err();
    shown.push(format!("{err:?}"));
    shown.push(err.to_string());
    shown.push(err.client_message());
    let marks = [UsageMark::new(
        workspace_scope(),
        key("API_KEY"),
        id("wf-a"),
        T0,
    )];
    shown.push(format!("{marks:?}"));
    shown.push(format!("{:?}", r.w.store));
    for event in r.w.audit.take() {
        shown.push(format!("{event:?}"));
        shown.push(serde_json::to_string(&event).unwrap());
    }
    for text in shown {
        assert!(!text.contains(value_text), "{text}");
        assert!(!text.contains("NEVER-SHOWN"), "{text}");
    }
}

#[test]
fn resolutions_on_many_threads_and_concurrent_flushes_lose_no_workflow() {
    let r = recording(Duration::from_millis(MINUTE), 10_000);
    r.w.put(&workspace_scope(), "API_KEY", "sk-live-usage-0001");
    let done = Arc::new(AtomicBool::new(false));
    let flusher = {
        let resolver = r.resolver.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut written = 0;
            while !done.load(Ordering::SeqCst) {
                written += block_on(resolver.flush_usage()).unwrap().written;
            }
            written
        })
    };
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let resolver = r.resolver.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let ctx = run_of(&format!("wf-{t}-{i}"));
                    for _ in 0..3 {
                        block_on(resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let written = flusher.join().unwrap() + flush(&r.resolver).written;
    assert_eq!(written, 200, "one mark per workflow, written once");
    assert_eq!(r.resolver.usage_pending(), 0);
    let listed = rows(&*r.w.store, &workspace_scope(), "API_KEY");
    assert_eq!(listed.len(), 200);
}

/// A mark flushed after its interval is over gives its room back with that flush:
/// at capacity 1, another workflow's resolution right after is recorded, not dropped.
#[test]
fn a_mark_flushed_after_its_interval_gives_its_room_back_at_once() {
    let r = recording(Duration::from_millis(MINUTE), 1);
    r.w.put(&workspace_scope(), "API_KEY", "sk-live-usage-0003");
    block_on(r.resolver.resolve(&run_of("wf-a"), &key("API_KEY"))).unwrap();
    r.clock.set(T0 + 2 * MINUTE);
    assert_eq!(flush(&r.resolver).written, 1);
    block_on(r.resolver.resolve(&run_of("wf-b"), &key("API_KEY"))).unwrap();
    let flushed = flush(&r.resolver);
    assert_eq!((flushed.written, flushed.dropped), (1, 0));
}
