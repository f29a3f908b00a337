//! CycloneDX 1.6 JSON: writing a BOM of a scan, and reading a BOM back into an inventory for
//! `palisade sbom`.
//!
//! The BOM lists the image (`metadata.component`, type `container`), its OS (type
//! `operating-system`) and every installed package (type `library`, identified by its purl,
//! which is also its `bom-ref`). Package properties carry the source package under Palisade's
//! names and under Trivy's (`aquasecurity:trivy:*`, with Trivy's split of the source version into
//! epoch, upstream version and release), so Trivy and the Trivy Operator can consume our BOMs and
//! we can consume theirs.
//!
//! `serialNumber` is derived from the image's config digest and the BOM's content (components,
//! dependencies, vulnerabilities), not drawn at random: scanning the same image with the same
//! database gives the same BOM apart from `metadata.timestamp`, which makes BOMs diffable and
//! reproducible, while any change of content still gives a new serial number.

use crate::Vulnerability;
use crate::document::{DocumentInput, derived_uuid, distro, package_purl, package_ref};
use crate::purl::{Purl, PurlError, split_epoch};
use palisade_inventory::{
    Class, Ecosystem, Inventory, OsFamily, OsInfo, Package, PackageType, Target,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The specification version we write.
pub const SPEC_VERSION: &str = "1.6";

#[derive(Serialize)]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    version: u32,
    metadata: Value,
    components: Vec<Value>,
    dependencies: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Value>,
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

/// Trivy's split of an OS package's version into epoch, version and release: dpkg's and rpm's
/// `epoch:upstream-revision`; apk versions stay whole (`1.1.1d-r2`), as Trivy keeps them.
pub(crate) fn trivy_version_parts(
    kind: PackageType,
    version: &str,
) -> (Option<&str>, &str, Option<&str>) {
    if kind.os_format().is_some_and(|f| !f.splits_release()) {
        return (None, version, None);
    }
    let (epoch, rest) = split_epoch(version);
    match rest.rsplit_once('-') {
        Some((upstream, release)) => (epoch, upstream, Some(release)),
        None => (epoch, rest, None),
    }
}

fn package_component(pkg: &Package, os: Option<&OsInfo>) -> Value {
    if pkg.kind.class() == Class::LangPkgs {
        return lang_component(pkg);
    }
    let purl = package_purl(pkg, os).to_string();
    let mut props = vec![
        prop(
            "aquasecurity:trivy:PkgID",
            &format!("{}@{}", pkg.name, pkg.version),
        ),
        prop(
            "aquasecurity:trivy:PkgType",
            os.map(|o| o.family.as_str()).unwrap_or("debian"),
        ),
        prop("aquasecurity:trivy:SrcName", &pkg.source_name),
    ];
    let (epoch, upstream, release) = trivy_version_parts(pkg.kind, &pkg.source_version);
    if let Some(e) = epoch {
        props.push(prop("aquasecurity:trivy:SrcEpoch", e));
    }
    if let Some(r) = release {
        props.push(prop("aquasecurity:trivy:SrcRelease", r));
    }
    props.push(prop("aquasecurity:trivy:SrcVersion", upstream));
    props.push(prop("palisade:DbPath", &pkg.path));
    if !pkg.modularity_label.is_empty() {
        props.push(prop(
            "aquasecurity:trivy:Modularitylabel",
            &pkg.modularity_label,
        ));
    }
    props.push(prop("palisade:SrcName", &pkg.source_name));
    props.push(prop("palisade:SrcVersion", &pkg.source_version));
    props.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    json!({
        "bom-ref": purl,
        "type": "library",
        "name": pkg.name,
        "version": pkg.version,
        "purl": purl,
        "properties": props,
    })
}

/// A language package: its purl, Trivy's type, and the file it was found in (Trivy's
/// `FilePath`, which is also what lets [`read_inventory`] put it back in the right result).
fn lang_component(pkg: &Package) -> Value {
    let mut props = vec![
        prop(
            "aquasecurity:trivy:PkgID",
            &format!("{}@{}", pkg.name, pkg.version),
        ),
        prop("aquasecurity:trivy:PkgType", pkg.kind.name()),
        prop("aquasecurity:trivy:FilePath", &pkg.path),
    ];
    props.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    json!({
        "bom-ref": package_ref(pkg, None),
        "type": "library",
        "name": pkg.name,
        "version": pkg.version,
        "purl": package_purl(pkg, None).to_string(),
        "properties": props,
    })
}

/// The application components of the language packages, Trivy's way: one per lockfile or
/// binary, and one per aggregate type (`Python`), each depending on its packages.
fn applications(packages: &[Package]) -> BTreeMap<(PackageType, String), Vec<String>> {
    let mut apps: BTreeMap<(PackageType, String), Vec<String>> = BTreeMap::new();
    for p in packages
        .iter()
        .filter(|p| p.kind.class() == Class::LangPkgs)
    {
        let target = match p.kind.target() {
            Target::Aggregate(name) => name.to_string(),
            _ => p.path.clone(),
        };
        apps.entry((p.kind, target))
            .or_default()
            .push(package_ref(p, None));
    }
    for refs in apps.values_mut() {
        refs.sort();
        refs.dedup();
    }
    apps
}

fn app_ref(kind: PackageType, target: &str) -> String {
    format!("palisade:app:{}:{target}", kind.name())
}

fn os_ref(os: &OsInfo) -> String {
    format!("palisade:os:{}", distro(os))
}

fn cdx_severity(v: &Vulnerability) -> &'static str {
    match v.severity {
        palisade_cvss::Severity::Critical => "critical",
        palisade_cvss::Severity::High => "high",
        palisade_cvss::Severity::Medium => "medium",
        palisade_cvss::Severity::Low => "low",
        palisade_cvss::Severity::Unknown => "unknown",
    }
}

/// The CycloneDX rating method for a CVSS vector, from its version prefix.
fn cvss_method(vector: &str) -> Option<&'static str> {
    if vector.starts_with("CVSS:3.1/") {
        Some("CVSSv31")
    } else if vector.starts_with("CVSS:3.0/") {
        Some("CVSSv3")
    } else if vector.starts_with("CVSS:4.0/") {
        Some("CVSSv4")
    } else {
        None
    }
}

fn rating(v: &Vulnerability) -> Value {
    let mut r = json!({ "source": { "name": "osv" }, "severity": cdx_severity(v) });
    if let Some(score) = v.cvss_score {
        r["score"] = json!(score);
    }
    if let Some(vector) = &v.cvss_vector {
        r["vector"] = json!(vector);
        if let Some(m) = cvss_method(vector) {
            r["method"] = json!(m);
        }
    } else {
        r["method"] = json!("other");
    }
    r
}

/// One entry per vulnerability id, affecting every package a finding names.
fn vulnerabilities(input: &DocumentInput<'_>, os: Option<&OsInfo>) -> Vec<Value> {
    let mut by_id: BTreeMap<&str, Vec<&Vulnerability>> = BTreeMap::new();
    for v in input.vulnerabilities() {
        by_id.entry(&v.vulnerability_id).or_default().push(v);
    }
    by_id
        .into_iter()
        .map(|(id, vs)| {
            // The most severe finding describes the entry; ids normally come from one advisory.
            let head = vs
                .iter()
                .copied()
                .max_by_key(|v| (v.severity, std::cmp::Reverse(&v.pkg_name)))
                .unwrap_or(vs[0]);
            let mut ratings: Vec<Value> = vs.iter().map(|v| rating(v)).collect();
            ratings.sort_by_key(|r| r.to_string());
            ratings.dedup();
            let mut affects: BTreeMap<String, Value> = BTreeMap::new();
            let mut recommendations = BTreeSet::new();
            for v in &vs {
                let mut versions =
                    vec![json!({ "version": v.installed_version, "status": "affected" })];
                if let Some(fixed) = &v.fixed_version {
                    versions.push(json!({ "version": fixed, "status": "unaffected" }));
                    recommendations.insert(format!("Upgrade {} to {fixed}", v.pkg_name));
                }
                for pkg in input.packages_of(v) {
                    let r = package_ref(pkg, os);
                    affects.insert(r.clone(), json!({ "ref": r, "versions": versions }));
                }
            }
            let references: Vec<Value> = head
                .aliases
                .iter()
                .map(|a| json!({ "id": a, "source": { "name": "osv" } }))
                .collect();
            let mut e = json!({
                "id": id,
                "source": { "name": "osv", "url": head.primary_url },
                "ratings": ratings,
                "description": head.title,
                "affects": affects.into_values().collect::<Vec<_>>(),
            });
            if !head.primary_url.is_empty() {
                e["advisories"] = json!([{ "url": head.primary_url }]);
            }
            if !references.is_empty() {
                e["references"] = json!(references);
            }
            if !recommendations.is_empty() {
                e["recommendation"] =
                    json!(recommendations.into_iter().collect::<Vec<_>>().join("; "));
            }
            if let Some(p) = &head.published_date {
                e["published"] = json!(p);
            }
            if let Some(u) = &head.last_modified_date {
                e["updated"] = json!(u);
            }
            e
        })
        .collect()
}

/// Renders the scan as a CycloneDX 1.6 JSON BOM (pretty-printed, newline-terminated).
pub fn to_cyclonedx(input: &DocumentInput<'_>) -> Result<String, serde_json::Error> {
    let report = input.report;
    let os = input.inventory.os.as_ref();
    let meta = &report.metadata;

    let mut components = Vec::new();
    let mut pkg_refs: Vec<String> = input
        .packages()
        .iter()
        .filter(|p| p.kind.class() == Class::OsPkgs)
        .map(|p| package_ref(p, os))
        .collect();
    pkg_refs.sort();
    pkg_refs.dedup();
    if let Some(os) = os {
        let mut props = vec![
            prop("aquasecurity:trivy:Class", "os-pkgs"),
            prop("aquasecurity:trivy:Type", os.family.as_str()),
        ];
        if let Some(eol) = &os.eol_date {
            props.push(prop("palisade:EolDate", eol));
        }
        components.push(json!({
            "bom-ref": os_ref(os),
            "type": "operating-system",
            "name": os.family.as_str(),
            "version": os.version,
            "properties": props,
        }));
    }
    let apps = applications(input.packages());
    for (kind, target) in apps.keys() {
        components.push(json!({
            "bom-ref": app_ref(*kind, target),
            "type": "application",
            "name": target,
            "properties": [
                prop("aquasecurity:trivy:Class", "lang-pkgs"),
                prop("aquasecurity:trivy:Type", kind.name()),
            ],
        }));
    }
    let mut pkgs: Vec<Value> = input
        .packages()
        .iter()
        .map(|p| package_component(p, os))
        .collect();
    pkgs.sort_by(|a, b| a["bom-ref"].as_str().cmp(&b["bom-ref"].as_str()));
    pkgs.dedup_by(|a, b| a["bom-ref"] == b["bom-ref"]);
    components.extend(pkgs);

    let image_purl = input.image_purl().map(|p| p.to_string());
    let image_ref = image_purl
        .clone()
        .unwrap_or_else(|| format!("palisade:image:{}", report.artifact_name));
    let mut dependencies = Vec::new();
    let mut top: Vec<String> = apps.keys().map(|(k, t)| app_ref(*k, t)).collect();
    match os {
        Some(os) => {
            top.insert(0, os_ref(os));
            dependencies.push(json!({ "ref": image_ref, "dependsOn": top }));
            dependencies.push(json!({ "ref": os_ref(os), "dependsOn": pkg_refs }));
        }
        None => {
            top.extend(pkg_refs);
            dependencies.push(json!({ "ref": image_ref, "dependsOn": top }));
        }
    }
    for ((kind, target), refs) in &apps {
        dependencies.push(json!({ "ref": app_ref(*kind, target), "dependsOn": refs }));
    }
    let vulns = vulnerabilities(input, os);

    let content = serde_json::to_vec(&(&components, &dependencies, &vulns))?;
    let serial = derived_uuid(&[
        b"palisade cyclonedx",
        meta.image_id.as_bytes(),
        report.artifact_name.as_bytes(),
        &content,
    ]);

    let mut image_props = Vec::new();
    if !meta.image_id.is_empty() {
        image_props.push(prop("aquasecurity:trivy:ImageID", &meta.image_id));
    }
    for d in &meta.diff_ids {
        image_props.push(prop("aquasecurity:trivy:DiffID", d));
    }
    for t in &meta.repo_tags {
        image_props.push(prop("aquasecurity:trivy:RepoTag", t));
    }
    for d in &meta.repo_digests {
        image_props.push(prop("aquasecurity:trivy:RepoDigest", d));
    }
    image_props.push(prop("aquasecurity:trivy:SchemaVersion", "2"));
    if !meta.platform.is_empty() {
        image_props.push(prop("palisade:Platform", &meta.platform));
    }
    let mut image = json!({
        "bom-ref": image_ref,
        "type": "container",
        "name": report.artifact_name,
        "properties": image_props,
    });
    if !meta.image_id.is_empty() {
        image["version"] = json!(meta.image_id);
    }
    if let Some(p) = image_purl {
        image["purl"] = json!(p);
    }
    let mut tool =
        json!({ "type": "application", "name": "palisade", "version": input.tool_version });
    if let Some(uri) = input.information_uri {
        tool["externalReferences"] = json!([{ "type": "website", "url": uri }]);
    }
    let bom = Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: SPEC_VERSION,
        serial_number: format!("urn:uuid:{serial}"),
        version: 1,
        metadata: json!({
            "timestamp": report.created_at,
            "tools": { "components": [tool] },
            "component": image,
        }),
        components,
        dependencies,
        vulnerabilities: vulns,
    };
    let mut s = serde_json::to_string_pretty(&bom)?;
    s.push('\n');
    Ok(s)
}

/// An inventory read from a CycloneDX BOM, with what the BOM says about the image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SbomInventory {
    /// The OS and the Debian/Ubuntu packages.
    pub inventory: Inventory,
    /// The image's config digest, when the BOM records it.
    pub image_id: Option<String>,
    /// Layer diff ids the BOM records (Trivy's `aquasecurity:trivy:DiffID`).
    pub diff_ids: Vec<String>,
    /// Tags the BOM records.
    pub repo_tags: Vec<String>,
    /// Repository digests the BOM records.
    pub repo_digests: Vec<String>,
    /// Components that were neither the OS nor a `pkg:deb` package (other ecosystems, files);
    /// they are not matched.
    pub skipped: usize,
}

/// Why a BOM could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The bytes are not JSON.
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not a CycloneDX BOM.
    #[error("not a CycloneDX BOM: {0}")]
    NotCycloneDx(String),
    /// A component's purl cannot be parsed.
    #[error("component {component:?} has a malformed purl {purl:?}: {source}")]
    Purl {
        /// The component's name or bom-ref.
        component: String,
        /// The purl as written (shortened if very long).
        purl: String,
        /// What is wrong with it.
        #[source]
        source: PurlError,
    },
    /// A Debian package component lacks something matching needs.
    #[error("component {component:?}: {reason}")]
    Component {
        /// The component's name or bom-ref.
        component: String,
        /// What is missing.
        reason: String,
    },
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(200).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

fn properties(c: &Value) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in c["properties"].as_array().into_iter().flatten() {
        if let (Some(n), Some(v)) = (p["name"].as_str(), p["value"].as_str()) {
            out.entry(n).or_default().push(v);
        }
    }
    out
}

fn first<'a>(props: &BTreeMap<&str, Vec<&'a str>>, name: &str) -> Option<&'a str> {
    props
        .get(name)
        .and_then(|v| v.first().copied())
        .filter(|s| !s.is_empty())
}

/// The family of an OS component or a purl `distro` qualifier name, for the families whose
/// names are the same in CycloneDX BOMs and in our reports.
fn family(name: &str) -> Option<OsFamily> {
    serde_json::from_value(Value::String(name.trim().to_ascii_lowercase())).ok()
}

/// Collects all components, depth first, including nested `components`.
fn walk<'a>(components: &'a Value, out: &mut Vec<&'a Value>) {
    for c in components.as_array().into_iter().flatten() {
        out.push(c);
        walk(&c["components"], out);
    }
}

/// Reads the OS and the packages of a CycloneDX JSON BOM (ours, Trivy's, or any BOM with
/// `pkg:deb`, `pkg:apk`, `pkg:rpm` or language purls).
///
/// The source package comes from `palisade:SrcName`/`palisade:SrcVersion`, else Trivy's
/// `aquasecurity:trivy:SrcName` and `SrcEpoch`/`SrcVersion`/`SrcRelease`, else the binary's own
/// name and version (correct for most packages; binNMUs then compare a slightly newer version).
/// The OS comes from the `operating-system` component, else from the packages' `distro`
/// qualifier.
pub fn read_inventory(data: &[u8]) -> Result<SbomInventory, SbomError> {
    let doc: Value = serde_json::from_slice(data)?;
    let Some(obj) = doc.as_object() else {
        return Err(SbomError::NotCycloneDx(
            "the top level is not a JSON object".into(),
        ));
    };
    match obj.get("bomFormat").and_then(Value::as_str) {
        Some("CycloneDX") => {}
        Some(other) => {
            return Err(SbomError::NotCycloneDx(format!(
                "bomFormat is {:?}, expected \"CycloneDX\"",
                shorten(other)
            )));
        }
        None if obj.contains_key("spdxVersion") => {
            let version = obj["spdxVersion"].as_str().unwrap_or_default();
            if !version.starts_with("SPDX-2.") {
                return Err(SbomError::NotCycloneDx(format!(
                    "unsupported spdxVersion {:?} (SPDX 2.x JSON is read)",
                    shorten(version)
                )));
            }
            let converted = crate::spdx_read::as_cyclonedx(&doc);
            let bytes = serde_json::to_vec(&converted)?;
            return read_inventory(&bytes);
        }
        None => return Err(SbomError::NotCycloneDx("no \"bomFormat\" field".into())),
    }
    if let Some(spec) = obj.get("specVersion").and_then(Value::as_str)
        && !spec.starts_with("1.")
    {
        return Err(SbomError::NotCycloneDx(format!(
            "unsupported specVersion {:?}",
            shorten(spec)
        )));
    }

    let mut out = SbomInventory::default();
    let subject = &doc["metadata"]["component"];
    let subject_props = properties(subject);
    out.image_id = first(&subject_props, "aquasecurity:trivy:ImageID")
        .map(str::to_string)
        .or_else(|| {
            subject["version"]
                .as_str()
                .filter(|v| v.starts_with("sha256:"))
                .map(str::to_string)
        });
    let all = |n: &str| -> Vec<String> {
        subject_props
            .get(n)
            .map(|v| v.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    };
    out.diff_ids = all("aquasecurity:trivy:DiffID");
    out.repo_tags = all("aquasecurity:trivy:RepoTag");
    out.repo_digests = all("aquasecurity:trivy:RepoDigest");

    let mut comps = Vec::new();
    walk(&doc["components"], &mut comps);
    let parents = application_parents(&doc, &comps);
    let mut os: Option<OsInfo> = None;
    let mut distro_os: Option<OsInfo> = None;
    for c in comps {
        let label = c["name"]
            .as_str()
            .or_else(|| c["bom-ref"].as_str())
            .map(shorten)
            .unwrap_or_default();
        let props = properties(c);
        if c["type"].as_str() == Some("operating-system") {
            if os.is_none()
                && let (Some(f), Some(v)) = (
                    c["name"].as_str().and_then(family),
                    c["version"].as_str().filter(|v| !v.is_empty()),
                )
            {
                os = Some(os_info(f, v, first(&props, "palisade:EolDate")));
            }
            continue;
        }
        let Some(purl_text) = c["purl"].as_str() else {
            // Application components (a lockfile, a binary) only group packages.
            if c["type"].as_str() != Some("application") {
                out.skipped += 1;
            }
            continue;
        };
        let purl = Purl::parse(purl_text).map_err(|source| SbomError::Purl {
            component: label.clone(),
            purl: shorten(purl_text),
            source,
        })?;
        let Some((kind, format)) =
            PackageType::of_os_purl_type(&purl.ty).and_then(|k| Some((k, k.os_format()?)))
        else {
            match lang_package(c, &purl, &props, &parents) {
                Some(p) => out.inventory.packages.push(p),
                None => out.skipped += 1,
            };
            continue;
        };
        let version = purl
            .deb_version()
            .or_else(|| c["version"].as_str().map(str::to_string))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| SbomError::Component {
                component: label.clone(),
                reason: format!(
                    "the {} purl {:?} has no version",
                    purl.ty,
                    shorten(purl_text)
                ),
            })?;
        if distro_os.is_none()
            && let Some(d) = purl.qualifiers.get("distro")
        {
            distro_os = match d.rsplit_once('-').and_then(|(f, v)| Some((family(f)?, v))) {
                Some((f, v)) => Some(os_info(f, v, None)),
                // apk purls carry the bare version; the namespace names the family.
                None => purl
                    .namespace
                    .first()
                    .and_then(|n| family(n))
                    .map(|f| os_info(f, d, None)),
            };
        }
        let source_name = first(&props, "palisade:SrcName")
            .or_else(|| first(&props, "aquasecurity:trivy:SrcName"))
            .unwrap_or(&purl.name)
            .to_string();
        let source_version = first(&props, "palisade:SrcVersion")
            .map(str::to_string)
            .or_else(|| trivy_source_version(&props))
            .unwrap_or_else(|| version.clone());
        out.inventory.packages.push(Package {
            name: purl.name.clone(),
            version,
            arch: purl.qualifiers.get("arch").cloned().unwrap_or_default(),
            source_name,
            source_version,
            ecosystem: Ecosystem::DEBIAN,
            kind,
            path: first(&props, "palisade:DbPath")
                .unwrap_or(format.default_path())
                .to_string(),
            modularity_label: first(&props, "aquasecurity:trivy:Modularitylabel")
                .or_else(|| purl.qualifiers.get("modularitylabel").map(String::as_str))
                .unwrap_or_default()
                .to_string(),
        });
    }
    out.inventory.os = os.or(distro_os);
    // Distribution packages are matched in the OS's ecosystem; without a known OS they keep
    // Debian's, which the matcher then skips for want of a release.
    let os_ecosystem = out
        .inventory
        .os
        .as_ref()
        .and_then(OsInfo::package_ecosystem)
        .unwrap_or(Ecosystem::DEBIAN);
    for p in &mut out.inventory.packages {
        if p.kind.class() == Class::OsPkgs {
            p.ecosystem = os_ecosystem;
        }
    }
    // The inventory's order: distribution packages sorted, then language packages by type,
    // file and name, as the image analysis produces them.
    out.inventory.packages.sort_by(|a, b| {
        (
            a.kind.class(),
            a.kind,
            &a.path,
            &a.name,
            &a.version,
            &a.arch,
        )
            .cmp(&(
                b.kind.class(),
                b.kind,
                &b.path,
                &b.name,
                &b.version,
                &b.arch,
            ))
    });
    out.inventory.packages.dedup();
    Ok(out)
}

/// bom-ref of a component → name of the `application` component that depends on it: the
/// lockfile or binary a language package came from, for BOMs that do not name the file on the
/// package itself.
fn application_parents<'a>(doc: &'a Value, comps: &[&'a Value]) -> BTreeMap<&'a str, &'a str> {
    let apps: BTreeMap<&str, &str> = comps
        .iter()
        .filter(|c| c["type"].as_str() == Some("application"))
        .filter_map(|c| Some((c["bom-ref"].as_str()?, c["name"].as_str()?)))
        .collect();
    let mut out = BTreeMap::new();
    for d in doc["dependencies"].as_array().into_iter().flatten() {
        let Some(name) = d["ref"].as_str().and_then(|r| apps.get(r)) else {
            continue;
        };
        for child in d["dependsOn"].as_array().into_iter().flatten() {
            if let Some(c) = child.as_str() {
                out.entry(c).or_insert(*name);
            }
        }
    }
    out
}

/// A language package from a component whose purl type is a language ecosystem's (table
/// lookup); `None` for purl types Palisade has no ecosystem for.
fn lang_package(
    c: &Value,
    purl: &Purl,
    props: &BTreeMap<&str, Vec<&str>>,
    parents: &BTreeMap<&str, &str>,
) -> Option<Package> {
    let row = palisade_ecosystem::ALL
        .iter()
        .find(|r| r.purl_type == purl.ty && r.class == Class::LangPkgs)?;
    let ecosystem = Ecosystem::of(row);
    let version = purl
        .version
        .clone()
        .or_else(|| c["version"].as_str().map(str::to_string))
        .filter(|v| !v.is_empty())?;
    let mut name = ecosystem.name_from_purl(&purl.namespace, &purl.name);
    // PyPI purls carry the normalised name; the component keeps the spelling as installed.
    if let Some(n) = c["name"].as_str()
        && !n.is_empty()
        && ecosystem.normalize_name(n) == ecosystem.normalize_name(&name)
    {
        name = n.to_string();
    }
    let kind = first(props, "aquasecurity:trivy:PkgType")
        .and_then(PackageType::from_name)
        .filter(|k| k.row().ecosystem == Some(ecosystem))
        .or_else(|| {
            palisade_ecosystem::types::ALL_TYPES
                .iter()
                .find(|t| t.ecosystem == Some(ecosystem))
                .map(|t| PackageType::of(t))
        })?;
    let path = first(props, "aquasecurity:trivy:FilePath")
        .or_else(|| first(props, "palisade:Path"))
        .or_else(|| c["bom-ref"].as_str().and_then(|r| parents.get(r).copied()))
        .unwrap_or_default();
    let mut pkg = Package::lang(kind, &name, &version, path);
    pkg.ecosystem = ecosystem;
    Some(pkg)
}

fn os_info(family: OsFamily, version: &str, eol: Option<&str>) -> OsInfo {
    OsInfo {
        family,
        version: version.to_string(),
        pretty_name: None,
        distroless: false,
        eol_date: eol.map(str::to_string),
    }
}

/// Reassembles `epoch:upstream-release` from Trivy's three source-version properties.
fn trivy_source_version(props: &BTreeMap<&str, Vec<&str>>) -> Option<String> {
    let upstream = first(props, "aquasecurity:trivy:SrcVersion")?;
    let mut v = String::new();
    if let Some(e) = first(props, "aquasecurity:trivy:SrcEpoch").filter(|e| *e != "0") {
        v.push_str(e);
        v.push(':');
    }
    v.push_str(upstream);
    if let Some(r) = first(props, "aquasecurity:trivy:SrcRelease") {
        v.push('-');
        v.push_str(r);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::fixtures;

    fn input<'a>(r: &'a crate::Report, i: &'a Inventory) -> DocumentInput<'a> {
        DocumentInput {
            report: r,
            inventory: i,
            tool_version: "0.1.0",
            information_uri: None,
        }
    }

    #[test]
    fn structure() {
        let (r, i) = (
            fixtures::report("2025-01-02T03:04:05Z"),
            fixtures::inventory(),
        );
        let text = to_cyclonedx(&input(&r, &i)).unwrap();
        let bom: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], "1.6");
        assert_eq!(bom["version"], 1);
        assert!(
            bom["serialNumber"]
                .as_str()
                .unwrap()
                .starts_with("urn:uuid:")
        );
        assert_eq!(bom["metadata"]["timestamp"], "2025-01-02T03:04:05Z");
        assert_eq!(
            bom["metadata"]["tools"]["components"][0]["name"],
            "palisade"
        );
        let image = &bom["metadata"]["component"];
        assert_eq!(image["type"], "container");
        assert_eq!(image["version"], "sha256:1111");
        assert_eq!(
            image["purl"],
            "pkg:oci/app@sha256%3A3333?arch=amd64&repository_url=registry.example%2Fteam%2Fapp"
        );
        let comps = bom["components"].as_array().unwrap();
        assert_eq!(comps.len(), 5);
        assert_eq!(comps[0]["type"], "operating-system");
        assert_eq!(comps[0]["name"], "debian");
        assert_eq!(comps[0]["version"], "12.7");
        let names: Vec<&str> = comps[1..]
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["bsdutils", "libc-bin", "libc6", "libstdc++6"]);
        let bsd = &comps[1];
        assert_eq!(
            bsd["purl"],
            "pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&distro=debian-12.7&epoch=1"
        );
        assert_eq!(bsd["bom-ref"], bsd["purl"]);
        assert_eq!(bsd["version"], "1:2.38.1-5+b1");
        let props = properties(bsd);
        assert_eq!(props["palisade:SrcName"], ["util-linux"]);
        assert_eq!(props["palisade:SrcVersion"], ["2.38.1-5"]);
        assert_eq!(props["aquasecurity:trivy:SrcVersion"], ["2.38.1"]);
        assert_eq!(props["aquasecurity:trivy:SrcRelease"], ["5"]);
        assert_eq!(props["aquasecurity:trivy:PkgType"], ["debian"]);
        // Dependencies: image → OS → every package.
        let deps = bom["dependencies"].as_array().unwrap();
        assert_eq!(deps[0]["dependsOn"][0], comps[0]["bom-ref"]);
        assert_eq!(deps[1]["dependsOn"].as_array().unwrap().len(), 4);
        // One vulnerability per id, affecting both glibc binaries.
        let vulns = bom["vulnerabilities"].as_array().unwrap();
        let ids: Vec<&str> = vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["CVE-2023-4911", "CVE-2024-28085"]);
        let glibc = &vulns[0];
        assert_eq!(glibc["affects"].as_array().unwrap().len(), 2);
        assert_eq!(glibc["ratings"][0]["severity"], "high");
        assert_eq!(glibc["ratings"][0]["score"], 7.8);
        assert_eq!(glibc["ratings"][0]["method"], "CVSSv31");
        assert_eq!(glibc["affects"][0]["versions"][1]["status"], "unaffected");
        assert_eq!(vulns[1]["ratings"][0]["severity"], "unknown");
        assert!(vulns[1].get("recommendation").is_none());
        // Every affects ref names a component.
        let refs: BTreeSet<&str> = comps
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        for v in vulns {
            for a in v["affects"].as_array().unwrap() {
                assert!(refs.contains(a["ref"].as_str().unwrap()), "{a}");
            }
        }
    }

    #[test]
    fn deterministic() {
        let i = fixtures::inventory();
        let a = to_cyclonedx(&input(&fixtures::report("2025-01-02T03:04:05Z"), &i)).unwrap();
        let b = to_cyclonedx(&input(&fixtures::report("2025-01-02T03:04:05Z"), &i)).unwrap();
        assert_eq!(a, b);
        // A later scan differs only in the timestamp.
        let c = to_cyclonedx(&input(&fixtures::report("2026-06-07T08:09:10Z"), &i)).unwrap();
        assert_eq!(a.replace("2025-01-02T03:04:05Z", "2026-06-07T08:09:10Z"), c);
        // Different content, different serial number.
        let mut r = fixtures::report("2025-01-02T03:04:05Z");
        r.results[0].vulnerabilities.pop();
        let d = to_cyclonedx(&input(&r, &i)).unwrap();
        let serial = |s: &str| serde_json::from_str::<Value>(s).unwrap()["serialNumber"].clone();
        assert_ne!(serial(&a), serial(&d));
    }

    #[test]
    fn round_trip() {
        let (r, i) = (
            fixtures::report("2025-01-02T03:04:05Z"),
            fixtures::inventory(),
        );
        let text = to_cyclonedx(&input(&r, &i)).unwrap();
        let back = read_inventory(text.as_bytes()).unwrap();
        assert_eq!(back.inventory, i);
        assert_eq!(back.image_id.as_deref(), Some("sha256:1111"));
        assert_eq!(back.diff_ids, ["sha256:2222"]);
        assert_eq!(back.skipped, 0);
    }

    #[test]
    fn language_packages_round_trip_with_type_and_file() {
        use palisade_inventory::package_types as t;
        let mut i = fixtures::inventory();
        let lang = [
            (
                &t::PYTHON_PKG,
                "Django",
                "3.2.0",
                "usr/lib/python3/site-packages/Django-3.2.0.dist-info/METADATA",
            ),
            (&t::NPM, "@types/node", "20.1.0", "app/package-lock.json"),
            (&t::NPM, "lodash", "4.17.15", "app/package-lock.json"),
            (
                &t::NODE_PKG,
                "lodash",
                "4.17.15",
                "app/node_modules/lodash/package.json",
            ),
            (
                &t::GOBINARY,
                "golang.org/x/text",
                "v0.3.7",
                "usr/local/bin/app",
            ),
            (&t::GOBINARY, "stdlib", "1.19.8", "usr/local/bin/app"),
            (&t::CARGO, "regex", "1.5.4", "opt/rust/Cargo.lock"),
        ];
        for (row, n, v, path) in lang {
            i.packages
                .push(Package::lang(PackageType::of(row), n, v, path));
        }
        let r = fixtures::report("2025-01-02T03:04:05Z");
        let text = to_cyclonedx(&input(&r, &i)).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let purls: Vec<&str> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str())
            .collect();
        for want in [
            "pkg:pypi/django@3.2.0",
            "pkg:npm/%40types/node@20.1.0",
            "pkg:golang/golang.org/x/text@v0.3.7",
            "pkg:cargo/regex@1.5.4",
        ] {
            assert!(purls.contains(&want), "{want} not in {purls:?}");
        }
        let apps = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "application")
            .count();
        assert_eq!(
            apps, 5,
            "Python, Node.js, the lockfile, the binary, Cargo.lock"
        );
        let back = read_inventory(text.as_bytes()).unwrap();
        assert_eq!(back.skipped, 0);
        let mut want = i.packages.clone();
        let mut got = back.inventory.packages.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want);
        // The SPDX document of the same scan reads back to the same inventory.
        let spdx = crate::to_spdx(&input(&r, &i)).unwrap();
        let back = read_inventory(spdx.as_bytes()).unwrap();
        let mut got = back.inventory.packages.clone();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(
            back.inventory.os,
            i.os.clone().map(|mut o| {
                o.eol_date = None;
                o.pretty_name = None;
                o
            })
        );
    }

    #[test]
    fn reads_trivy_style_and_nested_components() {
        let bom = json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [
                { "type": "library", "name": "app", "purl": "pkg:npm/app@1.0.0",
                  "components": [
                    { "type": "library", "name": "libgmp10",
                      "purl": "pkg:deb/debian/libgmp10@6.2.1%2Bdfsg1-1.1?arch=amd64&distro=debian-12.4&epoch=2",
                      "properties": [
                        { "name": "aquasecurity:trivy:SrcName", "value": "gmp" },
                        { "name": "aquasecurity:trivy:SrcEpoch", "value": "2" },
                        { "name": "aquasecurity:trivy:SrcVersion", "value": "6.2.1+dfsg1" },
                        { "name": "aquasecurity:trivy:SrcRelease", "value": "1.1" } ] } ] },
                { "type": "library", "name": "zlib1g", "version": "1:1.2.13.dfsg-1",
                  "purl": "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?distro=debian-12.4&epoch=1" },
                { "type": "file", "name": "README" }
            ]
        });
        let inv = read_inventory(bom.to_string().as_bytes()).unwrap();
        let os = inv.inventory.os.as_ref().unwrap();
        assert_eq!((os.family, os.version.as_str()), (OsFamily::Debian, "12.4"));
        // The file has no purl; the npm package is a language package of the default npm type.
        assert_eq!(inv.skipped, 1);
        let p = &inv.inventory.packages;
        assert_eq!(p.len(), 3);
        assert_eq!(
            (
                p[2].name.as_str(),
                p[2].kind.name(),
                p[2].ecosystem.osv_name()
            ),
            ("app", "node-pkg", "npm")
        );
        assert_eq!(
            (
                p[0].name.as_str(),
                p[0].version.as_str(),
                p[0].source_name.as_str(),
                p[0].source_version.as_str()
            ),
            ("libgmp10", "2:6.2.1+dfsg1-1.1", "gmp", "2:6.2.1+dfsg1-1.1")
        );
        assert_eq!(
            (
                p[1].source_name.as_str(),
                p[1].source_version.as_str(),
                p[1].arch.as_str()
            ),
            ("zlib1g", "1:1.2.13.dfsg-1", "")
        );
    }

    #[test]
    fn bad_input() {
        let err = |s: &str| read_inventory(s.as_bytes()).unwrap_err().to_string();
        assert!(err("{").starts_with("not valid JSON"), "{}", err("{"));
        assert!(err("[]").contains("not a JSON object"));
        assert!(err(r#"{"spdxVersion":"SPDX-3.0"}"#).contains("SPDX-3.0"));
        // An SPDX 2 document without packages is read, and is empty.
        let empty = read_inventory(br#"{"spdxVersion":"SPDX-2.3"}"#).unwrap();
        assert!(empty.inventory.packages.is_empty());
        assert!(err(r#"{"bomFormat":"Other"}"#).contains("\"Other\""));
        assert!(err(r#"{"bomFormat":"CycloneDX","specVersion":"2.0"}"#).contains("specVersion"));
        let e = err(
            r#"{"bomFormat":"CycloneDX","components":[{"type":"library","name":"x","purl":"pkg:deb/debian/x@1%zz"}]}"#,
        );
        assert!(e.contains("\"x\"") && e.contains("malformed purl"), "{e}");
        let e = err(
            r#"{"bomFormat":"CycloneDX","components":[{"type":"library","name":"x","purl":"pkg:deb/debian/x"}]}"#,
        );
        assert!(e.contains("no version"), "{e}");
    }
}
