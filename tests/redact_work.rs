#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Redaction costs O(text) for every secret set: adversarial sets (periodic secrets,
//! secrets that are prefixes of each other, thousands sharing one long prefix) over
//! the text that hurts them most, under every production searcher. Proven by
//! counting work (`testing::searchers::work`: bytes a search may read, candidates
//! verified, automaton steps), not by timing: at 16, 64 and 256 KiB of text the work
//! never passes a fixed multiple of the text plus a constant, whatever the secrets'
//! lengths (before the fix, 2 KiB of one character over 16 KiB charged 29 million
//! steps: text x secret length).
//!
//! The forced `Automaton` is the oracle the others are compared with, kept plain on
//! purpose (resuming one byte after each hit); it is not a production searcher and
//! is left out.

use workflow_secrets::redact::{Encodings, TokenFormats};
use workflow_secrets::testing::searchers::{Searcher, used, with_searcher, work};
use workflow_secrets::{Redactor, SecretValue};

/// Work allowed per text byte, and a constant for short texts (the budget the
/// searchers fall back at, `matcher.rs`, plus the linear pass).
const PER_BYTE: u64 = 12;
const CONSTANT: u64 = 256 * 1024;

struct Case {
    name: &'static str,
    values: Vec<String>,
    /// The text, repeated or cut to the wanted length.
    unit: String,
}

fn cases() -> Vec<Case> {
    let prefix = "a".repeat(1024);
    vec![
        Case {
            name: "periodic 2 KiB of one character",
            values: vec!["a".repeat(2048)],
            unit: "a".into(),
        },
        Case {
            name: "periodic with period 3",
            values: vec!["abc".repeat(700)],
            unit: "abc".into(),
        },
        Case {
            name: "periodic, 16 KiB",
            values: vec!["z".repeat(16 * 1024)],
            unit: "z".into(),
        },
        // One pattern's candidates are where its two rarest bytes (among its first
        // 255) are, each confirmed by comparing its bytes: here they recur at every
        // other byte and the comparison fails 2,000 bytes in, at the `z`.
        Case {
            name: "one secret recurring but for its last byte",
            values: vec![format!("{}z", "xy".repeat(1000))],
            unit: "xy".into(),
        },
        Case {
            name: "one secret recurring but for its last byte, text of whole hits",
            values: vec![format!("{}z", "xy".repeat(1000))],
            unit: format!("{}z", "xy".repeat(1000)),
        },
        Case {
            name: "prefix chain of 128",
            values: (1..=128).map(|k| "a".repeat(16 * k)).collect(),
            unit: "a".into(),
        },
        // The packed searcher's own verification is not charged (it happens inside
        // `aho-corasick`); it compares keys of at most 16 bytes
        // (`packed_searcher_keeps_sets_sharing_long_prefixes` below).
        Case {
            name: "64 sharing a growing prefix, no hit",
            values: (1..=64)
                .map(|k| format!("{}b", "a".repeat(32 * k)))
                .collect(),
            unit: "a".into(),
        },
        // The packed searcher keys on the last 16 bytes: here every `b` ends the
        // key of all 64, and 63 of them occur, each compared back over its length.
        Case {
            name: "64 sharing a growing prefix, a `b` every 2 KiB",
            values: (1..=64)
                .map(|k| format!("{}b", "a".repeat(32 * k)))
                .collect(),
            unit: format!("{}b", "a".repeat(2047)),
        },
        Case {
            name: "16 of 3 KiB sharing their end, text of that end",
            values: (0..16)
                .map(|i| format!("{i:03}{}", "x".repeat(3000)))
                .collect(),
            unit: "x".into(),
        },
        Case {
            name: "thousands sharing one long prefix",
            values: (0..2000).map(|i| format!("{prefix}{i:08}")).collect(),
            unit: "a".into(),
        },
        Case {
            name: "thousands sharing one long prefix, text of whole hits",
            values: (0..2000).map(|i| format!("{prefix}{i:08}")).collect(),
            unit: format!("{prefix}00000007"),
        },
    ]
}

fn text(unit: &str, len: usize) -> String {
    unit.repeat(len / unit.len() + 1)[..len].to_owned()
}

/// A redactor of `values` with no encodings: each value is its one pattern.
fn plain(values: impl IntoIterator<Item = String>) -> Redactor {
    let values: Vec<SecretValue> = values
        .into_iter()
        .map(|v| SecretValue::new(v).unwrap())
        .collect();
    Redactor::builder()
        .encodings(Encodings::none())
        .secrets(&values)
        .build()
}

#[test]
fn redaction_work_is_linear_in_the_text_for_adversarial_sets() {
    for case in cases() {
        let values: Vec<SecretValue> = case
            .values
            .iter()
            .map(|v| SecretValue::new(v.clone()).unwrap())
            .collect();
        let builder = Redactor::builder()
            .encodings(Encodings::none())
            .secrets(&values);
        for searcher in [
            Searcher::Auto,
            Searcher::Packed,
            Searcher::Memmem,
            Searcher::Fingerprint,
            Searcher::Linear,
        ] {
            // A searcher that cannot be built for the set is not what runs.
            let Ok(r) = with_searcher(&builder, searcher) else {
                continue;
            };
            let ctx = format!("{} under {searcher}", case.name);
            for len in [16 * 1024, 64 * 1024, 256 * 1024] {
                let text = text(&case.unit, len);
                let (out, cost) = work(|| r.redact(&text).into_owned());
                assert!(!out.contains(&case.values[0]), "{ctx}: not masked");
                assert!(
                    cost <= PER_BYTE * len as u64 + CONSTANT,
                    "{ctx}: {cost} steps for {len} bytes"
                );
            }
        }
    }
}

/// `aho-corasick`'s packed searcher (Teddy) confirms a candidate by comparing every
/// pattern of its bucket from there, up to the pattern's length, and that work is
/// invisible to `work()`: over whole patterns, 64 secrets `a^32k b` over `a^n` would
/// cost text x 64 x their length. So the segment hands Teddy only each pattern's last
/// 16 bytes (at most 64 x 16 compared at one position, whatever the secrets) and
/// compares the bytes before them itself, charged: sets whose secrets share long
/// prefixes keep the packed searcher, and stay linear (`cases` above runs them over
/// texts of whole and near hits).
#[test]
fn packed_searcher_keeps_sets_sharing_long_prefixes() {
    let build = |values: &[String]| {
        let values: Vec<SecretValue> = values
            .iter()
            .map(|v| SecretValue::new(v.clone()).unwrap())
            .collect();
        Redactor::builder()
            .encodings(Encodings::none())
            .secrets(&values)
    };
    let kept: [(&str, Vec<String>); 6] = [
        (
            "64 sharing a growing prefix",
            (1..=64)
                .map(|k| format!("{}b", "a".repeat(32 * k)))
                .collect(),
        ),
        (
            "20 of 200 bytes sharing `sk-`",
            (0..20).map(|i| format!("sk-{i:0197}")).collect(),
        ),
        (
            "16 of 3 KiB, distinct starts, one shared end",
            (0..16)
                .map(|i| format!("{i:03}{}", "x".repeat(3000)))
                .collect(),
        ),
        ("20 random-looking tokens of 40 bytes", {
            // A fixed xorshift stream over the base64url alphabet.
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(alphabet[(x % 64) as usize])
            };
            (0..20).map(|_| (0..40).map(|_| next()).collect()).collect()
        }),
        (
            "20 of 40 bytes sharing `sk-`",
            (0..20).map(|i| format!("sk-{i:037}")).collect(),
        ),
        (
            "20 of 1 KiB, first 3 bytes distinct",
            (0..20)
                .map(|i| format!("{i:03}{}", "y".repeat(1021)))
                .collect(),
        ),
    ];
    for (name, values) in kept {
        let auto = used(&build(&values).build()).unwrap();
        assert_eq!(auto, [Searcher::Packed], "{name}");
    }
    // With every encoding: a value's base64 forms share their path (padded and
    // not, both alphabets), and vendor prefixes encode alike; still far under.
    let keys: Vec<SecretValue> = (0..5)
        .map(|i| SecretValue::new(format!("sk-proj-{i}Xq8vR2mT7wL1nZ4cB9dF6gH3jK5pS0uY")).unwrap())
        .collect();
    let with_encodings = Redactor::builder().secrets(&keys).build();
    assert_eq!(
        used(&with_encodings).unwrap(),
        [Searcher::Packed],
        "5 `sk-proj-` keys with every encoding"
    );
}

/// A fixed xorshift stream over `alphabet`: the test's tokens, the same every run.
struct Tokens(u64);

impl Tokens {
    fn take(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                char::from(alphabet[(self.0 % alphabet.len() as u64) as usize])
            })
            .collect()
    }

    /// A token of one of three real shapes that share long prefixes: an OpenAI-style
    /// key (`sk-proj-`), a GitHub token (`ghp_`), and a JWT whose header and first
    /// payload bytes (73 characters) every JWT of the issuer shares.
    fn credential(&mut self, i: usize) -> String {
        const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        match i % 3 {
            0 => format!("sk-proj-{}", self.take(B64URL, 48)),
            1 => format!("ghp_{}", self.take(ALNUM, 36)),
            _ => format!(
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6{}.{}",
                self.take(B64URL, 40),
                self.take(B64URL, 43)
            ),
        }
    }
}

/// Issue 17: a log full of *unregistered* tokens of the registered secrets' shapes
/// (users' session JWTs, other services' keys) costs the fingerprint about one step
/// per byte, as clean text does. Before the fix its windows were each pattern's
/// first bytes, so 1,000 secrets sharing vendor prefixes and a JWT header sat behind
/// a handful of windows: every unregistered token became hundreds of candidates, the
/// candidate bound was passed and the search started over with the linear automaton
/// (at least 3 steps per byte, 0.1x the raw search's speed).
#[test]
fn unregistered_tokens_of_registered_shapes_cost_one_step_per_byte() {
    let mut tokens = Tokens(0x5EC2_E7A5_0017_0001);
    let secrets: Vec<String> = (0..1_000).map(|i| tokens.credential(i)).collect();
    let values: Vec<SecretValue> = secrets
        .iter()
        .map(|v| SecretValue::new(v.clone()).unwrap())
        .collect();
    let builder = Redactor::builder()
        .encodings(Encodings::none())
        .secrets(&values);
    let len = 1 << 20;
    // Log lines with an unregistered token every ~600 bytes and a registered secret
    // every ~8 KiB.
    let mut text = String::with_capacity(len + 1024);
    let mut registered = Vec::new();
    let mut i = 0;
    while text.len() < len {
        text.push_str("2026-03-01T12:00:00.000Z INFO http::server request completed ");
        text.push_str("status=200 latency_ms=12 workflow started queue ok payload ");
        text.push_str("bytes=5120 cache miss node execution retrying connection");
        text.push_str(" Authorization: Bearer ");
        text.push_str(&tokens.credential(i));
        if i % 14 == 13 {
            let secret = &secrets[i * 7 % secrets.len()];
            text.push_str(" auth=");
            text.push_str(secret);
            registered.push(secret.clone());
        }
        text.push('\n');
        i += 1;
    }
    for searcher in [Searcher::Auto, Searcher::Fingerprint] {
        let r = with_searcher(&builder, searcher).unwrap();
        assert_eq!(used(&r).unwrap(), [Searcher::Fingerprint], "{searcher}");
        let (out, cost) = work(|| r.redact(&text).into_owned());
        for secret in &registered {
            assert!(!out.contains(secret.as_str()), "{searcher}: not masked");
        }
        assert_eq!(
            out.matches("***").count(),
            registered.len(),
            "{searcher}: only the registered secrets are masked"
        );
        assert!(
            cost <= 2 * len as u64,
            "{searcher}: {cost} steps for {} bytes",
            text.len()
        );
    }
}

/// Issue 17: past a few thousand patterns the fingerprint widens its windows to 5 bytes,
/// which needs patterns of 13 bytes for its shortest stride. A large workspace holds
/// hundreds of 12-byte passwords (more than the short automaton takes), and the set
/// then went to the plain automaton: 0.15x the raw search at 100,000 secrets, and a
/// build of seconds. 4-byte windows still fit, and the fingerprint keeps the set.
#[test]
fn large_sets_with_many_short_passwords_keep_the_fingerprint() {
    const PRINTABLE: &[u8] = b"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    let mut tokens = Tokens(0x5EC2_E7A5_0017_0002);
    let secrets: Vec<String> = (0..21_000)
        .map(|i| {
            if i % 20 == 0 {
                tokens.take(PRINTABLE, 12)
            } else {
                tokens.credential(i)
            }
        })
        .collect();
    let r = plain(secrets.iter().cloned());
    assert_eq!(used(&r).unwrap(), [Searcher::Fingerprint]);
    let text = format!(
        "INFO login password={} token={} ok",
        secrets[20], secrets[21]
    );
    assert_eq!(r.redact(&text), "INFO login password=*** token=*** ok");
}

/// Issue 17: a candidate that fails verification costs the bytes compared before
/// the first difference, not the whole pattern. Logs that abbreviate tokens (the
/// first 24 characters of a 400-character key, then `...`) make a candidate of each
/// abbreviation; charged at the pattern's length, such a text passed the budget and
/// the search started over with the linear automaton (ten times slower).
#[test]
fn abbreviated_secrets_cost_the_bytes_compared() {
    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut tokens = Tokens(0x5EC2_E7A5_0017_0003);
    let secrets: Vec<String> = (0..200).map(|_| tokens.take(B64URL, 400)).collect();
    let r = plain(secrets.iter().cloned());
    assert_eq!(used(&r).unwrap(), [Searcher::Fingerprint]);
    let len = 1 << 20;
    let mut text = String::with_capacity(len + 64);
    let mut i = 0;
    while text.len() < len {
        text.push_str("token=");
        text.push_str(&secrets[i % secrets.len()][..24]);
        text.push_str("...\n");
        i += 1;
    }
    let (out, cost) = work(|| r.redact(&text).into_owned());
    assert_eq!(out, text, "an abbreviation is not the secret");
    assert!(
        cost <= 3 * len as u64,
        "{cost} steps for {} bytes",
        text.len()
    );
}

/// The token-format scan's adversarial texts: prefixes repeated back to back and
/// chained so each one's body could run through the next (`eyJ`, `sk-proj-`,
/// `-----BEGIN `, `ghp_`, families with different body charsets nested), JWT
/// headers that check out in segments that never make a token, PEM headers with
/// and without a body, and a registered value inside a token's body (a run the
/// scan steps over).
fn format_cases() -> Vec<(&'static str, String)> {
    // `{"alg":"HS256"}`: a first segment that checks out.
    let header = "eyJhbGciOiJIUzI1NiJ9";
    vec![
        ("`eyJ` back to back", "eyJ".into()),
        ("`eyJ.` chain", "eyJ.".into()),
        ("`eyJ` and a space", "eyJ ".into()),
        ("valid JWT headers joined by `.`", format!("{header}.")),
        (
            "two valid segments, then a space",
            format!("{header}.{header} "),
        ),
        ("`sk-proj-` back to back", "sk-proj-".into()),
        ("`sk-proj-` and a space", "sk-proj- ".into()),
        ("`sk-` chain with `_`", "sk-_".into()),
        ("`sk-ant-` back to back", "sk-ant-".into()),
        ("`sk-proj-` body holding `-ghp_`", "sk-proj--ghp_".into()),
        ("`-----BEGIN ` back to back", "-----BEGIN ".into()),
        (
            "PEM headers back to back",
            "-----BEGIN PRIVATE KEY-----".into(),
        ),
        (
            "PEM headers, each with a line",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n".into(),
        ),
        ("`ghp_` back to back", "ghp_".into()),
        ("`ghp_` and 300 alnum", format!("ghp_{} ", "A1".repeat(150))),
        ("`github_pat_` back to back", "github_pat_".into()),
        (
            "`xoxb-` body holding `_github_pat_`",
            "xoxb-1_github_pat_".into(),
        ),
        ("`SG.` back to back", "SG.".into()),
        ("`AKIA` back to back", "AKIA".into()),
        (
            "one `eyJ` and a long base64url run",
            format!("eyJ{}", "Ab1-_".repeat(4000)),
        ),
        (
            "every prefix, nested in turn",
            "eyJ-xoxb-1_github_pat_-sk-proj--ghp_-AKIA-AIza-SG.-sk_live_.-----BEGIN ".into(),
        ),
    ]
}

/// Work allowed per text byte for the format scan's texts. A body scan steps over
/// registered runs (a value inside a token's body does not cut the token), and a
/// token may start right after a run, so a body of up to 251 bytes may be read
/// again from each prefix that follows a run: at worst `sk-ant-` and a 1-byte
/// value repeated, 252 reads every 8 bytes (measured: under 4 a byte with no value,
/// under 9 with a 12-byte one, 34 with `sk-ant-` and the 1-byte one). Before the JWT header
/// stopped at a run, `eyJ` and a 12-byte value repeated read 8 KiB from every
/// `eyJ`: 179 a byte at 16 KiB.
const FORMAT_PER_BYTE: u64 = 40;

/// With every token format on, the format scan charges its bytes read (prefix
/// search, bodies, JWT headers decoded, PEM labels and bodies) to the same counter:
/// at 16, 64 and 256 KiB of each adversarial text the work stays under a fixed
/// multiple of the text, with no registered value in it, a 12-byte one (every
/// encoding on) or a 1-byte one after each piece, so no text makes the scan read a
/// byte more than a fixed number of times.
#[test]
fn format_scan_work_is_linear_in_the_text() {
    let plain = Redactor::builder()
        .encodings(Encodings::none())
        .mask_token_formats(TokenFormats::all())
        .build();
    let twelve = Redactor::builder()
        .mask_token_formats(TokenFormats::all())
        .secret(&SecretValue::new("Zq7Zq7Zq7Zq7").unwrap())
        .build();
    let one = Redactor::builder()
        .min_len(1)
        .encodings(Encodings::none())
        .mask_token_formats(TokenFormats::all())
        .secret(&SecretValue::new("Q").unwrap())
        .build();
    let mut worst = (0.0, String::new());
    for (name, unit) in format_cases() {
        for (r, value) in [(&plain, ""), (&twelve, "Zq7Zq7Zq7Zq7"), (&one, "Q")] {
            let unit = format!("{unit}{value}");
            for len in [16 * 1024, 64 * 1024, 256 * 1024] {
                let text = text(&unit, len);
                let (_, cost) = work(|| r.redact(&text).into_owned());
                let ctx = format!("{name}, value {value:?}, {len} bytes");
                assert!(
                    cost <= FORMAT_PER_BYTE * len as u64 + CONSTANT,
                    "{ctx}: {cost} steps"
                );
                let per_byte = cost as f64 / len as f64;
                if per_byte > worst.0 {
                    worst = (per_byte, ctx);
                }
            }
        }
    }
    eprintln!("worst: {:.2} steps a byte ({})", worst.0, worst.1);
}

/// A text's ends are checked for partial occurrences: one filter probe per length
/// a partial could have, and a binary search of the patterns where the probe passes.
/// The filters grow with the set, so a short line costs about the same at 100 and at
/// 10,000 secrets with every encoding (73,000 patterns). Before they did, a filter
/// of fixed size was nearly full at that size and almost every probe passed: 18 µs
/// to redact a 100-byte line.
#[test]
fn partial_checks_of_a_short_line_do_not_grow_with_the_set() {
    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let line = "2026-03-01T00:00:01.123Z INFO worker::step run=0000abcd request completed \
                user workflow started token refresh";
    let cost = |n: usize| {
        let mut tokens = Tokens(0x2545_f491_4f6c_dd1d);
        let values: Vec<SecretValue> = (0..n)
            .map(|i| SecretValue::new(tokens.take(B64URL, 16 + i % 49)).unwrap())
            .collect();
        let r = Redactor::builder().secrets(&values).build();
        let (out, cost) = work(|| r.redact(line).into_owned());
        assert_eq!(out, line);
        cost
    };
    let (small, large) = (cost(100), cost(10_000));
    println!(
        "work for a {}-byte line: {small} at N = 100, {large} at N = 10,000",
        line.len()
    );
    assert!(
        large <= 2 * small + 4096,
        "{small} at N = 100, {large} at N = 10,000"
    );
}

/// Issue 17 (found by `searches_gated_by_last_bytes_equal_oracle`): 200 secrets
/// sharing 66 bytes, and a text whose first or last 31 bytes are those shared bytes.
/// Each length a partial could have is a prefix (or suffix) of all 200 patterns, too
/// short to mask, and the check compared it with each of them, charging its length
/// every time: past the budget it masked the whole stretch (fail-closed) where
/// nothing should be masked, and whether it did depended on how the set was cut into
/// segments. It now finds the block of patterns sharing the text's end with two
/// binary searches and checks each pattern's length in one step.
#[test]
fn partial_checks_over_patterns_sharing_a_prefix_cost_a_step_per_pattern() {
    let shared = "a".repeat(66);
    let r = plain((0..200).map(|i| format!("{shared}{i:03}")));
    let part = "a".repeat(31);
    for text in [
        format!("request completed 7 {part}"),
        format!("{part} request completed"),
    ] {
        let (out, cost) = work(|| r.redact(&text).into_owned());
        assert_eq!(out, text, "31 of 69 bytes: too short to mask");
        // About 23 lengths x 200 patterns, plus the searches.
        assert!(cost <= 16 * 1024, "{cost} steps for {text:?}");
    }
}

/// Issue 17: a text that ends (or starts) with a long run of one byte, beside
/// thousands of patterns that begin (end) with a run of it. Every shorter tail of the
/// run is that byte repeated, so one search of the patterns tells how long a run any
/// of them begins with, and the check goes straight there (before: one search per
/// length, each comparing a KiB, 2,000 x 1 KiB patterns); where the run's 8-byte
/// probe fails, no shorter tail of it can pass (before: one probe per length).
#[test]
fn partial_checks_over_a_run_of_one_byte_jump_to_the_longest_run_a_pattern_holds() {
    let prefix = "a".repeat(1024);
    let run = "a".repeat(1100);
    // (name, patterns, text, redacted, most work: the whole redaction, measured
    // with the jumps 3,259, 11,868, 1,174, 10,807 and 24,765, without them 9,481,
    // 18,090, 2,197 and 11,830; in the second, fourth and fifth most is the search
    // itself, and the fifth is there for what it masks)
    let cases = [
        (
            "a run ending the text, patterns beginning with 1 KiB of it",
            plain((0..2000).map(|i| format!("{prefix}{i:08}"))),
            format!("log line {run}"),
            format!("log line {}***", "a".repeat(76)),
            4_500,
        ),
        (
            "a run starting the text, patterns ending with 1 KiB of it",
            plain((0..2000).map(|i| format!("{i:08}{prefix}"))),
            format!("{run} log line"),
            format!("***{} log line", "a".repeat(76)),
            13_000,
        ),
        (
            "a run starting the text, patterns beginning with it: no probe passes",
            plain((0..2000).map(|i| format!("{prefix}{i:08}"))),
            format!("{run} log line"),
            format!("{run} log line"),
            1_500,
        ),
        (
            "a run ending the text, patterns ending with it: no probe passes",
            plain((0..2000).map(|i| format!("{i:08}{prefix}"))),
            format!("log line {run}"),
            format!("log line {run}"),
            11_300,
        ),
        // The pattern sharing most of the run sorts before it, the next after it
        // and shares none of it.
        (
            "a run ending the text, and a pattern sorting after it",
            plain(
                (0..2000)
                    .map(|i| format!("{prefix}{i:08}"))
                    .chain(["z".repeat(40)]),
            ),
            format!("log line {run}"),
            format!("log line {}***", "a".repeat(76)),
            26_000,
        ),
    ];
    for (name, r, text, want, most) in cases {
        let (out, cost) = work(|| r.redact(&text).into_owned());
        assert_eq!(out, want, "{name}");
        assert!(cost <= most, "{name}: {cost} steps");
    }
}

/// Where the partial check at a text's end would cost more than its budget (a
/// self-similar secret whose copy ends the text, then a long partial of it: each of
/// the even lengths up to 2,000 compares hundreds of bytes before the `z`), it stops
/// and masks the whole stretch a partial occurrence could cover: masking fails
/// closed at a cost linear in that stretch, and a writer agrees with one-shot
/// redaction. (In the first two cases the exact answer, the copy and its partial,
/// masks the same bytes.)
#[test]
fn a_partial_check_past_its_budget_masks_what_it_could_not_decide() {
    use std::io::Write;
    let secret = format!("{}z", "xy".repeat(1000));
    let r = plain([secret.clone()]);
    let text = format!("log line {secret}{}", "xy".repeat(600));
    let (out, cost) = work(|| r.redact(&text).into_owned());
    assert_eq!(out, "log line ***");
    // The search's budget and its linear pass (`PER_BYTE`, `CONSTANT` cover both),
    // then the partial check's budget (`partial_budget` in `matcher.rs`: 16 per byte
    // of the stretch plus 64 Ki), which it may pass by one binary search.
    let bound = |text: &str| PER_BYTE * text.len() as u64 + CONSTANT + 16 * 2000 + 64 * 1024;
    assert!(cost <= bound(&text), "{cost} steps");
    let written = |r: &Redactor, text: &str| {
        let mut w = r.writer(Vec::new());
        for piece in text.as_bytes().chunks(37) {
            w.write_all(piece).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    };
    assert_eq!(written(&r, &text), out);

    // The same at a text's start: a secret starting with its `z`, and a text that
    // starts with a long suffix of it, then a copy.
    let secret = format!("z{}", "xy".repeat(1000));
    let r = plain([secret.clone()]);
    let text = format!("{}{secret} end", "xy".repeat(600));
    let (out, cost) = work(|| r.redact(&text).into_owned());
    assert_eq!(out, "*** end");
    assert!(cost <= bound(&text), "{cost} steps");
    assert_eq!(written(&r, &text), out);

    // Many patterns behind one length: 2,000 secrets sharing 1 KiB of `a`, and a
    // text of 300 `a`s, which each of them starts with but too little of it to mask
    // (half the value). The budget holds within one length's patterns too (before:
    // 2,000 x 300 bytes compared for the first length alone), and the stretch is
    // masked.
    let prefix = "a".repeat(1024);
    let r = plain((0..2000).map(|i| format!("{prefix}{i:08}")));
    let text = "a".repeat(300);
    let (out, cost) = work(|| r.redact(&text).into_owned());
    assert_eq!(out, "***");
    assert!(
        cost <= PER_BYTE * 300 + CONSTANT + 16 * 300 + 64 * 1024,
        "{cost} steps"
    );
    assert_eq!(written(&r, &text), out);
    // And at the start: 2,000 sharing their last 1 KiB.
    let r = plain((0..2000).map(|i| format!("{i:08}{prefix}")));
    let (out, cost) = work(|| r.redact(&text).into_owned());
    assert_eq!(out, "***");
    assert!(
        cost <= PER_BYTE * 300 + CONSTANT + 16 * 300 + 64 * 1024,
        "{cost} steps"
    );
    assert_eq!(written(&r, &text), out);
}
