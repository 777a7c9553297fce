#!/usr/bin/env bash
# corscope's benchmark suite: one run, side by side, on this machine.
#
#   direct      the load generator talks to the target server itself
#   goproxy     a bare goproxy with the library's defaults (no recording)
#   corscope    `corscope capture`, recording every exchange
#
# Figures: keep-alive requests/s and p50/p99 at concurrency 1, 16 and 64
# for ~100 B and 16 KiB responses (wrk); MB/s for a 1 MiB body (wrk);
# HTTPS through the proxy's MITM: new-connection handshakes/s and
# keep-alive requests/s (hey); peak RSS after 100k flows of 16 KiB
# (/usr/bin/time -v); and from `go test -bench`, each beside its own
# baseline: analyzer ns/flow, UI keypress at 100k and 1M flows, HAR
# export/import MB/s, live heap per recorded flow. It prints the machine and a markdown table of
# ratios. Everything runs on loopback; client, proxy and server share the
# cores, so compare ratios, not absolute numbers.
#
# Usage:  scripts/bench.sh
# Env:    DURATION=3   seconds per load run (default 3)
#         FLOWS=100000 flows for the peak-RSS run
#         BASELINE_BIN=path  also measure this corscope binary's peak RSS
#                            (e.g. an older build, for a before/after ratio)
#         SKIP_GO_BENCH=1    leave out the go test benchmarks
# Needs:  go, wrk (apt-get install wrk), hey (go install
#         github.com/rakyll/hey@v0.1.5), /usr/bin/time (apt-get install time).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
D=${DURATION:-3}
FLOWS=${FLOWS:-100000}
work=$(mktemp -d)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

HEY=${HEY:-$(command -v hey || echo "$(go env GOPATH)/bin/hey")}
for tool in wrk "$HEY" /usr/bin/time; do
	if ! command -v "$tool" >/dev/null; then
		echo "bench: $tool is missing: apt-get install -y wrk time; go install github.com/rakyll/hey@v0.1.5" >&2
		exit 1
	fi
done

echo "building…" >&2
(cd "$root" && go build -o "$work/corscope" . &&
	go build -o "$work/target" ./internal/benchtools/target &&
	go build -o "$work/bareproxy" ./internal/benchtools/bareproxy)
BIN=$work/corscope

# first_line FILE: wait for a program's first line of output.
first_line() {
	for _ in $(seq 100); do
		if [[ -s $1 ]]; then head -n1 "$1"; return; fi
		sleep 0.1
	done
	echo "bench: no output in $1" >&2
	exit 1
}

# corscope_addr FILE: the address corscope capture reports on stderr.
corscope_addr() {
	for _ in $(seq 100); do
		a=$(grep -o 'recording on [0-9.:]*' "$1" 2>/dev/null | head -n1 | cut -d' ' -f3 || true)
		if [[ -n $a ]]; then echo "${a%:}"; return; fi
		sleep 0.1
	done
	echo "bench: corscope did not start:" >&2
	cat "$1" >&2
	exit 1
}

"$work/target" -cert "$work/target.pem" >"$work/target.out" &
pids+=($!)
line=$(first_line "$work/target.out")
HTTP=${line#http=}
HTTP=${HTTP%% *}
HTTPS=${line##*https=}

# goproxy verifies upstream certificates with the system roots: Go reads
# them from SSL_CERT_FILE, so the target is trusted without touching goproxy.
SSL_CERT_FILE="$work/target.pem" "$work/bareproxy" >"$work/bare.out" &
pids+=($!)
BARE=$(first_line "$work/bare.out")

# start_corscope: a fresh `corscope capture` (defaults: --max-flows 100000,
# --max-memory 512MiB, bodies over 4 KiB in a spill file under --home) for
# each group of runs, so one group's recorded flows and spill file do not
# weigh on the next.
ours_pid=""
start_corscope() {
	if [[ -n $ours_pid ]]; then
		kill -TERM "$ours_pid" 2>/dev/null || true
		wait "$ours_pid" 2>/dev/null || true
	fi
	local n=$RANDOM
	"$BIN" capture --listen 127.0.0.1:0 --home "$work/home-$n" --upstream-ca "$work/target.pem" 2>"$work/corscope-$n.err" &
	ours_pid=$!
	pids+=($ours_pid)
	OURS=$(corscope_addr "$work/corscope-$n.err")
}

# wrk talks HTTP/1.1 to one address; through a proxy it sends the
# absolute URL as the request target, which is what a proxy receives.
cat >"$work/proxy.lua" <<'EOF'
local target = os.getenv("TARGET")
local host = target:match("^https?://([^/]+)")
request = function()
	return wrk.format("GET", target, { ["Host"] = host })
end
EOF

# to_ms VALUE: wrk's "123.45us" / "1.2ms" / "2.00s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
		printf "%.3f", n }'
}

# wrk_run CONFIG PATH CONC: prints "req/s p50ms p99ms MB/s".
wrk_run() {
	local cfg=$1 path=$2 c=$3 t=2 out
	((c == 1)) && t=1
	case $cfg in
	direct) out=$(wrk -t$t -c"$c" -d"${D}s" --latency "http://$HTTP$path") ;;
	goproxy) out=$(TARGET="http://$HTTP$path" wrk -t$t -c"$c" -d"${D}s" --latency -s "$work/proxy.lua" "http://$BARE") ;;
	corscope) out=$(TARGET="http://$HTTP$path" wrk -t$t -c"$c" -d"${D}s" --latency -s "$work/proxy.lua" "http://$OURS") ;;
	esac
	if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
		echo "bench: errors in $cfg $path c=$c:" >&2
		echo "$out" >&2
	fi
	local rps p50 p99 mbs
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
	mbs=$(awk '/^Transfer\/sec:/ {v=$2; n=v+0; if (v ~ /GB$/) n*=1024; else if (v ~ /KB$/) n/=1024; else if (v ~ /B$/ && v !~ /MB$/) n/=1048576; printf "%.1f", n*1.048576}' <<<"$out")
	echo "$rps $p50 $p99 $mbs"
}

# hey_run CONFIG PATH CONC [hey flags…]: HTTPS; prints "req/s p50ms p99ms".
hey_run() {
	local cfg=$1 path=$2 c=$3 out
	shift 3
	local proxy=()
	case $cfg in
	goproxy) proxy=(-x "http://$BARE") ;;
	corscope) proxy=(-x "http://$OURS") ;;
	esac
	out=$("$HEY" -z "${D}s" -c "$c" "${proxy[@]}" "$@" "https://$HTTPS$path")
	if grep -q 'Error distribution' <<<"$out"; then
		echo "bench: errors in HTTPS $cfg $path c=$c $*:" >&2
		sed -n '/Error distribution/,$p' <<<"$out" | head -5 >&2
	fi
	awk '/Requests\/sec:/ {r=$2} /50%% in|50% in/ {p50=$3*1000} /99% in/ {p99=$3*1000} END {printf "%s %.3f %.3f\n", r, p50, p99}' <<<"$out"
}

declare -A R
configs=(direct goproxy corscope)

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(load_avg)
echo "load runs: ${D}s each…" >&2
start_corscope
for path in /small /16k; do
	for c in 1 16 64; do
		for cfg in "${configs[@]}"; do
			R[$cfg$path$c]=$(wrk_run "$cfg" "$path" "$c")
		done
	done
done
start_corscope
for cfg in "${configs[@]}"; do R[$cfg/1m]=$(wrk_run "$cfg" /1m 1); done
start_corscope
for cfg in "${configs[@]}"; do
	R[$cfg/tls-ka]=$(hey_run "$cfg" /small 16)
	R[$cfg/tls-new]=$(hey_run "$cfg" /small 4 -disable-keepalive)
done
load_end=$(load_avg)
kill -TERM "$ours_pid" 2>/dev/null || true

# peak_rss CMD…: runs CMD under /usr/bin/time -v, sends FLOWS requests of
# 16 KiB through it, stops it, and prints its peak RSS in MB.
peak_rss() {
	local log=$work/rss.$RANDOM err=$work/rss-err.$RANDOM addr
	/usr/bin/time -v -o "$log" "$@" >"$err.out" 2>"$err" &
	local tpid=$!
	if [[ $1 == "$work/bareproxy" ]]; then addr=$(first_line "$err.out"); else addr=$(corscope_addr "$err"); fi
	"$HEY" -n "$FLOWS" -c 16 -x "http://$addr" "http://$HTTP/16k" >/dev/null
	pkill -TERM -P "$tpid" || true
	wait "$tpid" || true
	awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log"
}
echo "peak RSS after $FLOWS flows…" >&2
rss_bare=$(peak_rss "$work/bareproxy")
rss_ours=$(peak_rss "$BIN" capture --listen 127.0.0.1:0 --home "$work/home-rss")
rss_base=""
if [[ -n ${BASELINE_BIN:-} ]]; then
	rss_base=$(peak_rss "$BASELINE_BIN" capture --listen 127.0.0.1:0 --home "$work/home-base")
fi

gobench=""
if [[ -z ${SKIP_GO_BENCH:-} ]]; then
	echo "go test -bench…" >&2
	gobench=$(cd "$root" && {
		go test -run '^$' -bench 'BenchmarkAnalyzeAll' -benchtime 3x ./analyze
		go test -run '^$' -bench 'BenchmarkKeypress/flows=.*/tab=summary' -benchtime 2000x ./ui
		go test -run '^$' -bench 'BenchmarkExport|BenchmarkImport' -benchtime 3x ./capture/har
		go test -run '^$' -bench 'BenchmarkMemoryPerFlow' -benchtime 1x ./capture
	} 2>&1)
fi

# ---- report ----
f() { awk -v x="$1" 'BEGIN { if (x >= 100) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.2f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "–" }'; }
field() { cut -d' ' -f"$2" <<<"$1"; }

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "Machine: $cpu, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(go version | cut -d' ' -f3-4); Linux $(uname -r)"
echo "Load average (1/5/15 min): $load_start at the start of the load runs, $load_end at their end. Client, proxy and server share the cores; ${D}s per run."
echo
echo "| figure | direct | goproxy (defaults) | corscope (recording) | corscope ÷ goproxy | corscope ÷ direct |"
echo "|---|---:|---:|---:|---:|---:|"
for path in /small /16k; do
	label="100 B"
	[[ $path == /16k ]] && label="16 KiB"
	for c in 1 16 64; do
		d=${R[direct$path$c]} g=${R[goproxy$path$c]} o=${R[corscope$path$c]}
		echo "| keep-alive req/s, $label, c=$c | $(f "$(field "$d" 1)") | $(f "$(field "$g" 1)") | $(f "$(field "$o" 1)") | $(ratio "$(field "$o" 1)" "$(field "$g" 1)") | $(ratio "$(field "$o" 1)" "$(field "$d" 1)") |"
		echo "| p50 / p99 ms, $label, c=$c | $(field "$d" 2) / $(field "$d" 3) | $(field "$g" 2) / $(field "$g" 3) | $(field "$o" 2) / $(field "$o" 3) | $(ratio "$(field "$o" 3)" "$(field "$g" 3)") (p99) | $(ratio "$(field "$o" 3)" "$(field "$d" 3)") (p99) |"
	done
done
d=${R[direct/1m]} g=${R[goproxy/1m]} o=${R[corscope/1m]}
echo "| MB/s, 1 MiB body, c=1 | $(f "$(field "$d" 4)") | $(f "$(field "$g" 4)") | $(f "$(field "$o" 4)") | $(ratio "$(field "$o" 4)" "$(field "$g" 4)") | $(ratio "$(field "$o" 4)" "$(field "$d" 4)") |"
d=${R[direct/tls-ka]} g=${R[goproxy/tls-ka]} o=${R[corscope/tls-ka]}
echo "| HTTPS keep-alive req/s (MITM), c=16 | $(f "$(field "$d" 1)") | $(f "$(field "$g" 1)") | $(f "$(field "$o" 1)") | $(ratio "$(field "$o" 1)" "$(field "$g" 1)") | $(ratio "$(field "$o" 1)" "$(field "$d" 1)") |"
d=${R[direct/tls-new]} g=${R[goproxy/tls-new]} o=${R[corscope/tls-new]}
echo "| HTTPS new connections/s (CONNECT + handshake), c=4 | $(f "$(field "$d" 1)") | $(f "$(field "$g" 1)") | $(f "$(field "$o" 1)") | $(ratio "$(field "$o" 1)" "$(field "$g" 1)") | $(ratio "$(field "$o" 1)" "$(field "$d" 1)") |"
echo "| peak RSS MB after $FLOWS flows of 16 KiB | – | $rss_bare | $rss_ours | $(ratio "$rss_ours" "$rss_bare") | – |"
if [[ -n $rss_base ]]; then
	echo "| peak RSS MB, $BASELINE_BIN (baseline build) | – | – | $rss_base | corscope ÷ baseline: $(ratio "$rss_ours" "$rss_base") | – |"
fi

if [[ -n $gobench ]]; then
	# metric NAME UNIT: the value before UNIT on the benchmark line NAME.
	metric() { awk -v n="$1" -v u="$2" '$1 ~ n { for (i = 2; i <= NF; i++) if ($i == u) { print $(i-1); exit } }' <<<"$gobench"; }
	echo
	echo "| go test -bench | baseline | corscope | corscope ÷ baseline |"
	echo "|---|---:|---:|---:|"
	b=$(metric 'MemoryPerFlow/in-memory' heap-B/flow) a=$(metric 'MemoryPerFlow/spill' heap-B/flow)
	echo "| live heap bytes per recorded flow, 16 KiB bodies (baseline: bodies kept in memory) | $(f "$b") | $(f "$a") | $(ratio "$a" "$b") |"
	b=$(metric 'AnalyzeAll/baseline-index' ns/flow) a=$(metric 'AnalyzeAll/analyze-100k' ns/flow)
	echo "| analyzer ns/flow (100k flows; baseline: only indexing them) | $(f "$b") | $(f "$a") | $(ratio "$a" "$b") |"
	k1=$(metric 'Keypress/flows=1000/' ns/op)
	for n in 100000 1000000; do
		k=$(metric "Keypress/flows=$n/" ns/op)
		echo "| UI keypress µs (Update + View), $n flows (baseline: 1,000 flows) | $(f "$(awk -v x="$k1" 'BEGIN{print x/1000}')") | $(f "$(awk -v x="$k" 'BEGIN{print x/1000}')") | $(ratio "$k" "$k1") |"
	done
	b=$(metric 'Export/baseline' MB/s) a=$(metric 'Export/streaming' MB/s)
	echo "| HAR export MB/s (baseline: marshal the whole log) | $(f "$b") | $(f "$a") | $(ratio "$a" "$b") |"
	b=$(metric 'Import/baseline' MB/s) a=$(metric 'Import/streaming' MB/s)
	echo "| HAR import MB/s (baseline: unmarshal the whole file) | $(f "$b") | $(f "$a") | $(ratio "$a" "$b") |"
fi
