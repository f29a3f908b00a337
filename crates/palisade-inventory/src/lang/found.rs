//! The distinct (name, version) pairs that one lockfile or manifest names, bounded.
//!
//! Lockfiles name the same package many times (npm v1 nests copies, pnpm repeats a version once
//! per set of peer dependencies, packages.lock.json once per target framework); each is
//! reported once per file. The bound makes a hostile file with millions of entries a clear
//! skip instead of unbounded memory.

use std::collections::{BTreeMap, BTreeSet};

use palisade_ecosystem::PackageType;

use crate::Package;

/// At most `MAX` distinct (name, version) pairs of one file.
#[derive(Debug, Default)]
pub(crate) struct Found<const MAX: usize> {
    by_name: BTreeMap<String, BTreeSet<String>>,
    /// How many distinct pairs are held (tests set it to reach the bound cheaply).
    pub(crate) count: usize,
}

impl<const MAX: usize> Found<MAX> {
    /// Records a package; an empty name or version names nothing and is ignored. Fails once
    /// the file names more than `MAX` distinct packages.
    pub(crate) fn add(&mut self, name: &str, version: &str) -> Result<(), String> {
        if name.is_empty() || version.is_empty() {
            return Ok(());
        }
        if self
            .by_name
            .get(name)
            .is_some_and(|versions| versions.contains(version))
        {
            return Ok(());
        }
        if self.count >= MAX {
            return Err(format!("names more than {MAX} packages"));
        }
        self.count += 1;
        self.by_name
            .entry(name.to_string())
            .or_default()
            .insert(version.to_string());
        Ok(())
    }

    /// The packages, sorted by name and version, each naming the file as its path.
    pub(crate) fn into_packages(self, kind: PackageType, path: &str) -> Vec<Package> {
        let mut out = Vec::with_capacity(self.count);
        for (name, versions) in self.by_name {
            for version in versions {
                out.push(Package::lang(kind, &name, &version, path));
            }
        }
        out
    }

    /// The pairs, sorted.
    #[cfg(test)]
    pub(crate) fn pairs(&self) -> Vec<(String, String)> {
        self.by_name
            .iter()
            .flat_map(|(n, vs)| vs.iter().map(move |v| (n.clone(), v.clone())))
            .collect()
    }
}
