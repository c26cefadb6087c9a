//! A key backend that cannot answer is reported as `key_backend` (retryable), never
//! as `tampered`, on every path that opens a record, and audited with its typed code.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;

/// A wrapper over a local keyring whose "remote" backend can be switched off, as an
/// HSM or key service that is down or throttling.
struct Flaky {
    keyring: LocalKeyring,
    down: Arc<AtomicBool>,
}

#[derive(Debug)]
struct Unreachable;

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("key service unreachable (503)")
    }
}

impl std::error::Error for Unreachable {}

impl KeyWrapper for Flaky {
    fn active_key(&self) -> KeyId {
        self.keyring.active_key()
    }
    fn wrap(&self, id: KeyId, data_key: &[u8; 32], aad: &[u8]) -> Result<Vec<u8>, Error> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::KeyBackend {
                source: Box::new(Unreachable),
            });
        }
        self.keyring.wrap(id, data_key, aad)
    }
    fn unwrap(&self, id: KeyId, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<[u8; 32]>, Error> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::KeyBackend {
                source: Box::new(Unreachable),
            });
        }
        self.keyring.unwrap(id, wrapped, aad)
    }
}

#[test]
fn a_backend_that_is_down_reads_as_key_backend_not_as_tampering() {
    let down = Arc::new(AtomicBool::new(false));
    let vault = Vault::new(Flaky {
        keyring: LocalKeyring::generate(),
        down: down.clone(),
    });
    let store = Arc::new(MemoryStore::new());
    let audit = MemoryAuditSink::new();
    let secrets = Secrets::new(vault.clone(), store.clone()).with_audit(audit.clone());
    let resolver = Resolver::new(vault, store).with_audit(audit.clone());
    let scope = workspace_scope();
    block_on(secrets.create(&admin(), &scope, &key("K"), value("backend-value-9876"))).unwrap();

    down.store(true, Ordering::SeqCst);
    let ctx = RunContext::manual(ws(), wf(), user("admin"), user("admin"));
    let err = block_on(resolver.resolve(&ctx, &key("K"))).unwrap_err();
    assert_eq!(err.code(), "key_backend");
    assert_eq!(err.kind(), ErrorCode::KeyBackend);
    assert!(err.is_retryable());
    assert!(!err.to_string().contains("backend-value-9876"));
    let step_err = block_on(resolver.step(&ctx).credential("K")).unwrap_err();
    assert_eq!(step_err.code(), "key_backend");
    let created = block_on(secrets.create(&admin(), &scope, &key("NEW"), value("v-1234")));
    assert_eq!(created.unwrap_err().code(), "key_backend");
    let resolved = audit
        .events()
        .into_iter()
        .filter(|e| e.kind == AuditKind::Resolved)
        .map(|e| e.outcome)
        .collect::<Vec<_>>();
    assert_eq!(
        resolved,
        vec![Err(ErrorCode::KeyBackend), Err(ErrorCode::KeyBackend)]
    );

    // Back up: the same record opens; nothing was judged tampered.
    down.store(false, Ordering::SeqCst);
    let ok = block_on(resolver.resolve(&ctx, &key("K"))).unwrap();
    assert_eq!(ok.value.expose_secret(), "backend-value-9876");
}

#[test]
fn every_code_string_is_stable_and_typed() {
    // The released strings, written out: a renamed code fails here.
    let released = [
        "invalid_key",
        "invalid_id",
        "value_too_large",
        "not_found",
        "already_exists",
        "conflict",
        "permission_denied",
        "missing_credential",
        "tampered",
        "unknown_key_id",
        "key_backend",
        "key_in_use",
        "secret_in_use",
        "invalid_batch",
        "store",
        "import_syntax",
        "template_syntax",
        "option_unavailable",
        "invalid_details",
    ];
    let typed: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(typed, released);
    for code in ErrorCode::ALL {
        assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{code}\""));
    }
    assert!(Error::Conflict.is_retryable());
    assert!(!Error::Tampered.is_retryable());
}
