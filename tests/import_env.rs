#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The `.env` dialect, rule by rule: named cases in tables, then properties.

use proptest::prelude::*;
use workflow_secrets::{
    Error, SecretKey, SecretValue,
    error::LineProblem,
    import::{ParsedEnv, parse_env},
};

/// A case that parses: the input and the entries it gives, in order.
struct Good {
    name: &'static str,
    input: &'static str,
    want: &'static [(&'static str, &'static str)],
}

fn pairs(parsed: &ParsedEnv) -> Vec<(&str, &str)> {
    parsed
        .iter()
        .map(|e| (e.key.as_str(), e.value.expose_secret()))
        .collect()
}

const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----";

#[rustfmt::skip]
const GOOD: &[Good] = &[
    // Rule 1: encoding, BOM, line ends.
    Good { name: "empty input", input: "", want: &[] },
    Good { name: "bom skipped", input: "\u{feff}A=1\n", want: &[("A", "1")] },
    Good { name: "bom only", input: "\u{feff}", want: &[] },
    Good { name: "lf", input: "A=1\nB=2\n", want: &[("A", "1"), ("B", "2")] },
    Good { name: "crlf", input: "A=1\r\nB=2\r\n", want: &[("A", "1"), ("B", "2")] },
    Good { name: "lone cr", input: "A=1\rB=2\r", want: &[("A", "1"), ("B", "2")] },
    Good { name: "no final line break", input: "A=1\nB=2", want: &[("A", "1"), ("B", "2")] },
    Good { name: "mixed line ends", input: "A=1\rB=2\r\nC=3\n", want: &[("A", "1"), ("B", "2"), ("C", "3")] },
    Good { name: "crlf inside double quotes is lf", input: "A=\"x\r\ny\"\r\n", want: &[("A", "x\ny")] },
    Good { name: "cr inside single quotes is lf", input: "A='x\ry'\r", want: &[("A", "x\ny")] },
    Good { name: "non-ascii value", input: "A=clé–🔑\n", want: &[("A", "clé–🔑")] },
    // Rule 2: blank lines and comments.
    Good { name: "blank and comment lines", input: "\n   \n\t\n# c\n  # indented\nA=1\n#B=2\n", want: &[("A", "1")] },
    Good { name: "comment only", input: "# nothing here", want: &[] },
    Good { name: "indented statement", input: "   A=1\n\tB=2\n", want: &[("A", "1"), ("B", "2")] },
    // Rule 3: statement shape and export.
    Good { name: "spaces around equals", input: "A = 1\nB\t=\t2\nC =3\nD= 4\n", want: &[("A", "1"), ("B", "2"), ("C", "3"), ("D", "4")] },
    Good { name: "nbsp around equals", input: "A\u{a0}=\u{a0}1\n", want: &[("A", "1")] },
    Good { name: "export prefix", input: "export A=1\n", want: &[("A", "1")] },
    Good { name: "export prefix with tab and spaces", input: "export\t  A = 1\n", want: &[("A", "1")] },
    Good { name: "export as key", input: "export=v\n", want: &[("export", "v")] },
    Good { name: "export as key with spaces", input: "export = v\n", want: &[("export", "v")] },
    Good { name: "export then key export", input: "export export=v\n", want: &[("export", "v")] },
    Good { name: "exported key prefix without space", input: "exportA=1\n", want: &[("exportA", "1")] },
    Good { name: "export prefix before quoted value", input: "export A='x'\n", want: &[("A", "x")] },
    // Rule 4: keys.
    Good { name: "key of digits and underscores", input: "2FA_SEED=1\n_=2\n123=3\n", want: &[("2FA_SEED", "1"), ("_", "2"), ("123", "3")] },
    Good { name: "keys are case-sensitive", input: "Token=1\nTOKEN=2\n", want: &[("Token", "1"), ("TOKEN", "2")] },
    // Rule 5: unquoted values.
    Good { name: "empty value", input: "A=\nB=   \n", want: &[("A", ""), ("B", "")] },
    Good { name: "trimmed", input: "A=   x y   \n", want: &[("A", "x y")] },
    Good { name: "trimmed tabs", input: "A=\tx\t\n", want: &[("A", "x")] },
    Good { name: "trimmed nbsp", input: "A=\u{a0}x\u{a0}\u{2003}\n", want: &[("A", "x")] },
    Good { name: "inner nbsp kept", input: "A=x\u{a0}y\n", want: &[("A", "x\u{a0}y")] },
    Good { name: "hash inside a word", input: "A=pass#word\n", want: &[("A", "pass#word")] },
    Good { name: "hash right after equals", input: "A=#x\n", want: &[("A", "#x")] },
    Good { name: "comment after space", input: "A=value # comment\n", want: &[("A", "value")] },
    Good { name: "comment after tab", input: "A=value\t#comment\n", want: &[("A", "value")] },
    Good { name: "comment after nbsp", input: "A=value\u{a0}#comment\n", want: &[("A", "value")] },
    Good { name: "comment as whole value", input: "A= # nothing\n", want: &[("A", "")] },
    Good { name: "equals in value", input: "A=b=c==\n", want: &[("A", "b=c==")] },
    Good { name: "quotes after first char", input: "A=it's \"x\"\n", want: &[("A", "it's \"x\"")] },
    Good { name: "unquoted backslashes", input: "A=C:\\new\\t\n", want: &[("A", "C:\\new\\t")] },
    Good { name: "unquoted dollar", input: "A=pa$$w0rd\n", want: &[("A", "pa$$w0rd")] },
    Good { name: "json unquoted", input: "A={\"type\": \"service_account\", \"n\": [1, 2]}\n", want: &[("A", "{\"type\": \"service_account\", \"n\": [1, 2]}")] },
    Good { name: "base64 padding", input: "A=aGVsbG8=\n", want: &[("A", "aGVsbG8=")] },
    Good { name: "url with fragment", input: "A=https://x.test/p?q=1#frag\n", want: &[("A", "https://x.test/p?q=1#frag")] },
    // Rule 6: double quotes.
    Good { name: "double quoted", input: "A=\"x y\"\n", want: &[("A", "x y")] },
    Good { name: "double quoted keeps spaces", input: "A=\"  x  \"\n", want: &[("A", "  x  ")] },
    Good { name: "double quoted empty", input: "A=\"\"\n", want: &[("A", "")] },
    Good { name: "double escapes", input: r#"A="a\nb\rc\td\"e\'f\\g""#, want: &[("A", "a\nb\rc\td\"e'f\\g")] },
    Good { name: "double other backslash pairs kept", input: r#"A="C:\Users\x \$HOME \0 \u00e9""#, want: &[("A", r"C:\Users\x \$HOME \0 \u00e9")] },
    Good { name: "double escaped backslash before quote", input: r##"A="x\\"# c"##, want: &[("A", "x\\")] },
    Good { name: "double hash inside", input: "A=\"x # not a comment\"\n", want: &[("A", "x # not a comment")] },
    Good { name: "double multi-line", input: "A=\"one\ntwo\n\"\nB=2\n", want: &[("A", "one\ntwo\n"), ("B", "2")] },
    Good { name: "double backslash before line break kept", input: "A=\"x\\\ny\"\n", want: &[("A", "x\\\ny")] },
    Good { name: "double json", input: r#"A="{\"k\": \"v\"}""#, want: &[("A", "{\"k\": \"v\"}")] },
    Good { name: "double pem", input: "KEY=\"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\"\n", want: &[("KEY", PEM)] },
    Good { name: "double pem crlf", input: "KEY=\"-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\r\nBKcwggSjAgEAAoIBAQC7\r\n-----END PRIVATE KEY-----\"\r\n", want: &[("KEY", PEM)] },
    Good { name: "double pem escaped newlines", input: "KEY=\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\nBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----\"", want: &[("KEY", PEM)] },
    // Rule 7: single quotes.
    Good { name: "single quoted", input: "A='x y'\n", want: &[("A", "x y")] },
    Good { name: "single quoted empty", input: "A=''\n", want: &[("A", "")] },
    Good { name: "single literal backslashes", input: r"A='a\nb\\c\'", want: &[("A", r"a\nb\\c\")] },
    Good { name: "single double quote inside", input: "A='say \"hi\"'\n", want: &[("A", "say \"hi\"")] },
    Good { name: "single json", input: "A='{\"k\": \"v\", \"n\": null}'\n", want: &[("A", "{\"k\": \"v\", \"n\": null}")] },
    Good { name: "single pem", input: "KEY='-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----'\nNEXT=1\n", want: &[("KEY", PEM), ("NEXT", "1")] },
    // Rule 8: after the closing quote.
    Good { name: "comment after double", input: "A=\"x\" # c\n", want: &[("A", "x")] },
    Good { name: "comment glued to quote", input: "A=\"x\"#c\nB='y'#c\n", want: &[("A", "x"), ("B", "y")] },
    Good { name: "blanks after single", input: "A='x'  \t\n", want: &[("A", "x")] },
    Good { name: "backtick later in value", input: "A=x`y`\n", want: &[("A", "x`y`")] },
    Good { name: "backtick inside quotes", input: "A='`x`'\n", want: &[("A", "`x`")] },
    // Rule 9: no expansion.
    Good { name: "no expansion unquoted", input: "HOME=x\nA=$HOME ${HOME} ${HOME:-d} $(id)\n", want: &[("HOME", "x"), ("A", "$HOME ${HOME} ${HOME:-d} $(id)")] },
    Good { name: "no expansion double", input: "A=\"$HOME ${PATH}\"\n", want: &[("A", "$HOME ${PATH}")] },
    Good { name: "no expansion single", input: "A='${PATH}'\n", want: &[("A", "${PATH}")] },
    // Rule 11: duplicates.
    Good { name: "duplicate keeps first position and last value", input: "A=1\nB=2\nA=3\n", want: &[("A", "3"), ("B", "2")] },
];

#[test]
fn good_cases() {
    for case in GOOD {
        let parsed = match parse_env(case.input) {
            Ok(parsed) => parsed,
            Err(err) => panic!("case {:?}: unexpected error: {err}", case.name),
        };
        assert_eq!(pairs(&parsed), case.want, "case {:?}", case.name);
    }
}

/// A case that fails: each expected problem as (line, column, start of the reason).
struct Bad {
    name: &'static str,
    input: &'static str,
    want: &'static [(usize, usize, &'static str)],
}

const MISSING: &str = "missing `=`";
const EXPECTED: &str = "expected `=`";
const NO_KEY: &str = "missing key";
const KEY_CHARS: &str = "invalid key: a key may hold only";
const KEY_LONG: &str = "invalid key: a key is 1 to 256 bytes";
const BACKTICK: &str = "a value may not start with a backtick; quote it with ' or \"";
const UNTERMINATED: &str = "unterminated quote";
const AFTER: &str = "unexpected text after the closing quote";
const TOO_LARGE: &str = "value too large";

#[rustfmt::skip]
const BAD: &[Bad] = &[
    Bad { name: "no equals", input: "JUSTAWORD\n", want: &[(1, 10, MISSING)] },
    Bad { name: "no equals after blanks", input: "A  \n", want: &[(1, 4, MISSING)] },
    Bad { name: "two words", input: "A B=1\n", want: &[(1, 3, EXPECTED)] },
    Bad { name: "uppercase export is a key", input: "EXPORT A=1\n", want: &[(1, 8, EXPECTED)] },
    Bad { name: "export without a key", input: "export\n", want: &[(1, 7, MISSING)] },
    Bad { name: "export then non-key", input: "export -A=1\n", want: &[(1, 8, EXPECTED)] },
    Bad { name: "export with bad key", input: "export A-B=1\n", want: &[(1, 9, KEY_CHARS)] },
    Bad { name: "empty key", input: "=1\n", want: &[(1, 1, NO_KEY)] },
    Bad { name: "empty key after blanks", input: "  = 1\n", want: &[(1, 3, NO_KEY)] },
    Bad { name: "dash in key", input: "MY-KEY=1\n", want: &[(1, 3, KEY_CHARS)] },
    Bad { name: "dot in key", input: "a.b=1\n", want: &[(1, 2, KEY_CHARS)] },
    Bad { name: "non-ascii key", input: "CLÉ=1\n", want: &[(1, 3, KEY_CHARS)] },
    Bad { name: "second bom is not skipped", input: "\u{feff}\u{feff}A=1\n", want: &[(1, 1, KEY_CHARS)] },
    Bad { name: "quoted key", input: "\"A\"=1\n", want: &[(1, 1, KEY_CHARS)] },
    Bad { name: "backtick value", input: "A=`cmd`\n", want: &[(1, 3, BACKTICK)] },
    Bad { name: "backtick after blanks", input: "A =  `x`\n", want: &[(1, 6, BACKTICK)] },
    Bad { name: "text after double quote", input: "A=\"x\"y\n", want: &[(1, 6, AFTER)] },
    Bad { name: "text after single quote", input: "A='x' y\n", want: &[(1, 7, AFTER)] },
    Bad { name: "second quoted part", input: "A=\"x\"\"y\"\n", want: &[(1, 6, AFTER)] },
    Bad { name: "text after multi-line quote is on the closing line", input: "A=\"x\ny\" z\nB=1\n", want: &[(2, 4, AFTER)] },
    Bad { name: "unterminated double", input: "A=1\nB=\"open\nC=3\n", want: &[(2, 3, UNTERMINATED)] },
    Bad { name: "unterminated single", input: "A='open\n", want: &[(1, 3, UNTERMINATED)] },
    Bad { name: "unterminated by escaped quote", input: "A=\"x\\\"\n", want: &[(1, 3, UNTERMINATED)] },
    Bad { name: "unterminated double at end", input: "A=\"", want: &[(1, 3, UNTERMINATED)] },
    Bad { name: "unquoted pem", input: "KEY=-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n", want: &[(2, 33, MISSING), (3, 10, EXPECTED)] },
    Bad { name: "bad key still reads its multi-line value", input: "MY-KEY=\"a\nb=c d\"\nOK=1\nX Y\n", want: &[(1, 3, KEY_CHARS), (4, 3, EXPECTED)] },
    Bad { name: "columns count characters", input: "  é=\"ü\" x\n", want: &[(1, 3, KEY_CHARS), (1, 9, AFTER)] },
    Bad { name: "columns after bom and crlf", input: "\u{feff}A=1\r\nAÉB=2\r\n", want: &[(2, 2, KEY_CHARS)] },
    Bad { name: "several problems at once", input: "GOOD=1\nbad line\n=x\nA=`x`\nB='y' z\nC=\"open\n", want: &[(2, 5, EXPECTED), (3, 1, NO_KEY), (4, 3, BACKTICK), (5, 7, AFTER), (6, 3, UNTERMINATED)] },
    Bad { name: "two problems on one line", input: "A-B='x' y\n", want: &[(1, 2, KEY_CHARS), (1, 9, AFTER)] },
];

fn problems(err: Error) -> Vec<LineProblem> {
    assert_eq!(err.code(), "import_syntax");
    match err {
        Error::ImportSyntax { problems } => problems,
        other => panic!("not an import error: {other}"),
    }
}

#[test]
fn bad_cases() {
    for case in BAD {
        let err = match parse_env(case.input) {
            Ok(parsed) => panic!("case {:?}: parsed as {:?}", case.name, pairs(&parsed)),
            Err(err) => err,
        };
        let got = problems(err);
        assert_eq!(got.len(), case.want.len(), "case {:?}: {got:?}", case.name);
        for (problem, (line, column, reason)) in got.iter().zip(case.want) {
            assert_eq!(problem.line, *line, "case {:?}: {problem:?}", case.name);
            assert_eq!(
                problem.column,
                Some(*column),
                "case {:?}: {problem:?}",
                case.name
            );
            assert!(
                problem.reason.starts_with(reason),
                "case {:?}: {problem:?}",
                case.name
            );
        }
    }
}

#[test]
fn key_length_limit() {
    let ok = format!("{}=1\n", "K".repeat(256));
    assert_eq!(parse_env(&ok).unwrap().entries[0].key.as_str().len(), 256);
    let long = format!("A=1\n{}=1\n", "K".repeat(257));
    let got = problems(parse_env(&long).unwrap_err());
    assert_eq!((got[0].line, got[0].column), (2, Some(1)));
    assert!(got[0].reason.starts_with(KEY_LONG));
}

#[test]
fn value_length_limit() {
    let max = SecretValue::MAX_LEN;
    for (name, text) in [
        ("unquoted", format!("A={}\n", "x".repeat(max))),
        ("single", format!("A='{}'\n", "x".repeat(max))),
        // Counted after unescaping: 2 * max bytes of `\n` escapes are max bytes.
        ("double escapes", format!("A=\"{}\"\n", "\\n".repeat(max))),
        // CRLF inside quotes is stored as one byte.
        ("crlf", format!("A='{}'\n", "\r\n".repeat(max))),
        ("trimmed", format!("A=  {}  \n", "x".repeat(max))),
    ] {
        let parsed = parse_env(&text).unwrap_or_else(|e| panic!("case {name:?}: {e}"));
        assert_eq!(parsed.entries[0].value.len(), max, "case {name:?}");
    }
    for (name, text, column) in [
        (
            "unquoted",
            format!("Z=1\nA={}\nB=2\n", "x".repeat(max + 1)),
            3,
        ),
        ("single", format!("Z=1\nA = '{}'\n", "x".repeat(max + 1)), 5),
        (
            "double",
            format!("Z=1\nA=\"{}\"\n", "é".repeat(max / 2 + 1)),
            3,
        ),
        ("multi-line", format!("Z=1\nA='\n{}'\n", "x".repeat(max)), 3),
    ] {
        let got = problems(parse_env(&text).unwrap_err());
        assert_eq!(got.len(), 1, "case {name:?}: {got:?}");
        assert_eq!(
            (got[0].line, got[0].column),
            (2, Some(column)),
            "case {name:?}"
        );
        assert!(got[0].reason.starts_with(TOO_LARGE), "case {name:?}");
    }
}

#[test]
fn problems_stop_after_a_thousand() {
    // Two bytes of input per problem: uncapped, a large paste would claim memory
    // many times its size.
    let text = "a\n".repeat(5_000);
    let got = problems(parse_env(&text).unwrap_err());
    assert_eq!(got.len(), 1_001);
    assert_eq!(got[999].line, 1_000);
    let last = &got[1_000];
    assert_eq!((last.line, last.column), (1_001, None));
    assert!(last.reason.starts_with("too many problems"), "{last:?}");
    // At the limit exactly, nothing is cut.
    let got = problems(parse_env(&"a\n".repeat(1_000)).unwrap_err());
    assert_eq!(got.len(), 1_000);
    assert!(got.iter().all(|p| p.reason.starts_with(MISSING)));
}

#[test]
fn duplicate_warning_names_both_lines_and_the_key() {
    let parsed = parse_env("A=first\nB=2\n\nA=second\nA=third\n").unwrap();
    assert_eq!(pairs(&parsed), [("A", "third"), ("B", "2")]);
    assert_eq!(parsed.entries[0].line, 5, "the line of the value kept");
    let warnings: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "line 4: duplicate key A: line 4 replaces the value from line 1",
            "line 5: duplicate key A: line 5 replaces the value from line 4",
        ]
    );
    for w in &parsed.warnings {
        for secret in ["first", "second", "third"] {
            assert!(!w.message.contains(secret));
            assert!(!format!("{w:?}").contains(secret));
        }
    }
}

/// Duplicate keys are not problems, so nothing stopped their warnings: a 1 MB
/// paste of `A=1` lines made 250,000 of them (33 MB). They are capped like problems,
/// the rest counted in one last warning.
#[test]
fn warnings_stop_after_a_thousand() {
    let cases: &[(&str, usize, usize)] = &[
        // (name, duplicate lines, warnings listed before the summary)
        ("under the cap", 10, 10),
        ("at the cap", 1_000, 1_000),
        ("one over", 1_001, 1_000),
        ("a 1 MB paste", 250_000, 1_000),
    ];
    for (name, duplicates, listed) in cases {
        let text = "A=1\n".repeat(duplicates + 1);
        let parsed = parse_env(&text).unwrap();
        assert_eq!(pairs(&parsed), [("A", "1")], "{name}");
        assert_eq!(
            parsed.entries[0].line,
            duplicates + 1,
            "{name}: the last value kept"
        );
        let summary = usize::from(duplicates > listed);
        assert_eq!(parsed.warnings.len(), listed + summary, "{name}");
        for (i, w) in parsed.warnings.iter().take(*listed).enumerate() {
            assert_eq!(w.line, i + 2, "{name}");
            assert!(w.message.starts_with("duplicate key A: "), "{name}: {w}");
        }
        if summary == 1 {
            let last = parsed.warnings.last().unwrap();
            assert_eq!(
                last.line,
                listed + 2,
                "{name}: the first warning not listed"
            );
            assert_eq!(
                last.message,
                format!("too many warnings: {} more not listed", duplicates - listed),
                "{name}"
            );
        }
        let bytes: usize = parsed.warnings.iter().map(|w| w.message.len()).sum();
        assert!(bytes < 100_000, "{name}: {bytes} bytes of warnings");
    }
}

#[test]
fn line_numbers_follow_multi_line_values() {
    let parsed = parse_env("A='1\n2\n3'\r\nB=\"x\r\ny\"\rC=z\n").unwrap();
    let lines: Vec<usize> = parsed.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 4, 6]);
}

#[test]
fn display_lists_every_problem() {
    let err = parse_env("a b\nOK=1\n=2\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1: expected `=` after the key (column 3); line 3: missing key before `=` (column 1)"
    );
}

#[test]
fn messages_never_echo_a_secret() {
    const MARK: &str = "sk-live-Zq9MARKER";
    #[rustfmt::skip]
    let inputs = [
        "sk-live-Zq9MARKER\n",
        "A=sk-live-Zq9MARKER\nsk-live-Zq9MARKER\n",
        "sk-live-Zq9MARKER=1\n",
        "A sk-live-Zq9MARKER\n",
        "A=`sk-live-Zq9MARKER`\n",
        "A=\"sk-live-Zq9MARKER\" sk-live-Zq9MARKER\n",
        "A='sk-live-Zq9MARKER\n",
        "A=\"sk-live-Zq9MARKER\n",
        "export sk-live-Zq9MARKER=1\n",
        "A=\"x\" sk-live-Zq9MARKER\n",
        "B=1\nB=sk-live-Zq9MARKER\n=sk-live-Zq9MARKER\n",
    ];
    for input in inputs {
        let err = parse_env(input).unwrap_err();
        let shown = format!("{err} {err:?} {err:#?}");
        assert!(!shown.contains(MARK), "input {input:?} leaked: {shown}");
        assert!(!shown.contains("Zq9"), "input {input:?} leaked: {shown}");
    }
    // The huge value is not echoed either, nor its length.
    let huge = format!("A={}\n", MARK.repeat(5_000));
    let err = parse_env(&huge).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("Zq9") && !shown.contains(&huge.len().to_string()));
}

#[test]
fn debug_never_shows_a_value() {
    let parsed = parse_env("A=sk-live-Zq9MARKER\nA=sk-live-Zq9OTHER\n").unwrap();
    let shown = format!("{parsed:?} {parsed:#?} {:?}", parsed.entries[0]);
    assert!(!shown.contains("Zq9"), "{shown}");
    assert!(shown.contains("\"A\""), "keys are shown: {shown}");
}

#[test]
fn iterates_entries() {
    let parsed = parse_env("A=1\nB=2\n").unwrap();
    let by_ref: Vec<&str> = (&parsed).into_iter().map(|e| e.key.as_str()).collect();
    assert_eq!(by_ref, ["A", "B"]);
    let mut n = 0;
    for entry in &parsed {
        n += entry.value.len();
    }
    assert_eq!(n, 2);
    let owned: Vec<String> = parsed.into_iter().map(|e| e.key.to_string()).collect();
    assert_eq!(owned, ["A", "B"]);
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ParsedEnv>();
    check::<workflow_secrets::import::EnvEntry>();
    check::<workflow_secrets::import::ImportWarning>();
}

// ---- properties --------------------------------------------------------------------

/// Any key, under the rule every key keeps.
fn any_key() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_]{1,24}"
}

/// A key fit for a new secret: not one that looks like a token (a token prefix,
/// or 20+ characters mixing cases and digits without `_`), which `parse_env`
/// refuses; `keys_follow_the_new_name_rule` covers those.
fn key() -> impl Strategy<Value = String> {
    any_key().prop_filter("a name fit for a new secret", |k| {
        SecretKey::new_name(k.as_str()).is_ok()
    })
}

/// Any text, weighted towards the characters the grammar cares about.
fn value_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '\\', '"', '\'', '\n', '\r', '#', '$', ' ', '\t', '\u{a0}', '=', '`', '{', '\u{feff}',
    ]);
    prop::collection::vec(prop_oneof![any::<char>(), special], 0..40)
        .prop_map(|chars| chars.into_iter().collect())
}

fn single_quoted(value: &str) -> String {
    format!("'{value}'")
}

fn double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How one statement is written: export prefix, blanks around `=`, a trailing
/// comment, and the line ending.
#[derive(Clone, Debug)]
struct Layout {
    export: bool,
    before_eq: &'static str,
    after_eq: &'static str,
    comment: bool,
    crlf: bool,
    double: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    let blanks = || prop::sample::select(vec!["", " ", "\t", "  ", "\u{a0}"]);
    (
        any::<bool>(),
        blanks(),
        blanks(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(export, before_eq, after_eq, comment, crlf, double)| Layout {
                export,
                before_eq,
                after_eq,
                comment,
                crlf,
                double,
            },
        )
}

proptest! {
    // proptest's default of 256 cases; CI lowers it with PROPTEST_CASES.

    /// Written with quotes, any list of distinct keys and values reads back exactly.
    #[test]
    fn quoted_round_trip(
        list in prop::collection::btree_map(key(), (value_text(), layout()), 0..12),
        blank_lines in any::<bool>(),
    ) {
        let mut text = String::new();
        for (key, (value, layout)) in &list {
            // Single quotes cannot hold `'`, and a CR in them would come back as LF.
            let double = layout.double || value.contains(['\'', '\r']);
            let quoted = if double { double_quoted(value) } else { single_quoted(value) };
            let export = if layout.export { "export " } else { "" };
            let comment = if layout.comment { " # note" } else { "" };
            let eol = if layout.crlf { "\r\n" } else { "\n" };
            text.push_str(&format!(
                "{export}{key}{}={}{quoted}{comment}{eol}",
                layout.before_eq, layout.after_eq
            ));
            if blank_lines {
                text.push_str(&format!("# {key}{eol}{eol}"));
            }
        }
        let parsed = parse_env(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text:?}")))?;
        let got: Vec<(&str, String)> = parsed
            .iter()
            .map(|e| (e.key.as_str(), e.value.expose_secret().to_owned()))
            .collect();
        let want: Vec<(&str, String)> = list
            .iter()
            .map(|(k, (v, _))| (k.as_str(), v.clone()))
            .collect();
        prop_assert_eq!(got, want);
        prop_assert!(parsed.warnings.is_empty());
    }

    /// A key parses exactly when it is fit for a new secret, and a refusal never
    /// names it.
    #[test]
    fn keys_follow_the_new_name_rule(key in any_key()) {
        let fit = SecretKey::new_name(key.as_str()).is_ok();
        match parse_env(&format!("{key}=v\n")) {
            Ok(parsed) => {
                prop_assert!(fit, "{} parsed", key);
                prop_assert_eq!(parsed.entries[0].key.as_str(), key.as_str());
            }
            Err(err) => {
                prop_assert!(!fit, "{}: {}", key, err);
                prop_assert!(err.to_string().starts_with("line 1: invalid key: a new key "));
                prop_assert!(!err.to_string().contains(key.as_str()));
            }
        }
    }

    /// Arbitrary text never panics, and whatever parses obeys the product rules.
    #[test]
    fn never_panics(text in prop_oneof![any::<String>(), value_text()]) {
        match parse_env(&text) {
            Ok(parsed) => {
                for entry in &parsed {
                    prop_assert!(workflow_secrets::SecretKey::is_valid(entry.key.as_str()));
                    prop_assert!(entry.value.len() <= SecretValue::MAX_LEN);
                }
            }
            Err(err) => prop_assert_eq!(err.code(), "import_syntax"),
        }
    }

    /// Statements built from fragments, good and bad, each value a distinct marker:
    /// no error message (Display or Debug) ever contains a marker.
    #[test]
    fn no_message_contains_a_value(
        lines in prop::collection::vec(
            (
                prop::sample::select(vec!["A", "B_2", "bad-key", "", "export ", "EXPORT X", "=", "two words"]),
                prop::sample::select(vec!["=", " = ", "", " ", "=`", "='", "=\"", "= #"]),
                prop::sample::select(vec!["", "'", "\"", "\\", " ", "#", "`", "\n", "\r\n", "=", "${X}"]),
                prop::sample::select(vec!["", "'", "\"", " x", " # c", "\n", "`"]),
            ),
            1..12,
        ),
        marks in prop::collection::vec("[a-z]{6}", 12),
    ) {
        let mut text = String::new();
        let mut markers = Vec::new();
        for (i, (key, eq, inner, tail)) in lines.iter().enumerate() {
            // `sk-` keeps a marker from ever being a valid key name.
            let marker = format!("sk-{}{i:02}", marks[i]);
            text.push_str(&format!("{key}{eq}{marker}{inner}{marker}{tail}\n"));
            markers.push(marker);
        }
        if let Err(err) = parse_env(&text) {
            let shown = format!("{err} {err:?}");
            for marker in &markers {
                prop_assert!(!shown.contains(marker.as_str()), "{} leaked in {}", marker, shown);
            }
            prop_assert!(!shown.contains("sk-"), "{}", shown);
        }
    }
}
