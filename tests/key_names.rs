//! Nothing secret may become a key name. Key names are public (listings, reports,
//! audit events, errors), so a name that looks like a pasted token is refused
//! wherever a new name is chosen (`.env` text, `import_env`, `create`), and a line
//! of only `=` signs after a word (the tail of a wrapped base64 token) is a problem,
//! not a key. Names already stored keep loading: `SecretKey::new` is unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;
use common::*;

/// (case, name, accepted as a new name)
const NAMES: &[(&str, &str, bool)] = &[
    // Ordinary names.
    ("screaming snake", "OPENAI_API_KEY", true),
    ("leading digit", "2FA_SEED", true),
    ("all digits", "123", true),
    ("lower case", "token", true),
    ("underscore only", "_", true),
    (
        "long with underscores",
        "MY_VERY_LONG_SERVICE_ACCOUNT_TOKEN_2",
        true,
    ),
    (
        "long camel case, no digit",
        "myServiceAccountTokenForBilling",
        true,
    ),
    (
        "long upper and digits, no lower",
        "ABCDEFGHIJ0123456789XYZ",
        true,
    ),
    (
        "long lower and digits, no upper",
        "abcdefghij0123456789xyz",
        true,
    ),
    ("mixed, 19 characters", "aB3aB3aB3aB3aB3aB3a", true),
    ("prefix word without its underscore", "ghpTOKEN", true),
    ("upper-case GitHub word", "GHP_TOKEN", true),
    ("AKIA then a word", "AKIA_ROTATION_DAY", true),
    ("AKIA then 15", "AKIAABCDEFGHIJ12345", true),
    ("AKIA then 14 and a lower", "AKIAABCDEFGHIJ1234x", true),
    ("AIza lower-case", "aiza_key", true),
    // Token prefixes.
    ("GitHub classic", "ghp_abc", false),
    ("GitHub OAuth", "gho_abc", false),
    ("GitHub user-to-server", "ghu_abc", false),
    ("GitHub server-to-server", "ghs_abc", false),
    ("GitHub refresh", "ghr_abc", false),
    ("GitHub fine-grained", "github_pat_11ABC", false),
    ("Stripe live secret", "sk_live_51Hx", false),
    ("Stripe test secret", "sk_test_51Hx", false),
    ("Stripe restricted", "rk_live_51Hx", false),
    ("Stripe live publishable", "pk_live_51Hx", false),
    ("Google API key", "AIzaSyA1b2", false),
    ("prefix alone", "ghp_", false),
    ("AWS access key id", "AKIAIOSFODNN7EXAMPLE", false),
    ("AWS access key id, longer", "AKIAIOSFODNN7EXAMPLE_X", false),
    // Long, no underscore, mixes all three classes.
    ("base64 fragment", "c2stbGl2ZS1hYmNkZWZnaGlqaw", false),
    ("mixed, 20 characters", "aB3aB3aB3aB3aB3aB3aB", false),
    ("hex-ish mixed", "9fE2a7Bc41d0E8f3A6b5C", false),
];

fn accepted_by_parse_env(name: &str) -> Result<(), String> {
    let text = format!("OK=1\n{name}=value\n");
    match parse_env(&text) {
        Ok(parsed) => {
            assert_eq!(parsed.entries.len(), 2);
            Ok(())
        }
        Err(err) => {
            assert_eq!(err.code(), "import_syntax");
            let message = err.to_string();
            assert!(!message.contains(name), "the message names {name:?}");
            assert!(!format!("{err:?}").contains(name));
            Err(message)
        }
    }
}

#[test]
fn new_names_table_through_parse_env() {
    for (case, name, ok) in NAMES {
        match accepted_by_parse_env(name) {
            Ok(()) => assert!(ok, "{case}: {name} was accepted"),
            Err(message) => {
                assert!(!ok, "{case}: {message}");
                assert!(
                    message.starts_with("line 2: invalid key: "),
                    "{case}: {message}"
                );
                assert!(
                    message.contains("public"),
                    "{case}: the hint says why: {message}"
                );
            }
        }
    }
}

#[test]
fn new_names_table_through_create_and_import() {
    for (case, name, ok) in NAMES {
        let w = World::new();
        // The name is valid under the old rule: an existing record keeps loading.
        let key = SecretKey::new(*name).unwrap();
        let got = block_on(
            w.secrets
                .create(&admin(), &workspace_scope(), &key, value("v")),
        );
        match got {
            Ok(_) => assert!(ok, "{case}: create accepted {name}"),
            Err(err) => {
                assert!(!ok, "{case}: {err}");
                assert_eq!(err.code(), "invalid_key", "{case}");
                assert!(!err.to_string().contains(name), "{case}: {err}");
                assert!(!format!("{err:?}").contains(name), "{case}");
                // Nothing was stored, and no audit event names it.
                let listed = block_on(w.secrets.list(&admin(), &workspace_scope())).unwrap();
                assert!(listed.is_empty(), "{case}");
                for event in w.audit.events() {
                    assert!(event.keys.iter().all(|k| k.as_str() != *name), "{case}");
                }
            }
        }
        let text = format!("{name}=v\n");
        let got = block_on(w.secrets.import_env(
            &admin(),
            &Scope::workflow(ws(), wf()),
            &text,
            ImportMode::Upsert,
        ));
        assert_eq!(got.is_ok(), *ok, "{case}: import of {name}");
        if !ok {
            for event in w.audit.events() {
                assert!(event.keys.iter().all(|k| k.as_str() != *name), "{case}");
            }
        }
    }
}

/// A long token wrapped by a paste leaves its tail on a line of its own; its `=`
/// padding made it a statement, the fragment a public key name.
#[test]
fn a_value_of_only_equals_signs_is_a_problem() {
    let cases: &[(&str, &str, Option<usize>)] = &[
        // (case, text, column of the problem, or None when it parses)
        ("wrapped base64 tail", "c2stbGl2ZS1hYmNk==\n", Some(18)),
        ("one =", "TAIL==\n", Some(6)),
        ("three", "TAIL====\n", Some(6)),
        ("spaced", "TAIL = ==   # c\n", Some(8)),
        ("crlf", "X=1\r\nTAIL==\r\n", Some(6)),
        ("at the end of the input", "TAIL==", Some(6)),
        ("exported", "export TAIL==\n", Some(13)),
        ("double-quoted", "TAIL=\"=\"\n", None),
        ("single-quoted", "TAIL='=='\n", None),
        ("= then more", "TAIL==a\n", None),
        ("more then =", "TAIL=a=\n", None),
        ("empty value", "TAIL=\n", None),
        ("== inside a value", "URL=a==b\n", None),
    ];
    for (case, text, column) in cases {
        match (parse_env(text), column) {
            (Ok(_), None) => {}
            (Err(err), Some(column)) => {
                assert_eq!(err.code(), "import_syntax", "{case}");
                let Error::ImportSyntax { problems } = &err else {
                    panic!("{case}: {err:?}")
                };
                assert_eq!(problems.len(), 1, "{case}: {problems:?}");
                let p = &problems[0];
                assert_eq!(p.column, Some(*column), "{case}: {p:?}");
                assert!(p.reason.contains("quote"), "{case}: a hint: {}", p.reason);
                for fragment in ["c2st", "TAIL", "=="] {
                    assert!(!p.reason.contains(fragment), "{case}: {}", p.reason);
                }
            }
            (got, _) => panic!("{case}: {got:?}"),
        }
    }
}

#[test]
fn names_already_stored_still_load() {
    for (case, name, _) in NAMES {
        let key = SecretKey::new(*name).unwrap_or_else(|e| panic!("{case}: {e}"));
        let back: SecretKey = serde_json::from_str(&format!("\"{name}\"")).unwrap();
        assert_eq!(key, back, "{case}");
        assert_eq!(
            Template::parse(&format!("{{{{{name}}}}}"))
                .unwrap()
                .references()
                .count(),
            1
        );
    }
}
