//! The registry of streaming analyzers: one file per ecosystem's kinds of file.
//!
//! Adding an analyzer is a file here plus its line in [`ANALYZERS`]; its package type is a
//! row of `palisade_ecosystem::types`.

use crate::FileAnalyzer;

pub mod binaries;
pub mod dotnet;
mod found;
pub mod golang;
pub mod java;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;

/// Every streaming analyzer a scan runs, in a fixed order.
pub static ANALYZERS: &[&dyn FileAnalyzer] = &[
    &python::INSTALLED,
    &python::REQUIREMENTS,
    &python::LOCKFILES,
    &node::INSTALLED,
    &node::LOCKFILES,
    &ruby::GEMSPEC,
    &ruby::GEMFILE_LOCK,
    &rust::CARGO_LOCK,
    &dotnet::DEPS_JSON,
    &dotnet::NUGET,
    &php::COMPOSER_LOCK,
    &php::INSTALLED,
    &java::ARCHIVES,
    // Go and Rust binaries, read once for both (`golang::BINARY` and `rust::BINARY` are the
    // same scanners one ecosystem at a time).
    &binaries::BINARIES,
];
