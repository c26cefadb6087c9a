//! Every `Secrets` call records exactly one audit event: on success, on a permission
//! refusal, and on a store failure after the permission check, with the actor, whether
//! they are external, and the outcome's error code.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::*;

/// What the store fails, once set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    None,
    Reads,
    Writes,
}

/// A store over the world's that fails every read or every write on demand: an outage
/// that starts after the call's permission check (which reads nothing but the actor).
struct Failing {
    inner: Arc<MemoryStore>,
    failure: Mutex<Failure>,
}

fn outage() -> StoreError {
    StoreError::backend(std::io::Error::other("the database is down"))
}

impl Failing {
    fn fails(&self, what: Failure) -> bool {
        *self.failure.lock().unwrap() == what
    }
}

impl SecretStore for Failing {
    async fn get(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Option<StoredSecret>, StoreError> {
        if self.fails(Failure::Reads) {
            return Err(outage());
        }
        self.inner.get(scope, key).await
    }
    async fn list(&self, scope: &Scope) -> Result<Vec<SecretMeta>, StoreError> {
        if self.fails(Failure::Reads) {
            return Err(outage());
        }
        self.inner.list(scope).await
    }
    async fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        if self.fails(Failure::Writes) {
            return Err(outage());
        }
        self.inner.write(batch).await
    }
    async fn scopes(&self, workspace: &WorkspaceId) -> Result<Vec<Scope>, StoreError> {
        if self.fails(Failure::Reads) {
            return Err(outage());
        }
        self.inner.scopes(workspace).await
    }
    async fn versions(
        &self,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<KeptVersion>, StoreError> {
        if self.fails(Failure::Reads) {
            return Err(outage());
        }
        self.inner.versions(scope, key).await
    }
    async fn record_usage(&self, marks: &[UsageMark]) -> Result<(), StoreError> {
        if self.fails(Failure::Writes) {
            return Err(outage());
        }
        self.inner.record_usage(marks).await
    }
    async fn usage(&self, scope: &Scope, key: &SecretKey) -> Result<Vec<Usage>, StoreError> {
        if self.fails(Failure::Reads) {
            return Err(outage());
        }
        self.inner.usage(scope, key).await
    }
}

/// One `Secrets` method, called by `actor`.
type Call = fn(&Secrets<Failing>, &Actor) -> Result<(), Error>;

/// How a case's call ends.
#[derive(Clone, Copy, Debug)]
enum Ends {
    /// Goes through (`Ok` outcome).
    Success,
    /// Refused by the permission rules (`Denied`, `permission_denied`).
    Refused,
    /// The store fails reads, or writes, after the check.
    StoreFails(Failure),
}

/// Every method: its name, its kind, the call, who may make it, who may not, and what
/// each failure mode yields (`None`: the call does not touch that half of the store).
struct Method {
    name: &'static str,
    kind: AuditKind,
    call: Call,
    allowed: &'static str,
    refused: &'static str,
    reads: Option<ErrorCode>,
    writes: Option<ErrorCode>,
}

fn methods() -> Vec<Method> {
    let store = Some(ErrorCode::Store);
    vec![
        Method {
            name: "create",
            kind: AuditKind::Created,
            call: |s, a| {
                block_on(s.create(a, &workspace_scope(), &key("NEW"), value("n-1234"))).map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: None,
            writes: store,
        },
        Method {
            name: "rotate",
            kind: AuditKind::Rotated,
            call: |s, a| {
                block_on(s.rotate(a, &workspace_scope(), &key("API_KEY"), value("v-2345")))
                    .map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "put, existing key",
            kind: AuditKind::Rotated,
            call: |s, a| {
                block_on(s.put(a, &workspace_scope(), &key("API_KEY"), value("p-3456"))).map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "set_details",
            kind: AuditKind::DetailsChanged,
            call: |s, a| {
                let details = SecretDetails {
                    display_name: Some("Production".into()),
                    ..Default::default()
                };
                block_on(s.set_details(a, &workspace_scope(), &key("API_KEY"), details)).map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "delete",
            kind: AuditKind::Deleted,
            call: |s, a| block_on(s.delete(a, &workspace_scope(), &key("API_KEY"))),
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "list",
            kind: AuditKind::Listed,
            call: |s, a| block_on(s.list(a, &personal("ada"))).map(|_| ()),
            allowed: "ada",
            refused: "admin",
            reads: store,
            writes: None,
        },
        Method {
            name: "rotation_due",
            kind: AuditKind::Listed,
            call: |s, a| {
                let age = std::time::Duration::from_secs(3600);
                block_on(s.rotation_due(a, &personal("ada"), age)).map(|_| ())
            },
            allowed: "ada",
            refused: "admin",
            reads: store,
            writes: None,
        },
        Method {
            name: "verify",
            kind: AuditKind::Verified,
            call: |s, a| {
                let guess = SecretValue::new("a-guess-12345").unwrap();
                block_on(s.verify(a, &workspace_scope(), &key("API_KEY"), &guess)).map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: None,
        },
        Method {
            name: "versions",
            kind: AuditKind::Listed,
            call: |s, a| block_on(s.versions(a, &personal("ada"), &key("MINE"))).map(|_| ()),
            allowed: "ada",
            refused: "admin",
            reads: store,
            writes: None,
        },
        Method {
            name: "usage",
            kind: AuditKind::Listed,
            call: |s, a| block_on(s.usage(a, &personal("ada"), &key("MINE"))).map(|_| ()),
            allowed: "ada",
            refused: "admin",
            reads: store,
            writes: None,
        },
        Method {
            name: "restore",
            kind: AuditKind::Restored,
            call: |s, a| block_on(s.restore(a, &workspace_scope(), &key("API_KEY"), 1)).map(|_| ()),
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "rename",
            kind: AuditKind::Renamed,
            call: |s, a| {
                block_on(s.rename(a, &workspace_scope(), &key("API_KEY"), &key("RENAMED")))
                    .map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "delete_checked",
            kind: AuditKind::Deleted,
            call: |s, a| {
                let check = DeleteCheck::used_within(std::time::Duration::from_secs(3600));
                block_on(s.delete_checked(a, &workspace_scope(), &key("API_KEY"), &check))
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "rename_checked",
            kind: AuditKind::Renamed,
            call: |s, a| {
                let check = DeleteCheck::used_within(std::time::Duration::from_secs(3600));
                let (from, to) = (key("API_KEY"), key("RENAMED"));
                block_on(s.rename_checked(a, &workspace_scope(), &from, &to, &check)).map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "meta",
            kind: AuditKind::Listed,
            call: |s, a| block_on(s.meta(a, &personal("ada"), &key("MINE"))).map(|_| ()),
            allowed: "ada",
            refused: "admin",
            reads: store,
            writes: None,
        },
        Method {
            name: "import_env",
            kind: AuditKind::Imported,
            call: |s, a| {
                let text = "API_KEY=imported-1\nNEW=imported-2\n";
                block_on(s.import_env(a, &workspace_scope(), text, ImportMode::Upsert)).map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "preview_env",
            kind: AuditKind::ImportPreviewed,
            call: |s, a| {
                let text = "API_KEY=imported-1\nNEW=imported-2\n";
                block_on(s.preview_env(a, &workspace_scope(), text, ImportMode::Upsert)).map(|_| ())
            },
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: None,
        },
        Method {
            name: "rewrap_all",
            kind: AuditKind::Rewrapped,
            call: |s, a| block_on(s.rewrap_all(a, &workspace_scope())).map(|_| ()),
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "purge",
            kind: AuditKind::Purged,
            call: |s, a| block_on(s.purge(a, &personal("ada"))).map(|_| ()),
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: store,
        },
        Method {
            name: "workspace_redactor",
            kind: AuditKind::WorkspaceRedactor,
            call: |s, a| block_on(s.workspace_redactor(a)).map(|_| ()),
            allowed: "admin",
            refused: "vic",
            reads: store,
            writes: None,
        },
    ]
}

/// The actor called `name`: `admin` is a workspace admin, anyone else a viewer.
fn actor(name: &str, external: bool) -> Actor {
    let role = if name == "admin" {
        WorkspaceRole::Admin
    } else {
        WorkspaceRole::Viewer
    };
    let mut actor = Actor::new(user(name), ws(), role);
    actor.external = external;
    actor
}

/// A world holding a workspace secret and ada's personal one, its key-encryption key
/// rotated (so `rewrap_all` writes), and an audited `Secrets` over a failing store.
fn world(failure: Failure) -> (Secrets<Failing>, MemoryAuditSink) {
    let w = World::new();
    w.put(&workspace_scope(), "API_KEY", "workspace-value-1234");
    w.put(&personal("ada"), "MINE", "ada-personal-5678");
    w.keyring
        .add_key(KeyId::from(2), Zeroizing::new([7u8; 32]))
        .unwrap();
    w.keyring.set_active(KeyId::from(2)).unwrap();
    let audit = MemoryAuditSink::new();
    let store = Failing {
        inner: w.store.clone(),
        failure: Mutex::new(failure),
    };
    let secrets = Secrets::new(w.vault.clone(), store).with_audit(audit.clone());
    (secrets, audit)
}

#[test]
fn every_call_records_exactly_one_event_whatever_its_end() {
    let ends = [
        Ends::Success,
        Ends::Refused,
        Ends::StoreFails(Failure::Reads),
        Ends::StoreFails(Failure::Writes),
    ];
    let mut checked = BTreeMap::new();
    for method in methods() {
        for end in ends {
            for external in [false, true] {
                let case = format!("{} / {end:?} / external: {external}", method.name);
                let (who, failure, want_kind, want) = match end {
                    Ends::Success => (method.allowed, Failure::None, method.kind, Ok(())),
                    Ends::Refused => (
                        method.refused,
                        Failure::None,
                        AuditKind::Denied,
                        Err(ErrorCode::PermissionDenied),
                    ),
                    Ends::StoreFails(failure) => {
                        let code = match failure {
                            Failure::Reads => method.reads,
                            _ => method.writes,
                        };
                        (
                            method.allowed,
                            failure,
                            method.kind,
                            code.map_or(Ok(()), Err),
                        )
                    }
                };
                let (secrets, audit) = world(failure);
                let actor = actor(who, external);
                let result = (method.call)(&secrets, &actor);
                assert_eq!(
                    result.as_ref().err().map(|e| e.kind()),
                    want.err(),
                    "{case}: the call's own result"
                );
                let events = audit.take();
                assert_eq!(events.len(), 1, "{case}: exactly one event: {events:?}");
                let event = &events[0];
                assert_eq!(event.kind, want_kind, "{case}: kind");
                assert_eq!(event.actor, Some(actor.user.clone()), "{case}: actor");
                assert_eq!(event.actor_external, external, "{case}: external flag");
                assert_eq!(event.workspace, ws(), "{case}: workspace");
                assert_eq!(event.outcome, want, "{case}: outcome");
                *checked.entry(method.name).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(checked.len(), 20, "every method of Secrets is in the table");
}

/// An input error found before the store is read (a `.env` syntax problem) is
/// recorded too, under the call's own kind, for both the import and its preview.
#[test]
fn an_import_refused_for_its_text_is_recorded() {
    for (name, write) in [("import_env", true), ("preview_env", false)] {
        let (secrets, audit) = world(Failure::None);
        let text = "API_KEY=ok\nnot a line\n";
        let scope = workspace_scope();
        let result = if write {
            block_on(secrets.import_env(&admin(), &scope, text, ImportMode::Upsert))
        } else {
            block_on(secrets.preview_env(&admin(), &scope, text, ImportMode::Upsert))
        };
        assert_eq!(result.unwrap_err().code(), "import_syntax", "{name}");
        let events = audit.take();
        assert_eq!(events.len(), 1, "{name}");
        let kind = if write {
            AuditKind::Imported
        } else {
            AuditKind::ImportPreviewed
        };
        assert_eq!(events[0].kind, kind, "{name}");
        assert_eq!(events[0].outcome, Err(ErrorCode::ImportSyntax), "{name}");
    }
}

/// Auditing holds nothing across an await that would keep a call's future from being
/// spawned on a multi-threaded runtime.
#[test]
fn every_calls_future_is_send() {
    fn send<F: std::future::Future + Send>(_: F) {}
    let (s, _) = world(Failure::None);
    let (a, scope, k) = (admin(), workspace_scope(), key("API_KEY"));
    send(s.create(&a, &scope, &k, value("n-1234")));
    send(s.rotate(&a, &scope, &k, value("n-1234")));
    send(s.put(&a, &scope, &k, value("n-1234")));
    send(s.meta(&a, &scope, &k));
    send(s.set_details(&a, &scope, &k, SecretDetails::default()));
    send(s.delete(&a, &scope, &k));
    send(s.list(&a, &scope));
    send(s.import_env(&a, &scope, "A=b", ImportMode::Upsert));
    send(s.preview_env(&a, &scope, "A=b", ImportMode::Upsert));
    send(s.rewrap_all(&a, &scope));
    send(s.purge(&a, &scope));
    send(s.workspace_redactor(&a));
}
