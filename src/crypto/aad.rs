//! The two associated data of a sealed record, byte-exact (format versions 1 and 2).
//!
//! The value's associated data, as [the guide's table](crate::guide::sealing) fixes it:
//!
//! | part | bytes |
//! |---|---|
//! | format version | 1 byte: `0x02` (`0x01` for records written before versions were kept) |
//! | record role | format 2 only, 1 byte: `0x01` current, `0x02` a kept version ([`RecordRole`]) |
//! | scope tag | 1 byte: `0x01` workflow, `0x02` workspace, `0x03` personal |
//! | ids of the scope | the workspace id, then the workflow id (workflow scope) or the user id (personal scope); each a u32 big-endian length, then its UTF-8 bytes |
//! | secret key name | u32 big-endian length, then its bytes |
//! | value version | u64 big-endian (8 bytes, no length) |
//!
//! The data key's wrap uses the same bytes followed by the key-encryption key's id
//! as a u32 big-endian. Both are built in one buffer: the value's associated data is
//! a prefix of the wrap's, so one build serves both.
//!
//! These bytes are frozen: changing one of them makes every stored record fail to
//! open. The unit tests below pin them to hand-written literals.

use crate::crypto::RecordRole;
use crate::vocab::KeyId;
use crate::vocab::Scope;
use crate::vocab::SecretKey;

/// The format every new seal writes, the first byte of the associated data (and
/// the fifth of the sealed record's header): format 1 plus the record's role.
pub(crate) const FORMAT_VERSION: u8 = 0x02;

/// The format of records written before versions were kept: still opened, as the
/// current value only, never written.
pub(crate) const FORMAT_V1: u8 = 0x01;

/// Which layout an associated data takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Format 1: no role byte; only ever a current value.
    V1,
    /// Format 2: the role byte after the format byte.
    V2(RecordRole),
}

impl Layout {
    /// The layout that opens a record of format byte `format` in the slot `role`;
    /// `None` when no record of that format may sit there (format 1 in the
    /// history, an unknown format).
    pub(crate) fn to_open(format: u8, role: RecordRole) -> Option<Layout> {
        match (format, role) {
            (FORMAT_V1, RecordRole::Current) => Some(Layout::V1),
            (FORMAT_VERSION, role) => Some(Layout::V2(role)),
            _ => None,
        }
    }

    /// The record header's format byte.
    pub(crate) fn format(self) -> u8 {
        match self {
            Layout::V1 => FORMAT_V1,
            Layout::V2(_) => FORMAT_VERSION,
        }
    }
}

/// Associated data up to this many bytes (KEK id included) are built on the stack;
/// longer ones (ids and keys near their 256-byte limits) in one exact-size `Vec`.
/// Typical ids (UUIDs) and key names fit with room to spare.
const INLINE: usize = 256;

/// Both associated data of one record: `value()` and, once the KEK is known,
/// `wrap(id)`.
pub(crate) struct Aad {
    /// The bytes when they fit, on the stack: no allocation on the hot path.
    inline: [u8; INLINE],
    /// The bytes when they do not (`Vec::new()` does not allocate otherwise).
    heap: Vec<u8>,
    /// Length of the value's associated data; the KEK id follows it.
    value_len: usize,
}

impl Aad {
    /// Builds the value's associated data for (`scope`, `key`, `version`) in
    /// `layout`.
    pub(crate) fn new(layout: Layout, scope: &Scope, key: &SecretKey, version: u64) -> Aad {
        let (tag, first, second) = (scope.tag(), scope.workspace_id().as_str(), scope.owner_id());
        let key = key.as_str();
        let role = match layout {
            Layout::V1 => None,
            Layout::V2(role) => Some(role.tag()),
        };
        let value_len = 2
            + usize::from(role.is_some())
            + 4
            + first.len()
            + second.map_or(0, |s| 4 + s.len())
            + 4
            + key.len()
            + 8;
        let total = value_len + 4;
        let mut aad = Aad {
            inline: [0; INLINE],
            heap: if total <= INLINE {
                Vec::new()
            } else {
                vec![0; total]
            },
            value_len,
        };
        let mut w = Writer {
            buf: aad.buf_mut(),
            at: 0,
        };
        w.put(&[layout.format()]);
        if let Some(role) = role {
            w.put(&[role]);
        }
        w.put(&[tag]);
        w.put_len_prefixed(first.as_bytes());
        if let Some(second) = second {
            w.put_len_prefixed(second.as_bytes());
        }
        w.put_len_prefixed(key.as_bytes());
        w.put(&version.to_be_bytes());
        debug_assert_eq!(w.at, value_len);
        aad
    }

    /// The value's associated data.
    pub(crate) fn value(&self) -> &[u8] {
        self.buf().get(..self.value_len).unwrap_or_default()
    }

    /// The wrap's associated data for KEK `id`: the value's, then `id` as a u32
    /// big-endian.
    pub(crate) fn wrap(&mut self, id: KeyId) -> &[u8] {
        let start = self.value_len;
        if let Some(slot) = self.buf_mut().get_mut(start..start + 4) {
            slot.copy_from_slice(&id.get().to_be_bytes());
        }
        self.buf().get(..start + 4).unwrap_or_default()
    }

    fn buf(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.inline
        } else {
            &self.heap
        }
    }

    fn buf_mut(&mut self) -> &mut [u8] {
        if self.heap.is_empty() {
            &mut self.inline
        } else {
            &mut self.heap
        }
    }
}

/// Fills a pre-sized buffer front to back. The buffer is sized from the same
/// lengths before any write, so `put` never runs out of room.
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.at..self.at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self.at += bytes.len();
    }

    fn put_len_prefixed(&mut self, bytes: &[u8]) {
        // Ids and key names are at most 256 bytes (validated when made), so the
        // length always fits a u32.
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.put(&len.to_be_bytes());
        self.put(bytes);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use crate::vocab::{UserId, WorkflowId, WorkspaceId};

    fn ws() -> WorkspaceId {
        WorkspaceId::new("acme").unwrap()
    }

    fn key() -> SecretKey {
        SecretKey::new("API_KEY").unwrap()
    }

    #[test]
    fn workflow_scope_bytes() {
        let scope = Scope::workflow(ws(), WorkflowId::new("wf1").unwrap());
        let mut aad = Aad::new(Layout::V1, &scope, &key(), 3);
        let expected: &[u8] = &[
            0x01, // format version
            0x01, // scope tag: workflow
            0x00, 0x00, 0x00, 0x04, b'a', b'c', b'm', b'e', // workspace id
            0x00, 0x00, 0x00, 0x03, b'w', b'f', b'1', // workflow id
            0x00, 0x00, 0x00, 0x07, b'A', b'P', b'I', b'_', b'K', b'E', b'Y', // key name
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, // version
        ];
        assert_eq!(aad.value(), expected);
        let mut wrap = expected.to_vec();
        wrap.extend_from_slice(&[0x00, 0x00, 0x01, 0x02]);
        assert_eq!(aad.wrap(KeyId::from(0x0102)), &wrap[..]);
        assert_eq!(
            aad.value(),
            expected,
            "the wrap suffix leaves the value's alone"
        );
    }

    #[test]
    fn workspace_scope_bytes() {
        let scope = Scope::workspace(ws());
        let mut aad = Aad::new(Layout::V1, &scope, &key(), 1);
        let expected: &[u8] = &[
            0x01, // format version
            0x02, // scope tag: workspace
            0x00, 0x00, 0x00, 0x04, b'a', b'c', b'm', b'e', // workspace id
            0x00, 0x00, 0x00, 0x07, b'A', b'P', b'I', b'_', b'K', b'E', b'Y', // key name
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // version
        ];
        assert_eq!(aad.value(), expected);
        let mut wrap = expected.to_vec();
        wrap.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(aad.wrap(KeyId::from(u32::MAX)), &wrap[..]);
    }

    #[test]
    fn personal_scope_bytes() {
        let scope = Scope::personal(ws(), UserId::new("é").unwrap());
        let mut aad = Aad::new(Layout::V1, &scope, &key(), 0x0102_0304_0506_0708);
        let expected: &[u8] = &[
            0x01, // format version
            0x03, // scope tag: personal
            0x00, 0x00, 0x00, 0x04, b'a', b'c', b'm', b'e', // workspace id
            0x00, 0x00, 0x00, 0x02, 0xc3, 0xa9, // user id "é", UTF-8
            0x00, 0x00, 0x00, 0x07, b'A', b'P', b'I', b'_', b'K', b'E', b'Y', // key name
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // version
        ];
        assert_eq!(aad.value(), expected);
        let mut wrap = expected.to_vec();
        wrap.extend_from_slice(&[0x00, 0x00, 0x00, 0x07]);
        assert_eq!(aad.wrap(KeyId::from(7)), &wrap[..]);
    }

    #[test]
    fn long_ids_spill_to_the_heap_with_the_same_layout() {
        let long_ws = "w".repeat(256);
        let long_user = "u".repeat(256);
        let long_key = "K".repeat(256);
        let scope = Scope::personal(
            WorkspaceId::new(long_ws.clone()).unwrap(),
            UserId::new(long_user.clone()).unwrap(),
        );
        let mut aad = Aad::new(
            Layout::V1,
            &scope,
            &SecretKey::new(long_key.clone()).unwrap(),
            9,
        );
        let mut expected = vec![0x01, 0x03];
        for part in [&long_ws, &long_user, &long_key] {
            expected.extend_from_slice(&256u32.to_be_bytes());
            expected.extend_from_slice(part.as_bytes());
        }
        expected.extend_from_slice(&9u64.to_be_bytes());
        assert_eq!(aad.value(), &expected[..]);
        expected.extend_from_slice(&5u32.to_be_bytes());
        assert_eq!(aad.wrap(KeyId::from(5)), &expected[..]);
    }

    #[test]
    fn scopes_differ_even_with_equal_strings() {
        // A workflow id and a user id that are the same string still differ by tag.
        let a = Aad::new(
            Layout::V1,
            &Scope::workflow(ws(), WorkflowId::new("x").unwrap()),
            &key(),
            1,
        );
        let b = Aad::new(
            Layout::V1,
            &Scope::personal(ws(), UserId::new("x").unwrap()),
            &key(),
            1,
        );
        assert_ne!(a.value(), b.value());
    }

    #[test]
    fn format_2_adds_the_role_after_the_format_byte() {
        let scope = Scope::workspace(ws());
        let tail: &[u8] = &[
            0x02, // scope tag: workspace
            0x00, 0x00, 0x00, 0x04, b'a', b'c', b'm', b'e', // workspace id
            0x00, 0x00, 0x00, 0x07, b'A', b'P', b'I', b'_', b'K', b'E', b'Y', // key name
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // version
        ];
        for (role, byte) in [(RecordRole::Current, 0x01), (RecordRole::History, 0x02)] {
            let mut aad = Aad::new(Layout::V2(role), &scope, &key(), 1);
            let mut expected = vec![0x02, byte];
            expected.extend_from_slice(tail);
            assert_eq!(aad.value(), &expected[..], "{role:?}");
            expected.extend_from_slice(&[0x00, 0x00, 0x00, 0x09]);
            assert_eq!(aad.wrap(KeyId::from(9)), &expected[..], "{role:?}");
        }
        let mut v1 = vec![0x01];
        v1.extend_from_slice(tail);
        assert_eq!(Aad::new(Layout::V1, &scope, &key(), 1).value(), &v1[..]);
    }

    #[test]
    fn which_layout_opens_which_slot() {
        use RecordRole::{Current, History};
        assert_eq!(Layout::to_open(0x01, Current), Some(Layout::V1));
        assert_eq!(
            Layout::to_open(0x01, History),
            None,
            "format 1 was never a kept version"
        );
        assert_eq!(Layout::to_open(0x02, Current), Some(Layout::V2(Current)));
        assert_eq!(Layout::to_open(0x02, History), Some(Layout::V2(History)));
        assert_eq!(Layout::to_open(0x03, Current), None);
        assert_eq!(Layout::to_open(0x00, History), None);
    }
}
