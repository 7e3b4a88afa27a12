#!/usr/bin/env bash
# One variant of bench/fastify-hello.ts under wrk, with what the kernel did for it: interrupts
# per 1,000 requests on each CPU (/proc/interrupts: LOC timer, RES rescheduling, CAL function
# call, the IPIs a wake-up of wrk on the other CPU costs), the server's CPU per request, and
# wrk's own CPU and context switches. It shows whether a variant's cost in req/s is its CPU or a
# change in how often wrk sleeps and is woken (see bench/RESULTS.md, 2026-12-04 evening).
#   node --import tsx bench/sdk-wrk.bench.ts --rounds 1 --variants bare   # builds the bundle once
#   bash bench/loopback-wakeups.sh <bare|spin|sdk|full> [seconds]
# Server pinned to CPU 0, wrk (one thread, 50 connections) to CPU 1; 2 s of warm-up first.
set -euo pipefail
cd "$(dirname "$0")/.."
V=${1:?usage: bench/loopback-wakeups.sh <bare|spin|sdk|full> [seconds]}
S=${2:-5}
B=node_modules/.cache/sloctl-bench/fastify-hello.mjs
[ -f "$B" ] || { echo "no $B: run bench/sdk-wrk.bench.ts once first (it builds the bundle)" >&2; exit 2; }
OUTF=$(mktemp)
taskset -c 0 node "$B" "$V" 0 > "$OUTF" &
SP=$!
trap 'kill $SP 2>/dev/null; rm -f "$OUTF"' EXIT
until grep -q READY "$OUTF"; do sleep 0.05; done
PORT=$(grep -o 'READY [0-9]*' "$OUTF" | cut -d' ' -f2)
taskset -c 1 wrk -t1 -c50 -d2s "http://127.0.0.1:$PORT/" > /dev/null
irq() { awk '/^ *(RES|CAL|LOC):/ {printf "%s %s %s ", $1, $2, $3}' /proc/interrupts; }
cpu() { awk '{print $14+$15}' "/proc/$SP/stat"; }
I0=$(irq); C0=$(cpu)
OUT=$( { /usr/bin/time -f "WRK %U %S %w" taskset -c 1 wrk -t1 -c50 -d"${S}s" "http://127.0.0.1:$PORT/"; } 2>&1 )
I1=$(irq); C1=$(cpu)
N=$(echo "$OUT" | grep -o '[0-9]* requests in' | cut -d' ' -f1)
RPS=$(echo "$OUT" | awk '/Requests\/sec/ {print $2}')
read -r _ WU WS WW <<< "$(echo "$OUT" | grep '^WRK')"
node -e '
const [v, rps, n, a, b, c0, c1, wu, ws, ww, hz] = process.argv.slice(1);
const A = a.trim().split(/\s+/), B = b.trim().split(/\s+/), per = (x) => (x / n * 1000).toFixed(1);
const irqs = [];
for (let i = 0; i < A.length; i += 3) irqs.push(`${A[i].replace(":", "")} ${per(B[i + 1] - A[i + 1])}/${per(B[i + 2] - A[i + 2])}`);
console.log(`${v}: ${Math.round(rps)} req/s; server CPU ${((c1 - c0) / hz * 1e6 / n).toFixed(2)} µs/req; interrupts per 1k req (CPU0/CPU1) ${irqs.join(", ")}; wrk ${((Number(wu) + Number(ws)) * 1e6 / n).toFixed(2)} µs/req, ${per(ww)} sleeps per 1k req`);
' "$V" "$RPS" "$N" "$I0" "$I1" "$C0" "$C1" "$WU" "$WS" "$WW" "$(getconf CLK_TCK)"
