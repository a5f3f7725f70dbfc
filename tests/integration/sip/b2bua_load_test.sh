#!/usr/bin/env bash
# The B2BUA under load, with real binaries and real peers (b2bua_lib.sh):
#  1. 100 concurrent calls to the PBX's echo extension (sipp -m 100 -l 100 -r 25, 5 s hold,
#     RTP played by every caller): all succeed; peak calls and media ports seen in the metrics;
#     afterwards no call, no media port, no dataplane flow;
#  2. soak-lite: 300 short calls in a row (-r 30, 300 ms hold): all succeed; afterwards zero
#     calls, ports and flows, the transactions drain, and rampart-controlplane's RSS after the
#     300 is within a bound of its RSS after the first 50, and once the transactions drained
#     back within 5% of it (the burst's memory given back; numbers printed).
# The INVITE rate limits are raised in this test's config (one sipp source places 25-30 calls/s;
# the defaults allow 20/s per source). Every wait is bounded; about 60 s.
# usage: b2bua_load_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rbl
# shellcheck source=b2bua_preamble.sh
. "$(dirname "$0")/b2bua_preamble.sh" "$@"
step() { echo "$* (t=$((SECONDS - t0))s)"; }
RSS_GROWTH_MAX_KB=${RSS_GROWTH_MAX_KB:-8192}  # after 300 calls vs after 50

B2B_LOAD=1 b2b_config 100
B2B_LOG_LEVEL=info b2b_start
step "Rampart and the PBX up"

step "1. 100 concurrent calls"
peak_file=$work/peak
( peak_c=0; peak_p=0; peak_f=0
  for _ in $(seq 1 200); do
    c=$(cpm rampart_cp_calls_active); p=$(cpm rampart_cp_media_ports_in_use)
    f=$(dpm 'rampart_dp_flows[{ ]')
    [ "$c" -gt "$peak_c" ] && peak_c=$c; [ "$p" -gt "$peak_p" ] && peak_p=$p
    [ "$f" -gt "$peak_f" ] && peak_f=$f
    echo "$peak_c $peak_p $peak_f" >"$peak_file.tmp" && mv "$peak_file.tmp" "$peak_file"
    sleep 0.1
  done ) &
sampler=$!
sip_pids+=("$sampler")
rx0=$(dpm 'rampart_dp_rx_packets_total\{.*realm="wan"')
sip_run "$wan" conc 45 -sf "$S/uac_call.xml" "$SBC" -s 600 -i 198.18.1.2 -p 5060 -t u1 \
  -mi 198.18.2.2 -mp 7000 -d 5000 -m 100 -l 100 -r 25
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
# The sampler may have been stopped before its first sample: default to zeros, never exit here.
peak_c=0 peak_p=0 peak_f=0
if [ -s "$peak_file" ]; then read -r peak_c peak_p peak_f <"$peak_file" || true; fi
ok=$(sip_calls conc ok)
drx=$(( $(dpm 'rampart_dp_rx_packets_total\{.*realm="wan"') - rx0 ))
echo "   $ok calls ok; peak calls_active $peak_c, media ports in use $peak_p, dataplane flows $peak_f; wan rx +$drx packets"
[ "$ok" = 100 ] || fail "only $ok of 100 concurrent calls succeeded"
[ "$peak_c" -ge 80 ] || fail "at most $peak_c calls were up at once, expected about 100"
[ "$drx" -ge $((100 * 100)) ] || fail "only $drx RTP packets from the callers crossed the dataplane"
b2b_wait_idle 20
echo "   idle: $(b2b_idle_state)"
[ "$(cpm 'rampart_cp_call_attempts_total\{realm="wan",result="answered"')" = 100 ] ||
  fail "call_attempts_total{wan,answered} is $(cpm 'rampart_cp_call_attempts_total\{realm="wan",result="answered"'), expected 100"

step "2. soak-lite: 300 sequential calls"
sip_run "$wan" soak50 30 -sf "$S/uac_call.xml" "$SBC" -s 600 -i 198.18.1.2 -p 5060 -t u1 \
  -mi 198.18.2.2 -mp 7000 -d 300 -m 50 -r 30
b2b_wait_idle 10
rss50=$(cp_rss_kb)
sip_run "$wan" soak250 60 -sf "$S/uac_call.xml" "$SBC" -s 600 -i 198.18.1.2 -p 5060 -t u1 \
  -mi 198.18.2.2 -mp 7000 -d 300 -m 250 -r 30
b2b_wait_idle 10
rss300=$(cp_rss_kb)
ok=$(( $(sip_calls soak50 ok) + $(sip_calls soak250 ok) ))
echo "   $ok of 300 calls ok; controlplane RSS after 50 calls (+100 concurrent before): $rss50 kB, after 300: $rss300 kB ($((rss300 - rss50)) kB)"
[ "$ok" = 300 ] || fail "only $ok of 300 calls succeeded"
[ $((rss300 - rss50)) -le "$RSS_GROWTH_MAX_KB" ] ||
  fail "controlplane RSS grew by $((rss300 - rss50)) kB over 250 calls (bound $RSS_GROWTH_MAX_KB kB)"
b2b_wait_txn_zero 40
sleep 2  # the control plane gives the burst's memory back within a second (memory_return.h)
rss_end=$(cp_rss_kb)
echo "   controlplane RSS once the transactions drained: $rss_end kB (after 50 calls: $rss50 kB)"
[ "$rss_end" -le $((rss50 * 105 / 100)) ] ||
  fail "controlplane RSS $rss_end kB after the load is not within 5% of $rss50 kB (after 50 calls)"
[ "$(cpm rampart_cp_memory_trims_total)" -ge 1 ] || fail "no memory trim after the burst"
echo "   $(b2b_idle_state); $(nsx "$sbc" curl -sf http://127.0.0.1:9100/metrics | grep -E '^rampart_cp_(call_attempts_total|calls_ended_total|sip_retransmissions_total)' | tr '\n' ' ')"
b2b_alive
b2b_stop_rampart
step "PASS"
