//! The image config (env, command, labels, history) is scanned like a file, and findings never
//! carry the secret.

use palisade_secret::{ImageConfigFields, Scanner};

const GHP: &str = "ghp_Q9vTz3LmK8pW2xR7nB4cY6dF1gH5jS0aE2uI";
const AKIA: &str = "AKIAQ7DZ3WXN5RT2LMBV";

#[test]
fn env_history_and_labels_are_scanned() {
    let fields = ImageConfigFields {
        env: vec!["PATH=/usr/bin".into(), format!("GITHUB_TOKEN={GHP}")],
        cmd: vec!["sh".into(), "-c".into(), "serve".into()],
        labels: vec![(
            "org.opencontainers.image.source".into(),
            "https://git.internal/app".into(),
        )],
        history: vec![format!(
            "/bin/sh -c export AWS_ACCESS_KEY_ID={AKIA} && make install"
        )],
        ..ImageConfigFields::default()
    };
    let scan = Scanner::builtin().scan_image_config("registry.internal/app:1.0 (config)", &fields);
    assert_eq!(scan.target, "registry.internal/app:1.0 (config)");
    let ids: Vec<&str> = scan.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["github-pat", "aws-access-key-id"]);
    let doc = fields.render();
    for f in &scan.findings {
        let text = format!("{f:?}{f}{}", serde_json::to_string(f).unwrap());
        assert!(!text.contains(GHP) && !text.contains(AKIA), "{text}");
        assert!(doc.lines().nth(f.start_line as usize - 1).is_some());
    }
}

#[test]
fn a_path_like_image_name_is_not_allow_listed() {
    // The `examples` allow rule matches paths containing "example"; the config is not a path.
    let fields = ImageConfigFields {
        env: vec![format!("T={GHP}")],
        ..ImageConfigFields::default()
    };
    let scan = Scanner::builtin().scan_image_config("example.com/app:1", &fields);
    assert_eq!(scan.findings.len(), 1);
}

#[test]
fn path_skips_are_available_before_reading() {
    let s = Scanner::builtin();
    assert!(s.path_skip("/app/node_modules/x/index.js").is_some());
    assert!(s.path_skip("usr/share/doc/x/README").is_some());
    assert!(s.path_skip("/app/.env").is_none());
}

#[test]
fn the_scanner_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Scanner>();
}
