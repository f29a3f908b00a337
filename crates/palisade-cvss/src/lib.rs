//! CVSS v3.x and v4.0 base scores and severity ratings, computed from vectors.
//!
//! Advisories often carry only a CVSS vector string and no number, yet reports need a severity.
//! This crate turns a vector into a score and a [`Severity`] with our own implementation of the
//! FIRST specifications:
//!
//! * **CVSS v3.0 / v3.1** (`CVSS:3.0/…`, `CVSS:3.1/…`): the base equations; v3.1 rounds with the
//!   specification's floating-point-safe `Roundup`, v3.0 with the plain "ceil to one decimal".
//!   Temporal and environmental metrics are validated when present but do not change the base
//!   score.
//! * **CVSS v4.0** (`CVSS:4.0/…`): the MacroVector method (EQ1–EQ6 equivalence classes, the
//!   published MacroVector score table, highest-severity vectors and the interpolation by
//!   severity distance). [`parse_and_score`] gives the CVSS-B (base) score, ignoring threat,
//!   environmental and supplemental metrics; [`score_v4_with_threat_and_environmental`] applies
//!   `E`, `CR`/`IR`/`AR` and the modified metrics as the specification does.
//!
//! CVSS v2 vectors are recognised and refused with [`CvssError::Unsupported`].
//!
//! Parsing is strict because vectors come from untrusted advisory data: every mandatory metric
//! must appear exactly once, only metrics and values defined by the specification are accepted,
//! and each error names the vector and the offending metric. Metrics may appear in any order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod metrics;
mod v3;
mod v4;

/// Longest vector accepted. Real vectors, with every optional metric, stay under 300 bytes;
/// anything far longer is hostile or garbage and is refused before any work is done.
pub const MAX_VECTOR_LEN: usize = 1024;

/// Longest slice of an offending vector quoted in an error message.
const MAX_QUOTED: usize = 160;

/// Qualitative severity, ordered from least to most severe, as Trivy reports it.
///
/// Trivy has no `NONE` rating, so neither do we: a score of `0.0` (CVSS "None") and anything
/// that is not a valid score map to [`Severity::Unknown`]. Serialized as `"UNKNOWN"`, `"LOW"`,
/// `"MEDIUM"`, `"HIGH"`, `"CRITICAL"` to match Trivy's JSON.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// No rating available, or a CVSS score of 0.0 ("None").
    #[default]
    Unknown,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// Maps a CVSS score to its rating with the specification's scale (0.1–3.9 Low, 4.0–6.9
    /// Medium, 7.0–8.9 High, 9.0–10.0 Critical).
    ///
    /// `0.0` is CVSS "None", for which Trivy has no level: it gives [`Severity::Unknown`], as do
    /// negative, greater-than-10 and NaN inputs, so a bad number can never inflate a rating.
    pub fn from_score(score: f64) -> Severity {
        if !(score > 0.0 && score <= 10.0) {
            Severity::Unknown
        } else if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }

    /// The uppercase name used in reports and JSON (`"HIGH"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text could not be read as a [`Severity`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {input:?}: expected one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL")]
pub struct ParseSeverityError {
    /// The rejected text (shortened if very long).
    pub input: String,
}

impl FromStr for Severity {
    type Err = ParseSeverityError;

    /// Case-insensitive, so `"high"`, `"High"` and `"HIGH"` (as found in GHSA, OSV
    /// `database_specific` fields and user flags) all work. Surrounding whitespace is ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        [
            Severity::Unknown,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|sev| sev.as_str().eq_ignore_ascii_case(t))
        .ok_or_else(|| ParseSeverityError { input: quote(s) })
    }
}

/// Which CVSS specification a vector follows; decides the scoring rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CvssVersion {
    /// CVSS v3.0 (`CVSS:3.0/`).
    #[serde(rename = "3.0")]
    V3_0,
    /// CVSS v3.1 (`CVSS:3.1/`).
    #[serde(rename = "3.1")]
    V3_1,
    /// CVSS v4.0 (`CVSS:4.0/`).
    #[serde(rename = "4.0")]
    V4_0,
}

impl CvssVersion {
    /// The version as written in a vector prefix (`"3.1"`).
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of scoring one vector: what reports show next to a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    /// Specification the vector follows.
    pub version: CvssVersion,
    /// Base score, 0.0–10.0 with one decimal (for v4.0 the CVSS-B score).
    pub base_score: f64,
    /// Rating of `base_score` per [`Severity::from_score`].
    pub severity: Severity,
    /// The vector as given (surrounding whitespace removed).
    pub vector: String,
}

/// Why a vector could not be scored. Every variant names the vector (shortened if huge).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    /// A vector of a CVSS version this crate does not score (v2, or an unknown version).
    #[error("unsupported CVSS vector {vector:?}: {reason}")]
    Unsupported {
        /// The vector.
        vector: String,
        /// What is unsupported.
        reason: String,
    },
    /// The text is not shaped like a CVSS vector at all.
    #[error("malformed CVSS vector {vector:?}: {reason}")]
    Malformed {
        /// The vector.
        vector: String,
        /// What is wrong with its shape.
        reason: String,
    },
    /// A metric name the vector's CVSS version does not define.
    #[error("CVSS vector {vector:?} has unknown metric {metric:?}")]
    UnknownMetric {
        /// The vector.
        vector: String,
        /// The unknown metric name.
        metric: String,
    },
    /// A metric given more than once.
    #[error("CVSS vector {vector:?} gives metric {metric} more than once")]
    DuplicateMetric {
        /// The vector.
        vector: String,
        /// The repeated metric.
        metric: String,
    },
    /// A mandatory base metric is absent.
    #[error("CVSS vector {vector:?} lacks mandatory metric {metric}")]
    MissingMetric {
        /// The vector.
        vector: String,
        /// The missing metric.
        metric: String,
    },
    /// A known metric with a value its definition does not allow.
    #[error("CVSS vector {vector:?} gives metric {metric} the invalid value {value:?}")]
    InvalidValue {
        /// The vector.
        vector: String,
        /// The metric.
        metric: String,
        /// The rejected value.
        value: String,
    },
}

/// Shortens `s` for inclusion in an error message.
pub(crate) fn quote(s: &str) -> String {
    if s.chars().count() <= MAX_QUOTED {
        s.to_owned()
    } else {
        let mut q: String = s.chars().take(MAX_QUOTED).collect();
        q.push('…');
        q
    }
}

/// Splits off and checks the `CVSS:x.y/` prefix, returning the version and the metric part.
fn split_version(vector: &str) -> Result<(CvssVersion, &str), CvssError> {
    let malformed = |reason: &str| CvssError::Malformed {
        vector: quote(vector),
        reason: reason.to_owned(),
    };
    let unsupported = |reason: &str| CvssError::Unsupported {
        vector: quote(vector),
        reason: reason.to_owned(),
    };

    if vector.is_empty() {
        return Err(malformed("vector is empty"));
    }
    if vector.len() > MAX_VECTOR_LEN {
        return Err(malformed(&format!(
            "vector is {} bytes long, over the {MAX_VECTOR_LEN}-byte limit",
            vector.len()
        )));
    }
    let Some(rest) = vector.strip_prefix("CVSS:") else {
        if looks_like_v2(vector) {
            return Err(unsupported("CVSS v2 vectors are not supported"));
        }
        return Err(malformed("missing the \"CVSS:<version>/\" prefix"));
    };
    let (version, body) = rest
        .split_once('/')
        .ok_or_else(|| malformed("no metrics after the version prefix"))?;
    let version = match version {
        "3.0" => CvssVersion::V3_0,
        "3.1" => CvssVersion::V3_1,
        "4.0" => CvssVersion::V4_0,
        "2.0" | "2" => return Err(unsupported("CVSS v2 vectors are not supported")),
        other => {
            return Err(unsupported(&format!(
                "CVSS version {:?} is not one of 3.0, 3.1, 4.0",
                quote(other)
            )));
        }
    };
    Ok((version, body))
}

/// CVSS v2 vectors have no prefix and use the `Au` (authentication) metric; NVD sometimes wraps
/// them in parentheses.
fn looks_like_v2(vector: &str) -> bool {
    let inner = vector.trim_start_matches('(').trim_end_matches(')');
    inner.starts_with("AV:") && inner.split('/').any(|part| part.starts_with("Au:"))
}

/// Parses a CVSS v3.0, v3.1 or v4.0 vector and computes its base score and severity.
///
/// This is the entry point for advisory ingestion: give it the `score` string of an OSV
/// `severity` entry of type `CVSS_V3` or `CVSS_V4`. Surrounding whitespace is ignored; anything
/// else that deviates from the specification is an error naming the vector and the problem.
pub fn parse_and_score(vector: &str) -> Result<CvssScore, CvssError> {
    let vector = vector.trim();
    let (version, body) = split_version(vector)?;
    let base_score = match version {
        CvssVersion::V3_0 | CvssVersion::V3_1 => v3::base_score(vector, body, version)?,
        CvssVersion::V4_0 => v4::score(vector, body, v4::Scope::BaseOnly)?,
    };
    Ok(CvssScore {
        version,
        base_score,
        severity: Severity::from_score(base_score),
        vector: vector.to_owned(),
    })
}

/// Scores a CVSS v4.0 vector including its threat (`E`) and environmental (`CR`, `IR`, `AR`,
/// `MAV` … `MSA`) metrics, i.e. the CVSS-BT / CVSS-BE / CVSS-BTE score the FIRST calculator
/// shows. Supplemental metrics never affect the score.
///
/// Use this when a deployment wants scores adjusted by exploit maturity or its own
/// requirements; reports that must match upstream "base score" columns use
/// [`parse_and_score`]. Vectors of other versions are refused with
/// [`CvssError::Unsupported`].
pub fn score_v4_with_threat_and_environmental(vector: &str) -> Result<f64, CvssError> {
    let vector = vector.trim();
    let (version, body) = split_version(vector)?;
    if version != CvssVersion::V4_0 {
        return Err(CvssError::Unsupported {
            vector: quote(vector),
            reason: format!(
                "threat/environmental scoring is only implemented for CVSS 4.0, not {version}"
            ),
        });
    }
    v4::score(vector, body, v4::Scope::WithThreatAndEnvironmental)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_scale_boundaries() {
        let cases = [
            (0.0, Severity::Unknown),
            (0.1, Severity::Low),
            (3.9, Severity::Low),
            (4.0, Severity::Medium),
            (6.9, Severity::Medium),
            (7.0, Severity::High),
            (8.9, Severity::High),
            (9.0, Severity::Critical),
            (10.0, Severity::Critical),
            (-1.0, Severity::Unknown),
            (10.1, Severity::Unknown),
            (f64::NAN, Severity::Unknown),
            (f64::INFINITY, Severity::Unknown),
        ];
        for (score, want) in cases {
            assert_eq!(Severity::from_score(score), want, "{score}");
        }
    }

    #[test]
    fn severity_order_display_and_parse() {
        assert!(Severity::Unknown < Severity::Low);
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::Medium < Severity::High);
        assert!(Severity::High < Severity::Critical);
        for sev in [
            Severity::Unknown,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            let shown = sev.to_string();
            assert_eq!(shown, shown.to_uppercase());
            assert_eq!(shown.parse::<Severity>(), Ok(sev));
            assert_eq!(shown.to_lowercase().parse::<Severity>(), Ok(sev));
            let json = serde_json::to_string(&sev).expect("serializes");
            assert_eq!(json, format!("\"{shown}\""));
            let back: Severity = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, sev);
        }
        assert_eq!(" Medium ".parse::<Severity>(), Ok(Severity::Medium));
        let err = "severe".parse::<Severity>().expect_err("not a severity");
        assert!(err.to_string().contains("\"severe\""), "{err}");
        assert!("NONE".parse::<Severity>().is_err());
        assert!(serde_json::from_str::<Severity>("\"High\"").is_err());
    }

    #[test]
    fn score_serializes_with_version_strings() {
        let s = parse_and_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("valid");
        let json = serde_json::to_value(&s).expect("serializes");
        assert_eq!(json["version"], "3.1");
        assert_eq!(json["severity"], "CRITICAL");
        assert_eq!(json["base_score"], 9.8);
    }

    #[test]
    fn v2_and_unknown_versions_are_unsupported() {
        for v in [
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "(AV:N/AC:M/Au:S/C:N/I:P/A:N)",
            "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:5.0/AV:N",
        ] {
            match parse_and_score(v) {
                Err(CvssError::Unsupported { vector, .. }) => assert_eq!(vector, v),
                other => panic!("{v}: expected Unsupported, got {other:?}"),
            }
        }
    }

    #[test]
    fn shapeless_input_is_malformed() {
        for v in [
            "",
            "   ",
            "hello",
            "CVSS:3.1",
            "CVSS3.1/AV:N",
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ] {
            assert!(
                matches!(parse_and_score(v), Err(CvssError::Malformed { .. })),
                "{v:?}: {:?}",
                parse_and_score(v)
            );
        }
        let huge = format!("CVSS:3.1/{}", "AV:N/".repeat(10_000));
        let err = parse_and_score(&huge).expect_err("too long");
        assert!(matches!(err, CvssError::Malformed { .. }), "{err:?}");
        assert!(err.to_string().len() < 500);
    }

    #[test]
    fn full_score_refuses_v3() {
        let err =
            score_v4_with_threat_and_environmental("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                .expect_err("v3");
        assert!(matches!(err, CvssError::Unsupported { .. }));
    }
}
