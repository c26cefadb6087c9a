//! Resolution against its floor, in the same group, so the report reads as a ratio of
//! medians.
//!
//! - `resolve personal`: a key found only in the personal scope (the worst case: three
//!   scopes consulted) from a `MemoryStore` of 10,000 secrets, no audit sink, beside
//!   the floor: three lookups in a `HashMap` that allocate nothing per probe (each
//!   hashes and compares the scope tag, workspace id, scope owner id and key name),
//!   then the raw `aes-gcm` steps of one envelope unseal (`support/floor.rs`: unwrap
//!   the 32-byte data key under a KEK cipher built once, `Aes256Gcm::new` for the data
//!   key, decrypt the 64-byte value). Goal: the median of `resolve` is at most 1.5x
//!   the median of `floor`. `resolve recording` is the same call on a resolver with
//!   usage recording on (`with_usage_recording`, a one-minute interval, never
//!   flushed here: each call refreshes the pending mark, the steady state between
//!   flushes); the same goal holds for it.
//! - `render 5 refs`: a fresh step renders a template of five workspace references,
//!   beside five times the floor's lookups and unseal.
//! - `all_available 100`: an agent step takes 100 workspace keys, beside 100 lookups
//!   and unseals.
//!
//! Run with `cargo bench --bench resolve -- --warm-up-time 1 --measurement-time 3`;
//! criterion writes each median to `target/criterion/<group>/<bench>/new/estimates.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // benches: a panic is the failure report

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use workflow_secrets::resolve::UsageRecording;
use workflow_secrets::{
    Actor, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey, SecretValue, Secrets,
    Template, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
};

#[path = "support/floor.rs"]
mod floor;
use floor::Floor;

const STORED: usize = 10_000;

/// A floor key's parts: scope tag (1 workflow, 2 workspace, 3 personal), workspace id,
/// scope owner id (the workflow or user id; empty for the workspace), key name.
type Parts<'a> = (u8, &'a str, &'a str, &'a str);

/// A floor key, owned (in the map) or borrowed (a probe). The map is searched through
/// `dyn FloorKey`, so a probe is a tuple of `&str`s: nothing is allocated or copied,
/// and the hash and comparison run over the same bytes as with an owned key.
trait FloorKey {
    fn parts(&self) -> Parts<'_>;
}

impl FloorKey for Parts<'_> {
    fn parts(&self) -> Parts<'_> {
        *self
    }
}

/// The map's own key.
struct Owned(u8, String, String, String);

impl FloorKey for Owned {
    fn parts(&self) -> Parts<'_> {
        (self.0, &self.1, &self.2, &self.3)
    }
}

// `Borrow` requires that owned and borrowed forms hash and compare alike: both go
// through `parts()`.
impl<'a> Borrow<dyn FloorKey + 'a> for Owned {
    fn borrow(&self) -> &(dyn FloorKey + 'a) {
        self
    }
}

impl Hash for dyn FloorKey + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.parts().hash(state);
    }
}

impl PartialEq for dyn FloorKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn FloorKey + '_ {}

impl Hash for Owned {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn FloorKey).hash(state);
    }
}

impl PartialEq for Owned {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for Owned {}

type FloorMap = HashMap<Owned, u32>;

/// The floor of a resolution's store read: the workflow, workspace and personal scopes
/// in precedence order, three probes that allocate nothing.
fn lookups(map: &FloorMap, workspace: &str, workflow: &str, user: &str, key: &str) -> Option<u32> {
    let probe = |tag: u8, id: &str| {
        map.get(&(tag, workspace, id, key) as &dyn FloorKey)
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
            floor_map.insert(
                Owned(tag, workspace.to_string(), id, key.to_string()),
                i as u32,
            );
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
            Owned(
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
    let recording = Resolver::new(vault.clone(), store.clone())
        .with_usage_recording(UsageRecording::every(std::time::Duration::from_secs(60)));
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
    let floor = Floor::new(floor::personal_aad_len(&ws, &user, key.as_str()));

    let mut group = c.benchmark_group("resolve personal");
    group.throughput(Throughput::Elements(1));
    group.bench_function("resolve", |b| {
        b.iter(|| black_box(pollster::block_on(resolver.resolve(&ctx, black_box(&key))).unwrap()))
    });
    group.bench_function("resolve recording", |b| {
        b.iter(|| black_box(pollster::block_on(recording.resolve(&ctx, black_box(&key))).unwrap()))
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
    let floor_keys: Vec<String> = (0..100).map(|i| format!("KEY_{}", i * 4)).collect();
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
            for k in &floor_keys {
                black_box(lookups(&floor_map, &ws, &wf, &user, black_box(k)));
                out.push(floor.unseal());
            }
            black_box(out)
        })
    });
    group.finish();
}

criterion_group!(resolve, benches);
criterion_main!(resolve);
