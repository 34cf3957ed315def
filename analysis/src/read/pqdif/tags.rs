//! The GUIDs and identifiers of IEEE 1159.3 that the reader uses.
//!
//! Each constant is written from the public PQDIF tag definitions. Those marked *seen* occur in
//! the IEEE example file of the shared recordings (`pqdif-ieee-example-60hz/example.pqd`) at the
//! place the standard gives them; the tests read that file, so a wrong one fails there. The
//! others are not in that file; a wrong one only means the element is not found.

use std::fmt;

/// A GUID as PQDIF stores it: the first three fields little-endian, the last eight bytes as
/// they are (the Microsoft layout).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// The GUID written `{d1-d2-d3-d4[0..2]-d4[2..8]}`.
    pub const fn new(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Self {
        let a = d1.to_le_bytes();
        let b = d2.to_le_bytes();
        let c = d3.to_le_bytes();
        Guid([
            a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4],
            d4[5], d4[6], d4[7],
        ])
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        let d1 = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let d2 = u16::from_le_bytes([b[4], b[5]]);
        let d3 = u16::from_le_bytes([b[6], b[7]]);
        write!(f, "{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-", b[8], b[9])?;
        for x in &b[10..] {
            write!(f, "{x:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{self}}}")
    }
}

/// The tail `9d89-0080c72e70a3` shared by most PQDIF tags.
const T: [u8; 6] = [0x00, 0x80, 0xC7, 0x2E, 0x70, 0xA3];

const fn g89(low: u8) -> Guid {
    // {897386xx-f1c3-11cf-9d89-0080c72e70a3}
    Guid::new(
        0x8973_8600 | low as u32,
        0xF1C3,
        0x11CF,
        [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]],
    )
}

const fn gb4(low: u8) -> Guid {
    // {b48d85xx-f5f5-11cf-9d89-0080c72e70a3}
    Guid::new(
        0xB48D_8500 | low as u32,
        0xF5F5,
        0x11CF,
        [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]],
    )
}

const fn g3d(low: u8) -> Guid {
    // {3d786fxx-f76e-11cf-9d89-0080c72e70a3}
    Guid::new(
        0x3D78_6F00 | low as u32,
        0xF76E,
        0x11CF,
        [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]],
    )
}

// ---------------------------------------------------------------------------------------------
// Physical layer

/// Signature of every record header, `{4a111440-e49f-11cf-9900-505144494600}` (*seen*: the
/// first 16 bytes of each of the 50 records).
pub const RECORD_SIGNATURE: Guid =
    Guid::new(0x4A11_1440, 0xE49F, 0x11CF, [0x99, 0x00, 0x50, 0x51, 0x44, 0x49, 0x46, 0x00]);

/// Container record (`tagContainer`, *seen*: record 0).
pub const REC_CONTAINER: Guid = g89(0x06);
/// Data source record (`tagRecDataSource`, *seen*: record 1).
pub const REC_DATA_SOURCE: Guid = g89(0x19);
/// Monitor settings record (`tagRecMonitorSettings`, `{b48d858c-…}`, *seen*: record 2).
pub const REC_MONITOR_SETTINGS: Guid = gb4(0x8C);
/// Observation record (`tagRecObservation`, *seen*: records 3 to 49).
pub const REC_OBSERVATION: Guid = g89(0x1A);

// ---------------------------------------------------------------------------------------------
// Container

/// Compression style (`tagCompressionStyleID`, uint4, *seen*: 2 in the container).
pub const COMPRESSION_STYLE: Guid = g89(0x1B);
/// Compression algorithm (`tagCompressionAlgorithmID`, uint4, *seen*: 1 in the container).
pub const COMPRESSION_ALGORITHM: Guid = g89(0x1C);

/// `ID_COMP_STYLE_NONE`.
pub const STYLE_NONE: u32 = 0;
/// `ID_COMP_STYLE_TOTALFILE`: the whole file compressed as one stream (not read).
pub const STYLE_TOTAL_FILE: u32 = 1;
/// `ID_COMP_STYLE_RECORDLEVEL`: each record body after the container compressed (*seen*).
pub const STYLE_RECORD_LEVEL: u32 = 2;
/// `ID_COMP_ALG_NONE`.
pub const ALGORITHM_NONE: u32 = 0;
/// `ID_COMP_ALG_ZLIB` (*seen*: the bodies inflate with zlib).
pub const ALGORITHM_ZLIB: u32 = 1;

// ---------------------------------------------------------------------------------------------
// Data source

/// Channel definitions, a collection (`tagChannelDefns`, *seen*: 37 in the data source).
pub const CHANNEL_DEFNS: Guid = gb4(0x8D);
/// One channel definition (`tagOneChannelDefn`, *seen*).
pub const ONE_CHANNEL_DEFN: Guid = gb4(0x8E);
/// Channel name, char1 vector (`tagChannelName`, *seen*: "Waveform VAB").
pub const CHANNEL_NAME: Guid = gb4(0x90);
/// Phase, uint4 (`tagPhaseID`, *seen*: 5 for VAB, 1 for IA).
pub const PHASE_ID: Guid = gb4(0x91);
/// Quantity type, GUID (`tagQuantityTypeID`, *seen*).
pub const QUANTITY_TYPE_ID: Guid = gb4(0x92);
/// Quantity measured, uint4 (`tagQuantityMeasuredID`, `{c690e872-f755-11cf-…}`, *seen*: 1 for
/// the voltages, 2 for the currents).
pub const QUANTITY_MEASURED_ID: Guid =
    Guid::new(0xC690_E872, 0xF755, 0x11CF, [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]]);
/// Series definitions of a channel, a collection (`tagSeriesDefns`, *seen*).
pub const SERIES_DEFNS: Guid = gb4(0x98);
/// One series definition (`tagOneSeriesDefn`, *seen*).
pub const ONE_SERIES_DEFN: Guid = gb4(0x9A);
/// Quantity units, uint4 (`tagQuantityUnitsID`, *seen*: 2 s, 6 V, 7 A, 17 degrees).
pub const QUANTITY_UNITS_ID: Guid = gb4(0x9B);
/// Value type, GUID (`tagValueTypeID`, *seen*: time, val, min, max, avg).
pub const VALUE_TYPE_ID: Guid = gb4(0x9C);
/// Storage method, uint4 bit set (`tagStorageMethodID`, *seen*: 4 increment for the waveform
/// time series, 3 values + scaled for the samples).
pub const STORAGE_METHOD_ID: Guid = gb4(0xA1);

/// Quantity type waveform (`ID_QT_WAVEFORM`, `{67f6af80-f753-11cf-…}`, *seen*: the channels
/// "Waveform …").
pub const QT_WAVEFORM: Guid =
    Guid::new(0x67F6_AF80, 0xF753, 0x11CF, [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]]);
/// Quantity type phasor (`ID_QT_PHASOR`, `{67f6af81-…}`, *seen*: the channels "Phasor …").
pub const QT_PHASOR: Guid =
    Guid::new(0x67F6_AF81, 0xF753, 0x11CF, [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]]);
/// Quantity type value log (`ID_QT_VALUELOG`, `{67f6af82-…}`, *seen*: the channels "SS RMS
/// …").
pub const QT_VALUE_LOG: Guid =
    Guid::new(0x67F6_AF82, 0xF753, 0x11CF, [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]]);

/// Value type time (`ID_SERIES_VALUE_TYPE_TIME`, `{c690e862-f755-11cf-…}`, *seen*: the first
/// series of every channel, in seconds).
pub const VALUE_TYPE_TIME: Guid =
    Guid::new(0xC690_E862, 0xF755, 0x11CF, [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]]);
/// Value type val, the instantaneous values of a waveform (`ID_SERIES_VALUE_TYPE_VAL`,
/// `{67f6af97-f753-11cf-…}`, *seen*: the second series of the waveform channels).
pub const VALUE_TYPE_VAL: Guid =
    Guid::new(0x67F6_AF97, 0xF753, 0x11CF, [0x9D, 0x89, T[0], T[1], T[2], T[3], T[4], T[5]]);

/// Storage method bit: the values are stored as they are (`ID_SERIES_METHOD_VALUES`).
pub const STORAGE_VALUES: u32 = 1;
/// Storage method bit: value × scale + offset (`ID_SERIES_METHOD_SCALED`, *seen* on the
/// samples, whose int2 values give volts and amperes only so).
pub const STORAGE_SCALED: u32 = 2;
/// Storage method bit: `[n, count₁, increment₁, …, countₙ, incrementₙ]` from 0
/// (`ID_SERIES_METHOD_INCREMENT`, *seen* on the waveform time series: `[1, 1536, 1/15360]`).
pub const STORAGE_INCREMENT: u32 = 4;

/// Units seconds (`ID_QU_SECONDS`, *seen* on every time series).
pub const UNITS_SECONDS: u32 = 2;
/// Units volts (`ID_QU_VOLTS`, *seen* on the voltage channels).
pub const UNITS_VOLTS: u32 = 6;
/// Units amperes (`ID_QU_AMPS`, *seen* on the current channels).
pub const UNITS_AMPS: u32 = 7;

/// Quantity measured voltage (`ID_QM_VOLTAGE`, *seen*).
pub const MEASURED_VOLTAGE: u32 = 1;
/// Quantity measured current (`ID_QM_CURRENT`, *seen*).
pub const MEASURED_CURRENT: u32 = 2;

// ---------------------------------------------------------------------------------------------
// Monitor settings

/// Nominal frequency, real8 Hz (`tagNominalFrequency`, `{0fa118c3-cb4a-11d2-b30b-fe25cb9a1760}`;
/// not in the example file, whose settings state none; its neighbour `{0fa118c8-…}`, the series
/// nominal quantity, is *seen*).
pub const NOMINAL_FREQUENCY: Guid =
    Guid::new(0x0FA1_18C3, 0xCB4A, 0x11D2, [0xB3, 0x0B, 0xFE, 0x25, 0xCB, 0x9A, 0x17, 0x60]);

// ---------------------------------------------------------------------------------------------
// Observation

/// Observation name, char1 vector (`tagObservationName`, *seen*: "Obs", "RMS Variation").
pub const OBSERVATION_NAME: Guid = g3d(0x8A);
/// Start time, timestamp (`tagTimeStart`, *seen*).
pub const TIME_START: Guid = g3d(0x8C);
/// Channel instances, a collection (`tagChannelInstances`, *seen*).
pub const CHANNEL_INSTANCES: Guid = g3d(0x91);
/// One channel instance (`tagOneChannelInst`, *seen*).
pub const ONE_CHANNEL_INST: Guid = g3d(0x92);
/// Index of the channel's definition in the data source, uint4 (`tagChannelDefnIdx`,
/// `{b48d858f-…}`, *seen*).
pub const CHANNEL_DEFN_IDX: Guid = gb4(0x8F);
/// Series instances of a channel instance, a collection (`tagSeriesInstances`, *seen*).
pub const SERIES_INSTANCES: Guid = g3d(0x93);
/// One series instance (`tagOneSeriesInstance`, *seen*).
pub const ONE_SERIES_INSTANCE: Guid = g3d(0x94);
/// Series scale, real8 (`tagSeriesScale`, *seen*).
pub const SERIES_SCALE: Guid = g3d(0x96);
/// Series offset, real8 (`tagSeriesOffset`, *seen*: 0).
pub const SERIES_OFFSET: Guid = g3d(0x97);
/// Series values, a vector (`tagSeriesValues`, *seen*).
pub const SERIES_VALUES: Guid = g3d(0x99);
/// Channel instance whose series this one shares, uint4 (`tagSeriesShareChannelIdx`,
/// `{8973861f-…}`, *seen*: the time series of every channel after the first).
pub const SERIES_SHARE_CHANNEL_IDX: Guid = g89(0x1F);
/// Series instance shared, uint4 (`tagSeriesShareSeriesIdx`, `{89738620-…}`, *seen*).
pub const SERIES_SHARE_SERIES_IDX: Guid = g89(0x20);

// ---------------------------------------------------------------------------------------------
// Element and physical types

/// Element type collection.
pub const ELEMENT_COLLECTION: u8 = 1;
/// Element type scalar.
pub const ELEMENT_SCALAR: u8 = 2;
/// Element type vector.
pub const ELEMENT_VECTOR: u8 = 3;

/// What a channel's phase ID states, as the channel choice takes it (`ID_PHASE_AN` … read as
/// `A`, `B`, `C`; `ID_PHASE_NG` is `N` for a current, `NG` for a voltage), or `None` for
/// `ID_PHASE_NONE`. *Seen*: 1 to 9 on VAN, VBN, VCN, VNG, VAB, VBC, VCA, VR, VT.
pub fn phase_text(id: u32, voltage: bool) -> Option<String> {
    Some(match id {
        0 => return None,
        1 => "A".into(),
        2 => "B".into(),
        3 => "C".into(),
        4 if voltage => "NG".into(),
        4 => "N".into(),
        5 => "AB".into(),
        6 => "BC".into(),
        7 => "CA".into(),
        8 => "RES".into(),
        9 => "NET".into(),
        other => format!("PHASE{other}"),
    })
}

/// A short name of a quantity type for messages and listings.
pub fn quantity_text(id: Option<Guid>) -> String {
    match id {
        None => "no quantity type".into(),
        Some(QT_WAVEFORM) => "waveform".into(),
        Some(QT_PHASOR) => "phasor".into(),
        Some(QT_VALUE_LOG) => "value log".into(),
        Some(other) => format!("quantity type {{{other}}}"),
    }
}

/// A short name of a units ID for messages.
pub fn units_text(id: u32) -> String {
    match id {
        0 => "no units".into(),
        1 => "timestamp".into(),
        UNITS_SECONDS => "s".into(),
        3 => "cycles".into(),
        UNITS_VOLTS => "V".into(),
        UNITS_AMPS => "A".into(),
        17 => "degrees".into(),
        other => format!("units ID {other}"),
    }
}
