#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! One redactor shared by threads: every thread's redaction after an `add` has
//! returned masks the added value, while other threads redact and add.

use std::sync::mpsc;
use std::thread;

use workflow_secrets::{Redactor, SecretValue};

fn value(i: usize) -> SecretValue {
    SecretValue::new(format!("added-{i:04}-Zq8vLw3kRm")).unwrap()
}

/// An adder publishes each value to readers only after `add` returned: each reader
/// then redacts a line holding it, and one holding every value published so far,
/// and must find them all masked (the set is read by every thread at once, through
/// one shared snapshot).
#[test]
fn every_thread_masks_what_was_added_before_it_looked() {
    const ADDS: usize = 300;
    const READERS: usize = 3;
    let redactor = Redactor::new([&SecretValue::new("initial-Pq7sX2vB9n").unwrap()]);
    let mut senders = Vec::new();
    thread::scope(|s| {
        for _ in 0..READERS {
            let (tx, rx) = mpsc::channel::<usize>();
            senders.push(tx);
            let r = redactor.clone();
            s.spawn(move || {
                let mut seen = Vec::new();
                for i in rx {
                    seen.push(i);
                    let line = format!("token={} initial-Pq7sX2vB9n ok", value(i).expose_secret());
                    assert_eq!(r.redact(&line), "token=*** *** ok", "value {i}");
                    let all: String = seen
                        .iter()
                        .map(|&k| format!("{} ", value(k).expose_secret()))
                        .collect();
                    assert_eq!(r.redact(&all), "*** ".repeat(seen.len()), "after {i}");
                }
                assert_eq!(seen.len(), ADDS);
            });
        }
        // Readers that hammer the set while it changes (no assertion but no panic).
        for _ in 0..2 {
            let r = redactor.clone();
            s.spawn(move || {
                for _ in 0..2_000 {
                    let _ = r.redact("nothing secret in this line, initial-Pq7sX2vB9n");
                }
            });
        }
        for i in 0..ADDS {
            redactor.add(None, &value(i));
            for tx in &senders {
                tx.send(i).unwrap();
            }
        }
        senders.clear();
    });
}
