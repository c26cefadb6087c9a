//! Usage recording: which workflows resolved which secret, kept in memory and
//! drained to the store by the host.
//!
//! A resolution adds or refreshes one pending mark per (scope, key, workflow) under
//! one lock, without I/O; [`Resolver::flush_usage`](crate::Resolver::flush_usage)
//! hands the pending marks to [`SecretStore::record_usage`] in one call. The crate
//! starts no thread or task: the host calls the flush from its own.

use std::borrow::Borrow;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use crate::store::{SecretStore, UsageMark};
use crate::vocab::{Error, Scope, SecretKey, Timestamp, WorkflowId};

/// How a [`Resolver`](crate::Resolver) records usage
/// ([`Resolver::with_usage_recording`](crate::Resolver::with_usage_recording)).
///
/// - **`interval`**: once a mark of (scope, key, workflow) has been flushed, the
///   next resolution of the same three opens a new mark only when `interval` has
///   passed since the flushed one opened, so the store is written at most once per
///   interval for each of them, however often a workflow resolves the key. Until a
///   mark is flushed, each resolution moves its time forward. So the time a store
///   keeps may be up to `interval` earlier than the latest resolution: a checked
///   delete's window should be longer than the interval.
/// - **`capacity`**: the most (scope, key, workflow) entries held in memory, pending
///   or waiting out their interval. A resolution that would need one more is not
///   recorded, and counted in [`UsageFlush::dropped`]. Each entry holds three shared
///   ids and three times (about a hundred bytes with the map's own).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use workflow_secrets::resolve::UsageRecording;
///
/// let recording = UsageRecording::every(Duration::from_secs(60)).capacity(50_000);
/// assert_eq!(recording.interval(), Duration::from_secs(60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageRecording {
    interval: Duration,
    capacity: usize,
}

impl UsageRecording {
    /// The default [`capacity`](Self::capacity): 100,000 entries.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// At most one store write per (scope, key, workflow) per `interval`, holding at
    /// most [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) entries.
    pub fn every(interval: Duration) -> UsageRecording {
        UsageRecording {
            interval,
            capacity: Self::DEFAULT_CAPACITY,
        }
    }

    /// Holds at most `capacity` entries in memory.
    pub fn capacity(mut self, capacity: usize) -> UsageRecording {
        self.capacity = capacity;
        self
    }

    /// The interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The most entries held.
    pub fn max_entries(&self) -> usize {
        self.capacity
    }
}

/// What one [`Resolver::flush_usage`](crate::Resolver::flush_usage) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct UsageFlush {
    /// Marks handed to the store (one per (scope, key, workflow)).
    pub written: usize,
    /// Resolutions not recorded since the last successful flush, because the
    /// recorder held [`UsageRecording::max_entries`] entries.
    pub dropped: u64,
}

/// The process's key for [`seed_of`]: one for every recorder, so a run's seeds
/// serve any of them.
static SEED_KEY: OnceLock<RandomState> = OnceLock::new();

/// The hash of (scope, workflow) that a mark's hash starts from. Keyed (SipHash
/// with a random key), like the map's own hashing, so ids chosen to collide cannot
/// turn lookups linear.
pub(crate) fn seed_of(scope: &Scope, workflow: &WorkflowId) -> u64 {
    SEED_KEY
        .get_or_init(RandomState::new)
        .hash_one((scope, workflow))
}

/// A run's [`seed_of`] for each of its scopes, computed at its first mark and shared
/// by the clones of its context (the scopes' ids are most of a mark's bytes: hashing
/// them once per run, not per resolution, is most of what recording costs).
#[derive(Clone, Default)]
pub(crate) struct Seeds(Arc<OnceLock<Box<[u64]>>>);

impl Seeds {
    /// The seed of `scopes[at]` with `workflow`.
    pub(crate) fn at(&self, scopes: &[Scope], workflow: &WorkflowId, at: usize) -> u64 {
        let seeds = self
            .0
            .get_or_init(|| scopes.iter().map(|s| seed_of(s, workflow)).collect());
        match seeds.get(at) {
            Some(seed) => *seed,
            None => seed_of(&scopes[at], workflow),
        }
    }
}

impl fmt::Debug for Seeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seeds")
    }
}

/// One (scope, key, workflow), owned by the map, with its seed. (Cloned into the
/// pending list and the expiry queue: its ids are shared, a clone counts them.)
#[derive(Clone)]
struct Triple(u64, Scope, SecretKey, WorkflowId);

/// A (scope, key, workflow) with its seed, owned ([`Triple`]) or borrowed (a
/// probe): the map is searched through `dyn Parts`, so recording a resolution that
/// already has its entry clones nothing and moves no reference count. Its hash is
/// the seed and the key.
trait Parts {
    fn seed(&self) -> u64;
    fn parts(&self) -> (&Scope, &SecretKey, &WorkflowId);
}

impl Parts for Triple {
    fn seed(&self) -> u64 {
        self.0
    }
    fn parts(&self) -> (&Scope, &SecretKey, &WorkflowId) {
        (&self.1, &self.2, &self.3)
    }
}

impl Parts for (u64, &Scope, &SecretKey, &WorkflowId) {
    fn seed(&self) -> u64 {
        self.0
    }
    fn parts(&self) -> (&Scope, &SecretKey, &WorkflowId) {
        (self.1, self.2, self.3)
    }
}

// `Borrow` requires that both forms hash and compare alike: both go through `parts()`.
impl<'a> Borrow<dyn Parts + 'a> for Triple {
    fn borrow(&self) -> &(dyn Parts + 'a) {
        self
    }
}

impl Hash for dyn Parts + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.seed());
        self.parts().1.hash(state);
    }
}

impl PartialEq for dyn Parts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.seed() == other.seed() && self.parts() == other.parts()
    }
}

impl Eq for dyn Parts + '_ {}

impl Hash for Triple {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn Parts).hash(state);
    }
}

impl PartialEq for Triple {
    fn eq(&self, other: &Self) -> bool {
        (self as &dyn Parts) == (other as &dyn Parts)
    }
}

impl Eq for Triple {}

/// One (scope, key, workflow)'s state.
#[derive(Clone, Copy)]
struct Entry {
    /// When its latest mark opened: no new mark before `opened + interval`.
    opened: Timestamp,
    /// The latest resolution recorded in the mark.
    last: Timestamp,
    /// The mark is not flushed yet.
    pending: bool,
}

#[derive(Default)]
struct State {
    entries: HashMap<Triple, Entry>,
    /// The entries whose mark is pending, each once: a flush reads these, not the
    /// whole map (100,000 entries, the default capacity, took 1.3 ms to scan under
    /// the lock every resolution takes, whether or not any mark was pending).
    pending: Vec<Triple>,
    /// Flushed entries by the time their interval ends, when they give their room
    /// back unless a resolution opened a new mark meanwhile.
    waiting: BinaryHeap<Waiting>,
    dropped: u64,
}

/// A flushed entry's end of interval, in the expiry queue (earliest on top).
struct Waiting {
    ends: Timestamp,
    triple: Triple,
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.ends == other.ends
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    /// Reversed: `BinaryHeap` pops the greatest, the queue the earliest end.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.ends.cmp(&self.ends)
    }
}

/// The shared recorder of a resolver and its clones.
pub(crate) struct Recorder {
    interval: u64,
    capacity: usize,
    state: Mutex<State>,
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorder")
            .field("interval_ms", &self.interval)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    pub(crate) fn new(recording: UsageRecording) -> Recorder {
        Recorder {
            interval: u64::try_from(recording.interval.as_millis()).unwrap_or(u64::MAX),
            capacity: recording.capacity,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change under the lock is one field write or one insert: a panic
        // elsewhere leaves the state consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that `workflow` resolved `key` from `scope` at `now`: no I/O. `seed`
    /// is [`seed_of`] `(scope, workflow)`.
    pub(crate) fn note(
        &self,
        seed: u64,
        scope: &Scope,
        key: &SecretKey,
        workflow: &WorkflowId,
        now: u64,
    ) {
        let mut state = self.state();
        let state = &mut *state;
        let probe = (seed, scope, key, workflow);
        if let Some(entry) = state.entries.get_mut(&probe as &dyn Parts) {
            if entry.pending {
                entry.last = entry.last.max(now);
            } else if now >= entry.opened.saturating_add(self.interval) {
                *entry = Entry {
                    opened: now,
                    last: now,
                    pending: true,
                };
                // Once an interval at most: the clone is not on the common path.
                let triple = Triple(seed, scope.clone(), key.clone(), workflow.clone());
                state.pending.push(triple);
            }
            return;
        }
        if state.entries.len() >= self.capacity {
            state.dropped = state.dropped.saturating_add(1);
            return;
        }
        let triple = Triple(seed, scope.clone(), key.clone(), workflow.clone());
        let entry = Entry {
            opened: now,
            last: now,
            pending: true,
        };
        state.pending.push(triple.clone());
        state.entries.insert(triple, entry);
    }

    /// How many marks wait for a flush.
    pub(crate) fn pending(&self) -> usize {
        self.state().pending.len()
    }

    /// Drains the pending marks into `store`. On a store error they are pending
    /// again (their times merged with any resolution since), and so is the count of
    /// dropped resolutions.
    pub(crate) async fn flush<S: SecretStore + ?Sized>(
        &self,
        store: &S,
        now: Timestamp,
    ) -> Result<UsageFlush, Error> {
        let (mut marks, flushed, dropped) = {
            let mut state = self.state();
            let state = &mut *state;
            let mut marks = Vec::with_capacity(state.pending.len());
            let mut flushed = Vec::with_capacity(state.pending.len());
            for triple in std::mem::take(&mut state.pending) {
                let Some(entry) = state.entries.get_mut(&triple as &dyn Parts) else {
                    continue;
                };
                entry.pending = false;
                let (scope, key, workflow) = triple.parts();
                marks.push(UsageMark::new(
                    scope.clone(),
                    key.clone(),
                    workflow.clone(),
                    entry.last,
                ));
                let ends = entry.opened.saturating_add(self.interval);
                flushed.push(Waiting { ends, triple });
            }
            self.give_back(state, now);
            (marks, flushed, std::mem::take(&mut state.dropped))
        };
        if marks.is_empty() {
            return Ok(UsageFlush {
                written: 0,
                dropped,
            });
        }
        // One order for every flush: two hosts' flushes take row locks in the same
        // order (no deadlock between them in a database that locks rows).
        marks.sort_by(|a, b| (&a.scope, &a.key, &a.workflow).cmp(&(&b.scope, &b.key, &b.workflow)));
        match store.record_usage(&marks).await {
            Ok(()) => {
                // Queued once written: a failed flush puts its marks back pending,
                // and queued nothing (flushes retried through an outage would
                // queue an item per mark each time).
                // Given back at once when their interval is already over (a mark
                // that waited longer than the interval for its flush), as before.
                let mut state = self.state();
                state.waiting.extend(flushed);
                self.give_back(&mut state, now);
                drop(state);
                Ok(UsageFlush {
                    written: marks.len(),
                    dropped,
                })
            }
            Err(err) => {
                self.restore(marks, dropped);
                Err(err.into())
            }
        }
    }

    /// Drops the flushed entries whose interval is over at `now`: such an entry gates
    /// nothing (the next resolution would open a mark anyway), so it gives its room
    /// back. An item whose entry opened a new mark since is passed over: that mark
    /// queues its own.
    fn give_back(&self, state: &mut State, now: Timestamp) {
        while state.waiting.peek().is_some_and(|w| w.ends <= now) {
            let Some(Waiting { ends, triple }) = state.waiting.pop() else {
                break;
            };
            let key = &triple as &dyn Parts;
            let over = state
                .entries
                .get(key)
                .is_some_and(|e| !e.pending && e.opened.saturating_add(self.interval) == ends);
            if over {
                state.entries.remove(key);
            }
        }
    }

    /// Puts marks a failed flush took back in place.
    fn restore(&self, marks: Vec<UsageMark>, dropped: u64) {
        let mut state = self.state();
        let state = &mut *state;
        state.dropped = state.dropped.saturating_add(dropped);
        for mark in marks {
            let seed = seed_of(&mark.scope, &mark.workflow);
            let probe = (seed, &mark.scope, &mark.key, &mark.workflow);
            if let Some(entry) = state.entries.get_mut(&probe as &dyn Parts) {
                if !entry.pending {
                    entry.pending = true;
                    let triple = Triple(
                        seed,
                        mark.scope.clone(),
                        mark.key.clone(),
                        mark.workflow.clone(),
                    );
                    state.pending.push(triple);
                }
                entry.last = entry.last.max(mark.used_at);
                continue;
            }
            if state.entries.len() >= self.capacity {
                state.dropped = state.dropped.saturating_add(1);
                continue;
            }
            let entry = Entry {
                opened: mark.used_at,
                last: mark.used_at,
                pending: true,
            };
            let triple = Triple(seed, mark.scope, mark.key, mark.workflow);
            state.pending.push(triple.clone());
            state.entries.insert(triple, entry);
        }
    }
}
