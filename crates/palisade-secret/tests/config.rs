//! `trivy-secret.yaml`: custom rules, allow rules, switches, and errors that name the rule and
//! the field.

use palisade_secret::{ConfigError, ScanOptions, Scanner};

fn build(yaml: &str) -> (Scanner, Vec<String>) {
    let (s, p) = Scanner::from_config_yaml(yaml.as_bytes(), ScanOptions::default()).unwrap();
    (s, p.iter().map(ToString::to_string).collect())
}

fn ids(scanner: &Scanner, path: &str, doc: &str) -> Vec<String> {
    scanner
        .scan_bytes(path, doc.as_bytes())
        .findings
        .into_iter()
        .map(|f| f.rule_id)
        .collect()
}

const GHP: &str = "ghp_Q9vTz3LmK8pW2xR7nB4cY6dF1gH5jS0aE2uI";

#[test]
fn custom_rule_with_group_keywords_and_path() {
    let (s, problems) = build(
        r#"
rules:
  - id: internal-token
    category: Internal
    title: Internal token
    severity: high
    regex: '(?i)itk[=:]\s*(?P<tok>[0-9a-f]{32})'
    secret-group-name: tok
    keywords: [ITK]
    path: \.env$
"#,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let doc = "a=1\nitk= 7f3a9c2e8b1d4f6a0c5e9b2d7a4f1c8e\n";
    let scan = s.scan_bytes("app/.env", doc.as_bytes());
    let f = scan
        .findings
        .iter()
        .find(|f| f.rule_id == "internal-token")
        .expect("custom rule");
    assert_eq!(
        (f.category.as_str(), f.title.as_str(), f.severity.as_str()),
        ("Internal", "Internal token", "HIGH")
    );
    assert_eq!(f.offset, 9, "the named group is the secret");
    assert_eq!(f.match_line, "itk= ********************************");
    assert!(ids(&s, "app/config.yaml", doc).is_empty(), "path filter");
    assert!(ids(&s, "app/.env", "nothing here\n").is_empty());
}

#[test]
fn a_bad_regex_is_reported_and_other_rules_still_run() {
    let (s, problems) = build(
        r#"
rules:
  - id: broken
    category: x
    title: x
    severity: LOW
    regex: '(unclosed'
  - id: fine
    category: x
    title: x
    severity: LOW
    regex: 'fine-[0-9]{6}'
"#,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(r#"rules[0] "broken""#) && problems[0].contains("`regex`"),
        "{}",
        problems[0]
    );
    assert_eq!(ids(&s, "a.txt", "x fine-123456\n"), vec!["fine"]);
    assert!(
        ids(&s, "a.txt", &format!("t={GHP}\n")).contains(&"github-pat".to_string()),
        "built-ins kept"
    );
}

#[test]
fn problems_name_rule_and_field() {
    let (_, problems) = build(
        r#"
rules:
  - category: x
    regex: abc
  - id: sev
    category: x
    title: x
    severity: URGENT
    regex: abc
  - id: group
    category: x
    title: x
    severity: LOW
    regex: abc
    secret-group-name: secret
  - id: typo
    category: x
    title: x
    severity: LOW
    regexp: abc
unknown-top: 1
"#,
    );
    let all = problems.join("\n");
    assert!(all.contains("rules[0]") && all.contains("`id`"), "{all}");
    assert!(all.contains(r#"rules[1] "sev": field `severity`"#), "{all}");
    assert!(
        all.contains(r#"rules[2] "group": field `secret-group-name`"#),
        "{all}"
    );
    assert!(
        all.contains(r#"rules[3] "typo": field `regexp`: unknown field"#),
        "{all}"
    );
    assert!(
        all.contains(r#"rules[3] "typo": field `regex`: missing"#),
        "{all}"
    );
    assert!(all.contains("unknown-top"), "{all}");
}

#[test]
fn file_level_errors() {
    assert!(matches!(
        Scanner::from_config_yaml(b"rules: [", ScanOptions::default()),
        Err(ConfigError::Yaml(_))
    ));
    assert!(matches!(
        Scanner::from_config_yaml(b"- a\n- b\n", ScanOptions::default()),
        Err(ConfigError::Shape(_))
    ));
    let big = vec![b'#'; palisade_secret::MAX_CONFIG_BYTES + 1];
    assert!(matches!(
        Scanner::from_config_yaml(&big, ScanOptions::default()),
        Err(ConfigError::TooLarge { .. })
    ));
    let (s, p) = Scanner::from_config_yaml(b"", ScanOptions::default()).unwrap();
    assert!(p.is_empty());
    assert_eq!(
        s.rules().len(),
        Scanner::builtin().rules().len(),
        "an empty config keeps every built-in rule"
    );
}

#[test]
fn enable_and_disable_rules() {
    let doc = format!("t={GHP}\nk=AKIAQ7DZ3WXN5RT2LMBV\n");
    let (s, _) = build("enable-builtin-rules: [aws-access-key-id]\n");
    assert_eq!(ids(&s, "a.txt", &doc), vec!["aws-access-key-id"]);
    let (s, _) = build("disable-rules: [aws-access-key-id]\n");
    assert_eq!(ids(&s, "a.txt", &doc), vec!["github-pat"]);
    let (_, p) = build("disable-rules: [no-such-rule]\n");
    assert!(p.iter().any(|m| m.contains("no-such-rule")), "{p:?}");
}

#[test]
fn allow_rules_global_local_and_disabling_builtin_ones() {
    let doc = format!("t={GHP}\n");
    let (s, _) = build("");
    assert!(
        ids(&s, "src/app_test.go", &doc).is_empty(),
        "built-in `tests` allow rule"
    );
    let (s, _) = build("disable-allow-rules: [tests]\n");
    assert_eq!(ids(&s, "src/app_test.go", &doc), vec!["github-pat"]);
    let (s, _) =
        build("allow-rules:\n  - id: fixtures\n    description: fixtures\n    path: ^fixtures/\n");
    assert!(ids(&s, "fixtures/a.txt", &doc).is_empty());
    assert_eq!(ids(&s, "src/a.txt", &doc), vec!["github-pat"]);
    let (s, _) = build("allow-rules:\n  - id: known\n    regex: Q9vTz3\n");
    assert!(
        ids(&s, "src/a.txt", &doc).is_empty(),
        "allow regex on the match"
    );
    let (s, _) = build(
        "rules:\n  - id: c\n    category: c\n    title: c\n    severity: LOW\n    regex: 'cst-[0-9]{4}'\n    allow-rules:\n      - id: skip-txt\n        path: \\.txt$\n",
    );
    assert!(ids(&s, "a.txt", "cst-1234\n").is_empty());
    assert_eq!(ids(&s, "a.cfg", "cst-1234\n"), vec!["c"]);
}

#[test]
fn exclude_blocks() {
    let doc = format!("# BEGIN FIXTURE\nt={GHP}\n# END FIXTURE\nu={GHP}\n");
    let (s, p) = build(
        "exclude-block:\n  description: fixtures\n  regexes: ['(?s)# BEGIN FIXTURE.*?# END FIXTURE']\n",
    );
    assert!(p.is_empty(), "{p:?}");
    let scan = s.scan_bytes("a.txt", doc.as_bytes());
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(scan.findings[0].start_line, 4);
}

#[test]
fn keywords_are_case_insensitive_for_custom_rules() {
    let (s, _) = build(
        "rules:\n  - id: k\n    category: c\n    title: c\n    severity: LOW\n    keywords: [TOPSECRET]\n    regex: 'topsecret=[a-z]{8}'\n",
    );
    assert_eq!(ids(&s, "a.txt", "topsecret=abcdwxyz\n"), vec!["k"]);
}

#[test]
fn non_ascii_patterns_and_keywords_match_utf8_text() {
    let (s, p) = build(
        "rules:\n  - id: ru\n    category: c\n    title: c\n    severity: LOW\n    keywords: [пароль]\n    regex: 'пароль=(?P<secret>\\S{6,})'\n    secret-group-name: secret\n",
    );
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(ids(&s, "a.txt", "пароль=Zq8xW2vB\n"), vec!["ru"]);
}
