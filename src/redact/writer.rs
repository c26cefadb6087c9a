//! `RedactingWriter`: redaction of a stream written in arbitrary pieces.
//!
//! The writer keeps the text it has not decided yet in a buffer and, at each step,
//! finds the runs of the whole buffer. With `h` the hold-back (longest pattern less
//! one byte) and `L` the buffer's length, every occurrence that starts before
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
//! When masking can create new occurrences (a pattern holds a mask's edge bytes),
//! one-shot redaction repeats to a fixed point; the writer then chains the same
//! number of stages, each one pass, so the two still agree.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use zeroize::Zeroize;

use super::matcher::Run;
use super::redactor::Redactor;
use super::set::{MAX_PASSES, Snapshot};

/// Process the buffer once it holds this much more than the hold-back.
const STEP: usize = 16 * 1024;

/// An [`io::Write`] adapter that masks registered secrets in everything written
/// through it, including a secret split across any number of `write` calls.
///
/// [`flush`](Write::flush) emits all but a fixed hold-back (the longest registered
/// pattern less one byte, whatever the text) and flushes the inner writer;
/// [`finish`](RedactingWriter::finish) emits the rest, a partial secret at the end
/// masked, and returns the inner writer. Dropping the writer without `finish` does
/// the same, best effort (errors ignored). Its total output is byte-identical to
/// [`Redactor::redact_bytes`] of everything written, for every chunking, while the
/// redactor's set does not change; a value [`add`](Redactor::add)ed meanwhile is
/// masked from the writer's next step on.
///
/// **Holds secret material** transiently: the held-back text may contain part of a
/// secret; the buffers are zeroized on drop.
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
    redactor: Redactor,
    snapshot: Arc<Snapshot>,
    generation: u64,
    stages: Vec<Stage>,
    runs: Vec<Run>,
    /// Reused output buffer.
    out: Vec<u8>,
    inner: Option<W>,
}

/// One redaction pass over a stream.
#[derive(Default)]
struct Stage {
    /// Text not yet decided; `buf[0]` is at stream offset `consumed`.
    buf: Vec<u8>,
    /// Whether anything has been consumed (the stream's start is behind us).
    started: bool,
    /// End, in `buf`, of a run whose mask is already emitted.
    carried: Option<usize>,
}

impl<W: Write> RedactingWriter<W> {
    pub(crate) fn new(redactor: Redactor, inner: W) -> RedactingWriter<W> {
        let snapshot = redactor.live.snapshot();
        let generation = redactor.live.generation();
        let stages = (0..stage_count(&snapshot))
            .map(|_| Stage::default())
            .collect();
        RedactingWriter {
            redactor,
            snapshot,
            generation,
            stages,
            runs: Vec::new(),
            out: Vec::new(),
            inner: Some(inner),
        }
    }

    /// Emits everything held back, a partial secret at the end masked, flushes and
    /// returns the inner writer.
    ///
    /// # Errors
    ///
    /// Any error of the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.drain(true)?;
        let mut inner = self
            .inner
            .take()
            .ok_or_else(|| io::Error::other("writer already finished"))?;
        inner.flush()?;
        Ok(inner)
    }

    /// The inner writer.
    pub fn get_ref(&self) -> Option<&W> {
        self.inner.as_ref()
    }

    fn refresh(&mut self) {
        let generation = self.redactor.live.generation();
        if generation != self.generation {
            self.snapshot = self.redactor.live.snapshot();
            self.generation = generation;
            let want = stage_count(&self.snapshot);
            while self.stages.len() < want {
                // A stage added mid-stream starts "started": its input is not the
                // stream's start.
                self.stages.push(Stage {
                    started: true,
                    ..Stage::default()
                });
            }
        }
    }

    /// Runs every stage (`last`: to the end of the stream) and writes what the last
    /// stage decided.
    fn drain(&mut self, last: bool) -> io::Result<()> {
        self.refresh();
        // Stage output is masked text: it needs no wiping.
        let mut carry = std::mem::take(&mut self.out);
        for i in 0..self.stages.len() {
            if i > 0 {
                self.stages[i].buf.extend_from_slice(&carry);
                carry.clear();
            }
            self.stages[i].step(&self.snapshot, last, &mut self.runs, &mut carry);
        }
        let result = match self.inner.as_mut() {
            Some(inner) if !carry.is_empty() => inner.write_all(&carry),
            _ => Ok(()),
        };
        carry.clear();
        self.out = carry;
        result
    }
}

fn stage_count(snapshot: &Snapshot) -> usize {
    if snapshot.needs_fixpoint {
        MAX_PASSES
    } else {
        1
    }
}

impl Stage {
    /// Decides what can be decided and appends it to `out`.
    fn step(&mut self, snapshot: &Snapshot, last: bool, runs: &mut Vec<Run>, out: &mut Vec<u8>) {
        let hold = snapshot.hold_back;
        if !last && self.buf.len() <= hold {
            return;
        }
        snapshot.find_runs(&self.buf, self.carried, !self.started, last, runs);
        if last {
            snapshot.emit(&self.buf, runs, out);
            self.buf.zeroize();
            self.carried = None;
            self.started = true;
            return;
        }
        let cut = self.buf.len() - hold;
        let mut at = 0;
        let mut carried = None;
        for run in runs.iter() {
            if run.start >= cut {
                break;
            }
            out.extend_from_slice(&self.buf[at..run.start]);
            snapshot.push_mask(run.mask, out);
            if run.end >= cut {
                carried = Some(run.end - cut);
                at = cut;
                break;
            }
            at = run.end;
        }
        if at < cut {
            out.extend_from_slice(&self.buf[at..cut]);
        }
        // Wipe what was masked before it leaves the buffer; the rest was emitted as
        // it is. (Zeroizing is a volatile byte loop: wiping all of it would cost more
        // than the search.)
        for run in runs.iter().take_while(|r| r.start < cut) {
            self.buf[run.start..run.end.min(cut)].zeroize();
        }
        self.buf.drain(..cut);
        self.carried = carried;
        self.started = true;
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.inner.is_none() {
            return Err(io::Error::other("writer already finished"));
        }
        self.stages[0].buf.extend_from_slice(data);
        if self.stages[0].buf.len() >= self.snapshot.hold_back + STEP {
            self.drain(false)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain(false)?;
        match self.inner.as_mut() {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            // Best effort: a destructor cannot report an error.
            let _ = self.drain(true);
            if let Some(inner) = self.inner.as_mut() {
                let _ = inner.flush();
            }
        }
        for stage in &mut self.stages {
            stage.buf.zeroize();
        }
    }
}

impl<W: Write> fmt::Debug for RedactingWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedactingWriter")
            .field("redactor", &self.redactor)
            .field(
                "held",
                &self.stages.iter().map(|s| s.buf.len()).sum::<usize>(),
            )
            .finish_non_exhaustive()
    }
}
