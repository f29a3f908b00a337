//! SPDX 2.3 JSON: the image, its OS and every installed package, linked by `DESCRIBES` and
//! `CONTAINS` relationships. SPDX 2.3 has no place for vulnerabilities; use CycloneDX or SARIF
//! for those.
//!
//! SPDX identifiers may only contain letters, digits, `.` and `-`, but package names and versions
//! contain `+`, `~` and `:`. Package ids are therefore the sanitised name plus a short hash of the
//! package's purl: readable, stable across scans, and unique even when sanitising makes two
//! names equal (`libfoo+` and `libfoo-`). The document namespace, which must be a unique URI, is
//! derived from the document's content like CycloneDX's serial number.

use crate::document::{DocumentInput, derived_uuid, package_purl, package_ref, short_hash};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: Value,
    packages: Vec<Value>,
    relationships: Vec<Value>,
}

const IMAGE_ID: &str = "SPDXRef-Image";
const OS_ID: &str = "SPDXRef-OperatingSystem";

/// Replaces every character SPDX ids do not allow (anything but `A-Z a-z 0-9 . -`) with `-`.
pub fn sanitize_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn purl_ref(purl: &str) -> Value {
    json!([{
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": purl,
    }])
}

fn relationship(a: &str, kind: &str, b: &str) -> Value {
    json!({ "spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b })
}

/// Renders the scan as an SPDX 2.3 JSON document (pretty-printed, newline-terminated).
pub fn to_spdx(input: &DocumentInput<'_>) -> Result<String, serde_json::Error> {
    let report = input.report;
    let meta = &report.metadata;
    let os = input.inventory.os.as_ref();

    let mut image = json!({
        "SPDXID": IMAGE_ID,
        "name": report.artifact_name,
        "downloadLocation": "NONE",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
    });
    if !meta.image_id.is_empty() {
        image["versionInfo"] = json!(meta.image_id);
    }
    if let Some(p) = input.image_purl() {
        image["externalRefs"] = purl_ref(&p.to_string());
    }
    let mut packages = vec![image];
    let mut relationships = vec![relationship("SPDXRef-DOCUMENT", "DESCRIBES", IMAGE_ID)];
    let parent = match os {
        Some(os) => {
            packages.push(json!({
                "SPDXID": OS_ID,
                "name": os.family.as_str(),
                "versionInfo": os.version,
                "downloadLocation": "NONE",
                "filesAnalyzed": false,
                "primaryPackagePurpose": "OPERATING-SYSTEM",
            }));
            relationships.push(relationship(IMAGE_ID, "CONTAINS", OS_ID));
            OS_ID
        }
        None => IMAGE_ID,
    };
    // Keyed by bom-ref (the purl, plus the file for language packages): sorted, and one entry
    // per distinct package.
    let mut by_ref = BTreeMap::new();
    for pkg in input.packages() {
        by_ref.entry(package_ref(pkg, os)).or_insert(pkg);
    }
    for (r, pkg) in &by_ref {
        let purl = &package_purl(pkg, os).to_string();
        let id = format!(
            "SPDXRef-Package-{}-{}",
            sanitize_id(&pkg.name),
            short_hash(r)
        );
        let mut p = json!({
            "SPDXID": id,
            "name": pkg.name,
            "versionInfo": pkg.version,
            "downloadLocation": "NONE",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "LIBRARY",
            "externalRefs": purl_ref(purl),
        });
        let lang = pkg.kind.class() == palisade_inventory::Class::LangPkgs;
        if lang {
            p["sourceInfo"] = json!(format!("{} package found in: {}", pkg.kind, pkg.path));
        } else if !pkg.source_name.is_empty() {
            p["sourceInfo"] = json!(format!(
                "built package from: {} {}",
                pkg.source_name, pkg.source_version
            ));
        }
        packages.push(p);
        // Language packages belong to the image, not to the operating system.
        relationships.push(relationship(
            if lang { IMAGE_ID } else { parent },
            "CONTAINS",
            &id,
        ));
    }

    let content = serde_json::to_vec(&(&packages, &relationships))?;
    let uuid = derived_uuid(&[
        b"palisade spdx",
        meta.image_id.as_bytes(),
        report.artifact_name.as_bytes(),
        &content,
    ]);
    let doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: report.artifact_name.clone(),
        document_namespace: format!(
            "https://spdx.org/spdxdocs/palisade-{}-{uuid}",
            sanitize_id(&report.artifact_name)
        ),
        creation_info: json!({
            "created": report.created_at,
            "creators": [format!("Tool: palisade-{}", input.tool_version)],
        }),
        packages,
        relationships,
    };
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::fixtures;
    use std::collections::BTreeSet;

    fn render(created: &str) -> String {
        let (r, i) = (fixtures::report(created), fixtures::inventory());
        to_spdx(&DocumentInput {
            report: &r,
            inventory: &i,
            tool_version: "0.1.0",
            information_uri: None,
        })
        .unwrap()
    }

    fn id_ok(id: &str) -> bool {
        id.strip_prefix("SPDXRef-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    }

    #[test]
    fn structure_and_ids() {
        let doc: Value = serde_json::from_str(&render("2025-01-02T03:04:05Z")).unwrap();
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        assert_eq!(doc["dataLicense"], "CC0-1.0");
        assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
        assert_eq!(doc["creationInfo"]["created"], "2025-01-02T03:04:05Z");
        assert_eq!(doc["creationInfo"]["creators"][0], "Tool: palisade-0.1.0");
        assert!(
            doc["documentNamespace"]
                .as_str()
                .unwrap()
                .starts_with("https://spdx.org/spdxdocs/palisade-registry.example-team-app-1-")
        );
        let pkgs = doc["packages"].as_array().unwrap();
        // image + OS + 4 packages
        assert_eq!(pkgs.len(), 6);
        let ids: BTreeSet<&str> = pkgs.iter().map(|p| p["SPDXID"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 6, "ids are unique");
        assert!(ids.iter().all(|i| id_ok(i)), "{ids:?}");
        let stdcpp = pkgs.iter().find(|p| p["name"] == "libstdc++6").unwrap();
        assert!(
            stdcpp["SPDXID"]
                .as_str()
                .unwrap()
                .starts_with("SPDXRef-Package-libstdc--6-")
        );
        assert_eq!(stdcpp["downloadLocation"], "NONE");
        assert_eq!(
            stdcpp["externalRefs"][0]["referenceCategory"],
            "PACKAGE-MANAGER"
        );
        assert_eq!(
            stdcpp["externalRefs"][0]["referenceLocator"],
            "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12.7"
        );
        // Every relationship names known elements; the OS contains all four packages.
        let rels = doc["relationships"].as_array().unwrap();
        assert_eq!(rels[0]["relationshipType"], "DESCRIBES");
        for r in rels {
            let b = r["relatedSpdxElement"].as_str().unwrap();
            assert!(ids.contains(b), "{r}");
        }
        let contained = rels
            .iter()
            .filter(|r| r["spdxElementId"] == OS_ID && r["relationshipType"] == "CONTAINS")
            .count();
        assert_eq!(contained, 4);
    }

    #[test]
    fn sanitizing() {
        assert_eq!(sanitize_id("libstdc++6"), "libstdc--6");
        assert_eq!(sanitize_id("a:b~c/d é"), "a-b-c-d--");
        assert!(id_ok(&format!("SPDXRef-{}", sanitize_id("x+y@1:2~3"))));
    }

    #[test]
    fn deterministic() {
        let a = render("2025-01-02T03:04:05Z");
        assert_eq!(a, render("2025-01-02T03:04:05Z"));
        assert_eq!(
            a.replace("2025-01-02T03:04:05Z", "2030-01-01T00:00:00Z"),
            render("2030-01-01T00:00:00Z")
        );
    }
}
