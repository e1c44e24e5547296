#!/usr/bin/env bash
# Read-only replicas behind nginx, fed by an indexer that publishes
# generations (docs/scaling.md). On this one machine, on loopback:
#
#  1. builds a generation with `healthsearch index` into the indexer's own
#     index directory ($WORK/indexer);
#  2. publishes it to two replica directories: copy the generation
#     directory under a temporary name, rename it into place, then switch
#     the replica's CURRENT by write-and-rename (what `publish` does; across
#     hosts the copy is an rsync and the switch an ssh, see the doc);
#  3. starts two `healthsearch serve` replicas on those directories and
#     nginx (Debian's package) on two ports: one proxying to replica 1
#     only, one round-robin over both;
#  4. measures with hsload (CLIENTS clients for DURATION each): replica 1
#     directly, nginx → 1 replica, nginx → 2 replicas;
#  5. builds and publishes a second generation (with a marker page) and
#     waits until both replicas serve it, timing the swap.
#
# Environment: GO, SCALE (1: seeds + corpus; 8: eight copies of the corpus,
# the `make bench` serving index), CLIENTS (8), DURATION (20s),
# REPLICAS_DIR (.cache/replicas). Needs go, python3 (corpus, ports) and
# nginx. Prints a markdown table and writes $REPLICAS_DIR/summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
SCALE=${SCALE:-8}
CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-20s}
WORK=${REPLICAS_DIR:-.cache/replicas}
START=$(date +%s)
for v in $(compgen -e | grep '^HEALTHSEARCH_' || true); do unset "$v"; done

command -v nginx >/dev/null || { echo "replicas: needs nginx (apt-get install nginx)" >&2; exit 1; }

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - START))" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rm -rf "$WORK" && mkdir -p "$WORK/bin"
step "build"
"$GO" build -o "$WORK/bin/healthsearch" ./cmd/healthsearch
"$GO" build -o "$WORK/bin/hsload" ./cmd/hsload
HS=$WORK/bin/healthsearch

step "corpus (${SCALE}x)"
if [ -z "$(find .cache/corpus -name '*.txt' -print -quit 2>/dev/null)" ]; then
	python3 corpus/make_pages.py --out .cache/corpus --force -q
fi
src=(--src seeds)
if [ "$SCALE" = 1 ]; then
	src+=(--src .cache/corpus)
else
	# Hard-linked copies under one root: ids come from the page path, so
	# each copy is a distinct set of articles.
	for i in $(seq 1 "$SCALE"); do
		mkdir -p "$WORK/corpus/copy$i" && cp -al .cache/corpus/. "$WORK/corpus/copy$i/"
	done
	src+=(--src "$WORK/corpus")
fi

# publish INDEXDIR REPLICADIR: copies the live generation of INDEXDIR into
# REPLICADIR and makes it the replica's live one. The copy goes under a
# temporary name and is renamed whole, and CURRENT is replaced by rename,
# so a replica sees either the old generation or the complete new one.
publish() {
	local from=$1 to=$2 gen
	gen=$(cat "$from/CURRENT")
	mkdir -p "$to"
	rm -rf "$to/$gen.tmp"
	cp -a "$from/$gen" "$to/$gen.tmp"
	sync -f "$to/$gen.tmp" 2>/dev/null || sync
	mv "$to/$gen.tmp" "$to/$gen"
	echo "$gen" >"$to/CURRENT.tmp"
	mv "$to/CURRENT.tmp" "$to/CURRENT"
	# Keep the previous generation for a moment (a replica may still be
	# answering from it); delete older ones.
	ls -d "$to"/gen-* 2>/dev/null | grep -v '\.tmp$' | sort -r | tail -n +3 | xargs -r rm -rf
}

step "index generation 1"
"$HS" index "${src[@]}" --index "$WORK/indexer" --log-level error | tail -n 1
gen1=$(cat "$WORK/indexer/CURRENT")
step "publish $gen1 to two replicas"
for r in 1 2; do publish "$WORK/indexer" "$WORK/replica$r"; done
du -sh "$WORK/replica1/$gen1" >&2

# serve NAME INDEXDIR: starts a replica on a free port, sets ADDR.
serve() {
	"$HS" serve --index "$2" --addr 127.0.0.1:0 --reload-interval 200ms --log-level warn >"$WORK/$1.out" 2>"$WORK/$1.err" &
	pids+=($!)
	local pid=$!
	ADDR=""
	for _ in $(seq 1 600); do
		ADDR=$(sed -n 's/^listening on http:\/\/\([^ ]*\).*/\1/p' "$WORK/$1.out" | head -n1)
		[ -n "$ADDR" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$WORK/$1.err" >&2; exit 1; }
		sleep 0.1
	done
	[ -n "$ADDR" ] || { echo "$1 did not start" >&2; exit 1; }
	until curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.1; done
}

step "start replicas"
serve replica1 "$WORK/replica1"
R1=$ADDR
serve replica2 "$WORK/replica2"
R2=$ADDR
echo "replica 1 on $R1, replica 2 on $R2" >&2

step "start nginx"
N1=$(free_port)
N2=$(free_port)
mkdir -p "$WORK/nginx"
# No rate limit here (deploy/nginx.conf has one per client address, and
# every hsload client is 127.0.0.1); otherwise the proxy settings of the
# deployment: HTTP/1.1 keepalive to the upstreams, buffered responses.
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
error_log $PWD/$WORK/nginx/error.log warn;
pid $PWD/$WORK/nginx/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $PWD/$WORK/nginx/tmp;
    proxy_temp_path $PWD/$WORK/nginx/tmp;
    upstream one { server $R1; keepalive 32; }
    upstream two { server $R1; server $R2; keepalive 32; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_buffering on;
    proxy_buffers 32 16k;
    server { listen 127.0.0.1:$N1; location / { proxy_pass http://one; } }
    server { listen 127.0.0.1:$N2; location / { proxy_pass http://two; } }
}
EOF
mkdir -p "$WORK/nginx/tmp"
nginx -p "$PWD/$WORK/nginx" -c "$PWD/$WORK/nginx/nginx.conf" -g 'daemon off;' 2>>"$WORK/nginx/error.log" &
pids+=($!)
until curl -fsS "http://127.0.0.1:$N2/readyz" >/dev/null 2>&1; do sleep 0.1; done

# load NAME URL: runs hsload and prints a table row.
rows=()
load() {
	"$WORK/bin/hsload" -url "$2" -clients "$CLIENTS" -duration "$DURATION" -queries bench/queries.txt -json >"$WORK/$1.json" || true
	local row
	row=$(python3 - "$WORK/$1.json" "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {r['qps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['failures']} |")
EOF
)
	echo "$row" >&2
	rows+=("$row")
}

step "warm-up: one pass over the queries on each replica (not counted)"
for a in "$R1" "$R2"; do
	"$WORK/bin/hsload" -url "http://$a" -clients "$CLIENTS" -requests 350 -queries bench/queries.txt >/dev/null || true
done

step "load: $CLIENTS clients, $DURATION each"
load "replica 1 directly" "http://$R1"
load "nginx → 1 replica" "http://127.0.0.1:$N1"
load "nginx → 2 replicas (round robin)" "http://127.0.0.1:$N2"

# generation NAME ADDR: the generation a replica serves, from /metrics.
generation() {
	curl -fsS "http://$1/metrics" | sed -n 's/^healthsearch_index_generation_info{generation="\([^"]*\)"}.*/\1/p'
}

step "index and publish generation 2"
mkdir -p "$WORK/marker"
cat >"$WORK/marker/marker.txt" <<'EOF'
zqxreplica第二代标记页

这一页只在第二代索引里,用来确认两个副本都换上了新的索引。

提示:本内容不能代替面诊。
EOF
"$HS" index "${src[@]}" --src "$WORK/marker" --index "$WORK/indexer" --log-level error | tail -n 1
gen2=$(cat "$WORK/indexer/CURRENT")
swaps=()
for r in 1 2; do
	addr=R$r
	t0=$(date +%s.%N)
	publish "$WORK/indexer" "$WORK/replica$r"
	t1=$(date +%s.%N)
	until [ "$(generation "${!addr}")" = "$gen2" ]; do
		sleep 0.05
		if [ "$(echo "$(date +%s.%N) - $t1 > 120" | bc)" = 1 ]; then
			echo "replica $r did not swap to $gen2" >&2
			exit 1
		fi
	done
	t2=$(date +%s.%N)
	swaps+=("| replica $r | $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s | $(printf '%.1f' "$(echo "$t2 - $t1" | bc)") s |")
	echo "replica $r: $(generation "${!addr}")" >&2
done
hits=$(curl -fsS "http://127.0.0.1:$N2/api/search?q=zqxreplica" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
hits2=$(curl -fsS "http://127.0.0.1:$N2/api/search?q=zqxreplica" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[ "$hits" -ge 1 ] && [ "$hits2" -ge 1 ] || { echo "marker page not found through nginx" >&2; exit 1; }

{
	echo "Replicas of one generation ($gen1, ${SCALE}x corpus, $(du -sh "$WORK/replica1/$gen1" | cut -f1) on disk) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); hsload, $CLIENTS clients, $DURATION each; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "| target | queries/s | p50 ms | p99 ms | failed |"
	echo "|---|---:|---:|---:|---:|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Publishing $gen2 (marker page found through nginx on both round-robin turns):"
	echo
	echo "| replica | copy + switch CURRENT | until it serves the new generation |"
	echo "|---|---:|---:|"
	printf '%s\n' "${swaps[@]}"
} | tee "$WORK/summary.md"
step "done"
