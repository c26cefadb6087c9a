//! `PlatformRedactor`: one live, bounded, unlabelled redactor for a whole process,
//! fed by every resolution and every write, with a retention window.
//!
//! The set of a [`Redactor`] only grows; a platform-wide one must also let old values
//! go, or it would hold every value the process ever saw. So this type keeps its own
//! table of values (each with the time it was last seen) next to a `Redactor` built
//! from them: a new value is `add`ed to that redactor at once; a value that leaves
//! the table (expired, or evicted at a cap) stays in the redactor, still masked,
//! until the redactor is rebuilt from the table, which happens when such values make
//! up a quarter of it, or at once when a cap needs the room. Each rebuild costs the
//! table's size and frees at least a quarter (or an eighth of the cap), so over the
//! life of a process each value is rebuilt O(1) times on average.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arc_swap::{ArcSwap, Guard};
use zeroize::Zeroizing;

use super::encodings::Encodings;
use super::formats::TokenFormats;
use super::matcher::Choice;
use super::redactor::Redactor;
use super::set::{Config, Live};
use super::variants::for_each_pattern;
use crate::vocab::SecretValue;
use crate::vocab::{Clock, SystemClock, Timestamp};

/// The default retention: a day, longer than any run a host should let go on.
const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// The default cap on patterns (a value with every encoding registers a few dozen).
const DEFAULT_MAX_PATTERNS: usize = 1_000_000;
/// The default cap on the patterns' bytes (the tables' own size; the searchers' is a
/// small multiple of it).
const DEFAULT_MAX_PATTERN_BYTES: usize = 64 << 20;

/// Something a host should know about its platform redactor: never a value, never a
/// key name. Each kind is reported **once** per redactor, at its first occurrence;
/// [`PlatformRedactor::stats`] counts every occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlatformReport {
    /// A cap was reached: to make room, values were dropped before their retention
    /// ended (least recently seen first). Raise the caps, or shorten the retention.
    CapReached,
    /// A value was refused: its patterns alone pass a cap. It is **not masked**.
    Refused,
    /// A value was shorter than the minimum length. It is **not masked**.
    TooShort,
}

/// Counters of a [`PlatformRedactor`], for a host's metrics and health checks. Counts
/// only: no value, no key name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlatformStats {
    /// Values in the table (seen within the retention, or pinned).
    pub values: usize,
    /// Their patterns (values, lines and encoded forms; an upper bound, before
    /// duplicates are removed).
    pub patterns: usize,
    /// The bytes of those patterns.
    pub pattern_bytes: usize,
    /// Values that expired (not seen for the retention) since the redactor was built.
    pub expired: u64,
    /// Values dropped before their retention ended, to make room under a cap.
    pub evicted: u64,
    /// Values refused, unmasked, because their patterns alone pass a cap.
    pub refused: u64,
    /// Values refused, unmasked, because they are shorter than the minimum length.
    pub too_short: u64,
    /// Whether a cap has ever been reached (sticky): values were then evicted.
    pub cap_reached: bool,
}

/// Settings for a [`PlatformRedactor`].
///
/// Defaults: mask `[REDACTED]`, minimum length 4 bytes, every [`Encodings`] on,
/// retention 24 hours, at most 1,000,000 patterns and 64 MiB of pattern bytes, the
/// system clock, no report hook. Masks are never labelled: a label would name
/// another tenant's key.
pub struct PlatformRedactorBuilder {
    mask: String,
    min_len: usize,
    encodings: Encodings,
    formats: TokenFormats,
    retention: Duration,
    max_patterns: usize,
    max_pattern_bytes: usize,
    clock: Arc<dyn Clock>,
    report: Option<Arc<dyn Fn(PlatformReport) + Send + Sync>>,
}

impl PlatformRedactorBuilder {
    /// The mask that replaces each run (default `[REDACTED]`). The same for every
    /// value: it never names a key.
    pub fn mask(mut self, mask: impl Into<String>) -> Self {
        self.mask = mask.into();
        self
    }

    /// The shortest value masked, in bytes (default 4). A shorter one is counted in
    /// [`PlatformStats::too_short`] and reported as [`PlatformReport::TooShort`].
    pub fn min_len(mut self, min_len: usize) -> Self {
        self.min_len = min_len;
        self
    }

    /// Which encoded forms are masked too (default [`Encodings::all`]).
    pub fn encodings(mut self, encodings: Encodings) -> Self {
        self.encodings = encodings;
        self
    }

    /// Which well-known token formats are masked too, seen or not (default none); see
    /// [`RedactorBuilder::mask_token_formats`](super::RedactorBuilder::mask_token_formats).
    /// Their masks name the format (`[REDACTED:format=jwt]`), never a key.
    pub fn mask_token_formats(mut self, formats: TokenFormats) -> Self {
        self.formats = formats;
        self
    }

    /// How long a value stays masked after it was last seen (default 24 hours). Make
    /// it longer than the longest run or request that may hold a value: a step keeps
    /// what it resolved until it ends without showing it to this redactor again.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The most patterns the table holds (default 1,000,000).
    pub fn max_patterns(mut self, max: usize) -> Self {
        self.max_patterns = max;
        self
    }

    /// The most bytes of patterns the table holds (default 64 MiB).
    pub fn max_pattern_bytes(mut self, max: usize) -> Self {
        self.max_pattern_bytes = max;
        self
    }

    /// Reads time from `clock` (for the retention) instead of the system clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Calls `report` the first time each [`PlatformReport`] happens. It is called
    /// outside the redactor's locks, so it may log (through the masking writer too)
    /// or read [`stats`](PlatformRedactor::stats).
    pub fn on_report(mut self, report: impl Fn(PlatformReport) + Send + Sync + 'static) -> Self {
        self.report = Some(Arc::new(report));
        self
    }

    /// The redactor, empty.
    pub fn build(self) -> PlatformRedactor {
        let config = Config {
            mask: self.mask,
            labelled: false,
            min_len: self.min_len,
            encodings: self.encodings,
            matcher: Choice::Auto,
            formats: self.formats,
        };
        let empty = Redactor {
            live: Arc::new(Live::new(config.clone(), [])),
        };
        PlatformRedactor {
            shared: Arc::new(Shared {
                config,
                retention: u64::try_from(self.retention.as_millis()).unwrap_or(u64::MAX),
                max_patterns: self.max_patterns,
                max_pattern_bytes: self.max_pattern_bytes,
                clock: self.clock,
                report: self.report,
                table: Mutex::new(Table::default()),
                current: ArcSwap::from_pointee(empty),
                counters: Counters::default(),
            }),
        }
    }
}

impl fmt::Debug for PlatformRedactorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformRedactorBuilder")
            .field("mask", &self.mask)
            .field("min_len", &self.min_len)
            .field("encodings", &self.encodings)
            .field("token_formats", &self.formats)
            .field("retention", &self.retention)
            .field("max_patterns", &self.max_patterns)
            .field("max_pattern_bytes", &self.max_pattern_bytes)
            .field("report", &self.report.is_some())
            .finish_non_exhaustive()
    }
}

/// One live, shared, unlabelled redactor for a whole process: every value any
/// [`Resolver`](crate::Resolver) or [`Secrets`](crate::Secrets) it is installed on
/// hands out or takes in, for the host's own logs (feature `tracing`:
/// `redact::MaskingMakeWriter`) and other output that
/// no run's redactor covers.
///
/// **Fed by hooks the host installs**:
/// [`Resolver::with_platform_redactor`](crate::Resolver::with_platform_redactor) (every
/// value a resolution opens from the store, before it is returned: `resolve`,
/// `credential`, `prefetch`, `render`, `render_with`, `all_available`) and
/// [`Secrets::with_platform_redactor`](crate::Secrets::with_platform_redactor) (every
/// value written: `create`, `rotate`, `put`, `import_env`). A shared run's
/// runner-provided values are not fed, as with a run's redactor: a runner who chooses
/// patterns and sees masked output could learn a lent value byte by byte. The host
/// may [`note`](Self::note) or [`pin`](Self::pin) values of its own.
///
/// **Retention.** A value stays masked for at least the retention (default 24 hours)
/// after it was last seen (noted, written or resolved), then it may expire. A value
/// rotated away or deleted therefore stays masked for the retention after this
/// process last handed it out; a value still in use is seen again at each
/// resolution. A value that expired is masked again from the moment it is seen
/// again. A value is not seen again while a step holds it: keep the retention longer
/// than a run. [`pin`](Self::pin)ned values never expire.
///
/// **Bounded.** The table holds at most `max_patterns` patterns and
/// `max_pattern_bytes` bytes of them (counting values that left the table but are
/// still masked until the next rebuild). When a new value would pass a cap, expired
/// values go first, then the values seen least recently, down to 7/8 of each cap:
/// their retention is cut short, counted in [`PlatformStats::evicted`], flagged in
/// [`PlatformStats::cap_reached`] and reported once as [`PlatformReport::CapReached`].
/// A value whose patterns alone pass a cap, or shorter than the minimum length, is
/// **not masked**: counted ([`PlatformStats::refused`], [`PlatformStats::too_short`])
/// and reported once. No value is dropped or refused silently. A rebuild compiles
/// without the table's lock (resolutions do not wait for it), so what arrives while
/// one runs may pass a cap until the next.
///
/// **Holds every tenant's plaintext**: the table keeps each value (in buffers
/// zeroized on drop) and the redactor its patterns, as SECURITY.md says. `Debug`
/// shows counts only. A cheap `Clone` handle: clones share one table.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use workflow_secrets::redact::PlatformRedactor;
/// use workflow_secrets::{
///     Actor, LocalKeyring, MemoryStore, Scope, SecretKey, SecretValue, Secrets, UserId,
///     Vault, WorkspaceId, WorkspaceRole,
/// };
///
/// let platform = PlatformRedactor::builder().build();
/// let secrets = Secrets::new(Vault::new(LocalKeyring::generate()), Arc::new(MemoryStore::new()))
///     .with_platform_redactor(&platform);
/// let acme = WorkspaceId::new("acme")?;
/// let ada = Actor::new(UserId::new("ada")?, acme.clone(), WorkspaceRole::Admin);
/// let value = SecretValue::new("sk-live-0123456789")?;
/// pollster::block_on(secrets.create(&ada, &Scope::workspace(acme), &SecretKey::new("API_KEY")?, value))?;
/// assert_eq!(platform.redact("token sk-live-0123456789"), "token [REDACTED]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PlatformRedactor {
    shared: Arc<Shared>,
}

/// What every clone shares.
struct Shared {
    config: Config,
    /// Milliseconds.
    retention: u64,
    max_patterns: usize,
    max_pattern_bytes: usize,
    clock: Arc<dyn Clock>,
    report: Option<Arc<dyn Fn(PlatformReport) + Send + Sync>>,
    table: Mutex<Table>,
    /// The redactor of the table's values and of those that left it since the last
    /// rebuild. Replaced whole by a rebuild; `add`ed to otherwise. Read on every
    /// redaction from every thread: see the `current` field of `set.rs`'s `Live`
    /// for why not a lock.
    current: ArcSwap<Redactor>,
    counters: Counters,
}

/// Counters read without the table's lock.
#[derive(Default)]
struct Counters {
    expired: AtomicU64,
    evicted: AtomicU64,
    refused: AtomicU64,
    too_short: AtomicU64,
    cap_reached: AtomicBool,
    /// The reports already made, one bit each.
    reported: AtomicU64,
}

/// Patterns and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Size {
    patterns: usize,
    bytes: usize,
}

impl Size {
    fn plus(self, other: Size) -> Size {
        Size {
            patterns: self.patterns.saturating_add(other.patterns),
            bytes: self.bytes.saturating_add(other.bytes),
        }
    }

    fn minus(self, other: Size) -> Size {
        Size {
            patterns: self.patterns.saturating_sub(other.patterns),
            bytes: self.bytes.saturating_sub(other.bytes),
        }
    }
}

/// One value of the table.
struct Entry {
    /// Plaintext, wiped on drop.
    value: Zeroizing<Vec<u8>>,
    hash: u64,
    /// When it was last seen; `Timestamp::MAX` when pinned.
    last_seen: Timestamp,
    /// Tells this entry's item in `order` from a former occupant's of its slot.
    serial: u64,
    size: Size,
}

/// The values, their index by keyed hash, and their order by last sight.
#[derive(Default)]
struct Table {
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    /// Keyed hash (SipHash, random keys) of a value to the slots holding values of
    /// that hash: the plaintext itself is stored once, in its slot.
    index: HashMap<u64, Vec<usize>>,
    /// One item per entry: (last seen when pushed, slot, serial). An item older than
    /// its entry's `last_seen` is pushed again with the newer time when it surfaces,
    /// so a value seen a million times still has one item.
    order: BinaryHeap<Reverse<(Timestamp, usize, u64)>>,
    hasher: RandomState,
    serial: u64,
    values: usize,
    /// What the table's values register.
    live: Size,
    /// What values that left the table still register in `current`.
    stale: Size,
    /// A rebuild is under way, without the lock: see [`PlatformRedactor::rebuild`].
    rebuilding: bool,
    /// What the rebuild under way drops (the stale part of `current` when it began):
    /// room that new values may take already, or each of them would evict a value
    /// still in use while the rebuild runs.
    dropping: Size,
    /// The values admitted while a rebuild is under way (each already added to
    /// `current`), for the rebuilt redactor before it replaces `current`.
    since: Vec<Zeroizing<Vec<u8>>>,
}

impl Table {
    fn find(&self, hash: u64, value: &[u8]) -> Option<usize> {
        self.index.get(&hash)?.iter().copied().find(|&slot| {
            self.slots[slot]
                .as_ref()
                .is_some_and(|e| same(&e.value, value))
        })
    }

    fn insert(&mut self, value: &[u8], hash: u64, seen: Timestamp, size: Size) {
        self.serial += 1;
        let entry = Entry {
            value: Zeroizing::new(value.to_vec()),
            hash,
            last_seen: seen,
            serial: self.serial,
            size,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(entry);
                slot
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        };
        self.index.entry(hash).or_default().push(slot);
        self.order.push(Reverse((seen, slot, self.serial)));
        self.values += 1;
        self.live = self.live.plus(size);
    }

    /// Drops the entry in `slot` from the table: its patterns stay in `current`
    /// (stale) until the next rebuild.
    fn remove(&mut self, slot: usize) {
        let Some(entry) = self.slots[slot].take() else {
            return;
        };
        if let Some(slots) = self.index.get_mut(&entry.hash) {
            slots.retain(|&s| s != slot);
            if slots.is_empty() {
                self.index.remove(&entry.hash);
            }
        }
        self.free.push(slot);
        self.values -= 1;
        self.live = self.live.minus(entry.size);
        self.stale = self.stale.plus(entry.size);
    }

    /// The entry seen least recently, if `pred` accepts its last sight; removed.
    fn pop_oldest(&mut self, pred: impl Fn(Timestamp) -> bool) -> bool {
        while let Some(&Reverse((seen, slot, serial))) = self.order.peek() {
            let current = match &self.slots[slot] {
                Some(e) if e.serial == serial => e.last_seen,
                _ => {
                    self.order.pop(); // a former occupant's item
                    continue;
                }
            };
            if current > seen {
                // Seen again since: its item moves to its new time.
                self.order.pop();
                self.order.push(Reverse((current, slot, serial)));
                continue;
            }
            if !pred(seen) {
                return false;
            }
            self.order.pop();
            self.remove(slot);
            return true;
        }
        false
    }

    fn total(&self) -> Size {
        self.live.plus(self.stale)
    }
}

/// Equal bytes, in time that depends on the lengths alone: a value a tenant stores
/// is compared with other tenants' values of the same keyed hash.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}

impl PlatformRedactor {
    /// A builder, to choose the mask, minimum length, encodings, retention, caps,
    /// clock and report hook.
    pub fn builder() -> PlatformRedactorBuilder {
        PlatformRedactorBuilder {
            mask: "[REDACTED]".to_owned(),
            min_len: 4,
            encodings: Encodings::all(),
            formats: TokenFormats::none(),
            retention: DEFAULT_RETENTION,
            max_patterns: DEFAULT_MAX_PATTERNS,
            max_pattern_bytes: DEFAULT_MAX_PATTERN_BYTES,
            clock: Arc::new(SystemClock),
            report: None,
        }
    }

    /// Masks `value` from now on, for at least the retention after now (the hooks
    /// call this for every value they see; a host may, for values of its own).
    /// Seeing a value again restarts its retention. Empty values are ignored.
    pub fn note(&self, value: &SecretValue) {
        let now = self.shared.clock.now();
        self.see(value.expose_secret().as_bytes(), now);
    }

    /// Masks `value` for as long as this redactor lives: it never expires (it may
    /// still be evicted at a cap, last of all). For a host's own secrets, such as its
    /// database password.
    pub fn pin(&self, value: &SecretValue) {
        self.see(value.expose_secret().as_bytes(), Timestamp::MAX);
    }

    /// `text` with every value in the table masked; borrowed when nothing matched.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.loaded().redact(text) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(masked) => Cow::Owned(masked),
        }
    }

    /// `bytes` with every value in the table masked; borrowed when nothing matched.
    pub fn redact_bytes<'t>(&self, bytes: &'t [u8]) -> Cow<'t, [u8]> {
        match self.loaded().redact_bytes(bytes) {
            Cow::Borrowed(_) => Cow::Borrowed(bytes),
            Cow::Owned(masked) => Cow::Owned(masked),
        }
    }

    /// Drops the values not seen for the retention now, rather than at the next
    /// value noted (they stay masked until the table is next rebuilt). A host may call
    /// it from a periodic task so that expiry does not wait for traffic.
    pub fn expire(&self) {
        let now = self.shared.clock.now();
        let mut table = self.lock();
        self.expire_locked(&mut table, now);
        self.rebuild_if_stale(table);
    }

    /// Counters: what the table holds, and every value dropped or refused.
    pub fn stats(&self) -> PlatformStats {
        let (values, live) = {
            let table = self.lock();
            (table.values, table.live)
        };
        let c = &self.shared.counters;
        PlatformStats {
            values,
            patterns: live.patterns,
            pattern_bytes: live.bytes,
            expired: c.expired.load(Ordering::Relaxed),
            evicted: c.evicted.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            too_short: c.too_short.load(Ordering::Relaxed),
            cap_reached: c.cap_reached.load(Ordering::Relaxed),
        }
    }

    /// Heap bytes the current redactor's searchers and tables hold.
    pub fn memory_usage(&self) -> usize {
        self.loaded().memory_usage()
    }

    /// A [`RedactingWriter`](super::RedactingWriter) that masks with this table, for
    /// a stream of the host's own (a response body: see `redact::tower`, feature
    /// `tower`). It follows the table: values noted later are masked from its next
    /// step on, across rebuilds too.
    pub fn writer<W: std::io::Write>(&self, inner: W) -> super::RedactingWriter<W> {
        super::RedactingWriter::new(super::writer::Source::Platform(self.clone()), inner)
    }

    /// The current redactor, to keep (a writer follows it between writes).
    pub(crate) fn current(&self) -> Redactor {
        Redactor::clone(&self.loaded())
    }

    /// The current redactor, for one call (its load writes only the calling
    /// thread's own slot, nothing other readers write).
    pub(crate) fn loaded(&self) -> Guard<Arc<Redactor>> {
        self.shared.current.load()
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.shared
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `value`, seen at `seen`; reports after the lock is released.
    fn see(&self, value: &[u8], seen: Timestamp) {
        if value.is_empty() {
            return;
        }
        let report = self.see_locked(value, seen);
        if let Some(report) = report {
            self.report_once(report);
        }
    }

    fn see_locked(&self, value: &[u8], seen: Timestamp) -> Option<PlatformReport> {
        let shared = &*self.shared;
        let counters = &shared.counters;
        if value.len() < shared.config.min_len {
            counters.too_short.fetch_add(1, Ordering::Relaxed);
            return Some(PlatformReport::TooShort);
        }
        let now = shared.clock.now();
        let mut table = self.lock();
        self.expire_locked(&mut table, now);
        let hash = table.hasher.hash_one(value);
        if let Some(slot) = table.find(hash, value) {
            if let Some(entry) = table.slots[slot].as_mut() {
                entry.last_seen = entry.last_seen.max(seen);
            }
            self.rebuild_if_stale(table);
            return None;
        }
        let size = size_of(value, &shared.config);
        if size.patterns > shared.max_patterns || size.bytes > shared.max_pattern_bytes {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            return Some(PlatformReport::Refused);
        }
        let caps = Size {
            patterns: shared.max_patterns,
            bytes: shared.max_pattern_bytes,
        };
        if fits(table.total().minus(table.dropping).plus(size), caps) {
            table.insert(value, hash, seen, size);
            self.admit(&mut table, value);
            self.rebuild_if_stale(table);
            return None;
        }
        // Over a cap: the rebuild below drops every stale pattern; evict the values
        // seen least recently until the new one fits under 7/8 of each cap, so the
        // next rebuild is an eighth of the cap away.
        let target = Size {
            patterns: caps.patterns - caps.patterns / 8,
            bytes: caps.bytes - caps.bytes / 8,
        };
        let mut evicted = 0u64;
        while !fits(table.live.plus(size), target) && table.pop_oldest(|_| true) {
            evicted += 1;
        }
        table.insert(value, hash, seen, size);
        // Masked now, whether this rebuild runs or one under way picks it up.
        self.admit(&mut table, value);
        self.rebuild(table);
        if evicted == 0 {
            return None;
        }
        counters.evicted.fetch_add(evicted, Ordering::Relaxed);
        counters.cap_reached.store(true, Ordering::Relaxed);
        Some(PlatformReport::CapReached)
    }

    /// Drops the values last seen more than the retention before `now`.
    fn expire_locked(&self, table: &mut Table, now: Timestamp) {
        let retention = self.shared.retention;
        let mut expired = 0u64;
        while table.pop_oldest(|seen| seen.saturating_add(retention) <= now) {
            expired += 1;
        }
        if expired > 0 {
            let counters = &self.shared.counters;
            counters.expired.fetch_add(expired, Ordering::Relaxed);
        }
    }

    /// Rebuilds when values that left the table make up a quarter of what `current`
    /// holds, so a rebuild's cost (the table) is paid for by what it frees.
    fn rebuild_if_stale(&self, table: MutexGuard<'_, Table>) {
        if table.stale.patterns > 0 && table.stale.patterns * 4 >= table.total().patterns {
            self.rebuild(table);
        }
    }

    /// Masks a value just inserted in the table from now on: added to `current`,
    /// and kept for the rebuild under way, if any, so the redactor that replaces
    /// `current` masks it too.
    fn admit(&self, table: &mut Table, value: &[u8]) {
        self.shared.current.load().live.add(None, value);
        if table.rebuilding {
            table.since.push(Zeroizing::new(value.to_vec()));
        }
    }

    /// Replaces `current` by a redactor of the table's values alone, compiled with
    /// the table's lock released: the lock is what every resolution's `note` takes,
    /// and compiling a table of 30,000 values took 0.4 s, during which every
    /// resolution waited (redaction never did). The caller that triggers a rebuild
    /// still pays for it; one rebuild runs at a time (a trigger during one is
    /// skipped: the next trigger rebuilds). Values admitted meanwhile were added to
    /// `current` and are added to the new redactor before it replaces `current`, so
    /// none is ever unmasked; values that left the table meanwhile stay in it,
    /// counted stale, until the next rebuild.
    fn rebuild(&self, mut table: MutexGuard<'_, Table>) {
        if table.rebuilding {
            return;
        }
        table.rebuilding = true;
        table.dropping = table.stale;
        let values: Vec<Zeroizing<Vec<u8>>> = table
            .slots
            .iter()
            .flatten()
            .map(|e| e.value.clone())
            .collect();
        drop(table);
        // Should the build unwind, the next trigger rebuilds, and `since` (each of
        // its values already in `current`) keeps no plaintext for nothing.
        let unstick = Unstick(self);
        #[cfg(feature = "testing")]
        during_rebuild();
        let live = Live::new(
            self.shared.config.clone(),
            values.iter().map(|v| (None, v.as_slice())),
        );
        drop(values);
        let mut table = self.lock();
        for value in std::mem::take(&mut table.since) {
            live.add(None, &value);
        }
        self.shared.current.store(Arc::new(Redactor {
            live: Arc::new(live),
        }));
        table.stale = table.stale.minus(table.dropping);
        table.dropping = Size::default();
        table.rebuilding = false;
        drop(table);
        std::mem::forget(unstick);
    }

    fn report_once(&self, report: PlatformReport) {
        let bit = 1u64
            << match report {
                PlatformReport::CapReached => 0,
                PlatformReport::Refused => 1,
                PlatformReport::TooShort => 2,
            };
        let before = self
            .shared
            .counters
            .reported
            .fetch_or(bit, Ordering::AcqRel);
        if before & bit == 0
            && let Some(hook) = &self.shared.report
        {
            hook(report);
        }
    }
}

#[cfg(feature = "testing")]
thread_local! {
    /// `testing::platform::on_next_rebuild`'s closure, for this thread's next rebuild.
    static DURING_REBUILD: std::cell::RefCell<Option<Box<dyn FnOnce()>>> =
        const { std::cell::RefCell::new(None) };
}

/// Sets the closure this thread's next rebuild runs once the table's lock is
/// released (`testing::platform::on_next_rebuild`).
#[cfg(feature = "testing")]
pub(crate) fn on_next_rebuild(f: Box<dyn FnOnce()>) {
    DURING_REBUILD.with(|hook| *hook.borrow_mut() = Some(f));
}

/// Runs and clears this thread's rebuild closure, if any.
#[cfg(feature = "testing")]
fn during_rebuild() {
    if let Some(f) = DURING_REBUILD.with(|hook| hook.borrow_mut().take()) {
        f();
    }
}

/// Ends a rebuild that unwound: no rebuild under way, nothing kept for it.
struct Unstick<'a>(&'a PlatformRedactor);

impl Drop for Unstick<'_> {
    fn drop(&mut self) {
        let mut table = self.0.lock();
        table.since.clear();
        table.dropping = Size::default();
        table.rebuilding = false;
    }
}

/// What `value` registers: its patterns and their bytes (duplicates included, so an
/// upper bound of what the redactor keeps).
fn size_of(value: &[u8], config: &Config) -> Size {
    let mut size = Size::default();
    for_each_pattern(value, config.min_len, config.encodings, &mut |p, _| {
        size.patterns += 1;
        size.bytes += p.len();
    });
    size
}

fn fits(size: Size, caps: Size) -> bool {
    size.patterns <= caps.patterns && size.bytes <= caps.bytes
}

impl fmt::Debug for PlatformRedactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformRedactor")
            .field("stats", &self.stats())
            .field("retention_ms", &self.shared.retention)
            .finish_non_exhaustive()
    }
}
