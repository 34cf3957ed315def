//! The HIL bench: one [`Target`] abstraction over the host engine, the emulated board (QEMU
//! `mps2-an386` on a pty) and a real board on a serial port, all speaking `percycle-wire`.
//!
//! Reliability (see the `percycle-wire` docs): every request carries a new sequence number; the
//! board answers with any number of `Cycle`/`Energy` messages and exactly one final reply of the
//! same sequence number. The bench retransmits a request after a timeout or a `Malformed` error
//! reply (up to [`RETRIES`] times); a retransmitted request is not processed twice by the board,
//! which repeats its final reply. Cycle reports are checked for gaps and duplicates by their
//! index, so a record is either received exactly once or the run fails naming it.

use anyhow::{anyhow, bail, Context, Result};
use percycle_engine::{
    AggregateReport, CycleReport, EnergyRegisters, FrequencyReport, IntervalReport, Meter, Output,
    PqCounters, Snapshot, VoltageEvent, CODE_MISSING,
};
use percycle_wire::{
    decode_message, encode_message, pack_delta, Body, Envelope, ErrorCode, FrameDecoder, Identity,
    RecordKind, SampleEncoding, WireConfig, WireCycle, WireEnergy, MAX_FRAME, MAX_SAMPLE_DATA,
};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Retransmissions of one request before the bench gives up.
pub const RETRIES: u32 = 10;

/// Link counters, reported in `hil.json`.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct LinkStats {
    /// Requests sent (first transmissions).
    pub requests: u64,
    /// Retransmissions.
    pub retransmitted: u64,
    /// Frames received and accepted.
    pub frames_received: u64,
    /// Frames rejected (CRC, COBS, malformed).
    pub frames_rejected: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
}

/// One engine output, decoded from a board's record or taken from the host engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Report {
    /// A closed mains cycle.
    Cycle(CycleReport),
    /// A 10/12-cycle interval.
    Interval(Box<IntervalReport>),
    /// A completed event.
    Event(VoltageEvent),
    /// A 10-s power-frequency value.
    Frequency(FrequencyReport),
    /// Grid values when an event started.
    Snapshot(Snapshot),
    /// A 150/180-cycle, 10-min or 2-h value.
    Aggregate(Box<AggregateReport>),
    /// Energy registers at the end of the stream.
    Energy(EnergyRegisters),
    /// Event occurrence counters and the dropped-event count at the end of the stream.
    Counters(PqCounters, u32),
}

impl Report {
    /// The report of an engine output (the per-cycle spectrum is not reported).
    pub fn of(o: &Output<'_>) -> Option<Self> {
        Some(match o {
            Output::Cycle(r, _) => Self::Cycle(**r),
            Output::Interval(iv) => Self::Interval(Box::new(**iv)),
            Output::Event(e) => Self::Event(**e),
            Output::Frequency(f) => Self::Frequency(**f),
            Output::Snapshot(s) => Self::Snapshot(**s),
            Output::Aggregate(a) => Self::Aggregate(Box::new(**a)),
            _ => return None,
        })
    }

    /// Decode a record's bytes (all parts joined).
    ///
    /// # Errors
    /// Bytes that are not exactly one value of the kind.
    pub fn decode(kind: RecordKind, bytes: &[u8]) -> Result<Self> {
        fn one<'a, T: serde::Deserialize<'a>>(b: &'a [u8]) -> Result<T> {
            match postcard::take_from_bytes(b) {
                Ok((v, [])) => Ok(v),
                Ok((_, rest)) => bail!("{} trailing bytes", rest.len()),
                Err(e) => bail!("{e}"),
            }
        }
        let r = match kind {
            RecordKind::Cycle => Self::Cycle(one(bytes)?),
            RecordKind::Interval => Self::Interval(Box::new(one(bytes)?)),
            RecordKind::Event => Self::Event(one(bytes)?),
            RecordKind::Frequency => Self::Frequency(one(bytes)?),
            RecordKind::Snapshot => Self::Snapshot(one(bytes)?),
            RecordKind::Aggregate => Self::Aggregate(Box::new(one(bytes)?)),
            RecordKind::Energy => Self::Energy(one(bytes)?),
            RecordKind::Counters => {
                let (c, rest) = postcard::take_from_bytes(bytes).map_err(|e| anyhow!("{e}"))?;
                Self::Counters(c, one(rest)?)
            }
        };
        Ok(r)
    }
}

/// What the engine produced for one request: cycle summaries and the full reports.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    /// Cycle summaries, in order.
    pub cycles: Vec<WireCycle>,
    /// Every engine output, in order.
    pub reports: Vec<Report>,
}

impl Outputs {
    fn extend(&mut self, o: Outputs) {
        self.cycles.extend(o.cycles);
        self.reports.extend(o.reports);
    }
}

/// The board stopped knowing its configuration in the middle of a stream: it was reset.
#[derive(Debug)]
pub struct BoardReset {
    /// First frame of the block the board refused.
    pub at_frame: u64,
}

impl std::fmt::Display for BoardReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the board lost its configuration (reset) before frame {}", self.at_frame)
    }
}

impl std::error::Error for BoardReset {}

/// The target refused a configuration (a rate, frequency or topology its engine sizes or the
/// engine do not support): that vector cannot run there, the others still can.
#[derive(Debug)]
pub struct ConfigRefused {
    /// The target and its reason.
    pub reason: String,
}

impl std::fmt::Display for ConfigRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration refused: {}", self.reason)
    }
}

impl std::error::Error for ConfigRefused {}

/// The refusal in `error`'s chain, if the error is one.
pub fn refusal(error: &anyhow::Error) -> Option<&ConfigRefused> {
    error.chain().find_map(|e| e.downcast_ref::<ConfigRefused>())
}

/// Something that runs the engine: the host build, or a board behind a byte stream.
pub trait Target {
    /// Firmware identification (the host build reports itself).
    fn identify(&mut self) -> Result<Identity>;
    /// Configure the engine.
    fn configure(&mut self, cfg: &WireConfig) -> Result<()>;
    /// Process one block of interleaved ADC codes; returns what the engine produced.
    fn samples(&mut self, first_frame: u64, channels: u8, codes: &[i32]) -> Result<Outputs>;
    /// End the stream: the last cycle (if any), the events still open, the energy registers
    /// and counters.
    fn finish(&mut self) -> Result<(Outputs, WireEnergy)>;
    /// Link counters (zero for the host target).
    fn stats(&self) -> LinkStats {
        LinkStats::default()
    }
    /// A vector named `name` starts (its configuration follows): for targets that keep a
    /// record per vector.
    fn begin(&mut self, name: &str) {
        let _ = name;
    }
    /// Processing cost counters since the last configuration (boards only).
    fn cost(&mut self) -> Result<percycle_wire::CostCounters> {
        bail!("this target has no cost counters")
    }
    /// After `error` ended a stream: bring the target back if it died or was reset (`Ok(true)`:
    /// the stream can be sent again from its start), or `Ok(false)` when the error is not one a
    /// restart cures.
    fn recover(&mut self, error: &anyhow::Error) -> Result<bool> {
        let _ = error;
        Ok(false)
    }
}

/// The engine sizes (`Meter<RING, WINDOW>`) the host builds, one per board: the bench compares
/// a board with the host build of its own sizes.
pub const HOST_SIZES: [(u16, u16); 2] = [(1024, 2048), (1024, 1536)];

/// A host meter of any of [`HOST_SIZES`].
trait HostEngine {
    fn process_block_with(&mut self, codes: &[i32], sink: &mut dyn FnMut(Output<'_>));
    fn finish_with(&mut self, sink: &mut dyn FnMut(Output<'_>));
    fn energy(&self) -> &percycle_engine::EnergyRegisters;
    fn counters(&self) -> (percycle_engine::PqCounters, u32);
}

impl<const R: usize, const W: usize> HostEngine for Meter<R, W> {
    fn process_block_with(&mut self, codes: &[i32], sink: &mut dyn FnMut(Output<'_>)) {
        Meter::process_block_with(self, codes, sink)
    }
    fn finish_with(&mut self, sink: &mut dyn FnMut(Output<'_>)) {
        Meter::finish_with(self, sink)
    }
    fn energy(&self) -> &percycle_engine::EnergyRegisters {
        Meter::energy(self)
    }
    fn counters(&self) -> (percycle_engine::PqCounters, u32) {
        (*Meter::counters(self), Meter::events_dropped(self))
    }
}

/// The engine in this process, built the same way as on the board (by default with the sizes of
/// the `mps2-an386` firmware, `Meter<1024, 2048>`).
pub struct HostTarget {
    sizes: (u16, u16),
    meter: Option<Box<dyn HostEngine>>,
    /// [`WireConfig::crc32`] of the configuration in use (0 before one), as a board reports it.
    config_crc32: u32,
}

impl Default for HostTarget {
    fn default() -> Self {
        Self { sizes: HOST_SIZES[0], meter: None, config_crc32: 0 }
    }
}

impl HostTarget {
    /// The host build with the engine sizes of the board identified by `id`.
    ///
    /// # Errors
    /// Sizes with no host build (not in [`HOST_SIZES`]).
    pub fn like(id: &Identity) -> Result<Self> {
        let sizes = (id.ring, id.window);
        if !HOST_SIZES.contains(&sizes) {
            bail!(
                "board {} runs Meter<{}, {}>; the host has builds for {:?} only",
                id.board_name(),
                id.ring,
                id.window,
                HOST_SIZES
            );
        }
        Ok(Self { sizes, meter: None, config_crc32: 0 })
    }
}

impl Target for HostTarget {
    fn identify(&mut self) -> Result<Identity> {
        let mut board = [0u8; 16];
        board[..4].copy_from_slice(b"host");
        Ok(Identity {
            protocol: percycle_wire::PROTOCOL_VERSION,
            version: [0, 1, 0],
            build_id: 0,
            code_crc32: 0,
            config_crc32: self.config_crc32,
            board,
            ring: self.sizes.0,
            window: self.sizes.1,
        })
    }

    fn configure(&mut self, w: &WireConfig) -> Result<()> {
        fn build<const R: usize, const W: usize>(
            cfg: percycle_engine::Config,
        ) -> Result<Box<dyn HostEngine>> {
            // Configured in place, on the heap: `Meter<1024, 2048>` is about 110 kB.
            let mut m: Box<Meter<R, W>> = Box::new(Meter::UNCONFIGURED);
            m.configure(cfg).map_err(|e| {
                anyhow!(ConfigRefused { reason: format!("host Meter<{R}, {W}>: {e}") })
            })?;
            Ok(m)
        }
        let cfg = w.to_config();
        self.meter = Some(match self.sizes {
            (1024, 1536) => build::<1024, 1536>(cfg)?,
            _ => build::<1024, 2048>(cfg)?,
        });
        self.config_crc32 = w.crc32();
        Ok(())
    }

    fn samples(&mut self, _first: u64, _channels: u8, codes: &[i32]) -> Result<Outputs> {
        let m = self.meter.as_mut().context("host target not configured")?;
        let mut out = Outputs::default();
        m.process_block_with(codes, &mut |o| {
            if let Output::Cycle(r, _) = o {
                out.cycles.push(WireCycle::from(r));
            }
            out.reports.extend(Report::of(&o));
        });
        Ok(out)
    }

    fn finish(&mut self) -> Result<(Outputs, WireEnergy)> {
        let m = self.meter.as_mut().context("host target not configured")?;
        let mut out = Outputs::default();
        m.finish_with(&mut |o| {
            if let Output::Cycle(r, _) = o {
                out.cycles.push(WireCycle::from(r));
            }
            out.reports.extend(Report::of(&o));
        });
        out.reports.push(Report::Energy(*m.energy()));
        let (counters, dropped) = m.counters();
        out.reports.push(Report::Counters(counters, dropped));
        Ok((out, WireEnergy::from(m.energy())))
    }
}

/// A byte stream that can wait for input: a serial port, a pty, or an in-process pipe.
pub trait Stream: Read + Write {
    /// Set how long a read may block.
    fn set_timeout(&mut self, t: Duration) -> std::io::Result<()>;
}

impl Stream for Box<dyn serialport::SerialPort> {
    fn set_timeout(&mut self, t: Duration) -> std::io::Result<()> {
        serialport::SerialPort::set_timeout(self.as_mut(), t).map_err(std::io::Error::other)
    }
}

/// What a finished request returned.
struct Replies {
    out: Outputs,
    energy: Option<WireEnergy>,
    last: Body<'static>,
}

/// A received message: an envelope without borrowed data, or one part of a record.
enum Reply {
    Message(Envelope<'static>),
    Part { seq: u16, kind: RecordKind, index: u16, part: u8, parts: u8, data: Vec<u8> },
}

impl Reply {
    fn seq(&self) -> u16 {
        match self {
            Self::Message(e) => e.seq,
            Self::Part { seq, .. } => *seq,
        }
    }
}

/// The parts of one record received so far (`None` where a part is still missing).
type Parts = Vec<Option<Vec<u8>>>;

/// Parts of the records of one reply, joined by record index.
#[derive(Default)]
struct Assembly {
    records: BTreeMap<u16, (RecordKind, Parts)>,
}

impl Assembly {
    fn add(&mut self, kind: RecordKind, index: u16, part: u8, parts: u8, data: Vec<u8>) {
        let (_, slots) =
            self.records.entry(index).or_insert_with(|| (kind, vec![None; parts.max(1) as usize]));
        if let Some(slot) = slots.get_mut(part as usize) {
            // A part seen twice (a retransmitted reply) is kept once.
            slot.get_or_insert(data);
        }
    }

    /// Indices below `count` not received whole.
    fn missing(&self, count: u32) -> Vec<u16> {
        (0..count as u16)
            .filter(|i| {
                self.records.get(i).is_none_or(|(_, slots)| slots.iter().any(Option::is_none))
            })
            .collect()
    }

    fn decode(&self) -> Result<Vec<Report>> {
        self.records
            .iter()
            .map(|(index, (kind, slots))| {
                let bytes: Vec<u8> = slots.iter().flatten().flatten().copied().collect();
                Report::decode(*kind, &bytes)
                    .with_context(|| format!("record {index} ({kind:?}) does not decode"))
            })
            .collect()
    }
}

/// A board behind a byte stream.
pub struct Board<S: Stream> {
    stream: S,
    decoder: Box<FrameDecoder<{ 2 * MAX_FRAME + 64 }>>,
    seq: u16,
    stats: LinkStats,
    timeout: Duration,
    name: String,
    /// The board's identification, once asked for.
    identity: Option<Identity>,
}

impl<S: Stream> Board<S> {
    /// Wrap a stream; `name` is used in error messages (port path).
    pub fn new(stream: S, name: &str) -> Self {
        Self {
            stream,
            decoder: Box::new(FrameDecoder::new()),
            seq: 0,
            stats: LinkStats::default(),
            timeout: Duration::from_secs(5),
            name: name.to_string(),
            identity: None,
        }
    }

    /// Set the reply timeout of one request attempt (default 5 s).
    pub fn set_reply_timeout(&mut self, t: Duration) {
        self.timeout = t;
    }

    /// Ping until the board answers (its boot output is lost on a pty), for up to `total`.
    pub fn sync(&mut self, total: Duration) -> Result<()> {
        let deadline = Instant::now() + total;
        let mut nonce = 0x5EED_0000u32;
        while Instant::now() < deadline {
            nonce += 1;
            self.seq = self.seq.wrapping_add(1);
            let env = Envelope { seq: self.seq, body: Body::Ping { nonce } };
            self.send(&env)?;
            let until = Instant::now() + Duration::from_millis(150);
            while Instant::now() < until {
                if let Some(Reply::Message(Envelope { body: Body::Pong { nonce: n }, .. })) =
                    self.read_frame(until)?
                {
                    if n == nonce {
                        return Ok(());
                    }
                }
            }
        }
        bail!("{}: the board did not answer a ping within {:?}", self.name, total)
    }

    fn send(&mut self, env: &Envelope<'_>) -> Result<()> {
        let mut scratch = vec![0u8; MAX_FRAME + 64];
        let mut frame = vec![0u8; 2 * MAX_FRAME + 64];
        let n = encode_message(env, &mut scratch, &mut frame)
            .map_err(|e| anyhow!("encoding: {e:?}"))?;
        self.stream.write_all(&frame[..n]).with_context(|| format!("{}: writing", self.name))?;
        self.stream.flush().ok();
        self.stats.bytes_sent += n as u64;
        Ok(())
    }

    /// One decoded message, or `None` at `until`.
    fn read_frame(&mut self, until: Instant) -> Result<Option<Reply>> {
        let mut byte = [0u8; 1];
        loop {
            let now = Instant::now();
            if now >= until {
                return Ok(None);
            }
            self.stream.set_timeout((until - now).max(Duration::from_millis(1))).ok();
            match self.stream.read(&mut byte) {
                Ok(0) => continue,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).with_context(|| format!("{}: reading", self.name)),
            }
            match self.decoder.push(byte[0]) {
                None => {}
                Some(Err(_)) => self.stats.frames_rejected += 1,
                Some(Ok(payload)) => match decode_message(payload) {
                    Ok(env) => {
                        self.stats.frames_received += 1;
                        return Ok(Some(own(env)));
                    }
                    Err(_) => self.stats.frames_rejected += 1,
                },
            }
        }
    }

    /// Send a request and collect its replies, retransmitting on timeout or a `Malformed` reply.
    fn request(&mut self, body: Body<'_>) -> Result<Replies> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let env = Envelope { seq, body };
        self.stats.requests += 1;
        let mut cycles: Vec<WireCycle> = Vec::new();
        let mut energy = None;
        let mut parts = Assembly::default();
        let mut incomplete = None;
        for attempt in 0..=RETRIES {
            if attempt > 0 {
                self.stats.retransmitted += 1;
            }
            self.send(&env)?;
            let until = Instant::now() + self.timeout;
            loop {
                let Some(reply) = self.read_frame(until)? else { break };
                if reply.seq() != seq {
                    if let Reply::Message(Envelope {
                        body: Body::Error { code: ErrorCode::Malformed, .. },
                        ..
                    }) = reply
                    {
                        // A frame of ours arrived damaged: send it again.
                        break;
                    }
                    continue;
                }
                let body = match reply {
                    Reply::Part { kind, index, part, parts: n, data, .. } => {
                        parts.add(kind, index, part, n, data);
                        continue;
                    }
                    Reply::Message(m) => m.body,
                };
                match body {
                    Body::Cycle(c) => {
                        // A retransmitted request repeats its whole reply; a cycle seen twice
                        // is kept once (by index), a gap is caught by the caller.
                        if !cycles.iter().any(|k| k.index == c.index) {
                            cycles.push(c);
                        }
                    }
                    Body::Energy(e) => energy = Some(e),
                    Body::Error { code: ErrorCode::Malformed, .. } => break,
                    Body::Done { cycles: n, records, .. } => {
                        let missing = parts.missing(records);
                        if cycles.len() == n as usize && missing.is_empty() {
                            let out = Outputs { cycles, reports: parts.decode()? };
                            return Ok(Replies { out, energy, last: body });
                        }
                        // Part of the reply was lost on the way: ask again (the board repeats
                        // the whole reply to a retransmitted request).
                        incomplete = Some(format!(
                            "{} of {n} cycle summaries, records {missing:?} of {records} missing",
                            cycles.len()
                        ));
                        break;
                    }
                    last => {
                        let out = Outputs { cycles, reports: parts.decode()? };
                        return Ok(Replies { out, energy, last });
                    }
                }
            }
        }
        match incomplete {
            Some(what) => bail!(
                "{}: reply to request {seq} still incomplete after {RETRIES} retransmissions: {what}",
                self.name
            ),
            None => bail!(
                "{}: no reply to request {seq} after {RETRIES} retransmissions (board stopped answering?)",
                self.name
            ),
        }
    }
}

/// A copy of a message that owns its data (sample blocks are never received by the bench).
fn own(env: Envelope<'_>) -> Reply {
    let body = match env.body {
        Body::Samples { .. } => Body::Error { seq: env.seq, code: ErrorCode::UnknownMessage },
        Body::Ping { nonce } => Body::Ping { nonce },
        Body::Identify => Body::Identify,
        Body::Configure(c) => Body::Configure(c),
        Body::Finish => Body::Finish,
        Body::Reset => Body::Reset,
        Body::Counters => Body::Counters,
        Body::Pong { nonce } => Body::Pong { nonce },
        Body::Identity(i) => Body::Identity(i),
        Body::Ack { seq } => Body::Ack { seq },
        Body::Cycle(c) => Body::Cycle(c),
        Body::Energy(e) => Body::Energy(e),
        Body::CounterValues(c) => Body::CounterValues(c),
        Body::Error { seq, code } => Body::Error { seq, code },
        Body::Done { seq, cycles, records } => Body::Done { seq, cycles, records },
        Body::Record { kind, index, part, parts, data } => {
            return Reply::Part { seq: env.seq, kind, index, part, parts, data: data.to_vec() }
        }
    };
    Reply::Message(Envelope { seq: env.seq, body })
}

impl<S: Stream> Target for Board<S> {
    fn identify(&mut self) -> Result<Identity> {
        match self.request(Body::Identify)?.last {
            Body::Identity(i) => {
                self.identity = Some(i);
                Ok(i)
            }
            other => bail!("{}: unexpected reply to Identify: {other:?}", self.name),
        }
    }

    fn configure(&mut self, cfg: &WireConfig) -> Result<()> {
        match self.request(Body::Configure(*cfg))?.last {
            Body::Ack { .. } => Ok(()),
            Body::Error { code: ErrorCode::BadConfig, .. } => {
                // The board names no reason; its host twin does.
                let id = match self.identity {
                    Some(i) => Some(i),
                    None => self.identify().ok(),
                };
                let why = id
                    .as_ref()
                    .and_then(|id| HostTarget::like(id).ok())
                    .and_then(|mut h| h.configure(cfg).err())
                    .and_then(|e| refusal(&e).map(|r| r.reason.clone()))
                    .unwrap_or_else(|| "BadConfig".to_string());
                Err(anyhow!(ConfigRefused { reason: format!("{}: {why}", self.name) }))
            }
            other => bail!("{}: configuration refused: {other:?}", self.name),
        }
    }

    fn samples(&mut self, first_frame: u64, channels: u8, codes: &[i32]) -> Result<Outputs> {
        // Delta packing; a block whose residuals do not fit one frame is sent in halves.
        let mut data = vec![0u8; codes.len() * 5 + 2 + 5 * channels as usize];
        let n = pack_delta(codes, channels as usize, &mut data)
            .map_err(|e| anyhow!("packing: {e:?}"))?;
        let frames = codes.len() / channels.max(1) as usize;
        if n > MAX_SAMPLE_DATA && frames > 1 {
            let half = frames / 2 * channels as usize;
            let mut out = self.samples(first_frame, channels, &codes[..half])?;
            let rest = first_frame + (frames / 2) as u64;
            out.extend(self.samples(rest, channels, &codes[half..])?);
            return Ok(out);
        }
        let body = Body::Samples {
            first_frame,
            channels,
            encoding: SampleEncoding::Delta,
            data: &data[..n],
        };
        let r = self.request(body)?;
        match r.last {
            Body::Done { .. } => Ok(r.out),
            Body::Error { code: ErrorCode::NotConfigured, .. } => {
                Err(anyhow!(BoardReset { at_frame: first_frame }))
                    .with_context(|| format!("{}: block at frame {first_frame}", self.name))
            }
            other => bail!("{}: block at frame {first_frame}: {other:?}", self.name),
        }
    }

    fn finish(&mut self) -> Result<(Outputs, WireEnergy)> {
        let r = self.request(Body::Finish)?;
        match (r.last, r.energy) {
            (Body::Done { .. }, Some(e)) => Ok((r.out, e)),
            (other, _) => bail!("{}: unexpected reply to Finish: {other:?}", self.name),
        }
    }

    fn stats(&self) -> LinkStats {
        self.stats
    }

    fn cost(&mut self) -> Result<percycle_wire::CostCounters> {
        match self.request(Body::Counters)?.last {
            Body::CounterValues(c) => Ok(c),
            other => bail!("{}: unexpected reply to Counters: {other:?}", self.name),
        }
    }
}

/// The emulated board: QEMU `mps2-an386` with the firmware, its UART on a pty. QEMU is killed
/// when this is dropped.
pub struct Qemu {
    child: std::process::Child,
    /// The board behind the pty.
    pub board: Board<Box<dyn serialport::SerialPort>>,
    launch: Launch,
    /// Times the board was restarted after it died or was reset.
    pub restarts: u32,
}

/// How a QEMU board was started, to start it again.
struct Launch {
    machine: String,
    elf: std::path::PathBuf,
    extra: Vec<String>,
}

impl Qemu {
    /// Start QEMU with `elf` on `machine` and sync with the firmware.
    ///
    /// # Errors
    /// QEMU missing or failing to start, no pty announced, or no answer to pings.
    pub fn start(machine: &str, elf: &std::path::Path) -> Result<Self> {
        Self::start_with(machine, elf, &[])
    }

    /// As [`Qemu::start`], with extra QEMU arguments (e.g. `-icount`).
    ///
    /// # Errors
    /// As [`Qemu::start`].
    /// `PERCYCLE_QEMU_ARGS` (whitespace-separated) is appended: a profile of the firmware is
    /// `-singlestep -d exec,nochain -D FILE` (scripts/profile-mcu.sh).
    pub fn start_with(machine: &str, elf: &std::path::Path, extra: &[&str]) -> Result<Self> {
        use std::io::BufRead;
        let from_env = std::env::var("PERCYCLE_QEMU_ARGS").unwrap_or_default();
        let extra: Vec<&str> = extra.iter().copied().chain(from_env.split_whitespace()).collect();
        let extra = &extra[..];
        let extra_owned: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let mut child = std::process::Command::new("qemu-system-arm")
            .args([
                "-M", machine, "-display", "none", "-monitor", "none", "-serial", "pty", "-kernel",
            ])
            .arg(elf)
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .context(
                "starting qemu-system-arm (install it with `apt-get install qemu-system-arm`)",
            )?;
        let stdout = child.stdout.take().context("qemu stdout")?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut pty = None;
        for line in lines.by_ref().take(20) {
            let line = line.context("reading qemu output")?;
            if let Some(pos) = line.find("/dev/pts/") {
                let path: String = line[pos..].chars().take_while(|c| !c.is_whitespace()).collect();
                pty = Some(path);
                break;
            }
        }
        let Some(pty) = pty else {
            let _ = child.kill();
            bail!("qemu-system-arm did not announce a pty");
        };
        // Keep draining QEMU's stdout so it never blocks.
        std::thread::spawn(move || for _ in lines {});
        let port = serialport::new(&pty, 115_200)
            .timeout(Duration::from_millis(100))
            .open()
            .with_context(|| format!("opening {pty}"))?;
        let mut board = Board::new(port, &format!("qemu {machine} on {pty}"));
        if let Err(e) = board.sync(Duration::from_secs(10)) {
            let _ = child.kill();
            return Err(e);
        }
        let launch =
            Launch { machine: machine.to_string(), elf: elf.to_path_buf(), extra: extra_owned };
        Ok(Self { child, board, launch, restarts: 0 })
    }

    /// Kill the QEMU process (the board loses power); the next request fails and
    /// [`Target::recover`] starts a new one.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the QEMU process has exited.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// An error naming the board when its QEMU process has exited (no request could succeed).
    fn alive(&mut self) -> Result<()> {
        if let Ok(Some(status)) = self.child.try_wait() {
            bail!("{}: QEMU exited ({status})", self.board.name);
        }
        Ok(())
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Target for Qemu {
    fn identify(&mut self) -> Result<Identity> {
        self.board.identify()
    }
    fn configure(&mut self, cfg: &WireConfig) -> Result<()> {
        self.alive()?;
        self.board.configure(cfg)
    }
    fn samples(&mut self, first_frame: u64, channels: u8, codes: &[i32]) -> Result<Outputs> {
        self.alive().with_context(|| format!("block at frame {first_frame}"))?;
        self.board.samples(first_frame, channels, codes)
    }
    fn finish(&mut self) -> Result<(Outputs, WireEnergy)> {
        self.alive()?;
        self.board.finish()
    }
    fn stats(&self) -> LinkStats {
        self.board.stats()
    }
    fn cost(&mut self) -> Result<percycle_wire::CostCounters> {
        self.board.cost()
    }
    fn recover(&mut self, error: &anyhow::Error) -> Result<bool> {
        let reset = error.chain().any(|e| e.is::<BoardReset>());
        if !reset && !self.exited() {
            return Ok(false);
        }
        // The board died or lost its state: power it up again (a new QEMU on a new pty).
        let extra: Vec<&str> = self.launch.extra.iter().map(String::as_str).collect();
        let mut fresh = Qemu::start_with(&self.launch.machine, &self.launch.elf, &extra)
            .context("restarting the board")?;
        fresh.restarts = self.restarts + 1;
        std::mem::swap(self, &mut fresh);
        Ok(true)
    }
}

/// `-icount` shift used for instruction counting: each instruction advances QEMU's clock by
/// 2^shift ns.
pub const ICOUNT_SHIFT: u32 = 4;

/// The engine's cost per mains cycle on a board: instructions on the emulated board (QEMU
/// `-icount`), CPU cycles on a real one (the DWT cycle counter).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Cost {
    /// Vector measured.
    pub vector: String,
    /// What the numbers count: `instructions` or `CPU cycles`.
    pub unit: &'static str,
    /// Mains cycles processed.
    pub cycles: u32,
    /// Instructions (or CPU cycles, see `unit`) per mains cycle, whole engine (all channels).
    pub instructions_per_cycle: f64,
    /// The same per channel.
    pub instructions_per_cycle_per_channel: f64,
    /// Most instructions (or CPU cycles) spent on one sample block.
    pub instructions_max_block: f64,
    /// Deepest stack use of the firmware since boot, bytes.
    pub stack_bytes: u32,
}

/// Count the engine's instructions per mains cycle on the emulated board: QEMU runs with
/// `-icount shift=ICOUNT_SHIFT`, the firmware times its engine calls with SysTick.
///
/// # Errors
/// QEMU or the board failing.
pub fn cost(elf: &std::path::Path, vector: &str, seconds: f64, analysis: u8) -> Result<Cost> {
    let shift = format!("shift={ICOUNT_SHIFT},align=off,sleep=off");
    let mut q = Qemu::start_with("mps2-an386", elf, &["-icount", &shift])?;
    cost_on(&mut q, vector, seconds, analysis, CostClock::Icount)
}

/// How a board's cost ticks become the numbers of [`Cost`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostClock {
    /// QEMU `-icount shift=ICOUNT_SHIFT`: SysTick ticks at the core clock, each instruction
    /// 2^shift ns: instructions.
    Icount,
    /// A real board: ticks are CPU cycles (the DWT cycle counter).
    Cycles,
}

/// The engine's cost on `target` (a board already identified), streaming `seconds` of the
/// foundation vector `vector` with the `analysis` bits.
///
/// # Errors
/// An unknown vector, or the board failing.
pub fn cost_on(
    target: &mut dyn Target,
    vector: &str,
    seconds: f64,
    analysis: u8,
    clock: CostClock,
) -> Result<Cost> {
    let recipe = percycle_vectors::suite("foundation")
        .and_then(|s| s.into_iter().find(|r| r.name == vector))
        .with_context(|| format!("no foundation vector `{vector}`"))?
        .with_duration(seconds);
    let v = percycle_vectors::synthesize(&recipe)?;
    let (mut cfg, codes, nch) = wire_synthesised(&v)?;
    cfg.analysis = analysis;
    stream(target, &cfg, &codes, nch, 40)?;
    let c = target.cost()?;
    let (per_tick, unit) = match clock {
        // ticks × clock period (ns) / 2^shift ns per instruction.
        CostClock::Icount => {
            (1e9 / c.core_clock_hz as f64 / (1u64 << ICOUNT_SHIFT) as f64, "instructions")
        }
        CostClock::Cycles => (1.0, "CPU cycles"),
    };
    let total = c.core_ticks_total as f64 * per_tick;
    let cycles = c.cycles.max(1) as f64;
    Ok(Cost {
        vector: vector.to_string(),
        unit,
        cycles: c.cycles,
        instructions_per_cycle: total / cycles,
        instructions_per_cycle_per_channel: total / cycles / nch as f64,
        instructions_max_block: c.core_ticks_max_block as f64 * per_tick,
        stack_bytes: c.stack_bytes,
    })
}

/// Section sizes of a firmware ELF, bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct ElfSize {
    /// Code and read-only data (flash).
    pub text: u64,
    /// Initialised data (flash and RAM).
    pub data: u64,
    /// Zeroed static data (RAM).
    pub bss: u64,
}

/// `.text`, `.data` and `.bss` of an ELF, from `llvm-size` of the toolchain's llvm-tools.
///
/// # Errors
/// llvm-size missing (`rustup component add llvm-tools`) or its output not understood.
pub fn elf_size(elf: &std::path::Path) -> Result<ElfSize> {
    let sysroot = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("running rustc --print sysroot")?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    let tool = std::fs::read_dir(format!("{sysroot}/lib/rustlib"))
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("bin/llvm-size"))
        .find(|p| p.exists())
        .context("llvm-size not found (rustup component add llvm-tools)")?;
    let out = std::process::Command::new(tool).arg(elf).output().context("running llvm-size")?;
    let text = String::from_utf8_lossy(&out.stdout);
    // Berkeley format: a header line, then `text data bss dec hex filename`.
    let row =
        text.lines().nth(1).with_context(|| format!("llvm-size {}: {text}", elf.display()))?;
    let v: Vec<u64> = row.split_whitespace().take(3).filter_map(|x| x.parse().ok()).collect();
    match v[..] {
        [text, data, bss] => Ok(ElfSize { text, data, bss }),
        _ => bail!("llvm-size {}: unexpected output `{row}`", elf.display()),
    }
}

/// Result of streaming one vector through a target.
#[derive(Clone, Debug)]
pub struct Run {
    /// Every cycle, in order.
    pub cycles: Vec<WireCycle>,
    /// Every engine output, in order (cycles, intervals, events, 10-s frequency, snapshots,
    /// then the registers and counters at the end).
    pub reports: Vec<Report>,
    /// Registers at the end.
    pub energy: WireEnergy,
    /// Frames streamed.
    pub frames: u64,
}

/// Stream interleaved codes through a target in blocks of `block_frames` frames, checking that
/// cycle indices arrive in order without gaps or duplicates.
///
/// # Errors
/// Target errors, or a gap or duplicate in the cycle indices (naming the index).
pub fn stream(
    t: &mut dyn Target,
    cfg: &WireConfig,
    codes: &[i32],
    channels: usize,
    block_frames: usize,
) -> Result<Run> {
    t.configure(cfg)?;
    let mut all = Outputs::default();
    let mut frame = 0u64;
    for block in codes.chunks(block_frames * channels) {
        all.extend(t.samples(frame, channels as u8, block)?);
        frame += (block.len() / channels) as u64;
    }
    let (last, energy) = t.finish()?;
    all.extend(last);
    let Outputs { cycles, reports } = all;
    let indices = reports.iter().filter_map(|r| match r {
        Report::Cycle(c) => Some(c.index),
        _ => None,
    });
    for (k, index) in indices.enumerate() {
        if index != k as u64 {
            bail!("cycle report {k} missing or duplicated (received index {index} in its place)");
        }
    }
    for (k, c) in cycles.iter().enumerate() {
        if c.index != k as u64 {
            bail!(
                "cycle record {k} missing or duplicated (received index {} in its place)",
                c.index
            );
        }
    }
    Ok(Run { cycles, reports, energy, frames: frame })
}

/// Fields of two cycle records that differ in any bit.
pub fn differences(a: &WireCycle, b: &WireCycle) -> Vec<String> {
    let fa = format!("{a:?}");
    let fb = format!("{b:?}");
    if fa == fb {
        Vec::new()
    } else {
        vec![format!("cycle {}: board {fa} vs host {fb}", a.index)]
    }
}

/// A stream that damages traffic on purpose: drops, duplicates and flips bytes in both
/// directions at a given rate, from a seeded generator (the fault tests' proxy).
pub struct Faulty<S: Stream> {
    inner: S,
    rate: f64,
    state: u64,
    /// Bytes dropped, duplicated and flipped so far.
    pub injected: u64,
    pending: Option<u8>,
}

impl<S: Stream> Faulty<S> {
    /// Wrap `inner`; each byte is damaged with probability `rate`.
    pub fn new(inner: S, rate: f64, seed: u64) -> Self {
        Self { inner, rate, state: seed | 1, injected: 0, pending: None }
    }

    fn next(&mut self) -> f64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        (self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// What happens to one byte: `None` dropped, else the bytes to pass on.
    fn damage(&mut self, b: u8) -> (Option<u8>, Option<u8>) {
        if self.next() >= self.rate {
            return (Some(b), None);
        }
        self.injected += 1;
        match (self.next() * 3.0) as u32 {
            0 => (None, None),
            1 => (Some(b), Some(b)),
            _ => (Some(b ^ (1 << (self.next() * 8.0) as u32)), None),
        }
    }
}

impl<S: Stream> Read for Faulty<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(b) = self.pending.take() {
            buf[0] = b;
            return Ok(1);
        }
        loop {
            let mut one = [0u8; 1];
            let n = self.inner.read(&mut one)?;
            if n == 0 {
                return Ok(0);
            }
            match self.damage(one[0]) {
                (None, _) => continue,
                (Some(b), dup) => {
                    self.pending = dup;
                    buf[0] = b;
                    return Ok(1);
                }
            }
        }
    }
}

impl<S: Stream> Write for Faulty<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len() + 4);
        for &b in buf {
            match self.damage(b) {
                (None, _) => {}
                (Some(x), dup) => {
                    out.push(x);
                    out.extend(dup);
                }
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<S: Stream> Stream for Faulty<S> {
    fn set_timeout(&mut self, t: Duration) -> std::io::Result<()> {
        self.inner.set_timeout(t)
    }
}

impl Board<Box<dyn serialport::SerialPort>> {
    /// A second handle on the same port (for the fault proxy).
    ///
    /// # Errors
    /// The port cannot be cloned.
    pub fn stream_clone(&self) -> Result<Box<dyn serialport::SerialPort>> {
        self.stream.try_clone().with_context(|| format!("{}: cloning the port", self.name))
    }
}

/// A board speaking another protocol version is refused by name.
fn check_protocol(id: &Identity, what: &str) -> Result<()> {
    if id.protocol != percycle_wire::PROTOCOL_VERSION {
        bail!(
            "{what} speaks protocol {}, this bench {}: rebuild the firmware",
            id.protocol,
            percycle_wire::PROTOCOL_VERSION
        );
    }
    Ok(())
}

/// QEMU machines the firmware has a board module for; the first is the default of `qemu`.
pub const QEMU_MACHINES: [&str; 2] = ["mps2-an386", "netduinoplus2"];

/// The QEMU machine named by a target spec (`qemu` or `qemu:MACHINE`), `None` for other targets.
///
/// # Errors
/// A machine the firmware has no board module for.
pub fn qemu_machine(spec: &str) -> Result<Option<&'static str>> {
    let machine = match spec.strip_prefix("qemu") {
        Some("") => QEMU_MACHINES[0],
        Some(rest) => match rest.strip_prefix(':') {
            Some(m) => m,
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    match QEMU_MACHINES.iter().find(|&&m| m == machine) {
        Some(m) => Ok(Some(m)),
        None => bail!(
            "unknown QEMU machine `{machine}` (the firmware runs on {})",
            QEMU_MACHINES.join(", ")
        ),
    }
}

/// The firmware ELF for target `spec`: `explicit` if given, else the release build of
/// hil/firmware for the target's QEMU machine (relative to the working directory).
///
/// # Errors
/// An unknown QEMU machine.
pub fn firmware_for(
    spec: &str,
    explicit: Option<std::path::PathBuf>,
) -> Result<std::path::PathBuf> {
    if let Some(f) = explicit {
        return Ok(f);
    }
    let dir = match qemu_machine(spec)? {
        Some(m) if m != QEMU_MACHINES[0] => format!("hil/firmware/target/{m}/"),
        _ => "hil/firmware/target/".to_string(),
    };
    Ok(std::path::PathBuf::from(dir + "thumbv7em-none-eabihf/release/percycle-firmware"))
}

/// The target named by `spec`: `host`, `qemu` or `qemu:MACHINE` (QEMU running `firmware` on
/// `mps2-an386`, the default, or `netduinoplus2`) or
/// `serial:PATH[@BAUD]` (a real board, 115 200 Bd by default), synchronised and ready, with its
/// description for reports.
///
/// # Errors
/// An unknown spec, QEMU or the port failing to open, or a board that does not answer.
pub fn open_target(spec: &str, firmware: &std::path::Path) -> Result<(Box<dyn Target>, String)> {
    if spec == "host" {
        return Ok((Box::new(HostTarget::default()), "host".to_string()));
    }
    if let Some(machine) = qemu_machine(spec)? {
        if !firmware.exists() {
            bail!(
                "firmware {} not found (build it: cd hil/firmware && cargo build --release{})",
                firmware.display(),
                if machine == "mps2-an386" {
                    String::new()
                } else {
                    format!(" --no-default-features --features {machine}")
                }
            );
        }
        let mut q = Qemu::start(machine, firmware)?;
        let id = q.identify()?;
        check_protocol(&id, &firmware.display().to_string())?;
        let board = id.board_name();
        if board != machine {
            bail!(
                "firmware {} is built for board `{board}`, not the `{machine}` QEMU was asked for",
                firmware.display()
            );
        }
        return Ok((Box::new(q), format!("qemu {machine}")));
    }
    let Some(port) = spec.strip_prefix("serial:") else {
        bail!("unknown target `{spec}` (host, qemu[:MACHINE] or serial:PATH[@BAUD])");
    };
    let (path, baud) = match port.split_once('@') {
        Some((p, b)) => (p, b.parse().with_context(|| format!("baud rate `{b}`"))?),
        None => (port, 115_200),
    };
    let port = serialport::new(path, baud)
        .timeout(Duration::from_millis(100))
        .open()
        .with_context(|| format!("opening {path}"))?;
    let mut board = Board::new(port, path);
    board.sync(Duration::from_secs(5))?;
    check_protocol(&board.identify()?, path)?;
    Ok((Box::new(board), spec.to_string()))
}

/// Frames per sample block sent to a target: 64 frames of 7 channels delta-packed fill most of
/// a frame (about 2 bytes a code for 24-bit mains codes), and stay below one mains cycle at
/// every supported rate, so one reply holds at most one cycle and one interval.
pub const BLOCK_FRAMES: usize = 64;

/// Most times one vector is sent again after its target died or was reset.
pub const MAX_RESTARTS: u32 = 3;

/// [`stream`] (in blocks of 40 frames), sending the vector again from its start when the target
/// died or was reset on the way and could be brought back ([`Target::recover`]): a stream that
/// was cut holds none of the partial run's records, so every record is still received exactly
/// once. Returns the run and the number of restarts.
///
/// # Errors
/// A target error that a restart does not cure, or more than [`MAX_RESTARTS`] restarts; the
/// error names the vector and what was missing.
pub fn stream_recovering(
    target: &mut dyn Target,
    cfg: &WireConfig,
    codes: &[i32],
    channels: usize,
    name: &str,
    progress: bool,
) -> Result<(Run, u32)> {
    let mut restarts = 0;
    target.begin(name);
    loop {
        match stream(target, cfg, codes, channels, BLOCK_FRAMES) {
            Ok(run) => return Ok((run, restarts)),
            Err(e) if restarts < MAX_RESTARTS && target.recover(&e)? => {
                restarts += 1;
                if progress {
                    eprintln!("{name}: {e:#}; target restarted, sending the vector again");
                }
            }
            Err(e) => return Err(e).with_context(|| format!("vector {name}")),
        }
    }
}

/// Every difference between a target's run and the host build's: cycle summaries and every
/// report, compared bit for bit (through their exact decimal forms).
pub fn compare_runs(got: &Run, host: &Run) -> Vec<String> {
    let mut out: Vec<String> =
        got.cycles.iter().zip(&host.cycles).flat_map(|(a, b)| differences(a, b)).collect();
    if got.cycles.len() != host.cycles.len() {
        out.push(format!(
            "{} cycles from the target, {} from the host",
            got.cycles.len(),
            host.cycles.len()
        ));
    }
    for (k, (a, b)) in got.reports.iter().zip(&host.reports).enumerate() {
        let (fa, fb) = (format!("{a:?}"), format!("{b:?}"));
        if fa != fb {
            out.push(format!("report {k}: target {fa} vs host {fb}"));
        }
    }
    if got.reports.len() != host.reports.len() {
        out.push(format!(
            "{} reports from the target, {} from the host",
            got.reports.len(),
            host.reports.len()
        ));
    }
    out
}

/// An [`percycle_analysis::analyze::Analysis`] assembled from a target's reports.
pub fn analysis_of(cfg: &WireConfig, run: &Run) -> percycle_analysis::analyze::Analysis {
    let config = cfg.to_config();
    let nch = config.topology.channels();
    let options = percycle_analysis::setup::Options {
        nominal_hz: Some(cfg.nominal_hz),
        declared_voltage: Some(cfg.declared_voltage),
        aggregate_s: Some(cfg.aggregation_window_s as f64),
        ..Default::default()
    };
    let mut a =
        percycle_analysis::analyze::Analysis::new(config, options, (0..nch).map(Some).collect());
    for r in &run.reports {
        match r {
            Report::Cycle(c) => a.cycles.push(*c),
            Report::Interval(iv) => a.intervals.push(**iv),
            Report::Event(e) => a.events.push(*e),
            Report::Frequency(f) => a.frequency.push(*f),
            Report::Snapshot(s) => a.snapshots.push(*s),
            Report::Aggregate(x) => a.aggregates.push(**x),
            Report::Energy(e) => a.energy = *e,
            Report::Counters(c, dropped) => {
                a.counters = *c;
                a.events_dropped = *dropped;
            }
        }
    }
    a
}

/// ADC codes and wire configuration of a waveform for a target: the engine setup of
/// [`percycle_analysis::setup::setup`] (the same as `percycle analyze`: topology from the
/// channel names, each channel's range its stated full scale or the fixed default of its kind,
/// never its peak), every sample quantised to its channel's step as the engine's f32 path does,
/// in the engine's frame order. A missing sample (NaN or ±∞) is sent as [`CODE_MISSING`], never
/// as 0 V.
///
/// # Errors
/// As [`percycle_analysis::setup::setup`].
pub fn wire_vector(
    w: &percycle_vectors::Waveform,
    full_scale: Option<&[f64]>,
    opts: &percycle_analysis::setup::Options,
) -> Result<(WireConfig, Vec<i32>, usize)> {
    use percycle_analysis::source::Source as _;
    let source = percycle_analysis::source::WaveformSource::new(w, full_scale)?;
    let setup = percycle_analysis::setup::setup(source.info(), opts)?;
    let cfg = WireConfig::from_config(&setup.config);
    let inv: Vec<f32> =
        setup.config.calibration.iter().map(|c| 1.0 / c.gain).take(setup.mapping.len()).collect();
    let n = w.len();
    let mut codes = Vec::with_capacity(n * setup.mapping.len());
    for k in 0..n {
        for (c, m) in setup.mapping.iter().enumerate() {
            let x = m.map_or(0.0, |src| percycle_analysis::drive::engine_value(w.samples[src][k]));
            codes.push(code(x, inv[c]));
        }
    }
    Ok((cfg, codes, setup.mapping.len()))
}

/// The ADC code the engine's f32 path makes of `x` (V or A) at a channel of step `1/inv_gain`:
/// rounded, a finite value beyond the code range saturated above [`CODE_MISSING`] (clipped, not
/// missing), NaN and ±∞ as [`CODE_MISSING`].
pub fn code(x: f32, inv_gain: f32) -> i32 {
    if x.is_finite() {
        ((x * inv_gain).round() as i32).max(CODE_MISSING + 1)
    } else {
        CODE_MISSING
    }
}

/// [`wire_vector`] of a synthesised vector at the full scales it is stored with
/// ([`percycle_vectors::default_full_scale`]), nominal 60 Hz when its fundamental is above
/// 55 Hz, else 50 Hz.
///
/// # Errors
/// As [`wire_vector`].
pub fn wire_synthesised(v: &percycle_vectors::Vector) -> Result<(WireConfig, Vec<i32>, usize)> {
    let opts = percycle_analysis::setup::Options {
        nominal_hz: Some(nominal_of(v.recipe.frequency.f0_hz)),
        ..Default::default()
    };
    wire_vector(&v.waveform, Some(&percycle_vectors::default_full_scale(v)), &opts)
}

/// The nominal frequency of a fundamental: 60 Hz above 55 Hz, else 50 Hz.
pub fn nominal_of(f0_hz: f64) -> f32 {
    if f0_hz > 55.0 {
        60.0
    } else {
        50.0
    }
}

/// The vector's own ADC codes and the wire configuration of the converter its recipe states:
/// each channel's gain is its full scale over the rail code `2^(bits−1) − 1`, the input limit is
/// that rail (a sample stored at a rail reaches the board as clipped), and a missing sample is
/// [`percycle_vectors::MISSING_CODE`] (the engine's [`CODE_MISSING`]). Nothing is rescaled from
/// the data.
///
/// # Errors
/// A vector without codes (its recipe states no converter), or a converter wider than the
/// engine's code range ([`percycle_engine::CODE_LIMIT`]).
pub fn wire_codes(
    v: &percycle_vectors::Vector,
    nominal_hz: f32,
    declared_voltage: f32,
) -> Result<(WireConfig, Vec<i32>, usize)> {
    let name = &v.recipe.name;
    let (Some(q), Some(per_channel)) = (v.recipe.quantisation, v.codes.as_ref()) else {
        bail!("{name}: the recipe states no ADC, so there are no codes to send");
    };
    let rail = percycle_vectors::synth::max_code(q.bits);
    if rail > f64::from(percycle_engine::CODE_LIMIT) {
        bail!(
            "{name}: a {}-bit ADC has codes beyond the engine's range (±{})",
            q.bits,
            percycle_engine::CODE_LIMIT
        );
    }
    let full_scale = v
        .waveform
        .channels
        .iter()
        .map(|ch| {
            percycle_vectors::ChannelKind::of(ch)
                .map(|kind| q.full_scale(kind))
                .with_context(|| format!("{name}: channel {ch} is neither a voltage nor a current"))
        })
        .collect::<Result<Vec<f64>>>()?;
    let opts = percycle_analysis::setup::Options {
        nominal_hz: Some(nominal_hz),
        declared_voltage: Some(declared_voltage),
        ..Default::default()
    };
    use percycle_analysis::source::Source as _;
    let source = percycle_analysis::source::WaveformSource::new(&v.waveform, Some(&full_scale))?;
    let setup = percycle_analysis::setup::setup(source.info(), &opts)?;
    let mut cfg = WireConfig::from_config(&setup.config);
    // The converter's own codes: its step is the full scale over the rail code, and the rail is
    // the input limit (a sample stored at a rail reaches the board as clipped).
    for (c, m) in setup.mapping.iter().enumerate() {
        cfg.gains[c] = m.map_or(1.0, |k| (full_scale[k] / rail) as f32);
    }
    cfg.input_limit_lsb = rail as i32;
    let n = per_channel.first().map_or(0, Vec::len);
    let codes: Vec<i32> = (0..n)
        .flat_map(|k| setup.mapping.iter().map(move |m| m.map_or(0, |src| per_channel[src][k])))
        .collect();
    Ok((cfg, codes, setup.mapping.len()))
}
