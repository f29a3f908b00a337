//! Package URLs (<https://github.com/package-url/purl-spec>): building the canonical string for
//! the packages we report, and parsing the ones SBOMs hand us.
//!
//! Encoding choices, so that two scans of one image give byte-identical purls:
//! - every byte outside the RFC 3986 "unreserved" set (`A-Z a-z 0-9 - . _ ~`) is
//!   percent-encoded with uppercase hex, including `:` (`sha256%3A…`, as in the spec's `oci`
//!   examples and in Trivy's output) and `+` (`%2B`, which a form decoder would turn into a
//!   space otherwise);
//! - qualifier keys are lowercase and sorted, empty values are dropped (the spec's canonical
//!   form);
//! - Debian epochs go to an `epoch` qualifier with the version written without them. The purl
//!   `deb` type definition does not mention epochs; this follows its `rpm` sibling and what Trivy
//!   and Grype emit, so their consumers find our packages. Parsing also accepts an epoch written
//!   inside the version (`1%3A2.0-1`).

use std::collections::BTreeMap;
use std::fmt;

/// A parsed or to-be-rendered package URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Purl {
    /// Package type, lowercase (`deb`, `oci`).
    pub ty: String,
    /// Namespace segments (`debian`), decoded.
    pub namespace: Vec<String>,
    /// Package name, decoded.
    pub name: String,
    /// Version, decoded.
    pub version: Option<String>,
    /// Qualifiers, keys lowercase, values decoded; sorted by key.
    pub qualifiers: BTreeMap<String, String>,
    /// Subpath, decoded.
    pub subpath: Option<String>,
}

/// Why a string is not a package URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    /// It does not start with `pkg:`.
    #[error("does not start with \"pkg:\"")]
    Scheme,
    /// The type is missing or has characters the spec does not allow.
    #[error("missing or invalid package type")]
    Type,
    /// There is no name after the type and namespace.
    #[error("missing package name")]
    Name,
    /// A `%` is not followed by two hex digits, or the bytes are not UTF-8.
    #[error("bad percent-encoding in {0:?}")]
    Encoding(String),
    /// A qualifier has no `=` or an invalid key.
    #[error("bad qualifier {0:?}")]
    Qualifier(String),
}

impl Purl {
    /// A purl of type `ty` with a namespace path, name and version, no qualifiers.
    pub fn new(ty: &str, namespace: &[&str], name: &str, version: Option<&str>) -> Self {
        Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: namespace.iter().map(|s| (*s).to_string()).collect(),
            name: name.to_string(),
            version: version.map(str::to_string),
            qualifiers: BTreeMap::new(),
            subpath: None,
        }
    }

    /// Adds a qualifier; empty values are left out, as the canonical form requires.
    pub fn qualifier(mut self, key: &str, value: &str) -> Self {
        if !value.is_empty() {
            self.qualifiers
                .insert(key.to_ascii_lowercase(), value.to_string());
        }
        self
    }

    /// The `pkg:deb/<vendor>/<name>@<version>?arch=…&distro=…&epoch=…` purl of a Debian or Ubuntu
    /// package. `distro` is e.g. `debian-12.7`; an epoch in `version` moves to the qualifier.
    pub fn deb(vendor: &str, name: &str, version: &str, arch: &str, distro: &str) -> Self {
        let (epoch, rest) = split_epoch(version);
        // The deb type says names and vendors are case-insensitive and must be lowercased.
        Purl::new(
            "deb",
            &[&vendor.to_ascii_lowercase()],
            &name.to_ascii_lowercase(),
            Some(rest),
        )
        .qualifier("arch", arch)
        .qualifier("distro", distro)
        .qualifier("epoch", epoch.unwrap_or_default())
    }

    /// The `pkg:rpm/<vendor>/<name>@<version>-<release>?arch=…&distro=…&epoch=…` purl of an rpm
    /// package, `version` being rpm's `[epoch:]version-release`; the epoch moves to the
    /// qualifier, as in the deb type.
    pub fn rpm(vendor: &str, name: &str, version: &str, arch: &str, distro: &str) -> Self {
        let (epoch, rest) = split_epoch(version);
        Purl::new("rpm", &[&vendor.to_ascii_lowercase()], name, Some(rest))
            .qualifier("arch", arch)
            .qualifier("distro", distro)
            .qualifier("epoch", epoch.unwrap_or_default())
    }

    /// The version with a Debian or rpm `epoch` qualifier folded back in (`1:2.0-1`), as dpkg writes it.
    pub fn deb_version(&self) -> Option<String> {
        let v = self.version.as_deref()?;
        match self.qualifiers.get("epoch") {
            Some(e) if !e.is_empty() && !v.contains(':') && e != "0" => Some(format!("{e}:{v}")),
            _ => Some(v.to_string()),
        }
    }

    /// Parses a package URL, decoding every component.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        let rest = s
            .trim()
            .strip_prefix("pkg:")
            .or_else(|| s.trim().strip_prefix("PKG:"))
            .ok_or(PurlError::Scheme)?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sp)) => {
                let segs: Vec<String> = sp
                    .split('/')
                    .filter(|x| !x.is_empty() && *x != "." && *x != "..")
                    .map(decode)
                    .collect::<Result<_, _>>()?;
                (r, (!segs.is_empty()).then(|| segs.join("/")))
            }
            None => (rest, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let mut qualifiers = BTreeMap::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| PurlError::Qualifier(pair.to_string()))?;
            let key_ok = !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            if !key_ok {
                return Err(PurlError::Qualifier(pair.to_string()));
            }
            let v = decode(v)?;
            if !v.is_empty() {
                qualifiers.insert(k.to_ascii_lowercase(), v);
            }
        }
        let rest = rest.trim_end_matches('/');
        let (ty, path) = rest.split_once('/').ok_or(PurlError::Name)?;
        let ty_ok = !ty.is_empty()
            && ty.starts_with(|c: char| c.is_ascii_alphabetic())
            && ty
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
        if !ty_ok {
            return Err(PurlError::Type);
        }
        // The version separator is the last `@` (an `@` inside a name must be encoded).
        let (path, version) = match path.rsplit_once('@') {
            Some((p, v)) => (p, Some(decode(v)?).filter(|v| !v.is_empty())),
            None => (path, None),
        };
        let mut segs: Vec<String> = path
            .split('/')
            .filter(|x| !x.is_empty())
            .map(decode)
            .collect::<Result<_, _>>()?;
        let name = segs
            .pop()
            .filter(|n| !n.is_empty())
            .ok_or(PurlError::Name)?;
        Ok(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: segs,
            name,
            version,
            qualifiers,
            subpath,
        })
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        for seg in &self.namespace {
            write!(f, "{}/", encode(seg))?;
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        let mut sep = '?';
        for (k, v) in &self.qualifiers {
            write!(f, "{sep}{k}={}", encode(v))?;
            sep = '&';
        }
        if let Some(sp) = &self.subpath {
            let segs: Vec<String> = sp
                .split('/')
                .filter(|s| !s.is_empty())
                .map(encode)
                .collect();
            write!(f, "#{}", segs.join("/"))?;
        }
        Ok(())
    }
}

/// Splits `1:2.0-1` into `(Some("1"), "2.0-1")`; versions without an epoch come back whole.
pub fn split_epoch(version: &str) -> (Option<&str>, &str) {
    match version.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(e), rest)
        }
        _ => (None, version),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Decodes `%XX` sequences; a literal `+` stays a `+` (purls are not form-encoded).
pub fn decode(s: &str) -> Result<String, PurlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| PurlError::Encoding(s.to_string()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::Encoding(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb_vectors() {
        // The values Trivy 0.76 printed for the same packages of the aged test image.
        let cases = [
            (
                "bash",
                "5.2.15-2+b13",
                "amd64",
                "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12.7",
            ),
            (
                "bsdutils",
                "1:2.38.1-5+b1",
                "amd64",
                "pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&distro=debian-12.7&epoch=1",
            ),
            (
                "libstdc++6",
                "12.2.0-14+deb12u1",
                "amd64",
                "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12.7",
            ),
            (
                "tzdata",
                "2024a-0+deb12u1",
                "all",
                "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12.7",
            ),
            (
                "libgcc-s1",
                "12.2.0~rc1-14",
                "",
                "pkg:deb/debian/libgcc-s1@12.2.0~rc1-14?distro=debian-12.7",
            ),
        ];
        for (name, version, arch, want) in cases {
            let p = Purl::deb("debian", name, version, arch, "debian-12.7");
            assert_eq!(p.to_string(), want);
            let back = Purl::parse(want).unwrap();
            assert_eq!(back, p);
            assert_eq!(back.deb_version().as_deref(), Some(version));
        }
    }

    #[test]
    fn oci_and_odd_characters() {
        let p = Purl::new("oci", &[], "app", Some("sha256:abcd"))
            .qualifier("repository_url", "ghcr.io/org/app")
            .qualifier("tag", "1.0 beta");
        assert_eq!(
            p.to_string(),
            "pkg:oci/app@sha256%3Aabcd?repository_url=ghcr.io%2Forg%2Fapp&tag=1.0%20beta"
        );
        assert_eq!(Purl::parse(&p.to_string()).unwrap(), p);
        // Unencoded colons and slashes, uppercase keys and an `@` in a name all parse.
        let q = Purl::parse("pkg:oci/app@sha256:abcd?Repository_URL=ghcr.io/org/app").unwrap();
        assert_eq!(q.version.as_deref(), Some("sha256:abcd"));
        assert_eq!(q.qualifiers["repository_url"], "ghcr.io/org/app");
        let r = Purl::parse("pkg:deb/debian/a%40b@1%3A2.0-1").unwrap();
        assert_eq!(r.name, "a@b");
        assert_eq!(r.deb_version().as_deref(), Some("1:2.0-1"));
        assert_eq!(encode("é/ ?#&=%"), "%C3%A9%2F%20%3F%23%26%3D%25");
    }

    #[test]
    fn malformed() {
        assert_eq!(Purl::parse("deb/debian/x@1"), Err(PurlError::Scheme));
        assert_eq!(Purl::parse("pkg:deb"), Err(PurlError::Name));
        assert_eq!(Purl::parse("pkg:1deb/x"), Err(PurlError::Type));
        assert!(matches!(
            Purl::parse("pkg:deb/debian/x@1%G0"),
            Err(PurlError::Encoding(_))
        ));
        assert!(matches!(
            Purl::parse("pkg:deb/debian/x@1?arch"),
            Err(PurlError::Qualifier(_))
        ));
        assert!(matches!(
            Purl::parse("pkg:deb/debian/x@1%FF"),
            Err(PurlError::Encoding(_))
        ));
    }
}
