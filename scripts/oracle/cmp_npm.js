// node-semver comparator for the oracle: reads JSON lines ["a", "b"] on stdin and writes one
// JSON line per input: {"cmp": -1|0|1} (semver.compare, which ignores build metadata), or
// {"invalid": [...]} naming the strings that semver.valid refuses (strict, as npm's registry
// writes versions). Needs NODE_PATH pointing at a node_modules holding `semver`.
'use strict';
const semver = require('semver');
const readline = require('readline');

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
rl.on('line', (line) => {
  line = line.trim();
  if (!line) return;
  const [a, b] = JSON.parse(line);
  const bad = [a, b].filter((s) => semver.valid(s) === null);
  if (bad.length) out.push(JSON.stringify({ invalid: bad }));
  else out.push(JSON.stringify({ cmp: semver.compare(a, b) }));
  if (out.length >= 4096) process.stdout.write(out.splice(0).join('\n') + '\n');
});
rl.on('close', () => {
  if (out.length) process.stdout.write(out.join('\n') + '\n');
});
