#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The mask comes from configuration alone (issue 16, item 10). Values made of the
//! mask's own characters (`*`, brackets, the fallback characters the redactor once
//! switched to) once changed the mask, a bit per guessed character for anyone who
//! reads output. Two properties, for every searcher:
//!
//! 1. The output depends on the values only through the spans they cover: values of
//!    the same lengths at the same places give the same output, whatever their bytes.
//! 2. Every output byte is an input byte outside every masked span, or a byte of the
//!    configured mask: the output is the text with the union of occurrences replaced
//!    by the mask (computed here naively), and no secret byte is taken from the input.
//!    A value may still appear where the mask and the caller's own bytes spell it.

use std::io::Write;

use proptest::prelude::*;
use workflow_secrets::testing::searchers::{Searcher, forced};
use workflow_secrets::{Redactor, SecretKey, SecretValue, redact::Encodings};

/// Value bytes: the masks' characters, so that every old fallback would trigger.
const VALUE_CHARS: &str = "[*]<#>{~}(?)^!@$&=ab";

fn value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(VALUE_CHARS.chars().collect::<Vec<_>>()),
        4..12,
    )
    .prop_map(|c| c.into_iter().collect())
}

/// Filler never shares a byte with a value, so the spans are where the values were
/// put, and no partial value can end or start the text.
fn filler() -> impl Strategy<Value = String> {
    "[xyz ]{1,6}"
}

fn redactor(values: &[String], labelled: bool, mask: &str, searcher: Searcher) -> Redactor {
    let key = SecretKey::new("API_KEY").unwrap();
    let mut b = forced(
        Redactor::builder()
            .encodings(Encodings::none())
            .labelled(labelled)
            .mask(mask),
        searcher,
    );
    for v in values {
        b = b.secret_named(&key, &SecretValue::new(v.clone()).unwrap());
    }
    b.build()
}

/// The text: filler, then for each placement filler and a value, then filler.
fn text(values: &[String], layout: &[(usize, String)], end: &str) -> String {
    let mut t = String::new();
    for (i, fill) in layout {
        t.push_str(fill);
        t.push_str(&values[i % values.len()]);
    }
    t.push_str(end);
    t
}

/// The union of every occurrence of every value, touching ones merged, each run
/// replaced by `mask`: the one output the guarantee allows.
fn naive(text: &str, values: &[String], mask: &str) -> String {
    let bytes = text.as_bytes();
    let mut covered = vec![false; bytes.len() + 1];
    let mut starts = vec![false; bytes.len() + 1];
    let mut ends = vec![false; bytes.len() + 1];
    for v in values {
        for at in 0..bytes.len() {
            if bytes[at..].starts_with(v.as_bytes()) {
                covered[at..at + v.len()].fill(true);
                starts[at] = true;
                ends[at + v.len()] = true;
            }
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if covered[i] {
            // A run: covered bytes, continued across a boundary where one occurrence
            // ends and another starts (touching).
            while i < bytes.len() && (covered[i] || (ends[i] && starts[i])) {
                i += 1;
            }
            out.push_str(mask);
        } else {
            out.push(char::from(bytes[i]));
            i += 1;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn output_depends_on_values_only_through_their_spans(
        values in prop::collection::vec(value(), 1..4),
        seed in any::<u64>(),
        layout in prop::collection::vec((0usize..4, filler()), 1..6),
        end in filler(),
        labelled in any::<bool>(),
    ) {
        // Other values of the same lengths, also from the mask characters.
        let chars: Vec<char> = VALUE_CHARS.chars().collect();
        let other: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(k, v)| {
                (0..v.len())
                    .map(|j| chars[(seed as usize).wrapping_add(j * 7 + k * 13) % chars.len()])
                    .collect()
            })
            .collect();
        // Texts that differ only inside the placements; where their spans agree
        // (the values' occurrences cover the same bytes), so must the outputs.
        let a = text(&values, &layout, &end);
        let b = text(&other, &layout, &end);
        prop_assume!(naive(&a, &values, "|") == naive(&b, &other, "|"));
        for searcher in Searcher::ALL {
            let ra = redactor(&values, labelled, "***", searcher);
            let rb = redactor(&other, labelled, "***", searcher);
            let (oa, ob) = (ra.redact(&a).into_owned(), rb.redact(&b).into_owned());
            prop_assert_eq!(&oa, &ob, "{}: {:?} vs {:?}", searcher, values, other);
            let mask = if labelled { "[REDACTED:API_KEY]" } else { "***" };
            prop_assert_eq!(&oa, &naive(&a, &values, mask), "{}: {:?}", searcher, values);
        }
    }

    #[test]
    fn output_is_input_outside_spans_and_mask_bytes(
        values in prop::collection::vec(value(), 1..4),
        layout in prop::collection::vec((0usize..4, filler()), 1..6),
        end in filler(),
        mask in prop::sample::select(vec!["***", "[x]", "", "REDACTED", "*", "<>"]),
    ) {
        let t = text(&values, &layout, &end);
        let want = naive(&t, &values, mask);
        for searcher in Searcher::ALL {
            let r = redactor(&values, false, mask, searcher);
            let got = r.redact(&t).into_owned();
            prop_assert_eq!(&got, &want, "{} mask {:?}: {:?} in {:?}", searcher, mask, values, t);
            let mut w = r.writer(Vec::new());
            for b in t.as_bytes() {
                w.write_all(&[*b]).unwrap();
            }
            prop_assert_eq!(String::from_utf8(w.finish().unwrap()).unwrap(), want.clone(), "writer, {}", searcher);
        }
    }
}
