// Package corpus reads the schedule oracle corpus (testdata/cases-public.jsonl
// in internal/schedule; its format is described in shared/testdata/schedules/
// README.md). It exists for the tests of the schedule packages, so that the
// three of them read one copy of the file the same way.
package corpus

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// Case is one line of the corpus.
type Case struct {
	ID    string   `json:"id"`
	Kind  string   `json:"kind"`
	Expr  string   `json:"expr"`
	Valid bool     `json:"valid"`
	TZ    string   `json:"tz"`
	After string   `json:"after"`
	Next  []string `json:"next"`
	Iter  []string `json:"iter"`
	Note  string   `json:"note"`
}

// Load returns the cases of one kind ("cron", "oncalendar"), or all of them
// when kind is "".
func Load(path, kind string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	defer f.Close()
	var out []Case
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var c Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		if kind == "" || c.Kind == kind {
			out = append(out, c)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	return out, nil
}
