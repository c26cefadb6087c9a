#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Masking fails closed: a value the redactor accepted is masked even where
//! `aho-corasick` refuses to build its automaton (as it does for a set too large for
//! its state ids). `testing::searchers::refusing_automaton` makes every such build
//! fail; each named set below, of every size the automatic choice treats differently,
//! built at once and added live (segments built and merged later), must still mask
//! every value, and `skipped()` counts only values under the minimum length.

use workflow_secrets::testing::searchers::refusing_automaton;
use workflow_secrets::{Redactor, SecretValue, redact::Encodings};

/// `n` distinct values of `len` bytes.
fn values(n: usize, len: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut v = format!("v{i:06}-");
            while v.len() < len {
                v.push(char::from(b'a' + (v.len() * 7 + i) as u8 % 26));
            }
            v
        })
        .collect()
}

/// Builds a redactor whose automata are all refused: the first half of `values` at
/// build, the rest added one by one (read between adds, so segments merge).
fn refused(values: &[String], encodings: Encodings) -> Redactor {
    let (built, added) = values.split_at(values.len() / 2);
    let secrets: Vec<SecretValue> = built
        .iter()
        .map(|v| SecretValue::new(v.clone()).unwrap())
        .collect();
    let r = refusing_automaton(Redactor::builder().encodings(encodings).secrets(&secrets)).build();
    for v in added {
        r.add(None, &SecretValue::new(v.clone()).unwrap());
        let _ = r.redact("");
    }
    r
}

#[test]
fn every_value_is_masked_when_the_automaton_cannot_be_built() {
    // (case, values, encodings): sizes on each side of the automatic choice's
    // thresholds (automaton under 16 patterns, packed up to 64, fingerprint past it).
    let cases: &[(&str, Vec<String>, Encodings)] = &[
        ("one value", values(1, 16), Encodings::none()),
        ("one value, every encoding", values(1, 16), Encodings::all()),
        ("packed range", values(30, 16), Encodings::none()),
        ("fingerprint range", values(200, 24), Encodings::none()),
        (
            "fingerprint with short ones",
            {
                let mut v = values(200, 24);
                v.extend(values(5, 5).into_iter().map(|s| s[2..].to_owned()));
                v
            },
            Encodings::none(),
        ),
        ("many, every encoding", values(300, 20), Encodings::all()),
    ];
    for (name, values, encodings) in cases {
        let r = refused(values, *encodings);
        assert_eq!(r.skipped(), 0, "{name}");
        for v in values {
            let text = format!("before {v} after");
            assert_eq!(r.redact(&text), "before *** after", "{name}: {v}");
        }
    }
}
