// Maven comparator for the oracle: reads JSON lines ["a", "b"] on stdin and writes one JSON line per
// input: {"cmp": -1|0|1}, the order of Maven's own org.apache.maven.artifact.versioning.ComparableVersion
// (maven-artifact 3.x, the class Maven resolves version ranges with: "1.0-alpha-1" < "1.0" == "1.0.0",
// "1.0-SNAPSHOT" < "1.0"), or {"invalid": [...]}. ComparableVersion accepts every string; the only ones
// refused here are empty or blank strings (OSV never names such a version).
// Built by scripts/oracle/run.sh: javac -cp /usr/share/maven/lib/maven-artifact-3.x.jar into .work.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.maven.artifact.versioning.ComparableVersion;

public final class MavenCmp {
    private MavenCmp() {}

    /** The strings of a JSON array of strings (the only JSON this helper reads). */
    static List<String> parseArray(String line) {
        List<String> out = new ArrayList<>();
        int i = skip(line, 0);
        if (i >= line.length() || line.charAt(i) != '[') throw new IllegalArgumentException("not an array: " + line);
        i = skip(line, i + 1);
        if (i < line.length() && line.charAt(i) == ']') return out;
        while (true) {
            if (i >= line.length() || line.charAt(i) != '"') throw new IllegalArgumentException("not a string: " + line);
            StringBuilder sb = new StringBuilder();
            i++;
            while (true) {
                if (i >= line.length()) throw new IllegalArgumentException("unterminated string: " + line);
                char c = line.charAt(i++);
                if (c == '"') break;
                if (c != '\\') { sb.append(c); continue; }
                if (i >= line.length()) throw new IllegalArgumentException("bad escape: " + line);
                char e = line.charAt(i++);
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u':
                        if (i + 4 > line.length()) throw new IllegalArgumentException("bad \\u escape: " + line);
                        sb.append((char) Integer.parseInt(line.substring(i, i + 4), 16));
                        i += 4;
                        break;
                    default: throw new IllegalArgumentException("bad escape: " + line);
                }
            }
            out.add(sb.toString());
            i = skip(line, i);
            if (i < line.length() && line.charAt(i) == ',') { i = skip(line, i + 1); continue; }
            if (i < line.length() && line.charAt(i) == ']') return out;
            throw new IllegalArgumentException("expected , or ]: " + line);
        }
    }

    static int skip(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            List<String> pair = parseArray(line);
            if (pair.size() != 2) throw new IllegalArgumentException("expected two strings: " + line);
            String a = pair.get(0), b = pair.get(1);
            List<String> bad = new ArrayList<>();
            if (a.isBlank()) bad.add(a);
            if (b.isBlank()) bad.add(b);
            if (!bad.isEmpty()) {
                StringBuilder sb = new StringBuilder("{\"invalid\": [");
                for (int k = 0; k < bad.size(); k++) sb.append(k > 0 ? ", " : "").append(quote(bad.get(k)));
                out.write(sb.append("]}\n").toString());
                continue;
            }
            int c = Integer.signum(new ComparableVersion(a).compareTo(new ComparableVersion(b)));
            out.write("{\"cmp\": " + c + "}\n");
        }
        out.flush();
    }
}
