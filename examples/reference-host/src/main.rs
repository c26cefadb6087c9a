//! The reference host, served on 127.0.0.1:3000 with its records in a SQLite file in
//! a temporary directory. Run it with `cargo run -p reference-host`, then for example:
//!
//! ```sh
//! curl -X PUT -H 'x-user: ada' --data 'sk-live-1' localhost:3000/secrets/workspace/OPENAI_API_KEY
//! curl -X PUT -H 'x-user: ada' --data 'https://hooks.example/T1' localhost:3000/secrets/workspace/SLACK_WEBHOOK
//! curl -N -X POST -H 'x-user: bob' localhost:3000/workflows/digest/runs   # streams the masked log
//! curl -X POST localhost:3000/runs/1/resume                                  # in another shell
//! ```

use workflow_secrets::redact::{MaskingMakeWriter, PlatformRedactor};
use workflow_secrets::{LocalKeyring, Vault};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The service's own log: every value stored or resolved is masked out of it.
    let platform = PlatformRedactor::builder().build();
    tracing_subscriber::fmt()
        .with_writer(MaskingMakeWriter::new(&platform, std::io::stderr))
        .init();
    let dir = tempfile::tempdir()?;
    // A real host loads its key-encryption key from its KMS at start-up.
    let host = reference_host::Host::open(
        Vault::new(LocalKeyring::generate()),
        &dir.path().join("secrets.db"),
        &platform,
    )?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("serving on http://{}", listener.local_addr()?);
    axum::serve(listener, reference_host::router(host)).await?;
    Ok(())
}
