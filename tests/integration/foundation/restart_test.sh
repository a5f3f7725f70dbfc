#!/usr/bin/env bash
# Foundation integration test with the real binaries in network namespaces of its own:
#  1. rampart-dataplane (net_af_packet on veth, --no-huge) and rampart-controlplane start from
#     the lab configuration and complete the handshake;
#  2. both /metrics endpoints answer with Prometheus text including ring counters;
#  3. a second control plane is refused while the first holds the region;
#  4. the control plane restarts and handshakes again with the running dataplane;
#  5. the dataplane restarts and the running control plane reattaches to the new epoch;
#  6. SIGTERM stops both cleanly: exit 0, no shared-memory region, no process left.
# usage: restart_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
dp=$build/dataplane/rampart-dataplane
cp=$build/controlplane/rampart-controlplane
prefix="rft$$-"
sbc=${prefix}sbc
shm="/rampart-test-$$"
work=$(mktemp -d /tmp/rampart-it.XXXXXX)
dp_pid=""
cp_pid=""
cp2_pid=""

fail() { echo "FAIL: $*" >&2; tail -n 30 "$work"/*.log >&2 || true; exit 1; }

cleanup() {
  for pid in $cp2_pid $cp_pid $dp_pid; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  "$src/tools/lab" down --prefix "$prefix" >/dev/null 2>&1 || true
  rm -f "/dev/shm/${shm#/}" "/dev/shm/${shm#/}.xc"  # the region and its transcoder rings
  rm -rf "$work"
}
trap cleanup EXIT

# Bounded wait: up to $1 tenths of a second for command "$2..." to succeed.
wait_for() {
  local tenths=$1
  shift
  for _ in $(seq 1 "$tenths"); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

metrics() {  # metrics PORT
  ip netns exec "$sbc" curl -sf --max-time 2 "http://198.18.255.2:$1/metrics"
}
cp_connected() { metrics 9100 | grep -q '^rampart_cp_dataplane_connected 1'; }
cp_epoch() { metrics 9100 | sed -n 's/^rampart_cp_dataplane_epoch //p'; }

"$src/tools/lab" up --prefix "$prefix" --no-mgmt >/dev/null
# The management address lives on a veth inside the appliance namespace (this kernel has no
# dummy interfaces).
ip netns exec "$sbc" ip link add sbc-mgmt type veth peer name sbc-mgmt-peer
ip netns exec "$sbc" ip link set sbc-mgmt-peer up
ip netns exec "$sbc" ip addr add 198.18.255.2/30 dev sbc-mgmt
ip netns exec "$sbc" ip link set sbc-mgmt up

config=$work/rampart.yaml
sed -e "s#shm_name: /rampart#shm_name: $shm#" \
    -e "s#certificate: lab-certs/#certificate: $src/etc/lab-certs/#" \
    -e "s#private_key: lab-certs/#private_key: $src/etc/lab-certs/#" \
    -e "s#secret_file: lab-certs/#secret_file: $src/etc/lab-certs/#" \
    "$src/etc/rampart.yaml" >"$config"
"$cp" --config "$config" --check-config >/dev/null || fail "control plane rejects the config"
"$dp" --config "$config" --check-config >/dev/null || fail "dataplane rejects the config"

start_dp() {
  ip netns exec "$sbc" "$dp" --config "$config" >>"$work/dp.log" 2>&1 &
  dp_pid=$!
}
start_cp() {
  ip netns exec "$sbc" "$cp" --config "$config" >>"$work/cp.log" 2>&1 &
  cp_pid=$!
}

echo "1. start both"
start_dp
start_cp
wait_for 200 cp_connected || fail "control plane did not handshake with the dataplane"

echo "2. metrics"
cp_text=$(metrics 9100) || fail "control plane metrics unreachable"
dp_text=$(metrics 9101) || fail "dataplane metrics unreachable"
for t in "$cp_text" "$dp_text"; do
  grep -q '^rampart_ring_enqueued_total{.*ring="command"' <<<"$t" || fail "no ring counters"
  grep -q '^rampart_ring_full_total' <<<"$t" || fail "no ring full counters"
  grep -q '^rampart_process_cpu_seconds_total' <<<"$t" || fail "no process metrics"
  # Prometheus rejects a scrape with the same series twice.
  dups=$(grep '^rampart_' <<<"$t" | awk '{print $1}' | sort | uniq -d)
  [ -z "$dups" ] || fail "duplicate series: $dups"
done
# The handshake itself went through the command ring: at least one message per worker.
grep -qE '^rampart_ring_dequeued_total\{.*ring="command".*\} [1-9]' <<<"$dp_text" ||
  fail "dataplane dequeued no command"

echo "3. a second control plane is refused"
# Its own metrics and signalling ports, so what refuses it is the region lock.
sed -e 's/controlplane_port: 9100/controlplane_port: 9110/' -e 's/port: 8443/port: 8453/' \
    -e 's/port: 5060/port: 5070/' -e 's/port: 9443/port: 9453/' "$config" >"$work/second.yaml"
ip netns exec "$sbc" timeout 5 "$cp" --config "$work/second.yaml" >"$work/cp2.log" 2>&1 &
cp2_pid=$!
wait_for 50 grep -q "already attached by another control plane" "$work/cp2.log" ||
  fail "second control plane was not refused"
kill -TERM "$cp2_pid" 2>/dev/null || true
wait "$cp2_pid" 2>/dev/null || true
cp2_pid=""

echo "4. control-plane restart"
epoch1=$(cp_epoch)
kill -TERM "$cp_pid"
wait "$cp_pid" || fail "control plane exited non-zero on SIGTERM"
kill -0 "$dp_pid" || fail "dataplane died with the control plane"
start_cp
wait_for 200 cp_connected || fail "restarted control plane did not handshake"
[ "$(cp_epoch)" = "$epoch1" ] || fail "epoch changed without a dataplane restart"

echo "5. dataplane restart"
kill -TERM "$dp_pid"
wait "$dp_pid" || fail "dataplane exited non-zero on SIGTERM"
[ ! -e "/dev/shm/${shm#/}" ] || fail "dataplane left its region behind"
kill -0 "$cp_pid" || fail "control plane died with the dataplane"
start_dp
wait_for 300 bash -c "[ \"\$(ip netns exec $sbc curl -sf http://198.18.255.2:9100/metrics | sed -n 's/^rampart_cp_dataplane_epoch //p')\" != \"$epoch1\" ]" ||
  fail "control plane did not reattach to the new dataplane"
wait_for 100 cp_connected || fail "control plane not connected after the dataplane restart"

echo "6. clean stop"
kill -TERM "$cp_pid" "$dp_pid"
wait "$cp_pid" || fail "control plane exit status"
wait "$dp_pid" || fail "dataplane exit status"
cp_pid=""
dp_pid=""
[ ! -e "/dev/shm/${shm#/}" ] || fail "region left behind"
echo "PASS"
