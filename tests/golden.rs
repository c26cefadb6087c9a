#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Known-answer vectors that freeze the sealed byte format (version 1).
//!
//! `tests/data/sealed_v1.json` holds records sealed by a fixed key-encryption key
//! (id 7, bytes 0x00..=0x1f). Every later release must open them as they are:
//! never regenerate them to make a failing test pass. They were made with
//!
//! ```text
//! WORKFLOW_SECRETS_REGEN_GOLDEN=1 cargo test --test golden
//! ```
//!
//! which only a deliberate new format version (a new file beside this one) needs.

use serde::{Deserialize, Serialize};
use workflow_secrets::{
    LocalKeyring, Scope, SecretKey, SecretValue, UserId, Vault, WorkflowId, WorkspaceId,
    crypto::{KeyId, SealedSecret, Zeroizing},
};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sealed_v1.json");
const KEK_ID: u32 = 7;

#[derive(Serialize, Deserialize)]
struct Golden {
    about: String,
    kek_id: u32,
    kek_hex: String,
    vectors: Vec<Vector>,
}

#[derive(Serialize, Deserialize)]
struct Vector {
    name: String,
    /// `workflow`, `workspace` or `personal`: spelled out here rather than through
    /// `Scope`'s serde form, so the vectors depend on nothing but the sealed format.
    scope_kind: String,
    workspace: String,
    /// The workflow id (workflow scope) or the user id (personal scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    second_id: Option<String>,
    key: String,
    version: u64,
    value: String,
    sealed_hex: String,
}

fn regenerating() -> bool {
    std::env::var_os("WORKFLOW_SECRETS_REGEN_GOLDEN").is_some_and(|v| v == "1")
}

fn kek_bytes() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

fn vault() -> Vault {
    Vault::new(LocalKeyring::from_key(
        KeyId::from(KEK_ID),
        Zeroizing::new(kek_bytes()),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn cases() -> Vec<(&'static str, Scope, &'static str, u64, &'static str)> {
    let acme = WorkspaceId::new("acme").unwrap();
    vec![
        (
            "workflow scope, ascii value",
            Scope::workflow(acme.clone(), WorkflowId::new("wf-42").unwrap()),
            "OPENAI_API_KEY",
            1,
            "sk-live-0123456789abcdef",
        ),
        (
            "workspace scope, empty value",
            Scope::workspace(acme.clone()),
            "EMPTY",
            3,
            "",
        ),
        (
            "personal scope, multi-byte utf-8 value and ids",
            Scope::personal(
                WorkspaceId::new("société-東京").unwrap(),
                UserId::new("ada@example.com").unwrap(),
            ),
            "PASSWORD_2",
            0x0102_0304_0506_0708,
            "пароль 🔑 東京\nline two",
        ),
        (
            "workspace scope, large version",
            Scope::workspace(acme),
            "_",
            u64::MAX,
            "x",
        ),
    ]
}

#[test]
fn regenerate_golden_vectors() {
    if !regenerating() {
        return;
    }
    let vault = vault();
    let vectors = cases()
        .into_iter()
        .map(|(name, scope, key, version, text)| {
            let key = SecretKey::new(key).unwrap();
            let sealed = vault
                .seal(&scope, &key, version, &SecretValue::new(text).unwrap())
                .unwrap();
            let (kind, second_id) = match &scope {
                Scope::Workflow { workflow, .. } => ("workflow", Some(workflow.to_string())),
                Scope::Workspace { .. } => ("workspace", None),
                Scope::Personal { user, .. } => ("personal", Some(user.to_string())),
            };
            Vector {
                name: name.into(),
                scope_kind: kind.into(),
                workspace: scope.workspace_id().to_string(),
                second_id,
                key: key.as_str().into(),
                version,
                value: text.into(),
                sealed_hex: hex(&sealed.to_bytes()),
            }
        })
        .collect();
    let golden = Golden {
        about: "workflow-secrets sealed records, format version 1; frozen: never regenerate".into(),
        kek_id: KEK_ID,
        kek_hex: hex(&kek_bytes()),
        vectors,
    };
    let mut json = serde_json::to_string_pretty(&golden).unwrap();
    json.push('\n');
    std::fs::write(PATH, json).unwrap();
}

impl Vector {
    fn scope(&self) -> Scope {
        let workspace = WorkspaceId::new(self.workspace.as_str()).unwrap();
        let second = || self.second_id.clone().unwrap();
        match self.scope_kind.as_str() {
            "workflow" => Scope::workflow(workspace, WorkflowId::new(second()).unwrap()),
            "workspace" => Scope::workspace(workspace),
            "personal" => Scope::personal(workspace, UserId::new(second()).unwrap()),
            other => panic!("unknown scope kind {other}"),
        }
    }
}

#[test]
fn golden_vectors_open() {
    if regenerating() {
        return; // the file is being rewritten by the test beside this one
    }
    let golden: Golden = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(golden.kek_id, KEK_ID);
    assert_eq!(golden.kek_hex, hex(&kek_bytes()));
    assert_eq!(golden.vectors.len(), cases().len());
    let vault = vault();
    for v in &golden.vectors {
        let bytes = unhex(&v.sealed_hex);
        // The frozen header: magic, version 1, KEK id 7, a 60-byte wrapped key.
        assert_eq!(
            &bytes[..11],
            b"WSEC\x01\x00\x00\x00\x07\x00\x3c",
            "{}",
            v.name
        );
        assert_eq!(bytes.len(), 11 + 60 + 12 + v.value.len() + 16, "{}", v.name);
        let sealed = SealedSecret::from_bytes(&bytes).unwrap();
        assert_eq!(sealed.key_id(), KeyId::from(KEK_ID));
        let (scope, key) = (v.scope(), SecretKey::new(v.key.as_str()).unwrap());
        let opened = vault.unseal(&scope, &key, v.version, &sealed).unwrap();
        assert_eq!(opened.expose_secret(), v.value, "{}", v.name);
        assert_eq!(
            sealed.to_bytes(),
            bytes,
            "{}: bytes survive a round trip",
            v.name
        );
        // And still bound: the next version does not open it.
        let next = v.version.wrapping_add(1);
        assert_eq!(
            vault
                .unseal(&scope, &key, next, &sealed)
                .unwrap_err()
                .code(),
            "tampered"
        );
    }
}
