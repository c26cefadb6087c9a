//! No value in any `Debug`, `Display`, error, audit event or serde output: per type.
//!
//! One marker value travels through every public type that can come near it; each
//! type's `Debug` (plain and pretty), `Display` where it has one, and serde output
//! where it has one, must not contain the marker nor its common encodings.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::io::Write;

use common::*;

const MARKER: &str = "sk-live-LEAKCHECK-0123456789abcdef";

/// The marker and the forms a log line might carry it in.
fn forms() -> Vec<String> {
    let hex: String = MARKER.bytes().map(|b| format!("{b:02x}")).collect();
    vec![
        MARKER.to_owned(),
        "LEAKCHECK".to_owned(),
        hex,
        "0123456789abcdef".to_owned(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for form in forms() {
        assert!(!text.contains(&form), "{what} leaks the value: {text}");
    }
}

macro_rules! check_debug {
    ($($name:literal => $value:expr),* $(,)?) => {
        $(
            let v = &$value;
            assert_clean(concat!($name, " Debug"), &format!("{v:?}"));
            assert_clean(concat!($name, " Debug (pretty)"), &format!("{v:#?}"));
        )*
    };
}

#[test]
fn every_public_type_keeps_the_value_out_of_its_output() {
    let w = World::new();
    let value = value(MARKER);
    w.put(&workspace_scope(), "API_KEY", MARKER);
    let k = key("API_KEY");
    let sealed = w.vault.seal(&workspace_scope(), &k, 1, &value).unwrap();
    let record = block_on(w.store.get(&workspace_scope(), &k))
        .unwrap()
        .unwrap();
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let shared = ctx.clone().shared_link(provided(&[("RUNNER_KEY", MARKER)]));
    let resolved = block_on(w.resolver.resolve(&ctx, &k)).unwrap();
    let run = w.resolver.run(&ctx);
    let step = run.step();
    block_on(step.credential("API_KEY")).unwrap();
    let redactor = step.redactor();
    let builder = Redactor::builder().secret_named(&k, &value);
    let mut writer = redactor.writer(Vec::new());
    writer.write_all(&MARKER.as_bytes()[..10]).unwrap(); // a partial value in the hold-back
    let parsed = parse_env(&format!("API_KEY={MARKER}\nAPI_KEY={MARKER}\n")).unwrap();
    let template = Template::parse("Bearer {{API_KEY}}").unwrap();
    let explanation = block_on(w.resolver.explain(&ctx, &k, &admin())).unwrap();
    let batch = WriteBatch::from(vec![WriteOp::Put {
        record: record.clone(),
        expect: Expect::Any,
    }]);
    let report = block_on(w.secrets.import_env(
        &admin(),
        &workspace_scope(),
        &format!("NEW={MARKER}"),
        ImportMode::Upsert,
    ))
    .unwrap();
    let json = serde_json::json!({ "token": MARKER });
    let details = SecretDetails {
        display_name: Some("prod".into()),
        members: BTreeMap::new(),
        ..Default::default()
    };

    check_debug! {
        "SecretValue" => value,
        "SealedSecret" => sealed,
        "Vault" => w.vault,
        "LocalKeyring" => w.keyring,
        "StoredSecret" => record,
        "FoundSealed" => FoundSealed::new(0, 1, record.sealed.clone()),
        "SecretMeta" => record.meta,
        "WriteBatch" => batch,
        "MemoryStore" => *w.store,
        "DynStore" => DynStore::new(MemoryStore::new()),
        "Secrets" => w.secrets,
        "Resolver" => w.resolver,
        "RunContext (shared, provided values)" => shared,
        "Access" => shared.access(),
        "Resolved" => resolved,
        "Run" => run,
        "Step" => step,
        "Redactor" => redactor,
        "RedactorBuilder" => builder,
        "RedactingWriter" => writer,
        "Redacted" => redactor.serialize(&json),
        "ParsedEnv" => parsed,
        "EnvEntry" => parsed.entries[0],
        "ImportReport" => report,
        "Template" => template,
        "Explanation" => explanation,
        "SecretDetails" => details,
        "AuditEvents" => w.audit.events(),
        "UsageMark" => UsageMark::new(workspace_scope(), k.clone(), wf(), 1),
        "Usage" => Usage::new(wf(), 1),
        "UsageRecording" => UsageRecording::every(std::time::Duration::from_secs(60)),
        "UsageFlush" => UsageFlush::default(),
        "DeleteCheck" => DeleteCheck::used_within(std::time::Duration::from_secs(60)),
        "Error::SecretInUse" => Error::SecretInUse {
            scope: workspace_scope(),
            key: k.clone(),
            workflows: vec![wf()],
        },
    }
    assert_clean("Explanation Display", &explanation.to_string());
    for (name, json) in [
        (
            "ImportReport serde",
            serde_json::to_string(&report).unwrap(),
        ),
        (
            "Explanation serde",
            serde_json::to_string(&explanation).unwrap(),
        ),
        (
            "AuditEvent serde",
            serde_json::to_string(&w.audit.events()).unwrap(),
        ),
    ] {
        assert_clean(name, &json);
    }
    assert_clean(
        "SecretMeta serde",
        &serde_json::to_string(&record.meta).unwrap(),
    );
    assert_clean(
        "Redacted serde",
        &serde_json::to_string(&redactor.serialize(&json)).unwrap(),
    );
    for warning in &parsed.warnings {
        assert_clean("ImportWarning", &warning.to_string());
    }
}

#[test]
fn every_error_kind_keeps_the_value_out() {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", MARKER);
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let stranger = Actor::new(
        user("x"),
        WorkspaceId::new("other").unwrap(),
        WorkspaceRole::Admin,
    );
    let sealed = w
        .vault
        .seal(&workspace_scope(), &key("API_KEY"), 1, &value(MARKER))
        .unwrap();
    let mut flipped = sealed.to_bytes();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let errors: Vec<Error> = vec![
        SecretKey::new(MARKER).unwrap_err(),
        WorkspaceId::new(format!("{MARKER}\0")).unwrap_err(),
        SecretValue::new(MARKER.repeat(3000)).unwrap_err(),
        block_on(
            w.secrets
                .create(&admin(), &workspace_scope(), &key("API_KEY"), value(MARKER)),
        )
        .unwrap_err(),
        block_on(
            w.secrets
                .create(&stranger, &workspace_scope(), &key("B"), value(MARKER)),
        )
        .unwrap_err(),
        block_on(
            w.secrets
                .rotate(&admin(), &workspace_scope(), &key("NONE"), value(MARKER)),
        )
        .unwrap_err(),
        block_on(w.resolver.resolve(&ctx, &key("MISSING"))).unwrap_err(),
        w.vault
            .unseal(&personal("o"), &key("API_KEY"), 1, &sealed)
            .unwrap_err(),
        SealedSecret::from_bytes(&flipped[..20]).unwrap_err(),
        w.vault
            .unseal(
                &workspace_scope(),
                &key("API_KEY"),
                1,
                &SealedSecret::from_bytes(&flipped).unwrap(),
            )
            .unwrap_err(),
        parse_env(&format!("{MARKER}\nA=\"{MARKER}")).unwrap_err(),
        Template::parse(&format!("{{{{{MARKER}}}}}")).unwrap_err(),
        block_on(w.secrets.import_env(
            &admin(),
            &workspace_scope(),
            &format!("API_KEY={MARKER}"),
            ImportMode::CreateOnly,
        ))
        .unwrap_err(),
        Error::from(StoreError::Conflict),
    ];
    let mut codes: Vec<&str> = errors.iter().map(Error::code).collect();
    for err in &errors {
        assert_clean(err.code(), &err.to_string());
        assert_clean(err.code(), &format!("{err:?}"));
    }
    codes.sort();
    codes.dedup();
    assert!(
        codes.len() >= 11,
        "the list covers the error kinds a value can come near: {codes:?}"
    );
}
