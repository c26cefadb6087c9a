#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Table-driven cases for each redaction rule, in the style of aho-corasick's
//! `tests.rs`: every case is named, and a failure prints its name.
//!
//! As aho-corasick runs every table under every engine, each case here runs under
//! every searcher the redactor can choose ([`Searcher::ALL`]: the automatic choice,
//! the automaton, the packed searcher, the fingerprint filter), forced through
//! `testing::searchers`. Each case asserts which searcher ran; a searcher that
//! cannot be built for a case is skipped with its reason, and each table asserts
//! its exact list of skips, so a searcher quietly replaced by another fails here.

use std::borrow::Cow;
use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use workflow_secrets::redact::{Encodings, RedactorBuilder};
use workflow_secrets::testing::searchers::{Reason, Searcher, used, with_searcher};
use workflow_secrets::{Redactor, SecretKey, SecretValue};

/// One case: the settings, the values, a text and the output wanted.
struct Case {
    name: &'static str,
    secrets: &'static [&'static str],
    encodings: Encodings,
    text: &'static str,
    want: &'static str,
}

const NONE: Encodings = Encodings::none();
const ALL: Encodings = Encodings::all();

fn t(
    name: &'static str,
    secrets: &'static [&'static str],
    text: &'static str,
    want: &'static str,
) -> Case {
    Case {
        name,
        secrets,
        encodings: ALL,
        text,
        want,
    }
}

fn plain(
    name: &'static str,
    secrets: &'static [&'static str],
    text: &'static str,
    want: &'static str,
) -> Case {
    Case {
        encodings: NONE,
        ..t(name, secrets, text, want)
    }
}

fn builder_for(secrets: &[&str], encodings: Encodings) -> RedactorBuilder {
    let values: Vec<SecretValue> = secrets
        .iter()
        .map(|s| SecretValue::new(*s).unwrap())
        .collect();
    Redactor::builder().secrets(&values).encodings(encodings)
}

/// What one case did under one searcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The case ran, and every segment used the searcher (for the automatic
    /// choice: the one its rule picks).
    Ran,
    /// No value registered a pattern, so no searcher was built: the case ran, but
    /// proves nothing about a searcher.
    NoPatterns,
    /// The searcher cannot be built for the case's patterns: not run.
    Skipped(Reason),
    /// `memmem` searches one pattern; the case registered more (how many is checked
    /// against the redactor's patterns), so it ran under the other searchers only.
    /// Counted apart so that tables need not list every multi-pattern case.
    OnePatternSearcher,
}

/// Every case of one table under every searcher, and what each did.
struct Report {
    table: &'static str,
    rows: Vec<(String, Searcher, Outcome)>,
    /// What the automatic choice picked, segment by segment, over every case.
    auto_picks: Vec<Searcher>,
}

impl Report {
    fn new(table: &'static str) -> Report {
        Report {
            table,
            rows: Vec::new(),
            auto_picks: Vec::new(),
        }
    }

    /// Runs `check` on `builder`'s redactor under each searcher, then asserts which
    /// searcher every segment used (after `check`, so values it added count too).
    /// `check` gets a context naming the case and the searcher for its messages.
    fn case(
        &mut self,
        name: impl Into<String>,
        builder: &RedactorBuilder,
        check: impl Fn(&Redactor, &str),
    ) {
        let name = name.into();
        for searcher in Searcher::ALL {
            let ctx = format!("{}: case {name:?} under {searcher}", self.table);
            let outcome = match with_searcher(builder, searcher) {
                Err(e) => {
                    assert_eq!(e.searcher, searcher, "{ctx}");
                    refused(&builder.build(), searcher, e.reason, &ctx)
                }
                Ok(r) => {
                    check(&r, &ctx);
                    match used(&r) {
                        Err(e) => refused(&r, searcher, e.reason, &ctx),
                        Ok(ran) if ran.is_empty() => Outcome::NoPatterns,
                        Ok(ran) => {
                            let want = match searcher {
                                Searcher::Auto => auto_pick(&r, ran.len()),
                                forced => Some(forced),
                            };
                            if let Some(want) = want {
                                assert!(ran.iter().all(|s| *s == want), "{ctx}: ran {ran:?}");
                            }
                            if searcher == Searcher::Auto {
                                self.auto_picks.extend(ran);
                            }
                            Outcome::Ran
                        }
                    }
                }
            };
            self.rows.push((name.clone(), searcher, outcome));
        }
    }

    /// Asserts that the cases that did not run under a searcher are exactly `want`
    /// (case, searchers, outcome): every other case ran under every searcher. Prints
    /// the table's counts (`cargo test -- --nocapture`).
    fn expect(self, want: &[(&str, &[Searcher], Outcome)]) {
        let mut got: Vec<(String, Searcher, Outcome)> = self
            .rows
            .iter()
            .filter(|row| !matches!(row.2, Outcome::Ran | Outcome::OnePatternSearcher))
            .cloned()
            .collect();
        let mut want: Vec<(String, Searcher, Outcome)> = want
            .iter()
            .flat_map(|(name, searchers, outcome)| {
                searchers.iter().map(|s| ((*name).to_owned(), *s, *outcome))
            })
            .collect();
        got.sort_by_key(|r| format!("{r:?}"));
        want.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(got, want, "{}: cases that did not run", self.table);
        for searcher in Searcher::ALL {
            let count = |o: fn(&Outcome) -> bool| {
                self.rows
                    .iter()
                    .filter(|r| r.1 == searcher && o(&r.2))
                    .count()
            };
            println!(
                "{}: {searcher}: {} ran, {} without patterns, {} skipped",
                self.table,
                count(|o| *o == Outcome::Ran),
                count(|o| *o == Outcome::NoPatterns),
                count(|o| matches!(o, Outcome::Skipped(_))),
            );
        }
        for pick in [
            Searcher::Automaton,
            Searcher::Packed,
            Searcher::Memmem,
            Searcher::Fingerprint,
        ] {
            let n = self.auto_picks.iter().filter(|s| **s == pick).count();
            println!("{}: auto picked {pick} for {n} segments", self.table);
        }
    }
}

/// What a searcher's refusal means for a table: `memmem` refusing a segment of more
/// than one pattern is expected of every such case; any other
/// refusal must be listed.
fn refused(r: &Redactor, searcher: Searcher, reason: Reason, ctx: &str) -> Outcome {
    match (searcher, reason) {
        (Searcher::Memmem, Reason::TooManyPatterns { patterns, max: 1 }) => {
            assert!(patterns > 1, "{ctx}: memmem refused {patterns} pattern");
            // A live set's segment holds some of the redactor's patterns.
            assert!(patterns <= r.__registered_patterns().len(), "{ctx}");
            Outcome::OnePatternSearcher
        }
        (_, reason) => Outcome::Skipped(reason),
    }
}

/// The automatic choice's rule for one segment of `patterns` patterns (matcher.rs),
/// where the rule names one searcher: `memmem` for one pattern, the packed searcher
/// up to 64 (the automaton where patterns sharing long prefixes make the packed
/// searcher refuse: `tests/redact_work.rs`). Past 64 it depends on the patterns'
/// lengths: not asserted.
fn auto_pick(r: &Redactor, segments: usize) -> Option<Searcher> {
    let patterns = r.__registered_patterns().len();
    match patterns {
        _ if segments != 1 => None,
        1 => Some(Searcher::Memmem),
        2..=64 => Some(Searcher::Packed),
        _ => None,
    }
}

/// Every searcher.
const EVERY: &[Searcher] = &Searcher::ALL;

/// The searchers a case with no pattern builds none of.
fn no_patterns(name: &str) -> (&str, &'static [Searcher], Outcome) {
    (name, EVERY, Outcome::NoPatterns)
}

fn run(table: &'static str, cases: &[Case]) -> Report {
    let mut report = Report::new(table);
    for case in cases {
        let builder = builder_for(case.secrets, case.encodings);
        report.case(case.name, &builder, |redactor, ctx| {
            let got = redactor.redact(case.text);
            assert_eq!(got, case.want, "{ctx}");
            // The writer agrees with `redact`, written a byte at a time.
            let mut w = redactor.writer(Vec::new());
            for b in case.text.as_bytes() {
                w.write_all(&[*b]).unwrap();
            }
            let streamed = w.finish().unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                case.want,
                "writer, {ctx}"
            );
        });
    }
    report
}

#[test]
fn basics() {
    run(
        "basics",
        &[
            t("default mask", &["hunter2!"], "pw=hunter2! ok", "pw=*** ok"),
            t("whole text", &["hunter2!"], "hunter2!", "***"),
            t(
                "repeated",
                &["hunter2!"],
                "a hunter2! b hunter2! c",
                "a *** b *** c",
            ),
            t(
                "adjacent is one run",
                &["hunter2!"],
                "hunter2!hunter2!",
                "***",
            ),
            t("clean", &["hunter2!"], "nothing to see", "nothing to see"),
            t("empty text", &["hunter2!"], "", ""),
            t("empty value ignored", &[""], "abc", "abc"),
            t("short value skipped", &["abc"], "abc abc", "abc abc"),
            t("min_len exactly", &["abcd"], "x abcd y", "x *** y"),
            // The one pattern is shorter than the forced fingerprint's window.
            plain("min_len exactly, plain", &["abcd"], "x abcd y", "x *** y"),
            t("unicode", &["pässwörd"], "é pässwörd é", "é *** é"),
        ],
    )
    .expect(&[
        no_patterns("empty value ignored"),
        no_patterns("short value skipped"),
        (
            "min_len exactly, plain",
            &[Searcher::Fingerprint],
            Outcome::Skipped(Reason::ShorterThanWindow { window: 5 }),
        ),
    ]);
}

#[test]
fn overlaps_are_unions() {
    run(
        "overlaps_are_unions",
        &[
            plain(
                "overlap masks the union",
                &["abcXYZdef", "Zdefghijklm"],
                "<abcXYZdefghijklm>",
                "<***>",
            ),
            plain(
                "contained",
                &["abcdefgh", "cdef"],
                "-abcdefgh-cdef-",
                "-***-***-",
            ),
            plain(
                "touching is one mask",
                &["aaaa1111", "bbbb2222"],
                "aaaa1111bbbb2222",
                "***",
            ),
            plain(
                "separated by one byte",
                &["aaaa1111", "bbbb2222"],
                "aaaa1111 bbbb2222",
                "*** ***",
            ),
            plain(
                "chain of three",
                &["12345678", "5678abcd", "abcdWXYZ"],
                "012345678abcdWXYZ9",
                "0***9",
            ),
            plain(
                "longest at same start",
                &["abcd", "abcdefgh"],
                "abcdefgh!",
                "***!",
            ),
        ],
    )
    .expect(&[]);
}

#[test]
fn partials_at_the_ends() {
    run(
        "partials_at_the_ends",
        &[
            plain(
                "prefix at end",
                &["0123456789abcdef"],
                "log: 01234567",
                "log: ***",
            ),
            plain(
                "suffix at start",
                &["0123456789abcdef"],
                "89abcdef tail",
                "*** tail",
            ),
            plain(
                "prefix under half",
                &["0123456789abcdefghij"],
                "log: 012345678",
                "log: 012345678",
            ),
            plain(
                "prefix under 8",
                &["0123456789"],
                "log: 0123456",
                "log: 0123456",
            ),
            plain(
                "not at the end",
                &["0123456789abcdef"],
                "log: 01234567 more",
                "log: 01234567 more",
            ),
            plain(
                "suffix not at start",
                &["0123456789abcdef"],
                "x 89abcdef",
                "x 89abcdef",
            ),
            // The patterns sharing the text's end form a block in byte order; the
            // first of it here is too long for the partial, a later one is not.
            plain(
                "prefix behind a pattern too long for it",
                &[
                    "0123456789AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                    "0123456789zzzzzzzzzz",
                    "0123456789zzzzzzzzzzz",
                ],
                "log: 0123456789",
                "log: ***",
            ),
            plain(
                "suffix behind a pattern too long for it",
                &[
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0123456789",
                    "zzzzzzzzzz0123456789",
                    "zzzzzzzzzzz0123456789",
                ],
                "0123456789 tail",
                "*** tail",
            ),
        ],
    )
    .expect(&[]);
}

#[test]
fn multi_line_values() {
    run(
        "multi_line_values",
        &[
            plain(
                "lf value in crlf text",
                &["-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----"],
                "k=-----BEGIN KEY-----\r\nMIIBOgIBAAJBAKj34GkxFhD9\r\n-----END KEY-----;",
                "k=***;",
            ),
            plain(
                "a long line alone",
                &["{\n  \"private\": \"abcdefgh12345\"\n}"],
                "line: \"private\": \"abcdefgh12345\" { }",
                "line: *** { }",
            ),
            plain(
                "short lines alone are kept",
                &["{\nabcdefgh12345\n}"],
                "{ } { }",
                "{ } { }",
            ),
        ],
    )
    .expect(&[]);
}

#[test]
fn encodings() {
    let secret = "s3cr3t/v@lue+x?y";
    let mut report = Report::new("encodings");
    let cases: Vec<(&str, String)> = vec![
        ("base64 padded", STANDARD.encode(secret)),
        ("base64 url unpadded", URL_SAFE_NO_PAD.encode(secret)),
        ("percent upper", "s3cr3t%2Fv%40lue%2Bx%3Fy".to_owned()),
        ("percent lower", "s3cr3t%2fv%40lue%2bx%3fy".to_owned()),
        ("json slash", "s3cr3t\\/v@lue+x?y".to_owned()),
        (
            "hex lower",
            secret.bytes().map(|b| format!("{b:02x}")).collect(),
        ),
        (
            "hex upper",
            secret.bytes().map(|b| format!("{b:02X}")).collect(),
        ),
    ];
    let builder = builder_for(&[secret], ALL);
    for (name, encoded) in cases {
        report.case(name, &builder, |redactor, ctx| {
            let text = format!("<{encoded}>");
            assert_eq!(redactor.redact(&text), "<***>", "{ctx}");
        });
    }
    report.case("basic auth blobs", &builder, |redactor, ctx| {
        for prefix in ["", "u", "us", "user:", "admin:"] {
            for suffix in ["", "!", "!!", "!!!"] {
                let blob = STANDARD.encode(format!("{prefix}{secret}{suffix}"));
                let text = format!("Authorization: Basic {blob}");
                let out = redactor.redact(&text);
                assert!(
                    out.contains("***"),
                    "{ctx}: blob {prefix:?} {suffix:?}: {out}"
                );
                // At most 3 characters either side stay: the ones the neighbours share.
                assert!(
                    out.len()
                        <= "Authorization: Basic ".len()
                            + 3
                            + 3
                            + 3
                            + 4 * prefix.len() / 3
                            + 4 * suffix.len() / 3
                            + 4,
                    "{ctx}: {out}"
                );
            }
        }
    });
    let json = serde_json::to_string("a \"quoted\"\n\t secret\\").unwrap();
    let builder = builder_for(&["a \"quoted\"\n\t secret\\"], ALL);
    report.case("json escaping", &builder, |redactor, ctx| {
        assert_eq!(redactor.redact(&json), "\"***\"", "{ctx}");
    });
    report.case(
        "encodings off",
        &builder_for(&[secret], NONE),
        |off, ctx| {
            assert_eq!(
                off.redact(&STANDARD.encode(secret)),
                STANDARD.encode(secret),
                "{ctx}"
            );
        },
    );
    report.expect(&[]);
}

#[test]
fn short_encoded_fragments_are_not_registered() {
    let redactor = builder_for(&["abcd"], ALL).build();
    for p in redactor.__registered_patterns() {
        assert!(
            p == b"abcd" || p.len() >= 8,
            "{:?}",
            String::from_utf8_lossy(&p)
        );
    }
}

#[test]
fn labelled_masks() {
    let mut report = Report::new("labelled_masks");
    let key = SecretKey::new("OPENAI_API_KEY").unwrap();
    let a = SecretValue::new("sk-aaaaaaaaaaaa").unwrap();
    let b = SecretValue::new("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").unwrap();
    let builder = Redactor::builder()
        .labelled(true)
        .secret_named(&key, &a)
        .secret(&b);
    report.case("named and unnamed", &builder, |r, ctx| {
        assert_eq!(
            r.redact("x sk-aaaaaaaaaaaa y"),
            "x [REDACTED:OPENAI_API_KEY] y",
            "{ctx}"
        );
        assert_eq!(
            r.redact("x bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb y"),
            "x [REDACTED] y",
            "{ctx}"
        );
        // Leftmost span labels the run.
        assert_eq!(
            r.redact("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbsk-aaaaaaaaaaaa"),
            "[REDACTED]",
            "{ctx}"
        );
    });
    // Fixed width: two values of different lengths under one key look alike.
    let short = SecretValue::new("tiny-val").unwrap();
    let long = SecretValue::new("a-much-much-longer-value-0123456789").unwrap();
    let builder = Redactor::builder()
        .labelled(true)
        .secret_named(&key, &short)
        .secret_named(&key, &long);
    report.case("fixed width", &builder, |r, ctx| {
        assert_eq!(
            r.redact("tiny-val").len(),
            r.redact("a-much-much-longer-value-0123456789").len(),
            "{ctx}"
        );
    });
    report.expect(&[]);
}

/// A value holding the mask's characters leaves the mask as configured (issue 16,
/// item 10): the output is the caller's bytes outside the runs and the mask, even
/// where the two happen to spell a value ("neighbours form a secret").
#[test]
fn secrets_containing_the_mask_keep_the_configured_mask() {
    let forty = format!("*{}", "a".repeat(40));
    let rest = "a".repeat(37);
    let cases: Vec<(&str, &[&str], &str, String, String)> = vec![
        (
            "star secret",
            &["a*b*"],
            "xa*b*y",
            "x***y".into(),
            "x[REDACTED]y".into(),
        ),
        (
            "mask inside a secret",
            &["x***y"],
            "xa*b*y x***y",
            "xa*b*y ***".into(),
            "xa*b*y [REDACTED]".into(),
        ),
        (
            "secret inside the mask",
            &["****"],
            "a**** b",
            "a*** b".into(),
            "a[REDACTED] b".into(),
        ),
        (
            "neighbours form a secret",
            &["a***b", "zzzzzz"],
            "azzzzzzb",
            "a***b".into(),
            "a[REDACTED]b".into(),
        ),
        (
            "secret equal to a label",
            &["REDACTED"],
            "REDACTED",
            "***".into(),
            "[REDACTED]".into(),
        ),
        (
            "chain reaction",
            &["*aaa"],
            &forty,
            format!("***{rest}"),
            format!("[REDACTED]{rest}"),
        ),
        (
            "bracketed",
            &["[REDACTED:K]x", "]]]]"],
            "[REDACTED:K]x ]]]] [REDACTED]",
            "*** *** [REDACTED]".into(),
            "[REDACTED] [REDACTED] [REDACTED]".into(),
        ),
    ];
    let mut report = Report::new("secrets_containing_the_mask_keep_the_configured_mask");
    for (name, secrets, text, plain, labelled_want) in &cases {
        for labelled in [false, true] {
            let values: Vec<SecretValue> = secrets
                .iter()
                .map(|s| SecretValue::new(*s).unwrap())
                .collect();
            let builder = Redactor::builder().secrets(&values).labelled(labelled);
            let want = if labelled { labelled_want } else { plain };
            let case = format!("{name}, labelled={labelled}");
            report.case(case, &builder, |r, ctx| {
                assert_eq!(r.redact(text), want.as_str(), "{ctx}");
            });
        }
    }
    report.expect(&[]);
}

/// The configured mask is kept whatever characters the values hold: no fallback
/// brackets or characters (which once told a log reader what a value holds).
#[test]
fn masks_never_fall_back() {
    let mut report = Report::new("masks_never_fall_back");
    report.case("plain", &builder_for(&["a*b*c*d*"], NONE), |star, ctx| {
        assert_eq!(star.redact("x a*b*c*d* y"), "x *** y", "{ctx}");
    });
    let key = SecretKey::new("K").unwrap();
    let v = SecretValue::new("[abc]def").unwrap();
    let builder = Redactor::builder().labelled(true).secret_named(&key, &v);
    report.case("labelled", &builder, |r, ctx| {
        assert_eq!(r.redact("x [abc]def y"), "x [REDACTED:K] y", "{ctx}");
    });
    report.expect(&[]);
}

#[test]
fn clean_text_is_borrowed() {
    let mut report = Report::new("clean_text_is_borrowed");
    report.case(
        "borrowed",
        &builder_for(&["hunter2-hunter2"], ALL),
        |r, ctx| {
            assert!(
                matches!(r.redact("a clean log line\n"), Cow::Borrowed(_)),
                "{ctx}"
            );
            assert!(
                matches!(r.redact_bytes(b"\xff\xfe clean bytes"), Cow::Borrowed(_)),
                "{ctx}"
            );
            assert!(
                matches!(r.redact("hunter2-hunter2"), Cow::Owned(_)),
                "{ctx}"
            );
        },
    );
    report.expect(&[]);
}

#[test]
fn redact_bytes_handles_non_utf8() {
    let mut report = Report::new("redact_bytes_handles_non_utf8");
    report.case(
        "non-utf8",
        &builder_for(&["hunter2-hunter2"], ALL),
        |r, ctx| {
            assert_eq!(
                &*r.redact_bytes(b"\xff hunter2-hunter2 \xfe"),
                b"\xff *** \xfe",
                "{ctx}"
            );
        },
    );
    report.expect(&[]);
}

#[test]
fn skipped_counts_short_values() {
    let values: Vec<SecretValue> = ["", "ab", "abc", "abcd", "abcdef"]
        .iter()
        .map(|s| SecretValue::new(*s).unwrap())
        .collect();
    let r = Redactor::new(&values);
    assert_eq!(r.skipped(), 2);
    let r = Redactor::builder().secrets(&values).min_len(1).build();
    assert_eq!(r.skipped(), 0);
    r.add(None, &SecretValue::new("x").unwrap());
    assert_eq!(Redactor::builder().min_len(2).build().skipped(), 0);
}

#[test]
fn debug_never_shows_a_secret() {
    let key = SecretKey::new("K").unwrap();
    let v = SecretValue::new("very-secret-value-123").unwrap();
    let builder = Redactor::builder().secret_named(&key, &v);
    let r = builder.build();
    let w = r.writer(Vec::new());
    for text in [
        format!("{r:?}"),
        format!("{r:#?}"),
        format!("{builder:?}"),
        format!("{w:?}"),
        format!("{:?}", r.serialize(&"x")),
    ] {
        assert!(!text.contains("very-secret"), "{text}");
        assert!(!text.contains("dmVyeS1zZWNyZXQ"), "{text}");
    }
}

#[test]
fn live_redactor_masks_a_value_added_after_its_writer() {
    let mut report = Report::new("live_redactor_masks_a_value_added_after_its_writer");
    report.case("added after", &Redactor::builder(), |r, ctx| {
        let mut w = r.writer(Vec::new());
        w.write_all(b"before ").unwrap();
        let clone = r.clone();
        clone.add(None, &SecretValue::new("late-secret-0042").unwrap());
        w.write_all(b"late-secret-0042 after").unwrap();
        let out = w.finish().unwrap();
        assert_eq!(out, b"before *** after", "{ctx}");
        assert_eq!(r.redact("late-secret-0042"), "***", "{ctx}");
    });
    report.expect(&[]);
}

#[test]
fn live_adds_merge_and_keep_masking() {
    let mut report = Report::new("live_adds_merge_and_keep_masking");
    let builder = Redactor::builder().encodings(NONE);
    report.case("200 adds", &builder, |r, ctx| {
        let values: Vec<String> = (0..200)
            .map(|i| format!("secret-number-{i:04}-xyz"))
            .collect();
        for v in &values {
            r.add(None, &SecretValue::new(v.clone()).unwrap());
        }
        for v in &values {
            assert_eq!(r.redact(&format!("[{v}]")), "[***]", "{ctx}: {v}");
        }
        // Union across segments: overlapping values added at different times.
        r.add(None, &SecretValue::new("xyzOVERLAP-TAIL").unwrap());
        assert_eq!(
            r.redact("secret-number-0007-xyzOVERLAP-TAIL!"),
            "***!",
            "{ctx}"
        );
    });
    report.expect(&[(
        "200 adds",
        &[Searcher::Packed],
        // Merged segments outgrow what the packed searcher covers.
        Outcome::Skipped(Reason::TooManyPatterns {
            patterns: 200,
            max: 64,
        }),
    )]);
}

#[test]
fn flush_does_not_depend_on_the_held_back_tail() {
    let mut report = Report::new("flush_does_not_depend_on_the_held_back_tail");
    let secret = "0123456789abcdefghijklmnopqrstuv";
    report.case("flush", &builder_for(&[secret], NONE), |r, ctx| {
        let emitted = |tail: &str| {
            let mut w = r.writer(Vec::new());
            w.write_all(b"some log text that is long enough to pass the hold-back; ")
                .unwrap();
            w.write_all(tail.as_bytes()).unwrap();
            w.flush().unwrap();
            let len = w.get_ref().unwrap().len();
            let bytes = w.get_ref().unwrap().clone();
            std::mem::forget(w); // do not finish: only what flush emitted counts
            (len, bytes)
        };
        let resembles = emitted("0123456789abcdef");
        let unlike = emitted("ZZZZZZZZZZZZZZZZ");
        assert_eq!(resembles, unlike, "{ctx}");
    });
    report.expect(&[]);
}

#[test]
fn writer_chunkings() {
    let mut report = Report::new("writer_chunkings");
    let secret = "split-across-writes-123";
    report.case("chunk sizes", &builder_for(&[secret], ALL), |r, ctx| {
        let text = format!(
            "a {secret} b {} c {secret}{secret} d split-across",
            STANDARD.encode(secret)
        );
        let want = r.redact(&text).into_owned();
        for size in 1..=40 {
            let mut w = r.writer(Vec::new());
            for chunk in text.as_bytes().chunks(size) {
                w.write_all(chunk).unwrap();
                if size % 3 == 0 {
                    w.flush().unwrap();
                }
            }
            assert_eq!(
                String::from_utf8(w.finish().unwrap()).unwrap(),
                want,
                "{ctx}: chunk size {size}"
            );
        }
    });
    report.expect(&[]);
}

#[test]
fn writer_drop_emits_the_rest() {
    let mut report = Report::new("writer_drop_emits_the_rest");
    report.case(
        "drop",
        &builder_for(&["0123456789abcdef"], NONE),
        |r, ctx| {
            let mut out = Vec::new();
            {
                let mut w = r.writer(&mut out);
                w.write_all(b"end 01234567").unwrap();
            }
            assert_eq!(out, b"end ***", "{ctx}");
        },
    );
    report.expect(&[]);
}

#[test]
fn serialize_redacts_strings_chars_bytes_and_keys() {
    #[derive(serde::Serialize)]
    struct Output<'a> {
        text: &'a str,
        list: Vec<&'a str>,
        map: std::collections::BTreeMap<&'a str, u32>,
        c: char,
        nested: Option<(&'a str, i32)>,
    }
    let mut report = Report::new("serialize_redacts_strings_chars_bytes_and_keys");
    let builder = Redactor::builder()
        .min_len(1)
        .secret(&SecretValue::new("tok-0123456789").unwrap())
        .secret(&SecretValue::new("Q").unwrap());
    report.case("serialize", &builder, |r, ctx| {
        let mut map = std::collections::BTreeMap::new();
        map.insert("tok-0123456789", 1);
        let value = Output {
            text: "Bearer tok-0123456789",
            list: vec!["ok", "tok-0123456789"],
            map,
            c: 'Q',
            nested: Some(("x tok-0123456789", 5)),
        };
        let json = serde_json::to_string(&r.serialize(&value)).unwrap();
        assert_eq!(
            json,
            r#"{"text":"Bearer ***","list":["ok","***"],"map":{"***":1},"c":"***","nested":["x ***",5]}"#,
            "{ctx}"
        );
        let bytes = serde_json::to_string(&r.serialize(&serde_bytes_like(b"tok-0123456789"))).unwrap();
        assert_eq!(bytes, "[42,42,42]", "{ctx}");
    });
    report.expect(&[]);
}

/// A value that serializes as a byte string.
fn serde_bytes_like(bytes: &'static [u8]) -> impl serde::Serialize {
    struct B(&'static [u8]);
    impl serde::Serialize for B {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    B(bytes)
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Redactor>();
    check::<workflow_secrets::redact::RedactorBuilder>();
    check::<workflow_secrets::redact::RedactingWriter<Vec<u8>>>();
    check::<workflow_secrets::redact::Redacted<'static, str>>();
    check::<Encodings>();
}

#[test]
fn overlap_chains_cross_segments() {
    // 100 values, each overlapping the next, so the chain's union spans the whole set:
    // the automaton splits the set into several SIMD-sized segments; the fingerprint
    // prefilter (chosen by size) keeps it as one.
    let values: Vec<SecretValue> = (0..100)
        .map(|i| SecretValue::new(format!("{i:03}abcdefgh{:03}", i + 1)).unwrap())
        .collect();
    let chain: String = (0..100)
        .map(|i| format!("{i:03}abcdefgh"))
        .collect::<String>()
        + "100";
    let text = format!("start {chain} end");
    let builder = Redactor::builder().secrets(&values).encodings(NONE);
    let mut report = Report::new("overlap_chains_cross_segments");
    report.case("chain of 100", &builder, |r, ctx| {
        assert_eq!(r.redact(&text), "start *** end", "{ctx}");
        let mut w = r.writer(Vec::new());
        for chunk in text.as_bytes().chunks(7) {
            w.write_all(chunk).unwrap();
        }
        assert_eq!(w.finish().unwrap(), b"start *** end", "{ctx}");
        let segments = match used(r).unwrap().as_slice() {
            [Searcher::Automaton, ..] => "segments: 3",
            _ => "segments: 1",
        };
        assert!(format!("{r:?}").contains(segments), "{ctx}: {r:?}");
    });
    // Past 64 patterns the automatic choice is not asserted per case: assert it here.
    let auto = with_searcher(&builder, Searcher::Auto).unwrap();
    assert_eq!(used(&auto).unwrap(), [Searcher::Fingerprint]);
    report.expect(&[(
        "chain of 100",
        &[Searcher::Packed],
        Outcome::Skipped(Reason::TooManyPatterns {
            patterns: 100,
            max: 64,
        }),
    )]);
}

#[test]
fn large_writes_are_decided_in_place_and_agree_with_redact() {
    let secrets = [
        "in-place-secret-0001",
        "xx-overlap-in-place-secret-0001-yy",
        "tail-secret-abcdefgh",
    ];
    let mut text = String::new();
    let mut seed = 7u64;
    while text.len() < 300_000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let filler = (seed >> 33) as usize % 20_000;
        text.extend(std::iter::repeat_n('.', filler));
        text.push_str(secrets[(seed >> 20) as usize % secrets.len()]);
        text.push_str(&STANDARD.encode(secrets[0]));
    }
    text.push_str("tail-secret-abcd"); // a partial at the end
    let mut report = Report::new("large_writes_are_decided_in_place_and_agree_with_redact");
    report.case("300 kB", &builder_for(&secrets, ALL), |r, ctx| {
        let want = r.redact(&text).into_owned();
        assert!(want.ends_with("***"));
        for sizes in [
            &[16_500usize, 40_000, 1, 70_000][..],
            &[17_000],
            &[100_003, 3],
            &[65_536],
        ] {
            let mut w = r.writer(Vec::new());
            let (mut at, mut i) = (0, 0);
            while at < text.len() {
                let n = sizes[i % sizes.len()].min(text.len() - at);
                w.write_all(&text.as_bytes()[at..at + n]).unwrap();
                if i % 3 == 1 {
                    w.flush().unwrap();
                }
                at += n;
                i += 1;
            }
            assert_eq!(
                String::from_utf8(w.finish().unwrap()).unwrap(),
                want,
                "{ctx}: sizes {sizes:?}"
            );
        }
    });
    report.expect(&[]);
}

/// A secret split across the end of a short write and the start of one decided in
/// place: the run the first decision masks is carried into the large write, which
/// goes on masking from its end. At every split, with and without token formats
/// and encodings, the output is one-shot redaction's and holds no 8 bytes of the
/// secret.
#[test]
fn a_secret_split_before_a_write_decided_in_place_stays_masked() {
    let secret = "in-place-s3cr3t-0001";
    let filler = "log line with nothing secret in it\n".repeat(1_000);
    for (encodings, formats) in [(NONE, false), (ALL, true)] {
        let mut builder = Redactor::builder()
            .encodings(encodings)
            .secret(&SecretValue::new(secret).unwrap());
        if formats {
            builder = builder.mask_token_formats(workflow_secrets::redact::TokenFormats::all());
        }
        let r = builder.build();
        for split in 1..secret.len() {
            let first = format!("short {}", &secret[..split]);
            let second = format!("{}{filler}", &secret[split..]);
            let want = r.redact(&format!("{first}{second}")).into_owned();
            let mut w = r.writer(Vec::new());
            w.write_all(first.as_bytes()).unwrap();
            w.write_all(second.as_bytes()).unwrap();
            let out = String::from_utf8(w.finish().unwrap()).unwrap();
            assert!(out == want, "split {split}: {:?}", &out[..40]);
            for piece in secret.as_bytes().windows(8) {
                let piece = std::str::from_utf8(piece).unwrap();
                assert!(!out.contains(piece), "split {split}: {piece:?} shows");
            }
        }
    }
}

/// An inner writer that fails its `fail_at`-th write and takes every other,
/// counting the bytes it takes after the failure in `late`.
struct FailsOnce {
    out: Vec<u8>,
    writes: usize,
    fail_at: usize,
    late: usize,
}

impl Write for FailsOnce {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.writes += 1;
        if self.writes == self.fail_at {
            return Err(std::io::Error::other("disk full"));
        }
        if self.writes > self.fail_at {
            self.late += bytes.len();
        }
        self.out.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// After a write to the inner writer fails, the writer is spent: a caller that
/// ignores the error and goes on writing gets an error for every later call, and
/// nothing more reaches the inner writer, not even from `Drop` (the failed step may
/// have moved past text it never delivered; going on from there showed 8 to 12
/// bytes of the secret's tail). Large writes (decided in place) and 4 KiB ones
/// (decided through the buffer), the writer dropped right after the failure or
/// written on, for the first three inner writes failing and every split.
#[test]
fn after_a_failed_inner_write_the_writer_emits_nothing_more() {
    let secret = "in-place-s3cr3t-0001";
    let r = Redactor::new([&SecretValue::new(secret).unwrap()]);
    let filler = "log line with nothing secret in it\n".repeat(2_000);
    for chunk in [usize::MAX, 4096] {
        for go_on in [true, false] {
            for fail_at in 1..4 {
                for split in 1..secret.len() {
                    let text = format!(
                        "{filler}{}{}{filler}{filler}",
                        &secret[..split],
                        &secret[split..]
                    );
                    // The big writes cut the secret at `split`.
                    let cut = filler.len() + split;
                    let mut pieces: Vec<&[u8]> = Vec::new();
                    for part in [&text.as_bytes()[..cut], &text.as_bytes()[cut..]] {
                        pieces.extend(part.chunks(chunk));
                    }
                    let mut inner = FailsOnce {
                        out: Vec::new(),
                        writes: 0,
                        fail_at,
                        late: 0,
                    };
                    let mut failed = false;
                    {
                        let mut w = r.writer(&mut inner);
                        for piece in pieces {
                            let result = w.write_all(piece);
                            assert!(!failed || result.is_err(), "a write after the failure");
                            failed |= result.is_err();
                            if failed && !go_on {
                                break;
                            }
                        }
                        if go_on {
                            let flushed = w.flush();
                            assert!(!failed || flushed.is_err(), "a flush after the failure");
                            failed |= flushed.is_err();
                        }
                    }
                    let case =
                        format!("chunk {chunk} go_on {go_on} fail_at {fail_at} split {split}");
                    assert!(failed, "{case}: the inner writer never failed");
                    assert_eq!(inner.late, 0, "{case}: bytes emitted after the failure");
                    let out = String::from_utf8(inner.out).unwrap();
                    for piece in secret.as_bytes().windows(8) {
                        let piece = std::str::from_utf8(piece).unwrap();
                        assert!(!out.contains(piece), "{case}: {piece:?} shows");
                    }
                }
            }
        }
    }
}

/// `redact_into` appends exactly what `redact` returns, for texts with and without a
/// match, partial occurrences at the ends included, and keeps what `out` held.
#[test]
fn redact_into_appends_what_redact_returns() {
    let key = SecretKey::new("API_KEY").unwrap();
    let r = Redactor::builder().labelled(true).build();
    r.add(
        Some(&key),
        &SecretValue::new("sk-0123456789abcdef").unwrap(),
    );
    r.add(None, &SecretValue::new("hunter2-hunter2").unwrap());
    let texts = [
        "",
        "nothing to mask",
        "key=sk-0123456789abcdef and hunter2-hunter2",
        "cut at the end: sk-0123456789",
        "89abcdef starts it",
        "a\u{e9}b sk-0123456789abcdef \u{1f600}",
    ];
    let mut out = String::from("kept|");
    let mut want = String::from("kept|");
    for text in texts {
        r.redact_into(text, &mut out);
        want.push_str(&r.redact(text));
        assert_eq!(out, want, "{text:?}");
    }
}

/// Every key keeps its own label however many keys a labelled set holds, built
/// with them or given them live (across the mask table's chunk edges, at ids 1023
/// and 2047), in one-shot redaction, `redact_into` and a writer opened before the
/// adds; and a redaction is not changed by a key added after it.
#[test]
fn each_of_thousands_of_keys_masks_with_its_own_label() {
    let key = |i: usize| SecretKey::new(format!("KEY_{i}")).unwrap();
    // One length, all distinct: no value holds another.
    let value = |i: usize| SecretValue::new(format!("tok-{i:05}-secret")).unwrap();
    let mut builder = Redactor::builder()
        .labelled(true)
        .encodings(Encodings::none());
    for i in 0..1500 {
        builder = builder.secret_named(&key(i), &value(i));
    }
    let r = builder.build();
    let mut writer = r.writer(Vec::new());
    let before = r.redact("tok-02999-secret").into_owned();
    for i in 1500..3000 {
        r.add(Some(&key(i)), &value(i));
    }
    // The same key again keeps its first label; a value without a key is unnamed.
    r.add(
        Some(&key(7)),
        &SecretValue::new("another-value-of-7").unwrap(),
    );
    r.add(None, &SecretValue::new("no-key-at-all-here").unwrap());
    assert_eq!(before, "tok-02999-secret");
    let picks = [0, 1, 1022, 1023, 1499, 1500, 2046, 2047, 2999];
    let text: String = picks
        .iter()
        .map(|&i| format!("k{i}=tok-{i:05}-secret\n"))
        .chain(["7=another-value-of-7 none=no-key-at-all-here\n".to_owned()])
        .collect();
    let want: String = picks
        .iter()
        .map(|&i| format!("k{i}=[REDACTED:KEY_{i}]\n"))
        .chain(["7=[REDACTED:KEY_7] none=[REDACTED]\n".to_owned()])
        .collect();
    assert_eq!(r.redact(&text), want);
    let mut out = String::from("kept|");
    r.redact_into(&text, &mut out);
    assert_eq!(out, format!("kept|{want}"));
    writer.write_all(text.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(writer.finish().unwrap()).unwrap(), want);
}

/// `memory_usage` counts at least the patterns' bytes and the masks' (a label per
/// key), and grows as values are added.
#[test]
fn memory_usage_counts_the_patterns_and_the_masks() {
    let r = Redactor::builder()
        .labelled(true)
        .encodings(Encodings::none())
        .build();
    let empty = r.memory_usage();
    let name = |i: usize| format!("A_RATHER_LONG_KEY_NAME_{i}");
    for i in 0..500 {
        let key = SecretKey::new(name(i)).unwrap();
        r.add(
            Some(&key),
            &SecretValue::new(format!("tok-{i:05}-secret")).unwrap(),
        );
    }
    let used = r.memory_usage();
    let patterns: usize = r.__registered_patterns().iter().map(Vec::len).sum();
    let masks: usize = (0..500)
        .map(|i| format!("[REDACTED:{}]", name(i)).len())
        .sum();
    assert_eq!(patterns, 500 * 16);
    assert!(
        used >= empty + patterns + masks,
        "{used} < {empty} + {patterns} + {masks}"
    );
}
