//! The anchor's `kube.ComputeHash`, for byte-identical report and job names (spec §2.1).
//!
//! The anchor hashes the go-spew dump of a Go value with 32-bit FNV-1a, prints the hash in decimal
//! and maps every digit through Kubernetes' `SafeEncodeString` alphabet. Only two value shapes
//! matter for names, strings and object references, and their dumps are reproduced here exactly.
//! (The pod-spec hash in the `resource-spec-hash` label is a dump of a whole Go struct and cannot
//! be reproduced; Palisade treats that label as an opaque token of its own.)

/// Kubernetes' `SafeEncodeString` alphabet: no vowels, no look-alike characters.
const SAFE_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// 32-bit FNV-1a over `bytes`.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    const OFFSET_BASIS: u32 = 2_166_136_261;
    const PRIME: u32 = 16_777_619;
    bytes.iter().fold(OFFSET_BASIS, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(PRIME)
    })
}

/// Maps each character to the safe alphabet by its code point modulo 27, as `SafeEncodeString`
/// does. For the decimal digits this gives `0→4 … 9→f`.
fn safe_encode(s: &str) -> String {
    s.chars()
        .map(|c| char::from(SAFE_ALPHABET[(c as usize) % SAFE_ALPHABET.len()]))
        .collect()
}

/// Hash of a go-spew dump, rendered as the anchor renders it.
fn render(dump: &str) -> String {
    safe_encode(&fnv1a32(dump.as_bytes()).to_string())
}

/// `ComputeHash(s)` of a Go string: used for report-name fallbacks, the `name-hash` label and the
/// image-cache ClusterSbomReport names. go-spew dumps a string as `(string)` followed by its bytes,
/// unquoted.
pub fn compute_hash_str(s: &str) -> String {
    render(&format!("(string){s}"))
}

/// `ComputeHash(kube.ObjectRef{Kind, Name, Namespace})`: used in scan Job names. The fields appear in
/// Go declaration order (Kind, Name, Namespace), not sorted.
pub fn compute_hash_object_ref(kind: &str, name: &str, namespace: &str) -> String {
    render(&format!(
        "(kube.ObjectRef){{Kind:(kube.Kind){kind} Name:(string){name} Namespace:(string){namespace}}}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a32_known_values() {
        // Published FNV-1a test vectors.
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn digits_map_as_documented() {
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }

    #[test]
    fn spec_examples() {
        // spec §2.1: `(string)nginx-nginx` and the anchor's fixture job `scan-vulnerabilityreport-5668c4b796`.
        assert_eq!(compute_hash_str("nginx-nginx"), "85bfbf647d");
        assert_eq!(
            compute_hash_object_ref("ReplicaSet", "wordpress-84bbf6f4dd", "default"),
            "5668c4b796"
        );
    }

    #[test]
    fn vectors_from_the_python_reference() {
        // Produced by running ../shared/docs/report-name-hash.py (compute_hash_str / compute_hash_ref).
        assert_eq!(compute_hash_str("index.docker.io/nginx:1.16"), "58f4dd8c4");
        for (input, expected) in FIXED_STR_VECTORS {
            assert_eq!(
                compute_hash_str(input),
                *expected,
                "compute_hash_str({input:?})"
            );
        }
        for ((kind, ns, name), expected) in FIXED_REF_VECTORS {
            assert_eq!(
                compute_hash_object_ref(kind, name, ns),
                *expected,
                "ref {kind}/{ns}/{name}"
            );
        }
    }

    #[test]
    fn output_alphabet_and_length() {
        for input in ["", "a", "system:controller:attachdetach-controller", "ü-ñ"] {
            let h = compute_hash_str(input);
            assert!((1..=10).contains(&h.len()), "{h}");
            assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
        }
    }

    // (input, expected) pairs generated once with the Python reference; see the test above.
    const FIXED_STR_VECTORS: &[(&str, &str)] = &[
        ("", "8857b86c7"),
        ("a", "755d776b9b"),
        ("system:controller:attachdetach-controller", "6b696dd9d5"),
        ("system:kube-scheduler", "8686d64c5"),
        (
            "a-very-long-deployment-name-that-goes-on-and-on-7d9f8b6c5d-sidecar-container",
            "5c4b86cff8",
        ),
        ("ü-ñ", "6985f78969"),
        ("kind-control-plane", "845b67c44"),
    ];
    // ((kind, namespace, name), expected)
    const FIXED_REF_VECTORS: &[((&str, &str, &str), &str)] = &[
        (
            ("Pod", "kube-system", "etcd-kind-control-plane"),
            "7bbdf9cb57",
        ),
        (("DaemonSet", "kube-system", "kube-proxy"), "74b9cf67dd"),
        (("StatefulSet", "", "x"), "8dcd8bff7"),
        (("CronJob", "prod", "backup"), "bc44b5bd5"),
    ];
}
