#!/usr/bin/env python3
"""Tabulate the JSON reports of score.py (written by eval/run.sh).

  python3 report.py --scores DIR --out results.md [--docs-seeds N] [--docs-all N] [--seconds S]

DIR holds ENGINE.SET.json files. Prints the table and writes it, with the
details, as Markdown to --out.
"""
import argparse, datetime, glob, json, os, sys

SETS = [
    ("seeds", "dev_seeds.jsonl", "seeds"),
    ("corpus", "dev_corpus.jsonl", "seeds + corpus"),
    ("seeds-in-all", "dev_seeds.jsonl", "seeds + corpus"),
    ("ask-question", "ask_question_dev.jsonl", "seeds + corpus"),
    ("ask-full", "ask_full_dev.jsonl", "seeds + corpus"),
    ("typo", "typo_dev.jsonl", "seeds + corpus"),
]
ENGINES = [("healthsearch", "healthsearch (gse + vocabulary)"), ("baseline", "cjk bigram baseline")]


def count(expr):
    try:
        return sum(int(x) for x in (expr or "").split("+") if x)
    except ValueError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scores", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs-seeds")
    ap.add_argument("--docs-all")
    ap.add_argument("--seconds", type=int)
    a = ap.parse_args()

    reports = {}
    for path in glob.glob(os.path.join(a.scores, "*.*.json")):
        engine, name = os.path.basename(path)[:-5].split(".", 1)
        with open(path, encoding="utf-8") as fh:
            reports[(engine, name)] = json.load(fh)
    docs = {"seeds": count(a.docs_seeds), "seeds + corpus": count(a.docs_all)}

    head = ["set", "queries", "index (docs)", "engine", "nDCG@10", "MRR", "S@1", "S@10", "R@10", "no-rel hits"]
    rows = []
    for set_name, qfile, index in SETS:
        for engine, label in ENGINES:
            r = reports.get((engine, set_name))
            if r is None:
                continue
            s = r["summary"]
            norel = [q.get("total") for q in r["queries"] if not q["expected"]]
            rows.append([
                set_name, qfile, "%s (%s)" % (index, docs.get(index) or "?"), label,
                "%.3f" % s["ndcg"], "%.3f" % s["mrr"], "%.2f" % s["s1"], "%.2f" % s["s10"], "%.3f" % s["recall"],
                ",".join(str(n) for n in norel) or "-",
            ])
    if not rows:
        sys.exit("no reports in %s" % a.scores)

    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths))
    print(line(head))
    for r in rows:
        print(line(r))

    deltas = []
    for set_name, metric, label in (("seeds", "ndcg", "nDCG@10"), ("corpus", "mrr", "MRR"), ("seeds-in-all", "ndcg", "nDCG@10"),
                                     ("ask-question", "mrr", "MRR"), ("ask-full", "mrr", "MRR"), ("typo", "mrr", "MRR")):
        ours, base = reports.get(("healthsearch", set_name)), reports.get(("baseline", set_name))
        if ours and base:
            deltas.append("%s %s: %+.3f" % (set_name, label, ours["summary"][metric] - base["summary"][metric]))
    if deltas:
        print("gain over baseline: " + "; ".join(deltas))

    md = ["# Relevance: healthsearch vs the cjk-bigram baseline", "",
          "Written by `make eval` (eval/run.sh) on %s%s. Do not edit by hand." % (
              datetime.date.today().isoformat(), " in %d s" % a.seconds if a.seconds else ""), "",
          "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md += ["", "Gain over the baseline: " + "; ".join(deltas) if deltas else "", "",
           "* **seeds**: the hand-judged dev queries over the 5 seed pages and their related items, on an index of the seeds.",
           "* **corpus**: known-item queries over the generated medical corpus (corpus/make_pages.py), on seeds + corpus.",
           "* **seeds-in-all**: the seed queries again, on seeds + corpus: the same judgments with 14k distractors.",
           "* **ask-question**: the asker's own question sentence (raw Q&A `ask` column, never shown on the pages), "
           "judged as a known item; **ask-full**: the asker's whole description cut at a sentence end to ≤ 100 "
           "characters; **typo**: the corpus known-item queries with one character replaced by a homophone.",
           "* **baseline**: the same documents (copied from the healthsearch index) indexed with bleve's `cjk` analyzer "
           "on title, body and snippet, one BM25 match query per field (any bigram matches, title boosted ×3), the same "
           "filters; no segmentation, dictionary, synonyms, stop words, traditional-character folding or relaxation "
           "(eval/baseline).",
           "* Metrics as in eval/README.md: grades by (type, title); nDCG@10 with gain 2^g−1; MRR, S@k and R@10 count "
           "grade ≥ 2; *no-rel hits* is the total the engine returned for each query that has no relevant document "
           "(fewer is better).", ""]
    with open(a.out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(md))


if __name__ == "__main__":
    main()
