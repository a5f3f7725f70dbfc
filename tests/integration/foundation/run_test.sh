#!/usr/bin/env bash
# tools/run end to end: it brings the lab up with both processes, prints the metrics address,
# the printed address serves Prometheus text with ring counters, and SIGTERM (what Ctrl-C
# delivers to a foreground run) leaves no namespace, shared-memory region or process behind.
# Skips (exit 77) when the lab namespaces already exist: an operator's lab is never touched.
# usage: run_test.sh SOURCE_DIR
set -euo pipefail
src=$1
if ip netns list | grep -qE '^rampart-(sbc|wan|lan)\b'; then
  echo "SKIP: a lab is already running"
  exit 77
fi
out=$(mktemp /tmp/rampart-run-test.XXXXXX)
run_pid=""
cleanup() {
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  rm -f "$out"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$out" >&2; exit 1; }

"$src/tools/run" --no-build >"$out" 2>&1 &
run_pid=$!
for _ in $(seq 1 300); do
  grep -q "Press Ctrl-C" "$out" && break
  kill -0 "$run_pid" 2>/dev/null || fail "tools/run exited early"
  sleep 0.1
done
grep -q "Press Ctrl-C" "$out" || fail "tools/run did not report ready in 30 s"

url=$(grep -o 'curl http://[^ ]*/metrics   (control plane)' "$out" | awk '{print $2}')
dp_url=$(grep -o 'curl http://[^ ]*/metrics   (dataplane)' "$out" | awk '{print $2}')
[ -n "$url" ] && [ -n "$dp_url" ] || fail "no metrics address printed"
grep -q "realm wan ([a-z]*): media 198.18.2.1" "$out" || fail "no media address printed"
grep -q "realm wan ([a-z]*): signalling wss 198.18.1.1:8443" "$out" || fail "no signalling printed"
body=$(curl -sf --max-time 3 "$url") || fail "curl $url failed"
grep -q '^rampart_ring_enqueued_total{' <<<"$body" || fail "no ring counters at $url"
body=$(curl -sf --max-time 3 "$dp_url") || fail "curl $dp_url failed"
grep -q '^rampart_ring_dequeued_total{' <<<"$body" || fail "no ring counters at $dp_url"
# Only this checkout's processes: other checkouts on the machine may run their own tests.
pids=$(pgrep -f "^$src/build/[^ ]*/rampart-(data|control)plane --config" || true)
[ -n "$pids" ] || fail "no Rampart process found while running"

kill -TERM "$run_pid"
wait "$run_pid" || fail "tools/run exited non-zero after SIGTERM"
run_pid=""
ip netns list | grep -qE '^rampart-(sbc|wan|lan)\b' && fail "namespaces left behind"
ip link show rampart-mgmt >/dev/null 2>&1 && fail "host management veth left behind"
[ -e /dev/shm/rampart ] && fail "shared-memory region left behind"
for pid in $pids; do
  kill -0 "$pid" 2>/dev/null && fail "process $pid left behind"
done
echo "PASS"
