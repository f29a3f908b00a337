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

#[cfg(test)]
mod tests {
    use crate::read_inventory;
    use proptest::prelude::*;

    /// JSON values of any shape, a few levels deep, with the keys the readers look at.
    fn json() -> impl Strategy<Value = serde_json::Value> {
        let key = prop_oneof![
            Just("packages".to_string()),
            Just("components".to_string()),
            Just("purl".to_string()),
            Just("externalRefs".to_string()),
            Just("referenceType".to_string()),
            Just("referenceLocator".to_string()),
            Just("primaryPackagePurpose".to_string()),
            Just("sourceInfo".to_string()),
            Just("annotations".to_string()),
            Just("comment".to_string()),
            Just("properties".to_string()),
            Just("name".to_string()),
            Just("value".to_string()),
            Just("type".to_string()),
            Just("version".to_string()),
            Just("versionInfo".to_string()),
            "[a-z]{1,6}",
        ];
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            prop_oneof![
                Just("pkg:pypi/django@3.2".to_string()),
                Just("pkg:npm/%40s/x@1.0.0".to_string()),
                Just("pkg:golang/a/b@v1.0.0".to_string()),
                Just("pkg:deb/debian/x@1?distro=debian-12".to_string()),
                Just("purl".to_string()),
                Just("OPERATING-SYSTEM".to_string()),
                Just("python-pkg package found in: a/METADATA".to_string()),
                Just("built package from: src 1.0".to_string()),
                Just("PkgType: gobinary".to_string()),
                ".{0,20}",
            ]
            .prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Hostile SBOMs of either format end in an inventory or an error, never a panic.
        #[test]
        fn any_document_reads_or_fails_cleanly(body in json(), spdx in any::<bool>()) {
            let mut doc = body;
            if let Some(obj) = doc.as_object_mut() {
                if spdx {
                    obj.insert("spdxVersion".into(), "SPDX-2.3".into());
                } else {
                    obj.insert("bomFormat".into(), "CycloneDX".into());
                }
            }
            let bytes = serde_json::to_vec(&doc).expect("serialises");
            let _ = read_inventory(&bytes);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = read_inventory(&bytes);
        }
    }
}
