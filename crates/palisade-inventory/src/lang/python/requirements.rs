//! Pinned requirements in `requirements*.txt`.
//!
//! Only an exact pin (`name==version`, or `name===version`) says which version an image runs;
//! ranges, bare names, URLs and local paths do not, so they are passed over, as Trivy does.
//! Around the pin, pip's file syntax is understood: extras (`name[extra]==1.0`), environment
//! markers after `;`, per-requirement options such as `--hash=…`, comments, and lines continued
//! with a trailing backslash. Option lines (`-r`, `-c`, `-e`, `--index-url`) are skipped: an
//! included file is read on its own if it is itself a `requirements*.txt`.

use std::borrow::Cow;
use std::io::Read;

use palisade_ecosystem::{PackageType, types};

use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package, read_bounded};

/// Largest requirements file read. Generated ones with hashes for every wheel reach a few
/// hundred KiB; 8 MiB is far beyond any real one.
const MAX_REQUIREMENTS: u64 = 8 << 20;

/// See the module documentation.
pub struct Requirements;

impl FileAnalyzer for Requirements {
    fn name(&self) -> &'static str {
        "pip"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        let name = super::file_name(file.path);
        name.starts_with("requirements") && name.ends_with(".txt")
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let data = read_bounded(file, content, MAX_REQUIREMENTS)?;
        let text = decode(&data);
        let kind = PackageType::of(&types::PIP);
        Ok(pinned_requirements(&text)
            .into_iter()
            .map(|(name, version)| Package::lang(kind, &name, &version, file.path))
            .collect())
    }
}

/// The text of a requirements file. Windows PowerShell saves redirected output as UTF-16 with
/// a byte-order mark (`pip freeze > requirements.txt`), so that is decoded too; anything else
/// is read as UTF-8, invalid bytes replaced (they cannot be part of a valid pin).
fn decode(data: &[u8]) -> Cow<'_, str> {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| -> Cow<'_, str> {
        let units = rest.chunks_exact(2).map(|c| unit([c[0], c[1]]));
        Cow::Owned(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    };
    if let Some(rest) = data.strip_prefix(&[0xFF, 0xFE][..]) {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = data.strip_prefix(&[0xFE, 0xFF][..]) {
        utf16(rest, u16::from_be_bytes)
    } else {
        let data = data.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(data);
        String::from_utf8_lossy(data)
    }
}

/// Every exact pin of a requirements file, in file order, as (name, version).
fn pinned_requirements(text: &str) -> Vec<(String, String)> {
    logical_lines(text)
        .iter()
        .filter_map(|line| pinned(line))
        .map(|(name, version)| (name.to_string(), version.to_string()))
        .collect()
}

/// Joins continued lines and drops comments, as pip does before parsing: a comment starts at a
/// `#` that begins the line or follows whitespace (a `#` inside a URL fragment is not one), and
/// a line with a comment is never continued.
fn logical_lines(text: &str) -> Vec<Cow<'_, str>> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for raw in text.lines() {
        let (line, commented) = match comment_start(raw) {
            Some(i) => (&raw[..i], true),
            None => (raw, false),
        };
        let continued = !commented && line.ends_with('\\');
        let line = if continued {
            &line[..line.len() - 1]
        } else {
            line
        };
        match (pending.take(), continued) {
            (None, false) => out.push(Cow::Borrowed(line)),
            (None, true) => pending = Some(line.to_string()),
            (Some(mut joined), more) => {
                joined.push_str(line);
                if more {
                    pending = Some(joined);
                } else {
                    out.push(Cow::Owned(joined));
                }
            }
        }
    }
    out.extend(pending.map(Cow::Owned));
    out
}

/// Where a comment starts in a physical line, if it has one.
fn comment_start(line: &str) -> Option<usize> {
    line.match_indices('#')
        .map(|(i, _)| i)
        .find(|&i| i == 0 || line[..i].ends_with(char::is_whitespace))
}

/// The (name, version) of a logical line if it pins exactly one version.
fn pinned(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    // Option lines: -r/-c includes, -e editables, --index-url and the like.
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    // Per-requirement options (`--hash=…`) follow the specifier after whitespace.
    let spec = line
        .match_indices("--")
        .map(|(i, _)| i)
        .find(|&i| line[..i].ends_with(char::is_whitespace))
        .map_or(line, |i| &line[..i]);
    // Environment markers do not change the pin (and may contain `==` themselves).
    let spec = spec.split(';').next().unwrap_or(spec);
    // Direct references (`name @ https://…`, bare URLs, paths) pin no version.
    if spec.contains('@') || spec.contains("://") {
        return None;
    }
    let (name_part, version) = spec.split_once("==")?;
    // `===` is arbitrary equality: still a single exact version.
    let version = version.strip_prefix('=').unwrap_or(version).trim();
    let name = name_part.trim_end();
    let name = match name.split_once('[') {
        Some((name, extras)) if extras.ends_with(']') => name.trim_end(),
        Some(_) => return None,
        None => name,
    };
    (valid_name(name) && valid_version(version)).then_some((name, version))
}

/// A project name as PEP 508 allows it: ASCII letters and digits, with `.`, `_` and `-`
/// inside.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')),
        _ => false,
    }
}

/// A single version: no wildcard (`==1.*` is a range), no second clause (`==1.0,<2`), no
/// spaces. Whether it is valid PEP 440 is left to version matching.
fn valid_version(version: &str) -> bool {
    version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'+' | b'!'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A requirements file using every part of the syntax pip accepts.
    const REQUIREMENTS: &str = r#"# Generated by pip-compile, then edited by hand
--index-url https://pypi.org/simple
--extra-index-url https://example.com/simple
-r base-requirements.txt
-c constraints.txt
-e git+https://github.com/example/project.git#egg=project
-e .

Django==3.2.0  # the web framework
requests[security,socks]==2.25.1 ; python_version >= "3.6"
urllib3 == 1.26.4
Jinja2===2.11.3
cryptography==3.4.7 \
    --hash=sha256:0f1212a66329c80d68aeeef0bd01a0e1b2d7b0e7f1dd0a34b19d0b5bbdb6ff2 \
    --hash=sha256:1e056c28420c072c5e3cb36e2b23ee55e260cb04eee08f702e0edfec3fb51959
pyyaml==5.4.1; sys_platform == "linux"
simplejson==3.17.2;python_version<"3.10"
zope.interface==5.4.0
ruamel.yaml.clib==0.2.2 --config-settings=x=y

# Not pinned, or not to one version:
flask>=1.1
numpy
pandas~=1.2
scipy==1.*
attrs==20.3.0,<21
six!=1.15.0
pip @ https://github.com/pypa/pip/archive/22.0.2.zip
https://example.com/pkg-1.0.tar.gz
./local/path
sqlparse; python_version == "3.8"
#pinned==1.0
   # indented==1.0
"#;

    fn parse(text: &str) -> Vec<(String, String)> {
        let data = text.as_bytes();
        Requirements
            .analyze(
                &FileInfo {
                    path: "app/requirements.txt",
                    size: data.len() as u64,
                    executable: false,
                },
                &mut &data[..],
            )
            .expect("parses")
            .into_iter()
            .map(|p| {
                assert_eq!(p.kind, PackageType::of(&types::PIP));
                assert_eq!(p.path, "app/requirements.txt");
                (p.name, p.version)
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pins_of_a_realistic_file() {
        assert_eq!(
            parse(REQUIREMENTS),
            pairs(&[
                ("Django", "3.2.0"),
                ("requests", "2.25.1"),
                ("urllib3", "1.26.4"),
                ("Jinja2", "2.11.3"),
                ("cryptography", "3.4.7"),
                ("pyyaml", "5.4.1"),
                ("simplejson", "3.17.2"),
                ("zope.interface", "5.4.0"),
                ("ruamel.yaml.clib", "0.2.2"),
            ])
        );
    }

    #[test]
    fn continuations_and_comments() {
        // A continued name, a continuation ending the file, CRLF line ends.
        assert_eq!(
            parse("Dja\\\nngo==3.2\r\nsix==\\\r\n1.16.0\r\nidna==3.1 \\"),
            pairs(&[("Django", "3.2"), ("six", "1.16.0"), ("idna", "3.1")])
        );
        // A comment line ends a continuation; a `#` inside a word is not a comment.
        assert_eq!(
            parse("a==1 \\\n# note \\\nb==2\nc==3#x\n"),
            pairs(&[("a", "1"), ("b", "2")])
        );
    }

    #[test]
    fn encodings() {
        let text = "six==1.16.0\r\nidna==3.1\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        for data in [le, be, bom] {
            assert_eq!(
                pinned_requirements(&decode(&data)),
                pairs(&[("six", "1.16.0"), ("idna", "3.1")])
            );
        }
    }

    #[test]
    fn single_lines() {
        assert_eq!(pinned("a[x]==1"), Some(("a", "1")));
        assert_eq!(pinned("a [x] == 1 "), Some(("a", "1")));
        assert_eq!(pinned("a[x==1"), None);
        assert_eq!(pinned("a==1.0+local.1"), Some(("a", "1.0+local.1")));
        assert_eq!(pinned("a==1!2.0"), Some(("a", "1!2.0")));
        assert_eq!(pinned("a==v1.0"), Some(("a", "v1.0")));
        assert_eq!(pinned("a=="), None);
        assert_eq!(pinned("==1"), None);
        assert_eq!(pinned("-a==1"), None);
        assert_eq!(pinned("a-==1"), None);
        assert_eq!(pinned("a==1 2"), None);
        assert_eq!(pinned("a>=1,==2"), None);
        assert_eq!(pinned("a====1"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// A pin survives every decoration the syntax allows around it.
        #[test]
        fn pins_survive_decoration(
            name in "[A-Za-z0-9]([A-Za-z0-9._-]{0,15}[A-Za-z0-9])?",
            version in "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}(\\.post[0-9]|a[0-9]|\\+[a-z0-9]{1,4})?",
            extras in proptest::option::of("[a-z]{1,6}(,[a-z]{1,6}){0,2}"),
            triple in any::<bool>(),
            spaced in any::<bool>(),
            marker in proptest::option::of("python_version ?(==|>=|<) ?\"3\\.[0-9]{1,2}\""),
            hashes in 0usize..3,
            comment in proptest::option::of("[ -~]{0,20}"),
        ) {
            let sp = if spaced { " " } else { "" };
            let mut line = name.clone();
            if let Some(e) = &extras {
                line.push_str(&format!("{sp}[{e}]"));
            }
            line.push_str(&format!("{sp}{}{sp}{version}", if triple { "===" } else { "==" }));
            if let Some(m) = &marker {
                line.push_str(&format!("{sp}; {m}"));
            }
            for i in 0..hashes {
                line.push_str(&format!(" \\\n    --hash=sha256:{i:064x}"));
            }
            if let Some(c) = &comment {
                line.push_str(&format!("  # {c}"));
            }
            let text = format!("# header\n-r other.txt\n{line}\nflask>=1\n");
            prop_assert_eq!(parse(&text), pairs(&[(&name, &version)]));
        }

        /// Arbitrary text never panics, and every reported pin is well formed.
        #[test]
        fn arbitrary_text_gives_well_formed_pins(text in "[ -~\\n\\t\\\\\\[\\]=#;@é]{0,400}") {
            for (n, v) in pinned_requirements(&text) {
                prop_assert!(valid_name(&n) && valid_version(&v), "{n} {v}");
            }
        }
    }
}
