#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! `Secrets::verify`: compare a candidate with a stored value without revealing it.
//! Who may (exactly those who may rotate), what it answers, and what it records.

mod common;

use std::collections::BTreeMap;

use common::*;
use pollster::block_on;
use workflow_secrets::audit::AuditKind;
use workflow_secrets::{Actor, SecretDetails, SecretKey, SecretRole, SecretValue, WorkspaceRole};

fn key(name: &str) -> SecretKey {
    SecretKey::new(name).unwrap()
}

const STORED: &str = "sk-live-stored-0123456789";

/// One named case: who asks, about which scope, with which candidate, and the answer
/// (`Ok(matched)` or the error code).
struct Case {
    name: &'static str,
    actor: fn() -> Actor,
    personal: bool,
    candidate: &'static str,
    want: Result<bool, &'static str>,
}

fn sam() -> Actor {
    member("sam", WorkspaceRole::Editor) // the secret's own SecretRole::Admin
}
fn mia() -> Actor {
    member("mia", WorkspaceRole::Editor) // the secret's SecretRole::Member
}
fn eve() -> Actor {
    member("eve", WorkspaceRole::Editor)
}
fn owner() -> Actor {
    member("pat", WorkspaceRole::Runner)
}
fn other_workspace_admin() -> Actor {
    Actor::new(
        user("ada"),
        workflow_secrets::WorkspaceId::new("elsewhere").unwrap(),
        WorkspaceRole::Admin,
    )
}

const CASES: &[Case] = &[
    Case {
        name: "admin, same value",
        actor: admin,
        personal: false,
        candidate: STORED,
        want: Ok(true),
    },
    Case {
        name: "admin, other value",
        actor: admin,
        personal: false,
        candidate: "sk-live-stored-0123456780",
        want: Ok(false),
    },
    Case {
        name: "admin, a prefix",
        actor: admin,
        personal: false,
        candidate: "sk-live-stored",
        want: Ok(false),
    },
    Case {
        name: "admin, longer",
        actor: admin,
        personal: false,
        candidate: "sk-live-stored-0123456789x",
        want: Ok(false),
    },
    Case {
        name: "per-secret admin may rotate, so may verify",
        actor: sam,
        personal: false,
        candidate: STORED,
        want: Ok(true),
    },
    Case {
        name: "per-secret member may not rotate",
        actor: mia,
        personal: false,
        candidate: STORED,
        want: Err("permission_denied"),
    },
    Case {
        name: "editor may not rotate",
        actor: eve,
        personal: false,
        candidate: STORED,
        want: Err("permission_denied"),
    },
    Case {
        name: "another workspace",
        actor: other_workspace_admin,
        personal: false,
        candidate: STORED,
        want: Err("permission_denied"),
    },
    Case {
        name: "personal: its owner",
        actor: owner,
        personal: true,
        candidate: STORED,
        want: Ok(true),
    },
    Case {
        name: "personal: its owner, wrong",
        actor: owner,
        personal: true,
        candidate: "nope-nope-nope",
        want: Ok(false),
    },
    Case {
        name: "personal: a workspace admin is not its owner",
        actor: admin,
        personal: true,
        candidate: STORED,
        want: Err("permission_denied"),
    },
];

#[test]
fn who_may_verify_and_what_it_answers() {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", STORED);
    w.put(&personal("pat"), "API_KEY", STORED);
    let details = SecretDetails {
        members: BTreeMap::from([
            (user("sam"), SecretRole::Admin),
            (user("mia"), SecretRole::Member),
        ]),
        ..Default::default()
    };
    block_on(
        w.secrets
            .set_details(&admin(), &workspace_scope(), &key("API_KEY"), details),
    )
    .unwrap();
    let mut failures = Vec::new();
    for case in CASES {
        let scope = if case.personal {
            personal("pat")
        } else {
            workspace_scope()
        };
        let candidate = SecretValue::new(case.candidate).unwrap();
        let got = block_on(
            w.secrets
                .verify(&(case.actor)(), &scope, &key("API_KEY"), &candidate),
        )
        .map_err(|e| e.code());
        if got != case.want {
            failures.push(format!("{}: got {got:?}, want {:?}", case.name, case.want));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_missing_secret_is_not_found() {
    let w = World::new();
    let err = block_on(w.secrets.verify(
        &admin(),
        &workspace_scope(),
        &key("NONE"),
        &value("x-candidate"),
    ))
    .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[test]
fn it_checks_the_current_version_after_a_rotation() {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", STORED);
    w.rotate(&workspace_scope(), "API_KEY", "sk-live-rotated-99999999");
    let check = |c: &str| {
        block_on(
            w.secrets
                .verify(&admin(), &workspace_scope(), &key("API_KEY"), &value(c)),
        )
        .unwrap()
    };
    assert!(!check(STORED));
    assert!(check("sk-live-rotated-99999999"));
}

#[test]
fn each_call_is_audited_once_without_the_candidate_or_the_answer() {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", STORED);
    w.audit.take();
    let guess = "sk-live-guess-4444444444";
    for candidate in [STORED, guess] {
        block_on(w.secrets.verify(
            &admin(),
            &workspace_scope(),
            &key("API_KEY"),
            &value(candidate),
        ))
        .unwrap();
    }
    let _ = block_on(
        w.secrets
            .verify(&eve(), &workspace_scope(), &key("API_KEY"), &value(guess)),
    );
    let events = w.audit.take();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0].kind, AuditKind::Verified);
    assert_eq!(events[0].version, Some(1));
    // A match and a miss are recorded alike: the log is no oracle either.
    assert_eq!(
        (events[0].kind, events[0].keys.clone(), events[0].outcome),
        (events[1].kind, events[1].keys.clone(), events[1].outcome)
    );
    assert!(events[2].outcome.is_err(), "{:?}", events[2]);
    let text = format!("{events:?} {}", serde_json::to_string(&events).unwrap());
    for secret in [STORED, guess] {
        assert!(!text.contains(secret), "{text}");
    }
}
