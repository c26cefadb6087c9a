//! `Secrets`: the management calls, each checked, written with compare-and-swap, audited.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::slice;
use std::sync::Arc;
use std::time::Duration;

use subtle::ConstantTimeEq;

use super::audited::Call;
use super::binding;
use super::versions::NewVersion;
use crate::access::{self, Operation};
use crate::audit::{AuditKind, AuditSink};
use crate::crypto::{RecordRole, Vault};
use crate::redact::{PlatformRedactor, Redactor};
use crate::store::{
    DEFAULT_VERSIONS_KEPT, Expect, KeptVersion, MAX_VERSIONS_KEPT, SecretMeta, SecretStore,
    StoreError, StoredSecret, Usage, VersionReason, WriteBatch, WriteOp,
};
use crate::vocab::{
    Actor, Clock, Error, ErrorCode, Scope, SecretKey, SecretRole, SecretValue, SystemClock, UserId,
    WorkflowId,
};

/// How many times a write that lost a compare-and-swap race re-reads and retries.
/// Each retry starts from the record as it now is, so no one's write is lost.
pub(super) const CAS_RETRIES: usize = 8;

/// A secret's details: everything an admin may edit besides its value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretDetails {
    /// A name for people.
    pub display_name: Option<String>,
    /// A free-text description.
    pub description: Option<String>,
    /// Per-secret roles.
    pub members: BTreeMap<UserId, SecretRole>,
}

impl SecretDetails {
    /// The longest display name, in bytes.
    pub const MAX_DISPLAY_NAME: usize = 256;
    /// The longest description, in bytes.
    pub const MAX_DESCRIPTION: usize = 4096;
    /// The most per-secret members.
    pub const MAX_MEMBERS: usize = 1000;

    /// The details rule, the one place it lives: the display name and the
    /// description hold no NUL character (PostgreSQL's `text` cannot store one: it
    /// refused with a bare store error where the other stores kept it, so every
    /// store refuses it the same way, before anything is written), and each part
    /// has a bound ([`MAX_DISPLAY_NAME`](Self::MAX_DISPLAY_NAME),
    /// [`MAX_DESCRIPTION`](Self::MAX_DESCRIPTION),
    /// [`MAX_MEMBERS`](Self::MAX_MEMBERS)), so what a listing reads per record is
    /// bounded too.
    pub(super) fn check(&self) -> Result<(), Error> {
        for (field, text, max) in [
            ("display_name", &self.display_name, Self::MAX_DISPLAY_NAME),
            ("description", &self.description, Self::MAX_DESCRIPTION),
        ] {
            if text.as_deref().is_some_and(|t| t.contains('\0')) {
                return Err(Error::InvalidDetails {
                    field,
                    reason: "holds a NUL character",
                });
            }
            if text.as_deref().is_some_and(|t| t.len() > max) {
                return Err(Error::InvalidDetails {
                    field,
                    reason: "is longer than its bound",
                });
            }
        }
        if self.members.len() > Self::MAX_MEMBERS {
            return Err(Error::InvalidDetails {
                field: "members",
                reason: "are more than their bound",
            });
        }
        Ok(())
    }
}

/// What a checked delete ([`Secrets::delete_checked`]) or a checked rename
/// ([`Secrets::rename_checked`]) refuses on: recent use, and the workflows the host
/// says reference the key (a rename breaks their references as a delete does).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use workflow_secrets::WorkflowId;
/// use workflow_secrets::admin::DeleteCheck;
///
/// let check = DeleteCheck::used_within(Duration::from_secs(30 * 24 * 60 * 60))
///     .declared_by([WorkflowId::new("invoice-sync")?]);
/// assert_eq!(check.window(), Duration::from_secs(2_592_000));
/// # Ok::<(), workflow_secrets::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteCheck {
    window: Duration,
    declared: BTreeSet<WorkflowId>,
}

impl DeleteCheck {
    /// Refuses when a workflow resolved the secret (from its scope, by its key)
    /// within `window` before now: its recorded
    /// [`last_used_at`](crate::store::Usage::last_used_at) is at most `window` old
    /// (a time ahead of the clock counts as now).
    pub fn used_within(window: Duration) -> DeleteCheck {
        DeleteCheck {
            window,
            declared: BTreeSet::new(),
        }
    }

    /// Refuses also when any of `workflows` is given: the host's word that they
    /// reference the key (their definitions name it, whether or not they ran).
    /// Adds to the workflows given before.
    pub fn declared_by(mut self, workflows: impl IntoIterator<Item = WorkflowId>) -> DeleteCheck {
        self.declared.extend(workflows);
        self
    }

    /// The window of recent use.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The workflows the host said reference the key, sorted.
    pub fn declared(&self) -> impl Iterator<Item = &WorkflowId> {
        self.declared.iter()
    }
}

/// What [`Secrets::rewrap_all`] did, key by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RewrapReport {
    /// Moved to the active key-encryption key.
    pub rewrapped: Vec<SecretKey>,
    /// Already under the active key.
    pub already_current: Vec<SecretKey>,
    /// Changed by someone else on every try: run again.
    pub conflicted: Vec<SecretKey>,
    /// Could not be opened, with the error code (`unknown_key_id`, `tampered`, or
    /// `key_backend`, which is worth retrying): keep the old key until these are dealt
    /// with.
    pub failed: Vec<(SecretKey, ErrorCode)>,
}

/// The management side: create, rotate, edit, delete, list, import, re-wrap, purge,
/// and the kept versions of each key ([`versions`](Self::versions),
/// [`restore`](Self::restore)).
///
/// Values are write-only: no call here returns one. Every call checks the actor (the
/// rules live in one place: tenancy first, then roles), writes through one
/// [`WriteBatch`] with compare-and-swap on the record's revision, and records an
/// [`AuditEvent`](crate::audit::AuditEvent): exactly one per call, whatever its end
/// (a success, a refusal, a store failure after the check), naming the actor and
/// whether they are external.
///
/// # Example
///
/// ```
/// use workflow_secrets::{
///     Actor, Error, LocalKeyring, MemoryStore, Scope, SecretKey, SecretValue, Secrets, UserId,
///     Vault, WorkspaceId, WorkspaceRole,
/// };
///
/// # fn main() -> Result<(), Error> { pollster::block_on(async {
/// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), MemoryStore::new());
/// let acme = WorkspaceId::new("acme")?;
/// let admin = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
/// let scope = Scope::workspace(acme);
/// let key = SecretKey::new("OPENAI_API_KEY")?;
/// let meta = secrets.create(&admin, &scope, &key, SecretValue::new("sk-1")?).await?;
/// assert_eq!(meta.version, 1);
/// let meta = secrets.rotate(&admin, &scope, &key, SecretValue::new("sk-2")?).await?;
/// assert_eq!(meta.version, 2);
/// assert_eq!(secrets.list(&admin, &scope).await?.len(), 1);
/// # Ok(()) }) }
/// ```
///
/// A cheap `Clone` handle: its clones share the store, the vault, the audit sink and
/// the clock, so each request handler or task can own one.
pub struct Secrets<S> {
    pub(super) vault: Vault,
    pub(super) store: Arc<S>,
    pub(super) audit: Option<Arc<dyn AuditSink>>,
    clock: Arc<dyn Clock>,
    /// The host's process-wide redactor, fed every value written.
    pub(super) platform: Option<PlatformRedactor>,
    /// How many versions of each key every write keeps, 1..=`MAX_VERSIONS_KEPT`.
    pub(super) versions_kept: usize,
}

// By hand: every field is a shared handle, whatever `S` is (a derive would ask `S: Clone`).
impl<S> Clone for Secrets<S> {
    fn clone(&self) -> Self {
        Secrets {
            vault: self.vault.clone(),
            store: self.store.clone(),
            audit: self.audit.clone(),
            clock: self.clock.clone(),
            platform: self.platform.clone(),
            versions_kept: self.versions_kept,
        }
    }
}

impl<S> fmt::Debug for Secrets<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("audit", &self.audit.is_some())
            .finish_non_exhaustive()
    }
}

impl<S: SecretStore> Secrets<S> {
    /// Management over `store`, sealing with `vault`.
    pub fn new(vault: Vault, store: S) -> Self {
        Secrets {
            vault,
            store: Arc::new(store),
            audit: None,
            clock: Arc::new(SystemClock),
            platform: None,
            versions_kept: DEFAULT_VERSIONS_KEPT,
        }
    }

    /// Keeps the last `n` versions of each key (the current one included) for
    /// [`restore`](Self::restore); 10 ([`DEFAULT_VERSIONS_KEPT`]) unless set. `n` is
    /// taken into 1..=[`MAX_VERSIONS_KEPT`] (100): the current version is always
    /// kept, and no key holds more rows than that bound. Older versions are dropped
    /// by the next write of the key.
    ///
    /// Every write of a value seals it twice (current and kept), so it costs one
    /// more key wrap: one more call to a remote key service, if the vault's
    /// [`KeyWrapper`](crate::crypto::KeyWrapper) is one.
    pub fn with_versions_kept(mut self, n: usize) -> Self {
        self.versions_kept = n.clamp(1, MAX_VERSIONS_KEPT);
        self
    }

    /// Records every call in `sink`.
    pub fn with_audit(mut self, sink: impl AuditSink + 'static) -> Self {
        self.audit = Some(Arc::new(sink));
        self
    }

    /// Reads time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Feeds `platform` every value written (`create`, `rotate`, `put`, `import_env`)
    /// once the write succeeded, so a host that logs through
    /// `redact::MaskingMakeWriter` (feature `tracing`)
    /// cannot print it, nor the value it replaced, which the platform redactor
    /// keeps masked for its retention. See [`PlatformRedactor`].
    pub fn with_platform_redactor(mut self, platform: &PlatformRedactor) -> Self {
        self.platform = Some(platform.clone());
        self
    }

    /// Hands a value just written to the platform redactor, if there is one.
    pub(super) fn written(&self, value: &SecretValue) {
        if let Some(platform) = &self.platform {
            platform.note(value);
        }
    }

    pub(super) fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Stores a new secret at version 1.
    ///
    /// # Errors
    ///
    /// `permission_denied` (workspace and workflow scopes: admins; personal: its owner);
    /// `already_exists` when the key exists in the scope; `store`; first of all `invalid_key` when the name looks like a secret ([`SecretKey::check_new_name`]; audited without the name).
    pub async fn create(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        value: SecretValue,
    ) -> Result<SecretMeta, Error> {
        // A name that looks like a token may itself be secret: refused before anything
        // else, and audited without it (key names are public; this one must not be).
        if let Err(err) = key.check_new_name() {
            let call = Call::new(AuditKind::Created, actor, Some(scope), &[]);
            return self.audited(&call, async { Err(err) }).await;
        }
        let call = Call::new(AuditKind::Created, actor, Some(scope), slice::from_ref(key));
        self.audited(&call, self.create_body(&call, actor, scope, key, value))
            .await
    }

    async fn create_body(
        &self,
        call: &Call<'_>,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        value: SecretValue,
    ) -> Result<SecretMeta, Error> {
        access::check(actor, Operation::Create, scope, None)?;
        let sealed = self.vault.seal(scope, key, 1, &value)?;
        let now = self.now();
        let mut meta = SecretMeta::new(scope.clone(), key.clone(), actor.user.clone(), now);
        let put = WriteOp::Put {
            record: StoredSecret {
                meta: meta.clone(),
                sealed,
            },
            expect: Expect::Absent,
        };
        let new = NewVersion {
            scope,
            key,
            version: 1,
            value: &value,
            by: &actor.user,
            at: now,
            reason: VersionReason::Create,
            restored_from: None,
        };
        let mut batch = WriteBatch::from(vec![put]);
        for op in self.keep_ops(&new, None, Expect::Absent)? {
            batch.push(op);
        }
        match self.store.write(batch).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(Error::AlreadyExists {
                    what: format!("secret {key} in the {scope}"),
                });
            }
            Err(other) => return Err(other.into()),
        }
        meta.revision = 1;
        call.version(1);
        self.written(&value);
        Ok(meta)
    }

    /// Reads a record for an edit and checks the actor against its per-secret roles.
    pub(super) async fn existing(
        &self,
        actor: &Actor,
        op: Operation,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<StoredSecret, Error> {
        // Tenancy and personal ownership are settled before the store is read.
        if let Scope::Personal { .. } = scope {
            access::check(actor, op, scope, None)?;
        }
        access::check_tenancy(actor, scope.workspace_id())?;
        let record = binding::bound(scope, key, self.store.get(scope, key).await?)?;
        let record = record.ok_or_else(|| Error::NotFound {
            scope: scope.clone(),
            key: key.clone(),
        })?;
        access::check(actor, op, scope, Some(&record.meta.members))?;
        Ok(record)
    }

    /// Reads, changes and writes one record with compare-and-swap, re-reading and
    /// retrying when another write won the race, so neither write is lost.
    ///
    /// `change` takes the record and the time of the write, and returns the record
    /// to write and the `Keep` ops that go with it (none for a details edit).
    async fn update(
        &self,
        call: &Call<'_>,
        actor: &Actor,
        op: Operation,
        scope: &Scope,
        key: &SecretKey,
        change: impl Fn(StoredSecret, u64) -> Result<(StoredSecret, Vec<WriteOp>), Error>,
    ) -> Result<SecretMeta, Error> {
        for _ in 0..CAS_RETRIES {
            let record = self.existing(actor, op, scope, key).await?;
            let (revision, version) = (record.meta.revision, record.meta.version);
            let now = self.now();
            let (mut next, kept) = change(record, now)?;
            next.meta.updated_by = actor.user.clone();
            next.meta.updated_at = now;
            // The version moves with the value and only with it (a rotation; never a
            // details edit): a new version is a new value, and its time the value's age.
            if next.meta.version != version {
                next.meta.value_changed_at = now;
            }
            let meta = next.meta.clone();
            let put = WriteOp::Put {
                record: next,
                expect: Expect::Revision(revision),
            };
            let mut batch = WriteBatch::from(vec![put]);
            for op in kept {
                batch.push(op);
            }
            match self.store.write(batch).await {
                Ok(()) => {
                    call.version(meta.version);
                    return Ok(SecretMeta {
                        revision: revision + 1,
                        ..meta
                    });
                }
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Error::Conflict)
    }

    /// The change a rotation makes to a record: the next version, sealed to it,
    /// and kept.
    fn reseal<'a>(
        &'a self,
        actor: &'a Actor,
        scope: &'a Scope,
        key: &'a SecretKey,
        value: &'a SecretValue,
    ) -> impl Fn(StoredSecret, u64) -> Result<(StoredSecret, Vec<WriteOp>), Error> + 'a {
        move |record: StoredSecret, now: u64| {
            let expect = Expect::Revision(record.meta.revision);
            let new = NewVersion {
                scope,
                key,
                version: record.meta.version + 1,
                value,
                by: &actor.user,
                at: now,
                reason: VersionReason::Rotate,
                restored_from: None,
            };
            let kept = self.keep_ops(&new, Some(&record), expect)?;
            let mut next = record;
            next.meta.version = new.version;
            next.sealed = self.vault.seal(scope, key, new.version, value)?;
            Ok((next, kept))
        }
    }

    /// Replaces a secret's value; its version goes up by one. Takes effect at the next
    /// step of any run (a running step keeps what it resolved).
    ///
    /// # Errors
    ///
    /// `permission_denied` (admins, or the secret's own `SecretRole::Admin` members;
    /// personal: its owner); `not_found`; `conflict` when other writes kept winning.
    pub async fn rotate(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        value: SecretValue,
    ) -> Result<SecretMeta, Error> {
        let call = Call::new(AuditKind::Rotated, actor, Some(scope), slice::from_ref(key));
        let change = self.reseal(actor, scope, key, &value);
        let body = async {
            let meta = self
                .update(&call, actor, Operation::Rotate, scope, key, change)
                .await?;
            self.written(&value);
            Ok(meta)
        };
        self.audited(&call, body).await
    }

    /// Creates `key` in `scope` with `value`, or rotates it when it exists: what a
    /// settings page's save does, in one call and one audit event (`Created` or
    /// `Rotated`, as it turned out; a failure is recorded under the kind it was
    /// attempting). A race with another writer is retried: a create that lost to
    /// another create becomes a rotation.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create) for a new key (`invalid_key` for a name that looks
    /// like a secret, audited without the name), as [`rotate`](Self::rotate) for an
    /// existing one; `conflict` when other writes kept winning.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use workflow_secrets::{
    ///     Actor, LocalKeyring, MemoryStore, Scope, SecretKey, SecretValue, Secrets, UserId,
    ///     Vault, WorkspaceId, WorkspaceRole,
    /// };
    ///
    /// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), Arc::new(MemoryStore::new()));
    /// let acme = WorkspaceId::new("acme")?;
    /// let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let (scope, key) = (Scope::workspace(acme), SecretKey::new("API_KEY")?);
    /// let first = pollster::block_on(secrets.put(&ada, &scope, &key, SecretValue::new("v1-abcdefgh")?))?;
    /// let second = pollster::block_on(secrets.put(&ada, &scope, &key, SecretValue::new("v2-abcdefgh")?))?;
    /// assert_eq!((first.version, second.version), (1, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn put(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        value: SecretValue,
    ) -> Result<SecretMeta, Error> {
        let call = Call::new(AuditKind::Rotated, actor, Some(scope), slice::from_ref(key));
        self.audited(&call, self.put_body(&call, actor, scope, key, value))
            .await
    }

    async fn put_body(
        &self,
        call: &Call<'_>,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        value: SecretValue,
    ) -> Result<SecretMeta, Error> {
        for _ in 0..CAS_RETRIES {
            call.kind(AuditKind::Rotated);
            let change = self.reseal(actor, scope, key, &value);
            match self
                .update(call, actor, Operation::Rotate, scope, key, change)
                .await
            {
                Err(Error::NotFound { .. }) => {}
                Ok(meta) => {
                    self.written(&value);
                    return Ok(meta);
                }
                failed => return failed,
            }
            call.kind(AuditKind::Created);
            if let Err(err) = key.check_new_name() {
                // As `create`: a name that looks like a token is not named.
                call.keys(Vec::new());
                return Err(err);
            }
            match self
                .create_body(call, actor, scope, key, value.clone())
                .await
            {
                Err(Error::AlreadyExists { .. }) => {} // created meanwhile: rotate it
                done => return done,
            }
        }
        Err(Error::Conflict)
    }

    /// One secret's metadata, by key: what a settings page shows for one row. Never
    /// the value. Audited as `Listed`, naming the key.
    ///
    /// # Errors
    ///
    /// `permission_denied` (any member of the workspace for workspace and workflow
    /// scopes, as [`list`](Self::list); personal: its owner); `not_found`; `store`.
    pub async fn meta(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<SecretMeta, Error> {
        let call = Call::new(AuditKind::Listed, actor, Some(scope), slice::from_ref(key));
        let body = async {
            let record = self.existing(actor, Operation::List, scope, key).await?;
            call.version(record.meta.version);
            Ok(record.meta)
        };
        self.audited(&call, body).await
    }

    /// Whether `candidate` equals the stored value of `key` in `scope`, without the
    /// value leaving the crate: for "is this still the key we have?" checks during a
    /// migration or an incident. Allowed only to actors who may
    /// [`rotate`](Self::rotate) the secret (admins or its own `SecretRole::Admin`
    /// members; a personal secret: its owner), and audited as `Verified` (the key and
    /// version, never the candidate, nor whether it matched).
    ///
    /// The comparison takes the same time wherever the two first differ (`subtle`'s
    /// constant-time equality); a candidate of another length than the value is
    /// refused after the same unseal, but how long that comparison takes may tell
    /// the lengths apart.
    ///
    /// **Risk: this is an oracle.** Anyone who may call it can test guesses; a value
    /// with little entropy (a short password) can be found by trying. Rate-limit it
    /// per actor and per secret, as a login form would be, and watch `Verified`
    /// events.
    ///
    /// # Errors
    ///
    /// As [`rotate`](Self::rotate) (`permission_denied`, `not_found`), and the
    /// unseal's (`tampered`, `unknown_key_id`, `key_backend`).
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use workflow_secrets::{
    ///     Actor, LocalKeyring, MemoryStore, Scope, SecretKey, SecretValue, Secrets, UserId,
    ///     Vault, WorkspaceId, WorkspaceRole,
    /// };
    ///
    /// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), Arc::new(MemoryStore::new()));
    /// let acme = WorkspaceId::new("acme")?;
    /// let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let (scope, key) = (Scope::workspace(acme), SecretKey::new("API_KEY")?);
    /// pollster::block_on(secrets.create(&ada, &scope, &key, SecretValue::new("sk-live-1234")?))?;
    /// let check = |guess: &str| pollster::block_on(secrets.verify(&ada, &scope, &key, &SecretValue::new(guess)?));
    /// assert!(check("sk-live-1234")?);
    /// assert!(!check("sk-live-9999")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn verify(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        candidate: &SecretValue,
    ) -> Result<bool, Error> {
        let call = Call::new(
            AuditKind::Verified,
            actor,
            Some(scope),
            slice::from_ref(key),
        );
        let body = async {
            let record = self.existing(actor, Operation::Rotate, scope, key).await?;
            let version = record.meta.version;
            call.version(version);
            let value = self.vault.unseal(scope, key, version, &record.sealed)?;
            let same = value
                .expose_secret()
                .as_bytes()
                .ct_eq(candidate.expose_secret().as_bytes());
            Ok(bool::from(same))
        };
        self.audited(&call, body).await
    }

    /// Replaces a secret's details (display name, description, members).
    ///
    /// # Errors
    ///
    /// `invalid_details` when the display name or description holds a NUL
    /// character (checked first, so nothing is written, the same on every store);
    /// otherwise as [`rotate`](Self::rotate).
    pub async fn set_details(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        details: SecretDetails,
    ) -> Result<SecretMeta, Error> {
        let kind = AuditKind::DetailsChanged;
        let call = Call::new(kind, actor, Some(scope), slice::from_ref(key));
        let change = |mut record: StoredSecret, _now| {
            record.meta.display_name = details.display_name.clone();
            record.meta.description = details.description.clone();
            record.meta.members = details.members.clone();
            Ok((record, Vec::new()))
        };
        let body = async {
            details.check()?;
            self.update(&call, actor, Operation::SetDetails, scope, key, change)
                .await
        };
        self.audited(&call, body).await
    }

    /// Deletes a secret: every later resolution misses it. Unchecked: it does not
    /// ask whether workflows use the secret ([`delete_checked`](Self::delete_checked)
    /// does), and leaves its usage rows ([`usage`](Self::usage)).
    ///
    /// # Errors
    ///
    /// `permission_denied` (workspace and workflow scopes: admins; personal: its
    /// owner); `not_found`; `store`.
    pub async fn delete(&self, actor: &Actor, scope: &Scope, key: &SecretKey) -> Result<(), Error> {
        let call = Call::new(AuditKind::Deleted, actor, Some(scope), slice::from_ref(key));
        self.audited(&call, self.delete_body(&call, actor, scope, key))
            .await
    }

    async fn delete_body(
        &self,
        call: &Call<'_>,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<(), Error> {
        let record = self.existing(actor, Operation::Delete, scope, key).await?;
        self.remove(call, scope, key, record.meta.version).await
    }

    /// The write of a delete, once checked: the record of `version` goes.
    async fn remove(
        &self,
        call: &Call<'_>,
        scope: &Scope,
        key: &SecretKey,
        version: u64,
    ) -> Result<(), Error> {
        let delete = WriteOp::Delete {
            scope: scope.clone(),
            key: key.clone(),
            expect: Expect::Any,
        };
        self.store.write(WriteBatch::from(vec![delete])).await?;
        call.version(version);
        Ok(())
    }

    /// Deletes a secret unless workflows use it: the delete to offer people who may
    /// not know what depends on a key. Refused with `secret_in_use`, naming the
    /// workflows (sorted, without repeats), when
    ///
    /// - a workflow resolved `key` from `scope` within `check`'s window, as the
    ///   store's usage rows say ([`usage`](Self::usage)), or
    /// - the host named workflows that reference it ([`DeleteCheck::declared_by`]).
    ///
    /// Otherwise the secret is deleted as by [`delete`](Self::delete), which stays
    /// the unchecked delete (for admins, and a personal scope's owner). Who may
    /// call it is `delete`'s rule, checked first; one `Deleted` event either way,
    /// with `secret_in_use` as its outcome on a refusal (the event names the key,
    /// not the workflows).
    ///
    /// Usage is what the resolvers flushed: marks still in a resolver's memory are
    /// not seen (flush before a check that must see them), and a stored time may be
    /// up to the recording interval earlier than the last resolution, so choose a
    /// window longer than that interval. A workflow that resolves the key after the
    /// check and before the delete is not seen either. A store that keeps no usage
    /// fails the call (`store`): it never counts as unused.
    ///
    /// # Errors
    ///
    /// `secret_in_use`; as [`delete`](Self::delete): `permission_denied`,
    /// `not_found`, `store`.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use workflow_secrets::admin::DeleteCheck;
    /// use workflow_secrets::{
    ///     Actor, LocalKeyring, MemoryStore, Scope, SecretKey, SecretValue, Secrets, UserId,
    ///     Vault, WorkflowId, WorkspaceId, WorkspaceRole,
    /// };
    ///
    /// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), MemoryStore::new());
    /// let acme = WorkspaceId::new("acme")?;
    /// let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let (scope, key) = (Scope::workspace(acme), SecretKey::new("API_KEY")?);
    /// pollster::block_on(secrets.create(&ada, &scope, &key, SecretValue::new("sk-live-1234")?))?;
    ///
    /// let check = DeleteCheck::used_within(Duration::from_secs(7 * 24 * 3600))
    ///     .declared_by([WorkflowId::new("billing")?]);
    /// let err = pollster::block_on(secrets.delete_checked(&ada, &scope, &key, &check)).unwrap_err();
    /// assert_eq!((err.code(), err.http_status()), ("secret_in_use", 409));
    /// assert!(err.to_string().contains("billing"));
    ///
    /// // Nothing uses it now: deleted.
    /// let check = DeleteCheck::used_within(Duration::from_secs(7 * 24 * 3600));
    /// pollster::block_on(secrets.delete_checked(&ada, &scope, &key, &check))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn delete_checked(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
        check: &DeleteCheck,
    ) -> Result<(), Error> {
        let call = Call::new(AuditKind::Deleted, actor, Some(scope), slice::from_ref(key));
        let body = async {
            let record = self.existing(actor, Operation::Delete, scope, key).await?;
            self.not_in_use(scope, key, check).await?;
            self.remove(&call, scope, key, record.meta.version).await
        };
        self.audited(&call, body).await
    }

    /// `Ok` when no workflow used `key` from `scope` within `check`'s window and
    /// the host declares none; else `secret_in_use`, naming them (sorted).
    pub(super) async fn not_in_use(
        &self,
        scope: &Scope,
        key: &SecretKey,
        check: &DeleteCheck,
    ) -> Result<(), Error> {
        let rows = self.store.usage(scope, key).await?;
        let now = self.now();
        let recent = |at: u64| Duration::from_millis(now.saturating_sub(at)) <= check.window;
        let mut users: BTreeSet<WorkflowId> = rows
            .into_iter()
            .filter(|u| recent(u.last_used_at))
            .map(|u| u.workflow)
            .collect();
        users.extend(check.declared.iter().cloned());
        if users.is_empty() {
            return Ok(());
        }
        Err(Error::SecretInUse {
            scope: scope.clone(),
            key: key.clone(),
            workflows: users.into_iter().collect(),
        })
    }

    /// Which workflows resolved `key` from `scope`, each with the latest time
    /// recorded, sorted by workflow id: what a settings page shows before a delete.
    /// Names and times only. Read from the store's usage rows, which resolvers with
    /// [`with_usage_recording`](crate::Resolver::with_usage_recording) write when
    /// the host flushes them (marks not flushed yet are not here; see there).
    ///
    /// Usage describes the name workflows reference, not one stored value: it
    /// outlives a delete of the secret (a key deleted and created again shows the
    /// workflows that used the name before), and a key never stored answers an
    /// empty list.
    ///
    /// Who may ask is [`list`](Self::list)'s rule (any member of the workspace for
    /// workspace and workflow scopes; personal: its owner); audited as `Listed`,
    /// naming the key.
    ///
    /// # Errors
    ///
    /// `permission_denied`; `store` (also when the store keeps no usage).
    pub async fn usage(
        &self,
        actor: &Actor,
        scope: &Scope,
        key: &SecretKey,
    ) -> Result<Vec<Usage>, Error> {
        let call = Call::new(AuditKind::Listed, actor, Some(scope), slice::from_ref(key));
        let body = async {
            access::check(actor, Operation::List, scope, None)?;
            Ok(self.store.usage(scope, key).await?)
        };
        self.audited(&call, body).await
    }

    /// The metadata of every secret in `scope`, sorted by key: never a value, never a
    /// sealed blob. Audited as `Listed` (names no keys).
    ///
    /// # Errors
    ///
    /// `permission_denied` (workspace and workflow scopes: any member, external ones
    /// included; personal: its owner alone); `store`.
    pub async fn list(&self, actor: &Actor, scope: &Scope) -> Result<Vec<SecretMeta>, Error> {
        let call = Call::new(AuditKind::Listed, actor, Some(scope), &[]);
        self.audited(&call, self.list_body(actor, scope)).await
    }

    /// What [`list`](Self::list) and [`rotation_due`](Self::rotation_due) read: one
    /// rule for who may see a scope's metadata.
    async fn list_body(&self, actor: &Actor, scope: &Scope) -> Result<Vec<SecretMeta>, Error> {
        access::check(actor, Operation::List, scope, None)?;
        binding::listed(scope, self.store.list(scope).await?)
    }

    /// The "rotate periodically" report: the metadata of every secret in `scope`
    /// whose value is at least `older_than` old (its
    /// [`value_changed_at`](SecretMeta::value_changed_at) plus `older_than` is at
    /// or before now, by this `Secrets`' clock), sorted by key. A details edit or a
    /// re-wrap does not make a value younger; a rotation does. Never a value.
    ///
    /// Who may ask, and the audit, are exactly [`list`](Self::list)'s: any member
    /// of the workspace for workspace and workflow scopes (external ones included),
    /// the owner alone for a personal scope; one `Listed` event naming the scope and
    /// no key. It reads the scope's metadata as `list` does and keeps the due ones:
    /// linear in the scope's size.
    ///
    /// `older_than` is compared exactly (a value 1 ms old is not due at 1.5 ms); a
    /// value whose time is ahead of the clock is 0 ms old. Records written before a
    /// store kept the value's time carry an upper bound of it (see
    /// [`SecretMeta::value_changed_at`]): they may show due later than they should,
    /// never earlier.
    ///
    /// # Errors
    ///
    /// As [`list`](Self::list): `permission_denied`; `store` (also for a listing
    /// whose metadata names another scope than the one read).
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::time::Duration;
    /// use workflow_secrets::clock::{Clock, Timestamp};
    /// use workflow_secrets::{
    ///     Actor, LocalKeyring, MemoryStore, Scope, SecretDetails, SecretKey, SecretValue,
    ///     Secrets, UserId, Vault, WorkspaceId, WorkspaceRole,
    /// };
    ///
    /// /// A clock the example moves by hand.
    /// struct Manual(Arc<AtomicU64>);
    /// impl Clock for Manual {
    ///     fn now(&self) -> Timestamp { self.0.load(Ordering::SeqCst) }
    /// }
    /// const DAY_MS: u64 = 24 * 60 * 60 * 1000;
    /// let days = |n: u64| Duration::from_millis(n * DAY_MS);
    ///
    /// let time = Arc::new(AtomicU64::new(0));
    /// let at_day = |n: u64| time.store(n * DAY_MS, Ordering::SeqCst);
    /// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), MemoryStore::new())
    ///     .with_clock(Manual(time.clone()));
    /// let acme = WorkspaceId::new("acme")?;
    /// let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
    /// let scope = Scope::workspace(acme);
    /// let (old, new) = (SecretKey::new("OLD_API_KEY")?, SecretKey::new("NEW_API_KEY")?);
    /// pollster::block_on(async {
    ///     at_day(0);
    ///     secrets.create(&ada, &scope, &old, SecretValue::new("sk-old-0001")?).await?;
    ///     at_day(80);
    ///     secrets.create(&ada, &scope, &new, SecretValue::new("sk-new-0001")?).await?;
    ///     at_day(85); // a details edit does not make a value younger
    ///     let details = SecretDetails { description: Some("prod".into()), ..Default::default() };
    ///     secrets.set_details(&ada, &scope, &old, details).await?;
    ///
    ///     at_day(100);
    ///     let due = secrets.rotation_due(&ada, &scope, days(90)).await?;
    ///     assert_eq!(due.iter().map(|m| m.key.as_str()).collect::<Vec<_>>(), ["OLD_API_KEY"]);
    ///
    ///     secrets.rotate(&ada, &scope, &old, SecretValue::new("sk-old-0002")?).await?;
    ///     assert!(secrets.rotation_due(&ada, &scope, days(90)).await?.is_empty());
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn rotation_due(
        &self,
        actor: &Actor,
        scope: &Scope,
        older_than: Duration,
    ) -> Result<Vec<SecretMeta>, Error> {
        let call = Call::new(AuditKind::Listed, actor, Some(scope), &[]);
        let body = async {
            let listed = self.list_body(actor, scope).await?;
            let now = self.now();
            // The age in whole milliseconds against the `Duration` as given: exact,
            // and no sum that could overflow.
            let due =
                |changed: u64| Duration::from_millis(now.saturating_sub(changed)) >= older_than;
            Ok(listed
                .into_iter()
                .filter(|meta| due(meta.value_changed_at))
                .collect())
        };
        self.audited(&call, body).await
    }

    /// After a key-encryption key rotation (the new key added everywhere and made
    /// active), moves every record of `scope`, and every kept version of each, under
    /// the active key without touching values, and reports what it could not move
    /// (a key is reported once, for its record and its versions together). Remove the old key only when
    /// `conflicted` and `failed` are empty.
    ///
    /// A record whose metadata names another scope or key than the one read is not
    /// opened: it is reported in `failed` with code `store`.
    ///
    /// # Errors
    ///
    /// `permission_denied` (admins; personal scopes: their owner or an admin); `store`.
    pub async fn rewrap_all(&self, actor: &Actor, scope: &Scope) -> Result<RewrapReport, Error> {
        let call = Call::new(AuditKind::Rewrapped, actor, Some(scope), &[]);
        self.audited(&call, self.rewrap_body(&call, actor, scope))
            .await
    }

    async fn rewrap_body(
        &self,
        call: &Call<'_>,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<RewrapReport, Error> {
        access::check(actor, Operation::Rewrap, scope, None)?;
        let mut report = RewrapReport::default();
        for meta in binding::listed(scope, self.store.list(scope).await?)? {
            let key = meta.key;
            let mut outcome = None;
            for _ in 0..CAS_RETRIES {
                let found = binding::bound(scope, &key, self.store.get(scope, &key).await?);
                let record = match found {
                    Ok(Some(record)) => record,
                    Ok(None) => {
                        outcome = Some(Ok(false));
                        break;
                    }
                    // A moved record: reported like one that does not open.
                    Err(err) => {
                        outcome = Some(Err(err.kind()));
                        break;
                    }
                };
                let kept = binding::kept(scope, &key, self.store.versions(scope, &key).await?);
                let expect = Expect::Revision(record.meta.revision);
                // The requested binding, never the record's own.
                let batch = match kept
                    .and_then(|kept| self.rewrap_ops(scope, &key, record, kept, expect))
                {
                    Ok(batch) => batch,
                    Err(err) => {
                        outcome = Some(Err(err.kind()));
                        break;
                    }
                };
                if batch.is_empty() {
                    outcome = Some(Ok(false));
                    break;
                }
                match self.store.write(batch).await {
                    Ok(()) => {
                        outcome = Some(Ok(true));
                        break;
                    }
                    Err(StoreError::Conflict) => continue,
                    Err(other) => {
                        // The keys moved so far are named in the failure's event.
                        call.keys(report.rewrapped);
                        return Err(other.into());
                    }
                }
            }
            match outcome {
                Some(Ok(true)) => report.rewrapped.push(key),
                Some(Ok(false)) => report.already_current.push(key),
                Some(Err(code)) => report.failed.push((key, code)),
                None => report.conflicted.push(key),
            }
        }
        if !report.failed.is_empty() || !report.conflicted.is_empty() {
            call.incomplete(ErrorCode::Conflict);
        }
        call.keys(report.rewrapped.clone());
        Ok(report)
    }

    /// The ops that move `record` (the current value of `key` in `scope`) and
    /// `kept`, its kept versions, under the active key: none when all are there already.
    fn rewrap_ops(
        &self,
        scope: &Scope,
        key: &SecretKey,
        record: StoredSecret,
        kept: Vec<KeptVersion>,
        expect: Expect,
    ) -> Result<WriteBatch, Error> {
        let active = self.vault.active_key();
        let mut batch = WriteBatch::new();
        for kept in kept {
            if kept.sealed.key_id() == active {
                continue;
            }
            let version = kept.meta.version;
            let sealed =
                self.vault
                    .rewrap_for(RecordRole::History, scope, key, version, &kept.sealed)?;
            batch.push(WriteOp::Keep {
                version: KeptVersion {
                    meta: kept.meta,
                    sealed,
                },
                keep: self.versions_kept,
                expect,
            });
        }
        if record.sealed.key_id() != active {
            let version = record.meta.version;
            let sealed = self.vault.rewrap(scope, key, version, &record.sealed)?;
            batch.push(WriteOp::Put {
                record: StoredSecret {
                    meta: record.meta,
                    sealed,
                },
                expect,
            });
        }
        Ok(batch)
    }

    /// Deletes every secret of `scope` without reading any (a user who left, a deleted
    /// workflow), in one batch. Returns how many were deleted.
    ///
    /// # Errors
    ///
    /// `permission_denied` (workspace admins; for a personal scope also its owner: the
    /// one case where an admin may delete another user's secrets); `store`.
    pub async fn purge(&self, actor: &Actor, scope: &Scope) -> Result<usize, Error> {
        let call = Call::new(AuditKind::Purged, actor, Some(scope), &[]);
        let body = async {
            access::check(actor, Operation::Purge, scope, None)?;
            let keys: Vec<SecretKey> = binding::listed(scope, self.store.list(scope).await?)?
                .into_iter()
                .map(|m| m.key)
                .collect();
            call.keys(keys.clone());
            if !keys.is_empty() {
                let batch: WriteBatch = keys
                    .iter()
                    .map(|key| WriteOp::Delete {
                        scope: scope.clone(),
                        key: key.clone(),
                        expect: Expect::Any,
                    })
                    .collect();
                self.store.write(batch).await?;
            }
            Ok(keys.len())
        };
        self.audited(&call, body).await
    }

    /// A redactor for every value of every scope of the actor's workspace (personal
    /// ones included), for a log pipeline that must mask all of them. A snapshot with
    /// unlabelled masks (labels would name other users' keys); values are read, never
    /// returned. Audited as `WorkspaceRedactor` with no scope (it spans them all).
    ///
    /// # Errors
    ///
    /// `permission_denied` (workspace admins); `store` (also for a record or listing
    /// whose metadata names another scope or key than the one read); `tampered` or
    /// `unknown_key_id`.
    pub async fn workspace_redactor(&self, actor: &Actor) -> Result<Redactor, Error> {
        let call = Call::new(AuditKind::WorkspaceRedactor, actor, None, &[]);
        self.audited(&call, self.workspace_redactor_body(actor))
            .await
    }

    async fn workspace_redactor_body(&self, actor: &Actor) -> Result<Redactor, Error> {
        access::check_workspace_admin(actor)?;
        let scopes = self.store.scopes(&actor.workspace).await?;
        let lists = self.store.list_many(&scopes).await?;
        let mut builder = Redactor::builder();
        for (scope, metas) in scopes.iter().zip(lists) {
            let metas = binding::listed(scope, metas)?;
            let keys: Vec<SecretKey> = metas.into_iter().map(|m| m.key).collect();
            let records = self.store.get_many(slice::from_ref(scope), &keys).await?;
            for (key, record) in keys.iter().zip(records) {
                // Opened with the scope and key asked for, never the record's own.
                let Some(record) = binding::bound(scope, key, record)? else {
                    continue;
                };
                let version = record.meta.version;
                let value = self.vault.unseal(scope, key, version, &record.sealed)?;
                builder = builder.secret(&value);
            }
        }
        Ok(builder.build())
    }
}
