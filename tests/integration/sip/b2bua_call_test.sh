#!/usr/bin/env bash
# The B2BUA end to end with real binaries and real peers: rampart-dataplane and
# rampart-controlplane in a lab of their own (b2bua_lib.sh), the lab PBX (Kamailio + sipp UASes)
# on the lan side, sipp UACs in the wan namespace. What a user would check:
#  1. a call wan->lan to the echo extension 600: sipp completes it; RTP crosses the dataplane
#     both ways (on the wire: from 198.18.2.1 to the caller, from 198.18.4.1 to the PBX, and the
#     echo back; dataplane rx/tx counters of both realms grow); media from Rampart carries EF
#     (TOS 0xb8) and SIP from Rampart AF31 (TOS 0x68) on both sides; afterwards no call, no
#     media port, no flow, and the transactions drain within a bound;
#  2. topology hiding on the captures of 1: nothing of the wan side (addresses, A-leg Call-ID)
#     on the lan wire, nothing of the lan side (addresses, B-leg Call-ID) on the wan wire;
#  3. 486 relayed and ACKed; CANCEL of a ringing call (487 to the caller, CANCEL seen by the
#     PBX); early media (183 with Rampart's SDP, then 200); hold/resume re-INVITEs; BYE from
#     the callee (a sipp UAS on the lan side); BYE from the caller (1.);
#  4. target failover: the route's first target never answers (timer B, sip.t1_ms 100), the
#     second (the PBX) completes the call;
#  5. bad input from the wan side (b2bua_badinput.py): garbage, missing/bad headers, oversized,
#     RFC 4475 torture messages, BYE outside a dialog (481): each answered as RFC 3261 says or
#     counted as a malformed drop; the process stays up and a call completes afterwards.
# Every wait is bounded; about 60 s.
# usage: b2bua_call_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rbc
# shellcheck source=b2bua_preamble.sh
. "$(dirname "$0")/b2bua_preamble.sh" "$@"
deferred=()  # failures that do not stop the later cases; reported at the end
step() { echo "$* (t=$((SECONDS - t0))s)"; }

b2b_config 100
b2b_start
step "Rampart and the PBX up"

step "1. echo call wan->lan: media both ways through the dataplane, DSCP, clean teardown"
rx0=$(dpm 'rampart_dp_rx_packets_total\{.*realm="wan"'); rxl0=$(dpm 'rampart_dp_rx_packets_total\{.*realm="lan"')
tx0=$(dpm 'rampart_dp_tx_packets_total\{.*realm="wan"'); txl0=$(dpm 'rampart_dp_tx_packets_total\{.*realm="lan"')
sip_capture_start "$wan" wan-sig wsig 60 udp
sip_capture_start "$wan" wan-med wmed 30 udp
sip_capture_start "$lan" lan-sig lsig 60 udp
sip_capture_start "$lan" lan-med lmed 30 udp
sip_run "$wan" call1 20 -sf "$S/uac_call.xml" "$SBC" -s 600 -i "$WAN_SIG" -p 5060 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 2000 -m 1
sleep 1  # tcpdump hands packets over in blocks: let the last one time out before SIGINT
sip_capture_stop wmed
sip_capture_stop lmed
# The caller's RTP until its BYE (sipp keeps playing until the BYE is answered; those late
# packets are rightly dropped by the dataplane, the flows are gone).
bye_t=$(tcpdump -n -tt -r "$work/wsig.pcap" 2>/dev/null | awk '/> 198\.18\.1\.1\.5060: SIP: BYE/ {print $1; exit}')
[ -n "$bye_t" ] || fail "no BYE from the caller on the wan wire"
a_sent=$(tcpdump -n -tt -r "$work/wmed.pcap" "src host $WAN_MED and src port 7000 and dst host 198.18.2.1" 2>/dev/null |
  awk -v t="$bye_t" '$1 < t' | wc -l)
a_got=$(sip_count wmed "src host 198.18.2.1 and dst host $WAN_MED and dst port 7000")
b_sent=$(sip_count lmed "src host 198.18.4.1 and dst host 198.18.4.2 and dst port 6000")
b_echo=$(sip_count lmed "src host 198.18.4.2 and src port 6000 and dst host 198.18.4.1")
echo "   RTP: caller sent $a_sent before its BYE, PBX got $b_sent from 198.18.4.1, echoed $b_echo, caller got $a_got from 198.18.2.1"
[ "$a_sent" -ge 50 ] || fail "the caller sent only $a_sent RTP packets in a 2 s call"
[ "$b_sent" -ge $((a_sent * 9 / 10)) ] || fail "only $b_sent of $a_sent RTP packets reached the PBX side"
[ "$a_got" -ge $((b_echo * 8 / 10)) ] && [ "$a_got" -ge 40 ] ||
  fail "only $a_got of $b_echo echoed RTP packets came back to the caller"
drx=$(( $(dpm 'rampart_dp_rx_packets_total\{.*realm="wan"') - rx0 ))
drxl=$(( $(dpm 'rampart_dp_rx_packets_total\{.*realm="lan"') - rxl0 ))
dtx=$(( $(dpm 'rampart_dp_tx_packets_total\{.*realm="wan"') - tx0 ))
dtxl=$(( $(dpm 'rampart_dp_tx_packets_total\{.*realm="lan"') - txl0 ))
echo "   dataplane: wan rx +$drx tx +$dtx, lan rx +$drxl tx +$dtxl"
[ "$drx" -ge 40 ] && [ "$dtx" -ge 40 ] && [ "$drxl" -ge 40 ] && [ "$dtxl" -ge 40 ] ||
  fail "dataplane counters did not grow on both realms"
tos_wm=$(sip_tos wmed "udp and src host 198.18.2.1"); tos_lm=$(sip_tos lmed "udp and src host 198.18.4.1")
echo "   media TOS from Rampart: wan $tos_wm, lan $tos_lm"
[ "$tos_wm" = 0xb8 ] || fail "media to the wan side has TOS '$tos_wm', expected 0xb8 (EF)"
[ "$tos_lm" = 0xb8 ] || fail "media to the lan side has TOS '$tos_lm', expected 0xb8 (EF)"
[ "$(cpm 'rampart_cp_call_attempts_total\{realm="wan",result="answered"')" = 1 ] ||
  fail "call_attempts_total{wan,answered} is not 1"
b2b_wait_idle 10
echo "   idle: $(b2b_idle_state)"
sip_capture_stop wsig
sip_capture_stop lsig
tos_ws=$(sip_tos wsig "udp and src host 198.18.1.1"); tos_ls=$(sip_tos lsig "udp and src host 198.18.3.1")
echo "   SIP TOS from Rampart: wan $tos_ws, lan $tos_ls"
[ "$tos_ws" = 0x68 ] || fail "SIP to the wan side has TOS '$tos_ws', expected 0x68 (AF31)"
[ "$tos_ls" = 0x68 ] || fail "SIP to the lan side has TOS '$tos_ls', expected 0x68 (AF31)"

step "2. topology hiding (signalling captures of 1.)"
a_callid=$(sed -n 's/^Call-ID: *\(.*\)\r\?$/\1/p' "$work/call1.msg" | head -n 1 | tr -d '\r')
b_callid=$(tcpdump -n -A -r "$work/lsig.pcap" 2>/dev/null | sed -n 's/^Call-ID: *\(.*\)$/\1/p' | tr -d '\r' | sort -u | head -n 1)
echo "   A-leg Call-ID $a_callid, B-leg Call-ID $b_callid"
[ -n "$a_callid" ] && [ -n "$b_callid" ] || fail "Call-IDs not found in the traces"
[ "$a_callid" != "$b_callid" ] || fail "the B leg reuses the A-leg Call-ID"
[ "$(sip_grep_wire lsig 'INVITE sip:600@')" -ge 1 ] || fail "no INVITE on the lan side"
re() { printf '%s' "$1" | sed 's/[.[\*^$()+?{|]/\\&/g'; }
for leak in 198.18.1.2 198.18.2.2 "$a_callid"; do
  n=$(sip_grep_wire lsig "$(re "$leak")")
  [ "$n" = 0 ] || fail "wan-side '$leak' appears in $n lines on the lan wire"
done
for leak in 198.18.3.2 198.18.4.2 "$b_callid"; do
  n=$(sip_grep_wire wsig "$(re "$leak")")
  [ "$n" = 0 ] || fail "lan-side '$leak' appears in $n lines on the wan wire"
done
echo "   no wan address or A-leg Call-ID on the lan wire, no lan address or B-leg Call-ID on the wan wire"

step "3. busy, cancel, early media, hold/resume, BYE from the callee"
sip_capture_start "$lan" lan-sig lsig3 60 udp
sip_run "$wan" busy 10 -sf "$S/uac_busy.xml" "$SBC" -s 486 -i "$WAN_SIG" -p 5061 -t u1 \
  -mi "$WAN_MED" -mp 7010 -m 1
grep -q '^SIP/2.0 486' "$work/busy.msg" || fail "no 486 relayed to the caller"
sip_run "$wan" cancel 15 -sf "$S/uac_cancel.xml" "$SBC" -s 408 -i "$WAN_SIG" -p 5062 -t u1 \
  -mi "$WAN_MED" -mp 7020 -d 1000 -m 1
grep -q '^SIP/2.0 487' "$work/cancel.msg" || fail "no 487 to the caller"
sip_run "$wan" early 15 -sf "$S/uac_call.xml" "$SBC" -s 183 -i "$WAN_SIG" -p 5063 -t u1 \
  -mi "$WAN_MED" -mp 7030 -d 500 -m 1
awk '/^SIP\/2.0 183/{s=1} s && /^m=audio/{print; exit}' "$work/early.msg" | grep -q 'm=audio 2[0-9]* RTP/AVP' ||
  fail "the 183 reached the caller without Rampart's SDP (m=audio on a wan media port)"
awk '/^SIP\/2.0 183/{s=1} s && /^c=/{print; exit}' "$work/early.msg" | grep -q '198\.18\.2\.1' ||
  fail "the 183's SDP does not name Rampart's wan media address"
sip_run "$wan" hold 20 -sf "$S/uac_reinvite_hold.xml" "$SBC" -s 600 -i "$WAN_SIG" -p 5064 -t u1 \
  -mi "$WAN_MED" -mp 7040 -d 500 -m 1
sip_bg "$lan" uas_bye 20 -sf "$S/uas_bye.xml" -i 198.18.3.2 -p 5080 -t u1 -mi 198.18.4.2 \
  -mp 6100 -d 1000 -s 700 -m 1
sip_run "$wan" callee_bye 15 -sf "$S/uac_wait_bye.xml" "$SBC" -s 700 -i "$WAN_SIG" -p 5065 -t u1 \
  -mi "$WAN_MED" -mp 7050 -m 1
sip_wait uas_bye 10
grep -q '^BYE ' "$work/callee_bye.msg" || fail "the callee's BYE did not reach the caller"
# A callee that requires 100rel (RFC 3262): Rampart PRACKs its reliable 180 itself; the
# caller, which never offered 100rel, gets the 180 unreliably and the call completes.
sip_bg "$lan" uas_100rel 20 -sf "$S/uas_100rel.xml" -i 198.18.3.2 -p 5080 -t u1 -mi 198.18.4.2 \
  -mp 6110 -m 1
sip_run "$wan" prack 15 -sf "$S/uac_call.xml" "$SBC" -s 701 -i "$WAN_SIG" -p 5067 -t u1 \
  -mi "$WAN_MED" -mp 7070 -d 500 -m 1
sip_wait uas_100rel 10
grep -q '^PRACK ' "$work/uas_100rel.msg" || fail "Rampart did not PRACK the reliable 180"
if awk '/^SIP\/2.0 180/{s=1} s && /^$/{exit} s' "$work/prack.msg" | grep -qi '^Require:.*100rel'; then
  fail "the caller got the 180 with Require: 100rel"
fi
b2b_wait_idle 10
sip_capture_stop lsig3
[ "$(sip_grep_wire lsig3 'ACK sip:486@')" -ge 1 ] || fail "Rampart did not ACK the 486 toward the PBX"
[ "$(sip_grep_wire lsig3 'CANCEL sip:408@')" -ge 1 ] || fail "the PBX never saw a CANCEL"
[ "$(sip_grep_wire lsig3 'SIP/2.0 487')" -ge 1 ] || fail "no 487 from the PBX"
[ "$(sip_grep_wire lsig3 'a=sendonly')" -ge 1 ] || fail "the hold re-INVITE did not reach the PBX side as a=sendonly"
[ "$(sip_grep_wire lsig3 'a=recvonly|a=inactive')" -ge 1 ] || fail "no recvonly/inactive answer to the hold on the lan side"
for r in busy cancelled; do
  [ "$(cpm "rampart_cp_call_attempts_total\\{realm=\"wan\",result=\"$r\"")" -ge 1 ] ||
    fail "call_attempts_total{wan,$r} did not count"
done
echo "   $(nsx "$sbc" curl -sf http://127.0.0.1:9100/metrics | grep -E '^rampart_cp_(call_attempts|calls_ended)_total' | tr '\n' ' ')"

step "3b. SIP over TLS (RFC 3261 26.2): TLS 1.2+ served, TLS 1.1 refused"
tls_options() {  # OPENSSL_FLAGS...: one OPTIONS over a TLS connection, prints the status line
  printf 'OPTIONS sip:198.18.1.1:5061;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS 198.18.1.2:5099;branch=z9hG4bKtls%s\r\nMax-Forwards: 70\r\nFrom: <sip:probe@198.18.1.2>;tag=t1\r\nTo: <sip:198.18.1.1>\r\nCall-ID: tls-%s@198.18.1.2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' "$RANDOM" "$RANDOM" |
    nsx "$wan" timeout 5 openssl s_client -connect 198.18.1.1:5061 "$@" -quiet -ign_eof 2>/dev/null |
    head -n 1 | tr -d '\r' || true
}
tls12=$(tls_options -tls1_2)
echo "   TLS 1.2 OPTIONS: ${tls12:-no answer}"
[ "$tls12" = "SIP/2.0 200 OK" ] || fail "no 200 to an OPTIONS over TLS 1.2"
# SECLEVEL=0 so the client really offers TLS 1.1 (OpenSSL 3 would not by default).
tls11=$(tls_options -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')
echo "   TLS 1.1 OPTIONS: ${tls11:-refused}"
[ -z "$tls11" ] || fail "an OPTIONS over TLS 1.1 was answered"

step "4. target failover: dead first target, then the PBX"
# 198.18.3.99 is on the lan link but nobody has it: the INVITE never gets past ARP, so the
# attempt shows as ARP requests for it; the PBX gets the INVITE after timer B (64*T1 = 6.4 s).
sip_capture_start "$lan" lan-sig lsig4 40 "udp or arp"
sip_run "$wan" failover 25 -sf "$S/uac_call.xml" "$SBC" -s echo -i "$WAN_SIG" -p 5066 -t u1 \
  -mi "$WAN_MED" -mp 7060 -d 500 -m 1
sip_capture_stop lsig4
dead_t=$(tcpdump -n -tt -r "$work/lsig4.pcap" arp 2>/dev/null | awk '/who-has 198\.18\.3\.99/ {print $1; exit}')
live_t=$(tcpdump -n -tt -r "$work/lsig4.pcap" udp 2>/dev/null | awk '/SIP: INVITE sip:echo@198\.18\.3\.2/ {print $1; exit}')
dead=$(tcpdump -n -r "$work/lsig4.pcap" arp 2>/dev/null | grep -c 'who-has 198\.18\.3\.99' || true)
live=$(sip_grep_wire lsig4 'INVITE sip:echo@198\.18\.3\.2')
echo "   ARP requests for the dead target: $dead (first at $dead_t), INVITE to the PBX at $live_t" \
     "($(awk -v a="$dead_t" -v b="$live_t" 'BEGIN {printf "%.1f", b - a}') s later)"
# Rampart's OPTIONS health checks may already have marked the dead target down (it never
# answers), in which case new calls skip it; otherwise the call must have tried it first.
dead_up=$(cpm 'rampart_cp_target_up\{target="sip:198\.18\.3\.99:5060"\}')
echo "   rampart_cp_target_up for the dead target: ${dead_up:-absent}"
if [ "${dead_up:-1}" = 0 ]; then
  echo "   the dead target was skipped: health checks had marked it down"
else
  [ "$dead" -ge 1 ] || fail "the first target was never tried"
fi
[ "$live" -ge 1 ] || fail "the call did not fail over to the PBX"
b2b_wait_idle 10

step "5. bad input: malformed and torture messages, BYE outside a dialog"
m0=$(cpm rampart_cp_sip_malformed_total)
nsx "$wan" /usr/bin/python3 "$sip_dir/b2bua_badinput.py" --target 198.18.1.1 --source "$WAN_SIG" \
  --metrics-cmd "ip netns exec $sbc curl -sf --max-time 3 http://127.0.0.1:9100/metrics" \
  --report "$work/badinput.txt" || deferred+=("bad input: $(grep -c FAIL "$work/badinput.txt") case(s) failed")
cat "$work/badinput.txt"
m1=$(cpm rampart_cp_sip_malformed_total)
echo "   rampart_cp_sip_malformed_total: $m0 -> $m1 ($(nsx "$sbc" curl -sf http://127.0.0.1:9100/metrics | grep -E '^rampart_cp_(sip_malformed|transport_drops)_total' | tr '\n' ' '))"
[ "$m1" -gt "$m0" ] || fail "no malformed message was counted"
b2b_alive
sip_run "$wan" after_bad 20 -sf "$S/uac_call.xml" "$SBC" -s 600 -i "$WAN_SIG" -p 5067 -t u1 \
  -mi "$WAN_MED" -mp 7070 -d 500 -m 1
b2b_wait_idle 10

step "6. idle and drained"
b2b_wait_txn_zero 40
echo "   $(b2b_idle_state)"
b2b_alive
b2b_stop_rampart
if [ ${#deferred[@]} -gt 0 ]; then
  printf 'deferred failure: %s\n' "${deferred[@]}" >&2
  fail "${#deferred[@]} deferred failure(s)"
fi
step "PASS"
