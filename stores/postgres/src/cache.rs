//! The opt-in cache of sealed records, and the listener that keeps it fresh.
//!
//! The guarantee and the mechanism are stated in the crate docs ("Cache"). In
//! short: every write records a change number (`changes.seq`, bumped in the
//! write's transaction, so numbers follow commit order) and the names it touched
//! (`change_log`), and notifies the schema's channel. The listener reads the log
//! past what it applied, drops the touched entries and raises `applied`. A lookup
//! serves from the cache only when `applied` is at least the change number it
//! reads from the database after it started, so a change committed before the
//! lookup started is always applied first.

use std::collections::HashMap;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{AsyncMessage, Client, Connection, Socket};
use workflow_secrets::crypto::SealedSecret;
use workflow_secrets::store::{FoundSealed, SecretMeta, StoredSecret};
use workflow_secrets::{Scope, SecretKey};

use crate::sql::Sql;

/// The bounds of a [`PostgresStore`](crate::PostgresStore)'s cache: entries and
/// bytes, whichever is reached first evicts (second-chance "clock": an entry read
/// since the hand last passed survives one more round).
///
/// An entry is one record of one (scope, key), or one record's absence, or one
/// scope's listing; its bytes are its sealed value and metadata, estimated.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    max_entries: usize,
    max_bytes: usize,
}

impl CacheConfig {
    /// At most 10,000 entries and 16 MiB.
    pub fn new() -> CacheConfig {
        CacheConfig {
            max_entries: 10_000,
            max_bytes: 16 << 20,
        }
    }

    /// At most `n` entries (0 caches nothing).
    pub fn max_entries(mut self, n: usize) -> CacheConfig {
        self.max_entries = n;
        self
    }

    /// At most `n` bytes of entries, estimated; an entry larger than `n` is not
    /// kept.
    pub fn max_bytes(mut self, n: usize) -> CacheConfig {
        self.max_bytes = n;
        self
    }
}

impl Default for CacheConfig {
    fn default() -> CacheConfig {
        CacheConfig::new()
    }
}

/// Counters and state of a store's cache, from
/// [`PostgresStore::cache_stats`](crate::PostgresStore::cache_stats).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups answered from the cache (after the change-number check).
    pub hits: u64,
    /// Lookups read from the database (the cache lacked an entry, was not
    /// listening, or was behind).
    pub misses: u64,
    /// Of the misses, those the cache held every entry for but had not yet
    /// applied a change committed before the lookup: the window between a commit
    /// and its notification.
    pub behind: u64,
    /// Whether the listener is subscribed and caught up: while not, the cache
    /// serves nothing.
    pub listening: bool,
    /// The last change number the listener applied.
    pub applied_seq: u64,
    /// Entries held.
    pub entries: usize,
    /// Their estimated bytes.
    pub bytes: usize,
    /// Times the listener (re)subscribed.
    pub subscriptions: u64,
}

/// What an entry holds for.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    /// One record's name: workspace, kind, owner, key (the table's columns).
    Record(Box<str>, i16, Box<str>, Box<str>),
    /// One scope's listing: workspace, kind, owner.
    Listing(Box<str>, i16, Box<str>),
}

impl Slot {
    pub(crate) fn record(scope: &Scope, key: &SecretKey) -> Slot {
        let (kind, workspace, owner) = crate::store::scope_columns(scope);
        Slot::Record(workspace.into(), kind, owner.into(), key.as_str().into())
    }

    pub(crate) fn listing(scope: &Scope) -> Slot {
        let (kind, workspace, owner) = crate::store::scope_columns(scope);
        Slot::Listing(workspace.into(), kind, owner.into())
    }
}

/// What the database held for a slot: exactly what the store holds (sealed),
/// never plaintext.
pub(crate) enum Cell {
    /// No record of this name.
    Absent,
    /// A record, as `find_sealed` reads it (no metadata).
    Sealed { version: u64, sealed: SealedSecret },
    /// A whole record.
    Record(StoredSecret),
    /// A scope's listing, sorted by key.
    Listing(Vec<SecretMeta>),
}

impl Cell {
    /// Estimated bytes: sealed values and text, plus a fixed overhead per entry.
    fn bytes(&self) -> usize {
        const OVERHEAD: usize = 128;
        let meta = |m: &SecretMeta| {
            OVERHEAD
                + m.key.as_str().len()
                + m.display_name.as_ref().map_or(0, String::len)
                + m.description.as_ref().map_or(0, String::len)
                + m.members.len() * 48
        };
        match self {
            Cell::Absent => OVERHEAD,
            Cell::Sealed { sealed, .. } => OVERHEAD + sealed.to_bytes().len(),
            Cell::Record(r) => meta(&r.meta) + r.sealed.to_bytes().len(),
            Cell::Listing(list) => OVERHEAD + list.iter().map(meta).sum::<usize>(),
        }
    }
}

struct Entry {
    slot: Slot,
    cell: Cell,
    /// The change number of the snapshot it was read from.
    seq: u64,
    bytes: usize,
    /// Read since the clock hand last passed it.
    used: bool,
}

/// The cache's state, under one mutex (never held across an await).
pub(crate) struct State {
    /// Subscribed and caught up: serves and accepts entries only then.
    live: bool,
    /// Every change up to this number has been applied (its names dropped).
    applied: u64,
    map: HashMap<Slot, usize>,
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    hand: usize,
    bytes: usize,
}

impl State {
    /// The cell of `slot`, when it reflects a snapshot no newer than `applied`
    /// (so every entry a lookup serves reflects the state at `applied`: one
    /// snapshot). Marks it used.
    pub(crate) fn get(&mut self, slot: &Slot) -> Option<&Cell> {
        let at = *self.map.get(slot)?;
        let entry = self.slots.get_mut(at)?.as_mut()?;
        if entry.seq > self.applied {
            return None;
        }
        entry.used = true;
        Some(&entry.cell)
    }

    fn remove(&mut self, slot: &Slot) {
        if let Some(at) = self.map.remove(slot)
            && let Some(entry) = self.slots.get_mut(at).and_then(Option::take)
        {
            self.bytes -= entry.bytes;
            self.free.push(at);
        }
    }

    /// Drops every entry of one record's name: its record and its scope's listing.
    fn forget(&mut self, workspace: &str, kind: i16, owner: &str, key: &str) {
        self.remove(&Slot::Record(
            workspace.into(),
            kind,
            owner.into(),
            key.into(),
        ));
        self.remove(&Slot::Listing(workspace.into(), kind, owner.into()));
    }

    fn clear(&mut self) {
        self.map.clear();
        self.slots.clear();
        self.free.clear();
        self.hand = 0;
        self.bytes = 0;
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// A store's cache: shared by its clones and its listener.
pub(crate) struct Cache {
    config: CacheConfig,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
    behind: AtomicU64,
    subscriptions: AtomicU64,
}

impl Cache {
    pub(crate) fn new(config: CacheConfig) -> Cache {
        Cache {
            config,
            state: Mutex::new(State {
                live: false,
                applied: 0,
                map: HashMap::new(),
                slots: Vec::new(),
                free: Vec::new(),
                hand: 0,
                bytes: 0,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            behind: AtomicU64::new(0),
            subscriptions: AtomicU64::new(0),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent between statements: a panic elsewhere leaves
        // nothing half-changed that matters more than dropping the cache would.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// First half of a lookup, before the change number is read: `look` would
    /// be answered from the cache (live, every entry present). A miss here costs
    /// no extra round trip.
    pub(crate) fn could_serve<T>(&self, look: impl FnOnce(&mut State) -> Option<T>) -> bool {
        let mut state = self.lock();
        let could = state.live && look(&mut state).is_some();
        if !could {
            self.misses.fetch_add(1, Ordering::Relaxed);
        }
        could
    }

    /// Second half: `current` is the change number read after the lookup
    /// started. Serves only when every change up to it has been applied.
    pub(crate) fn serve<T>(
        &self,
        current: u64,
        look: impl FnOnce(&mut State) -> Option<T>,
    ) -> Option<T> {
        let mut state = self.lock();
        let found = if state.live && state.applied >= current {
            look(&mut state)
        } else {
            self.behind.fetch_add(1, Ordering::Relaxed);
            None
        };
        match found {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    /// Keeps cells read from the snapshot of change number `seq`. Refused when
    /// the listener is not caught up, or has applied a change after `seq` (the
    /// cells may predate it and its invalidation has passed already).
    pub(crate) fn keep(&self, seq: u64, cells: impl IntoIterator<Item = (Slot, Cell)>) {
        let mut state = self.lock();
        if !state.live || seq < state.applied {
            return;
        }
        for (slot, cell) in cells {
            if let Some(&at) = state.map.get(&slot)
                && let Some(Some(old)) = state.slots.get(at)
                && matches!(old.cell, Cell::Record(_))
                && matches!(cell, Cell::Sealed { .. })
                && old.seq <= seq
            {
                // A whole record answers `find_sealed` too: keep it.
                continue;
            }
            state.remove(&slot);
            let bytes = cell.bytes();
            if bytes > self.config.max_bytes || self.config.max_entries == 0 {
                continue;
            }
            let entry = Entry {
                slot: slot.clone(),
                cell,
                seq,
                bytes,
                used: false,
            };
            let at = match state.free.pop() {
                Some(at) => {
                    state.slots[at] = Some(entry);
                    at
                }
                None => {
                    state.slots.push(Some(entry));
                    state.slots.len() - 1
                }
            };
            state.map.insert(slot, at);
            state.bytes += bytes;
            self.evict(&mut state);
        }
    }

    /// The clock: drops unused entries at the hand until within both bounds.
    /// Each entry is passed at most twice (its bit cleared, then dropped).
    fn evict(&self, state: &mut State) {
        while state.len() > self.config.max_entries || state.bytes > self.config.max_bytes {
            if state.slots.is_empty() {
                return;
            }
            state.hand %= state.slots.len();
            let at = state.hand;
            state.hand += 1;
            let Some(entry) = state.slots[at].as_mut() else {
                continue;
            };
            if entry.used {
                entry.used = false;
                continue;
            }
            let slot = entry.slot.clone();
            state.remove(&slot);
        }
    }

    /// This process's own committed write: drop its names now (the listener
    /// will also apply it, by number).
    pub(crate) fn forget<'a>(&self, names: impl IntoIterator<Item = (&'a Scope, &'a SecretKey)>) {
        let mut state = self.lock();
        for (scope, key) in names {
            let (kind, workspace, owner) = crate::store::scope_columns(scope);
            state.forget(workspace, kind, owner, key.as_str());
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        let state = self.lock();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            behind: self.behind.load(Ordering::Relaxed),
            listening: state.live,
            applied_seq: state.applied,
            entries: state.len(),
            bytes: state.bytes,
            subscriptions: self.subscriptions.load(Ordering::Relaxed),
        }
    }

    /// The listener lost (or has not yet made) its subscription: serve nothing.
    fn down(&self) {
        self.lock().live = false;
    }
}

/// One change from `change_log`.
struct Change {
    seq: u64,
    names: Vec<(String, i16, String, String)>,
}

/// Drives a cached store's subscription: `LISTEN` on the schema's channel, apply
/// each change, and resubscribe after a lost connection. Run it for as long as
/// the store is used: `tokio::spawn(listener.run())`. Until it has subscribed
/// and caught up, and whenever it is not running (dropped, or its connection
/// lost), the cache serves nothing and every lookup reads the database.
pub struct CacheListener {
    run: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl fmt::Debug for CacheListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheListener").finish_non_exhaustive()
    }
}

impl CacheListener {
    pub(crate) fn new<T>(
        cache: Arc<Cache>,
        sql: Arc<Sql>,
        schema: Arc<str>,
        config: tokio_postgres::Config,
        tls: T,
    ) -> CacheListener
    where
        T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
        T::Stream: Send + Sync + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        CacheListener {
            run: Box::pin(listen(cache, sql, schema, config, tls)),
        }
    }

    /// Runs until dropped: subscribes, applies changes, and after a lost
    /// connection waits (100 ms, doubling to 5 s) and subscribes again. Never
    /// returns; a failure only turns the cache off until the next subscription.
    pub async fn run(self) {
        self.run.await;
    }
}

/// Turns the cache off when the listener stops, whatever the way.
struct OffOnDrop(Arc<Cache>);

impl Drop for OffOnDrop {
    fn drop(&mut self) {
        self.0.down();
    }
}

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

async fn listen<T>(
    cache: Arc<Cache>,
    sql: Arc<Sql>,
    schema: Arc<str>,
    config: tokio_postgres::Config,
    tls: T,
) where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + Sync + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let _off = OffOnDrop(cache.clone());
    let mut backoff = Duration::from_millis(100);
    loop {
        cache.down();
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, config.connect(tls.clone())).await;
        if let Ok(Ok((client, connection))) = connected {
            let went_live = subscribe(&cache, &sql, &schema, &client, connection).await;
            cache.down();
            if went_live {
                backoff = Duration::from_millis(100);
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// One subscription, until its connection fails. Whether it went live.
async fn subscribe<S, X>(
    cache: &Cache,
    sql: &Sql,
    schema: &str,
    client: &Client,
    mut connection: Connection<S, X>,
) -> bool
where
    S: AsyncRead + AsyncWrite + Unpin,
    X: AsyncRead + AsyncWrite + Unpin,
{
    let mut woken = false;
    let listen = format!("LISTEN \"{schema}\"");
    if !matches!(
        drive(&mut connection, &mut woken, client.batch_execute(&listen)).await,
        Some(Ok(()))
    ) {
        return false;
    }
    // Subscribed: every change committed from now on wakes us. Those committed
    // before are in the log (or, beyond its length, force a clear).
    if catch_up(cache, sql, client, &mut connection, &mut woken)
        .await
        .is_none()
    {
        return false;
    }
    cache.lock().live = true;
    cache.subscriptions.fetch_add(1, Ordering::Relaxed);
    loop {
        // Wait for a notification; its payload (a change number) is only a
        // wake-up: anyone who can connect may notify, so what is applied comes
        // from the log, which only the store's role writes.
        if !woken && notified(&mut connection).await.is_none() {
            return true;
        }
        woken = false;
        if catch_up(cache, sql, client, &mut connection, &mut woken)
            .await
            .is_none()
        {
            return true;
        }
    }
}

/// Applies every logged change after `applied`. `None` when the connection
/// failed.
async fn catch_up<S, X>(
    cache: &Cache,
    sql: &Sql,
    client: &Client,
    connection: &mut Connection<S, X>,
    woken: &mut bool,
) -> Option<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    X: AsyncRead + AsyncWrite + Unpin,
{
    let current = drive(connection, woken, client.query_one(&sql.current_seq, &[]))
        .await?
        .ok()?;
    let current = u64::try_from(current.try_get::<_, i64>(0).ok()?).ok()?;
    {
        let mut state = cache.lock();
        if current < state.applied {
            // The counter went back (the schema was recreated or restored):
            // nothing cached can be trusted.
            state.clear();
            state.applied = current;
            return Some(());
        }
    }
    loop {
        let applied = cache.lock().applied;
        if applied >= current {
            return Some(());
        }
        let after = i64::try_from(applied).ok()?;
        let rows = drive(
            connection,
            woken,
            client.query(&sql.changes_after, &[&after]),
        )
        .await?
        .ok()?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            changes.push(change_from(row));
        }
        let mut state = cache.lock();
        if state.applied != applied {
            // Only this task raises `applied`; a concurrent clear cannot happen.
            return None;
        }
        if changes.is_empty() {
            // Behind the counter with nothing logged: pruned past us.
            state.clear();
            state.applied = current;
            return Some(());
        }
        for change in changes {
            match change {
                Some(change) if change.seq == state.applied + 1 => {
                    for (workspace, kind, owner, key) in &change.names {
                        state.forget(workspace, *kind, owner, key);
                    }
                    state.applied = change.seq;
                }
                // A gap (the log was pruned past us) or a row that does not
                // decode: drop everything, which covers whatever it named.
                Some(change) => {
                    state.clear();
                    state.applied = change.seq.max(state.applied);
                }
                None => {
                    state.clear();
                    state.applied = current.max(state.applied);
                    return Some(());
                }
            }
        }
    }
}

fn change_from(row: &tokio_postgres::Row) -> Option<Change> {
    let seq = u64::try_from(row.try_get::<_, i64>(0).ok()?).ok()?;
    let workspaces: Vec<String> = row.try_get(1).ok()?;
    let kinds: Vec<i16> = row.try_get(2).ok()?;
    let owners: Vec<String> = row.try_get(3).ok()?;
    let keys: Vec<String> = row.try_get(4).ok()?;
    let n = workspaces.len();
    if kinds.len() != n || owners.len() != n || keys.len() != n {
        return None;
    }
    let names = workspaces
        .into_iter()
        .zip(kinds)
        .zip(owners)
        .zip(keys)
        .map(|(((w, k), o), key)| (w, k, o, key))
        .collect();
    Some(Change { seq, names })
}

/// Polls `fut` while driving the connection (which is what moves its requests
/// and answers), noting notifications in `woken`. `None` when the connection
/// ended or failed: the subscription is lost.
async fn drive<S, X, F>(
    connection: &mut Connection<S, X>,
    woken: &mut bool,
    fut: F,
) -> Option<F::Output>
where
    S: AsyncRead + AsyncWrite + Unpin,
    X: AsyncRead + AsyncWrite + Unpin,
    F: Future,
{
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if pump(connection, woken, cx).is_err() {
            return Poll::Ready(None);
        }
        fut.as_mut().poll(cx).map(Some)
    })
    .await
}

/// Drives the connection until a notification arrives. `None` when the
/// connection ended or failed.
async fn notified<S, X>(connection: &mut Connection<S, X>) -> Option<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    X: AsyncRead + AsyncWrite + Unpin,
{
    let mut woken = false;
    poll_fn(|cx| {
        if pump(connection, &mut woken, cx).is_err() {
            return Poll::Ready(None);
        }
        if woken {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Reads every message the connection has ready. `Err` when it ended or failed.
fn pump<S, X>(
    connection: &mut Connection<S, X>,
    woken: &mut bool,
    cx: &mut std::task::Context<'_>,
) -> Result<(), ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    X: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match connection.poll_message(cx) {
            Poll::Ready(Some(Ok(AsyncMessage::Notification(_)))) => *woken = true,
            Poll::Ready(Some(Ok(_))) => {}
            Poll::Ready(Some(Err(_)) | None) => return Err(()),
            Poll::Pending => return Ok(()),
        }
    }
}

/// `find_sealed` from the cache: `None` unless every scope up to the first
/// holder has an entry.
pub(crate) fn look_sealed(
    state: &mut State,
    scopes: &[Scope],
    key: &SecretKey,
) -> Option<Option<FoundSealed>> {
    for (at, scope) in scopes.iter().enumerate() {
        match state.get(&Slot::record(scope, key))? {
            Cell::Absent => {}
            Cell::Sealed { version, sealed } => {
                return Some(Some(FoundSealed::new(at, *version, sealed.clone())));
            }
            Cell::Record(r) => {
                return Some(Some(FoundSealed::new(at, r.meta.version, r.sealed.clone())));
            }
            Cell::Listing(_) => return None,
        }
    }
    Some(None)
}

/// `get_first` from the cache: whole records only.
pub(crate) fn look_first(
    state: &mut State,
    scopes: &[Scope],
    key: &SecretKey,
) -> Option<Option<StoredSecret>> {
    for scope in scopes {
        match state.get(&Slot::record(scope, key))? {
            Cell::Absent => {}
            Cell::Record(r) => return Some(Some(r.clone())),
            Cell::Sealed { .. } | Cell::Listing(_) => return None,
        }
    }
    Some(None)
}

/// `get_many` from the cache: every key, or `None`.
pub(crate) fn look_many(
    state: &mut State,
    scopes: &[Scope],
    keys: &[SecretKey],
) -> Option<Vec<Option<StoredSecret>>> {
    keys.iter()
        .map(|key| look_first(state, scopes, key))
        .collect()
}

/// `list_many` from the cache: every scope's listing, or `None`.
pub(crate) fn look_lists(state: &mut State, scopes: &[Scope]) -> Option<Vec<Vec<SecretMeta>>> {
    scopes
        .iter()
        .map(|scope| match state.get(&Slot::listing(scope))? {
            Cell::Listing(list) => Some(list.clone()),
            _ => None,
        })
        .collect()
}

/// What `get_first` learned: every scope's record or absence (it reads them all).
pub(crate) fn first_cells(
    scopes: &[Scope],
    key: &SecretKey,
    holders: &[(usize, StoredSecret)],
) -> Vec<(Slot, Cell)> {
    scopes
        .iter()
        .enumerate()
        .map(|(at, scope)| {
            let cell = match holders.iter().find(|(i, _)| *i == at) {
                Some((_, record)) => Cell::Record(record.clone()),
                None => Cell::Absent,
            };
            (Slot::record(scope, key), cell)
        })
        .collect()
}

/// What `find_sealed` learned: with every holder returned, every scope; with
/// the first only (an ascending request, `LIMIT 1`), the scopes up to it.
pub(crate) fn sealed_cells(
    scopes: &[Scope],
    key: &SecretKey,
    found: &crate::store::SealedHolders,
) -> Vec<(Slot, Cell)> {
    let known = match (&found.found, found.complete) {
        (Some(first), false) => first.at + 1,
        _ => scopes.len(),
    };
    scopes
        .iter()
        .enumerate()
        .take(known)
        .map(|(at, scope)| {
            let cell = match found.holders.iter().find(|(i, _, _)| *i == at) {
                Some((_, version, sealed)) => Cell::Sealed {
                    version: *version,
                    sealed: sealed.clone(),
                },
                None => Cell::Absent,
            };
            (Slot::record(scope, key), cell)
        })
        .collect()
}

/// What `get_many` learned: per key, the scopes up to its first holder (all of
/// them when none holds it).
pub(crate) fn many_cells(
    scopes: &[Scope],
    keys: &[SecretKey],
    firsts: &[Option<(usize, StoredSecret)>],
) -> Vec<(Slot, Cell)> {
    let mut cells = Vec::new();
    for (key, first) in keys.iter().zip(firsts) {
        let known = first.as_ref().map_or(scopes.len(), |(at, _)| at + 1);
        for (at, scope) in scopes.iter().enumerate().take(known) {
            let cell = match first {
                Some((i, record)) if *i == at => Cell::Record(record.clone()),
                _ => Cell::Absent,
            };
            cells.push((Slot::record(scope, key), cell));
        }
    }
    cells
}

/// What `list_many` learned: each scope's listing.
pub(crate) fn list_cells(scopes: &[Scope], lists: &[Vec<SecretMeta>]) -> Vec<(Slot, Cell)> {
    scopes
        .iter()
        .zip(lists)
        .map(|(scope, list)| (Slot::listing(scope), Cell::Listing(list.clone())))
        .collect()
}
