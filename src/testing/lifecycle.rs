//! The conformance suite's end-to-end behaviour: a credential's life through
//! [`Secrets`](crate::Secrets) on the store under test.

use super::fixtures::{id, key, vault, workspace};
use crate::store::{SecretStore, VersionReason};
use crate::{Actor, SecretValue, Secrets, WorkspaceRole};

/// Create, rotate, restore, rename, save and delete through `Secrets`: each kept version
/// lists with its reason, a restore brings an old value back as a new version, a
/// rename carries the value and every kept version to the new name (the old one is
/// gone), and a delete leaves no version behind.
pub async fn a_credential_lives_through_secrets<S: SecretStore>(store: &S) {
    let secrets = Secrets::new(vault(), store);
    let ada = Actor::new(id("ada"), id("acme"), WorkspaceRole::Admin);
    let scope = workspace("acme");
    let value = |t: &str| SecretValue::new(t).expect("a value");
    let (old, new) = (key("OLD_NAME"), key("NEW_NAME"));
    let reasons = |listed: Vec<crate::store::VersionMeta>| -> Vec<(u64, VersionReason)> {
        listed.into_iter().map(|v| (v.version, v.reason)).collect()
    };
    secrets
        .create(&ada, &scope, &old, value("life-v1-aaaa"))
        .await
        .expect("create");
    secrets
        .rotate(&ada, &scope, &old, value("life-v2-bbbb"))
        .await
        .expect("rotate");
    let meta = secrets
        .restore(&ada, &scope, &old, 1)
        .await
        .expect("restore");
    assert_eq!(meta.version, 3, "lifecycle: a restore is a new version");
    assert!(
        secrets
            .verify(&ada, &scope, &old, &value("life-v1-aaaa"))
            .await
            .expect("verify"),
        "lifecycle: the restored value is current"
    );
    let listed = secrets
        .versions(&ada, &scope, &old)
        .await
        .expect("versions");
    assert_eq!(
        reasons(listed),
        [
            (3, VersionReason::Restore),
            (2, VersionReason::Rotate),
            (1, VersionReason::Create)
        ],
        "lifecycle: versions"
    );
    let meta = secrets
        .rename(&ada, &scope, &old, &new)
        .await
        .expect("rename");
    assert_eq!(
        (meta.key.as_str(), meta.version, meta.revision),
        ("NEW_NAME", 3, 1)
    );
    let gone = secrets
        .meta(&ada, &scope, &old)
        .await
        .expect_err("the old name is gone");
    assert_eq!(gone.code(), "not_found", "lifecycle: old name");
    assert!(
        store
            .versions(&scope, &old)
            .await
            .expect("versions")
            .is_empty(),
        "lifecycle: no version left under the old name"
    );
    let listed = secrets
        .versions(&ada, &scope, &new)
        .await
        .expect("versions");
    assert_eq!(
        reasons(listed).len(),
        3,
        "lifecycle: versions follow the rename"
    );
    secrets
        .restore(&ada, &scope, &new, 2)
        .await
        .expect("restore after rename");
    assert!(
        secrets
            .verify(&ada, &scope, &new, &value("life-v2-bbbb"))
            .await
            .expect("verify"),
        "lifecycle: a version kept before the rename restores under the new name"
    );
    secrets.delete(&ada, &scope, &new).await.expect("delete");
    assert!(
        store
            .versions(&scope, &new)
            .await
            .expect("versions")
            .is_empty(),
        "lifecycle: a delete leaves no version"
    );
}
