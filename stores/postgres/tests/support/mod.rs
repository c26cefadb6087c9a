//! A PostgreSQL server for the tests and benches of this crate.
//!
//! - `WORKFLOW_SECRETS_PG_URL` set: that database (a URL or `key=value` settings).
//! - Else a throwaway cluster: `initdb` and `pg_ctl` from PATH or `pg_config
//!   --bindir`, in a fresh directory under the temp dir, on a unix socket in that
//!   directory, fsync off. As root (CI), PostgreSQL refuses to run, so the directory
//!   is chowned to the `postgres` user and the server runs as it through `runuser`.
//!   One cluster per test binary; a watchdog process stops it and deletes the
//!   directory when the binary exits (statics are never dropped).
//! - No server binaries: the tests print loudly that they skipped, or panic when
//!   `WORKFLOW_SECRETS_REQUIRE_PG=1` (CI).
#![allow(dead_code, unreachable_pub)] // shared by several test binaries and a bench: each uses a part
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a panic is the failure report

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use workflow_secrets_postgres::PostgresStore;

/// The variable naming an existing database to test against.
pub const URL_VAR: &str = "WORKFLOW_SECRETS_PG_URL";
/// Set to `1` to make a missing server a failure instead of a skip.
pub const REQUIRE_VAR: &str = "WORKFLOW_SECRETS_REQUIRE_PG";
/// The schema version this release writes.
pub const CURRENT_SCHEMA: i32 = 6;

/// Where the tests find PostgreSQL.
#[derive(Debug)]
pub struct Server {
    config: tokio_postgres::Config,
    /// `key=value` settings a child process can use as `WORKFLOW_SECRETS_PG_URL`.
    pub url: String,
    cluster: Option<Cluster>,
}

impl Server {
    /// A fresh pool (each test's runtime needs its own connections).
    pub fn pool(&self, max_size: usize) -> Pool {
        self.pool_named(max_size, "workflow-secrets-test")
    }

    /// A pool whose connections carry `application_name`, so a test can find them.
    pub fn pool_named(&self, max_size: usize, application_name: &str) -> Pool {
        let mut config = self.config.clone();
        config.application_name(application_name);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        Pool::builder(manager).max_size(max_size).build().unwrap()
    }

    /// The connection settings (for raw-driver baselines).
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// A migrated store in a schema of its own.
    pub async fn fresh_store(&self, pool: Pool) -> PostgresStore {
        let store = PostgresStore::with_schema(pool, &unique_schema()).unwrap();
        store.migrate().await.unwrap();
        store
    }
}

/// The schema of release 0.1 (version 1), as `migrate` created it.
pub fn schema_v1(schema: &str) -> String {
    format!(
        "CREATE SCHEMA \"{schema}\";
         CREATE TABLE \"{schema}\".schema_version (
             id      int  PRIMARY KEY CHECK (id = 1),
             version int  NOT NULL
         );
         CREATE TABLE \"{schema}\".secrets (
             workspace    text     COLLATE \"C\" NOT NULL,
             kind         smallint NOT NULL CHECK (kind IN (1, 2, 3)),
             owner        text     COLLATE \"C\" NOT NULL,
             key          text     COLLATE \"C\" NOT NULL,
             version      bigint   NOT NULL,
             revision     bigint   NOT NULL,
             display_name text,
             description  text,
             members      text     NOT NULL,
             created_by   text     COLLATE \"C\" NOT NULL,
             updated_by   text     COLLATE \"C\" NOT NULL,
             created_at   bigint   NOT NULL,
             updated_at   bigint   NOT NULL,
             sealed       bytea    NOT NULL,
             PRIMARY KEY (workspace, kind, owner, key)
         );
         INSERT INTO \"{schema}\".schema_version (id, version) VALUES (1, 1);"
    )
}

/// What schema version 2 added to version 1 (the key-first index), and its version.
pub fn schema_v2(schema: &str) -> String {
    format!(
        "CREATE UNIQUE INDEX secrets_by_key ON \"{schema}\".secrets (workspace, key, kind, owner);
         UPDATE \"{schema}\".schema_version SET version = 2 WHERE id = 1;"
    )
}

/// A schema name no other test (or test binary) uses.
pub fn unique_schema() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The server, started on first use; `None` when the tests must skip.
pub fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| match start() {
            Ok(server) => Some(server),
            Err(why) => {
                let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1");
                let banner = "!".repeat(78);
                // Straight to the stderr handle: the test harness captures
                // `eprintln!` of passing tests, and a skip must not go unseen.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n{banner}\n!!! PostgreSQL TESTS SKIPPED: {why}\n!!! Install PostgreSQL's \
                     server (initdb, pg_ctl) or set {URL_VAR}.\n{banner}\n"
                );
                assert!(
                    !required,
                    "{REQUIRE_VAR}=1 but PostgreSQL is unavailable: {why}"
                );
                None
            }
        })
        .as_ref()
}

fn start() -> Result<Server, String> {
    if let Ok(url) = std::env::var(URL_VAR) {
        let config = url
            .parse()
            .map_err(|e| format!("{URL_VAR} does not parse: {e}"))?;
        return Ok(Server {
            config,
            url,
            cluster: None,
        });
    }
    let bin = bindir().ok_or("no initdb/pg_ctl on PATH and no `pg_config --bindir`")?;
    let cluster = Cluster::start(&bin)?;
    let mut config = tokio_postgres::Config::new();
    config
        .host_path(&cluster.dir)
        .port(cluster.port)
        .user("postgres")
        .dbname("postgres");
    let url = format!(
        "host={} port={} user=postgres dbname=postgres",
        cluster.dir.display(),
        cluster.port
    );
    Ok(Server {
        config,
        url,
        cluster: Some(cluster),
    })
}

/// The directory holding `initdb` and `pg_ctl`.
fn bindir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|d| has_both(d))
    {
        return Some(dir);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    has_both(&dir).then_some(dir)
}

/// A throwaway cluster: stopped and deleted on drop, or by its watchdog when the
/// process exits.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    data: PathBuf,
    port: u16,
    pg_ctl: PathBuf,
    as_postgres: bool,
}

impl Cluster {
    fn start(bin: &Path) -> Result<Cluster, String> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::env::temp_dir().join(unique_schema().replace("t_", "wfs-pg-"));
        std::fs::DirBuilder::new()
            .mode(0o755)
            .create(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
        }
        let cluster = Cluster {
            data: dir.join("data"),
            dir,
            // Unix socket only (`listen_addresses=''`), named by the port inside
            // our own directory: no port can clash.
            port: 5432,
            pg_ctl: bin.join("pg_ctl"),
            as_postgres,
        };
        cluster.spawn_watchdog();
        let mut initdb = cluster.command(&bin.join("initdb"));
        initdb.arg("-D").arg(&cluster.data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        run(&mut initdb)?;
        let options = format!(
            "-p {} -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c listen_addresses='' -c max_connections=200",
            cluster.port,
            cluster.dir.display()
        );
        let mut pg_ctl = cluster.command(&cluster.pg_ctl);
        pg_ctl
            .arg("-D")
            .arg(&cluster.data)
            .arg("-o")
            .arg(options)
            .arg("-l")
            .arg(cluster.dir.join("server.log"))
            .args(["-w", "start"]);
        // The server inherits pg_ctl's stdio: never a pipe we would wait on.
        pg_ctl.stdout(Stdio::null()).stderr(Stdio::null());
        let status = pg_ctl.status().map_err(|e| format!("pg_ctl: {e}"))?;
        if !status.success() {
            let log = std::fs::read_to_string(cluster.dir.join("server.log")).unwrap_or_default();
            return Err(format!("pg_ctl start failed ({status}): {log}"));
        }
        Ok(cluster)
    }

    /// `program`, run as the `postgres` user when we are root.
    fn command(&self, program: &Path) -> Command {
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn stop_command(&self) -> String {
        let runuser = if self.as_postgres {
            "runuser -u postgres -- "
        } else {
            ""
        };
        format!(
            "{runuser}'{}' -D '{}' -m immediate stop >/dev/null 2>&1; rm -rf '{}'",
            self.pg_ctl.display(),
            self.data.display(),
            self.dir.display()
        )
    }

    /// A shell that waits for this process to end, then stops the cluster and
    /// deletes its directory.
    fn spawn_watchdog(&self) {
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; {}",
            std::process::id(),
            self.stop_command()
        );
        let _ = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .arg("-c")
            .arg(self.stop_command())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
