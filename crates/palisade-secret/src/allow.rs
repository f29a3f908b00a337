//! What is not scanned, and what is not reported.
//!
//! * Files Trivy 0.76 never scans for secrets (observed with the binary): anything under `.git`
//!   or `node_modules`, lock files whose content is hashes and URLs, and media/archive
//!   extensions. These are fixed, as in Trivy.
//! * Trivy's built-in allow rules (same ids, so `disable-allow-rules` keeps working): test and
//!   example paths, vendor and locale directories, Markdown, language runtimes in base images.
//! * Palisade's example-value allow rules: values that are documentation, not secrets
//!   (placeholders, variable references, masked values, one character repeated, a counting
//!   sequence). Each has an id too.
//! * Binary files, by content: Trivy's test (a control byte other than tab, newline, form feed,
//!   carriage return, bell, backspace and escape within the first 300 bytes).

use crate::rule::{self, AllowRule};

/// Directory names whose files are never scanned.
const SKIP_DIRS: &[&str] = &[".git", "node_modules"];

/// File names never scanned: dependency lock files (hashes, versions and URLs only).
const SKIP_FILES: &[&str] = &[
    "go.mod",
    "go.sum",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Pipfile.lock",
    "Gemfile.lock",
];

/// Extensions never scanned: images, documents, archives and packages.
const SKIP_EXTS: &[&str] = &[
    ".jpg", ".png", ".gif", ".svg", ".pdf", ".doc", ".zip", ".gz", ".gzip", ".tar", ".bin", ".deb",
    ".rpm", ".socket",
];

/// How many leading bytes the binary sniff looks at (Trivy's figure).
pub(crate) const SNIFF_LEN: usize = 300;

/// Why a path is not scanned at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSkip {
    /// Under a directory that is never scanned (`.git`, `node_modules`).
    Directory(&'static str),
    /// A lock file.
    FileName(&'static str),
    /// A binary/media extension.
    Extension(&'static str),
    /// An allow rule matched the path (its id).
    AllowRule(String),
}

/// Normalises a path the way rules see it: forward slashes, no leading `/` or `./`
/// (Trivy matches image paths as `usr/share/...`).
pub(crate) fn normalize_path(path: &str) -> String {
    let p = path.replace('\\', "/");
    let mut s = p.as_str();
    loop {
        if let Some(r) = s.strip_prefix("./") {
            s = r;
        } else if let Some(r) = s.strip_prefix('/') {
            s = r;
        } else {
            break;
        }
    }
    s.to_string()
}

/// Skips fixed by the scanner (not configurable, as in Trivy).
pub(crate) fn fixed_skip(path: &str) -> Option<PathSkip> {
    let mut parts = path.split('/').peekable();
    let mut file = "";
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            file = part;
        } else if let Some(d) = SKIP_DIRS.iter().find(|d| **d == part) {
            return Some(PathSkip::Directory(d));
        }
    }
    if let Some(f) = SKIP_FILES.iter().find(|f| **f == file) {
        return Some(PathSkip::FileName(f));
    }
    SKIP_EXTS
        .iter()
        .find(|e| file.len() > e.len() && file.ends_with(*e))
        .map(|e| PathSkip::Extension(e))
}

/// Whether the first bytes of a file say it is binary. Bell, backspace, tab, newline, form feed,
/// carriage return and escape occur in text; any other C0 control byte or DEL does not.
pub(crate) fn looks_binary(head: &[u8]) -> bool {
    head.iter()
        .take(SNIFF_LEN)
        .any(|&b| matches!(b, 0x00..=0x06 | 0x0b | 0x0e..=0x1a | 0x1c..=0x1f | 0x7f))
}

fn path_rule(id: &str, description: &str, path: &str) -> AllowRule {
    AllowRule {
        id: id.to_string(),
        description: description.to_string(),
        // Fixed patterns of this file; `builtin_allow_rules_compile` checks them.
        path: Some(rule::compile(path).unwrap_or_else(|e| panic!("allow rule {id}: {e}"))),
        regex: None,
        check: None,
    }
}

/// The built-in allow rules: Trivy's ids first, then Palisade's.
pub(crate) fn builtin_allow_rules() -> Vec<AllowRule> {
    let mut rules = vec![
        // A path component or file-name part beginning with "test" (test/, _test.go, .test.js,
        // -test.yaml, Testing/), in any case.
        path_rule(
            "tests",
            "Avoid test files and paths",
            r"(?i)(?:\A|[/_.\-])test",
        ),
        AllowRule {
            regex: Some(compile_fixed(r"(?i)example")),
            ..path_rule("examples", "Avoid example files and paths", "example")
        },
        path_rule("vendor", "Vendor dirs", "/vendor/"),
        path_rule("usr-dirs", "System dirs", r"\Ausr/(?:share|include|lib)/"),
        path_rule(
            "locale-dir",
            "Locales directory contains locales file",
            "/locales?/",
        ),
        path_rule("markdown", "Markdown files", r"\.md\z"),
        path_rule("node.js", "Node container images", r"\Aopt/yarn-v[0-9.]+/"),
        path_rule("golang", "Go container images", r"\Ausr/local/go/"),
        path_rule(
            "python",
            "Python container images",
            r"\Ausr/local/lib/python[0-9.]+/",
        ),
        path_rule("rubygems", "Ruby container images", r"\Ausr/lib/gems/"),
        path_rule(
            "wordpress",
            "Wordpress container images",
            r"\Ausr/src/wordpress/",
        ),
        path_rule(
            "anaconda-log",
            "Anaconda CI Logs in container images",
            r"\Avar/log/anaconda/",
        ),
    ];
    rules.push(check_rule(
        "palisade-placeholder",
        "Placeholders and variable references (${VAR}, $(cmd), {{ .x }}, <your-token>, xxxx, ***)",
        is_placeholder,
    ));
    rules.push(check_rule(
        "palisade-low-entropy",
        "Values made of a repeated unit or a counting sequence (aaaa…, 1234567890…, abcabc…)",
        is_low_entropy,
    ));
    rules
}

fn compile_fixed(p: &str) -> regex::bytes::Regex {
    // Only called with the fixed patterns of this file, which `builtin_allow_rules_compile`
    // compiles in the test suite.
    rule::compile(p).unwrap_or_else(|e| panic!("fixed allow pattern {p}: {e}"))
}

fn check_rule(id: &str, description: &str, check: rule::SecretCheck) -> AllowRule {
    AllowRule {
        id: id.to_string(),
        description: description.to_string(),
        path: None,
        regex: None,
        check: Some(check),
    }
}

/// Markers that only documentation and templates put where a secret goes.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "xxxx",
    "****",
    "...",
    "${",
    "$(",
    "{{",
    "}}",
    "%(",
    "<your",
    "your_",
    "your-",
    "yourtoken",
    "yourkey",
    "yoursecret",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "replace_me",
    "replaceme",
    "replace-with",
    "redacted",
    "dummy",
    "insert_",
    "insert-",
    "notarealkey",
    "not_a_real",
    "not-a-real",
];

/// A placeholder: a documentation marker, an environment/template reference, an angle-bracket
/// slot, or a masked value.
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    if secret.first() == Some(&b'$')
        || (secret.first() == Some(&b'<') && secret.last() == Some(&b'>'))
    {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    PLACEHOLDER_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(&lower, m.as_bytes()).is_some())
}

/// Low entropy: the value (ignoring a vendor prefix up to the last `_`/`-`/`.` in its first
/// half) is one short unit repeated, has at most 3 distinct characters, or contains a run of 10
/// consecutive ascending characters (`0123456789`, `abcdefghij`). Random tokens essentially
/// never do (a 10-character ascending run in 40 base62 characters has odds below 10^-15).
pub(crate) fn is_low_entropy(secret: &[u8]) -> bool {
    let body = strip_prefix(secret);
    if body.len() < 12 {
        return false;
    }
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in body {
        if !seen[usize::from(b)] {
            seen[usize::from(b)] = true;
            distinct += 1;
        }
    }
    if distinct <= 3 {
        return true;
    }
    for unit in 1..=8 {
        if body.len() >= unit * 3 && body.iter().enumerate().all(|(i, &b)| b == body[i % unit]) {
            return true;
        }
    }
    let mut run = 1;
    for w in body.windows(2) {
        if w[1] == w[0].wrapping_add(1) {
            run += 1;
            if run >= 10 {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

/// The part after a vendor prefix (`ghp_`, `sk-proj-`, `xoxb-`…), so that `ghp_aaaa…` counts
/// as one repeated character.
fn strip_prefix(secret: &[u8]) -> &[u8] {
    let half = secret.len() / 2;
    match secret[..half]
        .iter()
        .rposition(|b| matches!(b, b'_' | b'-' | b'.'))
    {
        Some(i) => &secret[i + 1..],
        None => secret,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_allow_rules_compile() {
        let rules = builtin_allow_rules();
        assert!(rules.iter().any(|r| r.id == "tests"));
        assert!(rules.iter().any(|r| r.id == "palisade-placeholder"));
    }

    #[test]
    fn fixed_skips_follow_trivy() {
        assert_eq!(
            fixed_skip("a/.git/config"),
            Some(PathSkip::Directory(".git"))
        );
        assert_eq!(
            fixed_skip("node_modules/x/a.js"),
            Some(PathSkip::Directory("node_modules"))
        );
        assert_eq!(fixed_skip("x/go.sum"), Some(PathSkip::FileName("go.sum")));
        assert_eq!(fixed_skip("img.png"), Some(PathSkip::Extension(".png")));
        assert_eq!(fixed_skip(".git"), None, "a file named .git is scanned");
        assert_eq!(fixed_skip("a.jar"), None);
        assert_eq!(fixed_skip("app/.env"), None);
    }

    #[test]
    fn binary_sniff_matches_trivy_byte_classes() {
        assert!(!looks_binary(
            b"text\twith\r\nfeeds\x0c bell\x07 bs\x08 esc\x1b"
        ));
        for b in [0u8, 1, 6, 0x0b, 0x0e, 0x1a, 0x1c, 0x1f, 0x7f] {
            assert!(looks_binary(&[b'a', b]), "{b:#x}");
        }
        let mut late = vec![b'a'; SNIFF_LEN];
        late.push(0);
        assert!(!looks_binary(&late), "a NUL after 300 bytes does not count");
        assert!(!looks_binary(&[0xff, 0xfe, 0xc3]), "high bytes are text");
    }

    #[test]
    fn placeholders_and_low_entropy() {
        for p in [
            &b"${GITHUB_TOKEN}"[..],
            b"<your-token>",
            b"xxxxxxxxxxxxxxxxxxxx",
            b"{{ .Values.token }}",
            b"$(cat /run/secret)",
            b"YOUR_API_KEY_HERE",
            b"changeme123",
        ] {
            assert!(is_placeholder(p), "{}", String::from_utf8_lossy(p));
        }
        for p in [
            &b"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"[..],
            b"0123456789abcdefghij0123",
            b"abcdabcdabcdabcdabcd",
        ] {
            assert!(is_low_entropy(p), "{}", String::from_utf8_lossy(p));
        }
        for p in [
            &b"ghp_R4nd0mT0k3nW1thM4nyCh4rs9xQzLpWvBn2"[..],
            b"wJalrXUtnFEMIK7MDENGbPxRfiCY1234abcdXYZq",
        ] {
            assert!(
                !is_low_entropy(p) && !is_placeholder(p),
                "{}",
                String::from_utf8_lossy(p)
            );
        }
    }

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalize_path("/usr/share/x"), "usr/share/x");
        assert_eq!(normalize_path("./a/b"), "a/b");
        assert_eq!(normalize_path("a\\b"), "a/b");
    }
}
