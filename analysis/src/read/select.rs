//! Choosing the engine's inputs among a recording's named channels (COMTRADE, PQDIF): by the
//! user (`--channels U1=VA_G1,U2=VB_G1,...`, by name or 1-based index, `-NAME` for a channel
//! taken with the opposite sign), or automatically from the phase and unit fields when exactly
//! one circuit gives a complete set.
//!
//! # Automatic choice
//!
//! Channels are grouped by their circuit (the COMTRADE `ccbm` field, a PQDIF channel's group).
//! A group gives a candidate set when it holds
//!
//! - phase voltages A, B, C and currents A, B, C: 3P4W (`U1..U3`, `I1..I3`, and `IN` from a
//!   current of phase N when there is one), or
//! - line voltages AB and CB (or BC, taken with the opposite sign) and currents A and C: 3P3W
//!   (`U12`, `U32`, `I1`, `I3`), or
//! - one voltage and at most one current: single phase (`U1`, `I1`).
//!
//! The choice is made when exactly one group gives a set of the richest kind found (3P4W before
//! 3P3W before single phase); it is printed as a note. Otherwise the file is refused with the
//! candidate sets listed, and `--channels` decides.

use crate::source::Unit;
use percycle_vectors::FormatError;
use std::path::Path;

/// A channel as a recording names and describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct RawChannel {
    /// Name in the file (`VA_G1`).
    pub name: String,
    /// Phase as the file states it (`A`, `B`, `C`, `N`, `AB`, `BC`, `CA`, …), upper case.
    pub phase: Option<String>,
    /// Unit kind, when the file states one this crate knows (V, kV, A, kA).
    pub unit: Option<Unit>,
    /// Circuit the channel belongs to (`GER 1`), when stated.
    pub group: Option<String>,
}

/// One engine input taken from a raw channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Chosen {
    /// Engine channel name (`U1`, `U12`, `I3`, `IN`).
    pub name: String,
    /// Index of the raw channel.
    pub index: usize,
    /// Taken with the opposite sign (`U32` from `VBC`).
    pub negate: bool,
}

/// The engine inputs of a recording: from `spec` when given, else the automatic choice.
/// Returns the inputs and, for an automatic choice, the note that states it.
///
/// # Errors
/// A malformed `spec` (an unknown engine name, a raw name or index that is not in the file, a
/// channel given twice), or, without `spec`, no candidate set or more than one (listed).
pub fn choose(
    path: &Path,
    raw: &[RawChannel],
    spec: Option<&str>,
) -> Result<(Vec<Chosen>, Option<String>), FormatError> {
    match spec {
        Some(s) => Ok((parse(path, raw, s)?, None)),
        None => {
            let chosen = automatic(path, raw)?;
            let note = format!(
                "channels chosen from the phase and unit fields: {}",
                describe(raw, &chosen)
            );
            Ok((chosen, Some(note)))
        }
    }
}

/// `U1=VA_G1,U2=-VBC` as text.
pub fn describe(raw: &[RawChannel], chosen: &[Chosen]) -> String {
    chosen
        .iter()
        .map(|c| format!("{}={}{}", c.name, if c.negate { "-" } else { "" }, raw[c.index].name))
        .collect::<Vec<_>>()
        .join(",")
}

/// Engine names a `--channels` map may assign.
const ENGINE_NAMES: [&str; 10] = ["U1", "U2", "U3", "U12", "U32", "I1", "I2", "I3", "IN", "I0"];

fn parse(path: &Path, raw: &[RawChannel], spec: &str) -> Result<Vec<Chosen>, FormatError> {
    let bad = |m: String| FormatError::invalid(path, format!("option --channels {spec:?}: {m}"));
    let mut out: Vec<Chosen> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, source) =
            item.split_once('=').ok_or_else(|| bad(format!("{item:?} is not NAME=CHANNEL")))?;
        let name = name.trim().to_ascii_uppercase();
        if !ENGINE_NAMES.contains(&name.as_str()) || name == "I0" {
            return Err(bad(format!(
                "{name:?} is not an engine input (U1, U2, U3, U12, U32, I1, I2, I3, IN)"
            )));
        }
        let source = source.trim();
        let (negate, source) = match source.strip_prefix('-') {
            Some(rest) => (true, rest.trim()),
            None => (false, source),
        };
        let index = match raw.iter().position(|r| r.name == source) {
            Some(k) => k,
            None => match source.parse::<usize>() {
                Ok(k) if (1..=raw.len()).contains(&k) => k - 1,
                _ => {
                    return Err(bad(format!(
                        "no channel {source:?} in the file (its channels: {})",
                        raw.iter()
                            .enumerate()
                            .map(|(k, r)| format!("{} {}", k + 1, r.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            },
        };
        if out.iter().any(|c| c.name == name) {
            return Err(bad(format!("{name} is given twice")));
        }
        out.push(Chosen { name, index, negate });
    }
    if out.is_empty() {
        return Err(bad("no channel given".into()));
    }
    Ok(out)
}

/// Candidate sets of one group, richest first.
fn candidates(raw: &[RawChannel], members: &[usize]) -> Vec<(u8, Vec<Chosen>)> {
    let find = |unit: Unit, phases: &[&str]| {
        members.iter().copied().find(|&k| {
            raw[k].unit == Some(unit)
                && raw[k].phase.as_deref().is_some_and(|p| phases.contains(&p))
        })
    };
    let pick = |name: &str, index: usize, negate: bool| Chosen { name: name.into(), index, negate };
    let mut out = Vec::new();
    let (ua, ub, uc) = (
        find(Unit::Volt, &["A", "AN", "1"]),
        find(Unit::Volt, &["B", "BN", "2"]),
        find(Unit::Volt, &["C", "CN", "3"]),
    );
    let (ia, ib, ic) = (
        find(Unit::Ampere, &["A", "1"]),
        find(Unit::Ampere, &["B", "2"]),
        find(Unit::Ampere, &["C", "3"]),
    );
    if let (Some(ua), Some(ub), Some(uc), Some(ia), Some(ib), Some(ic)) = (ua, ub, uc, ia, ib, ic) {
        let mut set = vec![
            pick("U1", ua, false),
            pick("U2", ub, false),
            pick("U3", uc, false),
            pick("I1", ia, false),
            pick("I2", ib, false),
            pick("I3", ic, false),
        ];
        if let Some(n) = find(Unit::Ampere, &["N"]) {
            set.push(pick("IN", n, false));
        }
        out.push((3, set));
    }
    let uab = find(Unit::Volt, &["AB"]);
    let ucb = find(Unit::Volt, &["CB"]).map(|k| (k, false));
    let ucb = ucb.or_else(|| find(Unit::Volt, &["BC"]).map(|k| (k, true)));
    if let (Some(uab), Some((ucb, neg)), Some(ia), Some(ic)) = (uab, ucb, ia, ic) {
        out.push((
            2,
            vec![
                pick("U12", uab, false),
                pick("U32", ucb, neg),
                pick("I1", ia, false),
                pick("I3", ic, false),
            ],
        ));
    }
    let volts: Vec<usize> =
        members.iter().copied().filter(|&k| raw[k].unit == Some(Unit::Volt)).collect();
    let amps: Vec<usize> =
        members.iter().copied().filter(|&k| raw[k].unit == Some(Unit::Ampere)).collect();
    if volts.len() == 1 && amps.len() <= 1 {
        let mut set = vec![pick("U1", volts[0], false)];
        if let Some(&i) = amps.first() {
            set.push(pick("I1", i, false));
        }
        out.push((1, set));
    }
    out
}

fn automatic(path: &Path, raw: &[RawChannel]) -> Result<Vec<Chosen>, FormatError> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (k, r) in raw.iter().enumerate() {
        let g = r.group.clone().unwrap_or_default();
        match groups.iter_mut().find(|(name, _)| *name == g) {
            Some((_, m)) => m.push(k),
            None => groups.push((g, vec![k])),
        }
    }
    let mut found: Vec<(u8, String, Vec<Chosen>)> = Vec::new();
    for (g, members) in &groups {
        if let Some((rank, set)) = candidates(raw, members).into_iter().next() {
            found.push((rank, g.clone(), set));
        }
    }
    let best = found.iter().map(|f| f.0).max();
    let top: Vec<&(u8, String, Vec<Chosen>)> = found.iter().filter(|f| Some(f.0) == best).collect();
    match top.as_slice() {
        [one] => Ok(one.2.clone()),
        [] => Err(FormatError::invalid(
            path,
            format!(
                "no circuit gives a complete set of voltages and currents from the phase and unit \
                 fields (channels: {}); choose them with --channels U1=NAME,...,I1=NAME,...",
                raw.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
        many => Err(FormatError::invalid(
            path,
            format!(
                "{} circuits give a complete set; choose one with --channels: {}",
                many.len(),
                many.iter()
                    .map(|(_, g, set)| format!("{g:?}: {}", describe(raw, set)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(name: &str, phase: &str, unit: Unit, group: &str) -> RawChannel {
        RawChannel {
            name: name.into(),
            phase: Some(phase.into()),
            unit: Some(unit),
            group: Some(group.into()),
        }
    }

    fn three_phase(group: &str, suffix: &str) -> Vec<RawChannel> {
        let mut v = Vec::new();
        for p in ["A", "B", "C"] {
            v.push(ch(&format!("V{p}_{suffix}"), p, Unit::Volt, group));
        }
        for p in ["A", "B", "C"] {
            v.push(ch(&format!("I{p}_{suffix}"), p, Unit::Ampere, group));
        }
        v
    }

    #[test]
    fn one_complete_circuit_is_chosen_and_stated() {
        let mut raw = three_phase("GER 1", "G1");
        raw.push(ch("VA_B69", "A", Unit::Volt, "BARRA 69"));
        raw.push(ch("VB_B69", "B", Unit::Volt, "BARRA 69"));
        let (chosen, note) = choose(Path::new("f.cfg"), &raw, None).unwrap();
        assert_eq!(
            describe(&raw, &chosen),
            "U1=VA_G1,U2=VB_G1,U3=VC_G1,I1=IA_G1,I2=IB_G1,I3=IC_G1"
        );
        assert!(note.unwrap().contains("U1=VA_G1"));
    }

    #[test]
    fn two_complete_circuits_are_refused_with_both_listed() {
        let mut raw = three_phase("GER 1", "G1");
        raw.extend(three_phase("GER 3", "G3"));
        let e = choose(Path::new("f.cfg"), &raw, None).unwrap_err().to_string();
        assert!(
            e.contains("2 circuits") && e.contains("U1=VA_G1") && e.contains("U1=VA_G3"),
            "{e}"
        );
        assert!(e.contains("--channels"), "{e}");
    }

    #[test]
    fn line_voltages_map_to_three_wire_with_bc_negated() {
        let raw = vec![
            ch("VAB", "AB", Unit::Volt, ""),
            ch("VBC", "BC", Unit::Volt, ""),
            ch("VCA", "CA", Unit::Volt, ""),
            ch("IA", "A", Unit::Ampere, ""),
            ch("IB", "B", Unit::Ampere, ""),
            ch("IC", "C", Unit::Ampere, ""),
        ];
        let (chosen, _) = choose(Path::new("f.pqd"), &raw, None).unwrap();
        assert_eq!(describe(&raw, &chosen), "U12=VAB,U32=-VBC,I1=IA,I3=IC");
    }

    #[test]
    fn a_map_by_name_index_and_sign_is_taken_and_errors_name_the_option() {
        let raw = three_phase("GER 1", "G1");
        let (chosen, note) =
            choose(Path::new("f.cfg"), &raw, Some("U1=VA_G1, U2=2,U3=-VC_G1,I1=4")).unwrap();
        assert!(note.is_none());
        assert_eq!(describe(&raw, &chosen), "U1=VA_G1,U2=VB_G1,U3=-VC_G1,I1=IA_G1");
        for (spec, want) in [
            ("U1=VX", "no channel \"VX\""),
            ("U1=7", "no channel \"7\""),
            ("U9=VA_G1", "not an engine input"),
            ("U1=VA_G1,U1=VB_G1", "given twice"),
            ("U1", "not NAME=CHANNEL"),
            ("", "no channel given"),
        ] {
            let e = choose(Path::new("f.cfg"), &raw, Some(spec)).unwrap_err().to_string();
            assert!(e.contains("option --channels") && e.contains(want), "{spec}: {e}");
        }
    }

    #[test]
    fn no_complete_set_is_refused_with_the_channels_listed() {
        let raw = vec![ch("VA", "A", Unit::Volt, "X"), ch("VB", "B", Unit::Volt, "X")];
        let e = choose(Path::new("f.cfg"), &raw, None).unwrap_err().to_string();
        assert!(e.contains("no circuit") && e.contains("VA, VB"), "{e}");
    }
}
