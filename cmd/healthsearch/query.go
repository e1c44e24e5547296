package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"healthsearch/search"
)

func runQuery(args []string, stdout, stderr io.Writer) error {
	// -n and --type are query-only flags; everything else is configuration.
	qf, args, err := queryFlags(args)
	if err != nil {
		return err
	}
	cfg, rest, err := loadConfig("query", args, stderr, os.Getenv)
	if err != nil {
		return err
	}
	q := strings.Join(rest, " ")
	dict, err := loadServingDict(cfg)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	vocab, err := vocabulary(cfg)
	if err != nil {
		return err
	}
	eng, err := search.Open(cfg.Index, search.Options{Vocabulary: vocab, Dict: dict})
	if err != nil {
		return err
	}
	defer eng.Close()
	res, err := eng.Search(context.Background(), search.Request{Query: q, Type: qf.typ, Page: 1, Size: qf.size, Explain: qf.explain, FuzzyPinyin: qf.fuzzy})
	if err != nil {
		return err
	}
	relaxed := ""
	if res.Relaxed {
		relaxed = ", relaxed: not every word matched"
	}
	if res.Partial {
		relaxed += ", partial: the search ran out of its work budget"
	}
	fmt.Fprintf(stdout, "%d hits for %q (%.1f ms)%s\n", res.Total, q, res.TookMS, relaxed)
	if res.Corrected != "" {
		fmt.Fprintf(stdout, "corrected to %q\n", res.Corrected)
	}
	if ex := res.Explain; ex != nil {
		fmt.Fprintf(stdout, "ranking: %s\n", ex.Ranking)
		for _, w := range ex.Words {
			kind := "required"
			if !w.Required {
				kind = "optional"
			}
			if w.Fragment {
				kind += ", by bigrams"
			}
			fmt.Fprintf(stdout, "  word %s (%s)", w.Word, kind)
			if len(w.Synonyms) > 0 {
				fmt.Fprintf(stdout, " synonyms %s", strings.Join(w.Synonyms, ","))
			}
			if len(w.Subwords) > 0 {
				fmt.Fprintf(stdout, " sub-words %s", strings.Join(w.Subwords, ","))
			}
			fmt.Fprintln(stdout)
		}
	}
	for i, h := range res.Hits {
		fmt.Fprintf(stdout, "%2d. %s  [%s %s score %.2f]\n", i+1, h.Title, h.Type, h.Date, h.Score)
		if places := append(append([]string{}, h.Provinces...), h.Cities...); len(places) > 0 || len(h.Topics) > 0 {
			fmt.Fprintf(stdout, "    places %s  topics %s\n", strings.Join(places, ","), strings.Join(h.Topics, ","))
		}
		fmt.Fprintf(stdout, "    %s\n", plain(h.SnippetFrag))
		if h.Explain != nil {
			fmt.Fprintf(stdout, "    text score %.3f, collector bonuses %.3f\n", h.Explain.Text, h.Score-h.Explain.Text)
			for _, m := range h.Explain.Matches {
				fmt.Fprintf(stdout, "      %-8s %-7s %s ← %s  %.3f\n", m.Kind, m.Field, m.Term, m.Word, m.Score)
			}
		}
	}
	return nil
}

// queryOpts are the query command's own flags.
type queryOpts struct {
	size           int
	typ            string
	explain, fuzzy bool
}

// queryFlags takes -n N, --type T, --explain and --fuzzy-pinyin out of args.
func queryFlags(args []string) (o queryOpts, rest []string, err error) {
	o.size = 10
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !hasVal && (name == "explain" || name == "fuzzy-pinyin") {
			if name == "explain" {
				o.explain = true
			} else {
				o.fuzzy = true
			}
			continue
		}
		if !strings.HasPrefix(a, "-") || (name != "n" && name != "type") {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return o, nil, fmt.Errorf("query: flag -%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if name == "type" {
			o.typ = val
			continue
		}
		if _, err := fmt.Sscan(val, &o.size); err != nil || o.size < 1 || o.size > search.MaxPageSize {
			return o, nil, fmt.Errorf("query: -n %q is not a number from 1 to %d", val, search.MaxPageSize)
		}
	}
	return o, rest, nil
}

func vocabulary(cfg Config) (*search.Vocabulary, error) {
	v := search.DefaultVocabulary()
	if cfg.Synonyms != "" {
		data, err := os.ReadFile(cfg.Synonyms)
		if err != nil {
			return nil, fmt.Errorf("setting synonyms: %w", err)
		}
		if err := v.AddSynonyms(data); err != nil {
			return nil, fmt.Errorf("setting synonyms: %s: %w", cfg.Synonyms, err)
		}
	}
	return v, nil
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
