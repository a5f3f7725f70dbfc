#!/usr/bin/env bash
# Admission control end to end (real binaries, the lab PBX, sipp callers and a sipp UAS), each
# limit allowed and refused, as an operator would check it:
#  1. route max_calls: route "trunk-a" (600, the PBX's echo) admits 3 concurrent calls; of 5
#     placed at once 3 complete and 2 are refused 503, counted as {route,trunk-a,max_calls};
#  2. realm max_calls: with 3 calls up on trunk-a, the wan realm (max 4) admits one call to the
#     UAS route and refuses the next, counted as {realm,wan,max_calls};
#  3. route calls_per_second: route "trunk-b" (1/s, burst 2) admits 2 of 4 calls placed within
#     a quarter second and refuses 2, counted as {route,trunk-b,call_rate};
#  4. afterwards no call is left and the per-route gauges are back to 0.
# About 40 s. usage: admission_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rfa
# shellcheck source=../sip/b2bua_preamble.sh
. "$(dirname "$0")/../sip/b2bua_preamble.sh" "$@"
sec_dir=$src/tests/integration/security
# shellcheck source=security_lib.sh
. "$sec_dir/security_lib.sh"
step() { echo "$* (t=$((SECONDS - t0))s)"; }
refused() { cpm "rampart_cp_calls_refused_total\\{name=\"$1\",reason=\"$2\",scope=\"$3\"\\}"; }

# Health checks only at start: the sipp UAS of trunk-b would count an OPTIONS as a failed call.
B2B_ROUTES='[{"name": "trunk-a", "from": "wan", "to": "lan", "match_user": "^600$",
              "target": "sip:198.18.3.2:5060", "max_calls": 3},
             {"name": "trunk-b", "from": "wan", "to": "lan", "match_user": "^7",
              "target": "sip:198.18.3.2:5080",
              "calls_per_second": {"per_second": 1, "burst": 2}}]' \
  B2B_SIP='{"options_interval_s": 3600}' b2b_config 100
sec_config '{}' '{"max_calls": 4}'
B2B_LOG_LEVEL=info b2b_start
step "Rampart and the PBX up"

step "1. trunk-a admits 3 concurrent calls of 5"
sip_run_fail "$wan" conc 20 -sf "$S/uac_call.xml" "$SBC" -s 600 -i 198.18.1.2 -p 5060 -t u1 \
  -mi 198.18.2.2 -mp 7000 -d 2000 -m 5 -l 5 -r 20
echo "   calls ok $(sip_calls conc ok), failed $(sip_calls conc failed)"
[ "$(sip_calls conc ok)" = 3 ] && [ "$(sip_calls conc failed)" = 2 ] || fail "expected 3 ok and 2 refused"
grep -q '^SIP/2.0 503 Call Limit Reached' "$work/conc.msg" || fail "the refusals were not 503 Call Limit Reached"
[ "$(refused trunk-a max_calls route)" = 2 ] || fail "route max_calls refusals counted $(refused trunk-a max_calls route)"
b2b_wait_idle 15

step "2. the wan realm (max 4) refuses a fifth concurrent call"
# Started once the start-up OPTIONS to it has timed out (a retransmission would be one of its calls).
for _ in $(seq 1 100); do
  [ "$(cpm 'rampart_cp_target_up\{target="sip:198.18.3.2:5080"')" = 0 ] && break
  sleep 0.1
done
sip_bg "$lan" uas 40 -sf "$S/uas_answer.xml" -i 198.18.3.2 -p 5080 -t u1 -mi 198.18.4.2 -m 3
timeout -k 2 20 ip netns exec "$wan" sipp -sf "$S/uac_call.xml" "$SBC" -s 600 -i 198.18.1.2 \
  -p 5062 -t u1 -mi 198.18.2.2 -mp 7100 -d 6000 -m 3 -l 3 -r 20 -nostdin >"$work/hold.out" 2>&1 &
hold=$!
sip_pids+=("$hold")
for _ in $(seq 1 50); do [ "$(cpm rampart_cp_route_calls_active\{route=\"trunk-a\"\})" = 3 ] && break; sleep 0.1; done
[ "$(cpm rampart_cp_route_calls_active\{route=\"trunk-a\"\})" = 3 ] || fail "3 held calls did not come up"
timeout -k 2 20 ip netns exec "$wan" sipp -sf "$S/uac_call.xml" "$SBC" -s 7001 -i 198.18.1.2 \
  -p 5064 -t u1 -mi 198.18.2.2 -mp 7200 -d 3000 -m 1 -nostdin >"$work/fourth.out" 2>&1 &
fourth=$!
sip_pids+=("$fourth")
for _ in $(seq 1 50); do [ "$(cpm rampart_cp_calls_active)" = 4 ] && break; sleep 0.1; done
[ "$(cpm rampart_cp_calls_active)" = 4 ] || fail "4 calls did not come up ($(cpm rampart_cp_calls_active))"
sip_run_fail "$wan" fifth 10 -sf "$S/uac_call.xml" "$SBC" -s 7002 -i 198.18.1.2 -p 5066 -t u1 \
  -mi 198.18.2.2 -mp 7300 -d 200 -m 1
grep -q '^SIP/2.0 503 Call Limit Reached' "$work/fifth.msg" || fail "the fifth call was not refused 503"
wait "$fourth" || fail "the fourth call failed: $(tail -n 5 "$work/fourth.out")"
[ "$(refused wan max_calls realm)" = 1 ] || fail "realm max_calls refusals counted $(refused wan max_calls realm)"
wait "$hold" || fail "the held calls failed: $(tail -n 5 "$work/hold.out")"
b2b_wait_idle 15

step "3. trunk-b admits 2 of 4 calls placed at once (1/s, burst 2)"
sip_run_fail "$wan" rate 20 -sf "$S/uac_call.xml" "$SBC" -s 7003 -i 198.18.1.2 -p 5068 -t u1 \
  -mi 198.18.2.2 -mp 7400 -d 200 -m 4 -l 4 -r 20
echo "   calls ok $(sip_calls rate ok), failed $(sip_calls rate failed)"
[ "$(sip_calls rate ok)" = 2 ] && [ "$(sip_calls rate failed)" = 2 ] || fail "expected 2 ok and 2 refused"
[ "$(refused trunk-b call_rate route)" = 2 ] || fail "route call_rate refusals counted $(refused trunk-b call_rate route)"
sip_wait uas 20

step "4. nothing left"
b2b_wait_idle 15
[ "$(cpm 'rampart_cp_route_calls_active')" = 0 ] || fail "route gauges not back to 0"
b2b_alive
b2b_stop_rampart
step "PASS"
