//! Just enough of a BerkeleyDB hash database to list its key/data pairs: the metadata page
//! (page 0), hash pages (P_HASH 13, or P_HASH_UNSORTED 2 from older releases) whose index
//! holds key/data item pairs, and overflow chains (P_OVERFLOW 7) for items stored off-page.
//! rpm's `Packages` maps a 4-byte header number, in the byte order of the machine that wrote
//! it, to the header blob; key 0 holds rpm's next free number, not a header.
//!
//! Pages are scanned in file order, so the only chains to follow are overflow chains; each
//! overflow page may serve one item per read, which stops cycles and makes the bytes copied out
//! of overflow pages bounded by the file's size.

use std::fmt;

use crate::bytes::{Order, u16_at, u32_at};
use crate::{BlobSink, DbFormat, RpmDbError};

const HASH_MAGIC: u32 = 0x061561;

const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;

const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;

/// The generic page header: lsn, pgno, prev, next, entries, hf_offset, level, type.
const PAGE_HEADER: usize = 26;
/// Extra header bytes on every page of a database with page checksums (the checksum itself).
const CHECKSUM_BYTES: usize = 20;
/// `DBMETA_CHKSUM` in the metadata page's `metaflags` byte.
const META_CHECKSUM: u8 = 0x01;

fn corrupt(what: String) -> RpmDbError {
    RpmDbError::Corrupt {
        format: DbFormat::BerkeleyDb,
        what,
    }
}

/// The byte order of a hash database, from its magic number at offset 12.
pub(crate) fn byte_order(bytes: &[u8]) -> Option<Order> {
    if u32_at(bytes, 12, Order::Little)? == HASH_MAGIC {
        Some(Order::Little)
    } else if u32_at(bytes, 12, Order::Big)? == HASH_MAGIC {
        Some(Order::Big)
    } else {
        None
    }
}

struct Label {
    page: usize,
    key: Option<u32>,
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key {
            Some(k) => write!(f, "BerkeleyDB page {} key {k}", self.page),
            None => write!(f, "BerkeleyDB page {}", self.page),
        }
    }
}

struct Db<'a> {
    bytes: &'a [u8],
    order: Order,
    page_size: usize,
    /// Bytes before a page's item index (or an overflow page's data).
    overhead: usize,
    last_page: usize,
    used_overflow: Vec<bool>,
}

/// Calls `f` with the data of every key/data pair whose key is a header number other than 0.
pub(crate) fn for_each_blob(bytes: &[u8], f: &mut BlobSink<'_>) -> Result<(), RpmDbError> {
    let mut db = Db::open(bytes)?;
    for n in 1..=db.last_page {
        let page = db.page(n);
        if matches!(page[25], P_HASH | P_HASH_UNSORTED) {
            db.hash_page(n, page, f)?;
        }
    }
    Ok(())
}

impl<'a> Db<'a> {
    fn open(bytes: &'a [u8]) -> Result<Self, RpmDbError> {
        let order = byte_order(bytes)
            .ok_or_else(|| corrupt("no hash magic 0x061561 at offset 12".to_owned()))?;
        if bytes.len() < 512 {
            return Err(corrupt(format!(
                "{} bytes cannot hold the 512-byte metadata page",
                bytes.len()
            )));
        }
        let version = u32_at(bytes, 16, order).unwrap_or(0);
        if !(7..=10).contains(&version) {
            return Err(RpmDbError::Unsupported {
                format: DbFormat::BerkeleyDb,
                what: format!("hash version {version} (7 to 10 are read)"),
            });
        }
        let page_size = u32_at(bytes, 20, order).unwrap_or(0) as usize;
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(corrupt(format!(
                "page size {page_size} at offset 20 is not a power of two in 512..=65536"
            )));
        }
        if bytes[24] != 0 {
            return Err(RpmDbError::Unsupported {
                format: DbFormat::BerkeleyDb,
                what: format!("encryption (algorithm {})", bytes[24]),
            });
        }
        if bytes[25] != P_HASHMETA {
            return Err(corrupt(format!(
                "page 0 has type {}, not a hash metadata page ({P_HASHMETA})",
                bytes[25]
            )));
        }
        let overhead = if bytes[26] & META_CHECKSUM != 0 {
            PAGE_HEADER + CHECKSUM_BYTES
        } else {
            PAGE_HEADER
        };
        let last_page = u32_at(bytes, 32, order).unwrap_or(0) as usize;
        let in_file = bytes.len() / page_size;
        if last_page >= in_file {
            return Err(corrupt(format!(
                "last page is {last_page} but the file holds only {in_file} pages of {page_size} bytes"
            )));
        }
        Ok(Db {
            bytes,
            order,
            page_size,
            overhead,
            last_page,
            used_overflow: vec![false; last_page + 1],
        })
    }

    /// Page `n`, which the caller has checked is at most `last_page` (inside the file).
    fn page(&self, n: usize) -> &'a [u8] {
        let bytes: &'a [u8] = self.bytes;
        &bytes[n * self.page_size..(n + 1) * self.page_size]
    }

    fn hash_page(
        &mut self,
        n: usize,
        page: &'a [u8],
        f: &mut BlobSink<'_>,
    ) -> Result<(), RpmDbError> {
        let entries = usize::from(u16_at(page, 20, self.order).unwrap_or(0));
        let index_end = self.overhead + entries * 2;
        if index_end > self.page_size {
            return Err(corrupt(format!(
                "page {n}: {entries} item offsets do not fit in the page"
            )));
        }
        let mut offsets = Vec::with_capacity(entries);
        for i in 0..entries {
            let off = usize::from(u16_at(page, self.overhead + i * 2, self.order).unwrap_or(0));
            if off < index_end || off >= self.page_size {
                return Err(corrupt(format!(
                    "page {n}: item {i} at offset {off} is outside the item area"
                )));
            }
            offsets.push(off);
        }
        // Items are packed downwards from the page end; an item ends where the next-higher one
        // starts. Sorting makes that independent of the index order.
        let page_size = self.page_size;
        let mut starts = offsets.clone();
        starts.sort_unstable();
        starts.dedup();
        let item = |i: usize| -> &'a [u8] {
            let off = offsets[i];
            let end = match starts.binary_search(&off) {
                Ok(k) => starts.get(k + 1).copied().unwrap_or(page_size),
                // Every offset is in `starts`, so this arm is not taken; the page end is safe.
                Err(_) => page_size,
            };
            &page[off..end]
        };
        let mut i = 0;
        while i + 1 < entries {
            let (key, data) = (item(i), item(i + 1));
            i += 2;
            let key = match key {
                [H_KEYDATA, k @ ..] if k.len() == 4 => u32_at(k, 0, self.order).unwrap_or(0),
                _ => {
                    let label = Label { page: n, key: None };
                    f(&label, Err("key is not a 4-byte header number".to_owned()));
                    continue;
                }
            };
            if key == 0 {
                continue;
            }
            let label = Label {
                page: n,
                key: Some(key),
            };
            match data.first().copied() {
                Some(H_KEYDATA) => f(&label, Ok(&data[1..])),
                Some(H_OFFPAGE) => {
                    let blob = self.overflow(n, data)?;
                    f(&label, Ok(&blob));
                }
                Some(t @ (H_DUPLICATE | H_OFFDUP)) => {
                    f(&label, Err(format!("duplicate data items (type {t})")))
                }
                t => f(&label, Err(format!("unknown item type {t:?}"))),
            }
        }
        if entries % 2 == 1 {
            let label = Label { page: n, key: None };
            f(&label, Err(format!("odd number of items ({entries})")));
        }
        Ok(())
    }

    /// Reads an off-page item: `type, 3 unused, pgno, tlen`, then the chain from `pgno`.
    fn overflow(&mut self, n: usize, item: &[u8]) -> Result<Vec<u8>, RpmDbError> {
        let (Some(mut next), Some(total)) =
            (u32_at(item, 4, self.order), u32_at(item, 8, self.order))
        else {
            return Err(corrupt(format!(
                "page {n}: off-page item of {} bytes is shorter than 12",
                item.len()
            )));
        };
        let total = total as usize;
        if total > self.bytes.len() {
            return Err(corrupt(format!(
                "page {n}: off-page item claims {total} bytes, more than the file"
            )));
        }
        let mut out = Vec::with_capacity(total);
        while out.len() < total {
            let p = next as usize;
            if p == 0 || p > self.last_page {
                return Err(corrupt(format!(
                    "page {n}: overflow chain reaches page {p} after {} of {total} bytes",
                    out.len()
                )));
            }
            if std::mem::replace(&mut self.used_overflow[p], true) {
                return Err(corrupt(format!(
                    "page {n}: overflow page {p} is reached twice (a cycle or a shared chain)"
                )));
            }
            let page = self.page(p);
            if page[25] != P_OVERFLOW {
                return Err(corrupt(format!(
                    "page {n}: overflow chain reaches page {p} of type {}",
                    page[25]
                )));
            }
            let len = usize::from(u16_at(page, 22, self.order).unwrap_or(0));
            let data = page
                .get(self.overhead..self.overhead + len)
                .ok_or_else(|| {
                    corrupt(format!(
                        "overflow page {p}: {len} data bytes do not fit in the page"
                    ))
                })?;
            if out.len() + data.len() > total {
                return Err(corrupt(format!(
                    "overflow page {p}: chain holds more than the item's {total} bytes"
                )));
            }
            out.extend_from_slice(data);
            next = u32_at(page, 16, self.order).unwrap_or(0);
        }
        Ok(out)
    }
}
