//! `packages.lock.json`: NuGet's lock file (`RestorePackagesWithLockFile`), one section per
//! target framework, and per runtime identifier when the project names any.
//!
//! ```json
//! {
//!   "version": 1,
//!   "dependencies": {
//!     "net8.0": {
//!       "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.3, )", "resolved": "13.0.3",
//!                           "contentHash": "…"},
//!       "System.Text.Json": {"type": "Transitive", "resolved": "8.0.4", "contentHash": "…"},
//!       "mylib": {"type": "Project", "dependencies": {"Newtonsoft.Json": "[13.0.3, )"}}
//!     },
//!     "net8.0/linux-x64": { … }
//!   }
//! }
//! ```
//!
//! Version 2 (Central Package Management) adds the type `CentralTransitive`; the shape is the
//! same. Which entries are listed is described in the parent module.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Found;

/// The parts of the lock file that name packages.
#[derive(Deserialize)]
struct LockFile {
    /// Target framework (optionally `/rid`) → its packages.
    #[serde(default)]
    dependencies: Option<BTreeMap<String, Option<Framework>>>,
}

/// One framework's packages: id → entry (`null` entries are `None`).
type Framework = BTreeMap<String, Option<Locked>>;

#[derive(Deserialize)]
struct Locked {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    resolved: Option<String>,
}

/// The entry type of a project reference: another project of the solution, not a package.
const PROJECT: &str = "Project";

/// Reads a lock file into `found`; the error says why the file cannot be used.
pub(super) fn parse(data: &[u8], found: &mut Found) -> Result<(), String> {
    if !super::is_json_object(data) {
        return Err("not a valid NuGet packages.lock.json: not a JSON object".into());
    }
    let lock: LockFile = serde_json::from_slice(data)
        .map_err(|e| format!("not a valid NuGet packages.lock.json: {e}"))?;
    let frameworks = lock.dependencies.iter().flatten();
    for (id, entry) in frameworks.flat_map(|(_, packages)| packages.iter().flatten()) {
        let Some(entry) = entry else { continue };
        if entry.kind.as_deref() == Some(PROJECT) {
            continue;
        }
        if let Some(version) = &entry.resolved {
            found.add(id, version)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(json: &str) -> Vec<(String, String)> {
        let mut found = Found::default();
        parse(json.as_bytes(), &mut found).unwrap_or_else(|e| panic!("{e}\n{json}"));
        found.pairs()
    }

    fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// The shapes observed with Trivy 0.76 (see the parent module).
    #[test]
    fn every_framework_every_type_but_projects() {
        let json = r#"{
  "version": 2,
  "dependencies": {
    "net6.0": {
      "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.1, )", "resolved": "13.0.1", "contentHash": "ppPF"},
      "Microsoft.SourceLink.GitHub": {"type": "Direct", "requested": "[8.0.0, )", "resolved": "8.0.0", "contentHash": "G5q7",
        "dependencies": {"Microsoft.Build.Tasks.Git": "8.0.0"}},
      "Microsoft.Build.Tasks.Git": {"type": "Transitive", "resolved": "8.0.0", "contentHash": "bZKf"},
      "System.Text.Json": {"type": "CentralTransitive", "requested": "[8.0.4, )", "resolved": "8.0.4", "contentHash": "bAkh"},
      "mylib": {"type": "Project", "dependencies": {"Newtonsoft.Json": "[13.0.1, )"}},
      "projtype": {"type": "project", "resolved": "1.0.0"},
      "NoType": {"resolved": "1.0.0"},
      "Unknown": {"type": "Weird", "resolved": "1.0.0"},
      "NoResolved": {"type": "Direct", "requested": "[1.0.0, )"},
      "Four": {"type": "Transitive", "resolved": "1.2.3.4"},
      "lowercase": {"type": "Transitive", "resolved": "1.0.0"},
      "LowerCase": {"type": "Transitive", "resolved": "1.0.0"},
      "Null": null
    },
    "net8.0": {
      "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.3, )", "resolved": "13.0.3", "contentHash": "HrC5"},
      "Microsoft.Build.Tasks.Git": {"type": "Transitive", "resolved": "8.0.0", "contentHash": "bZKf"}
    },
    "net8.0/linux-x64": {
      "runtime.linux-x64.Microsoft.NETCore.ILAsm": {"type": "Transitive", "resolved": "8.0.0", "contentHash": "AAAA"},
      "Newtonsoft.Json": {"type": "Direct", "requested": "[13.0.3, )", "resolved": "13.0.3", "contentHash": "HrC5"}
    },
    "net9.0": null
  }
}"#;
        assert_eq!(
            pairs(json),
            owned(&[
                ("Four", "1.2.3.4"),
                ("LowerCase", "1.0.0"),
                ("Microsoft.Build.Tasks.Git", "8.0.0"),
                ("Microsoft.SourceLink.GitHub", "8.0.0"),
                ("Newtonsoft.Json", "13.0.1"),
                ("Newtonsoft.Json", "13.0.3"),
                ("NoType", "1.0.0"),
                ("System.Text.Json", "8.0.4"),
                ("Unknown", "1.0.0"),
                ("lowercase", "1.0.0"),
                ("projtype", "1.0.0"),
                ("runtime.linux-x64.Microsoft.NETCore.ILAsm", "8.0.0"),
            ])
        );
        assert!(pairs(r#"{"version": 1, "dependencies": {}}"#).is_empty());
        assert!(pairs(r#"{"version": 1}"#).is_empty());
    }

    #[test]
    fn malformed_lock_files_say_why() {
        for json in [
            "",
            "{",
            "[]",
            "[{}]",
            r#"{"dependencies": []}"#,
            r#"{"dependencies": {"net8.0": []}}"#,
            r#"{"dependencies": {"net8.0": {"A": {"resolved": 1}}}}"#,
            r#"{"dependencies": {"net8.0": {"A": {"type": ["Direct"]}}}}"#,
        ] {
            let mut found = Found::default();
            let err = parse(json.as_bytes(), &mut found).expect_err(json);
            assert!(
                err.starts_with("not a valid NuGet packages.lock.json"),
                "{json}: {err}"
            );
        }
    }
}
