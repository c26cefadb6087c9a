#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Table-driven cases for each redaction rule, in the style of aho-corasick's
//! `tests.rs`: every case is named, and a failure prints its name.

use std::borrow::Cow;
use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use workflow_secrets::{Redactor, SecretKey, SecretValue, redact::Encodings};

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

fn redactor_for(secrets: &[&str], encodings: Encodings) -> Redactor {
    let values: Vec<SecretValue> = secrets
        .iter()
        .map(|s| SecretValue::new(*s).unwrap())
        .collect();
    Redactor::builder()
        .secrets(&values)
        .encodings(encodings)
        .build()
}

fn run(cases: &[Case]) {
    for case in cases {
        let redactor = redactor_for(case.secrets, case.encodings);
        let got = redactor.redact(case.text);
        assert_eq!(got, case.want, "case {:?}", case.name);
        // The writer agrees with `redact`, written a byte at a time.
        let mut w = redactor.writer(Vec::new());
        for b in case.text.as_bytes() {
            w.write_all(&[*b]).unwrap();
        }
        let streamed = w.finish().unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            case.want,
            "writer, case {:?}",
            case.name
        );
    }
}

#[test]
fn basics() {
    run(&[
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
        t("unicode", &["pässwörd"], "é pässwörd é", "é *** é"),
    ]);
}

#[test]
fn overlaps_are_unions() {
    run(&[
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
    ]);
}

#[test]
fn partials_at_the_ends() {
    run(&[
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
    ]);
}

#[test]
fn multi_line_values() {
    run(&[
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
    ]);
}

#[test]
fn encodings() {
    let secret = "s3cr3t/v@lue+x?y";
    let redactor = redactor_for(&[secret], ALL);
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
    for (name, encoded) in cases {
        let text = format!("<{encoded}>");
        assert_eq!(redactor.redact(&text), "<***>", "case {name:?}");
    }
    for prefix in ["", "u", "us", "user:", "admin:"] {
        for suffix in ["", "!", "!!", "!!!"] {
            let blob = STANDARD.encode(format!("{prefix}{secret}{suffix}"));
            let text = format!("Authorization: Basic {blob}");
            let out = redactor.redact(&text);
            assert!(out.contains("***"), "blob {prefix:?} {suffix:?}: {out}");
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
                "{out}"
            );
        }
    }
    let json = serde_json::to_string("a \"quoted\"\n\t secret\\").unwrap();
    let redactor = redactor_for(&["a \"quoted\"\n\t secret\\"], ALL);
    assert_eq!(redactor.redact(&json), "\"***\"", "json escaping");
    let off = redactor_for(&[secret], NONE);
    assert_eq!(
        off.redact(&STANDARD.encode(secret)),
        STANDARD.encode(secret),
        "encodings off"
    );
}

#[test]
fn short_encoded_fragments_are_not_registered() {
    let redactor = redactor_for(&["abcd"], ALL);
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
    let key = SecretKey::new("OPENAI_API_KEY").unwrap();
    let a = SecretValue::new("sk-aaaaaaaaaaaa").unwrap();
    let b = SecretValue::new("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").unwrap();
    let r = Redactor::builder()
        .labelled(true)
        .secret_named(&key, &a)
        .secret(&b)
        .build();
    assert_eq!(
        r.redact("x sk-aaaaaaaaaaaa y"),
        "x [REDACTED:OPENAI_API_KEY] y"
    );
    assert_eq!(
        r.redact("x bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb y"),
        "x [REDACTED] y"
    );
    // Leftmost span labels the run.
    assert_eq!(
        r.redact("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbsk-aaaaaaaaaaaa"),
        "[REDACTED]"
    );
    // Fixed width: two values of different lengths under one key look alike.
    let short = SecretValue::new("tiny-val").unwrap();
    let long = SecretValue::new("a-much-much-longer-value-0123456789").unwrap();
    let r = Redactor::builder()
        .labelled(true)
        .secret_named(&key, &short)
        .secret_named(&key, &long)
        .build();
    assert_eq!(
        r.redact("tiny-val").len(),
        r.redact("a-much-much-longer-value-0123456789").len()
    );
}

#[test]
fn secrets_containing_the_mask() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("star secret", &["a*b*"], "xa*b*y"),
        ("mask inside a secret", &["x***y"], "xa*b*y x***y"),
        ("secret inside the mask", &["****"], "a**** b"),
        ("neighbours form a secret", &["a***b", "zzzzzz"], "azzzzzzb"),
        ("secret equal to a label", &["REDACTED"], "REDACTED"),
        (
            "chain reaction",
            &["*aaa"],
            "*aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
        (
            "bracketed",
            &["[REDACTED:K]x", "]]]]"],
            "[REDACTED:K]x ]]]] [REDACTED]",
        ),
    ];
    for (name, secrets, text) in cases {
        for labelled in [false, true] {
            let values: Vec<SecretValue> = secrets
                .iter()
                .map(|s| SecretValue::new(*s).unwrap())
                .collect();
            let r = Redactor::builder()
                .secrets(&values)
                .labelled(labelled)
                .build();
            let out = r.redact(text);
            for p in r.__registered_patterns() {
                let p = String::from_utf8(p).unwrap();
                assert!(
                    !out.contains(&p),
                    "case {name:?} labelled={labelled}: {out:?} has {p:?}"
                );
            }
        }
    }
}

#[test]
fn unsafe_masks_fall_back() {
    let star = redactor_for(&["a*b*c*d*"], NONE);
    assert_eq!(star.redact("x a*b*c*d* y"), "x ### y");
    let key = SecretKey::new("K").unwrap();
    let v = SecretValue::new("[abc]def").unwrap();
    let r = Redactor::builder()
        .labelled(true)
        .secret_named(&key, &v)
        .build();
    assert_eq!(r.redact("x [abc]def y"), "x <REDACTED:K> y");
}

#[test]
fn clean_text_is_borrowed() {
    let r = redactor_for(&["hunter2-hunter2"], ALL);
    assert!(matches!(r.redact("a clean log line\n"), Cow::Borrowed(_)));
    assert!(matches!(
        r.redact_bytes(b"\xff\xfe clean bytes"),
        Cow::Borrowed(_)
    ));
    assert!(matches!(r.redact("hunter2-hunter2"), Cow::Owned(_)));
}

#[test]
fn redact_bytes_handles_non_utf8() {
    let r = redactor_for(&["hunter2-hunter2"], ALL);
    assert_eq!(
        &*r.redact_bytes(b"\xff hunter2-hunter2 \xfe"),
        b"\xff *** \xfe"
    );
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
    let r = Redactor::builder().build();
    let mut w = r.writer(Vec::new());
    w.write_all(b"before ").unwrap();
    let clone = r.clone();
    clone.add(None, &SecretValue::new("late-secret-0042").unwrap());
    w.write_all(b"late-secret-0042 after").unwrap();
    let out = w.finish().unwrap();
    assert_eq!(out, b"before *** after");
    assert_eq!(r.redact("late-secret-0042"), "***");
}

#[test]
fn live_adds_merge_and_keep_masking() {
    let r = Redactor::builder().encodings(NONE).build();
    let values: Vec<String> = (0..200)
        .map(|i| format!("secret-number-{i:04}-xyz"))
        .collect();
    for v in &values {
        r.add(None, &SecretValue::new(v.clone()).unwrap());
    }
    for v in &values {
        assert_eq!(r.redact(&format!("[{v}]")), "[***]", "{v}");
    }
    // Union across segments: overlapping values added at different times.
    r.add(None, &SecretValue::new("xyzOVERLAP-TAIL").unwrap());
    assert_eq!(r.redact("secret-number-0007-xyzOVERLAP-TAIL!"), "***!");
}

#[test]
fn flush_does_not_depend_on_the_held_back_tail() {
    let secret = "0123456789abcdefghijklmnopqrstuv";
    let r = redactor_for(&[secret], NONE);
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
    assert_eq!(resembles, unlike);
}

#[test]
fn writer_chunkings() {
    let secret = "split-across-writes-123";
    let r = redactor_for(&[secret], ALL);
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
            "chunk size {size}"
        );
    }
}

#[test]
fn writer_drop_emits_the_rest() {
    let r = redactor_for(&["0123456789abcdef"], NONE);
    let mut out = Vec::new();
    {
        let mut w = r.writer(&mut out);
        w.write_all(b"end 01234567").unwrap();
    }
    assert_eq!(out, b"end ***");
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
    let r = Redactor::builder()
        .min_len(1)
        .secret(&SecretValue::new("tok-0123456789").unwrap())
        .secret(&SecretValue::new("Q").unwrap())
        .build();
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
        r#"{"text":"Bearer ***","list":["ok","***"],"map":{"***":1},"c":"***","nested":["x ***",5]}"#
    );
    let bytes = serde_json::to_string(&r.serialize(&serde_bytes_like(b"tok-0123456789"))).unwrap();
    assert_eq!(bytes, "[42,42,42]");
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
    // with the oracle matcher the set is split into several SIMD-sized segments, with
    // the fingerprint prefilter (chosen by size) it is one.
    let values: Vec<SecretValue> = (0..100)
        .map(|i| SecretValue::new(format!("{i:03}abcdefgh{:03}", i + 1)).unwrap())
        .collect();
    let chain: String = (0..100)
        .map(|i| format!("{i:03}abcdefgh"))
        .collect::<String>()
        + "100";
    let text = format!("start {chain} end");
    for (fast, segments) in [(None, "segments: 1"), (Some(false), "segments: 3")] {
        let r = Redactor::builder()
            .secrets(&values)
            .encodings(NONE)
            .__fast_matcher(fast)
            .build();
        assert_eq!(r.redact(&text), "start *** end");
        let mut w = r.writer(Vec::new());
        for chunk in text.as_bytes().chunks(7) {
            w.write_all(chunk).unwrap();
        }
        assert_eq!(w.finish().unwrap(), b"start *** end");
        assert!(format!("{r:?}").contains(segments), "{r:?}");
    }
}

#[test]
fn large_writes_are_decided_in_place_and_agree_with_redact() {
    let secrets = [
        "in-place-secret-0001",
        "xx-overlap-in-place-secret-0001-yy",
        "tail-secret-abcdefgh",
    ];
    let r = redactor_for(&secrets, ALL);
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
            "sizes {sizes:?}"
        );
    }
}
