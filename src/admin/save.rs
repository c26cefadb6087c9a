//! Saving a settings page: several edits of one scope, all or nothing.

use std::collections::HashSet;
use std::slice;

use super::Secrets;
use super::audited::Call;
use super::binding;
use super::secrets::{CAS_RETRIES, SecretDetails};
use super::versions::NewVersion;
use crate::access::{self, Operation};
use crate::audit::AuditKind;
use crate::store::{
    Expect, SecretMeta, SecretStore, StoreError, StoredSecret, VersionReason, WriteBatch, WriteOp,
};
use crate::vocab::{Actor, Error, Scope, SecretKey, SecretValue};

/// One row of a settings page's save: see [`Secrets::save`].
///
/// Build one with [`create`](Self::create), [`rotate`](Self::rotate),
/// [`details`](Self::details), [`rename`](Self::rename) or
/// [`delete`](Self::delete); an update may combine a new value, new details and a
/// new name ([`with_value`](Self::with_value), [`with_details`](Self::with_details),
/// [`renamed_to`](Self::renamed_to)), as one row of the page edits all three.
/// `Debug` never shows a value (a [`SecretValue`] prints as redacted).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Edit {
    /// A new secret at version 1, with its details.
    Create {
        /// Its key; refused (`invalid_key`) when it looks like a token.
        key: SecretKey,
        /// Its value.
        value: SecretValue,
        /// Its details.
        details: SecretDetails,
    },
    /// Changes to an existing secret: each part that is `Some`.
    Update {
        /// The secret's key as it is now.
        key: SecretKey,
        /// A new value: the next version.
        value: Option<SecretValue>,
        /// New details (display name, description, members), replacing the old.
        details: Option<SecretDetails>,
        /// A new name ([`Secrets::rename`]).
        rename_to: Option<SecretKey>,
    },
    /// Deletes a secret and its kept versions.
    Delete {
        /// Its key.
        key: SecretKey,
    },
}

impl Edit {
    /// Creates `key` with `value` and no details.
    pub fn create(key: SecretKey, value: SecretValue) -> Edit {
        Edit::Create {
            key,
            value,
            details: SecretDetails::default(),
        }
    }

    /// Gives `key` a new value.
    pub fn rotate(key: SecretKey, value: SecretValue) -> Edit {
        Edit::update(key).with_value(value)
    }

    /// Replaces the details of `key`.
    pub fn details(key: SecretKey, details: SecretDetails) -> Edit {
        Edit::update(key).with_details(details)
    }

    /// Renames `from` to `to`.
    pub fn rename(from: SecretKey, to: SecretKey) -> Edit {
        Edit::update(from).renamed_to(to)
    }

    /// Deletes `key`.
    pub fn delete(key: SecretKey) -> Edit {
        Edit::Delete { key }
    }

    fn update(key: SecretKey) -> Edit {
        Edit::Update {
            key,
            value: None,
            details: None,
            rename_to: None,
        }
    }

    /// This edit with a new value too (an update), or another value (a create).
    /// A delete is left as it is.
    pub fn with_value(mut self, new: SecretValue) -> Edit {
        match &mut self {
            Edit::Create { value, .. } => *value = new,
            Edit::Update { value, .. } => *value = Some(new),
            Edit::Delete { .. } => {}
        }
        self
    }

    /// This edit with these details too. A delete is left as it is.
    pub fn with_details(mut self, new: SecretDetails) -> Edit {
        match &mut self {
            Edit::Create { details, .. } => *details = new,
            Edit::Update { details, .. } => *details = Some(new),
            Edit::Delete { .. } => {}
        }
        self
    }

    /// This update with a new name too. A create or a delete is left as it is
    /// (create the new name instead).
    pub fn renamed_to(mut self, to: SecretKey) -> Edit {
        if let Edit::Update { rename_to, .. } = &mut self {
            *rename_to = Some(to);
        }
        self
    }

    /// The key the edit names, as it is before the save.
    fn key(&self) -> &SecretKey {
        match self {
            Edit::Create { key, .. } | Edit::Update { key, .. } | Edit::Delete { key } => key,
        }
    }
}

/// What [`Secrets::save`] wrote: never a value.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SaveReport {
    /// The metadata of every secret created or updated, in the order of the edits,
    /// under its new name where it was renamed.
    pub saved: Vec<SecretMeta>,
    /// The keys deleted, in the order of the edits.
    pub deleted: Vec<SecretKey>,
}

/// The audited changes of one edit, in the order `save` records them.
fn changes<'a>(actor: &'a Actor, scope: &'a Scope, edit: &Edit) -> Vec<Call<'a>> {
    // A name that looks like a token is never named in an event (as `create`).
    let named = |key: &SecretKey| {
        if key.check_new_name().is_ok() {
            vec![key.clone()]
        } else {
            Vec::new()
        }
    };
    let call = |kind, keys: &[SecretKey]| Call::new(kind, actor, Some(scope), keys);
    match edit {
        Edit::Create { key, .. } => vec![call(AuditKind::Created, &named(key))],
        Edit::Delete { key } => vec![call(AuditKind::Deleted, slice::from_ref(key))],
        Edit::Update {
            key,
            value,
            details,
            rename_to,
        } => {
            let mut calls = Vec::new();
            if let Some(to) = rename_to {
                let mut keys = vec![key.clone()];
                keys.extend(named(to));
                calls.push(call(AuditKind::Renamed, &keys));
            }
            // Named by the key the change lands on.
            let now = rename_to.as_ref().unwrap_or(key);
            let now = if rename_to.is_some() {
                named(now)
            } else {
                vec![now.clone()]
            };
            if value.is_some() {
                calls.push(call(AuditKind::Rotated, &now));
            }
            if details.is_some() {
                calls.push(call(AuditKind::DetailsChanged, &now));
            }
            calls
        }
    }
}

impl<S: SecretStore> Secrets<S> {
    /// Applies several edits of one scope all or nothing, as a settings page's Save
    /// button needs: creates, new values, details, renames and deletes, written in
    /// one batch with one compare-and-swap per record touched (its revision as read,
    /// or its absence for a create or a rename's new name). Either every edit lands,
    /// or none does and the call fails with the first reason met.
    ///
    /// Each edit is checked as its single call would be ([`create`](Self::create),
    /// [`rotate`](Self::rotate), [`set_details`](Self::set_details),
    /// [`rename`](Self::rename), [`delete`](Self::delete)), and each change is
    /// audited as that call: one event per change (an update with a new name, a
    /// new value and new details records `Renamed`, `Rotated` and `DetailsChanged`),
    /// all with the save's outcome. A save of no edits, or an update that changes
    /// nothing (no value, details or name), writes and records nothing for it.
    /// Kept versions are written as the single calls write them.
    ///
    /// A conflict with another writer re-reads and tries again, as the single calls
    /// do; a create whose key appeared meanwhile then fails (`already_exists`).
    ///
    /// # Errors
    ///
    /// `invalid_batch` when a key is touched by two edits (a rename's new name
    /// included); otherwise each edit's own errors (`invalid_key`,
    /// `already_exists`, `not_found`, `permission_denied`, `invalid_details`), and
    /// `conflict`, `store`, `tampered`, `unknown_key_id`.
    ///
    /// # Example
    ///
    /// ```
    /// use workflow_secrets::admin::Edit;
    /// use workflow_secrets::{
    ///     Actor, LocalKeyring, MemoryStore, Scope, SecretDetails, SecretKey, SecretValue,
    ///     Secrets, UserId, Vault, WorkspaceId, WorkspaceRole,
    /// };
    ///
    /// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), MemoryStore::new());
    /// let acme = WorkspaceId::new("acme")?;
    /// let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let scope = Scope::workspace(acme);
    /// let k = |name: &str| SecretKey::new(name);
    /// let v = |text: &str| SecretValue::new(text);
    /// pollster::block_on(async {
    ///     secrets.create(&ada, &scope, &k("OLD_TOKEN")?, v("tok-1111")?).await?;
    ///     secrets.create(&ada, &scope, &k("UNUSED")?, v("tok-2222")?).await?;
    ///     let prod = SecretDetails { display_name: Some("Production".into()), ..Default::default() };
    ///     let report = secrets
    ///         .save(&ada, &scope, vec![
    ///             Edit::create(k("OPENAI_API_KEY")?, v("sk-3333")?),
    ///             Edit::rename(k("OLD_TOKEN")?, k("SLACK_TOKEN")?)
    ///                 .with_value(v("xoxb-4444")?)
    ///                 .with_details(prod),
    ///             Edit::delete(k("UNUSED")?),
    ///         ])
    ///         .await?;
    ///     let saved: Vec<_> = report.saved.iter().map(|m| (m.key.as_str(), m.version)).collect();
    ///     assert_eq!(saved, [("OPENAI_API_KEY", 1), ("SLACK_TOKEN", 2)]);
    ///     assert_eq!(report.deleted, [k("UNUSED")?]);
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn save(
        &self,
        actor: &Actor,
        scope: &Scope,
        edits: Vec<Edit>,
    ) -> Result<SaveReport, Error> {
        let calls: Vec<Vec<Call<'_>>> = edits.iter().map(|e| changes(actor, scope, e)).collect();
        let flat: Vec<&Call<'_>> = calls.iter().flatten().collect();
        let body = self.save_body(&calls, actor, scope, &edits);
        let result = body.await;
        for call in flat {
            self.record(call, result.as_ref().map(|_| ()));
        }
        result
    }

    async fn save_body(
        &self,
        calls: &[Vec<Call<'_>>],
        actor: &Actor,
        scope: &Scope,
        edits: &[Edit],
    ) -> Result<SaveReport, Error> {
        if edits.is_empty() {
            return Ok(SaveReport::default());
        }
        access::check_tenancy(actor, scope.workspace_id())?;
        // Every name the save touches, before and after: each at most once.
        let mut touched = HashSet::new();
        for edit in edits {
            let mut names = vec![edit.key()];
            match edit {
                Edit::Create { key, details, .. } => {
                    key.check_new_name()?;
                    access::check(actor, Operation::Create, scope, None)?;
                    details.check()?;
                }
                Edit::Update {
                    rename_to, details, ..
                } => {
                    if let Some(to) = rename_to {
                        to.check_new_name()?;
                        names.push(to);
                    }
                    if let Some(details) = details {
                        details.check()?;
                    }
                }
                Edit::Delete { .. } => {}
            }
            for name in names {
                if !touched.insert(name) {
                    return Err(Error::InvalidBatch {
                        reason: format!("{name} is touched by two edits of one save"),
                    });
                }
            }
        }
        let names: Vec<SecretKey> = touched.into_iter().cloned().collect();
        for _ in 0..CAS_RETRIES {
            let found = self.store.get_many(slice::from_ref(scope), &names).await?;
            let mut current = std::collections::HashMap::new();
            for (name, record) in names.iter().zip(found) {
                if let Some(record) = binding::bound(scope, name, record)? {
                    current.insert(name.clone(), record);
                }
            }
            let now = self.now();
            let mut batch = WriteBatch::new();
            let mut report = SaveReport::default();
            let mut versions = Vec::with_capacity(edits.len());
            for edit in edits {
                let version = self
                    .save_edit(actor, scope, edit, &current, now, &mut batch, &mut report)
                    .await?;
                versions.push(version);
            }
            // Edits that change nothing leave nothing to write; a store is never
            // given an empty batch.
            let written = if batch.is_empty() {
                Ok(())
            } else {
                self.store.write(batch).await
            };
            match written {
                Ok(()) => {
                    for (edit_calls, version) in calls.iter().zip(versions) {
                        for call in edit_calls {
                            if let Some(version) = version {
                                call.version(version);
                            }
                        }
                    }
                    for edit in edits {
                        match edit {
                            Edit::Create { value, .. }
                            | Edit::Update {
                                value: Some(value), ..
                            } => self.written(value),
                            _ => {}
                        }
                    }
                    return Ok(report);
                }
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Error::Conflict)
    }

    /// Adds one edit's ops to `batch` and its result to `report`; the version the
    /// edit's events name (`None` for a delete).
    #[allow(clippy::too_many_arguments)] // one edit's whole context; a private step
    async fn save_edit(
        &self,
        actor: &Actor,
        scope: &Scope,
        edit: &Edit,
        current: &std::collections::HashMap<SecretKey, StoredSecret>,
        now: u64,
        batch: &mut WriteBatch,
        report: &mut SaveReport,
    ) -> Result<Option<u64>, Error> {
        let not_found = |key: &SecretKey| Error::NotFound {
            scope: scope.clone(),
            key: key.clone(),
        };
        let taken = |key: &SecretKey| Error::AlreadyExists {
            what: format!("secret {key} in the {scope}"),
        };
        match edit {
            Edit::Create {
                key,
                value,
                details,
            } => {
                if current.contains_key(key) {
                    return Err(taken(key));
                }
                let mut meta = SecretMeta::new(scope.clone(), key.clone(), actor.user.clone(), now);
                meta.display_name = details.display_name.clone();
                meta.description = details.description.clone();
                meta.members = details.members.clone();
                let new = NewVersion {
                    scope,
                    key,
                    version: 1,
                    value,
                    by: &actor.user,
                    at: now,
                    reason: VersionReason::Create,
                    restored_from: None,
                };
                let sealed = self.vault.seal(scope, key, 1, value)?;
                batch.push(WriteOp::Put {
                    record: StoredSecret {
                        meta: meta.clone(),
                        sealed,
                    },
                    expect: Expect::Absent,
                });
                for op in self.keep_ops(&new, None, Expect::Absent)? {
                    batch.push(op);
                }
                meta.revision = 1;
                report.saved.push(meta);
                Ok(Some(1))
            }
            Edit::Delete { key } => {
                let record = current.get(key).ok_or_else(|| not_found(key))?;
                access::check(actor, Operation::Delete, scope, Some(&record.meta.members))?;
                batch.push(WriteOp::Delete {
                    scope: scope.clone(),
                    key: key.clone(),
                    expect: Expect::Revision(record.meta.revision),
                });
                report.deleted.push(key.clone());
                Ok(Some(record.meta.version))
            }
            Edit::Update {
                key,
                value,
                details,
                rename_to,
            } => {
                let record = current.get(key).ok_or_else(|| not_found(key))?;
                if value.is_none() && details.is_none() && rename_to.is_none() {
                    // Changes nothing: no write (it would move `updated_by` with no
                    // permission checked and no event), no event, not in the report.
                    return Ok(None);
                }
                let members = Some(&record.meta.members);
                if value.is_some() {
                    access::check(actor, Operation::Rotate, scope, members)?;
                }
                if details.is_some() {
                    access::check(actor, Operation::SetDetails, scope, members)?;
                }
                let revision = record.meta.revision;
                // Where the record lands: under its new name (a new record, expected
                // absent) or where it is (at its revision).
                let (name, expect, mut ops) = match rename_to {
                    Some(to) => {
                        access::check(actor, Operation::Delete, scope, members)?;
                        access::check(actor, Operation::Create, scope, None)?;
                        if current.contains_key(to) {
                            return Err(taken(to));
                        }
                        let kept =
                            binding::kept(scope, key, self.store.versions(scope, key).await?)?;
                        let renamed =
                            self.renamed(scope, key, to, record.clone(), kept, revision)?;
                        (to, Expect::Absent, renamed.ops)
                    }
                    None => {
                        let put = WriteOp::Put {
                            record: record.clone(),
                            expect: Expect::Revision(revision),
                        };
                        (key, Expect::Revision(revision), vec![put])
                    }
                };
                let at = ops
                    .iter()
                    .position(|op| matches!(op, WriteOp::Put { .. }))
                    .ok_or(Error::Conflict)?;
                let Some(WriteOp::Put { record: next, .. }) = ops.get_mut(at) else {
                    return Err(Error::Conflict);
                };
                let before = next.clone();
                next.meta.updated_by = actor.user.clone();
                next.meta.updated_at = now;
                if let Some(details) = details {
                    next.meta.display_name = details.display_name.clone();
                    next.meta.description = details.description.clone();
                    next.meta.members = details.members.clone();
                }
                let mut kept = Vec::new();
                if let Some(value) = value {
                    let new = NewVersion {
                        scope,
                        key: name,
                        version: before.meta.version + 1,
                        value,
                        by: &actor.user,
                        at: now,
                        reason: VersionReason::Rotate,
                        restored_from: None,
                    };
                    // `before` is the record as it lands (under the new name, sealed
                    // in format 2, after a rename): its kept copy is in `ops` already.
                    kept = self.keep_ops(&new, Some(&before), expect)?;
                    next.meta.version = new.version;
                    next.meta.value_changed_at = now;
                    next.sealed = self.vault.seal(scope, name, new.version, value)?;
                }
                let mut meta = next.meta.clone();
                meta.revision = if rename_to.is_some() { 1 } else { revision + 1 };
                for op in ops.into_iter().chain(kept) {
                    batch.push(op);
                }
                let version = meta.version;
                report.saved.push(meta);
                Ok(Some(version))
            }
        }
    }
}
