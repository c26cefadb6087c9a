//! The whole story in one file: an admin stores secrets, runs resolve them, a template
//! renders, logs are masked, and `explain` says why a run got what it got.
//!
//! Run it with `cargo run --example quickstart`.

use std::sync::Arc;

use workflow_secrets::{
    Actor, Error, LocalKeyring, MemoryStore, Resolver, RunContext, Scope, SecretKey, SecretValue,
    Secrets, Template, Trigger, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
};

fn main() -> Result<(), Error> {
    // A sync host drives the async store API with any `block_on`; an async host awaits.
    pollster::block_on(story())
}

async fn story() -> Result<(), Error> {
    // The host brings the key-encryption key (from its KMS at start-up) and the store.
    let vault = Vault::new(LocalKeyring::generate());
    let store = Arc::new(MemoryStore::new());
    let secrets = Secrets::new(vault.clone(), store.clone());
    let resolver = Resolver::new(vault, store);

    let acme = WorkspaceId::new("acme")?;
    let nightly = WorkflowId::new("nightly-report")?;
    let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    let bob = Actor::new(UserId::new("bob")?, acme.clone(), WorkspaceRole::Editor);

    // 1. An admin stores a workspace secret; Bob stores a personal one.
    let openai = SecretKey::new("OPENAI_API_KEY")?;
    let github = SecretKey::new("GITHUB_TOKEN")?;
    secrets
        .create(
            &ada,
            &Scope::workspace(acme.clone()),
            &openai,
            SecretValue::new("sk-live-4f9a2c7e1b")?,
        )
        .await?;
    let bobs = Scope::personal(acme.clone(), bob.user.clone());
    secrets
        .create(
            &bob,
            &bobs,
            &github,
            SecretValue::new("ghp_bob_8c1d5e3f7a")?,
        )
        .await?;
    for meta in secrets.list(&ada, &Scope::workspace(acme.clone())).await? {
        println!(
            "listed: {} version {} (values are write-only)",
            meta.key, meta.version
        );
    }

    // 2. Bob clicks Run: his personal secrets are the fallback.
    let manual = RunContext::manual(
        acme.clone(),
        nightly.clone(),
        ada.user.clone(),
        bob.user.clone(),
    );
    let run = resolver.run(&manual);
    let step = run.step();
    let header = step
        .render(&Template::parse(
            "Authorization: Bearer {{ OPENAI_API_KEY }}",
        )?)
        .await?;
    let token = step.credential("GITHUB_TOKEN").await?;
    let log_line = format!(
        "sent {} and used {}",
        header.expose_secret(),
        token.expose_secret()
    );
    println!("log: {}", run.redactor().redact(&log_line));

    // 3. The schedule runs it at night: the owner's (Ada's) personal scope is the
    // fallback, and Ada holds no GITHUB_TOKEN.
    let scheduled = RunContext::automated(acme, nightly, ada.user.clone(), Trigger::Schedule);
    match resolver.resolve(&scheduled, &github).await {
        Ok(_) => println!("scheduled run got GITHUB_TOKEN"),
        Err(err) => println!("scheduled run: {err} (code {})", err.code()),
    }

    // 4. Why? `explain` says, scope by scope, without values.
    println!("{}", resolver.explain(&scheduled, &github, &ada).await?);
    println!("{}", resolver.explain(&manual, &openai, &bob).await?);
    Ok(())
}
