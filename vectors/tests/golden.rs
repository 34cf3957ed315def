//! Golden check: the generator's truth for the `smoke` suite matches the committed files.
//!
//! A change to the synthesiser or the quadrature that moves any truth value fails here; when the
//! change is intended, regenerate with `PERCYCLE_BLESS=1 cargo test -p percycle-vectors --test golden`.

use percycle_vectors::{compute_truth, read_truth, suite, write_truth, Truth};
use std::path::Path;

fn values(t: &Truth) -> Vec<f64> {
    let mut v = vec![
        t.duration_s,
        t.energy.active_wh_total_exact,
        t.energy.total.a_plus_wh,
        t.energy.total.r1_varh,
    ];
    for c in &t.cycles {
        v.extend([c.start_s, c.end_s, c.frequency_hz, c.p_total_w, c.q_total_var]);
        v.extend(c.u_rms.iter().chain(&c.i_rms).chain(&c.p_w).chain(&c.q_var));
    }
    v
}

#[test]
fn smoke_suite_truth_matches_the_committed_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let bless = std::env::var_os("PERCYCLE_BLESS").is_some();
    for recipe in suite("smoke").expect("smoke suite") {
        let truth = compute_truth(&recipe).unwrap();
        let path = dir.join(format!("{}.truth.json", recipe.name));
        if bless {
            write_truth(&path, &truth).unwrap();
            continue;
        }
        let golden =
            read_truth(&path).unwrap_or_else(|e| panic!("{e} (bless with PERCYCLE_BLESS=1)"));
        let (a, b) = (values(&truth), values(&golden));
        assert_eq!(a.len(), b.len(), "{}: number of values", recipe.name);
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-12 * y.abs().max(1.0),
                "{}: value {k}: {x} vs golden {y}",
                recipe.name
            );
        }
    }
}
