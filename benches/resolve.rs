//! Resolution against its floor, in the same group, so the report reads as a ratio.
//!
//! - `resolve personal`: a key found only in the personal scope (the worst case: three
//!   scopes consulted) from a `MemoryStore` of 10,000 secrets, beside the floor: three
//!   `HashMap` lookups plus the raw `aes-gcm` steps of one envelope unseal (unwrap the
//!   data key under a ready KEK cipher, set up its cipher, decrypt 64 B). Goal: ≤ 2x.
//! - `render 5 refs`: a fresh step renders a template of five workspace references,
//!   beside five times the floor's unseal plus the lookups.
//! - `all_available 100`: an agent step takes 100 workspace keys, beside 100 unseals.
//!
//! Run with `cargo bench --bench resolve -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // benches: a panic is the failure report

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use workflow_secrets::{
    Actor, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey, SecretValue, Secrets,
    Template, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
};

#[path = "support/floor.rs"]
mod floor;
use floor::Floor;

const STORED: usize = 10_000;

type FloorMap = HashMap<(u8, String, String, String), u32>;

fn lookups(map: &FloorMap, workspace: &str, workflow: &str, user: &str, key: &str) -> Option<u32> {
    let probe = |tag: u8, id: &str| {
        map.get(&(tag, workspace.to_owned(), id.to_owned(), key.to_owned()))
            .copied()
    };
    probe(1, workflow)
        .or_else(|| probe(2, ""))
        .or_else(|| probe(3, user))
}

fn benches(c: &mut Criterion) {
    let vault = Vault::new(LocalKeyring::generate());
    let store = Arc::new(MemoryStore::new());
    let workspace = WorkspaceId::new("9b2f4c1e-5d7a-4e8b-a3f6-0c1d2e3f4a5b").unwrap();
    let workflow = WorkflowId::new("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d").unwrap();
    let owner = UserId::new("7c6b5a49-3827-4615-9f8e-7d6c5b4a3928").unwrap();
    let admin = Actor::new(owner.clone(), workspace.clone(), WorkspaceRole::Admin);
    let secrets = Secrets::new(vault.clone(), store.clone());
    let value = SecretValue::new("v".repeat(64)).unwrap();
    let mut floor_map = FloorMap::new();
    // 10,000 secrets spread over the workspace, workflows and users; the one looked up
    // lives in the owner's personal scope alone.
    pollster::block_on(async {
        for i in 0..STORED {
            let (scope, tag, id) = match i % 4 {
                0 => (Scope::workspace(workspace.clone()), 2, String::new()),
                1 => {
                    let wf = WorkflowId::new(format!("wf-{i}")).unwrap();
                    (Scope::workflow(workspace.clone(), wf), 1, format!("wf-{i}"))
                }
                _ => {
                    let u = UserId::new(format!("user-{}", i % 97)).unwrap();
                    (
                        Scope::personal(workspace.clone(), u),
                        3,
                        format!("user-{}", i % 97),
                    )
                }
            };
            let actor = match &scope {
                Scope::Personal { user, .. } => {
                    Actor::new(user.clone(), workspace.clone(), WorkspaceRole::Runner)
                }
                _ => admin.clone(),
            };
            let key = SecretKey::new(format!("KEY_{i}")).unwrap();
            secrets
                .create(&actor, &scope, &key, value.clone())
                .await
                .unwrap();
            floor_map.insert((tag, workspace.to_string(), id, key.to_string()), i as u32);
        }
        let personal = Scope::personal(workspace.clone(), owner.clone());
        secrets
            .create(
                &admin,
                &personal,
                &SecretKey::new("ONLY_PERSONAL").unwrap(),
                value.clone(),
            )
            .await
            .unwrap();
        floor_map.insert(
            (
                3,
                workspace.to_string(),
                owner.to_string(),
                "ONLY_PERSONAL".into(),
            ),
            1,
        );
        for i in 0..100 {
            let key = SecretKey::new(format!("AGENT_{i:03}")).unwrap();
            secrets
                .create(
                    &admin,
                    &Scope::workspace(workspace.clone()),
                    &key,
                    value.clone(),
                )
                .await
                .unwrap();
        }
    });
    let floor = Floor::new();
    let resolver = Resolver::new(vault, store.clone());
    let ctx = RunContext::manual(
        workspace.clone(),
        workflow.clone(),
        owner.clone(),
        owner.clone(),
    );
    let key = SecretKey::new("ONLY_PERSONAL").unwrap();
    let (ws, wf, user) = (
        workspace.to_string(),
        workflow.to_string(),
        owner.to_string(),
    );

    let mut group = c.benchmark_group("resolve personal");
    group.throughput(Throughput::Elements(1));
    group.bench_function("resolve", |b| {
        b.iter(|| black_box(pollster::block_on(resolver.resolve(&ctx, black_box(&key))).unwrap()))
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            black_box(lookups(&floor_map, &ws, &wf, &user, black_box("ONLY_PERSONAL")).unwrap());
            black_box(floor.unseal())
        })
    });
    group.finish();

    let template =
        Template::parse("{{KEY_0}}/{{KEY_4}}?a={{KEY_8}}&b={{KEY_12}}&c={{KEY_16}}").unwrap();
    let mut group = c.benchmark_group("render 5 refs");
    group.throughput(Throughput::Elements(5));
    group.bench_function("render", |b| {
        b.iter(|| {
            let step = resolver.step(&ctx);
            black_box(pollster::block_on(step.render(black_box(&template))).unwrap())
        })
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            let mut out = String::new();
            for k in ["KEY_0", "KEY_4", "KEY_8", "KEY_12", "KEY_16"] {
                black_box(lookups(&floor_map, &ws, &wf, &user, black_box(k)).unwrap());
                out.push_str(std::str::from_utf8(&floor.unseal()).unwrap());
            }
            black_box(out)
        })
    });
    group.finish();

    // An agent step's view: no allowlist, so workflow and workspace keys (2,600 here).
    let agent_ws = WorkspaceId::new("agents").unwrap();
    let agent_store = Arc::new(MemoryStore::new());
    let agent_vault = Vault::new(LocalKeyring::generate());
    let agent_admin = Actor::new(owner.clone(), agent_ws.clone(), WorkspaceRole::Admin);
    let agent_secrets = Secrets::new(agent_vault.clone(), agent_store.clone());
    pollster::block_on(async {
        for i in 0..100 {
            let key = SecretKey::new(format!("AGENT_{i:03}")).unwrap();
            agent_secrets
                .create(
                    &agent_admin,
                    &Scope::workspace(agent_ws.clone()),
                    &key,
                    value.clone(),
                )
                .await
                .unwrap();
        }
    });
    let agent_resolver = Resolver::new(agent_vault, agent_store);
    let agent_ctx = RunContext::manual(agent_ws, workflow, owner.clone(), owner);
    let mut group = c.benchmark_group("all_available 100");
    group.throughput(Throughput::Elements(100));
    group.bench_function("all_available", |b| {
        b.iter(|| {
            let step = agent_resolver.step(&agent_ctx);
            black_box(pollster::block_on(step.all_available()).unwrap())
        })
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(100);
            for i in 0..100 {
                black_box(lookups(
                    &floor_map,
                    &ws,
                    &wf,
                    &user,
                    black_box(&format!("KEY_{}", i * 4)),
                ));
                out.push(floor.unseal());
            }
            black_box(out)
        })
    });
    group.finish();
}

criterion_group!(resolve, benches);
criterion_main!(resolve);
