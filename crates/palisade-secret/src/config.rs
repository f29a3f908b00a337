//! `trivy-secret.yaml`: custom rules, allow rules, exclude blocks, and switches for the built-in
//! ones, in Trivy's format.
//!
//! ```yaml
//! enable-builtin-rules: [aws-access-key-id]   # only these built-in rules (default: all)
//! disable-rules: [slack-web-hook]              # built-in or custom ids
//! disable-allow-rules: [tests]                 # built-in allow rules
//! rules:
//!   - id: internal-token
//!     category: Internal
//!     title: Internal service token
//!     severity: HIGH
//!     regex: (?P<secret>itk_[0-9a-f]{32})
//!     secret-group-name: secret
//!     keywords: [itk_]
//!     path: \.env$
//!     allow-rules: [{id: fixtures, path: fixtures/}]
//!     exclude-block: {description: generated, regexes: ['(?s)BEGIN GENERATED.*?END GENERATED']}
//! allow-rules:
//!   - {id: docs, description: documentation, path: ^docs/}
//! exclude-block: {regexes: [...]}
//! ```
//!
//! A file that is not YAML, or not a mapping, is an error. Anything wrong inside a rule is a
//! [`ConfigProblem`] naming the rule and the field; the rule is left out (or, for a missing
//! severity/category/title, kept with a default) and the other rules are used. Regexes are Rust
//! `regex` syntax, which accepts Go's `regexp` syntax Trivy documents (`(?P<name>…)`, `(?i)`,
//! classes) and runs in linear time: a pattern that backtracks catastrophically in other engines
//! cannot hang a scan here.

use std::fmt;

use regex::bytes::Regex;
use yaml_serde::{Mapping, Value};

use crate::allow;
use crate::builtin;
use crate::rule::{self, AllowRule, Keyword, KeywordCase, Rule, Severity};
use crate::scanner::{ScanOptions, Scanner};

/// Largest config file accepted (a config is a few kilobytes; this only guards against
/// pointing the option at the wrong file).
pub const MAX_CONFIG_BYTES: usize = 4 << 20;

/// The config file cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid YAML.
    #[error("secret config is not valid YAML: {0}")]
    Yaml(String),
    /// Valid YAML, wrong shape.
    #[error("secret config: {0}")]
    Shape(String),
    /// Over [`MAX_CONFIG_BYTES`].
    #[error("secret config is {size} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// A problem with one part of the config; the rest of the config is still used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where: `rules[2] "my-rule"`, `allow-rules[0]`, `enable-builtin-rules`, …
    pub location: String,
    /// The field, e.g. `regex`.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// Whether the rule (or allow rule) was left out because of it.
    pub dropped: bool,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "secret config {}: field `{}`: {}",
            self.location, self.field, self.message
        )?;
        if self.dropped {
            f.write_str(" (ignored)")?;
        }
        Ok(())
    }
}

/// Parsing and compiling context: collects problems.
struct Ctx {
    problems: Vec<ConfigProblem>,
}

impl Ctx {
    fn problem(&mut self, location: &str, field: &str, message: impl Into<String>, dropped: bool) {
        self.problems.push(ConfigProblem {
            location: location.to_string(),
            field: field.to_string(),
            message: message.into(),
            dropped,
        });
    }
}

impl Scanner {
    /// Builds a scanner from a `trivy-secret.yaml`: the built-in rules it keeps plus its custom
    /// rules. Problems inside rules are returned, not fatal.
    pub fn from_config_yaml(
        yaml: &[u8],
        options: ScanOptions,
    ) -> Result<(Scanner, Vec<ConfigProblem>), ConfigError> {
        if yaml.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge {
                size: yaml.len(),
                max: MAX_CONFIG_BYTES,
            });
        }
        let doc: Value =
            yaml_serde::from_slice(yaml).map_err(|e| ConfigError::Yaml(e.to_string()))?;
        let map = match doc {
            Value::Mapping(m) => m,
            Value::Null => Mapping::new(),
            other => {
                return Err(ConfigError::Shape(format!(
                    "the top level must be a mapping (rules:, allow-rules:, …), found {}",
                    kind(&other)
                )));
            }
        };
        let mut ctx = Ctx {
            problems: Vec::new(),
        };
        for key in map.keys() {
            let k = key.as_str().unwrap_or("");
            if !matches!(
                k,
                "rules"
                    | "allow-rules"
                    | "exclude-block"
                    | "enable-builtin-rules"
                    | "disable-rules"
                    | "disable-allow-rules"
            ) {
                ctx.problem("top level", k, "unknown key (ignored)", false);
            }
        }
        let enable = string_list(&mut ctx, &map, "enable-builtin-rules", "top level");
        let disable = string_list(&mut ctx, &map, "disable-rules", "top level").unwrap_or_default();
        let disable_allow =
            string_list(&mut ctx, &map, "disable-allow-rules", "top level").unwrap_or_default();

        let known: Vec<&str> = builtin::builtin_rule_info().iter().map(|r| r.id).collect();
        for id in enable.iter().flatten().chain(disable.iter()) {
            if !known.contains(&id.as_str()) && !custom_ids(&map).contains(id) {
                ctx.problem(
                    "top level",
                    "enable-builtin-rules/disable-rules",
                    format!("no rule has id {id:?}"),
                    false,
                );
            }
        }

        let mut rules: Vec<Rule> = builtin::rules()
            .into_iter()
            .filter(|r| enable.as_ref().is_none_or(|e| e.contains(&r.id)))
            .collect();
        if let Some(Value::Sequence(seq)) = map.get("rules") {
            for (i, v) in seq.iter().enumerate() {
                if let Some(r) = custom_rule(&mut ctx, i, v) {
                    rules.push(r);
                }
            }
        } else if let Some(v) = map.get("rules")
            && !v.is_null()
        {
            ctx.problem(
                "top level",
                "rules",
                format!("must be a list of rules, found {}", kind(v)),
                true,
            );
        }
        rules.retain(|r| !disable.contains(&r.id));

        let mut allow_rules: Vec<AllowRule> = allow::builtin_allow_rules()
            .into_iter()
            .filter(|a| !disable_allow.contains(&a.id))
            .collect();
        allow_rules.extend(allow_rule_list(
            &mut ctx,
            map.get("allow-rules"),
            "allow-rules",
        ));
        let blocks = exclude_block(&mut ctx, map.get("exclude-block"), "exclude-block");
        Ok((
            Scanner::new(rules, allow_rules, blocks, options),
            ctx.problems,
        ))
    }
}

fn custom_ids(map: &Mapping) -> Vec<String> {
    match map.get("rules") {
        Some(Value::Sequence(seq)) => seq
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A scalar as text (numbers and booleans too, as YAML users write `id: 123`).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(ctx: &mut Ctx, map: &Mapping, field: &str, location: &str) -> Option<Vec<String>> {
    let v = map.get(field)?;
    match v {
        Value::Null => None,
        Value::Sequence(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match scalar(item) {
                    Some(s) => out.push(s),
                    None => ctx.problem(
                        location,
                        &format!("{field}[{i}]"),
                        format!("must be a string, found {}", kind(item)),
                        false,
                    ),
                }
            }
            Some(out)
        }
        other => scalar(other).map(|s| vec![s]).or_else(|| {
            ctx.problem(
                location,
                field,
                format!("must be a list of strings, found {}", kind(other)),
                false,
            );
            None
        }),
    }
}

/// A regex field: a string, or (older Trivy docs) a list of strings joined as alternatives.
fn regex_field(
    ctx: &mut Ctx,
    map: &Mapping,
    field: &str,
    location: &str,
) -> Result<Option<Regex>, ()> {
    let Some(v) = map.get(field) else {
        return Ok(None);
    };
    let pattern = match v {
        Value::Null => return Ok(None),
        Value::Sequence(items) => {
            let parts: Option<Vec<String>> = items.iter().map(scalar).collect();
            match parts {
                Some(p) if !p.is_empty() => p
                    .iter()
                    .map(|s| format!("(?:{s})"))
                    .collect::<Vec<_>>()
                    .join("|"),
                _ => {
                    ctx.problem(
                        location,
                        field,
                        "must be a regular expression (a string)",
                        true,
                    );
                    return Err(());
                }
            }
        }
        other => match scalar(other) {
            Some(s) => s,
            None => {
                ctx.problem(
                    location,
                    field,
                    format!("must be a regular expression, found {}", kind(other)),
                    true,
                );
                return Err(());
            }
        },
    };
    match rule::compile(&pattern) {
        Ok(r) => Ok(Some(r)),
        Err(e) => {
            ctx.problem(
                location,
                field,
                format!(
                    "invalid regular expression {}: {}",
                    shorten(&pattern),
                    one_line(&e.to_string())
                ),
                true,
            );
            Err(())
        }
    }
}

fn shorten(s: &str) -> String {
    let short: String = s.chars().take(80).collect();
    if short.len() < s.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_field(ctx: &mut Ctx, map: &Mapping, field: &str, location: &str) -> Option<String> {
    let v = map.get(field)?;
    if v.is_null() {
        return None;
    }
    let s = scalar(v);
    if s.is_none() {
        ctx.problem(
            location,
            field,
            format!("must be a string, found {}", kind(v)),
            false,
        );
    }
    s
}

const RULE_FIELDS: &[&str] = &[
    "id",
    "category",
    "title",
    "severity",
    "regex",
    "keywords",
    "path",
    "allow-rules",
    "exclude-block",
    "secret-group-name",
];

fn custom_rule(ctx: &mut Ctx, index: usize, v: &Value) -> Option<Rule> {
    let anon = format!("rules[{index}]");
    let Value::Mapping(map) = v else {
        ctx.problem(
            &anon,
            "-",
            format!("a rule must be a mapping, found {}", kind(v)),
            true,
        );
        return None;
    };
    let Some(id) = text_field(ctx, map, "id", &anon).filter(|s| !s.trim().is_empty()) else {
        ctx.problem(&anon, "id", "missing (every rule needs an id)", true);
        return None;
    };
    let loc = format!("rules[{index}] {id:?}");
    for k in map.keys() {
        let k = k.as_str().unwrap_or("");
        if !RULE_FIELDS.contains(&k) {
            ctx.problem(&loc, k, "unknown field (ignored)", false);
        }
    }
    let severity = match text_field(ctx, map, "severity", &loc) {
        None => {
            ctx.problem(&loc, "severity", "missing; using UNKNOWN", false);
            Severity::Unknown
        }
        Some(s) => match Severity::parse(&s) {
            Some(sev) => sev,
            None => {
                ctx.problem(
                    &loc,
                    "severity",
                    format!("{s:?} is not one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN"),
                    true,
                );
                return None;
            }
        },
    };
    let category = text_field(ctx, map, "category", &loc).unwrap_or_else(|| {
        ctx.problem(&loc, "category", "missing; using \"general\"", false);
        "general".to_string()
    });
    let title = text_field(ctx, map, "title", &loc).unwrap_or_else(|| {
        ctx.problem(&loc, "title", "missing; using the id", false);
        id.clone()
    });
    let regex = match regex_field(ctx, map, "regex", &loc) {
        Ok(Some(r)) => r,
        Ok(None) => {
            ctx.problem(&loc, "regex", "missing (every rule needs a regex)", true);
            return None;
        }
        Err(()) => return None,
    };
    let secret_group = match text_field(ctx, map, "secret-group-name", &loc) {
        None => None,
        Some(name) => match regex.capture_names().position(|n| n == Some(name.as_str())) {
            Some(i) => Some(i),
            None => {
                ctx.problem(
                    &loc,
                    "secret-group-name",
                    format!("the regex has no group named {name:?} (write (?P<{name}>…))"),
                    true,
                );
                return None;
            }
        },
    };
    let path = regex_field(ctx, map, "path", &loc).ok()?;
    let keywords = string_list(ctx, map, "keywords", &loc)
        .unwrap_or_default()
        .into_iter()
        .filter(|k| !k.is_empty())
        .map(|k| Keyword {
            text: k.into_bytes(),
            case: KeywordCase::Insensitive,
        })
        .collect();
    let allow_rules = allow_rule_list(ctx, map.get("allow-rules"), &format!("{loc} allow-rules"));
    let exclude_blocks = exclude_block(
        ctx,
        map.get("exclude-block"),
        &format!("{loc} exclude-block"),
    );
    Some(Rule {
        id,
        category,
        title,
        severity,
        regex,
        secret_group,
        keywords,
        path,
        allow_rules,
        exclude_blocks,
        check: None,
        boundary: None,
        builtin: false,
    })
}

fn allow_rule_list(ctx: &mut Ctx, v: Option<&Value>, location: &str) -> Vec<AllowRule> {
    let items = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Sequence(items)) => items,
        Some(other) => {
            ctx.problem(
                location,
                "-",
                format!("must be a list of allow rules, found {}", kind(other)),
                true,
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let anon = format!("{location}[{i}]");
        let Value::Mapping(map) = item else {
            ctx.problem(
                &anon,
                "-",
                format!("an allow rule must be a mapping, found {}", kind(item)),
                true,
            );
            continue;
        };
        let id = text_field(ctx, map, "id", &anon).unwrap_or_else(|| {
            ctx.problem(&anon, "id", "missing", false);
            anon.clone()
        });
        let loc = format!("{location}[{i}] {id:?}");
        let description = text_field(ctx, map, "description", &loc).unwrap_or_default();
        let (Ok(path), Ok(regex)) = (
            regex_field(ctx, map, "path", &loc),
            regex_field(ctx, map, "regex", &loc),
        ) else {
            continue;
        };
        if path.is_none() && regex.is_none() {
            ctx.problem(
                &loc,
                "path/regex",
                "an allow rule needs a path or a regex",
                true,
            );
            continue;
        }
        out.push(AllowRule {
            id,
            description,
            path,
            regex,
            check: None,
        });
    }
    out
}

fn exclude_block(ctx: &mut Ctx, v: Option<&Value>, location: &str) -> Vec<Regex> {
    let map = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Mapping(m)) => m,
        Some(other) => {
            ctx.problem(
                location,
                "-",
                format!("must be a mapping with `regexes`, found {}", kind(other)),
                true,
            );
            return Vec::new();
        }
    };
    let items = match map.get("regexes") {
        Some(Value::Sequence(items)) => items,
        None | Some(Value::Null) => return Vec::new(),
        Some(other) => {
            ctx.problem(
                location,
                "regexes",
                format!(
                    "must be a list of regular expressions, found {}",
                    kind(other)
                ),
                true,
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("regexes[{i}]");
        match scalar(item).map(|s| (rule::compile(&s), s)) {
            Some((Ok(r), _)) => out.push(r),
            Some((Err(e), s)) => ctx.problem(
                location,
                &field,
                format!(
                    "invalid regular expression {}: {}",
                    shorten(&s),
                    one_line(&e.to_string())
                ),
                true,
            ),
            None => ctx.problem(
                location,
                &field,
                format!("must be a string, found {}", kind(item)),
                true,
            ),
        }
    }
    out
}
