//! The physical layer: the chain of records and their bodies.
//!
//! A record is a 64-byte header — signature GUID (16 bytes), tag GUID (16), header size (int4),
//! body size (int4), position of the next record (int4, 0 for the last), checksum (uint4,
//! Adler-32 of the body as stored) and 16 reserved bytes — followed by its body. The records
//! form a chain from byte 0 by the next-record links; a link outside the file, or back to a
//! record already read, is an error naming the record and its byte. A body is checked to lie
//! within the file before it is read, and is at most [`PQDIF_MAX_RECORD_BYTES`] stored and
//! inflated: a compressed body is inflated through `Read::take` and refused beyond the limit,
//! so that a zlib bomb costs at most that much work and memory.

use super::tags::{self, Guid};
use super::PQDIF_MAX_RECORD_BYTES;
use percycle_vectors::FormatError;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes of a record header.
pub const HEADER_LEN: u64 = 64;

/// One record's header.
#[derive(Clone, Debug)]
pub struct RecordHeader {
    /// Index in the chain, from 0.
    pub index: usize,
    /// Offset of the header in the file.
    pub pos: u64,
    /// Record type.
    pub tag: Guid,
    /// Offset of the body from the header.
    pub header_size: u64,
    /// Bytes of the body as stored.
    pub body_size: u64,
    /// Checksum as stated.
    pub checksum: u32,
}

impl RecordHeader {
    /// `record 3 at byte 4605` for messages.
    pub fn place(&self) -> String {
        format!("record {} at byte {}", self.index, self.pos)
    }

    /// Offset after the record's body.
    pub fn end(&self) -> u64 {
        self.pos + self.header_size + self.body_size
    }
}

/// Bytes that can be read and sought: a file, or a recording held in memory.
pub trait Bytes: Read + Seek {}

impl<T: Read + Seek> Bytes for T {}

/// The record chain of a file, read in order.
pub struct Chain {
    path: PathBuf,
    file: Box<dyn Bytes>,
    size: u64,
    next: Option<u64>,
    seen: HashSet<u64>,
    index: usize,
    /// Whether the bodies after the container are zlib streams (known after the container).
    pub compressed: bool,
    /// Checksum mismatches found, for the notes.
    pub notes: Vec<String>,
}

/// Adler-32 of `data`.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

impl Chain {
    /// Opens the file; the first record is read by [`Chain::next_record`].
    pub fn open(path: &Path) -> Result<Self, FormatError> {
        let file = File::open(path).map_err(FormatError::io(path))?;
        let size = file.metadata().map_err(FormatError::io(path))?.len();
        Ok(Self::of(path, Box::new(BufReader::with_capacity(1 << 16, file)), size))
    }

    /// A recording held in memory; `path` names it in messages.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Self {
        let size = bytes.len() as u64;
        Self::of(path, Box::new(std::io::Cursor::new(bytes)), size)
    }

    fn of(path: &Path, file: Box<dyn Bytes>, size: u64) -> Self {
        Chain {
            path: path.to_path_buf(),
            file,
            size,
            next: Some(0),
            seen: HashSet::new(),
            index: 0,
            compressed: false,
            notes: Vec::new(),
        }
    }

    /// Bytes of the file.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn invalid(&self, msg: String) -> FormatError {
        FormatError::invalid(&self.path, msg)
    }

    /// The next record's header, `None` after the last.
    pub fn next_record(&mut self) -> Result<Option<RecordHeader>, FormatError> {
        let Some(pos) = self.next else { return Ok(None) };
        let index = self.index;
        let place = format!("record {index} at byte {pos}");
        if pos == 0 && self.size == 0 {
            return Err(
                self.invalid("empty file: a PQDIF file starts with a container record".into())
            );
        }
        if pos + HEADER_LEN > self.size {
            return Err(self.invalid(format!(
                "{place}: truncated record header: {} bytes left, a header needs {HEADER_LEN}",
                self.size - pos
            )));
        }
        self.file.seek(SeekFrom::Start(pos)).map_err(FormatError::io(&self.path))?;
        let mut h = [0u8; HEADER_LEN as usize];
        self.file.read_exact(&mut h).map_err(FormatError::io(&self.path))?;
        let guid = |at: usize| {
            let mut g = [0u8; 16];
            g.copy_from_slice(&h[at..at + 16]);
            Guid(g)
        };
        let int = |at: usize| i32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
        if guid(0) != tags::RECORD_SIGNATURE {
            return Err(self.invalid(format!(
                "{place}: no PQDIF record signature (found {{{}}}, expected {{{}}}){}",
                guid(0),
                tags::RECORD_SIGNATURE,
                if index == 0 { ": not a PQDIF file" } else { "" }
            )));
        }
        let (header_size, body_size, next) = (int(32), int(36), int(40));
        if header_size < HEADER_LEN as i32 {
            return Err(
                self.invalid(format!("{place}: header size {header_size}, at least {HEADER_LEN}"))
            );
        }
        let body_at = pos + header_size as u64;
        if body_size < 0 || body_at + body_size.max(0) as u64 > self.size {
            return Err(self.invalid(format!(
                "{place}: its body of {body_size} bytes at byte {body_at} runs past the end of \
                 the file ({} bytes)",
                self.size
            )));
        }
        self.seen.insert(pos);
        self.next = match next {
            0 => None,
            n if n < 0 || n as u64 + HEADER_LEN > self.size => {
                return Err(self.invalid(format!(
                    "{place}: its link to the next record, byte {n}, is outside the file ({} \
                     bytes)",
                    self.size
                )))
            }
            n if self.seen.contains(&(n as u64)) => {
                return Err(self.invalid(format!(
                    "{place}: its link to the next record, byte {n}, leads back to a record \
                     already read (a loop)"
                )))
            }
            n => Some(n as u64),
        };
        self.index += 1;
        let checksum = u32::from_le_bytes([h[44], h[45], h[46], h[47]]);
        Ok(Some(RecordHeader {
            index,
            pos,
            tag: guid(16),
            header_size: header_size as u64,
            body_size: body_size as u64,
            checksum,
        }))
    }

    /// The body of `rec`, inflated when the file's records are compressed (never the
    /// container's, which states the compression).
    pub fn body(&mut self, rec: &RecordHeader) -> Result<Vec<u8>, FormatError> {
        let place = rec.place();
        if rec.body_size > PQDIF_MAX_RECORD_BYTES {
            return Err(self.invalid(format!(
                "{place}: a body of {} bytes, more than the {PQDIF_MAX_RECORD_BYTES} bytes a \
                 record may hold",
                rec.body_size
            )));
        }
        self.file
            .seek(SeekFrom::Start(rec.pos + rec.header_size))
            .map_err(FormatError::io(&self.path))?;
        let mut stored = vec![0u8; rec.body_size as usize];
        self.file.read_exact(&mut stored).map_err(FormatError::io(&self.path))?;
        let sum = adler32(&stored);
        if rec.checksum != 0 && sum != rec.checksum {
            self.notes.push(format!(
                "{}: {place}: checksum {:#010x} stated, {sum:#010x} computed (Adler-32 of the \
                 body); read anyway",
                self.path.display(),
                rec.checksum
            ));
        }
        if !self.compressed || rec.tag == tags::REC_CONTAINER {
            return Ok(stored);
        }
        let mut out = Vec::new();
        let mut z = flate2::read::ZlibDecoder::new(&stored[..]).take(PQDIF_MAX_RECORD_BYTES + 1);
        z.read_to_end(&mut out)
            .map_err(|e| self.invalid(format!("{place}: corrupt zlib body: {e}")))?;
        if out.len() as u64 > PQDIF_MAX_RECORD_BYTES {
            return Err(self.invalid(format!(
                "{place}: its body of {} bytes inflates to more than {PQDIF_MAX_RECORD_BYTES} \
                 bytes, the limit of a record",
                rec.body_size
            )));
        }
        Ok(out)
    }
}
