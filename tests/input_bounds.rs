//! Costs that grow with input stay linear and bounded: a template's references
//! multiply a value's size, so rendering checks the output's size before building it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;
use common::*;

/// One 64 KiB value named 200,000 times in a 1 MB template would render to 13 GB:
/// it is refused as `value_too_large` before any buffer of that size is asked for
/// (before the fix, the output buffer was reserved at the full sum first, which
/// aborts the process under a memory limit, `ulimit -v 4000000`, or exhausts memory).
#[test]
fn render_refuses_an_oversized_result_before_building_it() {
    let w = World::new();
    let big = "x".repeat(SecretValue::MAX_LEN);
    w.put(&workspace_scope(), "BIG", &big);
    w.put(&workspace_scope(), "SMALL", "s");
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let step = w.resolver.step(&ctx);
    let cases: &[(&str, String, Result<usize, usize>)] = &[
        // (case, template, Ok(rendered length) or Err(length refused))
        ("one big", "{{BIG}}".to_owned(), Ok(SecretValue::MAX_LEN)),
        (
            "big and one byte",
            "{{BIG}}.".to_owned(),
            Err(SecretValue::MAX_LEN + 1),
        ),
        (
            "twice",
            "{{BIG}}{{BIG}}".to_owned(),
            Err(2 * SecretValue::MAX_LEN),
        ),
        (
            "200,000 times",
            "{{BIG}}".repeat(200_000),
            Err(200_000 * SecretValue::MAX_LEN),
        ),
        ("small, many times", "{{SMALL}}".repeat(60_000), Ok(60_000)),
    ];
    for (case, text, want) in cases {
        let template = Template::parse(text).unwrap();
        match (block_on(step.render(&template)), want) {
            (Ok(out), Ok(len)) => assert_eq!(out.len(), *len, "{case}"),
            (Err(Error::ValueTooLarge { len, max }), Err(want)) => {
                assert_eq!((len, max), (*want, SecretValue::MAX_LEN), "{case}")
            }
            (got, _) => panic!("{case}: {:?}", got.map(|v| v.len())),
        }
    }
}

/// A smoke test under a generous budget; the real assertion, on counts, is the
/// template module's `distinct_references_cost_linear_work`. 40,000 distinct
/// references took about 19 s in a debug build when each was checked against all
/// those before it.
#[test]
fn parse_of_many_distinct_references_is_fast() {
    let n = 40_000;
    let text: String = (0..n).map(|i| format!("{{{{KEY_{i}}}}}\n")).collect();
    let started = std::time::Instant::now();
    let template = Template::parse(&text).unwrap();
    assert_eq!(template.references().count(), n);
    let elapsed = started.elapsed();
    assert!(
        elapsed.as_secs() < 8,
        "{n} distinct references: {elapsed:?}"
    );
}

/// What a parse keeps is bounded whatever the text: at most 1,001 problems or
/// 1,001 warnings, each message short. Each input is about 1 MB and built to
/// stress one path; the time budget is only a smoke test (a debug build parses
/// each in well under a second).
#[test]
fn parse_env_keeps_bounded_reports_for_adversarial_text() {
    const MB: usize = 1 << 20;
    let fill = |unit: &str| unit.repeat(MB / unit.len());
    let cases: Vec<(&str, String)> = vec![
        ("duplicate keys", fill("A=1\n")),
        (
            "distinct keys",
            (0..MB / 12).map(|i| format!("K{i:07}=v\n")).collect(),
        ),
        ("lines without =", fill("a\n")),
        ("one long key", format!("{}=v\n", "K".repeat(MB))),
        ("one long bad key", format!("{}=v\n", "-".repeat(MB))),
        ("one long line without =", "k".repeat(MB)),
        ("hashes", format!("A={}\n", "x #".repeat(MB / 3))),
        (
            "unterminated quote",
            format!("A=\"{}", "x\n".repeat(MB / 2)),
        ),
        ("escapes", format!("A=\"{}\"\n", "\\n".repeat(MB / 2))),
        ("text after quotes", fill("A=\"x\"y\n")),
        ("only = signs", fill("T==\n")),
        ("token-like keys", fill("ghp_x=1\n")),
        ("crlf and cr", fill("A=1\r\r\n")),
        ("blanks", format!("{}A=1\n", " ".repeat(MB))),
    ];
    for (case, text) in cases {
        let started = std::time::Instant::now();
        let (count, bytes) = match parse_env(&text) {
            Ok(parsed) => (
                parsed.warnings.len(),
                parsed
                    .warnings
                    .iter()
                    .map(|w| w.message.len())
                    .sum::<usize>(),
            ),
            Err(Error::ImportSyntax { problems }) => (
                problems.len(),
                problems.iter().map(|p| p.reason.len()).sum::<usize>(),
            ),
            Err(other) => panic!("{case}: {other}"),
        };
        assert!(count <= 1_001, "{case}: {count} messages");
        assert!(bytes <= 1_001 * 400, "{case}: {bytes} bytes of messages");
        let elapsed = started.elapsed();
        assert!(elapsed.as_secs() < 10, "{case}: {elapsed:?}");
    }
}

/// A template's parse keeps at most a bounded multiple of its text, whatever the
/// text; the time budget is a smoke test.
#[test]
fn template_parse_is_bounded_for_adversarial_text() {
    const MB: usize = 1 << 20;
    let fill = |unit: &str| unit.repeat(MB / unit.len());
    let cases: Vec<(&str, String)> = vec![
        ("openers", fill("{{")),
        ("closers", fill("}}")),
        ("escaped openers", fill("\\{{")),
        ("openers then one closer", format!("{}}}}}", fill("{{ "))),
        ("one key repeated", fill("{{A}}")),
        ("host variables", fill("{{a.b}}")),
        (
            "distinct keys",
            (0..MB / 12).map(|i| format!("{{{{K{i:07}}}}}")).collect(),
        ),
        ("empty references", fill("{{}}")),
    ];
    for (case, text) in cases {
        let started = std::time::Instant::now();
        let lenient = Template::parse_lenient(&text);
        let _ = Template::parse(&text);
        assert!(lenient.references().count() <= text.len() / 5 + 1, "{case}");
        let elapsed = started.elapsed();
        assert!(elapsed.as_secs() < 10, "{case}: {elapsed:?}");
    }
}
