//! `Secrets::import_env` and `preview_env`: checked first, all-or-nothing, quiet.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use common::*;

const MARKER: &str = "sk-live-IMPORT-MARKER-31337";

fn keys_of(list: &[SecretKey]) -> Vec<&str> {
    list.iter().map(SecretKey::as_str).collect()
}

fn stored(w: &World) -> Vec<(String, u64)> {
    block_on(w.store.list(&workspace_scope()))
        .unwrap()
        .into_iter()
        .map(|m| (m.key.to_string(), m.version))
        .collect()
}

#[test]
fn another_workspace_is_refused_before_parsing() {
    let w = World::new();
    let intruder = Actor::new(
        user("admin"),
        WorkspaceId::new("evil").unwrap(),
        WorkspaceRole::Admin,
    );
    for text in ["A=1", "this is not env text\nB=\"open"] {
        for mode in [
            ImportMode::Upsert,
            ImportMode::CreateOnly,
            ImportMode::SkipExisting,
        ] {
            let err = block_on(
                w.secrets
                    .import_env(&intruder, &workspace_scope(), text, mode),
            )
            .unwrap_err();
            assert_eq!(err.code(), "permission_denied");
            let err = block_on(
                w.secrets
                    .preview_env(&intruder, &workspace_scope(), text, mode),
            )
            .unwrap_err();
            assert_eq!(err.code(), "permission_denied");
        }
    }
    let editor = member("ed", WorkspaceRole::Editor);
    let err =
        block_on(
            w.secrets
                .import_env(&editor, &workspace_scope(), "A=1", ImportMode::Upsert),
        )
        .unwrap_err();
    assert_eq!(err.code(), "permission_denied");
}

#[test]
fn one_bad_line_stores_nothing() {
    let w = World::new();
    let text = format!("GOOD_1={MARKER}\nnot a statement\nGOOD_2=fine\n");
    let err =
        block_on(
            w.secrets
                .import_env(&admin(), &workspace_scope(), &text, ImportMode::Upsert),
        )
        .unwrap_err();
    assert_eq!(err.code(), "import_syntax");
    assert!(!err.to_string().contains(MARKER));
    assert!(stored(&w).is_empty());
}

#[test]
fn create_only_with_an_existing_key_stores_nothing_and_names_the_keys() {
    let w = World::new();
    w.put(&workspace_scope(), "EXISTING", "old-value");
    let text = format!("NEW_ONE={MARKER}\nEXISTING=new-value\n");
    let err =
        block_on(
            w.secrets
                .import_env(&admin(), &workspace_scope(), &text, ImportMode::CreateOnly),
        )
        .unwrap_err();
    assert_eq!(err.code(), "already_exists");
    assert!(err.to_string().contains("EXISTING"), "{err}");
    assert!(!err.to_string().contains(MARKER));
    assert_eq!(stored(&w), [("EXISTING".to_owned(), 1)]);
}

#[test]
fn upsert_creates_and_rotates_in_one_batch() {
    let w = World::new();
    w.put(&workspace_scope(), "EXISTING", "old-value");
    let text = "export NEW_ONE='first'\nEXISTING=\"second\" # rotated\nNEW_ONE=third\n";
    let preview =
        block_on(
            w.secrets
                .preview_env(&admin(), &workspace_scope(), text, ImportMode::Upsert),
        )
        .unwrap();
    assert_eq!(
        stored(&w),
        [("EXISTING".to_owned(), 1)],
        "a preview writes nothing"
    );
    let report =
        block_on(
            w.secrets
                .import_env(&admin(), &workspace_scope(), text, ImportMode::Upsert),
        )
        .unwrap();
    assert_eq!(report, preview, "the preview is the import's report");
    assert_eq!(keys_of(&report.created), ["NEW_ONE"]);
    assert_eq!(keys_of(&report.updated), ["EXISTING"]);
    assert_eq!(
        report.warnings.len(),
        1,
        "the duplicate NEW_ONE is reported"
    );
    assert_eq!(
        stored(&w),
        [("EXISTING".to_owned(), 2), ("NEW_ONE".to_owned(), 1)]
    );
    let ctx = RunContext::manual(ws(), wf(), user("o"), user("o"));
    let value = |k: &str| {
        block_on(w.resolver.resolve(&ctx, &key(k)))
            .unwrap()
            .value
            .expose_secret()
            .to_owned()
    };
    assert_eq!(value("NEW_ONE"), "third");
    assert_eq!(value("EXISTING"), "second");
}

#[test]
fn skip_existing_leaves_existing_keys_alone() {
    let w = World::new();
    w.put(&workspace_scope(), "EXISTING", "old-value");
    let report = block_on(w.secrets.import_env(
        &admin(),
        &workspace_scope(),
        "EXISTING=x\nFRESH=y\n",
        ImportMode::SkipExisting,
    ))
    .unwrap();
    assert_eq!(keys_of(&report.skipped), ["EXISTING"]);
    assert_eq!(keys_of(&report.created), ["FRESH"]);
    assert_eq!(
        stored(&w),
        [("EXISTING".to_owned(), 1), ("FRESH".to_owned(), 1)]
    );
}

#[test]
fn personal_imports_are_the_owners_and_audited_without_values() {
    let w = World::new();
    let ada = member("ada", WorkspaceRole::Viewer);
    let text = format!("MINE={MARKER}\n");
    block_on(
        w.secrets
            .import_env(&ada, &personal("ada"), &text, ImportMode::CreateOnly),
    )
    .unwrap();
    let err = block_on(
        w.secrets
            .import_env(&admin(), &personal("ada"), &text, ImportMode::Upsert),
    )
    .unwrap_err();
    assert_eq!(err.code(), "permission_denied");
    let events = w.audit.events();
    let imported: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.kind == AuditKind::Imported)
        .collect();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].keys, [key("MINE")]);
    assert!(!format!("{events:?}").contains(MARKER));
}

/// The report carries the parser's capped warnings, not one per duplicate line: a
/// 1 MB paste of one key made a 33 MB report.
#[test]
fn report_warnings_are_capped() {
    let w = World::new();
    let text = "A=1\n".repeat(250_001);
    let report =
        block_on(
            w.secrets
                .preview_env(&admin(), &workspace_scope(), &text, ImportMode::Upsert),
        )
        .unwrap();
    assert_eq!(keys_of(&report.created), ["A"]);
    assert_eq!(report.warnings.len(), 1_001);
    assert_eq!(
        report.warnings[1_000].message,
        "too many warnings: 249000 more not listed"
    );
}
