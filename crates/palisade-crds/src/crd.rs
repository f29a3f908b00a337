//! Turning the derived CRDs into the anchor's exact shape.
//!
//! kube's derive produces almost everything; what it cannot express is fixed here, in one place:
//!
//! * `listKind` is written explicitly (the anchor's YAML has it; Kubernetes would default it).
//! * Report kinds get `subresources: {}` like the anchor (no status subresource).
//! * The root schema gets `apiVersion`, `kind` and `metadata` properties and, on most kinds,
//!   `x-kubernetes-preserve-unknown-fields: true` (spec §1.1 lists the two kinds without it).
//! * `spec` is not required on ClusterComplianceReport, as upstream.
//! * schemars output that would change API-server behaviour is removed: `default` (the server
//!   would fill in defaults the anchor never declared), `nullable` (we never write nulls), `title`;
//!   and Rust's unsigned integer formats become Kubernetes' `int64`/`int32`.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceSubresources, JSONSchemaProps, JSONSchemaPropsOrArray,
    JSONSchemaPropsOrBool,
};

/// Applies the fixes described in the module documentation.
pub(crate) fn finish(
    mut crd: CustomResourceDefinition,
    preserve_unknown_root: bool,
) -> CustomResourceDefinition {
    crd.spec.names.list_kind = Some(format!("{}List", crd.spec.names.kind));
    for version in &mut crd.spec.versions {
        if version.subresources.is_none() {
            version.subresources = Some(CustomResourceSubresources::default());
        }
        let Some(root) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        else {
            continue;
        };
        normalize(root);
        let properties = root.properties.get_or_insert_with(Default::default);
        for key in ["apiVersion", "kind"] {
            properties.insert(key.to_owned(), typed("string"));
        }
        properties.insert("metadata".to_owned(), typed("object"));
        if let Some(required) = root.required.as_mut() {
            required.retain(|r| r != "spec");
            if required.is_empty() {
                root.required = None;
            }
        }
        root.x_kubernetes_preserve_unknown_fields = preserve_unknown_root.then_some(true);
    }
    crd
}

fn typed(type_: &str) -> JSONSchemaProps {
    JSONSchemaProps {
        type_: Some(type_.to_owned()),
        ..Default::default()
    }
}

/// Recursively strips schemars-only keywords and maps integer formats (see module docs).
fn normalize(schema: &mut JSONSchemaProps) {
    schema.default = None;
    schema.nullable = None;
    schema.title = None;
    if let Some(format) = schema.format.as_deref() {
        let mapped = match format {
            "uint64" | "uint" => Some("int64"),
            "uint32" | "uint16" | "uint8" | "int16" | "int8" => Some("int32"),
            _ => None,
        };
        if let Some(mapped) = mapped {
            schema.format = Some(mapped.to_owned());
        }
    }
    for child in schema.properties.iter_mut().flat_map(|p| p.values_mut()) {
        normalize(child);
    }
    match schema.items.as_mut() {
        Some(JSONSchemaPropsOrArray::Schema(item)) => normalize(item),
        Some(JSONSchemaPropsOrArray::Schemas(items)) => items.iter_mut().for_each(normalize),
        None => {}
    }
    if let Some(JSONSchemaPropsOrBool::Schema(extra)) = schema.additional_properties.as_mut() {
        normalize(extra);
    }
    for list in [&mut schema.all_of, &mut schema.any_of, &mut schema.one_of]
        .into_iter()
        .flatten()
    {
        list.iter_mut().for_each(normalize);
    }
}
