//! Rules as the scanner runs them: metadata (the reporting contract), one compiled regex, the
//! keywords that switch it on, and the allow rules that silence it.
//!
//! Built-in and custom rules end up in the same [`Rule`] shape, so the engine has one code path
//! and a custom rule can do everything a built-in one does.

use std::fmt;

use regex::bytes::{Regex, RegexBuilder};
use serde::Serialize;

/// Severity of a rule, as Trivy spells it in reports (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`).
///
/// `Unknown` exists because Trivy reports a built-in rule without a severity
/// (`ionic-api-token`) as `UNKNOWN`, and a custom rule may leave it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No severity given.
    Unknown,
    /// LOW.
    Low,
    /// MEDIUM.
    Medium,
    /// HIGH.
    High,
    /// CRITICAL.
    Critical,
}

impl Severity {
    /// The report spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Parses a severity case-insensitively (Trivy accepts `high` in a config file too).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UNKNOWN" => Some(Severity::Unknown),
            "LOW" => Some(Severity::Low),
            "MEDIUM" => Some(Severity::Medium),
            "HIGH" => Some(Severity::High),
            "CRITICAL" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Largest compiled program one rule regex may have. Custom rules are operator input; a pattern
/// such as `(a{1000}){1000}` must fail to compile with a clear error instead of eating memory.
pub(crate) const REGEX_SIZE_LIMIT: usize = 4 << 20;
/// Lazy-DFA cache per regex; the engine falls back to its linear-time NFA beyond it.
pub(crate) const REGEX_DFA_LIMIT: usize = 2 << 20;

/// Compiles a rule or allow-rule pattern the way every rule is compiled.
///
/// Unicode mode is off: the scanner works on arbitrary bytes (invalid UTF-8 included), `.` then
/// matches any byte but `\n`, and `\b \w \d \s` are ASCII, which is what Go's `regexp` (Trivy's
/// engine) does for them. Rust's `regex` runs in time linear in the input whatever the pattern,
/// so a custom rule that would backtrack catastrophically elsewhere cannot hang a scan.
pub(crate) fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
}

/// How a keyword is compared with the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum KeywordCase {
    /// ASCII case-insensitive, as Trivy compares the keywords of every rule.
    Insensitive,
    /// Exact bytes: a built-in rule whose regex is case-sensitive can ask for this, so that the
    /// keyword `SK` does not switch its rule on for every `task` and `disk`.
    Sensitive,
}

/// A keyword of a rule. The rule's regex runs on a window only if one of its keywords occurs in
/// it (or, once one has occurred, for the rest of the file).
#[derive(Debug, Clone)]
pub(crate) struct Keyword {
    pub(crate) text: Vec<u8>,
    pub(crate) case: KeywordCase,
}

/// A reason to drop a finding or skip a file: Trivy's `allow-rules`.
///
/// `path` allows whole files (the rule does not run on them); `regex` allows a finding whose
/// full match contains it. An allow rule with both acts on either, as Trivy's built-in
/// `examples` rule does (a path containing `example` is skipped, and so is a match containing
/// `EXAMPLE` anywhere).
#[derive(Debug, Clone)]
pub struct AllowRule {
    /// Identifier, used by `disable-allow-rules`.
    pub id: String,
    /// Free text.
    pub description: String,
    pub(crate) path: Option<Regex>,
    pub(crate) regex: Option<Regex>,
    /// A check in code on the secret bytes (placeholders, low-entropy values); `true` allows.
    pub(crate) check: Option<SecretCheck>,
}

impl AllowRule {
    pub(crate) fn allows_path(&self, path: &str) -> bool {
        self.path
            .as_ref()
            .is_some_and(|p| p.is_match(path.as_bytes()))
    }

    /// Whether this rule allows a finding: its regex matches the full match, or its check
    /// accepts the secret.
    pub(crate) fn allows_match(&self, matched: &[u8], secret: &[u8]) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(matched))
            || self.check.is_some_and(|c| c(secret))
    }
}

/// A check in code that a regex cannot express (for example "not all hexadecimal"). Returns
/// `false` to drop the candidate. It sees the secret bytes only.
pub(crate) type SecretCheck = fn(&[u8]) -> bool;

/// A set of bytes, as a predicate.
pub(crate) type ByteClass = fn(u8) -> bool;

/// One detection rule, compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Rule identifier, e.g. `aws-access-key-id`. Dashboards filter by it: for the rules Trivy
    /// has, it is Trivy's identifier.
    pub id: String,
    /// Category, e.g. `AWS`.
    pub category: String,
    /// Human title, e.g. `AWS Access Key ID`.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    pub(crate) regex: Regex,
    /// Index of the capture group holding the secret; `None` means the whole match.
    pub(crate) secret_group: Option<usize>,
    pub(crate) keywords: Vec<Keyword>,
    pub(crate) path: Option<Regex>,
    pub(crate) allow_rules: Vec<AllowRule>,
    pub(crate) exclude_blocks: Vec<Regex>,
    pub(crate) check: Option<SecretCheck>,
    /// Bytes that must not touch the secret on either side (a word boundary for alphabets `\b`
    /// does not describe, such as Entra secrets with `~ . -`). Checked in code so the regex can
    /// start with its literal and be found by the fast literal search.
    pub(crate) boundary: Option<ByteClass>,
    /// Whether this rule ships with Palisade (built-in) or comes from a config file.
    pub builtin: bool,
}

impl Rule {
    /// Whether this rule applies to a file at `path` (its `path` regex, if any, matches, and
    /// none of its own allow rules allows the path).
    pub(crate) fn applies_to(&self, path: &str) -> bool {
        if let Some(p) = &self.path
            && !p.is_match(path.as_bytes())
        {
            return false;
        }
        !self.allow_rules.iter().any(|a| a.allows_path(path))
    }
}
