#!/usr/bin/env bash
# rampart-dataplane lifecycle against the real binary (net_ring vdevs, --no-huge, no NIC):
#  1. --check-config: 0 on a good file; 1 and every error printed on a bad one; EAL untouched;
#     the lan realm has two ports (a devargs list), both started;
#  2. start; a control plane (dp_tool ctl) handshakes, programs a flow, leaves;
#  3. a second control plane handshakes with the live dataplane, sees the flow (HelloAck
#     flows_live and a FlowDump) — the resynchronisation path;
#  4. /metrics serves dataplane counters and ring counters;
#  5. the idle worker sleeps (adaptive back-off), it does not burn its core;
#  6. SIGTERM: exit 0, shared-memory region unlinked.
# usage: lifecycle_test.sh DATAPLANE_BIN DP_TOOL
set -euo pipefail
dp=$1
tool=$2
work=$(mktemp -d /tmp/rdt-$$-XXXX)
shm="/rdt-$$-lifecycle"
port=$((20000 + $$ % 20000))
dp_pid=""
cleanup() {
  [ -n "$dp_pid" ] && kill -KILL "$dp_pid" 2>/dev/null || true
  rm -f "/dev/shm/${shm#/}" "/dev/shm/${shm#/}.xc"  # the region and its transcoder rings
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 30 "$work/dp.log" >&2 2>/dev/null || true; exit 1; }

write_config() {  # write_config FILE WORKER_CPUS DEVARGS0 DEVARGS1 (YAML: a name or a list)
  cat >"$1" <<YAML
node: {name: rdt, shm_name: $shm, log_level: info}
dataplane:
  worker_cpus: [$2]
  main_cpu: 0
  eal_args: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry", "--file-prefix", "rdt$$"]
  flow_capacity: 1024
  idle_timeout_s: 60
  idle_backoff_us: 1000
  rings: {command_slots: 256, event_slots: 1024, punt_slots: 64, inject_slots: 64}
realms:
  - name: wan
    signalling: [{transport: udp, address: 127.0.0.1, port: 5060}]
    media: {interface: none, devargs: "$3", address: 198.18.2.1, prefix_len: 24,
            address6: "2001:2:0:2::1", port_min: 20000, port_max: 29999}
  - name: lan
    signalling: [{transport: udp, address: 127.0.0.1, port: 5061}]
    media: {interface: none, devargs: $4, address: 198.18.4.1, prefix_len: 24,
            port_min: 30000, port_max: 39999}
management: {address: 127.0.0.1, controlplane_port: $((port + 1)), dataplane_port: $port}
YAML
}

echo "1. --check-config"
write_config "$work/good.yaml" 1 net_ring0 "[net_ring1, net_ring2]"
"$dp" --config "$work/good.yaml" --check-config >/dev/null || fail "good config refused"
write_config "$work/bad.yaml" 0 net_ring0 net_ring0
sed -i 's/address: 198.18.4.1/address: 198.18.4.999/' "$work/bad.yaml"
if "$dp" --config "$work/bad.yaml" --check-config >"$work/bad.out" 2>&1; then
  fail "bad config accepted"
fi
grep -q "198.18.4.999\|realms\[1\].media.address" "$work/bad.out" || fail "address error missing: $(cat "$work/bad.out")"
grep -q "main_cpu" "$work/bad.out" || fail "not every error printed: $(cat "$work/bad.out")"
[ ! -e "/dev/shm/${shm#/}" ] || fail "--check-config created the region"
# Loader errors stop before the dataplane checks; check those on a file the loader accepts.
write_config "$work/bad2.yaml" 1 net_ring0 net_ring0
if "$dp" --config "$work/bad2.yaml" --check-config >"$work/bad2.out" 2>&1; then
  fail "bad config accepted"
fi
grep -q "also used by realms\[0\]" "$work/bad2.out" || fail "duplicate device not reported: $(cat "$work/bad2.out")"

echo "2. start, handshake, program a flow"
"$dp" --config "$work/good.yaml" >"$work/dp.log" 2>&1 &
dp_pid=$!
for _ in $(seq 1 100); do
  [ -e "/dev/shm/${shm#/}" ] && grep -q "ready:" "$work/dp.log" && break
  sleep 0.1
done
grep -q "ready:" "$work/dp.log" || fail "dataplane not ready"
grep -q "port 2 (net_ring2, realm lan) up" "$work/dp.log" || fail "second lan port not started"
"$tool" ctl "$shm" connect | grep -q "workers=1 .*flows=0" || fail "first handshake"
handle=$("$tool" ctl "$shm" add in_port=0 in_local=198.18.2.1 in_lport=20000 \
         in_remote=198.18.2.2 in_rport=4000 out_port=1 out_local=198.18.4.1 out_lport=30000 \
         out_remote=198.18.4.2 out_rport=5000 cookie=77) || fail "FlowAdd"
[ -n "$handle" ] || fail "no handle"

echo "3. a new control plane resynchronises"
"$tool" ctl "$shm" connect | grep -q "flows=1" || fail "HelloAck does not report the live flow"
"$tool" ctl "$shm" dump >"$work/dump.out" || fail "dump"
grep -q "^flows=1" "$work/dump.out" || fail "dump: $(cat "$work/dump.out")"
grep -q "flow=$handle cookie=77 port=20000" "$work/dump.out" || fail "dump content"
"$tool" ctl "$shm" del "$handle" || fail "FlowDel"
"$tool" ctl "$shm" dump | grep -q "^flows=0" || fail "flow not deleted"

echo "4. metrics"
text=$(curl -sf --max-time 3 "http://127.0.0.1:$port/metrics") || fail "metrics unreachable"
grep -q '^rampart_dp_drops_total{.*reason="srtp_auth"' <<<"$text" || fail "no drop counters"
grep -q '^rampart_dp_rx_packets_total{.*realm="lan"' <<<"$text" || fail "no realm label"
grep -q '^rampart_dp_rx_packets_total{.*realm="lan".*port="2"' <<<"$text" ||
  fail "no series for the lan realm's second port"
grep -q '^rampart_ring_enqueued_total{.*ring="command"' <<<"$text" || fail "no ring counters"
grep -qE '^rampart_dp_commands_total\{worker="0"\} [1-9]' <<<"$text" || fail "no commands counted"

echo "5. idle back-off"
t1=$(awk '{print $14+$15}' "/proc/$dp_pid/stat")
sleep 2
t2=$(awk '{print $14+$15}' "/proc/$dp_pid/stat")
ticks=$((t2 - t1))
hz=$(getconf CLK_TCK)
echo "   cpu over 2 s: $ticks ticks (${hz}/s)"
[ "$ticks" -lt "$hz" ] || fail "idle dataplane used $ticks ticks in 2 s (no back-off?)"

echo "6. SIGTERM"
kill -TERM "$dp_pid"
rc=0
wait "$dp_pid" || rc=$?
dp_pid=""
[ "$rc" = 0 ] || fail "exit code $rc"
[ ! -e "/dev/shm/${shm#/}" ] || fail "region left behind"
grep -q "stopping" "$work/dp.log" || fail "no clean stop"
echo "PASS"
