//! The live pattern set: immutable snapshots, geometric segment merging, masks.
//!
//! A redactor's set is a list of [`Segment`]s, oldest and largest first, published
//! as an immutable [`Snapshot`] behind an `Arc`. [`Live::add`] builds a segment from
//! the new value's own patterns and then, LSM-style, merges the last two segments
//! while the newer one is at least half the size of the older. A pattern is thus
//! rebuilt O(log n) times over the life of a set of n patterns, and the number of
//! segments (searches per text) stays O(log n). Every clone of a redactor, and every
//! writer, reads the current snapshot; writers notice a new one by a generation
//! counter.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::{ArcSwap, Guard};

use zeroize::Zeroizing;

use super::decode::Decoded;
use super::encodings::Encodings;
use super::formats::{self, Context, PemOpen, Scanner, TokenFormats};
use super::masks::{MaskView, Masks};
use super::matcher::{CARRIED, Choice, Entry, Run, Segment};
use super::variants::{MIN_FRAGMENT, for_each_pattern};
use crate::vocab::SecretKey;

/// What a builder fixed: how values become patterns and how runs are masked.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) mask: String,
    pub(crate) labelled: bool,
    pub(crate) min_len: usize,
    pub(crate) encodings: Encodings,
    /// Which searcher segments use (tests force each to compare them).
    pub(crate) matcher: Choice,
    /// Which well-known token formats are masked without being registered.
    pub(crate) formats: TokenFormats,
}

/// Where a haystack lies in its text, for [`Snapshot::find_runs`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// The end of a run already masked that begins before the haystack.
    pub(crate) carried: Option<usize>,
    /// Whether the haystack begins the whole text (partial occurrences count there).
    pub(crate) at_start: bool,
    /// Whether it ends the whole text.
    pub(crate) at_end: bool,
    /// What the text before it left for the format scan.
    pub(crate) context: Context,
    /// Format runs that start here or later are left to a later step.
    pub(crate) limit: usize,
}

impl Window {
    /// A whole text of `len` bytes.
    pub(crate) fn whole(len: usize) -> Window {
        Window {
            carried: None,
            at_start: true,
            at_end: true,
            context: Context::default(),
            limit: len,
        }
    }
}

/// One immutable state of a set: what a redaction or a writer step reads.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) segments: Vec<Arc<Segment>>,
    /// Mask bytes by mask id.
    pub(crate) masks: MaskView,
    /// What a writer holds back: the longest occurrence less one byte. That is the
    /// longest pattern, or three times it when the decoded view is searched (each
    /// byte of an occurrence there may be a 3-byte escape in the text). With token
    /// formats on, the longest format token plus the longest occurrence: a token
    /// decided at the cut reads one byte past its end, and the registered runs it
    /// steps over must be whole.
    pub(crate) hold_back: usize,
    /// The scan for well-known token formats, when some are masked.
    pub(crate) scanner: Option<Arc<Scanner>>,
    /// Whether the percent-decoded view of a text is searched too.
    pub(crate) decodes: bool,
    /// Whether some value holds a space (so a `+` in a text may stand for one).
    pub(crate) spaced: bool,
    /// The shortest pattern's length.
    pub(crate) min_len: usize,
    pub(crate) values: usize,
    pub(crate) skipped: usize,
    pub(crate) patterns: usize,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("patterns", &self.len())
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Finds the runs of `hay` into `out` (cleared first), as `window` places `hay`
    /// in its text. With token formats on, format runs that start before
    /// `window.limit` join them; the return is a PEM block still open at the end of
    /// `hay`, for the writer's next step.
    pub(crate) fn find_runs(
        &self,
        hay: &[u8],
        window: Window,
        out: &mut Vec<Run>,
    ) -> Option<PemOpen> {
        let Window {
            carried,
            at_start,
            at_end,
            context,
            limit,
        } = window;
        out.clear();
        if let Some(end) = carried {
            out.push(Run {
                start: 0,
                end,
                first_len: usize::MAX,
                mask: CARRIED,
            });
        }
        // Too short for any occurrence, whole or partial (at least 8 bytes).
        if carried.is_some() || hay.len() >= self.min_len.min(MIN_FRAGMENT) {
            self.registered_runs(hay, at_start, at_end, out);
        }
        let scanner = self.scanner.as_ref()?;
        // The registered runs are whole: the format scan reads them as opaque spans.
        let mut found = Vec::new();
        let open = scanner.scan(hay, out, context, limit, at_end, &mut found);
        if !found.is_empty() {
            out.extend(found);
            merge(out);
        }
        open
    }

    /// The registered values' runs of `hay` (after a carried run already in `out`).
    fn registered_runs(&self, hay: &[u8], at_start: bool, at_end: bool, out: &mut Vec<Run>) {
        let mut sorted = self.scan(hay, at_start, at_end, out);
        let view = match self.decodes {
            true => Decoded::of(hay, self.spaced),
            false => None,
        };
        if let Some(view) = view {
            let mut found = Vec::new();
            self.scan(&view.bytes, at_start, at_end, &mut found);
            sorted &= found.is_empty();
            out.extend(found.into_iter().map(|run| view.map(run)));
        }
        if !sorted {
            merge(out);
        }
    }

    /// Appends the runs of every segment in `hay`, and its partial occurrences at a
    /// text's start or end, to `out`; returns whether `out` is still sorted.
    fn scan(&self, hay: &[u8], at_start: bool, at_end: bool, out: &mut Vec<Run>) -> bool {
        let mut sorted = true;
        for segment in self.segments.iter().filter(|s| hay.len() >= s.min_len()) {
            let before = out.len();
            segment.runs(hay, out);
            if before > 0 && out.len() > before {
                sorted = false;
            }
        }
        if at_start {
            let best = self
                .segments
                .iter()
                .filter_map(|s| s.start_partial(hay))
                .fold(None::<(usize, u32)>, |best, p| match best {
                    Some(b) if b.0 >= p.0 => Some(b),
                    _ => Some(p),
                });
            if let Some((end, mask)) = best {
                out.push(Run {
                    start: 0,
                    end,
                    first_len: end,
                    mask,
                });
                sorted = false;
            }
        }
        if at_end {
            let best = self
                .segments
                .iter()
                .filter_map(|s| s.end_partial(hay))
                .fold(None::<(usize, u32)>, |best, p| match best {
                    Some(b) if b.0 <= p.0 => Some(b),
                    _ => Some(p),
                });
            if let Some((start, mask)) = best {
                out.push(Run {
                    start,
                    end: hay.len(),
                    first_len: hay.len() - start,
                    mask,
                });
                sorted = false;
            }
        }
        sorted
    }

    /// Writes `hay` with each run replaced by its mask (a carried run by nothing).
    pub(crate) fn emit(&self, hay: &[u8], runs: &[Run], out: &mut Vec<u8>) {
        let mut at = 0;
        for run in runs {
            out.extend_from_slice(&hay[at..run.start]);
            self.push_mask(run.mask, out);
            at = run.end;
        }
        out.extend_from_slice(&hay[at..]);
    }

    /// Appends mask `id` (nothing for a carried run).
    pub(crate) fn push_mask(&self, id: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(self.mask(id));
    }

    /// The bytes of mask `id` (empty for a carried run, whose mask was emitted).
    pub(crate) fn mask(&self, id: u32) -> &[u8] {
        self.mask_str(id).as_bytes()
    }

    /// Mask `id` as text.
    pub(crate) fn mask_str(&self, id: u32) -> &str {
        if let Some(format) = formats::format_of(id) {
            return format.mask();
        }
        match self.masks.get(id) {
            Some(mask) if id != CARRIED => mask,
            _ => "",
        }
    }

    /// One-shot redaction of a whole text; `None` when nothing matched. Built with
    /// string slices: runs start and end on character boundaries (patterns are
    /// UTF-8, and a partial occurrence is a pattern's prefix or suffix that matched
    /// whole characters of the text), so no validation pass is needed.
    pub(crate) fn redact_str(&self, text: &str) -> Option<String> {
        let mut runs = Vec::new();
        self.find_runs(text.as_bytes(), Window::whole(text.len()), &mut runs);
        if runs.is_empty() {
            return None;
        }
        Some(self.emit_str(text, &runs))
    }

    fn emit_str(&self, text: &str, runs: &[Run]) -> String {
        let mut out = String::new();
        self.push_str(text, runs, &mut out);
        out
    }

    /// Appends `text` with each run replaced by its mask to `out`.
    fn push_str(&self, text: &str, runs: &[Run], out: &mut String) {
        let extra = self.masks.longest() * runs.len();
        out.reserve(text.len() + extra);
        let mut at = 0;
        for run in runs {
            out.push_str(piece(text, at, run.start));
            out.push_str(self.mask_str(run.mask));
            at = run.end;
        }
        out.push_str(piece(text, at, text.len()));
    }

    /// One-shot redaction of a whole text, appended to `out`.
    pub(crate) fn redact_str_into(&self, text: &str, out: &mut String) {
        let mut runs = Vec::new();
        self.find_runs(text.as_bytes(), Window::whole(text.len()), &mut runs);
        self.push_str(text, &runs, out);
    }

    /// One-shot redaction of a whole text; `None` when nothing matched.
    pub(crate) fn redact(&self, text: &[u8]) -> Option<Vec<u8>> {
        let mut runs = Vec::new();
        self.find_runs(text, Window::whole(text.len()), &mut runs);
        if runs.is_empty() {
            return None;
        }
        let extra = self.masks.longest() * runs.len();
        let mut out = Vec::with_capacity(text.len() + extra);
        self.emit(text, &runs, &mut out);
        Some(out)
    }

    /// Copies of every registered pattern.
    #[cfg(feature = "testing")]
    pub(crate) fn patterns(&self) -> Vec<Vec<u8>> {
        self.segments
            .iter()
            .flat_map(|s| s.patterns().map(<[u8]>::to_vec))
            .collect()
    }

    /// Heap bytes the set holds.
    pub(crate) fn memory_usage(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.memory_usage())
            .sum::<usize>()
            + self.masks.memory_usage()
            + self.scanner.as_ref().map_or(0, |s| s.memory_usage())
    }
}

/// `text[from..to]`; never empty by mistake, as runs keep character boundaries, but
/// a cut inside a character would yield nothing rather than panic.
fn piece(text: &str, from: usize, to: usize) -> &str {
    debug_assert!(text.is_char_boundary(from) && text.is_char_boundary(to));
    text.get(from..to).unwrap_or_default()
}

/// Sorts `runs` by start (longest first occurrence first among equal starts) and
/// folds those that overlap or touch into one, keeping the first one's mask: a run
/// is labelled by its leftmost occurrence.
fn merge(runs: &mut Vec<Run>) {
    // Stable: among equal starts and lengths the earlier source wins.
    runs.sort_by(|a, b| a.start.cmp(&b.start).then(b.first_len.cmp(&a.first_len)));
    let mut merged: usize = 0;
    for i in 0..runs.len() {
        let run = runs[i];
        if merged > 0 && run.start <= runs[merged - 1].end {
            let last = &mut runs[merged - 1];
            last.end = last.end.max(run.end);
        } else {
            runs[merged] = run;
            merged += 1;
        }
    }
    runs.truncate(merged);
}

/// Values added since the last compile: plaintext, so `Debug` shows only how many.
#[derive(Default)]
struct Pending(Vec<(Option<SecretKey>, Zeroizing<Vec<u8>>)>);

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} queued values", self.0.len())
    }
}

/// The mutable side of a live set, behind the shared mutex.
#[derive(Debug)]
struct State {
    segments: Vec<Arc<Segment>>,
    /// Values added since the last snapshot, compiled together when the set is next read.
    pending: Pending,
    /// The masks by id: id 0 is the unnamed (or only) mask, then one per key when
    /// labelled. Appended to, never rebuilt: a snapshot takes a view.
    masks: Masks,
    key_ids: HashMap<SecretKey, u32>,
    values: usize,
    skipped: usize,
    /// Whether some registered value holds a space.
    spaced: bool,
    /// The format scan, built once for the set's life.
    scanner: Option<Arc<Scanner>>,
}

/// The set every clone of one redactor shares.
#[derive(Debug)]
pub(crate) struct Live {
    pub(crate) config: Config,
    state: Mutex<State>,
    /// Read on every redaction, from every thread: `ArcSwap`'s `load` writes only
    /// the calling thread's own slot, nothing other readers write (an `RwLock` and
    /// the `Arc`'s count took four atomic writes to two lines shared by every
    /// reader: 119-byte lines at N = 1 went from 26 to 15 million a second with a
    /// second thread redacting beside the first).
    current: ArcSwap<Snapshot>,
    generation: AtomicU64,
    /// Set by `add`, cleared when the pending patterns are compiled.
    dirty: AtomicBool,
}

impl Live {
    /// Builds a set from `values` in one segment.
    pub(crate) fn new<'a>(
        config: Config,
        values: impl IntoIterator<Item = (Option<&'a SecretKey>, &'a [u8])>,
    ) -> Live {
        let mut state = State {
            segments: Vec::new(),
            pending: Pending::default(),
            masks: Masks::default(),
            key_ids: HashMap::new(),
            values: 0,
            skipped: 0,
            spaced: false,
            scanner: Scanner::new(config.formats).map(Arc::new),
        };
        state.masks.push(mask_text(&config, None));
        let mut entries = Vec::new();
        for (key, value) in values {
            state.register(&config, key, value, &mut entries);
        }
        state.segments.extend(
            Segment::build_set(entries, config.matcher)
                .into_iter()
                .map(Arc::new),
        );
        Live::of(config, state)
    }

    /// A set whose state is `state`, published as its first snapshot.
    fn of(config: Config, state: State) -> Live {
        let snapshot = state.snapshot(&config);
        Live {
            config,
            state: Mutex::new(state),
            current: ArcSwap::from_pointee(snapshot),
            generation: AtomicU64::new(0),
            dirty: AtomicBool::new(false),
        }
    }

    /// A new set with this one's configuration and contents (queued values
    /// compiled first), which goes on alone: see `Redactor::fork`.
    pub(crate) fn fork(&self) -> Live {
        if self.dirty.load(Ordering::Acquire) {
            self.compile_pending();
        }
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let state = State {
            segments: state.segments.clone(),
            // Compiled above; a value queued since stays with this set alone.
            pending: Pending::default(),
            masks: state.masks.duplicate(),
            key_ids: state.key_ids.clone(),
            values: state.values,
            skipped: state.skipped,
            spaced: state.spaced,
            scanner: state.scanner.clone(),
        };
        Live::of(self.config.clone(), state)
    }

    /// The current snapshot, with every value added so far compiled in, for one
    /// call: held briefly (a guard whose load writes only the calling thread's own
    /// slot, nothing other readers write).
    pub(crate) fn snapshot(&self) -> Guard<Arc<Snapshot>> {
        if self.dirty.load(Ordering::Acquire) {
            self.compile_pending();
        }
        self.current.load()
    }

    /// The current snapshot, as [`snapshot`](Live::snapshot), to keep (a writer
    /// keeps it between writes).
    pub(crate) fn snapshot_arc(&self) -> Arc<Snapshot> {
        Guard::into_inner(self.snapshot())
    }

    /// The generation of the set; it changes with every add.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Registers one value with the set. Cheap: it queues a copy of the value (in a
    /// zeroizing buffer); the next read of the set (any `redact`, a writer's next write
    /// or flush) computes the patterns of everything queued since and compiles them
    /// into one segment. So a step that
    /// resolves five credentials pays for one small build, not five, and a run that
    /// never prints pays for none. Every read after `add` returns masks the value.
    pub(crate) fn add(&self, key: Option<&SecretKey>, value: &[u8]) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .pending
            .0
            .push((key.cloned(), Zeroizing::new(value.to_vec())));
        // Set under the lock that guards `pending`, so `compile_pending` cannot miss it.
        self.dirty.store(true, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Builds a segment of the queued patterns, merges segments geometrically (each
    /// pattern is rebuilt O(log n) times over the set's life) and publishes a snapshot.
    fn compile_pending(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.dirty.load(Ordering::Acquire) {
            return; // another reader compiled them while this one waited
        }
        let mut entries = Vec::new();
        for (key, value) in std::mem::take(&mut state.pending.0) {
            state.register(&self.config, key.as_ref(), &value, &mut entries);
        }
        state.segments.extend(
            Segment::build_all(entries, self.config.matcher)
                .into_iter()
                .map(Arc::new),
        );
        while state.segments.len() >= 2 {
            let n = state.segments.len();
            if state.segments[n - 1].len() * 2 < state.segments[n - 2].len() {
                break;
            }
            let (older, newer) = (&state.segments[n - 2], &state.segments[n - 1]);
            let merged: Vec<Entry> = older.entries().chain(newer.entries()).collect();
            // `None` only past a segment's byte bound: both stay, and still mask.
            let Some(merged) = Segment::build(merged, self.config.matcher) else {
                break;
            };
            state.segments.truncate(n - 2);
            state.segments.push(Arc::new(merged));
        }
        self.current.store(Arc::new(state.snapshot(&self.config)));
        self.dirty.store(false, Ordering::Release);
    }
}

/// The mask of `key`'s values (or of values without a key), from the
/// configuration alone: `[REDACTED:KEY]` (or `[REDACTED]`) when labelled, else the
/// configured mask. Never chosen by the values' bytes: a value holding a mask's
/// characters once switched the mask (`<REDACTED:KEY>`, `###`), a bit per guessed
/// character for a log reader. The output may then spell a value where the mask and
/// the caller's own bytes do; no byte of it comes from the masked input.
fn mask_text(config: &Config, key: Option<&SecretKey>) -> String {
    match (config.labelled, key) {
        (true, Some(key)) => format!("[REDACTED:{}]", key.as_str()),
        (true, None) => "[REDACTED]".to_owned(),
        (false, _) => config.mask.clone(),
    }
}

impl State {
    /// Appends the patterns of one value to `entries`, counting it.
    fn register(
        &mut self,
        config: &Config,
        key: Option<&SecretKey>,
        value: &[u8],
        entries: &mut Vec<Entry>,
    ) {
        if value.is_empty() {
            return;
        }
        if value.len() < config.min_len {
            self.skipped += 1;
            return;
        }
        self.values += 1;
        self.spaced |= value.contains(&b' ');
        let mask = match key {
            Some(key) if config.labelled => self.mask_for(config, key),
            _ => 0,
        };
        for_each_pattern(value, config.min_len, config.encodings, &mut |p, origin| {
            entries.push(Entry {
                bytes: Zeroizing::new(p.to_vec()),
                mask,
                origin,
            });
        });
    }

    /// The id of the labelled mask for `key`, adding it when new (mask 0 past a
    /// billion keys, where the token formats' ids begin).
    fn mask_for(&mut self, config: &Config, key: &SecretKey) -> u32 {
        if let Some(&id) = self.key_ids.get(key) {
            return id;
        }
        let id = self.masks.push(mask_text(config, Some(key))).unwrap_or(0);
        self.key_ids.insert(key.clone(), id);
        id
    }

    fn snapshot(&self, config: &Config) -> Snapshot {
        let masks = self.masks.view();
        let max_len = self.segments.iter().map(|s| s.max_len()).max().unwrap_or(0);
        // The longest occurrence in the text: three bytes a byte in the decoded view.
        let occurrence = match config.encodings.percent {
            true => max_len.saturating_mul(3),
            false => max_len,
        };
        let hold_back = match &self.scanner {
            // A token that starts before the cut is read through the byte after it
            // (at most its longest form past the cut, less one), and every registered
            // occurrence that starts inside that window must be whole.
            Some(scanner) => scanner.formats().max_len().saturating_add(occurrence),
            None => occurrence.saturating_sub(1),
        };
        Snapshot {
            segments: self.segments.clone(),
            masks,
            hold_back,
            scanner: self.scanner.clone(),
            decodes: config.encodings.percent,
            spaced: self.spaced,
            min_len: self.segments.iter().map(|s| s.min_len()).min().unwrap_or(0),
            values: self.values,
            skipped: self.skipped,
            patterns: self.segments.iter().map(|s| s.len()).sum(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use crate::redact::Redactor;
    use crate::vocab::{SecretKey, SecretValue};

    fn key(name: &str) -> SecretKey {
        SecretKey::new(name).unwrap()
    }

    fn value(text: &str) -> SecretValue {
        SecretValue::new(text).unwrap()
    }

    /// A fork shares the compiled segments (nothing is compiled again) and its
    /// masks, and then goes on alone: a key either adds is masked by that one only,
    /// each under its own label.
    #[test]
    fn a_fork_shares_the_compiled_patterns_and_goes_on_alone() {
        let base = Redactor::builder()
            .labelled(true)
            .secret_named(&key("HOST_KEY"), &value("host-value-1234"))
            .build();
        base.add(Some(&key("QUEUED")), &value("queued-value-5678"));
        let fork = base.fork();
        let (ours, theirs) = (base.live.snapshot_arc(), fork.live.snapshot_arc());
        assert_eq!(ours.segments.len(), theirs.segments.len());
        for (a, b) in ours.segments.iter().zip(&theirs.segments) {
            assert!(std::sync::Arc::ptr_eq(a, b));
        }
        fork.add(Some(&key("FORKED")), &value("forked-value-0000"));
        base.add(Some(&key("BASE_LATER")), &value("base-later-value"));
        let text = "host-value-1234 queued-value-5678 forked-value-0000 base-later-value";
        assert_eq!(
            fork.redact(text),
            "[REDACTED:HOST_KEY] [REDACTED:QUEUED] [REDACTED:FORKED] base-later-value"
        );
        assert_eq!(
            base.redact(text),
            "[REDACTED:HOST_KEY] [REDACTED:QUEUED] forked-value-0000 [REDACTED:BASE_LATER]"
        );
    }
}
