#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Reports serialize (for a host's JSON API) as they are, with no value in them:
//! `ImportReport` and its warnings, `RewrapReport`, `AuditEvent`, `Explanation`.

mod common;

use common::*;
use serde_json::{Value, json};

const VALUE: &str = "sk-live-serialized-value-0001";

#[test]
fn reports_serialize_with_their_fields_and_no_value() {
    let w = World::new();
    let scope = workspace_scope();
    let text = format!("API_KEY={VALUE}\nAPI_KEY={VALUE}-again\nOTHER=plain-other-value\n");
    let imported = block_on(
        w.secrets
            .import_env(&admin(), &scope, &text, ImportMode::Upsert),
    )
    .unwrap();
    let rewrapped = block_on(w.secrets.rewrap_all(&admin(), &scope)).unwrap();
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    block_on(w.resolver.resolve(&ctx, &key("API_KEY"))).unwrap();
    let explained = block_on(w.resolver.explain(&ctx, &key("API_KEY"), &admin())).unwrap();
    let events = w.audit.events();

    let import_json = serde_json::to_value(&imported).unwrap();
    assert_eq!(import_json["created"], json!(["API_KEY", "OTHER"]));
    assert_eq!(
        import_json["warnings"][0]["line"],
        json!(2),
        "{import_json}"
    );
    let rewrap_json = serde_json::to_value(&rewrapped).unwrap();
    assert_eq!(rewrap_json["already_current"], json!(["API_KEY", "OTHER"]));
    let event_json = serde_json::to_value(&events).unwrap();
    let kinds: Vec<&Value> = event_json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["kind"])
        .collect();
    assert_eq!(
        kinds,
        [&json!("imported"), &json!("rewrapped"), &json!("resolved")]
    );
    assert_eq!(event_json[2]["run"]["workflow"], json!(wf().as_str()));
    let explain_json = serde_json::to_value(&explained).unwrap();
    assert_eq!(explain_json["key"], json!("API_KEY"), "{explain_json}");
    assert!(
        explain_json["outcome"].get("supplied").is_some(),
        "{explain_json}"
    );

    for (name, json) in [
        ("import", &import_json),
        ("rewrap", &rewrap_json),
        ("events", &event_json),
        ("explain", &explain_json),
    ] {
        let text = json.to_string();
        assert!(
            !text.contains("serialized-value") && !text.contains("plain-other"),
            "{name}: {text}"
        );
    }
}
