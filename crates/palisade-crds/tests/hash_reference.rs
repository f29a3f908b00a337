//! `compute_hash_*` against the Python reference `../shared/docs/report-name-hash.py`, run now.
//!
//! Skipped (with a `SKIPPED:` line) when the script or `python3` is missing; the fixed vectors in
//! `src/hash.rs` still cover the function then.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use palisade_crds::hash::{compute_hash_object_ref, compute_hash_str};
use serde_json::{Value, json};

/// Inputs: names of the shapes that occur (workload-container pairs, `system:` roles, node names,
/// image references), edge cases (empty, non-ASCII, very long), and a deterministic pseudo-random set.
fn string_inputs() -> Vec<String> {
    let mut inputs: Vec<String> = [
        "",
        "-",
        "nginx-nginx",
        "wordpress-84bbf6f4dd-wordpress",
        "system:controller:persistent-volume-binder",
        "system:node",
        "ip-10-0-0-1.ec2.internal",
        "index.docker.io/nginx:1.16",
        "ghcr.io/org/app:v1.2.3",
        "ümlaut-ñ-日本",
        "tab\there",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    inputs.push("x".repeat(300));
    // xorshift: reproducible without a dependency
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789-.:/_"
        .chars()
        .collect();
    for _ in 0..200 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 90) as usize;
        let s: String = (0..len)
            .map(|i| alphabet[((state >> (i % 50)) as usize + i * 7) % alphabet.len()])
            .collect();
        inputs.push(s);
    }
    inputs
}

fn ref_inputs() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for kind in [
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "CronJob",
        "Job",
        "Pod",
        "ReplicationController",
        "Node",
    ] {
        for ns in ["", "default", "kube-system"] {
            for name in [
                "a",
                "wordpress-84bbf6f4dd",
                "very-long-name-0123456789-0123456789-0123456789-0123456789",
            ] {
                out.push((kind.to_owned(), ns.to_owned(), name.to_owned()));
            }
        }
    }
    out
}

const DRIVER: &str = r#"
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("ref", sys.argv[1])
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
data = json.load(sys.stdin)
json.dump({
    "str": [ref.compute_hash_str(s) for s in data["str"]],
    "ref": [ref.compute_hash_ref(k, ns, n) for k, ns, n in data["ref"]],
}, sys.stdout)
"#;

#[test]
fn matches_python_reference() {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/docs/report-name-hash.py");
    if !script.is_file() {
        println!("SKIPPED: ../shared/docs/report-name-hash.py not present");
        return;
    }
    let child = Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        println!("SKIPPED: python3 not available");
        return;
    };
    let strings = string_inputs();
    let refs = ref_inputs();
    let input = json!({ "str": strings, "ref": refs });
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write to python");
    let output = child.wait_with_output().expect("python3 runs");
    assert!(output.status.success(), "python3 failed: {output:?}");
    let expected: Value = serde_json::from_slice(&output.stdout).expect("python prints JSON");

    let want_str = expected["str"].as_array().expect("str list");
    assert_eq!(want_str.len(), strings.len());
    for (s, want) in strings.iter().zip(want_str) {
        assert_eq!(
            compute_hash_str(s),
            want.as_str().expect("string"),
            "compute_hash_str({s:?})"
        );
    }
    let want_ref = expected["ref"].as_array().expect("ref list");
    assert_eq!(want_ref.len(), refs.len());
    for ((kind, ns, name), want) in refs.iter().zip(want_ref) {
        assert_eq!(
            compute_hash_object_ref(kind, name, ns),
            want.as_str().expect("string"),
            "compute_hash_object_ref({kind}, {name}, {ns})"
        );
    }
}
