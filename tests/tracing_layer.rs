//! Feature `tracing`: a real `tracing_subscriber::fmt` subscriber writing through
//! `MaskingMakeWriter` prints no value the resolver handed out or `Secrets` stored.
#![cfg(feature = "tracing")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tracing_subscriber::fmt::MakeWriter;

/// A log sink the test reads: every `write` appended, and counted.
#[derive(Clone, Default)]
struct Sink {
    bytes: Arc<Mutex<Vec<u8>>>,
    writes: Arc<AtomicU64>,
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8(self.bytes.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `body` under a real `fmt` subscriber writing through the masking writer into
/// a fresh sink, and returns what reached the sink.
fn logged(platform: &PlatformRedactor, body: impl FnOnce()) -> String {
    let sink = Sink::default();
    let inner = {
        let sink = sink.clone();
        move || sink.clone()
    };
    let subscriber = tracing_subscriber::fmt()
        .with_writer(MaskingMakeWriter::new(platform, inner))
        .finish();
    tracing::subscriber::with_default(subscriber, body);
    sink.text()
}

#[derive(Clone, Default)]
struct Manual(Arc<AtomicU64>);

impl Clock for Manual {
    fn now(&self) -> Timestamp {
        self.0.load(Ordering::SeqCst)
    }
}

#[test]
fn a_resolved_value_logged_through_tracing_comes_out_masked() {
    let platform = PlatformRedactor::builder().build();
    let w = World::new();
    w.put(&workspace_scope(), "STRIPE_KEY", "sk-live-9f8e7d6c5b4a");
    let resolver = w.resolver.clone().with_platform_redactor(&platform);
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let resolved = block_on(resolver.resolve(&ctx, &key("STRIPE_KEY"))).unwrap();
    let log = logged(&platform, || {
        tracing::info!("charging with {}", resolved.value.expose_secret());
        tracing::warn!(token = %resolved.value.expose_secret(), "as a field");
        tracing::info!(
            "base64 {}",
            "c2stbGl2ZS05ZjhlN2Q2YzViNGE=" // the value in base64
        );
    });
    assert!(log.contains("charging with [REDACTED]"), "{log}");
    assert!(log.contains("token=[REDACTED]"), "{log}");
    assert!(log.contains("base64 [REDACTED]"), "{log}");
    assert!(!log.contains("sk-live-9f8e7d6c5b4a"), "{log}");
    // Unlabelled: the mask names no key.
    assert!(!log.contains("STRIPE_KEY"), "{log}");
    assert!(!log.contains("REDACTED:"), "{log}");
    assert_eq!(log.lines().count(), 3, "{log}");
}

#[test]
fn without_the_hook_the_writer_has_nothing_to_mask() {
    // The test above can fail: the same log without `with_platform_redactor` shows
    // the value.
    let platform = PlatformRedactor::builder().build();
    let w = World::new();
    w.put(&workspace_scope(), "STRIPE_KEY", "sk-live-9f8e7d6c5b4a");
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let resolved = block_on(w.resolver.resolve(&ctx, &key("STRIPE_KEY"))).unwrap();
    let log = logged(&platform, || {
        tracing::info!("charging with {}", resolved.value.expose_secret());
    });
    assert!(log.contains("charging with sk-live-9f8e7d6c5b4a"), "{log}");
}

#[test]
fn a_value_created_through_secrets_is_masked_in_the_log() {
    let platform = PlatformRedactor::builder().build();
    let w = World::new();
    let secrets = w.secrets.clone().with_platform_redactor(&platform);
    let scope = workspace_scope();
    let created = value("xoxb-slack-1234567890");
    block_on(secrets.create(&admin(), &scope, &key("SLACK_TOKEN"), created.clone())).unwrap();
    let imported = "OPENAI_API_KEY=sk-proj-imported-000111\n";
    block_on(secrets.import_env(&admin(), &scope, imported, ImportMode::Upsert)).unwrap();
    let log = logged(&platform, || {
        // A handler that logs the request it just served.
        tracing::info!(body = ?created.expose_secret(), "PUT /secrets/SLACK_TOKEN");
        tracing::info!("imported {imported}");
    });
    assert!(!log.contains("xoxb-slack-1234567890"), "{log}");
    assert!(!log.contains("sk-proj-imported-000111"), "{log}");
    assert!(log.contains(r#"body="[REDACTED]""#), "{log}");
    assert!(log.contains("imported OPENAI_API_KEY=[REDACTED]"), "{log}");
}

#[test]
fn a_rotated_values_old_and_new_are_both_masked_within_the_retention() {
    let clock = Manual::default();
    let platform = PlatformRedactor::builder()
        .retention(Duration::from_secs(3600))
        .clock(clock.clone())
        .build();
    let w = World::new();
    let secrets = w.secrets.clone().with_platform_redactor(&platform);
    let resolver = w.resolver.clone().with_platform_redactor(&platform);
    let scope = workspace_scope();
    block_on(secrets.create(&admin(), &scope, &key("API_KEY"), value("sk-old-aaaa1111"))).unwrap();
    // A step resolved the old value and is still running when the key is rotated.
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let step = resolver.step(&ctx);
    let old = block_on(step.credential("API_KEY")).unwrap();
    clock.0.fetch_add(30 * 60 * 1000, Ordering::SeqCst);
    block_on(secrets.rotate(&admin(), &scope, &key("API_KEY"), value("sk-new-bbbb2222"))).unwrap();
    let new = block_on(resolver.resolve(&ctx, &key("API_KEY")))
        .unwrap()
        .value;
    clock.0.fetch_add(29 * 60 * 1000, Ordering::SeqCst);
    platform.expire();
    let log = logged(&platform, || {
        tracing::info!("old {} new {}", old.expose_secret(), new.expose_secret());
    });
    assert!(log.contains("old [REDACTED] new [REDACTED]"), "{log}");
}

#[test]
fn an_event_is_masked_whole_a_value_split_across_its_writes_included() {
    let platform = PlatformRedactor::builder().build();
    platform.note(&value("sk-split-0123456789"));
    let sink = Sink::default();
    let make = MaskingMakeWriter::new(&platform, {
        let sink = sink.clone();
        move || sink.clone()
    });
    let mut event = make.make_writer();
    event.write_all(b"header sk-split-01").unwrap();
    event.flush().unwrap();
    assert_eq!(sink.text(), "", "nothing leaves before the event ends");
    event.write_all(b"23456789 trailer\n").unwrap();
    drop(event);
    assert_eq!(sink.text(), "header [REDACTED] trailer\n");
    assert_eq!(sink.writes.load(Ordering::SeqCst), 1, "one write per event");
    // A partial value at the event's very end, as from a formatter cut short.
    let mut event = make.make_writer();
    event.write_all(b"cut sk-split-01234").unwrap();
    drop(event);
    assert_eq!(sink.text(), "header [REDACTED] trailer\ncut [REDACTED]");
}

#[test]
fn a_value_noted_after_the_subscriber_started_is_masked() {
    let platform = PlatformRedactor::builder().build();
    let late = value("ghp_lateLATElate0123");
    let log = logged(&platform, || {
        tracing::info!("before {}", late.expose_secret());
        platform.note(&late);
        tracing::info!("after {}", late.expose_secret());
    });
    // Masking is from the moment a value is seen: the first line was written before.
    assert!(log.contains("before ghp_lateLATElate0123"), "{log}");
    assert!(log.contains("after [REDACTED]"), "{log}");
}

#[test]
fn reaching_a_cap_is_reported_once_and_the_report_can_be_logged() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let platform = PlatformRedactor::builder()
        .encodings(Encodings::none())
        .max_patterns(8)
        .on_report({
            let reports = reports.clone();
            move |r| {
                // A host logs its report through the same masked writer.
                tracing::warn!(report = ?r, "platform redactor");
                reports.lock().unwrap().push(r);
            }
        })
        .build();
    let log = logged(&platform, || {
        for n in 0..40 {
            let v = value(&format!("sk-cap-{n:08}"));
            platform.note(&v);
            tracing::info!("using {}", v.expose_secret());
        }
    });
    assert_eq!(*reports.lock().unwrap(), [PlatformReport::CapReached]);
    assert_eq!(log.matches("report=CapReached").count(), 1, "{log}");
    let stats = platform.stats();
    assert!(stats.cap_reached && stats.evicted > 0 && stats.patterns <= 8);
    // Each value was masked when it was logged, right after it was noted.
    assert!(!log.contains("using sk-cap-"), "{log}");
    assert_eq!(log.matches("using [REDACTED]").count(), 40, "{log}");
}

#[test]
fn debug_of_the_writers_carries_no_value() {
    const MARKER: &str = "sk-live-LEAKCHECK-0123456789abcdef";
    let platform = PlatformRedactor::builder().build();
    platform.note(&value(MARKER));
    let make = MaskingMakeWriter::new(&platform, std::io::sink);
    let mut event = make.make_writer();
    event.write_all(MARKER.as_bytes()).unwrap();
    for text in [
        format!("{make:?}"),
        format!("{make:#?}"),
        format!("{event:?}"),
        format!("{event:#?}"),
    ] {
        for form in [MARKER, "LEAKCHECK", "0123456789abcdef"] {
            assert!(!text.contains(form), "leaks the value: {text}");
        }
    }
    assert!(format!("{event:?}").contains(&format!("buffered: {}", MARKER.len())));
}
