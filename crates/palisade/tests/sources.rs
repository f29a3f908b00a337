//! End-to-end scans of real Debian images from every kind of source: OCI layouts (gzip and
//! zstd), docker-archive and OCI archive files, and two real registries (anonymous and htpasswd).
//! All of them must give the same packages and the same findings, and those must be exactly what
//! dpkg's own version comparison says they should be.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn sources(images: &std::path::Path, name: &str) -> Vec<(String, Vec<String>)> {
    let reg = env("PALISADE_TEST_REGISTRY");
    let auth = env("PALISADE_TEST_AUTH_REGISTRY");
    let user = env("PALISADE_TEST_AUTH_USER");
    let pass = env("PALISADE_TEST_AUTH_PASSWORD");
    let p = |sub: &str| images.join(sub).to_str().unwrap().to_string();
    vec![
        (format!("oci:{}:latest", p(&format!("oci/{name}"))), vec![]),
        (p(&format!("docker/{name}.tar")), vec![]),
        (
            format!("docker-archive:{}", p(&format!("docker/{name}.tar"))),
            vec![],
        ),
        (p(&format!("oci-archive/{name}.tar")), vec![]),
        (format!("{reg}/palisade-test/{name}:latest"), vec![]),
        (
            format!("{auth}/palisade-test/{name}:latest"),
            vec!["--username".into(), user, "--password".into(), pass],
        ),
    ]
}

fn check_image(name: &str) {
    let Some(images) = images() else { return };
    let db = fixture_db();
    let want_pkgs = manifest(&images, name);
    assert!(
        !want_pkgs.is_empty(),
        "{name}: the manifest lists no packages"
    );
    let facts: Vec<Fact> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .flat_map(|e| {
            let v: Value =
                serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap();
            fact_from_osv(&v)
        })
        .collect();
    let want = expected(&want_pkgs, &facts);
    let mut seen_digests = BTreeSet::new();
    for (source, extra) in sources(&images, name) {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let report = scan_json(db, &source, &extra, &[]);
        assert_eq!(report["Metadata"]["OS"]["Family"], "debian", "{source}");
        assert!(
            report["Metadata"]["OS"]["Name"]
                .as_str()
                .unwrap()
                .starts_with("12"),
            "{source}: {}",
            report["Metadata"]["OS"]
        );
        assert_eq!(
            packages(&report),
            want_pkgs,
            "{source}: packages differ from dpkg-query"
        );
        assert_eq!(
            findings(&report),
            want,
            "{source}: findings differ from the dpkg oracle"
        );
        seen_digests.insert(report["Metadata"]["ImageID"].as_str().unwrap().to_string());
    }
    assert_eq!(
        seen_digests.len(),
        1,
        "{name}: every source is the same image: {seen_digests:?}"
    );
}

#[test]
fn aged_image_gives_the_same_exact_findings_from_every_source() {
    check_image("aged");
}

#[test]
fn layers_image_gives_the_same_exact_findings_from_every_source() {
    check_image("layers");
}

#[test]
fn zstd_layers_give_the_same_result_as_gzip() {
    let Some(images) = images() else { return };
    let db = fixture_db();
    let gz = scan_json(
        db,
        &format!("oci:{}", images.join("oci/layers").display()),
        &[],
        &[],
    );
    let zst = scan_json(
        db,
        &format!("oci:{}", images.join("oci-zstd/layers").display()),
        &[],
        &[],
    );
    assert_eq!(packages(&gz), packages(&zst));
    assert_eq!(findings(&gz), findings(&zst));
    assert_eq!(
        gz["Metadata"]["DiffIDs"], zst["Metadata"]["DiffIDs"],
        "same uncompressed layers"
    );
}

#[test]
fn a_whiteout_of_the_dpkg_database_hides_every_package() {
    let Some(images) = images() else { return };
    let db = fixture_db();
    for source in [
        format!("oci:{}", images.join("oci/deleted-dpkg").display()),
        images.join("docker/deleted-dpkg.tar").display().to_string(),
    ] {
        let report = scan_json(db, &source, &[], &[]);
        assert_eq!(report["Metadata"]["OS"]["Family"], "debian", "{source}");
        assert!(packages(&report).is_empty(), "{source}: {report}");
        assert!(findings(&report).is_empty(), "{source}");
    }
}

#[test]
fn arm64_is_chosen_from_a_multi_platform_index() {
    let Some(images) = images() else { return };
    let db = fixture_db();
    let reg = env("PALISADE_TEST_REGISTRY");
    let arm_pkgs = manifest(&images, "minbase-arm64");
    for source in [
        format!("oci:{}", images.join("oci/multiarch").display()),
        format!("{reg}/palisade-test/multiarch:latest"),
    ] {
        let arm = scan_json(db, &source, &["--platform", "linux/arm64"], &[]);
        assert_eq!(arm["Metadata"]["Platform"], "linux/arm64", "{source}");
        assert_eq!(packages(&arm), arm_pkgs, "{source}");
        assert!(packages(&arm).iter().any(|p| p[2] == "arm64"), "{source}");
        let amd = scan_json(db, &source, &["--platform", "linux/amd64"], &[]);
        assert_eq!(amd["Metadata"]["Platform"], "linux/amd64", "{source}");
        assert!(packages(&amd).iter().all(|p| p[2] != "arm64"), "{source}");
        let out = palisade(&[
            "image",
            "--db",
            db.to_str().unwrap(),
            "--platform",
            "linux/s390x",
            &source,
        ]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("linux/arm64"),
            "lists what exists: {}",
            stderr(&out)
        );
    }
}

#[test]
fn credentials_come_from_env_docker_config_and_pull_secrets() {
    let Some(_) = images() else { return };
    let db = fixture_db();
    let auth = env("PALISADE_TEST_AUTH_REGISTRY");
    let image = format!("{auth}/palisade-test/minbase:latest");
    let user = env("PALISADE_TEST_AUTH_USER");
    let pass = env("PALISADE_TEST_AUTH_PASSWORD");
    let auth_file = env("PALISADE_TEST_AUTH_FILE");

    let r = scan_json(
        db,
        &image,
        &[],
        &[("PALISADE_USERNAME", &user), ("PALISADE_PASSWORD", &pass)],
    );
    assert!(!packages(&r).is_empty());
    let r = scan_json(db, &image, &["--registry-config", &auth_file], &[]);
    assert!(!packages(&r).is_empty());
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&auth_file, dir.path().join("config.json")).unwrap();
    let r = scan_json(
        db,
        &image,
        &[],
        &[("DOCKER_CONFIG", dir.path().to_str().unwrap())],
    );
    assert!(!packages(&r).is_empty());

    let dbs = db.to_str().unwrap();
    let out = palisade(&["image", "--db", dbs, &image]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&auth) && err.to_lowercase().contains("auth"),
        "no credentials: {err}"
    );
    let out = palisade(&[
        "image",
        "--db",
        dbs,
        "--username",
        &user,
        "--password",
        "wrong",
        &image,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&auth) && err.to_lowercase().contains("auth"),
        "bad password: {err}"
    );
}
