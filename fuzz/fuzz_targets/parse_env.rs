#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used)] // fuzzing: a panic is the failure report
//! `parse_env` on arbitrary text: it never panics, what it accepts obeys the
//! product rules and reads back the same, and what it rejects is reported without
//! repeating any of the input.

use libfuzzer_sys::fuzz_target;
use workflow_secrets::{
    Error, SecretKey, SecretValue,
    error::LineProblem,
    import::{ParsedEnv, parse_env},
};

/// Every reason `parse_env` may give. A tripwire as much as an oracle: a new
/// reason fails this target until someone has checked that it is fixed text and
/// added it here.
const REASONS: &[&str] = &[
    "missing `=`: a statement is KEY=VALUE, and a value that spans lines must be quoted",
    "expected `=` after the key",
    "missing key before `=`",
    "invalid key: a key is 1 to 256 bytes; this one is longer",
    "invalid key: a key may hold only ASCII letters, digits and underscores",
    "invalid key: a new key may not start like an API token (see SecretKey::check_new_name): key names are public, so a pasted value must not become one; name the secret after what it is for, such as GITHUB_TOKEN",
    "invalid key: a new key of 20 or more characters may not mix upper case, lower case and digits without an underscore: that is the shape of a token, and key names are public; use words joined by `_`, such as OPENAI_API_KEY",
    "a value of only `=` signs looks like the end of a token that wrapped onto its own line; join it to its line, or quote the value if it is meant",
    "a value may not start with a backtick; quote it with ' or \"",
    "unterminated quote: the double-quoted value that starts here is never closed",
    "unterminated quote: the single-quoted value that starts here is never closed",
    "unexpected text after the closing quote; only whitespace and a # comment may follow",
    "value too large: the limit is 65536 bytes",
    "too many problems: parsing stopped after the first 1000; fix them and try again",
];

/// Runs of this many bytes taken from the input must never reach a message.
const RUN: usize = 12;

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 becomes U+FFFD: still text, still worth parsing.
    let text = String::from_utf8_lossy(data);
    let lines = count_lines(&text);
    match parse_env(&text) {
        Ok(parsed) => check_parsed(&parsed, lines),
        Err(err) => check_error(&err, &text, lines),
    }
});

/// Lines as the dialect counts them: CRLF, LF and lone CR each end one.
fn count_lines(text: &str) -> usize {
    let breaks = text.matches('\n').count() + text.matches('\r').count();
    breaks - text.matches("\r\n").count() + 1
}

fn check_parsed(parsed: &ParsedEnv, lines: usize) {
    let mut keys = std::collections::BTreeSet::new();
    for entry in parsed {
        assert!(
            SecretKey::new_name(entry.key.as_str()).is_ok(),
            "a parsed key is fit for a new secret"
        );
        assert!(keys.insert(entry.key.as_str()), "keys are unique");
        assert!(entry.value.len() <= SecretValue::MAX_LEN);
        assert!((1..=lines).contains(&entry.line));
    }
    assert!(parsed.warnings.len() <= 1_001, "warnings are capped");
    for (i, warning) in parsed.warnings.iter().enumerate() {
        if let Some(count) = warning
            .message
            .strip_prefix("too many warnings: ")
            .and_then(|rest| rest.strip_suffix(" more not listed"))
        {
            assert_eq!(i, 1_000, "only the 1,001st warning sums up the rest");
            assert!(count.parse::<usize>().unwrap() > 0);
            continue;
        }
        // "duplicate key K: line L replaces the value from line P", K a parsed key.
        let rest = warning.message.strip_prefix("duplicate key ").unwrap();
        let (key, rest) = rest.split_once(": line ").unwrap();
        assert!(keys.contains(key), "a warning names only a parsed key");
        let (line, previous) = rest.split_once(" replaces the value from line ").unwrap();
        assert_eq!(line.parse::<usize>().unwrap(), warning.line);
        assert!(previous.parse::<usize>().unwrap() < warning.line);
    }
    // What parsed, written back double-quoted, parses to the same entries.
    let mut again = String::new();
    for entry in parsed {
        again.push_str(entry.key.as_str());
        again.push_str("=\"");
        for c in entry.value.expose_secret().chars() {
            match c {
                '"' => again.push_str("\\\""),
                '\\' => again.push_str("\\\\"),
                '\n' => again.push_str("\\n"),
                '\r' => again.push_str("\\r"),
                c => again.push(c),
            }
        }
        again.push_str("\"\n");
    }
    let reparsed = parse_env(&again).expect("written back, it parses");
    assert!(reparsed.warnings.is_empty());
    assert_eq!(reparsed.entries.len(), parsed.entries.len());
    for (a, b) in reparsed.iter().zip(parsed) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.value.expose_secret(), b.value.expose_secret());
    }
}

fn check_error(err: &Error, text: &str, lines: usize) {
    assert_eq!(err.code(), "import_syntax");
    let Error::ImportSyntax { problems } = err else {
        panic!("parse_env failed with another kind: {}", err.code());
    };
    assert!(!problems.is_empty());

    let mut previous_line = 0;
    for problem in problems {
        // In line order, on a line of the input, with a column where one is named.
        assert!(problem.line >= previous_line && (1..=lines).contains(&problem.line));
        previous_line = problem.line;
        assert!(problem.column.is_none_or(|c| c >= 1));
        // The reason is fixed text: nothing of the input can be in it.
        assert!(
            REASONS.contains(&problem.reason.as_str()),
            "a reason outside the vocabulary: {:?}",
            problem.reason
        );
    }
    // The message is made of the problems' fields and nothing else.
    let framed: Vec<String> = problems.iter().map(LineProblem::to_string).collect();
    assert_eq!(err.to_string(), framed.join("; "));
    for (problem, shown) in problems.iter().zip(&framed) {
        let want = match problem.column {
            Some(c) => format!("line {}: {} (column {c})", problem.line, problem.reason),
            None => format!("line {}: {}", problem.line, problem.reason),
        };
        assert_eq!(*shown, want);
    }

    // The property itself, stated directly: no run of RUN bytes from after an `=`
    // (where values live) appears in a reason. Sound: a run that also occurs in
    // the fixed vocabulary is a coincidence, not a leak (libFuzzer's comparison
    // tracing will splice message text into inputs).
    let Some(eq) = text.find('=') else { return };
    let tail = &text.as_bytes()[eq + 1..];
    if tail.len() < RUN {
        return;
    }
    let mut reasons: Vec<&str> = problems.iter().map(|p| p.reason.as_str()).collect();
    reasons.sort_unstable();
    reasons.dedup();
    let runs: std::collections::HashSet<&[u8]> = reasons
        .iter()
        .flat_map(|r| r.as_bytes().windows(RUN))
        .collect();
    for run in tail.windows(RUN) {
        if runs.contains(run) {
            assert!(
                REASONS.iter().any(|r| contains(r.as_bytes(), run)),
                "input text leaked into a message"
            );
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
