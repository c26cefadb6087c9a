//! `PlatformRedactor`: fed by every resolution and every write through the hooks a
//! host installs, unlabelled, kept for its retention, bounded, and loud when a bound
//! is reached. (Its `tracing` writer is tested in `tests/tracing_layer.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::*;

/// A clock the test moves by hand (milliseconds).
#[derive(Clone, Default)]
struct Manual(Arc<AtomicU64>);

impl Manual {
    fn advance(&self, by: Duration) {
        self.0
            .fetch_add(u64::try_from(by.as_millis()).unwrap(), Ordering::SeqCst);
    }
}

impl Clock for Manual {
    fn now(&self) -> Timestamp {
        self.0.load(Ordering::SeqCst)
    }
}

const HOUR: Duration = Duration::from_secs(3600);

/// A world whose resolver and `Secrets` feed `platform`, and plain ones that do not
/// (to store values the platform has not seen).
struct Fed {
    w: World,
    platform: PlatformRedactor,
    secrets: Secrets<Arc<MemoryStore>>,
    resolver: Resolver<Arc<MemoryStore>>,
}

fn fed(platform: PlatformRedactor) -> Fed {
    let w = World::new();
    Fed {
        secrets: w.secrets.clone().with_platform_redactor(&platform),
        resolver: w.resolver.clone().with_platform_redactor(&platform),
        platform,
        w,
    }
}

fn masked(platform: &PlatformRedactor, value: &str) -> bool {
    platform.redact(&format!("<{value}>")) == "<[REDACTED]>"
}

fn member_ctx() -> RunContext {
    RunContext::manual(ws(), wf(), user("o"), user("o"))
}

#[test]
fn every_resolution_path_feeds_the_platform_before_returning() {
    type Path = fn(&Resolver<Arc<MemoryStore>>, &RunContext) -> String;
    let paths: &[(&str, Path)] = &[
        ("Resolver::resolve", |r, ctx| {
            let resolved = block_on(r.resolve(ctx, &key("API_KEY"))).unwrap();
            resolved.value.expose_secret().to_owned()
        }),
        ("Step::credential", |r, ctx| {
            let v = block_on(r.step(ctx).credential("API_KEY")).unwrap();
            v.expose_secret().to_owned()
        }),
        ("Step::prefetch", |r, ctx| {
            let step = r.step(ctx);
            block_on(step.prefetch(&[key("API_KEY")])).unwrap();
            block_on(step.credential("API_KEY"))
                .unwrap()
                .expose_secret()
                .to_owned()
        }),
        ("Step::render", |r, ctx| {
            let t = Template::parse("{{API_KEY}}").unwrap();
            let v = block_on(r.run(ctx).step().render(&t)).unwrap();
            v.expose_secret().to_owned()
        }),
        ("Step::render_with", |r, ctx| {
            let t = Template::parse_lenient("{{API_KEY}}{{steps.fetch}}");
            let v = block_on(r.step(ctx).render_with(&t, &|_| Some(String::new()))).unwrap();
            v.expose_secret().to_owned()
        }),
        ("Step::all_available", |r, ctx| {
            let all = block_on(r.step(ctx).all_available()).unwrap();
            all[0].1.expose_secret().to_owned()
        }),
    ];
    for (name, path) in paths {
        let f = fed(PlatformRedactor::builder().build());
        // Stored without the hook: only the resolution can feed it.
        f.w.put(&workspace_scope(), "API_KEY", "sk-live-resolved-0001");
        assert!(
            !masked(&f.platform, "sk-live-resolved-0001"),
            "{name}: fed early"
        );
        let got = path(&f.resolver, &member_ctx());
        assert_eq!(got, "sk-live-resolved-0001", "{name}");
        assert!(
            masked(&f.platform, &got),
            "{name}: not masked after it returned"
        );
        // The plain resolver, without the hook, feeds nothing.
        let g = fed(PlatformRedactor::builder().build());
        g.w.put(&workspace_scope(), "API_KEY", "sk-live-resolved-0001");
        path(&g.w.resolver, &member_ctx());
        assert!(!masked(&g.platform, "sk-live-resolved-0001"), "{name}");
    }
}

#[test]
fn every_write_of_secrets_feeds_the_platform() {
    type Write = fn(&Secrets<Arc<MemoryStore>>, &str);
    let scope = workspace_scope();
    let writes: &[(&str, Write)] = &[
        ("create", |s, v| {
            let scope = workspace_scope();
            block_on(s.create(&admin(), &scope, &key("NEW_KEY"), value(v))).unwrap();
        }),
        ("rotate", |s, v| {
            let scope = workspace_scope();
            block_on(s.rotate(&admin(), &scope, &key("OLD_KEY"), value(v))).unwrap();
        }),
        ("put (a new key)", |s, v| {
            let scope = workspace_scope();
            block_on(s.put(&admin(), &scope, &key("NEW_KEY"), value(v))).unwrap();
        }),
        ("put (an existing key)", |s, v| {
            let scope = workspace_scope();
            block_on(s.put(&admin(), &scope, &key("OLD_KEY"), value(v))).unwrap();
        }),
        ("import_env", |s, v| {
            let text = format!("OLD_KEY={v}\nNEW_KEY={v}-2\n");
            let scope = workspace_scope();
            block_on(s.import_env(&admin(), &scope, &text, ImportMode::Upsert)).unwrap();
        }),
    ];
    for (name, write) in writes {
        let f = fed(PlatformRedactor::builder().build());
        f.w.put(&scope, "OLD_KEY", "sk-old-value-0001");
        write(&f.secrets, "sk-written-0002");
        assert!(masked(&f.platform, "sk-written-0002"), "{name}");
        // Stored before the hook saw anything: only what was written is fed.
        assert!(!masked(&f.platform, "sk-old-value-0001"), "{name}");
    }
}

#[test]
fn refused_writes_and_previews_feed_nothing() {
    let f = fed(PlatformRedactor::builder().build());
    let scope = workspace_scope();
    f.w.put(&scope, "TAKEN", "sk-taken-00001");
    let viewer = member("v", WorkspaceRole::Viewer);
    let refused = [
        block_on(
            f.secrets
                .create(&admin(), &scope, &key("TAKEN"), value("sk-refused-0001")),
        )
        .unwrap_err(),
        block_on(
            f.secrets
                .create(&viewer, &scope, &key("B"), value("sk-refused-0002")),
        )
        .unwrap_err(),
        block_on(
            f.secrets
                .rotate(&admin(), &scope, &key("NONE"), value("sk-refused-0003")),
        )
        .unwrap_err(),
    ];
    assert_eq!(
        refused.iter().map(Error::code).collect::<Vec<_>>(),
        ["already_exists", "permission_denied", "not_found"]
    );
    block_on(f.secrets.preview_env(
        &admin(),
        &scope,
        "PREVIEWED=sk-refused-0004",
        ImportMode::Upsert,
    ))
    .unwrap();
    for n in 1..=4 {
        assert!(!masked(&f.platform, &format!("sk-refused-000{n}")));
    }
    assert_eq!(f.platform.stats().values, 0);
}

#[test]
fn a_shared_run_feeds_lent_values_but_not_the_runners_own() {
    let f = fed(PlatformRedactor::builder().build());
    f.w.put(&personal("o"), "LENT", "sk-lent-by-owner-01");
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"))
        .with_policy(policy(None, true, &["LENT", "MINE"]))
        .shared_link(provided(&[("MINE", "sk-runner-own-0001")]));
    let step = f.resolver.step(&ctx);
    block_on(step.credential("LENT")).unwrap();
    block_on(step.credential("MINE")).unwrap();
    assert!(masked(&f.platform, "sk-lent-by-owner-01"));
    // A runner who chose a pattern and saw the masked output could learn a lent
    // value byte by byte; the runner's own values stay theirs.
    assert!(!masked(&f.platform, "sk-runner-own-0001"));
}

#[test]
fn masks_are_unlabelled_and_name_no_key() {
    let f = fed(PlatformRedactor::builder().build());
    f.w.put(&workspace_scope(), "OTHER_TENANTS_KEY", "sk-tenant-b-00001");
    // The resolver's own redactors are labelled (the default); the platform's never.
    let step = f.resolver.step(&member_ctx());
    block_on(step.credential("OTHER_TENANTS_KEY")).unwrap();
    assert_eq!(
        step.redactor().redact("sk-tenant-b-00001"),
        "[REDACTED:OTHER_TENANTS_KEY]"
    );
    let out = f
        .platform
        .redact("x=sk-tenant-b-00001 y=c2stdGVuYW50LWItMDAwMDE=");
    assert_eq!(out, "x=[REDACTED] y=[REDACTED]");
    assert!(!out.contains("OTHER_TENANTS_KEY"));
    let custom = PlatformRedactor::builder().mask("***").build();
    custom.note(&value("sk-tenant-b-00001"));
    assert_eq!(custom.redact("sk-tenant-b-00001"), "***");
}

#[test]
fn a_rotated_value_and_its_successor_stay_masked_for_the_retention_then_expire() {
    let clock = Manual::default();
    let platform = PlatformRedactor::builder()
        .retention(24 * HOUR)
        .clock(clock.clone())
        .build();
    let f = fed(platform);
    let scope = workspace_scope();
    block_on(
        f.secrets
            .create(&admin(), &scope, &key("API_KEY"), value("sk-first-000001")),
    )
    .unwrap();
    let step = f.resolver.step(&member_ctx());
    block_on(step.credential("API_KEY")).unwrap();
    clock.advance(HOUR);
    block_on(
        f.secrets
            .rotate(&admin(), &scope, &key("API_KEY"), value("sk-second-00002")),
    )
    .unwrap();
    // Within the retention of the old value's last sight (resolved at 0): both.
    clock.advance(22 * HOUR);
    f.platform.expire();
    assert!(masked(&f.platform, "sk-first-000001"));
    assert!(masked(&f.platform, "sk-second-00002"));
    assert_eq!(f.platform.stats().expired, 0);
    // Past it: the old value may go (and does, the table being rebuilt); the new one,
    // seen an hour later, stays.
    clock.advance(HOUR + Duration::from_millis(1));
    f.platform.expire();
    let stats = f.platform.stats();
    assert_eq!((stats.values, stats.expired), (1, 1));
    assert!(!masked(&f.platform, "sk-first-000001"));
    assert!(masked(&f.platform, "sk-second-00002"));
    // Seen again (a resolution), a value's retention starts over.
    clock.advance(HOUR / 2);
    block_on(f.resolver.resolve(&member_ctx(), &key("API_KEY"))).unwrap();
    clock.advance(20 * HOUR);
    f.platform.expire();
    assert!(masked(&f.platform, "sk-second-00002"));
    assert_eq!(f.platform.stats().expired, 1);
}

#[test]
fn a_deleted_value_stays_masked_for_the_retention() {
    let clock = Manual::default();
    let platform = PlatformRedactor::builder()
        .retention(HOUR)
        .clock(clock.clone())
        .build();
    let f = fed(platform);
    let scope = workspace_scope();
    block_on(
        f.secrets
            .create(&admin(), &scope, &key("GONE"), value("sk-deleted-00001")),
    )
    .unwrap();
    block_on(f.secrets.delete(&admin(), &scope, &key("GONE"))).unwrap();
    clock.advance(HOUR - Duration::from_millis(1));
    f.platform.expire();
    assert!(masked(&f.platform, "sk-deleted-00001"));
    clock.advance(Duration::from_millis(1));
    f.platform.expire();
    assert!(!masked(&f.platform, "sk-deleted-00001"));
}

#[test]
fn pinned_values_never_expire() {
    let clock = Manual::default();
    let platform = PlatformRedactor::builder()
        .retention(HOUR)
        .clock(clock.clone())
        .build();
    platform.pin(&value("postgres://app:hunter2hunter2@db"));
    platform.note(&value("sk-noted-000001"));
    // Noting a pinned value does not unpin it.
    platform.note(&value("postgres://app:hunter2hunter2@db"));
    clock.advance(1000 * HOUR);
    platform.expire();
    assert!(masked(&platform, "postgres://app:hunter2hunter2@db"));
    assert!(!masked(&platform, "sk-noted-000001"));
}

/// A report hook that records what it was told.
fn recorder() -> (
    Arc<Mutex<Vec<PlatformReport>>>,
    impl Fn(PlatformReport) + Send + Sync,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook = {
        let seen = seen.clone();
        move |r| seen.lock().unwrap().push(r)
    };
    (seen, hook)
}

#[test]
fn caps_bound_the_table_evict_least_recently_seen_and_report_once() {
    let (reports, hook) = recorder();
    let clock = Manual::default();
    let platform = PlatformRedactor::builder()
        .encodings(Encodings::none())
        .max_patterns(16)
        .clock(clock.clone())
        .on_report(hook)
        .build();
    // With encodings off, one pattern per value: 16 fit.
    for n in 0..16 {
        platform.note(&value(&format!("sk-value-{n:04}")));
        clock.advance(Duration::from_secs(1));
    }
    let stats = platform.stats();
    assert_eq!(
        (stats.values, stats.evicted, stats.cap_reached),
        (16, 0, false)
    );
    assert!(reports.lock().unwrap().is_empty());
    // Value 0 seen again: the least recently seen is now value 1.
    platform.note(&value("sk-value-0000"));
    clock.advance(Duration::from_secs(1));
    platform.note(&value("sk-value-0016"));
    let stats = platform.stats();
    assert!(stats.cap_reached);
    assert!(stats.patterns <= 14, "down to 7/8 of the cap: {stats:?}");
    assert_eq!(stats.evicted, 17 - stats.values as u64);
    assert!(
        masked(&platform, "sk-value-0016"),
        "the new value is masked"
    );
    assert!(masked(&platform, "sk-value-0000"), "seen again, kept");
    assert!(
        !masked(&platform, "sk-value-0001"),
        "least recently seen, evicted"
    );
    // Reached again: counted, not reported again.
    for n in 17..40 {
        platform.note(&value(&format!("sk-value-{n:04}")));
        assert!(platform.stats().patterns <= 16);
    }
    assert!(platform.stats().evicted > stats.evicted);
    assert_eq!(*reports.lock().unwrap(), [PlatformReport::CapReached]);
}

#[test]
fn the_byte_cap_bounds_the_table_too() {
    let platform = PlatformRedactor::builder().max_pattern_bytes(4096).build();
    for n in 0..200 {
        platform.note(&value(&format!("sk-bytes-cap-{n:06}")));
        let stats = platform.stats();
        assert!(stats.pattern_bytes <= 4096, "{stats:?}");
    }
    let stats = platform.stats();
    assert!(stats.cap_reached && stats.evicted > 0, "{stats:?}");
    assert!(masked(&platform, "sk-bytes-cap-000199"));
}

#[test]
fn values_that_cannot_be_masked_are_counted_and_reported_never_silent() {
    let (reports, hook) = recorder();
    let platform = PlatformRedactor::builder()
        .max_pattern_bytes(1024)
        .min_len(6)
        .on_report(hook)
        .build();
    platform.note(&value("abc")); // under the minimum length
    platform.note(&value("abcd"));
    platform.note(&value(&"x".repeat(2000))); // alone past the byte cap
    platform.note(&value(&"y".repeat(2000)));
    platform.note(&value("")); // empty: nothing to mask, nothing to report
    let stats = platform.stats();
    assert_eq!((stats.too_short, stats.refused, stats.values), (2, 2, 0));
    assert!(!stats.cap_reached);
    assert_eq!(
        *reports.lock().unwrap(),
        [PlatformReport::TooShort, PlatformReport::Refused]
    );
}

#[test]
fn the_report_hook_may_use_the_redactor() {
    // Called outside the locks: a hook that logs through the platform, reads its
    // counters or notes a value does not deadlock.
    let slot: Arc<OnceLock<PlatformRedactor>> = Arc::new(OnceLock::new());
    let told = Arc::new(Mutex::new(String::new()));
    let hook = {
        let (slot, told) = (slot.clone(), told.clone());
        move |r: PlatformReport| {
            let platform = slot.get().unwrap();
            let line = format!("{r:?} {:?}", platform.stats());
            *told.lock().unwrap() = platform.redact(&line).into_owned();
            platform.note(&SecretValue::new("sk-from-the-hook-1").unwrap());
        }
    };
    let platform = PlatformRedactor::builder()
        .max_patterns(1)
        .on_report(hook)
        .build();
    slot.set(platform.clone()).unwrap();
    platform.note(&value("sk-too-big-for-one-pattern"));
    assert!(told.lock().unwrap().starts_with("Refused"));
    assert_eq!(platform.stats().refused, 2);
}

#[test]
fn clones_share_one_table() {
    let platform = PlatformRedactor::builder().build();
    let clone = platform.clone();
    clone.note(&value("sk-shared-000001"));
    assert!(masked(&platform, "sk-shared-000001"));
    assert_eq!(platform.stats(), clone.stats());
}

#[test]
fn debug_of_the_platform_types_carries_no_value() {
    const MARKER: &str = "sk-live-LEAKCHECK-0123456789abcdef";
    let (_, hook) = recorder();
    let builder = PlatformRedactor::builder().mask("[HIDDEN]").on_report(hook);
    let platform = PlatformRedactor::builder().build();
    platform.note(&value(MARKER));
    platform.pin(&value(&format!("{MARKER}-pinned")));
    let f = fed(platform.clone());
    f.w.put(&workspace_scope(), "API_KEY", MARKER);
    let texts = [
        format!("{builder:?}"),
        format!("{platform:?}"),
        format!("{platform:#?}"),
        format!("{:?}", platform.stats()),
        format!("{:?}", PlatformReport::CapReached),
        format!("{:?}", f.secrets),
        format!("{:?}", f.resolver),
    ];
    for text in texts {
        for form in [MARKER, "LEAKCHECK", "0123456789abcdef"] {
            assert!(!text.contains(form), "leaks the value: {text}");
        }
    }
    assert!(format!("{platform:?}").contains("values: 2"));
}

mod props {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// One step of a host's life: note value `n` (of a pool of 24) or pin it, then let
    /// `ms` milliseconds pass.
    fn steps() -> impl Strategy<Value = Vec<(usize, bool, u64)>> {
        prop::collection::vec((0usize..24, prop::bool::weighted(0.05), 0u64..400), 1..120)
    }

    proptest! {
        /// Whatever the traffic and the caps: the table stays under its caps; a value
        /// just seen is masked; and while nothing was evicted, every value seen within
        /// the retention (or pinned) is masked.
        #[test]
        fn caps_hold_and_values_within_the_retention_stay_masked(
            steps in steps(),
            max_patterns in 4usize..200,
            max_pattern_bytes in 256usize..8192,
            all_encodings in any::<bool>(),
        ) {
            let clock = Manual::default();
            let retention = Duration::from_millis(1000);
            let platform = PlatformRedactor::builder()
                .encodings(if all_encodings { Encodings::all() } else { Encodings::none() })
                .retention(retention)
                .max_patterns(max_patterns)
                .max_pattern_bytes(max_pattern_bytes)
                .clock(clock.clone())
                .build();
            let text = |n: usize| format!("sk-prop-{n:02}-{}", "x".repeat(n));
            let mut last_seen: HashMap<usize, u64> = HashMap::new();
            for (n, pin, ms) in steps {
                let v = value(&text(n));
                if pin { platform.pin(&v) } else { platform.note(&v) }
                let now = clock.now();
                last_seen.insert(n, if pin { u64::MAX } else { now.max(last_seen.get(&n).copied().unwrap_or(0)) });
                let stats = platform.stats();
                prop_assert!(stats.patterns <= max_patterns, "{stats:?}");
                prop_assert!(stats.pattern_bytes <= max_pattern_bytes, "{stats:?}");
                if stats.refused == 0 {
                    prop_assert!(masked(&platform, &text(n)), "just seen: {n}");
                }
                if stats.evicted == 0 && stats.refused == 0 {
                    for (&m, &seen) in &last_seen {
                        if seen == u64::MAX || seen + 1000 > now {
                            prop_assert!(masked(&platform, &text(m)), "{m} seen at {seen}, now {now}");
                        }
                    }
                }
                clock.advance(Duration::from_millis(ms));
            }
        }
    }
}

/// A writer made from the platform follows its table: a value noted after the table
/// was rebuilt (an expiry replaced the redactor) is masked in a stream already open.
#[test]
fn a_writer_follows_the_table_across_rebuilds() {
    use std::io::Write;
    let clock = Manual::default();
    let platform = PlatformRedactor::builder()
        .retention(HOUR)
        .clock(clock.clone())
        .build();
    platform.note(&value("sk-early-value-000001"));
    let mut w = platform.writer(Vec::new());
    w.write_all(b"before: sk-early-value-000001\n").unwrap();
    w.flush().unwrap(); // the finished line goes out while the early value is masked
    clock.advance(2 * HOUR);
    platform.note(&value("sk-later-value-000002"));
    platform.expire(); // the early value expires: half the table is stale, so it is rebuilt
    assert!(
        !masked(&platform, "sk-early-value-000001"),
        "no rebuild happened"
    );
    platform.note(&value("sk-after-rebuild-0003"));
    w.write_all(b"after: sk-later-value-000002 sk-after-rebuild-0003\n")
        .unwrap();
    let out = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(out, "before: [REDACTED]\nafter: [REDACTED] [REDACTED]\n");
}

/// A value noted or pinned while another thread's note rebuilds the table (which
/// compiles without the table's lock) is masked from the moment its call returns,
/// and after every rebuild that follows: pinned values, evicted last, stay masked
/// to the end while a churn of other values keeps the table at its cap.
#[test]
fn values_admitted_during_a_rebuild_stay_masked() {
    let platform = PlatformRedactor::builder().max_patterns(3000).build();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            // Churn: distinct values past the cap, each over-cap note rebuilding.
            // Bounded, so a rebuild that never ends fails the pins, not the clock.
            let mut n = 0;
            while !done.load(Ordering::Relaxed) && n < 200_000 {
                platform.note(&value(&format!("churn-value-{n:08}")));
                n += 1;
            }
            assert!(platform.stats().evicted > 0, "the churn evicted values");
        });
        let pinners: Vec<_> = (0..2)
            .map(|t| {
                let platform = &platform;
                s.spawn(move || {
                    let mut pinned = Vec::new();
                    for i in 0..60 {
                        let v = format!("pinned-{t}-{i:04}-value");
                        platform.pin(&value(&v));
                        assert!(masked(platform, &v), "{v} right after its pin");
                        pinned.push(v);
                        for earlier in &pinned {
                            assert!(masked(platform, earlier), "{earlier} after pin {i}");
                        }
                    }
                    pinned
                })
            })
            .collect();
        // Joined before any failure is raised, so the churn always stops.
        let joined: Vec<_> = pinners.into_iter().map(|h| h.join()).collect();
        done.store(true, Ordering::Relaxed);
        let pinned: Vec<String> = joined.into_iter().flat_map(|r| r.unwrap()).collect();
        for v in &pinned {
            assert!(masked(&platform, v), "{v} at the end");
        }
    });
}

/// A table at its cap, rebuilt: the values noted while the rebuild runs take the
/// room it frees, and evict nothing (each evicted a value still in use, one per
/// note, while the room being freed still counted).
#[test]
fn values_noted_during_a_rebuild_take_the_room_it_frees() {
    let clock = Manual::default();
    let platform = PlatformRedactor::builder()
        .encodings(Encodings::none())
        .max_patterns(100)
        .clock(clock.clone())
        .build();
    for n in 0..100 {
        platform.note(&value(&format!("sk-value-{n:04}")));
        clock.advance(Duration::from_secs(1));
    }
    let during = platform.clone();
    workflow_secrets::testing::platform::on_next_rebuild(move || {
        for n in 0..10 {
            during.note(&value(&format!("sk-during-{n:04}")));
        }
    });
    // Over the cap: down to 7/8 of it (88, less the new value: 13 evicted), then
    // the rebuild, during which ten more arrive.
    platform.note(&value("sk-value-0100"));
    let stats = platform.stats();
    assert_eq!(stats.evicted, 13, "{stats:?}");
    assert_eq!((stats.values, stats.patterns), (98, 98));
    for n in 0..10 {
        assert!(masked(&platform, &format!("sk-during-{n:04}")), "{n}");
    }
    for n in 13..=100 {
        assert!(masked(&platform, &format!("sk-value-{n:04}")), "{n}");
    }
    assert!(
        !masked(&platform, "sk-value-0012"),
        "evicted, and rebuilt away"
    );
}

/// A rebuild that unwinds leaves no rebuild under way: the next trigger rebuilds
/// (the values evicted before it are unmasked), and every value noted is masked.
#[test]
fn a_rebuild_that_unwinds_does_not_stop_the_next() {
    let platform = PlatformRedactor::builder()
        .encodings(Encodings::none())
        .max_patterns(16)
        .build();
    for n in 0..16 {
        platform.note(&value(&format!("sk-value-{n:04}")));
    }
    workflow_secrets::testing::platform::on_next_rebuild(|| panic!("a build that fails"));
    let trigger = std::panic::AssertUnwindSafe(|| platform.note(&value("sk-value-0016")));
    assert!(std::panic::catch_unwind(trigger).is_err());
    assert!(
        masked(&platform, "sk-value-0016"),
        "masked before the build"
    );
    // Over the cap again: this rebuild runs.
    for n in 17..40 {
        platform.note(&value(&format!("sk-value-{n:04}")));
        assert!(masked(&platform, &format!("sk-value-{n:04}")), "{n}");
    }
    assert!(platform.stats().patterns <= 16);
    assert!(
        !masked(&platform, "sk-value-0000"),
        "evicted, and rebuilt away"
    );
}
