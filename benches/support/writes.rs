//! The writer's floors, made the same way in `benches/redact.rs` (`writes`) and in
//! `bench-hyperscan` (its second table): a raw search fed a text in writes, either
//! once per write (its fixed cost paid per call) or over writes gathered into a
//! buffer (every byte copied once more). Neither carries a match across a write's
//! edge, so each is a floor under any writer fed those writes, not a writer.

/// How much a gathering writer holds before it searches (ours decides its buffer
/// every 64 KiB).
pub(crate) const GATHER: usize = 64 * 1024;

/// `search` run once per `size`-byte write of `text`; the sum of what it returns.
pub(crate) fn per_write(text: &[u8], size: usize, mut search: impl FnMut(&[u8]) -> usize) -> usize {
    text.chunks(size).map(&mut search).sum()
}

/// `text` in `size`-byte writes, each copied into `buf` (emptied first and after),
/// which `search` reads whenever it holds [`GATHER`] bytes, and once at the end.
pub(crate) fn gathered(
    text: &[u8],
    size: usize,
    buf: &mut Vec<u8>,
    mut search: impl FnMut(&[u8]) -> usize,
) -> usize {
    buf.clear();
    let mut found = 0;
    for write in text.chunks(size) {
        buf.extend_from_slice(write);
        if buf.len() >= GATHER {
            found += search(buf);
            buf.clear();
        }
    }
    found += search(buf);
    buf.clear();
    found
}
