//! The EN 50160 voltage-event suite end to end: every case passes, and a wrong truth fails.

use percycle_certify::pq::{analyze_case, judge, run_suite, table};
use percycle_vectors::{en50160_suite, PqCase};

fn case(name: &str) -> PqCase {
    en50160_suite().into_iter().find(|c| c.recipe.name == name).expect("case in the suite")
}

#[test]
fn every_case_of_the_en50160_suite_passes() {
    let dir = tempfile::tempdir().unwrap();
    let results = run_suite(dir.path(), false, None).unwrap();
    let text = table(&results);
    println!("{text}");
    assert_eq!(results.len(), en50160_suite().len());
    assert!(dir.path().join("report.json").is_file());
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains(&text));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["results"].as_array().map(Vec::len), Some(results.len()));
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.pass)
        .map(|r| format!("{}: {}", r.name, r.failures.join("; ")))
        .collect();
    assert!(failed.is_empty(), "failed cases:\n{}", failed.join("\n"));
    assert!(text.ends_with(&format!("{} passed, 0 failed\n", results.len())));
}

#[test]
fn a_residual_shifted_by_one_percent_fails_the_judge() {
    let mut c = case("dip50_100ms_onset0deg");
    let a = analyze_case(&c).unwrap();
    assert!(judge(&c, &a).pass, "{:?}", judge(&c, &a).failures);
    c.truth.events[0].extreme_pct += 1.0;
    let r = judge(&c, &a);
    assert!(!r.pass);
    assert_eq!(r.failures.len(), 1, "{:?}", r.failures);
    assert!(r.failures[0].contains("extreme"), "{:?}", r.failures);
    assert!(table(&[r]).ends_with("0 passed, 1 failed\n"));
}

#[test]
fn wrong_duration_phases_cell_or_event_count_fail_the_judge() {
    let c = case("dip_polyphase_l1_l2");
    let a = analyze_case(&c).unwrap();
    assert!(judge(&c, &a).pass, "{:?}", judge(&c, &a).failures);
    let fails_with = |edit: &dyn Fn(&mut PqCase), what: &str| {
        let mut wrong = c.clone();
        edit(&mut wrong);
        let r = judge(&wrong, &a);
        assert!(!r.pass && r.failures.iter().any(|f| f.contains(what)), "{what}: {:?}", r.failures);
    };
    fails_with(&|w| w.truth.events[0].duration_s += 0.040, "duration");
    fails_with(&|w| w.truth.events[0].phases = 0b001, "phases");
    fails_with(&|w| w.truth.events[0].dip_or_swell_cell = Some("C2".into()), "cell");
    fails_with(&|w| w.truth.events[0].start_s += 0.100, "no measured dip");
    fails_with(&|w| w.truth.events.clear(), "unexpected dip");
}

#[test]
fn wrong_unbalance_or_frequency_truth_fails_the_judge() {
    let mut c = case("unbalance_u2_2pct_h5");
    let a = analyze_case(&c).unwrap();
    let r = judge(&c, &a);
    assert!(r.pass && r.u2_intervals > 0, "{:?}", r.failures);
    c.truth.unbalance_u2_pct = Some(2.05);
    assert!(judge(&c, &a).failures.iter().any(|f| f.starts_with("u2")));

    let mut c = case("frequency_49p95hz_1p");
    let a = analyze_case(&c).unwrap();
    let r = judge(&c, &a);
    assert!(r.pass && r.frequency_values > 0, "{:?}", r.failures);
    c.truth.frequency_hz = Some(49.952);
    assert!(judge(&c, &a).failures.iter().any(|f| f.starts_with("frequency")));
}
