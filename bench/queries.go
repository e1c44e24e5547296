package bench

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ReadQueries reads a query list: one query a line, blank lines and lines
// starting with '#' skipped. A list without queries is an error.
func ReadQueries(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer f.Close()
	var qs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if q := strings.TrimSpace(sc.Text()); q != "" && !strings.HasPrefix(q, "#") {
			qs = append(qs, q)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("queries %s: %w", path, err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("queries %s: no queries", path)
	}
	return qs, nil
}
