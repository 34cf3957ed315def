//! EN 50160 evaluation of a stream: [`Evaluation`] keeps, as records pass, only what the
//! evaluator reads (10-s frequency values, 10-min values, events: a few per minute of signal at
//! most), and returns the report as data.

use crate::aggregate::{self, Aggregate};
use crate::drive::{Record, Sink};
use crate::en50160::{self, En50160Config, En50160Report, TenMinuteValue, TenSecondFrequency};
use anyhow::Result;
use percycle_engine::{AggregateKind, Config};

/// The evaluator's inputs gathered from a stream of records.
#[derive(Clone, Debug)]
pub struct Evaluation {
    config: Config,
    frequency: Vec<TenSecondFrequency>,
    ten_min: Vec<TenMinuteValue>,
    events: Vec<en50160::VoltageEvent>,
}

impl Evaluation {
    /// An empty evaluation for an engine configured with `config`.
    pub fn new(config: &Config) -> Self {
        Self { config: *config, frequency: Vec::new(), ten_min: Vec::new(), events: Vec::new() }
    }

    /// The EN 50160 report of what passed.
    ///
    /// # Errors
    /// A configuration the evaluator refuses (named).
    pub fn report(&self, cfg: &En50160Config) -> Result<En50160Report> {
        Ok(en50160::try_evaluate(cfg, &self.frequency, &self.ten_min, &self.events)?)
    }
}

impl Sink for Evaluation {
    fn record(&mut self, r: Record<'_>) -> Result<()> {
        match r {
            Record::Frequency(f) => self.frequency.push(aggregate::frequency_value(f)),
            Record::Aggregate(x) if x.kind == AggregateKind::TenMinute => {
                self.ten_min.push(aggregate::ten_minute_value(&Aggregate::of(x, &self.config)))
            }
            Record::Event(e) => {
                self.events.extend(aggregate::event(e, self.config.sample_rate_hz));
            }
            _ => {}
        }
        Ok(())
    }
}
