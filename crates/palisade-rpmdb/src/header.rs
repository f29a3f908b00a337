//! The rpm header blob as rpmdb stores it: big-endian `il` (index entry count) and `dl` (data
//! length), `il` 16-byte entries (tag, type, offset, count), then `dl` bytes of data. Only the
//! tags a scanner needs are decoded, each from its last index entry (entries added after the
//! immutable region, like those rpm writes at install time, override earlier ones).

use crate::bytes::{Order, u32_at, u64_at};
use crate::{MAX_FILE_BYTES_PER_PACKAGE, MAX_FILES_PER_PACKAGE, RpmDbError, RpmPackage};

/// rpm refuses headers with more index entries than this (`hdrchkTags`).
const MAX_INDEX_ENTRIES: u32 = 0xffff;
/// rpm allows 256 MiB of data; real headers are kilobytes, so a quarter of that is plenty.
const MAX_DATA_LEN: u32 = 64 << 20;
/// Distinct directories kept for one package; real packages have a few thousand at most.
const MAX_DIRNAMES: usize = 1_000_000;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_SIZE: u32 = 1009;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_OLDFILENAMES: u32 = 1027;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_LONGSIZE: u32 = 5009;
const TAG_MODULARITYLABEL: u32 = 5096;

const WANTED: [u32; 15] = [
    TAG_NAME,
    TAG_VERSION,
    TAG_RELEASE,
    TAG_EPOCH,
    TAG_SIZE,
    TAG_VENDOR,
    TAG_LICENSE,
    TAG_ARCH,
    TAG_OLDFILENAMES,
    TAG_SOURCERPM,
    TAG_DIRINDEXES,
    TAG_BASENAMES,
    TAG_DIRNAMES,
    TAG_LONGSIZE,
    TAG_MODULARITYLABEL,
];

const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

fn err(what: String) -> RpmDbError {
    RpmDbError::Header(what)
}

#[derive(Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: u32,
    count: u32,
}

struct Header<'a> {
    data: &'a [u8],
    /// The last entry of each tag in `WANTED`, same order.
    found: [Option<Entry>; WANTED.len()],
}

/// Parses a header blob as stored in the database (no lead, no 8-byte header magic) into a
/// package. Malformed input is an error naming the tag, offset or count at fault.
pub fn parse_header(blob: &[u8]) -> Result<RpmPackage, RpmDbError> {
    parse(blob).map(|(p, _)| p)
}

/// [`parse_header`], also saying whether the file list was cut at a cap.
pub(crate) fn parse(blob: &[u8]) -> Result<(RpmPackage, bool), RpmDbError> {
    let h = Header::new(blob)?;
    let name = h.required_string(TAG_NAME, "NAME")?;
    let version = h.required_string(TAG_VERSION, "VERSION")?;
    let release = h.required_string(TAG_RELEASE, "RELEASE")?;
    let epoch = match h.entry(TAG_EPOCH) {
        Some(e) => Some(h.int32(e)?),
        None => None,
    };
    let size = match (h.entry(TAG_LONGSIZE), h.entry(TAG_SIZE)) {
        (Some(e), _) => h.int(e)?,
        (None, Some(e)) => h.int(e)?,
        (None, None) => 0,
    };
    let (files, truncated) = h.files()?;
    let pkg = RpmPackage {
        name,
        epoch,
        version,
        release,
        arch: h.optional_string(TAG_ARCH)?,
        source_rpm: h.optional_string(TAG_SOURCERPM)?,
        modularity_label: h.optional_string(TAG_MODULARITYLABEL)?,
        license: h.optional_string(TAG_LICENSE)?,
        vendor: h.optional_string(TAG_VENDOR)?,
        size,
        files,
    };
    Ok((pkg, truncated))
}

impl<'a> Header<'a> {
    fn new(blob: &'a [u8]) -> Result<Self, RpmDbError> {
        let (Some(il), Some(dl)) = (u32_at(blob, 0, Order::Big), u32_at(blob, 4, Order::Big))
        else {
            return Err(err(format!(
                "blob of {} bytes is shorter than the 8-byte index/data counts",
                blob.len()
            )));
        };
        if il == 0 || il > MAX_INDEX_ENTRIES {
            return Err(err(format!(
                "index entry count {il} is outside 1..={MAX_INDEX_ENTRIES}"
            )));
        }
        if dl > MAX_DATA_LEN {
            return Err(err(format!(
                "data length {dl} exceeds the {MAX_DATA_LEN}-byte limit"
            )));
        }
        // Both bounded above, so this cannot overflow even on 32-bit targets.
        let index_end = 8 + il as usize * 16;
        let need = index_end + dl as usize;
        if blob.len() < need {
            return Err(err(format!(
                "{il} index entries and {dl} data bytes need {need} bytes, the blob has {}",
                blob.len()
            )));
        }
        let index = &blob[8..index_end];
        let data = &blob[index_end..need];
        let mut found = [None; WANTED.len()];
        for raw in index.chunks_exact(16) {
            let field = |i: usize| u32_at(raw, i * 4, Order::Big).unwrap_or(0);
            let e = Entry {
                tag: field(0),
                ty: field(1),
                offset: field(2),
                count: field(3),
            };
            if let Some(slot) = WANTED.iter().position(|&t| t == e.tag) {
                found[slot] = Some(e);
            }
        }
        Ok(Header { data, found })
    }

    fn entry(&self, tag: u32) -> Option<Entry> {
        WANTED
            .iter()
            .position(|&t| t == tag)
            .and_then(|i| self.found[i])
    }

    /// The bytes from an entry's offset to the end of the data, checked against `dl`.
    fn tail(&self, e: Entry) -> Result<&'a [u8], RpmDbError> {
        self.data.get(e.offset as usize..).ok_or_else(|| {
            err(format!(
                "tag {}: offset {} is past the {}-byte data store",
                e.tag,
                e.offset,
                self.data.len()
            ))
        })
    }

    fn required_string(&self, tag: u32, name: &str) -> Result<String, RpmDbError> {
        match self.entry(tag) {
            Some(e) => self.string(e),
            None => Err(err(format!("no {name} tag ({tag})"))),
        }
    }

    fn optional_string(&self, tag: u32) -> Result<String, RpmDbError> {
        match self.entry(tag) {
            Some(e) => self.string(e),
            None => Ok(String::new()),
        }
    }

    /// A STRING, or the first string of an I18NSTRING / STRING_ARRAY (the untranslated one).
    fn string(&self, e: Entry) -> Result<String, RpmDbError> {
        if !matches!(e.ty, TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY) {
            return Err(err(format!(
                "tag {}: type {} where a string was expected",
                e.tag, e.ty
            )));
        }
        if e.count == 0 {
            return Err(err(format!("tag {}: string with count 0", e.tag)));
        }
        let tail = self.tail(e)?;
        let s = first_cstr(tail).ok_or_else(|| {
            err(format!(
                "tag {}: string at offset {} has no NUL before the end of the data",
                e.tag, e.offset
            ))
        })?;
        Ok(String::from_utf8_lossy(s).into_owned())
    }

    /// The first value of an INT32 entry.
    fn int32(&self, e: Entry) -> Result<u32, RpmDbError> {
        if e.ty != TYPE_INT32 || e.count == 0 {
            return Err(err(format!(
                "tag {}: type {} count {} where one INT32 was expected",
                e.tag, e.ty, e.count
            )));
        }
        u32_at(self.data, e.offset as usize, Order::Big).ok_or_else(|| {
            err(format!(
                "tag {}: INT32 at offset {} is past the data",
                e.tag, e.offset
            ))
        })
    }

    /// The first value of an INT32 or INT64 entry.
    fn int(&self, e: Entry) -> Result<u64, RpmDbError> {
        if e.ty == TYPE_INT64 && e.count > 0 {
            return u64_at(self.data, e.offset as usize, Order::Big).ok_or_else(|| {
                err(format!(
                    "tag {}: INT64 at offset {} is past the data",
                    e.tag, e.offset
                ))
            });
        }
        self.int32(e).map(u64::from)
    }

    /// A STRING_ARRAY as an iterator over its first `e.count` strings, after checking that the
    /// count can be satisfied at all (each string takes at least its NUL).
    fn strings(&self, e: Entry) -> Result<Strings<'a>, RpmDbError> {
        if e.ty != TYPE_STRING_ARRAY {
            return Err(err(format!(
                "tag {}: type {} where a string array was expected",
                e.tag, e.ty
            )));
        }
        let tail = self.tail(e)?;
        if e.count as usize > tail.len() {
            return Err(err(format!(
                "tag {}: {} strings cannot fit in the {} bytes after offset {}",
                e.tag,
                e.count,
                tail.len(),
                e.offset
            )));
        }
        Ok(Strings {
            tag: e.tag,
            rest: tail,
            left: e.count,
        })
    }

    /// Installed paths, and whether the list was cut at a cap.
    fn files(&self) -> Result<(Vec<String>, bool), RpmDbError> {
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut push = |out: &mut Vec<String>, parts: &[&[u8]]| -> bool {
            let len: usize = parts.iter().map(|p| p.len()).sum();
            if out.len() >= MAX_FILES_PER_PACKAGE || bytes + len > MAX_FILE_BYTES_PER_PACKAGE {
                return false;
            }
            bytes += len;
            let joined: Vec<u8> = parts.concat();
            out.push(String::from_utf8_lossy(&joined).into_owned());
            true
        };
        if let Some(base_e) = self.entry(TAG_BASENAMES) {
            let (Some(dir_e), Some(idx_e)) = (self.entry(TAG_DIRNAMES), self.entry(TAG_DIRINDEXES))
            else {
                return Err(err("BASENAMES without DIRNAMES and DIRINDEXES".to_owned()));
            };
            if dir_e.count as usize > MAX_DIRNAMES {
                return Err(err(format!(
                    "DIRNAMES has {} entries, more than {MAX_DIRNAMES}",
                    dir_e.count
                )));
            }
            let dirs: Vec<&[u8]> = self.strings(dir_e)?.collect::<Result<_, _>>()?;
            if idx_e.ty != TYPE_INT32 || idx_e.count != base_e.count {
                return Err(err(format!(
                    "DIRINDEXES has type {} and {} entries for {} BASENAMES",
                    idx_e.ty, idx_e.count, base_e.count
                )));
            }
            let idx = self.tail(idx_e)?;
            if (idx_e.count as usize).saturating_mul(4) > idx.len() {
                return Err(err(format!(
                    "DIRINDEXES: {} entries do not fit in the data after offset {}",
                    idx_e.count, idx_e.offset
                )));
            }
            for (i, base) in self.strings(base_e)?.enumerate() {
                let base = base?;
                let d = u32_at(idx, i * 4, Order::Big).unwrap_or(u32::MAX) as usize;
                let dir = dirs.get(d).ok_or_else(|| {
                    err(format!(
                        "DIRINDEXES[{i}] = {d}, but there are {} DIRNAMES",
                        dirs.len()
                    ))
                })?;
                if !push(&mut out, &[dir, base]) {
                    return Ok((out, true));
                }
            }
        } else if let Some(old) = self.entry(TAG_OLDFILENAMES) {
            for name in self.strings(old)? {
                if !push(&mut out, &[name?]) {
                    return Ok((out, true));
                }
            }
        }
        Ok((out, false))
    }
}

/// The bytes before the first NUL, if there is one.
fn first_cstr(b: &[u8]) -> Option<&[u8]> {
    b.iter().position(|&c| c == 0).map(|n| &b[..n])
}

/// NUL-terminated strings laid end to end.
struct Strings<'a> {
    tag: u32,
    rest: &'a [u8],
    left: u32,
}

impl<'a> Iterator for Strings<'a> {
    type Item = Result<&'a [u8], RpmDbError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        match self.rest.iter().position(|&c| c == 0) {
            Some(n) => {
                let s = &self.rest[..n];
                self.rest = &self.rest[n + 1..];
                Some(Ok(s))
            }
            None => {
                // Stop after reporting: the rest of the array is unreadable too.
                self.left = 0;
                Some(Err(err(format!(
                    "tag {}: string array runs past the end of the data",
                    self.tag
                ))))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, count, data) entries, data laid out in order.
    pub(crate) fn blob(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, count, bytes) in entries {
            for v in [*tag, *ty, data.len() as u32, *count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(bytes);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        out
    }

    pub(crate) fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    pub(crate) fn minimal(name: &str) -> Vec<u8> {
        blob(&[
            (TAG_NAME, TYPE_STRING, 1, s(name)),
            (TAG_VERSION, TYPE_STRING, 1, s("1.2")),
            (TAG_RELEASE, TYPE_STRING, 1, s("3")),
        ])
    }

    #[test]
    fn minimal_header() {
        let p = parse_header(&minimal("zlib")).unwrap();
        assert_eq!(p.name, "zlib");
        assert_eq!(p.evr(), "1.2-3");
        assert_eq!(p.arch, "");
        assert!(p.files.is_empty());
    }

    #[test]
    fn compressed_and_old_file_names() {
        let mut dirs = s("/usr/bin/");
        dirs.extend(s("/etc/"));
        let mut bases = s("ls");
        bases.extend(s("passwd"));
        bases.extend(s("cat"));
        let idx: Vec<u8> = [0u32, 1, 0].iter().flat_map(|v| v.to_be_bytes()).collect();
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, 1, s("x")),
            (TAG_VERSION, TYPE_STRING, 1, s("1")),
            (TAG_RELEASE, TYPE_STRING, 1, s("1")),
            (TAG_EPOCH, TYPE_INT32, 1, 7u32.to_be_bytes().to_vec()),
            (TAG_DIRINDEXES, TYPE_INT32, 3, idx),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, 3, bases),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, 2, dirs),
            (
                TAG_LONGSIZE,
                TYPE_INT64,
                1,
                5_000_000_000u64.to_be_bytes().to_vec(),
            ),
        ]);
        let p = parse_header(&b).unwrap();
        assert_eq!(p.files, ["/usr/bin/ls", "/etc/passwd", "/usr/bin/cat"]);
        assert_eq!(p.epoch, Some(7));
        assert_eq!(p.size, 5_000_000_000);

        let mut old = s("/a");
        old.extend(s("/b/c"));
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, 1, s("x")),
            (TAG_VERSION, TYPE_STRING, 1, s("1")),
            (TAG_RELEASE, TYPE_STRING, 1, s("1")),
            (TAG_OLDFILENAMES, TYPE_STRING_ARRAY, 2, old),
        ]);
        assert_eq!(parse_header(&b).unwrap().files, ["/a", "/b/c"]);
    }

    fn expect_err(b: &[u8], needle: &str) {
        let e = parse_header(b).unwrap_err().to_string();
        assert!(e.contains(needle), "{e:?} lacks {needle:?}");
    }

    #[test]
    fn hostile_headers_are_named_errors() {
        expect_err(&[0, 0, 0], "shorter than");
        expect_err(&[0xff; 8], "index entry count 4294967295");
        expect_err(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff], "data length");
        expect_err(&[0, 0, 0, 2, 0, 0, 0, 0], "need 40 bytes");
        // A string without its NUL.
        let mut b = minimal("zlib");
        let len = b.len();
        b[len - 1] = b'x';
        expect_err(&b, "no NUL");
        // An offset past the data.
        let mut b = minimal("zlib");
        b[8 + 8..8 + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        expect_err(&b, "offset 4294967295 is past");
        // A string array whose count cannot be satisfied.
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, 1, s("x")),
            (TAG_VERSION, TYPE_STRING, 1, s("1")),
            (TAG_RELEASE, TYPE_STRING, 1, s("1")),
            (TAG_OLDFILENAMES, TYPE_STRING_ARRAY, u32::MAX, s("/a")),
        ]);
        expect_err(&b, "cannot fit");
        // A directory index out of range.
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, 1, s("x")),
            (TAG_VERSION, TYPE_STRING, 1, s("1")),
            (TAG_RELEASE, TYPE_STRING, 1, s("1")),
            (TAG_DIRINDEXES, TYPE_INT32, 1, 9u32.to_be_bytes().to_vec()),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, 1, s("a")),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, 1, s("/")),
        ]);
        expect_err(&b, "DIRINDEXES[0] = 9");
        // No name.
        let b = blob(&[(TAG_VERSION, TYPE_STRING, 1, s("1"))]);
        expect_err(&b, "no NAME");
        // A wrong type.
        let b = blob(&[(TAG_NAME, TYPE_INT32, 1, vec![0; 4])]);
        expect_err(&b, "type 4 where a string");
    }

    #[test]
    fn file_paths_are_capped_by_bytes() {
        // One 1 MiB directory shared by 100 files would make 100 MiB of paths.
        let mut dir = vec![b'd'; 1 << 20];
        dir.push(0);
        let bases: Vec<u8> = (0..100).flat_map(|_| s("f")).collect();
        let idx = vec![0u8; 400];
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, 1, s("x")),
            (TAG_VERSION, TYPE_STRING, 1, s("1")),
            (TAG_RELEASE, TYPE_STRING, 1, s("1")),
            (TAG_DIRINDEXES, TYPE_INT32, 100, idx),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, 100, bases),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, 1, dir),
        ]);
        let (p, truncated) = parse(&b).unwrap();
        assert!(truncated);
        assert_eq!(p.files.len(), MAX_FILE_BYTES_PER_PACKAGE / ((1 << 20) + 1));
    }
}
