package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"healthsearch/search"
)

func runQuery(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	indexDir := fs.String("index", "data/index", "index directory")
	size := fs.Int("n", 10, "number of hits")
	typ := fs.String("type", "", "only article or related")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q := strings.Join(fs.Args(), " ")
	eng, err := search.Open(*indexDir, search.Options{})
	if err != nil {
		return err
	}
	defer eng.Close()
	req := search.Request{Query: q, Type: *typ, Page: 1, Size: *size}
	res, err := eng.Search(context.Background(), req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d hits for %q (%.1f ms)%s\n", res.Total, q, res.TookMS, map[bool]string{true: ", relaxed: not every word matched", false: ""}[res.Relaxed])
	for i, h := range res.Hits {
		fmt.Fprintf(stdout, "%2d. %s  [%s %s score %.2f]\n", i+1, h.Title, h.Type, h.Date, h.Score)
		if places := append(append([]string{}, h.Provinces...), h.Cities...); len(places) > 0 || len(h.Topics) > 0 {
			fmt.Fprintf(stdout, "    places %s  topics %s\n", strings.Join(places, ","), strings.Join(h.Topics, ","))
		}
		fmt.Fprintf(stdout, "    %s\n", plain(h.SnippetFrag))
	}
	return nil
}

// plain renders fragments for a terminal, matches in 【】.
func plain(frags []search.Fragment) string {
	var b strings.Builder
	for _, f := range frags {
		if f.Match {
			b.WriteString("【" + f.Text + "】")
		} else {
			b.WriteString(f.Text)
		}
	}
	return b.String()
}
