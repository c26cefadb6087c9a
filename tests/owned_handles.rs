//! Owned handles: an async host spawns the steps of one run as tasks of their own,
//! keeps live runs in a registry, and rotates keys while they run.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, Notify, oneshot};
use workflow_secrets::audit::MemoryAuditSink;
use workflow_secrets::{
    Actor, LocalKeyring, MemoryStore, Resolver, Run, RunContext, Scope, SecretKey, SecretValue,
    Secrets, Template, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
};

type Store = Arc<MemoryStore>;

struct Host {
    secrets: Secrets<Store>,
    resolver: Resolver<Store>,
    admin: Actor,
    scope: Scope,
    ctx: RunContext,
    /// Live runs by id, for approve and cancel endpoints.
    runs: Arc<Mutex<HashMap<u32, Arc<Run<Store>>>>>,
}

fn host() -> Host {
    let vault = Vault::new(LocalKeyring::generate());
    let store = Arc::new(MemoryStore::new());
    let acme = WorkspaceId::new("acme").unwrap();
    let ada = UserId::new("ada").unwrap();
    Host {
        secrets: Secrets::new(vault.clone(), store.clone()),
        resolver: Resolver::new(vault, store).with_audit(MemoryAuditSink::new()),
        admin: Actor::new(ada.clone(), acme.clone(), WorkspaceRole::Admin),
        scope: Scope::workspace(acme.clone()),
        ctx: RunContext::manual(acme, WorkflowId::new("wf").unwrap(), ada.clone(), ada),
        runs: Arc::default(),
    }
}

fn key(name: &str) -> SecretKey {
    SecretKey::new(name).unwrap()
}

fn value(text: &str) -> SecretValue {
    SecretValue::new(text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_spawned_as_tasks_keep_the_rotation_rule_and_the_runs_redactor_masks_them_all() {
    let h = host();
    let token = key("TOKEN");
    h.secrets
        .create(&h.admin, &h.scope, &token, value("token-version-one-0001"))
        .await
        .unwrap();
    for i in 0..8 {
        let k = key(&format!("K{i}"));
        let v = value(&format!("value-of-key-{i}-abcdef"));
        h.secrets.create(&h.admin, &h.scope, &k, v).await.unwrap();
    }

    // The host keeps the run in its registry; tasks reach it from there.
    let run = Arc::new(h.resolver.run(&h.ctx));
    h.runs.lock().await.insert(7, run.clone());

    // Step A takes TOKEN, then waits while another task rotates it.
    let (a_holds, rotation_may_start) = oneshot::channel();
    let rotated = Arc::new(Notify::new());
    let step_a = {
        let registry = h.runs.clone();
        let rotated = rotated.clone();
        tokio::spawn(async move {
            let run = registry.lock().await.get(&7).cloned().unwrap();
            let step = run.step();
            let first = step.credential("TOKEN").await.unwrap();
            a_holds.send(()).unwrap();
            rotated.notified().await;
            // Mid-step rotation is invisible to the step, on every path.
            let again = step.credential("TOKEN").await.unwrap();
            let header = step
                .render(&Template::parse("Bearer {{TOKEN}}").unwrap())
                .await
                .unwrap();
            assert_eq!(again.expose_secret(), first.expose_secret());
            assert_eq!(header.expose_secret(), "Bearer token-version-one-0001");
            first.expose_secret().to_owned()
        })
    };
    let rotation = {
        let secrets = h.secrets.clone();
        let (admin, scope, token) = (h.admin.clone(), h.scope.clone(), token.clone());
        let rotated = rotated.clone();
        tokio::spawn(async move {
            rotation_may_start.await.unwrap();
            let meta = secrets
                .rotate(&admin, &scope, &token, value("token-version-two-0002"))
                .await
                .unwrap();
            rotated.notify_one();
            meta.version
        })
    };
    assert_eq!(rotation.await.unwrap(), 2);
    // Steps that start after the rotation see the new value; eight run at once, each
    // on a task of its own, resolving and rendering several keys.
    let mut later = Vec::new();
    for i in 0..8 {
        let step = run.step();
        later.push(tokio::spawn(async move {
            let token = step.credential("TOKEN").await.unwrap();
            let template = Template::parse(&format!("{{{{K{i}}}}}:{{{{TOKEN}}}}")).unwrap();
            let rendered = step.render(&template).await.unwrap();
            assert_eq!(
                rendered.expose_secret(),
                format!("value-of-key-{i}-abcdef:token-version-two-0002")
            );
            token.expose_secret().to_owned()
        }));
    }
    assert_eq!(step_a.await.unwrap(), "token-version-one-0001");
    for task in later {
        assert_eq!(task.await.unwrap(), "token-version-two-0002");
    }

    // The run's redactor masks every value any step resolved, old and new.
    let log = (0..8)
        .map(|i| format!("value-of-key-{i}-abcdef"))
        .chain([
            "token-version-one-0001".into(),
            "token-version-two-0002".into(),
        ])
        .collect::<Vec<_>>()
        .join(" | ");
    let masked = h.runs.lock().await[&7].redactor().redact(&log).into_owned();
    assert!(!masked.contains("value-of-key"), "{masked}");
    assert!(!masked.contains("token-version"), "{masked}");
    assert_eq!(masked.matches("[REDACTED:").count(), 10, "{masked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_outlives_its_run_value_and_a_resolver_clone_outlives_the_original() {
    let h = host();
    h.secrets
        .create(&h.admin, &h.scope, &key("K"), value("kept-after-drop-1234"))
        .await
        .unwrap();
    let resolver = h.resolver.clone();
    drop(h.resolver);
    let run = resolver.run(&h.ctx);
    let step = run.step();
    let redactor = run.redactor();
    drop(run);
    let got = tokio::spawn(async move { step.credential("K").await.unwrap() })
        .await
        .unwrap();
    assert_eq!(got.expose_secret(), "kept-after-drop-1234");
    // The step registered its value with the run's redactor, though the `Run` is gone.
    assert_eq!(redactor.redact("x kept-after-drop-1234"), "x [REDACTED:K]");
}
