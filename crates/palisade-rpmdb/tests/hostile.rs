//! Hostile databases: real fixtures truncated, with bytes flipped, and with page numbers,
//! offsets and counts replaced by extreme values. Reading must return `Ok` or a named `Err`,
//! never panic, and finish quickly; hand-made cases check that the expected error is the one
//! given.

use std::time::{Duration, Instant};

use palisade_rpmdb::{DbFormat, RpmDbError, parse_header, read};
use proptest::prelude::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn load(path: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{path}")).unwrap()
}

const FIXTURES: [(DbFormat, &str, usize); 4] = [
    (DbFormat::Sqlite, "sqlite/rpmdb.sqlite", 4096),
    (DbFormat::BerkeleyDb, "bdb/Packages", 4096),
    (DbFormat::BerkeleyDb, "bdb-be/Packages", 16384),
    (DbFormat::Ndb, "ndb/Packages.db", 4096),
];

/// Reads, requiring an answer within a bound far above the fixtures' real cost.
fn bounded(format: DbFormat, bytes: &[u8]) -> Result<palisade_rpmdb::Read, RpmDbError> {
    let start = Instant::now();
    let r = read(format, bytes);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    if let Err(e) = &r {
        assert!(!e.to_string().is_empty());
    }
    r
}

/// Values that page numbers, offsets and counts are most likely to mishandle.
fn extreme() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(2),
        Just(3),
        Just(0xff),
        Just(0xffff),
        Just(0x1_0000),
        Just(0x7fff_ffff),
        Just(0x8000_0000),
        Just(u32::MAX),
        Just(u32::MAX - 1),
        0u32..64,
        any::<u32>(),
    ]
}

/// A header blob from the NDB fixture (the first slot's), to mutate on its own.
fn some_header_blob() -> Vec<u8> {
    let db = load("ndb/Packages.db");
    let le = |o: usize| u32::from_le_bytes(db[o..o + 4].try_into().unwrap()) as usize;
    let blkoff = le(32 + 8);
    let start = blkoff * 16;
    let len = le(start + 12);
    db[start + 16..start + 16 + len].to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn truncated(which in 0..FIXTURES.len(), cut in any::<prop::sample::Index>()) {
        let (format, path, _) = FIXTURES[which];
        let bytes = load(path);
        let _ = bounded(format, &bytes[..cut.index(bytes.len())]);
    }

    #[test]
    fn bytes_overwritten(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..32),
    ) {
        let (format, path, _) = FIXTURES[which];
        let mut bytes = load(path);
        for (at, v) in edits {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        let _ = bounded(format, &bytes);
    }

    /// Extreme words in page headers and the first bytes of pages, where page numbers, counts
    /// and pointers live, in either byte order.
    #[test]
    fn page_fields_extreme(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0usize..40, extreme(), any::<bool>()), 1..8),
    ) {
        let (format, path, page) = FIXTURES[which];
        let mut bytes = load(path);
        let pages = bytes.len() / page;
        for (p, off, v, big) in edits {
            let at = p.index(pages) * page + off;
            let w = if big { v.to_be_bytes() } else { v.to_le_bytes() };
            bytes[at..at + 4].copy_from_slice(&w);
        }
        let _ = bounded(format, &bytes);
    }

    /// Extreme words anywhere (cell pointers, slot fields, item offsets, header fields).
    #[test]
    fn words_extreme(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), extreme(), any::<bool>()), 1..8),
    ) {
        let (format, path, _) = FIXTURES[which];
        let mut bytes = load(path);
        for (at, v, big) in edits {
            let i = at.index(bytes.len() - 4);
            let w = if big { v.to_be_bytes() } else { v.to_le_bytes() };
            bytes[i..i + 4].copy_from_slice(&w);
        }
        let _ = bounded(format, &bytes);
    }

    /// Header blobs with il, dl, offsets and counts replaced, or cut short.
    #[test]
    fn header_fields_extreme(
        edits in prop::collection::vec((0usize..400, extreme()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut blob = some_header_blob();
        for (word, v) in edits {
            let at = word * 4;
            if at + 4 <= blob.len() {
                blob[at..at + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
        let _ = parse_header(&blob);
        let _ = parse_header(&blob[..cut.index(blob.len())]);
    }

    #[test]
    fn header_random_bytes(blob in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_header(&blob);
        for format in [DbFormat::Sqlite, DbFormat::BerkeleyDb, DbFormat::Ndb] {
            let _ = bounded(format, &blob);
        }
    }
}

fn expect_corrupt(format: DbFormat, bytes: &[u8], needle: &str) {
    match read(format, bytes) {
        Err(e @ RpmDbError::Corrupt { .. }) => {
            assert!(e.to_string().contains(needle), "{e} lacks {needle:?}")
        }
        other => panic!("expected a corrupt-database error with {needle:?}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------- BDB

fn put32(b: &mut [u8], at: usize, v: u32, big: bool) {
    let w = if big {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    };
    b[at..at + 4].copy_from_slice(&w);
}

/// The first overflow page of a BerkeleyDB fixture.
fn first_overflow(bytes: &[u8], page: usize) -> usize {
    (1..bytes.len() / page)
        .find(|&p| bytes[p * page + 25] == 7)
        .unwrap()
}

#[test]
fn bdb_cyclic_overflow_chain() {
    let mut bytes = load("bdb/Packages");
    let p = first_overflow(&bytes, 4096);
    // The page now holds 10 bytes of its item and leads back to itself.
    bytes[p * 4096 + 22..p * 4096 + 24].copy_from_slice(&10u16.to_le_bytes());
    put32(&mut bytes, p * 4096 + 16, p as u32, false);
    expect_corrupt(DbFormat::BerkeleyDb, &bytes, "reached twice");
}

#[test]
fn bdb_overflow_page_past_eof() {
    let mut bytes = load("bdb/Packages");
    let p = first_overflow(&bytes, 4096);
    bytes[p * 4096 + 22..p * 4096 + 24].copy_from_slice(&10u16.to_le_bytes());
    put32(&mut bytes, p * 4096 + 16, 0x00ff_ffff, false);
    expect_corrupt(DbFormat::BerkeleyDb, &bytes, "reaches page 16777215");
}

#[test]
fn bdb_last_page_past_eof_and_huge_item_length() {
    let mut bytes = load("bdb-be/Packages");
    put32(&mut bytes, 32, u32::MAX, true);
    expect_corrupt(DbFormat::BerkeleyDb, &bytes, "last page is 4294967295");

    // The big-endian fixture's one off-page item: claim 4 GiB.
    let mut bytes = load("bdb-be/Packages");
    let page = 16384;
    let mut found = false;
    'pages: for p in 1..bytes.len() / page {
        let pg = p * page;
        if bytes[pg + 25] != 13 {
            continue;
        }
        let n = u16::from_be_bytes([bytes[pg + 20], bytes[pg + 21]]) as usize;
        for i in 0..n {
            let o =
                pg + u16::from_be_bytes([bytes[pg + 26 + 2 * i], bytes[pg + 27 + 2 * i]]) as usize;
            if bytes[o] == 3 {
                put32(&mut bytes, o + 8, u32::MAX, true);
                found = true;
                break 'pages;
            }
        }
    }
    assert!(found);
    expect_corrupt(DbFormat::BerkeleyDb, &bytes, "claims 4294967295 bytes");
}

// ---------------------------------------------------------------------------------------- NDB

#[test]
fn ndb_hostile_slots() {
    let good = load("ndb/Packages.db");
    let slot = |n: usize| n * 16;

    let mut b = good.clone();
    put32(&mut b, 12, u32::MAX, false);
    expect_corrupt(DbFormat::Ndb, &b, "4294967295 slot pages");

    // Two slots sharing blocks: each would otherwise be parsed again and again.
    let mut b = good.clone();
    let first_off = u32::from_le_bytes(b[slot(2) + 8..slot(2) + 12].try_into().unwrap());
    put32(&mut b, slot(3) + 8, first_off, false);
    expect_corrupt(DbFormat::Ndb, &b, "overlap");

    let mut b = good.clone();
    put32(&mut b, slot(2) + 8, u32::MAX, false);
    expect_corrupt(DbFormat::Ndb, &b, "pass the file's end");

    let mut b = good.clone();
    put32(&mut b, slot(2) + 12, u32::MAX, false);
    expect_corrupt(DbFormat::Ndb, &b, "pass the file's end");

    let mut b = good.clone();
    b[slot(5)] = b'X';
    expect_corrupt(DbFormat::Ndb, &b, "slot 5 (offset 80) lacks the Slot magic");

    // A damaged blob is one skipped package, with a warning.
    let mut b = good.clone();
    let blob_start = first_off as usize * 16;
    b[blob_start + 100] ^= 0xff;
    let r = read(DbFormat::Ndb, &b).unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("adler32"), "{:?}", r.warnings);
    assert_eq!(r.packages.len(), 5);
}

// ---------------------------------------------------------------------------------------- sqlite

fn varint(mut v: u64) -> Vec<u8> {
    // Small values only (the tests need at most a few thousand).
    assert!(v < 1 << 14);
    if v < 0x80 {
        return vec![v as u8];
    }
    let hi = (v >> 7) as u8 | 0x80;
    v &= 0x7f;
    vec![hi, v as u8]
}

/// A sqlite record of (serial type, body) columns.
fn record(cols: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let types: Vec<u8> = cols.iter().flat_map(|(t, _)| varint(*t)).collect();
    let mut out = varint(types.len() as u64 + 1);
    assert_eq!(out.len(), 1);
    out.extend(types);
    for (_, body) in cols {
        out.extend(body);
    }
    out
}

fn text(s: &str) -> (u64, Vec<u8>) {
    (13 + 2 * s.len() as u64, s.as_bytes().to_vec())
}

const PS: usize = 512;

/// A table leaf page holding cells (already encoded), header at `hdr`.
fn leaf(hdr: usize, cells: &[Vec<u8>]) -> Vec<u8> {
    let mut p = vec![0u8; PS];
    p[hdr] = 0x0D;
    p[hdr + 3..hdr + 5].copy_from_slice(&(cells.len() as u16).to_be_bytes());
    let mut end = PS;
    for (i, c) in cells.iter().enumerate() {
        end -= c.len();
        p[end..end + c.len()].copy_from_slice(c);
        let at = hdr + 8 + 2 * i;
        p[at..at + 2].copy_from_slice(&(end as u16).to_be_bytes());
    }
    p[hdr + 5..hdr + 7].copy_from_slice(&(end as u16).to_be_bytes());
    p
}

fn interior(children: &[u32], right: u32) -> Vec<u8> {
    let mut p = vec![0u8; PS];
    p[0] = 0x05;
    p[3..5].copy_from_slice(&(children.len() as u16).to_be_bytes());
    p[8..12].copy_from_slice(&right.to_be_bytes());
    let mut end = PS;
    for (i, c) in children.iter().enumerate() {
        end -= 5;
        p[end..end + 4].copy_from_slice(&c.to_be_bytes());
        p[end + 4] = i as u8; // rowid varint
        let at = 12 + 2 * i;
        p[at..at + 2].copy_from_slice(&(end as u16).to_be_bytes());
    }
    p
}

fn cell(rowid: u8, payload: &[u8]) -> Vec<u8> {
    let mut c = varint(payload.len() as u64);
    c.push(rowid);
    c.extend(payload);
    c
}

/// A database of 512-byte pages: page 1 has the schema naming `Packages` at page 2, then
/// `pages` from page 2 on.
fn sqlite_db(pages: &[Vec<u8>]) -> Vec<u8> {
    let schema = record(&[
        text("table"),
        text("Packages"),
        text("Packages"),
        (1, vec![2]),
        text("CREATE TABLE x"),
    ]);
    let mut db = leaf(100, &[cell(1, &schema)]);
    db[..16].copy_from_slice(b"SQLite format 3\0");
    db[16..18].copy_from_slice(&(PS as u16).to_be_bytes());
    db[56..60].copy_from_slice(&1u32.to_be_bytes());
    for p in pages {
        db.extend(p);
    }
    db
}

/// A minimal header blob (NAME, VERSION, RELEASE), padded to `len` bytes with a dummy tag.
fn header_blob(name: &str, pad: usize) -> Vec<u8> {
    let strings = [name, "1.0", "1"];
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (i, s) in strings.iter().enumerate() {
        for v in [1000 + i as u32, 6, data.len() as u32, 1] {
            index.extend(v.to_be_bytes());
        }
        data.extend(s.as_bytes());
        data.push(0);
    }
    for v in [1005u32, 7, data.len() as u32, pad as u32] {
        index.extend(v.to_be_bytes());
    }
    data.extend(vec![0xab; pad]);
    let mut out = Vec::new();
    out.extend(4u32.to_be_bytes());
    out.extend((data.len() as u32).to_be_bytes());
    out.extend(index);
    out.extend(data);
    out
}

fn row(rowid: u8, blob: &[u8]) -> Vec<u8> {
    let rec = record(&[(0, vec![]), (12 + 2 * blob.len() as u64, blob.to_vec())]);
    cell(rowid, &rec)
}

#[test]
fn sqlite_hand_built_reads() {
    let db = sqlite_db(&[leaf(
        0,
        &[row(1, &header_blob("a", 0)), row(2, &header_blob("b", 0))],
    )]);
    let r = read(DbFormat::Sqlite, &db).unwrap();
    assert_eq!(r.warnings, Vec::<String>::new());
    let names: Vec<_> = r.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);

    let db = sqlite_db(&[
        interior(&[3], 4),
        leaf(0, &[row(1, &header_blob("a", 0))]),
        leaf(0, &[row(2, &header_blob("b", 0))]),
    ]);
    assert_eq!(read(DbFormat::Sqlite, &db).unwrap().packages.len(), 2);
}

#[test]
fn sqlite_cyclic_btree() {
    let db = sqlite_db(&[interior(&[2], 3), leaf(0, &[])]);
    expect_corrupt(DbFormat::Sqlite, &db, "page 2 is reached twice");
    let db = sqlite_db(&[interior(&[3], 3), leaf(0, &[])]);
    expect_corrupt(DbFormat::Sqlite, &db, "page 3 is reached twice");
}

#[test]
fn sqlite_page_past_eof() {
    let db = sqlite_db(&[interior(&[], 99)]);
    expect_corrupt(
        DbFormat::Sqlite,
        &db,
        "page 99 is outside the file's 2 pages",
    );
    let db = sqlite_db(&[interior(&[], 0)]);
    expect_corrupt(DbFormat::Sqlite, &db, "page 0 is outside");
}

/// A row whose 2000-byte payload spills into an overflow chain starting at `first`.
fn spilled_row(first: u32) -> (Vec<u8>, Vec<u8>) {
    let blob = header_blob("big", 1900);
    let rec = record(&[(0, vec![]), (12 + 2 * blob.len() as u64, blob.clone())]);
    // The local part for usable size 512, per the file format's formula.
    let (u, p) = (512u64, rec.len() as u64);
    let m = ((u - 12) * 32 / 255) - 23;
    let k = m + ((p - m) % (u - 4));
    let local = if k <= u - 35 { k } else { m } as usize;
    let mut c = varint(p);
    c.push(1);
    c.extend(&rec[..local]);
    c.extend(first.to_be_bytes());
    (c, rec[local..].to_vec())
}

fn overflow_page(next: u32, data: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; PS];
    p[..4].copy_from_slice(&next.to_be_bytes());
    p[4..4 + data.len()].copy_from_slice(data);
    p
}

#[test]
fn sqlite_overflow_chains() {
    let (c, rest) = spilled_row(3);
    let chunks: Vec<&[u8]> = rest.chunks(PS - 4).collect();
    assert!(chunks.len() >= 2);
    // A good chain: pages 3, 4, ...
    let mut pages = vec![leaf(0, std::slice::from_ref(&c))];
    for (i, ch) in chunks.iter().enumerate() {
        let next = if i + 1 < chunks.len() {
            4 + i as u32
        } else {
            0
        };
        pages.push(overflow_page(next, ch));
    }
    let r = read(DbFormat::Sqlite, &sqlite_db(&pages)).unwrap();
    assert_eq!(r.packages.len(), 1, "{:?}", r.warnings);
    assert_eq!(r.packages[0].name, "big");

    // The first overflow page leads back to itself.
    let mut cyclic = pages.clone();
    cyclic[1][..4].copy_from_slice(&3u32.to_be_bytes());
    expect_corrupt(
        DbFormat::Sqlite,
        &sqlite_db(&cyclic),
        "page 3 is reached twice",
    );

    // ...or into the b-tree's own leaf.
    let mut into_tree = pages.clone();
    into_tree[1][..4].copy_from_slice(&2u32.to_be_bytes());
    expect_corrupt(
        DbFormat::Sqlite,
        &sqlite_db(&into_tree),
        "page 2 is reached twice",
    );

    // ...or past the end of the file.
    let mut past = pages.clone();
    past[1][..4].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    expect_corrupt(
        DbFormat::Sqlite,
        &sqlite_db(&past),
        "page 4294967280 is outside",
    );

    // ...or stops early.
    let mut short = pages;
    short[1][..4].copy_from_slice(&0u32.to_be_bytes());
    expect_corrupt(
        DbFormat::Sqlite,
        &sqlite_db(&short),
        "overflow chain ends after",
    );
}

#[test]
fn sqlite_hostile_cells() {
    // A cell pointer past the usable area, and a huge cell count.
    let mut p = leaf(0, &[row(1, &header_blob("a", 0))]);
    p[8..10].copy_from_slice(&0xfff0u16.to_be_bytes());
    expect_corrupt(DbFormat::Sqlite, &sqlite_db(&[p]), "outside the cell area");
    let mut p = leaf(0, &[]);
    p[3..5].copy_from_slice(&0xffffu16.to_be_bytes());
    expect_corrupt(DbFormat::Sqlite, &sqlite_db(&[p]), "65535 cell pointers");
    // A payload claiming more bytes than the file.
    let mut c = vec![0xff, 0xff, 0xff, 0x7f, 1];
    c.extend([0u8; 8]);
    expect_corrupt(
        DbFormat::Sqlite,
        &sqlite_db(&[leaf(0, &[c])]),
        "larger than the file",
    );
    // No Packages table.
    let mut db = sqlite_db(&[leaf(0, &[])]);
    let at = db.windows(8).position(|w| w == b"Packages").unwrap();
    db[at] = b'X';
    expect_corrupt(DbFormat::Sqlite, &db, "no table Packages");
    // A record whose blob column is cut short is a warning, not an error.
    let mut rec = record(&[(0, vec![]), (12 + 2 * 100, vec![1, 2, 3])]);
    rec.truncate(rec.len());
    let r = read(DbFormat::Sqlite, &sqlite_db(&[leaf(0, &[cell(7, &rec)])])).unwrap();
    assert_eq!(r.packages.len(), 0);
    assert!(
        r.warnings[0].starts_with("sqlite Packages row 7: skipped"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn sqlite_deep_tree_is_bounded() {
    // A chain of 80 interior pages, each with only a right-most child.
    let mut pages = Vec::new();
    for i in 0..80u32 {
        pages.push(interior(&[], 3 + i));
    }
    pages.push(leaf(0, &[]));
    expect_corrupt(
        DbFormat::Sqlite,
        &sqlite_db(&pages),
        "deeper than 64 levels",
    );
}
