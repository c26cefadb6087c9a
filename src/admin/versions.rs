//! Kept versions: what each write of a value keeps, listing them, restoring one.
//!
//! Every write of a value (create, rotate, `put`, import, restore) seals it twice:
//! once for the current slot and once for the history slot
//! ([`RecordRole`]), and writes both in one batch, so the history always holds the
//! current version and the ones before it, up to [`Secrets::with_versions_kept`].
//! A restore opens a kept version inside the crate and writes it back as a new
//! current version: the value never leaves.

use std::slice;

use super::Secrets;
use super::audited::Call;
use crate::access::Operation;
use crate::audit::AuditKind;
use crate::crypto::RecordRole;
use crate::store::{
    Expect, KeptVersion, SecretMeta, SecretStore, StoreError, StoredSecret, VersionMeta,
    VersionReason, WriteBatch, WriteOp,
};
use crate::vocab::{Actor, Error, Scope, SecretKey, SecretValue, Timestamp, UserId};

/// A value being written as a new version, and why: what its kept copy records.
pub(super) struct NewVersion<'a> {
    pub(super) scope: &'a Scope,
    pub(super) key: &'a SecretKey,
    pub(super) version: u64,
    pub(super) value: &'a SecretValue,
    pub(super) by: &'a UserId,
    pub(super) at: Timestamp,
    pub(super) reason: VersionReason,
    pub(super) restored_from: Option<u64>,
}

impl<S: SecretStore> Secrets<S> {
    /// The `Keep` ops that go in the batch writing `new` over `previous` (the
    /// record before the write; `None` for a create), under `expect` (the batch's
    /// expectation of the record).
    ///
    /// A previous value sealed in format 1 was written before versions were kept,
    /// so the history lacks it: it is kept now as [`VersionReason::Earlier`], opened
    /// and sealed again for the history slot, so the first rotation after an
    /// upgrade can be undone too. (With one version kept, the store drops it again
    /// at once; one rare unseal buys one rule.)
    pub(super) fn keep_ops(
        &self,
        new: &NewVersion<'_>,
        previous: Option<&StoredSecret>,
        expect: Expect,
    ) -> Result<Vec<WriteOp>, Error> {
        let keep = self.versions_kept;
        let mut ops = Vec::with_capacity(2);
        if let Some(previous) = previous.filter(|p| p.sealed.format() == 1) {
            let (scope, key, meta) = (new.scope, new.key, &previous.meta);
            // Opened with the scope and key asked for (the caller checked the binding).
            let value = self
                .vault
                .unseal(scope, key, meta.version, &previous.sealed)?;
            let sealed =
                self.vault
                    .seal_for(RecordRole::History, scope, key, meta.version, &value)?;
            let meta = VersionMeta::new(
                scope.clone(),
                key.clone(),
                meta.version,
                meta.updated_by.clone(),
                meta.value_changed_at,
                VersionReason::Earlier,
            );
            ops.push(WriteOp::Keep {
                version: KeptVersion { meta, sealed },
                keep,
                expect,
            });
        }
        let sealed = self.vault.seal_for(
            RecordRole::History,
            new.scope,
            new.key,
            new.version,
            new.value,
        )?;
        let mut meta = VersionMeta::new(
            new.scope.clone(),
            new.key.clone(),
            new.version,
            new.by.clone(),
            new.at,
            new.reason,
        );
        meta.restored_from = new.restored_from;
        ops.push(WriteOp::Keep {
            version: KeptVersion { meta, sealed },
            keep,
            expect,
        });
        Ok(ops)
    }

    /// The versions kept of `key` in `scope`, newest first: metadata only (version,
    /// when, by whom, why), never a value. The current version is the first, once
    /// it was written by this release. Audited as `Listed`, naming the key.
    ///
    /// # Errors
    ///
    /// As [`meta`](Self::meta): `permission_denied` (any member of the workspace
    /// for workspace and workflow scopes; personal: its owner); `not_found` when
    /// the secret does not exist; `store` (also when the store keeps no versions,
    /// or answers versions of another scope or key).
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::store::VersionReason;
    /// use workflow_secrets::{
    ///     Actor, LocalKeyring, MemoryStore, Scope, SecretKey, SecretValue, Secrets, UserId,
    ///     Vault, WorkspaceId, WorkspaceRole,
    /// };
    ///
    /// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), MemoryStore::new());
    /// let acme = WorkspaceId::new("acme")?;
    /// let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let (scope, key) = (Scope::workspace(acme), SecretKey::new("API_KEY")?);
    /// pollster::block_on(async {
    ///     secrets.create(&ada, &scope, &key, SecretValue::new("sk-good-1111")?).await?;
    ///     secrets.rotate(&ada, &scope, &key, SecretValue::new("sk-typo-2222")?).await?;
    ///
    ///     // The rotation was a mistake: put version 1 back, as version 3.
    ///     let kept = secrets.versions(&ada, &scope, &key).await?;
    ///     let reasons: Vec<_> = kept.iter().map(|v| (v.version, v.reason)).collect();
    ///     assert_eq!(reasons, [(2, VersionReason::Rotate), (1, VersionReason::Create)]);
    ///     let meta = secrets.restore(&ada, &scope, &key, 1).await?;
    ///     assert_eq!(meta.version, 3);
    ///     assert!(secrets.verify(&ada, &scope, &key, &SecretValue::new("sk-good-1111")?).await?);
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn versions(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<VersionMeta>, Error> {
        let call = Call::new(AuditKind::Listed, actor, Some(scope), slice::from_ref(key));
        let body = async {
            let record = self.existing(actor, Operation::List, scope, key).await?;
            call.version(record.meta.version);
            let kept = self.kept(scope, key).await?;
            Ok(kept.into_iter().map(|k| k.meta).collect())
        };
        self.audited(&call, body).await
    }

    /// Makes kept version `version` of `key` current again, as a new version (the
    /// current one + 1): for a bad rotation or a bad import. The value is opened
    /// and sealed again inside the crate; it is never returned. The version it
    /// replaces stays kept, so a restore can itself be undone. Takes effect at the
    /// next step of any run, as a rotation does.
    ///
    /// Allowed to whoever may [`rotate`](Self::rotate) the secret, and audited as
    /// `Restored`, with the new version and the one it copied
    /// ([`AuditEvent::restored_from`](crate::audit::AuditEvent::restored_from)).
    ///
    /// # Errors
    ///
    /// As [`rotate`](Self::rotate): `permission_denied`, `not_found` (the secret,
    /// or the version: never kept, or dropped beyond
    /// [`with_versions_kept`](Self::with_versions_kept)), `conflict`; `tampered`
    /// when the kept record does not open as that version of that key in the
    /// history slot (a row moved or copied by someone who can write the database);
    /// `store`.
    pub async fn restore(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
    ) -> Result<SecretMeta, Error> {
        let call = Call::new(
            AuditKind::Restored,
            actor,
            Some(scope),
            slice::from_ref(key),
        );
        call.restored_from(version);
        self.audited(&call, self.restore_body(&call, actor, scope, key, version))
            .await
    }

    async fn restore_body(
        &self,
        call: &Call<'_>,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
    ) -> Result<SecretMeta, Error> {
        for _ in 0..super::secrets::CAS_RETRIES {
            let record = self.existing(actor, Operation::Rotate, scope, key).await?;
            let kept = self
                .kept(scope, key)
                .await?
                .into_iter()
                .find(|k| k.meta.version == version)
                .ok_or_else(|| Error::VersionNotFound {
                    scope: scope.clone(),
                    key: key.clone(),
                    version,
                })?;
            // Opened with the scope, key and version asked for, in the history slot.
            let value =
                self.vault
                    .unseal_for(RecordRole::History, scope, key, version, &kept.sealed)?;
            let now = self.now();
            let revision = record.meta.revision;
            let expect = Expect::Revision(revision);
            let mut meta = record.meta.clone();
            meta.version += 1;
            meta.updated_by = actor.user.clone();
            meta.updated_at = now;
            meta.value_changed_at = now;
            let new = NewVersion {
                scope,
                key,
                version: meta.version,
                value: &value,
                by: &actor.user,
                at: now,
                reason: VersionReason::Restore,
                restored_from: Some(version),
            };
            let mut batch = WriteBatch::new();
            batch.push(WriteOp::Put {
                record: StoredSecret {
                    meta: meta.clone(),
                    sealed: self.vault.seal(scope, key, meta.version, &value)?,
                },
                expect,
            });
            for op in self.keep_ops(&new, Some(&record), expect)? {
                batch.push(op);
            }
            match self.store.write(batch).await {
                Ok(()) => {
                    call.version(meta.version);
                    self.written(&value);
                    meta.revision = revision + 1;
                    return Ok(meta);
                }
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Error::Conflict)
    }

    /// The store's kept versions of `key` in `scope`, checked against the request.
    async fn kept(&self, scope: &Scope, key: &SecretKey) -> Result<Vec<KeptVersion>, Error> {
        super::binding::kept(scope, key, self.store.versions(scope, key).await?)
    }
}
