//! The image config: environment, command, labels and build history can carry secrets too
//! (`ENV GITHUB_TOKEN=…`, `RUN curl -H "Authorization: …"`), and Trivy scans them.
//!
//! The fields are rendered as one indented JSON document (one value a line, so findings have
//! useful line numbers and context) and scanned like a file. Path allow rules do not apply: the
//! target is the image name, not a path in it.

use serde::Serialize;

use crate::engine::Window;
use crate::scanner::{FileScan, Scanner};

/// The parts of an OCI image config that are scanned for secrets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImageConfigFields {
    /// `config.Env` (`KEY=value`).
    #[serde(rename = "Env", skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// `config.Entrypoint`.
    #[serde(rename = "Entrypoint", skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// `config.Cmd`.
    #[serde(rename = "Cmd", skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// `config.Labels`, in a stable order.
    #[serde(
        rename = "Labels",
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "labels_as_map"
    )]
    pub labels: Vec<(String, String)>,
    /// `history[].created_by`.
    #[serde(rename = "History", skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<String>,
}

fn labels_as_map<S: serde::Serializer>(
    labels: &[(String, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(labels.len()))?;
    for (k, v) in labels {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

impl ImageConfigFields {
    /// The document that is scanned.
    pub fn render(&self) -> String {
        // Serializing strings and lists of strings cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl Scanner {
    /// Scans an image config. `target` names it in the findings (Trivy uses the image name).
    pub fn scan_image_config(&self, target: &str, fields: &ImageConfigFields) -> FileScan {
        let doc = fields.render();
        let data = doc.as_bytes();
        let mut st = self.file_state("");
        self.process_window(&mut st, data, Window { ws: 0, eof: true });
        self.finish(target.to_string(), st, data.len() as u64)
    }
}
