#!/usr/bin/env bash
# Two workers, each polling its own queue of every port (net_af_packet qpairs=2: the kernel's
# fanout hashes each 4-tuple to one queue, as RSS does on a NIC). Flows are programmed on
# worker 0 and worker 1 alternately; every stream, both directions, must arrive byte-identical
# after re-keying, whichever queue its packets landed on. Checked through the metrics: both
# workers received packets, packets were handed to their flow's owner and taken over (out =
# in), and nothing was dropped for want of a flow or handoff room. The peers' MACs must reach
# the worker that asked, whichever queue the ARP answer arrived on.
# usage: multiworker_test.sh DATAPLANE_BIN DP_TOOL SOURCE_DIR
set -euo pipefail
dp=$1
tool=$2
src=$3
prefix="rmw$(( $$ % 100000 ))-"
shm="/rmw-$$"
mport=$((20000 + $$ % 20000))
work=$(mktemp -d /tmp/rmw-$$-XXXX)
# shellcheck source=lab_lib.sh
. "$(dirname "$0")/lab_lib.sh"

K1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d       # 30 B
K2=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbd       # 30 B

# Two workers on a 2-CPU machine: lcore 1 on CPU 1, lcore 2 shares CPU 0 with the main lcore
# (the idle back-off keeps that fair).
lab_start "s#worker_cpus: \[1\]#worker_cpus: [1, 2]#" \
          "s#\"--file-prefix\", \"${prefix%-}\"\]#\"--file-prefix\", \"${prefix%-}\", \"--lcores\", \"0@0,1@1,2@0\"]#" \
          "s#iface=sbc-wan-med\"#iface=sbc-wan-med,qpairs=2\"#" \
          "s#iface=sbc-lan-med\"#iface=sbc-lan-med,qpairs=2\"#"
grep -q "qpairs=2" "$config" && grep -q "0@0,1@1,2@0" "$config" || fail "config edit"
grep -q "ready:.*2 worker(s)" "$work/dp.log" || fail "dataplane not ready with 2 workers"
grep -q "2 queue(s)" "$work/dp.log" || fail "ports not started with 2 queues"
ctl connect | grep -q "workers=2" || fail "handshake"

echo "1. peers resolve the media addresses (whichever worker's queue the request reaches)"
resolved "$wan" 198.18.2.1 198.18.2.2:4999 198.18.2.1:29999 || fail "wan peer: no ARP entry"
resolved "$lan" 198.18.4.1 198.18.4.2:4999 198.18.4.1:39999 || fail "lan peer: no ARP entry"

# Those probes went to ports without a flow: counted no_flow drops, the baseline for step 3.
declare -A before
for r in no_flow handoff_full no_neighbour srtp_auth srtp_replay; do
  before[$r]=$(metric "^rampart_dp_drops_total\{.*reason=\"$r\"")
done

echo "2. SRTP re-key pairs on alternating workers, both directions"
W=198.18.2.1; WP=198.18.2.2; L=198.18.4.1; LP=198.18.4.2
pairs=12
for i in $(seq 0 $((pairs - 1))); do
  pw=$((20100 + 2 * i)); pl=$((30100 + 2 * i)); w=$((i % 2))
  ctl add worker=$w in_port=0 in_local=$W in_lport=$pw in_remote=$WP in_rport=$pw out_port=1 \
      out_local=$L out_lport=$pl out_remote=$LP out_rport=$pl in_suite=2 in_key=$K2 \
      out_suite=1 out_key=$K1 >/dev/null || fail "FlowAdd wan $i on worker $w"
  ctl add worker=$w in_port=1 in_local=$L in_lport=$pl in_remote=$LP in_rport=$pl out_port=0 \
      out_local=$W out_lport=$pw out_remote=$WP out_rport=$pw in_suite=1 in_key=$K1 \
      out_suite=2 out_key=$K2 >/dev/null || fail "FlowAdd lan $i on worker $w"
done
# stream FROM_NS FROM TO RECV_NS BIND "send opts" "recv opts"
stream() {
  nsx "$4" "$tool" recv --bind "$5" --expect 20 --timeout-ms 4000 $7 >"$work/recv.out" &
  local rp=$!
  sleep 0.2
  nsx "$1" "$tool" send --from "$2" --to "$3" --count 20 --interval-us 1000 $6 >/dev/null
  wait $rp || { cat "$work/recv.out"; return 1; }
}
for i in $(seq 0 $((pairs - 1))); do
  pw=$((20100 + 2 * i)); pl=$((30100 + 2 * i))
  stream "$wan" $WP:$pw $W:$pw "$lan" $LP:$pl "--suite 2 --key $K2" "--suite 1 --key $K1" ||
    fail "pair $i (worker $((i % 2))) wan->lan: $(cat "$work/recv.out")"
  stream "$lan" $LP:$pl $L:$pl "$wan" $WP:$pw "--suite 1 --key $K1" "--suite 2 --key $K2" ||
    fail "pair $i (worker $((i % 2))) lan->wan: $(cat "$work/recv.out")"
done
echo "   $pairs pairs x 2 directions x 20 packets arrived intact"

echo "3. metrics: both queues used, packets handed to their owner, nothing lost"
rx0=$(metric '^rampart_dp_rx_packets_total\{worker="0"')
rx1=$(metric '^rampart_dp_rx_packets_total\{worker="1"')
out=$(metric '^rampart_dp_handoff_packets_total\{.*direction="out"')
in=$(metric '^rampart_dp_handoff_packets_total\{.*direction="in"')
echo "   received: worker 0 $rx0, worker 1 $rx1; handed over $out, taken over $in"
[ "$rx0" -gt 0 ] && [ "$rx1" -gt 0 ] || fail "one worker's queue got nothing (rx $rx0 / $rx1)"
[ "$out" -gt 0 ] || fail "no packet was handed over: fanout put every stream on its owner?"
[ "$out" = "$in" ] || fail "handed over $out, taken over $in"
for r in no_flow handoff_full no_neighbour srtp_auth srtp_replay; do
  n=$(( $(metric "^rampart_dp_drops_total\{.*reason=\"$r\"") - ${before[$r]} ))
  [ "$n" = 0 ] || fail "$n drops for $r during the streams"
done

echo "4. SIGTERM: both workers stop, exit 0"
kill -TERM "$dp_pid"
for _ in $(seq 1 50); do kill -0 "$dp_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$dp_pid" 2>/dev/null; then fail "still running 5 s after SIGTERM"; fi
wait "$dp_pid" || fail "exit status $?"
dp_pid=""
echo "PASS"
