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
