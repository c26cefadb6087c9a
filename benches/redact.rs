#![allow(clippy::unwrap_used, clippy::expect_used)] // benches: a panic is the failure report
//! Redaction throughput against its floors, one criterion group per case so each
//! report is a ratio: ours, the search floor (the fastest of raw `aho-corasick`
//! kinds and a `regex` alternation, find-only over the same patterns), a naive
//! `str::replace` loop (N <= 100) and a plain copy (the bandwidth ceiling).
//!
//! Run: `cargo bench --bench redact -- --warm-up-time 1 --measurement-time 2`
//! (add a filter such as `clean/enc_off` to run one family). Hyperscan, the bar for
//! N >= 100, is compared in `bench-hyperscan/` (it needs a C library).

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use workflow_secrets::{Redactor, redact::Encodings};

mod support {
    pub(crate) mod corpus;
}
use support::corpus::{log_text, secrets, values};

const COUNTS: [usize; 6] = [1, 10, 100, 1_000, 10_000, 100_000];
/// With encodings on, 100,000 secrets register over a million variants, whose raw
/// floors take minutes and gigabytes to build; encodings-on groups stop here.
const ENC_ON_MAX: usize = 10_000;
/// Raw DFAs and regexes past this many pattern bytes take too long or too much memory
/// to build on a 2-core machine; the floor then is the fastest of what remains.
const DFA_MAX_PATTERN_BYTES: usize = 512 * 1024;
const REGEX_MAX_PATTERNS: usize = 20_000;

fn redactor(secrets: &[String], encodings: Encodings) -> Redactor {
    Redactor::builder()
        .secrets(&values(secrets))
        .encodings(encodings)
        .build()
}

/// A named find-only search: returns how many matches it found.
type Floor = (String, Box<dyn Fn(&[u8]) -> usize>);

/// The raw floors over `patterns`: every feasible aho-corasick kind and a regex.
fn floors(patterns: &[Vec<u8>]) -> Vec<Floor> {
    let bytes: usize = patterns.iter().map(Vec::len).sum();
    let mut out: Vec<Floor> = Vec::new();
    for kind in [None, Some(AhoCorasickKind::DFA)] {
        if kind.is_some() && bytes > DFA_MAX_PATTERN_BYTES {
            continue;
        }
        for mk in [MatchKind::LeftmostFirst, MatchKind::LeftmostLongest] {
            let ac = AhoCorasick::builder()
                .match_kind(mk)
                .kind(kind)
                .build(patterns)
                .unwrap();
            let name = format!(
                "floor_ac_{mk:?}_{}",
                if kind.is_some() { "dfa" } else { "default" }
            );
            out.push((name, Box::new(move |hay: &[u8]| ac.find_iter(hay).count())));
        }
    }
    if patterns.len() <= REGEX_MAX_PATTERNS {
        let alternation = patterns
            .iter()
            .map(|p| regex::escape(std::str::from_utf8(p).unwrap()))
            .collect::<Vec<_>>()
            .join("|");
        if let Ok(re) = regex::bytes::RegexBuilder::new(&alternation)
            .size_limit(1 << 30)
            .dfa_size_limit(1 << 30)
            .build()
        {
            out.push((
                "floor_regex".to_owned(),
                Box::new(move |hay: &[u8]| re.find_iter(hay).count()),
            ));
        }
    }
    out
}

fn search(c: &mut Criterion) {
    for hits in [false, true] {
        for (enc_name, encodings) in [("enc_off", Encodings::none()), ("enc_on", Encodings::all())]
        {
            for n in COUNTS {
                if encodings == Encodings::all() && n > ENC_ON_MAX {
                    continue;
                }
                let secrets = secrets(n);
                let text = log_text(hits.then_some(&secrets[..]));
                let r = redactor(&secrets, encodings);
                let state = if hits { "hits" } else { "clean" };
                let mut g = c.benchmark_group(format!("{state}/{enc_name}/{n}"));
                g.throughput(Throughput::Bytes(text.len() as u64));
                g.sample_size(10);
                g.bench_function("ours", |b| b.iter(|| r.redact(black_box(&text)).len()));
                let patterns = r.__registered_patterns();
                for (name, find) in floors(&patterns) {
                    g.bench_function(name, |b| b.iter(|| find(black_box(text.as_bytes()))));
                }
                if hits {
                    let ac = AhoCorasick::builder()
                        .match_kind(MatchKind::LeftmostLongest)
                        .build(&secrets)
                        .unwrap();
                    let masks = vec!["***"; secrets.len()];
                    g.bench_function("ac_replace_all_plain", |b| {
                        b.iter(|| ac.replace_all(black_box(&text), &masks).len())
                    });
                }
                if n <= 100 && encodings == Encodings::none() {
                    g.bench_function("naive_replace", |b| {
                        b.iter(|| {
                            let mut out = text.clone();
                            for s in &secrets {
                                out = out.replace(s.as_str(), "***");
                            }
                            out.len()
                        })
                    });
                }
                g.bench_function("copy", |b| b.iter(|| black_box(text.as_bytes()).to_vec()));
                if encodings == Encodings::all() {
                    g.bench_function("writer_64k", |b| {
                        b.iter(|| {
                            let mut w = r.writer(std::io::sink());
                            for chunk in text.as_bytes().chunks(64 * 1024) {
                                w.write_all(chunk).unwrap();
                            }
                            w.finish().unwrap();
                        })
                    });
                }
                g.finish();
            }
        }
    }
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    for (n, encodings) in [
        (5, Encodings::all()),
        (10_000, Encodings::none()),
        (10_000, Encodings::all()),
        (100_000, Encodings::none()),
    ] {
        // Set-up on first use, so a filter that skips this case skips its set-up.
        let setup = std::cell::OnceCell::new();
        g.bench_function(
            BenchmarkId::new(format!("enc_{}", encodings == Encodings::all()), n),
            |b| {
                let builder = setup.get_or_init(|| {
                    let vals = values(&secrets(n));
                    let builder = Redactor::builder().secrets(&vals).encodings(encodings);
                    let r = builder.build();
                    eprintln!(
                        "build n={n} encodings={}: {} patterns, heap {} KiB",
                        encodings == Encodings::all(),
                        r.__registered_patterns().len(),
                        r.memory_usage() / 1024
                    );
                    builder
                });
                b.iter(|| builder.build())
            },
        );
    }
    // Live adds into a redactor of 10,000 secrets with encodings: the queueing alone,
    // and the queueing plus the next read, which compiles the value's own patterns.
    for compile in [false, true] {
        let id = if compile {
            "add_then_read_at_10000"
        } else {
            "add_queue_at_10000"
        };
        let setup = std::cell::OnceCell::new();
        let mut i = 0;
        g.bench_function(id, |b| {
            let (r, extra) = setup.get_or_init(|| {
                let r = redactor(&secrets(10_000), Encodings::all());
                (r, values(&secrets(20_000)[10_000..]))
            });
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    r.add(None, &extra[i % extra.len()]);
                    if compile {
                        black_box(r.redact("x"));
                    }
                    i += 1;
                }
                start.elapsed().max(Duration::from_nanos(1))
            })
        });
    }
    g.finish();
}

fn serialize(c: &mut Criterion) {
    let secrets = secrets(10);
    let r = redactor(&secrets, Encodings::all());
    let text = log_text(Some(&secrets));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .take_while({
            let mut size = 0;
            move |l| {
                size += l.len() + 40;
                size < 1 << 20
            }
        })
        .enumerate()
        .map(|(i, l)| serde_json::json!({ "seq": i, "message": l, "tags": ["a", "b"] }))
        .collect();
    let doc = serde_json::Value::Array(lines);
    let len = serde_json::to_string(&doc).unwrap().len();
    let mut g = c.benchmark_group("serialize_1mib");
    g.throughput(Throughput::Bytes(len as u64));
    g.sample_size(10);
    g.bench_function("ours", |b| {
        b.iter(|| {
            serde_json::to_string(&r.serialize(black_box(&doc)))
                .unwrap()
                .len()
        })
    });
    g.bench_function("serde_json", |b| {
        b.iter(|| serde_json::to_string(black_box(&doc)).unwrap().len())
    });
    g.finish();
}

/// Adversarial sets (issue 16, item 6): periodic secrets, prefix chains, thousands
/// sharing one long prefix, over the text that makes their hits overlap, at 16, 64
/// and 256 KiB. Ours must grow linearly with the text (before the fix: text x
/// secret length); beside it, raw leftmost-longest `aho-corasick` `find_iter`
/// (non-overlapping, so itself linear) is the floor. For 64 secrets sharing a
/// growing prefix the floor runs without its prefilter: its packed (Teddy)
/// prefilter verifies all 64 at every position, text x 64 x their length.
fn adversarial(c: &mut Criterion) {
    let prefix = "a".repeat(1024);
    let sets: Vec<(&str, Vec<String>, String, bool)> = vec![
        ("periodic_2k", vec!["a".repeat(2048)], "a".into(), true),
        (
            "periodic_16k",
            vec!["a".repeat(16 * 1024)],
            "a".into(),
            true,
        ),
        (
            "prefix_chain_128",
            (1..=128).map(|k| "a".repeat(16 * k)).collect(),
            "a".into(),
            true,
        ),
        (
            "shared_prefix_2000",
            (0..2000).map(|i| format!("{prefix}{i:08}")).collect(),
            "a".into(),
            true,
        ),
        (
            "shared_growing_prefix_64",
            (1..=64)
                .map(|k| format!("{}b", "a".repeat(32 * k)))
                .collect(),
            "a".into(),
            false,
        ),
    ];
    for (name, set, unit, prefilter) in &sets {
        let r = Redactor::builder()
            .secrets(&values(set))
            .encodings(Encodings::none())
            .build();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .prefilter(*prefilter)
            .build(set)
            .unwrap();
        for kib in [16, 64, 256] {
            let len = kib * 1024;
            let text = unit.repeat(len / unit.len() + 1)[..len].to_owned();
            let mut g = c.benchmark_group(format!("adversarial/{name}/{kib}k"));
            g.throughput(Throughput::Bytes(len as u64));
            g.sample_size(10);
            g.bench_function("ours", |b| b.iter(|| r.redact(black_box(&text)).len()));
            g.bench_function("floor_ac_LeftmostLongest", |b| {
                b.iter(|| ac.find_iter(black_box(text.as_bytes())).count())
            });
            g.finish();
        }
    }
}

criterion_group!(benches, search, build, serialize, adversarial);
criterion_main!(benches);
