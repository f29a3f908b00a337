//! Registry credentials and `WWW-Authenticate` challenges.
//!
//! Private registries need a user name and password (or token). Users already keep those in
//! Docker's `config.json` or in a Kubernetes pull secret, so we read both formats rather than
//! invent our own. The registry tells us how to use them through a `WWW-Authenticate` challenge
//! (RFC 7235 syntax; Docker registry v2 token auth for `Bearer`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

use crate::ImageError;
use crate::reference::DOCKER_HUB;

/// Largest credentials file we read; real ones are a few KiB.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// A user name and password (or access token used as a password) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token.
    pub password: String,
}

impl fmt::Debug for Credentials {
    // Never print the secret, even in debug logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Builds credentials from two strings.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The value of an `Authorization: Basic` header for these credentials.
    pub(crate) fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// Credentials from `PALISADE_USERNAME` / `PALISADE_PASSWORD`, when both are set and the user
/// name is non-empty. Lets CI pass secrets without putting them on the command line.
pub fn credentials_from_env() -> Option<Credentials> {
    let user = std::env::var("PALISADE_USERNAME").ok()?;
    let pass = std::env::var("PALISADE_PASSWORD").ok()?;
    (!user.is_empty()).then(|| Credentials::new(user, pass))
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// Reduces a registry name or a `config.json` key to a bare host[:port] for comparison:
/// strips `http(s)://` and any path, and maps Docker Hub's many spellings (including the legacy
/// `https://index.docker.io/v1/` key `docker login` writes) to `docker.io`.
pub fn normalize_registry_host(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" | "docker.io" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    }
}

/// Looks up `registry` in a Docker `config.json` or Kubernetes `.dockerconfigjson` document
/// (`{"auths": {"<host>": {"auth": "base64(user:pass)"}}}`, or `username`/`password` fields), or
/// in the legacy `~/.dockercfg` / Kubernetes `.dockercfg` format, which has the same entries at
/// the top level (`{"<host>": {"auth": "…", "email": "…"}}`) and is still what secrets of type
/// `kubernetes.io/dockercfg` hold.
/// Returns `Ok(None)` when the file has no usable entry for the host; an entry that is present but
/// malformed is an error, because silently pulling anonymously would hide the mistake.
pub fn credentials_from_docker_config(
    json: &[u8],
    registry: &str,
) -> Result<Option<Credentials>, ImageError> {
    parse_docker_config(json, registry, "docker config")
}

fn parse_docker_config(
    json: &[u8],
    registry: &str,
    origin: &str,
) -> Result<Option<Credentials>, ImageError> {
    let bad = |reason: String| ImageError::InvalidCredentials {
        origin: origin.to_string(),
        reason,
    };
    let doc: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let Some(top) = doc.as_object() else {
        return Err(bad("the top level is not a JSON object".into()));
    };
    if top.contains_key("credHelpers") || top.contains_key("credsStore") {
        tracing::debug!(
            origin,
            "credential helpers (credHelpers/credsStore) are not supported; using inline auths only"
        );
    }
    let (entries, prefix) = match top.get("auths") {
        Some(auths) => (
            auths
                .as_object()
                .ok_or_else(|| bad("\"auths\" is not a JSON object".into()))?,
            "auths.",
        ),
        // The legacy format: registries at the top level. Only objects are entries; anything
        // else at the top (a config.json without `auths`, say) has no credentials.
        None => (top, ""),
    };
    let want = normalize_registry_host(registry);
    let Some((key, value)) = entries
        .iter()
        .filter(|(_, v)| v.is_object())
        .find(|(k, _)| normalize_registry_host(k) == want)
    else {
        return Ok(None);
    };
    let entry: AuthEntry = serde_json::from_value(value.clone())
        .map_err(|e| bad(format!("{prefix}{key:?} is not a valid entry: {e}")))?;
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|e| bad(format!("{prefix}{key:?}.auth is not valid base64: {e}")))?;
        let text = String::from_utf8(decoded)
            .map_err(|_| bad(format!("{prefix}{key:?}.auth is not UTF-8")))?;
        let Some((user, pass)) = text.split_once(':') else {
            return Err(bad(format!(
                "{prefix}{key:?}.auth must encode \"username:password\""
            )));
        };
        return Ok(Some(Credentials::new(user, pass)));
    }
    if let (Some(u), Some(p)) = (&entry.username, &entry.password)
        && !u.is_empty()
    {
        return Ok(Some(Credentials::new(u.clone(), p.clone())));
    }
    if entry.identitytoken.is_some() {
        tracing::debug!(
            origin,
            key,
            "identity tokens are not supported; ignoring entry"
        );
    }
    Ok(None)
}

/// Reads credentials for `registry` from a config file on disk, with the size capped.
pub fn credentials_from_file(
    path: &Path,
    registry: &str,
) -> Result<Option<Credentials>, ImageError> {
    let bytes = read_capped(path, MAX_CONFIG_BYTES)?;
    parse_docker_config(&bytes, registry, &path.display().to_string())
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ImageError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| ImageError::io(path, e))?;
    let mut buf = Vec::new();
    f.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ImageError::io(path, e))?;
    if buf.len() as u64 > cap {
        return Err(ImageError::LimitExceeded {
            what: path.display().to_string(),
            limit: cap,
            unit: "bytes",
        });
    }
    Ok(buf)
}

/// Docker's default client config: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn default_docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// File names looked for in a directory given as a credentials source, in this order: the keys
/// of Kubernetes pull secrets of type `kubernetes.io/dockerconfigjson` and
/// `kubernetes.io/dockercfg` (a secret volume is a directory with one file per key), then a
/// Docker client config directory's `config.json`.
pub const DOCKER_CONFIG_FILE_NAMES: [&str; 3] = [".dockerconfigjson", ".dockercfg", "config.json"];

/// The credentials files a path stands for: a directory stands for those of its
/// [`DOCKER_CONFIG_FILE_NAMES`] that exist (possibly none: an optional secret volume may be
/// empty), anything else for itself (so a missing file is reported when it is read).
pub fn docker_config_files(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        DOCKER_CONFIG_FILE_NAMES
            .iter()
            .map(|name| path.join(name))
            .filter(|p| p.is_file())
            .collect()
    } else {
        vec![path.to_path_buf()]
    }
}

/// Finds credentials for `registry`, first match wins: `explicit` (CLI flags), the
/// `PALISADE_USERNAME`/`PALISADE_PASSWORD` environment, the `config_paths` the user named, in
/// order (each a `config.json`, `.dockerconfigjson` or `.dockercfg` file, or a directory holding
/// such files, see [`docker_config_files`]), then Docker's default config. Several pull secrets
/// thus merge the way the kubelet merges them. A default config that does not exist is not an
/// error; a named file that does not exist is.
pub fn resolve_credentials(
    registry: &str,
    explicit: Option<&Credentials>,
    config_paths: &[PathBuf],
) -> Result<Option<Credentials>, ImageError> {
    if let Some(c) = explicit {
        return Ok(Some(c.clone()));
    }
    if let Some(c) = credentials_from_env() {
        tracing::debug!(registry, "using credentials from PALISADE_USERNAME");
        return Ok(Some(c));
    }
    for path in config_paths.iter().flat_map(|p| docker_config_files(p)) {
        if let Some(c) = credentials_from_file(&path, registry)? {
            tracing::debug!(registry, file = %path.display(), "using credentials from file");
            return Ok(Some(c));
        }
    }
    if let Some(path) = default_docker_config_path()
        && path.is_file()
    {
        match credentials_from_file(&path, registry) {
            Ok(Some(c)) => {
                tracing::debug!(registry, file = %path.display(), "using docker config credentials");
                return Ok(Some(c));
            }
            Ok(None) => {}
            // The ambient config was not chosen by the user for this scan; do not fail on it.
            Err(e) => tracing::warn!("ignoring unreadable docker config: {e}"),
        }
    }
    Ok(None)
}

/// One authentication challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Scheme, lowercased: `basic`, `bearer`, ...
    pub scheme: String,
    /// Parameters with lowercased names (`realm`, `service`, `scope`, ...).
    pub params: BTreeMap<String, String>,
}

/// Parses a `WWW-Authenticate` header value into its challenges (RFC 7235: a scheme followed by
/// comma-separated `name=value` or `name="quoted \"value\""` parameters; several challenges may
/// share one header). Unparseable trailing junk ends parsing rather than failing, since a
/// partially understood challenge is still useful.
pub fn parse_www_authenticate(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut rest = header.trim_start();
    while !rest.is_empty() {
        // A scheme token, or a parameter of the current challenge.
        let tok_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == ',')
            .unwrap_or(rest.len());
        let token = &rest[..tok_end];
        let after = rest[tok_end..].trim_start();
        if token.is_empty() {
            // Stray comma or junk: skip one character.
            rest = rest[rest.chars().next().map_or(1, char::len_utf8)..].trim_start();
            continue;
        }
        if let Some(val_part) = after.strip_prefix('=').filter(|_| !out.is_empty()) {
            let val_part = val_part.trim_start();
            let (value, remaining) = if let Some(q) = val_part.strip_prefix('"') {
                let mut v = String::new();
                let mut chars = q.char_indices();
                let mut end = q.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                v.push(n);
                            }
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        c => v.push(c),
                    }
                }
                (v, &q[end.min(q.len())..])
            } else {
                let end = val_part.find(',').unwrap_or(val_part.len());
                (val_part[..end].trim().to_string(), &val_part[end..])
            };
            if let Some(ch) = out.last_mut() {
                ch.params.insert(token.to_ascii_lowercase(), value);
            }
            rest = remaining.trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        } else {
            out.push(Challenge {
                scheme: token.to_ascii_lowercase(),
                params: BTreeMap::new(),
            });
            rest = after.strip_prefix(',').unwrap_or(after).trim_start();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_auth_and_fields() {
        let json = br#"{"auths":{
            "https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},
            "127.0.0.1:5001":{"username":"tester","password":"s3cret"},
            "https://ghcr.io/v2/":{"auth":"YTpiOmM="},
            "empty.example":{}
        },"credsStore":"desktop"}"#;
        let c = credentials_from_docker_config(json, "docker.io")
            .unwrap()
            .unwrap();
        assert_eq!(c, Credentials::new("user", "pass"));
        let c = credentials_from_docker_config(json, "index.docker.io")
            .unwrap()
            .unwrap();
        assert_eq!(c.username, "user");
        let c = credentials_from_docker_config(json, "127.0.0.1:5001")
            .unwrap()
            .unwrap();
        assert_eq!(c, Credentials::new("tester", "s3cret"));
        // Password may contain ':'; only the first one separates.
        let c = credentials_from_docker_config(json, "ghcr.io")
            .unwrap()
            .unwrap();
        assert_eq!(c, Credentials::new("a", "b:c"));
        assert!(
            credentials_from_docker_config(json, "empty.example")
                .unwrap()
                .is_none()
        );
        assert!(
            credentials_from_docker_config(json, "quay.io")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn docker_config_errors_name_the_problem() {
        let e = credentials_from_docker_config(b"{not json", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not valid JSON"), "{e}");
        let e = credentials_from_docker_config(br#"{"auths":{"x.io":{"auth":"!!!"}}}"#, "x.io")
            .unwrap_err()
            .to_string();
        assert!(e.contains("base64") && e.contains("x.io"), "{e}");
        let e = credentials_from_docker_config(
            br#"{"auths":{"x.io":{"auth":"bm9jb2xvbg=="}}}"#,
            "x.io",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("username:password"), "{e}");
    }

    #[test]
    fn docker_config_file_and_resolution_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".dockerconfigjson");
        std::fs::write(&path, br#"{"auths":{"reg.example:5000":{"auth":"dTpw"}}}"#).unwrap();
        let c = credentials_from_file(&path, "reg.example:5000")
            .unwrap()
            .unwrap();
        assert_eq!(c, Credentials::new("u", "p"));
        let explicit = Credentials::new("cli", "pw");
        let got = resolve_credentials(
            "reg.example:5000",
            Some(&explicit),
            std::slice::from_ref(&path),
        )
        .unwrap()
        .unwrap();
        assert_eq!(got, explicit);
        assert!(resolve_credentials("x", None, &[dir.path().join("missing")]).is_err());
        assert!(!format!("{explicit:?}").contains("pw"));
    }

    #[test]
    fn legacy_dockercfg_format() {
        let json = br#"{
            "https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz","email":"u@example.org"},
            "reg.example:5000":{"username":"tester","password":"s3cret"},
            "credsStore":"desktop"
        }"#;
        let c = credentials_from_docker_config(json, "docker.io")
            .unwrap()
            .unwrap();
        assert_eq!(c, Credentials::new("user", "pass"));
        let c = credentials_from_docker_config(json, "reg.example:5000")
            .unwrap()
            .unwrap();
        assert_eq!(c, Credentials::new("tester", "s3cret"));
        assert!(
            credentials_from_docker_config(json, "desktop")
                .unwrap()
                .is_none()
        );
        // A config.json with settings but no auths has no credentials (and is not an error).
        let json = br#"{"credsStore":"desktop","psFormat":"table"}"#;
        assert!(
            credentials_from_docker_config(json, "quay.io")
                .unwrap()
                .is_none()
        );
        // Errors name the legacy key without an `auths.` prefix.
        let e = credentials_from_docker_config(br#"{"x.io":{"auth":"!!!"}}"#, "x.io")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"x.io\".auth") && !e.contains("auths."), "{e}");
        let e = credentials_from_docker_config(br#"{"auths":[]}"#, "x.io")
            .unwrap_err()
            .to_string();
        assert!(e.contains("auths"), "{e}");
        let e = credentials_from_docker_config(b"[]", "x.io")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a JSON object"), "{e}");
    }

    #[test]
    fn config_directories_and_merging() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        // A kubernetes.io/dockerconfigjson secret volume and a kubernetes.io/dockercfg one.
        std::fs::write(
            a.path().join(".dockerconfigjson"),
            br#"{"auths":{"one.example":{"auth":"YTE6cDE="}}}"#,
        )
        .unwrap();
        std::fs::write(
            b.path().join(".dockercfg"),
            br#"{"one.example":{"auth":"YjE6cDE="},"two.example":{"auth":"YjI6cDI="}}"#,
        )
        .unwrap();
        assert_eq!(
            docker_config_files(a.path()),
            vec![a.path().join(".dockerconfigjson")]
        );
        assert!(docker_config_files(empty.path()).is_empty());
        let file = a.path().join(".dockerconfigjson");
        assert_eq!(docker_config_files(&file), vec![file.clone()]);

        let paths = [
            empty.path().to_path_buf(),
            a.path().to_path_buf(),
            b.path().to_path_buf(),
        ];
        if credentials_from_env().is_none() {
            // First match wins; a registry only the second secret knows comes from it.
            let c = resolve_credentials("one.example", None, &paths)
                .unwrap()
                .unwrap();
            assert_eq!(c, Credentials::new("a1", "p1"));
            let c = resolve_credentials("two.example", None, &paths)
                .unwrap()
                .unwrap();
            assert_eq!(c, Credentials::new("b2", "p2"));
            let c = resolve_credentials("one.example", None, &paths[2..])
                .unwrap()
                .unwrap();
            assert_eq!(c, Credentials::new("b1", "p1"));
        }
    }

    #[test]
    fn normalizes_registry_keys() {
        assert_eq!(
            normalize_registry_host("https://index.docker.io/v1/"),
            "docker.io"
        );
        assert_eq!(normalize_registry_host("registry-1.docker.io"), "docker.io");
        assert_eq!(
            normalize_registry_host("http://Reg.io:5000/v2"),
            "reg.io:5000"
        );
    }

    #[test]
    fn www_authenticate_bearer_and_basic() {
        let ch = parse_www_authenticate(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#,
        );
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].scheme, "bearer");
        assert_eq!(ch[0].params["realm"], "https://auth.docker.io/token");
        assert_eq!(ch[0].params["service"], "registry.docker.io");
        assert_eq!(ch[0].params["scope"], "repository:library/debian:pull");

        let ch = parse_www_authenticate(r#"Basic realm="test-realm""#);
        assert_eq!(ch[0].scheme, "basic");
        assert_eq!(ch[0].params["realm"], "test-realm");

        // Unquoted values, spaces, escapes, commas inside quotes, two challenges.
        let ch = parse_www_authenticate(
            r#"Bearer realm=https://x/token , scope="a,b \"c\"", Basic realm="r""#,
        );
        assert_eq!(ch.len(), 2);
        assert_eq!(ch[0].params["realm"], "https://x/token");
        assert_eq!(ch[0].params["scope"], r#"a,b "c""#);
        assert_eq!(ch[1].scheme, "basic");
        assert_eq!(ch[1].params["realm"], "r");

        assert!(parse_www_authenticate("").is_empty());
        // Junk does not panic.
        let _ = parse_www_authenticate(r#"=,="unterminated"#);
        let _ = parse_www_authenticate(r#"Bearer realm="unterminated"#);
    }
}
