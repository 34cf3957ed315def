//! CRC-32 (IEEE 802.3 / zlib) with a table built at compile time.

/// Reflected IEEE polynomial.
const POLY: u32 = 0xEDB8_8320;

/// One entry per byte value: the register after shifting that byte through eight rounds.
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// Register value before the first byte.
pub(crate) const INIT: u32 = 0xFFFF_FFFF;

/// Feeds one byte into a running CRC register (not yet complemented).
#[inline]
pub(crate) const fn update(register: u32, byte: u8) -> u32 {
    TABLE[((register ^ byte as u32) & 0xFF) as usize] ^ (register >> 8)
}

/// The CRC of the bytes fed into `register` since [`INIT`].
#[inline]
pub(crate) const fn finish(register: u32) -> u32 {
    register ^ 0xFFFF_FFFF
}

/// CRC-32 of `bytes` as used by zlib, PNG and Ethernet: reflected polynomial `0xEDB88320`,
/// initial value `0xFFFFFFFF`, final xor `0xFFFFFFFF`.
///
/// # Examples
///
/// ```
/// assert_eq!(percycle_wire::crc32(b"123456789"), 0xCBF4_3926);
/// assert_eq!(percycle_wire::crc32(b""), 0);
/// ```
pub fn crc32(bytes: &[u8]) -> u32 {
    finish(bytes.iter().fold(INIT, |r, &b| update(r, b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-by-bit reference, independent of the table.
    fn crc32_bitwise(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                let mask = (c & 1).wrapping_neg();
                c = (c >> 1) ^ (POLY & mask);
            }
        }
        !c
    }

    #[test]
    fn crc_of_the_standard_check_string_is_cbf43926() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn crc_of_known_strings_matches_zlib() {
        assert_eq!(crc32(b""), 0x0000_0000);
        assert_eq!(crc32(b"a"), 0xE8B7_BE43);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
        assert_eq!(crc32(&[0u8; 32]), 0x190A_55AD);
    }

    #[test]
    fn table_driven_crc_equals_bitwise_crc_for_every_single_byte_and_a_long_run() {
        for b in 0..=255u8 {
            assert_eq!(crc32(&[b]), crc32_bitwise(&[b]), "byte {b:#04x}");
        }
        let data: [u8; 1000] = core::array::from_fn(|i| (i * 7 + i / 13) as u8);
        assert_eq!(crc32(&data), crc32_bitwise(&data));
    }
}
