#![allow(clippy::unwrap_used, clippy::expect_used)] // benches: a panic is the failure report
//! Redaction throughput against its floors, one criterion group per case so each
//! report is a ratio: ours, the search floor (the fastest of raw `aho-corasick`
//! kinds and a `regex` alternation, find-only over the same patterns), a naive
//! `str::replace` loop (N <= 100) and a plain copy (the bandwidth ceiling).
//!
//! Run: `cargo bench --bench redact -- --warm-up-time 1 --measurement-time 2`
//! (add a filter such as `^clean/enc_off` to run one family; filters are regexes).
//! Hyperscan, the bar for N >= 100, is compared in `bench-hyperscan/` (it needs a C
//! library; `--shapes` there runs the real-shape corpora below).
//!
//! Groups, and where criterion writes them: a group `a/b/c` and bench `x` land in
//! `target/criterion/a_b_c/x/new/estimates.json` (criterion turns `/` into `_`).
//! - `{clean,hits}/{enc_off,enc_on}/{N}`, N in 1..=100,000 (enc_on to 10,000):
//!   random base64url tokens (`support/corpus.rs`).
//! - `shapes/{clean,noise,hits}/enc_off/{N}`, N in 100, 1,000, 10,000, 100,000:
//!   secrets of real shapes (`support/shapes.rs`: vendor keys, JWTs sharing headers
//!   and payload starts, hex keys, passwords); `noise` carries unregistered tokens of
//!   the same shapes every 512 B to 1 KiB, `hits` that noise plus a registered secret
//!   every 4 KiB. Run them with `-- '^shapes/'`.
//! - `build/...`, `serialize_1mib/...`, `adversarial/{set}/{16,64,256}k/...`.
//! - `formats/{clean,noise}/{10,100}` and `formats/adversarial/...`: token-format
//!   masking on against off (see `formats`). Run them with `-- '^formats/'`.
//! - `writes/{N}`, N in 1, 10, 100, 1,000: the writer in 64 KiB and 4 KiB writes
//!   beside `ours` and each floor fed the same writes (see `writes`).
//! - `lines/{N}/threads_{T}`, N in 1, 100, 10,000, T in 1, 2: one redactor shared by
//!   T threads, each redacting 20,000 log lines (about 120 bytes each) one call per
//!   line, against each floor called per line the same way (see `lines`).
//!
//! Benches in the search groups: `ours`; the floors `floor_ac_{Standard,LeftmostFirst,
//! LeftmostLongest}_{default,dfa}` (find-only `find_iter` count; `dfa` only up to
//! `DFA_MAX_PATTERN_BYTES`) and `floor_regex` (up to `REGEX_MAX_PATTERNS`); `copy`. In
//! `shapes/hits/...` each floor also as `<floor>_plus_copy` (the scan and one copy of
//! the text: a redactor must build its output, so that is its floor there). The
//! random-token groups add `ac_replace_all_plain` (hits), `naive_replace` (N <= 100,
//! encodings off) and `writer_64k` (encodings on).

use std::cell::OnceCell;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use workflow_secrets::{
    Redactor, SecretKey,
    redact::{Encodings, TokenFormats},
};

mod support {
    pub(crate) mod corpus;
    pub(crate) mod shapes;
    pub(crate) mod writes;
}
use support::corpus::{log_text, log_text_with, secrets, values};
use support::shapes::{self, real_secrets, unregistered};
use support::writes;

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

/// A find-only search: returns how many matches it found. (Shared by threads in
/// `lines`.)
type Find = Box<dyn Fn(&[u8]) -> usize + Send + Sync>;
/// A named find-only search.
type Floor = (String, Find);

/// One raw find-only search over the patterns: an aho-corasick match kind with the
/// crate's default automaton choice (`None`) or its DFA, or a `regex` alternation.
#[derive(Clone, Copy)]
enum FloorKind {
    Ac(MatchKind, Option<AhoCorasickKind>),
    Regex,
}

impl FloorKind {
    /// The bench name: `floor_ac_<MatchKind>_<default|dfa>` or `floor_regex`.
    fn name(self) -> String {
        match self {
            FloorKind::Ac(mk, kind) => format!(
                "floor_ac_{mk:?}_{}",
                if kind.is_some() { "dfa" } else { "default" }
            ),
            FloorKind::Regex => "floor_regex".to_owned(),
        }
    }

    /// The search, or `None` where the regex exceeds its size limits.
    fn build(self, patterns: &[Vec<u8>]) -> Option<Find> {
        match self {
            FloorKind::Ac(mk, kind) => {
                let ac = AhoCorasick::builder()
                    .match_kind(mk)
                    .kind(kind)
                    .build(patterns)
                    .unwrap();
                Some(Box::new(move |hay: &[u8]| ac.find_iter(hay).count()))
            }
            FloorKind::Regex => {
                let alternation = patterns
                    .iter()
                    .map(|p| regex::escape(std::str::from_utf8(p).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|");
                let re = regex::bytes::RegexBuilder::new(&alternation)
                    .size_limit(1 << 30)
                    .dfa_size_limit(1 << 30)
                    .build()
                    .ok()?;
                Some(Box::new(move |hay: &[u8]| re.find_iter(hay).count()))
            }
        }
    }
}

/// The floors feasible for `count` patterns of `bytes` bytes in all: every
/// aho-corasick match kind (`Standard`, the fastest when nothing matches, included)
/// with the default automaton, and with the DFA and a regex where they fit the limits.
/// Decided from sizes alone, so a bench can name its floors before building them.
fn floor_plan(count: usize, bytes: usize) -> Vec<FloorKind> {
    let mut out = Vec::new();
    for kind in [None, Some(AhoCorasickKind::DFA)] {
        if kind.is_some() && bytes > DFA_MAX_PATTERN_BYTES {
            continue;
        }
        for mk in [
            MatchKind::Standard,
            MatchKind::LeftmostFirst,
            MatchKind::LeftmostLongest,
        ] {
            out.push(FloorKind::Ac(mk, kind));
        }
    }
    if count <= REGEX_MAX_PATTERNS {
        out.push(FloorKind::Regex);
    }
    out
}

/// The raw floors over `patterns`: every feasible aho-corasick kind and a regex.
fn floors(patterns: &[Vec<u8>]) -> Vec<Floor> {
    let bytes: usize = patterns.iter().map(Vec::len).sum();
    floor_plan(patterns.len(), bytes)
        .into_iter()
        .filter_map(|kind| Some((kind.name(), kind.build(patterns)?)))
        .collect()
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

/// The N of the real-shape groups.
const SHAPE_COUNTS: [usize; 4] = [100, 1_000, 10_000, 100_000];
/// The unregistered tokens noise texts draw from: the same pool at every N, so the
/// noise text is one text.
const NOISE_POOL: usize = 8_192;

/// A real-shape set's redactor and floors (index for index with its `floor_plan`;
/// `None` where the regex did not build), made on first use: at N = 100,000 they take
/// seconds, which a filter that skips the group should not pay.
struct ShapeSet {
    redactor: Redactor,
    floors: Vec<Option<Find>>,
}

/// Secrets of real shapes (issue 17, `support/shapes.rs`), encodings off, over three
/// texts: `clean` (log lines only), `noise` (unregistered tokens of the same shapes
/// every 512 B to 1 KiB) and `hits` (that noise plus a registered secret every 4 KiB).
/// Beside `ours`: each floor of `floor_plan`, and for hits each floor `_plus_copy` (a
/// redactor must build its output, so that is its floor), and `copy`.
fn shapes(c: &mut Criterion) {
    shapes::assert_sane();
    let pool = unregistered(NOISE_POOL);
    let clean_text = log_text(None);
    let noise_text = log_text_with(None, Some(&pool));
    for n in SHAPE_COUNTS {
        let secrets = real_secrets(n);
        let bytes: usize = secrets.iter().map(String::len).sum();
        let plan = floor_plan(n, bytes);
        let hits_text = log_text_with(Some(&secrets), Some(&pool));
        let set = OnceCell::new();
        let set = || {
            set.get_or_init(|| {
                let redactor = redactor(&secrets, Encodings::none());
                let patterns = redactor.__registered_patterns();
                assert_eq!(
                    (patterns.len(), patterns.iter().map(Vec::len).sum::<usize>()),
                    (n, bytes),
                    "with encodings off the patterns are the secrets, as the plan assumed"
                );
                let floors = plan.iter().map(|kind| kind.build(&patterns)).collect();
                ShapeSet { redactor, floors }
            })
        };
        for (state, text) in [
            ("clean", &clean_text),
            ("noise", &noise_text),
            ("hits", &hits_text),
        ] {
            let hits = state == "hits";
            // Once per group, before its first sample: the text holds exactly the
            // registered secrets it was given (none in clean and noise texts: the
            // noise is unregistered), counted by a raw leftmost-longest search.
            let checked = OnceCell::new();
            let setup = || {
                let set = set();
                checked.get_or_init(|| {
                    let expected = text.matches(" auth=").count();
                    assert_eq!(
                        expected > 0,
                        hits,
                        "{state}: registered secrets only in hits"
                    );
                    let leftmost_longest = plan
                        .iter()
                        .position(|k| matches!(k, FloorKind::Ac(MatchKind::LeftmostLongest, None)))
                        .unwrap();
                    let found = set.floors[leftmost_longest].as_ref().unwrap()(text.as_bytes());
                    assert_eq!(
                        found, expected,
                        "shapes/{state}/{n}: registered secrets found"
                    );
                });
                set
            };
            let mut g = c.benchmark_group(format!("shapes/{state}/enc_off/{n}"));
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.sample_size(10);
            g.bench_function("ours", |b| {
                let r = &setup().redactor;
                b.iter(|| r.redact(black_box(text)).len())
            });
            for (i, kind) in plan.iter().enumerate() {
                let find = |name: &str| {
                    setup().floors[i].as_deref().unwrap_or_else(|| {
                        panic!("{name} did not build at N = {n}: lower REGEX_MAX_PATTERNS")
                    })
                };
                let name = kind.name();
                g.bench_function(&name, |b| {
                    let find = find(&name);
                    b.iter(|| find(black_box(text.as_bytes())))
                });
                if hits {
                    g.bench_function(format!("{name}_plus_copy"), |b| {
                        let find = find(&name);
                        b.iter(|| {
                            find(black_box(text.as_bytes()))
                                + black_box(text.as_bytes()).to_vec().len()
                        })
                    });
                }
            }
            g.bench_function("copy", |b| b.iter(|| black_box(text.as_bytes()).to_vec()));
            g.finish();
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
    // and the queueing plus the next read, which compiles the value's own patterns;
    // and the same with labelled masks, each secret under a key of its own (as the
    // resolver's redactors are), where each add brings a mask.
    for (compile, labelled) in [(false, false), (true, false), (true, true)] {
        let id = match (compile, labelled) {
            (false, _) => "add_queue_at_10000",
            (true, false) => "add_then_read_at_10000",
            (true, true) => "add_then_read_labelled_at_10000",
        };
        let setup = std::cell::OnceCell::new();
        let mut i = 0;
        g.bench_function(id, |b| {
            let (r, extra, keys) = setup.get_or_init(|| {
                let key = |i: usize| SecretKey::new(format!("KEY_{i}")).ok();
                let mut builder = Redactor::builder()
                    .encodings(Encodings::all())
                    .labelled(labelled);
                for (i, v) in values(&secrets(10_000)).iter().enumerate() {
                    builder = match key(i) {
                        Some(k) => builder.secret_named(&k, v),
                        None => builder.secret(v),
                    };
                }
                let keys: Vec<_> = (10_000..20_000).map(key).collect();
                (builder.build(), values(&secrets(20_000)[10_000..]), keys)
            });
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let k = i % extra.len();
                    r.add(keys[k].as_ref().filter(|_| labelled), &extra[k]);
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

/// Token formats (issue 19 item 7): the cost of `mask_token_formats(TokenFormats::all())`
/// against the same redactor without it, every encoding on (the default), N real-shape
/// secrets registered. `formats/clean/{N}`: the 4 MiB log text with no token in it;
/// `formats/noise/{N}`: the same text with an unregistered real-shape token every
/// 512 B to 1 KiB (with formats on, most of them masked). Benches `formats_off`,
/// `formats_on`. `formats/adversarial/{case}/{64k,256k}`: texts made of prefixes that
/// start a token of their own body's charset over and over (each candidate is
/// refused by its left boundary, so the scan stays linear), formats on.
fn formats(c: &mut Criterion) {
    let noise = unregistered(1000);
    for n in [10, 100] {
        let secrets = real_secrets(n);
        let off = Redactor::builder().secrets(&values(&secrets)).build();
        let on = Redactor::builder()
            .secrets(&values(&secrets))
            .mask_token_formats(TokenFormats::all())
            .build();
        for (corpus, text) in [
            ("clean", log_text(None)),
            ("noise", log_text_with(None, Some(&noise))),
        ] {
            let mut g = c.benchmark_group(format!("formats/{corpus}/{n}"));
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.sample_size(20);
            g.bench_function("formats_off", |b| {
                b.iter(|| off.redact(black_box(&text)).len())
            });
            g.bench_function("formats_on", |b| {
                b.iter(|| on.redact(black_box(&text)).len())
            });
            g.finish();
        }
    }
    let on = Redactor::builder()
        .mask_token_formats(TokenFormats::all())
        .build();
    for (name, unit) in [
        ("eyJ_dash", "eyJ-"),
        ("sk_proj", "sk-proj-"),
        ("pem_begin", "-----BEGIN "),
    ] {
        for kib in [64, 256] {
            let len = kib * 1024;
            let text = unit.repeat(len / unit.len() + 1)[..len].to_owned();
            let mut g = c.benchmark_group(format!("formats/adversarial/{name}/{kib}k"));
            g.throughput(Throughput::Bytes(len as u64));
            g.sample_size(10);
            g.bench_function("formats_on", |b| {
                b.iter(|| on.redact(black_box(&text)).len())
            });
            g.finish();
        }
    }
}

/// Lines per thread in `lines`.
const LINES: usize = 20_000;

/// Short texts from several threads: a host's tracing layer redacts each log line
/// as it is written, from every worker thread, through one shared redactor. Each
/// bench runs `threads` scoped threads, each over the same `LINES` lines, one call
/// per line, and counts their bytes together; the floors are called the same way
/// (each raw automaton shared by the threads). Where ours falls behind at two
/// threads but not at one, the threads contend on something they share (before
/// the live set's snapshot moved to `arc-swap`, two threads at N = 1 redacted fewer
/// lines together than one alone).
fn lines(c: &mut Criterion) {
    let text = log_text(None);
    let lines: Vec<&str> = text.lines().take(LINES).collect();
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    for n in [1, 100, 10_000] {
        let secrets = secrets(n);
        let redactor = redactor(&secrets, Encodings::none());
        let patterns = redactor.__registered_patterns();
        let floors = floors(&patterns);
        for threads in [1, 2] {
            // Wall time of `threads` threads, each calling `f` on every line.
            let run = |f: &(dyn Fn(&str) -> usize + Sync), iters: u64| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::thread::scope(|s| {
                        for _ in 0..threads {
                            s.spawn(|| lines.iter().map(|l| f(black_box(l))).sum::<usize>());
                        }
                    });
                }
                start.elapsed()
            };
            let mut g = c.benchmark_group(format!("lines/{n}/threads_{threads}"));
            g.throughput(Throughput::Bytes((bytes * threads) as u64));
            g.sample_size(10);
            g.bench_function("ours", |b| {
                b.iter_custom(|iters| run(&|l| redactor.redact(l).len(), iters))
            });
            for (name, find) in &floors {
                g.bench_function(name, |b| {
                    b.iter_custom(|iters| run(&|l| find(l.as_bytes()), iters))
                });
            }
            g.finish();
        }
    }
}

/// The writer against what any writer can do with the same writes: `writes/{N}`
/// over clean log text, encodings off. `ours` (one-shot `redact`), `writer_64k` and
/// `writer_4k` (the text written in pieces of that size into `io::sink()`), and each
/// floor over the whole text (`<floor>`), once per 64 KiB or 4 KiB write
/// (`<floor>_per_64k`, `<floor>_per_4k`), and over 4 KiB writes copied into a 64 KiB
/// buffer searched when full (`<floor>_gathered_4k`; both made by `support/writes.rs`,
/// as `bench-hyperscan` makes them); and ours in the same two roles (`ours_per_4k`,
/// `ours_gathered_4k`), so `writer_4k` sits beside our own search plus the copy that
/// gathering makes. Fed 4 KiB writes a search either
/// pays its fixed cost per call or copies every byte once more, where one-shot
/// redaction of clean text copies nothing: with 1 or 10 secrets both cost the
/// fastest floor more than a tenth of its one-shot speed (`bench-hyperscan`'s second
/// table, with Hyperscan too). No floor carries a match across a write's edge.
fn writes(c: &mut Criterion) {
    let text = log_text(None);
    let bytes = text.as_bytes();
    for n in [1, 10, 100, 1_000] {
        let secrets = secrets(n);
        let r = redactor(&secrets, Encodings::none());
        let mut g = c.benchmark_group(format!("writes/{n}"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.sample_size(10);
        g.bench_function("ours", |b| b.iter(|| r.redact(black_box(&text)).len()));
        for (name, size) in [("writer_64k", 64 * 1024), ("writer_4k", 4 * 1024)] {
            g.bench_function(name, |b| {
                b.iter(|| {
                    let mut w = r.writer(std::io::sink());
                    for piece in bytes.chunks(size) {
                        w.write_all(black_box(piece)).unwrap();
                    }
                    w.finish().unwrap();
                })
            });
        }
        // Ours in the floors' roles: one-shot redaction once per 4 KiB write, and
        // over 4 KiB writes gathered (our search plus the copy gathering makes).
        let ours = |hay: &[u8]| r.redact_bytes(black_box(hay)).len();
        g.bench_function("ours_per_4k", |b| {
            b.iter(|| writes::per_write(bytes, 4 * 1024, ours))
        });
        let mut buf = Vec::with_capacity(writes::GATHER);
        g.bench_function("ours_gathered_4k", |b| {
            b.iter(|| writes::gathered(bytes, 4 * 1024, &mut buf, ours))
        });
        for (name, find) in floors(&r.__registered_patterns()) {
            g.bench_function(&name, |b| b.iter(|| find(black_box(bytes))));
            let search = |hay: &[u8]| find(black_box(hay));
            for (suffix, size) in [("per_64k", 64 * 1024), ("per_4k", 4 * 1024)] {
                g.bench_function(format!("{name}_{suffix}"), |b| {
                    b.iter(|| writes::per_write(bytes, size, search))
                });
            }
            let mut buf = Vec::with_capacity(writes::GATHER);
            g.bench_function(format!("{name}_gathered_4k"), |b| {
                b.iter(|| writes::gathered(bytes, 4 * 1024, &mut buf, search))
            });
        }
        g.finish();
    }
}

criterion_group!(
    benches,
    search,
    writes,
    shapes,
    build,
    serialize,
    adversarial,
    formats,
    lines
);
criterion_main!(benches);
