//! CVSS v4.0 scores with the MacroVector method (FIRST CVSS v4.0 specification §8).
//!
//! A vector is first placed in a MacroVector: six equivalence classes EQ1–EQ6, each a small
//! level (0 = most severe). Experts scored every MacroVector; those scores are the table below.
//! Within a MacroVector, a vector is scored by how far it sits from the MacroVector's
//! highest-severity vector, interpolating towards the score of the next lower MacroVector in
//! each equivalence class.
//!
//! The arithmetic deliberately mirrors FIRST's reference calculator step by step (severity
//! levels as tenths, the same summation order, round half up to one decimal), so that scores
//! agree exactly, including at rounding boundaries.

use crate::CvssError;
use crate::metrics::{self, MetricDef, opt, req};

/// Which metrics take part in the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// CVSS-B: threat and environmental metrics are treated as Not Defined.
    BaseOnly,
    /// CVSS-BTE: `E`, `CR`/`IR`/`AR` and the modified base metrics apply when defined.
    WithThreatAndEnvironmental,
}

// Positions in DEFS.
const AV: usize = 0;
const AC: usize = 1;
const AT: usize = 2;
const PR: usize = 3;
const UI: usize = 4;
const VC: usize = 5;
const VI: usize = 6;
const VA: usize = 7;
const SC: usize = 8;
const SI: usize = 9;
const SA: usize = 10;
const E: usize = 11;
const CR: usize = 12;
const IR: usize = 13;
const AR: usize = 14;
/// `MAV` is at `AV + MODIFIED_OFFSET`, and so on for each of the eleven base metrics.
const MODIFIED_OFFSET: usize = 15;

/// Every metric of CVSS v4.0: base (mandatory), threat, environmental, supplemental.
/// The modified metrics follow the base metrics' order so `MODIFIED_OFFSET` finds them.
const DEFS: &[MetricDef] = &[
    req("AV", &["N", "A", "L", "P"]),
    req("AC", &["L", "H"]),
    req("AT", &["N", "P"]),
    req("PR", &["N", "L", "H"]),
    req("UI", &["N", "P", "A"]),
    req("VC", &["H", "L", "N"]),
    req("VI", &["H", "L", "N"]),
    req("VA", &["H", "L", "N"]),
    req("SC", &["H", "L", "N"]),
    req("SI", &["H", "L", "N"]),
    req("SA", &["H", "L", "N"]),
    // Threat.
    opt("E", &["X", "A", "P", "U"]),
    // Environmental: security requirements.
    opt("CR", &["X", "H", "M", "L"]),
    opt("IR", &["X", "H", "M", "L"]),
    opt("AR", &["X", "H", "M", "L"]),
    // Environmental: modified base metrics (same order as the base metrics above).
    opt("MAV", &["X", "N", "A", "L", "P"]),
    opt("MAC", &["X", "L", "H"]),
    opt("MAT", &["X", "N", "P"]),
    opt("MPR", &["X", "N", "L", "H"]),
    opt("MUI", &["X", "N", "P", "A"]),
    opt("MVC", &["X", "H", "L", "N"]),
    opt("MVI", &["X", "H", "L", "N"]),
    opt("MVA", &["X", "H", "L", "N"]),
    opt("MSC", &["X", "H", "L", "N"]),
    opt("MSI", &["X", "S", "H", "L", "N"]),
    opt("MSA", &["X", "S", "H", "L", "N"]),
    // Supplemental: never affect the score.
    opt("S", &["X", "N", "P"]),
    opt("AU", &["X", "N", "Y"]),
    opt("R", &["X", "A", "U", "I"]),
    opt("V", &["X", "D", "C"]),
    opt("RE", &["X", "L", "M", "H"]),
    opt("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// Severity level of each scoring metric, 0 being the most severe value. The spacing is one
/// "step"; the distance between a vector and a highest-severity vector is counted in steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Levels {
    av: u8,
    pr: u8,
    ui: u8,
    ac: u8,
    at: u8,
    vc: u8,
    vi: u8,
    va: u8,
    sc: u8,
    si: u8,
    sa: u8,
    cr: u8,
    ir: u8,
    ar: u8,
    e: u8,
}

/// Level of a metric value. Subsequent-system metrics share one scale in which `S` (safety,
/// only reachable through `MSI`/`MSA`) is above `H`, hence `SC:H` is level 1.
fn level(metric: usize, value: &str) -> u8 {
    match (metric, value) {
        (AV, "N") | (PR, "N") | (UI, "N") | (AC, "L") | (AT, "N") => 0,
        (AV, "A") | (PR, "L") | (UI, "P") | (AC, "H") | (AT, "P") => 1,
        (AV, "L") | (PR, "H") | (UI, "A") => 2,
        (AV, _) => 3, // "P"
        (VC | VI | VA | CR | IR | AR, "H") => 0,
        (VC | VI | VA, "L") | (CR | IR | AR, "M") => 1,
        (VC | VI | VA, _) | (CR | IR | AR, _) => 2, // VC/VI/VA "N", CR/IR/AR "L"
        (SC | SI | SA, "S") => 0,
        (SC | SI | SA, "H") => 1,
        (SC | SI | SA, "L") => 2,
        (SC | SI | SA, _) => 3, // "N"
        (E, "A") => 0,
        (E, "P") => 1,
        _ => 2, // E "U"
    }
}

/// Value a scoring metric effectively has: the modified metric when defined (and allowed by the
/// scope), worst-case defaults for Not Defined `E`/`CR`/`IR`/`AR`, otherwise the base value.
fn effective(m: &[&'static str], metric: usize, scope: Scope) -> &'static str {
    let with_env = scope == Scope::WithThreatAndEnvironmental;
    match metric {
        E => match m[E] {
            v if with_env && v != "X" => v,
            _ => "A",
        },
        CR | IR | AR => match m[metric] {
            v if with_env && v != "X" => v,
            _ => "H",
        },
        _ => match m[metric + MODIFIED_OFFSET] {
            v if with_env && v != "X" => v,
            _ => m[metric],
        },
    }
}

fn levels(m: &[&'static str], scope: Scope) -> Levels {
    let l = |metric| level(metric, effective(m, metric, scope));
    Levels {
        av: l(AV),
        pr: l(PR),
        ui: l(UI),
        ac: l(AC),
        at: l(AT),
        vc: l(VC),
        vi: l(VI),
        va: l(VA),
        sc: l(SC),
        si: l(SI),
        sa: l(SA),
        cr: l(CR),
        ir: l(IR),
        ar: l(AR),
        e: l(E),
    }
}

/// The six equivalence-class levels of a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MacroVector {
    eq1: u8,
    eq2: u8,
    eq3: u8,
    eq4: u8,
    eq5: u8,
    eq6: u8,
}

impl MacroVector {
    fn of(l: &Levels) -> MacroVector {
        // EQ1: AV:N and PR:N and UI:N → 0; any of them N but not AV:P → 1; otherwise 2.
        let eq1 = if l.av == 0 && l.pr == 0 && l.ui == 0 {
            0
        } else if (l.av == 0 || l.pr == 0 || l.ui == 0) && l.av != 3 {
            1
        } else {
            2
        };
        // EQ2: AC:L and AT:N → 0, otherwise 1.
        let eq2 = if l.ac == 0 && l.at == 0 { 0 } else { 1 };
        // EQ3: VC:H and VI:H → 0; any of VC/VI/VA high → 1; otherwise 2.
        let eq3 = if l.vc == 0 && l.vi == 0 {
            0
        } else if l.vc == 0 || l.vi == 0 || l.va == 0 {
            1
        } else {
            2
        };
        // EQ4: MSI:S or MSA:S → 0; any subsequent impact high → 1; otherwise 2.
        let eq4 = if l.si == 0 || l.sa == 0 {
            0
        } else if l.sc == 1 || l.si == 1 || l.sa == 1 {
            1
        } else {
            2
        };
        // EQ5: exploit maturity A/P/U → 0/1/2.
        let eq5 = l.e;
        // EQ6: a high requirement paired with a high impact → 0, otherwise 1.
        let eq6 =
            if (l.cr == 0 && l.vc == 0) || (l.ir == 0 && l.vi == 0) || (l.ar == 0 && l.va == 0) {
                0
            } else {
                1
            };
        MacroVector {
            eq1,
            eq2,
            eq3,
            eq4,
            eq5,
            eq6,
        }
    }
}

/// Marks MacroVectors that cannot occur (EQ3 = 2 forces EQ6 = 1).
const NA: u8 = u8::MAX;

/// The specification's MacroVector scores, in tenths of a point. Row index:
/// `(eq1 * 2 + eq2) * 9 + eq3 * 3 + eq4`; column index: `eq5 * 2 + eq6`.
#[rustfmt::skip]
const MACRO_SCORES: [[u8; 6]; 54] = [
    // eq1=0 eq2=0
    [100, 99, 98, 95, 95, 92],  // eq3=0 eq4=0
    [100, 96, 93, 87, 91, 81],  // eq3=0 eq4=1
    [93, 90, 89, 80, 81, 68],   // eq3=0 eq4=2
    [98, 95, 95, 92, 90, 84],   // eq3=1 eq4=0
    [93, 92, 89, 81, 81, 65],   // eq3=1 eq4=1
    [88, 80, 78, 70, 69, 48],   // eq3=1 eq4=2
    [NA, 92, NA, 82, NA, 72],   // eq3=2 eq4=0
    [NA, 79, NA, 69, NA, 50],   // eq3=2 eq4=1
    [NA, 69, NA, 55, NA, 27],   // eq3=2 eq4=2
    // eq1=0 eq2=1
    [99, 97, 95, 92, 92, 85],
    [95, 91, 90, 83, 84, 71],
    [92, 81, 82, 71, 72, 53],
    [95, 93, 92, 85, 85, 73],
    [92, 82, 80, 72, 70, 59],
    [84, 70, 71, 52, 50, 30],
    [NA, 86, NA, 75, NA, 52],
    [NA, 71, NA, 52, NA, 29],
    [NA, 63, NA, 29, NA, 17],
    // eq1=1 eq2=0
    [98, 95, 94, 87, 91, 81],
    [94, 89, 86, 74, 77, 64],
    [87, 75, 74, 63, 63, 49],
    [94, 89, 88, 77, 76, 67],
    [86, 76, 74, 58, 59, 50],
    [72, 57, 57, 52, 52, 25],
    [NA, 83, NA, 70, NA, 54],
    [NA, 65, NA, 58, NA, 26],
    [NA, 53, NA, 21, NA, 13],
    // eq1=1 eq2=1
    [95, 90, 88, 76, 76, 70],
    [90, 77, 75, 62, 61, 53],
    [77, 66, 68, 59, 52, 30],
    [89, 78, 76, 67, 62, 58],
    [74, 59, 57, 57, 47, 23],
    [61, 52, 57, 29, 24, 16],
    [NA, 71, NA, 59, NA, 30],
    [NA, 58, NA, 26, NA, 15],
    [NA, 23, NA, 13, NA, 6],
    // eq1=2 eq2=0
    [93, 87, 86, 72, 75, 58],
    [86, 74, 74, 61, 56, 34],
    [70, 54, 52, 40, 40, 22],
    [85, 75, 74, 55, 62, 51],
    [72, 57, 55, 41, 46, 19],
    [53, 36, 34, 19, 19, 8],
    [NA, 64, NA, 51, NA, 20],
    [NA, 47, NA, 21, NA, 11],
    [NA, 24, NA, 9, NA, 4],
    // eq1=2 eq2=1
    [88, 75, 73, 53, 60, 50],
    [73, 55, 59, 40, 41, 20],
    [54, 43, 45, 22, 20, 11],
    [75, 55, 58, 45, 40, 21],
    [61, 51, 48, 18, 20, 9],
    [46, 18, 17, 7, 8, 2],
    [NA, 53, NA, 24, NA, 14],
    [NA, 24, NA, 12, NA, 5],
    [NA, 10, NA, 3, NA, 1],
];

/// Score of a MacroVector given as raw levels, or `None` if it does not exist (a level past
/// the last one of its class, or the impossible EQ3 = 2 with EQ6 = 0).
fn macro_score(eq1: u8, eq2: u8, eq3: u8, eq4: u8, eq5: u8, eq6: u8) -> Option<f64> {
    if eq1 > 2 || eq2 > 1 || eq3 > 2 || eq4 > 2 || eq5 > 2 || eq6 > 1 {
        return None;
    }
    let row =
        (usize::from(eq1) * 2 + usize::from(eq2)) * 9 + usize::from(eq3) * 3 + usize::from(eq4);
    let col = usize::from(eq5) * 2 + usize::from(eq6);
    let tenths = *MACRO_SCORES.get(row)?.get(col)?;
    (tenths != NA).then(|| f64::from(tenths) / 10.0)
}

/// Highest-severity (AV, PR, UI) vectors of each EQ1 level, as levels.
const EQ1_MAX: [&[[u8; 3]]; 3] = [
    &[[0, 0, 0]],                       // AV:N/PR:N/UI:N
    &[[1, 0, 0], [0, 1, 0], [0, 0, 1]], // AV:A/PR:N/UI:N, AV:N/PR:L/UI:N, AV:N/PR:N/UI:P
    &[[3, 0, 0], [1, 1, 1]],            // AV:P/PR:N/UI:N, AV:A/PR:L/UI:P
];

/// Highest-severity (AC, AT) vectors of each EQ2 level.
const EQ2_MAX: [&[[u8; 2]]; 2] = [
    &[[0, 0]],         // AC:L/AT:N
    &[[1, 0], [0, 1]], // AC:H/AT:N, AC:L/AT:P
];

/// Highest-severity (VC, VI, VA, CR, IR, AR) vectors for each joint (EQ3, EQ6) level.
fn eq3_eq6_max(eq3: u8, eq6: u8) -> &'static [[u8; 6]] {
    match (eq3, eq6) {
        (0, 0) => &[[0, 0, 0, 0, 0, 0]], // VC:H/VI:H/VA:H/CR:H/IR:H/AR:H
        (0, _) => &[
            [0, 0, 1, 1, 1, 0], // VC:H/VI:H/VA:L/CR:M/IR:M/AR:H
            [0, 0, 0, 1, 1, 1], // VC:H/VI:H/VA:H/CR:M/IR:M/AR:M
        ],
        (1, 0) => &[
            [1, 0, 0, 0, 0, 0], // VC:L/VI:H/VA:H/CR:H/IR:H/AR:H
            [0, 1, 0, 0, 0, 0], // VC:H/VI:L/VA:H/CR:H/IR:H/AR:H
        ],
        (1, _) => &[
            [1, 0, 1, 0, 1, 0], // VC:L/VI:H/VA:L/CR:H/IR:M/AR:H
            [1, 0, 0, 0, 1, 1], // VC:L/VI:H/VA:H/CR:H/IR:M/AR:M
            [0, 1, 0, 1, 0, 1], // VC:H/VI:L/VA:H/CR:M/IR:H/AR:M
            [0, 1, 1, 1, 0, 0], // VC:H/VI:L/VA:L/CR:M/IR:H/AR:H
            [1, 1, 0, 0, 0, 1], // VC:L/VI:L/VA:H/CR:H/IR:H/AR:M
        ],
        _ => &[[1, 1, 1, 0, 0, 0]], // VC:L/VI:L/VA:L/CR:H/IR:H/AR:H
    }
}

/// Highest-severity (SC, SI, SA) vectors of each EQ4 level.
const EQ4_MAX: [[u8; 3]; 3] = [
    [1, 0, 0], // SC:H/SI:S/SA:S
    [1, 1, 1], // SC:H/SI:H/SA:H
    [2, 2, 2], // SC:L/SI:L/SA:L
];

/// Depth of each MacroVector in steps (the specification's maximal severity distances + 1).
const EQ1_DEPTH: [f64; 3] = [1.0, 4.0, 5.0];
const EQ2_DEPTH: [f64; 2] = [1.0, 2.0];
const EQ4_DEPTH: [f64; 3] = [6.0, 5.0, 4.0];

fn eq3_eq6_depth(eq3: u8, eq6: u8) -> f64 {
    match (eq3, eq6) {
        (0, 0) => 7.0,
        (0, _) => 6.0,
        (1, _) => 8.0,
        _ => 10.0,
    }
}

/// One severity step.
const STEP: f64 = 0.1;

/// Levels expressed in steps, exactly as the reference calculator writes them (0.3 is not
/// 3 × 0.1 in binary floating point, so the literals matter).
const LEVEL_VALUE: [f64; 4] = [0.0, 0.1, 0.2, 0.3];

/// Distance in steps from a highest-severity level to the vector's level (negative when the
/// vector is more severe, meaning that highest-severity vector does not dominate it).
fn dist(vector_level: u8, max_level: u8) -> f64 {
    LEVEL_VALUE[usize::from(vector_level.min(3))] - LEVEL_VALUE[usize::from(max_level.min(3))]
}

/// Per-metric distances from one highest-severity vector.
struct Distances {
    eq1: [f64; 3],
    eq2: [f64; 2],
    eq36: [f64; 6],
    eq4: [f64; 3],
}

impl Distances {
    fn between(l: &Levels, m1: &[u8; 3], m2: &[u8; 2], m36: &[u8; 6], m4: &[u8; 3]) -> Self {
        Distances {
            eq1: [dist(l.av, m1[0]), dist(l.pr, m1[1]), dist(l.ui, m1[2])],
            eq2: [dist(l.ac, m2[0]), dist(l.at, m2[1])],
            eq36: [
                dist(l.vc, m36[0]),
                dist(l.vi, m36[1]),
                dist(l.va, m36[2]),
                dist(l.cr, m36[3]),
                dist(l.ir, m36[4]),
                dist(l.ar, m36[5]),
            ],
            eq4: [dist(l.sc, m4[0]), dist(l.si, m4[1]), dist(l.sa, m4[2])],
        }
    }

    fn all_non_negative(&self) -> bool {
        self.eq1
            .iter()
            .chain(&self.eq2)
            .chain(&self.eq36)
            .chain(&self.eq4)
            .all(|d| *d >= 0.0)
    }
}

/// Parses the metric part of a v4.0 vector and scores it.
pub(crate) fn score(vector: &str, body: &str, scope: Scope) -> Result<f64, CvssError> {
    let m = metrics::parse(vector, body, DEFS)?;
    Ok(score_levels(&levels(&m, scope)))
}

fn score_levels(l: &Levels) -> f64 {
    // No impact on either system: the specification fixes the score at 0.
    if l.vc == 2 && l.vi == 2 && l.va == 2 && l.sc == 3 && l.si == 3 && l.sa == 3 {
        return 0.0;
    }

    let mv = MacroVector::of(l);
    let MacroVector {
        eq1,
        eq2,
        eq3,
        eq4,
        eq5,
        eq6,
    } = mv;
    let Some(value) = macro_score(eq1, eq2, eq3, eq4, eq5, eq6) else {
        // Unreachable: MacroVector::of only yields existing classes (EQ3 = 2 implies EQ6 = 1
        // because no impact is high). Fall back to "no score" rather than panicking.
        return 0.0;
    };

    // Scores of the next lower MacroVector in each class (None when there is none).
    let lower_eq1 = macro_score(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
    let lower_eq2 = macro_score(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
    let lower_eq36 = match (eq3, eq6) {
        (0, 0) => {
            // Two ways down; take the higher-scoring one.
            let left = macro_score(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
            let right = macro_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
            match (left, right) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            }
        }
        (1, 0) => macro_score(eq1, eq2, eq3, eq4, eq5, eq6 + 1),
        (0 | 1, _) => macro_score(eq1, eq2, eq3 + 1, eq4, eq5, eq6),
        _ => None,
    };
    let lower_eq4 = macro_score(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
    let lower_eq5 = macro_score(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

    // Find the first highest-severity vector of this MacroVector that the vector does not
    // exceed anywhere; distances are measured from it.
    let eq36_max = eq3_eq6_max(eq3, eq6);
    let eq4_max = &EQ4_MAX[usize::from(eq4)];
    let mut chosen: Option<Distances> = None;
    'search: for m1 in EQ1_MAX[usize::from(eq1)] {
        for m2 in EQ2_MAX[usize::from(eq2)] {
            for m36 in eq36_max {
                let d = Distances::between(l, m1, m2, m36, eq4_max);
                let ok = d.all_non_negative();
                chosen = Some(d);
                if ok {
                    break 'search;
                }
            }
        }
    }
    // By construction some highest-severity vector always dominates; if none did, the last
    // candidate is used, as the reference calculator does.
    let Some(d) = chosen else {
        return value;
    };

    let sev_eq1 = d.eq1[0] + d.eq1[1] + d.eq1[2];
    let sev_eq2 = d.eq2[0] + d.eq2[1];
    let sev_eq36 = d.eq36[0] + d.eq36[1] + d.eq36[2] + d.eq36[3] + d.eq36[4] + d.eq36[5];
    let sev_eq4 = d.eq4[0] + d.eq4[1] + d.eq4[2];

    let depth_eq1 = EQ1_DEPTH[usize::from(eq1)] * STEP;
    let depth_eq2 = EQ2_DEPTH[usize::from(eq2)] * STEP;
    let depth_eq36 = eq3_eq6_depth(eq3, eq6) * STEP;
    let depth_eq4 = EQ4_DEPTH[usize::from(eq4)] * STEP;

    // For each class with a lower MacroVector: the available score drop times the proportion
    // of the MacroVector's depth the vector already sits below its top.
    let mut n_lower = 0u32;
    let mut part = |lower: Option<f64>, proportion: f64| -> f64 {
        match lower {
            Some(lower) => {
                n_lower += 1;
                (value - lower) * proportion
            }
            None => 0.0,
        }
    };
    let n1 = part(lower_eq1, sev_eq1 / depth_eq1);
    let n2 = part(lower_eq2, sev_eq2 / depth_eq2);
    let n36 = part(lower_eq36, sev_eq36 / depth_eq36);
    let n4 = part(lower_eq4, sev_eq4 / depth_eq4);
    // EQ5 has a single level per MacroVector, so its proportion is always 0, but an existing
    // lower MacroVector still counts towards the mean.
    let n5 = part(lower_eq5, 0.0);

    let mean = if n_lower == 0 {
        0.0
    } else {
        (n1 + n2 + n36 + n4 + n5) / f64::from(n_lower)
    };
    round_one_decimal((value - mean).clamp(0.0, 10.0))
}

/// Rounds half up to one decimal, as the reference calculator does.
fn round_one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        CvssError, CvssVersion, Severity, parse_and_score, score_v4_with_threat_and_environmental,
    };

    fn base(v: &str) -> f64 {
        parse_and_score(v)
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .base_score
    }

    fn full(v: &str) -> f64 {
        score_v4_with_threat_and_environmental(v).unwrap_or_else(|e| panic!("{v}: {e}"))
    }

    #[test]
    fn macro_table_has_270_entries_and_known_anchors() {
        let existing = MACRO_SCORES.iter().flatten().filter(|&&s| s != NA).count();
        assert_eq!(existing, 270);
        assert_eq!(macro_score(0, 0, 0, 0, 0, 0), Some(10.0));
        assert_eq!(macro_score(0, 0, 0, 2, 0, 0), Some(9.3));
        assert_eq!(macro_score(2, 1, 2, 2, 2, 1), Some(0.1));
        assert_eq!(macro_score(0, 0, 2, 0, 0, 0), None);
        assert_eq!(macro_score(3, 0, 0, 0, 0, 0), None);
        // Within a class, lowering a level never raises the expert score.
        for eq1 in 0..3 {
            for eq2 in 0..2 {
                for eq3 in 0..3 {
                    for eq4 in 0..3 {
                        for eq5 in 0..3 {
                            for eq6 in 0..2 {
                                let Some(s) = macro_score(eq1, eq2, eq3, eq4, eq5, eq6) else {
                                    continue;
                                };
                                for lower in [
                                    macro_score(eq1 + 1, eq2, eq3, eq4, eq5, eq6),
                                    macro_score(eq1, eq2 + 1, eq3, eq4, eq5, eq6),
                                    macro_score(eq1, eq2, eq3, eq4 + 1, eq5, eq6),
                                    macro_score(eq1, eq2, eq3, eq4, eq5 + 1, eq6),
                                ]
                                .into_iter()
                                .flatten()
                                {
                                    assert!(
                                        lower <= s,
                                        "{eq1}{eq2}{eq3}{eq4}{eq5}{eq6}: {lower} > {s}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn known_base_scores() {
        let cases = [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                8.5,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:H/SA:H",
                7.9,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
                6.9,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                7.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                7.7,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N",
                8.3,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
                4.6,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N",
                5.3,
            ),
        ];
        for (v, want) in cases {
            assert_eq!(base(v), want, "{v}");
        }
    }

    #[test]
    fn threat_and_environmental_scores() {
        let cases = [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U",
                9.1,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MVI:L/MSA:S",
                9.8,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
                5.2,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L",
                8.1,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:X",
                5.3,
            ),
            // Not Defined everywhere equals the base score.
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/MAV:X",
                9.3,
            ),
        ];
        for (v, want) in cases {
            assert_eq!(full(v), want, "{v}");
        }
    }

    #[test]
    fn base_score_ignores_threat_environmental_and_supplemental() {
        let plain = "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        let decorated = format!("{plain}/E:U/CR:L/MAV:P/MSI:S/S:P/AU:Y/R:I/V:C/RE:H/U:Amber");
        assert_eq!(base(plain), 7.7);
        assert_eq!(base(&decorated), 7.7);
        let s = parse_and_score(&decorated).expect("valid");
        assert_eq!((s.version, s.severity), (CvssVersion::V4_0, Severity::High));
        // Supplemental metrics never change even the full score.
        assert_eq!(full(&format!("{plain}/S:P/AU:Y/U:Red")), full(plain));
    }

    #[test]
    fn scores_stay_in_range_over_every_base_vector() {
        // All 4*2*2*3*3*3^6 = 104,976 base vectors: no panic, score within 0..=10, and the
        // most severe vector of each MacroVector scores exactly its table entry.
        let vals = |def: usize| DEFS[def].values;
        let mut count = 0usize;
        let mut body = String::new();
        for av in vals(AV) {
            for ac in vals(AC) {
                for at in vals(AT) {
                    for pr in vals(PR) {
                        for ui in vals(UI) {
                            for vc in vals(VC) {
                                for vi in vals(VI) {
                                    for va in vals(VA) {
                                        for sc in vals(SC) {
                                            for si in vals(SI) {
                                                for sa in vals(SA) {
                                                    body.clear();
                                                    body.push_str(&format!(
                                                        "AV:{av}/AC:{ac}/AT:{at}/PR:{pr}/UI:{ui}/VC:{vc}/VI:{vi}/VA:{va}/SC:{sc}/SI:{si}/SA:{sa}"
                                                    ));
                                                    let s = score("v", &body, Scope::BaseOnly)
                                                        .expect("valid");
                                                    assert!(
                                                        (0.0..=10.0).contains(&s),
                                                        "{body}: {s}"
                                                    );
                                                    assert_eq!(s, round_one_decimal(s), "{body}");
                                                    count += 1;
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(count, 104_976);
    }

    #[test]
    fn strict_validation() {
        let ok = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        let missing = "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        assert_eq!(
            parse_and_score(missing),
            Err(CvssError::MissingMetric {
                vector: missing.into(),
                metric: "AT".into()
            })
        );
        let dup = format!("{ok}/E:A/E:P");
        assert_eq!(
            parse_and_score(&dup),
            Err(CvssError::DuplicateMetric {
                vector: dup.clone(),
                metric: "E".into()
            })
        );
        // v3-only metrics are unknown in v4.
        for extra in ["S:U", "C:H", "RL:O", "MS:C"] {
            let v = format!("{ok}/{extra}");
            let got = parse_and_score(&v);
            let bad_value = matches!(got, Err(CvssError::InvalidValue { .. }));
            let unknown = matches!(got, Err(CvssError::UnknownMetric { .. }));
            assert!(bad_value || unknown, "{v}: {got:?}");
        }
        // SI:S exists only as MSI:S.
        let v = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N";
        assert_eq!(
            parse_and_score(v),
            Err(CvssError::InvalidValue {
                vector: v.into(),
                metric: "SI".into(),
                value: "S".into()
            })
        );
        // Supplemental U values are case-sensitive words.
        assert!(parse_and_score(&format!("{ok}/U:red")).is_err());
        assert!(parse_and_score(&format!("{ok}/U:Red")).is_ok());
    }
}
