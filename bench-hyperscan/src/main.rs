//! Redaction against Hyperscan: for every N and both texts, MiB/s of ours
//! (`Redactor::redact`), the writer (64 KiB writes), Hyperscan's literal-mode scan,
//! aho-corasick's find (best of its kinds) and memcpy, with the ratios; then build
//! times and heap against Hyperscan's compile and database size, and the cost of one
//! live `add` at N = 1,000, 10,000 and 100,000.
//!
//! `cargo run --release -- [--enc] [N...]` (see README.md).

mod hs;

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use workflow_secrets::{redact::Encodings, Redactor, SecretValue};

#[path = "../../benches/support/corpus.rs"]
mod corpus;
use corpus::{log_text, secrets};

const MIB: f64 = (1 << 20) as f64;

/// The best time of `f` over at least 3 runs and about `budget`.
fn best(budget: Duration, mut f: impl FnMut() -> usize) -> f64 {
    let mut best = f64::MAX;
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || start.elapsed() < budget {
        let t = Instant::now();
        black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
        runs += 1;
    }
    best
}

fn mibs(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / MIB / secs
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let enc = args.iter().any(|a| a == "--enc");
    let mut counts: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if counts.is_empty() {
        counts = vec![1, 10, 100, 1_000, 10_000, 100_000];
    }
    let encodings = if enc {
        Encodings::all()
    } else {
        Encodings::none()
    };
    let budget = Duration::from_millis(600);
    println!(
        "encodings {}; MiB/s, best of >= 3 runs; ratios are ours / other",
        if enc {
            "on (Hyperscan and aho-corasick get every variant)"
        } else {
            "off"
        }
    );
    println!(
        "| N | text | ours | writer 64K | Hyperscan | aho-corasick | memcpy | ours/HS | ours/AC | writer/ours |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut builds = Vec::new();
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
        let mut acs = vec![
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .unwrap(),
        ];
        if bytes <= 512 * 1024 && patterns.len() > 64 {
            acs.push(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .unwrap(),
            );
        }
        for hits in [false, true] {
            let text = log_text(hits.then_some(&secrets[..]));
            let len = text.len();
            let ours = mibs(len, best(budget, || r.redact(black_box(&text)).len()));
            let writer = mibs(
                len,
                best(budget, || {
                    let mut w = r.writer(std::io::sink());
                    for chunk in text.as_bytes().chunks(64 * 1024) {
                        w.write_all(chunk).unwrap();
                    }
                    w.finish().unwrap();
                    0
                }),
            );
            let hs = mibs(len, best(budget, || db.scan(black_box(text.as_bytes()))));
            let ac = acs
                .iter()
                .map(|ac| {
                    mibs(
                        len,
                        best(budget, || ac.find_iter(black_box(text.as_bytes())).count()),
                    )
                })
                .fold(0.0, f64::max);
            let mut buf = vec![0u8; len];
            let copy = mibs(
                len,
                best(budget, || {
                    buf.copy_from_slice(black_box(text.as_bytes()));
                    buf[len / 2] as usize
                }),
            );
            println!(
                "| {n} | {} | {ours:.0} | {writer:.0} | {hs:.0} | {ac:.0} | {copy:.0} | {:.2} | {:.2} | {:.2} |",
                if hits { "hits" } else { "clean" },
                ours / hs,
                ours / ac,
                writer / ours
            );
        }
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
    // 10,000 and 100,000: the cost follows the value's own patterns, not N.
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
        let extra = secrets(base + 512);
        let t = Instant::now();
        for s in &extra[base..] {
            r.add(None, &SecretValue::new(s.clone()).unwrap());
            black_box(r.redact("x"));
        }
        println!(
            "add one value at N = {base} (add + next read, mean of 512): {:.1} us",
            t.elapsed().as_secs_f64() * 1e6 / 512.0
        );
    }
}
