//! `packages.config`: the package list of projects that predate `PackageReference` (.NET
//! Framework projects, still common in Windows images).
//!
//! ```xml
//! <?xml version="1.0" encoding="utf-8"?>
//! <packages>
//!   <package id="jQuery" version="3.1.1" targetFramework="net46" />
//!   <package id="Microsoft.CodeDom.Providers.DotNetCompilerPlatform" version="1.0.0"
//!            targetFramework="net46" developmentDependency="true" />
//! </packages>
//! ```
//!
//! The file is read as a stream of XML events with a counter for the depth, so no tree is
//! built and nesting costs nothing. The document type declaration, if any, is skipped, never
//! interpreted: attribute values may use the five predefined entities and character
//! references, and any other entity reference (`&xxe;`, `&lol9;`) refuses the file rather than
//! being resolved, so external entities are never fetched and recursive ones never expanded.
//! Text content is never looked at. Reading stops when the root element closes, as Trivy's
//! does.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{Found, excerpt};

/// The root element of the file.
const ROOT: &str = "packages";
/// The element naming one package, directly under the root.
const PACKAGE: &str = "package";

/// Reads a `packages.config` into `found`; the error says why the file cannot be used.
pub(super) fn parse(text: &str, found: &mut Found) -> Result<(), String> {
    let mut reader = Reader::from_str(text);
    // Depth of the element being read: 1 inside the root, 2 inside a `<package>`.
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "packages.config is not well-formed XML (at byte {}): {e}",
                reader.error_position()
            )
        })?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) if depth == 0 => {
                let name = element.name();
                if name.as_ref() != ROOT {
                    return Err(format!(
                        "packages.config: the root element is <{}>, not <{ROOT}>",
                        excerpt(name.as_ref())
                    ));
                }
                seen_root = true;
                if matches!(event, Event::Empty(_)) {
                    return Ok(());
                }
                depth = 1;
            }
            Event::Start(element) => {
                if depth == 1 && element.name().as_ref() == PACKAGE {
                    add_package(&element, found)?;
                }
                depth += 1;
            }
            Event::Empty(element) if depth == 1 && element.name().as_ref() == PACKAGE => {
                add_package(&element, found)?;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(());
                }
            }
            Event::Eof => {
                return Err(if seen_root {
                    format!("packages.config ends before </{ROOT}>")
                } else {
                    format!("packages.config has no <{ROOT}> element")
                });
            }
            // Declarations, the DTD (kept as unread text), comments, text, references in
            // text: none of them names a package.
            _ => {}
        }
    }
}

/// Records one `<package>` element unless it is a development dependency.
fn add_package(element: &BytesStart<'_>, found: &mut Found) -> Result<(), String> {
    let mut id: Option<Cow<'_, str>> = None;
    let mut version: Option<Cow<'_, str>> = None;
    let mut development = false;
    for attribute in element.attributes() {
        let attribute = attribute
            .map_err(|e| format!("packages.config: a <{PACKAGE}> element is malformed: {e}"))?;
        let key = attribute.key.as_ref();
        if !matches!(key, "id" | "version" | "developmentDependency") {
            continue;
        }
        // Only the predefined entities and character references are resolved; anything else
        // is an error here, never a lookup.
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| {
                format!("packages.config: attribute {key} of a <{PACKAGE}> element: {e}")
            })?;
        match key {
            "id" => id = Some(value),
            "version" => version = Some(value),
            _ => development = is_true(&value),
        }
    }
    if development {
        return Ok(());
    }
    match (id, version) {
        (Some(id), Some(version)) => found.add(&id, &version),
        _ => Ok(()),
    }
}

/// The spellings of "true" Trivy honours for `developmentDependency` (Go's `strconv.ParseBool`).
/// NuGet itself writes `true`.
fn is_true(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(xml: &str) -> Vec<(String, String)> {
        let mut found = Found::default();
        parse(xml, &mut found).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        found.pairs()
    }

    fn error(xml: &str) -> String {
        let mut found = Found::default();
        parse(xml, &mut found).expect_err(xml)
    }

    fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// The shapes observed with Trivy 0.76 (see the parent module).
    #[test]
    fn direct_packages_without_development_dependencies() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<!-- written by Visual Studio -->
<packages>
  <package id="jQuery" version="3.1.1" targetFramework="net46" />
  <package id="NLog" version="4.3.10" targetFramework="net46" />
  <package id="Microsoft.CodeDom.Providers.DotNetCompilerPlatform" version="1.0.0" targetFramework="net46" developmentDependency="true" />
  <package id="Newtonsoft.Json" version="9.0.1" targetFramework="net46" developmentDependency="false" />
  <package id="EntityFramework" version="6.1.3" targetFramework="net46" allowedVersions="[6,7)" />
  <package id="DevUpper" version="1.0.0" developmentDependency="True" />
  <package id="DevOne" version="1.0.0" developmentDependency="1" />
  <package id="DevZero" version="1.0.0" developmentDependency="0" />
  <package id="DevEmpty" version="1.0.0" developmentDependency="" />
  <package id="DevYes" version="1.0.0" developmentDependency="yes" />
  <package id="NoVersion" />
  <package version="1.0.0" />
  <package id="Empty" version="" />
  <package id="Range" version="[1.0]" />
  <package id="Dup" version="1.0.0" />
  <package id="Dup" version="1.0.0" />
  <package id="dup" version="1.0.0" />
  <Package id="CapTag" version="1.0.0" />
  <package ID="CapAttr" Version="1.0.0" />
  <nested><package id="Nested" version="1.0.0" /></nested>
  <package id="Ws" version=" 2.0 " />
  <package id="Amp&amp;" version="1.0&#46;1" />
  <package id="Child" version="1.0.0"><package id="Grandchild" version="1.0.0" /></package>
</packages>
<packages><package id="SecondRoot" version="1.0.0" /></packages>
"#;
        assert_eq!(
            pairs(xml),
            owned(&[
                ("Amp&", "1.0.1"),
                ("Child", "1.0.0"),
                ("DevEmpty", "1.0.0"),
                ("DevYes", "1.0.0"),
                ("DevZero", "1.0.0"),
                ("Dup", "1.0.0"),
                ("EntityFramework", "6.1.3"),
                ("NLog", "4.3.10"),
                ("Newtonsoft.Json", "9.0.1"),
                ("Range", "[1.0]"),
                ("Ws", " 2.0 "),
                ("dup", "1.0.0"),
                ("jQuery", "3.1.1"),
            ])
        );
        assert!(pairs("<packages/>").is_empty());
        assert!(pairs("<packages></packages>").is_empty());
    }

    #[test]
    fn entities_are_never_expanded() {
        // Billion laughs: the DTD is skipped, and the reference refuses the file.
        let mut laughs =
            String::from(r#"<?xml version="1.0"?><!DOCTYPE packages [<!ENTITY lol "lol">"#);
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", i - 1)
            };
            laughs.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&{prev};").repeat(10)
            ));
        }
        laughs.push_str(r#"]><packages><package id="a" version="&lol9;"/></packages>"#);
        let err = error(&laughs);
        assert!(err.contains("attribute version"), "{err}");
        // External entities are never fetched.
        let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE packages [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<packages><package id="&xxe;" version="1.0"/></packages>"#;
        assert!(error(xxe).contains("attribute id"));
        // A recursive entity is no different.
        let rec = r#"<!DOCTYPE packages [<!ENTITY a "&b;"><!ENTITY b "&a;">]>
<packages><package id="x" version="&a;"/></packages>"#;
        assert!(error(rec).contains("attribute version"));
        // Entities in text are never looked at; the DTD alone is harmless.
        let text = r#"<!DOCTYPE packages [<!ENTITY x SYSTEM "http://example.invalid/">]>
<packages>&x;<package id="a" version="1.0"/></packages>"#;
        assert_eq!(pairs(text), owned(&[("a", "1.0")]));
    }

    #[test]
    fn malformed_files_say_why() {
        for (xml, needle) in [
            ("", "has no <packages> element"),
            ("<?xml version=\"1.0\"?>", "has no <packages> element"),
            ("<Packages/>", "root element is <Packages>"),
            (
                "<configuration><packages/></configuration>",
                "root element is <configuration>",
            ),
            ("<packages>", "ends before </packages>"),
            ("<packages><package id=\"a\" version=\"1\">", "ends before"),
            ("<packages></package>", "not well-formed"),
            (
                "<packages><package id=\"a\" id=\"b\" version=\"1\"/></packages>",
                "malformed",
            ),
            (
                "<packages><package id=a version=\"1\"/></packages>",
                "malformed",
            ),
            (
                "<packages><package id=\"a\" version=\"1&\"/></packages>",
                "attribute version",
            ),
            (
                "<packages><package id=\"&#0;\" version=\"1\"/></packages>",
                "attribute id",
            ),
            ("<packages", "not well-formed"),
        ] {
            let err = error(xml);
            assert!(err.contains(needle), "{xml:?}: {err}");
            assert!(err.starts_with("packages.config"), "{xml:?}: {err}");
        }
        // The element name quoted in a message stays short.
        let long = format!("<{}/>", "x".repeat(100_000));
        assert!(error(&long).len() < 300);
    }

    #[test]
    fn deep_nesting_costs_nothing() {
        let depth = 200_000;
        let xml = format!(
            "<packages>{}{}<package id=\"a\" version=\"1\"/></packages>",
            "<x>".repeat(depth),
            "</x>".repeat(depth)
        );
        assert_eq!(pairs(&xml), owned(&[("a", "1")]));
        let open = format!("<packages>{}", "<x>".repeat(depth));
        assert!(error(&open).contains("ends before"));
    }
}
