//! `*.deps.json`: the dependency manifest the .NET SDK writes next to an application's dll
//! (`MyApp.deps.json`), which the host reads to find what to load.
//!
//! ```json
//! {
//!   "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0", "signature": ""},
//!   "targets": {
//!     ".NETCoreApp,Version=v8.0": {
//!       "MyApp/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.1"}, "runtime": {"MyApp.dll": {}}},
//!       "Newtonsoft.Json/13.0.1": {"runtime": {"lib/net6.0/Newtonsoft.Json.dll": {}}}
//!     }
//!   },
//!   "libraries": {
//!     "MyApp/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
//!     "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-…",
//!                                "path": "newtonsoft.json/13.0.1", "hashPath": "…"}
//!   }
//! }
//! ```
//!
//! Which libraries are listed is described in the parent module.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::Found;

/// The parts of the manifest that decide what is listed; everything else is skipped unread.
#[derive(Deserialize)]
struct Manifest {
    #[serde(default, rename = "runtimeTarget")]
    runtime_target: Option<RuntimeTarget>,
    /// Target name → its libraries.
    #[serde(default)]
    targets: Option<BTreeMap<String, Option<Target>>>,
    #[serde(default)]
    libraries: Option<BTreeMap<String, Option<Library>>>,
}

/// One target: library key → its assets (`null` entries are `None`).
type Target = BTreeMap<String, Option<TargetEntry>>;

#[derive(Deserialize)]
struct RuntimeTarget {
    #[serde(default)]
    name: Option<String>,
}

/// What a target says about one library: only whether it has assets loaded at run time.
#[derive(Deserialize)]
struct TargetEntry {
    #[serde(default)]
    runtime: Option<IgnoredAny>,
    #[serde(default)]
    native: Option<IgnoredAny>,
    #[serde(default, rename = "runtimeTargets")]
    runtime_targets: Option<IgnoredAny>,
}

impl TargetEntry {
    /// Whether the host loads anything of the library: a `runtime`, `native` or
    /// `runtimeTargets` object, even an empty one (an absent or `null` one is nothing).
    fn has_assets(&self) -> bool {
        self.runtime.is_some() || self.native.is_some() || self.runtime_targets.is_some()
    }
}

#[derive(Deserialize)]
struct Library {
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// The library types that name something installed with the application.
const LISTED_TYPES: [&str; 3] = ["package", "project", "runtimepack"];

/// The prefix the SDK gives a self-contained application's runtime pack in `libraries`.
const RUNTIME_PACK_PREFIX: &str = "runtimepack.";

/// Reads a manifest into `found`; the error says why the file cannot be used.
pub(super) fn parse(data: &[u8], found: &mut Found) -> Result<(), String> {
    if !super::is_json_object(data) {
        return Err("not a valid .deps.json manifest: not a JSON object".into());
    }
    let manifest: Manifest = serde_json::from_slice(data)
        .map_err(|e| format!("not a valid .deps.json manifest: {e}"))?;
    let runtime_target = manifest
        .runtime_target
        .and_then(|t| t.name)
        .and_then(|name| manifest.targets.as_ref()?.get(&name)?.as_ref());
    for (key, library) in manifest.libraries.iter().flatten() {
        let listed = library
            .as_ref()
            .and_then(|l| l.kind.as_deref())
            .is_some_and(|k| LISTED_TYPES.iter().any(|t| k.eq_ignore_ascii_case(t)));
        if !listed {
            continue;
        }
        let key = key.strip_prefix(RUNTIME_PACK_PREFIX).unwrap_or(key);
        // A key without '/' names no version; Trivy warns and leaves it out too.
        let Some((name, version)) = key.split_once('/') else {
            continue;
        };
        if let Some(entries) = runtime_target
            && let Some(entry) = entries.get(key)
            && !entry.as_ref().is_some_and(TargetEntry::has_assets)
        {
            continue;
        }
        found.add(name, version)?;
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

    /// The shapes observed with Trivy 0.76 (see the parent module): what it listed for this
    /// manifest is exactly the expected list.
    #[test]
    fn runtime_assets_types_and_prefixes_decide() {
        let json = r#"{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": ""},
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v8.0": {
      "NotInRuntimeTarget/1.0.0": {}
    },
    ".NETCoreApp,Version=v8.0/linux-x64": {
      "MyApp/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.1"}, "runtime": {"MyApp.dll": {}}},
      "Newtonsoft.Json/13.0.1": {"runtime": {"lib/net6.0/Newtonsoft.Json.dll": {"assemblyVersion": "13.0.0.0"}}},
      "Microsoft.CodeAnalysis.NetAnalyzers/8.0.0": {},
      "OnlyDeps/1.0.0": {"dependencies": {"X": "1.0.0"}},
      "OnlyCompile/1.0.0": {"compile": {"lib/a.dll": {}}},
      "OnlyResources/1.0.0": {"resources": {"lib/de/a.resources.dll": {"locale": "de"}}},
      "NullEntry/1.0.0": null,
      "NullRuntime/1.0.0": {"runtime": null},
      "EmptyRuntime/1.0.0": {"runtime": {}},
      "Native/1.0.0": {"native": {"runtimes/linux-x64/native/libe_sqlite3.so": {}}},
      "RidSpecific/1.0.0": {"runtimeTargets": {"runtimes/win/lib/a.dll": {"rid": "win", "assetType": "runtime"}}},
      "MyLib/1.0.0": {"dependencies": {"X": "1.0.0"}}
    }
  },
  "libraries": {
    "MyApp/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "newtonsoft.json/13.0.1", "hashPath": "newtonsoft.json.13.0.1.nupkg.sha512"},
    "Microsoft.CodeAnalysis.NetAnalyzers/8.0.0": {"type": "package"},
    "OnlyDeps/1.0.0": {"type": "package"},
    "OnlyCompile/1.0.0": {"type": "package"},
    "OnlyResources/1.0.0": {"type": "package"},
    "NullEntry/1.0.0": {"type": "package"},
    "NullRuntime/1.0.0": {"type": "package"},
    "EmptyRuntime/1.0.0": {"type": "PACKAGE"},
    "Native/1.0.0": {"type": "package"},
    "RidSpecific/1.0.0": {"type": "package"},
    "MyLib/1.0.0": {"type": "project"},
    "NotInRuntimeTarget/1.0.0": {"type": "package"},
    "Only.In.Libraries/1.2.3": {"type": "package"},
    "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"type": "runtimepack", "serviceable": false, "sha512": ""},
    "runtimepack.Prefixed.Package/1.0": {"type": "package"},
    "Proj2/1.0.0": {"type": "Project"},
    "Two/Slashes/1.0": {"type": "package"},
    "NoSlash": {"type": "package"},
    "NoVersion/": {"type": "package"},
    "System.Runtime.Reference/4.0.0.0": {"type": "reference"},
    "RefAsm/1.0.0": {"type": "referenceassembly"},
    "Tasks/1.0.0": {"type": "msbuild"},
    "Untyped/1.0.0": {},
    "NullLibrary/1.0.0": null,
    "NumberType/1.0.0": {"type": "package", "serviceable": 1}
  }
}"#;
        assert_eq!(
            pairs(json),
            owned(&[
                ("EmptyRuntime", "1.0.0"),
                ("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.0"),
                ("MyApp", "1.0.0"),
                ("Native", "1.0.0"),
                ("Newtonsoft.Json", "13.0.1"),
                ("NotInRuntimeTarget", "1.0.0"),
                ("NumberType", "1.0.0"),
                ("Only.In.Libraries", "1.2.3"),
                ("Prefixed.Package", "1.0"),
                ("Proj2", "1.0.0"),
                ("RidSpecific", "1.0.0"),
                ("Two", "Slashes/1.0"),
            ])
        );
    }

    #[test]
    fn without_the_runtime_target_every_library_is_listed() {
        for head in [
            "",
            r#""runtimeTarget": {"name": "nope"},"#,
            r#""runtimeTarget": {},"#,
            r#""runtimeTarget": null,"#,
        ] {
            let json = format!(
                r#"{{{head} "targets": {{"other": {{"A/1.0": {{}}}}, "t": null}},
                "libraries": {{"A/1.0": {{"type": "package"}}, "B/2.0": {{"type": "package"}}}}}}"#
            );
            assert_eq!(pairs(&json), owned(&[("A", "1.0"), ("B", "2.0")]), "{json}");
            let named_null = json.replace(r#""other": {"#, r#""unused": {"#).replace(
                r#""targets""#,
                r#""runtimeTarget": {"name": "t"}, "targets""#,
            );
            if head.is_empty() {
                assert_eq!(pairs(&named_null), owned(&[("A", "1.0"), ("B", "2.0")]));
            }
        }
        assert!(pairs("{}").is_empty());
        assert!(pairs(r#"{"libraries": null, "targets": null}"#).is_empty());
    }

    /// A manifest in the shape of the shared framework's own (`shared/Microsoft.NETCore.App/
    /// 8.0.8/Microsoft.NETCore.App.deps.json` in runtime images), which names the runtime
    /// package: that is how a vulnerable .NET runtime is found. (Written from memory of that
    /// file's shape; no .NET image was at hand to copy one from.)
    #[test]
    fn shared_framework_manifest_names_the_runtime() {
        let json = r#"{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": ""},
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v8.0": {},
    ".NETCoreApp,Version=v8.0/linux-x64": {
      "Microsoft.NETCore.App.Runtime.linux-x64/8.0.8": {
        "runtime": {"System.Private.CoreLib.dll": {"assemblyVersion": "8.0.0.0", "fileVersion": "8.0.824.36612"}},
        "native": {"libSystem.Native.so": {"fileVersion": "0.0.0.0"}}
      }
    }
  },
  "libraries": {
    "Microsoft.NETCore.App.Runtime.linux-x64/8.0.8": {"type": "package", "serviceable": true, "sha512": "", "path": "microsoft.netcore.app.runtime.linux-x64/8.0.8", "hashPath": "microsoft.netcore.app.runtime.linux-x64.8.0.8.nupkg.sha512"}
  }
}"#;
        assert_eq!(
            pairs(json),
            owned(&[("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.8")])
        );
    }

    #[test]
    fn malformed_manifests_say_why() {
        for json in [
            "",
            "{",
            "[]",
            "null",
            r#"{"libraries": []}"#,
            r#"{"libraries": {"A/1": {"type": 5}}}"#,
            r#"{"targets": {"t": []}}"#,
            r#"{"runtimeTarget": "x"}"#,
        ] {
            let mut found = Found::default();
            let err = parse(json.as_bytes(), &mut found).expect_err(json);
            assert!(
                err.starts_with("not a valid .deps.json manifest"),
                "{json}: {err}"
            );
        }
        // Deep nesting costs no stack: skipped values are skipped without recursing, and
        // unbalanced ones are an error.
        for depth in [100_000, 1_000_000] {
            let deep = format!(
                r#"{{"libraries": {{"A/1": {{"type": "package", "x": {}1{}}}}}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            );
            assert_eq!(pairs(&deep), owned(&[("A", "1")]));
            let mut found = Found::default();
            assert!(parse(&deep.as_bytes()[..deep.len() - 10], &mut found).is_err());
        }
    }
}
