//! Reading SPDX 2.x JSON documents for `palisade sbom`, by turning them into the CycloneDX shape
//! the inventory reader already understands.
//!
//! One reader for both formats keeps their meaning identical: a package is identified by its
//! purl (SPDX `externalRefs` of type `purl`), the OS by the package whose purpose is
//! `OPERATING-SYSTEM`, and what CycloneDX carries in properties comes from the places SPDX
//! writers put it: Palisade's `sourceInfo` (`built package from: glibc 2.36-9`,
//! `python-pkg package found in: …/METADATA`) and Trivy's annotations (`PkgType: npm`,
//! `SrcName: …`, `FilePath: …`).

use serde_json::{Value, json};

/// The CycloneDX-shaped document of an SPDX one: `metadata.component` for the described
/// container, `components` for every other package.
pub(crate) fn as_cyclonedx(doc: &Value) -> Value {
    let mut components = Vec::new();
    let mut subject = json!({});
    for p in doc["packages"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap_or_default();
        let version = p["versionInfo"].as_str().unwrap_or_default();
        match p["primaryPackagePurpose"].as_str() {
            Some("CONTAINER") => {
                subject = json!({ "name": name, "version": version });
                continue;
            }
            Some("OPERATING-SYSTEM") => {
                components.push(json!({
                    "type": "operating-system", "name": name, "version": version,
                }));
                continue;
            }
            _ => {}
        }
        let purl = p["externalRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["referenceType"].as_str() == Some("purl"))
            .and_then(|r| r["referenceLocator"].as_str());
        let mut props = Vec::new();
        let mut prop = |n: &str, v: &str| props.push(json!({ "name": n, "value": v }));
        if let Some(info) = p["sourceInfo"].as_str() {
            if let Some(rest) = info.strip_prefix("built package from: ") {
                if let Some((src, ver)) = rest.trim().split_once(' ') {
                    prop("palisade:SrcName", src);
                    prop("palisade:SrcVersion", ver.trim());
                }
            } else if let Some((kind, path)) = info.split_once(" package found in: ") {
                prop("aquasecurity:trivy:PkgType", kind.trim());
                prop("aquasecurity:trivy:FilePath", path.trim());
            }
        }
        for a in p["annotations"].as_array().into_iter().flatten() {
            if let Some((k, v)) = a["comment"].as_str().and_then(|c| c.split_once(": "))
                && matches!(
                    k,
                    "PkgType" | "SrcName" | "SrcVersion" | "SrcEpoch" | "SrcRelease" | "FilePath"
                )
            {
                prop(&format!("aquasecurity:trivy:{k}"), v.trim());
            }
        }
        let mut c =
            json!({ "type": "library", "name": name, "version": version, "properties": props });
        if let Some(purl) = purl {
            c["purl"] = json!(purl);
        }
        components.push(c);
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": { "component": subject },
        "components": components,
    })
}
