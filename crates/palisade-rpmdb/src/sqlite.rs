//! Just enough of the sqlite 3 file format to scan one table: the 100-byte database header, the
//! schema table on page 1, table b-tree pages (interior 0x05, leaf 0x0D), overflow chains and
//! the record format. rpm's table is
//! `Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)`.
//!
//! Every page may be visited once per read, whether as a b-tree page or an overflow page: that
//! single rule defeats cycles in the tree and in overflow chains, and bounds the work (and the
//! bytes copied out of overflow pages) by the size of the file.

use std::fmt;

use crate::bytes::{Order, u16_at, u32_at};
use crate::{BlobSink, DbFormat, RpmDbError};

pub(crate) const MAGIC: &[u8] = b"SQLite format 3\0";

/// Deeper than any real b-tree (a 64 KiB-page tree of depth 20 could index more rows than
/// exist); guards the explicit stack against a malicious shape.
const MAX_DEPTH: usize = 64;

fn corrupt(what: String) -> RpmDbError {
    RpmDbError::Corrupt {
        format: DbFormat::Sqlite,
        what,
    }
}

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
    pages: u32,
    encoding: u32,
    visited: Vec<bool>,
}

/// A decoded column value; only the kinds we look at keep their contents.
#[derive(Debug)]
enum Value<'a> {
    Int(i64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
    Other,
}

struct RowLabel(i64);

impl fmt::Display for RowLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sqlite Packages row {}", self.0)
    }
}

/// Calls `f` with every blob of the `Packages` table (or the reason a record was unreadable).
pub(crate) fn for_each_blob(bytes: &[u8], f: &mut BlobSink<'_>) -> Result<(), RpmDbError> {
    let mut db = Db::open(bytes)?;
    let mut root = None;
    db.walk(1, &mut |db, _rowid, payload| {
        let Ok(cols) = record(&payload, 4) else {
            return Ok(());
        };
        if let [Value::Text(ty), Value::Text(name), _, Value::Int(page)] = cols.as_slice()
            && db.text_is(ty, "table")
            && db.text_is(name, "Packages")
        {
            root = Some(*page);
        }
        Ok(())
    })?;
    let root = root.ok_or_else(|| corrupt("the schema has no table Packages".to_owned()))?;
    let root = u32::try_from(root)
        .ok()
        .filter(|&r| r >= 1)
        .ok_or_else(|| corrupt(format!("table Packages has root page {root}")))?;
    db.walk(root, &mut |_db, rowid, payload| {
        let label = RowLabel(rowid);
        match record(&payload, 2) {
            Ok(cols) => match cols.get(1) {
                Some(Value::Blob(b) | Value::Text(b)) => f(&label, Ok(b)),
                _ => f(&label, Err("column blob is not a blob".to_owned())),
            },
            Err(e) => f(&label, Err(e)),
        }
        Ok(())
    })
}

type RowFn<'f> = dyn FnMut(&Db<'_>, i64, Vec<u8>) -> Result<(), RpmDbError> + 'f;

impl<'a> Db<'a> {
    fn open(bytes: &'a [u8]) -> Result<Self, RpmDbError> {
        if bytes.len() < 100 || !bytes.starts_with(MAGIC) {
            return Err(corrupt(format!(
                "{} bytes do not hold a 100-byte sqlite header",
                bytes.len()
            )));
        }
        let raw = u16_at(bytes, 16, Order::Big).unwrap_or(0);
        let page_size = if raw == 1 { 65536 } else { usize::from(raw) };
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(corrupt(format!(
                "page size {raw} at offset 16 is not a power of two in 512..=65536"
            )));
        }
        let usable = page_size - usize::from(bytes[20]);
        if usable < 480 {
            return Err(corrupt(format!(
                "{} reserved bytes (offset 20) leave {usable} usable bytes per page, under 480",
                bytes[20]
            )));
        }
        let encoding = u32_at(bytes, 56, Order::Big).unwrap_or(0);
        let pages = u32::try_from(bytes.len() / page_size).unwrap_or(u32::MAX);
        if pages == 0 {
            return Err(corrupt(format!(
                "{} bytes hold no whole {page_size}-byte page",
                bytes.len()
            )));
        }
        Ok(Db {
            bytes,
            page_size,
            usable,
            pages,
            encoding,
            visited: vec![false; pages as usize + 1],
        })
    }

    /// Compares a TEXT value (in the database's encoding) with an ASCII name, ignoring case as
    /// sqlite does for identifiers.
    fn text_is(&self, text: &[u8], name: &str) -> bool {
        let decoded: String = match self.encoding {
            2 | 3 => {
                let order = if self.encoding == 2 {
                    Order::Little
                } else {
                    Order::Big
                };
                let units = (0..text.len() / 2).filter_map(|i| u16_at(text, i * 2, order));
                char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect()
            }
            _ => String::from_utf8_lossy(text).into_owned(),
        };
        decoded.eq_ignore_ascii_case(name)
    }

    /// Marks a page used, failing if it is out of range or was used before.
    fn take(&mut self, n: u32, why: &str) -> Result<&'a [u8], RpmDbError> {
        if n == 0 || n > self.pages {
            return Err(corrupt(format!(
                "{why}: page {n} is outside the file's {} pages",
                self.pages
            )));
        }
        let seen = &mut self.visited[n as usize];
        if *seen {
            return Err(corrupt(format!(
                "{why}: page {n} is reached twice (a cycle or a shared page)"
            )));
        }
        *seen = true;
        let start = (n as usize - 1) * self.page_size;
        Ok(&self.bytes[start..start + self.page_size])
    }

    /// Walks a table b-tree from `root`, calling `row` with each row's id and full payload.
    fn walk(&mut self, root: u32, row: &mut RowFn<'_>) -> Result<(), RpmDbError> {
        let mut stack = vec![(root, 0usize)];
        while let Some((n, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(corrupt(format!(
                    "b-tree from root page {root} is deeper than {MAX_DEPTH} levels"
                )));
            }
            let page = self.take(n, "b-tree")?;
            let hdr = if n == 1 { 100 } else { 0 };
            let kind = page[hdr];
            let cells = usize::from(u16_at(page, hdr + 3, Order::Big).unwrap_or(0));
            let (header_len, interior) = match kind {
                0x0D => (8, false),
                0x05 => (12, true),
                _ => {
                    return Err(corrupt(format!(
                        "page {n}: type 0x{kind:02x} is not a table b-tree page"
                    )));
                }
            };
            let usable = self.usable;
            let ptrs = hdr + header_len;
            if ptrs + cells * 2 > usable {
                return Err(corrupt(format!(
                    "page {n}: {cells} cell pointers do not fit in the page"
                )));
            }
            let cell_at = |i: usize| -> Result<usize, RpmDbError> {
                let off = usize::from(u16_at(page, ptrs + i * 2, Order::Big).unwrap_or(0));
                if off < ptrs + cells * 2 || off >= usable {
                    return Err(corrupt(format!(
                        "page {n}: cell {i} at offset {off} is outside the cell area"
                    )));
                }
                Ok(off)
            };
            if interior {
                let right = u32_at(page, hdr + 8, Order::Big).unwrap_or(0);
                stack.push((right, depth + 1));
                for i in (0..cells).rev() {
                    let off = cell_at(i)?;
                    let child = u32_at(&page[..usable], off, Order::Big).ok_or_else(|| {
                        corrupt(format!("page {n}: cell {i} is cut off by the page end"))
                    })?;
                    stack.push((child, depth + 1));
                }
                continue;
            }
            for i in 0..cells {
                let off = cell_at(i)?;
                let area = &page[..usable];
                let cut = || corrupt(format!("page {n}: cell {i} is cut off by the page end"));
                let (len, a) = varint(area, off).ok_or_else(cut)?;
                let (rowid, b) = varint(area, off + a).ok_or_else(cut)?;
                let payload = self.payload(n, i, area, off + a + b, len)?;
                row(self, rowid as i64, payload)?;
            }
        }
        Ok(())
    }

    /// Gathers a table-leaf cell's payload of `len` bytes starting at `at`, following its
    /// overflow chain when it does not fit in the page.
    fn payload(
        &mut self,
        n: u32,
        cell: usize,
        area: &'a [u8],
        at: usize,
        len: u64,
    ) -> Result<Vec<u8>, RpmDbError> {
        let u = self.usable as u64;
        if len > self.bytes.len() as u64 {
            return Err(corrupt(format!(
                "page {n}: cell {cell} claims a {len}-byte payload, larger than the file"
            )));
        }
        // The split between page and overflow pages, as the file format defines it.
        let max_local = u - 35;
        let local = if len <= max_local {
            len
        } else {
            let min_local = ((u - 12) * 32 / 255) - 23;
            let k = min_local + ((len - min_local) % (u - 4));
            if k <= max_local { k } else { min_local }
        } as usize;
        let cut = || {
            corrupt(format!(
                "page {n}: cell {cell}'s {local} local payload bytes pass the page end"
            ))
        };
        let end = at.checked_add(local).ok_or_else(cut)?;
        let mut out = Vec::with_capacity(len as usize);
        out.extend_from_slice(area.get(at..end).ok_or_else(cut)?);
        if local as u64 == len {
            return Ok(out);
        }
        let mut next = u32_at(area, end, Order::Big).ok_or_else(cut)?;
        while (out.len() as u64) < len {
            if next == 0 {
                return Err(corrupt(format!(
                    "page {n}: cell {cell}'s overflow chain ends after {} of {len} bytes",
                    out.len()
                )));
            }
            let page = self.take(next, "overflow chain")?;
            let want = (len - out.len() as u64).min(u - 4) as usize;
            out.extend_from_slice(&page[4..4 + want]);
            next = u32_at(page, 0, Order::Big).unwrap_or(0);
        }
        Ok(out)
    }
}

/// A sqlite varint (1 to 9 bytes, big-endian 7-bit groups, the ninth byte whole) at `at`:
/// its value and length, or `None` if it runs past the end.
fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let byte = *b.get(at.checked_add(i)?)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(byte), 9));
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Decodes the first `want` columns of a record.
fn record(p: &[u8], want: usize) -> Result<Vec<Value<'_>>, String> {
    let (header_len, mut pos) = varint(p, 0).ok_or("record header size is cut off")?;
    if header_len > p.len() as u64 || (header_len as usize) < pos {
        return Err(format!(
            "record header size {header_len} does not fit the {}-byte record",
            p.len()
        ));
    }
    let header_len = header_len as usize;
    let mut body = header_len;
    let mut out = Vec::with_capacity(want);
    while pos < header_len && out.len() < want {
        let (serial, n) = varint(&p[..header_len], pos).ok_or("record header is cut off")?;
        pos += n;
        let size: u64 = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => return Err(format!("reserved serial type {serial}")),
            s => (s - 12) / 2,
        };
        let end = (body as u64)
            .checked_add(size)
            .filter(|&e| e <= p.len() as u64)
            .ok_or_else(|| format!("a column of {size} bytes runs past the record"))?
            as usize;
        let raw = &p[body..end];
        out.push(match serial {
            1..=6 => {
                // Big-endian two's complement of 1..=8 bytes.
                let mut v: i64 = if raw[0] & 0x80 != 0 { -1 } else { 0 };
                for &byte in raw {
                    v = (v << 8) | i64::from(byte);
                }
                Value::Int(v)
            }
            8 => Value::Int(0),
            9 => Value::Int(1),
            s if s >= 12 && s % 2 == 0 => Value::Blob(raw),
            s if s >= 13 => Value::Text(raw),
            _ => Value::Other,
        });
        body = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05], 0), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81], 0), None);
        assert_eq!(varint(&[], 0), None);
    }

    #[test]
    fn record_columns() {
        // header: size 3, NULL, blob of 2 bytes (serial 16)
        let r = [3, 0, 16, 0xaa, 0xbb];
        let cols = record(&r, 2).unwrap();
        assert!(matches!(cols[1], Value::Blob(b) if b == [0xaa, 0xbb]));
        assert!(record(&[3, 0, 40, 1], 2).unwrap_err().contains("runs past"));
        assert!(record(&[200], 2).is_err());
        assert!(record(&[2, 10], 2).unwrap_err().contains("reserved"));
    }
}
