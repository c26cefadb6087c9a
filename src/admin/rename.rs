//! Renaming a key in its scope: the record and every kept version sealed again
//! under the new name, in one batch.

use std::slice;

use super::audited::Call;
use super::secrets::CAS_RETRIES;
use super::{DeleteCheck, Secrets};
use crate::access::Operation;
use crate::audit::AuditKind;
use crate::crypto::RecordRole;
use crate::store::{
    Expect, KeptVersion, SecretMeta, SecretStore, StoreError, StoredSecret, WriteBatch, WriteOp,
};
use crate::vocab::{Actor, Error, Scope, SecretKey};

impl<S: SecretStore> Secrets<S> {
    /// Renames `from` to `to` in `scope`: the current value and every kept version
    /// are opened and sealed again under the new name (the name is bound into each
    /// record), and the old name is gone, in one batch with compare-and-swap on the
    /// old record and the new name's absence. Versions, details, members and the
    /// value's age stay as they were; the record's revision starts again at 1 (it
    /// is a new record). Audited as `Renamed`, naming both keys, old first.
    ///
    /// **A rename breaks every `{{FROM}}` and `credential("FROM")` in the
    /// workflows that use the old name**: their next step misses it. Update the
    /// references first, or rename with [`rename_checked`](Self::rename_checked),
    /// which refuses while workflows use or declare the old name. This unchecked
    /// rename stays available to whoever may delete the secret.
    ///
    /// Allowed to whoever may delete the secret and create in its scope: admins for
    /// workspace and workflow scopes, the owner for a personal one.
    ///
    /// # Errors
    ///
    /// `invalid_key` when `to` looks like a secret ([`SecretKey::check_new_name`];
    /// audited without the new name); `already_exists` when `to` exists in the scope
    /// (or `to` is `from`); `permission_denied`; `not_found`; `conflict` when other
    /// writes kept winning; `tampered` or `unknown_key_id` when a record does not
    /// open; `store`.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::{
    ///     Actor, LocalKeyring, MemoryStore, Scope, SecretKey, SecretValue, Secrets, UserId,
    ///     Vault, WorkspaceId, WorkspaceRole,
    /// };
    ///
    /// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), MemoryStore::new());
    /// let acme = WorkspaceId::new("acme")?;
    /// let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let scope = Scope::workspace(acme);
    /// let (old, new) = (SecretKey::new("OPENAI_KEY")?, SecretKey::new("OPENAI_API_KEY")?);
    /// pollster::block_on(async {
    ///     secrets.create(&ada, &scope, &old, SecretValue::new("sk-live-1111")?).await?;
    ///     let meta = secrets.rename(&ada, &scope, &old, &new).await?;
    ///     assert_eq!((meta.key.as_str(), meta.version), ("OPENAI_API_KEY", 1));
    ///     assert!(secrets.verify(&ada, &scope, &new, &SecretValue::new("sk-live-1111")?).await?);
    ///     assert_eq!(secrets.meta(&ada, &scope, &old).await.unwrap_err().code(), "not_found");
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn rename(
        &self,
        actor: &Actor,
        scope: &Scope,
        from: &SecretKey,
        to: &SecretKey,
    ) -> Result<SecretMeta, Error> {
        self.renaming(actor, scope, from, to, None).await
    }

    /// [`rename`](Self::rename), refused like a checked delete
    /// ([`delete_checked`](Self::delete_checked)) when workflows used the old name
    /// within `check`'s window or the host declares that they reference it: a
    /// rename breaks every `{{FROM}}` reference. The check runs after the
    /// permission check and before anything is opened; one `Renamed` event either
    /// way, with `secret_in_use` when refused (naming both keys, not the
    /// workflows).
    ///
    /// # Errors
    ///
    /// As [`rename`](Self::rename), and `secret_in_use` naming the workflows;
    /// `store` also when the store keeps no usage (never taken as "unused").
    pub async fn rename_checked(
        &self,
        actor: &Actor,
        scope: &Scope,
        from: &SecretKey,
        to: &SecretKey,
        check: &DeleteCheck,
    ) -> Result<SecretMeta, Error> {
        self.renaming(actor, scope, from, to, Some(check)).await
    }

    /// Both renames: the new name's check first, then the audited body.
    async fn renaming(
        &self,
        actor: &Actor,
        scope: &Scope,
        from: &SecretKey,
        to: &SecretKey,
        check: Option<&DeleteCheck>,
    ) -> Result<SecretMeta, Error> {
        if let Err(err) = to.check_new_name() {
            // As `create`: a name that looks like a token is not named.
            let call = Call::new(
                AuditKind::Renamed,
                actor,
                Some(scope),
                slice::from_ref(from),
            );
            return self.audited(&call, async { Err(err) }).await;
        }
        let keys = [from.clone(), to.clone()];
        let call = Call::new(AuditKind::Renamed, actor, Some(scope), &keys);
        let body = self.rename_body(&call, actor, scope, from, to, check);
        self.audited(&call, body).await
    }

    async fn rename_body(
        &self,
        call: &Call<'_>,
        actor: &Actor,
        scope: &Scope,
        from: &SecretKey,
        to: &SecretKey,
        check: Option<&DeleteCheck>,
    ) -> Result<SecretMeta, Error> {
        let taken = || Error::AlreadyExists {
            what: format!("secret {to} in the {scope}"),
        };
        for _ in 0..CAS_RETRIES {
            let record = self.existing(actor, Operation::Delete, scope, from).await?;
            crate::access::check(actor, Operation::Create, scope, None)?;
            if from == to {
                return Err(taken());
            }
            if let Some(check) = check {
                self.not_in_use(scope, from, check).await?;
            }
            let revision = record.meta.revision;
            let kept = super::binding::kept(scope, from, self.store.versions(scope, from).await?)?;
            let batch = self.renamed(scope, from, to, record, kept, revision)?;
            let mut meta = match batch.ops.get(1) {
                Some(WriteOp::Put { record, .. }) => record.meta.clone(),
                _ => return Err(Error::Conflict),
            };
            match self.store.write(batch).await {
                Ok(()) => {
                    call.version(meta.version);
                    meta.revision = 1;
                    return Ok(meta);
                }
                // Either the old record moved on (retry from a fresh read) or the new
                // name was taken meanwhile (the retry's check below reports it).
                Err(StoreError::Conflict) => {
                    if binding_exists(self, scope, to).await? {
                        return Err(taken());
                    }
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(Error::Conflict)
    }

    /// The batch of a rename: delete `from` at `revision` (its kept versions go with
    /// it), put `record` under `to` expecting it absent, and keep every version
    /// under `to`, each opened with the old binding and sealed with the new. A
    /// current value of format 1 has no kept copy: it gets one (`Earlier`), as its
    /// first rotation would give it, so the renamed record (now of format 2) has its
    /// kept copy like every other. The `Put` is the batch's second op.
    pub(super) fn renamed(
        &self,
        scope: &Scope,
        from: &SecretKey,
        to: &SecretKey,
        record: StoredSecret,
        kept: Vec<KeptVersion>,
        revision: u64,
    ) -> Result<WriteBatch, Error> {
        let version = record.meta.version;
        let value = self.vault.unseal(scope, from, version, &record.sealed)?;
        let earlier = (record.sealed.format() == 1).then(|| {
            crate::store::VersionMeta::new(
                scope.clone(),
                to.clone(),
                version,
                record.meta.updated_by.clone(),
                record.meta.value_changed_at,
                crate::store::VersionReason::Earlier,
            )
        });
        let mut meta = record.meta;
        meta.key = to.clone();
        let sealed = self.vault.seal(scope, to, version, &value)?;
        let mut batch = WriteBatch::from(vec![
            WriteOp::Delete {
                scope: scope.clone(),
                key: from.clone(),
                expect: Expect::Revision(revision),
            },
            WriteOp::Put {
                record: StoredSecret { meta, sealed },
                expect: Expect::Absent,
            },
        ]);
        for old in kept {
            let n = old.meta.version;
            let value = self
                .vault
                .unseal_for(RecordRole::History, scope, from, n, &old.sealed)?;
            let sealed = self
                .vault
                .seal_for(RecordRole::History, scope, to, n, &value)?;
            let mut meta = old.meta;
            meta.key = to.clone();
            batch.push(WriteOp::Keep {
                version: KeptVersion { meta, sealed },
                keep: self.versions_kept,
                expect: Expect::Absent,
            });
        }
        if let Some(meta) = earlier {
            let sealed = self
                .vault
                .seal_for(RecordRole::History, scope, to, version, &value)?;
            batch.push(WriteOp::Keep {
                version: KeptVersion { meta, sealed },
                keep: self.versions_kept,
                expect: Expect::Absent,
            });
        }
        Ok(batch)
    }
}

/// Whether `key` exists in `scope` (checked against the request).
async fn binding_exists<S: SecretStore>(
    secrets: &Secrets<S>,
    scope: &Scope,
    key: &SecretKey,
) -> Result<bool, Error> {
    let found = secrets.store.get(scope, key).await?;
    Ok(super::binding::bound(scope, key, found)?.is_some())
}
