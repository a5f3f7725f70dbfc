#!/usr/bin/env bash
# Registration through Rampart and calls toward registered users (the lan -> wan direction),
# with real binaries and real peers (b2bua_lib.sh): what a user would check:
#  1. alice registers from the wan side through Rampart with digest auth: the PBX's 401 and its
#     WWW-Authenticate reach her, her authenticated REGISTER is relayed, 200; the PBX's location
#     holds Rampart's lan address as her contact (never her own); nothing of the lan side on
#     the wan wire; a wrong password is refused and leaves no binding;
#  2. bob registers twice (two sipp UASes in the wan namespace on different ports); a caller in
#     the lan namespace calls bob through the PBX (digest credentials): both of bob's bindings
#     ring, one answers (media relayed), the other gets a CANCEL (200 + 487);
#  3. a call to a user with no binding through Rampart (carol) is refused with 480 or 404;
#  4. afterwards no call, no media port, no flow.
# Every wait is bounded; about 30 s.
# usage: b2bua_register_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rbr
# shellcheck source=b2bua_preamble.sh
. "$(dirname "$0")/b2bua_preamble.sh" "$@"
step() { echo "$* (t=$((SECONDS - t0))s)"; }

b2b_config 100
b2b_start
step "Rampart and the PBX up"

step "1. alice registers through Rampart (digest challenge relayed)"
sip_capture_start "$wan" wan-sig wsig 60 udp
sip_capture_start "$lan" lan-sig lsig 60 udp
sip_run "$wan" reg_alice 10 -sf "$S/uac_register_digest.xml" "$SBC" -s alice \
  -ap "$(sip_password alice)" -i "$WAN_SIG" -p 5070 -t u1 -m 1
awk '/^SIP\/2.0 401/{s=1} s && /^WWW-Authenticate: Digest .*realm="pbx.lab"/{f=1} END{exit !f}' \
  "$work/reg_alice.msg" || fail "no 401 with the PBX's WWW-Authenticate relayed to alice"
grep -q '^SIP/2.0 200' "$work/reg_alice.msg" || fail "no 200 for alice's authenticated REGISTER"
contacts=$(sip_registered alice)
echo "   PBX location for alice: $contacts"
echo "$contacts" | grep -q '@198\.18\.3\.1:5060' || fail "alice's contact at the PBX is not Rampart's lan address"
echo "$contacts" | grep -q '198\.18\.1\.' && fail "alice's own (wan) address leaked into the PBX's location"
[ "$(cpm rampart_cp_registrations_active)" = 1 ] || fail "registrations_active is $(cpm rampart_cp_registrations_active), expected 1"
sip_run_fail "$wan" reg_bad 10 -sf "$S/uac_register_digest.xml" "$SBC" -s carol \
  -ap wrong-password -i "$WAN_SIG" -p 5073 -t u1 -m 1
[ -z "$(sip_registered carol)" ] || fail "carol registered with a wrong password"
[ "$(cpm rampart_cp_registrations_active)" = 1 ] || fail "a refused REGISTER left a binding in Rampart"
echo "   $(nsx "$sbc" curl -sf http://127.0.0.1:9100/metrics | grep -E '^rampart_cp_(register_relayed_total|registrations_active)' | tr '\n' ' ')"

step "2. bob registered twice: an inbound call from the PBX side forks to both bindings"
sip_run "$wan" reg_bob1 10 -sf "$S/uac_register_digest.xml" "$SBC" -s bob \
  -ap "$(sip_password bob)" -i "$WAN_SIG" -p 5071 -t u1 -m 1
sip_run "$wan" reg_bob2 10 -sf "$S/uac_register_digest.xml" "$SBC" -s bob \
  -ap "$(sip_password bob)" -i "$WAN_SIG" -p 5072 -t u1 -m 1
echo "   PBX location for bob: $(sip_registered bob | tr '\n' ' ')"
[ "$(cpm rampart_cp_registrations_active)" = 3 ] || fail "registrations_active is $(cpm rampart_cp_registrations_active), expected 3"
sip_registered bob | grep -q '@198\.18\.3\.1:5060' || fail "bob's contact at the PBX is not Rampart's lan address"
sip_capture_stop wsig
sip_capture_stop lsig
for leak in 198.18.3.2 198.18.4.2; do
  n=$(sip_grep_wire wsig "${leak//./\\.}")
  [ "$n" = 0 ] || fail "lan-side $leak appears in $n lines on the wan wire (REGISTER)"
done
for leak in 198.18.1.2 198.18.2.2; do
  n=$(sip_grep_wire lsig "${leak//./\\.}")
  [ "$n" = 0 ] || fail "wan-side $leak appears in $n lines on the lan wire (REGISTER)"
done
rx0=$(dpm 'rampart_dp_rx_packets_total\{.*realm="wan"')
sip_bg "$wan" bob_ring 25 -sf "$S/uas_noanswer.xml" -i "$WAN_SIG" -p 5071 -t u1 -s bob -m 1
sip_bg "$wan" bob_answer 25 -sf "$S/uas_answer.xml" -i "$WAN_SIG" -p 5072 -t u1 -s bob \
  -mi 198.18.2.2 -mp 7100 -rtp_echo -d 500 -m 1
sip_run "$lan" call_bob 20 -sf "$S/uac_call.xml" 198.18.3.2:5060 -s bob -au alice \
  -ap "$(sip_password alice)" -i 198.18.3.2 -p 5090 -t u1 -mi 198.18.4.2 -mp 6200 -d 1500 -m 1
sip_wait bob_answer 10
sip_wait bob_ring 10
grep -q '^CANCEL ' "$work/bob_ring.msg" || fail "the ringing binding was not CANCELled"
grep -q '^INVITE ' "$work/bob_answer.msg" || fail "the answering binding got no INVITE"
for f in bob_ring bob_answer; do
  if grep -qE '198\.18\.3\.2|198\.18\.4\.2' "$work/$f.msg"; then
    fail "the lan side's addresses reached bob's phone ($f): $(grep -E '198\.18\.(3|4)\.2' "$work/$f.msg" | head -n 3)"
  fi
done
drx=$(( $(dpm 'rampart_dp_rx_packets_total\{.*realm="wan"') - rx0 ))
echo "   bob's phone answered, the other binding got CANCEL; dataplane wan rx +$drx during the call"
[ "$drx" -ge 20 ] || fail "no media through the dataplane on the inbound call (wan rx +$drx)"
echo "   $(nsx "$sbc" curl -sf http://127.0.0.1:9100/metrics | grep -E '^rampart_cp_call_attempts_total' | tr '\n' ' ')"
[ "$(cpm 'rampart_cp_call_attempts_total\{realm="lan",result="answered"')" = 1 ] ||
  fail "call_attempts_total{lan,answered} is not 1"

step "3. a user with no binding through Rampart: 480 or 404"
sip_run_fail "$lan" call_carol 10 -sf "$S/uac_call.xml" 198.18.3.1:5060 -s carol \
  -i 198.18.3.2 -p 5091 -t u1 -mi 198.18.4.2 -mp 6210 -d 500 -m 1
code=$(sed -n 's/^SIP\/2.0 \(4[0-9][0-9]\).*/\1/p' "$work/call_carol.msg" | head -n 1)
echo "   carol: $(grep -m1 '^SIP/2.0 4' "$work/call_carol.msg" | tr -d '\r')"
[ "$code" = 480 ] || [ "$code" = 404 ] || fail "a call to an unregistered user got '$code', expected 480 or 404"

step "4. idle"
b2b_wait_idle 10
echo "   $(b2b_idle_state)"
b2b_alive
b2b_stop_rampart
step "PASS"
