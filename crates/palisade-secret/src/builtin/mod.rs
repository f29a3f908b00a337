//! The built-in rules: Trivy 0.76's rule set (same ids, categories, titles, severities) and
//! Palisade's additions (ids starting with `palisade-`).
//!
//! Every pattern here is written from the provider's documented token format (prefix, length,
//! alphabet). The metadata of the Trivy rules is the reporting contract and is copied exactly;
//! the patterns are not Trivy's: where a provider documents more than Trivy matches (longer
//! keys, more prefixes, values without quotes), the pattern matches the documented format, so
//! every secret Trivy reports is still reported.

mod extra;
mod trivy;
mod trivy_cloud;

use crate::rule::{self, AllowRule, ByteClass, Keyword, KeywordCase, Rule, SecretCheck, Severity};

/// How a built-in rule's regex is written.
#[derive(Clone, Copy)]
pub(crate) enum Pat {
    /// A complete pattern. If it has a group named `secret`, that group is the secret; otherwise
    /// the whole match is.
    Raw(&'static str),
    /// "name ... = 'value'": a key whose name contains `name`, up to 25 more name characters, an
    /// assignment (`=`, `:`, `:=`, `=>`, `>`, `<=`, `||:`), at most 5 characters, then the value
    /// in quotes. Used for providers whose tokens have no recognisable prefix, so the key name is
    /// the only evidence. Case-insensitive throughout.
    Keyed {
        name: &'static str,
        value: &'static str,
    },
}

/// A built-in rule before compilation.
pub(crate) struct Def {
    pub(crate) id: &'static str,
    pub(crate) category: &'static str,
    pub(crate) title: &'static str,
    pub(crate) severity: Severity,
    pub(crate) pat: Pat,
    /// Literal strings, each present in every match (so a window without any of them cannot hold
    /// a match, which is what makes chunked scanning exact).
    pub(crate) keywords: &'static [&'static str],
    pub(crate) path: Option<&'static str>,
    pub(crate) check: Option<SecretCheck>,
    pub(crate) boundary: Option<ByteClass>,
    /// Rule-local allow rules: (id, regex on the full match).
    pub(crate) allow: &'static [(&'static str, &'static str)],
}

impl Def {
    /// A rule with a prefix-style pattern and case-sensitive keywords.
    pub(crate) const fn new(
        id: &'static str,
        category: &'static str,
        title: &'static str,
        severity: Severity,
        pat: Pat,
        keywords: &'static [&'static str],
    ) -> Def {
        Def {
            id,
            category,
            title,
            severity,
            pat,
            keywords,
            path: None,
            check: None,
            boundary: None,
            allow: &[],
        }
    }

    pub(crate) const fn boundary(mut self, class: ByteClass) -> Def {
        self.boundary = Some(class);
        self
    }

    pub(crate) const fn path(mut self, path: &'static str) -> Def {
        self.path = Some(path);
        self
    }

    pub(crate) const fn check(mut self, check: SecretCheck) -> Def {
        self.check = Some(check);
        self
    }

    pub(crate) const fn allow(mut self, allow: &'static [(&'static str, &'static str)]) -> Def {
        self.allow = allow;
        self
    }

    fn pattern(&self) -> String {
        match self.pat {
            Pat::Raw(p) => p.to_string(),
            Pat::Keyed { name, value } => format!(
                // name, more name characters, optional closing quote of a JSON/YAML key, the
                // assignment operator, up to 5 characters (spaces, `=`, a type), the quoted value.
                r#"(?i){name}[0-9a-z_ .,\-]{{0,25}}["']?\s*(?:<|\|\|)?[=:>][^\n]{{0,5}}?["'](?P<secret>{value})["']"#
            ),
        }
    }

    /// Keywords compare case-insensitively when the pattern is case-insensitive.
    fn keyword_case(&self) -> KeywordCase {
        match self.pat {
            Pat::Keyed { .. } => KeywordCase::Insensitive,
            Pat::Raw(p) if p.starts_with("(?i)") => KeywordCase::Insensitive,
            Pat::Raw(_) => KeywordCase::Sensitive,
        }
    }

    fn keywords_owned(&self) -> Vec<&'static str> {
        match (self.keywords.is_empty(), self.pat) {
            (true, Pat::Keyed { name, .. }) => vec![name],
            _ => self.keywords.to_vec(),
        }
    }

    fn compile(&self) -> Rule {
        let pattern = self.pattern();
        // The built-in patterns are fixed strings checked by the `every_builtin_compiles` test; a
        // failure here is a bug in this crate, caught by the test suite before any release.
        let regex = match rule::compile(&pattern) {
            Ok(r) => r,
            Err(e) => panic!("built-in rule {} does not compile: {e}", self.id),
        };
        let secret_group = regex.capture_names().position(|n| n == Some("secret"));
        let case = self.keyword_case();
        Rule {
            id: self.id.to_string(),
            category: self.category.to_string(),
            title: self.title.to_string(),
            severity: self.severity,
            secret_group,
            keywords: self
                .keywords_owned()
                .into_iter()
                .map(|k| Keyword {
                    text: k.as_bytes().to_vec(),
                    case,
                })
                .collect(),
            path: self.path.map(|p| {
                rule::compile(p).unwrap_or_else(|e| panic!("path of {} invalid: {e}", self.id))
            }),
            allow_rules: self
                .allow
                .iter()
                .map(|(id, re)| AllowRule {
                    id: (*id).to_string(),
                    description: String::new(),
                    path: None,
                    regex: Some(
                        rule::compile(re)
                            .unwrap_or_else(|e| panic!("allow rule {id} invalid: {e}")),
                    ),
                    check: None,
                })
                .collect(),
            exclude_blocks: Vec::new(),
            check: self.check,
            boundary: self.boundary,
            regex,
            builtin: true,
        }
    }
}

/// All built-in rule definitions, Trivy's first, in Trivy's order.
pub(crate) fn defs() -> impl Iterator<Item = &'static Def> {
    trivy::DEFS
        .iter()
        .chain(trivy_cloud::DEFS.iter())
        .chain(extra::DEFS.iter())
}

/// Compiles every built-in rule. Takes a few tens of milliseconds: build a
/// [`crate::Scanner`] once and share it.
pub(crate) fn rules() -> Vec<Rule> {
    defs().map(Def::compile).collect()
}

/// Metadata of one built-in rule, for documentation and `--list-rules` style output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// Rule id.
    pub id: &'static str,
    /// Category.
    pub category: &'static str,
    /// Title.
    pub title: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Whether Trivy 0.76 has this rule (same id, category, title, severity).
    pub trivy: bool,
}

/// The built-in rules' metadata, one entry per id (a rule written as two patterns appears once).
pub fn builtin_rule_info() -> Vec<RuleInfo> {
    let mut out: Vec<RuleInfo> = Vec::new();
    for (defs, trivy) in [
        (trivy::DEFS, true),
        (trivy_cloud::DEFS, true),
        (extra::DEFS, false),
    ] {
        for d in defs {
            if out.iter().any(|r| r.id == d.id) {
                continue;
            }
            out.push(RuleInfo {
                id: d.id,
                category: d.category,
                title: d.title,
                severity: d.severity,
                trivy,
            });
        }
    }
    out
}

/// Secret checks shared by several rules.
pub(crate) mod checks {
    /// ASCII letters and digits.
    pub(crate) fn alnum(b: u8) -> bool {
        b.is_ascii_alphanumeric()
    }

    /// The base64url alphabet (tokens that may end in `-` or `_`, where `\b` does not help).
    pub(crate) fn base64url(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
    }

    /// The alphabet of Entra ID client secrets.
    pub(crate) fn entra(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'~' | b'.' | b'-')
    }

    /// A 40-character hexadecimal value is a SHA-1 (a git commit, a checksum), not an AWS secret
    /// key: those are base64 and all-hex has a probability of about 2^-80.
    pub(crate) fn not_all_hex(secret: &[u8]) -> bool {
        !secret.iter().all(u8::is_ascii_hexdigit)
    }

    /// A password in a URL: not a word that documentation uses for one.
    pub(crate) fn url_password(secret: &[u8]) -> bool {
        const WORDS: &[&str] = &[
            "password",
            "passwd",
            "pass",
            "pwd",
            "secret",
            "changeme",
            "admin",
            "root",
            "guest",
            "user",
            "username",
            "test",
            "token",
            "apikey",
            "api_key",
            "mypassword",
            "pw",
            "p",
        ];
        let lower = secret.to_ascii_lowercase();
        !WORDS.iter().any(|w| lower == w.as_bytes()) && !secret.starts_with(b"$")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_compiles() {
        let rules = rules();
        assert_eq!(rules.len(), defs().count());
        for (rule, def) in rules.iter().zip(defs()) {
            assert!(!rule.keywords.is_empty(), "{} has no keyword", def.id);
            if def.pattern().contains("(?P<secret>") {
                assert!(rule.secret_group.is_some(), "{}", def.id);
            }
        }
    }

    #[test]
    fn ids_are_unique_per_metadata() {
        let info = builtin_rule_info();
        for d in defs() {
            let i = info.iter().find(|r| r.id == d.id).expect("listed");
            assert_eq!(
                (i.category, i.title, i.severity),
                (d.category, d.title, d.severity),
                "{}",
                d.id
            );
        }
    }
}
