//! Installed distributions, from the core metadata every installer leaves beside a package.
//!
//! pip, uv, setuptools and Debian's `python3-*` packages all record an installed distribution
//! as core metadata: `*.dist-info/METADATA` (wheels), `*.egg-info/PKG-INFO` or a bare
//! `*.egg-info` file (setuptools, distutils), `EGG-INFO/PKG-INFO` in an unpacked egg, or the
//! same file inside a zipped `.egg`. The format is RFC 822 headers followed by a blank line and
//! the description; only `Name` and `Version` matter here, and they come first in every file
//! the usual build backends write, so only the start of the header block is read.
//!
//! Wheel files (`*.whl`) lying in the image are read the same way as zipped eggs, from their
//! `*.dist-info/METADATA` entry.

use std::io::{BufRead, BufReader, Read};

use palisade_ecosystem::{PackageType, types};

use crate::{AnalyzeError, FileAnalyzer, FileInfo, Package};

/// Most bytes of one metadata file (or zipped metadata entry, uncompressed) scanned for `Name`
/// and `Version`. Real files name both in their first few hundred bytes; the limit is reached
/// only by hostile files (and zip bombs), and keeps their cost at 1 MiB whatever their size.
const MAX_HEADER_BYTES: u64 = 1 << 20;
/// Most zip entries looked at before the metadata entry. The largest real wheels (CUDA and
/// machine-learning libraries) hold some tens of thousands of files; each entry skipped costs
/// its header and a drain of its compressed bytes, never their inflation.
const MAX_ZIP_ENTRIES: usize = 100_000;

/// See the module documentation.
pub struct Installed;

/// How a wanted file holds its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// The file is core metadata.
    Headers,
    /// The file is a zip archive (egg or wheel) with core metadata inside.
    Zip,
}

/// Decides from the path alone, so [`FileAnalyzer::wants`] stays a few suffix tests.
fn layout(path: &str) -> Option<Layout> {
    if path.ends_with(".dist-info/METADATA")
        || path.ends_with(".egg-info/PKG-INFO")
        || path.ends_with("EGG-INFO/PKG-INFO")
        || path.ends_with(".egg-info")
    {
        Some(Layout::Headers)
    } else if path.ends_with(".egg") || path.ends_with(".whl") {
        Some(Layout::Zip)
    } else {
        None
    }
}

impl FileAnalyzer for Installed {
    fn name(&self) -> &'static str {
        "python-pkg"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, file: &FileInfo<'_>) -> bool {
        layout(file.path).is_some()
    }

    fn analyze(
        &self,
        file: &FileInfo<'_>,
        content: &mut dyn Read,
    ) -> Result<Vec<Package>, AnalyzeError> {
        let (name, version) = match layout(file.path) {
            None => return Ok(Vec::new()),
            Some(Layout::Headers) => name_version(content)?,
            Some(Layout::Zip) => match zipped_name_version(content, MAX_ZIP_ENTRIES)? {
                Some(found) => found,
                None => return Ok(Vec::new()),
            },
        };
        Ok(vec![Package::lang(
            PackageType::of(&types::PYTHON_PKG),
            &name,
            &version,
            file.path,
        )])
    }
}

/// Reads `Name` and `Version` from the header block of core metadata, stopping as soon as
/// both are known, at the blank line that ends the headers, or after [`MAX_HEADER_BYTES`].
///
/// Header names are matched without regard to case and the first occurrence wins, as in the
/// MIME header readers other tools use; folded continuation lines (starting with a space or a
/// tab) belong to the previous header and are passed over, so a `Description` header carrying
/// a whole README cannot be mistaken for a `Version`.
fn name_version(content: &mut dyn Read) -> Result<(String, String), AnalyzeError> {
    let mut reader = BufReader::new(content.take(MAX_HEADER_BYTES));
    let mut line = Vec::new();
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        let text = line.strip_suffix(b"\n");
        // A line cut by the limit is not trusted: `Version: 1.2` could be `Version: 1.25`.
        if text.is_none() && reader.get_ref().limit() == 0 {
            return Err(AnalyzeError::skip(format!(
                "no Name and Version header in the first {} MiB",
                MAX_HEADER_BYTES >> 20
            )));
        }
        if read == 0 {
            break;
        }
        let text = text.unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            break; // the description follows
        }
        if text[0] == b' ' || text[0] == b'\t' {
            continue;
        }
        let Some(colon) = memchr::memchr(b':', text) else {
            continue;
        };
        let (key, value) = (&text[..colon], &text[colon + 1..]);
        let slot = if key.eq_ignore_ascii_case(b"Name") {
            &mut name
        } else if key.eq_ignore_ascii_case(b"Version") {
            &mut version
        } else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(String::from_utf8_lossy(value).trim().to_string());
        }
        if name.is_some() && version.is_some() {
            break;
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => Ok((n, v)),
        (Some(n), _) if !n.is_empty() => Err(AnalyzeError::skip("no Version header")),
        _ => Err(AnalyzeError::skip("no Name header")),
    }
}

/// Whether a zip entry is the metadata of the archive's own distribution: `EGG-INFO/PKG-INFO`
/// of an egg, or `<name>.dist-info/METADATA` at the top of a wheel. Names are compared as
/// plain bytes and never used as paths, so `../` or absolute names (zip-slip) simply do not
/// match.
fn is_metadata_entry(name: &[u8]) -> bool {
    if name == b"EGG-INFO/PKG-INFO" {
        return true;
    }
    name.strip_suffix(b".dist-info/METADATA")
        .is_some_and(|stem| !stem.is_empty() && !stem.contains(&b'/'))
}

/// Finds the metadata entry of a zipped egg or wheel by streaming the archive's local headers
/// (the stream cannot seek to the central directory), looking at no more than `max_entries`.
/// `None` when the archive has no metadata entry.
///
/// Everything wrong with the archive becomes a skip: the content reader is bounded to this one
/// file, so an I/O error here means a truncated or corrupt archive, and a truly broken layer
/// stream fails again on the walker's next read anyway.
fn zipped_name_version(
    content: &mut dyn Read,
    max_entries: usize,
) -> Result<Option<(String, String)>, AnalyzeError> {
    let mut stream = content;
    for _ in 0..max_entries {
        let mut entry = match zip::read::read_zipfile_from_stream(&mut stream) {
            Ok(Some(entry)) => entry,
            // The central directory: every entry has been seen.
            Ok(None) => return Ok(None),
            Err(e) => return Err(AnalyzeError::skip(format!("unreadable zip archive: {e}"))),
        };
        if !is_metadata_entry(entry.name_raw()) {
            // Dropping the entry drains its compressed bytes without inflating them.
            continue;
        }
        let entry_name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        return match name_version(&mut entry) {
            Ok(found) => Ok(Some(found)),
            Err(AnalyzeError::Skip(m)) => Err(AnalyzeError::skip(format!("{entry_name}: {m}"))),
            Err(AnalyzeError::Io(e)) => Err(AnalyzeError::skip(format!("{entry_name}: {e}"))),
        };
    }
    Err(AnalyzeError::skip(format!(
        "no metadata in the first {max_entries} zip entries"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    use proptest::prelude::*;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    /// The start of Django 3.2's METADATA as pip installs it from the wheel.
    const DJANGO_METADATA: &str = "Metadata-Version: 2.1\r
Name: Django\r
Version: 3.2\r
Summary: A high-level Python Web framework that encourages rapid development and clean, pragmatic design.\r
Home-page: https://www.djangoproject.com/\r
Author: Django Software Foundation\r
Author-email: foundation@djangoproject.com\r
License: BSD-3-Clause\r
Project-URL: Documentation, https://docs.djangoproject.com/\r
Platform: UNKNOWN\r
Classifier: Development Status :: 5 - Production/Stable\r
Classifier: Framework :: Django\r
Requires-Python: >=3.6\r
Requires-Dist: asgiref (<4,>=3.3.2)\r
Requires-Dist: pytz\r
Requires-Dist: sqlparse (>=0.2.2)\r
Provides-Extra: argon2\r
Requires-Dist: argon2-cffi (>=19.1.0) ; extra == 'argon2'\r
\r
======\r
Django\r
======\r
\r
Name: not-a-header\r
Version: 0.0\r
";

    /// A distutils-era `.egg-info` file as Debian ships them in `dist-packages`, with the
    /// description folded into a header before `Version` would be read if folding were not
    /// understood.
    const SIX_EGG_INFO: &str = "Metadata-Version: 1.1
name: six
Summary: Python 2 and 3 compatibility utilities
Description: six
        Version: 9.9.9 (part of the description)
        ...
version:  1.16.0 \n\
Platform: UNKNOWN

Body
";

    fn info(path: &str, size: usize) -> FileInfo<'_> {
        FileInfo {
            path,
            size: size as u64,
            executable: false,
        }
    }

    fn run(path: &str, data: &[u8]) -> Result<Vec<(String, String)>, AnalyzeError> {
        Ok(INSTALLED_FOR_TESTS
            .analyze(&info(path, data.len()), &mut &data[..])?
            .into_iter()
            .map(|p| {
                assert_eq!(p.path, path);
                assert_eq!(p.kind, PackageType::of(&types::PYTHON_PKG));
                (p.name, p.version)
            })
            .collect())
    }

    static INSTALLED_FOR_TESTS: Installed = Installed;

    fn pair(n: &str, v: &str) -> Vec<(String, String)> {
        vec![(n.to_string(), v.to_string())]
    }

    fn skip_message<T: std::fmt::Debug>(r: Result<T, AnalyzeError>) -> String {
        match r {
            Err(AnalyzeError::Skip(m)) => m,
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    /// A zip archive written in memory, entries deflated.
    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).expect("start entry");
            w.write_all(data).expect("write entry");
        }
        w.finish().expect("finish zip").into_inner()
    }

    #[test]
    fn dist_info_metadata() {
        let path = "usr/local/lib/python3.9/site-packages/Django-3.2.dist-info/METADATA";
        assert_eq!(
            run(path, DJANGO_METADATA.as_bytes()).expect("parses"),
            pair("Django", "3.2")
        );
    }

    #[test]
    fn egg_info_file_with_folded_description() {
        let path = "usr/lib/python3/dist-packages/six-1.16.0.egg-info";
        assert_eq!(
            run(path, SIX_EGG_INFO.as_bytes()).expect("parses"),
            pair("six", "1.16.0")
        );
        let dir = "opt/app/src/six.egg-info/PKG-INFO";
        assert_eq!(
            run(dir, SIX_EGG_INFO.as_bytes()).expect("parses"),
            pair("six", "1.16.0")
        );
        let unpacked = "usr/lib/python2.7/site-packages/six-1.16.0-py2.7.egg/EGG-INFO/PKG-INFO";
        assert_eq!(
            run(unpacked, SIX_EGG_INFO.as_bytes()).expect("parses"),
            pair("six", "1.16.0")
        );
    }

    #[test]
    fn headers_after_the_blank_line_are_description() {
        let m = skip_message(run(
            "x.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: x\n\nVersion: 1.0\n",
        ));
        assert_eq!(m, "no Version header");
        let m = skip_message(run("x.dist-info/METADATA", b"Version: 1.0\nName:   \n"));
        assert_eq!(m, "no Name header");
        let m = skip_message(run("x.dist-info/METADATA", b""));
        assert_eq!(m, "no Name header");
    }

    #[test]
    fn endless_headers_stop_at_the_limit() {
        // An endless stream with a huge declared size: read up to the limit, then skipped.
        let mut endless = std::io::repeat(b'a');
        let m = skip_message(INSTALLED_FOR_TESTS.analyze(
            &FileInfo {
                path: "x.dist-info/METADATA",
                size: 1 << 30,
                executable: false,
            },
            &mut endless,
        ));
        assert!(m.contains("first 1 MiB"), "{m}");
        // A huge declared size alone does not matter: the headers come first.
        let r = INSTALLED_FOR_TESTS.analyze(
            &FileInfo {
                path: "x.dist-info/METADATA",
                size: 1 << 30,
                executable: false,
            },
            &mut &b"Name: x\nVersion: 1\n"[..],
        );
        assert_eq!(r.expect("parses").len(), 1);
        // A version cut by the limit is not reported truncated.
        let fixed = "Name: x\nX: \n".len() + "Version: 1.2".len();
        let pad = "a".repeat((MAX_HEADER_BYTES as usize) - fixed);
        let text = format!("Name: x\nX: {pad}\nVersion: 1.25\n\n");
        let m = skip_message(run("x.dist-info/METADATA", text.as_bytes()));
        assert!(m.contains("first 1 MiB"), "{m}");
    }

    #[test]
    fn zipped_egg() {
        let egg = zip_of(&[
            ("six.py", b"# six\n"),
            ("EGG-INFO/SOURCES.txt", b"six.py\n"),
            ("EGG-INFO/PKG-INFO", SIX_EGG_INFO.as_bytes()),
            ("EGG-INFO/top_level.txt", b"six\n"),
        ]);
        let path = "usr/lib/python3.8/site-packages/six-1.16.0-py3.8.egg";
        assert_eq!(run(path, &egg).expect("parses"), pair("six", "1.16.0"));
    }

    #[test]
    fn wheel_file() {
        let whl = zip_of(&[
            ("django/__init__.py", b"VERSION = (3, 2, 0)\n"),
            ("Django-3.2.dist-info/LICENSE", b"BSD\n"),
            ("Django-3.2.dist-info/METADATA", DJANGO_METADATA.as_bytes()),
            ("Django-3.2.dist-info/RECORD", b"\n"),
        ]);
        let path = "wheels/Django-3.2-py3-none-any.whl";
        assert_eq!(run(path, &whl).expect("parses"), pair("Django", "3.2"));
    }

    #[test]
    fn archives_without_metadata_name_nothing() {
        let egg = zip_of(&[
            ("six.py", b"# six\n"),
            ("PKG-INFO", SIX_EGG_INFO.as_bytes()),
        ]);
        assert_eq!(run("six.egg", &egg).expect("reads"), vec![]);
        // Nested dist-info directories (vendored wheels) are not the archive's own.
        let whl = zip_of(&[("a/x-1.dist-info/METADATA", DJANGO_METADATA.as_bytes())]);
        assert_eq!(run("x.whl", &whl).expect("reads"), vec![]);
    }

    #[test]
    fn zip_slip_names_are_only_strings() {
        let meta = SIX_EGG_INFO.as_bytes();
        let egg = zip_of(&[
            ("../../etc/PKG-INFO", meta),
            ("/EGG-INFO/PKG-INFO", meta),
            ("../EGG-INFO/PKG-INFO", meta),
            ("EGG-INFO/../../PKG-INFO", meta),
            ("../x.dist-info/METADATA", meta),
            ("/x.dist-info/METADATA", meta),
        ]);
        assert_eq!(run("evil.egg", &egg).expect("reads"), vec![]);
        assert_eq!(run("evil.whl", &egg).expect("reads"), vec![]);
    }

    #[test]
    fn zip_bomb_is_skipped_after_the_limit() {
        // 8 MiB of one byte deflates to about 8 KiB.
        let bomb = vec![b'A'; 8 << 20];
        let egg = zip_of(&[("EGG-INFO/PKG-INFO", &bomb)]);
        assert!(egg.len() < 1 << 20, "fixture is small: {}", egg.len());
        let m = skip_message(run("bomb.egg", &egg));
        assert!(
            m.contains("EGG-INFO/PKG-INFO") && m.contains("1 MiB"),
            "{m}"
        );
        // Headers first, then a bomb for a body: the headers are enough.
        let mut body = b"Name: x\nVersion: 1\n\n".to_vec();
        body.extend_from_slice(&bomb);
        let egg = zip_of(&[("EGG-INFO/PKG-INFO", &body)]);
        assert_eq!(run("x.egg", &egg).expect("parses"), pair("x", "1"));
        // A bomb that is not the metadata entry is drained, not inflated.
        let egg = zip_of(&[
            ("big.bin", &bomb),
            ("EGG-INFO/PKG-INFO", b"Name: x\nVersion: 1\n"),
        ]);
        assert_eq!(run("x.egg", &egg).expect("parses"), pair("x", "1"));
    }

    #[test]
    fn entry_count_is_capped() {
        let names: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
        let mut entries: Vec<(&str, &[u8])> =
            names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        entries.push(("EGG-INFO/PKG-INFO", b"Name: x\nVersion: 1\n"));
        let egg = zip_of(&entries);
        let m = skip_message(zipped_name_version(&mut &egg[..], 10));
        assert!(m.contains("first 10 zip entries"), "{m}");
        let found = zipped_name_version(&mut &egg[..], 11).expect("parses");
        assert_eq!(found, Some(("x".to_string(), "1".to_string())));
    }

    #[test]
    fn broken_archives_are_skipped() {
        let m = skip_message(run("x.egg", b"this is not a zip archive"));
        assert!(m.contains("zip"), "{m}");
        let egg = zip_of(&[("EGG-INFO/PKG-INFO", SIX_EGG_INFO.as_bytes())]);
        // Cut inside the compressed data of the metadata entry.
        let m = skip_message(run("x.egg", &egg[..60]));
        assert!(!m.is_empty());
        // An empty file is not an archive either.
        skip_message(run("x.whl", b""));
    }

    #[test]
    fn archives_written_to_a_stream_are_skipped() {
        // Written without seeking, entries carry their sizes after the data (a data
        // descriptor), which a forward-only reader cannot delimit: a skip naming the reason.
        let mut w = ZipWriter::new_stream(Vec::new());
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        w.start_file("EGG-INFO/PKG-INFO", opts)
            .expect("start entry");
        w.write_all(SIX_EGG_INFO.as_bytes()).expect("write entry");
        let egg = w.finish().expect("finish zip").into_inner();
        let m = skip_message(run("x.egg", &egg));
        assert!(m.contains("local header"), "{m}");
    }

    #[test]
    fn metadata_entry_names() {
        assert!(is_metadata_entry(b"EGG-INFO/PKG-INFO"));
        assert!(is_metadata_entry(b"Django-3.2.dist-info/METADATA"));
        assert!(!is_metadata_entry(b".dist-info/METADATA"));
        assert!(!is_metadata_entry(b"a/b.dist-info/METADATA"));
        assert!(!is_metadata_entry(b"egg-info/PKG-INFO"));
        assert!(!is_metadata_entry(b"EGG-INFO/PKG-INFO/"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Whatever headers surround them and however they are cased and padded, the first
        /// `Name` and `Version` of the header block are reported, trimmed.
        #[test]
        fn name_and_version_round_trip(
            name in "[A-Za-z][A-Za-z0-9._-]{0,20}",
            version in "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}(rc[0-9])?",
            before in proptest::collection::vec("[A-Z][a-z-]{1,12}: [ -~]{0,30}", 0..5),
            pad in "[ \t]{0,2}",
            upper in any::<bool>(),
            crlf in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let (nk, vk) = if upper { ("NAME", "VERSION") } else { ("Name", "Version") };
            let mut text = String::new();
            for h in &before {
                if !h.to_ascii_lowercase().starts_with("name:")
                    && !h.to_ascii_lowercase().starts_with("version:")
                {
                    text.push_str(h);
                    text.push_str(eol);
                }
            }
            text.push_str(&format!("{nk}:{pad}{name}{pad}{eol}{vk}:{pad}{version}{pad}{eol}"));
            text.push_str(&format!("Name: other{eol}{eol}Version: 0{eol}"));
            let got = run("x.dist-info/METADATA", text.as_bytes());
            prop_assert_eq!(got.expect("parses"), pair(&name, &version));
        }

        /// Arbitrary bytes as a zip archive end in nothing or a skip.
        #[test]
        fn arbitrary_archives_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let r = run("x.egg", &data);
            prop_assert!(!matches!(r, Err(AnalyzeError::Io(_))));
        }

        /// A valid archive with bytes flipped ends in packages, nothing or a skip.
        #[test]
        fn corrupted_archives_never_panic(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        ) {
            let mut egg = zip_of(&[
                ("six.py", b"# six\n"),
                ("EGG-INFO/PKG-INFO", SIX_EGG_INFO.as_bytes()),
            ]);
            let len = egg.len();
            for (at, byte) in flips {
                egg[at % len] = byte;
            }
            let r = run("x.egg", &egg);
            prop_assert!(!matches!(r, Err(AnalyzeError::Io(_))));
        }
    }
}
