// Go module version comparator for the oracle: reads JSON lines ["a", "b"] on stdin and writes
// one JSON line per input: {"cmp": -1|0|1} from golang.org/x/mod/semver.Compare, or
// {"invalid": [...]} naming the strings semver.IsValid refuses. Versions are taken as given
// (the oracle adds the leading "v"). Build in GOPATH mode, with no downloads:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go build -o OUT scripts/oracle/gocmp
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

type result struct {
	Cmp     *int     `json:"cmp,omitempty"`
	Invalid []string `json:"invalid,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		var pair [2]string
		if err := json.Unmarshal([]byte(line), &pair); err != nil {
			os.Stderr.WriteString("gocmp: bad input line: " + line + "\n")
			os.Exit(2)
		}
		var r result
		for _, s := range pair {
			if !semver.IsValid(s) {
				r.Invalid = append(r.Invalid, s)
			}
		}
		if r.Invalid == nil {
			c := semver.Compare(pair[0], pair[1])
			r.Cmp = &c
		}
		if err := enc.Encode(r); err != nil {
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		os.Stderr.WriteString("gocmp: " + err.Error() + "\n")
		os.Exit(2)
	}
}
