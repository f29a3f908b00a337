<?php
/*
 * Composer version test vectors for palisade-version, with verdicts from Composer's own
 * composer/semver (Debian's `composer` package ships it under /usr/share/php/Composer/Semver).
 *
 * Rerun (from anywhere):
 *     apt-get install -y php-cli composer
 *     php scripts/version-vectors/composer.php
 *
 * Writes, under crates/palisade-version/tests/vectors/:
 *   composer-normalized.tsv  input<TAB>VersionParser::normalize(input), for every candidate it
 *                            accepts;
 *   composer-invalid.tsv     the candidates normalize throws on;
 *   composer.tsv             A<TAB>B<TAB>verdict for versions that are not dev- branches: both are
 *                            normalized and compared with Comparator::lessThan / equalTo /
 *                            greaterThan, exactly as Semver::sort does (Comparator hands them to
 *                            PHP's version_compare); exactly one of the three must hold;
 *   composer-branches.tsv    A<TAB>B<TAB>verdict where either side normalizes to a dev- branch:
 *                            "=" when Composer's requirement matching (Constraint::matches, as
 *                            Semver::satisfies and `composer audit` use it) finds them equal, "!"
 *                            when it finds them neither equal nor ordered (it never orders a
 *                            branch). Comparator alone would put every branch below every
 *                            version; the script checks that it does, and records the matching
 *                            verdict, which palisade follows.
 *
 * Candidates are hand-written (HAND), plus deterministic mutations of them (fixed seed). Every
 * verdict comes from composer/semver. PHP's version_compare reads numbers into a 64-bit long, so
 * pairs with a number of more than 18 significant digits are left out of composer.tsv (palisade
 * compares numbers of any length by value; its unit tests cover them).
 */

require '/usr/share/php/Composer/Semver/autoload.php';

use Composer\Semver\Comparator;
use Composer\Semver\Constraint\Constraint;
use Composer\Semver\VersionParser;

const OUT = __DIR__ . '/../../crates/palisade-version/tests/vectors';

const HAND = [
    // Plain numbers: one to four parts, five parts, leading zeros, long numbers.
    '0', '1', '01', '1.0', '1.0.0', '1.0.0.0', '1.0.0.0.0', '1.2', '1.2.3', '1.2.3.4', '1.2.3.4.5',
    '1.9', '1.10', '1.01', '1.001', '1.0.1', '1.0.10', '2', '2.0', '10.0', '0.0.0.0', '0.0.0.1',
    '99999', '100000', '12345.1', '1.99999999', '1.123456789012345678', '1.999999999999999999',
    '1.9999999999999999999', '1.99999999999999999999999', '1.2.3.0', '1.2.3.00', '00001.2',
    // v prefix and case.
    'v1', 'v1.0', 'v1.2.3', 'V1.2.3', 'v1.2.3.4', 'vv1.0', 'v', 'v.1', 'v 1.0', 'version1',
    // Stabilities, with and without numbers and separators.
    '1.0-dev', '1.0dev', '1.0.dev', '1.0_dev', '1.0-DEV', '1.0-Dev',
    '1.0-alpha', '1.0-alpha1', '1.0-alpha.1', '1.0-alpha-1', '1.0-alpha2', '1.0-alpha10', '1.0alpha',
    '1.0-a', '1.0-a1', '1.0a1', '1.0.a1', '1.0_a1', '1.0-ALPHA1', '1.0-Alpha1',
    '1.0-beta', '1.0-beta1', '1.0-beta.1', '1.0-beta-1', '1.0-beta2', '1.0-beta10', '1.0-beta1.2',
    '1.0-beta1-2', '1.0-beta.1.2', '1.0-b', '1.0-b1', '1.0b2', '1.0-BETA1', '1.0-Beta2',
    '1.0-RC', '1.0-RC1', '1.0-rc1', '1.0-Rc1', '1.0RC1', '1.0-rc.1', '1.0-RC2', '1.0-RC10',
    '1.0-patch', '1.0-patch1', '1.0-patch.1', '1.0-pl', '1.0-pl1', '1.0-p', '1.0-p1', '1.0p2',
    '1.0-PATCH1', '1.0-PL1', '1.0-P1',
    '1.0-stable', '1.0-stable1', '1.0-STABLE', '1.0-Stable', '1.0-stable-dev', '1.0stable',
    '1.0-alpha-dev', '1.0-alpha1-dev', '1.0-beta-dev', '1.0-beta1-dev', '1.0-beta1.dev',
    '1.0-beta1dev', '1.0-RC1-dev', '1.0-patch1-dev', '1.0-b-dev', '1.0-pldev', '1.0-adev',
    '1.0.0-beta.1', '1.0.0-beta.11', '1.0.0-rc.1', '2.0.0-alpha', '2.0.0-beta', '2.0.0-RC1',
    '2.0.0', '2.0.0-patch1', '2.0.0.1', '2.0.1-dev', '1.2.3-beta2', '1.2.3.4-beta2', '1.2-beta',
    // Odd suffixes Composer still takes, and ones it does not.
    '1.', '1.0.', '1.0-', '1.0_', '1.0.-dev', '1.0.0.-dev', '1.0-.dev', 'v1_', '1.0--beta',
    '1.0-gamma', '1.0-beta1a', '1.0-beta-a', '1.0-alpha_1', '1.0.0-beta+1', '1.0-p1-p2',
    '1.0-rc-dev', '1.0-alpha.beta', '1.0-0', '1.0-1', '1.0.0-1', '1.0 -dev',
    // Build metadata, aliases, stability flags, whitespace.
    '1.0+build', '1.0.0-beta+exp.sha.5114f85', '1.0+', '+1.0', '1.0+a+b', '1.0+a,b', '1.0+a b',
    '1.0,2.0', '1.0 as 2.0', '1.0 as  2.0', '1.0  as 2.0', '1.0 AS 2.0', '1.0 as', 'dev-x as 1.0',
    '1.0@dev', '1.0@beta', '1.0@RC', '1.0@stable', '1.0@alpha', '1.0@Dev', '1.0@foo', '1.0@',
    '1.0@dev@dev', ' 1.0', '1.0 ', "\t1.0\n", "1.0\x0b", "1.0\x0c", "1.0\x00", "1.0\n@dev",
    "1.0\r", '1.0 1', '1 .0',
    // Dates.
    '2010.01.02', '2010-01-02', '2010:01:02', '20100102', '2010.01', '2010-01', '201001',
    '2010-1', '2010-1-02', '2010-01-02-5', '2010-01-02.123', '2010-01-02-1234',
    '2010.01.02.03.04', '2010.01.02.03.04.05', '2010-01-02-03-04-05-06', '2010-01-02-03-04-05-06-7',
    '2010-01-02-03-04-05-06-07', '2010-01-02-03-04-05-06-789', '2010-01-02-03-04-05-06-7890',
    '2010010203040506070', '20100102030405060708', '2010-01-02-beta', '2010-01-02-beta1',
    '2010-01-02-dev', '2010-01-02-patch1', '2010-01-02RC1', 'v2010-01-02', '2010-01-03',
    '2011-01-01', '20100102-5', '123456', '123456.1', '1234567', '1234567.1', '9999999',
    '9999999-dev', '2010..01', '2010-01--02', '2010::01', '2010.1.2', '2010.01.02.0',
    // Numbered branches.
    '1.x-dev', '1.X-dev', '1.*-dev', '1.x.x-dev', '1.0.x-dev', '1.2.3.x-dev', '1.x.3-dev',
    '1.x.x.x.x-dev', 'v1.x-dev', 'V2.x-DEV', '1.x.dev', '1.xdev', '1-dev', '1.x', '1.x-beta',
    '2.x-dev', '0.x-dev', '10.x-dev', '123456-dev', '1234567-dev', '1.x -dev', "foo\n1.x-dev",
    "a\nb-dev", 'x-dev', '.x-dev', 'dev', '-dev', '1.0.0.0-dev', '1.9999999.9999999.9999999-dev',
    '8.x-1.0', '8.x-1.x-dev',
    // Branches.
    'dev-master', 'dev-main', 'dev-trunk', 'dev-default', 'dev-feature/foo', 'dev-1.0',
    'dev-1.x', 'DEV-Master', 'Dev-master', 'dev-Master', 'dev-', 'dev-a b', 'dev-foo#abc123',
    'master', 'trunk', 'default', 'Master', 'main', 'master@dev', 'dev-master@dev',
    'dev-master as 1.0.x-dev', "dev-\u{fc}ber", "1.0+\u{fc}",
    // Not versions at all.
    '', ' ', 'a', 'abc', 'latest', '*', '1.*', '^1.0', '~1.0', '>=1.0', '1.0 - 2.0', '1.0|2.0',
    '1.0.0.0.0.0', '1.0a.1', 'x1.0', "\u{fc}1.0", "1.0\u{e9}", "1.0-\u{e9}",
];

/** Pieces to glue onto candidates, so pairs reach the fine rules. */
const MUTATIONS = [
    '-dev', '-alpha', '-beta1', '-RC1', '-patch1', '.1', '.0', '-p1', '1', '-beta1-dev', '.x-dev',
    'a', 'b', '-stable',
];

function mutate(string $s): string
{
    switch (mt_rand(0, 3)) {
        case 0:
            return $s . MUTATIONS[mt_rand(0, count(MUTATIONS) - 1)];
        case 1:
            if (preg_match_all('/\d/', $s, $m, PREG_OFFSET_CAPTURE) > 0) {
                $pos = $m[0][mt_rand(0, count($m[0]) - 1)][1];
                return substr($s, 0, $pos) . mt_rand(0, 9) . substr($s, $pos + 1);
            }
            return $s . '1';
        case 2:
            return (strncasecmp($s, 'v', 1) === 0) ? substr($s, 1) : 'v' . $s;
        default:
            $cut = strrpos($s, '-');
            return $cut === false ? $s . '-beta' : substr($s, 0, $cut);
    }
}

/** The escaping of the vector files: \\ \t \n \r \s and \u{HEX} for everything not printable ASCII. */
function escape(string $s): string
{
    $out = '';
    foreach (preg_split('//u', $s, -1, PREG_SPLIT_NO_EMPTY) as $ch) {
        if ($ch === '\\') {
            $out .= '\\\\';
        } elseif ($ch === "\t") {
            $out .= '\t';
        } elseif ($ch === "\n") {
            $out .= '\n';
        } elseif ($ch === "\r") {
            $out .= '\r';
        } elseif ($ch === ' ') {
            $out .= '\s';
        } elseif (strlen($ch) === 1 && ord($ch) >= 0x21 && ord($ch) <= 0x7e) {
            $out .= $ch;
        } else {
            $out .= sprintf('\u{%x}', codepoint($ch));
        }
    }
    return $out;
}

/** The code point of one UTF-8 character. */
function codepoint(string $ch): int
{
    $b = array_values(unpack('C*', $ch));
    switch (count($b)) {
        case 1:
            return $b[0];
        case 2:
            return (($b[0] & 0x1f) << 6) | ($b[1] & 0x3f);
        case 3:
            return (($b[0] & 0x0f) << 12) | (($b[1] & 0x3f) << 6) | ($b[2] & 0x3f);
        default:
            return (($b[0] & 0x07) << 18) | (($b[1] & 0x3f) << 12) | (($b[2] & 0x3f) << 6)
                | ($b[3] & 0x3f);
    }
}

function is_branch(string $normalized): bool
{
    return strncmp($normalized, 'dev-', 4) === 0;
}

/** Whether version_compare would read a number of the normal form past a 64-bit long. */
function has_long_number(string $normalized): bool
{
    preg_match_all('/\d+/', $normalized, $m);
    foreach ($m[0] as $run) {
        if (strlen(ltrim($run, '0')) > 18) {
            return true;
        }
    }
    return false;
}

/** Semver::sort's comparison: Comparator on the normal forms. */
function comparator_verdict(string $na, string $nb): string
{
    $lt = Comparator::lessThan($na, $nb);
    $eq = Comparator::equalTo($na, $nb);
    $gt = Comparator::greaterThan($na, $nb);
    if ((int) $lt + (int) $eq + (int) $gt !== 1) {
        fwrite(STDERR, "Comparator gives no single verdict for $na vs $nb\n");
        exit(1);
    }
    return $lt ? '<' : ($eq ? '=' : '>');
}

/** Requirement matching: does version $na satisfy "$op $nb"? (Constraint::matches, branches off.) */
function satisfies(string $na, string $op, string $nb): bool
{
    return (new Constraint($op, $nb))->matches(new Constraint('==', $na));
}

function matching_verdict(string $na, string $nb): string
{
    $lt = satisfies($na, '<', $nb);
    $eq = satisfies($na, '==', $nb);
    $gt = satisfies($na, '>', $nb);
    if ((int) $lt + (int) $eq + (int) $gt > 1) {
        fwrite(STDERR, "requirement matching gives several verdicts for $na vs $nb\n");
        exit(1);
    }
    return $lt ? '<' : ($eq ? '=' : ($gt ? '>' : '!'));
}

function write_file(string $name, array $header, array $lines): void
{
    file_put_contents(OUT . '/' . $name, implode("\n", array_merge($header, $lines)) . "\n");
}

mt_srand(20240611);
$parser = new VersionParser();

$candidates = HAND;
foreach ([HAND, HAND] as $round) {
    foreach ($round as $s) {
        $candidates[] = mutate($s);
    }
}
$candidates = array_values(array_unique($candidates));

$normal = [];
$invalid = [];
foreach ($candidates as $s) {
    if ($s === '') {
        continue; // An empty line cannot be written; unit tests cover it.
    }
    try {
        $normal[$s] = $parser->normalize($s);
    } catch (UnexpectedValueException $e) {
        $invalid[] = $s;
    }
}

$versions = [];
$branchy = [];
foreach ($normal as $s => $n) {
    $s = (string) $s;
    if (is_branch($n)) {
        $branchy[] = $s;
    } elseif (!has_long_number($n)) {
        $versions[] = $s;
    }
}

// Adjacent pairs of the sorted list pin the whole order down; random pairs add long-range
// checks; each hand-written version against a mutation of itself adds close ones.
$sorted = $versions;
usort($sorted, function ($a, $b) use ($normal) {
    $v = comparator_verdict($normal[$a], $normal[$b]);
    return $v === '<' ? -1 : ($v === '=' ? 0 : 1);
});
$pairs = [];
for ($i = 0; $i + 1 < count($sorted); $i++) {
    $pairs[] = [$sorted[$i], $sorted[$i + 1]];
}
for ($i = 0; $i < 400; $i++) {
    $pairs[] = [$versions[mt_rand(0, count($versions) - 1)], $versions[mt_rand(0, count($versions) - 1)]];
}
foreach (HAND as $s) {
    $m = mutate($s);
    if (isset($normal[$s], $normal[$m]) && in_array($s, $versions, true) && in_array($m, $versions, true)) {
        $pairs[] = [$s, $m];
    }
}

$seen = [];
$lines = [];
$counts = ['<' => 0, '=' => 0, '>' => 0];
foreach ($pairs as [$a, $b]) {
    if (mt_rand(0, 1) === 1) {
        [$a, $b] = [$b, $a];
    }
    if (isset($seen["$a\t$b"])) {
        continue;
    }
    $seen["$a\t$b"] = true;
    $v = comparator_verdict($normal[$a], $normal[$b]);
    if (matching_verdict($normal[$a], $normal[$b]) !== $v) {
        fwrite(STDERR, "Comparator and requirement matching disagree on $a vs $b\n");
        exit(1);
    }
    $counts[$v]++;
    $lines[] = escape($a) . "\t" . escape($b) . "\t" . $v;
}

// Branches against branches and against a sample of versions.
$branch_lines = [];
$others = array_merge($branchy, array_slice($sorted, 0, 400, false));
$branch_counts = ['=' => 0, '!' => 0];
foreach ($branchy as $a) {
    foreach ($others as $b) {
        if (isset($seen["$a\t$b"]) || isset($seen["$b\t$a"]) || (!in_array($b, $branchy, true) && mt_rand(0, 9) !== 0)) {
            continue;
        }
        $seen["$a\t$b"] = true;
        [$na, $nb] = [$normal[$a], $normal[$b]];
        $v = matching_verdict($na, $nb);
        if ($v !== '=' && $v !== '!') {
            fwrite(STDERR, "requirement matching orders branch pair $a vs $b: $v\n");
            exit(1);
        }
        if (is_branch($na) !== is_branch($nb) && comparator_verdict($na, $nb) !== (is_branch($na) ? '<' : '>')) {
            fwrite(STDERR, "Comparator does not put branch below version: $a vs $b\n");
            exit(1);
        }
        $branch_counts[$v]++;
        $branch_lines[] = escape($a) . "\t" . escape($b) . "\t" . $v;
    }
}

$tool = sprintf(
    'composer/semver from Debian\'s composer %s on PHP %s',
    trim((string) shell_exec("dpkg-query -W -f='\${Version}' composer 2>/dev/null")) ?: 'unknown',
    PHP_VERSION
);
$escapes = '# Escapes: \\\\ \\t \\n \\r \\s (space) \\u{HEX}. Do not edit by hand; rerun the generator.';
$by = "# Generated by scripts/version-vectors/composer.php with $tool.";

write_file('composer.tsv', [
    '# Composer version ordering: A<TAB>B<TAB>verdict of Comparator::lessThan/equalTo/greaterThan on',
    '# VersionParser::normalize(A) and normalize(B), as Semver::sort compares (version_compare).',
    '# dev- branches are in composer-branches.tsv; numbers over 18 digits are left out.',
    $by,
    $escapes,
], $lines);

write_file('composer-branches.tsv', [
    '# Composer dev- branches: A<TAB>B<TAB>verdict of requirement matching (Constraint::matches with',
    '# branches not compared, as Semver::satisfies): = when A satisfies "== B", ! when A satisfies',
    '# none of "< B", "== B", "> B". (Comparator alone puts every branch below every version.)',
    $by,
    $escapes,
], $branch_lines);

$norm_lines = [];
foreach ($normal as $s => $n) {
    $norm_lines[] = escape((string) $s) . "\t" . escape($n);
}
write_file('composer-normalized.tsv', [
    '# Composer normal forms: input<TAB>VersionParser::normalize(input).',
    $by,
    $escapes,
], $norm_lines);

write_file('composer-invalid.tsv', [
    '# Strings VersionParser::normalize throws on; one escaped string a line.',
    $by,
    $escapes,
], array_map('escape', $invalid));

printf(
    "composer: %d candidates, %d normalized, %d invalid, %d pairs (%d <, %d =, %d >), %d branch pairs (%d =, %d !)\n",
    count($candidates),
    count($normal),
    count($invalid),
    count($lines),
    $counts['<'],
    $counts['='],
    $counts['>'],
    count($branch_lines),
    $branch_counts['='],
    $branch_counts['!']
);
