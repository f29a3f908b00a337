//! Installed gem specifications: the Ruby files RubyGems writes to `specifications/` when it
//! installs a gem.
//!
//! RubyGems writes them with `Gem::Specification#to_ruby`, so every one has the same shape:
//!
//! ```ruby
//! Gem::Specification.new do |s|
//!   s.name = "hello".freeze
//!   s.version = "1.2.3"
//!   ...
//! end
//! ```
//!
//! Older RubyGems (1.x) wrote `s.name = %q{hello}`, and hand-written specifications use other
//! block variables (`spec.name = 'hello'`). Ruby is never evaluated: the block variable is read
//! from the `Gem::Specification.new do |…|` line and `name` and `version` from one-line
//! assignments to it whose value is a string literal (double- or single-quoted, or `%q`/`%Q`/`%`
//! with any delimiter), optionally followed by `.freeze`. As in Ruby, the last assignment wins.
//! A value that needs evaluating (interpolation, `Gem::Version.new(…)`, a constant) is not
//! guessed at: if no readable assignment follows it, the file is skipped with a warning.

/// The name and version a specification assigns, or why they cannot be read.
pub(super) fn parse(text: &str) -> Result<(String, String), String> {
    let var = block_variable(text)
        .ok_or("no `Gem::Specification.new do |…|` block: not a gem specification")?;
    let mut name: Option<Result<String, String>> = None;
    let mut version: Option<Result<String, String>> = None;
    for (i, line) in text.lines().enumerate() {
        let Some((attr, rhs)) = assignment(line, var) else {
            continue;
        };
        let slot = match attr {
            "name" => &mut name,
            "version" => &mut version,
            _ => continue,
        };
        *slot = Some(match string_literal(rhs) {
            Some(value) => Ok(value),
            None => Err(format!(
                "line {}: the {attr} is not a string literal (`{}`)",
                i + 1,
                super::excerpt(rhs.trim())
            )),
        });
    }
    let name = name.ok_or("no `name` assignment")??;
    let version = version.ok_or("no `version` assignment")??;
    let version = version.trim();
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{}` is not a gem name",
            super::excerpt(&name.escape_debug().to_string())
        ));
    }
    if version.is_empty() || version.chars().any(char::is_control) {
        return Err(format!(
            "`{}` is not a gem version",
            super::excerpt(&version.escape_debug().to_string())
        ));
    }
    Ok((name, version.to_string()))
}

/// The block variable of the first `Gem::Specification.new do |s|` (or `{ |s|`).
fn block_variable(text: &str) -> Option<&str> {
    const NEW: &str = "Gem::Specification.new";
    let mut rest = text;
    while let Some(at) = rest.find(NEW) {
        rest = &rest[at + NEW.len()..];
        let after = rest.trim_start_matches([' ', '\t']);
        let after = after
            .strip_prefix("do")
            .or_else(|| after.strip_prefix('{'))
            .map(|a| a.trim_start_matches([' ', '\t']));
        let Some(params) = after.and_then(|a| a.strip_prefix('|')) else {
            continue;
        };
        let params = params.trim_start_matches([' ', '\t']);
        let len = identifier_len(params);
        if len > 0
            && params[len..]
                .trim_start_matches([' ', '\t'])
                .starts_with('|')
        {
            return Some(&params[..len]);
        }
    }
    None
}

/// Length of the Ruby local-variable name at the start of `s` (ASCII letters, digits, `_`;
/// not starting with a digit).
fn identifier_len(s: &str) -> usize {
    let len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        0
    } else {
        len
    }
}

/// `var.attr = rhs` on one line: the attribute and the right-hand side. Comments, comparisons
/// (`==`, `=~`) and other receivers do not match.
fn assignment<'a>(line: &'a str, var: &str) -> Option<(&'a str, &'a str)> {
    let line = line.trim_start_matches([' ', '\t']);
    let rest = line.strip_prefix(var)?.strip_prefix('.')?;
    let len = identifier_len(rest);
    if len == 0 {
        return None;
    }
    let (attr, rest) = rest.split_at(len);
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix('=')?;
    if rest.starts_with(['=', '~', '>']) {
        return None;
    }
    Some((attr, rest.trim_start_matches([' ', '\t'])))
}

/// The value of the string literal at the start of `s`, if it needs no evaluation; an optional
/// `.freeze` may follow, anything after is ignored (`if s.respond_to? …`).
fn string_literal(s: &str) -> Option<String> {
    let mut chars = s.chars();
    let (open, interpolating) = match chars.next()? {
        '"' => ('"', true),
        '\'' => ('\'', false),
        '%' => match chars.next()? {
            'q' => (chars.next()?, false),
            'Q' => (chars.next()?, true),
            c if !c.is_ascii_alphanumeric() && !c.is_whitespace() => (c, true),
            _ => return None,
        },
        _ => return None,
    };
    let close = match open {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '<' => '>',
        c if c.is_ascii_alphanumeric() || c.is_whitespace() => return None,
        c => c,
    };
    let mut out = String::new();
    let mut depth = 0usize;
    let mut prev_hash = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let escaped = chars.next()?;
            if escaped == '\\' || escaped == close || escaped == open || escaped == '\'' {
                out.push(escaped);
            } else if interpolating {
                // `\n`, `\u…` and friends: not in any real name or version; not guessed.
                return None;
            } else {
                out.push('\\');
                out.push(escaped);
            }
            prev_hash = false;
            continue;
        }
        if interpolating && prev_hash && matches!(c, '{' | '@' | '$') {
            return None;
        }
        prev_hash = c == '#';
        if c == close && depth == 0 {
            return Some(out);
        }
        if open != close {
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
            }
        }
        out.push(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What RubyGems 3.3 (Ruby 3.1) writes for an installed gem, verbatim apart from the name.
    const INSTALLED: &str = r##"# -*- encoding: utf-8 -*-
# stub: hello 1.2.3 ruby lib

Gem::Specification.new do |s|
  s.name = "hello".freeze
  s.version = "1.2.3"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["me".freeze]
  s.date = "2026-12-02"
  s.licenses = ["MIT".freeze, "Apache-2.0".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "test gem hello".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version
end
"##;

    /// The style of RubyGems 1.x.
    const OLD: &str = "# -*- encoding: utf-8 -*-

Gem::Specification.new do |s|
  s.name = %q{oldgem}
  s.version = \"0.9.1\"

  s.required_rubygems_version = Gem::Requirement.new(\">= 0\") if s.respond_to? :required_rubygems_version=
  s.authors = [%q{Someone}]
  s.date = %q{2011-05-01}
  s.license = %q{BSD}
end
";

    fn ok(text: &str) -> (String, String) {
        parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.to_string(), v.to_string())
    }

    #[test]
    fn reads_what_rubygems_writes() {
        assert_eq!(ok(INSTALLED), pair("hello", "1.2.3"));
        assert_eq!(ok(OLD), pair("oldgem", "0.9.1"));
        assert_eq!(ok(&INSTALLED.replace('\n', "\r\n")), pair("hello", "1.2.3"));
    }

    #[test]
    fn other_spellings() {
        let cases = [
            (
                "Gem::Specification.new do |spec|\n  spec.name          = 'single'.freeze\n  spec.version       = '2.0'\nend\n",
                ("single", "2.0"),
            ),
            (
                "Gem::Specification.new { |s|\n\ts.name=%q(paren)\n\ts.version\t=\t%Q[0.1]\n}\n",
                ("paren", "0.1"),
            ),
            (
                "Gem::Specification.new do | g |\n g.name = %<a<b>c>\n g.version = %|1.0|.freeze\nend\n",
                ("a<b>c", "1.0"),
            ),
            (
                "Gem::Specification.new do |s|\n  s.version = \"9.9\"\n  s.name = \"first\"\n  s.name = \"second\"\nend\n",
                ("second", "9.9"),
            ),
            (
                "# s.name = \"commented\"\nGem::Specification.new do |s|\n  s.summary = %q{s.name = \"insummary\"}\n  s.name = \"realname\".freeze\n  s.version = \"1.1.0\" # pinned\nend\n",
                ("realname", "1.1.0"),
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"native\".freeze\n  s.version = \"1.13.10\"\n  s.platform = \"x86_64-linux\".freeze\nend\n",
                ("native", "1.13.10"),
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = 'it\\'s'\n  s.version = \" 1.0 \"\nend\n",
                ("it's", "1.0"),
            ),
            // An unreadable value is overridden by a later readable one, as Ruby would.
            (
                "Gem::Specification.new do |s|\n  s.name = NAME\n  s.name = \"later\"\n  s.version = \"1\"\nend\n",
                ("later", "1"),
            ),
        ];
        for (text, (n, v)) in cases {
            assert_eq!(ok(text), pair(n, v), "{text}");
        }
    }

    #[test]
    fn unreadable_specifications_say_why() {
        let cases = [
            ("not ruby at all\n", "not a gem specification"),
            (
                "s.name = \"x\"\ns.version = \"1\"\n",
                "not a gem specification",
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"nover\".freeze\nend\n",
                "no `version`",
            ),
            (
                "Gem::Specification.new do |s|\n  s.version = \"1\"\nend\n",
                "no `name`",
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"gv\"\n  s.version = Gem::Version.new(\"3.0\")\nend\n",
                "line 3: the version is not a string literal",
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"a#{x}\"\n  s.version = \"1\"\nend\n",
                "name is not a string literal",
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"a\\nb\"\n  s.version = \"1\"\nend\n",
                "name is not a string literal",
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"unterminated\n  s.version = \"1\"\nend\n",
                "name is not a string literal",
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"two words\"\n  s.version = \"1\"\nend\n",
                "not a gem name",
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"\"\n  s.version = \"1\"\nend\n",
                "not a gem name",
            ),
            (
                "Gem::Specification.new do |s|\n  s.name = \"x\"\n  s.version = \"  \"\nend\n",
                "not a gem version",
            ),
        ];
        for (text, needle) in cases {
            let err = parse(text).expect_err(text);
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn comparisons_and_other_receivers_are_not_assignments() {
        let text = "Gem::Specification.new do |s|\n  other.name = \"no\"\n  s.name == \"no\"\n  s.names = \"no\"\n  ss.name = \"no\"\n  s.name = \"yes\"\n  s.version = \"1\"\nend\n";
        assert_eq!(ok(text), pair("yes", "1"));
    }

    #[test]
    fn literals() {
        assert_eq!(string_literal("\"a\".freeze").as_deref(), Some("a"));
        assert_eq!(string_literal("'a\\b'").as_deref(), Some("a\\b"));
        assert_eq!(string_literal("%q{a{b}c}").as_deref(), Some("a{b}c"));
        assert_eq!(string_literal("%q{a\\}b}").as_deref(), Some("a}b"));
        assert_eq!(string_literal("%{x}").as_deref(), Some("x"));
        assert_eq!(string_literal("%(#x)").as_deref(), Some("#x"));
        assert_eq!(string_literal("%Q(#@x)"), None);
        assert_eq!(string_literal("%q x "), None);
        assert_eq!(string_literal("%w{a b}"), None);
        assert_eq!(string_literal("%q{open"), None);
        assert_eq!(string_literal("x"), None);
        assert_eq!(string_literal(""), None);
        assert_eq!(string_literal("%"), None);
        assert_eq!(string_literal("\"\\"), None);
    }
}
