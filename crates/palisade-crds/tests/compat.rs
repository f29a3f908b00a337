//! Compatibility of the generated CRDs with the anchor's CRD YAMLs in `../shared/crds/`.
//!
//! The anchor's files are read at run time (never copied into the project). Every test prints
//! `SKIPPED: ../shared/crds not present` and passes when the folder is missing, so the crate still
//! tests on a machine without `shared/`.
//!
//! What must agree: names (group, kind, plural, singular, shortNames, listKind, categories), scope,
//! versions (name, served, storage, subresources), printer columns (name, type, jsonPath, priority,
//! format, order), and for every property path of the upstream schema: presence, `type`, `required`
//! (same set), `enum`, `format`, `minimum`, `x-kubernetes-preserve-unknown-fields`. Extra optional
//! properties in ours are allowed. Sample reports built from our types must validate against the
//! upstream schema.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use palisade_crds::all_crds;
use serde_json::{Value, json};

fn upstream_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crds");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("SKIPPED: ../shared/crds not present");
        None
    }
}

/// Upstream CRDs by `metadata.name`, as JSON values.
fn upstream() -> Option<BTreeMap<String, Value>> {
    let dir = upstream_dir()?;
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("readable crds dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable CRD file");
        let crd: Value =
            yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = crd["metadata"]["name"]
            .as_str()
            .expect("metadata.name")
            .to_owned();
        out.insert(name, crd);
    }
    assert_eq!(
        out.len(),
        12,
        "expected the anchor's 12 CRD files in {}",
        dir.display()
    );
    Some(out)
}

/// Ours by `metadata.name`, as JSON values.
fn ours() -> BTreeMap<String, Value> {
    all_crds()
        .into_iter()
        .map(|crd| {
            let v = serde_json::to_value(&crd).expect("CRD serializes");
            (v["metadata"]["name"].as_str().expect("name").to_owned(), v)
        })
        .collect()
}

/// Collects differences instead of stopping at the first, so one run shows them all.
#[derive(Default)]
struct Diffs(Vec<String>);

impl Diffs {
    fn check(&mut self, what: impl FnOnce() -> String, upstream: &Value, ours: &Value) {
        if upstream != ours {
            self.0
                .push(format!("{}: upstream {upstream} != ours {ours}", what()));
        }
    }
    fn push(&mut self, msg: String) {
        self.0.push(msg);
    }
    fn assert_empty(self) {
        assert!(
            self.0.is_empty(),
            "{} difference(s):\n  {}",
            self.0.len(),
            self.0.join("\n  ")
        );
    }
}

/// `null` and an absent key compare equal; so do an absent list and an empty one.
fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    match v.get(key) {
        Some(Value::Array(a)) if a.is_empty() => &NULL,
        Some(x) => x,
        None => &NULL,
    }
}

#[test]
fn same_twelve_crds() {
    let Some(up) = upstream() else { return };
    let ours = ours();
    assert_eq!(
        up.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>()
    );
}

#[test]
fn names_scope_and_versions_match() {
    let Some(up) = upstream() else { return };
    let ours = ours();
    let mut d = Diffs::default();
    for (name, u) in &up {
        let Some(o) = ours.get(name) else {
            d.push(format!("{name}: missing in ours"));
            continue;
        };
        d.check(
            || format!("{name}: group"),
            &u["spec"]["group"],
            &o["spec"]["group"],
        );
        d.check(
            || format!("{name}: scope"),
            &u["spec"]["scope"],
            &o["spec"]["scope"],
        );
        for key in [
            "kind",
            "listKind",
            "plural",
            "singular",
            "shortNames",
            "categories",
        ] {
            let (un, on) = (&u["spec"]["names"], &o["spec"]["names"]);
            d.check(
                || format!("{name}: names.{key}"),
                field(un, key),
                field(on, key),
            );
        }
        let (uv, ov) = (
            u["spec"]["versions"].as_array().expect("versions"),
            o["spec"]["versions"].as_array().expect("versions"),
        );
        if uv.len() != ov.len() {
            d.push(format!(
                "{name}: {} versions upstream, {} ours",
                uv.len(),
                ov.len()
            ));
        }
        for (u1, o1) in uv.iter().zip(ov) {
            for key in ["name", "served", "storage", "deprecated"] {
                d.check(
                    || format!("{name}: versions[].{key}"),
                    field(u1, key),
                    field(o1, key),
                );
            }
            d.check(
                || format!("{name}: subresources"),
                &u1["subresources"],
                &o1["subresources"],
            );
        }
        d.check(
            || format!("{name}: conversion"),
            field(&u["spec"], "conversion"),
            field(&o["spec"], "conversion"),
        );
    }
    d.assert_empty();
}

#[test]
fn printer_columns_match() {
    let Some(up) = upstream() else { return };
    let ours = ours();
    let mut d = Diffs::default();
    let columns = |crd: &Value| -> Vec<Value> {
        crd["spec"]["versions"][0]["additionalPrinterColumns"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                json!({
                    "name": c["name"], "type": c["type"], "jsonPath": c["jsonPath"],
                    "priority": c.get("priority").cloned().unwrap_or(json!(0)),
                    "format": c.get("format").cloned().unwrap_or(Value::Null),
                })
            })
            .collect()
    };
    for (name, u) in &up {
        let (uc, oc) = (columns(u), columns(&ours[name]));
        d.check(
            || format!("{name}: printer columns"),
            &Value::from(uc),
            &Value::from(oc),
        );
    }
    d.assert_empty();
}

/// Walks the upstream schema; every upstream path must exist in ours with the same shape.
fn compare_schema(path: &str, u: &Value, o: &Value, d: &mut Diffs) {
    d.check(
        || format!("{path}: type"),
        field(u, "type"),
        field(o, "type"),
    );
    for key in [
        "enum",
        "format",
        "minimum",
        "maximum",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-int-or-string",
    ] {
        // Numbers may be 0 vs 0.0 depending on the emitter.
        let norm = |v: &Value| match v.as_f64() {
            Some(f) if v.is_number() => json!(f),
            _ => v.clone(),
        };
        let (uv, ov) = (norm(field(u, key)), norm(field(o, key)));
        // A format or minimum is only checked where upstream has one (ours may add e.g. int64).
        if matches!(key, "format" | "minimum" | "maximum") && uv.is_null() {
            continue;
        }
        d.check(|| format!("{path}: {key}"), &uv, &ov);
    }
    if !field(u, "pattern").is_null() && field(o, "pattern").is_null() {
        d.push(format!("{path}: upstream has a pattern, ours none"));
    }
    let set = |v: &Value| -> BTreeSet<String> {
        v.get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (ur, or) = (set(u), set(o));
    if ur != or {
        d.push(format!("{path}: required upstream {ur:?} != ours {or:?}"));
    }
    if let Some(props) = u.get("properties").and_then(Value::as_object) {
        for (key, child) in props {
            let child_path = format!("{path}.{key}");
            match o.get("properties").and_then(|p| p.get(key)) {
                Some(oc) => compare_schema(&child_path, child, oc, d),
                None => d.push(format!("{child_path}: missing in ours")),
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = u.get(key).filter(|c| c.is_object()) {
            match o.get(key).filter(|c| c.is_object()) {
                Some(oc) => compare_schema(&format!("{path}[{key}]"), child, oc, d),
                None => d.push(format!("{path}: {key} missing in ours")),
            }
        }
    }
}

#[test]
fn schemas_cover_every_upstream_field() {
    let Some(up) = upstream() else { return };
    let ours = ours();
    let mut d = Diffs::default();
    for (name, u) in &up {
        let us = &u["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let os = &ours[name]["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        compare_schema(name, us, os, &mut d);
    }
    d.assert_empty();
}

#[test]
fn schema_comparison_detects_differences() {
    // compare_schema must be able to fail, or the test using it proves nothing.
    let Some(up) = upstream() else { return };
    let u = &up["vulnerabilityreports.aquasecurity.github.io"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    let mut d = Diffs::default();
    compare_schema("same", u, u, &mut d);
    assert!(d.0.is_empty(), "{:?}", d.0);

    let mut o = u.clone();
    let report = &mut o["properties"]["report"];
    report["properties"]
        .as_object_mut()
        .expect("object")
        .remove("registry");
    report["properties"]["os"]["properties"]["eosl"]["type"] = json!("string");
    report["required"].as_array_mut().expect("array").pop();
    report["properties"]["vulnerabilities"]["items"]["properties"]["severity"]["enum"] =
        json!(["HIGH"]);
    report["properties"]["summary"]["properties"]["lowCount"]
        .as_object_mut()
        .expect("object")
        .remove("minimum");
    report["properties"]["vulnerabilities"]["items"]["properties"]["cvss"]["additionalProperties"]
        ["properties"]
        .as_object_mut()
        .expect("object")
        .remove("V3Score");
    o.as_object_mut()
        .expect("object")
        .remove("x-kubernetes-preserve-unknown-fields");
    let mut d = Diffs::default();
    compare_schema("changed", u, &o, &mut d);
    assert_eq!(d.0.len(), 7, "{:#?}", d.0);
}

/// A small OpenAPI v3 validator: enough of what the API server checks (types, required, enums,
/// minimum, unknown fields where they would be pruned) to prove that what we write is accepted.
fn validate(path: &str, schema: &Value, value: &Value, errors: &mut Vec<String>) {
    let ty = schema.get("type").and_then(Value::as_str);
    let ok = match (ty, value) {
        (None, _) => true,
        (Some("object"), Value::Object(_)) | (Some("array"), Value::Array(_)) => true,
        (Some("string"), Value::String(_)) | (Some("boolean"), Value::Bool(_)) => true,
        (Some("integer"), Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Some("number"), Value::Number(_)) => true,
        _ => false,
    };
    if !ok {
        errors.push(format!("{path}: {value} is not {ty:?}"));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{path}: {value} not in {allowed:?}"));
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) && n < min
    {
        errors.push(format!("{path}: {n} < {min}"));
    }
    match value {
        Value::Object(map) => {
            for req in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let req = req.as_str().unwrap_or_default();
                if !map.contains_key(req) {
                    errors.push(format!("{path}: required {req} missing"));
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties").filter(|a| a.is_object());
            let preserve = schema.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
            for (k, v) in map {
                match (props.and_then(|p| p.get(k)), extra) {
                    (Some(s), _) | (None, Some(s)) => {
                        validate(&format!("{path}.{k}"), s, v, errors)
                    }
                    (None, None) if preserve => {}
                    (None, None) => {
                        errors.push(format!("{path}.{k}: unknown field (would be pruned)"))
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    validate(&format!("{path}[{i}]"), s, v, errors);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn sample_reports_validate_against_upstream_and_ours() {
    let Some(up) = upstream() else { return };
    let ours = ours();
    let mut errors = Vec::new();
    let samples = samples::all();
    assert_eq!(
        samples.len(),
        24,
        "a minimal and a full sample of each of the 12 kinds"
    );
    for (crd_name, mut object) in samples {
        // The API server validates `metadata` itself; the CRD schema only says "object".
        assert!(object["metadata"].is_object(), "{crd_name}: metadata");
        object.as_object_mut().expect("object").remove("metadata");
        for (which, crds) in [("upstream", &up), ("ours", &ours)] {
            let schema = &crds[&crd_name]["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
            let before = errors.len();
            validate(&format!("{which}:{crd_name}"), schema, &object, &mut errors);
            if errors.len() > before {
                errors.push(format!("  object: {object}"));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn validator_rejects_broken_objects() {
    // The validator above must be able to fail, or the test using it proves nothing.
    let Some(up) = upstream() else { return };
    let schema = &up["vulnerabilityreports.aquasecurity.github.io"]["spec"]["versions"][0]["schema"]
        ["openAPIV3Schema"];
    let (_, mut good) = samples::all()
        .into_iter()
        .find(|(n, _)| n.starts_with("vulnerabilityreports"))
        .expect("sample");
    good.as_object_mut().expect("object").remove("metadata");
    let mut errors = Vec::new();
    validate("good", schema, &good, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    good["report"]["summary"]
        .as_object_mut()
        .expect("object")
        .remove("criticalCount");
    good["report"]["os"]["eosl"] = json!("yes");
    validate("bad", schema, &good, &mut errors);
    assert_eq!(errors.len(), 2, "{errors:?}");
}

/// Report objects built from our types, as the operator will build them.
mod samples {
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;
    use palisade_crds::audit::*;
    use palisade_crds::common::*;
    use palisade_crds::compliance::*;
    use palisade_crds::sbom::*;
    use palisade_crds::secret::*;
    use palisade_crds::vulnerability::*;
    use serde_json::Value;

    fn time() -> Time {
        Time(Timestamp::from_second(1_700_000_000).expect("valid timestamp"))
    }

    fn to_json<T: serde::Serialize>(crd_name: &str, v: &T) -> (String, Value) {
        (
            crd_name.to_owned(),
            serde_json::to_value(v).expect("serializable"),
        )
    }

    fn vuln(full: bool) -> VulnerabilityReportData {
        let vulnerabilities = if full {
            vec![Vulnerability {
                vulnerability_id: "CVE-2024-0001".into(),
                resource: "libc6".into(),
                installed_version: "2.36-9".into(),
                fixed_version: "2.36-9+deb12u4".into(),
                published_date: "2024-01-01T00:00:00Z".into(),
                last_modified_date: "".into(),
                severity: Severity::High,
                title: "t".into(),
                primary_link: "https://example.invalid/CVE-2024-0001".into(),
                links: vec!["https://example.invalid/a".into()],
                score: Some(7.5),
                target: "x".into(),
                description: "d".into(),
                cvss: BTreeMap::from([(
                    "nvd".into(),
                    CvssScores {
                        v3_score: Some(7.5),
                        v3_vector: "CVSS:3.1/AV:N".into(),
                        ..Default::default()
                    },
                )]),
                cvsssource: "nvd".into(),
                class: "os-pkgs".into(),
                package_type: "debian".into(),
                package_path: "p".into(),
                package_purl: "pkg:deb/debian/libc6@2.36-9".into(),
            }]
        } else {
            vec![]
        };
        VulnerabilityReportData {
            update_timestamp: time(),
            scanner: Scanner::trivy("0.72.0"),
            registry: Registry {
                server: if full {
                    "index.docker.io".into()
                } else {
                    String::new()
                },
            },
            artifact: Artifact {
                repository: "library/debian".into(),
                tag: if full { "12".into() } else { String::new() },
                digest: if full {
                    "sha256:00".into()
                } else {
                    String::new()
                },
                mime_type: String::new(),
            },
            os: Os {
                family: "debian".into(),
                name: "12.5".into(),
                eosl: full,
            },
            summary: VulnerabilitySummary::count(&vulnerabilities),
            vulnerabilities,
        }
    }

    fn secret(full: bool) -> ExposedSecretReportData {
        let secrets = if full {
            vec![ExposedSecret {
                target: "/app/.env".into(),
                rule_id: "aws-access-key-id".into(),
                title: "AWS Access Key ID".into(),
                category: "AWS".into(),
                severity: SecretSeverity::Critical,
                match_: "KEY=****".into(),
            }]
        } else {
            vec![]
        };
        ExposedSecretReportData {
            update_timestamp: time(),
            scanner: Scanner::trivy("0.72.0"),
            registry: Registry::default(),
            artifact: Artifact::default(),
            summary: SeveritySummary::count_secrets(&secrets),
            secrets,
        }
    }

    fn sbom(full: bool) -> SbomReportData {
        let component = Component {
            bom_ref: "pkg:deb/debian/libc6@2.36-9".into(),
            type_: "library".into(),
            name: "libc6".into(),
            group: "g".into(),
            version: "2.36-9".into(),
            purl: "pkg:deb/debian/libc6@2.36-9".into(),
            supplier: Some(Supplier {
                name: "Debian".into(),
                url: vec!["https://example.invalid".into()],
                contact: vec![Contact {
                    name: "n".into(),
                    email: "e@example.invalid".into(),
                    phone: "1".into(),
                }],
            }),
            hashes: vec![Hash {
                alg: "SHA-256".into(),
                content: "00".into(),
            }],
            licenses: vec![LicenseChoice {
                license: Some(License {
                    id: "MIT".into(),
                    name: "MIT".into(),
                    url: "u".into(),
                }),
                expression: String::new(),
            }],
            properties: vec![Property {
                name: "aquasecurity:trivy:PkgType".into(),
                value: "debian".into(),
            }],
        };
        let bom = if full {
            Bom {
                bom_format: "CycloneDX".into(),
                spec_version: "1.6".into(),
                serial_number: "urn:uuid:0".into(),
                version: 1,
                metadata: Some(BomMetadata {
                    timestamp: "2024-01-01T00:00:00Z".into(),
                    tools: Some(BomTools {
                        components: vec![component.clone()],
                    }),
                    component: Some(component.clone()),
                }),
                components: vec![component],
                dependencies: vec![Dependency {
                    ref_: "a".into(),
                    depends_on: vec!["b".into()],
                }],
            }
        } else {
            Bom {
                bom_format: "CycloneDX".into(),
                spec_version: "1.6".into(),
                ..Default::default()
            }
        };
        SbomReportData {
            update_timestamp: time(),
            scanner: Scanner::trivy("0.72.0"),
            registry: Registry::default(),
            artifact: Artifact::default(),
            summary: SbomSummary::of(&bom),
            components: bom,
        }
    }

    fn checks(full: bool) -> Vec<Check> {
        if !full {
            return vec![];
        }
        vec![Check {
            check_id: "KSV001".into(),
            severity: "MEDIUM".into(),
            success: false,
            title: "t".into(),
            description: "d".into(),
            category: "Kubernetes Security Check".into(),
            messages: vec!["m".into()],
            remediation: "r".into(),
            scope: Some(CheckScope {
                type_: "Container".into(),
                value: "app".into(),
            }),
        }]
    }

    fn config(full: bool) -> ConfigAuditReportData {
        let checks = checks(full);
        ConfigAuditReportData {
            update_timestamp: full.then(time),
            scanner: Scanner::trivy("0.32.0"),
            summary: SeveritySummary::count_failed(&checks),
            checks,
        }
    }

    fn assessment(full: bool) -> AssessmentReportData {
        let checks = checks(full);
        AssessmentReportData {
            scanner: Scanner::trivy("0.32.0"),
            summary: SeveritySummary::count_failed(&checks),
            checks,
        }
    }

    fn compliance(full: bool) -> ClusterComplianceReport {
        let spec = ComplianceReportSpec {
            cron: "0 */6 * * *".into(),
            report_type: if full {
                ReportType::All
            } else {
                ReportType::Summary
            },
            compliance: Compliance {
                id: "k8s-cis-1.23".into(),
                title: "CIS".into(),
                description: "d".into(),
                version: "1.23".into(),
                platform: "k8s".into(),
                type_: "cis".into(),
                related_resources: vec!["https://example.invalid".into()],
                controls: vec![Control {
                    id: "1.1.1".into(),
                    name: "n".into(),
                    description: "d".into(),
                    checks: vec![SpecCheck {
                        id: "AVD-KSV-0012".into(),
                    }],
                    commands: vec![Command {
                        id: "CMD-0001".into(),
                    }],
                    severity: Severity::High,
                    default_status: full.then_some(ControlStatus::Fail),
                }],
            },
        };
        let mut report = ClusterComplianceReport::new("k8s-cis-1.23", spec);
        if full {
            report.status = Some(ComplianceReportStatus {
                update_timestamp: time(),
                summary: Some(ComplianceSummary {
                    fail_count: 1,
                    pass_count: 2,
                }),
                summary_report: Some(SummaryReport {
                    id: "k8s-cis-1.23".into(),
                    title: "CIS".into(),
                    control_check: vec![ControlCheckSummary {
                        id: "1.1.1".into(),
                        name: "n".into(),
                        severity: "HIGH".into(),
                        total_fail: 1,
                    }],
                }),
                detail_report: Some(DetailReport {
                    id: "k8s-cis-1.23".into(),
                    title: "CIS".into(),
                    description: "d".into(),
                    version: "1.23".into(),
                    related_version: vec!["1.23".into()],
                    results: vec![ControlCheckResult {
                        id: "1.1.1".into(),
                        name: "n".into(),
                        description: "d".into(),
                        severity: "HIGH".into(),
                        status: "FAIL".into(),
                        checks: vec![ComplianceCheck {
                            check_id: "KSV012".into(),
                            target: "t".into(),
                            title: "t".into(),
                            description: "d".into(),
                            severity: "HIGH".into(),
                            category: "c".into(),
                            messages: vec!["m".into()],
                            remediation: "r".into(),
                            success: false,
                        }],
                    }],
                }),
            });
        }
        report
    }

    /// (CRD name, object) for a minimal and a full object of every kind.
    pub fn all() -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for full in [false, true] {
            out.extend([
                to_json(
                    "vulnerabilityreports.aquasecurity.github.io",
                    &VulnerabilityReport::new("r", VulnerabilityReportBody { report: vuln(full) }),
                ),
                to_json(
                    "clustervulnerabilityreports.aquasecurity.github.io",
                    &ClusterVulnerabilityReport::new(
                        "r",
                        ClusterVulnerabilityReportBody { report: vuln(full) },
                    ),
                ),
                to_json(
                    "exposedsecretreports.aquasecurity.github.io",
                    &ExposedSecretReport::new(
                        "r",
                        ExposedSecretReportBody {
                            report: secret(full),
                        },
                    ),
                ),
                to_json(
                    "sbomreports.aquasecurity.github.io",
                    &SbomReport::new("r", SbomReportBody { report: sbom(full) }),
                ),
                to_json(
                    "clustersbomreports.aquasecurity.github.io",
                    &ClusterSbomReport::new("r", ClusterSbomReportBody { report: sbom(full) }),
                ),
                to_json(
                    "configauditreports.aquasecurity.github.io",
                    &ConfigAuditReport::new(
                        "r",
                        ConfigAuditReportBody {
                            report: config(full),
                        },
                    ),
                ),
                to_json(
                    "clusterconfigauditreports.aquasecurity.github.io",
                    &ClusterConfigAuditReport::new(
                        "r",
                        ClusterConfigAuditReportBody {
                            report: config(full),
                        },
                    ),
                ),
                to_json(
                    "rbacassessmentreports.aquasecurity.github.io",
                    &RbacAssessmentReport::new(
                        "r",
                        RbacAssessmentReportBody {
                            report: assessment(full),
                        },
                    ),
                ),
                to_json(
                    "clusterrbacassessmentreports.aquasecurity.github.io",
                    &ClusterRbacAssessmentReport::new(
                        "r",
                        ClusterRbacAssessmentReportBody {
                            report: assessment(full),
                        },
                    ),
                ),
                to_json(
                    "infraassessmentreports.aquasecurity.github.io",
                    &InfraAssessmentReport::new(
                        "r",
                        InfraAssessmentReportBody {
                            report: assessment(full),
                        },
                    ),
                ),
                to_json(
                    "clusterinfraassessmentreports.aquasecurity.github.io",
                    &ClusterInfraAssessmentReport::new(
                        "r",
                        ClusterInfraAssessmentReportBody {
                            report: assessment(full),
                        },
                    ),
                ),
                to_json(
                    "clustercompliancereports.aquasecurity.github.io",
                    &compliance(full),
                ),
            ]);
        }
        out
    }
}
