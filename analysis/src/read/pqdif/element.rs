//! The logical layer: a record body as a tree of elements.
//!
//! A body starts with a collection: an int4 count, then one 28-byte header per element: tag
//! (GUID, 16 bytes), element type (1 collection, 2 scalar, 3 vector), physical type, an
//! embedded flag, a reserved byte, and 8 bytes that hold an embedded scalar's value or the
//! element's link (int4 offset in the body) and size (int4). A linked collection is another
//! count and headers; a vector is an int4 count and the values; a linked scalar is its value.
//! Values are little-endian.
//!
//! Every link and length is checked against the body before it is read; a collection may not
//! be reached twice (a loop, or a collection linked from two places): the elements parsed may
//! not exceed what the body can hold, and nesting is limited to [`MAX_DEPTH`].

use super::tags::{self, Guid};

/// Deepest nesting of collections read.
pub const MAX_DEPTH: usize = 32;

/// Bytes of an element header.
const HEADER: usize = 28;

/// A physical type (`ID_PHYS_TYPE_…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phys {
    /// `BOOLEAN1` (1).
    Bool1,
    /// `BOOLEAN2` (2).
    Bool2,
    /// `BOOLEAN4` (3).
    Bool4,
    /// `CHAR1` (10), text of single bytes.
    Char1,
    /// `CHAR2` (11), UTF-16 text.
    Char2,
    /// `INTEGER1` (20).
    Int1,
    /// `INTEGER2` (21).
    Int2,
    /// `INTEGER4` (22).
    Int4,
    /// `UNS_INTEGER1` (30).
    Uint1,
    /// `UNS_INTEGER2` (31).
    Uint2,
    /// `UNS_INTEGER4` (32).
    Uint4,
    /// `REAL4` (40).
    Real4,
    /// `REAL8` (41).
    Real8,
    /// `COMPLEX8` (42), two real4.
    Complex8,
    /// `COMPLEX16` (43), two real8.
    Complex16,
    /// `TIMESTAMPPQDIF` (50): uint4 days and real8 seconds.
    Timestamp,
    /// `GUID` (60).
    Guid,
}

impl Phys {
    /// The physical type of an ID, `None` when unknown.
    pub fn of(id: u8) -> Option<Phys> {
        Some(match id {
            1 => Phys::Bool1,
            2 => Phys::Bool2,
            3 => Phys::Bool4,
            10 => Phys::Char1,
            11 => Phys::Char2,
            20 => Phys::Int1,
            21 => Phys::Int2,
            22 => Phys::Int4,
            30 => Phys::Uint1,
            31 => Phys::Uint2,
            32 => Phys::Uint4,
            40 => Phys::Real4,
            41 => Phys::Real8,
            42 => Phys::Complex8,
            43 => Phys::Complex16,
            50 => Phys::Timestamp,
            60 => Phys::Guid,
            _ => return None,
        })
    }

    /// Bytes of one value.
    pub fn size(self) -> usize {
        match self {
            Phys::Bool1 | Phys::Char1 | Phys::Int1 | Phys::Uint1 => 1,
            Phys::Bool2 | Phys::Char2 | Phys::Int2 | Phys::Uint2 => 2,
            Phys::Bool4 | Phys::Int4 | Phys::Uint4 | Phys::Real4 => 4,
            Phys::Real8 | Phys::Complex8 => 8,
            Phys::Timestamp => 12,
            Phys::Complex16 | Phys::Guid => 16,
        }
    }

    /// The smallest and largest values of an integer type.
    pub fn integer_bounds(self) -> Option<(f64, f64)> {
        Some(match self {
            Phys::Int1 => (-128.0, 127.0),
            Phys::Int2 => (-32_768.0, 32_767.0),
            Phys::Int4 => (f64::from(i32::MIN), f64::from(i32::MAX)),
            Phys::Uint1 => (0.0, 255.0),
            Phys::Uint2 => (0.0, 65_535.0),
            Phys::Uint4 => (0.0, f64::from(u32::MAX)),
            _ => return None,
        })
    }

    /// Whether each value is one real number.
    fn numeric(self) -> bool {
        !matches!(
            self,
            Phys::Char1
                | Phys::Char2
                | Phys::Complex8
                | Phys::Complex16
                | Phys::Timestamp
                | Phys::Guid
        )
    }
}

/// Where and why an element could not be read.
#[derive(Debug)]
pub struct ElemError {
    /// Offset in the body.
    pub at: usize,
    /// What is wrong.
    pub msg: String,
}

type Parsed<T> = Result<T, ElemError>;

fn fail<T>(at: usize, msg: impl Into<String>) -> Parsed<T> {
    Err(ElemError { at, msg: msg.into() })
}

/// What an element holds.
#[derive(Debug)]
pub enum Kind<'a> {
    /// A collection of elements.
    Collection(Vec<Element<'a>>),
    /// One value.
    Scalar {
        /// Physical type.
        phys: Phys,
        /// The value's bytes.
        data: &'a [u8],
    },
    /// Values.
    Vector {
        /// Physical type.
        phys: Phys,
        /// Number of values.
        count: usize,
        /// The values' bytes.
        data: &'a [u8],
    },
    /// A scalar or vector of a physical type this reader does not know: skipped, refused
    /// only when a value is asked of it.
    Unknown {
        /// The physical type ID.
        phys: u8,
    },
}

/// One element of a record body.
#[derive(Debug)]
pub struct Element<'a> {
    /// Tag.
    pub tag: Guid,
    /// Offset of its header in the body.
    pub at: usize,
    /// Contents.
    pub kind: Kind<'a>,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    u32_at(b, at) as i32
}

/// Parses the body's top collection.
pub fn parse(body: &[u8]) -> Parsed<Vec<Element<'_>>> {
    let mut budget = body.len() / HEADER + 1;
    collection(body, 0, 0, &mut budget)
}

fn collection<'a>(
    body: &'a [u8],
    link: usize,
    depth: usize,
    budget: &mut usize,
) -> Parsed<Vec<Element<'a>>> {
    if depth > MAX_DEPTH {
        return fail(
            link,
            format!("collections nested deeper than {MAX_DEPTH} (a loop of links?)"),
        );
    }
    let len = body.len();
    if link.checked_add(4).is_none_or(|e| e > len) {
        return fail(
            link,
            format!("truncated element: a collection's count needs 4 bytes, the body has {len}"),
        );
    }
    let count = i32_at(body, link);
    let need = (count.max(0) as u64) * HEADER as u64 + 4;
    if count < 0 || link as u64 + need > len as u64 {
        return fail(
            link,
            format!(
                "truncated element: a collection of {count} elements needs {need} bytes, {} \
                 remain in the body",
                len - link
            ),
        );
    }
    let count = count as usize;
    if count > *budget {
        return fail(
            link,
            "more elements than the body holds (a collection linked from two places?)",
        );
    }
    *budget -= count;
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let at = link + 4 + HEADER * k;
        let h = &body[at..at + HEADER];
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&h[..16]);
        let tag = Guid(tag);
        let (etype, ptype, embedded) = (h[16], h[17], h[18] != 0);
        let target = i32_at(h, 20);
        let kind = match etype {
            tags::ELEMENT_COLLECTION => {
                let target = check_link(at, target, len)?;
                Kind::Collection(collection(body, target, depth + 1, budget)?)
            }
            tags::ELEMENT_SCALAR => match Phys::of(ptype) {
                None => Kind::Unknown { phys: ptype },
                Some(phys) if embedded => {
                    if phys.size() > 8 {
                        return fail(
                            at,
                            format!(
                                "element {{{tag}}}: an embedded scalar of {} bytes, at most 8 fit",
                                phys.size()
                            ),
                        );
                    }
                    Kind::Scalar { phys, data: &h[20..20 + phys.size()] }
                }
                Some(phys) => {
                    let target = check_link(at, target, len)?;
                    if target + phys.size() > len {
                        return fail(
                            at,
                            format!(
                                "truncated element {{{tag}}}: its scalar of {} bytes at byte \
                                 {target} runs past the end of the body ({len} bytes)",
                                phys.size()
                            ),
                        );
                    }
                    Kind::Scalar { phys, data: &body[target..target + phys.size()] }
                }
            },
            tags::ELEMENT_VECTOR => match Phys::of(ptype) {
                None => Kind::Unknown { phys: ptype },
                Some(phys) => {
                    let target = check_link(at, target, len)?;
                    if target + 4 > len {
                        return fail(
                            at,
                            format!(
                                "truncated element {{{tag}}}: its vector's count at byte {target} \
                                 runs past the end of the body ({len} bytes)"
                            ),
                        );
                    }
                    let n = i32_at(body, target);
                    let bytes = n.max(0) as u64 * phys.size() as u64;
                    if n < 0 || target as u64 + 4 + bytes > len as u64 {
                        return fail(
                            at,
                            format!(
                                "truncated element {{{tag}}}: its vector of {n} values of {} \
                                 bytes at byte {target} needs {} bytes, {} remain in the body",
                                phys.size(),
                                bytes + 4,
                                len - target
                            ),
                        );
                    }
                    let start = target + 4;
                    Kind::Vector {
                        phys,
                        count: n as usize,
                        data: &body[start..start + bytes as usize],
                    }
                }
            },
            other => {
                return fail(
                    at,
                    format!(
                        "element {{{tag}}}: element type {other} is neither collection (1), \
                         scalar (2) nor vector (3)"
                    ),
                )
            }
        };
        out.push(Element { tag, at, kind });
    }
    Ok(out)
}

fn check_link(at: usize, link: i32, len: usize) -> Parsed<usize> {
    if link < 0 || link as usize >= len {
        return fail(
            at,
            format!("truncated element: it links to byte {link}, outside the body ({len} bytes)"),
        );
    }
    Ok(link as usize)
}

/// The first element of `items` tagged `tag`.
pub fn find<'e, 'a>(items: &'e [Element<'a>], tag: Guid) -> Option<&'e Element<'a>> {
    items.iter().find(|e| e.tag == tag)
}

/// The elements of `items` tagged `tag`.
pub fn all<'e, 'a>(items: &'e [Element<'a>], tag: Guid) -> impl Iterator<Item = &'e Element<'a>> {
    items.iter().filter(move |e| e.tag == tag)
}

/// Converts the value at `b` (of a numeric type) to `f64`.
fn number(phys: Phys, b: &[u8]) -> f64 {
    let a2 = || [b[0], b[1]];
    let a4 = || [b[0], b[1], b[2], b[3]];
    match phys {
        Phys::Bool1 | Phys::Uint1 => f64::from(b[0]),
        Phys::Int1 => f64::from(b[0] as i8),
        Phys::Bool2 | Phys::Uint2 => f64::from(u16::from_le_bytes(a2())),
        Phys::Int2 => f64::from(i16::from_le_bytes(a2())),
        Phys::Bool4 | Phys::Uint4 => f64::from(u32::from_le_bytes(a4())),
        Phys::Int4 => f64::from(i32::from_le_bytes(a4())),
        Phys::Real4 => f64::from(f32::from_le_bytes(a4())),
        Phys::Real8 => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        _ => unreachable!("numeric types only"),
    }
}

impl<'a> Element<'a> {
    fn what(&self) -> String {
        format!("element {{{}}}", self.tag)
    }

    fn unknown(&self, phys: u8) -> ElemError {
        ElemError {
            at: self.at,
            msg: format!("{}: unknown physical type {phys}, its value cannot be read", self.what()),
        }
    }

    /// The elements of a collection.
    pub fn items(&self) -> Parsed<&[Element<'a>]> {
        match &self.kind {
            Kind::Collection(items) => Ok(items),
            _ => fail(self.at, format!("{} is not a collection", self.what())),
        }
    }

    /// One number: a numeric scalar, or the first value of a numeric vector.
    pub fn number(&self) -> Parsed<f64> {
        match &self.kind {
            Kind::Scalar { phys, data } if phys.numeric() => Ok(number(*phys, data)),
            Kind::Vector { phys, count, data } if phys.numeric() && *count >= 1 => {
                Ok(number(*phys, data))
            }
            Kind::Unknown { phys } => Err(self.unknown(*phys)),
            _ => fail(self.at, format!("{} is not a number", self.what())),
        }
    }

    /// A non-negative integer (an ID or an index).
    pub fn index(&self) -> Parsed<u32> {
        let x = self.number()?;
        if !(x >= 0.0 && x <= f64::from(u32::MAX) && x.fract() == 0.0) {
            return fail(self.at, format!("{} is {x}, not an index or an ID", self.what()));
        }
        Ok(x as u32)
    }

    /// A GUID scalar.
    pub fn guid(&self) -> Parsed<Guid> {
        match &self.kind {
            Kind::Scalar { phys: Phys::Guid, data }
            | Kind::Vector { phys: Phys::Guid, data, .. }
                if data.len() >= 16 =>
            {
                let mut g = [0u8; 16];
                g.copy_from_slice(&data[..16]);
                Ok(Guid(g))
            }
            Kind::Unknown { phys } => Err(self.unknown(*phys)),
            _ => fail(self.at, format!("{} is not a GUID", self.what())),
        }
    }

    /// Text of a char1 (bytes as Latin-1) or char2 (UTF-16) vector, up to its first NUL.
    pub fn text(&self) -> Parsed<String> {
        match &self.kind {
            Kind::Vector { phys: Phys::Char1, data, .. } => {
                Ok(data.iter().take_while(|&&c| c != 0).map(|&c| char::from(c)).collect())
            }
            Kind::Vector { phys: Phys::Char2, data, .. } => {
                let units = data
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|&u| u != 0);
                Ok(char::decode_utf16(units).map(|c| c.unwrap_or('\u{fffd}')).collect())
            }
            Kind::Unknown { phys } => Err(self.unknown(*phys)),
            _ => fail(self.at, format!("{} is not text", self.what())),
        }
    }

    /// A timestamp scalar: (days, seconds).
    pub fn timestamp(&self) -> Parsed<(u32, f64)> {
        match &self.kind {
            Kind::Scalar { phys: Phys::Timestamp, data } => {
                let days = u32_at(data, 0);
                let mut s = [0u8; 8];
                s.copy_from_slice(&data[4..12]);
                Ok((days, f64::from_le_bytes(s)))
            }
            Kind::Unknown { phys } => Err(self.unknown(*phys)),
            _ => fail(self.at, format!("{} is not a timestamp", self.what())),
        }
    }

    /// The values of a numeric vector (or scalar) as `f64`, and their physical type.
    pub fn numbers(&self) -> Parsed<(Vec<f64>, Phys)> {
        match &self.kind {
            Kind::Vector { phys, data, .. } | Kind::Scalar { phys, data } if phys.numeric() => {
                let n = phys.size();
                Ok((data.chunks_exact(n).map(|c| number(*phys, c)).collect(), *phys))
            }
            Kind::Vector { phys, .. } | Kind::Scalar { phys, .. } => fail(
                self.at,
                format!("{}: values of physical type {phys:?} are not real numbers", self.what()),
            ),
            Kind::Unknown { phys } => Err(self.unknown(*phys)),
            Kind::Collection(_) => {
                fail(self.at, format!("{} is a collection, not values", self.what()))
            }
        }
    }
}
