//! The kubectl commands Trivy Operator's users run (DEVELOPERS.md) work against Palisade's CRDs,
//! served by the project's test API server and queried with the real `/usr/bin/kubectl`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const KUBECTL: &str = "/usr/bin/kubectl";
const IMAGE: &str = "ghcr.io/palisade/palisade:dev";

const REPORTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Namespace
metadata: {name: trivy}
---
apiVersion: aquasecurity.github.io/v1alpha1
kind: VulnerabilityReport
metadata:
  name: replicaset-nginx-6d4cf56db6-nginx
  namespace: app
  labels:
    trivy-operator.resource.kind: ReplicaSet
    trivy-operator.resource.name: nginx-6d4cf56db6
    trivy-operator.resource.namespace: app
    trivy-operator.container.name: nginx
    app.kubernetes.io/managed-by: trivy-operator
report:
  updateTimestamp: "2026-11-26T10:00:00Z"
  scanner: {name: Trivy, vendor: Aqua Security, version: 0.1.0}
  registry: {server: index.docker.io}
  artifact: {repository: library/nginx, tag: 1.25.3, digest: "sha256:0000000000000000000000000000000000000000000000000000000000000001"}
  os: {family: debian, name: "12.4"}
  summary: {criticalCount: 2, highCount: 5, mediumCount: 7, lowCount: 11, unknownCount: 1, noneCount: 0}
  vulnerabilities:
  - vulnerabilityID: CVE-2023-4911
    resource: libc6
    installedVersion: 2.36-9
    fixedVersion: 2.36-9+deb12u3
    publishedDate: "2023-10-03T18:15:00Z"
    lastModifiedDate: "2024-01-01T00:00:00Z"
    severity: HIGH
    title: Buffer overflow in the dynamic loader's GLIBC_TUNABLES handling
    primaryLink: https://security-tracker.debian.org/tracker/CVE-2023-4911
    links: []
    target: ""
---
apiVersion: aquasecurity.github.io/v1alpha1
kind: ConfigAuditReport
metadata:
  name: replicaset-nginx-6d4cf56db6
  namespace: app
  labels:
    trivy-operator.resource.kind: ReplicaSet
    trivy-operator.resource.name: nginx-6d4cf56db6
    trivy-operator.resource.namespace: app
report:
  updateTimestamp: "2026-11-26T10:00:00Z"
  scanner: {name: Trivy, vendor: Aqua Security, version: 0.1.0}
  summary: {criticalCount: 0, highCount: 1, mediumCount: 3, lowCount: 9}
  checks: []
---
apiVersion: aquasecurity.github.io/v1alpha1
kind: ExposedSecretReport
metadata:
  name: replicaset-nginx-6d4cf56db6-nginx
  namespace: app
report:
  updateTimestamp: "2026-11-26T10:00:00Z"
  scanner: {name: Trivy, vendor: Aqua Security, version: 0.1.0}
  registry: {server: index.docker.io}
  artifact: {repository: library/nginx, tag: 1.25.3}
  summary: {criticalCount: 1, highCount: 0, mediumCount: 0, lowCount: 0}
  secrets: []
---
apiVersion: batch/v1
kind: Job
metadata:
  name: scan-vulnerabilityreport-5f4c7b9d8
  namespace: trivy
  labels: {app.kubernetes.io/managed-by: trivy-operator}
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 300
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: scan
        image: ghcr.io/palisade/palisade:dev
        args: ["--version"]
"#;

fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    assert!(
        Path::new(KUBECTL).exists(),
        "{KUBECTL} is missing: these tests need the real kubectl (Debian package kubectl)"
    );
    let out = Command::new(KUBECTL)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .expect("running kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows of a kubectl table as whitespace-separated cells, with the AGE cell (whose value
/// depends on timing) replaced by `<age>`.
fn rows(text: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect();
    let age = header.iter().position(|h| h == "AGE");
    let mut out = vec![header];
    for l in lines {
        let mut cells: Vec<String> = l.split_whitespace().map(String::from).collect();
        if let Some(i) = age {
            assert!(
                cells[i].chars().next().is_some_and(|c| c.is_ascii_digit()),
                "AGE cell looks wrong in {l:?}"
            );
            cells[i] = "<age>".into();
        }
        out.push(cells);
    }
    out
}

fn table(rows: &[&str]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.split_whitespace().map(String::from).collect())
        .collect()
}

#[test]
fn developers_md_kubectl_commands() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut config = palisade_apiserver::Config {
        kubeconfig: Some(dir.path().join("kubeconfig")),
        ..Default::default()
    };
    config
        .image_commands
        .insert(IMAGE.to_string(), vec![common::bin().to_string()]);
    let server = runtime.block_on(palisade_apiserver::serve(config)).unwrap();
    let kc = server.kubeconfig().to_path_buf();

    let crds = common::palisade(&["crds"]);
    assert!(crds.status.success(), "{}", common::stderr(&crds));
    let crd_file = dir.path().join("crds.yaml");
    std::fs::write(&crd_file, &crds.stdout).unwrap();
    kubectl(&kc, &["apply", "-f", crd_file.to_str().unwrap()]);
    let reports = dir.path().join("reports.yaml");
    std::fs::write(&reports, REPORTS).unwrap();
    kubectl(&kc, &["apply", "-f", reports.to_str().unwrap()]);

    // kubectl get crd | grep aquasecurity
    let crd_rows = kubectl(&kc, &["get", "crd"]);
    let ours: Vec<&str> = crd_rows
        .lines()
        .filter(|l| l.contains("aquasecurity"))
        .collect();
    assert_eq!(ours.len(), 12, "{crd_rows}");
    assert!(
        ours.iter()
            .any(|l| l.starts_with("vulnerabilityreports.aquasecurity.github.io "))
    );

    assert_eq!(
        rows(&kubectl(&kc, &["get", "vulnerabilityreports", "-A"])),
        table(&[
            "NAMESPACE NAME REPOSITORY TAG SCANNER AGE",
            "app replicaset-nginx-6d4cf56db6-nginx library/nginx 1.25.3 Trivy <age>",
        ])
    );
    assert_eq!(
        rows(&kubectl(&kc, &["get", "vulns", "-A", "-o", "wide"])),
        table(&[
            "NAMESPACE NAME REPOSITORY TAG SCANNER AGE CRITICAL HIGH MEDIUM LOW UNKNOWN",
            "app replicaset-nginx-6d4cf56db6-nginx library/nginx 1.25.3 Trivy <age> 2 5 7 11 1",
        ])
    );
    let custom = kubectl(
        &kc,
        &[
            "get",
            "vulnerabilityreports",
            "-A",
            "-o",
            "custom-columns=NS:.metadata.namespace,NAME:.metadata.name,CRITICAL:.report.summary.criticalCount,HIGH:.report.summary.highCount",
        ],
    );
    assert_eq!(
        rows(&custom),
        table(&[
            "NS NAME CRITICAL HIGH",
            "app replicaset-nginx-6d4cf56db6-nginx 2 5"
        ])
    );
    let described = kubectl(
        &kc,
        &[
            "describe",
            "vulnerabilityreport",
            "replicaset-nginx-6d4cf56db6-nginx",
            "-n",
            "app",
        ],
    );
    for needle in [
        "Name:         replicaset-nginx-6d4cf56db6-nginx",
        "Namespace:    app",
        "Kind:         VulnerabilityReport",
        "trivy-operator.container.name=nginx",
        "Critical Count:",
        "Vulnerability ID:",
        "CVE-2023-4911",
    ] {
        assert!(
            described.contains(needle),
            "describe lacks {needle:?}:\n{described}"
        );
    }
    assert_eq!(
        rows(&kubectl(&kc, &["get", "configauditreports", "-A"])),
        table(&[
            "NAMESPACE NAME SCANNER AGE",
            "app replicaset-nginx-6d4cf56db6 Trivy <age>"
        ])
    );
    assert_eq!(
        rows(&kubectl(&kc, &["get", "exposedsecretreports", "-A"])),
        table(&[
            "NAMESPACE NAME REPOSITORY TAG SCANNER AGE",
            "app replicaset-nginx-6d4cf56db6-nginx library/nginx 1.25.3 Trivy <age>",
        ])
    );

    // kubectl get jobs -A | grep <scan jobs> ; kubectl logs -n <ns> job/<scan job>
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let jobs = kubectl(&kc, &["get", "jobs", "-A"]);
        let line = jobs
            .lines()
            .find(|l| l.contains("scan-vulnerabilityreport-5f4c7b9d8"));
        if let Some(l) = line
            && l.contains("Complete")
        {
            let cells: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(
                &cells[..4],
                [
                    "trivy",
                    "scan-vulnerabilityreport-5f4c7b9d8",
                    "Complete",
                    "1/1"
                ],
                "{jobs}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the scan job never completed:\n{jobs}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let logs = kubectl(
        &kc,
        &[
            "logs",
            "-n",
            "trivy",
            "job/scan-vulnerabilityreport-5f4c7b9d8",
        ],
    );
    assert_eq!(
        logs.trim(),
        format!("palisade {}", env!("CARGO_PKG_VERSION"))
    );

    runtime.block_on(server.shutdown());
}
