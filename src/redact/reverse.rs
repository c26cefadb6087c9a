//! `Reverse`: the searcher of last resort, linear in the text whatever the patterns,
//! and buildable for every set.
//!
//! An Aho-Corasick automaton over the *reversed* patterns, walked over the text from
//! its last byte to its first. After reading `hay[i]` its state is the longest
//! reversed-pattern prefix that ends the reversed text read so far, that is, the
//! longest prefix of `hay[i..]` that is a (reversed) trie path; the longest pattern
//! that *starts* at `i` is then that state's longest output, which the build stores
//! per state (the state's own pattern, else its failure state's). So one pass gives,
//! for every start, the longest occurrence there: exactly what the leftmost-longest
//! oracle finds by resuming one byte after each hit, in O(text) steps (failure steps
//! are amortized against the bytes read) for *any* patterns: periodic ones, prefix
//! chains, thousands sharing one prefix, where resuming after each hit rescans the
//! overlap (text x pattern length).
//!
//! It reads every byte it walks, so on clean text it is slower than the other
//! searchers; a segment uses it where they would spend more than a linear budget on
//! a text, or where `aho-corasick` refuses to build (its build cannot fail: states
//! are counted in `u32`, and a segment's pattern bytes fit in `u32`).
//!
//! **The gate.** Where the patterns end with few distinct bytes (the root's edge
//! labels), the walk covers only the stretches of `gate.rs` that can hold an
//! occurrence, each from its end: walked from the root at `hi`, the state at `i`
//! gives the longest occurrence starting at `i` that ends by `hi`, and a longer one
//! would end at a later end byte less than `longest` bytes on, which would have
//! extended the stretch. So the runs are the same, and text holding none of those
//! bytes is skipped at the speed of a SIMD byte search (2,000 secrets sharing 1 KiB
//! of `a` and ending in digits, over text of `a`: the ungated walk reads it at about
//! 300 MiB/s).
//!
//! **Holds secret material**: edge labels are the patterns' bytes, and the trie's
//! shape follows them; every table is zeroized on drop (the gate: `gate.rs`).

use zeroize::{Zeroize, Zeroizing};

use super::gate::Gate;

/// No pattern ends in this state.
const NONE: u32 = u32::MAX;

/// The reversed-pattern automaton with each state's longest output.
pub(crate) struct Reverse {
    /// State `s`'s children are edges `first[s]..first[s + 1]`, sorted by label.
    first: Vec<u32>,
    labels: Vec<u8>,
    targets: Vec<u32>,
    fail: Vec<u32>,
    /// The longest pattern that ends in state `s` (its reversed form is a suffix of
    /// the state's path): `length << 32 | pattern id`, length 0 for none.
    best: Vec<u64>,
    /// Where occurrences can end, if the patterns end with few distinct bytes.
    gate: Option<Gate>,
}

impl Reverse {
    /// Builds the automaton of `patterns` (`(id, bytes)`, none empty, at most
    /// `u32::MAX` bytes in all). Equal patterns keep the first id.
    pub(crate) fn build<'a>(patterns: impl Iterator<Item = (u32, &'a [u8])>) -> Reverse {
        let mut reversed: Vec<(Zeroizing<Vec<u8>>, u32)> = patterns
            .map(|(id, p)| (Zeroizing::new(p.iter().rev().copied().collect()), id))
            .collect();
        // Sorted, the trie is built in preorder with one path stack, and each state's
        // children come out in label order.
        reversed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut parent: Vec<u32> = vec![0];
        let mut label: Zeroizing<Vec<u8>> = Zeroizing::new(vec![0]);
        let mut depth: Vec<u32> = vec![0];
        let mut own: Vec<u32> = vec![NONE];
        let mut path: Vec<u32> = vec![0];
        for (k, (bytes, id)) in reversed.iter().enumerate() {
            let lcp = match k.checked_sub(1) {
                Some(prev) => reversed[prev]
                    .0
                    .iter()
                    .zip(bytes.iter())
                    .take_while(|(a, b)| a == b)
                    .count(),
                None => 0,
            };
            path.truncate(lcp + 1);
            for &b in &bytes[lcp..] {
                let up = path[path.len() - 1];
                let node = parent.len() as u32;
                parent.push(up);
                label.push(b);
                depth.push(depth[up as usize] + 1);
                own.push(NONE);
                path.push(node);
            }
            let end = path[bytes.len()] as usize;
            if end != 0 && own[end] == NONE {
                own[end] = *id;
            }
        }
        drop(reversed);
        let states = parent.len();
        // Children in compressed rows: preorder visits each state's children in
        // label order.
        let mut first = vec![0u32; states + 1];
        for &p in &parent[1..] {
            first[p as usize + 1] += 1;
        }
        for s in 0..states {
            first[s + 1] += first[s];
        }
        let mut next = first.clone();
        let mut labels = vec![0u8; states - 1];
        let mut targets = vec![0u32; states - 1];
        for node in 1..states {
            let p = parent[node] as usize;
            let at = next[p] as usize;
            labels[at] = label[node];
            targets[at] = node as u32;
            next[p] += 1;
        }
        let mut reverse = Reverse {
            first,
            labels,
            targets,
            fail: vec![0; states],
            best: vec![0; states],
            gate: None,
        };
        // The root's edges are the patterns' last bytes, in order.
        let (from, to) = reverse.row(0);
        let longest = depth.iter().copied().max().unwrap_or(0) as usize;
        reverse.gate = Gate::build(&reverse.labels[from..to], 0, longest);
        // Failure links and outputs in breadth-first order: a state's failure state is
        // shallower, so it is done first.
        let mut queue: Vec<u32> = vec![0];
        let mut head = 0;
        while let Some(&s) = queue.get(head) {
            head += 1;
            let (from, to) = reverse.row(s);
            for e in from..to {
                let (b, c) = (reverse.labels[e], reverse.targets[e]);
                let f = if s == 0 {
                    0
                } else {
                    let mut f = reverse.fail[s as usize];
                    loop {
                        if let Some(t) = reverse.child(f, b) {
                            break t;
                        }
                        if f == 0 {
                            break 0;
                        }
                        f = reverse.fail[f as usize];
                    }
                };
                reverse.fail[c as usize] = f;
                reverse.best[c as usize] = match own[c as usize] {
                    NONE => reverse.best[f as usize],
                    id => u64::from(depth[c as usize]) << 32 | u64::from(id),
                };
                queue.push(c);
            }
        }
        reverse
    }

    fn row(&self, s: u32) -> (usize, usize) {
        (
            self.first[s as usize] as usize,
            self.first[s as usize + 1] as usize,
        )
    }

    fn child(&self, s: u32, b: u8) -> Option<u32> {
        let (from, to) = self.row(s);
        self.labels[from..to]
            .binary_search(&b)
            .ok()
            .map(|i| self.targets[from + i])
    }

    /// Calls `hit(start, len, id)` for every start of `hay` where a pattern occurs,
    /// with the longest pattern there, from the last start to the first. Returns the
    /// steps taken (bytes read plus failure steps, at most twice the text's length,
    /// plus the gate's search, once over the text).
    pub(crate) fn longest_starts(
        &self,
        hay: &[u8],
        mut hit: impl FnMut(usize, usize, u32),
    ) -> usize {
        let Some(gate) = &self.gate else {
            return self.walk(hay, 0, hay.len(), &mut hit);
        };
        let mut stretches = Vec::new();
        gate.stretches(hay, &mut stretches);
        let mut steps = hay.len();
        // The walk reports starts last first, and so do the stretches, right to left.
        for &(lo, hi) in stretches.iter().rev() {
            steps += self.walk(hay, lo, hi, &mut hit);
        }
        steps
    }

    /// [`Reverse::longest_starts`] over `hay[lo..hi]`, walked from the root at `hi`:
    /// the longest occurrence at each start that ends by `hi`.
    fn walk(
        &self,
        hay: &[u8],
        lo: usize,
        hi: usize,
        hit: &mut impl FnMut(usize, usize, u32),
    ) -> usize {
        let mut steps = 0;
        let mut s = 0u32;
        for i in (lo..hi).rev() {
            let b = hay[i];
            s = loop {
                steps += 1;
                if let Some(t) = self.child(s, b) {
                    break t;
                }
                if s == 0 {
                    break 0;
                }
                s = self.fail[s as usize];
            };
            let best = self.best[s as usize];
            if best >> 32 > 0 {
                hit(i, (best >> 32) as usize, best as u32);
            }
        }
        steps
    }

    /// Heap bytes held.
    pub(crate) fn memory_usage(&self) -> usize {
        self.first.capacity() * 4
            + self.labels.capacity()
            + self.targets.capacity() * 4
            + self.fail.capacity() * 4
            + self.best.capacity() * 8
            + self.gate.as_ref().map_or(0, Gate::memory_usage)
    }
}

impl Drop for Reverse {
    fn drop(&mut self) {
        self.first.zeroize();
        self.labels.zeroize();
        self.targets.zeroize();
        self.fail.zeroize();
        self.best.zeroize();
    }
}
