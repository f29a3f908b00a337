//! Exposed-secret scanning end to end (issue 12): an OCI layout built here, whose first layer
//! holds fake credentials that the second layer deletes, scanned by the `palisade` binary.
//!
//! The secrets are generated at run time (random, so no token-shaped string sits in the
//! source), and every output is checked not to contain them.

mod common;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// Fake credentials of the documented shapes, different on every run.
struct Fakes {
    aws_id: String,
    aws_secret: String,
    github: String,
    custom: String,
    env_token: String,
}

fn random_from(seed: &mut u64, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            alphabet[((*seed >> 33) % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

impl Fakes {
    fn new() -> Fakes {
        let mut seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            ^ u64::from(std::process::id());
        let upper = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let hexd = b"0123456789abcdef";
        Fakes {
            aws_id: format!("AKIA{}", random_from(&mut seed, upper, 16)),
            aws_secret: random_from(&mut seed, b64, 40),
            github: format!("ghp_{}", random_from(&mut seed, alnum, 36)),
            custom: format!("itk_{}", random_from(&mut seed, hexd, 32)),
            env_token: format!("ghp_{}", random_from(&mut seed, alnum, 36)),
        }
    }

    fn all(&self) -> [&str; 5] {
        [
            &self.aws_id,
            &self.aws_secret,
            &self.github,
            &self.custom,
            &self.env_token,
        ]
    }
}

fn sha(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// A tar of regular files (a name starting `.wh.` is a whiteout), gzipped: (blob, diff_id).
fn layer(files: &[(&str, &[u8])]) -> (Vec<u8>, String) {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_size(data.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, *data).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    (gz.finish().unwrap(), sha(&tar))
}

fn put_blob(dir: &Path, data: &[u8]) -> String {
    let d = sha(data);
    let p = dir.join("blobs/sha256").join(&d[7..]);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
    d
}

/// The layout: returns (layer 1 digest, layer 1 diff id, layer 2 digest).
fn build(dir: &Path, f: &Fakes) -> (String, String, String) {
    let env = format!(
        "AWS_ACCESS_KEY_ID={}\naws_secret_access_key = {}\n",
        f.aws_id, f.aws_secret
    );
    let script = format!(
        "#!/bin/sh\nset -e\nexport GITHUB_TOKEN={}\ncurl -H \"Authorization: token $GITHUB_TOKEN\" https://api.github.com/user\n",
        f.github
    );
    let custom = format!("# internal service\ntoken: {}\n", f.custom);
    let (l1, d1) = layer(&[
        ("app/.env", env.as_bytes()),
        ("app/deploy.sh", script.as_bytes()),
        ("app/clean.txt", b"nothing to see here\nport = 8080\n"),
        ("app/custom.conf", custom.as_bytes()),
    ]);
    let (l2, d2) = layer(&[("app/.wh..env", b""), ("app/README", b"hello\n")]);
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "amd64",
    };
    let config = json!({
        "architecture": arch,
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/bin", format!("GITHUB_TOKEN={}", f.env_token)],
            "Labels": {"maintainer": "nobody"},
        },
        "rootfs": {"type": "layers", "diff_ids": [d1, d2]},
        "history": [{"created_by": "COPY app /app"}, {"created_by": "RUN rm /app/.env"}],
    });
    let config = serde_json::to_vec(&config).unwrap();
    let cd = put_blob(dir, &config);
    let ld1 = put_blob(dir, &l1);
    let ld2 = put_blob(dir, &l2);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld1, "size": l1.len()},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld2, "size": l2.len()},
        ],
    }))
    .unwrap();
    let md = put_blob(dir, &manifest);
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md,
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    (ld1, d1, ld2)
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run(image: &str, extra: &[&str], envs: &[(&str, &str)], f: &Fakes) -> Run {
    run_hiding(image, extra, envs, &f.all())
}

/// Runs a scan and checks that none of `hidden` is printed.
fn run_hiding(image: &str, extra: &[&str], envs: &[(&str, &str)], hidden: &[&str]) -> Run {
    let mut args = vec!["image"];
    args.extend_from_slice(extra);
    args.push(image);
    let o = palisade_env(&args, envs);
    let r = Run {
        code: o.status.code().unwrap_or(-1),
        out: stdout(&o),
        err: stderr(&o),
    };
    for s in hidden {
        assert!(!r.out.contains(s), "{args:?}: a secret is in stdout");
        assert!(!r.err.contains(s), "{args:?}: a secret is in stderr");
    }
    r
}

fn json_of(r: &Run) -> Value {
    assert_eq!(r.code, 0, "{}", r.err);
    serde_json::from_str(&r.out).expect("json")
}

fn secret_results(report: &Value) -> Vec<&Value> {
    report["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["Class"] == "secret")
        .collect()
}

fn rules_of<'a>(report: &'a Value, target: &str) -> Vec<&'a str> {
    secret_results(report)
        .into_iter()
        .filter(|r| r["Target"] == target)
        .flat_map(|r| r["Secrets"].as_array().unwrap())
        .map(|s| s["RuleID"].as_str().unwrap())
        .collect()
}

#[test]
fn deleted_secrets_are_reported_with_their_layer_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fakes::new();
    let (l1, d1, _) = build(dir.path(), &f);
    let image = format!("oci:{}:latest", dir.path().display());
    let db = fixture_db().to_str().unwrap().to_string();
    let json_args = ["--format", "json", "--db", db.as_str()];

    // Default scanners are vuln,secret.
    let report = json_of(&run(&image, &json_args, &[("PALISADE_LOG", "debug")], &f));
    let env = secret_results(&report)
        .into_iter()
        .find(|r| r["Target"] == "/app/.env")
        .expect("the deleted .env is reported");
    assert!(env.get("Type").is_none());
    let s = env["Secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["RuleID"] == "aws-access-key-id")
        .expect("aws-access-key-id");
    assert_eq!(s["Category"], "AWS");
    assert_eq!(s["Severity"], "CRITICAL");
    assert!(s["Title"].as_str().unwrap().contains("AWS"));
    assert_eq!(s["StartLine"], 1);
    assert_eq!(s["EndLine"], 1);
    assert_eq!(s["Layer"]["Digest"], l1.as_str());
    assert_eq!(s["Layer"]["DiffID"], d1.as_str());
    assert!(s["Match"].as_str().unwrap().contains("AWS_ACCESS_KEY_ID=*"));
    let line = &s["Code"]["Lines"][0];
    for k in [
        "Number",
        "Content",
        "IsCause",
        "Highlighted",
        "FirstCause",
        "LastCause",
    ] {
        assert!(line.get(k).is_some(), "Code.Lines[].{k}: {line}");
    }
    assert!(rules_of(&report, "/app/.env").contains(&"aws-secret-access-key"));
    assert_eq!(rules_of(&report, "/app/deploy.sh"), ["github-pat"]);
    assert!(rules_of(&report, "/app/clean.txt").is_empty());
    assert_eq!(
        rules_of(&report, &image),
        ["github-pat"],
        "the token in the config's Env is found, named by the image as Trivy does"
    );
    assert_eq!(s["Layer"]["CreatedBy"], "COPY app /app");
    assert!(s["Offset"].as_u64().is_some());

    // Only vulnerabilities: no secret results.
    let mut vuln_args = vec!["--scanners", "vuln"];
    vuln_args.extend(json_args);
    let vuln = json_of(&run(&image, &vuln_args, &[], &f));
    assert!(secret_results(&vuln).is_empty());
    // Only secrets needs no database.
    let only = json_of(&run(
        &image,
        &["--scanners", "secret", "--format", "json"],
        &[],
        &f,
    ));
    assert_eq!(secret_results(&only).len(), secret_results(&report).len());
    assert!(
        only["Results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["Class"] == "secret")
    );

    // --exit-code counts secrets; --severity filters them.
    let r = run(
        &image,
        &["--scanners", "secret", "--exit-code", "5"],
        &[],
        &f,
    );
    assert_eq!(r.code, 5, "{}", r.err);
    assert!(r.out.contains("app/.env (secrets)"), "{}", r.out);
    let r = run(
        &image,
        &[
            "--scanners",
            "secret",
            "--exit-code",
            "5",
            "--severity",
            "LOW",
        ],
        &[],
        &f,
    );
    assert_eq!(r.code, 0, "no LOW secrets: {}", r.out);

    // SARIF carries them as results.
    let r = run(
        &image,
        &["--scanners", "secret", "--format", "sarif"],
        &[],
        &f,
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("\"ruleId\": \"github-pat\""), "{}", r.out);
}

#[test]
fn secret_config_adds_and_disables_rules_and_bad_configs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fakes::new();
    build(dir.path(), &f);
    let image = format!("oci:{}:latest", dir.path().display());
    let cfg = dir.path().join("trivy-secret.yaml");
    std::fs::write(
        &cfg,
        "disable-rules: [github-pat]\nrules:\n  - id: internal-token\n    category: Internal\n    title: Internal service token\n    severity: HIGH\n    regex: itk_[0-9a-f]{32}\n    keywords: [itk_]\n",
    )
    .unwrap();
    let base = ["--scanners", "secret", "--format", "json"];
    let plain = json_of(&run(&image, &base, &[], &f));
    assert!(rules_of(&plain, "/app/custom.conf").is_empty());
    let mut args = base.to_vec();
    args.extend(["--secret-config", cfg.to_str().unwrap()]);
    let custom = json_of(&run(&image, &args, &[], &f));
    assert_eq!(rules_of(&custom, "/app/custom.conf"), ["internal-token"]);
    assert!(
        rules_of(&custom, "/app/deploy.sh").is_empty(),
        "github-pat disabled"
    );
    assert!(!rules_of(&custom, "/app/.env").is_empty());

    std::fs::write(&cfg, "rules: [unclosed\n").unwrap();
    let r = run(&image, &args, &[], &f);
    assert_ne!(r.code, 0);
    assert!(r.err.contains("trivy-secret.yaml"), "{}", r.err);
}

#[test]
fn cached_layers_keep_their_secrets_and_follow_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let f = Fakes::new();
    build(dir.path(), &f);
    let image = format!("oci:{}:latest", dir.path().display());
    let envs = [
        ("PALISADE_NO_CACHE", "false"),
        ("PALISADE_CACHE_DIR", cache.path().to_str().unwrap()),
    ];
    let args = ["--scanners", "secret", "--format", "json"];
    let strip = |mut v: Value| {
        v["CreatedAt"] = Value::Null;
        v
    };
    let first = strip(json_of(&run(&image, &args, &envs, &f)));
    assert!(std::fs::read_dir(cache.path()).unwrap().count() >= 2);
    let second = strip(json_of(&run(&image, &args, &envs, &f)));
    assert_eq!(first, second);
    assert!(!rules_of(&second, "/app/.env").is_empty());
    // A vuln-only scan through the same cache invents no secrets.
    let db = fixture_db().to_str().unwrap().to_string();
    let v = json_of(&run(
        &image,
        &["--scanners", "vuln", "--format", "json", "--db", &db],
        &envs,
        &f,
    ));
    assert!(secret_results(&v).is_empty());
    // Another config misses the cache instead of reusing the built-in rules' results.
    let cfg = dir.path().join("s.yaml");
    std::fs::write(&cfg, "disable-rules: [aws-access-key-id]\n").unwrap();
    let mut a = args.to_vec();
    a.extend(["--secret-config", cfg.to_str().unwrap()]);
    // With its rule disabled the key id is no longer a secret: the context of the other
    // finding on the next line may show it, the secret access key stays masked.
    let c = json_of(&run_hiding(&image, &a, &envs, &[&f.aws_secret, &f.github]));
    let rules = rules_of(&c, "/app/.env");
    assert!(!rules.contains(&"aws-access-key-id"), "{rules:?}");
    assert!(rules.contains(&"aws-secret-access-key"), "{rules:?}");
}
