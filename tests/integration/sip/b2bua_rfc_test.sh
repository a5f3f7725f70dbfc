#!/usr/bin/env bash
# The B2BUA's RFC corners with real binaries and real peers (b2bua_lib.sh), what a user would
# check:
#  1. RFC 3263: a route whose target is a host name. dnsmasq (in the test's lan namespace)
#     serves NAPTR -> SRV (priority 10: an address nobody answers on; 20: a sipp UAS) -> A; the
#     call fails over across the SRV records and reaches sipp. A second call is served from the
#     cache (no new DNS query, TTLs 60 s). A name that does not exist: 503 and
#     rampart_cp_dns_failures_total{reason="no_address"}; OPTIONS health checks of host-name
#     targets added by a reload: one resolving to the PBX is up, one to a dead address down;
#     over TLS the target's name goes out as SNI and must match the server's certificate (a
#     Python TLS server with a lab-CA certificate for tls.rampart.lab: up; tls2.rampart.lab,
#     same address and port: its own connection (not the one verified for the other name),
#     refused, down);
#  2. RFC 3262 toward the caller: a caller that requires 100rel gets a reliable 180 (Require,
#     RSeq), PRACKs it, the call completes; a caller that never PRACKs sees the 180
#     retransmitted and then a 503 after 64*T1;
#  3. re-INVITE without SDP: the callee's offer comes back in Rampart's 200, the caller's
#     answer in its ACK reaches the callee; media unchanged, so no flow is re-programmed;
#  4. glare: the callee answers Rampart's session refresh (UPDATE, session_expires_s 90, so 45 s
#     into the call) with 491; Rampart retries 2.1-4 s later (RFC 3261 14.1) and the retry
#     succeeds (runs in the background from the start);
#  5. upstream de-registration: alice registers over TCP through Rampart (digest); when her
#     connection closes Rampart sends REGISTER Expires: 0 and the PBX's location forgets her.
# Every wait is bounded; about 70 s.
# usage: b2bua_rfc_test.sh SOURCE_DIR DATAPLANE_BIN CONTROLPLANE_BIN
tag=rcg
# shellcheck source=b2bua_preamble.sh
. "$(dirname "$0")/b2bua_preamble.sh" "$@"
step() { echo "$* (t=$((SECONDS - t0))s)"; }
# The glare call (4.) runs in the background: wait for every other call to end.
wait_only_glare() {
  for _ in $(seq 1 50); do [ "$(cpm rampart_cp_calls_active)" -le 1 ] && return 0; sleep 0.2; done
  fail "calls still active: $(b2b_idle_state)"
}
command -v dnsmasq >/dev/null || fail "dnsmasq is missing (tools/bootstrap installs dnsmasq-base)"

export B2B_ROUTES='[
 {"name": "dns", "from": "wan", "to": "lan", "match_user": "^8", "target": "sip:pbx.rcg.test"},
 {"name": "nodns", "from": "wan", "to": "lan", "match_user": "^9", "target": "sip:missing.rcg.test"},
 {"name": "glare", "from": "wan", "to": "lan", "match_user": "^55", "target": "sip:198.18.3.2:5085"}]'
# OPTIONS health checks only at start (sipp UASes would take them for calls).
# Outbound TLS trusts the lab CA (1b: a server certificate made for tls.rampart.lab below).
export B2B_SIP="{\"dns_servers\": [\"198.18.3.2:53\"], \"session_expires_s\": 90, \"options_interval_s\": 3600,
 \"tls_client\": {\"ca_file\": \"$src/etc/lab-certs/ca.crt\"}}"
b2b_config 100
b2b_start
# dnsmasq as the lan side's DNS server: authoritative for rcg.test from the command line only.
timeout -k 2 150 ip netns exec "$lan" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
  --no-poll --bind-interfaces --listen-address=198.18.3.2 --port=53 --local=/rcg.test/ \
  --local-ttl=60 --pid-file="$work/dnsmasq.pid" --log-queries --log-facility="$work/dnsmasq.log" \
  --naptr-record=pbx.rcg.test,10,10,s,SIP+D2U,,_sip._udp.pbx.rcg.test \
  --srv-host=_sip._udp.pbx.rcg.test,dead.rcg.test,5060,10,10 \
  --srv-host=_sip._udp.pbx.rcg.test,uas.rcg.test,5080,20,10 \
  --host-record=dead.rcg.test,198.18.3.99 --host-record=uas.rcg.test,198.18.3.2 \
  --host-record=hc.rcg.test,198.18.3.2 --host-record=gone.rcg.test,198.18.3.99 \
  --local=/rampart.lab/ --host-record=tls.rampart.lab,198.18.3.2 \
  --host-record=tls2.rampart.lab,198.18.3.2 \
  >"$work/dnsmasq.out" 2>&1 &
sip_pids+=($!)
for _ in $(seq 1 30); do grep -q "started" "$work/dnsmasq.log" 2>/dev/null && break; sleep 0.1; done
grep -q "started" "$work/dnsmasq.log" 2>/dev/null || fail "dnsmasq did not start: $(cat "$work/dnsmasq.out")"
b2b_wait_txn_zero 15  # the start-up health checks are over before any sipp listens
step "Rampart, the PBX and dnsmasq up"

step "4. (background) glare: a 52 s call whose callee answers the first refresh 491"
sip_bg "$lan" uas_glare 70 -sf "$S/uas_glare.xml" -i 198.18.3.2 -p 5085 -t u1 -mi 198.18.4.2 -mp 6300 -m 1
sip_bg "$wan" call_glare 70 -sf "$S/uac_call.xml" "$SBC" -s 555 -i "$WAN_SIG" -p 5066 -t u1 \
  -mi "$WAN_MED" -mp 7300 -d 52000 -m 1

step "1. a host-name target (NAPTR -> SRV -> A), failover across the SRV records"
q0=$(cpm rampart_cp_dns_queries_total)
sip_bg "$lan" uas_dns 40 -sf "$S/uas_answer.xml" -i 198.18.3.2 -p 5080 -t u1 -mi 198.18.4.2 -mp 6100 -m 2
sip_run "$wan" call_dns 30 -sf "$S/uac_call.xml" "$SBC" -s 800 -i "$WAN_SIG" -p 5061 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 500 -m 1
q1=$(cpm rampart_cp_dns_queries_total)
echo "   DNS queries for the first call: $((q1 - q0)); dnsmasq saw: $(grep -c 'query\[' "$work/dnsmasq.log")"
grep -q 'query\[NAPTR\] pbx.rcg.test' "$work/dnsmasq.log" || fail "no NAPTR query for pbx.rcg.test"
grep -q 'query\[SRV\] _sip._udp.pbx.rcg.test' "$work/dnsmasq.log" || fail "no SRV query"
grep -q 'trying sip:pbx.rcg.test' "$work/cp.log" || fail "no failover from the first SRV record in the log"
sip_run "$wan" call_dns2 30 -sf "$S/uac_call.xml" "$SBC" -s 801 -i "$WAN_SIG" -p 5061 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 500 -m 1
sip_wait uas_dns 20
q2=$(cpm rampart_cp_dns_queries_total)
echo "   DNS queries for the second call: $((q2 - q1)) (cached)"
[ "$q2" = "$q1" ] || fail "the second call sent $((q2 - q1)) DNS queries; the answers were cached for 60 s"
f0=$(cpm 'rampart_cp_dns_failures_total\{reason="no_address"')
sip_run_fail "$wan" call_nodns 15 -sf "$S/uac_call.xml" "$SBC" -s 900 -i "$WAN_SIG" -p 5061 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 500 -m 1
grep -q '^SIP/2.0 503' "$work/call_nodns.msg" || fail "a call to a name that does not resolve did not get 503"
f1=$(cpm 'rampart_cp_dns_failures_total\{reason="no_address"')
echo "   missing.rcg.test: 503, dns_failures_total{no_address} $f0 -> $f1"
[ "$f1" -gt "$f0" ] || fail "rampart_cp_dns_failures_total{reason=no_address} did not grow"

step "1b. OPTIONS health checks of host-name targets, added by a reload (SIGHUP); TLS by name"
# A SIP-over-TLS server in lan with a certificate for tls.rampart.lab only (lab CA); the names
# tls.rampart.lab and tls2.rampart.lab both resolve to it.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=tls.rampart.lab \
  -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
openssl x509 -req -in "$work/tls.csr" -CA "$src/etc/lab-certs/ca.crt" -CAkey "$src/etc/lab-certs/ca.key" \
  -CAserial "$work/ca.srl" -CAcreateserial -days 1 -out "$work/tls.crt" \
  -extfile <(printf 'subjectAltName=DNS:tls.rampart.lab\n') 2>/dev/null || fail "cannot make the TLS server certificate"
timeout -k 2 60 ip netns exec "$lan" /usr/bin/python3 "$S/tls_sip_server.py" "$work/tls.crt" \
  "$work/tls.key" 50 198.18.3.2:5071 >"$work/tls_srv.out" 2>"$work/tls_srv.err" &
sip_pids+=($!)
for _ in $(seq 1 30); do grep -q listening "$work/tls_srv.out" 2>/dev/null && break; sleep 0.1; done
export B2B_ROUTES="${B2B_ROUTES%]},
 {\"name\": \"hc\", \"from\": \"wan\", \"to\": \"lan\", \"match_user\": \"^61\",
  \"targets\": [\"sip:gone.rcg.test:5060\", \"sip:hc.rcg.test:5060\"]},
 {\"name\": \"tls\", \"from\": \"wan\", \"to\": \"lan\", \"match_user\": \"^62\",
  \"targets\": [\"sip:tls.rampart.lab:5071;transport=tls\", \"sip:tls2.rampart.lab:5071;transport=tls\"]}]"
b2b_config 100
kill -HUP "$cp_pid"
up_of() { nsx "$sbc" curl -sf --max-time 3 http://127.0.0.1:9100/metrics |
  awk -v t="target=\"$1\"" 'index($0, "rampart_cp_target_up{") == 1 && index($0, t) {print $NF}'; }
hc="" gone=""
for _ in $(seq 1 150); do  # the dead address is down after Timer F (64*T1 = 6.4 s)
  hc=$(up_of sip:hc.rcg.test:5060); gone=$(up_of sip:gone.rcg.test:5060)
  [ "$hc" = 1 ] && [ "$gone" = 0 ] && break
  sleep 0.1
done
echo "   target_up: hc.rcg.test (the PBX) ${hc:-absent}, gone.rcg.test (nobody) ${gone:-absent}"
[ "$hc" = 1 ] && [ "$gone" = 0 ] || fail "host-name targets not health-checked (hc $hc, gone $gone)"
grep -q 'query\[A\] hc.rcg.test' "$work/dnsmasq.log" || fail "hc.rcg.test was never resolved"
grep -q 'target sip:gone.rcg.test:5060 is down' "$work/cp.log" || fail "no 'is down' log line"
tls_ok="" tls_bad=""
for _ in $(seq 1 50); do
  tls_ok=$(up_of "sip:tls.rampart.lab:5071;transport=tls"); tls_bad=$(up_of "sip:tls2.rampart.lab:5071;transport=tls")
  [ "$tls_ok" = 1 ] && [ "$tls_bad" = 0 ] && break
  sleep 0.1
done
echo "   TLS by name: $(tr '\n' ' ' <"$work/tls_srv.out")"
echo "   target_up: tls.rampart.lab ${tls_ok:-absent}, tls2.rampart.lab (certificate names another host) ${tls_bad:-absent}"
grep -q '"port": 5071, "sni": "tls.rampart.lab", "request": "OPTIONS sip:tls.rampart.lab:5071;transport=tls SIP/2.0"' \
  "$work/tls_srv.out" || fail "no OPTIONS with SNI tls.rampart.lab over TLS"
grep -q '"port": 5071, "sni": "tls2.rampart.lab", "error"' "$work/tls_srv.out" ||
  fail "no own handshake for tls2.rampart.lab (the connection verified for tls.rampart.lab reused?) or it was not refused"
[ "$tls_ok" = 1 ] && [ "$tls_bad" = 0 ] || fail "TLS targets' health wrong (tls $tls_ok, tls2 $tls_bad)"

step "2. a caller that requires 100rel: reliable 180, PRACK, answer"
sip_bg "$lan" uas_rel 20 -sf "$S/uas_answer.xml" -i 198.18.3.2 -p 5080 -t u1 -mi 198.18.4.2 -mp 6100 -d 500 -m 1
sip_run "$wan" call_rel 20 -sf "$S/uac_100rel.xml" "$SBC" -s 700 -i "$WAN_SIG" -p 5062 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 500 -m 1
sip_wait uas_rel 10
echo "   $(grep -m1 '^RSeq' "$work/call_rel.msg" | tr -d '\r'), PRACK answered: $(grep -c '^SIP/2.0 200' "$work/call_rel.msg") x 200"
sip_bg "$lan" uas_ring 20 -sf "$S/uas_noanswer.xml" -i 198.18.3.2 -p 5080 -t u1 -m 1
sip_run "$wan" call_noprack 20 -sf "$S/uac_100rel_noprack.xml" "$SBC" -s 701 -i "$WAN_SIG" -p 5063 -t u1 \
  -mi "$WAN_MED" -mp 7000 -m 1
n180=$(grep -c '^SIP/2.0 180' "$work/call_noprack.msg")
echo "   without PRACK: $n180 x 180 (retransmitted), then 503"
[ "$n180" -ge 4 ] || fail "the reliable 180 was sent only $n180 times without a PRACK"
sip_wait uas_ring 15

step "3. re-INVITE without SDP: offer in our 200, answer in the ACK, no flow re-programmed"
sip_bg "$lan" uas_base 20 -sf "$S/uas_answer.xml" -i 198.18.3.2 -p 5080 -t u1 -mi 198.18.4.2 -mp 6100 -m 1
cmds() { cpm "rampart_cp_dataplane_commands_total\\{[^}]*type=\"$1\""; }
a0=$(cmds flow_add)
sip_run "$wan" call_base 20 -sf "$S/uac_call.xml" "$SBC" -s 702 -i "$WAN_SIG" -p 5064 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 500 -m 1
sip_wait uas_base 10
wait_only_glare
a1=$(cmds flow_add); m1=$(cmds flow_modify)
sip_bg "$lan" uas_offer 20 -sf "$S/uas_offer_in_2xx.xml" -i 198.18.3.2 -p 5080 -t u1 -mi 198.18.4.2 -mp 6100 -m 1
sip_run "$wan" call_nosdp 20 -sf "$S/uac_reinvite_nosdp.xml" "$SBC" -s 703 -i "$WAN_SIG" -p 5064 -t u1 \
  -mi "$WAN_MED" -mp 7000 -d 700 -m 1
sip_wait uas_offer 10
wait_only_glare
a2=$(cmds flow_add); m2=$(cmds flow_modify)
echo "   flow_add: plain call $((a1 - a0)), delayed-offer call $((a2 - a1)); flow_modify during it: $((m2 - m1))"
[ $((a2 - a1)) = $((a1 - a0)) ] && [ "$m2" = "$m1" ] || fail "the unchanged delayed offer re-programmed flows"
grep -q '^ACK .*' "$work/uas_offer.msg" || fail "no ACK reached the callee"

step "5. upstream de-registration when the last binding's connection closes"
d0=$(cpm 'rampart_cp_upstream_deregistrations_total\{result="ok"')
sip_run "$wan" reg_tcp 10 -sf "$S/uac_register_digest.xml" "$SBC" -s alice \
  -ap "$(sip_password alice)" -i "$WAN_SIG" -p 5075 -t t1 -m 1
left=""
for _ in $(seq 1 30); do
  left=$(sip_registered alice)
  [ -z "$left" ] && break
  sleep 0.2
done
[ -z "$left" ] || fail "the PBX still has alice's contact after her TCP connection closed: $left"
d1=$(cpm 'rampart_cp_upstream_deregistrations_total\{result="ok"')
echo "   PBX location for alice empty; upstream_deregistrations_total{ok} $d0 -> $d1"
[ "$d1" -gt "$d0" ] || fail "no successful upstream de-registration counted"
[ "$(cpm rampart_cp_registrations_active)" = 0 ] || fail "a binding is left in Rampart"

step "4. glare: the refresh retried after the 491"
sip_wait call_glare 60
sip_wait uas_glare 10
times=$(awk '/^-+ [0-9-]+ [0-9:.]+/ {t = $3} /^UPDATE / {print t}' "$work/uas_glare.msg")
echo "   UPDATEs received at: $(echo "$times" | tr '\n' ' ')"
[ "$(echo "$times" | wc -l)" = 2 ] || fail "expected two UPDATEs (491, then the retry), got: $times"
gap=$(echo "$times" | awk -F: '{s = $1 * 3600 + $2 * 60 + $3} NR == 1 {a = s} NR == 2 {printf "%d", (s - a) * 1000}')
echo "   retry after ${gap} ms"
[ "$gap" -ge 2050 ] && [ "$gap" -le 4300 ] || fail "the retry came ${gap} ms after the 491, expected 2100-4000"

step "6. idle"
b2b_wait_idle 10
echo "   $(b2b_idle_state)"
b2b_alive
b2b_stop_rampart
step "PASS"
