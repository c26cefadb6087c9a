#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! One redactor shared by threads: every thread's redaction after an `add` (or a
//! platform redactor's `note`) has returned masks the added value, while other
//! threads redact and add.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;

use workflow_secrets::redact::PlatformRedactor;
use workflow_secrets::{Redactor, SecretValue};

const ADDS: usize = 300;
const READERS: usize = 3;
const INITIAL: &str = "initial-Pq7sX2vB9n";

fn value(i: usize) -> SecretValue {
    SecretValue::new(format!("added-{i:04}-Zq8vLw3kRm")).unwrap()
}

/// Runs `READERS` threads that each get every `i` after `add(i)` has returned and
/// call `check(i, seen so far)`, two threads that call `hammer` until the adds are
/// done, and the adds themselves on this thread.
fn race(
    add: impl Fn(usize) + Sync,
    check: impl Fn(usize, &[usize]) + Sync,
    hammer: impl Fn() + Sync,
) {
    let done = AtomicBool::new(false);
    let mut senders = Vec::new();
    thread::scope(|s| {
        for _ in 0..READERS {
            let (tx, rx) = mpsc::channel::<usize>();
            senders.push(tx);
            let check = &check;
            s.spawn(move || {
                let mut seen = Vec::new();
                for i in rx {
                    seen.push(i);
                    check(i, &seen);
                }
                assert_eq!(seen.len(), ADDS);
            });
        }
        for _ in 0..2 {
            let (hammer, done) = (&hammer, &done);
            s.spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    hammer();
                }
            });
        }
        for i in 0..ADDS {
            add(i);
            for tx in &senders {
                tx.send(i).unwrap();
            }
        }
        senders.clear();
        done.store(true, Ordering::Relaxed);
    });
}

fn line(i: usize) -> String {
    format!("token={} {INITIAL} ok", value(i).expose_secret())
}

fn all(seen: &[usize]) -> String {
    seen.iter()
        .map(|&k| format!("{} ", value(k).expose_secret()))
        .collect()
}

/// An adder publishes each value to readers only after `add` returned: each reader
/// then redacts a line holding it, and one holding every value published so far,
/// and must find them all masked (the set is read by every thread at once, through
/// one shared snapshot), while two more threads redact all along.
#[test]
fn every_thread_masks_what_was_added_before_it_looked() {
    let redactor = Redactor::new([&SecretValue::new(INITIAL).unwrap()]);
    race(
        |i| redactor.add(None, &value(i)),
        |i, seen| {
            assert_eq!(redactor.redact(&line(i)), "token=*** *** ok", "value {i}");
            assert_eq!(redactor.redact(&all(seen)), "*** ".repeat(seen.len()));
        },
        || {
            let _ = redactor.redact("nothing secret in this line, initial-Pq7sX2vB9n");
        },
    );
}

/// The same through a platform redactor, whose current redactor is read the same
/// way: `redact` and a writer that follows the table, each after `note` returned.
#[test]
fn a_platform_redactor_masks_what_was_noted_before_it_looked() {
    let platform = PlatformRedactor::builder().mask("***").build();
    platform.note(&SecretValue::new(INITIAL).unwrap());
    let writer = std::sync::Mutex::new(platform.writer(Vec::new()));
    race(
        |i| platform.note(&value(i)),
        |i, seen| {
            assert_eq!(platform.redact(&line(i)), "token=*** *** ok", "value {i}");
            assert_eq!(platform.redact(&all(seen)), "*** ".repeat(seen.len()));
            let mut w = writer.lock().unwrap();
            writeln!(w, "{}", line(i)).unwrap();
            w.flush().unwrap();
        },
        || {
            let _ = platform.redact("nothing secret in this line, initial-Pq7sX2vB9n");
        },
    );
    let out = writer.into_inner().unwrap().finish().unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), READERS * ADDS);
    assert!(
        out.lines().all(|l| l == "token=*** *** ok"),
        "a noted value shows"
    );
}
