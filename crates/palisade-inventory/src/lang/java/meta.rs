//! The three sources of a Java archive's coordinates: `pom.properties`, the main section of
//! `META-INF/MANIFEST.MF`, and the archive's file name. Each parser follows what Trivy 0.76
//! was observed to accept (see the `java` module documentation), written from those
//! observations and the formats' specifications.

/// Maven coordinates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coords {
    pub group: String,
    pub artifact: String,
    pub version: String,
}

impl Coords {
    /// The package name Palisade and Trivy use: `group:artifact`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.group, self.artifact)
    }
}

/// Reads `groupId`, `artifactId` and `version` from a `pom.properties` written by Maven
/// (`key=value` lines, `#` comments).
///
/// As observed of Trivy: each line is trimmed, then split at its first `=`; keys match
/// exactly (case-sensitive, no space before the `=`), values are taken as they are (a space
/// after the `=` stays; escapes and `\` continuations are not interpreted); the last
/// occurrence of a key wins; `:` and whitespace separators, which Java's `Properties` also
/// accepts, are not recognised (Maven never writes them). All three must be non-empty.
pub fn pom_properties(data: &[u8]) -> Option<Coords> {
    let text = String::from_utf8_lossy(data);
    let (mut group, mut artifact, mut version) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let slot = match key {
            "groupId" => &mut group,
            "artifactId" => &mut artifact,
            "version" => &mut version,
            _ => continue,
        };
        *slot = Some(value);
    }
    let coords = Coords {
        group: group.filter(|s| !s.is_empty())?.to_string(),
        artifact: artifact.filter(|s| !s.is_empty())?.to_string(),
        version: version.filter(|s| !s.is_empty())?.to_string(),
    };
    Some(coords)
}

/// What the main section of a manifest says about the archive.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub implementation_title: Option<String>,
    pub implementation_version: Option<String>,
    pub implementation_vendor_id: Option<String>,
    pub implementation_vendor: Option<String>,
    pub specification_title: Option<String>,
    pub specification_version: Option<String>,
    pub specification_vendor: Option<String>,
}

/// Reads the main section of a manifest (JAR File Specification: `Name: value` lines up to
/// the first empty line; a line starting with one space continues the previous one). Only
/// complete lines count: a manifest cut by the read limit loses its last partial line.
///
/// As observed of Trivy, header names are matched case-sensitively (the specification says
/// they are case-insensitive, but every writer uses the canonical case) and values are
/// trimmed; the space after the colon is optional.
pub fn manifest(data: &[u8], complete: bool) -> Manifest {
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if !complete || lines.last().is_some_and(|l| l.is_empty()) {
        // The piece after the last newline: empty in a complete file, partial in a cut one.
        lines.pop();
    }
    let mut m = Manifest::default();
    let mut header: Option<(String, String)> = None;
    let flush = |h: Option<(String, String)>, m: &mut Manifest| {
        if let Some((k, v)) = h {
            m.set(&k, v.trim());
        }
    };
    for raw in lines {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            break; // end of the main section
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some((_, v)) = header.as_mut() {
                v.push_str(more);
            }
            continue;
        }
        flush(header.take(), &mut m);
        if let Some((k, v)) = line.split_once(':') {
            header = Some((k.to_string(), v.to_string()));
        }
    }
    flush(header, &mut m);
    m
}

impl Manifest {
    fn set(&mut self, key: &str, value: &str) {
        let slot = match key {
            "Implementation-Title" => &mut self.implementation_title,
            "Implementation-Version" => &mut self.implementation_version,
            "Implementation-Vendor-Id" => &mut self.implementation_vendor_id,
            "Implementation-Vendor" => &mut self.implementation_vendor,
            "Specification-Title" => &mut self.specification_title,
            "Specification-Version" => &mut self.specification_version,
            "Specification-Vendor" => &mut self.specification_vendor,
            _ => return,
        };
        if !value.is_empty() {
            *slot = Some(value.to_string());
        }
    }

    /// The coordinates the manifest names, chosen as Trivy does (observed): the artifact from
    /// `Implementation-Title`, else `Specification-Title`; the version from
    /// `Implementation-Version`, else `Specification-Version`; the group from
    /// `Implementation-Vendor-Id`, else `Implementation-Vendor`, else `Specification-Vendor`,
    /// the first present one only.
    ///
    /// Trivy then keeps them only when its Java DB knows `group:artifact`. Palisade has no
    /// such database, so it keeps only coordinates that look like Maven's: identifier
    /// characters only, and a vendor *name* field must be reverse-domain (contain a dot), which
    /// rejects `The Apache Software Foundation` and display titles like `Apache Commons Lang`.
    pub fn coords(&self) -> Option<Coords> {
        let artifact = self
            .implementation_title
            .as_ref()
            .or(self.specification_title.as_ref())?;
        let version = self
            .implementation_version
            .as_ref()
            .or(self.specification_version.as_ref())?;
        let (group, named_by_id) = match (
            &self.implementation_vendor_id,
            &self.implementation_vendor,
            &self.specification_vendor,
        ) {
            (Some(id), _, _) => (id, true),
            (None, Some(v), _) | (None, None, Some(v)) => (v, false),
            (None, None, None) => return None,
        };
        let plausible = is_identifier(group)
            && (named_by_id || group.contains('.'))
            && is_identifier(artifact)
            && !version.chars().any(char::is_whitespace);
        plausible.then(|| Coords {
            group: group.clone(),
            artifact: artifact.clone(),
            version: version.clone(),
        })
    }
}

/// Maven's characters for group and artifact ids.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The artifact and version a file name announces (`log4j-core-2.14.1.jar` → `log4j-core`,
/// `2.14.1`), as observed of Trivy: only names ending in `.jar` (lower case), split at the
/// last `-` followed by a digit (`foo-1-2.jar` is `foo-1` version `2`;
/// `guava-31.1-jre.jar` is `guava` version `31.1-jre`); the artifact must not be empty or end
/// in `-`, and the version has no whitespace.
pub fn file_name_coords(file_name: &str) -> Option<(&str, &str)> {
    let stem = file_name.strip_suffix(".jar")?;
    let bytes = stem.as_bytes();
    let dash = (0..bytes.len().saturating_sub(1))
        .rev()
        .find(|&i| bytes[i] == b'-' && bytes[i + 1].is_ascii_digit())?;
    let (artifact, version) = (&stem[..dash], &stem[dash + 1..]);
    if artifact.is_empty() || artifact.ends_with('-') || version.contains(char::is_whitespace) {
        return None;
    }
    Some((artifact, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(g: &str, a: &str, v: &str) -> Coords {
        Coords {
            group: g.into(),
            artifact: a.into(),
            version: v.into(),
        }
    }

    #[test]
    fn pom_properties_as_maven_writes_them() {
        let text = b"#Generated by Maven\n#Tue Jan 01 00:00:00 UTC 2021\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n";
        assert_eq!(
            pom_properties(text),
            Some(c("org.apache.logging.log4j", "log4j-core", "2.14.1"))
        );
        let crlf = b"groupId=g\r\nartifactId=a\r\nversion=1\r\n";
        assert_eq!(pom_properties(crlf), Some(c("g", "a", "1")));
    }

    /// Each case was run through Trivy 0.76 (listed or not, and as what).
    #[test]
    fn pom_properties_edge_cases_as_trivy() {
        type Gav<'a> = Option<(&'a str, &'a str, &'a str)>;
        let cases: &[(&str, Gav)] = &[
            ("artifactId=a\nversion=1\n", None),
            ("groupId=g\nversion=1\n", None),
            ("groupId=g\nartifactId=a\nversion=\n", None),
            ("groupId:g\nartifactId:a\nversion:1\n", None),
            ("groupId g\nartifactId a\nversion 1\n", None),
            ("groupId = g\nartifactId = a\nversion = 1\n", None),
            ("GroupId=g\nartifactid=a\nVERSION=1\n", None),
            (
                "!groupId=bad\ngroupId=g\nartifactId=a\nversion=1\n",
                Some(("g", "a", "1")),
            ),
            (
                "#version=9\ngroupId=g\nartifactId=a\nversion=1\n",
                Some(("g", "a", "1")),
            ),
            (
                "groupId=g\nartifactId=a\nversion=1\nversion=2\n",
                Some(("g", "a", "2")),
            ),
            (
                "groupId=g\nartifactId=a\nversion=1.\\\n  2\n",
                Some(("g", "a", "1.\\")),
            ),
            (
                "groupId=g\nartifactId=a\nversion=1=2\n",
                Some(("g", "a", "1=2")),
            ),
            (
                "   groupId=g\n\tartifactId=a\n  version=1\n",
                Some(("g", "a", "1")),
            ),
            (
                "groupId=g\nartifactId=a\nversion=1\\u002e0\n",
                Some(("g", "a", "1\\u002e0")),
            ),
            (
                "groupId= org.m \nartifactId=ph\nversion=${project.version}\n",
                Some((" org.m", "ph", "${project.version}")),
            ),
        ];
        for (text, want) in cases {
            let want = want.map(|(g, a, v)| c(g, a, v));
            assert_eq!(pom_properties(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn manifest_main_section_only() {
        let m = manifest(
            b"Manifest-Version: 1.0\r\nImplementation-Title: my\r\n lib\r\nImplementation-Version: 3.1\r\nImplementation-Vendor-Id: org.mylib\r\n\r\nName: x/\r\nImplementation-Version: 9\r\n",
            true,
        );
        assert_eq!(m.coords(), Some(c("org.mylib", "mylib", "3.1")));
        let later = manifest(
            b"Manifest-Version: 1.0\n\nImplementation-Title: mylib\nImplementation-Version: 3.1\nImplementation-Vendor-Id: org.mylib\n",
            true,
        );
        assert_eq!(later.coords(), None);
        // No space after the colon; values trimmed; lower-case names are not the headers.
        let tight = manifest(
            b"Implementation-Title:mylib\nImplementation-Version:  3.1 \nImplementation-Vendor-Id:org.mylib",
            true,
        );
        assert_eq!(tight.coords(), Some(c("org.mylib", "mylib", "3.1")));
        let lower = manifest(
            b"implementation-title: mylib\nimplementation-version: 3.1\nimplementation-vendor-id: org.mylib\n",
            true,
        );
        assert_eq!(lower.coords(), None);
    }

    #[test]
    fn manifest_field_priorities() {
        let m = |t: &str| manifest(t.as_bytes(), true).coords();
        let t = "Implementation-Title: mylib\nImplementation-Version: 3.1\n";
        assert_eq!(
            m(&format!(
                "{t}Implementation-Vendor-Id: org.mylib\nImplementation-Vendor: org.found\n"
            )),
            Some(c("org.mylib", "mylib", "3.1"))
        );
        assert_eq!(
            m(&format!(
                "{t}Implementation-Vendor: org.found\nSpecification-Vendor: org.mylib\n"
            )),
            Some(c("org.found", "mylib", "3.1"))
        );
        assert_eq!(
            m(
                "Specification-Title: s\nSpecification-Version: 2\nSpecification-Vendor: org.spec\nImplementation-Title: i\n"
            ),
            Some(c("org.spec", "i", "2"))
        );
        // Display names are not coordinates.
        assert_eq!(
            m(&format!(
                "{t}Implementation-Vendor: The Apache Software Foundation\n"
            )),
            None
        );
        assert_eq!(m(&format!("{t}Implementation-Vendor: Oracle\n")), None);
        assert_eq!(
            m(
                "Implementation-Title: Apache Commons Lang\nImplementation-Version: 3.1\nImplementation-Vendor-Id: org.apache\n"
            ),
            None
        );
        assert_eq!(
            m(&format!("{t}Implementation-Vendor-Id: junit\n")),
            Some(c("junit", "mylib", "3.1"))
        );
        assert_eq!(
            m("Implementation-Title: x\nImplementation-Vendor-Id: org.x\n"),
            None
        );
    }

    #[test]
    fn cut_manifest_drops_its_partial_line() {
        let text = b"Implementation-Title: mylib\nImplementation-Vendor-Id: org.x\nImplementation-Version: 3.1";
        assert_eq!(
            manifest(text, true).coords(),
            Some(c("org.x", "mylib", "3.1"))
        );
        assert_eq!(manifest(text, false).coords(), None);
    }

    /// Each name was run through Trivy 0.76: whether a `pom.properties` with this artifact and
    /// version counts as the archive's own.
    #[test]
    fn file_names_as_trivy() {
        let own: &[(&str, &str, &str)] = &[
            ("log4j-core-2.14.1.jar", "log4j-core", "2.14.1"),
            (
                "spring-core-5.3.9.RELEASE.jar",
                "spring-core",
                "5.3.9.RELEASE",
            ),
            ("foo-1.0-SNAPSHOT.jar", "foo", "1.0-SNAPSHOT"),
            ("bar-2.0-sources.jar", "bar", "2.0-sources"),
            ("guava-31.1-jre.jar", "guava", "31.1-jre"),
            ("a-1.jar", "a", "1"),
            ("dot.name-1.0.jar", "dot.name", "1.0"),
            ("y-1.0.jar.jar", "y", "1.0.jar"),
            ("z-1.0_final.jar", "z", "1.0_final"),
            ("q-1a.jar", "q", "1a"),
            ("star-1.0*.jar", "star", "1.0*"),
            ("ver2-1.0-1.0.jar", "ver2-1.0", "1.0"),
            ("foo-1-2.jar", "foo-1", "2"),
            ("m-1.0-M1.jar", "m", "1.0-M1"),
            ("plus-1.0+x.jar", "plus", "1.0+x"),
        ];
        for (name, a, v) in own {
            assert_eq!(file_name_coords(name), Some((*a, *v)), "{name}");
        }
        for name in [
            "nover.jar",
            "foobar-v2.jar",
            "under_1.0.jar",
            "UPPER-1.0.JAR",
            "wwar-1.0.war",
            "ear-1.0.ear",
            "dash--1.0.jar",
            "sp-1.0 x.jar",
            "-1.0.jar",
            "r-.jar",
        ] {
            assert_eq!(file_name_coords(name), None, "{name}");
        }
    }

    proptest! {
        #[test]
        fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512), cut in any::<bool>()) {
            let _ = pom_properties(&data);
            let _ = manifest(&data, cut).coords();
            let _ = file_name_coords(&String::from_utf8_lossy(&data));
        }

        /// Whatever surrounds them, written coordinates read back.
        #[test]
        fn pom_properties_round_trip(
            g in "[a-z][a-z0-9.]{0,20}",
            a in "[a-z][a-z0-9-]{0,20}",
            v in "[0-9][0-9A-Za-z.-]{0,12}",
            comments in proptest::collection::vec("#[ -~]{0,20}", 0..3),
            crlf in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut t = String::new();
            for c in &comments { t.push_str(c); t.push_str(eol); }
            t.push_str(&format!("version={v}{eol}groupId={g}{eol}artifactId={a}{eol}"));
            prop_assert_eq!(pom_properties(t.as_bytes()), Some(c(&g, &a, &v)));
        }

        /// `artifact-version.jar` splits back into its parts when the version starts with a
        /// digit and has no later `-digit`.
        #[test]
        fn file_names_split(a in "[a-z][a-z0-9.-]{0,15}[a-z]", v in "[0-9][0-9.]{0,6}(-[A-Za-z]{1,5})?") {
            prop_assume!(!a.contains("--"));
            let name = format!("{a}-{v}.jar");
            let got = file_name_coords(&name);
            // A `-digit` inside the artifact would be a later split point only if after it.
            prop_assert_eq!(got, Some((a.as_str(), v.as_str())));
        }
    }
}
