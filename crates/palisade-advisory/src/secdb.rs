//! Alpine's security database ("secdb") JSON, as `https://secdb.alpinelinux.org/vX.Y/main.json`
//! publishes it, and Wolfi's and Chainguard's `security.json` in the same shape, turned into
//! OSV records so the rest of the build treats them like any other feed.
//!
//! A secdb document lists, per source package (aports origin), the version that fixed each
//! vulnerability (`secfixes: {"1.1.1d-r3": ["CVE-2019-1551"]}`). Each (package, version, id)
//! becomes an affected entry `introduced 0, fixed <version>` in the document's ecosystem
//! (`Alpine:v3.11` from `distroversion`; `Wolfi` or `Chainguard` from the URL prefix), which is
//! how osv.dev converts the same data. The version `0` means "never affected" and is skipped.
//!
//! Record ids carry the ecosystem and repository (`ALPINE-SECDB-v3.11-main-CVE-2019-1551`):
//! the same CVE is fixed in many branches, and each branch's document must not replace
//! another's. The CVE itself is the record's alias, which is the id reports show.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::osv::{OsvAffected, OsvEvent, OsvPackage, OsvRange, OsvRecord};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Document {
    distroversion: String,
    reponame: String,
    urlprefix: String,
    packages: Vec<Entry>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    pkg: Pkg,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Pkg {
    name: String,
    secfixes: BTreeMap<String, Option<Vec<Option<String>>>>,
}

/// Whether `bytes`, which parsed as an OSV record without an id, look like a secdb document
/// (a top-level `packages` list and one of secdb's own fields).
pub(crate) fn looks_like_secdb(bytes: &[u8]) -> bool {
    let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    has(b"\"packages\"") && (has(b"\"secfixes\"") || has(b"\"apkurl\""))
}

/// Converts a secdb document into OSV records, one per vulnerability id, in id order.
/// `Err` names what is wrong with the document as a whole.
pub(crate) fn to_osv(bytes: &[u8]) -> Result<Vec<OsvRecord>, String> {
    let doc: Document =
        serde_json::from_slice(bytes).map_err(|e| format!("not a valid secdb document: {e}"))?;
    let ecosystem = ecosystem(&doc)?;
    let repo = if doc.reponame.trim().is_empty() {
        "main".to_string()
    } else {
        doc.reponame.trim().to_string()
    };
    let prefix = format!(
        "{}-SECDB-{}{}",
        ecosystem
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase(),
        ecosystem
            .split_once(':')
            .map(|(_, r)| format!("{r}-"))
            .unwrap_or_default(),
        repo
    );
    let mut by_id: BTreeMap<String, Vec<OsvAffected>> = BTreeMap::new();
    for entry in &doc.packages {
        let name = entry.pkg.name.trim();
        if name.is_empty() {
            continue;
        }
        for (version, items) in &entry.pkg.secfixes {
            let version = version.trim();
            if version.is_empty() || version == "0" {
                continue;
            }
            for item in items.iter().flatten().flatten() {
                for id in vuln_ids(item) {
                    by_id.entry(id).or_default().push(OsvAffected {
                        package: Some(OsvPackage {
                            ecosystem: ecosystem.clone(),
                            name: name.to_string(),
                            purl: None,
                        }),
                        ranges: vec![OsvRange {
                            kind: "ECOSYSTEM".into(),
                            events: vec![
                                OsvEvent {
                                    introduced: Some("0".into()),
                                    ..OsvEvent::default()
                                },
                                OsvEvent {
                                    fixed: Some(version.to_string()),
                                    ..OsvEvent::default()
                                },
                            ],
                        }],
                        ..OsvAffected::default()
                    });
                }
            }
        }
    }
    Ok(by_id
        .into_iter()
        .map(|(id, affected)| OsvRecord {
            id: format!("{prefix}-{id}"),
            aliases: vec![id.clone()],
            summary: Some(format!("{id} fixed in {ecosystem} ({repo})")),
            affected,
            ..OsvRecord::default()
        })
        .collect())
}

/// The ecosystem of a document: its `distroversion` for Alpine, the vendor from the URL prefix
/// for the rolling distributions, which have no release.
fn ecosystem(doc: &Document) -> Result<String, String> {
    let prefix = doc.urlprefix.to_ascii_lowercase();
    if prefix.contains("wolfi.dev") {
        return Ok("Wolfi".into());
    }
    // Chainguard's enterprise packages are served from packages.cgr.dev.
    if prefix.contains("chainguard") || prefix.contains("cgr.dev") {
        return Ok("Chainguard".into());
    }
    let release = doc.distroversion.trim();
    if release.is_empty() {
        return Err("secdb document without distroversion or a known urlprefix".into());
    }
    let release = if release.starts_with('v') || release == "edge" {
        release.to_string()
    } else {
        format!("v{release}")
    };
    Ok(format!("Alpine:{release}"))
}

/// The vulnerability ids of one secfixes item. Items are free text: `CVE-2019-1551`,
/// `CVE-2016-10013 XSA-204`, `CVE-2018-14461 (LDP)`. Every CVE id in it is used; an item with
/// none uses its first word (`XSA-207`, `ZBX-11023`).
fn vuln_ids(item: &str) -> Vec<String> {
    let words: Vec<&str> = item
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let cves: Vec<String> = words
        .iter()
        .filter_map(|w| cve_prefix(w))
        .map(str::to_string)
        .collect();
    if !cves.is_empty() {
        return cves;
    }
    words
        .first()
        .filter(|w| w.len() <= 64 && w.chars().all(|c| c.is_ascii_graphic()))
        .map(|w| vec![w.to_string()])
        .unwrap_or_default()
}

/// `CVE-YYYY-NNNN…` at the start of `word` (a suffix like `.patch` is cut off).
fn cve_prefix(word: &str) -> Option<&str> {
    let rest = word.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = num.bytes().take_while(u8::is_ascii_digit).count();
    (digits >= 4).then(|| &word[..4 + 5 + digits])
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"distroversion":"v3.11","reponame":"main","urlprefix":"http://dl-cdn.alpinelinux.org/alpine",
      "apkurl":"{{urlprefix}}/x","packages":[
        {"pkg":{"name":"openssl","secfixes":{"1.1.1d-r3":["CVE-2019-1551"],"1.1.1g-r0":["CVE-2020-1967"]}}},
        {"pkg":{"name":"xen","secfixes":{"4.7.1-r4":["CVE-2016-10013 XSA-204"],"4.8.0-r0":["XSA-207"],"0":["CVE-2016-9999"]}}},
        {"pkg":{"name":"libssh2","secfixes":{"1.9.0-r1":["CVE-2019-17498.patch", null]}}}
      ]}"#;

    #[test]
    fn documents_become_one_record_per_id_and_branch() {
        assert!(looks_like_secdb(DOC.as_bytes()));
        let recs = to_osv(DOC.as_bytes()).expect("converts");
        let ids: Vec<&str> = recs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ALPINE-SECDB-v3.11-main-CVE-2016-10013",
                "ALPINE-SECDB-v3.11-main-CVE-2019-1551",
                "ALPINE-SECDB-v3.11-main-CVE-2019-17498",
                "ALPINE-SECDB-v3.11-main-CVE-2020-1967",
                "ALPINE-SECDB-v3.11-main-XSA-207",
            ]
        );
        let r = &recs[1];
        assert_eq!(r.aliases, ["CVE-2019-1551"]);
        let a = &r.affected[0];
        let p = a.package.as_ref().expect("package");
        assert_eq!(
            (p.ecosystem.as_str(), p.name.as_str()),
            ("Alpine:v3.11", "openssl")
        );
        assert_eq!(a.ranges[0].events[1].fixed.as_deref(), Some("1.1.1d-r3"));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_convert_or_fail_without_panicking(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = looks_like_secdb(&data);
            let _ = to_osv(&data);
        }

        /// Every (package, version, CVE) of a document is exactly one affected entry of the
        /// record of that CVE, fixed at that version; version `0` gives none.
        #[test]
        fn every_secfix_becomes_one_entry(
            fixes in proptest::collection::btree_map(
                ("[a-z]{1,6}", "(0|[0-9]\\.[0-9]{1,2}-r[0-9])"),
                proptest::collection::btree_set(1000u32..1010, 1..4),
                0..8,
            )
        ) {
            let packages: Vec<serde_json::Value> = fixes
                .iter()
                .map(|((name, version), ids)| {
                    let ids: Vec<String> = ids.iter().map(|n| format!("CVE-2020-{n}")).collect();
                    serde_json::json!({"pkg": {"name": name, "secfixes": {version: ids}}})
                })
                .collect();
            let doc = serde_json::json!({"distroversion": "v3.11", "reponame": "main", "packages": packages});
            let recs = to_osv(doc.to_string().as_bytes()).expect("converts");
            let mut got = std::collections::BTreeSet::new();
            for r in &recs {
                proptest::prop_assert!(r.id.starts_with("ALPINE-SECDB-v3.11-main-"));
                for a in &r.affected {
                    let p = a.package.as_ref().expect("package");
                    let fixed = a.ranges[0].events[1].fixed.clone().expect("fixed");
                    proptest::prop_assert!(got.insert((p.name.clone(), fixed, r.aliases[0].clone())));
                }
            }
            let want: std::collections::BTreeSet<_> = fixes
                .iter()
                .filter(|((_, v), _)| v != "0")
                .flat_map(|((n, v), ids)| ids.iter().map(move |i| (n.clone(), v.clone(), format!("CVE-2020-{i}"))))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn wolfi_has_no_release_and_bad_documents_say_why() {
        let wolfi = r#"{"apkurl":"x","reponame":"os","urlprefix":"https://packages.wolfi.dev","packages":[{"pkg":{"name":"glibc","secfixes":{"2.38-r1":["CVE-2023-4911"]}}}]}"#;
        let recs = to_osv(wolfi.as_bytes()).expect("converts");
        assert_eq!(recs[0].id, "WOLFI-SECDB-os-CVE-2023-4911");
        assert_eq!(
            recs[0].affected[0]
                .package
                .as_ref()
                .map(|p| p.ecosystem.as_str()),
            Some("Wolfi")
        );
        let cg = wolfi.replace("packages.wolfi.dev", "packages.cgr.dev");
        let recs = to_osv(cg.as_bytes()).expect("converts");
        assert_eq!(recs[0].id, "CHAINGUARD-SECDB-os-CVE-2023-4911");
        let err = to_osv(br#"{"packages":[]}"#).unwrap_err();
        assert!(err.contains("distroversion"), "{err}");
        let err = to_osv(br#"{"packages":"x"}"#).unwrap_err();
        assert!(err.contains("not a valid secdb"), "{err}");
    }
}
