#!/usr/bin/env ruby
# frozen_string_literal: true

# RubyGems test vectors for palisade-version, with verdicts from Ruby's own Gem::Version.
#
# Rerun (from the repository root; Debian's ruby, i.e. Ruby 3.1 with RubyGems 3.3):
#   apt-get install -y ruby
#   ruby scripts/version-vectors/rubygems.rb [path/to/rubygems-rubysec.zip]
#
# Writes crates/palisade-version/tests/vectors/rubygems.tsv (pairs with Gem::Version#<=>'s
# verdict) and rubygems-invalid.tsv (strings Gem::Version.correct? rejects). Candidates are
# hand-written edge cases, generated combinations, random token soups, and every version found in
# the RubySec OSV zip (default /work/shared/data/advisories/rubygems-rubysec.zip, or
# $RUBYSEC_ZIP, or the first argument): range events, `versions` lists, and the versions inside
# the `patched_versions` / `unaffected_versions` requirements. Every valid/invalid decision and
# every <, =, > comes from Gem::Version.
#
# Pairs are sampled, not all pairs (thousands of versions would make millions): every adjacent
# pair of the whole candidate list sorted by Gem::Version (which pins down the complete order,
# equal runs included), 1500 random pairs for long-range checks, and all pairs of a hand-written
# chain. Output is deterministic (fixed seed) for a given Ruby and zip.
#
# Blank strings (empty or whitespace only) are left out of both files: Gem::Version reads them as
# "0", palisade's RubyGems scheme refuses them on purpose (its unit tests cover that).
#
# Ruby has no zip reader in its standard library, so the few lines below read the zip's central
# directory and inflate each JSON entry with Zlib.

require "json"
require "rubygems"
require "zlib"

ROOT = File.expand_path("../..", __dir__)
OUT = File.join(ROOT, "crates", "palisade-version", "tests", "vectors")
DEFAULT_ZIP = "/work/shared/data/advisories/rubygems-rubysec.zip"

HAND = [
  # Numbers, padding, leading zeros, trailing zeros.
  "0", "0.0", "0.0.0", "00", "000.0", "0.1", "0.01", "1", "1.0", "1.0.0", "1.0.0.0", "01",
  "01.0", "1.00", "1.01", "1.1", "1.2", "1.9", "1.10", "1.10.1", "1.11", "2", "2.0", "10",
  "1.0.1", "1.0.0.1", "1.0.0.0.0.0.1", "0.0.0.1", "1.0.10", "1.0.9",
  # Letters: prereleases, with and without dots, case, long strings.
  "1.0a", "1.0.a", "1.a", "1.0.0.a", "1.a.0", "1.0.a.0", "1.0a1", "1.0.a.1", "1.0.a1", "1.0a.1",
  "1.0.a2", "1.0.a10", "1.0.a9", "1.0.b", "1.0.b1", "1.0.A", "1.0.Z", "1.0.z", "1.0.aa",
  "1.0.ab", "1.0.alpha", "1.0.alpha1", "1.0.alpha.1", "1.0.alpha.2", "1.0.beta", "1.0.beta.1",
  "1.0.beta2", "1.0.pre", "1.0.pre1", "1.0.pre.1", "1.0.rc", "1.0.rc1", "1.0.rc2", "1.0.rc10",
  "1.0.RC1", "1.0.0.rc1", "1.0.0.beta1", "1.0.0.1.rc1", "1.0.a.b", "1.a.c", "1.0.a.0.b",
  "1.a.b", "1.a.a", "1.0.b.a", "1a1.0", "1.0abc", "1.0.0a", "2.0.0.pre", "0.a", "0.0.a",
  "1.0.a.0.0", "1.0.0.a.0.1", "1.1.a", "1.0.a.1.0", "1.0.a.01", "1.0.x.y.z",
  # Dashes: each one means ".pre.".
  "1.0-1", "1.0-a", "1.0-rc1", "1.0.pre.rc1", "1.0.rc1", "1.0-pre", "1.0-beta.2", "1.0-beta-2",
  "1.0--1", "1.0.pre.pre.1", "1-a", "1-1", "1.0-a.-b", "1.0-a-b.c", "1.0-0", "1.0-0.0",
  "1.0-a.0", "1.0-1.1", "1.0---", "1.0-x86_64", "1.13.10-x86_64-linux", "1.0-pre.1",
  "1.0-A", "1.0-rc.1", "2.0.0-rc1",
  # Surrounding whitespace (Ruby's \s: space, \t, \n, \v, \f, \r).
  " 1.0", "1.0 ", "\t1.0\n", "\v1.0\f", "\r\n1.0\r\n", "  1.0.a  ", "\n\n1\n",
  # Numbers far beyond 64 bits.
  "18446744073709551615", "18446744073709551616", "1.18446744073709551616",
  "123456789012345678901234567890", "123456789012345678901234567891", "1." + "9" * 60,
  "1." + "0" * 50 + "1", "1." + "0" * 80, "1.0.a" + "9" * 40, "0" * 40 + "1",
  # Real-world shapes.
  "5.2.4.rc1", "5.2.4", "5.2.4.1", "5.2.4.2", "6.1.7.9", "6.1.7.10", "7.0.0.alpha2",
  "7.0.0.rc3", "7.0.0", "1.13.10", "1.13.9", "1.13.10.rc1", "2.3.15", "2.3.7", "3.3.15",
  "0.12.4", "0.11.3", "1.0.3", "4.2.11.1", "4.2.11.3", "2.7.0.preview1", "3.0.0.pre.rc.1",
  "1.6.0.rc.1", "3.2.0.beta", "13.0.6", "0.2.0.dev", "1.0.0.dev.2",
  # Strings Gem::Version rejects.
  "1a", "a", "v1", "v1.0", "1.", ".1", "1..0", "1.0.", "1.0-", "1.0-.", "1.0-a.", "1.0-a..b",
  "1.0+1", "1.0_1", "1_0", "1.0 1", "1.0\0", "\u00a01.0", "1.0\u00a0", "\u30001.0", "1.\u00e9",
  "1,0", "-1", "--", "1.0-a+b", "1.0~rc1", "1.0.a_b", "=1.0", "~> 1.0", ">= 1.0", "1.0!",
  "1.0/1", "1.0:1", "\u0661.\u0660", "1.0\u200b", "\ufeff1.0", "1.0 .1", "1 .0", "x.1",
  "1.0-\u00e9", "1.0.-1"
].freeze

# A chain every pair of which is written, in Gem::Version order.
CHAIN = [
  "1.0.a", "1.0.a.1", "1.0.alpha", "1.0.b", "1.0.beta.2", "1.0-rc1", "1.0.pre", "1.0.rc1",
  "1.0.rc2", "1.0", "1.0.0.1", "1.0.1", "1.1.a", "1.1", "2"
].freeze

# Every combination of a few release and prerelease choices.
def generated
  out = []
  ["1", "1.0", "1.0.0", "1.1", "0.9"].each do |rel|
    ["", ".a", ".a1", ".b", ".rc1", ".rc.1", "-rc1", "-1", "a", ".0.a", ".pre.1"].each do |pre|
      ["", ".0", ".1", "-x"].each do |tail|
        out << rel + pre + tail
      end
    end
  end
  out
end

TOKENS = ["1", "0", "2", "9", "10", "01", ".", ".", ".", "-", "-", "a", "b", "rc", "pre",
          "alpha", "Z", "x", " ", "_", "+"].freeze

# Random token soups: some invalid, the valid ones probe the parser's corners.
def fuzzed(rng, count)
  Array.new(count) do
    Array.new(rng.rand(1..8)) { TOKENS[rng.rand(TOKENS.size)] }.join
  end
end

# The JSON entries of a zip file, read from its central directory (stored or deflated).
def zip_entries(path)
  data = File.binread(path)
  eocd = data.rindex("PK\x05\x06".b) or abort("#{path}: no end of central directory")
  count, _size, offset = data.byteslice(eocd + 10, 10).unpack("vVV")
  entries = {}
  count.times do
    abort("#{path}: bad central directory") unless data.byteslice(offset, 4) == "PK\x01\x02".b
    method, = data.byteslice(offset + 10, 2).unpack("v")
    csize, _usize, nlen, xlen, clen = data.byteslice(offset + 20, 14).unpack("VVvvv")
    local, = data.byteslice(offset + 42, 4).unpack("V")
    name = data.byteslice(offset + 46, nlen)
    offset += 46 + nlen + xlen + clen
    next unless name.end_with?(".json")

    lnlen, lxlen = data.byteslice(local + 26, 4).unpack("vv")
    raw = data.byteslice(local + 30 + lnlen + lxlen, csize)
    entries[name] = case method
                    when 0 then raw
                    when 8 then Zlib::Inflate.new(-Zlib::MAX_WBITS).inflate(raw)
                    else abort("#{path}: #{name}: compression method #{method}")
                    end
  end
  entries
end

# Every version string in the RubyGems records of the zip, in first-seen order.
def zip_versions(path)
  found = []
  zip_entries(path).sort.each do |_name, text|
    record = JSON.parse(text)
    (record["affected"] || []).each do |affected|
      next unless affected.dig("package", "ecosystem") == "RubyGems"

      (affected["ranges"] || []).each do |range|
        (range["events"] || []).each { |event| found.concat(event.values.map(&:to_s)) }
      end
      found.concat((affected["versions"] || []).map(&:to_s))
      specific = affected["database_specific"] || {}
      (specific.fetch("patched_versions", []) + specific.fetch("unaffected_versions", [])).each do |req|
        req.to_s.split(",").each do |part|
          found << part.sub(/\A\s*(?:~>|>=|<=|!=|=|>|<)?\s*/, "").rstrip
        end
      end
    end
  end
  found.uniq
end

def escape(s)
  s.each_char.map do |ch|
    case ch
    when "\\" then "\\\\"
    when "\t" then "\\t"
    when "\n" then "\\n"
    when "\r" then "\\r"
    when " " then "\\s"
    else
      ch.ord.between?(0x21, 0x7e) ? ch : format("\\u{%x}", ch.ord)
    end
  end.join
end

def verdict(a, b)
  { -1 => "<", 0 => "=", 1 => ">" }.fetch(Gem::Version.new(a) <=> Gem::Version.new(b))
end

def main
  zip = ARGV[0] || ENV["RUBYSEC_ZIP"] || DEFAULT_ZIP
  real = zip_versions(zip)
  rng = Random.new(1_234)
  candidates = (HAND + CHAIN + generated + real + fuzzed(rng, 1500)).uniq
  blank = candidates.select { |s| s =~ /\A\s*\z/ }
  candidates -= blank
  valid, invalid = candidates.partition { |s| Gem::Version.correct?(s) }
  chain_sorted = CHAIN.sort_by { |s| Gem::Version.new(s) }
  abort("the hand-written chain is not in Gem::Version order") unless chain_sorted == CHAIN

  # sort_by is not stable; ties are broken by the original position so the output is
  # deterministic.
  ordered = valid.each_with_index.sort do |(a, i), (b, j)|
    c = Gem::Version.new(a) <=> Gem::Version.new(b)
    c.zero? ? i <=> j : c
  end.map(&:first)
  pairs = ordered.each_cons(2).to_a
  1500.times { pairs << [valid[rng.rand(valid.size)], valid[rng.rand(valid.size)]] }
  CHAIN.each_with_index { |a, i| CHAIN[i..].each { |b| pairs << [a, b] } }

  header = [
    "# RubyGems ordering vectors: A<TAB>B<TAB>verdict of Gem::Version#<=> (A vs B).",
    "# Generated by scripts/version-vectors/rubygems.rb with RubyGems #{Gem::VERSION} on Ruby " \
    "#{RUBY_VERSION}; #{real.size} candidates from #{File.basename(zip)}.",
    "# Escapes: \\\\ \\t \\n \\r \\s (space) \\u{HEX}. Do not edit by hand; rerun the generator."
  ]
  seen = {}
  lines = []
  pairs.each do |a, b|
    a, b = b, a if rng.rand < 0.5
    next if seen[[a, b]]

    seen[[a, b]] = true
    lines << "#{escape(a)}\t#{escape(b)}\t#{verdict(a, b)}"
  end
  File.write(File.join(OUT, "rubygems.tsv"), (header + lines).join("\n") + "\n")

  header_invalid = [
    "# Strings Gem::Version.correct? rejects; one escaped string a line.",
    header[1],
    header[2]
  ]
  File.write(File.join(OUT, "rubygems-invalid.tsv"),
             (header_invalid + invalid.map { |s| escape(s) }).join("\n") + "\n")
  real_valid = real.count { |s| Gem::Version.correct?(s) }
  puts "rubygems: #{valid.size} valid, #{invalid.size} invalid, #{lines.size} pairs " \
       "(#{real.size} from the zip, #{real_valid} of them valid)"
end

main
