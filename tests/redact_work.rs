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

use workflow_secrets::testing::searchers::{Reason, Searcher, used, with_searcher, work};
use workflow_secrets::{Redactor, SecretValue, redact::Encodings};

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
        Case {
            name: "prefix chain of 128",
            values: (1..=128).map(|k| "a".repeat(16 * k)).collect(),
            unit: "a".into(),
        },
        // The packed searcher's own verification is not charged (it happens inside
        // `aho-corasick`); `packed_verification_is_bounded` below shows that no set
        // whose verification could grow with its secrets' length reaches it.
        Case {
            name: "64 sharing a growing prefix, no hit",
            values: (1..=64)
                .map(|k| format!("{}b", "a".repeat(32 * k)))
                .collect(),
            unit: "a".into(),
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
/// invisible to `work()`: 64 secrets `a^32k b` over `a^n` cost text x 64 x their
/// length. So the packed searcher is refused (and the automaton's SIMD prefilter
/// switched off) for any set where it could compare more than 2,048 pattern bytes at
/// one text position; ordinary sets keep it.
#[test]
fn packed_verification_is_bounded() {
    let build = |values: &[String]| {
        let values: Vec<SecretValue> = values
            .iter()
            .map(|v| SecretValue::new(v.clone()).unwrap())
            .collect();
        Redactor::builder()
            .encodings(Encodings::none())
            .secrets(&values)
    };
    let refused: [(&str, Vec<String>); 3] = [
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
            "16 of 3 KiB, distinct starts",
            (0..16)
                .map(|i| format!("{i:03}{}", "x".repeat(3000)))
                .collect(),
        ),
    ];
    for (name, values) in refused {
        let builder = build(&values);
        let err = with_searcher(&builder, Searcher::Packed).unwrap_err();
        assert!(
            matches!(err.reason, Reason::SharedPrefixes { max: 2048, .. }),
            "{name}: {err}"
        );
        let auto = used(&builder.build()).unwrap();
        assert!(
            !auto.contains(&Searcher::Packed),
            "{name}: Auto chose {auto:?}"
        );
    }
    let kept: [(&str, Vec<String>); 3] = [
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
