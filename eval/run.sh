#!/usr/bin/env bash
# make eval: measure the engine and the cjk-bigram baseline on the dev sets.
#
# 1. generates the corpus pages once into $EVAL_CACHE/corpus (rebuilt when
#    corpus/make_pages.py or corpus/raw/ change);
# 2. builds healthsearch and eval/baseline, indexes the seeds and the seeds
#    plus the corpus;
# 3. serves each index on a free 127.0.0.1 port (healthsearch serve, and the
#    baseline built from the same documents), waits for /readyz, and runs
#    eval/score.py: dev_seeds.jsonl on both indexes, dev_corpus.jsonl on
#    seeds + corpus;
# 4. prints the table and writes eval/results.md (eval/report.py).
#
# Needs go and python3. Environment: EVAL_CACHE (default .cache), GO, PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
PY=${PYTHON:-python3}
CACHE=${EVAL_CACHE:-.cache}
# The engine's own configuration must not leak into the measurement.
for v in $(compgen -e | grep '^HEALTHSEARCH_' || true); do unset "$v"; done
CORPUS=$CACHE/corpus
WORK=$CACHE/eval
START=$(date +%s)

pids=()
cleanup() {
	for p in ${pids[@]+"${pids[@]}"}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - START))" >&2; }

mkdir -p "$WORK"
rm -rf "$WORK"/scores && mkdir -p "$WORK"/scores

step "corpus pages"
stamp=$(cat corpus/make_pages.py corpus/raw/* | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')
if [ "$(cat "$CORPUS/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
	rm -rf "$CORPUS" "$CORPUS.tmp"
	"$PY" corpus/make_pages.py --out "$CORPUS.tmp" --force -q
	echo "$stamp" >"$CORPUS.tmp/.stamp"
	mv "$CORPUS.tmp" "$CORPUS"
else
	echo "cached in $CORPUS" >&2
fi

step "build"
"$GO" build -o "$WORK/healthsearch" ./cmd/healthsearch
"$GO" build -o "$WORK/baseline" ./eval/baseline

step "index seeds"
rm -rf "$WORK/idx-seeds" "$WORK/idx-all"
"$WORK/healthsearch" index --src seeds --index "$WORK/idx-seeds" >"$WORK/index-seeds.log" 2>&1
step "index seeds + corpus"
"$WORK/healthsearch" index --src seeds --src "$CORPUS" --index "$WORK/idx-all" >"$WORK/index-all.log" 2>&1

# serve NAME CMD...: starts a server that prints "listening on http://ADDR",
# waits until /readyz answers and sets BASE.
serve() {
	local name=$1
	shift
	"$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	pids+=($!)
	local pid=$! addr=""
	for _ in $(seq 1 600); do
		addr=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$WORK/$name.out" | head -n1)
		[ -n "$addr" ] && break
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$name exited:" >&2
			cat "$WORK/$name.err" >&2
			exit 1
		fi
		sleep 0.2
	done
	[ -n "$addr" ] || { echo "$name did not start" >&2; exit 1; }
	"$PY" - "$addr" <<'EOF'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("not ready: " + sys.argv[1])
EOF
	BASE=$addr
}

stop_servers() {
	cleanup
	pids=()
}

# docs NAME: records the number of documents $BASE serves.
docs() {
	"$PY" - "$BASE" >"$WORK/scores/$1.docs" <<'EOF'
import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/api/search?q=&size=1"))["total"])
EOF
}

# score ENGINE SET QUERIES: runs the scorer against $BASE.
score() {
	"$PY" eval/score.py --base "$BASE" --queries "eval/$3" --json >"$WORK/scores/$1.$2.json" 2>"$WORK/scores/$1.$2.txt"
	tail -n1 "$WORK/scores/$1.$2.txt" | sed "s/^/$1 $2: /" >&2
}

step "score healthsearch"
serve hs-seeds "$WORK/healthsearch" serve --index "$WORK/idx-seeds" --addr 127.0.0.1:0
docs seeds
score healthsearch seeds dev_seeds.jsonl
serve hs-all "$WORK/healthsearch" serve --index "$WORK/idx-all" --addr 127.0.0.1:0
docs all
score healthsearch corpus dev_corpus.jsonl
score healthsearch seeds-in-all dev_seeds.jsonl
score healthsearch ask-question ask_question_dev.jsonl
score healthsearch ask-full ask_full_dev.jsonl
score healthsearch typo typo_dev.jsonl
stop_servers

step "score cjk baseline"
serve bl-seeds "$WORK/baseline" --from "$WORK/idx-seeds" --work "$WORK/bl-seeds" --addr 127.0.0.1:0
score baseline seeds dev_seeds.jsonl
serve bl-all "$WORK/baseline" --from "$WORK/idx-all" --work "$WORK/bl-all" --addr 127.0.0.1:0
score baseline corpus dev_corpus.jsonl
score baseline seeds-in-all dev_seeds.jsonl
score baseline ask-question ask_question_dev.jsonl
score baseline ask-full ask_full_dev.jsonl
score baseline typo typo_dev.jsonl
stop_servers

step "report"
"$PY" eval/report.py --scores "$WORK/scores" --out eval/results.md \
	--docs-seeds "$(cat "$WORK/scores/seeds.docs")" --docs-all "$(cat "$WORK/scores/all.docs")" \
	--seconds "$(($(date +%s) - START))"
