//! The board's store of encoded engine outputs for one reply ([`Records`]).
//!
//! The board encodes each output as soon as the engine hands it over (inside the engine's
//! callback, where nothing may be sent without disturbing the cost measurement), and sends the
//! whole store after the engine call returns. The store is kept until the next new request, so a
//! retransmitted request gets exactly the same records again.

use crate::message::{Body, RecordKind, MAX_RECORD_PART};
use crate::WireError;
use serde::Serialize;

/// Encoded records of one reply, in a fixed buffer of `N` bytes holding at most `R` records.
pub struct Records<const N: usize, const R: usize> {
    bytes: [u8; N],
    used: usize,
    /// (kind, end offset in `bytes`) per record.
    index: [(RecordKind, usize); R],
    count: usize,
    /// A record did not fit since the last [`Records::clear`].
    overflowed: bool,
}

impl<const N: usize, const R: usize> Default for Records<N, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const R: usize> Records<N, R> {
    /// An empty store.
    pub const fn new() -> Self {
        Self {
            bytes: [0; N],
            used: 0,
            index: [(RecordKind::Cycle, 0); R],
            count: 0,
            overflowed: false,
        }
    }

    /// Forget every record (a new request starts).
    pub fn clear(&mut self) {
        self.used = 0;
        self.count = 0;
        self.overflowed = false;
    }

    /// Encode `value` as the next record.
    ///
    /// # Errors
    /// [`WireError::BufferTooSmall`] when the store is full (the record is not stored and
    /// [`Records::overflowed`] turns true: the reply must say so, never drop it silently), or
    /// [`WireError::Encode`].
    pub fn push<T: Serialize>(&mut self, kind: RecordKind, value: &T) -> Result<(), WireError> {
        self.push_with(kind, |buf| postcard::to_slice(value, buf).map(|b| b.len()))
    }

    /// As [`Records::push`] for a record made of two values encoded one after the other.
    ///
    /// # Errors
    /// As [`Records::push`].
    pub fn push_pair<A: Serialize, B: Serialize>(
        &mut self,
        kind: RecordKind,
        a: &A,
        b: &B,
    ) -> Result<(), WireError> {
        self.push_with(kind, |buf| {
            let n = postcard::to_slice(a, buf)?.len();
            let m = postcard::to_slice(b, &mut buf[n..])?.len();
            Ok(n + m)
        })
    }

    fn push_with(
        &mut self,
        kind: RecordKind,
        encode: impl FnOnce(&mut [u8]) -> Result<usize, postcard::Error>,
    ) -> Result<(), WireError> {
        if self.count == R {
            self.overflowed = true;
            return Err(WireError::BufferTooSmall);
        }
        match encode(&mut self.bytes[self.used..]) {
            Ok(n) => {
                self.used += n;
                self.index[self.count] = (kind, self.used);
                self.count += 1;
                Ok(())
            }
            Err(postcard::Error::SerializeBufferFull) => {
                self.overflowed = true;
                Err(WireError::BufferTooSmall)
            }
            Err(_) => Err(WireError::Encode),
        }
    }

    /// Records stored.
    pub fn len(&self) -> usize {
        self.count
    }

    /// No record stored.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// A record did not fit since the last [`Records::clear`].
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Every part of every record, in order, as the bodies to send.
    pub fn parts(&self) -> impl Iterator<Item = Body<'_>> + '_ {
        (0..self.count).flat_map(move |k| {
            let (kind, end) = self.index[k];
            let start = if k == 0 { 0 } else { self.index[k - 1].1 };
            let bytes = &self.bytes[start..end];
            let parts = bytes.len().div_ceil(MAX_RECORD_PART).max(1);
            (0..parts).map(move |p| Body::Record {
                kind,
                index: k as u16,
                part: p as u8,
                parts: parts as u8,
                data: &bytes[p * MAX_RECORD_PART..((p + 1) * MAX_RECORD_PART).min(bytes.len())],
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn records_split_into_parts_that_join_back_to_the_encoding() {
        let mut r: Records<8192, 4> = Records::new();
        let big: Vec<u32> = (0..1500).collect();
        r.push(RecordKind::Event, &7u8).unwrap();
        r.push(RecordKind::Interval, &big).unwrap();
        let mut joined: Vec<(u16, Vec<u8>)> = Vec::new();
        let mut seen_parts = Vec::new();
        for b in r.parts() {
            let Body::Record { index, part, parts, data, .. } = b else { panic!("{b:?}") };
            assert!(data.len() <= MAX_RECORD_PART);
            seen_parts.push((index, part, parts));
            match joined.last_mut() {
                Some((i, v)) if *i == index => v.extend_from_slice(data),
                _ => joined.push((index, data.to_vec())),
            }
        }
        let enc_big = postcard::to_allocvec(&big).unwrap();
        assert!(enc_big.len() > 2 * MAX_RECORD_PART, "the test needs a three-part record");
        assert_eq!(seen_parts[0], (0, 0, 1));
        assert_eq!(seen_parts[1..], [(1, 0, 3), (1, 1, 3), (1, 2, 3)]);
        assert_eq!(joined[1].1, enc_big);
        let back: Vec<u32> = postcard::from_bytes(&joined[1].1).unwrap();
        assert_eq!(back, big);
    }

    #[test]
    fn a_full_store_refuses_and_says_so_until_cleared() {
        let mut r: Records<16, 2> = Records::new();
        r.push(RecordKind::Cycle, &[1u8; 8]).unwrap();
        assert_eq!(r.push(RecordKind::Cycle, &[1u8; 12]), Err(WireError::BufferTooSmall));
        assert!(r.overflowed());
        assert_eq!(r.len(), 1, "the record that did not fit is not half-stored");
        r.push(RecordKind::Cycle, &1u8).unwrap();
        assert_eq!(r.push(RecordKind::Cycle, &1u8), Err(WireError::BufferTooSmall));
        r.clear();
        assert!(!r.overflowed() && r.is_empty());
        r.push_pair(RecordKind::Counters, &5u32, &6u32).unwrap();
        let Some(Body::Record { data, .. }) = r.parts().next() else { panic!() };
        let (a, rest): (u32, _) = postcard::take_from_bytes(data).unwrap();
        let b: u32 = postcard::from_bytes(rest).unwrap();
        assert_eq!((a, b), (5, 6));
    }
}
