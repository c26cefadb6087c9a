#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Every error maps to an HTTP status and a message safe for an API client: the
//! table of `ErrorCode::http_status`, row by row, and no store's or key backend's
//! own message in what a client sees.

mod common;

use common::*;

#[test]
fn every_code_has_its_documented_status() {
    let table: &[(&str, u16)] = &[
        ("invalid_key", 400),
        ("invalid_id", 400),
        ("value_too_large", 413),
        ("not_found", 404),
        ("already_exists", 409),
        ("conflict", 409),
        ("permission_denied", 403),
        ("missing_credential", 422),
        ("tampered", 500),
        ("unknown_key_id", 500),
        ("key_backend", 503),
        ("key_in_use", 500),
        ("secret_in_use", 409),
        ("invalid_batch", 500),
        ("store", 503),
        ("import_syntax", 422),
        ("template_syntax", 422),
        ("option_unavailable", 422),
        ("invalid_details", 400),
    ];
    assert_eq!(table.len(), ErrorCode::ALL.len(), "every kind has a row");
    for code in ErrorCode::ALL {
        let want = table
            .iter()
            .find(|(name, _)| *name == code.as_str())
            .unwrap_or_else(|| panic!("{code} has no row"));
        assert_eq!(code.http_status(), want.1, "{code}");
    }
}

#[test]
fn a_backends_own_message_never_reaches_the_client() {
    let leak = "connect to db-prod-7.internal:5432 as app password=hunter2 failed";
    let errors = [
        Error::from(StoreError::backend(std::io::Error::other(leak))),
        Error::KeyBackend {
            source: leak.into(),
        },
    ];
    for err in errors {
        assert!(
            err.to_string().contains("hunter2"),
            "the server-side text keeps it"
        );
        let shown = err.client_message();
        assert!(
            !shown.contains("hunter2") && !shown.contains("db-prod"),
            "{shown}"
        );
        assert_eq!(err.http_status(), 503, "{shown}");
        assert!(err.is_retryable());
    }
}

#[test]
fn what_the_client_sent_is_explained_to_it() {
    let w = World::new();
    let cases: Vec<(Error, u16)> = vec![
        (SecretKey::new("bad key").unwrap_err(), 400),
        (
            block_on(w.secrets.rotate(
                &admin(),
                &workspace_scope(),
                &key("NOPE"),
                value("v-12345678"),
            ))
            .unwrap_err(),
            404,
        ),
        (Template::parse("{{ unclosed").unwrap_err(), 422),
        (
            block_on(w.secrets.create(
                &member("vic", WorkspaceRole::Viewer),
                &workspace_scope(),
                &key("K"),
                value("v-12345678"),
            ))
            .unwrap_err(),
            403,
        ),
    ];
    for (err, status) in cases {
        assert_eq!(err.http_status(), status, "{err}");
        assert_eq!(
            err.client_message(),
            err.to_string(),
            "shown as it is: {err}"
        );
    }
    // A record that fails to open is the service's fault: a fixed sentence.
    w.put(&workspace_scope(), "API_KEY", "value-for-tamper");
    let other = Vault::new(LocalKeyring::generate());
    let foreign = Resolver::new(other, w.store.clone());
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let err = block_on(foreign.resolve(&ctx, &key("API_KEY"))).unwrap_err();
    assert_eq!(err.http_status(), 500);
    assert!(
        !err.client_message().contains("API_KEY"),
        "{}",
        err.client_message()
    );
}
