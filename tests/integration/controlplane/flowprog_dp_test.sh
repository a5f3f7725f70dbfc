#!/usr/bin/env bash
# The control plane's FlowProgrammer against the real rampart-dataplane (net_ring vdevs,
# --no-huge, idle back-off; no NIC): flowprog_check programs a flow, queries it, deletes it;
# the dataplane is then restarted and flowprog_check must see the link drop and come back with
# onDataplaneUp(new_epoch=true), and program a flow there. Runs in a network namespace of its
# own (the dataplane's metrics listener), deleted on exit. Bounded: every wait has a limit.
# Then rampart-flowctl (the blocking DataplaneClient API) runs hello/add/query/list/del on the
# same dataplane once the control plane has let go of the region, and rampart-controlplane
# itself attaches (its metrics say so) and stops cleanly on SIGTERM.
# usage: flowprog_dp_test.sh DATAPLANE_BIN FLOWPROG_CHECK FLOWCTL CONTROLPLANE_BIN
set -euo pipefail
dp=$1
check=$2
flowctl=$3
cp=$4
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root (network namespace, shared memory)"
  exit 77
fi
ns="rt-dpl-$$"
work=$(mktemp -d /tmp/rt-dpl-$$-XXXX)
shm="/rt-dpl-$$"
port=$((20000 + $$ % 20000))
dp_pid=""
check_pid=""
cp_pid=""
cleanup() {  # only what this test started, by PID; then its namespace, region and files
  for p in $check_pid $cp_pid $dp_pid; do kill -KILL "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -f "/dev/shm/${shm#/}" "/dev/shm/${shm#/}.xc"  # the region and its transcoder rings
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- flowprog_check" >&2; cat "$work/check.log" >&2 2>/dev/null || true
  echo "--- dataplane" >&2; tail -n 20 "$work/dp.log" >&2 2>/dev/null || true
  exit 1
}
nsx() { ip netns exec "$ns" "$@"; }

cat >"$work/rampart.yaml" <<YAML
node: {name: rt-dpl, shm_name: $shm, log_level: info}
dataplane:
  worker_cpus: [1]
  main_cpu: 0
  eal_args: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry",
             "--file-prefix", "rt-dpl-$$"]
  flow_capacity: 256
  idle_timeout_s: 60
  idle_backoff_us: 1000
  rings: {command_slots: 256, event_slots: 1024, punt_slots: 64, inject_slots: 64}
realms:
  - name: wan
    signalling: [{transport: udp, address: 127.0.0.1, port: 5060}]
    media: {interface: none, devargs: net_ring0, address: 198.18.2.1, prefix_len: 24,
            port_min: 20000, port_max: 29999}
  - name: lan
    signalling: [{transport: udp, address: 127.0.0.1, port: 5061}]
    media: {interface: none, devargs: net_ring1, address: 198.18.4.1, prefix_len: 24,
            port_min: 30000, port_max: 39999}
management: {address: 127.0.0.1, controlplane_port: $((port + 1)), dataplane_port: $port}
YAML
"$dp" --config "$work/rampart.yaml" --check-config >/dev/null || fail "config refused"
ip netns add "$ns"
nsx ip link set lo up

start_dp() {  # start_dp LOG: the dataplane in the namespace, waited for (10 s at most)
  # Not through nsx: `ip netns exec` execs the program, so $! is the dataplane's own PID.
  ip netns exec "$ns" "$dp" --config "$work/rampart.yaml" >"$1" 2>&1 &
  dp_pid=$!
  for _ in $(seq 1 100); do grep -q "ready:" "$1" && return 0; sleep 0.1; done
  return 1
}

echo "1. dataplane up; FlowProgrammer programs, queries and deletes a flow"
start_dp "$work/dp.log" || fail "dataplane not ready"
ip netns exec "$ns" "$check" "$shm" 40 >"$work/check.log" 2>&1 &
check_pid=$!
for _ in $(seq 1 100); do grep -q "PHASE1 OK" "$work/check.log" && break; sleep 0.1; done
grep -q "PHASE1 OK" "$work/check.log" || fail "phase 1"
grep -q "up epoch=.* new_epoch=0" "$work/check.log" || fail "first link not reported as such"

echo "2. dataplane restarted; the link comes back with a new epoch"
kill -TERM "$dp_pid"
rc=0
wait "$dp_pid" || rc=$?
dp_pid=""
[ "$rc" = 0 ] || fail "dataplane exit code $rc"
start_dp "$work/dp2.log" || fail "dataplane did not restart"
for _ in $(seq 1 150); do kill -0 "$check_pid" 2>/dev/null || break; sleep 0.1; done
rc=0
wait "$check_pid" || rc=$?
check_pid=""
[ "$rc" = 0 ] || fail "flowprog_check exit code $rc"
grep -q "^down" "$work/check.log" || fail "no onDataplaneDown"
grep -q "up epoch=.* new_epoch=1" "$work/check.log" || fail "no onDataplaneUp(new_epoch=true)"
grep -q "PHASE2 OK" "$work/check.log" || fail "phase 2"
cat "$work/check.log"

echo "3. rampart-flowctl on the restarted dataplane"
fc() { nsx "$flowctl" --shm "$shm" --timeout-ms 3000 "$@"; }
fc hello | grep -q "worker 0: 1 live flow" || fail "flowctl hello: $(fc hello 2>&1)"
handle=$(fc add --worker 0 --in-port 0 --in-local 198.18.2.1:20010 --in-remote 198.18.2.2:4000 \
         --out-port 1 --out-local 198.18.4.1:30010 --out-remote 198.18.4.2:5000 --cookie 91) ||
  fail "flowctl add"
fc --json query --worker 0 "$handle" | grep -q '"cookie":91' || fail "flowctl query"
[ "$(fc --json list | grep -o '"handle"' | wc -l)" = 2 ] || fail "flowctl list: $(fc list)"
fc del --worker 0 "$handle" | grep -q '^ok' || fail "flowctl del"
rc=0
fc query --worker 0 "$handle" 2>/dev/null || rc=$?
[ "$rc" = 3 ] || fail "flowctl query of a deleted flow: exit $rc, expected 3"

echo "4. rampart-controlplane attaches, serves metrics, stops on SIGTERM"
ip netns exec "$ns" "$cp" --config "$work/rampart.yaml" >"$work/cp.log" 2>&1 &
cp_pid=$!
cp_metrics() { nsx curl -sf --max-time 2 "http://127.0.0.1:$((port + 1))/metrics" || true; }
for _ in $(seq 1 50); do
  cp_metrics | grep -q '^rampart_cp_dataplane_connected 1' && break
  sleep 0.1
done
text=$(cp_metrics)
grep -q '^rampart_cp_dataplane_connected 1' <<<"$text" ||
  fail "controlplane not connected: $(cat "$work/cp.log")"
grep -q '^rampart_ring_enqueued_total{.*ring="command"' <<<"$text" || fail "no ring metrics"
grep -q '^rampart_cp_dataplane_commands_total{' <<<"$text" || fail "no command metrics"
kill -TERM "$cp_pid"
for _ in $(seq 1 50); do kill -0 "$cp_pid" 2>/dev/null || break; sleep 0.1; done
rc=0
wait "$cp_pid" || rc=$?
cp_pid=""
[ "$rc" = 0 ] || fail "controlplane exit code $rc: $(cat "$work/cp.log")"
grep -q "stopping (signal 15)" "$work/cp.log" || fail "no clean stop: $(cat "$work/cp.log")"

echo "5. SIGTERM"
kill -TERM "$dp_pid"
rc=0
wait "$dp_pid" || rc=$?
dp_pid=""
[ "$rc" = 0 ] || fail "dataplane exit code $rc"
echo "PASS"
