//! Redaction against Hyperscan: for every N and both texts, MiB/s of ours
//! (`Redactor::redact`), the writer (64 KiB writes), Hyperscan's literal-mode scan,
//! aho-corasick's find (best of its kinds) and memcpy, with the ratios; then build
//! times and heap against Hyperscan's compile and database size, and the cost of one
//! live `add` at N = 1,000, 10,000 and 100,000.
//!
//! With `--shapes`, the secrets are of real shapes (`benches/support/shapes.rs`: vendor
//! keys, JWTs, hex keys, passwords) and the texts are three, as in `benches/redact.rs`'s
//! `shapes/*` groups: clean, noise (unregistered tokens of the same shapes every 512 B
//! to 1 KiB) and hits (that noise plus a registered secret every 4 KiB).
//!
//! For text with hits the floor a redactor is held to is the scan plus one copy of the
//! text (it must build its output): the `HS+copy` column is that, from the two times.
//! `ours into` is `Redactor::redact_into` a reused buffer, as the floor's copy is
//! (`redact` allocates a fresh output per call with a match). `writer 4K/into` sets
//! the writer in 4 KiB writes beside `redact_into`: each copies every byte once (the
//! writer into its buffer before a step, since a 4 KiB write is too short to decide in
//! place; `redact_into` into its output), where `redact` on clean text copies
//! nothing and returns the text it was given.
//!
//! A second table sets the writer beside what the fastest raw searches do when the
//! text reaches them in the same writes (see [`write_floors`]): once per 64 KiB write,
//! once per 4 KiB write, and 4 KiB writes gathered into a 64 KiB buffer. It shows how
//! much of the writer's gap any writer would have: a search called per write pays
//! its fixed cost per call, and a writer that gathers small writes copies every byte
//! once more, where one-shot `redact` on clean text copies nothing.
//!
//! `cargo run --release -- [--enc] [--shapes] [N...]` (see README.md).

mod hs;

use std::cell::RefCell;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use workflow_secrets::{Redactor, SecretValue, redact::Encodings};

#[path = "../../benches/support/corpus.rs"]
mod corpus;
#[path = "../../benches/support/shapes.rs"]
mod shapes;
#[path = "../../benches/support/writes.rs"]
mod writes;
use corpus::log_text_with;

/// The unregistered tokens the `--shapes` noise texts draw from (as in `redact.rs`).
const NOISE_POOL: usize = 8_192;

const MIB: f64 = (1 << 20) as f64;

/// The best time of each method over interleaved rounds: at least 5, and until
/// `budget` has passed. In a round each method runs once untimed and then twice
/// timed: the method before it has just filled the caches with its own tables (an
/// automaton of hundreds of MiB at N = 100,000), and whichever ran after a large one
/// would otherwise pay for it (ours, 18 MiB of tables, measured 1.65x slower right
/// after raw aho-corasick even with one untimed run, and 1.5x slower than our own
/// writer run right after it).
fn interleaved(budget: Duration, methods: &mut [Box<dyn FnMut() -> usize + '_>]) -> Vec<f64> {
    let mut best = vec![f64::MAX; methods.len()];
    let start = Instant::now();
    let mut rounds = 0;
    while rounds < 5 || start.elapsed() < budget {
        for (f, best) in methods.iter_mut().zip(&mut best) {
            black_box(f());
            for _ in 0..2 {
                let t = Instant::now();
                black_box(f());
                *best = best.min(t.elapsed().as_secs_f64());
            }
        }
        rounds += 1;
    }
    best
}

/// The writer over `text` in writes of `chunk` bytes, into `io::sink()`.
fn write_in(r: &Redactor, text: &str, chunk: usize) -> usize {
    let mut w = r.writer(std::io::sink());
    for piece in text.as_bytes().chunks(chunk) {
        w.write_all(piece).unwrap();
    }
    w.finish().unwrap();
    0
}

/// A raw search, shared by the methods that feed it the text in different writes.
type Engine<'a> = RefCell<Box<dyn FnMut(&[u8]) -> usize + 'a>>;

/// Best times of each raw search in `engines` over `text` written in pieces, as
/// [`interleaved`] times them: `[whole, per 64 KiB write, per 4 KiB write, 4 KiB
/// writes gathered]` (`benches/support/writes.rs`), each the fastest engine's.
/// "Gathered" leaves out the few bytes ours holds back at each step.
fn write_floors(budget: Duration, engines: &[Engine<'_>], text: &[u8]) -> [f64; 4] {
    let mut methods: Vec<Box<dyn FnMut() -> usize + '_>> = Vec::new();
    for engine in engines {
        let search = move |hay: &[u8]| (engine.borrow_mut())(black_box(hay));
        methods.push(Box::new(move || search(text)));
        methods.push(Box::new(move || writes::per_write(text, 64 * 1024, search)));
        methods.push(Box::new(move || writes::per_write(text, 4 * 1024, search)));
        let mut buf = Vec::with_capacity(writes::GATHER);
        methods.push(Box::new(move || {
            writes::gathered(text, 4 * 1024, &mut buf, search)
        }));
    }
    let times = interleaved(budget, &mut methods);
    std::array::from_fn(|way| {
        times
            .iter()
            .skip(way)
            .step_by(4)
            .copied()
            .fold(f64::MAX, f64::min)
    })
}

/// Best times of ours fed `text` as [`write_floors`] feeds the raw searches, timed
/// together in [`interleaved`] rounds: `[one-shot, once per 4 KiB write, 4 KiB writes
/// gathered, the writer in 4 KiB writes]`. One-shot `redact_bytes` of clean text
/// copies nothing (it returns the text it was given), so the gathered figure is our
/// search plus exactly the copy any gathering writer makes.
fn own_write_floors(budget: Duration, r: &Redactor, text: &str) -> [f64; 4] {
    let bytes = text.as_bytes();
    let search = |hay: &[u8]| r.redact_bytes(black_box(hay)).len();
    let mut buf = Vec::with_capacity(writes::GATHER);
    let mut methods: Vec<Box<dyn FnMut() -> usize + '_>> = vec![
        Box::new(move || search(bytes)),
        Box::new(move || writes::per_write(bytes, 4 * 1024, search)),
        Box::new(move || writes::gathered(bytes, 4 * 1024, &mut buf, search)),
        Box::new(move || write_in(r, text, 4 * 1024)),
    ];
    let times = interleaved(budget, &mut methods);
    [times[0], times[1], times[2], times[3]]
}

/// Past this many patterns the regex alternation is not built (minutes, gigabytes).
const REGEX_MAX_PATTERNS: usize = 10_000;

fn mibs(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / MIB / secs
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let enc = args.iter().any(|a| a == "--enc");
    let real = args.iter().any(|a| a == "--shapes");
    if args.iter().any(|a| a == "--adversarial") {
        return adversarial();
    }
    let secrets = |n: usize| {
        if real {
            shapes::real_secrets(n)
        } else {
            corpus::secrets(n)
        }
    };
    if real {
        shapes::assert_sane();
    }
    let pool = real.then(|| shapes::unregistered(NOISE_POOL));
    let texts: &[&str] = if real {
        &["clean", "noise", "hits"]
    } else {
        &["clean", "hits"]
    };
    let mut counts: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if counts.is_empty() {
        counts = vec![1, 10, 100, 1_000, 10_000, 100_000];
    }
    let encodings = if enc {
        Encodings::all()
    } else {
        Encodings::none()
    };
    let budget = Duration::from_millis(2500);
    println!(
        "secrets: {}; encodings {}; MiB/s, best of interleaved rounds (>= 5, about 2.5 s, each warmed, then timed twice); \
         ratios are ours / other, and on `hits` rows the other's time includes one copy of the text",
        if real {
            "real shapes (benches/support/shapes.rs)"
        } else {
            "random base64url tokens, 16-64 characters"
        },
        if enc {
            "on (Hyperscan, aho-corasick and regex get every variant)"
        } else {
            "off"
        }
    );
    println!(
        "| N | text | ours | writer 64K | writer 4K | Hyperscan | aho-corasick | regex | memcpy | fastest | ours/HS | ours/fastest | ours/AC | writer 64K/ours | writer 4K/ours | ours into | into/fastest | writer 4K/into |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut builds = Vec::new();
    let mut write_rows = Vec::new();
    for &n in &counts {
        let secrets = secrets(n);
        let vals: Vec<SecretValue> = secrets
            .iter()
            .map(|s| SecretValue::new(s.clone()).unwrap())
            .collect();
        let builder = Redactor::builder().secrets(&vals).encodings(encodings);
        // Best of three builds (the first also pays for fresh pages).
        let mut ours_build = Duration::MAX;
        let mut r = builder.build();
        for _ in 0..3 {
            drop(r);
            let t = Instant::now();
            r = builder.build();
            ours_build = ours_build.min(t.elapsed());
        }
        let patterns = r.__registered_patterns();
        let t = Instant::now();
        let mut db = hs::Database::literals(&patterns).expect("hyperscan compile");
        let hs_build = t.elapsed();
        builds.push((
            n,
            patterns.len(),
            ours_build,
            r.memory_usage(),
            hs_build,
            db.size(),
        ));
        let bytes: usize = patterns.iter().map(Vec::len).sum();
        // Every match kind (`Standard` is the fastest where nothing matches), with
        // the default automaton and, where it fits, the DFA; the best of them counts.
        let mut acs = Vec::new();
        for kind in [None, Some(AhoCorasickKind::DFA)] {
            if kind.is_some() && bytes > 512 * 1024 {
                continue;
            }
            for mk in [
                MatchKind::Standard,
                MatchKind::LeftmostFirst,
                MatchKind::LeftmostLongest,
            ] {
                acs.push(
                    AhoCorasick::builder()
                        .match_kind(mk)
                        .kind(kind)
                        .build(&patterns)
                        .unwrap(),
                );
            }
        }
        // A regex alternation, where it builds in reasonable time and memory.
        let re = (patterns.len() <= REGEX_MAX_PATTERNS)
            .then(|| {
                let alternation = patterns
                    .iter()
                    .map(|p| regex::escape(std::str::from_utf8(p).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|");
                regex::bytes::RegexBuilder::new(&alternation)
                    .size_limit(1 << 30)
                    .dfa_size_limit(1 << 30)
                    .build()
                    .ok()
            })
            .flatten();
        for &state in texts {
            let hits = state == "hits";
            let noise = pool.as_deref().filter(|_| state != "clean");
            let text = log_text_with(hits.then_some(&secrets[..]), noise);
            let len = text.len();
            let mut buf = vec![0u8; len];
            let mut into = String::with_capacity(2 * len);
            // Interleaved: each round runs every method once, so a slow stretch of
            // the machine hits them all alike; each keeps its best time.
            // `redact_into` a reused buffer (second), as the floor's copy is: `redact`
            // allocates a fresh text-sized output per call with a match, which the
            // allocator may fault in anew each time.
            let mut methods: Vec<Box<dyn FnMut() -> usize + '_>> = vec![
                Box::new(|| r.redact(black_box(&text)).len()),
                Box::new(|| {
                    into.clear();
                    r.redact_into(black_box(&text), &mut into);
                    into.len()
                }),
                Box::new(|| write_in(&r, &text, 64 * 1024)),
                Box::new(|| write_in(&r, &text, 4 * 1024)),
                Box::new(|| db.scan(black_box(text.as_bytes()))),
                Box::new(|| {
                    buf.copy_from_slice(black_box(text.as_bytes()));
                    buf[len / 2] as usize
                }),
            ];
            for ac in &acs {
                methods.push(Box::new(|| {
                    ac.find_iter(black_box(text.as_bytes())).count()
                }));
            }
            if let Some(re) = &re {
                methods.push(Box::new(|| {
                    re.find_iter(black_box(text.as_bytes())).count()
                }));
            }
            let times = interleaved(budget, &mut methods);
            drop(methods);
            // The writer's floors (text without hits: where the writer has a gap).
            if !hits {
                let best_ac = (0..acs.len())
                    .min_by(|&a, &b| times[6 + a].total_cmp(&times[6 + b]))
                    .expect("at least one automaton");
                let ac = &acs[best_ac];
                let db = &mut db;
                let mut engines: Vec<Engine<'_>> = vec![
                    RefCell::new(Box::new(|hay: &[u8]| db.scan(hay))),
                    RefCell::new(Box::new(move |hay: &[u8]| ac.find_iter(hay).count())),
                ];
                if let Some(re) = &re {
                    engines.push(RefCell::new(Box::new(move |hay: &[u8]| {
                        re.find_iter(hay).count()
                    })));
                }
                let [whole, w64k, w4k, gathered] = write_floors(budget, &engines, text.as_bytes());
                let own = own_write_floors(budget, &r, &text);
                write_rows.push(format!(
                    "| {n} | {state} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                    times[0] / times[2],
                    whole / w64k,
                    times[0] / times[3],
                    whole / w4k,
                    whole / gathered,
                    own[0] / own[1],
                    own[0] / own[2],
                    own[0] / own[3],
                ));
            }
            let (ours, into, w64, w4, hs, copy) =
                (times[0], times[1], times[2], times[3], times[4], times[5]);
            let ac = times[6..6 + acs.len()]
                .iter()
                .copied()
                .fold(f64::MAX, f64::min);
            let regex = re.as_ref().map(|_| times[6 + acs.len()]);
            let fastest = hs.min(ac).min(regex.unwrap_or(f64::MAX));
            // A redactor must build its output: where the text has hits, its floor is
            // the scan and then one copy of the text.
            let floor = |t: f64| if hits { t + copy } else { t };
            let m = |t: f64| mibs(len, t);
            println!(
                "| {n} | {state} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} |",
                m(ours),
                m(w64),
                m(w4),
                m(hs),
                m(ac),
                regex.map_or("-".to_owned(), |t| format!("{:.0}", m(t))),
                m(copy),
                m(floor(fastest)),
                floor(hs) / ours,
                floor(fastest) / ours,
                floor(ac) / ours,
                ours / w64,
                ours / w4,
                m(into),
                floor(fastest) / into,
                into / w4,
            );
        }
    }
    println!();
    println!(
        "the writer beside the fastest raw search (Hyperscan, the fastest aho-corasick kind, regex) fed the same writes, \
         each ÷ its own one-shot figure: `floor 64K` and `floor 4K` search each write as it comes, `floor 4K gathered` \
         copies 4 KiB writes into a 64 KiB buffer and searches it when full; no floor carries a match across a write's \
         edge. A writer of 4 KiB writes must do one or the other. The last three columns are ours in the same \
         roles, timed together in their own rounds: one-shot `redact_bytes` once per 4 KiB write (`ours 4K`) and over \
         the 4 KiB writes gathered into 64 KiB (`ours 4K gathered`), and the writer (`writer 4K`), each ÷ one-shot \
         `redact_bytes` over the whole text: where the writer keeps what `ours 4K gathered` keeps, all it costs beyond \
         our one-shot search is the copy that gathering makes"
    );
    println!(
        "| N | text | writer 64K/ours | floor 64K/floor | writer 4K/ours | floor 4K/floor | floor 4K gathered/floor | ours 4K/ours | ours 4K gathered/ours | writer 4K/ours (same rounds) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for row in write_rows {
        println!("{row}");
    }
    println!();
    println!(
        "| N | patterns | ours build (best of 3) | ours heap | Hyperscan compile (once) | Hyperscan db |"
    );
    println!("|---|---|---|---|---|---|");
    for (n, p, ob, oh, hb, hsz) in builds {
        println!(
            "| {n} | {p} | {:.2} ms | {:.2} MiB | {:.1} ms | {:.2} MiB |",
            ob.as_secs_f64() * 1e3,
            oh as f64 / MIB,
            hb.as_secs_f64() * 1e3,
            hsz as f64 / MIB
        );
    }
    // One live add (plus the next read, which compiles it) into redactors of 1,000,
    // 10,000 and 100,000: the cost follows the value's own patterns, not N. The first
    // add after the build is reported apart: its read makes the first large
    // allocation since the build, and glibc then consolidates the small blocks the
    // build freed (about 3.8 ms at 100,000 random tokens, measured as one 100 kB
    // `malloc` right after the build): the build's cost, paid once, late.
    println!();
    for base in [1_000, 10_000, 100_000] {
        let vals: Vec<SecretValue> = secrets(base)
            .iter()
            .map(|s| SecretValue::new(s.clone()).unwrap())
            .collect();
        let r = Redactor::builder()
            .secrets(&vals)
            .encodings(encodings)
            .build();
        let extra = secrets(base + 513);
        let add = |s: &String| {
            let t = Instant::now();
            r.add(None, &SecretValue::new(s.clone()).unwrap());
            black_box(r.redact("x"));
            t.elapsed().as_secs_f64() * 1e6
        };
        let first = add(&extra[base]);
        let times: Vec<f64> = extra[base + 1..].iter().map(add).collect();
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let (median, slowest) = (sorted[sorted.len() / 2], sorted[sorted.len() - 1]);
        println!(
            "add one value at N = {base} (add + next read): of 512, mean {mean:.1} us, median {median:.1} us, slowest {slowest:.0} us; the first after the build {first:.0} us"
        );
    }
}

/// `--adversarial`: the sets of `benches/redact.rs`'s `adversarial` group (one long
/// periodic secret, secrets that are prefixes of one another, thousands sharing one
/// long prefix) over texts of their repeated unit, at three lengths, so that both
/// linearity (time per KiB as the text grows) and the ratio to Hyperscan show.
fn adversarial() {
    let prefix = "a".repeat(1024);
    let sets: Vec<(&str, Vec<String>)> = vec![
        ("periodic_2k", vec!["a".repeat(2048)]),
        ("periodic_16k", vec!["a".repeat(16 * 1024)]),
        (
            "prefix_chain_128",
            (1..=128).map(|k| "a".repeat(16 * k)).collect(),
        ),
        (
            "shared_prefix_2000",
            (0..2000).map(|i| format!("{prefix}{i:08}")).collect(),
        ),
        (
            "shared_growing_prefix_64",
            (1..=64)
                .map(|k| format!("{}b", "a".repeat(32 * k)))
                .collect(),
        ),
    ];
    println!(
        "adversarial sets over texts of `a`; MiB/s, best of interleaved rounds (>= 5, about 2 s, each warmed, then timed twice); \
         ns/KiB shows linearity; ratios are ours / other. On every set the text is masked (whole hits, or a secret's \
         first KiB ending it), so a redactor must build an output: `HS+copy` is Hyperscan's scan plus one copy of the \
         text, the floor the issue sets for text with hits, and `ours into` is `redact_into` a reused buffer, as that \
         copy is"
    );
    println!(
        "| set | patterns | text | ours | ours into | ours ns/KiB | Hyperscan | HS+copy | aho-corasick | ours/HS | ours/(HS+copy) | into/(HS+copy) | ours/AC |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, set) in &sets {
        let vals: Vec<SecretValue> = set
            .iter()
            .map(|s| SecretValue::new(s.clone()).unwrap())
            .collect();
        let r = Redactor::builder()
            .secrets(&vals)
            .encodings(Encodings::none())
            .build();
        let patterns = r.__registered_patterns();
        // Hyperscan refuses literals past its length limit (16 KiB is past it).
        let mut db = hs::Database::literals(&patterns).ok();
        // The best aho-corasick can do here: leftmost-longest (the redactor's own
        // semantics) with and without its prefilter.
        let acs: Vec<AhoCorasick> = [true, false]
            .into_iter()
            .map(|prefilter| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .prefilter(prefilter)
                    .build(&patterns)
                    .unwrap()
            })
            .collect();
        for kib in [64, 256, 1024] {
            let len = kib * 1024;
            let text = "a".repeat(len);
            let mut buf = vec![0u8; len];
            let mut into = String::with_capacity(2 * len);
            let mut methods: Vec<Box<dyn FnMut() -> usize + '_>> = vec![
                Box::new(|| r.redact(black_box(&text)).len()),
                Box::new(|| {
                    db.as_mut()
                        .map_or(0, |db| db.scan(black_box(text.as_bytes())))
                }),
                Box::new(|| {
                    into.clear();
                    r.redact_into(black_box(&text), &mut into);
                    into.len()
                }),
                Box::new(|| {
                    buf.copy_from_slice(black_box(text.as_bytes()));
                    buf[len / 2] as usize
                }),
            ];
            for ac in &acs {
                methods.push(Box::new(|| {
                    ac.find_iter(black_box(text.as_bytes())).count()
                }));
            }
            let times = interleaved(Duration::from_secs(2), &mut methods);
            drop(methods);
            let (ours, hs, into, copy) = (times[0], times[1], times[2], times[3]);
            let ac = times[4..].iter().copied().fold(f64::MAX, f64::min);
            let (hs_col, floor_col, vs_hs, vs_floor, into_vs_floor) = match db {
                Some(_) => (
                    format!("{:.0}", mibs(len, hs)),
                    format!("{:.0}", mibs(len, hs + copy)),
                    format!("{:.2}", hs / ours),
                    format!("{:.2}", (hs + copy) / ours),
                    format!("{:.2}", (hs + copy) / into),
                ),
                None => (
                    "refused".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                ),
            };
            println!(
                "| {name} | {} | {kib} KiB | {:.0} | {:.0} | {:.0} | {hs_col} | {floor_col} | {:.0} | {vs_hs} | {vs_floor} | {into_vs_floor} | {:.2} |",
                patterns.len(),
                mibs(len, ours),
                mibs(len, into),
                ours * 1e9 / kib as f64,
                mibs(len, ac),
                ac / ours,
            );
        }
    }
}
