# RubyGems comparator for the oracle: reads JSON lines ["a", "b"] on stdin and writes one JSON line per
# input: {"cmp": -1|0|1} (Gem::Version#<=>, the order RubyGems and Bundler resolve by: "1.0.a" < "1.0",
# "1.0" == "1.0.0"), or {"invalid": [...]} naming the strings Gem::Version.correct? refuses. An empty or
# blank string is refused here too (RubyGems 3.3 still accepts it as "0", with a deprecation warning).
# Run it with Debian's ruby: `ruby scripts/oracle/cmp_gem.rb`.
require "json"
require "rubygems"

cache = {}
parse = lambda do |s|
  cache.fetch(s) do
    cache[s] = (s.is_a?(String) && !s.strip.empty? && Gem::Version.correct?(s)) ? Gem::Version.new(s) : nil
  end
end

$stdout.sync = false
$stdin.each_line do |line|
  line = line.strip
  next if line.empty?
  a, b = JSON.parse(line)
  va, vb = parse.call(a), parse.call(b)
  bad = [[a, va], [b, vb]].select { |_, v| v.nil? }.map(&:first)
  if bad.empty?
    puts JSON.generate({ "cmp" => va <=> vb })
  else
    puts JSON.generate({ "invalid" => bad })
  end
end
$stdout.flush
