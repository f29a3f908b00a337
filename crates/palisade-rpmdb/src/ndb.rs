//! rpm's own "ndb" package store (`Packages.db`, SUSE), all little-endian:
//!
//! - a 32-byte file header: `"RpmP"`, version 0, generation, number of 4 KiB slot pages, next
//!   package index;
//! - the slot pages: 16-byte slots (`"Slot"`, package index, block offset, block count; the first
//!   two slots of page 0 are the file header; offset 0 means a free slot), blocks being 16 bytes;
//! - at each slot's block offset a blob: a 16-byte head (`"BlbS"`, package index, timestamp,
//!   length), the header blob, zero padding, and a 12-byte tail (adler32 of everything before
//!   it in the blob's blocks, length, `"BlbE"`).
//!
//! Structure problems (slots) are errors, as they make rpm itself refuse the file; a damaged
//! blob is one skipped package. Slots may not overlap, which bounds the work by the file size.

use std::fmt;

use crate::bytes::{Order, u32_at};
use crate::{BlobSink, DbFormat, RpmDbError};

pub(crate) const MAGIC: &[u8] = b"RpmP";
const SLOT_MAGIC: &[u8] = b"Slot";
const BLOB_HEAD_MAGIC: &[u8] = b"BlbS";
const BLOB_TAIL_MAGIC: &[u8] = b"BlbE";

const PAGE_SIZE: usize = 4096;
const BLOCK: u64 = 16;
const SLOT_SIZE: usize = 16;
const HEADER_SIZE: usize = 32;
const BLOB_HEAD: u64 = 16;
const BLOB_TAIL: u64 = 12;

fn corrupt(what: String) -> RpmDbError {
    RpmDbError::Corrupt {
        format: DbFormat::Ndb,
        what,
    }
}

struct Label(u32);

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NDB package index {}", self.0)
    }
}

struct Slot {
    number: usize,
    pkgidx: u32,
    blkoff: u64,
    blkcnt: u64,
}

fn le(b: &[u8], off: usize) -> u32 {
    // Callers index within a slice they have checked to be long enough; 0 reads as "empty".
    u32_at(b, off, Order::Little).unwrap_or(0)
}

/// Calls `f` with the header blob of every used slot.
pub(crate) fn for_each_blob(bytes: &[u8], f: &mut BlobSink<'_>) -> Result<(), RpmDbError> {
    if bytes.len() < HEADER_SIZE || !bytes.starts_with(MAGIC) {
        return Err(corrupt(format!(
            "{} bytes do not hold the 32-byte header with magic RpmP",
            bytes.len()
        )));
    }
    let version = le(bytes, 4);
    if version != 0 {
        return Err(RpmDbError::Unsupported {
            format: DbFormat::Ndb,
            what: format!("version {version} (only 0 exists)"),
        });
    }
    let slot_pages = le(bytes, 12) as usize;
    let slots_end = slot_pages.saturating_mul(PAGE_SIZE);
    if slot_pages == 0 || slots_end > bytes.len() {
        return Err(corrupt(format!(
            "{slot_pages} slot pages of 4096 bytes do not fit in the {}-byte file",
            bytes.len()
        )));
    }
    let file_blocks = bytes.len() as u64 / BLOCK;
    let first_data_block = (slots_end as u64) / BLOCK;
    let mut slots = Vec::new();
    for (number, raw) in bytes[..slots_end]
        .chunks_exact(SLOT_SIZE)
        .enumerate()
        .skip(HEADER_SIZE / SLOT_SIZE)
    {
        if !raw.starts_with(SLOT_MAGIC) {
            return Err(corrupt(format!(
                "slot {number} (offset {}) lacks the Slot magic",
                number * SLOT_SIZE
            )));
        }
        let blkoff = u64::from(le(raw, 8));
        if blkoff == 0 {
            continue;
        }
        let slot = Slot {
            number,
            pkgidx: le(raw, 4),
            blkoff,
            blkcnt: u64::from(le(raw, 12)),
        };
        if slot.pkgidx == 0 || slot.blkcnt == 0 || slot.blkoff < first_data_block {
            return Err(corrupt(format!(
                "slot {number}: package index {}, block offset {}, block count {} is not a \
                 valid entry",
                slot.pkgidx, slot.blkoff, slot.blkcnt
            )));
        }
        if slot.blkoff + slot.blkcnt > file_blocks {
            return Err(corrupt(format!(
                "slot {number}: blocks {}..{} pass the file's end (block {file_blocks})",
                slot.blkoff,
                slot.blkoff + slot.blkcnt
            )));
        }
        slots.push(slot);
    }
    slots.sort_by_key(|s| s.blkoff);
    for pair in slots.windows(2) {
        if pair[0].blkoff + pair[0].blkcnt > pair[1].blkoff {
            return Err(corrupt(format!(
                "slots {} and {} overlap",
                pair[0].number, pair[1].number
            )));
        }
    }
    for slot in &slots {
        let start = (slot.blkoff * BLOCK) as usize;
        let end = ((slot.blkoff + slot.blkcnt) * BLOCK) as usize;
        // Both checked against the file's block count above.
        let area = &bytes[start..end];
        f(&Label(slot.pkgidx), blob(slot, area));
    }
    Ok(())
}

/// The header blob inside one slot's blocks, after checking its head, tail and checksum.
fn blob<'a>(slot: &Slot, area: &'a [u8]) -> Result<&'a [u8], String> {
    if area.len() < (BLOB_HEAD + BLOB_TAIL) as usize || !area.starts_with(BLOB_HEAD_MAGIC) {
        return Err(format!(
            "slot {}: no blob head (BlbS) at block {}",
            slot.number, slot.blkoff
        ));
    }
    let pkgidx = le(area, 4);
    if pkgidx != slot.pkgidx {
        return Err(format!(
            "blob at block {} belongs to package index {pkgidx}",
            slot.blkoff
        ));
    }
    let len = u64::from(le(area, 12));
    if (BLOB_HEAD + len + BLOB_TAIL).div_ceil(BLOCK) != slot.blkcnt {
        return Err(format!(
            "blob length {len} does not match the slot's {} blocks",
            slot.blkcnt
        ));
    }
    let tail = &area[area.len() - BLOB_TAIL as usize..];
    if !tail[8..].starts_with(BLOB_TAIL_MAGIC) || u64::from(le(tail, 4)) != len {
        return Err(format!(
            "blob at block {} has a bad tail (BlbE, length)",
            slot.blkoff
        ));
    }
    let covered = &area[..area.len() - BLOB_TAIL as usize];
    let sum = adler32(covered);
    if sum != le(tail, 0) {
        return Err(format!(
            "blob at block {} fails its adler32 checksum",
            slot.blkoff
        ));
    }
    // len + head + tail fit in the area by the block-count check above.
    Ok(&area[BLOB_HEAD as usize..(BLOB_HEAD + len) as usize])
}

/// Adler-32 (RFC 1950), which NDB blob tails carry.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 is the most bytes that can be summed before `b` could overflow a u32.
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_vector() {
        // RFC 1950's checksum of "Wikipedia", a well-known vector.
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(&vec![0xff; 100_000]), {
            let (mut a, mut b) = (1u64, 0u64);
            for _ in 0..100_000 {
                a = (a + 0xff) % 65521;
                b = (b + a) % 65521;
            }
            ((b << 16) | a) as u32
        });
    }
}
