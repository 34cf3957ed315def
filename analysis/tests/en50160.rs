//! EN 50160 evaluator: counting, limits, cell edges, periods (standards.md §1.4 vectors) and
//! verdicts on too few valid values.

use percycle_analysis::en50160::{
    dip_cell, evaluate, swell_cell, try_evaluate, verdict_table, En50160Config, En50160Error,
    En50160Report, EventKind, ParameterVerdict, PeriodReport, TenMinuteValue, TenSecondFrequency,
    Verdict, VoltageEvent, ONE_WEEK_S,
};

/// Ten-minute values in one week.
const WEEK: usize = 1008;
/// Ten-second values in one week.
const WEEK_10S: usize = 60_480;

/// A clean three-phase 10-min value at `u` V on every phase.
fn clean(i: usize, u: f64) -> TenMinuteValue {
    TenMinuteValue {
        start_s: 600.0 * i as f64,
        flagged: false,
        u_rms_v: vec![u; 3],
        u2_unbalance_pct: Some(0.5),
        thd_pct: vec![2.0; 3],
        harmonics_pct: vec![vec![0.1; 26]; 3],
    }
}

/// A week of clean values at 230 V where `first_n` values get L1 = `u_l1`.
fn week_with_l1(first_n: usize, u_l1: f64) -> Vec<TenMinuteValue> {
    (0..WEEK)
        .map(|i| {
            let mut v = clean(i, 230.0);
            if i < first_n {
                v.u_rms_v[0] = u_l1;
            }
            v
        })
        .collect()
}

fn frequencies(values: impl Fn(usize) -> f64, count: usize) -> Vec<TenSecondFrequency> {
    (0..count)
        .map(|i| TenSecondFrequency {
            start_s: 10.0 * i as f64,
            frequency_hz: values(i),
            flagged: false,
        })
        .collect()
}

/// `count` clean 50 Hz frequency values from 0 s.
fn steady_frequency(count: usize) -> Vec<TenSecondFrequency> {
    frequencies(|_| 50.0, count)
}

fn event(kind: EventKind, start_s: f64, duration_s: f64, extreme_pct: f64) -> VoltageEvent {
    VoltageEvent { kind, start_s, duration_s, extreme_pct }
}

fn verdict<'a>(period: &'a PeriodReport, name: &str) -> &'a ParameterVerdict {
    period
        .parameters
        .iter()
        .find(|v| v.parameter == name)
        .unwrap_or_else(|| panic!("no verdict for {name}"))
}

fn only_period(report: &En50160Report) -> &PeriodReport {
    assert_eq!(report.periods.len(), 1, "expected exactly one period");
    &report.periods[0]
}

fn with_verdict(period: &PeriodReport, verdict: Verdict) -> Vec<&str> {
    period
        .parameters
        .iter()
        .filter(|v| v.verdict == verdict)
        .map(|v| v.parameter.as_str())
        .collect()
}

fn failing(period: &PeriodReport) -> Vec<&str> {
    with_verdict(period, Verdict::Fail)
}

#[test]
fn a_week_with_50_of_1008_values_outside_ten_percent_passes_at_4_96_percent() {
    // 206.5 V is −10.2 %: outside ±10 %, inside −15 %.
    let freq = steady_frequency(WEEK_10S);
    let report = evaluate(&En50160Config::default(), &freq, &week_with_l1(50, 206.5), &[]);
    let period = only_period(&report);
    assert!(period.complete);
    let v = verdict(period, "supply_voltage_L1");
    assert_eq!((v.n, v.n1, v.n2), (1008, 50, 0));
    assert_eq!(v.expected, 1008);
    assert_eq!(format!("{:.2}", v.n1_pct().unwrap()), "4.96");
    assert_eq!(v.verdict, Verdict::Pass);
    assert_eq!(v.reason, None);
    assert_eq!(verdict(period, "power_frequency").expected, WEEK_10S);
    assert_eq!(period.verdict, Verdict::Pass);
    assert_eq!(report.verdict, Verdict::Pass);
    assert_eq!(report.reason, None);
    assert!(verdict_table(&report).contains("4.96"));
}

#[test]
fn a_week_with_51_of_1008_values_outside_ten_percent_fails() {
    let report = evaluate(&En50160Config::default(), &[], &week_with_l1(51, 253.5), &[]);
    let period = only_period(&report);
    let v = verdict(period, "supply_voltage_L1");
    assert_eq!((v.n, v.n1), (1008, 51));
    assert_eq!(v.verdict, Verdict::Fail);
    assert_eq!(failing(period), ["supply_voltage_L1"]);
    assert_eq!(period.verdict, Verdict::Fail);
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn one_value_at_minus_15_1_percent_gives_n2_of_one_and_fails() {
    let report = evaluate(&En50160Config::default(), &[], &week_with_l1(1, 230.0 * 0.849), &[]);
    let v = verdict(only_period(&report), "supply_voltage_L1");
    assert_eq!((v.n, v.n1, v.n2), (1008, 1, 1));
    assert_eq!(v.verdict, Verdict::Fail);
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn supply_voltage_band_edges_belong_to_the_bands() {
    // −15 % exactly (195.5 V) is inside the 100 % band, +10 % exactly (253 V) inside both.
    let mut values = week_with_l1(1, 195.5);
    values[1].u_rms_v[0] = 253.0;
    values[2].u_rms_v[0] = 207.0;
    let report = evaluate(&En50160Config::default(), &[], &values, &[]);
    let v = verdict(only_period(&report), "supply_voltage_L1");
    assert_eq!((v.n1, v.n2), (1, 0));
    assert_eq!(v.verdict, Verdict::Pass);
}

#[test]
fn dips_at_every_cell_boundary_land_in_the_documented_cells() {
    assert_eq!(dip_cell(80.0, 0.200), Some("A1"));
    assert_eq!(dip_cell(79.99, 0.201), Some("B2"));
    assert_eq!(dip_cell(90.0, 0.1), None);
    assert_eq!(dip_cell(5.0, 0.1), Some("D1"));
    assert_eq!(dip_cell(4.99, 0.1), Some("X1"));
    assert_eq!(dip_cell(50.0, 0.010), Some("C1"));

    let rows: [(f64, Option<char>); 12] = [
        (90.01, None),
        (90.0, None),
        (89.99, Some('A')),
        (80.0, Some('A')),
        (79.99, Some('B')),
        (70.0, Some('B')),
        (69.99, Some('C')),
        (40.0, Some('C')),
        (39.99, Some('D')),
        (5.0, Some('D')),
        (4.99, Some('X')),
        (0.0, Some('X')),
    ];
    let columns: [(f64, Option<char>); 13] = [
        (0.009_99, None),
        (0.010, Some('1')),
        (0.200, Some('1')),
        (0.201, Some('2')),
        (0.500, Some('2')),
        (0.501, Some('3')),
        (1.0, Some('3')),
        (1.001, Some('4')),
        (5.0, Some('4')),
        (5.001, Some('5')),
        (60.0, Some('5')),
        (60.001, None),
        (3600.0, None),
    ];
    for (u, row) in rows {
        for (t, col) in columns {
            let expected = row.zip(col).map(|(r, c)| format!("{r}{c}"));
            assert_eq!(dip_cell(u, t).map(str::to_string), expected, "u = {u} %, t = {t} s");
        }
    }
    assert_eq!(dip_cell(-1.0, 0.1), None);
    assert_eq!(dip_cell(f64::NAN, 0.1), None);
}

#[test]
fn swells_at_every_cell_boundary_land_in_the_documented_cells() {
    let rows: [(f64, Option<char>); 6] = [
        (150.0, Some('S')),
        (120.0, Some('S')),
        (119.99, Some('T')),
        (110.01, Some('T')),
        (110.0, None),
        (105.0, None),
    ];
    let columns: [(f64, Option<char>); 9] = [
        (0.009_99, None),
        (0.010, Some('1')),
        (0.500, Some('1')),
        (0.501, Some('2')),
        (5.0, Some('2')),
        (5.001, Some('3')),
        (60.0, Some('3')),
        (60.001, None),
        (600.0, None),
    ];
    for (u, row) in rows {
        for (t, col) in columns {
            let expected = row.zip(col).map(|(r, c)| format!("{r}{c}"));
            assert_eq!(swell_cell(u, t).map(str::to_string), expected, "u = {u} %, t = {t} s");
        }
    }
}

#[test]
fn edges_reached_only_through_float_rounding_count_as_the_edge() {
    // 0.9 - 0.7 = 0.20000000000000007 s is 200 ms; 1.1 * 100 = 110.00000000000001 % is 110 %.
    assert_eq!(dip_cell(80.0, 0.9 - 0.7), Some("A1"));
    assert_eq!(dip_cell(80.0 - 1e-12, 0.1), Some("A1"));
    assert_eq!(swell_cell(1.1 * 100.0, 1.0), None);
    // A difference of 1e-9 is still seen.
    assert_eq!(dip_cell(80.0 - 1e-9, 0.1), Some("B1"));
    assert_eq!(dip_cell(80.0, 0.2 + 1e-9), Some("A2"));
    assert_eq!(swell_cell(110.0 + 1e-9, 1.0), Some("T2"));
}

#[test]
fn dip_and_swell_events_are_counted_in_their_cells() {
    let events = [
        event(EventKind::Dip, 100.0, 0.200, 80.0),
        event(EventKind::Dip, 200.0, 0.201, 79.99),
        event(EventKind::Dip, 300.0, 0.201, 79.99),
        event(EventKind::Dip, 400.0, 2.0, 4.0),
        event(EventKind::Dip, 500.0, 120.0, 50.0),
        event(EventKind::Swell, 600.0, 0.3, 125.0),
        event(EventKind::Swell, 700.0, 10.0, 115.0),
        event(EventKind::Rvc, 800.0, 1.0, 0.0),
    ];
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let values: Vec<_> = (0..6).map(|i| clean(i, 230.0)).collect();
    let report = evaluate(&cfg, &steady_frequency(360), &values, &events);
    let p = only_period(&report);
    assert_eq!(p.dips.count("A1"), Some(1));
    assert_eq!(p.dips.count("B2"), Some(2));
    assert_eq!(p.dips.count("X4"), Some(1));
    assert_eq!(p.dips.total(), 4);
    assert_eq!(p.dips.unclassified, 1);
    assert_eq!(p.dips.counts.len(), 5);
    assert!(p.dips.counts.iter().all(|r| r.len() == 5));
    assert_eq!(p.swells.count("S1"), Some(1));
    assert_eq!(p.swells.count("T3"), Some(1));
    assert_eq!(p.swells.total(), 2);
    assert_eq!((p.swells.counts.len(), p.swells.counts[0].len()), (2, 3));
    assert_eq!(p.rvc, 1);
    assert_eq!((p.short_interruptions, p.long_interruptions), (0, 0));
    // Events are counted, they do not decide the verdict.
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn interruptions_of_179_s_and_181_s_are_short_and_long() {
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let events = [
        event(EventKind::Interruption, 10.0, 179.0, 0.0),
        event(EventKind::Interruption, 400.0, 180.0, 0.0),
        event(EventKind::Interruption, 1000.0, 181.0, 0.0),
    ];
    let report = evaluate(&cfg, &[], &[], &events);
    let p = only_period(&report);
    assert_eq!((p.short_interruptions, p.long_interruptions), (2, 1));
    // Interruptions are not also counted as dips.
    assert_eq!(p.dips.total() + p.dips.unclassified, 0);
}

#[test]
fn flagged_values_are_excluded_from_n() {
    let mut values = week_with_l1(0, 230.0);
    for v in values.iter_mut().take(100) {
        v.flagged = true;
        v.u_rms_v = vec![100.0; 3];
        v.u2_unbalance_pct = Some(10.0);
        v.thd_pct = vec![20.0; 3];
        v.harmonics_pct = vec![vec![10.0; 26]; 3];
    }
    let mut freq = steady_frequency(WEEK_10S);
    for f in freq.iter_mut().take(10) {
        f.flagged = true;
        f.frequency_hz = 45.0;
    }
    let report = evaluate(&En50160Config::default(), &freq, &values, &[]);
    let p = only_period(&report);
    for v in p.parameters.iter().filter(|v| v.parameter != "power_frequency") {
        assert_eq!((v.n, v.n1, v.n2), (908, 0, 0), "{}", v.parameter);
    }
    let f = verdict(p, "power_frequency");
    assert_eq!((f.n, f.n1, f.n2), (WEEK_10S - 10, 0, 0));
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn a_compressed_week_of_six_values_is_one_complete_period() {
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let values: Vec<_> = (0..6).map(|i| clean(i, 230.0)).collect();
    let report = evaluate(&cfg, &steady_frequency(360), &values, &[]);
    let p = only_period(&report);
    assert!(p.complete);
    assert_eq!((p.start_s, p.end_s), (0.0, 3600.0));
    let v = verdict(p, "supply_voltage_L3");
    assert_eq!((v.n, v.expected), (6, 6));
    assert_eq!(verdict(p, "power_frequency").expected, 360);
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn a_seventh_value_opens_a_partial_second_period() {
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let values: Vec<_> = (0..7).map(|i| clean(i, 230.0)).collect();
    let report = evaluate(&cfg, &[], &values, &[]);
    assert_eq!(report.periods.len(), 2);
    assert!(report.periods[0].complete);
    assert!(!report.periods[1].complete);
    assert_eq!(verdict(&report.periods[0], "supply_voltage_L1").n, 6);
    assert_eq!(verdict(&report.periods[1], "supply_voltage_L1").n, 1);
    assert_eq!(report.periods[1].start_s, 3600.0);
    // One value of the six the partial period should hold is too few to judge it.
    let v = verdict(&report.periods[1], "supply_voltage_L1");
    assert_eq!(v.verdict, Verdict::NotEvaluated);
    assert_eq!(
        v.reason.as_deref(),
        Some("1 valid 10-min values of 6 expected (16.66 %); at least 50 % needed")
    );
}

#[test]
fn two_weeks_are_judged_separately() {
    // Week 1 has 60 values outside ±10 % (fails), week 2 none.
    let values: Vec<_> =
        (0..2 * WEEK).map(|i| clean(i, if i < 60 { 206.0 } else { 230.0 })).collect();
    let freq = steady_frequency(2 * WEEK_10S);
    let report = evaluate(&En50160Config::default(), &freq, &values, &[]);
    assert_eq!(report.periods.len(), 2);
    assert!(report.periods.iter().all(|p| p.complete));
    assert_eq!(report.periods[1].start_s, ONE_WEEK_S);
    assert_eq!(report.periods[0].verdict, Verdict::Fail);
    assert_eq!(report.periods[1].verdict, Verdict::Pass);
    assert_eq!(report.verdict, Verdict::Fail);
}

fn frequency_verdict(cfg: &En50160Config, freq: &[TenSecondFrequency]) -> ParameterVerdict {
    let cfg = En50160Config { observation_s: 10.0 * freq.len() as f64, ..cfg.clone() };
    let report = evaluate(&cfg, freq, &[], &[]);
    verdict(only_period(&report), "power_frequency").clone()
}

#[test]
fn frequency_passes_with_3_of_1000_outside_one_percent_and_fails_with_6() {
    let cfg = En50160Config::default();
    let with_outside = |k: usize| frequencies(|i| if i < k { 50.6 } else { 50.0 }, 1000);
    let three = frequency_verdict(&cfg, &with_outside(3));
    assert_eq!((three.n, three.n1, three.n2), (1000, 3, 0));
    assert_eq!(three.verdict, Verdict::Pass);
    assert_eq!(frequency_verdict(&cfg, &with_outside(5)).verdict, Verdict::Pass);
    let six = frequency_verdict(&cfg, &with_outside(6));
    assert_eq!(six.n1, 6);
    assert_eq!(six.verdict, Verdict::Fail);
}

#[test]
fn frequency_bands_are_inclusive_and_scale_with_nominal_frequency() {
    let at = |f: f64| frequencies(move |_| f, 1);
    let fifty = En50160Config::default();
    for (f, n1, n2) in
        [(49.5, 0, 0), (50.5, 0, 0), (49.49, 1, 0), (47.0, 1, 0), (52.0, 1, 0), (46.99, 1, 1)]
    {
        let v = frequency_verdict(&fifty, &at(f));
        assert_eq!((v.n1, v.n2), (n1, n2), "{f} Hz at 50 Hz");
    }
    let sixty = En50160Config { nominal_hz: 60.0, ..En50160Config::default() };
    for (f, n1, n2) in [(59.4, 0, 0), (60.6, 0, 0), (60.61, 1, 0), (56.4, 1, 0), (62.41, 1, 1)] {
        let v = frequency_verdict(&sixty, &at(f));
        assert_eq!((v.n1, v.n2), (n1, n2), "{f} Hz at 60 Hz");
    }
    assert!(frequency_verdict(&sixty, &at(60.0)).limit.contains("59.4..60.6 Hz"));
}

#[test]
fn islanded_frequency_uses_two_percent_for_95_percent_and_fifteen_for_100() {
    let cfg = En50160Config { interconnected: false, ..En50160Config::default() };
    let freq = frequencies(|i| if i < 50 { 50.9 } else { 50.0 }, 1000);
    let v = frequency_verdict(&cfg, &freq);
    assert_eq!((v.n1, v.n2), (0, 0));
    let freq = frequencies(|i| if i < 50 { 51.1 } else { 50.0 }, 1000);
    let v = frequency_verdict(&cfg, &freq);
    assert_eq!((v.n1, v.n2), (50, 0));
    assert_eq!(v.verdict, Verdict::Pass, "50 of 1000 is 5 %, allowed when islanded");
    let v = frequency_verdict(&cfg, &frequencies(|i| if i == 0 { 57.6 } else { 50.0 }, 1000));
    assert_eq!(v.n2, 1);
    assert_eq!(v.verdict, Verdict::Fail);
}

#[test]
fn frequency_with_its_own_observation_period_is_reported_separately() {
    let cfg = En50160Config {
        observation_s: 3600.0,
        frequency_observation_s: Some(7200.0),
        ..En50160Config::default()
    };
    let values: Vec<_> = (0..6).map(|i| clean(i, 230.0)).collect();
    // 1100 values span 11000 s: one complete and one partial frequency period.
    let freq = frequencies(|i| if i == 900 { 50.6 } else { 50.0 }, 1100);
    let report = evaluate(&cfg, &freq, &values, &[]);
    let p = only_period(&report);
    assert!(p.parameters.iter().all(|v| v.parameter != "power_frequency"));
    assert_eq!(report.frequency_periods.len(), 2);
    let (first, second) = (&report.frequency_periods[0], &report.frequency_periods[1]);
    assert!(first.complete && !second.complete);
    assert_eq!((first.verdict.n, first.verdict.n1), (720, 0));
    assert_eq!((second.verdict.n, second.verdict.n1), (380, 1));
    assert_eq!(second.verdict.expected, 720);
    // 380 of 720 expected (52.8 %) is enough; 1 of 380 is 0.26 %: within 0.5 %.
    assert_eq!(second.verdict.verdict, Verdict::Pass);
    assert_eq!(report.verdict, Verdict::Pass);

    // 280 values in the second frequency period (38.9 % of 720) are too few.
    let freq = frequencies(|_| 50.0, 1000);
    let report = evaluate(&cfg, &freq, &values, &[]);
    let second = &report.frequency_periods[1].verdict;
    assert_eq!(second.verdict, Verdict::NotEvaluated);
    assert_eq!(
        second.reason.as_deref(),
        Some("280 valid 10-s values of 720 expected (38.88 %); at least 50 % needed")
    );
    assert_eq!(report.frequency_periods[0].verdict.verdict, Verdict::Pass);
    assert_eq!(only_period(&report).verdict, Verdict::Pass);
    assert_eq!(report.verdict, Verdict::NotEvaluated);
    assert_eq!(
        report.reason.as_deref(),
        Some("1 of 2 frequency periods not evaluated; 1 of 81 parameter verdicts not evaluated")
    );
    assert!(verdict_table(&report)
        .contains("frequency period 2 of 2: 7200 s .. 14400 s, partial: NOT EVALUATED"));
}

#[test]
fn a_5th_harmonic_at_6_1_percent_in_more_than_5_percent_of_values_fails_only_that_harmonic() {
    let values: Vec<_> = (0..WEEK)
        .map(|i| {
            let mut v = clean(i, 230.0);
            if i < 51 {
                v.harmonics_pct[1][5] = 6.1;
            }
            v
        })
        .collect();
    let report = evaluate(&En50160Config::default(), &[], &values, &[]);
    let p = only_period(&report);
    assert_eq!(failing(p), ["harmonic_5_L2"]);
    let v = verdict(p, "harmonic_5_L2");
    assert_eq!((v.n, v.n1, v.n2), (WEEK, 51, 0));
    assert_eq!(verdict(p, "harmonic_5_L1").n1, 0);
    // Orders 2..=25 on each of three phases, no more.
    let harmonics = p.parameters.iter().filter(|v| v.parameter.starts_with("harmonic_")).count();
    assert_eq!(harmonics, 24 * 3);
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn unbalance_and_thd_limits_include_their_edges() {
    let mut values: Vec<_> = (0..6).map(|i| clean(i, 230.0)).collect();
    values[0].u2_unbalance_pct = Some(2.0);
    values[1].u2_unbalance_pct = Some(2.01);
    values[2].thd_pct[2] = 8.0;
    values[3].thd_pct[2] = 8.01;
    values[4].harmonics_pct[0][3] = 5.0;
    values[5].harmonics_pct[0][3] = 5.01;
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let report = evaluate(&cfg, &[], &values, &[]);
    let p = only_period(&report);
    assert_eq!(verdict(p, "unbalance").n1, 1);
    assert_eq!(verdict(p, "thd_L3").n1, 1);
    assert_eq!(verdict(p, "harmonic_3_L1").n1, 1);
    assert_eq!(verdict(p, "unbalance").n2, 0, "no 100 % band");
}

#[test]
fn a_parameter_without_valid_values_is_not_evaluated_with_a_reason() {
    let mut values: Vec<_> = (0..6).map(|i| clean(i, 230.0)).collect();
    for v in &mut values {
        v.u2_unbalance_pct = None;
    }
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let report = evaluate(&cfg, &steady_frequency(360), &values, &[]);
    let p = only_period(&report);
    let u = verdict(p, "unbalance");
    assert_eq!(u.n, 0);
    assert_eq!(u.verdict, Verdict::NotEvaluated);
    assert_eq!(
        u.reason.as_deref(),
        Some("0 valid 10-min values of 6 expected (0.00 %); at least 50 % needed")
    );
    assert_eq!(with_verdict(p, Verdict::NotEvaluated), ["unbalance"]);
    assert_eq!(verdict(p, "supply_voltage_L1").reason, None);
    assert_eq!(p.verdict, Verdict::NotEvaluated);
    assert_eq!(p.reason.as_deref(), Some("1 of 80 parameters not evaluated"));
    assert_eq!(report.verdict, Verdict::NotEvaluated);
    let text = verdict_table(&report);
    assert!(
        text.contains(
            "not evaluated (0 valid 10-min values of 6 expected (0.00 %); at least 50 % needed): \
             unbalance\n"
        ),
        "{text}"
    );
    assert!(text.contains("complete: NOT EVALUATED (1 of 80 parameters not evaluated)"), "{text}");
    assert!(text.contains("overall: NOT EVALUATED (1 of 1 periods not evaluated;"), "{text}");
}

#[test]
fn the_report_round_trips_through_serde_json() {
    let mut values = week_with_l1(60, 206.0);
    values[7].flagged = true;
    let events = [
        event(EventKind::Dip, 100.0, 0.2, 80.0),
        event(EventKind::Swell, 200.0, 1.0, 121.0),
        event(EventKind::Interruption, 300.0, 200.0, 0.0),
    ];
    let freq = frequencies(|i| 50.0 + 0.001 * i as f64, 100);
    let report = evaluate(&En50160Config::default(), &freq, &values, &events);
    let json = serde_json::to_string_pretty(&report).unwrap();
    let back: En50160Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    assert!(json.contains("\"supply_voltage_L1\""));
    // 100 frequency values of 60480 are not evaluated; 60 of 1008 outside ±10 % fail.
    assert!(json.contains("\"verdict\": \"not_evaluated\""), "{json}");
    assert!(json.contains("\"verdict\": \"fail\""), "{json}");
    assert!(!json.contains("\"pass\": true"), "{json}");
}

#[test]
fn the_verdict_table_shows_each_parameter_and_marks_failures() {
    let events = [event(EventKind::Dip, 100.0, 0.201, 79.99)];
    let report = evaluate(&En50160Config::default(), &[], &week_with_l1(51, 206.0), &events);
    let text = verdict_table(&report);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"))
            .to_string()
    };
    assert!(line("supply_voltage_L1").ends_with("FAIL"));
    assert!(line("supply_voltage_L1").contains("5.06"));
    assert!(line("supply_voltage_L2").ends_with("PASS"));
    assert!(line("harmonic_25_L3").ends_with("PASS"));
    assert!(line("power_frequency").ends_with("NOT EVALUATED"));
    assert!(text.contains(
        "not evaluated (0 valid 10-s values of 60480 expected (0.00 %); at least 50 % needed): \
         power_frequency\n"
    ));
    assert!(text.contains(
        "overall: FAIL (1 of 1 periods fail; 1 of 80 parameter verdicts fail, 1 not evaluated)"
    ));
    let b_row = line("80");
    let counts: Vec<&str> = b_row.split_whitespace().skip(5).collect();
    assert_eq!(counts, ["0", "1", "0", "0", "0"], "row B of the dip table: {b_row}");
    assert!(text.contains("short interruptions (<= 180 s): 0"));
}

#[test]
fn empty_input_gives_no_periods_and_is_not_evaluated() {
    let report = evaluate(&En50160Config::default(), &[], &[], &[]);
    assert!(report.periods.is_empty());
    assert_eq!(report.verdict, Verdict::NotEvaluated);
    assert_eq!(report.reason.as_deref(), Some("no input values"));
    assert!(verdict_table(&report).contains("overall: NOT EVALUATED (no input values)"));
}

#[test]
fn invalid_settings_and_times_are_errors() {
    let bad = En50160Config { declared_voltage: 0.0, ..En50160Config::default() };
    assert_eq!(
        try_evaluate(&bad, &[], &[], &[]).unwrap_err(),
        En50160Error::InvalidConfig("declared_voltage")
    );
    let mut v = clean(0, 230.0);
    v.start_s = f64::NAN;
    assert_eq!(
        try_evaluate(&En50160Config::default(), &[], &[v], &[]).unwrap_err(),
        En50160Error::NonFiniteStart { what: "ten_min", index: 0 }
    );
    for pct in [-0.1, 100.1, f64::NAN, f64::INFINITY] {
        let bad = En50160Config { min_valid_pct: pct, ..En50160Config::default() };
        let e = try_evaluate(&bad, &[], &[], &[]).unwrap_err();
        assert_eq!(e, En50160Error::InvalidPercentage("min_valid_pct"), "{pct}");
        assert!(e.to_string().contains("min_valid_pct"));
    }
    for pct in [0.0, 100.0] {
        let ok = En50160Config { min_valid_pct: pct, ..En50160Config::default() };
        assert!(ok.validate().is_ok(), "{pct}");
    }
    let bad = En50160Config { aggregate_s: 0.0, ..En50160Config::default() };
    assert_eq!(bad.validate().unwrap_err(), En50160Error::InvalidConfig("aggregate_s"));
    let tiny = En50160Config { observation_s: 1.0, ..En50160Config::default() };
    let far = [event(EventKind::Rvc, 0.0, 1e6, 0.0)];
    assert!(matches!(
        try_evaluate(&tiny, &[], &[], &far),
        Err(En50160Error::TooManyPeriods { .. })
    ));
}

/// The compressed week of [`a_compressed_week_of_six_values_is_one_complete_period`]: six clean
/// 10-min values and 360 frequency values per 3600-s period, for the given periods.
fn compressed_periods(periods: &[usize]) -> (Vec<TenSecondFrequency>, Vec<TenMinuteValue>) {
    let freq = periods
        .iter()
        .flat_map(|&p| {
            steady_frequency(360).into_iter().map(move |mut f| {
                f.start_s += 3600.0 * p as f64;
                f
            })
        })
        .collect();
    let ten_min =
        periods.iter().flat_map(|&p| (6 * p..6 * p + 6).map(|i| clean(i, 230.0))).collect();
    (freq, ten_min)
}

#[test]
fn a_period_without_values_is_not_evaluated_and_the_report_does_not_pass() {
    // Data in the first and the third hour, nothing in the second.
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let (freq, ten_min) = compressed_periods(&[0, 2]);
    let report = evaluate(&cfg, &freq, &ten_min, &[]);
    assert_eq!(report.periods.len(), 3);
    let gap = &report.periods[1];
    assert_eq!(gap.verdict, Verdict::NotEvaluated);
    assert_eq!(gap.reason.as_deref(), Some("80 of 80 parameters not evaluated"));
    for v in &gap.parameters {
        assert_eq!((v.n, v.verdict), (0, Verdict::NotEvaluated), "{}", v.parameter);
        assert!(v.reason.as_deref().unwrap().starts_with("0 valid "), "{}", v.parameter);
    }
    assert_eq!(
        verdict(gap, "power_frequency").reason.as_deref(),
        Some("0 valid 10-s values of 360 expected (0.00 %); at least 50 % needed")
    );
    assert_eq!(report.periods[0].verdict, Verdict::Pass);
    assert_eq!(report.periods[2].verdict, Verdict::Pass);
    assert_eq!(report.verdict, Verdict::NotEvaluated);
    assert_eq!(
        report.reason.as_deref(),
        Some("1 of 3 periods not evaluated; 80 of 240 parameter verdicts not evaluated")
    );
    let text = verdict_table(&report);
    assert!(text.contains("overall: NOT EVALUATED (1 of 3 periods not evaluated;"), "{text}");
    assert!(!text.contains("overall: PASS"), "{text}");
    assert!(text.contains("period 2 of 3: 3600 s .. 7200 s, complete: NOT EVALUATED"), "{text}");

    // With all three hours present the same data pass.
    let (freq, ten_min) = compressed_periods(&[0, 1, 2]);
    assert_eq!(evaluate(&cfg, &freq, &ten_min, &[]).verdict, Verdict::Pass);
}

#[test]
fn valid_values_just_below_the_minimum_share_are_not_evaluated_and_from_it_on_are() {
    let freq = steady_frequency(WEEK_10S);
    // The first `valid` values of the week are clean, the rest are flagged (wildly off).
    let week = |valid: usize| -> Vec<TenMinuteValue> {
        (0..WEEK)
            .map(|i| {
                let mut v = clean(i, if i < valid { 230.0 } else { 100.0 });
                v.flagged = i >= valid;
                v
            })
            .collect()
    };
    let cfg = En50160Config::default();
    // 504 of 1008 is exactly 50 %.
    for (valid, expected) in [
        (0, Verdict::NotEvaluated),
        (3, Verdict::NotEvaluated),
        (503, Verdict::NotEvaluated),
        (504, Verdict::Pass),
        (505, Verdict::Pass),
    ] {
        let report = evaluate(&cfg, &freq, &week(valid), &[]);
        let p = only_period(&report);
        let v = verdict(p, "supply_voltage_L1");
        assert_eq!((v.n, v.verdict), (valid, expected), "{valid} valid");
        assert_eq!(p.verdict, expected, "{valid} valid");
        assert_eq!(report.verdict, expected, "{valid} valid");
        assert_eq!(verdict(p, "power_frequency").verdict, Verdict::Pass);
    }
    let report = evaluate(&cfg, &freq, &week(3), &[]);
    assert_eq!(
        verdict(only_period(&report), "thd_L2").reason.as_deref(),
        Some("3 valid 10-min values of 1008 expected (0.29 %); at least 50 % needed")
    );
    let report = evaluate(&cfg, &freq, &week(503), &[]);
    assert_eq!(
        verdict(only_period(&report), "harmonic_5_L1").reason.as_deref(),
        Some("503 valid 10-min values of 1008 expected (49.90 %); at least 50 % needed")
    );

    // The same edge for the 10-s frequency values: 30240 of 60480 is 50 %.
    let ten_min = week(WEEK);
    for (valid, expected) in [(30_239, Verdict::NotEvaluated), (30_240, Verdict::Pass)] {
        let freq = steady_frequency(valid);
        let report = evaluate(&cfg, &freq, &ten_min, &[]);
        let f = verdict(only_period(&report), "power_frequency");
        assert_eq!((f.n, f.expected, f.verdict), (valid, WEEK_10S, expected), "{valid} valid");
        assert_eq!(report.verdict, expected, "{valid} valid");
    }

    // Another share: 90 % of 1008 is 907.2, so 907 values are too few and 908 enough.
    let cfg = En50160Config { min_valid_pct: 90.0, ..En50160Config::default() };
    let at = |valid| {
        verdict(only_period(&evaluate(&cfg, &freq, &week(valid), &[])), "unbalance").clone()
    };
    assert_eq!(at(907).verdict, Verdict::NotEvaluated);
    assert!(at(907).reason.unwrap().ends_with("(89.98 %); at least 90 % needed"));
    assert_eq!(at(908).verdict, Verdict::Pass);

    // A share of 0 % still needs one valid value.
    let cfg = En50160Config { min_valid_pct: 0.0, ..En50160Config::default() };
    let at = |valid| {
        verdict(only_period(&evaluate(&cfg, &freq, &week(valid), &[])), "unbalance").clone()
    };
    assert_eq!(at(1).verdict, Verdict::Pass);
    assert_eq!(at(0).verdict, Verdict::NotEvaluated);
    assert_eq!(
        at(0).reason.as_deref(),
        Some("0 valid 10-min values of 1008 expected (0.00 %); at least one value needed")
    );
}

#[test]
fn a_failing_parameter_fails_the_report_even_when_others_are_not_evaluated() {
    // No frequency values at all: power_frequency is not evaluated; L1 fails.
    let report = evaluate(&En50160Config::default(), &[], &week_with_l1(51, 253.5), &[]);
    let p = only_period(&report);
    assert_eq!(verdict(p, "power_frequency").verdict, Verdict::NotEvaluated);
    assert_eq!(failing(p), ["supply_voltage_L1"]);
    assert_eq!(p.verdict, Verdict::Fail);
    assert_eq!(p.reason.as_deref(), Some("1 of 80 parameters fail, 1 not evaluated"));
    assert_eq!(report.verdict, Verdict::Fail);

    // A failing first hour and an unjudgeable second one: the report fails.
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let (freq, mut ten_min) = compressed_periods(&[0]);
    ten_min[0].thd_pct[0] = 9.0;
    ten_min.push(clean(6, 230.0));
    let report = evaluate(&cfg, &freq, &ten_min, &[]);
    assert_eq!(report.periods.len(), 2);
    assert_eq!(report.periods[0].verdict, Verdict::Fail);
    assert_eq!(report.periods[1].verdict, Verdict::NotEvaluated);
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(
        report.reason.as_deref(),
        Some(
            "1 of 2 periods fail, 1 not evaluated; 1 of 160 parameter verdicts fail, 80 not \
             evaluated"
        )
    );
    let text = verdict_table(&report);
    assert!(text.contains("overall: FAIL (1 of 2 periods fail, 1 not evaluated;"), "{text}");
}

#[test]
fn an_all_flagged_period_is_not_evaluated() {
    let mut values = week_with_l1(WEEK, 100.0);
    for v in &mut values {
        v.flagged = true;
    }
    let mut freq = steady_frequency(WEEK_10S);
    for f in &mut freq {
        f.flagged = true;
    }
    let report = evaluate(&En50160Config::default(), &freq, &values, &[]);
    let p = only_period(&report);
    assert!(p.complete);
    assert_eq!(p.parameters.len(), 80);
    for v in &p.parameters {
        assert_eq!((v.n, v.n1, v.n2), (0, 0, 0), "{}", v.parameter);
        assert_eq!(v.verdict, Verdict::NotEvaluated, "{}", v.parameter);
    }
    assert_eq!(
        verdict(p, "supply_voltage_L1").reason.as_deref(),
        Some("0 valid 10-min values of 1008 expected (0.00 %); at least 50 % needed")
    );
    assert_eq!(p.verdict, Verdict::NotEvaluated);
    assert_eq!(report.verdict, Verdict::NotEvaluated);
}

#[test]
fn the_json_says_not_evaluated_and_gives_the_reason() {
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    // Three of the six 10-min values the hour should hold: too few at 60 %.
    let cfg = En50160Config { min_valid_pct: 60.0, ..cfg };
    let (freq, mut ten_min) = compressed_periods(&[0]);
    ten_min.truncate(3);
    let report = evaluate(&cfg, &freq, &ten_min, &[]);
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verdict"], "not_evaluated");
    assert!(json["reason"].as_str().unwrap().contains("1 of 1 periods not evaluated"));
    assert_eq!(json["config"]["min_valid_pct"], 60.0);
    let period = &json["periods"][0];
    assert_eq!(period["verdict"], "not_evaluated");
    let params = period["parameters"].as_array().unwrap();
    let by_name = |name: &str| params.iter().find(|p| p["parameter"] == name).unwrap();
    let l1 = by_name("supply_voltage_L1");
    assert_eq!(l1["verdict"], "not_evaluated");
    assert_eq!((l1["n"].as_u64(), l1["expected"].as_u64()), (Some(3), Some(6)));
    assert_eq!(l1["reason"], "3 valid 10-min values of 6 expected (50.00 %); at least 60 % needed");
    let f = by_name("power_frequency");
    assert_eq!(f["verdict"], "pass");
    assert!(f["reason"].is_null());
    assert!(params.iter().all(|p| p.get("pass").is_none()));
    // Read back, the verdicts are the same.
    let back: En50160Report = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn single_phase_values_have_no_unbalance_to_judge_and_can_pass() {
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let ten_min: Vec<_> = (0..6)
        .map(|i| TenMinuteValue {
            start_s: 600.0 * i as f64,
            flagged: false,
            u_rms_v: vec![230.0],
            u2_unbalance_pct: None,
            thd_pct: vec![2.0],
            harmonics_pct: vec![vec![0.1; 26]],
        })
        .collect();
    let report = evaluate(&cfg, &steady_frequency(360), &ten_min, &[]);
    let p = only_period(&report);
    assert!(p.parameters.iter().all(|v| v.parameter != "unbalance"));
    assert_eq!(p.parameters.len(), 1 + 1 + 1 + 24);
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn frequency_values_alone_do_not_pass_without_any_supply_voltage() {
    let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
    let report = evaluate(&cfg, &steady_frequency(360), &[], &[]);
    let p = only_period(&report);
    assert_eq!(verdict(p, "power_frequency").verdict, Verdict::Pass);
    let v = verdict(p, "supply_voltage_L1");
    assert_eq!((v.n, v.verdict), (0, Verdict::NotEvaluated));
    assert_eq!(report.verdict, Verdict::NotEvaluated);
}
