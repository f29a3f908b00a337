//! Throughput of the secret scanner on generated data, in MB/s.
//!
//! `cargo run --release -p palisade-secret --example bench [MB]` scans MB megabytes (default 64)
//! of realistic text (configuration, source code, YAML with a planted secret every ~20 KB), of
//! binary-ish data (random bytes after a text header, so the sniff lets it through), and of
//! base64 blobs, each whole and streamed.
//!
//! `… --example bench -- --write DIR [MB]` writes the realistic text as 32 KiB files under DIR
//! instead, for timing against `trivy fs --scanners secret` (scripts/secrets/bench.sh).

use std::time::Instant;

use palisade_secret::Scanner;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn token(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

const B62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const LINES: &[&str] = &[
    "    let config = Config::from_env().context(\"reading the configuration\")?;",
    "  image: registry.internal/team/service:1.24.3",
    "        if (response.status !== 200) { throw new Error(`request failed: ${response.status}`); }",
    "LOG_LEVEL=info",
    "def handler(event, context):",
    "    return {\"statusCode\": 200, \"body\": json.dumps(result)}",
    "  - name: api-key-rotation",
    "    schedule: \"0 3 * * *\"",
    "import { createServer } from 'node:http';",
    "# The token is read from the secret store at start-up; never commit it here.",
    "func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {",
    "\tctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)",
    "    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>",
    "  resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: 100m}}",
    "SELECT id, name, created_at FROM accounts WHERE disabled = false ORDER BY id;",
    "export PATH=/usr/local/bin:$PATH",
    "",
];

fn realistic(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = String::with_capacity(size + 1024);
    let mut next_secret = 20_000;
    while out.len() < size {
        if out.len() > next_secret {
            next_secret += 20_000;
            match rng.below(4) {
                0 => out.push_str(&format!("GITHUB_TOKEN=ghp_{}\n", rng.token(B62, 36))),
                1 => out.push_str(&format!("aws_secret_access_key = {}\n", rng.token(B64, 40))),
                2 => out.push_str(&format!("STRIPE_KEY=sk_live_{}\n", rng.token(B62, 24))),
                _ => out.push_str(&format!(
                    "key: AKIA{}\n",
                    rng.token(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
                )),
            }
        }
        out.push_str(LINES[rng.below(LINES.len())]);
        out.push('\n');
    }
    out.into_bytes()
}

fn binaryish(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = b"# header text so the binary sniff lets this through\n".repeat(8);
    while out.len() < size {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out
}

fn base64_blob(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    while out.len() < size {
        out.extend_from_slice(rng.token(B64, 76).as_bytes());
        out.push(b'\n');
    }
    out
}

fn measure(scanner: &Scanner, name: &str, data: &[u8]) {
    let mb = data.len() as f64 / 1e6;
    let t = Instant::now();
    let whole = scanner.scan_bytes("app/data.txt", data);
    let w = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let streamed = scanner
        .scan_reader("app/data.txt", data, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let s = t.elapsed().as_secs_f64();
    println!(
        "{name:<22} {mb:>7.1} MB  whole {:>8.0} MB/s  streamed {:>8.0} MB/s  findings {} / {}",
        mb / w,
        mb / s,
        whole.findings.len(),
        streamed.findings.len()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    if args.first().map(String::as_str) == Some("--write") {
        let dir = args.get(1).expect("--write DIR [MB]");
        let mb: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(64);
        for i in 0..(mb * 1_000_000 / 32_768) {
            let path = format!("{dir}/d{:03}/f{i:05}.conf", i % 100);
            std::fs::create_dir_all(format!("{dir}/d{:03}", i % 100)).expect("mkdir");
            std::fs::write(&path, realistic(&mut rng, 32_768)).expect("write");
        }
        return;
    }
    let mb: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(64);
    let t = Instant::now();
    let scanner = Scanner::builtin();
    println!(
        "built {} rules in {:.0} ms",
        scanner.rules().len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let size = mb * 1_000_000;
    measure(&scanner, "realistic text", &realistic(&mut rng, size));
    measure(&scanner, "binary-ish (random)", &binaryish(&mut rng, size));
    measure(&scanner, "base64 blobs", &base64_blob(&mut rng, size));
}
