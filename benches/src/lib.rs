//! Shared code of the percycle benchmark suite (performance.md §5, workloads W1–W5).
//!
//! * [`signal`]: the benchmark signal (EN 50160 limit voltage harmonics, rectifier-like
//!   currents) with its closed-form rms, THD and power.
//! * [`naive`]: the naive realfft pipeline that is W3's Rust baseline, and its time-domain part
//!   that is W2's.
//! * [`engine`]: the engine's whole job through its block API.
//! * [`summary`]: the means every implementation reports and the check that two of them did the
//!   same work.
//!
//! The criterion benches in `benches/` and the binaries in `src/bin/` (`scaling`, `peer_input`,
//! `pipeline_once`, `bench_report`) use these, so that what is timed, what is checked and what
//! the peers are compared with come from one place.

pub mod engine;
pub mod naive;
pub mod signal;
pub mod summary;

pub use naive::NaivePipeline;
pub use signal::{SignalSpec, CHANNELS, CHANNEL_NAMES, F0_HZ, FS_HZ};
pub use summary::{assert_same_work, disagreements, Summary, Tolerance};

#[cfg(test)]
mod tests {
    use super::*;
    use percycle_vectors::pq_suite::EN50160_HARMONIC_LIMITS_PCT;

    /// 2 s of the W3 signal, as codes, with the gains of the engine's configuration.
    fn codes(spec: &SignalSpec) -> (Vec<i32>, [f32; CHANNELS]) {
        let g = engine::gains(&engine::config());
        (spec.codes(&g), g)
    }

    #[test]
    fn closed_form_thd_of_the_en50160_limits() {
        // Independent of the generator: THD of the voltage is the root sum of the limits.
        let thd = EN50160_HARMONIC_LIMITS_PCT.iter().map(|(_, p)| p * p).sum::<f64>().sqrt();
        let cf = SignalSpec::w3().closed_form();
        for p in 0..3 {
            assert!((cf.thd_pct[p] - thd).abs() < 1e-9, "{} vs {thd}", cf.thd_pct[p]);
        }
        assert!((thd - 11.3).abs() < 0.1, "EN 50160 limits THD {thd}");
        // Currents: root sum of the rectifier spectrum.
        let thd_i = signal::RECTIFIER_CURRENT_PCT.iter().map(|(_, p, _)| p * p).sum::<f64>().sqrt();
        assert!((cf.thd_pct[3] - thd_i).abs() < 1e-9);
    }

    #[test]
    fn naive_pipeline_matches_the_closed_form() {
        let spec = SignalSpec::w3().with_seconds(2.0);
        let cf = spec.closed_form();
        let (codes, g) = codes(&spec);
        let s = NaivePipeline::new().run_codes(&codes, &g);
        // 2 s = 100 cycles; the first rising crossing comes within the first cycle.
        assert!((98..=100).contains(&s.cycles), "cycles {}", s.cycles);
        assert_eq!(s.windows, 10);
        for (c, name) in CHANNEL_NAMES.iter().enumerate() {
            let rel = (s.rms_mean[c] - cf.rms[c]).abs() / cf.rms[c];
            assert!(
                rel < 1e-4,
                "{name}: rms {} vs closed form {} ({rel:e})",
                s.rms_mean[c],
                cf.rms[c]
            );
            let d = (s.thd_pct_mean[c] - cf.thd_pct[c]).abs();
            assert!(
                d < 0.01 + 1e-4 * cf.thd_pct[c],
                "{name}: THD {} vs closed form {}",
                s.thd_pct_mean[c],
                cf.thd_pct[c]
            );
        }
        for p in 0..3 {
            let rel = (s.p_mean[p] - cf.p[p]).abs() / cf.p[p];
            assert!(rel < 1e-4, "P{}: {} vs closed form {} ({rel:e})", p + 1, s.p_mean[p], cf.p[p]);
        }
    }

    #[test]
    fn f32_and_code_inputs_agree() {
        let spec = SignalSpec::w3().with_seconds(1.0);
        let (codes, g) = codes(&spec);
        let a = NaivePipeline::new().run_codes(&codes, &g);
        let b = NaivePipeline::new().run_f32(&spec.volts_f32());
        assert!(disagreements(
            &a,
            &b,
            &Tolerance {
                rms_rel: 1e-5,
                thd_pp: 1e-3,
                thd_rel: 0.0,
                p_rel: 1e-5,
                channels: &[0, 1, 2, 3, 4, 5, 6]
            }
        )
        .is_empty());
    }

    #[test]
    fn engine_and_naive_do_the_same_work() {
        let spec = SignalSpec::w3().with_seconds(2.0);
        let (codes, g) = codes(&spec);
        let e = engine::run_codes(&mut engine::meter(engine::config()), &codes);
        let n = NaivePipeline::new().run_codes(&codes, &g);
        assert_same_work("2 s of W3", &e, &n);
    }

    #[test]
    fn meters_differ_and_repeat() {
        let a = SignalSpec::meter(1, 0.1);
        let b = SignalSpec::meter(2, 0.1);
        assert_ne!(a, b);
        assert_eq!(a, SignalSpec::meter(1, 0.1));
        assert_eq!(a.volts_f32(), SignalSpec::meter(1, 0.1).volts_f32());
    }
}
