//! `palisade operator` end to end: the project's test API server (standing in for a cluster, its
//! Job runner running scan Jobs as local `palisade` processes), real registries (Debian's
//! `docker-registry`), real images, the real `/usr/bin/kubectl`, and the operator as a child
//! process, exactly as a user would run it.
//!
//! Needs the test images and registries of `scripts/test.sh` (skips with a message without
//! them), and `docker-registry` + `skopeo` for the tests' own private registries.

#[path = "common/cluster.rs"]
mod cluster;
mod common;

use cluster::*;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// ------------------------------------------------------------------ registries and images

/// A private `docker-registry` on a free port (tests stop and restart it), killed on drop.
struct Registry {
    addr: String,
    config: PathBuf,
    child: Option<Child>,
}

impl Registry {
    fn start(dir: &Path) -> Registry {
        for tool in ["/usr/bin/docker-registry", "/usr/bin/skopeo"] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: install the Debian packages docker-registry and skopeo (CI does)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.join("registry.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}, delete: {{enabled: true}}}}\nhttp: {{addr: {addr}}}\n",
                dir.join("registry-data").display()
            ),
        )
        .expect("registry config");
        let mut r = Registry {
            addr,
            config,
            child: None,
        };
        r.restart();
        r
    }

    fn restart(&mut self) {
        let mut cmd = Command::new("/usr/bin/docker-registry");
        // docker-registry reads REGISTRY_* variables as configuration overrides (scripts/
        // registry.sh's REGISTRY_AUTH_PORT would become auth.port): start it without them.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("REGISTRY_") {
                cmd.env_remove(k);
            }
        }
        let child = cmd
            .arg("serve")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&self.addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not listen on {}",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A one-layer Debian-like OCI image layout: `/etc/os-release` and a dpkg status database with
/// `packages` (name, version, source). `corrupt` makes the layer blob garbage (valid digest,
/// not gzip).
fn make_image(
    dir: &Path,
    name: &str,
    packages: &[(String, String, String)],
    corrupt: bool,
) -> PathBuf {
    let layout = dir.join(format!("layout-{name}"));
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |data: &[u8]| -> String {
        let d = sha256_hex(data);
        std::fs::write(blobs.join(&d), data).expect("blob");
        format!("sha256:{d}")
    };
    let mut status = String::new();
    for (p, v, src) in packages {
        status.push_str(&format!(
            "Package: {p}\nStatus: install ok installed\nPriority: optional\nSection: misc\nInstalled-Size: 1\nMaintainer: Test <t@example.org>\nArchitecture: amd64\n{}Version: {v}\nDescription: test package {name}\n\n",
            if src.is_empty() || src == p { String::new() } else { format!("Source: {src}\n") }
        ));
    }
    let os_release = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n";
    let mut tar = tar::Builder::new(Vec::new());
    for (path, content) in [
        ("etc/os-release", os_release.as_bytes()),
        ("var/lib/dpkg/status", status.as_bytes()),
        ("etc/image-name", name.as_bytes()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        tar.append_data(&mut h, path, content).expect("tar");
    }
    let tar = tar.into_inner().expect("tar");
    let diff_id = format!("sha256:{}", sha256_hex(&tar));
    let layer = if corrupt {
        format!("this is not a gzip stream but claims to be one ({name})")
            .repeat(64)
            .into_bytes()
    } else {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).expect("gzip");
        gz.finish().expect("gzip")
    };
    let layer_digest = put(&layer);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]}
    }))
    .expect("json");
    let config_digest = put(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}]
    }))
    .expect("json");
    let manifest_digest = put(&manifest);
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("layout");
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
            "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
        .expect("json"),
    )
    .expect("index");
    layout
}

/// Copies an OCI layout (tag `latest`) to `docker://reference`.
fn push(layout: &Path, reference: &str) {
    let out = Command::new("/usr/bin/skopeo")
        .args([
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            &format!("oci:{}:latest", layout.display()),
            &format!("docker://{reference}"),
        ])
        .output()
        .expect("skopeo");
    assert!(
        out.status.success(),
        "skopeo copy to {reference} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// glibc as in Debian 12.0, which the OSV fixtures have findings for.
fn old_glibc() -> Vec<(String, String, String)> {
    vec![
        ("libc6".into(), "2.36-9".into(), "glibc".into()),
        ("libc-bin".into(), "2.36-9".into(), "glibc".into()),
    ]
}
/// A database from a subset of the OSV fixtures.
fn subset_db(dir: &Path, name: &str, keep: impl Fn(&str) -> bool) -> PathBuf {
    let src = dir.join(format!("osv-{name}"));
    std::fs::create_dir_all(&src).expect("mkdir");
    for e in std::fs::read_dir(common::fixtures_dir()).expect("fixtures") {
        let e = e.expect("entry");
        let n = e.file_name().to_string_lossy().into_owned();
        if keep(&n) {
            std::fs::copy(e.path(), src.join(&n)).expect("copy");
        }
    }
    let db = dir.join(format!("{name}.db"));
    let out = common::palisade(&[
        "db",
        "build",
        "--osv",
        src.to_str().expect("utf-8"),
        "--db",
        db.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    db
}

// ------------------------------------------------------------------ tests

/// Three workloads, two on the same image: two scan Jobs, correct reports for all three, the
/// kubectl views users rely on, image changes, deletions, and a deleted report coming back.
#[test]
fn scans_once_per_image_and_keeps_reports_current() {
    let Some(_) = common::images() else { return };
    let registry = common::env("PALISADE_TEST_REGISTRY");
    let aged = format!("{registry}/palisade-test/aged:latest");
    let minbase = format!("{registry}/palisade-test/minbase:latest");
    let layers = format!("{registry}/palisade-test/layers:latest");
    let c = Cluster::start(&[&registry]);
    let db = common::fixture_db();
    for (name, image) in [("alpha", &aged), ("beta", &aged), ("gamma", &minbase)] {
        c.apply(&deployment(name, image));
    }
    let op = c.operator(db, &[]);
    let reports = wait("three VulnerabilityReports", 120, &op, || {
        let r = c.reports("VulnerabilityReport", "apps");
        (r.len() == 3).then_some(r)
    });
    wait("three SbomReports", 60, &op, || {
        (c.reports("SbomReport", "apps").len() == 3).then_some(())
    });
    assert_eq!(
        c.jobs_created(),
        2,
        "one scan Job per image, not per workload"
    );

    let expected_aged = cli_findings(db, &aged);
    assert!(
        !expected_aged.is_empty(),
        "the aged image has findings in the fixtures"
    );
    for r in &reports {
        let name = r["metadata"]["name"].as_str().unwrap_or_default();
        let labels = &r["metadata"]["labels"];
        assert_eq!(
            labels["trivy-operator.resource.kind"], "ReplicaSet",
            "{name}"
        );
        assert_eq!(labels["trivy-operator.container.name"], "app");
        assert_eq!(labels["app.kubernetes.io/managed-by"], "trivy-operator");
        let owner = &r["metadata"]["ownerReferences"][0];
        assert_eq!(
            (owner["kind"].as_str(), owner["controller"].as_bool()),
            (Some("ReplicaSet"), Some(true))
        );
        assert_eq!(
            format!(
                "replicaset-{}-app",
                owner["name"].as_str().unwrap_or_default()
            ),
            name
        );
        let rep = &r["report"];
        assert_eq!(rep["registry"]["server"], registry.as_str());
        assert_eq!(rep["artifact"]["tag"], "latest");
        assert!(
            rep["artifact"]["digest"]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:"))
        );
        assert_eq!(rep["os"]["family"], "debian");
        let found = report_findings(r);
        let summary = &rep["summary"];
        let total: u64 = [
            "criticalCount",
            "highCount",
            "mediumCount",
            "lowCount",
            "unknownCount",
        ]
        .iter()
        .map(|k| summary[k].as_u64().unwrap_or(0))
        .sum();
        assert_eq!(
            total as usize,
            found.len(),
            "summary counts every finding of {name}"
        );
        if name.starts_with("replicaset-gamma") {
            assert_eq!(rep["artifact"]["repository"], "palisade-test/minbase");
            assert_eq!(found, cli_findings(db, &minbase));
        } else {
            assert_eq!(rep["artifact"]["repository"], "palisade-test/aged");
            assert_eq!(found, expected_aged, "{name}");
        }
    }
    // The SbomReport lists the image's packages.
    let sboms = c.reports("SbomReport", "apps");
    let aged_count: u64 = common::env("PALISADE_TEST_AGED_DPKG_COUNT")
        .parse()
        .expect("count");
    let alpha = sboms
        .iter()
        .find(|s| {
            s["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("replicaset-alpha"))
        })
        .expect("alpha's SbomReport");
    let comps = alpha["report"]["components"]["components"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0) as u64;
    assert!(
        comps >= aged_count,
        "{comps} components for {aged_count} packages"
    );

    // The kubectl views of DEVELOPERS.md.
    let table = c.kubectl(&["get", "vulnerabilityreports", "-A"]);
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(
        table
            .lines()
            .next()
            .is_some_and(|h| h.split_whitespace().collect::<Vec<_>>()
                == ["NAMESPACE", "NAME", "REPOSITORY", "TAG", "SCANNER", "AGE"]),
        "{table}"
    );
    assert!(
        table.contains("palisade-test/aged") && table.contains("Trivy"),
        "{table}"
    );
    let custom = c.kubectl(&[
        "get", "vulnerabilityreports", "-A", "-o",
        "custom-columns=NS:.metadata.namespace,NAME:.metadata.name,CRITICAL:.report.summary.criticalCount,HIGH:.report.summary.highCount",
    ]);
    for r in &reports {
        let s = &r["report"]["summary"];
        let row = format!(
            "apps {} {} {}",
            r["metadata"]["name"].as_str().unwrap_or_default(),
            s["criticalCount"],
            s["highCount"]
        );
        assert!(
            custom
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == row),
            "{row:?} not in\n{custom}"
        );
    }
    let first = names(&reports)[0].clone();
    let described = c.kubectl(&["describe", "vulnerabilityreport", &first, "-n", "apps"]);
    assert!(
        described.contains("Vulnerability ID") || described.contains("Vulnerabilities"),
        "{described}"
    );

    // A deleted report comes back from the cached inventory, without a scan.
    c.kubectl(&["delete", "vulnerabilityreport", &first, "-n", "apps"]);
    wait("the deleted report to come back", 30, &op, || {
        names(&c.reports("VulnerabilityReport", "apps"))
            .contains(&first)
            .then_some(())
    });
    assert_eq!(
        c.jobs_created(),
        2,
        "no scan for a report rebuilt from the inventory"
    );

    // Changing gamma's image: a new ReplicaSet, a new report, the old revision's gone.
    c.apply(&deployment("gamma", &layers));
    wait(
        "gamma's report for the new image, and none for the old revision",
        120,
        &op,
        || {
            let r = c.reports("VulnerabilityReport", "apps");
            let gamma: Vec<&Value> = r
                .iter()
                .filter(|r| {
                    r["metadata"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("replicaset-gamma"))
                })
                .collect();
            (gamma.len() == 1
                && gamma[0]["report"]["artifact"]["repository"] == "palisade-test/layers")
                .then_some(())
        },
    );
    assert_eq!(c.jobs_created(), 3);

    // Deleting a workload removes its reports.
    c.kubectl(&["delete", "deployment", "alpha", "-n", "apps"]);
    wait("alpha's reports to go", 60, &op, || {
        let gone = |kind| {
            !names(&c.reports(kind, "apps"))
                .iter()
                .any(|n| n.starts_with("replicaset-alpha"))
        };
        (gone("VulnerabilityReport") && gone("SbomReport")).then_some(())
    });
    assert!(c.max_active_jobs() <= 3);
}

/// A new database re-matches in process (reports change, no Job starts), and a restarted
/// operator rescans nothing and rewrites nothing.
#[test]
fn database_update_and_restart_need_no_scans() {
    let Some(_) = common::images() else { return };
    let registry = common::env("PALISADE_TEST_REGISTRY");
    let aged = format!("{registry}/palisade-test/aged:latest");
    let c = Cluster::start(&[&registry]);
    let dir = c.dir.path().to_path_buf();
    let small = subset_db(&dir, "small", |n| !n.contains("glibc"));
    let full = subset_db(&dir, "full", |_| true);
    let live = dir.join("live.db");
    std::fs::copy(&small, &live).expect("copy db");
    c.apply(&deployment("web", &aged));
    let mut op = c.operator(&live, &[]);
    let before = wait("the first report", 120, &op, || {
        c.reports("VulnerabilityReport", "apps").into_iter().next()
    });
    assert_eq!(report_findings(&before), cli_findings(&small, &aged));
    assert!(
        !report_findings(&before)
            .iter()
            .any(|f| f.0 == "CVE-2023-4911")
    );
    assert_eq!(c.jobs_created(), 1);

    // Replace the database file (atomically, as a volume update or `palisade db build` would).
    let tmp = dir.join("live.db.new");
    std::fs::copy(&full, &tmp).expect("copy");
    std::fs::rename(&tmp, &live).expect("rename");
    let after = wait(
        "the report to show the new database's findings",
        60,
        &op,
        || {
            let r = c
                .reports("VulnerabilityReport", "apps")
                .into_iter()
                .next()?;
            report_findings(&r)
                .iter()
                .any(|f| f.0 == "CVE-2023-4911")
                .then_some(r)
        },
    );
    assert_eq!(report_findings(&after), cli_findings(&full, &aged));
    assert_eq!(c.jobs_created(), 1, "re-matching starts no Job");
    assert!(op.log().contains("re-matching"), "{}", op.log());

    // Restart: the inventory comes back from the SbomReport; nothing is scanned or rewritten.
    let versions = |kind| -> Vec<String> {
        c.reports(kind, "apps")
            .iter()
            .map(|r| {
                r["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    let (v1, s1) = (versions("VulnerabilityReport"), versions("SbomReport"));
    op.stop();
    let op = c.operator(&live, &[]);
    wait(
        "the restarted operator to read the inventory back",
        30,
        &op,
        || op.log().contains("inventory read back").then_some(()),
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(c.jobs_created(), 1, "a restart rescans nothing");
    assert_eq!(
        versions("VulnerabilityReport"),
        v1,
        "a restart rewrites nothing"
    );
    assert_eq!(versions("SbomReport"), s1);
    // And the restarted operator still serves: a deleted report is rebuilt without a scan.
    c.kubectl(&["delete", "vulnerabilityreports", "--all", "-n", "apps"]);
    wait("the report to be rebuilt", 30, &op, || {
        (!c.reports("VulnerabilityReport", "apps").is_empty()).then_some(())
    });
    assert_eq!(c.jobs_created(), 1);
}

/// With the registry down scans fail, are retried after the delay, and succeed once it is back;
/// the failure shows as an Event on the workload and in the log.
#[test]
fn failed_scans_are_retried_until_the_registry_is_back() {
    let Some(images) = common::images() else {
        return;
    };
    let mut reg = Registry::start(&tempfile::tempdir().expect("tmp").keep());
    let image = format!("{}/outage/app:1", reg.addr);
    push(&images.join("oci/minbase"), &image);
    let c = Cluster::start(&[&reg.addr]);
    c.apply(&deployment("web", &image));
    // Wait until the kubelet stand-in resolved the digest, then take the registry away.
    let pod_running = || {
        let pods = c.kubectl(&["get", "pods", "-n", "apps", "-o", "json"]);
        let v: Value = serde_json::from_str(&pods).ok()?;
        v["items"][0]["status"]["containerStatuses"][0]["imageID"]
            .as_str()
            .filter(|s| s.contains("@sha256:"))
            .map(str::to_owned)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while pod_running().is_none() {
        assert!(Instant::now() < deadline, "the pod never got an imageID");
        std::thread::sleep(Duration::from_millis(200));
    }
    reg.stop();
    let op = c.operator(common::fixture_db(), &[]);
    wait("a ScanFailed Event on the workload", 60, &op, || {
        let e = c.events("apps", "ScanFailed");
        e.into_iter().find(|e| {
            e.involved_object.kind.as_deref() == Some("ReplicaSet")
                && e.message
                    .as_deref()
                    .is_some_and(|m| m.contains("retrying in"))
        })
    });
    // The failed Job stays until its retry, and its log says why, for `kubectl logs` users.
    let job = wait("the failed scan Job", 30, &op, || {
        let out = c.kubectl(&["get", "jobs", "-n", OP_NS, "-o", "name"]);
        out.lines()
            .find(|l| l.contains("scan-vulnerabilityreport-"))
            .map(str::to_owned)
    });
    let logs = wait("the failed Job's log", 30, &op, || {
        let out = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(&c.kubeconfig)
            .args(["logs", "-n", OP_NS, &job])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.contains("error").then_some(text)
    });
    assert!(logs.contains(&image.replace(":1", "")), "{logs}");
    assert!(logs.contains("pulling"), "progress is logged too: {logs}");
    wait("a retry", 30, &op, || (c.jobs_created() >= 2).then_some(()));
    assert!(op.log().contains("scan failed"), "{}", op.log());
    assert!(c.reports("VulnerabilityReport", "apps").is_empty());
    // No report while the registry is down (checked just above); one once it is back. Which
    // Job writes it is a matter of timing: a retry created just before the restart may be
    // the one that succeeds, so the Job count proves nothing more here.
    reg.restart();
    wait("the report once the registry is back", 60, &op, || {
        (!c.reports("VulnerabilityReport", "apps").is_empty()).then_some(())
    });
    // The scan Job's log says what went wrong, for `kubectl logs job/...` users.
    assert!(
        op.log().contains("PullFailed") || op.log().contains("pull"),
        "{}",
        op.log()
    );
}

/// Twenty workloads on twenty images with a limit of three: never more than three unfinished
/// scan Jobs at once (seen from a watch), and every workload gets its report.
#[test]
fn concurrency_limit_holds() {
    let Some(_) = common::images() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let reg = Registry::start(tmp.path());
    let mut refs = Vec::new();
    for i in 0..20 {
        let mut pkgs = old_glibc();
        pkgs.push((format!("pkg{i}"), format!("1.{i}-1"), String::new()));
        let layout = make_image(tmp.path(), &format!("img{i}"), &pkgs, false);
        let r = format!("{}/many/img{i}:1", reg.addr);
        push(&layout, &r);
        refs.push(r);
    }
    let c = Cluster::start(&[&reg.addr]);
    for (i, r) in refs.iter().enumerate() {
        c.apply(&deployment(&format!("w{i}"), r));
    }
    let op = c.operator(common::fixture_db(), &["--concurrent-scan-jobs-limit", "3"]);
    wait("twenty reports", 240, &op, || {
        (c.reports("VulnerabilityReport", "apps").len() == 20).then_some(())
    });
    assert_eq!(c.jobs_created(), 20);
    let max = c.max_active_jobs();
    assert!(max <= 3, "{max} scan Jobs ran at once");
    assert!(max >= 2, "the limit allows parallel scans ({max})");
    // Every report has the glibc findings.
    for r in c.reports("VulnerabilityReport", "apps") {
        assert!(
            report_findings(&r).iter().any(|f| f.0 == "CVE-2023-4911"),
            "{}",
            r["metadata"]["name"]
        );
    }
}

/// An image that cannot be pulled, a corrupt layer, an enormous SBOM and a malformed report
/// already in the cluster: each gets an Event and a log line, and everyone else is served.
#[test]
fn hostile_inputs_do_not_stop_the_operator() {
    let Some(_) = common::images() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let reg = Registry::start(tmp.path());
    let good = make_image(tmp.path(), "good", &old_glibc(), false);
    push(&good, &format!("{}/hostile/good:1", reg.addr));
    let corrupt = make_image(tmp.path(), "corrupt", &old_glibc(), true);
    push(&corrupt, &format!("{}/hostile/corrupt:1", reg.addr));
    let mut huge_pkgs = old_glibc();
    for i in 0..60_000 {
        huge_pkgs.push((
            format!("bulk-package-number-{i}"),
            format!("1.0.{i}-1"),
            String::new(),
        ));
    }
    let huge = make_image(tmp.path(), "huge", &huge_pkgs, false);
    push(&huge, &format!("{}/hostile/huge:1", reg.addr));
    let c = Cluster::start(&[&reg.addr]);
    let missing = format!("{}/hostile/missing@sha256:{}", reg.addr, "0".repeat(64));
    c.apply(&deployment("good", &format!("{}/hostile/good:1", reg.addr)));
    c.apply(&deployment(
        "corrupt",
        &format!("{}/hostile/corrupt:1", reg.addr),
    ));
    c.apply(&deployment("huge", &format!("{}/hostile/huge:1", reg.addr)));
    c.apply(&deployment("missing", &missing));
    // A malformed report squatting on the name the good workload's report will have.
    let rs = wait_rs(&c, "good");
    c.apply(&format!(
        "apiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata:\n  name: replicaset-{rs}-app\n  namespace: apps\n  labels: {{app.kubernetes.io/managed-by: trivy-operator, trivy-operator.resource.kind: ReplicaSet, trivy-operator.resource.name: {rs}, trivy-operator.resource.namespace: apps, trivy-operator.container.name: app}}\nreport: {{summary: \"not an object\", vulnerabilities: 42}}\n"
    ));
    let op = c.operator(common::fixture_db(), &[]);
    let good_report = wait(
        "the good workload's report to replace the malformed one",
        120,
        &op,
        || {
            c.reports("VulnerabilityReport", "apps")
                .into_iter()
                .find(|r| {
                    r["metadata"]["name"] == format!("replicaset-{rs}-app")
                        && r["report"]["summary"].is_object()
                })
        },
    );
    assert!(
        report_findings(&good_report)
            .iter()
            .any(|f| f.0 == "CVE-2023-4911")
    );
    let failed = wait(
        "ScanFailed Events for the corrupt and the missing image",
        120,
        &op,
        || {
            let e = c.events("apps", "ScanFailed");
            let about = |w: &str| {
                e.iter().any(|e| {
                    e.involved_object
                        .name
                        .as_deref()
                        .is_some_and(|n| n.starts_with(w))
                })
            };
            (about("corrupt") && about("missing")).then_some(e)
        },
    );
    for e in &failed {
        assert!(
            e.message.as_deref().is_some_and(|m| m.contains("failed")),
            "{e:?}"
        );
    }
    let huge_report = wait("the enormous image's capped SbomReport", 240, &op, || {
        c.reports("SbomReport", "apps").into_iter().find(|r| {
            r["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("replicaset-huge"))
        })
    });
    let size = serde_json::to_vec(&huge_report["report"])
        .expect("json")
        .len();
    assert!(size <= 1 << 20, "SbomReport report is {size} bytes");
    assert!(huge_report["metadata"]["annotations"]["palisade.dev/truncated"].is_string());
    assert_eq!(
        huge_report["report"]["summary"]["componentsCount"]
            .as_u64()
            .map(|n| n > 60_000),
        Some(true)
    );
    wait("a ReportTruncated Event", 30, &op, || {
        (!c.events("apps", "ReportTruncated").is_empty()).then_some(())
    });
    let log = op.log();
    assert!(log.contains("scan failed"), "{log}");
    // The operator is still alive and serving.
    assert!(op.alive());
    c.kubectl(&[
        "delete",
        "vulnerabilityreport",
        &format!("replicaset-{rs}-app"),
        "-n",
        "apps",
    ]);
    wait("the good report to come back", 30, &op, || {
        c.reports("VulnerabilityReport", "apps")
            .into_iter()
            .any(|r| r["metadata"]["name"] == format!("replicaset-{rs}-app"))
            .then_some(())
    });
}

/// The ReplicaSet name of a Deployment, once it exists.
fn wait_rs(c: &Cluster, deployment: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = c.kubectl(&["get", "replicasets", "-n", "apps", "-o", "json"]);
        let v: Value = serde_json::from_str(&out).expect("json");
        if let Some(name) = v["items"].as_array().and_then(|items| {
            items.iter().find_map(|i| {
                let n = i["metadata"]["name"].as_str()?;
                n.starts_with(&format!("{deployment}-"))
                    .then(|| n.to_owned())
            })
        }) {
            return name;
        }
        assert!(Instant::now() < deadline, "no ReplicaSet for {deployment}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

/// Registry credentials come from the workload's imagePullSecrets and from its ServiceAccount's:
/// copied into the Job's Secret by default, mounted directly with same-namespace Jobs (where the
/// Jobs then run). A workload without credentials gets a clear Unauthorized failure. The health
/// endpoints answer.
#[test]
fn pull_secrets_in_both_job_modes() {
    let Some(_) = common::images() else { return };
    let auth_registry = common::env("PALISADE_TEST_AUTH_REGISTRY");
    let auth_file = std::fs::read(common::env("PALISADE_TEST_AUTH_FILE")).expect("auth file");
    let b64 = |b: &[u8]| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    let pinned = |name: &str| {
        let digest = common::env(&format!("PALISADE_TEST_{}_DIGEST", name.to_uppercase()));
        format!("{auth_registry}/palisade-test/{name}@{digest}")
    };
    for same_namespace in [false, true] {
        let c = Cluster::start(&[]);
        c.apply(&format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: regcred, namespace: apps}}\ntype: kubernetes.io/dockerconfigjson\ndata: {{.dockerconfigjson: {0}}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: sa-regcred, namespace: apps}}\ntype: kubernetes.io/dockerconfigjson\ndata: {{.dockerconfigjson: {0}}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: puller, namespace: apps}}\nimagePullSecrets: [{{name: sa-regcred}}]\n",
            b64(&auth_file)
        ));
        let workload = |name: &str, image: &str, pod_extra: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{pod_extra}      containers:\n      - {{name: app, image: \"{image}\"}}\n"
            )
        };
        c.apply(&workload(
            "direct",
            &pinned("minbase"),
            "      imagePullSecrets: [{name: regcred}]\n",
        ));
        c.apply(&workload(
            "via-sa",
            &pinned("layers"),
            "      serviceAccountName: puller\n",
        ));
        c.apply(&workload("anonymous", &pinned("aged"), ""));
        let health = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .to_string();
        let op = c.operator(
            common::fixture_db(),
            &[
                "--health-probe-bind-address",
                &health,
                "--scan-jobs-in-same-namespace",
                if same_namespace { "true" } else { "false" },
            ],
        );
        let mode = if same_namespace {
            "same-namespace"
        } else {
            "operator-namespace"
        };
        wait(
            &format!("reports of both credentialed workloads ({mode})"),
            120,
            &op,
            || {
                let n = names(&c.reports("VulnerabilityReport", "apps"));
                (n.iter().any(|n| n.starts_with("replicaset-direct-"))
                    && n.iter().any(|n| n.starts_with("replicaset-via-sa-")))
                .then_some(())
            },
        );
        wait(
            &format!("an Unauthorized failure for the workload without credentials ({mode})"),
            60,
            &op,
            || {
                c.events("apps", "ScanFailed").into_iter().find(|e| {
                    e.involved_object
                        .name
                        .as_deref()
                        .is_some_and(|n| n.starts_with("anonymous-"))
                        && e.message
                            .as_deref()
                            .is_some_and(|m| m.contains("Unauthorized"))
                })
            },
        );
        // Where the Jobs run: the failed one is kept until its retry.
        let job_ns = if same_namespace { "apps" } else { OP_NS };
        let other_ns = if same_namespace { OP_NS } else { "apps" };
        wait(&format!("the failed Job in {job_ns}"), 30, &op, || {
            c.kubectl(&["get", "jobs", "-n", job_ns, "-o", "name"])
                .contains("scan-vulnerabilityreport-")
                .then_some(())
        });
        assert!(
            !c.kubectl(&["get", "jobs", "-n", other_ns, "-o", "name"])
                .contains("scan-vulnerabilityreport-"),
            "no scan Job in {other_ns} ({mode})"
        );
        let (status, body) = http_get(&health, "/healthz");
        assert_eq!(status, 200, "{body}");
        let (status, body) = http_get(&health, "/readyz");
        assert_eq!(status, 200, "{body}");
        assert!(c.max_active_jobs() <= 3);
    }
}

// ------------------------------------------------------------------ metrics, leadership, CRDs

fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    format!("127.0.0.1:{port}")
}

/// One sample of the text format: name, labels in their order, value.
type Sample = (String, Vec<(String, String)>, f64);

/// Parses Prometheus text format 0.0.4 strictly enough to catch malformed output: every line is
/// a comment or `name{k="v",…} value`, label values with \\, \" and \n escapes.
fn parse_metrics(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, rest) = match line.find(['{', ' ']) {
            Some(i) => line.split_at(i),
            None => panic!("malformed metrics line {line:?}"),
        };
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line:?}"
        );
        let mut labels = Vec::new();
        let mut rest = rest;
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '}' {
                    end = Some(i);
                    break;
                }
                if c == ',' {
                    continue;
                }
                let mut key = String::from(c);
                for (_, c) in chars.by_ref() {
                    if c == '=' {
                        break;
                    }
                    key.push(c);
                }
                assert_eq!(chars.next().map(|x| x.1), Some('"'), "{line:?}");
                let mut value = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => match chars.next().map(|x| x.1) {
                            Some('n') => value.push('\n'),
                            Some(e @ ('\\' | '"')) => value.push(e),
                            other => panic!("bad escape {other:?} in {line:?}"),
                        },
                        '"' => break,
                        c => value.push(c),
                    }
                }
                labels.push((key, value));
            }
            let end = end.unwrap_or_else(|| panic!("unterminated labels in {line:?}"));
            rest = &body[end + 1..];
        }
        let value: f64 = rest
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        out.push((name.to_owned(), labels, value));
    }
    out
}

/// The metrics text, or "" while the endpoint does not listen yet.
fn try_scrape(addr: &str) -> String {
    if std::net::TcpStream::connect(addr).is_err() {
        return String::new();
    }
    scrape(addr)
}

fn scrape(addr: &str) -> String {
    let (status, body) = http_get(addr, "/metrics");
    assert_eq!(status, 200, "{body}");
    body.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

const IMAGE_LABELS: [&str; 9] = [
    "namespace",
    "name",
    "resource_kind",
    "resource_name",
    "container_name",
    "image_registry",
    "image_repository",
    "image_tag",
    "image_digest",
];

/// The findings gauges carry the anchor's names, labels, label order and severity casing, one
/// series per severity and report, with the reports' summary counts; they follow the reports as
/// workloads go; the health metrics count what happened.
#[test]
fn metrics_follow_the_reports() {
    let Some(_) = common::images() else { return };
    let registry = common::env("PALISADE_TEST_REGISTRY");
    let aged = format!("{registry}/palisade-test/aged:latest");
    let minbase = format!("{registry}/palisade-test/minbase:latest");
    let c = Cluster::start(&[&registry]);
    for (name, image) in [("alpha", &aged), ("beta", &aged), ("gamma", &minbase)] {
        c.apply(&deployment(name, image));
    }
    let addr = free_addr();
    let op = c.operator(
        common::fixture_db(),
        &[
            "--metrics-bind-address",
            &addr,
            "--metrics-image-info-enabled",
            "true",
            "--metrics-vuln-id-enabled",
            "true",
        ],
    );
    let reports = wait("three VulnerabilityReports", 120, &op, || {
        let r = c.reports("VulnerabilityReport", "apps");
        (r.len() == 3).then_some(r)
    });
    let vulns = |samples: &[Sample]| -> Vec<Sample> {
        samples
            .iter()
            .filter(|s| s.0 == "trivy_image_vulnerabilities")
            .cloned()
            .collect()
    };
    let samples = wait("15 trivy_image_vulnerabilities series", 30, &op, || {
        let s = parse_metrics(&try_scrape(&addr));
        (vulns(&s).len() == 15).then_some(s)
    });
    let mut expected_rows = 0;
    for r in &reports {
        let name = r["metadata"]["name"].as_str().unwrap_or_default();
        let labels = &r["metadata"]["labels"];
        let rep = &r["report"];
        let want: Vec<String> = [
            "apps",
            name,
            labels["trivy-operator.resource.kind"]
                .as_str()
                .unwrap_or_default(),
            labels["trivy-operator.resource.name"]
                .as_str()
                .unwrap_or_default(),
            labels["trivy-operator.container.name"]
                .as_str()
                .unwrap_or_default(),
            rep["registry"]["server"].as_str().unwrap_or_default(),
            rep["artifact"]["repository"].as_str().unwrap_or_default(),
            rep["artifact"]["tag"].as_str().unwrap_or_default(),
            rep["artifact"]["digest"].as_str().unwrap_or_default(),
        ]
        .map(str::to_owned)
        .to_vec();
        let mine: Vec<Sample> = vulns(&samples)
            .into_iter()
            .filter(|s| s.1.get(1).is_some_and(|l| l.1 == name))
            .collect();
        assert_eq!(mine.len(), 5, "five series for {name}: {mine:?}");
        for (sev, field) in [
            ("Critical", "criticalCount"),
            ("High", "highCount"),
            ("Medium", "mediumCount"),
            ("Low", "lowCount"),
            ("Unknown", "unknownCount"),
        ] {
            let s = mine
                .iter()
                .find(|s| s.1.last().is_some_and(|l| l.1 == sev))
                .unwrap_or_else(|| panic!("no {sev} series for {name}"));
            let keys: Vec<&str> = s.1.iter().map(|l| l.0.as_str()).collect();
            let mut want_keys = IMAGE_LABELS.to_vec();
            want_keys.push("severity");
            assert_eq!(keys, want_keys, "label names and order");
            let values: Vec<String> = s.1[..9].iter().map(|l| l.1.clone()).collect();
            assert_eq!(values, want, "label values of {name}");
            assert_eq!(
                s.2,
                rep["summary"][field].as_f64().unwrap_or(-1.0),
                "{name} {sev}"
            );
        }
        let rows: BTreeSet<String> = rep["vulnerabilities"]
            .as_array()
            .map(|a| a.iter().map(|v| v.to_string()).collect())
            .unwrap_or_default();
        expected_rows += rows.len();
        let info: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.0 == "trivy_image_info" && s.1.get(1).is_some_and(|l| l.1 == name))
            .collect();
        assert_eq!(info.len(), 1, "one trivy_image_info for {name}");
        let keys: Vec<&str> = info[0].1.iter().map(|l| l.0.as_str()).collect();
        let mut want_keys = IMAGE_LABELS.to_vec();
        want_keys.extend(["image_os_family", "image_os_name", "image_os_eosl"]);
        assert_eq!(keys, want_keys);
        assert_eq!(info[0].1[9].1, "debian");
    }
    assert!(
        reports.iter().any(
            |r| r["report"]["summary"]["criticalCount"].as_u64() > Some(0)
                || r["report"]["summary"]["highCount"].as_u64() > Some(0)
        ),
        "the aged image has severe findings, so the counts are not all zero"
    );
    let id_series = samples
        .iter()
        .filter(|s| s.0 == "trivy_vulnerability_id")
        .count();
    assert!(expected_rows > 0);
    assert!(
        id_series > 0 && id_series <= expected_rows,
        "{id_series} trivy_vulnerability_id series for {expected_rows} finding rows"
    );
    let value = |samples: &[Sample], name: &str, label: Option<(&str, &str)>| -> f64 {
        samples
            .iter()
            .find(|s| {
                s.0 == name && label.is_none_or(|(k, v)| s.1.iter().any(|l| l.0 == k && l.1 == v))
            })
            .map(|s| s.2)
            .unwrap_or_else(|| panic!("no {name} {label:?}"))
    };
    assert_eq!(value(&samples, "palisade_leader", None), 1.0);
    assert_eq!(
        value(&samples, "palisade_scan_duration_seconds_count", None),
        2.0,
        "two images, two scans"
    );
    assert!(
        value(
            &samples,
            "palisade_report_writes_total",
            Some(("kind", "VulnerabilityReport"))
        ) >= 3.0
    );
    assert_eq!(value(&samples, "palisade_scan_jobs_running", None), 0.0);
    assert_eq!(value(&samples, "palisade_inventories_cached", None), 2.0);
    assert!(value(&samples, "palisade_database_age_seconds", None) >= 0.0);
    assert!(value(&samples, "process_resident_memory_bytes", None) > 0.0);
    assert_eq!(
        value(
            &samples,
            "palisade_scan_failures_total",
            Some(("reason", "PullFailed"))
        ),
        0.0
    );

    // A workload goes, its report goes, and so do its series.
    c.kubectl(&["delete", "deployment", "beta", "-n", "apps"]);
    wait("10 trivy_image_vulnerabilities series", 60, &op, || {
        (vulns(&parse_metrics(&scrape(&addr))).len() == 10).then_some(())
    });
    let (status, _) = http_get(&addr, "/nope");
    assert_eq!(status, 404);
}

/// Two replicas with leader election: one works, the other waits; when the leader stops, the
/// other takes over from the cached inventories (no new scan), and the results Service's label
/// follows the leader.
#[test]
fn leader_election_hands_over() {
    let Some(_) = common::images() else { return };
    let registry = common::env("PALISADE_TEST_REGISTRY");
    let aged = format!("{registry}/palisade-test/aged:latest");
    let c = Cluster::start(&[&registry]);
    // The replicas' own Pods, so that the leader label can be checked.
    for name in ["op-a", "op-b"] {
        c.apply(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {OP_NS}}}\nspec:\n  containers:\n  - {{name: operator, image: \"registry.invalid/palisade:dev\"}}\n"
        ));
    }
    c.apply(&deployment("web", &aged));
    let start = |name: &str, addr: &str| {
        c.operator(
            common::fixture_db(),
            &[
                "--leader-election-enabled",
                "true",
                "--pod-name",
                name,
                "--exclude-namespaces",
                OP_NS,
                "--metrics-bind-address",
                addr,
            ],
        )
    };
    let (addr_a, addr_b) = (free_addr(), free_addr());
    let mut op_a = start("op-a", &addr_a);
    // b starts once a leads, so which one leads is known.
    wait("op-a to lead", 30, &op_a, || {
        try_scrape(&addr_a)
            .contains("palisade_leader 1")
            .then_some(())
    });
    let op_b = start("op-b", &addr_b);
    wait("the VulnerabilityReport", 120, &op_a, || {
        c.reports("VulnerabilityReport", "apps").into_iter().next()
    });
    wait("op-b to serve metrics", 30, &op_b, || {
        (!try_scrape(&addr_b).is_empty()).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(scrape(&addr_b).contains("palisade_leader 0"), "op-b waits");
    assert!(op_b.log().contains("waiting to become the leader"));
    assert!(
        !op_b.log().contains("report written"),
        "a standby writes nothing"
    );
    let leader_label = |pod: &str| {
        c.kubectl(&[
            "get",
            "pod",
            pod,
            "-n",
            OP_NS,
            "-o",
            "jsonpath={.metadata.labels.palisade\\.dev/leader}",
        ])
    };
    assert_eq!(leader_label("op-a"), "true");
    assert_eq!(leader_label("op-b"), "false");
    assert_eq!(c.jobs_created(), 1);

    // The leader stops (SIGTERM, as Kubernetes does): it releases the Lease and op-b takes over.
    let pid = op_a.child.lock().expect("lock").id();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    wait("op-b to lead", 60, &op_b, || {
        scrape(&addr_b).contains("palisade_leader 1").then_some(())
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(leader_label("op-b") == "true" && leader_label("op-a") == "false") {
        assert!(
            Instant::now() < deadline,
            "the leader label did not move: op-a={:?} op-b={:?}\nop-a's log:\n{}",
            leader_label("op-a"),
            leader_label("op-b"),
            op_a.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    op_a.stop();
    c.kubectl(&["delete", "vulnerabilityreports", "--all", "-n", "apps"]);
    wait("the new leader to rebuild the report", 60, &op_b, || {
        (!c.reports("VulnerabilityReport", "apps").is_empty()).then_some(())
    });
    assert_eq!(
        c.jobs_created(),
        1,
        "the new leader read the inventory back"
    );
}

/// `--install-crds` creates missing CRDs (and restores changed ones) before the operator starts.
#[test]
fn operator_installs_its_crds() {
    let Some(_) = common::images() else { return };
    let registry = common::env("PALISADE_TEST_REGISTRY");
    let c = Cluster::start(&[&registry]);
    let ours = |c: &Cluster| -> Vec<String> {
        c.kubectl(&["get", "crd", "-o", "name"])
            .lines()
            .filter(|l| l.contains("aquasecurity.github.io"))
            .map(str::to_owned)
            .collect()
    };
    let installed = ours(&c);
    assert!(installed.len() >= 4, "{installed:?}");
    // Remove the SbomReport CRD and change the VulnerabilityReport one's short names.
    c.kubectl(&["delete", "crd", "sbomreports.aquasecurity.github.io"]);
    c.kubectl(&[
        "patch",
        "crd",
        "vulnerabilityreports.aquasecurity.github.io",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"names":{"shortNames":["stale"]}}}"#,
    ]);
    c.apply(&deployment(
        "web",
        &format!("{registry}/palisade-test/minbase:latest"),
    ));
    let op = c.operator(common::fixture_db(), &["--install-crds", "true"]);
    wait("the CRDs to be back", 60, &op, || {
        (ours(&c) == installed).then_some(())
    });
    let short = c.kubectl(&[
        "get",
        "crd",
        "vulnerabilityreports.aquasecurity.github.io",
        "-o",
        "jsonpath={.spec.names.shortNames}",
    ]);
    assert!(short.contains("vuln"), "short names restored: {short}");
    wait("the SbomReport", 120, &op, || {
        c.reports("SbomReport", "apps").into_iter().next()
    });
    assert!(
        op.log()
            .contains("custom resource definitions installed or updated")
    );
}

/// A database of one OSV record per language ecosystem of the `lang` image (`introduced` 0).
fn lang_db(dir: &Path) -> PathBuf {
    let src = dir.join("osv-lang");
    std::fs::create_dir_all(&src).expect("mkdir");
    let records = [
        ("PLT-PYPI-1", "CVE-2021-31542", "PyPI", "django", "3.2.1"),
        ("PLT-NPM-1", "CVE-2020-8203", "npm", "lodash", "4.17.19"),
        (
            "PLT-GO-1",
            "CVE-2022-32149",
            "Go",
            "golang.org/x/text",
            "0.3.8",
        ),
        ("PLT-GO-2", "CVE-2023-29400", "Go", "stdlib", "1.19.9"),
        (
            "PLT-CRATES-1",
            "CVE-2021-25900",
            "crates.io",
            "smallvec",
            "1.6.1",
        ),
    ];
    for (id, cve, ecosystem, name, fixed) in records {
        let range = if ecosystem == "PyPI" {
            "ECOSYSTEM"
        } else {
            "SEMVER"
        };
        let record = json!({
            "schema_version": "1.6.0", "id": id, "modified": "2025-01-01T00:00:00Z",
            "aliases": [cve], "summary": format!("{cve} in {name}"),
            "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                "ranges": [{"type": range, "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
        });
        std::fs::write(
            src.join(format!("{id}.json")),
            serde_json::to_vec(&record).expect("json"),
        )
        .expect("write record");
    }
    let db = dir.join("lang.db");
    let out = common::palisade(&[
        "db",
        "build",
        "--osv",
        src.to_str().expect("utf-8"),
        "--db",
        db.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    db
}

/// The purl type of a language package type (Trivy's `Results[].Type`).
fn purl_type(kind: &str) -> &'static str {
    match kind {
        "python-pkg" | "pip" => "pypi",
        "node-pkg" | "npm" => "npm",
        "gobinary" => "golang",
        "cargo" => "cargo",
        other => panic!("unexpected package type {other} in manifests/lang.txt"),
    }
}

/// A workload on the `lang` image (Python, Node.js, Go and Rust packages on Debian): its
/// VulnerabilityReport has the language findings `palisade image` has, each with the purl of its
/// ecosystem and, with the optional fields turned on, the target, class, type and path of the
/// result `palisade image` puts it in; its SbomReport lists every package of the image.
#[test]
fn language_packages_reach_both_reports() {
    let Some(images) = common::images() else {
        return;
    };
    let manifest = std::env::var_os("PALISADE_TEST_LANG_PACKAGES_TXT")
        .map(PathBuf::from)
        .unwrap_or_else(|| images.join("manifests/lang.txt"));
    let Ok(manifest) = std::fs::read_to_string(&manifest) else {
        assert!(
            std::env::var("PALISADE_TEST_REQUIRE_IMAGES").as_deref() != Ok("1"),
            "{} is missing but images are required; run scripts/build-test-images.sh",
            manifest.display()
        );
        eprintln!("SKIPPED: no lang image; run scripts/build-test-images.sh");
        return;
    };
    // (Type, File, Name, Version) of every language package the image build recorded.
    let packages: Vec<Vec<&str>> = manifest
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(packages.len() > 20 && packages.iter().all(|p| p.len() == 4));

    let registry = common::env("PALISADE_TEST_REGISTRY");
    let image = format!("{registry}/palisade-test/lang:latest");
    let c = Cluster::start(&[&registry]);
    let db = lang_db(c.dir.path());
    c.apply(&deployment("polyglot", &image));
    let op = c.operator(
        &db,
        &[
            "--additional-vulnerability-report-fields",
            "Target,Class,PackageType,PackagePath",
        ],
    );
    let report = wait("the VulnerabilityReport", 120, &op, || {
        c.reports("VulnerabilityReport", "apps").into_iter().next()
    });
    let sbom = wait("the SbomReport", 60, &op, || {
        c.reports("SbomReport", "apps").into_iter().next()
    });

    // The findings are the CLI's, one row per finding of every result (lodash is in both the
    // Node.js result and the lockfile's).
    let rows = report["report"]["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities");
    let cli = common::scan_json(&db, &image, &[], &[]);
    let cli_rows: usize = cli["Results"]
        .as_array()
        .expect("Results")
        .iter()
        .map(|r| r["Vulnerabilities"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(rows.len(), cli_rows, "{report}");
    assert_eq!(report_findings(&report), cli_findings(&db, &image));
    let resources: BTreeSet<&str> = rows.iter().filter_map(|v| v["resource"].as_str()).collect();
    for want in [
        "Django",
        "lodash",
        "golang.org/x/text",
        "smallvec",
        "stdlib",
    ] {
        assert!(resources.contains(want), "{want} in {resources:?}");
    }
    // With the optional fields, each row names the CLI's result of its finding.
    let row_key = |target: &Value, class: &Value, kind: &Value, v: &Value, path: &str| {
        let s = |x: &Value| x.as_str().unwrap_or_default().to_owned();
        [
            s(target),
            s(class),
            s(kind),
            s(&v[0]),
            s(&v[1]),
            s(&v[2]),
            path.to_owned(),
        ]
    };
    let mut want: Vec<[String; 7]> = Vec::new();
    for r in cli["Results"].as_array().expect("Results") {
        for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
            let ids = json!([v["PkgName"], v["InstalledVersion"], v["VulnerabilityID"]]);
            let path = v["PkgPath"].as_str().unwrap_or_default();
            want.push(row_key(&r["Target"], &r["Class"], &r["Type"], &ids, path));
        }
    }
    let mut got: Vec<[String; 7]> = rows
        .iter()
        .map(|v| {
            let ids = json!([v["resource"], v["installedVersion"], v["vulnerabilityID"]]);
            let path = v["packagePath"].as_str().unwrap_or_default();
            row_key(&v["target"], &v["class"], &v["packageType"], &ids, path)
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert!(
        got.iter()
            .any(|r| r[0] == "Python" && r[6].ends_with("METADATA"))
    );

    // Each row names its package by the purl of its ecosystem.
    for v in rows {
        let resource = v["resource"].as_str().unwrap_or_default();
        let version = v["installedVersion"].as_str().unwrap_or_default();
        let kind = packages
            .iter()
            .find(|p| p[2] == resource && p[3] == version)
            .map(|p| p[0])
            .unwrap_or_else(|| panic!("{resource} {version} is not in manifests/lang.txt"));
        let purl = v["packagePURL"].as_str().unwrap_or_default();
        let name = resource.to_lowercase();
        assert!(
            purl.starts_with(&format!("pkg:{}/", purl_type(kind)))
                && purl.to_lowercase().contains(&format!("{name}@{version}")),
            "{resource} {version} ({kind}): {purl}"
        );
    }

    // The SbomReport has a component for every package, with its ecosystem's purl.
    let comps = sbom["report"]["components"]["components"]
        .as_array()
        .expect("components");
    for p in &packages {
        let (kind, name, version) = (p[0], p[2], p[3]);
        let prefix = format!("pkg:{}/", purl_type(kind));
        assert!(
            comps.iter().any(|c| {
                c["purl"].as_str().is_some_and(|u| u.starts_with(&prefix))
                    && c["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                    && c["version"] == version
            }),
            "no {prefix} component for {kind} {name} {version}"
        );
    }
    let dpkg: usize = common::env("PALISADE_TEST_LANG_DPKG_COUNT")
        .parse()
        .expect("count");
    let debs = comps
        .iter()
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|u| u.starts_with("pkg:deb/"))
        })
        .count();
    assert_eq!(debs, dpkg, "the OS packages are there too");
    assert_eq!(c.jobs_created(), 1);
}
