//! Ecosystem names: how records' ecosystems map to store keys, and which ones we ingest.
//!
//! The store itself is ecosystem-agnostic (keys are plain strings), so widening support later
//! means changing [`is_supported_ecosystem`] only, plus a version scheme in `palisade-version`.

/// Maps an OSV ecosystem string to the key the store and the matcher use.
///
/// OSV's Ubuntu records carry a trailing support qualifier (`Ubuntu:22.04:LTS`), while an image
/// only tells us `Ubuntu:22.04`; dropping `:LTS` lets both meet. Ubuntu Pro streams
/// (`Ubuntu:Pro:...`) are different package sets from the public archive, so they are kept
/// verbatim and never collide with the plain release key. Everything else is only trimmed.
pub fn normalize_ecosystem(ecosystem: &str) -> String {
    let eco = ecosystem.trim();
    if let Some(rest) = eco.strip_prefix("Ubuntu:")
        && !rest.starts_with("Pro:")
        && let Some(release) = rest.strip_suffix(":LTS")
    {
        return format!("Ubuntu:{release}");
    }
    eco.to_string()
}

/// Whether records for this (normalised) ecosystem are ingested by this version of Palisade.
///
/// Only ecosystems that we can both detect in images and compare versions for are accepted;
/// anything else would just make the database bigger without ever matching.
pub fn is_supported_ecosystem(normalized: &str) -> bool {
    normalized == "Debian" || normalized.starts_with("Debian:") || normalized.starts_with("Ubuntu:")
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
    }

    #[test]
    fn supported_filter() {
        assert!(is_supported_ecosystem("Debian"));
        assert!(is_supported_ecosystem("Debian:12"));
        assert!(is_supported_ecosystem("Ubuntu:22.04"));
        assert!(is_supported_ecosystem("Ubuntu:Pro:18.04:LTS"));
        assert!(!is_supported_ecosystem("npm"));
        assert!(!is_supported_ecosystem("AlmaLinux:9"));
        assert!(!is_supported_ecosystem("Debianish"));
        assert!(!is_supported_ecosystem(""));
    }
}
