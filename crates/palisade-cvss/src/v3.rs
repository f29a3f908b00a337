//! CVSS v3.0 and v3.1 base scores (FIRST CVSS v3.1 specification §7.1 and Appendix A).

use crate::metrics::{self, MetricDef, opt, req};
use crate::{CvssError, CvssVersion};

const AV: usize = 0;
const AC: usize = 1;
const PR: usize = 2;
const UI: usize = 3;
const S: usize = 4;
const C: usize = 5;
const I: usize = 6;
const A: usize = 7;

/// Every metric a v3.x vector may carry. The first eight (base) are mandatory; temporal and
/// environmental metrics are validated but do not enter the base score.
const DEFS: &[MetricDef] = &[
    req("AV", &["N", "A", "L", "P"]),
    req("AC", &["L", "H"]),
    req("PR", &["N", "L", "H"]),
    req("UI", &["N", "R"]),
    req("S", &["U", "C"]),
    req("C", &["H", "L", "N"]),
    req("I", &["H", "L", "N"]),
    req("A", &["H", "L", "N"]),
    // Temporal.
    opt("E", &["X", "U", "P", "F", "H"]),
    opt("RL", &["X", "O", "T", "W", "U"]),
    opt("RC", &["X", "U", "R", "C"]),
    // Environmental.
    opt("CR", &["X", "L", "M", "H"]),
    opt("IR", &["X", "L", "M", "H"]),
    opt("AR", &["X", "L", "M", "H"]),
    opt("MAV", &["X", "N", "A", "L", "P"]),
    opt("MAC", &["X", "L", "H"]),
    opt("MPR", &["X", "N", "L", "H"]),
    opt("MUI", &["X", "N", "R"]),
    opt("MS", &["X", "U", "C"]),
    opt("MC", &["X", "N", "L", "H"]),
    opt("MI", &["X", "N", "L", "H"]),
    opt("MA", &["X", "N", "L", "H"]),
];

/// Parses the metric part of a v3.x vector and computes its base score.
pub(crate) fn base_score(vector: &str, body: &str, version: CvssVersion) -> Result<f64, CvssError> {
    let m = metrics::parse(vector, body, DEFS)?;
    let scope_changed = m[S] == "C";

    let av = match m[AV] {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2, // "P"; values are validated by the parser.
    };
    let ac = if m[AC] == "L" { 0.77 } else { 0.44 };
    let pr = match (m[PR], scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27, // "H"
        (_, true) => 0.5,
    };
    let ui = if m[UI] == "N" { 0.85 } else { 0.62 };
    let cia = |v: &str| match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0, // "N"
    };

    let iss = 1.0 - ((1.0 - cia(m[C])) * (1.0 - cia(m[I])) * (1.0 - cia(m[A])));
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;

    if impact <= 0.0 {
        return Ok(0.0);
    }
    let raw = if scope_changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Ok(match version {
        CvssVersion::V3_0 => roundup_v30(raw),
        _ => roundup_v31(raw),
    })
}

/// v3.1 `Roundup` (Appendix A): the smallest one-decimal number not below `x`, computed on an
/// integer scale so that floating-point noise (4.000000000000001) does not bump the result.
pub(crate) fn roundup_v31(x: f64) -> f64 {
    // Scores are within 0..=10.8 here, far inside i64 range.
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// v3.0 round-up: plain ceiling to one decimal, as the v3.0 specification and calculator did.
pub(crate) fn roundup_v30(x: f64) -> f64 {
    (x * 10.0).ceil() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CvssError, Severity, parse_and_score};

    fn score(v: &str) -> f64 {
        parse_and_score(v)
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .base_score
    }

    #[test]
    fn known_v31_scores() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N", 0.0),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8),
            ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", 6.5),
        ];
        for (v, want) in cases {
            assert_eq!(score(v), want, "{v}");
        }
    }

    #[test]
    fn known_v30_scores() {
        let cases = [
            ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ];
        for (v, want) in cases {
            assert_eq!(score(v), want, "{v}");
        }
    }

    #[test]
    fn roundup_differs_between_versions_on_float_noise() {
        assert_eq!(roundup_v31(4.000_000_000_000_001), 4.0);
        assert_eq!(roundup_v30(4.000_000_000_000_001), 4.1);
        assert_eq!(roundup_v31(4.02), 4.1);
        assert_eq!(roundup_v30(4.02), 4.1);
        assert_eq!(roundup_v31(4.0), 4.0);
        assert_eq!(roundup_v31(0.0), 0.0);
        assert_eq!(roundup_v31(9.999), 10.0);
    }

    #[test]
    fn optional_metrics_accepted_and_order_free() {
        let base = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        let with_extras = score(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/IR:X/MAV:L/MS:C",
        );
        assert_eq!(with_extras, base);
        let shuffled = score("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N");
        assert_eq!(shuffled, base);
    }

    #[test]
    fn severity_follows_score() {
        let s = parse_and_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N").expect("valid");
        assert_eq!(
            (s.version, s.severity),
            (CvssVersion::V3_1, Severity::Medium)
        );
        let s = parse_and_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N").expect("valid");
        assert_eq!(s.severity, Severity::Unknown);
    }

    #[test]
    fn strict_validation_names_vector_and_metric() {
        let full = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

        let v = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H";
        assert_eq!(
            parse_and_score(v),
            Err(CvssError::MissingMetric {
                vector: v.into(),
                metric: "A".into()
            })
        );

        let v = format!("{full}/AV:L");
        assert_eq!(
            parse_and_score(&v),
            Err(CvssError::DuplicateMetric {
                vector: v.clone(),
                metric: "AV".into()
            })
        );

        let v = format!("{full}/XX:Y");
        assert_eq!(
            parse_and_score(&v),
            Err(CvssError::UnknownMetric {
                vector: v.clone(),
                metric: "XX".into()
            })
        );

        let v = "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        assert_eq!(
            parse_and_score(v),
            Err(CvssError::InvalidValue {
                vector: v.into(),
                metric: "AV".into(),
                value: "Q".into()
            })
        );

        // v4-only metrics are unknown in v3, and lower case is not the same metric.
        for v in [
            format!("{full}/AT:N"),
            "CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(),
        ] {
            assert!(
                matches!(parse_and_score(&v), Err(CvssError::UnknownMetric { .. })),
                "{v}"
            );
        }

        for v in [format!("{full}/"), format!("{full}//"), format!("{full}/E")] {
            let err = parse_and_score(&v).expect_err(&v);
            assert!(matches!(err, CvssError::Malformed { .. }), "{v}: {err:?}");
            assert!(err.to_string().contains(full), "{err}");
        }
        // Base metrics may not be "X".
        assert!(matches!(
            parse_and_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Err(CvssError::InvalidValue { .. })
        ));
    }
}
