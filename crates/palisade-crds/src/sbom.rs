//! SbomReport and ClusterSbomReport: the package inventory of an image as a CycloneDX BOM (spec §1.3).
//!
//! The BOM types cover exactly the CycloneDX subset the anchor's CRD declares. Palisade also reads
//! inventories back from these reports after a restart, so every BOM field is lenient on input.

// Each `printcolumn(...)` in `#[kube(...)]` repeats the same keys (name, type_, …) by design;
// clippy's duplicated-attribute lint mistakes them for duplicates.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Artifact, Registry, Scanner, date_time_schema, is_zero};

/// Everything an SBOM report says about one container image.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SbomReportData {
    /// When the operator built this report.
    #[schemars(schema_with = "date_time_schema")]
    pub update_timestamp: Time,
    /// The scanner.
    pub scanner: Scanner,
    /// Registry host; always written.
    #[serde(default)]
    pub registry: Registry,
    /// Repository, tag and digest of the image.
    pub artifact: Artifact,
    /// Component and dependency counts (see [`SbomSummary::of`]).
    pub summary: SbomSummary,
    /// The bill of materials.
    pub components: Bom,
}

/// Sizes of the BOM (`report.summary`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SbomSummary {
    /// Number of components, counting the metadata root component as the anchor does.
    pub components_count: u64,
    /// Number of dependency entries.
    pub dependencies_count: u64,
}

impl SbomSummary {
    /// The anchor's counts: `components + 1` (the image itself, `metadata.component`) and the
    /// length of `dependencies`.
    pub fn of(bom: &Bom) -> Self {
        SbomSummary {
            components_count: bom.components.len() as u64 + 1,
            dependencies_count: bom.dependencies.len() as u64,
        }
    }
}

/// A CycloneDX BOM (`report.components`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    /// Always `CycloneDX`.
    pub bom_format: String,
    /// CycloneDX version, e.g. `1.6`.
    pub spec_version: String,
    /// `urn:uuid:…`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serial_number: String,
    /// BOM revision.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: u64,
    /// Timestamp, tool and the described image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BomMetadata>,
    /// Packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Dependency graph.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
}

/// `metadata` of a BOM.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct BomMetadata {
    /// When the BOM was made (RFC 3339).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timestamp: String,
    /// The tools that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<BomTools>,
    /// The component the BOM describes (the image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
}

/// `metadata.tools` of a BOM.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct BomTools {
    /// The tools, as components.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

/// A CycloneDX component: a package, an OS, or the image itself.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Component {
    /// Identifier that `dependencies` refer to.
    #[serde(rename = "bom-ref", default, skip_serializing_if = "String::is_empty")]
    pub bom_ref: String,
    /// `library`, `operating-system`, `container`, `application`, …
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub type_: String,
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Group (namespace), e.g. a Maven group.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Package URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purl: String,
    /// Supplier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<Supplier>,
    /// Digests of the component.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// Licenses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<LicenseChoice>,
    /// Name/value properties (e.g. `aquasecurity:trivy:PkgType`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

/// Supplier of a component.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Supplier {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub url: Vec<String>,
    /// Contacts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<Contact>,
}

/// A supplier contact.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Contact {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// E-mail.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Phone.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
}

/// A digest of a component.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Hash {
    /// Algorithm, e.g. `SHA-256`.
    #[serde(default)]
    pub alg: String,
    /// Hex digest.
    #[serde(default)]
    pub content: String,
}

/// A license, by identifier/name or as an SPDX expression.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct LicenseChoice {
    /// A single license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<License>,
    /// An SPDX license expression.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expression: String,
}

/// A single license.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct License {
    /// SPDX identifier.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Free-text name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// URL of the license text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

/// A name/value pair on a component.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Property {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Value.
    #[serde(default)]
    pub value: String,
}

/// The components one component depends on.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// `bom-ref` of the dependent component.
    #[serde(rename = "ref", default)]
    pub ref_: String,
    /// `bom-ref`s it depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// Package inventory of the image of one workload container.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "SbomReport",
    plural = "sbomreports",
    singular = "sbomreport",
    shortname = "sbom",
    shortname = "sboms",
    namespaced,
    no_spec,
    doc = "Software bill of materials of the image of one workload container.",
    printcolumn(
        name = "Repository",
        type_ = "string",
        json_path = ".report.artifact.repository",
        description = "Image repository"
    ),
    printcolumn(
        name = "Tag",
        type_ = "string",
        json_path = ".report.artifact.tag",
        description = "Image tag"
    ),
    printcolumn(
        name = "Scanner",
        type_ = "string",
        json_path = ".report.scanner.name",
        description = "Scanner that produced the report"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Age of the report"
    ),
    printcolumn(
        name = "Components",
        type_ = "integer",
        json_path = ".report.summary.componentsCount",
        priority = 1,
        description = "Number of components"
    ),
    printcolumn(
        name = "Dependencies",
        type_ = "integer",
        json_path = ".report.summary.dependenciesCount",
        priority = 1,
        description = "Number of dependency entries"
    )
)]
pub struct SbomReportBody {
    /// The report proper.
    pub report: SbomReportData,
}

/// Package inventory of an image, cluster-wide (the anchor's image-level SBOM cache and the
/// cluster's own SBOM).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "aquasecurity.github.io",
    version = "v1alpha1",
    kind = "ClusterSbomReport",
    plural = "clustersbomreports",
    singular = "clustersbomreport",
    shortname = "clustersbom",
    no_spec,
    doc = "Software bill of materials of an image or of the cluster, cluster-wide.",
    printcolumn(
        name = "Repository",
        type_ = "string",
        json_path = ".report.artifact.repository",
        description = "Image repository"
    ),
    printcolumn(
        name = "Tag",
        type_ = "string",
        json_path = ".report.artifact.tag",
        description = "Image tag"
    ),
    printcolumn(
        name = "Scanner",
        type_ = "string",
        json_path = ".report.scanner.name",
        description = "Scanner that produced the report"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Age of the report"
    ),
    printcolumn(
        name = "Components",
        type_ = "integer",
        json_path = ".report.summary.componentsCount",
        priority = 1,
        description = "Number of components"
    ),
    printcolumn(
        name = "Dependencies",
        type_ = "integer",
        json_path = ".report.summary.dependenciesCount",
        priority = 1,
        description = "Number of dependency entries"
    )
)]
pub struct ClusterSbomReportBody {
    /// The report proper.
    pub report: SbomReportData,
}
