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
//!
//! `cargo run --release -- [--enc] [--shapes] [N...]` (see README.md).

mod hs;

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use workflow_secrets::{Redactor, SecretValue, redact::Encodings};

#[path = "../../benches/support/corpus.rs"]
mod corpus;
#[path = "../../benches/support/shapes.rs"]
mod shapes;
use corpus::log_text_with;

/// The unregistered tokens the `--shapes` noise texts draw from (as in `redact.rs`).
const NOISE_POOL: usize = 8_192;

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
    let real = args.iter().any(|a| a == "--shapes");
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
    let budget = Duration::from_millis(600);
    println!(
        "secrets: {}; encodings {}; MiB/s, best of >= 3 runs; ratios are ours / other",
        if real {
            "real shapes (benches/support/shapes.rs)"
        } else {
            "random base64url tokens, 16-64 characters"
        },
        if enc {
            "on (Hyperscan and aho-corasick get every variant)"
        } else {
            "off"
        }
    );
    println!(
        "| N | text | ours | writer 64K | Hyperscan | HS+copy | aho-corasick | memcpy | ours/HS | ours/(HS+copy) | ours/AC | writer/ours |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
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
        // Every match kind (`Standard` is the fastest where nothing matches), with
        // the default automaton and, where it fits, the DFA; the best of them counts.
        let mut acs = Vec::new();
        for kind in [None, Some(AhoCorasickKind::DFA)] {
            if kind.is_some() && (bytes > 512 * 1024 || patterns.len() <= 64) {
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
        for &state in texts {
            let hits = state == "hits";
            let noise = pool.as_deref().filter(|_| state != "clean");
            let text = log_text_with(hits.then_some(&secrets[..]), noise);
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
            // Scan then copy: their times add.
            let hs_copy = 1.0 / (1.0 / hs + 1.0 / copy);
            println!(
                "| {n} | {state} | {ours:.0} | {writer:.0} | {hs:.0} | {hs_copy:.0} | {ac:.0} | {copy:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
                ours / hs,
                ours / hs_copy,
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
