#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! Known-answer vectors that freeze the sealed byte formats (versions 1 and 2).
//!
//! `tests/data/sealed_v1.json` and `tests/data/sealed_v2.json` hold records sealed
//! by a fixed key-encryption key (id 7, bytes 0x00..=0x1f). Every later release
//! must open them as they are: never regenerate them to make a failing test pass.
//! Version 1 was written by releases before kept versions and is frozen for good;
//! version 2 (which binds the record's role, current or kept version) was made with
//!
//! ```text
//! WORKFLOW_SECRETS_REGEN_GOLDEN=1 cargo test --test golden
//! ```
//!
//! which writes only the newest format's file, and only a deliberate new format
//! version (a new file beside these) needs.

use serde::{Deserialize, Serialize};
use workflow_secrets::{
    LocalKeyring, Scope, SecretKey, SecretValue, UserId, Vault, WorkflowId, WorkspaceId,
    crypto::{KeyId, RecordRole, SealedSecret, Zeroizing},
};

const PATH_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sealed_v1.json");
const PATH_V2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sealed_v2.json");
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
    /// Format 2: `current` or `history`, the slot the record was sealed for.
    /// Absent in format 1, whose records are current values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
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
    let roles = [
        ("current", RecordRole::Current),
        ("history", RecordRole::History),
    ];
    let vectors = roles
        .into_iter()
        .flat_map(|role| cases().into_iter().map(move |case| (role, case)))
        .map(|((role_name, role), (name, scope, key, version, text))| {
            let key = SecretKey::new(key).unwrap();
            let sealed = vault
                .seal_for(
                    role,
                    &scope,
                    &key,
                    version,
                    &SecretValue::new(text).unwrap(),
                )
                .unwrap();
            let (kind, second_id) = match &scope {
                Scope::Workflow { workflow, .. } => ("workflow", Some(workflow.to_string())),
                Scope::Workspace { .. } => ("workspace", None),
                Scope::Personal { user, .. } => ("personal", Some(user.to_string())),
            };
            Vector {
                name: format!("{name}, {role_name}"),
                scope_kind: kind.into(),
                workspace: scope.workspace_id().to_string(),
                second_id,
                key: key.as_str().into(),
                version,
                role: Some(role_name.into()),
                value: text.into(),
                sealed_hex: hex(&sealed.to_bytes()),
            }
        })
        .collect();
    let golden = Golden {
        about: "workflow-secrets sealed records, format version 2; frozen: never regenerate".into(),
        kek_id: KEK_ID,
        kek_hex: hex(&kek_bytes()),
        vectors,
    };
    let mut json = serde_json::to_string_pretty(&golden).unwrap();
    json.push('\n');
    std::fs::write(PATH_V2, json).unwrap();
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

fn read(path: &str) -> Golden {
    let golden: Golden = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(golden.kek_id, KEK_ID);
    assert_eq!(golden.kek_hex, hex(&kek_bytes()));
    golden
}

/// Opens `v` as the record of its scope, key and version in `role`, checking its
/// frozen header (magic, `format`, KEK id 7, a 60-byte wrapped key) and length.
fn open_vector(vault: &Vault, v: &Vector, format: u8, role: RecordRole) -> Result<String, String> {
    let bytes = unhex(&v.sealed_hex);
    let mut header = *b"WSEC\x00\x00\x00\x00\x07\x00\x3c";
    header[4] = format;
    assert_eq!(&bytes[..11], &header, "{}", v.name);
    assert_eq!(bytes.len(), 11 + 60 + 12 + v.value.len() + 16, "{}", v.name);
    let sealed = SealedSecret::from_bytes(&bytes).unwrap();
    assert_eq!(sealed.key_id(), KeyId::from(KEK_ID));
    assert_eq!(
        sealed.to_bytes(),
        bytes,
        "{}: bytes survive a round trip",
        v.name
    );
    let (scope, key) = (v.scope(), SecretKey::new(v.key.as_str()).unwrap());
    // And still bound: the next version does not open it.
    let next = v.version.wrapping_add(1);
    let refused = vault
        .unseal_for(role, &scope, &key, next, &sealed)
        .unwrap_err();
    assert_eq!(refused.code(), "tampered", "{}", v.name);
    vault
        .unseal_for(role, &scope, &key, v.version, &sealed)
        .map(|value| value.expose_secret().to_owned())
        .map_err(|err| err.code().to_string())
}

#[test]
fn golden_vectors_open() {
    if regenerating() {
        return; // the file is being rewritten by the test beside this one
    }
    let golden = read(PATH_V1);
    assert_eq!(golden.vectors.len(), cases().len());
    let vault = vault();
    for v in &golden.vectors {
        assert!(v.role.is_none(), "format 1 has no role");
        let current = open_vector(&vault, v, 0x01, RecordRole::Current);
        assert_eq!(current.as_deref(), Ok(v.value.as_str()), "{}", v.name);
        // Written before versions were kept: never a kept version.
        let as_kept = open_vector(&vault, v, 0x01, RecordRole::History);
        assert_eq!(as_kept, Err("tampered".to_string()), "{}", v.name);
    }
}

#[test]
fn golden_v2_vectors_open_in_their_role_only() {
    if regenerating() {
        return; // the file is being rewritten by the test beside this one
    }
    let golden = read(PATH_V2);
    assert_eq!(golden.vectors.len(), 2 * cases().len());
    let vault = vault();
    for v in &golden.vectors {
        let (role, other) = match v.role.as_deref() {
            Some("current") => (RecordRole::Current, RecordRole::History),
            Some("history") => (RecordRole::History, RecordRole::Current),
            other => panic!("{}: unknown role {other:?}", v.name),
        };
        let opened = open_vector(&vault, v, 0x02, role);
        assert_eq!(opened.as_deref(), Ok(v.value.as_str()), "{}", v.name);
        let moved = open_vector(&vault, v, 0x02, other);
        assert_eq!(
            moved,
            Err("tampered".to_string()),
            "{}: in the other slot",
            v.name
        );
    }
}
