//! Board against host: a target that streams everything it is sent through the host build of
//! the same engine sizes as well, and records per vector whether every report came back bit for
//! bit the same, or the first difference.

use anyhow::Result;
use percycle_hil::bench::{compare_runs, HostTarget, LinkStats, Outputs, Run, Target};
use percycle_wire::{CostCounters, Identity, WireConfig, WireEnergy};
use serde::Serialize;

/// One vector compared.
#[derive(Clone, Debug, Serialize)]
pub struct Compared {
    /// Vector name.
    pub name: String,
    /// Cycle summaries and engine reports received from the target.
    pub cycles: usize,
    /// Engine reports received from the target.
    pub reports: usize,
    /// Records that differ in any bit (registers included).
    pub differences: usize,
    /// The first of them.
    pub first_difference: Option<String>,
}

/// A target compared with its host twin, vector by vector.
pub struct AgainstHost<'a> {
    inner: &'a mut (dyn Target + 'a),
    id: Identity,
    twin: Option<HostTarget>,
    name: String,
    board: Outputs,
    host: Outputs,
    /// The vectors compared so far, in order.
    pub compared: Vec<Compared>,
}

impl<'a> AgainstHost<'a> {
    /// Compare `inner` with the host build of its engine sizes.
    ///
    /// # Errors
    /// The target does not identify, or reports sizes with no host build.
    pub fn new(inner: &'a mut (dyn Target + 'a)) -> Result<Self> {
        let id = inner.identify()?;
        HostTarget::like(&id)?;
        Ok(Self {
            inner,
            id,
            twin: None,
            name: String::from("(unnamed)"),
            board: Outputs::default(),
            host: Outputs::default(),
            compared: Vec::new(),
        })
    }
}

fn append(to: &mut Outputs, o: &Outputs) {
    to.cycles.extend(o.cycles.iter().cloned());
    to.reports.extend(o.reports.iter().cloned());
}

impl Target for AgainstHost<'_> {
    fn identify(&mut self) -> Result<Identity> {
        self.inner.identify()
    }

    fn begin(&mut self, name: &str) {
        self.name = name.to_string();
        self.inner.begin(name);
    }

    fn configure(&mut self, cfg: &WireConfig) -> Result<()> {
        self.inner.configure(cfg)?;
        let mut twin = HostTarget::like(&self.id)?;
        twin.configure(cfg)?;
        self.twin = Some(twin);
        self.board = Outputs::default();
        self.host = Outputs::default();
        Ok(())
    }

    fn samples(&mut self, first_frame: u64, channels: u8, codes: &[i32]) -> Result<Outputs> {
        let got = self.inner.samples(first_frame, channels, codes)?;
        if let Some(twin) = self.twin.as_mut() {
            let h = twin.samples(first_frame, channels, codes)?;
            append(&mut self.host, &h);
        }
        append(&mut self.board, &got);
        Ok(got)
    }

    fn finish(&mut self) -> Result<(Outputs, WireEnergy)> {
        let (got, energy) = self.inner.finish()?;
        append(&mut self.board, &got);
        if let Some(mut twin) = self.twin.take() {
            let (h, host_energy) = twin.finish()?;
            append(&mut self.host, &h);
            let run = |o: &Outputs, e: WireEnergy| Run {
                cycles: o.cycles.clone(),
                reports: o.reports.clone(),
                energy: e,
                frames: 0,
            };
            let mut diffs = compare_runs(&run(&self.board, energy), &run(&self.host, host_energy));
            if format!("{energy:?}") != format!("{host_energy:?}") {
                diffs.push(format!("registers: target {energy:?} vs host {host_energy:?}"));
            }
            self.compared.push(Compared {
                name: self.name.clone(),
                cycles: self.board.cycles.len(),
                reports: self.board.reports.len(),
                differences: diffs.len(),
                first_difference: diffs.into_iter().next(),
            });
        }
        Ok((got, energy))
    }

    fn stats(&self) -> LinkStats {
        self.inner.stats()
    }

    fn cost(&mut self) -> Result<CostCounters> {
        self.inner.cost()
    }

    fn recover(&mut self, error: &anyhow::Error) -> Result<bool> {
        self.inner.recover(error)
    }
}
