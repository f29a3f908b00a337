//! Strict parsing of the `NAME:VALUE/NAME:VALUE…` part of a vector against a metric table.

use crate::{CvssError, quote};

/// One metric a CVSS version defines: its abbreviation, allowed values, and whether a vector
/// must contain it.
pub(crate) struct MetricDef {
    pub name: &'static str,
    pub values: &'static [&'static str],
    pub required: bool,
}

/// Shorthand for a mandatory (base) metric.
pub(crate) const fn req(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        required: true,
    }
}

/// Shorthand for an optional metric; when absent it reads as `X` ("Not Defined").
pub(crate) const fn opt(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        required: false,
    }
}

/// Value reported for optional metrics the vector leaves out.
pub(crate) const NOT_DEFINED: &str = "X";

/// Parses `body` (the vector without its `CVSS:x.y/` prefix) against `defs`.
///
/// Returns one value per definition, in `defs` order, with [`NOT_DEFINED`] for absent optional
/// metrics, so callers can index the result with the definition's position. The returned values
/// are the table's own `'static` strings, already validated.
pub(crate) fn parse(
    vector: &str,
    body: &str,
    defs: &[MetricDef],
) -> Result<Vec<&'static str>, CvssError> {
    let mut found: Vec<Option<&'static str>> = vec![None; defs.len()];

    for part in body.split('/') {
        let Some((name, value)) = part.split_once(':') else {
            return Err(CvssError::Malformed {
                vector: quote(vector),
                reason: if part.is_empty() {
                    "empty metric (doubled or trailing '/')".to_owned()
                } else {
                    format!(
                        "metric {:?} has no ':' separating name and value",
                        quote(part)
                    )
                },
            });
        };
        let Some(idx) = defs.iter().position(|d| d.name == name) else {
            return Err(CvssError::UnknownMetric {
                vector: quote(vector),
                metric: quote(name),
            });
        };
        let def = &defs[idx];
        if found[idx].is_some() {
            return Err(CvssError::DuplicateMetric {
                vector: quote(vector),
                metric: def.name.to_owned(),
            });
        }
        let Some(&canonical) = def.values.iter().find(|v| **v == value) else {
            return Err(CvssError::InvalidValue {
                vector: quote(vector),
                metric: def.name.to_owned(),
                value: quote(value),
            });
        };
        found[idx] = Some(canonical);
    }

    defs.iter()
        .zip(found)
        .map(|(def, value)| match value {
            Some(v) => Ok(v),
            None if def.required => Err(CvssError::MissingMetric {
                vector: quote(vector),
                metric: def.name.to_owned(),
            }),
            None => Ok(NOT_DEFINED),
        })
        .collect()
}
