#!/usr/bin/env bash
# Load test with live reindexing (make loadtest).
#
# Serves an index of the seeds and the corpus pages on a free 127.0.0.1 port,
# drives it with hsload (CLIENTS clients, query mix bench/queries.txt) and,
# while the load runs, rebuilds the index REINDEXES times with
# `healthsearch index` into the served directory. Each build adds a marker
# page whose title names the build ("zqxmarker第3代标记页"); after each build
# the script waits until a search shows that title, which proves the server
# swapped to the new generation. The load runs for at least DURATION and
# until the last swap, then stops (SIGTERM: requests cut off by it do not
# count). It fails if any request failed (non-2xx or transport error) or a
# new generation was not served.
#
# Environment: GO, CLIENTS (8), DURATION (60s), REINDEXES (3),
# LOADTEST_DIR (.cache/loadtest). The report is $LOADTEST_DIR/summary.json.
set -euo pipefail

GO=${GO:-go}
CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-60s}
REINDEXES=${REINDEXES:-3}
WORK=${LOADTEST_DIR:-.cache/loadtest}
SWAP_GUARD=300 # seconds to wait for a swap: a hang guard, not a target

cd "$(dirname "$0")/.."
mkdir -p bin "$WORK"
"$GO" build -o bin/healthsearch ./cmd/healthsearch
"$GO" build -o bin/hsload ./cmd/hsload

# DURATION in seconds: "60s", "2m" or "90".
case "$DURATION" in
*m) duration_s=$((${DURATION%m} * 60)) ;;
*s) duration_s=${DURATION%s} ;;
*) duration_s=$DURATION ;;
esac

sources=(--src seeds)
if [ -f corpus/make_pages.py ]; then
	if [ -z "$(find .cache/corpus -name '*.txt' -print -quit 2>/dev/null)" ]; then
		echo "loadtest: generating the corpus pages into .cache/corpus"
		python3 corpus/make_pages.py --out .cache/corpus -q
	fi
	sources+=(--src .cache/corpus)
else
	echo "loadtest: no corpus/ in this checkout; seeds only"
fi
markers="$WORK/markers"
index="$WORK/index"
mkdir -p "$markers"
sources+=(--src "$markers")

write_marker() {
	cat >"$markers/marker.txt" <<EOF
zqxmarker第$1代标记页

这是第$1次构建的标记页,用来确认服务已经换上新的索引。

提示:本内容不能代替面诊。
相关推荐

标记推荐

标记推荐的摘要。

健康新闻 2025-07-01
EOF
}

build() {
	write_marker "$1"
	bin/healthsearch index "${sources[@]}" --index "$index" --log-level error >"$WORK/index-$1.txt"
}

# Always build generation 0: an index left by an earlier run may hold other
# sources or marker numbers.
echo "loadtest: building the first index"
build 0
pages=$(awk '/^pages read/ {print $3}' "$WORK/index-0.txt")

server_pid=""
load_pid=""
cleanup() {
	# Only the processes this script started, by pid.
	[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT

bin/healthsearch serve --index "$index" --addr 127.0.0.1:0 --reload-interval 200ms --log-level warn \
	>"$WORK/serve.out" 2>"$WORK/serve.log" &
server_pid=$!
base=""
for _ in $(seq 1 600); do
	base=$(sed -n 's/^listening on //p' "$WORK/serve.out")
	[ -n "$base" ] && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$WORK/serve.log"; echo "loadtest: server exited"; exit 1; }
	sleep 0.2
done
[ -n "$base" ] || { echo "loadtest: server did not start"; exit 1; }
echo "loadtest: serving $pages pages at $base; $CLIENTS clients for at least $DURATION, $REINDEXES reindexes"

# marker_gen prints the marker generation a search shows, or nothing.
marker_gen() {
	curl -fsS --max-time 10 "$base/api/search?q=zqxmarker" | jq -r '[.hits[].title | select(startswith("zqxmarker"))] | .[0] // ""' |
		sed -n 's/^zqxmarker第\([0-9]*\)代.*/\1/p'
}
[ "$(marker_gen)" = 0 ] || { echo "loadtest: the marker of generation 0 is not served"; exit 1; }

start=$(date +%s)
# The time cap is far off: the script stops the load once it has run long
# enough and every swap was seen.
bin/hsload -url "$base" -clients "$CLIENTS" -duration 1h -queries bench/queries.txt -json \
	>"$WORK/hsload.json" 2>"$WORK/hsload.err" &
load_pid=$!

swaps=0
swap_log=()
for n in $(seq 1 "$REINDEXES"); do
	sleep 2
	t0=$(date +%s)
	build "$n"
	gen=$(cat "$index/CURRENT")
	t1=$(date +%s)
	seen=""
	for _ in $(seq 1 $((SWAP_GUARD * 5))); do
		if [ "$(marker_gen || true)" = "$n" ]; then
			seen=1
			break
		fi
		sleep 0.2
	done
	t2=$(date +%s)
	if [ -z "$seen" ]; then
		echo "loadtest: generation $n ($gen) was not served within ${SWAP_GUARD}s"
		break
	fi
	curl -fsS --max-time 10 "$base/readyz" >/dev/null || { echo "loadtest: not ready after swap $n"; break; }
	swaps=$((swaps + 1))
	swap_log+=("{\"build\":$n,\"generation\":\"$gen\",\"build_s\":$((t1 - t0)),\"swap_seen_s\":$((t2 - t1)),\"at_s\":$((t2 - start))}")
	echo "loadtest: reindex $n: $gen built in $((t1 - t0))s, served $((t2 - t1))s later, $((t2 - start))s into the load"
done
load_alive_after_swaps=0
kill -0 "$load_pid" 2>/dev/null && load_alive_after_swaps=1

# Keep the load on for the rest of DURATION.
elapsed=$(($(date +%s) - start))
if [ "$elapsed" -lt "$duration_s" ]; then
	sleep $((duration_s - elapsed))
fi
kill -TERM "$load_pid" 2>/dev/null || true
set +e
wait "$load_pid"
load_status=$?
set -e
load_pid=""
cat "$WORK/hsload.err" >&2 || true

jq --argjson swaps "$swaps" --argjson reindexes "$REINDEXES" --argjson pages "${pages:-0}" \
	--argjson alive "$load_alive_after_swaps" --argjson swap_log "[$(
		IFS=,
		echo "${swap_log[*]}"
	)]" \
	'{load: ., reindexes: $reindexes, swaps_served: $swaps, swap_log: $swap_log, pages: $pages, load_ran_through_swaps: ($alive == 1)}' \
	"$WORK/hsload.json" >"$WORK/summary.json"

jq -r '"loadtest: \(.load.requests) requests in \(.load.elapsed_s | floor)s, \(.load.qps | floor) req/s, p50 \(.load.p50_ms) ms, p95 \(.load.p95_ms) ms, p99 \(.load.p99_ms) ms; failures \(.load.failures) (non-2xx \(.load.non_2xx), transport \(.load.transport_errors)); \(.swaps_served)/\(.reindexes) new generations served"' "$WORK/summary.json"

fail=0
[ "$(jq .load.failures "$WORK/summary.json")" = 0 ] || { echo "loadtest: FAIL: requests failed"; fail=1; }
[ "$swaps" = "$REINDEXES" ] || { echo "loadtest: FAIL: $swaps of $REINDEXES new generations served"; fail=1; }
[ "$load_alive_after_swaps" = 1 ] || { echo "loadtest: FAIL: the load ended before the last swap (status $load_status)"; fail=1; }
if ! kill -0 "$server_pid" 2>/dev/null; then
	echo "loadtest: FAIL: the server died"
	fail=1
fi
[ "$fail" = 0 ] && echo "loadtest: OK (report: $WORK/summary.json)"
exit "$fail"
