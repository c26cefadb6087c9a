//! The whole story in one file, on the embedded default store (SQLite, in a file in a
//! temporary directory): an admin stores secrets, runs resolve them, a template
//! renders, logs are masked, `explain` says why a run got what it got, and a second
//! opening of the file finds the records again.
//!
//! Run it with `cargo run --example quickstart`.

use std::path::Path;
use std::sync::Arc;

use workflow_secrets::{
    Actor, Error, LocalKeyring, Resolver, RunContext, Scope, SecretKey, SecretValue, Secrets,
    Template, Trigger, UserId, Vault, WorkflowId, WorkspaceId, WorkspaceRole,
};
use workflow_secrets_sqlite::SqliteStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The records live in a SQLite file; the temporary directory goes when the example ends.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("secrets.db");
    // The host brings the key-encryption key (from its KMS at start-up). The same key
    // must open the file again later, so the vault outlives the first store.
    let vault = Vault::new(LocalKeyring::generate());
    // A sync host drives the async store API with any `block_on`; an async host awaits.
    pollster::block_on(story(&vault, &file))?;
    pollster::block_on(reopen(&vault, &file))?;
    Ok(())
}

async fn story(vault: &Vault, file: &Path) -> Result<(), Error> {
    // Opening creates the schema; the store is shared by the admin API and the resolver.
    let store = Arc::new(SqliteStore::open(file)?);
    let secrets = Secrets::new(vault.clone(), store.clone());
    let resolver = Resolver::new(vault.clone(), store);

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

/// A new process would do this: open the same file with the same key. The records are
/// there, and they still open.
async fn reopen(vault: &Vault, file: &Path) -> Result<(), Error> {
    let store = Arc::new(SqliteStore::open(file)?);
    let acme = WorkspaceId::new("acme")?;
    let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    let listed = Secrets::new(vault.clone(), store.clone())
        .list(&ada, &Scope::workspace(acme.clone()))
        .await?;
    let resolver = Resolver::new(vault.clone(), store);
    let ctx = RunContext::manual(
        acme,
        WorkflowId::new("nightly-report")?,
        ada.user.clone(),
        ada.user,
    );
    let step = resolver.step(&ctx);
    let key = step.credential("OPENAI_API_KEY").await?;
    println!(
        "reopened {}: {} workspace secret(s) found ({}), and OPENAI_API_KEY opens: {}",
        file.display(),
        listed.len(),
        listed
            .iter()
            .map(|m| m.key.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        step.redactor().redact(key.expose_secret()),
    );
    Ok(())
}
