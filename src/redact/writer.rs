//! `RedactingWriter`: redaction of a stream written in arbitrary pieces.
//!
//! The writer keeps the text it has not decided yet in a buffer and, at each step,
//! finds the runs of the whole buffer. With `h` the hold-back (longest occurrence
//! less one byte: the longest pattern, or three times it when the decoded view is
//! searched) and `L` the buffer's length, every occurrence that starts before
//! `S = L - h` lies wholly inside the buffer, so everything before `S` is decided:
//! the writer emits the text before `S` with its runs masked and drops it. A run that
//! reaches `S` or beyond may still grow, but its mask does not depend on its length,
//! so the writer emits the mask at once and carries the run's end into the next step,
//! where it swallows what the run covers. The input consumed per step is always
//! `L - h` bytes, whatever the text: no prefix oracle. Partial occurrences count at
//! the stream's start (decided once more than `h` bytes are in) and at its end (on
//! finish). The output is therefore byte-identical to one-shot redaction of the
//! whole stream, however it was chunked, while the set does not change.
//!
//! Redaction is one pass with a mask fixed by the configuration (see `set.rs`), so
//! one stage of this kind is the whole writer.

use std::fmt;
use std::io::{self, IoSlice, Write};
use std::sync::Arc;

use zeroize::Zeroize;

use super::decode::escape_at;
use super::formats::{Context, PemOpen};
use super::matcher::Run;
use super::platform::PlatformRedactor;
use super::redactor::Redactor;
use super::set::{Snapshot, Window};

/// Process the buffer once it holds this much more than the hold-back: each step has
/// a fixed cost (setting up the search), so small writes are gathered into large
/// steps.
const STEP: usize = 64 * 1024;

/// A write at least this much longer than the hold-back is decided in place, without
/// being copied into the buffer first. A shorter one is copied: deciding it in place
/// takes two searches (the held text with the write's first bytes, then the write),
/// and their fixed cost per call outweighs the copy from 10 secrets up (4 KiB writes
/// over 4 MiB, beyond one-shot redaction: at N = 100, 107 ns a write in place
/// against 67 ns copied; at N = 1 in place would gain, about 50 against 60-78, and
/// still stay under 0.9x of one-shot speed: no writer keeps 0.9x in 4 KiB writes at
/// N = 1 or 10, see `bench-hyperscan`'s floors table).
const IN_PLACE: usize = 16 * 1024;

/// An [`io::Write`] adapter that masks registered secrets in everything written
/// through it, including a secret split across any number of `write` calls.
///
/// `write` decides text in large steps and holds back a fixed amount `h`, the
/// longest occurrence less one byte (the longest registered pattern, three times it
/// with percent-decoding on; with token formats on, the longest format token plus
/// the longest occurrence, see
/// [`mask_token_formats`](super::RedactorBuilder::mask_token_formats)); [`finish`](RedactingWriter::finish) emits the rest, a
/// partial secret at the end masked, and returns the inner writer. Dropping the
/// writer without `finish` does the same, best effort (errors ignored). Written
/// without flushes, its total output is byte-identical to
/// [`Redactor::redact_bytes`] of everything written, for every chunking, while the
/// redactor's set does not change; a value [`add`](Redactor::add)ed meanwhile is
/// masked from the writer's next step on.
///
/// **Live flush.** [`flush`](Write::flush) emits everything written through the last
/// line break, and of the unfinished last line all but its last `h` bytes, then
/// flushes the inner writer: a finished log line reaches the client at once, however
/// long the registered secrets are. Where it cuts depends on the written text alone
/// (its length and where its last line break is), never on which secrets the text
/// resembles, so a party who both writes into the stream and watches it learns
/// nothing from what a flush releases. A pattern that holds no line break is masked
/// exactly as one-shot redaction masks it. A multi-line value that a flush cuts is
/// masked line by line: each of its lines of at least 8 bytes (trimmed) is a
/// pattern of its own, and a shorter line of it may show. A multi-line value
/// written whole before a flush keeps its one mask.
///
/// **After a failed write to the inner writer** the writer is spent: a step that
/// failed midway leaves the stream's position unknown (it may have moved past text
/// it never delivered), and going on from there could show the rest of a secret. So
/// every later `write`, `flush` and `finish` returns an error, and dropping it emits
/// nothing more; the text it held is wiped. Fail closed: output may be missing, never
/// unmasked. That includes `WouldBlock` from a non-blocking inner writer (only
/// `Interrupted` is retried): over a non-blocking sink use the `tokio` feature's
/// `redact::AsyncRedactingWriter`, which keeps what the sink has not taken yet.
///
/// **Holds secret material** transiently: the held-back text may contain part of a
/// secret; the buffers that hold stream text are wiped before they grow (a grown
/// buffer's old block is never freed holding text) and on drop.
///
/// # Example
///
/// ```
/// use std::io::Write;
/// use workflow_secrets::{Redactor, SecretValue};
///
/// let redactor = Redactor::new([&SecretValue::new("pa55word-pa55word")?]);
/// let mut log = redactor.writer(Vec::new());
/// log.write_all(b"login with pa55wo")?;
/// log.write_all(b"rd-pa55word ok\n")?;
/// let out = log.finish()?;
/// assert_eq!(out, b"login with *** ok\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RedactingWriter<W: Write> {
    source: Source,
    /// The source's redactor as of the last step.
    redactor: Redactor,
    snapshot: Arc<Snapshot>,
    generation: u64,
    stage: Stage,
    runs: Vec<Run>,
    inner: Option<W>,
    /// A write to `inner` failed: the stream's position is unknown (a step may have
    /// advanced past text it never delivered), so the writer emits nothing more.
    failed: bool,
}

/// The redaction of a stream: its undecided text and where it stands.
#[derive(Default)]
struct Stage {
    /// Text not yet decided.
    buf: Vec<u8>,
    /// The most bytes `buf` has held since it was last wiped: the stale copies that
    /// steps leave (a step shifts the held text down) lie below it.
    dirty: usize,
    progress: Progress,
    /// The allocation of the last step's [`Gather`], emptied: a step's gather
    /// allocates nothing.
    spare: Vec<IoSlice<'static>>,
}

/// Where a stream's redaction stands, between steps.
#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    /// Whether anything has been consumed (the stream's start is behind us).
    started: bool,
    /// End, in the undecided text, of a run whose mask is already emitted.
    carried: Option<usize>,
    /// The last byte consumed, when it lies in no masked run (a token format does
    /// not start right after a letter or digit). Text already emitted as it is.
    prev: Option<u8>,
    /// A PEM private-key block the last step's text ended inside (a live flush cut
    /// it between lines): the next step masks on from the carried run's end.
    pem: Option<PemOpen>,
}

/// Where a writer's set comes from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// One redactor's live set.
    Redactor(Redactor),
    /// A platform redactor's current set, which a rebuild replaces by another.
    Platform(PlatformRedactor),
}

impl Source {
    fn current(&self) -> Redactor {
        match self {
            Source::Redactor(r) => r.clone(),
            Source::Platform(p) => p.current(),
        }
    }
}

/// How far a step decides the undecided text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// All but the hold-back: every occurrence that starts before the cut lies
    /// wholly inside the text, so the output is that of one-shot redaction.
    HoldBack,
    /// A live flush: through the last line break, and of the unfinished last line
    /// all but the hold-back. Where the cut is depends on the text alone (its length
    /// and where its last line break is), never on what it resembles. An occurrence
    /// that starts before a line-break cut and runs past the text holds that line
    /// break, so only a multi-line value is ever cut, and its lines are patterns of
    /// their own (see `variants.rs`).
    Lines,
    /// All of it: the stream ends, and a partial occurrence at its end is masked.
    End,
}

impl Reach {
    /// How many bytes of `hay` this reach decides, before `safe_cut`.
    fn cut(self, hay: &[u8], hold: usize) -> usize {
        let held = hay.len().saturating_sub(hold);
        match self {
            Reach::HoldBack => held,
            Reach::Lines => held.max(memchr::memrchr(b'\n', hay).map_or(0, |at| at + 1)),
            Reach::End => hay.len(),
        }
    }
}

/// The first capacity of a buffer that holds stream text.
const MIN_CAPACITY: usize = 64;

/// A buffer of stream text grows by doubling up to this; past it, straight to the
/// most it holds between steps ([`full_capacity`]), up to [`JUMP_MAX`].
const SMALL_CAPACITY: usize = 4 * 1024;

/// The most a buffer jumps to at once: under glibc's threshold for mapping a block
/// afresh (128 KiB). Only a hold-back of about 8 KiB or more (secrets of KiBs)
/// needs more, and doubles on from here.
const JUMP_MAX: usize = 96 * 1024;

/// The most a stage's buffer holds between steps, with hold-back `hold`: less than
/// `hold + STEP` before a write (else it would have been decided), plus a write
/// shorter than `hold + IN_PLACE` (else it is decided in place).
fn full_capacity(hold: usize) -> usize {
    2 * hold + STEP + IN_PLACE
}

/// Appends `bytes` to `buf`, a buffer of stream text (which may hold a secret), so
/// that no freed block keeps any of it: where `Vec` would reallocate and free the old
/// block as it is, this moves the text to a new block of at least twice the capacity
/// (the same amortized linear cost) and wipes the old block, spare capacity included
/// (which holds the stale bytes `drain` shifted down), before it is freed.
///
/// Past [`SMALL_CAPACITY`] the new block is the most the buffer will hold
/// (`full_capacity(hold)`, 80 KiB for ordinary secrets, at most [`JUMP_MAX`]
/// at once): doubling went on to
/// 128 KiB, which glibc maps afresh for every writer (its pages faulted in each
/// time: 12% of a writer's time over 4 MiB in 4 KiB writes at N = 10), and each
/// doubling wiped the block before it, a byte at a time.
fn append_wiping(buf: &mut Vec<u8>, bytes: &[u8], hold: usize) {
    let need = buf.len() + bytes.len();
    if need > buf.capacity() {
        let capacity = match need <= SMALL_CAPACITY {
            true => need.max(2 * buf.capacity()).max(MIN_CAPACITY),
            false => need
                .max(2 * buf.capacity())
                .max(full_capacity(hold).min(JUMP_MAX)),
        };
        let mut grown = Vec::with_capacity(capacity);
        grown.extend_from_slice(buf);
        buf.zeroize();
        *buf = grown;
    }
    buf.extend_from_slice(bytes);
}

/// The output one step decided: pieces of the text and masks, in order, borrowed
/// until they are handed to the inner writer in one vectored write. A `Vec`, a
/// `BufWriter`, a file or a socket takes them with one copy each (no staging
/// buffer); a writer without vectored writes takes them one `write` at a time.
struct Gather<'h> {
    slices: Vec<IoSlice<'h>>,
}

/// `slices`' allocation, emptied, for slices of another lifetime. (Collecting an
/// emptied `vec::IntoIter` through `map` reuses its allocation: std's in-place
/// collection, for items of one size and alignment. Were it ever to allocate, a
/// step would only be slower.) A stream flushed line by line makes a step per line,
/// each of which allocated its gather.
fn recycle<'a, 'b>(mut slices: Vec<IoSlice<'a>>) -> Vec<IoSlice<'b>> {
    slices.clear();
    slices.into_iter().map(|_| IoSlice::new(&[])).collect()
}

impl<'h> Gather<'h> {
    /// A gather into `spare`'s allocation.
    fn new(spare: &mut Vec<IoSlice<'static>>) -> Gather<'h> {
        Gather {
            slices: recycle(std::mem::take(spare)),
        }
    }

    fn put(&mut self, bytes: &'h [u8]) {
        if !bytes.is_empty() {
            self.slices.push(IoSlice::new(bytes));
        }
    }

    /// Hands every piece to `inner`, in order, however much each call takes, and
    /// gives the allocation back to `spare`.
    fn write_to(
        mut self,
        inner: &mut impl Write,
        spare: &mut Vec<IoSlice<'static>>,
    ) -> io::Result<()> {
        let mut slices = &mut self.slices[..];
        while !slices.is_empty() {
            match inner.write_vectored(slices) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut slices, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        *spare = recycle(self.slices);
        Ok(())
    }
}

impl Stage {
    /// Appends stream text ([`append_wiping`]).
    fn append(&mut self, bytes: &[u8], hold: usize) {
        append_wiping(&mut self.buf, bytes, hold);
        self.dirty = self.dirty.max(self.buf.len());
    }

    /// Wipes every byte of the buffer that may hold stream text, and empties it:
    /// up to `dirty`, not its whole capacity (80 KiB once small writes have filled
    /// it, wiped again for every large write decided in place).
    fn wipe(&mut self) {
        let dirty = self.dirty.min(self.buf.capacity());
        if dirty > self.buf.len() {
            self.buf.resize(dirty, 0);
        }
        self.buf.as_mut_slice().zeroize();
        self.buf.clear();
        self.dirty = 0;
    }

    /// Decides what `reach` allows of `hay`, the undecided text from this stage's
    /// position on, puts it, and returns how many bytes of `hay` it consumed (see
    /// [`Reach::cut`]; less when the cut would split an escape).
    fn decide<'h>(
        progress: &mut Progress,
        hay: &'h [u8],
        snapshot: &'h Snapshot,
        reach: Reach,
        runs: &mut Vec<Run>,
        out: &mut Gather<'h>,
    ) -> usize {
        let last = reach == Reach::End;
        let cut = reach.cut(hay, snapshot.hold_back);
        let cut = if last {
            cut
        } else {
            safe_cut(hay, cut, snapshot.decodes)
        };
        // Nothing to decide. (Deciding nothing would drop a carried run's end.)
        if cut == 0 && !last {
            return 0;
        }
        let context = Context {
            prev: progress.prev,
            pem: progress.pem,
        };
        let window = Window {
            carried: progress.carried,
            at_start: !progress.started,
            at_end: last,
            context,
            limit: cut,
        };
        let open = snapshot.find_runs(hay, window, runs);
        let mut at = 0;
        let mut next_carried = None;
        for run in runs.iter() {
            if run.start >= cut {
                break;
            }
            out.put(&hay[at..run.start]);
            out.put(snapshot.mask(run.mask));
            if !last && run.end >= cut {
                next_carried = Some(run.end - cut);
                at = cut;
                break;
            }
            at = run.end;
        }
        if at < cut {
            out.put(&hay[at..cut]);
        }
        // An open block's run starts before the cut and reaches the text's end, so
        // it is the carried run: the next step goes on where it ends.
        progress.pem = open.filter(|_| next_carried.is_some());
        let in_run = |i: usize| runs.iter().any(|r| r.start <= i && i < r.end);
        progress.prev = match cut.checked_sub(1) {
            Some(i) if !in_run(i) => Some(hay[i]),
            Some(_) => None,
            None => progress.prev,
        };
        progress.carried = next_carried;
        progress.started = true;
        cut
    }

    /// Decides this stage's buffer, then wipes what was masked and drops what was
    /// consumed. (Only masked bytes are wiped: the rest was emitted as it is, and
    /// zeroizing, a volatile byte loop, would cost more than the search.)
    fn step(
        &mut self,
        snapshot: &Snapshot,
        reach: Reach,
        runs: &mut Vec<Run>,
        inner: &mut impl Write,
    ) -> io::Result<()> {
        let mut out = Gather::new(&mut self.spare);
        let consumed = Stage::decide(
            &mut self.progress,
            &self.buf,
            snapshot,
            reach,
            runs,
            &mut out,
        );
        out.write_to(inner, &mut self.spare)?;
        self.settle(consumed, runs);
        Ok(())
    }

    /// After a step decided `consumed` bytes of the buffer with `runs`: wipes what was
    /// masked and drops what was consumed.
    fn settle(&mut self, consumed: usize, runs: &[Run]) {
        for run in runs.iter().take_while(|r| r.start < consumed) {
            self.buf[run.start..run.end.min(consumed)].zeroize();
        }
        self.buf.drain(..consumed);
    }
}

impl<W: Write> RedactingWriter<W> {
    pub(crate) fn new(source: Source, inner: W) -> RedactingWriter<W> {
        let redactor = source.current();
        // The generation first: a snapshot taken after it covers at least that generation,
        // so an add racing this line is picked up by the next write, never missed.
        let generation = redactor.live.generation();
        let snapshot = redactor.live.snapshot_arc();
        RedactingWriter {
            source,
            redactor,
            snapshot,
            generation,
            stage: Stage::default(),
            runs: Vec::new(),
            inner: Some(inner),
            failed: false,
        }
    }

    /// Emits everything held back, a partial secret at the end masked, flushes and
    /// returns the inner writer.
    ///
    /// # Errors
    ///
    /// Any error of the inner writer. After an error in a write to the inner writer
    /// the writer is spent (see [`RedactingWriter`]).
    pub fn finish(mut self) -> io::Result<W> {
        self.drain(Reach::End)?;
        let mut inner = self
            .inner
            .take()
            .ok_or_else(|| io::Error::other("writer already finished"))?;
        inner.flush()?;
        Ok(inner)
    }

    /// The inner writer (`None` only while `finish` runs).
    pub fn get_ref(&self) -> Option<&W> {
        self.inner.as_ref()
    }

    /// The inner writer, mutably (`None` only while `finish` runs): over a `Vec`,
    /// take what the writer has emitted so far with `std::mem::take`. Bytes written
    /// to it directly are not masked.
    pub fn get_mut(&mut self) -> Option<&mut W> {
        self.inner.as_mut()
    }

    fn refresh(&mut self) {
        if let Source::Platform(platform) = &self.source {
            // A rebuild replaced the platform's redactor: follow it. Between steps a
            // set may change in any way (patterns gone included): the undecided text
            // and the end of a carried run do not depend on the set.
            // Compared through the platform's guard, cloned only when it changed:
            // a clone on every write would add and drop a count every thread's
            // writers share.
            let current = platform.loaded();
            if !Arc::ptr_eq(&current.live, &self.redactor.live) {
                self.redactor = Redactor::clone(&current);
                self.generation = self.redactor.live.generation();
                self.snapshot = self.redactor.live.snapshot_arc();
                return;
            }
        }
        let generation = self.redactor.live.generation();
        if generation != self.generation {
            self.snapshot = self.redactor.live.snapshot_arc();
            self.generation = generation;
        }
    }

    /// Decides what `reach` allows of the buffer into the inner writer.
    fn drain(&mut self, reach: Reach) -> io::Result<()> {
        self.usable()?;
        let result = self.drain_unchecked(reach);
        self.failed |= result.is_err();
        result
    }

    /// `Err` once a write to the inner writer has failed (or after `finish`).
    fn usable(&self) -> io::Result<()> {
        match (&self.inner, self.failed) {
            (None, _) => Err(io::Error::other("writer already finished")),
            (Some(_), true) => Err(io::Error::other(
                "an earlier write to the inner writer failed: this writer emits nothing more",
            )),
            (Some(_), false) => Ok(()),
        }
    }

    fn drain_unchecked(&mut self, reach: Reach) -> io::Result<()> {
        self.refresh();
        let RedactingWriter {
            snapshot,
            stage,
            runs,
            inner,
            ..
        } = self;
        let Some(inner) = inner.as_mut() else {
            return Ok(());
        };
        stage.step(snapshot, reach, runs, inner)
    }

    /// A large write: decides the caller's bytes in place instead of copying them
    /// into the buffer first.
    fn write_in_place(&mut self, data: &[u8]) -> io::Result<()> {
        let RedactingWriter {
            snapshot,
            stage,
            runs,
            inner,
            ..
        } = self;
        let Some(inner) = inner.as_mut() else {
            return Err(io::Error::other("writer already finished"));
        };
        let hold = snapshot.hold_back;
        // Top the buffer up with the first `hold` bytes and decide it: what stays
        // undecided is then exactly `data[..hold]`, so deciding can go on in `data`.
        // Both decisions go out in one vectored write (the buffer is wiped whole
        // afterwards, masked bytes included).
        stage.append(&data[..hold], hold);
        let Stage {
            buf,
            progress,
            spare,
            ..
        } = stage;
        let mut out = Gather::new(spare);
        let joint = Stage::decide(progress, buf, snapshot, Reach::HoldBack, runs, &mut out);
        if buf.len() - joint != hold {
            // The cut stopped short of an escape (`safe_cut`): the undecided text
            // begins before `data`, so the rest goes through the buffer.
            out.write_to(inner, spare)?;
            stage.settle(joint, runs);
            stage.append(&data[hold..], hold);
            return stage.step(snapshot, Reach::HoldBack, runs, inner);
        }
        let consumed = Stage::decide(progress, data, snapshot, Reach::HoldBack, runs, &mut out);
        out.write_to(inner, spare)?;
        stage.wipe();
        stage.append(&data[consumed..], hold);
        Ok(())
    }
}

/// `cut`, moved back to the start of an escape it would split when the decoded view
/// is searched: the next step's text then decodes as it does inside the whole
/// stream, so the output stays that of one-shot redaction. (The hold-back, at least
/// 23 bytes then, leaves the escape's bytes in the buffer.)
fn safe_cut(hay: &[u8], cut: usize, decodes: bool) -> usize {
    if !decodes {
        return cut;
    }
    match (1..=2).find(|&back| cut >= back && escape_at(hay, cut - back).is_some()) {
        Some(back) => cut - back,
        None => cut,
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.usable()?;
        self.refresh();
        let hold = self.snapshot.hold_back;
        if data.len() >= hold + IN_PLACE {
            let result = self.write_in_place(data);
            self.failed |= result.is_err();
            result?;
            return Ok(data.len());
        }
        self.stage.append(data, hold);
        if self.stage.buf.len() >= hold + STEP {
            self.drain(Reach::HoldBack)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain(Reach::Lines)?;
        match self.inner.as_mut() {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            // Best effort: a destructor cannot report an error. (After a failed
            // write `drain` refuses: the held text is wiped below, never emitted.)
            let _ = self.drain(Reach::End);
            if let Some(inner) = self.inner.as_mut() {
                let _ = inner.flush();
            }
        }
        // Up to the most it held: a buffer sized for a long hold-back may be far
        // larger than what a short stream wrote into it.
        self.stage.wipe();
    }
}

impl<W: Write> fmt::Debug for RedactingWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactingWriter")
            .field("redactor", &self.redactor)
            .field("held", &self.stage.buf.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use crate::vocab::SecretValue;

    fn writer_for(secret: &str) -> RedactingWriter<Vec<u8>> {
        let r = Redactor::new([&SecretValue::new(secret).unwrap()]);
        r.writer(Vec::new())
    }

    /// `recycle` hands back the very allocation it was given (checked while that
    /// allocation is still the only one: a fresh block would have another address),
    /// emptied.
    #[test]
    fn recycle_keeps_the_allocation() {
        let text = b"held text".to_vec();
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(16);
        slices.push(IoSlice::new(&text));
        let (at, capacity) = (slices.as_ptr() as usize, slices.capacity());
        let recycled: Vec<IoSlice<'static>> = recycle(slices);
        assert_eq!(recycled.as_ptr() as usize, at);
        assert_eq!(recycled.capacity(), capacity);
        assert!(recycled.is_empty());
    }

    /// A step hands its pieces to the inner writer through the last step's
    /// allocation: flushing line by line allocates nothing per line.
    #[test]
    fn a_step_gathers_into_the_last_steps_allocation() {
        let mut w = writer_for("0123456789abcdef0123456789abcdef");
        w.write_all(b"first line\n").unwrap();
        w.flush().unwrap();
        let (at, capacity) = (w.stage.spare.as_ptr(), w.stage.spare.capacity());
        assert!(capacity > 0);
        for _ in 0..3 {
            w.write_all(b"next line\n").unwrap();
            w.flush().unwrap();
            assert_eq!(w.stage.spare.as_ptr(), at);
            assert_eq!(w.stage.spare.capacity(), capacity);
            assert!(w.stage.spare.is_empty());
        }
        assert_eq!(
            w.finish().unwrap(),
            b"first line\nnext line\nnext line\nnext line\n"
        );
    }

    /// Past 4 KiB a writer's buffer goes straight to the most it holds between steps
    /// (under glibc's 128 KiB threshold for mapping a block afresh for every
    /// writer), and a long hold-back does not make a short stream's buffer large.
    #[test]
    fn the_buffer_jumps_to_the_most_it_holds_but_not_past_96_kib() {
        // Ordinary secrets: 4 KiB writes fill it to exactly `full_capacity`.
        let mut w = writer_for("0123456789abcdef0123456789abcdef");
        let hold = w.snapshot.hold_back;
        let text = "log line with nothing secret in it\n".repeat(8000);
        for piece in text.as_bytes().chunks(4096) {
            w.write_all(piece).unwrap();
        }
        assert_eq!(w.stage.buf.capacity(), full_capacity(hold));
        assert!(full_capacity(hold) < 128 * 1024, "{hold}");
        // A 60 KB secret (hold-back about three times it): a 6 KB stream in small
        // writes stops at `JUMP_MAX`, not the 400 KB its hold-back could need.
        let mut w = writer_for(&"s3cr3t-".repeat(60_000 / 7));
        assert!(full_capacity(w.snapshot.hold_back) > JUMP_MAX);
        for piece in text.as_bytes()[..6000].chunks(80) {
            w.write_all(piece).unwrap();
        }
        assert_eq!(w.stage.buf.capacity(), JUMP_MAX);
        // Up to its high-water mark, which `wipe` goes to.
        assert_eq!(w.stage.dirty, 6000);
        w.stage.wipe();
        assert!(w.stage.buf.is_empty());
        assert_eq!(w.stage.dirty, 0);
        // Past `JUMP_MAX` (only so long a hold-back keeps that much) it doubles again.
        for piece in text.as_bytes()[..100_000].chunks(80) {
            w.write_all(piece).unwrap();
        }
        assert_eq!(w.stage.buf.len(), 100_000, "no step yet");
        assert_eq!(w.stage.buf.capacity(), 2 * JUMP_MAX);
    }

    /// Below 4 KiB a buffer doubles from 64 bytes: a short stream keeps a short
    /// buffer (many writers may be open at once), and byte-at-a-time writes copy
    /// each byte a bounded number of times.
    #[test]
    fn a_short_streams_buffer_doubles_from_64_bytes() {
        let mut w = writer_for("0123456789abcdef0123456789abcdef");
        for byte in b"a short line of a log, one byte at a time, with nothing secret in it; \
                      long enough to grow the buffer twice\n"
        {
            w.write_all(&[*byte]).unwrap();
        }
        assert!(
            (65..=128).contains(&w.stage.buf.len()),
            "{}",
            w.stage.buf.len()
        );
        assert_eq!(w.stage.buf.capacity(), 128);
    }
}
