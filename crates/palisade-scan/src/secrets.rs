//! Exposed-secret scanning in the layer walk (issue 12).
//!
//! Every regular file of every layer is offered to the secret engine as it streams past:
//! [`ScanInterest`] wraps the package analyzers' interest and adds a per-layer *record* for each
//! file the engine's path rules do not skip. A file that a package analyzer also reads is read
//! once: the analyzer pulls from the entry and every byte it pulls is pushed into the engine
//! ([`palisade_secret::StreamScan`]), which then reads whatever the analyzer left. Binary files
//! stop costing anything after their first bytes.
//!
//! Findings are kept per layer, not in the merged tree, because a secret that a later layer
//! deletes is still in the image: anyone who pulls it can read the lower layer's blob. So it is
//! reported with the digest of the layer that holds it, as Trivy does.

use std::io::{self, Read};
use std::path::Path;

use palisade_image::{ImageMetadata, LayerInfo};
use palisade_inventory::Analyzers;
use palisade_report::{Code, CodeLine, Secret, SecretFile, SecretLayer};
use palisade_secret::{ConfigProblem, FileScan, ImageConfigFields, ScanOptions, Scanner};
use palisade_vfs::{EntryMeta, Inspection, Interest};
use sha2::{Digest, Sha256};

/// Version of the record encoding (a JSON list of [`Secret`]s); part of the cache key.
const RECORD_FORMAT: u32 = 1;

/// Bytes pumped per read when the engine reads the rest of a file.
const PUMP: usize = 64 << 10;

/// The secret engine a scan uses, and the fingerprint of its configuration.
#[derive(Debug)]
pub struct SecretScanner {
    scanner: Scanner,
    fingerprint: String,
}

/// A `--secret-config` file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretConfigError {
    /// The file cannot be read.
    #[error("reading the secret config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is not a usable `trivy-secret.yaml`.
    #[error("secret config {path}: {source}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        #[source]
        source: palisade_secret::ConfigError,
    },
}

impl SecretScanner {
    /// The built-in rules.
    pub fn builtin() -> SecretScanner {
        SecretScanner::with(Scanner::builtin(), "builtin")
    }

    /// The rules of a `trivy-secret.yaml`; problems inside single rules come back as warnings
    /// (the rule is left out), a file that is not a config at all is an error naming it.
    pub fn from_config_file(
        path: &Path,
    ) -> Result<(SecretScanner, Vec<ConfigProblem>), SecretConfigError> {
        let name = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| SecretConfigError::Read {
            path: name.clone(),
            source,
        })?;
        if meta.len() > palisade_secret::MAX_CONFIG_BYTES as u64 {
            return Err(SecretConfigError::Invalid {
                path: name,
                source: palisade_secret::ConfigError::TooLarge {
                    size: usize::try_from(meta.len()).unwrap_or(usize::MAX),
                    max: palisade_secret::MAX_CONFIG_BYTES,
                },
            });
        }
        let yaml = std::fs::read(path).map_err(|source| SecretConfigError::Read {
            path: name.clone(),
            source,
        })?;
        let (scanner, problems) = Scanner::from_config_yaml(&yaml, ScanOptions::default())
            .map_err(|source| SecretConfigError::Invalid { path: name, source })?;
        let digest = hex::encode(Sha256::digest(&yaml));
        Ok((SecretScanner::with(scanner, &digest), problems))
    }

    fn with(scanner: Scanner, config: &str) -> SecretScanner {
        let fingerprint = format!(
            "secrets@{}/{RECORD_FORMAT}:{config}:{:?}",
            env!("CARGO_PKG_VERSION"),
            scanner.options()
        );
        SecretScanner {
            scanner,
            fingerprint,
        }
    }

    /// The engine.
    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }
}

/// The interest of a scan: the package analyzers', plus a secret record for every file the
/// engine would scan when secret scanning is on.
pub struct ScanInterest<'a> {
    analyzers: &'a Analyzers,
    secrets: Option<&'a SecretScanner>,
    fingerprint: String,
}

impl<'a> ScanInterest<'a> {
    /// `secrets: None` is exactly the analyzers' interest: no file is read for secrets.
    pub fn new(analyzers: &'a Analyzers, secrets: Option<&'a SecretScanner>) -> Self {
        let mut fingerprint = analyzers.fingerprint();
        if let Some(s) = secrets {
            fingerprint.push(',');
            fingerprint.push_str(&s.fingerprint);
        }
        ScanInterest {
            analyzers,
            secrets,
            fingerprint,
        }
    }
}

/// Hands the analyzer the entry's bytes and pushes each one it reads into the engine.
struct Tee<'r, 's, 'x> {
    inner: &'r mut dyn Read,
    scan: &'r mut palisade_secret::StreamScan<'s>,
    _x: std::marker::PhantomData<&'x ()>,
}

impl Read for Tee<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.scan.wants_more() {
            self.scan.feed(&buf[..n]);
        }
        Ok(n)
    }
}

impl Interest for ScanInterest<'_> {
    fn wants_file(&self, path: &str) -> bool {
        self.analyzers.wants_file(path)
    }

    fn wants_symlink(&self, path: &str) -> bool {
        self.analyzers.wants_symlink(path)
    }

    fn wants_summary(&self, entry: &EntryMeta<'_>) -> bool {
        self.analyzers.wants_summary(entry)
    }

    fn summarize(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> io::Result<Vec<u8>> {
        self.analyzers.summarize(entry, content)
    }

    fn wants_record(&self, entry: &EntryMeta<'_>) -> bool {
        entry.size > 0
            && self
                .secrets
                .is_some_and(|s| s.scanner.path_skip(entry.path).is_none())
    }

    fn inspect(
        &self,
        entry: &EntryMeta<'_>,
        content: &mut dyn Read,
        summary: bool,
        record: bool,
    ) -> io::Result<Inspection> {
        let Some(secrets) = self.secrets.filter(|_| record) else {
            return self.analyzers.inspect(entry, content, summary, false);
        };
        let mut scan = secrets.scanner.stream(entry.path, Some(entry.size));
        let summary = if summary {
            let mut tee = Tee {
                inner: content,
                scan: &mut scan,
                _x: std::marker::PhantomData,
            };
            Some(self.analyzers.summarize(entry, &mut tee)?)
        } else {
            None
        };
        let mut buf = vec![0u8; PUMP.min(usize::try_from(entry.size).unwrap_or(PUMP)).max(1)];
        while scan.wants_more() {
            match content.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => scan.feed(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let found = scan.finish();
        log_scan(&found);
        Ok(Inspection {
            summary,
            record: encode(&found),
        })
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

fn log_scan(found: &FileScan) {
    if found.dropped > 0 {
        tracing::warn!(
            path = %found.target,
            dropped = found.dropped,
            "more secrets in one file than are reported"
        );
    }
    if found.large && !found.findings.is_empty() {
        tracing::debug!(path = %found.target, bytes = found.bytes, "large file scanned for secrets");
    }
}

/// The report's form of the engine's findings (already redacted by the engine).
pub fn to_secrets(found: &FileScan) -> Vec<Secret> {
    found
        .findings
        .iter()
        .map(|f| Secret {
            rule_id: f.rule_id.clone(),
            category: f.category.clone(),
            severity: severity(f.severity),
            title: f.title.clone(),
            start_line: f.start_line,
            end_line: f.end_line,
            code: Code {
                lines: f
                    .code
                    .iter()
                    .map(|l| CodeLine {
                        number: l.number,
                        content: l.content.clone(),
                        is_cause: l.is_cause,
                        annotation: String::new(),
                        truncated: l.truncated,
                        highlighted: l.content.clone(),
                        first_cause: l.first_cause,
                        last_cause: l.last_cause,
                    })
                    .collect(),
            },
            match_line: f.match_line.clone(),
            layer: None,
            offset: f.offset,
        })
        .collect()
}

fn severity(s: palisade_secret::Severity) -> palisade_cvss::Severity {
    use palisade_cvss::Severity as S;
    match s {
        palisade_secret::Severity::Unknown => S::Unknown,
        palisade_secret::Severity::Low => S::Low,
        palisade_secret::Severity::Medium => S::Medium,
        palisade_secret::Severity::High => S::High,
        palisade_secret::Severity::Critical => S::Critical,
    }
}

/// A file's record: its secrets as JSON, or nothing when it has none.
fn encode(found: &FileScan) -> Option<Vec<u8>> {
    if found.findings.is_empty() {
        return None;
    }
    serde_json::to_vec(&to_secrets(found)).ok()
}

/// The secrets of every layer, each with the layer that holds it (and the build step that made
/// it, from `created_by`, when the history matches the layers), bottom layer first. Targets are
/// absolute paths, as Trivy names them.
pub fn layer_secrets(
    layers: &[LayerInfo],
    records: &[palisade_vfs::LayerRecords],
    created_by: &[String],
) -> Vec<SecretFile> {
    let mut out = Vec::new();
    for (i, (info, recs)) in layers.iter().zip(records).enumerate() {
        for (path, bytes) in recs {
            let mut secrets: Vec<Secret> = match serde_json::from_slice(bytes) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(layer = %info.digest, %path, "unreadable secret record: {e}");
                    continue;
                }
            };
            for s in &mut secrets {
                s.layer = Some(SecretLayer {
                    digest: Some(info.digest.clone()),
                    diff_id: info.diff_id.clone(),
                    created_by: created_by.get(i).filter(|c| !c.is_empty()).cloned(),
                });
            }
            out.push(SecretFile {
                target: format!("/{path}"),
                secrets,
            });
        }
    }
    out
}

/// The secrets of the image config (environment, command, labels, build history).
pub fn config_secrets(scanner: &Scanner, meta: &ImageMetadata) -> Option<SecretFile> {
    let rt = &meta.runtime;
    let fields = ImageConfigFields {
        env: rt.env.clone(),
        entrypoint: rt.entrypoint.clone(),
        cmd: rt.cmd.clone(),
        labels: rt.labels.clone(),
        history: rt.history.clone(),
    };
    // Trivy names the image config's result by the artifact.
    let target = meta.name.clone();
    let found = scanner.scan_image_config(&target, &fields);
    let secrets = to_secrets(&found);
    (!secrets.is_empty()).then_some(SecretFile { target, secrets })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_key() -> String {
        // Built at run time so the source holds no token-shaped string.
        ["AKIA", "QX7Z", "M2PL", "R9TW", "K4VB"].concat()
    }

    #[test]
    fn records_round_trip_and_name_their_layer() {
        let s = SecretScanner::builtin();
        let doc = format!("AWS_ACCESS_KEY_ID={}\n", fake_key());
        let found = s.scanner().scan_bytes("app/.env", doc.as_bytes());
        let rec = encode(&found).expect("a finding");
        assert!(!String::from_utf8_lossy(&rec).contains(&fake_key()));
        let layers = vec![LayerInfo {
            digest: "sha256:11".into(),
            diff_id: Some("sha256:22".into()),
            size: 1,
            media_type: None,
        }];
        let files = layer_secrets(
            &layers,
            &[vec![("app/.env".to_string(), rec.into())]],
            &["COPY . /app".to_string()],
        );
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].target, "/app/.env");
        let l = files[0].secrets[0].layer.as_ref().unwrap();
        assert_eq!(l.digest.as_deref(), Some("sha256:11"));
        assert_eq!(l.diff_id.as_deref(), Some("sha256:22"));
        assert_eq!(l.created_by.as_deref(), Some("COPY . /app"));
        assert!(encode(&s.scanner().scan_bytes("app/a.txt", b"hello\n")).is_none());
    }

    #[test]
    fn tee_serves_analyzer_and_engine_from_one_read() {
        let analyzers = palisade_inventory::interest();
        let s = SecretScanner::builtin();
        let i = ScanInterest::new(&analyzers, Some(&s));
        let doc = format!("# deps\nrequests==2.0\naws_key = \"{}\"\n", fake_key());
        let meta = EntryMeta {
            path: "app/requirements.txt",
            size: doc.len() as u64,
            executable: false,
        };
        assert!(
            i.wants_summary(&meta),
            "pip analyzer reads requirements.txt"
        );
        assert!(i.wants_record(&meta));
        let mut content = doc.as_bytes();
        let got = i.inspect(&meta, &mut content, true, true).unwrap();
        assert!(content.is_empty(), "read once, to the end");
        assert!(got.summary.is_some_and(|s| !s.is_empty()));
        let rec: Vec<Secret> = serde_json::from_slice(&got.record.unwrap()).unwrap();
        assert_eq!(rec[0].rule_id, "aws-access-key-id");
        // Without secret scanning nothing is recorded and the fingerprint is the analyzers'.
        let plain = ScanInterest::new(&analyzers, None);
        assert!(!plain.wants_record(&meta));
        assert_eq!(plain.fingerprint(), analyzers.fingerprint());
        assert_ne!(i.fingerprint(), plain.fingerprint());
    }

    #[test]
    fn config_fingerprints_differ_by_content() {
        let dir = std::env::temp_dir().join(format!("palisade-scan-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.yaml");
        let b = dir.join("b.yaml");
        std::fs::write(&a, "disable-rules: [aws-access-key-id]\n").unwrap();
        std::fs::write(&b, "disable-rules: [github-pat]\n").unwrap();
        let (sa, _) = SecretScanner::from_config_file(&a).unwrap();
        let (sb, _) = SecretScanner::from_config_file(&b).unwrap();
        assert_ne!(sa.fingerprint, sb.fingerprint);
        assert_ne!(sa.fingerprint, SecretScanner::builtin().fingerprint);
        std::fs::write(&a, "- not a mapping\n").unwrap();
        let e = SecretScanner::from_config_file(&a).unwrap_err().to_string();
        assert!(e.contains("a.yaml"), "{e}");
        let e = SecretScanner::from_config_file(&dir.join("missing.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.yaml"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
