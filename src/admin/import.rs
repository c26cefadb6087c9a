//! Bulk import of `.env` text: parsed strictly, written all-or-nothing in one batch.

use super::Secrets;
use super::audited::Call;
use super::binding;
use super::versions::NewVersion;
use crate::access::{self, Operation};
use crate::audit::AuditKind;
use crate::import::{ImportWarning, parse_env};
use crate::store::{
    Expect, SecretMeta, SecretStore, StoreError, StoredSecret, VersionReason, WriteBatch, WriteOp,
};
use crate::vocab::Actor;
use crate::vocab::Error;
use crate::vocab::Scope;
use crate::vocab::SecretKey;

/// What an import does with keys that already exist in the scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImportMode {
    /// Create new keys and rotate existing ones.
    Upsert,
    /// Create new keys; if any key exists, store nothing (`already_exists`).
    CreateOnly,
    /// Create new keys; leave existing ones untouched.
    SkipExisting,
}

/// What an import did (or, for a preview, would do), key by key, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ImportReport {
    /// Keys created at version 1.
    pub created: Vec<SecretKey>,
    /// Existing keys rotated.
    pub updated: Vec<SecretKey>,
    /// Existing keys left alone (`ImportMode::SkipExisting`).
    pub skipped: Vec<SecretKey>,
    /// The parser's warnings, such as a duplicate key. Never a value.
    pub warnings: Vec<ImportWarning>,
}

impl<S: SecretStore> Secrets<S> {
    /// Imports `.env` text into `scope` (see [`parse_env`] for the dialect) in **one**
    /// write batch: with any parse problem, or any existing key under
    /// `ImportMode::CreateOnly`, nothing is stored. One audit event (`Imported`) names
    /// the keys written, or on failure the keys of the text.
    ///
    /// # Errors
    ///
    /// `permission_denied` before anything is parsed (admins for workspace and workflow
    /// scopes; personal: its owner); `import_syntax` listing every problem;
    /// `already_exists` naming the existing keys (`CreateOnly`); `conflict` when a
    /// concurrent write touched one of the keys (nothing stored: run it again); `store`.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::admin::ImportMode;
    /// use workflow_secrets::{
    ///     Actor, Error, LocalKeyring, MemoryStore, Scope, Secrets, UserId, Vault, WorkspaceId,
    ///     WorkspaceRole,
    /// };
    ///
    /// # fn main() -> Result<(), Error> { pollster::block_on(async {
    /// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), MemoryStore::new());
    /// let acme = WorkspaceId::new("acme")?;
    /// let admin = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let scope = Scope::workspace(acme);
    /// let text = "export API_KEY='sk-1'\nDB_URL=postgres://u:p@db/app # prod\n";
    /// let report = secrets.import_env(&admin, &scope, text, ImportMode::CreateOnly).await?;
    /// assert_eq!(report.created.len(), 2);
    /// // A second import of the same keys stores nothing under CreateOnly.
    /// let again = secrets.import_env(&admin, &scope, text, ImportMode::CreateOnly).await;
    /// assert_eq!(again.unwrap_err().code(), "already_exists");
    /// # Ok(()) }) }
    /// ```
    pub async fn import_env(
        &self,
        actor: &Actor,
        scope: &Scope,
        text: &str,
        mode: ImportMode,
    ) -> Result<ImportReport, Error> {
        self.import(actor, scope, text, mode, true).await
    }

    /// The dry run of [`import_env`](Self::import_env): the same checks and the same
    /// report, and nothing written, so a UI can show the diff before saving. Audited
    /// as `ImportPreviewed`, naming the keys that would be written.
    ///
    /// # Errors
    ///
    /// As [`import_env`](Self::import_env), but never `conflict`.
    pub async fn preview_env(
        &self,
        actor: &Actor,
        scope: &Scope,
        text: &str,
        mode: ImportMode,
    ) -> Result<ImportReport, Error> {
        self.import(actor, scope, text, mode, false).await
    }

    async fn import(
        &self,
        actor: &Actor,
        scope: &Scope,
        text: &str,
        mode: ImportMode,
        write: bool,
    ) -> Result<ImportReport, Error> {
        let kind = if write {
            AuditKind::Imported
        } else {
            AuditKind::ImportPreviewed
        };
        let call = Call::new(kind, actor, Some(scope), &[]);
        self.audited(
            &call,
            self.import_body(&call, actor, scope, text, mode, write),
        )
        .await
    }

    async fn import_body(
        &self,
        call: &Call<'_>,
        actor: &Actor,
        scope: &Scope,
        text: &str,
        mode: ImportMode,
        write: bool,
    ) -> Result<ImportReport, Error> {
        access::check(actor, Operation::Import, scope, None)?;
        let parsed = parse_env(text)?;
        let keys: Vec<SecretKey> = parsed.iter().map(|e| e.key.clone()).collect();
        // A failure from here on names the keys of the text.
        call.keys(keys.clone());
        let found = self
            .store
            .get_many(std::slice::from_ref(scope), &keys)
            .await?;
        // An update is built from the current record's metadata: a moved record's
        // would write into the place it came from.
        let existing = keys
            .iter()
            .zip(found)
            .map(|(key, record)| binding::bound(scope, key, record))
            .collect::<Result<Vec<_>, Error>>()?;
        if mode == ImportMode::CreateOnly {
            let taken: Vec<&str> = keys
                .iter()
                .zip(&existing)
                .filter(|(_, r)| r.is_some())
                .map(|(k, _)| k.as_str())
                .collect();
            if !taken.is_empty() {
                return Err(Error::AlreadyExists {
                    what: format!("{} in the {scope}", taken.join(", ")),
                });
            }
        }
        let mut report = ImportReport {
            warnings: parsed.warnings,
            ..ImportReport::default()
        };
        let mut batch = WriteBatch::new();
        // The values written, handed to the platform redactor once the batch is in.
        let mut values = Vec::new();
        let now = self.now();
        for (entry, current) in parsed.entries.into_iter().zip(existing) {
            let (meta, expect) = match &current {
                Some(_) if mode == ImportMode::SkipExisting => {
                    report.skipped.push(entry.key);
                    continue;
                }
                Some(current) => {
                    report.updated.push(entry.key.clone());
                    let revision = current.meta.revision;
                    let mut meta = current.meta.clone();
                    meta.version += 1;
                    meta.updated_by = actor.user.clone();
                    meta.updated_at = now;
                    // A new value: its age starts now.
                    meta.value_changed_at = now;
                    (meta, Expect::Revision(revision))
                }
                None => {
                    report.created.push(entry.key.clone());
                    let meta =
                        SecretMeta::new(scope.clone(), entry.key.clone(), actor.user.clone(), now);
                    (meta, Expect::Absent)
                }
            };
            if write {
                let new = NewVersion {
                    scope,
                    key: &entry.key,
                    version: meta.version,
                    value: &entry.value,
                    by: &actor.user,
                    at: now,
                    reason: VersionReason::Import,
                    restored_from: None,
                };
                let kept = self.keep_ops(&new, current.as_ref(), expect)?;
                let sealed = self
                    .vault
                    .seal(scope, &entry.key, meta.version, &entry.value)?;
                batch.push(WriteOp::Put {
                    record: StoredSecret { meta, sealed },
                    expect,
                });
                for op in kept {
                    batch.push(op);
                }
                values.push(entry.value);
            }
        }
        if write && !batch.is_empty() {
            match self.store.write(batch).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => return Err(Error::Conflict),
                Err(other) => return Err(other.into()),
            }
        }
        for value in &values {
            self.written(value);
        }
        // The event names what was (or, for a preview, would be) written.
        let mut written = report.created.clone();
        written.extend(report.updated.iter().cloned());
        call.keys(written);
        Ok(report)
    }
}
