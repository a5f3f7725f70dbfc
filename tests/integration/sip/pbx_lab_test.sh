#!/usr/bin/env bash
# The lab PBX and the sipp scenarios, without Rampart: a lab under a test prefix, the PBX in its
# lan namespace, and callers in the sbc namespace standing in for the SBC (198.18.3.1, trusted
# by the PBX) and for an untrusted phone (198.18.3.10). Proves that the PBX and the scenarios
# the B2BUA tests will use work:
#  1. REGISTER with digest auth (alice), the binding is in the PBX; a wrong password is refused;
#  2. a call to the echo extension 600: RTP comes back on the wire, ACK and BYE reach the UAS
#     along the Record-Route set;
#  3. an INVITE from an untrusted address is challenged and goes through with credentials;
#  4. 486 busy, CANCEL of a ringing call, hold/resume re-INVITEs on the echo, early media (183);
#  5. two bindings for bob (two sipp UASes): the call forks, one answers, the other is CANCELled.
# Every step is bounded; the whole test takes about 20 s.
# usage: pbx_lab_test.sh SOURCE_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
prefix="rts$(( $$ % 100000 ))-"
work=$(mktemp -d /tmp/rts-$$-XXXX)
# shellcheck source=sip_lib.sh
. "$src/tests/integration/sip/sip_lib.sh"

for tool in kamailio sipp tcpdump kamcmd; do
  command -v "$tool" >/dev/null || fail "$tool is missing (tools/bootstrap installs it)"
done

S=$sip_dir
PBX=198.18.3.2:5060
SBC=198.18.3.1      # trusted by the PBX
PHONE=198.18.3.10   # untrusted

sip_lab_up
sip_sbc_standin
sip_pbx_up

echo "1. registration with digest authentication"
sip_run "$sbc" reg_alice 10 -sf "$S/uac_register_digest.xml" "$PBX" -s alice \
  -ap "$(sip_password alice)" -i "$PHONE" -p 5090 -t u1 -m 1
sip_registered alice | grep -q "sip:alice@$PHONE:5090" || fail "alice's binding is not in the PBX"
sip_run_fail "$sbc" reg_bad 10 -sf "$S/uac_register_digest.xml" "$PBX" -s carol \
  -ap wrong-password -i "$PHONE" -p 5091 -t u1 -m 1
[ -z "$(sip_registered carol)" ] || fail "carol registered with a wrong password"

echo "2. echo call: media returns, ACK and BYE follow the route set"
sip_capture_start "$sbc" sbc-lan-med media 20 udp
sip_capture_start "$lan" lo sig 20 "udp port 5070"
sip_run "$sbc" call_echo 20 -sf "$S/uac_call.xml" "$PBX" -s 600 -i "$SBC" -p 5080 -t u1 \
  -mi 198.18.4.1 -mp 7000 -d 2000 -m 1
sip_capture_stop media
sip_capture_stop sig
sent=$(sip_count media "src host 198.18.4.1 and src port 7000 and dst port 6000")
echoed=$(sip_count media "src host 198.18.4.2 and src port 6000 and dst host 198.18.4.1 and dst port 7000")
echo "   RTP sent $sent, echoed $echoed"
[ "$sent" -ge 30 ] || fail "only $sent RTP packets sent in a 2 s call"
[ "$echoed" -ge $((sent * 9 / 10)) ] || fail "only $echoed of $sent RTP packets came back"
[ "$(sip_grep_wire sig '^ACK sip:600@198\.18\.3\.2:5070|ACK sip:echo@')" -ge 1 ] || fail "no ACK reached the echo UAS"
[ "$(sip_grep_wire sig 'BYE sip:echo@')" -ge 1 ] || fail "no BYE reached the echo UAS"

echo "3. untrusted caller: challenged, then through with credentials"
sip_run "$sbc" call_auth 20 -sf "$S/uac_call.xml" "$PBX" -s 600 -au alice \
  -ap "$(sip_password alice)" -i "$PHONE" -p 5081 -t u1 -mi 198.18.4.1 -mp 7002 -d 300 -m 1
grep -q '^SIP/2.0 407' "$work/call_auth.msg" || fail "the untrusted INVITE was not challenged"
sip_run_fail "$sbc" call_noauth 10 -sf "$S/uac_call.xml" "$PBX" -s 600 -au alice \
  -ap wrong-password -i "$PHONE" -p 5082 -t u1 -mi 198.18.4.1 -mp 7004 -d 300 -m 1

echo "4. busy, cancel, hold/resume, early media, TCP"
sip_run "$sbc" busy 10 -sf "$S/uac_busy.xml" "$PBX" -s 486 -i "$SBC" -p 5083 -t u1 \
  -mi 198.18.4.1 -mp 7006 -m 1
sip_run "$sbc" cancel 10 -sf "$S/uac_cancel.xml" "$PBX" -s noanswer -i "$SBC" -p 5084 -t u1 \
  -mi 198.18.4.1 -mp 7008 -d 300 -m 1
sip_run "$sbc" hold 15 -sf "$S/uac_reinvite_hold.xml" "$PBX" -s 600 -i "$SBC" -p 5085 -t u1 \
  -mi 198.18.4.1 -mp 7010 -d 300 -m 1
sip_run "$sbc" early 15 -sf "$S/uac_call.xml" "$PBX" -s 183 -i "$SBC" -p 5086 -t u1 \
  -mi 198.18.4.1 -mp 7012 -d 300 -m 1
grep -q '^SIP/2.0 183' "$work/early.msg" || fail "no 183 before the answer"
sip_run "$sbc" call_tcp 15 -sf "$S/uac_call.xml" "$PBX" -s 600 -i "$SBC" -p 5087 -t t1 \
  -mi 198.18.4.1 -mp 7014 -d 300 -m 1

echo "5. two bindings for bob: the call forks"
sip_run "$sbc" reg_bob1 10 -sf "$S/uac_register_digest.xml" "$PBX" -s bob \
  -ap "$(sip_password bob)" -i "$PHONE" -p 5092 -t u1 -m 1
sip_run "$sbc" reg_bob2 10 -sf "$S/uac_register_digest.xml" "$PBX" -s bob \
  -ap "$(sip_password bob)" -i "$PHONE" -p 5093 -t u1 -m 1
[ "$(sip_registered bob | wc -l)" = 2 ] || fail "bob should have two bindings: $(sip_registered bob)"
sip_bg "$sbc" bob_ringing 20 -sf "$S/uas_noanswer.xml" -i "$PHONE" -p 5092 -t u1 -s bob -m 1
sip_bg "$sbc" bob_answer 20 -sf "$S/uas_answer.xml" -i "$PHONE" -p 5093 -t u1 -s bob \
  -mi 198.18.4.1 -mp 7100 -d 300 -m 1
sip_run "$sbc" call_bob 20 -sf "$S/uac_call.xml" "$PBX" -s bob -i "$SBC" -p 5088 -t u1 \
  -mi 198.18.4.1 -mp 7016 -d 500 -m 1
sip_wait bob_answer 10
sip_wait bob_ringing 10
grep -q '^CANCEL ' "$work/bob_ringing.msg" || fail "the ringing branch was not CANCELled"

echo "PASS"
