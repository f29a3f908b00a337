// Command go writes the Go module version vectors for palisade-version, with verdicts from
// golang.org/x/mod/semver (the package the go command and Go's vulnerability tooling use).
//
// Rerun (from the repository root; Debian's golang-golang-x-mod-dev provides the package source
// under /usr/share/gocode, so no module download is needed):
//
//	apt-get install -y golang-golang-x-mod-dev
//	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go run scripts/version-vectors/go/main.go
//
// or scripts/version-vectors/run.sh, which also records the package version in the header.
//
// It writes crates/palisade-version/tests/vectors/go.tsv (pairs with semver.Compare's verdict)
// and go-invalid.tsv (strings semver.IsValid rejects). Candidates are semver-candidates.txt, a
// few Go-only shapes and random token soups. The Rust GoVersion scheme takes module versions
// with or without the leading "v" (OSV's Go records omit it), so each candidate is judged in its
// "v" form: a "v" is prepended when missing and nothing else is changed.
package main

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/semver"
)

// goOnly adds shapes that only matter for Go: shorthand forms, pseudo-version variants and
// numbers far past 64 bits (compared as digit strings by Go, as by the Rust side).
var goOnly = []string{
	"v1", "v1.0", "v1.1", "v0", "v0.0", "v1.2", "v2", "v10", "v1.10",
	"v0.0.0-00010101000000-000000000000",
	"v0.0.0-20230101000000-1234567890ab",
	"v1.0.1-0.20230101000000-1234567890ab",
	"v1.0.0-rc.1.0.20230101000000-1234567890ab",
	"v1.0.0-20230101000000-1234567890ab",
	"v3.0.0+incompatible",
	"v1.0.0+meta.data",
	"v1.0.0-" + strings.Repeat("9", 120),
	"v1.0.0-" + strings.Repeat("9", 119),
	"v" + strings.Repeat("7", 200) + ".0.0",
	"v1." + strings.Repeat("1", 90) + ".0",
	"v1.0-pre", "v1-pre", "v1.0+build", "v1+build", "v1.0.", "v1.", "v.1", "v01", "v1.01",
	"v1.0.0-01", "v1.0.0-0", "v1.0.0-00a", "v1.0.0+00", "vV1.0.0", "v1.0.0-a.", "v1.0.0-.",
}

var tokens = []string{"0", "1", "2", "10", "01", "9", ".", ".", ".", "-", "+", "v", "alpha", "rc",
	"x", "A", "-0", " ", "1.2", "0.0", "incompatible", "20191109021931"}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 's':
			b.WriteByte(' ')
		case 'u':
			end := strings.IndexByte(s[i:], '}')
			code, err := strconv.ParseUint(s[i+2:i+end], 16, 32)
			if err != nil {
				panic(err)
			}
			b.WriteRune(rune(code))
			i += end
		default:
			panic("bad escape in " + s)
		}
	}
	return b.String()
}

func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ':
			b.WriteString(`\s`)
		case r >= 0x21 && r <= 0x7e:
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, `\u{%x}`, r)
		}
	}
	return b.String()
}

// goForm is the only change made before asking Go: the "v" that OSV records leave out.
func goForm(s string) string {
	if strings.HasPrefix(s, "v") {
		return s
	}
	return "v" + s
}

func main() {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Dir(self)
	out := filepath.Join(dir, "..", "..", "..", "crates", "palisade-version", "tests", "vectors")

	f, err := os.Open(filepath.Join(dir, "..", "semver-candidates.txt"))
	if err != nil {
		panic(err)
	}
	var candidates []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "#") {
			candidates = append(candidates, unescape(sc.Text()))
		}
	}
	f.Close()
	candidates = append(candidates, goOnly...)

	rng := rand.New(rand.NewSource(1919))
	for i := 0; i < 800; i++ {
		n := 1 + rng.Intn(7)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteString(tokens[rng.Intn(len(tokens))])
		}
		candidates = append(candidates, b.String())
	}

	seen := map[string]bool{}
	var valid, invalid []string
	for _, s := range candidates {
		if seen[s] {
			continue
		}
		seen[s] = true
		if semver.IsValid(goForm(s)) {
			valid = append(valid, s)
		} else {
			invalid = append(invalid, s)
		}
	}

	cmp := func(a, b string) int { return semver.Compare(goForm(a), goForm(b)) }
	ordered := append([]string(nil), valid...)
	sort.SliceStable(ordered, func(i, j int) bool { return cmp(ordered[i], ordered[j]) < 0 })
	var pairs [][2]string
	for i := 0; i+1 < len(ordered); i++ {
		pairs = append(pairs, [2]string{ordered[i], ordered[i+1]})
	}
	for i := 0; i < 600; i++ {
		pairs = append(pairs, [2]string{valid[rng.Intn(len(valid))], valid[rng.Intn(len(valid))]})
	}

	// The Debian package version of x/mod, when run.sh passes it; GOPATH builds carry no version.
	version := os.Getenv("XMOD_VERSION")
	if version == "" {
		version = "from GOPATH"
	}
	header := []string{
		"# Go module version vectors: A<TAB>B<TAB>verdict of golang.org/x/mod/semver.Compare (A vs B),",
		"# each judged with a leading \"v\" added when missing.",
		fmt.Sprintf("# Generated by scripts/version-vectors/go/main.go with golang.org/x/mod/semver %s and %s.", version, runtime.Version()),
		`# Escapes: \\ \t \n \r \s (space) \u{HEX}. Do not edit by hand; rerun the generator.`,
	}
	pairSeen := map[[2]string]bool{}
	var lines []string
	for _, p := range pairs {
		a, b := p[0], p[1]
		if rng.Intn(2) == 0 {
			a, b = b, a
		}
		if pairSeen[[2]string{a, b}] {
			continue
		}
		pairSeen[[2]string{a, b}] = true
		verdict := map[int]string{-1: "<", 0: "=", 1: ">"}[cmp(a, b)]
		lines = append(lines, escape(a)+"\t"+escape(b)+"\t"+verdict)
	}
	write := func(name string, head, body []string) {
		text := strings.Join(append(head, body...), "\n") + "\n"
		if err := os.WriteFile(filepath.Join(out, name), []byte(text), 0o644); err != nil {
			panic(err)
		}
	}
	write("go.tsv", header, lines)
	var esc []string
	for _, s := range invalid {
		// The empty string would be a blank line, which readers skip; unit tests cover it.
		if s != "" {
			esc = append(esc, escape(s))
		}
	}
	write("go-invalid.tsv", []string{
		"# Strings golang.org/x/mod/semver.IsValid rejects, even with a leading \"v\" added; one escaped string a line.",
		header[2], header[3],
	}, esc)
	fmt.Printf("go: %d valid, %d invalid, %d pairs\n", len(valid), len(invalid), len(lines))
}
