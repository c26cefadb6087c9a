#![allow(clippy::unwrap_used, clippy::expect_used)] // benches: a panic is the failure report
//! `parse_env` throughput on a 1 MiB `.env` of 10,000 entries, next to a naive
//! `split_once('=')` line splitter (no quotes, no escapes, no checks) as the
//! baseline, so the report reads as a ratio.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use workflow_secrets::import::parse_env;

const ENTRIES: usize = 10_000;
const TARGET: usize = 1 << 20;

/// A deterministic `.env` text of `ENTRIES` entries, a little over 1 MiB: unquoted,
/// single- and double-quoted values (some with escapes, some over two lines),
/// comment lines, blank lines, `export` prefixes and trailing comments.
fn env_text() -> String {
    let mut len = 80;
    loop {
        let text = env_text_with(len);
        if text.len() >= TARGET {
            return text;
        }
        len += (TARGET - text.len()) / ENTRIES + 1;
    }
}

fn env_text_with(value_len: usize) -> String {
    // A small LCG: the same text on every run and every machine.
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_.";
    let mut text = String::with_capacity(TARGET + TARGET / 8);
    for i in 0..ENTRIES {
        if i % 10 == 0 {
            text.push_str("# section of the service's credentials\n\n");
        }
        let mut value = String::with_capacity(value_len);
        for _ in 0..value_len - 8 + next() % 16 {
            value.push(ALPHABET[next() % ALPHABET.len()] as char);
        }
        let export = if i % 7 == 0 { "export " } else { "" };
        match i % 4 {
            0 => text.push_str(&format!("{export}KEY_{i}={value}\n")),
            1 => text.push_str(&format!("{export}KEY_{i} = '{value}' # rotated monthly\n")),
            2 => {
                let half = value.len() / 2;
                text.push_str(&format!(
                    "{export}KEY_{i}=\"{}\\n{}\\\"\"\n",
                    &value[..half],
                    &value[half..]
                ));
            }
            _ => {
                let half = value.len() / 2;
                text.push_str(&format!(
                    "KEY_{i}=\"{}\n{}\"\n",
                    &value[..half],
                    &value[half..]
                ));
            }
        }
    }
    text
}

fn naive_split(text: &str) -> usize {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| k.trim().len() + v.trim().len())
        .sum()
}

fn parse(c: &mut Criterion) {
    let text = env_text();
    let parsed = parse_env(&text).unwrap();
    assert_eq!(parsed.entries.len(), ENTRIES);
    let mut group = c.benchmark_group("parse_env");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse_env 1 MiB, 10k entries", |b| {
        b.iter(|| parse_env(black_box(&text)).unwrap())
    });
    group.bench_function("baseline: naive split_once", |b| {
        b.iter(|| naive_split(black_box(&text)))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
