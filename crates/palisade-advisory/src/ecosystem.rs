//! Ecosystem names: how records' ecosystems map to store keys, and which ones we ingest.
//!
//! The store itself is ecosystem-agnostic (keys are plain strings). Which ecosystems exist, and
//! how their package names are spelled, is the ecosystem table's business
//! (`palisade-ecosystem`); this module only applies it.

/// Maps an OSV ecosystem string to the key the store and the matcher use.
///
/// OSV's Ubuntu records carry a trailing support qualifier (`Ubuntu:22.04:LTS`), while an image
/// only tells us `Ubuntu:22.04`; dropping `:LTS` lets both meet. Ubuntu Pro streams
/// (`Ubuntu:Pro:...`) are different package sets from the public archive, so they are kept
/// verbatim and never collide with the plain release key. Red Hat's product streams meet at
/// their major release (below). Everything else is only trimmed.
pub fn normalize_ecosystem(ecosystem: &str) -> String {
    let eco = ecosystem.trim();
    // Red Hat's records scope a package to a product stream named by its CPE
    // (`Red Hat:enterprise_linux:9::appstream`, `…:8::baseos`); a RHEL/UBI image is one major
    // release, and every stream of it is installable there, so all of them meet at
    // `Red Hat:9`. Other products (`rhel_eus:8.4`, …) stay apart.
    if let Some(rest) = eco.strip_prefix("Red Hat:enterprise_linux:") {
        let major = rest.split([':', '.']).next().unwrap_or_default();
        if !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) {
            return format!("Red Hat:{major}");
        }
    }
    if let Some(rest) = eco.strip_prefix("Ubuntu:")
        && !rest.starts_with("Pro:")
        && let Some(release) = rest.strip_suffix(":LTS")
    {
        return format!("Ubuntu:{release}");
    }
    eco.to_string()
}

/// Whether records for this (normalised) ecosystem are ingested: every ecosystem of the table,
/// including those whose matching is not implemented yet, so a database built today already
/// serves the analyzers of tomorrow. Language ecosystems have no release suffix; distribution
/// records always name their release.
pub fn is_supported_ecosystem(normalized: &str) -> bool {
    use palisade_ecosystem::Ecosystem;
    match Ecosystem::from_osv(normalized) {
        Some(e) if e.row().per_release => normalized.contains(':') || normalized == "Debian",
        Some(e) => normalized == e.osv_name(),
        None => false,
    }
}

/// A package name as the store keys it: the ecosystem's canonical spelling (PEP 503 for PyPI).
pub fn normalize_package(ecosystem: &str, name: &str) -> String {
    match palisade_ecosystem::Ecosystem::from_osv(ecosystem) {
        Some(e) => e.normalize_name(name),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ubuntu_lts_suffix_is_dropped() {
        assert_eq!(normalize_ecosystem("Ubuntu:22.04:LTS"), "Ubuntu:22.04");
        assert_eq!(normalize_ecosystem("Ubuntu:24.10"), "Ubuntu:24.10");
        assert_eq!(
            normalize_ecosystem("Ubuntu:Pro:18.04:LTS"),
            "Ubuntu:Pro:18.04:LTS"
        );
        assert_eq!(normalize_ecosystem(" Debian:12 "), "Debian:12");
        assert_eq!(
            normalize_ecosystem("Red Hat:enterprise_linux:9::appstream"),
            "Red Hat:9"
        );
        assert_eq!(
            normalize_ecosystem("Red Hat:enterprise_linux:8.10::baseos"),
            "Red Hat:8"
        );
        assert_eq!(
            normalize_ecosystem("Red Hat:rhel_eus:8.4::baseos"),
            "Red Hat:rhel_eus:8.4::baseos"
        );
    }

    #[test]
    fn supported_filter() {
        assert!(is_supported_ecosystem("Debian"));
        assert!(is_supported_ecosystem("Debian:12"));
        assert!(is_supported_ecosystem("Ubuntu:22.04"));
        assert!(is_supported_ecosystem("Ubuntu:Pro:18.04:LTS"));
        assert!(is_supported_ecosystem("npm"));
        assert!(is_supported_ecosystem("PyPI"));
        assert!(is_supported_ecosystem("AlmaLinux:9"));
        assert!(is_supported_ecosystem("Alpine:v3.11"));
        assert!(is_supported_ecosystem("crates.io"));
        assert!(!is_supported_ecosystem("npm:extra"));
        assert!(!is_supported_ecosystem("Hex"));
        assert!(!is_supported_ecosystem("Debianish"));
        assert!(!is_supported_ecosystem(""));
    }
}
