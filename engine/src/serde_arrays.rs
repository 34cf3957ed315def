//! Serde for the fixed 2-D arrays of [`crate::IntervalReport`]: serde derives arrays up to 32
//! elements only, so a `[[f32; N]; M]` is written as one tuple of `M·N` values, row by row.

use core::fmt;
use core::marker::PhantomData;
use serde::de::{Error, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserializer, Serializer};

/// Serialise `[[f32; N]; M]` as a tuple of `M·N` values.
pub fn serialize<S: Serializer, const N: usize, const M: usize>(
    v: &[[f32; N]; M],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut t = s.serialize_tuple(N * M)?;
    for x in v.iter().flatten() {
        t.serialize_element(x)?;
    }
    t.end()
}

struct Rows<const N: usize, const M: usize>(PhantomData<[[f32; N]; M]>);

impl<'de, const N: usize, const M: usize> Visitor<'de> for Rows<N, M> {
    type Value = [[f32; N]; M];

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} f32 values", N * M)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = [[0.0f32; N]; M];
        for (k, x) in out.iter_mut().flatten().enumerate() {
            *x = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(k, &self))?;
        }
        Ok(out)
    }
}

/// Deserialise what [`serialize`] wrote.
pub fn deserialize<'de, D: Deserializer<'de>, const N: usize, const M: usize>(
    d: D,
) -> Result<[[f32; N]; M], D::Error> {
    d.deserialize_tuple(N * M, Rows::<N, M>(PhantomData))
}
