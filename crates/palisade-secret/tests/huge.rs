//! A 2 GB single-line file, generated on the fly (nothing on disk), scanned in bounded memory.
//! Alone in its test binary so the peak-RSS measurement sees only this test.

use std::io::Read;

use palisade_secret::Scanner;

const SECRET: &[u8] = b" AKIAQ7DZ3WXN5RT2LMBV ";
const SIZE: u64 = 2 << 30;

/// 2 GiB of `a` without a newline, with an AWS key id planted at three offsets.
struct Huge {
    pos: u64,
    plants: [u64; 3],
}

impl Read for Huge {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = usize::try_from((SIZE - self.pos).min(buf.len() as u64)).unwrap();
        let out = &mut buf[..n];
        out.fill(b'a');
        for &p in &self.plants {
            for (i, &b) in SECRET.iter().enumerate() {
                let at = p + i as u64;
                if at >= self.pos && at < self.pos + n as u64 {
                    out[(at - self.pos) as usize] = b;
                }
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn two_gigabyte_single_line_in_bounded_memory() {
    let scanner = Scanner::builtin();
    let before = peak_rss_kib();
    let plants = [1_000, SIZE / 2 + 12_345, SIZE - 100];
    let scan = scanner
        .scan_reader("data/blob.txt", Huge { pos: 0, plants }, None)
        .unwrap();
    let after = peak_rss_kib();
    assert_eq!(scan.bytes, SIZE);
    let offsets: Vec<u64> = scan.findings.iter().map(|f| f.offset).collect();
    assert_eq!(offsets, plants.map(|p| p + 1).to_vec());
    assert!(
        scan.findings
            .iter()
            .all(|f| f.start_line == 1 && f.match_line.contains("********************"))
    );
    assert!(scan.large);
    // One window is about 1.1 MiB; allow generous slack for the allocator and test harness.
    assert!(
        after.saturating_sub(before) < 48 * 1024,
        "peak RSS grew by {} KiB",
        after - before
    );
}
