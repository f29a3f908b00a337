// Maven version test vectors for palisade-version, with verdicts from Maven's own
// org.apache.maven.artifact.versioning.ComparableVersion (maven-artifact).
//
// Run through scripts/version-vectors/maven.sh, which compiles this file into .work/ against
// Debian's maven-artifact jar. Arguments: OUT_DIR TOOL_DESCRIPTION CANDIDATE_FILE...
//
// Every candidate is compared with every other one. ComparableVersion is not a total order
// (MNG-5568, MNG-6568): some triples of candidates get verdicts that no ranking can satisfy
// (a < b < c < a, or a = b = c with a < c, ...). Candidates are therefore of two kinds. Core
// candidates must get consistent verdicts among themselves (the run fails otherwise); every
// pair of them goes to maven.tsv. Candidates listed after a line "#! contradictory" (until a
// line "#! core") are the ones that make Maven contradict itself: their pairs go to maven.tsv
// unless they lie on an inconsistent triple, and the inconsistent triples go to
// maven-inconsistent.tsv (one per triple of Maven canonical forms, to skip mere spellings).
// So maven.tsv holds only verdicts that one total order can agree with all at once.
//
// Candidate files hold one escaped version a line; blank lines and other lines starting with
// '#' are skipped. Escapes (also used in the output): backslash followed by backslash, t, n, r,
// s (a space) or u{HEX} (a code point), as in the other generators.

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenVectors {
    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: MavenVectors OUT_DIR TOOL_DESCRIPTION CANDIDATES...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        String tool = args[1];
        Map<String, Boolean> unique = new LinkedHashMap<>(); // candidate -> contradictory
        for (int f = 2; f < args.length; f++) {
            int lineNo = 0;
            boolean contradictory = false;
            for (String line : Files.readAllLines(Path.of(args[f]), StandardCharsets.UTF_8)) {
                lineNo++;
                if (line.equals("#! contradictory") || line.equals("#! core")) {
                    contradictory = line.equals("#! contradictory");
                    continue;
                }
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String c = unescape(line, args[f] + ":" + lineNo);
                unique.merge(c, contradictory, (a, b) -> a || b);
            }
        }
        List<String> cands = new ArrayList<>(unique.keySet());
        int n = cands.size();
        boolean[] contra = new boolean[n];
        for (int i = 0; i < n; i++) {
            contra[i] = unique.get(cands.get(i));
        }
        ComparableVersion[] parsed = new ComparableVersion[n];
        for (int i = 0; i < n; i++) {
            parsed[i] = new ComparableVersion(cands.get(i));
        }
        int[][] v = new int[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                v[i][j] = Integer.signum(parsed[i].compareTo(parsed[j]));
            }
        }
        for (int i = 0; i < n; i++) {
            if (v[i][i] != 0) {
                fail("not equal to itself: " + cands.get(i));
            }
            for (int j = 0; j < n; j++) {
                if (v[i][j] != -v[j][i]) {
                    fail("asymmetric verdicts: " + cands.get(i) + " vs " + cands.get(j));
                }
            }
        }

        boolean[][] excluded = new boolean[n][n];
        List<int[]> triples = new ArrayList<>();
        Set<List<String>> seenCanonical = new HashSet<>();
        int inconsistent = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                for (int k = j + 1; k < n; k++) {
                    if (rankable(v[i][j], v[j][k], v[i][k])) {
                        continue;
                    }
                    if (!contra[i] && !contra[j] && !contra[k]) {
                        fail("core candidates get inconsistent verdicts (move one after "
                                + "\"#! contradictory\"): " + cands.get(i) + ", " + cands.get(j)
                                + ", " + cands.get(k));
                    }
                    inconsistent++;
                    excluded[i][j] |= contra[i] || contra[j];
                    excluded[j][k] |= contra[j] || contra[k];
                    excluded[i][k] |= contra[i] || contra[k];
                    List<String> key = List.of(parsed[i].getCanonical(), parsed[j].getCanonical(),
                            parsed[k].getCanonical());
                    if (seenCanonical.add(key)) {
                        triples.add(new int[] {i, j, k});
                    }
                }
            }
        }

        String escapes = "# Escapes: \\\\ \\t \\n \\r \\s (space) \\u{HEX}. Do not edit by hand; "
                + "rerun scripts/version-vectors/maven.sh.";
        int pairs = 0;
        int[] counts = new int[3];
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("maven.tsv"))) {
            w.write("# Maven version ordering vectors: A<TAB>B<TAB>verdict of\n");
            w.write("# new ComparableVersion(A).compareTo(new ComparableVersion(B)), for every pair of\n");
            w.write("# candidates (scripts/version-vectors/maven-candidates.txt and the versions of\n");
            w.write("# the OSV Maven record) except those on which Maven contradicts itself: a pair\n");
            w.write("# with a \"contradictory\" candidate on a triple whose verdicts no ranking gives.\n");
            w.write("# Generated by scripts/version-vectors/MavenVectors.java with " + tool + ".\n");
            w.write(escapes + "\n");
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    if (excluded[i][j]) {
                        continue;
                    }
                    w.write(escape(cands.get(i)) + "\t" + escape(cands.get(j)) + "\t"
                            + verdict(v[i][j]) + "\n");
                    pairs++;
                    counts[v[i][j] + 1]++;
                }
            }
        }
        try (BufferedWriter w = Files.newBufferedWriter(out.resolve("maven-inconsistent.tsv"))) {
            w.write("# Triples of candidates on which ComparableVersion contradicts itself: no ranking\n");
            w.write("# of A, B and C gives all three verdicts. A<TAB>B<TAB>C<TAB>verdict(A,B)<TAB>\n");
            w.write("# verdict(B,C)<TAB>verdict(A,C). A total order can agree with two of the three.\n");
            w.write("# One triple per triple of Maven canonical forms (" + inconsistent + " in all).\n");
            w.write("# Generated by scripts/version-vectors/MavenVectors.java with " + tool + ".\n");
            w.write(escapes + "\n");
            for (int[] t : triples) {
                w.write(escape(cands.get(t[0])) + "\t" + escape(cands.get(t[1])) + "\t"
                        + escape(cands.get(t[2])) + "\t" + verdict(v[t[0]][t[1]]) + "\t"
                        + verdict(v[t[1]][t[2]]) + "\t" + verdict(v[t[0]][t[2]]) + "\n");
            }
        }
        System.out.printf("maven: %d candidates, %d pairs (< %d, = %d, > %d), %d inconsistent "
                + "triples (%d written)%n", n, pairs, counts[0], counts[1], counts[2], inconsistent,
                triples.size());
    }

    /** Whether some ranks of a, b and c give these verdicts (ab = sign(a - b), ...). */
    static boolean rankable(int ab, int bc, int ac) {
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 3; c++) {
                    if (Integer.signum(a - b) == ab && Integer.signum(b - c) == bc
                            && Integer.signum(a - c) == ac) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    static String verdict(int sign) {
        return sign < 0 ? "<" : sign > 0 ? ">" : "=";
    }

    static void fail(String message) {
        System.err.println("maven: " + message);
        System.exit(1);
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp == '\\') {
                b.append("\\\\");
            } else if (cp == '\t') {
                b.append("\\t");
            } else if (cp == '\n') {
                b.append("\\n");
            } else if (cp == '\r') {
                b.append("\\r");
            } else if (cp == ' ') {
                b.append("\\s");
            } else if (cp >= 0x21 && cp <= 0x7e) {
                b.appendCodePoint(cp);
            } else {
                b.append("\\u{").append(Integer.toHexString(cp)).append('}');
            }
        });
        return b.toString();
    }

    static String unescape(String s, String where) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (++i >= s.length()) {
                fail(where + ": trailing backslash");
            }
            char e = s.charAt(i);
            switch (e) {
                case '\\' -> b.append('\\');
                case 't' -> b.append('\t');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 's' -> b.append(' ');
                case 'u' -> {
                    int close = s.indexOf('}', i);
                    if (i + 1 >= s.length() || s.charAt(i + 1) != '{' || close < 0) {
                        fail(where + ": bad \\u escape");
                    }
                    b.appendCodePoint(Integer.parseInt(s.substring(i + 2, close), 16));
                    i = close;
                }
                default -> fail(where + ": unknown escape \\" + e);
            }
        }
        return b.toString();
    }
}
