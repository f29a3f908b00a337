//! Python: installed distributions, pinned requirements files and lockfiles.
//!
//! Three analyzers, because Trivy reports them as three kinds of result: installed
//! distributions are one aggregate `Python` result ([`INSTALLED`], `python-pkg`), while a
//! requirements file ([`REQUIREMENTS`], `pip`) or a lockfile ([`LOCKFILES`], `poetry`, `pipenv`,
//! `uv`) is a result of its own, named by its path.
//!
//! Names are reported as the file writes them: the PyPI ecosystem normalises them (PEP 503)
//! when matching advisories, so nothing is lost and the report shows what the image says.

mod installed;
mod lockfiles;
mod requirements;

pub use installed::Installed;
pub use lockfiles::Lockfiles;
pub use requirements::Requirements;

/// Installed distributions: `*.dist-info/METADATA`, `*.egg-info` (file or `PKG-INFO` inside),
/// unpacked and zipped eggs, and wheel files.
pub static INSTALLED: Installed = Installed;
/// Pinned requirements in `requirements*.txt`.
pub static REQUIREMENTS: Requirements = Requirements;
/// `poetry.lock`, `Pipfile.lock` and `uv.lock`.
pub static LOCKFILES: Lockfiles = Lockfiles;

/// The last component of a normalized path, without allocating (`wants` runs for every file
/// of every layer).
fn file_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AnalyzeError, FileAnalyzer, FileInfo};
    use proptest::prelude::*;

    /// One path each analyzer wants, per kind of file it reads.
    const WANTED: &[(&str, &dyn FileAnalyzer)] = &[
        ("a/site-packages/x-1.dist-info/METADATA", &INSTALLED),
        ("a/site-packages/x-1.egg-info/PKG-INFO", &INSTALLED),
        ("a/dist-packages/x-1.egg-info", &INSTALLED),
        ("a/x-1-py3.8.egg/EGG-INFO/PKG-INFO", &INSTALLED),
        ("a/x-1-py3.8.egg", &INSTALLED),
        ("a/x-1-py3-none-any.whl", &INSTALLED),
        ("app/requirements.txt", &REQUIREMENTS),
        ("app/requirements-dev.txt", &REQUIREMENTS),
        ("app/poetry.lock", &LOCKFILES),
        ("app/Pipfile.lock", &LOCKFILES),
        ("app/uv.lock", &LOCKFILES),
    ];

    fn info(path: &str, size: u64) -> FileInfo<'_> {
        FileInfo {
            path,
            size,
            executable: false,
        }
    }

    #[test]
    fn each_analyzer_wants_its_files_and_no_other() {
        let all: [&dyn FileAnalyzer; 3] = [&INSTALLED, &REQUIREMENTS, &LOCKFILES];
        for (path, owner) in WANTED {
            for a in all {
                // The analyzers are zero-sized statics, which may share an address: compare names.
                let same = a.name() == owner.name();
                assert_eq!(a.wants(&info(path, 1)), same, "{} on {path}", a.name());
            }
        }
        for path in [
            "a/site-packages/x.py",
            "a/x-1.dist-info/RECORD",
            "a/x-1.egg-info/SOURCES.txt",
            "app/requirements.in",
            "app/dev-requirements.txt",
            "app/poetry.lock.bak",
            "app/Pipfile",
            "app/pyproject.toml",
            "METADATA",
        ] {
            for a in all {
                assert!(!a.wants(&info(path, 1)), "{} wants {path}", a.name());
            }
        }
        let names: Vec<_> = all.iter().map(|a| a.name()).collect();
        assert_eq!(names.len(), 3);
        assert!(names[0] != names[1] && names[1] != names[2] && names[0] != names[2]);
        assert!(all.iter().all(|a| a.version() >= 1));
    }

    /// A reader that fails the test if it is read: proves a size check happened first.
    struct MustNotRead;
    impl std::io::Read for MustNotRead {
        fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
            panic!("the content of an oversized file was read")
        }
    }

    #[test]
    fn oversized_text_files_are_refused_unread() {
        for (path, a) in WANTED {
            if a.name() == INSTALLED.name() {
                continue; // reads only the header block, bounded by bytes read instead
            }
            match a.analyze(&info(path, 1 << 30), &mut MustNotRead) {
                Err(AnalyzeError::Skip(m)) => assert!(m.contains("limit"), "{path}: {m}"),
                other => panic!("{path}: {other:?}"),
            }
        }
    }

    #[test]
    fn file_name_is_the_last_component() {
        assert_eq!(file_name("a/b/uv.lock"), "uv.lock");
        assert_eq!(file_name("uv.lock"), "uv.lock");
        assert_eq!(file_name("a/"), "");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Hostile bytes under every wanted name end in packages or a Skip, never a panic or
        /// an I/O error (the stream itself is fine).
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            for (path, a) in WANTED {
                let r = a.analyze(&info(path, data.len() as u64), &mut &data[..]);
                prop_assert!(!matches!(r, Err(AnalyzeError::Io(_))), "{path}: {r:?}");
            }
        }

        /// The same for text that looks a little like each format.
        #[test]
        fn near_miss_text_never_panics(
            lines in proptest::collection::vec(
                "(\\[\\[package\\]\\]|name = \"[a-z]{0,3}\"|version = \"[0-9.]{0,4}\"|source = \\{ (editable|virtual) = \"\\.?\" \\}|\\{\"default\": \\{\"x\": \\{\"version\": \"==1\"\\}\\}\\}|Name: ?[a-z]*|Version: ?[0-9.]*|[a-z\\[\\]=;#@\\\\ -]{0,12}|)",
                0..12,
            )
        ) {
            let text = lines.join("\n");
            for (path, a) in WANTED {
                let r = a.analyze(&info(path, text.len() as u64), &mut text.as_bytes());
                prop_assert!(!matches!(r, Err(AnalyzeError::Io(_))), "{path}: {r:?}");
            }
        }
    }
}
